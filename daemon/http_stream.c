/* daemon/http_stream.c: answers of unknown length sent as they are produced (logs), with
 * backpressure.
 *
 * MHD pulls: it calls stream_read() whenever it can send more. What the owner wrote and the
 * client has not taken yet waits in the stream's buffer; once that reaches stream_buffer_bytes
 * http_stream_write() answers 1 and the owner stops producing (for a log: stops reading the
 * file, which is the real buffer) until stream_read() has taken half of it and calls on_drain.
 * A client that stops reading fills its socket, MHD stops pulling, and the buffer stays at its
 * bound until http_idle_timeout closes the connection. Memory per stream: the bound, plus one
 * write past it (a log line).
 *
 * With nothing to send the connection is suspended (MHD's prescribed pattern), which also
 * takes it out of MHD's epoll set: a client hanging up then would go unnoticed until the owner
 * writes again, which for a quiet container may be never. So while suspended the socket is
 * watched for EPOLLRDHUP on our loop; a hang-up resumes the connection and ends the stream, as
 * Go's net/http (and so the API server) ends a request whose client closed its side. */
#include <string.h>
#include <sys/epoll.h>

#include "http_internal.h"

struct http_stream {
	struct MHD_Connection *connection;
	struct http_server *server;
	unsigned code;
	const char *content_type;
	char *buf;
	size_t len, off, cap;
	bool full;      /* a write said full: call on_drain once there is room */
	bool suspended; /* the reader found nothing and parked the connection */
	bool ended;     /* the owner said so: the owner lets go of the handle */
	bool peer_gone; /* the client hung up while the connection was parked */
	bool draining;  /* inside on_drain: no second one */
	sd_event_source *peer_watch;
	struct http_stream_ops ops;
	void *userdata;
};

static void unwatch_peer(struct http_stream *s)
{
	s->peer_watch = sd_event_source_disable_unref(s->peer_watch);
}

static void stream_wake(struct http_stream *s)
{
	unwatch_peer(s);
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->connection);
		/* in external mode nothing wakes MHD: the loop must run it */
		s->server->run_again = true;
	}
}

static int on_peer_event(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct http_stream *s = userdata;

	(void)source;
	(void)fd;
	(void)revents;
	s->peer_gone = true;
	stream_wake(s);
	return 0;
}

/* Parked: the socket goes on being watched for the client's hang-up (not for input: a
 * pipelined request would make it readable for as long as we stream). */
static void watch_peer(struct http_stream *s)
{
	int fd = http_connection_fd(s->connection);

	if (fd < 0 || s->peer_watch)
		return;
	if (sd_event_add_io(s->server->event, &s->peer_watch, fd, EPOLLRDHUP, on_peer_event, s) < 0)
		s->peer_watch = NULL; /* then only the owner's next write or the end wakes it */
	else
		(void)sd_event_source_set_description(s->peer_watch, "http-stream-peer");
}

int http_stream_write(struct http_stream *s, const char *data, size_t len)
{
	size_t bound = s->server->options.stream_buffer_bytes;

	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
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
	if (s->len < bound)
		return 0;
	s->full = true;
	return 1;
}

void http_stream_end(struct http_stream *s)
{
	s->ended = true;
	s->ops.on_closed = NULL;
	s->ops.on_drain = NULL;
	stream_wake(s);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	size_t bound = s->server->options.stream_buffer_bytes;
	size_t n;

	(void)pos;
	if (s->peer_gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	/* room again: the owner produces more before we run dry */
	if (s->full && !s->draining && s->len - s->off <= bound / 2 && s->ops.on_drain) {
		s->full = false;
		s->draining = true;
		s->ops.on_drain(s->userdata); /* may write, and may end the stream */
		s->draining = false;
	}
	n = s->len - s->off;
	if (n > 0) {
		n = n < max ? n : max;
		memcpy(buf, s->buf + s->off, n);
		s->off += n;
		if (s->off == s->len) {
			s->off = s->len = 0;
			/* a long line grew the buffer: give it back once it is sent */
			if (s->cap > 2 * bound) {
				free(s->buf);
				s->buf = NULL;
				s->cap = 0;
			}
		}
		return (ssize_t)n;
	}
	if (s->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* nothing yet: park the connection until the owner writes (MHD's prescribed pattern) */
	s->suspended = true;
	MHD_suspend_connection(s->connection);
	watch_peer(s);
	return 0;
}

/* MHD lets go of the response: the connection is done (before MHD closes its socket). */
static void stream_free(void *cls)
{
	struct http_stream *s = cls;

	unwatch_peer(s);
	if (s->ops.on_closed)
		s->ops.on_closed(s->userdata);
	free(s->buf);
	free(s);
}

struct http_stream *http_stream_open(const struct http_request *req, unsigned code,
                                     const char *content_type, const struct http_stream_ops *ops,
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
	                          .ops = ops ? *ops : (struct http_stream_ops){0},
	                          .userdata = userdata};
	req->conn->stream = s;
	return s;
}

enum MHD_Result http_stream_queue(struct http_server *server, const char *method,
                                  struct MHD_Connection *connection, struct http_stream *s)
{
	struct MHD_Response *response;
	enum MHD_Result ret;

	http_count_answer(server, method, s->code);
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
