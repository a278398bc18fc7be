/* pkg/patch/strategic.c: Kubernetes' strategic merge patch for a Pod, as apimachinery's
 * strategicpatch applies it (StrategicMergeMapPatch) with the patch strategies and merge keys
 * the Pod's Go types declare (k8s.io/api/core/v1 types.go: `patchStrategy:"merge"
 * patchMergeKey:"name"` ...). It is what `kubectl apply`, `kubectl label` and `kubectl patch`
 * (its default type) send. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "patch.h"

#define SET_ELEMENT_ORDER "$setElementOrder/"
#define DELETE_FROM_LIST  "$deleteFromPrimitiveList/"
#define RETAIN_KEYS       "$retainKeys"
#define PATCH_DIRECTIVE   "$patch"
#define PATH_MAX_LEN      512

/* The lists of a Pod merged element by element, and their keys. Each container kind has the
 * same container lists. */
static const struct {
	const char *path, *key;
} merge_keys[] = {
        {"metadata.finalizers", ""},
        {"metadata.ownerReferences", "uid"},
        {"spec.containers", "name"},
        {"spec.initContainers", "name"},
        {"spec.ephemeralContainers", "name"},
        {"spec.volumes", "name"},
        {"spec.imagePullSecrets", "name"},
        {"spec.hostAliases", "ip"},
        {"spec.schedulingGates", "name"},
        {"spec.resourceClaims", "name"},
        {"spec.topologySpreadConstraints", "topologyKey"},
};

static const struct {
	const char *field, *key;
} container_keys[] = {
        {"env", "name"},
        {"ports", "containerPort"},
        {"volumeMounts", "mountPath"},
        {"volumeDevices", "devicePath"},
};

const char *patch_pod_merge_key(const char *path)
{
	static const char *const containers[] = {"spec.containers[].", "spec.initContainers[].",
	                                         "spec.ephemeralContainers[]."};

	for (size_t i = 0; i < ELEMENTSOF(merge_keys); i++)
		if (strcmp(path, merge_keys[i].path) == 0)
			return merge_keys[i].key;
	for (size_t c = 0; c < ELEMENTSOF(containers); c++) {
		size_t len = strlen(containers[c]);

		if (strncmp(path, containers[c], len) != 0)
			continue;
		for (size_t i = 0; i < ELEMENTSOF(container_keys); i++)
			if (strcmp(path + len, container_keys[i].field) == 0)
				return container_keys[i].key;
	}
	return NULL;
}

static int bad(struct nano_err *err, const char *fmt, const char *a, const char *b)
{
	return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL, fmt, a, b);
}

static json_t *merge_map(json_t *original, const json_t *patch, const char *path,
                         struct nano_err *err);

/* The element of list whose key equals value; its index in *at. */
static json_t *find_by_key(const json_t *list, const char *key, const json_t *value, size_t *at)
{
	size_t i;
	json_t *e;

	json_array_foreach((json_t *)list, i, e)
	{
		if (json_is_object(e) && json_equal(json_object_get(e, key), value)) {
			*at = i;
			return e;
		}
	}
	return NULL;
}

/* A list merged by key (key "" : a set of primitives). original is owned; returns the result
 * (owned) or NULL with err set. */
static json_t *merge_list(json_t *original, const json_t *patch, const char *key, const char *path,
                          struct nano_err *err)
{
	json_t *result = json_is_array(original) ? json_copy(original) : json_array();
	char element_path[PATH_MAX_LEN];
	size_t i;
	json_t *e;

