/* tests/unit/test_util_work.c: a job off the loop (pkg/util/work.c): it runs on another thread,
 * its end comes back on the loop; a job forgotten ends on its thread, its done never called. */
#include "check_main.h"
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <systemd/sd-event.h>

#include "util/util.h"
#include "util/work.h"

struct job {
	pthread_t loop_thread, job_thread;
	int efd_gate;  /* the job waits on this: the test decides when it ends */
	int efd_ended; /* job_forget writes it */
	int done_r, done_calls, forgotten;
	sd_event *e;
};

static int job_fn(void *userdata)
{
	struct job *j = userdata;
	uint64_t v;

	j->job_thread = pthread_self();
	if (read(j->efd_gate, &v, sizeof(v)) != sizeof(v))
		return -EIO;
	return 42;
}

static void job_done(void *userdata, int r)
{
	struct job *j = userdata;

	ck_assert(pthread_equal(pthread_self(), j->loop_thread));
	j->done_r = r;
	j->done_calls++;
	sd_event_exit(j->e, 0);
}

static void job_forget(void *userdata)
{
	struct job *j = userdata;
	uint64_t one = 1;

	j->forgotten++;
	if (write(j->efd_ended, &one, sizeof(one)) != sizeof(one))
		abort();
}

static int gate_open(sd_event_source *s, void *userdata)
{
	struct job *j = userdata;
	uint64_t one = 1;

	(void)s;
	ck_assert_int_eq(write(j->efd_gate, &one, sizeof(one)), sizeof(one));
	return 0;
}

START_TEST(test_work_done_on_loop)
{
	struct job j = {.loop_thread = pthread_self(), .done_r = -1};

	j.efd_gate = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_eq(sd_event_new(&j.e), 0);
	ck_assert_int_eq(util_work_run(j.e, job_fn, job_done, job_forget, &j, NULL), 0);
	/* the job blocks until the loop runs: the loop is not waiting for it */
	ck_assert_int_eq(sd_event_add_defer(j.e, NULL, gate_open, &j), 0);
	ck_assert_int_eq(sd_event_loop(j.e), 0);
	ck_assert_int_eq(j.done_calls, 1);
	ck_assert_int_eq(j.done_r, 42);
	ck_assert_int_eq(j.forgotten, 0);
	ck_assert(!pthread_equal(j.job_thread, j.loop_thread));
	sd_event_unref(j.e);
	close(j.efd_gate);
}
END_TEST

START_TEST(test_work_forget)
{
	struct job j = {.loop_thread = pthread_self(), .done_r = -1};
	struct util_work *w;
	uint64_t one = 1, v;

	j.efd_gate = eventfd(0, EFD_CLOEXEC);
	j.efd_ended = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_eq(sd_event_new(&j.e), 0);
	ck_assert_int_eq(util_work_run(j.e, job_fn, job_done, job_forget, &j, &w), 0);
	util_work_forget(w);
	/* the loop has nothing left of the job */
	ck_assert_int_eq(sd_event_run(j.e, 0), 0);
	ck_assert_int_eq(write(j.efd_gate, &one, sizeof(one)), sizeof(one));
	/* job_forget writes the gate once the job is over, on the job's thread */
	ck_assert_int_eq(read(j.efd_ended, &v, sizeof(v)), sizeof(v));
	ck_assert_int_eq(j.forgotten, 1);
	ck_assert_int_eq(sd_event_run(j.e, 0), 0);
	ck_assert_int_eq(j.done_calls, 0);
	sd_event_unref(j.e);
	close(j.efd_gate);
	close(j.efd_ended);
}
END_TEST

static Suite *work_suite(void)
{
	Suite *s = suite_create("util_work");
	TCase *tc = tcase_create("work");

	tcase_add_test(tc, test_work_done_on_loop);
	tcase_add_test(tc, test_work_forget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(work_suite());
}
