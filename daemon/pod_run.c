/* daemon/pod_run.c: a pod while it runs. Starts containers through the shim, reads the exit
 * records the shim writes (inotify on exits/, never polling), follows the shim itself through a
 * pidfd, and lets pkg/supervise decide every restart; a restart that must wait
 * (CrashLoopBackOff) is a timer. Every change of state is written to the store at once.
 * It makes and removes nothing on the node: pod_setup.c does. */
#include <inttypes.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "pods_internal.h"
#include "runtime/runtime.h"

int64_t pods_now(void)
{
	return (int64_t)time(NULL);
}

void pod_persist(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (!pod->start_observed && pod->sup->phase == SUP_PHASE_RUNNING) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		prom_histogram_observe(
		        &pod->pods->start_durations,
		        (double)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec - pod->seen_ns) /
		                1e9);
		pod->start_observed = true;
	}

	if (pod_save(pod, &err) < 0)
		log_error("pod %s/%s: saving its status: %s", pod->spec->namespace, pod->spec->name,
		          err.message);
}

void pod_notify_watches(struct pod *pod, size_t container)
{
	struct pod_watch **w = &pod->watches;

	while (*w) {
		struct pod_watch *hit = *w;

		if (container != SIZE_MAX && hit->container != container) {
			w = &hit->next;
			continue;
		}
		*w = hit->next;
		hit->fn(hit->userdata);
		free(hit);
	}
}

/* ---- starting ------------------------------------------------------------------------------ */

/* A container id as the CRI shows them: 64 hex digits. */
void pod_container_id(char out[65])
{
	uint8_t b[32] = {0};

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		log_warn("getrandom: %m");
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void start_failed(struct pod *pod, size_t i, const char *id, const char *message)
{
	const char *name = pod->plan->containers[i].name;

	pod_event(pod, name, "Warning", "Failed", "Error: %s", message);
	if (sup_container_start_failed(pod->sup, i, id, message, pods_now(), &pod->pods->sup) < 0)
		log_error("pod %s: container %s: out of memory", pod->spec->name, name);
}

/* The image is a name under <state_dir>/images that is not there: nanolet pulls nothing. */
static bool image_missing(struct pod *pod, size_t i)
{
	const struct plan_root *root = &pod->plan->containers[i].root;
	const char *name = pod->plan->containers[i].name;
	_cleanup_free_ char *message = NULL;
	struct stat st;

	if (root->kind != PLAN_ROOT_IMAGE || stat(root->path, &st) == 0)
		return false;
	message = strdupf("nanolet runs local root filesystems only: image \"%s\" is not at %s",
	                  pod->spec->containers[i].image, root->path);
	pod_event(pod, name, "Warning", "ErrImageNeverPull", "%s",
	          message ? message : "image not present");
	sup_container_not_created(pod->sup, i, "ErrImageNeverPull", message, pods_now(),
	                          &pod->pods->sup);
	return true;
}

/* The kubelet's last check before it creates a container: runAsNonRoot with a root user. The
 * plan has the message; the container stays waiting, and is tried again as the kubelet does. */
static bool config_refused(struct pod *pod, size_t i)
{
	const struct plan_container *pc = &pod->plan->containers[i];

	if (!pc->security.refusal)
		return false;
	pod_event(pod, pc->name, "Warning", "Failed", "Error: %s", pc->security.refusal);
	sup_container_not_created(pod->sup, i, "CreateContainerConfigError", pc->security.refusal,
	                          pods_now(), &pod->pods->sup);
	return true;
}

static void start_container(struct pod *pod, size_t i)
{
	const struct plan_container *pc = &pod->plan->containers[i];
	const struct sup_container *sc = &pod->sup->containers[i];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *request = NULL, *reply = NULL, *problem = NULL;
	const char *message;
	char id[65];
	int errnum;
	long pid;

	if (image_missing(pod, i) || config_refused(pod, i))
		return;
	pod_container_id(id);
	problem = pod_prepare_mounts(pod, i);
	if (problem)
		return start_failed(pod, i, id, problem);
	/* the run's number names its log file, <log dir>/<name>/<restart>.log */
	request = strdupf("start %s %" PRId32, pc->name, sc->attempts);
	if (!request ||
	    runtime_shim_request(pod->run_dir, request, &reply, POD_SHIM_TIMEOUT_MS, &err) < 0)
		return start_failed(pod, i, id, err.message ? err.message : "out of memory");
	if (runtime_reply_error(reply, &errnum, &message))
		return start_failed(pod, i, id, message);
	if (sscanf(reply, "ok %ld", &pid) != 1)
		return start_failed(pod, i, id, "the shim's answer made no sense");
	pod_crash_point("start-before-record");
	pod_watch_start(pod, i);
	pod_event(pod, pc->name, "Normal", "Created", "Created container %s", pc->name);
	pod_event(pod, pc->name, "Normal", "Started", "Started container %s", pc->name);
	if (sup_container_started(pod->sup, i, id, (pid_t)pid, pods_now(), &pod->pods->sup) < 0)
		log_error("pod %s: container %s: out of memory", pod->spec->name, pc->name);
}

/* The kubelet's answer to a sandbox that died: a new one, then the containers the restart
 * policy brings back. A sandbox that cannot be made fails this container's start (StartError),
 * and the back-off retries it. */
static void recreate_sandbox(struct pod *pod, size_t i)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *message = NULL;
	char id[65];

	if (pod_setup(pod, &err) >= 0 && pod_watch_shim(pod, &err) >= 0) {
		log_info("pod %s/%s: new shim, pid %d", pod->spec->namespace, pod->spec->name,
		         (int)pod->shim_pid);
		sup_pod_sandbox_ready(pod->sup, pods_now());
		return start_container(pod, i);
	}
	pod_container_id(id);
	message = strdupf("could not make a new sandbox: %s",
	                  err.message ? err.message : "out of memory");
	start_failed(pod, i, id, message ? message : "could not make a new sandbox");
}

