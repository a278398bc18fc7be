/* pkg/supervise: the lifecycle of a pod exactly as the kubelet computes it — container states,
 * restart policy, CrashLoopBackOff, the pod phase, the kubelet-owned conditions, and the
 * core/v1 PodStatus JSON.
 *
 * Pure: events come in as calls that carry their own times (Unix seconds), decisions and
 * status come out. No I/O, no clock, no globals. The daemon feeds it what the shim reports
 * and acts on sup_container_next_action(); everything here is table-tested.
 *
 * Where the kubelet behaviour comes from (kubernetes/kubernetes):
 *   getPhase, convertToAPIContainerStatuses    pkg/kubelet/kubelet_pods.go
 *   conditions                                pkg/kubelet/status/generate.go
 *   lastTransitionTime                        pkg/kubelet/status/status_manager.go
 *   ShouldContainerBeRestarted                pkg/kubelet/container/helpers.go
 *   doBackOff                                 pkg/kubelet/kuberuntime/kuberuntime_manager.go
 *   Backoff (Next, IsInBackOffSince)          client-go/util/flowcontrol/backoff.go
 *   StartError 128, Completed, Error, OOMKilled   containerd's CRI plugin
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "spec/spec.h"
#include "util/util.h"

/* A time that is not known. It prints as JSON null, as a zero metav1.Time does. */
#define SUP_TIME_NONE INT64_MIN

/* ---- configuration ------------------------------------------------------------------------ */

/* All in seconds. The kubelet's defaults: 10 s initial back-off doubling to 300 s
 * (MaxContainerBackOff), reset once a run lasted longer than 600 s (the kubelet's
 * HasExpiredFunc), and 10 s before a failed sync is retried (backOffPeriod). Tests and the
 * daemon's config shorten them. */
struct sup_config {
	int64_t backoff_initial;
	int64_t backoff_max;
	int64_t backoff_reset;
	int64_t sync_retry;
};

#define SUP_CONFIG_DEFAULT ((struct sup_config){10, 300, 600, 10})

/* ---- model ---------------------------------------------------------------------------------- */

enum sup_state {
	SUP_WAITING,
	SUP_RUNNING,
	SUP_TERMINATED,
};

enum sup_phase {
	SUP_PHASE_PENDING,
	SUP_PHASE_RUNNING,
	SUP_PHASE_SUCCEEDED,
	SUP_PHASE_FAILED,
};

/* In the order the kubelet appends them to status.conditions. */
enum sup_condition_type {
	SUP_COND_POD_READY_TO_START_CONTAINERS,
	SUP_COND_INITIALIZED,
	SUP_COND_READY,
	SUP_COND_CONTAINERS_READY,
	SUP_COND_POD_SCHEDULED,
	SUP_COND_COUNT,
};

/* One ContainerStateTerminated. Strings are owned; NULL is absent (omitted from JSON). */
struct sup_terminated {
	bool valid;
	int32_t exit_code;
	int32_t signal;     /* 0: none (omitted) */
	char *reason;       /* Completed, Error, OOMKilled, StartError, ContainerStatusUnknown */
	char *message;      /* NULL when none */
	int64_t started_at; /* SUP_TIME_NONE: null; StartError has 0 (1970-01-01), as the CRI */
	int64_t finished_at;
	char *container_id; /* nanolet://<id>, NULL when unknown */
};

/* ---- probes ---------------------------------------------------------------------------------
 * The kubelet's prober workers (pkg/kubelet/prober/worker.go), one per container and probe
 * kind, as pure state: what the results manager holds for the container's current run, the
 * run of equal results that a threshold counts, and the hold after a liveness or startup
 * failure. The daemon runs the checks and feeds their results in (probe.c). */

enum sup_probe_kind {
	SUP_PROBE_LIVENESS,
	SUP_PROBE_READINESS,
	SUP_PROBE_STARTUP,
	SUP_PROBE_KINDS,
};

enum sup_probe_result {
	SUP_PROBE_UNKNOWN, /* startup's initial value: not started yet */
	SUP_PROBE_SUCCESS,
	SUP_PROBE_FAILURE,
};

