/* tests/unit/test_routes.c: the dispatch (which method and path gets which answer), the Status
 * every error becomes, and how the daemon picks its cgroup driver and root.
 *
 * Tables: routes (method, path -> code, reason, Allow), errors (class -> code, reason; the errno
 * never decides), cgroup
 * (host mode, configured driver/root, /proc/self/cgroup text -> driver, root or error). Handlers
 * of pods are not tested here: routes only decides who answers.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nanoletd.h"
#include "routes.h"
#include "spec/spec.h"

static struct nanoletd test_daemon = {
        .host = {.mode = CGROUP_MODE_HYBRID, .unified_mounted = true},
        .cgroup_root = "/process_api/x/nanolet",
        .cgroup_driver = CONFIG_CGROUP_V1,
};

/* the caller: root, who may do everything */
static const struct peer_cred root_peer = {.known = true, .user = "root"};

struct route_case {
	const char *name;
	const char *method;
	const char *path;
	unsigned code;
	const char *reason; /* of the Status, NULL when the answer is not a Status */
	const char *allow;
};

static const struct route_case route_cases[] = {
        {"healthz", "GET", "/healthz", 200, NULL, NULL},
        {"healthz head", "HEAD", "/healthz", 200, NULL, NULL},
        {"readyz", "GET", "/readyz", 200, NULL, NULL},
        {"version", "GET", "/version", 200, NULL, NULL},
        {"healthz post", "POST", "/healthz", 405, "MethodNotAllowed", "GET, HEAD"},
        {"version delete", "DELETE", "/version", 405, "MethodNotAllowed", "GET, HEAD"},
        {"openapi v3 post", "POST", "/openapi/v3", 405, "MethodNotAllowed", "GET, HEAD"},
        {"openapi v3 core post", "POST", "/openapi/v3/api/v1", 405, "MethodNotAllowed",
         "GET, HEAD"},
        {"openapi v2 is not served", "GET", "/openapi/v2", 404, "NotFound", NULL},
        {"openapi v3 of a group not served", "GET", "/openapi/v3/apis/apps/v1", 404, "NotFound",
         NULL},
        {"isolationplans get", "GET", "/apis/nanolet.io/v1/isolationplans", 405, "MethodNotAllowed",
         "POST"},
        {"pods put", "PUT", "/api/v1/namespaces/default/pods", 405, "MethodNotAllowed",
         "GET, HEAD, POST"},
        {"images put", "PUT", "/apis/nanolet.io/v1/images", 405, "MethodNotAllowed",
         "GET, HEAD, POST"},
        {"image patch", "PATCH", "/apis/nanolet.io/v1/images/0123456789ab", 405, "MethodNotAllowed",
         "GET, HEAD, DELETE"},
        {"log patch", "PATCH", "/api/v1/namespaces/default/pods/web/log", 405, "MethodNotAllowed",
         "GET, HEAD"},
        {"log post", "POST", "/api/v1/namespaces/default/pods/web/log", 405, "MethodNotAllowed",
         "GET, HEAD"},
        {"bad namespace", "POST", "/api/v1/namespaces/Default/pods", 400, "BadRequest", NULL},
        {"namespace with dot", "POST", "/api/v1/namespaces/a.b/pods", 400, "BadRequest", NULL},
        {"namespace too long", "POST",
         "/api/v1/namespaces/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/pods",
         400, "BadRequest", NULL},
        {"unknown path", "GET", "/nope", 404, "NotFound", NULL},
        {"trailing slash", "GET", "/healthz/", 404, "NotFound", NULL},
        {"empty namespace", "POST", "/api/v1/namespaces//pods", 404, "NotFound", NULL},
        {"pods subpath", "POST", "/api/v1/namespaces/default/pods/x/y", 404, "NotFound", NULL},
        {"root", "GET", "/", 404, "NotFound", NULL},
};

static json_t *body_json(const struct http_response *resp)
{
	json_error_t error;
	json_t *json = json_loadb(resp->body, resp->body_len, 0, &error);

	ck_assert_msg(json != NULL, "body is not JSON: %.*s", (int)resp->body_len, resp->body);
	return json;
}

