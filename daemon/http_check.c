/* daemon/http_check.c: the checks of a request's target and header that come before routing,
 * and the bounded Warning headers of an answer (http_check.h). Pure: bytes in, a verdict and a
 * message out. Nothing here knows libmicrohttpd or the API's paths. */
#include "http_check.h"

#include <string.h>

#include "util/util.h"

/* "Warning: " and "\r\n" around each value, as the header goes out. */
#define WARNING_LINE_OVERHEAD 11

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned refuse(unsigned code, char **message, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static unsigned refuse(unsigned code, char **message, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(message, fmt, ap) < 0)
		*message = NULL;
	va_end(ap);
	return code;
}

unsigned http_check_target(const char *target, size_t max_url_bytes, char **message)
{
	size_t len = strnlen(target, max_url_bytes + 1);
	bool in_query = false;

	*message = NULL;
	if (len > max_url_bytes)
		return refuse(414, message,
		              "the request URI is longer than the limit of %zu bytes "
		              "(max_url_bytes)",
		              max_url_bytes);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)target[i];
		int hi, lo, decoded;

		if (c <= 0x20 || c == 0x7f)
			return refuse(400, message,
			              "the request URI holds the control byte 0x%02x at offset %zu",
			              c, i);
		if (c == '?')
			in_query = true;
		if (c != '%' || i + 2 >= len || (hi = hex_value(target[i + 1])) < 0 ||
		    (lo = hex_value(target[i + 2])) < 0)
			continue;
		decoded = hi * 16 + lo;
		/* NUL ends a C string: what follows would silently not count */
		if (decoded == 0)
			return refuse(400, message,
			              "the request URI holds an escaped NUL (%%00) at offset %zu",
			              i);
		if (!in_query && (decoded < 0x20 || decoded == 0x7f))
			return refuse(400, message,
			              "a path segment of the request URI holds the escaped control "
			              "byte %%%02X at offset %zu",
			              decoded, i);
	}
	return 0;
}

unsigned http_check_header(size_t count, size_t bytes, size_t max_count, size_t max_bytes,
                           char **message)
{
	*message = NULL;
	if (count > max_count)
		return refuse(431, message,
		              "the request has %zu header fields, more than the limit of %zu "
		              "(max_header_count)",
		              count, max_count);
	if (bytes > max_bytes)
		return refuse(431, message,
		              "the request's header fields take %zu bytes, more than the limit of "
		              "%zu (max_header_bytes)",
		              bytes, max_bytes);
	return 0;
}

/* The length of text cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *text, size_t max)
{
	size_t len = strlen(text);

	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)text[max] & 0xc0) == 0x80)
		max--;
	return max;
}

char *http_warning_value(const char *text, size_t max_text_bytes)
{
	size_t len = utf8_cut(text, max_text_bytes);
	char *out = malloc(len * 2 + sizeof("299 - \"\""));
	char *p = out;

	if (!out)
		return NULL;
	p = stpcpy(p, "299 - \"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"' || c == '\\')
			*p++ = '\\';
		/* a line break would end the header; other control bytes are not field text */
		*p++ = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	strcpy(p, "\"");
	return out;
}

struct ranked {
	const char *text;
	size_t index;
};

static int by_text_then_index(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* dup[i]: warnings[i] came before. Sorted, not compared pairwise: a body may carry 100000. */
static bool *mark_duplicates(char *const *warnings, size_t n)
{
	_cleanup_free_ struct ranked *ranked = calloc(n ? n : 1, sizeof(*ranked));
	bool *dup = calloc(n ? n : 1, sizeof(*dup));

	if (!ranked || !dup) {
		free(dup);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		ranked[i] = (struct ranked){warnings[i], i};
	qsort(ranked, n, sizeof(*ranked), by_text_then_index);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ranked[i].text, ranked[i - 1].text) == 0)
			dup[ranked[i].index] = true;
	return dup;
}

static size_t line_bytes(const char *value)
{
	return strlen(value) + WARNING_LINE_OVERHEAD;
}

char **http_warning_values(char *const *warnings, size_t max_bytes, size_t *left_out)
{
	_cleanup_strv_ char **out = calloc(1, sizeof(char *));
	_cleanup_free_ char *summary = NULL;
	_cleanup_free_ bool *dup = NULL;
	size_t n = strv_len(warnings), k = 0, total = 0, used = 0, dropped = 0;
	bool whole;

	if (left_out)
		*left_out = 0;
	dup = mark_duplicates(warnings, n);
	if (!out || !dup)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!dup[i])
			total += 2 * strlen(warnings[i]) + sizeof("299 - \"\"") +
			         WARNING_LINE_OVERHEAD;
	/* the escaped length is at most twice the text: a quick test for "everything fits" */
	whole = total <= max_bytes;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *value = NULL;

		if (dup[i])
			continue;
		value = http_warning_value(warnings[i], whole ? SIZE_MAX : HTTP_WARNING_ITEM_BYTES);
		if (!value)
			return NULL;
		if (!whole && (dropped > 0 || used + line_bytes(value) > max_bytes)) {
			dropped++;
			continue;
		}
		used += line_bytes(value);
		if (strv_append(&out, &k, TAKE_PTR(value)) < 0)
			return NULL;
	}
	/* the summary must fit too: give up warnings from the end until it does */
	while (dropped > 0) {
		_cleanup_free_ char *text = strdupf(
		        "%zu more warnings were left out: the Warning headers of one answer "
		        "are limited to %zu bytes (max_warning_bytes)",
		        dropped, max_bytes);

		free(summary);
		summary = text ? http_warning_value(text, SIZE_MAX) : NULL;
		if (!summary)
			return NULL;
		if (used + line_bytes(summary) <= max_bytes || k == 0) {
			if (strv_append(&out, &k, TAKE_PTR(summary)) < 0)
				return NULL;
			break;
		}
		used -= line_bytes(out[k - 1]);
		free(out[--k]);
		out[k] = NULL;
		dropped++;
	}
	if (left_out)
		*left_out = dropped;
	return TAKE_PTR(out);
}
