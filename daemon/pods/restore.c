/* daemon/pods/restore.c (manager.h): what lets the daemon stop at any moment (crash, SIGTERM, a
 * reboot) and start again without losing a pod, an exit or an event.
 *
 * Each pod row carries, beside the status the API shows, a runtime record (pod_runtime_json):
 * whether its creation finished, its shim's identity (pid and /proc start time), its user
 * namespace range, the OOM-kill baselines of its runs and the supervisor's state. At start,
 * pods_restore reads every row back: a pod still marked creating is removed with all that was
 * made for it; a live shim with the recorded identity is re-adopted (pidfd, inotify, a `state`
 * request for a start the old daemon never recorded) and the exit records it wrote meanwhile are
 * read; a shim that is gone (or a boot id that changed) ends its running containers and the
 * restart policy decides, as for a shim that dies while we run; one that lives but cannot be
 * watched yet (no descriptor or memory to spare) is tried again on a timer, its pod going on
 * as recorded meanwhile; a delete that was under way goes on. Then whatever in nanolet's cgroups,
 * run, state and log directories belongs to no pod is killed, unmounted and removed, each with a
 * log line naming it.
 *
 * The shims themselves never depend on the daemon: this file only reads and reconnects.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>

#include "pods/images.h"
#include "pods/manager.h"
#include "runtime/runtime.h"

static int64_t int_of(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

/* ---- node events ----------------------------------------------------------------------------- */

/* About the node itself, as the kubelet records them: involvedObject the Node (cluster-scoped,
 * its uid the node name), in namespace default. */
static void node_event(struct pods *pods, const char *type, const char *reason, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
static void node_event(struct pods *pods, const char *type, const char *reason, const char *fmt,
                       ...)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	if (!message)
		return;
	if (pods_record_event(&pods->env,
	                      &(struct store_event_new){
	                              .namespace = "default",
	                              .involved = {.kind = "Node",
	                                           .name = pods->env.hostname,
	                                           .uid = pods->env.hostname},
	                              .reason = reason,
	                              .message = message,
	                              .type = type,
	                              .source_component = "nanolet",
	                              .source_host = pods->env.hostname,
	                      },
	                      &err) < 0)
		log_error("node event %s: %s", reason, err.message);
	log_info("node %s: %s: %s", pods->env.hostname, reason, message);
}

/* ---- one pod --------------------------------------------------------------------------------- */

static bool any_running(const struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++)
		if (pod->sup->containers[i].state == SUP_RUNNING)
			return true;
	return false;
}

static void restore_runtime(struct pod *pod, const json_t *runtime)
{
	const json_t *shim = json_object_get(runtime, "shim"), *oom, *v;
	const json_t *state = json_object_get(runtime, "supervise");
	size_t i;

	pod->shim_pid = (pid_t)int_of(shim, "pid");
	pod->shim_start_time = (uint64_t)int_of(shim, "startTime");
	pod->userns_base = (uint32_t)int_of(runtime, "usernsBase");
	pod->resource_version = (uint64_t)int_of(runtime, "resourceVersion");
	pod->announced = true; /* it was listed before the restart */
	oom = json_object_get(runtime, "oomKills");
	json_array_foreach(oom, i, v)
	{
		if (i < pod->plan->n_containers)
			pod->counters[i].oom_base = (uint64_t)json_integer_value(v);
	}
	oom = json_object_get(runtime, "oomReported");
	json_array_foreach(oom, i, v)
	{
		if (i < pod->plan->n_containers)
			pod->counters[i].oom_reported = (uint64_t)json_integer_value(v);
	}
	oom = json_object_get(runtime, "oomLogSeq");
	json_array_foreach(oom, i, v)
	{
		if (i < pod->plan->n_containers)
			pod->counters[i].oom_seq = (uint64_t)json_integer_value(v);
	}
	if (state && sup_pod_state_restore(pod->sup, state, pods_now(pod->env)) < 0)
		log_warn("pod %s/%s: its supervisor state could not be read back: starting afresh",
		         pod->spec->namespace, pod->spec->name);
}

