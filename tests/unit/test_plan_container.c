#include "check_main.h"
/* tests/unit/test_plan_container.c: what the plan gives each container and the pod's cgroup:
 * the exact cgroup file strings of both drivers, the pod's summed limits and pids.max, mounts,
 * roots, args, env and cwd.
 */
#include "plan_fixture.h"

/* ---- container cgroup files ------------------------------------------------------------------ */

#define MI(n) ((int64_t)(n)*1024 * 1024)
#define U     SPEC_UNSET

static const struct {
	const char *name;
	int64_t cpu_req, cpu_lim, mem_req, mem_lim;
	const char *v2, *v1;
} file_rows[] = {
        {"nothing", U, U, U, U, "memory.max=max,memory.oom.group=1,cpu.max=max 100000,cpu.weight=1",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=2"},
        {"memory limit 128Mi", U, U, MI(128), MI(128),
         "memory.max=134217728,memory.swap.max=0,memory.oom.group=1,cpu.max=max 100000,"
         "cpu.weight=1",
         "memory.limit_in_bytes=134217728,memory.memsw.limit_in_bytes=134217728,"
         "cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=2"},
        {"memory limit rounded up by decoding", U, U, 1537, 1537,
         "memory.max=1537,memory.swap.max=0,memory.oom.group=1,cpu.max=max 100000,cpu.weight=1",
         "memory.limit_in_bytes=1537,memory.memsw.limit_in_bytes=1537,cpu.cfs_period_us=100000,"
         "cpu.cfs_quota_us=-1,cpu.shares=2"},
        {"memory request only", U, U, MI(64), U,
         "memory.max=max,memory.oom.group=1,cpu.max=max 100000,cpu.weight=1",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=2"},
        {"cpu limit 500m", 500, 500, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=50000 100000,cpu.weight=59",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=50000,"
         "cpu.shares=512"},
        {"cpu limit 1m: quota floor", 1, 1, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=1000 100000,cpu.weight=1",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=1000,cpu.shares=2"},
        {"cpu request 250m, limit 2", 250, 2000, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=200000 100000,cpu.weight=35",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=200000,"
         "cpu.shares=256"},
        {"cpu request 100m only", 100, U, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=max 100000,cpu.weight=17",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=102"},
        {"cpu limit without request: shares from the limit", U, 1000, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=100000 100000,cpu.weight=100",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=100000,"
         "cpu.shares=1024"},
        {"cpu request 2", 2000, U, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=max 100000,cpu.weight=174",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=2048"},
        {"cpu request huge", 500000, U, U, U,
         "memory.max=max,memory.oom.group=1,cpu.max=max 100000,cpu.weight=10000",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,"
         "cpu.shares=262144"},
};

START_TEST(test_container_files)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	const struct plan_cgroup *cg;

	fixture_init(&f);
	resources(&f.containers[0], file_rows[_i].cpu_req, file_rows[_i].cpu_lim,
	          file_rows[_i].mem_req, file_rows[_i].mem_lim);
	plan = build(&f);
	cg = &plan->containers[0].cgroup;
	ck_assert_str_eq(files_str(cg->v2, cg->n_v2), file_rows[_i].v2);
	ck_assert_str_eq(files_str(cg->v1, cg->n_v1), file_rows[_i].v1);
}
END_TEST

/* ---- pids.max -------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t config, annotation;
	const char *value;
	bool warning;
	const char *explanation;
} pids_rows[] = {
        {"from config", 1024, U, "1024", false, "the node's podPidsLimit"},
        {"annotation lowers", 1024, 100, "100", false, "lower than the node's podPidsLimit 1024"},
        {"annotation cannot raise", 1024, 5000, "1024", true, "annotation of 5000 cannot raise"},
        {"annotation equal", 1024, 1024, "1024", false, "the node's podPidsLimit"},
        {"config -1: max", -1, U, "max", false, "not limited"},
        {"config -1, annotation", -1, 64, "64", false, "the node sets no limit"},
};

START_TEST(test_pids)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	size_t n;

	fixture_init(&f);
	f.config.pod_pids_limit = pids_rows[_i].config;
	f.pod.pids_limit_annotation = pids_rows[_i].annotation;
	plan = build(&f);

	ck_assert_str_eq(plan->cgroup.v2[plan->cgroup.n_v2 - 1].name, "pids.max");
	ck_assert_str_eq(plan->cgroup.v2[plan->cgroup.n_v2 - 1].value, pids_rows[_i].value);
	ck_assert_str_eq(plan->cgroup.v1[plan->cgroup.n_v1 - 1].name, "pids.max");
	ck_assert_str_eq(plan->cgroup.v1[plan->cgroup.n_v1 - 1].value, pids_rows[_i].value);
	ck_assert_int_eq(has_warning(plan, "cannot raise the node's podPidsLimit"),
	                 pids_rows[_i].warning);
	n = strv_len(plan->explanation);
	ck_assert(strncmp(plan->explanation[n - 5], "pids:", 5) == 0);
	ck_assert_ptr_nonnull(strstr(plan->explanation[n - 5], pids_rows[_i].explanation));
	/* containers have no pids.max of their own: the pod's bounds them all */
	for (size_t i = 0; i < plan->containers[0].cgroup.n_v2; i++)
		ck_assert_str_ne(plan->containers[0].cgroup.v2[i].name, "pids.max");
	for (size_t i = 0; i < plan->containers[0].cgroup.n_v1; i++)
		ck_assert_str_ne(plan->containers[0].cgroup.v1[i].name, "pids.max");
}
END_TEST

