/* pkg/plan/plan_explain.c: plan->explanation, what a pod may see and use, in plain sentences:
 * first one per privileged container (such a pod is on the node's security boundary, and a
 * reviewer must read that before anything else), then one per namespace (eight), five per
 * container (memory, cpu limit, cpu weight, what it may do, who it is on the node's files),
 * then the pod's pids limit and its QoS class with the pod cgroup's summed limits.
 *
 * A security reviewer reads these. Every number in them is read back from the plan's own
 * files, so a sentence cannot say something other than what will be written.
 */
#include <inttypes.h>
#include <linux/capability.h>
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
		               "inside reach neither the node nor the other containers; the root "
		               "of %s is the node's root filesystem used as an image (image empty "
		               "or \"host\"): its files, not its mounts, without its secrets and "
		               "nanolet's own directories.",
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

/* ---- what a container may do ----------------------------------------------------------------- */

static bool has_cap(const struct plan_container *c, int cap)
{
	return c->security.capabilities.bounding & (UINT64_C(1) << cap);
}

static char *sentence_privileged(const struct plan *plan, const struct plan_container *c)
{
	return strdupf("privileged: container %s is privileged: it holds every capability, no "
	               "seccomp filter, the node's /dev with every device allowed, and a writable "
	               "/sys and /proc/sys; it can load kernel modules, mount the node's disks and "
	               "enter any namespace of the node (nsenter), so it is on the node's security "
	               "boundary, whatever its namespaces say%s.",
	               c->name,
	               plan->namespaces[PLAN_NS_USER].mode == PLAN_NS_HOST
	                       ? ", and root in it is root on the node"
	                       : "");
}

/* "CAP_NET_ADMIN, CAP_SYS_TIME" beyond containerd's default, "CAP_CHOWN" dropped from it. */
static char *caps_difference(uint64_t set)
{
	uint64_t base = security_caps_runtime_default();
	_cleanup_strv_ char **added = security_caps_names(set & ~base);
	_cleanup_strv_ char **dropped = security_caps_names(base & ~set);
	_cleanup_free_ char *a = added ? strv_join(added, ", ") : NULL;
	_cleanup_free_ char *d = dropped ? strv_join(dropped, ", ") : NULL;

	if (!a || !d)
		return NULL;
	if (set == 0)
		return strdup("no capabilities (all dropped)");
	if (!*a && !*d)
		return strdup("containerd's 14 default capabilities");
	return strdupf("containerd's default capabilities%s%s%s%s", *a ? " plus " : "", a,
	               *d ? (*a ? ", less " : " less ") : "", d);
}

static char *sentence_security(const struct plan *plan, const struct plan_container *c)
{
	const struct plan_security *s = &c->security;
	bool userns = plan->namespaces[PLAN_NS_USER].mode != PLAN_NS_HOST;
	_cleanup_free_ char *caps = caps_difference(s->capabilities.bounding);
	_cleanup_free_ char *what = NULL, *seccomp = NULL;

	if (!caps)
		return NULL;
	if (s->privileged)
		return strdupf("security: container %s is privileged (above): every capability, no "
		               "seccomp filter, no masked paths, every device.",
		               c->name);
	what = strdupf(
	        "%s; %s; %s; %s",
	        has_cap(c, CAP_SYS_ADMIN)
	                ? "with CAP_SYS_ADMIN it can mount filesystems and enter or leave "
	                  "namespaces (setns, unshare)"
	                : "it cannot mount filesystems, nor enter or leave namespaces (no "
	                  "CAP_SYS_ADMIN)",
	        has_cap(c, CAP_SYS_PTRACE)
	                ? (plan->namespaces[PLAN_NS_PID].mode == PLAN_NS_HOST
	                           ? "with CAP_SYS_PTRACE and hostPID it can trace every process "
	                             "of the node and reach its namespaces through /proc"
	                           : "with CAP_SYS_PTRACE it can trace the processes it sees")
	                : "it cannot trace processes it does not own (no CAP_SYS_PTRACE)",
	        has_cap(c, CAP_NET_ADMIN)
	                ? (plan->namespaces[PLAN_NS_NET].mode == PLAN_NS_HOST
	                           ? "with CAP_NET_ADMIN and hostNetwork it can reconfigure the "
	                             "node's network"
	                           : "with CAP_NET_ADMIN it can reconfigure the pod's network")
	                : "it cannot reconfigure a network (no CAP_NET_ADMIN)",
	        has_cap(c, CAP_SYS_MODULE) && !userns
	                ? "with CAP_SYS_MODULE it can load kernel modules into the node's kernel"
	                : "it cannot load kernel modules");
	seccomp = s->seccomp.kind == SECURITY_SECCOMP_UNCONFINED
	                  ? strdupf("no seccomp filter (Unconfined, %s): every syscall reaches the "
	                            "kernel",
	                            s->seccomp.source)
	          : s->seccomp.kind == SECURITY_SECCOMP_LOCALHOST
	                  ? strdupf("the seccomp profile %s (Localhost, %s)",
	                            s->seccomp.localhost_path, s->seccomp.source)
	                  : strdupf("seccomp RuntimeDefault (%s), containerd's profile: "
	                            "unshare, setns, mount, keyctl, bpf, ptrace, kexec_load and "
	                            "the other syscalls it does not allow fail with EPERM",
	                            s->seccomp.source);
	if (!what || !seccomp)
		return NULL;
	return strdupf(
	        "security: container %s runs as uid %" PRIu32 " with %s in its bounding set%s; "
	        "%s; %s. %s. Its /dev holds only null, zero, full, random, urandom, tty and its "
	        "own pts, and the devices controller refuses every other device, mknod included; "
	        "%s. %s%s%s",
	        c->name, c->process.uid, caps,
	        c->process.uid != 0 ? " (not uid 0, it holds none of them after exec)" : "",
	        seccomp, what,
	        c->process.no_new_privileges
	                ? "allowPrivilegeEscalation is false: no_new_privs keeps setuid binaries "
	                  "and "
	                  "file capabilities from raising its privileges"
	                : "allowPrivilegeEscalation is not false: a setuid binary in its root (su, "
	                  "mount) can raise a process of another uid to root within these limits",
	        strv_len(s->masked_paths) > 0
	                ? "in /proc and /sys what tells about the node (kcore, keys, timer_list, "
	                  "sched_debug, firmware, ...) is masked and /proc/sys, "
	                  "/proc/sysrq-trigger "
	                  "are read-only"
	                : "procMount is Unmasked: /proc is not masked",
	        userns ? "uid 0 in it is an unprivileged id of the node (hostUsers is false): its "
	                 "capabilities reach only what the pod's user namespace owns"
	               : "uid 0 in it is root on the node (hostUsers is not false), held to the "
	                 "capabilities above",
	        s->refusal ? "; it will not be started: " : ".", s->refusal ? s->refusal : "");
}

