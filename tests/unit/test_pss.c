/* tests/unit/test_pss.c: the Pod Security Standards checks against Kubernetes' own — every
 * fixture of pod-security-admission's test/testdata for baseline and restricted at v1.0, v1.25
 * and v1.37 (each "pass" pod meets the level, each "fail" pod fails it, for the check it is named
 * after or the one that replaces it), the messages of a table of pods word for word, the version
 * rules (checks that start, change and relax at a version), and levels and versions as text.
 */
#include "check_main.h"
#include <ctype.h>
#include <fcntl.h>
#include <string.h>

#include "security/security.h"
#include "spec/spec.h"

static json_t *yaml(const char *text)
{
	struct nano_err err = {0};
	json_t *doc = NULL;

	ck_assert_msg(spec_yaml_to_json(text, strlen(text), &doc, &err) == 0, "%s", err.message);
	nano_err_clear(&err);
	return doc;
}

/* ---- Kubernetes' fixtures -------------------------------------------------------------------- */

static const struct {
	const char *file;
	enum security_pss_level level;
	int minor;
	bool pass;
} fixture_files[] = {
        {"baseline-v1.0-pass", SECURITY_PSS_BASELINE, 0, true},
        {"baseline-v1.0-fail", SECURITY_PSS_BASELINE, 0, false},
        {"baseline-v1.25-pass", SECURITY_PSS_BASELINE, 25, true},
        {"baseline-v1.25-fail", SECURITY_PSS_BASELINE, 25, false},
        {"baseline-v1.37-pass", SECURITY_PSS_BASELINE, 37, true},
        {"baseline-v1.37-fail", SECURITY_PSS_BASELINE, 37, false},
        {"restricted-v1.0-pass", SECURITY_PSS_RESTRICTED, 0, true},
        {"restricted-v1.0-fail", SECURITY_PSS_RESTRICTED, 0, false},
        {"restricted-v1.25-pass", SECURITY_PSS_RESTRICTED, 25, true},
        {"restricted-v1.25-fail", SECURITY_PSS_RESTRICTED, 25, false},
        {"restricted-v1.37-pass", SECURITY_PSS_RESTRICTED, 37, true},
        {"restricted-v1.37-fail", SECURITY_PSS_RESTRICTED, 37, false},
};

/* A fixture is named after its check, lowercased, with a number ("hostpathvolumes2"); in
 * restricted some baseline checks are replaced by a restricted one. */
static bool failed_for(const struct security_pss_result *r, const char *fixture)
{
	static const char *const replaced[][2] = {
	        {"capabilities_baseline", "capabilities_restricted"},
	        {"hostpathvolumes", "restrictedvolumes"},
	        {"seccompprofile_baseline", "seccompprofile_restricted"},
	        {"procmount", "procmount_restricted"},
	};
	char want[64];
	size_t len = strlen(fixture);

	while (len > 0 && isdigit((unsigned char)fixture[len - 1]))
		len--;
	snprintf(want, sizeof(want), "%.*s", (int)len, fixture);
	for (size_t i = 0; i < r->n; i++) {
		char got[64];

		snprintf(got, sizeof(got), "%s", r->violations[i].check);
		for (char *p = got; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(got, want) == 0)
			return true;
		for (size_t j = 0; j < ELEMENTSOF(replaced); j++)
			if (strcmp(want, replaced[j][0]) == 0 && strcmp(got, replaced[j][1]) == 0)
				return true;
	}
	return false;
}

START_TEST(test_kubernetes_fixtures)
{
	const char *source = getenv("NANOLET_SOURCE_DIR");
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_json_ json_t *docs = NULL;
	struct nano_err err = {0};
	json_t *pod;
	size_t i;

	ck_assert_ptr_nonnull(source);
	path = strdupf("%s/tests/unit/testdata/pss/%s.yaml", source, fixture_files[_i].file);
	ck_assert_int_eq(util_read_file_at(AT_FDCWD, path, &text), 0);
	ck_assert_msg(spec_yaml_documents(text, strlen(text), &docs, &err) == 0, "%s", err.message);
	ck_assert_uint_gt(json_array_size(docs), 5);
	json_array_foreach(docs, i, pod)
	{
		_cleanup_(security_pss_result_done) struct security_pss_result r = {0};
		_cleanup_free_ char *message = NULL;
		const char *name = json_string_value(
		        json_object_get(json_object_get(pod, "metadata"), "name"));

		ck_assert_int_eq(security_pss_evaluate(pod, fixture_files[_i].level,
		                                       fixture_files[_i].minor, &r),
		                 0);
		message =
		        security_pss_message(&r, fixture_files[_i].level, fixture_files[_i].minor);
		if (fixture_files[_i].pass)
			ck_assert_msg(r.n == 0, "%s/%s: %s", fixture_files[_i].file, name, message);
		else
			ck_assert_msg(failed_for(&r, name), "%s/%s: %s", fixture_files[_i].file,
			              name, r.n ? message : "passes");
	}
}
END_TEST

