/* daemon/api_watch.c: ?watch=true (or 1) on GET /api/v1/pods, /api/v1/namespaces/{ns}/pods,
 * /api/v1/events and /api/v1/namespaces/{ns}/events, as the API server streams them: a chunked
 * answer of newline-delimited WatchEvents {"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
 * "object": ...}.
 *
 *   resourceVersion "" or "0"  ADDED for every object now, then each change
 *   resourceVersion N          each change after N, from the pod manager's ring of recent
 *                              changes (pkg/watch); older than the ring reaches: one ERROR
 *                              event with the 410 Gone Status "too old resource version: N (M)"
 *   resourceVersionMatch       ignored (the API server's NotOlderThan/Exact only narrow what a
 *                              list from the watch cache may answer; a watch is served as above)
 *   allowWatchBookmarks        a BOOKMARK with the current resourceVersion every minute, and
 *                              2 s before timeoutSeconds ends the stream, as the watch cache does
 *   timeoutSeconds             the stream ends cleanly then (absent: it runs until the client
 *                              or the daemon goes)
 *   fieldSelector, labelSelector   only the objects they select (api_select.c). As the API
 *                              server's cacheWatcher does, a change that makes an object leave
 *                              the selection is sent as DELETED, one that brings it in as ADDED
 *                              (for a watch resumed from a resourceVersion, a change in the
 *                              replay is sent as it came: what the client held is not known).
 *
 * A Table is streamed when the request's Accept asks for one (pkg/printers; ?includeObject=
 * as for a list): each event's object a one-row Table, the first with its column definitions.
 *
 * Backpressure: what waits for the client is a queue of event lines; the stream takes them
 * while it holds less than stream_buffer_bytes (http.h). A client that falls further behind,
 * its queue past stream_buffer_bytes too, is dropped (its stream ends: clients re-watch from
 * the last resourceVersion they saw, and list again on a 410), so a slow client never costs
 * more than twice stream_buffer_bytes. The first burst (what there is, or a replay) is as
 * large as a list would be. No thread, no busy loop. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "nanoletd.h"
#include "pods.h"
#include "printers/printers.h"
#include "routes.h"

/* The watch cache's bookmark frequency, and how long before the deadline the last one goes. */
#define BOOKMARK_USEC           (60 * UINT64_C(1000000))
#define BOOKMARK_PRE_DEADLINE_S 2

struct api_watch {
	struct nanoletd *d;
	struct api_watch *next; /* in d->watches */
	struct http_stream *stream;
	struct watch_subscriber *sub;
	enum watch_kind kind;
	char ns[64]; /* "" for every namespace */
	struct api_selectors sel;
	bool selective;   /* sel has a term: selected tells what the client holds */
	json_t *selected; /* "namespace/name" -> true: the objects sent as selected */
	bool replaying;   /* the changes after a resourceVersion, before the live ones */
	bool bookmarks;
	bool table; /* each object a one-row Table of table_options (Accept, ?includeObject=) */
	struct printers_options table_options;
	json_t *queue; /* WatchEvent lines (JSON strings) not yet written, from queue_pos */
	size_t queue_pos, queued_bytes;
	bool bursting;          /* queueing the first events (what there is, a replay): unbounded */
	size_t burst_count;     /* how many of the queue's first lines those are */
	bool full;              /* the stream is at its bound: wait for on_drain */
	uint64_t deadline_usec; /* CLOCK_MONOTONIC; 0: none */
	sd_event_source *timeout, *bookmark;
};

bool api_watch_wanted(const struct http_request *req)
{
	return api_query_true(req, "watch");
}

