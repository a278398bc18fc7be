/* tests/unit/test_cgroup_v1_devices.c: the v1 driver's devices hierarchy against a fake
 * cgroupfs in a temporary directory — where the driver puts its cgroups there, and what
 * cgroup_driver_devices writes into devices.deny and devices.allow.
 *
 * The fake tree is six plain directories standing for the v1 hierarchies, and the text of a
 * /proc/self/cgroup placing this process in each. mkdir on tmpfs makes no control files, so
 * the driver's on_mkdir seam makes cgroup.procs (and devices.deny, devices.allow in the devices
 * hierarchy), and on_rmdir (fake_tree_rmdir) removes them before the driver's rmdir. The driver
 * appends to devices files (cgroupfs ignores O_APPEND), so a fake file holds every value written,
 * in order; inotify on the container's directory says which file was written when.
 *
 * Everything lives under one mkdtemp directory that the runner process (unchecked fixture)
 * makes and removes. No real cgroup is touched: test_cgroup_devices.c does that, as root.
 */
#include "check_main.h"
#include <dirent.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "cgroup/cgroup.h"
#include "cgroup_fixture.h"
#include "tmp_fixture.h"
#include "security/security.h"

#define ANY SECURITY_DEVICE_ANY
#define APP "besteffort/pod1/app"

TMP_FIXTURE("/tmp/nanolet-cgdev-XXXXXX")

/* ---- the fake tree ------------------------------------------------------------------------ */

