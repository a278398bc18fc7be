/* pkg/security/caps.c: capability names, containerd's default set, and the arithmetic by which
 * securityContext.capabilities and the process's uid become the five sets the kernel holds.
 * Pure: the shim applies the result (capset, PR_CAPBSET_DROP), the plan shows it. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "security.h"

/* In the kernel's order (include/uapi/linux/capability.h): the index is the number. */
static const char *const names[SECURITY_CAP_COUNT] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

const char *security_cap_name(int cap)
{
	return cap >= 0 && cap < SECURITY_CAP_COUNT ? names[cap] : NULL;
}

int security_cap_from_name(const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (int i = 0; i < SECURITY_CAP_COUNT; i++)
		if (strcasecmp(name, names[i] + 4) == 0)
			return i;
	return -1;
}

bool security_cap_is_all(const char *name)
{
	return name && strcasecmp(name, "ALL") == 0;
}

#define BIT(cap) (UINT64_C(1) << (cap))

uint64_t security_caps_runtime_default(void)
{
	/* containerd pkg/oci/spec.go defaultUnixCaps */
	return BIT(0) /* CHOWN */ | BIT(1) /* DAC_OVERRIDE */ | BIT(4) /* FSETID */ |
	       BIT(3) /* FOWNER */ | BIT(27) /* MKNOD */ | BIT(13) /* NET_RAW */ |
	       BIT(6) /* SETGID */ | BIT(7) /* SETUID */ | BIT(31) /* SETFCAP */ |
	       BIT(8) /* SETPCAP */ | BIT(10) /* NET_BIND_SERVICE */ | BIT(18) /* SYS_CHROOT */ |
	       BIT(5) /* KILL */ | BIT(29) /* AUDIT_WRITE */;
}

static bool has_all(char *const *l)
{
	for (size_t i = 0; l && l[i]; i++)
		if (security_cap_is_all(l[i]))
			return true;
	return false;
}

uint64_t security_caps_apply(uint64_t set, char *const *add, char *const *drop)
{
	int cap;

	/* containerd internal/cri/opts WithCapabilities: ALL first, so that individual names
	 * still work after it ("add: [ALL], drop: [CHOWN]" is everything but CHOWN) */
	if (has_all(add))
		set = SECURITY_CAPS_ALL;
	if (has_all(drop))
		set = 0;
	for (size_t i = 0; add && add[i]; i++)
		if ((cap = security_cap_from_name(add[i])) >= 0)
			set |= BIT(cap);
	for (size_t i = 0; drop && drop[i]; i++)
		if ((cap = security_cap_from_name(drop[i])) >= 0)
			set &= ~BIT(cap);
	return set;
}

void security_caps_for(uint64_t set, uint32_t uid, struct security_caps *out)
{
	/* The kernel at exec: uid 0 is treated as holding every file capability, so it keeps
	 * the bounding set effective and permitted; any other uid, without file capabilities or
	 * ambient ones, keeps nothing. */
	*out = (struct security_caps){.bounding = set};
	if (uid == 0)
		out->effective = out->permitted = set;
}

char **security_caps_names(uint64_t set)
{
	_cleanup_strv_ char **l = calloc(1, sizeof(char *));

	if (!l)
		return NULL;
	for (int i = 0; i < SECURITY_CAP_COUNT; i++)
		if ((set & BIT(i)) && strv_push(&l, strdup(names[i])) < 0)
			return NULL;
	return TAKE_PTR(l);
}
