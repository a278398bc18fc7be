/* tests/unit/test_util.c: string vectors and validation causes at the sizes a 1 MiB request
 * body can produce (a command of 240000 arguments, 100000 unknown fields). Appending must stay
 * linear: growing one slot at a time and walking the list on each push kept the daemon busy for
 * 16 s on one request (issue 11). A quadratic append fails here by the suite's timeout. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

struct index_case {
	const char *name;
	const char *const names[8]; /* NULL-terminated, a NULL entry skipped: "" stands for it */
	const char *lookup;
	ssize_t first;
};

static const struct index_case index_cases[] = {
        {"found", {"a", "b", "c", NULL}, "b", 1},
        {"the first of equal names", {"x", "a", "x", "x", NULL}, "x", 0},
        {"a later duplicate", {"b", "a", "c", "a", NULL}, "a", 1},
        {"absent", {"a", "b", NULL}, "z", -1},
        {"empty", {NULL}, "a", -1},
        {"skipped entries keep their positions", {"", "q", "", "q", NULL}, "q", 1},
};

START_TEST(test_name_index)
{
	const struct index_case *c = &index_cases[_i];
	const char *names[8];
	struct name_index idx;
	size_t n = 0;

	for (; c->names[n]; n++)
		names[n] = *c->names[n] ? c->names[n] : NULL;
	ck_assert_int_eq(name_index_build(&idx, names, n), 0);
	ck_assert_msg(name_index_first(&idx, c->lookup) == c->first, "%s", c->name);
	ck_assert_int_eq(name_index_first(&idx, NULL), -1);
	name_index_done(&idx);
}
END_TEST

/* 100000 names with duplicates: every lookup gives the first position. */
START_TEST(test_name_index_at_scale)
{
	_cleanup_free_ const char **names = calloc(100000, sizeof(*names));
	_cleanup_strv_ char **owned = NULL;
	struct name_index idx;
	size_t n = 0;

	for (size_t i = 0; i < 100000; i++)
		ck_assert_int_eq(strv_append(&owned, &n, strdupf("n%zu", i % 50000)), 0);
	for (size_t i = 0; i < 100000; i++)
		names[i] = owned[i];
	ck_assert_int_eq(name_index_build(&idx, names, 100000), 0);
	for (size_t i = 0; i < 100000; i++)
		ck_assert_int_eq(name_index_first(&idx, names[i]), (ssize_t)(i % 50000));
	name_index_done(&idx);
}
END_TEST

START_TEST(test_reserve)
{
	_cleanup_free_ int *a = NULL;

	for (size_t n = 0; n < 300000; n++) {
		ck_assert_int_eq(util_reserve(&a, n, sizeof(*a)), 0);
		a[n] = (int)n;
	}
	ck_assert_int_eq(a[299999], 299999);
}
END_TEST

/* util_read_fd of a file of size bytes, at most max: -EFBIG past it, the whole text up to it. */
static const struct {
	size_t size, max;
	int result;
} read_cases[] = {
        {0, 0, 0},
        {1, 0, -EFBIG},
        {8192, 8192, 0},
        {8193, 8192, -EFBIG},
        {100000, SIZE_MAX, 0},
        {100000, 99999, -EFBIG},
        {100000, 100000, 0},
};

START_TEST(test_read_fd)
{
	_cleanup_close_ int fd = memfd_create("read", MFD_CLOEXEC);
	_cleanup_free_ char *text = NULL, *out = NULL;
	size_t len = SIZE_MAX;

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(text = malloc(read_cases[_i].size + 1));
	for (size_t i = 0; i < read_cases[_i].size; i++)
		text[i] = (char)('a' + i % 26);
	ck_assert_int_eq(write(fd, text, read_cases[_i].size), (ssize_t)read_cases[_i].size);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(util_read_fd(fd, read_cases[_i].max, &out, &len), read_cases[_i].result);
	if (read_cases[_i].result == 0) {
		ck_assert_uint_eq(len, read_cases[_i].size);
		ck_assert_int_eq(memcmp(out, text, len), 0);
		ck_assert_int_eq(out[len], '\0');
	} else {
		ck_assert_ptr_null(out);
	}
}
END_TEST

/* util_utf8_copy: bad bytes become U+FFFD, one each, as Go's encoding/json writes them. */
#define FFFD "\xEF\xBF\xBD"
static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *out;
} utf8_cases[] = {
        {"ASCII unchanged", "hello\n", 6, "hello\n"},
        {"two, three and four bytes", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9,
         "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"},
        {"a stray continuation byte",
         "a\x80"
         "b",
         3, "a" FFFD "b"},
        {"a sequence cut short at the end", "ab\xE2\x82", 4, "ab" FFFD FFFD},
        {"a sequence cut at the start (a tail)", "\x82\xACx", 3, FFFD FFFD "x"},
        {"an overlong slash", "\xC0\xAF", 2, FFFD FFFD},
        {"an overlong three-byte form", "\xE0\x80\xAF", 3, FFFD FFFD FFFD},
        {"a surrogate", "\xED\xA0\x80", 3, FFFD FFFD FFFD},
        {"past U+10FFFF", "\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD},
        {"F5 and FF", "\xF5\xFF", 2, FFFD FFFD},
        {"a NUL inside", "a\0b", 3, "a" FFFD "b"},
        {"empty", "", 0, ""},
};

START_TEST(test_utf8_copy)
{
	_cleanup_free_ char *got = util_utf8_copy(utf8_cases[_i].in, utf8_cases[_i].len);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, utf8_cases[_i].out) == 0, "%s", utf8_cases[_i].name);
}
END_TEST

START_TEST(test_uuid_format)
{
	uint8_t zero[16] = {0}, ones[16];
	char out[37];

	memset(ones, 0xff, sizeof(ones));
	util_uuid_format(zero, out);
	ck_assert_str_eq(out, "00000000-0000-4000-8000-000000000000");
	util_uuid_format(ones, out);
	ck_assert_str_eq(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("strv");

	tcase_add_loop_test(tc, test_strv_append, 0, (int)ELEMENTSOF(append_cases));
	tcase_add_test(tc, test_strv_append_null_is_enomem);
	tcase_add_test(tc, test_many_causes);
	tcase_add_loop_test(tc, test_name_index, 0, (int)ELEMENTSOF(index_cases));
	tcase_add_test(tc, test_name_index_at_scale);
	tcase_add_test(tc, test_reserve);
	tcase_add_loop_test(tc, test_read_fd, 0, (int)ELEMENTSOF(read_cases));
	tcase_add_test(tc, test_uuid_format);
	tcase_add_loop_test(tc, test_utf8_copy, 0, (int)ELEMENTSOF(utf8_cases));
	suite_add_tcase(s, tc);
	return check_run(s);
}
