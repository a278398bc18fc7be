/* daemon/access.c: request info, roles and refusals. The request info follows
 * k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (a GET without a name is a list, with
 * ?watch=true a watch; a DELETE without a name a deletecollection); the refusal's words its
 * handlers/responsewriters/errors.go. Nothing here reads a socket or the group database. */
#include "access.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* The path's next segment into buf (cut to size); returns what follows it. */
static const char *segment(const char *p, char *buf, size_t size)
{
	size_t len;

	while (*p == '/')
		p++;
	len = strcspn(p, "/");
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return p + strcspn(p, "/");
}

void request_info_parse(const char *method, const char *path, bool watch, struct request_info *out)
{
	char first[16] = "", seg[254] = "";
	const char *p = path ? path : "";
	bool get = method && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);

	*out = (struct request_info){0};
	p = segment(p, first, sizeof(first));
	if (strcmp(first, "api") == 0) {
		p = segment(p, out->api_version, sizeof(out->api_version));
	} else if (strcmp(first, "apis") == 0) {
		p = segment(p, out->api_group, sizeof(out->api_group));
		p = segment(p, out->api_version, sizeof(out->api_version));
	}
	if (!out->api_version[0]) {
		/* /healthz, /metrics, /api, /apis/<group>: the method, lower case */
		*out = (struct request_info){0};
		for (size_t i = 0; method && method[i] && i + 1 < sizeof(out->verb); i++)
			out->verb[i] = (char)tolower((unsigned char)method[i]);
		return;
	}
	out->resource_request = true;
	p = segment(p, seg, sizeof(seg));
	if (strcmp(seg, "namespaces") == 0) {
		p = segment(p, out->ns, sizeof(out->ns));
		p = segment(p, seg, sizeof(seg));
		if (!seg[0]) { /* /api/v1/namespaces/default: the namespace itself */
			snprintf(out->resource, sizeof(out->resource), "namespaces");
			snprintf(out->name, sizeof(out->name), "%s", out->ns);
			out->ns[0] = '\0';
		}
	}
	if (!out->resource[0]) /* cut to fit: no resource of ours is that long */
		(void)segment(seg, out->resource, sizeof(out->resource));
	if (!out->name[0])
		p = segment(p, out->name, sizeof(out->name));
	(void)segment(p, out->subresource, sizeof(out->subresource));

	/* A WebSocket to a process (exec, attach, portforward) is a GET, but it runs something
	 * in a pod: it is authorized as the POST it replaces ("create pods/exec", as recent
	 * Kubernetes does too), so that a reader cannot exec. */
	if (get && strcmp(out->resource, "pods") == 0 &&
	    (strcmp(out->subresource, "exec") == 0 || strcmp(out->subresource, "attach") == 0 ||
	     strcmp(out->subresource, "portforward") == 0))
		snprintf(out->verb, sizeof(out->verb), "create");
	else if (get)
		snprintf(out->verb, sizeof(out->verb), "%s",
		         watch          ? "watch"
		         : out->name[0] ? "get"
		                        : "list");
	else if (method && strcmp(method, "POST") == 0)
		snprintf(out->verb, sizeof(out->verb), "create");
	else if (method && strcmp(method, "PUT") == 0)
		snprintf(out->verb, sizeof(out->verb), "update");
	else if (method && strcmp(method, "PATCH") == 0)
		snprintf(out->verb, sizeof(out->verb), "patch");
	else if (method && strcmp(method, "DELETE") == 0)
		snprintf(out->verb, sizeof(out->verb), "%s",
		         out->name[0] ? "delete" : "deletecollection");
	else
		for (size_t i = 0; method && method[i] && i + 1 < sizeof(out->verb); i++)
			out->verb[i] = (char)tolower((unsigned char)method[i]);
}

bool request_info_mutating(const struct request_info *info)
{
	static const char *const read_only[] = {"get", "list", "watch", "head", "options"};

	for (size_t i = 0; i < ELEMENTSOF(read_only); i++)
		if (strcmp(info->verb, read_only[i]) == 0)
			return false;
	return true;
}

