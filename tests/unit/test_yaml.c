/* tests/unit/test_yaml.c: pkg/spec's document readers: YAML read as Kubernetes reads it
 * (go-yaml v2's YAML 1.1 scalars, anchors, merge keys), JSON with positions, format sniffing,
 * Content-Type mapping, and the bounds that keep a hostile document small and fast.
 *
 * Each table row is one behaviour: the input, the expected return and either the expected JSON
 * (compact, sorted keys) or a substring of the error message.
 */
#include "check_main.h"
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "spec/spec.h"

struct doc_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input); for inputs holding a NUL byte */
	int rc;
	const char *want; /* compact sorted JSON when rc == 0, else a part of the message */
};

static void err_clearp(struct nano_err *e)
{
	nano_err_clear(e);
}

static void check_outcome(const struct doc_case *c, int r, json_t *v, const struct nano_err *e)
{
	if (c->rc == 0) {
		_cleanup_free_ char *got = NULL;

		ck_assert_msg(r == 0, "%s: rc %d, message %s", c->name, r, e->message);
		ck_assert_msg(v != NULL, "%s: no value", c->name);
		got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		ck_assert_msg(got && strcmp(got, c->want) == 0, "%s: got %s, want %s", c->name, got,
		              c->want);
		return;
	}
	ck_assert_msg(r == c->rc, "%s: rc %d, want %d (message %s)", c->name, r, c->rc, e->message);
	ck_assert_msg(v == NULL, "%s: a value despite the error", c->name);
	ck_assert_msg(e->errnum == -c->rc, "%s: errnum %d", c->name, e->errnum);
	ck_assert_msg(e->message && strstr(e->message, c->want), "%s: message \"%s\", want \"%s\"",
	              c->name, e->message, c->want);
}

/* ---- YAML -------------------------------------------------------------------------------- */

