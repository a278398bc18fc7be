/* pkg/security: what a container may do beyond what its namespaces let it see, as pure tables
 * and arithmetic: capability names and sets, the device allow list, the masked and read-only
 * paths of /proc and /sys, and seccomp profiles (the RuntimeDefault table, and OCI/Docker JSON
 * profiles read into the same model). No I/O and no syscalls: pkg/plan decides with these,
 * pkg/runtime (the shim) and pkg/cgroup (the devices controller) enforce them.
 *
 *   caps.c      capability names, containerd's default set, the kubelet's add/drop arithmetic
 *   devices.c   the devices a container gets, and their cgroup rules
 *   paths.c     masked and read-only paths
 *   seccomp.c   the seccomp profile model, RuntimeDefault, the JSON reader
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

/* A seccomp profile in the model of the OCI runtime spec (linux.seccomp) and Docker's JSON
 * profiles: a default action, architectures, and rules (syscall names, an action, argument
 * conditions, and the capability/architecture conditions under which a rule applies).
 * Defined in seccomp.c. */
struct security_seccomp_profile;

/* containerd's default profile (contrib/seccomp), the one RuntimeDefault means. Static: never
 * freed. */
const struct security_seccomp_profile *security_seccomp_runtime_default(void);

/* Reads an OCI (linux.seccomp) or Docker-format JSON profile. A profile that cannot be
 * enforced as written (an unknown action, operator or architecture, a rule without names) is
 * -EINVAL with a message naming the place; bad JSON -EBADMSG with line and column. */
int security_seccomp_parse(const char *text, size_t len, struct security_seccomp_profile **out,
                           struct nano_err *err);
struct security_seccomp_profile *security_seccomp_free(struct security_seccomp_profile *p);
