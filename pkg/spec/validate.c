/* pkg/spec/validate.c: the rules a Pod must keep, checked on the model after pod.c read it.
 * Messages follow the API server's (k8s.io/apimachinery field errors), so that a person who
 * knows Kubernetes reads them without surprise. Pure: no I/O.
 */
#include "validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <string.h>

#include "security/security.h"

#define LABEL_MAX     63
#define SUBDOMAIN_MAX 253

const char *const validate_label_message =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const char *const validate_subdomain_message =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
        "used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool label_span(const char *s, size_t n)
{
	if (n == 0 || !label_char(s[0]) || !label_char(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!label_char(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool validate_dns1123_label(const char *s)
{
	size_t n = strlen(s);

	return n <= LABEL_MAX && label_span(s, n);
}

bool validate_dns1123_subdomain(const char *s)
{
	size_t n = strlen(s);
	const char *dot;

	if (n > SUBDOMAIN_MAX)
		return false;
	for (; (dot = strchr(s, '.')); s = dot + 1)
		if (!label_span(s, (size_t)(dot - s)))
			return false;
	return label_span(s, strlen(s));
}

bool validate_env_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	return true;
}

void validate_port_name(struct nano_err *causes, const char *field, const char *name)
{
	static const char *const why[] = {
	        "must be no more than 15 characters",
	        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
	        "must contain at least one letter (a-z)",
	        "must not contain consecutive hyphens",
	        "must not begin or end with a hyphen",
	};
	size_t n = strlen(name);
	bool bad[ELEMENTSOF(why)] = {
	        n > 15,
	        n == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n,
	        !strpbrk(name, "abcdefghijklmnopqrstuvwxyz"),
	        strstr(name, "--") != NULL,
	        n > 0 && (name[0] == '-' || name[n - 1] == '-'),
	};

	for (size_t i = 0; i < ELEMENTSOF(why); i++)
		if (bad[i])
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": %s", name, why[i]);
}

static void check_label(struct nano_err *causes, const char *field, const char *value)
{
	if (!value || !*value)
		nano_err_cause(causes, field, "FieldValueRequired", "Required value");
	else if (strlen(value) > LABEL_MAX)
		nano_err_cause(causes, field, "FieldValueTooLong",
		               "Too long: may not be more than %d bytes", LABEL_MAX);
	else if (!validate_dns1123_label(value))
		nano_err_cause(causes, field, "FieldValueInvalid", "Invalid value: \"%s\": %s",
		               value, validate_label_message);
}

/* The text of a quantity as the Pod wrote it, for messages; "?" when it cannot be had. */
static char *quantity_text(json_t *spec, size_t container, const char *kind, const char *name)
{
	json_t *c = json_array_get(json_object_get(spec, "containers"), container);
	json_t *v = json_object_get(json_object_get(json_object_get(c, "resources"), kind), name);

	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY);
}

static void check_request_within_limit(struct nano_err *causes, json_t *spec, size_t i,
                                       const char *resource, int64_t request, int64_t limit)
{
	_cleanup_free_ char *req = NULL, *lim = NULL;

	if (request == SPEC_UNSET || limit == SPEC_UNSET || request <= limit)
		return;
	req = quantity_text(spec, i, "requests", resource);
	lim = quantity_text(spec, i, "limits", resource);
	char field[128];
	snprintf(field, sizeof(field), "spec.containers[%zu].resources.requests", i);
	nano_err_cause(causes, field, "FieldValueInvalid",
	               "Invalid value: \"%s\": must be less than or equal to %s limit of %s",
	               req ?: "?", resource, lim ?: "?");
}

/* Names a body decides the number of (containers, volumes, mounts) are indexed, not compared
 * pairwise: 30000 containers cost 9 s of CPU that way. An index that cannot be built (ENOMEM)
 * is empty: duplicates then go unreported, which the create would still trip over. */
#define INDEX_OF(idx, array, n, field)                                                             \
	do {                                                                                       \
		const char **names_ = calloc((n) ? (n) : 1, sizeof(*names_));                      \
                                                                                                   \
		for (size_t k_ = 0; names_ && k_ < (n); k_++)                                      \
			names_[k_] = (array)[k_].field;                                            \
		if (!names_ || name_index_build((idx), names_, (n)) < 0)                           \
			*(idx) = (struct name_index){0};                                           \
		free(names_);                                                                      \
	} while (0)

/* Whether names[i] came before, by the index of them. */
static bool seen_before(const struct name_index *idx, const char *name, size_t i)
{
	ssize_t first = name_index_first(idx, name);

	return first >= 0 && (size_t)first < i;
}

/* A path below the volume: relative, no ".." element (Kubernetes' validateLocalDescendingPath). */
/* A container's image is a reference to pull (pkg/image) unless it names the host's root ("" or
 * "host") or a directory (an absolute path). */
static bool image_is_reference(const char *image)
{
	return image[0] && image[0] != '/' && strcmp(image, "host") != 0;
}

bool validate_descending_path(const char *p)
{
	const char *s = p;

	if (*p == '/')
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += n;
		s += *s == '/';
	}
	return true;
}

