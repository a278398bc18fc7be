/* pkg/spec/quantity.c: Kubernetes resource.Quantity strings ("100m", "1.5Gi", "1e3") to
 * integers, ceil(quantity * multiplier), exactly.
 *
 * The grammar is the one documented on k8s.io/apimachinery/pkg/api/resource.Quantity:
 *   <quantity>        ::= <signedNumber><suffix>
 *   <signedNumber>    ::= <number> | <sign><number>      (sign: + or -)
 *   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 *   <decimalExponent> ::= e <signedInteger> | E <signedInteger>
 * No whitespace anywhere. The value is digits * 10^e * 1024^b, a rational number that we never
 * round before the very end: the digits go into a small base-10^9 big integer, get multiplied by
 * the multiplier and the suffix, and are divided by the power of ten the fraction needs, keeping
 * a sticky bit for the remainder. So "0.1m" is 1 millicore and "1.0000000000000000000001" is 2
 * bytes, with no floating point and no limit on the number of digits.
 *
 * This file must not do I/O, keep state, or know what a quantity is used for: validation
 * (negative values, which fields take which units) lives in validate.c.
 */
#include "spec.h"

#include <string.h>

#define LIMB_BASE   1000000000u /* base 10^9: a limb product fits in a uint64_t */
#define LIMB_DIGITS 9

/* Exponents beyond this are saturated while parsing: they only ever decide "overflow" or
 * "smaller than one", and saturating keeps every later sum inside an int64. */
#define EXPONENT_SATURATE (INT64_MAX / 4)

