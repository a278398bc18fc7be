/* pkg/plan/plan_explain.c: plan->explanation, what a pod may see, use and do, in plain
 * sentences a security reviewer reads and a learner checks questions against:
 *
 *   privileged:  one per privileged container, first (such a pod is on the node's security
 *                boundary, and a reviewer must read that before anything else)
 *   eight namespace sentences: pid, net, ipc, uts, user, mnt, cgroup, time — what the pod shares
 *                with the node, what that lets it do, and what a host namespace is for
 *   sysctls:     when the pod sets any, which namespace each changes (never the node)
 *   per container: memory, cpu (limit), cpu (weight), io (plan_explain_limits.c), security
 *                (what it may ask the kernel), identity (who it is inside and on the node)
 *   pids, qos (plan_explain_limits.c), and boundary: which of these stop a hostile process
 *   exec:        what `kubectl exec` enters (nsenter: setns, the reverse of unshare), and that
 *                the node's CAP_SYS_ADMIN can do the same to any pod
 *
 * Every number is read back from the plan's own files, so a sentence cannot say something other
 * than what will be written. Sentences state what the kernel does, never more: a cgroup limit
 * bounds consumption, and only the boundary sentence speaks of isolation.
 */
#include <inttypes.h>
#include <linux/capability.h>
#include <string.h>

#include "plan_internal.h"
#include "plan_words.h"

/* ---- namespaces ------------------------------------------------------------------------------ */

/* securityContext.sysctls, for a pod that sets some. */
static char *sentence_sysctls(const struct plan *plan)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0, node = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fputs("sysctls: ", f);
	for (size_t i = 0; i < plan->n_sysctls; i++) {
		const struct plan_sysctl *s = &plan->sysctls[i];

		node += s->ns == SECURITY_SYSCTL_NS_NODE;
		fprintf(f, "%s%s=\"%s\" (%s)", i ? ", " : "", s->name, s->value,
		        s->ns == SECURITY_SYSCTL_NS_NODE  ? "the node's"
		        : s->ns == SECURITY_SYSCTL_NS_NET ? "the pod's network namespace"
		                                          : "the pod's IPC namespace");
	}
	fputs(node ? ". A sysctl is per namespace: the shim writes the pod's under /proc/sys in "
	             "its own namespaces before any container starts, so they change only the "
	             "pod's namespaces, never the node; one that no namespace of the pod holds is "
	             "the node's, and nanolet refuses the pod rather than write it."
	           : ". A sysctl is per namespace: the shim writes these under /proc/sys in the "
	             "pod's own namespaces before any container starts, so they change only the "
	             "pod's namespaces, never the node.",
	      f);
	if (fclose(f) != 0)
		return NULL;
	return TAKE_PTR(out);
}

static char *sentence_namespace(const struct plan *plan, const struct spec_pod *pod,
                                enum plan_ns ns)
{
	enum plan_ns_mode mode = plan->namespaces[ns].mode;

