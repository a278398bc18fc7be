/* daemon/access.h: who may do what. A request is read as the API server's RequestInfo reads it
 * (verb, API group, resource, subresource, namespace, name), the caller's peer credentials give
 * it a role, and the role allows or refuses the verb, with the API server's words for a
 * refusal. Pure: the groups are resolved to gids at start (nanoletd.c), the credentials read
 * when a connection is accepted (peer.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "peer.h"

/* k8s.io/apiserver's RequestInfo, for the paths nanolet serves. */
struct request_info {
	bool resource_request; /* /api/v1/..., /apis/<group>/<version>/... */
	char verb[24];         /* get list watch create update patch delete deletecollection;
	                        * a non-resource request: the method in lower case */
	char api_group[64];    /* "" for the core group */
	char api_version[16];  /* "v1" */
	char resource[64];     /* "pods" */
	char subresource[32];  /* "log", "isolation", "" */
	char ns[64];           /* "" at the cluster scope */
	char name[254];        /* "" for a collection */
};

/* method, path (without the query) and ?watch=true into *out. */
void request_info_parse(const char *method, const char *path, bool watch, struct request_info *out);

/* Whether a verb changes something: what the audit log records whatever its answer. */
bool request_info_mutating(const struct request_info *info);

enum access_role {
	ACCESS_NONE,  /* refused everything */
	ACCESS_READ,  /* get, list, watch; and who it is */
	ACCESS_WRITE, /* everything */
};

struct access_policy {
	uid_t daemon_uid;        /* the daemon's own user may always write */
	const gid_t *write_gids; /* api_write_groups that exist */
	size_t n_write_gids;
	const gid_t *read_gids; /* api_read_groups that exist */
	size_t n_read_gids;
};

/* root, the daemon's user and the write groups: WRITE; the read groups: READ; else NONE. */
enum access_role access_role_of(const struct access_policy *policy, const struct peer_cred *peer);

/* A bearer token's user (a line of <state_dir>/tokens: the TLS listener's callers). */
struct token_user {
	char *token;
	char *name;
	char *uid;
	char **groups; /* NULL-terminated, NULL for none */
};

/* Its groups give a token user's role, as RBAC's bootstrap bindings would: system:masters
 * (cluster-admin's group) WRITE, nanolet:readers READ, anyone else NONE. */
#define ACCESS_TOKEN_WRITE_GROUP "system:masters"
#define ACCESS_TOKEN_READ_GROUP  "nanolet:readers"
enum access_role access_role_of_token(const struct token_user *user);

/* A copy of u without its token (what an audit record keeps), NULL on ENOMEM; and its free. */
struct token_user *token_user_identity(const struct token_user *u);
void token_user_free(struct token_user *u);
const char *access_role_name(enum access_role role); /* "none", "read", "write" */

/* Whether role may do what info asks. Everyone who may connect may ask who they are (a
 * SelfSubjectReview), as system:basic-user grants every authenticated user. */
bool access_allows(enum access_role role, const struct request_info *info);

/* The API server's 403 message for user (its responsewriters.Forbidden over
 * apierrors.NewForbidden): `pods is forbidden: User "bob" cannot create resource "pods" in API
 * group "" in the namespace "default"`, `forbidden: User "bob" cannot get path "/metrics"`.
 * NULL on ENOMEM. */
char *access_forbidden_message(const char *user, const char *path, const struct request_info *info);