struct restart_slot {
	struct pod *pod;
	size_t container;
};

static int on_restart_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct restart_slot *slot = userdata;
	struct pod *pod = slot->pod;
	size_t i = slot->container;

	(void)source;
	(void)usec;
	pod->restart_timers[i] = sd_event_source_disable_unref(pod->restart_timers[i]);
	if (pod->deleting)
		return 0;
	if (!pod->shim_source)
		recreate_sandbox(pod, i);
	else
		start_container(pod, i);
	pod_persist(pod);
	pod_schedule(pod, i);
	return 0;
}

void pod_schedule(struct pod *pod, size_t i)
{
	const struct sup_container *sc = &pod->sup->containers[i];
	struct restart_slot *slot;
	int64_t not_before = 0;
	int r;

	if (pod->deleting || pod->restart_timers[i] ||
	    sup_container_next_action(pod->sup, i, &not_before) != SUP_ACTION_START)
		return;
	if (sc->state == SUP_WAITING && sc->reason && strcmp(sc->reason, "CrashLoopBackOff") == 0)
		pod_event(pod, sc->name, "Warning", "BackOff",
		          "Back-off restarting failed container %s in pod %s_%s(%s)", sc->name,
		          pod->spec->name, pod->spec->namespace, pod->uid);
	slot = malloc(sizeof(*slot));
	if (!slot)
		return log_error("pod %s: out of memory", pod->spec->name);
	*slot = (struct restart_slot){pod, i};
	/* never started inline: a container that fails at once must not recurse */
	r = sd_event_add_time(pod->pods->daemon->event, &pod->restart_timers[i], CLOCK_REALTIME,
	                      (uint64_t)(not_before > 0 ? not_before : 0) * 1000000, 0,
	                      on_restart_timer, slot);
	if (r < 0) {
		free(slot);
		return log_error("pod %s: restart timer: %s", pod->spec->name, strerror(-r));
	}
	sd_event_source_set_destroy_callback(pod->restart_timers[i], free);
}

/* ---- exits ----------------------------------------------------------------------------------- */

static int64_t parse_time(const char *rfc3339)
{
	struct tm tm = {0};

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
		return pods_now();
	return (int64_t)timegm(&tm);
}

static bool any_running(const struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++)
		if (pod->sup->containers[i].state == SUP_RUNNING)
			return true;
	return false;
}

void pod_stop_shim_if_done(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *reply = NULL;

	if (!pod->deleting || pod->shim_stopping || any_running(pod))
		return;
	pod->shim_stopping = true;
	if (!pod->shim_source ||
	    runtime_shim_request(pod->run_dir, "shutdown", &reply, POD_SHIM_TIMEOUT_MS, &err) < 0)
		pod_finish_delete(pod); /* no shim to wait for */
}

