/* tests/unit/check_main.h: the one main of every Check suite: run the suite, exit non-zero when
 * any check failed. */
#pragma once

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