/* A restored pod goes on: with its shim's state when it was re-adopted (state NULL when the
 * shim did not answer), the exits recorded while we were down, then the delete it was in or
 * the restarts its policy wants. */
static void restore_resume(struct pod *pod, const json_t *state)
{
	if (state)
		pod_reconcile(pod, state);
	/* exits recorded while we were down, before the inotify watch began: a delete waits for
	 * them too */
	pod_scan_exits(pod);
	if (pod->restore_deleting) {
		pod_delete(pod, pod->restore_grace, NULL, NULL); /* may end it and free the pod */
		return;
	}
	pod_monitor_rebase(pod);
	pod_sync(pod);
}

/* Why a live shim could not be watched, when the reason is the daemon's own want of a resource
 * (descriptors, memory, inotify instances or watches): that says nothing of the shim, whose
 * runs go on. Anything else (the pid gone or another process's, the pod's files gone) is its
 * end. */
static bool watch_wanting(int errnum)
{
	return errnum == EMFILE || errnum == ENFILE || errnum == ENOMEM || errnum == ENOSPC ||
	       errnum == EAGAIN;
}

static void adopt_later(struct pod *pod);

/* A re-adopted shim keeps its veth (the daemon's stop left it): looked at, made again if it
 * went while we were down. */
static void adopted_network(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (pod_network_check(pod, &err) < 0)
		pod_event(pod, NULL, "Warning", "FailedCreatePodSandBox",
		          "Failed to create pod sandbox: %s", err.message);
}

/* A shim adopted late: what it ran and recorded while it was not watched, then the pod's next
 * step. pod_sync may free the pod. */
static void adopted_late(struct pod *pod, const json_t *state)
{
	if (state)
		pod_reconcile(pod, state);
	pod_scan_exits(pod);
	pod_sync(pod);
}

static void on_adopt_retry(void *userdata)
{
	struct pod *pod = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (pod_watch_shim(pod, &err) >= 0) {
		log_info("pod %s/%s: re-adopted its shim, pid %d", pod->spec->namespace,
		         pod->spec->name, (int)pod->shim_pid);
		adopted_network(pod);
		if (pod_shim_state(pod, adopted_late) < 0)
			adopted_late(pod, NULL);
		return;
	}
	if (watch_wanting(err.errnum))
		return adopt_later(pod);
	log_info("pod %s/%s: its shim (pid %d) is gone: %s", pod->spec->namespace, pod->spec->name,
	         (int)pod->shim_pid, err.message ? err.message : "");
	pod_scan_exits(pod);
	if (pod->deleting)
		return pod_finish_delete(pod); /* nothing to wait for: the teardown ends it */
	pod_event(pod, NULL, "Warning", "SandboxChanged",
	          "Pod sandbox changed: the shim holding the pod's namespaces died");
	pod_sandbox_lost(pod, NULL);
}

/* The shim is watched on a timer until it can be (or is found gone). Meanwhile the pod goes on
 * as recorded: a run of a shim that lives is neither lost nor started again. */
static void adopt_later(struct pod *pod)
{
	int r = pods_timer_in(pod->env, &pod->adopt_timer, POD_SHIM_RETRY_USEC, on_adopt_retry,
	                      pod);

	if (r < 0)
		log_error("pod %s/%s: its shim is not watched, and no timer to try again: %s",
		          pod->spec->namespace, pod->spec->name, strerror(-r));
}

/* A pod whose create got no answer, once nothing of it is left on the node. */
static void half_made_removed(struct pod *pod)
{
	struct pods *pods = pods_of(pod->env);
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	for (struct pod **p = &pods->removing; *p; p = &(*p)->next)
		if (*p == pod) {
			*p = pod->next;
			break;
		}
	if (store_pod_delete(pods->env.store, pod->uid, &err) < 0)
		log_error("pod %s: %s", pod->spec->name, err.message);
	pod_free(pod);
}

