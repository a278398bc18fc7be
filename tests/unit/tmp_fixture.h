/* tests/unit/tmp_fixture.h: a suite's temporary directory, made and removed by the runner
 * process (an unchecked fixture), so that it goes away whatever the tests did; each test makes
 * its own directory below it (each runs in a process of its own).
 *
 *   TMP_FIXTURE("/tmp/nanolet-<suite>-XXXXXX")
 *   ...
 *   tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
 */
#pragma once

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define TMP_FIXTURE(template)                                                                      \
	static char *tmp_base;                                                                     \
                                                                                                   \
	static void tmp_setup(void)                                                                \
	{                                                                                          \
		tmp_base = strdup(template);                                                       \
		ck_assert_ptr_nonnull(mkdtemp(tmp_base));                                          \
	}                                                                                          \
                                                                                                   \
	static void tmp_teardown(void)                                                             \
	{                                                                                          \
		rm_rf(tmp_base);                                                                   \
		free(tmp_base);                                                                    \
	}
