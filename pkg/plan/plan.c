/* pkg/plan/plan.c: Pod -> IsolationPlan. plan_build() decides which namespaces the pod and its
 * containers get (and why), the hostname, each container's process (args, env, credentials),
 * root and mounts; plan_cgroup.c adds the cgroups, plan_explain.c the sentences.
 *
 * Pure: no syscalls, no clock, no globals. The only failure is -ENOMEM, after which nothing
 * built so far is left allocated. The Pod is already validated and defaulted by pkg/spec, so
 * nothing here refuses a Pod.
 */
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "plan_internal.h"

#define HOSTNAME_MAX     63 /* a DNS label, and the kernel's __NEW_UTS_LEN is 64 with the NUL */
#define DEFAULT_STATE    "/var/lib/nanolet"
#define UID_PLACEHOLDER  "<uid>"
#define EMPTY_DIR_PLUGIN "kubernetes.io~empty-dir" /* the kubelet's directory name */

const char *plan_ns_name(enum plan_ns ns)
{
	static const char *const names[PLAN_NS_COUNT] = {
	        [PLAN_NS_PID] = "pid",       [PLAN_NS_NET] = "net",   [PLAN_NS_IPC] = "ipc",
	        [PLAN_NS_UTS] = "uts",       [PLAN_NS_USER] = "user", [PLAN_NS_MNT] = "mnt",
	        [PLAN_NS_CGROUP] = "cgroup", [PLAN_NS_TIME] = "time",
	};
	return (unsigned)ns < PLAN_NS_COUNT ? names[ns] : "unknown";
}

const char *plan_ns_mode_name(enum plan_ns_mode mode)
{
	switch (mode) {
	case PLAN_NS_HOST:
		return "host";
	case PLAN_NS_POD:
		return "pod";
	case PLAN_NS_CONTAINER:
		return "container";
	}
	return "unknown";
}

const char *plan_cgroup_driver_name(enum plan_cgroup_driver driver)
{
	switch (driver) {
	case PLAN_CGROUP_V2:
		return "v2";
	case PLAN_CGROUP_V1:
		return "v1";
	}
	return "unknown";
}

/* ---- freeing ------------------------------------------------------------------------------ */

void plan_process_done(struct plan_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->supplemental_groups);
	*p = (struct plan_process){0};
}

void plan_mounts_free(struct plan_mount *mounts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (mounts[i].borrowed)
			continue;
		free(mounts[i].destination);
		free(mounts[i].type);
		free(mounts[i].source);
		strv_free(mounts[i].options);
	}
	free(mounts);
}

static void container_done(struct plan_container *c)
{
	free(c->name);
	free(c->cgroup.path);
	plan_process_done(&c->process);
	plan_root_done(&c->root);
	plan_security_done(&c->security);
	plan_mounts_free(c->mounts, c->n_mounts);
}

struct plan *plan_free(struct plan *plan)
{
	if (!plan)
		return NULL;
	free(plan->name);
	free(plan->namespace);
	free(plan->uid);
	free(plan->hostname);
	plan_pod_security_done(&plan->pod_security);
	free(plan->cgroup.path);
	for (size_t i = 0; i < plan->n_places; i++) {
		free(plan->places[i].hierarchy);
		free(plan->places[i].path);
	}
	free(plan->places);
	for (size_t i = 0; i < plan->n_containers; i++)
		container_done(&plan->containers[i]);
	free(plan->containers);
	for (size_t i = 0; i < plan->n_volumes; i++) {
		free(plan->volumes[i].name);
		free(plan->volumes[i].path);
		free(plan->volumes[i].host_path_type);
	}
	free(plan->volumes);
	free(plan->shm);
	for (size_t i = 0; i < plan->n_sysctls; i++) {
		free(plan->sysctls[i].name);
		free(plan->sysctls[i].value);
	}
	free(plan->sysctls);
	plan_network_done(plan);
	strv_free(plan->warnings);
	strv_free(plan->explanation);
	free(plan);
	return NULL;
}

/* ---- namespaces --------------------------------------------------------------------------- */

/* reason: a string constant (plan_namespace.reason) */
static void ns_set(struct plan_namespace *ns, enum plan_ns_mode mode, const char *reason)
{
	ns->mode = mode;
	ns->reason = reason;
}