/* Returns whether the pod's uid belongs to a record or a removal under way (the orphan sweep
 * then leaves it alone); *removed counts the half made ones. */
static bool restore_pod(struct pods *pods, const struct store_pod *row, bool rebooted,
                        size_t *removed)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **warnings = NULL;
	struct spec_decode_options options = {.path_namespace = row->namespace};
	struct spec_pod *spec = NULL;
	struct pod *pod = NULL;
	int64_t grace;
	bool adopted;

	if (spec_pod_decode(row->object, &options, &spec, &warnings, &err) < 0) {
		log_error(
		        "pod %s/%s (%s): its stored spec does not decode any more: %s; left as it "
		        "is",
		        row->namespace, row->name, row->uid, err.message);
		return true;
	}
	if (pod_new(&pods->env, spec, row->uid, row->object,
	            (uint32_t)int_of(row->runtime, "usernsBase"), &pod, &err) < 0 ||
	    pod_run_alloc(pod, &err) < 0) {
		log_error("pod %s/%s: %s", row->namespace, row->name, err.message);
		pod_free(pod);
		return true;
	}
	if (json_is_true(json_object_get(row->runtime, "creating"))) {
		/* the POST got no answer: the pod must not exist, half made or whole */
		log_warn("pod %s/%s (%s): nanoletd stopped while creating it: removing what was "
		         "made",
		         row->namespace, row->name, row->uid);
		(*removed)++;
		pod->next = pods->removing;
		pods->removing = pod;
		if (pod_teardown(pod, half_made_removed) < 0)
			half_made_removed(pod);
		return true; /* its uid is the removal's, not the orphan sweep's */
	}
	restore_runtime(pod, row->runtime);
	pod_images_restore(pod);    /* from the store: nothing is pulled */
	pod->start_observed = true; /* its start was the old daemon's to measure */
	pod->next = pods->list;
	pods->list = pod;

	pod->restore_deleting = row->deleting;
	if (row->deleting) {
		pod_set_deletion(pod, row->deletion_ns / INT64_C(1000000000),
		                 row->deletion_grace_s);
		grace = row->deletion_ns / INT64_C(1000000000) + row->deletion_grace_s -
		        pods_now(&pods->env);
		pod->restore_grace = grace > 0 ? grace : 0;
	}
	pod_mark_served(pod);
	adopted = !rebooted && pod->shim_pid > 0 && pod_watch_shim(pod, &err) >= 0;
	if (adopted) {
		log_info("pod %s/%s: re-adopted its shim, pid %d", pod->spec->namespace,
		         pod->spec->name, (int)pod->shim_pid);
		adopted_network(pod);
		/* a run the old daemon asked for and did not record is in the shim's state: the
		 * pod goes on once it is known (restore_resume), without anyone waiting for it */
		if (pod_shim_state(pod, restore_resume) >= 0)
			return true;
		log_warn("pod %s/%s: could not ask its shim for its state", pod->spec->namespace,
		         pod->spec->name);
	} else if (!rebooted && pod->shim_pid > 0 && watch_wanting(err.errnum)) {
		log_warn("pod %s/%s: its shim (pid %d) runs, but cannot be watched yet: %s; trying "
		         "again",
		         pod->spec->namespace, pod->spec->name, (int)pod->shim_pid,
		         err.message ? err.message : strerror(err.errnum));
		adopt_later(pod);
	} else {
		if (pod->shim_pid > 0)
			log_info("pod %s/%s: its shim (pid %d) is gone: %s", pod->spec->namespace,
			         pod->spec->name, (int)pod->shim_pid,
			         rebooted      ? "the node rebooted"
			         : err.message ? err.message
			                       : "");
		pod_scan_exits(pod); /* what it recorded before it went */
		if (any_running(pod) || pod->sup->sandbox_ready) {
			pod_event(pod, NULL, "Warning", "SandboxChanged", "%s",
			          rebooted ? "Pod sandbox changed: the node rebooted"
			                   : "Pod sandbox changed: the shim holding the pod's "
			                     "namespaces died while nanoletd was down");
			pod_sandbox_lost(pod, rebooted ? "The node rebooted while the container ran"
			                               : NULL);
		}
	}
	restore_resume(pod, NULL);
	return true;
}

