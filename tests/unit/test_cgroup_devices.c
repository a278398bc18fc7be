/* tests/unit/test_cgroup_devices.c: device rules enforced by the kernel — the v1 devices
 * hierarchy, and the BPF device filter attached to a cgroup2 cgroup — seen from a child process
 * placed in the cgroup: which devices it may open and which nodes it may make.
 *
 * Each test runs four lists in turn on one container cgroup, a child process probing after each
 * (open /dev/null read-write, /dev/zero write-only, /dev/kmsg read-only; mknod c 1:3 and b 8:0
 * in a temporary directory): the default list, a narrower list that allows /dev/kmsg (which
 * the default denies: a rule left behind by the previous call would deny it still), every
 * device (privileged), and the empty list.
 *
 * v1: the v1 driver's devices hierarchy, with the driver's root "nanolet-test-devices-<pid>"
 * under this process's own cgroup in each hierarchy. v2: the v2 driver on a pure v2 host (the
 * qemu VM: tests/vm/run-v2.sh -- build/test_cgroup_devices), else, on hybrid hosts,
 * cgroup_devices_attach on "nanolet-test-bpf-<pid>/app" under this process's cgroup in the
 * unified hierarchy (/sys/fs/cgroup/unified: no controllers, but device programs attach to any
 * cgroup2 cgroup). Nothing is made anywhere else.
 *
 * Root only (skipped otherwise, and per hierarchy the host lacks). Clean-up runs in the runner
 * process (unchecked fixture) whatever the tests did: it kills what is left in the test
 * cgroups (only children of this file can be there: they also die with their test,
 * PR_SET_PDEATHSIG) and removes them.
 */
#include "check_main.h"
#include <fcntl.h>
#include <ftw.h>
#include <linux/bpf.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "cgroup_fixture.h"
#include "security/security.h"

#define MOUNT "/sys/fs/cgroup"
#define ANY   SECURITY_DEVICE_ANY
#define POD   "pod1"
#define APP   "pod1/app"

static char root_name[64]; /* the drivers' root */
static char bare_name[64]; /* the hybrid v2 test's, apart from the v1 driver's mirror */
static char *nodes_dir;    /* where the children try mknod */
static struct cgroup_host host;
static const char *skip_v1, *skip_v2;

/* This process's cgroup in a hierarchy (NULL: the unified one). */
static char *self_in(const char *controller)
{
	_cleanup_free_ char *text = slurp("/proc/self/cgroup");

	return text ? cgroup_path_from_proc(text, controller, NULL) : NULL;
}

/* The cgroup2 mount: the root on pure v2, unified/ on hybrid hosts. */
static const char *cgroup2_mount(void)
{
	return host.mode == CGROUP_MODE_UNIFIED ? MOUNT : MOUNT "/unified";
}

/* v2 on a hybrid host: <cgroup2 mount><self>/<bare_name> and its app/ leaf, made here. */
static char *bare_dir(const char *leaf)
{
	_cleanup_free_ char *self = self_in(NULL);

	if (!self)
		return NULL;
	return strdupf("%s%s/%s%s%s", cgroup2_mount(), strcmp(self, "/") == 0 ? "" : self,
	               bare_name, leaf ? "/" : "", leaf ? leaf : "");
}

static int open_driver(enum plan_cgroup_driver kind, struct cgroup_driver **d, struct nano_err *err)
{
	struct cgroup_driver_options o = {
	        .mount = MOUNT,
	        .host = host,
	        .driver = kind,
	        .root_name = root_name,
	};

	return cgroup_driver_open(&o, d, err);
}

static void suite_setup(void)
{
	struct nano_err err = {0};
	_cleanup_free_ char *devices_self = NULL;

	snprintf(root_name, sizeof(root_name), "nanolet-test-devices-%d", (int)getpid());
	snprintf(bare_name, sizeof(bare_name), "nanolet-test-bpf-%d", (int)getpid());
	if (geteuid() != 0) {
		skip_v1 = skip_v2 = "not root: the device tests create cgroups and load programs";
		return;
	}
	if (cgroup_detect(MOUNT, &host, &err) < 0) {
		skip_v1 = skip_v2 = "no cgroup hierarchies at " MOUNT;
		nano_err_clear(&err);
		return;
	}
	devices_self = self_in("devices");
	if (host.mode == CGROUP_MODE_UNIFIED)
		skip_v1 = "no cgroup v1 hierarchies on this host";
	else if (!devices_self || access(MOUNT "/devices", F_OK) < 0)
		skip_v1 = "no cgroup v1 devices hierarchy on this host";
	if (!host.unified_mounted)
		skip_v2 = "no cgroup2 hierarchy on this host";
	nodes_dir = strdup("/tmp/nanolet-devnodes-XXXXXX");
	if (!nodes_dir || !mkdtemp(nodes_dir))
		skip_v1 = skip_v2 = "no temporary directory for the mknod probes";
}

