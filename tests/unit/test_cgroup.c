/* tests/unit/test_cgroup.c: the host layout (cgroup_detect), a process's place in each
 * hierarchy (cgroup_path_from_proc) and nanolet's root in each (cgroup_roots).
 *
 * cgroup_path_from_proc is tested on /proc/PID/cgroup texts as the kernel writes them on pure
 * v2, hybrid and legacy hosts. cgroup_detect is tested against this machine's /sys/fs/cgroup,
 * with the expected layout worked out here from statfs and /proc/self/cgroup, and against
 * directories that are not cgroup mounts. This file must not create or change cgroups.
 */
#include "check_main.h"
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cgroup/cgroup.h"

/* ---- cgroup_path_from_proc ---------------------------------------------------------------- */

static const char hybrid_text[] = "12:rdma:/\n"
                                  "11:pids:/user.slice/user-1000.slice/session-2.scope\n"
                                  "10:cpu,cpuacct:/user.slice\n"
                                  "9:net_cls,net_prio:/\n"
                                  "4:memory:/user.slice/user-1000.slice/session-2.scope\n"
                                  "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
                                  "0::/user.slice/user-1000.slice/session-2.scope\n";

/* What this project's development machines show: separate cpu and cpuacct hierarchies. */
static const char separate_text[] = "9:name=systemd:/\n"
                                    "8:pids:/\n"
                                    "4:memory:/process_api/f65a009b277a20e22c06dc7d9e794119\n"
                                    "2:cpuacct:/\n"
                                    "1:cpu:/\n"
                                    "0::/\n";

static const char unified_text[] = "0::/system.slice/nanoletd.service\n";

static const char legacy_text[] = "5:memory:/a\n"
                                  "4:cpu,cpuacct:/b\n"
                                  "1:name=systemd:/c"; /* no final newline */

struct proc_case {
	const char *name;
	const char *text;
	const char *controller; /* NULL: the unified entry */
	int rc;
	const char *path; /* only when rc == 0 */
};

static const struct proc_case proc_cases[] = {
        {"hybrid unified", hybrid_text, NULL, 0, "/user.slice/user-1000.slice/session-2.scope"},
        {"hybrid memory", hybrid_text, "memory", 0, "/user.slice/user-1000.slice/session-2.scope"},
        {"hybrid first of joined", hybrid_text, "cpu", 0, "/user.slice"},
        {"hybrid second of joined", hybrid_text, "cpuacct", 0, "/user.slice"},
        {"hybrid joined net", hybrid_text, "net_prio", 0, "/"},
        {"hybrid named hierarchy", hybrid_text, "name=systemd", 0,
         "/user.slice/user-1000.slice/session-2.scope"},
        {"hybrid first line", hybrid_text, "rdma", 0, "/"},
        {"hybrid missing controller", hybrid_text, "blkio", -ENOENT, NULL},
        {"hybrid name needs name=", hybrid_text, "systemd", -ENOENT, NULL},
        {"prefix of a joined name", hybrid_text, "cpuacc", -ENOENT, NULL},
        {"joined pair is not a name", hybrid_text, "cpu,cpuacct", -ENOENT, NULL},
        {"separate cpu", separate_text, "cpu", 0, "/"},
        {"separate cpuacct", separate_text, "cpuacct", 0, "/"},
        {"separate memory", separate_text, "memory", 0,
         "/process_api/f65a009b277a20e22c06dc7d9e794119"},
        {"separate unified", separate_text, NULL, 0, "/"},
        {"pure v2", unified_text, NULL, 0, "/system.slice/nanoletd.service"},
        {"pure v2 has no memory line", unified_text, "memory", -ENOENT, NULL},
        {"legacy has no unified line", legacy_text, NULL, -ENOENT, NULL},
        {"legacy last line without newline", legacy_text, "name=systemd", 0, "/c"},
        {"legacy joined", legacy_text, "cpuacct", 0, "/b"},
        {"path with colon", "0::/a:b\n", NULL, 0, "/a:b"},
        {"malformed lines skipped", "garbage\n3:memory\n\n3:memory:/m\n", "memory", 0, "/m"},
        {"empty text", "", NULL, -ENOENT, NULL},
        {"empty text, controller", "", "memory", -ENOENT, NULL},
};

