/* tests/unit/test_http_check.c: the checks of a request's target and header before routing, and
 * the bounded Warning headers (daemon/http_check.c).
 *
 * Tables: targets (as sent -> 0, 400 or 414), headers (count, bytes -> 0 or 431), warnings (the
 * list, the budget -> the values sent and how many were left out). */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "http_check.h"
#include "util/util.h"

struct target_case {
	const char *name;
	const char *target;
	size_t max;
	unsigned code;
	const char *message_has; /* NULL: no message */
};

static const struct target_case target_cases[] = {
        {"a plain path", "/api/v1/namespaces/default/pods/web", 8192, 0, NULL},
        {"a query", "/api/v1/pods/web/log?follow=true&tailLines=10", 8192, 0, NULL},
        {"escapes that are fine", "/api/v1/namespaces/default/pods/a%2Db?x=%20y", 8192, 0, NULL},
        {"NUL in a path segment (once answered for the part before it)",
         "/api/v1/namespaces/default/pods/a%00x", 8192, 400, "%00"},
        {"NUL in the query", "/api/v1/pods?fieldSelector=a%00b", 8192, 400, "%00"},
        {"lowercase hex NUL", "/x%00", 8192, 400, "%00"},
        {"an escaped control byte in the path", "/api/v1/namespaces/default/pods/a%0Ab", 8192, 400,
         "%0A"},
        {"DEL in the path", "/pods/a%7f", 8192, 400, "%7F"},
        {"an escaped control byte in the query is the value's business", "/x?a=%0A", 8192, 0, NULL},
        {"a raw control byte",
         "/pods/a\x01"
         "b",
         8192, 400, "0x01"},
        {"a raw DEL", "/pods/a\x7f", 8192, 400, "0x7f"},
        {"a raw space", "/pods/a b", 8192, 400, "0x20"},
        {"a percent at the end", "/pods/a%", 8192, 0, NULL},
        {"a percent and one digit at the end", "/pods/a%0", 8192, 0, NULL},
        {"a percent without hex", "/pods/a%zz", 8192, 0, NULL},
        {"exactly the limit", "/aaaaaaa", 8, 0, NULL},
        {"one past the limit", "/aaaaaaaa", 8, 414, "max_url_bytes"},
        {"empty", "", 8192, 0, NULL},
};

START_TEST(test_target)
{
	const struct target_case *c = &target_cases[_i];
	_cleanup_free_ char *message = NULL;
	unsigned code = http_check_target(c->target, c->max, &message);

	ck_assert_msg(code == c->code, "%s: %u, want %u (%s)", c->name, code, c->code,
	              message ? message : "");
	if (c->message_has) {
		ck_assert_ptr_nonnull(message);
		ck_assert_msg(strstr(message, c->message_has), "%s: %s", c->name, message);
	} else {
		ck_assert_ptr_null(message);
	}
}
END_TEST

struct header_case {
	const char *name;
	size_t count, bytes, max_count, max_bytes;
	unsigned code;
	const char *message_has;
};

static const struct header_case header_cases[] = {
        {"a curl request", 3, 80, 100, 32768, 0, NULL},
        {"at both limits", 100, 32768, 100, 32768, 0, NULL},
        {"one field too many", 101, 2000, 100, 32768, 431, "max_header_count"},
        {"one byte too many (a 60 KB header once hung)", 2, 32769, 100, 32768, 431,
         "max_header_bytes"},
};

START_TEST(test_header)
{
	const struct header_case *c = &header_cases[_i];
	_cleanup_free_ char *message = NULL;
	unsigned code = http_check_header(c->count, c->bytes, c->max_count, c->max_bytes, &message);

	ck_assert_msg(code == c->code, "%s: %u", c->name, code);
	if (c->message_has)
		ck_assert_msg(message && strstr(message, c->message_has), "%s", c->name);
	else
		ck_assert_ptr_null(message);
}
END_TEST

static size_t header_bytes(char **values)
{
	size_t n = 0;

	for (char **v = values; v && *v; v++)
		n += strlen(*v) + strlen("Warning: \r\n");
	return n;
}

struct warning_case {
	const char *name;
	size_t n;        /* warnings "unknown field \"spec.uN\"" N = 0..n-1 */
	size_t budget;   /* max_warning_bytes */
	size_t sent;     /* values sent, the summary included */
	size_t left_out; /* the count the summary gives */
};

