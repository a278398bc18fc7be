/* pkg/plan/plan_security.c: what each container may do beyond what its namespaces show it, and
 * the filesystems that are its own: capabilities, seccomp, masked and read-only paths, devices,
 * runAsNonRoot, the writable layer over its image and what of the host image is hidden; then
 * the container's own /proc, /dev, /sys and (host image) /run, /tmp, /root and /home.
 *
 * The rules are containerd's CRI and the kubelet's, from pkg/security's tables; where nanolet
 * goes further (what the host image hides, its own /run, /tmp, /root and /home; the device
 * list, in pkg/security) a comment says so. Pure: the shim and the cgroup driver enforce what
 * this decides.
 */
#include <string.h>

#include "plan_internal.h"
#include "plan_words.h"

/* What of the node's root filesystem is not part of the host image: password hashes, host keys
 * and private keys (masked: a file reads empty, a directory is empty and read-only). A '*'
 * matches within one name, as the shim expands it against the node's files. nanolet's own
 * directories are added from the config. */
static const char *const host_secrets[] = {
        "/etc/shadow",
        "/etc/shadow-",
        "/etc/gshadow",
        "/etc/gshadow-",
        "/etc/ssh/ssh_host_*_key",
        "/etc/ssl/private",
        "/etc/nanolet",
        NULL,
};

void plan_root_done(struct plan_root *root)
{
	free(root->path);
	free(root->layer);
	strv_free(root->hidden);
	free(root->image);
	free(root->image_id);
	free(root->repo_digest);
	strv_free(root->lowerdirs);
	*root = (struct plan_root){0};
}

void plan_security_done(struct plan_security *s)
{
	free(s->seccomp.source);
	free(s->seccomp.localhost_path);
	if (!s->paths_borrowed) {
		strv_free(s->masked_paths);
		strv_free(s->read_only_paths);
	}
	free(s->refusal);
	*s = (struct plan_security){0};
}

/* ---- the root ----------------------------------------------------------------------------- */

/* The directory holding path: "/run/nanolet" for "/run/nanolet/nanolet.sock". */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash != path ? strndup(path, (size_t)(slash - path)) : strdup("/");
}

/* strv_push, but a string already there is dropped. */
static int push_unique(char ***l, char *s)
{
	if (s && strv_contains(*l, s)) {
		free(s);
		return 0;
	}
	return strv_push(l, s);
}

int plan_root_layer(struct plan_root *root, const struct spec_pod *pod, const struct plan *plan,
                    const char *name, const struct plan_config *config, const char *state_dir)
{
	int r = 0;

	/* In a user namespace the node's files belong to ids the namespace does not map, and
	 * overlayfs refuses the host's root (it holds mounts the namespace may not uncover):
	 * the host or a directory is bound read-only instead. An image's layers are mounted
	 * idmapped under a writable layer there too (the shim's mounter). */
	if (pod->host_users != SPEC_BOOL_FALSE || root->kind == PLAN_ROOT_IMAGE) {
		root->layer = strdupf("%s/pods/%s/layers/%s", state_dir, plan->uid, name);
		if (!root->layer)
			return -ENOMEM;
	}
	if (root->kind != PLAN_ROOT_HOST)
		return 0;
	root->hidden = strv_copy((char *const *)host_secrets);
	if (!root->hidden)
		return -ENOMEM;
	/* nanolet's state, logs, run directory and socket: never part of any root */
	r |= push_unique(&root->hidden, strdup(state_dir));
	r |= push_unique(&root->hidden, strdup(plan_log_dir(config)));
	r |= push_unique(&root->hidden, strdup(plan_run_dir(config)));
	r |= push_unique(&root->hidden, dir_of(plan_socket(config)));
	return r < 0 ? -ENOMEM : 0;
}

/* ---- security ------------------------------------------------------------------------------ */

static int seccomp_choice(struct plan_seccomp *out, const struct spec_seccomp_profile *profile,
                          const char *source, const struct plan_config *config,
                          const char *state_dir)
{
	_cleanup_free_ char *profile_root = NULL;

	switch (profile->type) {
	case SPEC_SECCOMP_RUNTIME_DEFAULT:
		out->kind = SECURITY_SECCOMP_RUNTIME_DEFAULT;
		break;
	case SPEC_SECCOMP_UNCONFINED:
		out->kind = SECURITY_SECCOMP_UNCONFINED;
		break;
	case SPEC_SECCOMP_LOCALHOST:
		out->kind = SECURITY_SECCOMP_LOCALHOST;
		profile_root = config->seccomp_profile_root && *config->seccomp_profile_root
		                       ? strdup(config->seccomp_profile_root)
		                       : strdupf("%s/seccomp", state_dir);
		if (!profile_root)
			return -ENOMEM;
		out->localhost_path = strdupf("%s/%s", profile_root, profile->localhost_profile);
		if (!out->localhost_path)
			return -ENOMEM;
		break;
	case SPEC_SECCOMP_UNSET:
		return -EINVAL;
	}
	out->source = strdup(source);
	return out->source ? 0 : -ENOMEM;
}

