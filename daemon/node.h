/* daemon/node.h: the node's settings as a plan takes them, one code path for nanoletd and for
 * `nanolet explain`, so that both build the same plan from the same spec and node config: which
 * cgroup driver, nanolet's root in each hierarchy (resolved from the config, the host's layout
 * and the text of /proc/self/cgroup, as a daemon started there would, by pkg/cgroup's
 * cgroup_roots), and the plan_config made of them and the config's defaults.
 *
 * Pure: the callers read /proc/self/cgroup and detect the host; nothing here does I/O.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "config.h"
#include "plan/plan.h"
#include "spec/spec.h"

/* The driver (v2 or v1, never auto) and nanolet's root for a config on a host: the first
 * hierarchy's root of node_hierarchies (cgroup_roots, pkg/cgroup/roots.c): config's cgroup_root
 * when set (repeated and trailing '/' dropped), else "<own cgroup>/nanolet", the own cgroup
 * being the 0:: entry of proc_self_cgroup for v2 and the memory controller's for v1. strict
 * (the daemon): a driver the host cannot serve is -EINVAL and a missing entry -ENOENT, with
 * messages; not strict (explain, which may describe another node): the driver is taken as
 * asked and a missing entry is the root cgroup. *root is malloc'd. */
int node_resolve_cgroup(const struct nano_config *config, const struct cgroup_host *host,
                        const char *proc_self_cgroup, bool strict,
                        enum config_cgroup_driver *driver, char **root, struct nano_err *err);

/* Every hierarchy the driver uses, with nanolet's root in it. */
struct node_hierarchies {
	struct plan_hierarchy *v; /* names and roots malloc'd */
	size_t n;
};

/* nanolet's root in every hierarchy the driver uses (cgroup_roots: v2 the unified one; v1
 * memory first, then cpu, cpuacct, pids, freezer and devices as proc_self_cgroup lists them,
 * joined ones once by their joined name, "cpu,cpuacct", and on a hybrid host the unified one).
 * nanoletd computes these once, at start, from the /proc/self/cgroup it was started with: its
 * locks, its cgroup driver and every plan take their roots from here. 0, -ENOENT or -ENOMEM. */
int node_hierarchies(const struct nano_config *config, const struct cgroup_host *host,
                     enum config_cgroup_driver driver, const char *proc_self_cgroup,
                     struct node_hierarchies *out);
void node_hierarchies_done(struct node_hierarchies *h);

/* The plan_config of a pod on this node. cgroup_root the root in use, uid NULL for a pod that
 * is not created, userns_base 0 when the pod has no user namespace or none is picked yet. The
 * result points into config and hierarchies. */
void node_plan_config(const struct nano_config *config, enum config_cgroup_driver driver,
                      const char *cgroup_root, const struct node_hierarchies *hierarchies,
                      const char *uid, uint32_t userns_base, struct plan_config *out);

/* How a Pod document is decoded on this node: ns the namespace of the request's path, NULL for
 * none (the document's own metadata.namespace, else "default"), and the node's
 * max_pod_containers. The result points into config and doc. */
void node_decode_options(const struct nano_config *config, const json_t *doc, const char *ns,
                         struct spec_decode_options *out);