struct sup_probe {
	bool defined;                           /* the container has this probe */
	int64_t initial_delay, period, timeout; /* seconds, as the spec (defaults applied) */
	int32_t success_threshold, failure_threshold;
	/* what the results manager holds for the current run: the initial value (liveness
	 * Success, readiness Failure, startup Unknown) until a threshold flips it */
	enum sup_probe_result result;
	enum sup_probe_result last; /* the latest check's own result (UNKNOWN: none yet) */
	int32_t run;                /* how many checks in a row gave it */
	bool on_hold;               /* liveness/startup failed: no check until the next run */
};

struct sup_container {
	char *name;
	char *image;    /* status.image: the spec's, then the reference it resolved to */
	char *image_id; /* status.imageID: <repo>@sha256:<hex> once resolved, NULL before */

	enum sup_state state;
	char *reason;  /* SUP_WAITING: ContainerCreating, CrashLoopBackOff, ErrImageNeverPull */
	char *message; /* SUP_WAITING: NULL when none */
	int64_t started_at; /* SUP_RUNNING */
	pid_t pid;          /* SUP_RUNNING, 0 otherwise */

	/* The latest termination: the state while SUP_TERMINATED, lastState otherwise. */
	struct sup_terminated terminated;
	/* The termination before it: lastState while SUP_TERMINATED. */
	struct sup_terminated previous;

	int32_t restart_count;
	bool started; /* running, and its startup probe (if any) succeeded */
	bool ready;   /* started, and its readiness probe (if any) succeeded */
	struct sup_probe probes[SUP_PROBE_KINDS];
	/* its postStart hook runs: the run counts as running (its exit is read, its pid known)
	 * but the kubelet has not finished starting it, so its status is still waiting
	 * ContainerCreating and no probe runs yet */
	bool post_start_pending;
	bool has_post_start; /* the spec has lifecycle.postStart */
	char *container_id;  /* of the latest attempt, nanolet://<id>; NULL before the first */

	/* Restart bookkeeping (one flowcontrol.Backoff entry per container). */
	int32_t attempts;        /* containers created so far */
	bool restart_counted;    /* restart_count already bumped for the next attempt */
	bool latest_exited;      /* the latest attempt ended: a new attempt advances the back-off */
	int64_t exited_at;       /* when it ended (the back-off's eventTime) */
	int64_t backoff;         /* current delay, 0: no entry */
	int64_t backoff_updated; /* when the back-off last advanced (entry.lastUpdate) */
	int64_t restart_at;      /* the next attempt not before this time */
};

struct sup_condition {
	bool status;
	const char *reason; /* static, NULL when none */
	char *message;      /* NULL when none */
	int64_t last_transition_time;
};

struct sup_pod {
	char *name;
	char *namespace;
	char *uid;
	char *host_ip; /* NULL: hostIP and hostIPs omitted */
	char *pod_ip;  /* NULL: podIP and podIPs omitted (no sandbox network yet) */
	enum spec_restart_policy restart_policy;
	enum spec_qos qos;

	struct sup_container *containers;
	size_t n_containers;

	int64_t start_time;
	bool sandbox_ready; /* the shim holds the pod's namespaces */
	bool deleting;      /* deletion requested: nothing restarts any more */
	bool terminal;      /* the kubelet's podIsTerminal: no container will run again */
	enum sup_phase phase;
	struct sup_condition conditions[SUP_COND_COUNT];
};

/* ---- pods --------------------------------------------------------------------------------- */

/* A pod as the kubelet first sees it: every container waiting (ContainerCreating), phase
 * Pending, startTime and every condition's lastTransitionTime now. spec needs name, namespace,
 * uid (NULL allowed: "") and containers. host_ip may be NULL. -ENOMEM on failure. */
int sup_pod_new(const struct spec_pod *spec, const char *host_ip, int64_t now,
                struct sup_pod **out);

struct sup_pod *sup_pod_free(struct sup_pod *pod);
static inline void sup_pod_freep(struct sup_pod **p)
{
	sup_pod_free(*p);
}
#define _cleanup_sup_pod_ _cleanup_(sup_pod_freep)

/* Index of the container called name, or -ENOENT. */
int sup_pod_find(const struct sup_pod *pod, const char *name);

/* ---- events in -----------------------------------------------------------------------------
 * Each takes the time it happened, updates the container, and recomputes phase, terminal and
 * conditions. Out-of-range indices give -EINVAL, allocation failures -ENOMEM. */

