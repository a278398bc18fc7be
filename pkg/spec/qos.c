/* pkg/spec/qos.c: the Pod's QoS class, and the names of spec enums as Kubernetes spells them.
 *
 * Pure: reads a decoded struct spec_pod, never the JSON object, and allocates nothing.
 */
#include "spec.h"

/* Kubernetes (pkg/apis/core/helper/qos GetPodQOS) counts a request or a limit only when its
 * quantity is not zero, so 0 here means the same as absent. */
static bool quantity_set(int64_t v)
{
	return v > 0;
}

enum spec_qos spec_pod_qos(const struct spec_pod *pod)
{
	bool any = false, guaranteed = true;

	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct spec_resources *r = &pod->containers[i].resources;

		if (quantity_set(r->cpu_request_milli) || quantity_set(r->cpu_limit_milli) ||
		    quantity_set(r->memory_request) || quantity_set(r->memory_limit))
			any = true;

		/* Guaranteed: every container limits both cpu and memory, and each request
		 * (defaulted from the limit when absent) equals its limit; a zero request next to a
		 * limit is not counted and so differs. Kubernetes compares the pod's sums; since
		 * validation keeps every request <= its limit, the sums are equal exactly when
		 * every container's are. */
		if (!quantity_set(r->cpu_limit_milli) || !quantity_set(r->memory_limit) ||
		    r->cpu_request_milli != r->cpu_limit_milli ||
		    r->memory_request != r->memory_limit)
			guaranteed = false;
	}

	if (!any)
		return SPEC_QOS_BESTEFFORT;
	if (guaranteed)
		return SPEC_QOS_GUARANTEED;
	return SPEC_QOS_BURSTABLE;
}

const char *spec_qos_name(enum spec_qos qos)
{
	switch (qos) {
	case SPEC_QOS_GUARANTEED:
		return "Guaranteed";
	case SPEC_QOS_BURSTABLE:
		return "Burstable";
	case SPEC_QOS_BESTEFFORT:
		return "BestEffort";
	}
	return "Unknown";
}

const char *spec_restart_policy_name(enum spec_restart_policy policy)
{
	switch (policy) {
	case SPEC_RESTART_ALWAYS:
		return "Always";
	case SPEC_RESTART_ON_FAILURE:
		return "OnFailure";
	case SPEC_RESTART_NEVER:
		return "Never";
	}
	return "Unknown";
}
