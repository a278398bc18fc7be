/* daemon/pod_watch.c: what a running pod's cgroups say about its limits, sampled on one timer
 * (cpu_throttling_interval): a container throttled in more than cpu_throttling_threshold
 * percent of its CPU periods during the window, and forks refused at the pod's pids.max, become
 * Warning events (CPUThrottling, PidsLimitReached). Messages name coarse figures so that a
 * condition that goes on deduplicates into one event's count. It reads cgroup counters and
 * records events; it decides nothing about containers. */
#include <inttypes.h>
#include <string.h>

#include "pods_internal.h"

static void sample_cpu(struct pod *pod, size_t i, const struct cgroup_stats *st, int64_t window)
{
	const struct spec_resources *res = &pod->spec->containers[i].resources;
	struct pod_cpu_sample *last = &pod->cpu[i];
	uint64_t periods = st->cpu_nr_periods - last->periods;
	uint64_t throttled = st->cpu_nr_throttled - last->throttled;
	int64_t threshold = pod->pods->daemon->config.cpu_throttling_threshold;
	bool v2 = cgroup_driver_kind(pod->pods->cgroup) == PLAN_CGROUP_V2;
	int64_t quota = plan_cpu_quota(res->cpu_limit_milli);
	unsigned share;

	last->periods = st->cpu_nr_periods;
	last->throttled = st->cpu_nr_throttled;
	if (periods == 0 || throttled * 100 <= (uint64_t)threshold * periods)
		return;
	/* to the nearest 10%, so that steady throttling repeats one message */
	share = (unsigned)((throttled * 100 + periods * 5) / periods / 10 * 10);
	if (v2)
		pod_event(
		        pod, pod->plan->containers[i].name, "Warning", "CPUThrottling",
		        "container %s was throttled in about %u%% of its CPU periods over %" PRId64
		        " s: its CPU limit %" PRId64 "m is cpu.max \"%" PRId64 " 100000\"",
		        pod->plan->containers[i].name, share, window, res->cpu_limit_milli, quota);
	else
		pod_event(
		        pod, pod->plan->containers[i].name, "Warning", "CPUThrottling",
		        "container %s was throttled in about %u%% of its CPU periods over %" PRId64
		        " s: its CPU limit %" PRId64 "m is cpu.cfs_quota_us %" PRId64
		        " per cpu.cfs_period_us 100000",
		        pod->plan->containers[i].name, share, window, res->cpu_limit_milli, quota);
}

/* Refused forks, from pids.events "max". Kernels count them where the limit is or, newer ones,
 * in the cgroup of the task that forked: the pod's cgroup and its containers' are summed, so a
 * rise shows either way. */
static void sample_pids(struct pod *pod, const struct cgroup_stats *pod_stats)
{
	bool from_annotation = pod->spec->pids_limit_annotation != SPEC_UNSET &&
	                       (uint64_t)pod->spec->pids_limit_annotation == pod_stats->pids_max;
	uint64_t refused = pod_stats->pids_max_events;

	for (size_t i = 0; i < pod->plan->n_containers; i++) {
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		struct cgroup_stats st = {0};

		if (cgroup_driver_stats(pod->pods->cgroup, pod_container_cgroup(pod, i), &st,
		                        &err) >= 0)
			refused += st.pids_max_events;
	}
	if (refused > pod->pids_max_events)
		pod_event(pod, NULL, "Warning", "PidsLimitReached",
		          "a fork in the pod was refused: it reached its pids.max of %" PRIu64
		          " (from %s)",
		          pod_stats->pids_max,
		          from_annotation ? "its nanolet.io/pids-limit annotation"
		                          : "the node's pod_pids_limit");
	pod->pids_max_events = refused;
}

void pod_watch_start(struct pod *pod, size_t i)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct cgroup_stats st = {0};

	/* the counters a new run is judged against: its OOM kills (pod_run.c, at its exit) and
	 * the first window of its CPU throttling */
	if (cgroup_driver_stats(pod->pods->cgroup, pod_container_cgroup(pod, i), &st, &err) < 0)
		log_debug("pod %s: stats: %s", pod->spec->name, err.message);
	pod->oom_kills[i] = st.memory_oom_kill;
	pod->cpu[i] = (struct pod_cpu_sample){st.cpu_nr_periods, st.cpu_nr_throttled};
}

static void pod_sample(struct pod *pod, int64_t window)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct cgroup_stats st = {0};

	if (pod->deleting)
		return;
	if (cgroup_driver_stats(pod->pods->cgroup, pod->cgroup, &st, &err) >= 0)
		sample_pids(pod, &st);
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		const char *rel;

		if (pod->sup->containers[i].state != SUP_RUNNING ||
		    pod->spec->containers[i].resources.cpu_limit_milli == SPEC_UNSET)
			continue;
		rel = pod_container_cgroup(pod, i);
		st = (struct cgroup_stats){0};
		if (cgroup_driver_stats(pod->pods->cgroup, rel, &st, &err) >= 0)
			sample_cpu(pod, i, &st, window);
	}
}

int pods_on_sample(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct pods *pods = userdata;
	int64_t interval = pods->daemon->config.cpu_throttling_interval;

	for (struct pod *p = pods->list; p; p = p->next)
		pod_sample(p, interval);
	return sd_event_source_set_time(source, usec + (uint64_t)interval * 1000000);
}
