/* tests/unit/test_admission.c: who may do what. Tables: the pod_security config (file text ->
 * the policy a namespace gets, or the refusal's words), the admission matrix (policy and Pod ->
 * refused with which message, warned, audited), the plan's level and next checks for a set of
 * specs, request info (method and path -> verb, resource, namespace, name), roles (peer
 * credentials -> role -> which verbs), the API server's 403 words, and the audit Event's
 * shape. Pure parts only: no socket, no daemon. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "admission.h"
#include "audit.h"
#include "check_main.h"
#include "config.h"
#include "plan/plan.h"
#include "spec/spec.h"

static json_t *pod_of(const char *yaml)
{
	json_t *doc = NULL;
	struct nano_err err = {0};

	ck_assert_msg(spec_yaml_to_json(yaml, strlen(yaml), &doc, &err) == 0, "%s", err.message);
	return doc;
}

#define HOSTPID_POD                                                                                \
	"metadata: {name: hp}\n"                                                                   \
	"spec: {hostPID: true, containers: [{name: c, image: host}]}\n"
#define PLAIN_POD                                                                                  \
	"metadata: {name: web}\n"                                                                  \
	"spec: {containers: [{name: c, image: host}]}\n"
#define RESTRICTED_POD                                                                             \
	"metadata: {name: r}\n"                                                                    \
	"spec:\n"                                                                                  \
	"  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"        \
	"  containers:\n"                                                                          \
	"  - name: c\n"                                                                            \
	"    image: host\n"                                                                        \
	"    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n"

/* ---- config ------------------------------------------------------------------------------ */

struct config_row {
	const char *name;
	const char *text; /* the file */
	const char *ns;
	int rc;
	const char *message;                /* a piece of it when rc < 0 */
	const char *enforce, *warn, *audit; /* "baseline:latest" */
};

static const struct config_row config_rows[] = {
        {"defaults", "", "default", 0, NULL, "privileged:latest", "baseline:latest",
         "baseline:latest"},
        {"enforce baseline", "pod_security: {enforce: baseline}\n", "x", 0, NULL, "baseline:latest",
         "baseline:latest", "baseline:latest"},
        {"a version", "pod_security: {enforce: restricted, enforce_version: v1.30}\n", "x", 0, NULL,
         "restricted:v1.30", "baseline:latest", "baseline:latest"},
        {"a namespace's level is at latest",
         "pod_security: {enforce: baseline, enforce_version: v1.25, namespaces: {ci: {enforce: "
         "restricted}}}\n",
         "ci", 0, NULL, "restricted:latest", "baseline:latest", "baseline:latest"},
        {"another namespace keeps the defaults",
         "pod_security: {enforce: baseline, namespaces: {ci: {enforce: restricted}}}\n", "prod", 0,
         NULL, "baseline:latest", "baseline:latest", "baseline:latest"},
        {"a namespace's version alone keeps the level",
         "pod_security: {warn: restricted, namespaces: {ci: {warn_version: v1.24}}}\n", "ci", 0,
         NULL, "privileged:latest", "restricted:v1.24", "baseline:latest"},
        {"bad level", "pod_security: {enforce: strict}\n", "x", -EINVAL,
         "pod_security: enforce: must be one of privileged, baseline, restricted, got \"strict\"",
         NULL, NULL, NULL},
        {"bad version", "pod_security: {audit_version: 1.30}\n", "x", -EINVAL,
         "audit_version: must be \"latest\" or a version", NULL, NULL, NULL},
        {"unknown key", "pod_security: {enforcing: baseline}\n", "x", -EINVAL,
         "unknown key \"enforcing\"", NULL, NULL, NULL},
        {"not a mapping", "pod_security: baseline\n", "x", -EINVAL, "pod_security:", NULL, NULL,
         NULL},
};

static char tmpdir[] = "/tmp/nanolet-test-admission-XXXXXX";

