/* pkg/image/unpack.c: a layer blob -> a directory that overlayfs takes as a lower layer
 * (unpack.h).
 *
 * One pass over the blob: an outer libarchive reader undoes the compression (gzip, zstd, or
 * none) in its "raw" format, and every uncompressed byte it gives is hashed (the diff ID)
 * before an inner reader parses it as tar. The layer is checked against its diff ID without
 * being read twice.
 *
 * Entries are written relative to the layer's directory fd, never through a path: each parent
 * directory is walked component by component with O_NOFOLLOW, so an entry whose path climbs
 * out ("..", absolute) or goes through a symlink (one the layer itself made, pointing
 * anywhere) is refused, and nothing here depends on the cwd (several unpacks run at once on
 * threads of their own). archive_write_disk is not used: it works relative to the cwd.
 *
 * The OCI image spec's changesets become overlayfs's: ".wh.<name>" is a whiteout (a 0/0
 * character device <name>), ".wh..wh..opq" makes its directory opaque (the
 * trusted.overlay.opaque xattr "y"). Directories get their mode, owner and times at the end
 * (deepest first), so that a read-only directory can still be filled. */
#include "unpack.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "dl_archive.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR    "trusted.overlay.opaque"
#define BLOCK           (128 * 1024)

struct dir_fixup {
	char *path;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
};

struct unpack {
	struct archive *outer, *inner;
	struct image_hash *hash;
	const char *what;
	int root_fd;
	bool root; /* the process may chown, mknod and set trusted.* xattrs */
	char buf[BLOCK];
	int outer_error; /* the outer reader failed: the inner one only sees a short read */
	struct dir_fixup *dirs;
	size_t n_dirs;
	size_t skipped_devices;
	struct nano_err *err;
};

/* The inner reader's source: the outer reader's uncompressed bytes, hashed as they pass. */
static la_ssize_t inner_read(struct archive *a, void *userdata, const void **buf)
{
	struct unpack *u = userdata;
	la_ssize_t n = sym_archive_read_data(u->outer, u->buf, sizeof(u->buf));

	(void)a;
	if (n < 0) {
		u->outer_error = 1;
		return -1;
	}
	image_hash_update(u->hash, u->buf, (size_t)n);
	*buf = u->buf;
	return n;
}

static int refuse(struct unpack *u, const char *path, const char *why)
{
	return nano_err_set(u->err, EBADMSG, "layer %s: entry \"%.200s\" %s", u->what, path, why);
}

static int fail(struct unpack *u, int r, const char *path, const char *op)
{
	return nano_err_set(u->err, -r, "layer %s: %s \"%.200s\": %s", u->what, op, path,
	                    strerror(-r));
}

/* The entry's path made relative and checked: no "..", not absolute, no empty component
 * but what "./" and trailing "/" give. "" is the layer's root. */
static int clean_path(struct unpack *u, const char *raw, char **out)
{
	_cleanup_free_ char *p = NULL;
	char *w, *c, *save = NULL;
	const char *s = raw;

	if (s[0] == '/')
		return refuse(u, raw, "is an absolute path");
	p = malloc(strlen(s) + 1);
	if (!p)
		return -ENOMEM;
	w = p;
	*w = '\0';
	_cleanup_free_ char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return refuse(u, raw, "leaves the layer (\"..\")");
		if (w != p)
			*w++ = '/';
		w = stpcpy(w, c);
	}
	*out = TAKE_PTR(p);
	return 0;
}

/* Opens the directory that holds the last component of path (creating missing directories,
 * 0700 until the fixups), following no symlink; *leaf points into path. */
static int open_parent(struct unpack *u, const char *path, int *out, const char **leaf)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *copy = strdup(path);
	char *c, *slash;

	if (!copy)
		return -ENOMEM;
	fd = fcntl(u->root_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	c = copy;
	while ((slash = strchr(c, '/'))) {
		int next;

		*slash = '\0';
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, c, 0700) < 0 && errno != EEXIST)
				return fail(u, -errno, path, "mkdir for");
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				return refuse(u, path, "goes through a symlink or a non-directory");
			return fail(u, -errno, path, "open the directory of");
		}
		close(fd);
		fd = next;
		c = slash + 1;
	}
	*leaf = path + (c - copy);
	*out = TAKE_FD(fd);
	return 0;
}

