/* tests/unit/test_cgroup_v1.c: the v1 driver on this machine's real v1/hybrid hierarchies.
 *
 * The driver's root is "nanolet-test-<pid>" under this process's own cgroup in each hierarchy
 * (root_name, not an explicit root: on the development hosts the memory hierarchy puts us
 * under /process_api/<id> while cpu, pids and freezer have us at /, and an explicit root, the
 * same path everywhere, would make /process_api/<id> in every other hierarchy). Nothing is
 * made anywhere else. The only processes signalled are `sleep` children forked here, and they
 * die with their test (PR_SET_PDEATHSIG) if it fails half-way.
 *
 * Clean-up runs in the runner process (unchecked fixture) whatever the tests did: it kills
 * whatever is left in the test root (only our children can be in it) and removes it. Skips,
 * with a message on stderr, when not root or when the host has no v1 hierarchies.
 */
#include "check_main.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "cgroup/cgroup_internal.h"
#include "cgroup_fixture.h"
#include "plan_fixture.h"

#define MOUNT "/sys/fs/cgroup"

static char root_name[64];
static const char *skip_reason;
static struct cgroup_host host;
static bool has_devices; /* a v1 devices hierarchy is mounted: the driver joins it too */

static int open_driver(bool ignore_unified, struct cgroup_driver **d, struct nano_err *err)
{
	struct cgroup_driver_options o = {
	        .mount = MOUNT,
	        .host = host,
	        .driver = PLAN_CGROUP_V1,
	        .root_name = root_name,
	        .ignore_unified = ignore_unified,
	};

	return cgroup_driver_open(&o, d, err);
}

static void suite_setup(void)
{
	struct nano_err err = {0};

	snprintf(root_name, sizeof(root_name), "nanolet-test-%d", (int)getpid());
	if (geteuid() != 0) {
		skip_reason = "not root: the v1 driver tests need to create cgroups";
		return;
	}
	if (cgroup_detect(MOUNT, &host, &err) < 0 || host.mode == CGROUP_MODE_UNIFIED)
		skip_reason = "no cgroup v1 hierarchies on this host";
	nano_err_clear(&err);
	if (!skip_reason) {
		_cleanup_free_ char *text = slurp("/proc/self/cgroup");
		_cleanup_free_ char *self =
		        text ? cgroup_path_from_proc(text, "devices", NULL) : NULL;

		has_devices = self && access(MOUNT "/devices", F_OK) == 0;
	}
}

/* Whatever the tests left: kill it (only children of this file can be in the test root),
 * wait for it to go, remove the root in every hierarchy. */
static void suite_teardown(void)
{
	_cleanup_cgroup_driver_ struct cgroup_driver *d = NULL;
	struct nano_err err = {0};

	if (skip_reason)
		return;
	if (open_driver(false, &d, &err) < 0) {
		fprintf(stderr, "clean-up: open: %s\n", err.message);
		nano_err_clear(&err);
		return;
	}
	cgroup_fixture_clean_up(d);
}

#define SKIP_UNLESS_POSSIBLE()                                                                     \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			fprintf(stderr, "SKIP %s: %s\n", __func__, skip_reason);                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static struct cgroup_driver *open_ok(bool ignore_unified)
{
	struct cgroup_driver *d = NULL;
	struct nano_err err = {0};
	int r = open_driver(ignore_unified, &d, &err);

	ck_assert_msg(r == 0, "open: %d %s", r, err.message ? err.message : "");
	return d;
}

/* This process's cgroup in a hierarchy (NULL: the unified one), from /proc/self/cgroup. */
static char *self_in(const char *controller)
{
	_cleanup_free_ char *text = slurp("/proc/self/cgroup");
	int r;
	char *path = cgroup_path_from_proc(text, controller, &r);

	ck_assert_msg(path != NULL, "no %s line in /proc/self/cgroup", controller);
	return path;
}

/* Where the test root must be in a hierarchy: /sys/fs/cgroup/<dir><self>/<root_name>. */
static char *expected_dir(const char *dir, const char *controller, const char *rel)
{
	_cleanup_free_ char *self = self_in(controller);

	return strdupf("%s/%s%s/%s%s%s", MOUNT, dir, strcmp(self, "/") == 0 ? "" : self, root_name,
	               *rel ? "/" : "", rel);
}

