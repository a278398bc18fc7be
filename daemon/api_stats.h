/* daemon/api_stats.h: the one read of the node's and the pods' numbers behind /stats/summary,
 * /metrics and metrics.k8s.io (api_stats.c), so that every shape reports the same numbers. */
#pragma once

#include "metrics/metrics.h"
#include "pods.h"

struct nanoletd;

/* Every pod's cgroups, read once (pod_stats_read): r < 0 (-ENOMEM) when a read failed. */
struct api_stats_pods {
	struct pod_stats *pods;
	size_t n, cap;
	int r;
};

/* 0 or -ENOMEM (out is filled as far as it got; api_stats_pods_done it either way). */
int api_stats_pods_read(struct nanoletd *d, struct api_stats_pods *out);
void api_stats_pods_done(struct api_stats_pods *s);

/* The node's numbers from /proc and its CPU rate (d->node_cpu_rate): usage_nano_cores -1 until
 * two readings a second apart, usage_window_ns the span it is over. */
struct api_stats_node {
	struct metrics_node node;
	int64_t usage_nano_cores;
	int64_t usage_window_ns;
};

int api_stats_node_read(struct nanoletd *d, struct api_stats_node *out, struct nano_err *err);
