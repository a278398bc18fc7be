/* pkg/probe/grpc.c: grpc — one call of the gRPC health checking protocol,
 * grpc.health.v1.Health/Check, over HTTP/2 in clear text with prior knowledge (h2c, as grpc-go
 * dials without TLS), through libnghttp2 on the check's non-blocking socket. The request is
 * HealthCheckRequest{service} (protobuf: field 1, a string), the answer
 * HealthCheckResponse{status} (field 1, an enum: SERVING = 1); grpc-status comes in the
 * trailers (or alone, a Trailers-Only answer).
 *
 * The kubelet's words (pkg/probe/grpc): success "service healthy"; "service unhealthy
 * (responded with \"NOT_SERVING\")"; "error: this server does not implement the grpc health
 * protocol (grpc.health.v1.Health): <desc>" for Unimplemented; "error: health rpc probe
 * failed: rpc error: code = NotFound desc = unknown service" for the others; "timeout: failed
 * to connect service \"ADDR\" within 1s: context deadline exceeded" when the server's HTTP/2
 * settings never came, "timeout: health rpc did not complete within 1s" when the answer did
 * not; an HTTP/1.1 server's answer is "error: failed to connect service at \"ADDR\": connection
 * error: desc = \"error reading server preface: http2: frame too large\"", as grpc-go's framer
 * reads "HTTP/1.1 400" as a frame header. One difference, on purpose: grpc-go (WithBlock) keeps
 * redialling a refused connection until the deadline; this check fails at once, with grpc-go's
 * words for the dial error
 * ("error: failed to connect service at \"ADDR\": connection error: desc = ...").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "probe_internal.h"

#define GRPC_PATH        "/grpc.health.v1.Health/Check"
#define GRPC_MESSAGE_MAX 4096 /* a HealthCheckResponse is a few bytes */

struct grpc_state {
	nghttp2_session *session;
	int32_t stream_id;
	bool closed; /* the stream closed: the answer is all in */
	uint32_t close_error;
	bool ready;       /* the server's SETTINGS came: grpc-go's READY */
	uint8_t first[9]; /* the server's first frame header */
	size_t first_len;
	uint8_t request[5 + 10 + 1024];
	size_t request_len, request_off;
	const uint8_t *pending; /* nghttp2's bytes not written yet */
	size_t pending_len;
	int http_status;
	int grpc_status; /* -1 until the trailers */
	char *grpc_message;
	uint8_t message[GRPC_MESSAGE_MAX];
	size_t message_len;
	char timeout_text[32];
};

static void grpc_state_free(void *p)
{
	struct grpc_state *g = p;

	if (!g)
		return;
	if (g->session)
		nghttp2_session_del(g->session);
	free(g->grpc_message);
	free(g);
}

/* grpc-go's codes.Code String() */
static const char *code_name(int code)
{
	static const char *const names[] = {
	        "OK",
	        "Canceled",
	        "Unknown",
	        "InvalidArgument",
	        "DeadlineExceeded",
	        "NotFound",
	        "AlreadyExists",
	        "PermissionDenied",
	        "ResourceExhausted",
	        "FailedPrecondition",
	        "Aborted",
	        "OutOfRange",
	        "Unimplemented",
	        "Internal",
	        "Unavailable",
	        "DataLoss",
	        "Unauthenticated",
	};
	static __thread char buf[32];

	if (code >= 0 && (size_t)code < ELEMENTSOF(names))
		return names[code];
	snprintf(buf, sizeof(buf), "Code(%d)", code);
	return buf;
}

/* HealthCheckResponse.ServingStatus String() */
static const char *status_name(uint64_t status)
{
	static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
	static __thread char buf[32];

	if (status < ELEMENTSOF(names))
		return names[status];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)status);
	return buf;
}

/* grpc-go's mapping of an HTTP status without grpc-status (http_util.go HTTPStatusConvTab) */
static int code_of_http(int status)
{
	switch (status) {
	case 400:
		return 13; /* Internal */
	case 401:
		return 16; /* Unauthenticated */
	case 403:
		return 7; /* PermissionDenied */
	case 404:
		return 12; /* Unimplemented */
	case 429:
	case 502:
	case 503:
	case 504:
		return 14; /* Unavailable */
	default:
		return 2; /* Unknown */
	}
}