static const struct doc_case yaml_cases[] = {
        /* YAML 1.1 booleans, as go-yaml v2's resolve table has them */
        {"bool_yes", "value: yes", 0, 0, "{\"value\":true}"},
        {"bool_quoted_yes_is_string", "value: \"yes\"", 0, 0, "{\"value\":\"yes\"}"},
        {"bool_single_quoted_no_is_string", "value: 'no'", 0, 0, "{\"value\":\"no\"}"},
        {"bool_on_off", "a: on\nb: Off\nc: ON", 0, 0, "{\"a\":true,\"b\":false,\"c\":true}"},
        {"bool_y_n", "a: y\nb: N\nc: Y\nd: n", 0, 0,
         "{\"a\":true,\"b\":false,\"c\":true,\"d\":false}"},
        {"bool_true_false_spellings", "[true, True, TRUE, false, False, FALSE]", 0, 0,
         "[true,true,true,false,false,false]"},
        {"bool_mixed_case_is_string", "[nO, yEs, tRUE, oN]", 0, 0,
         "[\"nO\",\"yEs\",\"tRUE\",\"oN\"]"},

        /* nulls */
        {"null_tilde", "a: ~", 0, 0, "{\"a\":null}"},
        {"null_words", "[null, Null, NULL, nULL]", 0, 0, "[null,null,null,\"nULL\"]"},
        {"null_empty_value", "a:\nb: 1", 0, 0, "{\"a\":null,\"b\":1}"},
        {"null_quoted_is_string", "a: \"~\"", 0, 0, "{\"a\":\"~\"}"},

        /* integers: Go's strconv.ParseInt(s, 0, 64) after go-yaml drops the '_' */
        {"int_decimal", "a: 42", 0, 0, "{\"a\":42}"},
        {"int_signed", "[+7, -7, -0]", 0, 0, "[7,-7,0]"},
        {"int_octal_0755", "mode: 0755", 0, 0, "{\"mode\":493}"},
        {"int_octal_0o", "mode: 0o17", 0, 0, "{\"mode\":15}"},
        {"int_octal_negative", "a: -010", 0, 0, "{\"a\":-8}"},
        {"int_hex", "a: 0x1F", 0, 0, "{\"a\":31}"},
        {"int_hex_negative", "a: -0x10", 0, 0, "{\"a\":-16}"},
        {"int_binary", "a: 0b101", 0, 0, "{\"a\":5}"},
        {"int_underscores", "a: 1_000_000", 0, 0, "{\"a\":1000000}"},
        {"int_leading_underscore_is_string", "a: _1", 0, 0, "{\"a\":\"_1\"}"},
        {"int_09_reads_as_float_9", "a: 09", 0, 0, "{\"a\":9}"},
        {"int_0x_alone_is_string", "a: 0x", 0, 0, "{\"a\":\"0x\"}"},
        {"int_max", "a: 9223372036854775807", 0, 0, "{\"a\":9223372036854775807}"},
        {"int_min", "a: -9223372036854775808", 0, 0, "{\"a\":-9223372036854775808}"},
        {"int_above_int64_is_real", "a: 9223372036854775808", 0, 0,
         "{\"a\":9.2233720368547758e18}"},
        {"int_uint64_max_is_real", "a: 0xFFFFFFFFFFFFFFFF", 0, 0, "{\"a\":1.8446744073709552e19}"},
        {"int_above_uint64_is_real", "a: 100000000000000000000", 0, 0, "{\"a\":1e20}"},
        {"int_below_int64_is_real", "a: -10000000000000000000", 0, 0, "{\"a\":-1e19}"},
        {"int_hex_above_uint64_is_string", "a: 0x1FFFFFFFFFFFFFFFF", 0, 0,
         "{\"a\":\"0x1FFFFFFFFFFFFFFFF\"}"},

        /* floats: integral ones come out as integers, as Go's json.Marshal writes them */
        {"float_plain", "a: 1.5", 0, 0, "{\"a\":1.5}"},
        {"float_leading_dot", "a: .5", 0, 0, "{\"a\":0.5}"},
        {"float_negative_leading_dot", "a: -.25", 0, 0, "{\"a\":-0.25}"},
        {"float_exponent_integral", "a: 1e3", 0, 0, "{\"a\":1000}"},
        {"float_exponent_fraction", "a: 2.5e-1", 0, 0, "{\"a\":0.25}"},
        {"float_trailing_dot", "a: 1.", 0, 0, "{\"a\":1}"},
        {"float_overflow_is_string", "a: 1e400", 0, 0, "{\"a\":\"1e400\"}"},
        {"float_version_is_string", "a: 1.2.3", 0, 0, "{\"a\":\"1.2.3\"}"},
        {"float_dot_alone_is_string", "a: .", 0, 0, "{\"a\":\".\"}"},
        {"float_inf_refused", "a: .inf", 0, -EBADMSG,
         "yaml: line 1, column 4: `.inf` cannot be represented in JSON"},
        {"float_negative_inf_refused", "a: -.Inf", 0, -EBADMSG, "`-.Inf` cannot be represented"},
        {"float_nan_refused", "a: .NaN", 0, -EBADMSG, "`.NaN` cannot be represented"},
        {"float_inf_quoted_is_string", "a: '.inf'", 0, 0, "{\"a\":\".inf\"}"},

        /* strings that look like something else stay strings when quoted or not resolvable */
        {"string_quoted_octal", "a: \"0755\"", 0, 0, "{\"a\":\"0755\"}"},
        {"string_quoted_float", "a: '1e3'", 0, 0, "{\"a\":\"1e3\"}"},
        {"string_date_stays_text", "a: 2001-12-14", 0, 0, "{\"a\":\"2001-12-14\"}"},
        {"string_plain_words", "a: hello world", 0, 0, "{\"a\":\"hello world\"}"},
        {"string_escapes", "a: \"tab\\there\\u00e9\"", 0, 0, "{\"a\":\"tab\\there\xc3\xa9\"}"},
        {"string_nul_escape_refused", "a: \"x\\0y\"", 0, -EBADMSG,
         "yaml: line 1, column 4: NUL character in a scalar"},

        /* block scalars are strings, whatever they hold */
        {"block_literal", "a: |\n  l1\n  l2\n", 0, 0, "{\"a\":\"l1\\nl2\\n\"}"},
        {"block_folded", "a: >\n  f1\n  f2\n", 0, 0, "{\"a\":\"f1 f2\\n\"}"},
        {"block_strip", "a: |-\n  yes\n", 0, 0, "{\"a\":\"yes\"}"},

        /* structure */
        {"nested_maps_and_lists",
         "spec:\n  containers:\n  - name: c\n    args: [a, 1]\n    env:\n    - {name: X, value: "
         "'1'}\n",
         0, 0,
         "{\"spec\":{\"containers\":[{\"args\":[\"a\",1],\"env\":[{\"name\":\"X\",\"value\":"
         "\"1\"}],\"name\":\"c\"}]}}"},
        {"flow_style", "{a: [1, {b: c}], d: e}", 0, 0, "{\"a\":[1,{\"b\":\"c\"}],\"d\":\"e\"}"},
        {"root_scalar", "hello", 0, 0, "\"hello\""},
        {"root_sequence", "- 1\n- two", 0, 0, "[1,\"two\"]"},
        {"empty_input", "", 0, 0, "null"},
        {"only_comment", "# nothing here\n", 0, 0, "null"},
        {"empty_document", "---\n", 0, 0, "null"},
        {"explicit_document_markers", "---\na: 1\n...\n", 0, 0, "{\"a\":1}"},
        {"empty_mapping_and_sequence", "a: {}\nb: []", 0, 0, "{\"a\":{},\"b\":[]}"},

        /* anchors and aliases */
        {"alias_scalar", "a: &x 1\nb: *x", 0, 0, "{\"a\":1,\"b\":1}"},
        {"alias_mapping", "a: &m {k: v}\nb: *m", 0, 0, "{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"}}"},
        {"alias_redefined_anchor_latest_wins", "a: &x 1\nb: &x 2\nc: *x", 0, 0,
         "{\"a\":1,\"b\":2,\"c\":2}"},
        {"alias_as_key", "a: &k key\n*k : v", 0, 0, "{\"a\":\"key\",\"key\":\"v\"}"},
        {"alias_undefined", "a: 1\nb: *nope", 0, -EBADMSG,
         "yaml: line 2, column 4: unknown anchor 'nope' referenced"},
        {"alias_recursive", "a: &a [1, *a]", 0, -EBADMSG,
         "yaml: line 1, column 11: anchor 'a' value contains itself"},
        {"alias_inf_key_used_as_value", "&i .inf : a\nb: *i", 0, -EBADMSG,
         "yaml: line 2, column 4: `.inf` cannot be represented in JSON"},
        {"alias_collection_as_key", "a: &m [1]\n*m : v", 0, -EBADMSG,
         "a mapping or sequence cannot be a map key"},

        /* merge keys: explicit keys win, then earlier merged maps over later ones */
        {"merge_one", "base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3", 0, 0,
         "{\"base\":{\"a\":1,\"b\":2},\"m\":{\"a\":1,\"b\":3}}"},
        {"merge_list_order", "p: &p {a: 1, b: 2}\nq: &q {b: 3, c: 4}\nm:\n  <<: [*q, *p]\n  c: 5",
         0, 0, "{\"m\":{\"a\":1,\"b\":3,\"c\":5},\"p\":{\"a\":1,\"b\":2},\"q\":{\"b\":3,\"c\":4}}"},
        {"merge_explicit_key_before_merge_wins", "x: &x {a: 1}\nm:\n  a: 9\n  <<: *x", 0, 0,
         "{\"m\":{\"a\":9},\"x\":{\"a\":1}}"},
        {"merge_inline_mapping", "m: {<<: {a: 1}, b: 2}", 0, 0, "{\"m\":{\"a\":1,\"b\":2}}"},
        {"merge_quoted_is_plain_key", "m: {'<<': 1}", 0, 0, "{\"m\":{\"<<\":1}}"},
        {"merge_tagged", "x: &x {a: 1}\nm: {!!merge <<: *x}", 0, 0,
         "{\"m\":{\"a\":1},\"x\":{\"a\":1}}"},
        {"merge_scalar_refused", "m: {<<: 1}", 0, -EBADMSG,
         "yaml: line 1, column 9: map merge requires map or sequence of maps as the value"},
        {"merge_alias_to_sequence_refused", "s: &s [{a: 1}]\nm:\n  <<: *s", 0, -EBADMSG,
         "yaml: line 3, column 7: map merge requires map"},
        {"merge_list_of_scalars_refused", "m: {<<: [1]}", 0, -EBADMSG, "map merge requires map"},
        {"merge_twice_refused", "m: {<<: {a: 1}, <<: {b: 1}}", 0, -EBADMSG,
         "yaml: line 1, column 17: duplicate key \"<<\""},

        /* tags */
        {"tag_str_on_number", "a: !!str 123", 0, 0, "{\"a\":\"123\"}"},
        {"tag_str_on_bool", "a: !!str yes", 0, 0, "{\"a\":\"yes\"}"},
        {"tag_nonspecific_is_string", "a: ! 12", 0, 0, "{\"a\":\"12\"}"},
        {"tag_verbatim_str", "a: !<tag:yaml.org,2002:str> 5", 0, 0, "{\"a\":\"5\"}"},
        {"tag_int_on_quoted_hex", "a: !!int \"0x10\"", 0, 0, "{\"a\":16}"},
        {"tag_bool", "a: !!bool 'off'", 0, 0, "{\"a\":false}"},
        {"tag_null", "a: !!null ~", 0, 0, "{\"a\":null}"},
        {"tag_float_on_int", "a: !!float 2", 0, 0, "{\"a\":2}"},
        {"tag_float", "a: !!float 0.5", 0, 0, "{\"a\":0.5}"},
        {"tag_timestamp_is_text", "a: !!timestamp 2001-12-14", 0, 0, "{\"a\":\"2001-12-14\"}"},
        {"tag_map_and_seq", "a: !!map {b: !!seq [1]}", 0, 0, "{\"a\":{\"b\":[1]}}"},
        {"tag_int_mismatch", "a: !!int abc", 0, -EBADMSG,
         "yaml: line 1, column 4: cannot decode !!str `abc` as a !!int"},
        {"tag_int_on_float", "a: !!int 1.5", 0, -EBADMSG, "cannot decode !!float `1.5` as a !!int"},
        {"tag_null_mismatch", "a: !!null x", 0, -EBADMSG, "cannot decode !!str `x` as a !!null"},
        {"tag_bool_mismatch", "a: !!bool 1", 0, -EBADMSG, "cannot decode !!int `1` as a !!bool"},
        {"tag_unknown_local", "a: !foo b", 0, -EBADMSG,
         "yaml: line 1, column 4: unsupported tag !foo"},
        {"tag_binary_refused", "a: !!binary aGk=", 0, -EBADMSG, "unsupported tag !!binary"},
        {"tag_seq_on_mapping", "a: !!seq {b: 1}", 0, -EBADMSG, "unsupported tag !!seq"},

        /* keys that are not strings take sigs.k8s.io/yaml's string form */
        {"key_int", "1: a", 0, 0, "{\"1\":\"a\"}"},
        {"key_octal_and_hex", "0755: a\n0x10: b", 0, 0, "{\"16\":\"b\",\"493\":\"a\"}"},
        {"key_bool", "yes: a\noff: b", 0, 0, "{\"false\":\"b\",\"true\":\"a\"}"},
        {"key_float", "1.5: a\n0.1: b\n1e6: c\n2.0: d", 0, 0,
         "{\"0.1\":\"b\",\"1.5\":\"a\",\"1e+06\":\"c\",\"2\":\"d\"}"},
        {"key_inf", ".inf: a", 0, 0, "{\".inf\":\"a\"}"},
        {"key_y_is_true", "x: 1\ny: 2", 0, 0, "{\"true\":2,\"x\":1}"},
        {"key_null_refused", "null: a", 0, -EBADMSG,
         "yaml: line 1, column 1: a null map key cannot be converted to JSON"},
        {"key_empty_refused", "? \n: a", 0, -EBADMSG, "a null map key"},
        {"key_uint64_refused", "18446744073709551615: a", 0, -EBADMSG,
         "larger than int64 cannot be converted"},
        {"key_sequence_refused", "? [a]\n: 1", 0, -EBADMSG,
         "yaml: line 1, column 3: a mapping or sequence cannot be a map key"},

        /* duplicates */
        {"duplicate_key", "a: 1\nb: 2\na: 3", 0, -EBADMSG,
         "yaml: line 3, column 1: duplicate key \"a\""},
        {"duplicate_key_flow", "x: {a: 1, a: 2}", 0, -EBADMSG,
         "yaml: line 1, column 11: duplicate key \"a\""},
        {"duplicate_key_after_conversion", "1: a\n\"1\": b", 0, -EBADMSG,
         "yaml: line 2, column 1: duplicate key \"1\""},
        {"duplicate_key_nested", "a:\n  b: 1\n  b: 2", 0, -EBADMSG,
         "yaml: line 3, column 3: duplicate key \"b\""},
        {"same_key_in_two_maps_is_fine", "a: {k: 1}\nb: {k: 2}", 0, 0,
         "{\"a\":{\"k\":1},\"b\":{\"k\":2}}"},

        /* documents */
        {"two_documents", "a: 1\n---\nb: 2", 0, -EBADMSG,
         "yaml: line 2, column 1: more than one YAML document"},
        {"trailing_document_marker", "a: 1\n---\n", 0, -EBADMSG, "more than one YAML document"},

        /* syntax errors: libyaml's problem at its 1-based position */
        {"syntax_mapping_in_scalar", "a: b: c", 0, -EBADMSG,
         "yaml: line 1, column 5: mapping values are not allowed in this context"},
        {"syntax_bad_indent", "a: 1\n b: 2", 0, -EBADMSG,
         "yaml: line 2, column 3: mapping values are not allowed in this context"},
        {"syntax_unclosed_flow", "a:\n  - 1\n  - [2, 3\n", 0, -EBADMSG,
         "yaml: line 4, column 1: did not find expected ',' or ']' (while parsing a flow "
         "sequence at line 3, column 5)"},
        {"syntax_tab_indent", "a:\n\tb: 1", 0, -EBADMSG,
         "yaml: line 2, column 1: found character that cannot start any token"},
        {"syntax_sequence_in_mapping", "a: 1\n- b", 0, -EBADMSG,
         "yaml: line 2, column 1: did not find expected key"},
        {"syntax_unclosed_quote", "a: \"x\nb: 1\n", 0, -EBADMSG, "found unexpected end of stream"},
        {"syntax_nul_byte", "a: b\0c", 6, -EBADMSG,
         "yaml: line 1, column 5: control characters are not allowed"},
        {"syntax_invalid_utf8", "a: \xff", 0, -EBADMSG,
         "yaml: line 1, column 4: invalid leading UTF-8 octet"},
};

