/* pkg/security/pss_internal.h: what the Pod Security Standards' files share. Not a public
 * header: nothing outside pkg/security includes it.
 *
 *   pss.c             levels, versions, which checks a level and version runs, the message
 *   pss_baseline.c    the baseline checks
 *   pss_restricted.c  the restricted checks
 *   pss_read.c        reading the Pod's JSON, and lists of names in Kubernetes' words
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

/* ---- pss_read.c ---------------------------------------------------------------------------- */

/* A field the way Go sees a pointer: absent and null are both nil (NULL). */
const json_t *pss_get(const json_t *o, const char *key);
const char *pss_str(const json_t *o, const char *key); /* a string field, or NULL */
const char *pss_name_of(const json_t *item);           /* its "name", or "" */
bool pss_is_true(const json_t *o, const char *key);
/* podSpec.OS.Name == "windows": the 1.25 versions of some restricted checks skip such pods. */
bool pss_windows_pod(const json_t *spec);
/* relaxPolicyForUserNamespacePod: hostUsers is false. */
bool pss_user_namespace_pod(const json_t *spec);

/* visitContainers: init containers, then containers, then ephemeral containers. */
static const char *const pss_container_lists[] = {"initContainers", "containers",
                                                  "ephemeralContainers"};

#define pss_for_each_container(spec, c)                                                            \
	for (size_t l_ = 0; l_ < ELEMENTSOF(pss_container_lists); l_++)                            \
		for (size_t i_ = 0;                                                                \
		     ((c) = json_array_get(pss_get(spec, pss_container_lists[l_]), i_)) != NULL;   \
		     i_++)

/* A list of strings: in order (a Go slice), or sorted without duplicates (a sets.String, whose
 * List() is sorted). Adding takes 0 or -ENOMEM, so that calls can be or-ed into one result. */
struct pss_names {
	char **v;
	size_t n;
};

void pss_names_done(struct pss_names *l);
int pss_names_add_owned(struct pss_names *l, char *s); /* takes s, NULL: -ENOMEM */
int pss_names_add(struct pss_names *l, const char *s);
bool pss_names_has(const struct pss_names *l, const char *s);
int pss_set_add(struct pss_names *l, const char *s);     /* insert into a set */
const struct pss_names *pss_sorted(struct pss_names *l); /* a set's List() */
/* strings.Join; with quote, joinQuote's `"a", "b"`. NULL on ENOMEM. */
char *pss_join(const struct pss_names *l, const char *sep, bool quote);
char *pss_join_quote(const struct pss_names *l);
const char *pss_pluralize(const char *singular, const char *plural, size_t n);
char *pss_go_quote(const char *s); /* Go's %q */
/* "container \"a\"", "containers \"a\", \"b\"". */
char *pss_containers_phrase(const struct pss_names *l);
/* A forbidden outcome: 1, or -ENOMEM for a NULL detail (taken). */
int pss_forbid(struct pss_outcome *o, const char *reason, char *detail);

/* ---- the checks (pss_baseline.c, pss_restricted.c) ---------------------------------------------
 * One function per check and version, named after Kubernetes' own (privileged_1_0,
 * seccompProfileRestricted_1_19...). */

/* Both seccompProfile checks: restricted also wants every container to have one (its own or
 * the pod's). */
int pss_seccomp_profile(const json_t *spec, bool required, struct pss_outcome *o);

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
