/* daemon/api_logs.c: GET /api/v1/namespaces/{ns}/pods/{name}/log, as the kubelet serves it:
 * container (required when the pod has several), previous, tailLines, limitBytes, sinceSeconds,
 * sinceTime, timestamps and follow.
 *
 * Every log is streamed with backpressure (http.h): the reader hands lines to the stream until
 * the stream holds stream_buffer_bytes the client has not taken, then pauses where it is in the
 * file, and goes on when the client has read half of it. The log file is the buffer; a client
 * costs the daemon the stream's bound and the reader's, never a copy of the log.
 * A follow also waits for more: a watch on the container's log directory (on the daemon's one
 * shared inotify instance, fs_watch.h) wakes it, and the stream ends once the container's run
 * has ended and what it wrote last went out. At most max_log_follows at once (429 past it). No
 * busy loop, no thread per follower. */
#include <string.h>

#include "fs_watch.h"
#include "logs/logs.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

struct log_stream {
	struct nanoletd *d;
	struct logs_reader *reader;
	struct http_stream *stream;
	struct fs_watch *dir_watch;  /* follow: the log directory */
	struct pod_watch *pod_watch; /* follow: the end of the container's run; the pod manager
	                              * frees it once it fired */
	bool follow;
	bool paused;    /* the stream is full: wait for on_drain */
	bool run_ended; /* read what is left, then end */
};

static void log_stream_free(struct log_stream *ls)
{
	if (ls->pod_watch)
		pod_watch_cancel(ls->pod_watch);
	fs_watch_remove(ls->dir_watch);
	logs_reader_free(ls->reader);
	if (ls->follow)
		ls->d->log_follows--;
	free(ls);
}

/* The end of the answer: the stream lets go of us, we of it. */
static void finish(struct log_stream *ls)
{
	http_stream_end(ls->stream);
	log_stream_free(ls);
}

static int to_stream(void *userdata, const char *data, size_t len)
{
	struct log_stream *ls = userdata;
	int r = http_stream_write(ls->stream, data, len);

	return r < 0 ? r : r > 0 ? LOGS_READ_PAUSED : 0;
}

/* Reads what is there, as far as the client keeps up. May end the stream and free ls. */
static void pump(struct log_stream *ls)
{
	int q = logs_reader_read(ls->reader, to_stream, ls);

	ls->paused = q == LOGS_READ_PAUSED;
	if (ls->paused)
		return;
	if (q < 0)
		log_warn("log stream: %s", strerror(-q));
	if (q == 0 && ls->follow && !ls->run_ended)
		return; /* caught up: the directory watch says when there is more */
	if (q == 0 && ls->follow)
		(void)logs_reader_flush(ls->reader, to_stream, ls);
	finish(ls); /* read all (or limitBytes, or an error) */
}

static void on_drain(void *userdata)
{
	pump(userdata);
}

/* The client went away: the stream is gone. */
static void on_closed(void *userdata)
{
	struct log_stream *ls = userdata;

	ls->stream = NULL;
	log_stream_free(ls);
}

static void on_log_change(void *userdata)
{
	struct log_stream *ls = userdata;

	if (!ls->paused)
		pump(ls);
}

/* The container's run ended: what it wrote last, then the end of the stream. */
static void on_run_end(void *userdata)
{
	struct log_stream *ls = userdata;

	ls->pod_watch = NULL; /* the pod manager frees a watch once it fired */
	ls->run_ended = true;
	if (!ls->paused)
		pump(ls);
}

static const struct http_stream_ops stream_ops = {.on_drain = on_drain, .on_closed = on_closed};

