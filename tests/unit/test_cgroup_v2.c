/* tests/unit/test_cgroup_v2.c: the v2 driver against a fake cgroupfs in a temporary directory.
 *
 * The fake tree is what cgroup2 shows: cgroup.controllers, cgroup.subtree_control and the
 * control files, as plain files. mkdir on tmpfs makes no files, so the driver's on_mkdir seam
 * makes them (and records the directory), and on_rmdir empties a directory before the driver
 * removes it (and records the order). Writes to plain files replace their content, so a file
 * read back holds the driver's last write: exactly the string it wrote.
 *
 * Everything lives under one mkdtemp directory, made and removed by the runner process
 * (unchecked fixture), so it goes away even when a test fails. The only process signalled is
 * a child this file forks.
 */
#include "check_main.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup/cgroup.h"
#include "cgroup_fixture.h"
#include "tmp_fixture.h"
#include "plan_fixture.h"

TMP_FIXTURE("/tmp/nanolet-cgv2-XXXXXX")

/* ---- the fake tree ------------------------------------------------------------------------ */

struct fake {
	char *mount; /* a fresh directory under tmp_base */
	bool swap;   /* memory.swap.max exists (swap accounting) */
	char **made;
	char **removed;
	struct cgroup_driver_options options;
};

static bool exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = file ? strdupf("%s/%s", dir, file) : strdup(dir);

	return access(path, F_OK) == 0;
}

#define assert_file(dir, file, expected)                                                           \
	do {                                                                                       \
		_cleanup_free_ char *_got = get(dir, file);                                        \
		ck_assert_msg(_got != NULL, "%s/%s is missing", dir, file);                        \
		ck_assert_msg(strcmp(_got, expected) == 0, "%s/%s: \"%s\", expected \"%s\"", dir,  \
		              file, _got, expected);                                               \
	} while (0)

/* The files the kernel makes in a new cgroup whose parent delegates cpu, io, memory, pids. */
static void fake_cgroup(const char *dir, bool swap)
{
	put(dir, "cgroup.controllers", "cpu io memory pids\n");
	put(dir, "cgroup.subtree_control", "");
	put(dir, "cgroup.procs", "");
	put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
	put(dir, "cgroup.kill", "");
	put(dir, "cgroup.freeze", "0\n");
	put(dir, "memory.max", "max\n");
	put(dir, "memory.oom.group", "0\n");
	if (swap)
		put(dir, "memory.swap.max", "max\n");
	put(dir, "cpu.max", "max 100000\n");
	put(dir, "cpu.weight", "100\n");
	put(dir, "pids.max", "max\n");
}

static void on_mkdir(const char *dir, void *userdata)
{
	struct fake *f = userdata;

	fake_cgroup(dir, f->swap);
	ck_assert_int_eq(strv_push(&f->made, strdup(dir)), 0);
}

static void on_rmdir(const char *dir, void *userdata)
{
	struct fake *f = userdata;

	ck_assert_int_eq(strv_push(&f->removed, strdup(dir)), 0);
	fake_tree_rmdir(dir, NULL);
}

/* A host root that delegates everything and already enables memory for its children, and
 * this process in /system.slice/nanoletd.service, where cpu, io, memory and pids are
 * available but none enabled. */
