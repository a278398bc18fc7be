/* daemon/image_gc.c: the kubelet's image GC on nanolet's store (image_gc.h). What to remove is
 * image_gc_pick's (pure, pkg/image); this file reads the filesystem, asks the pods what they
 * use, and removes through util_work so that the loop never waits on an rm -rf of layers. */
#include "image_gc.h"

#include <inttypes.h>
#include <string.h>
#include <sys/statvfs.h>

#include "image/image.h"
#include "util/work.h"
#include "nanoletd.h"
#include "pods.h"

/* The kubelet's ImageGCPeriod. */
#define IMAGE_GC_PERIOD_USEC (UINT64_C(5) * 60 * 1000000)

struct gc_job;

struct image_gc {
	struct nanoletd *d;
	sd_event_source *timer;
	struct util_work *work; /* the removal running, NULL when none */
	struct gc_job *job;     /* the pass running, NULL when none */
	bool again;             /* a pass was asked for while one ran */
};

/* One pass's removals, one image at a time: ids[next] is the one being removed. */
struct gc_job {
	struct image_gc *gc;
	struct image_store *store;
	char **ids;
	size_t next;
	int64_t freed;     /* by the removal running */
	int64_t freed_all; /* by the pass */
	struct nano_err err;
};

static void job_free(struct gc_job *job)
{
	if (!job)
		return;
	strv_free(job->ids);
	nano_err_clear(&job->err);
	free(job);
}

static void job_forget(void *userdata)
{
	job_free(userdata);
}

static int job_remove(void *userdata)
{
	struct gc_job *job = userdata;

	job->freed = 0;
	return image_store_remove(job->store, job->ids[job->next], &job->freed, &job->err);
}

static void pass(struct image_gc *gc);
static void job_next(struct image_gc *gc);

static void job_done(void *userdata, int r)
{
	struct gc_job *job = userdata;
	struct image_gc *gc = job->gc;

	gc->work = NULL;
	gc->d->image_jobs--;
	if (r < 0 && r != -ENOENT) /* ENOENT: a DELETE got there first */
		log_warn("image GC: remove %s: %s", job->ids[job->next],
		         job->err.message ? job->err.message : strerror(-r));
	else if (r == 0)
		log_info("image GC: removed image %s (%" PRId64 " bytes freed)",
		         job->ids[job->next], job->freed);
	job->freed_all += job->freed;
	nano_err_clear(&job->err);
	job->next++;
	job_next(gc);
}

/* The next removal of the pass, or its end. */
static void job_next(struct image_gc *gc)
{
	struct gc_job *job = gc->job;
	int r;

	for (; job->ids[job->next]; job->next++) {
		char who[384];

		/* a pod may have started on it since the pick */
		if (gc->d->pods &&
		    pods_image_in_use(gc->d->pods, job->ids[job->next], who, sizeof(who))) {
			log_info("image GC: %s is in use by pod %s now: kept", job->ids[job->next],
			         who);
			continue;
		}
		r = util_work_run(gc->d->event, job_remove, job_done, job_forget, job, &gc->work);
		if (r < 0) {
			log_warn("image GC: cannot start a removal: %s", strerror(-r));
			break;
		}
		gc->d->image_jobs++;
		return;
	}
	if (job->freed_all)
		log_info("image GC: %" PRId64 " bytes freed", job->freed_all);
	job_free(job);
	gc->job = NULL;
	if (gc->again) {
		gc->again = false;
		pass(gc);
	}
}

static void pass(struct image_gc *gc)
{
	struct nanoletd *d = gc->d;
	const struct nano_config *c = &d->config;
	struct image_record *records = NULL;
	_cleanup_free_ bool *in_use = NULL;
	struct nano_err err = {0};
	struct statvfs st;
	int64_t capacity, used;
	size_t n = 0;
	char **ids;
	int r;

	if (gc->job) {
		gc->again = true;
		return;
	}
	if (!d->pods || !d->images)
		return; /* before the pods are restored, nothing is known to be unused */
	if (statvfs(image_store_dir(d->images), &st) < 0) {
		log_warn("image GC: statvfs %s: %s", image_store_dir(d->images), strerror(errno));
		return;
	}
	/* as the kubelet's: used is what is not available to us, of the whole */
	capacity = (int64_t)st.f_blocks * (int64_t)st.f_frsize;
	used = capacity - (int64_t)st.f_bavail * (int64_t)st.f_frsize;
	if (capacity <= 0 || used * 100 <= capacity * c->image_gc_high_threshold)
		return;
	r = image_store_list(d->images, &records, &n, &err);
	if (r < 0) {
		log_warn("image GC: list the images: %s", err.message ? err.message : strerror(-r));
		nano_err_clear(&err);
		return;
	}
	in_use = calloc(n + 1, sizeof(*in_use));
	for (size_t i = 0; in_use && i < n; i++)
		in_use[i] = pods_image_in_use(d->pods, records[i].id, NULL, 0);
	ids = in_use ? image_gc_pick(
	                       records, in_use, n, used, capacity, (int)c->image_gc_high_threshold,
	                       (int)c->image_gc_low_threshold,
	                       c->image_minimum_gc_age * INT64_C(1000000000), util_realtime_ns())
	             : NULL;
	for (size_t i = 0; i < n; i++)
		image_record_done(&records[i]);
	free(records);
	if (!ids || !ids[0]) {
		if (ids)
			log_info("image GC: usage %" PRId64 "%% is above "
			         "image_gc_high_threshold_percent %" PRId64
			         ", but no unused image is old enough to remove",
			         used * 100 / capacity, c->image_gc_high_threshold);
		strv_free(ids);
		return;
	}
	log_info("image GC: usage %" PRId64 "%% is above image_gc_high_threshold_percent %" PRId64
	         ": removing %zu unused images to come down to %" PRId64 "%%",
	         used * 100 / capacity, c->image_gc_high_threshold, strv_len(ids),
	         c->image_gc_low_threshold);
	gc->job = calloc(1, sizeof(*gc->job));
	if (!gc->job) {
		strv_free(ids);
		return;
	}
	*gc->job = (struct gc_job){.gc = gc, .store = d->images, .ids = ids};
	job_next(gc);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)usec;
	/* every period, whatever the pass took (it only starts removals) */
	if (sd_event_source_set_time_relative(s, IMAGE_GC_PERIOD_USEC) >= 0)
		(void)sd_event_source_set_enabled(s, SD_EVENT_ON);
	pass(userdata);
	return 0;
}

int image_gc_new(struct nanoletd *d, struct image_gc **out, struct nano_err *err)
{
	struct image_gc *gc = calloc(1, sizeof(*gc));
	int r;

	if (!gc)
		return -ENOMEM;
	gc->d = d;
	r = sd_event_add_time_relative(d->event, &gc->timer, CLOCK_MONOTONIC, IMAGE_GC_PERIOD_USEC,
	                               IMAGE_GC_PERIOD_USEC / 60, on_timer, gc);
	if (r < 0) {
		image_gc_free(gc);
		return nano_err_set(err, -r, "image GC timer: %s", strerror(-r));
	}
	*out = gc;
	return 0;
}

struct image_gc *image_gc_free(struct image_gc *gc)
{
	if (!gc)
		return NULL;
	gc->timer = sd_event_source_disable_unref(gc->timer);
	if (gc->work) /* the removal goes on: its job is its thread's (job_forget) */
		util_work_forget(gc->work);
	else
		job_free(gc->job);
	free(gc);
	return NULL;
}

void image_gc_soon(struct image_gc *gc)
{
	if (gc)
		pass(gc);
}
