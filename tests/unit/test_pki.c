/* tests/unit/test_pki.c: pkg/pki. A CA and a serving certificate made once per suite (ECDSA
 * keys take milliseconds): the serving certificate names every SAN it was given and no other,
 * chains to its CA (gnutls_x509_crt_verify through pki_verify) and not to a stranger's, and
 * is judged current or not, one row per reason, at a clock the test sets.
 */
#include "check_main.h"
#include <errno.h>
#include <string.h>

#include <gnutls/x509.h>

#include "pki/pki.h"
#include "util/util.h"

/* 2026-11-30T00:00:00Z: a fixed clock, as the package takes it */
#define NOW INT64_C(1796083200)
#define DAY (INT64_C(24) * 3600)

static struct pki_pair ca, serving, stranger, stranger_serving;
static char *sans[] = {"node1", "localhost", "127.0.0.1", "::1", "10.0.0.7", NULL};

static void setup(void)
{
	ck_assert_int_eq(pki_ca_new("nanolet-ca", NOW, &ca), 0);
	ck_assert_int_eq(pki_serving_new(&ca, "nanolet", sans, NOW, &serving), 0);
	ck_assert_int_eq(pki_ca_new("nanolet-ca", NOW, &stranger), 0);
	ck_assert_int_eq(pki_serving_new(&stranger, "nanolet", sans, NOW, &stranger_serving), 0);
}

static void teardown(void)
{
	pki_pair_done(&ca);
	pki_pair_done(&serving);
	pki_pair_done(&stranger);
	pki_pair_done(&stranger_serving);
}

START_TEST(pem_shapes)
{
	ck_assert_ptr_nonnull(strstr(ca.cert, "-----BEGIN CERTIFICATE-----"));
	ck_assert_ptr_nonnull(strstr(ca.key, "-----BEGIN PRIVATE KEY-----"));
	ck_assert_ptr_nonnull(strstr(serving.cert, "-----BEGIN CERTIFICATE-----"));
	ck_assert_ptr_nonnull(strstr(serving.key, "-----BEGIN PRIVATE KEY-----"));
}
END_TEST

