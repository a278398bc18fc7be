/* daemon/api_pods.c: the endpoints that read Pods.
 *
 *   POST /apis/nanolet.io/v1/isolationplans      a Pod in, its IsolationPlan out (200)
 *   POST /api/v1/namespaces/{ns}/pods?dryRun=All  the defaulted, validated Pod (201)
 *   POST /api/v1/namespaces/{ns}/pods             validated, then 501: pods are not run yet
 *
 * Thin: body -> pkg/spec -> pkg/plan -> JSON. Warnings go out as `Warning: 299` headers.
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "nanoletd.h"
#include "plan/plan.h"
#include "routes.h"
#include "spec/spec.h"

enum field_validation {
	FIELD_VALIDATION_IGNORE,
	FIELD_VALIDATION_WARN,
	FIELD_VALIDATION_STRICT,
};

/* ?fieldValidation=Ignore|Warn|Strict, as the API server takes it (default Warn). */
static int parse_field_validation(const struct http_request *req, enum field_validation *out,
                                  struct nano_err *err)
{
	const char *v = http_query(req, "fieldValidation");

	if (!v || strcmp(v, "Warn") == 0)
		*out = FIELD_VALIDATION_WARN;
	else if (strcmp(v, "Strict") == 0)
		*out = FIELD_VALIDATION_STRICT;
	else if (strcmp(v, "Ignore") == 0)
		*out = FIELD_VALIDATION_IGNORE;
	else
		return nano_err_set(
		        err, EBADMSG,
		        "invalid fieldValidation \"%s\": must be one of Ignore, Warn, Strict", v);
	return 0;
}

/* Body -> Pod. ns NULL: the Pod's own metadata.namespace, else "default". */
static int read_pod(const struct http_request *req, const char *ns, struct spec_pod **pod,
                    char ***warnings, struct nano_err *err)
{
	_cleanup_json_ json_t *doc = NULL;
	enum field_validation validation = FIELD_VALIDATION_WARN;
	struct spec_decode_options options = {.path_namespace = ns};
	enum spec_format format;
	int r;

	r = parse_field_validation(req, &validation, err);
	if (r < 0)
		return r;
	r = spec_format_from_content_type(req->content_type, &format, err);
	if (r < 0)
		return r;
	r = spec_document_decode(req->body, req->body_len, format, &doc, err);
	if (r < 0)
		return r;
	if (!options.path_namespace) {
		const char *own = json_string_value(
		        json_object_get(json_object_get(doc, "metadata"), "namespace"));

		options.path_namespace = own ? own : "default";
	}
	options.strict = validation == FIELD_VALIDATION_STRICT;
	r = spec_pod_decode(doc, &options, pod, warnings, err);
	if (validation == FIELD_VALIDATION_IGNORE) {
		strv_free(*warnings);
		*warnings = NULL;
	}
	return r;
}

static void plan_config_of(const struct nanoletd *d, struct plan_config *config)
{
	*config = (struct plan_config){
	        .cgroup_root = d->cgroup_root,
	        .driver = d->cgroup_driver == CONFIG_CGROUP_V2 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
	        .pod_pids_limit = d->config.pod_pids_limit,
	        .state_dir = d->config.state_dir,
	        .pod_uid = NULL,
	};
}

static void fail(struct http_response *resp, struct nano_err *err, char **warnings)
{
	routes_error(resp, err);
	resp->warnings = warnings;
}

void api_isolationplans_create(struct nanoletd *d, const struct http_request *req,
                               struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **warnings = NULL;
	_cleanup_pod_ struct spec_pod *pod = NULL;
	_cleanup_plan_ struct plan *plan = NULL;
	struct plan_config config;
	json_t *json;

	if (read_pod(req, NULL, &pod, &warnings, &err) < 0)
		return fail(resp, &err, TAKE_PTR(warnings));
	plan_config_of(d, &config);
	if (plan_build(pod, &config, warnings, &plan) < 0 || !(json = plan_to_json(plan))) {
		nano_err_set(&err, ENOMEM, "out of memory building the isolation plan");
		return fail(resp, &err, TAKE_PTR(warnings));
	}
	routes_json(resp, 200, json);
	resp->warnings = strv_copy(plan->warnings);
}

/* A random (version 4) UUID, as the API server gives every object. */
static int uuid_v4(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
	return 0;
}

static void rfc3339_now(char out[32])
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The Pod a create answers with: the defaulted object, uid and creation time, and the status a
 * pod has before anything runs. */
static json_t *created_pod(const struct spec_pod *pod)
{
	json_t *obj = json_deep_copy(pod->object);
	json_t *metadata = json_object_get(obj, "metadata");
	char uid[37], now[32];

	if (!obj || !json_is_object(metadata) || uuid_v4(uid) < 0) {
		json_decref(obj);
		return NULL;
	}
	rfc3339_now(now);
	json_object_set_new(obj, "apiVersion", json_string("v1"));
	json_object_set_new(obj, "kind", json_string("Pod"));
	json_object_set_new(metadata, "uid", json_string(uid));
	json_object_set_new(metadata, "creationTimestamp", json_string(now));
	json_object_set_new(obj, "status",
	                    json_pack("{s:s, s:s}", "phase", "Pending", "qosClass",
	                              spec_qos_name(spec_pod_qos(pod))));
	return obj;
}

void api_pods_create(struct nanoletd *d, const struct http_request *req, const char *ns,
                     struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **warnings = NULL;
	_cleanup_pod_ struct spec_pod *pod = NULL;
	_cleanup_plan_ struct plan *plan = NULL;
	const char *dry_run = http_query(req, "dryRun");
	struct plan_config config;
	json_t *json;

	if (dry_run && strcmp(dry_run, "All") != 0) {
		nano_err_set(&err, EBADMSG, "invalid dryRun \"%s\": the only value is \"All\"",
		             dry_run);
		return fail(resp, &err, NULL);
	}
	if (read_pod(req, ns, &pod, &warnings, &err) < 0)
		return fail(resp, &err, TAKE_PTR(warnings));
	/* the plan's own warnings (a hostname that hostNetwork ignores, ...) belong here too */
	plan_config_of(d, &config);
	if (plan_build(pod, &config, warnings, &plan) < 0) {
		nano_err_set(&err, ENOMEM, "out of memory building the isolation plan");
		return fail(resp, &err, TAKE_PTR(warnings));
	}
	if (!dry_run) {
		nano_err_set(&err, ENOSYS,
		             "pods are not run yet: this nanolet validates and plans pods; use "
		             "?dryRun=All, or POST /apis/nanolet.io/v1/isolationplans to see what "
		             "the pod would get");
		return fail(resp, &err, strv_copy(plan->warnings));
	}
	json = created_pod(pod);
	if (!json) {
		nano_err_set(&err, ENOMEM, "out of memory");
		return fail(resp, &err, strv_copy(plan->warnings));
	}
	routes_json(resp, 201, json);
	resp->warnings = strv_copy(plan->warnings);
}
