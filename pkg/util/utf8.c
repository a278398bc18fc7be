/* pkg/util/utf8.c: text from outside (a file a container wrote, its log) made fit for a JSON
 * string: jansson refuses invalid UTF-8, where Go's encoder writes U+FFFD for each bad byte.
 * Pure.
 */
#include <string.h>

#include "util.h"

/* The length of the valid sequence at s (at most n bytes there), or 0: utf8.DecodeRune's
 * rules (RFC 3629: shortest form only, no surrogates, nothing past U+10FFFF). */
static size_t sequence_length(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (s[0] > 0 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0; /* NUL, a continuation byte, C0, C1, F5..FF */
	if (s[0] == 0xE0)
		lo = 0xA0; /* overlong */
	else if (s[0] == 0xED)
		hi = 0x9F; /* surrogates */
	else if (s[0] == 0xF0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xF4)
		hi = 0x8F; /* past U+10FFFF */
	if (n < 2 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (i >= n || s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

char *util_utf8_copy(const char *s, size_t len)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(len * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = sequence_length(p + i, len - i);

		if (n == 0) {
			memcpy(o, replacement, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}