	switch (ns) {
	case PLAN_NS_PID:
		if (mode == PLAN_NS_HOST)
			return strdup("pid: " PLAN_WORDS_HOST_PID_NS
			              " (hostPID is true): " PLAN_WORDS_HOST_PID);
		if (mode == PLAN_NS_POD)
			return strdup("pid: " PLAN_WORDS_SHARED_PID_NS
			              " (shareProcessNamespace is true): " PLAN_WORDS_SHARED_PID);
		return strdup("pid: " PLAN_WORDS_OWN_PID " (hostPID is false).");
	case PLAN_NS_NET:
		if (mode == PLAN_NS_HOST)
			return strdup("net: " PLAN_WORDS_HOST_NET_NS
			              " (hostNetwork is true): " PLAN_WORDS_HOST_NET);
		return plan_sentence_network(plan);
	case PLAN_NS_IPC:
		if (mode == PLAN_NS_HOST)
			return strdup("ipc: " PLAN_WORDS_HOST_IPC_NS
			              " (hostIPC is true): " PLAN_WORDS_HOST_IPC);
		return strdup("ipc: " PLAN_WORDS_OWN_IPC " (hostIPC is false).");
	case PLAN_NS_UTS:
		if (mode == PLAN_NS_HOST)
			return strdup("uts: " PLAN_WORDS_HOST_UTS
			              " (hostNetwork is true); " PLAN_WORDS_HOST_UTS_RENAME ".");
		return strdupf("uts: " PLAN_WORDS_OWN_UTS ", with hostname \"%s\" (%s).",
		               plan->hostname,
		               pod->hostname            ? "spec.hostname"
		               : strlen(pod->name) > 63 ? "the pod's name, cut to 63 characters"
		                                        : "the pod's name");
	case PLAN_NS_USER:
		if (mode == PLAN_NS_POD && plan->userns_base)
			return strdupf(
			        "user: " PLAN_WORDS_USERNS_NS " (hostUsers is false): its ids 0-%d "
			        "are the node's unprivileged ids "
			        "%" PRIu32 "-%" PRIu32 " (uid_map and gid_map \"0 %" PRIu32
			        " %d\"), so uid 0 in a container is uid %" PRIu32
			        " on the node, and its capabilities reach only what the pod's "
			        "namespaces own, not the node.",
			        PLAN_USERNS_SIZE - 1, plan->userns_base,
			        plan->userns_base + PLAN_USERNS_SIZE - 1, plan->userns_base,
			        PLAN_USERNS_SIZE, plan->userns_base);
		if (mode == PLAN_NS_POD)
			return strdup("user: " PLAN_WORDS_USERNS_NS
			              " (hostUsers is false): " PLAN_WORDS_USERNS);
		return strdupf("user: " PLAN_WORDS_HOST_USERNS_NS
		               " (hostUsers is %s): " PLAN_WORDS_HOST_USERNS,
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
		return strdup(
		        "time: the pod uses the node's time namespace (a Pod has no field for "
		        "one): a time namespace (Linux 5.6) could only offset CLOCK_MONOTONIC "
		        "and CLOCK_BOOTTIME, so that uptime and timers start afresh, as a "
		        "restored container needs; wall-clock time (CLOCK_REALTIME) is one for "
		        "the whole node in any case, and setting it takes CAP_SYS_TIME, which "
		        "containerd's default set leaves out.");
	case PLAN_NS_COUNT:
		break;
	}
	return NULL;
}

/* ---- what a container may do ----------------------------------------------------------------- */

static bool has_cap(const struct plan_container *c, int cap)
{
	return c->security.capabilities.bounding & (UINT64_C(1) << cap);
}

static char *sentence_privileged(const struct plan *plan, const struct plan_container *c)
{
	return strdupf("privileged: container %s is privileged: " PLAN_WORDS_PRIVILEGED "%s.",
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
	                ? PLAN_WORDS_SYS_ADMIN
	                : "it cannot mount filesystems, nor enter or leave namespaces (no "
	                  "CAP_SYS_ADMIN)",
	        has_cap(c, CAP_SYS_PTRACE)
	                ? (plan->namespaces[PLAN_NS_PID].mode == PLAN_NS_HOST
	                           ? "with CAP_SYS_PTRACE and hostPID it can trace every process "
	                             "of the node and reach its namespaces through /proc"
	                           : PLAN_WORDS_SYS_PTRACE)
	                : "it cannot trace processes it does not own (no CAP_SYS_PTRACE)",
	        has_cap(c, CAP_NET_ADMIN)
	                ? (plan->namespaces[PLAN_NS_NET].mode == PLAN_NS_HOST
	                           ? "with CAP_NET_ADMIN and hostNetwork it can reconfigure the "
	                             "node's network"
	                           : PLAN_WORDS_NET_ADMIN)
	                : "it cannot reconfigure a network (no CAP_NET_ADMIN)",
	        has_cap(c, CAP_SYS_MODULE) && !userns ? PLAN_WORDS_SYS_MODULE
	                                              : "it cannot load kernel modules");
	seccomp = s->seccomp.kind == SECURITY_SECCOMP_UNCONFINED
	                  ? strdupf("no seccomp filter (Unconfined, %s): " PLAN_WORDS_UNCONFINED,
	                            s->seccomp.source)
	          : s->seccomp.kind == SECURITY_SECCOMP_LOCALHOST
	                  ? strdupf("the seccomp profile %s (Localhost, %s)",
	                            s->seccomp.localhost_path, s->seccomp.source)
	                  : strdupf("seccomp RuntimeDefault (%s), " PLAN_WORDS_RUNTIME_DEFAULT,
	                            s->seccomp.source);
	if (!what || !seccomp)
		return NULL;
	return strdupf(
	        "security: container %s runs as uid %" PRIu32 " with %s in its bounding set%s; "
	        "%s; %s. %s. Its /dev holds only null, zero, full, random, urandom, tty and its "
	        "own pts, and the devices controller refuses every other device, mknod included; "
	        "%s. %s%s%s%s",
	        c->name, c->process.uid, caps,
	        c->process.uid != 0 ? " (not uid 0, it holds none of them after exec)" : "",
	        seccomp, what,
	        c->process.no_new_privileges
	                ? "allowPrivilegeEscalation is false: " PLAN_WORDS_NO_NEW_PRIVS
	                : "allowPrivilegeEscalation is not false: " PLAN_WORDS_NEW_PRIVS,
	        strv_len(s->masked_paths) > 0 ? PLAN_WORDS_MASKED
	                                      : "procMount is Unmasked: /proc is not masked",
	        userns ? "uid 0 in it is an unprivileged id of the node (hostUsers is false): its "
	                 "capabilities reach only what the pod's user namespace owns"
	               : "uid 0 in it is root on the node (hostUsers is not false), held to the "
	                 "capabilities above",
	        s->refusal ? "; it will not be started: " : ".", s->refusal ? s->refusal : "",
	        /* the kubelet's message ends in a parenthesis: the sentence still ends */
	        s->refusal ? "." : "");
}

/* Where a container's uid, gid and groups come from, in the Pod's words. */
static void identity_sources(const struct spec_pod *pod, const struct spec_container *sc,
                             const struct plan_root *root, const char **uid, const char **gid)
{
	const struct spec_pod_security_context *psc = &pod->security_context;
	const struct spec_security_context *csc = &sc->security_context;
	bool image = root->kind == PLAN_ROOT_IMAGE;

	*uid = csc->run_as_user >= 0   ? "the container's runAsUser"
	       : psc->run_as_user >= 0 ? "the pod's runAsUser"
	       : !image ? "runAsUser is unset, and the plan does not know the image's user: root"
	       : root->image_id ? "runAsUser is unset: " PLAN_WORDS_IMAGE_USER
	                        : "runAsUser is unset: " PLAN_WORDS_IMAGE_USER_UNKNOWN;
	*gid = csc->run_as_group >= 0   ? "the container's runAsGroup"
	       : psc->run_as_group >= 0 ? "the pod's runAsGroup"
	       : image ? "runAsGroup is unset: the image user's group, else root's group"
	               : "runAsGroup is unset: " PLAN_WORDS_ROOT_GROUP;
}

/* A container whose root is an image: which image, its layers, its writable upper directory. */
static char *sentence_image(const struct plan *plan, const struct plan_container *c)
{
	bool userns = plan->namespaces[PLAN_NS_USER].mode != PLAN_NS_HOST;
	const struct plan_root *r = &c->root;
	_cleanup_free_ char *layers = NULL;

	if (!r->image_id)
		return strdupf(
		        "image: the root of container %s is the image %s, " PLAN_WORDS_NOT_PULLED
		        ".",
		        c->name, r->path);
	layers = strv_join(r->lowerdirs, ", ");
	if (!layers)
		return NULL;
	return strdupf("image: the root of container %s is the image %s (%s%s%s): its %zu "
	               "layer%s, top first, %s, " PLAN_WORDS_IMAGE_LAYERS
	               ", under a writable upper directory of its own, %s/upper, new at every run "
	               "and removed with the container: " PLAN_WORDS_IMAGE_UPPER "%s%s.",
	               c->name, r->image, r->image_id, r->repo_digest ? ", " : "",
	               r->repo_digest ? r->repo_digest : "", strv_len(r->lowerdirs),
	               strv_len(r->lowerdirs) == 1 ? "" : "s", layers, r->layer ? r->layer : "",
	               r->read_only ? ". readOnlyRootFilesystem is true: " PLAN_WORDS_READ_ONLY_ROOT
	                            : "",
	               userns ? ". " PLAN_WORDS_IMAGE_USERNS : "");
}

/* "100 (supplementalGroups) and 2000 (fsGroup, which also owns its volumes)"; "" for none. Its
 * own gid, the list's first, goes without saying. With base, each as the node id it is. */
static char *identity_groups(const struct plan_process *p, const struct spec_pod *pod,
                             uint32_t base)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	for (size_t i = 1; i < p->n_supplemental_groups; i++) {
		uint32_t g = p->supplemental_groups[i];
		bool fs = pod->security_context.fs_group >= 0 &&
		          (uint32_t)pod->security_context.fs_group == g,
		     listed = false;

		for (size_t j = 0; j < pod->security_context.n_supplemental_groups; j++)
			listed = listed ||
			         pod->security_context.supplemental_groups[j] == (int64_t)g;

		fprintf(f, "%s%" PRIu32,
		        i == 1                              ? ""
		        : i + 1 == p->n_supplemental_groups ? " and "
		                                            : ", ",
		        base ? base + g : g);
		if (!base)
			fprintf(f, " (%s)",
			        fs       ? PLAN_WORDS_FS_GROUP
			        : listed ? "supplementalGroups"
			                 : "the image's /etc/group lists its user in it");
	}
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

/* Who the container is, inside and on the node, and so which node files it can open: the
 * seed's "why does runAsUser: 1000 sometimes still not prevent access to a host file?" for
 * this pod. */
static char *sentence_identity(const struct plan *plan, const struct plan_container *c,
                               const struct spec_container *sc, const struct spec_pod *pod)
{
	const struct plan_process *p = &c->process;
	bool userns = plan->namespaces[PLAN_NS_USER].mode != PLAN_NS_HOST;
	uint32_t base = plan->userns_base;
	const char *uid_from, *gid_from;
	_cleanup_free_ char *groups = identity_groups(p, pod, 0), *node = NULL, *reach = NULL;
	_cleanup_free_ char *root = NULL;
	size_t reach_len = 0;
	FILE *f = open_memstream(&reach, &reach_len);

	if (!f)
		return NULL;
	identity_sources(pod, sc, &c->root, &uid_from, &gid_from);
	/* in one stream: a pod may mount thousands of volumes */
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];

