/* pkg/image/store.c: the content store's files (image.h's layout): the directories, blobs
 * (verified before they are named by their digest), unpacked layers (renamed whole from tmp/
 * into layers/ so that a half-unpacked layer is never seen), and the bytes it all holds.
 * Image records are record.c's.
 *
 * Threads: image_store_unpack runs off the loop (util_work) while the loop uses the store;
 * it writes only under tmp/ and renames into layers/; blobs are renamed whole. Only records
 * are read, changed and written again, under records_lock (record.c). */
#include "store_private.h"
#include "unpack.h"

#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

#define SMALL_BLOB_MAX (16 * 1024 * 1024) /* manifests, configs, indexes read whole */

static const char *const subdirs[] = {"blobs/sha256", "layers/sha256", "images", "tmp"};

char *store_digest_path(const struct image_store *s, const char *sub, const char *digest,
                        const char *suffix)
{
	if (!image_digest_valid(digest))
		return NULL;
	return strdupf("%s/%s/%s%s", s->dir, sub, digest + 7, suffix);
}

int image_store_open(const char *images_dir, struct image_store **out, struct nano_err *err)
{
	struct image_store *s;
	_cleanup_free_ char *tmp = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->records_lock, NULL);
	s->dir = strdup(images_dir);
	tmp = strdupf("%s/tmp", images_dir);
	if (!s->dir || !tmp) {
		image_store_close(s);
		return -ENOMEM;
	}
	/* what a crash left half-written: downloads, unpacks, records not yet renamed */
	r = rm_rf(tmp);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(subdirs); i++) {
		_cleanup_free_ char *p = strdupf("%s/%s", images_dir, subdirs[i]);

		r = p ? mkdir_p(p, 0700) : -ENOMEM;
	}
	if (r < 0) {
		image_store_close(s);
		return nano_err_setc(err, NANO_STORAGE, -r, "image store %s: %s", images_dir,
		                     strerror(-r));
	}
	*out = s;
	return 0;
}

struct image_store *image_store_close(struct image_store *s)
{
	if (s) {
		pthread_mutex_destroy(&s->records_lock);
		free(s->dir);
		free(s);
	}
	return NULL;
}

const char *image_store_dir(const struct image_store *s)
{
	return s->dir;
}

int image_store_tmp_file(struct image_store *s, int *fd, char **path, struct nano_err *err)
{
	_cleanup_free_ char *p = strdupf("%s/tmp/in-XXXXXX", s->dir);
	int f;

	if (!p)
		return -ENOMEM;
	f = mkostemp(p, O_CLOEXEC);
	if (f < 0)
		return nano_err_setc(err, NANO_STORAGE, errno, "image store: a file in %s/tmp: %m",
		                     s->dir);
	*fd = f;
	*path = TAKE_PTR(p);
	return 0;
}

