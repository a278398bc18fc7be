/* pkg/security/sysctl.c: the API server's sysctl names, the kubelet's patterns, the namespace
 * of each sysctl, the safe set and the kubelet's admission with its allow list. One row per
 * case, named by what it shows. */
#include "check_main.h"
#include <string.h>

#include "security/security.h"

static const struct {
	const char *name;
	bool valid;
} name_rows[] = {
        {"kernel.shm_rmid_forced", true},
        {"net.ipv4.ip_local_port_range", true},
        {"net/ipv4/ip_local_port_range", true},
        {"net/ipv4/conf/eno2.100/rp_filter", true}, /* a VLAN interface in slash form */
        {"net.ipv4.conf.eno2/100.rp_filter", true},
        {"a", true},
        {"a-b_c.d9", true},
        {"", false},
        {"Net.ipv4.x", false},    /* lower case only */
        {"net..ipv4", false},     /* an empty segment */
        {"net.ipv4.", false},     /* a trailing separator */
        {".net", false},          /* a leading one */
        {"/proc/sys/net", false}, /* not a path */
        {"net/../../etc", false}, /* never climbs out of /proc/sys */
        {"net.-ipv4", false},     /* a segment starts alphanumeric */
        {"net.ipv4_", false},     /* and ends so */
        {"net.core.*", false},    /* a pattern, not a name */
        {"net.ipv4.tcp syncookies", false},
};

START_TEST(test_names)
{
	ck_assert_msg(security_sysctl_name_valid(name_rows[_i].name) == name_rows[_i].valid,
	              "\"%s\" should be %s", name_rows[_i].name,
	              name_rows[_i].valid ? "valid" : "invalid");
}
END_TEST

