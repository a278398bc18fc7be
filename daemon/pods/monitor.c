/* daemon/pods/monitor.c (monitor.h): what a running pod's cgroups say about its limits, turned into
 * events and numbers. It reads cgroup counters and records events; it decides nothing about
 * containers.
 *
 *   OOM kills    the kernel tells us: v2 inotify on each container's memory.events, v1 an
 *                eventfd registered through cgroup.event_control on memory.oom_control. A
 *                notice is only a hint; the oom_kill counter rising is the fact (an eventfd
 *                also fires when its cgroup is removed, and v1 notifies before the kill). A
 *                kill becomes a Warning event OOMKilling at once, also when only a child died
 *                and the container goes on; a run in which one happened is OOMKilled, whoever
 *                the victim was, as containerd says it (lifecycle.c asks pod_watch_oom_killed
 *                when it reads the exit). Whom the kill hit comes from the kernel log
 *                (env->opt.oom_log): the most recent victim logged in the container's cgroup,
 *                or below it, since the run started.
 *   pids.max     refused forks (pids.events "max"): v2 inotify, v1 on the sample timer.
 *   throttling   cpu.stat on the sample timer (cpu_throttling_interval): a container throttled
 *                in more than cpu_throttling_threshold percent of its periods in the window.
 *   stats        one read of every cgroup of the pod for /stats/summary and /metrics.
 *
 * Messages name coarse figures so that a condition that goes on deduplicates into one event's
 * count. */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>

#include "pods/monitor.h"

/* v1 notifies an OOM before its kill is counted: the counter is read again this often, this
 * many times, before the notice is taken for one that killed nothing. */
#define OOM_RECHECK_USEC  (20 * 1000)
#define OOM_RECHECK_TIMES 50
/* usageNanoCores: the rise over at least this long. */
#define RATE_WINDOW_NS INT64_C(1000000000)

static bool driver_v2(const struct pod *pod)
{
	return cgroup_driver_kind(pod->env->cgroup) == PLAN_CGROUP_V2;
}

static int container_stats(const struct pod *pod, size_t i, struct cgroup_stats *st)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r;

	*st = (struct cgroup_stats){0};
	r = cgroup_driver_stats(pod->env->cgroup, pod_container_cgroup(pod, i), st, &err);
	if (r < 0)
		log_debug("pod %s: stats: %s", pod->spec->name, err.message);
	return r;
}

static int64_t monotonic_ns(const struct pod_env *env)
{
	return (int64_t)pods_clock(env, CLOCK_MONOTONIC) * 1000;
}

/* ---- OOM kills --------------------------------------------------------------------------- */

/* The victim the kernel logged for container i's current run: the most recent one in its
 * cgroup or below since the run started; NULL when the log is not read or named none (rate
 * limited, overwritten). The log is read first: the kernel logs a kill before it counts it, so
 * once the counter rose the line is there. */
static const struct cgroup_oom_victim *oom_victim(struct pod *pod, size_t i)
{
	struct cgroup_oom_log *log = pod->env->opt.oom_log;
	const char *root;
	_cleanup_free_ char *memcg = NULL;
	size_t len;
	int r;

	if (!log)
		return NULL;
	r = cgroup_oom_log_read(log);
	if (r < 0)
		log_debug("kernel log: %s", strerror(-r));
	/* the kernel names cgroups from the hierarchy's root, as the driver's root is named */
	root = cgroup_driver_root(pod->env->cgroup);
	len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	memcg = strdupf("%.*s/%s", (int)len, root, pod_container_cgroup(pod, i));
	return memcg ? cgroup_oom_log_find(log, memcg, pod->counters[i].oom_seq) : NULL;
}

/* "memory limit 67108864 bytes (memory.max) reached; the kernel OOM killer ended pid 1234
 * (python3)": the victim the kernel logged; without one, pid (the main process, killed by
 * SIGKILL) or, pid 0, a process of the container. */
