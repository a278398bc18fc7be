/* pkg/runtime/shim_config.c: reads <run dir>/shim.json into struct shim_config, including the
 * parts of the IsolationPlan JSON (plan_to_json) that the shim acts on: the pod's clone flags
 * and hostname, each container's clone flags, process, root and mounts; and what the pod's
 * /etc/hosts and /etc/resolv.conf are made of (its address, host domain, aliases).
 *
 * It only reads and checks shapes; it must not decide policy (that is pkg/plan's) nor touch the
 * system beyond reading the one file.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "shim.h"

static const struct {
	const char *name;
	unsigned long flag;
} clone_flags[] = {
        {"CLONE_NEWNS", CLONE_NEWNS},     {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
        {"CLONE_NEWUTS", CLONE_NEWUTS},   {"CLONE_NEWIPC", CLONE_NEWIPC},
        {"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWPID", CLONE_NEWPID},
        {"CLONE_NEWNET", CLONE_NEWNET},
};

static int bad(struct nano_err *err, const char *what)
{
	return nano_err_set(err, EBADMSG, "shim.json: %s", what);
}

static int read_flags(json_t *a, unsigned long *out, struct nano_err *err)
{
	size_t i;
	json_t *v;

	*out = 0;
	if (!json_is_array(a))
		return bad(err, "cloneFlags is not an array");
	json_array_foreach(a, i, v)
	{
		size_t k;

		for (k = 0; k < ELEMENTSOF(clone_flags); k++)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), clone_flags[k].name) == 0)
				break;
		if (k == ELEMENTSOF(clone_flags))
			return bad(err, "unknown clone flag");
		*out |= clone_flags[k].flag;
	}
	return 0;
}

/* A NULL-terminated copy of an array of strings; NULL (and *r) on a bad shape or ENOMEM. */
static char **read_strv(json_t *a, int *r)
{
	_cleanup_strv_ char **l = calloc(1, sizeof(char *));
	size_t i;
	json_t *v;

	*r = -ENOMEM;
	if (!l)
		return NULL;
	*r = -EBADMSG;
	if (!json_is_array(a))
		return NULL;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return NULL;
		*r = strv_push(&l, strdup(json_string_value(v)));
		if (*r < 0)
			return NULL;
	}
	*r = 0;
	return TAKE_PTR(l);
}