static void validate_mounts(const struct spec_pod *pod, size_t ci, const struct name_index *volumes,
                            struct nano_err *causes)
{
	const struct spec_container *c = &pod->containers[ci];
	_cleanup_(name_index_done) struct name_index paths;
	char field[SUBDOMAIN_MAX];

	INDEX_OF(&paths, c->volume_mounts, c->n_volume_mounts, mount_path);
	for (size_t i = 0; i < c->n_volume_mounts; i++) {
		const struct spec_volume_mount *m = &c->volume_mounts[i];

		snprintf(field, sizeof(field), "spec.containers[%zu].volumeMounts[%zu].name", ci,
		         i);
		if (!m->name || !*m->name)
			nano_err_cause(causes, field, "FieldValueRequired", "Required value");
		else if (name_index_first(volumes, m->name) < 0)
			nano_err_cause(causes, field, "FieldValueNotFound", "Not found: \"%s\"",
			               m->name);
		snprintf(field, sizeof(field), "spec.containers[%zu].volumeMounts[%zu].mountPath",
		         ci, i);
		if (!m->mount_path || !*m->mount_path) {
			nano_err_cause(causes, field, "FieldValueRequired", "Required value");
		} else if (m->mount_path[0] != '/') {
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": must be an absolute path",
			               m->mount_path);
		} else if (seen_before(&paths, m->mount_path, i)) {
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": must be unique", m->mount_path);
		}
		snprintf(field, sizeof(field), "spec.containers[%zu].volumeMounts[%zu].subPath", ci,
		         i);
		if (m->sub_path && *m->sub_path && !validate_descending_path(m->sub_path))
			nano_err_cause(
			        causes, field, "FieldValueInvalid",
			        "Invalid value: \"%s\": must be a relative path without '..'",
			        m->sub_path);
	}
}

static void validate_containers(const struct spec_pod *pod, json_t *spec,
                                const struct name_index *volumes, struct nano_err *causes)
{
	_cleanup_(name_index_done) struct name_index names;
	char field[128];

	INDEX_OF(&names, pod->containers, pod->n_containers, name);
	if (pod->n_containers == 0) {
		nano_err_cause(causes, "spec.containers", "FieldValueRequired", "Required value");
		return;
	}
	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct spec_container *c = &pod->containers[i];
		const struct spec_resources *r = &c->resources;

		snprintf(field, sizeof(field), "spec.containers[%zu].name", i);
		check_label(causes, field, c->name);
		if (seen_before(&names, c->name, i))
			nano_err_cause(causes, field, "FieldValueDuplicate",
			               "Duplicate value: \"%s\"", c->name);
		/* the pod's cgroup holds one leaf per container beside the shim's */
		if (c->name && strcmp(c->name, "infra") == 0)
			nano_err_cause(
			        causes, field, "FieldValueInvalid",
			        "Invalid value: \"infra\": reserved by nanolet for the cgroup of "
			        "the pod's shim");
		/* the API server's: a reference is checked by the kubelet (InvalidImageName) */
		snprintf(field, sizeof(field), "spec.containers[%zu].image", i);
		if (c->image[0] && (isspace((unsigned char)c->image[0]) ||
		                    isspace((unsigned char)c->image[strlen(c->image) - 1])))
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": must not have leading or trailing "
			               "whitespace",
			               c->image);
		/* the host's root and a directory have no Entrypoint to fall back on; an image
		 * reference has its own */
		snprintf(field, sizeof(field), "spec.containers[%zu].command", i);
		if (strv_len(c->command) == 0 && !image_is_reference(c->image))
			nano_err_cause(causes, field, "FieldValueRequired", "Required value");
		check_request_within_limit(causes, spec, i, "cpu", r->cpu_request_milli,
		                           r->cpu_limit_milli);
		check_request_within_limit(causes, spec, i, "memory", r->memory_request,
		                           r->memory_limit);
		validate_mounts(pod, i, volumes, causes);
	}
}

