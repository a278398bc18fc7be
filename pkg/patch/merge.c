/* pkg/patch/merge.c: RFC 7386 JSON Merge Patch (application/merge-patch+json). */
#include <errno.h>

#include "patch.h"

/* RFC 7386 section 2's MergePatch(Target, Patch), on a target we own. */
static json_t *merge(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *value;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
		if (!target)
			return NULL;
	}
	json_object_foreach((json_t *)patch, key, value)
	{
		json_t *merged;

		if (json_is_null(value)) {
			json_object_del(target, key);
			continue;
		}
		merged = merge(json_incref(json_object_get(target, key)), value);
		if (!merged || json_object_set_new(target, key, merged) < 0)
			return json_decref(target), NULL;
	}
	return target;
}

int patch_merge(const json_t *original, const json_t *patch, json_t **out, struct nano_err *err)
{
	*out = NULL;
	if (!patch)
		return nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		                     "a merge patch needs a document");
	/* the target is copied first: merge() changes what it is given in place */
	*out = merge(original ? json_deep_copy(original) : json_null(), patch);
	if (!*out)
		return nano_err_set(err, ENOMEM, "out of memory");
	return 0;
}
