#include "check_main.h"
/* tests/unit/test_plan_json.c: the IsolationPlan as a person reads it: the explanation's shape
 * and its sentences, warnings, and the whole JSON of a representative Burstable pod against a
 * golden text.
 */
#include "plan_fixture.h"

/* ---- explanation, warnings, freeing
 * ---------------------------------------------------------------- */

/* Privileged containers first (a reviewer reads that before anything), then 8 namespace
 * sentences in order (and the sysctls' when the pod sets some), per container its image's when
 * its root is one, then 6 (memory, cpu limit, cpu weight, io, security, identity), pids, qos,
 * boundary, exec and the Pod Security Standards last, none empty or unfinished. */
static void check_explanation(const struct plan *plan)
{
	static const char *const kinds[] = {
	        "image:", "memory:", "cpu:", "cpu:", "io:", "security:", "identity:"};
	size_t n = strv_len(plan->explanation), p = 0, sysctls = plan->n_sysctls > 0, images = 0;
	size_t at;

	for (size_t i = 0; i < plan->n_containers; i++) {
		p += plan->containers[i].security.privileged;
		images += plan->containers[i].root.kind == PLAN_ROOT_IMAGE;
	}
	ck_assert_uint_eq(n, p + PLAN_NS_COUNT + sysctls + 6 * plan->n_containers + images + 5);
	for (size_t i = 0; i < n; i++) {
		const char *s = plan->explanation[i];

		ck_assert_uint_gt(strlen(s), 20);
		ck_assert_msg(!strstr(s, "(null)"), "%s", s);
		ck_assert_int_eq(s[strlen(s) - 1], '.');
		if (i < p)
			ck_assert_msg(strncmp(s, "privileged: ", 12) == 0, "%s", s);
		else if (i < p + PLAN_NS_COUNT) {
			const char *ns = plan_ns_name(i - p);

			ck_assert_msg(strncmp(s, ns, strlen(ns)) == 0 && s[strlen(ns)] == ':',
			              "sentence %zu is not about %s: %s", i, ns, s);
		} else if (i < p + PLAN_NS_COUNT + sysctls) {
			ck_assert_msg(strncmp(s, "sysctls: ", 9) == 0, "%s", s);
		}
	}
	at = p + PLAN_NS_COUNT + sysctls;
	for (size_t i = 0; i < plan->n_containers; i++)
		for (size_t k = plan->containers[i].root.kind == PLAN_ROOT_IMAGE ? 0 : 1;
		     k < ELEMENTSOF(kinds); k++, at++)
			ck_assert_msg(strncmp(plan->explanation[at], kinds[k], strlen(kinds[k])) ==
			                      0,
			              "%zu: %s", at, plan->explanation[at]);
	ck_assert_uint_eq(at, n - 5);
	ck_assert(strncmp(plan->explanation[n - 5], "pids:", 5) == 0);
	ck_assert(strncmp(plan->explanation[n - 4], "qos:", 4) == 0);
	ck_assert_ptr_nonnull(strstr(plan->explanation[n - 4], plan->cgroup.path));
	ck_assert(strncmp(plan->explanation[n - 3], "boundary:", 9) == 0);
	ck_assert(strncmp(plan->explanation[n - 2], "exec:", 5) == 0);
	ck_assert(strncmp(plan->explanation[n - 1], "pod security:", 13) == 0);
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
static void e_privileged_and_host_path(struct fixture *f)
{
	static char *add[] = {"SYS_PTRACE", "NET_ADMIN", NULL};

	f->pod.host_pid = f->pod.host_network = true;
	f->containers[0].security_context.capabilities_add = add;
	f->containers[1] = container("debug");
	f->containers[1].security_context.privileged = SPEC_BOOL_TRUE;
	f->pod.n_containers = 2;
	f->volumes[0] =
	        (struct spec_volume){"logs", SPEC_VOLUME_HOST_PATH, NULL, U, "/var/log", ""};
	f->pod.n_volumes = 1;
	f->mounts[0] = (struct spec_volume_mount){"logs", "/logs", NULL, true};
	f->containers[0].volume_mounts = f->mounts;
	f->containers[0].n_volume_mounts = 1;
}
static void e_annotation_only(struct fixture *f)
{
	f->config.pod_pids_limit = -1;
	f->pod.pids_limit_annotation = 10;
	f->config.cgroup_root = "/";
	f->config.pod_uid = NULL;
}

/* runAsNonRoot with a root user: the kubelet's refusal ends in a parenthesis, the sentence not */
static void e_refused(struct fixture *f)
{
	f->containers[0].security_context.run_as_non_root = SPEC_BOOL_TRUE;
}

static struct spec_sysctl sysctls_three[] = {
        {"net.ipv4.ip_local_port_range", "1024 65535", 0},
        {"kernel/shm_rmid_forced", "1", 1},
        {"kernel.domainname", "x", 2},
};

/* securityContext.sysctls: one of each namespace (the node's one is never admitted, but the
 * plan says what it is) */
static void e_sysctls(struct fixture *f)
{
	f->pod.security_context.sysctls = sysctls_three;
	f->pod.security_context.n_sysctls = ELEMENTSOF(sysctls_three);
}

static void (*const explained[])(struct fixture *f) = {
        m_none,           e_host_all,      e_shared_pid_userns, e_guaranteed_three,
        e_burstable_pids, e_no_pids_limit, e_annotation_only,   e_privileged_and_host_path,
        e_refused,        e_sysctls,
};

/* Every plan, whatever the pod and driver, has the explanation's shape. */
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
          "cpu.weight 59 (v1 cpu.shares 512) against the pod's other containers (500m request "
          "→ 512 shares"}},
        {"v1 limits",
         PLAN_CGROUP_V1,
         1,
         1,
         1000000000,
         {"at most 1000000000 bytes of memory (1G limit → memory.limit_in_bytes",
          "raised to the kernel's minimum quota", "cpu.shares 2 (v2 cpu.weight 1) against"}},
        {"no limits",
         PLAN_CGROUP_V2,
         U,
         U,
         U,
         {"no memory limit (memory.max max, v1 memory.limit_in_bytes -1): it may use all free "
          "memory of the node",
          "no CPU limit (cpu.max \"max 100000\", v1 cpu.cfs_quota_us -1)",
          "no CPU request or limit, so the minimum"}},
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

