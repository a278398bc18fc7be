/* tests/unit/test_image_archive.c: image_archive_import on archives written here with libarchive
 * (oci-archive: oci-layout, index.json, blobs/sha256; docker-archive: manifest.json, <hex>.json,
 * legacy <id>/layer.tar symlinks), into a real store. One row per behaviour: what loads, with
 * which id, tags and digests, and what is refused with which words, nothing kept. */
#include "check_main.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>

#include "image/image.h"
#include "tmp_fixture.h"

TMP_FIXTURE("/tmp/nanolet-image-archive-XXXXXX")

struct buf {
	char *data;
	size_t len;
};

static void digest_of(const void *data, size_t len, char out[IMAGE_DIGEST_LEN + 1])
{
	struct image_hash *h;

	ck_assert_int_eq(image_hash_new(&h), 0);
	image_hash_update(h, data, len);
	image_hash_finish(h, out);
}

/* A tar (gzip'd when gz) of entries: name, content (NULL and link: a symlink to link). */
struct entry {
	const char *name;
	const char *data;
	size_t len;
	const char *link;
};

static struct buf tar_of(const struct entry *e, size_t n, bool gz)
{
	struct archive *a = archive_write_new();
	struct buf b = {.data = malloc(1 << 20)};
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(archive_write_open_memory(a, b.data, 1 << 20, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mode(ae, (e[i].link ? AE_IFLNK : AE_IFREG) | 0644);
		if (e[i].link)
			archive_entry_set_symlink(ae, e[i].link);
		else
			archive_entry_set_size(ae, (la_int64_t)e[i].len);
		ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
		if (!e[i].link)
			ck_assert_int_eq(archive_write_data(a, e[i].data, e[i].len),
			                 (ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	b.len = used;
	return b;
}

/* One image's parts: a layer with hello.txt, its config, its OCI manifest. */
struct image_parts {
	struct buf layer, layer_gz;
	char diff_id[IMAGE_DIGEST_LEN + 1], layer_digest[IMAGE_DIGEST_LEN + 1];
	char *config;
	char config_digest[IMAGE_DIGEST_LEN + 1];
	char *manifest;
	char manifest_digest[IMAGE_DIGEST_LEN + 1];
	char *index;
};

static void parts_make(struct image_parts *p, const char *diff_id_override)
{
	const struct entry files[] = {{"hello.txt", "hello from the layer\n", 21, NULL}};

	p->layer = tar_of(files, 1, false);
	p->layer_gz = tar_of(files, 1, true);
	digest_of(p->layer.data, p->layer.len, p->diff_id);
	digest_of(p->layer_gz.data, p->layer_gz.len, p->layer_digest);
	p->config =
	        strdupf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/"
	                "sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
	                diff_id_override ? diff_id_override : p->diff_id);
	digest_of(p->config, strlen(p->config), p->config_digest);
	p->manifest =
	        strdupf("{\"schemaVersion\":2,\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST
	                "\",\"config\":{\"mediaType\":\"" IMAGE_MT_OCI_CONFIG
	                "\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
	                "\"" IMAGE_MT_OCI_LAYER_GZ "\",\"digest\":\"%s\",\"size\":%zu}]}",
	                p->config_digest, strlen(p->config), p->layer_digest, p->layer_gz.len);
	digest_of(p->manifest, strlen(p->manifest), p->manifest_digest);
	p->index = strdupf(
	        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST
	        "\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers."
	        "image.ref.name\":\"localhost/t:1\"}}]}",
	        p->manifest_digest, strlen(p->manifest));
}

static void parts_done(struct image_parts *p)
{
	free(p->layer.data);
	free(p->layer_gz.data);
	free(p->config);
	free(p->manifest);
	free(p->index);
}

static char *blob_name(const char *digest)
{
	return strdupf("blobs/sha256/%s", digest + 7);
}

enum shape {
	OCI,
	OCI_TAMPERED_LAYER,
	OCI_MISSING_LAYER,
	DOCKER_LEGACY,
	DOCKER_BAD_DIFF_ID,
	NEITHER,
	NOT_A_TAR,
	ESCAPE,
};

static struct buf archive_of(enum shape shape, struct image_parts *p)
{
	const char *layout = "{\"imageLayoutVersion\": \"1.0.0\"}";
	_cleanup_free_ char *mb = blob_name(p->manifest_digest), *cb = blob_name(p->config_digest),
	                    *lb = blob_name(p->layer_digest), *cj = NULL, *manifest_json = NULL;
	struct buf tampered = {0};

	switch (shape) {
	case OCI:
	case OCI_TAMPERED_LAYER:
	case OCI_MISSING_LAYER: {
		struct entry e[] = {
		        {lb, p->layer_gz.data, p->layer_gz.len, NULL},
		        {cb, p->config, strlen(p->config), NULL},
		        {mb, p->manifest, strlen(p->manifest), NULL},
		        {"index.json", p->index, strlen(p->index), NULL},
		        {"oci-layout", layout, strlen(layout), NULL},
		};
		if (shape == OCI_TAMPERED_LAYER) {
			tampered.data = malloc(p->layer_gz.len);
			memcpy(tampered.data, p->layer_gz.data, p->layer_gz.len);
			tampered.data[p->layer_gz.len / 2] ^= 0x55;
			e[0].data = tampered.data;
		}
		if (shape == OCI_MISSING_LAYER)
			e[0].name = "blobs/sha256/elsewhere";
		struct buf b = tar_of(e, ELEMENTSOF(e), false);
		free(tampered.data);
		return b;
	}
	case DOCKER_LEGACY:
	case DOCKER_BAD_DIFF_ID: {
		cj = strdupf("%s.json", p->config_digest + 7);
		manifest_json = strdupf("[{\"Config\":\"%s\",\"RepoTags\":[\"localhost/t:1\","
		                        "\"t:2\"],\"Layers\":[\"abc/layer.tar\"]}]",
		                        cj);
		struct entry e[] = {
		        {"0123.tar", p->layer.data, p->layer.len, NULL},
		        {"abc/layer.tar", NULL, 0, "../0123.tar"},
		        {"abc/VERSION", "1.0", 3, NULL},
		        {cj, p->config, strlen(p->config), NULL},
		        {"manifest.json", manifest_json, strlen(manifest_json), NULL},
		};
		return tar_of(e, ELEMENTSOF(e), false);
	}
	case NEITHER: {
		struct entry e[] = {{"hello", "hi\n", 3, NULL}};
		return tar_of(e, 1, false);
	}
	case ESCAPE: {
		struct entry e[] = {{"../outside", "hi\n", 3, NULL}};
		return tar_of(e, 1, false);
	}
	case NOT_A_TAR:
	default:
		return (struct buf){.data = strdup("this is no tar"), .len = 14};
	}
}

struct archive_case {
	const char *name;
	enum shape shape;
	int want;             /* 0 or the -errno */
	const char *message;  /* a part of the message (%s: the layer's digest) */
	const char *tags;     /* the record's repo_tags joined by " " */
	bool digest_is_given; /* repo_digests name the archive's own manifest */
};

static const struct archive_case cases[] = {
        {"oci-archive: tag from ref.name, its manifest digest", OCI, 0, NULL, "localhost/t:1",
         true},
        {"docker-archive: legacy layer.tar symlink, every RepoTag normalized, a manifest made",
         DOCKER_LEGACY, 0, NULL, "localhost/t:1 docker.io/library/t:2", false},
        {"a layer blob that is not its digest is refused naming it", OCI_TAMPERED_LAYER, -EBADMSG,
         "blob %s failed verification", NULL, false},
        {"a blob the manifest names and the archive lacks", OCI_MISSING_LAYER, -EBADMSG,
         "the archive has no blob %s", NULL, false},
        {"a config whose diff ID is not the layer's", DOCKER_BAD_DIFF_ID, -EBADMSG, NULL, NULL,
         false},
        {"a tar with neither index.json nor manifest.json", NEITHER, -EBADMSG,
         "not an image archive", NULL, false},
        {"not a tar", NOT_A_TAR, -EBADMSG, "not a tar archive", NULL, false},
        {"an entry that leaves the archive", ESCAPE, -EBADMSG, "../outside", NULL, false},
};

static size_t entries_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(test_import)
{
	const struct archive_case *t = &cases[_i];
	_cleanup_free_ char *dir = strdupf("%s/%d", tmp_base, _i);
	_cleanup_free_ char *store_dir = strdupf("%s/images", dir),
	                    *path = strdupf("%s/a.tar", dir);
	_cleanup_free_ char *tmp = NULL, *images = NULL, *want = NULL, *tags = NULL;
	struct image_parts p = {0};
	struct image_store *s = NULL;
	struct image_record *out = NULL;
	struct nano_err err = {0};
	struct buf b;
	size_t n = 0;
	FILE *f;
	int r;

	ck_assert_int_eq(mkdir_p(dir, 0700), 0);
	parts_make(
	        &p,
	        t->shape == DOCKER_BAD_DIFF_ID
	                ? "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	                : NULL);
	b = archive_of(t->shape, &p);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b.data, 1, b.len, f), b.len);
	fclose(f);
	free(b.data);
	ck_assert_int_eq(image_store_open(store_dir, &s, &err), 0);

	r = image_archive_import(s, path, 1000, &out, &n, &err);
	ck_assert_msg(r == t->want, "%s: %d (%s), want %d", t->name, r,
	              err.message ? err.message : "", t->want);
	if (t->message) {
		want = strdupf(t->message, p.layer_digest);
		ck_assert_msg(err.message && strstr(err.message, want), "%s: \"%s\" lacks \"%s\"",
		              t->name, err.message ? err.message : "", want);
	}
	if (r < 0) {
		ck_assert_int_eq(err.class, NANO_BAD_REQUEST);
		ck_assert_ptr_null(out);
	} else {
		struct image_record found = {0};
		_cleanup_free_ char *hello = NULL, *layer = image_store_layer_path(s, p.diff_id);
		_cleanup_free_ char *hello_path = strdupf("%s/hello.txt", layer);

		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(out[0].id, p.config_digest);
		tags = strv_join(out[0].repo_tags, " ");
		ck_assert_str_eq(tags, t->tags);
		if (t->digest_is_given)
			ck_assert_str_eq(out[0].manifest, p.manifest_digest);
		ck_assert(image_store_blob_has(s, out[0].manifest));
		ck_assert(strstr(out[0].repo_digests[0], out[0].manifest));
		ck_assert(image_store_layer_has(s, p.diff_id));
		ck_assert_int_eq(util_read_file_at(AT_FDCWD, hello_path, &hello), 0);
		ck_assert_str_eq(hello, "hello from the layer\n");
		ck_assert_int_eq(image_store_find(s, "localhost/t:1", &found, &err), 0);
		ck_assert_str_eq(found.id, p.config_digest);
		image_record_done(&found);
	}
	/* nothing of a refused archive, nor of the upload, stays */
	tmp = strdupf("%s/tmp", store_dir);
	images = strdupf("%s/images", store_dir);
	ck_assert_uint_eq(entries_in(tmp), 0);
	ck_assert_uint_eq(entries_in(images), r < 0 ? 0 : 1);
	if (r < 0 && t->shape != DOCKER_BAD_DIFF_ID) {
		_cleanup_free_ char *blobs = strdupf("%s/blobs/sha256", store_dir);

		ck_assert_uint_eq(entries_in(blobs), 0);
	}
	for (size_t i = 0; i < n; i++)
		image_record_done(&out[i]);
	free(out);
	nano_err_clear(&err);
	image_store_close(s);
	parts_done(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_archive");
	TCase *tc = tcase_create("import");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_import, 0, ELEMENTSOF(cases));
	suite_add_tcase(s, tc);
	return check_run(s);
}
