/* pkg/probe/probe_internal.h: what tcp.c, http.c and grpc.c share inside pkg/probe — one check
 * (struct probe_check: its socket, its io source, its deadline, how it ends) and the words of
 * Go's errors the kubelet's messages are made of. Not for other packages: probe.h is the
 * interface.
 */
#pragma once

#include <sys/types.h>

#include "probe/probe.h"

struct probe_check;

/* What a kind of check does on its socket's events and when it is freed. */
struct probe_ops {
	/* the connect finished (error 0) or failed (a positive errno) */
	void (*connected)(struct probe_check *c, int error);
	/* revents on the connected socket */
	void (*io)(struct probe_check *c, uint32_t revents);
	/* the deadline passed before the check ended */
	void (*timeout)(struct probe_check *c);
	void (*free)(void *state);
};

struct probe_check {
	sd_event *event;
	sd_event_source *io, *timer, *defer;
	int fd;
	bool connecting;
	bool starting; /* inside *_start: an end now waits for a defer source */
	uint64_t timeout_usec;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[64]; /* "127.0.0.1:8080", "[::1]:8080": Go's JoinHostPort */
	const struct probe_ops *ops;
	void *state;
	probe_done_fn *fn;
	void *userdata;
	enum probe_result result; /* an end waiting for the defer source */
	char *message;
};

/* What each *_start ends with: a check on fd (taken in every case) to addr, with its
 * deadline, connecting (ops->connected follows); state is ops' (ops->free'd on a failure).
 * An end that comes before this returns is delivered from the loop. */
int probe_check_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                      uint64_t timeout_usec, const struct probe_ops *ops, void *state,
                      probe_done_fn *fn, void *userdata, struct probe_check **out,
                      struct nano_err *err);
/* Starts the connect of c->fd to c->addr; ops->connected follows. */
int probe_check_connect(struct probe_check *c, struct nano_err *err);
/* Replaces the socket (a redirect's new connection) and connects it to addr. */
int probe_check_reconnect(struct probe_check *c, int fd, const struct sockaddr *addr,
                          socklen_t addr_len, struct nano_err *err);
/* The events the connected socket's io source waits for. */
int probe_check_want(struct probe_check *c, uint32_t events);
/* Ends the check: fn(result, message), then c is freed (after *_start returned, through a
 * defer source, when that is still running). */
void probe_check_end(struct probe_check *c, enum probe_result result, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Go's words for an errno, as its syscall package has them ("connection refused"). */
const char *probe_errno_text(int error);
/* Go's time.Duration String() of usec: "1s", "500ms", "1m30s". */
void probe_duration(uint64_t usec, char *buf, size_t size);
/* "host:port" as Go's net.JoinHostPort: IPv6 in brackets. */
void probe_join_host_port(const char *host, unsigned port, char *buf, size_t size);
/* The address and port of a sockaddr in text ("127.0.0.1", 8080). */
int probe_sockaddr_host(const struct sockaddr *addr, char *host, size_t size, unsigned *port);

/* ---- tls.c: GnuTLS on a check's socket, the certificate not verified --------------------------
 */

struct probe_tls;
#define PROBE_TLS_AGAIN (-100000) /* would block: wait for *want */
/* A client session on fd, SNI server_name unless it is an address; or a GnuTLS error. */
int probe_tls_new(int fd, const char *server_name, struct probe_tls **out);
/* 1 when done, 0 to wait for *want (EPOLLIN or EPOLLOUT), or a GnuTLS error. */
int probe_tls_handshake(struct probe_tls *t, uint32_t *want);
/* Bytes moved, 0 at the end (recv), PROBE_TLS_AGAIN to wait for *want, or a GnuTLS error. */
ssize_t probe_tls_send(struct probe_tls *t, const void *buf, size_t len, uint32_t *want);
ssize_t probe_tls_recv(struct probe_tls *t, void *buf, size_t len, uint32_t *want);
const char *probe_tls_strerror(int r);
/* Whether the server's first bytes were "HTTP/": a plain HTTP server, which Go names. */
bool probe_tls_server_is_http(const struct probe_tls *t);
void probe_tls_free(struct probe_tls *t);