START_TEST(test_yaml_table)
{
	const struct doc_case *c = &yaml_cases[_i];
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_json_ json_t *v = NULL;
	int r;

	r = spec_yaml_to_json(c->input, c->len ? c->len : strlen(c->input), &v, &e);
	check_outcome(c, r, v, &e);
}
END_TEST

/* ---- bounds ------------------------------------------------------------------------------ */

static char *nested(const char *open, const char *close, unsigned n)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = calloc(1, n * (lo + lc) + 1), *p = s;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	for (unsigned i = 0; i < n && close[0]; i++, p += lc)
		memcpy(p, close, lc);
	return s;
}

START_TEST(test_yaml_depth_limit_holds)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_free_ char *ok = nested("[", "]", SPEC_YAML_MAX_DEPTH);
	_cleanup_free_ char *deep = nested("[", "]", SPEC_YAML_MAX_DEPTH + 1);
	_cleanup_free_ char *bomb = nested("[", "", 200);
	_cleanup_json_ json_t *v = NULL;

	ck_assert_int_eq(spec_yaml_to_json(ok, strlen(ok), &v, &e), 0);
	ck_assert(json_is_array(v));
	json_decref(TAKE_PTR(v));

	ck_assert_int_eq(spec_yaml_to_json(deep, strlen(deep), &v, &e), -EBADMSG);
	ck_assert_str_eq(e.message,
	                 "yaml: line 1, column 65: document nests deeper than 64 levels");
	ck_assert_ptr_null(v);

	ck_assert_int_eq(spec_yaml_to_json(bomb, strlen(bomb), &v, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.message, "nests deeper than 64 levels"));
}
END_TEST