static void fake_init(struct fake *f, bool swap)
{
	_cleanup_free_ char *slice = NULL, *unit = NULL;

	memset(f, 0, sizeof(*f));
	f->swap = swap;
	/* Each test runs in its own process: mkdtemp keeps their trees apart. */
	f->mount = strdupf("%s/mount-XXXXXX", tmp_base);
	ck_assert_ptr_nonnull(mkdtemp(f->mount));
	put(f->mount, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put(f->mount, "cgroup.subtree_control", "memory\n");
	put(f->mount, "cgroup.procs", "1\n");
	slice = strdupf("%s/system.slice", f->mount);
	unit = strdupf("%s/nanoletd.service", slice);
	ck_assert_int_eq(mkdir(slice, 0755), 0);
	ck_assert_int_eq(mkdir(unit, 0755), 0);
	fake_cgroup(slice, swap);
	fake_cgroup(unit, swap);
	f->options = (struct cgroup_driver_options){
	        .mount = f->mount,
	        .host = {.mode = CGROUP_MODE_UNIFIED, .unified_mounted = true},
	        .driver = PLAN_CGROUP_V2,
	        .proc_self_cgroup = "0::/system.slice/nanoletd.service\n",
	        .on_mkdir = on_mkdir,
	        .on_rmdir = on_rmdir,
	        .userdata = f,
	};
}

static void fake_done(struct fake *f)
{
	free(f->mount);
	strv_free(f->made);
	strv_free(f->removed);
}

static struct cgroup_driver *open_ok(struct fake *f)
{
	struct nano_err err = {0};
	struct cgroup_driver *d = NULL;
	int r = cgroup_driver_open(&f->options, &d, &err);

	ck_assert_msg(r == 0, "open: %d %s", r, err.message ? err.message : "");
	ck_assert_ptr_nonnull(d);
	return d;
}

static char *path_in(const struct fake *f, const char *cgroup)
{
	return strdupf("%s%s", f->mount, cgroup);
}

/* ---- open --------------------------------------------------------------------------------- */

START_TEST(test_open_under_own_cgroup)
{
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *unit = path_in(&f, "/system.slice/nanoletd.service");
	_cleanup_free_ char *root = path_in(&f, "/system.slice/nanoletd.service/nanolet");
	_cleanup_free_ char *slice = path_in(&f, "/system.slice");

	ck_assert_int_eq(cgroup_driver_kind(d), PLAN_CGROUP_V2);
	ck_assert_str_eq(cgroup_driver_root(d), "/system.slice/nanoletd.service/nanolet");
	ck_assert_int_eq(strv_len(f.made), 1);
	ck_assert_str_eq(f.made[0], root);
	/* The delegated point and the root enable what a plan writes, and no more (io). */
	assert_file(unit, "cgroup.subtree_control", "+cpu +memory +pids");
	assert_file(root, "cgroup.subtree_control", "+cpu +memory +pids");
	/* Nothing above the delegated point is touched. */
	assert_file(slice, "cgroup.subtree_control", "");
	assert_file(f.mount, "cgroup.subtree_control", "memory\n");
	fake_done(&f);
}
END_TEST

START_TEST(test_open_explicit_root)
{
	struct fake f;
	fake_init(&f, true);
	f.options.root = "/kubepods/nanolet/";
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *kubepods = path_in(&f, "/kubepods");
	_cleanup_free_ char *root = path_in(&f, "/kubepods/nanolet");
	_cleanup_free_ char *unit = path_in(&f, "/system.slice/nanoletd.service");

	ck_assert_str_eq(cgroup_driver_root(d), "/kubepods/nanolet");
	ck_assert_int_eq(strv_len(f.made), 2);
	ck_assert_str_eq(f.made[0], kubepods);
	ck_assert_str_eq(f.made[1], root);
	/* A root outside our own cgroup is delegated from the hierarchy's root, which already
	 * had memory enabled: only what is missing is written. */
	assert_file(f.mount, "cgroup.subtree_control", "+cpu +pids");
	assert_file(kubepods, "cgroup.subtree_control", "+cpu +memory +pids");
	assert_file(root, "cgroup.subtree_control", "+cpu +memory +pids");
	assert_file(unit, "cgroup.subtree_control", "");
	fake_done(&f);
}
END_TEST

/* nanoletd hands in the roots it resolved at start: the driver takes them, whatever root,
 * root_name and its own cgroup would say, and still delegates from the cgroup it was started
 * in (the /proc/self/cgroup text it is given). */
START_TEST(test_open_given_roots)
{
	const struct plan_hierarchy roots[] = {{.name = "unified", .root = "/kubepods/nanolet"}};
	struct fake f;
	fake_init(&f, true);
	f.options.roots = roots;
	f.options.n_roots = ELEMENTSOF(roots);
	f.options.root = "/ignored";
	f.options.root_name = "ignored";
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *root = path_in(&f, "/kubepods/nanolet");
	_cleanup_free_ char *ignored = path_in(&f, "/ignored");

	ck_assert_str_eq(cgroup_driver_root(d), "/kubepods/nanolet");
	ck_assert_int_eq(access(root, F_OK), 0);
	ck_assert_int_eq(access(ignored, F_OK), -1);
	assert_file(root, "cgroup.subtree_control", "+cpu +memory +pids");
	fake_done(&f);
}
END_TEST

START_TEST(test_open_given_roots_incomplete)
{
	const struct plan_hierarchy roots[] = {{.name = "memory", .root = "/x"}};
	struct nano_err err = {0};
	struct cgroup_driver *d = NULL;
	struct fake f;

	fake_init(&f, true);
	f.options.roots = roots;
	f.options.n_roots = ELEMENTSOF(roots);
	ck_assert_int_eq(cgroup_driver_open(&f.options, &d, &err), -ENOENT);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err.message, "no cgroup root given for the unified hierarchy");
	nano_err_clear(&err);
	fake_done(&f);
}
END_TEST