/* The shim is up and holds the namespaces: PodReadyToStartContainers turns True. */
int sup_pod_sandbox_ready(struct sup_pod *pod, int64_t now);
/* status.podIP (and podIPs), once the sandbox's network is up: the pod network's address, or
 * the node's for a hostNetwork pod. Kept when the sandbox goes, as the kubelet keeps the last
 * one it saw. -ENOMEM. */
int sup_pod_set_pod_ip(struct sup_pod *pod, const char *ip);

/* A container was created and its process started. id is the runtime's id (without scheme). */
int sup_container_started(struct sup_pod *pod, size_t i, const char *id, pid_t pid, int64_t now,
                          const struct sup_config *cfg);

struct sup_exit {
	int32_t exit_code; /* as the runtime reports it: 128+n for signal n */
	int32_t signal;    /* 0: none */
	int64_t finished_at;
	const char *reason;  /* NULL: Completed for 0, Error otherwise; or e.g. "OOMKilled" */
	const char *message; /* NULL: none */
};

/* The running container's process ended. Decides the restart: immediately, after a
 * CrashLoopBackOff wait (the container then shows waiting/CrashLoopBackOff), or never. */
int sup_container_exited(struct sup_pod *pod, size_t i, const struct sup_exit *exit,
                         const struct sup_config *cfg);

/* The container was created but its process could not be started (exec failed): it ends as
 * containerd reports it, terminated StartError, exit code 128, startedAt 1970-01-01, with
 * message (e.g. the errno text) — a failure for OnFailure. */
int sup_container_start_failed(struct sup_pod *pod, size_t i, const char *id, const char *message,
                               int64_t now, const struct sup_config *cfg);

/* The container could not be created, for a reason the kubelet reports as waiting: reason
 * ErrImageNeverPull (its root filesystem is missing) or CreateContainerConfigError (runAsNonRoot
 * and a root user), with message the caller's text. No container was created (restartCount
 * stays); the next attempt waits cfg->sync_retry. */
int sup_container_not_created(struct sup_pod *pod, size_t i, const char *reason,
                              const char *message, int64_t now, const struct sup_config *cfg);

/* The image container i starts from, once resolved on the node: status.image (the normalized
 * reference, docker.io/library/busybox:1.36) and status.imageID (<repo>@sha256:<hex>), as the
 * kubelet reports what the runtime ran. -ENOMEM. */
int sup_container_set_image(struct sup_pod *pod, size_t i, const char *image, const char *image_id);

/* The shim is gone (crashed, or stopped after the pod finished). Every running container
 * becomes terminated ContainerStatusUnknown, exit code 137, "The container could not be located
 * when the pod was terminated", restartCount + 1, as the kubelet writes it; the sandbox is no
 * longer ready. */
int sup_pod_shim_died(struct sup_pod *pod, int64_t now, const struct sup_config *cfg);
/* The same with another message, e.g. when the node rebooted under the container. */
int sup_pod_sandbox_lost(struct sup_pod *pod, const char *message, int64_t now,
                         const struct sup_config *cfg);

/* Deletion requested: no container restarts any more (the kubelet's DeletionTimestamp). Once
 * no container runs, the pod is terminal and its phase Succeeded or Failed by exit codes. */
int sup_pod_delete(struct sup_pod *pod, int64_t now);

/* The postStart hook of the running container ended (sup_container_started marks it pending
 * when the spec has one): its status becomes running. -EINVAL when none was pending. */
int sup_container_post_start_done(struct sup_pod *pod, size_t i, int64_t now);

/* ---- probes in and out (probe.c) ------------------------------------------------------------ */

/* "Liveness", "Readiness", "Startup": as the kubelet's events name them. */
const char *sup_probe_kind_name(enum sup_probe_kind kind);

/* Whether a check of that kind is to be made at now, by the rules of the kubelet's doProbe:
 * the container has the probe and runs (its postStart done), the probe is not on hold, its
 * initialDelaySeconds since the run's start have passed, and the startup probe gates the two
 * others (startup runs until it succeeded, they only after); liveness and startup stop once
 * the pod is being deleted. */
bool sup_probe_wanted(const struct sup_pod *pod, size_t i, enum sup_probe_kind kind, int64_t now);

enum sup_probe_outcome {
	SUP_PROBE_KEPT,    /* below its threshold: the kept result is unchanged */
	SUP_PROBE_SET,     /* the kept result is the check's (it may be the same as before) */
	SUP_PROBE_RESTART, /* liveness or startup failed past its threshold: kill the container
	                    * (the restart policy then applies); the probe is on hold until the
	                    * next run */
};

