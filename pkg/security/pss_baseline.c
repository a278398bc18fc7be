/* pkg/security/pss_baseline.c: the baseline Pod Security Standard's checks, one function per
 * check and version, each a transcription of kubernetes/pod-security-admission's
 * policy/check_*.go: the same fields read the same way (a pointer left nil is a key absent or
 * null), the same reasons, and details worded, ordered and pluralised byte for byte as Kubernetes
 * writes them, since people grep for those words and admission (issue 17) answers with them.
 *
 * Pure: no I/O; every check is 0 (allowed), 1 (forbidden, the outcome filled) or -ENOMEM.
 */
#include <string.h>

#include "pss_internal.h"

/* ---- baseline ------------------------------------------------------------------------------ */

static bool app_armor_type_allowed(const char *type)
{
	return type && (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0);
}

static bool app_armor_annotation_allowed(const char *value)
{
	return !*value || strcmp(value, "runtime/default") == 0 ||
	       strncmp(value, "localhost/", strlen("localhost/")) == 0;
}

#define APP_ARMOR_PREFIX "container.apparmor.security.beta.kubernetes.io/"

int pss_app_armor_profile_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names setters = {0}, values = {0}, bad = {0},
	                                           annotations = {0};
	const json_t *pod_profile = pss_get(pss_get(spec, "securityContext"), "appArmorProfile"),
	             *c, *v;
	const char *key;
	int r = 0;

	if (pod_profile && !app_armor_type_allowed(pss_str(pod_profile, "type"))) {
		r |= pss_names_add(&setters, "pod");
		r |= pss_set_add(&values, pss_str(pod_profile, "type") ?: "");
	}
	pss_for_each_container(spec, c)
	{
		const json_t *profile = pss_get(pss_get(c, "securityContext"), "appArmorProfile");

		if (profile && !app_armor_type_allowed(pss_str(profile, "type"))) {
			r |= pss_names_add(&bad, pss_name_of(c));
			r |= pss_set_add(&values, pss_str(profile, "type") ?: "");
		}
	}
	if (bad.n > 0)
		r |= pss_names_add_owned(&setters, pss_containers_phrase(&bad));
	json_object_foreach((json_t *)pss_get(meta, "annotations"), key, v)
	{
		const char *value = json_string_value(v) ?: "";
		_cleanup_free_ char *quoted = NULL;

		if (strncmp(key, APP_ARMOR_PREFIX, strlen(APP_ARMOR_PREFIX)) != 0 ||
		    app_armor_annotation_allowed(value))
			continue;
		quoted = pss_go_quote(value);
		r |= pss_names_add_owned(&annotations,
		                         quoted ? strdupf("%s=%s", key, quoted) : NULL);
	}
	if (r < 0)
		return -ENOMEM;
	pss_sorted(&values);
	if (annotations.n > 0) {
		pss_sorted(&annotations);
		for (size_t i = 0; i < annotations.n; i++)
			r |= pss_names_add(&values, annotations.v[i]);
		r |= pss_names_add(&setters,
		                   pss_pluralize("annotation", "annotations", annotations.n));
	}
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = pss_join(&setters, " and ", false);
		_cleanup_free_ char *what = pss_join_quote(&values);

		return pss_forbid(
		        o,
		        pss_pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles",
		                      values.n),
		        who && what
		                ? strdupf("%s must not set AppArmor profile type to %s", who, what)
		                : NULL);
	}
	return 0;
}

/* The capabilities a baseline container may add: the runtime's defaults but NET_RAW. */
static const char *const baseline_caps[] = {
        "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT",
};

static bool baseline_cap(const char *cap)
{
	for (size_t i = 0; i < ELEMENTSOF(baseline_caps); i++)
		if (strcmp(baseline_caps[i], cap) == 0)
			return true;
	return false;
}

int pss_capabilities_baseline_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names bad = {0}, caps = {0};
	const json_t *c, *cap;
	size_t i;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		bool valid = true;

		json_array_foreach(
		        pss_get(pss_get(pss_get(c, "securityContext"), "capabilities"), "add"), i,
		        cap)
		{
			const char *name = json_string_value(cap) ?: "";

			if (!baseline_cap(name)) {
				valid = false;
				r |= pss_set_add(&caps, name);
			}
		}
		if (!valid)
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&bad),
		                    *what = pss_join_quote(pss_sorted(&caps));

		return pss_forbid(o, "non-default capabilities",
		                  who && what ? strdupf("%s must not include %s in "
		                                        "securityContext.capabilities.add",
		                                        who, what)
		                              : NULL);
	}
	return 0;
}

