/* pkg/plan: Pod -> IsolationPlan, the heart of nanolet.
 *
 * A pure function: a validated struct spec_pod and the node's settings in, the exact namespaces,
 * clone flags, cgroup files with the strings to write, credentials and mounts out. No I/O, no
 * clock, no globals. The runtime consumes this same struct; `explain` and
 * POST /apis/nanolet.io/v1/isolationplans print its JSON, which is a contract (api/openapi.yaml).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "security/security.h"
#include "spec/spec.h"

enum plan_ns {
	PLAN_NS_PID,
	PLAN_NS_NET,
	PLAN_NS_IPC,
	PLAN_NS_UTS,
	PLAN_NS_USER,
	PLAN_NS_MNT,
	PLAN_NS_CGROUP,
	PLAN_NS_TIME,
	PLAN_NS_COUNT,
};

enum plan_ns_mode {
	PLAN_NS_HOST,      /* not unshared: the host's */
	PLAN_NS_POD,       /* one for the pod, its containers share it (the shim holds it) */
	PLAN_NS_CONTAINER, /* one per container */
};

enum plan_cgroup_driver {
	PLAN_CGROUP_V2,
	PLAN_CGROUP_V1,
};

/* nanolet's root in one cgroup hierarchy. */
struct plan_hierarchy {
	const char
	        *name; /* "unified"; v1: as /proc/self/cgroup lists it, "memory", "cpu,cpuacct" */
	const char *root; /* "/process_api/<id>/nanolet" */
};

/* The kubelet's default memoryThrottlingFactor (MemoryQoS, KubeletConfiguration). */
#define PLAN_MEMORY_THROTTLING_FACTOR 0.9
/* The page size memory.high is rounded down to, as the kubelet's defaultPageSize. */
#define PLAN_PAGE_SIZE 4096
/* Ids a user namespace of a pod maps (hostUsers: false). */
#define PLAN_USERNS_SIZE 65536

/* The node's pod network, as a plan shows it (node config network; README "Pod network"). */
struct plan_network_config {
	const char *bridge; /* NULL: the node has no pod network, a pod gets only lo */
	uint32_t cidr;      /* the pod CIDR's network address, host byte order */
	unsigned prefix;
	unsigned mtu;
	char node_ifname[16]; /* the pod's node end (IFNAMSIZ); "" when not known (no uid yet) */
	char ifb_ifname[16];  /* the pod's ifb (egress-bandwidth); "" when not known */
	uint32_t pod_ip;      /* 0: not assigned (a dry run, or no free address yet) */
	bool masquerade;      /* traffic leaving the pod network gets the node's address */
};

struct plan_config {
	/* Cgroup path of nanolet's root within the hierarchy, e.g. "/nanolet" or
	 * "/system.slice/nanoletd.service/nanolet"; v1: the memory hierarchy's. */
	const char *cgroup_root;
	/* nanolet's root in every hierarchy the driver uses, cgroup_root's included (v1 on a
	 * hybrid host: memory, cpu, cpuacct, pids, freezer, devices and the unified one, whose
	 * roots may differ). NULL/0: only cgroup_root is known. */
	const struct plan_hierarchy *hierarchies;
	size_t n_hierarchies;
	enum plan_cgroup_driver driver;
	int64_t pod_pids_limit; /* node config pod_pids_limit; -1 means no limit ("max") */
	const char *state_dir;  /* where emptyDir volumes, images and writable layers live */
	const char *pod_uid;    /* NULL: the pod is not created, paths carry "<uid>" */
	/* nanolet's other places on the node: the pod's /dev/shm lives under run_dir, and all of
	 * them are hidden from the host image. NULL: the defaults (/run/nanolet, /var/log/nanolet,
	 * /run/nanolet/nanolet.sock). */
	const char *run_dir;
	const char *log_dir;
	const char *socket;
	/* The kubelet's --seccomp-default: what a container without a seccompProfile gets.
	 * false (the default): RuntimeDefault; true: Unconfined. */
	bool seccomp_default_unconfined;
	/* Localhost seccomp profiles are read below it; NULL: <state_dir>/seccomp. */
	const char *seccomp_profile_root;
	/* The kubelet's MemoryQoS (node config memory_qos): on cgroup v2, memory.min from memory
	 * requests and memory.high from limits and memory_throttling_factor (0: the kubelet's
	 * 0.9). v1 has neither file: the plan writes none there and says so. */
	bool memory_qos;
	double memory_throttling_factor;
	/* hostUsers: false: the first node id of the pod's 65536 (nanoletd picks a free range when
	 * it creates the pod); 0 when not known, as for a pod that is not created. */
	uint32_t userns_base;
	struct plan_network_config network;
};

