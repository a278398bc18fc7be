/* tests/unit/test_pod_update.c: spec_pod_validate_update, what an update may change on a Pod
 * (the API server's ValidatePodUpdate), one row per rule, and the diff its refusal carries. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "spec/spec.h"

#define OLD                                                                                        \
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":"    \
	"\"default\",\"uid\":\"u1\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{"     \
	"\"name\":\"c\",\"image\":\"host\",\"command\":[\"sleep\",\"100\"]}],"                     \
	"\"activeDeadlineSeconds\":60,\"terminationGracePeriodSeconds\":30,\"tolerations\":[{"     \
	"\"key\":\"a\",\"operator\":\"Exists\"}]}}"

struct update_case {
	const char *name;
	const char *patch; /* a merge patch over OLD: the new object */
	const char *field; /* NULL: allowed; else the first cause's field */
	const char *message_has;
};

static const struct update_case cases[] = {
        {"labels change freely", "{\"metadata\":{\"labels\":{\"app\":\"api\",\"t\":\"1\"}}}", NULL,
         NULL},
        {"annotations change freely", "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}", NULL, NULL},
        {"nothing changed", "{}", NULL, NULL},
        {"a label value that is no string", "{\"metadata\":{\"labels\":{\"app\":1}}}",
         "metadata.labels", "must be a string"},
        {"a qualified label key with a prefix",
         "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"My_value.1\",\"e\":\"\"}}}", NULL,
         NULL},
        {"a label key with a space", "{\"metadata\":{\"labels\":{\"a b\":\"x\"}}}",
         "metadata.labels", "Invalid value: \"a b\": name part must consist of alphanumeric"},
        {"a label key whose prefix is no subdomain",
         "{\"metadata\":{\"labels\":{\"Example.com/a\":\"x\"}}}", "metadata.labels",
         "prefix part a lowercase RFC 1123 subdomain"},
        {"a label value with a slash", "{\"metadata\":{\"labels\":{\"a\":\"x/y\"}}}",
         "metadata.labels", "Invalid value: \"x/y\": a valid label must be an empty string"},
        {"a label value of 64 characters",
         "{\"metadata\":{\"labels\":{\"a\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}}",
         "metadata.labels", "must be no more than 63 characters"},
        {"an annotation key ending in a dash", "{\"metadata\":{\"annotations\":{\"a-\":\"x y\"}}}",
         "metadata.annotations", "name part must consist of"},
        {"an annotation value may be anything",
         "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
         "\"{\\\"a\\\": [1, 2]}\\n\"}}}",
         NULL, NULL},
        {"activeDeadlineSeconds shortened", "{\"spec\":{\"activeDeadlineSeconds\":30}}", NULL,
         NULL},
        {"activeDeadlineSeconds lengthened", "{\"spec\":{\"activeDeadlineSeconds\":90}}",
         "spec.activeDeadlineSeconds", "must be less than or equal to previous value"},
        {"activeDeadlineSeconds unset", "{\"spec\":{\"activeDeadlineSeconds\":null}}",
         "spec.activeDeadlineSeconds", "must not update from a positive integer to nil value"},
        {"a toleration added",
         "{\"spec\":{\"tolerations\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"b\","
         "\"operator\":\"Exists\"}]}}",
         NULL, NULL},
        {"a toleration removed", "{\"spec\":{\"tolerations\":[]}}", "spec.tolerations",
         "existing toleration can not be modified"},
        {"a command changed",
         "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"host\","
         "\"command\":[\"sleep\",\"200\"]}]}}",
         "spec",
         "Forbidden: pod updates may not change fields other than "
         "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`"
         ",`spec.tolerations` (only additions to existing tolerations),"
         "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
         "negative)\n@@"},
        {"the grace period changed", "{\"spec\":{\"terminationGracePeriodSeconds\":1}}", "spec",
         "pod updates may not change fields other than"},
        {"an image changed: nanolet's refusal",
         "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"/srv/root\",\"command\":["
         "\"sleep\",\"100\"]}]}}",
         "spec.containers[0].image", "nanolet does not restart a container with a new image"},
        {"an image and a command changed: the API server's refusal first",
         "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"/srv/root\",\"command\":["
         "\"true\"]}]}}",
         "spec", "pod updates may not change fields other than"},
        {"finalizers are not kept", "{\"metadata\":{\"finalizers\":[\"x\"]}}",
         "metadata.finalizers", "not its finalizers"},
};

START_TEST(test_update)
{
	const struct update_case *c = &cases[_i];
	_cleanup_json_ json_t *old = json_loads(OLD, 0, NULL);
	_cleanup_json_ json_t *patch = json_loads(c->patch, 0, NULL);
	_cleanup_json_ json_t *new = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r;

	ck_assert_ptr_nonnull(old);
	ck_assert_ptr_nonnull(patch);
	/* RFC 7386 by hand: enough for these rows (objects merge, null removes) */
	new = json_deep_copy(old);
	{
		const char *k;
		json_t *v;

		json_object_foreach(patch, k, v)
		{
			json_t *target = json_object_get(new, k);
			const char *k2;
			json_t *v2;

			json_object_foreach(v, k2, v2)
			{
				if (json_is_null(v2))
					json_object_del(target, k2);
				else
					json_object_set(target, k2, v2);
			}
		}
	}
	r = spec_pod_validate_update(old, new, &err);
	if (!c->field) {
		ck_assert_msg(r == 0, "%s: %s", c->name, err.message);
		return;
	}
	ck_assert_msg(r == -EINVAL, "%s: allowed", c->name);
	ck_assert_int_eq(err.class, NANO_INVALID);
	ck_assert_uint_ge(err.n_causes, 1);
	ck_assert_str_eq(err.causes[0].field, c->field);
	ck_assert_msg(strstr(err.causes[0].message, c->message_has), "%s: %s", c->name,
	              err.causes[0].message);
	ck_assert_msg(strncmp(err.message, "Pod \"web\" is invalid: ", 22) == 0, "%s", err.message);
}
END_TEST

/* The diff shows the changed line as - and +, with context. */
START_TEST(test_diff)
{
	_cleanup_json_ json_t *a =
	        json_pack("{s:[s,s], s:s}", "command", "sleep", "100", "image", "host");
	_cleanup_json_ json_t *b =
	        json_pack("{s:[s,s], s:s}", "command", "sleep", "200", "image", "host");
	_cleanup_free_ char *d = spec_json_diff(a, b);

	ck_assert_ptr_nonnull(d);
	ck_assert_msg(strstr(d, "-  \"100\"\n+  \"200\"\n"), "%s", d);
	ck_assert_msg(strncmp(d, "@@ -1,7 +1,7 @@\n", 16) == 0, "%s", d);
	ck_assert_msg(strstr(d, "  \"sleep\",\n"), "%s", d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pod_update");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_update, 0, ELEMENTSOF(cases));
	tcase_add_test(tc, test_diff);
	suite_add_tcase(s, tc);
	return check_run(s);
}