/* An alias adds its anchor's height where it lands: 40 + 40 levels is too deep. */
START_TEST(test_yaml_depth_through_alias)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_free_ char *inner = nested("[", "]", 40);
	_cleanup_free_ char *outer = nested("[", "", 40);
	_cleanup_free_ char *doc = strdupf("a: &a %s\nb: %s*a", inner, outer);
	_cleanup_json_ json_t *v = NULL;

	ck_assert_int_eq(spec_yaml_to_json(doc, strlen(doc), &v, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.message, "nests deeper than 64 levels"));
}
END_TEST

static long peak_rss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The classic: 9 levels of 10 aliases, 10^9 strings once expanded. */
static char *billion_laughs(void)
{
	char *doc = strdup(
	        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
	        "\"lol\"]\n");

	for (char c = 'b'; c <= 'i'; c++) {
		char *next = strdupf("%s%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", doc,
		                     c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
		                     c - 1, c - 1);
		free(doc);
		doc = next;
		ck_assert_ptr_nonnull(doc);
	}
	return doc;
}

START_TEST(test_yaml_billion_laughs_refused_fast_and_small)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_free_ char *doc = billion_laughs();
	_cleanup_json_ json_t *v = NULL;
	long rss_before = peak_rss_kib();
	double t0 = now_seconds();
	int r;

	r = spec_yaml_to_json(doc, strlen(doc), &v, &e);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(e.message, "document expands to more than 100000 nodes"), "%s",
	              e.message);
	ck_assert_msg(now_seconds() - t0 < 1.0, "took %f s", now_seconds() - t0);
	ck_assert_msg(peak_rss_kib() - rss_before < 20 * 1024, "peak RSS grew %ld KiB",
	              peak_rss_kib() - rss_before);

	/* Through the document reader too. */
	ck_assert_int_eq(spec_document_decode(doc, strlen(doc), SPEC_FORMAT_SNIFF, &v, &e),
	                 -EBADMSG);
}
END_TEST