static const struct warning_case warning_cases[] = {
        {"none", 0, 4096, 0, 0},
        {"a few go out whole", 3, 4096, 3, 0},
        {"60 fit whole", 60, 4096, 60, 0},
        {"93 do not: 88 and one saying how many", 93, 4096, 89, 5},
        /* 550 unknown fields once made 550 headers, more than MHD could send: no answer */
        {"550", 550, 4096, 89, 462},
        {"a body's worth", 95000, 4096, 89, 94912},
        {"a small budget still says how many", 50, 512, 9, 42},
};

START_TEST(test_warnings)
{
	const struct warning_case *c = &warning_cases[_i];
	_cleanup_strv_ char **warnings = NULL, **values = NULL;
	size_t n = 0, left_out = 99;

	for (size_t i = 0; i < c->n; i++)
		ck_assert_int_eq(
		        strv_append(&warnings, &n, strdupf("unknown field \"spec.u%zu\"", i)), 0);
	values = http_warning_values(warnings, c->budget, &left_out);
	ck_assert_ptr_nonnull(values);
	ck_assert_msg(strv_len(values) == c->sent, "%s: %zu sent", c->name, strv_len(values));
	ck_assert_msg(left_out == c->left_out, "%s: %zu left out", c->name, left_out);
	ck_assert_msg(header_bytes(values) <= c->budget, "%s: %zu bytes", c->name,
	              header_bytes(values));
	if (c->left_out) {
		_cleanup_free_ char *want =
		        strdupf("299 - \"%zu more warnings were left out", left_out);

		ck_assert_msg(strncmp(values[c->sent - 1], want, strlen(want)) == 0, "%s: %s",
		              c->name, values[c->sent - 1]);
		ck_assert_str_eq(values[0], "299 - \"unknown field \\\"spec.u0\\\"\"");
	}
}
END_TEST

START_TEST(test_warnings_deduplicated_and_cut)
{
	char long_text[1000];
	char *warnings[] = {"a", "b", "a", long_text, "b", NULL};
	_cleanup_strv_ char **whole = NULL, **cut = NULL;
	size_t left_out;

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	whole = http_warning_values(warnings, 4096, &left_out);
	ck_assert_uint_eq(strv_len(whole), 3);
	ck_assert_str_eq(whole[0], "299 - \"a\"");
	ck_assert_str_eq(whole[1], "299 - \"b\"");
	ck_assert_uint_eq(strlen(whole[2]), 999 + strlen("299 - \"\""));
	/* past the budget every text is cut to 256 bytes, as the API server cuts them */
	cut = http_warning_values(warnings, 512, &left_out);
	ck_assert_uint_eq(left_out, 0);
	ck_assert_uint_eq(strv_len(cut), 3);
	ck_assert_uint_eq(strlen(cut[2]), HTTP_WARNING_ITEM_BYTES + strlen("299 - \"\""));
}
END_TEST

struct value_case {
	const char *text;
	size_t max;
	const char *want;
};

static const struct value_case value_cases[] = {
        {"plain", SIZE_MAX, "299 - \"plain\""},
        {"say \"hi\" \\o/", SIZE_MAX, "299 - \"say \\\"hi\\\" \\\\o/\""},
        {"two\r\nlines\tand\x01", SIZE_MAX, "299 - \"two  lines and \""},
        {"abc", 2, "299 - \"ab\""},
        /* é is two bytes: a cut inside it backs off to before it */
        {"a\xc3\xa9", 2, "299 - \"a\""},
        {"a\xc3\xa9", 3, "299 - \"a\xc3\xa9\""},
};

START_TEST(test_warning_value)
{
	_cleanup_free_ char *v = http_warning_value(value_cases[_i].text, value_cases[_i].max);

	ck_assert_str_eq(v, value_cases[_i].want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_check");
	TCase *tc = tcase_create("checks");

	tcase_add_loop_test(tc, test_target, 0, (int)ELEMENTSOF(target_cases));
	tcase_add_loop_test(tc, test_header, 0, (int)ELEMENTSOF(header_cases));
	tcase_add_loop_test(tc, test_warnings, 0, (int)ELEMENTSOF(warning_cases));
	tcase_add_test(tc, test_warnings_deduplicated_and_cut);
	tcase_add_loop_test(tc, test_warning_value, 0, (int)ELEMENTSOF(value_cases));
	suite_add_tcase(s, tc);
	return check_run(s);
}
