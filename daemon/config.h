/* daemon/config.h: nanoletd's settings. Embedded defaults, overridden by the YAML config file
 * (configs/nanolet.yaml documents every key), overridden by command-line flags. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "net/net.h"
#include "security/security.h"
#include "util/util.h"

enum config_cgroup_driver {
	CONFIG_CGROUP_AUTO,
	CONFIG_CGROUP_V2,
	CONFIG_CGROUP_V1,
};

/* One Pod Security mode (enforce, warn or audit): a level at a version (SECURITY_PSS_LATEST or a
 * minor), as pod-security-admission's PodSecurityConfiguration has them. level_set,
 * version_set: a namespace's override names them (the defaults always have both). */
struct config_pss_mode {
	enum security_pss_level level;
	int version;
	bool level_set, version_set;
};

struct config_pss_policy {
	struct config_pss_mode enforce, warn, audit;
};

/* pod_security: the node's defaults, and per namespace what differs from them. */
struct config_pss_namespace {
	char *name;
	struct config_pss_policy policy;
};

struct config_pod_security {
	struct config_pss_policy defaults; /* enforce privileged, warn and audit baseline */
	struct config_pss_namespace *namespaces;
	size_t n_namespaces;
};

/* network: the pod network (README "Pod network"). */
struct config_network {
	bool none;            /* mode: bridge (false); none: pods get only lo, as podman's none */
	char *bridge;         /* bridge: nanolet0 */
	struct net_cidr cidr; /* pod_cidr: 198.18.0.0/16 */
	int64_t mtu;          /* mtu: 1500 */
	bool masquerade;      /* masquerade: true: pod traffic leaving the pod network is */
	                      /* given the node's address (nftables, table ip nanolet) */
};

