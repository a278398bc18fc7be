#include "check_main.h"
/* tests/unit/test_supervise.c: the pod-level rules of pkg/supervise — getPhase for every
 * restart policy and mix of container states, terminal phases that never change, deletion,
 * and the kubelet-owned conditions with their reasons, messages and lastTransitionTime.
 * Restarts and back-off are in test_supervise_restart.c, JSON in test_supervise_json.c.
 */
#include "supervise_fixture.h"

#include <stdlib.h>

/* ---- getPhase table ------------------------------------------------------------------------
 * Containers as tokens: R running, W waiting that never ran, T<n> terminated with exit n,
 * W<n> waiting (back-off) whose last termination exited n. */

static size_t parse_containers(const char *desc, struct sup_container *cs, size_t max)
{
	_cleanup_free_ char *copy = strdup(desc);
	char *save = NULL;
	size_t n = 0;

	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		ck_assert_uint_lt(n, max);
		cs[n] = (struct sup_container){0};
		switch (tok[0]) {
		case 'R':
			cs[n].state = SUP_RUNNING;
			break;
		case 'T':
			cs[n].state = SUP_TERMINATED;
			cs[n].terminated.valid = true;
			cs[n].terminated.exit_code = atoi(tok + 1);
			break;
		case 'W':
			cs[n].state = SUP_WAITING;
			if (tok[1]) {
				cs[n].terminated.valid = true;
				cs[n].terminated.exit_code = atoi(tok + 1);
			}
			break;
		default:
			ck_abort_msg("bad token %s", tok);
		}
		n++;
	}
	return n;
}

#define ALWAYS    SPEC_RESTART_ALWAYS
#define ONFAILURE SPEC_RESTART_ON_FAILURE
#define NEVER     SPEC_RESTART_NEVER

static const struct {
	const char *name;
	enum spec_restart_policy policy;
	const char *containers;
	bool terminal;
	enum sup_phase phase;
} phase_rows[] = {
        /* every policy */
        {"no containers yet", ALWAYS, "", false, SUP_PHASE_PENDING},
        {"Always: created, not started", ALWAYS, "W", false, SUP_PHASE_PENDING},
        {"OnFailure: created, not started", ONFAILURE, "W W", false, SUP_PHASE_PENDING},
        {"Never: created, not started", NEVER, "W", false, SUP_PHASE_PENDING},
        {"one running, one not started: Pending", ALWAYS, "R W", false, SUP_PHASE_PENDING},
        {"Never: one failed, one not started: Pending", NEVER, "T1 W", false, SUP_PHASE_PENDING},
        {"all running", ALWAYS, "R R", false, SUP_PHASE_RUNNING},
        {"Never: running and failed", NEVER, "R T1", false, SUP_PHASE_RUNNING},
        {"OnFailure: running and succeeded", ONFAILURE, "R T0", false, SUP_PHASE_RUNNING},
        {"running stays Running even when terminal", NEVER, "R", true, SUP_PHASE_RUNNING},
        {"waiting stays Pending even when terminal", ALWAYS, "W", true, SUP_PHASE_PENDING},
        /* Always */
        {"Always: exited 0 restarts", ALWAYS, "T0", false, SUP_PHASE_RUNNING},
        {"Always: exited 1 restarts", ALWAYS, "T1", false, SUP_PHASE_RUNNING},
        {"Always: CrashLoopBackOff", ALWAYS, "W1", false, SUP_PHASE_RUNNING},
        {"Always: back-off after exit 0", ALWAYS, "W0 T0", false, SUP_PHASE_RUNNING},
        {"Always: running and backing off", ALWAYS, "R W137", false, SUP_PHASE_RUNNING},
        {"Always, deleted: all 0", ALWAYS, "T0 T0", true, SUP_PHASE_SUCCEEDED},
        {"Always, deleted: one 143", ALWAYS, "T0 T143", true, SUP_PHASE_FAILED},
        {"Always, deleted while backing off", ALWAYS, "W1", true, SUP_PHASE_FAILED},
        /* OnFailure */
        {"OnFailure: all exited 0", ONFAILURE, "T0 T0", false, SUP_PHASE_SUCCEEDED},
        {"OnFailure: exited 1 restarts", ONFAILURE, "T1", false, SUP_PHASE_RUNNING},
        {"OnFailure: 0 and 1", ONFAILURE, "T0 T1", false, SUP_PHASE_RUNNING},
        {"OnFailure: 0 and backing off", ONFAILURE, "T0 W1", false, SUP_PHASE_RUNNING},
        {"OnFailure: StartError restarts", ONFAILURE, "T128", false, SUP_PHASE_RUNNING},
        {"OnFailure, terminal: 0 and 1", ONFAILURE, "T0 T1", true, SUP_PHASE_FAILED},
        {"OnFailure, terminal: all 0", ONFAILURE, "T0", true, SUP_PHASE_SUCCEEDED},
        /* Never */
        {"Never: exited 0", NEVER, "T0", false, SUP_PHASE_SUCCEEDED},
        {"Never: all exited 0", NEVER, "T0 T0 T0", false, SUP_PHASE_SUCCEEDED},
        {"Never: exited 1", NEVER, "T1", false, SUP_PHASE_FAILED},
        {"Never: 0 and 1", NEVER, "T0 T1", false, SUP_PHASE_FAILED},
        {"Never: OOMKilled", NEVER, "T137", false, SUP_PHASE_FAILED},
        {"Never: StartError", NEVER, "T128", false, SUP_PHASE_FAILED},
        /* a waiting container with a last exit 0 is stopped but not succeeded */
        {"Never: waiting after exit 0 is not a success", NEVER, "W0", false, SUP_PHASE_FAILED},
};

