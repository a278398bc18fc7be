#include "check_main.h"
/* tests/unit/test_supervise_restart.c: restarts as the kubelet does them — the restart policy's
 * rule, the CrashLoopBackOff sequence (immediate, then 10 s doubling to 300 s), its reset after
 * a long run, the waiting reason and message, restartCount and lastState, StartError,
 * ErrImageNeverPull, the shim's death and the terminated reasons.
 */
#include "supervise_fixture.h"

#include <stdlib.h>

#define ALWAYS    SPEC_RESTART_ALWAYS
#define ONFAILURE SPEC_RESTART_ON_FAILURE
#define NEVER     SPEC_RESTART_NEVER

/* ---- rules ---------------------------------------------------------------------------------- */

static const struct {
	enum spec_restart_policy policy;
	int32_t exit_code;
	bool restart;
} policy_rows[] = {
        {ALWAYS, 0, true},    {ALWAYS, 1, true},      {ALWAYS, 137, true},    {ONFAILURE, 0, false},
        {ONFAILURE, 1, true}, {ONFAILURE, 128, true}, {ONFAILURE, 137, true}, {NEVER, 0, false},
        {NEVER, 1, false},    {NEVER, 128, false},
};

START_TEST(test_restart_allowed)
{
	ck_assert_int_eq(sup_restart_allowed(policy_rows[_i].policy, policy_rows[_i].exit_code),
	                 policy_rows[_i].restart);
}
END_TEST

/* The same rule through events: what the daemon is told to do after one exit. */
START_TEST(test_next_action_after_exit)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, policy_rows[_i].policy, 1);
	int64_t at = -1;

	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_START);
	ck_assert_int_eq(at, T0);
	ev_sandbox(pod, T0);
	ev_start(pod, 0, "a1", T0 + 1);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_NONE);
	ev_exit(pod, 0, policy_rows[_i].exit_code, T0 + 5);
	at = -1;
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at),
	                 policy_rows[_i].restart ? SUP_ACTION_START : SUP_ACTION_NONE);
	if (policy_rows[_i].restart)
		ck_assert_int_eq(at, T0 + 5); /* the first restart is immediate */
	ck_assert_int_eq(pod->containers[0].state, SUP_TERMINATED);
	ck_assert_int_eq(sup_container_next_action(pod, 7, &at), SUP_ACTION_NONE);
	fixture_done(&f);
}
END_TEST

static const struct {
	int64_t initial, max, current, next;
} step_rows[] = {
        {10, 300, 0, 10},    {10, 300, 10, 20},   {10, 300, 20, 40}, {10, 300, 80, 160},
        {10, 300, 160, 300}, {10, 300, 300, 300}, {1, 4, 0, 1},      {1, 4, 2, 4},
        {1, 4, 3, 4},        {1, 4, 4, 4},
};

START_TEST(test_backoff_step)
{
	struct sup_config cfg = {step_rows[_i].initial, step_rows[_i].max, 600, 10};

	ck_assert_int_eq(sup_backoff_step(&cfg, step_rows[_i].current), step_rows[_i].next);
}
END_TEST

/* time.Duration.String() */
static const struct {
	int64_t seconds;
	const char *text;
} duration_rows[] = {
        {0, "0s"},        {1, "1s"},        {10, "10s"},    {59, "59s"},
        {60, "1m0s"},     {80, "1m20s"},    {160, "2m40s"}, {300, "5m0s"},
        {3600, "1h0m0s"}, {3725, "1h2m5s"}, {-20, "-20s"},
};

START_TEST(test_format_duration)
{
	char buf[48];

	sup_format_duration(duration_rows[_i].seconds, buf, sizeof(buf));
	ck_assert_str_eq(buf, duration_rows[_i].text);
}
END_TEST

/* ---- the CrashLoopBackOff sequence --------------------------------------------------------- */

/* Crash a container that runs run_for seconds each time, restarting it as soon as allowed;
 * delays[k] is the wait between the k-th exit and the next start. */
