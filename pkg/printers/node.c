/* pkg/printers/node.c: the rows of the cluster-scoped kinds, as the API server's printNode and
 * printNamespace write them. Node: NAME, STATUS (Ready or NotReady from the Ready condition,
 * Unknown without one, SchedulingDisabled added for an unschedulable node), ROLES (from the
 * node-role.kubernetes.io/<role> and kubernetes.io/role labels, sorted, <none>), AGE, VERSION
 * (the kubelet's); wide: INTERNAL-IP, EXTERNAL-IP (the first of each, <none>), OS-IMAGE,
 * KERNEL-VERSION, CONTAINER-RUNTIME (<unknown> when empty). Namespace: NAME, STATUS (the
 * phase), AGE.
 *
 * Pure: reads the JSON, nothing else.
 */
#include "printers_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_ADDRESSES_DOC                                                                         \
	"List of addresses reachable to the node. Queried from cloud provider, if available. "     \
	"More "                                                                                    \
	"info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field " \
	"is declared as mergeable, but the merge key is not sufficiently unique, which can cause " \
	"data corruption when it is merged. Callers should instead use a full-replacement patch. " \
	"See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can "  \
	"change during the lifetime of a Node. However, there are some exceptions where this may " \
	"not be possible, such as Pods that inherit a Node's address in its own status or "        \
	"consumers of the downward API (status.hostIP)."

static const struct printers_column node_columns[] = {
        {"Name", "string", "name", printers_doc_name, 0},
        {"Status", "string", "", "The status of the node", 0},
        {"Roles", "string", "", "The roles of the node", 0},
        {"Age", "string", "", printers_doc_creation_timestamp, 0},
        {"Version", "string", "", "Kubelet Version reported by the node.", 0},
        {"Internal-IP", "string", "", NODE_ADDRESSES_DOC, 1},
        {"External-IP", "string", "", NODE_ADDRESSES_DOC, 1},
        {"OS-Image", "string", "",
         "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
         1},
        {"Kernel-Version", "string", "",
         "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1},
        {"Container-Runtime", "string", "",
         "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
         "containerd://1.4.2).",
         1},
};

static const struct printers_column namespace_columns[] = {
        {"Name", "string", "name", printers_doc_name, 0},
        {"Status", "string", "", "The status of the namespace", 0},
        {"Age", "string", "", printers_doc_creation_timestamp, 0},
};

#define ROLE_PREFIX "node-role.kubernetes.io/"

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* findNodeRoles: the roles, sorted and unique, joined with ","; "<none>" for none. */
static int append_roles(json_t *cells, const json_t *labels)
{
	size_t n = 0, len = 0, cap = json_object_size(labels);
	const char **roles = calloc(cap ? cap : 1, sizeof(*roles));
	const char *key;
	json_t *value;
	char *joined;
	int r;

	if (!roles)
		return -ENOMEM;
	json_object_foreach((json_t *)labels, key, value)
	{
		const char *v = json_string_value(value);

		if (strncmp(key, ROLE_PREFIX, strlen(ROLE_PREFIX)) == 0 && key[strlen(ROLE_PREFIX)])
			roles[n++] = key + strlen(ROLE_PREFIX);
		else if (strcmp(key, "kubernetes.io/role") == 0 && v && v[0])
			roles[n++] = v;
	}
	qsort(roles, n, sizeof(*roles), compare_strings);
	for (size_t i = 0; i < n; i++)
		len += strlen(roles[i]) + 1;
	joined = calloc(len + sizeof("<none>"), 1);
	if (!joined) {
		free(roles);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(roles[i], roles[i - 1]) == 0)
			continue;
		if (joined[0])
			strcat(joined, ",");
		strcat(joined, roles[i]);
	}
	r = printers_append(cells, joined[0] ? joined : "<none>");
	free(joined);
	free(roles);
	return r;
}

/* The first address of type, "<none>" when none. */
static const char *address(const json_t *addresses, const char *type)
{
	for (size_t i = 0; i < json_array_size(addresses); i++) {
		const json_t *a = json_array_get(addresses, i);

		if (strcmp(printers_str(a, "type"), type) == 0)
			return printers_str(a, "address");
	}
	return "<none>";
}

static const char *or_unknown(const char *s)
{
	return s[0] ? s : "<unknown>";
}

static int node_cells(const json_t *node, int64_t now_s, json_t *cells, json_t **conditions)
{
	const json_t *meta = json_object_get(node, "metadata"),
	             *status = json_object_get(node, "status");
	const json_t *info = json_object_get(status, "nodeInfo");
	const json_t *addresses = json_object_get(status, "addresses");
	const json_t *conds = json_object_get(status, "conditions"), *ready = NULL;
	char state[64], age[PRINTERS_DURATION_SIZE];
	int r = 0;

	(void)conditions;
	/* the last Ready condition, as printNode's map keeps it */
	for (size_t i = 0; i < json_array_size(conds); i++)
		if (strcmp(printers_str(json_array_get(conds, i), "type"), "Ready") == 0)
			ready = json_array_get(conds, i);
	snprintf(state, sizeof(state), "%s%s",
	         !ready                                               ? "Unknown"
	         : strcmp(printers_str(ready, "status"), "True") == 0 ? "Ready"
	                                                              : "NotReady",
	         json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable"))
	                 ? ",SchedulingDisabled"
	                 : "");

	r |= printers_append(cells, printers_str(meta, "name"));
	r |= printers_append(cells, state);
	r |= append_roles(cells, json_object_get(meta, "labels"));
	r |= printers_append(cells, printers_since(printers_time(meta, "creationTimestamp"), now_s,
	                                           age, sizeof(age)));
	r |= printers_append(cells, printers_str(info, "kubeletVersion"));
	r |= printers_append(cells, address(addresses, "InternalIP"));
	r |= printers_append(cells, address(addresses, "ExternalIP"));
	r |= printers_append(cells, or_unknown(printers_str(info, "osImage")));
	r |= printers_append(cells, or_unknown(printers_str(info, "kernelVersion")));
	r |= printers_append(cells, or_unknown(printers_str(info, "containerRuntimeVersion")));
	return r < 0 ? -ENOMEM : 0;
}

static int namespace_cells(const json_t *ns, int64_t now_s, json_t *cells, json_t **conditions)
{
	const json_t *meta = json_object_get(ns, "metadata");
	char age[PRINTERS_DURATION_SIZE];
	int r = 0;

	(void)conditions;
	r |= printers_append(cells, printers_str(meta, "name"));
	r |= printers_append(cells, printers_str(json_object_get(ns, "status"), "phase"));
	r |= printers_append(cells, printers_since(printers_time(meta, "creationTimestamp"), now_s,
	                                           age, sizeof(age)));
	return r < 0 ? -ENOMEM : 0;
}

const struct printers_kind printers_node = {
        .kind = "Node",
        .list_kind = "NodeList",
        .columns = node_columns,
        .n_columns = sizeof(node_columns) / sizeof(node_columns[0]),
        .cells = node_cells,
};

const struct printers_kind printers_namespace = {
        .kind = "Namespace",
        .list_kind = "NamespaceList",
        .columns = namespace_columns,
        .n_columns = sizeof(namespace_columns) / sizeof(namespace_columns[0]),
        .cells = namespace_cells,
};
