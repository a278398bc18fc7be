/* pkg/plan/plan_cgroup.c: resource arithmetic, the pod's and containers' cgroup paths, and the
 * exact string each cgroup file will receive, for both drivers.
 *
 * Pure like the rest of pkg/plan: it decides what to write, pkg/cgroup writes it. The plan
 * always carries both the v2 and the v1 file sets; plan->driver says which one the node uses.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "plan_internal.h"

#define CPU_SHARES_MIN 2
#define CPU_SHARES_MAX 262144
#define CPU_WEIGHT_MAX 10000
#define CPU_QUOTA_MIN  1000 /* the kernel refuses a CFS quota below 1ms */

uint64_t plan_cpu_shares(int64_t milli)
{
	/* The kubelet's MilliCPUToShares: no cpu at all still gets the kernel's minimum. */
	if (milli <= 0)
		return CPU_SHARES_MIN;
	if (milli > INT64_MAX / 1024)
		return CPU_SHARES_MAX;
	int64_t shares = milli * 1024 / 1000;
	if (shares < CPU_SHARES_MIN)
		return CPU_SHARES_MIN;
	if (shares > CPU_SHARES_MAX)
		return CPU_SHARES_MAX;
	return (uint64_t)shares;
}

uint64_t plan_cpu_weight_from_shares(uint64_t shares)
{
	/* crun >= 1.23 and runc >= 1.3.2 (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value):
	 * a quadratic in log2(shares) through (2, 1), (1024, 100) and (262144, 10000), so that the
	 * default 1024 shares land on the kernel's default weight 100 (the old linear formula gave
	 * 39). 0 means "unset" to the runtimes. */
	if (shares == 0)
		return 0;
	if (shares <= CPU_SHARES_MIN)
		return 1;
	if (shares >= CPU_SHARES_MAX)
		return CPU_WEIGHT_MAX;

	double l = log2((double)shares);
	double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
	double weight = pow(10.0, exponent);
	/* At exact integers (1024 shares: exponent 2 in real arithmetic) rounding error can put
	 * the double a hair above the integer and ceil() would add one (101 instead of runc's
	 * 100), as with FMA contraction on some targets. Every other share value lands at
	 * least 2e-6 away from an integer, so within 1e-9 means that integer (tested against
	 * plain ceil() for all of 3..262143 when this was written). */
	double nearest = nearbyint(weight);
	if (fabs(weight - nearest) < 1e-9)
		return (uint64_t)nearest;
	return (uint64_t)ceil(weight);
}

int64_t plan_cpu_quota(int64_t milli)
{
	/* milli * PERIOD / 1000, saturating rather than overflowing. */
	if (milli > INT64_MAX / (PLAN_CPU_PERIOD_US / 1000))
		return INT64_MAX;
	int64_t quota = milli * (PLAN_CPU_PERIOD_US / 1000);
	return quota < CPU_QUOTA_MIN ? CPU_QUOTA_MIN : quota;
}

int64_t plan_memory_high(int64_t request, int64_t limit, double factor)
{
	double high;

	/* The kubelet sets none where the request is the limit (memory as Guaranteed gets it),
	 * and takes the node's allocatable memory where there is no limit: nanolet does not
	 * compute that, so there is none then either. */
	if (limit <= 0 || request == limit)
		return -1;
	if (request < 0)
		request = 0;
	if (factor <= 0)
		factor = PLAN_MEMORY_THROTTLING_FACTOR;
	/* kuberuntime_container_linux.go (1.27): floor[(request + factor × (limit − request)) /
	 * pageSize] × pageSize, and only when that is above the request */
	high = floor(((double)request + ((double)limit - (double)request) * factor) /
	             (double)PLAN_PAGE_SIZE) *
	       (double)PLAN_PAGE_SIZE;
	if (high <= (double)request || high >= (double)INT64_MAX)
		return -1;
	return (int64_t)high;
}

static int64_t add_saturating(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t plan_pod_pids_limit(const struct spec_pod *pod, const struct plan_config *config,
                            enum plan_pids_source *source)
{
	/* The kubelet treats a podPidsLimit <= 0 as "no limit" (and 0 would forbid even the
	 * shim), so only a positive node value limits the pod. */
	int64_t node = config->pod_pids_limit > 0 ? config->pod_pids_limit : -1;
	int64_t annotation = pod->pids_limit_annotation;

	/* The annotation may lower the node's limit, never raise it: the node's limit protects
	 * the node from one pod's fork bomb. */
	if (annotation >= 0 && (node < 0 || annotation < node)) {
		*source = PLAN_PIDS_ANNOTATION;
		return annotation;
	}
	if (node < 0) {
		*source = PLAN_PIDS_UNLIMITED;
		return -1;
	}
	*source = annotation > node ? PLAN_PIDS_CONFIG_NOT_RAISED : PLAN_PIDS_CONFIG;
	return node;
}

static void file_set(struct plan_file *files, size_t *n, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void file_set(struct plan_file *files, size_t *n, const char *name, const char *fmt, ...)
{
	va_list ap;

	/* The sets below are fixed and smaller than PLAN_MAX_FILES. */
	if (*n >= PLAN_MAX_FILES)
		abort();
	files[*n].name = name;
	va_start(ap, fmt);
	vsnprintf(files[*n].value, sizeof(files[*n].value), fmt, ap);
	va_end(ap);
	(*n)++;
}

static const char *file_value(const struct plan_file *files, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].name, name) == 0)
			return files[i].value;
	return NULL;
}