static void crash_loop(struct sup_pod *pod, const struct sup_config *cfg, const int64_t *run_for,
                       size_t n, int64_t *delays)
{
	int64_t now = T0 + 1, at;

	ev_sandbox(pod, T0);
	ck_assert_int_eq(sup_container_started(pod, 0, "c0", 1, now, cfg), 0);
	for (size_t k = 0; k < n; k++) {
		struct sup_container *c = &pod->containers[0];
		char id[32];

		now += run_for[k];
		ev_exit_cfg(pod, 0, 1, now, cfg);
		ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_START);
		delays[k] = at - now;
		if (delays[k] == 0) {
			ck_assert_int_eq(c->state, SUP_TERMINATED);
			ck_assert_str_eq(c->terminated.reason, "Error");
		} else {
			ck_assert_int_eq(c->state, SUP_WAITING);
			ck_assert_str_eq(c->reason, "CrashLoopBackOff");
		}
		ck_assert_int_eq(c->restart_count, (int32_t)k);
		ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING);
		now = at;
		snprintf(id, sizeof(id), "c%zu", k + 1);
		ck_assert_int_eq(sup_container_started(pod, 0, id, 1, now, cfg), 0);
		ck_assert_int_eq(c->restart_count, (int32_t)k + 1);
	}
}

START_TEST(test_backoff_sequence)
{
	static const int64_t run[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	static const int64_t want[] = {0, 10, 20, 40, 80, 160, 300, 300, 300};
	int64_t got[ELEMENTSOF(run)];
	struct fixture f;

	crash_loop(fixture_pod(&f, ALWAYS, 1), &default_cfg, run, ELEMENTSOF(run), got);
	for (size_t k = 0; k < ELEMENTSOF(run); k++)
		ck_assert_msg(got[k] == want[k], "exit %zu: delay %lld, want %lld", k,
		              (long long)got[k], (long long)want[k]);
	fixture_done(&f);
}
END_TEST

/* hasExpired: finishedAt - lastUpdate > 600 s, strictly: a run of 601 s starts over, one of
 * exactly 600 s does not. */
static const struct {
	const char *name;
	int64_t long_run;
	int64_t want[6];
} reset_rows[] = {
        {"ran 601 s: reset", 601, {0, 10, 20, 0, 10, 20}},
        {"ran 600 s: no reset", 600, {0, 10, 20, 40, 80, 160}},
        {"ran an hour: reset", 3600, {0, 10, 20, 0, 10, 20}},
};

START_TEST(test_backoff_reset)
{
	int64_t run[6] = {1, 1, 1, reset_rows[_i].long_run, 1, 1}, got[6];
	struct fixture f;

	crash_loop(fixture_pod(&f, ALWAYS, 1), &default_cfg, run, 6, got);
	for (size_t k = 0; k < 6; k++)
		ck_assert_msg(got[k] == reset_rows[_i].want[k], "%s: exit %zu: delay %lld",
		              reset_rows[_i].name, k, (long long)got[k]);
	fixture_done(&f);
}
END_TEST

START_TEST(test_backoff_configurable)
{
	static const struct sup_config cfg = {1, 4, 30, 1};
	static const int64_t run[] = {1, 1, 1, 1, 1, 31, 1};
	static const int64_t want[] = {0, 1, 2, 4, 4, 0, 1};
	int64_t got[ELEMENTSOF(run)];
	struct fixture f;

	crash_loop(fixture_pod(&f, ONFAILURE, 1), &cfg, run, ELEMENTSOF(run), got);
	for (size_t k = 0; k < ELEMENTSOF(run); k++)
		ck_assert_int_eq(got[k], want[k]);
	fixture_done(&f);
}
END_TEST

/* The waiting message as doBackOff writes it, and lastState while backing off. */
START_TEST(test_crashloop_message)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, ALWAYS, 1);
	struct sup_container *c = &pod->containers[0];
	char *msg;

	ev_start(pod, 0, "x1", T0 + 1);
	ev_exit(pod, 0, 2, T0 + 2);
	ev_start(pod, 0, "x2", T0 + 2);
	ev_exit(pod, 0, 3, T0 + 4);
	ck_assert_str_eq(c->message,
	                 "back-off 10s restarting failed container=a pod=web_default(uid-1)");
	ck_assert_str_eq(c->container_id, "nanolet://x2");
	ck_assert_int_eq(c->terminated.exit_code, 3); /* lastState: the latest exit */
	ck_assert_str_eq(c->terminated.container_id, "nanolet://x2");
	ck_assert_int_eq(c->terminated.started_at, T0 + 2);
	ck_assert_int_eq(c->terminated.finished_at, T0 + 4);
	ck_assert_int_eq(c->restart_count, 1);
	ck_assert(!c->ready && !c->started);

	msg = sup_crashloop_message(pod, c, 80);
	ck_assert_str_eq(msg,
	                 "back-off 1m20s restarting failed container=a pod=web_default(uid-1)");
	free(msg);
	msg = sup_crashloop_message(pod, c, 300);
	ck_assert_str_eq(msg, "back-off 5m0s restarting failed container=a pod=web_default(uid-1)");
	free(msg);
	fixture_done(&f);
}
END_TEST