static bool has_gid(const gid_t *gids, size_t n, const struct peer_cred *peer)
{
	for (size_t i = 0; i < n; i++)
		if (peer_cred_in_group(peer, gids[i]))
			return true;
	return false;
}

enum access_role access_role_of(const struct access_policy *policy, const struct peer_cred *peer)
{
	if (!peer || !peer->known)
		return ACCESS_NONE;
	if (peer->uid == 0 || peer->uid == policy->daemon_uid ||
	    has_gid(policy->write_gids, policy->n_write_gids, peer))
		return ACCESS_WRITE;
	if (has_gid(policy->read_gids, policy->n_read_gids, peer))
		return ACCESS_READ;
	return ACCESS_NONE;
}

static bool in_group(const struct token_user *user, const char *group)
{
	for (char **g = user->groups; g && *g; g++)
		if (strcmp(*g, group) == 0)
			return true;
	return false;
}

enum access_role access_role_of_token(const struct token_user *user)
{
	if (!user)
		return ACCESS_NONE;
	if (in_group(user, ACCESS_TOKEN_WRITE_GROUP))
		return ACCESS_WRITE;
	if (in_group(user, ACCESS_TOKEN_READ_GROUP))
		return ACCESS_READ;
	return ACCESS_NONE;
}

void token_user_free(struct token_user *u)
{
	if (!u)
		return;
	free(u->token);
	free(u->name);
	free(u->uid);
	strv_free(u->groups);
	free(u);
}

struct token_user *token_user_identity(const struct token_user *u)
{
	struct token_user *copy = calloc(1, sizeof(*copy));

	if (!copy)
		return NULL;
	copy->name = strdup(u->name ? u->name : "");
	copy->uid = strdup(u->uid ? u->uid : "");
	for (char **g = u->groups; g && *g; g++)
		if (strv_push(&copy->groups, strdup(*g)) < 0) {
			token_user_free(copy);
			return NULL;
		}
	if (!copy->name || !copy->uid) {
		token_user_free(copy);
		return NULL;
	}
	return copy;
}

const char *access_role_name(enum access_role role)
{
	switch (role) {
	case ACCESS_WRITE:
		return "write";
	case ACCESS_READ:
		return "read";
	case ACCESS_NONE:
		break;
	}
	return "none";
}

static bool is_self_subject_review(const struct request_info *info)
{
	return info->resource_request && strcmp(info->verb, "create") == 0 &&
	       strcmp(info->api_group, "authentication.k8s.io") == 0 &&
	       strcmp(info->resource, "selfsubjectreviews") == 0;
}

bool access_allows(enum access_role role, const struct request_info *info)
{
	switch (role) {
	case ACCESS_WRITE:
		return true;
	case ACCESS_READ:
		return !request_info_mutating(info) || is_self_subject_review(info);
	case ACCESS_NONE:
		break;
	}
	return false;
}

char *access_forbidden_message(const char *user, const char *path, const struct request_info *info)
{
	_cleanup_free_ char *resource = NULL, *qualified = NULL, *why = NULL;

	if (!info->resource_request)
		return strdupf("forbidden: User \"%s\" cannot %s path \"%s\"", user, info->verb,
		               path ? path : "");
	resource = info->subresource[0] ? strdupf("%s/%s", info->resource, info->subresource)
	                                : strdup(info->resource);
	if (!resource)
		return NULL;
	why = info->ns[0] ? strdupf("User \"%s\" cannot %s resource \"%s\" in API group \"%s\" in "
	                            "the namespace \"%s\"",
	                            user, info->verb, resource, info->api_group, info->ns)
	                  : strdupf("User \"%s\" cannot %s resource \"%s\" in API group \"%s\" at "
	                            "the cluster scope",
	                            user, info->verb, resource, info->api_group);
	/* GroupResource.String(): "pods", "selfsubjectreviews.authentication.k8s.io" */
	qualified = info->api_group[0] ? strdupf("%s.%s", info->resource, info->api_group)
	                               : strdup(info->resource);
	if (!why || !qualified)
		return NULL;
	if (info->name[0])
		return strdupf("%s \"%s\" is forbidden: %s", qualified, info->name, why);
	return strdupf("%s is forbidden: %s", qualified, why);
}