struct plan_namespace {
	enum plan_ns_mode mode;
	/* why, in the Pod's words: "hostPID is true"; a string constant of plan.c (every pod
	 * says one of a few, so a plan kept for a pod's life holds no copies) */
	const char *reason;
};

/* One cgroup file and the exact string that will be written to it. */
struct plan_file {
	const char *name; /* static: "memory.max" */
	char value[32];
};

#define PLAN_MAX_FILES 8

struct plan_cgroup {
	char *path; /* cgroup path, e.g. /nanolet/burstable/pod<uid>/app */
	struct plan_file v2[PLAN_MAX_FILES];
	size_t n_v2;
	struct plan_file v1[PLAN_MAX_FILES];
	size_t n_v1;
};

struct plan_process {
	char **args; /* command + args, NULL-terminated */
	char **env;  /* "NAME=value", NULL-terminated */
	char *cwd;
	uint32_t uid;
	uint32_t gid;
	uint32_t *supplemental_groups;
	size_t n_supplemental_groups;
	bool no_new_privileges;
};

struct plan_mount {
	char *destination;
	char *type; /* "proc", "bind", "tmpfs", ... */
	char *source;
	char **options; /* NULL-terminated */
	bool host_path; /* a hostPath volume: the source is the node's own path (the explanation's)
	                 */
	/* destination, type, source and options are not the mount's own, and never written:
	 * the string constants of a system mount (plan_system_mounts: the same for every
	 * container), its /dev/shm's source the plan's shm. plan_mounts_free leaves them. */
	bool borrowed;
};

enum plan_root_kind {
	PLAN_ROOT_HOST,  /* image "" or "host": the host's root in a private mount namespace */
	PLAN_ROOT_PATH,  /* image is an absolute path: that directory, pivot_root */
	PLAN_ROOT_IMAGE, /* any other name: an OCI image reference (pkg/image), its layers */
};

/* A root is an image: the host's root filesystem (its files only: not the mounts below it) or
 * a directory, read-only, under a writable layer of the container's own (overlayfs), which is
 * new at every run and removed with the container. In a user namespace the node's ids are not
 * mapped and overlayfs cannot take the host's root as a layer: the root is the image bound
 * read-only, with no layer. */
struct plan_root {
	enum plan_root_kind kind;
	char *path; /* the image: "/" for the host */
	bool read_only;
	char *layer;   /* <state_dir>/pods/<uid>/layers/<container>: upper/ and work/, or NULL */
	char **hidden; /* host image: the node's paths masked in it (secrets, nanolet's own) */
	/* PLAN_ROOT_IMAGE: path is the reference as the spec wrote it; the rest is NULL until the
	 * image is on the node and plan_container_apply_image resolved the container. */
	char *image;       /* the normalized reference: docker.io/library/busybox:1.36 */
	char *image_id;    /* the config's digest, sha256:<hex> */
	char *repo_digest; /* status imageID: docker.io/library/busybox@sha256:<hex> */
	char **lowerdirs;  /* the image's unpacked layers, top first, NULL-terminated */
};

/* What plan_container_apply_image takes of an image (pkg/image's record, its User resolved
 * in the image's /etc/passwd and /etc/group by the caller). Borrowed; copied. */
struct plan_image {
	const char *reference, *id, *repo_digest;
	char *const *lowerdirs;  /* top first */
	char *const *entrypoint; /* NULL-terminated or NULL: Config.Entrypoint */
	char *const *cmd;        /* Config.Cmd */
	char *const *env;        /* "K=V" */
	const char *working_dir; /* NULL: none */
	const char *user;        /* Config.User as written, NULL: none */
	bool has_uid, has_gid;   /* User resolved: uid (and gid when it names one, or the
	                          * passwd entry's) */
	uint32_t uid, gid;
	/* supplementalGroupsPolicy Merge: the groups the image's /etc/group lists the container's
	 * user in (image_store_user_groups), added to the spec's */
	const uint32_t *groups;
	size_t n_groups;
};

/* A container's seccomp profile and where that choice came from. */
struct plan_seccomp {
	enum security_seccomp_kind kind;
	char *source;         /* "spec.containers[0].securityContext.seccompProfile", ... */
	char *localhost_path; /* Localhost: the profile file on the node */
};

/* What a container may do beyond what its namespaces show it. */
struct plan_security {
	bool privileged;
	struct security_caps capabilities;
	struct plan_seccomp seccomp;
	char **masked_paths;    /* NULL-terminated; empty when privileged or procMount Unmasked */
	char **read_only_paths; /* NULL-terminated */
	/* masked_paths and read_only_paths are pkg/security's tables (or an empty constant
	 * list), not copies, and never written: plan_security_done leaves them */
	bool paths_borrowed;
	const struct security_device *devices; /* a static table of pkg/security */
	size_t n_devices;
	/* Set when the container must not be created (runAsNonRoot and a root user): the
	 * kubelet's CreateContainerConfigError message. */
	char *refusal;
};

