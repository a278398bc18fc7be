/* tests/bench/podclient.c: the timing client of tests/bench/start.sh and density.sh — what
 * curl + jq in a shell loop would measure too coarsely (each curl is a fork and an exec, a
 * millisecond or more of its own).
 *
 * Usage: podclient start SOCKET NAME POLL_US
 *          POST a pod (image host, /bin/true, restartPolicy Never) and GET it on the same
 *          keep-alive connection every POLL_US until its phase is Succeeded or Failed; prints
 *          the milliseconds from before the POST to the answer that showed the end, the GETs
 *          it took, and the milliseconds to the POST's answer (the container started). Then DELETEs
 * the pod (grace 0), untimed, and waits for the answer. podclient exec COMMAND [ARG...] fork, exec
 * and wait for COMMAND; prints the milliseconds (exit status must be 0). podclient create SOCKET
 * PREFIX N CLIENTS PREFIX-1 .. PREFIX-N, a `sleep 3600` each, by CLIENTS processes at once (client
 * k takes every CLIENTS-th pod); a POST answers once the pod's containers run. Prints the seconds
 * and the failures. podclient delete SOCKET PREFIX N CLIENTS the same, DELETE with
 * gracePeriodSeconds=0. podclient churn SOCKET PREFIX N CLIENTS PROBE_MS PREFIX-1 .. PREFIX-N each
 * created and at once deleted again by CLIENTS processes (so that at most CLIENTS of them live at a
 * time), and meanwhile, in this process, a GET /healthz on a new connection every PROBE_MS until
 * they are done; prints the churn's seconds and failures, and the probes' p50, p99 and max.
 *        podclient get SOCKET PREFIX N COUNT
 *          COUNT GETs of random pods among PREFIX-1 .. PREFIX-N on one keep-alive connection;
 *          prints p50, p99 and max in ms and the client's own CPU time per GET; with
 *          PODCLIENT_SLOW_MS set, each GET slower than that on stderr, with its time.
 *        podclient floor COUNT BYTES
 *          the same GET loop against a thread of this process that answers every request at
 *          once with BYTES of body: what the client and the kernel cost without a daemon.
 *        podclient ready SOCKET T0 N
 *          T0 a CLOCK_REALTIME time in seconds (bash's $EPOCHREALTIME, taken before a daemon
 *          was started): prints the ms from T0 until /healthz answers 200 (a new connection
 *          every ms), then until the pod list shows N pods Running (every 20 ms, 100 ms over 200
 *          pods), or gives up when that number has not changed for 30 s.
 * Blocking I/O, one connection per process; AF_UNIX only. A benchmark's tool: it asserts
 * nothing about speed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono(void)
{
	return now(CLOCK_MONOTONIC);
}

static double cpu_seconds(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* Failed requests are told on stderr, the first few of each process only (a full node fails
 * every create alike). */
static int failures_told;
#define FAILURES_TOLD_MAX 3

struct conn {
	const char *path; /* NULL: fd was handed in (floor) and is not opened again */
	int fd;
	char *in;
	size_t len, cap;
};

/* What a struct conn holds, for __attribute__((cleanup)). */
static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
}
#define _cleanup_conn_ __attribute__((cleanup(conn_close)))

static int conn_open(struct conn *c)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (c->fd >= 0)
		close(c->fd);
	c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", c->path);
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	return 0;
}

/* One whole answer at the start of c->in: its length, or 0 while incomplete. */
static size_t answer_length(const struct conn *c, size_t *head)
{
	char *head_end = c->len ? memmem(c->in, c->len, "\r\n\r\n", 4) : NULL, *p;
	size_t body = 0;

	if (!head_end)
		return 0;
	*head = (size_t)(head_end - c->in) + 4;
	if ((p = memmem(c->in, *head, "Content-Length: ", 16)))
		body = strtoul(p + 16, NULL, 10);
	else if (memmem(c->in, *head, "chunked", 7)) {
		char *end = memmem(c->in + *head - 2, c->len - *head + 2, "\r\n0\r\n\r\n", 7);

		return end ? (size_t)(end - c->in) + 7 : 0;
	}
	return c->len >= *head + body ? *head + body : 0;
}

/* Sends req and reads its answer; *body points into c->in (NUL-terminated) until the next
 * call. A keep-alive connection the server closed is opened again, once. Returns the status
 * code or -errno. */
