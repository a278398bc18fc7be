/* tests/fuzz/fuzz_pod.c: a request body, as POST …/pods and /isolationplans take it: the
 * document decoder (YAML or JSON, sniffed), the Pod schema, defaults and validation, the
 * isolation plan and its JSON, and the warnings through the Warning-header bound. Strict or not,
 * v1 or v2, from the input's length. */
#include "fuzz.h"

#include "http_check.h"
#include "plan/plan.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *body = fuzz_text(data, size);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_strv_ char **warnings = NULL, **values = NULL;
	struct spec_decode_options options = {
	        .path_namespace = "default",
	        .strict = size & 1,
	        .max_containers = 256,
	};
	struct spec_pod *pod = NULL;
	size_t left_out;

	if (spec_document_decode(body, size, SPEC_FORMAT_SNIFF, &doc, &err) < 0) {
		FUZZ_ASSERT(err.message && err.errnum);
		return 0;
	}
	nano_err_clear(&err);
	if (spec_pod_decode(doc, &options, &pod, &warnings, &err) == 0) {
		struct plan_config config = {
		        .cgroup_root = "/nanolet",
		        .driver = size & 2 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
		        .pod_pids_limit = 4096,
		        .state_dir = "/var/lib/nanolet",
		};
		struct plan *plan = NULL;

		FUZZ_ASSERT(pod->name && pod->n_containers > 0 && pod->n_containers <= 256);
		(void)spec_qos_name(spec_pod_qos(pod));
		if (plan_build(pod, &config, warnings, &plan) == 0) {
			json_t *json = plan_to_json(plan);
			char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;

			FUZZ_ASSERT(text);
			free(text);
			json_decref(json);
		}
		plan_free(plan);
		spec_pod_free(pod);
	} else {
		FUZZ_ASSERT(err.message && err.errnum);
		FUZZ_ASSERT(!pod);
	}
	values = http_warning_values(warnings, 4096, &left_out);
	FUZZ_ASSERT(values);
	return 0;
}