		/* the pod's own volumes live under nanolet's state directory: only hostPath
		 * volumes are the node's own paths */
		if (!m->host_path)
			continue;
		fprintf(f, "%s%s at %s (%s)", reach_len ? ", " : "", m->source, m->destination,
		        strv_contains(m->options, "ro") ? "read-only" : "read-write");
		fflush(f);
	}
	if (fclose(f) != 0)
		reach = (free(reach), NULL);
	if (!groups || !reach)
		return NULL;

	if (userns && base) {
		_cleanup_free_ char *node_groups = identity_groups(p, pod, base);

		node = node_groups
		               ? strdupf("In the pod's user namespace these are node uid %" PRIu32
		                         " and gid %" PRIu32
		                         "%s%s (uid_map and gid_map \"0 %" PRIu32
		                         " %d\"): a node file owned by an id outside %" PRIu32
		                         "-%" PRIu32 " shows as nobody's (65534), so it gets only "
		                         "what the file's mode grants to others",
		                         base + p->uid, base + p->gid,
		                         *node_groups ? " and groups " : "", node_groups, base,
		                         PLAN_USERNS_SIZE, base, base + PLAN_USERNS_SIZE - 1)
		               : NULL;
	} else if (userns) {
		node = strdup(PLAN_WORDS_USERNS_IDS);
	} else if (p->uid == 0) {
		node = strdup(PLAN_WORDS_NODE_ROOT);
	} else {
		char uid[16];

		snprintf(uid, sizeof(uid), "%" PRIu32, p->uid);
		node = strdupf(PLAN_WORDS_NODE_IDS("%s") "%s", uid, uid,
		               p->gid == 0
		                       ? ", and gid 0 lets it into whatever root's group may read"
		                       : "");
	}
	root = c->root.kind == PLAN_ROOT_IMAGE
	               ? strdupf("Its root is the image %s, read-only under a writable layer of "
	                         "its own",
	                         c->root.image ? c->root.image : c->root.path)
	       : c->root.kind == PLAN_ROOT_PATH
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
	if (!node || !root)
		return NULL;
	return strdupf("identity: container %s runs as uid %" PRIu32 " (%s) and gid %" PRIu32
	               " (%s)%s%s. %s. %s. %s%s%s",
	               c->name, p->uid, uid_from, p->gid, gid_from,
	               *groups ? ", with supplementary groups " : "", groups, node, root,
	               *reach ? "Through hostPath volumes it reaches the node's "
	                      : "It reaches no node path through a hostPath volume",
	               reach, ".");
}

