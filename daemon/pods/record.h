/* daemon/pods/record.h: the pod manager's bottom layer — one pod's record and what every layer
 * above shares.
 *
 * The layers of daemon/pods/, each calling only the ones below it (internal.h draws them):
 *
 *   manager.c, restore.c   create, delete, list, restore; the registry      (manager.h)
 *          |
 *   probes.c               probes and lifecycle hooks of running containers (probes.h)
 *          |
 *   lifecycle.c            the shim, starts, exits, restarts, stops          (lifecycle.h)
 *          |          \
 *   images.c           |           a container's image before its start:     (images.h)
 *          |           |           pull policy, pulls, back-off, resolution
 *   sandbox.c          monitor.c   what a pod has on the node | what its     (sandbox.h,
 *          |          /            cgroups say (OOM, pids, throttling)        monitor.h)
 *   record.c               the pod: spec, plan, supervisor state, events,   (record.h)
 *                          JSON, the store row; the environment and clock
 *
 * Upward there are only callbacks: the manager's pod->settled (a create has its answer),
 * env->stopped (a deleted pod's shim is gone), and env->changed and env->pre_stop (the probes
 * layer follows the containers, and runs preStop hooks before a SIGTERM), and the done of
 * pod_image_ensure that the lifecycle hands images.c (a pull ended). */
#pragma once

#include <systemd/sd-event.h>

#include "cgroup/cgroup.h"
#include "fs_watch.h"
#include "metrics/metrics.h"
#include "net/hostport.h"
#include "plan/plan.h"
#include "pods.h"
#include "pods/pod_clock.h"
#include "pods/pod_ops.h"
#include "store/store.h"
#include "supervise/supervise.h"
#include "watch/watch.h"

/* After a shim that did not answer, the next try comes this much later. */
#define POD_SHIM_RETRY_USEC 1000000

/* How processes left in a cgroup are waited for: a timer, 10 ms apart, 2 s at most, killed
 * again every POD_KILL_TICKS. Where the kernel tells when a cgroup empties (cgroup.events of
 * cgroup2), its notice is the wait, and the timer only kills again and bounds it. */
#define POD_EMPTY_TICK_USEC 10000
#define POD_EMPTY_TICKS     200
#define POD_KILL_TICKS      10

struct pod_request; /* lifecycle.c: one request to the pod's shim in flight, or to retry */
struct pod_waiter;  /* manager.c: a delete waiting for the end */

/* lifecycle.c: a container's restart, waiting for its time (CrashLoopBackOff, a retry). */
struct pod_restart {
	struct pod *pod;
	size_t container;
	struct pod_timer *timer;
	/* a graceful stop of this container alone (a failed liveness or startup probe, a failed
	 * postStart hook): its cgroup is killed when kill_timer fires, if run kill_run still runs
	 */
	struct pod_timer *kill_timer;
	int32_t kill_run;
	uint64_t kill_deadline; /* CLOCK_MONOTONIC: the end of its grace */
	bool pre_stopping;      /* its preStop hook runs: its SIGTERM waits for pod_pre_stop_done */
};

struct pod_probes;        /* probes.c: the probe workers and hooks of a pod's containers */
struct pod_image_pull;    /* images.c: a container's pull */
struct pod_image_backoff; /* images.c: the image back-off of one image of the pod */

struct pod_watch {
	struct pod *pod;
	size_t container;
	void (*fn)(void *);
	void *userdata;
	struct pod_watch *next;
};

/* What the monitor keeps of one container: the counters its judgements start from, and the
 * kernel's notices about its cgroup. */
struct pod_counters {
	struct pod *pod;
	size_t index;
	uint64_t oom_base;     /* oom_kill when its current run started: OOMKilled if it rose */
	uint64_t oom_reported; /* oom_kill an OOMKilling event was last recorded for */
	uint64_t oom_seq;      /* the kernel log's next record when the run started: its victims */
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
	struct fs_watch *memory_watch; /* v2: on memory.events */
};
/* What every layer shares: the options the manager was opened with, the loop, the store, the
 * cgroup driver, the shim and the clock. The manager's struct pods begins with it. */