static void pod_namespaces(struct plan *plan, const struct spec_pod *pod)
{
	struct plan_namespace *ns = plan->namespaces;

	if (pod->host_pid)
		ns_set(&ns[PLAN_NS_PID], PLAN_NS_HOST, "hostPID is true");
	else if (pod->share_process_namespace)
		ns_set(&ns[PLAN_NS_PID], PLAN_NS_POD,
		       "shareProcessNamespace is true: the shim is PID 1");
	else
		ns_set(&ns[PLAN_NS_PID], PLAN_NS_CONTAINER,
		       "hostPID and shareProcessNamespace are false (the default): each "
		       "container sees only its own processes");

	if (pod->host_network)
		ns_set(&ns[PLAN_NS_NET], PLAN_NS_HOST, "hostNetwork is true");
	else
		ns_set(&ns[PLAN_NS_NET], PLAN_NS_POD,
		       "hostNetwork is false (the default): the containers share the pod's "
		       "network namespace");

	if (pod->host_ipc)
		ns_set(&ns[PLAN_NS_IPC], PLAN_NS_HOST, "hostIPC is true");
	else
		ns_set(&ns[PLAN_NS_IPC], PLAN_NS_POD,
		       "hostIPC is false (the default): the containers share the pod's IPC "
		       "namespace");

	/* Kubernetes gives a hostNetwork pod the node's uts namespace too: its hostname is the
	 * node's. */
	if (pod->host_network)
		ns_set(&ns[PLAN_NS_UTS], PLAN_NS_HOST,
		       "hostNetwork is true: the pod uses the node's hostname");
	else if (pod->hostname)
		ns_set(&ns[PLAN_NS_UTS], PLAN_NS_POD,
		       "hostNetwork is false: the hostname is spec.hostname");
	else
		ns_set(&ns[PLAN_NS_UTS], PLAN_NS_POD,
		       "hostNetwork is false and spec.hostname is unset: the hostname is the "
		       "pod's name");

	if (pod->host_users == SPEC_BOOL_FALSE)
		ns_set(&ns[PLAN_NS_USER], PLAN_NS_POD,
		       "hostUsers is false: 65536 ids are mapped to unprivileged ids of the node");
	else if (pod->host_users == SPEC_BOOL_TRUE)
		ns_set(&ns[PLAN_NS_USER], PLAN_NS_HOST, "hostUsers is true");
	else
		ns_set(&ns[PLAN_NS_USER], PLAN_NS_HOST,
		       "hostUsers is unset: the default is the node's user namespace");

	ns_set(&ns[PLAN_NS_MNT], PLAN_NS_CONTAINER, "each container has a private mount namespace");
	ns_set(&ns[PLAN_NS_CGROUP], PLAN_NS_CONTAINER,
	       "each container has a cgroup namespace rooted at its own cgroup");
	ns_set(&ns[PLAN_NS_TIME], PLAN_NS_HOST,
	       "Kubernetes has no time namespace field: clocks are the node's");

	/* What the shim unshares. A new pid namespace applies to the shim's children; the
	 * runtime makes its first child PID 1 of it when shareProcessNamespace is set. */
	plan->clone_flags = 0;
	if (!pod->host_network)
		plan->clone_flags |= CLONE_NEWNET | CLONE_NEWUTS;
	if (!pod->host_ipc)
		plan->clone_flags |= CLONE_NEWIPC;
	if (pod->host_users == SPEC_BOOL_FALSE)
		plan->clone_flags |= CLONE_NEWUSER;
	if (ns[PLAN_NS_PID].mode == PLAN_NS_POD)
		plan->clone_flags |= CLONE_NEWPID;
}

static void container_namespaces(struct plan_container *c, const struct plan *plan)
{
	for (size_t i = 0; i < PLAN_NS_COUNT; i++)
		c->namespaces[i] = plan->namespaces[i];
	c->clone_flags = CLONE_NEWNS | CLONE_NEWCGROUP;
	if (c->namespaces[PLAN_NS_PID].mode == PLAN_NS_CONTAINER)
		c->clone_flags |= CLONE_NEWPID;
}

