/* pkg/security/sysctl.c: which sysctls a pod may set, as the API server and the kubelet decide.
 *
 *   names      the API server's IsValidSysctlName (SysctlContainSlashFmt: dots or slashes) and
 *              the kubelet's allow-list patterns (IsValidSysctlPattern: a trailing '*')
 *   namespace  component-helpers' GetNamespace: which kernel namespace holds a sysctl (ipc:
 *              kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*; net: net.*); any other is the
 *              node's, and no pod may set it
 *   admission  the kubelet's patternAllowlist: the safe set plus --allowed-unsafe-sysctls, the
 *              message it rejects a pod with
 *
 * A sysctl is per namespace: writing one inside the pod's network or IPC namespace changes that
 * namespace only, never the node's. Pure: no I/O; the shim writes (pkg/runtime/shim_sysctl.c).
 */
#include <string.h>

#include "security.h"

/* The kubelet's safe set (pkg/kubelet/sysctl/safe_sysctls.go) as of Kubernetes 1.37, the
 * version pss_baseline.c's list follows: namespaced, and isolated from every other pod. The
 * kubelet drops the ones an old kernel does not namespace (ip_local_reserved_ports before 3.16,
 * the tcp_keepalive and tcp_fin_timeout ones before 4.5 and 4.6); nanolet needs a kernel newer
 * than all of them (clone3, 5.3). */
static const char *const safe_sysctls[] = {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",
};

