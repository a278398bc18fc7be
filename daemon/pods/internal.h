/* daemon/pods_internal.h: private to pods.c, pod_setup.c, pod_run.c, pod_watch.c and
 * pod_restore.c. */
#pragma once

#include <systemd/sd-event.h>

#include "cgroup/cgroup.h"
#include "metrics/metrics.h"
#include "plan/plan.h"
#include "pods.h"
#include "pods/pod_clock.h"
#include "pods/pod_ops.h"
#include "store/store.h"
#include "supervise/supervise.h"

/* After a shim that did not answer, the next try comes this much later. */
#define POD_SHIM_RETRY_USEC 1000000

/* How processes left in a cgroup are waited for: a timer, 10 ms apart, 2 s at most. */
#define POD_EMPTY_TICK_USEC 10000
#define POD_EMPTY_TICKS     200

struct pod_waiter {
	pods_deleted_fn *fn;
	void *userdata;
};

struct orphan_sweep;
struct pod_request; /* pod_run.c: one request to the pod's shim in flight, or waiting to retry */

/* pod_run.c: a container's restart, waiting for its time (CrashLoopBackOff, a retry). */
struct pod_restart {
	struct pod *pod;
	size_t container;
	struct pod_timer *timer;
};

struct pod_watch {
	struct pod *pod;
	size_t container;
	void (*fn)(void *);
	void *userdata;
	struct pod_watch *next;
};

/* What pod_watch.c keeps of one container: the counters its judgements start from, and the
 * kernel's notices about its cgroup. */
struct pod_counters {
	struct pod *pod;
	size_t index;
	uint64_t oom_base;     /* oom_kill when its current run started: OOMKilled if it rose */
	uint64_t oom_reported; /* oom_kill an OOMKilling event was last recorded for */
	bool oom_pending;      /* v1 notified an OOM whose kill is not counted yet */
	uint64_t cpu_periods;  /* nr_periods and nr_throttled at the throttling window's start */
	uint64_t cpu_throttled;
	/* at the current run's start, for the message of its end (sup_exit_message) */
	uint64_t run_forks_refused; /* the pod's pids_max_events */
	uint64_t run_cpu_periods, run_cpu_throttled;
	bool run_throttling_reported; /* a CPUThrottling event was recorded during the run */
	struct metrics_rate cpu_rate; /* usageNanoCores */
	int oom_eventfd;              /* v1: an eventfd on memory.oom_control, else -1 */
	sd_event_source *oom_source;
	int memory_wd; /* v2: the inotify watch of memory.events, else -1 */
};

struct pod {
	struct pods *pods;
	struct pod *next;

	char *uid;
	struct spec_pod *spec;
	struct plan *plan;
	struct sup_pod *sup;
	json_t *object; /* the Pod as created: metadata.uid, creationTimestamp */

	char *run_dir;        /* <run_dir>/pods/<uid>: shim.json, shim.sock, exits/ */
	char *volume_dir;     /* <state_dir>/pods/<uid> */
	char *log_dir;        /* <log_dir>/pods/<ns>_<name>_<uid> */
	char *cgroup;         /* the pod cgroup, relative to nanolet's root */
	uint32_t userns_base; /* first host id of the pod's user namespace, 0 without one */

	pid_t shim_pid;
	uint64_t shim_start_time; /* /proc/<pid>/stat field 22: with the pid, the shim's identity */
	struct pod_shim_watch *shim_watch;   /* the shim runs: its end is the sandbox's */
	struct pod_shim_call *shim_starting; /* a new shim that has not answered yet */
	size_t shim_starting_for; /* the container whose restart wants it; SIZE_MAX: all (create) */
	struct pod_request *requests; /* to the shim, in flight or waiting to retry */
	bool *start_unsure;           /* per container: a start the shim did not answer in time
	                               * (it may still act on it): ask its state first */
	/* A create not answered yet: called once every container's first start has its answer
	 * (r 0), or the sandbox could not be made (r < 0). pods.c's, so that pod_run.c needs
	 * nothing of it. */
	void (*settled)(struct pod *pod, int r, const struct nano_err *err);
	pods_created_fn *created_fn; /* whom pods.c then answers */
	void *created_userdata;
	struct nano_err failure; /* why a create failed, answered once it is removed */
	/* pod_setup.c: a teardown under way, and pod_run.c: a new sandbox that waits for the old
	 * one's processes to be gone */
	struct pod_timer *teardown_timer;
	unsigned teardown_ticks;
	void (*teardown_done)(struct pod *pod);
	struct pod_timer *sandbox_timer;
	unsigned sandbox_ticks;
	/* pod_restore.c: a re-adopted pod waits for its shim's state before it goes on */
	bool restore_deleting;
	int64_t restore_grace;
	int exits_fd; /* inotify on exits/ */
	sd_event_source *exits_source;
	struct pod_restart *restarts; /* one per container: its restart timer */
	/* pod_watch.c */
	struct pod_counters *counters; /* one per container */
	uint64_t pids_max_events;      /* refused forks in the pod's cgroups, last seen */
	int notify_fd;                 /* v2: inotify on memory.events and pids.events, else -1 */
	sd_event_source *notify_source;
	struct pod_timer *oom_recheck; /* v1: waits for the kill an OOM notice announced */
	unsigned oom_rechecks;
	struct metrics_rate cpu_rate; /* the pod cgroup's usageNanoCores */
	uint64_t seen_usec;           /* CLOCK_MONOTONIC when the POST reached us */
	bool start_observed;          /* in nanolet_pod_start_duration_seconds */

