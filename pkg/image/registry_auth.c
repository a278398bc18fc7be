/* pkg/image/registry_auth.c: credentials and challenges for the registry client. Reads the
 * docker config.json `docker login` writes (auths only: no credential helpers, nanolet runs
 * none) and parses WWW-Authenticate as distribution's token auth and Basic send it. No I/O but
 * reading the auth file; nothing here touches the loop. */
#include "image/registry_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

char *registry_base64(const void *data, size_t len)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static bool docker_io_host(const char *host)
{
	return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	       strcmp(host, "registry-1.docker.io") == 0;
}

static json_t *auth_entry(json_t *auths, const char *host)
{
	static const char *const forms[] = {"%s", "https://%s", "http://%s", "https://%s/v1/",
	                                    "https://%s/v2/"};
	json_t *v;

	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		_cleanup_free_ char *key = strdupf(forms[i], host);
		if (key && (v = json_object_get(auths, key)) && json_is_object(v))
			return v;
	}
	if (docker_io_host(host)) {
		if ((v = json_object_get(auths, "https://index.docker.io/v1/")) &&
		    json_is_object(v))
			return v;
		if ((v = json_object_get(auths, "docker.io")) && json_is_object(v))
			return v;
	}
	return NULL;
}

int registry_auth_basic(const char *path, const char *host, char **out, struct nano_err *err)
{
	_cleanup_json_ json_t *root = NULL;
	json_error_t jerr;
	json_t *entry;
	const char *auth, *user, *pass;

	*out = NULL;
	if (!path || !*path)
		return 0;
	root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (jerr.text[0] && strstr(jerr.text, "unable to open"))
			return 0; /* no file: anonymous, as a node without `docker login` */
		return nano_err_set(err, EINVAL, "registry auth file %s: %s (line %d)", path,
		                    jerr.text, jerr.line);
	}
	entry = auth_entry(json_object_get(root, "auths"), host);
	if (!entry)
		return 0;
	auth = json_string_value(json_object_get(entry, "auth"));
	if (auth && *auth) {
		*out = strdupf("Basic %s", auth);
		return *out ? 0 : -ENOMEM;
	}
	user = json_string_value(json_object_get(entry, "username"));
	pass = json_string_value(json_object_get(entry, "password"));
	if (user && pass) {
		_cleanup_free_ char *plain = strdupf("%s:%s", user, pass);
		_cleanup_free_ char *b64 = plain ? registry_base64(plain, strlen(plain)) : NULL;
		if (!b64)
			return -ENOMEM;
		*out = strdupf("Basic %s", b64);
		return *out ? 0 : -ENOMEM;
	}
	return 0;
}

void registry_challenge_done(struct registry_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (struct registry_challenge){0};
}

/* Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="a,b" */
int registry_challenge_parse(const char *header, struct registry_challenge *out)
{
	const char *p = header;
	size_t n;

	*out = (struct registry_challenge){0};
	while (isspace((unsigned char)*p))
		p++;
	n = strcspn(p, " \t");
	if (n == 0)
		return -EINVAL;
	out->scheme = strndup(p, n);
	if (!out->scheme)
		return -ENOMEM;
	for (char *c = out->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p += n;
	for (;;) {
		char **slot = NULL;
		_cleanup_free_ char *key = NULL, *value = NULL;

		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "= \t,");
		key = strndup(p, n);
		if (!key)
			return -ENOMEM;
		p += n;
		if (*p != '=')
			continue;
		p++;
		if (*p == '"') {
			const char *end = strchr(++p, '"');
			if (!end)
				end = p + strlen(p);
			value = strndup(p, (size_t)(end - p));
			p = *end ? end + 1 : end;
		} else {
			n = strcspn(p, ",");
			value = strndup(p, n);
			p += n;
		}
		if (!value)
			return -ENOMEM;
		if (strcasecmp(key, "realm") == 0)
			slot = &out->realm;
		else if (strcasecmp(key, "service") == 0)
			slot = &out->service;
		else if (strcasecmp(key, "scope") == 0)
			slot = &out->scope;
		if (slot) {
			free(*slot);
			*slot = TAKE_PTR(value);
		}
	}
	return 0;
}
