/* pkg/cgroup: the host's cgroup layout, and the v2 and v1 drivers behind one interface.
 * Every function takes its mount point as a parameter so tests point it at a temporary tree.
 *
 *   detect.c    the host's layout (statfs) and a process's place in it (/proc/PID/cgroup)
 *   roots.c     nanolet's root in each hierarchy, computed once (pure)
 *   driver.c    open with those roots; paths; create, procs, place, remove
 *   v2.c        controller delegation (subtree_control), v2 files, cgroup.kill/cgroup.freeze
 *   v1.c        v1 files in a safe order, the freezer kill
 *   devices.c   device access: v1 devices.deny/devices.allow, v2 the BPF device filter's load
 *               and attach
 *   devices_bpf.c  the device list checked and compiled into that BPF program (pure)
 *   stats.c     usage, working set, OOM kills, throttling and pids counters
 *   oom_log.c   whom the OOM killer ended: its lines in the kernel log (/dev/kmsg)
 *   cgroupfs.c  reading and writing one cgroup file, walking and removing a subtree
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan/plan.h"
#include "util/util.h"

enum cgroup_mode {
	CGROUP_MODE_UNIFIED, /* cgroup2 at the mount point: pure v2 */
	CGROUP_MODE_HYBRID,  /* v1 controllers, cgroup2 at <mount>/unified */
	CGROUP_MODE_LEGACY,  /* v1 only */
};

struct cgroup_host {
	enum cgroup_mode mode;
	bool unified_mounted; /* a cgroup2 hierarchy exists (the root or <mount>/unified) */
};

/* statfs of mount ("/sys/fs/cgroup") and, for tmpfs, of mount/unified. */
int cgroup_detect(const char *mount, struct cgroup_host *out, struct nano_err *err);

const char *cgroup_mode_name(enum cgroup_mode mode); /* "unified", "hybrid", "legacy" */

/* The cgroup path of a process for one hierarchy, from a /proc/PID/cgroup file's text:
 * controller NULL for the unified (0::) entry, else a v1 controller name ("memory"). Returns a
 * malloc'd path or NULL with -ENOENT/-ENOMEM in *r. Pure: the caller reads the file. */
char *cgroup_path_from_proc(const char *proc_cgroup_text, const char *controller, int *r);

/* ---- roots (roots.c) ---------------------------------------------------------------------- */

struct cgroup_roots_options {
	enum plan_cgroup_driver driver;
	struct cgroup_host host;
	/* explicit (--cgroup-root): this cgroup path in every hierarchy, repeated and trailing
	 * '/' dropped; NULL: "<own cgroup>/<root_name>" per hierarchy */
	const char *root;
	const char *root_name;        /* NULL: "nanolet" */
	const char *proc_self_cgroup; /* the text of /proc/self/cgroup (the caller reads it) */
	/* explain, which may describe another node: the memory (v1) or unified (v2) entry
	 * missing is the root cgroup, not ENOENT */
	bool lenient;
};

/* nanolet's root in each hierarchy a driver uses, the one computation of it: v2 the unified
 * hierarchy; v1 memory first, then cpu, cpuacct, pids, freezer and devices as the text lists
 * them (joined ones once, by their joined name, "cpu,cpuacct"), and on a hybrid host with
 * cgroup2 mounted the unified one. The first is the root nanoletd reports and locks. Pure.
 * *out is malloc'd (cgroup_roots_free). 0, -ENOENT without the first hierarchy's entry (not
 * lenient), -ENOMEM. */
int cgroup_roots(const struct cgroup_roots_options *options, struct plan_hierarchy **out, size_t *n,
                 struct nano_err *err);
void cgroup_roots_free(struct plan_hierarchy *v, size_t n);

/* ---- drivers ------------------------------------------------------------------------------ */

/* A driver owns nanolet's root: one directory per hierarchy it uses (v2: the unified one; v1:
 * memory, cpu, cpuacct, pids, freezer and, where mounted, devices, joined hierarchies counted
 * once, plus the unified mirror on hybrid hosts for cgroup.kill and cgroup.events). Every cgroup
 * below is named by a path relative to that root ("burstable/pod<uid>/app"; "" is the root itself):
 * no "..", no "." and no empty components. */
struct cgroup_driver;

