/* tests/unit/test_util.c: string vectors and validation causes at the sizes a 1 MiB request
 * body can produce (a command of 240000 arguments, 100000 unknown fields). Appending must stay
 * linear: growing one slot at a time and walking the list on each push kept the daemon busy for
 * 16 s on one request (issue 11). A quadratic append fails here by the suite's timeout. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "util/util.h"

struct append_case {
	const char *name;
	size_t start; /* strings the list holds before (a list made by strv_copy: exact size) */
	size_t n;     /* strings appended */
	bool empty;   /* start from calloc(1, sizeof(char *)), as read_strings does */
};

static const struct append_case append_cases[] = {
        {"into NULL", 0, 1, false},
        {"a few into NULL", 0, 7, false},
        {"into an exact-size copy", 3, 5, false},
        {"into an empty calloc'd list", 0, 9, true},
        {"a body's worth", 0, 250000, false},
};

START_TEST(test_strv_append)
{
	const struct append_case *c = &append_cases[_i];
	_cleanup_strv_ char **l = NULL;
	size_t n = c->start;

	if (c->start > 0) {
		_cleanup_strv_ char **seed = NULL;

		for (size_t i = 0; i < c->start; i++)
			ck_assert_int_eq(strv_pushf(&seed, "s%zu", i), 0);
		l = strv_copy(seed);
	} else if (c->empty) {
		l = calloc(1, sizeof(char *));
	}
	for (size_t i = 0; i < c->n; i++)
		ck_assert_int_eq(strv_append(&l, &n, strdupf("a%zu", i)), 0);
	ck_assert_uint_eq(n, c->start + c->n);
	ck_assert_uint_eq(strv_len(l), n);
	if (c->start > 0)
		ck_assert_str_eq(l[0], "s0");
	ck_assert_str_eq(l[c->start], "a0");
	ck_assert_ptr_null(l[n]);
	/* the list stays a strv: strv_push goes on after it */
	ck_assert_int_eq(strv_push(&l, strdup("last")), 0);
	ck_assert_str_eq(l[n], "last");
}
END_TEST

START_TEST(test_strv_append_null_is_enomem)
{
	_cleanup_strv_ char **l = NULL;
	size_t n = 0;

	ck_assert_int_eq(strv_append(&l, &n, NULL), -ENOMEM);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_many_causes)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	for (size_t i = 0; i < 200000; i++)
		nano_err_cause(&err, "spec.x", "FieldValueInvalid", "cause %zu", i);
	ck_assert_uint_eq(err.n_causes, 200000);
	ck_assert_str_eq(err.causes[199999].message, "cause 199999");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("strv");

	tcase_add_loop_test(tc, test_strv_append, 0, (int)ELEMENTSOF(append_cases));
	tcase_add_test(tc, test_strv_append_null_is_enomem);
	tcase_add_test(tc, test_many_causes);
	suite_add_tcase(s, tc);
	return check_run(s);
}