START_TEST(test_phase_table)
{
	struct sup_container cs[4];
	size_t n = parse_containers(phase_rows[_i].containers, cs, 4);
	enum sup_phase got =
	        sup_phase_compute(phase_rows[_i].policy, cs, n, phase_rows[_i].terminal);

	ck_assert_msg(got == phase_rows[_i].phase, "%s: got %s, want %s", phase_rows[_i].name,
	              sup_phase_name(got), sup_phase_name(phase_rows[_i].phase));
}
END_TEST

/* ---- phases through events ----------------------------------------------------------------- */

START_TEST(test_phase_lifecycle_never)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, NEVER, 2);

	ck_assert_int_eq(pod->phase, SUP_PHASE_PENDING);
	ck_assert_int_eq(pod->start_time, T0);
	ev_sandbox(pod, T0 + 1);
	ev_start(pod, 0, "a1", T0 + 2);
	ck_assert_int_eq(pod->phase, SUP_PHASE_PENDING); /* b not started yet */
	ev_start(pod, 1, "b1", T0 + 3);
	ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING);
	ev_exit(pod, 0, 0, T0 + 10);
	ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING);
	ck_assert(!pod->terminal);
	ev_exit(pod, 1, 2, T0 + 11);
	ck_assert_int_eq(pod->phase, SUP_PHASE_FAILED);
	ck_assert(pod->terminal);
	fixture_done(&f);
}
END_TEST

/* generateAPIPodStatus: "pods are not allowed to transition out of terminal phases". */
START_TEST(test_terminal_phase_sticks)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, NEVER, 1);

	ev_sandbox(pod, T0 + 1);
	ev_start(pod, 0, "a1", T0 + 2);
	ev_exit(pod, 0, 0, T0 + 3);
	ck_assert_int_eq(pod->phase, SUP_PHASE_SUCCEEDED);
	/* a stray start (a re-adopted shim replaying) does not bring it back */
	ev_start(pod, 0, "a2", T0 + 4);
	ck_assert_int_eq(pod->phase, SUP_PHASE_SUCCEEDED);
	ev_exit(pod, 0, 1, T0 + 5);
	ck_assert_int_eq(pod->phase, SUP_PHASE_SUCCEEDED);
	ck_assert_int_eq(sup_pod_shim_died(pod, T0 + 6, &default_cfg), 0);
	ck_assert_int_eq(sup_pod_delete(pod, T0 + 7), 0);
	ck_assert_int_eq(pod->phase, SUP_PHASE_SUCCEEDED);
	ck_assert(pod->terminal);
	fixture_done(&f);

	pod = fixture_pod(&f, NEVER, 1);
	ev_start(pod, 0, "a1", T0 + 2);
	ev_exit(pod, 0, 1, T0 + 3);
	ck_assert_int_eq(pod->phase, SUP_PHASE_FAILED);
	ev_start(pod, 0, "a2", T0 + 4);
	ck_assert_int_eq(pod->phase, SUP_PHASE_FAILED);
	fixture_done(&f);
}
END_TEST

static const struct {
	const char *name;
	int32_t exit_code; /* -1: delete before any exit, then exit 143 */
	bool crashloop;    /* crash twice first so that it is backing off when deleted */
	enum sup_phase phase;
} delete_rows[] = {
        {"Always, deleted, exits 0 on SIGTERM", 0, false, SUP_PHASE_SUCCEEDED},
        {"Always, deleted, killed 137", 137, false, SUP_PHASE_FAILED},
        {"Always, deleted while in CrashLoopBackOff", 1, true, SUP_PHASE_FAILED},
};

