/* pkg/spec/protobuf.c: the little of Kubernetes' protobuf encoding that a client sends nanolet
 * without asking: client-go's typed clients (`kubectl create namespace`) write built-in objects
 * as application/vnd.kubernetes.protobuf, and fall back to nothing on a 415. A body is the magic
 * "k8s\0" and a runtime.Unknown (1 typeMeta {1 apiVersion, 2 kind}, 2 raw); raw a Namespace
 * (1 metadata: ObjectMeta {1 name, 2 generateName, 11 labels, 12 annotations}, each map entry
 * {1 key, 2 value}). Read into the JSON the API server would have been sent; every other field
 * is skipped. Pure. */
#include <string.h>

#include "spec.h"

struct pb {
	const uint8_t *p, *end;
};

static int varint(struct pb *b, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (b->p == b->end)
			return -EBADMSG;
		v |= (uint64_t)(*b->p & 0x7f) << shift;
		if (!(*b->p++ & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EBADMSG;
}

/* The next field: its number, and for a length-delimited one its bytes (others skipped). */
static int field(struct pb *b, unsigned *number, struct pb *bytes)
{
	uint64_t key, len;
	int r = varint(b, &key);

	if (r < 0)
		return r;
	*number = (unsigned)(key >> 3);
	*bytes = (struct pb){NULL, NULL};
	switch (key & 7) {
	case 0:
		return varint(b, &len);
	case 1:
		if (b->end - b->p < 8)
			return -EBADMSG;
		b->p += 8;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -EBADMSG;
		b->p += 4;
		return 0;
	case 2:
		if (varint(b, &len) < 0 || len > (uint64_t)(b->end - b->p))
			return -EBADMSG;
		*bytes = (struct pb){b->p, b->p + len};
		b->p += len;
		return 0;
	default:
		return -EBADMSG;
	}
}

static json_t *string_of(const struct pb *s)
{
	return json_stringn((const char *)s->p, (size_t)(s->end - s->p));
}

/* A map<string,string> entry into map. */
static int map_entry(struct pb e, json_t *map)
{
	_cleanup_json_ json_t *key = NULL, *value = NULL;
	struct pb bytes;
	unsigned n;
	int r;

	while (e.p < e.end) {
		if ((r = field(&e, &n, &bytes)) < 0)
			return r;
		if (n == 1 && bytes.p) {
			json_decref(key);
			key = string_of(&bytes);
		} else if (n == 2 && bytes.p) {
			json_decref(value);
			value = string_of(&bytes);
		}
	}
	if (!key)
		return -EBADMSG; /* not UTF-8, or no key */
	return json_object_set(map, json_string_value(key), value ? value : json_string(""));
}

static int object_meta(struct pb m, json_t *meta)
{
	struct pb bytes;
	unsigned n;
	int r;

	while (m.p < m.end) {
		if ((r = field(&m, &n, &bytes)) < 0)
			return r;
		if (!bytes.p)
			continue;
		if (n == 1 || n == 2) {
			json_t *s = string_of(&bytes);

			if (!s)
				return -EBADMSG;
			json_object_set_new(meta, n == 1 ? "name" : "generateName", s);
		} else if (n == 11 || n == 12) {
			const char *key = n == 11 ? "labels" : "annotations";
			json_t *map = json_object_get(meta, key);

			if (!map) {
				map = json_object();
				json_object_set_new(meta, key, map);
			}
			if (!map || map_entry(bytes, map) < 0)
				return -EBADMSG;
		}
	}
	return 0;
}

static int type_meta(struct pb t, json_t *doc)
{
	struct pb s;
	unsigned n;

	while (t.p < t.end) {
		json_t *v;

		if (field(&t, &n, &s) < 0)
			return -EBADMSG;
		if ((n != 1 && n != 2) || !s.p)
			continue;
		if (!(v = string_of(&s)))
			return -EBADMSG;
		json_object_set_new(doc, n == 1 ? "apiVersion" : "kind", v);
	}
	return 0;
}

static int unknown(const void *buf, size_t len, json_t *doc, json_t *meta)
{
	struct pb b = {buf, (const uint8_t *)buf + len}, raw = {NULL, NULL}, bytes;
	unsigned n;

	if (len < 4 || memcmp(buf, "k8s\0", 4) != 0)
		return -EBADMSG;
	b.p += 4;
	while (b.p < b.end) {
		if (field(&b, &n, &bytes) < 0)
			return -EBADMSG;
		if (n == 1 && bytes.p && type_meta(bytes, doc) < 0)
			return -EBADMSG;
		if (n == 2 && bytes.p)
			raw = bytes;
	}
	while (raw.p && raw.p < raw.end) {
		if (field(&raw, &n, &bytes) < 0)
			return -EBADMSG;
		if (n == 1 && bytes.p && object_meta(bytes, meta) < 0)
			return -EBADMSG;
	}
	return json_object_set(doc, "metadata", meta) < 0 ? -ENOMEM : 0;
}

int spec_protobuf_namespace_to_json(const void *buf, size_t len, json_t **out, struct nano_err *err)
{
	_cleanup_json_ json_t *doc = json_object(), *meta = json_object();
	int r;

	*out = NULL;
	if (!doc || !meta)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = unknown(buf, len, doc, meta);
	if (r == -ENOMEM)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return nano_err_setc(
		        err, NANO_BAD_REQUEST, EBADMSG,
		        "the protobuf body is not a Kubernetes object nanolet can read");
	*out = TAKE_PTR(doc);
	return 0;
}
