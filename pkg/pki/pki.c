/* pkg/pki/pki.c: the CA, the serving certificate and their checks, with GnuTLS's x509 API.
 * The choices are those of a cluster's own CA as kubeadm makes one: ECDSA P-256, SHA-256
 * signatures, a random positive 128-bit serial, subject and authority key ids so that a
 * client finds the issuer, and for the serving certificate only what a server needs
 * (digitalSignature, serverAuth). */
#include "pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static void crt_freep(gnutls_x509_crt_t *c)
{
	if (*c)
		gnutls_x509_crt_deinit(*c);
}

static void key_freep(gnutls_x509_privkey_t *k)
{
	if (*k)
		gnutls_x509_privkey_deinit(*k);
}

#define _cleanup_crt_ __attribute__((cleanup(crt_freep)))
#define _cleanup_key_ __attribute__((cleanup(key_freep)))

/* GnuTLS's failures as -errno: what the caller can tell apart. */
static int tls_errno(int r)
{
	switch (r) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_BASE64_DECODING_ERROR:
	case GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR:
	case GNUTLS_E_ASN1_DER_ERROR:
	case GNUTLS_E_ASN1_TAG_ERROR:
	case GNUTLS_E_ASN1_ELEMENT_NOT_FOUND:
	case GNUTLS_E_ASN1_GENERIC_ERROR:
	case GNUTLS_E_PARSING_ERROR:
		return -EINVAL;
	}
	return -EIO;
}

void pki_pair_done(struct pki_pair *p)
{
	if (!p)
		return;
	free(p->cert);
	free(p->key);
	p->cert = p->key = NULL;
}

static int crt_parse(const char *pem, gnutls_x509_crt_t *out)
{
	gnutls_datum_t d = {(unsigned char *)pem, pem ? (unsigned)strlen(pem) : 0};
	int r;

	*out = NULL;
	if (!pem)
		return -EINVAL;
	r = gnutls_x509_crt_init(out);
	if (r < 0)
		return tls_errno(r);
	r = gnutls_x509_crt_import(*out, &d, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int key_parse(const char *pem, gnutls_x509_privkey_t *out)
{
	gnutls_datum_t d = {(unsigned char *)pem, pem ? (unsigned)strlen(pem) : 0};
	int r;

	*out = NULL;
	if (!pem)
		return -EINVAL;
	r = gnutls_x509_privkey_init(out);
	if (r < 0)
		return tls_errno(r);
	r = gnutls_x509_privkey_import(*out, &d, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

/* A datum GnuTLS allocated, as a NUL-terminated malloc'd string. */
static char *datum_string(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);

	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

static int export_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, struct pki_pair *out)
{
	gnutls_datum_t c = {0}, k = {0};
	int r;

	r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c);
	if (r < 0)
		return tls_errno(r);
	r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
	                                      &k);
	if (r < 0) {
		gnutls_free(c.data);
		return tls_errno(r);
	}
	out->cert = datum_string(&c);
	out->key = datum_string(&k);
	if (!out->cert || !out->key) {
		pki_pair_done(out);
		return -ENOMEM;
	}
	return 0;
}

/* What both certificates share: version 3, a serial, the validity, the subject and its key. */
static int crt_begin(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *common_name,
                     int64_t now_s, int days)
{
	unsigned char serial[16], key_id[64];
	size_t key_id_size = sizeof(key_id);
	int r;

	r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	if (r < 0)
		return tls_errno(r);
	serial[0] &= 0x7f; /* DER integers are signed: a serial must be positive (RFC 5280) */
	serial[0] |= 0x01; /* and not start with a zero byte */
	if ((r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(crt, (time_t)(now_s - PKI_BACKDATE_S))) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(
	             crt, (time_t)(now_s - PKI_BACKDATE_S + (int64_t)days * 24 * 3600))) < 0 ||
	    (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, common_name,
	                                       (unsigned)strlen(common_name))) < 0 ||
	    (r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (r = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_size)) <
	            0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_size)) < 0)
		return tls_errno(r);
	return 0;
}

