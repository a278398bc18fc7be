/* tests/unit/test_util_time.c: util_rfc3339 and util_timespec_from_ns — the timestamp shapes
 * Kubernetes writes (metav1.Time seconds, Go's RFC3339Nano) and their edges.
 */
#include <check.h>
#include <string.h>

#include "util/util.h"

struct rfc3339_case {
	const char *name;
	int64_t sec;
	long nsec;
	bool nanos;
	int rc; /* the length on success */
	const char *want;
};

static const struct rfc3339_case rfc3339_cases[] = {
        {"epoch", 0, 0, false, 20, "1970-01-01T00:00:00Z"},
        {"seconds", 1714564865, 0, false, 20, "2024-05-01T12:01:05Z"},
        {"seconds drop the fraction", 1714564865, 999999999, false, 20, "2024-05-01T12:01:05Z"},
        {"nano without fraction", 1714564865, 0, true, 20, "2024-05-01T12:01:05Z"},
        {"nano half", 1714564865, 500000000, true, 22, "2024-05-01T12:01:05.5Z"},
        {"nano one", 1714564865, 1, true, 30, "2024-05-01T12:01:05.000000001Z"},
        {"nano trailing zeros trimmed", 1714564865, 123450000, true, 26,
         "2024-05-01T12:01:05.12345Z"},
        {"nano full", 1714564865, 999999999, true, 30, "2024-05-01T12:01:05.999999999Z"},
        {"before the epoch", -1, 0, false, 20, "1969-12-31T23:59:59Z"},
        {"leap day", 951782400, 0, false, 20, "2000-02-29T00:00:00Z"},
        {"last second of 9999", 253402300799, 0, false, 20, "9999-12-31T23:59:59Z"},
        {"year 10000", 253402300800, 0, false, -ERANGE, NULL},
        {"negative nsec", 0, -1, false, -EINVAL, NULL},
        {"nsec a full second", 0, 1000000000, true, -EINVAL, NULL},
};

START_TEST(test_rfc3339)
{
	const struct rfc3339_case *c = &rfc3339_cases[_i];
	struct timespec ts = {.tv_sec = c->sec, .tv_nsec = c->nsec};
	char buf[UTIL_RFC3339_SIZE];
	int r = util_rfc3339(buf, sizeof(buf), &ts, c->nanos);

	ck_assert_msg(r == c->rc, "%s: %d, want %d", c->name, r, c->rc);
	if (c->want)
		ck_assert_str_eq(buf, c->want);
}
END_TEST

START_TEST(test_rfc3339_small_buffer)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 0};
	char buf[21];

	ck_assert_int_eq(util_rfc3339(buf, 20, &ts, false), -ENOSPC);
	ck_assert_int_eq(util_rfc3339(buf, 21, &ts, false), 20);
	ck_assert_int_eq(util_rfc3339(buf, sizeof(buf), NULL, false), -EINVAL);
}
END_TEST

struct from_ns_case {
	int64_t ns;
	time_t sec;
	long nsec;
};

static const struct from_ns_case from_ns_cases[] = {
        {0, 0, 0},
        {1500000000, 1, 500000000},
        {-1, -1, 999999999},
        {-1000000000, -1, 0},
        {-1500000000, -2, 500000000},
        {INT64_MAX, 9223372036, 854775807},
};

START_TEST(test_timespec_from_ns)
{
	const struct from_ns_case *c = &from_ns_cases[_i];
	struct timespec ts = util_timespec_from_ns(c->ns);

	ck_assert_int_eq(ts.tv_sec, c->sec);
	ck_assert_int_eq(ts.tv_nsec, c->nsec);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util_time");
	TCase *tc = tcase_create("time");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rfc3339, 0, (int)ELEMENTSOF(rfc3339_cases));
	tcase_add_test(tc, test_rfc3339_small_buffer);
	tcase_add_loop_test(tc, test_timespec_from_ns, 0, (int)ELEMENTSOF(from_ns_cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
