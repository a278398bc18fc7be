/* tests/unit/test_patch.c: pkg/patch against RFC 7386's Appendix A, RFC 6902's Appendix A, and
 * the strategic merge patches kubectl sends for a Pod (apply's three-way patch with
 * $setElementOrder, label, and the directives), each row one behaviour. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "patch/patch.h"

/* a row that succeeds has no class: the tables leave it out */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct patch_case {
	const char *name;
	const char *original, *patch;
	const char *want; /* NULL: the patch fails */
	enum nano_class class;
};

static void run(int (*fn)(const json_t *, const json_t *, json_t **, struct nano_err *),
                const struct patch_case *c)
{
	_cleanup_json_ json_t *original = json_loads(c->original, JSON_DECODE_ANY, NULL);
	_cleanup_json_ json_t *patch = json_loads(c->patch, JSON_DECODE_ANY, NULL);
	_cleanup_json_ json_t *before = json_deep_copy(original);
	_cleanup_json_ json_t *want = c->want ? json_loads(c->want, JSON_DECODE_ANY, NULL) : NULL;
	_cleanup_json_ json_t *out = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r;

	ck_assert_msg(original && patch && (!c->want || want), "%s: test JSON", c->name);
	r = fn(original, patch, &out, &err);
	/* the original is never changed */
	ck_assert_msg(json_equal(original, before), "%s: original changed", c->name);
	if (!c->want) {
		ck_assert_msg(r < 0, "%s: applied, want a failure", c->name);
		ck_assert_ptr_null(out);
		ck_assert_msg(err.class == c->class, "%s: class %d, want %d (%s)", c->name,
		              err.class, c->class, err.message);
		ck_assert_ptr_nonnull(err.message);
		return;
	}
	ck_assert_msg(r == 0, "%s: %s", c->name, err.message);
	if (!json_equal(out, want)) {
		_cleanup_free_ char *got = json_dumps(out, JSON_SORT_KEYS | JSON_ENCODE_ANY);

		ck_abort_msg("%s: got %s, want %s", c->name, got, c->want);
	}
}

