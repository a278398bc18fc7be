/* daemon/api_namespaces.c: core/v1 Namespaces.
 *
 *   GET    /api/v1/namespaces          NamespaceList (?fieldSelector= on metadata.name,
 *                                      status.phase, as kubectl delete's wait sends)
 *   POST   /api/v1/namespaces          create (201; ?dryRun=All only checks)
 *   GET    /api/v1/namespaces/{name}   one, phase Active; 404 as the API server words it
 *   DELETE /api/v1/namespaces/{name}   an empty one (200, the Namespace as it went)
 *
 * A namespace exists once created, or once a pod is created in it (the store makes its row
 * with the pod's: nanolet keeps creating a pod's namespace as it always did, where Kubernetes
 * would refuse the pod); "default" always exists (api_namespaces_open). Namespaces stay in the
 * store when their pods go. Unlike the API server, a delete does not delete the pods inside:
 * while there are some it is refused (409), and default, kube-system and kube-public are never
 * deleted (403, the API server's words). */
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api_nodes.h"
#include "audit.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"
#include "spec/spec.h"
#include "store/store.h"

static int new_uid(char out[37], struct nano_err *err)
{
	uint8_t b[16];

	if (getentropy(b, sizeof(b)) < 0)
		return nano_err_set(err, errno, "getentropy: %s", strerror(errno));
	util_uuid_format(b, out);
	return 0;
}

int api_namespaces_open(struct nanoletd *d, struct nano_err *err)
{
	char uid[37];
	int r = new_uid(uid, err);

	return r < 0 ? r
	             : store_namespace_ensure(pods_store(d->pods), "default", uid,
	                                      d->node_created_ns, err);
}

/* The Namespace of a row; phase Active, or Terminating with deletionTimestamp when it is being
 * deleted (deleted_ns > 0). The API server labels every namespace with its name. */
static json_t *namespace_json(const struct store_namespace *ns, int64_t deleted_ns)
{
	json_t *labels = json_object_get(ns->object, "labels");
	json_t *annotations = json_object_get(ns->object, "annotations");
	json_t *meta;

	labels = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	if (labels)
		json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(ns->name));
	meta = json_pack("{s:s, s:s, s:o, s:o*}", "name", ns->name, "uid", ns->uid,
	                 "creationTimestamp", util_json_time(ns->created_ns), "labels", labels);
	if (meta && json_is_object(annotations))
		json_object_set(meta, "annotations", annotations);
	if (meta && deleted_ns > 0) {
		json_object_set_new(meta, "deletionTimestamp", util_json_time(deleted_ns));
		json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
	}
	return json_pack("{s:s, s:s, s:o*, s:{s:[s]}, s:{s:s}}", "kind", "Namespace", "apiVersion",
	                 "v1", "metadata", meta, "spec", "finalizers", "kubernetes", "status",
	                 "phase", deleted_ns > 0 ? "Terminating" : "Active");
}

/* ---- fieldSelector: metadata.name and status.phase, the namespace registry's fields ----- */

struct ns_term {
	const char *field; /* "metadata.name" or "status.phase" */
	char value[256];
	bool not_equal;
};

static int parse_selector(const char *text, struct ns_term *terms, size_t max, size_t *n,
                          struct nano_err *err)
{
	*n = 0;
	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, ","), op, vlen;
		const char *v;
		struct ns_term t = {0};

		if (len > 0) {
			op = strcspn(p, "!=");
			if (op >= len)
				return nano_err_setc(
				        err, NANO_BAD_REQUEST, EBADMSG,
				        "invalid selector: '%.*s'; can't understand '%.*s'",
				        (int)strlen(text), text, (int)len, p);
			t.not_equal = p[op] == '!';
			v = p + op + (t.not_equal || p[op + 1] == '=' ? 2 : 1);
			if (t.not_equal && p[op + 1] != '=')
				return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
				                     "invalid selector: '%s'", text);
			if (op == strlen("metadata.name") && strncmp(p, "metadata.name", op) == 0)
				t.field = "metadata.name";
			else if (op == strlen("status.phase") &&
			         strncmp(p, "status.phase", op) == 0)
				t.field = "status.phase";
			else
				return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
				                     "\"%.*s\" is not a known field selector: only "
				                     "\"metadata.name\", \"status.phase\"",
				                     (int)op, p);
			vlen = (size_t)(p + len - v);
			if (vlen >= sizeof(t.value) || *n == max)
				return nano_err_setc(err, NANO_BAD_REQUEST, EBADMSG,
				                     "invalid selector: '%s'", text);
			memcpy(t.value, v, vlen);
			terms[(*n)++] = t;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static bool selected(const struct ns_term *terms, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *have = strcmp(terms[i].field, "metadata.name") == 0 ? name : "Active";

		if ((strcmp(have, terms[i].value) == 0) == terms[i].not_equal)
			return false;
	}
	return true;
}

/* ---- routes ----------------------------------------------------------------------------- */