static void validate_volumes(const struct spec_pod *pod, const struct name_index *names,
                             struct nano_err *causes)
{
	static const char *const host_path_types[] = {
	        "",       "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
	        "Socket", "CharDevice",        "BlockDevice"};
	char field[128];

	for (size_t i = 0; i < pod->n_volumes; i++) {
		const struct spec_volume *v = &pod->volumes[i];

		snprintf(field, sizeof(field), "spec.volumes[%zu].name", i);
		check_label(causes, field, v->name);
		if (seen_before(names, v->name, i))
			nano_err_cause(causes, field, "FieldValueDuplicate",
			               "Duplicate value: \"%s\"", v->name);
		if (v->type == SPEC_VOLUME_EMPTY_DIR && strcmp(v->medium, "") != 0 &&
		    strcmp(v->medium, "Memory") != 0) {
			snprintf(field, sizeof(field), "spec.volumes[%zu].emptyDir.medium", i);
			nano_err_cause(
			        causes, field, "FieldValueNotSupported",
			        "Unsupported value: \"%s\": supported values: \"\", \"Memory\"",
			        v->medium);
		}
		if (v->type != SPEC_VOLUME_HOST_PATH)
			continue;
		snprintf(field, sizeof(field), "spec.volumes[%zu].hostPath.path", i);
		if (!v->path || !*v->path)
			nano_err_cause(causes, field, "FieldValueRequired", "Required value");
		else if (v->path[0] != '/' || !validate_descending_path(v->path + 1))
			nano_err_cause(
			        causes, field, "FieldValueInvalid",
			        "Invalid value: \"%s\": must be an absolute path without '..'",
			        v->path);
		bool known = false;
		for (size_t t = 0; t < ELEMENTSOF(host_path_types); t++)
			known = known || strcmp(v->path_type, host_path_types[t]) == 0;
		if (!known) {
			snprintf(field, sizeof(field), "spec.volumes[%zu].hostPath.type", i);
			nano_err_cause(
			        causes, field, "FieldValueNotSupported",
			        "Unsupported value: \"%s\": supported values: \"\", "
			        "\"BlockDevice\", \"CharDevice\", \"Directory\", "
			        "\"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"",
			        v->path_type);
		}
	}
}

/* One capability list (add or drop): every name a capability nanolet knows, or ALL. Kubernetes
 * passes any string on to the runtime, where an unknown name fails the container; nanolet
 * refuses it at the door instead, with the field. */
static void check_capabilities(struct nano_err *causes, size_t i, const char *list, char **names)
{
	char field[128];

	for (size_t j = 0; names && names[j]; j++) {
		if (security_cap_is_all(names[j]) || security_cap_from_name(names[j]) >= 0)
			continue;
		snprintf(field, sizeof(field),
		         "spec.containers[%zu].securityContext.capabilities.%s[%zu]", i, list, j);
		nano_err_cause(
		        causes, field, "FieldValueNotSupported",
		        "Unsupported value: \"%s\": a Linux capability such as \"NET_ADMIN\" "
		        "or \"CAP_NET_ADMIN\" (capabilities(7)), or \"ALL\"",
		        names[j]);
	}
}