static char *oom_message(const struct pod *pod, size_t i, pid_t pid,
                         const struct cgroup_oom_victim *v)
{
	int64_t limit = pod->spec->containers[i].resources.memory_limit;
	const char *name = pod->plan->containers[i].name;
	_cleanup_free_ char *victim = v         ? strdupf("pid %d (%s)", (int)v->pid, v->task)
	                              : pid > 0 ? strdupf("pid %d", (int)pid)
	                                        : strdupf("a process of container %s", name);

	if (!victim)
		return NULL;
	if (limit == SPEC_UNSET)
		return strdupf("the kernel OOM killer ended %s: the node or the pod ran out of "
		               "memory (the container has no memory limit)",
		               victim);
	return strdupf("memory limit %" PRId64
	               " bytes (%s) reached; the kernel OOM killer ended %s",
	               limit, driver_v2(pod) ? "memory.max" : "memory.limit_in_bytes", victim);
}

/* Records OOMKilling once per rise of the counter. */
static void oom_report(struct pod *pod, size_t i, uint64_t kills, pid_t pid,
                       const struct cgroup_oom_victim *v)
{
	struct pod_counters *c = &pod->counters[i];
	_cleanup_free_ char *message = NULL;

	if (kills <= c->oom_reported)
		return;
	c->oom_reported = kills;
	c->oom_pending = false;
	message = oom_message(pod, i, pid, v);
	pod_event(pod, pod->plan->containers[i].name, "Warning", "OOMKilling", "%s",
	          message ? message : "the kernel OOM killer ended a process");
}

/* A notice came: true once the kill it announced is counted (and reported). v2 notices every
 * change of memory.events (high, max, oom, oom_kill): one small file is read for each. */
static bool oom_check(struct pod *pod, size_t i)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	uint64_t kills;

	if (cgroup_driver_oom_kills(pod->env->cgroup, pod_container_cgroup(pod, i), &kills, &err) <
	    0)
		return true; /* the cgroup is gone: nothing to wait for */
	if (kills <= pod->counters[i].oom_reported)
		return false;
	oom_report(pod, i, kills, 0, oom_victim(pod, i));
	return true;
}

bool pod_watch_oom_killed(struct pod *pod, size_t i, pid_t pid, char **message)
{
	const struct cgroup_oom_victim *v;
	struct cgroup_stats st;

	*message = NULL;
	if (!pod->counters || container_stats(pod, i, &st) < 0 ||
	    st.memory_oom_kill <= pod->counters[i].oom_base)
		return false;
	v = oom_victim(pod, i);
	*message = oom_message(pod, i, pid, v);
	oom_report(pod, i, st.memory_oom_kill, pid, v);
	return true;
}

static void on_oom_recheck(void *userdata);

/* One timer per pod, re-armed while a notice waits for its kill to be counted. */
static void arm_oom_recheck(struct pod *pod)
{
	int r = pods_timer_in(pod->env, &pod->oom_recheck, OOM_RECHECK_USEC, on_oom_recheck, pod);

	if (r < 0)
		log_warn("pod %s: OOM recheck timer: %s", pod->spec->name, strerror(-r));
}

static void on_oom_recheck(void *userdata)
{
	struct pod *pod = userdata;
	bool waiting = false;

	for (size_t i = 0; i < pod->plan->n_containers; i++)
		if (pod->counters[i].oom_pending && !oom_check(pod, i))
			waiting = true;
	if (waiting && ++pod->oom_rechecks < OOM_RECHECK_TIMES)
		return arm_oom_recheck(pod);
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		pod->counters[i].oom_pending = false; /* an OOM that found nothing to kill */
}

static int on_oom_eventfd(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct pod_counters *c = userdata;
	uint64_t n;

	(void)source;
	(void)revents;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("pod %s: OOM eventfd: %m", c->pod->spec->name);
	if (oom_check(c->pod, c->index))
		return 0;
	c->oom_pending = true;
	c->pod->oom_rechecks = 0;
	arm_oom_recheck(c->pod);
	return 0;
}

/* v1: "<eventfd> <fd of memory.oom_control>" into cgroup.event_control. The kernel keeps what
 * it needs of the control file's fd; only the eventfd stays open. */