START_TEST(test_config)
{
	const struct config_row *t = &config_rows[_i];
	_cleanup_free_ char *path = strdupf("%s/c.yaml", tmpdir);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct nano_config config;
	struct config_pss_policy p;
	char mode[32];
	FILE *f = fopen(path, "we");
	int r;

	ck_assert_ptr_nonnull(f);
	fputs(t->text, f);
	fclose(f);
	ck_assert_int_eq(config_init(&config), 0);
	r = config_load_file(&config, path, &err);
	ck_assert_msg(r == t->rc, "%s: rc %d (%s)", t->name, r, err.message ? err.message : "");
	if (r < 0) {
		ck_assert_msg(strstr(err.message, t->message), "%s: %s", t->name, err.message);
		config_done(&config);
		return;
	}
	config_pod_security_for(&config.pod_security, t->ns, &p);
	admission_mode_name(&p.enforce, mode, sizeof(mode));
	ck_assert_str_eq(mode, t->enforce);
	admission_mode_name(&p.warn, mode, sizeof(mode));
	ck_assert_str_eq(mode, t->warn);
	admission_mode_name(&p.audit, mode, sizeof(mode));
	ck_assert_str_eq(mode, t->audit);
	config_done(&config);
}
END_TEST

/* The flag is the same mapping as YAML text; the groups a comma-separated list. */
START_TEST(test_flags)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct nano_config config;
	struct config_pss_policy p;

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_str_eq(config.api_write_groups[0], "nanolet");
	ck_assert_ptr_null(config.api_read_groups);
	ck_assert_int_eq(config.audit_log_max_size, 100 * 1024 * 1024);
	ck_assert_int_eq(config_apply_flag(&config, "pod-security", "{enforce: restricted}", &err),
	                 0);
	config_pod_security_for(&config.pod_security, "default", &p);
	ck_assert_int_eq(p.enforce.level, SECURITY_PSS_RESTRICTED);
	ck_assert_int_eq(config_apply_flag(&config, "api-read-groups", "viewers,audit", &err), 0);
	ck_assert_str_eq(config.api_read_groups[0], "viewers");
	ck_assert_str_eq(config.api_read_groups[1], "audit");
	ck_assert_ptr_null(config.api_read_groups[2]);
	ck_assert_int_eq(config_apply_flag(&config, "api-write-groups", "", &err), 0);
	ck_assert_ptr_null(config.api_write_groups);
	ck_assert_int_eq(config_apply_flag(&config, "api-read-groups", "a b", &err), -EINVAL);
	ck_assert_int_eq(config_apply_flag(&config, "audit-log-max-size", "1Mi", &err), 0);
	ck_assert_int_eq(config.audit_log_max_size, 1024 * 1024);
	config_done(&config);
}
END_TEST

/* ---- admission --------------------------------------------------------------------------- */

struct admission_row {
	const char *name;
	const char *policy; /* --pod-security */
	const char *ns;
	const char *pod;
	const char *forbidden; /* the 403's message, NULL: admitted */
	const char *warning;   /* the one Warning, NULL: none */
	const char *audit;     /* the audit-violations annotation, NULL: none */
	const char *enforce_policy;
};

#define HOSTPID_BASELINE "PodSecurity \"baseline:latest\": host namespaces (hostPID=true)"

static const struct admission_row admission_rows[] = {
        {"defaults: a hostPID pod is admitted, warned and audited", "{}", "default", HOSTPID_POD,
         NULL, "would violate " HOSTPID_BASELINE, "would violate " HOSTPID_BASELINE,
         "privileged:latest"},
        {"defaults: a plain pod meets baseline: nothing said", "{}", "default", PLAIN_POD, NULL,
         NULL, NULL, "privileged:latest"},
        {"enforce baseline refuses hostPID with the API server's words, and no warning",
         "{enforce: baseline}", "default", HOSTPID_POD,
         "pods \"hp\" is forbidden: violates " HOSTPID_BASELINE, NULL,
         "would violate " HOSTPID_BASELINE, "baseline:latest"},
        {"enforce at a version names it", "{enforce: baseline, enforce_version: v1.25}", "default",
         HOSTPID_POD,
         "pods \"hp\" is forbidden: violates PodSecurity \"baseline:v1.25\": host namespaces "
         "(hostPID=true)",
         NULL, "would violate " HOSTPID_BASELINE, "baseline:v1.25"},
        {"warn restricted on a plain pod lists every restricted check it fails",
         "{warn: restricted, audit: privileged}", "default", PLAIN_POD, NULL,
         "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false "
         "(container \"c\" must set securityContext.allowPrivilegeEscalation=false), "
         "unrestricted capabilities (container \"c\" must set "
         "securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container "
         "\"c\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "
         "\"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
         "\"Localhost\")",
         NULL, "privileged:latest"},
        {"a restricted pod passes everything", "{enforce: restricted, warn: restricted}", "default",
         RESTRICTED_POD, NULL, NULL, NULL, "restricted:latest"},
        {"audit only", "{warn: privileged, audit: baseline}", "default", HOSTPID_POD, NULL, NULL,
         "would violate " HOSTPID_BASELINE, "privileged:latest"},
        {"a namespace's override", "{namespaces: {locked: {enforce: baseline}}}", "locked",
         HOSTPID_POD, "pods \"hp\" is forbidden: violates " HOSTPID_BASELINE, NULL,
         "would violate " HOSTPID_BASELINE, "baseline:latest"},
        {"... only there", "{namespaces: {locked: {enforce: baseline}}}", "open", HOSTPID_POD, NULL,
         "would violate " HOSTPID_BASELINE, "would violate " HOSTPID_BASELINE, "privileged:latest"},
};

