/* daemon/pods.h: the pods this daemon runs. Creating one sets up its cgroups, volumes and shim
 * and starts its containers; the shim's exit records and the shim's own death drive each
 * container through pkg/supervise, restarts included; a delete stops the containers gracefully
 * and removes everything the pod had on the node. Status and events go to the store as they
 * change. Everything runs on the daemon's one sd-event loop. It knows nothing of HTTP: a create
 * and a delete end through callbacks, which the API layer turns into answers. */
#pragma once

#include <jansson.h>
#include <systemd/sd-event.h>

#include "cgroup/cgroup.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "net/net.h"
#include "plan/plan.h"
#include "pods/pod_checks.h"
#include "pods/pod_clock.h"
#include "pods/pod_ops.h"
#include "spec/spec.h"
#include "supervise/supervise.h"
#include "util/util.h"

struct pods;
struct pod;
struct fs_watches;

/* What the pod manager is given: the loop, the node's directories and settings, and its seams
 * to the world (shim, cgroup driver, clock). Strings and the plan_config callback's userdata
 * are borrowed: they must outlive the pods. */
struct pods_options {
	sd_event *event;
	const char *state_dir; /* pods/<uid>: volumes; and the store */
	const char *run_dir;   /* pods/<uid>: shim.json, shim.sock, exits/ */
	const char *log_dir;   /* pods/<ns>_<name>_<uid>: container logs */
	struct sup_config sup; /* back-off */
	int64_t max_pods;
	int64_t event_ttl; /* seconds */
	int64_t cpu_throttling_interval, cpu_throttling_threshold;
	int64_t container_log_max_size, container_log_max_files;
	/* The cgroup driver, opened when the first pod needs it (at start, when pods are stored
	 * or cgroup_root_dir exists): until then nothing is made in cgroupfs. */
	struct cgroup_driver_options cgroup;
	const char *cgroup_root_dir; /* nanolet's root in the hierarchy that defines it */
	/* The node's settings a plan is built with (nanolet's roots resolved once, at start: the
	 * same for dry runs and pods), for a pod of that uid and user namespace range. */
	void (*plan_config)(void *userdata, const char *uid, uint32_t userns_base,
	                    struct plan_config *out);
	void *plan_userdata;
	const char *hostname;     /* the node's name in events */
	const char *host_ip;      /* status.hostIP; NULL: none */
	const char *boot_id_path; /* a new boot id means the node rebooted: every shim is gone */
	/* The shim (nanolet-shim processes: pod_shim_real, ctx a struct pod_shim_client) and the
	 * clock (pod_clock_event, ctx the event loop); a Check suite hands in fakes. */
	const struct pod_shim_ops *shim;
	void *shim_ctx;
	uint64_t shim_timeout_usec; /* how long a shim's answer is waited for */
	const struct pod_clock_ops *clock;
	void *clock_ctx;
	/* The checks of probes and lifecycle hooks (pod_checks.h): the real ones (checks.c) or a
	 * Check suite's fake. NULL: no probe or hook is run (a pod with a readiness probe then
	 * never becomes ready). */
	const struct pod_check_ops *checks;
	void *checks_ctx;
	/* The daemon's one inotify instance: each pod's exits/ and, on v2, its cgroups' event
	 * files are watched on it. */
	struct fs_watches *watches;
	/* The file descriptors pods may hold (the daemon's RLIMIT_NOFILE less what connections,
	 * log follows and the daemon itself need; nanoletd computes the split): a create that
	 * could pass it is refused (503). 0: no bound. */
	size_t fd_budget;
	/* How many changes of pods and events the ring keeps for watches that resume from a
	 * resourceVersion (config watch_history; 0: 1024). */
	size_t watch_history;
	/* The OOM killer's victims from the kernel log (/dev/kmsg), read on the daemon's loop:
	 * an OOMKilled message and an OOMKilling event name the process killed. NULL (the log
	 * cannot be read: not root, in a container): they name the limit alone. */
	struct cgroup_oom_log *oom_log;
	/* The pod network (README "Pod network"): its bridge is made when the first pod that is
	 * not hostNetwork starts. NULL: pods get only lo (network.mode none; the Check suites). */
	const struct net_config *network;
	/* The pods' DNS (the kubelet's --resolv-conf, --cluster-dns, --cluster-domain): a
	 * pod's resolv.conf is made from them at each new sandbox. resolv_conf "": a resolver
	 * on the node itself; NULL (a Check suite's options): the pods get no resolv.conf. */
	struct pods_dns {
		const char *resolv_conf;
		char *const *cluster_dns;
		const char *cluster_domain;
	} dns;
	/* The node's images (daemon/pods/images.c): the content store and the puller a container
	 * whose image is a reference is made present with, per its imagePullPolicy, before it
	 * starts; and the kubelet's image back-off, seconds (per image and pod: initial, doubling
	 * up to max). images NULL (a Check suite): no image is present and none is pulled. */
	struct image_store *images;
	struct image_puller *puller;
	struct pods_image_backoff {
		int64_t initial, max;
	} image_pull_backoff;
};