struct nano_config {
	char *socket;      /* socket: /run/nanolet/nanolet.sock */
	char *state_dir;   /* state_dir: /var/lib/nanolet */
	char *run_dir;     /* run_dir: /run/nanolet */
	char *log_dir;     /* log_dir: /var/log/nanolet */
	char *cgroup_root; /* cgroup_root: NULL = nanolet/ under the daemon's own cgroup */
	enum config_cgroup_driver cgroup_driver; /* cgroup_driver: auto */
	int64_t max_request_bytes;               /* max_request_bytes: 1048576 */
	int64_t pod_pids_limit;                  /* pod_pids_limit: 4096, -1 = no limit */
	enum log_level log_level;                /* log_level: info */
	int64_t max_pods;                        /* max_pods: 110 */
	int64_t container_log_max_size;          /* container_log_max_size: 10Mi */
	int64_t container_log_max_files;         /* container_log_max_files: 5 */
	int64_t crashloop_backoff_initial;       /* crashloop_backoff_initial: 10 (seconds) */
	int64_t crashloop_backoff_max;           /* crashloop_backoff_max: 300 (seconds) */
	int64_t crashloop_backoff_reset;         /* crashloop_backoff_reset: 600 (seconds) */
	int64_t event_ttl;                       /* event_ttl: 3600 (seconds) */
	int64_t cpu_throttling_interval;         /* cpu_throttling_interval: 10 (seconds) */
	int64_t cpu_throttling_threshold;        /* cpu_throttling_threshold: 25 (percent) */
	char *shim_path; /* shim_path: NULL = nanolet-shim beside the nanoletd binary */
	bool seccomp_default_unconfined; /* seccomp_default: RuntimeDefault (false) */
	char *seccomp_profile_root;      /* seccomp_profile_root: NULL = <state_dir>/seccomp */
	bool memory_qos;                 /* memory_qos: false (the kubelet's MemoryQoS gate) */
	/* allowed_unsafe_sysctls: [] (the kubelet's --allowed-unsafe-sysctls): sysctls or
	 * patterns ("net.core.*") a pod may set beyond the safe set, each namespaced */
	char **allowed_unsafe_sysctls;
	double memory_throttling_factor; /* memory_throttling_factor: 0.9 */
	/* What one client may hold of the daemon (README "Limits"). */
	int64_t max_connections;     /* max_connections: 1000 */
	int64_t http_idle_timeout;   /* http_idle_timeout: 60 (seconds) */
	int64_t http_header_timeout; /* http_header_timeout: 10 (seconds) */
	int64_t max_url_bytes;       /* max_url_bytes: 8Ki */
	int64_t max_header_bytes;    /* max_header_bytes: 32Ki */
	int64_t max_header_count;    /* max_header_count: 100 */
	int64_t max_warning_bytes;   /* max_warning_bytes: 4Ki */
	int64_t max_log_follows;     /* max_log_follows: 100 */
	int64_t stream_buffer_bytes; /* stream_buffer_bytes: 64Ki */
	int64_t watch_history;       /* watch_history: 1024 changes a watch can resume from */
	int64_t max_pod_containers;  /* max_pod_containers: 256 */
	/* Who may do what (README "Who may do what"). */
	struct config_pod_security pod_security; /* pod_security */
	char **api_write_groups;                 /* api_write_groups: [nanolet] */
	char **api_read_groups;                  /* api_read_groups: [] */
	int64_t audit_log_max_size;              /* audit_log_max_size: 100Mi */
	int64_t audit_log_max_files;             /* audit_log_max_files: 5 */
	struct config_network network;           /* network */
	/* The pods' DNS, as the kubelet's --resolv-conf, --cluster-dns, --cluster-domain. */
	char *resolv_conf;    /* resolv_conf: /etc/resolv.conf; "" = a resolver on the node */
	char **cluster_dns;   /* cluster_dns: [] */
	char *cluster_domain; /* cluster_domain: cluster.local; "" = none */
	/* The TLS listener for kubectl (README "kubectl"): "127.0.0.1:6443", "[::1]:6443"; NULL
	 * (the default) = none, the unix socket only. */
	char *listen; /* listen: null */
	/* Images (README "Images"). */
	struct config_registry {
		char *domain;   /* the map's key: "docker.io", "127.0.0.1:5000" */
		char **mirrors; /* mirrors: [] "https://host[:port]", tried first, in order */
		bool insecure;  /* insecure: false: plain HTTP, or HTTPS without verification */
	} * registries;         /* registries: {} */
	size_t n_registries;
	char *registry_auth_file;           /* registry_auth_file: null: a docker config.json */
	int64_t image_pull_timeout;         /* image_pull_timeout: 60 (seconds without a byte) */
	int64_t image_gc_high_threshold;    /* image_gc_high_threshold_percent: 85 */
	int64_t image_gc_low_threshold;     /* image_gc_low_threshold_percent: 80 */
	int64_t image_minimum_gc_age;       /* image_minimum_gc_age: 120 (seconds) */
	int64_t max_image_archive_bytes;    /* max_image_archive_bytes: 8Gi (a POST of images) */
	int64_t image_pull_backoff_initial; /* image_pull_backoff_initial: 10 (seconds) */
	int64_t image_pull_backoff_max;     /* image_pull_backoff_max: 300 (seconds) */
};

#define CONFIG_DEFAULT_PATH "/etc/nanolet/nanolet.yaml"

/* Fills *config with the embedded defaults. */
int config_init(struct nano_config *config);

/* Applies a YAML config file over *config. Unknown keys and bad values -> -EINVAL with a message
 * naming the key; a missing file -> -ENOENT. */
int config_load_file(struct nano_config *config, const char *path, struct nano_err *err);

/* Applies one command-line flag over *config: name is the flag without its dashes
 * ("state-dir", "max-request-bytes": the config key with '-' for '_'), value its argument as
 * typed. Unknown name or bad value -> -EINVAL with a message naming the flag. Flags are applied
 * after the file, which is what gives them precedence. */
int config_apply_flag(struct nano_config *config, const char *name, const char *value,
                      struct nano_err *err);

void config_done(struct nano_config *config);

/* The policy that applies in namespace ns: the defaults, with the namespace's overrides. An
 * override's level without a version is at latest, as a namespace label without its -version
 * label is; a version alone keeps the default level. */
void config_pod_security_for(const struct config_pod_security *ps, const char *ns,
                             struct config_pss_policy *out);

/* A listen value taken apart: the address (IPv4, or IPv6 without its brackets) and the port. */
struct config_listen {
	int family; /* AF_INET, AF_INET6 */
	char host[46];
	uint16_t port;
};

/* "127.0.0.1:6443", "[::1]:6443" into *out; -EINVAL for anything else (a name, no port, port
 * 0). */
int config_listen_parse(const char *listen, struct config_listen *out);

const char *config_cgroup_driver_name(enum config_cgroup_driver driver); /* "auto", "v2", "v1" */
