/* tests/bench/oom_latency.c: oom_latency SOCKET POD COUNTER_FILE — for tests/bench/oom.sh.
 * Waits until the kernel's oom_kill counter in COUNTER_FILE (v1 memory.oom_control, v2
 * memory.events) moves from 0, then asks nanoletd on SOCKET for the pod (namespace default)
 * until its status says OOMKilled, and prints the seconds between the two. Both loops pause
 * 100 us between looks, so the figure is the daemon's, not a shell's fork and exec. Exits 1
 * after 10 s without either. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_briefly(void)
{
	struct timespec ts = {0, 100 * 1000};

	nanosleep(&ts, NULL);
}

static long oom_kills(const char *file)
{
	char buf[4096], *p;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "oom_kill ");
	return p ? strtol(p + 9, NULL, 10) : 0;
}

static bool oom_killed(const char *sock, const char *pod)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	static char buf[1 << 20];
	char request[512];
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
	snprintf(request, sizeof(request),
	         "GET /api/v1/namespaces/default/pods/%s?pretty=false HTTP/1.0\r\nHost: n\r\n\r\n",
	         pod);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    write(fd, request, strlen(request)) < 0) {
		close(fd);
		return false;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return strstr(buf, "\"reason\":\"OOMKilled\"") != NULL;
}

int main(int argc, char **argv)
{
	double deadline = now() + 10, t0;

	if (argc != 4) {
		fprintf(stderr, "usage: oom_latency SOCKET POD COUNTER_FILE\n");
		return 2;
	}
	while (oom_kills(argv[3]) <= 0) {
		if (now() > deadline)
			return fprintf(stderr, "no OOM kill in %s\n", argv[3]), 1;
		pause_briefly();
	}
	t0 = now();
	while (!oom_killed(argv[1], argv[2])) {
		if (now() > deadline)
			return fprintf(stderr, "pod %s never showed OOMKilled\n", argv[2]), 1;
		pause_briefly();
	}
	printf("%.6f\n", now() - t0);
	return 0;
}
