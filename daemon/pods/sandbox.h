/* daemon/pods/sandbox.h: the pod manager's sandbox layer (sandbox.c): what a pod has on the node —
 * cgroups, volumes, the shim's configuration — made before its shim starts and removed after.
 * It calls only record.h. */
#pragma once

#include "pods/record.h"

/* What the pod has on the node before its shim starts (shim.json written), and
 * its removal. Setting up again over what is there is fine (a new shim for a pod whose shim
 * died, or after a reboot): cgroups are kept, a Memory emptyDir's tmpfs is not mounted twice. */
int pod_setup(struct pod *pod, struct nano_err *err);
/* shim.json again with the pod's plan as it is now (a container's image resolved after the
 * shim started: plan_container_apply_image), the rest of the file as pod_setup wrote it.
 * Written atomically before the start request: the shim reads the container's entry again
 * when it starts it. */
int pod_shim_config_rewrite(struct pod *pod, struct nano_err *err);
/* Once the shim listens (pod->shim_pid, shim_start_time set): the pod on the pod network —
 * its veth, eth0 with its address, the default route — and status.podIP; a hostNetwork pod's
 * podIP is the node's address. Any node end of an earlier sandbox goes first. */
int pod_network_attach(struct pod *pod, struct nano_err *err);
/* A re-adopted shim keeps its veth: attached again when its node end is gone. */
int pod_network_check(struct pod *pod, struct nano_err *err);
/* SIGKILLs what is left in the pod's cgroups (a shim that would not stop, a process that
 * escaped its container's pid namespace): 1 when there was something, 0 when they are empty. */
int pod_kill_leftovers(struct pod *pod);
/* Removes the pod's cgroups, empty by now, so that a new sandbox is made in fresh ones: 0 (also
 * when there were none, or when one could not be removed for another reason: logged), or
 * -EBUSY while the kernel has not freed them (try again a moment later). */
int pod_remove_cgroups(struct pod *pod);
/* Removes everything the pod has on the node, without waiting on the loop: kills what is left
 * in its cgroups and, once they are empty (as the kernel notifies through cgroup.events where
 * there is one, else looked at every POD_EMPTY_TICK_USEC; POD_EMPTY_TICKS at most, then it
 * goes on), removes them, then its tmpfs mounts and its directories in a job on a thread of
 * its own (an emptyDir may hold many files: the loop goes on meanwhile); then done(pod), never
 * before this returned. -errno when it could not begin (no timer). */
int pod_teardown(struct pod *pod, void (*done)(struct pod *pod));
/* Stops a teardown under way (done never comes); a removal of files already under way goes on
 * on its thread until the process ends (a daemon that stops: the next one, finding the pod's
 * row, tears it down again). */
void pod_teardown_cancel(struct pod *pod);
/* The termination message of a container's run that ended with exit_code (restart: the run's
 * number, as the shim names its files), as the kubelet makes it: the last 4096 bytes of the
 * file the run saw at terminationMessagePath; with FallbackToLogsOnError, an empty (or no) file
 * and a non-zero exit code, the last 80 lines of the run's log, of which the last 2048 bytes.
 * Valid UTF-8 (bad bytes as U+FFFD); NULL when there is none. */
char *pod_termination_message(const struct pod *pod, size_t container, int64_t restart,
                              int32_t exit_code);
/* Before a container starts: checks a hostPath of a type that must exist, and makes missing
 * subPath directories. NULL when fine, else a message for the container's StartError. */
char *pod_prepare_mounts(const struct pod *pod, size_t container);
