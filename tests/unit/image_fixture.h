/* tests/unit/image_fixture.h: layers made in memory for the image store's tests — a tar of
 * entries (libarchive, pax), compressed as a registry serves it (gzip, zstd or not at all),
 * its diff ID computed from the uncompressed bytes — and a store under the suite's temp dir. */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "image/image.h"

struct tentry {
	const char *path;
	char type; /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char dev, 'p' fifo */
	const char *data; /* a file's content, a link's target */
	unsigned mode;    /* permission bits (and setuid...); 0: 0644 or 0755 */
	unsigned uid, gid;
	const char *xattr; /* "name=value" or NULL */
};

/* entries -> an uncompressed tar (malloc'd) of format (ARCHIVE_FORMAT_TAR_GNUTAR, ...; 0:
 * pax, what podman and buildah write). */
static inline void fixture_tar_format(const struct tentry *e, size_t n, int format, char **out,
                                      size_t *len)
{
	FILE *f = open_memstream(out, len);
	struct archive *a = archive_write_new();

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(format ? archive_write_set_format(a, format)
	                        : archive_write_set_format_pax_restricted(a),
	                 ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_FILE(a, f), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t size = e[i].type == 'f' && e[i].data ? strlen(e[i].data) : 0;
		unsigned type = e[i].type == 'd'   ? AE_IFDIR
		                : e[i].type == 'l' ? AE_IFLNK
		                : e[i].type == 'c' ? AE_IFCHR
		                : e[i].type == 'p' ? AE_IFIFO
		                                   : AE_IFREG;

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_filetype(ae, type);
		archive_entry_set_perm(ae, e[i].mode ? e[i].mode : type == AE_IFDIR ? 0755 : 0644);
		archive_entry_set_uid(ae, e[i].uid);
		archive_entry_set_gid(ae, e[i].gid);
		archive_entry_set_mtime(ae, 1700000000, 0);
		archive_entry_set_size(ae, (la_int64_t)size);
		if (e[i].type == 'l')
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].type == 'h') {
			archive_entry_set_hardlink(ae, e[i].data);
			archive_entry_set_size(ae, 0);
		}
		if (e[i].type == 'c')
			archive_entry_set_rdev(ae, makedev(1, 3));
		if (e[i].xattr) {
			const char *eq = strchr(e[i].xattr, '=');
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)(eq - e[i].xattr), e[i].xattr);
			archive_entry_xattr_add_entry(ae, name, eq + 1, strlen(eq + 1));
		}
		ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
		if (size)
			ck_assert_int_eq(archive_write_data(a, e[i].data, size), (la_ssize_t)size);
		archive_entry_free(ae);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	fclose(f);
}

static inline void fixture_tar(const struct tentry *e, size_t n, char **out, size_t *len)
{
	fixture_tar_format(e, n, 0, out, len);
}

/* data compressed with filter (ARCHIVE_FILTER_GZIP, _ZSTD, _NONE), malloc'd. */
static inline void fixture_compress(const char *data, size_t len, int filter, char **out,
                                    size_t *out_len)
{
	FILE *f;
	struct archive *a;
	struct archive_entry *ae;

	if (filter == ARCHIVE_FILTER_NONE) {
		*out = malloc(len);
		memcpy(*out, data, len);
		*out_len = len;
		return;
	}
	f = open_memstream(out, out_len);
	a = archive_write_new();
	ae = archive_entry_new();
	ck_assert_int_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_add_filter(a, filter), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_FILE(a, f), ARCHIVE_OK);
	archive_entry_set_pathname(ae, "data");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)len);
	ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(ae);
	archive_write_free(a);
	fclose(f);
}

static inline void fixture_digest(const void *data, size_t len, char out[IMAGE_DIGEST_LEN + 1])
{
	struct image_hash *h;

	ck_assert_int_eq(image_hash_new(&h), 0);
	image_hash_update(h, data, len);
	image_hash_finish(h, out);
}

/* A layer of entries put in the store as a blob: its blob digest and diff ID. */
static inline void fixture_layer_format(struct image_store *s, const struct tentry *e, size_t n,
                                        int format, int filter, char blob[IMAGE_DIGEST_LEN + 1],
                                        char diff_id[IMAGE_DIGEST_LEN + 1])
{
	char *tar, *z;
	size_t len, zlen;
	struct nano_err err = {0};

	fixture_tar_format(e, n, format, &tar, &len);
	fixture_digest(tar, len, diff_id);
	fixture_compress(tar, len, filter, &z, &zlen);
	ck_assert_msg(image_store_blob_put(s, z, zlen, NULL, blob, &err) == 0, "%s", err.message);
	free(tar);
	free(z);
}

static inline void fixture_layer(struct image_store *s, const struct tentry *e, size_t n,
                                 int filter, char blob[IMAGE_DIGEST_LEN + 1],
                                 char diff_id[IMAGE_DIGEST_LEN + 1])
{
	fixture_layer_format(s, e, n, 0, filter, blob, diff_id);
}
