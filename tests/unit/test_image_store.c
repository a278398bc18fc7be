/* tests/unit/test_image_store.c: the content store and its layer unpacker. Layers are made in
 * memory (image_fixture.h) and unpacked as a pull would: gzip, zstd and plain tars, whiteouts
 * and opaque directories as overlayfs reads them, hard links, owners and setuid bits (the
 * suite runs as root in make test; what needs root says so and is skipped otherwise), paths
 * that try to leave the layer, a diff ID that does not match; then records: tags that move,
 * finding by reference and id, removal of what no other image needs, lowerdirs, users. */
#include "check_main.h"
#include "image_fixture.h"
#include "tmp_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/xattr.h>

TMP_FIXTURE("/tmp/nanolet-image-store-XXXXXX")

static struct image_store *open_store(char **dir)
{
	struct image_store *s;
	struct nano_err err = {0};

	*dir = strdupf("%s/%d-XXXXXX", tmp_base, getpid());
	ck_assert_ptr_nonnull(mkdtemp(*dir));
	ck_assert_msg(image_store_open(*dir, &s, &err) == 0, "%s", err.message);
	return s;
}

static char *layer_file(struct image_store *s, const char *diff_id, const char *rel)
{
	char *root = image_store_layer_path(s, diff_id), *p = strdupf("%s/%s", root, rel);

	free(root);
	return p;
}

static bool tmp_empty(const char *dir)
{
	char *tmp = strdupf("%s/tmp", dir);
	DIR *d = opendir(tmp);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	free(tmp);
	return n == 0;
}

static const struct tentry rich[] = {
        {"./", 'd', NULL, 0755, 0, 0, NULL},
        {"bin/", 'd', NULL, 0755, 0, 0, NULL},
        {"bin/busybox", 'f', "#!busybox\n", 0755, 0, 0, "user.origin=test"},
        {"bin/sh", 'h', "bin/busybox", 0, 0, 0, NULL},
        {"bin/ls", 'l', "/bin/busybox", 0, 0, 0, NULL},
        {"usr/local/bin/su", 'f', "su", 04755, 0, 0, NULL},
        {"home/app/", 'd', NULL, 0700, 1000, 1001, NULL},
        {"home/app/notes", 'f', "hello", 0600, 1000, 1001, NULL},
        {"ro/", 'd', NULL, 0555, 0, 0, NULL},
        {"ro/inside", 'f', "x", 0444, 0, 0, NULL},
        {"dev/null", 'c', NULL, 0666, 0, 0, NULL},
        {"run/fifo", 'p', NULL, 0600, 0, 0, NULL},
        {"usr/share/a-directory-name-long-enough-that-ustar-splits-it/and-a-file-name-that-is-"
         "long-too.txt",
         'f', "long", 0644, 0, 0, NULL},
};

/* how registries serve layers: pax tars gzip'd, zstd'd or plain; GNU tar's format (docker
 * save of old images, tar --format=gnu) gzip'd */
static const struct {
	int format, filter;
} formats[] = {
        {0, ARCHIVE_FILTER_GZIP},
        {0, ARCHIVE_FILTER_ZSTD},
        {0, ARCHIVE_FILTER_NONE},
        {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_GZIP},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE},
};