/* ---- messages, word for word ------------------------------------------------------------------
 */

#define POD(spec) "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" spec

#define B SECURITY_PSS_BASELINE
#define R SECURITY_PSS_RESTRICTED
#define L SECURITY_PSS_LATEST

static const struct {
	const char *name;
	const char *pod;
	enum security_pss_level level;
	int version;
	const char *message; /* NULL: the pod meets the level */
} message_rows[] = {
        {"host namespaces and privileged, in Kubernetes' order",
         POD("  hostNetwork: true\n  hostPID: true\n"
             "  containers: [{name: c, securityContext: {privileged: true}}]\n"),
         B, L,
         "violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true, "
         "hostPID=true), privileged (container \"c\" must not set "
         "securityContext.privileged=true)"},
        {"a default pod under restricted: what `kubectl run` meets",
         POD("  containers: [{name: a}]\n"), R, L,
         "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false "
         "(container \"a\" must set securityContext.allowPrivilegeEscalation=false), "
         "unrestricted capabilities (container \"a\" must set "
         "securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container "
         "\"a\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "
         "\"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
         "\"Localhost\")"},
        {"the same pod at v1.21: no capabilities_restricted (1.22) nor runAsUser (1.23) yet",
         POD("  securityContext: {runAsUser: 0}\n  containers: [{name: a}]\n"), R, 21,
         "violates PodSecurity \"restricted:v1.21\": allowPrivilegeEscalation != false "
         "(container \"a\" must set securityContext.allowPrivilegeEscalation=false), "
         "runAsNonRoot != true (pod or container \"a\" must set "
         "securityContext.runAsNonRoot=true), seccompProfile (pod or container \"a\" must set "
         "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"},
        {"a restricted pod",
         POD("  securityContext:\n    runAsNonRoot: true\n"
             "    seccompProfile: {type: RuntimeDefault}\n"
             "  containers:\n  - name: a\n    securityContext:\n"
             "      allowPrivilegeEscalation: false\n"
             "      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}\n"),
         R, L, NULL},
        {"runAsUser 0 with hostUsers false: allowed from 1.35",
         POD("  hostUsers: false\n"
             "  securityContext: {runAsUser: 0, runAsNonRoot: false, seccompProfile: {type: "
             "RuntimeDefault}}\n"
             "  containers: [{name: a, securityContext: {allowPrivilegeEscalation: false, "
             "capabilities: {drop: [ALL]}}}]\n"),
         R, 35, NULL},
        {"... and refused at 1.34",
         POD("  hostUsers: false\n"
             "  securityContext: {runAsUser: 0, runAsNonRoot: false, seccompProfile: {type: "
             "RuntimeDefault}}\n"
             "  containers: [{name: a, securityContext: {allowPrivilegeEscalation: false, "
             "capabilities: {drop: [ALL]}}}]\n"),
         R, 34,
         "violates PodSecurity \"restricted:v1.34\": runAsNonRoot != true (pod must not set "
         "securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0)"},
        {"capabilities beyond the baseline set, sorted and counted once",
         POD("  containers:\n"
             "  - {name: a, securityContext: {capabilities: {add: [SYS_TIME, NET_ADMIN]}}}\n"
             "  - {name: b, securityContext: {capabilities: {add: [NET_ADMIN, CHOWN]}}}\n"),
         B, L,
         "violates PodSecurity \"baseline:latest\": non-default capabilities (containers \"a\", "
         "\"b\" must not include \"NET_ADMIN\", \"SYS_TIME\" in "
         "securityContext.capabilities.add)"},
        {"a hostPath volume at baseline",
         POD("  volumes: [{name: logs, hostPath: {path: /}}]\n"
             "  containers: [{name: a}]\n"),
         B, L, "violates PodSecurity \"baseline:latest\": hostPath volumes (volume \"logs\")"},
        {"... is a restricted volume type at restricted, said once",
         POD("  securityContext: {runAsNonRoot: true, seccompProfile: {type: Localhost}}\n"
             "  volumes: [{name: logs, hostPath: {path: /}}, {name: d, emptyDir: {}},"
             " {name: share, nfs: {server: x, path: /}}]\n"
             "  containers: [{name: a, securityContext: {allowPrivilegeEscalation: false, "
             "capabilities: {drop: [ALL]}}}]\n"),
         R, L,
         "violates PodSecurity \"restricted:latest\": restricted volume types (volumes "
         "\"logs\", \"share\" use restricted volume types \"hostPath\", \"nfs\")"},
        {"hostPorts of init and app containers",
         POD("  initContainers: [{name: i, ports: [{containerPort: 1, hostPort: 8080}]}]\n"
             "  containers: [{name: a, ports: [{containerPort: 80, hostPort: 80}, "
             "{containerPort: 81}]}]\n"),
         B, L,
         "violates PodSecurity \"baseline:latest\": hostPort (containers \"i\", \"a\" use "
         "hostPorts 80, 8080)"},
        {"net.ipv4.tcp_rmem is unsafe at 1.31",
         POD("  securityContext: {sysctls: [{name: net.ipv4.tcp_rmem, value: '1 2 3'}, "
             "{name: kernel.msgmax, value: '1'}]}\n  containers: [{name: a}]\n"),
         B, 31,
         "violates PodSecurity \"baseline:v1.31\": forbidden sysctls (net.ipv4.tcp_rmem, "
         "kernel.msgmax)"},
        {"... and safe from 1.32",
         POD("  securityContext: {sysctls: [{name: net.ipv4.tcp_rmem, value: '1 2 3'}]}\n"
             "  containers: [{name: a}]\n"),
         B, 32, NULL},
        {"seccomp annotations before 1.19",
         "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
         "    seccomp.security.alpha.kubernetes.io/pod: unconfined\n"
         "    container.seccomp.security.alpha.kubernetes.io/a: runtime/default\n"
         "spec:\n  containers: [{name: a}]\n",
         B, 18,
         "violates PodSecurity \"baseline:v1.18\": seccompProfile (forbidden annotation "
         "seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"},
        {"seccompProfile Unconfined from 1.19",
         POD("  securityContext: {seccompProfile: {type: Unconfined}}\n"
             "  containers: [{name: a, securityContext: {seccompProfile: {type: Unconfined}}}]\n"),
         B, L,
         "violates PodSecurity \"baseline:latest\": seccompProfile (pod and container \"a\" must "
         "not set securityContext.seccompProfile.type to \"Unconfined\")"},
        {"procMount Unmasked, and AppArmor unconfined",
         POD("  securityContext: {appArmorProfile: {type: Unconfined}}\n"
             "  containers: [{name: a, securityContext: {procMount: Unmasked}}]\n"),
         B, L,
         "violates PodSecurity \"baseline:latest\": forbidden AppArmor profile (pod must not "
         "set AppArmor profile type to \"Unconfined\"), procMount (container \"a\" must not set "
         "securityContext.procMount to \"Unmasked\")"},
        {"SELinux type, user and role",
         POD("  containers: [{name: a, securityContext: {seLinuxOptions: {type: spc_t, user: u, "
             "role: r}}}]\n"),
         B, L,
         "violates PodSecurity \"baseline:latest\": seLinuxOptions (container \"a\" set "
         "forbidden securityContext.seLinuxOptions: type \"spc_t\"; user may not be set; role "
         "may not be set)"},
        {"a probe's host, from 1.34",
         POD("  containers: [{name: a, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]\n"),
         B, 34,
         "violates PodSecurity \"baseline:v1.34\": probe or lifecycle host (container \"a\" uses "
         "probe or lifecycle host \"10.0.0.1\")"},
        {"... not checked at 1.33",
         POD("  containers: [{name: a, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]\n"),
         B, 33, NULL},
        {"privileged allows anything", POD("  hostPID: true\n  containers: [{name: a}]\n"),
         SECURITY_PSS_PRIVILEGED, L, NULL},
        {"a version past the newest is the newest",
         POD("  hostIPC: true\n  containers: [{name: a}]\n"), B, 99,
         "violates PodSecurity \"baseline:v1.99\": host namespaces (hostIPC=true)"},
};