START_TEST(test_path_from_proc)
{
	const struct proc_case *c = &proc_cases[_i];
	_cleanup_free_ char *path = NULL;
	int r = 12345;

	path = cgroup_path_from_proc(c->text, c->controller, &r);
	ck_assert_msg(r == c->rc, "%s: r %d, expected %d", c->name, r, c->rc);
	if (c->rc == 0) {
		ck_assert_msg(path != NULL, "%s: no path", c->name);
		ck_assert_msg(strcmp(path, c->path) == 0, "%s: path \"%s\", expected \"%s\"",
		              c->name, path, c->path);
	} else {
		ck_assert_msg(path == NULL, "%s: path \"%s\" on failure", c->name, path);
	}
}
END_TEST

START_TEST(test_path_from_proc_null_r)
{
	_cleanup_free_ char *found = cgroup_path_from_proc(unified_text, NULL, NULL);
	_cleanup_free_ char *missing = cgroup_path_from_proc(unified_text, "memory", NULL);

	ck_assert_str_eq(found, "/system.slice/nanoletd.service");
	ck_assert_ptr_null(missing);
}
END_TEST

/* ---- cgroup_mode_name --------------------------------------------------------------------- */

START_TEST(test_mode_name)
{
	static const struct {
		enum cgroup_mode mode;
		const char *name;
	} rows[] = {
	        {CGROUP_MODE_UNIFIED, "unified"},
	        {CGROUP_MODE_HYBRID, "hybrid"},
	        {CGROUP_MODE_LEGACY, "legacy"},
	        {(enum cgroup_mode)42, "unknown"},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++)
		ck_assert_str_eq(cgroup_mode_name(rows[i].mode), rows[i].name);
}
END_TEST

/* ---- cgroup_detect ------------------------------------------------------------------------ */

static bool fs_is(const char *path, unsigned long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type == magic;
}

/* A line whose controller list is not empty: "4:memory:/x", "1:name=systemd:/". */
static bool has_v1_entry(const char *text)
{
	for (const char *line = text; *line;) {
		const char *colon = strchr(line, ':');
		const char *eol = strchrnul(line, '\n');

		if (colon && colon < eol && colon[1] != ':' && colon + 1 < eol)
			return true;
		line = *eol ? eol + 1 : eol;
	}
	return false;
}

START_TEST(test_detect_this_host)
{
	struct nano_err err = {0};
	struct cgroup_host host;
	enum cgroup_mode expected;
	_cleanup_free_ char *self = NULL;
	_cleanup_free_ char *v2_path = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t len = 0;
	int r, r_v2;

	if (fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
		expected = CGROUP_MODE_UNIFIED;
	else if (fs_is("/sys/fs/cgroup", TMPFS_MAGIC))
		expected = fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)
		                   ? CGROUP_MODE_HYBRID
		                   : CGROUP_MODE_LEGACY;
	else
		ck_abort_msg("/sys/fs/cgroup is neither cgroup2 nor tmpfs on this machine");

	r = cgroup_detect("/sys/fs/cgroup", &host, &err);
	ck_assert_msg(r == 0, "cgroup_detect: %d %s", r, err.message ? err.message : "");
	ck_assert_str_eq(cgroup_mode_name(host.mode), cgroup_mode_name(expected));
	ck_assert(host.unified_mounted == (expected != CGROUP_MODE_LEGACY));
	ck_assert_ptr_null(err.message);

	/* The kernel's own view must agree: a v2 entry ("0::") wherever cgroup2 is mounted, and
	 * v1 entries (a controller list) exactly when v1 hierarchies are. */
	f = fopen("/proc/self/cgroup", "re");
	ck_assert_ptr_nonnull(f);
	ck_assert(getdelim(&self, &len, '\0', f) > 0);
	v2_path = cgroup_path_from_proc(self, NULL, &r_v2);
	if (host.unified_mounted)
		ck_assert_msg(r_v2 == 0, "cgroup2 mounted but no 0:: entry in\n%s", self);
	ck_assert_msg(has_v1_entry(self) == (host.mode != CGROUP_MODE_UNIFIED),
	              "mode %s but /proc/self/cgroup is\n%s", cgroup_mode_name(host.mode), self);
	nano_err_clear(&err);
}
END_TEST