static int container_seccomp(struct plan_security *s, const struct spec_container *sc,
                             const struct spec_pod *pod, size_t index,
                             const struct plan_config *config, const char *state_dir)
{
	const struct spec_seccomp_profile *own = &sc->security_context.seccomp_profile;
	const struct spec_seccomp_profile *pods = &pod->security_context.seccomp_profile;
	char source[96];

	/* containerd gives a privileged container no filter, whatever its profile says */
	if (s->privileged) {
		s->seccomp.kind = SECURITY_SECCOMP_UNCONFINED;
		s->seccomp.source = strdup("privileged: true");
		return s->seccomp.source ? 0 : -ENOMEM;
	}
	/* the container's field wins over the pod's */
	if (own->type != SPEC_SECCOMP_UNSET) {
		snprintf(source, sizeof(source),
		         "spec.containers[%zu].securityContext.seccompProfile", index);
		return seccomp_choice(&s->seccomp, own, source, config, state_dir);
	}
	if (pods->type != SPEC_SECCOMP_UNSET)
		return seccomp_choice(&s->seccomp, pods, "spec.securityContext.seccompProfile",
		                      config, state_dir);
	s->seccomp.kind = config->seccomp_default_unconfined ? SECURITY_SECCOMP_UNCONFINED
	                                                     : SECURITY_SECCOMP_RUNTIME_DEFAULT;
	s->seccomp.source = strdup(config->seccomp_default_unconfined
	                                   ? "unset: the node's seccomp_default is Unconfined"
	                                   : "unset: the node's seccomp_default, RuntimeDefault");
	return s->seccomp.source ? 0 : -ENOMEM;
}

/* "1000" or "1000:50" (containerd's getUserFromImage: only the part before ':' counts). */
static bool user_numeric(const char *user)
{
	size_t n = strcspn(user, ":");

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (user[i] < '0' || user[i] > '9')
			return false;
	return true;
}

/* Why c may not be created, or nothing: the kubelet's verifyRunAsNonRoot, with its words
 * (format.Pod is "name_namespace(uid)"). The
 * host image and a directory root have no image user: they run as root unless told. An image
 * whose user is a name is refused even when the name resolves: the kubelet verifies only a
 * numeric user. */
int plan_container_refusal(struct plan_security *s, const struct plan_container *c,
                           const struct spec_container *sc, const struct spec_pod *pod,
                           const struct plan *plan, const char *image_user)
{
	enum spec_bool wanted = sc->security_context.run_as_non_root != SPEC_BOOL_UNSET
	                                ? sc->security_context.run_as_non_root
	                                : pod->security_context.run_as_non_root;
	int64_t run_as_user = sc->security_context.run_as_user != SPEC_UNSET
	                              ? sc->security_context.run_as_user
	                              : pod->security_context.run_as_user;
	bool unresolved = c->root.kind == PLAN_ROOT_IMAGE && !c->root.image_id;

	free(s->refusal);
	s->refusal = NULL;
	if (wanted != SPEC_BOOL_TRUE)
		return 0;
	if (run_as_user != SPEC_UNSET) {
		if (run_as_user != 0)
			return 0;
		s->refusal = strdupf("container's runAsUser breaks non-root policy (pod: "
		                     "\"%s_%s(%s)\", container: %s)",
		                     plan->name, plan->namespace, plan->uid, c->name);
	} else if (unresolved) {
		return 0; /* the image's user is not known yet */
	} else if (image_user && *image_user && !user_numeric(image_user)) {
		s->refusal = strdupf("container has runAsNonRoot and image has non-numeric user "
		                     "(%s), cannot verify user is non-root (pod: \"%s_%s(%s)\", "
		                     "container: %s)",
		                     image_user, plan->name, plan->namespace, plan->uid, c->name);
	} else if (c->process.uid == 0) {
		s->refusal = strdupf("container has runAsNonRoot and image will run as root "
		                     "(pod: \"%s_%s(%s)\", container: %s)",
		                     plan->name, plan->namespace, plan->uid, c->name);
	} else {
		return 0;
	}
	return s->refusal ? 0 : -ENOMEM;
}

