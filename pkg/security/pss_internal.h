/* pkg/security/pss_internal.h: what pss.c (levels, versions, which checks run, the message) and
 * pss_checks.c (the checks) share. Not a public header: nothing outside pkg/security includes
 * it.
 */
#pragma once

#include "security.h"

/* One check's verdict on a Pod, as pod-security-admission's CheckResult: allowed, or the
 * reason (static) and the detail (malloc'd, "" for none). */
struct pss_outcome {
	const char *reason;
	char *detail;
};

/* A check of one version: 0 allowed, 1 forbidden (o filled), -ENOMEM. meta and spec are the
 * Pod's metadata and spec objects (an absent one is an empty object). */
typedef int (*pss_check_fn)(const json_t *meta, const json_t *spec, struct pss_outcome *o);

/* pss_checks.c: one function per check and version, named after Kubernetes' own
 * (privileged_1_0, seccompProfileRestricted_1_19...). */
int pss_app_armor_profile_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_capabilities_baseline_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_host_namespaces_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_host_path_volumes_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_host_ports_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_host_probes_1_34(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_privileged_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_proc_mount_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_proc_mount_baseline_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_se_linux_options_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_se_linux_options_1_31(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_seccomp_baseline_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_seccomp_baseline_1_19(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_sysctls_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_sysctls_1_27(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_sysctls_1_29(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_sysctls_1_32(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_sysctls_1_37(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_windows_host_process_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_allow_privilege_escalation_1_8(const json_t *meta, const json_t *spec,
                                       struct pss_outcome *o);
int pss_allow_privilege_escalation_1_25(const json_t *meta, const json_t *spec,
                                        struct pss_outcome *o);
int pss_capabilities_restricted_1_22(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_capabilities_restricted_1_25(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_restricted_volumes_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_run_as_non_root_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_run_as_non_root_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_run_as_user_1_23(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_run_as_user_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_seccomp_restricted_1_19(const json_t *meta, const json_t *spec, struct pss_outcome *o);
int pss_seccomp_restricted_1_25(const json_t *meta, const json_t *spec, struct pss_outcome *o);