static bool segment_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-_a-z0-9]*[a-z0-9])? over s[0..n). */
static bool segment(const char *s, size_t n)
{
	if (n == 0 || !segment_char(s[0]) || !segment_char(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!segment_char(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* ([a-z0-9][-_a-z0-9]*)?[a-z0-9*] over s[0..n): a '*' only last. */
static bool pattern_segment(const char *s, size_t n)
{
	if (n == 0 || (!segment_char(s[n - 1]) && s[n - 1] != '*'))
		return false;
	if (n == 1)
		return true;
	if (!segment_char(s[0]))
		return false;
	for (size_t i = 1; i < n - 1; i++)
		if (!segment_char(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* (segment[./])*last: every part but the last a segment, separated by '.' or '/'. */
static bool name_matches(const char *name, bool (*last)(const char *, size_t))
{
	const char *s = name;
	size_t n;

	if (strlen(name) > SECURITY_SYSCTL_NAME_MAX)
		return false;
	for (; s[n = strcspn(s, "./")]; s += n + 1)
		if (!segment(s, n))
			return false;
	return last(s, n);
}

bool security_sysctl_name_valid(const char *name)
{
	return name_matches(name, segment);
}

bool security_sysctl_pattern_valid(const char *pattern)
{
	return name_matches(pattern, pattern_segment);
}

char *security_sysctl_normalize(const char *name)
{
	size_t first = strcspn(name, "./");
	char *out = strdup(name);

	/* component-helpers' NormalizeName: "net/ipv4/conf/eno2.100/rp_filter" is
	 * "net.ipv4.conf.eno2/100.rp_filter", the '.' inside a segment becoming a '/' */
	if (!out || name[first] != '/')
		return out;
	for (char *p = out; *p; p++)
		if (*p == '.' || *p == '/')
			*p = *p == '.' ? '/' : '.';
	return out;
}

char *security_sysctl_path(const char *name)
{
	size_t first = strcspn(name, "./");
	char *out = strdup(name);

	/* the same swap the other way: a '.' separates directories under /proc/sys */
	if (!out || name[first] == '/')
		return out;
	for (char *p = out; *p; p++)
		if (*p == '.' || *p == '/')
			*p = *p == '.' ? '/' : '.';
	return out;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* namespaceOf over a name in dots form (or a pattern's prefix before its '*'). */
static enum security_sysctl_ns namespace_of(const char *name)
{
	static const char *const ipc_names[] = {
	        "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
	        "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.shm",
	        "kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
	        "kernel.msg"};

	for (size_t i = 0; i < ELEMENTSOF(ipc_names); i++)
		if (strcmp(name, ipc_names[i]) == 0)
			return SECURITY_SYSCTL_NS_IPC;
	if (has_prefix(name, "net."))
		return SECURITY_SYSCTL_NS_NET;
	if (has_prefix(name, "fs.mqueue."))
		return SECURITY_SYSCTL_NS_IPC;
	return SECURITY_SYSCTL_NS_NODE;
}

enum security_sysctl_ns security_sysctl_namespace(const char *name)
{
	_cleanup_free_ char *dots = security_sysctl_normalize(name);

	if (!dots)
		return SECURITY_SYSCTL_NS_NODE;
	dots[strcspn(dots, "*")] = '\0';
	return namespace_of(dots);
}

const char *security_sysctl_ns_name(enum security_sysctl_ns ns)
{
	switch (ns) {
	case SECURITY_SYSCTL_NS_NET:
		return "net";
	case SECURITY_SYSCTL_NS_IPC:
		return "ipc";
	case SECURITY_SYSCTL_NS_NODE:
		break;
	}
	return "node";
}

bool security_sysctl_is_safe(const char *name)
{
	_cleanup_free_ char *dots = security_sysctl_normalize(name);

	for (size_t i = 0; dots && i < ELEMENTSOF(safe_sysctls); i++)
		if (strcmp(dots, safe_sysctls[i]) == 0)
			return true;
	return false;
}

char *security_sysctl_pattern_error(const char *pattern)
{
	_cleanup_free_ char *dots = NULL;

	if (!security_sysctl_pattern_valid(pattern))
		return strdupf("sysctl \"%s\" must have at most %d characters and match regex %s",
		               pattern, SECURITY_SYSCTL_NAME_MAX, SECURITY_SYSCTL_PATTERN_REGEX);
	dots = security_sysctl_normalize(pattern);
	if (!dots)
		return strdup("out of memory");
	dots[strcspn(dots, "*")] = '\0';
	if (namespace_of(dots) == SECURITY_SYSCTL_NS_NODE)
		return strdupf("the sysctls \"%s\" are not known to be namespaced", dots);
	return NULL;
}

/* validateSysctl's refusal of a sysctl the list holds, with hostNetwork or hostIPC; its names
 * for the namespaces are component-helpers' ("IPC", "Net"). */
static int host_refusal(const char *dots, enum security_sysctl_ns ns, bool host_network,
                        bool host_ipc, char **forbidden)
{
	const char *host = ns == SECURITY_SYSCTL_NS_IPC && host_ipc       ? "IPC"
	                   : ns == SECURITY_SYSCTL_NS_NET && host_network ? "Net"
	                                                                  : NULL;

	if (!host)
		return 0;
	*forbidden =
	        strdupf("forbidden sysctl: \"%s\" not allowed with host %s enabled", dots, host);
	return *forbidden ? 0 : -ENOMEM;
}

int security_sysctl_admit(const char *name, char *const *allowed_unsafe, bool host_network,
                          bool host_ipc, char **forbidden)
{
	_cleanup_free_ char *dots = security_sysctl_normalize(name);

	*forbidden = NULL;
	if (!dots)
		return -ENOMEM;
	if (security_sysctl_is_safe(dots))
		return host_refusal(dots, namespace_of(dots), host_network, host_ipc, forbidden);
	/* the list was checked when the config was read (security_sysctl_pattern_error) */
	for (size_t i = 0; allowed_unsafe && allowed_unsafe[i]; i++) {
		_cleanup_free_ char *entry = security_sysctl_normalize(allowed_unsafe[i]);
		size_t star;

		if (!entry)
			return -ENOMEM;
		/* a pattern's '*' is last: what comes before it is a plain prefix */
		star = strcspn(entry, "*");
		if (entry[star] ? strncmp(dots, entry, star) != 0 : strcmp(dots, entry) != 0)
			continue;
		entry[star] = '\0';
		return host_refusal(dots, namespace_of(entry), host_network, host_ipc, forbidden);
	}
	*forbidden = strdupf("forbidden sysctl: \"%s\" not allowlisted", dots);
	return *forbidden ? 0 : -ENOMEM;
}
