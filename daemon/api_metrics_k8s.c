/* daemon/api_metrics_k8s.c: metrics.k8s.io/v1beta1, the Metrics API that metrics-server serves
 * in a cluster and `kubectl top` reads:
 *
 *   GET /apis/metrics.k8s.io/v1beta1/nodes[/{name}]                    NodeMetrics(List)
 *   GET /apis/metrics.k8s.io/v1beta1/pods                              PodMetricsList
 *   GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods[/{name}]     PodMetrics(List)
 *
 * The numbers are /stats/summary's (api_stats.h), worded as metrics-server words them: cpu the
 * usageNanoCores rate in nanocores ("2487803n"), memory the working set as a BinarySI quantity
 * ("10240Ki"), over the window the rate spans. As metrics-server, a pod is listed once every
 * container it has a cgroup for has a rate (two readings a second apart; the pod manager takes
 * one each cpu_throttling_interval), and only while it runs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_nodes.h"
#include "api_stats.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

#define METRICS_API_VERSION "metrics.k8s.io/v1beta1"

/* A metav1.Duration as Go's time.Duration.String() prints it: "10.5s", "1m0.25s", "850ms". */
static json_t *duration_json(int64_t ns)
{
	char buf[64], frac[16];
	int64_t s = ns / 1000000000, f = ns % 1000000000;
	int n = 0;

	if (ns <= 0)
		return json_string("0s");
	if (ns < 1000000000) {
		/* ms with a fraction, as Go does below a second */
		snprintf(frac, sizeof(frac), "%06" PRId64, ns % 1000000);
		for (size_t i = strlen(frac); i > 0 && frac[i - 1] == '0'; i--)
			frac[i - 1] = '\0';
		snprintf(buf, sizeof(buf), "%" PRId64 "%s%sms", ns / 1000000, frac[0] ? "." : "",
		         frac);
		return json_string(buf);
	}
	snprintf(frac, sizeof(frac), "%09" PRId64, f);
	for (size_t i = strlen(frac); i > 0 && frac[i - 1] == '0'; i--)
		frac[i - 1] = '\0';
	if (s >= 3600)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%" PRId64 "h", s / 3600);
	if (s >= 60)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%" PRId64 "m", s / 60 % 60);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "%" PRId64 "%s%ss", s % 60, frac[0] ? "." : "",
	         frac);
	return json_string(buf);
}

static json_t *usage_json(int64_t nano_cores, uint64_t working_set)
{
	char cpu[METRICS_QUANTITY_SIZE], memory[METRICS_QUANTITY_SIZE];

	return json_pack(
	        "{s:s, s:s}", "cpu", metrics_quantity_decimal(cpu, nano_cores, -9), "memory",
	        metrics_quantity_binary(memory, working_set > INT64_MAX ? INT64_MAX
	                                                                : (int64_t)working_set));
}

static json_t *list_json(const char *kind, json_t *items)
{
	return json_pack("{s:s, s:s, s:{}, s:o*}", "kind", kind, "apiVersion", METRICS_API_VERSION,
	                 "metadata", "items", items);
}

static void not_found(struct http_response *resp, const char *resource, const char *name)
{
	_cleanup_free_ char *message =
	        strdupf("%s.metrics.k8s.io \"%s\" not found", resource, name);

	routes_status(resp, 404, "NotFound", message ? message : "not found");
}

/* ---- nodes ------------------------------------------------------------------------------ */

/* The NodeMetrics, or NULL while there is no rate yet (or out of memory: err says). */
static json_t *node_metrics(struct nanoletd *d, struct nano_err *err)
{
	struct api_stats_node n;

	if (api_stats_node_read(d, &n, err) < 0 || n.usage_nano_cores < 0)
		return NULL;
	return json_pack("{s:s, s:s, s:{s:s, s:o, s:o}, s:o, s:o, s:o}", "kind", "NodeMetrics",
	                 "apiVersion", METRICS_API_VERSION, "metadata", "name", d->hostname,
	                 "creationTimestamp", util_json_time(util_realtime_ns()), "labels",
	                 api_node_labels(d), "timestamp", util_json_time(util_realtime_ns()),
	                 "window", duration_json(n.usage_window_ns), "usage",
	                 usage_json(n.usage_nano_cores, n.node.memory_working_set));
}

void api_metrics_nodes_list(struct nanoletd *d, const struct http_request *req,
                            const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	json_t *items = json_array(), *node;

	(void)req;
	(void)args;
	node = node_metrics(d, &err);
	if (!node && err.errnum) {
		json_decref(items);
		return routes_error(resp, &err);
	}
	if (node)
		json_array_append_new(items, node);
	routes_json(resp, 200, list_json("NodeMetricsList", items));
}