/* The sentences a security reviewer reads: what each container may do, who it is on the node's
 * files, and what it reaches through hostPath volumes. */
START_TEST(test_security_sentences)
{
	_cleanup_plan_ struct plan *plan = NULL, *userns = NULL;
	_cleanup_free_ char *all = NULL;
	struct fixture f;

	fixture_init(&f);
	e_privileged_and_host_path(&f);
	f.pod.security_context.run_as_user = 1000;
	f.pod.security_context.fs_group = 2000;
	plan = build(&f);
	ck_assert(strncmp(plan->explanation[0], "privileged: container debug is privileged", 41) ==
	          0);
	all = strv_join(plan->explanation, "\n");
	static const char *const needles[] = {
	        "security: container app runs as uid 1000 with containerd's default capabilities "
	        "plus CAP_NET_ADMIN, CAP_SYS_PTRACE in its bounding set (not uid 0, it holds none "
	        "of them after exec)",
	        "with CAP_SYS_PTRACE and hostPID it can trace every process of the node",
	        "with CAP_NET_ADMIN and hostNetwork it can reconfigure the node's network",
	        "it cannot mount filesystems, nor enter or leave namespaces (no CAP_SYS_ADMIN)",
	        "seccomp RuntimeDefault (unset: the node's seccomp_default, RuntimeDefault)",
	        "identity: container app runs as uid 1000 (the pod's runAsUser) and gid 0 "
	        "(runAsGroup "
	        "is unset: root's group, which owns many of the node's files), with supplementary "
	        "groups 2000 (fsGroup, which also owns its volumes). These are the node's own ids",
	        "Through hostPath volumes it reaches the node's /var/log at /logs (read-only).",
	        "security: container debug is privileged (above)",
	        "identity: container debug runs as uid 1000",
	        "boundary: ",
	        "this pod weakens them: it shares the node's pid and net namespaces; "
	        "container app holds CAP_NET_ADMIN, CAP_SYS_PTRACE beyond containerd's default; "
	        "container debug is privileged; it has no user namespace",
	};
	for (size_t i = 0; i < ELEMENTSOF(needles); i++)
		ck_assert_msg(strstr(all, needles[i]), "missing: %s\nin:\n%s", needles[i], all);

	fixture_init(&f);
	f.pod.host_users = SPEC_BOOL_FALSE;
	f.containers[0].security_context.allow_privilege_escalation = SPEC_BOOL_FALSE;
	userns = build(&f);
	free(all);
	all = strv_join(userns->explanation, "\n");
	ck_assert(
	        strstr(all, "uid 0 in it is an unprivileged id of the node (hostUsers is false)"));
	ck_assert(strstr(all, "In the pod's user namespace id N is node id <first>+N"));
	ck_assert(strstr(all, "no_new_privs keeps setuid binaries"));
	ck_assert(strstr(all, "bound read-only"));
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

/* kubernetes.io/{ingress,egress}-bandwidth: the plan lists each rate and where it is shaped,
 * the net sentence gains a clause only when one is set, and a pod with no veth to shape is
 * told that its annotations are not applied. */
static const struct {
	const char *name;
	int64_t ingress, egress;
	bool host_network, bridge;
	const char *json;     /* pod.network.bandwidth, compact; NULL: absent */
	const char *sentence; /* in the net sentence; NULL: no "shaped" in it */
	const char *warning;  /* NULL: no warning about the annotations */
} bandwidth_rows[] = {
        {"no annotations, no clause", 0, 0, false, true, NULL, NULL, NULL},
        {"both", 10000000, 5000000, false, true,
         "{\"ingress\":{\"bitsPerSecond\":10000000,\"qdisc\":\"tbf (root)\",\"on\":"
         "\"nl1234abcd5678\",\"latency\":\"25ms\"},\"egress\":{\"bitsPerSecond\":5000000,"
         "\"qdisc\":\"tbf (root)\",\"on\":\"nb1234abcd5678\",\"redirectedFrom\":"
         "\"nl1234abcd5678\",\"latency\":\"25ms\"}}",
         " Traffic to the pod is shaped to 10 Mbit/s (kubernetes.io/ingress-bandwidth: a tbf "
         "qdisc on nl1234abcd5678, 25ms latency); traffic from the pod to 5 Mbit/s "
         "(kubernetes.io/egress-bandwidth: redirected from nl1234abcd5678 to the ifb "
         "nb1234abcd5678, a tbf qdisc there, 25ms latency). The shaping is on the node's side: "
         "nothing inside the pod can lift it.",
         NULL},
        {"egress only", 0, 1500000, false, true,
         "{\"egress\":{\"bitsPerSecond\":1500000,\"qdisc\":\"tbf (root)\",\"on\":"
         "\"nb1234abcd5678\",\"redirectedFrom\":\"nl1234abcd5678\",\"latency\":\"25ms\"}}",
         " Traffic from the pod is shaped to 1500 kbit/s (kubernetes.io/egress-bandwidth: "
         "redirected from nl1234abcd5678 to the ifb nb1234abcd5678",
         NULL},
        {"ingress only, an odd rate", 1234567, 0, false, true,
         "{\"ingress\":{\"bitsPerSecond\":1234567,\"qdisc\":\"tbf (root)\",\"on\":"
         "\"nl1234abcd5678\",\"latency\":\"25ms\"}}",
         " Traffic to the pod is shaped to 1234567 bit/s (kubernetes.io/ingress-bandwidth: a "
         "tbf qdisc on nl1234abcd5678, 25ms latency). The shaping",
         NULL},
        {"hostNetwork: not applied", 10000000, 0, true, true, NULL, NULL,
         "metadata.annotations[kubernetes.io/ingress-bandwidth] is not applied: hostNetwork is "
         "true, and the node's interfaces are not shaped for one pod"},
        {"no pod network: not applied", 0, 10000000, false, false, NULL, NULL,
         "metadata.annotations[kubernetes.io/egress-bandwidth] is not applied: this node has "
         "no pod network (network.mode none)"},
};

START_TEST(test_bandwidth)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *json = NULL;
	_cleanup_free_ char *text = NULL;
	const char *sentence = NULL;
	json_t *bw;
	struct fixture f;

	fixture_init(&f);
	if (bandwidth_rows[_i].bridge)
		f.config.network = (struct plan_network_config){.bridge = "nanolet0",
		                                                .cidr = 0xc6120000,
		                                                .prefix = 16,
		                                                .mtu = 1500,
		                                                .node_ifname = "nl1234abcd5678",
		                                                .ifb_ifname = "nb1234abcd5678"};
	f.pod.host_network = bandwidth_rows[_i].host_network;
	f.pod.ingress_bandwidth = bandwidth_rows[_i].ingress;
	f.pod.egress_bandwidth = bandwidth_rows[_i].egress;
	plan = build(&f);
	json = plan_to_json(plan);
	bw = json_object_get(json_object_get(json_object_get(json, "pod"), "network"), "bandwidth");
	if (bandwidth_rows[_i].json) {
		text = json_dumps(bw, JSON_COMPACT | JSON_PRESERVE_ORDER);
		ck_assert_str_eq(text, bandwidth_rows[_i].json);
	} else {
		ck_assert_ptr_null(bw);
	}
	for (size_t i = 0; plan->explanation[i]; i++)
		if (strncmp(plan->explanation[i], "net:", 4) == 0)
			sentence = plan->explanation[i];
	ck_assert_ptr_nonnull(sentence);
	if (bandwidth_rows[_i].sentence)
		ck_assert_msg(strstr(sentence, bandwidth_rows[_i].sentence), "%s", sentence);
	else
		ck_assert_msg(!strstr(sentence, "shaped") && !strstr(sentence, "bandwidth"), "%s",
		              sentence);
	if (bandwidth_rows[_i].warning) {
		ck_assert_uint_eq(strv_len(plan->warnings), 1);
		ck_assert_str_eq(plan->warnings[0], bandwidth_rows[_i].warning);
	} else {
		ck_assert_uint_eq(strv_len(plan->warnings), 0);
	}
}
END_TEST

