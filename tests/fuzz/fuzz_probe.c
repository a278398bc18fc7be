/* tests/fuzz/fuzz_probe.c: what a pod's server answers a probe — bytes the daemon (root) reads
 * from any pod. The first byte picks the check (even: httpGet, odd: grpc); the rest is what a
 * server on 127.0.0.1 sends on every connection the check opens (a redirect's too), before it
 * closes its side. The real checks run on a real loop: fn is called exactly once, with a result
 * and a bounded message, and every descriptor the check opened is closed. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "probe/probe.h"

#define MAX_CONNS 16

static sd_event *event;
static int listener = -1;
static struct sockaddr_in server_addr;
static const uint8_t *answer;
static size_t answer_size;

struct conn {
	int fd;
	size_t off;
	sd_event_source *source;
};

static struct conn conns[MAX_CONNS];

struct outcome {
	int calls;
	enum probe_result result;
	size_t message_len;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void conn_close(struct conn *c)
{
	c->source = sd_event_source_disable_unref(c->source);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* The answer, then the write side closed; what the check sends is read and dropped (a close
 * with it unread would be a reset). */
static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct conn *c = userdata;
	char buf[4096];

	(void)s;
	if (c->off < answer_size && (revents & EPOLLOUT)) {
		ssize_t n = send(fd, answer + c->off, answer_size - c->off, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN) {
			conn_close(c);
			return 0;
		}
		if (n > 0)
			c->off += (size_t)n;
		if (c->off == answer_size) {
			shutdown(fd, SHUT_WR);
			sd_event_source_set_io_events(c->source, EPOLLIN);
		}
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			conn_close(c);
	}
	return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)s, (void)revents, (void)userdata;
	if (c < 0)
		return 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd < 0) {
			conns[i] = (struct conn){.fd = c};
			if (answer_size == 0)
				shutdown(c, SHUT_WR);
			if (sd_event_add_io(event, &conns[i].source, c,
			                    answer_size ? EPOLLOUT | EPOLLIN : EPOLLIN, on_conn,
			                    &conns[i]) < 0)
				abort();
			return 0;
		}
	}
	close(c);
	return 0;
}

static void setup(void)
{
	socklen_t len = sizeof(server_addr);
	sd_event_source *s;

	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	if (sd_event_new(&event) < 0)
		abort();
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	server_addr = (struct sockaddr_in){.sin_family = AF_INET,
	                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (listener < 0 || bind(listener, (struct sockaddr *)&server_addr, len) < 0 ||
	    listen(listener, 64) < 0 ||
	    getsockname(listener, (struct sockaddr *)&server_addr, &len) < 0)
		abort();
	if (sd_event_add_io(event, &s, listener, EPOLLIN, on_listen, NULL) < 0)
		abort();
	sd_event_source_set_floating(s, 1);
	/* the loop's timerfd, made at its first timer and kept: not a check's descriptor */
	if (sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, 1000000, 0, NULL, NULL) < 0)
		abort();
	sd_event_source_unref(s);
}

static void done(void *userdata, enum probe_result result, const char *message)
{
	struct outcome *o = userdata;

	o->calls++;
	o->result = result;
	o->message_len = strlen(message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_http_request request = {.host = "localhost", .path = "/healthz"};
	struct outcome o = {0};
	struct nano_err err = {0};
	struct probe_check *check;
	int fds, fd, r;

	if (size == 0)
		return 0;
	if (!event)
		setup();
	answer = data + 1;
	answer_size = size - 1;
	fds = count_fds();
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(fd >= 0);
	if (data[0] & 1)
		r = probe_grpc_start(event, fd, (struct sockaddr *)&server_addr,
		                     sizeof(server_addr), "svc", 2000000, done, &o, &check, &err);
	else
		r = probe_http_start(event, fd, (struct sockaddr *)&server_addr,
		                     sizeof(server_addr), &request, 2000000, done, &o, &check,
		                     &err);
	FUZZ_ASSERT(r == 0);
	while (o.calls == 0)
		FUZZ_ASSERT(sd_event_run(event, UINT64_MAX) >= 0);
	FUZZ_ASSERT(o.calls == 1);
	FUZZ_ASSERT(o.result == PROBE_SUCCESS || o.result == PROBE_FAILURE ||
	            o.result == PROBE_WARNING);
	/* a body's first 10 KiB, or a few words */
	FUZZ_ASSERT(o.message_len <= 10240 + 64);
	/* the check's own descriptors are closed; the server's ends close with it */
	for (int i = 0; i < MAX_CONNS; i++)
		conn_close(&conns[i]);
	FUZZ_ASSERT(count_fds() == fds);
	nano_err_clear(&err);
	return 0;
}
