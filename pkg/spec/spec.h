/* pkg/spec: the Pod as nanolet reads it.
 *
 * Three stages, each its own file:
 *   document.c/yaml.c  bytes (YAML or JSON) -> json_t, the way Kubernetes reads YAML (YAML 1.1
 *                      through go-yaml), with bounds on depth and alias expansion
 *   quantity.c         Kubernetes resource.Quantity strings -> integers
 *   pod.c/validate.c   json_t -> struct spec_pod: defaults applied, every rule checked, every
 *                      cause collected; unknown and unimplemented fields become warnings
 * Nothing here does I/O or reads a clock: it is all pure and table-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "image/image.h"
#include "util/util.h"

/* An integer field that the Pod did not set. Every such field's valid range is >= 0. */
#define SPEC_UNSET INT64_C(-1)

/* The bandwidth annotations, as the kubelet reads them (pkg/util/bandwidth): a quantity of
 * bits per second from 1k to 1P. nanolet shapes at most 2^31-1 bytes per second, what
 * libnl-route's tbf takes (pkg/net's NET_BANDWIDTH_MAX): above that is refused too. */
#define SPEC_INGRESS_BANDWIDTH_ANNOTATION "kubernetes.io/ingress-bandwidth"
#define SPEC_EGRESS_BANDWIDTH_ANNOTATION  "kubernetes.io/egress-bandwidth"
#define SPEC_BANDWIDTH_MIN                INT64_C(1000)
#define SPEC_BANDWIDTH_MAX_K8S            INT64_C(1000000000000000)
#define SPEC_BANDWIDTH_MAX                INT64_C(17179869176)

/* ---- documents ----------------------------------------------------------------------------- */

enum spec_format {
	SPEC_FORMAT_SNIFF, /* decide from the first non-blank byte: '{' or '[' is JSON */
	SPEC_FORMAT_JSON,
	SPEC_FORMAT_YAML,
};

/* The three functions that read a request (spec_format_from_content_type, spec_document_decode,
 * spec_pod_decode) classify what they refuse as the request's fault, for the API's answer:
 * -EMEDIUMTYPE NANO_UNSUPPORTED_MEDIA, -EBADMSG NANO_BAD_REQUEST, -EINVAL NANO_INVALID,
 * -EMSGSIZE NANO_TOO_LARGE; running out of memory stays NANO_INTERNAL. */

/* Maps a Content-Type header (parameters such as "; charset=utf-8" ignored, case-insensitive) to
 * a format: application/json; application/yaml, application/x-yaml, text/yaml; missing (NULL or
 * empty) or application/x-www-form-urlencoded (what plain `curl --data-binary` sends) -> SNIFF.
 * Anything else: -EMEDIUMTYPE with a message naming the type. */
int spec_format_from_content_type(const char *content_type, enum spec_format *out,
                                  struct nano_err *err);

/* Bounds on YAML documents, so that a hostile document is refused fast and small. */
#define SPEC_YAML_MAX_DEPTH   64     /* nesting of sequences and mappings */
#define SPEC_YAML_MAX_NODES   100000 /* nodes after alias expansion, counted, never built */
#define SPEC_YAML_MAX_ALIASES 10000  /* alias events in one document */

/* Reads one YAML document into JSON as Kubernetes does (sigs.k8s.io/yaml over go-yaml v2):
 * plain scalars resolve by YAML 1.1 (yes/no/on/off/y/n booleans, 0755 octal, 0x hex, ~ null,
 * .inf refused as JSON cannot hold it); quoted or !!str-tagged scalars stay strings; anchors,
 * aliases and << merge keys work within the bounds above; non-string keys become their string
 * form. More than one document, duplicate keys, or any syntax error -> -EBADMSG with a message
 * naming line and column (1-based). An empty document is a JSON null. */
int spec_yaml_to_json(const char *buf, size_t len, json_t **out, struct nano_err *err);

/* A stream of YAML documents (separated by `---`, as `kubectl apply -f` reads a file) into a
 * JSON array of them, each read as spec_yaml_to_json reads one; an empty document is a null.
 * Anchors belong to their document; the bounds above count for the whole stream. */