START_TEST(test_delete)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, ALWAYS, 1);
	int64_t at;

	ev_sandbox(pod, T0 + 1);
	ev_start(pod, 0, "a1", T0 + 2);
	if (delete_rows[_i].crashloop) {
		ev_exit(pod, 0, 1, T0 + 3);
		ev_start(pod, 0, "a2", T0 + 3);
		ev_exit(pod, 0, 1, T0 + 4);
		ck_assert_str_eq(pod->containers[0].reason, "CrashLoopBackOff");
		ck_assert_int_eq(sup_pod_delete(pod, T0 + 5), 0);
		/* no restart will come: the latest termination is the state again */
		ck_assert_int_eq(pod->containers[0].state, SUP_TERMINATED);
		ck_assert_ptr_null(pod->containers[0].reason);
	} else {
		ck_assert_int_eq(sup_pod_delete(pod, T0 + 5), 0);
		ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING); /* still running until it exits */
		ck_assert(!pod->terminal);
		ev_exit(pod, 0, delete_rows[_i].exit_code, T0 + 6);
	}
	ck_assert(pod->terminal);
	ck_assert_int_eq(pod->phase, delete_rows[_i].phase);
	ck_assert_int_eq(sup_container_next_action(pod, 0, &at), SUP_ACTION_NONE);
	fixture_done(&f);
}
END_TEST

/* ---- conditions ----------------------------------------------------------------------------- */

static void s_created(struct sup_pod *pod)
{
	(void)pod;
}
static void s_sandbox_one_running(struct sup_pod *pod)
{
	ev_sandbox(pod, T0 + 1);
	ev_start(pod, 0, "a1", T0 + 2);
}
static void s_all_running(struct sup_pod *pod)
{
	s_sandbox_one_running(pod);
	ev_start(pod, 1, "b1", T0 + 3);
}
static void s_all_succeeded(struct sup_pod *pod)
{
	s_all_running(pod);
	ev_exit(pod, 0, 0, T0 + 4);
	ev_exit(pod, 1, 0, T0 + 5);
}
static void s_one_failed(struct sup_pod *pod)
{
	s_all_running(pod);
	ev_exit(pod, 0, 0, T0 + 4);
	ev_exit(pod, 1, 1, T0 + 5);
}
static void s_second_crashing(struct sup_pod *pod)
{
	s_all_running(pod);
	ev_exit(pod, 1, 1, T0 + 4);
}
static void s_shim_died(struct sup_pod *pod)
{
	s_all_running(pod);
	ck_assert_int_eq(sup_pod_shim_died(pod, T0 + 4, &default_cfg), 0);
}

static const struct {
	const char *name;
	enum spec_restart_policy policy;
	void (*scenario)(struct sup_pod *pod);
	enum sup_phase phase;
	bool sandbox;
	const char *initialized_reason;
	bool ready;
	const char *ready_reason, *ready_message;
} cond_rows[] = {
        {"created", ALWAYS, s_created, SUP_PHASE_PENDING, false, NULL, false, "ContainersNotReady",
         "containers with unready status: [a b]"},
        {"one of two running", ALWAYS, s_sandbox_one_running, SUP_PHASE_PENDING, true, NULL, false,
         "ContainersNotReady", "containers with unready status: [b]"},
        {"all running", ALWAYS, s_all_running, SUP_PHASE_RUNNING, true, NULL, true, NULL, NULL},
        {"Never: all succeeded", NEVER, s_all_succeeded, SUP_PHASE_SUCCEEDED, true, "PodCompleted",
         false, "PodCompleted", NULL},
        {"OnFailure: all succeeded", ONFAILURE, s_all_succeeded, SUP_PHASE_SUCCEEDED, true,
         "PodCompleted", false, "PodCompleted", NULL},
        {"Never: one failed", NEVER, s_one_failed, SUP_PHASE_FAILED, true, NULL, false, "PodFailed",
         NULL},
        {"Always: second container crashing", ALWAYS, s_second_crashing, SUP_PHASE_RUNNING, true,
         NULL, false, "ContainersNotReady", "containers with unready status: [b]"},
        {"Always: shim died", ALWAYS, s_shim_died, SUP_PHASE_RUNNING, false, NULL, false,
         "ContainersNotReady", "containers with unready status: [a b]"},
        {"Never: shim died", NEVER, s_shim_died, SUP_PHASE_FAILED, false, NULL, false, "PodFailed",
         NULL},
};

