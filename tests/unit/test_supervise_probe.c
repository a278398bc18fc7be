#include "check_main.h"
/* tests/unit/test_supervise_probe.c: the probe rules of pkg/supervise (probe.c) — thresholds and
 * the result kept until a threshold flips it, startup gating liveness and readiness, the hold
 * after a liveness or startup failure, results reset by a new run, ready and started with the
 * ContainersReady and Ready conditions, and a pending postStart hook. One container "a" of pod
 * "web", policy Always, started at T0.
 */
#include "supervise_fixture.h"

#include <stdlib.h>

/* The probes of a row: 0 for a threshold means the probe is absent. */
struct probes_cfg {
	int live_fail;
	int ready_succ, ready_fail;
	int startup_fail;
	int initial_delay; /* every probe's */
};

struct probe_fixture {
	struct fixture f;
	struct spec_probe probes[SUP_PROBE_KINDS];
	struct spec_handler post_start;
};

static struct spec_probe make_probe(int succ, int fail, int delay)
{
	return (struct spec_probe){
	        .handler = {.type = SPEC_HANDLER_EXEC},
	        .initial_delay_seconds = delay,
	        .timeout_seconds = 1,
	        .period_seconds = 10,
	        .success_threshold = succ,
	        .failure_threshold = fail,
	        .termination_grace_period_seconds = SPEC_UNSET,
	};
}

static struct sup_pod *probe_pod(struct probe_fixture *pf, const struct probes_cfg *cfg,
                                 bool post_start)
{
	struct fixture *f = &pf->f;

	memset(pf, 0, sizeof(*pf));
	f->containers[0] = fixture_container("a", "alpine");
	if (cfg->live_fail) {
		pf->probes[SUP_PROBE_LIVENESS] = make_probe(1, cfg->live_fail, cfg->initial_delay);
		f->containers[0].liveness_probe = &pf->probes[SUP_PROBE_LIVENESS];
	}
	if (cfg->ready_fail) {
		pf->probes[SUP_PROBE_READINESS] =
		        make_probe(cfg->ready_succ, cfg->ready_fail, cfg->initial_delay);
		f->containers[0].readiness_probe = &pf->probes[SUP_PROBE_READINESS];
	}
	if (cfg->startup_fail) {
		pf->probes[SUP_PROBE_STARTUP] =
		        make_probe(1, cfg->startup_fail, cfg->initial_delay);
		f->containers[0].startup_probe = &pf->probes[SUP_PROBE_STARTUP];
	}
	if (post_start) {
		pf->post_start =
		        (struct spec_handler){.type = SPEC_HANDLER_SLEEP, .sleep_seconds = 1};
		f->containers[0].post_start = &pf->post_start;
	}
	f->spec = (struct spec_pod){
	        .name = "web",
	        .namespace = "default",
	        .uid = "uid-1",
	        .restart_policy = SPEC_RESTART_ALWAYS,
	        .containers = f->containers,
	        .n_containers = 1,
	};
	ck_assert_int_eq(sup_pod_new(&f->spec, NULL, T0, &f->pod), 0);
	ev_sandbox(f->pod, T0);
	ev_start(f->pod, 0, "id-1", T0);
	return f->pod;
}

/* ---- the rules, step by step ---------------------------------------------------------------
 * steps: L+ L- R+ R- S+ S- (a check of liveness, readiness, startup: success or failure),
 * "run" (the container exits and starts again), "del" (deletion requested), "exit" (it ends).
 * expect, one per step: the outcome (k kept, s set, x restart, e -EINVAL, . for run/del/exit)
 * then started and ready (0/1). */

