/* pkg/security: what a container may do beyond what its namespaces let it see, as pure tables
 * and arithmetic: capability names and sets, the device allow list, the masked and read-only
 * paths of /proc and /sys, and seccomp profiles (the RuntimeDefault table, and OCI/Docker JSON
 * profiles read into the same model). No I/O and no syscalls: pkg/plan decides with these,
 * pkg/runtime (the shim) and pkg/cgroup (the devices controller) enforce them.
 *
 *   caps.c      capability names, containerd's default set, the kubelet's add/drop arithmetic
 *   devices.c   the devices a container gets, and their cgroup rules
 *   paths.c     masked and read-only paths
 *   seccomp.c          the seccomp profile model's names, and which rules apply where
 *   seccomp_default.c  RuntimeDefault: containerd's default profile as a table
 *   seccomp_json.c     OCI and Docker JSON profiles read into the model
 *   pss.c              the Pod Security Standards: which checks a level and version runs, the
 *                      message admission answers with
 *   pss_checks.c       the checks, transcribed from kubernetes/pod-security-admission
 *   sysctl.c           sysctl names, the namespace each lives in, the kubelet's safe set and
 *                      allow list
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* ---- capabilities ------------------------------------------------------------------------ */

/* Capabilities nanolet knows by name: CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40). A kernel may
 * know fewer (/proc/sys/kernel/cap_last_cap): the shim drops what it does not know. */
#define SECURITY_CAP_COUNT 41

/* "CAP_CHOWN" for 0; NULL outside [0, SECURITY_CAP_COUNT). */
const char *security_cap_name(int cap);
/* A capability as a Pod names it: with or without "CAP_", any case ("chown", "CAP_CHOWN",
 * "Net_Raw"). -1 for an unknown name; "ALL" is not a capability (-1). */
int security_cap_from_name(const char *name);
/* Whether name is "ALL" (any case), the add/drop wildcard. */
bool security_cap_is_all(const char *name);

/* Every capability nanolet knows. */
#define SECURITY_CAPS_ALL ((UINT64_C(1) << SECURITY_CAP_COUNT) - 1)
/* containerd's default set (pkg/oci defaultUnixCaps), 14 capabilities: CHOWN, DAC_OVERRIDE,
 * FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
 * SYS_CHROOT, KILL, AUDIT_WRITE. */
uint64_t security_caps_runtime_default(void);

/* containerd's CRI arithmetic for securityContext.capabilities, on base: "ALL" in add gives
 * every capability, then "ALL" in drop gives none, then each named add, then each named drop
 * (so a drop wins over an add of the same name). Unknown names are skipped (validation refuses
 * them before this). */
uint64_t security_caps_apply(uint64_t base, char *const *add, char *const *drop);

/* The five sets of a process after exec, as the kernel will hold them. */
struct security_caps {
	uint64_t bounding;
	uint64_t effective;
	uint64_t permitted;
	uint64_t inheritable; /* always empty (CVE-2022-24769) */
	uint64_t ambient;     /* always empty, as containerd clears it */
};

/* The sets of a container whose capability set is set (security_caps_apply, or every
 * capability when privileged) and that runs as uid: bounding = set; uid 0 also holds it
 * effective and permitted, any other uid none (exec without file capabilities clears them). */
void security_caps_for(uint64_t set, uint32_t uid, struct security_caps *out);

/* "CAP_CHOWN", "CAP_KILL", ... in bit order, NULL-terminated; NULL on ENOMEM. */
char **security_caps_names(uint64_t set);

/* ---- devices ----------------------------------------------------------------------------- */

#define SECURITY_DEVICE_ANY INT64_C(-1) /* a wildcard major or minor */

/* One device the container may use, and the cgroup rule that allows it. */
struct security_device {
	char type;          /* 'c', 'b', or 'a' (every device, every access) */
	int64_t major;      /* SECURITY_DEVICE_ANY: any */
	int64_t minor;      /* SECURITY_DEVICE_ANY: any */
	const char *access; /* "rwm" or a subset: read, write, mknod */
	const char *path;   /* the node in the container's /dev, NULL for a rule without one */
	mode_t mode;        /* of the node */
};

/* The devices of a default container, as runc allows them (null, zero, full, random, urandom,
 * tty, ptmx, the pts of its devpts), without runc's mknod wildcards and /dev/net/tun: anything
 * else is denied, mknod included. */
