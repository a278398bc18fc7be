/* pkg/cgroup/driver.c: the driver interface — where nanolet's root is in each hierarchy, and
 * the operations that are the same walk over hierarchies for both drivers (create, procs
 * files, place, populated, remove), handing the driver-specific parts to v2.c and v1.c.
 *
 * The root: an explicit --cgroup-root is the same cgroup path in every hierarchy (the kubelet's
 * rule); without one it is "<this process's cgroup>/nanolet" per hierarchy, from
 * /proc/self/cgroup. Pods then stay inside whatever the daemon was given, even when the
 * hierarchies place it differently (hybrid development hosts: memory under /process_api/<id>,
 * cpu at /). Where is computed once, in roots.c: nanoletd runs it at start (daemon/node.c) and
 * hands the roots in (options.roots) with the /proc/self/cgroup it read then, so that the driver
 * reads nothing of /proc/self and a dry run's plan, a pod's plan and the driver's cgroups
 * agree; a caller that hands in none (the unit suites, the shim harness) gets roots.c's answer
 * for its options.
 *
 * This file must not create or touch anything outside nanolet's root, except the directories
 * of an explicit root (mkdir -p) and, through v2.c, the delegation of controllers above it.
 */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>

const char *const cgroup_v1_controllers[CGROUP_V1_MAX] = {"memory", "cpu",     "cpuacct",
                                                          "pids",   "freezer", "devices"};

/* ---- paths -------------------------------------------------------------------------------- */

/* A path relative to the root: "", or components without "", "." and "..". */
static bool rel_valid(const char *rel)
{
	const char *p = rel;

	if (!rel)
		return false;
	if (*rel == '\0')
		return true;
	for (;;) {
		const char *slash = strchrnul(p, '/');
		size_t len = (size_t)(slash - p);

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!*slash)
			return true;
		p = slash + 1;
	}
}

static int check_rel(const char *rel, struct nano_err *err)
{
	if (!rel_valid(rel))
		return nano_err_set(err, EINVAL,
		                    "cgroup '%s' is not a path relative to nanolet's root",
		                    rel ? rel : "(null)");
	return 0;
}

/* An absolute cgroup path without a trailing '/' ("/" stays "/"); NULL if not absolute or with
 * "." or ".." components. */
static char *cgroup_path_normalize(const char *path)
{
	size_t len;

	if (!path || path[0] != '/')
		return NULL;
	while (path[0] == '/' && path[1] == '/')
		path++;
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len > 1) {
		_cleanup_free_ char *rest = strndup(path + 1, len - 1);

		if (!rest || !rel_valid(rest))
			return NULL;
	}
	return strndup(path, len);
}

/* Whether the cgroup path child is ancestor itself or below it. */
static bool cgroup_path_within(const char *ancestor, const char *child)
{
	size_t len = strlen(ancestor);

	if (strcmp(ancestor, "/") == 0)
		return child[0] == '/';
	return strncmp(child, ancestor, len) == 0 && (child[len] == '\0' || child[len] == '/');
}

char *cgroup_hier_path(const struct cgroup_hierarchy *hier, const char *rel)
{
	if (!rel || *rel == '\0')
		return strdup(hier->root_dir);
	return strdupf("%s/%s", hier->root_dir, rel);
}

const struct cgroup_hierarchy *cgroup_v1_hier(const struct cgroup_driver *d, const char *controller)
{
	if (d->kind != PLAN_CGROUP_V1)
		return NULL;
	for (size_t i = 0; i < CGROUP_V1_MAX; i++)
		if (strcmp(cgroup_v1_controllers[i], controller) == 0)
			return d->v1_index[i] < 0 ? NULL : &d->hier[d->v1_index[i]];
	return NULL;
}

/* ---- open --------------------------------------------------------------------------------- */

static void hier_clear(struct cgroup_hierarchy *h)
{
	free(h->name);
	free(h->mount_dir);
	free(h->root);
	free(h->root_dir);
	*h = (struct cgroup_hierarchy){0};
}

struct cgroup_driver *cgroup_driver_free(struct cgroup_driver *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_hier; i++)
		hier_clear(&d->hier[i]);
	hier_clear(&d->mirror);
	free(d->controllers);
	free(d);
	return NULL;
}

