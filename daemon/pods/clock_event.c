/* daemon/pods/clock_event.c: the pod manager's clock on the daemon's sd-event loop: each timer
 * a one-shot time source, its now the loop's (the time its iteration began). */
#include <errno.h>
#include <stdlib.h>

#include "pods/pod_clock.h"

struct pod_timer {
	sd_event_source *source;
	struct pod_timer **slot;
	pod_timer_fn *fn;
	void *userdata;
};

static uint64_t event_now(void *ctx, clockid_t clock)
{
	uint64_t usec = 0;

	if (sd_event_now(ctx, clock, &usec) < 0) {
		struct timespec ts;

		clock_gettime(clock, &ts);
		usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	}
	return usec;
}

static void timer_free(struct pod_timer *t)
{
	sd_event_source_disable_unref(t->source);
	free(t);
}

static int on_time(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct pod_timer *t = userdata;
	pod_timer_fn *fn = t->fn;
	void *fn_userdata = t->userdata;

	(void)source;
	(void)usec;
	*t->slot = NULL; /* one shot: gone before fn, which may add another */
	timer_free(t);
	fn(fn_userdata);
	return 0;
}

static int event_add(void *ctx, clockid_t clock, uint64_t usec, pod_timer_fn *fn, void *userdata,
                     struct pod_timer **slot)
{
	struct pod_timer *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	*t = (struct pod_timer){.slot = slot, .fn = fn, .userdata = userdata};
	r = sd_event_add_time(ctx, &t->source, clock, usec, 0, on_time, t);
	if (r < 0)
		return free(t), r;
	*slot = t;
	return 0;
}

static int event_set_accuracy(struct pod_timer *t, uint64_t usec)
{
	/* 0 would be sd-event's default again */
	return sd_event_source_set_time_accuracy(t->source, usec ? usec : 1);
}

static uint64_t event_when(const struct pod_timer *t)
{
	uint64_t usec = 0;

	(void)sd_event_source_get_time(t->source, &usec);
	return usec;
}

static int event_move(struct pod_timer *t, uint64_t usec)
{
	return sd_event_source_set_time(t->source, usec);
}

static void event_cancel(struct pod_timer *t)
{
	if (t)
		timer_free(t);
}

const struct pod_clock_ops pod_clock_event = {
        .now = event_now,
        .add = event_add,
        .set_accuracy = event_set_accuracy,
        .when = event_when,
        .move = event_move,
        .cancel = event_cancel,
};
