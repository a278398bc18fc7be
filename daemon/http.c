/* daemon/http.c: libmicrohttpd glued to the daemon's sd-event loop, and the bounds every client
 * is held to before a route sees its request.
 *
 * MHD runs in external epoll mode: no thread of its own. Its epoll fd is one io source here; when
 * it is readable we call MHD_run(). MHD also needs to run when nothing is readable (connection
 * timeouts, connections resumed or added), which MHD_get_timeout() and our run_again flag tell:
 * a prepare callback re-arms one timer source before every poll of the loop. The listen socket
 * is ours (on_listen): we accept, MHD gets each connection with MHD_add_connection(). The timer's
 * accuracy is 1 µs: sd-event's default accuracy (0 means 250 ms) turned each read of a request body
 * and each pipelined request into a quarter-second wait.
 *
 * The bounds (http.h, struct http_options), each refusal a Kubernetes Status and a log line:
 *   connections   every connection is counted (MHD_OPTION_NOTIFY_CONNECTION); past
 *                 max_connections the oldest idle one (waiting half a second or more for a request)
 *                 is closed to make room, or else a request on the new one is answered 503 and
 *                 the connection closed. MHD's own limit is a quarter higher (at least 64), so
 *                 that the refusal can be said.
 *   slow headers  a client has http_header_timeout seconds to send a request's header: from
 *                 the connection, or from the previous answer plus http_idle_timeout. Past it
 *                 it gets a 408 written straight to its socket and the socket is shut down,
 *                 which MHD then sees. (MHD's own timeout is an idle timeout: a client sending
 *                 one byte every few seconds never meets it.)
 *   target        http_check_target() on the target as sent (MHD_OPTION_URI_LOG_CALLBACK runs
 *                 before MHD decodes it): 414 past max_url_bytes, 400 for a NUL or control byte.
 *   header        431 past max_header_count fields or max_header_bytes. MHD's memory per
 *                 connection is sized to hold more than these, so that we answer, not MHD.
 *   body          a Content-Length above max_request_bytes is answered 413 on the first call,
 *                 before any body is read (MHD then closes the connection instead of reading
 *                 the upload); a chunked body is counted as it arrives; once it crosses the
 *                 limit nothing more is kept and the 413 goes out when the body ends (MHD 0.9.75
 *                 cannot queue a response while it reads a body), or the connection is closed
 *                 unanswered if the client keeps sending past HTTP_MAX_DISCARD_BYTES.
 *                 A body the handler asks for in a file (http_body_file: an image archive)
 *                 is written there as it comes, under that file's own limit and key.
 *   warnings      http_warning_values(): at most max_warning_bytes of Warning headers.
 * Each connection's peer credentials are read once, when MHD is handed it (peer.c), and go with
 * every request on it; http_on_answer() tells the routes the code of what was sent (the audit
 * log). This file knows HTTP, not the API: what a path means is routes.c's business. */
#include "http.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_check.h"
#include "http_internal.h"

/* How much of an oversized chunked body is read and dropped before the connection is closed
 * without an answer. */
#define HTTP_MAX_DISCARD_BYTES ((size_t)64 << 20)
/* MHD's memory per connection beyond the request line and header it must hold: the response
 * header (Warning headers included) and its read and write buffers. */
#define HTTP_POOL_SLACK ((size_t)32 << 10)
/* Header deadlines are seconds long: a tenth of a second late is fine, and lets sd-event
 * coalesce the wake-up with others. */
#define HTTP_DEADLINE_ACCURACY_USEC 100000

const char *http_query(const struct http_request *req, const char *key)
{
	if (!req || !req->connection || !key)
		return NULL;
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

struct query_values {
	const char *key;
	char **values;
	bool failed;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct query_values *q = cls;

	(void)kind;
	if (key && strcmp(key, q->key) == 0 &&
	    strv_push(&q->values, strdup(value ? value : "")) < 0)
		q->failed = true;
	return MHD_YES;
}

char **http_query_all(const struct http_request *req, const char *key)
{
	struct query_values q = {.key = key};

	if (req && req->connection && key)
		MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, collect_value,
		                          &q);
	if (!q.failed && !q.values)
		q.values = calloc(1, sizeof(char *));
	if (q.failed || !q.values) {
		strv_free(q.values);
		return NULL;
	}
	return q.values;
}

const char *http_header(const struct http_request *req, const char *name)
{
	if (!req || !req->connection || !name)
		return NULL;
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

void http_response_done(struct http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	strv_free(resp->warnings);
	*resp = (struct http_response){0};
}

int http_connection_fd(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);

	return info ? info->connect_fd : -1;
}

static uint64_t now_usec(const struct http_server *server)
{
	uint64_t now = 0;

	(void)sd_event_now(server->event, CLOCK_MONOTONIC, &now);
	return now;
}

/* true when this line may be logged: HTTP_LOG_BURST a second, the rest of a flood counted and
 * told with the next line logged. */