/* ---- the pod's summed limits ----------------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t cpu_req[2], cpu_lim[2], mem_lim[2];
	const char *v2, *v1;
} sum_rows[] = {
        {"all limited",
         {250, 500},
         {500, 1000},
         {MI(128), MI(64)},
         "memory.max=201326592,memory.swap.max=0,cpu.max=150000 100000,cpu.weight=80,"
         "pids.max=1024",
         "memory.limit_in_bytes=201326592,memory.memsw.limit_in_bytes=201326592,"
         "cpu.cfs_period_us=100000,cpu.cfs_quota_us=150000,cpu.shares=768,pids.max=1024"},
        {"one without memory limit",
         {250, 500},
         {500, 1000},
         {MI(128), U},
         "memory.max=max,cpu.max=150000 100000,cpu.weight=80,pids.max=1024",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=150000,"
         "cpu.shares=768,pids.max=1024"},
        {"one without cpu limit",
         {250, 500},
         {500, U},
         {MI(128), MI(64)},
         "memory.max=201326592,memory.swap.max=0,cpu.max=max 100000,cpu.weight=80,"
         "pids.max=1024",
         "memory.limit_in_bytes=201326592,memory.memsw.limit_in_bytes=201326592,"
         "cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=768,pids.max=1024"},
        {"no requests at all",
         {U, U},
         {U, U},
         {U, U},
         "memory.max=max,cpu.max=max 100000,cpu.weight=1,pids.max=1024",
         "memory.limit_in_bytes=-1,cpu.cfs_period_us=100000,cpu.cfs_quota_us=-1,cpu.shares=2,"
         "pids.max=1024"},
};

START_TEST(test_pod_sums)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	char side[128];

	fixture_init(&f);
	f.containers[1] = container("side");
	f.pod.n_containers = 2;
	for (int i = 0; i < 2; i++)
		resources(&f.containers[i], sum_rows[_i].cpu_req[i], sum_rows[_i].cpu_lim[i],
		          sum_rows[_i].mem_lim[i], sum_rows[_i].mem_lim[i]);
	plan = build(&f);
	ck_assert_str_eq(files_str(plan->cgroup.v2, plan->cgroup.n_v2), sum_rows[_i].v2);
	ck_assert_str_eq(files_str(plan->cgroup.v1, plan->cgroup.n_v1), sum_rows[_i].v1);
	snprintf(side, sizeof(side), "%s/side", plan->cgroup.path);
	ck_assert_str_eq(plan->containers[1].cgroup.path, side);
}
END_TEST

/* ---- mounts ------------------------------------------------------------------------------------
 */

#define EMPTY_DIR "/var/lib/nanolet/pods/1234/volumes/kubernetes.io~empty-dir/"

