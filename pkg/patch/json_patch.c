/* pkg/patch/json_patch.c: RFC 6902 JSON Patch (application/json-patch+json) over RFC 6901 JSON
 * Pointers. The operations apply in order to a copy; the first that fails fails the patch and
 * the original is untouched. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patch.h"

/* One reference token of a pointer, unescaped (~1 is '/', ~0 is '~'), into a malloc'd string;
 * *rest is what follows it ("" at the end). NULL on ENOMEM. */
static char *next_token(const char *p, const char **rest)
{
	size_t len = strcspn(p, "/");
	char *token = malloc(len + 1), *w = token;

	if (!token)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
			*w++ = p[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			*w++ = p[i];
		}
	}
	*w = '\0';
	*rest = p + len;
	return token;
}

/* An array index as RFC 6901 writes it: "0" or digits without a leading zero. -1 otherwise. */
static long long array_index(const char *token)
{
	char *end;
	long long n;

	if (!*token || (token[0] == '0' && token[1]) || token[0] < '0' || token[0] > '9')
		return -1;
	errno = 0;
	n = strtoll(token, &end, 10);
	return *end || errno ? -1 : n;
}

/* Where a pointer leads: its parent container and the last token (malloc'd). The pointer ""
 * (the whole document) has no parent: *parent NULL and *last NULL. */
static int resolve_parent(json_t *doc, const char *pointer, json_t **parent, char **last,
                          struct nano_err *err)
{
	const char *p = pointer;
	json_t *at = doc;

	*parent = NULL;
	*last = NULL;
	if (!*p)
		return 0;
	if (*p != '/')
		return nano_err_setc(
		        err, NANO_BAD_REQUEST, EINVAL,
		        "invalid JSON pointer \"%s\": it must be empty or begin with /", pointer);
	for (;;) {
		const char *rest;
		char *token = next_token(p + 1, &rest);

		if (!token)
			return nano_err_set(err, ENOMEM, "out of memory");
		if (!*rest) {
			*parent = at;
			*last = token;
			return 0;
		}
		if (json_is_object(at)) {
			at = json_object_get(at, token);
		} else if (json_is_array(at)) {
			long long i = array_index(token);

			at = i >= 0 ? json_array_get(at, (size_t)i) : NULL;
		} else {
			at = NULL;
		}
		free(token);
		if (!at)
			return nano_err_setc(err, NANO_INVALID, ENOENT,
			                     "doc is missing path: \"%s\"", pointer);
		p = rest;
	}
}

/* The value at pointer (borrowed), or NULL with err set. */
static json_t *get(json_t *doc, const char *pointer, struct nano_err *err)
{
	_cleanup_free_ char *last = NULL;
	json_t *parent, *v = NULL;

	if (resolve_parent(doc, pointer, &parent, &last, err) < 0)
		return NULL;
	if (!parent)
		return doc;
	if (json_is_object(parent)) {
		v = json_object_get(parent, last);
	} else if (json_is_array(parent)) {
		long long i = array_index(last);

		v = i >= 0 ? json_array_get(parent, (size_t)i) : NULL;
	}
	if (!v)
		nano_err_setc(err, NANO_INVALID, ENOENT, "doc is missing path: \"%s\"", pointer);
	return v;
}