static void end_rpc_error(struct probe_check *c, int code, const char *desc)
{
	if (code == 12)
		probe_check_end(c, PROBE_FAILURE,
		                "error: this server does not implement the grpc health protocol "
		                "(grpc.health.v1.Health): %s",
		                desc);
	else if (code == 4)
		probe_check_end(c, PROBE_FAILURE, "timeout: health rpc did not complete within %s",
		                ((struct grpc_state *)c->state)->timeout_text);
	else
		probe_check_end(c, PROBE_FAILURE,
		                "error: health rpc probe failed: rpc error: code = %s desc = %s",
		                code_name(code), desc);
}

static void end_connect_error(struct probe_check *c, const char *desc)
{
	probe_check_end(c, PROBE_FAILURE,
	                "error: failed to connect service at \"%s\": connection error: desc = "
	                "\"%s\"",
	                c->addr_text, desc);
}

/* Reads a protobuf varint; false when it does not end inside [*p, end). */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* The status field of a HealthCheckResponse (absent: UNKNOWN); -1 when malformed. */
static int64_t response_status(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t status = 0, key, v;

	while (p < end) {
		if (!varint(&p, end, &key))
			return -1;
		switch (key & 7) {
		case 0:
			if (!varint(&p, end, &v))
				return -1;
			if (key >> 3 == 1)
				status = v;
			break;
		case 1:
			if (end - p < 8)
				return -1;
			p += 8;
			break;
		case 2:
			if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
				return -1;
			p += v;
			break;
		case 5:
			if (end - p < 4)
				return -1;
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return (int64_t)status;
}

static void rpc_done(struct probe_check *c, uint32_t error_code)
{
	struct grpc_state *g = c->state;
	const uint8_t *m = g->message;
	uint32_t len;
	int64_t status;
	char desc[256];

	if (g->grpc_status < 0) {
		if (g->http_status && g->http_status != 200) {
			snprintf(desc, sizeof(desc),
			         "unexpected HTTP status code received from server: %d",
			         g->http_status);
			end_rpc_error(c, code_of_http(g->http_status), desc);
		} else {
			snprintf(desc, sizeof(desc),
			         "stream terminated by RST_STREAM with error code: %s",
			         nghttp2_http2_strerror(error_code));
			end_rpc_error(c, 13, desc);
		}
		return;
	}
	if (g->grpc_status != 0) {
		end_rpc_error(c, g->grpc_status, g->grpc_message ? g->grpc_message : "");
		return;
	}
	if (g->message_len < 5 || m[0] != 0 ||
	    (len = (uint32_t)m[1] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 8 | m[4]) >
	            g->message_len - 5 ||
	    (status = response_status(m + 5, len)) < 0) {
		end_rpc_error(c, 13, "grpc: failed to unmarshal the received message");
		return;
	}
	if (status != 1)
		probe_check_end(c, PROBE_FAILURE, "service unhealthy (responded with \"%s\")",
		                status_name((uint64_t)status));
	else
		probe_check_end(c, PROBE_SUCCESS, "service healthy");
}

/* ---- nghttp2's callbacks: they only note what came; the check ends after them ------------ */

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *userdata)
{
	struct grpc_state *g = ((struct probe_check *)userdata)->state;

	(void)s;
	if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK))
		g->ready = true;
	return 0;
}

/* grpc-message is percent-encoded (the gRPC over HTTP/2 spec) */
static char *percent_decode(const uint8_t *v, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned x;

		if (v[i] == '%' && i + 2 < len && sscanf((const char *)v + i + 1, "%2x", &x) == 1) {
			*o++ = (char)x;
			i += 2;
		} else {
			*o++ = (char)v[i];
		}
	}
	*o = '\0';
	return out;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *userdata)
{
	struct grpc_state *g = ((struct probe_check *)userdata)->state;
	char text[16];

	(void)s;
	(void)flags;
	if (frame->hd.stream_id != g->stream_id)
		return 0;
	snprintf(text, sizeof(text), "%.*s", (int)(valuelen < 15 ? valuelen : 15),
	         (const char *)value);
	if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
		g->http_status = atoi(text);
	} else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0) {
		g->grpc_status = atoi(text);
	} else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
		free(g->grpc_message);
		g->grpc_message = percent_decode(value, valuelen);
	}
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
                   size_t len, void *userdata)
{
	struct grpc_state *g = ((struct probe_check *)userdata)->state;
	size_t room = sizeof(g->message) - g->message_len;

	(void)s;
	(void)flags;
	if (stream_id != g->stream_id)
		return 0;
	if (len > room)
		len = room;
	memcpy(g->message + g->message_len, data, len);
	g->message_len += len;
	return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code,
                           void *userdata)
{
	struct probe_check *c = userdata;
	struct grpc_state *g = c->state;

	(void)s;
	/* the end is decided once nghttp2 returned (pump): it must not be freed under it */
	if (stream_id == g->stream_id) {
		g->closed = true;
		g->close_error = error_code;
	}
	return 0;
}