static const struct {
	const char *name;
	struct spec_volume volume;
	struct spec_volume_mount mount;
	bool host_pid;
	const char *want; /* "destination type source options" of each mount, ';' between */
	const char *warning;
} mount_rows[] = {
        {"no volumes", {0}, {0}, false, "", NULL},
        {"no volumes, hostPID: a new procfs all the same (test_plan_security.c)",
         {0},
         {0},
         true,
         "",
         NULL},
        {"emptyDir",
         {"cache", SPEC_VOLUME_EMPTY_DIR, "", U, NULL, NULL},
         {"cache", "/cache", NULL, false},
         false,
         "/cache bind " EMPTY_DIR "cache rbind,rprivate",
         NULL},
        {"emptyDir readOnly subPath",
         {"cache", SPEC_VOLUME_EMPTY_DIR, "", U, NULL, NULL},
         {"cache", "/etc/app", "conf/app", true},
         true,
         "/etc/app bind " EMPTY_DIR "cache/conf/app rbind,rprivate,ro",
         NULL},
        {"emptyDir Memory: the pod's one tmpfs, bound in (shared by containers)",
         {"shm", SPEC_VOLUME_EMPTY_DIR, "Memory", MI(64), NULL, NULL},
         {"shm", "/dev/shm", NULL, false},
         true,
         "/dev/shm bind " EMPTY_DIR "shm rbind,rprivate",
         NULL},
        {"emptyDir Memory readOnly",
         {"shm", SPEC_VOLUME_EMPTY_DIR, "Memory", U, NULL, NULL},
         {"shm", "/dev/shm", NULL, true},
         true,
         "/dev/shm bind " EMPTY_DIR "shm rbind,rprivate,ro",
         NULL},
        {"emptyDir Memory subPath is a directory inside the tmpfs",
         {"shm", SPEC_VOLUME_EMPTY_DIR, "Memory", U, NULL, NULL},
         {"shm", "/data", "sub", false},
         true,
         "/data bind " EMPTY_DIR "shm/sub rbind,rprivate",
         NULL},
        {"hostPath",
         {"logs", SPEC_VOLUME_HOST_PATH, NULL, U, "/var/log", "Directory"},
         {"logs", "/logs", NULL, false},
         true,
         "/logs bind /var/log rbind,rprivate",
         "\"/var/log\" reaches nanolet's container logs"},
        {"hostPath readOnly subPath",
         {"logs", SPEC_VOLUME_HOST_PATH, NULL, U, "/var/log/", ""},
         {"logs", "/logs", "app", true},
         true,
         "/logs bind /var/log/app rbind,rprivate,ro",
         "\"/var/log/\" reaches nanolet's container logs"},
        {"unsupported volume skipped",
         {"cfg", SPEC_VOLUME_UNSUPPORTED, NULL, U, NULL, NULL},
         {"cfg", "/cfg", NULL, false},
         true,
         "",
         NULL},
};

START_TEST(test_mounts)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	size_t volumes = 0;
	char got[2048];

	fixture_init(&f);
	f.pod.host_pid = mount_rows[_i].host_pid;
	if (mount_rows[_i].volume.name) {
		volumes = mount_rows[_i].volume.type != SPEC_VOLUME_UNSUPPORTED;
		f.volumes[0] = mount_rows[_i].volume;
		f.pod.n_volumes = 1;
		f.mounts[0] = mount_rows[_i].mount;
		f.containers[0].volume_mounts = f.mounts;
		f.containers[0].n_volume_mounts = 1;
	}
	plan = build(&f);
	/* the container's own filesystems come first (test_plan_security.c): the volume's mount
	 * is the last */
	mounts_str(&plan->containers[0], plan->containers[0].n_mounts - volumes, got, sizeof(got));
	ck_assert_str_eq(got, mount_rows[_i].want);
	if (mount_rows[_i].warning)
		ck_assert(has_warning(plan, mount_rows[_i].warning));
	else
		ck_assert_uint_eq(strv_len(plan->warnings), 0);
}
END_TEST

/* ---- root
 * ---------------------------------------------------------------------------------------- */

static const struct {
	char *image;
	enum spec_bool read_only;
	enum plan_root_kind kind;
	const char *path;
	bool want_read_only;
} root_rows[] = {
        {"", SPEC_BOOL_UNSET, PLAN_ROOT_HOST, "/", false},
        {"host", SPEC_BOOL_TRUE, PLAN_ROOT_HOST, "/", true},
        {"/srv/rootfs/alpine", SPEC_BOOL_FALSE, PLAN_ROOT_PATH, "/srv/rootfs/alpine", false},
        /* a reference as the spec wrote it: its layers come once it is on the node */
        {"alpine", SPEC_BOOL_TRUE, PLAN_ROOT_IMAGE, "alpine", true},
        {"docker.io/library/nginx:1.25", SPEC_BOOL_UNSET, PLAN_ROOT_IMAGE,
         "docker.io/library/nginx:1.25", false},
};