static void watch_free(struct api_watch *w)
{
	for (struct api_watch **p = &w->d->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	watch_ring_unsubscribe(pods_watch_ring(w->d->pods), w->sub);
	sd_event_source_disable_unref(w->timeout);
	sd_event_source_disable_unref(w->bookmark);
	api_selectors_done(&w->sel);
	json_decref(w->selected);
	json_decref(w->queue);
	free(w);
}

/* The end of the stream: the client re-watches from what it saw. */
static void finish(struct api_watch *w)
{
	if (w->stream)
		http_stream_end(w->stream);
	watch_free(w);
}

/* An event's object as this watch sends it: as it is, or a one-row Table. NULL on ENOMEM (or
 * a printer that failed: the object as it is then). */
static json_t *shown(struct api_watch *w, json_t *object, const char *type)
{
	if (w->table && strcmp(type, "ERROR") != 0) {
		json_t *table;

		if (strcmp(type, "BOOKMARK") == 0)
			return json_pack("{s:s, s:s, s:O, s:[], s:[]}", "kind", "Table",
			                 "apiVersion",
			                 w->table_options.api_version ? w->table_options.api_version
			                                              : "meta.k8s.io/v1",
			                 "metadata", json_object_get(object, "metadata"),
			                 "columnDefinitions", "rows");
		w->table_options.now_s = (int64_t)time(NULL);
		table = printers_table(object, &w->table_options);
		if (table) {
			/* the column definitions once, in the first event */
			w->table_options.no_headers = true;
			return table;
		}
	}
	return json_incref(object);
}

/* Writes what is queued while the stream takes it. May end the watch and free w: returns
 * -1 then. */
static int pump(struct api_watch *w)
{
	while (!w->full && w->queue_pos < json_array_size(w->queue)) {
		size_t at = w->queue_pos++;
		const json_t *line = json_array_get(w->queue, at);
		int r = http_stream_write(w->stream, json_string_value(line),
		                          json_string_length(line));

		if (r < 0) {
			log_warn("watch: out of memory: ending it");
			finish(w);
			return -1;
		}
		if (at >= w->burst_count)
			w->queued_bytes -= json_string_length(line);
		w->full = r > 0;
	}
	if (w->queue_pos == json_array_size(w->queue)) {
		json_array_clear(w->queue);
		w->queue_pos = 0;
		w->burst_count = 0;
	}
	return 0;
}

/* Queues a WatchEvent line; -ENOBUFS when the client is too far behind: what waits for it
 * beside what the stream holds would pass stream_buffer_bytes. */
static int enqueue(struct api_watch *w, const char *type, json_t *object)
{
	_cleanup_json_ json_t *event = NULL;
	_cleanup_free_ char *line = NULL;
	json_t *shown_object = shown(w, object, type);
	size_t len;

	if (!shown_object ||
	    !(event = json_pack("{s:s, s:o}", "type", type, "object", shown_object)) ||
	    !(line = json_dumps(event, JSON_COMPACT)))
		return -ENOMEM;
	len = strlen(line);
	line[len++] = '\n'; /* over the NUL: the string below has its length */
	if (!w->bursting && w->queued_bytes > 0 &&
	    w->queued_bytes + len > (size_t)w->d->config.stream_buffer_bytes)
		return -ENOBUFS;
	if (json_array_append_new(w->queue, json_stringn_nocheck(line, len)) < 0)
		return -ENOMEM;
	if (!w->bursting)
		w->queued_bytes += len;
	return 0;
}

static bool in_scope(const struct api_watch *w, enum watch_kind kind, const json_t *object)
{
	const char *ns = json_string_value(
	        json_object_get(json_object_get(object, "metadata"), "namespace"));

	return kind == w->kind && (!w->ns[0] || (ns && strcmp(ns, w->ns) == 0));
}

/* "namespace/name": what names an object of the watch's kind. NULL on ENOMEM. */
static char *object_key(const json_t *object)
{
	const json_t *metadata = json_object_get(object, "metadata");
	const char *ns = json_string_value(json_object_get(metadata, "namespace"));
	const char *name = json_string_value(json_object_get(metadata, "name"));

	return strdupf("%s/%s", ns ? ns : "", name ? name : "");
}

/* Remembers (or forgets) that the client holds object as selected. */
static int hold(struct api_watch *w, const json_t *object, bool held)
{
	_cleanup_free_ char *key = object_key(object);

	if (!key)
		return -ENOMEM;
	if (!held)
		return json_object_del(w->selected, key), 0;
	return json_object_set_new(w->selected, key, json_true()) < 0 ? -ENOMEM : 0;
}

static bool holds(const struct api_watch *w, const json_t *object)
{
	_cleanup_free_ char *key = object_key(object);

	return key && json_object_get(w->selected, key);
}

/* A change from the ring: replayed (watch_ring_since), or live. */
static int queue_change(void *userdata, const struct watch_change *c)
{
	struct api_watch *w = userdata;
	enum watch_type type = c->type;
	bool match, had;
	int r;

	if (!in_scope(w, c->kind, c->object))
		return 0;
	match = api_selectors_match(c->object, &w->sel);
	if (!w->selective)
		return match ? enqueue(w, watch_type_name(type), c->object) : 0;
	had = holds(w, c->object);
	if (!match && !had)
		return 0;
	if (!match) /* it left the selection: gone, as far as this watch goes */
		type = WATCH_DELETED;
	else if (type == WATCH_MODIFIED && !had && !w->replaying)
		type = WATCH_ADDED; /* it came into it */
	r = hold(w, c->object, type != WATCH_DELETED);
	return r < 0 ? r : enqueue(w, watch_type_name(type), c->object);
}

static void on_change(void *userdata, const struct watch_change *c)
{
	struct api_watch *w = userdata;
	int r = queue_change(w, c);

	if (r < 0) {
		log_warn("watch of %s: the client is %s behind: ending it (it watches again)",
		         w->kind == WATCH_PODS ? "pods" : "events",
		         r == -ENOBUFS ? "too far" : "out of memory");
		return finish(w);
	}
	(void)pump(w);
}

static void on_drain(void *userdata)
{
	struct api_watch *w = userdata;

	w->full = false;
	(void)pump(w);
}

static void on_closed(void *userdata)
{
	struct api_watch *w = userdata;

	w->stream = NULL;
	watch_free(w);
}

static const struct http_stream_ops stream_ops = {.on_drain = on_drain, .on_closed = on_closed};

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
	(void)source;
	(void)usec;
	finish(userdata);
	return 0;
}