static ssize_t read_request(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length,
                            uint32_t *data_flags, nghttp2_data_source *source, void *userdata)
{
	struct grpc_state *g = ((struct probe_check *)userdata)->state;
	size_t n = g->request_len - g->request_off;

	(void)s;
	(void)stream_id;
	(void)source;
	if (n > length)
		n = length;
	memcpy(buf, g->request + g->request_off, n);
	g->request_off += n;
	if (g->request_off == g->request_len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* ---- the connection ---------------------------------------------------------------------- */

/* The server's first bytes are no SETTINGS frame (an HTTP/1.1 server's "HTTP/1.1 400"), or
 * nghttp2 gave up on what came: grpc-go's words where it has some. */
static uint32_t first_length(const struct grpc_state *g)
{
	return (uint32_t)g->first[0] << 16 | (uint32_t)g->first[1] << 8 | g->first[2];
}

static void not_http2(struct probe_check *c, int error)
{
	struct grpc_state *g = c->state;
	char what[200];

	if (!g->ready && g->first_len >= 3 && first_length(g) > 16384) {
		/* Go's framer: over the default SETTINGS_MAX_FRAME_SIZE */
		end_connect_error(c, "error reading server preface: http2: frame too large");
	} else if (!g->ready && g->first_len >= 4 && g->first[3] != NGHTTP2_SETTINGS) {
		end_connect_error(c, "initial http2 frame from server is not a settings frame");
	} else {
		snprintf(what, sizeof(what), "%s: %s",
		         g->ready ? "http2" : "error reading server preface",
		         error ? nghttp2_strerror(error) : "protocol error");
		if (g->ready)
			end_rpc_error(c, 13, what);
		else
			end_connect_error(c, what);
	}
}

/* Writes what nghttp2 has to send, reads what came, and ends the check when the call ended. */
static void pump(struct probe_check *c, uint32_t revents)
{
	struct grpc_state *g = c->state;
	uint8_t buf[16384];
	ssize_t n;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				char desc[200];

				if (g->closed)
					break;
				snprintf(desc, sizeof(desc), "%s",
				         n == 0 ? "EOF" : probe_errno_text(errno));
				if (!g->ready) {
					char what[240];

					snprintf(what, sizeof(what),
					         "error reading server preface: %s", desc);
					end_connect_error(c, what);
				} else {
					char what[240];

					snprintf(what, sizeof(what),
					         "error reading from server: %s", desc);
					end_rpc_error(c, 14, what);
				}
				return;
			}
			if (g->first_len < sizeof(g->first)) {
				size_t take = sizeof(g->first) - g->first_len;

				take = take < (size_t)n ? take : (size_t)n;
				memcpy(g->first + g->first_len, buf, take);
				g->first_len += take;
			}
			/* the server's first frame must be its SETTINGS (RFC 9113 3.4): what
			 * else comes first ends the call at once, as grpc-go's check */
			if (!g->ready && g->first_len >= 4 &&
			    (first_length(g) > 16384 || g->first[3] != NGHTTP2_SETTINGS)) {
				not_http2(c, 0);
				return;
			}
			n = nghttp2_session_mem_recv(g->session, buf, (size_t)n);
			if (n < 0 || (!g->ready && !nghttp2_session_want_read(g->session))) {
				not_http2(c, n < 0 ? (int)n : 0);
				return;
			}
			if (g->closed)
				break;
		}
	}
	if (g->closed) {
		rpc_done(c, g->close_error);
		return;
	}
	for (;;) {
		if (!g->pending_len) {
			n = nghttp2_session_mem_send(g->session, &g->pending);
			if (n < 0) {
				end_rpc_error(c, 13, nghttp2_strerror((int)n));
				return;
			}
			g->pending_len = (size_t)n;
			if (!n)
				break;
		}
		n = send(c->fd, g->pending, g->pending_len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			char what[200];

			snprintf(what, sizeof(what), "write tcp %s: write: %s", c->addr_text,
			         probe_errno_text(errno));
			if (g->ready)
				end_rpc_error(c, 14, what);
			else
				end_connect_error(c, what);
			return;
		}
		g->pending += n;
		g->pending_len -= (size_t)n;
	}
	probe_check_want(c, EPOLLIN | (g->pending_len ? EPOLLOUT : 0));
}