const char *plan_cgroup_v2_value(const struct plan_cgroup *cg, const char *name)
{
	return file_value(cg->v2, cg->n_v2, name);
}

const char *plan_cgroup_v1_value(const struct plan_cgroup *cg, const char *name)
{
	return file_value(cg->v1, cg->n_v1, name);
}

/* What a cgroup (a container's or the pod's) is given; -1 means none. */
struct limits {
	int64_t memory_limit;
	int64_t cpu_limit_milli;
	int64_t cpu_shares_milli; /* what cpu.shares/cpu.weight derive from, -1: none */
	int64_t pids_max;         /* -1: no pids file at all, see has_pids */
	bool has_pids;
	int64_t memory_min;  /* MemoryQoS, -1: none */
	int64_t memory_high; /* MemoryQoS, -1: none */
};

static void set_files(struct plan_cgroup *cg, const struct limits *l, bool memory_oom_group)
{
	uint64_t shares = plan_cpu_shares(l->cpu_shares_milli);
	uint64_t weight = plan_cpu_weight_from_shares(shares);

	cg->n_v2 = 0;
	if (l->memory_limit > 0) {
		file_set(cg->v2, &cg->n_v2, "memory.max", "%" PRId64, l->memory_limit);
		/* A limit that can spill into swap is no limit: Kubernetes runs without swap. */
		file_set(cg->v2, &cg->n_v2, "memory.swap.max", "0");
	} else {
		file_set(cg->v2, &cg->n_v2, "memory.max", "max");
	}
	/* MemoryQoS: cgroup v2 only (v1 has no such files) */
	if (l->memory_min > 0)
		file_set(cg->v2, &cg->n_v2, "memory.min", "%" PRId64, l->memory_min);
	if (l->memory_high > 0)
		file_set(cg->v2, &cg->n_v2, "memory.high", "%" PRId64, l->memory_high);
	/* An OOM kill ends the whole container, not one process of it, as the kubelet asks. */
	if (memory_oom_group)
		file_set(cg->v2, &cg->n_v2, "memory.oom.group", "1");
	if (l->cpu_limit_milli > 0)
		file_set(cg->v2, &cg->n_v2, "cpu.max", "%" PRId64 " %d",
		         plan_cpu_quota(l->cpu_limit_milli), PLAN_CPU_PERIOD_US);
	else
		file_set(cg->v2, &cg->n_v2, "cpu.max", "max %d", PLAN_CPU_PERIOD_US);
	file_set(cg->v2, &cg->n_v2, "cpu.weight", "%" PRIu64, weight);
	if (l->has_pids) {
		if (l->pids_max >= 0)
			file_set(cg->v2, &cg->n_v2, "pids.max", "%" PRId64, l->pids_max);
		else
			file_set(cg->v2, &cg->n_v2, "pids.max", "max");
	}

	cg->n_v1 = 0;
	if (l->memory_limit > 0) {
		file_set(cg->v1, &cg->n_v1, "memory.limit_in_bytes", "%" PRId64, l->memory_limit);
		/* memory+swap equal to memory: no swap. The file exists only where the kernel has
		 * swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1); the v1 driver writes it only
		 * there and skips it elsewhere. */
		file_set(cg->v1, &cg->n_v1, "memory.memsw.limit_in_bytes", "%" PRId64,
		         l->memory_limit);
	} else {
		file_set(cg->v1, &cg->n_v1, "memory.limit_in_bytes", "-1");
	}
	file_set(cg->v1, &cg->n_v1, "cpu.cfs_period_us", "%d", PLAN_CPU_PERIOD_US);
	if (l->cpu_limit_milli > 0)
		file_set(cg->v1, &cg->n_v1, "cpu.cfs_quota_us", "%" PRId64,
		         plan_cpu_quota(l->cpu_limit_milli));
	else
		file_set(cg->v1, &cg->n_v1, "cpu.cfs_quota_us", "-1");
	file_set(cg->v1, &cg->n_v1, "cpu.shares", "%" PRIu64, shares);
	if (l->has_pids) {
		/* v1's pids.max takes "max" as well. */
		if (l->pids_max >= 0)
			file_set(cg->v1, &cg->n_v1, "pids.max", "%" PRId64, l->pids_max);
		else
			file_set(cg->v1, &cg->n_v1, "pids.max", "max");
	}
}

/* The cpu a container's weight derives from: its request, else its limit (defaulting already
 * copies a limit into a missing request; this keeps the kubelet's rule if it ever does not). */
static int64_t cpu_shares_milli(const struct spec_resources *r)
{
	if (plan_quantity_set(r->cpu_request_milli))
		return r->cpu_request_milli;
	if (plan_quantity_set(r->cpu_limit_milli))
		return r->cpu_limit_milli;
	return -1;
}

