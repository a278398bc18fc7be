#include "check_main.h"
/* tests/unit/test_security.c: pkg/security's capability names and arithmetic (containerd's CRI
 * rules for add/drop, the kernel's rules at exec), and the device rules' text. Seccomp has its
 * own suites (test_seccomp*.c).
 */
#include <linux/capability.h>
#include <string.h>

#include "security/security.h"

#define BIT(c) (UINT64_C(1) << (c))

/* ---- names --------------------------------------------------------------------------------------
 */

static const struct {
	const char *name;
	int cap;
} name_rows[] = {
        {"CAP_CHOWN", CAP_CHOWN},
        {"CHOWN", CAP_CHOWN},
        {"chown", CAP_CHOWN},
        {"cap_net_admin", CAP_NET_ADMIN},
        {"Net_Raw", CAP_NET_RAW},
        {"SYS_ADMIN", CAP_SYS_ADMIN},
        {"CAP_CHECKPOINT_RESTORE", 40},
        {"BPF", 39},
        {"ALL", -1},
        {"CAP_", -1},
        {"", -1},
        {"FLY", -1},
        {"CAP_CAP_CHOWN", -1},
        {"CHOWN ", -1},
};

START_TEST(test_names)
{
	ck_assert_int_eq(security_cap_from_name(name_rows[_i].name), name_rows[_i].cap);
}
END_TEST

/* The table is the kernel's numbering: each name maps back to its own number. */
START_TEST(test_names_round_trip)
{
	for (int cap = 0; cap < SECURITY_CAP_COUNT; cap++)
		ck_assert_int_eq(security_cap_from_name(security_cap_name(cap)), cap);
	ck_assert_str_eq(security_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	ck_assert_str_eq(security_cap_name(CAP_AUDIT_WRITE), "CAP_AUDIT_WRITE");
	ck_assert_ptr_null(security_cap_name(-1));
	ck_assert_ptr_null(security_cap_name(SECURITY_CAP_COUNT));
	ck_assert(security_cap_is_all("all"));
	ck_assert(!security_cap_is_all("CAP_ALL"));
}
END_TEST

START_TEST(test_runtime_default)
{
	_cleanup_strv_ char **names = security_caps_names(security_caps_runtime_default());
	_cleanup_free_ char *list = strv_join(names, ",");

	/* containerd's pkg/oci defaultUnixCaps, in bit order */
	ck_assert_str_eq(list, "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,"
	                       "CAP_SETGID,CAP_SETUID,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_NET_RAW,"
	                       "CAP_SYS_CHROOT,CAP_MKNOD,CAP_AUDIT_WRITE,CAP_SETFCAP");
	ck_assert_uint_eq(strv_len(names), 14);
}
END_TEST

/* ---- add and drop ------------------------------------------------------------------------------
 */

#define DEFAULT_CAPS security_caps_runtime_default()

static const struct {
	const char *name;
	char *add[4];
	char *drop[4];
	uint64_t want_added, want_dropped; /* relative to the default set */
	bool all, none;
} apply_rows[] = {
        {"nothing", {NULL}, {NULL}, 0, 0, false, false},
        {"add one", {"NET_ADMIN", NULL}, {NULL}, BIT(CAP_NET_ADMIN), 0, false, false},
        {"add with CAP_ and in lower case",
         {"cap_sys_time", NULL},
         {NULL},
         BIT(CAP_SYS_TIME),
         0,
         false,
         false},
        {"drop one", {NULL}, {"CHOWN", NULL}, 0, BIT(CAP_CHOWN), false, false},
        {"drop wins over add of the same",
         {"SYS_ADMIN", NULL},
         {"CAP_SYS_ADMIN", NULL},
         0,
         0,
         false,
         false},
        {"drop ALL", {NULL}, {"ALL", NULL}, 0, 0, false, true},
        {"drop ALL, add one back",
         {"NET_BIND_SERVICE", NULL},
         {"ALL", NULL},
         BIT(CAP_NET_BIND_SERVICE),
         0,
         false,
         true},
        {"add ALL", {"ALL", NULL}, {NULL}, 0, 0, true, false},
        {"add ALL, drop one",
         {"ALL", NULL},
         {"SYS_MODULE", NULL},
         0,
         BIT(CAP_SYS_MODULE),
         true,
         false},
        {"add ALL and drop ALL: none, then the named adds",
         {"ALL", "KILL", NULL},
         {"ALL", NULL},
         BIT(CAP_KILL),
         0,
         false,
         true},
        {"unknown names are skipped (validation refused them)",
         {"FLY", NULL},
         {"SWIM", NULL},
         0,
         0,
         false,
         false},
};

START_TEST(test_apply)
{
	uint64_t base = apply_rows[_i].all    ? SECURITY_CAPS_ALL
	                : apply_rows[_i].none ? 0
	                                      : DEFAULT_CAPS;
	uint64_t want = (base | apply_rows[_i].want_added) & ~apply_rows[_i].want_dropped;

	ck_assert_msg(security_caps_apply(DEFAULT_CAPS, apply_rows[_i].add, apply_rows[_i].drop) ==
	                      want,
	              "%s", apply_rows[_i].name);
}
END_TEST

START_TEST(test_caps_for_uid)
{
	struct security_caps caps;
	uint64_t set = DEFAULT_CAPS | BIT(CAP_NET_ADMIN);

	security_caps_for(set, 0, &caps);
	ck_assert(caps.bounding == set && caps.effective == set && caps.permitted == set);
	ck_assert(caps.inheritable == 0 && caps.ambient == 0);
	/* any other uid: bounding only, as exec without file capabilities leaves it */
	security_caps_for(set, 1000, &caps);
	ck_assert(caps.bounding == set);
	ck_assert(caps.effective == 0 && caps.permitted == 0 && caps.inheritable == 0 &&
	          caps.ambient == 0);
}
END_TEST

/* ---- devices -----------------------------------------------------------------------------------
 */

START_TEST(test_devices)
{
	size_t n;
	const struct security_device *d = security_devices_default(&n);
	_cleanup_strv_ char **rules = NULL;
	_cleanup_free_ char *all = NULL;
	char buf[48];

	for (size_t i = 0; i < n; i++) {
		security_device_rule(&d[i], buf, sizeof(buf));
		strv_push(&rules, strdup(buf));
	}
	all = strv_join(rules, ",");
	ck_assert_str_eq(all, "c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,"
	                      "c 5:2 rwm,c 136:* rwm");
	ck_assert_str_eq(d[0].path, "/dev/null");
	d = security_devices_all(&n);
	ck_assert_uint_eq(n, 1);
	security_device_rule(&d[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "a *:* rwm");
}
END_TEST

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("caps");

	tcase_add_loop_test(tc, test_names, 0, ELEMENTSOF(name_rows));
	tcase_add_test(tc, test_names_round_trip);
	tcase_add_test(tc, test_runtime_default);
	tcase_add_loop_test(tc, test_apply, 0, ELEMENTSOF(apply_rows));
	tcase_add_test(tc, test_caps_for_uid);
	tcase_add_test(tc, test_devices);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(security_suite());
}