/* ---- boundary -------------------------------------------------------------------------------- */

/* Which isolation stops a hostile process, and what of it this pod gives up. */
static char *sentence_boundary(const struct plan *plan)
{
	_cleanup_free_ char *gaps = NULL;
	size_t size = 0, n = 0;
	FILE *f = open_memstream(&gaps, &size);
	static const enum plan_ns shared[] = {PLAN_NS_PID, PLAN_NS_NET, PLAN_NS_IPC};
	uint64_t base = security_caps_runtime_default();
	size_t n_host = 0;

	if (!f)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(shared); i++)
		n_host += plan->namespaces[shared[i]].mode == PLAN_NS_HOST;
	for (size_t i = 0, k = 0; i < ELEMENTSOF(shared); i++) {
		if (plan->namespaces[shared[i]].mode != PLAN_NS_HOST)
			continue;
		k++;
		fprintf(f, "%s%s",
		        k == 1        ? "it shares the node's "
		        : k == n_host ? " and "
		                      : ", ",
		        plan_ns_name(shared[i]));
	}
	if (n_host > 0) {
		fprintf(f, " %s", n_host == 1 ? "namespace" : "namespaces");
		n++;
	}
	for (size_t i = 0; i < plan->n_containers; i++) {
		const struct plan_container *c = &plan->containers[i];
		uint64_t extra = c->security.capabilities.bounding & ~base;
		_cleanup_strv_ char **names = security_caps_names(extra);
		_cleanup_free_ char *list = names ? strv_join(names, ", ") : NULL;

		if (!list)
			return fclose(f), NULL;
		if (c->security.privileged)
			fprintf(f, "%scontainer %s is privileged", n++ ? "; " : "", c->name);
		else if (extra)
			fprintf(f, "%scontainer %s holds %s beyond containerd's default",
			        n++ ? "; " : "", c->name, list);
		if (!c->security.privileged &&
		    c->security.seccomp.kind == SECURITY_SECCOMP_UNCONFINED)
			fprintf(f, "%scontainer %s has no seccomp filter", n++ ? "; " : "",
			        c->name);
	}
	if (plan->namespaces[PLAN_NS_USER].mode == PLAN_NS_HOST)
		fprintf(f,
		        "%sit has no user namespace, so uid 0 in a container is root on the node",
		        n++ ? "; " : "");
	if (fclose(f) != 0)
		return NULL;
	return strdupf("boundary: the cgroup limits above bound how much a noisy neighbour can "
	               "take, not what a malicious process can reach; what stops a hostile "
	               "process is its namespaces (what it can see), its capabilities and seccomp "
	               "filter (what it may ask of the kernel) and a user namespace (whether its "
	               "root is the node's) together, and %s%s.",
	               n ? "this pod weakens them: "
	                 : "this pod has all four: private namespaces, "
	                   "capabilities within containerd's default, "
	                   "a seccomp filter in every container and a "
	                   "user namespace",
	               n ? gaps : "");
}

