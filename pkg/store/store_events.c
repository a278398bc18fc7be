/* pkg/store/store_events.c: the events table — core/v1 Events as rows, deduplicated as the
 * kubelet's event correlator does, listed in time order and expired by age.
 *
 * Deduplication is one upsert on the events_correlation unique index, so an identical repeat is
 * a count + 1 in the same statement that would have inserted it. The kubelet's other correlator
 * step (aggregating more than 10 similar events into "(combined from similar events)") is not
 * done. Turning rows into Event JSON is pkg/events' job; no clock reads here.
 */
#include "store_internal.h"

#include <string.h>

/* store_events_list picks its statement by offset: + 1 with a namespace, + 2 with a name. */
_Static_assert(STMT_EVENTS_LIST_NS == STMT_EVENTS_LIST + 1 &&
                       STMT_EVENTS_LIST_NAME == STMT_EVENTS_LIST + 2 &&
                       STMT_EVENTS_LIST_NS_NAME == STMT_EVENTS_LIST + 3,
               "the four event lists in order");

void store_event_done(struct store_event *ev)
{
	if (!ev)
		return;
	free(ev->namespace);
	free(ev->involved_kind);
	free(ev->involved_name);
	free(ev->involved_namespace);
	free(ev->involved_uid);
	free(ev->involved_field_path);
	free(ev->reason);
	free(ev->message);
	free(ev->type);
	free(ev->source_component);
	free(ev->source_host);
	*ev = (struct store_event){0};
}

void store_events_free(struct store_event *evs, size_t n)
{
	for (size_t i = 0; evs && i < n; i++)
		store_event_done(&evs[i]);
	free(evs);
}

/* Reads the current row of a STORE_EVENT_COLUMNS select into *ev. */
static int read_row(sqlite3_stmt *st, struct store_event *ev, struct nano_err *err)
{
	struct store_event e = {
	        .id = sqlite3_column_int64(st, 0),
	        .namespace = store_column_strdup(st, 1),
	        .involved_kind = store_column_strdup(st, 2),
	        .involved_name = store_column_strdup(st, 3),
	        .involved_namespace = store_column_strdup(st, 4),
	        .involved_uid = store_column_strdup(st, 5),
	        .involved_field_path = store_column_strdup(st, 6),
	        .reason = store_column_strdup(st, 7),
	        .message = store_column_strdup(st, 8),
	        .type = store_column_strdup(st, 9),
	        .count = sqlite3_column_int64(st, 10),
	        .first_ns = sqlite3_column_int64(st, 11),
	        .last_ns = sqlite3_column_int64(st, 12),
	        .source_component = store_column_strdup(st, 13),
	        .source_host = store_column_strdup(st, 14),
	        .resource_version = sqlite3_column_int64(st, 15),
	};

	if (!e.namespace || !e.involved_kind || !e.involved_name || !e.involved_namespace ||
	    !e.involved_uid || !e.involved_field_path || !e.reason || !e.message || !e.type ||
	    !e.source_component || !e.source_host) {
		store_event_done(&e);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	*ev = e;
	return 0;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

static int check_new(const struct store_event_new *ev, struct nano_err *err)
{
	static const struct {
		const char *name;
		size_t offset;
	} required[] = {
	        {"namespace", offsetof(struct store_event_new, namespace)},
	        {"involvedObject.kind", offsetof(struct store_event_new, involved.kind)},
	        {"involvedObject.name", offsetof(struct store_event_new, involved.name)},
	        {"involvedObject.uid", offsetof(struct store_event_new, involved.uid)},
	        {"reason", offsetof(struct store_event_new, reason)},
	        {"message", offsetof(struct store_event_new, message)},
	        {"source.component", offsetof(struct store_event_new, source_component)},
	        {"source.host", offsetof(struct store_event_new, source_host)},
	};

	if (!ev)
		return nano_err_set(err, EINVAL, "store: no event");
	for (size_t i = 0; i < ELEMENTSOF(required); i++)
		if (empty(*(const char *const *)((const char *)ev + required[i].offset)))
			return nano_err_set(err, EINVAL, "store: event without %s",
			                    required[i].name);
	if (!ev->type || (strcmp(ev->type, "Normal") != 0 && strcmp(ev->type, "Warning") != 0))
		return nano_err_set(err, EINVAL,
		                    "store: event type \"%s\": must be Normal or Warning",
		                    ev->type ? ev->type : "");
	return 0;
}

int store_event_record(struct store *s, const struct store_event_new *ev, int64_t now_ns,
                       struct store_event *out, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const char *texts[] = {
	        ev ? ev->namespace : NULL,
	        ev ? ev->involved.kind : NULL,
	        ev ? ev->involved.name : NULL,
	        ev && ev->involved.namespace ? ev->involved.namespace : "",
	        ev ? ev->involved.uid : NULL,
	        ev && ev->involved.field_path ? ev->involved.field_path : "",
	        ev ? ev->reason : NULL,
	        ev ? ev->message : NULL,
	        ev ? ev->type : NULL,
	};
	int r, rc = SQLITE_OK;

	r = check_new(ev, err);
	if (r < 0)
		return r;
	r = store_stmt(s, STMT_EVENT_RECORD, &st, err);
	if (r < 0)
		return r;
	for (size_t i = 0; rc == SQLITE_OK && i < ELEMENTSOF(texts); i++)
		rc = store_bind_text(st, (int)i + 1, texts[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 10, now_ns);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 11, ev->source_component);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 12, ev->source_host);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 13, ev->resource_version);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "record event %s for %s %s", ev->reason,
		                  ev->involved.kind, ev->involved.name);
	/* RETURNING gives the row on the first step; the implicit transaction commits only when
	 * the statement has run to its end. */
	if (out) {
		r = read_row(st, out, err);
		if (r < 0)
			return r;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		if (out)
			store_event_done(out);
		return store_fail(s, rc, err, "record event %s for %s %s", ev->reason,
		                  ev->involved.kind, ev->involved.name);
	}
	return 0;
}