/* The most descriptors a pod of n containers holds at once: its shim's pidfd and one
 * transient (the shim's start, the removal of its files), and per container a request to
 * the shim in flight and, on cgroup v1, the OOM eventfd. Watches hold none (one inotify). */
size_t pods_fd_cost(size_t n_containers, enum plan_cgroup_driver driver);

/* Opens the store and restores what it holds (pods_restore). */
int pods_open(const struct pods_options *options, struct pods **out, struct nano_err *err);
struct pods *pods_free(struct pods *pods);

/* The answer to a create: r 0 and the pod, listed from now on and durable (marked created in
 * the store); or r < 0 and why, everything made for it removed again. */
typedef void pods_created_fn(void *userdata, int r, struct pod *pod, const struct nano_err *err);

/* Creates a decoded pod and starts it without waiting for its shim: fn gets the answer once
 * every container's first start has its own, never before this returned. On success the spec
 * belongs to the pod. What fails before anything is made is returned, and fn is not called:
 * -EEXIST (409, a pod of that name exists or is being created), -EDQUOT (403, max_pods
 * reached), a store that cannot take it. A later failure reaches fn once everything made for
 * the pod is removed again. scheduled (NULL for none): the message of the pod's Scheduled
 * event, recorded once the pod is durable and before anything of it starts, so that its
 * events read in order as a cluster's do (the scheduler's before the kubelet's). */
int pods_create(struct pods *pods, struct spec_pod **spec, const char *scheduled,
                pods_created_fn *fn, void *userdata, struct nano_err *err);

struct pod *pods_find(struct pods *pods, const char *namespace, const char *name);

/* The store pods and events are kept in. */
struct store *pods_store(const struct pods *pods);

/* The Pod a dry run answers with: the defaulted spec with apiVersion, kind, a fresh
 * metadata.uid and metadata.creationTimestamp (as a created one has them), and the status of a
 * pod before anything runs. NULL on ENOMEM. */
json_t *pod_dry_run_json(const struct spec_pod *spec);

/* The one place a pod's object changes after its create (a PATCH or PUT the API layer
 * validated with spec_pod_validate_update: labels, annotations, and the spec fields an update
 * may touch): object (a Pod without status; the pod takes a reference) is written to the store
 * and on disk before it replaces the pod's, so that GET shows it and a restart restores it. The
 * running containers are not touched: what may change has no effect on them. -ENOSPC, -EROFS,
 * -EIO when the state directory cannot take it (the pod keeps its old object). */
int pod_update_object(struct pod *pod, json_t *object, struct nano_err *err);
/* (It sets object's metadata.generation: the old one, plus one when the spec changed; the
 * pod's resourceVersion moves and the watches get a MODIFIED.) */
/* The pod's object as created or last updated, without status (a new one, the caller's; NULL
 * on ENOMEM); its uid. */
json_t *pod_object(const struct pod *pod);
const char *pod_uid(const struct pod *pod);
/* The pod's metadata.resourceVersion as served ("" before it was first served): what a
 * precondition or a PUT's resourceVersion is checked against. */