struct cgroup_driver_options {
	const char *mount;       /* "/sys/fs/cgroup" */
	struct cgroup_host host; /* cgroup_detect(mount) */
	enum plan_cgroup_driver driver;
	/* --cgroup-root: an absolute cgroup path, the same in every hierarchy (as the kubelet's
	 * --cgroup-root). NULL: "<this process's cgroup>/<root_name>", taken per hierarchy from
	 * /proc/self/cgroup, so that on hybrid hosts the memory root can be under
	 * /process_api/<id> while the cpu root is at /. */
	const char *root;
	const char *root_name; /* NULL: "nanolet" */
	/* nanolet's root in each hierarchy, computed by the caller (nanoletd: once, at start,
	 * daemon/node.c), by hierarchy name ("memory", "cpu,cpuacct", "unified"): when set, the
	 * driver takes every root from here and root and root_name are not read; a hierarchy the
	 * driver uses that is not listed is ENOENT. */
	const struct plan_hierarchy *roots;
	size_t n_roots;
	/* the text of /proc/self/cgroup (nanoletd: as it was at start); NULL: read it */
	const char *proc_self_cgroup;
	/* v2: move this process into <delegated>/<self_leaf> before enabling controllers in the
	 * delegated cgroup, which must hold no processes (the daemon passes "daemon"). NULL:
	 * leave it; a delegated cgroup with processes then fails with EBUSY. Never done when the
	 * delegated point is the hierarchy's root, which may hold processes. */
	const char *self_leaf;
	bool ignore_unified; /* v1: as if <mount>/unified were not mounted (the freezer paths) */
	/* Test seams for a fake tree on tmpfs, where mkdir makes no control files and rmdir
	 * fails on them; NULL in the daemon. on_mkdir runs after the driver made a directory,
	 * on_rmdir before it removes one. */
	void (*on_mkdir)(const char *dir, void *userdata);
	void (*on_rmdir)(const char *dir, void *userdata);
	void *userdata;
};

/* Resolves nanolet's root in every hierarchy the driver uses, creates it (mkdir -p within
 * each hierarchy) and, on v2, enables cpu, memory and pids in cgroup.subtree_control from the
 * delegated point (the cgroup this process is in, or / for a root outside it) down to the root
 * itself. Fails with ENOTSUP when the driver does not fit the host, or a v2 controller is not
 * delegated. */
int cgroup_driver_open(const struct cgroup_driver_options *options, struct cgroup_driver **out,
                       struct nano_err *err);
struct cgroup_driver *cgroup_driver_free(struct cgroup_driver *driver);
static inline void cgroup_driver_freep(struct cgroup_driver **d)
{
	cgroup_driver_free(*d);
}
#define _cleanup_cgroup_driver_ _cleanup_(cgroup_driver_freep)

enum plan_cgroup_driver cgroup_driver_kind(const struct cgroup_driver *driver);

/* The root as a cgroup path, for plan_config.cgroup_root: the unified hierarchy's on v2, the
 * memory hierarchy's on v1 ("/process_api/<id>/nanolet"). */
const char *cgroup_driver_root(const struct cgroup_driver *driver);

/* The path relative to the root of a plan's absolute cgroup path (plan_build with
 * cgroup_root = cgroup_driver_root()): a pointer into path, "" for the root itself, NULL when
 * path is not at or below the root. */
const char *cgroup_driver_relative(const struct cgroup_driver *driver, const char *path);

/* The directory of a cgroup in the hierarchy of controller ("memory", "cpuacct", ...; v2 has
 * one hierarchy for all). controller NULL: the unified hierarchy, v1's mirror included.
 * -ENOENT when the driver uses no such hierarchy. */
int cgroup_driver_dir(const struct cgroup_driver *driver, const char *controller, const char *rel,
                      char **out);

enum cgroup_node {
	CGROUP_NODE_LEAF,  /* holds processes: a container, infra */
	CGROUP_NODE_INNER, /* holds cgroups: a pod, a QoS class */
};

/* mkdir -p rel in every hierarchy. v2: every missing ancestor and, for an inner node, rel
 * itself get the controllers in cgroup.subtree_control; a leaf never does (no internal
 * processes). Existing cgroups are fine. */
int cgroup_driver_create(struct cgroup_driver *driver, const char *rel, enum cgroup_node node,
                         struct nano_err *err);

/* Writes a plan's files (v2 or v1 set, by the driver) into the cgroup at cg->path. A file the
 * kernel lacks (memory.swap.max without swap accounting, memory.memsw.*) is skipped with a
 * debug line; any other failure names the file, the value and the errno. */
int cgroup_driver_apply(struct cgroup_driver *driver, const struct plan_cgroup *cg,
                        struct nano_err *err);

/* The cgroup.procs files a new process is written into: v2 one, v1 one per hierarchy and the
 * unified mirror's. NULL-terminated, the caller frees. */