START_TEST(test_unpack_formats)
{
	_cleanup_free_ char *dir = NULL;
	struct image_store *s = open_store(&dir);
	char blob[IMAGE_DIGEST_LEN + 1], diff[IMAGE_DIGEST_LEN + 1], value[16] = {0};
	struct nano_err err = {0};
	struct stat st, st2;
	char *p;

	fixture_layer_format(s, rich, ELEMENTSOF(rich), formats[_i].format, formats[_i].filter,
	                     blob, diff);
	ck_assert(!image_store_layer_has(s, diff));
	ck_assert_msg(image_store_unpack(s, blob, diff, &err) == 0, "%s", err.message);
	ck_assert(image_store_layer_has(s, diff));
	ck_assert(tmp_empty(dir));

	p = layer_file(s, diff, "bin/busybox");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(st.st_size, 10);
	ck_assert_int_eq(st.st_mtime, 1700000000);
	if (formats[_i].format == 0) { /* only pax carries xattrs */
		ck_assert_int_eq(getxattr(p, "user.origin", value, sizeof(value)), 4);
		ck_assert_str_eq(value, "test");
	}
	free(p);
	p = layer_file(s, diff, "bin/sh");
	ck_assert_int_eq(lstat(p, &st2), 0);
	ck_assert_int_eq(st2.st_ino, st.st_ino); /* a hard link, not a copy */
	ck_assert_int_eq(st2.st_nlink, 2);
	free(p);
	p = layer_file(s, diff, "bin/ls");
	char target[64] = {0};
	ck_assert_int_eq(readlink(p, target, sizeof(target)), 12);
	ck_assert_str_eq(target, "/bin/busybox");
	free(p);
	p = layer_file(s, diff, "ro");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0555);
	ck_assert_int_eq(st.st_mtime, 1700000000);
	free(p);
	p = layer_file(s, diff, "run/fifo");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	free(p);
	if (geteuid() == 0) {
		p = layer_file(s, diff, "usr/local/bin/su");
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 04755);
		free(p);
		p = layer_file(s, diff, "home/app/notes");
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_uid, 1000);
		ck_assert_int_eq(st.st_gid, 1001);
		free(p);
		p = layer_file(s, diff, "home/app");
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_uid, 1000);
		ck_assert_int_eq(st.st_mode & 07777, 0700);
		free(p);
		p = layer_file(s, diff, "dev/null");
		ck_assert_int_eq(lstat(p, &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
		ck_assert_int_eq(st.st_rdev, makedev(1, 3));
		free(p);
	}
	p = layer_file(s, diff,
	               "usr/share/a-directory-name-long-enough-that-ustar-splits-it/"
	               "and-a-file-name-that-is-long-too.txt");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	free(p);
	/* a second unpack of the same layer finds it */
	ck_assert_int_eq(image_store_unpack(s, blob, diff, &err), 0);
	image_store_close(s);
}
END_TEST

START_TEST(test_unpack_whiteouts)
{
	static const struct tentry lower[] = {
	        {"etc/passwd", 'f', "root:x:0:0::/root:/bin/sh\n", 0, 0, 0, NULL},
	        {"etc/motd", 'f', "hi", 0, 0, 0, NULL},
	        {"var/cache/a", 'f', "a", 0, 0, 0, NULL},
	};
	static const struct tentry upper[] = {
	        {"etc/.wh.motd", 'f', NULL, 0, 0, 0, NULL},
	        {"var/cache/.wh..wh..opq", 'f', NULL, 0, 0, 0, NULL},
	        {"var/cache/b", 'f', "b", 0, 0, 0, NULL},
	};
	_cleanup_free_ char *dir = NULL;
	struct image_store *s;
	char blob[IMAGE_DIGEST_LEN + 1], diff[IMAGE_DIGEST_LEN + 1], value[4] = {0};
	struct nano_err err = {0};
	struct stat st;
	char *p;

	if (geteuid() != 0)
		return; /* whiteouts are device nodes and trusted.* xattrs: root's */
	s = open_store(&dir);
	fixture_layer(s, lower, ELEMENTSOF(lower), ARCHIVE_FILTER_GZIP, blob, diff);
	ck_assert_int_eq(image_store_unpack(s, blob, diff, &err), 0);
	fixture_layer(s, upper, ELEMENTSOF(upper), ARCHIVE_FILTER_GZIP, blob, diff);
	ck_assert_msg(image_store_unpack(s, blob, diff, &err) == 0, "%s", err.message);
	p = layer_file(s, diff, "etc/motd");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(st.st_rdev, makedev(0, 0));
	free(p);
	p = layer_file(s, diff, "etc/.wh.motd");
	ck_assert_int_eq(lstat(p, &st), -1);
	free(p);
	p = layer_file(s, diff, "var/cache");
	ck_assert_int_eq(getxattr(p, "trusted.overlay.opaque", value, sizeof(value)), 1);
	ck_assert_str_eq(value, "y");
	free(p);
	p = layer_file(s, diff, "var/cache/.wh..wh..opq");
	ck_assert_int_eq(lstat(p, &st), -1);
	free(p);
	p = layer_file(s, diff, "var/cache/b");
	ck_assert_int_eq(lstat(p, &st), 0);
	free(p);
	image_store_close(s);
}
END_TEST

