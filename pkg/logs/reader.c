/* pkg/logs/reader.c: the daemon's side of GET …/log — reads a container run's CRI log files,
 * joins P pieces into lines, applies tailLines, sinceSeconds/sinceTime, timestamps and
 * limitBytes as the kubelet does, and follows the file across rotations.
 *
 * Position: a descriptor on the file being read and the offset of the first record not yet
 * read. Holding the descriptor (not a name) is what survives a rotation: the writer renames
 * <restart>.log to .1 and starts a new file; when the name no longer leads to our inode, the old
 * file is read to its end once more (lines written before the rename) and reading moves to the
 * next newer file, found by looking for our inode among the rotated names.
 *
 * Reads are pread()s of what is there now; nothing here blocks or waits. The daemon owns the
 * inotify watch and calls logs_reader_read again. Memory is the read buffer, one output line and
 * the unfinished lines, never a file.
 */
#include "logs_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define READ_BUFFER_SIZE 65536
#define MAX_ROTATED      1000 /* names .1 … tried when looking for rotated files */
#define MAX_HOPS         64   /* file switches in one call, so a racing writer cannot spin us */

struct unfinished {
	bool active;
	struct timespec time; /* of the first piece: the line's time */
	char *data;
	size_t len, cap;
};

struct logs_reader {
	char *dir;
	char *path; /* <dir>/<restart>.log */
	struct logs_read_options opts;

	struct logs_file *files; /* opened by logs_reader_open, oldest first; until all are read */
	size_t n_files;
	bool started;   /* tailLines found where to begin */
	size_t next;    /* files[next] is being read, from off */
	bool caught_up; /* every file opened at first was read: files is gone, cur is the last */
	bool flushed;   /* without follow: the unfinished lines went out, the read is over */

	struct logs_file cur; /* the file being read */
	off_t off;            /* the first record not read yet */

	struct unfinished line[2]; /* [0] stdout, [1] stderr */
	uint64_t skip;             /* lines still to leave out for tailLines */
	int64_t remain;            /* limitBytes left, < 0: no limit */
	bool done;
	uint64_t skipped;

	char *buf; /* read buffer */
	size_t buf_cap;
	char *out; /* one output line */
	size_t out_cap;
};

static void close_file(struct logs_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

struct logs_reader *logs_reader_free(struct logs_reader *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_files; i++)
		close_file(&r->files[i]);
	free(r->files);
	close_file(&r->cur);
	for (size_t s = 0; s < ELEMENTSOF(r->line); s++)
		free(r->line[s].data);
	free(r->buf);
	free(r->out);
	free(r->dir);
	free(r->path);
	free(r);
	return NULL;
}

const char *logs_reader_dir(const struct logs_reader *r)
{
	return r ? r->dir : NULL;
}

uint64_t logs_reader_skipped(const struct logs_reader *r)
{
	return r ? r->skipped : 0;
}

static bool same_file(const struct stat *st, const struct logs_file *f)
{
	return st->st_dev == f->dev && st->st_ino == f->ino;
}

/* Opens name into *f; 0, -ENOENT, or another -errno. */
static int open_file(const char *name, struct logs_file *f)
{
	struct stat st;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	*f = (struct logs_file){.fd = fd, .dev = st.st_dev, .ino = st.st_ino, .end = st.st_size};
	return 0;
}

/* The current file first, then .1, .2, …: opened in that order, a rotation in between shows
 * up as a file opened twice (dropped) rather than one missed. */