static int pod_hostname(struct plan *plan, const struct spec_pod *pod)
{
	size_t len;

	if (pod->host_network) {
		plan->hostname = NULL;
		if (pod->hostname)
			return strv_push(
			        &plan->warnings,
			        strdupf("spec.hostname \"%s\" is ignored: hostNetwork uses "
			                "the node's hostname",
			                pod->hostname));
		return 0;
	}
	if (pod->hostname) {
		plan->hostname = strdup(pod->hostname);
		return plan->hostname ? 0 : -ENOMEM;
	}
	/* The kubelet's default: the pod name cut to 63 characters. A cut can leave a '-' or
	 * '.' at the end, which no DNS label may end with, so those are trimmed as well. */
	len = strnlen(pod->name, HOSTNAME_MAX);
	while (len > 0 && (pod->name[len - 1] == '-' || pod->name[len - 1] == '.'))
		len--;
	plan->hostname = strndup(pod->name, len);
	return plan->hostname ? 0 : -ENOMEM;
}

/* ---- process ------------------------------------------------------------------------------ */

static bool env_has(const struct spec_container *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_env; i++)
		if (strcmp(sc->env[i].name, name) == 0)
			return true;
	return false;
}

static int process_env(struct plan_process *p, const struct spec_container *sc,
                       const struct plan *plan)
{
	_cleanup_(name_index_done) struct name_index names = {0};
	_cleanup_free_ const char **list = calloc(sc->n_env ? sc->n_env : 1, sizeof(*list));
	_cleanup_free_ size_t *slot = calloc(sc->n_env ? sc->n_env : 1, sizeof(*slot));
	size_t n;
	int r;

	p->env = calloc(1, sizeof(char *));
	if (!p->env || !list || !slot)
		return -ENOMEM;
	/* names looked up in an index: a body may carry 30000 of them */
	for (size_t i = 0; i < sc->n_env; i++)
		list[i] = sc->env[i].name;
	if (name_index_build(&names, list, sc->n_env) < 0)
		return -ENOMEM;
	if (!env_has(sc, "PATH")) {
		r = strv_push(&p->env, strdup("PATH=" PLAN_DEFAULT_PATH));
		if (r < 0)
			return r;
	}
	/* The node's hostname is not known to the plan, so a hostNetwork pod gets no HOSTNAME;
	 * a HOSTNAME of the Pod's own wins, as with container runtimes. */
	if (plan->hostname && !env_has(sc, "HOSTNAME")) {
		r = strv_pushf(&p->env, "HOSTNAME=%s", plan->hostname);
		if (r < 0)
			return r;
	}
	n = strv_len(p->env);
	for (size_t i = 0; i < sc->n_env; i++) {
		char *s = strdupf("%s=%s", sc->env[i].name, sc->env[i].value);
		ssize_t first = name_index_first(&names, sc->env[i].name);

		if (!s)
			return -ENOMEM;
		/* A name given twice: the last value wins in the first one's place, as
		 * containerd and CRI-O do (getenv() would otherwise see the first). */
		if (first >= 0 && (size_t)first < i) {
			free(p->env[slot[first]]);
			p->env[slot[first]] = s;
			continue;
		}
		slot[i] = n;
		r = strv_append(&p->env, &n, s);
		if (r < 0)
			return r;
	}
	return 0;
}

static void add_group(struct plan_process *p, uint32_t gid)
{
	for (size_t i = 0; i < p->n_supplemental_groups; i++)
		if (p->supplemental_groups[i] == gid)
			return;
	p->supplemental_groups[p->n_supplemental_groups++] = gid;
}

int plan_process_groups(struct plan_process *p, const struct spec_pod *pod, const uint32_t *extra,
                        size_t n_extra)
{
	const struct spec_pod_security_context *psc = &pod->security_context;
	uint32_t *groups = calloc(1 + psc->n_supplemental_groups + 1 + n_extra, sizeof(*groups));

	if (!groups)
		return -ENOMEM;
	free(p->supplemental_groups);
	p->supplemental_groups = groups;
	p->n_supplemental_groups = 0;
	add_group(p, p->gid);
	for (size_t i = 0; i < psc->n_supplemental_groups; i++)
		add_group(p, (uint32_t)psc->supplemental_groups[i]);
	if (psc->fs_group >= 0)
		add_group(p, (uint32_t)psc->fs_group);
	for (size_t i = 0; i < n_extra; i++)
		add_group(p, extra[i]);
	return 0;
}