static char *read_proc_self_cgroup(struct nano_err *err)
{
	char *text = NULL;
	int r = cgroupfs_read("/proc/self", "cgroup", &text);

	if (r < 0) {
		nano_err_set(err, -r, "read /proc/self/cgroup: %s", strerror(-r));
		return NULL;
	}
	return text;
}

/* The caller's root for the hierarchy of name (a controller or "unified"): the entry of that
 * name, or whose comma-separated list ("cpu,cpuacct") holds it. */
static const char *given_root(const struct cgroup_driver_options *o, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < o->n_roots; i++)
		for (const char *p = o->roots[i].name; p;) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);

			if (n == len && strncmp(p, name, len) == 0)
				return o->roots[i].root;
			p = comma ? comma + 1 : NULL;
		}
	return NULL;
}

/* Fills hier for one hierarchy, its root the one given for name (roots.c computed them); then
 * mkdir -p the root. */
static int hier_init(struct cgroup_driver *d, struct cgroup_hierarchy *hier, const char *name,
                     const char *mount_dir, const struct cgroup_driver_options *o,
                     struct nano_err *err)
{
	const char *given = given_root(o, name);

	hier->name = strdup(name);
	hier->mount_dir = strdup(mount_dir);
	if (!hier->name || !hier->mount_dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (!given)
		return nano_err_set(err, ENOENT, "no cgroup root given for the %s hierarchy", name);
	hier->root = cgroup_path_normalize(given);
	if (!hier->root)
		return nano_err_set(err, EINVAL, "cgroup root '%s' is not an absolute cgroup path",
		                    given);
	hier->root_dir = strcmp(hier->root, "/") == 0 ? strdup(mount_dir)
	                                              : strdupf("%s%s", mount_dir, hier->root);
	if (!hier->root_dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	return cgroupfs_mkdir_p(d, mount_dir, hier->root + 1, err);
}

static int self_path(const char *text, const char *controller, char **out, struct nano_err *err)
{
	int r;

	*out = cgroup_path_from_proc(text, controller, &r);
	if (r == -ENOENT)
		return nano_err_set(err, ENOENT, "/proc/self/cgroup has no %s%s%s entry",
		                    controller ? "" : "unified (0::)", controller ? controller : "",
		                    controller ? " hierarchy" : "");
	if (r < 0)
		return nano_err_set(err, -r, "/proc/self/cgroup: %s", strerror(-r));
	return 0;
}

static int open_v2(struct cgroup_driver *d, const struct cgroup_driver_options *o, const char *text,
                   struct nano_err *err)
{
	_cleanup_free_ char *self = NULL;
	const char *delegated;
	int r;

	if (o->host.mode != CGROUP_MODE_UNIFIED)
		return nano_err_set(
		        err, ENOTSUP,
		        "cgroup driver v2 needs cgroup2 mounted at %s, but the host is %s",
		        o->mount, cgroup_mode_name(o->host.mode));
	r = self_path(text, NULL, &self, err);
	if (r < 0)
		return r;
	d->n_hier = 1;
	d->unified = &d->hier[0];
	r = hier_init(d, &d->hier[0], "unified", o->mount, o, err);
	if (r < 0)
		return r;
	/* We may only enable controllers from the cgroup we were given: this process's own when
	 * the root is inside it, else the whole hierarchy (an explicit root elsewhere). */
	delegated = cgroup_path_within(self, d->hier[0].root) ? self : "/";
	return cgroup_v2_delegate(d, delegated, strcmp(delegated, self) == 0 ? o->self_leaf : NULL,
	                          err);
}

/* Whether a v1 hierarchy is there: its directory under the mount, and a line of
 * /proc/self/cgroup (the kernel lists every mounted hierarchy there). */
static bool v1_mounted(const char *text, const char *controller, const char *dir)
{
	_cleanup_free_ char *self = cgroup_path_from_proc(text, controller, NULL);

	return self && access(dir, F_OK) == 0;
}

static int open_v1(struct cgroup_driver *d, const struct cgroup_driver_options *o, const char *text,
                   struct nano_err *err)
{
	int r;

	if (o->host.mode == CGROUP_MODE_UNIFIED)
		return nano_err_set(
		        err, ENOTSUP,
		        "cgroup driver v1 needs v1 controller hierarchies under %s, but "
		        "the host is unified (cgroup2 only)",
		        o->mount);
	for (size_t i = 0; i < CGROUP_V1_MAX; i++) {
		const char *controller = cgroup_v1_controllers[i];
		_cleanup_free_ char *dir = strdupf("%s/%s", o->mount, controller);
		char real[PATH_MAX];
		size_t j;

		if (!dir)
			return nano_err_set(err, ENOMEM, "out of memory");
		/* The devices hierarchy is optional: without it the driver runs pods, but
		 * cgroup_driver_devices refuses to confine their devices (EOPNOTSUPP), and the
		 * daemon refuses such pods rather than run them unconfined. */
		if (i == CGROUP_V1_DEVICES && !v1_mounted(text, controller, dir)) {
			d->v1_index[i] = -1;
			log_debug("cgroup v1: no devices hierarchy at %s", dir);
			continue;
		}
		/* Joined hierarchies (cpu,cpuacct) are one directory with symlinks to it: the
		 * real path counts each hierarchy once. */
		if (!realpath(dir, real))
			return nano_err_set(err, errno, "cgroup v1 hierarchy %s: %s", dir,
			                    strerror(errno));
		for (j = 0; j < d->n_hier; j++)
			if (strcmp(d->hier[j].mount_dir, real) == 0)
				break;
		d->v1_index[i] = (int)j;
		if (j < d->n_hier)
			continue;
		d->n_hier++;
		r = hier_init(d, &d->hier[j], controller, real, o, err);
		if (r < 0)
			return r;
	}

	/* Hybrid: the unified hierarchy tracks the same processes without controllers, and gives
	 * v1 what it lacks: cgroup.kill and cgroup.events. */
	if (o->host.mode == CGROUP_MODE_HYBRID && o->host.unified_mounted && !o->ignore_unified) {
		_cleanup_free_ char *dir = strdupf("%s/unified", o->mount);

		if (!dir)
			return nano_err_set(err, ENOMEM, "out of memory");
		r = hier_init(d, &d->mirror, "unified", dir, o, err);
		if (r < 0)
			return r;
		d->unified = &d->mirror;
	}
	return 0;
}

int cgroup_driver_open(const struct cgroup_driver_options *o, struct cgroup_driver **out,
                       struct nano_err *err)
{
	_cleanup_cgroup_driver_ struct cgroup_driver *d = NULL;
	_cleanup_free_ char *text = NULL;
	struct cgroup_driver_options with_roots;
	struct plan_hierarchy *computed = NULL;
	const char *proc_text;
	int r;

	if (!o || !o->mount || !out)
		return nano_err_set(err, EINVAL, "cgroup_driver_open: no options");
	if (o->root) {
		_cleanup_free_ char *norm = cgroup_path_normalize(o->root);

		if (!norm)
			return nano_err_set(err, EINVAL,
			                    "cgroup root '%s' is not an absolute cgroup path",
			                    o->root);
	}
	if (o->root_name &&
	    (!rel_valid(o->root_name) || strchr(o->root_name, '/') || !*o->root_name))
		return nano_err_set(err, EINVAL, "cgroup root name '%s' is not one directory name",
		                    o->root_name);
	proc_text = o->proc_self_cgroup;
	if (!proc_text) {
		text = read_proc_self_cgroup(err);
		if (!text)
			return -(err && err->errnum ? err->errnum : EIO);
		proc_text = text;
	}

	d = calloc(1, sizeof(*d));
	if (!d)
		return nano_err_set(err, ENOMEM, "out of memory");
	d->kind = o->driver;
	d->on_mkdir = o->on_mkdir;
	d->on_rmdir = o->on_rmdir;
	d->userdata = o->userdata;

	/* A caller that hands in no roots gets them computed as nanoletd computes its own. */
	with_roots = *o;
	if (!o->roots) {
		struct cgroup_roots_options ro = {
		        .driver = o->driver,
		        .host = o->host,
		        .root = o->root,
		        .root_name = o->root_name,
		        .proc_self_cgroup = proc_text,
		};

		if (o->ignore_unified)
			ro.host.unified_mounted = false;
		r = cgroup_roots(&ro, &computed, &with_roots.n_roots, err);
		if (r < 0)
			return r;
		with_roots.roots = computed;
	}
	r = d->kind == PLAN_CGROUP_V2 ? open_v2(d, &with_roots, proc_text, err)
	                              : open_v1(d, &with_roots, proc_text, err);
	cgroup_roots_free(computed, computed ? with_roots.n_roots : 0);
	if (r < 0)
		return r;
	log_debug("cgroup driver %s: root %s", plan_cgroup_driver_name(d->kind),
	          cgroup_driver_root(d));
	*out = TAKE_PTR(d);
	return 0;
}

enum plan_cgroup_driver cgroup_driver_kind(const struct cgroup_driver *d)
{
	return d->kind;
}

const char *cgroup_driver_root(const struct cgroup_driver *d)
{
	if (d->kind == PLAN_CGROUP_V1)
		return cgroup_v1_hier(d, "memory")->root;
	return d->hier[0].root;
}

const char *cgroup_driver_relative(const struct cgroup_driver *d, const char *path)
{
	const char *root = cgroup_driver_root(d);
	const char *rest;
	size_t len = strlen(root);

	if (!path || path[0] != '/')
		return NULL;
	if (strcmp(root, "/") == 0)
		rest = path;
	else if (strncmp(path, root, len) == 0 && (path[len] == '\0' || path[len] == '/'))
		rest = path + len;
	else
		return NULL;
	while (*rest == '/')
		rest++;
	return rest;
}

int cgroup_driver_dir(const struct cgroup_driver *d, const char *controller, const char *rel,
                      char **out)
{
	const struct cgroup_hierarchy *h;

	if (!rel_valid(rel))
		return -EINVAL;
	if (!controller)
		h = d->unified;
	else if (d->kind == PLAN_CGROUP_V2)
		h = &d->hier[0];
	else
		h = cgroup_v1_hier(d, controller);
	if (!h)
		return -ENOENT;
	*out = cgroup_hier_path(h, rel);
	return *out ? 0 : -ENOMEM;
}

/* ---- operations over every hierarchy ------------------------------------------------------ */

/* The hierarchies a cgroup lives in: hier[] and, on v1, the unified mirror. */
static size_t all_hiers(const struct cgroup_driver *d, const struct cgroup_hierarchy **out)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_hier; i++)
		out[n++] = &d->hier[i];
	if (d->kind == PLAN_CGROUP_V1 && d->unified)
		out[n++] = d->unified;
	return n;
}