/* ---- orphans --------------------------------------------------------------------------------- */

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Lazily unmounts everything mounted at or below dir (a Memory emptyDir's tmpfs). */
static void unmount_below(const char *dir)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	_cleanup_strv_ char **points = NULL;
	size_t size = 0, len = strlen(dir);

	while (f && getline(&line, &size, f) > 0) {
		char point[4096];

		/* id parent major:minor root mount-point ... ; no escapes in nanolet's paths */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    strncmp(point, dir, len) == 0 && (point[len] == '/' || point[len] == '\0'))
			strv_pushf(&points, "%s", point);
	}
	for (char **p = points; p && *p; p++) {
		if (umount2(*p, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			log_warn("orphan mount %s: unmount: %m", *p);
		else
			log_warn("orphan mount %s (no pod record): unmounted", *p);
	}
}

/* <parent>/<entry> for each entry whose uid (the whole name, or after its last '_' for log
 * directories) no pod has. */
static void sweep_dir(const char *parent, bool uid_after_underscore, char *const *known)
{
	_cleanup_(closedirp) DIR *d = opendir(parent);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		const char *uid = de->d_name, *u;
		_cleanup_free_ char *path = NULL;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (uid_after_underscore && (u = strrchr(de->d_name, '_')))
			uid = u + 1;
		if (strv_contains(known, uid) || !(path = strdupf("%s/%s", parent, de->d_name)))
			continue;
		unmount_below(path);
		r = rm_rf(path);
		if (r < 0)
			log_warn("orphan %s: remove: %s", path, strerror(-r));
		else
			log_warn("orphan %s (no pod record): removed", path);
	}
}

/* pod<uid> cgroups under the root and its QoS parents. Only in the hierarchy that defines the
 * root (unified on v2, memory on v1): the other v1 hierarchies may place nanolet's root where
 * another session's daemon has its own (a shared /nanolet), and their pods are not ours. */
/* Orphan cgroups, killed, to be removed once empty: looked at every POD_EMPTY_TICK_USEC (killed
 * again now and then), POD_EMPTY_TICKS times at most. Not a wait: the daemon serves meanwhile. */
struct orphan_sweep {
	struct pods *pods;
	char **rels;
	unsigned ticks;
	struct pod_timer *timer;
};

void pods_sweep_done(struct pods *pods)
{
	struct orphan_sweep *sw = pods->sweep;

	if (!sw)
		return;
	pods_timer_cancel(&pods->env, &sw->timer);
	strv_free(sw->rels);
	free(sw);
	pods->sweep = NULL;
}

static void on_sweep_tick(void *userdata)
{
	struct orphan_sweep *sw = userdata;
	int r;
	struct cgroup_driver *cg = sw->pods->env.cgroup;
	bool more = sw->ticks++ < POD_EMPTY_TICKS;
	_cleanup_strv_ char **left = NULL;

	for (char **rel = sw->rels; rel && *rel; rel++) {
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		int r = cgroup_driver_populated(cg, *rel, &err);

		if (r > 0 && more) {
			if (sw->ticks % 10 == 0)
				(void)cgroup_driver_kill(cg, *rel, &err);
			strv_pushf(&left, "%s", *rel);
			continue;
		}
		nano_err_clear(&err);
		r = cgroup_driver_remove(cg, *rel, &err);
		if (r == -EBUSY && more) {
			strv_pushf(&left, "%s", *rel);
			continue;
		}
		if (r < 0)
			log_warn("orphan cgroup %s: %s", *rel, err.message);
	}
	strv_free(sw->rels);
	sw->rels = TAKE_PTR(left);
	if (sw->rels && (r = pods_timer_in(&sw->pods->env, &sw->timer, POD_EMPTY_TICK_USEC,
	                                   on_sweep_tick, sw)) < 0)
		log_warn("orphan cgroups: timer: %s", strerror(-r));
	if (!sw->timer)
		pods_sweep_done(sw->pods);
}

