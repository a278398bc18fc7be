/* pkg/image/registry_http.c: libcurl's multi interface on the daemon's sd-event loop. curl says
 * which sockets to watch (CURLMOPT_SOCKETFUNCTION -> an sd-event io source per socket, its
 * pointer kept by curl_multi_assign) and when to wake it (CURLMOPT_TIMERFUNCTION -> one time
 * source); the loop calls curl_multi_socket_action back, and each request that ended is handed
 * to its owner. Nothing here waits: a blob's bytes are written to its file as they arrive (a
 * regular file's write does not wait on the network). */
#include "image/registry_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX (8 << 20) /* a manifest, an index, a config or a token: far less */

struct registry_http {
	sd_event *event;
	CURLM *multi; /* NULL until registry_http_ready */
	sd_event_source *timer;
	bool global_init; /* curl_global_init called: curl_global_cleanup at the end */
};

static void check_done(struct registry_http *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = sym_curl_multi_info_read(h->multi, &left))) {
		struct registry_xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		sym_curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (!x)
			continue;
		x->result = msg->data.result;
		sym_curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
		sym_curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &x->os_errno);
		/* out of the multi before the owner hears: it may free x or start another */
		sym_curl_multi_remove_handle(h->multi, x->easy);
		x->done(x, x->userdata);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct registry_http *h = userdata;
	int flags = 0, running;

	(void)s;
	if (revents & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	sym_curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct registry_http *h = userdata;
	int running;

	(void)s;
	(void)usec;
	sym_curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
	return 0;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct registry_http *h = userp;
	sd_event_source *src = socketp;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (src) {
			sd_event_source_disable_unref(src);
			sym_curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (src) {
		if (sd_event_source_set_io_events(src, events) < 0 ||
		    sd_event_source_set_enabled(src, SD_EVENT_ON) < 0)
			return -1;
		return 0;
	}
	if (sd_event_add_io(h->event, &src, fd, events, on_io, h) < 0)
		return -1;
	(void)sd_event_source_set_description(src, "image-pull-io");
	sym_curl_multi_assign(h->multi, fd, src);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct registry_http *h = userp;
	uint64_t now;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(h->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	if (sd_event_now(h->event, CLOCK_MONOTONIC, &now) < 0)
		return -1;
	/* 0: at once, but from the loop: curl forbids socket_action inside its own callback */
	if (sd_event_source_set_time(h->timer, now + (uint64_t)timeout_ms * 1000) < 0 ||
	    sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

int registry_http_new(sd_event *e, struct registry_http **out)
{
	struct registry_http *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->event = sd_event_ref(e);
	r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, 0, 0, on_timer, h);
	if (r < 0) {
		registry_http_free(h);
		return r;
	}
	(void)sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
	(void)sd_event_source_set_description(h->timer, "image-pull-timer");
	*out = h;
	return 0;
}

int registry_http_ready(struct registry_http *h, struct nano_err *err)
{
	int r;

	if (h->multi)
		return 0;
	r = curl_dl_open(err);
	if (r < 0)
		return r;
	/* curl's rule: once before any other call; each one is paired with a cleanup */
	if (!h->global_init) {
		if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return nano_err_set(err, EIO, "libcurl: global init failed");
		h->global_init = true;
	}
	h->multi = sym_curl_multi_init();
	if (!h->multi)
		return nano_err_set(err, ENOMEM, "out of memory");
	sym_curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	sym_curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	sym_curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	sym_curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return 0;
}

struct registry_http *registry_http_free(struct registry_http *h)
{
	if (!h)
		return NULL;
	if (h->multi)
		sym_curl_multi_cleanup(h->multi);
	sd_event_source_disable_unref(h->timer);
	sd_event_unref(h->event);
	if (h->global_init)
		sym_curl_global_cleanup();
	free(h);
	return NULL;
}

/* ---- one request ------------------------------------------------------------------------- */

void registry_xfer_free(struct registry_xfer *x)
{
	if (!x)
		return;
	if (x->easy) {
		sym_curl_multi_remove_handle(x->http->multi, x->easy);
		sym_curl_easy_cleanup(x->easy);
	}
	sym_curl_slist_free_all(x->headers);
	if (x->hash)
		image_hash_free(x->hash);
	if (x->fd >= 0)
		close(x->fd);
	free(x->url);
	free(x->body);
	free(x->content_type);
	free(x->www_authenticate);
	free(x);
}

static bool status_ok(CURL *easy)
{
	long code = 0;

	sym_curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	return code >= 200 && code < 300;
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata)
{
	struct registry_xfer *x = userdata;
	size_t len = size * n;
	char *b;

	/* an error answer's body (401, 404) is kept for its words, never written to the file */
	if (x->fd >= 0 && status_ok(x->easy)) {
		if (x->max_bytes > 0 && x->written + (int64_t)len > x->max_bytes) {
			x->too_big = true;
			return 0;
		}
		for (size_t off = 0; off < len;) {
			ssize_t w = write(x->fd, data + off, len - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return 0;
			}
			off += (size_t)w;
		}
		image_hash_update(x->hash, data, len);
		x->written += (int64_t)len;
		return len;
	}
	if (x->len + len > (x->fd < 0 && x->max_bytes > 0 ? (size_t)x->max_bytes : BODY_MAX)) {
		x->too_big = true;
		return 0;
	}
	b = realloc(x->body, x->len + len + 1);
	if (!b)
		return 0;
	memcpy(b + x->len, data, len);
	x->len += len;
	b[x->len] = '\0';
	x->body = b;
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct registry_xfer *x = userdata;
	size_t len = size * n, l;
	char **slot;
	const char *v;

	if (len > 13 && strncasecmp(data, "Content-Type:", 13) == 0) {
		slot = &x->content_type;
		v = data + 13;
	} else if (len > 17 && strncasecmp(data, "WWW-Authenticate:", 17) == 0) {
		slot = &x->www_authenticate;
		v = data + 17;
	} else if (len > 5 && strncasecmp(data, "HTTP/", 5) == 0) {
		/* a new answer (after a redirect): forget the last one's */
		free(x->content_type);
		free(x->www_authenticate);
		x->content_type = x->www_authenticate = NULL;
		return len;
	} else {
		return len;
	}
	while (v < data + len && (*v == ' ' || *v == '\t'))
		v++;
	l = (size_t)(data + len - v);
	while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
		l--;
	free(*slot);
	*slot = strndup(v, l);
	return *slot ? len : 0;
}

static int header_add(struct curl_slist **l, const char *name, const char *value)
{
	_cleanup_free_ char *line = strdupf("%s: %s", name, value);
	struct curl_slist *grown;

	if (!line)
		return -ENOMEM;
	grown = sym_curl_slist_append(*l, line);
	if (!grown)
		return -ENOMEM;
	*l = grown;
	return 0;
}

int registry_xfer_start(struct registry_http *h, const struct registry_request *req,
                        void (*done)(struct registry_xfer *x, void *userdata), void *userdata,
                        struct registry_xfer **out)
{
	_cleanup_(nano_err_clear) struct nano_err ignored = {0};
	struct registry_xfer *x;
	int r = registry_http_ready(h, &ignored); /* a pull made it ready (registry.c) */

	if (r < 0) {
		if (req->fd >= 0)
			close(req->fd);
		return r;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		if (req->fd >= 0)
			close(req->fd);
		return -ENOMEM;
	}
	x->http = h;
	x->fd = req->fd;
	x->max_bytes = req->max_bytes;
	x->done = done;
	x->userdata = userdata;
	x->url = strdup(req->url);
	x->easy = sym_curl_easy_init();
	if (!x->url || !x->easy) {
		registry_xfer_free(x);
		return -ENOMEM;
	}
	if (x->fd >= 0 && (r = image_hash_new(&x->hash)) < 0) {
		registry_xfer_free(x);
		return r;
	}
	if ((req->accept && (r = header_add(&x->headers, "Accept", req->accept)) < 0) ||
	    (req->authorization &&
	     (r = header_add(&x->headers, "Authorization", req->authorization)) < 0)) {
		registry_xfer_free(x);
		return r;
	}
	sym_curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
	sym_curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	sym_curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_write);
	sym_curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	sym_curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	sym_curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	sym_curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	/* blobs redirect to storage; curl sends our Authorization to the first host only */
	sym_curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L);
	sym_curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 10L);
	sym_curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "nanolet/" NANOLET_VERSION);
	if (req->timeout_s > 0) {
		sym_curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT, (long)req->timeout_s);
		/* image_pull_timeout: a request that moves no byte for that long fails */
		sym_curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		sym_curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME, (long)req->timeout_s);
	}
	if (req->skip_verify) {
		sym_curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		sym_curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (sym_curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		registry_xfer_free(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}