#define HTTP_LOG_BURST 10
static bool ratelimit_pass(struct http_server *server, struct http_ratelimit *rl,
                           uint64_t *suppressed)
{
	uint64_t now = now_usec(server);

	if (now - rl->window_usec >= 1000000) {
		rl->window_usec = now;
		rl->in_window = 0;
	}
	if (rl->in_window >= HTTP_LOG_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->in_window++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

/* A refusal's log line, at most one a second (a flood repeats them; the rest are counted). */
static void log_refusal(struct http_server *server, struct http_ratelimit *rl, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void log_refusal(struct http_server *server, struct http_ratelimit *rl, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	uint64_t suppressed = 0;
	va_list ap;

	if (!ratelimit_pass(server, rl, &suppressed))
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (suppressed)
		log_warn("http: %s (and %" PRIu64 " more lines like it left out)",
		         text ? text : "refused", suppressed);
	else
		log_warn("http: %s", text ? text : "refused");
}

/* A method outside HTTP's own is counted as OTHER: a client must not grow the table. */
void http_count_answer(struct http_server *server, const char *method, unsigned code)
{
	static const char *const methods[] = {"GET",    "HEAD",    "POST",  "PUT",
	                                      "DELETE", "OPTIONS", "PATCH", "OTHER"};
	const char *m = methods[ELEMENTSOF(methods) - 1];
	struct http_count *grown;

	for (size_t i = 0; i + 1 < ELEMENTSOF(methods); i++)
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

size_t http_server_connections(const struct http_server *server)
{
	return server ? server->n_clients : 0;
}

void http_server_counts(const struct http_server *server,
                        void (*fn)(const char *method, unsigned code, uint64_t n, void *userdata),
                        void *userdata)
{
	for (size_t i = 0; i < server->n_counts; i++)
		fn(server->counts[i].method, server->counts[i].code, server->counts[i].n, userdata);
}

static void add_warnings(struct http_server *server, struct MHD_Response *response,
                         char *const *warnings)
{
	_cleanup_strv_ char **values = NULL;
	size_t left_out = 0;

	if (!warnings || !*warnings)
		return;
	values = http_warning_values(warnings, server->options.max_warning_bytes, &left_out);
	if (left_out > 0)
		log_refusal(server, &server->warnings_log,
		            "%zu warnings left out of an answer: more than %zu bytes of Warning "
		            "headers (max_warning_bytes)",
		            left_out, server->options.max_warning_bytes);
	for (size_t i = 0; values && values[i]; i++)
		MHD_add_response_header(response, MHD_HTTP_HEADER_WARNING, values[i]);
}

static enum MHD_Result send_response(struct http_server *server, const char *method,
                                     struct MHD_Connection *connection, struct http_response *resp)
{
	struct MHD_Response *response;
	enum MHD_Result ret;

	http_count_answer(server, method, resp->code);
	response = MHD_create_response_from_buffer(resp->body_len, resp->body ? resp->body : "",
	                                           MHD_RESPMEM_MUST_COPY);
	if (!response)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->retry_after) {
		char seconds[16];

		snprintf(seconds, sizeof(seconds), "%u", resp->retry_after);
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	}
	if (resp->close)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	add_warnings(server, response, resp->warnings);
	ret = MHD_queue_response(connection, resp->code, response);
	MHD_destroy_response(response);
	return ret;
}

/* A refusal before the routes: a Status, Connection: close. */
static enum MHD_Result send_refusal(struct http_server *server, const char *method,
                                    struct MHD_Connection *connection, unsigned code,
                                    const char *reason, const char *message, unsigned retry_after)
{
	struct http_response resp = {0};
	enum MHD_Result ret;

	server->handler.status(&resp, code, reason, message ? message : reason);
	resp.close = true;
	resp.retry_after = retry_after;
	ret = send_response(server, method, connection, &resp);
	http_response_done(&resp);
	return ret;
}

/* The body limit of this request: max_request_bytes, or its body file's. */
static size_t body_limit(const struct http_server *server, const struct http_conn *conn)
{
	return conn->to_file ? conn->file.limit : server->options.max_request_bytes;
}

static enum MHD_Result send_too_large(struct http_server *server, struct http_conn *conn,
                                      const char *method, struct MHD_Connection *connection)
{
	_cleanup_free_ char *message = strdupf(
	        "the request body is larger than the limit of %zu bytes (%s)",
	        body_limit(server, conn),
	        conn->to_file && conn->file.limit_key ? conn->file.limit_key : "max_request_bytes");

	return send_refusal(server, method, connection, 413, "RequestEntityTooLarge",
	                    message ? message : "the request body is too large", 0);
}

/* ---- deadlines for request headers ---------------------------------------------------- */

static void deadline_unlink(struct http_client *c)
{
	if (!c->head)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		*c->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		*c->tail = c->prev;
	c->head = c->tail = NULL;
	c->prev = c->next = NULL;
}

/* Connections not on their way out. */
static size_t live_clients(const struct http_server *server)
{
	return server->n_clients - server->n_closing;
}

#define HTTP_EVICT_IDLE_USEC 500000

static void deadline_rearm(struct http_server *server)
{
	struct http_client *heads[] = {server->fresh_head, server->kept_head};
	bool crowded = live_clients(server) > server->options.max_connections;
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < ELEMENTSOF(heads); i++) {
		if (!heads[i])
			continue;
		if (heads[i]->deadline_usec < next)
			next = heads[i]->deadline_usec;
		/* past max_connections the oldest idle ones make room once old enough */
		if (crowded && heads[i]->since_usec + HTTP_EVICT_IDLE_USEC < next)
			next = heads[i]->since_usec + HTTP_EVICT_IDLE_USEC;
	}
	if (next == UINT64_MAX) {
		(void)sd_event_source_set_enabled(server->deadline, SD_EVENT_OFF);
		return;
	}
	if (sd_event_source_set_time(server->deadline, next) >= 0)
		(void)sd_event_source_set_enabled(server->deadline, SD_EVENT_ONESHOT);
}

/* Appends c to a list whose deadlines all come from the same delay: it stays sorted. */
static void deadline_set(struct http_client *c, struct http_client **head,
                         struct http_client **tail, uint64_t delay_usec)
{
	deadline_unlink(c);
	c->since_usec = now_usec(c->server);
	c->deadline_usec = c->since_usec + delay_usec;
	c->head = head;
	c->tail = tail;
	c->prev = *tail;
	if (*tail)
		(*tail)->next = c;
	else
		*head = c;
	*tail = c;
	deadline_rearm(c->server);
}

/* Ends a connection that waits for a request header. One that never sent a request gets a
 * 408 straight to its socket (MHD is not writing to it: it waits for the header); a kept-alive
 * one is closed silently, as servers close idle keep-alive connections (a 408 there could be
 * read as the answer to the client's next request). Then shutdown, which MHD reads as the end
 * of the connection. */
static void close_waiting(struct http_client *c, const char *why)
{
	struct http_server *server = c->server;
	bool fresh = c->head == &server->fresh_head;
	_cleanup_free_ char *message = NULL, *raw = NULL;
	struct http_response resp = {0};

	deadline_unlink(c);
	if (c->fd < 0 || c->closing)
		return;
	c->closing = true;
	server->n_closing++;
	log_refusal(server, &server->dropped_log, "%s connection closed: %s",
	            fresh ? "a client's" : "a kept-alive", why);
	/* a TLS connection's bytes are GnuTLS's: a plain 408 would be noise in its stream */
	if (!fresh || server->tls) {
		(void)shutdown(c->fd, SHUT_RDWR);
		return;
	}
	message = strdupf("no complete request header within %u seconds (http_header_timeout)",
	                  server->options.header_timeout);
	server->handler.status(&resp, 408, "Timeout", message ? message : "request header timeout");
	raw = strdupf("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
	              "Content-Length: %zu\r\nConnection: close\r\n\r\n%.*s",
	              resp.body_len, (int)resp.body_len, resp.body ? resp.body : "");
	if (raw)
		(void)send(c->fd, raw, strlen(raw), MSG_DONTWAIT | MSG_NOSIGNAL);
	http_response_done(&resp);
	(void)shutdown(c->fd, SHUT_RDWR);
	http_count_answer(server, "OTHER", 408);
}

static void drop_slow_client(struct http_client *c)
{
	_cleanup_free_ char *why =
	        strdupf("no complete request header within %u s (http_header_timeout)%s",
	                c->server->options.header_timeout,
	                c->head == &c->server->fresh_head ? ", answered 408" : "");

	close_waiting(c, why ? why : "request header timeout");
}

/* Past max_connections, a connection that has waited HTTP_EVICT_IDLE_USEC or more for a request
 * makes room for the new one: an idle kept-alive one first (its client knows to open another),
 * else the oldest that has sent no header. Held idle connections then cannot keep others out:
 * they only ever hold what nobody uses. Younger ones are left alone: in a burst, a connection
 * just accepted may have its request waiting, unread. false when none qualifies: the new
 * connection is then refused (503). */
static bool evict_idle(struct http_server *server)
{
	uint64_t now = now_usec(server);
	struct http_client *heads[] = {server->kept_head, server->fresh_head};

	for (size_t i = 0; i < ELEMENTSOF(heads); i++)
		if (heads[i] && now - heads[i]->since_usec >= HTTP_EVICT_IDLE_USEC) {
			close_waiting(heads[i],
			              "max_connections reached, room made for a new connection");
			return true;
		}
	return false;
}

static int on_deadline(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct http_server *server = userdata;
	uint64_t now = now_usec(server);

	(void)source;
	(void)usec;
	while (server->fresh_head && server->fresh_head->deadline_usec <= now)
		drop_slow_client(server->fresh_head);
	while (server->kept_head && server->kept_head->deadline_usec <= now)
		drop_slow_client(server->kept_head);
	/* held idle connections past max_connections: room for those in the backlog */
	while (live_clients(server) > server->options.max_connections && evict_idle(server))
		;
	deadline_rearm(server);
	return 0;
}

/* ---- connections -------------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *server = cls;
	struct http_client *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		c = calloc(1, sizeof(*c));
		*socket_context = c;
		server->n_clients++;
		if (!c)
			return;
		c->server = server;
		c->fd = http_connection_fd(connection);
		/* on TCP, SO_PEERCRED answers too (uid 65534, no pid): never ask */
		if (server->unix_socket)
			peer_cred_read(c->fd, &c->peer);
		c->over_limit = live_clients(server) > server->options.max_connections &&
		                !evict_idle(server);
		deadline_set(c, &server->fresh_head, &server->fresh_tail,
		             (uint64_t)server->options.header_timeout * 1000000);
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED */
	server->n_clients--;
	/* room again: accepting goes on (it stopped at MHD's limit) */
	if (server->accepting_paused && server->n_clients < server->mhd_connection_limit) {
		server->accepting_paused = false;
		(void)sd_event_source_set_enabled(server->listen, SD_EVENT_ON);
	}
	server->run_again = true;
	if (c) {
		if (c->closing)
			server->n_closing--;
		deadline_unlink(c);
		free(c);
		*socket_context = NULL;
		deadline_rearm(server);
	}
}

static struct http_client *client_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
	        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* Called once per request with the target as sent, before MHD decodes it: its return value is
 * the request's context (*req_cls), which on_completed frees. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
	struct http_server *server = cls;
	struct http_conn *conn = calloc(1, sizeof(*conn));

	(void)connection;
	if (conn)
		conn->refuse_code = http_check_target(uri ? uri : "", server->options.max_url_bytes,
		                                      &conn->refuse_message);
	if (conn && !conn->refuse_code)
		conn->target = strdup(uri ? uri : "");
	return conn;
}