/* Adds value (stolen) at pointer; *doc is replaced when the pointer is "". */
static int add(json_t **doc, const char *pointer, json_t *value, struct nano_err *err)
{
	_cleanup_free_ char *last = NULL;
	json_t *parent;
	int r = resolve_parent(*doc, pointer, &parent, &last, err);

	if (r < 0)
		return json_decref(value), r;
	if (!parent) {
		json_decref(*doc);
		*doc = value;
		return 0;
	}
	if (json_is_object(parent)) {
		if (json_object_set_new(parent, last, value) < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
		return 0;
	}
	if (json_is_array(parent)) {
		size_t n = json_array_size(parent);
		long long i = strcmp(last, "-") == 0 ? (long long)n : array_index(last);

		if (i < 0 || (size_t)i > n) {
			json_decref(value);
			return nano_err_setc(err, NANO_INVALID, ERANGE,
			                     "add operation does not apply: index out of range in "
			                     "\"%s\"",
			                     pointer);
		}
		if (json_array_insert_new(parent, (size_t)i, value) < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
		return 0;
	}
	json_decref(value);
	return nano_err_setc(err, NANO_INVALID, ENOENT, "doc is missing path: \"%s\"", pointer);
}

/* Removes the value at pointer; *taken (if not NULL) gets it. */
static int take(json_t **doc, const char *pointer, json_t **taken, struct nano_err *err)
{
	_cleanup_free_ char *last = NULL;
	json_t *parent, *v = NULL;
	int r = resolve_parent(*doc, pointer, &parent, &last, err);

	if (r < 0)
		return r;
	if (!parent) {
		if (taken)
			*taken = *doc;
		else
			json_decref(*doc);
		*doc = json_null();
		return 0;
	}
	if (json_is_object(parent) && (v = json_object_get(parent, last))) {
		if (taken)
			*taken = json_incref(v);
		json_object_del(parent, last);
		return 0;
	}
	if (json_is_array(parent)) {
		long long i = array_index(last);

		if (i >= 0 && (v = json_array_get(parent, (size_t)i))) {
			if (taken)
				*taken = json_incref(v);
			json_array_remove(parent, (size_t)i);
			return 0;
		}
	}
	return nano_err_setc(err, NANO_INVALID, ENOENT, "doc is missing path: \"%s\"", pointer);
}

/* A member the operation needs: a string for "path" and "from". */
static const char *op_string(const json_t *op, const char *key, size_t index, struct nano_err *err)
{
	const char *s = json_string_value(json_object_get(op, key));

	if (!s)
		nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		              "JSON patch operation %zu has no string \"%s\"", index, key);
	return s;
}

static int apply_one(json_t **doc, const json_t *op, size_t index, struct nano_err *err)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *path, *from;
	json_t *value = json_object_get(op, "value"), *v;

	if (!json_is_object(op) || !name)
		return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		                     "JSON patch operation %zu has no \"op\"", index);
	if (!(path = op_string(op, "path", index, err)))
		return -EINVAL;
	if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 || strcmp(name, "test") == 0) {
		if (!value)
			return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
			                     "JSON patch operation %zu (%s) has no \"value\"",
			                     index, name);
	}
	if (strcmp(name, "add") == 0)
		return add(doc, path, json_deep_copy(value), err);
	if (strcmp(name, "remove") == 0)
		return take(doc, path, NULL, err);
	if (strcmp(name, "replace") == 0) {
		/* the target must exist (RFC 6902 4.3): removed, then added where it was */
		int r = take(doc, path, NULL, err);

		return r < 0 ? r : add(doc, path, json_deep_copy(value), err);
	}
	if (strcmp(name, "test") == 0) {
		if (!(v = get(*doc, path, err)))
			return -ENOENT;
		if (!json_equal(v, value))
			return nano_err_setc(err, NANO_INVALID, EINVAL,
			                     "testing value %s failed: test failed", path);
		return 0;
	}
	if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
		bool move = name[0] == 'm';
		size_t flen;
		int r;

		if (!(from = op_string(op, "from", index, err)))
			return -EINVAL;
		flen = strlen(from);
		/* RFC 6902 4.4: a location cannot be moved into one of its children */
		if (move && strncmp(path, from, flen) == 0 && path[flen] == '/')
			return nano_err_setc(err, NANO_INVALID, EINVAL,
			                     "move operation does not apply: \"%s\" is a child of "
			                     "\"%s\"",
			                     path, from);
		if (move) {
			v = NULL;
			r = take(doc, from, &v, err);
		} else {
			v = get(*doc, from, err);
			r = v ? 0 : -ENOENT;
			v = v ? json_deep_copy(v) : NULL;
		}
		if (r < 0)
			return r;
		return add(doc, path, v, err);
	}
	return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
	                     "JSON patch operation %zu: unknown op \"%s\"", index, name);
}

int patch_json(const json_t *original, const json_t *patch, json_t **out, struct nano_err *err)
{
	json_t *doc;
	size_t i;
	json_t *op;

	*out = NULL;
	if (!json_is_array(patch))
		return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		                     "a JSON patch is an array of operations");
	doc = json_deep_copy(original);
	if (!doc)
		return nano_err_set(err, ENOMEM, "out of memory");
	json_array_foreach((json_t *)patch, i, op)
	{
		int r = apply_one(&doc, op, i, err);

		if (r < 0)
			return json_decref(doc), r;
	}
	*out = doc;
	return 0;
}
