/* daemon/http.c: libmicrohttpd glued to the daemon's sd-event loop.
 *
 * MHD runs in external epoll mode: no thread of its own. Its epoll fd is one io source here; when
 * it is readable we call MHD_run(). MHD also needs to be run when nothing is readable (connection
 * timeouts, connections resumed or with buffered data), which MHD_get_timeout() tells: a prepare
 * callback re-arms one timer source from it before every poll of the loop.
 *
 * A request reaches routes_handle() whole, its body bounded by max_request_bytes: a
 * Content-Length above the limit is answered 413 on the first call, before any body is read (MHD
 * then closes the connection instead of reading the upload); a chunked body is counted as it
 * arrives; once it crosses the limit nothing more is kept and the 413 goes out when the body
 * ends (MHD 0.9.75 cannot queue a response while it reads a body), or the connection is closed
 * unanswered if the client keeps sending past HTTP_MAX_DISCARD_BYTES.
 * This file knows HTTP, not the API: what a path means is routes.c's business. */
#include "http.h"

#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include <microhttpd.h>

#include "routes.h"

struct http_server {
	struct MHD_Daemon *mhd;
	sd_event_source *io;
	sd_event_source *timer;
	size_t max_request_bytes;
	struct nanoletd *daemon;
	bool resumed; /* a connection was resumed: MHD must run in this loop iteration */
	struct http_count *counts; /* nanolet_api_requests_total */
	size_t n_counts;
};

struct http_count {
	const char *method; /* static */
	unsigned code;
	uint64_t n;
};

/* One request in flight: its body as it arrives, and an answer that comes later. */
struct http_conn {
	char *body;
	size_t len;
	size_t cap;
	bool too_large;
	size_t discarded; /* body bytes dropped once too_large */

	struct MHD_Connection *connection;
	struct http_server *server;
	bool deferred;  /* http_defer() was called */
	bool suspended; /* ... and the connection waits for the answer */
	bool answered;  /* ... which is in pending */
	struct http_response pending;
	struct http_stream *stream; /* http_stream_open() was called */
};

struct http_stream {
	struct MHD_Connection *connection;
	struct http_server *server;
	unsigned code;
	const char *content_type;
	char *buf;
	size_t len, off, cap;
	bool suspended; /* the reader found nothing and parked the connection */
	bool ended;     /* the owner said so: the owner lets go of the handle */
	void (*on_closed)(void *);
	void *userdata;
};

/* How much of an oversized chunked body is read and dropped before the connection is closed
 * without an answer. */
#define HTTP_MAX_DISCARD_BYTES ((size_t)64 << 20)

const char *http_query(const struct http_request *req, const char *key)
{
	if (!req || !req->connection || !key)
		return NULL;
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

void http_response_done(struct http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	strv_free(resp->warnings);
	*resp = (struct http_response){0};
}

/* `Warning: 299 - "text"`: the text is a quoted-string (RFC 9110), so quotes and backslashes
 * are escaped, and a line break would end the header, so it becomes a space. */
static char *warning_header(const char *text)
{
	size_t len = strlen(text);
	char *out = malloc(len * 2 + sizeof("299 - \"\""));
	char *p = out;

	if (!out)
		return NULL;
	p = stpcpy(p, "299 - \"");
	for (const char *s = text; *s; s++) {
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = (*s == '\r' || *s == '\n') ? ' ' : *s;
	}
	strcpy(p, "\"");
	return out;
}

/* A method outside HTTP's own is counted as OTHER: a client must not grow the table. */
static void count_answer(struct http_server *server, const char *method, unsigned code)
{
	static const char *const methods[] = {"GET",    "HEAD",    "POST",  "PUT",
	                                      "DELETE", "OPTIONS", "PATCH", "OTHER"};
	const char *m = methods[sizeof(methods) / sizeof(methods[0]) - 1];
	struct http_count *grown;

	for (size_t i = 0; i + 1 < sizeof(methods) / sizeof(methods[0]); i++)
		if (method && strcmp(method, methods[i]) == 0)
			m = methods[i];
	for (size_t i = 0; i < server->n_counts; i++)
		if (server->counts[i].method == m && server->counts[i].code == code) {
			server->counts[i].n++;
			return;
		}
	grown = realloc(server->counts, (server->n_counts + 1) * sizeof(*grown));
	if (!grown)
		return;
	server->counts = grown;
	server->counts[server->n_counts++] = (struct http_count){m, code, 1};
}

void http_server_counts(const struct http_server *server,
                        void (*fn)(const char *method, unsigned code, uint64_t n, void *userdata),
                        void *userdata)
{
	for (size_t i = 0; i < server->n_counts; i++)
		fn(server->counts[i].method, server->counts[i].code, server->counts[i].n, userdata);
}

static enum MHD_Result send_response(struct http_server *server, const char *method,
                                     struct MHD_Connection *connection, struct http_response *resp)
{
	struct MHD_Response *response;
	enum MHD_Result ret;

	count_answer(server, method, resp->code);
	response = MHD_create_response_from_buffer(resp->body_len, resp->body ? resp->body : "",
	                                           MHD_RESPMEM_MUST_COPY);
	if (!response)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, resp->allow);
	for (size_t i = 0; resp->warnings && resp->warnings[i]; i++) {
		_cleanup_free_ char *value = warning_header(resp->warnings[i]);

		if (value)
			MHD_add_response_header(response, MHD_HTTP_HEADER_WARNING, value);
	}
	ret = MHD_queue_response(connection, resp->code, response);
	MHD_destroy_response(response);
	return ret;
}