struct escape_case {
	const char *name;
	struct tentry e[3];
	size_t n;
	const char *words;
};

static const struct escape_case escapes[] = {
        {"dot dot", {{"../evil", 'f', "x", 0, 0, 0, NULL}}, 1, "leaves the layer"},
        {"dot dot inside", {{"a/../../evil", 'f', "x", 0, 0, 0, NULL}}, 1, "leaves the layer"},
        {"absolute", {{"/etc/evil", 'f', "x", 0, 0, 0, NULL}}, 1, "absolute"},
        {"through a symlink",
         {{"link", 'l', "/tmp", 0, 0, 0, NULL}, {"link/evil", 'f', "x", 0, 0, 0, NULL}},
         2,
         "through a symlink"},
        {"through a relative symlink",
         {{"up", 'l', "..", 0, 0, 0, NULL}, {"up/evil", 'f', "x", 0, 0, 0, NULL}},
         2,
         "through a symlink"},
        {"hard link out", {{"h", 'h', "../../etc/passwd", 0, 0, 0, NULL}}, 1, "leaves the layer"},
        {"hard link through a symlink",
         {{"link", 'l', "/etc", 0, 0, 0, NULL}, {"h", 'h', "link/passwd", 0, 0, 0, NULL}},
         2,
         "through a symlink"},
        {"hard link to nothing", {{"h", 'h', "missing", 0, 0, 0, NULL}}, 1, "to nothing"},
        {"whiteout through a symlink",
         {{"link", 'l', "/etc", 0, 0, 0, NULL}, {"link/.wh.passwd", 'f', NULL, 0, 0, 0, NULL}},
         2,
         "through a symlink"},
};

START_TEST(test_unpack_escapes)
{
	const struct escape_case *c = &escapes[_i];
	_cleanup_free_ char *dir = NULL;
	struct image_store *s = open_store(&dir);
	char blob[IMAGE_DIGEST_LEN + 1], diff[IMAGE_DIGEST_LEN + 1];
	struct nano_err err = {0};

	fixture_layer(s, c->e, c->n, ARCHIVE_FILTER_GZIP, blob, diff);
	ck_assert_int_eq(image_store_unpack(s, blob, diff, &err), -EBADMSG);
	ck_assert_msg(strstr(err.message, c->words), "%s: %s", c->name, err.message);
	ck_assert_ptr_nonnull(strstr(err.message, blob));
	ck_assert(!image_store_layer_has(s, diff));
	ck_assert(tmp_empty(dir));
	ck_assert_int_eq(access("/tmp/evil", F_OK), -1);
	nano_err_clear(&err);
	image_store_close(s);
}
END_TEST

