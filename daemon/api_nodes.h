/* daemon/api_nodes.h: this node as a core/v1 Node (api_nodes.c), for its routes and for
 * metrics.k8s.io's NodeMetrics (api_metrics_k8s.c). */
#pragma once

#include <jansson.h>

#include "routes.h"

struct nanoletd;

/* The node's uid and creation time from the store's meta table, set there on the first start
 * on this state directory; and this start's time (the conditions' first transition). */
int api_nodes_open(struct nanoletd *d, struct nano_err *err);

/* The Node, read now; NULL with err. */
json_t *api_node_json(struct nanoletd *d, struct nano_err *err);
/* The labels the kubelet sets on its Node. */
json_t *api_node_labels(const struct nanoletd *d);

route_fn api_nodes_list; /* GET /api/v1/nodes */
route_fn api_node_get;   /* GET /api/v1/nodes/{name} */

/* daemon/api_metrics_k8s.c: metrics.k8s.io/v1beta1 */
route_fn api_metrics_nodes_list; /* GET .../nodes */
route_fn api_metrics_node_get;   /* GET .../nodes/{name} */
route_fn api_metrics_pods_list;  /* GET .../pods, .../namespaces/{ns}/pods */
route_fn api_metrics_pod_get;    /* GET .../namespaces/{ns}/pods/{name} */

/* daemon/api_namespaces.c: core/v1 Namespaces */
/* "default", which always exists, made at the first start (as the node is). */
int api_namespaces_open(struct nanoletd *d, struct nano_err *err);
route_fn api_namespaces_list;   /* GET /api/v1/namespaces */
route_fn api_namespaces_create; /* POST /api/v1/namespaces */
route_fn api_namespace_get;     /* GET /api/v1/namespaces/{name} */
route_fn api_namespace_delete;  /* DELETE /api/v1/namespaces/{name} */