static void check_status(const struct http_response *resp, unsigned code, const char *reason)
{
	_cleanup_json_ json_t *json = body_json(resp);

	ck_assert_str_eq(resp->content_type, "application/json");
	ck_assert_str_eq(json_string_value(json_object_get(json, "kind")), "Status");
	ck_assert_str_eq(json_string_value(json_object_get(json, "apiVersion")), "v1");
	ck_assert_str_eq(json_string_value(json_object_get(json, "status")), "Failure");
	ck_assert_str_eq(json_string_value(json_object_get(json, "reason")), reason);
	ck_assert_int_eq(json_integer_value(json_object_get(json, "code")), code);
	ck_assert(json_is_object(json_object_get(json, "metadata")));
	ck_assert(json_is_string(json_object_get(json, "message")));
}

START_TEST(test_route)
{
	const struct route_case *t = &route_cases[_i];
	struct http_request req = {
	        .method = t->method, .path = t->path, .body = "", .peer = &root_peer};
	struct http_response resp;

	routes_handle(&test_daemon, &req, &resp);
	ck_assert_msg(resp.code == t->code, "%s: code %u, want %u", t->name, resp.code, t->code);
	if (t->reason)
		check_status(&resp, t->code, t->reason);
	if (t->allow)
		ck_assert_str_eq(resp.allow, t->allow);
	else
		ck_assert_ptr_null(resp.allow);
	http_response_done(&resp);
}
END_TEST

/* The refusal names the namespace as sent, however long (64 characters once showed as ""). */
START_TEST(test_bad_namespace_named)
{
	static const char *const namespaces[] = {
	        "Default", "a.b",
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	        "a"
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	        "a"};

	for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
		_cleanup_free_ char *path = strdupf("/api/v1/namespaces/%s/pods", namespaces[i]);
		_cleanup_free_ char *want = strdupf("namespace \"%s\" is invalid", namespaces[i]);
		struct http_request req = {
		        .method = "GET", .path = path, .body = "", .peer = &root_peer};
		struct http_response resp;
		_cleanup_json_ json_t *json = NULL;
		const char *message;

		routes_handle(&test_daemon, &req, &resp);
		ck_assert_uint_eq(resp.code, 400);
		json = body_json(&resp);
		message = json_string_value(json_object_get(json, "message"));
		ck_assert_msg(strncmp(message, want, strlen(want)) == 0, "%s", message);
		http_response_done(&resp);
	}
}
END_TEST

START_TEST(test_healthz_body)
{
	struct http_request req = {.method = "GET", .path = "/healthz", .peer = &root_peer};
	struct http_response resp;

	routes_handle(&test_daemon, &req, &resp);
	ck_assert_uint_eq(resp.body_len, 2);
	ck_assert(memcmp(resp.body, "ok", 2) == 0);
	ck_assert_ptr_nonnull(strstr(resp.content_type, "text/plain"));
	http_response_done(&resp);
}
END_TEST

START_TEST(test_version_body)
{
	struct http_request req = {.method = "GET", .path = "/version", .peer = &root_peer};
	struct http_response resp;
	_cleanup_json_ json_t *json = NULL;
	json_t *nanolet;

	routes_handle(&test_daemon, &req, &resp);
	json = body_json(&resp);
	/* the Kubernetes level nanolet follows; nanolet's own version as semver build metadata */
	ck_assert_str_eq(json_string_value(json_object_get(json, "major")), "1");
	ck_assert_str_eq(json_string_value(json_object_get(json, "minor")), "32");
	ck_assert_str_eq(json_string_value(json_object_get(json, "gitVersion")),
	                 "v1.32.0+nanolet." NANOLET_VERSION);
	ck_assert_str_eq(json_string_value(json_object_get(json, "gitCommit")), NANOLET_GIT_COMMIT);
	ck_assert_str_eq(json_string_value(json_object_get(json, "cgroupDriver")), "v1");
	ck_assert_ptr_nonnull(
	        strstr(json_string_value(json_object_get(json, "platform")), "linux/"));
	nanolet = json_object_get(json, "nanolet");
	ck_assert_str_eq(json_string_value(json_object_get(nanolet, "version")), NANOLET_VERSION);
	ck_assert_str_eq(json_string_value(json_object_get(nanolet, "cgroupDriver")), "v1");
	ck_assert_str_eq(json_string_value(json_object_get(nanolet, "cgroupMode")), "hybrid");
	ck_assert_str_eq(json_string_value(json_object_get(nanolet, "cgroupRoot")),
	                 "/process_api/x/nanolet");
	http_response_done(&resp);
}
END_TEST

