/* pkg/cgroup/v1.c: what only the v1 hierarchies need — a plan's v1 files in an order the
 * kernel accepts, the freezer kill, and "populated" from cgroup.procs when no unified
 * hierarchy tells it.
 *
 * Ordering (crun's write_memory_resources and write_cpu_resources do the same):
 *  - memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes, so the memory limit goes
 *    first (lowering), and when the kernel refuses it (EINVAL: raising above the current
 *    memsw) memsw goes first and the memory limit again after it;
 *  - memory.memsw.* exists only with swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1);
 *  - cpu.cfs_period_us before cpu.cfs_quota_us; a period the kernel refuses (EINVAL: the old
 *    quota over the new period would exceed the parent's ratio) is written again after the
 *    quota.
 *
 * This file must not touch the unified hierarchy (driver.c and v2.c do), nor signal a process
 * that is not in the cgroup being killed.
 */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>

/* Writes one v1 file into the hierarchy its name prefix says ("cpu.shares": cpu). -errno, with
 * the message in err, except -ENOENT for a file the kernel lacks and -EINVAL when
 * einval_quiet, which the caller handles. */
static int v1_write(struct cgroup_driver *d, const char *rel, const struct plan_file *f,
                    bool einval_quiet, struct nano_err *err)
{
	const struct cgroup_hierarchy *h;
	_cleanup_free_ char *controller = strndup(f->name, strcspn(f->name, "."));
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dirfd = -1;
	int r;

	if (!controller)
		return nano_err_set(err, ENOMEM, "out of memory");
	h = cgroup_v1_hier(d, controller);
	if (!h)
		return nano_err_set(err, EINVAL, "%s: no %s hierarchy in the v1 driver", f->name,
		                    controller);
	dir = cgroup_hier_path(h, rel);
	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return nano_err_set(err, errno, "cgroup %s: %s", dir, strerror(errno));
	r = cgroupfs_set_at(dirfd, f->name, f->value);
	if (r == -ENOENT) {
		log_debug("%s/%s: none on this kernel, '%s' not written", dir, f->name, f->value);
		return r;
	}
	if (r == -EINVAL && einval_quiet)
		return r;
	if (r < 0)
		return nano_err_set(err, -r, "write '%s' to %s/%s: %s", f->value, dir, f->name,
		                    strerror(-r));
	return 0;
}

static const struct plan_file *find(const struct plan_cgroup *cg, const char *name)
{
	for (size_t i = 0; i < cg->n_v1; i++)
		if (strcmp(cg->v1[i].name, name) == 0)
			return &cg->v1[i];
	return NULL;
}

static int ok_or_missing(int r)
{
	return r == -ENOENT ? 0 : r;
}

int cgroup_v1_apply(struct cgroup_driver *d, const char *rel, const struct plan_cgroup *cg,
                    struct nano_err *err)
{
	const struct plan_file *memory = find(cg, "memory.limit_in_bytes");
	const struct plan_file *memsw = find(cg, "memory.memsw.limit_in_bytes");
	const struct plan_file *period = find(cg, "cpu.cfs_period_us");
	const struct plan_file *quota = find(cg, "cpu.cfs_quota_us");
	bool memsw_done = false, period_again = false;
	int r;

	if (memory) {
		r = v1_write(d, rel, memory, memsw != NULL, err);
		if (r == -EINVAL) {
			/* Raising the limit above the current memsw: memsw first. */
			r = ok_or_missing(v1_write(d, rel, memsw, false, err));
			if (r < 0)
				return r;
			memsw_done = true;
			r = v1_write(d, rel, memory, false, err);
		}
		r = ok_or_missing(r);
		if (r < 0)
			return r;
	}
	if (memsw && !memsw_done) {
		r = ok_or_missing(v1_write(d, rel, memsw, false, err));
		if (r < 0)
			return r;
	}
	if (period) {
		r = v1_write(d, rel, period, quota != NULL, err);
		if (r == -EINVAL) {
			period_again = true;
			r = 0;
		}
		r = ok_or_missing(r);
		if (r < 0)
			return r;
	}
	if (quota) {
		r = ok_or_missing(v1_write(d, rel, quota, false, err));
		if (r < 0)
			return r;
	}
	if (period_again) {
		r = ok_or_missing(v1_write(d, rel, period, false, err));
		if (r < 0)
			return r;
	}
	/* Everything else in the plan's order: cpu.shares, pids.max. */
	for (size_t i = 0; i < cg->n_v1; i++) {
		const struct plan_file *f = &cg->v1[i];

		if (f == memory || f == memsw || f == period || f == quota)
			continue;
		r = ok_or_missing(v1_write(d, rel, f, false, err));
		if (r < 0)
			return r;
	}
	return 0;
}

