#include "check_main.h"
/* tests/unit/test_plan_explain.c: the explanation answers the seed's questions. One row per
 * question and Pod field: a pod, a driver, and the facts the sentence that answers it must state
 * (checked for the key facts, not the whole wording) — identity and the uid/gid maps, what each
 * host namespace lets a process do and what it is for, memory's reclaim → limit → OOM and why it
 * is not throttled, what is not bounded (io, memory.high, swap), time namespaces, both drivers'
 * file names, each hierarchy's path on hybrid hosts, and which isolation stops a hostile
 * process. Then MemoryQoS: its arithmetic and the files it writes.
 */
#include "plan_fixture.h"

/* The sentence starting with prefix, the nth such (containers' sentences repeat). */
static const char *sentence(const struct plan *plan, const char *prefix, int nth)
{
	for (char **s = plan->explanation; s && *s; s++)
		if (strncmp(*s, prefix, strlen(prefix)) == 0 && nth-- == 0)
			return *s;
	return NULL;
}

static void q_user_1000(struct fixture *f)
{
	f->pod.security_context.run_as_user = 1000;
}
static void q_user_1000_host_path(struct fixture *f)
{
	f->containers[0].security_context.run_as_user = 1000;
	f->containers[0].security_context.run_as_group = 1000;
	f->volumes[0] = (struct spec_volume){"etc", SPEC_VOLUME_HOST_PATH, NULL, U, "/etc", ""};
	f->pod.n_volumes = 1;
	f->mounts[0] = (struct spec_volume_mount){"etc", "/host/etc", NULL, false};
	f->containers[0].volume_mounts = f->mounts;
	f->containers[0].n_volume_mounts = 1;
}
static void q_userns(struct fixture *f)
{
	f->pod.host_users = SPEC_BOOL_FALSE;
	f->pod.security_context.run_as_user = 1000;
	f->pod.security_context.fs_group = 2000;
	f->config.userns_base = 100000;
}
static void q_userns_unknown(struct fixture *f)
{
	f->pod.host_users = SPEC_BOOL_FALSE;
	f->config.pod_uid = NULL;
}
static void q_host_pid(struct fixture *f)
{
	f->pod.host_pid = true;
}
static void q_host_network(struct fixture *f)
{
	f->pod.host_network = true;
}
static void q_host_ipc(struct fixture *f)
{
	f->pod.host_ipc = true;
}
static void q_host_all(struct fixture *f)
{
	f->pod.host_pid = true;
	f->pod.host_network = true;
	f->pod.host_ipc = true;
}
static void q_memory_limit(struct fixture *f)
{
	resources(&f->containers[0], U, U, MI(128), MI(128));
}
static void q_memory_qos(struct fixture *f)
{
	resources(&f->containers[0], U, U, MI(64), MI(128));
	f->config.memory_qos = true;
}
static void q_memory_qos_guaranteed(struct fixture *f)
{
	resources(&f->containers[0], U, U, MI(128), MI(128));
	f->config.memory_qos = true;
}
static void q_cpu_limit(struct fixture *f)
{
	resources(&f->containers[0], 100, 100, U, U);
}
static void q_hybrid(struct fixture *f)
{
	static const struct plan_hierarchy hierarchies[] = {
	        {"memory", "/process_api/abc/nanolet"},
	        {"cpu,cpuacct", "/nanolet"},
	        {"pids", "/nanolet"},
	        {"unified", "/nanolet"},
	};

	f->config.cgroup_root = "/process_api/abc/nanolet";
	f->config.hierarchies = hierarchies;
	f->config.n_hierarchies = ELEMENTSOF(hierarchies);
}
static void q_all_four(struct fixture *f)
{
	f->pod.host_users = SPEC_BOOL_FALSE;
}
static void q_unconfined(struct fixture *f)
{
	f->containers[0].security_context.seccomp_profile.type = SPEC_SECCOMP_UNCONFINED;
}

#define V2 PLAN_CGROUP_V2
#define V1 PLAN_CGROUP_V1

