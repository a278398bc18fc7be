#include "check_main.h"
/* tests/unit/test_plan.c: Pod -> IsolationPlan, the pod-wide decisions: the cpu arithmetic, the
 * namespaces and clone flags of every row of DESIGN.md's field -> kernel mapping, hostname,
 * credentials, QoS class and cgroup paths. Containers' cgroup files, mounts and env are in
 * test_plan_container.c; the JSON and the explanation in test_plan_json.c.
 */
#include "plan_fixture.h"

/* ---- arithmetic --------------------------------------------------------------------------- */

static const struct {
	int64_t milli;
	uint64_t shares, weight;
} cpu_rows[] = {
        {100, 102, 17},
        {250, 256, 35},
        {500, 512, 59},
        {1000, 1024, 100},
        {2000, 2048, 174},
        {SPEC_UNSET, 2, 1},
        {0, 2, 1},
        {1, 2, 1},
        {256000, 262144, 10000},
        {1000000, 262144, 10000},
        {INT64_MAX, 262144, 10000},
};

START_TEST(test_cpu_shares_and_weight)
{
	ck_assert_uint_eq(plan_cpu_shares(cpu_rows[_i].milli), cpu_rows[_i].shares);
	ck_assert_uint_eq(plan_cpu_weight_from_shares(cpu_rows[_i].shares), cpu_rows[_i].weight);
}
END_TEST

START_TEST(test_cpu_weight_edges)
{
	ck_assert_uint_eq(plan_cpu_weight_from_shares(0), 0);
	ck_assert_uint_eq(plan_cpu_weight_from_shares(1), 1);
	/* exponent is exactly 2 in real arithmetic: the float guard keeps 100, not 101 */
	ck_assert_uint_eq(plan_cpu_weight_from_shares(1024), 100);
	ck_assert_uint_eq(plan_cpu_weight_from_shares(1025), 101);
	ck_assert_uint_eq(plan_cpu_weight_from_shares(262143), 10000);
	ck_assert_uint_eq(plan_cpu_weight_from_shares(UINT64_MAX), 10000);
	for (uint64_t s = 3; s < 262144; s += 97)
		ck_assert_uint_le(plan_cpu_weight_from_shares(s),
		                  plan_cpu_weight_from_shares(s + 97)); /* monotonic */
}
END_TEST

static const struct {
	int64_t milli, quota;
} quota_rows[] = {
        {500, 50000}, {1000, 100000}, {2500, 250000}, {1, 1000},
        {9, 1000},    {10, 1000},     {11, 1100},     {INT64_MAX, INT64_MAX},
};

START_TEST(test_cpu_quota)
{
	ck_assert_int_eq(plan_cpu_quota(quota_rows[_i].milli), quota_rows[_i].quota);
}
END_TEST

/* ---- namespaces, clone flags, hostname ------------------------------------------------------ */

static void m_host_pid(struct fixture *f)
{
	f->pod.host_pid = true;
}
static void m_share_pid(struct fixture *f)
{
	f->pod.share_process_namespace = true;
}
static void m_host_network(struct fixture *f)
{
	f->pod.host_network = true;
}
static void m_host_network_hostname(struct fixture *f)
{
	f->pod.host_network = true;
	f->pod.hostname = "myhost";
}
static void m_host_ipc(struct fixture *f)
{
	f->pod.host_ipc = true;
}
static void m_host_users_false(struct fixture *f)
{
	f->pod.host_users = SPEC_BOOL_FALSE;
}
static void m_host_users_true(struct fixture *f)
{
	f->pod.host_users = SPEC_BOOL_TRUE;
}
static void m_hostname(struct fixture *f)
{
	f->pod.hostname = "custom";
}
static void m_long_name(struct fixture *f)
{
	/* 60 'a' then "bcdefghij": 69 characters, cut after the "bcd" */
	f->pod.name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcdefghij";
}
static void m_long_name_dash(struct fixture *f)
{
	/* 61 'a', then '-' and '.' as characters 62 and 63: both trimmed after the cut */
	f->pod.name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-.bbbbbb";
}
static void m_everything_host(struct fixture *f)
{
	f->pod.host_pid = f->pod.host_network = f->pod.host_ipc = true;
}