static int fsync_path(const char *path, int flags)
{
	_cleanup_close_ int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

static int fsync_parent(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

int image_store_blob_commit(struct image_store *s, const char *tmp_path, const char *digest,
                            const char *expected, struct nano_err *err)
{
	_cleanup_free_ char *dest = store_digest_path(s, "blobs/sha256", expected, "");
	int r;

	if (!dest) {
		unlink(tmp_path);
		return image_digest_valid(expected)
		               ? -ENOMEM
		               : nano_err_set(err, EINVAL, "blob digest \"%.80s\" is not sha256",
		                              expected);
	}
	if (strcmp(digest, expected) != 0) {
		unlink(tmp_path);
		return nano_err_set(err, EBADMSG, "blob %s failed verification: its content is %s",
		                    expected, digest);
	}
	r = fsync_path(tmp_path, O_RDONLY);
	if (r >= 0 && rename(tmp_path, dest) < 0)
		r = -errno;
	if (r >= 0)
		r = fsync_parent(dest);
	if (r < 0) {
		unlink(tmp_path);
		return nano_err_setc(err, NANO_STORAGE, -r, "image store: commit blob %s: %s",
		                     expected, strerror(-r));
	}
	return 0;
}

int store_write_atomic(struct image_store *s, const char *path, const void *data, size_t len,
                       struct nano_err *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	const char *p = data;
	int r = 0;

	r = image_store_tmp_file(s, &fd, &tmp, err);
	if (r < 0)
		return r;
	while (len > 0 && r == 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno != EINTR)
			r = -errno;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r == 0)
		r = fsync_parent(path);
	if (r < 0) {
		unlink(tmp);
		return nano_err_setc(err, NANO_STORAGE, -r, "image store: write %s: %s", path,
		                     strerror(-r));
	}
	return 0;
}

int image_store_blob_put(struct image_store *s, const void *data, size_t len, const char *expected,
                         char out_digest[IMAGE_DIGEST_LEN + 1], struct nano_err *err)
{
	char digest[IMAGE_DIGEST_LEN + 1];
	_cleanup_free_ char *dest = NULL;
	struct image_hash *h;
	int r;

	r = image_hash_new(&h);
	if (r < 0)
		return r;
	image_hash_update(h, data, len);
	image_hash_finish(h, digest);
	if (expected && strcmp(digest, expected) != 0)
		return nano_err_set(err, EBADMSG,
		                    "blob %.80s failed verification: its content is %s", expected,
		                    digest);
	if (out_digest)
		memcpy(out_digest, digest, sizeof(digest));
	if (image_store_blob_has(s, digest))
		return 0;
	dest = store_digest_path(s, "blobs/sha256", digest, "");
	if (!dest)
		return -ENOMEM;
	return store_write_atomic(s, dest, data, len, err);
}

bool image_store_blob_has(const struct image_store *s, const char *digest)
{
	_cleanup_free_ char *p = store_digest_path(s, "blobs/sha256", digest, "");
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

char *image_store_blob_path(const struct image_store *s, const char *digest)
{
	return store_digest_path(s, "blobs/sha256", digest, "");
}

int image_store_blob_read(const struct image_store *s, const char *digest, char **data, size_t *len,
                          struct nano_err *err)
{
	_cleanup_free_ char *p = store_digest_path(s, "blobs/sha256", digest, "");
	_cleanup_close_ int fd = -1;
	int r;

	if (!p)
		return image_digest_valid(digest)
		               ? -ENOMEM
		               : nano_err_set(err, EINVAL, "\"%.80s\" is not a sha256 digest",
		                              digest);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? nano_err_setc(err, NANO_NOT_FOUND, ENOENT,
		                                       "blob %s is not in the image store", digest)
		                       : nano_err_set(err, errno, "blob %s: %m", digest);
	r = util_read_fd(fd, SMALL_BLOB_MAX, data, len);
	if (r < 0)
		return nano_err_set(err, -r, "blob %s: %s", digest, strerror(-r));
	return 0;
}

char *image_store_layer_path(const struct image_store *s, const char *diff_id)
{
	return store_digest_path(s, "layers/sha256", diff_id, "/root");
}

bool image_store_layer_has(const struct image_store *s, const char *diff_id)
{
	_cleanup_free_ char *p = image_store_layer_path(s, diff_id);
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int image_store_unpack(struct image_store *s, const char *blob, const char *diff_id,
                       struct nano_err *err)
{
	_cleanup_free_ char *blob_path = store_digest_path(s, "blobs/sha256", blob, "");
	_cleanup_free_ char *dest = store_digest_path(s, "layers/sha256", diff_id, "");
	_cleanup_free_ char *work = strdupf("%s/tmp/layer-XXXXXX", s->dir);
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int fd = -1, root_fd = -1;
	char got[IMAGE_DIGEST_LEN + 1];
	int r;

	if (!image_digest_valid(blob) || !image_digest_valid(diff_id))
		return nano_err_set(err, EINVAL, "layer %.80s (diff ID %.80s): not sha256 digests",
		                    blob, diff_id);
	if (!blob_path || !dest || !work)
		return -ENOMEM;
	if (image_store_layer_has(s, diff_id))
		return 0;
	fd = open(blob_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nano_err_setc(err, errno == ENOENT ? NANO_NOT_FOUND : NANO_INTERNAL, errno,
		                     "layer %s: %m", blob);
	if (!mkdtemp(work))
		return nano_err_setc(err, NANO_STORAGE, errno, "image store: %s: %m", work);
	root = strdupf("%s/root", work);
	if (!root) {
		rm_rf(work);
		return -ENOMEM;
	}
	if (mkdir(root, 0755) < 0 ||
	    (root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = nano_err_setc(err, NANO_STORAGE, errno, "image store: %s: %m", root);
		rm_rf(work);
		return r;
	}
	r = unpack_layer(fd, root_fd, blob, got, err);
	if (r == 0 && strcmp(got, diff_id) != 0)
		r = nano_err_set(
		        err, EBADMSG,
		        "layer %s failed verification: its uncompressed content is %s, not "
		        "the diff ID %s its image config names",
		        blob, got, diff_id);
	/* the tree reaches the disk before its name does: a crash leaves tmp/, never a layer
	 * with empty files */
	if (r == 0 && syncfs(root_fd) < 0)
		r = nano_err_setc(err, NANO_STORAGE, errno, "image store: sync %s: %m", root);
	if (r == 0 && rename(work, dest) < 0) {
		/* another unpack of the same layer won: its tree is as good as ours */
		if (errno != EEXIST && errno != ENOTEMPTY)
			r = nano_err_setc(err, NANO_STORAGE, errno, "image store: rename to %s: %m",
			                  dest);
		rm_rf(work);
		return r;
	}
	if (r < 0) {
		rm_rf(work);
		return r;
	}
	r = fsync_parent(dest);
	return r < 0 ? nano_err_setc(err, NANO_STORAGE, -r, "image store: sync %s: %s", dest,
	                             strerror(-r))
	             : 0;
}

/* nftw has no userdata: the sum of one walk at a time, per thread */
static __thread int64_t walk_bytes;

static int walk_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	/* a hard link's blocks once among its links (all of them are in the store) */
	walk_bytes += (int64_t)st->st_blocks * 512 / (S_ISDIR(st->st_mode) ? 1 : st->st_nlink);
	return 0;
}

int64_t store_path_bytes(const char *path)
{
	walk_bytes = 0;
	if (nftw(path, walk_add, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return walk_bytes;
	return walk_bytes;
}

int image_store_usage(struct image_store *s, int64_t *bytes, struct nano_err *err)
{
	_cleanup_free_ char *blobs = strdupf("%s/blobs", s->dir);
	_cleanup_free_ char *layers = strdupf("%s/layers", s->dir);

	(void)err;
	if (!blobs || !layers)
		return -ENOMEM;
	*bytes = store_path_bytes(blobs) + store_path_bytes(layers);
	return 0;
}

struct gc_candidate {
	size_t i;
	int64_t last_used, created;
};

static int gc_order(const void *a, const void *b)
{
	const struct gc_candidate *x = a, *y = b;

	if (x->last_used != y->last_used)
		return x->last_used < y->last_used ? -1 : 1;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* pkg/kubelet/images/image_gc_manager.go: above the high threshold, free down to the low one,
 * least recently used first, never an image in use or younger than the minimum age. */
char **image_gc_pick(const struct image_record *records, const bool *in_use, size_t n, int64_t used,
                     int64_t capacity, int high_percent, int low_percent, int64_t min_age_ns,
                     int64_t now)
{
	_cleanup_free_ struct gc_candidate *c = NULL;
	char **out = calloc(1, sizeof(char *));
	size_t n_c = 0, n_out = 0;
	__int128 to_free, freed = 0;

	if (!out || capacity <= 0)
		return out;
	/* usage percent = used * 100 / capacity, compared without rounding */
	if ((__int128)used * 100 <= (__int128)capacity * high_percent)
		return out;
	to_free = (__int128)used - (__int128)capacity * low_percent / 100;
	if (to_free <= 0)
		return out;
	c = calloc(n + 1, sizeof(*c));
	if (!c) {
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (in_use && in_use[i])
			continue;
		if (records[i].created > now - min_age_ns ||
		    records[i].last_used > now - min_age_ns)
			continue;
		c[n_c++] = (struct gc_candidate){i, records[i].last_used, records[i].created};
	}
	qsort(c, n_c, sizeof(*c), gc_order);
	for (size_t k = 0; k < n_c && freed < to_free; k++) {
		char *id = strdup(records[c[k].i].id);

		if (!id || strv_append(&out, &n_out, id) < 0) {
			strv_free(out);
			return NULL;
		}
		freed += records[c[k].i].size;
	}
	return out;
}
