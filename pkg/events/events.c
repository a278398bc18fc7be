/* pkg/events/events.c: Event and EventList JSON from the store's rows.
 *
 * The shape is what the API server answers for an event the kubelet recorded, keys in the order
 * of the Go structs (k8s.io/api/core/v1 Event, ObjectMeta, ObjectReference) with their
 * omitempty rules:
 *   {"kind":"Event","apiVersion":"v1",
 *    "metadata":{"name":"web.000000000000002a","namespace":"default",
 *                "creationTimestamp":"2024-05-01T12:00:00Z"},
 *    "involvedObject":{"kind":"Pod","namespace":"default","name":"web","uid":"…",
 *                      "apiVersion":"v1","fieldPath":"spec.containers{app}"},
 *    "reason":"Started","message":"…","source":{"component":"nanolet","host":"node1"},
 *    "firstTimestamp":"…","lastTimestamp":"…","count":1,"type":"Normal","eventTime":null,
 *    "reportingComponent":"nanolet","reportingInstance":"node1"}
 * The kubelet names an event <involved name>.<hex>; nanolet's hex is the row id in 16 digits,
 * which is unique for the life of the database. Timestamps are whole seconds (metav1.Time).
 * No I/O, no clock.
 */
#include "events.h"

#include <inttypes.h>

char *events_container_field_path(const char *container)
{
	return container ? strdupf("spec.containers{%s}", container) : NULL;
}

/* Sets key to a string when it is not empty (Go's omitempty). Returns -1 on ENOMEM. */
static int set_nonempty(json_t *obj, const char *key, const char *value)
{
	if (!value || !*value)
		return 0;
	return json_object_set_new(obj, key, json_string(value));
}

static json_t *timestamp(int64_t ns)
{
	struct timespec ts = util_timespec_from_ns(ns);
	char buf[UTIL_RFC3339_SIZE];

	if (util_rfc3339(buf, sizeof(buf), &ts, false) < 0)
		return json_null(); /* outside 0000-9999: Go would refuse; null keeps the object */
	return json_string(buf);
}

json_t *events_to_json(const struct store_event *ev)
{
	_cleanup_json_ json_t *event = NULL, *metadata = NULL, *involved = NULL, *source = NULL;
	_cleanup_free_ char *name = NULL;
	const char *component = ev->source_component && *ev->source_component ? ev->source_component
	                                                                      : EVENTS_COMPONENT;
	int r = 0;

	name = strdupf("%s.%016" PRIx64, ev->involved_name, (uint64_t)ev->id);
	metadata = json_object();
	involved = json_object();
	source = json_object();
	event = json_object();
	if (!name || !metadata || !involved || !source || !event)
		return NULL;

	r |= json_object_set_new(metadata, "name", json_string(name));
	r |= set_nonempty(metadata, "namespace", ev->namespace);
	r |= json_object_set_new(metadata, "creationTimestamp", timestamp(ev->first_ns));
	if (ev->resource_version > 0) {
		char rv[24];

		snprintf(rv, sizeof(rv), "%" PRId64, ev->resource_version);
		r |= json_object_set_new(metadata, "resourceVersion", json_string(rv));
	}

	r |= set_nonempty(involved, "kind", ev->involved_kind);
	r |= set_nonempty(involved, "namespace", ev->involved_namespace);
	r |= set_nonempty(involved, "name", ev->involved_name);
	r |= set_nonempty(involved, "uid", ev->involved_uid);
	r |= json_object_set_new(involved, "apiVersion", json_string("v1"));
	r |= set_nonempty(involved, "fieldPath", ev->involved_field_path);

	r |= json_object_set_new(source, "component", json_string(component));
	r |= set_nonempty(source, "host", ev->source_host);

	r |= json_object_set_new(event, "kind", json_string("Event"));
	r |= json_object_set_new(event, "apiVersion", json_string("v1"));
	r |= json_object_set(event, "metadata", metadata);
	r |= json_object_set(event, "involvedObject", involved);
	r |= set_nonempty(event, "reason", ev->reason);
	r |= set_nonempty(event, "message", ev->message);
	r |= json_object_set(event, "source", source);
	r |= json_object_set_new(event, "firstTimestamp", timestamp(ev->first_ns));
	r |= json_object_set_new(event, "lastTimestamp", timestamp(ev->last_ns));
	r |= json_object_set_new(event, "count", json_integer(ev->count));
	r |= set_nonempty(event, "type", ev->type);
	/* MicroTime zero: the API server writes null for core/v1 events, and clients expect it. */
	r |= json_object_set_new(event, "eventTime", json_null());
	r |= json_object_set_new(event, "reportingComponent", json_string(component));
	r |= set_nonempty(event, "reportingInstance", ev->source_host);
	return r ? NULL : TAKE_PTR(event);
}

json_t *events_list_json(const struct store_event *evs, size_t n, const struct events_selector *sel)
{
	_cleanup_json_ json_t *list = json_pack("{s:s, s:s, s:{}, s:[]}", "kind", "EventList",
	                                        "apiVersion", "v1", "metadata", "items");
	json_t *items = json_object_get(list, "items");

	if (!items)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *event = events_to_json(&evs[i]);

		if (!event)
			return NULL;
		if (sel && !events_selector_match(sel, event)) {
			json_decref(event);
			continue;
		}
		if (json_array_append_new(items, event) < 0)
			return NULL;
	}
	return TAKE_PTR(list);
}
