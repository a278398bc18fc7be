/* daemon/admission_sysctl.c: the kubelet's sysctl admission (pkg/kubelet/sysctl/allowlist.go),
 * run on a Pod the API server's rules have passed: every sysctl in the safe set or matched by
 * allowed_unsafe_sysctls. The kubelet admits a pod it already holds and fails it (phase Failed,
 * reason SysctlForbidden); nanolet is the API server and the kubelet at once and decides before
 * anything exists, so the refusal is the create's answer, in the kubelet's words. Pure: the
 * routes answer with what it decides. */
#include "admission.h"

int admission_sysctls(char *const *allowed_unsafe, const struct spec_pod *pod, char **forbidden,
                      size_t *index)
{
	const struct spec_pod_security_context *sc = &pod->security_context;

	*forbidden = NULL;
	/* the kubelet stops at the first sysctl it refuses */
	for (size_t i = 0; i < sc->n_sysctls; i++) {
		int r = security_sysctl_admit(sc->sysctls[i].name, allowed_unsafe,
		                              pod->host_network, pod->host_ipc, forbidden);

		if (r < 0 || *forbidden) {
			*index = sc->sysctls[i].index;
			return r;
		}
	}
	return 0;
}