static void kill_and_remove(enum plan_cgroup_driver kind)
{
	_cleanup_cgroup_driver_ struct cgroup_driver *d = NULL;
	struct nano_err err = {0};

	if (open_driver(kind, &d, &err) < 0) {
		fprintf(stderr, "clean-up: open: %s\n", err.message);
		nano_err_clear(&err);
		return;
	}
	cgroup_fixture_clean_up(d);
}

/* The bare cgroup2 cgroups of the hybrid v2 test: SIGKILL what is in app (our children
 * only), then rmdir app and the root, retrying while the kernel frees them. */
static void remove_bare(void)
{
	_cleanup_free_ char *app = bare_dir("app"), *root = bare_dir(NULL);
	_cleanup_free_ char *procs = app ? strdupf("%s/cgroup.procs", app) : NULL;
	_cleanup_free_ char *pids = procs ? slurp(procs) : NULL;

	for (char *p = pids; p && *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		p = end + strspn(end, "\n");
	}
	for (int i = 0; i < 200; i++) {
		if ((!app || rmdir(app) == 0 || errno == ENOENT) &&
		    (!root || rmdir(root) == 0 || errno == ENOENT))
			return;
		sleep_ms(10);
	}
	fprintf(stderr, "clean-up: %s: %s\n", root, strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void suite_teardown(void)
{
	if (!skip_v1)
		kill_and_remove(PLAN_CGROUP_V1);
	if (!skip_v2 && host.mode == CGROUP_MODE_UNIFIED)
		kill_and_remove(PLAN_CGROUP_V2);
	else if (!skip_v2)
		remove_bare();
	if (nodes_dir)
		nftw(nodes_dir, rm_one, 4, FTW_DEPTH | FTW_PHYS);
	free(nodes_dir);
}

#define SKIP_IF(reason)                                                                            \
	do {                                                                                       \
		if (reason) {                                                                      \
			fprintf(stderr, "SKIP %s: %s\n", __func__, reason);                        \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* ---- the probes --------------------------------------------------------------------------- */

enum probe_op { OPEN, MKNOD };

struct probe {
	const char *name;
	enum probe_op op;
	const char *path; /* OPEN: a node; MKNOD: a name in nodes_dir */
	int flags;        /* OPEN */
	mode_t type;      /* MKNOD */
	unsigned major, minor;
};

static const struct probe probes[] = {
        {"open /dev/null rw", OPEN, "/dev/null", O_RDWR, 0, 0, 0},
        {"open /dev/zero w", OPEN, "/dev/zero", O_WRONLY, 0, 0, 0},
        {"open /dev/kmsg r", OPEN, "/dev/kmsg", O_RDONLY | O_NONBLOCK, 0, 0, 0},
        {"mknod c 1:3", MKNOD, "null", 0, S_IFCHR, 1, 3},
        {"mknod b 8:0", MKNOD, "sda", 0, S_IFBLK, 8, 0},
};

#define N_PROBES ELEMENTSOF(probes)

/* In the child: 0 or the errno of each probe. A node made is removed at once. */
static void run_probes(int results[N_PROBES])
{
	for (size_t i = 0; i < N_PROBES; i++) {
		const struct probe *p = &probes[i];
		char path[256];
		int fd;

		results[i] = 0;
		if (p->op == OPEN) {
			fd = open(p->path, p->flags | O_CLOEXEC | O_NOCTTY);
			if (fd < 0)
				results[i] = errno;
			else
				close(fd);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s-%d", nodes_dir, p->path, (int)getpid());
		if (mknod(path, p->type | 0600, makedev(p->major, p->minor)) < 0)
			results[i] = errno;
		else
			unlink(path);
	}
}

/* How to put the child into the container's cgroup. */
struct target {
	struct cgroup_driver *driver; /* NULL: write the pid into procs */
	const char *procs;
};

/* Forks a child, places it, lets it probe, returns its results. */
static void probe_in(const struct target *t, int results[N_PROBES])
{
	int go[2], out[2], status;
	char c = 'x';
	pid_t pid;

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r[N_PROBES];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		run_probes(r);
		_exit(write(out[1], r, sizeof(r)) == sizeof(r) ? 0 : 126);
	}
	close(go[0]);
	close(out[1]);
	if (t->driver) {
		struct nano_err err = {0};
		int r = cgroup_driver_place(t->driver, APP, pid, &err);

		ck_assert_msg(r == 0, "place: %s", err.message);
	} else {
		_cleanup_close_ int fd = open(t->procs, O_WRONLY | O_CLOEXEC);
		char value[32];

		ck_assert_msg(fd >= 0, "open %s: %s", t->procs, strerror(errno));
		snprintf(value, sizeof(value), "%d", (int)pid);
		ck_assert_msg(write(fd, value, strlen(value)) == (ssize_t)strlen(value),
		              "write %s: %s", t->procs, strerror(errno));
	}
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	close(go[1]);
	ck_assert_int_eq(read(out[0], results, sizeof(int) * N_PROBES),
	                 (ssize_t)(sizeof(int) * N_PROBES));
	close(out[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status 0x%x", status);
}

/* ---- the lists, in the order they are applied --------------------------------------------- */

static const struct security_device narrower[] = {
        {'c', 1, 3, "rwm", NULL, 0},
        {'c', 1, 5, "r", NULL, 0},   /* zero: read only */
        {'c', 1, 11, "r", NULL, 0},  /* kmsg: the default denies it */
        {'b', ANY, 1, "m", NULL, 0}, /* a wildcard major; 8:0 is still denied */
};

struct step {
	const char *name;
	const struct security_device *list;
	size_t n;
	bool is_default, is_all;
	int expect[N_PROBES]; /* 0 or the errno, in the order of probes[] */
	const char *v1_list;  /* devices.list after it */
	unsigned v2_programs; /* device programs attached to the cgroup after it */
};

static const struct step steps[] = {
        {"the default list",
         NULL,
         0,
         true,
         false,
         {0, 0, EPERM, 0, EPERM},
         "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\n"
         "c 136:* rwm\n",
         1},
        {"a narrower list replaces it",
         narrower,
         ELEMENTSOF(narrower),
         false,
         false,
         {0, EPERM, 0, 0, EPERM},
         "c 1:3 rwm\nc 1:5 r\nc 1:11 r\nb *:1 m\n",
         1},
        {"privileged", NULL, 0, false, true, {0, 0, 0, 0, 0}, "a *:* rwm\n", 0},
        {"the empty list", NULL, 0, false, false, {EPERM, EPERM, EPERM, EPERM, EPERM}, "", 1},
};

static const struct security_device *list_of(const struct step *s, size_t *n)
{
	if (s->is_default)
		return security_devices_default(n);
	if (s->is_all)
		return security_devices_all(n);
	*n = s->n;
	return s->list;
}

static void assert_probes(const struct step *s, const int got[N_PROBES])
{
	for (size_t i = 0; i < N_PROBES; i++)
		ck_assert_msg(got[i] == s->expect[i], "%s: %s: %s, expected %s", s->name,
		              probes[i].name, got[i] ? strerror(got[i]) : "allowed",
		              s->expect[i] ? strerror(s->expect[i]) : "allowed");
}

/* What the probes need of the node itself, outside any device rule. */
static void assert_probes_possible(void)
{
	for (size_t i = 0; i < N_PROBES; i++) {
		_cleanup_close_ int fd = -1;

		if (probes[i].op != OPEN)
			continue;
		fd = open(probes[i].path, probes[i].flags | O_CLOEXEC | O_NOCTTY);
		ck_assert_msg(fd >= 0, "%s outside the test cgroup: %s", probes[i].name,
		              strerror(errno));
	}
}

/* ---- v1 ----------------------------------------------------------------------------------- */

START_TEST(test_v1_devices_hierarchy)
{
	SKIP_IF(skip_v1);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = NULL;
	_cleanup_free_ char *dir = NULL;
	struct nano_err err = {0};
	struct target t;
	int r;

	assert_probes_possible();
	r = open_driver(PLAN_CGROUP_V1, &d, &err);
	ck_assert_msg(r == 0, "open: %s", err.message);
	ck_assert_int_eq(cgroup_driver_create(d, POD, CGROUP_NODE_INNER, &err), 0);
	ck_assert_int_eq(cgroup_driver_create(d, APP, CGROUP_NODE_LEAF, &err), 0);
	ck_assert_int_eq(cgroup_driver_dir(d, "devices", APP, &dir), 0);
	t = (struct target){.driver = d};

	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		const struct step *s = &steps[i];
		_cleanup_free_ char *list_path = strdupf("%s/devices.list", dir);
		_cleanup_free_ char *list_text = NULL;
		int got[N_PROBES];
		size_t n;
		const struct security_device *list = list_of(s, &n);

		r = cgroup_driver_devices(d, APP, list, n, &err);
		ck_assert_msg(r == 0, "%s: %d %s", s->name, r, err.message);
		list_text = slurp(list_path);
		ck_assert_msg(list_text && strcmp(list_text, s->v1_list) == 0,
		              "%s: devices.list \"%s\", expected \"%s\"", s->name, list_text,
		              s->v1_list);
		probe_in(&t, got);
		assert_probes(s, got);
	}
}
END_TEST

/* ---- v2 ----------------------------------------------------------------------------------- */

static unsigned attached_programs(int cgroup_fd)
{
	union bpf_attr attr;
	uint32_t ids[64];

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = ELEMENTSOF(ids);
	ck_assert_msg(syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) == 0,
	              "BPF_PROG_QUERY: %s", strerror(errno));
	return attr.query.prog_cnt;
}

START_TEST(test_v2_device_filter)
{
	SKIP_IF(skip_v2);
	_cleanup_cgroup_driver_ struct cgroup_driver *d = NULL;
	_cleanup_free_ char *dir = NULL, *procs = NULL;
	_cleanup_close_ int fd = -1;
	struct nano_err err = {0};
	struct target t = {0};
	int r;

	assert_probes_possible();
	if (host.mode == CGROUP_MODE_UNIFIED) {
		r = open_driver(PLAN_CGROUP_V2, &d, &err);
		ck_assert_msg(r == 0, "open: %s", err.message);
		ck_assert_int_eq(cgroup_driver_create(d, POD, CGROUP_NODE_INNER, &err), 0);
		ck_assert_int_eq(cgroup_driver_create(d, APP, CGROUP_NODE_LEAF, &err), 0);
		ck_assert_int_eq(cgroup_driver_dir(d, NULL, APP, &dir), 0);
		t.driver = d;
	} else {
		_cleanup_free_ char *root = bare_dir(NULL);

		dir = bare_dir("app");
		ck_assert_ptr_nonnull(dir);
		ck_assert_msg(mkdir(root, 0755) == 0, "mkdir %s: %s", root, strerror(errno));
		ck_assert_msg(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
		procs = strdupf("%s/cgroup.procs", dir);
		t.procs = procs;
	}
	fprintf(stderr, "v2 device filter on %s (%s)\n", dir,
	        d ? "the v2 driver" : "cgroup_devices_attach, hybrid host");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);

	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		const struct step *s = &steps[i];
		int got[N_PROBES];
		size_t n;
		const struct security_device *list = list_of(s, &n);

		if (d)
			r = cgroup_driver_devices(d, APP, list, n, &err);
		else
			r = cgroup_devices_attach(fd, list, n, &err);
		ck_assert_msg(r == 0, "%s: %d %s", s->name, r, err.message);
		ck_assert_msg(attached_programs(fd) == s->v2_programs,
		              "%s: %u programs attached, expected %u", s->name,
		              attached_programs(fd), s->v2_programs);
		probe_in(&t, got);
		assert_probes(s, got);
	}
}
END_TEST

static Suite *cgroup_devices_suite(void)
{
	Suite *s = suite_create("cgroup_devices");
	TCase *tc = tcase_create("this kernel");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_v1_devices_hierarchy);
	tcase_add_test(tc, test_v2_device_filter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(cgroup_devices_suite());
}
