/* daemon/admission.c: Pod Security admission, transcribed from pod-security-admission's
 * admission.go (EvaluatePod): enforce first; audit reuses enforce's result when its level and
 * version are the same; warnings only for a Pod that is admitted ("avoid adding warnings to a
 * request we're already going to reject with an error"). The checks and their words are
 * pkg/security's. Nothing here answers HTTP or writes the audit log. */
#include "admission.h"

#include <string.h>

#define ANNOTATION_ENFORCE_POLICY  "pod-security.kubernetes.io/enforce-policy"
#define ANNOTATION_AUDIT_VIOLATION "pod-security.kubernetes.io/audit-violations"

void admission_mode_name(const struct config_pss_mode *mode, char *buf, size_t size)
{
	char v[16];

	security_pss_version_name(mode->version, v, sizeof(v));
	snprintf(buf, size, "%s:%s", security_pss_level_name(mode->level), v);
}

void admission_pss_done(struct admission_pss *a)
{
	if (!a)
		return;
	free(a->forbidden);
	strv_free(a->warnings);
	json_decref(a->annotations);
	*a = (struct admission_pss){0};
}

static bool same_mode(const struct config_pss_mode *a, const struct config_pss_mode *b)
{
	return a->level == b->level && a->version == b->version;
}

static int evaluate(const json_t *pod, const struct config_pss_mode *mode,
                    struct security_pss_result *out)
{
	*out = (struct security_pss_result){0};
	return security_pss_evaluate(pod, mode->level, mode->version, out);
}

static int admit(const struct config_pod_security *ps, const char *ns, const char *name,
                 const json_t *pod, struct admission_pss *out)
{
	_cleanup_(security_pss_result_done) struct security_pss_result enforce = {0}, audit = {0},
	                                                               warn = {0};
	const struct security_pss_result *audit_result = &enforce;
	struct config_pss_policy policy;
	char mode[32];

	*out = (struct admission_pss){0};
	config_pod_security_for(ps, ns, &policy);
	out->annotations = json_object();
	if (!out->annotations)
		return -ENOMEM;
	admission_mode_name(&policy.enforce, mode, sizeof(mode));
	if (json_object_set_new(out->annotations, ANNOTATION_ENFORCE_POLICY, json_string(mode)) < 0)
		return -ENOMEM;

	if (evaluate(pod, &policy.enforce, &enforce) < 0)
		return -ENOMEM;
	if (enforce.n > 0) {
		_cleanup_free_ char *why = security_pss_message(&enforce, policy.enforce.level,
		                                                policy.enforce.version);

		/* apierrors.NewForbidden: `pods "x" is forbidden: ...`, without a name
		 * `pods is forbidden: ...` */
		out->forbidden = !why ? NULL
		                 : name && *name
		                         ? strdupf("pods \"%s\" is forbidden: %s", name, why)
		                         : strdupf("pods is forbidden: %s", why);
		if (!out->forbidden)
			return -ENOMEM;
	}

	if (!same_mode(&policy.audit, &policy.enforce)) {
		if (evaluate(pod, &policy.audit, &audit) < 0)
			return -ENOMEM;
		audit_result = &audit;
	}
	if (audit_result->n > 0) {
		_cleanup_free_ char *text = security_pss_warning(audit_result, policy.audit.level,
		                                                 policy.audit.version);

		if (!text || json_object_set_new(out->annotations, ANNOTATION_AUDIT_VIOLATION,
		                                 json_string(text)) < 0)
			return -ENOMEM;
	}

	if (out->forbidden)
		return 0;
	if (evaluate(pod, &policy.warn, &warn) < 0)
		return -ENOMEM;
	if (warn.n > 0 && strv_push(&out->warnings, security_pss_warning(&warn, policy.warn.level,
	                                                                 policy.warn.version)) < 0)
		return -ENOMEM;
	return 0;
}

int admission_pod_security(const struct config_pod_security *ps, const char *ns, const char *name,
                           const json_t *pod, struct admission_pss *out)
{
	int r = admit(ps, ns, name, pod, out);

	if (r < 0)
		admission_pss_done(out);
	return r;
}