static int open_all(struct logs_reader *r, struct nano_err *err)
{
	struct logs_file cur = {.fd = -1}, *rotated = NULL;
	size_t n_rotated = 0;
	int k, q;

	q = open_file(r->path, &cur);
	if (q < 0 && q != -ENOENT)
		return nano_err_set(err, -q, "open %s: %s", r->path, strerror(-q));

	for (k = 1; k <= MAX_ROTATED; k++) {
		_cleanup_free_ char *name = strdupf("%s.%d", r->path, k);
		struct logs_file f, *grown;
		bool dup;

		if (!name)
			goto oom;
		q = open_file(name, &f);
		if (q == -ENOENT)
			break;
		if (q < 0) {
			close_file(&cur);
			for (size_t i = 0; i < n_rotated; i++)
				close_file(&rotated[i]);
			free(rotated);
			return nano_err_set(err, -q, "open %s: %s", name, strerror(-q));
		}
		dup = cur.fd >= 0 && f.dev == cur.dev && f.ino == cur.ino;
		for (size_t i = 0; i < n_rotated && !dup; i++)
			dup = f.dev == rotated[i].dev && f.ino == rotated[i].ino;
		if (dup) {
			close_file(&f);
			continue;
		}
		grown = realloc(rotated, (n_rotated + 1) * sizeof(*rotated));
		if (!grown) {
			close_file(&f);
			goto oom;
		}
		rotated = grown;
		rotated[n_rotated++] = f;
	}

	r->n_files = n_rotated + (cur.fd >= 0);
	if (r->n_files == 0) {
		free(rotated);
		return nano_err_set(err, ENOENT, "no log at %s", r->path);
	}
	r->files = calloc(r->n_files, sizeof(*r->files));
	if (!r->files) {
		r->n_files = 0;
		goto oom;
	}
	for (size_t i = 0; i < n_rotated; i++)
		r->files[i] = rotated[n_rotated - 1 - i]; /* oldest first */
	if (cur.fd >= 0)
		r->files[n_rotated] = cur;
	free(rotated);
	return 0;

oom:
	close_file(&cur);
	for (size_t i = 0; i < n_rotated; i++)
		close_file(&rotated[i]);
	free(rotated);
	return nano_err_set(err, ENOMEM, "out of memory");
}

int logs_reader_open(const char *dir, unsigned restart, const struct logs_read_options *opts,
                     struct logs_reader **out, struct nano_err *err)
{
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	int q;

	if (!dir || !*dir || !out)
		return nano_err_set(err, EINVAL, "logs: no log directory");
	r = calloc(1, sizeof(*r));
	if (!r)
		return nano_err_set(err, ENOMEM, "out of memory");
	r->cur.fd = -1;
	r->opts = opts ? *opts : (struct logs_read_options){.tail_lines = -1, .limit_bytes = -1};
	r->remain = r->opts.limit_bytes;
	r->dir = strdup(dir);
	r->path = strdupf("%s/%u.log", dir, restart);
	r->buf_cap = READ_BUFFER_SIZE;
	r->buf = malloc(r->buf_cap);
	if (!r->dir || !r->path || !r->buf)
		return nano_err_set(err, ENOMEM, "out of memory");