static char *dup_string(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static int read_process(json_t *p, struct plan_process *out, struct nano_err *err)
{
	json_t *groups = json_object_get(p, "supplementalGroups"), *v;
	int r;
	size_t i;

	/* empty for an image's container not resolved yet (read_container) */
	out->args = read_strv(json_object_get(p, "args"), &r);
	if (!out->args)
		return bad(err, "process.args is missing");
	out->env = read_strv(json_object_get(p, "env"), &r);
	if (!out->env)
		return bad(err, "process.env");
	out->cwd = dup_string(p, "cwd");
	if (!out->cwd || !json_is_integer(json_object_get(p, "uid")) ||
	    !json_is_integer(json_object_get(p, "gid")))
		return bad(err, "process.cwd, uid or gid");
	out->uid = (uint32_t)json_integer_value(json_object_get(p, "uid"));
	out->gid = (uint32_t)json_integer_value(json_object_get(p, "gid"));
	out->no_new_privileges = json_is_true(json_object_get(p, "noNewPrivileges"));
	if (!json_is_array(groups))
		return bad(err, "process.supplementalGroups");
	out->supplemental_groups = calloc(json_array_size(groups) + 1, sizeof(uint32_t));
	if (!out->supplemental_groups)
		return -ENOMEM;
	json_array_foreach(groups, i, v)
	{
		if (!json_is_integer(v))
			return bad(err, "process.supplementalGroups");
		out->supplemental_groups[out->n_supplemental_groups++] =
		        (uint32_t)json_integer_value(v);
	}
	return 0;
}

static int read_root(json_t *root, struct plan_root *out, struct nano_err *err)
{
	const char *kind = json_string_value(json_object_get(root, "kind"));
	json_t *hidden = json_object_get(root, "hidden"), *layers;
	int r;

	if (!kind)
		return bad(err, "root.kind");
	out->kind = strcmp(kind, "host") == 0   ? PLAN_ROOT_HOST
	            : strcmp(kind, "path") == 0 ? PLAN_ROOT_PATH
	                                        : PLAN_ROOT_IMAGE;
	out->path = dup_string(root, "path");
	out->read_only = json_is_true(json_object_get(root, "readOnly"));
	out->layer = dup_string(root, "layer");
	if (hidden && !(out->hidden = read_strv(hidden, &r)))
		return bad(err, "root.hidden");
	if (!out->path)
		return bad(err, "root.path");
	if (out->kind != PLAN_ROOT_IMAGE)
		return 0;
	/* an image: its layers once resolved (plan_container_apply_image), null before */
	layers = json_object_get(root, "layers");
	if (json_is_null(layers) || !layers)
		return 0;
	out->image = dup_string(root, "image");
	out->image_id = dup_string(root, "imageID");
	out->repo_digest = dup_string(root, "repoDigest");
	if (!(out->lowerdirs = read_strv(layers, &r)) || !out->lowerdirs[0])
		return bad(err, "root.layers");
	return 0;
}

static int read_caps(json_t *names, uint64_t *out, struct nano_err *err)
{
	size_t i;
	json_t *v;

	*out = 0;
	if (!json_is_array(names))
		return bad(err, "security.capabilities");
	json_array_foreach(names, i, v)
	{
		int cap = security_cap_from_name(json_string_value(v));

		if (cap < 0)
			return bad(err, "security.capabilities: unknown capability");
		*out |= UINT64_C(1) << cap;
	}
	return 0;
}

static int read_security(json_t *s, struct shim_container *c, struct nano_err *err)
{
	struct plan_security *out = &c->security;
	json_t *caps = json_object_get(s, "capabilities"), *seccomp = json_object_get(s, "seccomp");
	json_t *devices = json_object_get(s, "devices"), *d;
	const char *type = json_string_value(json_object_get(seccomp, "type"));
	size_t i;
	int r = 0;

	if (!json_is_object(s) || !json_is_array(devices))
		return bad(err, "security");
	out->privileged = json_is_true(json_object_get(s, "privileged"));
	r = read_caps(json_object_get(caps, "bounding"), &out->capabilities.bounding, err);
	if (r >= 0)
		r = read_caps(json_object_get(caps, "effective"), &out->capabilities.effective,
		              err);
	if (r >= 0)
		r = read_caps(json_object_get(caps, "permitted"), &out->capabilities.permitted,
		              err);
	if (r >= 0)
		r = read_caps(json_object_get(caps, "inheritable"), &out->capabilities.inheritable,
		              err);
	if (r >= 0)
		r = read_caps(json_object_get(caps, "ambient"), &out->capabilities.ambient, err);
	if (r < 0)
		return r;
	if (!type)
		return bad(err, "security.seccomp.type");
	for (int k = 0; k <= SECURITY_SECCOMP_LOCALHOST; k++)
		if (strcmp(type, security_seccomp_kind_name(k)) == 0)
			out->seccomp.kind = k;
	out->seccomp.localhost_path = dup_string(seccomp, "localhostProfile");
	if (out->seccomp.kind == SECURITY_SECCOMP_LOCALHOST && !out->seccomp.localhost_path)
		return bad(err, "security.seccomp.localhostProfile");
	out->masked_paths = read_strv(json_object_get(s, "maskedPaths"), &r);
	if (!out->masked_paths)
		return bad(err, "security.maskedPaths");
	out->read_only_paths = read_strv(json_object_get(s, "readOnlyPaths"), &r);
	if (!out->read_only_paths)
		return bad(err, "security.readOnlyPaths");
	c->device_nodes = calloc(1, sizeof(char *));
	if (!c->device_nodes)
		return -ENOMEM;
	if (out->seccomp.kind == SECURITY_SECCOMP_RUNTIME_DEFAULT &&
	    !(c->runtime_default = calloc(1, sizeof(*c->runtime_default))))
		return -ENOMEM;
	json_array_foreach(devices, i, d)
	{
		const char *path = json_string_value(json_object_get(d, "path"));

		if (path && (r = strv_push(&c->device_nodes, strdup(path))) < 0)
			return r;
	}
	return 0;
}

static int read_mounts(json_t *a, struct shim_container *c, struct nano_err *err)
{
	size_t i;
	json_t *m;
	int r;

	if (!json_is_array(a))
		return bad(err, "mounts");
	c->mounts = calloc(json_array_size(a) + 1, sizeof(*c->mounts));
	if (!c->mounts)
		return -ENOMEM;
	json_array_foreach(a, i, m)
	{
		struct plan_mount *pm = &c->mounts[c->n_mounts++];

		pm->destination = dup_string(m, "destination");
		pm->type = dup_string(m, "type");
		pm->source = dup_string(m, "source");
		pm->options = read_strv(json_object_get(m, "options"), &r);
		if (!pm->destination || pm->destination[0] != '/' || !pm->type || !pm->source ||
		    !pm->options)
			return bad(err, "a mount lacks destination, type, source or options");
	}
	return 0;
}

/* One plan container and its entry in shim.json's containers[] (matched by name). */
static int read_container(json_t *pc, json_t *entries, struct shim_container *c,
                          struct nano_err *err)
{
	json_t *entry = NULL, *v;
	size_t i;
	int r;

	c->name = dup_string(pc, "name");
	if (!c->name)
		return bad(err, "a plan container has no name");
	json_array_foreach(entries, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));

		if (name && strcmp(name, c->name) == 0)
			entry = v;
	}
	if (!entry)
		return nano_err_set(err, EBADMSG, "shim.json: no containers[] entry for %s",
		                    c->name);
	r = read_flags(json_object_get(pc, "cloneFlags"), &c->clone_flags, err);
	if (r < 0)
		return r;
	r = read_process(json_object_get(pc, "process"), &c->process, err);
	if (r < 0)
		return r;
	r = read_root(json_object_get(pc, "root"), &c->root, err);
	if (r < 0)
		return r;
	if (!c->process.args[0] && c->root.kind != PLAN_ROOT_IMAGE)
		return bad(err, "process.args is empty");
	r = read_security(json_object_get(pc, "security"), c, err);
	if (r < 0)
		return r;
	r = read_mounts(json_object_get(pc, "mounts"), c, err);
	if (r < 0)
		return r;
	c->cgroup_procs = read_strv(json_object_get(entry, "cgroupProcs"), &r);
	if (!c->cgroup_procs)
		return bad(err, "containers[].cgroupProcs");
	c->cgroup_dir = dup_string(entry, "cgroupDir");
	c->log_dir = dup_string(entry, "logDir");
	if (!c->log_dir)
		return bad(err, "containers[].logDir");
	/* absent in the shim.json of a daemon older than termination messages */
	c->termination_message_path = dup_string(entry, "terminationMessagePath");
	if (c->termination_message_path && c->termination_message_path[0] != '/')
		return bad(err, "containers[].terminationMessagePath is not absolute");
	return 0;
}

