#include "check_main.h"
/* tests/unit/test_plan_json.c: the IsolationPlan as a person reads it: the explanation's shape
 * and its sentences, warnings, and the whole JSON of a representative Burstable pod against a
 * golden text.
 */
#include "plan_fixture.h"

/* ---- explanation, warnings, freeing
 * ---------------------------------------------------------------- */

static void check_explanation(const struct plan *plan)
{
	size_t n = strv_len(plan->explanation);

	ck_assert_uint_eq(n, PLAN_NS_COUNT + 3 * plan->n_containers + 2);
	for (size_t i = 0; i < n; i++) {
		const char *s = plan->explanation[i];

		ck_assert_uint_gt(strlen(s), 20);
		ck_assert_msg(!strstr(s, "(null)"), "%s", s);
		ck_assert_int_eq(s[strlen(s) - 1], '.');
		if (i < PLAN_NS_COUNT) {
			ck_assert_msg(strncmp(s, plan_ns_name(i), strlen(plan_ns_name(i))) == 0 &&
			                      s[strlen(plan_ns_name(i))] == ':',
			              "sentence %zu is not about %s: %s", i, plan_ns_name(i), s);
		}
	}
	ck_assert(strncmp(plan->explanation[n - 2], "pids:", 5) == 0);
	ck_assert(strncmp(plan->explanation[n - 1], "qos:", 4) == 0);
	ck_assert_ptr_nonnull(strstr(plan->explanation[n - 1], plan->cgroup.path));
}

static void e_host_all(struct fixture *f)
{
	f->pod.host_pid = f->pod.host_network = f->pod.host_ipc = true;
	f->pod.hostname = "ignored";
	f->pod.host_users = SPEC_BOOL_TRUE;
}
static void e_shared_pid_userns(struct fixture *f)
{
	f->pod.share_process_namespace = true;
	f->pod.host_users = SPEC_BOOL_FALSE;
	f->pod.hostname = "custom";
}
static void e_guaranteed_three(struct fixture *f)
{
	for (int i = 0; i < 3; i++) {
		if (i > 0)
			f->containers[i] = container(i == 1 ? "b" : "c");
		resources(&f->containers[i], 1, 1, 4096, 4096);
	}
	f->pod.n_containers = 3;
	f->containers[1].image = "/srv/root";
	f->containers[2].image = "alpine";
}
static void e_burstable_pids(struct fixture *f)
{
	resources(&f->containers[0], 100, U, U, MI(1));
	f->containers[1] = container("side");
	f->containers[1].image = "host";
	f->containers[1].security_context.read_only_root_filesystem = SPEC_BOOL_TRUE;
	f->pod.n_containers = 2;
	f->pod.pids_limit_annotation = 4096;
}
static void e_no_pids_limit(struct fixture *f)
{
	f->config.pod_pids_limit = -1;
	f->pod.name = "a-very-long-pod-name-that-goes-on-and-on-past-sixty-three-characters-x";
}
static void e_annotation_only(struct fixture *f)
{
	f->config.pod_pids_limit = -1;
	f->pod.pids_limit_annotation = 10;
	f->config.cgroup_root = "/";
	f->config.pod_uid = NULL;
}

static void (*const explained[])(struct fixture *f) = {
        m_none,           e_host_all,      e_shared_pid_userns, e_guaranteed_three,
        e_burstable_pids, e_no_pids_limit, e_annotation_only,
};

/* Every plan, whatever the pod and driver: 8 namespace sentences in order, 3 per container,
 * pids and qos last, none empty or unfinished. */
START_TEST(test_explanation_shape)
{
	for (int driver = PLAN_CGROUP_V2; driver <= PLAN_CGROUP_V1; driver++) {
		_cleanup_plan_ struct plan *plan = NULL;
		struct fixture f;

		fixture_init(&f);
		f.config.driver = driver;
		explained[_i](&f);
		plan = build(&f);
		check_explanation(plan);
	}
}
END_TEST