struct pod_env {
	struct pods_options opt;
	sd_event *event;
	struct store *store;
	struct cgroup_driver *cgroup; /* NULL until the first pod needs it */
	struct sup_config sup;
	const char *host_ip;
	const char *hostname;
	const struct pod_shim_ops *shim;
	void *shim_ctx;
	struct net *net; /* the pod network; NULL: none (opt.network NULL) */
	/* its nftables table (hostPorts, masquerade): with net; made when the first pod of this
	 * run attaches (hostports_made), so the rules are this build's and config's */
	struct hostports *hostports;
	bool hostports_made;
	uint64_t shim_timeout_usec;
	struct prom_histogram start_durations; /* nanolet_pod_start_duration_seconds */
	/* The manager's: a deleted pod's shim is gone (or there was none); it removes the pod. */
	void (*stopped)(struct pod *pod);
	/* The probes layer's (the manager sets them; NULL: none). changed: something happened to
	 * the pod (pod_sync): its probes and hooks follow its containers. pre_stop: a graceful
	 * stop of container i begins with its preStop hook, if it has one, to be ended by
	 * deadline (CLOCK_MONOTONIC): true when it started, and its end (never before this
	 * returned) comes to pod_pre_stop_done. */
	void (*changed)(struct pod *pod);
	bool (*pre_stop)(struct pod *pod, size_t container, uint64_t deadline);
	/* exec.c: the descriptors the execs under way hold (pods_fd_cost's counterpart), and the
	 * manager's count of what every pod and exec holds, against opt.fd_budget */
	size_t exec_fds;
	size_t (*fds_held)(struct pod_env *env);
	struct pod_exec *execs; /* exec.c: those under way */
	/* metadata.resourceVersion: the node-wide counter, the last value given (kept in the
	 * store's meta table as "resourceVersion"), and the ring of recent changes that watches
	 * replay and follow (pods_watch_ring). */
	uint64_t resource_version;
	struct watch_ring *ring;
};

/* One pod. Each group of fields belongs to the layer named above it; the others read them. */
struct pod {
	struct pod_env *env;
	struct pod *next; /* manager: in one of its lists */

	/* record */
	char *uid;
	struct spec_pod *spec;
	struct plan *plan;
	struct sup_pod *sup;
	/* the Pod as created (metadata.uid, creationTimestamp) or last updated, as compact JSON:
	 * a tree of it, kept for the pod's life, costs several times the text (pod_object) */
	char *object;
	char *run_dir;        /* <run_dir>/pods/<uid>: shim.json, shim.sock, exits/ */
	char *volume_dir;     /* <state_dir>/pods/<uid> */
	char *log_dir;        /* <log_dir>/pods/<ns>_<name>_<uid> */
	char *cgroup;         /* the pod cgroup, relative to nanolet's root */
	uint32_t userns_base; /* first host id of the pod's user namespace, 0 without one */
	uint32_t pod_ip;      /* its address on the pod network (the store's); 0: none yet */
	pid_t shim_pid;
	uint64_t shim_start_time; /* /proc/<pid>/stat field 22: with the pid, the shim's identity */
	bool creating; /* not answered yet: a restart finds it half made and removes it */
	bool deleting;
	uint64_t seen_usec;  /* CLOCK_MONOTONIC when the POST reached us */
	bool start_observed; /* in nanolet_pod_start_duration_seconds */
	struct pod_watch *watches;
	struct pod_counters *counters; /* one per container: the monitor's */
	uint64_t resource_version;     /* metadata.resourceVersion of the object as served */
	uint64_t served_hash;          /* of its JSON without resourceVersion: a change bumps it */
	bool announced;                /* listed, and its ADDED in the ring: a DELETED follows */
	/* a delete requested: metadata.deletionTimestamp (unix seconds, the request's time plus
	 * its grace, as the API server sets it) and deletionGracePeriodSeconds */
	int64_t deletion_at;
	int64_t deletion_grace;