/* plan.pod.sysctls: [{name, value, namespace}] (plan_json.c). */
static int read_sysctls(json_t *a, struct shim_config *c, struct nano_err *err)
{
	static const enum security_sysctl_ns all[] = {
	        SECURITY_SYSCTL_NS_NET, SECURITY_SYSCTL_NS_IPC, SECURITY_SYSCTL_NS_NODE};
	json_t *v;
	size_t i;

	if (!a)
		return 0; /* a plan older than sysctls */
	if (!json_is_array(a))
		return bad(err, "plan.pod.sysctls is not an array");
	c->sysctls = calloc(json_array_size(a) + 1, sizeof(*c->sysctls));
	if (!c->sysctls)
		return -ENOMEM;
	json_array_foreach(a, i, v)
	{
		struct plan_sysctl *s = &c->sysctls[c->n_sysctls++];
		const char *ns = json_string_value(json_object_get(v, "namespace"));
		size_t k;

		s->name = dup_string(v, "name");
		s->value = dup_string(v, "value");
		if (!s->name || !s->value || !ns)
			return bad(err, "a sysctl needs name, value and namespace");
		for (k = 0; k < ELEMENTSOF(all); k++)
			if (strcmp(ns, security_sysctl_ns_name(all[k])) == 0)
				break;
		if (k == ELEMENTSOF(all))
			return bad(err, "unknown sysctl namespace");
		s->ns = all[k];
	}
	return 0;
}

/* "podIP" (written by the pod network: absent for a hostNetwork pod), "hostDomain",
 * "hostAliases" and "resolvConf" (written by the daemon). */
