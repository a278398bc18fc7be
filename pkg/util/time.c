/* pkg/util/time.c: timestamps as Kubernetes writes them (RFC 3339, UTC, `Z`).
 *
 * Kubernetes has two shapes: metav1.Time, whole seconds ("2024-05-01T12:00:00Z", the
 * creationTimestamp and Event first/lastTimestamp), and Go's RFC3339Nano, fraction with trailing
 * zeros dropped ("…:00.5Z"), which CRI log lines and nanolet's logs use. This file reads no clock:
 * the caller passes the time.
 */
#include "util.h"

#include <string.h>

int util_rfc3339(char *buf, size_t size, const struct timespec *ts, bool nanos)
{
	struct tm tm;
	char frac[11] = "";
	int n;

	if (!buf || !ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	if (!gmtime_r(&ts->tv_sec, &tm))
		return -ERANGE;
	/* RFC 3339 has four-digit years only; Go's time.MarshalJSON refuses the rest too. */
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return -ERANGE;
	if (nanos && ts->tv_nsec) {
		size_t len;

		snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
		len = strlen(frac);
		while (frac[len - 1] == '0') /* Go's .999999999: no trailing zeros */
			frac[--len] = '\0';
	}
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}
