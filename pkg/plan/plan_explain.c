/* pkg/plan/plan_explain.c: plan->explanation, what a pod may see and use, in plain sentences:
 * one per namespace (eight), three per container (memory, cpu limit, cpu weight), then the
 * pod's pids limit and its QoS class with the pod cgroup's summed limits.
 *
 * A security reviewer reads these. Every number in them is read back from the plan's own
 * files, so a sentence cannot say something other than what will be written.
 */
#include <inttypes.h>
#include <string.h>

#include "plan_internal.h"

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

/* ---- namespaces ------------------------------------------------------------------------------ */

static char *sentence_namespace(const struct plan *plan, const struct spec_pod *pod,
                                enum plan_ns ns)
{
	enum plan_ns_mode mode = plan->namespaces[ns].mode;

	switch (ns) {
	case PLAN_NS_PID:
		if (mode == PLAN_NS_HOST)
			return strdup(
			        "pid: the pod uses the node's pid namespace: its containers see "
			        "every process of the node (hostPID is true).");
		if (mode == PLAN_NS_POD)
			return strdup(
			        "pid: the pod's containers share one pid namespace in which the "
			        "shim is PID 1, so each sees the processes of the others "
			        "(shareProcessNamespace is true).");
		return strdup("pid: each container has its own pid namespace and sees only its own "
		              "processes (hostPID is false).");
	case PLAN_NS_NET:
		if (mode == PLAN_NS_HOST)
			return strdup(
			        "net: the pod uses the node's network namespace: it sees every "
			        "interface of the node and shares the node's ports "
			        "(hostNetwork is true).");
		return strdup("net: the pod has its own network namespace with only a loopback "
		              "interface, shared by its containers (hostNetwork is false).");
	case PLAN_NS_IPC:
		if (mode == PLAN_NS_HOST)
			return strdup(
			        "ipc: the pod uses the node's IPC namespace: it shares System V "
			        "IPC objects and POSIX message queues with the node "
			        "(hostIPC is true).");
		return strdup("ipc: the pod has its own IPC namespace, shared by its containers: "
		              "System V IPC objects and POSIX message queues are not shared with "
		              "the node (hostIPC is false).");
	case PLAN_NS_UTS:
		if (mode == PLAN_NS_HOST)
			return strdup(
			        "uts: the pod uses the node's uts namespace and sees the node's "
			        "hostname (hostNetwork is true).");
		return strdupf("uts: the pod has its own uts namespace, shared by its containers, "
		               "with hostname \"%s\" (%s).",
		               plan->hostname,
		               pod->hostname            ? "spec.hostname"
		               : strlen(pod->name) > 63 ? "the pod's name, cut to 63 characters"
		                                        : "the pod's name");
	case PLAN_NS_USER:
		if (mode == PLAN_NS_POD)
			return strdup(
			        "user: the pod has its own user namespace with 65536 ids mapped to "
			        "unprivileged ids of the node, so uid 0 in a container is not "
			        "root on the node (hostUsers is false).");
		return strdupf("user: the pod runs in the node's user namespace: uid 0 in a "
		               "container is root on the node (hostUsers is %s).",
		               pod->host_users == SPEC_BOOL_TRUE ? "true" : "unset");
	case PLAN_NS_MNT: {
		_cleanup_free_ char *host_roots = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&host_roots, &len);
		bool any = false;

		if (!f)
			return NULL;
		/* A private mount namespace over the node's own root hides nothing: say so. (In
		 * one stream: a string rebuilt per container was quadratic.) */
		for (size_t i = 0; i < plan->n_containers; i++) {
			const struct plan_container *c = &plan->containers[i];

			if (c->root.kind != PLAN_ROOT_HOST)
				continue;
			fprintf(f, "%s%s (%s)", any ? ", " : "", c->name,
			        c->root.read_only ? "read-only" : "read-write");
			any = true;
		}
		if (fclose(f) != 0)
			return NULL;
		if (!any)
			return strdup(
			        "mnt: each container has its own mount namespace: mounts made "
			        "inside reach neither the node nor the other containers.");
		return strdupf("mnt: each container has its own mount namespace: mounts made "
		               "inside reach neither the node nor the other containers; but the "
		               "root of %s is the node's own root filesystem (image empty or "
		               "\"host\").",
		               host_roots);
	}
	case PLAN_NS_CGROUP:
		return strdup("cgroup: each container has its own cgroup namespace: "
		              "/proc/self/cgroup shows its own cgroup as the root.");
	case PLAN_NS_TIME:
		return strdup("time: the pod uses the node's time namespace: its clocks are the "
		              "node's (a Pod has no field for it).");
	case PLAN_NS_COUNT:
		break;
	}
	return NULL;
}