/* ---- terminated reasons -----------------------------------------------------------------------
 */

static const struct {
	int32_t exit_code, signal;
	const char *hint, *message, *reason;
} reason_rows[] = {
        {0, 0, NULL, NULL, "Completed"},   {1, 0, NULL, NULL, "Error"},
        {143, 15, NULL, NULL, "Error"},    {137, 9, "OOMKilled", NULL, "OOMKilled"},
        {2, 0, NULL, "bad flag", "Error"},
};

START_TEST(test_terminated_reasons)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, NEVER, 1);
	struct sup_exit e = {
	        .exit_code = reason_rows[_i].exit_code,
	        .signal = reason_rows[_i].signal,
	        .finished_at = T0 + 9,
	        .reason = reason_rows[_i].hint,
	        .message = reason_rows[_i].message,
	};
	const struct sup_terminated *t = &pod->containers[0].terminated;

	ck_assert_int_eq(sup_container_exited(pod, 0, &e, &default_cfg), -EINVAL); /* not running */
	ev_start(pod, 0, "r1", T0 + 1);
	ck_assert_int_eq(sup_container_exited(pod, 0, &e, &default_cfg), 0);
	ck_assert_int_eq(pod->containers[0].state, SUP_TERMINATED);
	ck_assert(t->valid);
	ck_assert_str_eq(t->reason, reason_rows[_i].reason);
	assert_str_or_null(t->message, reason_rows[_i].message);
	ck_assert_int_eq(t->exit_code, reason_rows[_i].exit_code);
	ck_assert_int_eq(t->signal, reason_rows[_i].signal);
	ck_assert_int_eq(t->started_at, T0 + 1);
	ck_assert_int_eq(t->finished_at, T0 + 9);
	ck_assert_int_eq(pod->containers[0].pid, 0);
	fixture_done(&f);
}
END_TEST

/* ---- StartError ----------------------------------------------------------------------------- */

static const struct {
	enum spec_restart_policy policy;
	enum sup_phase phase;
	enum sup_action action;
} start_error_rows[] = {
        {NEVER, SUP_PHASE_FAILED, SUP_ACTION_NONE},
        {ONFAILURE, SUP_PHASE_RUNNING, SUP_ACTION_START},
        {ALWAYS, SUP_PHASE_RUNNING, SUP_ACTION_START},
};

START_TEST(test_start_error)
{
	static const char msg[] = "exec /bin/nope: No such file or directory";
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, start_error_rows[_i].policy, 1);
	struct sup_container *c = &pod->containers[0];
	int64_t at;

	ev_sandbox(pod, T0);
	ck_assert_int_eq(sup_container_start_failed(pod, 0, "s1", msg, T0 + 1, &default_cfg), 0);
	ck_assert_int_eq(c->state, SUP_TERMINATED);
	ck_assert_str_eq(c->terminated.reason, "StartError");
	ck_assert_int_eq(c->terminated.exit_code, 128);
	ck_assert_str_eq(c->terminated.message, msg);
	ck_assert_int_eq(c->terminated.started_at, 0); /* the CRI's zero: 1970-01-01 */
	ck_assert_int_eq(c->terminated.finished_at, T0 + 1);
	ck_assert_str_eq(c->terminated.container_id, "nanolet://s1");
	ck_assert_str_eq(c->container_id, "nanolet://s1");
	ck_assert_int_eq(c->restart_count, 0);
	ck_assert_int_eq(pod->phase, start_error_rows[_i].phase);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), start_error_rows[_i].action);
	if (start_error_rows[_i].action == SUP_ACTION_NONE) {
		fixture_done(&f);
		return;
	}
	ck_assert_int_eq(at, T0 + 1);
	/* fails again: a second attempt, now backing off with the StartError as lastState */
	ck_assert_int_eq(sup_container_start_failed(pod, 0, "s2", msg, T0 + 1, &default_cfg), 0);
	ck_assert_int_eq(c->restart_count, 1);
	ck_assert_int_eq(c->state, SUP_WAITING);
	ck_assert_str_eq(c->reason, "CrashLoopBackOff");
	ck_assert_str_eq(c->terminated.container_id, "nanolet://s2");
	ck_assert_str_eq(c->previous.container_id, "nanolet://s1");
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_START);
	ck_assert_int_eq(at, T0 + 11);
	fixture_done(&f);
}
END_TEST