START_TEST(test_open_self_leaf)
{
	struct fake f;
	fake_init(&f, true);
	f.options.self_leaf = "daemon";
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *leaf = path_in(&f, "/system.slice/nanoletd.service/daemon");
	_cleanup_free_ char *unit = path_in(&f, "/system.slice/nanoletd.service");
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_file(leaf, "cgroup.procs", pid);
	assert_file(leaf, "cgroup.subtree_control", "");
	assert_file(unit, "cgroup.subtree_control", "+cpu +memory +pids");
	fake_done(&f);
}
END_TEST

struct open_error_case {
	const char *name;
	enum cgroup_mode mode;
	const char *root;
	const char *root_name;
	const char *proc;
	const char *controllers; /* of the delegated cgroup; NULL: the fixture's */
	int rc;
	const char *message; /* a substring */
};

static const struct open_error_case open_error_cases[] = {
        {"v2 on a hybrid host", CGROUP_MODE_HYBRID, NULL, NULL, NULL, NULL, -ENOTSUP,
         "needs cgroup2"},
        {"pids not delegated", CGROUP_MODE_UNIFIED, NULL, NULL, NULL, "cpu io memory\n", -ENOTSUP,
         "controller pids is not available in "},
        {"relative root", CGROUP_MODE_UNIFIED, "nanolet", NULL, NULL, NULL, -EINVAL,
         "not an absolute cgroup path"},
        {"root with ..", CGROUP_MODE_UNIFIED, "/a/../b", NULL, NULL, NULL, -EINVAL,
         "not an absolute cgroup path"},
        {"root name with /", CGROUP_MODE_UNIFIED, NULL, "a/b", NULL, NULL, -EINVAL,
         "not one directory name"},
        {"root name ..", CGROUP_MODE_UNIFIED, NULL, "..", NULL, NULL, -EINVAL,
         "not one directory name"},
        {"no unified entry", CGROUP_MODE_UNIFIED, NULL, NULL, "4:memory:/x\n", NULL, -ENOENT,
         "no unified (0::) entry"},
};

START_TEST(test_open_errors)
{
	const struct open_error_case *c = &open_error_cases[_i];
	struct nano_err err = {0};
	struct cgroup_driver *d = NULL;
	struct fake f;
	int r;

	fake_init(&f, true);
	f.options.host.mode = c->mode;
	f.options.root = c->root;
	f.options.root_name = c->root_name;
	if (c->proc)
		f.options.proc_self_cgroup = c->proc;
	if (c->controllers) {
		_cleanup_free_ char *unit = path_in(&f, "/system.slice/nanoletd.service");
		put(unit, "cgroup.controllers", c->controllers);
	}
	r = cgroup_driver_open(&f.options, &d, &err);
	ck_assert_msg(r == c->rc, "%s: %d, expected %d (%s)", c->name, r, c->rc,
	              err.message ? err.message : "");
	ck_assert_ptr_null(d);
	ck_assert_msg(err.message && strstr(err.message, c->message), "%s: message \"%s\"", c->name,
	              err.message ? err.message : "");
	nano_err_clear(&err);
	fake_done(&f);
}
END_TEST