START_TEST(test_admission)
{
	const struct admission_row *t = &admission_rows[_i];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(admission_pss_done) struct admission_pss a = {0};
	_cleanup_json_ json_t *pod = pod_of(t->pod);
	struct nano_config config;
	const char *name =
	        json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_msg(config_apply_flag(&config, "pod-security", t->policy, &err) == 0, "%s",
	              err.message);
	ck_assert_int_eq(admission_pod_security(&config.pod_security, t->ns, name, pod, &a), 0);
	if (t->forbidden)
		ck_assert_str_eq(a.forbidden ? a.forbidden : "(admitted)", t->forbidden);
	else
		ck_assert_msg(!a.forbidden, "%s: refused: %s", t->name, a.forbidden);
	if (t->warning) {
		ck_assert_uint_eq(strv_len(a.warnings), 1);
		ck_assert_str_eq(a.warnings[0], t->warning);
	} else {
		ck_assert_msg(strv_len(a.warnings) == 0, "%s: warned: %s", t->name, a.warnings[0]);
	}
	ck_assert_str_eq(json_string_value(json_object_get(
	                         a.annotations, "pod-security.kubernetes.io/enforce-policy")),
	                 t->enforce_policy);
	if (t->audit)
		ck_assert_str_eq(
		        json_string_value(json_object_get(
		                a.annotations, "pod-security.kubernetes.io/audit-violations")),
		        t->audit);
	else
		ck_assert_ptr_null(json_object_get(a.annotations,
		                                   "pod-security.kubernetes.io/audit-violations"));
	config_done(&config);
}
END_TEST

/* ---- the plan's level -------------------------------------------------------------------- */

struct level_row {
	const char *name;
	const char *pod;
	enum security_pss_level level;
	const char *next_checks; /* the next level's failed checks, by ID, comma-separated */
};

static const struct level_row level_rows[] = {
        {"hostPID: privileged, baseline refuses host namespaces", HOSTPID_POD,
         SECURITY_PSS_PRIVILEGED, "hostNamespaces"},
        {"privileged and hostNetwork",
         "metadata: {name: p}\nspec: {hostNetwork: true, containers: [{name: c, image: host, "
         "securityContext: {privileged: true}}]}\n",
         SECURITY_PSS_PRIVILEGED, "hostNamespaces,privileged"},
        {"a hostPath volume",
         "metadata: {name: p}\nspec: {volumes: [{name: v, hostPath: {path: /}}], containers: "
         "[{name: c, image: host}]}\n",
         SECURITY_PSS_PRIVILEGED, "hostPathVolumes"},
        {"a plain pod: baseline", PLAIN_POD, SECURITY_PSS_BASELINE,
         "allowPrivilegeEscalation,capabilities_restricted,runAsNonRoot,seccompProfile_"
         "restricted"},
        {"restricted", RESTRICTED_POD, SECURITY_PSS_RESTRICTED, ""},
};

