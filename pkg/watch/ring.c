/* pkg/watch/ring.c: the ring of recent changes a watch replays from a resourceVersion, and its
 * subscribers (the open watches). Bounded: the oldest change goes when a new one would not fit,
 * and the history's start moves up to it, so that a watch from before it is told it is too old
 * (410 Gone) rather than silently missing changes. No I/O. */
#include <stdlib.h>
#include <string.h>

#include "watch.h"

struct watch_subscriber {
	void (*fn)(void *userdata, const struct watch_change *change);
	void *userdata;
	struct watch_subscriber *next;
	bool gone; /* unsubscribed while the ring was telling: freed after */
};

/* A held change: the object as compact JSON. */
struct held {
	uint64_t resource_version;
	enum watch_kind kind;
	enum watch_type type;
	char *text;
};

struct watch_ring {
	struct held *changes;
	size_t capacity, first, n; /* changes[first] is the oldest of n */
	uint64_t start;            /* every change after it is held */
	struct watch_subscriber *subs;
	unsigned telling; /* inside push's loop over subs */
};

const char *watch_type_name(enum watch_type type)
{
	switch (type) {
	case WATCH_ADDED:
		return "ADDED";
	case WATCH_MODIFIED:
		return "MODIFIED";
	case WATCH_DELETED:
		return "DELETED";
	}
	return "ERROR";
}

int watch_ring_new(size_t capacity, uint64_t start, struct watch_ring **out)
{
	struct watch_ring *ring;

	if (capacity == 0)
		return -EINVAL;
	ring = calloc(1, sizeof(*ring));
	if (!ring || !(ring->changes = calloc(capacity, sizeof(*ring->changes)))) {
		free(ring);
		return -ENOMEM;
	}
	ring->capacity = capacity;
	ring->start = start;
	*out = ring;
	return 0;
}

static struct held *at(const struct watch_ring *ring, size_t i)
{
	return &ring->changes[(ring->first + i) % ring->capacity];
}

struct watch_ring *watch_ring_free(struct watch_ring *ring)
{
	if (!ring)
		return NULL;
	for (size_t i = 0; i < ring->n; i++)
		free(at(ring, i)->text);
	while (ring->subs) {
		struct watch_subscriber *s = ring->subs;

		ring->subs = s->next;
		free(s);
	}
	free(ring->changes);
	free(ring);
	return NULL;
}

uint64_t watch_ring_start(const struct watch_ring *ring)
{
	return ring->start;
}

uint64_t watch_ring_last(const struct watch_ring *ring)
{
	return ring->n ? at(ring, ring->n - 1)->resource_version : ring->start;
}

static void sweep_gone(struct watch_ring *ring)
{
	for (struct watch_subscriber **s = &ring->subs; *s;) {
		struct watch_subscriber *hit = *s;

		if (!hit->gone) {
			s = &hit->next;
			continue;
		}
		*s = hit->next;
		free(hit);
	}
}

int watch_ring_push(struct watch_ring *ring, uint64_t resource_version, enum watch_kind kind,
                    enum watch_type type, json_t *object)
{
	struct watch_change change = {resource_version, kind, type, object};
	struct held *c;
	char *text;

	if (!object || resource_version <= watch_ring_last(ring))
		return -EINVAL;
	text = json_dumps(object, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	if (ring->n == ring->capacity) {
		/* the oldest goes: a watch from before it can no longer be served */
		c = at(ring, 0);
		ring->start = c->resource_version;
		free(c->text);
		ring->first = (ring->first + 1) % ring->capacity;
		ring->n--;
	}
	c = at(ring, ring->n++);
	*c = (struct held){resource_version, kind, type, text};

	ring->telling++;
	for (struct watch_subscriber *s = ring->subs; s; s = s->next)
		if (!s->gone)
			s->fn(s->userdata, &change);
	if (--ring->telling == 0)
		sweep_gone(ring);
	return 0;
}

int watch_ring_since(const struct watch_ring *ring, uint64_t resource_version,
                     int (*fn)(void *userdata, const struct watch_change *change), void *userdata)
{
	if (resource_version < ring->start)
		return -ERANGE;
	for (size_t i = 0; i < ring->n; i++) {
		const struct held *c = at(ring, i);
		struct watch_change change = {c->resource_version, c->kind, c->type, NULL};
		int r;

		if (c->resource_version <= resource_version)
			continue;
		change.object = json_loads(c->text, 0, NULL);
		if (!change.object)
			return -ENOMEM;
		r = fn(userdata, &change);
		json_decref(change.object);
		if (r != 0)
			return r;
	}
	return 0;
}

struct watch_subscriber *
watch_ring_subscribe(struct watch_ring *ring,
                     void (*fn)(void *userdata, const struct watch_change *change), void *userdata)
{
	struct watch_subscriber *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	*s = (struct watch_subscriber){.fn = fn, .userdata = userdata, .next = ring->subs};
	ring->subs = s;
	return s;
}

void watch_ring_unsubscribe(struct watch_ring *ring, struct watch_subscriber *sub)
{
	if (!sub)
		return;
	sub->gone = true;
	if (ring->telling == 0)
		sweep_gone(ring);
}

int watch_parse_resource_version(const char *text, uint64_t *out)
{
	char *end;

	*out = 0;
	if (!text || !*text)
		return 0;
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return *end || errno ? -EINVAL : 0;
}