/* Ten levels of anchors, each aliasing the one before twice: 2^10 leaves, well within bounds,
 * and the aliases share their value instead of copying it. */
START_TEST(test_yaml_anchor_chain_within_bounds)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_free_ char *doc = strdup("l0: &l0 [leaf]\n");
	_cleanup_json_ json_t *v = NULL;
	json_t *l10;

	for (int i = 1; i <= 10; i++) {
		char *next = strdupf("%sl%d: &l%d [*l%d, *l%d]\n", doc, i, i, i - 1, i - 1);
		free(doc);
		doc = next;
		ck_assert_ptr_nonnull(doc);
	}
	ck_assert_int_eq(spec_yaml_to_json(doc, strlen(doc), &v, &e), 0);
	l10 = json_object_get(v, "l10");
	ck_assert(json_is_array(l10));
	ck_assert_int_eq(json_array_size(l10), 2);
	ck_assert_ptr_eq(json_array_get(l10, 0), json_array_get(l10, 1));
	ck_assert_ptr_eq(json_array_get(l10, 0), json_object_get(v, "l9"));
	for (json_t *p = l10; json_is_array(p); p = json_array_get(p, 0))
		if (json_is_string(json_array_get(p, 0)))
			ck_assert_str_eq(json_string_value(json_array_get(p, 0)), "leaf");
}
END_TEST