static char *make_tmpdir(const char *parent)
{
	char *dir = strdupf("%s/nanolet-test-cgroup-XXXXXX", parent);

	if (dir && !mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* A plain directory is no cgroup mount: refused, and the message says which path. */
START_TEST(test_detect_plain_directory)
{
	static const char *const parents[] = {"/var/tmp", "/tmp", "."};
	struct nano_err err = {0};
	struct cgroup_host host = {.mode = CGROUP_MODE_UNIFIED};
	_cleanup_free_ char *dir = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(parents) && !dir; i++) {
		if (fs_is(parents[i], TMPFS_MAGIC) || fs_is(parents[i], CGROUP2_SUPER_MAGIC))
			continue;
		dir = make_tmpdir(parents[i]);
	}
	if (!dir)
		ck_abort_msg("no directory outside tmpfs to test with");

	r = cgroup_detect(dir, &host, &err);
	rmdir(dir);
	ck_assert_int_eq(r, -ENOTSUP);
	ck_assert_int_eq(err.errnum, ENOTSUP);
	ck_assert_ptr_nonnull(err.message);
	ck_assert_msg(strstr(err.message, dir), "message \"%s\" does not name %s", err.message,
	              dir);
	nano_err_clear(&err);
}
END_TEST

/* A tmpfs without cgroup2 at unified/ is the legacy layout, even with a directory there. */
START_TEST(test_detect_tmpfs_is_legacy)
{
	struct nano_err err = {0};
	struct cgroup_host host = {.mode = CGROUP_MODE_UNIFIED, .unified_mounted = true};
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *unified = NULL;
	int r;

	if (!fs_is("/dev/shm", TMPFS_MAGIC))
		return; /* no tmpfs to borrow on this machine */
	dir = make_tmpdir("/dev/shm");
	ck_assert_ptr_nonnull(dir);
	unified = strdupf("%s/unified", dir);
	ck_assert_int_eq(mkdir(unified, 0700), 0);

	r = cgroup_detect(dir, &host, &err);
	rmdir(unified);
	rmdir(dir);
	ck_assert_msg(r == 0, "cgroup_detect: %d %s", r, err.message ? err.message : "");
	ck_assert_str_eq(cgroup_mode_name(host.mode), "legacy");
	ck_assert(!host.unified_mounted);
	nano_err_clear(&err);
}
END_TEST

START_TEST(test_detect_missing)
{
	static const char path[] = "/nonexistent/nanolet/cgroup";
	struct nano_err err = {0};
	struct cgroup_host host;

	ck_assert_int_eq(cgroup_detect(path, &host, &err), -ENOENT);
	ck_assert_int_eq(err.errnum, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, path));
	nano_err_clear(&err);

	/* err is optional */
	ck_assert_int_eq(cgroup_detect(path, &host, NULL), -ENOENT);
}
END_TEST