#define POD_RESOURCE_VERSION_SIZE 24
void pod_resource_version(const struct pod *pod, char out[POD_RESOURCE_VERSION_SIZE]);

/* The Pod with its live status and metadata.resourceVersion; NULL on ENOMEM. */
json_t *pod_to_json(const struct pod *pod);
/* A PodList of one namespace, or of all (namespace NULL), of the pods match (NULL: all)
 * keeps; metadata.resourceVersion the counter now. */
json_t *pods_list_json(struct pods *pods, const char *namespace,
                       bool (*match)(const json_t *pod, void *userdata), void *userdata);

/* Something of the pod's object as served may have changed (status, metadata, spec): when its
 * JSON differs from what was last served, its resourceVersion takes the next value of the
 * node's counter and the watches get a MODIFIED (an ADDED the first time it is listed). Every
 * status write calls it (pod_save), and so does pod_update_object. */
void pod_changed(struct pod *pod);

/* The node's resourceVersion counter now (the last value given). */
uint64_t pods_resource_version(const struct pods *pods);
/* The ring of recent changes of pods and events (pkg/watch) the watches replay and follow. */
struct watch_ring *pods_watch_ring(const struct pods *pods);
/* The pod's IsolationPlan with its real cgroup directories and the pids of its processes. */
json_t *pod_isolation_json(const struct pod *pod);

/* The end of a delete: r 0 and the Pod as it last was (borrowed for the call) once nothing of
 * the pod is left; or r < 0 and why: -ESHUTDOWN (NANO_UNAVAILABLE) when the daemon stops first
 * (the delete goes on when it is back). */
typedef void pods_deleted_fn(void *userdata, int r, const json_t *last, const struct nano_err *err);

/* Starts (or joins) a graceful delete: grace_seconds < 0 takes the pod's own
 * terminationGracePeriodSeconds. fn (may be NULL) is told how it ended: r 0 once the pod's
 * removal is on disk, or the store's error when its commit failed. The request is recorded
 * first with pod_delete_record (a restored pod's already is). */
void pod_delete(struct pod *pod, int64_t grace_seconds, pods_deleted_fn *fn, void *userdata);
/* Records the delete request in the store, on disk when it returns: a delete the store cannot
 * keep would come back after a restart, so a caller that gets an error does not start it.
 * -ENOSPC, -EROFS, -EIO when the state directory cannot take it. */
int pod_delete_record(struct pod *pod, int64_t grace_seconds, struct nano_err *err);

/* The directory of a container's CRI log files and the restart number of its latest run
 * (<dir>/<restart>.log). -ENOENT for no such container; *restart is -1 before the first run. */
int pod_container_logs(const struct pod *pod, const char *container, char **dir, int *restart);
/* Whether the container's latest run is still going. */
bool pod_container_running(const struct pod *pod, const char *container);
/* The names of the pod's containers, NULL-terminated (borrowed). */
size_t pod_containers(const struct pod *pod, const char **names, size_t max);

/* Calls fn(userdata) once when the container's current run ends or the pod goes away; returns
 * a handle for pod_watch_cancel(). NULL on ENOMEM. */
struct pod_watch;
struct pod_watch *pod_watch_container(struct pod *pod, const char *container, void (*fn)(void *),
                                      void *userdata);
void pod_watch_cancel(struct pod_watch *watch);