struct plan_container {
	char *name;
	unsigned long clone_flags; /* what the container's child unshares beyond the pod's */
	struct plan_namespace namespaces[PLAN_NS_COUNT];
	struct plan_cgroup cgroup;
	struct plan_process process;
	struct plan_root root;
	struct plan_security security;
	/* In order: the container's own /proc, /dev (its devices, devpts, the pod's shm,
	 * mqueue), /sys and its cgroup view, the host image's own /run, /tmp, /root and /home;
	 * then its volumes. */
	struct plan_mount *mounts;
	size_t n_mounts;
};

/* The size of a pod's /dev/shm, containerd's (and Docker's) 64 MiB. */
#define PLAN_SHM_SIZE (INT64_C(64) << 20)

/* A volume of the pod as the node holds it; containers bind-mount it (plan_container.mounts). */
struct plan_volume {
	char *name;
	enum spec_volume_type type; /* SPEC_VOLUME_EMPTY_DIR or SPEC_VOLUME_HOST_PATH */
	char *path;                 /* the directory on the node */
	bool memory;                /* emptyDir medium Memory: one tmpfs mounted at path */
	int64_t size_limit;         /* bytes, SPEC_UNSET when none */
	char *host_path_type;       /* hostPath: "", Directory, DirectoryOrCreate, ... */
};

/* securityContext.sysctls, as the shim writes them under /proc/sys in the pod's namespaces
 * before any container starts. A sysctl of the node's (SECURITY_SYSCTL_NS_NODE) is never
 * admitted; the plan names it so that `explain` says why. */
struct plan_sysctl {
	char *name; /* dots form: "net.ipv4.ip_local_port_range" */
	char *value;
	enum security_sysctl_ns ns;
};

/* A pod cgroup's path in one hierarchy (plan_config.hierarchies). */
struct plan_cgroup_place {
	char *hierarchy;
	char *path;
};

/* The Pod Security Standards (latest) the pod meets: the highest level, and for the level above
 * it each check the pod fails, in pod-security-admission's words. What `nanolet explain` and
 * the daemon's plans say alike, and what admission enforces (daemon/admission.c). */
struct plan_pod_security {
	enum security_pss_level level;
	struct security_pss_result next; /* the checks of level + 1 it fails; none at restricted */
	/* `violates PodSecurity "restricted:latest": ...`, or NULL (restricted). A plan kept for a
	 * pod's life may leave it out (NULL): plan_to_json makes it again from next. */
	char *next_message;
};

/* From pod, a core/v1 Pod as JSON (spec_pod.object). 0 or -ENOMEM. */
int plan_pod_security(const json_t *pod, struct plan_pod_security *out);
void plan_pod_security_done(struct plan_pod_security *ps);

struct plan {
	char *name;
	char *namespace;
	char *uid; /* "<uid>" when the pod is not created */
	enum spec_qos qos;
	char *hostname; /* NULL when the pod uses the host's uts namespace */
	struct plan_namespace namespaces[PLAN_NS_COUNT];
	unsigned long clone_flags; /* what the pod's holder process (the shim) unshares */
	enum plan_cgroup_driver driver;
	struct plan_cgroup cgroup;
	struct plan_cgroup_place *places; /* the pod cgroup in each hierarchy, when known */
	size_t n_places;
	bool memory_qos; /* plan_config.memory_qos */
	/* hostUsers: false: container id 0 is node id userns_base, for PLAN_USERNS_SIZE ids (the
	 * uid_map and gid_map "0 <base> 65536"); 0 when not known or no user namespace. */
	uint32_t userns_base;
	struct plan_container *containers;
	size_t n_containers;
	struct plan_volume *volumes;
	size_t n_volumes;
	/* The pod's /dev/shm, a tmpfs of PLAN_SHM_SIZE shared by its containers as their IPC
	 * namespace is: <run_dir>/pods/<uid>/shm. NULL with hostIPC: the node's /dev/shm. */
	char *shm;
	struct plan_sysctl *sysctls; /* in the Pod's order */
	size_t n_sysctls;
	char **warnings; /* decode warnings first, then the plan's own */
	/* plain sentences: what the pod may see, use and do (plan_explain.c); a running pod's
	 * plan leaves them out (daemon/pods makes them when asked: plan_explanation) */
	char **explanation;
	struct plan_pod_security pod_security;
	/* The pod network: on it (bridge set) unless hostNetwork; strings owned. pod_ip 0 until
	 * the pod has an address (nanoletd sets it when it assigns one). */
	struct plan_network {
		bool host;    /* hostNetwork: the node's interfaces */
		char *bridge; /* NULL: off the pod network (hostNetwork, or a node without one) */
		uint32_t cidr;
		unsigned prefix;
		unsigned mtu;
		char *node_ifname; /* NULL: derived from the uid, not known yet */
		char *ifb_ifname;  /* NULL: derived from the uid, not known yet */
		/* kubernetes.io/ingress-bandwidth and egress-bandwidth in bits per second, 0 for
		 * none: a tbf on the node end, and one on the pod's ifb (pkg/net/bandwidth.c) */
		int64_t ingress_bandwidth;
		int64_t egress_bandwidth;
		uint32_t pod_ip;
		bool masquerade;
		/* the pod's hostPorts forwarded from the node (not with hostNetwork, where the
		 * container binds the node's port itself) */
		struct plan_host_port {
			char *container;
			char *protocol; /* TCP, UDP or SCTP */
			char *host_ip;  /* NULL: every address of the node */
			int64_t host_port;
			int64_t container_port;
		} * host_ports;
		size_t n_host_ports;
	} network;
};

