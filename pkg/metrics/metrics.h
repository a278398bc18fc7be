/* pkg/metrics: the numbers nanolet exports, and their two outward shapes.
 *
 *   prom.c  the Prometheus text exposition format 0.0.4: families (# HELP, # TYPE), samples
 *           with escaped label values, histograms with cumulative buckets
 *   rate.c  a per-second rate from readings of a cumulative counter (usageNanoCores)
 *   node.c  the node's CPU and memory from /proc, as the kubelet's summary reports them
 *
 * Pure apart from node.c, which only reads files under a proc directory it is given. Nothing
 * here reads the clock: times are parameters.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

/* ---- Prometheus text format --------------------------------------------------------------- */

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A text being written. Writes after a failure are no-ops; prom_finish reports it. */
struct prom {
	FILE *f;
	char *buf;
	size_t len;
};

int prom_open(struct prom *p);
/* The text (malloc'd, NUL-terminated, *len without the NUL), or NULL on ENOMEM. Closes p. */
char *prom_finish(struct prom *p, size_t *len);
/* Releases an unfinished text. */
void prom_discard(struct prom *p);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). Every sample of a
 * family follows its header, before the next family's. */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);

/* One sample: labels are name/value pairs ending in NULL (NULL alone for none). Values are
 * escaped (\\, \", \n); integral values print without a fraction. */
void prom_sample(struct prom *p, const char *name, const char *const *labels, double value);

/* A histogram of fixed upper bounds (ascending, +Inf implied after the last). */
struct prom_histogram {
	const double *bounds;
	size_t n_bounds;
	uint64_t *counts; /* n_bounds + 1, not cumulative; the last is above every bound */
	double sum;
	uint64_t count;
};

/* counts is allocated for the bounds; -ENOMEM. */
int prom_histogram_init(struct prom_histogram *h, const double *bounds, size_t n_bounds);
void prom_histogram_done(struct prom_histogram *h);
void prom_histogram_observe(struct prom_histogram *h, double value);
/* name_bucket{le=...}, name_sum, name_count, with labels before le. */
void prom_histogram_write(struct prom *p, const char *name, const char *const *labels,
                          const struct prom_histogram *h);

/* ---- rates ------------------------------------------------------------------------------- */

/* The two newest readings of a cumulative counter that are at least a window apart. */
struct metrics_rate {
	int64_t at_ns[2]; /* [0] the older, [1] the newer; 0: none */
	uint64_t value[2];
};

/* Feeds a reading taken at now_ns and returns the counter's rise per second against the newest
 * reading at least min_window_ns older, or -1 while there is none (the first reading) or the
 * counter went backwards (a new cgroup: the readings start again). */
int64_t metrics_rate_update(struct metrics_rate *r, int64_t now_ns, uint64_t value,
                            int64_t min_window_ns);
/* The span, in ns, of the rate metrics_rate_update(r, now_ns, ...) just returned (>= 0): the
 * window metrics.k8s.io reports with it. */
int64_t metrics_rate_window(const struct metrics_rate *r, int64_t now_ns);

/* ---- the node ---------------------------------------------------------------------------- */

struct metrics_node {
	int64_t boot_time;           /* unix seconds: /proc/stat btime */
	uint64_t cpu_usage_ns;       /* busy jiffies of /proc/stat's cpu line, in ns */
	uint64_t memory_total;       /* MemTotal */
	uint64_t memory_usage;       /* MemTotal - MemFree */
	uint64_t memory_working_set; /* usage - Inactive(file), 0 when below */
	uint64_t memory_available;   /* MemAvailable */
	uint64_t memory_rss;         /* AnonPages */
	uint64_t page_faults;        /* /proc/vmstat pgfault */
	uint64_t major_page_faults;  /* /proc/vmstat pgmajfault */
};