/* ---- create and apply --------------------------------------------------------------------- */

struct apply_case {
	const char *name;
	int64_t cpu_req, cpu_lim, mem_req, mem_lim;
	bool swap;
	const char *pod_rel;
	const char *qos_dir;              /* NULL: none (Guaranteed pods sit at the root) */
	const char *memory_max, *cpu_max; /* the container's */
	const char *pod_memory_max, *pod_pids_max;
};

static const struct apply_case apply_cases[] = {
        {"burstable with swap accounting", 250, 500, MI(32), MI(64), true, "burstable/pod1234",
         "burstable", "67108864", "50000 100000", "67108864", "1024"},
        {"guaranteed without swap accounting", 1000, 1000, MI(128), MI(128), false, "pod1234", NULL,
         "134217728", "100000 100000", "134217728", "1024"},
};

static void assert_plan_files(const char *dir, const struct plan_cgroup *cg, bool swap)
{
	for (size_t i = 0; i < cg->n_v2; i++) {
		if (strcmp(cg->v2[i].name, "memory.swap.max") == 0 && !swap) {
			ck_assert_msg(!exists(dir, "memory.swap.max"), "%s: swap.max made", dir);
			continue;
		}
		assert_file(dir, cg->v2[i].name, cg->v2[i].value);
	}
}

START_TEST(test_create_and_apply)
{
	const struct apply_case *c = &apply_cases[_i];
	struct nano_err err = {0};
	struct fixture fx;
	struct fake f;
	fake_init(&f, c->swap);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_free_ char *pod_dir = NULL, *infra_dir = NULL, *app_dir = NULL;
	const char *rel;

	fixture_init(&fx);
	resources(&fx.containers[0], c->cpu_req, c->cpu_lim, c->mem_req, c->mem_lim);
	fx.config.cgroup_root = cgroup_driver_root(d);
	plan = build(&fx);

	rel = cgroup_driver_relative(d, plan->cgroup.path);
	ck_assert_ptr_nonnull(rel);
	ck_assert_str_eq(rel, c->pod_rel);
	ck_assert_int_eq(cgroup_driver_create(d, rel, CGROUP_NODE_INNER, &err), 0);
	pod_dir = strdupf("%s/%s", f.made[0], rel);
	infra_dir = strdupf("%s/infra", pod_dir);
	app_dir = strdupf("%s/app", pod_dir);
	ck_assert_msg(exists(pod_dir, NULL), "%s: no %s", c->name, pod_dir);
	assert_file(pod_dir, "cgroup.subtree_control", "+cpu +memory +pids");
	if (c->qos_dir) {
		_cleanup_free_ char *qos = strdupf("%s/%s", f.made[0], c->qos_dir);
		assert_file(qos, "cgroup.subtree_control", "+cpu +memory +pids");
	}

	/* cgroup v2: no processes in inner nodes, so the shim lives in infra/. */
	_cleanup_free_ char *infra_rel = strdupf("%s/infra", rel);
	ck_assert_int_eq(cgroup_driver_create(d, infra_rel, CGROUP_NODE_LEAF, &err), 0);
	ck_assert_ptr_nonnull(cgroup_driver_relative(d, plan->containers[0].cgroup.path));
	ck_assert_int_eq(
	        cgroup_driver_create(d, cgroup_driver_relative(d, plan->containers[0].cgroup.path),
	                             CGROUP_NODE_LEAF, &err),
	        0);
	assert_file(infra_dir, "cgroup.subtree_control", "");
	assert_file(app_dir, "cgroup.subtree_control", "");

	ck_assert_msg(cgroup_driver_apply(d, &plan->cgroup, &err) == 0, "%s: %s", c->name,
	              err.message);
	ck_assert_msg(cgroup_driver_apply(d, &plan->containers[0].cgroup, &err) == 0, "%s: %s",
	              c->name, err.message);
	assert_plan_files(pod_dir, &plan->cgroup, c->swap);
	assert_plan_files(app_dir, &plan->containers[0].cgroup, c->swap);
	/* The strings themselves, not only "what the plan said". */
	assert_file(app_dir, "memory.max", c->memory_max);
	assert_file(app_dir, "cpu.max", c->cpu_max);
	assert_file(app_dir, "memory.oom.group", "1");
	assert_file(pod_dir, "memory.max", c->pod_memory_max);
	assert_file(pod_dir, "pids.max", c->pod_pids_max);
	if (c->swap)
		assert_file(app_dir, "memory.swap.max", "0");
	/* The container has no pids.max of its own: the fake's default stays. */
	assert_file(app_dir, "pids.max", "max\n");
	ck_assert_ptr_null(err.message);
	fake_done(&f);
}
END_TEST