static const struct {
	const char *name;
	enum plan_cgroup_driver driver;
	int64_t cpu_req, cpu_lim, mem_lim;
	const char *needles[3]; /* in the memory, cpu limit and cpu weight sentences */
} limit_sentence_rows[] = {
        {"v2 limits",
         PLAN_CGROUP_V2,
         500,
         500,
         MI(128),
         {"container app may use at most 134217728 bytes of memory (128Mi limit → memory.max",
          "at most 0.5 CPU (500m limit → cpu.max \"50000 100000\"",
          "cpu.weight 59 against the pod's other containers (500m request → 512 shares"}},
        {"v1 limits",
         PLAN_CGROUP_V1,
         1,
         1,
         1000000000,
         {"at most 1000000000 bytes of memory (1G limit → memory.limit_in_bytes",
          "raised to the kernel's minimum quota", "cpu.shares 2 against"}},
        {"no limits",
         PLAN_CGROUP_V2,
         U,
         U,
         U,
         {"no memory limit (memory.max max): it may use all free memory of the node",
          "no CPU limit (cpu.max \"max 100000\")", "no CPU request or limit, so the minimum"}},
};

START_TEST(test_limit_sentences)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;

	fixture_init(&f);
	f.config.driver = limit_sentence_rows[_i].driver;
	resources(&f.containers[0], limit_sentence_rows[_i].cpu_req,
	          limit_sentence_rows[_i].cpu_lim, limit_sentence_rows[_i].mem_lim,
	          limit_sentence_rows[_i].mem_lim);
	plan = build(&f);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(strstr(plan->explanation[PLAN_NS_COUNT + i],
		                     limit_sentence_rows[_i].needles[i]),
		              "%s: \"%s\" not in \"%s\"", limit_sentence_rows[_i].name,
		              limit_sentence_rows[_i].needles[i],
		              plan->explanation[PLAN_NS_COUNT + i]);
}
END_TEST

START_TEST(test_warnings_order)
{
	_cleanup_plan_ struct plan *plan = NULL;
	char *decode_warnings[] = {"unknown field \"spec.foo\"", NULL};
	struct fixture f;

	fixture_init(&f);
	f.pod.host_network = true;
	f.pod.hostname = "h";
	f.pod.pids_limit_annotation = 99999;
	ck_assert_int_eq(plan_build(&f.pod, &f.config, decode_warnings, &plan), 0);
	ck_assert_uint_eq(strv_len(plan->warnings), 3);
	ck_assert_str_eq(plan->warnings[0], "unknown field \"spec.foo\"");
	ck_assert(has_warning(plan, "spec.hostname \"h\" is ignored"));
	ck_assert(strstr(plan->warnings[2], "99999 is ignored"));
	/* the argument is copied, not taken */
	ck_assert_str_eq(decode_warnings[0], "unknown field \"spec.foo\"");
}
END_TEST

START_TEST(test_free_null)
{
	ck_assert_ptr_null(plan_free(NULL));
}
END_TEST

/* ---- golden JSON
 * ------------------------------------------------------------------------------------ */

/* A representative Burstable pod: two containers, one with requests below its limits and one
 * with none, an emptyDir, credentials, a decode warning and a pids annotation. */
static void golden_pod(struct fixture *f)
{
	static char *command[] = {"/bin/sh", "-c", NULL};
	static char *args[] = {"exec sleep 3600", NULL};
	static int64_t groups[] = {100};

	fixture_init(f);
	f->pod.name = "web";
	f->pod.pids_limit_annotation = 512;
	f->pod.security_context.run_as_user = 1000;
	f->pod.security_context.run_as_group = 1000;
	f->pod.security_context.fs_group = 2000;
	f->pod.security_context.supplemental_groups = groups;
	f->pod.security_context.n_supplemental_groups = 1;
	f->volumes[0] = (struct spec_volume){"cache", SPEC_VOLUME_EMPTY_DIR, "", U, NULL, NULL};
	f->pod.n_volumes = 1;

	f->containers[0].image = "alpine";
	f->containers[0].command = command;
	f->containers[0].args = args;
	f->env[0] = (struct spec_env_var){"MODE", "prod"};
	f->containers[0].env = f->env;
	f->containers[0].n_env = 1;
	f->mounts[0] = (struct spec_volume_mount){"cache", "/cache", NULL, false};
	f->containers[0].volume_mounts = f->mounts;
	f->containers[0].n_volume_mounts = 1;
	f->containers[0].security_context.allow_privilege_escalation = SPEC_BOOL_FALSE;
	f->containers[0].security_context.read_only_root_filesystem = SPEC_BOOL_TRUE;
	resources(&f->containers[0], 250, 500, MI(64), MI(128));

	f->containers[1] = container("sidecar");
	f->containers[1].security_context.run_as_user = 0;
	f->pod.n_containers = 2;
}