/* Builds the plan. warnings (may be NULL) are copied in front of the plan's own. Returns 0 or
 * -ENOMEM; a pod that passed spec_pod_decode() always has a plan. */
int plan_build(const struct spec_pod *pod, const struct plan_config *config, char *const *warnings,
               struct plan **out);
/* The explanation of a built plan, made again from what built it, as plan_build made it
 * (NULL: out of memory). A plan kept for a pod's life need not hold its kilobytes of sentences
 * until they are asked for. */
char **plan_explanation(const struct plan *plan, const struct spec_pod *pod,
                        const struct plan_config *config);

/* Resolves container i of a plan whose root is an image, once the image is on the node: the
 * root's image, image_id, repo_digest and lowerdirs; the process as Kubernetes combines them
 * (command or else Entrypoint, then args or else Cmd, as the kubelet's; the image's Env under
 * the spec's env; WorkingDir when the spec has none; the image's user when no securityContext
 * sets runAsUser/runAsGroup); then the runAsNonRoot refusal again with that user, in the
 * kubelet's words (a non-numeric image user it cannot verify is refused). Again for the same
 * container (a new pull): the earlier resolution is replaced. -ENOMEM. */
int plan_container_apply_image(struct plan *plan, size_t i, const struct spec_pod *pod,
                               const struct plan_image *image);

struct plan *plan_free(struct plan *plan);
static inline void plan_freep(struct plan **p)
{
	plan_free(*p);
}
#define _cleanup_plan_ _cleanup_(plan_freep)

/* Release what a plan_process and an array of plan_mount own (the runtime builds them too). */
void plan_process_done(struct plan_process *process);
void plan_mounts_free(struct plan_mount *mounts, size_t n);
void plan_root_done(struct plan_root *root);
void plan_security_done(struct plan_security *security);

/* The IsolationPlan object (apiVersion nanolet.io/v1, kind IsolationPlan). NULL on ENOMEM. */
json_t *plan_to_json(const struct plan *plan);

/* What nanolet does on this node with a Pod field, whatever the pod, in the explanation's own
 * words: for the field's description in the OpenAPI document nanoletd serves (kubectl explain).
 * path from the Pod, "[]" for an array's items: "spec.hostPID",
 * "spec.containers[].resources.limits". */
struct plan_field {
	const char *path;
	const char *text;
};
extern const struct plan_field plan_fields[];
extern const size_t plan_n_fields;
/* plan_fields' text for path, or NULL when the explanation says nothing of that field. */
const char *plan_field_explanation(const char *path);

const char *plan_ns_name(enum plan_ns ns);             /* "pid", "net", ... */
const char *plan_ns_mode_name(enum plan_ns_mode mode); /* "host", "pod", "container" */
const char *plan_cgroup_driver_name(enum plan_cgroup_driver driver);

/* Resource arithmetic, exposed for the table tests. */
uint64_t plan_cpu_shares(int64_t milli);               /* milli*1024/1000 clamped to [2, 262144] */
uint64_t plan_cpu_weight_from_shares(uint64_t shares); /* crun >= 1.23 quadratic formula */
int64_t plan_cpu_quota(int64_t milli);                 /* milli*100000/1000, at least 1000 */
/* MemoryQoS's memory.high of a container: floor((request + factor × (limit − request)) / 4096)
 * × 4096, factor 0 meaning 0.9; -1 (none) without a limit, when the request is the limit, or
 * when it would not be above the request. */
int64_t plan_memory_high(int64_t request, int64_t limit, double factor);