struct header_tally {
	size_t count, bytes;
};

static enum MHD_Result tally_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	struct header_tally *t = cls;

	(void)kind;
	t->count++;
	/* "Name: value\r\n" */
	t->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* Whether the handler wants this request's body in a file (http_body_file). */
static int ask_body_file(struct http_server *server, struct http_conn *conn,
                         struct MHD_Connection *connection, const char *method, const char *url)
{
	struct http_request req = {
	        .method = method,
	        .path = url,
	        .content_type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
	        .user_agent = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	                                                  MHD_HTTP_HEADER_USER_AGENT),
	        .body = "",
	        .connection = connection,
	        .conn = conn,
	        .peer = client_of(connection) ? &client_of(connection)->peer : NULL,
	        .target = conn->target ? conn->target : url,
	};
	struct http_body_file file = {.fd = -1};
	int r;

	if (!server->handler.body_file || strcmp(method, "POST") != 0)
		return 0;
	r = server->handler.body_file(server->handler.userdata, &req, &file);
	if (r <= 0)
		return r;
	conn->to_file = true;
	conn->file = file;
	return 0;
}

/* The checks of a request whose header just came in. MHD_YES with nothing queued: go on. */
static enum MHD_Result check_request(struct http_server *server, struct http_conn *conn,
                                     struct MHD_Connection *connection, const char *method,
                                     const char *url, bool *refused)
{
	struct http_client *client = client_of(connection);
	struct header_tally tally = {0};
	_cleanup_free_ char *message = NULL;
	const char *length;
	unsigned code;

	*refused = true;
	if (client) /* the header is in: no deadline while the request is served */
		deadline_unlink(client);
	if (server->stopping)
		return send_refusal(server, method, connection, 503, "ServiceUnavailable",
		                    "nanoletd is stopping; try again when it is back", 1);
	if (client && client->over_limit) {
		log_refusal(server, &server->refused_log,
		            "%s: %zu connections open, more than max_connections %zu: answered 503",
		            method, server->n_clients, server->options.max_connections);
		message = strdupf("nanoletd serves at most %zu connections at once "
		                  "(max_connections); try again",
		                  server->options.max_connections);
		return send_refusal(server, method, connection, 503, "ServiceUnavailable", message,
		                    1);
	}
	if (conn->refuse_code) {
		log_refusal(server, &server->refused_log, "%s: answered %u: %s", method,
		            conn->refuse_code,
		            conn->refuse_message ? conn->refuse_message : "bad request target");
		return send_refusal(server, method, connection, conn->refuse_code,
		                    conn->refuse_code == 414 ? "RequestURITooLong" : "BadRequest",
		                    conn->refuse_message, 0);
	}
	MHD_get_connection_values(connection, MHD_HEADER_KIND, tally_header, &tally);
	code = http_check_header(tally.count, tally.bytes, server->options.max_header_count,
	                         server->options.max_header_bytes, &message);
	if (code) {
		log_refusal(server, &server->refused_log, "%s: answered %u: %s", method, code,
		            message ? message : "header too large");
		return send_refusal(server, method, connection, code, "RequestHeaderFieldsTooLarge",
		                    message, 0);
	}
	if (ask_body_file(server, conn, connection, method, url) < 0)
		return send_refusal(server, method, connection, 500, "InternalError",
		                    "could not make a file for the request body", 0);
	length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
	/* Answering now, before the body is read, makes MHD skip the upload and close the
	 * connection after the answer; a client that sent Expect: 100-continue never sends the
	 * body at all. */
	if (length && strtoull(length, NULL, 10) > body_limit(server, conn)) {
		conn->too_large = true;
		return send_too_large(server, conn, method, connection);
	}
	*refused = false;
	return MHD_YES;
}