int pss_host_namespaces_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names host = {0};
	int r = 0;

	(void)meta;
	if (pss_is_true(spec, "hostNetwork"))
		r |= pss_names_add(&host, "hostNetwork=true");
	if (pss_is_true(spec, "hostPID"))
		r |= pss_names_add(&host, "hostPID=true");
	if (pss_is_true(spec, "hostIPC"))
		r |= pss_names_add(&host, "hostIPC=true");
	if (r < 0)
		return -ENOMEM;
	return host.n > 0 ? pss_forbid(o, "host namespaces", pss_join(&host, ", ", false)) : 0;
}

int pss_host_path_volumes_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names volumes = {0};
	const json_t *v;
	size_t i;
	int r = 0;

	(void)meta;
	json_array_foreach(pss_get(spec, "volumes"), i, v)
	{
		if (pss_get(v, "hostPath"))
			r |= pss_names_add(&volumes, pss_name_of(v));
	}
	if (r < 0)
		return -ENOMEM;
	if (volumes.n > 0) {
		_cleanup_free_ char *names = pss_join_quote(&volumes);

		return pss_forbid(o, "hostPath volumes",
		                  names ? strdupf("%s %s",
		                                  pss_pluralize("volume", "volumes", volumes.n),
		                                  names)
		                        : NULL);
	}
	return 0;
}

int pss_host_ports_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names bad = {0}, ports = {0};
	const json_t *c, *port;
	size_t i;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		bool valid = true;

		json_array_foreach(pss_get(c, "ports"), i, port)
		{
			json_int_t host = json_integer_value(pss_get(port, "hostPort"));
			char text[24];

			if (host == 0)
				continue;
			valid = false;
			snprintf(text, sizeof(text), "%lld", (long long)host);
			r |= pss_set_add(&ports, text);
		}
		if (!valid)
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&bad);
		_cleanup_free_ char *what = pss_join(pss_sorted(&ports), ", ", false);

		return pss_forbid(
		        o, "hostPort",
		        who && what
		                ? strdupf("%s %s %s %s", who, pss_pluralize("uses", "use", bad.n),
		                          pss_pluralize("hostPort", "hostPorts", ports.n), what)
		                : NULL);
	}
	return 0;
}

/* The hosts a probe or lifecycle handler names in httpGet.host or tcpSocket.host. */
static int handler_hosts(const json_t *handler, struct pss_names *hosts, bool *found)
{
	static const char *const kinds[] = {"httpGet", "tcpSocket"};
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		const char *host = pss_str(pss_get(handler, kinds[i]), "host");

		if (host && *host) {
			*found = true;
			r |= pss_set_add(hosts, host);
		}
	}
	return r;
}

int pss_host_probes_1_34(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
	static const char *const hooks[] = {"postStart", "preStop"};
	_cleanup_(pss_names_done) struct pss_names bad = {0}, hosts = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		bool found = false;

		for (size_t i = 0; i < ELEMENTSOF(probes); i++)
			r |= handler_hosts(pss_get(c, probes[i]), &hosts, &found);
		for (size_t i = 0; i < ELEMENTSOF(hooks); i++)
			r |= handler_hosts(pss_get(pss_get(c, "lifecycle"), hooks[i]), &hosts,
			                   &found);
		if (found)
			r |= pss_set_add(&bad, pss_name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(pss_sorted(&bad));
		_cleanup_free_ char *what = pss_join_quote(pss_sorted(&hosts));

		return pss_forbid(
		        o, "probe or lifecycle host",
		        who && what
		                ? strdupf("%s %s %s %s", who, pss_pluralize("uses", "use", bad.n),
		                          pss_pluralize("probe or lifecycle host",
		                                        "probe or lifecycle hosts", hosts.n),
		                          what)
		                : NULL);
	}
	return 0;
}

int pss_privileged_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		if (pss_is_true(pss_get(c, "securityContext"), "privileged"))
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&bad);

		return pss_forbid(
		        o, "privileged",
		        who ? strdupf("%s must not set securityContext.privileged=true", who)
		            : NULL);
	}
	return 0;
}

int pss_proc_mount_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names bad = {0}, types = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		const json_t *mount = pss_get(pss_get(c, "securityContext"), "procMount");
		const char *type = json_string_value(mount) ?: "";

		if (!mount || strcmp(type, "Default") == 0)
			continue;
		r |= pss_names_add(&bad, pss_name_of(c));
		r |= pss_set_add(&types, type);
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&bad),
		                    *what = pss_join_quote(pss_sorted(&types));

		return pss_forbid(
		        o, "procMount",
		        who && what ? strdupf("%s must not set securityContext.procMount to %s",
		                              who, what)
		                    : NULL);
	}
	return 0;
}

int pss_proc_mount_baseline_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return pss_user_namespace_pod(spec) ? 0 : pss_proc_mount_1_0(meta, spec, o);
}

struct se_linux {
	const char *const *types;   /* allowed types, NULL-terminated */
	struct pss_names bad_types; /* a set */
	bool set_user, set_role;
};

