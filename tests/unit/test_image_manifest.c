/* tests/unit/test_image_manifest.c: indexes, manifests and configs of the OCI image spec and
 * Docker's schema 2 as registries and archives serve them, and what is refused (schema 1,
 * layer types nanolet cannot unpack, digests that are not sha256, broken JSON). */
#include "check_main.h"
#include <string.h>

#include "image/image.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"

static const char oci_manifest[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\","
        "\"config\":{\"mediaType\":\"" IMAGE_MT_OCI_CONFIG "\",\"digest\":\"sha256:" H1
        "\",\"size\":10},"
        "\"layers\":[{\"mediaType\":\"" IMAGE_MT_OCI_LAYER_GZ "\",\"digest\":\"sha256:" H2
        "\",\"size\":20},{\"mediaType\":\"" IMAGE_MT_OCI_LAYER_ZST "\",\"digest\":\"sha256:" H3
        "\",\"size\":30}]}";

START_TEST(test_manifest_oci)
{
	struct image_manifest m;
	struct nano_err err = {0};

	ck_assert_int_eq(image_manifest_parse(oci_manifest, strlen(oci_manifest), &m, &err), 0);
	ck_assert_str_eq(m.config.digest, "sha256:" H1);
	ck_assert_int_eq(m.config.size, 10);
	ck_assert_uint_eq(m.n_layers, 2);
	ck_assert_str_eq(m.layers[0].digest, "sha256:" H2);
	ck_assert_str_eq(m.layers[0].media_type, IMAGE_MT_OCI_LAYER_GZ);
	ck_assert_str_eq(m.layers[1].digest, "sha256:" H3);
	ck_assert_int_eq(m.layers[1].size, 30);
	ck_assert(!image_is_index(IMAGE_MT_OCI_MANIFEST, oci_manifest, strlen(oci_manifest)));
	ck_assert(!image_is_index(NULL, oci_manifest, strlen(oci_manifest)));
	image_manifest_done(&m);
}
END_TEST

struct bad_manifest {
	const char *name, *body;
	int rc;
	const char *words;
};

static const struct bad_manifest bad[] = {
        {"not json", "{", -EBADMSG, "not a JSON object"},
        {"schema 1", "{\"schemaVersion\":1,\"fsLayers\":[]}", -ENOTSUP, "schema 1"},
        {"no config", "{\"schemaVersion\":2,\"layers\":[]}", -EBADMSG,
         "config is not a descriptor"},
        {"sha512 config",
         "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha512:" H1 H1
         "\",\"size\":1},\"layers\":[]}",
         -ENOTSUP, "only sha256"},
        {"bad digest",
         "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:xyz\",\"size\":1},\"layers\":[]}",
         -EBADMSG, "invalid digest"},
        {"negative size",
         "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" H1 "\",\"size\":-1},"
         "\"layers\":[]}",
         -EBADMSG, "no valid size"},
        {"unknown layer type",
         "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" H1 "\",\"size\":1},"
         "\"layers\":[{\"mediaType\":\"application/x-squashfs\",\"digest\":\"sha256:" H2
         "\",\"size\":1}]}",
         -ENOTSUP, "application/x-squashfs is not supported"},
        {"layer without type",
         "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" H1 "\",\"size\":1},"
         "\"layers\":[{\"digest\":\"sha256:" H2 "\",\"size\":1}]}",
         -EBADMSG, "no mediaType"},
        {"an index",
         "{\"schemaVersion\":2,\"mediaType\":\"" IMAGE_MT_OCI_INDEX "\",\"manifests\":[]}",
         -EBADMSG, "is an index"},
};

START_TEST(test_manifest_refused)
{
	const struct bad_manifest *c = &bad[_i];
	struct image_manifest m;
	struct nano_err err = {0};

	ck_assert_int_eq(image_manifest_parse(c->body, strlen(c->body), &m, &err), c->rc);
	ck_assert_msg(strstr(err.message, c->words), "%s: %s", c->name, err.message);
	ck_assert_ptr_null(m.layers);
	nano_err_clear(&err);
}
END_TEST

START_TEST(test_manifest_docker_foreign)
{
	static const char body[] =
	        "{\"schemaVersion\":2,\"mediaType\":\"" IMAGE_MT_DOCKER_MANIFEST "\","
	        "\"config\":{\"mediaType\":\"" IMAGE_MT_DOCKER_CONFIG "\",\"digest\":\"sha256:" H1
	        "\",\"size\":1},\"layers\":[{\"mediaType\":\"" IMAGE_MT_DOCKER_LAYER
	        "\",\"digest\":\"sha256:" H2 "\",\"size\":2},{\"mediaType\":"
	        "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":"
	        "\"sha256:" H3 "\",\"size\":3,\"urls\":[\"https://example.com\"]}]}";
	struct image_manifest m;

	ck_assert_int_eq(image_manifest_parse(body, strlen(body), &m, NULL), 0);
	ck_assert_uint_eq(m.n_layers, 2);
	image_manifest_done(&m);
}
END_TEST

static const char index_body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" IMAGE_MT_OCI_INDEX "\",\"manifests\":["
        "{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"sha256:" H1 "\",\"size\":1,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"
        "{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"sha256:" H2 "\",\"size\":2,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
        "{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"sha256:" H3 "\",\"size\":3,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        "{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"sha256:" H1 "\",\"size\":4,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
        "{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"sha256:" H2 "\",\"size\":5,"
        "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}]}";

struct pick_case {
	const char *name;
	struct image_platform p;
	int rc;
	int64_t size; /* which entry: their sizes differ */
};

static const struct pick_case picks[] = {
        {"amd64", {"linux", "amd64", NULL}, 0, 3},
        {"arm64 v8", {"linux", "arm64", "v8"}, 0, 4},
        {"arm v7 by variant", {"linux", "arm", "v7"}, 0, 2},
        {"arm without variant takes the first", {"linux", "arm", NULL}, 0, 1},
        {"s390x absent", {"linux", "s390x", NULL}, -ENOENT, 0},
        {"windows absent", {"windows", "amd64", NULL}, -ENOENT, 0},
};

START_TEST(test_index_pick)
{
	const struct pick_case *c = &picks[_i];
	struct image_descriptor d;
	struct nano_err err = {0};

	ck_assert(image_is_index(NULL, index_body, strlen(index_body)));
	ck_assert(image_is_index(IMAGE_MT_DOCKER_LIST, "", 0));
	ck_assert_int_eq(
	        image_index_pick(index_body, strlen(index_body), &c->p, "busybox:1", &d, &err),
	        c->rc);
	if (c->rc == 0) {
		ck_assert_int_eq(d.size, c->size);
		ck_assert_str_eq(d.media_type, IMAGE_MT_OCI_MANIFEST);
		free(d.media_type);
	} else {
		ck_assert_ptr_nonnull(strstr(err.message, "no image for"));
		ck_assert_ptr_nonnull(strstr(err.message, "in busybox:1"));
		nano_err_clear(&err);
	}
}
END_TEST

START_TEST(test_index_node)
{
	struct image_platform p;
	struct image_descriptor d;

	image_platform_node(&p);
	ck_assert_str_eq(p.os, "linux");
	ck_assert_str_eq(p.architecture, UTIL_GOARCH);
	ck_assert_int_eq(image_index_pick("[]", 2, &p, "x", &d, NULL), -EBADMSG);
	ck_assert_int_eq(image_index_pick(oci_manifest, strlen(oci_manifest), &p, "x", &d, NULL),
	                 -EBADMSG);
}
END_TEST

START_TEST(test_config)
{
	static const char body[] =
	        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"nginx:web\","
	        "\"Env\":[\"PATH=/usr/bin\",\"A=b=c\"],\"Entrypoint\":[\"/bin/sh\",\"-c\"],"
	        "\"Cmd\":null,\"WorkingDir\":\"\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
	        "[\"sha256:" H1 "\",\"sha256:" H2 "\"]}}";
	struct image_config c;

	ck_assert_int_eq(image_config_parse(body, strlen(body), &c, NULL), 0);
	ck_assert_str_eq(c.user, "nginx:web");
	ck_assert_uint_eq(strv_len(c.env), 2);
	ck_assert_str_eq(c.env[1], "A=b=c");
	ck_assert_str_eq(c.entrypoint[1], "-c");
	ck_assert_ptr_null(c.cmd);
	ck_assert_ptr_null(c.working_dir);
	ck_assert_uint_eq(strv_len(c.diff_ids), 2);
	ck_assert_str_eq(c.diff_ids[0], "sha256:" H1);
	ck_assert_str_eq(c.os, "linux");
	image_config_done(&c);
}
END_TEST

START_TEST(test_config_refused)
{
	static const char *const bodies[] = {
	        "[]",
	        "{\"config\":{}}",
	        "{\"rootfs\":{\"diff_ids\":[\"sha256:abc\"]}}",
	        "{\"rootfs\":{\"diff_ids\":[]},\"config\":{\"Cmd\":\"sh\"}}",
	        "{\"rootfs\":{\"diff_ids\":[]},\"config\":{\"Env\":[1]}}",
	        "{\"rootfs\":{\"diff_ids\":[]},\"config\":[]}",
	};
	static const char bare[] = "{\"rootfs\":{\"diff_ids\":[]}}";
	struct image_config c;
	struct nano_err err = {0};

	for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
		ck_assert_msg(image_config_parse(bodies[i], strlen(bodies[i]), &c, &err) ==
		                      -EBADMSG,
		              "%s", bodies[i]);
		ck_assert_ptr_nonnull(err.message);
		nano_err_clear(&err);
	}
	/* no config object at all: an image with nothing to say but its layers */
	ck_assert_int_eq(image_config_parse(bare, strlen(bare), &c, NULL), 0);
	ck_assert_ptr_null(c.entrypoint);
	ck_assert_ptr_nonnull(c.diff_ids);
	image_config_done(&c);
}
END_TEST

static Suite *manifest_suite(void)
{
	Suite *s = suite_create("image_manifest");
	TCase *tc = tcase_create("manifest");

	tcase_add_test(tc, test_manifest_oci);
	tcase_add_loop_test(tc, test_manifest_refused, 0, (int)ELEMENTSOF(bad));
	tcase_add_test(tc, test_manifest_docker_foreign);
	tcase_add_loop_test(tc, test_index_pick, 0, (int)ELEMENTSOF(picks));
	tcase_add_test(tc, test_index_node);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_config_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(manifest_suite());
}