/* ---- answers that come later -------------------------------------------------------- */

void http_on_answer(const struct http_request *req,
                    void (*fn)(unsigned code, const char *body, size_t body_len, void *userdata),
                    void *userdata)
{
	req->conn->on_answer = fn;
	req->conn->answer_data = userdata;
}

static void tell_answer(struct http_conn *conn, const struct http_response *resp)
{
	void (*fn)(unsigned, const char *, size_t, void *) = conn->on_answer;

	conn->on_answer = NULL;
	if (fn)
		fn(resp ? resp->code : 0, resp ? resp->body : NULL, resp ? resp->body_len : 0,
		   conn->answer_data);
}

struct http_deferred *http_defer(const struct http_request *req, const struct http_response *resp)
{
	if (!req->conn)
		return NULL;
	req->conn->deferred = true;
	req->conn->deferred_pretty = resp->pretty;
	return (struct http_deferred *)req->conn;
}

void http_deferred_response(const struct http_deferred *deferred, struct http_response *out)
{
	*out = (struct http_response){
	        .pretty = ((const struct http_conn *)deferred)->deferred_pretty};
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
		conn->answer_out = true;
		conn->server->n_answers_out++;
		MHD_resume_connection(conn->connection);
		/* in external mode nothing wakes MHD: the loop must run it (on_prepare) */
		conn->server->run_again = true;
	}
}

