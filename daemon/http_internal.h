/* daemon/http_internal.h: shared by http.c (the server, its connections and their bounds) and
 * http_stream.c (answers sent as they are produced). Nothing else includes it. */
#pragma once

#include <microhttpd.h>

#include "http.h"

/* libmicrohttpd's own connection limit is max_connections plus a quarter, at least this: the
 * connections past max_connections are accepted so that they can be told (503) or make room,
 * not left in the backlog. */
#define HTTP_REFUSAL_HEADROOM 64

struct http_count {
	const char *method; /* static */
	unsigned code;
	uint64_t n;
};

/* Log lines a flood of clients repeats: a few a second, the rest counted. */
struct http_ratelimit {
	uint64_t window_usec;
	unsigned in_window;
	uint64_t suppressed;
};

struct http_client;

struct http_server {
	struct MHD_Daemon *mhd;
	sd_event *event;
	sd_event_source *io;
	sd_event_source *timer;    /* MHD_get_timeout */
	sd_event_source *deadline; /* the earliest header deadline of a client */
	sd_event_source *listen;   /* our listen socket (on_listen) */
	int listen_fd;
	bool unix_socket; /* listen_fd is AF_UNIX: peer credentials are read */
	bool tls;         /* HTTPS: nothing is written to a socket but through MHD */
	char *tls_cert_pem, *tls_key_pem; /* what MHD was given, kept while it runs */
	bool accepting_paused;            /* at MHD's connection limit: on again when one closes */
	struct http_options options;
	unsigned mhd_connection_limit;
	struct http_handler handler;
	/* MHD must run in this loop iteration even if its epoll fd says nothing: a connection
	 * was resumed, added or closed */
	bool run_again;
	/* http_server_drain: the daemon stops, a new request is answered 503; the deferred
	 * answers resumed (http_deferred_complete) and not yet sent */
	bool stopping;
	size_t n_answers_out;
	struct http_count *counts; /* nanolet_api_requests_total */
	size_t n_counts;
	size_t n_clients; /* connections open */
	size_t n_closing; /* ... of which we shut down, until MHD closes them */
	/* clients waiting for a request header, in deadline order: since they connected, and
	 * since their last answer (the deadlines of each list grow with the time they joined) */
	struct http_client *fresh_head, *fresh_tail;
	struct http_client *kept_head, *kept_tail;
	struct http_ratelimit refused_log, dropped_log, warnings_log, mhd_log;
};

/* One connection (MHD's socket context). */
struct http_client {
	struct http_server *server;
	int fd;
	bool over_limit; /* opened past max_connections: its first request is answered 503 */
	bool closing;    /* shut down by us (408, eviction): MHD closes it next */
	/* which deadline list it is on (NULL: none), its place there, and the deadline */
	struct http_client **head, **tail;
	struct http_client *prev, *next;
	uint64_t since_usec; /* waiting for a request header since */
	uint64_t deadline_usec;
	struct peer_cred peer; /* read when the connection was accepted */
	bool upgraded;         /* taken over (http_upgrade): no deadline any more */
};

/* One request in flight: its body as it arrives, and an answer that comes later. */
struct http_conn {
	bool started;         /* the header was in: on_request ran once */
	bool refused;         /* ... and was answered at once (503, 400, 414, 431, 413) */
	unsigned refuse_code; /* the target failed http_check_target: answer this */
	char *refuse_message; /* ... with this message */
	char *target;         /* the request target as sent */
	char *body;
	size_t len;
	size_t cap;
	bool too_large;
	size_t discarded; /* body bytes dropped once too_large */
	bool to_file;     /* the body goes to file (http_body_file) */
	struct http_body_file file;
	size_t file_len; /* written so far */

	struct MHD_Connection *connection;
	struct http_server *server;
	bool deferred;        /* http_defer() was called */
	bool deferred_pretty; /* the deferred answer is indented (http_response.pretty) */
	bool suspended;       /* ... and the connection waits for the answer */
	bool answered;        /* ... which is in pending */
	bool answer_out;      /* ... counted in n_answers_out until the request completes */
	struct http_response pending;
	struct http_stream *stream; /* http_stream_open() was called */
	/* http_upgrade() was called: the 101's headers, and who gets the connection */
	bool upgrade;
	char **upgrade_headers;
	struct http_upgrade_ops upgrade_ops;
	void *upgrade_data;
	/* http_on_answer(): told once */
	void (*on_answer)(unsigned code, const char *body, size_t body_len, void *userdata);
	void *answer_data;
};

/* http.c */
void http_count_answer(struct http_server *server, const char *method, unsigned code);
/* The connection's socket, -1 when MHD does not say. */
int http_connection_fd(struct MHD_Connection *connection);

/* http_stream.c: queues the stream's response; from here MHD owns the stream. */
enum MHD_Result http_stream_queue(struct http_server *server, const char *method,
                                  struct MHD_Connection *connection, struct http_stream *stream);
