/* tests/fuzz/fuzz_explain.c: a manifest file, as `nanolet explain -f` reads it: a stream of YAML
 * documents (or one JSON value), each judged by the Pod Security Standards (both levels, a
 * version chosen by the input), written back as YAML that must read back as the same JSON, and,
 * when it decodes as a Pod, planned with the node options explain can set (v1 or v2, MemoryQoS,
 * a user namespace's range, hybrid hierarchies), every sentence of its explanation finished. */
#include "fuzz.h"

#include <math.h>

#include "plan/plan.h"
#include "security/security.h"
#include "spec/spec.h"

/* Whether a JSON value holds a real: YAML keeps 15 digits of one, not its every bit. */
static bool has_real(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_real(v))
		return true;
	json_object_foreach((json_t *)v, key, x) if (has_real(x)) return true;
	json_array_foreach(v, i, x) if (has_real(x)) return true;
	return false;
}

static void judge(const json_t *doc, uint32_t h)
{
	int version = (int)(h % 45) - 1; /* latest, v1.0 ... past the newest */
	enum security_pss_level highest;

	for (int level = SECURITY_PSS_PRIVILEGED; level <= SECURITY_PSS_RESTRICTED; level++) {
		_cleanup_(security_pss_result_done) struct security_pss_result r = {0};
		_cleanup_free_ char *message = NULL;

		FUZZ_ASSERT(security_pss_evaluate(doc, level, version, &r) == 0);
		FUZZ_ASSERT(level != SECURITY_PSS_PRIVILEGED || r.n == 0);
		message = security_pss_message(&r, level, version);
		FUZZ_ASSERT(message && strncmp(message, "violates PodSecurity \"", 22) == 0);
		for (size_t i = 0; i < r.n; i++)
			FUZZ_ASSERT(r.violations[i].check && r.violations[i].reason &&
			            r.violations[i].detail);
	}
	FUZZ_ASSERT(security_pss_highest(doc, version, &highest) == 0);
}

static void round_trip(const json_t *doc)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *back = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	FUZZ_ASSERT(spec_yaml_from_json(doc, &text) == 0 && text);
	if (spec_yaml_to_json(text, strlen(text), &back, &err) < 0) {
		/* the reader's bounds (depth, nodes) may refuse what the emitter wrote */
		FUZZ_ASSERT(err.errnum == EBADMSG);
		return;
	}
	if (!has_real(doc))
		FUZZ_ASSERT(json_equal(doc, back));
}

/* A "(null)" printf wrote for a missing string, unless the pod wrote it itself. */
static bool printed_null(const char *s, const char *input)
{
	return strstr(s, "(null)") && !strstr(input, "(null)");
}

static void plan(json_t *doc, uint32_t h, const char *input)
{
	static const struct plan_hierarchy hierarchies[] = {{"memory", "/process_api/x/nanolet"},
	                                                    {"cpu,cpuacct", "/nanolet"},
	                                                    {"unified", "/nanolet"}};
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **warnings = NULL;
	struct spec_decode_options options = {.path_namespace = "default", .max_containers = 256};
	struct plan_config config = {
	        .cgroup_root = h & 4 ? "/process_api/x/nanolet" : "/nanolet",
	        .hierarchies = h & 4 ? hierarchies : NULL,
	        .n_hierarchies = h & 4 ? ELEMENTSOF(hierarchies) : 0,
	        .driver = h & 1 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
	        .pod_pids_limit = h & 8 ? -1 : 4096,
	        .state_dir = "/var/lib/nanolet",
	        .memory_qos = h & 2,
	        .memory_throttling_factor = h & 16 ? 1 : 0,
	        .userns_base = h & 32 ? 100000 : 0,
	};
	struct spec_pod *pod = NULL;
	struct plan *p = NULL;

	if (spec_pod_decode(doc, &options, &pod, &warnings, &err) < 0)
		return;
	FUZZ_ASSERT(plan_build(pod, &config, warnings, &p) == 0);
	for (char **s = p->explanation; s && *s; s++) {
		size_t len = strlen(*s);

		FUZZ_ASSERT(len > 20 && (*s)[len - 1] == '.' && !printed_null(*s, input));
	}
	plan_free(p);
	spec_pod_free(pod);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *docs = NULL;
	uint32_t h = fuzz_hash(data, size);
	json_t *doc;
	size_t i;

	if (spec_yaml_documents(text, size, &docs, &err) < 0) {
		FUZZ_ASSERT(err.message && err.errnum);
		return 0;
	}
	FUZZ_ASSERT(json_is_array(docs));
	json_array_foreach(docs, i, doc)
	{
		judge(doc, h + (uint32_t)i);
		round_trip(doc);
		if (json_is_object(doc))
			plan(doc, h + (uint32_t)i, text);
	}
	return 0;
}