START_TEST(test_unpack_diff_id_mismatch)
{
	static const struct tentry e[] = {{"a", 'f', "a", 0, 0, 0, NULL}};
	static const struct tentry other[] = {{"b", 'f', "b", 0, 0, 0, NULL}};
	_cleanup_free_ char *dir = NULL;
	struct image_store *s = open_store(&dir);
	char blob[IMAGE_DIGEST_LEN + 1], diff[IMAGE_DIGEST_LEN + 1];
	char blob2[IMAGE_DIGEST_LEN + 1], diff2[IMAGE_DIGEST_LEN + 1];
	struct nano_err err = {0};

	fixture_layer(s, e, 1, ARCHIVE_FILTER_ZSTD, blob, diff);
	fixture_layer(s, other, 1, ARCHIVE_FILTER_ZSTD, blob2, diff2);
	/* blob's content, named by another layer's diff ID */
	ck_assert_int_eq(image_store_unpack(s, blob, diff2, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.message, "failed verification"));
	ck_assert_ptr_nonnull(strstr(err.message, blob));
	ck_assert_ptr_nonnull(strstr(err.message, diff));
	ck_assert_ptr_nonnull(strstr(err.message, diff2));
	ck_assert(!image_store_layer_has(s, diff2));
	ck_assert(tmp_empty(dir));
	nano_err_clear(&err);
	/* not a tar at all */
	ck_assert_int_eq(image_store_blob_put(s, "garbage, not a tar", 18, NULL, blob, NULL), 0);
	ck_assert_int_eq(image_store_unpack(s, blob, diff, &err), -EBADMSG);
	ck_assert(tmp_empty(dir));
	nano_err_clear(&err);
	/* a truncated gzip stream */
	char *tar, *z;
	size_t len, zlen;
	fixture_tar(rich, ELEMENTSOF(rich), &tar, &len);
	fixture_compress(tar, len, ARCHIVE_FILTER_GZIP, &z, &zlen);
	ck_assert_int_eq(image_store_blob_put(s, z, zlen / 2, NULL, blob, NULL), 0);
	ck_assert_int_eq(image_store_unpack(s, blob, diff, &err), -EBADMSG);
	ck_assert(tmp_empty(dir));
	nano_err_clear(&err);
	free(tar);
	free(z);
	image_store_close(s);
}
END_TEST

struct race {
	struct image_store *s;
	const char *blob, *diff;
	int r;
};

static void *race_unpack(void *arg)
{
	struct race *r = arg;

	r->r = image_store_unpack(r->s, r->blob, r->diff, NULL);
	return NULL;
}

START_TEST(test_unpack_concurrent)
{
	_cleanup_free_ char *dir = NULL;
	struct image_store *s = open_store(&dir);
	char blob[IMAGE_DIGEST_LEN + 1], diff[IMAGE_DIGEST_LEN + 1];
	struct race r[4];
	pthread_t t[4];

	fixture_layer(s, rich, ELEMENTSOF(rich), ARCHIVE_FILTER_GZIP, blob, diff);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){s, blob, diff, -1};
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_unpack, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(r[i].r, 0);
	}
	ck_assert(image_store_layer_has(s, diff));
	ck_assert(tmp_empty(dir));
	image_store_close(s);
}
END_TEST

