/* tests/unit/test_yaml_stream.c: YAML beyond one document — a stream of documents read as
 * `kubectl apply -f` reads a file (spec_yaml_documents), and JSON written back as YAML
 * (spec_yaml_from_json), which must read back as the same JSON whatever the strings hold.
 */
#include "check_main.h"
#include <string.h>

#include "spec/spec.h"

static const struct {
	const char *name;
	const char *text;
	const char *json; /* the array of documents, compact; NULL: refused */
	const char *error;
} stream_rows[] = {
        {"one document", "a: 1\n", "[{\"a\": 1}]", NULL},
        {"three, the first with a start marker", "---\na: 1\n---\nb: [x]\n---\nc: yes\n",
         "[{\"a\": 1}, {\"b\": [\"x\"]}, {\"c\": true}]", NULL},
        {"an empty document is null", "a: 1\n---\n---\nb: 2\n", "[{\"a\": 1}, null, {\"b\": 2}]",
         NULL},
        {"an end marker", "a: 1\n...\n---\nb: 2\n", "[{\"a\": 1}, {\"b\": 2}]", NULL},
        {"nothing", "", "[]", NULL},
        {"only comments", "# a\n# b\n", "[]", NULL},
        {"an anchor within its document", "a: &x 1\nb: *x\n---\nc: 2\n",
         "[{\"a\": 1, \"b\": 1}, {\"c\": 2}]", NULL},
        {"an anchor does not reach the next document", "a: &x 1\n---\nb: *x\n", NULL,
         "yaml: line 3, column 4: unknown anchor 'x' referenced"},
        {"a duplicate key in the second document", "a: 1\n---\nb: 1\nb: 2\n", NULL,
         "yaml: line 4, column 1: duplicate key \"b\""},
};

START_TEST(test_documents)
{
	_cleanup_json_ json_t *docs = NULL, *want = NULL;
	struct nano_err err = {0};
	int r = spec_yaml_documents(stream_rows[_i].text, strlen(stream_rows[_i].text), &docs,
	                            &err);

	if (!stream_rows[_i].json) {
		ck_assert_int_eq(r, -EBADMSG);
		ck_assert_str_eq(err.message, stream_rows[_i].error);
	} else {
		_cleanup_free_ char *got = NULL;

		ck_assert_msg(r == 0, "%s: %s", stream_rows[_i].name, err.message);
		want = json_loads(stream_rows[_i].json, 0, NULL);
		ck_assert_ptr_nonnull(want);
		got = json_dumps(docs, JSON_COMPACT);
		ck_assert_msg(json_equal(docs, want), "%s: %s", stream_rows[_i].name, got);
	}
	nano_err_clear(&err);
}
END_TEST

/* A single-document read still refuses a stream. */
START_TEST(test_one_document_still_one)
{
	_cleanup_json_ json_t *doc = NULL;
	struct nano_err err = {0};

	ck_assert_int_eq(spec_yaml_to_json("a: 1\n---\nb: 2\n", 14, &doc, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.message, "more than one YAML document"));
	nano_err_clear(&err);
}
END_TEST

/* ---- YAML out ----------------------------------------------------------------------------- */

static const struct {
	const char *json;
	const char *yaml;
} emit_rows[] = {
        {"{\"kind\": \"IsolationPlan\", \"n\": 3, \"ok\": true, \"none\": null}",
         "kind: IsolationPlan\n\"n\": 3\nok: true\nnone: null\n"},
        {"{\"list\": [\"a\", {\"b\": 1}], \"empty\": [], \"obj\": {}}",
         "list:\n- a\n- b: 1\nempty: []\nobj: {}\n"},
        /* what YAML 1.1 would read as something else is quoted */
        {"[\"yes\", \"no\", \"on\", \"1\", \"0755\", \"1e3\", \"null\", \"~\", \"\", \".inf\", "
         "\"<<\"]",
         "- \"yes\"\n- \"no\"\n- \"on\"\n- \"1\"\n- \"0755\"\n- \"1e3\"\n- \"null\"\n- \"~\"\n- "
         "\"\"\n- \".inf\"\n- \"<<\"\n"},
        /* and what YAML cannot hold plain, libyaml quotes */
        {"[\"a: b\", \"- x\", \"#c\", \" lead\", \"cpu.max \\\"max 100000\\\"\"]",
         "- 'a: b'\n- '- x'\n- '#c'\n- ' lead'\n- cpu.max \"max 100000\"\n"},
        /* a long sentence stays on one line */
        {"[\"pid: each container has its own pid namespace and sees only its own processes "
         "(hostPID is false), which is a long sentence of more than eighty characters.\"]",
         "- 'pid: each container has its own pid namespace and sees only its own processes "
         "(hostPID is false), which is a long sentence of more than eighty characters.'\n"},
        {"{\"uid → node\": \"0 → 100000\"}", "uid → node: 0 → 100000\n"},
};

START_TEST(test_emit)
{
	_cleanup_json_ json_t *v = json_loads(emit_rows[_i].json, 0, NULL), *back = NULL;
	_cleanup_free_ char *text = NULL;
	struct nano_err err = {0};

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(spec_yaml_from_json(v, &text), 0);
	ck_assert_msg(strcmp(text, emit_rows[_i].yaml) == 0, "got:\n%s\nwant:\n%s", text,
	              emit_rows[_i].yaml);
	ck_assert_msg(spec_yaml_to_json(text, strlen(text), &back, &err) == 0, "%s", err.message);
	ck_assert_msg(json_equal(back, v), "does not read back: %s", text);
}
END_TEST

/* Strings of every troublesome kind read back as themselves. */
START_TEST(test_emit_round_trip)
{
	static const char *const strings[] = {
	        "true",       "False", "y",         "N",       "0x1F",     "-1",      "+1",
	        "1_000",      "3.14",  ".5",        "1.",      "-.inf",    ".NaN",    "2024-01-02",
	        "a\nb\n",     "a\nb",  "trailing ", "\ttab",   "quote\"s", "back\\s", "'single'",
	        "key: value", "[x]",   "{x}",       "&anchor", "*alias",   "!tag",    "%percent",
	        "@at",        "`tick", "|",         ">",       "?",        "-",       ",",
	        "é unicode",  "NULL",  "Null",      "~x",
	};
	_cleanup_json_ json_t *v = json_array(), *back = NULL;
	_cleanup_free_ char *text = NULL;
	struct nano_err err = {0};

	for (size_t i = 0; i < ELEMENTSOF(strings); i++)
		json_array_append_new(v, json_string(strings[i]));
	json_array_append_new(v, json_pack("{s:s, s:i}", "yes", "no", "1", 1));
	ck_assert_int_eq(spec_yaml_from_json(v, &text), 0);
	ck_assert_msg(spec_yaml_to_json(text, strlen(text), &back, &err) == 0, "%s\n%s",
	              err.message, text);
	ck_assert_msg(json_equal(back, v), "does not read back:\n%s", text);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("yaml stream");
	TCase *tc = tcase_create("yaml stream");

	tcase_add_loop_test(tc, test_documents, 0, ELEMENTSOF(stream_rows));
	tcase_add_test(tc, test_one_document_still_one);
	tcase_add_loop_test(tc, test_emit, 0, ELEMENTSOF(emit_rows));
	tcase_add_test(tc, test_emit_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
