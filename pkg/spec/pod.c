/* pkg/spec/pod.c: a decoded document -> struct spec_pod.
 *
 * Order, as the API server does it: check the shape (schema.c: prune unknown fields, warn on
 * ignored ones, type errors), apply defaults to the document itself (so that a dry run answers
 * with the defaulted Pod), read every implemented field into the model while checking its value,
 * then check the rules between fields (validate.c). Every cause is collected; nothing stops at
 * the first. Pure: no I/O, no clock.
 */
#include "spec.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "schema.h"
#include "validate.h"

#define PIDS_LIMIT_ANNOTATION "nanolet.io/pids-limit"
#define DEFAULT_GRACE_SECONDS 30
#define ID_MAX                INT64_C(2147483647)

static const char *const quantity_regexp = "quantities must match the regular expression "
                                           "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/* ---- defaults ------------------------------------------------------------------------------ */

static json_t *object_child(json_t *parent, const char *key)
{
	json_t *child = json_object_get(parent, key);

	if (json_is_null(child) || !child) {
		child = json_object();
		if (json_object_set_new(parent, key, child) < 0)
			return NULL;
	}
	return json_is_object(child) ? child : NULL;
}

static void set_default(json_t *obj, const char *key, json_t *value)
{
	json_t *cur = json_object_get(obj, key);

	if (!cur || json_is_null(cur))
		json_object_set_new(obj, key, value);
	else
		json_decref(value);
}

/* Kubernetes' defaulting for what nanolet implements: a request defaults to its limit. */
/* SetDefaults_Container: an absent or empty imagePullPolicy is Always when the image has the tag
 * latest or neither tag nor digest, else IfNotPresent (an image that does not parse, which only
 * the kubelet refuses, included). */
static void default_image_pull_policy(json_t *c)
{
	const char *image = json_string_value(json_object_get(c, "image"));
	const char *policy = json_string_value(json_object_get(c, "imagePullPolicy"));
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct image_ref ref = {0};
	const char *value = "IfNotPresent";

	if (policy && *policy)
		return;
	if (image && image_ref_parse(image, &ref, &err) >= 0 &&
	    image_pull_policy_default(&ref) == IMAGE_PULL_ALWAYS)
		value = "Always";
	image_ref_done(&ref);
	json_object_set_new(c, "imagePullPolicy", json_string(value));
}

static void default_container(json_t *c)
{
	json_t *resources, *limits, *requests, *v;
	const char *name;

	if (!json_is_object(c))
		return;
	resources = json_object_get(c, "resources");
	limits = json_is_object(resources) ? json_object_get(resources, "limits") : NULL;
	if (!json_is_object(limits) || json_object_size(limits) == 0)
		return;
	requests = object_child(resources, "requests");
	if (!requests)
		return;
	json_object_foreach(limits, name, v)
	{
		int64_t ignored;

		/* an invalid limit is reported once, at the limit, not again at its copy */
		if (json_is_string(v) && spec_quantity_parse(json_string_value(v), 1, &ignored) < 0)
			continue;
		set_default(requests, name, json_deep_copy(v));
	}
}

/* A port's protocol defaults to TCP; with hostNetwork an absent hostPort is the containerPort
 * (the port is the node's anyway). */
static void default_ports(json_t *c, bool host_network)
{
	json_t *ports = json_is_object(c) ? json_object_get(c, "ports") : NULL, *p, *host;
	size_t i;

	json_array_foreach(ports, i, p)
	{
		if (!json_is_object(p))
			continue;
		set_default(p, "protocol", json_string("TCP"));
		host = json_object_get(p, "hostPort");
		if (host_network &&
		    (!host || (json_is_integer(host) && !json_integer_value(host))) &&
		    json_is_integer(json_object_get(p, "containerPort")))
			json_object_set(p, "hostPort", json_object_get(p, "containerPort"));
	}
}

static void apply_defaults(json_t *doc, const char *path_namespace)
{
	json_t *metadata = object_child(doc, "metadata");
	json_t *spec = object_child(doc, "spec");
	json_t *containers, *c;
	size_t i;

	if (metadata && path_namespace)
		set_default(metadata, "namespace", json_string(path_namespace));
	if (!spec)
		return;
	set_default(spec, "restartPolicy", json_string("Always"));
	set_default(spec, "terminationGracePeriodSeconds", json_integer(DEFAULT_GRACE_SECONDS));
	/* SetDefaults_PodSpec: an empty policy is ClusterFirst too */
	if (json_is_string(json_object_get(spec, "dnsPolicy")) &&
	    !*json_string_value(json_object_get(spec, "dnsPolicy")))
		json_object_del(spec, "dnsPolicy");
	set_default(spec, "dnsPolicy", json_string("ClusterFirst"));
	set_default(spec, "securityContext", json_object());
	containers = json_object_get(spec, "containers");
	json_array_foreach(containers, i, c)
	{
		default_container(c);
		default_ports(c, json_is_true(json_object_get(spec, "hostNetwork")));
		spec_container_default_probes(c);
		/* after terminationMessagePolicy, as the API server's Container orders them */
		if (json_is_object(c))
			default_image_pull_policy(c);
	}
}