START_TEST(test_name_length)
{
	char name[SECURITY_SYSCTL_NAME_MAX + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert(!security_sysctl_name_valid(name)); /* 254 */
	name[SECURITY_SYSCTL_NAME_MAX] = '\0';
	ck_assert(security_sysctl_name_valid(name)); /* 253 */
}
END_TEST

static const struct {
	const char *pattern;
	bool valid;
} pattern_rows[] = {
        {"net.core.*", true},
        {"net.*", true},
        {"kernel.shm*", true},
        {"net/core/*", true},
        {"*", true},
        {"net.core.somaxconn", true},
        {"net.*.x", false},
        {"net.core.**", false},
        {"*.core", false},
        {"net.co*re", false},
        {"Net.core.*", false},
        {"", false},
        {"net.core.-*", false},
        {"net.core.a-*", true},
};

START_TEST(test_patterns)
{
	ck_assert_msg(security_sysctl_pattern_valid(pattern_rows[_i].pattern) ==
	                      pattern_rows[_i].valid,
	              "\"%s\" should be %s", pattern_rows[_i].pattern,
	              pattern_rows[_i].valid ? "valid" : "invalid");
}
END_TEST

static const struct {
	const char *name, *dots, *path;
	enum security_sysctl_ns ns;
} form_rows[] = {
        {"net.ipv4.ip_forward", "net.ipv4.ip_forward", "net/ipv4/ip_forward",
         SECURITY_SYSCTL_NS_NET},
        {"net/ipv4/ip_forward", "net.ipv4.ip_forward", "net/ipv4/ip_forward",
         SECURITY_SYSCTL_NS_NET},
        {"net/ipv4/conf/eno2.100/rp_filter", "net.ipv4.conf.eno2/100.rp_filter",
         "net/ipv4/conf/eno2.100/rp_filter", SECURITY_SYSCTL_NS_NET},
        {"net.ipv4.conf.eno2/100.rp_filter", "net.ipv4.conf.eno2/100.rp_filter",
         "net/ipv4/conf/eno2.100/rp_filter", SECURITY_SYSCTL_NS_NET},
        {"kernel.shm_rmid_forced", "kernel.shm_rmid_forced", "kernel/shm_rmid_forced",
         SECURITY_SYSCTL_NS_IPC},
        {"kernel/shmmax", "kernel.shmmax", "kernel/shmmax", SECURITY_SYSCTL_NS_IPC},
        {"kernel.msgmnb", "kernel.msgmnb", "kernel/msgmnb", SECURITY_SYSCTL_NS_IPC},
        {"kernel.sem", "kernel.sem", "kernel/sem", SECURITY_SYSCTL_NS_IPC},
        {"fs.mqueue.msg_max", "fs.mqueue.msg_max", "fs/mqueue/msg_max", SECURITY_SYSCTL_NS_IPC},
        /* not namespaced: the node's */
        {"kernel.shm_next_id_x", "kernel.shm_next_id_x", "kernel/shm_next_id_x",
         SECURITY_SYSCTL_NS_NODE},
        {"kernel.semx", "kernel.semx", "kernel/semx", SECURITY_SYSCTL_NS_NODE},
        {"kernel.hostname", "kernel.hostname", "kernel/hostname", SECURITY_SYSCTL_NS_NODE},
        {"vm.overcommit_memory", "vm.overcommit_memory", "vm/overcommit_memory",
         SECURITY_SYSCTL_NS_NODE},
        {"fs.mqueue", "fs.mqueue", "fs/mqueue", SECURITY_SYSCTL_NS_NODE},
        {"network.x", "network.x", "network/x", SECURITY_SYSCTL_NS_NODE},
        /* a pattern's prefix, as GetNamespace reads it */
        {"kernel.shm*", "kernel.shm*", "kernel/shm*", SECURITY_SYSCTL_NS_IPC},
        {"net.*", "net.*", "net/*", SECURITY_SYSCTL_NS_NET},
        {"kernel.*", "kernel.*", "kernel/*", SECURITY_SYSCTL_NS_NODE},
};

START_TEST(test_forms_and_namespaces)
{
	_cleanup_free_ char *dots = security_sysctl_normalize(form_rows[_i].name);
	_cleanup_free_ char *path = security_sysctl_path(form_rows[_i].name);

	ck_assert_str_eq(dots, form_rows[_i].dots);
	ck_assert_str_eq(path, form_rows[_i].path);
	ck_assert_msg(security_sysctl_namespace(form_rows[_i].name) == form_rows[_i].ns,
	              "%s: namespace %s", form_rows[_i].name,
	              security_sysctl_ns_name(security_sysctl_namespace(form_rows[_i].name)));
}
END_TEST

/* The kubelet's safe set of Kubernetes 1.37, in either form; nothing else. */
START_TEST(test_safe_set)
{
	static const char *const safe[] = {
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
	        "net/ipv4/ip_local_port_range",
	};
	static const char *const unsafe[] = {
	        "net.core.somaxconn",
	        "kernel.msgmax",
	        "kernel.shmmax",
	        "net.ipv4.ip_forward",
	        "kernel.shm_rmid_forced.x",
	        "net.ipv4",
	        "kernel.hostname",
	        "net.ipv6.tcp_rmem",
	};

	for (size_t i = 0; i < ELEMENTSOF(safe); i++)
		ck_assert_msg(security_sysctl_is_safe(safe[i]), "%s", safe[i]);
	for (size_t i = 0; i < ELEMENTSOF(unsafe); i++)
		ck_assert_msg(!security_sysctl_is_safe(unsafe[i]), "%s", unsafe[i]);
}
END_TEST

static const struct {
	const char *pattern;
	const char *error; /* NULL: accepted */
} pattern_error_rows[] = {
        {"net.core.*", NULL},
        {"net.core.somaxconn", NULL},
        {"kernel.shm*", NULL},
        {"kernel.msg*", NULL},
        {"kernel.sem", NULL},
        {"fs.mqueue.*", NULL},
        {"net/core/*", NULL},
        {"kernel.hostname", "the sysctls \"kernel.hostname\" are not known to be namespaced"},
        {"kernel.*", "the sysctls \"kernel.\" are not known to be namespaced"},
        {"fs.mqueue*", "the sysctls \"fs.mqueue\" are not known to be namespaced"},
        {"net*", "the sysctls \"net\" are not known to be namespaced"},
        {"vm/swappiness", "the sysctls \"vm.swappiness\" are not known to be namespaced"},
        {"net.*.x", "sysctl \"net.*.x\" must have at most 253 characters and match regex "
                    "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"},
};

START_TEST(test_pattern_errors)
{
	_cleanup_free_ char *got = security_sysctl_pattern_error(pattern_error_rows[_i].pattern);

	if (!pattern_error_rows[_i].error)
		ck_assert_msg(!got, "%s: %s", pattern_error_rows[_i].pattern, got);
	else
		ck_assert_str_eq(got ? got : "(accepted)", pattern_error_rows[_i].error);
}
END_TEST

/* The kubelet's admission (patternAllowlist.validateSysctl), row by row: the sysctl, the node's
 * allowed_unsafe_sysctls (comma-separated, "" for none), hostNetwork, hostIPC, its message. */
static const struct {
	const char *what, *name, *allowed;
	bool host_network, host_ipc;
	const char *forbidden;
} admit_rows[] = {
        {"the safe set is admitted", "net.ipv4.ip_local_port_range", "", false, false, NULL},
        {"in slash form too", "net/ipv4/tcp_syncookies", "", false, false, NULL},
        {"an unsafe one is not", "net.core.somaxconn", "", false, false,
         "forbidden sysctl: \"net.core.somaxconn\" not allowlisted"},
        {"named in slash form, reported in dots", "net/core/somaxconn", "", false, false,
         "forbidden sysctl: \"net.core.somaxconn\" not allowlisted"},
        {"listed by name", "net.core.somaxconn", "kernel.msgmax,net.core.somaxconn", false, false,
         NULL},
        {"listed in the other form", "net.core.somaxconn", "net/core/somaxconn", false, false,
         NULL},
        {"a glob", "net.core.somaxconn", "net.core.*", false, false, NULL},
        {"a glob in slash form", "net/core/somaxconn", "net/core/*", false, false, NULL},
        {"a glob within a segment", "kernel.shmmax", "kernel.shm*", false, false, NULL},
        {"a glob is a plain prefix, not a segment", "net.core.somaxconn", "net.co*", false, false,
         NULL},
        {"a glob of another subtree", "net.ipv4.ip_forward", "net.core.*", false, false,
         "forbidden sysctl: \"net.ipv4.ip_forward\" not allowlisted"},
        {"a name is not a prefix", "net.core.somaxconn_x", "net.core.somaxconn", false, false,
         "forbidden sysctl: \"net.core.somaxconn_x\" not allowlisted"},
        {"an IPC one listed", "kernel.msgmax", "kernel.msg*", false, false, NULL},
        /* the API server refuses these first (422); the kubelet's own words, had it not */
        {"safe, with hostNetwork", "net.ipv4.tcp_syncookies", "", true, false,
         "forbidden sysctl: \"net.ipv4.tcp_syncookies\" not allowed with host Net enabled"},
        {"safe, with hostIPC", "kernel.shm_rmid_forced", "", false, true,
         "forbidden sysctl: \"kernel.shm_rmid_forced\" not allowed with host IPC enabled"},
        {"listed, with hostIPC", "kernel.msgmax", "kernel.msg*", false, true,
         "forbidden sysctl: \"kernel.msgmax\" not allowed with host IPC enabled"},
        {"an IPC one with hostNetwork", "kernel.shm_rmid_forced", "", true, false, NULL},
};

START_TEST(test_admit)
{
	_cleanup_strv_ char **allowed = NULL;
	_cleanup_free_ char *copy = strdup(admit_rows[_i].allowed), *got = NULL;
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		ck_assert_int_eq(strv_push(&allowed, strdup(t)), 0);
	ck_assert_int_eq(security_sysctl_admit(admit_rows[_i].name, allowed,
	                                       admit_rows[_i].host_network, admit_rows[_i].host_ipc,
	                                       &got),
	                 0);
	if (!admit_rows[_i].forbidden)
		ck_assert_msg(!got, "%s: %s", admit_rows[_i].what, got);
	else
		ck_assert_msg(got && strcmp(got, admit_rows[_i].forbidden) == 0, "%s: got %s",
		              admit_rows[_i].what, got ? got : "(admitted)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysctl");
	TCase *tc = tcase_create("sysctl");

	tcase_add_loop_test(tc, test_names, 0, (int)ELEMENTSOF(name_rows));
	tcase_add_test(tc, test_name_length);
	tcase_add_loop_test(tc, test_patterns, 0, (int)ELEMENTSOF(pattern_rows));
	tcase_add_loop_test(tc, test_forms_and_namespaces, 0, (int)ELEMENTSOF(form_rows));
	tcase_add_test(tc, test_safe_set);
	tcase_add_loop_test(tc, test_pattern_errors, 0, (int)ELEMENTSOF(pattern_error_rows));
	tcase_add_loop_test(tc, test_admit, 0, (int)ELEMENTSOF(admit_rows));
	suite_add_tcase(s, tc);
	return check_run(s);
}
