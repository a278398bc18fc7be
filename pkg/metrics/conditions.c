/* pkg/metrics/conditions.c: a node's conditions (MemoryPressure, DiskPressure, PIDPressure,
 * Ready) from its numbers, with the kubelet's eviction thresholds and its reasons and messages
 * (pkg/kubelet/nodestatus/setters.go). nanolet evicts nothing: the conditions say what the
 * kubelet would see on this node. Pure: the numbers and the times are parameters. */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* a < pct% of total; false when total is unknown (0) */
static bool below_percent(uint64_t a, uint64_t total, unsigned pct)
{
	return total > 0 && (long double)a * 100 < (long double)total * pct;
}

void metrics_node_conditions(const struct metrics_node_pressure *p, const char *missing_capacity,
                             struct metrics_node_condition out[METRICS_CONDITION__MAX],
                             char **message_buf)
{
	uint64_t memory_available = p->memory_capacity > p->memory_working_set
	                                    ? p->memory_capacity - p->memory_working_set
	                                    : 0;
	bool memory = p->memory_capacity > 0 && memory_available < METRICS_MEMORY_AVAILABLE_MIN;
	bool disk = below_percent(p->nodefs_available, p->nodefs_capacity,
	                          METRICS_NODEFS_AVAILABLE_PCT) ||
	            below_percent(p->nodefs_inodes_free, p->nodefs_inodes, METRICS_INODES_FREE_PCT);
	bool pid = p->pid_max > 0 && below_percent(p->pid_max > p->pids ? p->pid_max - p->pids : 0,
	                                           p->pid_max, METRICS_PID_AVAILABLE_PCT);

	*message_buf = NULL;
	out[METRICS_MEMORY_PRESSURE] =
	        memory ? (struct metrics_node_condition){"MemoryPressure", true,
	                                                 "KubeletHasInsufficientMemory",
	                                                 "kubelet has insufficient memory "
	                                                 "available"}
	               : (struct metrics_node_condition){"MemoryPressure", false,
	                                                 "KubeletHasSufficientMemory",
	                                                 "kubelet has sufficient memory available"};
	out[METRICS_DISK_PRESSURE] =
	        disk ? (struct metrics_node_condition){"DiskPressure", true,
	                                               "KubeletHasDiskPressure",
	                                               "kubelet has disk pressure"}
	             : (struct metrics_node_condition){"DiskPressure", false,
	                                               "KubeletHasNoDiskPressure",
	                                               "kubelet has no disk pressure"};
	out[METRICS_PID_PRESSURE] =
	        pid ? (struct metrics_node_condition){"PIDPressure", true,
	                                              "KubeletHasInsufficientPID",
	                                              "kubelet has insufficient PID available"}
	            : (struct metrics_node_condition){"PIDPressure", false,
	                                              "KubeletHasSufficientPID",
	                                              "kubelet has sufficient PID available"};
	out[METRICS_READY] = (struct metrics_node_condition){"Ready", true, "KubeletReady",
	                                                     "kubelet is posting ready status"};
	if (missing_capacity && *missing_capacity) {
		*message_buf = strdupf("Missing node capacity for resources: %s", missing_capacity);
		out[METRICS_READY] = (struct metrics_node_condition){
		        "Ready", false, "KubeletNotReady",
		        *message_buf ? *message_buf : "Missing node capacity"};
	}
}

void metrics_conditions_track(struct metrics_condition_transitions *t,
                              const struct metrics_node_condition c[METRICS_CONDITION__MAX],
                              int64_t since_ns, int64_t now_ns)
{
	for (size_t i = 0; i < METRICS_CONDITION__MAX; i++) {
		if (!t->known[i]) {
			t->known[i] = true;
			t->status[i] = c[i].status;
			t->at_ns[i] = since_ns;
		} else if (t->status[i] != c[i].status) {
			t->status[i] = c[i].status;
			t->at_ns[i] = now_ns;
		}
	}
}
