/* daemon/routes.c: which handler answers which method and path, the generic endpoints
 * (/healthz, /readyz, /version), and the Kubernetes Status every error is answered with.
 *
 * Every error class (struct nano_err.class, not its errno) has one answer, as pkg/util/util.h
 * lays them out; an unclassified error is a 500 InternalError, and its message is logged.
 * A known path with another method is 405 MethodNotAllowed with an Allow header; anything else
 * is 404 NotFound. Handlers live elsewhere (api_*.c); nothing here reads a Pod.
 *
 * Before any handler: who is asking (the connection's peer credentials on the unix socket, the
 * bearer token's user on the TLS listener, 401 without one) and whether their role
 * allows the verb (access.c), refused 403 as the API server words it; every request gets an
 * audit record, written when its answer goes out if it changed something or was refused
 * (audit.c). */
#include "routes.h"

#include <malloc.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_nodes.h"
#include "audit.h"
#include "nanoletd.h"
#include "tls.h"

#define CONTENT_TYPE_JSON "application/json"
/* an answer this big gives back the heap it was made in (serve) */
#define ROUTES_TRIM_AFTER_BYTES (256 * 1024)
#define CONTENT_TYPE_TEXT       "text/plain; charset=utf-8"

static void set_text(struct http_response *resp, unsigned code, const char *text)
{
	resp->code = code;
	resp->content_type = CONTENT_TYPE_TEXT;
	resp->body = strdup(text);
	resp->body_len = resp->body ? strlen(text) : 0;
}

void routes_json(struct http_response *resp, unsigned code, json_t *json)
{
	char *body = json ? json_dumps(json, resp->pretty ? JSON_INDENT(2) : JSON_COMPACT) : NULL;

	json_decref(json);
	free(resp->body);
	if (!body) {
		resp->body = NULL;
		set_text(resp, 500, "out of memory\n");
		return;
	}
	resp->code = code;
	resp->content_type = CONTENT_TYPE_JSON;
	resp->body = body;
	resp->body_len = strlen(body);
	if (resp->pretty) {
		/* a terminal's prompt should not follow the closing brace */
		char *nl = realloc(body, resp->body_len + 2);

		if (nl) {
			nl[resp->body_len++] = '\n';
			nl[resp->body_len] = '\0';
			resp->body = nl;
		}
	}
}

/* As the API server does: indented JSON for ?pretty=true and for command-line clients and
 * browsers, compact for programs (?pretty=false wins either way). */
static bool wants_pretty(const struct http_request *req)
{
	static const char *const agents[] = {"curl/", "Wget/", "Mozilla/"};
	const char *pretty = http_query(req, "pretty");

	if (pretty)
		return strcmp(pretty, "true") == 0 || strcmp(pretty, "1") == 0;
	for (size_t i = 0; req->user_agent && i < ELEMENTSOF(agents); i++)
		if (strncmp(req->user_agent, agents[i], strlen(agents[i])) == 0)
			return true;
	return false;
}

static json_t *status_new(unsigned code, const char *reason, const char *message)
{
	return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion",
	                 "v1", "metadata", "status", "Failure", "message", message ? message : "",
	                 "reason", reason, "code", (int)code);
}

void routes_status(struct http_response *resp, unsigned code, const char *reason,
                   const char *message)
{
	routes_json(resp, code, status_new(code, reason, message));
}

/* One answer per class (util.h): the HTTP code and the Status reason. */
static const struct {
	unsigned code;
	const char *reason;
} class_answers[] = {
        [NANO_INTERNAL] = {500, "InternalError"},
        [NANO_BAD_REQUEST] = {400, "BadRequest"},
        [NANO_INVALID] = {422, "Invalid"},
        [NANO_TOO_LARGE] = {413, "RequestEntityTooLarge"},
        [NANO_UNSUPPORTED_MEDIA] = {415, "UnsupportedMediaType"},
        [NANO_CONFLICT] = {409, "AlreadyExists"},
        [NANO_NOT_FOUND] = {404, "NotFound"},
        [NANO_FORBIDDEN] = {403, "Forbidden"},
        [NANO_TOO_MANY] = {429, "TooManyRequests"},
        /* the state directory cannot take the change: the server's trouble, not the request's,
         * and it passes once there is room again */
        [NANO_STORAGE] = {507, "InsufficientStorage"},
        [NANO_UNAVAILABLE] = {503, "ServiceUnavailable"},
        [NANO_NOT_IMPLEMENTED] = {501, "NotImplemented"},
        [NANO_IN_USE] = {409, "Conflict"},
};