START_TEST(test_plan_level)
{
	const struct level_row *t = &level_rows[_i];
	_cleanup_json_ json_t *pod = pod_of(t->pod);
	struct plan_pod_security ps;
	_cleanup_free_ char *checks = strdup("");

	ck_assert_int_eq(plan_pod_security(pod, &ps), 0);
	ck_assert_msg(ps.level == t->level, "%s: level %s", t->name,
	              security_pss_level_name(ps.level));
	for (size_t i = 0; i < ps.next.n; i++) {
		char *more = strdupf("%s%s%s", checks, i ? "," : "", ps.next.violations[i].check);

		free(checks);
		checks = more;
	}
	ck_assert_str_eq(checks, t->next_checks);
	if (t->level == SECURITY_PSS_RESTRICTED)
		ck_assert_ptr_null(ps.next_message);
	else
		ck_assert_msg(strncmp(ps.next_message, "violates PodSecurity \"", 22) == 0, "%s",
		              ps.next_message);
	plan_pod_security_done(&ps);
}
END_TEST

/* ---- request info, roles, refusals ------------------------------------------------------- */

struct info_row {
	const char *method, *path;
	bool watch;
	bool resource_request;
	const char *verb, *group, *resource, *subresource, *ns, *name;
};

static const struct info_row info_rows[] = {
        {"POST", "/api/v1/namespaces/default/pods", false, true, "create", "", "pods", "",
         "default", ""},
        {"GET", "/api/v1/namespaces/default/pods", false, true, "list", "", "pods", "", "default",
         ""},
        {"GET", "/api/v1/namespaces/default/pods", true, true, "watch", "", "pods", "", "default",
         ""},
        {"GET", "/api/v1/pods", false, true, "list", "", "pods", "", "", ""},
        {"HEAD", "/api/v1/namespaces/ci/pods/web", false, true, "get", "", "pods", "", "ci", "web"},
        {"DELETE", "/api/v1/namespaces/ci/pods/web", false, true, "delete", "", "pods", "", "ci",
         "web"},
        {"DELETE", "/api/v1/namespaces/ci/pods", false, true, "deletecollection", "", "pods", "",
         "ci", ""},
        {"PATCH", "/api/v1/namespaces/ci/pods/web", false, true, "patch", "", "pods", "", "ci",
         "web"},
        {"PUT", "/api/v1/namespaces/ci/pods/web", false, true, "update", "", "pods", "", "ci",
         "web"},
        {"GET", "/api/v1/namespaces/ci/pods/web/log", false, true, "get", "", "pods", "log", "ci",
         "web"},
        {"POST", "/apis/nanolet.io/v1/isolationplans", false, true, "create", "nanolet.io",
         "isolationplans", "", "", ""},
        {"POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", false, true, "create",
         "authentication.k8s.io", "selfsubjectreviews", "", "", ""},
        {"GET", "/api/v1/namespaces/ci", false, true, "get", "", "namespaces", "", "", "ci"},
        {"POST", "/api/v1/namespaces", false, true, "create", "", "namespaces", "", "", ""},
        {"GET", "/api/v1/namespaces", false, true, "list", "", "namespaces", "", "", ""},
        {"DELETE", "/api/v1/namespaces/ci", false, true, "delete", "", "namespaces", "", "", "ci"},
        {"GET", "/api/v1/nodes", false, true, "list", "", "nodes", "", "", ""},
        {"GET", "/api/v1/nodes/vm", false, true, "get", "", "nodes", "", "", "vm"},
        {"GET", "/apis/metrics.k8s.io/v1beta1/nodes/vm", false, true, "get", "metrics.k8s.io",
         "nodes", "", "", "vm"},
        {"GET", "/apis/metrics.k8s.io/v1beta1/namespaces/ci/pods", false, true, "list",
         "metrics.k8s.io", "pods", "", "ci", ""},
        {"GET", "/healthz", false, false, "get", "", "", "", "", ""},
        {"POST", "/metrics", false, false, "post", "", "", "", "", ""},
};

START_TEST(test_request_info)
{
	const struct info_row *t = &info_rows[_i];
	struct request_info info;

	request_info_parse(t->method, t->path, t->watch, &info);
	ck_assert_int_eq(info.resource_request, t->resource_request);
	ck_assert_str_eq(info.verb, t->verb);
	ck_assert_str_eq(info.api_group, t->group);
	ck_assert_str_eq(info.resource, t->resource);
	ck_assert_str_eq(info.subresource, t->subresource);
	ck_assert_str_eq(info.ns, t->ns);
	ck_assert_str_eq(info.name, t->name);
}
END_TEST

static const gid_t writers[] = {990}, readers[] = {991};
static const struct access_policy policy = {
        .daemon_uid = 0,
        .write_gids = writers,
        .n_write_gids = 1,
        .read_gids = readers,
        .n_read_gids = 1,
};

