/* pkg/plan/plan_explain_limits.c: the sentences of what a pod may use — each container's memory
 * (reclaim, then the limit, then the OOM killer, and why memory is not throttled), CPU limit and
 * weight, disk I/O (which nothing bounds), the pod's pids limit and QoS cgroup — naming the files
 * of both cgroup drivers, the node's first.
 *
 * Like plan_explain.c it reads numbers back from the plan's own files, so a sentence cannot say
 * something other than what will be written; and it must not claim more than a cgroup gives:
 * a limit bounds consumption, it is no wall (plan_explain.c's boundary sentence says what is).
 */
#include <inttypes.h>
#include <string.h>

#include "plan_internal.h"
#include "plan_words.h"

/* ---- numbers as Kubernetes writes them ------------------------------------------------------ */

/* 134217728 -> "128Mi", 1000000000 -> "1G", 1000 -> "1k", 1234 -> "1234". */
static void bytes_quantity(char *buf, size_t size, int64_t bytes)
{
	static const char *const binary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	static const char *const decimal[] = {"k", "M", "G", "T", "P", "E"};
	int64_t b = INT64_C(1) << 60, d = INT64_C(1000000000000000000);

	for (int i = 5; i >= 0; i--, b >>= 10, d /= 1000) {
		if (bytes > 0 && bytes % b == 0) {
			snprintf(buf, size, "%" PRId64 "%s", bytes / b, binary[i]);
			return;
		}
		if (bytes > 0 && bytes % d == 0) {
			snprintf(buf, size, "%" PRId64 "%s", bytes / d, decimal[i]);
			return;
		}
	}
	snprintf(buf, size, "%" PRId64, bytes);
}

/* 500 -> "500m", 2000 -> "2". */
static void cpu_quantity(char *buf, size_t size, int64_t milli)
{
	if (milli % 1000 == 0)
		snprintf(buf, size, "%" PRId64, milli / 1000);
	else
		snprintf(buf, size, "%" PRId64 "m", milli);
}

