/* tests/unit/test_quantity.c: spec_quantity_parse against Kubernetes' resource.Quantity rules.
 *
 * One table, one row per behaviour: the string, the multiplier (1 = bytes, 1000 = millicores),
 * and the return code and value we expect. Values are what Kubernetes' Value()/MilliValue() give
 * for positive quantities (ceil), except that nanolet refuses what does not fit in an int64
 * instead of capping or wrapping. This file must not test validation (negative values are
 * refused there, not here).
 */
#include "check_main.h"
#include <inttypes.h>
#include <string.h>

#include "spec/spec.h"

#define BYTES 1
#define MILLI 1000

struct quantity_case {
	const char *name;
	const char *input;
	int64_t multiplier;
	int rc;
	int64_t value; /* only when rc == 0 */
};

static const struct quantity_case cases[] = {
        /* Kubernetes' documented examples */
        {"millicores", "100m", MILLI, 0, 100},
        {"half a core", "0.5", MILLI, 0, 500},
        {"mebibytes", "128Mi", BYTES, 0, 134217728},
        {"gigabytes", "1G", BYTES, 0, 1000000000},
        {"exponent", "1e3", BYTES, 0, 1000},
        {"kibibytes", "123Ki", BYTES, 0, 125952},
        {"kilo is lower case", "1k", BYTES, 0, 1000},
        {"negative parses", "-1", BYTES, 0, -1},
        {"explicit plus", "+1", BYTES, 0, 1},
        {"zero", "0", BYTES, 0, 0},
        {"negative zero", "-0", BYTES, 0, 0},
        {"zero with suffix", "0Mi", BYTES, 0, 0},
        {"zero fraction", "0.000", MILLI, 0, 0},

        /* every suffix */
        {"nano", "5n", 1000000000, 0, 5},
        {"micro", "4u", 1000000, 0, 4},
        {"milli", "3m", MILLI, 0, 3},
        {"kilo", "8k", BYTES, 0, 8000},
        {"mega", "7M", BYTES, 0, 7000000},
        {"giga", "6G", BYTES, 0, 6000000000},
        {"tera", "5T", BYTES, 0, 5000000000000},
        {"peta", "2P", BYTES, 0, 2000000000000000},
        {"exa", "1E", BYTES, 0, 1000000000000000000},
        {"kibi", "8Ki", BYTES, 0, 8192},
        {"mebi", "7Mi", BYTES, 0, 7340032},
        {"gibi", "6Gi", BYTES, 0, 6442450944},
        {"tebi", "5Ti", BYTES, 0, 5497558138880},
        {"pebi", "4Pi", BYTES, 0, 4503599627370496},
        {"exbi", "3Ei", BYTES, 0, 3458764513820540928},
        {"upper case exponent", "1E6", BYTES, 0, 1000000},
        {"negative exponent", "1E-3", MILLI, 0, 1},
        {"plus exponent", "1.3E+6", BYTES, 0, 1300000},
        {"fraction and exponent", "1.2e3", BYTES, 0, 1200},
        {"zero exponent", "0.5e0", MILLI, 0, 500},
        {"fractional decimal suffix", "100.035k", BYTES, 0, 100035},
        {"fractional mega", "7.123456M", BYTES, 0, 7123456},

        /* the shapes of <number> */
        {"leading dot", ".5", MILLI, 0, 500},
        {"trailing dot", "5.", BYTES, 0, 5},
        {"trailing dot and suffix", "1.G", BYTES, 0, 1000000000},
        {"leading dot and suffix", ".001Ki", MILLI, 0, 1024},
        {"negative leading dot", "-.5", MILLI, 0, -500},
        {"many leading zeros", "0000000000000000000001", BYTES, 0, 1},
        {"many trailing zeros", "1.000000000000000000000000000000", BYTES, 0, 1},
        {"leading zeros beyond int64", "000000000000000000000000000000000000000042k", BYTES, 0,
         42000},

        /* rounding up, as Kubernetes does for memory and cpu */
        {"half a byte", "0.5", BYTES, 0, 1},
        {"fractional kibibytes", "1.5Ki", BYTES, 0, 1536},
        {"fractional kibibytes round up", "1.0001Ki", BYTES, 0, 1025},
        {"millibytes", "100m", BYTES, 0, 1},
        {"a thousand millibytes", "1000m", BYTES, 0, 1},
        {"a thousand and one millibytes", "1001m", BYTES, 0, 2},
        {"tenth of a millicore", "0.1m", MILLI, 0, 1},
        {"microcore", "1u", MILLI, 0, 1},
        {"nanocore", "1n", MILLI, 0, 1},
        {"exact millicores", "2.5", MILLI, 0, 2500},
        {"fraction of a millicore", "2.5001", MILLI, 0, 2501},
        {"tiny", "1e-100", BYTES, 0, 1},
        {"tiny millicores", "1e-100", MILLI, 0, 1},
        {"tiny binary", "0.000000000001Ki", BYTES, 0, 1},
        {"far digit still rounds", "1.0000000000000000000000000000001", BYTES, 0, 2},
        {"far digit of exbibytes", "0.000000000000000000000000000001Ei", MILLI, 0, 1},
        {"negative rounds toward +inf", "-1.5", BYTES, 0, -1},
        {"negative tiny is zero", "-1e-100", BYTES, 0, 0},
        {"negative millibytes", "-100m", BYTES, 0, 0},
        {"exponent cancels fraction", "0.25e2", BYTES, 0, 25},
        {"huge negative exponent of zero", "0e-99999999999999999999999", BYTES, 0, 0},

        /* the edges of int64 */
        {"largest int64", "9223372036854775807", BYTES, 0, INT64_MAX},
        {"one past int64", "9223372036854775808", BYTES, -ERANGE, 0},
        {"smallest int64", "-9223372036854775808", BYTES, 0, INT64_MIN},
        {"one below int64", "-9223372036854775809", BYTES, -ERANGE, 0},
        {"largest int64 plus a fraction", "9223372036854775806.5", BYTES, 0, INT64_MAX},
        {"rounds past int64", "9223372036854775807.1", BYTES, -ERANGE, 0},
        {"seven exbibytes fit", "7Ei", BYTES, 0, 8070450532247928832},
        {"eight exbibytes overflow", "8Ei", BYTES, -ERANGE, 0},
        {"minus eight exbibytes fit", "-8Ei", BYTES, 0, INT64_MIN},
        {"nine exbibytes", "9Ei", BYTES, -ERANGE, 0},
        {"exbibytes in millis", "9Ei", MILLI, -ERANGE, 0},
        {"max kibibytes", "9223372036854775807Ki", BYTES, -ERANGE, 0},
        {"exa in millis", "9.2233720368547758E", MILLI, -ERANGE, 0},
        {"largest millicores", "9223372036854775.807", MILLI, 0, INT64_MAX},
        {"exponent 18", "9e18", BYTES, 0, 9000000000000000000},
        {"exponent 19", "1e19", BYTES, -ERANGE, 0},
        {"huge exponent", "1e100", BYTES, -ERANGE, 0},
        {"huge negative", "-1e100", BYTES, -ERANGE, 0},
        {"exponent beyond int64", "1e99999999999999999999999", BYTES, -ERANGE, 0},
        {"fraction cancels huge exponent", "0.00000000000000000000001e41", BYTES, 0,
         1000000000000000000},
        {"long digit string", "123456789012345678901234567890", BYTES, -ERANGE, 0},
        {"twelve exa", "12E", BYTES, -ERANGE, 0},

        /* not quantities */
        {"empty", "", BYTES, -EINVAL, 0},
        {"capital K", "1K", BYTES, -EINVAL, 0},
        {"megabits", "12Mb", BYTES, -EINVAL, 0},
        {"leading space", " 1", BYTES, -EINVAL, 0},
        {"trailing space", "1 ", BYTES, -EINVAL, 0},
        {"two dots", "1.2.3", BYTES, -EINVAL, 0},
        {"exponent without number", "e3", BYTES, -EINVAL, 0},
        {"exponent without digits", "1e", BYTES, -EINVAL, 0},
        {"exponent sign without digits", "-3.01e-", BYTES, -EINVAL, 0},
        {"exponent with fraction", "1e1.5", BYTES, -EINVAL, 0},
        {"suffix without number", "Mi", BYTES, -EINVAL, 0},
        {"sign alone", "+", BYTES, -EINVAL, 0},
        {"minus alone", "-", BYTES, -EINVAL, 0},
        {"dot alone", ".", BYTES, -EINVAL, 0},
        {"signed dot", "-.", BYTES, -EINVAL, 0},
        {"two signs", "+-1", BYTES, -EINVAL, 0},
        {"digits after suffix", "1Mi1", BYTES, -EINVAL, 0},
        {"two suffixes", "1kMi", BYTES, -EINVAL, 0},
        {"lower case binary", "1mi", BYTES, -EINVAL, 0},
        {"binary milli", "0.1mi", BYTES, -EINVAL, 0},
        {"bare i", "1i", BYTES, -EINVAL, 0},
        {"unknown prefix", "0.1am", BYTES, -EINVAL, 0},
        {"word", "aoeu", BYTES, -EINVAL, 0},
        {"sign inside", "1+1.0M", BYTES, -EINVAL, 0},
        {"byte unit", "1B", BYTES, -EINVAL, 0},
        {"hex", "0x10", BYTES, -EINVAL, 0},
        {"comma", "1,5", BYTES, -EINVAL, 0},
        {"tab", "1\t", BYTES, -EINVAL, 0},
        {"exponent then suffix", "1e3Mi", BYTES, -EINVAL, 0},
        {"non-ascii", "1\xc2\xb5", BYTES, -EINVAL, 0},

        /* the multiplier */
        {"zero multiplier", "1", 0, -EINVAL, 0},
        {"negative multiplier", "1", -1000, -EINVAL, 0},
        {"largest multiplier", "1", INT64_MAX, 0, INT64_MAX},
        {"largest multiplier, tiny value", "1e-30", INT64_MAX, 0, 1},
        {"largest multiplier, overflow", "1.0000000001", INT64_MAX, -ERANGE, 0},
        {"largest multiplier, small value", "1e-10", INT64_MAX, 0, 922337204},
        /* 10^-37 * 2^60 * (2^63 - 1) is just above 1: the smallest value we still compute */
        {"largest multiplier, smallest exbibytes", "0.0000000000000000000000000000000000001Ei",
         INT64_MAX, 0, 2},
};

