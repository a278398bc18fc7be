/* daemon/api_pods.c: the pod endpoints.
 *
 *   POST /apis/nanolet.io/v1/isolationplans        a Pod in, its IsolationPlan out (200)
 *   POST /api/v1/namespaces/{ns}/pods[?dryRun=All]  create (201), or only validate
 *   GET  /api/v1/pods, /api/v1/namespaces/{ns}/pods  PodList
 *   GET  .../pods/{name}, .../pods/{name}/isolation  one Pod, its plan with live cgroups and pids
 *   DELETE .../pods/{name}[?gracePeriodSeconds=N]    graceful stop, removal, then 200; a
 *          DeleteOptions body (gracePeriodSeconds, preconditions, propagationPolicy, dryRun)
 *
 * Thin: body -> pkg/spec -> pkg/plan -> Pod Security admission -> the pod manager (pods.h) -> JSON.
 * Warnings go out as `Warning: 299`.
 */
#include <string.h>
#include <unistd.h>

#include "admission.h"
#include "audit.h"
#include "nanoletd.h"
#include "plan/plan.h"
#include "routes.h"
#include "pods.h"
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
		return nano_err_setc(
		        err, NANO_BAD_REQUEST, EBADMSG,
		        "invalid fieldValidation \"%s\": must be one of Ignore, Warn, Strict", v);
	return 0;
}

/* Body -> Pod. ns NULL: the Pod's own metadata.namespace, else "default". */
static int read_pod(const struct nanoletd *d, const struct http_request *req, const char *ns,
                    struct spec_pod **pod, char ***warnings, struct nano_err *err)
{
	_cleanup_json_ json_t *doc = NULL;
	enum field_validation validation = FIELD_VALIDATION_WARN;
	struct spec_decode_options options;
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
	/* as `nanolet explain` decodes it */
	node_decode_options(&d->config, doc, ns, &options);
	options.strict = validation == FIELD_VALIDATION_STRICT;
	r = spec_pod_decode(doc, &options, pod, warnings, err);
	if (validation == FIELD_VALIDATION_IGNORE) {
		strv_free(*warnings);
		*warnings = NULL;
	}
	return r;
}

static void fail(struct http_response *resp, const struct nano_err *err, char **warnings)
{
	routes_error(resp, err);
	resp->warnings = warnings;
}

/* Body -> Pod -> the plan it would get. The plan's warnings are the decoder's plus its own (a
 * hostname that hostNetwork ignores, ...). On failure resp holds the Status, with the warnings
 * gathered so far. */
static int read_and_plan(struct nanoletd *d, const struct http_request *req, const char *ns,
                         struct spec_pod **pod, struct plan **plan, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **warnings = NULL;
	struct plan_config config;
	int r;

	r = read_pod(d, req, ns, pod, &warnings, &err);
	if (r < 0)
		return fail(resp, &err, TAKE_PTR(warnings)), r;
	nanoletd_plan_config(d, NULL, 0, &config);
	if (plan_build(*pod, &config, warnings, plan) < 0) {
		nano_err_set(&err, ENOMEM, "out of memory building the isolation plan");
		return fail(resp, &err, TAKE_PTR(warnings)), -ENOMEM;
	}
	return 0;
}

/* The kubelet's sysctl admission (admission_sysctl.c), after the API server's: 0 when admitted;
 * -EPERM with resp a 403 in the kubelet's words when a sysctl is neither safe nor allowed. */
static int admit_sysctls(struct nanoletd *d, const struct spec_pod *pod, char ***warnings,
                         struct http_response *resp)
{
	_cleanup_free_ char *forbidden = NULL, *message = NULL, *field = NULL;
	size_t index = 0;
	json_t *status;