void routes_error(struct http_response *resp, const struct nano_err *err)
{
	routes_error_object(resp, err, NULL, NULL);
}

void routes_error_object(struct http_response *resp, const struct nano_err *err, const char *kind,
                         const char *name)
{
	int errnum = err ? err->errnum : 0;
	enum nano_class class = err ? err->class : NANO_INTERNAL;
	const char *message = err && err->message ? err->message : NULL;
	const char *reason;
	unsigned code;
	json_t *status;

	if ((size_t) class >= ELEMENTSOF(class_answers))
		class = NANO_INTERNAL;
	code = class_answers[class].code;
	reason = class_answers[class].reason;
	/* the node's trouble: the client gets the message, the log keeps it */
	if (class == NANO_INTERNAL)
		log_error("internal error answered 500: %s", message  ? message
		                                             : errnum ? strerror(errnum)
		                                                      : "unknown error");
	if (class == NANO_TOO_MANY || class == NANO_UNAVAILABLE)
		resp->retry_after = 1;
	if (!message)
		message = errnum ? strerror(errnum) : "unknown error";
	status = status_new(code, reason, message);
	if (status && ((err && err->n_causes > 0) || kind || name)) {
		json_t *details = json_object();

		if (details && name)
			json_object_set_new(details, "name", json_string(name));
		if (details && kind)
			json_object_set_new(details, "kind", json_string(kind));
		if (details && err && err->n_causes > 0) {
			json_t *causes = json_array();

			for (size_t i = 0; causes && i < err->n_causes; i++)
				json_array_append_new(causes,
				                      json_pack("{s:s, s:s, s:s}", "reason",
				                                err->causes[i].reason, "message",
				                                err->causes[i].message, "field",
				                                err->causes[i].field));
			json_object_set_new(details, "causes", causes);
		}
		json_object_set_new(status, "details", details);
	}
	routes_json(resp, code, status);
}

/* ---- generic endpoints ------------------------------------------------------------------- */

/* version.Info as kubectl's skew check reads it: the Kubernetes level nanolet follows as
 * major and minor and at the front of gitVersion (semver, nanolet's own version as build
 * metadata: "v1.32.0+nanolet.0.1.0"); nanolet's own version and cgroup layout under "nanolet". */
static void handle_version(struct nanoletd *daemon, struct http_response *resp)
{
	const char *driver = config_cgroup_driver_name(daemon->cgroup_driver);
	_cleanup_free_ char *git_version =
	        strdupf("v%d.%d.0+nanolet.%s", API_KUBE_MAJOR, API_KUBE_MINOR, NANOLET_VERSION);
	char major[16], minor[16];

	/* Kubernetes' version.Info carries major and minor as strings. */
	snprintf(major, sizeof(major), "%d", API_KUBE_MAJOR);
	snprintf(minor, sizeof(minor), "%d", API_KUBE_MINOR);
	routes_json(resp, 200,
	            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s?}}", "major",
	                      major, "minor", minor, "gitVersion", git_version ? git_version : "",
	                      "gitCommit", NANOLET_GIT_COMMIT, "platform", "linux/" UTIL_GOARCH,
	                      "cgroupDriver", driver, "nanolet", "version", NANOLET_VERSION,
	                      "cgroupDriver", driver, "cgroupMode",
	                      cgroup_mode_name(daemon->host.mode), "cgroupRoot",
	                      daemon->cgroup_root));
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static bool method_is(const struct http_request *req, const char *method)
{
	return req->method && strcmp(req->method, method) == 0;
}

static bool is_get(const struct http_request *req)
{
	return method_is(req, "GET") || method_is(req, "HEAD");
}