START_TEST(test_apply_errors)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *ghost = strdupf("%s/ghost", cgroup_driver_root(d));
	_cleanup_free_ char *app = strdupf("%s/app", cgroup_driver_root(d));
	_cleanup_free_ char *app_dir = NULL, *weight = NULL;
	struct plan_cgroup cg = {.path = ghost};
	int r;

	cg.v2[cg.n_v2++] = (struct plan_file){.name = "memory.max", .value = "1048576"};
	cg.v2[cg.n_v2++] = (struct plan_file){.name = "cpu.weight", .value = "39"};

	/* A cgroup that was never created. */
	r = cgroup_driver_apply(d, &cg, &err);
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err.message, "/ghost"), "%s", err.message);
	nano_err_clear(&err);

	/* Outside nanolet's root. */
	cg.path = "/system.slice/other";
	ck_assert_int_eq(cgroup_driver_apply(d, &cg, &err), -EINVAL);
	ck_assert_msg(strstr(err.message, "/system.slice/other"), "%s", err.message);
	nano_err_clear(&err);

	/* A write the kernel refuses (here: the file is a directory) names file, value, errno. */
	cg.path = app;
	ck_assert_int_eq(cgroup_driver_create(d, "app", CGROUP_NODE_LEAF, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, NULL, "app", &app_dir), 0);
	weight = strdupf("%s/cpu.weight", app_dir);
	ck_assert_int_eq(unlink(weight), 0);
	ck_assert_int_eq(mkdir(weight, 0755), 0);
	r = cgroup_driver_apply(d, &cg, &err);
	ck_assert_int_eq(r, -EISDIR);
	ck_assert_msg(strstr(err.message, "'39'") && strstr(err.message, "/app/cpu.weight") &&
	                      strstr(err.message, strerror(EISDIR)),
	              "%s", err.message);
	assert_file(app_dir, "memory.max", "1048576");
	nano_err_clear(&err);
	ck_assert_int_eq(rmdir(weight), 0);
	fake_done(&f);
}
END_TEST

static const char *const bad_rels[] = {"/abs", "../up", "a/../b", "a//b", "a/", ".", "a/./b"};