struct error_case {
	const char *name;
	enum nano_class class;
	int errnum;
	unsigned code;
	const char *reason;
	unsigned retry_after;
};

/* One row per class, and errnos that once picked the status: the class decides alone. */
static const struct error_case error_cases[] = {
        {"bad request", NANO_BAD_REQUEST, EBADMSG, 400, "BadRequest", 0},
        {"invalid", NANO_INVALID, EINVAL, 422, "Invalid", 0},
        {"too large", NANO_TOO_LARGE, EMSGSIZE, 413, "RequestEntityTooLarge", 0},
        {"unsupported media", NANO_UNSUPPORTED_MEDIA, EMEDIUMTYPE, 415, "UnsupportedMediaType", 0},
        {"not implemented", NANO_NOT_IMPLEMENTED, ENOSYS, 501, "NotImplemented", 0},
        {"held by another pod", NANO_IN_USE, EADDRINUSE, 409, "Conflict", 0},
        {"conflict", NANO_CONFLICT, EEXIST, 409, "AlreadyExists", 0},
        {"forbidden: a node limit", NANO_FORBIDDEN, EDQUOT, 403, "Forbidden", 0},
        {"too many", NANO_TOO_MANY, EAGAIN, 429, "TooManyRequests", 1},
        {"not found", NANO_NOT_FOUND, ENOENT, 404, "NotFound", 0},
        {"storage full", NANO_STORAGE, ENOSPC, 507, "InsufficientStorage", 0},
        {"storage read-only", NANO_STORAGE, EROFS, 507, "InsufficientStorage", 0},
        {"unavailable", NANO_UNAVAILABLE, EBUSY, 503, "ServiceUnavailable", 1},
        {"internal", NANO_INTERNAL, EIO, 500, "InternalError", 0},
        {"internal out of memory", NANO_INTERNAL, ENOMEM, 500, "InternalError", 0},
        {"nothing set", NANO_INTERNAL, 0, 500, "InternalError", 0},
        /* once 422: a cgroup write the kernel refused is the node's trouble */
        {"internal EINVAL", NANO_INTERNAL, EINVAL, 500, "InternalError", 0},
        /* once 400: a shim that answered nonsense */
        {"internal EBADMSG", NANO_INTERNAL, EBADMSG, 500, "InternalError", 0},
        /* once 404: a file missing on the node during a POST */
        {"internal ENOENT", NANO_INTERNAL, ENOENT, 500, "InternalError", 0},
        /* once 409 */
        {"internal EEXIST", NANO_INTERNAL, EEXIST, 500, "InternalError", 0},
        /* once 507 */
        {"internal ENOSPC", NANO_INTERNAL, ENOSPC, 500, "InternalError", 0},
        /* the class wins over any errno */
        {"conflict with EIO", NANO_CONFLICT, EIO, 409, "AlreadyExists", 0},
};

START_TEST(test_error)
{
	const struct error_case *t = &error_cases[_i];
	struct nano_err err = {0};
	struct http_response resp = {0};
	_cleanup_json_ json_t *json = NULL;

	if (t->errnum)
		nano_err_setc(&err, t->class, t->errnum, "the message %d", t->errnum);
	routes_error(&resp, &err);
	ck_assert_msg(resp.code == t->code, "%s: %u", t->name, resp.code);
	check_status(&resp, t->code, t->reason);
	ck_assert_msg(resp.retry_after == t->retry_after, "%s: Retry-After %u", t->name,
	              resp.retry_after);
	json = body_json(&resp);
	ck_assert_ptr_null(json_object_get(json, "details")); /* no causes, no details */
	nano_err_clear(&err);
	http_response_done(&resp);
}
END_TEST