static enum MHD_Result send_too_large(struct http_server *server, const char *method,
                                      struct MHD_Connection *connection)
{
	struct http_response resp = {0};
	_cleanup_free_ char *message = strdupf(
	        "the request body is larger than the limit of %zu bytes (max_request_bytes)",
	        server->max_request_bytes);
	enum MHD_Result ret;

	routes_status(&resp, 413, "RequestEntityTooLarge",
	              message ? message : "the request body is too large");
	ret = send_response(server, method, connection, &resp);
	http_response_done(&resp);
	return ret;
}

struct http_deferred *http_defer(const struct http_request *req)
{
	if (!req->conn)
		return NULL;
	req->conn->deferred = true;
	return (struct http_deferred *)req->conn;
}

void http_deferred_complete(struct http_deferred *deferred, struct http_response *resp)
{
	struct http_conn *conn = (struct http_conn *)deferred;

	conn->pending = *resp;
	*resp = (struct http_response){0};
	conn->answered = true;
	/* resumed, MHD calls on_request once more, which sends the answer */
	if (conn->suspended) {
		conn->suspended = false;
		MHD_resume_connection(conn->connection);
		/* in external mode nothing wakes MHD: the loop must run it (on_prepare) */
		conn->server->resumed = true;
	}
}

static void stream_wake(struct http_stream *s)
{
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->connection);
		s->server->resumed = true;
	}
}

int http_stream_write(struct http_stream *s, const char *data, size_t len)
{
	if (s->off > 0 && s->off == s->len)
		s->off = s->len = 0;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *grown;

		while (cap < s->len + len)
			cap *= 2;
		grown = realloc(s->buf, cap);
		if (!grown)
			return -ENOMEM;
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	stream_wake(s);
	return 0;
}

void http_stream_end(struct http_stream *s)
{
	s->ended = true;
	s->on_closed = NULL;
	stream_wake(s);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	size_t n = s->len - s->off;

	(void)pos;
	if (n > 0) {
		n = n < max ? n : max;
		memcpy(buf, s->buf + s->off, n);
		s->off += n;
		return (ssize_t)n;
	}
	if (s->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* nothing yet: park the connection until the owner writes (MHD's prescribed pattern) */
	s->suspended = true;
	MHD_suspend_connection(s->connection);
	return 0;
}

static void stream_free(void *cls)
{
	struct http_stream *s = cls;

	if (s->on_closed)
		s->on_closed(s->userdata);
	free(s->buf);
	free(s);
}

struct http_stream *http_stream_open(const struct http_request *req, unsigned code,
                                     const char *content_type, void (*on_closed)(void *),
                                     void *userdata)
{
	struct http_stream *s;

	if (!req->conn || req->conn->stream)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct http_stream){.connection = req->connection,
	                          .server = req->conn->server,
	                          .code = code,
	                          .content_type = content_type,
	                          .on_closed = on_closed,
	                          .userdata = userdata};
	req->conn->stream = s;
	return s;
}

/* Queues the stream's response; from here MHD owns the stream and frees it (stream_free). */
static enum MHD_Result send_stream(struct http_server *server, const char *method,
                                   struct MHD_Connection *connection, struct http_stream *s)
{
	struct MHD_Response *response;
	enum MHD_Result ret;

	count_answer(server, method, s->code);
	response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s,
	                                             stream_free);
	if (!response) {
		stream_free(s);
		return MHD_NO;
	}
	if (s->content_type)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, s->content_type);
	ret = MHD_queue_response(connection, s->code, response);
	MHD_destroy_response(response);
	return ret;
}