int spec_yaml_documents(const char *buf, size_t len, json_t **out, struct nano_err *err);

/* JSON -> YAML text as `kubectl get -o yaml` prints it: block style, two-space indents, keys in
 * the object's order, strings quoted where a YAML 1.1 reader would take them for something else
 * ("yes", "1", "null", "2024-01-01"), no line wrapping. *out is malloc'd; 0 or -ENOMEM. */
int spec_yaml_from_json(const json_t *value, char **out);

/* Reads a JSON or YAML body. JSON duplicate keys and syntax errors -> -EBADMSG with line and
 * column. */
int spec_document_decode(const char *buf, size_t len, enum spec_format format, json_t **out,
                         struct nano_err *err);

/* ---- namespaces (namespace.c) ------------------------------------------------------------- */

/* A Namespace document as the API server checks it: kind Namespace and apiVersion v1 when
 * given, metadata.name a DNS-1123 label, labels and annotations maps of strings. *name
 * (malloc'd) and *metadata (labels and annotations as given, nothing else) on success;
 * -EINVAL (NANO_INVALID) with one cause per broken rule and the API server's summary
 * (`Namespace "X" is invalid: metadata.name: Invalid value: ...`), -EBADMSG for no object. */
int spec_namespace_decode(json_t *doc, char **name, json_t **metadata, struct nano_err *err);

/* A Namespace sent as application/vnd.kubernetes.protobuf (client-go's typed clients:
 * `kubectl create namespace`) into the JSON document it stands for: apiVersion, kind,
 * metadata.name, generateName, labels, annotations (protobuf.c). -EBADMSG (NANO_BAD_REQUEST)
 * for bytes that are not one. */
int spec_protobuf_namespace_to_json(const void *buf, size_t len, json_t **out,
                                    struct nano_err *err);
#define SPEC_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

/* ---- quantities ---------------------------------------------------------------------------- */

/* Parses a Kubernetes quantity ("100m", "0.5", "128Mi", "1G", "1e3", "123Ki", "-1") and stores
 * ceil(quantity * multiplier) in *value: multiplier 1 gives whole bytes, 1000 gives millicores.
 * -EINVAL when the string is not a quantity ("1K", "12Mb", "", " 1"), -ERANGE when the result
 * does not fit in an int64. A negative quantity parses; validation refuses it. */
int spec_quantity_parse(const char *s, int64_t multiplier, int64_t *value);

/* ---- the Pod --------------------------------------------------------------------------------- */

enum spec_restart_policy {
	SPEC_RESTART_ALWAYS,
	SPEC_RESTART_ON_FAILURE,
	SPEC_RESTART_NEVER,
};

enum spec_qos {
	SPEC_QOS_GUARANTEED,
	SPEC_QOS_BURSTABLE,
	SPEC_QOS_BESTEFFORT,
};

/* A tri-state for optional booleans. */
enum spec_bool {
	SPEC_BOOL_UNSET = -1,
	SPEC_BOOL_FALSE = 0,
	SPEC_BOOL_TRUE = 1,
};

struct spec_resources {
	/* SPEC_UNSET when absent. After defaulting, a request is set wherever its limit is. */
	int64_t cpu_request_milli;
	int64_t cpu_limit_milli;
	int64_t memory_request; /* bytes, rounded up */
	int64_t memory_limit;
};

/* securityContext.seccompProfile.type; SPEC_SECCOMP_UNSET (zero) when the field is absent. */
enum spec_seccomp_type {
	SPEC_SECCOMP_UNSET,
	SPEC_SECCOMP_RUNTIME_DEFAULT,
	SPEC_SECCOMP_UNCONFINED,
	SPEC_SECCOMP_LOCALHOST,
};

struct spec_seccomp_profile {
	enum spec_seccomp_type type;
	char *localhost_profile; /* Localhost: relative to the node's seccomp_profile_root */
};

/* securityContext.procMount */
enum spec_proc_mount {
	SPEC_PROC_MOUNT_DEFAULT,
	SPEC_PROC_MOUNT_UNMASKED,
};