static int sweep_start(struct pods *pods, char **rels)
{
	struct orphan_sweep *sw = calloc(1, sizeof(*sw));
	int r;

	if (!sw)
		return strv_free(rels), -ENOMEM;
	pods_sweep_done(pods);
	*sw = (struct orphan_sweep){.pods = pods, .rels = rels};
	pods->sweep = sw;
	r = pods_timer_in(&pods->env, &sw->timer, POD_EMPTY_TICK_USEC, on_sweep_tick, sw);
	if (r < 0)
		pods_sweep_done(pods);
	return r;
}

static void sweep_cgroups(struct pods *pods, char *const *known)
{
	static const char *const parents[] = {"", "burstable", "besteffort"};
	struct cgroup_driver *cg = pods->env.cgroup;
	const char *controller = cgroup_driver_kind(cg) == PLAN_CGROUP_V2 ? NULL : "memory";
	_cleanup_strv_ char **orphans = NULL;
	int r;

	for (size_t p = 0; p < ELEMENTSOF(parents); p++) {
		_cleanup_free_ char *dir = NULL;
		_cleanup_(closedirp) DIR *d = NULL;
		struct dirent *de;

		if (cgroup_driver_dir(cg, controller, parents[p], &dir) < 0 || !(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			_cleanup_free_ char *rel = NULL;

			if (de->d_type != DT_DIR || strncmp(de->d_name, "pod", 3) != 0 ||
			    strv_contains(known, de->d_name + 3))
				continue;
			rel = strdupf("%s%s%s", parents[p], *parents[p] ? "/" : "", de->d_name);
			if (rel)
				strv_push(&orphans, TAKE_PTR(rel));
		}
	}
	for (char **rel = orphans; rel && *rel; rel++) {
		_cleanup_(nano_err_clear) struct nano_err err = {0};

		log_warn(
		        "orphan cgroup %s/%s (no pod record): killing what runs in it, removing it",
		        cgroup_driver_root(cg), *rel);
		if (cgroup_driver_kill(cg, *rel, &err) < 0)
			log_warn("orphan cgroup %s: %s", *rel, err.message);
	}
	/* removed once empty, on a timer (on_sweep_tick) */
	if (orphans && (r = sweep_start(pods, TAKE_PTR(orphans))) < 0)
		log_warn("orphan cgroups: %s", strerror(-r));
}

static void on_orphan_veth(const char *ifname, void *userdata)
{
	(void)userdata;
	log_warn("orphan veth %s (no pod record): removed", ifname);
}

static void on_orphan_ifb(const char *ifname, void *userdata)
{
	(void)userdata;
	log_warn("orphan ifb %s (no pod record): removed", ifname);
}

static bool is_known(const char *uid, void *userdata)
{
	bool known = strv_contains(userdata, uid);

	if (!known)
		log_warn("orphan hostPort forwards of pod %s (no pod record): removed", uid);
	return known;
}

/* Node ends on the bridge whose pod has no record, their hostPort forwards, and the addresses
 * of pods that have none (their rows removed while the daemon was down). */
static void sweep_network(struct pods *pods, char *const *known)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r;

	if (!pods->env.net)
		return;
	if (net_sweep(pods->env.net, known, on_orphan_veth, NULL, &err) < 0)
		log_warn("orphan veths: %s", err.message);
	nano_err_clear(&err);
	if (net_bandwidth_sweep(pods->env.net, known, on_orphan_ifb, NULL, &err) < 0)
		log_warn("orphan ifbs: %s", err.message);
	nano_err_clear(&err);
	if (hostports_sweep(pods->env.hostports, is_known, (void *)known, &err) < 0)
		log_warn("orphan hostPort forwards: %s", err.message);
	nano_err_clear(&err);
	r = store_pod_ips_release_orphans(pods->env.store, &err);
	if (r < 0)
		log_warn("orphan pod addresses: %s", err.message);
	else if (r > 0)
		log_warn("%d pod addresses of pods without a record released", r);
}

