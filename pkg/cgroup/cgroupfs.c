/* pkg/cgroup/cgroupfs.c: the file system under the drivers — one cgroup file read or written,
 * flat-keyed files parsed, a subtree made, walked or removed.
 *
 * Cgroup files want a value in one write(2) (the kernel parses each write on its own) and are
 * read to EOF (their st_size says nothing). Removal is children first, because rmdir of a
 * cgroup with children is EBUSY; it is tried once: a cgroup whose tasks just exited may stay
 * busy for a moment (the kernel frees it asynchronously), and the caller tries again later
 * (the pod manager on a timer), never by sleeping here.
 *
 * This file knows no driver rules (which file, which value, which hierarchy): v2.c, v1.c and
 * driver.c decide; it must not log at error level either, its callers build the messages.
 */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

int cgroupfs_write_fd(int fd, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;

	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int cgroupfs_write_at(int dirfd, const char *file, const char *value)
{
	/* O_TRUNC as a shell's "echo 1 > file": cgroupfs ignores it, and a fake tree on tmpfs
	 * then holds exactly the last value written. */
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return cgroupfs_write_fd(fd, value);
}

/* Whether a write of file is checked against the whole hierarchy (cgroupfs_set_at). */
static bool costly(const char *file)
{
	return strcmp(file, "cpu.cfs_period_us") == 0 || strcmp(file, "cpu.cfs_quota_us") == 0 ||
	       strcmp(file, "cpu.max") == 0;
}

int cgroupfs_set_at(int dirfd, const char *file, const char *value)
{
	_cleanup_free_ char *now = NULL;
	size_t len;

	if (costly(file) && cgroupfs_read_at(dirfd, file, &now) >= 0) {
		len = strlen(now);
		if (len > 0 && now[len - 1] == '\n')
			now[--len] = '\0';
		if (strcmp(now, value) == 0)
			return 0;
	}
	return cgroupfs_write_at(dirfd, file, value);
}

int cgroupfs_open_append_at(int dirfd, const char *file)
{
	/* O_APPEND as a shell's "echo a >> file": cgroupfs ignores it, and a fake tree on tmpfs
	 * then holds every value written, in order. */
	int fd = openat(dirfd, file, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

int cgroupfs_write(const char *dir, const char *file, const char *value)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return -errno;
	return cgroupfs_write_at(dirfd, file, value);
}

int cgroupfs_read_at(int dirfd, const char *file, char **out)
{
	return util_read_file_at(dirfd, file, out);
}

int cgroupfs_read(const char *dir, const char *file, char **out)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return -errno;
	return cgroupfs_read_at(dirfd, file, out);
}

int cgroupfs_parse_u64(const char *text, uint64_t *out)
{
	char *end;
	uint64_t v;

	while (*text == ' ' || *text == '\t')
		text++;
	if (strncmp(text, "max", 3) == 0 && (text[3] == '\0' || text[3] == '\n')) {
		*out = CGROUP_STAT_MAX;
		return 0;
	}
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -errno;
	if (*end != '\0' && *end != '\n' && *end != ' ')
		return -EINVAL;
	*out = v;
	return 0;
}

int cgroupfs_keyed_u64(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (*line) {
		const char *eol = strchrnul(line, '\n');

		if ((size_t)(eol - line) > klen && strncmp(line, key, klen) == 0 &&
		    line[klen] == ' ')
			return cgroupfs_parse_u64(line + klen + 1, out);
		line = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
}

int cgroupfs_mkdir_p(const struct cgroup_driver *d, const char *dir, const char *rel,
                     struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, rel);
	size_t base;

	if (!path)
		return nano_err_set(err, ENOMEM, "out of memory");
	base = strlen(dir);
	if (*rel == '\0')
		path[base] = '\0';
	/* Walk the components of rel: dir itself must exist (the hierarchy's mount). */
	for (char *p = path + base + 1; *rel; p++) {
		bool last = (*p == '\0');

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == 0) {
			if (d->on_mkdir)
				d->on_mkdir(path, d->userdata);
		} else if (errno != EEXIST) {
			return nano_err_set(err, errno, "mkdir %s: %s", path, strerror(errno));
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The child cgroups (subdirectories) of dir, sorted by name so that walks are deterministic.
 * -ENOENT when dir is gone. */
static int list_children(const char *dir, char ***out, struct nano_err *err)
{
	_cleanup_closedir_ DIR *dp = opendir(dir);
	_cleanup_strv_ char **names = NULL;
	struct dirent *de;

	if (!dp) {
		if (errno == ENOENT)
			return -ENOENT;
		return nano_err_set(err, errno, "open %s: %s", dir, strerror(errno));
	}
	while ((errno = 0, de = readdir(dp))) {
		bool is_dir = de->d_type == DT_DIR;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			is_dir = fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			         S_ISDIR(st.st_mode);
		}
		if (!is_dir)
			continue;
		if (strv_push(&names, strdup(de->d_name)) < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
	}
	if (errno)
		return nano_err_set(err, errno, "read %s: %s", dir, strerror(errno));
	if (names)
		qsort(names, strv_len(names), sizeof(*names), name_cmp);
	*out = TAKE_PTR(names);
	return 0;
}

int cgroupfs_walk(const char *dir, int (*fn)(const char *dir, void *userdata), void *userdata,
                  struct nano_err *err)
{
	_cleanup_strv_ char **children = NULL;
	int r;

	r = list_children(dir, &children, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = fn(dir, userdata);
	if (r < 0)
		return r;
	for (size_t i = 0; children && children[i]; i++) {
		_cleanup_free_ char *child = strdupf("%s/%s", dir, children[i]);

		if (!child)
			return nano_err_set(err, ENOMEM, "out of memory");
		r = cgroupfs_walk(child, fn, userdata, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroupfs_remove_tree(const struct cgroup_driver *d, const char *dir, struct nano_err *err)
{
	_cleanup_strv_ char **children = NULL;
	int r;

	r = list_children(dir, &children, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; children && children[i]; i++) {
		_cleanup_free_ char *child = strdupf("%s/%s", dir, children[i]);

		if (!child)
			return nano_err_set(err, ENOMEM, "out of memory");
		r = cgroupfs_remove_tree(d, child, err);
		if (r < 0)
			return r;
	}
	if (d->on_rmdir)
		d->on_rmdir(dir, d->userdata);
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	if (errno == EBUSY)
		return nano_err_set(err, EBUSY,
		                    "rmdir %s: %s (its last tasks may still be leaving: try again)",
		                    dir, strerror(EBUSY));
	return nano_err_set(err, errno, "rmdir %s: %s", dir, strerror(errno));
}

int cgroupfs_read_pids(const char *dir, pid_t **out, size_t *n, struct nano_err *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t count = 0, cap = 0;
	int r;

	r = cgroupfs_read(dir, "cgroup.procs", &text);
	if (r == -ENOENT)
		return r; /* the cgroup is gone: the caller decides */
	if (r < 0)
		return nano_err_set(err, -r, "read %s/cgroup.procs: %s", dir, strerror(-r));
	for (char *p = text; *p;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0)
			return nano_err_set(err, EBADMSG, "%s/cgroup.procs: not a pid list", dir);
		if (count == cap) {
			pid_t *np = reallocarray(pids, cap ? cap * 2 : 16, sizeof(*pids));

			if (!np)
				return nano_err_set(err, ENOMEM, "out of memory");
			pids = np;
			cap = cap ? cap * 2 : 16;
		}
		pids[count++] = (pid_t)v;
		p = end;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	*out = TAKE_PTR(pids);
	*n = count;
	return 0;
}