int cgroup_driver_create(struct cgroup_driver *d, const char *rel, enum cgroup_node node,
                         struct nano_err *err)
{
	const struct cgroup_hierarchy *h[CGROUP_V1_MAX + 1];
	size_t n = all_hiers(d, h);
	int r = check_rel(rel, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = cgroupfs_mkdir_p(d, h[i]->root_dir, rel, err);
		if (r < 0)
			return r;
	}
	if (d->kind != PLAN_CGROUP_V2 || *rel == '\0')
		return 0;

	/* v2: every ancestor made on the way holds cgroups, so it gets the controllers; rel
	 * itself only if it is an inner node (no internal processes in a leaf's parent). */
	_cleanup_free_ char *dir = cgroup_hier_path(&d->hier[0], rel);
	size_t base = strlen(d->hier[0].root_dir);

	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	return cgroup_v2_enable_along(d, dir, base + 1, node == CGROUP_NODE_INNER, err);
}

int cgroup_driver_apply(struct cgroup_driver *d, const struct plan_cgroup *cg, struct nano_err *err)
{
	const char *rel = cg ? cgroup_driver_relative(d, cg->path) : NULL;
	_cleanup_free_ char *dir = NULL;

	if (!rel)
		return nano_err_set(err, EINVAL, "cgroup %s is not under nanolet's root %s",
		                    cg && cg->path ? cg->path : "(none)", cgroup_driver_root(d));
	if (check_rel(rel, err) < 0)
		return -EINVAL;
	if (d->kind == PLAN_CGROUP_V1)
		return cgroup_v1_apply(d, rel, cg, err);
	dir = cgroup_hier_path(&d->hier[0], rel);
	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	return cgroup_v2_apply(d, dir, cg, err);
}

