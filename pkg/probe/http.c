/* pkg/probe/http.c: httpGet — one HTTP/1.1 GET, over TLS for HTTPS (tls.c), as the kubelet's
 * prober sends it (pkg/probe/http/request.go): User-Agent kube-probe/<major>.<minor> (the
 * version /version reports), Accept: any type, the Host of the URL, the probe's httpHeaders (which
 * may replace User-Agent, Accept and Host; an empty Accept removes it), Connection: close.
 * Success for 200 <= status < 400, the body (its first 10 KiB, the kubelet's limit) the
 * output. Redirects are followed only to the same host name, up to 10 requests in all, each on
 * a new connection made in the namespace of the first (SIOCGSKNS: the socket knows its
 * namespace); a redirect elsewhere ends the check on that response: PROBE_WARNING, "Probe
 * terminated redirects". Failures in the words Go's http.Client gives the kubelet
 * ("Get \"http://...\": dial tcp ...: connect: connection refused", "HTTP probe failed with
 * statuscode: 503", "... (Client.Timeout exceeded while awaiting headers)").
 *
 * The response is parsed only as far as the probe needs: status line, Content-Length,
 * Transfer-Encoding: chunked, Location.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"

#include "probe_internal.h"

#define HTTP_BODY_MAX     (10 * 1024) /* the kubelet's maxRespBodyLength */
#define HTTP_HEAD_MAX     (64 * 1024)
#define HTTP_IN_MAX       (HTTP_HEAD_MAX + 4 * HTTP_BODY_MAX)
#define HTTP_MAX_REQUESTS 10 /* Go's redirect limit, which the kubelet keeps for one host */

enum http_phase {
	HTTP_HANDSHAKE,
	HTTP_SEND,
	HTTP_HEAD,
	HTTP_BODY,
};

struct http_state {
	struct probe_http_request req; /* the strings below, owned */
	char *first_host;              /* the host name of the first URL (redirects stay on it) */
	char *host;                    /* this URL's host name */
	char *path;                    /* this URL's path and query */
	char *host_header;             /* an httpHeaders Host, kept across a relative redirect */
	bool https;
	unsigned port;
	char *url; /* for messages */
	unsigned requests;
	enum http_phase phase;
	struct probe_tls *tls;
	char *out;
	size_t out_len, out_off;
	char *in; /* what came back: head, then body bytes as they came; NUL after them */
	size_t in_len;
	size_t head_len;
	int status;
	long long content_length; /* -1: until the end */
	bool chunked;
	char *location;
	char *body; /* decoded */
	size_t body_len;
	struct spec_http_header *headers;
	size_t n_headers;
};

static void http_state_free(void *p)
{
	struct http_state *h = p;

	if (!h)
		return;
	probe_tls_free(h->tls);
	for (size_t i = 0; i < h->n_headers; i++) {
		free(h->headers[i].name);
		free(h->headers[i].value);
	}
	free(h->headers);
	free(h->first_host);
	free(h->host);
	free(h->path);
	free(h->host_header);
	free(h->url);
	free(h->out);
	free(h->in);
	free(h->location);
	free(h->body);
	free(h);
}

/* ---- the request ------------------------------------------------------------------------- */

/* Go's CanonicalMIMEHeaderKey: "x-custom-header" is sent as "X-Custom-Header". */
static void canonical_name(char *name)
{
	bool upper = true;

	for (char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-')
			return; /* not a token: Go leaves it as it is */
	}
	for (char *p = name; *p; p++) {
		*p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
		upper = *p == '-';
	}
}

static const struct spec_http_header *header_of(struct http_state *h, const char *name)
{
	for (size_t i = 0; i < h->n_headers; i++)
		if (strcasecmp(h->headers[i].name, name) == 0)
			return &h->headers[i];
	return NULL;
}

