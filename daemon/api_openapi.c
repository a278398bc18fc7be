/* daemon/api_openapi.c: OpenAPI v3, as the API server serves it, so that kubectl explains Pod
 * fields and validates what it sends.
 *
 *   GET /openapi/v3                         the index: each group version's document, by a URL
 *                                           with the document's hash
 *   GET /openapi/v3/api/v1                  core/v1: Kubernetes' own schemas and paths for what
 *                                           nanolet serves (api/k8s/core-v1.json), with
 *                                           nanolet's words after the descriptions of the Pod
 *                                           fields pkg/plan explains
 *   GET /openapi/v3/apis/nanolet.io/v1      nanolet.io/v1: IsolationPlan (api/k8s/nanolet-v1.json)
 *
 * /openapi/v2 is not served (404): kubectl 1.27+ and client-go ask v3. kubectl decides from
 * core/v1's PATCH operation on pods, which lists fieldValidation, that the server validates
 * fields, and so sends ?fieldValidation=Strict instead of validating against a v2 document.
 *
 * The documents are built at the first request for one (api_openapi_new: ~350 KB of text that a
 * daemon nobody explains against never holds) and only copied out after. */
#include "api_openapi.h"

#include <inttypes.h>
#include <string.h>

#include "nanoletd.h"
#include "plan/plan.h"
#include "routes.h"

/* tools/embed.cmake, from api/k8s/ */
extern const char openapi_core_v1[];
extern const size_t openapi_core_v1_len;
extern const char openapi_nanolet_v1[];
extern const size_t openapi_nanolet_v1_len;

#define POD_SCHEMA "io.k8s.api.core.v1.Pod"

struct api_openapi_doc {
	const char *gv; /* "api/v1" */
	char *body;
	size_t len;
	char hash[17];
};

struct api_openapi {
	struct api_openapi_doc docs[2];
	char *index;
	size_t index_len;
};

/* FNV-1a, 64 bits: the hash only tells one document from another (a client's cache key). */
static void hash_hex(const char *s, size_t len, char out[17])
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
	snprintf(out, 17, "%016" PRIX64, h);
}

/* The schema a property or an array's items stand for: {"$ref"} or {"allOf": [{"$ref"}]}. */
static json_t *deref(json_t *doc, json_t *schema)
{
	json_t *all = json_object_get(schema, "allOf");
	const char *ref = json_string_value(json_object_get(schema, "$ref"));
	static const char prefix[] = "#/components/schemas/";

	if (!ref && json_array_size(all) == 1)
		ref = json_string_value(json_object_get(json_array_get(all, 0), "$ref"));
	if (!ref)
		return schema;
	if (strncmp(ref, prefix, strlen(prefix)) != 0)
		return NULL;
	return json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
	                       ref + strlen(prefix));
}

int api_openapi_describe(json_t *doc, const char *root, const char *path, const char *text)
{
	json_t *schema = json_object_get(
	        json_object_get(json_object_get(doc, "components"), "schemas"), root);
	const char *p = path;

	while (schema && *p) {
		size_t len = strcspn(p, ".");
		bool array = len >= 2 && strncmp(p + len - 2, "[]", 2) == 0;
		_cleanup_free_ char *name = strndup(p, array ? len - 2 : len);
		json_t *field;

		if (!name)
			return -ENOMEM;
		field = json_object_get(json_object_get(schema, "properties"), name);
		if (!field)
			return -ENOENT;
		p += len + (p[len] == '.');
		if (!*p && !array) {
			const char *old = json_string_value(json_object_get(field, "description"));
			_cleanup_free_ char *both =
			        strdupf("%s%snanolet: %s", old ? old : "", old ? "\n\n" : "", text);

			if (!both)
				return -ENOMEM;
			return json_object_set_new(field, "description", json_string(both)) < 0
			               ? -ENOMEM
			               : 0;
		}
		if (array)
			field = json_object_get(field, "items");
		schema = deref(doc, field);
	}
	return -ENOENT;
}