static const struct {
	const char *question;
	void (*pod)(struct fixture *f);
	enum plan_cgroup_driver driver;
	const char *prefix; /* the sentence that answers it */
	const char *facts[5];
} rows[] = {
        {"who is the process, and where do its groups come from?",
         q_user_1000,
         V2,
         "identity:",
         {"runs as uid 1000 (the pod's runAsUser) and gid 0 (runAsGroup is unset: root's group",
          "These are the node's own ids"}},
        {"why does runAsUser: 1000 sometimes still not prevent access to a host file?",
         q_user_1000_host_path,
         V2,
         "identity:",
         {"runs as uid 1000 (the container's runAsUser) and gid 1000 (the container's "
          "runAsGroup)",
          "a node file whose owner, group or mode lets uid 1000 or one of its groups in is open "
          "to it, so runAsUser 1000 keeps it out only of what that uid could not open on the "
          "node itself",
          "Its root is the node's root filesystem", "it reads every node file that uid may read",
          "Through hostPath volumes it reaches the node's /etc at /host/etc (read-write)"}},
        {"hostUsers: false — which node ids are the pod's?",
         q_userns,
         V2,
         "user:",
         {"its ids 0-65535 are the node's unprivileged ids 100000-165535 (uid_map and gid_map "
          "\"0 100000 65536\")",
          "uid 0 in a container is uid 100000 on the node"}},
        {"hostUsers: false — what is uid 1000 on the node's files?",
         q_userns,
         V2,
         "identity:",
         {"these are node uid 101000 and gid 100000 and groups 102000",
          "a node file owned by an id outside 100000-165535 shows as nobody's (65534)"}},
        {"hostUsers: false before the node picked the range",
         q_userns_unknown,
         V2,
         "user:",
         {"65536 unprivileged ids of the node that nanoletd picks when it creates the pod",
          "\"0 <first> 65536\""}},
        {"what does hostPID let a process do, and what is it for?",
         q_host_pid,
         V2,
         "pid:",
         {"see every process of the node", "can signal any of them (CAP_KILL",
          "CAP_SYS_PTRACE could trace them", "nsenter -t 1", "It is for node agents"}},
        {"what does hostNetwork let a process do, and what is it for?",
         q_host_network,
         V2,
         "net:",
         {"shares its ports", "services the node offers only on 127.0.0.1",
          "capture the node's traffic with CAP_NET_RAW", "CNI plugins, kube-proxy"}},
        {"what does hostIPC let a process do, and what is it for?",
         q_host_ipc,
         V2,
         "ipc:",
         {"System V shared memory, semaphores and message queues of the node's processes",
          "the node's /dev/shm", "sharing memory with a process on the node"}},
        {"memory: reclaim, then the limit, then the OOM killer; why not throttled?",
         q_memory_limit,
         V2,
         "memory:",
         {"at most 134217728 bytes of memory (128Mi limit → memory.max, v1 "
          "memory.limit_in_bytes)",
          "first reclaims its page cache", "memory.swap.max 0 (v1 memory.memsw.limit_in_bytes)",
          "the OOM killer ends it, all of its processes at once (memory.oom.group 1)",
          "Memory is not throttled as CPU is"}},
        {"what is not bounded: memory.high",
         q_memory_limit,
         V2,
         "memory:",
         {"With memory_qos off there is no memory.high and no memory.min"}},
        {"memory on v1: both drivers' names, one process killed",
         q_memory_limit,
         V1,
         "memory:",
         {"128Mi limit → memory.limit_in_bytes, v2 memory.max",
          "kills one of its processes (v1 has no memory.oom.group)",
          "cgroup v1 has no memory.high and no memory.min"}},
        {"memory_qos: reclaim pressure before the OOM killer",
         q_memory_qos,
         V2,
         "memory:",
         {"memory.high 127504384 (its 64Mi request + 0.9 × (128Mi limit − 64Mi request), "
          "rounded down to a page)",
          "slows its allocations and reclaims its memory hard",
          "memory.min 67108864 (its 64Mi request)",
          "the kernel bounds it by theirs, and nanolet sets none on its QoS cgroups and root"}},
        {"memory_qos with the request at the limit",
         q_memory_qos_guaranteed,
         V2,
         "memory:",
         {"no memory.high: its request equals its limit, and Kubernetes sets none then"}},
        {"memory_qos on v1",
         q_memory_qos,
         V1,
         "memory:",
         {"memory_qos is on, but it is not available on cgroup v1"}},
        {"cpu: throttled, not killed; both drivers' names",
         q_cpu_limit,
         V2,
         "cpu:",
         {"cpu.max \"10000 100000\", v1 cpu.cfs_quota_us 10000 per cpu.cfs_period_us 100000",
          "throttled until the next period: it runs slower, and nothing is killed"}},
        {"cpu on v1",
         q_cpu_limit,
         V1,
         "cpu:",
         {"cpu.cfs_quota_us 10000 per cpu.cfs_period_us 100000, v2 cpu.max \"10000 100000\""}},
        {"what is not bounded: io",
         m_none,
         V2,
         "io:",
         {"disk reads and writes are not bounded",
          "io.max or io.weight (v1 blkio.throttle.* or blkio.weight)",
          "counts against its memory (memory.max, v1 memory.limit_in_bytes)",
          "no ephemeral-storage limit"}},
        {"io on v1",
         m_none,
         V1,
         "io:",
         {"blkio.throttle.* or blkio.weight (v2 io.max or io.weight)"}},
        {"could a time namespace change the clock?",
         m_none,
         V2,
         "time:",
         {"only offset CLOCK_MONOTONIC and CLOCK_BOOTTIME",
          "wall-clock time (CLOCK_REALTIME) is one for the whole node", "CAP_SYS_TIME"}},
        {"pids: what a fork past the limit gets",
         m_none,
         V2,
         "pids:",
         {"pids.max 1024, the same file in v1 and v2", "fails with EAGAIN"}},
        {"each hierarchy's real path on a hybrid host",
         q_hybrid,
         V1,
         "qos:",
         {"/process_api/abc/nanolet/besteffort/pod1234 in the memory hierarchy and "
          "/nanolet/besteffort/pod1234 in the "
          "cpu,cpuacct, pids and unified hierarchies (the shim in infra/ of each)",
          "memory.limit_in_bytes -1 and cpu.cfs_quota_us -1 (v2 memory.max max and cpu.max "
          "\"max 100000\")"}},
        {"are cgroups a security boundary?",
         m_none,
         V2,
         "boundary:",
         {"bound how much a noisy neighbour can take, not what a malicious process can reach",
          "its namespaces (what it can see), its capabilities and seccomp filter (what it may "
          "ask of the kernel) and a user namespace (whether its root is the node's)",
          "it has no user namespace, so uid 0 in a container is root on the node"}},
        {"a pod with all four", q_all_four, V2, "boundary:", {"this pod has all four"}},
        {"what does an exec enter?",
         m_none,
         V2,
         "exec:",
         {"what nsenter does: setns into the namespaces of the container's process (mnt, pid, "
          "net, ipc, uts and cgroup namespaces), the reverse of unshare",
          "then its cgroup, with its credentials, capabilities, no_new_privs and seccomp filter",
          "Any process on the node with CAP_SYS_ADMIN in the node's namespaces",
          "could make the same setns calls into this pod or any other"}},
        {"what does an exec enter in a user namespace?",
         q_userns,
         V2,
         "exec:",
         {"(user, mnt, pid, net, ipc, uts and cgroup namespaces)"}},
        {"what does an exec enter in a hostPID, hostNetwork, hostIPC pod?",
         q_host_all,
         V2,
         "exec:",
         {"(mnt and cgroup namespaces)"}},
        {"a pod without seccomp",
         q_unconfined,
         V2,
         "boundary:",
         {"container app has no seccomp filter"}},
};

