/* pkg/security/pss_checks.c: the Pod Security Standards checks, one function per check and
 * version, each a transcription of kubernetes/pod-security-admission's policy/check_*.go: the
 * same fields read the same way (a pointer left nil is a key absent or null), the same reasons,
 * and details worded, ordered and pluralised byte for byte as Kubernetes writes them, since
 * people grep for those words and admission (issue 17) answers with them.
 *
 * A check reads the Pod as JSON (its metadata and spec), not struct spec_pod: the standards cover
 * fields nanolet does not run (initContainers, ports, sysctls, probes, SELinux, AppArmor) and a
 * pod must be judged on all of them. Pure: no I/O; every check is 0 (allowed), 1 (forbidden, the
 * outcome filled) or -ENOMEM.
 */
#include <string.h>

#include "pss_internal.h"

/* ---- reading the Pod ---------------------------------------------------------------------- */

/* A field the way Go sees a pointer: absent and null are both nil. */
static const json_t *get(const json_t *o, const char *key)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(get(o, key));
}

static const char *name_of(const json_t *container)
{
	const char *name = str(container, "name");

	return name ? name : "";
}

static bool is_true(const json_t *o, const char *key)
{
	return json_is_true(get(o, key));
}

/* visitContainers: init containers, then containers, then ephemeral containers. */
static const char *const container_lists[] = {"initContainers", "containers",
                                              "ephemeralContainers"};

#define for_each_container(spec, c)                                                                \
	for (size_t l_ = 0; l_ < ELEMENTSOF(container_lists); l_++)                                \
		for (size_t i_ = 0;                                                                \
		     ((c) = json_array_get(get(spec, container_lists[l_]), i_)) != NULL; i_++)

/* podSpec.OS.Name == "windows": the 1.25 versions of some restricted checks skip such pods. */
static bool windows_pod(const json_t *spec)
{
	const char *os = str(get(spec, "os"), "name");

	return os && strcmp(os, "windows") == 0;
}

/* relaxPolicyForUserNamespacePod: hostUsers is false. */
static bool user_namespace_pod(const json_t *spec)
{
	return json_is_false(get(spec, "hostUsers"));
}

/* ---- lists of names ----------------------------------------------------------------------- */

/* A list of strings: in order (a Go slice), or sorted without duplicates (a sets.String, whose
 * List() is sorted). */
struct names {
	char **v;
	size_t n;
};

static void names_done(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct names){0};
}

static int names_add_owned(struct names *l, char *s)
{
	char **grown;

	if (!s)
		return -ENOMEM;
	grown = reallocarray(l->v, l->n + 1, sizeof(*grown));
	if (!grown)
		return free(s), -ENOMEM;
	l->v = grown;
	l->v[l->n++] = s;
	return 0;
}

static int names_add(struct names *l, const char *s)
{
	return names_add_owned(l, strdup(s));
}