static bool adds_sys_admin(const struct spec_security_context *sc)
{
	for (size_t j = 0; sc->capabilities_add && sc->capabilities_add[j]; j++)
		if (security_cap_from_name(sc->capabilities_add[j]) == CAP_SYS_ADMIN)
			return true;
	return false;
}

/* The API server's securityContext rules (ValidateSecurityContext), and nanolet's one more:
 * a privileged container is refused in a user namespace, where the node's devices and a
 * writable /sys cannot be given to it. */
static void validate_security(const struct spec_pod *pod, json_t *spec, struct nano_err *causes)
{
	json_t *containers = json_object_get(spec, "containers");
	char field[128];

	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct spec_security_context *sc = &pod->containers[i].security_context;
		json_t *sc_json = json_object_get(json_array_get(containers, i), "securityContext");
		_cleanup_free_ char *value = json_dumps(sc_json, JSON_COMPACT | JSON_SORT_KEYS);

		check_capabilities(causes, i, "add", sc->capabilities_add);
		check_capabilities(causes, i, "drop", sc->capabilities_drop);
		snprintf(field, sizeof(field), "spec.containers[%zu].securityContext", i);
		if (sc->allow_privilege_escalation == SPEC_BOOL_FALSE) {
			if (sc->privileged == SPEC_BOOL_TRUE)
				nano_err_cause(
				        causes, field, "FieldValueInvalid",
				        "Invalid value: %s: cannot set `allowPrivilegeEscalation` "
				        "to false and `privileged` to true",
				        value ? value : "{}");
			if (adds_sys_admin(sc))
				nano_err_cause(
				        causes, field, "FieldValueInvalid",
				        "Invalid value: %s: cannot set `allowPrivilegeEscalation` "
				        "to false and `capabilities.Add` CAP_SYS_ADMIN",
				        value ? value : "{}");
		}
		if (sc->privileged == SPEC_BOOL_TRUE && pod->host_users == SPEC_BOOL_FALSE) {
			snprintf(field, sizeof(field),
			         "spec.containers[%zu].securityContext.privileged", i);
			nano_err_cause(causes, field, "FieldValueForbidden",
			               "Forbidden: when `hostUsers` is false");
		}
		if (sc->proc_mount == SPEC_PROC_MOUNT_UNMASKED &&
		    pod->host_users != SPEC_BOOL_FALSE) {
			snprintf(field, sizeof(field),
			         "spec.containers[%zu].securityContext.procMount", i);
			nano_err_cause(
			        causes, field, "FieldValueInvalid",
			        "Invalid value: \"Unmasked\": `hostUsers` must be false to use "
			        "`Unmasked`");
		}
	}
}

/* securityContext.sysctls, the API server's validateSysctls and ValidateHostSysctl: a name,
 * valid, not twice, and not in a namespace the pod shares with the node (a sysctl changes only
 * the namespace it is written in: with hostNetwork or hostIPC that is the node's). nanolet adds
 * two rules: a value, since there is nothing else to write; and a name given twice in dots and
 * slashes is a duplicate too, since both would write one file. */
