/* pkg/util/work.h: a blocking job (an unpack, an import, an rm -rf of a pod's files) on a thread
 * of its own, its end reported on the event loop through an eventfd, so that the loop never
 * waits (STYLE.md) and nothing copies the daemon (a fork would, its page tables and every page
 * either side writes afterwards). work.c. */
#pragma once

#include <systemd/sd-event.h>

/* Runs fn(userdata) on a thread of its own, then done(userdata, r) on e's loop, r being fn's
 * return. fn must touch nothing the loop touches but what userdata gives it. The job cannot be
 * stopped; *out (if out) can be passed to util_work_forget, after which done is not called
 * (userdata is then the thread's: fn's own to free, through forget_fn when not NULL). A job
 * still running when the process exits ends with it. -errno when no thread could be had. */
struct util_work;
typedef int util_work_fn(void *userdata);
typedef void util_work_done_fn(void *userdata, int r);
int util_work_run(sd_event *e, util_work_fn *fn, util_work_done_fn *done,
                  void (*forget_fn)(void *userdata), void *userdata, struct util_work **out);
/* Accepts NULL. */
void util_work_forget(struct util_work *w);
