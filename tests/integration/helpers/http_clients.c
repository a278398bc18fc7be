/* tests/integration/helpers/http_clients.c: clients that misbehave on purpose, for the bounds
 * nanoletd holds every client to (tests/integration/front.bats) and the load test.
 *
 * Usage: http_clients MODE SOCKET ARGS...
 *   hold N SECONDS        opens N connections and sends nothing; prints, when SECONDS are up
 *                         (or all N were closed), "opened N closed C answered408 A after S".
 *   trickle N MS SECONDS  N connections that start a request and then send one byte of a
 *                         header field every MS milliseconds; prints as hold.
 *   busy N SECONDS        N connections that send a request header announcing a body and
 *                         then nothing: busy, not idle; prints as hold.
 *   burst N               opens N connections and closes them all at once; prints "opened N".
 *   noread PATH SECONDS   GETs PATH and reads none of the answer for SECONDS, then closes;
 *                         prints the bytes it had read by then (only the kernel's buffers).
 *   pipeline N PATH       sends N GETs of PATH in one write on one connection and reads the
 *                         answers; prints "answered A in S" (A: status lines read).
 * Connections that cannot be opened (the backlog is full) are counted as not opened. Only
 * AF_UNIX, only the socket given: it never touches anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(const char *path, int flags)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	if (fd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void raise_nofile(void)
{
	struct rlimit l;

	if (getrlimit(RLIMIT_NOFILE, &l) == 0) {
		l.rlim_cur = l.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &l);
	}
}

/* Watches n connections until seconds pass or all were closed by the server. */
static int watch(int *fds, int n, double seconds, const char *trickle, int interval_ms)
{
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	int opened = 0, closed = 0, answered408 = 0;
	double start = now(), next_trickle = start + interval_ms / 1000.0;
	size_t sent = 0;

	if (!p)
		return 1;
	for (int i = 0; i < n; i++) {
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		opened += fds[i] >= 0;
	}
	while (now() - start < seconds && closed < opened) {
		int timeout = 100;

		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			char buf[4096];
			ssize_t r;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, buf, sizeof(buf) - 1);
			if (r > 0) {
				buf[r] = '\0';
				if (strstr(buf, " 408 "))
					answered408++;
				continue;
			}
			if (r < 0 && errno == EAGAIN)
				continue;
			close(p[i].fd);
			p[i].fd = -1;
			closed++;
		}
		if (trickle && now() >= next_trickle) {
			char c = trickle[sent % strlen(trickle)];

			for (int i = 0; i < n; i++)
				if (p[i].fd >= 0)
					(void)send(p[i].fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			sent++;
			next_trickle += interval_ms / 1000.0;
		}
	}
	printf("opened %d closed %d answered408 %d after %.1f\n", opened, closed, answered408,
	       now() - start);
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	free(p);
	return 0;
}

static int *open_many(const char *path, int n)
{
	int *fds = calloc((size_t)n, sizeof(int));

	for (int i = 0; fds && i < n; i++)
		fds[i] = connect_to(path, SOCK_NONBLOCK);
	return fds;
}

/* watch(), then the list goes */
static int watched(int *fds, int n, double seconds, const char *trickle, int interval_ms)
{
	int r = fds ? watch(fds, n, seconds, trickle, interval_ms) : 1;

	free(fds);
	return r;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "", *path = argc > 2 ? argv[2] : "";
	int *fds;

	raise_nofile();
	if (strcmp(mode, "hold") == 0 && argc == 5) {
		int n = atoi(argv[3]);

		fds = open_many(path, n);
		return watched(fds, n, atof(argv[4]), NULL, 0);
	}
	if (strcmp(mode, "trickle") == 0 && argc == 6) {
		static const char start[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
		int n = atoi(argv[3]);

		fds = open_many(path, n);
		for (int i = 0; fds && i < n; i++)
			if (fds[i] >= 0)
				(void)send(fds[i], start, strlen(start), MSG_NOSIGNAL);
		return watched(fds, n, atof(argv[5]), "X-Slow: abcdefghij", atoi(argv[4]));
	}
	if (strcmp(mode, "busy") == 0 && argc == 5) {
		static const char head[] = "POST /apis/nanolet.io/v1/isolationplans HTTP/1.1\r\n"
		                           "Host: x\r\nContent-Length: 10\r\n\r\n";
		int n = atoi(argv[3]);

		fds = open_many(path, n);
		for (int i = 0; fds && i < n; i++)
			if (fds[i] >= 0)
				(void)send(fds[i], head, strlen(head), MSG_NOSIGNAL);
		return watched(fds, n, atof(argv[4]), NULL, 0);
	}
	if (strcmp(mode, "burst") == 0 && argc == 4) {
		int n = atoi(argv[3]), opened = 0;

		fds = open_many(path, n);
		for (int i = 0; fds && i < n; i++)
			if (fds[i] >= 0) {
				opened++;
				close(fds[i]);
			}
		printf("opened %d\n", opened);
		free(fds);
		return 0;
	}
	if (strcmp(mode, "noread") == 0 && argc == 5) {
		char request[1024];
		int fd = connect_to(path, 0), rcvbuf = 4096;
		ssize_t got = 0, r;
		double start = now();

		if (fd < 0)
			return 1;
		/* a small receive buffer: the daemon meets a full socket sooner */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", argv[3]);
		if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0)
			return 1;
		while (now() - start < atof(argv[4]))
			usleep(100000);
		/* what the kernel buffered for us, without waiting for more */
		while ((r = recv(fd, request, sizeof(request), MSG_DONTWAIT)) > 0)
			got += r;
		printf("read %zd\n", got);
		close(fd);
		return 0;
	}
	if (strcmp(mode, "pipeline") == 0 && argc == 5) {
		int n = atoi(argv[3]), fd = connect_to(path, 0), answered = 0;
		size_t len = 0, cap = 0;
		char *requests = NULL, buf[65536], carry[16] = "";
		double start = now();
		FILE *f = open_memstream(&requests, &cap);

		if (fd < 0 || !f)
			return 1;
		for (int i = 0; i < n; i++)
			fprintf(f, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", argv[4]);
		fclose(f);
		len = strlen(requests);
		if (send(fd, requests, len, MSG_NOSIGNAL) != (ssize_t)len)
			return 1;
		while (answered < n && now() - start < 60) {
			/* the last 8 bytes of the previous read, then this one: a status line
			 * split by a read boundary is still counted once */
			char joined[8 + sizeof(buf)];
			size_t kept = strlen(carry);
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r <= 0)
				break;
			memcpy(joined, carry, kept);
			memcpy(joined + kept, buf, (size_t)r);
			for (char *p = joined;
			     (p = memmem(p, kept + (size_t)r - (size_t)(p - joined), "HTTP/1.1 ",
			                 9));
			     p++)
				answered++;
			kept = kept + (size_t)r > 8 ? 8 : kept + (size_t)r;
			memcpy(carry, joined + (size_t)r + strlen(carry) - kept, kept);
			carry[kept] = '\0';
		}
		printf("answered %d in %.2f\n", answered, now() - start);
		free(requests);
		close(fd);
		return 0;
	}
	fprintf(stderr, "usage: http_clients hold|trickle|burst|noread|pipeline SOCKET ...\n");
	return 2;
}
