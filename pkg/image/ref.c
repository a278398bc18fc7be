/* pkg/image/ref.c: image references as the API server and the kubelet read them
 * (distribution's reference grammar and its ParseNormalizedNamed): domain, path, tag, digest.
 * Pure: no I/O.
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] component ( "/" component )*
 *   domain    := host [ ":" port ] | "[" ipv6 "]" [ ":" port ]
 *   component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 */
#include "image.h"

#include <ctype.h>
#include <string.h>

#define NAME_MAX_LEN 255 /* distribution's NameTotalLengthMax */

bool image_is_local_root(const char *image)
{
	return !image || image[0] == '\0' || strcmp(image, "host") == 0 || image[0] == '/';
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component, s[0..len). */
static bool component_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	while (i < len) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		/* a separator: ".", "_", "__" or a run of "-", then an alphanumeric */
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += i + 1 < len && s[i + 1] == '_' ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return false;
		if (i >= len || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

static bool path_valid(const char *s)
{
	const char *slash;

	for (;;) {
		slash = strchr(s, '/');
		if (!component_valid(s, slash ? (size_t)(slash - s) : strlen(s)))
			return false;
		if (!slash)
			return true;
		s = slash + 1;
	}
}

static bool host_valid(const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return false;
	/* "[" ipv6 "]": hex digits and colons (and a dotted tail) between brackets */
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return false;
		for (size_t i = 1; i < len - 1; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				return false;
		return true;
	}
	/* labels of [A-Za-z0-9-], neither starting nor ending with '-' */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static bool domain_valid(const char *s)
{
	size_t len = strlen(s);
	const char *colon;

	/* the port: the last ':' after any ']' */
	colon = strrchr(s, ':');
	if (colon && (s[0] != '[' || colon > strrchr(s, ']'))) {
		const char *p = colon + 1;

		if (*p == '\0')
			return false;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
		len = (size_t)(colon - s);
	}
	return host_valid(s, len);
}

static bool tag_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool word = isalnum((unsigned char)c) || c == '_';

		if (!word && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* The digest grammar (algorithm ":" hex of 32 or more); which algorithm is another matter. */
static bool digest_grammar(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t hex = 0;

	if (!colon || colon == s || !isalpha((unsigned char)s[0]))
		return false;
	for (const char *p = s; p < colon; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_+.", *p))
			return false;
	for (const char *p = colon + 1; *p; p++, hex++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return hex >= 32;
}

static int invalid(struct nano_err *err, const char *s)
{
	return nano_err_setc(err, NANO_INVALID, EINVAL,
	                     "couldn't parse image name \"%s\": invalid reference format", s);
}

void image_ref_done(struct image_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	*r = (struct image_ref){0};
}

int image_ref_parse(const char *s, struct image_ref *out, struct nano_err *err)
{
	_cleanup_free_ char *copy = NULL;
	char *name, *at, *tag = NULL, *slash, *last_slash, *colon, *remainder;
	struct image_ref r = {0};
	size_t len;

	*out = (struct image_ref){0};
	if (!s || s[0] == '\0')
		return invalid(err, s ? s : "");
	/* distribution: a bare 64-hex string would be an image ID, never a name */
	len = strlen(s);
	if (len == 64 && strspn(s, "0123456789abcdef") == 64)
		return nano_err_setc(
		        err, NANO_INVALID, EINVAL,
		        "couldn't parse image name \"%s\": invalid repository name (%s), "
		        "cannot specify 64-byte hexadecimal strings",
		        s, s);
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	name = copy;
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_grammar(at + 1))
			return invalid(err, s);
		if (!image_digest_valid(at + 1))
			return nano_err_setc(err, NANO_INVALID, EINVAL,
			                     "couldn't parse image name \"%s\": unsupported digest "
			                     "%s (nanolet accepts sha256 digests only)",
			                     s, at + 1);
	}
	last_slash = strrchr(name, '/');
	colon = strrchr(last_slash ? last_slash : name, ':');
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
		if (!tag_valid(tag))
			return invalid(err, s);
	}
	if (strlen(name) > NAME_MAX_LEN)
		return invalid(err, s);

	/* splitDockerDomain: the first component is a domain when it has a '.' or a ':', is
	 * "localhost" or has an uppercase letter */
	slash = strchr(name, '/');
	remainder = name;
	if (slash) {
		bool upper = false;

		for (const char *p = name; p < slash; p++)
			upper |= isupper((unsigned char)*p);
		if (strcspn(name, ".:") < (size_t)(slash - name) ||
		    strncmp(name, "localhost/", 10) == 0 || upper) {
			*slash = '\0';
			if (!domain_valid(name))
				return invalid(err, s);
			r.domain =
			        strdup(strcmp(name, IMAGE_LEGACY_DOMAIN) == 0 ? IMAGE_DEFAULT_DOMAIN
			                                                      : name);
			remainder = slash + 1;
		}
	}
	if (!r.domain)
		r.domain = strdup(IMAGE_DEFAULT_DOMAIN);
	for (const char *p = remainder; *p; p++)
		if (isupper((unsigned char)*p)) {
			image_ref_done(&r);
			return nano_err_setc(err, NANO_INVALID, EINVAL,
			                     "couldn't parse image name \"%s\": invalid reference "
			                     "format: repository name (%s) must be lowercase",
			                     s, remainder);
		}
	if (!path_valid(remainder)) {
		image_ref_done(&r);
		return invalid(err, s);
	}
	if (r.domain && strcmp(r.domain, IMAGE_DEFAULT_DOMAIN) == 0 && !strchr(remainder, '/'))
		r.path = strdupf("%s/%s", IMAGE_OFFICIAL_REPO, remainder);
	else
		r.path = strdup(remainder);
	if (tag)
		r.tag = strdup(tag);
	else if (!at)
		r.tag = strdup(IMAGE_DEFAULT_TAG);
	if (at)
		r.digest = strdup(at + 1);
	if (!r.domain || !r.path || ((tag || !at) && !r.tag) || (at && !r.digest)) {
		image_ref_done(&r);
		return -ENOMEM;
	}
	if (strlen(r.domain) + 1 + strlen(r.path) > NAME_MAX_LEN) {
		image_ref_done(&r);
		return invalid(err, s);
	}
	*out = r;
	return 0;
}

char *image_ref_string(const struct image_ref *r)
{
	return strdupf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
	               r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *image_ref_repo(const struct image_ref *r)
{
	return strdupf("%s/%s", r->domain, r->path);
}

enum image_pull_policy image_pull_policy_default(const struct image_ref *r)
{
	/* pkg/apis/core/v1/defaults.go: "latest" (given or implied) pulls Always; a digest with
	 * no tag has no tag */
	if (r->tag && strcmp(r->tag, IMAGE_DEFAULT_TAG) == 0)
		return IMAGE_PULL_ALWAYS;
	if (!r->tag && !r->digest)
		return IMAGE_PULL_ALWAYS;
	return IMAGE_PULL_IF_NOT_PRESENT;
}