static int conn_do(struct conn *c, const char *req, size_t req_len, const char **body)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t whole = 0, head = 0;
		int closed = 0;

		if (c->fd < 0 && (!c->path || conn_open(c) < 0))
			return -ECONNREFUSED;
		if (send(c->fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len) {
			closed = 1;
		} else {
			c->len = 0;
			while (!(whole = answer_length(c, &head))) {
				ssize_t r;

				if (c->cap - c->len < 65537) {
					c->cap = c->cap ? c->cap * 2 : 262144;
					if (!(c->in = realloc(c->in, c->cap)))
						return -ENOMEM;
				}
				r = read(c->fd, c->in + c->len, c->cap - c->len - 1);
				if (r <= 0) {
					closed = 1;
					break;
				}
				c->len += (size_t)r;
			}
		}
		if (closed) {
			if (!c->path || c->len)
				return -ECONNRESET;
			close(c->fd);
			c->fd = -1;
			continue;
		}
		c->in[whole] = '\0';
		if (body)
			*body = c->in + head;
		if (memmem(c->in, head, "Connection: close", 17)) {
			close(c->fd);
			c->fd = -1;
		}
		return atoi(c->in + 9);
	}
	return -ECONNRESET;
}

static int request(struct conn *c, const char *method, const char *target, const char *json,
                   const char **body)
{
	char req[2048];
	int n = json ? snprintf(req, sizeof(req),
	                        "%s %s HTTP/1.1\r\nHost: n\r\nContent-Type: application/json\r\n"
	                        "Content-Length: %zu\r\n\r\n%s",
	                        method, target, strlen(json), json)
	             : snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: n\r\n\r\n", method,
	                        target);

	return conn_do(c, req, (size_t)n, body);
}

static int post_pod(struct conn *c, const char *name, const char *command, const char *policy)
{
	char json[1024], target[512];
	const char *body;
	int code;

	snprintf(json, sizeof(json),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},\"spec\":{"
	         "\"restartPolicy\":\"%s\",\"terminationGracePeriodSeconds\":0,\"containers\":[{"
	         "\"name\":\"c\",\"image\":\"host\",\"command\":[%s]}]}}",
	         name, policy, command);
	snprintf(target, sizeof(target), "/api/v1/namespaces/default/pods?pretty=false");
	code = request(c, "POST", target, json, &body);
	if (code != 201 && failures_told++ < FAILURES_TOLD_MAX)
		fprintf(stderr, "podclient: POST %s: %d %.300s\n", name, code,
		        code > 0 ? body : "");
	return code == 201 ? 0 : -1;
}

static int delete_pod(struct conn *c, const char *name)
{
	char target[512];
	const char *body;
	int code;

	snprintf(target, sizeof(target),
	         "/api/v1/namespaces/default/pods/%s?gracePeriodSeconds=0&pretty=false", name);
	code = request(c, "DELETE", target, NULL, &body);
	if (code != 200 && code != 202 && failures_told++ < FAILURES_TOLD_MAX)
		fprintf(stderr, "podclient: DELETE %s: %d %.300s\n", name, code,
		        code > 0 ? body : "");
	return code == 200 || code == 202 ? 0 : -1;
}

static int start(const char *path, const char *name, long poll_us)
{
	_cleanup_conn_ struct conn c = {.path = path, .fd = -1};
	char target[512];
	unsigned long gets = 0;
	double t0 = mono(), t_post, t1;
	const char *body;
	int code;

	if (post_pod(&c, name, "\"/bin/true\"", "Never") < 0)
		return 1;
	t_post = mono();
	snprintf(target, sizeof(target), "/api/v1/namespaces/default/pods/%s?pretty=false", name);
	for (;;) {
		code = request(&c, "GET", target, NULL, &body);
		gets++;
		if (code != 200)
			return fprintf(stderr, "podclient: GET %s: %d\n", name, code), 1;
		if (strstr(body, "\"phase\":\"Succeeded\"") || strstr(body, "\"phase\":\"Failed\""))
			break;
		if (mono() - t0 > 30)
			return fprintf(stderr, "podclient: %s did not end in 30 s\n", name), 1;
		if (poll_us)
			usleep((useconds_t)poll_us);
	}
	t1 = mono();
	printf("%.3f %lu %.3f\n", (t1 - t0) * 1000, gets, (t_post - t0) * 1000);
	fflush(stdout);
	return delete_pod(&c, name) < 0;
}

static int exec_timed(char **argv)
{
	double t0 = mono();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fprintf(stderr, "podclient: %s: status %#x\n", argv[0], status), 1;
	printf("%.3f\n", (mono() - t0) * 1000);
	return 0;
}