/* An empty list of paths (plan_security.paths_borrowed). */
static const char *const no_paths[] = {NULL};

int plan_container_security(struct plan_container *c, const struct spec_container *sc,
                            const struct spec_pod *pod, const struct plan *plan, size_t index,
                            const struct plan_config *config, const char *state_dir)
{
	const struct spec_security_context *ssc = &sc->security_context;
	struct plan_security *s = &c->security;
	bool unmasked;
	uint64_t set;
	int r;

	s->privileged = ssc->privileged == SPEC_BOOL_TRUE;
	set = s->privileged ? SECURITY_CAPS_ALL
	                    : security_caps_apply(security_caps_runtime_default(),
	                                          ssc->capabilities_add, ssc->capabilities_drop);
	security_caps_for(set, c->process.uid, &s->capabilities);
	r = container_seccomp(s, sc, pod, index, config, state_dir);
	if (r < 0)
		return r;
	unmasked = s->privileged || ssc->proc_mount == SPEC_PROC_MOUNT_UNMASKED;
	/* the same lists for every container: borrowed, not copied */
	s->masked_paths = (char **)(unmasked ? no_paths : security_masked_paths);
	s->read_only_paths = (char **)(unmasked ? no_paths : security_read_only_paths);
	s->paths_borrowed = true;
	s->devices = s->privileged ? security_devices_all(&s->n_devices)
	                           : security_devices_default(&s->n_devices);
	return plan_container_refusal(s, c, sc, pod, plan, NULL);
}

/* ---- the container's own filesystems --------------------------------------------------------- */

/* A system mount's options: constants, one list for each variant (plan_mount.borrowed). */
static const char *const opt_nosuid_noexec_nodev[] = {"nosuid", "noexec", "nodev", NULL};
static const char *const opt_rbind[] = {"rbind", NULL};
static const char *const opt_dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
static const char *const opt_devpts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                         "mode=0620", "gid=5",  NULL};
static const char *const opt_shm[] = {"rbind", "nosuid", "nodev", "noexec", NULL};
static const char *const opt_sys_rw[] = {"nosuid", "noexec", "nodev", "rw", NULL};
static const char *const opt_sys_ro[] = {"nosuid", "noexec", "nodev", "ro", NULL};
static const char *const opt_rbind_rw[] = {"rbind", "rw", NULL};
static const char *const opt_rbind_ro[] = {"rbind", "ro", NULL};
static const char *const opt_755_rw[] = {"nosuid", "nodev", "mode=755", "rw", NULL};
static const char *const opt_755_ro[] = {"nosuid", "nodev", "mode=755", "ro", NULL};
static const char *const opt_1777_rw[] = {"nosuid", "nodev", "mode=1777", "rw", NULL};
static const char *const opt_1777_ro[] = {"nosuid", "nodev", "mode=1777", "ro", NULL};
static const char *const opt_700_rw[] = {"nosuid", "nodev", "mode=700", "rw", NULL};
static const char *const opt_700_ro[] = {"nosuid", "nodev", "mode=700", "ro", NULL};

struct system_mount {
	const char *destination, *type, *source;
	const char *const *options;
};

/* Whether the container mounts a volume at path: then the volume is what it gets there. */
static bool volume_at(const struct spec_container *sc, const char *path)
{
	for (size_t i = 0; i < sc->n_volume_mounts; i++)
		if (sc->volume_mounts[i].mount_path &&
		    strcmp(sc->volume_mounts[i].mount_path, path) == 0)
			return true;
	return false;
}