int cgroup_driver_procs_files(const struct cgroup_driver *driver, const char *rel, char ***out,
                              struct nano_err *err);

/* v2: an O_DIRECTORY|O_CLOEXEC fd of the cgroup for clone3(CLONE_INTO_CGROUP); the caller
 * closes it. v1: -EOPNOTSUPP (a clone would only land in the unified mirror). */
int cgroup_driver_open_fd(const struct cgroup_driver *driver, const char *rel,
                          struct nano_err *err);

/* Writes pid into every procs file. */
int cgroup_driver_place(struct cgroup_driver *driver, const char *rel, pid_t pid,
                        struct nano_err *err);

/* SIGKILLs every process in the cgroup and below: cgroup.kill (v2, or the unified mirror);
 * without it, freeze (v1 freezer.state, v2 cgroup.freeze), SIGKILL each pid, thaw. Never
 * waits: not for the processes to be gone (watch populated for that), nor for a freeze that
 * does not take at once; without cgroup.kill a process forked meanwhile may survive, so call
 * it again while populated. A cgroup that is already gone has nothing to kill: 0. */
int cgroup_driver_kill(struct cgroup_driver *driver, const char *rel, struct nano_err *err);

/* 1 when a process is in the cgroup or below, 0 when none, -errno: "populated" of
 * cgroup.events (v2, the unified mirror), else whether a cgroup.procs of the subtree has a pid. */
int cgroup_driver_populated(struct cgroup_driver *driver, const char *rel, struct nano_err *err);

/* The cgroup.events file to watch with inotify (IN_MODIFY) for populated and frozen; *out NULL
 * when there is none (v1 without the unified hierarchy: poll cgroup_driver_populated). */
int cgroup_driver_events_path(const struct cgroup_driver *driver, const char *rel, char **out);

/* Removes the cgroup and everything below it, children first, in every hierarchy, each rmdir
 * tried once: -EBUSY while a task is left or the kernel has not freed the cgroup of exited
 * tasks yet (it does so asynchronously): try again a moment later, from a timer. A cgroup that
 * is already gone is not an error. rel "" removes nanolet's root (not its ancestors). */
int cgroup_driver_remove(struct cgroup_driver *driver, const char *rel, struct nano_err *err);

/* ---- devices ------------------------------------------------------------------------------ */

struct bpf_insn;        /* <linux/bpf.h> */
struct security_device; /* security/security.h */

/* Whether every rule can be enforced as written: type 'c' or 'b' with a major and a minor of
 * SECURITY_DEVICE_ANY or 0 to INT32_MAX and an access that is a non-empty subset of "rwm"; or
 * 'a' as "a *:* rwm". At most 256 rules (E2BIG). -EINVAL naming the rule. Pure. */
int cgroup_devices_check(const struct security_device *allow, size_t n, struct nano_err *err);

/* The cgroup v2 device filter for allow[]: a BPF_PROG_TYPE_CGROUP_DEVICE program that allows
 * exactly those devices with their access and denies everything else, as malloc'd
 * instructions in *out and their count in *len. A list with an 'a' rule allows everything:
 * no program (*out NULL, *len 0). Pure. */
int cgroup_devices_program(const struct security_device *allow, size_t n, struct bpf_insn **out,
                           size_t *len, struct nano_err *err);

/* cgroup v2: loads cgroup_devices_program(allow) with bpf(BPF_PROG_LOAD), attaches it to the
 * cgroup2 directory cgroup_fd (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), then detaches the device
 * programs attached there before, so that a second call replaces the rules instead of adding
 * to them (the kernel allows only what every attached program allows). An 'a' rule only
 * detaches. The program stays attached as long as the cgroup exists; no fd is kept.
 * -EOPNOTSUPP when the kernel will not load the program (EPERM, ENOSYS, no
 * BPF_PROG_TYPE_CGROUP_DEVICE); a program the verifier refuses is -EINVAL with its log. What
 * cgroup_driver_devices does on v2, public for any cgroup2 directory. */
int cgroup_devices_attach(int cgroup_fd, const struct security_device *allow, size_t n,
                          struct nano_err *err);

/* After it, the processes in the cgroup rel (a container's leaf) may use exactly the devices
 * of allow[], with their access (r read, w write, m mknod), and no other device. v1: "a" into
 * devices.deny, then each rule into devices.allow, one write each; an 'a' rule writes
 * "a *:* rwm" into devices.allow and denies nothing. v2: cgroup_devices_attach. Call it on a
 * leaf without children (v1 refuses "a" in a cgroup with children). -EOPNOTSUPP, with a
 * message, when the driver has no way to confine devices (v1 without a devices hierarchy, v2 on
 * a kernel that will not load the program): the container must not run then. Allowing every
 * device needs no mechanism: 0 there. */
