/* pkg/probe/check.c: the life of one check on the daemon's loop — its socket's non-blocking
 * connect, an io source for whichever kind of check it is (probe_ops), the timer of its
 * deadline, and its end: fn called once, then everything closed and freed. An end that comes
 * while *_start still runs (a connect refused at once) waits for a defer source, so that fn is
 * never called before start returned; a cancelled check calls nothing.
 *
 * Also the words of Go's errors and durations, which the kubelet's messages are made of.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_internal.h"

static void check_free(struct probe_check *c)
{
	if (!c)
		return;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	sd_event_source_disable_unref(c->defer);
	if (c->fd >= 0)
		close(c->fd);
	if (c->ops && c->ops->free)
		c->ops->free(c->state);
	free(c->message);
	free(c);
}

void probe_check_cancel(struct probe_check *check)
{
	check_free(check);
}

static void deliver(struct probe_check *c)
{
	probe_done_fn *fn = c->fn;
	void *userdata = c->userdata;
	enum probe_result result = c->result;
	char *message = TAKE_PTR(c->message);

	/* freed first: fn may start the next check at once, and must find this one's fd closed */
	check_free(c);
	fn(userdata, result, message ? message : "");
	free(message);
}

static int on_defer(sd_event_source *s, void *userdata)
{
	(void)s;
	deliver(userdata);
	return 0;
}

void probe_check_end(struct probe_check *c, enum probe_result result, const char *fmt, ...)
{
	va_list ap;

	c->result = result;
	free(c->message);
	va_start(ap, fmt);
	if (vasprintf(&c->message, fmt, ap) < 0)
		c->message = NULL;
	va_end(ap);
	if (c->starting) {
		/* fn waits for the loop; nothing else of the check runs meanwhile */
		c->io = sd_event_source_disable_unref(c->io);
		c->timer = sd_event_source_disable_unref(c->timer);
		if (!c->defer && sd_event_add_defer(c->event, &c->defer, on_defer, c) < 0)
			log_error("probe: no defer source for a check's end: %m");
		return;
	}
	deliver(c);
}

static int check_started(struct probe_check *c, struct probe_check **out)
{
	c->starting = false;
	if (out)
		*out = c;
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct probe_check *c = userdata;

	(void)s;
	(void)usec;
	c->ops->timeout(c);
	return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct probe_check *c = userdata;
	int error = 0;
	socklen_t len = sizeof(error);

	(void)s;
	if (!c->connecting) {
		c->ops->io(c, revents);
		return 0;
	}
	c->connecting = false;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	c->ops->connected(c, error);
	return 0;
}

int probe_check_want(struct probe_check *c, uint32_t events)
{
	if (!c->io)
		return sd_event_add_io(c->event, &c->io, c->fd, events, on_io, c);
	return sd_event_source_set_io_events(c->io, events);
}

static int check_new(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                     uint64_t timeout_usec, const struct probe_ops *ops, void *state,
                     probe_done_fn *fn, void *userdata, struct probe_check **out,
                     struct nano_err *err)
{
	struct probe_check *c;
	unsigned port;
	char host[INET6_ADDRSTRLEN];
	int r;