START_TEST(test_seed_questions)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	const char *s;

	fixture_init(&f);
	f.config.driver = rows[_i].driver;
	rows[_i].pod(&f);
	plan = build(&f);
	s = sentence(plan, rows[_i].prefix, 0);
	ck_assert_msg(s, "%s: no %s sentence", rows[_i].question, rows[_i].prefix);
	for (size_t i = 0; i < ELEMENTSOF(rows[_i].facts) && rows[_i].facts[i]; i++)
		ck_assert_msg(strstr(s, rows[_i].facts[i]), "%s\n  missing: %s\n  in: %s",
		              rows[_i].question, rows[_i].facts[i], s);
}
END_TEST

/* ---- MemoryQoS ------------------------------------------------------------------------------ */

static const struct {
	int64_t request, limit;
	double factor;
	int64_t high;
} high_rows[] = {
        {MI(64), MI(128), 0.9, 127504384}, /* 64Mi + 0.9 × 64Mi, down to a page */
        {MI(64), MI(128), 0, 127504384},   /* 0: the kubelet's 0.9 */
        {MI(64), MI(128), 0.5, MI(96)},
        {0, MI(100), 0.9, 94371840},
        {U, MI(100), 0.9, 94371840},        /* no request: from 0 */
        {MI(128), MI(128), 0.9, -1},        /* request = limit: Kubernetes sets none */
        {MI(64), U, 0.9, -1},               /* no limit: nanolet knows no allocatable */
        {MI(100), MI(100) + 4096, 0.5, -1}, /* not above the request once rounded */
        {1, 4096 * 3, 1, 4096 * 3},
};

START_TEST(test_memory_high)
{
	ck_assert_int_eq(
	        plan_memory_high(high_rows[_i].request, high_rows[_i].limit, high_rows[_i].factor),
	        high_rows[_i].high);
}
END_TEST

static const char *v2_value(const struct plan_cgroup *cg, const char *name)
{
	for (size_t i = 0; i < cg->n_v2; i++)
		if (strcmp(cg->v2[i].name, name) == 0)
			return cg->v2[i].value;
	return NULL;
}

/* The files: v2 memory.min and memory.high on the container, memory.min (the sum of requests)
 * on the pod; nothing on v1; nothing with memory_qos off. */