START_TEST(test_blobs)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *data = NULL, *want = NULL;
	struct image_store *s = open_store(&dir);
	char digest[IMAGE_DIGEST_LEN + 1], wrong[IMAGE_DIGEST_LEN + 1];
	struct nano_err err = {0};
	size_t len;
	int fd;

	ck_assert_int_eq(image_store_blob_put(s, "{}", 2, NULL, digest, &err), 0);
	ck_assert(image_store_blob_has(s, digest));
	ck_assert_int_eq(image_store_blob_read(s, digest, &data, &len, &err), 0);
	ck_assert_str_eq(data, "{}");
	ck_assert_uint_eq(len, 2);
	fixture_digest("other", 5, wrong);
	ck_assert_int_eq(image_store_blob_put(s, "{}", 2, wrong, NULL, &err), -EBADMSG);
	ck_assert(!image_store_blob_has(s, wrong));
	nano_err_clear(&err);

	/* streamed in by the caller, verified at commit */
	ck_assert_int_eq(image_store_tmp_file(s, &fd, &path, &err), 0);
	ck_assert_int_eq(write(fd, "other", 5), 5);
	close(fd);
	ck_assert_int_eq(image_store_blob_commit(s, path, wrong, digest, &err), -EBADMSG);
	want = strdupf("blob %s failed verification: its content is %s", digest, wrong);
	ck_assert_str_eq(err.message, want);
	ck_assert_int_eq(access(path, F_OK), -1);
	nano_err_clear(&err);
	free(path);
	ck_assert_int_eq(image_store_tmp_file(s, &fd, &path, &err), 0);
	ck_assert_int_eq(write(fd, "other", 5), 5);
	close(fd);
	ck_assert_int_eq(image_store_blob_commit(s, path, wrong, wrong, &err), 0);
	ck_assert(image_store_blob_has(s, wrong));
	ck_assert(tmp_empty(dir));

	/* tmp/ is emptied at open: what a crash left there goes */
	free(path);
	ck_assert_int_eq(image_store_tmp_file(s, &fd, &path, &err), 0);
	close(fd);
	image_store_close(s);
	ck_assert_int_eq(image_store_open(dir, &s, &err), 0);
	ck_assert(tmp_empty(dir));
	ck_assert(image_store_blob_has(s, wrong));
	image_store_close(s);
}
END_TEST

/* ---- records ---- */

/* An image of the given layers (already blobs), its config and manifest put as blobs. */
static void make_image(struct image_store *s, char (*blobs)[IMAGE_DIGEST_LEN + 1],
                       char (*diffs)[IMAGE_DIGEST_LEN + 1], size_t n, const char *user,
                       const char *tag, struct image_record *r)
{
	char *config, *manifest, *layers = strdup(""), *ids = strdup("");
	struct nano_err err = {0};

	for (size_t i = 0; i < n; i++) {
		char *l = strdupf("%s%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":100}",
		                  layers, i ? "," : "", IMAGE_MT_OCI_LAYER_GZ, blobs[i]);
		char *d = strdupf("%s%s\"%s\"", ids, i ? "," : "", diffs[i]);

		free(layers);
		free(ids);
		layers = l;
		ids = d;
	}
	config = strdupf("{\"config\":{\"User\":\"%s\"},\"rootfs\":{\"type\":\"layers\","
	                 "\"diff_ids\":[%s]}}",
	                 user, ids);
	*r = (struct image_record){0};
	ck_assert_int_eq(image_store_blob_put(s, config, strlen(config), NULL, r->id, &err), 0);
	manifest =
	        strdupf("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
	                "\"size\":%zu},\"layers\":[%s]}",
	                IMAGE_MT_OCI_CONFIG, r->id, strlen(config), layers);
	ck_assert_int_eq(
	        image_store_blob_put(s, manifest, strlen(manifest), NULL, r->manifest, &err), 0);
	ck_assert_int_eq(image_manifest_parse(manifest, strlen(manifest), &r->layers, &err), 0);
	ck_assert_int_eq(image_config_parse(config, strlen(config), &r->config, &err), 0);
	strv_pushf(&r->repo_tags, "%s", tag);
	strv_pushf(&r->repo_digests, "docker.io/library/x@%s", r->manifest);
	free(config);
	free(manifest);
	free(layers);
	free(ids);
}

static const struct tentry base_layer[] = {
        {"etc/passwd", 'f', "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
         0, 0, 0, NULL},
        {"etc/group", 'f', "root:x:0:\nweb:x:33:app\n", 0, 0, 0, NULL},
        {"bin/sh", 'f', "sh", 0755, 0, 0, NULL},
};
static const struct tentry app_layer[] = {{"app/run", 'f', "run", 0755, 0, 0, NULL}};
static const struct tentry nopasswd_layer[] = {{"etc/.wh.passwd", 'f', NULL, 0, 0, 0, NULL}};

