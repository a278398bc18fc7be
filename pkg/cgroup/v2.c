/* pkg/cgroup/v2.c: what only the unified hierarchy has — controller delegation through
 * cgroup.subtree_control, the v2 files of a plan, cgroup.kill (with the cgroup.freeze fallback
 * of kernels before 5.14) and "populated" in cgroup.events. v1.c uses the last two on the
 * unified mirror of hybrid hosts.
 *
 * The rules it keeps (Documentation/admin-guide/cgroup-v2.rst): a controller can be enabled in
 * a cgroup's subtree_control only if its parent enabled it (it is in cgroup.controllers); a
 * non-root cgroup with controllers enabled for its children holds no processes ("no internal
 * processes"), so the root and the pods are inner nodes and processes live in the leaves.
 *
 * This file must not write above the delegated cgroup (this process's own, or / for an
 * explicit root outside it), nor enable controllers in a leaf.
 */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>

/* What nanolet's plans write: memory.*, cpu.*, pids.*. */
static const char *const wanted_controllers[] = {"cpu", "memory", "pids"};

static bool word_in(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += len) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\n';
		bool end = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';

		if (start && end)
			return true;
	}
	return false;
}

int cgroup_v2_enable(const struct cgroup_driver *d, const char *dir, struct nano_err *err)
{
	_cleanup_free_ char *enabled = NULL;
	char missing[64] = "";
	int r;

	r = cgroupfs_read(dir, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return nano_err_set(err, -r, "read %s/cgroup.subtree_control: %s", dir,
		                    strerror(-r));
	for (size_t i = 0; i < ELEMENTSOF(wanted_controllers); i++) {
		if (!word_in(d->controllers, wanted_controllers[i]) ||
		    word_in(enabled, wanted_controllers[i]))
			continue;
		if (*missing)
			strcat(missing, " ");
		strcat(missing, "+");
		strcat(missing, wanted_controllers[i]);
	}
	if (!*missing)
		return 0;
	r = cgroupfs_write(dir, "cgroup.subtree_control", missing);
	if (r == -EBUSY)
		return nano_err_set(err, EBUSY,
		                    "write '%s' to %s/cgroup.subtree_control: %s: the cgroup holds "
		                    "processes, and cgroup v2 enables controllers only in cgroups "
		                    "without any (move them into a leaf first)",
		                    missing, dir, strerror(EBUSY));
	if (r < 0)
		return nano_err_set(err, -r, "write '%s' to %s/cgroup.subtree_control: %s", missing,
		                    dir, strerror(-r));
	log_debug("%s/cgroup.subtree_control: %s", dir, missing);
	return 0;
}

/* Moves this process into <ddir>/<leaf>, so that ddir holds no process of ours. */
static int move_self_to_leaf(struct cgroup_driver *d, const char *ddir, const char *leaf,
                             struct nano_err *err)
{
	_cleanup_free_ char *dir = strdupf("%s/%s", ddir, leaf);
	char pid[32];
	int r;

	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = cgroupfs_mkdir_p(d, ddir, leaf, err);
	if (r < 0)
		return r;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	r = cgroupfs_write(dir, "cgroup.procs", pid);
	if (r < 0)
		return nano_err_set(err, -r, "write %s to %s/cgroup.procs: %s", pid, dir,
		                    strerror(-r));
	log_info("moved this process into %s (cgroup v2: no processes in inner cgroups)", dir);
	return 0;
}

int cgroup_v2_delegate(struct cgroup_driver *d, const char *delegated, const char *self_leaf,
                       struct nano_err *err)
{
	const struct cgroup_hierarchy *h = &d->hier[0];
	_cleanup_free_ char *controllers = NULL, *ddir = NULL, *dir = NULL;
	char enable[64] = "";
	int r;

	ddir = strcmp(delegated, "/") == 0 ? strdup(h->mount_dir)
	                                   : strdupf("%s%s", h->mount_dir, delegated);
	if (!ddir)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = cgroupfs_read(ddir, "cgroup.controllers", &controllers);
	if (r < 0)
		return nano_err_set(err, -r, "read %s/cgroup.controllers: %s", ddir, strerror(-r));
	/* Every controller a plan writes must be ours: a pod without its memory.max would run
	 * unlimited while its plan says otherwise. */
	for (size_t i = 0; i < ELEMENTSOF(wanted_controllers); i++) {
		if (!word_in(controllers, wanted_controllers[i]))
			return nano_err_set(err, ENOTSUP,
			                    "cgroup v2 controller %s is not available in "
			                    "%s/cgroup.controllers: it must be delegated to %s",
			                    wanted_controllers[i], ddir, delegated);
		if (*enable)
			strcat(enable, " ");
		strcat(enable, wanted_controllers[i]);
	}
	free(d->controllers);
	d->controllers = strdup(enable);
	if (!d->controllers)
		return nano_err_set(err, ENOMEM, "out of memory");

	/* The root cgroup is exempt from the no-internal-processes rule, and its processes are
	 * not ours to move. */
	if (self_leaf && strcmp(delegated, "/") != 0) {
		r = move_self_to_leaf(d, ddir, self_leaf, err);
		if (r < 0)
			return r;
	}

	/* From the delegated cgroup down to nanolet's root, each level enables for the next. */
	dir = strdup(h->root_dir);
	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	return cgroup_v2_enable_along(d, dir, strlen(ddir), true, err);
}

int cgroup_v2_enable_along(const struct cgroup_driver *d, char *dir, size_t start,
                           bool include_self, struct nano_err *err)
{
	for (char *p = dir + start;; p++) {
		bool last = *p == '\0';
		int r;

		if (*p != '/' && !last)
			continue;
		if (last && !include_self)
			return 0;
		*p = '\0';
		r = cgroup_v2_enable(d, dir, err);
		if (last || r < 0)
			return r < 0 ? r : 0;
		*p = '/';
	}
}

int cgroup_v2_apply(struct cgroup_driver *d, const char *dir, const struct plan_cgroup *cg,
                    struct nano_err *err)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)d;
	if (dirfd < 0)
		return nano_err_set(err, errno, "cgroup %s: %s", dir, strerror(errno));
	/* The plan's order is safe for v2: cpu.max sets quota and period in one write, and
	 * memory.max comes before memory.swap.max, which is independent of it in v2. */
	for (size_t i = 0; i < cg->n_v2; i++) {
		const struct plan_file *f = &cg->v2[i];
		int r = cgroupfs_set_at(dirfd, f->name, f->value);

		if (r == -ENOENT) {
			/* The controller is enabled (checked at open), so the kernel lacks the
			 * feature: memory.swap.max without swap accounting. */
			log_debug("%s/%s: none on this kernel, '%s' not written", dir, f->name,
			          f->value);
			continue;
		}
		if (r < 0)
			return nano_err_set(err, -r, "write '%s' to %s/%s: %s", f->value, dir,
			                    f->name, strerror(-r));
	}
	return 0;
}