START_TEST(test_root)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;

	fixture_init(&f);
	f.config.state_dir = "/var/lib/nanolet/"; /* a trailing slash joins cleanly */
	f.containers[0].image = root_rows[_i].image;
	f.containers[0].security_context.read_only_root_filesystem = root_rows[_i].read_only;
	plan = build(&f);
	ck_assert_int_eq(plan->containers[0].root.kind, root_rows[_i].kind);
	ck_assert_str_eq(plan->containers[0].root.path, root_rows[_i].path);
	ck_assert_int_eq(plan->containers[0].root.read_only, root_rows[_i].want_read_only);
	/* nothing of an image is known before it is pulled */
	ck_assert_ptr_null(plan->containers[0].root.image);
	ck_assert_ptr_null(plan->containers[0].root.image_id);
	ck_assert_ptr_null(plan->containers[0].root.lowerdirs);
}
END_TEST

/* ---- process: args, env, cwd
 * ---------------------------------------------------------------------- */

#define PATH_DEFAULT "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct {
	const char *name;
	struct spec_env_var env[3];
	size_t n_env;
	bool host_network;
	const char *want[5];
} env_rows[] = {
        {"defaults", {{0}}, 0, false, {PATH_DEFAULT, "HOSTNAME=web"}},
        {"pod env after the defaults",
         {{"A", "1"}, {"B", ""}},
         2,
         false,
         {PATH_DEFAULT, "HOSTNAME=web", "A=1", "B="}},
        {"pod PATH replaces the default",
         {{"A", "1"}, {"PATH", "/bin"}},
         2,
         false,
         {"HOSTNAME=web", "A=1", "PATH=/bin"}},
        {"hostNetwork: no HOSTNAME", {{0}}, 0, true, {PATH_DEFAULT}},
        {"pod HOSTNAME wins", {{"HOSTNAME", "mine"}}, 1, false, {PATH_DEFAULT, "HOSTNAME=mine"}},
        {"a name twice: the last value in the first place",
         {{"A", "1"}, {"B", "2"}, {"A", "3"}},
         3,
         false,
         {PATH_DEFAULT, "HOSTNAME=web", "A=3", "B=2"}},
};

START_TEST(test_env)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	char **env;
	size_t n = 0;

	fixture_init(&f);
	memcpy(f.env, env_rows[_i].env, sizeof(env_rows[_i].env));
	f.containers[0].env = f.env;
	f.containers[0].n_env = env_rows[_i].n_env;
	f.pod.host_network = env_rows[_i].host_network;
	plan = build(&f);
	env = plan->containers[0].process.env;
	while (env_rows[_i].want[n])
		n++;
	ck_assert_uint_eq(strv_len(env), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(env[i], env_rows[_i].want[i]);
}
END_TEST

START_TEST(test_args_cwd)
{
	_cleanup_plan_ struct plan *plan = NULL;
	static char *command[] = {"/bin/sh", "-c", NULL};
	static char *args[] = {"echo hi", "x", NULL};
	struct fixture f;
	const struct plan_process *p;

	fixture_init(&f);
	f.containers[0].command = command;
	f.containers[0].args = args;
	f.containers[0].working_dir = "/work";
	f.containers[1] = container("side");
	f.pod.n_containers = 2;
	plan = build(&f);
	p = &plan->containers[0].process;
	ck_assert_uint_eq(strv_len(p->args), 4);
	ck_assert_str_eq(p->args[0], "/bin/sh");
	ck_assert_str_eq(p->args[1], "-c");
	ck_assert_str_eq(p->args[2], "echo hi");
	ck_assert_str_eq(p->args[3], "x");
	ck_assert_str_eq(p->cwd, "/work");
	p = &plan->containers[1].process;
	ck_assert_uint_eq(strv_len(p->args), 1);
	ck_assert_str_eq(p->args[0], "/bin/true");
	ck_assert_str_eq(p->cwd, "/");
}
END_TEST

/* ---- suite
 * -------------------------------------------------------------------------------------------- */

static Suite *suite(void)
{
	Suite *s = suite_create("plan_container");
	TCase *tc = tcase_create("plan_container");

	tcase_add_loop_test(tc, test_container_files, 0, ELEMENTSOF(file_rows));
	tcase_add_loop_test(tc, test_pids, 0, ELEMENTSOF(pids_rows));
	tcase_add_loop_test(tc, test_pod_sums, 0, ELEMENTSOF(sum_rows));
	tcase_add_loop_test(tc, test_mounts, 0, ELEMENTSOF(mount_rows));
	tcase_add_loop_test(tc, test_root, 0, ELEMENTSOF(root_rows));
	tcase_add_loop_test(tc, test_env, 0, ELEMENTSOF(env_rows));
	tcase_add_test(tc, test_args_cwd);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