static const char *const controllers[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"};

/* Whether the driver joins the hierarchy of controller (NULL: the unified mirror) here. */
static bool joined(const char *controller)
{
	if (!controller)
		return host.mode == CGROUP_MODE_HYBRID;
	return strcmp(controller, "devices") != 0 || has_devices;
}

/* Hierarchies the driver joins on the development hosts, where cpu and cpuacct are apart. */
static size_t n_joined(bool with_unified)
{
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
		n += joined(controllers[i]);
	return n + (with_unified && joined(NULL));
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void assert_read(const char *dir, const char *file, const char *expected)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, file);
	_cleanup_free_ char *got = slurp(path);

	ck_assert_msg(got != NULL, "%s: cannot read", path);
	ck_assert_msg(strcmp(got, expected) == 0, "%s: \"%s\", expected \"%s\"", path, got,
	              expected);
}

/* ---- open --------------------------------------------------------------------------------- */

START_TEST(test_open_roots_per_hierarchy)
{
	SKIP_UNLESS_POSSIBLE();
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(false);
	_cleanup_free_ char *memory_self = self_in("memory");
	_cleanup_free_ char *expected_root = NULL, *events = NULL;

	expected_root =
	        strdupf("%s/%s", strcmp(memory_self, "/") == 0 ? "" : memory_self, root_name);
	ck_assert_int_eq(cgroup_driver_kind(d), PLAN_CGROUP_V1);
	ck_assert_str_eq(cgroup_driver_root(d), expected_root);
	for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
		_cleanup_free_ char *want = NULL, *got = NULL;

		if (!joined(controllers[i])) {
			ck_assert_int_eq(cgroup_driver_dir(d, controllers[i], "", &got), -ENOENT);
			continue;
		}
		want = expected_dir(controllers[i], controllers[i], "");
		ck_assert_int_eq(cgroup_driver_dir(d, controllers[i], "", &got), 0);
		/* realpath'd mount dirs: compare what they point at. */
		ck_assert_msg(is_dir(want), "%s was not made", want);
		ck_assert_msg(is_dir(got), "%s is not a directory", got);
	}
	ck_assert_int_eq(cgroup_driver_events_path(d, "", &events), 0);
	if (host.mode == CGROUP_MODE_HYBRID) {
		_cleanup_free_ char *want = expected_dir("unified", NULL, "");
		_cleanup_free_ char *want_events = strdupf("%s/cgroup.events", want);

		ck_assert_ptr_nonnull(events);
		ck_assert_str_eq(events, want_events);
		ck_assert_msg(access(want_events, R_OK) == 0, "%s", want_events);
	} else {
		ck_assert_ptr_null(events);
	}
}
END_TEST

/* ---- apply -------------------------------------------------------------------------------- */

/* A Burstable pod, app: cpu 250m request, 500m limit; memory 32Mi request, 64Mi limit; node
 * podPidsLimit 64. */
static struct plan *burstable_plan(struct fixture *fx, const struct cgroup_driver *d,
                                   int64_t mem_limit)
{
	fixture_init(fx);
	fx->config.driver = PLAN_CGROUP_V1;
	fx->config.cgroup_root = cgroup_driver_root(d);
	fx->config.pod_pids_limit = 64;
	resources(&fx->containers[0], 250, 500, MI(32), mem_limit);
	return build(fx);
}

static void create_pod(struct cgroup_driver *d, const struct plan *plan)
{
	struct nano_err err = {0};
	const char *pod = cgroup_driver_relative(d, plan->cgroup.path);
	const char *app = cgroup_driver_relative(d, plan->containers[0].cgroup.path);
	_cleanup_free_ char *infra = strdupf("%s/infra", pod);
	int r;

	ck_assert_ptr_nonnull(pod);
	ck_assert_ptr_nonnull(app);
	r = cgroup_driver_create(d, pod, CGROUP_NODE_INNER, &err);
	ck_assert_msg(r == 0, "create %s: %s", pod, err.message);
	r = cgroup_driver_create(d, infra, CGROUP_NODE_LEAF, &err);
	ck_assert_msg(r == 0, "create %s: %s", infra, err.message);
	r = cgroup_driver_create(d, app, CGROUP_NODE_LEAF, &err);
	ck_assert_msg(r == 0, "create %s: %s", app, err.message);
}