static int arm_bookmark(struct api_watch *w, uint64_t now);

/* A BOOKMARK: the object's kind with only metadata.resourceVersion, the counter now. */
static int on_bookmark(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct api_watch *w = userdata;
	_cleanup_json_ json_t *object = NULL;
	char rv[24];

	(void)source;
	snprintf(rv, sizeof(rv), "%" PRIu64, pods_resource_version(w->d->pods));
	object = json_pack("{s:s, s:s, s:{s:s, s:n}}", "kind",
	                   w->kind == WATCH_PODS ? "Pod" : "Event", "apiVersion", "v1", "metadata",
	                   "resourceVersion", rv, "creationTimestamp");
	/* a client this far behind gets its bookmark later */
	if (object && enqueue(w, "BOOKMARK", object) == 0 && pump(w) < 0)
		return 0;
	if (arm_bookmark(w, usec) < 0)
		log_warn("watch: no more bookmarks: %s", strerror(ENOMEM));
	return 0;
}

/* The next bookmark: a minute on, or 2 s before the deadline if that comes first (none when
 * that is past). */
static int arm_bookmark(struct api_watch *w, uint64_t now)
{
	uint64_t at = now + BOOKMARK_USEC;

	if (w->deadline_usec) {
		uint64_t pre = w->deadline_usec - BOOKMARK_PRE_DEADLINE_S * UINT64_C(1000000);

		if (w->deadline_usec < BOOKMARK_PRE_DEADLINE_S * UINT64_C(1000000) || pre <= now)
			return 0;
		if (pre < at)
			at = pre;
	}
	w->bookmark = sd_event_source_disable_unref(w->bookmark);
	return sd_event_add_time(w->d->event, &w->bookmark, CLOCK_MONOTONIC, at, 0, on_bookmark, w);
}

/* The API server's answer inside a watch to a resourceVersion the cache no longer holds. */
static json_t *too_old(uint64_t asked, uint64_t start)
{
	_cleanup_free_ char *message =
	        strdupf("too old resource version: %" PRIu64 " (%" PRIu64 ")", asked, start);

	return message ? json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status",
	                           "apiVersion", "v1", "metadata", "status", "Failure", "message",
	                           message, "reason", "Expired", "code", 410)
	               : NULL;
}