static bool se_linux_valid(struct se_linux *s, const json_t *opts, int *r)
{
	const char *type = pss_str(opts, "type") ?: "", *user = pss_str(opts, "user") ?: "";
	const char *role = pss_str(opts, "role") ?: "";
	bool valid = false;

	for (size_t i = 0; s->types[i]; i++)
		valid |= strcmp(s->types[i], type) == 0;
	if (!valid)
		*r |= pss_set_add(&s->bad_types, type);
	if (*user) {
		valid = false;
		s->set_user = true;
	}
	if (*role) {
		valid = false;
		s->set_role = true;
	}
	return valid;
}

static int se_linux_options(const json_t *spec, const char *const *types, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names setters = {0}, bad = {0}, data = {0};
	struct se_linux s = {.types = types};
	const json_t *opts = pss_get(pss_get(spec, "securityContext"), "seLinuxOptions"), *c;
	int r = 0;

	if (opts && !se_linux_valid(&s, opts, &r))
		r |= pss_names_add(&setters, "pod");
	pss_for_each_container(spec, c)
	{
		opts = pss_get(pss_get(c, "securityContext"), "seLinuxOptions");
		if (opts && !se_linux_valid(&s, opts, &r))
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (bad.n > 0)
		r |= pss_names_add_owned(&setters, pss_containers_phrase(&bad));
	if (s.bad_types.n > 0) {
		_cleanup_free_ char *list = pss_join_quote(pss_sorted(&s.bad_types));

		r |= pss_names_add_owned(
		        &data,
		        list ? strdupf("%s %s", pss_pluralize("type", "types", s.bad_types.n), list)
		             : NULL);
	}
	pss_names_done(&s.bad_types);
	if (s.set_user)
		r |= pss_names_add(&data, "user may not be set");
	if (s.set_role)
		r |= pss_names_add(&data, "role may not be set");
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = pss_join(&setters, " and ", false);
		_cleanup_free_ char *what = pss_join(&data, "; ", false);

		return pss_forbid(
		        o, "seLinuxOptions",
		        who && what ? strdupf("%s set forbidden securityContext.seLinuxOptions: "
		                              "%s",
		                              who, what)
		                    : NULL);
	}
	return 0;
}

int pss_se_linux_options_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	static const char *const types[] = {"", "container_t", "container_init_t",
	                                    "container_kvm_t", NULL};

	(void)meta;
	return se_linux_options(spec, types, o);
}

int pss_se_linux_options_1_31(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	static const char *const types[] = {
	        "",  "container_t", "container_init_t", "container_kvm_t", "container_engine_t",
	        NULL};

	(void)meta;
	return se_linux_options(spec, types, o);
}

#define SECCOMP_POD_ANNOTATION       "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_ANNOTATION "container.seccomp.security.alpha.kubernetes.io/"

static bool seccomp_annotation_allowed(const char *v)
{
	return strcmp(v, "runtime/default") == 0 || strcmp(v, "docker/default") == 0 ||
	       strncmp(v, "localhost/", strlen("localhost/")) == 0;
}

static int seccomp_annotation(const json_t *meta, const char *key, struct pss_names *forbidden)
{
	const json_t *v = json_object_get(pss_get(meta, "annotations"), key);
	const char *value = json_string_value(v) ?: "";
	_cleanup_free_ char *quoted = NULL;

	/* Go looks the key up in a map of strings: present means checked, even when empty */
	if (!v || seccomp_annotation_allowed(value))
		return 0;
	quoted = pss_go_quote(value);
	return quoted ? pss_names_add_owned(forbidden, strdupf("%s=%s", key, quoted)) : -ENOMEM;
}

int pss_seccomp_baseline_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names forbidden = {0};
	const json_t *c;
	int r;

	r = seccomp_annotation(meta, SECCOMP_POD_ANNOTATION, &forbidden);
	pss_for_each_container(spec, c)
	{
		_cleanup_free_ char *key =
		        strdupf(SECCOMP_CONTAINER_ANNOTATION "%s", pss_name_of(c));

		r |= key ? seccomp_annotation(meta, key, &forbidden) : -ENOMEM;
	}
	if (r < 0)
		return -ENOMEM;
	if (forbidden.n > 0) {
		/* a set: duplicates (two containers of one name) count once */
		_cleanup_(pss_names_done) struct pss_names set = {0};
		_cleanup_free_ char *list = NULL;

		for (size_t i = 0; i < forbidden.n; i++)
			r |= pss_set_add(&set, forbidden.v[i]);
		list = r < 0 ? NULL : pss_join(pss_sorted(&set), ", ", false);
		return pss_forbid(o, "seccompProfile",
		                  list ? strdupf("forbidden %s %s",
		                                 pss_pluralize("annotation", "annotations", set.n),
		                                 list)
		                       : NULL);
	}
	return 0;
}