/* ---- limits ---------------------------------------------------------------------------------- */

static char *sentence_memory(const struct plan *plan, const struct plan_container *c,
                             const struct spec_container *sc)
{
	bool v2 = plan->driver == PLAN_CGROUP_V2;
	int64_t limit = sc->resources.memory_limit;
	char q[32];

	if (!plan_quantity_set(limit))
		return strdupf("memory: container %s has no memory limit (%s): it may use all "
		               "free memory of the node, bounded only by limits above nanolet's "
		               "cgroup root.",
		               c->name, v2 ? "memory.max max" : "memory.limit_in_bytes -1");
	bytes_quantity(q, sizeof(q), limit);
	if (v2)
		return strdupf("memory: container %s may use at most %s bytes of memory (%s limit "
		               "→ memory.max, and memory.swap.max %s: no swap); past that the "
		               "kernel OOM killer ends it, all of its processes at once "
		               "(memory.oom.group %s).",
		               c->name, plan_cgroup_v2_value(&c->cgroup, "memory.max"), q,
		               plan_cgroup_v2_value(&c->cgroup, "memory.swap.max"),
		               plan_cgroup_v2_value(&c->cgroup, "memory.oom.group"));
	return strdupf("memory: container %s may use at most %s bytes of memory (%s limit → "
	               "memory.limit_in_bytes; memory.memsw.limit_in_bytes keeps it out of swap "
	               "where the kernel accounts swap); past that the kernel OOM killer kills "
	               "one of its processes.",
	               c->name, plan_cgroup_v1_value(&c->cgroup, "memory.limit_in_bytes"), q);
}

static char *sentence_cpu_limit(const struct plan *plan, const struct plan_container *c,
                                const struct spec_container *sc)
{
	bool v2 = plan->driver == PLAN_CGROUP_V2;
	int64_t milli = sc->resources.cpu_limit_milli;
	int64_t quota;
	char q[32], n[32];

	if (!plan_quantity_set(milli))
		return strdupf("cpu: container %s has no CPU limit (%s): it may use every idle "
		               "CPU of the node.",
		               c->name, v2 ? "cpu.max \"max 100000\"" : "cpu.cfs_quota_us -1");
	cpu_quantity(q, sizeof(q), milli);
	cpu_count(n, sizeof(n), milli);
	quota = plan_cpu_quota(milli);
	return strdupf("cpu: container %s may use at most %s CPU (%s limit → %s%s%s: %" PRId64
	               " microseconds of CPU time in every %d-microsecond period%s); past that it "
	               "is throttled until "
	               "the next period.",
	               c->name, n, q, v2 ? "cpu.max \"" : "cpu.cfs_quota_us ",
	               v2 ? plan_cgroup_v2_value(&c->cgroup, "cpu.max")
	                  : plan_cgroup_v1_value(&c->cgroup, "cpu.cfs_quota_us"),
	               v2 ? "\"" : " per cpu.cfs_period_us 100000", quota, PLAN_CPU_PERIOD_US,
	               quota > milli * (PLAN_CPU_PERIOD_US / 1000)
	                       ? ", raised to the kernel's minimum quota of 1 millisecond"
	                       : "");
}

static char *sentence_cpu_weight(const struct plan *plan, const struct plan_container *c,
                                 const struct spec_container *sc)
{
	const struct spec_resources *r = &sc->resources;
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
	if (plan->driver == PLAN_CGROUP_V2)
		return strdupf("cpu: when CPUs are busy, container %s gets CPU time in proportion "
		               "to its cpu.weight %s against the pod's other containers (%s → %s "
		               "shares → weight %s).",
		               c->name, plan_cgroup_v2_value(&c->cgroup, "cpu.weight"), from,
		               plan_cgroup_v1_value(&c->cgroup, "cpu.shares"),
		               plan_cgroup_v2_value(&c->cgroup, "cpu.weight"));
	return strdupf("cpu: when CPUs are busy, container %s gets CPU time in proportion to "
	               "its cpu.shares %s against the pod's other containers (%s).",
	               c->name, plan_cgroup_v1_value(&c->cgroup, "cpu.shares"), from);
}