/* Reads <proc>/stat, <proc>/meminfo and <proc>/vmstat; clk_tck is sysconf(_SC_CLK_TCK). */
int metrics_node_read(const char *proc, long clk_tck, struct metrics_node *out,
                      struct nano_err *err);

/* ---- quantities (quantity.c) -------------------------------------------------------------- */

/* Enough for any int64 with a sign and a suffix. */
#define METRICS_QUANTITY_SIZE 32

/* value * 10^scale as resource.Quantity prints a DecimalSI quantity: trailing zeros moved into
 * the exponent, which goes down to a multiple of 3 and becomes a suffix (n u m "" k M G T P E):
 * (2000, -3) "2", (123456000, -9) "123456u", (2487803, -9) "2487803n", (0, x) "0". Returns
 * buf. */
char *metrics_quantity_decimal(char buf[METRICS_QUANTITY_SIZE], int64_t value, int scale);
/* bytes as a BinarySI quantity prints: the largest power of 1024 that divides it as Ki, Mi, Gi,
 * Ti, Pi, Ei ("16318340Ki", "2Mi", "1025"); below 1024 the decimal form ("1k" for 1000).
 * Returns buf. */
char *metrics_quantity_binary(char buf[METRICS_QUANTITY_SIZE], int64_t bytes);

/* ---- node conditions (conditions.c) ------------------------------------------------------- */

/* What the kubelet's eviction signals are computed from (pkg/kubelet/eviction): memory.available
 * = capacity - working set; nodefs the filesystem of the state directory; pid.available = the
 * most tasks the kernel allows (min of pid_max and threads-max) - the tasks there are. */
struct metrics_node_pressure {
	uint64_t memory_capacity, memory_working_set;
	uint64_t nodefs_capacity, nodefs_available; /* bytes */
	uint64_t nodefs_inodes, nodefs_inodes_free;
	uint64_t pid_max, pids; /* 0 pid_max: unknown */
};

/* The kubelet's default hard eviction thresholds (memory.available<100Mi,
 * nodefs.available<10%, nodefs.inodesFree<5%); the kubelet has none for pid.available by
 * default, nanolet takes 10%. */
#define METRICS_MEMORY_AVAILABLE_MIN (UINT64_C(100) << 20)
#define METRICS_NODEFS_AVAILABLE_PCT 10
#define METRICS_INODES_FREE_PCT      5
#define METRICS_PID_AVAILABLE_PCT    10

enum metrics_condition_type {
	METRICS_MEMORY_PRESSURE,
	METRICS_DISK_PRESSURE,
	METRICS_PID_PRESSURE,
	METRICS_READY, /* last, as the kubelet keeps it */
	METRICS_CONDITION__MAX,
};

/* One NodeCondition: type, status ("True"/"False") and the kubelet's reason and message
 * (pkg/kubelet/nodestatus/setters.go), with "kubelet" as the kubelet words them. */
struct metrics_node_condition {
	const char *type;
	bool status;
	const char *reason;
	const char *message;
};

/* The four conditions of a node in that state. missing_capacity: the capacities that could not
 * be read (comma-separated, "" none), which make Ready False as in the kubelet; *message_buf
 * then holds its message (malloc'd, the caller frees; NULL when Ready is True). */
void metrics_node_conditions(const struct metrics_node_pressure *p, const char *missing_capacity,
                             struct metrics_node_condition out[METRICS_CONDITION__MAX],
                             char **message_buf);

/* When each condition's status last changed: fed every status computed, it keeps the time of
 * the last change (the first status seen counts from since_ns, the daemon's start). */
struct metrics_condition_transitions {
	bool known[METRICS_CONDITION__MAX];
	bool status[METRICS_CONDITION__MAX];
	int64_t at_ns[METRICS_CONDITION__MAX];
};

void metrics_conditions_track(struct metrics_condition_transitions *t,
                              const struct metrics_node_condition c[METRICS_CONDITION__MAX],
                              int64_t since_ns, int64_t now_ns);