START_TEST(test_records)
{
	_cleanup_free_ char *dir = NULL;
	struct image_store *s = open_store(&dir);
	char blobs[2][IMAGE_DIGEST_LEN + 1], diffs[2][IMAGE_DIGEST_LEN + 1];
	struct image_record a, b, found, *list;
	struct nano_err err = {0};
	char **lower;
	size_t n;
	int64_t freed, usage;

	fixture_layer(s, base_layer, ELEMENTSOF(base_layer), ARCHIVE_FILTER_GZIP, blobs[0],
	              diffs[0]);
	fixture_layer(s, app_layer, ELEMENTSOF(app_layer), ARCHIVE_FILTER_ZSTD, blobs[1], diffs[1]);
	make_image(s, blobs, diffs, 1, "", "docker.io/library/base:1", &a);
	make_image(s, blobs, diffs, 2, "app", "docker.io/library/app:1", &b);

	/* the layers must be there first */
	ck_assert_int_eq(image_store_put(s, &a, 100, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, diffs[0]));
	nano_err_clear(&err);
	ck_assert_int_eq(image_store_unpack(s, blobs[0], diffs[0], &err), 0);
	ck_assert_int_eq(image_store_unpack(s, blobs[1], diffs[1], &err), 0);
	ck_assert_msg(image_store_put(s, &a, 100, &err) == 0, "%s", err.message);
	ck_assert_msg(image_store_put(s, &b, 200, &err) == 0, "%s", err.message);

	/* by tag (as written or normalized), by digest, by id and its prefix */
	ck_assert_int_eq(image_store_find(s, "base:1", &found, &err), 0);
	ck_assert_str_eq(found.id, a.id);
	ck_assert_int_eq(found.created, 100);
	ck_assert_int_eq(found.size, a.layers.config.size + 100);
	ck_assert_uint_eq(strv_len(found.config.diff_ids), 1);
	image_record_done(&found);
	char *by_digest = strdupf("docker.io/library/x@%s", b.manifest);
	ck_assert_int_eq(image_store_find(s, by_digest, &found, &err), 0);
	ck_assert_str_eq(found.id, b.id);
	image_record_done(&found);
	free(by_digest);
	ck_assert_int_eq(image_store_find(s, b.id, &found, &err), 0);
	ck_assert_str_eq(found.repo_tags[0], "docker.io/library/app:1");
	image_record_done(&found);
	char prefix[13];
	memcpy(prefix, b.id + 7, 12);
	prefix[12] = 0;
	ck_assert_int_eq(image_store_find(s, prefix, &found, &err), 0);
	ck_assert_str_eq(found.id, b.id);
	image_record_done(&found);
	ck_assert_int_eq(image_store_find(s, "base:2", &found, &err), -ENOENT);
	nano_err_clear(&err);

	/* lowerdirs: top first */
	ck_assert_int_eq(image_store_lowerdirs(s, &b, &lower, &err), 0);
	ck_assert_uint_eq(strv_len(lower), 2);
	char *top = image_store_layer_path(s, diffs[1]);
	ck_assert_str_eq(lower[0], top);
	free(top);
	strv_free(lower);

	/* a tag moves: app:1 now names a as well */
	strv_free(a.repo_tags);
	a.repo_tags = NULL;
	strv_pushf(&a.repo_tags, "docker.io/library/app:1");
	ck_assert_int_eq(image_store_put(s, &a, 300, &err), 0);
	ck_assert_int_eq(image_store_find(s, "app:1", &found, &err), 0);
	ck_assert_str_eq(found.id, a.id);
	ck_assert_uint_eq(strv_len(found.repo_tags), 2); /* base:1 and app:1 */
	ck_assert_int_eq(found.created, 100);            /* the record was merged, not made */
	image_record_done(&found);
	ck_assert_int_eq(image_store_find(s, b.id, &found, &err), 0);
	ck_assert_uint_eq(strv_len(found.repo_tags), 0);
	image_record_done(&found);

	ck_assert_int_eq(image_store_touch(s, b.id, 999, &err), 0);
	ck_assert_int_eq(image_store_list(s, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].id, b.id) == 0)
			ck_assert_int_eq(list[i].last_used, 999);
		image_record_done(&list[i]);
	}
	free(list);

	/* removing b keeps the base layer a needs, and removes b's own */
	ck_assert_int_eq(image_store_usage(s, &usage, &err), 0);
	ck_assert_int_gt(usage, 0);
	ck_assert_int_eq(image_store_remove(s, b.id, &freed, &err), 0);
	ck_assert_int_gt(freed, 0);
	ck_assert(image_store_layer_has(s, diffs[0]));
	ck_assert(image_store_blob_has(s, blobs[0]));
	ck_assert(!image_store_layer_has(s, diffs[1]));
	ck_assert(!image_store_blob_has(s, blobs[1]));
	ck_assert(!image_store_blob_has(s, b.id));
	ck_assert_int_eq(image_store_find(s, b.id, &found, &err), -ENOENT);
	nano_err_clear(&err);
	ck_assert_int_eq(image_store_remove(s, b.id, NULL, &err), -ENOENT);
	nano_err_clear(&err);
	ck_assert_int_eq(image_store_remove(s, a.id, NULL, &err), 0);
	ck_assert(!image_store_layer_has(s, diffs[0]));
	ck_assert(!image_store_blob_has(s, a.manifest));
	image_record_done(&a);
	image_record_done(&b);
	image_store_close(s);
}
END_TEST