/* ---- reading ------------------------------------------------------------------------------- */

struct reader {
	struct nano_err *causes;
	char path[SCHEMA_PATH_MAX];
};

/* Appends ".key" or "[i]" to the reader's path for one call; returns the old length. */
static size_t path_push(struct reader *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static size_t path_push(struct reader *r, const char *fmt, ...)
{
	size_t len = strlen(r->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->path + len, sizeof(r->path) - len, fmt, ap);
	va_end(ap);
	return len;
}

static void path_pop(struct reader *r, size_t len)
{
	r->path[len] = '\0';
}

static void cause_at(struct reader *r, const char *key, const char *reason, const char *message)
{
	size_t len = path_push(r, ".%s", key);

	nano_err_cause(r->causes, r->path, reason, "%s", message);
	path_pop(r, len);
}

/* Type errors were reported by schema.c; a wrong-typed value reads as absent here. */
static const char *get_string(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static char *dup_string(json_t *obj, const char *key)
{
	const char *s = get_string(obj, key);

	return s ? strdup(s) : NULL;
}

static bool get_bool(json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

static enum spec_bool get_tristate(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_boolean(v))
		return SPEC_BOOL_UNSET;
	return json_is_true(v) ? SPEC_BOOL_TRUE : SPEC_BOOL_FALSE;
}

static bool json_int(const json_t *v, int64_t *out)
{
	if (!schema_json_is_int(v))
		return false;
	*out = json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)json_real_value(v);
	return true;
}

/* An id (uid, gid) in 0..2147483647, as Kubernetes allows; SPEC_UNSET when absent. */
static int64_t read_id(struct reader *r, json_t *obj, const char *key)
{
	int64_t v;

	if (!json_int(json_object_get(obj, key), &v))
		return SPEC_UNSET;
	if (v < 0 || v > ID_MAX) {
		size_t len = path_push(r, ".%s", key);

		nano_err_cause(r->causes, r->path, "FieldValueInvalid",
		               "Invalid value: %" PRId64
		               ": must be between 0 and 2147483647, inclusive",
		               v);
		path_pop(r, len);
		return SPEC_UNSET;
	}
	return v;
}

static char **read_strings(json_t *obj, const char *key)
{
	json_t *arr = json_object_get(obj, key), *item;
	char **l = NULL;
	size_t i, n = 0;

	if (!json_is_array(arr))
		return NULL;
	l = calloc(1, sizeof(char *));
	json_array_foreach(arr, i, item)
	{
		if (json_is_string(item) &&
		    strv_append(&l, &n, strdup(json_string_value(item))) < 0)
			break;
	}
	return l;
}

/* Reads a quantity field (string or number) of obj; SPEC_UNSET when absent or invalid. */
static int64_t read_quantity(struct reader *r, json_t *obj, const char *key, int64_t multiplier)
{
	json_t *v = json_object_get(obj, key);
	_cleanup_free_ char *text = NULL;
	int64_t value = SPEC_UNSET;
	size_t len;
	int rc;

	if (json_is_string(v))
		text = strdup(json_string_value(v));
	else if (json_is_number(v))
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	else
		return SPEC_UNSET;
	if (!text)
		return SPEC_UNSET;

	len = path_push(r, ".%s", key);
	rc = spec_quantity_parse(text, multiplier, &value);
	if (rc == -ERANGE)
		nano_err_cause(r->causes, r->path, "FieldValueInvalid",
		               "Invalid value: \"%s\": quantity is too large", text);
	else if (rc < 0)
		nano_err_cause(r->causes, r->path, "FieldValueInvalid", "Invalid value: \"%s\": %s",
		               text, quantity_regexp);
	else if (value < 0)
		nano_err_cause(r->causes, r->path, "FieldValueInvalid",
		               "Invalid value: \"%s\": must be greater than or equal to 0", text);
	path_pop(r, len);
	return rc < 0 || value < 0 ? SPEC_UNSET : value;
}

static void read_resources(struct reader *r, json_t *c, struct spec_resources *res)
{
	json_t *resources = json_object_get(c, "resources");
	json_t *limits = json_object_get(resources, "limits");
	json_t *requests = json_object_get(resources, "requests");
	size_t len;

	*res = (struct spec_resources){SPEC_UNSET, SPEC_UNSET, SPEC_UNSET, SPEC_UNSET};
	len = path_push(r, ".resources.limits");
	res->cpu_limit_milli = read_quantity(r, limits, "cpu", 1000);
	res->memory_limit = read_quantity(r, limits, "memory", 1);
	path_pop(r, len);
	len = path_push(r, ".resources.requests");
	res->cpu_request_milli = read_quantity(r, requests, "cpu", 1000);
	res->memory_request = read_quantity(r, requests, "memory", 1);
	/* resources other than cpu and memory: checked as quantities, then ignored (warned).
	 * By index, not by comparing the maps: null and true are jansson singletons, so limits
	 * and requests may be the same pointer (that comparison once looped forever). */
	for (size_t i = 0; i < 2; i++) {
		json_t *m = i == 0 ? limits : requests;
		const char *name;
		json_t *v;

		path_pop(r, len);
		path_push(r, ".resources.%s", i == 0 ? "limits" : "requests");
		json_object_foreach(m, name, v)
		{
			if (strcmp(name, "cpu") != 0 && strcmp(name, "memory") != 0)
				read_quantity(r, m, name, 1);
		}
	}
	path_pop(r, len);
}

static void read_env(struct reader *r, json_t *c, struct spec_container *out)
{
	json_t *env = json_object_get(c, "env"), *e;
	size_t i;

	if (!json_is_array(env) || json_array_size(env) == 0)
		return;
	out->env = calloc(json_array_size(env), sizeof(*out->env));
	if (!out->env)
		return;
	json_array_foreach(env, i, e)
	{
		struct spec_env_var *var = &out->env[out->n_env];
		size_t len = path_push(r, ".env[%zu]", i);

		if (!json_is_object(e)) {
			path_pop(r, len);
			continue;
		}
		var->name = dup_string(e, "name");
		var->value = strdup(get_string(e, "value") ? get_string(e, "value") : "");
		out->n_env++;
		if (!var->name || !*var->name)
			cause_at(r, "name", "FieldValueRequired", "Required value");
		else if (!validate_env_name(var->name))
			cause_at(r, "name", "FieldValueInvalid",
			         "Invalid value: a valid environment variable name must consist of "
			         "alphabetic characters, digits, '_', '-', or '.', and must not "
			         "start "
			         "with a digit");
		path_pop(r, len);
	}
}

static void read_volume_mounts(json_t *c, struct spec_container *out)
{
	json_t *mounts = json_object_get(c, "volumeMounts"), *m;
	size_t i;

	if (!json_is_array(mounts) || json_array_size(mounts) == 0)
		return;
	out->volume_mounts = calloc(json_array_size(mounts), sizeof(*out->volume_mounts));
	if (!out->volume_mounts)
		return;
	json_array_foreach(mounts, i, m)
	{
		struct spec_volume_mount *vm = &out->volume_mounts[out->n_volume_mounts];

		if (!json_is_object(m))
			continue;
		vm->name = dup_string(m, "name");
		vm->mount_path = dup_string(m, "mountPath");
		vm->sub_path = dup_string(m, "subPath");
		vm->read_only = get_bool(m, "readOnly");
		out->n_volume_mounts++;
	}
}

static void check_port_name(struct reader *r, const char *name)
{
	size_t len = path_push(r, ".name");

	validate_port_name(r->causes, r->path, name);
	path_pop(r, len);
}

static void check_port_number(struct reader *r, const char *key, int64_t port)
{
	size_t len = path_push(r, ".%s", key);

	if (port < 1 || port > 65535)
		nano_err_cause(r->causes, r->path, "FieldValueInvalid",
		               "Invalid value: %" PRId64 ": must be between 1 and 65535, inclusive",
		               port);
	path_pop(r, len);
}

/* ports[], by the API server's validateContainerPorts: a name unique in the container, a
 * containerPort, a hostPort when given, a protocol it knows; and a hostIP nanolet can forward
 * to (the API server takes any string; a rule needs an address). */
static void read_ports(struct reader *r, json_t *c, struct spec_container *out)
{
	json_t *ports = json_object_get(c, "ports"), *p;
	size_t i;

	if (!json_is_array(ports) || json_array_size(ports) == 0)
		return;
	out->ports = calloc(json_array_size(ports), sizeof(*out->ports));
	if (!out->ports)
		return;
	json_array_foreach(ports, i, p)
	{
		struct spec_port *port = &out->ports[out->n_ports];
		size_t len = path_push(r, ".ports[%zu]", i);
		struct in6_addr addr;

		if (!json_is_object(p)) {
			path_pop(r, len);
			continue;
		}
		port->name = dup_string(p, "name");
		port->protocol = dup_string(p, "protocol");
		port->host_ip = dup_string(p, "hostIP");
		(void)json_int(json_object_get(p, "containerPort"), &port->container_port);
		(void)json_int(json_object_get(p, "hostPort"), &port->host_port);
		out->n_ports++;
		if (port->name && *port->name) {
			check_port_name(r, port->name);
			for (size_t j = 0; j + 1 < out->n_ports; j++)
				if (out->ports[j].name && !strcmp(out->ports[j].name, port->name)) {
					size_t plen = path_push(r, ".name");

					nano_err_cause(r->causes, r->path, "FieldValueDuplicate",
					               "Duplicate value: \"%s\"", port->name);
					path_pop(r, plen);
					break;
				}
		}
		if (port->container_port == 0)
			cause_at(r, "containerPort", "FieldValueRequired", "Required value");
		else
			check_port_number(r, "containerPort", port->container_port);
		if (port->host_port != 0)
			check_port_number(r, "hostPort", port->host_port);
		if (!port->protocol || !*port->protocol)
			cause_at(r, "protocol", "FieldValueRequired", "Required value");
		else if (strcmp(port->protocol, "TCP") && strcmp(port->protocol, "UDP") &&
		         strcmp(port->protocol, "SCTP")) {
			size_t plen = path_push(r, ".protocol");

			nano_err_cause(r->causes, r->path, "FieldValueNotSupported",
			               "Unsupported value: \"%s\": supported values: \"SCTP\", "
			               "\"TCP\", \"UDP\"",
			               port->protocol);
			path_pop(r, plen);
		}
		if (port->host_ip && *port->host_ip &&
		    inet_pton(AF_INET, port->host_ip, &addr) != 1 &&
		    inet_pton(AF_INET6, port->host_ip, &addr) != 1) {
			size_t plen = path_push(r, ".hostIP");

			nano_err_cause(r->causes, r->path, "FieldValueInvalid",
			               "Invalid value: \"%s\": must be a valid IP address, (e.g. "
			               "10.9.8.7 or 2001:db8::ffff)",
			               port->host_ip);
			path_pop(r, plen);
		}
		path_pop(r, len);
	}
}

/* securityContext.seccompProfile, the API server's rules: a type it knows, and localhostProfile
 * with Localhost only. */
static void read_seccomp_profile(struct reader *r, json_t *sc, struct spec_seccomp_profile *out)
{
	static const char *const types[] = {[SPEC_SECCOMP_RUNTIME_DEFAULT] = "RuntimeDefault",
	                                    [SPEC_SECCOMP_UNCONFINED] = "Unconfined",
	                                    [SPEC_SECCOMP_LOCALHOST] = "Localhost"};
	json_t *profile = json_object_get(sc, "seccompProfile");
	const char *type = get_string(profile, "type");
	size_t len;

	out->type = SPEC_SECCOMP_UNSET;
	if (!json_is_object(profile))
		return;
	len = path_push(r, ".seccompProfile");
	out->localhost_profile = dup_string(profile, "localhostProfile");
	for (size_t i = SPEC_SECCOMP_RUNTIME_DEFAULT; type && i < ELEMENTSOF(types); i++)
		if (strcmp(type, types[i]) == 0)
			out->type = (enum spec_seccomp_type)i;
	path_push(r, ".type");
	if (!type)
		nano_err_cause(r->causes, r->path, "FieldValueRequired", "Required value");
	else if (out->type == SPEC_SECCOMP_UNSET)
		nano_err_cause(r->causes, r->path, "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"Localhost\", "
		               "\"RuntimeDefault\", \"Unconfined\"",
		               type);
	path_pop(r, len);
	len = path_push(r, ".seccompProfile.localhostProfile");
	if (out->type == SPEC_SECCOMP_LOCALHOST && !out->localhost_profile)
		nano_err_cause(r->causes, r->path, "FieldValueRequired",
		               "Required value: must be set when seccomp type is Localhost");
	else if (out->type == SPEC_SECCOMP_LOCALHOST &&
	         !validate_descending_path(out->localhost_profile))
		nano_err_cause(r->causes, r->path, "FieldValueInvalid",
		               "Invalid value: \"%s\": must be a relative path without '..'",
		               out->localhost_profile);
	else if (out->type != SPEC_SECCOMP_LOCALHOST && out->type != SPEC_SECCOMP_UNSET &&
	         out->localhost_profile)
		nano_err_cause(r->causes, r->path, "FieldValueInvalid",
		               "Invalid value: \"%s\": can only be set when seccomp type is "
		               "Localhost",
		               out->localhost_profile);
	path_pop(r, len);
}

/* The index of the value of obj's field in values (NULL-terminated), absent: 0; another value
 * is the API server's "Unsupported value" (with every value it supports), and 0. */
static size_t read_enum(struct reader *r, json_t *obj, const char *field, const char *const *values)
{
	const char *s = get_string(obj, field);
	char supported[128] = "";
	size_t len;

	if (!s)
		return 0;
	for (size_t i = 0; values[i]; i++) {
		if (strcmp(s, values[i]) == 0)
			return i;
		snprintf(supported + strlen(supported), sizeof(supported) - strlen(supported),
		         "%s\"%s\"", i ? ", " : "", values[i]);
	}
	len = path_push(r, ".%s", field);
	nano_err_cause(r->causes, r->path, "FieldValueNotSupported",
	               "Unsupported value: \"%s\": supported values: %s", s, supported);
	path_pop(r, len);
	return 0;
}

/* supplementalGroupsPolicy: true for Strict */
static bool read_supplemental_groups_policy(struct reader *r, json_t *psc)
{
	static const char *const values[] = {"Merge", "Strict", NULL};

	return read_enum(r, psc, "supplementalGroupsPolicy", values) == 1;
}

static enum spec_proc_mount read_proc_mount(struct reader *r, json_t *sc)
{
	static const char *const values[] = {"Default", "Unmasked", NULL};

	return read_enum(r, sc, "procMount", values) == 1 ? SPEC_PROC_MOUNT_UNMASKED
	                                                  : SPEC_PROC_MOUNT_DEFAULT;
}

/* imagePullPolicy by validateContainerCommon (defaulted before: absent is not an error). */
static enum image_pull_policy read_image_pull_policy(struct reader *r, json_t *c)
{
	const char *s = get_string(c, "imagePullPolicy");
	size_t len;

	if (!s || strcmp(s, "IfNotPresent") == 0)
		return IMAGE_PULL_IF_NOT_PRESENT;
	if (strcmp(s, "Always") == 0)
		return IMAGE_PULL_ALWAYS;
	if (strcmp(s, "Never") == 0)
		return IMAGE_PULL_NEVER;
	len = path_push(r, ".imagePullPolicy");
	if (*s)
		nano_err_cause(r->causes, r->path, "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"Always\", "
		               "\"IfNotPresent\", \"Never\"",
		               s);
	else
		nano_err_cause(r->causes, r->path, "FieldValueRequired", "Required value");
	path_pop(r, len);
	return IMAGE_PULL_IF_NOT_PRESENT;
}

static void read_container(struct reader *r, json_t *c, struct spec_container *out)
{
	json_t *sc = json_object_get(c, "securityContext");
	size_t len;

	out->name = dup_string(c, "name");
	out->image = strdup(get_string(c, "image") ? get_string(c, "image") : "");
	out->command = read_strings(c, "command");
	out->args = read_strings(c, "args");
	out->working_dir = dup_string(c, "workingDir");
	out->image_pull_policy = read_image_pull_policy(r, c);
	read_resources(r, c, &out->resources);
	read_env(r, c, out);
	read_volume_mounts(c, out);
	read_ports(r, c, out);
	len = path_push(r, ".securityContext");
	out->security_context.run_as_user = read_id(r, sc, "runAsUser");
	out->security_context.run_as_group = read_id(r, sc, "runAsGroup");
	read_seccomp_profile(r, sc, &out->security_context.seccomp_profile);
	out->security_context.proc_mount = read_proc_mount(r, sc);
	path_pop(r, len);
	out->security_context.run_as_non_root = get_tristate(sc, "runAsNonRoot");
	out->security_context.privileged = get_tristate(sc, "privileged");
	out->security_context.allow_privilege_escalation =
	        get_tristate(sc, "allowPrivilegeEscalation");
	out->security_context.read_only_root_filesystem =
	        get_tristate(sc, "readOnlyRootFilesystem");
	out->security_context.capabilities_add =
	        read_strings(json_object_get(sc, "capabilities"), "add");
	out->security_context.capabilities_drop =
	        read_strings(json_object_get(sc, "capabilities"), "drop");
}

static void read_volume(struct reader *r, json_t *v, struct spec_volume *out)
{
	json_t *empty_dir = json_object_get(v, "emptyDir");
	json_t *host_path = json_object_get(v, "hostPath");
	size_t len;

	out->name = dup_string(v, "name");
	out->size_limit = SPEC_UNSET;
	if (json_is_object(empty_dir)) {
		out->type = SPEC_VOLUME_EMPTY_DIR;
		out->medium = strdup(get_string(empty_dir, "medium") ?: "");
		len = path_push(r, ".emptyDir");
		out->size_limit = read_quantity(r, empty_dir, "sizeLimit", 1);
		path_pop(r, len);
	} else if (json_is_object(host_path)) {
		out->type = SPEC_VOLUME_HOST_PATH;
		out->path = dup_string(host_path, "path");
		out->path_type = strdup(get_string(host_path, "type") ?: "");
	} else {
		out->type = SPEC_VOLUME_UNSUPPORTED;
	}
}

/* securityContext.sysctls: kept as written; validate.c checks names, values and namespaces. */
static void read_sysctls(json_t *psc, struct spec_pod_security_context *out)
{
	json_t *arr = json_object_get(psc, "sysctls"), *item;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return;
	out->sysctls = calloc(json_array_size(arr), sizeof(*out->sysctls));
	json_array_foreach(arr, i, item)
	{
		struct spec_sysctl *s = out->sysctls ? &out->sysctls[out->n_sysctls] : NULL;

		if (!s || !json_is_object(item))
			continue;
		s->name = dup_string(item, "name");
		s->value = dup_string(item, "value");
		s->index = i;
		out->n_sysctls++;
	}
}

static void read_pids_annotation(struct reader *r, json_t *metadata, struct spec_pod *pod)
{
	const char *s = get_string(json_object_get(metadata, "annotations"), PIDS_LIMIT_ANNOTATION);
	char *end = NULL;
	long long v;

	pod->pids_limit_annotation = SPEC_UNSET;
	if (!s)
		return;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || *s == '+' || *s == '-' || v < 1 || v > ID_MAX) {
		nano_err_cause(
		        r->causes, "metadata.annotations[" PIDS_LIMIT_ANNOTATION "]",
		        "FieldValueInvalid",
		        "Invalid value: \"%s\": must be a whole number of processes, at least 1",
		        s);
		return;
	}
	pod->pids_limit_annotation = v;
}