START_TEST(test_bad_relative_paths)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	char **files = NULL;

	ck_assert_int_eq(cgroup_driver_create(d, bad_rels[_i], CGROUP_NODE_LEAF, &err), -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(cgroup_driver_remove(d, bad_rels[_i], &err), -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(cgroup_driver_procs_files(d, bad_rels[_i], &files, &err), -EINVAL);
	ck_assert_ptr_null(files);
	nano_err_clear(&err);
	fake_done(&f);
}
END_TEST

/* ---- processes ---------------------------------------------------------------------------- */

START_TEST(test_procs_place_fd)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_strv_ char **files = NULL;
	_cleanup_free_ char *dir = NULL, *expected = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;

	ck_assert_int_eq(cgroup_driver_create(d, "burstable/pod1", CGROUP_NODE_INNER, &err), 0);
	ck_assert_int_eq(cgroup_driver_create(d, "burstable/pod1/app", CGROUP_NODE_LEAF, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, NULL, "burstable/pod1/app", &dir), 0);
	expected = strdupf("%s/cgroup.procs", dir);

	ck_assert_int_eq(cgroup_driver_procs_files(d, "burstable/pod1/app", &files, &err), 0);
	ck_assert_int_eq(strv_len(files), 1);
	ck_assert_str_eq(files[0], expected);

	fd = cgroup_driver_open_fd(d, "burstable/pod1/app", &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

	/* A plain file stands in for cgroup.procs: nothing moves, the written pid is checked. */
	ck_assert_int_eq(cgroup_driver_place(d, "burstable/pod1/app", 424242, &err), 0);
	assert_file(dir, "cgroup.procs", "424242");
	ck_assert_int_eq(cgroup_driver_place(d, "burstable/pod1/app", 0, &err), -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(cgroup_driver_place(d, "burstable/pod1/none", 1, &err), -ENOENT);
	ck_assert_msg(strstr(err.message, "/burstable/pod1/none/cgroup.procs"), "%s", err.message);
	nano_err_clear(&err);
	fake_done(&f);
}
END_TEST

START_TEST(test_populated_and_events)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *dir = NULL, *events = NULL, *expected = NULL;

	ck_assert_int_eq(cgroup_driver_create(d, "pod1", CGROUP_NODE_INNER, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, "memory", "pod1", &dir), 0);
	ck_assert_int_eq(cgroup_driver_populated(d, "pod1", &err), 0);
	put(dir, "cgroup.events", "populated 1\nfrozen 0\n");
	ck_assert_int_eq(cgroup_driver_populated(d, "pod1", &err), 1);
	put(dir, "cgroup.events", "frozen 0\n");
	ck_assert_int_eq(cgroup_driver_populated(d, "pod1", &err), -EBADMSG);
	nano_err_clear(&err);

	ck_assert_int_eq(cgroup_driver_events_path(d, "pod1", &events), 0);
	expected = strdupf("%s/cgroup.events", dir);
	ck_assert_str_eq(events, expected);
	fake_done(&f);
}
END_TEST

START_TEST(test_kill_writes_cgroup_kill)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *dir = NULL;

	ck_assert_int_eq(cgroup_driver_create(d, "pod1/app", CGROUP_NODE_LEAF, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, NULL, "pod1", &dir), 0);
	ck_assert_int_eq(cgroup_driver_kill(d, "pod1", &err), 0);
	assert_file(dir, "cgroup.kill", "1");
	/* A cgroup that is gone has nothing to kill. */
	ck_assert_int_eq(cgroup_driver_kill(d, "gone", &err), 0);
	ck_assert_ptr_null(err.message);
	fake_done(&f);
}
END_TEST

/* Before 5.14 there is no cgroup.kill: freeze, SIGKILL every pid of the subtree, thaw. The pid
 * is a child of this test, written into the fake app/cgroup.procs. */
START_TEST(test_kill_freeze_fallback)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *pod = NULL, *app = NULL, *kill_file = NULL;
	char pid_text[32];
	int status;
	pid_t child;

	ck_assert_int_eq(cgroup_driver_create(d, "pod1", CGROUP_NODE_INNER, &err), 0);
	ck_assert_int_eq(cgroup_driver_create(d, "pod1/app", CGROUP_NODE_LEAF, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, NULL, "pod1", &pod), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, NULL, "pod1/app", &app), 0);
	kill_file = strdupf("%s/cgroup.kill", pod);
	ck_assert_int_eq(unlink(kill_file), 0);
	put(pod, "cgroup.events", "populated 1\nfrozen 1\n");

	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	snprintf(pid_text, sizeof(pid_text), "%d\n", (int)child);
	put(app, "cgroup.procs", pid_text);

	ck_assert_msg(cgroup_driver_kill(d, "pod1", &err) == 0, "%s", err.message);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_file(pod, "cgroup.freeze", "0");
	put(app, "cgroup.procs", "");
	fake_done(&f);
}
END_TEST

/* ---- remove ------------------------------------------------------------------------------- */