START_TEST(test_yaml_alias_count_limit)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	size_t n = SPEC_YAML_MAX_ALIASES + 1;
	_cleanup_free_ char *doc = malloc(32 + n * 4);
	_cleanup_json_ json_t *v = NULL;
	char *p;

	ck_assert_ptr_nonnull(doc);
	p = stpcpy(doc, "a: &a x\nb: [");
	for (size_t i = 0; i < n; i++)
		p = stpcpy(p, i ? ",*a" : "*a");
	strcpy(p, "]\n");
	ck_assert_int_eq(spec_yaml_to_json(doc, strlen(doc), &v, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.message, "more than 10000 aliases"));

	/* Exactly the limit is fine. */
	strcpy(doc + strlen("a: &a x\nb: [") + 2 + (n - 2) * 3, "]\n");
	nano_err_clear(&e);
	ck_assert_int_eq(spec_yaml_to_json(doc, strlen(doc), &v, &e), 0);
	ck_assert_int_eq(json_array_size(json_object_get(v, "b")), SPEC_YAML_MAX_ALIASES);
}
END_TEST

/* ---- documents: JSON and sniffing -------------------------------------------------------- */

struct decode_case {
	struct doc_case c;
	enum spec_format format;
};

static const struct decode_case decode_cases[] = {
        {{"sniff_json_object", "{\"a\": 1}", 0, 0, "{\"a\":1}"}, SPEC_FORMAT_SNIFF},
        {{"sniff_json_after_blanks", " \r\n\t[1, true]", 0, 0, "[1,true]"}, SPEC_FORMAT_SNIFF},
        {{"sniff_yaml", "a: yes", 0, 0, "{\"a\":true}"}, SPEC_FORMAT_SNIFF},
        {{"sniff_yaml_document_marker", "---\n{a: 1}", 0, 0, "{\"a\":1}"}, SPEC_FORMAT_SNIFF},
        {{"sniff_bom_goes_to_yaml", "\xef\xbb\xbf{\"a\": 1}", 0, 0, "{\"a\":1}"},
         SPEC_FORMAT_SNIFF},
        {{"sniff_empty_is_yaml_null", "", 0, 0, "null"}, SPEC_FORMAT_SNIFF},
        {{"sniff_broken_json_reports_json", "{a: 1}", 0, -EBADMSG,
          "json: line 1, column 2: string or '}' expected near 'a'"},
         SPEC_FORMAT_SNIFF},
        {{"yaml_format_reads_flow_mapping", "{a: 1}", 0, 0, "{\"a\":1}"}, SPEC_FORMAT_YAML},
        {{"json_format_refuses_yaml", "a: 1", 0, -EBADMSG, "json: line 1, column 1:"},
         SPEC_FORMAT_JSON},
        {{"json_top_level_scalar_is_a_document", "123", 0, 0, "123"}, SPEC_FORMAT_JSON},
        {{"json_numbers_stay_json", "{\"a\": 1.5, \"b\": 1e3}", 0, 0, "{\"a\":1.5,\"b\":1000.0}"},
         SPEC_FORMAT_JSON},
        {{"json_duplicate_key", "{\"a\": 1,\n \"a\": 2}", 0, -EBADMSG,
          "json: line 2, column 4: duplicate object key near '\"a\"'"},
         SPEC_FORMAT_SNIFF},
        {{"json_duplicate_key_nested", "{\"x\": {\"a\": 1, \"a\": 2}}", 0, -EBADMSG,
          "duplicate object key"},
         SPEC_FORMAT_JSON},
        {{"json_syntax_unclosed", "[1,2", 0, -EBADMSG,
          "json: line 1, column 4: ']' expected near end of file"},
         SPEC_FORMAT_SNIFF},
        {{"json_syntax_second_line", "{\"a\": 1,\n \"b\": x}", 0, -EBADMSG,
          "json: line 2, column 7: invalid token near 'x'"},
         SPEC_FORMAT_SNIFF},
        {{"json_trailing_garbage", "{} {}", 0, -EBADMSG, "end of file expected"},
         SPEC_FORMAT_SNIFF},
        {{"json_nul_byte", "{\"a\":\n 1\0}", 10, -EBADMSG,
          "json: line 2, column 3: NUL byte in document"},
         SPEC_FORMAT_SNIFF},
        {{"json_nul_escape", "{\"a\": \"x\\u0000\"}", 0, -EBADMSG, "\\u0000 is not allowed"},
         SPEC_FORMAT_SNIFF},
        {{"json_nul_byte_in_string", "{\"a\": \"x\0\"}", 11, -EBADMSG, "NUL byte in document"},
         SPEC_FORMAT_JSON},
        {{"yaml_nul_byte", "a: x\0", 5, -EBADMSG, "control characters are not allowed"},
         SPEC_FORMAT_SNIFF},
        {{"json_brackets_in_strings_do_not_nest", "{\"a\": \"[[[[[[[[[[\\\"{{{{{{\"}", 0, 0,
          "{\"a\":\"[[[[[[[[[[\\\"{{{{{{\"}"},
         SPEC_FORMAT_JSON},
};

