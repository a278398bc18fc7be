/* daemon/http.h: the HTTP server glue. libmicrohttpd in external epoll mode, driven by the
 * daemon's sd-event loop: the MHD epoll fd is an io source, MHD_get_timeout a timer. Requests
 * arrive whole (body bounded by max_request_bytes) at the handler the server was given, after
 * the bounds every client is held to (http_options: connections, header timeouts, URL and
 * header sizes) were checked; a request past one is answered here, in the body the handler's
 * status function makes, with a log line. It knows HTTP only: which paths exist and what an
 * answer says are the handler's (daemon/routes.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "peer.h"
#include "util/util.h"

struct MHD_Connection;
struct http_conn;
struct audit_request;
struct token_user;

struct http_request {
	const char *method;
	const char *path;         /* URL path, without the query */
	const char *content_type; /* NULL when absent */
	const char *user_agent;   /* NULL when absent */
	const char *body;
	size_t body_len;
	struct MHD_Connection *connection;
	struct http_conn *conn; /* for http_defer() and http_stream_open() */
	/* who is asking: the connection's peer credentials (known false but on a unix socket) */
	const struct peer_cred *peer;
	const char *target;          /* the request target as sent, query included */
	struct audit_request *audit; /* the routes' record of it (routes.c); NULL before */
	/* the bearer token's user, on the TLS listener (routes.c); NULL on the unix socket */
	const struct token_user *token_user;
	/* a body the handler's body_file asked for: written to its file (body is then "" and
	 * body_len what was written), and the handler's data for it; NULL otherwise */
	void *body_file;
};

/* A query-string argument, NULL when absent ("?dryRun=All" -> "All"). */
const char *http_query(const struct http_request *req, const char *key);
/* Every value of a repeated query argument, in order ("?command=ls&command=-l"): a
 * NULL-terminated list (empty when absent), NULL on ENOMEM. */
char **http_query_all(const struct http_request *req, const char *key);
/* A request header's value (name case-insensitive), NULL when absent. */
const char *http_header(const struct http_request *req, const char *name);

struct http_response {
	unsigned code;
	const char *content_type; /* static string */
	char *body;               /* owned */
	size_t body_len;
	char **warnings;      /* `Warning: 299 - "..."` headers, bounded by max_warning_bytes */
	const char *allow;    /* static string: the Allow header of a 405, NULL for none */
	unsigned retry_after; /* seconds for a Retry-After header (429, 503); 0 for none */
	bool close;           /* Connection: close: the connection ends after this answer */
	bool pretty;          /* JSON indented for a person (curl, wget, ?pretty=true) */
};

/* Releases what a response owns (body, warnings) and zeroes it. */
void http_response_done(struct http_response *resp);

struct http_server;

/* What one client may hold (config.h names the keys; README "Limits"). */
struct http_options {
	size_t max_request_bytes;   /* body: 413 past it */
	size_t max_connections;     /* 503 past it (libmicrohttpd's own limit is a quarter above) */
	unsigned idle_timeout;      /* seconds without traffic: closed */
	unsigned header_timeout;    /* seconds to send a request's header: 408, closed */
	size_t max_url_bytes;       /* 414 past it */
	size_t max_header_bytes;    /* 431 past it */
	size_t max_header_count;    /* 431 past it */
	size_t max_warning_bytes;   /* Warning headers of one answer */
	size_t stream_buffer_bytes; /* what a stream holds for a client that does not read */
	size_t fd_budget; /* descriptors connections may take; 0: no bound but RLIMIT_NOFILE's */
	/* HTTPS (libmicrohttpd's, over GnuTLS) with this certificate (chain) and key, PEM (copied);
	 * NULL: plain HTTP */
	const char *tls_cert_pem;
	const char *tls_key_pem;
};

/* The descriptors max_connections wants: one per connection, and the refused ones beyond it
 * that libmicrohttpd still accepts. */
size_t http_fds_wanted(size_t max_connections);

/* A request body written to a file as it arrives, never whole in memory. The writes are
 * plain write(2)s on the loop: a local file under the state directory, as the logs are. */
struct http_body_file {
	int fd;                   /* open for writing; the server's from here (it closes it) */
	size_t limit;             /* 413 past it */
	const char *limit_key;    /* the config key the 413 names: "max_image_archive_bytes" */
	void *data;               /* the handler's, as http_request.body_file */
	void (*free)(void *data); /* when the request ends, answered or not */
};

/* Who answers: handle fills resp for a whole request (or defers it, or opens a stream); status
 * fills resp with the body of an answer the server gives itself (408, 413, 414, 431, 503, ...)
 * with a code, a reason word and a message. */