/* ---- exec ------------------------------------------------------------------------------------ */

/* What an exec enters, in the seed's words: nsenter is setns into a process's namespaces, the
 * reverse of unshare. The namespaces named are the container's own and the pod's, not the
 * node's (those it is in already). */
static char *sentence_exec(const struct plan *plan)
{
	const struct plan_namespace *ns =
	        plan->n_containers ? plan->containers[0].namespaces : plan->namespaces;
	static const enum plan_ns order[] = {PLAN_NS_USER, PLAN_NS_MNT, PLAN_NS_PID,   PLAN_NS_NET,
	                                     PLAN_NS_IPC,  PLAN_NS_UTS, PLAN_NS_CGROUP};
	const char *names[ELEMENTSOF(order)];
	size_t n = 0;
	char list[128] = "";

	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		if (ns[order[i]].mode != PLAN_NS_HOST)
			names[n++] = plan_ns_name(order[i]);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s",
		         i == 0       ? ""
		         : i == n - 1 ? " and "
		                      : ", ",
		         names[i]);
	}
	return strdupf("exec: `kubectl exec` into a container is what nsenter does: setns into the "
	               "namespaces of the container's process (%s%s), the reverse of unshare, then "
	               "its cgroup, with its credentials, capabilities, no_new_privs and seccomp "
	               "filter, so the exec'd process sees and may do what the container's own "
	               "process may, and dies with it. Any process on the node with CAP_SYS_ADMIN "
	               "in the node's namespaces (root on the node, or a container that holds it "
	               "with hostPID) could make the same setns calls into this pod or any other: "
	               "namespaces isolate a pod from its neighbours, not from the node.",
	               n ? list : "none: it shares all of the node's", n ? " namespaces" : "");
}