static int session_new(struct probe_check *c)
{
	struct grpc_state *g = c->state;
	nghttp2_session_callbacks *cbs;
	char major[16] = "0", minor[16] = "0", ua[64], timeout[32];
	uint64_t ms = (c->timeout_usec + 999) / 1000;
	nghttp2_data_provider data = {.read_callback = read_request};
	int r;

	(void)sscanf(NANOLET_VERSION, "%15[0-9].%15[0-9]", major, minor);
	snprintf(ua, sizeof(ua), "kube-probe/%s.%s", major, minor);
	/* grpc-go sends the context's deadline; at most 8 digits */
	snprintf(timeout, sizeof(timeout), "%llum",
	         (unsigned long long)(ms > 99999999 ? 99999999 : ms));
	nghttp2_nv headers[] = {
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
	        NV(":method", "POST"),
	        NV(":scheme", "http"),
	        NV(":path", GRPC_PATH),
	        NV(":authority", c->addr_text),
	        NV("content-type", "application/grpc"),
	        NV("user-agent", ua),
	        NV("te", "trailers"),
	        NV("grpc-timeout", timeout),
#undef NV
	};

	r = nghttp2_session_callbacks_new(&cbs);
	if (r < 0)
		return r;
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	r = nghttp2_session_client_new(&g->session, cbs, c);
	nghttp2_session_callbacks_del(cbs);
	if (r < 0)
		return r;
	r = nghttp2_submit_settings(g->session, NGHTTP2_FLAG_NONE, NULL, 0);
	if (r < 0)
		return r;
	g->stream_id =
	        nghttp2_submit_request(g->session, NULL, headers, ELEMENTSOF(headers), &data, c);
	return g->stream_id < 0 ? g->stream_id : 0;
}

static void grpc_connected(struct probe_check *c, int error)
{
	char what[200];
	int r;

	if (error) {
		snprintf(what, sizeof(what),
		         "transport: error while dialing: dial tcp %s: connect: %s", c->addr_text,
		         probe_errno_text(error));
		end_connect_error(c, what);
		return;
	}
	r = session_new(c);
	if (r < 0) {
		end_connect_error(c, nghttp2_strerror(r));
		return;
	}
	pump(c, 0);
}

static void grpc_timeout(struct probe_check *c)
{
	struct grpc_state *g = c->state;

	if (!g->ready)
		probe_check_end(c, PROBE_FAILURE,
		                "timeout: failed to connect service \"%s\" within %s: context "
		                "deadline exceeded",
		                c->addr_text, g->timeout_text);
	else
		probe_check_end(c, PROBE_FAILURE, "timeout: health rpc did not complete within %s",
		                g->timeout_text);
}

static const struct probe_ops grpc_ops = {
        .connected = grpc_connected,
        .io = pump,
        .timeout = grpc_timeout,
        .free = grpc_state_free,
};

int probe_grpc_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                     const char *service, uint64_t timeout_usec, probe_done_fn *fn, void *userdata,
                     struct probe_check **out, struct nano_err *err)
{
	struct grpc_state *g = calloc(1, sizeof(*g));
	size_t len = service ? strlen(service) : 0, n = 5;

	if (!g || len > 1024) {
		free(g);
		if (fd >= 0)
			close(fd);
		return nano_err_set(err, g ? EINVAL : ENOMEM, "probe: grpc service name: %s",
		                    g ? "longer than 1024 bytes" : "out of memory");
	}
	g->grpc_status = -1;
	probe_duration(timeout_usec, g->timeout_text, sizeof(g->timeout_text));
	/* HealthCheckRequest{service}: proto3 leaves an empty string out */
	if (len) {
		g->request[n++] = 0x0a; /* field 1, length-delimited */
		for (size_t v = len;; v >>= 7) {
			g->request[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
			if (v <= 0x7f)
				break;
		}
		memcpy(g->request + n, service, len);
		n += len;
	}
	g->request[0] = 0; /* not compressed */
	g->request[1] = (uint8_t)((n - 5) >> 24);
	g->request[2] = (uint8_t)((n - 5) >> 16);
	g->request[3] = (uint8_t)((n - 5) >> 8);
	g->request[4] = (uint8_t)(n - 5);
	g->request_len = n;
	return probe_check_start(event, fd, addr, addr_len, timeout_usec, &grpc_ops, g, fn,
	                         userdata, out, err);
}
