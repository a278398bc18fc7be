/* pkg/spec/update.c: what an update may change on a Pod, as the API server's ValidatePodUpdate
 * (pkg/apis/core/validation) decides, and nanolet's own refusal of a new image. Pure: two
 * defaulted Pod objects in, causes out. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"
#include "validate.h"

/* The API server's words, kept whole: kubectl users grep for them. */
#define POD_UPDATE_FORBIDDEN                                                                       \
	"Forbidden: pod updates may not change fields other than "                                 \
	"`spec.containers[*].image`,`spec.initContainers[*].image`,"                               \
	"`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "             \
	"tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "    \
	"previously negative)"

#define DIFF_CONTEXT 3

/* The lines of s (split in place at each '\n'), NULL-terminated. */
static char **split_lines(char *s, size_t *n)
{
	char **lines = NULL;

	*n = 0;
	for (char *line = s; line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strv_append(&lines, n, strdup(line)) < 0)
			return strv_free(lines), NULL;
		line = nl ? nl + 1 : NULL;
	}
	return lines;
}

/* A unified diff of the two values as indented JSON with sorted keys, one hunk from the first
 * line that differs to the last, with DIFF_CONTEXT lines around it: what the API server appends
 * to its refusal so that a person sees which field was changed. NULL on ENOMEM. */