START_TEST(test_messages)
{
	_cleanup_json_ json_t *pod = yaml(message_rows[_i].pod);
	_cleanup_(security_pss_result_done) struct security_pss_result r = {0};
	_cleanup_free_ char *message = NULL;

	ck_assert_int_eq(
	        security_pss_evaluate(pod, message_rows[_i].level, message_rows[_i].version, &r),
	        0);
	message = security_pss_message(&r, message_rows[_i].level, message_rows[_i].version);
	ck_assert_ptr_nonnull(message);
	if (!message_rows[_i].message)
		ck_assert_msg(r.n == 0, "%s: %s", message_rows[_i].name, message);
	else
		ck_assert_msg(strcmp(message, message_rows[_i].message) == 0,
		              "%s:\n got %s\nwant %s", message_rows[_i].name, message,
		              message_rows[_i].message);
}
END_TEST

static const struct {
	const char *pod;
	enum security_pss_level highest;
} highest_rows[] = {
        {POD("  containers: [{name: a}]\n"), SECURITY_PSS_BASELINE},
        {POD("  hostNetwork: true\n  containers: [{name: a}]\n"), SECURITY_PSS_PRIVILEGED},
        {POD("  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
             "  containers: [{name: a, securityContext: {allowPrivilegeEscalation: false, "
             "capabilities: {drop: [ALL]}}}]\n"),
         SECURITY_PSS_RESTRICTED},
        {"{}", SECURITY_PSS_RESTRICTED}, /* no containers, nothing to fail */
};

