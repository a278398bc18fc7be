/* pkg/security/pss_restricted.c: the restricted Pod Security Standard's own checks (a
 * restricted pod must also pass the baseline checks they do not replace: pss.c decides), each a
 * transcription of kubernetes/pod-security-admission's policy/check_*.go, worded as Kubernetes
 * words them. Pure, as pss_baseline.c.
 */
#include <string.h>

#include "pss_internal.h"

/* ---- restricted ----------------------------------------------------------------------------- */

int pss_allow_privilege_escalation_1_8(const json_t *meta, const json_t *spec,
                                       struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		/* nil or true: only an explicit false is allowed */
		if (!json_is_false(
		            pss_get(pss_get(c, "securityContext"), "allowPrivilegeEscalation")))
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&bad);

		return pss_forbid(o, "allowPrivilegeEscalation != false",
		                  who ? strdupf("%s must set "
		                                "securityContext.allowPrivilegeEscalation=false",
		                                who)
		                      : NULL);
	}
	return 0;
}

int pss_allow_privilege_escalation_1_25(const json_t *meta, const json_t *spec,
                                        struct pss_outcome *o)
{
	return pss_windows_pod(spec) ? 0 : pss_allow_privilege_escalation_1_8(meta, spec, o);
}

int pss_capabilities_restricted_1_22(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names no_drop = {0}, adding = {0}, caps = {0},
	                                           details = {0};
	const json_t *c, *cap;
	size_t i;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		const json_t *capabilities = pss_get(pss_get(c, "securityContext"), "capabilities");
		bool dropped_all = false, added = false;

		if (!capabilities) {
			r |= pss_names_add(&no_drop, pss_name_of(c));
			continue;
		}
		json_array_foreach(pss_get(capabilities, "drop"), i, cap)
		{
			dropped_all |= strcmp(json_string_value(cap) ?: "", "ALL") == 0;
		}
		if (!dropped_all)
			r |= pss_names_add(&no_drop, pss_name_of(c));
		json_array_foreach(pss_get(capabilities, "add"), i, cap)
		{
			const char *name = json_string_value(cap) ?: "";

			if (strcmp(name, "NET_BIND_SERVICE") != 0) {
				added = true;
				r |= pss_set_add(&caps, name);
			}
		}
		if (added)
			r |= pss_names_add(&adding, pss_name_of(c));
	}
	if (no_drop.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&no_drop);

		r |= pss_names_add_owned(
		        &details, who ? strdupf("%s must set "
		                                "securityContext.capabilities.drop=[\"ALL\"]",
		                                who)
		                      : NULL);
	}
	if (adding.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&adding);
		_cleanup_free_ char *what = pss_join_quote(pss_sorted(&caps));

		r |= pss_names_add_owned(&details,
		                         who && what ? strdupf("%s must not include %s in "
		                                               "securityContext.capabilities.add",
		                                               who, what)
		                                     : NULL);
	}
	if (r < 0)
		return -ENOMEM;
	return details.n > 0
	               ? pss_forbid(o, "unrestricted capabilities", pss_join(&details, "; ", false))
	               : 0;
}

int pss_capabilities_restricted_1_25(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return pss_windows_pod(spec) ? 0 : pss_capabilities_restricted_1_22(meta, spec, o);
}

/* VolumeSource members a restricted pod may use. */
static const char *const allowed_volume_types[] = {
        "configMap", "csi",   "downwardAPI",           "emptyDir",
        "ephemeral", "image", "persistentVolumeClaim", "projected",
        "secret",
};

/* The others, in the order Kubernetes' switch tries them: the first one present names it. */
static const char *const restricted_volume_types[] = {
        "hostPath",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "gitRepo",
        "nfs",
        "iscsi",
        "glusterfs",
        "rbd",
        "flexVolume",
        "cinder",
        "cephfs",
        "flocker",
        "fc",
        "azureFile",
        "vsphereVolume",
        "quobyte",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "storageos",
};