enum many_mode { MANY_CREATE, MANY_DELETE, MANY_CHURN };

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* GET /healthz on a new connection: its ms, or -1 without a 200. */
static double healthz_once(const char *path)
{
	_cleanup_conn_ struct conn c = {.path = path, .fd = -1};
	double t0 = mono();
	int code = request(&c, "GET", "/healthz", NULL, NULL);

	return code == 200 ? (mono() - t0) * 1000 : -1;
}

/* CLIENTS processes, client k taking pods k+1, k+1+CLIENTS, ...; meanwhile (probe_ms > 0) this
 * process probes /healthz. */
static int many(const char *path, const char *prefix, int n, int clients, enum many_mode mode,
                int probe_ms)
{
	static const char *const done[] = {"created", "deleted", "created and deleted"};
	size_t probes = 0, cap = 1024, no_answer = 0;
	double t0 = mono(), *lat = malloc(cap * sizeof(*lat));
	int failed = 0, status, running = clients;

	if (!lat)
		return 1;
	for (int k = 0; k < clients; k++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			_cleanup_conn_ struct conn c = {.path = path, .fd = -1};
			int bad = 0;

			for (int i = k + 1; i <= n; i += clients) {
				char name[256];

				snprintf(name, sizeof(name), "%s-%d", prefix, i);
				if (mode != MANY_DELETE)
					bad += post_pod(&c, name, "\"sleep\",\"3600\"", "Always") <
					       0;
				if (mode != MANY_CREATE)
					bad += delete_pod(&c, name) < 0;
			}
			_exit(bad > 255 ? 255 : bad);
		}
	}
	while (running > 0) {
		pid_t pid = waitpid(-1, &status, probe_ms > 0 ? WNOHANG : 0);

		if (pid > 0) {
			failed += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
			running--;
			continue;
		}
		if (pid < 0)
			break;
		double t = healthz_once(path);

		if (t < 0) {
			no_answer++;
		} else {
			if (probes == cap && !(lat = realloc(lat, (cap *= 2) * sizeof(*lat))))
				return 1;
			lat[probes++] = t;
		}
		usleep((useconds_t)probe_ms * 1000);
	}
	printf("%d pods %s in %.3f s by %d clients, %d failed\n", n, done[mode], mono() - t0,
	       clients, failed);
	if (probe_ms > 0) {
		qsort(lat, probes, sizeof(*lat), by_value);
		printf("healthz probes %zu meanwhile: p50 %.2f ms, p99 %.2f ms, max %.2f ms; no "
		       "200: "
		       "%zu\n",
		       probes, probes ? lat[probes / 2] : 0.0,
		       probes ? lat[(size_t)((double)(probes - 1) * 0.99)] : 0.0,
		       probes ? lat[probes - 1] : 0.0, no_answer);
	}
	free(lat);
	return failed != 0;
}

/* COUNT GETs of random PREFIX-i (prefix NULL: a fixed target) on c. */
static int get_loop(struct conn *c, const char *prefix, int n, long count)
{
	double *lat = calloc((size_t)count, sizeof(*lat)), cpu0 = cpu_seconds(), t_all = mono();
	const char *slow = getenv("PODCLIENT_SLOW_MS");
	unsigned seed = 1;
	long bad = 0;

	if (!lat)
		return 1;
	for (long i = 0; i < count; i++) {
		char target[512];
		double t0;
		int code;

		snprintf(target, sizeof(target),
		         "/api/v1/namespaces/default/pods/%s-%d?pretty=false",
		         prefix ? prefix : "floor", 1 + rand_r(&seed) % (n > 0 ? n : 1));
		t0 = mono();
		code = request(c, "GET", target, NULL, NULL);
		lat[i] = (mono() - t0) * 1000;
		bad += code != 200;
		if (slow && lat[i] > atof(slow))
			fprintf(stderr, "slow GET at +%.3f s: %.1f ms\n", t0 - t_all, lat[i]);
	}
	t_all = mono() - t_all;
	qsort(lat, (size_t)count, sizeof(*lat), by_value);
	printf("GET pod x%ld: p50 %.3f ms, p99 %.3f ms, max %.3f ms; %.0f/s; client CPU %.1f us "
	       "per GET; not 200: %ld\n",
	       count, lat[count / 2], lat[(long)((double)(count - 1) * 0.99)], lat[count - 1],
	       (double)count / t_all, (cpu_seconds() - cpu0) * 1e6 / (double)count, bad);
	free(lat);
	return bad != 0;
}

struct floor_server {
	int fd;
	size_t bytes;
};