const struct security_device *security_devices_default(size_t *n);
/* A privileged container's single rule: every device, every access. */
const struct security_device *security_devices_all(size_t *n);

/* "c 1:3 rwm", "a *:* rwm": the devices.allow line of v1. buf of at least 48 bytes. */
void security_device_rule(const struct security_device *d, char *buf, size_t size);

/* ---- /proc and /sys ------------------------------------------------------------------------ */

/* containerd's and the kubelet's defaults for procMount: Default, NULL-terminated: masked paths
 * (a file gets /dev/null bound over it, a directory an empty read-only tmpfs) and read-only
 * paths (bound read-only onto themselves). Paths the kernel lacks are skipped. */
extern const char *const security_masked_paths[];
extern const char *const security_read_only_paths[];

/* ---- seccomp ------------------------------------------------------------------------------- */

enum security_seccomp_kind {
	SECURITY_SECCOMP_UNCONFINED,
	SECURITY_SECCOMP_RUNTIME_DEFAULT,
	SECURITY_SECCOMP_LOCALHOST,
};

/* "Unconfined", "RuntimeDefault", "Localhost": the Pod's seccompProfile.type words. */
const char *security_seccomp_kind_name(enum security_seccomp_kind kind);

/* What the kernel does with a syscall a rule (or the default) matches: libseccomp's SCMP_ACT_*,
 * from the most to the least severe. SCMP_ACT_NOTIFY (a user-space agent decides) is not here:
 * nanolet has no seccomp agent, and the reader refuses it. */
enum security_seccomp_action {
	SECURITY_SECCOMP_ACT_KILL_PROCESS, /* SCMP_ACT_KILL_PROCESS: the process dies of SIGSYS */
	SECURITY_SECCOMP_ACT_KILL_THREAD,  /* SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD: the thread */
	SECURITY_SECCOMP_ACT_TRAP,         /* SCMP_ACT_TRAP: SIGSYS, which the process may handle */
	SECURITY_SECCOMP_ACT_ERRNO,        /* SCMP_ACT_ERRNO: fails with errno_ret, not run */
	SECURITY_SECCOMP_ACT_TRACE, /* SCMP_ACT_TRACE: a ptrace tracer decides (errno_ret is the
	                             * event message it reads); without one, ENOSYS */
	SECURITY_SECCOMP_ACT_LOG,   /* SCMP_ACT_LOG: runs, and the kernel logs it */
	SECURITY_SECCOMP_ACT_ALLOW, /* SCMP_ACT_ALLOW */
};

/* "SCMP_ACT_ALLOW", ...; NULL for a value outside the enum. */
const char *security_seccomp_action_name(enum security_seccomp_action action);

/* How a rule compares one syscall argument (libseccomp's SCMP_CMP_*). */
enum security_seccomp_op {
	SECURITY_SECCOMP_OP_NE,        /* arg != value */
	SECURITY_SECCOMP_OP_LT,        /* arg < value */
	SECURITY_SECCOMP_OP_LE,        /* arg <= value */
	SECURITY_SECCOMP_OP_EQ,        /* arg == value */
	SECURITY_SECCOMP_OP_GE,        /* arg >= value */
	SECURITY_SECCOMP_OP_GT,        /* arg > value */
	SECURITY_SECCOMP_OP_MASKED_EQ, /* (arg & value) == value_two */
};

/* "SCMP_CMP_NE", ...; NULL for a value outside the enum. */
const char *security_seccomp_op_name(enum security_seccomp_op op);

/* The architectures a filter can know (libseccomp's SCMP_ARCH_*). A set of them is a uint32_t
 * with bit (1 << arch). */
enum security_seccomp_arch {
	SECURITY_SECCOMP_ARCH_X86,
	SECURITY_SECCOMP_ARCH_X86_64,
	SECURITY_SECCOMP_ARCH_X32,
	SECURITY_SECCOMP_ARCH_ARM,
	SECURITY_SECCOMP_ARCH_AARCH64,
	SECURITY_SECCOMP_ARCH_MIPS,
	SECURITY_SECCOMP_ARCH_MIPS64,
	SECURITY_SECCOMP_ARCH_MIPS64N32,
	SECURITY_SECCOMP_ARCH_MIPSEL,
	SECURITY_SECCOMP_ARCH_MIPSEL64,
	SECURITY_SECCOMP_ARCH_MIPSEL64N32,
	SECURITY_SECCOMP_ARCH_PPC,
	SECURITY_SECCOMP_ARCH_PPC64,
	SECURITY_SECCOMP_ARCH_PPC64LE,
	SECURITY_SECCOMP_ARCH_S390,
	SECURITY_SECCOMP_ARCH_S390X,
	SECURITY_SECCOMP_ARCH_PARISC,
	SECURITY_SECCOMP_ARCH_PARISC64,
	SECURITY_SECCOMP_ARCH_RISCV64,
	SECURITY_SECCOMP_ARCH_LOONGARCH64,
	SECURITY_SECCOMP_ARCH_COUNT,
};