static int read_host_files(json_t *doc, struct shim_config *c, struct nano_err *err)
{
	json_t *ip = json_object_get(doc, "podIP"), *aliases = json_object_get(doc, "hostAliases");
	struct in_addr addr;
	size_t i;
	json_t *v;
	int r;

	if (ip && !json_is_null(ip) &&
	    (!json_is_string(ip) || inet_pton(AF_INET, json_string_value(ip), &addr) != 1))
		return bad(err, "podIP is not a dotted quad");
	c->pod_ip = dup_string(doc, "podIP");
	c->host_domain = dup_string(doc, "hostDomain");
	c->resolv_conf = dup_string(doc, "resolvConf");
	if (!aliases)
		return 0;
	if (!json_is_array(aliases))
		return bad(err, "hostAliases is not an array");
	c->host_aliases = calloc(json_array_size(aliases) + 1, sizeof(*c->host_aliases));
	if (!c->host_aliases)
		return -ENOMEM;
	json_array_foreach(aliases, i, v)
	{
		struct spec_host_alias *h = &c->host_aliases[c->n_host_aliases++];

		h->ip = dup_string(v, "ip");
		h->hostnames = read_strv(json_object_get(v, "hostnames"), &r);
		if (!h->ip || !h->hostnames)
			return bad(err, "hostAliases[] needs ip and hostnames");
	}
	return 0;
}

