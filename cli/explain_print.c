/* cli/explain_print.c: `nanolet explain -o text|json|yaml`. JSON and YAML are the IsolationPlan
 * exactly as POST /apis/nanolet.io/v1/isolationplans answers it (plan_to_json), a v1 List of
 * them for several pods, as kubectl prints several objects; text is for a person: each pod's
 * explanation, its warnings and the Pod Security Standards it meets.
 */
#include <string.h>

#include "explain.h"
#include "spec/spec.h"

static json_t *as_json(const struct explain_pod *pods, size_t n)
{
	json_t *items;

	if (n == 1)
		return plan_to_json(pods[0].plan);
	items = json_array();
	for (size_t i = 0; items && i < n; i++)
		if (json_array_append_new(items, plan_to_json(pods[i].plan)) < 0)
			items = (json_decref(items), NULL);
	return items ? json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion", "v1", "kind", "List",
	                         "metadata", "resourceVersion", "", "items", items)
	             : NULL;
}

static void print_text(FILE *out, const struct explain_pod *pods, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct plan *plan = pods[i].plan;
		const struct plan_pod_security *ps = &plan->pod_security;

		fprintf(out, "%spod %s/%s (%s): %s, cgroup %s\n", i ? "\n" : "", plan->namespace,
		        plan->name, pods[i].origin, spec_qos_name(plan->qos),
		        plan_cgroup_driver_name(plan->driver));
		for (char **s = plan->explanation; s && *s; s++)
			fprintf(out, "- %s\n", *s);
		for (char **w = plan->warnings; w && *w; w++)
			fprintf(out, "warning: %s\n", *w);
		fprintf(out, "pod security: %s (latest)", security_pss_level_name(ps->level));
		if (ps->next_message)
			fprintf(out, "; %s: %s", security_pss_level_name(ps->level + 1),
			        ps->next_message);
		fprintf(out, "\n");
	}
}

int explain_print(FILE *out, enum explain_format format, const struct explain_pod *pods, size_t n)
{
	_cleanup_json_ json_t *json = NULL;
	_cleanup_free_ char *text = NULL;

	if (n == 0)
		return 0;
	if (format == EXPLAIN_TEXT) {
		print_text(out, pods, n);
	} else {
		json = as_json(pods, n);
		if (!json)
			return -ENOMEM;
		if (format == EXPLAIN_JSON)
			text = json_dumps(json, JSON_INDENT(2));
		else if (spec_yaml_from_json(json, &text) < 0)
			text = NULL;
		if (!text)
			return -ENOMEM;
		fprintf(out, "%s%s", text, format == EXPLAIN_JSON ? "\n" : "");
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