static const char *const hierarchies[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"};

/* This process: memory under a session, devices under a slice, the rest at the root, so that
 * the root is resolved per hierarchy. */
static const char proc_text[] = "7:name=systemd:/\n"
                                "6:devices:/user.slice\n"
                                "5:freezer:/\n"
                                "4:pids:/\n"
                                "3:memory:/process_api/abc\n"
                                "2:cpuacct:/\n"
                                "1:cpu:/\n"
                                "0::/\n";

enum fake_devices {
	DEVICES_MOUNTED,
	DEVICES_NO_DIRECTORY, /* /proc/self/cgroup has a devices line, the mount has no dir */
	DEVICES_NO_LINE,      /* a devices directory, but no hierarchy in /proc/self/cgroup */
};

struct fake {
	char *mount;
	char *proc_text;
	struct cgroup_driver_options options;
};

#define assert_file(dir, file, expected)                                                           \
	do {                                                                                       \
		_cleanup_free_ char *_got = get(dir, file);                                        \
		ck_assert_msg(_got != NULL, "%s/%s is missing", dir, file);                        \
		ck_assert_msg(strcmp(_got, expected) == 0, "%s/%s: \"%s\", expected \"%s\"", dir,  \
		              file, _got, expected);                                               \
	} while (0)

static void on_mkdir(const char *dir, void *userdata)
{
	struct fake *f = userdata;
	_cleanup_free_ char *devices = strdupf("%s/devices/", f->mount);

	put(dir, "cgroup.procs", "");
	if (strncmp(dir, devices, strlen(devices)) == 0) {
		put(dir, "devices.deny", "");
		put(dir, "devices.allow", "");
	}
}

static void fake_init(struct fake *f, enum fake_devices devices)
{
	memset(f, 0, sizeof(*f));
	f->mount = strdupf("%s/mount-XXXXXX", tmp_base);
	ck_assert_ptr_nonnull(mkdtemp(f->mount));
	for (size_t i = 0; i < ELEMENTSOF(hierarchies); i++) {
		_cleanup_free_ char *dir = strdupf("%s/%s", f->mount, hierarchies[i]);

		if (strcmp(hierarchies[i], "devices") == 0 && devices == DEVICES_NO_DIRECTORY)
			continue;
		ck_assert_int_eq(mkdir(dir, 0755), 0);
	}
	f->proc_text = strdup(proc_text);
	if (devices == DEVICES_NO_LINE) {
		char *line = strstr(f->proc_text, "6:devices:");

		memmove(line, strchr(line, '\n') + 1, strlen(strchr(line, '\n') + 1) + 1);
	}
	f->options = (struct cgroup_driver_options){
	        .mount = f->mount,
	        .host = {.mode = CGROUP_MODE_LEGACY},
	        .driver = PLAN_CGROUP_V1,
	        .proc_self_cgroup = f->proc_text,
	        .on_mkdir = on_mkdir,
	        .on_rmdir = fake_tree_rmdir,
	        .userdata = f,
	};
}

static void fake_done(struct fake *f)
{
	free(f->mount);
	free(f->proc_text);
}

static struct cgroup_driver *open_ok(struct fake *f)
{
	struct nano_err err = {0};
	struct cgroup_driver *d = NULL;
	int r = cgroup_driver_open(&f->options, &d, &err);

	ck_assert_msg(r == 0, "open: %d %s", r, err.message ? err.message : "");
	return d;
}

static void create_ok(struct cgroup_driver *d, const char *rel, enum cgroup_node node)
{
	struct nano_err err = {0};
	int r = cgroup_driver_create(d, rel, node, &err);

	ck_assert_msg(r == 0, "create %s: %s", rel, err.message);
}

static void create_app(struct cgroup_driver *d)
{
	create_ok(d, "besteffort/pod1", CGROUP_NODE_INNER);
	create_ok(d, APP, CGROUP_NODE_LEAF);
}

/* ---- where the devices hierarchy is ------------------------------------------------------- */

START_TEST(test_joins_devices)
{
	struct fake f;
	fake_init(&f, DEVICES_MOUNTED);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_strv_ char **files = NULL;
	_cleanup_free_ char *dir = NULL, *want = NULL, *pod = NULL;
	struct nano_err err = {0};

	create_app(d);
	ck_assert_int_eq(cgroup_driver_dir(d, "devices", APP, &dir), 0);
	want = strdupf("%s/devices/user.slice/nanolet/" APP, f.mount);
	ck_assert_str_eq(dir, want);
	ck_assert_int_eq(access(dir, F_OK), 0);
	/* the memory hierarchy still names the root */
	ck_assert_str_eq(cgroup_driver_root(d), "/process_api/abc/nanolet");

	ck_assert_int_eq(cgroup_driver_procs_files(d, APP, &files, &err), 0);
	ck_assert_uint_eq(strv_len(files), ELEMENTSOF(hierarchies));
	for (size_t i = 0; i < ELEMENTSOF(hierarchies); i++) {
		_cleanup_free_ char *self = cgroup_path_from_proc(proc_text, hierarchies[i], NULL);
		_cleanup_free_ char *procs =
		        strdupf("%s/%s%s/nanolet/" APP "/cgroup.procs", f.mount, hierarchies[i],
		                strcmp(self, "/") == 0 ? "" : self);

		ck_assert_str_eq(files[i], procs);
	}

	ck_assert_msg(cgroup_driver_remove(d, "besteffort/pod1", &err) == 0, "%s", err.message);
	pod = strdupf("%s/devices/user.slice/nanolet/besteffort/pod1", f.mount);
	ck_assert_int_eq(access(pod, F_OK), -1);
	fake_done(&f);
}
END_TEST

/* Without a devices hierarchy the driver still runs pods, but refuses to pretend it confines
 * their devices; allowing every device is fine. */
START_TEST(test_without_devices)
{
	struct fake f;
	fake_init(&f, _i == 0 ? DEVICES_NO_DIRECTORY : DEVICES_NO_LINE);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_strv_ char **files = NULL;
	_cleanup_free_ char *dir = NULL;
	struct nano_err err = {0};
	const struct security_device *list;
	size_t n;

	create_app(d);
	ck_assert_int_eq(cgroup_driver_dir(d, "devices", APP, &dir), -ENOENT);
	ck_assert_int_eq(cgroup_driver_procs_files(d, APP, &files, &err), 0);
	ck_assert_uint_eq(strv_len(files), ELEMENTSOF(hierarchies) - 1);
	for (size_t i = 0; files[i]; i++)
		ck_assert_ptr_null(strstr(files[i], "/devices/"));

	list = security_devices_default(&n);
	ck_assert_int_eq(cgroup_driver_devices(d, APP, list, n, &err), -EOPNOTSUPP);
	ck_assert_int_eq(err.errnum, EOPNOTSUPP);
	ck_assert_msg(strstr(err.message, "devices hierarchy") && strstr(err.message, APP),
	              "message: %s", err.message);
	nano_err_clear(&err);
	/* every device allowed (privileged) is what such a host gives anyway */
	list = security_devices_all(&n);
	ck_assert_int_eq(cgroup_driver_devices(d, APP, list, n, &err), 0);
	fake_done(&f);
}
END_TEST

/* ---- what is written ---------------------------------------------------------------------- */

static const struct security_device narrow[] = {
        {'c', 1, 8, "r", NULL, 0}, {'b', ANY, 1, "m", NULL, 0}, {'c', 4, ANY, "wr", NULL, 0}};
static const struct security_device with_all[] = {
        {'c', 1, 3, "rwm", NULL, 0}, {'a', ANY, ANY, "rwm", NULL, 0}, {'b', 8, 0, "r", NULL, 0}};

struct write_case {
	const char *name;
	const struct security_device *list;
	size_t n;
	bool is_default, is_all;
	const char *deny, *allow;
	const char *order[3]; /* the files written, in order */
};

static const struct write_case write_cases[] = {
        {"the default list: deny all, then each rule",
         NULL,
         0,
         true,
         false,
         "a\n",
         "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\n"
         "c 136:* rwm\n",
         {"devices.deny", "devices.allow"}},
        {"subsets of rwm and wildcards",
         narrow,
         ELEMENTSOF(narrow),
         false,
         false,
         "a\n",
         "c 1:8 r\nb *:1 m\nc 4:* wr\n",
         {"devices.deny", "devices.allow"}},
        {"the empty list: deny all alone", NULL, 0, false, false, "a\n", "", {"devices.deny"}},
        {"privileged: allow all, deny nothing",
         NULL,
         0,
         false,
         true,
         "",
         "a *:* rwm\n",
         {"devices.allow"}},
        {"an 'a' among others: allow all alone",
         with_all,
         ELEMENTSOF(with_all),
         false,
         false,
         "",
         "a *:* rwm\n",
         {"devices.allow"}},
};

/* The names of the files modified in dir since the watch, consecutive repeats once. */
static char **modified(int ifd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char **names = NULL;
	ssize_t len;

	while ((len = read(ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			size_t n = strv_len(names);

			if (ev->len && (n == 0 || strcmp(names[n - 1], ev->name) != 0))
				ck_assert_int_eq(strv_push(&names, strdup(ev->name)), 0);
			p += sizeof(*ev) + ev->len;
		}
	}
	return names;
}

static int watch(const char *dir)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	ck_assert_int_ge(ifd, 0);
	ck_assert_int_ge(inotify_add_watch(ifd, dir, IN_MODIFY), 0);
	return ifd;
}

START_TEST(test_writes)
{
	const struct write_case *c = &write_cases[_i];
	struct fake f;
	fake_init(&f, DEVICES_MOUNTED);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *dir = NULL;
	_cleanup_strv_ char **order = NULL;
	_cleanup_close_ int ifd = -1;
	struct nano_err err = {0};
	const struct security_device *list = c->list;
	size_t n = c->n, i;
	int r;

	if (c->is_default)
		list = security_devices_default(&n);
	if (c->is_all)
		list = security_devices_all(&n);
	create_app(d);
	ck_assert_int_eq(cgroup_driver_dir(d, "devices", APP, &dir), 0);
	ifd = watch(dir);

	r = cgroup_driver_devices(d, APP, list, n, &err);
	ck_assert_msg(r == 0, "%s: %d %s", c->name, r, err.message);
	assert_file(dir, "devices.deny", c->deny);
	assert_file(dir, "devices.allow", c->allow);
	order = modified(ifd);
	for (i = 0; i < ELEMENTSOF(c->order) && c->order[i]; i++)
		ck_assert_msg(i < strv_len(order) && strcmp(order[i], c->order[i]) == 0,
		              "%s: write %zu went to %s, expected %s", c->name, i,
		              i < strv_len(order) ? order[i] : "nothing", c->order[i]);
	ck_assert_msg(strv_len(order) == i, "%s: %zu files written, expected %zu", c->name,
	              strv_len(order), i);
	fake_done(&f);
}
END_TEST

/* A list that cannot be enforced as written, or a bad cgroup: refused before anything is
 * written. */
START_TEST(test_refuses_before_writing)
{
	static const struct security_device bad[] = {{'c', 1, 3, "rwm", NULL, 0},
	                                             {'c', 1, 5, "rwx", NULL, 0}};
	struct fake f;
	fake_init(&f, DEVICES_MOUNTED);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = open_ok(&f);
	_cleanup_free_ char *dir = NULL;
	_cleanup_strv_ char **order = NULL;
	_cleanup_close_ int ifd = -1;
	struct nano_err err = {0};
	const struct security_device *list;
	size_t n;

	create_app(d);
	ck_assert_int_eq(cgroup_driver_dir(d, "devices", APP, &dir), 0);
	ifd = watch(dir);

	ck_assert_int_eq(cgroup_driver_devices(d, APP, bad, ELEMENTSOF(bad), &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "'rwx'"));
	nano_err_clear(&err);
	list = security_devices_default(&n);
	ck_assert_int_eq(cgroup_driver_devices(d, "besteffort/../pod1", list, n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "besteffort/../pod1"));
	nano_err_clear(&err);
	/* a cgroup that was never made: the open fails and says where */
	ck_assert_int_eq(cgroup_driver_devices(d, "besteffort/pod2/app", list, n, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, "besteffort/pod2/app"));
	nano_err_clear(&err);

	order = modified(ifd);
	ck_assert_uint_eq(strv_len(order), 0);
	assert_file(dir, "devices.deny", "");
	assert_file(dir, "devices.allow", "");
	fake_done(&f);
}
END_TEST

static Suite *cgroup_v1_devices_suite(void)
{
	Suite *s = suite_create("cgroup_v1_devices");
	TCase *tc = tcase_create("fake tree");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_joins_devices);
	tcase_add_loop_test(tc, test_without_devices, 0, 2);
	tcase_add_loop_test(tc, test_writes, 0, (int)ELEMENTSOF(write_cases));
	tcase_add_test(tc, test_refuses_before_writing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(cgroup_v1_devices_suite());
}
