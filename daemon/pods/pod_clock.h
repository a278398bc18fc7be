/* daemon/pods/pod_clock.h: the pod manager's seam to time — what time it is, and one-shot
 * timers — behind a small table of functions. nanoletd hands the pod manager the real one, on
 * its sd-event loop (clock_event.c); a Check suite hands it a fake clock it moves by hand, so
 * that a 10 s back-off or a 30 s grace period takes no time at all.
 *
 * Times are microseconds on CLOCK_MONOTONIC or CLOCK_REALTIME (a restart's not-before time is
 * wall-clock, as the supervisor keeps it). A timer's callback never runs before add returned,
 * runs at most once, and never after cancel. Nothing here knows a pod. */
#pragma once

#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

struct pod_timer;
typedef void pod_timer_fn(void *userdata);

struct pod_clock_ops {
	/* Now on clock, in microseconds. */
	uint64_t (*now)(void *ctx, clockid_t clock);
	/* fn(userdata) once at usec (absolute, on clock). *slot holds the timer until it fires:
	 * then it is cleared (and the timer freed) before fn runs, so that fn may add another
	 * into it. The slot must live as long as the timer. */
	int (*add)(void *ctx, clockid_t clock, uint64_t usec, pod_timer_fn *fn, void *userdata,
	           struct pod_timer **slot);
	/* How late the timer may fire, to share a wake-up with others: the loop's default (250
	 * ms on sd-event) until set. NULL: every timer fires when it is due (a fake clock). */
	int (*set_accuracy)(struct pod_timer *timer, uint64_t usec);
	/* When the timer fires, and a new time for it. */
	uint64_t (*when)(const struct pod_timer *timer);
	int (*move)(struct pod_timer *timer, uint64_t usec);
	/* Accepts NULL. */
	void (*cancel)(struct pod_timer *timer);
};

/* clock_event.c: timers as sd-event time sources on event; ctx is the sd_event. */
extern const struct pod_clock_ops pod_clock_event;