/* Who the container is on the node's files, and which node paths it reaches: the seed's "why
 * does runAsUser: 1000 sometimes still not prevent access to a host file?" for this pod. */
static char *sentence_files(const struct plan *plan, const struct plan_container *c)
{
	const struct plan_process *p = &c->process;
	bool userns = plan->namespaces[PLAN_NS_USER].mode != PLAN_NS_HOST;
	_cleanup_free_ char *groups = NULL, *reach = NULL, *root = NULL;
	size_t groups_size = 0, reach_size = 0;
	_cleanup_fclose_ FILE *g = open_memstream(&groups, &groups_size);
	_cleanup_fclose_ FILE *h = open_memstream(&reach, &reach_size);

	if (!g || !h)
		return NULL;
	for (size_t i = 0; i < p->n_supplemental_groups; i++)
		fprintf(g, "%s%" PRIu32, i ? ", " : "", p->supplemental_groups[i]);
	/* the pod's own volumes live under nanolet's state directory: only hostPath volumes are
	 * the node's own paths */
	for (size_t i = 0, n = 0; i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];

		if (m->host_path)
			fprintf(h, "%s%s at %s (%s)", n++ ? ", " : "", m->source, m->destination,
			        strv_contains(m->options, "ro") ? "read-only" : "read-write");
	}
	if (fclose(TAKE_PTR(g)) != 0 || fclose(TAKE_PTR(h)) != 0)
		return NULL;
	root = c->root.kind != PLAN_ROOT_HOST
	               ? strdupf("Its root is the image %s, read-only under a writable layer of "
	                         "its own",
	                         c->root.path)
	       : c->root.layer
	               ? strdup("Its root is the node's root filesystem, read-only under a "
	                        "writable layer of its own, less the node's secrets and nanolet's "
	                        "directories: it reads every node file that uid may read")
	               : strdup("Its root is the node's root filesystem bound read-only, less "
	                        "the node's secrets and nanolet's directories: it reads every node "
	                        "file its mapped ids, or anyone, may read");
	if (!root)
		return NULL;
	return strdupf(
	        "files: container %s acts on files as uid %" PRIu32 ", gid %" PRIu32 "%s%s%s "
	        "(%s). %s. %s%s%s",
	        c->name, p->uid, p->gid, *groups ? " and groups " : "", groups,
	        userns ? ", ids of the pod's user namespace" : "",
	        userns ? "on the node, an unprivileged range: a node file owned by an id outside "
	                 "it counts as nobody's"
	        : p->uid == 0 ? "the node's root: with CAP_DAC_OVERRIDE, no file mode stops it"
	                      : "the node's own ids: a node file whose owner, group or mode lets "
	                        "that uid or a group of it in is open to it",
	        root,
	        *reach ? "Through hostPath volumes it reaches the node's "
	               : "It reaches no node "
	                 "path through a "
	                 "hostPath volume",
	        reach, ".");
}

int plan_explain(struct plan *plan, const struct spec_pod *pod, const struct plan_config *config)
{
	size_t n = 0;
	int r;

	plan->explanation = calloc(1, sizeof(char *));
	if (!plan->explanation)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_containers; i++) {
		if (!plan->containers[i].security.privileged)
			continue;
		r = strv_append(&plan->explanation, &n,
		                sentence_privileged(plan, &plan->containers[i]));
		if (r < 0)
			return r;
	}
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
		r = strv_append(&plan->explanation, &n, sentence_security(plan, c));
		if (r < 0)
			return r;
		r = strv_append(&plan->explanation, &n, sentence_files(plan, c));
		if (r < 0)
			return r;
	}
	r = strv_append(&plan->explanation, &n, sentence_pids(plan, pod, config));
	if (r < 0)
		return r;
	return strv_append(&plan->explanation, &n, sentence_qos(plan));
}
