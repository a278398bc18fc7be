/* daemon/admission.h: the Pod Security Standards enforced by the node, as the API server's
 * PodSecurity admission plugin runs them on a Pod that is created: the namespace's policy
 * (config_pod_security_for), then enforce (a refusal, 403), warn (Warning headers: only when
 * the Pod is admitted) and audit (the annotations of the request's audit event). Dry runs and
 * isolation plans are admitted the same way, as the API server admits dry runs. Pure: no I/O,
 * no clock; the routes act on what it decides. */
#pragma once

#include <jansson.h>

#include "config.h"
#include "spec/spec.h"

struct admission_pss {
	/* enforce failed: the Status message, `pods "x" is forbidden: violates PodSecurity
	 * "baseline:latest": host namespaces (hostPID=true)`; NULL when the Pod is admitted */
	char *forbidden;
	/* warn failed (and the Pod is admitted): `would violate PodSecurity "...": ...` */
	char **warnings;
	/* the audit event's: pod-security.kubernetes.io/enforce-policy always, and
	 * pod-security.kubernetes.io/audit-violations when audit failed */
	json_t *annotations;
};

/* Admits pod (a core/v1 Pod as JSON, spec_pod.object) named name in ns. 0 or -ENOMEM. */
int admission_pod_security(const struct config_pod_security *ps, const char *ns, const char *name,
                           const json_t *pod, struct admission_pss *out);
void admission_pss_done(struct admission_pss *a);

/* "baseline:v1.30": a mode as pod-security-admission's LevelVersion.String() writes it. buf of
 * at least 32 bytes. */
void admission_mode_name(const struct config_pss_mode *mode, char *buf, size_t size);

/* The kubelet's sysctl admission (admission_sysctl.c): *forbidden NULL when every sysctl of pod
 * is safe or allowed by allowed_unsafe (config allowed_unsafe_sysctls), else the kubelet's
 * message for the first one refused ("forbidden sysctl: \"net.core.somaxconn\" not
 * allowlisted", reason SysctlForbidden) and *index its position in
 * spec.securityContext.sysctls. 0 or -ENOMEM. */
#define ADMISSION_SYSCTL_REASON "SysctlForbidden"
int admission_sysctls(char *const *allowed_unsafe, const struct spec_pod *pod, char **forbidden,
                      size_t *index);