/* The Pod Security Standards: the level the pod meets, and what the next one up refuses, in
 * pod-security-admission's words (plan_pss.c). */
static char *sentence_pod_security(const struct plan *plan)
{
	const struct plan_pod_security *ps = &plan->pod_security;
	char *out = NULL;
	size_t size = 0;
	FILE *f;

	if (ps->level == SECURITY_PSS_RESTRICTED)
		return strdup("pod security: the pod meets the Pod Security Standards' restricted "
		              "level (latest), the most hardened.");
	f = open_memstream(&out, &size);
	if (!f)
		return NULL;
	fprintf(f,
	        "pod security: the pod meets the Pod Security Standards' %s level%s (latest); %s "
	        "would refuse it: ",
	        security_pss_level_name(ps->level),
	        ps->level == SECURITY_PSS_PRIVILEGED ? " only" : "",
	        security_pss_level_name(ps->level + 1));
	for (size_t i = 0; i < ps->next.n; i++) {
		const struct security_pss_violation *v = &ps->next.violations[i];

		fprintf(f, "%s%s", i ? ", " : "", v->reason);
		if (v->detail && *v->detail)
			fprintf(f, " (%s)", v->detail);
	}
	fputc('.', f);
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

static int explain(const struct plan *plan, const struct spec_pod *pod,
                   const struct plan_config *config, char ***out)
{
	size_t n = 0;
	int r;

	*out = calloc(1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_containers; i++) {
		if (!plan->containers[i].security.privileged)
			continue;
		r = strv_append(&*out, &n, sentence_privileged(plan, &plan->containers[i]));
		if (r < 0)
			return r;
	}
	for (enum plan_ns ns = 0; ns < PLAN_NS_COUNT; ns++) {
		r = strv_append(&*out, &n, sentence_namespace(plan, pod, ns));
		if (r < 0)
			return r;
	}
	if (plan->n_sysctls > 0) {
		r = strv_append(&*out, &n, sentence_sysctls(plan));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < plan->n_containers; i++) {
		const struct plan_container *c = &plan->containers[i];
		const struct spec_container *sc = &pod->containers[i];
		char *sentences[] = {
		        plan_sentence_memory(plan, c, sc, config),
		        plan_sentence_cpu_limit(plan, c, sc),
		        plan_sentence_cpu_weight(plan, c, sc),
		        plan_sentence_io(plan, c),
		        sentence_security(plan, c),
		        sentence_identity(plan, c, sc, pod),
		};

		r = 0;
		if (c->root.kind == PLAN_ROOT_IMAGE)
			r = strv_append(&*out, &n, sentence_image(plan, c));
		for (size_t j = 0; j < ELEMENTSOF(sentences); j++)
			r |= r < 0 ? (free(sentences[j]), -ENOMEM)
			           : strv_append(&*out, &n, sentences[j]);
		if (r < 0)
			return -ENOMEM;
	}
	r = strv_append(&*out, &n, plan_sentence_pids(plan, pod, config));
	if (r < 0)
		return r;
	r = strv_append(&*out, &n, plan_sentence_qos(plan));
	if (r < 0)
		return r;
	r = strv_append(&*out, &n, sentence_boundary(plan));
	if (r < 0)
		return r;
	r = strv_append(&*out, &n, sentence_exec(plan));
	if (r < 0)
		return r;
	return strv_append(&*out, &n, sentence_pod_security(plan));
}

char **plan_explanation(const struct plan *plan, const struct spec_pod *pod,
                        const struct plan_config *config)
{
	char **lines = NULL;

	if (explain(plan, pod, config, &lines) < 0)
		return strv_free(lines), NULL;
	return lines;
}

int plan_explain(struct plan *plan, const struct spec_pod *pod, const struct plan_config *config)
{
	strv_free(plan->explanation);
	plan->explanation = plan_explanation(plan, pod, config);
	return plan->explanation ? 0 : -ENOMEM;
}