static const struct {
	const char *name;
	struct probes_cfg cfg;
	const char *steps;
	const char *expect;
} rule_rows[] = {
        {"no probes: started and ready while running", {0}, "exit", ".00"},
        {"readiness false until its first success",
         {.ready_succ = 1, .ready_fail = 3},
         "R+",
         "s11"},
        {"readiness failures below the threshold keep ready",
         {.ready_succ = 1, .ready_fail = 3},
         "R+ R- R- R-",
         "s11 k11 k11 s10"},
        {"a success breaks a failure run",
         {.ready_succ = 1, .ready_fail = 2},
         "R+ R- R+ R- R-",
         "s11 k11 s11 k11 s10"},
        {"successThreshold counts successes in a row",
         {.ready_succ = 3, .ready_fail = 1},
         "R+ R+ R- R+ R+ R+",
         "k10 k10 s10 k10 k10 s11"},
        {"readiness failing never restarts",
         {.ready_succ = 1, .ready_fail = 1},
         "R+ R- R- R-",
         "s11 s10 s10 s10"},
        {"liveness past its threshold restarts, then holds",
         {.live_fail = 2},
         "L- L+ L- L- L- L+",
         "k11 s11 k11 x11 e11 e11"},
        {"liveness on hold ends with a new run", {.live_fail = 1}, "L- run L- ", "x11 .11 x11"},
        {"startup gates: started once it succeeds",
         {.startup_fail = 3, .ready_succ = 1, .ready_fail = 3, .live_fail = 1},
         "S- S+ R+ L+",
         "k00 s10 s11 s11"},
        {"startup failing past its threshold restarts",
         {.startup_fail = 2},
         "S- S- S-",
         "k00 x00 e00"},
        {"a new run resets readiness and startup",
         {.startup_fail = 1, .ready_succ = 1, .ready_fail = 1},
         "S+ R+ run S+ R+",
         "s10 s11 .00 s10 s11"},
        {"a new run starts its counts over",
         {.ready_succ = 1, .ready_fail = 2},
         "R+ R- run R- R+",
         "s11 k11 .10 k10 s11"},
        {"a container that ended is neither started nor ready",
         {.ready_succ = 1, .ready_fail = 1},
         "R+ exit R+",
         "s11 .00 e00"},
        {"deletion keeps readiness",
         {.ready_succ = 1, .ready_fail = 1},
         "R+ del R-",
         "s11 .11 s10"},
};

static void run_step(struct sup_pod *pod, const char *step, int64_t *t, int *outcome)
{
	static const char kinds[] = {
	        [SUP_PROBE_LIVENESS] = 'L', [SUP_PROBE_READINESS] = 'R', [SUP_PROBE_STARTUP] = 'S'};

	*outcome = -1;
	(*t)++;
	if (strcmp(step, "run") == 0) {
		ev_exit(pod, 0, 137, *t);
		ev_start(pod, 0, "id-2", *t);
		return;
	}
	if (strcmp(step, "exit") == 0) {
		pod->restart_policy = SPEC_RESTART_NEVER;
		ev_exit(pod, 0, 1, *t);
		return;
	}
	if (strcmp(step, "del") == 0) {
		ck_assert_int_eq(sup_pod_delete(pod, *t), 0);
		return;
	}
	for (int k = 0; k < SUP_PROBE_KINDS; k++)
		if (step[0] == kinds[k]) {
			*outcome = sup_probe_result(pod, 0, k, step[1] == '+', *t);
			return;
		}
	ck_abort_msg("bad step %s", step);
}

START_TEST(test_rules)
{
	struct probe_fixture pf;
	struct sup_pod *pod = probe_pod(&pf, &rule_rows[_i].cfg, false);
	_cleanup_free_ char *steps = strdup(rule_rows[_i].steps);
	_cleanup_free_ char *expect = strdup(rule_rows[_i].expect);
	char *s1 = NULL, *s2 = NULL, *step = strtok_r(steps, " ", &s1);
	char *want = strtok_r(expect, " ", &s2);
	int64_t t = T0;

	for (; step; step = strtok_r(NULL, " ", &s1), want = strtok_r(NULL, " ", &s2)) {
		const struct sup_container *c = &pod->containers[0];
		int outcome;
		char got;

		ck_assert_msg(want != NULL, "%s: no expectation for %s", rule_rows[_i].name, step);
		run_step(pod, step, &t, &outcome);
		got = outcome == -1                  ? '.'
		      : outcome == -EINVAL           ? 'e'
		      : outcome == SUP_PROBE_KEPT    ? 'k'
		      : outcome == SUP_PROBE_SET     ? 's'
		      : outcome == SUP_PROBE_RESTART ? 'x'
		                                     : '?';
		ck_assert_msg(got == want[0] && c->started == (want[1] == '1') &&
		                      c->ready == (want[2] == '1'),
		              "%s: after %s: got %c%d%d, want %s", rule_rows[_i].name, step, got,
		              c->started, c->ready, want);
	}
	ck_assert_ptr_null(want);
	fixture_done(&pf.f);
}
END_TEST