	bool creating; /* not answered yet: a restart finds it half made and removes it */
	bool deleting;
	bool shim_stopping; /* shutdown sent */
	struct pod_timer *grace_timer;
	struct pod_waiter *waiters; /* deletes waiting for the end */
	size_t n_waiters;
	struct pod_watch *watches;
};

struct pods {
	struct pods_options opt; /* as given to pods_open */
	sd_event *event;
	struct store *store;
	struct cgroup_driver *cgroup;
	struct sup_config sup;
	const char *host_ip;
	const char *hostname;
	struct pod *list;
	struct pod *creating; /* created but not answered yet: not listed, but their names taken */
	struct pod *removing; /* creates that failed (or half made at start), being removed */
	const struct pod_shim_ops *shim;
	void *shim_ctx;
	uint64_t shim_timeout_usec;
	struct orphan_sweep *sweep; /* pod_restore.c: orphan cgroups waiting to be removed */
	struct pod_timer *expire_timer;
	struct pod_timer *sample_timer;
	struct prom_histogram start_durations; /* nanolet_pod_start_duration_seconds */
};

/* pods.c: a pod object; uid NULL for a new one, else the stored one's (object then the stored
 * Pod, borrowed, and userns_base its stored range). On failure *out may hold a half-made pod
 * for pod_free. */
int pod_new(struct pods *pods, struct spec_pod *spec, const char *uid, json_t *object,
            uint32_t userns_base, struct pod **out, struct nano_err *err);
struct pod *pod_free(struct pod *pod);
int pods_cgroup_ready(struct pods *pods, struct nano_err *err);

/* Test-only: when the environment variable NANOLET_CRASH_AT names this point, the daemon
 * SIGKILLs itself there, so that the crash tests hit each moment deterministically. */
void pod_crash_point(const char *name);

/* pod_setup.c: what the pod has on the node before its shim starts (shim.json written), and
 * its removal. Setting up again over what is there is fine (a new shim for a pod whose shim
 * died, or after a reboot): cgroups are kept, a Memory emptyDir's tmpfs is not mounted twice. */
int pod_setup(struct pod *pod, struct nano_err *err);
/* SIGKILLs what is left in the pod's cgroups (a shim that would not stop, a process that
 * escaped its container's pid namespace): 1 when there was something, 0 when they are empty. */
int pod_kill_leftovers(struct pod *pod);
/* Removes everything the pod has on the node, without waiting on the loop: kills what is left
 * in its cgroups and, once they are empty (looked at every POD_EMPTY_TICK_USEC, at most
 * POD_EMPTY_TICKS times, then it goes on), removes them, its tmpfs mounts and its directories;
 * then done(pod), never before this returned. -errno when it could not begin (no timer). */
int pod_teardown(struct pod *pod, void (*done)(struct pod *pod));
/* Before a container starts: checks a hostPath of a type that must exist, and makes missing
 * subPath directories. NULL when fine, else a message for the container's StartError. */
char *pod_prepare_mounts(const struct pod *pod, size_t container);

/* pod_run.c: the running pod. pod_sandbox_start sets the pod up (pod_setup) and starts its
 * shim without waiting for it; once it listens, the containers start: all of them for a create
 * (container SIZE_MAX, which ends in pod->settled), else the one whose restart needed it. A
 * failure before the shim was asked for is returned, a later one reported (settled, or the
 * container's StartError). */
int pod_sandbox_start(struct pod *pod, size_t container, struct nano_err *err);
/* Asks the shim for its `state`: fn(pod, the state, or NULL when it did not answer) once,
 * unless the pod goes first. */
int pod_shim_state(struct pod *pod, void (*fn)(struct pod *pod, const json_t *state));
/* A run the daemon asked the shim for and did not record (it stopped, or the answer did not
 * come in time): the shim's state names it, so it is adopted rather than started twice. */