char *spec_json_diff(const json_t *a, const json_t *b)
{
	_cleanup_free_ char *ta = json_dumps(a, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	_cleanup_free_ char *tb = json_dumps(b, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	_cleanup_strv_ char **la = NULL, **lb = NULL;
	size_t na = 0, nb = 0, pre = 0, post = 0, from, to_a, to_b;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (!ta || !tb || !(la = split_lines(ta, &na)) || !(lb = split_lines(tb, &nb)))
		return NULL;
	while (pre < na && pre < nb && strcmp(la[pre], lb[pre]) == 0)
		pre++;
	while (post < na - pre && post < nb - pre &&
	       strcmp(la[na - 1 - post], lb[nb - 1 - post]) == 0)
		post++;
	from = pre > DIFF_CONTEXT ? pre - DIFF_CONTEXT : 0;
	to_a = na - post + (post > DIFF_CONTEXT ? DIFF_CONTEXT : post);
	to_b = nb - post + (post > DIFF_CONTEXT ? DIFF_CONTEXT : post);
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n", from + 1, to_a - from, from + 1, to_b - from);
	for (size_t i = from; i < pre; i++)
		fprintf(f, " %s\n", la[i]);
	for (size_t i = pre; i < na - post; i++)
		fprintf(f, "-%s\n", la[i]);
	for (size_t i = pre; i < nb - post; i++)
		fprintf(f, "+%s\n", lb[i]);
	for (size_t i = na - post; i < to_a; i++)
		fprintf(f, " %s\n", la[i]);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static json_t *spec_of(const json_t *pod)
{
	json_t *spec = json_object_get(pod, "spec");

	return spec ? spec : json_object();
}

/* spec.activeDeadlineSeconds: set, or shortened; never unset or lengthened. */
static void check_active_deadline(const json_t *old, const json_t *new, json_t *munged,
                                  struct nano_err *causes)
{
	const json_t *o = json_object_get(old, "activeDeadlineSeconds");
	const json_t *n = json_object_get(new, "activeDeadlineSeconds");

	if (json_is_integer(o) && !json_is_integer(n))
		nano_err_cause(
		        causes, "spec.activeDeadlineSeconds", "FieldValueInvalid",
		        "Invalid value: \"null\": must not update from a positive integer to "
		        "nil value");
	else if (json_is_integer(o) && json_integer_value(n) > json_integer_value(o))
		nano_err_cause(causes, "spec.activeDeadlineSeconds", "FieldValueInvalid",
		               "Invalid value: %lld: must be less than or equal to previous value",
		               (long long)json_integer_value(n));
	if (o)
		json_object_set(munged, "activeDeadlineSeconds", (json_t *)o);
	else
		json_object_del(munged, "activeDeadlineSeconds");
}

/* spec.tolerations: each old one stays (its tolerationSeconds aside); new ones may be added. */
static void check_tolerations(const json_t *old, const json_t *new, json_t *munged,
                              struct nano_err *causes)
{
	const json_t *o = json_object_get(old, "tolerations");
	const json_t *n = json_object_get(new, "tolerations");
	size_t i, j;
	json_t *t, *u;

	json_array_foreach((json_t *)o, i, t)
	{
		bool kept = false;

		json_array_foreach((json_t *)n, j, u)
		{
			_cleanup_json_ json_t *a = json_copy(t), *b = json_copy(u);

			if (a && b) {
				json_object_del(a, "tolerationSeconds");
				json_object_del(b, "tolerationSeconds");
				kept = kept || json_equal(a, b);
			}
		}
		if (!kept) {
			nano_err_cause(
			        causes, "spec.tolerations", "FieldValueForbidden",
			        "Forbidden: existing toleration can not be modified except its "
			        "tolerationSeconds");
			break;
		}
	}
	if (o)
		json_object_set(munged, "tolerations", (json_t *)o);
	else
		json_object_del(munged, "tolerations");
}

/* Containers of one list whose image changed: the API server lets it pass (the kubelet
 * restarts the container with the new image); nanolet refuses it, since a container's image is
 * the root it was started with (host, or a directory) and nanolet does not restart a container
 * into another root. The munged spec gets the old images back. */
static void check_images(const json_t *old, json_t *munged, const char *list,
                         struct nano_err *causes)
{
	const json_t *o = json_object_get(old, list);
	json_t *n = json_object_get(munged, list), *c;
	size_t i;

	json_array_foreach(n, i, c)
	{
		const json_t *before = json_object_get(json_array_get(o, i), "image");
		char field[96];

		if (!before || json_equal(before, json_object_get(c, "image")))
			continue;
		snprintf(field, sizeof(field), "spec.%s[%zu].image", list, i);
		nano_err_cause(
		        causes, field, "FieldValueForbidden",
		        "Forbidden: nanolet does not restart a container with a new image: the "
		        "image (\"host\" or a directory) is the root the container runs in, "
		        "fixed at its start; delete the pod and create it again");
		json_object_set(c, "image", (json_t *)before);
	}
}

/* metadata: labels and annotations change freely (string values); the rest stays. */
static void check_metadata(const json_t *old, const json_t *new, struct nano_err *causes)
{
	static const char *const free_fields[] = {"labels", "annotations"};
	const json_t *om = json_object_get(old, "metadata"), *nm = json_object_get(new, "metadata");
	const char *k;
	json_t *v;

	validate_labels_and_annotations(nm, causes);
	for (size_t i = 0; i < ELEMENTSOF(free_fields); i++) {
		const json_t *map = json_object_get(nm, free_fields[i]);
		const char *key;
		json_t *value;

		json_object_foreach((json_t *)map, key, value)
		{
			if (!json_is_string(value))
				nano_err_cause(causes,
				               free_fields[i][0] == 'l' ? "metadata.labels"
				                                        : "metadata.annotations",
				               "FieldValueInvalid",
				               "Invalid value: %s: must be a string", key);
		}
	}
	json_object_foreach((json_t *)nm, k, v)
	{
		char field[128];

		if (strcmp(k, "labels") == 0 || strcmp(k, "annotations") == 0 ||
		    json_equal(v, json_object_get(om, k)))
			continue;
		snprintf(field, sizeof(field), "metadata.%s", k);
		nano_err_cause(
		        causes, field, "FieldValueForbidden",
		        "Forbidden: nanolet updates a pod's labels and annotations, not its %s", k);
	}
	json_object_foreach((json_t *)om, k, v)
	{
		char field[128];

		if (strcmp(k, "labels") == 0 || strcmp(k, "annotations") == 0 ||
		    json_object_get(nm, k))
			continue;
		snprintf(field, sizeof(field), "metadata.%s", k);
		nano_err_cause(
		        causes, field, "FieldValueForbidden",
		        "Forbidden: nanolet updates a pod's labels and annotations, not its %s", k);
	}
}

int spec_pod_validate_update(const json_t *old, const json_t *new, struct nano_err *err)
{
	_cleanup_(nano_err_clear) struct nano_err causes = {0};
	_cleanup_json_ json_t *old_spec = json_incref(spec_of(old));
	_cleanup_json_ json_t *munged = json_deep_copy(spec_of(new));
	const json_t *o_grace, *n_grace;

	if (!old_spec || !munged)
		return nano_err_set(err, ENOMEM, "out of memory");
	check_metadata(old, new, &causes);
	check_active_deadline(old_spec, munged, munged, &causes);
	check_tolerations(old_spec, spec_of(new), munged, &causes);
	/* terminationGracePeriodSeconds: only from negative to 1 */
	o_grace = json_object_get(old_spec, "terminationGracePeriodSeconds");
	n_grace = json_object_get(munged, "terminationGracePeriodSeconds");
	if (json_integer_value(o_grace) < 0 && json_integer_value(n_grace) == 1)
		json_object_set(munged, "terminationGracePeriodSeconds", (json_t *)o_grace);
	{
		_cleanup_(nano_err_clear) struct nano_err images = {0};
		_cleanup_free_ char *diff = NULL;

		check_images(old_spec, munged, "containers", &images);
		check_images(old_spec, munged, "initContainers", &images);
		if (!json_equal(old_spec, munged)) {
			diff = spec_json_diff(old_spec, munged);
			nano_err_cause(&causes, "spec", "FieldValueForbidden", "%s\n%s",
			               POD_UPDATE_FORBIDDEN, diff ? diff : "");
		} else {
			/* a new image is refused only when nothing else forbids the update */
			for (size_t i = 0; i < images.n_causes; i++)
				nano_err_cause(&causes, images.causes[i].field,
				               images.causes[i].reason, "%s",
				               images.causes[i].message);
		}
	}
	if (causes.n_causes == 0)
		return 0;
	spec_invalid_error(
	        json_string_value(json_object_get(json_object_get(new, "metadata"), "name")),
	        &causes, err);
	nano_err_classify(err, NANO_INVALID);
	return -EINVAL;
}
