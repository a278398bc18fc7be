/* pkg/spec/schema.c: the shape of a core/v1 Pod, as one table.
 *
 * Walks a decoded document against the table before anything reads it:
 *   - a field Kubernetes does not know is pruned, with the API server's warning
 *     `unknown field "spec.foo"`;
 *   - a field Kubernetes knows but nanolet does not implement is kept, with a warning saying it
 *     is ignored (never dropped in silence);
 *   - a value of the wrong JSON type becomes a FieldValueTypeInvalid cause (422).
 * With strict field validation the first two are errors instead. Pure: no I/O.
 */
#include "schema.h"

#include <string.h>

enum field_type {
	T_STRING,
	T_BOOL,
	T_INT,
	T_OBJECT,        /* children in .fields */
	T_LIST,          /* array of objects shaped by .fields */
	T_STRINGS,       /* array of strings */
	T_INTS,          /* array of integers */
	T_STRING_MAP,    /* labels, annotations: any key, string values */
	T_RESOURCES,     /* limits/requests: resource name -> quantity (string or number) */
	T_INT_OR_STRING, /* a port: a number or an IANA service name (intstr.IntOrString) */
	T_ANY,           /* not descended: only with .ignored set */
};

struct field {
	const char *name;
	enum field_type type;
	const struct field *fields;
	/* NULL when nanolet implements the field; else why it is ignored (ends the warning). */
	const char *ignored;
};

#define NOT_IMPLEMENTED "not implemented by nanolet; ignored"
#define SET_BY_NANOLET  "set by nanolet; the value sent is ignored"
#define END                                                                                        \
	{                                                                                          \
		NULL, 0, NULL, NULL                                                                \
	}

