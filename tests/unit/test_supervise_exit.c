/* tests/unit/test_supervise_exit.c: sup_exit_message — a run's end names what the kernel did to
 * it (refused forks, hard throttling) after an OOMKilled message, and says nothing of a run the
 * kernel left alone or throttled below the node's threshold.
 */
#include "check_main.h"
#include <string.h>

#include "supervise/supervise.h"

#define ANNOTATION "its nanolet.io/pids-limit annotation"
#define CPU        "100m, cpu.max \"10000 100000\""

static const struct {
	const char *name;
	const char *base;
	struct sup_run_pressure p;
	const char *want; /* NULL: no message */
} rows[] = {
        {"nothing happened", NULL, {0, 64, ANNOTATION, 50, 0, 25, CPU}, NULL},
        {"a fork bomb",
         NULL,
         {12, 64, ANNOTATION, 0, 0, 25, NULL},
         "the pod's pids.max of 64 (from its nanolet.io/pids-limit annotation) refused 12 forks "
         "during this run (PidsLimitReached)"},
        {"one fork, no source known",
         NULL,
         {1, 4096, NULL, 0, 0, 25, NULL},
         "the pod's pids.max of 4096 refused 1 fork during this run (PidsLimitReached)"},
        {"throttled hard",
         NULL,
         {0, SUP_UNLIMITED, NULL, 40, 35, 25, CPU},
         "it was throttled in 87% of its CPU periods during this run (CPUThrottling): its CPU "
         "limit is 100m, cpu.max \"10000 100000\""},
        {"throttled at the threshold is not hard",
         NULL,
         {0, SUP_UNLIMITED, NULL, 100, 25, 25, CPU},
         NULL},
        {"both, after an OOM kill",
         "memory limit 67108864 bytes (memory.max) reached; the kernel OOM killer ended pid 7",
         {3, 64, ANNOTATION, 10, 10, 25, CPU},
         "memory limit 67108864 bytes (memory.max) reached; the kernel OOM killer ended pid 7; "
         "the pod's pids.max of 64 (from its nanolet.io/pids-limit annotation) refused 3 forks "
         "during this run (PidsLimitReached); it was throttled in 100% of its CPU periods during "
         "this run (CPUThrottling): its CPU limit is 100m, cpu.max \"10000 100000\""},
        {"an OOM kill alone keeps its message",
         "the kernel OOM killer ended pid 7",
         {0, 64, NULL, 0, 0, 25, NULL},
         "the kernel OOM killer ended pid 7"},
};

START_TEST(test_exit_message)
{
	_cleanup_free_ char *message = NULL;

	ck_assert_int_eq(sup_exit_message(rows[_i].base, &rows[_i].p, &message), 0);
	if (!rows[_i].want)
		ck_assert_msg(!message, "%s: %s", rows[_i].name, message);
	else
		ck_assert_msg(message && strcmp(message, rows[_i].want) == 0,
		              "%s:\n got %s\nwant %s", rows[_i].name, message, rows[_i].want);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise_exit");
	TCase *tc = tcase_create("supervise_exit");

	tcase_add_loop_test(tc, test_exit_message, 0, ELEMENTSOF(rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