START_TEST(test_memory_qos_files)
{
	_cleanup_plan_ struct plan *on = NULL, *off = NULL;
	struct fixture f;

	fixture_init(&f);
	resources(&f.containers[0], U, U, MI(64), MI(128));
	f.containers[1] = container("side");
	resources(&f.containers[1], U, U, MI(32), U);
	f.pod.n_containers = 2;
	off = build(&f);
	f.config.memory_qos = true;
	on = build(&f);

	ck_assert_str_eq(
	        files_str(on->containers[0].cgroup.v2, on->containers[0].cgroup.n_v2),
	        "memory.max=134217728,memory.swap.max=0,memory.min=67108864,"
	        "memory.high=127504384,memory.oom.group=1,cpu.max=max 100000,cpu.weight=1");
	ck_assert_str_eq(files_str(on->containers[1].cgroup.v2, on->containers[1].cgroup.n_v2),
	                 "memory.max=max,memory.min=33554432,memory.oom.group=1,cpu.max=max "
	                 "100000,cpu.weight=1");
	ck_assert_str_eq(v2_value(&on->cgroup, "memory.min"), "100663296");
	ck_assert_ptr_null(v2_value(&on->cgroup, "memory.high"));
	for (size_t i = 0; i < on->containers[0].cgroup.n_v1; i++)
		ck_assert(strncmp(on->containers[0].cgroup.v1[i].name, "memory.min", 10) != 0 &&
		          strncmp(on->containers[0].cgroup.v1[i].name, "memory.high", 11) != 0);
	ck_assert_ptr_null(v2_value(&off->containers[0].cgroup, "memory.min"));
	ck_assert_ptr_null(v2_value(&off->containers[0].cgroup, "memory.high"));
	ck_assert_ptr_null(v2_value(&off->cgroup, "memory.min"));
}
END_TEST

/* ---- the JSON of the new parts ----------------------------------------------------------------
 */

START_TEST(test_user_namespace_json)
{
	_cleanup_plan_ struct plan *plan = NULL, *unknown = NULL, *host = NULL;
	_cleanup_json_ json_t *a = NULL, *b = NULL, *c = NULL;
	_cleanup_free_ char *maps = NULL, *unknown_maps = NULL;
	struct fixture f;

	fixture_init(&f);
	q_userns(&f);
	plan = build(&f);
	f.config.userns_base = 0;
	unknown = build(&f);
	fixture_init(&f);
	f.config.userns_base = 100000; /* no user namespace: no maps, whatever the config */
	host = build(&f);
	a = plan_to_json(plan);
	b = plan_to_json(unknown);
	c = plan_to_json(host);
	maps = json_dumps(json_object_get(json_object_get(a, "pod"), "userNamespace"),
	                  JSON_COMPACT);
	unknown_maps = json_dumps(json_object_get(json_object_get(b, "pod"), "userNamespace"),
	                          JSON_COMPACT);
	ck_assert_str_eq(maps, "{\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,"
	                       "\"size\":65536}],\"gidMappings\":[{\"containerID\":0,\"hostID\":"
	                       "100000,\"size\":65536}]}");
	ck_assert_str_eq(unknown_maps, "{\"uidMappings\":[{\"containerID\":0,\"hostID\":null,"
	                               "\"size\":65536}],\"gidMappings\":[{\"containerID\":0,"
	                               "\"hostID\":null,\"size\":65536}]}");
	ck_assert(json_is_null(json_object_get(json_object_get(c, "pod"), "userNamespace")));
	ck_assert_uint_eq(host->userns_base, 0);
}
END_TEST

START_TEST(test_hierarchies_json)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *json = NULL;
	_cleanup_free_ char *places = NULL;
	struct fixture f;

	fixture_init(&f);
	f.config.driver = PLAN_CGROUP_V1;
	q_hybrid(&f);
	plan = build(&f);
	json = plan_to_json(plan);
	places = json_dumps(json_object_get(json_object_get(json_object_get(json, "pod"), "cgroup"),
	                                    "hierarchies"),
	                    JSON_COMPACT);
	ck_assert_str_eq(places, "{\"memory\":\"/process_api/abc/nanolet/besteffort/pod1234\","
	                         "\"cpu,cpuacct\":\"/nanolet/besteffort/pod1234\",\"pids\":\"/"
	                         "nanolet/besteffort/pod1234\","
	                         "\"unified\":\"/nanolet/besteffort/pod1234\"}");
	ck_assert_str_eq(plan->cgroup.path, "/process_api/abc/nanolet/besteffort/pod1234");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan_explain");
	TCase *tc = tcase_create("plan_explain");

	tcase_add_loop_test(tc, test_seed_questions, 0, ELEMENTSOF(rows));
	tcase_add_loop_test(tc, test_memory_high, 0, ELEMENTSOF(high_rows));
	tcase_add_test(tc, test_memory_qos_files);
	tcase_add_test(tc, test_user_namespace_json);
	tcase_add_test(tc, test_hierarchies_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