void api_namespaces_list(struct nanoletd *d, const struct http_request *req,
                         const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store_namespace *v = NULL;
	struct ns_term terms[8];
	size_t n = 0, n_terms = 0;
	json_t *items;

	(void)args;
	if (parse_selector(http_query(req, "fieldSelector"), terms, ELEMENTSOF(terms), &n_terms,
	                   &err) < 0 ||
	    store_namespaces_list(pods_store(d->pods), &v, &n, &err) < 0)
		return routes_error(resp, &err);
	items = json_array();
	for (size_t i = 0; items && i < n; i++)
		if (selected(terms, n_terms, v[i].name))
			json_array_append_new(items, namespace_json(&v[i], 0));
	store_namespaces_free(v, n);
	routes_json(resp, 200,
	            json_pack("{s:s, s:s, s:{s:s}, s:o*}", "kind", "NamespaceList", "apiVersion",
	                      "v1", "metadata", "resourceVersion", "", "items", items));
}

void api_namespace_get(struct nanoletd *d, const struct http_request *req,
                       const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store_namespace ns;

	(void)req;
	if (store_namespace_get(pods_store(d->pods), args->name, &ns, &err) < 0)
		return routes_error(resp, &err);
	routes_json(resp, 200, namespace_json(&ns, 0));
	store_namespace_done(&ns);
}

void api_namespaces_create(struct nanoletd *d, const struct http_request *req,
                           const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = NULL, *metadata = NULL;
	_cleanup_free_ char *name = NULL;
	const char *dry_run = http_query(req, "dryRun");
	struct store_namespace ns = {0};
	enum spec_format format;
	char uid[37];

	(void)args;
	if (dry_run && strcmp(dry_run, "All") != 0) {
		nano_err_setc(&err, NANO_BAD_REQUEST, EBADMSG,
		              "invalid dryRun \"%s\": the only value is \"All\"", dry_run);
		return routes_error(resp, &err);
	}
	/* client-go's typed client (kubectl create namespace) writes protobuf */
	if (req->content_type && strncasecmp(req->content_type, SPEC_PROTOBUF_CONTENT_TYPE,
	                                     strlen(SPEC_PROTOBUF_CONTENT_TYPE)) == 0) {
		if (spec_protobuf_namespace_to_json(req->body, req->body_len, &doc, &err) < 0)
			return routes_error(resp, &err);
	} else if (spec_format_from_content_type(req->content_type, &format, &err) < 0 ||
	           spec_document_decode(req->body, req->body_len, format, &doc, &err) < 0) {
		return routes_error(resp, &err);
	}
	if (spec_namespace_decode(doc, &name, &metadata, &err) < 0 || new_uid(uid, &err) < 0)
		return routes_error(resp, &err);
	if (req->audit && !req->audit->info.name[0])
		snprintf(req->audit->info.name, sizeof(req->audit->info.name), "%s", name);
	ns = (struct store_namespace){
	        .name = name, .uid = uid, .object = metadata, .created_ns = util_realtime_ns()};
	if (!dry_run) {
		if (store_namespace_insert(pods_store(d->pods), name, uid, metadata, ns.created_ns,
		                           &err) < 0 ||
		    store_sync(pods_store(d->pods), &err) < 0)
			return routes_error(resp, &err);
	} else {
		struct store_namespace have;

		if (store_namespace_get(pods_store(d->pods), name, &have, &err) == 0) {
			store_namespace_done(&have);
			nano_err_setc(&err, NANO_CONFLICT, EEXIST,
			              "namespaces \"%s\" already exists", name);
			return routes_error(resp, &err);
		}
	}
	routes_json(resp, 201, namespace_json(&ns, 0));
}

void api_namespace_delete(struct nanoletd *d, const struct http_request *req,
                          const struct route_args *args, struct http_response *resp)
{
	static const char *const immortal[] = {"default", "kube-system", "kube-public"};
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store_namespace ns;
	json_t *json;

	(void)req;
	for (size_t i = 0; i < ELEMENTSOF(immortal); i++)
		if (strcmp(args->name, immortal[i]) == 0) {
			_cleanup_free_ char *message = strdupf(
			        "namespaces \"%s\" is forbidden: this namespace may not be deleted",
			        args->name);

			return routes_status(resp, 403, "Forbidden",
			                     message ? message : "forbidden");
		}
	if (store_namespace_get(pods_store(d->pods), args->name, &ns, &err) < 0)
		return routes_error(resp, &err);
	/* the pods the manager still has, which may not all be in the store yet */
	json = pods_list_json(d->pods, args->name, NULL, NULL);
	if (json_array_size(json_object_get(json, "items")) > 0) {
		json_decref(json);
		store_namespace_done(&ns);
		nano_err_setc(
		        &err, NANO_IN_USE, ENOTEMPTY,
		        "namespace \"%s\" still has pods: nanolet deletes a namespace once its "
		        "pods are deleted",
		        args->name);
		return routes_error(resp, &err);
	}
	json_decref(json);
	if (store_namespace_delete(pods_store(d->pods), args->name, &err) < 0 ||
	    store_sync(pods_store(d->pods), &err) < 0) {
		store_namespace_done(&ns);
		return routes_error(resp, &err);
	}
	routes_json(resp, 200, namespace_json(&ns, util_realtime_ns()));
	store_namespace_done(&ns);
}