static int doc_build(struct api_openapi_doc *d, const char *gv, const char *embedded, size_t len,
                     bool pod_fields)
{
	_cleanup_json_ json_t *doc = json_loadb(embedded, len, 0, NULL);

	d->gv = gv;
	if (!doc)
		return -EINVAL;
	for (size_t i = 0; pod_fields && i < plan_n_fields; i++) {
		int r = api_openapi_describe(doc, POD_SCHEMA, plan_fields[i].path,
		                             plan_fields[i].text);

		if (r < 0) {
			log_error("openapi: the Pod has no field %s for nanolet's words",
			          plan_fields[i].path);
			return r == -ENOENT ? -EINVAL : r;
		}
	}
	d->body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!d->body)
		return -ENOMEM;
	d->len = strlen(d->body);
	hash_hex(d->body, d->len, d->hash);
	return 0;
}

struct api_openapi *api_openapi_free(struct api_openapi *o)
{
	if (!o)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(o->docs); i++)
		free(o->docs[i].body);
	free(o->index);
	free(o);
	return NULL;
}

int api_openapi_new(struct api_openapi **out)
{
	struct api_openapi *o = calloc(1, sizeof(*o));
	_cleanup_json_ json_t *index = NULL, *paths = NULL;
	int r;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	r = doc_build(&o->docs[0], "api/v1", openapi_core_v1, openapi_core_v1_len, true);
	if (r >= 0)
		r = doc_build(&o->docs[1], "apis/nanolet.io/v1", openapi_nanolet_v1,
		              openapi_nanolet_v1_len, false);
	paths = json_object();
	for (size_t i = 0; r >= 0 && paths && i < ELEMENTSOF(o->docs); i++) {
		_cleanup_free_ char *url =
		        strdupf("/openapi/v3/%s?hash=%s", o->docs[i].gv, o->docs[i].hash);

		if (!url || json_object_set_new(paths, o->docs[i].gv,
		                                json_pack("{s:s}", "serverRelativeURL", url)) < 0)
			r = -ENOMEM;
	}
	if (r >= 0) {
		index = json_pack("{s:O}", "paths", paths);
		o->index = index ? json_dumps(index, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (!o->index)
			r = -ENOMEM;
	}
	if (r < 0)
		return api_openapi_free(o), r;
	o->index_len = strlen(o->index);
	*out = o;
	return 0;
}

const char *api_openapi_document_of(const struct api_openapi *o, const char *gv, size_t *len,
                                    const char **hash)
{
	for (size_t i = 0; o && gv && i < ELEMENTSOF(o->docs); i++)
		if (strcmp(o->docs[i].gv, gv) == 0) {
			*len = o->docs[i].len;
			if (hash)
				*hash = o->docs[i].hash;
			return o->docs[i].body;
		}
	return NULL;
}

const char *api_openapi_index_of(const struct api_openapi *o, size_t *len)
{
	*len = o ? o->index_len : 0;
	return o ? o->index : NULL;
}

static void answer(struct http_response *resp, const char *body, size_t len)
{
	free(resp->body);
	resp->body = malloc(len + 1);
	if (!resp->body)
		return routes_status(resp, 500, "InternalError", "out of memory");
	memcpy(resp->body, body, len + 1);
	resp->body_len = len;
	resp->code = 200;
	resp->content_type = "application/json";
}

/* The daemon's documents, built at the first request; false (resp answered 500) when they
 * cannot be. */
static bool built(struct nanoletd *d, struct http_response *resp)
{
	int r = d->openapi ? 0 : api_openapi_new(&d->openapi);

	if (r < 0)
		routes_status(resp, 500, "InternalError",
		              r == -ENOMEM ? "out of memory"
		                           : "the OpenAPI documents do not build");
	return r >= 0;
}

void api_openapi_index(struct nanoletd *d, const struct http_request *req,
                       const struct route_args *args, struct http_response *resp)
{
	size_t len;
	const char *index;

	(void)req;
	(void)args;
	if (!built(d, resp))
		return;
	index = api_openapi_index_of(d->openapi, &len);
	answer(resp, index, len);
}

void api_openapi_document(struct nanoletd *d, const struct http_request *req,
                          const struct route_args *args, struct http_response *resp)
{
	size_t len;
	const char *doc;

	(void)args;
	if (!built(d, resp))
		return;
	doc = api_openapi_document_of(d->openapi, req->path + strlen("/openapi/v3/"), &len, NULL);
	if (!doc)
		return routes_status(resp, 404, "NotFound",
		                     "the server could not find the requested resource");
	answer(resp, doc, len);
}