/* ---- connections taken over ---------------------------------------------------------- */

struct http_upgraded {
	struct MHD_UpgradeResponseHandle *urh;
	struct http_server *server;
};

void http_upgrade(const struct http_request *req, const char *const *headers,
                  const struct http_upgrade_ops *ops, void *userdata)
{
	struct http_conn *conn = req->conn;

	conn->upgrade = true;
	conn->upgrade_ops = *ops;
	conn->upgrade_data = userdata;
	for (size_t i = 0; headers && headers[i]; i++)
		if (strv_push(&conn->upgrade_headers, strdup(headers[i])) < 0)
			conn->upgrade_headers = NULL; /* the 101 is refused: on_failed */
}

/* MHD sent the 101: the socket is the owner's from here. */
static void on_mhd_upgrade(void *cls, struct MHD_Connection *connection, void *req_cls,
                           const char *extra_in, size_t extra_in_size, MHD_socket sock,
                           struct MHD_UpgradeResponseHandle *urh)
{
	struct http_conn *conn = cls;
	struct http_client *client = client_of(connection);
	struct http_upgraded *upgraded = calloc(1, sizeof(*upgraded));

	(void)req_cls;
	conn->upgrade = false; /* told: on_completed says nothing more */
	if (client) {
		client->upgraded = true;
		deadline_unlink(client);
	}
	if (!upgraded) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		conn->upgrade_ops.on_failed(conn->upgrade_data);
		return;
	}
	upgraded->urh = urh;
	upgraded->server = conn->server;
	conn->upgrade_ops.on_upgraded(conn->upgrade_data, upgraded, sock, extra_in, extra_in_size);
}

void http_upgraded_close(struct http_upgraded *upgraded)
{
	if (!upgraded)
		return;
	MHD_upgrade_action(upgraded->urh, MHD_UPGRADE_ACTION_CLOSE);
	/* MHD closes the socket and the connection when it runs next */
	upgraded->server->run_again = true;
	free(upgraded);
}

static enum MHD_Result queue_upgrade(struct http_server *server, const char *method,
                                     struct MHD_Connection *connection, struct http_conn *conn)
{
	struct MHD_Response *response = NULL;
	enum MHD_Result ret = MHD_NO;
	size_t n = strv_len(conn->upgrade_headers);

	if (n % 2 == 0)
		response = MHD_create_response_for_upgrade(on_mhd_upgrade, conn);
	if (response) {
		/* MHD adds "Connection: Upgrade" itself */
		MHD_add_response_header(response, MHD_HTTP_HEADER_UPGRADE, "websocket");
		for (size_t i = 0; i + 1 < n; i += 2)
			MHD_add_response_header(response, conn->upgrade_headers[i],
			                        conn->upgrade_headers[i + 1]);
		ret = MHD_queue_response(connection, MHD_HTTP_SWITCHING_PROTOCOLS, response);
		MHD_destroy_response(response);
	}
	if (ret == MHD_YES)
		http_count_answer(server, method, MHD_HTTP_SWITCHING_PROTOCOLS);
	return ret; /* MHD_NO: the connection ends, on_completed tells on_failed */
}

/* ---- requests ----------------------------------------------------------------------- */

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

