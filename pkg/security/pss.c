/* pkg/security/pss.c: the Pod Security Standards (privileged, baseline, restricted) as
 * Kubernetes' pod-security-admission evaluates them: which checks a level and version runs
 * (policy/registry.go), in which order, and the message admission answers with. The checks
 * themselves are pss_checks.c.
 *
 * Pure: a Pod's JSON in, violations out; no I/O. `nanolet explain --fail-on` uses it, and the
 * node's admission (issue 17) is to use it with the same words.
 */
#include <string.h>

#include "pss_internal.h"

enum {
	BASELINE = SECURITY_PSS_BASELINE,
	RESTRICTED = SECURITY_PSS_RESTRICTED,
};

#define MAX_VERSIONS 6

struct versioned {
	int minor; /* the version from which fn applies: v1.minor */
	pss_check_fn fn;
	const char *overrides; /* restricted: the baseline check it replaces at this version */
};

struct check {
	const char *id;
	int level;
	struct versioned versions[MAX_VERSIONS]; /* increasing, ended by fn NULL */
};

/* Kubernetes' checks, baseline first, each level's in the order of its IDs (registry.go sorts
 * them so): that is the order of the violations, and so of the message. */
static const struct check checks[] = {
        {"appArmorProfile", BASELINE, {{0, pss_app_armor_profile_1_0, NULL}}},
        {"capabilities_baseline", BASELINE, {{0, pss_capabilities_baseline_1_0, NULL}}},
        {"hostNamespaces", BASELINE, {{0, pss_host_namespaces_1_0, NULL}}},
        {"hostPathVolumes", BASELINE, {{0, pss_host_path_volumes_1_0, NULL}}},
        {"hostPorts", BASELINE, {{0, pss_host_ports_1_0, NULL}}},
        {"hostProbesAndHostLifecycle", BASELINE, {{34, pss_host_probes_1_34, NULL}}},
        {"privileged", BASELINE, {{0, pss_privileged_1_0, NULL}}},
        {"procMount",
         BASELINE,
         {{0, pss_proc_mount_1_0, NULL}, {35, pss_proc_mount_baseline_1_35, NULL}}},
        {"seLinuxOptions",
         BASELINE,
         {{0, pss_se_linux_options_1_0, NULL}, {31, pss_se_linux_options_1_31, NULL}}},
        {"seccompProfile_baseline",
         BASELINE,
         {{0, pss_seccomp_baseline_1_0, NULL}, {19, pss_seccomp_baseline_1_19, NULL}}},
        {"sysctls",
         BASELINE,
         {{0, pss_sysctls_1_0, NULL},
          {27, pss_sysctls_1_27, NULL},
          {29, pss_sysctls_1_29, NULL},
          {32, pss_sysctls_1_32, NULL},
          {37, pss_sysctls_1_37, NULL}}},
        {"windowsHostProcess", BASELINE, {{0, pss_windows_host_process_1_0, NULL}}},
        {"allowPrivilegeEscalation",
         RESTRICTED,
         {{8, pss_allow_privilege_escalation_1_8, NULL},
          {25, pss_allow_privilege_escalation_1_25, NULL}}},
        {"capabilities_restricted",
         RESTRICTED,
         {{22, pss_capabilities_restricted_1_22, "capabilities_baseline"},
          {25, pss_capabilities_restricted_1_25, "capabilities_baseline"}}},
        {"procMount_restricted", RESTRICTED, {{35, pss_proc_mount_1_0, "procMount"}}},
        {"restrictedVolumes", RESTRICTED, {{0, pss_restricted_volumes_1_0, "hostPathVolumes"}}},
        {"runAsNonRoot",
         RESTRICTED,
         {{0, pss_run_as_non_root_1_0, NULL}, {35, pss_run_as_non_root_1_35, NULL}}},
        {"runAsUser",
         RESTRICTED,
         {{23, pss_run_as_user_1_23, NULL}, {35, pss_run_as_user_1_35, NULL}}},
        {"seccompProfile_restricted",
         RESTRICTED,
         {{19, pss_seccomp_restricted_1_19, "seccompProfile_baseline"},
          {25, pss_seccomp_restricted_1_25, "seccompProfile_baseline"}}},
};

static const char *const level_names[] = {
        [SECURITY_PSS_PRIVILEGED] = "privileged",
        [SECURITY_PSS_BASELINE] = "baseline",
        [SECURITY_PSS_RESTRICTED] = "restricted",
};

const char *security_pss_level_name(enum security_pss_level level)
{
	return (size_t)level < ELEMENTSOF(level_names) ? level_names[level] : "unknown";
}

int security_pss_level_parse(const char *s, enum security_pss_level *out)
{
	for (size_t i = 0; s && i < ELEMENTSOF(level_names); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum security_pss_level)i;
			return 0;
		}
	return -EINVAL;
}