static int build_request(struct probe_check *c, struct http_state *h)
{
	const struct spec_http_header *ua = header_of(h, "User-Agent"),
	                              *accept = header_of(h, "Accept");
	char host[300], major[16] = "0", minor[16] = "0";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)c;
	if (!f)
		return -ENOMEM;
	(void)sscanf(NANOLET_VERSION, "%15[0-9].%15[0-9]", major, minor);
	probe_join_host_port(h->host, h->port, host, sizeof(host));
	fprintf(f, "GET %s HTTP/1.1\r\nHost: %s\r\n", h->path,
	        h->host_header ? h->host_header : host);
	if (!ua)
		fprintf(f, "User-Agent: kube-probe/%s.%s\r\n", major, minor);
	if (!accept)
		fprintf(f, "Accept: */*\r\n");
	for (size_t i = 0; i < h->n_headers; i++) {
		const struct spec_http_header *x = &h->headers[i];

		/* Host is the request's, not a header line; an empty User-Agent or Accept is
		 * none (Go sends no empty User-Agent, the kubelet deletes an empty Accept) */
		if (strcasecmp(x->name, "Host") == 0 || strcasecmp(x->name, "Connection") == 0)
			continue;
		if (!*x->value &&
		    (strcasecmp(x->name, "User-Agent") == 0 || strcasecmp(x->name, "Accept") == 0))
			continue;
		fprintf(f, "%s: %s\r\n", x->name, x->value);
	}
	fprintf(f, "Connection: close\r\n\r\n");
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	free(h->out);
	h->out = buf;
	h->out_len = len;
	h->out_off = 0;
	return 0;
}