/* Answers every request (headers only, no body) at once with a 200 of fs->bytes. */
static void *floor_serve(void *userdata)
{
	struct floor_server *fs = userdata;
	size_t cap = 4096 + fs->bytes, held = 0;
	char *out = malloc(cap), in[4096];
	int head = out ? snprintf(out, cap,
	                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                          "Content-Length: %zu\r\n\r\n",
	                          fs->bytes)
	               : 0;

	if (!out)
		return NULL;
	memset(out + head, 'x', fs->bytes);
	for (;;) {
		ssize_t r = read(fs->fd, in + held, sizeof(in) - held);
		char *end;

		if (r <= 0)
			break;
		held += (size_t)r;
		while ((end = memmem(in, held, "\r\n\r\n", 4))) {
			size_t used = (size_t)(end - in) + 4;

			if (write(fs->fd, out, (size_t)head + fs->bytes) < 0)
				break;
			memmove(in, in + used, held - used);
			held -= used;
		}
	}
	free(out);
	return NULL;
}

static int floor_loop(long count, size_t bytes)
{
	int sv[2];
	pthread_t thread;
	struct floor_server fs = {.bytes = bytes};
	struct conn c = {.fd = -1};
	int r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	fs.fd = sv[1];
	c.fd = sv[0];
	if (pthread_create(&thread, NULL, floor_serve, &fs) != 0)
		return 1;
	r = get_loop(&c, NULL, 1, count);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(thread, NULL);
	close(sv[0]);
	close(sv[1]);
	free(c.in);
	return r;
}

static int count_running(const char *body)
{
	int n = 0;

	for (const char *p = body; (p = strstr(p, "\"phase\":\"Running\"")); p++)
		n++;
	return n;
}

static int ready(const char *path, double t0, int n)
{
	_cleanup_conn_ struct conn c = {.path = path, .fd = -1};
	const char *body;
	int running = -1;

	for (;;) {
		if (request(&c, "GET", "/healthz", NULL, &body) == 200)
			break;
		close(c.fd);
		c.fd = -1;
		if (now(CLOCK_REALTIME) - t0 > 60)
			return fprintf(stderr, "podclient: no /healthz in 60 s\n"), 1;
		usleep(1000);
	}
	printf("healthz %.1f ms\n", (now(CLOCK_REALTIME) - t0) * 1000);
	fflush(stdout);
	/* a list of 1000 pods is a megabyte to write out: asked for less often */
	useconds_t interval = n > 200 ? 100000 : 20000;
	double progress = mono();
	int seen = -1;

	for (;;) {
		int code = request(&c, "GET", "/api/v1/pods?pretty=false", NULL, &body);

		if (code == 200 && (running = count_running(body)) >= n)
			break;
		if (running != seen) {
			seen = running;
			progress = mono();
		} else if (mono() - progress > 30) {
			printf("running %d of %d, none more for 30 s (%.1f ms)\n", running, n,
			       (now(CLOCK_REALTIME) - t0) * 1000);
			return 1;
		}
		usleep(interval);
	}
	printf("running %d %.1f ms (the list asked for every %u ms)\n", running,
	       (now(CLOCK_REALTIME) - t0) * 1000, interval / 1000);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "start") == 0)
		return start(argv[2], argv[3], atol(argv[4]));
	if (argc >= 3 && strcmp(argv[1], "exec") == 0)
		return exec_timed(argv + 2);
	if (argc == 6 && strcmp(argv[1], "create") == 0)
		return many(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), MANY_CREATE, 0);
	if (argc == 6 && strcmp(argv[1], "delete") == 0)
		return many(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), MANY_DELETE, 0);
	if (argc == 7 && strcmp(argv[1], "churn") == 0)
		return many(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), MANY_CHURN,
		            atoi(argv[6]));
	if (argc == 6 && strcmp(argv[1], "get") == 0) {
		_cleanup_conn_ struct conn c = {.path = argv[2], .fd = -1};

		return get_loop(&c, argv[3], atoi(argv[4]), atol(argv[5]));
	}
	if (argc == 4 && strcmp(argv[1], "floor") == 0)
		return floor_loop(atol(argv[2]), (size_t)atol(argv[3]));
	if (argc == 5 && strcmp(argv[1], "ready") == 0)
		return ready(argv[2], atof(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: podclient start SOCKET NAME POLL_US | exec COMMAND [ARG...] |\n"
	                "       create|delete SOCKET PREFIX N CLIENTS |\n"
	                "       churn SOCKET PREFIX N CLIENTS MS | get SOCKET PREFIX N COUNT |\n"
	                "       floor COUNT BYTES | ready SOCKET T0 N\n");
	return 2;
}