static void apply_ok(struct cgroup_driver *d, const struct plan_cgroup *cg)
{
	struct nano_err err = {0};
	int r = cgroup_driver_apply(d, cg, &err);

	ck_assert_msg(r == 0, "apply %s: %d %s", cg->path, r, err.message);
}

START_TEST(test_apply_reads_back)
{
	SKIP_UNLESS_POSSIBLE();
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(false);
	struct fixture fx;
	_cleanup_plan_ struct plan *plan = burstable_plan(&fx, d, MI(64));
	_cleanup_free_ char *mem_app = expected_dir("memory", "memory", "burstable/pod1234/app");
	_cleanup_free_ char *mem_pod = expected_dir("memory", "memory", "burstable/pod1234");
	_cleanup_free_ char *cpu_app = expected_dir("cpu", "cpu", "burstable/pod1234/app");
	_cleanup_free_ char *cpu_pod = expected_dir("cpu", "cpu", "burstable/pod1234");
	_cleanup_free_ char *pids_pod = expected_dir("pids", "pids", "burstable/pod1234");
	_cleanup_free_ char *memsw = strdupf("%s/memory.memsw.limit_in_bytes", mem_app);
	bool has_memsw;

	ck_assert_str_eq(cgroup_driver_relative(d, plan->containers[0].cgroup.path),
	                 "burstable/pod1234/app");
	create_pod(d, plan);
	apply_ok(d, &plan->cgroup);
	apply_ok(d, &plan->containers[0].cgroup);

	has_memsw = access(memsw, F_OK) == 0;
	assert_read(mem_app, "memory.limit_in_bytes", "67108864\n");
	if (has_memsw)
		assert_read(mem_app, "memory.memsw.limit_in_bytes", "67108864\n");
	assert_read(cpu_app, "cpu.cfs_period_us", "100000\n");
	assert_read(cpu_app, "cpu.cfs_quota_us", "50000\n");
	assert_read(cpu_app, "cpu.shares", "256\n");
	assert_read(mem_pod, "memory.limit_in_bytes", "67108864\n");
	assert_read(cpu_pod, "cpu.cfs_quota_us", "50000\n");
	assert_read(pids_pod, "pids.max", "64\n");

	/* Raising the limit above the current memsw: the kernel refuses memory.limit_in_bytes
	 * first (EINVAL), so the driver must write memsw first. Then lowering again. */
	{
		_cleanup_plan_ struct plan *bigger = burstable_plan(&fx, d, MI(128));
		_cleanup_plan_ struct plan *smaller = burstable_plan(&fx, d, MI(32));

		apply_ok(d, &bigger->containers[0].cgroup);
		assert_read(mem_app, "memory.limit_in_bytes", "134217728\n");
		if (has_memsw)
			assert_read(mem_app, "memory.memsw.limit_in_bytes", "134217728\n");
		apply_ok(d, &smaller->containers[0].cgroup);
		assert_read(mem_app, "memory.limit_in_bytes", "33554432\n");
		if (has_memsw)
			assert_read(mem_app, "memory.memsw.limit_in_bytes", "33554432\n");
	}
	fprintf(stderr, "memsw %s on this host\n", has_memsw ? "present" : "absent (skipped)");
}
END_TEST

/* cgroupfs_set_at on plain files: CPU bandwidth that holds the value already is not written
 * again (a write leaves the value without its newline: O_TRUNC, then the bytes written); any
 * other file, and a new value, is. */