struct spec_security_context {
	int64_t run_as_user;  /* SPEC_UNSET when absent */
	int64_t run_as_group; /* SPEC_UNSET when absent */
	enum spec_bool run_as_non_root;
	enum spec_bool allow_privilege_escalation;
	enum spec_bool privileged;
	enum spec_bool read_only_root_filesystem;
	char **capabilities_add;  /* NULL-terminated as written ("NET_ADMIN", "CAP_KILL", "ALL") */
	char **capabilities_drop; /* NULL-terminated; both NULL when absent */
	struct spec_seccomp_profile seccomp_profile;
	enum spec_proc_mount proc_mount;
};

/* securityContext.sysctls[]: name as written (dots or slashes), value as written; NULL when
 * absent. index: the entry's in the list (one that is not an object is left out). */
struct spec_sysctl {
	char *name;
	char *value;
	size_t index;
};

struct spec_pod_security_context {
	int64_t run_as_user;  /* SPEC_UNSET when absent */
	int64_t run_as_group; /* SPEC_UNSET when absent */
	int64_t fs_group;     /* SPEC_UNSET when absent */
	enum spec_bool run_as_non_root;
	int64_t *supplemental_groups;
	size_t n_supplemental_groups;
	/* supplementalGroupsPolicy: Merge (absent) adds the groups the image's /etc/group lists
	 * the container's user in; Strict does not */
	bool supplemental_groups_strict;
	struct spec_seccomp_profile seccomp_profile;
	struct spec_sysctl *sysctls;
	size_t n_sysctls;
};

struct spec_env_var {
	char *name;
	char *value; /* "" when valueFrom was used (a warning says it is not implemented) */
};

struct spec_volume_mount {
	char *name;
	char *mount_path;
	char *sub_path; /* NULL when absent */
	bool read_only;
};

/* ports[]: what the container listens on. hostPort (0: none) is forwarded from the node. */
struct spec_port {
	char *name;             /* NULL when absent */
	int64_t container_port; /* 1..65535 once valid */
	int64_t host_port;      /* 0 when absent; with hostNetwork, defaulted to containerPort */
	char *protocol;         /* TCP (the default), UDP or SCTP */
	char *host_ip;          /* NULL when absent: every address of the node */
};

/* ---- probes, lifecycle handlers, termination messages ---------------------------------- */

/* What a probe or a lifecycle hook does: exactly one of exec, httpGet, tcpSocket, grpc (probes)
 * or exec, httpGet, sleep (lifecycle hooks; a hook's tcpSocket is accepted too, as the API server
 * keeps it for compatibility, and the kubelet fails such a hook when it runs). pkg/spec/probe.c
 * reads and validates them. */
enum spec_handler_type {
	SPEC_HANDLER_EXEC,
	SPEC_HANDLER_HTTP_GET,
	SPEC_HANDLER_TCP_SOCKET,
	SPEC_HANDLER_GRPC,
	SPEC_HANDLER_SLEEP,
};

struct spec_http_header {
	char *name;
	char *value;
};

struct spec_handler {
	enum spec_handler_type type;
	char **command; /* exec: NULL-terminated (may be empty: the probe then fails) */
	/* httpGet, tcpSocket, grpc: the port by number (1..65535), or port_name (an IANA_SVC_NAME,
	 * resolved against the container's ports[].name when the probe runs, as the kubelet does)
	 * with port 0. grpc takes a number only. */
	int64_t port;
	char *port_name; /* NULL when a number */
	char *host;      /* httpGet, tcpSocket: NULL when absent (the pod's address) */
	char *path;      /* httpGet: NULL when absent (the kubelet asks for "/") */
	bool https;      /* httpGet: scheme HTTPS (default HTTP) */
	struct spec_http_header *headers; /* httpGet.httpHeaders */
	size_t n_headers;
	char *service;         /* grpc: NULL when absent ("" asks for the server's health) */
	int64_t sleep_seconds; /* sleep */
};