static int watch_oom_v1(struct pod *pod, size_t i, struct nano_err *err)
{
	struct pod_counters *c = &pod->counters[i];
	_cleanup_free_ char *dir = NULL, *control = NULL, *line = NULL;
	_cleanup_close_ int oom_fd = -1, control_fd = -1;
	int r = cgroup_driver_dir(pod->env->cgroup, "memory", pod_container_cgroup(pod, i), &dir);

	if (r < 0)
		return nano_err_set(err, -r, "memory cgroup of %s: %s", c->pod->spec->name,
		                    strerror(-r));
	control = strdupf("%s/memory.oom_control", dir);
	line = strdupf("%s/cgroup.event_control", dir);
	if (!control || !line)
		return nano_err_set(err, ENOMEM, "out of memory");
	oom_fd = open(control, O_RDONLY | O_CLOEXEC);
	control_fd = open(line, O_WRONLY | O_CLOEXEC);
	if (oom_fd < 0 || control_fd < 0)
		return nano_err_set(err, errno, "open %s: %m", oom_fd < 0 ? control : line);
	c->oom_eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->oom_eventfd < 0)
		return nano_err_set(err, errno, "eventfd: %m");
	free(line);
	line = strdupf("%d %d", c->oom_eventfd, oom_fd);
	if (!line)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (write(control_fd, line, strlen(line)) < 0)
		return nano_err_set(err, errno, "%s/cgroup.event_control: %m", dir);
	r = sd_event_add_io(pod->env->event, &c->oom_source, c->oom_eventfd, EPOLLIN,
	                    on_oom_eventfd, c);
	return r < 0 ? nano_err_set(err, -r, "watch OOM notices: %s", strerror(-r)) : 0;
}

static void sample_pids(struct pod *pod);

static void on_memory_events(void *userdata)
{
	struct pod_counters *c = userdata;

	oom_check(c->pod, c->index);
}

static void on_pids_events(void *userdata)
{
	sample_pids(userdata);
}

static int watch_file(struct pod *pod, const char *dir, const char *name,
                      void (*fn)(void *userdata), void *userdata, struct fs_watch **out,
                      struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	int r;

	if (!path)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = fs_watch_add(pod->env->opt.watches, path, IN_MODIFY, fn, userdata, out);
	return r < 0 ? nano_err_set(err, -r, "watch %s: %s", path, strerror(-r)) : 0;
}

/* v2, on the daemon's one inotify instance: each container's memory.events, and pids.events of
 * the pod and its containers (refused forks are counted where the forking task is). */
