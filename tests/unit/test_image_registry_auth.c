/* tests/unit/test_image_registry_auth.c: what the registry client answers a 401 with — the
 * WWW-Authenticate challenges distribution and Docker Hub send, the credentials of a docker
 * config.json per host, base64. The client itself is tested against a real registry in
 * tests/integration/images_registry.bats. Files live in a temporary directory. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "image/registry_auth.h"

static const struct {
	const char *header;
	int rc;
	const char *scheme, *realm, *service, *scope;
} challenge_cases[] = {
        {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
         "scope=\"repository:library/busybox:pull\"",
         0, "bearer", "https://auth.docker.io/token", "registry.docker.io",
         "repository:library/busybox:pull"},
        {"Bearer realm=\"http://127.0.0.1:1/token\",service=\"s\",scope=\"repository:a:pull,push\"",
         0, "bearer", "http://127.0.0.1:1/token", "s", "repository:a:pull,push"},
        {"Basic realm=\"nanolet-test\"", 0, "basic", "nanolet-test", NULL, NULL},
        {"  bearer Realm=\"r\" , Service=svc", 0, "bearer", "r", "svc", NULL},
        {"Bearer realm=\"unterminated", 0, "bearer", "unterminated", NULL, NULL},
        {"", -EINVAL, NULL, NULL, NULL, NULL},
};

START_TEST(test_challenge)
{
	struct registry_challenge c;
	int r = registry_challenge_parse(challenge_cases[_i].header, &c);

	ck_assert_int_eq(r, challenge_cases[_i].rc);
	if (r == 0) {
		ck_assert_str_eq(c.scheme, challenge_cases[_i].scheme);
		ck_assert_pstr_eq(c.realm, challenge_cases[_i].realm);
		ck_assert_pstr_eq(c.service, challenge_cases[_i].service);
		ck_assert_pstr_eq(c.scope, challenge_cases[_i].scope);
	}
	registry_challenge_done(&c);
}
END_TEST

static const struct {
	const char *in, *out;
} base64_cases[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"user:pass", "dXNlcjpwYXNz"},
};

START_TEST(test_base64)
{
	char *s = registry_base64(base64_cases[_i].in, strlen(base64_cases[_i].in));

	ck_assert_str_eq(s, base64_cases[_i].out);
	free(s);
}
END_TEST

static const char auth_json[] =
        "{\"auths\": {"
        "\"127.0.0.1:5000\": {\"auth\": \"dTpw\"},"
        "\"https://quay.io\": {\"username\": \"user\", \"password\": \"pass\"},"
        "\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1Yg==\"},"
        "\"empty.example\": {}"
        "}}";

static const struct {
	const char *host;
	const char *want; /* NULL: anonymous */
} auth_cases[] = {
        {"127.0.0.1:5000", "Basic dTpw"},
        {"quay.io", "Basic dXNlcjpwYXNz"},
        {"registry-1.docker.io", "Basic aHViOmh1Yg=="},
        {"docker.io", "Basic aHViOmh1Yg=="},
        {"127.0.0.1:5001", NULL},
        {"empty.example", NULL},
};

START_TEST(test_auth_file)
{
	char dir[] = "/tmp/nanolet-test-auth-XXXXXX";
	char path[64];
	struct nano_err err = {0};
	char *out = NULL;
	FILE *f;
	int r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(auth_json, f);
	fclose(f);
	r = registry_auth_basic(path, auth_cases[_i].host, &out, &err);
	ck_assert_int_eq(r, 0);
	ck_assert_pstr_eq(out, auth_cases[_i].want);
	free(out);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_auth_file_absent_or_bad)
{
	char dir[] = "/tmp/nanolet-test-auth-XXXXXX";
	char path[64];
	struct nano_err err = {0};
	char *out = (char *)"x";
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	/* no file: anonymous, as a node where nobody logged in */
	ck_assert_int_eq(registry_auth_basic(path, "quay.io", &out, &err), 0);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(registry_auth_basic(NULL, "quay.io", &out, &err), 0);
	ck_assert_ptr_null(out);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{not json", f);
	fclose(f);
	ck_assert_int_eq(registry_auth_basic(path, "quay.io", &out, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, path));
	nano_err_clear(&err);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *registry_auth_suite(void)
{
	Suite *s = suite_create("image_registry_auth");
	TCase *tc = tcase_create("auth");

	tcase_add_loop_test(tc, test_challenge, 0, (int)ELEMENTSOF(challenge_cases));
	tcase_add_loop_test(tc, test_base64, 0, (int)ELEMENTSOF(base64_cases));
	tcase_add_loop_test(tc, test_auth_file, 0, (int)ELEMENTSOF(auth_cases));
	tcase_add_test(tc, test_auth_file_absent_or_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(registry_auth_suite());
}