/* Streams the log; takes the reader, also on failure. */
static int log_stream_start(struct nanoletd *d, struct pod *pod, const char *container, bool follow,
                            const struct http_request *req, struct logs_reader *reader)
{
	struct log_stream *ls = calloc(1, sizeof(*ls));
	int r = 0;

	if (!ls) {
		logs_reader_free(reader);
		return -ENOMEM;
	}
	*ls = (struct log_stream){.d = d, .reader = reader, .follow = follow};
	if (follow) {
		d->log_follows++;
		/* the directory, not the file: rotation renames the file */
		r = fs_watch_add(d->fs_watches, logs_reader_dir(reader), FS_WATCH_DIR_CHANGES,
		                 on_log_change, ls, &ls->dir_watch);
		if (r >= 0 &&
		    !(ls->pod_watch = pod_watch_container(pod, container, on_run_end, ls)))
			r = -ENOMEM;
	}
	if (r >= 0 && !(ls->stream = http_stream_open(req, 200, "text/plain; charset=utf-8",
	                                              &stream_ops, ls)))
		r = -ENOMEM;
	if (r < 0) {
		log_stream_free(ls);
		return r;
	}
	/* before the route returns: MHD asks for data only once the answer is queued */
	pump(ls);
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

static void plain_text(struct http_response *resp, char *text, size_t len)
{
	if (!text)
		return routes_status(resp, 500, "InternalError", "out of memory");
	resp->code = 200;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body = text;
	resp->body_len = len;
}

/* A container without a run yet, in the kubelet's words: "is waiting to start: <its waiting
 * reason>" (ContainerCreating, ErrImageNeverPull, CreateContainerConfigError...), or "- no
 * logs yet" without one. */
static void waiting_to_start(const struct pod *pod, const char *container, const char *name,
                             struct http_response *resp)
{
	_cleanup_json_ json_t *json = pod_to_json(pod);
	json_t *statuses = json_object_get(json_object_get(json, "status"), "containerStatuses"),
	       *cs;
	const char *reason = NULL;
	size_t i;

	json_array_foreach(
	        statuses, i,
	        cs) if (json_is_string(json_object_get(cs, "name")) &&
	                strcmp(json_string_value(json_object_get(cs, "name")), container) == 0)
	        reason = json_string_value(json_object_get(
	                json_object_get(json_object_get(cs, "state"), "waiting"), "reason"));
	if (reason)
		return api_bad_request(resp,
		                       "container \"%s\" in pod \"%s\" is waiting to start: %s",
		                       container, name, reason);
	api_bad_request(resp, "container \"%s\" in pod \"%s\" is waiting to start - no logs yet",
	                container, name);
}

void api_pod_log(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                 struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_logs_reader_ struct logs_reader *reader = NULL;
	_cleanup_free_ char *dir = NULL;
	struct logs_read_options options = {0};
	struct timespec now, since_time = {0};
	struct pod *pod = api_find_pod(d, args, resp);
	const char *container, *since = http_query(req, "sinceTime");
	bool previous = api_query_true(req, "previous"), follow = api_query_true(req, "follow");
	int64_t since_seconds;
	int restart, r;

	if (!pod)
		return;
	container = api_pod_container(pod, args->name, req, resp);
	if (!container)
		return;
	if (query_int(req, "tailLines", -1, &options.tail_lines) < 0 ||
	    query_int(req, "limitBytes", -1, &options.limit_bytes) < 0 ||
	    query_int(req, "sinceSeconds", -1, &since_seconds) < 0 ||
	    (since && logs_parse_timestamp(since, strlen(since), &since_time) < 0))
		return api_bad_request(resp, "tailLines, limitBytes and sinceSeconds take a whole "
		                             "number, sinceTime an RFC 3339 time");
	clock_gettime(CLOCK_REALTIME, &now);
	options.since = logs_since(since_seconds, since ? &since_time : NULL, &now);
	options.timestamps = api_query_true(req, "timestamps");
	r = pod_container_logs(pod, container, &dir, &restart);
	if (r < 0)
		return routes_status(resp, 500, "InternalError", strerror(-r));
	if (previous)
		restart--;
	follow = follow && !previous && pod_container_running(pod, container);
	options.follow = follow;
	if (restart < 0 && previous)
		return api_bad_request(
		        resp, "previous terminated container \"%s\" in pod \"%s\" not found",
		        container, args->name);
	if (restart < 0)
		return waiting_to_start(pod, container, args->name, resp);
	if (follow && (int64_t)d->log_follows >= d->config.max_log_follows) {
		_cleanup_free_ char *message =
		        strdupf("%zu logs are followed already, the most this node serves at once "
		                "(max_log_follows): try again later",
		                d->log_follows);

		log_warn("log follow of %s/%s refused: %zu open (max_log_follows)", args->ns,
		         args->name, d->log_follows);
		routes_status(resp, 429, "TooManyRequests", message ? message : "too many follows");
		resp->retry_after = 1;
		return;
	}
	r = logs_reader_open(dir, (unsigned)restart, &options, &reader, &err);
	if (r == -ENOENT) /* the run wrote nothing yet */
		return plain_text(resp, strdup(""), 0);
	if (r < 0)
		return routes_status(resp, 500, "InternalError", err.message);
	r = log_stream_start(d, pod, container, follow, req, TAKE_PTR(reader));
	if (r < 0)
		return routes_status(resp, 500, "InternalError", strerror(-r));
}