/* A probe with the API server's defaults applied: timeoutSeconds 1, periodSeconds 10,
 * successThreshold 1, failureThreshold 3, initialDelaySeconds 0. */
struct spec_probe {
	struct spec_handler handler;
	int64_t initial_delay_seconds;
	int64_t timeout_seconds;
	int64_t period_seconds;
	int64_t success_threshold;
	int64_t failure_threshold;
	int64_t termination_grace_period_seconds; /* SPEC_UNSET when absent */
};

enum spec_termination_message_policy {
	SPEC_TERMINATION_MESSAGE_FILE, /* the default */
	SPEC_TERMINATION_MESSAGE_FALLBACK_TO_LOGS_ON_ERROR,
};

/* The default terminationMessagePath, as the API server fills it in. */
#define SPEC_TERMINATION_MESSAGE_PATH "/dev/termination-log"

struct spec_container {
	char *name;
	char *image;       /* "" when absent */
	char **command;    /* NULL-terminated; validation requires it */
	char **args;       /* NULL-terminated, NULL when absent */
	char *working_dir; /* NULL when absent */
	struct spec_env_var *env;
	size_t n_env;
	struct spec_volume_mount *volume_mounts;
	size_t n_volume_mounts;
	struct spec_port *ports;
	size_t n_ports;
	struct spec_resources resources;
	struct spec_security_context security_context;
	/* NULL when absent */
	struct spec_probe *liveness_probe, *readiness_probe, *startup_probe;
	struct spec_handler *post_start, *pre_stop; /* lifecycle.postStart, .preStop */
	char *termination_message_path;             /* defaulted: SPEC_TERMINATION_MESSAGE_PATH */
	enum spec_termination_message_policy termination_message_policy;
	/* imagePullPolicy, defaulted as the API server does (image_pull_policy_default: Always
	 * for :latest or no tag, IfNotPresent otherwise; an image that is no reference, such as
	 * "host" or a path, is never pulled whatever it says) */
	enum image_pull_policy image_pull_policy;
};

enum spec_volume_type {
	SPEC_VOLUME_EMPTY_DIR,
	SPEC_VOLUME_HOST_PATH,
	SPEC_VOLUME_UNSUPPORTED, /* configMap, secret, ...: a warning says so */
};

struct spec_volume {
	char *name;
	enum spec_volume_type type;
	char *medium;       /* emptyDir: "" or "Memory" */
	int64_t size_limit; /* emptyDir: bytes, SPEC_UNSET when absent */
	char *path;         /* hostPath */
	char *path_type; /* hostPath: "", Directory, DirectoryOrCreate, File, FileOrCreate, ... */
};

/* spec.dnsPolicy (default ClusterFirst) */
enum spec_dns_policy {
	SPEC_DNS_CLUSTER_FIRST,
	SPEC_DNS_CLUSTER_FIRST_WITH_HOST_NET,
	SPEC_DNS_DEFAULT,
	SPEC_DNS_NONE,
};

struct spec_dns_option {
	char *name;
	char *value; /* NULL when absent */
};

/* spec.dnsConfig: what is added to (or, with None, is) the pod's resolv.conf */
struct spec_dns_config {
	char **nameservers; /* NULL-terminated, NULL when absent */
	char **searches;    /* NULL-terminated, NULL when absent */
	struct spec_dns_option *options;
	size_t n_options;
};

/* spec.hostAliases[]: one line of the pod's /etc/hosts */
struct spec_host_alias {
	char *ip;
	char **hostnames; /* NULL-terminated, NULL when absent */
};

struct spec_pod {
	char *name;
	char *namespace;
	char *uid;                     /* NULL until the pod is created */
	int64_t pids_limit_annotation; /* nanolet.io/pids-limit, SPEC_UNSET when absent */
	/* kubernetes.io/ingress-bandwidth and egress-bandwidth, bits per second; 0 when absent */
	int64_t ingress_bandwidth;
	int64_t egress_bandwidth;

