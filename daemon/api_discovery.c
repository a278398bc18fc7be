/* daemon/api_discovery.c: API discovery, as the API server answers it, so that kubectl and
 * client-go find what nanolet serves.
 *
 *   GET /api                          APIVersions: v1
 *   GET /api/v1                       APIResourceList of the core group
 *   GET /apis                         APIGroupList of the other groups
 *   GET /apis/{group}                 APIGroup
 *   GET /apis/{group}/{version}       APIResourceList
 *
 * One table (resources[]) says what each group serves; every answer is made from it. kubectl
 * asks /api and /apis for the aggregated format first (Accept: ...;as=APIGroupDiscoveryList,
 * application/json); an answer in plain application/json is the legacy format, which client-go
 * reads and then asks each group version, as it does of an API server without aggregation. */
#include <string.h>

#include "nanoletd.h"
#include "routes.h"

/* One resource of a group version, as APIResourceList lists it. */
struct api_resource {
	const char *group; /* "" for the core group */
	const char *version;
	const char *name; /* "pods", "pods/log" */
	const char *singular;
	const char *kind;
	bool namespaced;
	const char *verbs[9];
	const char *short_names[2];
	const char *categories[2];
};

/* What nanolet serves, group by group; a group's first entry names its version. */
static const struct api_resource resources[] = {
        {"", "v1", "events", "event", "Event", true, {"get", "list", "watch"}, {"ev"}, {NULL}},
        {"",
         "v1",
         "namespaces",
         "namespace",
         "Namespace",
         false,
         {"create", "delete", "get", "list"},
         {"ns"},
         {NULL}},
        {"", "v1", "nodes", "node", "Node", false, {"get", "list"}, {"no"}, {NULL}},
        {"",
         "v1",
         "pods",
         "pod",
         "Pod",
         true,
         {"create", "delete", "get", "list", "patch", "update", "watch"},
         {"po"},
         {"all"}},
        {"", "v1", "pods/exec", "", "PodExecOptions", true, {"create", "get"}, {NULL}, {NULL}},
        {"", "v1", "pods/isolation", "", "IsolationPlan", true, {"get"}, {NULL}, {NULL}},
        {"", "v1", "pods/log", "", "Pod", true, {"get"}, {NULL}, {NULL}},
        {"", "v1", "pods/status", "", "Pod", true, {"get"}, {NULL}, {NULL}},
        {"authentication.k8s.io",
         "v1",
         "selfsubjectreviews",
         "selfsubjectreview",
         "SelfSubjectReview",
         false,
         {"create"},
         {NULL},
         {NULL}},
        {"metrics.k8s.io",
         "v1beta1",
         "nodes",
         "",
         "NodeMetrics",
         false,
         {"get", "list"},
         {NULL},
         {NULL}},
        {"metrics.k8s.io",
         "v1beta1",
         "pods",
         "",
         "PodMetrics",
         true,
         {"get", "list"},
         {NULL},
         {NULL}},
        {"nanolet.io",
         "v1",
         "images",
         "image",
         "Image",
         false,
         {"create", "delete", "get", "list"},
         {NULL},
         {NULL}},
        {"nanolet.io",
         "v1",
         "isolationplans",
         "isolationplan",
         "IsolationPlan",
         false,
         {"create"},
         {NULL},
         {NULL}},
};

static json_t *string_array(const char *const *v, size_t max)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < max && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *resource_json(const struct api_resource *r)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->name, "singularName",
	                      r->singular, "namespaced", r->namespaced, "kind", r->kind, "verbs",
	                      string_array(r->verbs, ELEMENTSOF(r->verbs)));

	if (o && r->short_names[0])
		json_object_set_new(o, "shortNames",
		                    string_array(r->short_names, ELEMENTSOF(r->short_names)));
	if (o && r->categories[0])
		json_object_set_new(o, "categories",
		                    string_array(r->categories, ELEMENTSOF(r->categories)));
	return o;
}

