/* daemon/node.c: the node's settings as a plan takes them (node.h), shared by nanoletd and
 * `nanolet explain`. Pure: text and settings in, driver, roots and plan_config out. It must not
 * read files or grow defaults of its own: a default belongs in config.c, where both callers get
 * it.
 */
#include "node.h"

#include <stdlib.h>
#include <string.h>

#define CGROUP_MOUNT "/sys/fs/cgroup"
#define ROOT_NAME    "nanolet"

/* "<own>/nanolet", one '/' between. */
static char *under(const char *own)
{
	return strdupf("%s%s" ROOT_NAME, own, own[0] && own[strlen(own) - 1] == '/' ? "" : "/");
}

/* An explicit root as one cgroup path: repeated '/' as one, no trailing '/' ("/" stays "/"),
 * as the driver and the plan read it, so that the root reported, locked and planned with is the
 * one the pods get. */
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

int node_resolve_cgroup(const struct nano_config *config, const struct cgroup_host *host,
                        const char *proc_self_cgroup, bool strict,
                        enum config_cgroup_driver *driver, char **root, struct nano_err *err)
{
	enum config_cgroup_driver d = config->cgroup_driver;
	bool unified = host->mode == CGROUP_MODE_UNIFIED;
	_cleanup_free_ char *own = NULL;
	int r = 0;

	*root = NULL;
	if (d == CONFIG_CGROUP_AUTO)
		d = unified ? CONFIG_CGROUP_V2 : CONFIG_CGROUP_V1;
	if (strict && d == CONFIG_CGROUP_V2 && !unified)
		return nano_err_set(
		        err, EINVAL,
		        "cgroup_driver v2 needs the unified hierarchy (cgroup2 mounted at "
		        "%s), but this host is %s: use cgroup_driver v1 or auto",
		        CGROUP_MOUNT, cgroup_mode_name(host->mode));
	if (strict && d == CONFIG_CGROUP_V1 && unified)
		return nano_err_set(
		        err, EINVAL,
		        "cgroup_driver v1 needs v1 controller hierarchies, but this host "
		        "is unified (cgroup2 only): use cgroup_driver v2 or auto");
	*driver = d;
	if (config->cgroup_root) {
		*root = root_normalize(config->cgroup_root);
		return *root ? 0 : nano_err_set(err, ENOMEM, "out of memory");
	}
	/* v1: the memory hierarchy is the one whose accounting must keep seeing the pods (on the
	 * development machines it places each session under /process_api/<id>). */
	own = cgroup_path_from_proc(proc_self_cgroup ? proc_self_cgroup : "",
	                            d == CONFIG_CGROUP_V2 ? NULL : "memory", &r);
	if (!own && r == -ENOENT && !strict)
		own = strdup("/");
	if (!own)
		return nano_err_set(err, r == -ENOMEM || r == 0 ? ENOMEM : ENOENT,
		                    "/proc/self/cgroup has no %s entry: set cgroup_root",
		                    d == CONFIG_CGROUP_V2 ? "unified (0::)" : "memory controller");
	*root = under(own);
	return *root ? 0 : nano_err_set(err, ENOMEM, "out of memory");
}

void node_hierarchies_done(struct node_hierarchies *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free((char *)h->v[i].name);
		free((char *)h->v[i].root);
	}
	free(h->v);
	*h = (struct node_hierarchies){0};
}

static int add(struct node_hierarchies *h, const char *name, size_t name_len, char *root)
{
	struct plan_hierarchy *grown;
	char *n = strndup(name, name_len);

	grown = n && root ? reallocarray(h->v, h->n + 1, sizeof(*grown)) : NULL;
	if (!grown) {
		free(n);
		free(root);
		return -ENOMEM;
	}
	h->v = grown;
	h->v[h->n++] = (struct plan_hierarchy){.name = n, .root = root};
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

int node_hierarchies(const struct nano_config *config, const struct cgroup_host *host,
                     enum config_cgroup_driver driver, const char *root,
                     const char *proc_self_cgroup, struct node_hierarchies *out)
{
	static const char *const controllers[] = {"memory", "cpu",     "cpuacct",
	                                          "pids",   "freezer", "devices"};
	const char *text = proc_self_cgroup ? proc_self_cgroup : "";
	const char *seen[ELEMENTSOF(controllers)];
	size_t n_seen = 0;
	int r;

	*out = (struct node_hierarchies){0};
	if (driver == CONFIG_CGROUP_V2)
		return add(out, "unified", strlen("unified"), strdup(root));
	/* the memory hierarchy holds root itself: the daemon resolved it from there */
	r = add(out, "memory", strlen("memory"), strdup(root));
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(controllers); i++) {
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
			return node_hierarchies_done(out), -ENOMEM;
		r = add(out, list, list_len, config->cgroup_root ? strdup(root) : under(own));
	}
	/* hybrid: the unified hierarchy mirrors the processes, for cgroup.kill and cgroup.events */
	if (r >= 0 && host->mode == CGROUP_MODE_HYBRID && host->unified_mounted) {
		_cleanup_free_ char *own = cgroup_path_from_proc(text, NULL, NULL);

		if (own || config->cgroup_root)
			r = add(out, "unified", strlen("unified"),
			        config->cgroup_root ? strdup(root) : under(own));
	}
	if (r < 0)
		node_hierarchies_done(out);
	return r;
}

void node_plan_config(const struct nano_config *config, enum config_cgroup_driver driver,
                      const char *cgroup_root, const struct node_hierarchies *hierarchies,
                      const char *uid, uint32_t userns_base, struct plan_config *out)
{
	*out = (struct plan_config){
	        .cgroup_root = cgroup_root,
	        .hierarchies = hierarchies ? hierarchies->v : NULL,
	        .n_hierarchies = hierarchies ? hierarchies->n : 0,
	        .driver = driver == CONFIG_CGROUP_V2 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
	        .pod_pids_limit = config->pod_pids_limit,
	        .state_dir = config->state_dir,
	        .pod_uid = uid,
	        .run_dir = config->run_dir,
	        .log_dir = config->log_dir,
	        .socket = config->socket,
	        .seccomp_default_unconfined = config->seccomp_default_unconfined,
	        .seccomp_profile_root = config->seccomp_profile_root,
	        .memory_qos = config->memory_qos,
	        .memory_throttling_factor = config->memory_throttling_factor,
	        .userns_base = userns_base,
	};
}

void node_decode_options(const struct nano_config *config, const json_t *doc, const char *ns,
                         struct spec_decode_options *out)
{
	const char *own =
	        json_string_value(json_object_get(json_object_get(doc, "metadata"), "namespace"));

	*out = (struct spec_decode_options){
	        .path_namespace = ns    ? ns
	                          : own ? own
	                                : "default",
	        .max_containers = (size_t)config->max_pod_containers,
	};
}