/* Makes room for a new entry at leaf: what is there goes, unless both are directories. */
static int clear_leaf(int dir_fd, const char *leaf, bool keep_dir)
{
	struct stat st;

	if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		/* a directory replaced by a file: only an empty one can go, as tar does */
		return unlinkat(dir_fd, leaf, AT_REMOVEDIR) < 0 ? -errno : 0;
	}
	return unlinkat(dir_fd, leaf, 0) < 0 ? -errno : 0;
}

static int set_xattrs(struct unpack *u, int fd, struct archive_entry *e, const char *path)
{
	const char *name;
	const void *value;
	size_t size;

	sym_archive_entry_xattr_reset(e);
	while (sym_archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		/* unprivileged, only user.* can be set; overlayfs's own are the layer's to say
		 * only through whiteouts */
		if (!u->root && strncmp(name, "user.", 5) != 0)
			continue;
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			continue;
		if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
			return fail(u, -errno, path, "set an xattr on");
	}
	return 0;
}

static int write_data(struct unpack *u, int fd, const char *path)
{
	const void *block;
	size_t size;
	la_int64_t offset;
	int r;

	while ((r = sym_archive_read_data_block(u->inner, &block, &size, &offset)) == ARCHIVE_OK) {
		const char *p = block;

		while (size > 0) {
			ssize_t n = pwrite(fd, p, size, offset);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return fail(u, -errno, path, "write");
			}
			p += n;
			size -= (size_t)n;
			offset += n;
		}
	}
	if (r != ARCHIVE_EOF)
		return nano_err_set(u->err, EBADMSG, "layer %s: reading \"%.200s\": %s", u->what,
		                    path, sym_archive_error_string(u->inner));
	return 0;
}