int plan_container_process(struct plan_process *p, const struct spec_container *sc,
                           const struct spec_pod *pod, const struct plan *plan)
{
	const struct spec_security_context *csc = &sc->security_context;
	const struct spec_pod_security_context *psc = &pod->security_context;
	size_t n_args;
	int r;

	/* An image's container without a command: its process is empty until the image's
	 * Entrypoint and Cmd are known (plan_container_apply_image). */
	p->args = strv_copy(sc->command);
	if (!p->args)
		return -ENOMEM;
	n_args = strv_len(p->args);
	for (size_t i = 0; n_args > 0 && sc->args && sc->args[i]; i++) {
		r = strv_append(&p->args, &n_args, strdup(sc->args[i]));
		if (r < 0)
			return r;
	}

	r = process_env(p, sc, plan);
	if (r < 0)
		return r;

	p->cwd = strdup(sc->working_dir && *sc->working_dir ? sc->working_dir : "/");
	if (!p->cwd)
		return -ENOMEM;

	/* The container's securityContext wins over the pod's; neither: root, until an image's
	 * user is known (plan_container_apply_image). */
	p->uid = (uint32_t)(csc->run_as_user >= 0   ? csc->run_as_user
	                    : psc->run_as_user >= 0 ? psc->run_as_user
	                                            : 0);
	p->gid = (uint32_t)(csc->run_as_group >= 0   ? csc->run_as_group
	                    : psc->run_as_group >= 0 ? psc->run_as_group
	                                             : 0);

	r = plan_process_groups(p, pod, NULL, 0);
	if (r < 0)
		return r;

	/* Kubernetes sets no_new_privs only when allowPrivilegeEscalation is false; unset is
	 * not false. */
	p->no_new_privileges = csc->allow_privilege_escalation == SPEC_BOOL_FALSE;
	return 0;
}

/* ---- root and mounts ---------------------------------------------------------------------- */

/* "<dir>/<rel>" with one '/' between them. */
static char *path_join(const char *dir, const char *rel)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	while (*rel == '/')
		rel++;
	if (len == 1 && dir[0] == '/')
		return strdupf("/%s", rel);
	return strdupf("%.*s/%s", (int)len, dir, rel);
}

/* Any other name is an image reference, as the spec wrote it: its layers are known once it
 * is on the node (plan_container_apply_image). */
static int container_root(struct plan_root *root, const struct spec_container *sc)
{
	const char *image = sc->image ? sc->image : "";

	if (image[0] == '\0' || strcmp(image, "host") == 0) {
		root->kind = PLAN_ROOT_HOST;
		root->path = strdup("/");
	} else if (image[0] == '/') {
		root->kind = PLAN_ROOT_PATH;
		root->path = strdup(image);
	} else {
		root->kind = PLAN_ROOT_IMAGE;
		root->path = strdup(image);
	}
	root->read_only = sc->security_context.read_only_root_filesystem == SPEC_BOOL_TRUE;
	return root->path ? 0 : -ENOMEM;
}

static const struct spec_volume *volume_find(const struct spec_pod *pod,
                                             const struct name_index *volumes, const char *name)
{
	ssize_t i = name_index_first(volumes, name);

	return i >= 0 ? &pod->volumes[i] : NULL;
}

int plan_mount_add(struct plan_container *c, const char *destination, const char *type,
                   char *source, char **options)
{
	struct plan_mount *m;

	if (util_reserve(&c->mounts, c->n_mounts, sizeof(*m)) < 0) {
		free(source);
		strv_free(options);
		return -ENOMEM;
	}
	m = &c->mounts[c->n_mounts++];
	*m = (struct plan_mount){.source = source, .options = options};
	m->destination = strdup(destination);
	m->type = strdup(type);
	if (!source || !options || !m->destination || !m->type)
		return -ENOMEM;
	return 0;
}

/* Appends s to a mount's option list. On failure the whole list is freed and set to NULL,
 * which mount_add() turns into -ENOMEM; so calls can be chained without checks. */
static void option_push(char ***o, char *s)
{
	if (!*o) {
		free(s);
		return;
	}
	if (strv_push(o, s) < 0)
		*o = (strv_free(*o), NULL);
}