START_TEST(test_quantity_table)
{
	const struct quantity_case *c = &cases[_i];
	int64_t value = 12345;
	int rc;

	rc = spec_quantity_parse(c->input, c->multiplier, &value);
	ck_assert_msg(rc == c->rc, "%s: \"%s\" x %" PRId64 ": rc %d, expected %d", c->name,
	              c->input, c->multiplier, rc, c->rc);
	if (c->rc == 0)
		ck_assert_msg(value == c->value,
		              "%s: \"%s\" x %" PRId64 ": value %" PRId64 ", expected %" PRId64,
		              c->name, c->input, c->multiplier, value, c->value);
	else
		ck_assert_msg(value == 12345, "%s: value written on failure", c->name);
}
END_TEST

/* Inputs far longer than any int64: the parser must neither overflow nor crawl. */
START_TEST(test_quantity_long_inputs)
{
	static const struct {
		const char *name;
		const char *prefix;
		char fill;
		const char *suffix;
		int rc;
		int64_t value;
	} rows[] = {
	        {"a million leading zeros", "", '0', "1", 0, 1},
	        {"a million digits", "1", '1', "", -ERANGE, 0},
	        {"a million fraction zeros", "1.", '0', "1", 0, 2},
	        {"a million zeros then Ki", "0.", '0', "1Ki", 0, 1},
	        {"a million exponent digits", "1e", '9', "", -ERANGE, 0},
	        {"a million negative exponent digits", "1e-", '9', "", 0, 1},
	        {"a million zeros cancelled by the exponent", "0.", '0', "1e1000001", 0, 1},
	        {"a million zeros then a space", "", '0', " ", -EINVAL, 0},
	};
	const size_t n = 1000000;

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		size_t lp = strlen(rows[i].prefix), ls = strlen(rows[i].suffix);
		_cleanup_free_ char *s = malloc(lp + n + ls + 1);
		int64_t value = 0;
		int rc;

		ck_assert_ptr_nonnull(s);
		memcpy(s, rows[i].prefix, lp);
		memset(s + lp, rows[i].fill, n);
		memcpy(s + lp + n, rows[i].suffix, ls + 1);
		rc = spec_quantity_parse(s, BYTES, &value);
		ck_assert_msg(rc == rows[i].rc, "%s: rc %d, expected %d", rows[i].name, rc,
		              rows[i].rc);
		if (rc == 0)
			ck_assert_msg(value == rows[i].value, "%s: value %" PRId64, rows[i].name,
			              value);
	}
}
END_TEST

START_TEST(test_quantity_null)
{
	int64_t value;

	ck_assert_int_eq(spec_quantity_parse(NULL, 1, &value), -EINVAL);
	ck_assert_int_eq(spec_quantity_parse("1", 1, NULL), -EINVAL);
}
END_TEST

static Suite *quantity_suite(void)
{
	Suite *s = suite_create("quantity");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_quantity_table, 0, (int)ELEMENTSOF(cases));
	tcase_add_test(tc, test_quantity_long_inputs);
	tcase_add_test(tc, test_quantity_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(quantity_suite());
}
