/* daemon/pods/lifecycle.h: the pod manager's lifecycle layer (lifecycle.c): the shim, starts,
 * exits, restarts and stops of a pod. It calls images.h, sandbox.h, monitor.h and record.h, and
 * tells the manager only through pod->settled and env->stopped. */
#pragma once

#include "pods/monitor.h"
#include "pods/record.h"
#include "pods/sandbox.h"

/* The running pod. pod_sandbox_start sets the pod up (pod_setup) and starts its
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
/* The pod's next step from what it wants and what it has, after anything happened to it: its
 * record saved; every container the restart policy wants started gets its start (now, or a
 * timer at its back-off's end); a deleted pod whose containers have all ended has its shim
 * asked to go (or, without one, ends: env->stopped). Idempotent: called again, it does
 * nothing more. May free the pod: call it last. */
void pod_sync(struct pod *pod);
/* SIGTERM: asks the shim (without waiting); SIGKILL: kills the containers' cgroups. */
void pod_stop_containers(struct pod *pod, int signal);
/* A deleted pod whose containers have all ended: asks its shim to go (its exit then ends the
 * delete), or ends the delete at once when there is no shim. May free the pod: call it last. */
void pod_stop_shim_if_done(struct pod *pod);
/* A delete: the containers get SIGTERM (grace 0: SIGKILL) and, grace seconds later, their
 * cgroups are killed; once every container has ended the shim is asked to go, and its end
 * calls env->stopped. A second stop may shorten the grace, never lengthen it. */
void pod_stop(struct pod *pod, int64_t grace);
/* A graceful stop of one running container, as the kubelet's killContainer (a failed liveness
 * or startup probe, a failed postStart hook): its preStop hook (env->pre_stop) when grace > 0,
 * then SIGTERM, and its cgroup killed grace seconds after the stop began, but never sooner than
 * 2 s after the SIGTERM (the kubelet's minimumGracePeriodInSeconds). Its run then ends as any
 * other, and the restart policy decides. Nothing when it does not run or already stops. */
void pod_kill_container(struct pod *pod, size_t container, int64_t grace);
/* The preStop hook of container i ended, or was cut short at its deadline: the SIGTERM it held
 * back goes now. */
void pod_pre_stop_done(struct pod *pod, size_t container);
/* Drops everything the lifecycle holds of the pod (timers, requests, watches). */
void pod_run_done(struct pod *pod);