/* The plan lists the sysctls in dots form with the namespace each changes, in the JSON too, and
 * one sentence says they never change the node. */
START_TEST(test_sysctls)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *json = NULL;
	_cleanup_free_ char *text = NULL;
	const char *sentence;
	struct fixture f;

	fixture_init(&f);
	e_sysctls(&f);
	plan = build(&f);
	ck_assert_uint_eq(plan->n_sysctls, 3);
	ck_assert_str_eq(plan->sysctls[1].name, "kernel.shm_rmid_forced");
	ck_assert_int_eq(plan->sysctls[0].ns, SECURITY_SYSCTL_NS_NET);
	ck_assert_int_eq(plan->sysctls[1].ns, SECURITY_SYSCTL_NS_IPC);
	ck_assert_int_eq(plan->sysctls[2].ns, SECURITY_SYSCTL_NS_NODE);
	json = plan_to_json(plan);
	text = json_dumps(json_object_get(json_object_get(json, "pod"), "sysctls"), JSON_COMPACT);
	ck_assert_str_eq(text,
	                 "[{\"name\":\"net.ipv4.ip_local_port_range\",\"value\":\"1024 "
	                 "65535\",\"namespace\":\"net\"},{\"name\":\"kernel.shm_rmid_forced\","
	                 "\"value\":\"1\",\"namespace\":\"ipc\"},{\"name\":\"kernel.domainname\","
	                 "\"value\":\"x\",\"namespace\":\"node\"}]");
	sentence = plan->explanation[PLAN_NS_COUNT];
	ck_assert_str_eq(
	        sentence,
	        "sysctls: net.ipv4.ip_local_port_range=\"1024 65535\" (the pod's network "
	        "namespace), kernel.shm_rmid_forced=\"1\" (the pod's IPC namespace), "
	        "kernel.domainname=\"x\" (the node's). A sysctl is per namespace: the shim "
	        "writes the pod's under /proc/sys in its own namespaces before any "
	        "container starts, so they change only the pod's namespaces, never the "
	        "node; one that no namespace of the pod holds is the node's, and nanolet "
	        "refuses the pod rather than write it.");
}
END_TEST

/* A plan kept for a pod's life leaves its Pod Security message out (daemon/pods' pod_new):
 * its JSON is the same, the message made again from the checks the pod fails. */