int cgroup_driver_procs_files(const struct cgroup_driver *d, const char *rel, char ***out,
                              struct nano_err *err)
{
	const struct cgroup_hierarchy *h[CGROUP_V1_MAX + 1];
	size_t n = all_hiers(d, h);
	_cleanup_strv_ char **files = NULL;
	int r = check_rel(rel, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (*rel)
			r = strv_pushf(&files, "%s/%s/cgroup.procs", h[i]->root_dir, rel);
		else
			r = strv_pushf(&files, "%s/cgroup.procs", h[i]->root_dir);
		if (r < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
	}
	*out = TAKE_PTR(files);
	return 0;
}

int cgroup_driver_open_fd(const struct cgroup_driver *d, const char *rel, struct nano_err *err)
{
	_cleanup_free_ char *dir = NULL;
	int r = check_rel(rel, err), fd;

	if (r < 0)
		return r;
	if (d->kind != PLAN_CGROUP_V2)
		return nano_err_set(err, EOPNOTSUPP,
		                    "clone into a cgroup needs the v2 driver: a v1 clone would "
		                    "only land in the unified hierarchy");
	dir = cgroup_hier_path(&d->hier[0], rel);
	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	/* Not O_PATH: CLONE_INTO_CGROUP resolves the fd with fdget(), which refuses O_PATH. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nano_err_set(err, errno, "open %s: %s", dir, strerror(errno));
	return fd;
}

int cgroup_driver_place(struct cgroup_driver *d, const char *rel, pid_t pid, struct nano_err *err)
{
	_cleanup_strv_ char **files = NULL;
	char value[32];
	int r;

	if (pid <= 0)
		return nano_err_set(err, EINVAL, "cannot place pid %d in a cgroup", (int)pid);
	r = cgroup_driver_procs_files(d, rel, &files, err);
	if (r < 0)
		return r;
	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; files[i]; i++) {
		r = cgroupfs_write_at(AT_FDCWD, files[i], value);
		if (r < 0)
			return nano_err_set(err, -r, "write %s to %s: %s", value, files[i],
			                    strerror(-r));
	}
	return 0;
}

int cgroup_driver_kill(struct cgroup_driver *d, const char *rel, struct nano_err *err)
{
	_cleanup_free_ char *dir = NULL;
	int r = check_rel(rel, err);

	if (r < 0)
		return r;
	if (d->unified) {
		dir = cgroup_hier_path(d->unified, rel);
		if (!dir)
			return nano_err_set(err, ENOMEM, "out of memory");
		/* The v1 driver prefers its own freezer to freezing the mirror. */
		r = cgroup_v2_kill(dir, d->kind == PLAN_CGROUP_V2, err);
		if (r != -ENOENT || d->kind == PLAN_CGROUP_V2)
			return r;
		nano_err_clear(err);
		log_debug("%s/cgroup.kill: none (kernel < 5.14), using the v1 freezer", dir);
	}
	return cgroup_v1_freeze_kill(d, rel, err);
}

