/* pkg/metrics/node.c: the node's own numbers for /stats/summary, from /proc rather than the root
 * cgroup, so that they mean the same under both drivers (a v2 root cgroup has no memory.current).
 * CPU usage counts busy time as the kernel's cpu line does: user, nice, system, irq, softirq and
 * steal; guest time is already inside user. It only reads files under the proc directory given. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The value after "key" at the start of a line of text (keys end in ':' or ' '). */
static int find_u64(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == ':')) {
			const char *v = line + klen + 1;
			char *end;

			errno = 0;
			*out = strtoull(v, &end, 10);
			return end == v || errno ? -EBADMSG : 0;
		}
	}
	return -ENOENT;
}

static int read_text(const char *proc, const char *name, char **out, struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/%s", proc, name);
	int r;

	if (!path)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = util_read_file_at(AT_FDCWD, path, out);
	return r < 0 ? nano_err_set(err, -r, "read %s: %s", path, strerror(-r)) : 0;
}

int metrics_node_read(const char *proc, long clk_tck, struct metrics_node *out,
                      struct nano_err *err)
{
	_cleanup_free_ char *stat = NULL, *meminfo = NULL, *vmstat = NULL;
	uint64_t cpu[8] = {0}, btime = 0, total = 0, free_kb = 0, available = 0, inactive = 0,
	         anon = 0;
	int r;

	*out = (struct metrics_node){0};
	if ((r = read_text(proc, "stat", &stat, err)) < 0 ||
	    (r = read_text(proc, "meminfo", &meminfo, err)) < 0 ||
	    (r = read_text(proc, "vmstat", &vmstat, err)) < 0)
		return r;
	/* "cpu  user nice system idle iowait irq softirq steal ..." */
	if (strncmp(stat, "cpu ", 4) != 0 ||
	    sscanf(stat + 4,
	           "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
	           " %" SCNu64 " %" SCNu64,
	           &cpu[0], &cpu[1], &cpu[2], &cpu[3], &cpu[4], &cpu[5], &cpu[6], &cpu[7]) < 7)
		return nano_err_set(err, EBADMSG, "%s/stat: no cpu line", proc);
	if (find_u64(stat, "btime", &btime) < 0)
		return nano_err_set(err, EBADMSG, "%s/stat: no btime", proc);
	if (find_u64(meminfo, "MemTotal", &total) < 0 || find_u64(meminfo, "MemFree", &free_kb) < 0)
		return nano_err_set(err, EBADMSG, "%s/meminfo: no MemTotal or MemFree", proc);
	find_u64(meminfo, "MemAvailable", &available);
	find_u64(meminfo, "Inactive(file)", &inactive);
	find_u64(meminfo, "AnonPages", &anon);
	find_u64(vmstat, "pgfault", &out->page_faults);
	find_u64(vmstat, "pgmajfault", &out->major_page_faults);

	out->boot_time = (int64_t)btime;
	if (clk_tck > 0)
		out->cpu_usage_ns = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) *
		                    (UINT64_C(1000000000) / (uint64_t)clk_tck);
	out->memory_total = total * 1024;
	out->memory_usage = (total - (free_kb < total ? free_kb : total)) * 1024;
	out->memory_working_set =
	        out->memory_usage > inactive * 1024 ? out->memory_usage - inactive * 1024 : 0;
	out->memory_available = available * 1024;
	out->memory_rss = anon * 1024;
	return 0;
}