static void method_not_allowed(struct http_response *resp, const char *allow)
{
	routes_status(resp, 405, "MethodNotAllowed",
	              "the server does not allow this method on the requested resource");
	resp->allow = allow;
}

/* RFC 1123 label, as Kubernetes requires of a namespace: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at
 * most 63 characters. */
static bool is_dns1123_label(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void handle_healthz(struct nanoletd *daemon, const struct http_request *req,
                           const struct route_args *args, struct http_response *resp)
{
	(void)daemon;
	(void)req;
	(void)args;
	/* Serving at all is both: nothing the daemon starts later can make it unready. */
	set_text(resp, 200, "ok");
}

static void handle_version_route(struct nanoletd *daemon, const struct http_request *req,
                                 const struct route_args *args, struct http_response *resp)
{
	(void)req;
	(void)args;
	handle_version(daemon, resp);
}

/* One path pattern ({ns}: a namespace, {name}: an object name) and a handler per method. */
struct route {
	const char *pattern;
	const char *allow;
	route_fn *get, *post, *delete, *put, *patch;
};

static route_fn handle_self_subject_review;

static const struct route routes[] = {
        {"/healthz", "GET, HEAD", .get = handle_healthz},
        {"/readyz", "GET, HEAD", .get = handle_healthz},
        {"/version", "GET, HEAD", .get = handle_version_route},
        {"/stats/summary", "GET, HEAD", .get = api_stats_summary},
        {"/metrics", "GET, HEAD", .get = api_metrics},
        {"/api", "GET, HEAD", .get = api_discovery_versions},
        {"/api/v1", "GET, HEAD", .get = api_discovery_core},
        {"/apis", "GET, HEAD", .get = api_discovery_groups},
        {"/openapi/v3", "GET, HEAD", .get = api_openapi_index},
        {"/openapi/v3/api/v1", "GET, HEAD", .get = api_openapi_document},
        {"/openapi/v3/apis/nanolet.io/v1", "GET, HEAD", .get = api_openapi_document},
        {"/apis/authentication.k8s.io", "GET, HEAD", .get = api_discovery_group},
        {"/apis/authentication.k8s.io/v1", "GET, HEAD", .get = api_discovery_group},
        {"/apis/metrics.k8s.io", "GET, HEAD", .get = api_discovery_group},
        {"/apis/metrics.k8s.io/v1beta1", "GET, HEAD", .get = api_discovery_group},
        {"/apis/metrics.k8s.io/v1beta1/nodes", "GET, HEAD", .get = api_metrics_nodes_list},
        {"/apis/metrics.k8s.io/v1beta1/nodes/{name}", "GET, HEAD", .get = api_metrics_node_get},
        {"/apis/metrics.k8s.io/v1beta1/pods", "GET, HEAD", .get = api_metrics_pods_list},
        {"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", "GET, HEAD",
         .get = api_metrics_pods_list},
        {"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/{name}", "GET, HEAD",
         .get = api_metrics_pod_get},
        {"/apis/nanolet.io", "GET, HEAD", .get = api_discovery_group},
        {"/apis/nanolet.io/v1", "GET, HEAD", .get = api_discovery_group},
        {"/apis/nanolet.io/v1/isolationplans", "POST", .post = api_isolationplans_create},
        {"/apis/nanolet.io/v1/images", "GET, HEAD, POST", .get = api_images_list,
         .post = api_images_create},
        {"/apis/nanolet.io/v1/images/{name}", "GET, HEAD, DELETE", .get = api_image_get,
         .delete = api_image_delete},
        {"/apis/authentication.k8s.io/v1/selfsubjectreviews", "POST",
         .post = handle_self_subject_review},
        {"/api/v1/pods", "GET, HEAD", .get = api_pods_list},
        {"/api/v1/namespaces/{ns}/pods", "GET, HEAD, POST", .get = api_pods_list,
         .post = api_pods_create},
        {"/api/v1/namespaces/{ns}/pods/{name}", "GET, HEAD, DELETE, PUT, PATCH", .get = api_pod_get,
         .delete = api_pod_delete, .put = api_pod_put, .patch = api_pod_patch},
        {"/api/v1/namespaces/{ns}/pods/{name}/log", "GET, HEAD", .get = api_pod_log},
        {"/api/v1/namespaces/{ns}/pods/{name}/isolation", "GET, HEAD", .get = api_pod_isolation},
        {"/api/v1/namespaces/{ns}/pods/{name}/exec", "GET, POST", .get = api_pod_exec,
         .post = api_pod_exec},
        {"/api/v1/namespaces", "GET, HEAD, POST", .get = api_namespaces_list,
         .post = api_namespaces_create},
        {"/api/v1/namespaces/{name}", "GET, HEAD, DELETE", .get = api_namespace_get,
         .delete = api_namespace_delete},
        {"/api/v1/nodes", "GET, HEAD", .get = api_nodes_list},
        {"/api/v1/nodes/{name}", "GET, HEAD", .get = api_node_get},
        {"/api/v1/namespaces/{ns}/pods/{name}/portforward", "GET, POST", .get = api_pod_portforward,
         .post = api_pod_portforward},
        {"/api/v1/events", "GET, HEAD", .get = api_events_list},
        {"/api/v1/namespaces/{ns}/events", "GET, HEAD", .get = api_events_list},
};

/* Matches path against pattern segment by segment, filling args. 1: match; 0: no match;
 * -EINVAL: it matched but {ns} is no namespace (a 400, as the API server answers). */
static int route_match(const char *pattern, const char *path, struct route_args *args)
{
	*args = (struct route_args){0};
	while (*pattern && *path) {
		size_t plen = strcspn(pattern + 1, "/") + 1, len = strcspn(path + 1, "/") + 1;
		const char *segment = path + 1;

		if (*pattern != '/' || *path != '/')
			return 0;
		if (strncmp(pattern, "/{ns}", plen) == 0 && plen == 5) {
			args->ns_segment = segment;
			args->ns_len = len - 1;
			if (len - 1 == 0 || len - 1 >= sizeof(args->ns))
				return len - 1 == 0 ? 0 : -EINVAL;
			memcpy(args->ns, segment, len - 1);
		} else if (strncmp(pattern, "/{name}", plen) == 0 && plen == 7) {
			if (len - 1 == 0 || len - 1 >= sizeof(args->name))
				return 0;
			memcpy(args->name, segment, len - 1);
		} else if (plen != len || strncmp(pattern, path, len) != 0) {
			return 0;
		}
		pattern += plen;
		path += len;
	}
	if (*pattern || *path)
		return 0;
	return args->ns[0] && !is_dns1123_label(args->ns, strlen(args->ns)) ? -EINVAL : 1;
}

const char *routes_pattern(size_t i)
{
	return i < ELEMENTSOF(routes) ? routes[i].pattern : NULL;
}

route_fn *routes_resolve(const char *method, const char *path, struct route_args *args,
                         unsigned *code, const char **allow)
{
	const struct http_request req = {.method = method};

	*code = 404;
	*allow = NULL;
	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		const struct route *r = &routes[i];
		int m = route_match(r->pattern, path ? path : "", args);
		route_fn *fn = NULL;

		if (m == 0)
			continue;
		if (m < 0) {
			*code = 400;
			return NULL;
		}
		if (is_get(&req))
			fn = r->get;
		else if (method_is(&req, "POST"))
			fn = r->post;
		else if (method_is(&req, "DELETE"))
			fn = r->delete;
		else if (method_is(&req, "PUT"))
			fn = r->put;
		else if (method_is(&req, "PATCH"))
			fn = r->patch;
		if (!fn) {
			*code = 405;
			*allow = r->allow;
		}
		return fn;
	}
	*args = (struct route_args){0};
	return NULL;
}