static void put_file(int dirfd, const char *file, const char *text)
{
	_cleanup_close_ int fd =
	        openat(dirfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void holds(int dirfd, const char *file, const char *text)
{
	_cleanup_free_ char *got = NULL;

	ck_assert_int_eq(util_read_file_at(dirfd, file, &got), 0);
	ck_assert_str_eq(got, text);
}

START_TEST(test_set_skips_equal_bandwidth)
{
	char dir[] = "/tmp/nanolet-unit-cgset.XXXXXX";
	_cleanup_close_ int dirfd = -1;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dirfd, 0);
	put_file(dirfd, "cpu.cfs_period_us", "100000\n");
	put_file(dirfd, "cpu.cfs_quota_us", "-1\n");
	put_file(dirfd, "cpu.max", "max 100000\n");
	put_file(dirfd, "cpu.shares", "2\n");

	ck_assert_int_eq(cgroupfs_set_at(dirfd, "cpu.cfs_period_us", "100000"), 0);
	ck_assert_int_eq(cgroupfs_set_at(dirfd, "cpu.cfs_quota_us", "-1"), 0);
	ck_assert_int_eq(cgroupfs_set_at(dirfd, "cpu.max", "max 100000"), 0);
	holds(dirfd, "cpu.cfs_period_us", "100000\n");
	holds(dirfd, "cpu.cfs_quota_us", "-1\n");
	holds(dirfd, "cpu.max", "max 100000\n");
	/* a new value is written; so is any other file, equal or not */
	ck_assert_int_eq(cgroupfs_set_at(dirfd, "cpu.cfs_quota_us", "50000"), 0);
	holds(dirfd, "cpu.cfs_quota_us", "50000");
	ck_assert_int_eq(cgroupfs_set_at(dirfd, "cpu.max", "50000 100000"), 0);
	holds(dirfd, "cpu.max", "50000 100000");
	ck_assert_int_eq(cgroupfs_set_at(dirfd, "cpu.shares", "2"), 0);
	holds(dirfd, "cpu.shares", "2");

	ck_assert_int_eq(rm_rf(dir), 0);
}
END_TEST

/* ---- processes ---------------------------------------------------------------------------- */

/* A `sleep 30` child that execs only once the parent wrote to *go (so it is charged to its
 * cgroup from the exec on), and dies with this test process. */
static pid_t spawn_sleep(int *go)
{
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

/* Lets the child exec and waits until it runs `sleep`. */
static void release(pid_t pid, int go)
{
	_cleanup_free_ char *comm_path = strdupf("/proc/%d/comm", (int)pid);

	ck_assert_int_eq(write(go, "x", 1), 1);
	close(go);
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ char *comm = slurp(comm_path);

		if (comm && strcmp(comm, "sleep\n") == 0)
			return;
		sleep_ms(5);
	}
	ck_abort_msg("child %d never ran sleep", (int)pid);
}

static bool pid_listed(const char *procs_file, pid_t pid)
{
	_cleanup_free_ char *text = slurp(procs_file);
	char want[32];

	snprintf(want, sizeof(want), "%d", (int)pid);
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
		if (strcmp(line, want) == 0)
			return true;
	return false;
}

static void assert_killed(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	              "child %d: status 0x%x, expected SIGKILL", (int)pid, status);
}

static void assert_emptied(struct cgroup_driver *d, const char *rel)
{
	struct nano_err err = {0};
	int r = 1;

	/* The kernel drops an exited task from its cgroups asynchronously of the reaping. */
	for (int i = 0; i < 200 && (r = cgroup_driver_populated(d, rel, &err)) == 1; i++)
		sleep_ms(10);
	ck_assert_msg(r == 0, "%s still populated: %d %s", rel, r, err.message);
}