static int set_url(struct http_state *h)
{
	char hp[300];

	probe_join_host_port(h->host, h->port, hp, sizeof(hp));
	free(h->url);
	if (asprintf(&h->url, "%s://%s%s", h->https ? "https" : "http", hp, h->path) < 0) {
		h->url = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- the end ----------------------------------------------------------------------------- */

static void fail_get(struct probe_check *c, const char *what)
{
	struct http_state *h = c->state;

	probe_check_end(c, PROBE_FAILURE, "Get \"%s\": %s", h->url, what);
}

static void conn_error(struct probe_check *c, const char *op, int error)
{
	char local[80] = "", what[300];
	char host[64];
	unsigned port;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0 &&
	    probe_sockaddr_host((struct sockaddr *)&ss, host, sizeof(host), &port) == 0)
		probe_join_host_port(host, port, local, sizeof(local));
	snprintf(what, sizeof(what), "%s tcp %s->%s: %s: %s", op, local, c->addr_text, op,
	         probe_errno_text(error));
	fail_get(c, what);
}

static void finish(struct probe_check *c)
{
	struct http_state *h = c->state;
	char *body = h->body ? h->body : "";

	if (h->status >= 200 && h->status < 300)
		probe_check_end(c, PROBE_SUCCESS, "%.*s", (int)h->body_len, body);
	else if (h->status >= 300 && h->status < 400)
		probe_check_end(c, PROBE_WARNING, "Probe terminated redirects, Response body: %.*s",
		                (int)h->body_len, body);
	else
		probe_check_end(c, PROBE_FAILURE, "HTTP probe failed with statuscode: %d",
		                h->status);
}

/* ---- redirects --------------------------------------------------------------------------- */

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Splits "host[:port]" (IPv6 in brackets) of an absolute Location. */
static int parse_authority(const char *a, size_t n, bool https, char **host, unsigned *port)
{
	const char *colon = NULL, *end = a + n;

	*port = https ? 443 : 80;
	if (n && a[0] == '[') {
		const char *close = memchr(a, ']', n);

		if (!close)
			return -EINVAL;
		*host = strndup(a + 1, (size_t)(close - a - 1));
		if (close + 1 < end && close[1] == ':')
			colon = close + 1;
	} else {
		colon = memrchr(a, ':', n);
		*host = strndup(a, colon ? (size_t)(colon - a) : n);
	}
	if (!*host)
		return -ENOMEM;
	if (colon && colon + 1 < end) {
		char digits[8] = "";
		size_t d = (size_t)(end - colon - 1);
		char *stop;
		unsigned long v;

		if (d >= sizeof(digits))
			return -EINVAL;
		memcpy(digits, colon + 1, d);
		v = strtoul(digits, &stop, 10);
		if (*stop || v == 0 || v > 65535)
			return -EINVAL;
		*port = (unsigned)v;
	}
	return 0;
}

/* The URL that Location names, against this one: scheme, host, port, path. */
static int resolve_location(struct http_state *h, const char *loc, bool *https, char **host,
                            unsigned *port, char **path)
{
	const char *rest;

	*https = h->https;
	if (strncasecmp(loc, "http://", 7) == 0 || strncasecmp(loc, "https://", 8) == 0 ||
	    strncmp(loc, "//", 2) == 0) {
		const char *a;
		size_t n;
		int r;

		if (loc[0] != '/')
			*https = tolower((unsigned char)loc[4]) == 's';
		a = strstr(loc, "//") + 2;
		n = strcspn(a, "/?#");
		r = parse_authority(a, n, *https, host, port);
		if (r < 0)
			return r;
		rest = a + n;
		if (*rest == '/') {
			*path = strndup(rest, strcspn(rest, "#"));
		} else if (*rest == '?') {
			if (asprintf(path, "/%.*s", (int)strcspn(rest, "#"), rest) < 0)
				*path = NULL;
		} else {
			*path = strdup("/");
		}
		return *path ? 0 : -ENOMEM;
	}
	*host = strdup(h->host);
	*port = h->port;
	if (!*host)
		return -ENOMEM;
	if (loc[0] == '/') {
		*path = strndup(loc, strcspn(loc, "#"));
	} else {
		/* relative to this path's directory */
		size_t dir = strcspn(h->path, "?");

		while (dir > 0 && h->path[dir - 1] != '/')
			dir--;
		if (asprintf(path, "%.*s%.*s", (int)dir, h->path, (int)strcspn(loc, "#"), loc) < 0)
			*path = NULL;
	}
	return *path ? 0 : -ENOMEM;
}

static void start_request(struct probe_check *c);

static void follow(struct probe_check *c)
{
	struct http_state *h = c->state;
	_cleanup_free_ char *host = NULL, *path = NULL;
	_cleanup_close_ int nsfd = -1;
	struct nano_err err = {0};
	bool https, relative;
	unsigned port;
	int fd, r;

	relative = !(strncasecmp(h->location, "http://", 7) == 0 ||
	             strncasecmp(h->location, "https://", 8) == 0 ||
	             strncmp(h->location, "//", 2) == 0);
	r = resolve_location(h, h->location, &https, &host, &port, &path);
	if (r < 0) {
		fail_get(c, "failed to parse Location header");
		return;
	}
	if (strcasecmp(host, h->first_host) != 0) {
		/* the kubelet's redirect checker: http.ErrUseLastResponse, this response is the
		 * answer */
		finish(c);
		return;
	}
	free(h->host);
	h->host = TAKE_PTR(host);
	free(h->path);
	h->path = TAKE_PTR(path);
	h->https = https;
	h->port = port;
	/* Go keeps a Host of the caller's only for a relative Location (golang/go#22233) */
	if (!relative && h->host_header) {
		free(h->host_header);
		h->host_header = NULL;
	}
	if (set_url(h) < 0) {
		fail_get(c, "out of memory");
		return;
	}
	if (h->requests >= HTTP_MAX_REQUESTS) {
		fail_get(c, "stopped after 10 redirects");
		return;
	}
	/* the next connection goes where the first one went: the same network namespace */
	nsfd = ioctl(c->fd, SIOCGSKNS);
	if (nsfd < 0) {
		fail_get(c, "redirect: the connection's network namespace: cannot open it");
		return;
	}
	fd = net_pod_socket(nsfd, c->addr.ss_family, SOCK_STREAM, &err);
	if (fd < 0) {
		fail_get(c, err.message ? err.message : "socket");
		nano_err_clear(&err);
		return;
	}
	if (c->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&c->addr)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&c->addr)->sin6_port = htons((uint16_t)port);
	probe_tls_free(h->tls);
	h->tls = NULL;
	{
		char text[64];

		if (probe_sockaddr_host((struct sockaddr *)&c->addr, text, sizeof(text), &port) ==
		    0)
			probe_join_host_port(text, port, c->addr_text, sizeof(c->addr_text));
	}
	r = probe_check_reconnect(c, fd, (struct sockaddr *)&c->addr, c->addr_len, &err);
	if (r < 0) {
		fail_get(c, err.message ? err.message : "connect");
		nano_err_clear(&err);
	}
}

/* ---- the response ------------------------------------------------------------------------ */