static const char golden_json[] =
        "{\n"
        " \"apiVersion\": \"nanolet.io/v1\",\n"
        " \"kind\": \"IsolationPlan\",\n"
        " \"metadata\": {\n"
        "  \"name\": \"web\",\n"
        "  \"namespace\": \"default\",\n"
        "  \"uid\": \"1234\"\n"
        " },\n"
        " \"qosClass\": \"Burstable\",\n"
        " \"pod\": {\n"
        "  \"hostname\": \"web\",\n"
        "  \"namespaces\": {\n"
        "   \"pid\": {\n"
        "    \"mode\": \"container\",\n"
        "    \"reason\": \"hostPID and shareProcessNamespace are false (the default): each "
        "container sees only its own processes\"\n"
        "   },\n"
        "   \"net\": {\n"
        "    \"mode\": \"pod\",\n"
        "    \"reason\": \"hostNetwork is false (the default): the containers share the pod's "
        "network namespace\"\n"
        "   },\n"
        "   \"ipc\": {\n"
        "    \"mode\": \"pod\",\n"
        "    \"reason\": \"hostIPC is false (the default): the containers share the pod's IPC "
        "namespace\"\n"
        "   },\n"
        "   \"uts\": {\n"
        "    \"mode\": \"pod\",\n"
        "    \"reason\": \"hostNetwork is false and spec.hostname is unset: the hostname is the "
        "pod's name\"\n"
        "   },\n"
        "   \"user\": {\n"
        "    \"mode\": \"host\",\n"
        "    \"reason\": \"hostUsers is unset: the default is the node's user namespace\"\n"
        "   },\n"
        "   \"mnt\": {\n"
        "    \"mode\": \"container\",\n"
        "    \"reason\": \"each container has a private mount namespace\"\n"
        "   },\n"
        "   \"cgroup\": {\n"
        "    \"mode\": \"container\",\n"
        "    \"reason\": \"each container has a cgroup namespace rooted at its own cgroup\"\n"
        "   },\n"
        "   \"time\": {\n"
        "    \"mode\": \"host\",\n"
        "    \"reason\": \"Kubernetes has no time namespace field: clocks are the node's\"\n"
        "   }\n"
        "  },\n"
        "  \"cloneFlags\": [\"CLONE_NEWUTS\", \"CLONE_NEWIPC\", \"CLONE_NEWNET\"],\n"
        "  \"cgroup\": {\n"
        "   \"path\": \"/nanolet/burstable/pod1234\",\n"
        "   \"infraPath\": \"/nanolet/burstable/pod1234/infra\",\n"
        "   \"driver\": \"v2\",\n"
        "   \"v2\": {\n"
        "    \"memory.max\": \"max\",\n"
        "    \"cpu.max\": \"max 100000\",\n"
        "    \"cpu.weight\": \"35\",\n"
        "    \"pids.max\": \"512\"\n"
        "   },\n"
        "   \"v1\": {\n"
        "    \"memory.limit_in_bytes\": \"-1\",\n"
        "    \"cpu.cfs_period_us\": \"100000\",\n"
        "    \"cpu.cfs_quota_us\": \"-1\",\n"
        "    \"cpu.shares\": \"256\",\n"
        "    \"pids.max\": \"512\"\n"
        "   }\n"
        "  },\n"
        "  \"volumes\": [\n"
        "   {\"name\": \"cache\", \"type\": \"emptyDir\",\n"
        "    \"path\": \"/var/lib/nanolet/pods/1234/volumes/kubernetes.io~empty-dir/cache\"}\n"
        "  ]\n"
        " },\n"
        " \"containers\": [\n"
        "  {\n"
        "   \"name\": \"app\",\n"
        "   \"cloneFlags\": [\"CLONE_NEWNS\", \"CLONE_NEWCGROUP\", \"CLONE_NEWPID\"],\n"
        "   \"namespaces\": {\n"
        "    \"pid\": {\n"
        "     \"mode\": \"container\",\n"
        "     \"reason\": \"hostPID and shareProcessNamespace are false (the default): each "
        "container sees only its own processes\"\n"
        "    },\n"
        "    \"net\": {\n"
        "     \"mode\": \"pod\",\n"
        "     \"reason\": \"hostNetwork is false (the default): the containers share the pod's "
        "network namespace\"\n"
        "    },\n"
        "    \"ipc\": {\n"
        "     \"mode\": \"pod\",\n"
        "     \"reason\": \"hostIPC is false (the default): the containers share the pod's IPC "
        "namespace\"\n"
        "    },\n"
        "    \"uts\": {\n"
        "     \"mode\": \"pod\",\n"
        "     \"reason\": \"hostNetwork is false and spec.hostname is unset: the hostname is the "
        "pod's name\"\n"
        "    },\n"
        "    \"user\": {\n"
        "     \"mode\": \"host\",\n"
        "     \"reason\": \"hostUsers is unset: the default is the node's user namespace\"\n"
        "    },\n"
        "    \"mnt\": {\n"
        "     \"mode\": \"container\",\n"
        "     \"reason\": \"each container has a private mount namespace\"\n"
        "    },\n"
        "    \"cgroup\": {\n"
        "     \"mode\": \"container\",\n"
        "     \"reason\": \"each container has a cgroup namespace rooted at its own cgroup\"\n"
        "    },\n"
        "    \"time\": {\n"
        "     \"mode\": \"host\",\n"
        "     \"reason\": \"Kubernetes has no time namespace field: clocks are the node's\"\n"
        "    }\n"
        "   },\n"
        "   \"cgroup\": {\n"
        "    \"path\": \"/nanolet/burstable/pod1234/app\",\n"
        "    \"v2\": {\n"
        "     \"memory.max\": \"134217728\",\n"
        "     \"memory.swap.max\": \"0\",\n"
        "     \"memory.oom.group\": \"1\",\n"
        "     \"cpu.max\": \"50000 100000\",\n"
        "     \"cpu.weight\": \"35\"\n"
        "    },\n"
        "    \"v1\": {\n"
        "     \"memory.limit_in_bytes\": \"134217728\",\n"
        "     \"memory.memsw.limit_in_bytes\": \"134217728\",\n"
        "     \"cpu.cfs_period_us\": \"100000\",\n"
        "     \"cpu.cfs_quota_us\": \"50000\",\n"
        "     \"cpu.shares\": \"256\"\n"
        "    }\n"
        "   },\n"
        "   \"root\": {\n"
        "    \"kind\": \"image\",\n"
        "    \"path\": \"/var/lib/nanolet/images/alpine\",\n"
        "    \"readOnly\": true\n"
        "   },\n"
        "   \"process\": {\n"
        "    \"args\": [\"/bin/sh\", \"-c\", \"exec sleep 3600\"],\n"
        "    \"env\": [\n"
        "     \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "     \"HOSTNAME=web\",\n"
        "     \"MODE=prod\"\n"
        "    ],\n"
        "    \"cwd\": \"/\",\n"
        "    \"uid\": 1000,\n"
        "    \"gid\": 1000,\n"
        "    \"supplementalGroups\": [100, 2000],\n"
        "    \"noNewPrivileges\": true\n"
        "   },\n"
        "   \"mounts\": [\n"
        "    {\n"
        "     \"destination\": \"/proc\",\n"
        "     \"type\": \"proc\",\n"
        "     \"source\": \"proc\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/cache\",\n"
        "     \"type\": \"bind\",\n"
        "     \"source\": \"/var/lib/nanolet/pods/1234/volumes/kubernetes.io~empty-dir/cache\",\n"
        "     \"options\": [\"rbind\", \"rprivate\"]\n"
        "    }\n"
        "   ]\n"
        "  },\n"
        "  {\n"
        "   \"name\": \"sidecar\",\n"
        "   \"cloneFlags\": [\"CLONE_NEWNS\", \"CLONE_NEWCGROUP\", \"CLONE_NEWPID\"],\n"
        "   \"namespaces\": {\n"
        "    \"pid\": {\n"
        "     \"mode\": \"container\",\n"
        "     \"reason\": \"hostPID and shareProcessNamespace are false (the default): each "
        "container sees only its own processes\"\n"
        "    },\n"
        "    \"net\": {\n"
        "     \"mode\": \"pod\",\n"
        "     \"reason\": \"hostNetwork is false (the default): the containers share the pod's "
        "network namespace\"\n"
        "    },\n"
        "    \"ipc\": {\n"
        "     \"mode\": \"pod\",\n"
        "     \"reason\": \"hostIPC is false (the default): the containers share the pod's IPC "
        "namespace\"\n"
        "    },\n"
        "    \"uts\": {\n"
        "     \"mode\": \"pod\",\n"
        "     \"reason\": \"hostNetwork is false and spec.hostname is unset: the hostname is the "
        "pod's name\"\n"
        "    },\n"
        "    \"user\": {\n"
        "     \"mode\": \"host\",\n"
        "     \"reason\": \"hostUsers is unset: the default is the node's user namespace\"\n"
        "    },\n"
        "    \"mnt\": {\n"
        "     \"mode\": \"container\",\n"
        "     \"reason\": \"each container has a private mount namespace\"\n"
        "    },\n"
        "    \"cgroup\": {\n"
        "     \"mode\": \"container\",\n"
        "     \"reason\": \"each container has a cgroup namespace rooted at its own cgroup\"\n"
        "    },\n"
        "    \"time\": {\n"
        "     \"mode\": \"host\",\n"
        "     \"reason\": \"Kubernetes has no time namespace field: clocks are the node's\"\n"
        "    }\n"
        "   },\n"
        "   \"cgroup\": {\n"
        "    \"path\": \"/nanolet/burstable/pod1234/sidecar\",\n"
        "    \"v2\": {\n"
        "     \"memory.max\": \"max\",\n"
        "     \"memory.oom.group\": \"1\",\n"
        "     \"cpu.max\": \"max 100000\",\n"
        "     \"cpu.weight\": \"1\"\n"
        "    },\n"
        "    \"v1\": {\n"
        "     \"memory.limit_in_bytes\": \"-1\",\n"
        "     \"cpu.cfs_period_us\": \"100000\",\n"
        "     \"cpu.cfs_quota_us\": \"-1\",\n"
        "     \"cpu.shares\": \"2\"\n"
        "    }\n"
        "   },\n"
        "   \"root\": {\n"
        "    \"kind\": \"host\",\n"
        "    \"path\": \"/\",\n"
        "    \"readOnly\": false\n"
        "   },\n"
        "   \"process\": {\n"
        "    \"args\": [\"/bin/true\"],\n"
        "    \"env\": [\n"
        "     \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "     \"HOSTNAME=web\"\n"
        "    ],\n"
        "    \"cwd\": \"/\",\n"
        "    \"uid\": 0,\n"
        "    \"gid\": 1000,\n"
        "    \"supplementalGroups\": [100, 2000],\n"
        "    \"noNewPrivileges\": false\n"
        "   },\n"
        "   \"mounts\": [\n"
        "    {\n"
        "     \"destination\": \"/proc\",\n"
        "     \"type\": \"proc\",\n"
        "     \"source\": \"proc\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]\n"
        "    }\n"
        "   ]\n"
        "  }\n"
        " ],\n"
        " \"warnings\": [\n"
        "  \"unknown field \\\"spec.foo\\\"\"\n"
        " ],\n"
        " \"explanation\": [\n"
        "  \"pid: each container has its own pid namespace and sees only its own processes "
        "(hostPID is false).\",\n"
        "  \"net: the pod has its own network namespace with only a loopback interface, shared by "
        "its containers (hostNetwork is false).\",\n"
        "  \"ipc: the pod has its own IPC namespace, shared by its containers: System V IPC "
        "objects and POSIX message queues are not shared with the node (hostIPC is false).\",\n"
        "  \"uts: the pod has its own uts namespace, shared by its containers, with hostname "
        "\\\"web\\\" (the pod's name).\",\n"
        "  \"user: the pod runs in the node's user namespace: uid 0 in a container is root on the "
        "node (hostUsers is unset).\",\n"
        "  \"mnt: each container has its own mount namespace: mounts made inside reach neither the "
        "node nor the other containers; but the root of sidecar (read-write) is the node's own "
        "root filesystem (image empty or \\\"host\\\").\",\n"
        "  \"cgroup: each container has its own cgroup namespace: /proc/self/cgroup shows its own "
        "cgroup as the root.\",\n"
        "  \"time: the pod uses the node's time namespace: its clocks are the node's (a Pod has no "
        "field for it).\",\n"
        "  \"memory: container app may use at most 134217728 bytes of memory (128Mi limit → "
        "memory.max, and memory.swap.max 0: no swap); past that the kernel OOM killer ends it, all "
        "of its processes at once (memory.oom.group 1).\",\n"
        "  \"cpu: container app may use at most 0.5 CPU (500m limit → cpu.max \\\"50000 "
        "100000\\\": 50000 microseconds of CPU time in every 100000-microsecond period); past that "
        "it is throttled until the next period.\",\n"
        "  \"cpu: when CPUs are busy, container app gets CPU time in proportion to its cpu.weight "
        "35 against the pod's other containers (250m request → 256 shares → weight 35).\",\n"
        "  \"memory: container sidecar has no memory limit (memory.max max): it may use all free "
        "memory of the node, bounded only by limits above nanolet's cgroup root.\",\n"
        "  \"cpu: container sidecar has no CPU limit (cpu.max \\\"max 100000\\\"): it may use "
        "every idle CPU of the node.\",\n"
        "  \"cpu: when CPUs are busy, container sidecar gets CPU time in proportion to its "
        "cpu.weight 1 against the pod's other containers (no CPU request or limit, so the minimum "
        "→ 2 shares → weight 1).\",\n"
        "  \"pids: the pod may run at most 512 processes and threads, the shim's included "
        "(pids.max 512, from its nanolet.io/pids-limit annotation, lower than the node's "
        "podPidsLimit 1024).\",\n"
        "  \"qos: the pod is Burstable because a container has a CPU or memory request or limit, "
        "but not every container has CPU and memory limits equal to its requests, so its cgroup is "
        "/nanolet/burstable/pod1234 (the shim in /nanolet/burstable/pod1234/infra); it is limited "
        "to memory.max max and cpu.max \\\"max 100000\\\" (the sums of its containers' limits, or "
        "none when one container has none).\"\n"
        " ]\n"
        "}\n";