	char *hostname;  /* NULL when absent */
	char *subdomain; /* NULL when absent */
	enum spec_dns_policy dns_policy;
	struct spec_dns_config *dns_config; /* NULL when absent */
	struct spec_host_alias *host_aliases;
	size_t n_host_aliases;
	bool host_pid;
	bool host_network;
	bool host_ipc;
	bool share_process_namespace;
	enum spec_bool host_users;
	enum spec_restart_policy restart_policy;
	int64_t termination_grace_period_seconds;
	struct spec_pod_security_context security_context;

	struct spec_container *containers;
	size_t n_containers;
	struct spec_volume *volumes;
	size_t n_volumes;

	/* The defaulted Pod as JSON (unknown fields pruned, as the API server does): what a
	 * dry-run answers with and what the store keeps. NULL in a created pod's spec (daemon/pods
	 * keeps the Pod once, as text, when its record is made). */
	json_t *object;
};

struct spec_decode_options {
	const char *path_namespace; /* the {ns} of the request path */
	bool strict;                /* ?fieldValidation=Strict */
	/* the node's max_pod_containers, 0 for none: past it spec.containers is TooMany (each
	 * container costs the node cgroups, a log directory and kilobytes of plan) */
	size_t max_containers;
};

/* Turns a decoded document into a Pod. doc is not changed: decoding works on a deep copy, since
 * YAML aliases share nodes and pruning or defaulting one place must not change another. It
 * checks kind/apiVersion, prunes unknown fields, applies
 * Kubernetes' defaults (namespace from the path, restartPolicy Always, grace 30 s, requests from
 * limits, ...), reads every field and validates every rule, collecting all causes.
 *
 * Warnings (one sentence each, for `Warning: 299` headers) are appended to *warnings whether or
 * not decoding succeeds: one per unknown field (`unknown field "spec.foo"`) and one per field
 * nanolet does not implement yet.
 *
 * Returns 0 and *out, or:
 *   -EBADMSG  400: the document is not an object, metadata.namespace differs from the path's,
 *             or with strict an unknown or unimplemented field is present;
 *   -EINVAL   422 Invalid, err->causes holding every violation. */
int spec_pod_decode(json_t *doc, const struct spec_decode_options *options, struct spec_pod **out,
                    char ***warnings, struct nano_err *err);

/* update.c: whether new (a defaulted Pod object) may replace old, as the API server's
 * ValidatePodUpdate decides: metadata.labels and metadata.annotations change freely (string
 * values), the rest of metadata stays; of spec only activeDeadlineSeconds (set or shortened),
 * tolerations (additions), terminationGracePeriodSeconds (negative to 1) and the containers'
 * images may change. Anything else: -EINVAL, NANO_INVALID, the API server's message ("pod
 * updates may not change fields other than ...") with a unified diff of the two specs, cause
 * field "spec". A new image, which the API server accepts, nanolet refuses (cause field
 * spec.containers[i].image): a container's image is the root it started in. */
int spec_pod_validate_update(const json_t *old, const json_t *new, struct nano_err *err);
/* A unified diff of a and b as indented JSON (sorted keys): one hunk, three lines of context.
 * NULL on ENOMEM. */
char *spec_json_diff(const json_t *a, const json_t *b);

struct spec_pod *spec_pod_free(struct spec_pod *pod);
static inline void spec_pod_freep(struct spec_pod **p)
{
	spec_pod_free(*p);
}
#define _cleanup_pod_ _cleanup_(spec_pod_freep)

/* The QoS class exactly as Kubernetes computes it from requests and limits of cpu and memory. */
enum spec_qos spec_pod_qos(const struct spec_pod *pod);
const char *spec_qos_name(enum spec_qos qos);
const char *spec_restart_policy_name(enum spec_restart_policy policy);
const char *spec_dns_policy_name(enum spec_dns_policy policy); /* "ClusterFirst", ... */
/* An IPv4 or IPv6 address in its text form (inet_pton: no leading zeros, no zone). */
bool spec_ip_valid(const char *s);
/* A lowercase RFC 1123 subdomain ("cluster.local"), as the API server takes a DNS name. */
bool spec_dns_subdomain_valid(const char *s);