static int key_new(gnutls_x509_privkey_t *key)
{
	int r = gnutls_x509_privkey_init(key);

	if (r >= 0)
		r = gnutls_x509_privkey_generate2(*key, GNUTLS_PK_ECDSA,
		                                  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
		                                  0, NULL, 0);
	return r < 0 ? tls_errno(r) : 0;
}

int pki_ca_new(const char *common_name, int64_t now_s, struct pki_pair *out)
{
	_cleanup_crt_ gnutls_x509_crt_t crt = NULL;
	_cleanup_key_ gnutls_x509_privkey_t key = NULL;
	int r;

	*out = (struct pki_pair){0};
	if (!common_name || !*common_name)
		return -EINVAL;
	r = key_new(&key);
	if (r < 0)
		return r;
	r = gnutls_x509_crt_init(&crt);
	if (r < 0)
		return tls_errno(r);
	r = crt_begin(crt, key, common_name, now_s, PKI_CA_DAYS);
	if (r < 0)
		return r;
	if ((r = gnutls_x509_crt_set_basic_constraints(crt, 1, 0)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
	                                                    GNUTLS_KEY_KEY_CERT_SIGN |
	                                                    GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
		return tls_errno(r);
	return export_pair(crt, key, out);
}

/* An IP SAN's address: 4 or 16 bytes into buf; 0 for no IP address. */
static size_t ip_bytes(const char *s, unsigned char buf[16])
{
	if (inet_pton(AF_INET, s, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return 16;
	return 0;
}

/* A DNS name a SAN may hold: letters, digits, '-', '.', not empty, at most 253. */
static bool is_dns_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

static bool seen_before(char *const *sans, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcasecmp(sans[j], sans[i]) == 0)
			return true;
	return false;
}

static int add_sans(gnutls_x509_crt_t crt, char *const *sans)
{
	for (size_t i = 0; sans && sans[i]; i++) {
		unsigned char ip[16];
		size_t n = ip_bytes(sans[i], ip);
		int r;

		if (seen_before(sans, i))
			continue;
		if (n > 0)
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
			                                         (unsigned)n, GNUTLS_FSAN_APPEND);
		else if (is_dns_name(sans[i]))
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, sans[i],
			                                         (unsigned)strlen(sans[i]),
			                                         GNUTLS_FSAN_APPEND);
		else
			return -EINVAL;
		if (r < 0)
			return tls_errno(r);
	}
	return 0;
}

int pki_serving_new(const struct pki_pair *ca, const char *common_name, char *const *sans,
                    int64_t now_s, struct pki_pair *out)
{
	_cleanup_crt_ gnutls_x509_crt_t crt = NULL, ca_crt = NULL;
	_cleanup_key_ gnutls_x509_privkey_t key = NULL, ca_key = NULL;
	unsigned char ca_id[64];
	size_t ca_id_size = sizeof(ca_id);
	int r;

	*out = (struct pki_pair){0};
	if (!common_name || !*common_name || !ca)
		return -EINVAL;
	r = crt_parse(ca->cert, &ca_crt);
	if (r >= 0)
		r = key_parse(ca->key, &ca_key);
	if (r < 0)
		return r;
	r = key_new(&key);
	if (r < 0)
		return r;
	r = gnutls_x509_crt_init(&crt);
	if (r < 0)
		return tls_errno(r);
	r = crt_begin(crt, key, common_name, now_s, PKI_SERVING_DAYS);
	if (r < 0)
		return r;
	r = add_sans(crt, sans);
	if (r < 0)
		return r;
	if ((r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (r = gnutls_x509_crt_get_subject_key_id(ca_crt, ca_id, &ca_id_size, NULL)) < 0 ||
	    (r = gnutls_x509_crt_set_authority_key_id(crt, ca_id, ca_id_size)) < 0 ||
	    (r = gnutls_x509_crt_sign2(crt, ca_crt, ca_key, GNUTLS_DIG_SHA256, 0)) < 0)
		return tls_errno(r);
	return export_pair(crt, key, out);
}

/* Whether crt has a SAN equal to san (an IP by its bytes, a name case-insensitively). */
static bool has_san(gnutls_x509_crt_t crt, const char *san)
{
	unsigned char ip[16];
	size_t n = ip_bytes(san, ip);

	for (unsigned seq = 0;; seq++) {
		char buf[512];
		size_t size = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* longer than any name we write */
		if (type < 0)
			return false;
		if (n > 0 && type == GNUTLS_SAN_IPADDRESS && size == n && memcmp(buf, ip, n) == 0)
			return true;
		buf[size] = '\0';
		if (n == 0 && type == GNUTLS_SAN_DNSNAME && strlen(buf) == size &&
		    strcasecmp(buf, san) == 0)
			return true;
	}
}

bool pki_covers(const char *cert_pem, char *const *sans)
{
	_cleanup_crt_ gnutls_x509_crt_t crt = NULL;

	if (crt_parse(cert_pem, &crt) < 0)
		return false;
	for (size_t i = 0; sans && sans[i]; i++)
		if (!has_san(crt, sans[i]))
			return false;
	return true;
}

int pki_not_after(const char *cert_pem, int64_t *out)
{
	_cleanup_crt_ gnutls_x509_crt_t crt = NULL;
	time_t t;
	int r = crt_parse(cert_pem, &crt);

	if (r < 0)
		return r;
	t = gnutls_x509_crt_get_expiration_time(crt);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = (int64_t)t;
	return 0;
}

static bool valid_at(gnutls_x509_crt_t crt, int64_t now_s)
{
	time_t from = gnutls_x509_crt_get_activation_time(crt),
	       to = gnutls_x509_crt_get_expiration_time(crt);

	return from != (time_t)-1 && to != (time_t)-1 && (int64_t)from <= now_s &&
	       now_s < (int64_t)to;
}

int pki_verify(const char *ca_pem, const char *cert_pem, int64_t now_s)
{
	_cleanup_crt_ gnutls_x509_crt_t ca = NULL, crt = NULL;
	unsigned status = 0;
	int r = crt_parse(ca_pem, &ca);

	if (r >= 0)
		r = crt_parse(cert_pem, &crt);
	if (r < 0)
		return r;
	/* the times are checked here, against now_s, not GnuTLS's clock */
	r = gnutls_x509_crt_verify(crt, &ca, 1,
	                           GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                                   GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
	                           &status);
	if (r < 0)
		return tls_errno(r);
	if (status != 0 || !valid_at(ca, now_s) || !valid_at(crt, now_s))
		return -EBADMSG;
	return 0;
}

/* Whether key is the private key of crt's public key. */
static bool key_matches(gnutls_x509_crt_t crt, const char *key_pem)
{
	_cleanup_key_ gnutls_x509_privkey_t key = NULL;
	unsigned char a[64], b[64];
	size_t a_size = sizeof(a), b_size = sizeof(b);

	if (key_parse(key_pem, &key) < 0)
		return false;
	return gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &a_size) >= 0 &&
	       gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &b_size) >= 0 &&
	       a_size == b_size && memcmp(a, b, a_size) == 0;
}

