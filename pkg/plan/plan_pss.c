/* pkg/plan/plan_pss.c: the Pod Security Standards a plan reports: the highest level the pod
 * meets at latest, and the checks of the level above it that it fails, from pkg/security's
 * transcription of pod-security-admission. The daemon's plans and `nanolet explain` both read
 * them from here, so the two cannot differ. */
#include "plan_internal.h"

void plan_pod_security_done(struct plan_pod_security *ps)
{
	if (!ps)
		return;
	security_pss_result_done(&ps->next);
	free(ps->next_message);
	ps->next_message = NULL;
}

int plan_pod_security(const json_t *pod, struct plan_pod_security *out)
{
	enum security_pss_level next;
	int r;

	*out = (struct plan_pod_security){0};
	r = security_pss_highest(pod, SECURITY_PSS_LATEST, &out->level);
	if (r < 0 || out->level == SECURITY_PSS_RESTRICTED)
		return r;
	next = out->level + 1;
	r = security_pss_evaluate(pod, next, SECURITY_PSS_LATEST, &out->next);
	if (r < 0)
		return r;
	out->next_message = security_pss_message(&out->next, next, SECURITY_PSS_LATEST);
	if (!out->next_message) {
		plan_pod_security_done(out);
		return -ENOMEM;
	}
	return 0;
}