	if (admission_sysctls(d->config.allowed_unsafe_sysctls, pod, &forbidden, &index) < 0) {
		routes_status(resp, 500, "InternalError", "out of memory");
		return -ENOMEM;
	}
	if (!forbidden)
		return 0;
	message = strdupf("pods \"%s\" is forbidden: %s", pod->name ? pod->name : "", forbidden);
	field = strdupf("spec.securityContext.sysctls[%zu].name", index);
	/* the pod's reason, which the kubelet would set on its status, is the cause's */
	status = message && field
	                 ? json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s, "
	                             "s:s}]}, s:i}",
	                             "kind", "Status", "apiVersion", "v1", "metadata", "status",
	                             "Failure", "message", message, "reason", "Forbidden",
	                             "details", "name", pod->name ? pod->name : "", "kind", "pods",
	                             "causes", "reason", ADMISSION_SYSCTL_REASON, "message",
	                             forbidden, "field", field, "code", 403)
	                 : NULL;
	if (!status) {
		routes_status(resp, 500, "InternalError", "out of memory");
		return -ENOMEM;
	}
	routes_json(resp, 403, status);
	resp->warnings = TAKE_PTR(*warnings);
	return -EPERM;
}

/* The node's Pod Security policy for the pod (admission.c), then the kubelet's sysctl admission:
 * 0 when it is admitted, with its warnings appended to *warnings and the decisions in the
 * request's audit annotations; -EPERM with resp the 403 when enforce or a sysctl refuses it. */
static int admit(struct nanoletd *d, const struct http_request *req, const struct spec_pod *pod,
                 char ***warnings, struct http_response *resp)
{
	_cleanup_(admission_pss_done) struct admission_pss a = {0};
	json_t *status;

	if (admission_pod_security(&d->config.pod_security, pod->namespace, pod->name, pod->object,
	                           &a) < 0) {
		routes_status(resp, 500, "InternalError", "out of memory");
		return -ENOMEM;
	}
	if (req->audit) {
		/* a create's objectRef names the object, as the API server's does */
		if (!req->audit->info.name[0] && pod->name)
			snprintf(req->audit->info.name, sizeof(req->audit->info.name), "%s",
			         pod->name);
		if (!req->audit->annotations)
			req->audit->annotations = json_object();
		json_object_update(req->audit->annotations, a.annotations);
	}
	if (a.forbidden) {
		/* apierrors.NewForbidden: details kind "pods" and the name */
		status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:s, s:s}, s:i}", "kind",
		                   "Status", "apiVersion", "v1", "metadata", "status", "Failure",
		                   "message", a.forbidden, "reason", "Forbidden", "details", "name",
		                   pod->name ? pod->name : "", "kind", "pods", "code", 403);
		routes_json(resp, 403, status);
		resp->warnings = TAKE_PTR(*warnings);
		return -EPERM;
	}
	for (char **w = a.warnings; w && *w; w++)
		if (strv_push(warnings, strdup(*w)) < 0)
			break;
	return admit_sysctls(d, pod, warnings, resp);
}

void api_isolationplans_create(struct nanoletd *d, const struct http_request *req,
                               const struct route_args *args, struct http_response *resp)
{
	_cleanup_pod_ struct spec_pod *pod = NULL;
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_strv_ char **warnings = NULL;
	json_t *json;

	(void)args;
	if (read_and_plan(d, req, NULL, &pod, &plan, resp) < 0)
		return;
	/* admitted as a dry run is: the plan of a pod the node would refuse is refused too; the
	 * admission's warnings go in the header, not in the plan (which equals explain's) */
	warnings = strv_copy(plan->warnings);
	if (!warnings)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (admit(d, req, pod, &warnings, resp) < 0)
		return;
	json = plan_to_json(plan);
	if (!json)
		return routes_status(resp, 500, "InternalError", "out of memory");
	routes_json(resp, 200, json);
	resp->warnings = TAKE_PTR(warnings);
}

/* The Scheduled event's message, as the scheduler words it, and who created the pod where the
 * request came over the socket (its peer is known); NULL on ENOMEM. */