static char *sentence_pids(const struct plan *plan, const struct spec_pod *pod,
                           const struct plan_config *config)
{
	enum plan_pids_source source;
	int64_t limit = plan_pod_pids_limit(pod, config, &source);
	const char *value = plan_cgroup_v2_value(&plan->cgroup, "pids.max");

	switch (source) {
	case PLAN_PIDS_UNLIMITED:
		return strdupf("pids: the pod's number of processes and threads is not limited "
		               "(pids.max max: the node's podPidsLimit is %" PRId64
		               " and the pod has no nanolet.io/pids-limit annotation).",
		               config->pod_pids_limit);
	case PLAN_PIDS_CONFIG:
		return strdupf(
		        "pids: the pod may run at most %" PRId64
		        " processes and threads, the shim's included (pids.max %s, the node's "
		        "podPidsLimit).",
		        limit, value);
	case PLAN_PIDS_ANNOTATION:
		if (config->pod_pids_limit > 0)
			return strdupf("pids: the pod may run at most %" PRId64
			               " processes and threads, the shim's included (pids.max %s, "
			               "from its nanolet.io/pids-limit annotation, lower than the "
			               "node's podPidsLimit %" PRId64 ").",
			               limit, value, config->pod_pids_limit);
		return strdupf("pids: the pod may run at most %" PRId64
		               " processes and threads, the shim's included (pids.max %s, from its "
		               "nanolet.io/pids-limit annotation; the node sets no limit).",
		               limit, value);
	case PLAN_PIDS_CONFIG_NOT_RAISED:
		return strdupf(
		        "pids: the pod may run at most %" PRId64
		        " processes and threads, the shim's included (pids.max %s, the node's "
		        "podPidsLimit: its nanolet.io/pids-limit annotation of %" PRId64
		        " cannot raise it).",
		        limit, value, pod->pids_limit_annotation);
	}
	return NULL;
}

static char *sentence_qos(const struct plan *plan)
{
	bool v2 = plan->driver == PLAN_CGROUP_V2;
	const struct plan_cgroup *cg = &plan->cgroup;
	const char *why = "";

	switch (plan->qos) {
	case SPEC_QOS_GUARANTEED:
		why = "every container has CPU and memory limits equal to its requests";
		break;
	case SPEC_QOS_BURSTABLE:
		why = "a container has a CPU or memory request or limit, but not every container "
		      "has CPU and memory limits equal to its requests";
		break;
	case SPEC_QOS_BESTEFFORT:
		why = "no container has a CPU or memory request or limit";
		break;
	}
	return strdupf(
	        "qos: the pod is %s because %s, so its cgroup is %s (the shim in %s/infra); "
	        "it is limited to %s %s and %s %s%s%s (the sums of its containers' limits, or "
	        "none when one container has none).",
	        spec_qos_name(plan->qos), why, cg->path, cg->path,
	        v2 ? "memory.max" : "memory.limit_in_bytes",
	        v2 ? plan_cgroup_v2_value(cg, "memory.max")
	           : plan_cgroup_v1_value(cg, "memory.limit_in_bytes"),
	        v2 ? "cpu.max" : "cpu.cfs_quota_us", v2 ? "\"" : "",
	        v2 ? plan_cgroup_v2_value(cg, "cpu.max")
	           : plan_cgroup_v1_value(cg, "cpu.cfs_quota_us"),
	        v2 ? "\"" : "");
}

int plan_explain(struct plan *plan, const struct spec_pod *pod, const struct plan_config *config)
{
	int r;

	size_t n = 0;

	plan->explanation = calloc(1, sizeof(char *));
	if (!plan->explanation)
		return -ENOMEM;
	for (enum plan_ns ns = 0; ns < PLAN_NS_COUNT; ns++) {
		r = strv_append(&plan->explanation, &n, sentence_namespace(plan, pod, ns));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < plan->n_containers; i++) {
		const struct plan_container *c = &plan->containers[i];
		const struct spec_container *sc = &pod->containers[i];

		r = strv_append(&plan->explanation, &n, sentence_memory(plan, c, sc));
		if (r < 0)
			return r;
		r = strv_append(&plan->explanation, &n, sentence_cpu_limit(plan, c, sc));
		if (r < 0)
			return r;
		r = strv_append(&plan->explanation, &n, sentence_cpu_weight(plan, c, sc));
		if (r < 0)
			return r;
	}
	r = strv_append(&plan->explanation, &n, sentence_pids(plan, pod, config));
	if (r < 0)
		return r;
	return strv_append(&plan->explanation, &n, sentence_qos(plan));
}
