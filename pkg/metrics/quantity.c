/* pkg/metrics/quantity.c: numbers as resource.Quantity prints them (apimachinery's
 * CanonicalizeBytes), for what nanolet reports in Kubernetes' shapes: a node's capacity, the
 * usage of metrics.k8s.io. Only the canonical forms of integers at a scale; parsing is
 * pkg/spec's. Pure. */
#include <inttypes.h>
#include <stdio.h>

#include "metrics.h"

static const char *decimal_suffix(int exponent)
{
	static const char *const suffixes[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
	int i = exponent / 3 + 3;

	return exponent % 3 == 0 && i >= 0 && i < 10 ? suffixes[i] : NULL;
}

char *metrics_quantity_decimal(char buf[METRICS_QUANTITY_SIZE], int64_t value, int scale)
{
	int exponent = scale;
	const char *suffix;

	if (value == 0) {
		snprintf(buf, METRICS_QUANTITY_SIZE, "0");
		return buf;
	}
	/* removeInt64Factors(value, 10), then down to a multiple of 3 */
	while (value % 10 == 0) {
		value /= 10;
		exponent++;
	}
	while (((exponent % 3) + 3) % 3 != 0 && value <= INT64_MAX / 10 &&
	       value >= INT64_MIN / 10) {
		value *= 10;
		exponent--;
	}
	suffix = decimal_suffix(exponent);
	if (suffix)
		snprintf(buf, METRICS_QUANTITY_SIZE, "%" PRId64 "%s", value, suffix);
	else
		snprintf(buf, METRICS_QUANTITY_SIZE, "%" PRId64 "e%d", value, exponent);
	return buf;
}

char *metrics_quantity_binary(char buf[METRICS_QUANTITY_SIZE], int64_t bytes)
{
	static const char *const suffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	int n = 0;

	/* "this avoids rounding and hopefully confusion, too": small values are decimal */
	if (bytes > -1024 && bytes < 1024)
		return metrics_quantity_decimal(buf, bytes, 0);
	while (n < 6 && bytes % 1024 == 0) {
		bytes /= 1024;
		n++;
	}
	snprintf(buf, METRICS_QUANTITY_SIZE, "%" PRId64 "%s", bytes, suffixes[n]);
	return buf;
}