	/* lifecycle */
	struct pod_shim_watch *shim_watch;   /* the shim runs: its end is the sandbox's */
	struct pod_shim_call *shim_starting; /* a new shim that has not answered yet */
	size_t shim_starting_for; /* the container whose restart wants it; SIZE_MAX: all (create) */
	struct pod_timer *sandbox_timer; /* a new sandbox waits for the old one's processes */
	struct pod_timer *network_timer; /* a sandbox waits for a free pod address */
	unsigned sandbox_ticks;
	struct pod_request *requests; /* to the shim, in flight or waiting to retry */
	bool *start_unsure;           /* per container: a start the shim did not answer in time
	                               * (it may still act on it): ask its state first */
	struct pod_restart *restarts; /* one per container: its restart timer */
	struct fs_watch *exits_watch; /* on exits/ */
	bool shim_stopping;           /* shutdown sent */
	struct pod_timer *grace_timer;
	uint64_t stop_deadline; /* CLOCK_MONOTONIC: the end of a delete's grace */
	/* A create not answered yet: called once every container's first start has its answer
	 * (r 0), or the sandbox could not be made (r < 0). The manager sets it, so that the
	 * lifecycle needs nothing of the manager. */
	void (*settled)(struct pod *pod, int r, const struct nano_err *err);

	/* sandbox: a teardown under way */
	struct pod_timer *teardown_timer;
	unsigned teardown_ticks;         /* POD_EMPTY_TICK_USEC waited so far, by the timer */
	unsigned teardown_step;          /* the ticks the pending timer stands for */
	struct fs_watch *teardown_watch; /* on the pod cgroup's cgroup.events, where there is one */
	void (*teardown_done)(struct pod *pod);
	struct util_work *removal; /* the job that removes the pod's files, else NULL */
	struct util_work *detach;  /* the job that deletes its node end, else NULL */
	bool teardown_detach_wait; /* the rest is done: its end waits for detach */

	/* monitor */
	uint64_t pids_max_events; /* refused forks in the pod's cgroups, last seen */
	uint64_t sampled_usec;    /* CLOCK_MONOTONIC of its last sample (manager.c: on_sample) */
	/* v2: on pids.events of the pod and of each container (refused forks are counted where
	 * the forking task is); NULL before the watch, and on v1 */
	struct fs_watch **pids_watches;
	struct pod_timer *oom_recheck; /* v1: waits for the kill an OOM notice announced */
	unsigned oom_rechecks;
	struct metrics_rate cpu_rate; /* the pod cgroup's usageNanoCores */

	/* images */
	struct pod_image_pull *image_pulls; /* one per container, once one needed an image */
	struct pod_image_backoff *image_backoffs;

	/* probes */
	struct pod_probes *probes;

	/* manager */
	pods_created_fn *created_fn; /* whom a create answers */
	void *created_userdata;
	struct nano_err failure;    /* why a create failed, answered once it is removed */
	struct pod_waiter *waiters; /* deletes waiting for the end */
	size_t n_waiters;
	bool restore_deleting; /* restore: a re-adopted pod waits for its shim's state */
	int64_t restore_grace;
	/* restore: a live shim the daemon could not watch yet (out of descriptors or memory),
	 * tried again on this timer; meanwhile nothing starts a sandbox beside it */
	struct pod_timer *adopt_timer;
};

/* ---- record.c ------------------------------------------------------------------------------ */

/* A pod record; uid NULL for a new one, else the stored one's (object then the stored Pod,
 * borrowed). userns_base: the first node id of its user namespace (0: none), which the
 * manager picks. On failure *out may hold a half-made pod for pod_record_free. */
int pod_new(struct pod_env *env, struct spec_pod *spec, const char *uid, json_t *object,
            uint32_t userns_base, struct pod **out, struct nano_err *err);