/* kubernetes.io/{ingress,egress}-bandwidth as the kubelet's ExtractPodBandwidthResources reads
 * them, with its words. The kubelet finds a bad one only when it sets the sandbox up, and
 * fails that (the pod stays ContainerCreating); nanolet knows at create and refuses there. */
static int64_t read_bandwidth(struct reader *r, json_t *annotations, const char *key)
{
	const char *s = get_string(annotations, key);
	char field[96];
	int64_t v = 0;
	int rc;

	if (!s)
		return 0;
	snprintf(field, sizeof(field), "metadata.annotations[%s]", key);
	rc = spec_quantity_parse(s, 1, &v);
	if (rc == -EINVAL) {
		nano_err_cause(r->causes, field, "FieldValueInvalid", "Invalid value: \"%s\": %s",
		               s, quantity_regexp);
		return 0;
	}
	/* the kubelet compares Value(): the quantity rounded up to a whole number */
	if (rc == 0 && v < SPEC_BANDWIDTH_MIN)
		nano_err_cause(r->causes, field, "FieldValueInvalid",
		               "Invalid value: \"%s\": resource is "
		               "unreasonably small (< 1kbit)",
		               s);
	else if (rc == -ERANGE || v > SPEC_BANDWIDTH_MAX_K8S)
		nano_err_cause(r->causes, field, "FieldValueInvalid",
		               "Invalid value: \"%s\": resource is "
		               "unreasonably large (> 1Pbit)",
		               s);
	else if (v > SPEC_BANDWIDTH_MAX)
		nano_err_cause(r->causes, field, "FieldValueInvalid",
		               "Invalid value: \"%s\": nanolet shapes "
		               "at most %" PRId64 " bits per second (a tbf's rate is 2^31-1 bytes "
		               "per second through libnl-route)",
		               s, SPEC_BANDWIDTH_MAX);
	else
		return v;
	return 0;
}