/* Reads the exit record of each running container's current run, if the shim wrote one. */
static void scan_exits(struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		const struct sup_container *sc = &pod->sup->containers[i];
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		_cleanup_(runtime_exit_done) struct runtime_exit e = {0};
		_cleanup_free_ char *path = NULL, *oom_message = NULL, *message = NULL;
		struct sup_exit exit;

		if (sc->state != SUP_RUNNING)
			continue;
		path = strdupf("%s/exits/%s.%" PRId32 ".json", pod->run_dir, sc->name,
		               sc->attempts - 1);
		if (!path || access(path, F_OK) < 0)
			continue;
		if (runtime_exit_read(path, &e, &err) < 0) {
			log_error("pod %s: %s", pod->spec->name, err.message);
			continue;
		}
		exit = (struct sup_exit){.exit_code = e.exit_code,
		                         .signal = e.signal,
		                         .finished_at = parse_time(e.finished_at)};
		/* killed by SIGKILL while its cgroup's OOM count rose: the kernel's OOM killer, not
		 * the end of a grace period (which leaves the count alone) */
		pod_crash_point("exit-before-record");
		if (e.signal == SIGKILL && pod_watch_oom_killed(pod, i, e.pid, &oom_message))
			exit.reason = "OOMKilled";
		/* and what else the kernel did to the run: refused forks, hard throttling */
		message = pod_watch_exit_message(pod, i, oom_message);
		exit.message = message;
		if (sup_container_exited(pod->sup, i, &exit, &pod->pods->sup) < 0)
			log_error("pod %s: out of memory", pod->spec->name);
		pod_notify_watches(pod, i);
		pod_persist(pod);
		pod_schedule(pod, i);
	}
}

void pod_scan_exits(struct pod *pod)
{
	scan_exits(pod);
}

static int on_exits(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)source;
	(void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		; /* which file does not matter: scan_exits looks for the ones it expects */
	scan_exits(userdata);
	pod_stop_shim_if_done(userdata); /* last: it may end the delete and free the pod */
	return 0;
}

static int on_shim_exit(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct pod *pod = userdata;

	(void)source;
	(void)fd;
	(void)revents;
	pod->shim_source = sd_event_source_disable_unref(pod->shim_source);
	scan_exits(pod); /* what it recorded before it went */
	if (pod->deleting)
		return pod_finish_delete(pod), 0;
	log_warn("pod %s/%s: its shim (pid %d) is gone", pod->spec->namespace, pod->spec->name,
	         (int)pod->shim_pid);
	pod_event(pod, NULL, "Warning", "SandboxChanged",
	          "Pod sandbox changed: the shim holding the pod's namespaces died");
	pod_sandbox_lost(pod, NULL);
	return 0;
}

void pod_sandbox_lost(struct pod *pod, const char *message)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (message)
		sup_pod_sandbox_lost(pod->sup, message, pods_now(), &pod->pods->sup);
	else
		sup_pod_shim_died(pod->sup, pods_now(), &pod->pods->sup);
	/* its containers must not run on beside the next sandbox's (without the shim as their
	 * reaper they would otherwise go on, unseen) */
	if (pod->cgroup && cgroup_driver_kill(pod->pods->cgroup, pod->cgroup, &err) < 0)
		log_warn("pod %s: %s", pod->spec->name, err.message);
	pod->shim_pid = 0;
	pod->shim_start_time = 0;
	pod_notify_watches(pod, SIZE_MAX);
	pod_persist(pod);
	for (size_t i = 0; i < pod->sup->n_containers; i++)
		pod_schedule(pod, i);
}

int pod_run_alloc(struct pod *pod, struct nano_err *err)
{
	if (pod->restart_timers)
		return 0;
	pod->restart_timers = calloc(pod->plan->n_containers, sizeof(sd_event_source *));
	if (!pod->restart_timers)
		return nano_err_set(err, ENOMEM, "out of memory");
	return pod_watch_alloc(pod, err);
}