#define SECURITY_SECCOMP_ARCH_BIT(a) (UINT32_C(1) << (a))

/* "SCMP_ARCH_X86_64" (the OCI spelling), and "x86_64" (libseccomp's own name, what
 * seccomp_arch_resolve_name takes); NULL outside the enum. */
const char *security_seccomp_arch_name(enum security_seccomp_arch arch);
const char *security_seccomp_arch_token(enum security_seccomp_arch arch);
/* An architecture in any of the spellings profiles use: "SCMP_ARCH_X86_64" (OCI, Docker's
 * archMap), "amd64" (Docker's includes/excludes, Go's names: "386", "arm64", "loong64"...),
 * "x86_64" (libseccomp's); any case. -1 when unknown. */
int security_seccomp_arch_from_name(const char *name);

/* A kernel version as the kernel's KERNEL_VERSION() packs it. */
#define SECURITY_KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
/* "4.8", "5.10.0-21-amd64", "6.18.44-fc-v595": the leading major[.minor[.patch]]. -EINVAL when
 * it does not start with a number. */
int security_kernel_version_parse(const char *release, uint32_t *out);

/* One argument condition of a rule (OCI LinuxSeccompArg). */
struct security_seccomp_arg {
	unsigned int index; /* 0..5: which syscall argument */
	uint64_t value;     /* MASKED_EQ: the mask */
	uint64_t value_two; /* MASKED_EQ: what the masked argument must equal; else unused */
	enum security_seccomp_op op;
};

#define SECURITY_SECCOMP_ARGS_MAX 6 /* syscalls have at most six arguments */

/* Docker's includes/excludes: when a rule is part of the filter at all, decided where the
 * container starts (containerd decides the same things in Go code). Zero fields are no
 * condition. */
struct security_seccomp_cond {
	/* includes: every one of these capabilities is in the container's bounding set;
	 * excludes: any of them is. Bit = capability number, as SECURITY_CAPS_ALL. */
	uint64_t caps;
	/* includes: the native architecture is one of these; excludes: it is. */
	uint32_t arches;
	/* includes: the running kernel is at least this; excludes: it is at least this.
	 * SECURITY_KERNEL_VERSION(), 0 none. */
	uint32_t min_kernel;
};

/* One syscalls[] entry: the syscalls it names get action when their arguments meet every
 * condition of args (none: always). A name libseccomp does not know (a profile newer than it)
 * is skipped where the filter is built, as runc and crun do. */
struct security_seccomp_rule {
	const char *const *names; /* NULL-terminated, at least one */
	enum security_seccomp_action action;
	uint16_t errno_ret; /* ERRNO, TRACE: errnoRet, EPERM when the profile leaves it out;
	                     * 0 for the other actions */
	const struct security_seccomp_arg *args;
	size_t n_args;
	struct security_seccomp_cond includes, excludes;
};

/* Docker's archMap entry: on a machine whose native architecture is arch, the filter also
 * covers sub_arches (x86_64 runs x86 and x32 binaries). */
struct security_seccomp_arch_map {
	enum security_seccomp_arch arch;
	uint32_t sub_arches; /* SECURITY_SECCOMP_ARCH_BIT()s */
};

/* OCI flags (SECCOMP_FILTER_FLAG_*) that change the filter. SECCOMP_FILTER_FLAG_TSYNC and
 * _WAIT_KILLABLE_RECV are accepted and mean nothing here: the shim's child has one thread,
 * and there is no notify agent. */
#define SECURITY_SECCOMP_FLAG_LOG (UINT32_C(1) << 0) /* log every action but ALLOW */
#define SECURITY_SECCOMP_FLAG_SPEC_ALLOW                                                           \
	(UINT32_C(1) << 1) /* no speculative-store-bypass                                          \
	                      mitigation */