START_TEST(test_decode_table)
{
	const struct decode_case *d = &decode_cases[_i];
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_json_ json_t *v = NULL;
	int r;

	r = spec_document_decode(d->c.input, d->c.len ? d->c.len : strlen(d->c.input), d->format,
	                         &v, &e);
	check_outcome(&d->c, r, v, &e);
}
END_TEST

START_TEST(test_json_depth_limit)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	_cleanup_free_ char *ok = nested("[", "]", SPEC_YAML_MAX_DEPTH);
	_cleanup_free_ char *deep = nested("{\"a\":", "}", SPEC_YAML_MAX_DEPTH + 1);
	_cleanup_free_ char *bomb = nested("[", "", 3000);
	_cleanup_json_ json_t *v = NULL;

	ck_assert_int_eq(spec_document_decode(ok, strlen(ok), SPEC_FORMAT_JSON, &v, &e), 0);
	json_decref(TAKE_PTR(v));
	ck_assert_int_eq(spec_document_decode(deep, strlen(deep), SPEC_FORMAT_SNIFF, &v, &e),
	                 -EBADMSG);
	ck_assert_str_eq(e.message,
	                 "json: line 1, column 321: document nests deeper than 64 levels");
	ck_assert_int_eq(spec_document_decode(bomb, strlen(bomb), SPEC_FORMAT_SNIFF, &v, &e),
	                 -EBADMSG);
	ck_assert_str_eq(e.message,
	                 "json: line 1, column 65: document nests deeper than 64 levels");
}
END_TEST

