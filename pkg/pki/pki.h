/* pkg/pki: the certificates of nanoletd's TLS listener. A CA of the node's own and a serving
 * certificate it signs, each an ECDSA P-256 key, in PEM; and the checks that decide whether a
 * serving certificate kept from an earlier start still serves: its SANs cover the names it
 * must answer to, it chains to the CA, and it does not expire soon.
 *
 * Pure: no files, no clock (now is a parameter); the keys' randomness is GnuTLS's. Where the
 * PEM is kept is the daemon's business (daemon/tls.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* How long what pki_ca_new() and pki_serving_new() make is valid, and how long before its end
 * a serving certificate is made again. */
#define PKI_CA_DAYS        3650
#define PKI_SERVING_DAYS   365
#define PKI_RENEW_BEFORE_S (30 * 24 * 3600)
/* Certificates start this long before now: a client whose clock is a little behind accepts
 * them at once. */
#define PKI_BACKDATE_S 3600

/* A certificate and its private key, PEM, malloc'd. */
struct pki_pair {
	char *cert;
	char *key;
};

void pki_pair_done(struct pki_pair *p);

/* A self-signed CA (basicConstraints CA:TRUE, keyCertSign) named common_name, valid from
 * now - PKI_BACKDATE_S for PKI_CA_DAYS. -errno (-EINVAL, -ENOMEM, -EIO for GnuTLS's other
 * failures). */
int pki_ca_new(const char *common_name, int64_t now_s, struct pki_pair *out);

/* A serving certificate (CA:FALSE, serverAuth) for sans, signed by ca, valid from now -
 * PKI_BACKDATE_S for PKI_SERVING_DAYS. Each SAN is an IP address (IPv4 or IPv6 text: an IP
 * SAN) or a DNS name; duplicates are dropped. -EINVAL for a SAN that is neither or a CA that
 * does not parse. */
int pki_serving_new(const struct pki_pair *ca, const char *common_name, char *const *sans,
                    int64_t now_s, struct pki_pair *out);

/* Whether cert_pem names every one of sans (IP SANs by address, DNS SANs case-insensitively). */
bool pki_covers(const char *cert_pem, char *const *sans);

/* cert_pem's notAfter in unix seconds. -EINVAL when it does not parse. */
int pki_not_after(const char *cert_pem, int64_t *out);

/* 0 when cert_pem is signed by ca_pem and both are valid at now_s; -EINVAL when either does not
 * parse; -EBADMSG when the chain does not verify (a stranger's CA, a broken signature) or a
 * certificate is outside its validity at now_s. */
int pki_verify(const char *ca_pem, const char *cert_pem, int64_t now_s);

/* Whether a kept serving certificate still serves at now_s: it chains to ca_pem (pki_verify),
 * covers sans, and does not end within PKI_RENEW_BEFORE_S; and key_pem is its key. When not,
 * *why (if why) says why, a static string. */
bool pki_serving_current(const char *ca_pem, const struct pki_pair *serving, char *const *sans,
                         int64_t now_s, const char **why);

/* The SHA-256 of cert_pem's DER as 64 hex digits and a NUL; -EINVAL when it does not parse. */
int pki_fingerprint(const char *cert_pem, char out[65]);