/* ---- ErrImageNeverPull ---------------------------------------------------------------------- */

START_TEST(test_image_missing)
{
	static const char msg[] = "nanolet runs local root filesystems only: "
	                          "/var/lib/nanolet/images/x does not exist";
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, ALWAYS, 1);
	struct sup_container *c = &pod->containers[0];
	int64_t at;

	ck_assert_int_eq(
	        sup_container_not_created(pod, 0, "ErrImageNeverPull", msg, T0 + 1, &default_cfg),
	        0);
	ck_assert_int_eq(c->state, SUP_WAITING);
	ck_assert_str_eq(c->reason, "ErrImageNeverPull");
	ck_assert_str_eq(c->message, msg);
	ck_assert(!c->terminated.valid);
	ck_assert_ptr_null(c->container_id);
	ck_assert_int_eq(pod->phase, SUP_PHASE_PENDING);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_START);
	ck_assert_int_eq(at, T0 + 11); /* backOffPeriod */
	ev_start(pod, 0, "i1", T0 + 11);
	ck_assert_int_eq(c->restart_count, 0); /* no container had been created */
	ck_assert_ptr_null(c->reason);

	/* after a crash: the restart attempt finds no image; lastState stays, and the next try
	 * waits for the back-off window as well */
	ev_exit(pod, 0, 1, T0 + 20);
	ev_start(pod, 0, "i2", T0 + 20);
	ev_exit(pod, 0, 1, T0 + 21);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_START);
	ck_assert_int_eq(at, T0 + 31);
	ck_assert_int_eq(
	        sup_container_not_created(pod, 0, "ErrImageNeverPull", msg, T0 + 31, &default_cfg),
	        0);
	ck_assert_str_eq(c->reason, "ErrImageNeverPull");
	ck_assert(c->terminated.valid);
	ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING); /* waiting with a lastState is stopped */
	ck_assert_int_eq(c->restart_count, 1);
	ck_assert_int_eq(c->backoff, 20); /* the attempt advanced the back-off */
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_START);
	ck_assert_int_eq(at, T0 + 41); /* max(now + 10, exit + 20) */
	fixture_done(&f);
}
END_TEST

/* ---- the shim's death ------------------------------------------------------------------------ */

static const struct {
	enum spec_restart_policy policy;
	enum sup_phase phase;
	enum sup_action action;
} shim_rows[] = {
        {ALWAYS, SUP_PHASE_RUNNING, SUP_ACTION_START},
        {ONFAILURE, SUP_PHASE_RUNNING, SUP_ACTION_START},
        {NEVER, SUP_PHASE_FAILED, SUP_ACTION_NONE},
};