static void validate_sysctls(const struct spec_pod *pod, struct nano_err *causes)
{
	const struct spec_pod_security_context *sc = &pod->security_context;
	_cleanup_(name_index_done) struct name_index seen = {0};
	_cleanup_strv_ char **dots = calloc(sc->n_sysctls + 1, sizeof(char *));
	char field[128];

	for (size_t i = 0; dots && i < sc->n_sysctls; i++)
		dots[i] = security_sysctl_normalize(sc->sysctls[i].name ?: "");
	if (!dots || name_index_build(&seen, (const char *const *)dots, sc->n_sysctls) < 0)
		seen = (struct name_index){0}; /* as INDEX_OF: duplicates go unreported */
	for (size_t i = 0; i < sc->n_sysctls; i++) {
		const struct spec_sysctl *s = &sc->sysctls[i];
		enum security_sysctl_ns ns;

		snprintf(field, sizeof(field), "spec.securityContext.sysctls[%zu].name", s->index);
		if (!s->name || !*s->name)
			nano_err_cause(causes, field, "FieldValueRequired", "Required value");
		else if (!security_sysctl_name_valid(s->name))
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": must have at most %d characters and "
			               "match regex %s",
			               s->name, SECURITY_SYSCTL_NAME_MAX,
			               SECURITY_SYSCTL_NAME_REGEX);
		else if (dots && dots[i] && seen_before(&seen, dots[i], i))
			nano_err_cause(causes, field, "FieldValueDuplicate",
			               "Duplicate value: \"%s\"", s->name);
		ns = security_sysctl_namespace(s->name ?: "");
		if (pod->host_network && ns == SECURITY_SYSCTL_NS_NET)
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": may not be specified when "
			               "'hostNetwork' is true",
			               s->name);
		if (pod->host_ipc && ns == SECURITY_SYSCTL_NS_IPC)
			nano_err_cause(
			        causes, field, "FieldValueInvalid",
			        "Invalid value: \"%s\": may not be specified when 'hostIPC' is "
			        "true",
			        s->name);
		snprintf(field, sizeof(field), "spec.securityContext.sysctls[%zu].value", s->index);
		if (!s->value || !*s->value)
			nano_err_cause(causes, field, "FieldValueRequired", "Required value");
	}
}

