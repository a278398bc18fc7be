/* daemon/node.c: the node's settings as a plan takes them (node.h), shared by nanoletd and
 * `nanolet explain`. Pure: text and settings in, driver, roots and plan_config out. It must not
 * read files or grow defaults of its own: a default belongs in config.c, where both callers get
 * it.
 */
#include "node.h"

#include <string.h>

#define CGROUP_MOUNT "/sys/fs/cgroup"

int node_resolve_cgroup(const struct nano_config *config, const struct cgroup_host *host,
                        const char *proc_self_cgroup, bool strict,
                        enum config_cgroup_driver *driver, char **root, struct nano_err *err)
{
	enum config_cgroup_driver d = config->cgroup_driver;
	bool unified = host->mode == CGROUP_MODE_UNIFIED;
	struct node_hierarchies h = {0};
	int r;

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
	r = cgroup_roots(&(struct cgroup_roots_options){.driver = d == CONFIG_CGROUP_V2
	                                                                  ? PLAN_CGROUP_V2
	                                                                  : PLAN_CGROUP_V1,
	                                                .host = *host,
	                                                .root = config->cgroup_root,
	                                                .proc_self_cgroup = proc_self_cgroup,
	                                                .lenient = !strict},
	                 &h.v, &h.n, err);
	if (r < 0)
		return r;
	*root = strdup(h.v[0].root);
	node_hierarchies_done(&h);
	return *root ? 0 : nano_err_set(err, ENOMEM, "out of memory");
}

void node_hierarchies_done(struct node_hierarchies *h)
{
	cgroup_roots_free(h->v, h->n);
	*h = (struct node_hierarchies){0};
}

int node_hierarchies(const struct nano_config *config, const struct cgroup_host *host,
                     enum config_cgroup_driver driver, const char *proc_self_cgroup,
                     struct node_hierarchies *out)
{
	*out = (struct node_hierarchies){0};
	/* lenient: the daemon resolved its root strictly first, and explain describes any node */
	return cgroup_roots(&(struct cgroup_roots_options){.driver = driver == CONFIG_CGROUP_V2
	                                                                     ? PLAN_CGROUP_V2
	                                                                     : PLAN_CGROUP_V1,
	                                                   .host = *host,
	                                                   .root = config->cgroup_root,
	                                                   .proc_self_cgroup = proc_self_cgroup,
	                                                   .lenient = true},
	                    &out->v, &out->n, NULL);
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
	        .network = {.bridge = config->network.none ? NULL : config->network.bridge,
	                    .cidr = config->network.cidr.network,
	                    .prefix = config->network.cidr.prefix,
	                    .mtu = (unsigned)config->network.mtu,
	                    .masquerade = config->network.masquerade},
	};
	if (uid && net_node_ifname(uid, out->network.node_ifname) < 0)
		out->network.node_ifname[0] = '\0';
	if (uid && net_ifb_ifname(uid, out->network.ifb_ifname) < 0)
		out->network.ifb_ifname[0] = '\0';
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