static int kill_pids(const char *dir, void *userdata)
{
	struct nano_err *err = userdata;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = cgroupfs_read_pids(dir, &pids, &n, err);
	if (r == -ENOENT)
		return 0; /* removed under us: nothing left in it */
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], SIGKILL) < 0 && errno != ESRCH)
			return nano_err_set(err, errno, "kill %d of %s: %s", (int)pids[i], dir,
			                    strerror(errno));
	return 0;
}

int cgroup_kill_pids_tree(const char *dir, struct nano_err *err)
{
	return cgroupfs_walk(dir, kill_pids, err, err);
}

/* Whether freezer.state reads FROZEN yet (FREEZING while tasks are still running); FROZEN is
 * written again as runc does, since tasks that moved in meanwhile may not be frozen. Not
 * waited for: the SIGKILLs are sent anyway, and the caller kills again for as long as the
 * cgroup stays populated (the pod manager does, on its timer). */
static void check_frozen(const char *dir)
{
	_cleanup_free_ char *state = NULL;

	if (cgroupfs_read(dir, "freezer.state", &state) < 0 || strncmp(state, "FROZEN", 6) == 0)
		return;
	(void)cgroupfs_write(dir, "freezer.state", "FROZEN");
	log_debug("%s: not frozen yet, killing anyway", dir);
}

int cgroup_v1_freeze_kill(struct cgroup_driver *d, const char *rel, struct nano_err *err)
{
	const struct cgroup_hierarchy *h = cgroup_v1_hier(d, "freezer");
	_cleanup_free_ char *dir = NULL;
	int r, r2;

	if (!h)
		return nano_err_set(err, ENOTSUP, "no cgroup.kill and no freezer to kill with");
	dir = cgroup_hier_path(h, rel);
	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	/* Freezing a parent freezes its descendants, so one write stops the whole subtree from
	 * forking while its pids are read and killed; the kills land at the thaw. */
	r = cgroupfs_write(dir, "freezer.state", "FROZEN");
	if (r == -ENOENT)
		return 0; /* the cgroup is gone: nothing to kill */
	if (r < 0)
		return nano_err_set(err, -r, "write 'FROZEN' to %s/freezer.state: %s", dir,
		                    strerror(-r));
	check_frozen(dir);
	r = cgroup_kill_pids_tree(dir, err);
	r2 = cgroupfs_write(dir, "freezer.state", "THAWED");
	if (r < 0)
		return r;
	if (r2 < 0)
		return nano_err_set(err, -r2, "write 'THAWED' to %s/freezer.state: %s", dir,
		                    strerror(-r2));
	return 0;
}

static int has_pids(const char *dir, void *userdata)
{
	struct nano_err *err = userdata;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = cgroupfs_read_pids(dir, &pids, &n, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return n > 0 ? 1 : 0;
}

struct populated_walk {
	struct nano_err *err;
	bool found;
};

static int populated_one(const char *dir, void *userdata)
{
	struct populated_walk *w = userdata;
	int r = has_pids(dir, w->err);

	if (r < 0)
		return r;
	if (r > 0)
		w->found = true;
	return 0;
}

int cgroup_v1_populated(const struct cgroup_driver *d, const char *rel, struct nano_err *err)
{
	struct populated_walk w = {.err = err};
	_cleanup_free_ char *dir = cgroup_hier_path(cgroup_v1_hier(d, "memory"), rel);
	int r;

	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = cgroupfs_walk(dir, populated_one, &w, err);
	if (r < 0)
		return r;
	return w.found ? 1 : 0;
}
