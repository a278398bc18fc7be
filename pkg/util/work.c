/* pkg/util/work.c (work.h): a blocking job on a thread of its own, its end reported on the event
 * loop through an eventfd, so that the loop never waits (STYLE.md). The thread touches only its
 * job's userdata and the job's own state under its mutex; everything else (the event source,
 * done) happens on the loop.
 *
 * A forgotten job: the loop drops its event source at once; the thread, when it ends, frees
 * the job itself (and hands userdata to forget_fn), so a puller freed mid-unpack leaves
 * nothing behind on the loop. */
#include "work.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct util_work {
	pthread_t thread;
	int efd;
	sd_event_source *source;
	util_work_fn *fn;
	util_work_done_fn *done;
	void (*forget_fn)(void *userdata);
	void *userdata;

	pthread_mutex_t lock; /* over result, finished, forgotten */
	int result;
	bool finished, forgotten;
};

static void work_free(struct util_work *w)
{
	sd_event_source_disable_unref(w->source);
	if (w->efd >= 0)
		close(w->efd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void *work_thread(void *arg)
{
	struct util_work *w = arg;
	uint64_t one = 1;
	int r = w->fn(w->userdata);
	bool forgotten;

	pthread_mutex_lock(&w->lock);
	w->result = r;
	w->finished = true;
	forgotten = w->forgotten;
	pthread_mutex_unlock(&w->lock);
	if (forgotten) {
		/* detached: nobody joins or reads the eventfd any more */
		if (w->forget_fn)
			w->forget_fn(w->userdata);
		work_free(w);
		return NULL;
	}
	/* an eventfd write of 1 cannot block or fail short of a bug */
	if (write(w->efd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

static int work_on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct util_work *w = userdata;
	uint64_t n;

	(void)s;
	(void)revents;
	if (read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return 0;
	pthread_join(w->thread, NULL);
	w->source = sd_event_source_disable_unref(w->source);
	w->done(w->userdata, w->result);
	work_free(w);
	return 0;
}

int util_work_run(sd_event *e, util_work_fn *fn, util_work_done_fn *done,
                  void (*forget_fn)(void *userdata), void *userdata, struct util_work **out)
{
	struct util_work *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	*w = (struct util_work){
	        .efd = -1, .fn = fn, .done = done, .forget_fn = forget_fn, .userdata = userdata};
	pthread_mutex_init(&w->lock, NULL);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		work_free(w);
		return r;
	}
	r = sd_event_add_io(e, &w->source, w->efd, EPOLLIN, work_on_done, w);
	if (r < 0) {
		work_free(w);
		return r;
	}
	(void)sd_event_source_set_description(w->source, "work");
	r = -pthread_create(&w->thread, NULL, work_thread, w);
	if (r < 0) {
		work_free(w);
		return r;
	}
	if (out)
		*out = w;
	return 0;
}

void util_work_forget(struct util_work *w)
{
	pthread_t thread;
	bool finished;

	if (!w)
		return;
	thread = w->thread; /* w may be gone once forgotten is set and the lock let go */
	/* the loop lets go of the eventfd first: after the unlock below the thread may free w */
	w->source = sd_event_source_disable_unref(w->source);
	pthread_mutex_lock(&w->lock);
	finished = w->finished;
	if (!finished)
		w->forgotten = true;
	pthread_mutex_unlock(&w->lock);
	if (!finished) {
		pthread_detach(thread);
		return;
	}
	/* it ended, its report not read yet: the loop ends it here */
	pthread_join(w->thread, NULL);
	if (w->forget_fn)
		w->forget_fn(w->userdata);
	work_free(w);
}