struct http_handler {
	void (*handle)(void *userdata, const struct http_request *req, struct http_response *resp);
	void (*status)(struct http_response *resp, unsigned code, const char *reason,
	               const char *message);
	void *userdata;
	/* May be NULL. Asked when a request's header is in (req without a body): 1 with out
	 * filled for a body that goes to a file rather than memory (an image archive), 0 for the
	 * usual body in memory. */
	int (*body_file)(void *userdata, const struct http_request *req,
	                 struct http_body_file *out);
};

/* Serves on listen_fd (already bound and listening; the server takes ownership, also on
 * failure): a unix socket, whose connections' peer credentials go with their requests, or a TCP
 * one. */
int http_server_new(sd_event *event, int listen_fd, const struct http_options *options,
                    const struct http_handler *handler, struct http_server **out,
                    struct nano_err *err);
/* At the daemon's stop, before http_server_free: sends what is already answered (the stop
 * answers a create or delete still waiting: 503), for at most timeout_usec. Takes no new
 * connection, and answers a new request on an open one 503, with the connection closed. */
void http_server_drain(struct http_server *server, uint64_t timeout_usec);
struct http_server *http_server_free(struct http_server *server);

/* Connections open now. */
size_t http_server_connections(const struct http_server *server);

/* The answers sent so far, by method (GET ... PATCH, OTHER) and status code. */
void http_server_counts(const struct http_server *server,
                        void (*fn)(const char *method, unsigned code, uint64_t n, void *userdata),
                        void *userdata);

/* fn runs once with the answer's code and body when the answer to req goes out (a deferred
 * answer when it completes, a stream when it starts, with no body), or with code 0 when the
 * request ends unanswered; it owns userdata from here. For the audit log. */
void http_on_answer(const struct http_request *req,
                    void (*fn)(unsigned code, const char *body, size_t body_len, void *userdata),
                    void *userdata);

/* ---- answers that come later ------------------------------------------------------------- */

/* A route that cannot answer at once (a DELETE waiting for the pod's processes to end) calls
 * http_defer() and leaves its response empty: the connection is suspended when the route
 * returns, costing nothing while it waits, and resumed by http_deferred_complete(), which takes
 * the response's contents. The handle is valid until then; completing it is mandatory. */
struct http_deferred;
/* resp: the route's response as the handler set it up; the later one keeps its pretty. */
struct http_deferred *http_defer(const struct http_request *req, const struct http_response *resp);
/* A response to fill for deferred: empty, indented as the request asked. */
void http_deferred_response(const struct http_deferred *deferred, struct http_response *out);
void http_deferred_complete(struct http_deferred *deferred, struct http_response *resp);

/* A response of unknown length sent as it is produced (logs), in chunked encoding, with
 * backpressure: what the client has not read yet is held up to stream_buffer_bytes; past it
 * http_stream_write() says so and the owner stops producing until on_drain. While nothing is
 * buffered the connection is suspended (no busy loop, no thread), and a client that hangs up
 * meanwhile is noticed at once (EPOLLRDHUP on its socket), as one that stops reading is by
 * http_idle_timeout. on_closed runs once when the connection goes away before
 * http_stream_end(); after it, or after http_stream_end(), the handle must not be used. */
struct http_stream;
struct http_stream_ops {
	void (*on_drain)(void *userdata);  /* room again after a write said full; may be NULL */
	void (*on_closed)(void *userdata); /* the client went away */
};
struct http_stream *http_stream_open(const struct http_request *req, unsigned code,
                                     const char *content_type, const struct http_stream_ops *ops,
                                     void *userdata);
/* Appends data (all of it). 0 while what is buffered is below stream_buffer_bytes, 1 once it
 * is at or past it (wait for on_drain), -ENOMEM. */
int http_stream_write(struct http_stream *stream, const char *data, size_t len);
void http_stream_end(struct http_stream *stream);

/* ---- connections taken over (WebSocket) -------------------------------------------------- */

/* A route that takes the connection over (an exec's WebSocket) calls http_upgrade() and leaves
 * its response empty: the answer is 101 Switching Protocols with "Upgrade: websocket" and the
 * headers given (name, value, ..., NULL; copied), and once it is sent, on_upgraded gets the
 * connection's socket (non-blocking) and what the client sent after its request (extra,
 * borrowed for the call). From then on the socket's bytes are the owner's, no header or idle
 * deadline applies, and http_upgraded_close() ends it: libmicrohttpd closes the socket, never
 * the owner. When the connection ends before the 101 went out, on_failed runs instead: exactly
 * one of the two runs, never before the route returned. Every upgraded connection must be
 * closed before http_server_free(). */
struct http_upgraded;
struct http_upgrade_ops {
	void (*on_upgraded)(void *userdata, struct http_upgraded *upgraded, int fd,
	                    const char *extra, size_t extra_len);
	void (*on_failed)(void *userdata);
};
void http_upgrade(const struct http_request *req, const char *const *headers,
                  const struct http_upgrade_ops *ops, void *userdata);
void http_upgraded_close(struct http_upgraded *upgraded);
