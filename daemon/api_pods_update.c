/* daemon/api_pods_update.c: changing a pod that runs, as kubectl apply, label, annotate, patch
 * and replace do it.
 *
 *   PATCH .../pods/{name}   application/strategic-merge-patch+json (kubectl's default),
 *                           application/merge-patch+json, application/json-patch+json;
 *                           server-side apply (application/apply-patch+yaml) is 415
 *   PUT   .../pods/{name}   the whole Pod (metadata.resourceVersion, when given, must match)
 *
 * Both end in one path: the new object is decoded and defaulted as a create's is (pkg/spec),
 * checked against the old one as the API server's ValidatePodUpdate does
 * (spec_pod_validate_update), and handed to pod_update_object, the one place a pod's object
 * changes. ?dryRun=All answers without keeping it. Thin: the patch formats are pkg/patch's. */
#include <string.h>
#include <strings.h>

#include "nanoletd.h"
#include "patch/patch.h"
#include "pods.h"
#include "routes.h"
#include "spec/spec.h"

#define PATCH_ACCEPTED                                                                             \
	"application/json-patch+json, application/merge-patch+json, "                              \
	"application/strategic-merge-patch+json"

static void fail(struct http_response *resp, const struct nano_err *err, const char *name)
{
	/* an Invalid names the kind (kubectl: `The Pod "x" is invalid`), the others the resource */
	routes_error_object(resp, err, err && err->class == NANO_INVALID ? "Pod" : "pods", name);
}

/* 409, as the API server's storage answers a failed precondition. */
static void conflict(struct http_response *resp, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void conflict(struct http_response *resp, const char *name, const char *fmt, ...)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	nano_err_setc(&err, NANO_IN_USE, EBUSY, "Operation cannot be fulfilled on pods \"%s\": %s",
	              name, why ? why : "conflict");
	fail(resp, &err, name);
}

static json_t *metadata_of(json_t *obj)
{
	json_t *m = json_object_get(obj, "metadata");

	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(obj, "metadata", m);
	}
	return m;
}

/* The object a PATCH or PUT proposes, made into the pod's next object: the URL's name and
 * namespace, the old object's identity (uid, creationTimestamp) and the preconditions it
 * carries checked; status and what the server keeps dropped. old: the pod's object
 * (pod_object). 0, or < 0 with resp answered. */
static int settle_identity(const struct route_args *args, const struct pod *pod, const json_t *old,
                           json_t *obj, struct http_response *resp)
{
	static const char *const kept[] = {"creationTimestamp", "resourceVersion", "generation"};
	static const char *const dropped[] = {"deletionTimestamp", "deletionGracePeriodSeconds",
	                                      "managedFields", "selfLink"};
	json_t *meta;
	const char *name, *ns, *uid, *rv;
	char old_rv[POD_RESOURCE_VERSION_SIZE];

	if (!json_is_object(obj)) {
		api_bad_request(resp, "the object provided is unrecognized (must be of type Pod)");
		return -EINVAL;
	}
	meta = metadata_of(obj);
	if (!meta)
		return routes_status(resp, 500, "InternalError", "out of memory"), -ENOMEM;
	name = json_string_value(json_object_get(meta, "name"));
	ns = json_string_value(json_object_get(meta, "namespace"));
	if (name && strcmp(name, args->name) != 0) {
		api_bad_request(
		        resp, "the name of the object (%s) does not match the name on the URL (%s)",
		        name, args->name);
		return -EINVAL;
	}
	if (ns && strcmp(ns, args->ns) != 0) {
		api_bad_request(resp, "the namespace of the provided object does not match the "
		                      "namespace sent on the request");
		return -EINVAL;
	}
	uid = json_string_value(json_object_get(meta, "uid"));
	pod_resource_version(pod, old_rv);
	if (uid && *uid && strcmp(uid, pod_uid(pod)) != 0) {
		conflict(resp, args->name,
		         "Precondition failed: UID in precondition: %s, UID in object meta: %s",
		         uid, pod_uid(pod));
		return -EBUSY;
	}
	rv = json_string_value(json_object_get(meta, "resourceVersion"));
	if (rv && *rv && strcmp(rv, old_rv) != 0) {
		conflict(resp, args->name,
		         "the object has been modified; please apply your changes to the latest "
		         "version and try again");
		return -EBUSY;
	}
	/* what the server keeps, not the client: gone before decoding (which would warn that
	 * they are ignored), back from the old object after it (restore_identity) */
	json_object_del(obj, "status");
	json_object_set_new(meta, "name", json_string(args->name));
	json_object_set_new(meta, "namespace", json_string(args->ns));
	json_object_del(meta, "uid");
	for (size_t i = 0; i < ELEMENTSOF(kept); i++)
		json_object_del(meta, kept[i]);
	for (size_t i = 0; i < ELEMENTSOF(dropped); i++)
		json_object_del(meta, dropped[i]);
	/* spec.nodeName is the node's, set at create: sent back unchanged, it is no field of the
	 * client's (a change stays, and the update's rules refuse it) */
	if (json_equal(json_object_get(json_object_get(obj, "spec"), "nodeName"),
	               json_object_get(json_object_get(old, "spec"), "nodeName")))
		json_object_del(json_object_get(obj, "spec"), "nodeName");
	return 0;
}