static enum spec_restart_policy read_restart_policy(struct reader *r, const char *s)
{
	static const enum spec_restart_policy all[] = {SPEC_RESTART_ALWAYS, SPEC_RESTART_ON_FAILURE,
	                                               SPEC_RESTART_NEVER};

	for (size_t i = 0; s && i < ELEMENTSOF(all); i++)
		if (strcmp(s, spec_restart_policy_name(all[i])) == 0)
			return all[i];
	if (s)
		nano_err_cause(r->causes, "spec.restartPolicy", "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"Always\", "
		               "\"OnFailure\", \"Never\"",
		               s);
	return SPEC_RESTART_ALWAYS;
}

static void read_pod(struct reader *r, json_t *doc, struct spec_pod *pod)
{
	json_t *metadata = json_object_get(doc, "metadata");
	json_t *spec = json_object_get(doc, "spec");
	json_t *psc = json_object_get(spec, "securityContext");
	json_t *arr, *item;
	int64_t grace;
	size_t i;

	pod->name = dup_string(metadata, "name");
	pod->namespace = dup_string(metadata, "namespace");
	read_pids_annotation(r, metadata, pod);
	pod->ingress_bandwidth = read_bandwidth(r, json_object_get(metadata, "annotations"),
	                                        SPEC_INGRESS_BANDWIDTH_ANNOTATION);
	pod->egress_bandwidth = read_bandwidth(r, json_object_get(metadata, "annotations"),
	                                       SPEC_EGRESS_BANDWIDTH_ANNOTATION);

	pod->hostname = dup_string(spec, "hostname");
	pod->host_pid = get_bool(spec, "hostPID");
	pod->host_network = get_bool(spec, "hostNetwork");
	pod->host_ipc = get_bool(spec, "hostIPC");
	pod->share_process_namespace = get_bool(spec, "shareProcessNamespace");
	pod->host_users = get_tristate(spec, "hostUsers");
	pod->restart_policy = read_restart_policy(r, get_string(spec, "restartPolicy"));
	spec_pod_read_dns(spec, pod, r->causes);
	pod->termination_grace_period_seconds = DEFAULT_GRACE_SECONDS;
	if (json_int(json_object_get(spec, "terminationGracePeriodSeconds"), &grace)) {
		if (grace < 0)
			nano_err_cause(r->causes, "spec.terminationGracePeriodSeconds",
			               "FieldValueInvalid",
			               "Invalid value: %" PRId64
			               ": must be greater than or equal to 0",
			               grace);
		else
			pod->termination_grace_period_seconds = grace;
	}

	snprintf(r->path, sizeof(r->path), "spec.securityContext");
	pod->security_context.run_as_user = read_id(r, psc, "runAsUser");
	pod->security_context.run_as_group = read_id(r, psc, "runAsGroup");
	pod->security_context.fs_group = read_id(r, psc, "fsGroup");
	pod->security_context.run_as_non_root = get_tristate(psc, "runAsNonRoot");
	read_seccomp_profile(r, psc, &pod->security_context.seccomp_profile);
	read_sysctls(psc, &pod->security_context);
	pod->security_context.supplemental_groups_strict = read_supplemental_groups_policy(r, psc);
	arr = json_object_get(psc, "supplementalGroups");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		pod->security_context.supplemental_groups =
		        calloc(json_array_size(arr), sizeof(int64_t));
		json_array_foreach(arr, i, item)
		{
			int64_t gid;
			size_t len;

			if (!pod->security_context.supplemental_groups)
				break;
			len = path_push(r, ".supplementalGroups[%zu]", i);
			if (json_int(item, &gid) && (gid < 0 || gid > ID_MAX))
				nano_err_cause(r->causes, r->path, "FieldValueInvalid",
				               "Invalid value: %" PRId64
				               ": must be between 0 and 2147483647, inclusive",
				               gid);
			else if (json_int(item, &gid))
				pod->security_context.supplemental_groups
				        [pod->security_context.n_supplemental_groups++] = gid;
			path_pop(r, len);
		}
	}

	arr = json_object_get(spec, "containers");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		pod->containers = calloc(json_array_size(arr), sizeof(*pod->containers));
		json_array_foreach(arr, i, item)
		{
			if (!pod->containers || !json_is_object(item))
				continue;
			snprintf(r->path, sizeof(r->path), "spec.containers[%zu]", i);
			read_container(r, item, &pod->containers[pod->n_containers]);
			spec_container_read_probes(
			        item, r->path, pod->termination_grace_period_seconds,
			        &pod->containers[pod->n_containers++], r->causes);
		}
	}
	arr = json_object_get(spec, "volumes");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		pod->volumes = calloc(json_array_size(arr), sizeof(*pod->volumes));
		json_array_foreach(arr, i, item)
		{
			if (!pod->volumes || !json_is_object(item))
				continue;
			snprintf(r->path, sizeof(r->path), "spec.volumes[%zu]", i);
			read_volume(r, item, &pod->volumes[pod->n_volumes++]);
		}
	}
}