static void validate_namespaces(const struct spec_pod *pod, struct nano_err *causes)
{
	if (pod->host_users == SPEC_BOOL_FALSE) {
		/* a user namespace cannot own the host's network, pid or ipc namespace */
		const struct {
			bool set;
			const char *field;
		} host[] = {{pod->host_network, "spec.hostNetwork"},
		            {pod->host_pid, "spec.hostPID"},
		            {pod->host_ipc, "spec.hostIPC"}};

		for (size_t i = 0; i < ELEMENTSOF(host); i++)
			if (host[i].set)
				nano_err_cause(causes, host[i].field, "FieldValueForbidden",
				               "Forbidden: when `hostUsers` is false");
	}
	if (pod->share_process_namespace && pod->host_pid)
		nano_err_cause(causes, "spec.shareProcessNamespace", "FieldValueInvalid",
		               "Invalid value: true: ShareProcessNamespace and HostPID cannot both "
		               "be enabled");
	if (pod->hostname)
		check_label(causes, "spec.hostname", pod->hostname);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* hostPorts, as the API server's AccumulateUniqueHostPorts and validateHostNetwork: one
 * protocol/hostIP/port once in the pod, and with hostNetwork each hostPort is its
 * containerPort (the container binds the node's port itself). */
static void validate_host_ports(const struct spec_pod *pod, struct nano_err *causes)
{
	for (size_t ci = 0; ci < pod->n_containers; ci++) {
		const struct spec_container *c = &pod->containers[ci];

		for (size_t pi = 0; pi < c->n_ports; pi++) {
			const struct spec_port *p = &c->ports[pi];
			bool seen = false;
			char field[96];

			if (p->host_port == 0)
				continue;
			snprintf(field, sizeof(field), "spec.containers[%zu].ports[%zu].hostPort",
			         ci, pi);
			if (pod->host_network && p->host_port != p->container_port)
				nano_err_cause(
				        causes, field, "FieldValueInvalid",
				        "Invalid value: %" PRId64
				        ": must match `containerPort` when `hostNetwork` is true",
				        p->host_port);
			for (size_t cj = 0; cj <= ci && !seen; cj++)
				for (size_t pj = 0; pj < pod->containers[cj].n_ports && !seen;
				     pj++) {
					const struct spec_port *q = &pod->containers[cj].ports[pj];

					if (cj == ci && pj == pi)
						break;
					seen = q->host_port == p->host_port &&
					       !strcmp(or_empty(q->protocol),
					               or_empty(p->protocol)) &&
					       !strcmp(or_empty(q->host_ip), or_empty(p->host_ip));
				}
			if (seen)
				nano_err_cause(causes, field, "FieldValueDuplicate",
				               "Duplicate value: \"%s/%s/%" PRId64 "\"",
				               or_empty(p->protocol), or_empty(p->host_ip),
				               p->host_port);
		}
	}
}

#define NAME_PART_MAX   63
#define ANNOTATIONS_MAX (256 * 1024)
/* apimachinery's IsQualifiedName and IsValidLabelValue, in their words */
#define NAME_PART_MESSAGE                                                                          \
	"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "  \
	"end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "  \
	"used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MESSAGE                                                                        \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], n bytes of it; empty is true (the caller
 * decides whether empty is allowed). */
static bool name_part(const char *s, size_t n)
{
	if (n == 0)
		return true;
	if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* A label or annotation key: [prefix/]name, the prefix a DNS-1123 subdomain, the name at most
 * 63 characters (IsQualifiedName). */
static void check_key(const char *field, const char *key, struct nano_err *causes)
{
	const char *slash = strchr(key, '/'), *name = slash ? slash + 1 : key;

	if (slash) {
		_cleanup_free_ char *prefix = strndup(key, (size_t)(slash - key));

		if (prefix && (!*prefix || !validate_dns1123_subdomain(prefix)))
			nano_err_cause(causes, field, "FieldValueInvalid",
			               "Invalid value: \"%s\": prefix part %s", key,
			               validate_subdomain_message);
	}
	if (!*name)
		nano_err_cause(causes, field, "FieldValueInvalid",
		               "Invalid value: \"%s\": name part must be non-empty", key);
	else if (strlen(name) > NAME_PART_MAX)
		nano_err_cause(
		        causes, field, "FieldValueInvalid",
		        "Invalid value: \"%s\": name part must be no more than 63 characters", key);
	else if (!name_part(name, strlen(name)))
		nano_err_cause(causes, field, "FieldValueInvalid", "Invalid value: \"%s\": %s", key,
		               NAME_PART_MESSAGE);
}

void validate_labels_and_annotations(const json_t *meta, struct nano_err *causes)
{
	const char *key;
	json_t *value;
	size_t total = 0;

	json_object_foreach((json_t *)json_object_get(meta, "labels"), key, value)
	{
		const char *v = json_string_value(value);
		size_t n = v ? strlen(v) : 0;

		check_key("metadata.labels", key, causes);
		if (!v)
			continue; /* check_metadata says it */
		if (n > NAME_PART_MAX)
			nano_err_cause(causes, "metadata.labels", "FieldValueInvalid",
			               "Invalid value: \"%s\": must be no more than 63 characters",
			               v);
		else if (!name_part(v, n))
			nano_err_cause(causes, "metadata.labels", "FieldValueInvalid",
			               "Invalid value: \"%s\": %s", v, LABEL_VALUE_MESSAGE);
	}
	json_object_foreach((json_t *)json_object_get(meta, "annotations"), key, value)
	{
		check_key("metadata.annotations", key, causes);
		total += strlen(key) +
		         (json_is_string(value) ? strlen(json_string_value(value)) : 0);
	}
	if (total > ANNOTATIONS_MAX)
		nano_err_cause(causes, "metadata.annotations", "FieldValueTooLong",
		               "Too long: must have at most %d bytes", ANNOTATIONS_MAX);
}

void validate_pod(const struct spec_pod *pod, json_t *spec, struct nano_err *causes)
{
	_cleanup_(name_index_done) struct name_index volumes;

	INDEX_OF(&volumes, pod->volumes, pod->n_volumes, name);
	if (!pod->name || !*pod->name)
		nano_err_cause(causes, "metadata.name", "FieldValueRequired",
		               "Required value: name or generateName is required");
	else if (!validate_dns1123_subdomain(pod->name))
		nano_err_cause(causes, "metadata.name", "FieldValueInvalid",
		               "Invalid value: \"%s\": %s", pod->name, validate_subdomain_message);
	validate_namespaces(pod, causes);
	validate_containers(pod, spec, &volumes, causes);
	validate_volumes(pod, &volumes, causes);
	validate_host_ports(pod, causes);
	validate_security(pod, spec, causes);
	validate_sysctls(pod, causes);
}