static int watch_v2(struct pod *pod, struct nano_err *err)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	size_t n = pod->plan->n_containers;
	int r;

	pod->pids_watches = calloc(n + 1, sizeof(*pod->pids_watches));
	if (!pod->pids_watches)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i <= n; i++) {
		const char *rel = i < n ? pod_container_cgroup(pod, i) : pod->cgroup;
		_cleanup_free_ char *dir = NULL;

		if ((r = cgroup_driver_dir(cg, NULL, rel, &dir)) < 0)
			return nano_err_set(err, -r, "cgroup %s: %s", rel, strerror(-r));
		r = watch_file(pod, dir, "pids.events", on_pids_events, pod, &pod->pids_watches[i],
		               err);
		if (r >= 0 && i < n)
			r = watch_file(pod, dir, "memory.events", on_memory_events,
			               &pod->counters[i], &pod->counters[i].memory_watch, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int pod_watch_alloc(struct pod *pod, struct nano_err *err)
{
	size_t n = pod->plan->n_containers;

	if (pod->counters)
		return 0;
	pod->counters = calloc(n, sizeof(*pod->counters));
	if (!pod->counters)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		pod->counters[i] = (struct pod_counters){.pod = pod, .index = i, .oom_eventfd = -1};
	return 0;
}

/* Drops the registrations, keeps the counters. */
static void notices_close(struct pod *pod)
{
	for (size_t i = 0; pod->counters && i < pod->plan->n_containers; i++) {
		struct pod_counters *c = &pod->counters[i];

		c->oom_source = sd_event_source_disable_unref(c->oom_source);
		if (c->oom_eventfd >= 0)
			close(c->oom_eventfd);
		c->oom_eventfd = -1;
		fs_watch_remove(c->memory_watch);
		c->memory_watch = NULL;
		c->oom_pending = false;
	}
	for (size_t i = 0; pod->pids_watches && i <= pod->plan->n_containers; i++)
		fs_watch_remove(pod->pids_watches[i]);
	free(pod->pids_watches);
	pod->pids_watches = NULL;
	pods_timer_cancel(pod->env, &pod->oom_recheck);
}

int pod_watch_notices(struct pod *pod, struct nano_err *err)
{
	int r = 0;

	notices_close(pod); /* a new sandbox may have new cgroups (after a reboot) */
	if (driver_v2(pod))
		r = watch_v2(pod, err);
	for (size_t i = 0; !driver_v2(pod) && r >= 0 && i < pod->plan->n_containers; i++)
		if (watch_oom_v1(pod, i, err) < 0)
			r = -err->errnum;
	if (r < 0)
		notices_close(pod); /* nothing half watched holds a descriptor */
	return r;
}

void pod_watch_close(struct pod *pod)
{
	notices_close(pod);
	free(pod->counters);
	pod->counters = NULL;
}

void pod_watch_start(struct pod *pod, size_t i)
{
	struct pod_counters *c = &pod->counters[i];
	struct cgroup_oom_log *log = pod->env->opt.oom_log;
	struct cgroup_stats st;

	/* the kernel log's position first, then the counter: a kill counted after the counter
	 * was read was logged after the position (the kernel logs a kill, then counts it) */
	if (log) {
		(void)cgroup_oom_log_read(log);
		c->oom_seq = cgroup_oom_log_next_seq(log);
	}
	/* the counters a new run is judged against: its OOM kills (at its exit) and the first
	 * window of its CPU throttling */
	container_stats(pod, i, &st);
	c->oom_base = st.memory_oom_kill;
	if (c->oom_reported < st.memory_oom_kill)
		c->oom_reported = st.memory_oom_kill;
	c->cpu_periods = st.cpu_nr_periods;
	c->cpu_throttled = st.cpu_nr_throttled;
	/* and its end's message: v2 counts refused forks as they happen, v1 on the sample timer
	 * (a refusal not sampled yet counts for the run that ends next) */
	c->run_forks_refused = pod->pids_max_events;
	c->run_cpu_periods = st.cpu_nr_periods;
	c->run_cpu_throttled = st.cpu_nr_throttled;
	c->run_throttling_reported = false;
}

/* ---- throttling and refused forks, on the sample timer ----------------------------------- */

static void sample_cpu(struct pod *pod, size_t i, const struct cgroup_stats *st, int64_t window)
{
	const struct spec_resources *res = &pod->spec->containers[i].resources;
	struct pod_counters *c = &pod->counters[i];
	uint64_t periods = st->cpu_nr_periods - c->cpu_periods;
	uint64_t throttled = st->cpu_nr_throttled - c->cpu_throttled;
	int64_t threshold = pod->env->opt.cpu_throttling_threshold;
	int64_t quota = plan_cpu_quota(res->cpu_limit_milli);
	const char *name = pod->plan->containers[i].name;
	unsigned share;

	c->cpu_periods = st->cpu_nr_periods;
	c->cpu_throttled = st->cpu_nr_throttled;
	if (periods == 0 || throttled * 100 <= (uint64_t)threshold * periods)
		return;
	/* to the nearest 10%, so that steady throttling repeats one message */
	share = (unsigned)((throttled * 100 + periods * 5) / periods / 10 * 10);
	c->run_throttling_reported = true;
	if (driver_v2(pod))
		pod_event(
		        pod, name, "Warning", "CPUThrottling",
		        "container %s was throttled in about %u%% of its CPU periods over %" PRId64
		        " s: its CPU limit %" PRId64 "m is cpu.max \"%" PRId64 " 100000\"",
		        name, share, window, res->cpu_limit_milli, quota);
	else
		pod_event(
		        pod, name, "Warning", "CPUThrottling",
		        "container %s was throttled in about %u%% of its CPU periods over %" PRId64
		        " s: its CPU limit %" PRId64 "m is cpu.cfs_quota_us %" PRId64
		        " per cpu.cfs_period_us 100000",
		        name, share, window, res->cpu_limit_milli, quota);
}

/* Refused forks, from pids.events "max". Kernels count them where the limit is or, newer ones,
 * in the cgroup of the task that forked: the pod's cgroup and its containers' are summed, so a
 * rise shows either way. */
static void sample_pids(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct cgroup_stats pod_stats = {0}, st;
	uint64_t refused;
	bool from_annotation;

	if (cgroup_driver_stats(pod->env->cgroup, pod->cgroup, &pod_stats, &err) < 0)
		return;
	refused = pod_stats.pids_max_events;
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		if (container_stats(pod, i, &st) >= 0)
			refused += st.pids_max_events;
	from_annotation = pod->spec->pids_limit_annotation != SPEC_UNSET &&
	                  (uint64_t)pod->spec->pids_limit_annotation == pod_stats.pids_max;
	if (refused > pod->pids_max_events)
		pod_event(pod, NULL, "Warning", "PidsLimitReached",
		          "a fork in the pod was refused: it reached its pids.max of %" PRIu64
		          " (from %s)",
		          pod_stats.pids_max,
		          from_annotation ? "its nanolet.io/pids-limit annotation"
		                          : "the node's pod_pids_limit");
	pod->pids_max_events = refused;
}

/* "100m, cpu.max \"10000 100000\"": a container's CPU limit as the driver writes it. */
static char *cpu_limit_text(const struct pod *pod, size_t i)
{
	int64_t milli = pod->spec->containers[i].resources.cpu_limit_milli;
	int64_t quota = plan_cpu_quota(milli);

	if (milli == SPEC_UNSET)
		return NULL;
	if (driver_v2(pod))
		return strdupf("%" PRId64 "m, cpu.max \"%" PRId64 " 100000\"", milli, quota);
	return strdupf("%" PRId64 "m, cpu.cfs_quota_us %" PRId64 " per cpu.cfs_period_us 100000",
	               milli, quota);
}

char *pod_watch_exit_message(struct pod *pod, size_t i, const char *base)
{
	struct pod_counters *c = pod->counters ? &pod->counters[i] : NULL;
	const char *pids_max = NULL;
	_cleanup_free_ char *limit = NULL;
	struct sup_run_pressure p = {0};
	struct cgroup_stats st;
	char *message = NULL;

	if (!c)
		return base ? strdup(base) : NULL;
	for (size_t k = 0; k < pod->plan->cgroup.n_v2; k++)
		if (strcmp(pod->plan->cgroup.v2[k].name, "pids.max") == 0)
			pids_max = pod->plan->cgroup.v2[k].value;
	/* what has not been heard of yet: refused forks (v1), the run's last CPU periods */
	sample_pids(pod);
	if (container_stats(pod, i, &st) < 0)
		st = (struct cgroup_stats){.cpu_nr_periods = c->run_cpu_periods,
		                           .cpu_nr_throttled = c->run_cpu_throttled};
	limit = cpu_limit_text(pod, i);
	p = (struct sup_run_pressure){
	        .forks_refused = pod->pids_max_events - c->run_forks_refused,
	        .pids_max = pids_max && strcmp(pids_max, "max") != 0 ? strtoull(pids_max, NULL, 10)
	                                                             : SUP_UNLIMITED,
	        .pids_source = pod->spec->pids_limit_annotation != SPEC_UNSET && pids_max &&
	                                       pod->spec->pids_limit_annotation ==
	                                               (int64_t)strtoll(pids_max, NULL, 10)
	                               ? "its nanolet.io/pids-limit annotation"
	                               : "the node's pod_pids_limit",
	        .cpu_periods = st.cpu_nr_periods - c->run_cpu_periods,
	        .cpu_throttled = st.cpu_nr_throttled - c->run_cpu_throttled,
	        .throttled_percent = (unsigned)pod->env->opt.cpu_throttling_threshold,
	        .cpu_limit = limit,
	};
	/* a run throttled hard but too short for a sample still gets its event */
	if (p.cpu_periods > 0 && p.cpu_throttled * 100 > p.throttled_percent * p.cpu_periods &&
	    !c->run_throttling_reported)
		pod_event(pod, pod->plan->containers[i].name, "Warning", "CPUThrottling",
		          "container %s was throttled in about %" PRIu64
		          "%% of its CPU periods during its run: its CPU limit is %s",
		          pod->plan->containers[i].name,
		          (p.cpu_throttled * 100 + p.cpu_periods * 5) / p.cpu_periods / 10 * 10,
		          limit ? limit : "none");
	if (sup_exit_message(base, &p, &message) < 0)
		log_error("pod %s: out of memory", pod->spec->name);
	return message;
}

void pod_monitor_sample(struct pod *pod, int64_t window)
{
	int64_t now = monotonic_ns(pod->env);

	if (pod->deleting || !pod->counters)
		return;
	if (!driver_v2(pod)) /* v2 hears of refused forks through inotify */
		sample_pids(pod);
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		struct cgroup_stats st;

		if (pod->sup->containers[i].state != SUP_RUNNING ||
		    container_stats(pod, i, &st) < 0)
			continue;
		/* a reading for usageNanoCores, so that the first /stats/summary has a rate */
		metrics_rate_update(&pod->counters[i].cpu_rate, now, st.cpu_usage_ns,
		                    RATE_WINDOW_NS);
		if (pod->spec->containers[i].resources.cpu_limit_milli != SPEC_UNSET)
			sample_cpu(pod, i, &st, window);
	}
}

/* Only OOM baselines are kept in the record: an OOM kill ends a run, and must be told however
 * long we were down. */
void pod_monitor_rebase(struct pod *pod)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct cgroup_stats st = {0};
	uint64_t refused = 0;

	if (cgroup_driver_stats(cg, pod->cgroup, &st, &err) >= 0)
		refused = st.pids_max_events;
	for (size_t i = 0; i < pod->plan->n_containers; i++) {
		st = (struct cgroup_stats){0};
		if (cgroup_driver_stats(cg, pod_container_cgroup(pod, i), &st, &err) < 0)
			continue;
		pod->counters[i].cpu_periods = st.cpu_nr_periods;
		pod->counters[i].cpu_throttled = st.cpu_nr_throttled;
		refused += st.pids_max_events;
	}
	pod->pids_max_events = refused;
}

