/* pkg/logs/writer.c: the shim's side — turns the bytes of a container's stdout and stderr pipes
 * into CRI records in <dir>/<restart>.log, and rotates the file by size.
 *
 * Each stream has its own buffer for the line it is in the middle of, so that a chunk of stderr
 * between two halves of a stdout line does not cut it. As with containerd, a line never takes
 * more than LOGS_MAX_LINE bytes of content in one record: longer ones are written in P pieces of
 * exactly LOGS_MAX_LINE bytes, the rest in the final F record.
 *
 * Every record is built whole and written with one write(2) on an O_APPEND descriptor, so a
 * reader sees a record completely or not at all (or, after a failed write, not at all: the torn
 * piece is cut off again). This file must not read logs or know about the daemon's config: the
 * limits come in struct logs_writer_config.
 */
#include "logs.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

struct line_buf {
	char data[LOGS_MAX_LINE];
	size_t len;
};

struct logs_writer {
	char *dir;
	unsigned restart;
	char *path; /* <dir>/<restart>.log */
	int fd;
	uint64_t size; /* bytes in the current file */
	uint64_t max_size;
	unsigned max_files;
	struct line_buf line[2]; /* [0] stdout, [1] stderr */
	/* timestamp + " stdout " + "P " + content + "\n" */
	char record[LOGS_TIMESTAMP_MAX + 10 + LOGS_MAX_LINE + 1];
};

static int open_log(struct logs_writer *w)
{
	struct stat st;
	int fd;

	fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	/* A new file gets 0640 whatever the umask; a file that is not ours (a device) keeps its
	 * mode. */
	if (fstat(fd, &st) < 0 ||
	    (S_ISREG(st.st_mode) && st.st_size == 0 && fchmod(fd, 0640) < 0)) {
		int r = -errno;
		close(fd);
		return r;
	}
	w->fd = fd;
	w->size = (uint64_t)st.st_size;
	return 0;
}

int logs_writer_open(const char *dir, unsigned restart, const struct logs_writer_config *cfg,
                     struct logs_writer **out, struct nano_err *err)
{
	_cleanup_logs_writer_ struct logs_writer *w = NULL;
	int r;

	if (!dir || !*dir || !out)
		return nano_err_set(err, EINVAL, "logs: no log directory");
	if (cfg && (cfg->max_size == 0 || cfg->max_files == 0))
		return nano_err_set(err, EINVAL,
		                    "logs: container_log_max_size and container_log_max_files must "
		                    "be at least 1");

	/* malloc, not calloc: the line and record buffers (48 KiB) are touched only as far as a
	 * container writes, and a shim keeps a writer per container for the pod's life */
	w = malloc(sizeof(*w));
	if (!w)
		return nano_err_set(err, ENOMEM, "out of memory");
	w->dir = w->path = NULL;
	w->fd = -1;
	w->size = 0;
	w->line[0].len = w->line[1].len = 0;
	w->max_size = cfg ? cfg->max_size : LOGS_DEFAULT_MAX_SIZE;
	w->max_files = cfg ? cfg->max_files : LOGS_DEFAULT_MAX_FILES;
	w->restart = restart;
	w->dir = strdup(dir);
	w->path = strdupf("%s/%u.log", dir, restart);
	if (!w->dir || !w->path)
		return nano_err_set(err, ENOMEM, "out of memory");

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return nano_err_set(err, -r, "create log directory %s: %s", dir, strerror(-r));
	r = open_log(w);
	if (r < 0)
		return nano_err_set(err, -r, "open %s: %s", w->path, strerror(-r));

	*out = TAKE_PTR(w);
	return 0;
}

struct logs_writer *logs_writer_free(struct logs_writer *w)
{
	if (!w)
		return NULL;
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w->path);
	free(w);
	return NULL;
}

static char *rotated_name(const struct logs_writer *w, unsigned k)
{
	return strdupf("%s.%u", w->path, k);
}

/* Deletes <restart>.log.N for N > keep: left by a run with a larger container_log_max_files,
 * possibly with gaps, so the directory is listed rather than names guessed. */
