/* tests/unit/test_pod_images.c: the pure part of the kubelet's image manager
 * (daemon/pods/image_policy.c): shouldPullImage for each policy and presence, the image back-off
 * as flowcontrol.Backoff (10 s doubling to 300 s, expired after 2 max), and the duration words
 * of the Pulled event as Go's time.Duration prints them. One row per behaviour. */
#include "check_main.h"
#include <string.h>

#include "pods/images.h"

struct decide_case {
	const char *name;
	enum image_pull_policy policy;
	bool present;
	enum pod_image_action action;
};

static const struct decide_case decide_cases[] = {
        {"Always pulls though present", IMAGE_PULL_ALWAYS, true, POD_IMAGE_PULL},
        {"Always pulls when absent", IMAGE_PULL_ALWAYS, false, POD_IMAGE_PULL},
        {"IfNotPresent uses what is there", IMAGE_PULL_IF_NOT_PRESENT, true, POD_IMAGE_USE},
        {"IfNotPresent pulls when absent", IMAGE_PULL_IF_NOT_PRESENT, false, POD_IMAGE_PULL},
        {"Never uses what is there", IMAGE_PULL_NEVER, true, POD_IMAGE_USE},
        {"Never refuses when absent", IMAGE_PULL_NEVER, false, POD_IMAGE_NEVER_PULL},
};

START_TEST(test_decide)
{
	const struct decide_case *c = &decide_cases[_i];

	ck_assert_msg(pod_image_decide(c->policy, c->present) == c->action, "%s", c->name);
}
END_TEST

#define S(x) ((int64_t)(x)*1000000) /* seconds in usec */

static const struct pods_image_backoff kubelet = {10, 300};

START_TEST(test_backoff_doubles_to_max)
{
	struct pod_image_backoff b = {0};
	const int64_t want[] = {10, 20, 40, 80, 160, 300, 300};
	int64_t now = S(1000);

	ck_assert(!pod_image_backoff_active(&b, now, &kubelet));
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		pod_image_backoff_next(&b, now, &kubelet);
		ck_assert_int_eq(b.backoff, S(want[k]));
		ck_assert_int_eq(b.last_update, now);
		/* in back-off until the delay has passed since the update, not after */
		ck_assert(pod_image_backoff_active(&b, now + b.backoff - 1, &kubelet));
		ck_assert(!pod_image_backoff_active(&b, now + b.backoff, &kubelet));
		now += b.backoff; /* the next pull fails as soon as it may run */
	}
}
END_TEST

START_TEST(test_backoff_expires_after_twice_max)
{
	struct pod_image_backoff b = {0};

	pod_image_backoff_next(&b, S(0), &kubelet);
	pod_image_backoff_next(&b, S(10), &kubelet);
	ck_assert_int_eq(b.backoff, S(20));
	/* a failure more than 2 x 300 s after the last update starts again at the initial delay */
	pod_image_backoff_next(&b, S(10) + S(601), &kubelet);
	ck_assert_int_eq(b.backoff, S(10));
	/* exactly 2 max later is not expired yet: it doubles */
	pod_image_backoff_next(&b, S(10) + S(601) + S(600), &kubelet);
	ck_assert_int_eq(b.backoff, S(20));
}
END_TEST

START_TEST(test_backoff_config)
{
	const struct pods_image_backoff quick = {1, 3};
	struct pod_image_backoff b = {0};
	const int64_t want[] = {1, 2, 3, 3};

	for (size_t k = 0; k < 4; k++) {
		pod_image_backoff_next(&b, S(k * 3), &quick);
		ck_assert_int_eq(b.backoff, S(want[k]));
	}
	/* expired long after: the entry no longer holds back */
	ck_assert(!pod_image_backoff_active(&b, S(9) + S(7), &quick));
}
END_TEST

struct duration_case {
	int64_t ns;
	const char *words;
};

static const struct duration_case duration_cases[] = {
        {0, "0s"},
        {999999, "0s"}, /* truncated to the millisecond */
        {313000000, "313ms"},
        {313999999, "313ms"},
        {1000000000, "1s"},
        {1594000000, "1.594s"},
        {1500000000, "1.5s"},
        {7264000000, "7.264s"},
        {60000000000, "1m0s"},
        {62500000000, "1m2.5s"},
        {3600000000000, "1h0m0s"},
        {3723004000000, "1h2m3.004s"},
};

START_TEST(test_duration)
{
	const struct duration_case *c = &duration_cases[_i];
	char out[32];

	pod_image_duration(c->ns, out, sizeof(out));
	ck_assert_str_eq(out, c->words);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pod_images");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_decide, 0, sizeof(decide_cases) / sizeof(decide_cases[0]));
	tcase_add_test(tc, test_backoff_doubles_to_max);
	tcase_add_test(tc, test_backoff_expires_after_twice_max);
	tcase_add_test(tc, test_backoff_config);
	tcase_add_loop_test(tc, test_duration, 0,
	                    sizeof(duration_cases) / sizeof(duration_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