/* A class survives what callers do to an error on its way up. */
START_TEST(test_error_class_kept)
{
	struct nano_err err = {0};

	nano_err_setc(&err, NANO_STORAGE, ENOSPC, "database or disk is full");
	ck_assert_int_eq(nano_err_wrap(&err, "create pod %s", "web"), -ENOSPC);
	ck_assert_int_eq(err.class, NANO_STORAGE);
	ck_assert_str_eq(err.message, "create pod web: database or disk is full");
	/* a new failure replaces it, class and all */
	nano_err_set(&err, EIO, "something else");
	ck_assert_int_eq(err.class, NANO_INTERNAL);
	ck_assert_int_eq(nano_err_classify(&err, NANO_UNAVAILABLE), -EIO);
	ck_assert_int_eq(err.class, NANO_UNAVAILABLE);
	nano_err_clear(&err);
	ck_assert_int_eq(err.class, NANO_INTERNAL);
}
END_TEST

START_TEST(test_error_causes)
{
	struct nano_err err = {0};
	struct http_response resp = {0};
	_cleanup_json_ json_t *json = NULL;
	json_t *causes, *cause;

	nano_err_setc(&err, NANO_INVALID, EINVAL,
	              "Pod \"p\" is invalid: [spec.containers[0].name: Required value]");
	nano_err_cause(&err, "spec.containers[0].name", "FieldValueRequired", "Required value");
	nano_err_cause(&err, "metadata.name", "FieldValueInvalid", "Invalid value: \"A\"");
	routes_error(&resp, &err);
	check_status(&resp, 422, "Invalid");
	json = body_json(&resp);
	ck_assert_str_eq(json_string_value(json_object_get(json, "message")), err.message);
	causes = json_object_get(json_object_get(json, "details"), "causes");
	ck_assert_uint_eq(json_array_size(causes), 2);
	cause = json_array_get(causes, 0);
	ck_assert_str_eq(json_string_value(json_object_get(cause, "field")),
	                 "spec.containers[0].name");
	ck_assert_str_eq(json_string_value(json_object_get(cause, "reason")), "FieldValueRequired");
	ck_assert_str_eq(json_string_value(json_object_get(cause, "message")), "Required value");
	nano_err_clear(&err);
	http_response_done(&resp);
}
END_TEST

#define PROC_HYBRID                                                                                \
	"9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/user.slice\n"
#define PROC_UNIFIED "0::/system.slice/nanoletd.service\n"

struct cgroup_case {
	const char *name;
	enum cgroup_mode mode;
	enum config_cgroup_driver driver;
	const char *configured_root;
	const char *proc;
	int rc;
	enum config_cgroup_driver want_driver;
	const char *want_root; /* or a piece of the message when rc < 0 */
};

static const struct cgroup_case cgroup_cases[] = {
        {"auto on hybrid is v1 under the memory cgroup", CGROUP_MODE_HYBRID, CONFIG_CGROUP_AUTO,
         NULL, PROC_HYBRID, 0, CONFIG_CGROUP_V1, "/process_api/abc/nanolet"},
        {"auto on legacy is v1", CGROUP_MODE_LEGACY, CONFIG_CGROUP_AUTO, NULL, PROC_HYBRID, 0,
         CONFIG_CGROUP_V1, "/process_api/abc/nanolet"},
        {"auto on unified is v2 under the 0:: cgroup", CGROUP_MODE_UNIFIED, CONFIG_CGROUP_AUTO,
         NULL, PROC_UNIFIED, 0, CONFIG_CGROUP_V2, "/system.slice/nanoletd.service/nanolet"},
        {"root cgroup gives /nanolet", CGROUP_MODE_UNIFIED, CONFIG_CGROUP_AUTO, NULL, "0::/\n", 0,
         CONFIG_CGROUP_V2, "/nanolet"},
        {"configured root wins", CGROUP_MODE_HYBRID, CONFIG_CGROUP_V1, "/pods", PROC_HYBRID, 0,
         CONFIG_CGROUP_V1, "/pods"},
        {"v2 forced on hybrid", CGROUP_MODE_HYBRID, CONFIG_CGROUP_V2, NULL, PROC_HYBRID, -EINVAL, 0,
         "cgroup_driver v2 needs the unified hierarchy"},
        {"v1 forced on unified", CGROUP_MODE_UNIFIED, CONFIG_CGROUP_V1, NULL, PROC_UNIFIED, -EINVAL,
         0, "cgroup_driver v1 needs v1 controller hierarchies"},
        {"no memory entry", CGROUP_MODE_HYBRID, CONFIG_CGROUP_AUTO, NULL, "0::/\n", -ENOENT, 0,
         "has no memory controller entry"},
};