START_TEST(test_remove_children_first)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	const char *root = f.made[0];
	const char *const expected[] = {"burstable/pod1/app", "burstable/pod1/infra",
	                                "burstable/pod1"};
	_cleanup_free_ char *root_copy = strdup(root);

	ck_assert_int_eq(cgroup_driver_create(d, "burstable/pod1", CGROUP_NODE_INNER, &err), 0);
	ck_assert_int_eq(cgroup_driver_create(d, "burstable/pod1/infra", CGROUP_NODE_LEAF, &err),
	                 0);
	ck_assert_int_eq(cgroup_driver_create(d, "burstable/pod1/app", CGROUP_NODE_LEAF, &err), 0);

	ck_assert_int_eq(cgroup_driver_remove(d, "burstable/pod1", &err), 0);
	ck_assert_int_eq(strv_len(f.removed), ELEMENTSOF(expected));
	for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
		_cleanup_free_ char *want = strdupf("%s/%s", root_copy, expected[i]);
		ck_assert_str_eq(f.removed[i], want);
		ck_assert_msg(!exists(want, NULL), "%s is still there", want);
	}
	/* Already gone is not an error. */
	ck_assert_int_eq(cgroup_driver_remove(d, "burstable/pod1", &err), 0);
	ck_assert_int_eq(strv_len(f.removed), ELEMENTSOF(expected));

	/* "" is the root itself; its parent, the delegated cgroup, stays. */
	ck_assert_int_eq(cgroup_driver_remove(d, "", &err), 0);
	ck_assert_int_eq(strv_len(f.removed), ELEMENTSOF(expected) + 2);
	ck_assert_msg(!exists(root_copy, NULL), "%s is still there", root_copy);
	_cleanup_free_ char *unit = path_in(&f, "/system.slice/nanoletd.service");
	ck_assert(exists(unit, NULL));
	ck_assert_ptr_null(err.message);
	fake_done(&f);
}
END_TEST

/* ---- paths -------------------------------------------------------------------------------- */

struct relative_case {
	const char *root; /* explicit root; NULL: under /system.slice/nanoletd.service */
	const char *path;
	const char *rel; /* NULL: not under the root */
};

static const struct relative_case relative_cases[] = {
        {NULL, "/system.slice/nanoletd.service/nanolet/burstable/pod1/app", "burstable/pod1/app"},
        {NULL, "/system.slice/nanoletd.service/nanolet/pod1", "pod1"},
        {NULL, "/system.slice/nanoletd.service/nanolet", ""},
        {NULL, "/system.slice/nanoletd.service/nanolet/", ""},
        {NULL, "/system.slice/nanoletd.service/nanoletX/pod1", NULL},
        {NULL, "/system.slice/nanoletd.service", NULL},
        {NULL, "/other/pod1", NULL},
        {NULL, "system.slice/nanoletd.service/nanolet/pod1", NULL},
        {"/", "/pod1", "pod1"},
        {"/", "/", ""},
        {"/kubepods", "/kubepods/besteffort/pod1/app", "besteffort/pod1/app"},
};

START_TEST(test_relative)
{
	const struct relative_case *c = &relative_cases[_i];
	struct fake f;
	fake_init(&f, true);
	f.options.root = c->root;
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	const char *rel = cgroup_driver_relative(d, c->path);

	if (c->rel)
		ck_assert_msg(rel && strcmp(rel, c->rel) == 0, "%s: \"%s\", expected \"%s\"",
		              c->path, rel ? rel : "(null)", c->rel);
	else
		ck_assert_msg(rel == NULL, "%s: \"%s\", expected none", c->path, rel);
	fake_done(&f);
}
END_TEST

/* ---- stats -------------------------------------------------------------------------------- */

