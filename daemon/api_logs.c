/* daemon/api_logs.c: GET /api/v1/namespaces/{ns}/pods/{name}/log, as the kubelet serves it:
 * container (required when the pod has several), previous, tailLines, limitBytes, sinceSeconds,
 * sinceTime, timestamps and follow. A follow streams the log as it grows: the connection is
 * suspended while nothing is new, an inotify watch on the container's log directory wakes it,
 * and the stream ends when the container's run ends. No busy loop, no thread per follower. */
#include <string.h>
#include <sys/inotify.h>

#include "logs/logs.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

struct follow {
	struct logs_reader *reader;
	struct http_stream *stream;
	int inotify_fd;
	sd_event_source *source;
	struct pod_watch *watch;
};

static int to_buffer(void *userdata, const char *data, size_t len)
{
	FILE *f = userdata;

	return fwrite(data, 1, len, f) == len ? 0 : -EIO;
}

static int to_stream(void *userdata, const char *data, size_t len)
{
	return http_stream_write(userdata, data, len);
}

static void follow_free(struct follow *f)
{
	if (f->watch)
		pod_watch_cancel(f->watch);
	f->source = sd_event_source_disable_unref(f->source);
	if (f->inotify_fd >= 0)
		close(f->inotify_fd);
	logs_reader_free(f->reader);
	free(f);
}

/* The client went away. */
static void on_stream_closed(void *userdata)
{
	follow_free(userdata);
}

/* The container's run ended: what it wrote last, then the end of the stream. */
static void on_container_end(void *userdata)
{
	struct follow *f = userdata;

	f->watch = NULL; /* pods.c frees a watch once it fired */
	if (logs_reader_read(f->reader, to_stream, f->stream) >= 0)
		logs_reader_flush(f->reader, to_stream, f->stream);
	http_stream_end(f->stream);
	follow_free(f);
}

static int on_log_change(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct follow *f = userdata;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)source;
	(void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (logs_reader_read(f->reader, to_stream, f->stream) == LOGS_READ_LIMIT)
		on_container_end(f); /* limitBytes reached: nothing more will be sent */
	return 0;
}