START_TEST(test_shim_died)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, shim_rows[_i].policy, 2);
	struct sup_container *a = &pod->containers[0], *b = &pod->containers[1];
	int64_t at;

	ev_sandbox(pod, T0);
	ev_start(pod, 0, "a1", T0 + 1);
	ev_start(pod, 1, "b1", T0 + 1);
	ev_exit(pod, 1, 0, T0 + 2);
	ck_assert_int_eq(sup_pod_shim_died(pod, T0 + 5, &default_cfg), 0);
	ck_assert(!pod->sandbox_ready);
	ck_assert(!pod->conditions[SUP_COND_POD_READY_TO_START_CONTAINERS].status);
	ck_assert_int_eq(a->state, SUP_TERMINATED);
	ck_assert_str_eq(a->terminated.reason, "ContainerStatusUnknown");
	ck_assert_str_eq(a->terminated.message,
	                 "The container could not be located when the pod was terminated");
	ck_assert_int_eq(a->terminated.exit_code, 137);
	ck_assert_int_eq(a->terminated.started_at, SUP_TIME_NONE);
	ck_assert_int_eq(a->terminated.finished_at, SUP_TIME_NONE);
	ck_assert_ptr_null(a->terminated.container_id);
	ck_assert_int_eq(a->restart_count, 1); /* counted right away, as the kubelet does */
	/* b had already exited: untouched */
	ck_assert_str_eq(b->terminated.reason, "Completed");
	ck_assert_int_eq(b->restart_count, 0);
	ck_assert_int_eq(pod->phase, shim_rows[_i].phase);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), shim_rows[_i].action);
	if (shim_rows[_i].action == SUP_ACTION_START) {
		ck_assert_int_eq(at, T0 + 5);
		ev_sandbox(pod, T0 + 6);
		ev_start(pod, 0, "a2", T0 + 6);
		ck_assert_int_eq(a->restart_count, 1); /* not counted twice */
		ck_assert_str_eq(a->terminated.reason, "ContainerStatusUnknown"); /* lastState */
	}
	fixture_done(&f);
}
END_TEST

/* ---- lastState and restartCount over several runs ------------------------------------------ */

START_TEST(test_last_state)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, ALWAYS, 1);
	struct sup_container *c = &pod->containers[0];

	ck_assert(!c->terminated.valid && !c->previous.valid);
	ev_start(pod, 0, "l1", T0 + 1);
	ev_exit(pod, 0, 0, T0 + 2);
	ck_assert_int_eq(c->state, SUP_TERMINATED); /* immediate restart: terminated meanwhile */
	ck_assert(!c->previous.valid);              /* lastState {} */
	ev_start(pod, 0, "l2", T0 + 2);
	ck_assert_str_eq(c->terminated.container_id, "nanolet://l1"); /* lastState */
	ev_exit(pod, 0, 1, T0 + 3);
	/* backing off: state waiting, lastState the latest (l2) */
	ck_assert_int_eq(c->state, SUP_WAITING);
	ck_assert_str_eq(c->terminated.container_id, "nanolet://l2");
	ck_assert_str_eq(c->previous.container_id, "nanolet://l1");
	ck_assert_int_eq(c->restart_count, 1);
	/* bad calls change nothing */
	ck_assert_int_eq(sup_container_started(pod, 5, "x", 1, T0, &default_cfg), -EINVAL);
	ck_assert_int_eq(sup_container_started(pod, 0, NULL, 1, T0, &default_cfg), -EINVAL);
	ev_start(pod, 0, "l3", T0 + 13);
	ck_assert_int_eq(sup_container_started(pod, 0, "l4", 1, T0 + 14, &default_cfg), -EINVAL);
	ck_assert_int_eq(c->restart_count, 2);
	ck_assert_int_eq(c->started_at, T0 + 13);
	fixture_done(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise_restart");
	TCase *tc = tcase_create("restart");

	tcase_add_loop_test(tc, test_restart_allowed, 0, ELEMENTSOF(policy_rows));
	tcase_add_loop_test(tc, test_next_action_after_exit, 0, ELEMENTSOF(policy_rows));
	tcase_add_loop_test(tc, test_backoff_step, 0, ELEMENTSOF(step_rows));
	tcase_add_loop_test(tc, test_format_duration, 0, ELEMENTSOF(duration_rows));
	tcase_add_loop_test(tc, test_backoff_reset, 0, ELEMENTSOF(reset_rows));
	tcase_add_loop_test(tc, test_terminated_reasons, 0, ELEMENTSOF(reason_rows));
	tcase_add_loop_test(tc, test_start_error, 0, ELEMENTSOF(start_error_rows));
	tcase_add_loop_test(tc, test_shim_died, 0, ELEMENTSOF(shim_rows));
	tcase_add_test(tc, test_backoff_sequence);
	tcase_add_test(tc, test_backoff_configurable);
	tcase_add_test(tc, test_crashloop_message);
	tcase_add_test(tc, test_image_missing);
	tcase_add_test(tc, test_last_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
