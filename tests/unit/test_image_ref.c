/* tests/unit/test_image_ref.c: image references as Kubernetes normalizes them (distribution's
 * ParseNormalizedNamed), the pull policy's default, sha256 digests. One row per behaviour. */
#include "check_main.h"
#include <string.h>

#include "image/image.h"

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct ref_case {
	const char *name;
	const char *input;
	const char *normalized; /* NULL: refused with -EINVAL */
	const char *repo;
	enum image_pull_policy policy;
};

static const struct ref_case cases[] = {
        {"official name", "busybox", "docker.io/library/busybox:latest",
         "docker.io/library/busybox", IMAGE_PULL_ALWAYS},
        {"official with tag", "busybox:1.36", "docker.io/library/busybox:1.36",
         "docker.io/library/busybox", IMAGE_PULL_IF_NOT_PRESENT},
        {"user repo", "bitnami/nginx:1", "docker.io/bitnami/nginx:1", "docker.io/bitnami/nginx",
         IMAGE_PULL_IF_NOT_PRESENT},
        {"legacy domain", "index.docker.io/library/busybox", "docker.io/library/busybox:latest",
         "docker.io/library/busybox", IMAGE_PULL_ALWAYS},
        {"docker.io without library", "docker.io/busybox", "docker.io/library/busybox:latest",
         "docker.io/library/busybox", IMAGE_PULL_ALWAYS},
        {"registry with port", "127.0.0.1:5000/test/app:v1", "127.0.0.1:5000/test/app:v1",
         "127.0.0.1:5000/test/app", IMAGE_PULL_IF_NOT_PRESENT},
        {"registry without library", "quay.io/app", "quay.io/app:latest", "quay.io/app",
         IMAGE_PULL_ALWAYS},
        {"localhost", "localhost/app", "localhost/app:latest", "localhost/app", IMAGE_PULL_ALWAYS},
        {"ipv6 registry", "[::1]:5000/app:1", "[::1]:5000/app:1", "[::1]:5000/app",
         IMAGE_PULL_IF_NOT_PRESENT},
        {"digest only", "busybox@" D, "docker.io/library/busybox@" D, "docker.io/library/busybox",
         IMAGE_PULL_IF_NOT_PRESENT},
        {"tag and digest", "busybox:1.36@" D, "docker.io/library/busybox:1.36@" D,
         "docker.io/library/busybox", IMAGE_PULL_IF_NOT_PRESENT},
        {"latest and digest", "busybox:latest@" D, "docker.io/library/busybox:latest@" D,
         "docker.io/library/busybox", IMAGE_PULL_ALWAYS},
        {"separators", "x/a.b_c__d-e--f", "docker.io/x/a.b_c__d-e--f:latest",
         "docker.io/x/a.b_c__d-e--f", IMAGE_PULL_ALWAYS},
        {"underscore is no domain", "a_b.io/x", NULL, NULL, 0},
        {"uppercase domain", "Registry/app", "Registry/app:latest", "Registry/app",
         IMAGE_PULL_ALWAYS},
        {"tag with dots", "app:v1.2-rc_3", "docker.io/library/app:v1.2-rc_3",
         "docker.io/library/app", IMAGE_PULL_IF_NOT_PRESENT},

        {"empty", "", NULL, NULL, 0},
        {"uppercase path", "Busybox", NULL, NULL, 0},
        {"uppercase repo under domain", "quay.io/App", NULL, NULL, 0},
        {"empty tag", "busybox:", NULL, NULL, 0},
        {"tag starting with dot", "busybox:.x", NULL, NULL, 0},
        {"tag too long",
         "busybox:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         NULL, NULL, 0},
        {"short digest", "busybox@sha256:abc", NULL, NULL, 0},
        {"sha512 digest",
         "busybox@sha512:"
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456"
         "789abcdef0123456789abcdef0123456789abcdef",
         NULL, NULL, 0},
        {"double slash", "a//b", NULL, NULL, 0},
        {"trailing slash", "a/", NULL, NULL, 0},
        {"leading separator", "-a", NULL, NULL, 0},
        {"triple underscore", "a___b", NULL, NULL, 0},
        {"64 hex", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL, NULL,
         0},
        {"space", "bus box", NULL, NULL, 0},
        {"bad port", "host:x/app", NULL, NULL, 0},
        {"domain label with dash", "-host.io/app", NULL, NULL, 0},
};

START_TEST(test_ref_table)
{
	const struct ref_case *c = &cases[_i];
	struct image_ref r;
	struct nano_err err = {0};
	int rc = image_ref_parse(c->input, &r, &err);

	if (!c->normalized) {
		ck_assert_msg(rc == -EINVAL, "%s: %s parsed (%d)", c->name, c->input, rc);
		ck_assert_ptr_nonnull(err.message);
		ck_assert_msg(strstr(err.message, "couldn't parse image name"), "%s: %s", c->name,
		              err.message);
		ck_assert_int_eq(err.class, NANO_INVALID);
		nano_err_clear(&err);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s: %s", c->name, c->input, err.message);
	char *s = image_ref_string(&r), *repo = image_ref_repo(&r);
	ck_assert_str_eq(s, c->normalized);
	ck_assert_str_eq(repo, c->repo);
	ck_assert_int_eq(image_pull_policy_default(&r), c->policy);
	free(s);
	free(repo);
	image_ref_done(&r);
}
END_TEST

START_TEST(test_ref_messages)
{
	struct image_ref r;
	struct nano_err err = {0};

	ck_assert_int_eq(image_ref_parse("a b", &r, &err), -EINVAL);
	ck_assert_str_eq(err.message,
	                 "couldn't parse image name \"a b\": invalid reference format");
	nano_err_clear(&err);
	ck_assert_int_eq(image_ref_parse("Foo", &r, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "must be lowercase"));
	nano_err_clear(&err);
}
END_TEST

START_TEST(test_local_roots)
{
	ck_assert(image_is_local_root(""));
	ck_assert(image_is_local_root("host"));
	ck_assert(image_is_local_root("/srv/root"));
	ck_assert(!image_is_local_root("busybox"));
	ck_assert(!image_is_local_root("hostname"));
}
END_TEST

START_TEST(test_digest)
{
	struct image_hash *h;
	char out[IMAGE_DIGEST_LEN + 1];

	ck_assert(image_digest_valid(D));
	ck_assert(!image_digest_valid("sha256:0123"));
	ck_assert(!image_digest_valid(
	        "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	ck_assert(!image_digest_valid(
	        "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	ck_assert(!image_digest_valid(NULL));

	/* sha256("") and sha256("abc"), fed in pieces */
	ck_assert_int_eq(image_hash_new(&h), 0);
	image_hash_finish(h, out);
	ck_assert_str_eq(out,
	                 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(image_hash_new(&h), 0);
	image_hash_update(h, "a", 1);
	image_hash_update(h, "bc", 2);
	image_hash_finish(h, out);
	ck_assert_str_eq(out,
	                 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(image_hash_new(&h), 0);
	image_hash_free(h);
}
END_TEST

static Suite *ref_suite(void)
{
	Suite *s = suite_create("image_ref");
	TCase *tc = tcase_create("ref");

	tcase_add_loop_test(tc, test_ref_table, 0, (int)ELEMENTSOF(cases));
	tcase_add_test(tc, test_ref_messages);
	tcase_add_test(tc, test_local_roots);
	tcase_add_test(tc, test_digest);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(ref_suite());
}
