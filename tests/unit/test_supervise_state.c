#include "check_main.h"
/* tests/unit/test_supervise_state.c: the supervisor's state through JSON and back, as a daemon
 * restart takes it — after each history (one row per case), a pod restored from the state of the
 * original shows the same PodStatus, takes the same next decision at the same time, and goes on
 * the same way after one more event (the back-off continues rather than starting over).
 */
#include "supervise_fixture.h"

enum step { START, EXIT0, EXIT1, SHIM_DIED, REBOOTED, DELETE, END };

struct state_row {
	const char *name;
	enum spec_restart_policy policy;
	enum step steps[8];
};

static const struct state_row state_rows[] = {
        {"fresh: waiting ContainerCreating", SPEC_RESTART_ALWAYS, {END}},
        {"running", SPEC_RESTART_ALWAYS, {START, END}},
        {"Always, two failures: CrashLoopBackOff with its delay",
         SPEC_RESTART_ALWAYS,
         {START, EXIT1, START, EXIT1, END}},
        {"OnFailure, completed: terminal Succeeded", SPEC_RESTART_ON_FAILURE, {START, EXIT0, END}},
        {"Never, failed: terminal Failed", SPEC_RESTART_NEVER, {START, EXIT1, END}},
        {"shim died: restart counted at once", SPEC_RESTART_ALWAYS, {START, SHIM_DIED, END}},
        {"rebooted, Never: Failed, the message kept", SPEC_RESTART_NEVER, {START, REBOOTED, END}},
        {"deleting while running", SPEC_RESTART_ALWAYS, {START, DELETE, END}},
};

static void play(struct sup_pod *pod, const enum step *steps, int64_t *t)
{
	ev_sandbox(pod, *t);
	for (; *steps != END; steps++) {
		*t += 5;
		switch (*steps) {
		case START:
			ev_start(pod, 0, "id", *t);
			break;
		case EXIT0:
			ev_exit(pod, 0, 0, *t);
			break;
		case EXIT1:
			ev_exit(pod, 0, 1, *t);
			break;
		case SHIM_DIED:
			ck_assert_int_eq(sup_pod_shim_died(pod, *t, &default_cfg), 0);
			break;
		case REBOOTED:
			ck_assert_int_eq(
			        sup_pod_sandbox_lost(pod, "the node rebooted", *t, &default_cfg),
			        0);
			break;
		case DELETE:
			ck_assert_int_eq(sup_pod_delete(pod, *t), 0);
			break;
		case END:
			break;
		}
	}
}

static void assert_same(const struct sup_pod *a, const struct sup_pod *b)
{
	_cleanup_json_ json_t *sa = sup_pod_status_json(a), *sb = sup_pod_status_json(b);
	_cleanup_json_ json_t *ka = sup_pod_state_json(a), *kb = sup_pod_state_json(b);
	_cleanup_free_ char *ta = json_dumps(sa, JSON_COMPACT), *tb = json_dumps(sb, JSON_COMPACT);
	_cleanup_free_ char *ua = json_dumps(ka, JSON_COMPACT), *ub = json_dumps(kb, JSON_COMPACT);
	int64_t na = 0, nb = 0;

	ck_assert_ptr_nonnull(ta);
	ck_assert_str_eq(ta, tb);
	ck_assert_ptr_nonnull(ua);
	ck_assert_str_eq(ua, ub);
	ck_assert_int_eq(sup_container_next_action(a, 0, &na),
	                 sup_container_next_action(b, 0, &nb));
	ck_assert_int_eq(na, nb);
}

START_TEST(test_state_round_trip)
{
	const struct state_row *row = &state_rows[_i];
	struct fixture f, g;
	struct sup_pod *orig = fixture_pod(&f, row->policy, 1);
	struct sup_pod *back = fixture_pod(&g, row->policy, 1);
	_cleanup_json_ json_t *state = NULL;
	int64_t t = T0;

	play(orig, row->steps, &t);
	state = sup_pod_state_json(orig);
	ck_assert_ptr_nonnull(state);
	/* restored later than it was saved: nothing may move by the clock alone */
	ck_assert_int_eq(sup_pod_state_restore(back, state, t + 1), 0);
	assert_same(orig, back);

	/* and both go on alike: one more run and a failure */
	if (back->containers[0].state != SUP_RUNNING && !back->terminal && !back->deleting) {
		ev_start(orig, 0, "id2", t + 100);
		ev_start(back, 0, "id2", t + 100);
		ev_exit(orig, 0, 1, t + 101);
		ev_exit(back, 0, 1, t + 101);
		assert_same(orig, back);
	}
	fixture_done(&f);
	fixture_done(&g);
}
END_TEST

/* The back-off resumes where it was: after three failures the fourth waits 40 s, not 10. */
START_TEST(test_backoff_resumes)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, SPEC_RESTART_ALWAYS, 1);
	_cleanup_json_ json_t *state = NULL;
	int64_t t = T0, not_before = 0;

	ev_sandbox(pod, t);
	for (int i = 0; i < 3; i++) {
		ev_start(pod, 0, "id", t);
		ev_exit(pod, 0, 1, ++t);
		sup_container_next_action(pod, 0, &not_before);
		t = not_before;
	}
	ev_start(pod, 0, "id", t);
	state = sup_pod_state_json(pod);
	fixture_done(&f);

	pod = fixture_pod(&f, SPEC_RESTART_ALWAYS, 1);
	ck_assert_int_eq(sup_pod_state_restore(pod, state, t + 1), 0);
	ck_assert_int_eq(pod->containers[0].state, SUP_RUNNING);
	ck_assert_int_eq(pod->containers[0].restart_count, 3);
	ev_exit(pod, 0, 1, t + 2);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &not_before), SUP_ACTION_START);
	ck_assert_int_eq(not_before, t + 2 + 40);
	assert_str_or_null(pod->containers[0].reason, "CrashLoopBackOff");
	fixture_done(&f);
}
END_TEST

START_TEST(test_restore_rejects)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, SPEC_RESTART_ALWAYS, 2);
	_cleanup_json_ json_t *not_state = json_pack("{s:i}", "phase", 1);
	_cleanup_json_ json_t *bad_phase = json_pack("{s:i, s:[]}", "phase", 9, "containers");
	_cleanup_json_ json_t *unknown =
	        json_pack("{s:i, s:[{s:s, s:i, s:i}]}", "phase", 1, "containers", "name", "gone",
	                  "state", 1, "attempts", 4);

	ck_assert_int_eq(sup_pod_state_restore(pod, not_state, T0), -EINVAL);
	ck_assert_int_eq(sup_pod_state_restore(pod, bad_phase, T0), -EINVAL);
	/* a container the spec no longer has is left out; the others keep their fresh state */
	ck_assert_int_eq(sup_pod_state_restore(pod, unknown, T0), 0);
	ck_assert_int_eq(pod->containers[0].attempts, 0);
	ck_assert_int_eq(pod->containers[1].state, SUP_WAITING);
	fixture_done(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise_state");
	TCase *tc = tcase_create("state");

	tcase_add_loop_test(tc, test_state_round_trip, 0, ELEMENTSOF(state_rows));
	tcase_add_test(tc, test_backoff_resumes);
	tcase_add_test(tc, test_restore_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
