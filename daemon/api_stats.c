/* daemon/api_stats.c: GET /stats/summary, the kubelet's Summary API shape (node, pods, their
 * containers' cpu and memory) with nanolet's own fields beside the kubelet's (throttling, the
 * memory limit and OOM kills, processes and pids.max hits); and GET /metrics, the same numbers
 * in the Prometheus text format under cAdvisor's names, plus the daemon's own. Both are one read
 * of the cgroups of whichever driver is in use at the time of the request; nothing is cached but
 * the readings a CPU rate needs. */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "fs_watch.h"
#include "metrics/metrics.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"
#include "supervise/supervise.h"

struct stats_read {
	struct pod_stats *pods;
	size_t n, cap;
	int r;
};

static void read_pod(struct pod *pod, void *userdata)
{
	struct stats_read *s = userdata;

	if (s->r < 0)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct pod_stats *grown = realloc(s->pods, cap * sizeof(*grown));

		if (!grown) {
			s->r = -ENOMEM;
			return;
		}
		s->pods = grown;
		s->cap = cap;
	}
	s->r = pod_stats_read(pod, &s->pods[s->n]);
	if (s->r >= 0)
		s->n++;
}

static void stats_read_done(struct stats_read *s)
{
	for (size_t i = 0; i < s->n; i++)
		pod_stats_done(&s->pods[i]);
	free(s->pods);
}

/* ---- /stats/summary ---------------------------------------------------------------------- */

static json_t *json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *time_json(int64_t unix_seconds)
{
	struct timespec ts = {.tv_sec = unix_seconds};
	char buf[UTIL_RFC3339_SIZE];

	if (unix_seconds <= 0 || util_rfc3339(buf, sizeof(buf), &ts, false) < 0)
		return NULL;
	return json_string(buf);
}

/* CPUStats, with nanolet's throttling counters after the kubelet's fields. */
static json_t *cpu_json(const struct cgroup_stats *st, int64_t nano_cores, int64_t now)
{
	json_t *cpu = json_pack("{s:o*, s:o, s:o, s:o, s:o}", "time", time_json(now),
	                        "usageCoreNanoSeconds", json_u64(st->cpu_usage_ns), "periods",
	                        json_u64(st->cpu_nr_periods), "throttledPeriods",
	                        json_u64(st->cpu_nr_throttled), "throttledTimeNanoSeconds",
	                        json_u64(st->cpu_throttled_ns));

	if (cpu && nano_cores >= 0)
		json_object_set_new(cpu, "usageNanoCores", json_integer(nano_cores));
	return cpu;
}

/* MemoryStats; availableBytes (limit - working set) only under a limit, as the kubelet. */
static json_t *memory_json(const struct cgroup_stats *st, int64_t now)
{
	json_t *memory = json_pack(
	        "{s:o*, s:o, s:o, s:o, s:o, s:o, s:o}", "time", time_json(now), "usageBytes",
	        json_u64(st->memory_usage_bytes), "workingSetBytes",
	        json_u64(st->memory_working_set_bytes), "rssBytes", json_u64(st->memory_rss_bytes),
	        "pageFaults", json_u64(st->memory_pgfault), "majorPageFaults",
	        json_u64(st->memory_pgmajfault), "oomKills", json_u64(st->memory_oom_kill));

	if (memory && st->memory_limit_bytes != CGROUP_STAT_MAX) {
		uint64_t ws = st->memory_working_set_bytes, limit = st->memory_limit_bytes;

		json_object_set_new(memory, "limitBytes", json_u64(limit));
		json_object_set_new(memory, "availableBytes",
		                    json_u64(limit > ws ? limit - ws : 0));
	}
	return memory;
}

/* nanolet's: processes against the nearest pids.max (the container's, else the pod's). */
static json_t *process_json(const struct cgroup_stats *st, uint64_t pod_limit)
{
	uint64_t limit = st->pids_max != CGROUP_STAT_MAX ? st->pids_max : pod_limit;
	json_t *process = json_pack("{s:o, s:o}", "count", json_u64(st->pids_current), "limitHits",
	                            json_u64(st->pids_max_events));

	if (process && limit != CGROUP_STAT_MAX)
		json_object_set_new(process, "limit", json_u64(limit));
	return process;
}

static json_t *container_json(const struct pod_container_stats *c, uint64_t pod_limit,
                              bool only_cpu_and_memory, int64_t now)
{
	json_t *obj =
	        json_pack("{s:s, s:o*}", "name", c->name, "startTime", time_json(c->start_time));

	if (!obj || !c->have)
		return obj;
	json_object_set_new(obj, "cpu", cpu_json(&c->cgroup, c->usage_nano_cores, now));
	json_object_set_new(obj, "memory", memory_json(&c->cgroup, now));
	if (!only_cpu_and_memory)
		json_object_set_new(obj, "process", process_json(&c->cgroup, pod_limit));
	return obj;
}