/* ---- the whole decode ------------------------------------------------------------------------ */

static int strict_error(const struct schema_report *report, struct nano_err *err)
{
	_cleanup_strv_ char **all = strv_copy(report->unknown);
	_cleanup_free_ char *list = NULL;
	size_t n = strv_len(all);

	for (size_t i = 0; report->ignored && report->ignored[i]; i++)
		strv_append(&all, &n, strdup(report->ignored[i]));
	list = strv_join(all, ", ");
	if (!list)
		return nano_err_set(err, ENOMEM, "out of memory");
	return nano_err_set(err, EBADMSG, "strict decoding error: %s", list);
}

int spec_invalid_error(const char *name, struct nano_err *causes, struct nano_err *err)
{
	_cleanup_strv_ char **lines = NULL;
	_cleanup_free_ char *list = NULL;
	size_t n = causes->n_causes;

	for (size_t i = 0, k = 0; i < n; i++)
		strv_append(&lines, &k,
		            strdupf("%s: %s", causes->causes[i].field, causes->causes[i].message));
	list = strv_join(lines, ", ");
	if (!list)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (err) {
		nano_err_clear(err);
		err->causes = TAKE_PTR(causes->causes);
		err->n_causes = n;
		causes->n_causes = 0;
	}
	return nano_err_set(err, EINVAL,
	                    n > 1 ? "Pod \"%s\" is invalid: [%s]" : "Pod \"%s\" is invalid: %s",
	                    name ?: "", list);
}