	q = open_all(r, err);
	if (q < 0)
		return q;
	*out = TAKE_PTR(r);
	return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int emit(struct logs_reader *r, const struct timespec *time, const char *content, size_t len,
                logs_output_fn out, void *userdata)
{
	size_t n = 0, need = LOGS_TIMESTAMP_MAX + len + 1;
	int q;

	/* tailLines first, then since: the kubelet's order. */
	if (r->skip > 0) {
		r->skip--;
		return 0;
	}
	if ((r->opts.since.tv_sec || r->opts.since.tv_nsec) && before(time, &r->opts.since))
		return 0;

	if (need > r->out_cap) {
		char *grown = realloc(r->out, need);
		if (!grown)
			return -ENOMEM;
		r->out = grown;
		r->out_cap = need;
	}
	if (r->opts.timestamps) {
		q = logs_format_timestamp(time, r->out);
		if (q < 0)
			return q;
		n = (size_t)q;
		r->out[n++] = ' ';
	}
	memcpy(r->out + n, content, len);
	n += len;
	r->out[n++] = '\n';

	/* limitBytes cuts the last line, as the kubelet's logWriter does. */
	if (r->remain >= 0 && (uint64_t)n > (uint64_t)r->remain)
		n = (size_t)r->remain;
	q = out(userdata, r->out, n);
	if (q < 0)
		return q;
	if (r->remain >= 0) {
		r->remain -= (int64_t)n;
		if (r->remain == 0) {
			r->done = true;
			return LOGS_READ_LIMIT;
		}
	}
	return q == LOGS_READ_PAUSED ? LOGS_READ_PAUSED : 0;
}

static int append(struct unfinished *u, const char *p, size_t len)
{
	if (u->len + len > u->cap) {
		size_t cap = u->cap ? u->cap : 4096;
		char *grown;
		while (cap < u->len + len)
			cap *= 2;
		grown = realloc(u->data, cap);
		if (!grown)
			return -ENOMEM;
		u->data = grown;
		u->cap = cap;
	}
	memcpy(u->data + u->len, p, len);
	u->len += len;
	return 0;
}

static int emit_unfinished(struct logs_reader *r, struct unfinished *u, logs_output_fn out,
                           void *userdata)
{
	u->active = false;
	return emit(r, &u->time, u->data, u->len, out, userdata);
}

/* One record, in file order: P pieces wait in their stream's line until its F. */
static int on_record(struct logs_reader *r, const char *rec, size_t len, logs_output_fn out,
                     void *userdata)
{
	struct logs_entry e;
	struct unfinished *u;
	int q, paused = 0;

	if (logs_parse_line(rec, len, &e) < 0) {
		r->skipped++;
		return 0;
	}
	u = &r->line[e.stream == LOGS_STDERR];

	if (!u->active && !e.partial)
		return emit(r, &e.time, e.content, e.content_len, out, userdata);

	if (u->active && u->len + e.content_len > LOGS_MAX_JOINED) {
		/* An endless line: out with what we have, the rest is a line of its own. A pause
		 * asked for here waits until this record is kept: the caller moves past it. */
		paused = emit_unfinished(r, u, out, userdata);
		if (paused != 0 && paused != LOGS_READ_PAUSED)
			return paused;
	}
	if (!u->active) {
		u->active = true;
		u->time = e.time;
		u->len = 0;
	}
	q = append(u, e.content, e.content_len);
	if (q < 0)
		return q;
	if (e.partial)
		return paused;
	q = emit_unfinished(r, u, out, userdata);
	return q == 0 ? paused : q;
}

int logs_reader_flush(struct logs_reader *r, logs_output_fn out, void *userdata)
{
	struct unfinished *first, *second;
	int q;

	if (!r || !out)
		return -EINVAL;
	if (r->done)
		return LOGS_READ_LIMIT;
	/* Oldest first, as they would have been had their F come. */
	first = &r->line[0];
	second = &r->line[1];
	if (second->active && (!first->active || before(&second->time, &first->time))) {
		first = &r->line[1];
		second = &r->line[0];
	}
	if (first->active && (q = emit_unfinished(r, first, out, userdata)) != 0 &&
	    q != LOGS_READ_PAUSED)
		return q;
	if (second->active && (q = emit_unfinished(r, second, out, userdata)) != 0 &&
	    q != LOGS_READ_PAUSED)
		return q;
	return 0;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Reads the complete records of fd from *off up to stop (< 0: its end now), leaving *off at the
 * first record not complete. */
static int read_records(struct logs_reader *r, int fd, off_t *off, off_t stop, logs_output_fn out,
                        void *userdata)
{
	size_t len = 0;
	bool overlong = false;

	for (;;) {
		size_t want = r->buf_cap - len;
		const char *p, *nl, *end;
		ssize_t n;
		int q;

		if (stop >= 0) {
			off_t left = stop - (*off + (off_t)len);
			if (left <= 0)
				return 0;
			if ((off_t)want > left)
				want = (size_t)left;
		}
		n = pread(fd, r->buf + len, want, *off + (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		len += (size_t)n;

		p = r->buf;
		end = r->buf + len;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			if (overlong) {
				overlong = false;
				r->skipped++;
				q = 0;
			} else {
				q = on_record(r, p, (size_t)(nl - p + 1), out, userdata);
			}
			*off += nl - p + 1;
			p = nl + 1;
			if (q != 0)
				return q;
		}
		len = (size_t)(end - p);
		memmove(r->buf, p, len);

		if (len == r->buf_cap) {
			if (r->buf_cap < LOGS_MAX_RECORD) {
				char *grown = realloc(r->buf, r->buf_cap * 2);
				if (!grown)
					return -ENOMEM;
				r->buf = grown;
				r->buf_cap *= 2;
			} else {
				/* No '\n' in LOGS_MAX_RECORD bytes: drop up to the next one. */
				overlong = true;
				*off += (off_t)len;
				len = 0;
			}
		}
	}
}

/* The file after r->cur, once the name no longer leads to it: 1 and *next, 0 when r->cur is
 * still the current file (or no newer one exists yet), -EAGAIN when a rotation raced us. */
static int open_next(struct logs_reader *r, struct logs_file *next)
{
	_cleanup_free_ char *name = NULL;
	struct stat st;
	int found = 0, oldest = 0, misses = 0, q;

	if (stat(r->path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (same_file(&st, &r->cur))
		return 0;

	/* Where is our file now? A name may be missing for a moment in the middle of the
	 * writer's renames, so one gap does not end the search. */
	for (int k = 1; k <= MAX_ROTATED && misses < 2; k++) {
		_cleanup_free_ char *rotated = strdupf("%s.%d", r->path, k);
		if (!rotated)
			return -ENOMEM;
		if (stat(rotated, &st) < 0) {
			if (errno != ENOENT)
				return -errno;
			misses++;
			continue;
		}
		misses = 0;
		oldest = k;
		if (same_file(&st, &r->cur)) {
			found = k;
			break;
		}
	}
	/* Found at .k: next is .k-1, or the current file. Gone (deleted by rotation): every file
	 * left is newer, so the oldest of them. */
	if (found > 1)
		name = strdupf("%s.%d", r->path, found - 1);
	else if (!found && oldest > 0)
		name = strdupf("%s.%d", r->path, oldest);
	else
		name = strdup(r->path);
	if (!name)
		return -ENOMEM;
	q = open_file(name, next);
	if (q == -ENOENT)
		return -EAGAIN;
	if (q < 0)
		return q;
	if (next->dev == r->cur.dev && next->ino == r->cur.ino) {
		close_file(next);
		return -EAGAIN;
	}
	return 1;
}

/* What was there at the open: the files from where tailLines begins, oldest first. Goes on
 * where a pause left it. */
static int read_opened(struct logs_reader *r, logs_output_fn out, void *userdata)
{
	int q;

	if (!r->started) {
		r->started = true;
		r->off = 0;
		if (r->opts.tail_lines >= 0) {
			q = logs_tail_find(r->files, r->n_files, (uint64_t)r->opts.tail_lines,
			                   !r->opts.follow, &r->next, &r->off, &r->skip,
			                   &r->skipped);
			if (q < 0)
				return q;
		}
	}
	for (; r->next < r->n_files; r->next++, r->off = 0) {
		struct logs_file *f = &r->files[r->next];

		q = read_records(r, f->fd, &r->off, f->end, out, userdata);
		if (q != 0)
			return q;
		if (r->next + 1 == r->n_files)
			break;
		/* A rotated file that ends in a torn record: it will never be finished. */
		if (r->off < f->end)
			r->skipped++;
		close_file(f);
	}
	/* The newest file is where following goes on. */
	r->cur = r->files[r->n_files - 1];
	for (size_t i = 0; i + 1 < r->n_files; i++)
		close_file(&r->files[i]);
	free(r->files);
	r->files = NULL;
	r->n_files = 0;
	r->caught_up = true;
	return 0;
}

static int follow(struct logs_reader *r, logs_output_fn out, void *userdata)
{
	for (int hops = 0; hops < MAX_HOPS; hops++) {
		struct logs_file next;
		struct stat st;
		int q;

		q = read_records(r, r->cur.fd, &r->off, -1, out, userdata);
		if (q != 0)
			return q;
		q = open_next(r, &next);
		if (q == -EAGAIN)
			continue;
		if (q <= 0)
			return q;
		/* Renamed away: what was written before the rename is the end of it. */
		q = read_records(r, r->cur.fd, &r->off, -1, out, userdata);
		if (q != 0) {
			close_file(&next);
			return q;
		}
		if (fstat(r->cur.fd, &st) == 0 && r->off < st.st_size)
			r->skipped++;
		close_file(&r->cur);
		r->cur = next;
		r->off = 0;
	}
	return 0;
}

int logs_reader_read(struct logs_reader *r, logs_output_fn out, void *userdata)
{
	int q;

	if (!r || !out)
		return -EINVAL;
	if (r->done)
		return LOGS_READ_LIMIT;
	if (r->remain == 0) {
		r->done = true;
		return LOGS_READ_LIMIT;
	}

	if (!r->caught_up) {
		q = read_opened(r, out, userdata);
		/* Without follow, what is read is what was there when the log was opened. */
		if (q == 0 && r->opts.follow)
			q = follow(r, out, userdata);
	} else if (r->opts.follow) {
		q = follow(r, out, userdata);
	} else {
		q = 0; /* without follow, what was there at the open was read */
	}
	if (q == 0 && !r->opts.follow && !r->flushed) {
		q = logs_reader_flush(r, out, userdata);
		r->flushed = q == 0; /* everything selected went out: nothing more */
	}
	if (q < 0)
		r->done = true;
	return q;
}