/* ---- Content-Type ------------------------------------------------------------------------ */

static const struct {
	const char *content_type;
	int rc;
	enum spec_format format;
	const char *message;
} content_types[] = {
        {"application/json", 0, SPEC_FORMAT_JSON, NULL},
        {"application/json; charset=utf-8", 0, SPEC_FORMAT_JSON, NULL},
        {"application/yaml; charset=utf-8", 0, SPEC_FORMAT_YAML, NULL},
        {"APPLICATION/X-YAML", 0, SPEC_FORMAT_YAML, NULL},
        {"text/yaml", 0, SPEC_FORMAT_YAML, NULL},
        {"  Text/YAML ;charset=UTF-8", 0, SPEC_FORMAT_YAML, NULL},
        {NULL, 0, SPEC_FORMAT_SNIFF, NULL},
        {"", 0, SPEC_FORMAT_SNIFF, NULL},
        {"   ", 0, SPEC_FORMAT_SNIFF, NULL},
        {"application/x-www-form-urlencoded", 0, SPEC_FORMAT_SNIFF, NULL},
        {"text/plain", -EMEDIUMTYPE, 0, "unsupported media type \"text/plain\""},
        {"text/plain; charset=utf-8", -EMEDIUMTYPE, 0, "unsupported media type \"text/plain\""},
        {"application/vnd.kubernetes.protobuf", -EMEDIUMTYPE, 0,
         "unsupported media type \"application/vnd.kubernetes.protobuf\""},
        {"application/jsonx", -EMEDIUMTYPE, 0, "unsupported media type \"application/jsonx\""},
        {"text/\x01yaml", -EMEDIUMTYPE, 0, "unsupported media type \"text/?yaml\""},
};

START_TEST(test_content_type_table)
{
	_cleanup_(err_clearp) struct nano_err e = {0};
	enum spec_format f = (enum spec_format) - 1;
	int r;

	r = spec_format_from_content_type(content_types[_i].content_type, &f, &e);
	ck_assert_msg(r == content_types[_i].rc, "%s: rc %d", content_types[_i].content_type, r);
	if (r == 0) {
		ck_assert_msg(f == content_types[_i].format, "%s: format %d",
		              content_types[_i].content_type, f);
		ck_assert_ptr_null(e.message);
	} else {
		ck_assert_int_eq(e.errnum, EMEDIUMTYPE);
		ck_assert_str_eq(e.message, content_types[_i].message);
	}
}
END_TEST

static Suite *yaml_suite(void)
{
	Suite *s = suite_create("spec documents");
	TCase *tc = tcase_create("yaml");

	tcase_add_loop_test(tc, test_yaml_table, 0, ELEMENTSOF(yaml_cases));
	tcase_add_test(tc, test_yaml_depth_limit_holds);
	tcase_add_test(tc, test_yaml_depth_through_alias);
	tcase_add_test(tc, test_yaml_billion_laughs_refused_fast_and_small);
	tcase_add_test(tc, test_yaml_anchor_chain_within_bounds);
	tcase_add_test(tc, test_yaml_alias_count_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("document");
	tcase_add_loop_test(tc, test_decode_table, 0, ELEMENTSOF(decode_cases));
	tcase_add_test(tc, test_json_depth_limit);
	tcase_add_loop_test(tc, test_content_type_table, 0, ELEMENTSOF(content_types));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(yaml_suite());
}
