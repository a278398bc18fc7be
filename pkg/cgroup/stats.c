/* pkg/cgroup/stats.c: one cgroup's counters for /stats/summary and /metrics, read the way
 * cAdvisor reads them, so the numbers mean what the kubelet's do:
 *   working set = usage - inactive_file (0 when below), the kubelet's eviction signal;
 *   rss = anon (v2) / total_rss (v1); v1 reads the hierarchical total_* keys of memory.stat;
 *   cpu usage and throttled time in ns (v2 reports usec, v1 ns);
 *   OOM kills from memory.events / memory.oom_control, pids-limit hits from pids.events "max".
 *
 * Each counter is one row of a table: the file, the key in it (none for a one-value file) and
 * the unit. A file the kernel lacks leaves its counter at 0; a missing cgroup is an error.
 * This file only reads: it must not write a cgroup file or decide anything from the numbers.
 */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

struct stat_row {
	const char *controller; /* v1: which hierarchy; v2 ignores it */
	const char *file;
	const char *key; /* NULL: the file is one value */
	size_t offset;   /* into struct cgroup_stats */
	uint64_t scale;  /* to the struct's unit */
};

#define ROW(c, f, k, field, s)                                                                     \
	{                                                                                          \
		c, f, k, offsetof(struct cgroup_stats, field), s                                   \
	}

static const struct stat_row v2_rows[] = {
        ROW("memory", "memory.current", NULL, memory_usage_bytes, 1),
        ROW("memory", "memory.stat", "anon", memory_rss_bytes, 1),
        ROW("memory", "memory.stat", "inactive_file", memory_inactive_file_bytes, 1),
        ROW("memory", "memory.stat", "pgfault", memory_pgfault, 1),
        ROW("memory", "memory.stat", "pgmajfault", memory_pgmajfault, 1),
        ROW("memory", "memory.max", NULL, memory_limit_bytes, 1),
        ROW("memory", "memory.events", "oom_kill", memory_oom_kill, 1),
        ROW("cpu", "cpu.stat", "usage_usec", cpu_usage_ns, 1000),
        ROW("cpu", "cpu.stat", "nr_periods", cpu_nr_periods, 1),
        ROW("cpu", "cpu.stat", "nr_throttled", cpu_nr_throttled, 1),
        ROW("cpu", "cpu.stat", "throttled_usec", cpu_throttled_ns, 1000),
        ROW("pids", "pids.current", NULL, pids_current, 1),
        ROW("pids", "pids.max", NULL, pids_max, 1),
        ROW("pids", "pids.events", "max", pids_max_events, 1),
};

static const struct stat_row v1_rows[] = {
        ROW("memory", "memory.usage_in_bytes", NULL, memory_usage_bytes, 1),
        ROW("memory", "memory.stat", "total_rss", memory_rss_bytes, 1),
        ROW("memory", "memory.stat", "total_inactive_file", memory_inactive_file_bytes, 1),
        ROW("memory", "memory.stat", "total_pgfault", memory_pgfault, 1),
        ROW("memory", "memory.stat", "total_pgmajfault", memory_pgmajfault, 1),
        ROW("memory", "memory.limit_in_bytes", NULL, memory_limit_bytes, 1),
        ROW("memory", "memory.oom_control", "oom_kill", memory_oom_kill, 1),
        ROW("cpuacct", "cpuacct.usage", NULL, cpu_usage_ns, 1),
        ROW("cpu", "cpu.stat", "nr_periods", cpu_nr_periods, 1),
        ROW("cpu", "cpu.stat", "nr_throttled", cpu_nr_throttled, 1),
        ROW("cpu", "cpu.stat", "throttled_time", cpu_throttled_ns, 1),
        ROW("pids", "pids.current", NULL, pids_current, 1),
        ROW("pids", "pids.max", NULL, pids_max, 1),
        ROW("pids", "pids.events", "max", pids_max_events, 1),
};

/* v1 writes "no limit" as the largest page-aligned number: LONG_MAX rounded down to a page. */
static uint64_t v1_unlimited(uint64_t v)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page > 0 && v != CGROUP_STAT_MAX && v > (uint64_t)INT64_MAX - (uint64_t)page)
		return CGROUP_STAT_MAX;
	return v;
}