START_TEST(test_pod_security_message_made_again)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *pod = NULL, *kept = NULL, *made = NULL;
	struct fixture f;
	const char *message;

	fixture_init(&f);
	ck_assert_int_eq(plan_build(&f.pod, &f.config, NULL, &plan), 0);
	pod = json_pack("{s:{s:b, s:[{s:s, s:s}]}}", "spec", "hostNetwork", 1, "containers", "name",
	                "c", "image", "busybox");
	plan_pod_security_done(&plan->pod_security);
	ck_assert_int_eq(plan_pod_security(pod, &plan->pod_security), 0);
	ck_assert_ptr_nonnull(plan->pod_security.next_message);
	kept = plan_to_json(plan);
	free(plan->pod_security.next_message);
	plan->pod_security.next_message = NULL;
	made = plan_to_json(plan);
	ck_assert_ptr_nonnull(kept);
	ck_assert_ptr_nonnull(made);
	message = json_string_value(json_object_get(
	        json_object_get(json_object_get(made, "podSecurity"), "next"), "message"));
	ck_assert_msg(message && strstr(message, "host namespaces (hostNetwork=true)"), "%s",
	              message ? message : "(none)");
	ck_assert(json_equal(kept, made));
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
	f->config.network = (struct plan_network_config){
	        .bridge = "nanolet0", .cidr = 0xc6120000, .prefix = 16, .mtu = 1500};
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
        "  \"cloneFlags\": [\n"
        "   \"CLONE_NEWUTS\",\n"
        "   \"CLONE_NEWIPC\",\n"
        "   \"CLONE_NEWNET\"\n"
        "  ],\n"
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
        "   },\n"
        "   \"hierarchies\": {}\n"
        "  },\n"
        "  \"volumes\": [\n"
        "   {\n"
        "    \"name\": \"cache\",\n"
        "    \"type\": \"emptyDir\",\n"
        "    \"path\": \"/var/lib/nanolet/pods/1234/volumes/kubernetes.io~empty-dir/cache\"\n"
        "   }\n"
        "  ],\n"
        "  \"shm\": {\n"
        "   \"path\": \"/run/nanolet/pods/1234/shm\",\n"
        "   \"sizeBytes\": 67108864\n"
        "  },\n"
        "  \"userNamespace\": null,\n"
        "  \"sysctls\": [],\n"
        "  \"network\": {\"mode\": \"pod\", \"interfaces\": [\n"
        "   {\"name\": \"lo\", \"namespace\": \"pod\", \"kind\": \"loopback\", "
        "\"address\": \"127.0.0.1/8\"},\n"
        "   {\"name\": \"eth0\", \"namespace\": \"pod\", \"kind\": \"veth\", "
        "\"address\": \"assigned from 198.18.0.0/16 at create\", \"mtu\": 1500, "
        "\"peer\": \"nl<first 12 hex digits of the pod uid>\", \"routes\": [\n"
        "    {\"destination\": \"0.0.0.0/0\", \"via\": \"198.18.0.1\"},\n"
        "    {\"destination\": \"198.18.0.0/16\", \"via\": \"eth0 (on link)\"}]},\n"
        "   {\"name\": \"nl<first 12 hex digits of the pod uid>\", \"namespace\": \"node\", "
        "\"kind\": \"veth\", \"peer\": \"eth0\", \"master\": \"nanolet0\", \"mtu\": 1500},\n"
        "   {\"name\": \"nanolet0\", \"namespace\": \"node\", \"kind\": \"bridge\", "
        "\"address\": \"198.18.0.1/16\", \"mtu\": 1500}]}\n"
        " },\n"
        " \"containers\": [\n"
        "  {\n"
        "   \"name\": \"app\",\n"
        "   \"cloneFlags\": [\n"
        "    \"CLONE_NEWNS\",\n"
        "    \"CLONE_NEWCGROUP\",\n"
        "    \"CLONE_NEWPID\"\n"
        "   ],\n"
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
        "    \"path\": \"alpine\",\n"
        "    \"readOnly\": true,\n"
        "    \"layer\": \"/var/lib/nanolet/pods/1234/layers/app\",\n"
        "    \"image\": null,\n"
        "    \"imageID\": null,\n"
        "    \"repoDigest\": null,\n"
        "    \"layers\": null,\n"
        "    \"upperDir\": \"/var/lib/nanolet/pods/1234/layers/app/upper\"\n"
        "   },\n"
        "   \"process\": {\n"
        "    \"args\": [\n"
        "     \"/bin/sh\",\n"
        "     \"-c\",\n"
        "     \"exec sleep 3600\"\n"
        "    ],\n"
        "    \"env\": [\n"
        "     \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "     \"HOSTNAME=web\",\n"
        "     \"MODE=prod\"\n"
        "    ],\n"
        "    \"cwd\": \"/\",\n"
        "    \"uid\": 1000,\n"
        "    \"gid\": 1000,\n"
        "    \"supplementalGroups\": [\n"
        "     1000,\n"
        "     100,\n"
        "     2000\n"
        "    ],\n"
        "    \"noNewPrivileges\": true\n"
        "   },\n"
        "   \"security\": {\n"
        "    \"privileged\": false,\n"
        "    \"capabilities\": {\n"
        "     \"bounding\": [\n"
        "      \"CAP_CHOWN\",\n"
        "      \"CAP_DAC_OVERRIDE\",\n"
        "      \"CAP_FOWNER\",\n"
        "      \"CAP_FSETID\",\n"
        "      \"CAP_KILL\",\n"
        "      \"CAP_SETGID\",\n"
        "      \"CAP_SETUID\",\n"
        "      \"CAP_SETPCAP\",\n"
        "      \"CAP_NET_BIND_SERVICE\",\n"
        "      \"CAP_NET_RAW\",\n"
        "      \"CAP_SYS_CHROOT\",\n"
        "      \"CAP_MKNOD\",\n"
        "      \"CAP_AUDIT_WRITE\",\n"
        "      \"CAP_SETFCAP\"\n"
        "     ],\n"
        "     \"effective\": [],\n"
        "     \"permitted\": [],\n"
        "     \"inheritable\": [],\n"
        "     \"ambient\": []\n"
        "    },\n"
        "    \"seccomp\": {\n"
        "     \"type\": \"RuntimeDefault\",\n"
        "     \"source\": \"unset: the node's seccomp_default, RuntimeDefault\"\n"
        "    },\n"
        "    \"maskedPaths\": [\n"
        "     \"/proc/acpi\",\n"
        "     \"/proc/asound\",\n"
        "     \"/proc/kcore\",\n"
        "     \"/proc/keys\",\n"
        "     \"/proc/latency_stats\",\n"
        "     \"/proc/timer_list\",\n"
        "     \"/proc/timer_stats\",\n"
        "     \"/proc/sched_debug\",\n"
        "     \"/sys/firmware\",\n"
        "     \"/sys/devices/virtual/powercap\",\n"
        "     \"/proc/scsi\"\n"
        "    ],\n"
        "    \"readOnlyPaths\": [\n"
        "     \"/proc/bus\",\n"
        "     \"/proc/fs\",\n"
        "     \"/proc/irq\",\n"
        "     \"/proc/sys\",\n"
        "     \"/proc/sysrq-trigger\"\n"
        "    ],\n"
        "    \"devices\": [\n"
        "     {\n"
        "      \"rule\": \"c 1:3 rwm\",\n"
        "      \"path\": \"/dev/null\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:5 rwm\",\n"
        "      \"path\": \"/dev/zero\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:7 rwm\",\n"
        "      \"path\": \"/dev/full\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:8 rwm\",\n"
        "      \"path\": \"/dev/random\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:9 rwm\",\n"
        "      \"path\": \"/dev/urandom\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 5:0 rwm\",\n"
        "      \"path\": \"/dev/tty\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 5:2 rwm\",\n"
        "      \"path\": null,\n"
        "      \"fileMode\": 0\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 136:* rwm\",\n"
        "      \"path\": null,\n"
        "      \"fileMode\": 0\n"
        "     }\n"
        "    ],\n"
        "    \"refusal\": null\n"
        "   },\n"
        "   \"mounts\": [\n"
        "    {\n"
        "     \"destination\": \"/proc\",\n"
        "     \"type\": \"proc\",\n"
        "     \"source\": \"proc\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev\",\n"
        "     \"type\": \"tmpfs\",\n"
        "     \"source\": \"tmpfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"strictatime\",\n"
        "      \"mode=755\",\n"
        "      \"size=65536k\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev/pts\",\n"
        "     \"type\": \"devpts\",\n"
        "     \"source\": \"devpts\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"newinstance\",\n"
        "      \"ptmxmode=0666\",\n"
        "      \"mode=0620\",\n"
        "      \"gid=5\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev/shm\",\n"
        "     \"type\": \"bind\",\n"
        "     \"source\": \"/run/nanolet/pods/1234/shm\",\n"
        "     \"options\": [\n"
        "      \"rbind\",\n"
        "      \"nosuid\",\n"
        "      \"nodev\",\n"
        "      \"noexec\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev/mqueue\",\n"
        "     \"type\": \"mqueue\",\n"
        "     \"source\": \"mqueue\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/sys\",\n"
        "     \"type\": \"sysfs\",\n"
        "     \"source\": \"sysfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\",\n"
        "      \"ro\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/sys/fs/cgroup\",\n"
        "     \"type\": \"cgroup2\",\n"
        "     \"source\": \"cgroup\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\",\n"
        "      \"ro\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/cache\",\n"
        "     \"type\": \"bind\",\n"
        "     \"source\": \"/var/lib/nanolet/pods/1234/volumes/kubernetes.io~empty-dir/cache\",\n"
        "     \"options\": [\n"
        "      \"rbind\",\n"
        "      \"rprivate\"\n"
        "     ]\n"
        "    }\n"
        "   ]\n"
        "  },\n"
        "  {\n"
        "   \"name\": \"sidecar\",\n"
        "   \"cloneFlags\": [\n"
        "    \"CLONE_NEWNS\",\n"
        "    \"CLONE_NEWCGROUP\",\n"
        "    \"CLONE_NEWPID\"\n"
        "   ],\n"
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
        "    \"readOnly\": false,\n"
        "    \"layer\": \"/var/lib/nanolet/pods/1234/layers/sidecar\",\n"
        "    \"hidden\": [\n"
        "     \"/etc/shadow\",\n"
        "     \"/etc/shadow-\",\n"
        "     \"/etc/gshadow\",\n"
        "     \"/etc/gshadow-\",\n"
        "     \"/etc/ssh/ssh_host_*_key\",\n"
        "     \"/etc/ssl/private\",\n"
        "     \"/etc/nanolet\",\n"
        "     \"/var/lib/nanolet\",\n"
        "     \"/var/log/nanolet\",\n"
        "     \"/run/nanolet\"\n"
        "    ]\n"
        "   },\n"
        "   \"process\": {\n"
        "    \"args\": [\n"
        "     \"/bin/true\"\n"
        "    ],\n"
        "    \"env\": [\n"
        "     \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "     \"HOSTNAME=web\"\n"
        "    ],\n"
        "    \"cwd\": \"/\",\n"
        "    \"uid\": 0,\n"
        "    \"gid\": 1000,\n"
        "    \"supplementalGroups\": [\n"
        "     1000,\n"
        "     100,\n"
        "     2000\n"
        "    ],\n"
        "    \"noNewPrivileges\": false\n"
        "   },\n"
        "   \"security\": {\n"
        "    \"privileged\": false,\n"
        "    \"capabilities\": {\n"
        "     \"bounding\": [\n"
        "      \"CAP_CHOWN\",\n"
        "      \"CAP_DAC_OVERRIDE\",\n"
        "      \"CAP_FOWNER\",\n"
        "      \"CAP_FSETID\",\n"
        "      \"CAP_KILL\",\n"
        "      \"CAP_SETGID\",\n"
        "      \"CAP_SETUID\",\n"
        "      \"CAP_SETPCAP\",\n"
        "      \"CAP_NET_BIND_SERVICE\",\n"
        "      \"CAP_NET_RAW\",\n"
        "      \"CAP_SYS_CHROOT\",\n"
        "      \"CAP_MKNOD\",\n"
        "      \"CAP_AUDIT_WRITE\",\n"
        "      \"CAP_SETFCAP\"\n"
        "     ],\n"
        "     \"effective\": [\n"
        "      \"CAP_CHOWN\",\n"
        "      \"CAP_DAC_OVERRIDE\",\n"
        "      \"CAP_FOWNER\",\n"
        "      \"CAP_FSETID\",\n"
        "      \"CAP_KILL\",\n"
        "      \"CAP_SETGID\",\n"
        "      \"CAP_SETUID\",\n"
        "      \"CAP_SETPCAP\",\n"
        "      \"CAP_NET_BIND_SERVICE\",\n"
        "      \"CAP_NET_RAW\",\n"
        "      \"CAP_SYS_CHROOT\",\n"
        "      \"CAP_MKNOD\",\n"
        "      \"CAP_AUDIT_WRITE\",\n"
        "      \"CAP_SETFCAP\"\n"
        "     ],\n"
        "     \"permitted\": [\n"
        "      \"CAP_CHOWN\",\n"
        "      \"CAP_DAC_OVERRIDE\",\n"
        "      \"CAP_FOWNER\",\n"
        "      \"CAP_FSETID\",\n"
        "      \"CAP_KILL\",\n"
        "      \"CAP_SETGID\",\n"
        "      \"CAP_SETUID\",\n"
        "      \"CAP_SETPCAP\",\n"
        "      \"CAP_NET_BIND_SERVICE\",\n"
        "      \"CAP_NET_RAW\",\n"
        "      \"CAP_SYS_CHROOT\",\n"
        "      \"CAP_MKNOD\",\n"
        "      \"CAP_AUDIT_WRITE\",\n"
        "      \"CAP_SETFCAP\"\n"
        "     ],\n"
        "     \"inheritable\": [],\n"
        "     \"ambient\": []\n"
        "    },\n"
        "    \"seccomp\": {\n"
        "     \"type\": \"RuntimeDefault\",\n"
        "     \"source\": \"unset: the node's seccomp_default, RuntimeDefault\"\n"
        "    },\n"
        "    \"maskedPaths\": [\n"
        "     \"/proc/acpi\",\n"
        "     \"/proc/asound\",\n"
        "     \"/proc/kcore\",\n"
        "     \"/proc/keys\",\n"
        "     \"/proc/latency_stats\",\n"
        "     \"/proc/timer_list\",\n"
        "     \"/proc/timer_stats\",\n"
        "     \"/proc/sched_debug\",\n"
        "     \"/sys/firmware\",\n"
        "     \"/sys/devices/virtual/powercap\",\n"
        "     \"/proc/scsi\"\n"
        "    ],\n"
        "    \"readOnlyPaths\": [\n"
        "     \"/proc/bus\",\n"
        "     \"/proc/fs\",\n"
        "     \"/proc/irq\",\n"
        "     \"/proc/sys\",\n"
        "     \"/proc/sysrq-trigger\"\n"
        "    ],\n"
        "    \"devices\": [\n"
        "     {\n"
        "      \"rule\": \"c 1:3 rwm\",\n"
        "      \"path\": \"/dev/null\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:5 rwm\",\n"
        "      \"path\": \"/dev/zero\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:7 rwm\",\n"
        "      \"path\": \"/dev/full\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:8 rwm\",\n"
        "      \"path\": \"/dev/random\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 1:9 rwm\",\n"
        "      \"path\": \"/dev/urandom\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 5:0 rwm\",\n"
        "      \"path\": \"/dev/tty\",\n"
        "      \"fileMode\": 438\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 5:2 rwm\",\n"
        "      \"path\": null,\n"
        "      \"fileMode\": 0\n"
        "     },\n"
        "     {\n"
        "      \"rule\": \"c 136:* rwm\",\n"
        "      \"path\": null,\n"
        "      \"fileMode\": 0\n"
        "     }\n"
        "    ],\n"
        "    \"refusal\": null\n"
        "   },\n"
        "   \"mounts\": [\n"
        "    {\n"
        "     \"destination\": \"/proc\",\n"
        "     \"type\": \"proc\",\n"
        "     \"source\": \"proc\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev\",\n"
        "     \"type\": \"tmpfs\",\n"
        "     \"source\": \"tmpfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"strictatime\",\n"
        "      \"mode=755\",\n"
        "      \"size=65536k\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev/pts\",\n"
        "     \"type\": \"devpts\",\n"
        "     \"source\": \"devpts\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"newinstance\",\n"
        "      \"ptmxmode=0666\",\n"
        "      \"mode=0620\",\n"
        "      \"gid=5\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev/shm\",\n"
        "     \"type\": \"bind\",\n"
        "     \"source\": \"/run/nanolet/pods/1234/shm\",\n"
        "     \"options\": [\n"
        "      \"rbind\",\n"
        "      \"nosuid\",\n"
        "      \"nodev\",\n"
        "      \"noexec\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/dev/mqueue\",\n"
        "     \"type\": \"mqueue\",\n"
        "     \"source\": \"mqueue\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/sys\",\n"
        "     \"type\": \"sysfs\",\n"
        "     \"source\": \"sysfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\",\n"
        "      \"ro\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/sys/fs/cgroup\",\n"
        "     \"type\": \"cgroup2\",\n"
        "     \"source\": \"cgroup\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"noexec\",\n"
        "      \"nodev\",\n"
        "      \"ro\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/run\",\n"
        "     \"type\": \"tmpfs\",\n"
        "     \"source\": \"tmpfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"nodev\",\n"
        "      \"mode=755\",\n"
        "      \"rw\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/tmp\",\n"
        "     \"type\": \"tmpfs\",\n"
        "     \"source\": \"tmpfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"nodev\",\n"
        "      \"mode=1777\",\n"
        "      \"rw\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/root\",\n"
        "     \"type\": \"tmpfs\",\n"
        "     \"source\": \"tmpfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"nodev\",\n"
        "      \"mode=700\",\n"
        "      \"rw\"\n"
        "     ]\n"
        "    },\n"
        "    {\n"
        "     \"destination\": \"/home\",\n"
        "     \"type\": \"tmpfs\",\n"
        "     \"source\": \"tmpfs\",\n"
        "     \"options\": [\n"
        "      \"nosuid\",\n"
        "      \"nodev\",\n"
        "      \"mode=755\",\n"
        "      \"rw\"\n"
        "     ]\n"
        "    }\n"
        "   ]\n"
        "  }\n"
        " ],\n"
        " \"warnings\": [\n"
        "  \"unknown field \\\"spec.foo\\\"\"\n"
        " ],\n"
        " \"explanation\": [\n"
        "  \"pid: each container has its own pid namespace and sees only its own processes, its "
        "first one as PID 1 (hostPID is false).\",\n"
        "  \"net: the pod has its own network namespace, shared by its containers, with lo and "
        "eth0 (an address of 198.18.0.0/16 given at create, MTU 1500), one end of a veth pair "
        "whose other end, nl<first 12 hex "
        "digits of the pod uid>, is on the node's bridge nanolet0 (198.18.0.1/16); its 127.0.0.1 "
        "and its ports are its own, not the node's (hostNetwork is false). It is reached at that "
        "address from the node and from every other pod on the bridge, on any port a container "
        "listens on; it reaches them the same way, and everything else through its default "
        "route via 198.18.0.1 (the node decides whether that goes further: nanolet forwards "
        "nothing off the node).\",\n"
        "  \"ipc: the pod has its own IPC namespace, shared by its containers: System V IPC "
        "objects and POSIX message queues are not shared with the node (hostIPC is false).\",\n"
        "  \"uts: the pod has its own uts namespace, shared by its containers, with hostname "
        "\\\"web\\\" (the pod's name).\",\n"
        "  \"user: the pod runs in the node's user namespace (hostUsers is unset): uid 0 in a "
        "container is root on the node, its capabilities the node root's within its bounding "
        "set.\",\n"
        "  \"mnt: each container has its own mount namespace: mounts made inside reach neither the "
        "node nor the other containers; the root of sidecar (read-write) is the node's root "
        "filesystem used as an image (image empty or \\\"host\\\"): its files, not its mounts, "
        "without its secrets and nanolet's own directories.\",\n"
        "  \"cgroup: each container has its own cgroup namespace: /proc/self/cgroup shows its own "
        "cgroup as the root.\",\n"
        "  \"time: the pod uses the node's time namespace (a Pod has no field for one): a time "
        "namespace (Linux 5.6) could only offset CLOCK_MONOTONIC and CLOCK_BOOTTIME, so that "
        "uptime and timers start afresh, as a restored container needs; wall-clock time "
        "(CLOCK_REALTIME) is one for the whole node in any case, and setting it takes "
        "CAP_SYS_TIME, which containerd's default set leaves out.\",\n"
        "  \"image: the root of container app is the image alpine, not pulled yet: its digest, "
        "its layers and its user are known once it is on the node (imagePullPolicy), and its "
        "Entrypoint, Cmd, Env and WorkingDir then join the spec's as the kubelet has them join: "
        "command or else Entrypoint, args or else Cmd, the spec's env over the image's.\",\n"
        "  \"memory: container app may use at most 134217728 bytes of memory (128Mi limit → "
        "memory.max, v1 memory.limit_in_bytes). Near the limit the kernel first reclaims its page "
        "cache; what cannot be reclaimed stays, as memory.swap.max 0 (v1 "
        "memory.memsw.limit_in_bytes) allows no swap, and when reclaim cannot bring it under the "
        "limit the OOM killer ends it, all of its processes at once (memory.oom.group 1). Memory "
        "is not throttled as CPU is: CPU time can wait for the next period, but a page in use "
        "cannot be taken back without swap, so at the limit the only way out is a kill. With "
        "memory_qos off there is no memory.high and no memory.min: nothing slows it down before "
        "the limit, and nothing shields its memory from reclaim when the node runs short.\",\n"
        "  \"cpu: container app may use at most 0.5 CPU (500m limit → cpu.max \\\"50000 "
        "100000\\\", v1 cpu.cfs_quota_us 50000 per cpu.cfs_period_us 100000: 50000 microseconds of "
        "CPU time in every 100000-microsecond period); past that it is throttled until the next "
        "period: it runs slower, and nothing is killed.\",\n"
        "  \"cpu: when CPUs are busy, container app gets CPU time in proportion to its cpu.weight "
        "35 (v1 cpu.shares 256) against the pod's other containers (250m request → 256 shares → "
        "weight 35).\",\n"
        "  \"io: container app's disk reads and writes are not bounded: a Pod has no field for "
        "them and nanolet writes no io.max or io.weight (v1 blkio.throttle.* or blkio.weight), so "
        "it shares the disks' bandwidth and IOPS with the node and every pod; the page cache it "
        "dirties counts against its memory (memory.max, v1 memory.limit_in_bytes), and what it "
        "writes to disk (its writable layer, emptyDir volumes not in memory, hostPath volumes) can "
        "fill the node's disk, as nanolet enforces no ephemeral-storage limit.\",\n"
        "  \"security: container app runs as uid 1000 with containerd's 14 default capabilities in "
        "its bounding set (not uid 0, it holds none of them after exec); seccomp RuntimeDefault "
        "(unset: the node's seccomp_default, RuntimeDefault), containerd's profile: unshare, "
        "setns, mount, keyctl, bpf, ptrace, kexec_load and the other syscalls it does not allow "
        "fail with EPERM; it cannot mount filesystems, nor enter or leave namespaces (no "
        "CAP_SYS_ADMIN); it cannot trace processes it does not own (no CAP_SYS_PTRACE); it cannot "
        "reconfigure a network (no CAP_NET_ADMIN); it cannot load kernel modules. "
        "allowPrivilegeEscalation is false: no_new_privs keeps setuid binaries and file "
        "capabilities from raising its privileges. Its /dev holds only null, zero, full, random, "
        "urandom, tty and its own pts, and the devices controller refuses every other device, "
        "mknod included; in /proc and /sys what tells about the node (kcore, keys, timer_list, "
        "sched_debug, firmware, ...) is masked and /proc/sys, /proc/sysrq-trigger are read-only. "
        "uid 0 in it is root on the node (hostUsers is not false), held to the capabilities "
        "above.\",\n"
        "  \"identity: container app runs as uid 1000 (the pod's runAsUser) and gid 1000 (the "
        "pod's runAsGroup), with supplementary groups 100 (supplementalGroups) and 2000 (fsGroup, "
        "which also owns its volumes). These are the node's own ids: a node file whose owner, "
        "group or mode lets uid 1000 or one of its groups in is open to it, so runAsUser 1000 "
        "keeps it out only of what that uid could not open on the node itself. Its root is the "
        "image alpine, read-only under a writable layer of its own. It "
        "reaches no node path through a hostPath volume.\",\n"
        "  \"memory: container sidecar has no memory limit (memory.max max, v1 "
        "memory.limit_in_bytes -1): it may use all free memory of the node, bounded only by limits "
        "above nanolet's cgroup root, and when the node runs out the kernel's OOM killer chooses "
        "among all of the node's processes. With memory_qos off there is no memory.high and no "
        "memory.min: nothing slows it down before the limit, and nothing shields its memory from "
        "reclaim when the node runs short.\",\n"
        "  \"cpu: container sidecar has no CPU limit (cpu.max \\\"max 100000\\\", v1 "
        "cpu.cfs_quota_us -1): it may use every idle CPU of the node.\",\n"
        "  \"cpu: when CPUs are busy, container sidecar gets CPU time in proportion to its "
        "cpu.weight 1 (v1 cpu.shares 2) against the pod's other containers (no CPU request or "
        "limit, so the minimum → 2 shares → weight 1).\",\n"
        "  \"io: container sidecar's disk reads and writes are not bounded: a Pod has no field for "
        "them and nanolet writes no io.max or io.weight (v1 blkio.throttle.* or blkio.weight), so "
        "it shares the disks' bandwidth and IOPS with the node and every pod; the page cache it "
        "dirties counts against its memory (memory.max, v1 memory.limit_in_bytes), and what it "
        "writes to disk (its writable layer, emptyDir volumes not in memory, hostPath volumes) can "
        "fill the node's disk, as nanolet enforces no ephemeral-storage limit.\",\n"
        "  \"security: container sidecar runs as uid 0 with containerd's 14 default capabilities "
        "in its bounding set; seccomp RuntimeDefault (unset: the node's seccomp_default, "
        "RuntimeDefault), containerd's profile: unshare, setns, mount, keyctl, bpf, ptrace, "
        "kexec_load and the other syscalls it does not allow fail with EPERM; it cannot mount "
        "filesystems, nor enter or leave namespaces (no CAP_SYS_ADMIN); it cannot trace processes "
        "it does not own (no CAP_SYS_PTRACE); it cannot reconfigure a network (no CAP_NET_ADMIN); "
        "it cannot load kernel modules. allowPrivilegeEscalation is not false: a setuid binary in "
        "its root (su, mount) can raise a process of another uid to root within these limits. Its "
        "/dev holds only null, zero, full, random, urandom, tty and its own pts, and the devices "
        "controller refuses every other device, mknod included; in /proc and /sys what tells about "
        "the node (kcore, keys, timer_list, sched_debug, firmware, ...) is masked and /proc/sys, "
        "/proc/sysrq-trigger are read-only. uid 0 in it is root on the node (hostUsers is not "
        "false), held to the capabilities above.\",\n"
        "  \"identity: container sidecar runs as uid 0 (the container's runAsUser) and gid 1000 "
        "(the pod's runAsGroup), with supplementary groups 100 (supplementalGroups) and 2000 "
        "(fsGroup, which also owns its volumes). These are the node's own ids: uid 0 is the node's "
        "root, and with CAP_DAC_OVERRIDE no file mode stops it. Its root is the node's root "
        "filesystem, read-only under a writable layer of its own, less the node's secrets and "
        "nanolet's directories: it reads every node file that uid may read. It reaches no node "
        "path through a hostPath volume.\",\n"
        "  \"pids: the pod may run at most 512 processes and threads, the shim's included "
        "(pids.max 512, the same file in v1 and v2, from its nanolet.io/pids-limit annotation, "
        "lower than the node's podPidsLimit 1024); a fork past it fails with EAGAIN (\\\"Resource "
        "temporarily unavailable\\\"), which bounds a fork bomb's harm to the node.\",\n"
        "  \"qos: the pod is Burstable because a container has a CPU or memory request or limit, "
        "but not every container has CPU and memory limits equal to its requests, so its cgroup is "
        "/nanolet/burstable/pod1234 (the shim in /nanolet/burstable/pod1234/infra); it is limited "
        "to memory.max max and cpu.max \\\"max 100000\\\" (v1 memory.limit_in_bytes -1 and "
        "cpu.cfs_quota_us -1), the sums of its containers' limits, or none when one container has "
        "none.\",\n"
        "  \"boundary: the cgroup limits above bound how much a noisy neighbour can take, not what "
        "a malicious process can reach; what stops a hostile process is its namespaces (what it "
        "can see), its capabilities and seccomp filter (what it may ask of the kernel) and a user "
        "namespace (whether its root is the node's) together, and this pod weakens them: it has no "
        "user namespace, so uid 0 in a container is root on the node.\",\n"
        "  \"exec: `kubectl exec` into a container is what nsenter does: setns into the namespaces "
        "of the container's process (mnt, pid, net, ipc, uts and cgroup namespaces), the reverse "
        "of unshare, then its cgroup, with its credentials, capabilities, no_new_privs and seccomp "
        "filter, so the exec'd process sees and may do what the container's own process may, and "
        "dies with it. Any process on the node with CAP_SYS_ADMIN in the node's namespaces (root "
        "on the node, or a container that holds it with hostPID) could make the same setns calls "
        "into this pod or any other: namespaces isolate a pod from its neighbours, not from the "
        "node.\",\n"
        "  \"pod security: the pod meets the Pod Security Standards' restricted level (latest), "
        "the most hardened.\"\n"
        " ],\n"
        " \"podSecurity\": {\"level\": \"restricted\", \"version\": \"latest\"}\n"
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
	const char *order[] = {"apiVersion", "kind",     "metadata",    "qosClass",   "pod",
	                       "containers", "warnings", "explanation", "podSecurity"};
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
	tcase_add_test(tc, test_security_sentences);
	tcase_add_test(tc, test_warnings_order);
	tcase_add_test(tc, test_sysctls);
	tcase_add_loop_test(tc, test_bandwidth, 0, ELEMENTSOF(bandwidth_rows));
	tcase_add_test(tc, test_pod_security_message_made_again);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_golden_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