struct quantity_syntax {
	bool negative;
	const char *int_digits; /* digits before the '.', int_len of them */
	size_t int_len;
	const char *frac_digits; /* digits after the '.', frac_len of them */
	size_t frac_len;
	int64_t exponent10;    /* from a decimalSI suffix or an e/E exponent, saturated */
	unsigned binary_shift; /* 10 * n for the n-th binarySI suffix */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int64_t saturating_add(int64_t a, int64_t b)
{
	int64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return sum;
}

static int64_t saturating_from_size(size_t n)
{
	return n > (size_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

/* <suffix>: one of the fixed ones, or an exponent. Everything else is not a quantity: "K"
 * (Kubernetes' kilo is "k"), "Mb", "e" with no digits, a suffix followed by anything. */
static int parse_suffix(const char *p, struct quantity_syntax *q)
{
	static const struct {
		const char *name;
		int64_t exponent10;
		unsigned binary_shift;
	} suffixes[] = {
	        {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},
	        {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
	        {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
	        {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
	};
	bool negative = false;
	int64_t e = 0;

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
		if (strcmp(p, suffixes[i].name) == 0) {
			q->exponent10 = suffixes[i].exponent10;
			q->binary_shift = suffixes[i].binary_shift;
			return 0;
		}

	/* "E" alone is exa (matched above); "E3", "e-3", "E+6" are exponents. */
	if (*p != 'e' && *p != 'E')
		return -EINVAL;
	p++;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	if (!is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++)
		e = e > (EXPONENT_SATURATE - 9) / 10 ? EXPONENT_SATURATE : e * 10 + (*p - '0');
	if (*p != '\0')
		return -EINVAL;
	q->exponent10 = negative ? -e : e;
	q->binary_shift = 0;
	return 0;
}

static int parse_syntax(const char *s, struct quantity_syntax *q)
{
	const char *p = s;

	*q = (struct quantity_syntax){0};
	if (*p == '+' || *p == '-')
		q->negative = *p++ == '-';

	q->int_digits = p;
	while (is_digit(*p))
		p++;
	q->int_len = (size_t)(p - q->int_digits);

	q->frac_digits = p;
	if (*p == '.') {
		q->frac_digits = ++p;
		while (is_digit(*p))
			p++;
		q->frac_len = (size_t)(p - q->frac_digits);
	}

	/* At least one digit on either side of the '.': "+", ".", "Mi", "e3" are not numbers. */
	if (q->int_len == 0 && q->frac_len == 0)
		return -EINVAL;

	return parse_suffix(p, q);
}

/* The mantissa's digits, integer part then fraction, as one sequence. */
static char mantissa_digit(const struct quantity_syntax *q, size_t i)
{
	return i < q->int_len ? q->int_digits[i] : q->frac_digits[i - q->int_len];
}

/* A non-negative big integer in base 10^9, least significant limb first. */
struct big {
	uint32_t *limb;
	size_t n;
};

/* out = a * factor, factor < 10^27 given as up to three limbs. out has room for a.n + 3. */
static void big_mul(const struct big *a, const uint32_t *factor, size_t factor_n, struct big *out)
{
	memset(out->limb, 0, (a->n + factor_n) * sizeof(uint32_t));
	for (size_t i = 0; i < a->n; i++) {
		uint64_t carry = 0;

		for (size_t j = 0; j < factor_n; j++) {
			/* < 10^18 + 10^9 + 10^9: fits */
			uint64_t cur = (uint64_t)a->limb[i] * factor[j] + out->limb[i + j] + carry;

			out->limb[i + j] = (uint32_t)(cur % LIMB_BASE);
			carry = cur / LIMB_BASE;
		}
		out->limb[i + factor_n] = (uint32_t)carry;
	}
	out->n = a->n + factor_n;
	while (out->n > 0 && out->limb[out->n - 1] == 0)
		out->n--;
}

/* *a *= factor, using tmp (same capacity) as scratch; the two are swapped. */
static void big_mul_u64(struct big *a, struct big *tmp, uint64_t factor)
{
	uint32_t f[3];
	size_t fn = 0;
	struct big swap;

	do {
		f[fn++] = (uint32_t)(factor % LIMB_BASE);
		factor /= LIMB_BASE;
	} while (factor > 0);
	big_mul(a, f, fn, tmp);
	swap = *a;
	*a = *tmp;
	*tmp = swap;
}

/* *a = floor(*a / 10^shift); returns whether the remainder was non-zero. */
static bool big_div_pow10(struct big *a, uint64_t shift)
{
	uint64_t whole = shift / LIMB_DIGITS;
	uint32_t divisor = 1;
	uint64_t rem = 0;
	bool sticky = false;

	if (whole >= a->n) {
		sticky = a->n > 0;
		a->n = 0;
		return sticky;
	}
	for (size_t i = 0; i < whole; i++)
		sticky |= a->limb[i] != 0;
	memmove(a->limb, a->limb + whole, (a->n - whole) * sizeof(uint32_t));
	a->n -= whole;

	for (uint64_t i = 0; i < shift % LIMB_DIGITS; i++)
		divisor *= 10;
	for (size_t i = a->n; i-- > 0;) {
		uint64_t cur = rem * LIMB_BASE + a->limb[i]; /* rem < 10^9: fits */

		a->limb[i] = (uint32_t)(cur / divisor);
		rem = cur % divisor;
	}
	while (a->n > 0 && a->limb[a->n - 1] == 0)
		a->n--;
	return sticky || rem != 0;
}

/* The big integer as a uint64_t; -ERANGE when it does not fit. */
static int big_to_u64(const struct big *a, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = a->n; i-- > 0;)
		if (__builtin_mul_overflow(v, (uint64_t)LIMB_BASE, &v) ||
		    __builtin_add_overflow(v, (uint64_t)a->limb[i], &v))
			return -ERANGE;
	*out = v;
	return 0;
}

/* ceil(sign * magnitude_plus), where the magnitude is whole + (fraction ? a bit : 0). */
static int store_ceil(bool negative, uint64_t whole, bool fraction, int64_t *value)
{
	if (negative) {
		/* ceil(-(w + f)) = -w for 0 <= f < 1; -2^63 still fits */
		if (whole > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*value = whole == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)whole;
		return 0;
	}
	if (whole > (uint64_t)INT64_MAX || (fraction && whole == (uint64_t)INT64_MAX))
		return -ERANGE;
	*value = (int64_t)whole + (fraction ? 1 : 0);
	return 0;
}

int spec_quantity_parse(const char *s, int64_t multiplier, int64_t *value)
{
	_cleanup_free_ uint32_t *buf = NULL;
	struct quantity_syntax q;
	struct big a, tmp;
	size_t first, last, n_digits, total, capacity;
	int64_t e, magnitude;
	uint64_t whole = 0;
	bool fraction = false;
	int r;

	if (!s || !value || multiplier <= 0)
		return -EINVAL;

	r = parse_syntax(s, &q);
	if (r < 0)
		return r;

	/* Significant digits only: "0000000000000000000001" is 1 and "1.5000" is 15e-1. */
	total = q.int_len + q.frac_len;
	for (first = 0; first < total && mantissa_digit(&q, first) == '0'; first++)
		;
	if (first == total) {
		*value = 0;
		return 0;
	}
	for (last = total - 1; mantissa_digit(&q, last) == '0'; last--)
		;
	n_digits = last - first + 1;

	/* value = digits * 10^e * 2^binary_shift, digits being n_digits long without zeros at
	 * either end. */
	e = saturating_add(q.exponent10, -saturating_from_size(q.frac_len));
	e = saturating_add(e, saturating_from_size(total - 1 - last));

	/* The order of magnitude decides the extremes before any arithmetic: the multiplier and
	 * the binary suffix together are below 2^123 < 10^38, and at least 1. */
	magnitude = saturating_add(e, saturating_from_size(n_digits));
	/* 10^(magnitude - 1) <= quantity < 10^magnitude */
	if (magnitude > 19) /* >= 10^19 > 2^63 */
		return -ERANGE;
	if (magnitude <= -40) /* < 10^-40 * 10^38: strictly between 0 and 1 */
		return store_ceil(q.negative, 0, true, value);

	/* Now -40 - n_digits < e <= 18, so the big integer holds the digits and at most 56 more:
	 * the multiplier (19), 2^60 (19) and 10^18 (18), well inside 16 spare limbs. */
	capacity = n_digits / LIMB_DIGITS + 16;
	buf = calloc(2 * capacity, sizeof(uint32_t));
	if (!buf)
		return -ENOMEM;
	a = (struct big){buf, 0};
	tmp = (struct big){buf + capacity, 0};

	/* Least significant digit first, nine to a limb. */
	for (size_t i = 0, weight = 1; i < n_digits; i++, weight *= 10) {
		if (i % LIMB_DIGITS == 0) {
			a.limb[a.n++] = 0;
			weight = 1;
		}
		a.limb[a.n - 1] +=
		        (uint32_t)(mantissa_digit(&q, last - i) - '0') * (uint32_t)weight;
	}
	while (a.n > 0 && a.limb[a.n - 1] == 0)
		a.n--;

	big_mul_u64(&a, &tmp, (uint64_t)multiplier);
	for (unsigned shift = q.binary_shift; shift > 0; shift -= 10)
		big_mul_u64(&a, &tmp, 1024);
	for (int64_t k = e; k > 0; k -= LIMB_DIGITS) {
		uint64_t p = 1;

		for (int64_t j = 0; j < (k < LIMB_DIGITS ? k : LIMB_DIGITS); j++)
			p *= 10;
		big_mul_u64(&a, &tmp, p);
	}
	if (e < 0)
		fraction = big_div_pow10(&a, (uint64_t)-e);

	r = big_to_u64(&a, &whole);
	if (r < 0)
		return r;
	return store_ceil(q.negative, whole, fraction, value);
}