static const struct field object_meta[] = {
        {"name", T_STRING, NULL, NULL},
        {"namespace", T_STRING, NULL, NULL},
        {"labels", T_STRING_MAP, NULL, NULL},
        {"annotations", T_STRING_MAP, NULL, NULL},
        {"generateName", T_ANY, NULL, NOT_IMPLEMENTED},
        {"uid", T_ANY, NULL, SET_BY_NANOLET},
        {"resourceVersion", T_ANY, NULL, SET_BY_NANOLET},
        {"generation", T_ANY, NULL, SET_BY_NANOLET},
        {"creationTimestamp", T_ANY, NULL, SET_BY_NANOLET},
        {"deletionTimestamp", T_ANY, NULL, SET_BY_NANOLET},
        {"deletionGracePeriodSeconds", T_ANY, NULL, SET_BY_NANOLET},
        {"selfLink", T_ANY, NULL, SET_BY_NANOLET},
        {"managedFields", T_ANY, NULL, NOT_IMPLEMENTED},
        {"ownerReferences", T_ANY, NULL, NOT_IMPLEMENTED},
        {"finalizers", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field env_var[] = {
        {"name", T_STRING, NULL, NULL},
        {"value", T_STRING, NULL, NULL},
        {"valueFrom", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field resources[] = {
        {"limits", T_RESOURCES, NULL, NULL},
        {"requests", T_RESOURCES, NULL, NULL},
        {"claims", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field volume_mount[] = {
        {"name", T_STRING, NULL, NULL},
        {"mountPath", T_STRING, NULL, NULL},
        {"subPath", T_STRING, NULL, NULL},
        {"readOnly", T_BOOL, NULL, NULL},
        {"mountPropagation", T_ANY, NULL, NOT_IMPLEMENTED},
        {"subPathExpr", T_ANY, NULL, NOT_IMPLEMENTED},
        {"recursiveReadOnly", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field capabilities[] = {
        {"add", T_STRINGS, NULL, NULL},
        {"drop", T_STRINGS, NULL, NULL},
        END,
};

static const struct field seccomp_profile[] = {
        {"type", T_STRING, NULL, NULL},
        {"localhostProfile", T_STRING, NULL, NULL},
        END,
};

static const struct field container_security_context[] = {
        {"runAsUser", T_INT, NULL, NULL},
        {"runAsGroup", T_INT, NULL, NULL},
        {"allowPrivilegeEscalation", T_BOOL, NULL, NULL},
        {"readOnlyRootFilesystem", T_BOOL, NULL, NULL},
        {"runAsNonRoot", T_BOOL, NULL, NULL},
        {"privileged", T_BOOL, NULL, NULL},
        {"capabilities", T_OBJECT, capabilities, NULL},
        {"procMount", T_STRING, NULL, NULL},
        {"seccompProfile", T_OBJECT, seccomp_profile, NULL},
        {"seLinuxOptions", T_ANY, NULL, NOT_IMPLEMENTED},
        {"windowsOptions", T_ANY, NULL, NOT_IMPLEMENTED},
        {"appArmorProfile", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field container_port[] = {
        {"name", T_STRING, NULL, NULL},   {"containerPort", T_INT, NULL, NULL},
        {"hostPort", T_INT, NULL, NULL},  {"protocol", T_STRING, NULL, NULL},
        {"hostIP", T_STRING, NULL, NULL}, END,
};

static const struct field exec_action[] = {
        {"command", T_STRINGS, NULL, NULL},
        END,
};

static const struct field http_header[] = {
        {"name", T_STRING, NULL, NULL},
        {"value", T_STRING, NULL, NULL},
        END,
};

static const struct field http_get_action[] = {
        {"path", T_STRING, NULL, NULL},
        {"port", T_INT_OR_STRING, NULL, NULL},
        {"host", T_STRING, NULL, NULL},
        {"scheme", T_STRING, NULL, NULL},
        {"httpHeaders", T_LIST, http_header, NULL},
        END,
};

static const struct field tcp_socket_action[] = {
        {"port", T_INT_OR_STRING, NULL, NULL},
        {"host", T_STRING, NULL, NULL},
        END,
};

static const struct field grpc_action[] = {
        {"port", T_INT, NULL, NULL},
        {"service", T_STRING, NULL, NULL},
        END,
};

static const struct field sleep_action[] = {
        {"seconds", T_INT, NULL, NULL},
        END,
};

/* core/v1 Probe: ProbeHandler (exec, httpGet, tcpSocket, grpc) and the timing */
static const struct field probe[] = {
        {"exec", T_OBJECT, exec_action, NULL},
        {"httpGet", T_OBJECT, http_get_action, NULL},
        {"tcpSocket", T_OBJECT, tcp_socket_action, NULL},
        {"grpc", T_OBJECT, grpc_action, NULL},
        {"initialDelaySeconds", T_INT, NULL, NULL},
        {"timeoutSeconds", T_INT, NULL, NULL},
        {"periodSeconds", T_INT, NULL, NULL},
        {"successThreshold", T_INT, NULL, NULL},
        {"failureThreshold", T_INT, NULL, NULL},
        {"terminationGracePeriodSeconds", T_INT, NULL, NULL},
        END,
};

/* core/v1 LifecycleHandler: no grpc; tcpSocket is kept by the API for compatibility (the
 * kubelet cannot run it as a hook) */
static const struct field lifecycle_handler[] = {
        {"exec", T_OBJECT, exec_action, NULL},
        {"httpGet", T_OBJECT, http_get_action, NULL},
        {"tcpSocket", T_OBJECT, tcp_socket_action, NULL},
        {"sleep", T_OBJECT, sleep_action, NULL},
        END,
};

static const struct field lifecycle[] = {
        {"postStart", T_OBJECT, lifecycle_handler, NULL},
        {"preStop", T_OBJECT, lifecycle_handler, NULL},
        {"stopSignal", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field container[] = {
        {"name", T_STRING, NULL, NULL},
        {"image", T_STRING, NULL, NULL},
        {"command", T_STRINGS, NULL, NULL},
        {"args", T_STRINGS, NULL, NULL},
        {"workingDir", T_STRING, NULL, NULL},
        {"env", T_LIST, env_var, NULL},
        {"resources", T_OBJECT, resources, NULL},
        {"volumeMounts", T_LIST, volume_mount, NULL},
        {"securityContext", T_OBJECT, container_security_context, NULL},
        {"ports", T_LIST, container_port, NULL},
        {"envFrom", T_ANY, NULL, NOT_IMPLEMENTED},
        {"resizePolicy", T_ANY, NULL, NOT_IMPLEMENTED},
        {"restartPolicy", T_ANY, NULL, NOT_IMPLEMENTED},
        {"volumeDevices", T_ANY, NULL, NOT_IMPLEMENTED},
        {"livenessProbe", T_OBJECT, probe, NULL},
        {"readinessProbe", T_OBJECT, probe, NULL},
        {"startupProbe", T_OBJECT, probe, NULL},
        {"lifecycle", T_OBJECT, lifecycle, NULL},
        {"terminationMessagePath", T_STRING, NULL, NULL},
        {"terminationMessagePolicy", T_STRING, NULL, NULL},
        {"imagePullPolicy", T_STRING, NULL, NULL},
        {"stdin", T_ANY, NULL, NOT_IMPLEMENTED},
        {"stdinOnce", T_ANY, NULL, NOT_IMPLEMENTED},
        {"tty", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field empty_dir[] = {
        {"medium", T_STRING, NULL, NULL},
        {"sizeLimit", T_ANY, NULL, NULL}, /* a quantity: string or number, read by pod.c */
        END,
};

static const struct field host_path[] = {
        {"path", T_STRING, NULL, NULL},
        {"type", T_STRING, NULL, NULL},
        END,
};

static const struct field volume[] = {
        {"name", T_STRING, NULL, NULL},
        {"emptyDir", T_OBJECT, empty_dir, NULL},
        {"hostPath", T_OBJECT, host_path, NULL},
        {"configMap", T_ANY, NULL, NOT_IMPLEMENTED},
        {"secret", T_ANY, NULL, NOT_IMPLEMENTED},
        {"persistentVolumeClaim", T_ANY, NULL, NOT_IMPLEMENTED},
        {"projected", T_ANY, NULL, NOT_IMPLEMENTED},
        {"downwardAPI", T_ANY, NULL, NOT_IMPLEMENTED},
        {"ephemeral", T_ANY, NULL, NOT_IMPLEMENTED},
        {"image", T_ANY, NULL, NOT_IMPLEMENTED},
        {"csi", T_ANY, NULL, NOT_IMPLEMENTED},
        {"nfs", T_ANY, NULL, NOT_IMPLEMENTED},
        {"iscsi", T_ANY, NULL, NOT_IMPLEMENTED},
        {"fc", T_ANY, NULL, NOT_IMPLEMENTED},
        {"rbd", T_ANY, NULL, NOT_IMPLEMENTED},
        {"cephfs", T_ANY, NULL, NOT_IMPLEMENTED},
        {"glusterfs", T_ANY, NULL, NOT_IMPLEMENTED},
        {"gitRepo", T_ANY, NULL, NOT_IMPLEMENTED},
        {"awsElasticBlockStore", T_ANY, NULL, NOT_IMPLEMENTED},
        {"gcePersistentDisk", T_ANY, NULL, NOT_IMPLEMENTED},
        {"azureDisk", T_ANY, NULL, NOT_IMPLEMENTED},
        {"azureFile", T_ANY, NULL, NOT_IMPLEMENTED},
        {"cinder", T_ANY, NULL, NOT_IMPLEMENTED},
        {"flexVolume", T_ANY, NULL, NOT_IMPLEMENTED},
        {"flocker", T_ANY, NULL, NOT_IMPLEMENTED},
        {"vsphereVolume", T_ANY, NULL, NOT_IMPLEMENTED},
        {"quobyte", T_ANY, NULL, NOT_IMPLEMENTED},
        {"photonPersistentDisk", T_ANY, NULL, NOT_IMPLEMENTED},
        {"portworxVolume", T_ANY, NULL, NOT_IMPLEMENTED},
        {"scaleIO", T_ANY, NULL, NOT_IMPLEMENTED},
        {"storageos", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field sysctl[] = {
        {"name", T_STRING, NULL, NULL},
        {"value", T_STRING, NULL, NULL},
        END,
};

static const struct field pod_security_context[] = {
        {"runAsUser", T_INT, NULL, NULL},
        {"runAsGroup", T_INT, NULL, NULL},
        {"fsGroup", T_INT, NULL, NULL},
        {"supplementalGroups", T_INTS, NULL, NULL},
        {"runAsNonRoot", T_BOOL, NULL, NULL},
        {"seccompProfile", T_OBJECT, seccomp_profile, NULL},
        {"supplementalGroupsPolicy", T_STRING, NULL, NULL},
        {"fsGroupChangePolicy", T_ANY, NULL, NOT_IMPLEMENTED},
        {"sysctls", T_LIST, sysctl, NULL},
        {"seLinuxOptions", T_ANY, NULL, NOT_IMPLEMENTED},
        {"seLinuxChangePolicy", T_ANY, NULL, NOT_IMPLEMENTED},
        {"windowsOptions", T_ANY, NULL, NOT_IMPLEMENTED},
        {"appArmorProfile", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field dns_config_option[] = {
        {"name", T_STRING, NULL, NULL},
        {"value", T_STRING, NULL, NULL},
        END,
};

static const struct field dns_config[] = {
        {"nameservers", T_STRINGS, NULL, NULL},
        {"searches", T_STRINGS, NULL, NULL},
        {"options", T_LIST, dns_config_option, NULL},
        END,
};

static const struct field host_alias[] = {
        {"ip", T_STRING, NULL, NULL},
        {"hostnames", T_STRINGS, NULL, NULL},
        END,
};

static const struct field pod_spec[] = {
        {"containers", T_LIST, container, NULL},
        {"volumes", T_LIST, volume, NULL},
        {"restartPolicy", T_STRING, NULL, NULL},
        {"terminationGracePeriodSeconds", T_INT, NULL, NULL},
        {"hostNetwork", T_BOOL, NULL, NULL},
        {"hostPID", T_BOOL, NULL, NULL},
        {"hostIPC", T_BOOL, NULL, NULL},
        {"hostUsers", T_BOOL, NULL, NULL},
        {"shareProcessNamespace", T_BOOL, NULL, NULL},
        {"hostname", T_STRING, NULL, NULL},
        {"subdomain", T_STRING, NULL, NULL},
        {"dnsPolicy", T_STRING, NULL, NULL},
        {"dnsConfig", T_OBJECT, dns_config, NULL},
        {"hostAliases", T_LIST, host_alias, NULL},
        {"securityContext", T_OBJECT, pod_security_context, NULL},
        {"initContainers", T_ANY, NULL, NOT_IMPLEMENTED},
        {"ephemeralContainers", T_ANY, NULL, NOT_IMPLEMENTED},
        {"activeDeadlineSeconds", T_ANY, NULL, NOT_IMPLEMENTED},
        {"nodeSelector", T_ANY, NULL, NOT_IMPLEMENTED},
        {"nodeName", T_ANY, NULL, NOT_IMPLEMENTED},
        {"serviceAccountName", T_ANY, NULL, NOT_IMPLEMENTED},
        {"serviceAccount", T_ANY, NULL, NOT_IMPLEMENTED},
        {"automountServiceAccountToken", T_ANY, NULL, NOT_IMPLEMENTED},
        /* read where nanolet has secrets; it has none: the node's credentials serve */
        {"imagePullSecrets", T_ANY, NULL,
         "nanolet has no secrets: ignored; images are pulled with the node's "
         "registry_auth_file"},
        {"setHostnameAsFQDN", T_ANY, NULL, NOT_IMPLEMENTED},
        {"affinity", T_ANY, NULL, NOT_IMPLEMENTED},
        {"schedulerName", T_ANY, NULL, NOT_IMPLEMENTED},
        {"tolerations", T_ANY, NULL, NOT_IMPLEMENTED},
        {"priorityClassName", T_ANY, NULL, NOT_IMPLEMENTED},
        {"priority", T_ANY, NULL, NOT_IMPLEMENTED},
        {"preemptionPolicy", T_ANY, NULL, NOT_IMPLEMENTED},
        {"readinessGates", T_ANY, NULL, NOT_IMPLEMENTED},
        {"runtimeClassName", T_ANY, NULL, NOT_IMPLEMENTED},
        {"enableServiceLinks", T_ANY, NULL, NOT_IMPLEMENTED},
        {"overhead", T_ANY, NULL, NOT_IMPLEMENTED},
        {"topologySpreadConstraints", T_ANY, NULL, NOT_IMPLEMENTED},
        {"os", T_ANY, NULL, NOT_IMPLEMENTED},
        {"schedulingGates", T_ANY, NULL, NOT_IMPLEMENTED},
        {"resourceClaims", T_ANY, NULL, NOT_IMPLEMENTED},
        {"resources", T_ANY, NULL, NOT_IMPLEMENTED},
        END,
};

static const struct field pod[] = {
        {"apiVersion", T_STRING, NULL, NULL},      {"kind", T_STRING, NULL, NULL},
        {"metadata", T_OBJECT, object_meta, NULL}, {"spec", T_OBJECT, pod_spec, NULL},
        {"status", T_ANY, NULL, SET_BY_NANOLET},   END,
};

/* Resource names nanolet turns into cgroup settings; others are read, checked and ignored. */
static const char *const implemented_resources[] = {"cpu", "memory", NULL};

struct walk {
	struct schema_report *report;
	struct nano_err *err;
	size_t n_unknown, n_ignored; /* in report: appended without walking the lists */
};

static const char *type_name(enum field_type t)
{
	switch (t) {
	case T_STRING:
		return "string";
	case T_BOOL:
		return "boolean";
	case T_INT:
		return "integer";
	case T_OBJECT:
	case T_STRING_MAP:
	case T_RESOURCES:
		return "object";
	case T_INT_OR_STRING:
		return "integer or string";
	case T_LIST:
	case T_STRINGS:
	case T_INTS:
		return "array";
	case T_ANY:
		break;
	}
	return "value";
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

bool schema_json_is_int(const json_t *v)
{
	if (json_is_integer(v))
		return true;
	/* YAML's 1e3 and JSON's 1000.0 arrive as reals; Go decodes them into an int64 field. */
	if (json_is_real(v)) {
		double d = json_real_value(v);
		return d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d;
	}
	return false;
}

/* Quotes the value as the API server does ("Invalid value: true"), cut when it is large. */
static void type_invalid(struct walk *w, const char *path, const json_t *v, enum field_type want)
{
	_cleanup_free_ char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	const char *article =
	        want == T_INT || want == T_OBJECT || want == T_INT_OR_STRING ? "an" : "a";

	if (text && strlen(text) > 64)
		strcpy(text + 60, "...");
	nano_err_cause(w->err, path, "FieldValueTypeInvalid", "Invalid value: %s: must be %s %s",
	               text ? text : json_type_name(v), article, type_name(want));
}

static bool value_has_type(const json_t *v, enum field_type t)
{
	switch (t) {
	case T_STRING:
		return json_is_string(v);
	case T_BOOL:
		return json_is_boolean(v);
	case T_INT:
		return schema_json_is_int(v);
	case T_INT_OR_STRING:
		return schema_json_is_int(v) || json_is_string(v);
	case T_OBJECT:
	case T_STRING_MAP:
	case T_RESOURCES:
		return json_is_object(v);
	case T_LIST:
	case T_STRINGS:
	case T_INTS:
		return json_is_array(v);
	case T_ANY:
		return true;
	}
	return false;
}

static void walk_object(struct walk *w, json_t *obj, const struct field *fields, const char *path);

/* A field's path under its parent's; cut at SCHEMA_PATH_MAX, which no real Pod reaches. */
static void sub_path(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sub_path(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, SCHEMA_PATH_MAX, fmt, ap);
	va_end(ap);
}

static void walk_value(struct walk *w, json_t *v, const struct field *f, const char *path)
{
	char sub[SCHEMA_PATH_MAX];
	const char *key;
	json_t *item;
	size_t i;

	/* null is "not set", as Go's decoder reads it into a zero value */
	if (json_is_null(v) || f->type == T_ANY)
		return;
	if (!value_has_type(v, f->type)) {
		type_invalid(w, path, v, f->type);
		return;
	}
	switch (f->type) {
	case T_OBJECT:
		walk_object(w, v, f->fields, path);
		break;
	case T_LIST:
		json_array_foreach(v, i, item)
		{
			sub_path(sub, "%s[%zu]", path, i);
			if (!json_is_object(item))
				type_invalid(w, sub, item, T_OBJECT);
			else
				walk_object(w, item, f->fields, sub);
		}
		break;
	case T_STRINGS:
	case T_INTS:
		json_array_foreach(v, i, item)
		{
			enum field_type want = f->type == T_STRINGS ? T_STRING : T_INT;

			sub_path(sub, "%s[%zu]", path, i);
			if (!value_has_type(item, want))
				type_invalid(w, sub, item, want);
		}
		break;
	case T_STRING_MAP:
		json_object_foreach(v, key, item)
		{
			sub_path(sub, "%s[%s]", path, key);
			if (!json_is_string(item))
				type_invalid(w, sub, item, T_STRING);
		}
		break;
	case T_RESOURCES:
		json_object_foreach(v, key, item)
		{
			bool known = false;

			sub_path(sub, "%s.%s", path, key);
			for (const char *const *r = implemented_resources; *r; r++)
				known = known || strcmp(*r, key) == 0;
			if (!known)
				strv_append(&w->report->ignored, &w->n_ignored,
				            strdupf("%s: only cpu and memory are implemented by "
				                    "nanolet; ignored",
				                    sub));
			if (!json_is_string(item) && !json_is_number(item))
				nano_err_cause(w->err, sub, "FieldValueTypeInvalid",
				               "Invalid value: %s: must be a quantity string",
				               json_type_name(item));
		}
		break;
	default:
		break;
	}
}

static void walk_object(struct walk *w, json_t *obj, const struct field *fields, const char *path)
{
	char sub[SCHEMA_PATH_MAX];
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(obj, tmp, key, v)
	{
		const struct field *f = fields;

		while (f->name && strcmp(f->name, key) != 0)
			f++;
		sub_path(sub, "%s%s%s", path, *path ? "." : "", key);
		if (!f->name) {
			/* the API server prunes what its schema does not know */
			strv_append(&w->report->unknown, &w->n_unknown,
			            strdupf("unknown field \"%s\"", sub));
			json_object_del(obj, key);
			continue;
		}
		if (f->ignored && !json_is_null(v))
			strv_append(&w->report->ignored, &w->n_ignored,
			            strdupf("%s: %s", sub, f->ignored));
		walk_value(w, v, f, sub);
	}
}

void schema_check_pod(json_t *doc, struct schema_report *report, struct nano_err *err)
{
	struct walk w = {.report = report, .err = err};

	walk_object(&w, doc, pod, "");
}

void schema_report_done(struct schema_report *report)
{
	strv_free(report->unknown);
	strv_free(report->ignored);
	*report = (struct schema_report){0};
}