/* One check's result for the container's current run, made at now: counted against the
 * thresholds, and started, ready and the conditions recomputed. -EINVAL for a container that
 * does not run, lacks the probe or has it on hold; -ENOMEM. */
int sup_probe_result(struct sup_pod *pod, size_t i, enum sup_probe_kind kind, bool success,
                     int64_t now);

/* ---- decisions out -------------------------------------------------------------------------- */

/* The restart policy's rule for a container that ended with exit_code: Always yes, OnFailure
 * when exit_code != 0, Never no. */
bool sup_restart_allowed(enum spec_restart_policy policy, int32_t exit_code);

enum sup_action {
	SUP_ACTION_NONE,  /* running, or will not run again */
	SUP_ACTION_START, /* start it once the clock reaches *not_before */
};

/* What the daemon should do with container i. */
enum sup_action sup_container_next_action(const struct sup_pod *pod, size_t i, int64_t *not_before);

/* The back-off after current (0: none yet): initial, then doubling, capped at max. */
int64_t sup_backoff_step(const struct sup_config *cfg, int64_t current);

/* A duration as Go's time.Duration prints it: "10s", "1m20s", "5m0s", "1h0m0s". */
void sup_format_duration(int64_t seconds, char *buf, size_t size);

/* "back-off 20s restarting failed container=NAME pod=NAME_NAMESPACE(UID)"; NULL on ENOMEM. */
char *sup_crashloop_message(const struct sup_pod *pod, const struct sup_container *c,
                            int64_t backoff);

/* ---- what ended a run ------------------------------------------------------------------------ */

#define SUP_UNLIMITED UINT64_MAX /* a pids.max of "max" */

/* What a run's cgroups counted while it ran, for the message of its end (exit_message.c). */
struct sup_run_pressure {
	uint64_t forks_refused;  /* forks its pod's pids.max refused during the run */
	uint64_t pids_max;       /* the pod's pids.max, SUP_UNLIMITED for none */
	const char *pids_source; /* "its nanolet.io/pids-limit annotation", or NULL */
	uint64_t cpu_periods;    /* CFS periods of the run, and how many were throttled */
	uint64_t cpu_throttled;
	unsigned throttled_percent; /* the node's cpu_throttling_threshold */
	const char *cpu_limit;      /* "100m, cpu.max \"10000 100000\"", or NULL */
};

/* A run's message: base (an OOMKilled message, or NULL), then each thing the kernel did to the
 * run, named after the event that reports it: "the pod's pids.max of 64 (from its
 * nanolet.io/pids-limit annotation) refused 3 forks during this run (PidsLimitReached)", "it was
 * throttled in 87% of its CPU periods during this run (CPUThrottling): its CPU limit is ...". A
 * run throttled in no more than throttled_percent of its periods is not mentioned. *out NULL when
 * there is nothing to say. 0 or -ENOMEM. */
int sup_exit_message(const char *base, const struct sup_run_pressure *p, char **out);

/* ---- status out ------------------------------------------------------------------------------ */

/* The kubelet's getPhase for a pod without init containers. pod_is_terminal: the pod worker
 * has decided no container will run again (deletion finished, or the policy is done). */
enum sup_phase sup_phase_compute(enum spec_restart_policy policy, const struct sup_container *cs,
                                 size_t n, bool pod_is_terminal);

const char *sup_phase_name(enum sup_phase phase);
const char *sup_condition_type_name(enum sup_condition_type type);
const char *sup_state_name(enum sup_state state);

/* The supervisor's whole record of the pod (attempts, back-off, condition times), for a daemon
 * that restarts; NULL on ENOMEM. Restore applies one to a pod fresh from sup_pod_new of the
 * same spec (containers matched by name) and recomputes phase and conditions at now: -EINVAL
 * for a state that is not one, -ENOMEM. */
json_t *sup_pod_state_json(const struct sup_pod *pod);
int sup_pod_state_restore(struct sup_pod *pod, const json_t *state, int64_t now);

/* The core/v1 PodStatus object, fields in the API's order, RFC 3339 times. NULL on ENOMEM. */
json_t *sup_pod_status_json(const struct sup_pod *pod);