/* A seccomp profile in the model of the OCI runtime spec (linux.seccomp) and Docker's JSON
 * profiles. The rules are in the profile's order; the filter is what libseccomp makes of
 * them all (runc and crun add them one by one in the same way). */
struct security_seccomp_profile {
	enum security_seccomp_action default_action;
	uint16_t default_errno_ret; /* ERRNO, TRACE: defaultErrnoRet, else EPERM */
	/* OCI architectures: the filter covers these besides the native one. 0: native only */
	uint32_t architectures;
	/* Docker archMap (a profile has either this or architectures) */
	const struct security_seccomp_arch_map *arch_map;
	size_t n_arch_map;
	uint32_t flags; /* SECURITY_SECCOMP_FLAG_* */
	const struct security_seccomp_rule *rules;
	size_t n_rules;
};

/* containerd's default profile (contrib/seccomp DefaultProfile), the one RuntimeDefault means,
 * with containerd's Go conditions (the bounding set, GOARCH, the kernel version) written as
 * includes/excludes and an archMap. Static: never freed (security_seccomp_free ignores it). */
const struct security_seccomp_profile *security_seccomp_runtime_default(void);

/* Reads an OCI (linux.seccomp) or Docker-format JSON profile. A profile that cannot be
 * enforced as written (an unknown action, operator, architecture or capability, a rule without
 * names, an argument index past 5, SCMP_ACT_NOTIFY) is -EINVAL with a message naming the
 * place ("syscalls[3].action: unknown action \"SCMP_ACT_FOO\""); bad JSON -EBADMSG with line
 * and column. The first problem found is the one reported. Unknown keys are ignored, as Go's
 * decoder does (comment, listenerPath...). Numbers above INT64_MAX cannot be read (jansson):
 * -EBADMSG. */
int security_seccomp_parse(const char *text, size_t len, struct security_seccomp_profile **out,
                           struct nano_err *err);
struct security_seccomp_profile *security_seccomp_free(struct security_seccomp_profile *p);

/* Where a profile is applied: what includes/excludes and the archMap are decided by. */
struct security_seccomp_env {
	enum security_seccomp_arch arch; /* the native architecture */
	uint32_t kernel;                 /* SECURITY_KERNEL_VERSION() of the running kernel */
	uint64_t caps;                   /* the container's bounding set */
};

/* Whether rule is part of the filter in env: includes all hold, no excludes holds (moby's
 * profiles/seccomp setupSeccomp). */
bool security_seccomp_rule_applies(const struct security_seccomp_rule *rule,
                                   const struct security_seccomp_env *env);
/* The architectures the filter covers on native: native, architectures, and the archMap
 * entry of native's sub-architectures. */
uint32_t security_seccomp_arches(const struct security_seccomp_profile *p,
                                 enum security_seccomp_arch native);

/* ---- Pod Security Standards ---------------------------------------------------------------- */

/* The levels of kubernetes.io/docs/concepts/security/pod-security-standards, each allowing less
 * than the one before. */
enum security_pss_level {
	SECURITY_PSS_PRIVILEGED, /* anything */
	SECURITY_PSS_BASELINE,   /* no known privilege escalation */
	SECURITY_PSS_RESTRICTED, /* current hardening best practice */
};

/* A policy version is v1.<minor>: the checks as Kubernetes 1.<minor> ran them. LATEST, and any
 * version past SECURITY_PSS_NEWEST_MINOR (the newest pod-security-admission this was written
 * from), evaluates as the newest. */
#define SECURITY_PSS_LATEST       (-1)
#define SECURITY_PSS_NEWEST_MINOR 37

/* "privileged", "baseline", "restricted"; parse: -EINVAL for anything else. */
const char *security_pss_level_name(enum security_pss_level level);
int security_pss_level_parse(const char *s, enum security_pss_level *out);
/* "latest" or "v1.N" (api.ParseVersion's grammar) into *minor; -EINVAL otherwise. */
int security_pss_version_parse(const char *s, int *minor);
/* "latest", "v1.29"; buf of at least 16 bytes. */
void security_pss_version_name(int minor, char *buf, size_t size);

/* One check a Pod fails, in Kubernetes' words: check is the check's ID ("hostNamespaces",
 * "capabilities_restricted"), reason its ForbiddenReason ("host namespaces"), detail its
 * ForbiddenDetail ("hostNetwork=true, hostPID=true"; may be ""). */