static int follow_start(struct nanoletd *d, struct pod *pod, const char *container,
                        const struct http_request *req, struct logs_reader *reader)
{
	struct follow *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	*f = (struct follow){.reader = reader, .inotify_fd = -1};
	f->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* the directory, not the file: rotation renames the file */
	if (f->inotify_fd < 0 || inotify_add_watch(f->inotify_fd, logs_reader_dir(reader),
	                                           IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
		return f->reader = NULL, follow_free(f), -errno;
	r = sd_event_add_io(d->event, &f->source, f->inotify_fd, EPOLLIN, on_log_change, f);
	if (r >= 0 && !(f->watch = pod_watch_container(pod, container, on_container_end, f)))
		r = -ENOMEM;
	if (r >= 0 && !(f->stream = http_stream_open(req, 200, "text/plain; charset=utf-8",
	                                             on_stream_closed, f)))
		r = -ENOMEM;
	if (r < 0)
		return f->reader = NULL, follow_free(f), r;
	logs_reader_read(reader, to_stream, f->stream);
	return 0;
}

/* Query numbers: absent -> dflt; anything but a whole number >= 0 -> -EINVAL. */
static int query_int(const struct http_request *req, const char *key, int64_t dflt, int64_t *out)
{
	const char *v = http_query(req, key);
	char *end;

	*out = dflt;
	if (!v)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return !*v || *end || errno || *out < 0 ? -EINVAL : 0;
}

static bool query_true(const struct http_request *req, const char *key)
{
	const char *v = http_query(req, key);

	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void bad_request(struct http_response *resp, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void bad_request(struct http_response *resp, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	routes_status(resp, 400, "BadRequest", message ? message : "bad request");
}

static void plain_text(struct http_response *resp, char *text, size_t len)
{
	if (!text)
		return routes_status(resp, 500, "InternalError", "out of memory");
	resp->code = 200;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body = text;
	resp->body_len = len;
}

/* The container the request means: ?container=, or the only one. */
static const char *pick_container(const struct pod *pod, const char *name,
                                  const struct http_request *req, struct http_response *resp)
{
	const char *names[64], *wanted = http_query(req, "container");
	size_t n = pod_containers(pod, names, ELEMENTSOF(names));
	_cleanup_strv_ char **list = NULL;
	_cleanup_free_ char *joined = NULL;

	if (!wanted && n == 1)
		return names[0];
	for (size_t i = 0; wanted && i < n; i++)
		if (strcmp(names[i], wanted) == 0)
			return names[i];
	for (size_t i = 0; i < n; i++)
		strv_push(&list, strdup(names[i]));
	joined = strv_join(list, " ");
	if (!wanted)
		bad_request(resp,
		            "a container name must be specified for pod %s, choose one of: [%s]",
		            name, joined ? joined : "");
	else
		bad_request(resp, "container %s is not valid for pod %s", wanted, name);
	return NULL;
}

void api_pod_log(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                 struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_logs_reader_ struct logs_reader *reader = NULL;
	_cleanup_free_ char *dir = NULL, *text = NULL;
	struct logs_read_options options = {0};
	struct timespec now, since_time = {0};
	struct pod *pod = pods_find(d->pods, args->ns, args->name);
	const char *container, *since = http_query(req, "sinceTime");
	bool previous = query_true(req, "previous"), follow = query_true(req, "follow");
	int64_t since_seconds;
	size_t text_len = 0;
	FILE *f;
	int restart, r;

	if (!pod)
		return routes_status(resp, 404, "NotFound", "pod not found");
	container = pick_container(pod, args->name, req, resp);
	if (!container)
		return;
	if (query_int(req, "tailLines", -1, &options.tail_lines) < 0 ||
	    query_int(req, "limitBytes", -1, &options.limit_bytes) < 0 ||
	    query_int(req, "sinceSeconds", -1, &since_seconds) < 0 ||
	    (since && logs_parse_timestamp(since, strlen(since), &since_time) < 0))
		return bad_request(resp, "tailLines, limitBytes and sinceSeconds take a whole "
		                         "number, sinceTime an RFC 3339 time");
	clock_gettime(CLOCK_REALTIME, &now);
	options.since = logs_since(since_seconds, since ? &since_time : NULL, &now);
	options.timestamps = query_true(req, "timestamps");
	r = pod_container_logs(pod, container, &dir, &restart);
	if (r < 0)
		return routes_status(resp, 500, "InternalError", strerror(-r));
	if (previous)
		restart--;
	follow = follow && !previous && pod_container_running(pod, container);
	options.follow = follow;
	if (restart < 0)
		return bad_request(resp,
		                   previous ? "previous terminated container \"%s\" in pod \"%s\" "
		                              "not found"
		                            : "container \"%s\" in pod \"%s\" is waiting to start",
		                   container, args->name);
	r = logs_reader_open(dir, (unsigned)restart, &options, &reader, &err);
	if (r == -ENOENT) /* the run wrote nothing yet */
		return plain_text(resp, strdup(""), 0);
	if (r < 0)
		return routes_status(resp, 500, "InternalError", err.message);
	if (follow) {
		r = follow_start(d, pod, container, req, reader);
		if (r < 0)
			return routes_status(resp, 500, "InternalError", strerror(-r));
		reader = NULL; /* the follow owns it */
		return;
	}
	f = open_memstream(&text, &text_len);
	if (!f)
		return routes_status(resp, 500, "InternalError", "out of memory");
	r = logs_reader_read(reader, to_buffer, f);
	fclose(f);
	if (r < 0)
		return routes_status(resp, 500, "InternalError", strerror(-r));
	plain_text(resp, TAKE_PTR(text), text_len);
}