/* 500 -> "0.5", 2000 -> "2", 1 -> "0.001". */
static void cpu_count(char *buf, size_t size, int64_t milli)
{
	int64_t frac = milli % 1000;
	int digits = 3;

	if (frac == 0) {
		snprintf(buf, size, "%" PRId64, milli / 1000);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%" PRId64 ".%0*" PRId64, milli / 1000, digits, frac);
}

static bool v2(const struct plan *plan)
{
	return plan->driver == PLAN_CGROUP_V2;
}

/* ---- memory ------------------------------------------------------------------------------------
 */

/* What MemoryQoS adds, or why it is not there. */
static char *memory_qos(const struct plan *plan, const struct plan_container *c,
                        const struct spec_resources *res, const struct plan_config *config)
{
	const char *min = plan_cgroup_v2_value(&c->cgroup, "memory.min");
	const char *high = plan_cgroup_v2_value(&c->cgroup, "memory.high");
	double factor = config->memory_throttling_factor > 0 ? config->memory_throttling_factor
	                                                     : PLAN_MEMORY_THROTTLING_FACTOR;
	_cleanup_free_ char *high_part = NULL, *min_part = NULL;
	char request[32], limit[32];

	if (!plan->memory_qos)
		return strdup(
		        v2(plan) ? "With memory_qos off there is no memory.high and no "
		                   "memory.min: nothing slows it down before the limit, and "
		                   "nothing shields its memory from reclaim when the node runs "
		                   "short."
		                 : "cgroup v1 has no memory.high and no memory.min: nothing "
		                   "slows it down before the limit, and nothing shields its "
		                   "memory from reclaim when the node runs short.");
	if (!v2(plan))
		return strdup(
		        "memory_qos is on, but it is not available on cgroup v1, which has no "
		        "memory.high and no memory.min: nothing slows it down before the limit, "
		        "and nothing shields its memory from reclaim.");
	bytes_quantity(request, sizeof(request), res->memory_request);
	bytes_quantity(limit, sizeof(limit), res->memory_limit);
	if (high)
		high_part = strdupf(
		        "memory.high %s (its %s request + %g × (%s limit − %s request), "
		        "rounded down to a page): above it the kernel slows its "
		        "allocations and reclaims its memory hard, the only throttling "
		        "memory has, before memory.max ends in an OOM kill",
		        high, plan_quantity_set(res->memory_request) ? request : "0", factor, limit,
		        plan_quantity_set(res->memory_request) ? request : "0");
	else if (!plan_quantity_set(res->memory_limit))
		high_part =
		        strdup("no memory.high: it has no memory limit to derive one from (the "
		               "kubelet would take the node's allocatable memory, which nanolet "
		               "does not compute)");
	else if (res->memory_request == res->memory_limit)
		high_part = strdup("no memory.high: its request equals its limit, and Kubernetes "
		                   "sets none then");
	else
		high_part = strdupf("no memory.high: %g of the way from its request to its limit "
		                    "is not above its request",
		                    factor);
	if (min)
		min_part = strdupf("memory.min %s (its %s request) " PLAN_WORDS_MEMORY_MIN
		                   ", as far as the cgroups above it "
		                   "are protected too (the kernel bounds it by theirs, and nanolet "
		                   "sets none on its QoS cgroups and root)",
		                   min, request);
	else
		min_part = strdup("no memory.min: it requests no memory");
	if (!high_part || !min_part)
		return NULL;
	return strdupf("memory_qos is on: %s; %s.", high_part, min_part);
}

char *plan_sentence_memory(const struct plan *plan, const struct plan_container *c,
                           const struct spec_container *sc, const struct plan_config *config)
{
	int64_t limit = sc->resources.memory_limit;
	_cleanup_free_ char *qos = memory_qos(plan, c, &sc->resources, config);
	char q[32];

	if (!qos)
		return NULL;
	if (!plan_quantity_set(limit))
		return strdupf(
		        "memory: container %s has no memory limit (%s): " PLAN_WORDS_NO_MEMORY_LIMIT
		        " %s",
		        c->name,
		        v2(plan) ? "memory.max max, v1 memory.limit_in_bytes -1"
		                 : "memory.limit_in_bytes -1, v2 memory.max max",
		        qos);
	bytes_quantity(q, sizeof(q), limit);
	if (v2(plan))
		return strdupf(
		        "memory: container %s may use at most %s bytes of memory (%s limit → "
		        "memory.max, v1 memory.limit_in_bytes). " PLAN_WORDS_MEMORY_RECLAIM ", as "
		        "memory.swap.max "
		        "%s (v1 memory.memsw.limit_in_bytes) allows no swap, and when reclaim "
		        "cannot "
		        "bring it under the limit the OOM killer ends it, all of its processes at "
		        "once "
		        "(memory.oom.group %s). " PLAN_WORDS_MEMORY_NOT_THROTTLED " %s",
		        c->name, plan_cgroup_v2_value(&c->cgroup, "memory.max"), q,
		        plan_cgroup_v2_value(&c->cgroup, "memory.swap.max"),
		        plan_cgroup_v2_value(&c->cgroup, "memory.oom.group"), qos);
	return strdupf(
	        "memory: container %s may use at most %s bytes of memory (%s limit → "
	        "memory.limit_in_bytes, v2 memory.max). " PLAN_WORDS_MEMORY_RECLAIM
	        ", as memory.memsw.limit_in_bytes (v2 "
	        "memory.swap.max 0) keeps it out of swap where the kernel accounts swap, and when "
	        "reclaim cannot bring it under the limit the OOM killer kills one of its processes "
	        "(v1 has no memory.oom.group). " PLAN_WORDS_MEMORY_NOT_THROTTLED " %s",
	        c->name, plan_cgroup_v1_value(&c->cgroup, "memory.limit_in_bytes"), q, qos);
}

/* ---- cpu ------------------------------------------------------------------------------------- */

char *plan_sentence_cpu_limit(const struct plan *plan, const struct plan_container *c,
                              const struct spec_container *sc)
{
	int64_t milli = sc->resources.cpu_limit_milli;
	_cleanup_free_ char *files = NULL;
	int64_t quota;
	char q[32], n[32];

	if (!plan_quantity_set(milli))
		return strdupf("cpu: container %s has no CPU limit (%s): " PLAN_WORDS_NO_CPU_LIMIT,
		               c->name,
		               v2(plan) ? "cpu.max \"max 100000\", v1 cpu.cfs_quota_us -1"
		                        : "cpu.cfs_quota_us -1, v2 cpu.max \"max 100000\"");
	cpu_quantity(q, sizeof(q), milli);
	cpu_count(n, sizeof(n), milli);
	quota = plan_cpu_quota(milli);
	files = v2(plan) ? strdupf("cpu.max \"%s\", v1 cpu.cfs_quota_us %s per cpu.cfs_period_us "
	                           "%d",
	                           plan_cgroup_v2_value(&c->cgroup, "cpu.max"),
	                           plan_cgroup_v1_value(&c->cgroup, "cpu.cfs_quota_us"),
	                           PLAN_CPU_PERIOD_US)
	                 : strdupf("cpu.cfs_quota_us %s per cpu.cfs_period_us %d, v2 cpu.max "
	                           "\"%s\"",
	                           plan_cgroup_v1_value(&c->cgroup, "cpu.cfs_quota_us"),
	                           PLAN_CPU_PERIOD_US, plan_cgroup_v2_value(&c->cgroup, "cpu.max"));
	if (!files)
		return NULL;
	return strdupf("cpu: container %s may use at most %s CPU (%s limit → %s: %" PRId64
	               " microseconds of CPU time in every %d-microsecond "
	               "period%s); " PLAN_WORDS_CPU_THROTTLED,
	               c->name, n, q, files, quota, PLAN_CPU_PERIOD_US,
	               quota > milli * (PLAN_CPU_PERIOD_US / 1000)
	                       ? ", raised to the kernel's minimum quota of 1 millisecond"
	                       : "");
}

char *plan_sentence_cpu_weight(const struct plan *plan, const struct plan_container *c,
                               const struct spec_container *sc)
{
	const struct spec_resources *r = &sc->resources;
	const char *weight = plan_cgroup_v2_value(&c->cgroup, "cpu.weight");
	const char *shares = plan_cgroup_v1_value(&c->cgroup, "cpu.shares");
	char q[32], from[64];

	if (plan_quantity_set(r->cpu_request_milli)) {
		cpu_quantity(q, sizeof(q), r->cpu_request_milli);
		snprintf(from, sizeof(from), "%s request", q);
	} else if (plan_quantity_set(r->cpu_limit_milli)) {
		cpu_quantity(q, sizeof(q), r->cpu_limit_milli);
		snprintf(from, sizeof(from), "no request, so its %s limit", q);
	} else {
		snprintf(from, sizeof(from), "no CPU request or limit, so the minimum");
	}
	if (v2(plan))
		return strdupf("cpu: when CPUs are busy, container %s " PLAN_WORDS_CPU_SHARE
		               " cpu.weight %s (v1 cpu.shares %s) " PLAN_WORDS_CPU_SHARE_AGAINST
		               " (%s → %s shares → weight %s).",
		               c->name, weight, shares, from, shares, weight);
	return strdupf("cpu: when CPUs are busy, container %s " PLAN_WORDS_CPU_SHARE
	               " cpu.shares %s (v2 cpu.weight %s) " PLAN_WORDS_CPU_SHARE_AGAINST " (%s).",
	               c->name, shares, weight, from);
}

/* ---- disk ------------------------------------------------------------------------------------ */

char *plan_sentence_io(const struct plan *plan, const struct plan_container *c)
{
	return strdupf("io: container %s's disk reads and writes are not bounded: a Pod has no "
	               "field for them and nanolet writes no %s, so it shares the disks' bandwidth "
	               "and IOPS with the node and every pod; the page cache it dirties counts "
	               "against its memory (%s), and what it writes to disk (%semptyDir volumes "
	               "not in memory, hostPath volumes) can fill the node's disk, as nanolet "
	               "enforces no ephemeral-storage limit.",
	               c->name,
	               v2(plan) ? "io.max or io.weight (v1 blkio.throttle.* or blkio.weight)"
	                        : "blkio.throttle.* or blkio.weight (v2 io.max or io.weight)",
	               v2(plan) ? "memory.max, v1 memory.limit_in_bytes"
	                        : "memory.limit_in_bytes, v2 memory.max",
	               c->root.layer ? "its writable layer, " : "");
}

/* ---- the pod ------------------------------------------------------------------------------------
 */

char *plan_sentence_pids(const struct plan *plan, const struct spec_pod *pod,
                         const struct plan_config *config)
{
	static const char tail[] = "; a fork past it fails with EAGAIN (\"Resource temporarily "
	                           "unavailable\"), which bounds a fork bomb's harm to the node";
	enum plan_pids_source source;
	int64_t limit = plan_pod_pids_limit(pod, config, &source);
	const char *value = plan_cgroup_v2_value(&plan->cgroup, "pids.max");

	switch (source) {
	case PLAN_PIDS_UNLIMITED:
		return strdupf("pids: the pod's number of processes and threads is not limited "
		               "(pids.max max, the same file in v1 and v2: the node's podPidsLimit "
		               "is %" PRId64
		               " and the pod has no nanolet.io/pids-limit annotation), so a fork "
		               "bomb in it can exhaust the node's pids.",
		               config->pod_pids_limit);
	case PLAN_PIDS_CONFIG:
		return strdupf("pids: the pod may run at most %" PRId64
		               " processes and threads, the shim's included (pids.max %s, the same "
		               "file in v1 and v2, from the node's podPidsLimit)%s.",
		               limit, value, tail);
	case PLAN_PIDS_ANNOTATION:
		if (config->pod_pids_limit > 0)
			return strdupf(
			        "pids: the pod may run at most %" PRId64
			        " processes and threads, the shim's included (pids.max %s, the "
			        "same file in v1 and v2, from its nanolet.io/pids-limit "
			        "annotation, lower than the node's podPidsLimit %" PRId64 ")%s.",
			        limit, value, config->pod_pids_limit, tail);
		return strdupf("pids: the pod may run at most %" PRId64
		               " processes and threads, the shim's included (pids.max %s, the same "
		               "file in v1 and v2, from its nanolet.io/pids-limit annotation; the "
		               "node sets no limit)%s.",
		               limit, value, tail);
	case PLAN_PIDS_CONFIG_NOT_RAISED:
		return strdupf(
		        "pids: the pod may run at most %" PRId64
		        " processes and threads, the shim's included (pids.max %s, the same "
		        "file in v1 and v2, the node's podPidsLimit: its nanolet.io/pids-limit "
		        "annotation of %" PRId64 " cannot raise it)%s.",
		        limit, value, pod->pids_limit_annotation, tail);
	}
	return NULL;
}

/* "P (the shim in P/infra)", or on a host whose hierarchies place nanolet's root apart, each
 * path with the hierarchies that hold it: "A in the memory hierarchy and B in the cpu, pids and
 * unified hierarchies (the shim in infra/ of each)". */
static char *cgroup_places(const struct plan *plan)
{
	const char *path = plan->cgroup.path;
	_cleanup_free_ char *text = NULL;
	size_t size = 0, groups = 0;
	bool apart = false;
	FILE *f;

	for (size_t i = 0; i < plan->n_places; i++)
		apart |= strcmp(plan->places[i].path, path) != 0;
	if (!apart)
		return strdupf("%s (the shim in %s/infra)", path, path);
	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	/* each distinct path once, in the order the hierarchies first name it */
	for (size_t i = 0; i < plan->n_places; i++) {
		size_t n = 0, k = 0;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= strcmp(plan->places[j].path, plan->places[i].path) == 0;
		if (seen)
			continue;
		for (size_t j = i; j < plan->n_places; j++)
			n += strcmp(plan->places[j].path, plan->places[i].path) == 0;
		fprintf(f, "%s%s in the ", groups++ ? " and " : "", plan->places[i].path);
		for (size_t j = i; j < plan->n_places; j++) {
			if (strcmp(plan->places[j].path, plan->places[i].path) != 0)
				continue;
			k++;
			fprintf(f, "%s%s",
			        k == 1   ? ""
			        : k == n ? " and "
			                 : ", ",
			        plan->places[j].hierarchy);
		}
		fprintf(f, " %s", n == 1 ? "hierarchy" : "hierarchies");
	}
	fprintf(f, " (the shim in infra/ of each)");
	if (fclose(f) != 0)
		return NULL;
	return TAKE_PTR(text);
}

char *plan_sentence_qos(const struct plan *plan)
{
	const struct plan_cgroup *cg = &plan->cgroup;
	_cleanup_free_ char *where = cgroup_places(plan), *limits = NULL;
	const char *why = "";

	switch (plan->qos) {
	case SPEC_QOS_GUARANTEED:
		why = PLAN_WORDS_QOS_GUARANTEED;
		break;
	case SPEC_QOS_BURSTABLE:
		why = PLAN_WORDS_QOS_BURSTABLE;
		break;
	case SPEC_QOS_BESTEFFORT:
		why = PLAN_WORDS_QOS_BESTEFFORT;
		break;
	}
	limits = v2(plan) ? strdupf("memory.max %s and cpu.max \"%s\" (v1 memory.limit_in_bytes "
	                            "%s and cpu.cfs_quota_us %s)",
	                            plan_cgroup_v2_value(cg, "memory.max"),
	                            plan_cgroup_v2_value(cg, "cpu.max"),
	                            plan_cgroup_v1_value(cg, "memory.limit_in_bytes"),
	                            plan_cgroup_v1_value(cg, "cpu.cfs_quota_us"))
	                  : strdupf("memory.limit_in_bytes %s and cpu.cfs_quota_us %s (v2 "
	                            "memory.max %s and cpu.max \"%s\")",
	                            plan_cgroup_v1_value(cg, "memory.limit_in_bytes"),
	                            plan_cgroup_v1_value(cg, "cpu.cfs_quota_us"),
	                            plan_cgroup_v2_value(cg, "memory.max"),
	                            plan_cgroup_v2_value(cg, "cpu.max"));
	if (!where || !limits)
		return NULL;
	return strdupf("qos: the pod is %s because %s, so its cgroup is %s; it is limited to %s, "
	               "the sums of its containers' limits, or none when one container has none.",
	               spec_qos_name(plan->qos), why, where, limits);
}