struct security_pss_violation {
	const char *check;  /* static */
	const char *reason; /* static */
	char *detail;
};

struct security_pss_result {
	struct security_pss_violation *violations; /* in Kubernetes' order: baseline checks first */
	size_t n;                                  /* 0: the Pod meets the level */
};

/* Every check of level at version (SECURITY_PSS_LATEST or a minor) on pod, a core/v1 Pod as
 * JSON: the document as written or spec_pod.object (decoding keeps every field the standards
 * read, implemented by nanolet or not). *out lists each check the Pod fails; privileged fails
 * none. 0 or -ENOMEM. */
int security_pss_evaluate(const json_t *pod, enum security_pss_level level, int version,
                          struct security_pss_result *out);
void security_pss_result_done(struct security_pss_result *r);

/* The API server's words for a refusal: `violates PodSecurity "baseline:latest": host
 * namespaces (hostNetwork=true), privileged (container "c" must not set
 * securityContext.privileged=true)`. NULL on ENOMEM. */
char *security_pss_message(const struct security_pss_result *r, enum security_pss_level level,
                           int version);

/* The same for a warning and an audit annotation: `would violate PodSecurity "baseline:latest":
 * ...`. NULL on ENOMEM. */
char *security_pss_warning(const struct security_pss_result *r, enum security_pss_level level,
                           int version);

/* The highest level pod meets at version. 0 or -ENOMEM. */
int security_pss_highest(const json_t *pod, int version, enum security_pss_level *out);

/* ---- sysctls ------------------------------------------------------------------------------ */

/* Which kernel namespace a sysctl lives in; NODE: none nanolet knows, the node's own. */
enum security_sysctl_ns {
	SECURITY_SYSCTL_NS_NODE,
	SECURITY_SYSCTL_NS_NET,
	SECURITY_SYSCTL_NS_IPC,
};

/* The API server's SysctlMaxLength, and the kubelet's pattern regex (SysctlContainSlashPatternFmt)
 * as its messages print it. */
#define SECURITY_SYSCTL_NAME_MAX 253
#define SECURITY_SYSCTL_NAME_REGEX                                                                 \
	"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"
#define SECURITY_SYSCTL_PATTERN_REGEX                                                              \
	"([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"

/* A sysctl name as the API server takes it: segments of [a-z0-9]([-_a-z0-9]*[a-z0-9])? separated
 * by '.' or '/', at most 253 characters. */
bool security_sysctl_name_valid(const char *name);
/* An entry of allowed_unsafe_sysctls as the kubelet takes it: the same, with a '*' allowed as
 * the last character ("net.core.*", "kernel.shm*"). */
bool security_sysctl_pattern_valid(const char *pattern);
/* NULL when pattern may be allowed, else the kubelet's refusal of it: not a pattern, or "the
 * sysctls \"x\" are not known to be namespaced". */
char *security_sysctl_pattern_error(const char *pattern);

/* The name in dots form ("net/ipv4/ip_forward" -> "net.ipv4.ip_forward"; a '.' inside a segment
 * of a slash form becomes '/'), and its file under /proc/sys ("net/ipv4/ip_forward"). A valid
 * name never climbs out of /proc/sys: no segment is "." or "..". NULL on ENOMEM. */
char *security_sysctl_normalize(const char *name);
char *security_sysctl_path(const char *name);

/* The namespace of a name, dots or slashes, or of a pattern's prefix. */
enum security_sysctl_ns security_sysctl_namespace(const char *name);
const char *security_sysctl_ns_name(enum security_sysctl_ns ns); /* "net", "ipc", "node" */

/* In the kubelet's safe set (Kubernetes 1.37). */
bool security_sysctl_is_safe(const char *name);

/* The kubelet's admission of one sysctl of a pod: allowed when safe or matched by an entry of
 * allowed_unsafe (NULL-terminated, each checked by security_sysctl_pattern_error), and not in a
 * namespace the pod shares with the node. *forbidden NULL when admitted, else the kubelet's
 * message ("forbidden sysctl: \"net.core.somaxconn\" not allowlisted"). 0 or -ENOMEM. */
int security_sysctl_admit(const char *name, char *const *allowed_unsafe, bool host_network,
                          bool host_ipc, char **forbidden);