static void unwatch_shim(struct pod *pod)
{
	pod->shim_source = sd_event_source_disable_unref(pod->shim_source);
	pod->exits_source = sd_event_source_disable_unref(pod->exits_source);
	if (pod->shim_pidfd >= 0)
		close(pod->shim_pidfd);
	if (pod->exits_fd >= 0)
		close(pod->exits_fd);
	pod->shim_pidfd = pod->exits_fd = -1;
}

int pod_watch_shim(struct pod *pod, struct nano_err *err)
{
	sd_event *event = pod->pods->daemon->event;
	_cleanup_free_ char *exits = strdupf("%s/exits", pod->run_dir);
	uint64_t start_time;
	int r;

	if (!exits)
		return nano_err_set(err, ENOMEM, "out of memory");
	unwatch_shim(pod);
	/* the shim is not our child (it must outlive us): a pidfd tells when it ends */
	pod->shim_pidfd = pidfd_open(pod->shim_pid, 0);
	if (pod->shim_pidfd < 0)
		return nano_err_set(err, errno, "pidfd of shim %d: %m", (int)pod->shim_pid);
	/* A pid names a process only until it is reused. Read after the pidfd was opened, an
	 * unchanged start time proves that the pidfd holds the very process recorded. */
	start_time = pod_proc_start_time(pod->shim_pid);
	if (pod->shim_start_time && start_time != pod->shim_start_time) {
		unwatch_shim(pod);
		return nano_err_set(err, ESRCH,
		                    "pid %d is not the pod's shim any more (start time %" PRIu64
		                    ", recorded %" PRIu64 ")",
		                    (int)pod->shim_pid, start_time, pod->shim_start_time);
	}
	pod->shim_start_time = start_time;
	r = sd_event_add_io(event, &pod->shim_source, pod->shim_pidfd, EPOLLIN, on_shim_exit, pod);
	if (r < 0)
		return nano_err_set(err, -r, "watch shim: %s", strerror(-r));
	pod->exits_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (pod->exits_fd < 0 ||
	    inotify_add_watch(pod->exits_fd, exits, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
		return nano_err_set(err, errno, "watch %s: %m", exits);
	r = sd_event_add_io(event, &pod->exits_source, pod->exits_fd, EPOLLIN, on_exits, pod);
	if (r < 0)
		return nano_err_set(err, -r, "watch exits: %s", strerror(-r));
	/* and the cgroups its containers run in: the kernel's OOM and pids notices */
	return pod_watch_notices(pod, err);
}

int pod_start(struct pod *pod, struct nano_err *err)
{
	int r = pod_run_alloc(pod, err);

	if (r >= 0)
		r = pod_watch_shim(pod, err);
	if (r < 0)
		return r;
	sup_pod_sandbox_ready(pod->sup, pods_now());
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		start_container(pod, i);
	pod_persist(pod);
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		pod_schedule(pod, i);
	scan_exits(pod); /* a container that ended before the watch saw it */
	return 0;
}

/* ---- stopping -------------------------------------------------------------------------------- */

void pod_stop_containers(struct pod *pod, int signal)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		const struct sup_container *sc = &pod->sup->containers[i];
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		_cleanup_free_ char *request = NULL, *reply = NULL;

		if (sc->state != SUP_RUNNING)
			continue;
		if (signal == SIGKILL) {
			/* the grace is over: everything in the container's cgroup, at once */
			if (cgroup_driver_kill(pod->pods->cgroup, pod_container_cgroup(pod, i),
			                       &err) < 0)
				log_warn("pod %s: kill %s: %s", pod->spec->name, sc->name,
				         err.message);
			continue;
		}
		request = strdupf("kill %s %d", sc->name, signal);
		if (!request || runtime_shim_request(pod->run_dir, request, &reply,
		                                     POD_SHIM_TIMEOUT_MS, &err) < 0)
			log_warn("pod %s: signal %s: %s", pod->spec->name, sc->name,
			         err.message ? err.message : "out of memory");
	}
}

void pod_run_done(struct pod *pod)
{
	for (size_t i = 0; pod->restart_timers && i < pod->plan->n_containers; i++)
		pod->restart_timers[i] = sd_event_source_disable_unref(pod->restart_timers[i]);
	free(pod->restart_timers);
	pod->restart_timers = NULL;
	pod_watch_close(pod);
	pod->grace_timer = sd_event_source_disable_unref(pod->grace_timer);
	unwatch_shim(pod);
}