static char *scheduled_message(const char *ns, const char *name, const struct peer_cred *peer)
{
	char node[256] = "";

	/* the node's name, as /stats/summary gives it */
	if (gethostname(node, sizeof(node) - 1) < 0 || !node[0])
		snprintf(node, sizeof(node), "this node");
	if (!peer || !peer->known)
		return strdupf("Successfully assigned %s/%s to %s", ns, name, node);
	return strdupf("Successfully assigned %s/%s to %s: created by user \"%s\" (uid %u, gid %u, "
	               "pid %d, %s)",
	               ns, name, node, peer->user, (unsigned)peer->uid, (unsigned)peer->gid,
	               (int)peer->pid, peer->comm[0] ? peer->comm : "process gone");
}

/* A create's answer, once the pod manager has one. */
struct create_answer {
	struct http_deferred *deferred;
	char **warnings;
};

static void create_answer_free(struct create_answer *answer)
{
	if (!answer)
		return;
	strv_free(answer->warnings);
	free(answer);
}

static void on_created(void *userdata, int r, struct pod *pod, const struct nano_err *err)
{
	struct create_answer *answer = userdata;
	struct http_response resp;
	json_t *json;

	http_deferred_response(answer->deferred, &resp);
	if (r < 0) {
		fail(&resp, err, TAKE_PTR(answer->warnings));
	} else if (!(json = pod_to_json(pod))) {
		routes_status(&resp, 500, "InternalError", "out of memory");
	} else {
		routes_json(&resp, 201, json);
		resp.warnings = TAKE_PTR(answer->warnings);
	}
	http_deferred_complete(answer->deferred, &resp);
	create_answer_free(answer);
}

void api_pods_create(struct nanoletd *d, const struct http_request *req,
                     const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_pod_ struct spec_pod *spec = NULL;
	_cleanup_plan_ struct plan *plan = NULL;
	const char *dry_run = http_query(req, "dryRun");
	struct create_answer *answer;
	json_t *json;

	if (dry_run && strcmp(dry_run, "All") != 0) {
		nano_err_setc(&err, NANO_BAD_REQUEST, EBADMSG,
		              "invalid dryRun \"%s\": the only value is \"All\"", dry_run);
		return fail(resp, &err, NULL);
	}
	if (read_and_plan(d, req, args->ns, &spec, &plan, resp) < 0)
		return;
	/* the API server admits a dry run as it admits a create */
	if (admit(d, req, spec, &plan->warnings, resp) < 0)
		return;
	if (!dry_run) {
		/* answered once the pod's containers have started: the daemon serves others
		 * meanwhile */
		_cleanup_free_ char *scheduled =
		        scheduled_message(plan->namespace, plan->name, req->peer);

		answer = calloc(1, sizeof(*answer));
		if (!scheduled || !answer || !(answer->deferred = http_defer(req, resp))) {
			create_answer_free(answer);
			nano_err_set(&err, ENOMEM, "out of memory");
			return fail(resp, &err, strv_copy(plan->warnings));
		}
		answer->warnings = TAKE_PTR(plan->warnings);
		if (pods_create(d->pods, &spec, scheduled, on_created, answer, &err) < 0) {
			fail(resp, &err, TAKE_PTR(answer->warnings));
			http_deferred_complete(answer->deferred, resp);
			create_answer_free(answer);
		}
		return;
	}
	json = pod_dry_run_json(spec);
	if (!json) {
		nano_err_set(&err, ENOMEM, "out of memory");
		return fail(resp, &err, strv_copy(plan->warnings));
	}
	routes_json(resp, 201, json);
	resp->warnings = strv_copy(plan->warnings);
}

void api_pods_list(struct nanoletd *d, const struct http_request *req,
                   const struct route_args *args, struct http_response *resp)
{
	_cleanup_(api_selectors_done) struct api_selectors sel = {0};

	if (api_watch_wanted(req))
		return api_watch(d, req, args, WATCH_PODS, resp);
	if (api_selectors_parse(req, EVENTS_SELECT_PODS, &sel, resp) < 0)
		return;
	routes_json(
	        resp, 200,
	        pods_list_json(d->pods, args->ns[0] ? args->ns : NULL, api_selectors_match, &sel));
}