/* ADDED for every object there is now (resourceVersion "" or "0"). */
static int queue_current(struct api_watch *w)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *list = NULL;
	json_t *item;
	size_t i;

	if (w->kind == WATCH_PODS) {
		list = pods_list_json(w->d->pods, w->ns[0] ? w->ns : NULL, api_selectors_match,
		                      &w->sel);
	} else {
		struct store_event *evs = NULL;
		size_t n = 0;

		if (store_events_list(
		            pods_store(w->d->pods), w->ns[0] ? w->ns : NULL,
		            events_selector_equal_value(&w->sel.fields, "involvedObject.name"),
		            &evs, &n, &err) < 0)
			return -EIO;
		list = events_list_json(evs, n, &w->sel.fields);
		store_events_free(evs, n);
	}
	if (!list)
		return -ENOMEM;
	json_array_foreach(json_object_get(list, "items"), i, item)
	{
		if (!watch_labels_match(&w->sel.labels, item))
			continue;
		if ((w->selective && hold(w, item, true) < 0) || enqueue(w, "ADDED", item) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ?timeoutSeconds=: a whole number >= 0 (0: none), else -EINVAL. */
static int timeout_seconds(const struct http_request *req, uint64_t *out)
{
	const char *v = http_query(req, "timeoutSeconds");
	char *end;

	*out = 0;
	if (!v)
		return 0;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !*v || *end || errno || *v == '-' ? -EINVAL : 0;
}

void api_watch(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
               enum watch_kind kind, struct http_response *resp)
{
	const char *rv_text = http_query(req, "resourceVersion");
	struct watch_ring *ring = pods_watch_ring(d->pods);
	struct api_watch *w;
	uint64_t rv, timeout, now;
	int r = 0;

	if (watch_parse_resource_version(rv_text, &rv) < 0)
		return api_bad_request(
		        resp, "invalid resourceVersion \"%s\": must be a whole number", rv_text);
	if (timeout_seconds(req, &timeout) < 0)
		return api_bad_request(resp,
		                       "invalid timeoutSeconds \"%s\": must be a whole number "
		                       "of seconds",
		                       http_query(req, "timeoutSeconds"));
	w = calloc(1, sizeof(*w));
	if (!w || !(w->queue = json_array()) || !(w->selected = json_object())) {
		if (w)
			json_decref(w->queue);
		free(w);
		return routes_status(resp, 500, "InternalError", "out of memory");
	}
	w->d = d;
	w->kind = kind;
	snprintf(w->ns, sizeof(w->ns), "%s", args->ns);
	w->bookmarks = api_query_true(req, "allowWatchBookmarks");
	w->table_options.api_version = printers_table_version(http_header(req, "Accept"));
	w->table = w->table_options.api_version != NULL;
	if (w->table &&
	    printers_include_parse(http_query(req, "includeObject"), &w->table_options) < 0) {
		json_decref(w->queue);
		json_decref(w->selected);
		free(w);
		return api_bad_request(resp, "unrecognized includeObject value: \"%s\"",
		                       http_query(req, "includeObject"));
	}
	w->next = d->watches;
	d->watches = w;
	if (api_selectors_parse(req, kind == WATCH_PODS ? EVENTS_SELECT_PODS : EVENTS_SELECT_EVENTS,
	                        &w->sel, resp) < 0)
		return watch_free(w);
	w->selective = w->sel.fields.n > 0 || w->sel.labels.n > 0;

	/* what there is, or what changed since rv; then every change from now: one loop, so
	 * that nothing falls between the two */
	w->bursting = true;
	if (rv == 0) {
		r = queue_current(w);
	} else {
		w->replaying = true;
		r = watch_ring_since(ring, rv, queue_change, w);
		w->replaying = false;
		if (r == -ERANGE) {
			_cleanup_json_ json_t *status = too_old(rv, watch_ring_start(ring));

			r = status ? enqueue(w, "ERROR", status) : -ENOMEM;
			timeout = 0;
			if (r >= 0)
				r = -ERANGE;
		}
	}
	w->bursting = false;
	w->burst_count = json_array_size(w->queue);
	if (r >= 0 && !(w->sub = watch_ring_subscribe(ring, on_change, w)))
		r = -ENOMEM;
	if (r < 0 && r != -ERANGE) {
		watch_free(w);
		return routes_status(resp, 500, "InternalError", strerror(-r));
	}
	w->stream =
	        http_stream_open(req, 200,
	                         !w->table ? "application/json"
	                         : strcmp(w->table_options.api_version, "meta.k8s.io/v1beta1") == 0
	                                 ? "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
	                                 : "application/json;as=Table;v=v1;g=meta.k8s.io",
	                         &stream_ops, w);
	if (!w->stream) {
		watch_free(w);
		return routes_status(resp, 500, "InternalError", "out of memory");
	}
	if (pump(w) < 0)
		return;
	if (r == -ERANGE) /* the ERROR event is all: the client lists again */
		return finish(w);
	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	if (timeout) {
		w->deadline_usec = now + timeout * UINT64_C(1000000);
		if (sd_event_add_time(d->event, &w->timeout, CLOCK_MONOTONIC, w->deadline_usec, 0,
		                      on_timeout, w) < 0)
			return finish(w);
	}
	if (w->bookmarks && arm_bookmark(w, now) < 0)
		return finish(w);
}

void api_watch_close_all(struct nanoletd *d)
{
	while (d->watches)
		finish(d->watches);
}