START_TEST(test_highest)
{
	_cleanup_json_ json_t *pod = yaml(highest_rows[_i].pod);
	enum security_pss_level level = -1;

	ck_assert_int_eq(security_pss_highest(pod, SECURITY_PSS_LATEST, &level), 0);
	ck_assert_str_eq(security_pss_level_name(level),
	                 security_pss_level_name(highest_rows[_i].highest));
}
END_TEST

static const struct {
	const char *text;
	int minor; /* -2: refused */
} version_rows[] = {
        {"latest", SECURITY_PSS_LATEST},
        {"v1.0", 0},
        {"v1.25", 25},
        {"v1.137", 137},
        {"v1.01", -2},
        {"1.25", -2},
        {"v2.0", -2},
        {"v1.", -2},
        {"v1.2x", -2},
        {"", -2},
        {"Latest", -2},
};

START_TEST(test_versions)
{
	int minor = -2;
	int r = security_pss_version_parse(version_rows[_i].text, &minor);

	if (version_rows[_i].minor == -2) {
		ck_assert_int_eq(r, -EINVAL);
	} else {
		char back[16];

		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(minor, version_rows[_i].minor);
		security_pss_version_name(minor, back, sizeof(back));
		ck_assert_str_eq(back, version_rows[_i].text);
	}
}
END_TEST

START_TEST(test_levels)
{
	enum security_pss_level level;

	for (int i = SECURITY_PSS_PRIVILEGED; i <= SECURITY_PSS_RESTRICTED; i++) {
		ck_assert_int_eq(security_pss_level_parse(security_pss_level_name(i), &level), 0);
		ck_assert_int_eq(level, i);
	}
	ck_assert_int_eq(security_pss_level_parse("Baseline", &level), -EINVAL);
	ck_assert_int_eq(security_pss_level_parse(NULL, &level), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pss");
	TCase *tc = tcase_create("pss");

	tcase_add_loop_test(tc, test_kubernetes_fixtures, 0, ELEMENTSOF(fixture_files));
	tcase_add_loop_test(tc, test_messages, 0, ELEMENTSOF(message_rows));
	tcase_add_loop_test(tc, test_highest, 0, ELEMENTSOF(highest_rows));
	tcase_add_loop_test(tc, test_versions, 0, ELEMENTSOF(version_rows));
	tcase_add_test(tc, test_levels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