/* ---- who is asking ---------------------------------------------------------------------- */

struct audit_answer {
	struct nanoletd *daemon;
	struct audit_request *request;
};

static void on_answer(unsigned code, const char *body, size_t body_len, void *userdata)
{
	struct audit_answer *a = userdata;

	if (code && audit_wanted(a->request, code)) {
		_cleanup_json_ json_t *event =
		        audit_event_json(a->request, code, body, body_len, util_realtime_ns());

		audit_log_write(a->daemon->audit, event);
	}
	audit_request_free(a->request);
	free(a);
}

/* The request's audit record, written once its answer is out (on_answer). NULL on ENOMEM. */
static struct audit_request *audit_begin(struct nanoletd *daemon, const struct http_request *req)
{
	const char *watch = http_query(req, "watch");
	struct audit_answer *a = calloc(1, sizeof(*a));
	struct audit_request *r = calloc(1, sizeof(*r));

	if (!a || !r || audit_id_new(r->audit_id) < 0) {
		free(a);
		free(r);
		return NULL;
	}
	request_info_parse(req->method, req->path,
	                   watch && (strcmp(watch, "true") == 0 || strcmp(watch, "1") == 0),
	                   &r->info);
	if (req->peer)
		r->peer = *req->peer;
	r->request_uri = strdup(req->target ? req->target : req->path ? req->path : "");
	r->user_agent = req->user_agent ? strdup(req->user_agent) : NULL;
	r->received_ns = util_realtime_ns();
	a->daemon = daemon;
	a->request = r;
	if (req->conn)
		http_on_answer(req, on_answer, a);
	else
		free(a);
	return r;
}