/* RFC 7386 Appendix A, every row, and a nested document. */
static const struct patch_case merge_cases[] = {
        {"A.1 replace a member", "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"A.2 add a member", "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
        {"A.3 null removes", "{\"a\":\"b\"}", "{\"a\":null}", "{}"},
        {"A.4 null removes one", "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
        {"A.5 array replaces array", "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"A.6 value replaces array", "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
        {"A.7 nested merge", "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
         "{\"a\":{\"b\":\"d\"}}"},
        {"A.8 arrays replaced whole", "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
        {"A.9 array target", "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
        {"A.10 object over array", "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
        {"A.11 null patch", "{\"a\":\"foo\"}", "null", "null"},
        {"A.12 string patch", "{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
        {"A.13 null values kept inside", "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
        {"A.14 array to object", "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
        {"A.15 deep null", "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
        {"section 3's example",
         "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
         "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
         "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{"
         "\"familyName\":null},\"tags\":[\"example\"]}",
         "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
         "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}"},
};

START_TEST(test_merge)
{
	run(patch_merge, &merge_cases[_i]);
}
END_TEST

/* RFC 6902 Appendix A, every example (A.12's unknown member is ignored, as the RFC says; A.15
 * compares numbers as the JSON values they are). */
static const struct patch_case json_cases[] = {
        {"A.1 add an object member", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
         "{\"baz\":\"qux\",\"foo\":\"bar\"}"},
        {"A.2 add an array element", "{\"foo\":[\"bar\",\"baz\"]}",
         "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
         "{\"foo\":[\"bar\",\"qux\",\"baz\"]}"},
        {"A.3 remove an object member", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
         "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}"},
        {"A.4 remove an array element", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
         "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}"},
        {"A.5 replace a value", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
         "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
         "{\"baz\":\"boo\",\"foo\":\"bar\"}"},
        {"A.6 move a value",
         "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
         "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
         "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}"},
        {"A.7 move an array element", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
         "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
         "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}"},
        {"A.8 test succeeds", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
         "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":"
         "\"/foo/1\",\"value\":2}]",
         "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}"},
        {"A.9 test fails", "{\"baz\":\"qux\"}",
         "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL, NANO_INVALID},
        {"A.10 add a nested member", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
         "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}"},
        {"A.11 unrecognised elements ignored", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
         "{\"foo\":\"bar\",\"baz\":\"qux\"}"},
        {"A.12 add to a nonexistent target", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", NULL, NANO_INVALID},
        {"A.14 ~ escape ordering", "{\"/\":9,\"~1\":10}",
         "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}"},
        {"A.15 comparing strings and numbers", "{\"/\":9,\"~1\":10}",
         "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", NULL, NANO_INVALID},
        {"A.16 add an array value", "{\"foo\":[\"bar\"]}",
         "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
         "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}"},
        {"copy", "{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]",
         "{\"a\":{\"b\":1},\"c\":{\"b\":1}}"},
        {"a label key with a slash", "{\"metadata\":{\"labels\":{}}}",
         "[{\"op\":\"add\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":"
         "\"web\"}]",
         "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"web\"}}}"},
        {"replace needs the target", "{}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1}]",
         NULL, NANO_INVALID},
        {"remove of a missing index", "{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]",
         NULL, NANO_INVALID},
        {"a leading zero is no index", "{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/01\"}]",
         NULL, NANO_INVALID},
        {"move into its own child", "{\"a\":{\"b\":1}}",
         "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]", NULL, NANO_INVALID},
        {"one failure fails all", "{\"a\":1}",
         "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"remove\",\"path\":\"/c\"}]", NULL,
         NANO_INVALID},
        {"unknown op", "{}", "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]", NULL, NANO_BAD_REQUEST},
        {"not an array", "{}", "{\"op\":\"add\"}", NULL, NANO_BAD_REQUEST},
        {"a pointer without /", "{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL,
         NANO_BAD_REQUEST},
        {"add without value", "{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL, NANO_BAD_REQUEST},
        {"replace the whole document", "{\"a\":1}",
         "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}"},
};

START_TEST(test_json)
{
	run(patch_json, &json_cases[_i]);
}
END_TEST

#define POD(spec)                                                                                  \
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":{"      \
	"\"app\":\"web\"}},\"spec\":" spec "}"
#define TWO_CONTAINERS                                                                             \
	"{\"containers\":[{\"name\":\"a\",\"image\":\"host\",\"command\":[\"sleep\",\"1\"],"       \
	"\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"2\"}]},{"           \
	"\"name\":\"b\",\"image\":\"host\"}]}"

static const struct patch_case strategic_cases[] = {
        {"a label changed, as kubectl label sends it", POD("{}"),
         "{\"metadata\":{\"labels\":{\"app\":\"api\",\"tier\":\"1\"}}}",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":{"
         "\"app\":\"api\",\"tier\":\"1\"}},\"spec\":{}}"},
        {"a label removed by null", POD("{}"), "{\"metadata\":{\"labels\":{\"app\":null}}}",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":{}"
         "},\"spec\":{}}"},
        {"containers merged by name: the other one stays", POD(TWO_CONTAINERS),
         "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"/srv/b\"}]}}",
         POD("{\"containers\":[{\"name\":\"a\",\"image\":\"host\",\"command\":[\"sleep\","
             "\"1\"],\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":"
             "\"2\"}]},{\"name\":\"b\",\"image\":\"/srv/b\"}]}")},
        {"apply's patch: $setElementOrder and a changed command", POD(TWO_CONTAINERS),
         "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],"
         "\"containers\":[{\"name\":\"a\",\"command\":[\"sleep\",\"2\"]}]}}",
         POD("{\"containers\":[{\"name\":\"b\",\"image\":\"host\"},{\"name\":\"a\",\"image\":"
             "\"host\",\"command\":[\"sleep\",\"2\"],\"env\":[{\"name\":\"X\",\"value\":\"1\"},"
             "{\"name\":\"Y\",\"value\":\"2\"}]}]}")},
        {"env merged by name inside a container", POD(TWO_CONTAINERS),
         "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\",\"value\":\"3\"},"
         "{\"name\":\"Z\",\"value\":\"4\"}]}]}}",
         POD("{\"containers\":[{\"name\":\"a\",\"image\":\"host\",\"command\":[\"sleep\","
             "\"1\"],\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":"
             "\"3\"},{\"name\":\"Z\",\"value\":\"4\"}]},{\"name\":\"b\",\"image\":\"host\"}]}")},
        {"$patch delete removes an element by key", POD(TWO_CONTAINERS),
         "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"$patch\":"
         "\"delete\"}]}]}}",
         POD("{\"containers\":[{\"name\":\"a\",\"image\":\"host\",\"command\":[\"sleep\","
             "\"1\"],\"env\":[{\"name\":\"Y\",\"value\":\"2\"}]},{\"name\":\"b\",\"image\":"
             "\"host\"}]}")},
        {"$patch replace in a list replaces it", POD(TWO_CONTAINERS),
         "{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},{\"name\":\"c\",\"image\":"
         "\"host\"}]}}",
         POD("{\"containers\":[{\"name\":\"c\",\"image\":\"host\"}]}")},
        {"$patch replace on a map", POD("{\"nodeSelector\":{\"a\":\"1\",\"b\":\"2\"}}"),
         "{\"spec\":{\"nodeSelector\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
         POD("{\"nodeSelector\":{\"c\":\"3\"}}")},
        {"$patch delete on a map", POD("{\"nodeSelector\":{\"a\":\"1\"}}"),
         "{\"spec\":{\"nodeSelector\":{\"$patch\":\"delete\"}}}", POD("{}")},
        {"ports merged by containerPort",
         POD("{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"name\":"
             "\"http\"}]}]}"),
         "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,"
         "\"protocol\":\"TCP\"},{\"containerPort\":443}]}]}}",
         POD("{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"name\":"
             "\"http\",\"protocol\":\"TCP\"},{\"containerPort\":443}]}]}")},
        {"volumeMounts merged by mountPath",
         POD("{\"containers\":[{\"name\":\"a\",\"volumeMounts\":[{\"mountPath\":\"/d\","
             "\"name\":\"v\"}]}]}"),
         "{\"spec\":{\"containers\":[{\"name\":\"a\",\"volumeMounts\":[{\"mountPath\":\"/d\","
         "\"readOnly\":true}]}]}}",
         POD("{\"containers\":[{\"name\":\"a\",\"volumeMounts\":[{\"mountPath\":\"/d\","
             "\"name\":\"v\",\"readOnly\":true}]}]}")},
        {"volumes merged by name, $retainKeys drops the old source",
         POD("{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}"),
         "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"$retainKeys\":[\"hostPath\",\"name\"],"
         "\"hostPath\":{\"path\":\"/srv\"}}]}}",
         POD("{\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/srv\"}}]}")},
        {"initContainers merged by name",
         POD("{\"initContainers\":[{\"name\":\"i\",\"image\":\"host\"}]}"),
         "{\"spec\":{\"initContainers\":[{\"name\":\"i\",\"image\":\"/srv/i\"}]}}",
         POD("{\"initContainers\":[{\"name\":\"i\",\"image\":\"/srv/i\"}]}")},
        {"tolerations are replaced whole (no merge key)",
         POD("{\"tolerations\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}"),
         "{\"spec\":{\"tolerations\":[{\"key\":\"b\",\"operator\":\"Exists\"}]}}",
         POD("{\"tolerations\":[{\"key\":\"b\",\"operator\":\"Exists\"}]}")},
        {"a command list is replaced whole", POD(TWO_CONTAINERS),
         "{\"spec\":{\"containers\":[{\"name\":\"a\",\"command\":[\"true\"]}]}}",
         POD("{\"containers\":[{\"name\":\"a\",\"image\":\"host\",\"command\":[\"true\"],"
             "\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"2\"}]},{"
             "\"name\":\"b\",\"image\":\"host\"}]}")},
        {"finalizers: a set, and $deleteFromPrimitiveList",
         "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
         "{\"metadata\":{\"finalizers\":[\"b\",\"c\"],\"$deleteFromPrimitiveList/finalizers\":"
         "[\"a\"]}}",
         "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}"},
        {"an element without its merge key", POD(TWO_CONTAINERS),
         "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", NULL, NANO_BAD_REQUEST},
        {"an unknown directive", POD("{}"), "{\"spec\":{\"$patch\":\"frob\"}}", NULL,
         NANO_BAD_REQUEST},
        {"not an object", POD("{}"), "[1]", NULL, NANO_BAD_REQUEST},
};

START_TEST(test_strategic)
{
	run(patch_strategic_pod, &strategic_cases[_i]);
}
END_TEST

static const struct {
	const char *path, *key;
} key_cases[] = {
        {"spec.containers", "name"},
        {"spec.initContainers[].env", "name"},
        {"spec.containers[].ports", "containerPort"},
        {"spec.ephemeralContainers[].volumeMounts", "mountPath"},
        {"spec.volumes", "name"},
        {"metadata.finalizers", ""},
        {"spec.tolerations", NULL},
        {"spec.containers[].command", NULL},
        {"spec.containers[].envFrom", NULL},
};

START_TEST(test_merge_keys)
{
	const char *got = patch_pod_merge_key(key_cases[_i].path);

	if (!key_cases[_i].key)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, key_cases[_i].key);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("patch");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_merge, 0, ELEMENTSOF(merge_cases));
	tcase_add_loop_test(tc, test_json, 0, ELEMENTSOF(json_cases));
	tcase_add_loop_test(tc, test_strategic, 0, ELEMENTSOF(strategic_cases));
	tcase_add_loop_test(tc, test_merge_keys, 0, ELEMENTSOF(key_cases));
	suite_add_tcase(s, tc);
	return check_run(s);
}