int plan_system_mounts(struct plan_container *c, const struct spec_container *sc,
                       const struct plan *plan)
{
	bool priv = c->security.privileged, ro = c->root.read_only;
	bool host = c->root.kind == PLAN_ROOT_HOST;
	const struct system_mount mounts[] = {
	        /* a procfs of the container's pid namespace (the node's with hostPID): a new
	         * instance, never the node's mount, so the masks below cover it whole */
	        {"/proc", "proc", "proc", opt_nosuid_noexec_nodev},
	        /* the node's /dev only for a privileged container, as containerd does */
	        priv ? (struct system_mount){"/dev", "bind", "/dev", opt_rbind}
	             : (struct system_mount){"/dev", "tmpfs", "tmpfs", opt_dev},
	        {"/dev/pts", "devpts", "devpts", opt_devpts},
	        /* POSIX shared memory goes with the IPC namespace: the pod's, or the node's */
	        {"/dev/shm", "bind", plan->shm ? plan->shm : "/dev/shm", opt_shm},
	        {"/dev/mqueue", "mqueue", "mqueue", opt_nosuid_noexec_nodev},
	        /* a new sysfs: with the pod's network namespace it shows only the pod's links */
	        {"/sys", "sysfs", "sysfs", priv ? opt_sys_rw : opt_sys_ro},
	        /* v2: the container's own cgroup (its cgroup namespace's root); v1: the node's
	         * hierarchies, read-only */
	        plan->driver == PLAN_CGROUP_V2
	                ? (struct system_mount){"/sys/fs/cgroup", "cgroup2", "cgroup",
	                                        priv ? opt_sys_rw : opt_sys_ro}
	                : (struct system_mount){"/sys/fs/cgroup", "bind", "/sys/fs/cgroup",
	                                        priv ? opt_rbind_rw : opt_rbind_ro},
	        /* the host image's run-time and scratch directories, and home directories, are
	         * the container's own (nanolet's choice: the node's hold sockets, other users'
	         * files and secrets); read-only with the root */
	        {"/run", "tmpfs", "tmpfs", ro ? opt_755_ro : opt_755_rw},
	        {"/tmp", "tmpfs", "tmpfs", ro ? opt_1777_ro : opt_1777_rw},
	        {"/root", "tmpfs", "tmpfs", ro ? opt_700_ro : opt_700_rw},
	        {"/home", "tmpfs", "tmpfs", ro ? opt_755_ro : opt_755_rw},
	};
	size_t n = host ? ELEMENTSOF(mounts) : ELEMENTSOF(mounts) - 4;

	/* one array of the size the container needs, its volumes' mounts included (grown as
	 * it goes, 11 mounts would hold room for 18 for the pod's life) */
	if (!c->mounts && !(c->mounts = calloc(n + sc->n_volume_mounts, sizeof(*c->mounts))))
		return -ENOMEM;
	/* every container has them: borrowed, not copied (a kilobyte and a half of small
	 * strings a container, for as long as its pod runs) */
	for (size_t i = 0; i < n; i++) {
		const struct system_mount *m = &mounts[i];

		/* as containerd: a volume of the pod's at /dev/shm (a larger Memory emptyDir)
		 * takes the place of the pod's own */
		if (strcmp(m->destination, "/dev/shm") == 0 && volume_at(sc, m->destination))
			continue;
		if (util_reserve(&c->mounts, c->n_mounts, sizeof(*c->mounts)) < 0)
			return -ENOMEM;
		c->mounts[c->n_mounts++] = (struct plan_mount){
		        .destination = (char *)m->destination,
		        .type = (char *)m->type,
		        .source = (char *)m->source,
		        .options = (char **)m->options,
		        .borrowed = true,
		};
	}
	return 0;
}

/* ---- warnings -------------------------------------------------------------------------------- */

/* Whether one of two absolute paths is the other or lies below it. */
static bool paths_overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	n = la < lb ? la : lb;
	if (strncmp(a, b, n) != 0)
		return false;
	if (la == lb || n == 1) /* equal, or one is "/" */
		return true;
	return (la > lb ? a[n] : b[n]) == '/';
}

int plan_host_path_warnings(struct plan *plan, const struct spec_pod *pod,
                            const struct plan_config *config, const char *state_dir)
{
	_cleanup_free_ char *socket_dir = dir_of(plan_socket(config));
	const struct {
		const char *path, *what;
	} own[] = {
	        {socket_dir, "nanoletd's API socket: a container that reaches it can create "
	                     "pods, privileged ones included"},
	        {state_dir, "nanolet's state (its database, every pod's volumes and layers)"},
	        {plan_run_dir(config), "nanolet's run directory (every pod's shim socket)"},
	        {plan_log_dir(config), "nanolet's container logs"},
	};

	if (!socket_dir)
		return -ENOMEM;
	for (size_t i = 0; i < pod->n_volumes; i++) {
		const struct spec_volume *v = &pod->volumes[i];

		if (v->type != SPEC_VOLUME_HOST_PATH || !v->path)
			continue;
		for (size_t k = 0; k < ELEMENTSOF(own); k++) {
			if (!paths_overlap(v->path, own[k].path))
				continue;
			if (strv_pushf(&plan->warnings,
			               "spec.volumes[%zu].hostPath.path: \"%s\" reaches %s (%s)", i,
			               v->path, own[k].what, own[k].path) < 0)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}