START_TEST(test_conditions)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, cond_rows[_i].policy, 2);
	const struct sup_condition *c = pod->conditions;

	cond_rows[_i].scenario(pod);
	ck_assert_msg(pod->phase == cond_rows[_i].phase, "%s: phase %s", cond_rows[_i].name,
	              sup_phase_name(pod->phase));
	ck_assert_int_eq(c[SUP_COND_POD_READY_TO_START_CONTAINERS].status, cond_rows[_i].sandbox);
	ck_assert(c[SUP_COND_INITIALIZED].status);
	assert_str_or_null(c[SUP_COND_INITIALIZED].reason, cond_rows[_i].initialized_reason);
	ck_assert(c[SUP_COND_POD_SCHEDULED].status);
	for (int t = SUP_COND_READY; t <= SUP_COND_CONTAINERS_READY; t++) {
		ck_assert_int_eq(c[t].status, cond_rows[_i].ready);
		assert_str_or_null(c[t].reason, cond_rows[_i].ready_reason);
		assert_str_or_null(c[t].message, cond_rows[_i].ready_message);
	}
	fixture_done(&f);
}
END_TEST

/* updateLastTransitionTime: the time moves only when the status flips. */
START_TEST(test_condition_transition_times)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, ALWAYS, 2);
	const struct sup_condition *c = pod->conditions;

	for (int t = 0; t < SUP_COND_COUNT; t++)
		ck_assert_int_eq(c[t].last_transition_time, T0);
	ev_sandbox(pod, T0 + 5);
	ck_assert_int_eq(c[SUP_COND_POD_READY_TO_START_CONTAINERS].last_transition_time, T0 + 5);
	ev_start(pod, 0, "a1", T0 + 10);
	/* the message changed ([a b] -> [b]), the status did not */
	ck_assert_str_eq(c[SUP_COND_READY].message, "containers with unready status: [b]");
	ck_assert_int_eq(c[SUP_COND_READY].last_transition_time, T0);
	ev_start(pod, 1, "b1", T0 + 20);
	ck_assert_int_eq(c[SUP_COND_READY].last_transition_time, T0 + 20);
	ck_assert_int_eq(c[SUP_COND_CONTAINERS_READY].last_transition_time, T0 + 20);
	ev_exit(pod, 0, 1, T0 + 30);
	ck_assert_int_eq(c[SUP_COND_READY].last_transition_time, T0 + 30);
	ev_start(pod, 0, "a2", T0 + 30);
	ck_assert_int_eq(c[SUP_COND_READY].last_transition_time, T0 + 30);
	ck_assert(c[SUP_COND_READY].status);
	ev_exit(pod, 1, 1, T0 + 40); /* b: immediate restart pending */
	ck_assert_int_eq(c[SUP_COND_READY].last_transition_time, T0 + 40);
	ev_exit(pod, 0, 1, T0 + 41); /* a: back-off; still False, time stays */
	ck_assert_str_eq(c[SUP_COND_READY].message, "containers with unready status: [a b]");
	ck_assert_int_eq(c[SUP_COND_READY].last_transition_time, T0 + 40);
	ck_assert_int_eq(sup_pod_shim_died(pod, T0 + 50, &default_cfg), 0);
	ck_assert_int_eq(c[SUP_COND_POD_READY_TO_START_CONTAINERS].last_transition_time, T0 + 50);
	/* never flipped */
	ck_assert_int_eq(c[SUP_COND_INITIALIZED].last_transition_time, T0);
	ck_assert_int_eq(c[SUP_COND_POD_SCHEDULED].last_transition_time, T0);
	fixture_done(&f);
}
END_TEST

START_TEST(test_names_and_find)
{
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, ALWAYS, 3);

	ck_assert_int_eq(sup_pod_find(pod, "c"), 2);
	ck_assert_int_eq(sup_pod_find(pod, "nope"), -ENOENT);
	ck_assert_str_eq(sup_phase_name(SUP_PHASE_SUCCEEDED), "Succeeded");
	ck_assert_str_eq(sup_condition_type_name(SUP_COND_POD_READY_TO_START_CONTAINERS),
	                 "PodReadyToStartContainers");
	ck_assert_str_eq(sup_condition_type_name(SUP_COND_CONTAINERS_READY), "ContainersReady");
	ck_assert_str_eq(sup_state_name(SUP_TERMINATED), "terminated");
	ck_assert_str_eq(pod->containers[1].reason, "ContainerCreating");
	ck_assert_int_eq(pod->qos, SPEC_QOS_BESTEFFORT);
	fixture_done(&f);
	ck_assert_ptr_null(sup_pod_free(NULL));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise");
	TCase *tc = tcase_create("supervise");

	tcase_add_loop_test(tc, test_phase_table, 0, ELEMENTSOF(phase_rows));
	tcase_add_loop_test(tc, test_delete, 0, ELEMENTSOF(delete_rows));
	tcase_add_loop_test(tc, test_conditions, 0, ELEMENTSOF(cond_rows));
	tcase_add_test(tc, test_phase_lifecycle_never);
	tcase_add_test(tc, test_terminal_phase_sticks);
	tcase_add_test(tc, test_condition_transition_times);
	tcase_add_test(tc, test_names_and_find);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
