/* daemon/tls.h: what the TLS listener (config listen) needs on disk, under the state directory:
 * the certificates (<state_dir>/pki/: ca.crt, ca.key, serving.crt, serving.key, made by
 * pkg/pki) and the bearer tokens (<state_dir>/tokens, the API server's --token-auth-file
 * format: token,user,uid,"group1,group2" a line). Made at the first start, kept after; every
 * file written whole or not at all (a temporary file, fsync, rename), keys and tokens 0600.
 * And `nanoletd kubeconfig`, which reads them back. A token is never logged. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "access.h"
#include "config.h"
#include "pki/pki.h"
#include "util/util.h"

struct tokens {
	struct token_user *users;
	size_t n;
};

/* The lines of a tokens file (each a struct token_user, access.h) (blank lines and '#' comments
 * skipped). -EINVAL with err naming the line for one without token, user and uid, or with a group
 * list not closed by its quote. Pure. */
int tokens_parse(const char *text, struct tokens *out, struct nano_err *err);
void tokens_done(struct tokens *t);

/* The user whose token is token (compared in constant time), NULL for none. */
const struct token_user *tokens_find(const struct tokens *t, const char *token);

/* The SANs the serving certificate must hold: hostname, localhost, 127.0.0.1, ::1 and the
 * listen address (unless it is 0.0.0.0 or ::). NULL on ENOMEM. */
char **tls_sans(const char *hostname, const struct config_listen *listen);

/* <state_dir>/pki/ and <state_dir>/tokens: read, made when missing, the serving certificate
 * made again when pki_serving_current() says so (logged, with why). */
int tls_files_load(const char *state_dir, const char *hostname, const struct config_listen *listen,
                   struct pki_pair *serving, struct tokens *tokens, struct nano_err *err);

/* `nanoletd kubeconfig`: a kubeconfig for config's listener (server, the CA's data, the first
 * token) to out. -ENOENT with a message when listen is not set or the files are not there yet. */
int tls_kubeconfig(const struct nano_config *config, FILE *out, struct nano_err *err);