bool pki_serving_current(const char *ca_pem, const struct pki_pair *serving, char *const *sans,
                         int64_t now_s, const char **why)
{
	_cleanup_crt_ gnutls_x509_crt_t crt = NULL;
	const char *because = NULL;
	int64_t not_after = 0;

	if (crt_parse(serving->cert, &crt) < 0)
		because = "it does not parse";
	else if (!key_matches(crt, serving->key))
		because = "its key is not the certificate's";
	else if (pki_verify(ca_pem, serving->cert, now_s) < 0)
		because = "it is not signed by the CA, or not valid now";
	else if (!pki_covers(serving->cert, sans))
		because = "its SANs do not cover the names it must serve";
	else if (pki_not_after(serving->cert, &not_after) < 0 ||
	         not_after - now_s < PKI_RENEW_BEFORE_S)
		because = "it expires within 30 days";
	if (why)
		*why = because;
	return !because;
}

int pki_fingerprint(const char *cert_pem, char out[65])
{
	_cleanup_crt_ gnutls_x509_crt_t crt = NULL;
	unsigned char digest[32];
	size_t size = sizeof(digest);
	int r = crt_parse(cert_pem, &crt);

	if (r < 0)
		return r;
	r = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &size);
	if (r < 0 || size != sizeof(digest))
		return -EINVAL;
	for (size_t i = 0; i < size; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	return 0;
}