struct role_row {
	const char *name;
	struct peer_cred peer;
	enum access_role role;
	/* GET pods, POST pods, DELETE a pod, POST selfsubjectreviews, GET /healthz, PATCH a pod,
	 * PUT a pod, POST a namespace, DELETE a namespace, GET the node, GET pod metrics */
	bool allows[11];
};

static const struct role_row role_rows[] = {
        {"root",
         {.known = true, .uid = 0, .gid = 0},
         ACCESS_WRITE,
         {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
        {"the write group, primary",
         {.known = true, .uid = 1000, .gid = 990},
         ACCESS_WRITE,
         {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
        {"the write group, supplementary",
         {.known = true, .uid = 1000, .gid = 1000, .groups = {5, 990}, .n_groups = 2},
         ACCESS_WRITE,
         {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
        {"the read group",
         {.known = true, .uid = 1001, .gid = 1001, .groups = {991}, .n_groups = 1},
         ACCESS_READ,
         {1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1}},
        {"neither",
         {.known = true, .uid = 1002, .gid = 1002},
         ACCESS_NONE,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
        {"unknown credentials",
         {.known = false, .uid = 0},
         ACCESS_NONE,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
};

START_TEST(test_roles)
{
	const struct role_row *t = &role_rows[_i];
	static const char *const requests[][2] = {
	        {"GET", "/api/v1/namespaces/default/pods"},
	        {"POST", "/api/v1/namespaces/default/pods"},
	        {"DELETE", "/api/v1/namespaces/default/pods/web"},
	        {"POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews"},
	        {"GET", "/healthz"},
	        {"PATCH", "/api/v1/namespaces/default/pods/web"},
	        {"PUT", "/api/v1/namespaces/default/pods/web"},
	        {"POST", "/api/v1/namespaces"},
	        {"DELETE", "/api/v1/namespaces/team-a"},
	        {"GET", "/api/v1/nodes/vm"},
	        {"GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods"},
	};
	enum access_role role = access_role_of(&policy, &t->peer);

	ck_assert_msg(role == t->role, "%s: %s", t->name, access_role_name(role));
	for (size_t i = 0; i < ELEMENTSOF(requests); i++) {
		struct request_info info;

		request_info_parse(requests[i][0], requests[i][1], false, &info);
		ck_assert_msg(access_allows(role, &info) == t->allows[i], "%s: %s %s", t->name,
		              requests[i][0], requests[i][1]);
	}
}
END_TEST

struct forbidden_row {
	const char *method, *path, *message;
};

static const struct forbidden_row forbidden_rows[] = {
        {"POST", "/api/v1/namespaces/default/pods",
         "pods is forbidden: User \"bob\" cannot create resource \"pods\" in API group \"\" in the "
         "namespace \"default\""},
        {"DELETE", "/api/v1/namespaces/ci/pods/web",
         "pods \"web\" is forbidden: User \"bob\" cannot delete resource \"pods\" in API group "
         "\"\" "
         "in the namespace \"ci\""},
        {"GET", "/api/v1/pods",
         "pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" at the "
         "cluster scope"},
        {"GET", "/api/v1/namespaces/ci/pods/web/log",
         "pods \"web\" is forbidden: User \"bob\" cannot get resource \"pods/log\" in API group "
         "\"\" in the namespace \"ci\""},
        {"POST", "/apis/nanolet.io/v1/isolationplans",
         "isolationplans.nanolet.io is forbidden: User \"bob\" cannot create resource "
         "\"isolationplans\" in API group \"nanolet.io\" at the cluster scope"},
        {"GET", "/healthz", "forbidden: User \"bob\" cannot get path \"/healthz\""},
};

START_TEST(test_forbidden_message)
{
	const struct forbidden_row *t = &forbidden_rows[_i];
	struct request_info info;
	_cleanup_free_ char *message = NULL;

	request_info_parse(t->method, t->path, false, &info);
	message = access_forbidden_message("bob", t->path, &info);
	ck_assert_str_eq(message, t->message);
}
END_TEST

/* ---- audit ------------------------------------------------------------------------------- */

/* The kubelet's sysctl admission over a decoded Pod: it stops at the first sysctl it refuses
 * and names its place in the list. */
static const struct {
	const char *sysctls; /* the YAML flow list */
	const char *allowed; /* allowed_unsafe_sysctls, comma-separated */
	const char *forbidden;
	size_t index;
} sysctl_rows[] = {
        {"[{name: kernel.shm_rmid_forced, value: '1'}]", "", NULL, 0},
        {"[{name: net.ipv4.tcp_syncookies, value: '1'}, {name: net.core.somaxconn, value: '9'}, "
         "{name: kernel.msgmax, value: '9'}]",
         "", "forbidden sysctl: \"net.core.somaxconn\" not allowlisted", 1},
        {"[{name: net.core.somaxconn, value: '9'}, {name: kernel.msgmax, value: '9'}]",
         "net.core.*", "forbidden sysctl: \"kernel.msgmax\" not allowlisted", 1},
        {"[{name: net.core.somaxconn, value: '9'}, {name: kernel/msgmax, value: '9'}]",
         "net.core.*,kernel.msg*", NULL, 0},
};

START_TEST(test_sysctl_admission)
{
	_cleanup_free_ char *yaml =
	        strdupf("metadata: {name: s}\nspec: {securityContext: {sysctls: %s}, containers: "
	                "[{name: c, image: host, command: [x]}]}\n",
	                sysctl_rows[_i].sysctls);
	_cleanup_free_ char *copy = strdup(sysctl_rows[_i].allowed), *forbidden = NULL;
	_cleanup_json_ json_t *doc = pod_of(yaml);
	_cleanup_strv_ char **warnings = NULL, **allowed = NULL;
	struct spec_decode_options o = {.path_namespace = "default"};
	_cleanup_pod_ struct spec_pod *pod = NULL;
	struct nano_err err = {0};
	char *save = NULL;
	size_t index = 99;

	ck_assert_msg(spec_pod_decode(doc, &o, &pod, &warnings, &err) == 0, "%s", err.message);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		ck_assert_int_eq(strv_push(&allowed, strdup(t)), 0);
	ck_assert_int_eq(admission_sysctls(allowed, pod, &forbidden, &index), 0);
	if (!sysctl_rows[_i].forbidden) {
		ck_assert_msg(!forbidden, "%s", forbidden);
		return;
	}
	ck_assert_str_eq(forbidden ? forbidden : "(admitted)", sysctl_rows[_i].forbidden);
	ck_assert_uint_eq(index, sysctl_rows[_i].index);
}
END_TEST

START_TEST(test_audit_event)
{
	struct audit_request r = {
	        .peer = {.known = true,
	                 .uid = 4242,
	                 .gid = 4243,
	                 .pid = 77,
	                 .user = "4242",
	                 .comm = "curl"},
	        .request_uri = "/api/v1/namespaces/default/pods?dryRun=All",
	        .user_agent = "curl/8",
	        .received_ns = INT64_C(1700000000123456789),
	};
	static const char status[] =
	        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"
	        "\"pods "
	        "\\\"hp\\\" is forbidden: no\",\"reason\":\"Forbidden\",\"code\":403}";
	_cleanup_json_ json_t *e = NULL;
	json_t *user, *ref, *rs;

	ck_assert_int_eq(audit_id_new(r.audit_id), 0);
	ck_assert_uint_eq(strlen(r.audit_id), 36);
	ck_assert_int_eq(r.audit_id[14], '4');
	request_info_parse("POST", "/api/v1/namespaces/default/pods", false, &r.info);
	ck_assert(audit_wanted(&r, 201));
	r.annotations =
	        json_pack("{s:s}", "pod-security.kubernetes.io/enforce-policy", "baseline:latest");
	e = audit_event_json(&r, 403, status, strlen(status), INT64_C(1700000000200000000));
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "kind")), "Event");
	ck_assert_str_eq(json_string_value(json_object_get(e, "apiVersion")), "audit.k8s.io/v1");
	ck_assert_str_eq(json_string_value(json_object_get(e, "stage")), "ResponseComplete");
	ck_assert_str_eq(json_string_value(json_object_get(e, "auditID")), r.audit_id);
	ck_assert_str_eq(json_string_value(json_object_get(e, "verb")), "create");
	ck_assert_str_eq(json_string_value(json_object_get(e, "requestURI")), r.request_uri);
	ck_assert_str_eq(json_string_value(json_object_get(e, "requestReceivedTimestamp")),
	                 "2023-11-14T22:13:20.123456Z");
	ck_assert_str_eq(json_string_value(json_object_get(e, "stageTimestamp")),
	                 "2023-11-14T22:13:20.200000Z");
	user = json_object_get(e, "user");
	ck_assert_str_eq(json_string_value(json_object_get(user, "uid")), "4242");
	ck_assert_str_eq(
	        json_string_value(json_array_get(
	                json_object_get(json_object_get(user, "extra"), "nanolet.io/pid"), 0)),
	        "77");
	ck_assert_str_eq(
	        json_string_value(json_array_get(
	                json_object_get(json_object_get(user, "extra"), "nanolet.io/gid"), 0)),
	        "4243");
	ck_assert_str_eq(
	        json_string_value(json_array_get(
	                json_object_get(json_object_get(user, "extra"), "nanolet.io/process"), 0)),
	        "curl");
	ref = json_object_get(e, "objectRef");
	ck_assert_str_eq(json_string_value(json_object_get(ref, "resource")), "pods");
	ck_assert_str_eq(json_string_value(json_object_get(ref, "namespace")), "default");
	ck_assert_str_eq(json_string_value(json_object_get(ref, "apiVersion")), "v1");
	rs = json_object_get(e, "responseStatus");
	ck_assert_int_eq(json_integer_value(json_object_get(rs, "code")), 403);
	ck_assert_str_eq(json_string_value(json_object_get(rs, "reason")), "Forbidden");
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(e, "annotations"),
	                                          "pod-security.kubernetes.io/enforce-policy")),
	        "baseline:latest");
	json_decref(r.annotations);

	/* a read is not recorded unless refused; a review changes nothing */
	request_info_parse("GET", "/api/v1/pods", false, &r.info);
	ck_assert(!audit_wanted(&r, 200));
	ck_assert(audit_wanted(&r, 403));
	request_info_parse("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", false,
	                   &r.info);
	ck_assert(!audit_wanted(&r, 201));
}
END_TEST

/* One line per event, rotated past the size. */
START_TEST(test_audit_rotation)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *dir = strdupf("%s/rot", tmpdir), *log = strdupf("%s/audit.log", dir),
	                    *one = strdupf("%s.1", log), *two = strdupf("%s.2", log),
	                    *three = strdupf("%s.3", log);
	_cleanup_json_ json_t *event = json_pack("{s:s}", "kind", "Event");
	struct audit_log *a = NULL;
	_cleanup_free_ char *text = NULL;

	ck_assert_int_eq(mkdir_p(dir, 0700), 0);
	/* 17 bytes a line, 40 bytes a file: two lines each */
	ck_assert_int_eq(audit_log_open(dir, 40, 2, &a, &err), 0);
	for (int i = 0; i < 7; i++)
		audit_log_write(a, event);
	a = audit_log_free(a);
	ck_assert_int_eq(util_read_file_at(AT_FDCWD, log, &text), 0);
	ck_assert_str_eq(text, "{\"kind\":\"Event\"}\n");
	ck_assert_int_eq(access(one, F_OK), 0);
	ck_assert_int_eq(access(two, F_OK), 0);
	ck_assert_int_eq(access(three, F_OK), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("admission");
	TCase *tc = tcase_create("admission");

	if (!mkdtemp(tmpdir))
		abort();
	tcase_add_loop_test(tc, test_config, 0, ELEMENTSOF(config_rows));
	tcase_add_test(tc, test_flags);
	tcase_add_loop_test(tc, test_admission, 0, ELEMENTSOF(admission_rows));
	tcase_add_loop_test(tc, test_plan_level, 0, ELEMENTSOF(level_rows));
	tcase_add_loop_test(tc, test_request_info, 0, ELEMENTSOF(info_rows));
	tcase_add_loop_test(tc, test_roles, 0, ELEMENTSOF(role_rows));
	tcase_add_loop_test(tc, test_forbidden_message, 0, ELEMENTSOF(forbidden_rows));
	tcase_add_loop_test(tc, test_sysctl_admission, 0, ELEMENTSOF(sysctl_rows));
	tcase_add_test(tc, test_audit_event);
	tcase_add_test(tc, test_audit_rotation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int r = check_run(suite());

	(void)rm_rf(tmpdir);
	return r;
}