/* One row from the text of its file (NULL: the kernel lacks the file). */
static int read_row(const char *dir, const char *text, const struct stat_row *row,
                    struct cgroup_stats *out, struct nano_err *err)
{
	uint64_t v, *field = (uint64_t *)((char *)out + row->offset);
	int r;

	if (!text)
		return 0;
	r = row->key ? cgroupfs_keyed_u64(text, row->key, &v) : cgroupfs_parse_u64(text, &v);
	if (r == -ENOENT)
		return 0; /* an older kernel without this key */
	if (r < 0)
		return nano_err_set(err, EBADMSG, "%s/%s: cannot read %s", dir, row->file,
		                    row->key ? row->key : "a number");
	if (v != CGROUP_STAT_MAX && row->scale > 1)
		v = v > UINT64_MAX / row->scale ? UINT64_MAX : v * row->scale;
	*field = v;
	return 0;
}

/* The rows of one file are next to each other in the tables: each file is read once. */
int cgroup_driver_stats(const struct cgroup_driver *d, const char *rel, struct cgroup_stats *out,
                        struct nano_err *err)
{
	const struct stat_row *rows = d->kind == PLAN_CGROUP_V2 ? v2_rows : v1_rows;
	size_t n = d->kind == PLAN_CGROUP_V2 ? ELEMENTSOF(v2_rows) : ELEMENTSOF(v1_rows);
	_cleanup_free_ char *dir = NULL, *text = NULL;
	const struct stat_row *last = NULL;
	int r;

	*out = (struct cgroup_stats){.memory_limit_bytes = CGROUP_STAT_MAX,
	                             .pids_max = CGROUP_STAT_MAX};
	for (size_t i = 0; i < n; i++) {
		const struct stat_row *row = &rows[i];
		struct stat st;

		if (!last || strcmp(last->controller, row->controller) != 0) {
			free(dir);
			dir = NULL;
			r = cgroup_driver_dir(d, row->controller, rel, &dir);
			if (r < 0)
				return nano_err_set(err, -r, "cgroup '%s' in the %s hierarchy: %s",
				                    rel, row->controller, strerror(-r));
			if (stat(dir, &st) < 0)
				return nano_err_set(err, errno, "cgroup %s: %s", dir,
				                    strerror(errno));
		}
		if (!last || strcmp(last->controller, row->controller) != 0 ||
		    strcmp(last->file, row->file) != 0) {
			free(text);
			text = NULL;
			r = cgroupfs_read(dir, row->file, &text);
			/* the directory was checked: ENOENT is a file the kernel lacks */
			if (r < 0 && r != -ENOENT)
				return nano_err_set(err, -r, "read %s/%s: %s", dir, row->file,
				                    strerror(-r));
		}
		last = row;
		r = read_row(dir, text, row, out, err);
		if (r < 0)
			return r;
	}
	if (d->kind == PLAN_CGROUP_V1)
		out->memory_limit_bytes = v1_unlimited(out->memory_limit_bytes);
	/* The working set as cAdvisor computes it: what the kernel could not reclaim easily. */
	out->memory_working_set_bytes =
	        out->memory_usage_bytes > out->memory_inactive_file_bytes
	                ? out->memory_usage_bytes - out->memory_inactive_file_bytes
	                : 0;
	return 0;
}

int cgroup_driver_oom_kills(const struct cgroup_driver *d, const char *rel, uint64_t *out,
                            struct nano_err *err)
{
	const struct stat_row *rows = d->kind == PLAN_CGROUP_V2 ? v2_rows : v1_rows;
	size_t n = d->kind == PLAN_CGROUP_V2 ? ELEMENTSOF(v2_rows) : ELEMENTSOF(v1_rows);
	struct cgroup_stats st = {0};
	_cleanup_free_ char *dir = NULL, *text = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (rows[i].offset != offsetof(struct cgroup_stats, memory_oom_kill))
			continue;
		r = cgroup_driver_dir(d, rows[i].controller, rel, &dir);
		if (r < 0)
			return nano_err_set(err, -r, "cgroup '%s': %s", rel, strerror(-r));
		r = cgroupfs_read(dir, rows[i].file, &text);
		if (r < 0)
			return nano_err_set(err, -r, "read %s/%s: %s", dir, rows[i].file,
			                    strerror(-r));
		r = read_row(dir, text, &rows[i], &st, err);
		*out = st.memory_oom_kill;
		return r;
	}
	return nano_err_set(err, ENOSYS, "no OOM counter");
}