static void sweep_orphans(struct pods *pods, char *const *known)
{
	const struct pods_options *opt = &pods->env.opt;
	const char *const bases[] = {opt->run_dir, opt->state_dir, opt->log_dir};

	sweep_network(pods, known);
	/* cgroups first: that kills an orphan's shim and containers before their files go (the
	 * cgroups themselves go once empty, a moment later) */
	if (pods->env.cgroup)
		sweep_cgroups(pods, known);
	for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
		_cleanup_free_ char *dir = strdupf("%s/pods", bases[i]);

		if (dir)
			sweep_dir(dir, bases[i] == opt->log_dir, known);
	}
}

/* Whether nanolet's cgroup root is there already: a daemon with no pods and no root makes
 * nothing in cgroupfs. */
static bool cgroup_root_exists(const struct pods *pods)
{
	return pods->env.opt.cgroup_root_dir && access(pods->env.opt.cgroup_root_dir, F_OK) == 0;
}

static char *read_boot_id(const char *path)
{
	_cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
	char buf[64] = "";

	if (!f || !fgets(buf, sizeof(buf), f))
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

int pods_restore(struct pods *pods, struct nano_err *err)
{
	_cleanup_(nano_err_clear) struct nano_err meta_err = {0};
	_cleanup_free_ char *boot = read_boot_id(pods->env.opt.boot_id_path), *stored = NULL;
	_cleanup_strv_ char **known = NULL;
	struct store_pod *rows = NULL;
	size_t n = 0, kept = 0, removed = 0;
	bool rebooted, listed = true;
	int r;

	if (store_meta_get(pods->env.store, "boot_id", &stored, &meta_err) < 0 &&
	    meta_err.errnum != ENOENT)
		log_warn("boot id: %s", meta_err.message);
	rebooted = boot && stored && strcmp(boot, stored) != 0;
	node_event(pods, "Normal", "Starting", "Starting nanolet.");
	if (rebooted)
		node_event(pods, "Warning", "Rebooted", "Node %s has been rebooted, boot id: %s",
		           pods->env.hostname, boot);

	r = store_pods_list(pods->env.store, NULL, &rows, &n, err);
	if (r < 0)
		return nano_err_wrap(err, "load pods");
	if ((n > 0 || cgroup_root_exists(pods)) && (r = pods_cgroup_ready(pods, err)) < 0) {
		store_pods_free(rows, n);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		if (!restore_pod(pods, &rows[i], rebooted, &removed))
			continue;
		kept++;
		if (strv_pushf(&known, "%s", rows[i].uid) < 0)
			listed = false;
	}
	store_pods_free(rows, n);
	/* whatever is not known is killed: never on a list that misses a pod */
	if (listed)
		sweep_orphans(pods, known);
	else
		log_error("out of memory listing the pods: no orphan sweep this time");

	nano_err_clear(&meta_err);
	if (boot && (!stored || rebooted) &&
	    store_meta_set(pods->env.store, "boot_id", boot, &meta_err) < 0)
		log_warn("boot id: %s", meta_err.message);
	if (n > 0)
		log_info("%zu pods restored from the store, %zu half made being removed",
		         kept - removed, removed);
	return 0;
}