/* 403 Forbidden, as the API server's authorizer refuses: a Status naming the verb and the
 * resource, details kind (the resource), group and name. */
static void forbidden(struct http_response *resp, const struct http_request *req,
                      const struct request_info *info, const char *user)
{
	_cleanup_free_ char *message = access_forbidden_message(user, req->path, info);
	json_t *status = status_new(403, "Forbidden", message ? message : "forbidden");

	if (status && info->resource_request) {
		json_t *details = json_pack("{s:s}", "kind", info->resource);

		if (details && info->api_group[0])
			json_object_set_new(details, "group", json_string(info->api_group));
		if (details && info->name[0])
			json_object_set_new(details, "name", json_string(info->name));
		json_object_set_new(status, "details", details);
	}
	routes_json(resp, 403, status);
}

/* POST /apis/authentication.k8s.io/v1/selfsubjectreviews: `kubectl auth whoami`. */
static void handle_self_subject_review(struct nanoletd *daemon, const struct http_request *req,
                                       const struct route_args *args, struct http_response *resp)
{
	static const struct peer_cred unknown = {0};

	(void)daemon;
	(void)args;
	routes_json(resp, 201,
	            json_pack("{s:s, s:s, s:{s:n}, s:{s:o}}", "kind", "SelfSubjectReview",
	                      "apiVersion", "authentication.k8s.io/v1", "metadata",
	                      "creationTimestamp", "status", "userInfo",
	                      req->token_user ? audit_token_user_json(req->token_user)
	                                      : audit_user_json(req->peer ? req->peer : &unknown)));
}

static void dispatch(struct nanoletd *daemon, const struct http_request *req,
                     struct http_response *resp)
{
	struct route_args args;
	const char *allow;
	unsigned code;
	route_fn *fn = routes_resolve(req->method, req->path, &args, &code, &allow);
	enum access_role role = req->token_user ? access_role_of_token(req->token_user)
	                                        : access_role_of(&daemon->access, req->peer);

	if (!access_allows(role, &req->audit->info)) {
		/* someone outside both groups has nothing more to ask */
		resp->close = role == ACCESS_NONE;
		return forbidden(resp, req, &req->audit->info,
		                 req->token_user                 ? req->token_user->name
		                 : req->peer && req->peer->known ? req->peer->user
		                                                 : "system:anonymous");
	}
	if (fn)
		return fn(daemon, req, &args, resp);
	if (code == 405)
		return method_not_allowed(resp, allow);
	if (code == 400) {
		/* the segment as sent: a name too long for args.ns was once shown as "" */
		_cleanup_free_ char *message = strdupf(
		        "namespace \"%.*s\" is invalid: a lowercase RFC 1123 label must consist of "
		        "lower case alphanumeric characters or '-', start and end with an "
		        "alphanumeric character, and be at most 63 characters",
		        (int)args.ns_len, args.ns_segment ? args.ns_segment : "");

		return routes_status(resp, 400, "BadRequest", message ? message : "bad namespace");
	}
	routes_status(resp, 404, "NotFound", "the server could not find the requested resource");
}

