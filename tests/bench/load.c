/* tests/bench/load.c: the clients of tests/bench/load.sh — many well-behaved ones at once, and a
 * /healthz prober that measures what one more client sees meanwhile.
 *
 * Usage: load mix SOCKET CLIENTS SECONDS
 *          CLIENTS keep-alive connections, each sending its next request as soon as the answer
 *          to the last one is in, cycling through reads (pod list, a pod, events, metrics,
 *          stats) and writes (isolation plans and dry-run creates of a small pod, a DELETE of a
 *          pod that is not there); a connection the daemon closes is opened again. Prints
 *          requests, requests per second and answers by status code.
 *        load probe SOCKET SECONDS INTERVAL_MS
 *          a GET /healthz on a new connection every INTERVAL_MS; prints the count, p50, p99 and
 *          max latency in ms, how many took over a second, and the probes that got no 200
 *          within 5 s.
 * Single-threaded, epoll; AF_UNIX only. A benchmark's tool: it asserts nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#define POD_JSON                                                                                   \
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"load\"},\"spec\":{"      \
	"\"containers\":[{\"name\":\"c\",\"image\":\"host\",\"command\":[\"sleep\",\"1\"],"        \
	"\"resources\":{\"limits\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}]}}"

static const char *const requests[] = {
        "GET /api/v1/pods?pretty=false HTTP/1.1\r\nHost: n\r\n\r\n",
        "GET /api/v1/namespaces/default/pods/load-0?pretty=false HTTP/1.1\r\nHost: n\r\n\r\n",
        "GET /api/v1/namespaces/default/events?pretty=false HTTP/1.1\r\nHost: n\r\n\r\n",
        "POST /apis/nanolet.io/v1/isolationplans HTTP/1.1\r\nHost: n\r\nContent-Type: "
        "application/json\r\nContent-Length: %zu\r\n\r\n" POD_JSON,
        "POST /api/v1/namespaces/default/pods?dryRun=All HTTP/1.1\r\nHost: n\r\nContent-Type: "
        "application/json\r\nContent-Length: %zu\r\n\r\n" POD_JSON,
        "GET /metrics HTTP/1.1\r\nHost: n\r\n\r\n",
        "GET /stats/summary HTTP/1.1\r\nHost: n\r\n\r\n",
        "DELETE /api/v1/namespaces/default/pods/absent HTTP/1.1\r\nHost: n\r\n\r\n",
};

struct client {
	int fd;
	unsigned next;
	char *in;
	size_t len, cap;
};

static unsigned long codes[600];
static unsigned long answered;

static int send_next(struct client *c)
{
	char buf[2048];
	const char *fmt = requests[c->next++ % (sizeof(requests) / sizeof(requests[0]))];
	int n = snprintf(buf, sizeof(buf), fmt, strlen(POD_JSON));

	return send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* One whole answer at the start of c->in: its length, or 0 while incomplete. */
static size_t answer_length(struct client *c, unsigned *code)
{
	char *head_end = c->len ? memmem(c->in, c->len, "\r\n\r\n", 4) : NULL, *p;
	size_t head, body = 0;

	if (!head_end)
		return 0;
	head = (size_t)(head_end - c->in) + 4;
	*code = (unsigned)atoi(c->in + 9);
	if ((p = memmem(c->in, head, "Content-Length: ", 16)))
		body = strtoul(p + 16, NULL, 10);
	else if (memmem(c->in, head, "chunked", 7)) {
		char *end = memmem(c->in + head, c->len - head, "\r\n0\r\n\r\n", 7);

		if (!end && !(c->len - head >= 5 && memcmp(c->in + head, "0\r\n\r\n", 5) == 0))
			return 0;
		return end ? (size_t)(end - c->in) + 7 : head + 5;
	}
	return c->len >= head + body ? head + body : 0;
}