static bool names_has(const struct names *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* Insert into a set. */
static int set_add(struct names *l, const char *s)
{
	return names_has(l, s) ? 0 : names_add(l, s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A set's List(): sorted, as Go sorts strings (bytes). */
static const struct names *sorted(struct names *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	return l;
}

/* strings.Join, and joinQuote: `"a", "b"`. */
static char *join(const struct names *l, const char *sep, bool quote)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, quote ? "%s\"%s\"" : "%s%s", i ? sep : "", l->v[i]);
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

static char *join_quote(const struct names *l)
{
	return join(l, ", ", true);
}

static const char *pluralize(const char *singular, const char *plural, size_t n)
{
	return n == 1 ? singular : plural;
}

/* Go's %q for a string: double quotes, \" \\ and the usual escapes, \x for other controls. */
static char *go_quote(const char *s)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

/* "container \"a\"", "containers \"a\", \"b\"". */
static char *containers_phrase(const struct names *l)
{
	_cleanup_free_ char *names = join_quote(l);

	return names ? strdupf("%s %s", pluralize("container", "containers", l->n), names) : NULL;
}

static int forbid(struct pss_outcome *o, const char *reason, char *detail)
{
	if (!detail)
		return -ENOMEM;
	o->reason = reason;
	o->detail = detail;
	return 1;
}

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
	_cleanup_(names_done) struct names setters = {0}, values = {0}, bad = {0},
	                                   annotations = {0};
	const json_t *pod_profile = get(get(spec, "securityContext"), "appArmorProfile"), *c, *v;
	const char *key;
	int r = 0;

	if (pod_profile && !app_armor_type_allowed(str(pod_profile, "type"))) {
		r |= names_add(&setters, "pod");
		r |= set_add(&values, str(pod_profile, "type") ?: "");
	}
	for_each_container(spec, c)
	{
		const json_t *profile = get(get(c, "securityContext"), "appArmorProfile");

		if (profile && !app_armor_type_allowed(str(profile, "type"))) {
			r |= names_add(&bad, name_of(c));
			r |= set_add(&values, str(profile, "type") ?: "");
		}
	}
	if (bad.n > 0)
		r |= names_add_owned(&setters, containers_phrase(&bad));
	json_object_foreach((json_t *)get(meta, "annotations"), key, v)
	{
		const char *value = json_string_value(v) ?: "";
		_cleanup_free_ char *quoted = NULL;

		if (strncmp(key, APP_ARMOR_PREFIX, strlen(APP_ARMOR_PREFIX)) != 0 ||
		    app_armor_annotation_allowed(value))
			continue;
		quoted = go_quote(value);
		r |= names_add_owned(&annotations, quoted ? strdupf("%s=%s", key, quoted) : NULL);
	}
	if (r < 0)
		return -ENOMEM;
	sorted(&values);
	if (annotations.n > 0) {
		sorted(&annotations);
		for (size_t i = 0; i < annotations.n; i++)
			r |= names_add(&values, annotations.v[i]);
		r |= names_add(&setters, pluralize("annotation", "annotations", annotations.n));
	}
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = join(&setters, " and ", false);
		_cleanup_free_ char *what = join_quote(&values);

		return forbid(o,
		              pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles",
		                        values.n),
		              who && what ? strdupf("%s must not set AppArmor profile type to %s",
		                                    who, what)
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
	_cleanup_(names_done) struct names bad = {0}, caps = {0};
	const json_t *c, *cap;
	size_t i;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		bool valid = true;

		json_array_foreach(get(get(get(c, "securityContext"), "capabilities"), "add"), i,
		                   cap)
		{
			const char *name = json_string_value(cap) ?: "";

			if (!baseline_cap(name)) {
				valid = false;
				r |= set_add(&caps, name);
			}
		}
		if (!valid)
			r |= names_add(&bad, name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&bad),
		                    *what = join_quote(sorted(&caps));

		return forbid(o, "non-default capabilities",
		              who && what ? strdupf("%s must not include %s in "
		                                    "securityContext.capabilities.add",
		                                    who, what)
		                          : NULL);
	}
	return 0;
}

int pss_host_namespaces_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names host = {0};
	int r = 0;

	(void)meta;
	if (is_true(spec, "hostNetwork"))
		r |= names_add(&host, "hostNetwork=true");
	if (is_true(spec, "hostPID"))
		r |= names_add(&host, "hostPID=true");
	if (is_true(spec, "hostIPC"))
		r |= names_add(&host, "hostIPC=true");
	if (r < 0)
		return -ENOMEM;
	return host.n > 0 ? forbid(o, "host namespaces", join(&host, ", ", false)) : 0;
}

int pss_host_path_volumes_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names volumes = {0};
	const json_t *v;
	size_t i;
	int r = 0;

	(void)meta;
	json_array_foreach(get(spec, "volumes"), i, v)
	{
		if (get(v, "hostPath"))
			r |= names_add(&volumes, name_of(v));
	}
	if (r < 0)
		return -ENOMEM;
	if (volumes.n > 0) {
		_cleanup_free_ char *names = join_quote(&volumes);

		return forbid(
		        o, "hostPath volumes",
		        names ? strdupf("%s %s", pluralize("volume", "volumes", volumes.n), names)
		              : NULL);
	}
	return 0;
}