/* ---- when a check is made ------------------------------------------------------------------- */

static const struct {
	const char *name;
	struct probes_cfg cfg;
	const char *before; /* steps first, as above ("" none) */
	enum sup_probe_kind kind;
	int64_t at; /* seconds after T0 */
	bool wanted;
} wanted_rows[] = {
        {"readiness at once", {.ready_succ = 1, .ready_fail = 3}, "", SUP_PROBE_READINESS, 0, true},
        {"an absent probe never",
         {.ready_succ = 1, .ready_fail = 3},
         "",
         SUP_PROBE_LIVENESS,
         5,
         false},
        {"not before initialDelaySeconds",
         {.ready_succ = 1, .ready_fail = 3, .initial_delay = 5},
         "",
         SUP_PROBE_READINESS,
         4,
         false},
        {"at initialDelaySeconds",
         {.ready_succ = 1, .ready_fail = 3, .initial_delay = 5},
         "",
         SUP_PROBE_READINESS,
         5,
         true},
        {"liveness waits for startup",
         {.live_fail = 3, .startup_fail = 3},
         "",
         SUP_PROBE_LIVENESS,
         3,
         false},
        {"readiness waits for startup",
         {.ready_succ = 1, .ready_fail = 3, .startup_fail = 3},
         "",
         SUP_PROBE_READINESS,
         3,
         false},
        {"startup runs until it succeeded",
         {.live_fail = 3, .startup_fail = 3},
         "S-",
         SUP_PROBE_STARTUP,
         3,
         true},
        {"startup stops once it succeeded",
         {.live_fail = 3, .startup_fail = 3},
         "S+",
         SUP_PROBE_STARTUP,
         3,
         false},
        {"liveness runs once started",
         {.live_fail = 3, .startup_fail = 3},
         "S+",
         SUP_PROBE_LIVENESS,
         3,
         true},
        {"liveness on hold after its failure",
         {.live_fail = 1},
         "L-",
         SUP_PROBE_LIVENESS,
         3,
         false},
        {"liveness again in a new run", {.live_fail = 1}, "L- run", SUP_PROBE_LIVENESS, 3, true},
        {"liveness stops on deletion", {.live_fail = 1}, "del", SUP_PROBE_LIVENESS, 3, false},
        {"readiness goes on while deleting",
         {.ready_succ = 1, .ready_fail = 1},
         "del",
         SUP_PROBE_READINESS,
         3,
         true},
        {"nothing for a container that ended",
         {.ready_succ = 1, .ready_fail = 1},
         "exit",
         SUP_PROBE_READINESS,
         3,
         false},
};

START_TEST(test_wanted)
{
	struct probe_fixture pf;
	struct sup_pod *pod = probe_pod(&pf, &wanted_rows[_i].cfg, false);
	_cleanup_free_ char *steps = strdup(wanted_rows[_i].before);
	char *save = NULL;
	int64_t t = T0;
	int outcome;

	for (char *s = strtok_r(steps, " ", &save); s; s = strtok_r(NULL, " ", &save))
		run_step(pod, s, &t, &outcome);
	/* a new run started later: the delay counts from its start */
	ck_assert_msg(sup_probe_wanted(pod, 0, wanted_rows[_i].kind,
	                               pod->containers[0].started_at + wanted_rows[_i].at) ==
	                      wanted_rows[_i].wanted,
	              "%s", wanted_rows[_i].name);
	fixture_done(&pf.f);
}
END_TEST

/* ---- conditions ------------------------------------------------------------------------------ */