void pod_reconcile(struct pod *pod, const json_t *state);
/* A container id as the CRI shows them: 64 hex digits. */
void pod_container_id(char out[65]);
/* The per-container arrays a running pod needs (restart timers, OOM and CPU baselines). */
int pod_run_alloc(struct pod *pod, struct nano_err *err);
/* Follows pod->shim_pid: a pidfd (its end is the shim's death) and inotify on exits/. With a
 * recorded shim_start_time the process must still have it (the pid may have been reused):
 * -ESRCH otherwise. Records the start time of a new shim. */
int pod_watch_shim(struct pod *pod, struct nano_err *err);
/* Reads the exit records of running containers' current runs. */
void pod_scan_exits(struct pod *pod);
/* The shim is gone: its running containers end ContainerStatusUnknown (message NULL: the
 * kubelet's words) and whatever is left in the pod's cgroups is killed; the restart policy
 * then brings a new shim (pod_schedule). */
void pod_sandbox_lost(struct pod *pod, const char *message);
void pod_schedule(struct pod *pod, size_t container);
/* SIGTERM: asks the shim (without waiting); SIGKILL: kills the containers' cgroups. */
void pod_stop_containers(struct pod *pod, int signal);
/* A deleted pod whose containers have all ended: asks its shim to go (its exit then ends the
 * delete), or ends the delete at once when there is no shim. May free the pod: call it last. */
void pod_stop_shim_if_done(struct pod *pod);
void pod_run_done(struct pod *pod);
void pod_persist(struct pod *pod);
void pod_notify_watches(struct pod *pod, size_t container);
/* pod_watch.c: what the pod's cgroups say. pod_watch_alloc makes the per-container counters
 * (pod_run_alloc); pod_watch_notices registers for the kernel's notices (OOM kills, refused
 * forks) once the cgroups exist, again for a new sandbox; pod_watch_close drops both
 * (pod_run_done). */
int pod_watch_alloc(struct pod *pod, struct nano_err *err);
int pod_watch_notices(struct pod *pod, struct nano_err *err);
void pod_watch_close(struct pod *pod);
/* A run starts: its OOM-kill count and its first CPU window begin (one read of its cgroup). */
void pod_watch_start(struct pod *pod, size_t container);
/* A run ended by SIGKILL: whether the kernel's OOM killer did it (the cgroup's oom_kill rose
 * since the run started). If so, *message names the limit and pid, and the OOMKilling event is
 * recorded unless a notice already did. */
bool pod_watch_oom_killed(struct pod *pod, size_t container, pid_t pid, char **message);
/* A run ended: what the kernel did to it while it ran (forks refused at the pod's pids.max,
 * throttling past cpu_throttling_threshold), read fresh and recorded as events where none was
 * yet, as a status message after base (an OOMKilled message, or NULL). NULL when there is
 * nothing to say. */
char *pod_watch_exit_message(struct pod *pod, size_t container, const char *base);
void pods_on_sample(void *userdata);

/* pod_restore.c: the daemon's record of a pod beside its status (shim identity, supervisor
 * state, creating mark), and what a start does with the store: re-adopt every pod, remove half
 * made ones, sweep what belongs to no pod. NULL on ENOMEM. */
json_t *pod_runtime_json(const struct pod *pod);
/* Writes the status and the runtime record (pod_persist logs a failure, this returns it). */
int pod_save(struct pod *pod, struct nano_err *err);

/* At start (pods_open): loads every stored pod, removes the ones still marked creating,
 * re-adopts the others' shims or, where a shim is gone (or the node rebooted), ends their
 * containers and lets the restart policy decide; resumes deletes; cleans up cgroups, shims,
 * mounts and directories that belong to no pod; records the node's Starting event. */
int pods_restore(struct pods *pods, struct nano_err *err);
/* Drops the orphan sweep under way, if any (its cgroups are the next start's). */
void pods_sweep_done(struct pods *pods);

/* pods.c: the last step of a delete, once the shim is gone: removes what the pod has on the
 * node (pod_teardown), then its row, and answers the deletes that wait. */
void pod_finish_delete(struct pod *pod);

/* The pods' clock (pods->opt.clock): now on clock in microseconds; and the wall-clock time in
 * whole seconds, as status and events show it. */
uint64_t pods_clock(const struct pods *pods, clockid_t clock);
int64_t pods_now(const struct pods *pods);
/* A one-shot timer into *slot (cleared when it fires, before fn): at usec on clock, or usec
 * from now on CLOCK_MONOTONIC. Cancel accepts an empty slot. */
int pods_timer_at(struct pods *pods, struct pod_timer **slot, clockid_t clock, uint64_t usec,
                  pod_timer_fn *fn, void *userdata);
int pods_timer_in(struct pods *pods, struct pod_timer **slot, uint64_t usec, pod_timer_fn *fn,
                  void *userdata);
void pods_timer_cancel(struct pods *pods, struct pod_timer **slot);
/* A container's cgroup relative to nanolet's root (what the cgroup driver takes). */
const char *pod_container_cgroup(const struct pod *pod, size_t container);