/* The value of header name in the head (first line excluded), NULL when none. */
static char *head_value(const char *head, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *p = memchr(head, '\n', len), *end = head + len;

	while (p && p + 1 < end) {
		const char *line = p + 1, *eol = memchr(line, '\n', (size_t)(end - line));
		size_t l;

		if (!eol)
			break;
		l = (size_t)(eol - line);
		if (l > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1, *e = eol;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return strndup(v, (size_t)(e - v));
		}
		p = eol;
	}
	return NULL;
}

/* Parses the head once it is all in: 1 done, 0 wait for more, -1 ended the check. */
static int parse_head(struct probe_check *c)
{
	struct http_state *h = c->state;
	char *end, *line_end, *v;
	int minor;
	size_t len;

	for (;;) {
		end = memmem(h->in, h->in_len, "\n\r\n", 3);
		len = end ? (size_t)(end - h->in) + 3 : 0;
		if (!end && (end = memmem(h->in, h->in_len, "\n\n", 2)))
			len = (size_t)(end - h->in) + 2;
		if (!end) {
			if (h->in_len > HTTP_HEAD_MAX) {
				fail_get(c,
				         "net/http: server response headers exceeded 65536 bytes; "
				         "aborted");
				return -1;
			}
			return 0;
		}
		line_end = memchr(h->in, '\n', len);
		if (sscanf(h->in, "HTTP/1.%d %3d", &minor, &h->status) != 2 || h->status < 100) {
			char what[200];
			size_t l = (size_t)(line_end - h->in);

			if (l && h->in[l - 1] == '\r')
				l--;
			snprintf(what, sizeof(what),
			         "net/http: HTTP/1.x transport connection broken: malformed HTTP "
			         "response \"%.*s\"",
			         (int)(l > 100 ? 100 : l), h->in);
			fail_get(c, what);
			return -1;
		}
		/* 1xx: an interim answer, the real one follows (Go skips them too) */
		if (h->status >= 100 && h->status < 200 && h->status != 101) {
			memmove(h->in, h->in + len, h->in_len - len + 1);
			h->in_len -= len;
			continue;
		}
		break;
	}
	h->head_len = len;
	h->content_length = -1;
	v = head_value(h->in, len, "Content-Length");
	if (v) {
		h->content_length = strtoll(v, NULL, 10);
		free(v);
	}
	v = head_value(h->in, len, "Transfer-Encoding");
	h->chunked = v && strcasestr(v, "chunked");
	free(v);
	free(h->location);
	h->location = head_value(h->in, len, "Location");
	if (h->status == 204 || h->status == 304)
		h->content_length = 0;
	return 1;
}

/* Decodes the body bytes in so far: 1 when the body is complete (or 10 KiB of it are in),
 * 0 when more may come. */
static int decode_body(struct http_state *h)
{
	const char *p = h->in + h->head_len, *end = h->in + h->in_len;

	h->body_len = 0;
	if (!h->chunked) {
		size_t n = (size_t)(end - p);

		if (h->content_length >= 0 && n > (size_t)h->content_length)
			n = (size_t)h->content_length;
		if (n > HTTP_BODY_MAX)
			n = HTTP_BODY_MAX;
		memcpy(h->body, p, n);
		h->body_len = n;
		return n == HTTP_BODY_MAX ||
		       (h->content_length >= 0 && n == (size_t)h->content_length);
	}
	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		unsigned long long size;
		size_t take;

		if (!eol)
			return 0;
		size = strtoull(p, NULL, 16);
		if (size == 0)
			return 1; /* the last chunk: trailers do not matter */
		p = eol + 1;
		take = (size_t)(end - p) < size ? (size_t)(end - p) : (size_t)size;
		if (take > HTTP_BODY_MAX - h->body_len)
			take = HTTP_BODY_MAX - h->body_len;
		memcpy(h->body + h->body_len, p, take);
		h->body_len += take;
		if (h->body_len == HTTP_BODY_MAX)
			return 1;
		/* the chunk and the line end after it are not all in (no size + 1: a pod's
		 * server may send any size) */
		if ((size_t)(end - p) <= size)
			return 0;
		p += size;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return 0;
		p = eol + 1;
	}
}

static void response_done(struct probe_check *c)
{
	struct http_state *h = c->state;

	if (is_redirect(h->status) && h->location)
		follow(c);
	else
		finish(c);
}