/* The decoded object gets the old one's identity back. */
static int restore_identity(const struct pod *pod, const json_t *old, json_t *obj)
{
	static const char *const kept[] = {"creationTimestamp", "resourceVersion", "generation"};
	json_t *old_meta = json_object_get(old, "metadata");
	json_t *meta = metadata_of(obj), *node;

	if (!meta || json_object_set_new(meta, "uid", json_string(pod_uid(pod))) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
		json_t *v = json_object_get(old_meta, kept[i]);

		if (v && json_object_set(meta, kept[i], v) < 0)
			return -ENOMEM;
	}
	node = json_object_get(json_object_get(old, "spec"), "nodeName");
	if (node && json_is_object(json_object_get(obj, "spec")) &&
	    !json_object_get(json_object_get(obj, "spec"), "nodeName"))
		json_object_set(json_object_get(obj, "spec"), "nodeName", node);
	json_object_set_new(obj, "apiVersion", json_string("v1"));
	json_object_set_new(obj, "kind", json_string("Pod"));
	return 0;
}

/* The proposed object (owned by the caller) -> validated, defaulted -> kept (or, dry run,
 * only answered). */
static void update(struct nanoletd *d, const struct http_request *req,
                   const struct route_args *args, struct pod *pod, json_t *proposed,
                   struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_pod_ struct spec_pod *spec = NULL;
	_cleanup_strv_ char **warnings = NULL;
	_cleanup_json_ json_t *next = NULL, *old = NULL;
	const char *dry_run = http_query(req, "dryRun");
	const char *validation = http_query(req, "fieldValidation");
	struct spec_decode_options options;
	json_t *answer;

	if (dry_run && strcmp(dry_run, "All") != 0)
		return api_bad_request(resp, "invalid dryRun \"%s\": the only value is \"All\"",
		                       dry_run);
	if (validation && strcmp(validation, "Strict") != 0 && strcmp(validation, "Warn") != 0 &&
	    strcmp(validation, "Ignore") != 0)
		return api_bad_request(
		        resp, "invalid fieldValidation \"%s\": must be one of Ignore, Warn, Strict",
		        validation);
	old = pod_object(pod);
	if (!old)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (settle_identity(args, pod, old, proposed, resp) < 0)
		return;
	/* decoded and defaulted as a create is, so that the two objects compare field by field */
	node_decode_options(&d->config, proposed, args->ns, &options);
	options.strict = validation && strcmp(validation, "Strict") == 0;
	if (spec_pod_decode(proposed, &options, &spec, &warnings, &err) < 0) {
		fail(resp, &err, args->name);
		resp->warnings = TAKE_PTR(warnings);
		return;
	}
	if (validation && strcmp(validation, "Ignore") == 0)
		strv_free(TAKE_PTR(warnings));
	next = json_deep_copy(spec->object);
	if (!next)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (restore_identity(pod, old, next) < 0)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (spec_pod_validate_update(old, next, &err) < 0) {
		fail(resp, &err, args->name);
		resp->warnings = TAKE_PTR(warnings);
		return;
	}
	if (dry_run) {
		json_t *live = pod_to_json(pod);

		answer = json_deep_copy(next);
		if (answer && live)
			json_object_set(answer, "status", json_object_get(live, "status"));
		json_decref(live);
	} else {
		if (pod_update_object(pod, next, &err) < 0)
			return fail(resp, &err, args->name);
		answer = pod_to_json(pod);
	}
	if (!answer)
		return routes_status(resp, 500, "InternalError", "out of memory");
	routes_json(resp, 200, answer);
	resp->warnings = TAKE_PTR(warnings);
}

/* The media type without parameters, compared case-insensitively. */
static bool media_is(const char *content_type, const char *type)
{
	size_t n = strlen(type);

	if (!content_type)
		return false;
	while (*content_type == ' ')
		content_type++;
	return strncasecmp(content_type, type, n) == 0 &&
	       (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

void api_pod_patch(struct nanoletd *d, const struct http_request *req,
                   const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *patch = NULL, *current = NULL, *patched = NULL;
	int (*apply)(const json_t *, const json_t *, json_t **, struct nano_err *) = NULL;
	struct pod *pod;
	json_error_t error;

	/* the media type first: server-side apply creates a missing object, so its answer must
	 * not depend on the pod being there */
	if (media_is(req->content_type, "application/strategic-merge-patch+json"))
		apply = patch_strategic_pod;
	else if (media_is(req->content_type, "application/merge-patch+json"))
		apply = patch_merge;
	else if (media_is(req->content_type, "application/json-patch+json"))
		apply = patch_json;
	if (!apply) {
		/* server-side apply among them: nanolet keeps no managedFields to apply against */
		nano_err_setc(&err, NANO_UNSUPPORTED_MEDIA, EMEDIUMTYPE,
		              "the body of the request was in an unknown format - accepted media "
		              "types include: " PATCH_ACCEPTED);
		return routes_error(resp, &err);
	}
	pod = api_find_pod(d, args, resp);
	if (!pod)
		return;
	patch = json_loadb(req->body ? req->body : "", req->body_len, JSON_DECODE_ANY, &error);
	if (!patch)
		return api_bad_request(resp, "error decoding patch: %s (line %d, column %d)",
		                       error.text, error.line, error.column);
	/* the patch applies to the Pod as a GET shows it, status included (a JSON patch may test
	 * it); what it does to status is dropped afterwards */
	current = pod_to_json(pod);
	if (!current)
		return routes_status(resp, 500, "InternalError", "out of memory");
	/* the patch's own failure: its message says it all (kubectl prints a Status without
	 * details as it is) */
	if (apply(current, patch, &patched, &err) < 0)
		return routes_error(resp, &err);
	update(d, req, args, pod, patched, resp);
}

void api_pod_put(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                 struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = NULL;
	struct pod *pod = api_find_pod(d, args, resp);
	enum spec_format format;

	if (!pod)
		return;
	if (spec_format_from_content_type(req->content_type, &format, &err) < 0 ||
	    spec_document_decode(req->body, req->body_len, format, &doc, &err) < 0)
		return routes_error(resp, &err);
	update(d, req, args, pod, doc, resp);
}