START_TEST(test_cgroup)
{
	const struct cgroup_case *t = &cgroup_cases[_i];
	struct nanoletd daemon = {.host = {.mode = t->mode}};
	struct nano_err err = {0};
	int r;

	daemon.config.cgroup_driver = t->driver;
	daemon.config.cgroup_root = (char *)t->configured_root;
	r = nanoletd_resolve_cgroup(&daemon, t->proc, &err);
	ck_assert_msg(r == t->rc, "%s: rc %d (%s)", t->name, r, err.message ? err.message : "");
	if (r == 0) {
		ck_assert_int_eq(daemon.cgroup_driver, t->want_driver);
		ck_assert_str_eq(daemon.cgroup_root, t->want_root);
	} else {
		ck_assert_msg(strstr(err.message, t->want_root), "%s: %s", t->name, err.message);
	}
	free(daemon.cgroup_root);
	nano_err_clear(&err);
}
END_TEST

/* The contract's path for a route's pattern: {ns} is {namespace} there, and a group's or a
 * group version's discovery (/apis/metrics.k8s.io/v1beta1) one generic path. */
static char *documented_as(const char *pattern)
{
	const char *rest = pattern + strlen("/apis/");
	size_t slashes = 0;
	char *out;

	if (strncmp(pattern, "/apis/", 6) == 0) {
		for (const char *c = rest; *c; c++)
			slashes += *c == '/';
		if (slashes == 0)
			return strdup("/apis/{group}");
		if (slashes == 1 && !strchr(rest, '{'))
			return strdup("/apis/{group}/{version}");
	}
	out = calloc(1, strlen(pattern) * 2 + 1);
	for (const char *c = pattern; out && *c;) {
		if (strncmp(c, "{ns}", 4) == 0) {
			strcat(out, "{namespace}");
			c += 4;
		} else {
			strncat(out, c++, 1);
		}
	}
	return out;
}

/* Every route is in api/openapi.yaml and every path there is a route: the contract and the
 * server cannot drift apart. */
START_TEST(test_contract_documents_every_route)
{
	const char *source = getenv("NANOLET_SOURCE_DIR");
	_cleanup_free_ char *path = strdupf("%s/api/openapi.yaml", source ? source : ".");
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *doc = NULL, *seen = json_object();
	struct nano_err e = {0};
	const char *key;
	json_t *value;
	size_t len = 0;
	FILE *f = fopen(path, "re");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	text = malloc(1 << 20);
	len = fread(text, 1, 1 << 20, f);
	fclose(f);
	ck_assert_msg(spec_yaml_to_json(text, len, &doc, &e) == 0, "%s", e.message);
	for (size_t i = 0; routes_pattern(i); i++) {
		_cleanup_free_ char *documented = documented_as(routes_pattern(i));

		ck_assert_msg(json_object_get(json_object_get(doc, "paths"), documented),
		              "%s (%s) is not in api/openapi.yaml", routes_pattern(i), documented);
		json_object_set_new(seen, documented, json_true());
	}
	json_object_foreach(json_object_get(doc, "paths"), key, value) ck_assert_msg(
	        json_object_get(seen, key), "api/openapi.yaml has %s, no route serves it", key);
	nano_err_clear(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("routes");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_route, 0, (int)ELEMENTSOF(route_cases));
	tcase_add_test(tc, test_bad_namespace_named);
	tcase_add_test(tc, test_healthz_body);
	tcase_add_test(tc, test_version_body);
	tcase_add_loop_test(tc, test_error, 0, (int)ELEMENTSOF(error_cases));
	tcase_add_test(tc, test_error_class_kept);
	tcase_add_test(tc, test_error_causes);
	tcase_add_test(tc, test_contract_documents_every_route);
	tcase_add_loop_test(tc, test_cgroup, 0, (int)ELEMENTSOF(cgroup_cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