	json_decref(original);
	if (!result)
		return nano_err_set(err, ENOMEM, "out of memory"), NULL;
	if (snprintf(element_path, sizeof(element_path), "%s[]", path) >= (int)sizeof(element_path))
		return json_decref(result),
		       nano_err_setc(err, NANO_INVALID, ENAMETOOLONG, "%s: path too deep", path),
		       NULL;
	/* [{"$patch": "replace"}, ...]: the list is the patch's other elements */
	json_array_foreach((json_t *)patch, i, e)
	{
		const char *d = json_string_value(json_object_get(e, PATCH_DIRECTIVE));

		if (json_is_object(e) && d && strcmp(d, "replace") == 0) {
			json_t *replaced = json_array();
			size_t j;
			json_t *f;

			json_decref(result);
			json_array_foreach((json_t *)patch, j,
			                   f) if (!json_is_object(f) ||
			                          !json_object_get(f, PATCH_DIRECTIVE))
			        json_array_append_new(replaced, json_deep_copy(f));
			return replaced;
		}
	}
	json_array_foreach((json_t *)patch, i, e)
	{
		json_t *value, *found, *merged;
		const char *d;
		size_t at = 0;

		if (!*key) {
			/* a set of primitives: added once */
			bool have = false;
			size_t j;
			json_t *f;

			json_array_foreach(result, j, f) have = have || json_equal(f, e);
			if (!have)
				json_array_append_new(result, json_deep_copy(e));
			continue;
		}
		if (!json_is_object(e)) {
			json_decref(result);
			bad(err, "the list %s is merged by its elements' %s: an element is no map",
			    path, key);
			return NULL;
		}
		value = json_object_get(e, key);
		d = json_string_value(json_object_get(e, PATCH_DIRECTIVE));
		if (!value) {
			json_decref(result);
			bad(err, "map: %s does not contain declared merge key: %s", path, key);
			return NULL;
		}
		found = find_by_key(result, key, value, &at);
		if (d && strcmp(d, "delete") == 0) {
			/* every element with that key goes */
			while ((found = find_by_key(result, key, value, &at)))
				json_array_remove(result, at);
			continue;
		}
		if (d && strcmp(d, "merge") != 0) {
			json_decref(result);
			bad(err, "unknown patch directive \"%s\" in %s", d, path);
			return NULL;
		}
		merged =
		        merge_map(found ? json_incref(found) : json_object(), e, element_path, err);
		if (!merged)
			return json_decref(result), NULL;
		if (found)
			json_array_set_new(result, at, merged);
		else
			json_array_append_new(result, merged);
	}
	return result;
}

/* $setElementOrder/<list>: the listed elements first, in that order; elements the order does
 * not name (the server's own) keep their relative order after them. */
static json_t *order_list(json_t *list, const json_t *order, const char *key, struct nano_err *err)
{
	json_t *result = json_array(), *taken = json_array();
	size_t i, at;
	json_t *o, *e;

	if (!result || !taken || !json_is_array(list))
		return json_decref(result), json_decref(taken), list;
	json_array_foreach((json_t *)order, i, o)
	{
		const json_t *want = *key ? json_object_get(o, key) : o;

		if (*key && !want) {
			json_decref(result);
			json_decref(taken);
			json_decref(list);
			bad(err, "%s: an element of $setElementOrder has no merge key %s", "list",
			    key);
			return NULL;
		}
		json_array_foreach(list, at, e)
		{
			if (*key ? json_is_object(e) && json_equal(json_object_get(e, key), want)
			         : json_equal(e, want)) {
				json_array_append(result, e);
				json_array_append_new(taken, json_integer((json_int_t)at));
				break;
			}
		}
	}
	json_array_foreach(list, at, e)
	{
		bool used = false;
		size_t j;
		json_t *t;

		json_array_foreach(taken, j, t) used =
		        used || json_integer_value(t) == (json_int_t)at;
		if (!used)
			json_array_append(result, e);
	}
	json_decref(taken);
	json_decref(list);
	return result;
}

/* original is owned (NULL: none); returns the merged map (owned) or NULL with err set. */
static json_t *merge_map(json_t *original, const json_t *patch, const char *path,
                         struct nano_err *err)
{
	const char *directive = json_string_value(json_object_get(patch, PATCH_DIRECTIVE));
	const json_t *retain = json_object_get(patch, RETAIN_KEYS);
	char child[PATH_MAX_LEN];
	json_t *result, *value;
	const char *k;