/* The CA is a CA, the serving certificate is not, and it is for a server. */
START_TEST(ca_and_serving_constraints)
{
	gnutls_x509_crt_t c;
	gnutls_datum_t d;
	unsigned ca_flag = 0;
	char oid[128];
	size_t size = sizeof(oid);

	ck_assert_int_eq(gnutls_x509_crt_init(&c), 0);
	d = (gnutls_datum_t){(unsigned char *)ca.cert, (unsigned)strlen(ca.cert)};
	ck_assert_int_eq(gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(gnutls_x509_crt_get_basic_constraints(c, NULL, &ca_flag, NULL), 1);
	ck_assert_uint_eq(ca_flag, 1);
	ck_assert_int_eq(gnutls_x509_crt_get_pk_algorithm(c, NULL), GNUTLS_PK_ECDSA);
	gnutls_x509_crt_deinit(c);

	ck_assert_int_eq(gnutls_x509_crt_init(&c), 0);
	d = (gnutls_datum_t){(unsigned char *)serving.cert, (unsigned)strlen(serving.cert)};
	ck_assert_int_eq(gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(gnutls_x509_crt_get_basic_constraints(c, NULL, &ca_flag, NULL), 0);
	ck_assert_uint_eq(ca_flag, 0);
	ck_assert_int_eq(gnutls_x509_crt_get_key_purpose_oid(c, 0, oid, &size, NULL), 0);
	ck_assert_str_eq(oid, GNUTLS_KP_TLS_WWW_SERVER);
	gnutls_x509_crt_deinit(c);
}
END_TEST

static const struct {
	const char *name;
	char *sans[4];
	bool covered;
} coverage[] = {
        {"every SAN given", {"node1", "localhost", "127.0.0.1", NULL}, true},
        {"IPv6 by its bytes, any spelling", {"0:0:0:0:0:0:0:1", NULL}, true},
        {"a name case-insensitively", {"LocalHost", NULL}, true},
        {"another IPv4 address", {"127.0.0.2", NULL}, false},
        {"another name", {"node2", NULL}, false},
        {"an IP is not a name", {"10.0.0.8", NULL}, false},
        {"one missing among present ones", {"node1", "192.0.2.1", NULL}, false},
};

START_TEST(sans_covered)
{
	ck_assert_msg(pki_covers(serving.cert, coverage[_i].sans) == coverage[_i].covered, "%s",
	              coverage[_i].name);
}
END_TEST

START_TEST(bad_san_refused)
{
	struct pki_pair out;
	char *bad[] = {"localhost", "not a name", NULL};

	ck_assert_int_eq(pki_serving_new(&ca, "nanolet", bad, NOW, &out), -EINVAL);
	ck_assert_ptr_null(out.cert);
}
END_TEST

START_TEST(chain_verifies)
{
	ck_assert_int_eq(pki_verify(ca.cert, serving.cert, NOW), 0);
	ck_assert_int_eq(pki_verify(ca.cert, ca.cert, NOW), 0); /* self-signed */
	ck_assert_int_eq(pki_verify(stranger.cert, serving.cert, NOW), -EBADMSG);
	ck_assert_int_eq(pki_verify(ca.cert, stranger_serving.cert, NOW), -EBADMSG);
	ck_assert_int_eq(pki_verify(ca.cert, "not a certificate", NOW), -EINVAL);
	/* outside the validity: before it starts, after it ends */
	ck_assert_int_eq(pki_verify(ca.cert, serving.cert, NOW - 2 * PKI_BACKDATE_S), -EBADMSG);
	ck_assert_int_eq(pki_verify(ca.cert, serving.cert, NOW + PKI_SERVING_DAYS * DAY), -EBADMSG);
}
END_TEST

START_TEST(validity_period)
{
	int64_t not_after = 0;

	ck_assert_int_eq(pki_not_after(serving.cert, &not_after), 0);
	ck_assert_int_eq(not_after, NOW - PKI_BACKDATE_S + PKI_SERVING_DAYS * DAY);
	ck_assert_int_eq(pki_not_after(ca.cert, &not_after), 0);
	ck_assert_int_eq(not_after, NOW - PKI_BACKDATE_S + PKI_CA_DAYS * DAY);
	ck_assert_int_eq(pki_not_after("garbage", &not_after), -EINVAL);
}
END_TEST

/* One row per reason a kept serving certificate is made again, and the one where it is kept. */
enum which { SERVING, STRANGER_SERVING, SERVING_WITH_STRANGER_KEY };
static const struct {
	const char *name;
	enum which which;
	char *sans[3];
	int64_t at;
	bool current;
} currency[] = {
        {"fresh", SERVING, {"127.0.0.1", "localhost", NULL}, NOW, true},
        {"31 days before its end",
         SERVING,
         {"127.0.0.1", NULL},
         NOW - PKI_BACKDATE_S + (PKI_SERVING_DAYS - 31) * DAY,
         true},
        {"29 days before its end",
         SERVING,
         {"127.0.0.1", NULL},
         NOW - PKI_BACKDATE_S + (PKI_SERVING_DAYS - 29) * DAY,
         false},
        {"expired", SERVING, {"127.0.0.1", NULL}, NOW + 2 * PKI_SERVING_DAYS *DAY, false},
        {"listen address not covered", SERVING, {"192.0.2.10", NULL}, NOW, false},
        {"signed by another CA", STRANGER_SERVING, {"127.0.0.1", NULL}, NOW, false},
        {"key not the certificate's", SERVING_WITH_STRANGER_KEY, {"127.0.0.1", NULL}, NOW, false},
};

START_TEST(serving_current)
{
	struct pki_pair pair = serving;
	const char *why = "unset";

	if (currency[_i].which == STRANGER_SERVING)
		pair = stranger_serving;
	else if (currency[_i].which == SERVING_WITH_STRANGER_KEY)
		pair.key = stranger_serving.key;
	ck_assert_msg(pki_serving_current(ca.cert, &pair, currency[_i].sans, currency[_i].at,
	                                  &why) == currency[_i].current,
	              "%s: %s", currency[_i].name, why ? why : "current");
	if (currency[_i].current)
		ck_assert_ptr_null(why);
	else
		ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(fingerprints)
{
	char a[65], b[65], c[65];

	ck_assert_int_eq(pki_fingerprint(ca.cert, a), 0);
	ck_assert_int_eq(pki_fingerprint(ca.cert, b), 0);
	ck_assert_int_eq(pki_fingerprint(stranger.cert, c), 0);
	ck_assert_uint_eq(strlen(a), 64);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_int_eq(pki_fingerprint("", a), -EINVAL);
}
END_TEST

static Suite *pki_suite(void)
{
	Suite *s = suite_create("pki");
	TCase *tc = tcase_create("certificates");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pem_shapes);
	tcase_add_test(tc, ca_and_serving_constraints);
	tcase_add_loop_test(tc, sans_covered, 0, (int)ELEMENTSOF(coverage));
	tcase_add_test(tc, bad_san_refused);
	tcase_add_test(tc, chain_verifies);
	tcase_add_test(tc, validity_period);
	tcase_add_loop_test(tc, serving_current, 0, (int)ELEMENTSOF(currency));
	tcase_add_test(tc, fingerprints);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(pki_suite());
}
