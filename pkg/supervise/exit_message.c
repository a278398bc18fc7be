/* pkg/supervise/exit_message.c: the message of a container run that ended, naming what the
 * kernel did to it while it ran — forks its pod's pids.max refused, CPU periods its quota
 * throttled — so that a status points at its cause as OOMKilled's does: a fork bomb's shell
 * ends "Error" with exit code 2, and only this says why.
 *
 * Pure: the daemon reads the counters (pod_watch.c) and records the events; this only words
 * them. Counts, never guesses: a run is said to be throttled hard only past the node's
 * cpu_throttling_threshold, the share that reports CPUThrottling.
 */
#include <inttypes.h>

#include "supervise.h"

int sup_exit_message(const char *base, const struct sup_run_pressure *p, char **out)
{
	char *text = NULL;
	size_t size = 0, n = 0;
	FILE *f;

	*out = NULL;
	f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	if (base && *base)
		fprintf(f, "%s", base), n++;
	if (p->forks_refused > 0) {
		fprintf(f, "%sthe pod's pids.max", n++ ? "; " : "");
		if (p->pids_max != SUP_UNLIMITED)
			fprintf(f, " of %" PRIu64, p->pids_max);
		if (p->pids_source)
			fprintf(f, " (from %s)", p->pids_source);
		fprintf(f, " refused %" PRIu64 " %s during this run (PidsLimitReached)",
		        p->forks_refused, p->forks_refused == 1 ? "fork" : "forks");
	}
	/* throttled in more than the threshold's share of the run's periods */
	if (p->cpu_periods > 0 && p->cpu_throttled * 100 > p->throttled_percent * p->cpu_periods) {
		fprintf(f,
		        "%sit was throttled in %" PRIu64
		        "%% of its CPU periods during this run (CPUThrottling)",
		        n++ ? "; " : "", p->cpu_throttled * 100 / p->cpu_periods);
		if (p->cpu_limit)
			fprintf(f, ": its CPU limit is %s", p->cpu_limit);
	}
	if (fclose(f) != 0)
		return free(text), -ENOMEM;
	if (n == 0) {
		free(text);
		return 0;
	}
	*out = text;
	return 0;
}