int pss_host_ports_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names bad = {0}, ports = {0};
	const json_t *c, *port;
	size_t i;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		bool valid = true;

		json_array_foreach(get(c, "ports"), i, port)
		{
			json_int_t host = json_integer_value(get(port, "hostPort"));
			char text[24];

			if (host == 0)
				continue;
			valid = false;
			snprintf(text, sizeof(text), "%lld", (long long)host);
			r |= set_add(&ports, text);
		}
		if (!valid)
			r |= names_add(&bad, name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&bad);
		_cleanup_free_ char *what = join(sorted(&ports), ", ", false);

		return forbid(o, "hostPort",
		              who && what
		                      ? strdupf("%s %s %s %s", who, pluralize("uses", "use", bad.n),
		                                pluralize("hostPort", "hostPorts", ports.n), what)
		                      : NULL);
	}
	return 0;
}

/* The hosts a probe or lifecycle handler names in httpGet.host or tcpSocket.host. */
static int handler_hosts(const json_t *handler, struct names *hosts, bool *found)
{
	static const char *const kinds[] = {"httpGet", "tcpSocket"};
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		const char *host = str(get(handler, kinds[i]), "host");

		if (host && *host) {
			*found = true;
			r |= set_add(hosts, host);
		}
	}
	return r;
}

int pss_host_probes_1_34(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
	static const char *const hooks[] = {"postStart", "preStop"};
	_cleanup_(names_done) struct names bad = {0}, hosts = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		bool found = false;

		for (size_t i = 0; i < ELEMENTSOF(probes); i++)
			r |= handler_hosts(get(c, probes[i]), &hosts, &found);
		for (size_t i = 0; i < ELEMENTSOF(hooks); i++)
			r |= handler_hosts(get(get(c, "lifecycle"), hooks[i]), &hosts, &found);
		if (found)
			r |= set_add(&bad, name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = containers_phrase(sorted(&bad));
		_cleanup_free_ char *what = join_quote(sorted(&hosts));

		return forbid(o, "probe or lifecycle host",
		              who && what
		                      ? strdupf("%s %s %s %s", who, pluralize("uses", "use", bad.n),
		                                pluralize("probe or lifecycle host",
		                                          "probe or lifecycle hosts", hosts.n),
		                                what)
		                      : NULL);
	}
	return 0;
}

int pss_privileged_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		if (is_true(get(c, "securityContext"), "privileged"))
			r |= names_add(&bad, name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&bad);

		return forbid(o, "privileged",
		              who ? strdupf("%s must not set securityContext.privileged=true", who)
		                  : NULL);
	}
	return 0;
}

int pss_proc_mount_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names bad = {0}, types = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		const json_t *mount = get(get(c, "securityContext"), "procMount");
		const char *type = json_string_value(mount) ?: "";

		if (!mount || strcmp(type, "Default") == 0)
			continue;
		r |= names_add(&bad, name_of(c));
		r |= set_add(&types, type);
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&bad),
		                    *what = join_quote(sorted(&types));

		return forbid(o, "procMount",
		              who && what
		                      ? strdupf("%s must not set securityContext.procMount to %s",
		                                who, what)
		                      : NULL);
	}
	return 0;
}

int pss_proc_mount_baseline_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return user_namespace_pod(spec) ? 0 : pss_proc_mount_1_0(meta, spec, o);
}

struct se_linux {
	const char *const *types; /* allowed types, NULL-terminated */
	struct names bad_types;   /* a set */
	bool set_user, set_role;
};