struct pod *api_find_pod(struct nanoletd *d, const struct route_args *args,
                         struct http_response *resp)
{
	struct pod *pod = pods_find(d->pods, args->ns, args->name);
	_cleanup_free_ char *message = NULL;

	if (pod)
		return pod;
	message = strdupf("pods \"%s\" not found", args->name);
	routes_status(resp, 404, "NotFound", message ? message : "not found");
	return NULL;
}

void api_pod_get(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                 struct http_response *resp)
{
	struct pod *pod = api_find_pod(d, args, resp);

	(void)req;
	if (pod)
		routes_json(resp, 200, pod_to_json(pod));
}

void api_pod_isolation(struct nanoletd *d, const struct http_request *req,
                       const struct route_args *args, struct http_response *resp)
{
	struct pod *pod = api_find_pod(d, args, resp);

	(void)req;
	if (pod)
		routes_json(resp, 200, pod_isolation_json(pod));
}

/* What a DELETE asks for, from its DeleteOptions body or, without one, its query. */
struct delete_options {
	int64_t grace; /* wins over the pod's terminationGracePeriodSeconds; -1: the pod's */
	bool dry_run;
	char *uid, *resource_version; /* preconditions; NULL: none */
};

static void delete_options_done(struct delete_options *o)
{
	free(o->uid);
	free(o->resource_version);
}

/* dryRun: only "All", as the API server's ValidateDryRun has it. */
static int check_dry_run(const char *v, struct nano_err *err)
{
	if (strcmp(v, "All") != 0)
		return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
		                     "invalid dryRun \"%s\": the only value is \"All\"", v);
	return 0;
}

/* propagationPolicy: the API server's three; a pod has no dependents, so each deletes the
 * pod alone. */
static int check_propagation(const char *v, struct nano_err *err)
{
	static const char *const policies[] = {"Orphan", "Background", "Foreground"};

	for (size_t i = 0; i < ELEMENTSOF(policies); i++)
		if (strcmp(v, policies[i]) == 0)
			return 0;
	nano_err_setc(err, NANO_INVALID, EINVAL,
	              "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
	              "value: \"%s\": supported values: \"Foreground\", \"Background\", "
	              "\"Orphan\", \"nil\"",
	              v);
	nano_err_cause(err, "propagationPolicy", "FieldValueNotSupported",
	               "Unsupported value: \"%s\"", v);
	return -EINVAL;
}

static int bad_option(struct nano_err *err, const char *field, const char *want)
{
	return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG, "invalid DeleteOptions: %s must be %s",
	                     field, want);
}

/* A DeleteOptions body (kind DeleteOptions, apiVersion v1 or meta.k8s.io/v1; kubectl sends
 * neither). As the API server does, a body replaces the query's options whole. */