static void check_type_meta(json_t *doc, struct nano_err *causes)
{
	const char *kind = get_string(doc, "kind");
	const char *api_version = get_string(doc, "apiVersion");

	if (kind && strcmp(kind, "Pod") != 0)
		nano_err_cause(causes, "kind", "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"Pod\"", kind);
	if (api_version && strcmp(api_version, "v1") != 0)
		nano_err_cause(causes, "apiVersion", "FieldValueNotSupported",
		               "Unsupported value: \"%s\": supported values: \"v1\"", api_version);
}

static int pod_decode(json_t *input, const struct spec_decode_options *options,
                      struct spec_pod **out, char ***warnings, struct nano_err *err)
{
	/* aliases share nodes: prune and default a copy of our own, each place once */
	_cleanup_json_ json_t *doc = json_is_object(input) ? json_deep_copy(input) : NULL;
	_cleanup_(schema_report_done) struct schema_report report = {0};
	_cleanup_(nano_err_clear) struct nano_err causes = {0};
	_cleanup_pod_ struct spec_pod *pod = NULL;
	struct reader r = {.causes = &causes};
	size_t n_warnings;
	const char *ns;

	if (!json_is_object(input))
		return nano_err_set(err, EBADMSG,
		                    "the body is not a Pod: expected an object, got %s",
		                    input && !json_is_null(input) ? "another value" : "nothing");
	if (!doc)
		return nano_err_set(err, ENOMEM, "out of memory");