static json_t *pod_json(const struct pod_stats *p, bool only_cpu_and_memory, int64_t now)
{
	uint64_t pod_limit = p->have ? p->cgroup.pids_max : CGROUP_STAT_MAX;
	json_t *containers = json_array();
	json_t *obj;

	for (size_t i = 0; containers && i < p->n_containers; i++)
		json_array_append_new(containers, container_json(&p->containers[i], pod_limit,
		                                                 only_cpu_and_memory, now));
	obj = json_pack("{s:{s:s, s:s, s:s}, s:o*, s:o*}", "podRef", "name", p->name, "namespace",
	                p->namespace, "uid", p->uid, "startTime", time_json(p->start_time),
	                "containers", containers);
	if (!obj || !p->have)
		return obj;
	json_object_set_new(obj, "cpu", cpu_json(&p->cgroup, p->usage_nano_cores, now));
	json_object_set_new(obj, "memory", memory_json(&p->cgroup, now));
	if (!only_cpu_and_memory)
		json_object_set_new(
		        obj, "process_stats",
		        json_pack("{s:o}", "process_count", json_u64(p->cgroup.pids_current)));
	return obj;
}

static json_t *node_json(struct nanoletd *d, int64_t now, struct nano_err *err)
{
	struct metrics_node node;
	struct timespec mono;
	char name[256] = "";
	int64_t nano_cores;
	json_t *obj;

	if (metrics_node_read("/proc", sysconf(_SC_CLK_TCK), &node, err) < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	nano_cores = metrics_rate_update(&d->node_cpu_rate,
	                                 (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec,
	                                 node.cpu_usage_ns, INT64_C(1000000000));
	gethostname(name, sizeof(name) - 1);
	obj = json_pack("{s:s, s:o*, s:{s:o*, s:o}, s:{s:o*, s:o, s:o, s:o, s:o, s:o, s:o}}",
	                "nodeName", name, "startTime", time_json(node.boot_time), "cpu", "time",
	                time_json(now), "usageCoreNanoSeconds", json_u64(node.cpu_usage_ns),
	                "memory", "time", time_json(now), "availableBytes",
	                json_u64(node.memory_available), "usageBytes", json_u64(node.memory_usage),
	                "workingSetBytes", json_u64(node.memory_working_set), "rssBytes",
	                json_u64(node.memory_rss), "pageFaults", json_u64(node.page_faults),
	                "majorPageFaults", json_u64(node.major_page_faults));
	if (obj && nano_cores >= 0)
		json_object_set_new(json_object_get(obj, "cpu"), "usageNanoCores",
		                    json_integer(nano_cores));
	return obj;
}

/* ?only_cpu_and_memory=true, as the kubelet: drops what is neither (the process counts). */
void api_stats_summary(struct nanoletd *d, const struct http_request *req,
                       const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	const char *only = http_query(req, "only_cpu_and_memory");
	bool only_cpu_and_memory = only && strcmp(only, "true") == 0;
	struct stats_read s = {0};
	int64_t now = (int64_t)time(NULL);
	json_t *node, *pods;

	(void)args;
	node = node_json(d, now, &err);
	if (!node)
		return routes_status(resp, 500, "InternalError",
		                     err.message ? err.message : "out of memory");
	pods_each(d->pods, read_pod, &s);
	pods = json_array();
	for (size_t i = 0; pods && s.r >= 0 && i < s.n; i++)
		json_array_append_new(pods, pod_json(&s.pods[i], only_cpu_and_memory, now));
	stats_read_done(&s);
	if (s.r < 0 || !pods) {
		json_decref(node);
		json_decref(pods);
		return routes_status(resp, 500, "InternalError", "out of memory");
	}
	routes_json(resp, 200, json_pack("{s:o, s:o}", "node", node, "pods", pods));
}

/* ---- /metrics ---------------------------------------------------------------------------- */

/* One cAdvisor family: a counter of the container's cgroup, in the family's unit. A limit of
 * "max" is 0, as cAdvisor reports no limit. */
struct family {
	const char *name;
	const char *type;
	const char *help;
	size_t offset; /* into struct cgroup_stats */
	double scale;
};

#define FAMILY(name, type, help, field, scale)                                                     \
	{                                                                                          \
		name, type, help, offsetof(struct cgroup_stats, field), scale                      \
	}

static const struct family families[] = {
        FAMILY("container_cpu_usage_seconds_total", "counter",
               "Cumulative cpu time consumed in seconds.", cpu_usage_ns, 1e-9),
        FAMILY("container_cpu_cfs_periods_total", "counter",
               "Number of elapsed enforcement period intervals.", cpu_nr_periods, 1),
        FAMILY("container_cpu_cfs_throttled_periods_total", "counter",
               "Number of throttled period intervals.", cpu_nr_throttled, 1),
        FAMILY("container_cpu_cfs_throttled_seconds_total", "counter",
               "Total time duration the container has been throttled.", cpu_throttled_ns, 1e-9),
        FAMILY("container_memory_usage_bytes", "gauge",
               "Current memory usage in bytes, including all memory regardless of when it was "
               "accessed.",
               memory_usage_bytes, 1),
        FAMILY("container_memory_working_set_bytes", "gauge", "Current working set in bytes.",
               memory_working_set_bytes, 1),
        FAMILY("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.",
               memory_limit_bytes, 1),
        FAMILY("container_oom_events_total", "counter",
               "Count of out of memory events observed for the container.", memory_oom_kill, 1),
        FAMILY("container_processes", "gauge", "Number of processes running inside the container.",
               pids_current, 1),
};

static double family_value(const struct family *f, const struct cgroup_stats *st)
{
	uint64_t v = *(const uint64_t *)((const char *)st + f->offset);

	return v == CGROUP_STAT_MAX ? 0 : (double)v * f->scale;
}

static void count_line(const char *method, unsigned code, uint64_t n, void *userdata)
{
	char code_text[8];
	const char *labels[] = {"code", code_text, "method", method, NULL};

	snprintf(code_text, sizeof(code_text), "%u", code);
	prom_sample(userdata, "nanolet_api_requests_total", labels, (double)n);
}

/* The answers of both servers (the unix socket's and the TLS listener's) as one set of
 * samples: a label set twice would be two series of one name. */
struct request_counts {
	struct {
		const char *method;
		unsigned code;
		uint64_t n;
	} * rows;
	size_t n;
	bool failed;
};

static void count_add(const char *method, unsigned code, uint64_t n, void *userdata)
{
	struct request_counts *c = userdata;
	void *grown;

	for (size_t i = 0; i < c->n; i++)
		if (c->rows[i].code == code && strcmp(c->rows[i].method, method) == 0) {
			c->rows[i].n += n;
			return;
		}
	grown = realloc(c->rows, (c->n + 1) * sizeof(*c->rows));
	if (!grown) {
		c->failed = true;
		return;
	}
	c->rows = grown;
	c->rows[c->n].method = method;
	c->rows[c->n].code = code;
	c->rows[c->n++].n = n;
}

static void write_request_counts(struct prom *p, struct nanoletd *d)
{
	struct request_counts c = {0};

	http_server_counts(d->http, count_add, &c);
	if (d->https)
		http_server_counts(d->https, count_add, &c);
	for (size_t i = 0; i < c.n; i++)
		count_line(c.rows[i].method, c.rows[i].code, c.rows[i].n, p);
	free(c.rows);
}

static void write_metrics(struct prom *p, struct nanoletd *d, const struct stats_read *s)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		prom_family(p, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < s->n; i++)
			for (size_t j = 0; j < s->pods[i].n_containers; j++) {
				const struct pod_container_stats *c = &s->pods[i].containers[j];
				const char *labels[] = {"namespace", s->pods[i].namespace,
				                        "pod",       s->pods[i].name,
				                        "container", c->name,
				                        NULL};

				if (c->have)
					prom_sample(p, families[f].name, labels,
					            family_value(&families[f], &c->cgroup));
			}
	}

	prom_family(p, "nanolet_pods", "gauge", "Pods on this node by phase.");
	for (enum sup_phase ph = SUP_PHASE_PENDING; ph <= SUP_PHASE_FAILED; ph++) {
		const char *labels[] = {"phase", sup_phase_name(ph), NULL};
		size_t n = 0;

		for (size_t i = 0; i < s->n; i++)
			n += strcmp(s->pods[i].phase, sup_phase_name(ph)) == 0;
		prom_sample(p, "nanolet_pods", labels, (double)n);
	}
	prom_family(p, "nanolet_api_requests_total", "counter",
	            "API requests answered, by HTTP method and status code.");
	write_request_counts(p, d);
	/* what clients hold now (README "Limits") */
	prom_family(p, "nanolet_http_connections", "gauge", "API connections open.");
	prom_sample(p, "nanolet_http_connections", NULL,
	            (double)(http_server_connections(d->http) + http_server_connections(d->https)));
	prom_family(p, "nanolet_log_follows", "gauge", "Log requests with follow=true open.");
	prom_sample(p, "nanolet_log_follows", NULL, (double)d->log_follows);
	prom_family(p, "nanolet_inotify_watches", "gauge",
	            "Files and directories watched on the daemon's one inotify instance (log "
	            "follows, pods' exit records, cgroup v2 event files).");
	prom_sample(p, "nanolet_inotify_watches", NULL, (double)fs_watches_count(d->fs_watches));
	prom_family(p, "nanolet_pod_start_duration_seconds", "histogram",
	            "Duration in seconds from the daemon receiving a pod to its phase first being "
	            "Running.");
	prom_histogram_write(p, "nanolet_pod_start_duration_seconds", NULL,
	                     pods_start_durations(d->pods));
}

void api_metrics(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                 struct http_response *resp)
{
	struct stats_read s = {0};
	struct prom p;

	(void)req;
	(void)args;
	pods_each(d->pods, read_pod, &s);
	if (s.r < 0 || prom_open(&p) < 0) {
		stats_read_done(&s);
		return routes_status(resp, 500, "InternalError", "out of memory");
	}
	write_metrics(&p, d, &s);
	stats_read_done(&s);
	resp->body = prom_finish(&p, &resp->body_len);
	if (!resp->body)
		return routes_status(resp, 500, "InternalError", "out of memory");
	resp->code = 200;
	resp->content_type = PROM_CONTENT_TYPE;
}