/* ---- cgroup_roots ------------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum plan_cgroup_driver driver;
	enum cgroup_mode mode;
	const char *root, *root_name, *proc;
	bool lenient;
	int rc;
	const char *want; /* "name=root;...", or a substring of the message */
} roots_cases[] = {
        {"hybrid, cpu and cpuacct joined: each hierarchy under our own cgroup in it",
         PLAN_CGROUP_V1, CGROUP_MODE_HYBRID, NULL, NULL, hybrid_text, false, 0,
         "memory=/user.slice/user-1000.slice/session-2.scope/nanolet;cpu,cpuacct=/user.slice/"
         "nanolet;pids=/user.slice/user-1000.slice/session-2.scope/nanolet;unified=/user.slice/"
         "user-1000.slice/session-2.scope/nanolet"},
        {"a root name (the unit suites')", PLAN_CGROUP_V1, CGROUP_MODE_LEGACY, NULL, "t-1",
         separate_text, false, 0,
         "memory=/process_api/f65a009b277a20e22c06dc7d9e794119/t-1;cpu=/t-1;cpuacct=/t-1;pids=/"
         "t-1"},
        {"an explicit root: one cgroup path in every hierarchy, whatever our own", PLAN_CGROUP_V1,
         CGROUP_MODE_HYBRID, "//kube//pods/", "ignored", hybrid_text, false, 0,
         "memory=/kube/pods;cpu,cpuacct=/kube/pods;pids=/kube/pods;unified=/kube/pods"},
        {"v2 at the hierarchy's root", PLAN_CGROUP_V2, CGROUP_MODE_UNIFIED, NULL, NULL, "0::/\n",
         false, 0, "unified=/nanolet"},
        {"v2 without a 0:: entry", PLAN_CGROUP_V2, CGROUP_MODE_UNIFIED, NULL, NULL, "4:memory:/x\n",
         false, -ENOENT, "no unified (0::) entry"},
        {"v2 without a 0:: entry, lenient (explain): the root cgroup's", PLAN_CGROUP_V2,
         CGROUP_MODE_UNIFIED, NULL, NULL, "4:memory:/x\n", true, 0, "unified=/nanolet"},
        {"v1 without a memory entry", PLAN_CGROUP_V1, CGROUP_MODE_LEGACY, NULL, NULL, "0::/x\n",
         false, -ENOENT, "no memory controller entry"},
};

START_TEST(test_roots)
{
	struct cgroup_roots_options o = {
	        .driver = roots_cases[_i].driver,
	        .host = {.mode = roots_cases[_i].mode,
	                 .unified_mounted = roots_cases[_i].mode != CGROUP_MODE_LEGACY},
	        .root = roots_cases[_i].root,
	        .root_name = roots_cases[_i].root_name,
	        .proc_self_cgroup = roots_cases[_i].proc,
	        .lenient = roots_cases[_i].lenient,
	};
	struct plan_hierarchy *v = NULL;
	struct nano_err err = {0};
	char got[1024] = "";
	size_t n = 0;
	int r = cgroup_roots(&o, &v, &n, &err);

	ck_assert_msg(r == roots_cases[_i].rc, "%s: %d (%s)", roots_cases[_i].name, r,
	              err.message ? err.message : "");
	if (r < 0) {
		ck_assert_ptr_null(v);
		ck_assert_msg(err.message && strstr(err.message, roots_cases[_i].want), "%s: %s",
		              roots_cases[_i].name, err.message ? err.message : "(none)");
		nano_err_clear(&err);
		return;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s=%s", i ? ";" : "",
		         v[i].name, v[i].root);
	ck_assert_msg(strcmp(got, roots_cases[_i].want) == 0, "%s:\n got %s\nwant %s",
	              roots_cases[_i].name, got, roots_cases[_i].want);
	cgroup_roots_free(v, n);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *proc = tcase_create("path_from_proc");
	TCase *detect = tcase_create("detect");

	tcase_add_loop_test(proc, test_path_from_proc, 0, (int)ELEMENTSOF(proc_cases));
	tcase_add_test(proc, test_path_from_proc_null_r);
	tcase_add_test(proc, test_mode_name);
	suite_add_tcase(s, proc);

	tcase_add_test(detect, test_detect_this_host);
	tcase_add_test(detect, test_detect_plain_directory);
	tcase_add_test(detect, test_detect_tmpfs_is_legacy);
	tcase_add_test(detect, test_detect_missing);
	suite_add_tcase(s, detect);

	TCase *roots = tcase_create("roots");
	tcase_add_loop_test(roots, test_roots, 0, (int)ELEMENTSOF(roots_cases));
	suite_add_tcase(s, roots);
	return s;
}

int main(void)
{
	return check_run(cgroup_suite());
}
