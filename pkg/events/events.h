/* pkg/events: core/v1 Events as Kubernetes clients read them — the Event and EventList JSON
 * built from the store's rows, the reasons nanolet reports, and the fieldSelector that
 * `kubectl get events --field-selector` and `kubectl describe` send.
 *
 * Pure: no I/O and no clock. Recording is store_event_record (pkg/store); this package only
 * shapes and filters what was recorded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "util/util.h"

/* source.component and reportingComponent of every event nanolet writes. */
#define EVENTS_COMPONENT "nanolet"

#define EVENTS_TYPE_NORMAL  "Normal"
#define EVENTS_TYPE_WARNING "Warning"

/* How long an event is kept after it was last seen (the API server's default --event-ttl). */
#define EVENTS_RETENTION_NS (3600LL * 1000000000LL)

/* Reasons, in the kubelet's words where the kubelet has one (pkg/kubelet/events). */
#define EVENTS_REASON_CREATED  "Created"  /* Normal: container created */
#define EVENTS_REASON_STARTED  "Started"  /* Normal: container started */
#define EVENTS_REASON_KILLING  "Killing"  /* Normal: stopping a container */
#define EVENTS_REASON_BACK_OFF "BackOff"  /* Warning: back-off restarting a failed container */
#define EVENTS_REASON_FAILED   "Failed"   /* Warning: a container could not be created/started */
#define EVENTS_REASON_STARTING "Starting" /* Normal, about the Node: nanolet started */
/* nanolet's own, from the cgroup watchers. OOMKilling is the node-problem-detector's name. */
#define EVENTS_REASON_OOM_KILLING        "OOMKilling"       /* Warning: memory.events oom_kill */
#define EVENTS_REASON_CPU_THROTTLING     "CPUThrottling"    /* Warning: cpu.stat nr_throttled */
#define EVENTS_REASON_PIDS_LIMIT_REACHED "PidsLimitReached" /* Warning: pids.events max */

/* "spec.containers{NAME}": the involvedObject.fieldPath of an event about one container, as the
 * kubelet writes it. malloc'd; NULL on ENOMEM. */
char *events_container_field_path(const char *container);

/* The Event JSON of a stored row (see events.c for the exact shape). NULL on ENOMEM. */
json_t *events_to_json(const struct store_event *ev);

/* An EventList of the rows that match sel (NULL: all), in the rows' order. NULL on ENOMEM. */
struct events_selector;
json_t *events_list_json(const struct store_event *evs, size_t n,
                         const struct events_selector *sel);

/* ---- fieldSelector ----------------------------------------------------------------------- */

struct events_selector_term {
	const char *field; /* one of the known field names (static) */
	char *value;       /* unescaped */
	bool not_equal;    /* `!=` rather than `=` / `==` */
};

/* What a selector selects: Events, or (the same syntax, the pod's fields) Pods. */
enum events_selector_kind {
	EVENTS_SELECT_EVENTS,
	EVENTS_SELECT_PODS,
};

/* Every term must hold. No terms: everything matches. */
struct events_selector {
	struct events_selector_term *terms;
	size_t n;
	enum events_selector_kind kind;
};

/* Parses a fieldSelector value as the API server does (apimachinery fields.ParseSelector):
 * comma-separated `field=value`, `field==value`, `field!=value`; `\,` `\=` `\\` escape inside
 * values; empty terms are skipped and an empty text selects everything. Fields are those the API
 * server can select events by: involvedObject.{name,kind,uid,fieldPath,namespace,apiVersion,
 * resourceVersion}, reason, type, source, reportingComponent, metadata.{name,namespace}.
 * -EINVAL with the API server's message for an unknown field or a malformed term. */
int events_selector_parse(const char *text, struct events_selector *out, struct nano_err *err);
void events_selector_done(struct events_selector *sel);

/* The same for another kind's fields. Pods: metadata.name, metadata.namespace, spec.nodeName
 * (and its old name spec.host), spec.restartPolicy, spec.schedulerName,
 * spec.serviceAccountName, spec.hostNetwork, status.phase, status.podIP,
 * status.nominatedNodeName; another is -EINVAL "field label not supported: NAME", the API
 * server's words. */
int events_selector_parse_for(enum events_selector_kind kind, const char *text,
                              struct events_selector *out, struct nano_err *err);

/* Whether an object's JSON (an Event of events_to_json, or a Pod for a pods selector)
 * satisfies every term. */
bool events_selector_match(const struct events_selector *sel, const json_t *object);

/* The value of the first `field=value` term on field, or NULL: lets a caller narrow the store
 * query (store_events_list's involved_name) before matching the rest. */
const char *events_selector_equal_value(const struct events_selector *sel, const char *field);