static int read_config(json_t *doc, struct shim_config *c, struct nano_err *err)
{
	json_t *plan = json_object_get(doc, "plan"), *pod = json_object_get(plan, "pod");
	json_t *containers = json_object_get(plan, "containers");
	json_t *entries = json_object_get(doc, "containers");
	json_t *userns = json_object_get(doc, "userns");
	int r;

	c->uid = dup_string(doc, "uid");
	c->name = dup_string(doc, "name");
	c->namespace = dup_string(doc, "namespace");
	if (!c->uid || !c->name || !c->namespace)
		return bad(err, "uid, name or namespace is missing");
	if (!json_is_object(pod) || !json_is_array(containers) || !json_is_array(entries))
		return bad(err, "plan.pod, plan.containers or containers is missing");
	r = read_flags(json_object_get(pod, "cloneFlags"), &c->clone_flags, err);
	if (r < 0)
		return r;
	c->hostname = dup_string(pod, "hostname");
	r = read_sysctls(json_object_get(pod, "sysctls"), c, err);
	if (r < 0)
		return r;
	c->infra_procs = read_strv(json_object_get(doc, "infraProcs"), &r);
	if (!c->infra_procs)
		return bad(err, "infraProcs");
	if (json_is_object(userns)) {
		c->uid_map = dup_string(userns, "uidMap");
		c->gid_map = dup_string(userns, "gidMap");
		if (!c->uid_map || !c->gid_map)
			return bad(err, "userns needs uidMap and gidMap");
	}
	if (!!c->uid_map != !!(c->clone_flags & CLONE_NEWUSER))
		return bad(err, "userns and the plan's CLONE_NEWUSER disagree");
	c->log_max_size = json_integer_value(json_object_get(doc, "logMaxSize"));
	c->log_max_files = (int)json_integer_value(json_object_get(doc, "logMaxFiles"));
	c->seccomp_cache_dir = dup_string(doc, "seccompCacheDir"); /* absent: no cache */
	r = read_host_files(doc, c, err);
	if (r < 0)
		return r;

	c->containers = calloc(json_array_size(containers) + 1, sizeof(*c->containers));
	if (!c->containers)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(containers); i++) {
		r = read_container(json_array_get(containers, i), entries,
		                   &c->containers[c->n_containers++], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the document's arena ------------------------------------------------------------------
 *
 * shim.json's document is thousands of small jansson allocations, freed once the config is
 * read; in the heap, glibc keeps many of them in its per-size caches, which pins their pages
 * for the pod's life (malloc_trim gives back only what it holds in its bins). So the document
 * is parsed into an arena of its own, mapped for the parse and unmapped after it; an allocation
 * the arena has no room for comes from malloc. Only jansson allocates from it, and only while
 * shim_config_load parses and reads (the shim has no threads). */

#define ARENA_SIZE (4u << 20) /* reserved, not touched: a large shim.json still fits */

static struct {
	uint8_t *base;
	size_t used;
} arena;

static void *arena_malloc(size_t size)
{
	size_t at = (arena.used + 15) & ~(size_t)15;

	if (size > ARENA_SIZE || at > ARENA_SIZE - size)
		return malloc(size);
	arena.used = at + size;
	return arena.base + at;
}

static void arena_free(void *p)
{
	if ((uint8_t *)p < arena.base || (uint8_t *)p >= arena.base + ARENA_SIZE)
		free(p);
}

/* The config of the document at path; its jansson allocations all gone when it returns. */
static int load(const char *path, const char *run_dir, struct shim_config **out,
                struct nano_err *err)
{
	json_t *doc;
	struct shim_config *c;
	json_error_t jerr;
	int r;

	doc = json_load_file(path, 0, &jerr);
	if (!doc)
		return nano_err_set(err, EBADMSG, "%s: %s", path, jerr.text);
	c = calloc(1, sizeof(*c));
	if (c) {
		c->mounter_fd = -1;
		c->run_dir = strdup(run_dir);
	}
	r = c && c->run_dir ? read_config(doc, c, err) : -ENOMEM;
	json_decref(doc);
	if (r < 0) {
		shim_config_free(c);
		return r == -ENOMEM ? nano_err_set(err, ENOMEM, "out of memory") : r;
	}
	*out = c;
	return 0;
}

int shim_config_load(const char *run_dir, struct shim_config **out, struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/shim.json", run_dir);
	json_malloc_t saved_malloc;
	json_free_t saved_free;
	int r;

	if (!path)
		return -ENOMEM;
	arena.base = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena.base == MAP_FAILED)
		return load(path, run_dir, out, err); /* in the heap, as any document */
	arena.used = 0;
	json_get_alloc_funcs(&saved_malloc, &saved_free);
	json_set_alloc_funcs(arena_malloc, arena_free);
	r = load(path, run_dir, out, err);
	json_set_alloc_funcs(saved_malloc, saved_free);
	munmap(arena.base, ARENA_SIZE);
	arena.base = NULL;
	return r;
}

static void container_done(struct shim_container *c)
{
	free(c->name);
	plan_process_done(&c->process);
	plan_root_done(&c->root);
	plan_security_done(&c->security);
	strv_free(c->device_nodes);
	if (c->runtime_default)
		shim_seccomp_filter_done(c->runtime_default);
	free(c->runtime_default);
	plan_mounts_free(c->mounts, c->n_mounts);
	strv_free(c->cgroup_procs);
	free(c->cgroup_dir);
	free(c->log_dir);
	free(c->termination_message_path);
}

struct shim_config *shim_config_free(struct shim_config *c)
{
	if (!c)
		return NULL;
	if (c->mounter_fd >= 0)
		close(c->mounter_fd);
	free(c->run_dir);
	free(c->uid);
	free(c->name);
	free(c->namespace);
	free(c->hostname);
	for (size_t i = 0; i < c->n_sysctls; i++) {
		free(c->sysctls[i].name);
		free(c->sysctls[i].value);
	}
	free(c->sysctls);
	strv_free(c->infra_procs);
	free(c->uid_map);
	free(c->gid_map);
	free(c->seccomp_cache_dir);
	free(c->pod_ip);
	free(c->host_domain);
	free(c->resolv_conf);
	for (size_t i = 0; i < c->n_host_aliases; i++) {
		free(c->host_aliases[i].ip);
		strv_free(c->host_aliases[i].hostnames);
	}
	free(c->host_aliases);
	for (size_t i = 0; i < c->n_containers; i++)
		container_done(&c->containers[i]);
	free(c->containers);
	free(c);
	return NULL;
}

const struct shim_container *shim_config_container(const struct shim_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_containers; i++)
		if (strcmp(c->containers[i].name, name) == 0)
			return &c->containers[i];
	return NULL;
}

int shim_config_refresh(struct shim_config *c, const char *name, struct nano_err *err)
{
	struct shim_config *fresh = NULL;
	struct shim_container *mine = NULL, *now = NULL;
	struct plan_process process;
	struct plan_root root;
	int r;

	for (size_t i = 0; i < c->n_containers; i++)
		if (strcmp(c->containers[i].name, name) == 0)
			mine = &c->containers[i];
	if (!mine)
		return nano_err_set(err, ENOENT, "no container %s in this pod", name);
	r = shim_config_load(c->run_dir, &fresh, err);
	if (r < 0)
		return nano_err_wrap(err, "reading the container %s again", name);
	for (size_t i = 0; i < fresh->n_containers; i++)
		if (strcmp(fresh->containers[i].name, name) == 0)
			now = &fresh->containers[i];
	if (!now) {
		shim_config_free(fresh);
		return nano_err_set(err, ENOENT, "shim.json: no container %s any more", name);
	}
	/* what an image changes: the process, the root and the capabilities of that uid */
	process = mine->process;
	mine->process = now->process;
	now->process = process;
	root = mine->root;
	mine->root = now->root;
	now->root = root;
	mine->security.capabilities = now->security.capabilities;
	shim_config_free(fresh);
	return 0;
}