void pod_monitor_reset(struct pod *pod)
{
	for (size_t i = 0; pod->counters && i < pod->plan->n_containers; i++) {
		struct pod_counters *c = &pod->counters[i];

		c->oom_base = c->oom_reported = 0;
		c->cpu_periods = c->cpu_throttled = 0;
	}
	pod->pids_max_events = 0;
}

/* ---- /stats/summary and /metrics --------------------------------------------------------- */

int pod_stats_read(struct pod *pod, struct pod_stats *out)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int64_t now = monotonic_ns(pod->env);

	*out = (struct pod_stats){
	        .namespace = pod->spec->namespace,
	        .name = pod->spec->name,
	        .uid = pod->uid,
	        .phase = sup_phase_name(pod->sup->phase),
	        .start_time = pod->sup->start_time,
	        .usage_nano_cores = -1,
	};
	out->containers = calloc(pod->plan->n_containers, sizeof(*out->containers));
	if (!out->containers)
		return -ENOMEM;
	out->n_containers = pod->plan->n_containers;
	if (cgroup_driver_stats(pod->env->cgroup, pod->cgroup, &out->cgroup, &err) >= 0) {
		out->have = true;
		out->usage_nano_cores = metrics_rate_update(
		        &pod->cpu_rate, now, out->cgroup.cpu_usage_ns, RATE_WINDOW_NS);
	}
	for (size_t i = 0; i < pod->plan->n_containers; i++) {
		struct pod_container_stats *c = &out->containers[i];
		const struct sup_container *sc = &pod->sup->containers[i];

		c->name = pod->plan->containers[i].name;
		c->start_time = sc->state == SUP_RUNNING ? sc->started_at
		                : sc->terminated.valid   ? sc->terminated.started_at
		                                         : 0;
		c->usage_nano_cores = -1;
		if (container_stats(pod, i, &c->cgroup) < 0)
			continue;
		c->have = true;
		if (pod->counters) {
			c->usage_nano_cores =
			        metrics_rate_update(&pod->counters[i].cpu_rate, now,
			                            c->cgroup.cpu_usage_ns, RATE_WINDOW_NS);
			c->usage_window_ns = metrics_rate_window(&pod->counters[i].cpu_rate, now);
		}
	}
	return 0;
}

void pod_stats_done(struct pod_stats *s)
{
	free(s->containers);
	*s = (struct pod_stats){0};
}