/* Whether "frozen 1" is in cgroup.events yet. Not waited for: a task in uninterruptible sleep
 * delays freezing, and the loop that called us must not stop. The SIGKILLs are sent anyway;
 * a process forked meanwhile may survive them, which is why the caller kills again for as long
 * as the cgroup stays populated (the pod manager does, on its timer). */
static void check_frozen(const char *dir)
{
	_cleanup_free_ char *events = NULL;
	uint64_t frozen = 0;

	if (cgroupfs_read(dir, "cgroup.events", &events) < 0 ||
	    cgroupfs_keyed_u64(events, "frozen", &frozen) < 0 || frozen == 1)
		return;
	log_debug("%s: not frozen yet, killing anyway", dir);
}

int cgroup_v2_kill(const char *dir, bool allow_freeze, struct nano_err *err)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r, r2;

	/* A cgroup that is gone has nothing left to kill. */
	if (dirfd < 0 && errno == ENOENT)
		return 0;
	if (dirfd < 0)
		return nano_err_set(err, errno, "cgroup %s: %s", dir, strerror(errno));
	/* cgroup.kill (5.14): SIGKILL to the whole subtree, atomically against forks. */
	r = cgroupfs_write_at(dirfd, "cgroup.kill", "1");
	if (r == 0)
		return 0;
	if (r != -ENOENT || !allow_freeze)
		return nano_err_set(err, -r, "write '1' to %s/cgroup.kill: %s", dir, strerror(-r));

	/* Before 5.14: freeze so that nothing forks between reading the pids and killing
	 * them, kill, thaw so that the kills are delivered. */
	r = cgroupfs_write_at(dirfd, "cgroup.freeze", "1");
	if (r < 0)
		return nano_err_set(err, -r, "write '1' to %s/cgroup.freeze: %s", dir,
		                    strerror(-r));
	check_frozen(dir);
	r = cgroup_kill_pids_tree(dir, err);
	r2 = cgroupfs_write_at(dirfd, "cgroup.freeze", "0");
	if (r < 0)
		return r;
	if (r2 < 0)
		return nano_err_set(err, -r2, "write '0' to %s/cgroup.freeze: %s", dir,
		                    strerror(-r2));
	return 0;
}

int cgroup_v2_populated(const char *dir, struct nano_err *err)
{
	_cleanup_free_ char *events = NULL;
	uint64_t populated;
	int r;

	r = cgroupfs_read(dir, "cgroup.events", &events);
	if (r < 0)
		return nano_err_set(err, -r, "read %s/cgroup.events: %s", dir, strerror(-r));
	r = cgroupfs_keyed_u64(events, "populated", &populated);
	if (r < 0)
		return nano_err_set(err, EBADMSG, "%s/cgroup.events has no 'populated' line", dir);
	return populated ? 1 : 0;
}
