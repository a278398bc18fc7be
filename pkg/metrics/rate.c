/* pkg/metrics/rate.c: a rate from readings of a cumulative counter, as the kubelet's
 * usageNanoCores: the rise since an earlier reading over the time between them. Keeping the two
 * newest readings that are a window apart means that two requests a moment apart still get a
 * rate over a meaningful window, not over a few microseconds. */
#include "metrics.h"

int64_t metrics_rate_update(struct metrics_rate *r, int64_t now_ns, uint64_t value,
                            int64_t min_window_ns)
{
	int base;

	if (r->at_ns[1] && value < r->value[1]) /* the counter restarted */
		*r = (struct metrics_rate){0};
	if (!r->at_ns[1]) {
		r->at_ns[1] = now_ns;
		r->value[1] = value;
		return -1;
	}
	if (now_ns - r->at_ns[1] >= min_window_ns) {
		base = 1;
	} else if (r->at_ns[0]) {
		base = 0;
	} else {
		return -1;
	}
	int64_t span = now_ns - r->at_ns[base];
	uint64_t rise = value - r->value[base];
	int64_t rate = span > 0 ? (int64_t)((double)rise * 1e9 / (double)span) : -1;

	if (base == 1) {
		r->at_ns[0] = r->at_ns[1];
		r->value[0] = r->value[1];
		r->at_ns[1] = now_ns;
		r->value[1] = value;
	}
	return rate;
}

int64_t metrics_rate_window(const struct metrics_rate *r, int64_t now_ns)
{
	/* the base is [0] either way: the older reading moved there when now became [1], or it
	 * stayed there while the newer one was too recent */
	return r->at_ns[0] ? now_ns - r->at_ns[0] : 0;
}