static int body_append(struct http_conn *conn, const char *data, size_t size)
{
	if (conn->len + size + 1 > conn->cap) {
		size_t cap = conn->cap ? conn->cap : 4096;
		char *grown;

		while (cap < conn->len + size + 1)
			cap *= 2;
		grown = realloc(conn->body, cap);
		if (!grown)
			return -ENOMEM;
		conn->body = grown;
		conn->cap = cap;
	}
	memcpy(conn->body + conn->len, data, size);
	conn->len += size;
	conn->body[conn->len] = '\0'; /* a NUL after the body, for parsers that want one */
	return 0;
}

/* MHD calls this once when the headers are in, once per piece of body, and once more when the
 * request is complete (*upload_data_size == 0 after the first call). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct http_server *server = cls;
	struct http_conn *conn = *req_cls;
	struct http_response resp = {0};
	struct http_request req;
	enum MHD_Result ret;

	(void)version;
	if (!conn) {
		const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);

		conn = calloc(1, sizeof(*conn));
		if (!conn)
			return MHD_NO;
		*req_cls = conn;
		/* Answering now, before the body is read, makes MHD skip the upload and close the
		 * connection after the answer; a client that sent Expect: 100-continue never
		 * sends the body at all. */
		if (length && strtoull(length, NULL, 10) > server->max_request_bytes) {
			conn->too_large = true;
			return send_too_large(server, method, connection);
		}
		return MHD_YES;
	}

	if (*upload_data_size > 0) {
		size_t size = *upload_data_size;

		*upload_data_size = 0; /* consumed, kept or not */
		if (conn->too_large) {
			/* Discarding is cheap, but not forever: past a bound, hang up unanswered.
			 */
			conn->discarded += size;
			if (conn->discarded > HTTP_MAX_DISCARD_BYTES) {
				log_warn("http: request body over %zu bytes and still coming: "
				         "closing the connection",
				         server->max_request_bytes);
				return MHD_NO;
			}
			return MHD_YES;
		}
		if (conn->len + size > server->max_request_bytes) {
			/* MHD 0.9.75 refuses MHD_queue_response() while it reads a body (it
			 * returns MHD_NO): the 413 goes out when the body ends, and nothing of
			 * the rest is kept. */
			conn->too_large = true;
			conn->discarded = conn->len + size;
			free(conn->body);
			conn->body = NULL;
			conn->len = conn->cap = 0;
			return MHD_YES;
		}
		if (body_append(conn, upload_data, size) < 0)
			return MHD_NO;
		return MHD_YES;
	}

	if (conn->too_large)
		return send_too_large(server, method, connection);
	if (conn->deferred) {
		/* resumed by http_deferred_complete(): the answer is ready */
		ret = send_response(server, method, connection, &conn->pending);
		http_response_done(&conn->pending);
		return ret;
	}

	req = (struct http_request){
	        .method = method,
	        .path = url,
	        .content_type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
	        .user_agent = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	                                                  MHD_HTTP_HEADER_USER_AGENT),
	        .body = conn->body ? conn->body : "",
	        .body_len = conn->len,
	        .connection = connection,
	        .conn = conn,
	};
	conn->connection = connection;
	conn->server = server;
	routes_handle(server->daemon, &req, &resp);
	if (conn->stream) {
		http_response_done(&resp);
		return send_stream(server, method, connection, conn->stream);
	}
	if (conn->deferred && !conn->answered) {
		http_response_done(&resp);
		conn->suspended = true;
		MHD_suspend_connection(connection);
		return MHD_YES;
	}
	if (conn->deferred) { /* completed before the route returned */
		ret = send_response(server, method, connection, &conn->pending);
		http_response_done(&conn->pending);
	} else {
		ret = send_response(server, method, connection, &resp);
	}
	http_response_done(&resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
	struct http_conn *conn = *req_cls;

	(void)cls;
	(void)connection;
	(void)code;
	if (conn) {
		free(conn->body);
		http_response_done(&conn->pending);
		free(conn);
		*req_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	(void)cls;
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	log_warn("http: %s", text);
}

static void run_mhd(struct http_server *server)
{
	server->resumed = false;
	if (MHD_run(server->mhd) != MHD_YES)
		log_warn("http: MHD_run failed");
}

static int on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	(void)source;
	(void)fd;
	(void)revents;
	run_mhd(userdata);
	return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	(void)source;
	(void)usec;
	run_mhd(userdata);
	return 0;
}