static int delete_options_from_body(const struct http_request *req, struct delete_options *o,
                                    struct nano_err *err)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *v, *pre, *item;
	const char *kind, *version;
	json_error_t error;
	size_t i;

	doc = json_loadb(req->body, req->body_len, 0, &error);
	if (!doc)
		return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
		                     "invalid DeleteOptions: %s (line %d, column %d)", error.text,
		                     error.line, error.column);
	kind = json_string_value(json_object_get(doc, "kind"));
	version = json_string_value(json_object_get(doc, "apiVersion"));
	if ((kind && strcmp(kind, "DeleteOptions") != 0) ||
	    (version && strcmp(version, "v1") != 0 && strcmp(version, "meta.k8s.io/v1") != 0))
		return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
		                     "decoded object cannot be converted to DeleteOptions: %s %s",
		                     version ? version : "", kind ? kind : "");
	v = json_object_get(doc, "gracePeriodSeconds");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad_option(err, "gracePeriodSeconds",
			                  "a whole number of seconds, 0 or more");
		o->grace = json_integer_value(v);
	}
	pre = json_object_get(doc, "preconditions");
	if (pre && !json_is_null(pre)) {
		json_t *uid = json_object_get(pre, "uid"),
		       *rv = json_object_get(pre, "resourceVersion");

		if (!json_is_object(pre) || (uid && !json_is_null(uid) && !json_is_string(uid)) ||
		    (rv && !json_is_null(rv) && !json_is_string(rv)))
			return bad_option(err, "preconditions",
			                  "an object of strings uid and resourceVersion");
		if (json_is_string(uid) && !(o->uid = strdup(json_string_value(uid))))
			return nano_err_set(err, ENOMEM, "out of memory");
		if (json_is_string(rv) && !(o->resource_version = strdup(json_string_value(rv))))
			return nano_err_set(err, ENOMEM, "out of memory");
	}
	v = json_object_get(doc, "propagationPolicy");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return bad_option(err, "propagationPolicy", "a string");
		if (check_propagation(json_string_value(v), err) < 0)
			return -EINVAL;
		if (json_is_boolean(json_object_get(doc, "orphanDependents")))
			return nano_err_setc(
			        err, NANO_INVALID, EINVAL,
			        "DeleteOptions.meta.k8s.io \"\" is invalid: "
			        "propagationPolicy: Invalid value: \"%s\": orphanDependents "
			        "and deletionPropagation cannot be both set",
			        json_string_value(v));
	}
	v = json_object_get(doc, "dryRun");
	if (v && !json_is_null(v) && !json_is_array(v))
		return bad_option(err, "dryRun", "a list");
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return bad_option(err, "dryRun", "a list of strings");
		if (check_dry_run(json_string_value(item), err) < 0)
			return -EINVAL;
		o->dry_run = true;
	}
	return 0;
}

static bool body_empty(const struct http_request *req)
{
	for (size_t i = 0; req->body && i < req->body_len; i++)
		if (!strchr(" \t\r\n", req->body[i]))
			return false;
	return true;
}

/* ?gracePeriodSeconds=, ?dryRun=, ?propagationPolicy= when there is no body. */
static int delete_options(const struct http_request *req, struct delete_options *o,
                          struct nano_err *err)
{
	const char *v = http_query(req, "gracePeriodSeconds");
	char *end;
	long long n;

	*o = (struct delete_options){.grace = -1};
	if (!body_empty(req))
		return delete_options_from_body(req, o, err);
	if (http_query(req, "dryRun")) {
		if (check_dry_run(http_query(req, "dryRun"), err) < 0)
			return -EINVAL;
		o->dry_run = true;
	}
	if (http_query(req, "propagationPolicy") &&
	    check_propagation(http_query(req, "propagationPolicy"), err) < 0)
		return -EINVAL;
	if (!v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < 0)
		return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
		                     "invalid gracePeriodSeconds \"%s\": must be a whole number of "
		                     "seconds, 0 or more",
		                     v);
	o->grace = n;
	return 0;
}

/* preconditions: 409 Conflict as the API server's storage answers a failed one. */
static int check_preconditions(const struct pod *pod, const char *name,
                               const struct delete_options *o, struct nano_err *err)
{
	char rv[POD_RESOURCE_VERSION_SIZE];

	pod_resource_version(pod, rv);

	if (o->uid && strcmp(o->uid, pod_uid(pod)) != 0)
		return nano_err_setc(
		        err, NANO_IN_USE, EBUSY,
		        "Operation cannot be fulfilled on pods \"%s\": Precondition failed: "
		        "UID in precondition: %s, UID in object meta: %s",
		        name, o->uid, pod_uid(pod));
	if (o->resource_version && strcmp(o->resource_version, rv) != 0)
		return nano_err_setc(
		        err, NANO_IN_USE, EBUSY,
		        "Operation cannot be fulfilled on pods \"%s\": Precondition failed: "
		        "ResourceVersion in precondition: %s, ResourceVersion in object "
		        "meta: %s",
		        name, o->resource_version, rv);
	return 0;
}