START_TEST(test_place_stats_kill)
{
	SKIP_UNLESS_POSSIBLE();
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(false);
	struct fixture fx;
	_cleanup_plan_ struct plan *plan = burstable_plan(&fx, d, MI(64));
	_cleanup_strv_ char **files = NULL;
	_cleanup_free_ char *proc_path = NULL, *proc_text = NULL;
	struct nano_err err = {0};
	struct cgroup_stats st;
	uint64_t kills;
	const char *pod = "burstable/pod1234", *app = "burstable/pod1234/app";
	int go, r;
	pid_t pid;

	create_pod(d, plan);
	apply_ok(d, &plan->cgroup);
	apply_ok(d, &plan->containers[0].cgroup);

	pid = spawn_sleep(&go);
	r = cgroup_driver_place(d, app, pid, &err);
	ck_assert_msg(r == 0, "place: %s", err.message);
	release(pid, go);

	ck_assert_int_eq(cgroup_driver_procs_files(d, app, &files, &err), 0);
	ck_assert_uint_eq(strv_len(files), n_joined(true));
	for (size_t i = 0; files[i]; i++)
		ck_assert_msg(pid_listed(files[i], pid), "%d not in %s", (int)pid, files[i]);

	/* The kernel's own word: /proc/PID/cgroup names the cgroup in every hierarchy. */
	proc_path = strdupf("/proc/%d/cgroup", (int)pid);
	proc_text = slurp(proc_path);
	ck_assert_ptr_nonnull(proc_text);
	for (size_t i = 0; i <= ELEMENTSOF(controllers); i++) {
		const char *c = i < ELEMENTSOF(controllers) ? controllers[i] : NULL;
		_cleanup_free_ char *self = NULL, *want = NULL, *got = NULL;

		if (!joined(c))
			continue;
		self = self_in(c);
		want = strdupf("%s/%s/%s", strcmp(self, "/") == 0 ? "" : self, root_name, app);
		got = cgroup_path_from_proc(proc_text, c, &r);
		ck_assert_msg(got && strcmp(got, want) == 0, "%s: %s, expected %s",
		              c ? c : "unified", got, want);
	}

	ck_assert_msg(cgroup_driver_stats(d, app, &st, &err) == 0, "%s", err.message);
	ck_assert_uint_gt(st.memory_usage_bytes, 0);
	ck_assert_uint_le(st.memory_working_set_bytes, st.memory_usage_bytes);
	ck_assert_uint_eq(st.memory_limit_bytes, MI(64));
	ck_assert_uint_gt(st.cpu_usage_ns, 0);
	ck_assert_uint_eq(st.pids_current, 1);
	ck_assert(st.pids_max == CGROUP_STAT_MAX); /* the pod's pids.max bounds the container */
	ck_assert_msg(cgroup_driver_stats(d, pod, &st, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(st.pids_current, 1);
	ck_assert_uint_eq(st.pids_max, 64);
	ck_assert_uint_eq(st.memory_oom_kill, 0);
	kills = 1;
	ck_assert_msg(cgroup_driver_oom_kills(d, app, &kills, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(kills, 0);

	ck_assert_int_eq(cgroup_driver_populated(d, pod, &err), 1);
	/* The pod, not the leaf: a kill takes the whole subtree. */
	ck_assert_msg(cgroup_driver_kill(d, pod, &err) == 0, "kill: %s", err.message);
	assert_killed(pid);
	assert_emptied(d, pod);
}
END_TEST

/* Without the unified hierarchy: no cgroup.events to watch, populated from cgroup.procs, and
 * the kill is the freezer's. */
START_TEST(test_freezer_kill)
{
	SKIP_UNLESS_POSSIBLE();
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(true);
	_cleanup_free_ char *events = NULL;
	_cleanup_strv_ char **files = NULL;
	_cleanup_free_ char *freezer = expected_dir("freezer", "freezer", "pod9");
	struct nano_err err = {0};
	int go, r;
	pid_t pid;

	r = cgroup_driver_create(d, "pod9", CGROUP_NODE_INNER, &err);
	ck_assert_msg(r == 0, "%s", err.message);
	r = cgroup_driver_create(d, "pod9/app", CGROUP_NODE_LEAF, &err);
	ck_assert_msg(r == 0, "%s", err.message);
	ck_assert_int_eq(cgroup_driver_events_path(d, "pod9/app", &events), 0);
	ck_assert_ptr_null(events);
	ck_assert_int_eq(cgroup_driver_procs_files(d, "pod9/app", &files, &err), 0);
	ck_assert_uint_eq(strv_len(files), n_joined(false));
	ck_assert_int_eq(cgroup_driver_open_fd(d, "pod9/app", &err), -EOPNOTSUPP);
	nano_err_clear(&err);

	ck_assert_int_eq(cgroup_driver_populated(d, "pod9", &err), 0);
	pid = spawn_sleep(&go);
	r = cgroup_driver_place(d, "pod9/app", pid, &err);
	ck_assert_msg(r == 0, "place: %s", err.message);
	release(pid, go);
	ck_assert_int_eq(cgroup_driver_populated(d, "pod9", &err), 1);

	ck_assert_msg(cgroup_driver_kill(d, "pod9", &err) == 0, "kill: %s", err.message);
	assert_killed(pid);
	assert_read(freezer, "freezer.state", "THAWED\n");
	assert_emptied(d, "pod9");
}
END_TEST

/* ---- remove ------------------------------------------------------------------------------- */

/* A remove is one try, never a wait on the caller's loop: a cgroup with a process in it is
 * -EBUSY at once, and the caller (the pod manager, on a timer) tries again once it is empty. */
START_TEST(test_remove_busy_is_one_try)
{
	SKIP_UNLESS_POSSIBLE();
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(false);
	struct nano_err err = {0};
	struct timespec t0, t1;
	int go, r;
	pid_t pid;

	r = cgroup_driver_create(d, "pod7", CGROUP_NODE_INNER, &err);
	ck_assert_msg(r == 0, "%s", err.message);
	r = cgroup_driver_create(d, "pod7/app", CGROUP_NODE_LEAF, &err);
	ck_assert_msg(r == 0, "%s", err.message);
	pid = spawn_sleep(&go);
	r = cgroup_driver_place(d, "pod7/app", pid, &err);
	ck_assert_msg(r == 0, "place: %s", err.message);
	release(pid, go);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(cgroup_driver_remove(d, "pod7", &err), -EBUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_ptr_nonnull(strstr(err.message, "try again"));
	/* the old driver retried for 500 ms */
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 100);
	nano_err_clear(&err);

	ck_assert_msg(cgroup_driver_kill(d, "pod7", &err) == 0, "kill: %s", err.message);
	assert_killed(pid);
	assert_emptied(d, "pod7");
	for (int i = 0; i < 50 && (r = cgroup_driver_remove(d, "pod7", &err)) == -EBUSY; i++) {
		nano_err_clear(&err);
		sleep_ms(10);
	}
	ck_assert_msg(r == 0, "remove: %s", err.message);
}
END_TEST

START_TEST(test_remove_everywhere)
{
	SKIP_UNLESS_POSSIBLE();
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(false);
	struct nano_err err = {0};
	struct fixture fx;
	_cleanup_plan_ struct plan *plan = burstable_plan(&fx, d, MI(64));
	const char *hier_dirs[] = {"memory",  "cpu",     "cpuacct", "pids",
	                           "freezer", "devices", "unified"};
	int r;

	create_pod(d, plan);
	r = cgroup_driver_remove(d, "burstable/pod1234", &err);
	ck_assert_msg(r == 0, "remove: %s", err.message);
	for (size_t i = 0; i < ELEMENTSOF(hier_dirs); i++) {
		const char *c = i < ELEMENTSOF(controllers) ? controllers[i] : NULL;
		_cleanup_free_ char *pod = NULL, *qos = NULL;

		if (!joined(c))
			continue;
		pod = expected_dir(hier_dirs[i], c, "burstable/pod1234");
		qos = expected_dir(hier_dirs[i], c, "burstable");
		ck_assert_msg(!is_dir(pod), "%s is still there", pod);
		ck_assert_msg(is_dir(qos), "%s went too", qos);
	}
	ck_assert_int_eq(cgroup_driver_remove(d, "burstable/pod1234", &err), 0);

	r = cgroup_driver_remove(d, "", &err);
	ck_assert_msg(r == 0, "remove root: %s", err.message);
	for (size_t i = 0; i < ELEMENTSOF(hier_dirs); i++) {
		const char *c = i < ELEMENTSOF(controllers) ? controllers[i] : NULL;
		_cleanup_free_ char *root = NULL, *parent = NULL;

		if (!joined(c))
			continue;
		root = expected_dir(hier_dirs[i], c, "");
		ck_assert_msg(!is_dir(root), "%s is still there", root);
		/* Our own cgroup, the root's parent, stays. */
		parent = strndup(root, strrchr(root, '/') - root);
		ck_assert_msg(is_dir(parent), "%s went too", parent);
	}
}
END_TEST

static Suite *cgroup_v1_suite(void)
{
	Suite *s = suite_create("cgroup_v1");
	TCase *tc = tcase_create("this host");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_open_roots_per_hierarchy);
	tcase_add_test(tc, test_apply_reads_back);
	tcase_add_test(tc, test_set_skips_equal_bandwidth);
	tcase_add_test(tc, test_place_stats_kill);
	tcase_add_test(tc, test_freezer_kill);
	tcase_add_test(tc, test_remove_everywhere);
	tcase_add_test(tc, test_remove_busy_is_one_try);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(cgroup_v1_suite());
}