int cgroup_driver_devices(struct cgroup_driver *driver, const char *rel,
                          const struct security_device *allow, size_t n, struct nano_err *err);

/* ---- stats -------------------------------------------------------------------------------- */

#define CGROUP_STAT_MAX UINT64_MAX /* a limit of "max" (v2) or the v1 "no limit" value */

/* One cgroup's counters, in the units and meanings of cAdvisor and the kubelet's
 * /stats/summary. A counter whose file the kernel lacks stays 0. */
struct cgroup_stats {
	uint64_t memory_usage_bytes;         /* memory.current, memory.usage_in_bytes */
	uint64_t memory_working_set_bytes;   /* usage - inactive_file, 0 if below */
	uint64_t memory_rss_bytes;           /* memory.stat anon, total_rss */
	uint64_t memory_inactive_file_bytes; /* memory.stat inactive_file, total_inactive_file */
	uint64_t memory_pgfault;
	uint64_t memory_pgmajfault;
	uint64_t memory_limit_bytes; /* CGROUP_STAT_MAX: none */
	uint64_t memory_oom_kill;    /* memory.events, memory.oom_control oom_kill */
	uint64_t cpu_usage_ns;       /* cpu.stat usage_usec * 1000, cpuacct.usage */
	uint64_t cpu_nr_periods;
	uint64_t cpu_nr_throttled;
	uint64_t cpu_throttled_ns; /* cpu.stat throttled_usec * 1000, throttled_time */
	uint64_t pids_current;
	uint64_t pids_max;        /* CGROUP_STAT_MAX: none */
	uint64_t pids_max_events; /* forks refused at pids.max: pids.events "max" */
};

int cgroup_driver_stats(const struct cgroup_driver *driver, const char *rel,
                        struct cgroup_stats *out, struct nano_err *err);

/* memory_oom_kill alone, one file read: what an OOM notice is checked against. A missing
 * cgroup is an error (-ENOENT). */
int cgroup_driver_oom_kills(const struct cgroup_driver *driver, const char *rel, uint64_t *out,
                            struct nano_err *err);

/* ---- the OOM killer's victims, from the kernel log (/dev/kmsg) ------------------------- */

/* One OOM kill as the kernel logged it ("oom-kill:...,task_memcg=/a/b,task=python3,pid=1234,
 * uid=0"). */
struct cgroup_oom_victim {
	uint64_t seq;  /* the record's sequence number (per boot) */
	uint64_t usec; /* its timestamp: printk's clock, microseconds since boot */
	char *memcg;   /* task_memcg: the victim's memory cgroup, from the hierarchy's root */
	char task[64]; /* its command name (comm) */
	pid_t pid;     /* in the node's pid namespace */
};
void cgroup_oom_victim_done(struct cgroup_oom_victim *v);

/* One /dev/kmsg record (one read's bytes): 1 and *out (memcg malloc'd) for the OOM killer's
 * victim line; 0 for any other record, or a fragment of that line (out->seq is still the
 * record's); -EINVAL for bytes that are not a record; -ENOMEM. */
int cgroup_oom_kmsg_parse(const char *record, size_t len, struct cgroup_oom_victim *out);

/* The victims of the kernel log read so far, the last 256 of the node. */
struct cgroup_oom_log;
/* Takes fd (/dev/kmsg, or any descriptor that gives one record a read, O_NONBLOCK) and reads
 * what it holds now: on a fresh /dev/kmsg, the ring buffer's records. Closes fd on failure. */
int cgroup_oom_log_new(int fd, struct cgroup_oom_log **out);
struct cgroup_oom_log *cgroup_oom_log_free(struct cgroup_oom_log *log);
int cgroup_oom_log_fd(const struct cgroup_oom_log *log);
/* Reads every record there is now (never waits); the victims among them, or -errno. */
int cgroup_oom_log_read(struct cgroup_oom_log *log);
/* The sequence number the next record will have, as far as read: a run that starts now is
 * judged against it. */
uint64_t cgroup_oom_log_next_seq(const struct cgroup_oom_log *log);
/* The most recent victim read whose memcg is memcg or below it, logged at since_seq or later;
 * NULL when there is none (never logged, rate limited, or overwritten before it was read). */
const struct cgroup_oom_victim *cgroup_oom_log_find(const struct cgroup_oom_log *log,
                                                    const char *memcg, uint64_t since_seq);