	if (fd < 0 || !event || !addr || !fn || addr_len > sizeof(c->addr) ||
	    probe_sockaddr_host(addr, host, sizeof(host), &port) < 0) {
		if (fd >= 0)
			close(fd);
		if (ops->free)
			ops->free(state);
		return nano_err_set(err, EINVAL, "probe: a socket, an address and a callback");
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		if (ops->free)
			ops->free(state);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	*c = (struct probe_check){.event = event,
	                          .fd = fd,
	                          .starting = true,
	                          .timeout_usec = timeout_usec,
	                          .addr_len = addr_len,
	                          .ops = ops,
	                          .state = state,
	                          .fn = fn,
	                          .userdata = userdata};
	memcpy(&c->addr, addr, addr_len);
	probe_join_host_port(host, port, c->addr_text, sizeof(c->addr_text));
	/* 1 ms of slack: a deadline is a second or more, and the kubelet's is no finer */
	r = sd_event_add_time_relative(event, &c->timer, CLOCK_MONOTONIC, timeout_usec, 1000,
	                               on_timer, c);
	if (r < 0) {
		check_free(c);
		return nano_err_set(err, -r, "probe: timer: %s", strerror(-r));
	}
	*out = c;
	return 0;
}

int probe_check_connect(struct probe_check *c, struct nano_err *err)
{
	int r;

	if (connect(c->fd, (const struct sockaddr *)&c->addr, c->addr_len) < 0 &&
	    errno != EINPROGRESS) {
		/* refused or unreachable at once: the same end as a later one */
		c->connecting = false;
		c->ops->connected(c, errno);
		return 0;
	}
	/* writable when the connect finished, either way (SO_ERROR says which) */
	c->connecting = true;
	r = probe_check_want(c, EPOLLOUT);
	if (r < 0)
		return nano_err_set(err, -r, "probe: io source: %s", strerror(-r));
	return 0;
}

int probe_check_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                      uint64_t timeout_usec, const struct probe_ops *ops, void *state,
                      probe_done_fn *fn, void *userdata, struct probe_check **out,
                      struct nano_err *err)
{
	struct probe_check *c = NULL;
	int r = check_new(event, fd, addr, addr_len, timeout_usec, ops, state, fn, userdata, &c,
	                  err);

	if (r < 0)
		return r;
	r = probe_check_connect(c, err);
	if (r < 0) {
		probe_check_cancel(c);
		return r;
	}
	return check_started(c, out);
}

int probe_check_reconnect(struct probe_check *c, int fd, const struct sockaddr *addr,
                          socklen_t addr_len, struct nano_err *err)
{
	c->io = sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = fd;
	if (addr_len > sizeof(c->addr))
		return nano_err_set(err, EINVAL, "probe: address too long");
	memcpy(&c->addr, addr, addr_len);
	c->addr_len = addr_len;
	return probe_check_connect(c, err);
}

/* ---- Go's words -------------------------------------------------------------------------- */

const char *probe_errno_text(int error)
{
	/* Go's syscall error table: glibc's words with a lower-case first letter, and never
	 * translated */
	static __thread char buf[128];
	const char *text = strerrordesc_np(error);

	if (!text) {
		snprintf(buf, sizeof(buf), "errno %d", error);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Go's fmtFrac and fmtInt: v with prec decimals, trailing zeros and a lone point dropped. */
static size_t duration_part(char *buf, size_t size, uint64_t v, int prec, const char *unit)
{
	char frac[32] = "";
	uint64_t p = 1;
	int n;

	for (int i = 0; i < prec; i++)
		p *= 10;
	if (prec > 0 && v % p) {
		n = snprintf(frac, sizeof(frac), ".%0*llu", prec, (unsigned long long)(v % p));
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	n = snprintf(buf, size, "%llu%s%s", (unsigned long long)(v / p), frac, unit);
	return n < 0 ? 0 : (size_t)n;
}

void probe_duration(uint64_t usec, char *buf, size_t size)
{
	uint64_t ns = usec * 1000, s;
	size_t n = 0;

	if (usec == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (ns < 1000000000ULL) {
		if (ns < 1000000ULL)
			duration_part(buf, size, ns, 3, "µs");
		else
			duration_part(buf, size, ns, 6, "ms");
		return;
	}
	s = ns / 1000000000ULL;
	if (s >= 3600)
		n += (size_t)snprintf(buf + n, size - n, "%lluh", (unsigned long long)(s / 3600));
	if (s >= 60 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%llum",
		                      (unsigned long long)(s / 60 % 60));
	if (n < size)
		duration_part(buf + n, size - n, ns % 60000000000ULL, 9, "s");
}

void probe_join_host_port(const char *host, unsigned port, char *buf, size_t size)
{
	if (strchr(host, ':'))
		snprintf(buf, size, "[%s]:%u", host, port);
	else
		snprintf(buf, size, "%s:%u", host, port);
}

int probe_sockaddr_host(const struct sockaddr *addr, char *host, size_t size, unsigned *port)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;

		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)size) ? 0 : -errno;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;

		*port = ntohs(in6->sin6_port);
		return inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)size) ? 0 : -errno;
	}
	return -EAFNOSUPPORT;
}
