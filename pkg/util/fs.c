/* pkg/util/fs.c: directories made and removed whole, and files read whole. */
#define _XOPEN_SOURCE 700
#include "util.h"

#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

int mkdir_p(const char *path, unsigned mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		char c;

		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int rm_rf(const char *path)
{
	return rm_rf_fds(path, 16);
}

int rm_rf_fds(const char *path, int fds)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	/* FTW_MOUNT: never walk into another filesystem; FTW_PHYS: never follow a symlink */
	return nftw(path, rm_one, fds > 0 ? fds : 1, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int util_read_fd(int fd, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, used = 0;

	for (;;) {
		ssize_t n;

		if (used == size) {
			char *grown;

			if (size > SIZE_MAX / 4)
				return -EFBIG;
			size = size ? size * 2 : 8192;
			grown = realloc(buf, size + 1);
			if (!grown)
				return -ENOMEM;
			buf = grown;
		}
		n = read(fd, buf + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return -EFBIG;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[used] = '\0';
	*out = TAKE_PTR(buf);
	if (len)
		*len = used;
	return 0;
}

int util_read_file_at(int dirfd, const char *path, char **out)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return util_read_fd(fd, SIZE_MAX, out, NULL);
}