static bool seccomp_type_valid(const char *type)
{
	return type && (strcmp(type, "Localhost") == 0 || strcmp(type, "RuntimeDefault") == 0);
}

/* The two seccompProfile checks: restricted also wants every container to have one (its own or
 * the pod's). */
int pss_seccomp_profile(const json_t *spec, bool required, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names setters = {0}, values = {0}, bad = {0},
	                                           implicit = {0};
	const json_t *profile = pss_get(pss_get(spec, "securityContext"), "seccompProfile"), *c;
	bool pod_set = false;
	int r = 0;

	if (profile) {
		if (!seccomp_type_valid(pss_str(profile, "type"))) {
			r |= pss_names_add(&setters, "pod");
			r |= pss_set_add(&values, pss_str(profile, "type") ?: "");
		} else {
			pod_set = true;
		}
	}
	pss_for_each_container(spec, c)
	{
		profile = pss_get(pss_get(c, "securityContext"), "seccompProfile");
		if (profile) {
			if (!seccomp_type_valid(pss_str(profile, "type"))) {
				r |= pss_names_add(&bad, pss_name_of(c));
				r |= pss_set_add(&values, pss_str(profile, "type") ?: "");
			}
		} else if (required && !pod_set) {
			r |= pss_names_add(&implicit, pss_name_of(c));
		}
	}
	if (bad.n > 0)
		r |= pss_names_add_owned(&setters, pss_containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = pss_join(&setters, " and ", false);
		_cleanup_free_ char *what = pss_join_quote(pss_sorted(&values));

		return pss_forbid(o, "seccompProfile",
		                  who && what ? strdupf("%s must not set "
		                                        "securityContext.seccompProfile.type to %s",
		                                        who, what)
		                              : NULL);
	}
	if (implicit.n > 0) {
		_cleanup_free_ char *who = pss_containers_phrase(&implicit);

		return pss_forbid(
		        o, "seccompProfile",
		        who ? strdupf("pod or %s must set securityContext.seccompProfile.type "
		                      "to \"RuntimeDefault\" or \"Localhost\"",
		                      who)
		            : NULL);
	}
	return 0;
}

int pss_seccomp_baseline_1_19(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return pss_seccomp_profile(spec, false, o);
}

/* The safe sysctls of each version: the ones a pod may set at baseline. Each list holds the
 * ones before it: a version's set is every entry up to its NULL. */
static const char *const safe_sysctls[] = {
        /* 1.0 */
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
        /* 1.27 */
        "net.ipv4.ip_local_reserved_ports",
        /* 1.29 */
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        /* 1.32 */
        "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
        /* 1.37 */
        "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"};

static int sysctls(const json_t *spec, size_t n_safe, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names forbidden = {0};
	const json_t *s;
	size_t i;
	int r = 0;

	json_array_foreach(pss_get(pss_get(spec, "securityContext"), "sysctls"), i, s)
	{
		const char *name = pss_str(s, "name") ?: "";
		bool safe = false;

		for (size_t j = 0; j < n_safe; j++)
			safe |= strcmp(safe_sysctls[j], name) == 0;
		if (!safe)
			r |= pss_names_add(&forbidden, name);
	}
	if (r < 0)
		return -ENOMEM;
	return forbidden.n > 0
	               ? pss_forbid(o, "forbidden sysctls", pss_join(&forbidden, ", ", false))
	               : 0;
}

int pss_sysctls_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return sysctls(spec, 5, o);
}

int pss_sysctls_1_27(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return sysctls(spec, 6, o);
}

int pss_sysctls_1_29(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return sysctls(spec, 10, o);
}

int pss_sysctls_1_32(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return sysctls(spec, 12, o);
}

int pss_sysctls_1_37(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return sysctls(spec, ELEMENTSOF(safe_sysctls), o);
}

int pss_windows_host_process_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(pss_names_done) struct pss_names setters = {0}, bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	pss_for_each_container(spec, c)
	{
		if (pss_is_true(pss_get(pss_get(c, "securityContext"), "windowsOptions"),
		                "hostProcess"))
			r |= pss_names_add(&bad, pss_name_of(c));
	}
	if (pss_is_true(pss_get(pss_get(spec, "securityContext"), "windowsOptions"), "hostProcess"))
		r |= pss_names_add(&setters, "pod");
	if (bad.n > 0)
		r |= pss_names_add_owned(&setters, pss_containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = pss_join(&setters, " and ", false);

		return pss_forbid(o, "hostProcess",
		                  who ? strdupf("%s must not set "
		                                "securityContext.windowsOptions.hostProcess=true",
		                                who)
		                      : NULL);
	}
	return 0;
}