/* Whether the pod is on the pod network: not hostNetwork, on a node that has one. */
bool pod_on_network(const struct pod *pod);
/* Gives the pod an address of the pod network (the store's: the one it has, else the lowest
 * free one). -EADDRNOTAVAIL (NANO_UNAVAILABLE) naming the CIDR when every one is taken. */
int pod_assign_ip(struct pod *pod, struct nano_err *err);
/* The pod's address becomes ip (0: none): the record and its plan's network part. */
void pod_set_ip(struct pod *pod, uint32_t ip);
/* Frees what record.c made; the layers above free theirs first (manager.c's pod_free). */
void pod_record_free(struct pod *pod);

/* Test-only: when the environment variable NANOLET_CRASH_AT names this point, the daemon
 * SIGKILLs itself there, so that the crash tests hit each moment deterministically. */
void pod_crash_point(const char *name);
/* Test-only: when NANOLET_STALL_AT names this point, the caller waits there until someone opens
 * the FIFO NANOLET_STALL_FIFO names for writing (a point off the loop: a job's thread), so that
 * a test holds a slow step for as long as it likes. */
void pod_stall_point(const char *name);

/* The pod's record beside its status (shim identity, OOM baselines, supervisor state, the
 * creating mark); NULL on ENOMEM. pod_save writes both to the store and returns a failure;
 * pod_persist logs it (and observes the start duration once the pod first runs). */
json_t *pod_runtime_json(const struct pod *pod);
int pod_save(struct pod *pod, struct nano_err *err);
void pod_persist(struct pod *pod);
/* The next value of the node's resourceVersion counter (written to the store's batch). */
uint64_t pods_next_resource_version(struct pod_env *env);
/* Records an event at now with the next resourceVersion, and tells the watches: ADDED for a
 * new one, MODIFIED when it repeats one (its count and lastTimestamp went up). */
int pods_record_event(struct pod_env *env, struct store_event_new *ev, struct nano_err *err);
/* The pod is gone (its row removed): its resourceVersion moves on and the watches get its
 * DELETED with the last object, if they ever saw it. */
void pod_announce_deleted(struct pod *pod);
/* The pod's JSON now is what its resourceVersion stands for (a restored pod: what the old
 * daemon served), so that only a change from it moves the resourceVersion on. */
void pod_mark_served(struct pod *pod);
/* A delete was requested (or shortened) at now_s with grace_s: deletionTimestamp now + grace,
 * never later than one already set, as store_pod_mark_deleting keeps it. */
void pod_set_deletion(struct pod *pod, int64_t now_s, int64_t grace_s);

/* Calls the watches of a container (SIZE_MAX: all of them) once, and drops them. */
void pod_notify_watches(struct pod *pod, size_t container);

/* The clock (env->opt.clock): now on clock in microseconds; and the wall-clock time in whole
 * seconds, as status and events show it. */
uint64_t pods_clock(const struct pod_env *env, clockid_t clock);
int64_t pods_now(const struct pod_env *env);
/* A one-shot timer into *slot (cleared when it fires, before fn): at usec on clock, or usec
 * from now on CLOCK_MONOTONIC. Cancel accepts an empty slot. */
int pods_timer_at(struct pod_env *env, struct pod_timer **slot, clockid_t clock, uint64_t usec,
                  pod_timer_fn *fn, void *userdata);
int pods_timer_in(struct pod_env *env, struct pod_timer **slot, uint64_t usec, pod_timer_fn *fn,
                  void *userdata);
void pods_timer_cancel(struct pod_env *env, struct pod_timer **slot);
/* pods_timer_in for a wait someone sees the end of: it fires at most accuracy late, where a
 * timer of the others may fire up to the loop's default (250 ms) late to share a wake-up. */
int pods_timer_in_within(struct pod_env *env, struct pod_timer **slot, uint64_t usec,
                         uint64_t accuracy, pod_timer_fn *fn, void *userdata);
/* A container's cgroup relative to nanolet's root (what the cgroup driver takes). */
const char *pod_container_cgroup(const struct pod *pod, size_t container);
/* A container id as the CRI shows them: 64 hex digits. */
void pod_container_id(char out[65]);