START_TEST(test_golden_json)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *got = NULL, *want = NULL;
	_cleanup_free_ char *dump = NULL;
	char *decode_warnings[] = {"unknown field \"spec.foo\"", NULL};
	struct fixture f;
	json_error_t error;
	const char *key;
	json_t *value;
	const char *order[] = {"apiVersion", "kind",       "metadata", "qosClass",
	                       "pod",        "containers", "warnings", "explanation"};
	size_t i = 0;

	golden_pod(&f);
	ck_assert_int_eq(plan_build(&f.pod, &f.config, decode_warnings, &plan), 0);
	got = plan_to_json(plan);
	ck_assert_ptr_nonnull(got);
	want = json_loads(golden_json, 0, &error);
	ck_assert_msg(want, "golden JSON: %s (line %d)", error.text, error.line);
	dump = json_dumps(got, JSON_INDENT(2));
	if (!json_equal(got, want))
		fprintf(stderr, "plan JSON:\n%s\n", dump); /* too long for a Check message */
	ck_assert_msg(json_equal(got, want), "plan JSON differs from the golden one (on stderr)");

	/* json_equal ignores key order; the contract's order is checked here */
	json_object_foreach(got, key, value)
	{
		ck_assert_uint_lt(i, ELEMENTSOF(order));
		ck_assert_str_eq(key, order[i++]);
	}
	ck_assert_uint_eq(i, ELEMENTSOF(order));
}
END_TEST

/* ---- suite
 * -------------------------------------------------------------------------------------------- */

static Suite *suite(void)
{
	Suite *s = suite_create("plan_json");
	TCase *tc = tcase_create("plan_json");

	tcase_add_loop_test(tc, test_explanation_shape, 0, ELEMENTSOF(explained));
	tcase_add_loop_test(tc, test_limit_sentences, 0, ELEMENTSOF(limit_sentence_rows));
	tcase_add_test(tc, test_warnings_order);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_golden_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
