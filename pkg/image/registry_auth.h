/* pkg/image/registry_auth.h: what the registry client (registry_request.c) needs to answer a 401,
 * kept apart so that it is tested without a network: the credentials of a docker config.json, the
 * parameters of a WWW-Authenticate challenge, and base64. Internal to pkg/image. */
#pragma once

#include <stddef.h>

#include "util/util.h"

/* The Authorization header value ("Basic <base64(user:pass)>") the docker config.json at path
 * holds for host, in *out (malloc'd), or NULL when the file, or an entry for host, is absent:
 * anonymous. The keys tried are host itself, "https://host", "http://host" and, for docker.io's
 * hosts, "https://index.docker.io/v1/" as `docker login` writes it. An entry is {"auth":
 * base64(user:pass)} or {"username", "password"}. A file that is not JSON -> -EINVAL naming
 * it. */
int registry_auth_basic(const char *path, const char *host, char **out, struct nano_err *err);

/* A challenge: WWW-Authenticate: Bearer realm="...",service="...",scope="..." or Basic
 * realm="...". scheme is "bearer" or "basic" (lowercased); the rest NULL when absent. */
struct registry_challenge {
	char *scheme, *realm, *service, *scope;
};
int registry_challenge_parse(const char *header, struct registry_challenge *out);
void registry_challenge_done(struct registry_challenge *c);

/* base64 (RFC 4648, with padding) of len bytes; NULL on ENOMEM. */
char *registry_base64(const void *data, size_t len);