	schema_check_pod(doc, &report, &causes);
	/* Strict: they are the error, and only that (the API server warns of none of them) */
	if (options->strict && (report.unknown || report.ignored))
		return strict_error(&report, err);
	n_warnings = strv_len(*warnings);
	for (char **l = report.unknown; l && *l; l++)
		strv_append(warnings, &n_warnings, strdup(*l));
	for (char **l = report.ignored; l && *l; l++)
		strv_append(warnings, &n_warnings, strdup(*l));

	ns = get_string(json_object_get(doc, "metadata"), "namespace");
	if (ns && options->path_namespace && strcmp(ns, options->path_namespace) != 0)
		return nano_err_set(err, EBADMSG,
		                    "the namespace of the provided object (\"%s\") does not match "
		                    "the namespace sent on the request (\"%s\")",
		                    ns, options->path_namespace);

	check_type_meta(doc, &causes);
	apply_defaults(doc, options->path_namespace);

	pod = calloc(1, sizeof(*pod));
	if (!pod)
		return nano_err_set(err, ENOMEM, "out of memory");
	read_pod(&r, doc, pod);
	validate_labels_and_annotations(json_object_get(doc, "metadata"), &causes);
	validate_pod(pod, json_object_get(doc, "spec"), &causes);
	if (options->max_containers && pod->n_containers > options->max_containers)
		nano_err_cause(&causes, "spec.containers", "FieldValueTooMany",
		               "Too many: %zu: must have at most %zu items (max_pod_containers)",
		               pod->n_containers, options->max_containers);
	if (causes.n_causes > 0)
		return spec_invalid_error(pod->name, &causes, err);