/* A delete's answer: 200 and the Pod as it last was, once nothing of it is left. */
static void on_deleted(void *userdata, int r, const json_t *last, const struct nano_err *err)
{
	struct http_response resp;

	http_deferred_response(userdata, &resp);
	if (r < 0)
		routes_error(&resp, err);
	else
		routes_json(&resp, 200, json_incref((json_t *)last));
	http_deferred_complete(userdata, &resp);
}

void api_pod_delete(struct nanoletd *d, const struct http_request *req,
                    const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(delete_options_done) struct delete_options o = {0};
	struct pod *pod = api_find_pod(d, args, resp);
	struct http_deferred *deferred;

	if (!pod)
		return;
	if (delete_options(req, &o, &err) < 0 || check_preconditions(pod, args->name, &o, &err) < 0)
		return routes_error_object(resp, &err, "pods", args->name);
	if (o.dry_run) {
		/* the Pod as the delete would leave it: terminating, nothing stopped */
		json_t *json = pod_to_json(pod);
		char now[UTIL_RFC3339_SIZE];
		struct timespec ts = {.tv_sec = time(NULL)};

		if (!json)
			return routes_status(resp, 500, "InternalError", "out of memory");
		util_rfc3339(now, sizeof(now), &ts, false);
		json_object_set_new(json_object_get(json, "metadata"), "deletionTimestamp",
		                    json_string(now));
		return routes_json(resp, 200, json);
	}
	/* a delete the store cannot record would be undone by the next restart: refuse it */
	if (pod_delete_record(pod, o.grace, &err) < 0)
		return fail(resp, &err, NULL);
	/* answered once nothing of the pod is left; the daemon serves others meanwhile */
	deferred = http_defer(req, resp);
	pod_delete(pod, o.grace, deferred ? on_deleted : NULL, deferred);
}

/* ---- shared by the pods' subresources (log, exec) ----------------------------------- */

bool api_query_true(const struct http_request *req, const char *key)
{
	static const char *const truths[] = {"true", "1", "True", "TRUE", "t", "T"};
	const char *v = http_query(req, key);

	/* Go's strconv.ParseBool, as the API server reads its parameters: python3-kubernetes
	 * sends watch=True */
	for (size_t i = 0; v && i < ELEMENTSOF(truths); i++)
		if (strcmp(v, truths[i]) == 0)
			return true;
	return false;
}

void api_bad_request(struct http_response *resp, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	routes_status(resp, 400, "BadRequest", message ? message : "bad request");
}

/* The pod's container names (borrowed), NULL-terminated; NULL on ENOMEM. */
static const char **container_names(const struct pod *pod, size_t *n)
{
	for (size_t max = 64;; max *= 2) {
		const char **names = calloc(max, sizeof(*names));

		if (!names)
			return NULL;
		*n = pod_containers(pod, names, max);
		if (*n + 1 < max)
			return names;
		free(names); /* maybe cut short: a bigger list */
	}
}

const char *api_pod_container(const struct pod *pod, const char *name,
                              const struct http_request *req, struct http_response *resp)
{
	const char *wanted = http_query(req, "container");
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ char *joined = NULL;
	size_t n = 0;

	names = container_names(pod, &n);
	if (!names)
		return routes_status(resp, 500, "InternalError", "out of memory"), NULL;
	if (!wanted && n == 1)
		return names[0];
	for (size_t i = 0; wanted && i < n; i++)
		if (strcmp(names[i], wanted) == 0)
			return names[i];
	if (wanted) {
		api_bad_request(resp, "container %s is not valid for pod %s", wanted, name);
		return NULL;
	}
	joined = strv_join((char **)names, " ");
	api_bad_request(resp, "a container name must be specified for pod %s, choose one of: [%s]",
	                name, joined ? joined : "");
	return NULL;
}
