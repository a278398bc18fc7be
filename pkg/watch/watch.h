/* pkg/watch: what a watch of the API needs besides the stream — the ring of recent changes a
 * watch from a resourceVersion replays (and the 410 Gone past it), and the labelSelector that
 * lists and watches filter by (apimachinery's labels.Parse).
 *
 * Pure: no I/O, no clock. The daemon owns one ring (daemon/api_watch.c streams from it); the
 * node-wide resourceVersion counter is the daemon's, each change comes with its value.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/util.h"

/* ---- the ring of changes ----------------------------------------------------------------- */

/* The kinds of object a watch is about (the resource of its path). */
enum watch_kind {
	WATCH_PODS,
	WATCH_EVENTS,
};

/* WatchEvent.type. */
enum watch_type {
	WATCH_ADDED,
	WATCH_MODIFIED,
	WATCH_DELETED,
};

/* "ADDED", "MODIFIED", "DELETED". */
const char *watch_type_name(enum watch_type type);

struct watch_change {
	uint64_t resource_version; /* the object's metadata.resourceVersion after it */
	enum watch_kind kind;
	enum watch_type type;
	json_t *object; /* as served, resourceVersion included; borrowed for the call */
};

struct watch_ring;

/* A ring of at most capacity changes (>= 1), empty, whose history starts after start (the
 * counter when it was made: a watch from start or later is served, one from before is too old). */
int watch_ring_new(size_t capacity, uint64_t start, struct watch_ring **out);
struct watch_ring *watch_ring_free(struct watch_ring *ring);

/* Adds a change (resource_version above every one before: -EINVAL otherwise), dropping the
 * oldest when full, then tells every subscriber. The ring keeps the object as compact JSON
 * text (a third of the memory of the tree: a full ring of pods is a few MB), which a replay
 * reads back. -ENOMEM. */
int watch_ring_push(struct watch_ring *ring, uint64_t resource_version, enum watch_kind kind,
                    enum watch_type type, json_t *object);

/* The oldest resourceVersion a watch can start from: every change after it is held. */
uint64_t watch_ring_start(const struct watch_ring *ring);
/* The newest change's resourceVersion (start when there is none). */
uint64_t watch_ring_last(const struct watch_ring *ring);

/* Calls fn for each held change after resource_version, oldest first (its object read back
 * for the call); stops at fn's first non-zero answer and returns it. -ERANGE (the API
 * server's 410 Gone) when resource_version is older than watch_ring_start, -ENOMEM. */
int watch_ring_since(const struct watch_ring *ring, uint64_t resource_version,
                     int (*fn)(void *userdata, const struct watch_change *change), void *userdata);

/* fn(userdata, change) for every change pushed from now on, until unsubscribed (which fn
 * itself may do, for itself). NULL on ENOMEM. */
struct watch_subscriber;
struct watch_subscriber *
watch_ring_subscribe(struct watch_ring *ring,
                     void (*fn)(void *userdata, const struct watch_change *change), void *userdata);
void watch_ring_unsubscribe(struct watch_ring *ring, struct watch_subscriber *sub);

/* Parses a resourceVersion parameter: "" and "0" are 0 (any: the current state first); else
 * a whole number. -EINVAL for anything else. */
int watch_parse_resource_version(const char *text, uint64_t *out);

/* ---- labelSelector ----------------------------------------------------------------------- */

enum watch_label_op {
	WATCH_LABEL_EQUALS,     /* key=value, key==value */
	WATCH_LABEL_NOT_EQUALS, /* key!=value: also when the key is absent */
	WATCH_LABEL_IN,         /* key in (a,b) */
	WATCH_LABEL_NOT_IN,     /* key notin (a,b): also when absent */
	WATCH_LABEL_EXISTS,     /* key */
	WATCH_LABEL_NOT_EXISTS, /* !key */
	WATCH_LABEL_GT,         /* key>N: the label's value a whole number above N */
	WATCH_LABEL_LT,         /* key<N */
};

struct watch_label_term {
	char *key;
	enum watch_label_op op;
	char **values; /* NULL-terminated; empty for exists / !exists */
};

/* Every term must hold. No terms: everything matches. */
struct watch_labels {
	struct watch_label_term *terms;
	size_t n;
};

/* Parses a labelSelector as the API server does (apimachinery labels.Parse): comma-separated
 * requirements, keys and values as label keys and values are written. -EINVAL with a message
 * in the API server's words for a malformed one. */
int watch_labels_parse(const char *text, struct watch_labels *out, struct nano_err *err);
void watch_labels_done(struct watch_labels *sel);
/* Whether an object (its metadata.labels) satisfies every requirement. */
bool watch_labels_match(const struct watch_labels *sel, const json_t *object);