/* ---- the connection ---------------------------------------------------------------------- */

static ssize_t conn_send(struct probe_check *c, uint32_t *want)
{
	struct http_state *h = c->state;
	ssize_t n;

	if (h->tls)
		return probe_tls_send(h->tls, h->out + h->out_off, h->out_len - h->out_off, want);
	n = send(c->fd, h->out + h->out_off, h->out_len - h->out_off, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		*want = EPOLLOUT;
		return PROBE_TLS_AGAIN;
	}
	return n < 0 ? -errno : n;
}

static ssize_t conn_recv(struct probe_check *c, void *buf, size_t len, uint32_t *want)
{
	struct http_state *h = c->state;
	ssize_t n;

	if (h->tls)
		return probe_tls_recv(h->tls, buf, len, want);
	n = recv(c->fd, buf, len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		*want = EPOLLIN;
		return PROBE_TLS_AGAIN;
	}
	return n < 0 ? -errno : n;
}

/* A failure of a send or recv: errno's words, or GnuTLS's. */
static void io_error(struct probe_check *c, const char *op, ssize_t r)
{
	struct http_state *h = c->state;

	if (h->tls) {
		char what[200];

		snprintf(what, sizeof(what), "tls: %s", probe_tls_strerror((int)r));
		fail_get(c, what);
	} else {
		conn_error(c, op, (int)-r);
	}
}

static void pump(struct probe_check *c)
{
	struct http_state *h = c->state;
	uint32_t want = EPOLLIN;
	ssize_t n;
	int r;

	if (h->phase == HTTP_HANDSHAKE) {
		r = probe_tls_handshake(h->tls, &want);
		if (r < 0 && probe_tls_server_is_http(h->tls)) {
			/* Go's words when the answer to its ClientHello is HTTP */
			fail_get(c, "http: server gave HTTP response to HTTPS client");
			return;
		}
		if (r < 0) {
			char what[200];

			snprintf(what, sizeof(what), "tls: %s", probe_tls_strerror(r));
			fail_get(c, what);
			return;
		}
		if (r == 0) {
			probe_check_want(c, want);
			return;
		}
		h->phase = HTTP_SEND;
	}
	while (h->phase == HTTP_SEND) {
		n = conn_send(c, &want);
		if (n == PROBE_TLS_AGAIN) {
			probe_check_want(c, want);
			return;
		}
		if (n < 0) {
			io_error(c, "write", n);
			return;
		}
		h->out_off += (size_t)n;
		if (h->out_off == h->out_len)
			h->phase = HTTP_HEAD;
	}
	for (;;) {
		char buf[4096];

		n = conn_recv(c, buf, sizeof(buf), &want);
		if (n == PROBE_TLS_AGAIN) {
			probe_check_want(c, want);
			return;
		}
		if (n < 0) {
			io_error(c, "read", n);
			return;
		}
		if (n == 0) {
			if (h->phase == HTTP_HEAD) {
				fail_get(c, h->in_len ? "unexpected EOF" : "EOF");
			} else if (h->content_length >= 0 || h->chunked) {
				/* Go's ReadAll error, which the kubelet reports as it is */
				probe_check_end(c, PROBE_FAILURE, "unexpected EOF");
			} else {
				response_done(c);
			}
			return;
		}
		if (h->in_len + (size_t)n > HTTP_IN_MAX) {
			/* a chunked body in tiny chunks: what came is the output */
			response_done(c);
			return;
		}
		memcpy(h->in + h->in_len, buf, (size_t)n);
		h->in_len += (size_t)n;
		h->in[h->in_len] = '\0'; /* the status line is read with sscanf */
		if (h->phase == HTTP_HEAD) {
			r = parse_head(c);
			if (r < 0)
				return;
			if (r == 0)
				continue;
			h->phase = HTTP_BODY;
		}
		if (decode_body(h)) {
			response_done(c);
			return;
		}
	}
}

