/* daemon/http.h: the HTTP server glue. libmicrohttpd in external epoll mode, driven by the
 * daemon's sd-event loop: the MHD epoll fd is an io source, MHD_get_timeout a timer. Requests
 * arrive whole (body bounded by max_request_bytes) at routes_handle(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "util/util.h"

struct MHD_Connection;
struct nanoletd;

struct http_request {
	const char *method;
	const char *path;         /* URL path, without the query */
	const char *content_type; /* NULL when absent */
	const char *user_agent;   /* NULL when absent */
	const char *body;
	size_t body_len;
	struct MHD_Connection *connection;
};

/* A query-string argument, NULL when absent ("?dryRun=All" -> "All"). */
const char *http_query(const struct http_request *req, const char *key);

struct http_response {
	unsigned code;
	const char *content_type; /* static string */
	char *body;               /* owned */
	size_t body_len;
	char **warnings;   /* one `Warning: 299 - "..."` header each */
	const char *allow; /* static string: the Allow header of a 405, NULL for none */
	bool pretty;       /* JSON indented for a person (curl, wget, ?pretty=true) */
};

/* Releases what a response owns (body, warnings) and zeroes it. */
void http_response_done(struct http_response *resp);

struct http_server;

/* Serves on listen_fd (already bound and listening; the server takes ownership, also on
 * failure). A request whose body passes max_request_bytes is answered 413 without reaching the
 * routes. */
int http_server_new(sd_event *event, int listen_fd, size_t max_request_bytes,
                    struct nanoletd *daemon, struct http_server **out, struct nano_err *err);
struct http_server *http_server_free(struct http_server *server);