int security_pss_version_parse(const char *s, int *minor)
{
	char *end;
	long n;

	if (!s)
		return -EINVAL;
	if (strcmp(s, "latest") == 0) {
		*minor = SECURITY_PSS_LATEST;
		return 0;
	}
	/* ^v1\.([0-9]|[1-9][0-9]*)$, as api.ParseVersion */
	if (strncmp(s, "v1.", 3) != 0 || s[3] < '0' || s[3] > '9' || (s[3] == '0' && s[4]))
		return -EINVAL;
	errno = 0;
	n = strtol(s + 3, &end, 10);
	if (*end || errno || n > 1000000)
		return -EINVAL;
	*minor = (int)n;
	return 0;
}

void security_pss_version_name(int minor, char *buf, size_t size)
{
	if (minor == SECURITY_PSS_LATEST)
		snprintf(buf, size, "latest");
	else
		snprintf(buf, size, "v1.%d", minor);
}

/* The version of check c at minor, NULL when c does not exist yet then. */
static const struct versioned *at(const struct check *c, int minor)
{
	const struct versioned *found = NULL;

	for (size_t i = 0; i < MAX_VERSIONS && c->versions[i].fn; i++)
		if (c->versions[i].minor <= minor)
			found = &c->versions[i];
	return found;
}

/* Whether a restricted check replaces the baseline check id at minor. */
static bool overridden(const char *id, int minor)
{
	for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
		const struct versioned *v =
		        checks[i].level == RESTRICTED ? at(&checks[i], minor) : NULL;

		if (v && v->overrides && strcmp(v->overrides, id) == 0)
			return true;
	}
	return false;
}

void security_pss_result_done(struct security_pss_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->violations[i].detail);
	free(r->violations);
	*r = (struct security_pss_result){0};
}

static int add(struct security_pss_result *r, const char *id, struct pss_outcome *o)
{
	struct security_pss_violation *grown;

	grown = reallocarray(r->violations, r->n + 1, sizeof(*grown));
	if (!grown) {
		free(o->detail);
		return -ENOMEM;
	}
	r->violations = grown;
	r->violations[r->n++] = (struct security_pss_violation){
	        .check = id,
	        .reason = o->reason ? o->reason : "unknown forbidden reason",
	        .detail = o->detail,
	};
	return 0;
}

int security_pss_evaluate(const json_t *pod, enum security_pss_level level, int version,
                          struct security_pss_result *out)
{
	_cleanup_json_ json_t *empty = json_object();
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *spec = json_object_get(pod, "spec");
	int minor = version;
	int r;

	*out = (struct security_pss_result){0};
	if (!empty)
		return -ENOMEM;
	if (level == SECURITY_PSS_PRIVILEGED)
		return 0;
	/* latest, and versions past the newest Kubernetes nanolet knows, are the newest */
	if (minor < 0 || minor > SECURITY_PSS_NEWEST_MINOR)
		minor = SECURITY_PSS_NEWEST_MINOR;
	if (!json_is_object(meta))
		meta = empty;
	if (!json_is_object(spec))
		spec = empty;
	for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
		const struct check *c = &checks[i];
		const struct versioned *v = at(c, minor);
		struct pss_outcome o = {0};

		if (!v || (int)level < c->level)
			continue;
		if (level == SECURITY_PSS_RESTRICTED && c->level == BASELINE &&
		    overridden(c->id, minor))
			continue;
		r = v->fn(meta, spec, &o);
		if (r < 0)
			return security_pss_result_done(out), r;
		if (r > 0 && (r = add(out, c->id, &o)) < 0)
			return security_pss_result_done(out), r;
	}
	return 0;
}

static char *message(const char *verb, const struct security_pss_result *r,
                     enum security_pss_level level, int version)
{
	char v[16], *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	security_pss_version_name(version, v, sizeof(v));
	fprintf(f, "%s PodSecurity \"%s:%s\": ", verb, security_pss_level_name(level), v);
	for (size_t i = 0; i < r->n; i++) {
		const struct security_pss_violation *x = &r->violations[i];

		fprintf(f, "%s%s", i ? ", " : "", x->reason);
		if (x->detail && *x->detail)
			fprintf(f, " (%s)", x->detail);
	}
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

/* admission.go: enforce says "violates PodSecurity %q: %s", warn and audit "would violate
 * PodSecurity %q: %s", each with AggregateCheckResult.ForbiddenDetail */
char *security_pss_message(const struct security_pss_result *r, enum security_pss_level level,
                           int version)
{
	return message("violates", r, level, version);
}

char *security_pss_warning(const struct security_pss_result *r, enum security_pss_level level,
                           int version)
{
	return message("would violate", r, level, version);
}

int security_pss_highest(const json_t *pod, int version, enum security_pss_level *out)
{
	for (int level = SECURITY_PSS_RESTRICTED; level > SECURITY_PSS_PRIVILEGED; level--) {
		_cleanup_(security_pss_result_done) struct security_pss_result r = {0};
		int k = security_pss_evaluate(pod, (enum security_pss_level)level, version, &r);

		if (k < 0)
			return k;
		if (r.n == 0) {
			*out = (enum security_pss_level)level;
			return 0;
		}
	}
	*out = SECURITY_PSS_PRIVILEGED;
	return 0;
}