struct user_case {
	const char *user;
	bool hidden; /* passwd whited out above */
	int rc;
	uint32_t uid, gid;
	bool has_gid;
	const char *words;
};

static const struct user_case users[] = {
        {"", false, 0, 0, 0, false, NULL},
        {"1000", false, 0, 1000, 1000, true, NULL}, /* listed: its group from passwd */
        {"4242", false, 0, 4242, 0, false, NULL},
        {"4242:7", false, 0, 4242, 7, true, NULL},
        {"app", false, 0, 1000, 1000, true, NULL},
        {"app:web", false, 0, 1000, 33, true, NULL},
        {"root:0", false, 0, 0, 0, true, NULL},
        {"nobody", false, -ENOENT, 0, 0, false,
         "unable to find user nobody: no matching entries in passwd file"},
        {"app:nogroup", false, -ENOENT, 0, 0, false,
         "unable to find group nogroup: no matching entries in group file"},
        {"app", true, -ENOENT, 0, 0, false,
         "unable to find user app: no matching entries in passwd file"},
        {"1000", true, 0, 1000, 0, false, NULL},
};

START_TEST(test_user)
{
	const struct user_case *c = &users[_i];
	_cleanup_free_ char *dir = NULL;
	struct image_store *s;
	char blobs[2][IMAGE_DIGEST_LEN + 1], diffs[2][IMAGE_DIGEST_LEN + 1];
	struct image_record r;
	struct nano_err err = {0};
	uint32_t uid = 99, gid = 99;
	bool has_gid;

	if (c->hidden && geteuid() != 0)
		return; /* a whiteout is root's to make */
	s = open_store(&dir);
	fixture_layer(s, base_layer, ELEMENTSOF(base_layer), ARCHIVE_FILTER_GZIP, blobs[0],
	              diffs[0]);
	ck_assert_int_eq(image_store_unpack(s, blobs[0], diffs[0], &err), 0);
	if (c->hidden) {
		fixture_layer(s, nopasswd_layer, 1, ARCHIVE_FILTER_GZIP, blobs[1], diffs[1]);
		ck_assert_int_eq(image_store_unpack(s, blobs[1], diffs[1], &err), 0);
	}
	make_image(s, blobs, diffs, c->hidden ? 2 : 1, c->user, "docker.io/library/u:1", &r);
	ck_assert_int_eq(image_store_user(s, &r, c->user, &uid, &gid, &has_gid, &err), c->rc);
	if (c->rc == 0) {
		ck_assert_int_eq(uid, c->uid);
		ck_assert_int_eq(gid, c->gid);
		ck_assert_int_eq(has_gid, c->has_gid);
	} else {
		ck_assert_str_eq(err.message, c->words);
		nano_err_clear(&err);
	}
	image_record_done(&r);
	image_store_close(s);
}
END_TEST