	if (directive && strcmp(directive, "delete") == 0) {
		json_decref(original);
		return json_null(); /* the caller removes it */
	}
	if (directive && strcmp(directive, "replace") == 0) {
		json_decref(original);
		result = json_deep_copy(patch);
		if (result)
			json_object_del(result, PATCH_DIRECTIVE);
		return result ? result : (nano_err_set(err, ENOMEM, "out of memory"), NULL);
	}
	if (directive && strcmp(directive, "merge") != 0) {
		json_decref(original);
		bad(err, "unknown patch directive \"%s\" in %s", directive,
		    *path ? path : "the object");
		return NULL;
	}
	result = json_is_object(original) ? json_copy(original) : json_object();
	json_decref(original);
	if (!result)
		return nano_err_set(err, ENOMEM, "out of memory"), NULL;
	json_object_foreach((json_t *)patch, k, value)
	{
		const char *key;
		json_t *merged;

		if (k[0] == '$')
			continue; /* directives: below */
		snprintf(child, sizeof(child), "%s%s%s", path, *path ? "." : "", k);
		if (json_is_null(value)) {
			json_object_del(result, k);
			continue;
		}
		key = patch_pod_merge_key(child);
		if (json_is_object(value)) {
			merged = merge_map(json_incref(json_object_get(result, k)), value, child,
			                   err);
			if (!merged)
				return json_decref(result), NULL;
			if (json_is_null(merged)) {
				json_decref(merged);
				json_object_del(result, k);
				continue;
			}
		} else if (json_is_array(value) && key) {
			merged = merge_list(json_incref(json_object_get(result, k)), value, key,
			                    child, err);
		} else {
			merged = json_deep_copy(value);
		}
		if (!merged) /* err says why */
			return json_decref(result), NULL;
		if (json_object_set_new(result, k, merged) < 0)
			return json_decref(result), nano_err_set(err, ENOMEM, "out of memory"),
			       NULL;
	}
	/* the directives about lists, once the lists are merged */
	json_object_foreach((json_t *)patch, k, value)
	{
		size_t n_order = strlen(SET_ELEMENT_ORDER), n_delete = strlen(DELETE_FROM_LIST);

		if (strncmp(k, SET_ELEMENT_ORDER, n_order) == 0) {
			const char *list = k + n_order, *key;
			json_t *ordered;

			snprintf(child, sizeof(child), "%s%s%s", path, *path ? "." : "", list);
			key = patch_pod_merge_key(child);
			if (!json_is_array(value))
				return json_decref(result),
				       bad(err, "%s: %s is not a list", child, k), NULL;
			if (!key || !json_object_get(result, list))
				continue; /* a list replaced whole is in the patch's order already
				           */
			ordered = order_list(json_incref(json_object_get(result, list)), value, key,
			                     err);
			if (!ordered)
				return json_decref(result), NULL;
			json_object_set_new(result, list, ordered);
		} else if (strncmp(k, DELETE_FROM_LIST, n_delete) == 0) {
			const char *list = k + n_delete;
			json_t *have = json_object_get(result, list);
			size_t i;
			json_t *v;

			if (!json_is_array(value))
				return json_decref(result),
				       bad(err, "%s: %s is not a list", path, k), NULL;
			json_array_foreach(value, i, v)
			{
				size_t j = 0;

				while (json_is_array(have) && j < json_array_size(have)) {
					if (json_equal(json_array_get(have, j), v))
						json_array_remove(have, j);
					else
						j++;
				}
			}
		} else if (strcmp(k, RETAIN_KEYS) == 0 || strcmp(k, PATCH_DIRECTIVE) == 0) {
			continue;
		} else if (k[0] == '$') {
			return json_decref(result), bad(err, "%s: unknown directive %s", path, k),
			       NULL;
		}
	}
	if (retain) {
		/* $retainKeys: the map keeps only the fields it names */
		void *tmp;

		if (!json_is_array(retain))
			return json_decref(result),
			       bad(err, "%s: %s is not a list", path, RETAIN_KEYS), NULL;
		json_object_foreach_safe(result, tmp, k, value)
		{
			bool keep = false;
			size_t i;
			json_t *r;

			json_array_foreach(retain, i, r) keep =
			        keep || (json_is_string(r) && strcmp(json_string_value(r), k) == 0);
			if (!keep)
				json_object_del(result, k);
		}
	}
	return result;
}

int patch_strategic_pod(const json_t *original, const json_t *patch, json_t **out,
                        struct nano_err *err)
{
	*out = NULL;
	if (!json_is_object(patch))
		return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		                     "a strategic merge patch is a JSON object");
	*out = merge_map(original ? json_deep_copy(original) : NULL, patch, "", err);
	if (*out && !json_is_object(*out)) {
		/* {"$patch": "delete"} of the whole object */
		json_decref(*out);
		*out = NULL;
		return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		                     "a strategic merge patch cannot delete the whole object");
	}
	if (!*out)
		return err && err->errnum ? -err->errnum : -EINVAL;
	return 0;
}