static void start_request(struct probe_check *c)
{
	struct http_state *h = c->state;
	int r;

	h->requests++;
	h->in_len = h->head_len = h->body_len = 0;
	h->status = 0;
	r = build_request(c, h);
	if (r < 0) {
		fail_get(c, "out of memory");
		return;
	}
	if (h->https) {
		r = probe_tls_new(c->fd, h->host, &h->tls);
		if (r < 0) {
			char what[200];

			snprintf(what, sizeof(what), "tls: %s", probe_tls_strerror(r));
			fail_get(c, what);
			return;
		}
		h->phase = HTTP_HANDSHAKE;
	} else {
		h->phase = HTTP_SEND;
	}
	pump(c);
}

static void http_connected(struct probe_check *c, int error)
{
	char what[200];

	if (error) {
		snprintf(what, sizeof(what), "dial tcp %s: connect: %s", c->addr_text,
		         probe_errno_text(error));
		fail_get(c, what);
		return;
	}
	start_request(c);
}

static void http_io(struct probe_check *c, uint32_t revents)
{
	(void)revents;
	pump(c);
}

static void http_timeout(struct probe_check *c)
{
	struct http_state *h = c->state;
	char what[200];

	if (c->connecting) {
		snprintf(
		        what, sizeof(what),
		        "dial tcp %s: i/o timeout (Client.Timeout exceeded while awaiting headers)",
		        c->addr_text);
		fail_get(c, what);
	} else if (h->phase == HTTP_BODY) {
		/* the kubelet's "probe errored": its body read's own error, without the URL */
		probe_check_end(c, PROBE_FAILURE,
		                "context deadline exceeded (Client.Timeout or context cancellation "
		                "while reading body)");
	} else {
		fail_get(c, "context deadline exceeded (Client.Timeout exceeded while awaiting "
		            "headers)");
	}
}

static const struct probe_ops http_ops = {
        .connected = http_connected,
        .io = http_io,
        .timeout = http_timeout,
        .free = http_state_free,
};

static int state_new(const struct sockaddr *addr, const struct probe_http_request *request,
                     struct http_state **out)
{
	struct http_state *h = calloc(1, sizeof(*h));
	const struct spec_http_header *host;
	char text[64];

	if (!h)
		return -ENOMEM;
	*out = h;
	if (probe_sockaddr_host(addr, text, sizeof(text), &h->port) < 0)
		return -EINVAL;
	h->https = request->https;
	h->host = strdup(request->host && *request->host ? request->host : text);
	h->first_host = h->host ? strdup(h->host) : NULL;
	if (!request->path || !*request->path)
		h->path = strdup("/");
	else if (request->path[0] != '/')
		(void)asprintf(&h->path, "/%s", request->path); /* url.Parse then String() */
	else
		h->path = strdup(request->path);
	h->in = malloc(HTTP_IN_MAX + 1);
	h->body = malloc(HTTP_BODY_MAX);
	h->headers = calloc(request->n_headers + 1, sizeof(*h->headers));
	if (!h->host || !h->first_host || !h->path || !h->in || !h->body || !h->headers)
		return -ENOMEM;
	for (size_t i = 0; i < request->n_headers; i++) {
		h->headers[i].name =
		        strdup(request->headers[i].name ? request->headers[i].name : "");
		h->headers[i].value =
		        strdup(request->headers[i].value ? request->headers[i].value : "");
		h->n_headers++;
		if (!h->headers[i].name || !h->headers[i].value)
			return -ENOMEM;
		canonical_name(h->headers[i].name);
	}
	host = header_of(h, "Host");
	if (host && *host->value) {
		h->host_header = strdup(host->value);
		if (!h->host_header)
			return -ENOMEM;
	}
	return set_url(h);
}

int probe_http_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                     const struct probe_http_request *request, uint64_t timeout_usec,
                     probe_done_fn *fn, void *userdata, struct probe_check **out,
                     struct nano_err *err)
{
	struct http_state *h = NULL;
	int r;

	if (!addr || !request) {
		if (fd >= 0)
			close(fd);
		return nano_err_set(err, EINVAL, "probe: an address and a request");
	}
	r = state_new(addr, request, &h);
	if (r < 0) {
		http_state_free(h);
		if (fd >= 0)
			close(fd);
		return nano_err_set(err, -r, "probe: httpGet: %s", strerror(-r));
	}
	return probe_check_start(event, fd, addr, addr_len, timeout_usec, &http_ops, h, fn,
	                         userdata, out, err);
}
