/* pkg/cgroup/cgroup_internal.h: what the cgroup files share among themselves. Not a public
 * header: nothing outside pkg/cgroup includes it.
 */
#pragma once

#include "cgroup.h"

#include <dirent.h>

/* Most hierarchies a v1 driver joins: memory, cpu, cpuacct, pids, freezer and, where mounted,
 * devices (the last of cgroup_v1_controllers[]). */
#define CGROUP_V1_MAX     6
#define CGROUP_V1_DEVICES 5

/* nanolet's root in one hierarchy. */
struct cgroup_hierarchy {
	char *name;      /* for messages: "memory", "cpu", "devices", "unified" */
	char *mount_dir; /* "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" */
	char *root;      /* cgroup path of nanolet's root in it: "/process_api/<id>/nanolet" */
	char *root_dir;  /* mount_dir + root */
};

struct cgroup_driver {
	enum plan_cgroup_driver kind;
	struct cgroup_hierarchy hier[CGROUP_V1_MAX]; /* v2: hier[0] is the unified hierarchy */
	size_t n_hier;
	struct cgroup_hierarchy *unified; /* v2: &hier[0]; v1: &mirror or NULL */
	struct cgroup_hierarchy mirror;   /* v1: the unified hierarchy of a hybrid host */
	int v1_index[CGROUP_V1_MAX];      /* v1: hier[] index of each of v1_controllers[], -1 for
	                                     an optional hierarchy the host lacks (devices) */
	char *controllers;                /* v2: what we enable, "cpu memory pids" */
	void (*on_mkdir)(const char *dir, void *userdata);
	void (*on_rmdir)(const char *dir, void *userdata);
	void *userdata;
};

/* The v1 controllers nanolet joins, in the order of cgroup_driver.v1_index. */
extern const char *const cgroup_v1_controllers[CGROUP_V1_MAX];

/* ---- cgroupfs.c --------------------------------------------------------------------------- */

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Writes value in one write(2), as cgroup files want; -errno, no message (the caller names the
 * file and value). */
int cgroupfs_write_at(int dirfd, const char *file, const char *value);
/* A plan's file: cgroupfs_write_at, except that CPU bandwidth (v1 cpu.cfs_period_us and
 * cpu.cfs_quota_us, v2 cpu.max) is not written when the file reads value already (one trailing
 * newline aside): the kernel checks such a write against every task group of the machine
 * (tg_set_cfs_bandwidth walks them all), which with a thousand pods' cgroups is most of a pod's
 * cgroup writes, and a pod without a CPU limit writes the defaults. */
int cgroupfs_set_at(int dirfd, const char *file, const char *value);
int cgroupfs_write(const char *dir, const char *file, const char *value);
/* A file opened for a series of values, each in its own write(2) with cgroupfs_write_fd
 * (devices.allow takes one rule a write). -errno. */
int cgroupfs_open_append_at(int dirfd, const char *file);
int cgroupfs_write_fd(int fd, const char *value);
/* The whole file, NUL-terminated, into *out; -errno. */
int cgroupfs_read_at(int dirfd, const char *file, char **out);
int cgroupfs_read(const char *dir, const char *file, char **out);
/* The number after "key " on a line of a flat-keyed file ("populated 1"); -ENOENT, -ERANGE. */
int cgroupfs_keyed_u64(const char *text, const char *key, uint64_t *out);
/* One number, or "max" as CGROUP_STAT_MAX. */
int cgroupfs_parse_u64(const char *text, uint64_t *out);

/* mkdir dir/rel component by component (dir must exist); d->on_mkdir runs for each directory
 * made. An existing directory is fine. */
int cgroupfs_mkdir_p(const struct cgroup_driver *d, const char *dir, const char *rel,
                     struct nano_err *err);

/* Calls fn for dir and every cgroup below it (parents before children, children in name
 * order). A dir that does not exist is skipped. */
int cgroupfs_walk(const char *dir, int (*fn)(const char *dir, void *userdata), void *userdata,
                  struct nano_err *err);

/* rmdir dir and every cgroup below it, children first, each tried once (-EBUSY: try again
 * later); ENOENT is success. */
int cgroupfs_remove_tree(const struct cgroup_driver *d, const char *dir, struct nano_err *err);

/* Reads every pid of dir's cgroup.procs; the caller frees *out. -ENOENT (no message) when the
 * cgroup is gone. */
int cgroupfs_read_pids(const char *dir, pid_t **out, size_t *n, struct nano_err *err);

/* ---- driver.c ----------------------------------------------------------------------------- */

/* hier->root_dir + "/" + rel ("" rel: the root_dir). NULL on ENOMEM. */
char *cgroup_hier_path(const struct cgroup_hierarchy *hier, const char *rel);
/* The v1 hierarchy of a controller, NULL when the driver does not use it. */
const struct cgroup_hierarchy *cgroup_v1_hier(const struct cgroup_driver *d,
                                              const char *controller);

/* ---- v2.c --------------------------------------------------------------------------------- */

/* Reads the delegated cgroup's cgroup.controllers into d->controllers, then enables them
 * from delegated down to nanolet's root (both cgroup paths). */
int cgroup_v2_delegate(struct cgroup_driver *d, const char *delegated, const char *self_leaf,
                       struct nano_err *err);
/* "+cpu +memory +pids" into dir's cgroup.subtree_control, only those not yet enabled. */
int cgroup_v2_enable(const struct cgroup_driver *d, const char *dir, struct nano_err *err);
/* Enables the controllers level by level down dir: in dir cut at each '/' from index start
 * on, then in dir itself when include_self (each level enables them for the next). dir is
 * cut in place and restored. */
int cgroup_v2_enable_along(const struct cgroup_driver *d, char *dir, size_t start,
                           bool include_self, struct nano_err *err);
int cgroup_v2_apply(struct cgroup_driver *d, const char *dir, const struct plan_cgroup *cg,
                    struct nano_err *err);
/* cgroup.kill, or the cgroup.freeze fallback before 5.14, in dir of a cgroup2 hierarchy. */
int cgroup_v2_kill(const char *dir, bool allow_freeze, struct nano_err *err);
int cgroup_v2_populated(const char *dir, struct nano_err *err);

/* ---- devices_bpf.c ------------------------------------------------------------------------ */

/* Whether allow[] has an 'a' rule: every device, every access (after cgroup_devices_check). */
bool cgroup_devices_allow_all(const struct security_device *allow, size_t n);

/* ---- v1.c --------------------------------------------------------------------------------- */

int cgroup_v1_apply(struct cgroup_driver *d, const char *rel, const struct plan_cgroup *cg,
                    struct nano_err *err);
/* freezer FROZEN, SIGKILL every pid of the subtree, THAWED. */
int cgroup_v1_freeze_kill(struct cgroup_driver *d, const char *rel, struct nano_err *err);
/* Whether a cgroup.procs of the subtree in the memory hierarchy has a pid. */
int cgroup_v1_populated(const struct cgroup_driver *d, const char *rel, struct nano_err *err);

/* SIGKILL every pid of dir's subtree (shared by the freeze fallbacks). */
int cgroup_kill_pids_tree(const char *dir, struct nano_err *err);