int store_events_list(struct store *s, const char *namespace, const char *involved_name,
                      struct store_event **out, size_t *n, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_event *evs = NULL;
	size_t len = 0, cap = 0;
	int r, rc;

	if (!out || !n)
		return nano_err_set(err, EINVAL, "store: list events needs somewhere to put them");
	r = store_stmt(s, STMT_EVENTS_LIST + (namespace ? 1 : 0) + (involved_name ? 2 : 0), &st,
	               err);
	if (r < 0)
		return r;
	rc = namespace ? store_bind_text(st, 1, namespace) : SQLITE_OK;
	if (rc == SQLITE_OK && involved_name)
		rc = store_bind_text(st, 2, involved_name);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		if (len == cap) {
			struct store_event *grown;

			cap = cap ? 2 * cap : 32;
			grown = reallocarray(evs, cap, sizeof(*evs));
			if (!grown) {
				store_events_free(evs, len);
				return nano_err_set(err, ENOMEM, "out of memory");
			}
			evs = grown;
		}
		r = read_row(st, &evs[len], err);
		if (r < 0) {
			store_events_free(evs, len);
			return r;
		}
		len++;
	}
	if (rc != SQLITE_DONE) {
		store_events_free(evs, len);
		return store_fail(s, rc, err, "list events");
	}
	if (len > INT32_MAX) {
		store_events_free(evs, len);
		return nano_err_set(err, EOVERFLOW, "list events: too many to count");
	}
	*out = evs;
	*n = len;
	return (int)len;
}

int store_events_expire(struct store *s, int64_t older_than_ns, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = store_stmt(s, STMT_EVENTS_EXPIRE, &st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, older_than_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, err, "expire events");
	return sqlite3_changes(s->db);
}