#define H                 PLAN_NS_HOST
#define P                 PLAN_NS_POD
#define C                 PLAN_NS_CONTAINER
#define POD_DEFAULT_FLAGS (CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)
#define CTR_DEFAULT_FLAGS (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWCGROUP)

static const struct {
	const char *name;
	void (*mutate)(struct fixture *f);
	enum plan_ns_mode modes[PLAN_NS_COUNT]; /* pid net ipc uts user mnt cgroup time */
	unsigned long pod_flags, container_flags;
	const char *hostname; /* NULL: null */
	const char *warning;  /* a warning containing this, or NULL: no warning */
	const char *pid_reason;
} ns_rows[] = {
        {"default",
         m_none,
         {C, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS,
         CTR_DEFAULT_FLAGS,
         "web",
         NULL,
         "hostPID and shareProcessNamespace are false"},
        {"hostPID",
         m_host_pid,
         {H, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS,
         CLONE_NEWNS | CLONE_NEWCGROUP,
         "web",
         NULL,
         "hostPID is true"},
        {"shareProcessNamespace",
         m_share_pid,
         {P, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS | CLONE_NEWPID,
         CLONE_NEWNS | CLONE_NEWCGROUP,
         "web",
         NULL,
         "shareProcessNamespace is true: the shim is PID 1"},
        {"hostNetwork",
         m_host_network,
         {C, H, P, H, H, C, C, H},
         CLONE_NEWIPC,
         CTR_DEFAULT_FLAGS,
         NULL,
         NULL,
         NULL},
        {"hostNetwork ignores hostname",
         m_host_network_hostname,
         {C, H, P, H, H, C, C, H},
         CLONE_NEWIPC,
         CTR_DEFAULT_FLAGS,
         NULL,
         "spec.hostname \"myhost\" is ignored",
         NULL},
        {"hostIPC",
         m_host_ipc,
         {C, P, H, P, H, C, C, H},
         CLONE_NEWNET | CLONE_NEWUTS,
         CTR_DEFAULT_FLAGS,
         "web",
         NULL,
         NULL},
        {"hostUsers false",
         m_host_users_false,
         {C, P, P, P, P, C, C, H},
         POD_DEFAULT_FLAGS | CLONE_NEWUSER,
         CTR_DEFAULT_FLAGS,
         "web",
         NULL,
         NULL},
        {"hostUsers true",
         m_host_users_true,
         {C, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS,
         CTR_DEFAULT_FLAGS,
         "web",
         NULL,
         NULL},
        {"hostname",
         m_hostname,
         {C, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS,
         CTR_DEFAULT_FLAGS,
         "custom",
         NULL,
         NULL},
        {"hostname cut to 63",
         m_long_name,
         {C, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS,
         CTR_DEFAULT_FLAGS,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcd",
         NULL,
         NULL},
        {"hostname cut trims - and .",
         m_long_name_dash,
         {C, P, P, P, H, C, C, H},
         POD_DEFAULT_FLAGS,
         CTR_DEFAULT_FLAGS,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         NULL,
         NULL},
        {"all host namespaces",
         m_everything_host,
         {H, H, H, H, H, C, C, H},
         0,
         CLONE_NEWNS | CLONE_NEWCGROUP,
         NULL,
         NULL,
         "hostPID is true"},
};

START_TEST(test_namespaces)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;

	fixture_init(&f);
	ns_rows[_i].mutate(&f);
	plan = build(&f);

	for (int ns = 0; ns < PLAN_NS_COUNT; ns++) {
		ck_assert_msg(plan->namespaces[ns].mode == ns_rows[_i].modes[ns], "%s: %s is %s",
		              ns_rows[_i].name, plan_ns_name(ns),
		              plan_ns_mode_name(plan->namespaces[ns].mode));
		ck_assert_int_eq(plan->containers[0].namespaces[ns].mode, ns_rows[_i].modes[ns]);
		ck_assert_ptr_nonnull(plan->namespaces[ns].reason);
		ck_assert_str_eq(plan->containers[0].namespaces[ns].reason,
		                 plan->namespaces[ns].reason);
	}
	ck_assert_msg(plan->clone_flags == ns_rows[_i].pod_flags, "%s: pod flags %#lx",
	              ns_rows[_i].name, plan->clone_flags);
	ck_assert_msg(plan->containers[0].clone_flags == ns_rows[_i].container_flags,
	              "%s: container flags %#lx", ns_rows[_i].name,
	              plan->containers[0].clone_flags);
	if (ns_rows[_i].hostname) {
		ck_assert_str_eq(plan->hostname, ns_rows[_i].hostname);
		ck_assert_uint_le(strlen(plan->hostname), 63);
	} else {
		ck_assert_ptr_null(plan->hostname);
	}
	if (ns_rows[_i].warning)
		ck_assert_msg(has_warning(plan, ns_rows[_i].warning), "%s", ns_rows[_i].name);
	else
		ck_assert_uint_eq(strv_len(plan->warnings), 0);
	if (ns_rows[_i].pid_reason)
		ck_assert_ptr_nonnull(
		        strstr(plan->namespaces[PLAN_NS_PID].reason, ns_rows[_i].pid_reason));
}
END_TEST

/* ---- credentials ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t pod_user, pod_group, ctr_user, ctr_group, fs_group;
	int64_t groups[3];
	size_t n_groups;
	enum spec_bool allow_escalation;
	uint32_t uid, gid;
	uint32_t want_groups[4];
	size_t n_want_groups;
	bool no_new_privileges;
} cred_rows[] = {
        {"nothing set: root", -1, -1, -1, -1, -1, {0}, 0, SPEC_BOOL_UNSET, 0, 0, {0}, 0, false},
        {"pod values", 1000, 2000, -1, -1, -1, {0}, 0, SPEC_BOOL_UNSET, 1000, 2000, {0}, 0, false},
        {"container wins",
         1000,
         2000,
         3000,
         4000,
         -1,
         {0},
         0,
         SPEC_BOOL_TRUE,
         3000,
         4000,
         {0},
         0,
         false},
        {"container user only",
         1000,
         2000,
         3000,
         -1,
         -1,
         {0},
         0,
         SPEC_BOOL_FALSE,
         3000,
         2000,
         {0},
         0,
         true},
        {"container group only", -1, -1, -1, 5, -1, {0}, 0, SPEC_BOOL_UNSET, 0, 5, {0}, 0, false},
        {"supplemental groups",
         -1,
         -1,
         -1,
         -1,
         -1,
         {10, 20},
         2,
         SPEC_BOOL_UNSET,
         0,
         0,
         {10, 20},
         2,
         false},
        {"fsGroup joins",
         -1,
         -1,
         -1,
         -1,
         30,
         {10, 20},
         2,
         SPEC_BOOL_UNSET,
         0,
         0,
         {10, 20, 30},
         3,
         false},
        {"fsGroup not twice",
         -1,
         -1,
         -1,
         -1,
         20,
         {10, 20},
         2,
         SPEC_BOOL_UNSET,
         0,
         0,
         {10, 20},
         2,
         false},
        {"fsGroup alone", -1, -1, -1, -1, 0, {0}, 0, SPEC_BOOL_UNSET, 0, 0, {0}, 1, false},
};

START_TEST(test_credentials)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	const struct plan_process *p;
	size_t k;

	fixture_init(&f);
	f.pod.security_context.run_as_user = cred_rows[_i].pod_user;
	f.pod.security_context.run_as_group = cred_rows[_i].pod_group;
	f.pod.security_context.fs_group = cred_rows[_i].fs_group;
	memcpy(f.groups, cred_rows[_i].groups, sizeof(cred_rows[_i].groups));
	f.pod.security_context.supplemental_groups = f.groups;
	f.pod.security_context.n_supplemental_groups = cred_rows[_i].n_groups;
	f.containers[0].security_context.run_as_user = cred_rows[_i].ctr_user;
	f.containers[0].security_context.run_as_group = cred_rows[_i].ctr_group;
	f.containers[0].security_context.allow_privilege_escalation =
	        cred_rows[_i].allow_escalation;
	plan = build(&f);
	p = &plan->containers[0].process;

	ck_assert_uint_eq(p->uid, cred_rows[_i].uid);
	ck_assert_uint_eq(p->gid, cred_rows[_i].gid);
	/* its own gid first (CVE-2023-25173: a setgid program must not shed it), then the row's */
	ck_assert_uint_ge(p->n_supplemental_groups, 1);
	ck_assert_uint_eq(p->supplemental_groups[0], cred_rows[_i].gid);
	k = 1;
	for (size_t i = 0; i < cred_rows[_i].n_want_groups; i++)
		if (cred_rows[_i].want_groups[i] != cred_rows[_i].gid) {
			ck_assert_uint_lt(k, p->n_supplemental_groups);
			ck_assert_uint_eq(p->supplemental_groups[k++],
			                  cred_rows[_i].want_groups[i]);
		}
	ck_assert_uint_eq(p->n_supplemental_groups, k);
	ck_assert_int_eq(p->no_new_privileges, cred_rows[_i].no_new_privileges);
}
END_TEST

/* ---- QoS and cgroup paths -------------------------------------------------------------------- */

static void m_guaranteed(struct fixture *f)
{
	resources(&f->containers[0], 500, 500, MI(128), MI(128));
}
static void m_burstable_request(struct fixture *f)
{
	resources(&f->containers[0], 100, U, U, U);
}
static void m_burstable_unequal(struct fixture *f)
{
	resources(&f->containers[0], 250, 500, MI(128), MI(128));
}
static void m_burstable_cpu_only(struct fixture *f)
{
	resources(&f->containers[0], 500, 500, U, U);
}
static void m_burstable_second_container(struct fixture *f)
{
	resources(&f->containers[0], 500, 500, MI(128), MI(128));
	f->containers[1] = container("side");
	f->pod.n_containers = 2;
}
static void m_guaranteed_two(struct fixture *f)
{
	resources(&f->containers[0], 500, 500, MI(128), MI(128));
	f->containers[1] = container("side");
	resources(&f->containers[1], 1000, 1000, MI(64), MI(64));
	f->pod.n_containers = 2;
}
static void m_root_slash(struct fixture *f)
{
	f->config.cgroup_root = "/";
}
static void m_root_trailing_slash(struct fixture *f)
{
	f->config.cgroup_root = "/system.slice/nanoletd.service/nanolet/";
	m_guaranteed(f);
}
static void m_no_uid(struct fixture *f)
{
	f->config.pod_uid = NULL;
	m_burstable_request(f);
}
static void m_zero_limit(struct fixture *f)
{
	/* Kubernetes counts a zero quantity as absent */
	resources(&f->containers[0], 0, 0, 0, 0);
}

static const struct {
	const char *name;
	void (*mutate)(struct fixture *f);
	enum spec_qos qos;
	const char *pod_path, *container_path;
} qos_rows[] = {
        {"BestEffort", m_none, SPEC_QOS_BESTEFFORT, "/nanolet/besteffort/pod1234",
         "/nanolet/besteffort/pod1234/app"},
        {"Guaranteed", m_guaranteed, SPEC_QOS_GUARANTEED, "/nanolet/pod1234",
         "/nanolet/pod1234/app"},
        {"Guaranteed, two containers", m_guaranteed_two, SPEC_QOS_GUARANTEED, "/nanolet/pod1234",
         "/nanolet/pod1234/app"},
        {"Burstable: request only", m_burstable_request, SPEC_QOS_BURSTABLE,
         "/nanolet/burstable/pod1234", "/nanolet/burstable/pod1234/app"},
        {"Burstable: request below limit", m_burstable_unequal, SPEC_QOS_BURSTABLE,
         "/nanolet/burstable/pod1234", "/nanolet/burstable/pod1234/app"},
        {"Burstable: no memory limit", m_burstable_cpu_only, SPEC_QOS_BURSTABLE,
         "/nanolet/burstable/pod1234", "/nanolet/burstable/pod1234/app"},
        {"Burstable: one container without limits", m_burstable_second_container,
         SPEC_QOS_BURSTABLE, "/nanolet/burstable/pod1234", "/nanolet/burstable/pod1234/app"},
        {"root /", m_root_slash, SPEC_QOS_BESTEFFORT, "/besteffort/pod1234",
         "/besteffort/pod1234/app"},
        {"root with trailing slash", m_root_trailing_slash, SPEC_QOS_GUARANTEED,
         "/system.slice/nanoletd.service/nanolet/pod1234",
         "/system.slice/nanoletd.service/nanolet/pod1234/app"},
        {"pod not created: <uid>", m_no_uid, SPEC_QOS_BURSTABLE, "/nanolet/burstable/pod<uid>",
         "/nanolet/burstable/pod<uid>/app"},
        {"zero quantities are absent", m_zero_limit, SPEC_QOS_BESTEFFORT,
         "/nanolet/besteffort/pod1234", "/nanolet/besteffort/pod1234/app"},
};

START_TEST(test_qos_paths)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;

	fixture_init(&f);
	qos_rows[_i].mutate(&f);
	ck_assert_int_eq(spec_pod_qos(&f.pod), qos_rows[_i].qos);
	plan = build(&f);
	ck_assert_int_eq(plan->qos, qos_rows[_i].qos);
	ck_assert_str_eq(plan->cgroup.path, qos_rows[_i].pod_path);
	ck_assert_str_eq(plan->containers[0].cgroup.path, qos_rows[_i].container_path);
	ck_assert_str_eq(plan->uid, f.config.pod_uid ? f.config.pod_uid : "<uid>");
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(spec_qos_name(SPEC_QOS_GUARANTEED), "Guaranteed");
	ck_assert_str_eq(spec_qos_name(SPEC_QOS_BURSTABLE), "Burstable");
	ck_assert_str_eq(spec_qos_name(SPEC_QOS_BESTEFFORT), "BestEffort");
	ck_assert_str_eq(spec_restart_policy_name(SPEC_RESTART_ALWAYS), "Always");
	ck_assert_str_eq(spec_restart_policy_name(SPEC_RESTART_ON_FAILURE), "OnFailure");
	ck_assert_str_eq(spec_restart_policy_name(SPEC_RESTART_NEVER), "Never");
	ck_assert_str_eq(plan_ns_name(PLAN_NS_PID), "pid");
	ck_assert_str_eq(plan_ns_name(PLAN_NS_TIME), "time");
	ck_assert_str_eq(plan_ns_mode_name(PLAN_NS_CONTAINER), "container");
	ck_assert_str_eq(plan_cgroup_driver_name(PLAN_CGROUP_V1), "v1");
}
END_TEST

/* ---- suite
 * -------------------------------------------------------------------------------------------- */

static Suite *suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_loop_test(tc, test_cpu_shares_and_weight, 0, ELEMENTSOF(cpu_rows));
	tcase_add_loop_test(tc, test_cpu_quota, 0, ELEMENTSOF(quota_rows));
	tcase_add_loop_test(tc, test_namespaces, 0, ELEMENTSOF(ns_rows));
	tcase_add_loop_test(tc, test_credentials, 0, ELEMENTSOF(cred_rows));
	tcase_add_loop_test(tc, test_qos_paths, 0, ELEMENTSOF(qos_rows));
	tcase_add_test(tc, test_cpu_weight_edges);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