/* The TLS listener's callers are who their bearer token says (Authorization: Bearer <token>
 * of <state_dir>/tokens), as the API server's token file authenticator has them; a request
 * without a token it knows is answered 401 in the API server's words, and audited. NULL:
 * refused. */
static const struct token_user *authenticate(struct nanoletd *daemon,
                                             const struct http_request *req)
{
	const char *authorization = http_header(req, "Authorization");
	size_t skip = strlen("Bearer ");

	if (!authorization || strncasecmp(authorization, "Bearer ", skip) != 0)
		return NULL;
	while (authorization[skip] == ' ')
		skip++;
	return tokens_find(&daemon->tokens, authorization + skip);
}

static void serve(struct nanoletd *daemon, const struct http_request *req,
                  struct http_response *resp, bool tls)
{
	struct http_request r = *req;

	*resp = (struct http_response){.pretty = wants_pretty(req)};
	r.audit = audit_begin(daemon, req);
	if (!r.audit)
		return routes_status(resp, 500, "InternalError", "out of memory");
	r.token_user = tls ? authenticate(daemon, req) : NULL;
	if (tls && !r.token_user)
		routes_status(resp, 401, "Unauthorized", "Unauthorized");
	else if (tls && !(r.audit->token_user = token_user_identity(r.token_user)))
		routes_status(resp, 500, "InternalError", "out of memory");
	else
		dispatch(daemon, &r, resp);
	api_table_answer(&r, resp); /* kubectl get: the answer as a Table when it asks for one */
	/* A big answer (a list of many pods or events) was a tree of many small blocks, now freed
	 * in the middle of the heap, where glibc keeps them: at 1000 pods a list's 14 MiB stayed
	 * in the daemon's RSS. Their pages go back; the trim costs less than the list did. */
	if (resp->body_len >= ROUTES_TRIM_AFTER_BYTES)
		malloc_trim(0);
	if (!req->conn) /* no connection to answer on (a unit test): nothing to record */
		audit_request_free(r.audit);
}

void routes_handle(struct nanoletd *daemon, const struct http_request *req,
                   struct http_response *resp)
{
	serve(daemon, req, resp, false);
}

static void handle(void *userdata, const struct http_request *req, struct http_response *resp)
{
	serve(userdata, req, resp, false);
}

static void handle_tls(void *userdata, const struct http_request *req, struct http_response *resp)
{
	serve(userdata, req, resp, true);
}

/* An image archive's body goes to a file, for a caller who may write: anyone else's stays
 * in memory, bounded by max_request_bytes, and is refused as any request of theirs is. */
static int body_file(struct nanoletd *daemon, const struct http_request *req, bool tls,
                     struct http_body_file *out)
{
	const struct token_user *user;

	if (!api_images_upload(req))
		return 0;
	if (tls) {
		user = authenticate(daemon, req);
		if (!user || access_role_of_token(user) != ACCESS_WRITE)
			return 0;
	} else if (access_role_of(&daemon->access, req->peer) != ACCESS_WRITE) {
		return 0;
	}
	return api_images_body_file(daemon, req, out);
}

static int handle_body_file(void *userdata, const struct http_request *req,
                            struct http_body_file *out)
{
	return body_file(userdata, req, false, out);
}

static int handle_body_file_tls(void *userdata, const struct http_request *req,
                                struct http_body_file *out)
{
	return body_file(userdata, req, true, out);
}

struct http_handler routes_handler(struct nanoletd *daemon)
{
	return (struct http_handler){.handle = handle,
	                             .status = routes_status,
	                             .userdata = daemon,
	                             .body_file = handle_body_file};
}

struct http_handler routes_handler_tls(struct nanoletd *daemon)
{
	return (struct http_handler){.handle = handle_tls,
	                             .status = routes_status,
	                             .userdata = daemon,
	                             .body_file = handle_body_file_tls};
}
