/* pkg/logs/format.c: the CRI log record — its timestamp, written and read, and the parse of one
 * record into a struct logs_entry.
 *
 * Timestamps are written as the kubelet's RFC3339NanoFixed in UTC (always 9 digits, so records
 * sort as text) and read leniently, like the kubelet's RFC3339NanoLenient, because containerd
 * writes Go's RFC3339Nano (trailing zeros dropped) in the node's local zone.
 *
 * This file must stay pure: no I/O, no clock.
 */
#include "logs.h"

#include <stdio.h>
#include <string.h>

const char *logs_stream_name(enum logs_stream stream)
{
	switch (stream) {
	case LOGS_STDOUT:
		return "stdout";
	case LOGS_STDERR:
		return "stderr";
	}
	return NULL;
}

int logs_format_timestamp(const struct timespec *ts, char buf[static LOGS_TIMESTAMP_MAX])
{
	struct tm tm;
	int n;

	if (!ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	if (!gmtime_r(&ts->tv_sec, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -EINVAL;
	n = snprintf(buf, LOGS_TIMESTAMP_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             (long)ts->tv_nsec);
	if (n != LOGS_TIMESTAMP_MAX - 1)
		return -EINVAL;
	return n;
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

int logs_parse_timestamp(const char *s, size_t len, struct timespec *out)
{
	const char *p = s, *end = s + len;
	int year, month, day, hour, min, sec, off_h = 0, off_m = 0;
	long nsec = 0;
	struct tm tm = {0};
	time_t t;

	if (!s || !out)
		return -EBADMSG;
	if (!digits(&p, end, 4, &year) || !expect(&p, end, '-') || !digits(&p, end, 2, &month) ||
	    !expect(&p, end, '-') || !digits(&p, end, 2, &day) || !expect(&p, end, 'T') ||
	    !digits(&p, end, 2, &hour) || !expect(&p, end, ':') || !digits(&p, end, 2, &min) ||
	    !expect(&p, end, ':') || !digits(&p, end, 2, &sec))
		return -EBADMSG;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    min > 59 || sec > 59)
		return -EBADMSG;

	if (p < end && *p == '.') {
		int n = 0;
		p++;
		for (; p < end && *p >= '0' && *p <= '9'; p++, n++) {
			if (n == 9)
				return -EBADMSG;
			nsec = nsec * 10 + (*p - '0');
		}
		if (n == 0)
			return -EBADMSG;
		for (; n < 9; n++)
			nsec *= 10;
	}

	if (p < end && *p == 'Z') {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, end, 2, &off_h) || !expect(&p, end, ':') ||
		    !digits(&p, end, 2, &off_m) || off_h > 23 || off_m > 59)
			return -EBADMSG;
		off_h *= sign;
		off_m *= sign;
	} else {
		return -EBADMSG;
	}
	if (p != end)
		return -EBADMSG;

	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* 2026-11-29T01:36:57+01:00 is 00:36:57 UTC: the offset is subtracted. */
	*out = (struct timespec){.tv_sec = t - (time_t)off_h * 3600 - (time_t)off_m * 60,
	                         .tv_nsec = nsec};
	return 0;
}

int logs_parse_line(const char *line, size_t len, struct logs_entry *out)
{
	const char *p = line, *end, *sp;

	if (!line || !out)
		return -EBADMSG;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	end = line + len;

	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || logs_parse_timestamp(p, (size_t)(sp - p), &out->time) < 0)
		return -EBADMSG;
	p = sp + 1;

	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		return -EBADMSG;
	if (sp - p == 6 && memcmp(p, "stdout", 6) == 0)
		out->stream = LOGS_STDOUT;
	else if (sp - p == 6 && memcmp(p, "stderr", 6) == 0)
		out->stream = LOGS_STDERR;
	else
		return -EBADMSG;
	p = sp + 1;

	/* The tag field is "P" or "F", possibly followed by ":more:tags" in some later CRI. */
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || sp == p)
		return -EBADMSG;
	out->partial = *p == 'P' && (sp - p == 1 || p[1] == ':');
	p = sp + 1;

	out->content = p;
	out->content_len = (size_t)(end - p);
	return 0;
}

struct timespec logs_since(int64_t since_seconds, const struct timespec *since_time,
                           const struct timespec *now)
{
	struct timespec since = {0, 0};

	if (since_seconds >= 0 && now) {
		since = *now;
		since.tv_sec -= (time_t)since_seconds;
	}
	if (since_time &&
	    (since_time->tv_sec > since.tv_sec ||
	     (since_time->tv_sec == since.tv_sec && since_time->tv_nsec > since.tv_nsec)))
		since = *since_time;
	return since;
}

/* ---- where a pod's logs go ------------------------------------------------------------------ */

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int logs_pod_dir_name(const char *namespace, const char *name, const char *uid,
                      char out[static NAME_MAX + 1])
{
	size_t fixed = strlen(namespace) + strlen(uid) + 2; /* "_" twice */
	size_t keep;

	if (fixed + strlen(name) <= NAME_MAX) {
		snprintf(out, NAME_MAX + 1, "%s_%s_%s", namespace, name, uid);
		return 0;
	}
	/* "-" and 8 hex digits after what is kept of the name */
	if (fixed + 9 + 1 > NAME_MAX)
		return -ENAMETOOLONG;
	keep = NAME_MAX - fixed - 9;
	snprintf(out, NAME_MAX + 1, "%s_%.*s-%08x_%s", namespace, (int)keep, name, fnv1a(name),
	         uid);
	return 0;
}