static char **options_new(const char *const *literals)
{
	char **o = calloc(1, sizeof(char *));

	for (size_t i = 0; literals[i]; i++)
		option_push(&o, strdup(literals[i]));
	return o;
}

/* The node's directory of a volume: the kubelet's layout for emptyDir, the path for hostPath. */
static char *volume_dir(const struct spec_volume *v, const struct plan *plan, const char *state_dir)
{
	_cleanup_free_ char *pods = NULL, *pod_dir = NULL;

	if (v->type != SPEC_VOLUME_EMPTY_DIR)
		return strdup(v->path);
	pods = path_join(state_dir, "pods");
	pod_dir = pods ? path_join(pods, plan->uid) : NULL;
	return pod_dir ? strdupf("%s/volumes/" EMPTY_DIR_PLUGIN "/%s", pod_dir, v->name) : NULL;
}

/* Every volume is a directory on the node, bind-mounted into each container that mounts it, so
 * containers of one pod share it. A Memory emptyDir is one tmpfs mounted at that directory
 * (pod volumes), not a tmpfs per container. */
static int volume_mount(struct plan_container *c, const struct spec_volume_mount *vm,
                        const struct spec_volume *v, const struct plan *plan, const char *state_dir)
{
	static const char *const ro[] = {"rbind", "rprivate", "ro", NULL};
	static const char *const rw[] = {"rbind", "rprivate", NULL};
	_cleanup_free_ char *dir = volume_dir(v, plan, state_dir);
	char *source;
	int r;

	if (!dir)
		return -ENOMEM;
	source = vm->sub_path && *vm->sub_path ? path_join(dir, vm->sub_path) : strdup(dir);
	r = plan_mount_add(c, vm->mount_path, "bind", source, options_new(vm->read_only ? ro : rw));
	if (r >= 0)
		c->mounts[c->n_mounts - 1].host_path = v->type == SPEC_VOLUME_HOST_PATH;
	return r;
}

static int pod_volumes(struct plan *plan, const struct spec_pod *pod, const char *state_dir)
{
	if (pod->n_volumes == 0)
		return 0;
	plan->volumes = calloc(pod->n_volumes, sizeof(*plan->volumes));
	if (!plan->volumes)
		return -ENOMEM;
	for (size_t i = 0; i < pod->n_volumes; i++) {
		const struct spec_volume *v = &pod->volumes[i];
		struct plan_volume *pv = &plan->volumes[plan->n_volumes];

		if (v->type == SPEC_VOLUME_UNSUPPORTED)
			continue; /* decoding warned */
		plan->n_volumes++;
		pv->name = strdup(v->name);
		pv->type = v->type;
		pv->path = volume_dir(v, plan, state_dir);
		pv->memory = v->medium && strcmp(v->medium, "Memory") == 0;
		pv->size_limit = v->size_limit;
		pv->host_path_type = strdup(v->path_type ? v->path_type : "");
		if (!pv->name || !pv->path || !pv->host_path_type)
			return -ENOMEM;
	}
	return 0;
}

static int container_mounts(struct plan_container *c, const struct spec_container *sc,
                            const struct spec_pod *pod, const struct name_index *volumes,
                            struct plan *plan, const char *state_dir)
{
	int r;