/* The APIResourceList of group/version; NULL when nanolet serves no such group version. */
static json_t *resource_list(const char *group, const char *version)
{
	json_t *list = NULL, *items = NULL;

	for (size_t i = 0; i < ELEMENTSOF(resources); i++) {
		if (strcmp(resources[i].group, group) != 0 ||
		    strcmp(resources[i].version, version) != 0)
			continue;
		if (!list) {
			_cleanup_free_ char *gv =
			        group[0] ? strdupf("%s/%s", group, version) : strdup(version);

			items = json_array();
			list = json_pack("{s:s, s:s, s:s?, s:o}", "kind", "APIResourceList",
			                 "apiVersion", "v1", "groupVersion", gv, "resources",
			                 items);
			if (!list)
				return NULL;
		}
		json_array_append_new(items, resource_json(&resources[i]));
	}
	return list;
}

/* The APIGroup of a named group (its one version, preferred); NULL when there is none. */
static json_t *group_json(const char *group, bool with_kind)
{
	for (size_t i = 0; i < ELEMENTSOF(resources); i++) {
		_cleanup_free_ char *gv = NULL;
		json_t *o;

		if (!resources[i].group[0] || strcmp(resources[i].group, group) != 0)
			continue;
		gv = strdupf("%s/%s", group, resources[i].version);
		if (!gv)
			return NULL;
		o = json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", group, "versions",
		              "groupVersion", gv, "version", resources[i].version,
		              "preferredVersion", "groupVersion", gv, "version",
		              resources[i].version);
		if (o && with_kind) {
			json_object_set_new(o, "kind", json_string("APIGroup"));
			json_object_set_new(o, "apiVersion", json_string("v1"));
		}
		return o;
	}
	return NULL;
}

static void not_found(struct http_response *resp)
{
	routes_status(resp, 404, "NotFound", "the server could not find the requested resource");
}

void api_discovery_versions(struct nanoletd *d, const struct http_request *req,
                            const struct route_args *args, struct http_response *resp)
{
	(void)d;
	(void)req;
	(void)args;
	routes_json(resp, 200,
	            json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions",
	                      "v1", "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
	                      "serverAddress", ""));
}

void api_discovery_groups(struct nanoletd *d, const struct http_request *req,
                          const struct route_args *args, struct http_response *resp)
{
	json_t *groups = json_array();

	(void)d;
	(void)req;
	(void)args;
	for (size_t i = 0; groups && i < ELEMENTSOF(resources); i++)
		if (resources[i].group[0] &&
		    (i == 0 || strcmp(resources[i - 1].group, resources[i].group) != 0))
			json_array_append_new(groups, group_json(resources[i].group, false));
	routes_json(resp, 200,
	            json_pack("{s:s, s:s, s:o*}", "kind", "APIGroupList", "apiVersion", "v1",
	                      "groups", groups));
}

/* The group or group/version of a path under /apis/ ("metrics.k8s.io", "v1beta1"). */
static void split_apis_path(const char *path, char group[64], char version[16])
{
	const char *p = path + strlen("/apis/");
	size_t g = strcspn(p, "/");

	group[0] = version[0] = '\0';
	if (g >= 64)
		return;
	memcpy(group, p, g);
	group[g] = '\0';
	if (p[g] == '/' && strlen(p + g + 1) < 16 && !strchr(p + g + 1, '/'))
		snprintf(version, 16, "%s", p + g + 1);
}

void api_discovery_core(struct nanoletd *d, const struct http_request *req,
                        const struct route_args *args, struct http_response *resp)
{
	(void)d;
	(void)req;
	(void)args;
	routes_json(resp, 200, resource_list("", "v1"));
}

void api_discovery_group(struct nanoletd *d, const struct http_request *req,
                         const struct route_args *args, struct http_response *resp)
{
	char group[64], version[16];
	json_t *answer;

	(void)d;
	(void)args;
	split_apis_path(req->path, group, version);
	answer = version[0] ? resource_list(group, version) : group_json(group, true);
	if (!answer)
		return not_found(resp);
	routes_json(resp, 200, answer);
}