/* A piece of a body that goes to a file. */
static enum MHD_Result body_write(struct http_conn *conn, const char *data, size_t size)
{
	if (conn->file_len + size > conn->file.limit) {
		conn->too_large = true;
		conn->discarded = conn->file_len + size;
		return MHD_YES;
	}
	for (size_t off = 0; off < size;) {
		ssize_t w = write(conn->file.fd, data + off, size - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			log_error("http: writing a request body to a file: %s", strerror(errno));
			return MHD_NO;
		}
		off += (size_t)w;
	}
	conn->file_len += size;
	return MHD_YES;
}

/* A piece of the body. */
static enum MHD_Result on_body(struct http_server *server, struct http_conn *conn, const char *data,
                               size_t size)
{
	if (conn->too_large) {
		/* Discarding is cheap, but not forever: past a bound, hang up unanswered. */
		conn->discarded += size;
		if (conn->discarded > HTTP_MAX_DISCARD_BYTES) {
			log_warn("http: request body over %zu bytes and still coming: closing the "
			         "connection",
			         body_limit(server, conn));
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (conn->to_file)
		return body_write(conn, data, size);
	if (conn->len + size > server->options.max_request_bytes) {
		/* MHD 0.9.75 refuses MHD_queue_response() while it reads a body (it returns
		 * MHD_NO): the 413 goes out when the body ends, and nothing of the rest is kept. */
		conn->too_large = true;
		conn->discarded = conn->len + size;
		free(conn->body);
		conn->body = NULL;
		conn->len = conn->cap = 0;
		return MHD_YES;
	}
	return body_append(conn, data, size) < 0 ? MHD_NO : MHD_YES;
}

/* MHD calls this once when the header is in, once per piece of body, and once more when the
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
	if (!conn) /* on_uri could not allocate */
		return MHD_NO;
	if (!conn->started) {
		conn->started = true;
		conn->connection = connection;
		conn->server = server;
		ret = check_request(server, conn, connection, method, url, &conn->refused);
		return ret;
	}
	if (*upload_data_size > 0) {
		size_t size = *upload_data_size;

		*upload_data_size = 0; /* consumed, kept or not */
		return conn->refused ? MHD_YES : on_body(server, conn, upload_data, size);
	}
	if (conn->refused) /* answered already */
		return MHD_YES;

	if (conn->too_large)
		return send_too_large(server, conn, method, connection);
	if (conn->deferred) {
		/* resumed by http_deferred_complete(): the answer is ready */
		tell_answer(conn, &conn->pending);
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
	        .peer = client_of(connection) ? &client_of(connection)->peer : NULL,
	        .target = conn->target ? conn->target : url,
	        .body_file = conn->to_file ? conn->file.data : NULL,
	};
	if (conn->to_file) { /* the whole body is in: the handler reads the file */
		req.body_len = conn->file_len;
		closep(&conn->file.fd);
	}
	server->handler.handle(server->handler.userdata, &req, &resp);
	if (conn->upgrade) {
		http_response_done(&resp);
		tell_answer(conn, &(struct http_response){.code = MHD_HTTP_SWITCHING_PROTOCOLS});
		return queue_upgrade(server, method, connection, conn);
	}
	if (conn->stream) {
		http_response_done(&resp);
		tell_answer(conn, &(struct http_response){.code = 200});
		return http_stream_queue(server, method, connection, conn->stream);
	}
	if (conn->deferred && !conn->answered) {
		http_response_done(&resp);
		conn->suspended = true;
		MHD_suspend_connection(connection);
		return MHD_YES;
	}
	if (conn->deferred) { /* completed before the route returned */
		tell_answer(conn, &conn->pending);
		ret = send_response(server, method, connection, &conn->pending);
		http_response_done(&conn->pending);
	} else {
		tell_answer(conn, &resp);
		ret = send_response(server, method, connection, &resp);
	}
	http_response_done(&resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
	struct http_server *server = cls;
	struct http_conn *conn = *req_cls;
	struct http_client *client = client_of(connection);

	if (conn) {
		tell_answer(conn, NULL);
		if (conn->answer_out)
			server->n_answers_out--;
		if (conn->upgrade) /* ended before the 101 went out */
			conn->upgrade_ops.on_failed(conn->upgrade_data);
		strv_free(conn->upgrade_headers);
		free(conn->refuse_message);
		free(conn->target);
		free(conn->body);
		if (conn->to_file) {
			closep(&conn->file.fd);
			if (conn->file.free)
				conn->file.free(conn->file.data);
		}
		http_response_done(&conn->pending);
		free(conn);
		*req_cls = NULL;
	}
	/* answered, the connection may stay for another request: that one's header must come
	 * within the idle timeout plus the header timeout */
	if (client && !client->upgraded && code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		deadline_set(
		        client, &server->kept_head, &server->kept_tail,
		        ((uint64_t)server->options.idle_timeout + server->options.header_timeout) *
		                1000000);
}

static const char *const not_news[] = {
        "Setting TCP_NODELAY option",
        "Setting TCP_CORK option",
        "Failed to push the data from buffers to the network",
        /* a stream (a log follow, a watch) whose client hung up: stream_read ends it so, and
         * nothing else does */
        "Closing connection (application error generating response)",
};

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *server = cls;
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (vasprintf(&text, fmt, ap) < 0)
		return;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	/* Connections handed over by MHD_add_connection() are of no known family to MHD, which
	 * then tries TCP_NODELAY and TCP_CORK on each and reports that a unix socket has neither
	 * (EOPNOTSUPP; no Nagle, no delay): not news. */
	for (size_t i = 0; i < ELEMENTSOF(not_news); i++)
		if (strncmp(text, not_news[i], strlen(not_news[i])) == 0)
			return;
	/* a client can make MHD say something (a hang-up mid-request): rate-limited too */
	log_refusal(server, &server->mhd_log, "%s", text);
}

/* ---- the loop ----------------------------------------------------------------------- */

static void run_mhd(struct http_server *server)
{
	server->run_again = false;
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

/* The listen socket is ours, not MHD's: MHD, at its connection limit, took its listen socket
 * out of its epoll set and put it back only when it ran next, which nothing asked for once the
 * connections had gone (the API went silent for good); and it accepted ten connections per run,
 * so one more client waited behind a burst for as many runs as the burst was long (two seconds
 * under load, behind 500). Here the backlog is drained at once, at a priority above the
 * connections' work, and accepting pauses at MHD's limit and resumes when one closes. */
#define HTTP_ACCEPT_BATCH 1024

static int on_listen(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct http_server *server = userdata;

	(void)source;
	(void)revents;
	for (int i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof(addr);
		int client;

		if (server->n_clients >= server->mhd_connection_limit) {
			server->accepting_paused = true;
			return sd_event_source_set_enabled(server->listen, SD_EVENT_OFF);
		}
		client = accept4(fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (client < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: wait for a connection to close */
				log_refusal(server, &server->refused_log,
				            "accept: %s: waiting for a connection to close",
				            strerror(errno));
				if (server->n_clients > 0) {
					server->accepting_paused = true;
					return sd_event_source_set_enabled(server->listen,
					                                   SD_EVENT_OFF);
				}
			}
			return 0; /* EAGAIN: the backlog is empty; or a client gone meanwhile */
		}
		/* MHD closes the socket when it refuses it */
		if (MHD_add_connection(server->mhd, client, (struct sockaddr *)&addr, len) !=
		    MHD_YES)
			log_refusal(server, &server->refused_log, "a connection refused by MHD: %s",
			            strerror(errno));
		server->run_again = true;
	}
	return 0;
}

/* Before every poll: MHD says how long it may wait (0 when it has work already). */
static int on_prepare(sd_event_source *source, void *userdata)
{
	struct http_server *server = userdata;
	MHD_UNSIGNED_LONG_LONG timeout_ms;
	int r;

	(void)source;
	if (server->run_again)
		timeout_ms = 0;
	else if (MHD_get_timeout(server->mhd, &timeout_ms) != MHD_YES)
		return sd_event_source_set_enabled(server->timer, SD_EVENT_OFF);
	r = sd_event_source_set_time_relative(server->timer, (uint64_t)timeout_ms * 1000);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(server->timer, SD_EVENT_ONESHOT);
}

/* What MHD accepts beyond max_connections: those get refused or make room by eviction, and
 * the connections we shut down count until MHD reaps them, so a crowd replaced at once (500
 * idle ones dropped, 500 new) does not stop the accepting for others. */
static size_t headroom(size_t max_connections)
{
	return max_connections / 4 > HTTP_REFUSAL_HEADROOM ? max_connections / 4
	                                                   : HTTP_REFUSAL_HEADROOM;
}

size_t http_fds_wanted(size_t max_connections)
{
	return max_connections + headroom(max_connections);
}

/* Connections need a descriptor each: at most the budget the daemon gave them. */
static unsigned connection_limit(const struct http_options *options)
{
	size_t want = http_fds_wanted(options->max_connections), budget = options->fd_budget;

	if (!budget || want <= budget)
		return (unsigned)want;
	log_warn("http: max_connections %zu and the %zu refused beyond it need %zu file "
	         "descriptors, but RLIMIT_NOFILE leaves them %zu: serving at most %zu",
	         options->max_connections, want - options->max_connections, want, budget,
	         budget * 4 / 5);
	return (unsigned)budget;
}

int http_server_new(sd_event *event, int listen_fd, const struct http_options *options,
                    const struct http_handler *handler, struct http_server **out,
                    struct nano_err *err)
{
	struct http_server *server;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls_options[3] = {
	        {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
	struct sockaddr_storage addr;
	socklen_t addr_len = sizeof(addr);
	size_t pool;
	int r;

	server = calloc(1, sizeof(*server));
	if (!server) {
		close(listen_fd);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	server->options = *options;
	server->listen_fd = -1;
	server->event = event;
	server->handler = *handler;
	server->mhd_connection_limit = connection_limit(options);
	if (server->mhd_connection_limit <
	    options->max_connections + headroom(options->max_connections))
		server->options.max_connections = server->mhd_connection_limit * 4 / 5 > 0
		                                          ? server->mhd_connection_limit * 4 / 5
		                                          : 1;
	/* the request line and header must fit, with room to spare, or MHD answers itself */
	pool = options->max_url_bytes + options->max_header_bytes + options->max_warning_bytes +
	       HTTP_POOL_SLACK;

	server->listen_fd = listen_fd;
	server->unix_socket = getsockname(listen_fd, (struct sockaddr *)&addr, &addr_len) == 0 &&
	                      addr.ss_family == AF_UNIX;
	if (options->tls_cert_pem && options->tls_key_pem) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			http_server_free(server);
			return nano_err_set(err, ENOTSUP, "this libmicrohttpd has no TLS support");
		}
		server->tls = true;
		server->tls_cert_pem = strdup(options->tls_cert_pem);
		server->tls_key_pem = strdup(options->tls_key_pem);
		if (!server->tls_cert_pem || !server->tls_key_pem) {
			http_server_free(server);
			return nano_err_set(err, ENOMEM, "out of memory");
		}
		tls_options[0] =
		        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_cert_pem};
		tls_options[1] =
		        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key_pem};
	}
	/* No listen socket for MHD: we accept (on_listen) and hand it each connection. */
	server->mhd = MHD_start_daemon(
	        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG |
	                MHD_USE_NO_LISTEN_SOCKET | (server->tls ? MHD_USE_TLS : 0),
	        0, NULL, NULL, on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_NOTIFY_CONNECTION,
	        on_connection, server, MHD_OPTION_URI_LOG_CALLBACK, on_uri, server,
	        MHD_OPTION_CONNECTION_TIMEOUT, options->idle_timeout, MHD_OPTION_CONNECTION_LIMIT,
	        server->mhd_connection_limit, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	        MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_ARRAY, tls_options,
	        MHD_OPTION_END);
	if (!server->mhd) {
		http_server_free(server);
		return nano_err_set(err, EIO, "libmicrohttpd refused to start%s",
		                    options->tls_cert_pem ? " (with TLS: the certificate or key?)"
		                                          : "");
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
		r = sd_event_add_time_relative(event, &server->timer, CLOCK_MONOTONIC, 0, 1,
		                               on_timer, server);
	if (r >= 0)
		r = sd_event_source_set_enabled(server->timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_time(event, &server->deadline, CLOCK_MONOTONIC, UINT64_MAX,
		                      HTTP_DEADLINE_ACCURACY_USEC, on_deadline, server);
	if (r >= 0)
		r = sd_event_source_set_enabled(server->deadline, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_io(event, &server->listen, listen_fd, EPOLLIN, on_listen, server);
	if (r >= 0)
		r = sd_event_source_set_priority(server->listen, SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0) {
		http_server_free(server);
		return nano_err_set(err, -r, "add http sources to the event loop: %s",
		                    strerror(-r));
	}
	(void)sd_event_source_set_description(server->io, "http-epoll");
	(void)sd_event_source_set_description(server->timer, "http-timeout");
	(void)sd_event_source_set_description(server->deadline, "http-header-deadline");
	(void)sd_event_source_set_description(server->listen, "http-listen");
	*out = server;
	return 0;
}

/* the clock itself: sd_event_now says when the loop last woke, and the loop no longer runs */
static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void http_server_drain(struct http_server *server, uint64_t timeout_usec)
{
	uint64_t deadline = monotonic_usec() + timeout_usec, now;

	if (!server || !server->mhd)
		return;
	server->stopping = true;
	server->listen = sd_event_source_disable_unref(server->listen);
	/* MHD is run here until what it was handed is out */
	while (server->n_answers_out > 0) {
		now = monotonic_usec();
		if (now >= deadline) {
			log_warn("http: %zu answers not sent at the stop", server->n_answers_out);
			return;
		}
		if (MHD_run_wait(server->mhd, (int32_t)((deadline - now + 999) / 1000)) !=
		    MHD_YES) {
			log_warn("http: MHD_run_wait failed at the stop");
			return;
		}
	}
}

struct http_server *http_server_free(struct http_server *server)
{
	if (!server)
		return NULL;
	/* Sources first: the epoll fd they watch dies with the MHD daemon. */
	server->listen = sd_event_source_disable_unref(server->listen);
	server->io = sd_event_source_disable_unref(server->io);
	server->timer = sd_event_source_disable_unref(server->timer);
	if (server->mhd)
		MHD_stop_daemon(server->mhd);
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	/* after MHD: closing its connections calls on_connection, which re-arms the deadline */
	server->deadline = sd_event_source_disable_unref(server->deadline);
	free(server->tls_cert_pem);
	if (server->tls_key_pem) /* the key does not stay in freed memory */
		explicit_bzero(server->tls_key_pem, strlen(server->tls_key_pem));
	free(server->tls_key_pem);
	free(server->counts);
	free(server);
	return NULL;
}
