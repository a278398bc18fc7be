/* daemon/pods_internal.h: private to pods.c, pod_setup.c and pod_run.c. */
#pragma once

#include <systemd/sd-event.h>

#include "cgroup/cgroup.h"
#include "nanoletd.h"
#include "plan/plan.h"
#include "pods.h"
#include "store/store.h"
#include "supervise/supervise.h"

/* How long the daemon waits for a shim: it answers local requests at once. */
#define POD_SHIM_TIMEOUT_MS 10000

struct pod_watch {
	struct pod *pod;
	size_t container;
	void (*fn)(void *);
	void *userdata;
	struct pod_watch *next;
};

/* A container's CPU counters at the start of the current sampling window. */
struct pod_cpu_sample {
	uint64_t periods;
	uint64_t throttled;
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
	int shim_pidfd;
	sd_event_source *shim_source;
	int exits_fd; /* inotify on exits/ */
	sd_event_source *exits_source;
	sd_event_source **restart_timers; /* one per container */
	uint64_t *oom_kills; /* per container: oom_kill of its cgroup when it started */
	struct pod_cpu_sample
	        *cpu; /* per container: the CPU counters at its window start (pod_watch.c) */
	uint64_t pids_max_events; /* the pod cgroup's pids.events max, last seen */

	bool deleting;
	bool shim_stopping; /* shutdown sent */
	sd_event_source *grace_timer;
	struct http_deferred **waiters;
	size_t n_waiters;
	struct pod_watch *watches;
};

struct pods {
	struct nanoletd *daemon;
	struct store *store;
	struct cgroup_driver *cgroup;
	struct sup_config sup;
	char *shim_path;
	char *host_ip;
	char hostname[256];
	struct pod *list;
	sd_event_source *expire_timer;
	sd_event_source *sample_timer;
};

/* pod_setup.c: what the pod has on the node before its shim starts, and its removal. */
int pod_setup(struct pod *pod, struct nano_err *err);
void pod_teardown(struct pod *pod);
/* Before a container starts: checks a hostPath of a type that must exist, and makes missing
 * subPath directories. NULL when fine, else a message for the container's StartError. */
char *pod_prepare_mounts(const struct pod *pod, size_t container);

/* pod_run.c: the running pod. */
int pod_start(struct pod *pod, struct nano_err *err);
void pod_schedule(struct pod *pod, size_t container);
void pod_stop_containers(struct pod *pod, int signal);
/* A deleted pod whose containers have all ended: asks its shim to go (its exit then ends the
 * delete), or ends the delete at once when there is no shim. May free the pod: call it last. */
void pod_stop_shim_if_done(struct pod *pod);
void pod_run_done(struct pod *pod);
void pod_persist(struct pod *pod);
void pod_notify_watches(struct pod *pod, size_t container);
/* pod_watch.c: CPU throttling and pids.max refusals, sampled on one timer. */
/* A run starts: its OOM-kill count and its first CPU window begin (one read of its cgroup). */
void pod_watch_start(struct pod *pod, size_t container);
int pods_on_sample(sd_event_source *source, uint64_t usec, void *userdata);

/* pods.c: the last step of a delete, once the shim is gone. */
void pod_finish_delete(struct pod *pod);

int64_t pods_now(void);
/* A container's cgroup relative to nanolet's root (what the cgroup driver takes). */
const char *pod_container_cgroup(const struct pod *pod, size_t container);