	pod->object = json_incref(doc);
	*out = TAKE_PTR(pod);
	return 0;
}

int spec_pod_decode(json_t *input, const struct spec_decode_options *options, struct spec_pod **out,
                    char ***warnings, struct nano_err *err)
{
	return spec_request_error(err, pod_decode(input, options, out, warnings, err));
}

/* ---- freeing ------------------------------------------------------------------------------- */

static void container_done(struct spec_container *c)
{
	free(c->name);
	free(c->image);
	strv_free(c->command);
	strv_free(c->args);
	free(c->working_dir);
	for (size_t i = 0; i < c->n_env; i++) {
		free(c->env[i].name);
		free(c->env[i].value);
	}
	free(c->env);
	for (size_t i = 0; i < c->n_volume_mounts; i++) {
		free(c->volume_mounts[i].name);
		free(c->volume_mounts[i].mount_path);
		free(c->volume_mounts[i].sub_path);
	}
	free(c->volume_mounts);
	for (size_t i = 0; i < c->n_ports; i++) {
		free(c->ports[i].name);
		free(c->ports[i].protocol);
		free(c->ports[i].host_ip);
	}
	free(c->ports);
	strv_free(c->security_context.capabilities_add);
	strv_free(c->security_context.capabilities_drop);
	free(c->security_context.seccomp_profile.localhost_profile);
	spec_container_probes_done(c);
}

struct spec_pod *spec_pod_free(struct spec_pod *pod)
{
	if (!pod)
		return NULL;
	free(pod->name);
	free(pod->namespace);
	free(pod->uid);
	free(pod->hostname);
	spec_pod_dns_done(pod);
	free(pod->security_context.supplemental_groups);
	free(pod->security_context.seccomp_profile.localhost_profile);
	for (size_t i = 0; i < pod->security_context.n_sysctls; i++) {
		free(pod->security_context.sysctls[i].name);
		free(pod->security_context.sysctls[i].value);
	}
	free(pod->security_context.sysctls);
	for (size_t i = 0; i < pod->n_containers; i++)
		container_done(&pod->containers[i]);
	free(pod->containers);
	for (size_t i = 0; i < pod->n_volumes; i++) {
		free(pod->volumes[i].name);
		free(pod->volumes[i].medium);
		free(pod->volumes[i].path);
		free(pod->volumes[i].path_type);
	}
	free(pod->volumes);
	json_decref(pod->object);
	free(pod);
	return NULL;
}