int pss_restricted_volumes_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names bad = {0}, types = {0};
	const json_t *v;
	size_t i;
	int r = 0;

	(void)meta;
	json_array_foreach(pss_get(spec, "volumes"), i, v)
	{
		const char *type = "unknown";
		bool allowed = false;

		for (size_t j = 0; j < ELEMENTSOF(allowed_volume_types); j++)
			allowed |= pss_get(v, allowed_volume_types[j]) != NULL;
		/* a volume of a name only is an emptyDir: the API server's defaulting makes it one
		 * before admission sees it (SetDefaults_Volume) */
		if (allowed || (json_object_size(v) == 1 && pss_get(v, "name")))
			continue;
		for (size_t j = 0; j < ELEMENTSOF(restricted_volume_types); j++)
			if (pss_get(v, restricted_volume_types[j])) {
				type = restricted_volume_types[j];
				break;
			}
		r |= pss_names_add(&bad, pss_name_of(v));
		r |= pss_set_add(&types, type);
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *names = pss_join_quote(&bad),
		                    *what = pss_join_quote(pss_sorted(&types));

		return pss_forbid(
		        o, "restricted volume types",
		        names && what ? strdupf("%s %s %s %s %s",
		                                pss_pluralize("volume", "volumes", bad.n), names,
		                                pss_pluralize("uses", "use", bad.n),
		                                pss_pluralize("restricted volume type",
		                                              "restricted volume types", types.n),
		                                what)
		                      : NULL);
	}
	return 0;
}

int pss_run_as_non_root_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names setters = {0}, bad = {0}, implicit = {0};
	const json_t *pod = pss_get(pss_get(spec, "securityContext"), "runAsNonRoot"), *c;
	bool pod_non_root = false;
	int r = 0;

	(void)meta;
	if (pod) {
		if (!json_is_true(pod))
			r |= pss_names_add(&setters, "pod");
		else
			pod_non_root = true;
	}
	pss_for_each_container(spec, c)
	{
		const json_t *v = pss_get(pss_get(c, "securityContext"), "runAsNonRoot");

		if (v) {
			if (!json_is_true(v))
				r |= pss_names_add(&bad, pss_name_of(c));
		} else if (!pod_non_root) {
			r |= pss_names_add(&implicit, pss_name_of(c));
		}
	}
	if (bad.n > 0)
		r |= pss_names_add_owned(&setters, pss_containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = pss_join(&setters, " and ", false);

		return pss_forbid(
		        o, "runAsNonRoot != true",
		        who ? strdupf("%s must not set securityContext.runAsNonRoot=false", who)
		            : NULL);
	}
	if (implicit.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&implicit);

		return pss_forbid(
		        o, "runAsNonRoot != true",
		        who ? strdupf("pod or %s must set securityContext.runAsNonRoot=true", who)
		            : NULL);
	}
	return 0;
}

int pss_run_as_non_root_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return pss_user_namespace_pod(spec) ? 0 : pss_run_as_non_root_1_0(meta, spec, o);
}

static bool run_as_root(const json_t *security_context)
{
	const json_t *v = pss_get(security_context, "runAsUser");

	return json_is_integer(v) && json_integer_value(v) == 0;
}

int pss_run_as_user_1_23(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names setters = {0}, bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	if (run_as_root(pss_get(spec, "securityContext")))
		r |= pss_names_add(&setters, "pod");
	pss_for_each_container(spec, c)
	{
		if (run_as_root(pss_get(c, "securityContext")))
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (bad.n > 0)
		r |= pss_names_add_owned(&setters, pss_containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = pss_join(&setters, " and ", false);

		return pss_forbid(o, "runAsUser=0",
		                  who ? strdupf("%s must not set runAsUser=0", who) : NULL);
	}
	return 0;
}

int pss_run_as_user_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return pss_user_namespace_pod(spec) ? 0 : pss_run_as_user_1_23(meta, spec, o);
}

int pss_seccomp_restricted_1_19(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return pss_seccomp_profile(spec, true, o);
}

int pss_seccomp_restricted_1_25(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return pss_windows_pod(spec) ? 0 : pss_seccomp_restricted_1_19(meta, spec, o);
}