static bool se_linux_valid(struct se_linux *s, const json_t *opts, int *r)
{
	const char *type = str(opts, "type") ?: "", *user = str(opts, "user") ?: "";
	const char *role = str(opts, "role") ?: "";
	bool valid = false;

	for (size_t i = 0; s->types[i]; i++)
		valid |= strcmp(s->types[i], type) == 0;
	if (!valid)
		*r |= set_add(&s->bad_types, type);
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
	_cleanup_(names_done) struct names setters = {0}, bad = {0}, data = {0};
	struct se_linux s = {.types = types};
	const json_t *opts = get(get(spec, "securityContext"), "seLinuxOptions"), *c;
	int r = 0;

	if (opts && !se_linux_valid(&s, opts, &r))
		r |= names_add(&setters, "pod");
	for_each_container(spec, c)
	{
		opts = get(get(c, "securityContext"), "seLinuxOptions");
		if (opts && !se_linux_valid(&s, opts, &r))
			r |= names_add(&bad, name_of(c));
	}
	if (bad.n > 0)
		r |= names_add_owned(&setters, containers_phrase(&bad));
	if (s.bad_types.n > 0) {
		_cleanup_free_ char *list = join_quote(sorted(&s.bad_types));

		r |= names_add_owned(
		        &data,
		        list ? strdupf("%s %s", pluralize("type", "types", s.bad_types.n), list)
		             : NULL);
	}
	names_done(&s.bad_types);
	if (s.set_user)
		r |= names_add(&data, "user may not be set");
	if (s.set_role)
		r |= names_add(&data, "role may not be set");
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = join(&setters, " and ", false);
		_cleanup_free_ char *what = join(&data, "; ", false);

		return forbid(o, "seLinuxOptions",
		              who && what
		                      ? strdupf("%s set forbidden securityContext.seLinuxOptions: "
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

static int seccomp_annotation(const json_t *meta, const char *key, struct names *forbidden)
{
	const json_t *v = json_object_get(get(meta, "annotations"), key);
	const char *value = json_string_value(v) ?: "";
	_cleanup_free_ char *quoted = NULL;

	/* Go looks the key up in a map of strings: present means checked, even when empty */
	if (!v || seccomp_annotation_allowed(value))
		return 0;
	quoted = go_quote(value);
	return quoted ? names_add_owned(forbidden, strdupf("%s=%s", key, quoted)) : -ENOMEM;
}

int pss_seccomp_baseline_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names forbidden = {0};
	const json_t *c;
	int r;

	r = seccomp_annotation(meta, SECCOMP_POD_ANNOTATION, &forbidden);
	for_each_container(spec, c)
	{
		_cleanup_free_ char *key = strdupf(SECCOMP_CONTAINER_ANNOTATION "%s", name_of(c));

		r |= key ? seccomp_annotation(meta, key, &forbidden) : -ENOMEM;
	}
	if (r < 0)
		return -ENOMEM;
	if (forbidden.n > 0) {
		/* a set: duplicates (two containers of one name) count once */
		_cleanup_(names_done) struct names set = {0};
		_cleanup_free_ char *list = NULL;

		for (size_t i = 0; i < forbidden.n; i++)
			r |= set_add(&set, forbidden.v[i]);
		list = r < 0 ? NULL : join(sorted(&set), ", ", false);
		return forbid(o, "seccompProfile",
		              list ? strdupf("forbidden %s %s",
		                             pluralize("annotation", "annotations", set.n), list)
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
static int seccomp_profile(const json_t *spec, bool required, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names setters = {0}, values = {0}, bad = {0}, implicit = {0};
	const json_t *profile = get(get(spec, "securityContext"), "seccompProfile"), *c;
	bool pod_set = false;
	int r = 0;

	if (profile) {
		if (!seccomp_type_valid(str(profile, "type"))) {
			r |= names_add(&setters, "pod");
			r |= set_add(&values, str(profile, "type") ?: "");
		} else {
			pod_set = true;
		}
	}
	for_each_container(spec, c)
	{
		profile = get(get(c, "securityContext"), "seccompProfile");
		if (profile) {
			if (!seccomp_type_valid(str(profile, "type"))) {
				r |= names_add(&bad, name_of(c));
				r |= set_add(&values, str(profile, "type") ?: "");
			}
		} else if (required && !pod_set) {
			r |= names_add(&implicit, name_of(c));
		}
	}
	if (bad.n > 0)
		r |= names_add_owned(&setters, containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = join(&setters, " and ", false);
		_cleanup_free_ char *what = join_quote(sorted(&values));

		return forbid(o, "seccompProfile",
		              who && what ? strdupf("%s must not set "
		                                    "securityContext.seccompProfile.type to %s",
		                                    who, what)
		                          : NULL);
	}
	if (implicit.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&implicit);

		return forbid(
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
	return seccomp_profile(spec, false, o);
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
	_cleanup_(names_done) struct names forbidden = {0};
	const json_t *s;
	size_t i;
	int r = 0;

	json_array_foreach(get(get(spec, "securityContext"), "sysctls"), i, s)
	{
		const char *name = str(s, "name") ?: "";
		bool safe = false;

		for (size_t j = 0; j < n_safe; j++)
			safe |= strcmp(safe_sysctls[j], name) == 0;
		if (!safe)
			r |= names_add(&forbidden, name);
	}
	if (r < 0)
		return -ENOMEM;
	return forbidden.n > 0 ? forbid(o, "forbidden sysctls", join(&forbidden, ", ", false)) : 0;
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
	_cleanup_(names_done) struct names setters = {0}, bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		if (is_true(get(get(c, "securityContext"), "windowsOptions"), "hostProcess"))
			r |= names_add(&bad, name_of(c));
	}
	if (is_true(get(get(spec, "securityContext"), "windowsOptions"), "hostProcess"))
		r |= names_add(&setters, "pod");
	if (bad.n > 0)
		r |= names_add_owned(&setters, containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = join(&setters, " and ", false);

		return forbid(o, "hostProcess",
		              who ? strdupf("%s must not set "
		                            "securityContext.windowsOptions.hostProcess=true",
		                            who)
		                  : NULL);
	}
	return 0;
}

/* ---- restricted ----------------------------------------------------------------------------- */

int pss_allow_privilege_escalation_1_8(const json_t *meta, const json_t *spec,
                                       struct pss_outcome *o)
{
	_cleanup_(names_done) struct names bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		/* nil or true: only an explicit false is allowed */
		if (!json_is_false(get(get(c, "securityContext"), "allowPrivilegeEscalation")))
			r |= names_add(&bad, name_of(c));
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&bad);

		return forbid(o, "allowPrivilegeEscalation != false",
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
	return windows_pod(spec) ? 0 : pss_allow_privilege_escalation_1_8(meta, spec, o);
}

int pss_capabilities_restricted_1_22(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names no_drop = {0}, adding = {0}, caps = {0}, details = {0};
	const json_t *c, *cap;
	size_t i;
	int r = 0;

	(void)meta;
	for_each_container(spec, c)
	{
		const json_t *capabilities = get(get(c, "securityContext"), "capabilities");
		bool dropped_all = false, added = false;

		if (!capabilities) {
			r |= names_add(&no_drop, name_of(c));
			continue;
		}
		json_array_foreach(get(capabilities, "drop"), i, cap)
		{
			dropped_all |= strcmp(json_string_value(cap) ?: "", "ALL") == 0;
		}
		if (!dropped_all)
			r |= names_add(&no_drop, name_of(c));
		json_array_foreach(get(capabilities, "add"), i, cap)
		{
			const char *name = json_string_value(cap) ?: "";

			if (strcmp(name, "NET_BIND_SERVICE") != 0) {
				added = true;
				r |= set_add(&caps, name);
			}
		}
		if (added)
			r |= names_add(&adding, name_of(c));
	}
	if (no_drop.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&no_drop);

		r |= names_add_owned(&details,
		                     who ? strdupf("%s must set "
		                                   "securityContext.capabilities.drop=[\"ALL\"]",
		                                   who)
		                         : NULL);
	}
	if (adding.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&adding);
		_cleanup_free_ char *what = join_quote(sorted(&caps));

		r |= names_add_owned(&details, who && what
		                                       ? strdupf("%s must not include %s in "
		                                                 "securityContext.capabilities.add",
		                                                 who, what)
		                                       : NULL);
	}
	if (r < 0)
		return -ENOMEM;
	return details.n > 0 ? forbid(o, "unrestricted capabilities", join(&details, "; ", false))
	                     : 0;
}

int pss_capabilities_restricted_1_25(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return windows_pod(spec) ? 0 : pss_capabilities_restricted_1_22(meta, spec, o);
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
	_cleanup_(names_done) struct names bad = {0}, types = {0};
	const json_t *v;
	size_t i;
	int r = 0;

	(void)meta;
	json_array_foreach(get(spec, "volumes"), i, v)
	{
		const char *type = "unknown";
		bool allowed = false;

		for (size_t j = 0; j < ELEMENTSOF(allowed_volume_types); j++)
			allowed |= get(v, allowed_volume_types[j]) != NULL;
		/* a volume of a name only is an emptyDir: the API server's defaulting makes it one
		 * before admission sees it (SetDefaults_Volume) */
		if (allowed || (json_object_size(v) == 1 && get(v, "name")))
			continue;
		for (size_t j = 0; j < ELEMENTSOF(restricted_volume_types); j++)
			if (get(v, restricted_volume_types[j])) {
				type = restricted_volume_types[j];
				break;
			}
		r |= names_add(&bad, name_of(v));
		r |= set_add(&types, type);
	}
	if (r < 0)
		return -ENOMEM;
	if (bad.n > 0) {
		_cleanup_free_ char *names = join_quote(&bad), *what = join_quote(sorted(&types));

		return forbid(o, "restricted volume types",
		              names && what ? strdupf("%s %s %s %s %s",
		                                      pluralize("volume", "volumes", bad.n), names,
		                                      pluralize("uses", "use", bad.n),
		                                      pluralize("restricted volume type",
		                                                "restricted volume types", types.n),
		                                      what)
		                            : NULL);
	}
	return 0;
}

int pss_run_as_non_root_1_0(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names setters = {0}, bad = {0}, implicit = {0};
	const json_t *pod = get(get(spec, "securityContext"), "runAsNonRoot"), *c;
	bool pod_non_root = false;
	int r = 0;

	(void)meta;
	if (pod) {
		if (!json_is_true(pod))
			r |= names_add(&setters, "pod");
		else
			pod_non_root = true;
	}
	for_each_container(spec, c)
	{
		const json_t *v = get(get(c, "securityContext"), "runAsNonRoot");

		if (v) {
			if (!json_is_true(v))
				r |= names_add(&bad, name_of(c));
		} else if (!pod_non_root) {
			r |= names_add(&implicit, name_of(c));
		}
	}
	if (bad.n > 0)
		r |= names_add_owned(&setters, containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = join(&setters, " and ", false);

		return forbid(
		        o, "runAsNonRoot != true",
		        who ? strdupf("%s must not set securityContext.runAsNonRoot=false", who)
		            : NULL);
	}
	if (implicit.n > 0) {
		_cleanup_free_ char *who = containers_phrase(&implicit);

		return forbid(
		        o, "runAsNonRoot != true",
		        who ? strdupf("pod or %s must set securityContext.runAsNonRoot=true", who)
		            : NULL);
	}
	return 0;
}

int pss_run_as_non_root_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return user_namespace_pod(spec) ? 0 : pss_run_as_non_root_1_0(meta, spec, o);
}

static bool run_as_root(const json_t *security_context)
{
	const json_t *v = get(security_context, "runAsUser");

	return json_is_integer(v) && json_integer_value(v) == 0;
}

int pss_run_as_user_1_23(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	_cleanup_(names_done) struct names setters = {0}, bad = {0};
	const json_t *c;
	int r = 0;

	(void)meta;
	if (run_as_root(get(spec, "securityContext")))
		r |= names_add(&setters, "pod");
	for_each_container(spec, c)
	{
		if (run_as_root(get(c, "securityContext")))
			r |= names_add(&bad, name_of(c));
	}
	if (bad.n > 0)
		r |= names_add_owned(&setters, containers_phrase(&bad));
	if (r < 0)
		return -ENOMEM;
	if (setters.n > 0) {
		_cleanup_free_ char *who = join(&setters, " and ", false);

		return forbid(o, "runAsUser=0",
		              who ? strdupf("%s must not set runAsUser=0", who) : NULL);
	}
	return 0;
}

int pss_run_as_user_1_35(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return user_namespace_pod(spec) ? 0 : pss_run_as_user_1_23(meta, spec, o);
}

int pss_seccomp_restricted_1_19(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	(void)meta;
	return seccomp_profile(spec, true, o);
}

int pss_seccomp_restricted_1_25(const json_t *meta, const json_t *spec, struct pss_outcome *o)
{
	return windows_pod(spec) ? 0 : pss_seccomp_restricted_1_19(meta, spec, o);
}