static int mix(const char *path, int n, double seconds)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct client *clients = calloc((size_t)n, sizeof(*clients));
	double start = now();
	unsigned long reconnects = 0;

	if (ep < 0 || !clients)
		return 1;
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &clients[i]};

		clients[i] = (struct client){.fd = connect_to(path), .next = (unsigned)i};
		if (clients[i].fd < 0 || send_next(&clients[i]) < 0)
			return fprintf(stderr, "load: connect %s: %m\n", path), 1;
		epoll_ctl(ep, EPOLL_CTL_ADD, clients[i].fd, &ev);
	}
	while (now() - start < seconds) {
		struct epoll_event events[64];
		int k = epoll_wait(ep, events, 64, 100);

		for (int e = 0; e < k; e++) {
			struct client *c = events[e].data.ptr;
			size_t whole;
			unsigned code = 0;
			ssize_t r;

			if (c->cap - c->len < 65536) {
				c->cap = c->cap ? c->cap * 2 : 131072;
				c->in = realloc(c->in, c->cap);
				if (!c->in)
					return 1;
			}
			r = read(c->fd, c->in + c->len, c->cap - c->len);
			if (r <= 0) { /* closed: a new connection */
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				reconnects++;
				c->len = 0;
				c->fd = connect_to(path);
				if (c->fd < 0 || send_next(c) < 0)
					return fprintf(stderr, "load: reconnect: %m\n"), 1;
				epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
				continue;
			}
			c->len += (size_t)r;
			while ((whole = answer_length(c, &code)) > 0) {
				memmove(c->in, c->in + whole, c->len - whole);
				c->len -= whole;
				codes[code < 600 ? code : 0]++;
				answered++;
				if (send_next(c) < 0)
					break;
			}
		}
	}
	printf("requests %lu in %.1f s: %.0f/s; reconnects %lu; codes", answered, now() - start,
	       (double)answered / (now() - start), reconnects);
	for (int i = 0; i < 600; i++)
		if (codes[i])
			printf(" %d:%lu", i, codes[i]);
	printf("\n");
	for (int i = 0; i < n; i++) {
		close(clients[i].fd);
		free(clients[i].in);
	}
	free(clients);
	close(ep);
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int probe(const char *path, double seconds, int interval_ms)
{
	size_t n = 0, cap = 1024, failed = 0, no_connection = 0, no_answer = 0, not_ok = 0;
	size_t over_second = 0;
	double *lat = malloc(cap * sizeof(*lat)), start = now();
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: n\r\nConnection: close\r\n\r\n";

	while (lat && now() - start < seconds) {
		double t0 = now(), t = 0;
		int fd = connect_to(path);
		char buf[512];
		size_t got = 0;
		ssize_t r;

		if (fd >= 0) {
			struct timeval tv = {.tv_sec = 5};

			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0)
				while (got < sizeof(buf) - 1 &&
				       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
					got += (size_t)r;
			close(fd);
			buf[got] = '\0';
			t = now() - t0;
		}
		if (fd < 0 || strncmp(buf, "HTTP/1.1 200", 12) != 0) {
			failed++;
			if (getenv("LOAD_VERBOSE"))
				fprintf(stderr, "probe failed at %.2f s (%zu bytes)\n", t0 - start,
				        got);
			if (fd < 0)
				no_connection++;
			else if (got == 0)
				no_answer++;
			else if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
				not_ok++;
		} else {
			if (t > 1 && getenv("LOAD_VERBOSE"))
				fprintf(stderr, "probe slow at %.2f s: %.0f ms\n", t0 - start,
				        t * 1000);
			if (n == cap && !(lat = realloc(lat, (cap *= 2) * sizeof(*lat))))
				return 1;
			lat[n++] = t * 1000;
		}
		if (interval_ms)
			usleep((useconds_t)interval_ms * 1000);
	}
	if (!lat)
		return 1;
	qsort(lat, n, sizeof(*lat), by_value);
	for (size_t i = 0; i < n; i++)
		over_second += lat[i] > 1000;
	printf("healthz probes %zu: p50 %.2f ms, p99 %.2f ms, max %.2f ms, over 1 s %zu; failed "
	       "%zu",
	       n, n ? lat[n / 2] : 0.0, n ? lat[(size_t)((double)(n - 1) * 0.99)] : 0.0,
	       n ? lat[n - 1] : 0.0, over_second, failed);
	if (failed)
		printf(" (no connection %zu, no answer within 5 s %zu, not 200 %zu)", no_connection,
		       no_answer, not_ok);
	printf("\n");
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit l;

	if (getrlimit(RLIMIT_NOFILE, &l) == 0) {
		l.rlim_cur = l.rlim_max;
		setrlimit(RLIMIT_NOFILE, &l);
	}
	if (argc == 5 && strcmp(argv[1], "mix") == 0)
		return mix(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], atof(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: load mix SOCKET CLIENTS SECONDS | load probe SOCKET SECONDS MS\n");
	return 2;
}