static int delete_beyond(struct logs_writer *w, unsigned keep)
{
	_cleanup_free_ char *prefix = strdupf("%u.log.", w->restart);
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (!prefix)
		return -ENOMEM;
	d = opendir(w->dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		const char *n = de->d_name + strlen(prefix);
		char *end;
		unsigned long k;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || *n < '1' || *n > '9')
			continue;
		errno = 0;
		k = strtoul(n, &end, 10);
		if (*end || errno || k <= keep)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* <restart>.log.(k-1) → .k from the oldest kept down, then <restart>.log → .1: a rename over the
 * oldest is what deletes it. A reader holding the old file keeps reading it; renames do not
 * change the inode. */
static int rotate(struct logs_writer *w)
{
	unsigned keep = w->max_files - 1; /* rotated files kept */
	int r;

	r = delete_beyond(w, keep);
	if (r < 0)
		return r;
	for (unsigned k = keep; k >= 2; k--) {
		_cleanup_free_ char *from = rotated_name(w, k - 1);
		_cleanup_free_ char *to = rotated_name(w, k);
		if (!from || !to)
			return -ENOMEM;
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	if (keep >= 1) {
		_cleanup_free_ char *to = rotated_name(w, 1);
		if (!to)
			return -ENOMEM;
		if (rename(w->path, to) < 0 && errno != ENOENT)
			return -errno;
	} else if (unlink(w->path) < 0 && errno != ENOENT) {
		return -errno;
	}

	close(w->fd);
	w->fd = -1;
	r = open_log(w);
	if (r < 0)
		return r;
	return 0;
}

static int write_all(int fd, const char *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		*done += (size_t)n;
	}
	return 0;
}

static int emit(struct logs_writer *w, enum logs_stream stream, bool partial, const char *content,
                size_t len, const struct timespec *now)
{
	char ts[LOGS_TIMESTAMP_MAX];
	size_t n, done;
	int r;

	r = logs_format_timestamp(now, ts);
	if (r < 0)
		return r;
	if (len > LOGS_MAX_LINE)
		return -EINVAL;
	n = (size_t)snprintf(w->record, sizeof(w->record), "%s %s %c ", ts,
	                     logs_stream_name(stream), partial ? 'P' : 'F');
	memcpy(w->record + n, content, len);
	n += len;
	w->record[n++] = '\n';

	/* Rotate before the file would pass max_size. A record larger than max_size still goes
	 * into a file of its own: records are never split. */
	if (w->fd < 0 || (w->size > 0 && w->size + n > w->max_size)) {
		r = w->fd < 0 ? open_log(w) : rotate(w);
		if (r < 0)
			return r;
	}

	r = write_all(w->fd, w->record, n, &done);
	if (r < 0) {
		/* ENOSPC halfway: cut the torn record off so that the next one starts a line. Only
		 * the shim writes this file, so nothing else was appended meanwhile. */
		if (done > 0 && ftruncate(w->fd, (off_t)w->size) < 0)
			w->size += done;
		return r;
	}
	w->size += n;
	return 0;
}

static struct line_buf *line_of(struct logs_writer *w, enum logs_stream stream)
{
	if (stream == LOGS_STDOUT)
		return &w->line[0];
	if (stream == LOGS_STDERR)
		return &w->line[1];
	return NULL;
}

int logs_writer_write(struct logs_writer *w, enum logs_stream stream, const void *buf, size_t len,
                      const struct timespec *now)
{
	struct line_buf *line;
	const char *p = buf;
	int r;

	if (!w || !now || (!buf && len > 0))
		return -EINVAL;
	line = line_of(w, stream);
	if (!line)
		return -EINVAL;

	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t take = nl ? (size_t)(nl - p) : len;

		len -= take + (nl ? 1 : 0);
		while (take > 0) {
			size_t room = LOGS_MAX_LINE - line->len, n;
			if (room == 0) {
				/* More bytes for a full buffer: it was a P piece. */
				line->len = 0;
				r = emit(w, stream, true, line->data, LOGS_MAX_LINE, now);
				if (r < 0)
					return r;
				continue;
			}
			n = take < room ? take : room;
			memcpy(line->data + line->len, p, n);
			line->len += n;
			p += n;
			take -= n;
		}
		if (nl) {
			size_t n = line->len;
			/* containerd's readLine drops the '\r' of a "\r\n". */
			if (n > 0 && line->data[n - 1] == '\r')
				n--;
			line->len = 0;
			p++;
			r = emit(w, stream, false, line->data, n, now);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int logs_writer_close_stream(struct logs_writer *w, enum logs_stream stream,
                             const struct timespec *now)
{
	struct line_buf *line;
	size_t n;

	if (!w || !now)
		return -EINVAL;
	line = line_of(w, stream);
	if (!line)
		return -EINVAL;
	if (line->len == 0)
		return 0;
	n = line->len;
	line->len = 0;
	return emit(w, stream, false, line->data, n, now);
}