/* Records an event about the pod (container NULL) or one of its containers. */
void pod_event(struct pod *pod, const char *container, const char *type, const char *reason,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- exec (pods/exec.c) ----------------------------------------------------------------- */

/* A process run in a running container, as `kubectl exec` and exec probes and hooks ask: the
 * pod's shim makes it (pkg/runtime's "exec" request) in every namespace and cgroup of the
 * container's current run, with its root, credentials, supplementary groups, capabilities,
 * no_new_privs, seccomp filter, environment and working directory; it dies with the
 * container. Nothing here blocks: the streams are relayed by the caller on the loop. */
struct pod_exec_options {
	const char *container;
	char *const *argv; /* NULL-terminated, argv[0] at least */
	bool tty;          /* a pty allocated inside the container (its devpts): stdin, stdout
	                      and stderr are its slave, the caller gets the master */
	bool stdin;        /* a stdin stream; without, the process's stdin is /dev/null */
};

/* The caller's ends of the process's streams, non-blocking and close-on-exec, owned by whoever
 * receives them; -1 where none: without tty stdin_fd (when asked), stdout_fd and stderr_fd
 * (pipes); with tty pty_fd alone (the master: read for output, write for input, TIOCSWINSZ to
 * resize). Closing stdin_fd is end of input. */
struct pod_exec_streams {
	int stdin_fd, stdout_fd, stderr_fd, pty_fd;
};

struct pod_exec_ops {
	/* The process runs: its streams (the callee takes the fds). */
	void (*on_started)(void *userdata, struct pod_exec_streams *streams);
	/* It ended (r 0): exit_code its status as runc reports it (128 + signal when killed;
	 * 126/127 when the command could not be run, its error on stderr). Or r < 0 and err: it
	 * could not be started, or was lost (its shim went away). Called once, last. */
	void (*on_exit)(void *userdata, int r, int exit_code, const struct nano_err *err);
};

struct pod_exec;

/* Starts argv in the container. What is refused at once is returned (ops are not called):
 * no such container (-ENOENT, NANO_BAD_REQUEST, the message listing the pod's containers as
 * the API server does), the container not running (-ESRCH, NANO_BAD_REQUEST, "container c is
 * not running" as the API server words it), the descriptor budget (-EMFILE). Otherwise ops
 * run later, never before this returned. */
int pod_exec_start(struct pod *pod, const struct pod_exec_options *options,
                   const struct pod_exec_ops *ops, void *userdata, struct pod_exec **out,
                   struct nano_err *err);
/* Kills the process (SIGKILL) and forgets it: ops are not called any more. May be called from
 * on_started; not after on_exit, when the handle is gone already. An exec counts 4 descriptors
 * against fd_budget while it lives (its connection to the shim, the caller's three streams);
 * the daemon's stop ends every exec with on_exit -ESHUTDOWN (NANO_UNAVAILABLE). */
void pod_exec_cancel(struct pod_exec *exec);

/* ---- stats ------------------------------------------------------------------------------- */

/* One read of a pod's cgroups, for /stats/summary and /metrics. Strings are borrowed from the
 * pod. An ended container's cgroup stays until the pod is deleted, so it reports its last
 * values. */
struct pod_container_stats {
	const char *name;
	int64_t start_time; /* unix seconds of its current or latest run; <= 0 before any */
	bool have;          /* its cgroup could be read */
	struct cgroup_stats cgroup;
	int64_t usage_nano_cores; /* -1 until two readings a second apart */
	int64_t usage_window_ns;  /* the span usage_nano_cores is over */
};

struct pod_stats {
	const char *namespace;
	const char *name;
	const char *uid;
	const char *phase;
	int64_t start_time;
	bool have; /* the pod's cgroup could be read */
	struct cgroup_stats cgroup;
	int64_t usage_nano_cores;
	struct pod_container_stats *containers;
	size_t n_containers;
};

/* -ENOMEM; a cgroup that cannot be read leaves its have false. */
int pod_stats_read(struct pod *pod, struct pod_stats *out);
void pod_stats_done(struct pod_stats *stats);

/* Calls fn for each pod (in no particular order). */
void pods_each(struct pods *pods, void (*fn)(struct pod *pod, void *userdata), void *userdata);

/* Whether a pod's container (any pod the manager holds) has the image with this id
 * ("sha256:<hex>") as its root: image GC and DELETE of an image leave it alone. who (if not
 * NULL): "namespace/name" of the first such pod. */
bool pods_image_in_use(const struct pods *pods, const char *image_id, char *who, size_t who_size);

/* nanolet_pod_start_duration_seconds: from the POST to the pod's phase first being Running. */
const struct prom_histogram *pods_start_durations(const struct pods *pods);