START_TEST(test_conditions_follow_readiness)
{
	struct probes_cfg cfg = {.ready_succ = 1, .ready_fail = 1};
	struct probe_fixture pf;
	struct sup_pod *pod = probe_pod(&pf, &cfg, false);
	const struct sup_condition *ready = &pod->conditions[SUP_COND_READY];
	const struct sup_condition *containers = &pod->conditions[SUP_COND_CONTAINERS_READY];

	ck_assert(!ready->status);
	ck_assert_str_eq(ready->reason, "ContainersNotReady");
	ck_assert_str_eq(ready->message, "containers with unready status: [a]");
	ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING);

	ck_assert_int_eq(sup_probe_result(pod, 0, SUP_PROBE_READINESS, true, T0 + 7),
	                 SUP_PROBE_SET);
	ck_assert(ready->status && containers->status);
	ck_assert_int_eq(ready->last_transition_time, T0 + 7);
	ck_assert_int_eq(containers->last_transition_time, T0 + 7);
	/* the same result again moves no time */
	ck_assert_int_eq(sup_probe_result(pod, 0, SUP_PROBE_READINESS, true, T0 + 9),
	                 SUP_PROBE_SET);
	ck_assert_int_eq(ready->last_transition_time, T0 + 7);

	ck_assert_int_eq(sup_probe_result(pod, 0, SUP_PROBE_READINESS, false, T0 + 12),
	                 SUP_PROBE_SET);
	ck_assert(!ready->status && !containers->status);
	ck_assert_int_eq(ready->last_transition_time, T0 + 12);
	ck_assert_str_eq(containers->message, "containers with unready status: [a]");
	fixture_done(&pf.f);
}
END_TEST

/* ---- postStart ---------------------------------------------------------------------------------
 */

START_TEST(test_post_start_pending)
{
	struct probes_cfg cfg = {.ready_succ = 1, .ready_fail = 1};
	struct probe_fixture pf;
	struct sup_pod *pod = probe_pod(&pf, &cfg, true);
	const struct sup_container *c = &pod->containers[0];
	_cleanup_json_ json_t *status = NULL;
	json_t *state;

	/* the hook runs: ContainerCreating, Pending, no check yet */
	ck_assert(c->post_start_pending);
	ck_assert(!c->started && !c->ready);
	ck_assert_int_eq(pod->phase, SUP_PHASE_PENDING);
	ck_assert(!sup_probe_wanted(pod, 0, SUP_PROBE_READINESS, T0 + 1));
	status = sup_pod_status_json(pod);
	state = json_object_get(json_array_get(json_object_get(status, "containerStatuses"), 0),
	                        "state");
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(state, "waiting"), "reason")),
	        "ContainerCreating");

	ck_assert_int_eq(sup_container_post_start_done(pod, 0, T0 + 1), 0);
	ck_assert_int_eq(sup_container_post_start_done(pod, 0, T0 + 1), -EINVAL);
	ck_assert(c->started && !c->ready);
	ck_assert_int_eq(pod->phase, SUP_PHASE_RUNNING);
	ck_assert(sup_probe_wanted(pod, 0, SUP_PROBE_READINESS, T0 + 1));

	/* the next run has its hook again */
	ev_exit(pod, 0, 1, T0 + 3);
	ck_assert(!c->post_start_pending);
	ev_start(pod, 0, "id-2", T0 + 4);
	ck_assert(c->post_start_pending);
	fixture_done(&pf.f);
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(sup_probe_kind_name(SUP_PROBE_LIVENESS), "Liveness");
	ck_assert_str_eq(sup_probe_kind_name(SUP_PROBE_READINESS), "Readiness");
	ck_assert_str_eq(sup_probe_kind_name(SUP_PROBE_STARTUP), "Startup");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise_probe");
	TCase *tc = tcase_create("probe");

	tcase_add_loop_test(tc, test_rules, 0, ELEMENTSOF(rule_rows));
	tcase_add_loop_test(tc, test_wanted, 0, ELEMENTSOF(wanted_rows));
	tcase_add_test(tc, test_conditions_follow_readiness);
	tcase_add_test(tc, test_post_start_pending);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
