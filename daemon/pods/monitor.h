/* daemon/pods/monitor.h: the pod manager's monitor layer (monitor.c): what a running pod's cgroups
 * say about its limits, as events and numbers. It calls only record.h. */
#pragma once

#include "pods/record.h"

/* What the pod's cgroups say. pod_watch_alloc makes the per-container counters
 * (pod_run_alloc); pod_watch_notices registers for the kernel's notices (OOM kills, refused
 * forks) once the cgroups exist, again for a new sandbox; pod_watch_close drops both
 * (pod_run_done). */
int pod_watch_alloc(struct pod *pod, struct nano_err *err);
int pod_watch_notices(struct pod *pod, struct nano_err *err);
void pod_watch_close(struct pod *pod);
/* A run starts: its OOM-kill count and its first CPU window begin (one read of its cgroup). */
void pod_watch_start(struct pod *pod, size_t container);
/* A run ended: whether the kernel's OOM killer killed a process of it, the main one or any
 * other (the cgroup's oom_kill rose since the run started): OOMKilled, as containerd says it.
 * If so, *message names the limit and the victim the kernel logged (pid and command), else
 * pid (the main process, when SIGKILL ended it; 0: not that), and the OOMKilling event is
 * recorded unless a notice already did. */
bool pod_watch_oom_killed(struct pod *pod, size_t container, pid_t pid, char **message);
/* A run ended: what the kernel did to it while it ran (forks refused at the pod's pids.max,
 * throttling past cpu_throttling_threshold), read fresh and recorded as events where none was
 * yet, as a status message after base (an OOMKilled message, or NULL). NULL when there is
 * nothing to say. */
char *pod_watch_exit_message(struct pod *pod, size_t container, const char *base);
/* One sample of the pod's cgroups for the throttling window (window seconds) and the CPU
 * rates; the manager calls it for each pod every cpu_throttling_interval. */
void pod_monitor_sample(struct pod *pod, int64_t window);
/* The counters sampled from now on begin again now (a restored pod): a restart must not
 * report throttling or refused forks the old daemon saw already. */
void pod_monitor_rebase(struct pod *pod);
/* The pod's cgroups are new (a new sandbox's): every counter begins at 0 again, the OOM kills
 * a run is judged against too. */
void pod_monitor_reset(struct pod *pod);
