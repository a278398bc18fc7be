/* daemon/audit.h: the audit trail. One JSON line per request that changes something or is
 * refused, in <log_dir>/audit.log, shaped as Kubernetes' audit.k8s.io/v1 Event at level
 * Metadata and stage ResponseComplete: who (the peer's user, uid, gid, pid and process name),
 * what (verb, objectRef), the answer's code, when, and annotations (the Pod Security
 * decisions). Rotated past audit_log_max_size: audit.log.1 ... audit.log.<audit_log_max_files>. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "access.h"
#include "peer.h"
#include "util/util.h"

/* What the audit log keeps of a request from its arrival to its answer. */
struct audit_request {
	char audit_id[37];
	struct request_info info;
	struct peer_cred peer;
	struct token_user *token_user; /* the bearer token's user, token left out (TLS listener) */
	char *request_uri;
	char *user_agent;
	int64_t received_ns; /* CLOCK_REALTIME */
	json_t *annotations; /* an object, or NULL */
};

void audit_request_free(struct audit_request *r);

/* A random (v4) UUID, as the API server's auditID (without entropy yet, one from the clock and
 * a counter). Always 0. */
int audit_id_new(char out[37]);

/* The peer as a Kubernetes UserInfo: username, uid, groups (by name, and system:authenticated),
 * extra nanolet.io/gid, nanolet.io/pid, nanolet.io/process. What SelfSubjectReview answers. */
json_t *audit_user_json(const struct peer_cred *p);
/* A bearer token's user as a UserInfo: username, uid, its groups and system:authenticated. */
json_t *audit_token_user_json(const struct token_user *u);

/* Whether an answer of code to r goes in the log: a change (a review, self-subject or isolation
 * plan, changes nothing), or a refusal (401, 403). */
bool audit_wanted(const struct audit_request *r, unsigned code);

/* The Event for r answered with code at completed_ns; body the answer (a Status gives
 * responseStatus its reason and message). Pure. NULL on ENOMEM. */
json_t *audit_event_json(const struct audit_request *r, unsigned code, const char *body,
                         size_t body_len, int64_t completed_ns);

struct audit_log;

/* Opens <dir>/audit.log for appending (0600, created when missing). */
int audit_log_open(const char *dir, int64_t max_size, int64_t max_files, struct audit_log **out,
                   struct nano_err *err);
struct audit_log *audit_log_free(struct audit_log *log);

/* Appends event as one line; past max_size the file is rotated first. A write that fails is
 * dropped, and said once until one succeeds again: the API does not stop for the audit log. */
void audit_log_write(struct audit_log *log, const json_t *event);