START_TEST(test_stats)
{
	struct nano_err err = {0};
	struct fake f;
	fake_init(&f, true);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *dir = NULL;
	struct cgroup_stats st;
	uint64_t kills;

	ck_assert_int_eq(cgroup_driver_create(d, "pod1/app", CGROUP_NODE_LEAF, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, "cpu", "pod1/app", &dir), 0);
	put(dir, "memory.current", "10000000\n");
	put(dir, "memory.stat",
	    "anon 4000000\nfile 5000000\nactive_file 1000000\ninactive_file 3000000\n"
	    "pgfault 77\npgmajfault 3\n");
	put(dir, "memory.max", "67108864\n");
	put(dir, "memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n");
	put(dir, "cpu.stat",
	    "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 40\nnr_throttled 7\n"
	    "throttled_usec 2500\n");
	put(dir, "pids.current", "3\n");
	put(dir, "pids.events", "max 5\n");

	ck_assert_msg(cgroup_driver_stats(d, "pod1/app", &st, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(st.memory_usage_bytes, 10000000);
	ck_assert_uint_eq(st.memory_working_set_bytes, 7000000);
	ck_assert_uint_eq(st.memory_rss_bytes, 4000000);
	ck_assert_uint_eq(st.memory_pgfault, 77);
	ck_assert_uint_eq(st.memory_pgmajfault, 3);
	ck_assert_uint_eq(st.memory_limit_bytes, 67108864);
	ck_assert_uint_eq(st.memory_oom_kill, 1);
	ck_assert_uint_eq(st.cpu_usage_ns, 1500000);
	ck_assert_uint_eq(st.cpu_nr_periods, 40);
	ck_assert_uint_eq(st.cpu_nr_throttled, 7);
	ck_assert_uint_eq(st.cpu_throttled_ns, 2500000);
	ck_assert_uint_eq(st.pids_current, 3);
	ck_assert(st.pids_max == CGROUP_STAT_MAX);
	ck_assert_uint_eq(st.pids_max_events, 5);
	/* an OOM notice reads the one counter */
	ck_assert_msg(cgroup_driver_oom_kills(d, "pod1/app", &kills, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(kills, 1);
	ck_assert_int_eq(cgroup_driver_oom_kills(d, "gone", &kills, &err), -ENOENT);
	nano_err_clear(&err);

	/* Usage below inactive_file: a working set of 0, not a wrapped-around number. */
	put(dir, "memory.current", "100\n");
	ck_assert_int_eq(cgroup_driver_stats(d, "pod1/app", &st, &err), 0);
	ck_assert_uint_eq(st.memory_working_set_bytes, 0);

	put(dir, "memory.max", "lots\n");
	ck_assert_int_eq(cgroup_driver_stats(d, "pod1/app", &st, &err), -EBADMSG);
	ck_assert_msg(strstr(err.message, "memory.max"), "%s", err.message);
	nano_err_clear(&err);
	ck_assert_int_eq(cgroup_driver_stats(d, "gone", &st, &err), -ENOENT);
	nano_err_clear(&err);
	fake_done(&f);
}
END_TEST

static Suite *cgroup_v2_suite(void)
{
	Suite *s = suite_create("cgroup_v2");
	TCase *tc = tcase_create("fake cgroupfs");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_open_under_own_cgroup);
	tcase_add_test(tc, test_open_explicit_root);
	tcase_add_test(tc, test_open_given_roots);
	tcase_add_test(tc, test_open_given_roots_incomplete);
	tcase_add_test(tc, test_open_self_leaf);
	tcase_add_loop_test(tc, test_open_errors, 0, ELEMENTSOF(open_error_cases));
	tcase_add_loop_test(tc, test_create_and_apply, 0, ELEMENTSOF(apply_cases));
	tcase_add_test(tc, test_apply_errors);
	tcase_add_loop_test(tc, test_bad_relative_paths, 0, ELEMENTSOF(bad_rels));
	tcase_add_test(tc, test_procs_place_fd);
	tcase_add_test(tc, test_populated_and_events);
	tcase_add_test(tc, test_kill_writes_cgroup_kill);
	tcase_add_test(tc, test_kill_freeze_fallback);
	tcase_add_test(tc, test_remove_children_first);
	tcase_add_loop_test(tc, test_relative, 0, ELEMENTSOF(relative_cases));
	tcase_add_test(tc, test_stats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(cgroup_v2_suite());
}