int cgroup_driver_populated(struct cgroup_driver *d, const char *rel, struct nano_err *err)
{
	_cleanup_free_ char *dir = NULL;
	int r = check_rel(rel, err);

	if (r < 0)
		return r;
	if (!d->unified)
		return cgroup_v1_populated(d, rel, err);
	dir = cgroup_hier_path(d->unified, rel);
	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	return cgroup_v2_populated(dir, err);
}

int cgroup_driver_events_path(const struct cgroup_driver *d, const char *rel, char **out)
{
	*out = NULL;
	if (!rel_valid(rel))
		return -EINVAL;
	if (!d->unified)
		return 0;
	*out = *rel ? strdupf("%s/%s/cgroup.events", d->unified->root_dir, rel)
	            : strdupf("%s/cgroup.events", d->unified->root_dir);
	return *out ? 0 : -ENOMEM;
}

int cgroup_driver_remove(struct cgroup_driver *d, const char *rel, struct nano_err *err)
{
	const struct cgroup_hierarchy *h[CGROUP_V1_MAX + 1];
	size_t n = all_hiers(d, h);
	int r = check_rel(rel, err), first = 0;

	if (r < 0)
		return r;
	/* Every hierarchy, even after a failure in one: leave as little behind as we can. The
	 * first failure is the one reported. */
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = cgroup_hier_path(h[i], rel);
		struct nano_err tmp = {0};

		if (!dir)
			return nano_err_set(err, ENOMEM, "out of memory");
		r = cgroupfs_remove_tree(d, dir, first < 0 ? &tmp : err);
		nano_err_clear(&tmp);
		if (r < 0 && first == 0)
			first = r;
	}
	return first;
}
