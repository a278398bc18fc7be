/* pkg/cgroup/roots.c: where nanolet's root is in each hierarchy, the one computation of it.
 * nanoletd runs it once, at start (daemon/node.c), and hands the result to the driver; `nanolet
 * explain` runs it to plan as that daemon would; a driver handed no roots (the unit suites, the
 * shim harness) runs it at open.
 *
 * An explicit root is the same cgroup path in every hierarchy (the kubelet's --cgroup-root);
 * without one it is "<own cgroup>/<root_name>" per hierarchy, the own cgroup taken from the
 * text of /proc/self/cgroup, so that pods stay inside whatever the daemon was given even where
 * the hierarchies place it differently (hybrid development hosts: memory under
 * /process_api/<id>, cpu at /).
 *
 * Pure: text and settings in, paths out. It must not read files: the callers do.
 */
#include "cgroup.h"

#include <string.h>

/* An explicit root as one cgroup path: repeated '/' as one, no trailing '/' ("/" stays "/"). */
static char *root_normalize(const char *root)
{
	char *out = malloc(strlen(root) + 2), *o = out;

	if (!out)
		return NULL;
	*o++ = '/';
	for (const char *p = root; *p; p++)
		if (*p != '/' || o[-1] != '/')
			*o++ = *p;
	if (o - out > 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return out;
}

/* "<own>/<name>", one '/' between. */
static char *under(const char *own, const char *name)
{
	return strdupf("%s%s%s", own, own[0] && own[strlen(own) - 1] == '/' ? "" : "/", name);
}

void cgroup_roots_free(struct plan_hierarchy *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].name);
		free((char *)v[i].root);
	}
	free(v);
}

struct list {
	struct plan_hierarchy *v;
	size_t n;
};

static int add(struct list *l, const char *name, size_t name_len, char *root)
{
	struct plan_hierarchy *grown;
	char *n = strndup(name, name_len);

	grown = n && root ? reallocarray(l->v, l->n + 1, sizeof(*grown)) : NULL;
	if (!grown) {
		free(n);
		free(root);
		return -ENOMEM;
	}
	l->v = grown;
	l->v[l->n++] = (struct plan_hierarchy){.name = n, .root = root};
	return 0;
}

/* The line of proc text whose controller list holds controller: its list and path. */
static bool find_line(const char *text, const char *controller, const char **list, size_t *list_len,
                      const char **path, size_t *path_len)
{
	size_t want = strlen(controller);

	for (const char *line = text; line && *line;) {
		const char *eol = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

		for (const char *p = c1 ? c1 + 1 : NULL; p && c2 && p < c2;) {
			const char *comma = memchr(p, ',', (size_t)(c2 - p));
			const char *end = comma ? comma : c2;

			if ((size_t)(end - p) == want && memcmp(p, controller, want) == 0) {
				*list = c1 + 1;
				*list_len = (size_t)(c2 - c1 - 1);
				*path = c2 + 1;
				*path_len = (size_t)(eol - c2 - 1);
				return true;
			}
			p = comma ? comma + 1 : NULL;
		}
		line = *eol ? eol + 1 : NULL;
	}
	return false;
}

/* The first hierarchy's root: the unified one's (v2) or the memory one's (v1), whose accounting
 * must keep seeing the pods (on the development machines it places each session under
 * /process_api/<id>). */
static int first_root(const struct cgroup_roots_options *o, const char *text, const char *name,
                      char **out, struct nano_err *err)
{
	bool v2 = o->driver == PLAN_CGROUP_V2;
	_cleanup_free_ char *own = NULL;
	int r = 0;

	if (o->root)
		*out = root_normalize(o->root);
	else {
		own = cgroup_path_from_proc(text, v2 ? NULL : "memory", &r);
		if (!own && r == -ENOENT && o->lenient)
			own = strdup("/");
		if (!own && r != -ENOMEM && r != 0)
			return nano_err_set(err, ENOENT,
			                    "/proc/self/cgroup has no %s entry: set cgroup_root",
			                    v2 ? "unified (0::)" : "memory controller");
		*out = own ? under(own, name) : NULL;
	}
	return *out ? 0 : nano_err_set(err, ENOMEM, "out of memory");
}

int cgroup_roots(const struct cgroup_roots_options *o, struct plan_hierarchy **out, size_t *n_out,
                 struct nano_err *err)
{
	static const char *const controllers[] = {"memory", "cpu",     "cpuacct",
	                                          "pids",   "freezer", "devices"};
	const char *text = o->proc_self_cgroup ? o->proc_self_cgroup : "";
	const char *name = o->root_name ? o->root_name : "nanolet";
	const char *seen[ELEMENTSOF(controllers)];
	_cleanup_free_ char *explicit_root = NULL;
	struct list l = {0};
	size_t n_seen = 0;
	char *first;
	int r;

	*out = NULL;
	*n_out = 0;
	if (o->root && !(explicit_root = root_normalize(o->root)))
		return nano_err_set(err, ENOMEM, "out of memory");
	r = first_root(o, text, name, &first, err);
	if (r < 0)
		return r;
	if (o->driver == PLAN_CGROUP_V2)
		r = add(&l, "unified", strlen("unified"), first);
	else
		/* the memory hierarchy holds the first root; then each other one the text lists */
		r = add(&l, "memory", strlen("memory"), first);
	for (size_t i = 0; o->driver != PLAN_CGROUP_V2 && r >= 0 && i < ELEMENTSOF(controllers);
	     i++) {
		const char *list, *path;
		size_t list_len, path_len;
		_cleanup_free_ char *own = NULL;
		bool listed = false;

		if (!find_line(text, controllers[i], &list, &list_len, &path, &path_len))
			continue;
		/* joined hierarchies (cpu,cpuacct) once; memory's, and any joined to it, is
		 * listed above */
		for (size_t j = 0; j < n_seen; j++)
			listed |= seen[j] == list;
		seen[n_seen++] = list;
		if (listed || i == 0)
			continue;
		own = strndup(path, path_len);
		if (!own)
			r = -ENOMEM;
		else
			r = add(&l, list, list_len,
			        explicit_root ? strdup(explicit_root) : under(own, name));
	}
	/* hybrid: the unified hierarchy mirrors the processes, for cgroup.kill and cgroup.events */
	if (r >= 0 && o->driver != PLAN_CGROUP_V2 && o->host.mode == CGROUP_MODE_HYBRID &&
	    o->host.unified_mounted) {
		_cleanup_free_ char *own = cgroup_path_from_proc(text, NULL, NULL);

		if (own || explicit_root)
			r = add(&l, "unified", strlen("unified"),
			        explicit_root ? strdup(explicit_root) : under(own, name));
	}
	if (r < 0) {
		cgroup_roots_free(l.v, l.n);
		return nano_err_set(err, -r, "out of memory");
	}
	*out = l.v;
	*n_out = l.n;
	return 0;
}