/* Before every poll: MHD says how long it may wait (0 when it has work already). */
static int on_prepare(sd_event_source *source, void *userdata)
{
	struct http_server *server = userdata;
	MHD_UNSIGNED_LONG_LONG timeout_ms;
	int r;

	(void)source;
	if (server->resumed)
		timeout_ms = 0;
	else if (MHD_get_timeout(server->mhd, &timeout_ms) != MHD_YES)
		return sd_event_source_set_enabled(server->timer, SD_EVENT_OFF);
	r = sd_event_source_set_time_relative(server->timer, (uint64_t)timeout_ms * 1000);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(server->timer, SD_EVENT_ONESHOT);
}

int http_server_new(sd_event *event, int listen_fd, size_t max_request_bytes,
                    struct nanoletd *daemon, struct http_server **out, struct nano_err *err)
{
	struct http_server *server;
	const union MHD_DaemonInfo *info;
	int r;

	server = calloc(1, sizeof(*server));
	if (!server) {
		close(listen_fd);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	server->max_request_bytes = max_request_bytes;
	server->daemon = daemon;

	/* Port 0 and our own listen socket: MHD binds nothing. It learns from getsockname()
	 * that the socket is AF_UNIX and then skips its TCP options on accepted connections. */
	server->mhd = MHD_start_daemon(
	        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	        on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	        MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	        NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	        MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
	if (!server->mhd) {
		/* Whether MHD closed the socket on failure is not documented: close it if open. */
		if (fcntl(listen_fd, F_GETFD) >= 0)
			close(listen_fd);
		free(server);
		return nano_err_set(err, EIO, "libmicrohttpd refused to start on the socket");
	}

	info = MHD_get_daemon_info(server->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		http_server_free(server);
		return nano_err_set(err, EIO, "libmicrohttpd has no epoll fd");
	}
	r = sd_event_add_io(event, &server->io, info->epoll_fd, EPOLLIN, on_io, server);
	if (r >= 0)
		r = sd_event_source_set_prepare(server->io, on_prepare);
	if (r >= 0)
		r = sd_event_add_time_relative(event, &server->timer, CLOCK_MONOTONIC, 0, 0,
		                               on_timer, server);
	if (r >= 0)
		r = sd_event_source_set_enabled(server->timer, SD_EVENT_OFF);
	if (r < 0) {
		http_server_free(server);
		return nano_err_set(err, -r, "add http sources to the event loop: %s",
		                    strerror(-r));
	}
	(void)sd_event_source_set_description(server->io, "http-epoll");
	(void)sd_event_source_set_description(server->timer, "http-timeout");
	*out = server;
	return 0;
}

struct http_server *http_server_free(struct http_server *server)
{
	if (!server)
		return NULL;
	/* Sources first: the epoll fd they watch dies with the MHD daemon. */
	server->io = sd_event_source_disable_unref(server->io);
	server->timer = sd_event_source_disable_unref(server->timer);
	if (server->mhd)
		MHD_stop_daemon(server->mhd);
	free(server->counts);
	free(server);
	return NULL;
}