/* "<root>/<rel>" with exactly one '/' between, and a leading '/' whatever the root looks like:
 * "/" + "pod1" is "/pod1", "/nanolet/" + "pod1" is "/nanolet/pod1". */
static char *cgroup_join(const char *root, const char *rel)
{
	size_t len;

	if (!root)
		root = "";
	while (*root == '/')
		root++;
	len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	if (len == 0)
		return strdupf("/%s", rel);
	return strdupf("/%.*s/%s", (int)len, root, rel);
}

int plan_cgroups_build(struct plan *plan, const struct spec_pod *pod,
                       const struct plan_config *config)
{
	_cleanup_free_ char *rel = NULL;
	struct limits pod_limits = {.has_pids = true};
	bool all_memory = pod->n_containers > 0, all_cpu = pod->n_containers > 0;
	int64_t memory_sum = 0, cpu_sum = 0, shares_sum = 0, memory_requests = 0;
	enum plan_pids_source pids_source;

	switch (plan->qos) {
	case SPEC_QOS_GUARANTEED:
		rel = strdupf("pod%s", plan->uid);
		break;
	case SPEC_QOS_BURSTABLE:
		rel = strdupf("burstable/pod%s", plan->uid);
		break;
	case SPEC_QOS_BESTEFFORT:
		rel = strdupf("besteffort/pod%s", plan->uid);
		break;
	}
	if (!rel)
		return -ENOMEM;
	plan->cgroup.path = cgroup_join(config->cgroup_root, rel);
	if (!plan->cgroup.path)
		return -ENOMEM;

	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct spec_resources *r = &pod->containers[i].resources;
		struct plan_container *c = &plan->containers[i];
		struct limits l = {
		        .memory_limit = plan_quantity_set(r->memory_limit) ? r->memory_limit : -1,
		        .cpu_limit_milli =
		                plan_quantity_set(r->cpu_limit_milli) ? r->cpu_limit_milli : -1,
		        .cpu_shares_milli = cpu_shares_milli(r),
		        .pids_max = -1,
		        .has_pids = false, /* the pod's pids.max bounds all of its containers */
		        .memory_min = -1,
		        .memory_high = -1,
		};

		if (config->memory_qos) {
			l.memory_min =
			        plan_quantity_set(r->memory_request) ? r->memory_request : -1;
			l.memory_high = plan_memory_high(r->memory_request, l.memory_limit,
			                                 config->memory_throttling_factor);
			if (l.memory_min > 0)
				memory_requests = add_saturating(memory_requests, l.memory_min);
		}

		c->cgroup.path = cgroup_join(plan->cgroup.path, c->name);
		if (!c->cgroup.path)
			return -ENOMEM;
		set_files(&c->cgroup, &l, true);

		if (l.memory_limit > 0)
			memory_sum = add_saturating(memory_sum, l.memory_limit);
		else
			all_memory = false;
		if (l.cpu_limit_milli > 0)
			cpu_sum = add_saturating(cpu_sum, l.cpu_limit_milli);
		else
			all_cpu = false;
		if (l.cpu_shares_milli > 0)
			shares_sum = add_saturating(shares_sum, l.cpu_shares_milli);
	}

	/* The pod's cgroup carries a limit only when every container has one: one unlimited
	 * container makes the pod unlimited. */
	pod_limits.memory_limit = all_memory ? memory_sum : -1;
	pod_limits.cpu_limit_milli = all_cpu ? cpu_sum : -1;
	pod_limits.cpu_shares_milli = shares_sum > 0 ? shares_sum : -1;
	pod_limits.pids_max = plan_pod_pids_limit(pod, config, &pids_source);
	/* MemoryQoS: the pod cgroup's memory.min is the sum of its requests (the kubelet's
	 * ResourceConfigForPod); memory.high is set on containers only */
	pod_limits.memory_min = memory_requests > 0 ? memory_requests : -1;
	pod_limits.memory_high = -1;
	set_files(&plan->cgroup, &pod_limits, false);

	if (config->n_hierarchies > 0) {
		plan->places = calloc(config->n_hierarchies, sizeof(*plan->places));
		if (!plan->places)
			return -ENOMEM;
		for (size_t i = 0; i < config->n_hierarchies; i++) {
			struct plan_cgroup_place *p = &plan->places[plan->n_places++];

			p->hierarchy = strdup(config->hierarchies[i].name);
			p->path = cgroup_join(config->hierarchies[i].root, rel);
			if (!p->hierarchy || !p->path)
				return -ENOMEM;
		}
	}

	if (pids_source == PLAN_PIDS_CONFIG_NOT_RAISED)
		return strv_pushf(&plan->warnings,
		                  "annotation nanolet.io/pids-limit %" PRId64
		                  " is ignored: it cannot raise the node's podPidsLimit of %" PRId64
		                  ", which stays the pod's pids.max",
		                  pod->pids_limit_annotation, pod_limits.pids_max);
	return 0;
}