/* supplementalGroupsPolicy Merge: the groups /etc/group lists the user in */
static const struct tentry groups_layer[] = {
        {"etc/passwd", 'f', "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
         0, 0, 0, NULL},
        {"etc/group", 'f',
         "root:x:0:\n# wheel:x:11:app\nwheel:x:10:root,app\napp:x:1000:app\nweb:x:33:app\n"
         "audio:x:63:apprentice,app2\nwww:x:33:app\nbad:x:x:app\nshort:x:77\nlast:x:90:app",
         0, 0, 0, NULL},
};

struct groups_case {
	const char *user;
	bool hidden; /* passwd whited out above */
	const char *gids;
};

static const struct groups_case groups_cases[] = {
        {"app", false, "10 33 90"},  /* not its own group app, 33 once */
        {"1000", false, "10 33 90"}, /* named app by passwd */
        {"0", false, "10"},          /* root */
        {"4242", false, ""},         /* no passwd line: no name */
        {"nobody", false, ""},       /* a name is taken as it is */
        {"", false, ""},
        {"1000", true, ""}, /* no passwd */
        {"app", true, "10 33 90"},
};

START_TEST(test_user_groups)
{
	const struct groups_case *c = &groups_cases[_i];
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ uint32_t *gids = NULL;
	struct image_store *s;
	char blobs[2][IMAGE_DIGEST_LEN + 1], diffs[2][IMAGE_DIGEST_LEN + 1], got[64] = "";
	struct image_record r;
	struct nano_err err = {0};
	size_t n = 99;

	if (c->hidden && geteuid() != 0)
		return; /* a whiteout is root's to make */
	s = open_store(&dir);
	fixture_layer(s, groups_layer, ELEMENTSOF(groups_layer), ARCHIVE_FILTER_GZIP, blobs[0],
	              diffs[0]);
	ck_assert_int_eq(image_store_unpack(s, blobs[0], diffs[0], &err), 0);
	if (c->hidden) {
		fixture_layer(s, nopasswd_layer, 1, ARCHIVE_FILTER_GZIP, blobs[1], diffs[1]);
		ck_assert_int_eq(image_store_unpack(s, blobs[1], diffs[1], &err), 0);
	}
	make_image(s, blobs, diffs, c->hidden ? 2 : 1, "", "docker.io/library/g:1", &r);
	ck_assert_int_eq(image_store_user_groups(s, &r, c->user, &gids, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%" PRIu32, i ? " " : "",
		         gids[i]);
	ck_assert_str_eq(got, c->gids);
	ck_assert(n > 0 || !gids);
	image_record_done(&r);
	image_store_close(s);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("image_store");
	TCase *tc = tcase_create("unpack");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_unpack_formats, 0, (int)ELEMENTSOF(formats));
	tcase_add_test(tc, test_unpack_whiteouts);
	tcase_add_loop_test(tc, test_unpack_escapes, 0, (int)ELEMENTSOF(escapes));
	tcase_add_test(tc, test_unpack_diff_id_mismatch);
	tcase_add_test(tc, test_unpack_concurrent);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_blobs);
	tcase_add_test(tc, test_records);
	tcase_add_loop_test(tc, test_user, 0, (int)ELEMENTSOF(users));
	tcase_add_loop_test(tc, test_user_groups, 0, (int)ELEMENTSOF(groups_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(store_suite());
}