static int whiteout(struct unpack *u, int dir_fd, const char *leaf, const char *path)
{
	const char *name = leaf + strlen(WHITEOUT_PREFIX);
	int r;

	if (strcmp(leaf, WHITEOUT_OPAQUE) == 0) {
		if (fsetxattr(dir_fd, OPAQUE_XATTR, "y", 1, 0) < 0)
			return fail(u, -errno, path, "make opaque the directory of");
		return 0;
	}
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return refuse(u, path, "whites out nothing");
	r = clear_leaf(dir_fd, name, false);
	if (r < 0)
		return fail(u, r, path, "replace with a whiteout");
	if (mknodat(dir_fd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return fail(u, -errno, path, "make the whiteout");
	return 0;
}

static int entry_metadata(struct unpack *u, int dir_fd, const char *leaf, int fd,
                          struct archive_entry *e, const char *path, bool symlink)
{
	struct timespec times[2] = {
	        {.tv_sec = sym_archive_entry_mtime(e), .tv_nsec = sym_archive_entry_mtime_nsec(e)},
	        {.tv_sec = sym_archive_entry_mtime(e), .tv_nsec = sym_archive_entry_mtime_nsec(e)},
	};

	if (u->root && fchownat(dir_fd, leaf, (uid_t)sym_archive_entry_uid(e),
	                        (gid_t)sym_archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
		return fail(u, -errno, path, "chown");
	if (symlink)
		return utimensat(dir_fd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOTSUP
		               ? fail(u, -errno, path, "set the times of")
		               : 0;
	/* after the chown, which clears setuid and setgid */
	if (fchmodat(dir_fd, leaf, sym_archive_entry_perm(e), 0) < 0)
		return fail(u, -errno, path, "chmod");
	if (fd >= 0) {
		int r = set_xattrs(u, fd, e, path);

		if (r < 0)
			return r;
	}
	if (utimensat(dir_fd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(u, -errno, path, "set the times of");
	return 0;
}

static int entry_dir(struct unpack *u, int dir_fd, const char *leaf, struct archive_entry *e,
                     const char *path)
{
	struct dir_fixup *d;
	int r;

	if (leaf[0] != '\0') {
		r = clear_leaf(dir_fd, leaf, true);
		if (r < 0)
			return fail(u, r, path, "replace");
		if (r == 0 && mkdirat(dir_fd, leaf, 0700) < 0)
			return fail(u, -errno, path, "mkdir");
	}
	if (util_reserve(&u->dirs, u->n_dirs, sizeof(*u->dirs)) < 0)
		return -ENOMEM;
	d = &u->dirs[u->n_dirs];
	*d = (struct dir_fixup){
	        .path = strdup(path),
	        .mode = sym_archive_entry_perm(e),
	        .uid = (uid_t)sym_archive_entry_uid(e),
	        .gid = (gid_t)sym_archive_entry_gid(e),
	        .mtime = {.tv_sec = sym_archive_entry_mtime(e),
	                  .tv_nsec = sym_archive_entry_mtime_nsec(e)},
	};
	if (!d->path)
		return -ENOMEM;
	u->n_dirs++;
	if (sym_archive_entry_xattr_count(e) > 0) {
		_cleanup_close_ int fd =
		        leaf[0] ? openat(dir_fd, leaf,
		                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		                : fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);

		if (fd < 0)
			return fail(u, -errno, path, "open");
		return set_xattrs(u, fd, e, path);
	}
	return 0;
}

static int entry(struct unpack *u, struct archive_entry *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int dir_fd = -1, fd = -1;
	const char *leaf, *link;
	mode_t type = sym_archive_entry_filetype(e);
	int r;

	if (!sym_archive_entry_pathname(e))
		return nano_err_set(u->err, EBADMSG, "layer %s: an entry without a path", u->what);
	r = clean_path(u, sym_archive_entry_pathname(e), &path);
	if (r < 0)
		return r;
	if (path[0] == '\0') {
		/* "./": the layer's root itself */
		if (type != AE_IFDIR)
			return refuse(u, sym_archive_entry_pathname(e),
			              "replaces the layer's root");
		dir_fd = fcntl(u->root_fd, F_DUPFD_CLOEXEC, 3);
		if (dir_fd < 0)
			return -errno;
		return entry_dir(u, dir_fd, "", e, path);
	}
	r = open_parent(u, path, &dir_fd, &leaf);
	if (r < 0)
		return r;
	if (strncmp(leaf, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return whiteout(u, dir_fd, leaf, path);

	link = sym_archive_entry_hardlink(e);
	if (link) {
		_cleanup_free_ char *target = NULL;
		_cleanup_close_ int target_dir = -1;
		const char *target_leaf;

		r = clean_path(u, link, &target);
		if (r < 0)
			return r;
		if (target[0] == '\0')
			return refuse(u, path, "is a hard link to the layer's root");
		r = open_parent(u, target, &target_dir, &target_leaf);
		if (r < 0)
			return r;
		r = clear_leaf(dir_fd, leaf, false);
		if (r < 0)
			return fail(u, r, path, "replace");
		/* no AT_SYMLINK_FOLLOW: a link to a symlink is a link to the symlink */
		if (linkat(target_dir, target_leaf, dir_fd, leaf, 0) < 0)
			return errno == ENOENT
			               ? refuse(u, path, "is a hard link to nothing in the layer")
			               : fail(u, -errno, path, "link");
		return 0;
	}

	switch (type) {
	case AE_IFDIR:
		return entry_dir(u, dir_fd, leaf, e, path);
	case AE_IFREG:
		r = clear_leaf(dir_fd, leaf, false);
		if (r < 0)
			return fail(u, r, path, "replace");
		fd = openat(dir_fd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0600);
		if (fd < 0)
			return fail(u, -errno, path, "create");
		r = write_data(u, fd, path);
		if (r < 0)
			return r;
		if (ftruncate(fd, sym_archive_entry_size(e)) < 0)
			return fail(u, -errno, path, "truncate");
		return entry_metadata(u, dir_fd, leaf, fd, e, path, false);
	case AE_IFLNK:
		if (!sym_archive_entry_symlink(e))
			return refuse(u, path, "is a symlink to nothing");
		r = clear_leaf(dir_fd, leaf, false);
		if (r < 0)
			return fail(u, r, path, "replace");
		if (symlinkat(sym_archive_entry_symlink(e), dir_fd, leaf) < 0)
			return fail(u, -errno, path, "symlink");
		return entry_metadata(u, dir_fd, leaf, -1, e, path, true);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (type != AE_IFIFO && !u->root) {
			u->skipped_devices++;
			return 0;
		}
		r = clear_leaf(dir_fd, leaf, false);
		if (r < 0)
			return fail(u, r, path, "replace");
		if (mknodat(dir_fd, leaf, type | 0600, sym_archive_entry_rdev(e)) < 0)
			return fail(u, -errno, path, "mknod");
		return entry_metadata(u, dir_fd, leaf, -1, e, path, false);
	default:
		return refuse(u, path, "is of a type a layer cannot hold");
	}
}

/* Directory modes, owners and times, deepest first: children's writes touched their times. */
static int dir_fixups(struct unpack *u)
{
	for (size_t i = u->n_dirs; i-- > 0;) {
		struct dir_fixup *d = &u->dirs[i];
		struct timespec times[2] = {d->mtime, d->mtime};
		_cleanup_close_ int dir_fd = -1;
		const char *leaf = "";
		int r;

		if (d->path[0] == '\0') {
			dir_fd = fcntl(u->root_fd, F_DUPFD_CLOEXEC, 3);
			if (dir_fd < 0)
				return -errno;
		} else {
			r = open_parent(u, d->path, &dir_fd, &leaf);
			if (r < 0)
				return r;
		}
		/* a directory whited out or replaced later in the layer: nothing to fix */
		_cleanup_close_ int fd =
		        leaf[0] ? openat(dir_fd, leaf,
		                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		                : TAKE_FD(dir_fd);
		if (fd < 0)
			continue;
		if (u->root && fchown(fd, d->uid, d->gid) < 0)
			return fail(u, -errno, d->path, "chown");
		if (fchmod(fd, d->mode) < 0)
			return fail(u, -errno, d->path, "chmod");
		if (futimens(fd, times) < 0)
			return fail(u, -errno, d->path, "set the times of");
	}
	return 0;
}

static void unpack_freep(struct unpack **p)
{
	struct unpack *u = *p;

	if (!u)
		return;
	if (u->inner)
		sym_archive_read_free(u->inner);
	if (u->outer)
		sym_archive_read_free(u->outer);
	image_hash_free(u->hash);
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	free(u);
}

int unpack_layer(int fd, int root_fd, const char *what, char diff_id[IMAGE_DIGEST_LEN + 1],
                 struct nano_err *err)
{
	_cleanup_(unpack_freep) struct unpack *u = calloc(1, sizeof(*u));
	struct archive_entry *e;
	int r, ar;

	if (!u)
		return -ENOMEM;
	r = archive_dl_open(err);
	if (r < 0)
		return r;
	u->what = what;
	u->root_fd = root_fd;
	u->err = err;
	u->root = geteuid() == 0;
	u->outer = sym_archive_read_new();
	u->inner = sym_archive_read_new();
	if (!u->outer || !u->inner || image_hash_new(&u->hash) < 0)
		return -ENOMEM;
	/* the OCI spec's compressions, and none; not filter_all, whose others can run external
	 * programs on what a registry sent */
	sym_archive_read_support_filter_gzip(u->outer);
	sym_archive_read_support_filter_zstd(u->outer);
	sym_archive_read_support_format_raw(u->outer);
	sym_archive_read_support_format_tar(u->inner);
	if (sym_archive_read_open_fd(u->outer, fd, BLOCK) != ARCHIVE_OK ||
	    sym_archive_read_next_header(u->outer, &e) != ARCHIVE_OK)
		return nano_err_set(err, EBADMSG, "layer %s: %s", what,
		                    sym_archive_error_string(u->outer));
	if (sym_archive_read_open(u->inner, u, NULL, inner_read, NULL) != ARCHIVE_OK)
		return nano_err_set(err, EBADMSG, "layer %s is not a tar archive: %s", what,
		                    u->outer_error ? sym_archive_error_string(u->outer)
		                                   : sym_archive_error_string(u->inner));
	while ((ar = sym_archive_read_next_header(u->inner, &e)) == ARCHIVE_OK ||
	       ar == ARCHIVE_WARN) {
		r = entry(u, e);
		if (r < 0)
			return r;
	}
	if (ar != ARCHIVE_EOF)
		return nano_err_set(err, EBADMSG, "layer %s: %s", what,
		                    u->outer_error ? sym_archive_error_string(u->outer)
		                                   : sym_archive_error_string(u->inner));
	/* what follows the tar's end (its zero blocks, padding) is part of the diff ID too */
	for (;;) {
		la_ssize_t n = sym_archive_read_data(u->outer, u->buf, sizeof(u->buf));

		if (n < 0)
			return nano_err_set(err, EBADMSG, "layer %s: %s", what,
			                    sym_archive_error_string(u->outer));
		if (n == 0)
			break;
		image_hash_update(u->hash, u->buf, (size_t)n);
	}
	r = dir_fixups(u);
	if (r < 0)
		return r;
	if (u->skipped_devices > 0)
		log_warn("layer %s: %zu device nodes skipped: only root can make them", what,
		         u->skipped_devices);
	image_hash_finish(TAKE_PTR(u->hash), diff_id);
	return 0;
}