void api_metrics_node_get(struct nanoletd *d, const struct http_request *req,
                          const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	json_t *node;

	(void)req;
	if (strcmp(args->name, d->hostname) != 0)
		return not_found(resp, "nodemetrics", args->name);
	node = node_metrics(d, &err);
	if (!node && err.errnum)
		return routes_error(resp, &err);
	if (!node)
		return not_found(resp, "nodemetrics", args->name);
	routes_json(resp, 200, node);
}

/* ---- pods ------------------------------------------------------------------------------- */

/* The PodMetrics of a read pod, or NULL when it has none to give (not running, a container
 * without a rate yet, no container read). */
static json_t *pod_metrics(struct nanoletd *d, const struct pod_stats *p)
{
	struct pod *pod = pods_find(d->pods, p->namespace, p->name);
	_cleanup_json_ json_t *object = NULL, *containers = json_array();
	int64_t window = 0;
	json_t *labels;

	if (!pod || !containers || strcmp(p->phase, "Running") != 0)
		return NULL;
	for (size_t i = 0; i < p->n_containers; i++) {
		const struct pod_container_stats *c = &p->containers[i];

		if (!c->have)
			continue;
		if (c->usage_nano_cores < 0)
			return NULL;
		if (c->usage_window_ns > window)
			window = c->usage_window_ns;
		json_array_append_new(containers,
		                      json_pack("{s:s, s:o}", "name", c->name, "usage",
		                                usage_json(c->usage_nano_cores,
		                                           c->cgroup.memory_working_set_bytes)));
	}
	if (json_array_size(containers) == 0)
		return NULL;
	object = pod_to_json(pod);
	labels = json_object_get(json_object_get(object, "metadata"), "labels");
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:O?}, s:o, s:o, s:O}", "kind", "PodMetrics",
	                 "apiVersion", METRICS_API_VERSION, "metadata", "name", p->name,
	                 "namespace", p->namespace, "creationTimestamp",
	                 util_json_time(util_realtime_ns()), "labels", labels, "timestamp",
	                 util_json_time(util_realtime_ns()), "window", duration_json(window),
	                 "containers", containers);
}

/* The PodMetrics of one namespace (ns NULL: all), or of one pod (name); NULL on ENOMEM. */
static json_t *pods_metrics(struct nanoletd *d, const char *ns, const char *name)
{
	struct api_stats_pods s;
	json_t *items = json_array();

	if (api_stats_pods_read(d, &s) < 0 || !items) {
		api_stats_pods_done(&s);
		json_decref(items);
		return NULL;
	}
	for (size_t i = 0; i < s.n; i++) {
		json_t *m;

		if ((ns && strcmp(s.pods[i].namespace, ns) != 0) ||
		    (name && strcmp(s.pods[i].name, name) != 0))
			continue;
		m = pod_metrics(d, &s.pods[i]);
		if (m)
			json_array_append_new(items, m);
	}
	api_stats_pods_done(&s);
	return items;
}

/* metrics-server takes a labelSelector; nanolet has none to match with yet: refused clearly
 * rather than ignored. */
static bool selector_refused(const struct http_request *req, struct http_response *resp)
{
	const char *labels = http_query(req, "labelSelector");
	const char *fields = http_query(req, "fieldSelector");

	if ((!labels || !*labels) && (!fields || !*fields))
		return false;
	api_bad_request(resp, "%s is not supported on metrics.k8s.io pods by nanolet",
	                labels && *labels ? "labelSelector" : "fieldSelector");
	return true;
}

void api_metrics_pods_list(struct nanoletd *d, const struct http_request *req,
                           const struct route_args *args, struct http_response *resp)
{
	json_t *items;

	if (selector_refused(req, resp))
		return;
	items = pods_metrics(d, args->ns[0] ? args->ns : NULL, NULL);
	if (!items)
		return routes_status(resp, 500, "InternalError", "out of memory");
	routes_json(resp, 200, list_json("PodMetricsList", items));
}

void api_metrics_pod_get(struct nanoletd *d, const struct http_request *req,
                         const struct route_args *args, struct http_response *resp)
{
	json_t *items = pods_metrics(d, args->ns, args->name);

	(void)req;
	if (!items)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (json_array_size(items) == 0) {
		json_decref(items);
		return not_found(resp, "podmetrics", args->name);
	}
	routes_json(resp, 200, json_incref(json_array_get(items, 0)));
	json_decref(items);
}