	r = plan_system_mounts(c, sc, plan);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sc->n_volume_mounts; i++) {
		const struct spec_volume_mount *vm = &sc->volume_mounts[i];
		const struct spec_volume *v = volume_find(pod, volumes, vm->name);

		/* Unsupported volumes were reported by decoding; validation guarantees the
		 * name resolves. */
		if (!v || v->type == SPEC_VOLUME_UNSUPPORTED)
			continue;
		r = volume_mount(c, vm, v, plan, state_dir);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the plan ----------------------------------------------------------------------------- */

/* The sysctls in dots form, the form the kubelet hands the runtime (NormalizeName). */
static int pod_sysctls(struct plan *plan, const struct spec_pod *pod)
{
	const struct spec_pod_security_context *sc = &pod->security_context;

	if (sc->n_sysctls == 0)
		return 0;
	plan->sysctls = calloc(sc->n_sysctls, sizeof(*plan->sysctls));
	if (!plan->sysctls)
		return -ENOMEM;
	for (size_t i = 0; i < sc->n_sysctls; i++) {
		struct plan_sysctl *s = &plan->sysctls[plan->n_sysctls++];

		s->name = security_sysctl_normalize(sc->sysctls[i].name);
		s->value = strdup(sc->sysctls[i].value);
		if (!s->name || !s->value)
			return -ENOMEM;
		s->ns = security_sysctl_namespace(s->name);
	}
	return 0;
}

static int build(struct plan *plan, const struct spec_pod *pod, const struct plan_config *config,
                 char *const *warnings)
{
	const char *state_dir =
	        config->state_dir && *config->state_dir ? config->state_dir : DEFAULT_STATE;
	_cleanup_(name_index_done) struct name_index volumes = {0};
	_cleanup_free_ const char **names =
	        calloc(pod->n_volumes ? pod->n_volumes : 1, sizeof(*names));
	int r;

	/* each mount finds its volume in an index of them */
	for (size_t i = 0; names && i < pod->n_volumes; i++)
		names[i] = pod->volumes[i].name;
	if (!names || name_index_build(&volumes, names, pod->n_volumes) < 0)
		return -ENOMEM;
	plan->warnings = strv_copy(warnings);
	plan->name = strdup(pod->name);
	plan->namespace = strdup(pod->namespace ? pod->namespace : "default");
	plan->uid = strdup(config->pod_uid ? config->pod_uid : UID_PLACEHOLDER);
	if (!plan->warnings || !plan->name || !plan->namespace || !plan->uid)
		return -ENOMEM;
	plan->qos = spec_pod_qos(pod);
	plan->driver = config->driver;
	plan->memory_qos = config->memory_qos;
	if (pod->host_users == SPEC_BOOL_FALSE)
		plan->userns_base = config->userns_base;

	pod_namespaces(plan, pod);
	r = pod_hostname(plan, pod);
	if (r < 0)
		return r;
	r = pod_sysctls(plan, pod);
	if (r < 0)
		return r;
	r = plan_network_build(plan, pod, config);
	if (r < 0)
		return r;

	/* the pod's /dev/shm, beside its other run-time files */
	if (!pod->host_ipc) {
		plan->shm = strdupf("%s/pods/%s/shm", plan_run_dir(config), plan->uid);
		if (!plan->shm)
			return -ENOMEM;
	}
	if (pod->n_containers > 0) {
		plan->containers = calloc(pod->n_containers, sizeof(*plan->containers));
		if (!plan->containers)
			return -ENOMEM;
		plan->n_containers = pod->n_containers;
	}
	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct spec_container *sc = &pod->containers[i];
		struct plan_container *c = &plan->containers[i];

		c->name = strdup(sc->name);
		if (!c->name)
			return -ENOMEM;
		container_namespaces(c, plan);
		r = plan_container_process(&c->process, sc, pod, plan);
		if (r < 0)
			return r;
		r = container_root(&c->root, sc);
		if (r < 0)
			return r;
		r = plan_root_layer(&c->root, pod, plan, c->name, config, state_dir);
		if (r < 0)
			return r;
		r = plan_container_security(c, sc, pod, plan, i, config, state_dir);
		if (r < 0)
			return r;
		r = container_mounts(c, sc, pod, &volumes, plan, state_dir);
		if (r < 0)
			return r;
	}

	r = pod_volumes(plan, pod, state_dir);
	if (r < 0)
		return r;
	r = plan_host_path_warnings(plan, pod, config, state_dir);
	if (r < 0)
		return r;
	r = plan_cgroups_build(plan, pod, config);
	if (r < 0)
		return r;
	r = plan_pod_security(pod->object, &plan->pod_security);
	if (r < 0)
		return r;
	return plan_explain(plan, pod, config);
}

int plan_build(const struct spec_pod *pod, const struct plan_config *config, char *const *warnings,
               struct plan **out)
{
	_cleanup_plan_ struct plan *plan = calloc(1, sizeof(*plan));
	int r;

	if (!plan)
		return -ENOMEM;
	r = build(plan, pod, config, warnings);
	if (r < 0)
		return -ENOMEM;
	*out = TAKE_PTR(plan);
	return 0;
}
