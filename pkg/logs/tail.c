/* pkg/logs/tail.c: tailLines — where to start reading so that the output ends with the last N
 * logical lines, found by reading the files backwards, newest first, in blocks.
 *
 * A logical line ends at an F record; its P pieces come before, on the same stream, possibly
 * with records of the other stream between them. Going backwards, an F record counts a line and
 * leaves its stream "collecting" until the F before it, where that line's first piece begins.
 * The start is the first record boundary where N lines are counted and no stream is collecting.
 * Reading forwards from there also emits older lines that end after it (the other stream's, or
 * lines whose first pieces lie before it): those are counted here too, and skipped by the reader.
 *
 * The kubelet counts physical records (tail.FindTailLineStartIndex); we count logical lines,
 * since a 40 KiB line is one line to the person asking for the last 10.
 *
 * This file only reads; it must not emit output.
 */
#include "logs_internal.h"

#include <string.h>

#define BLOCK_SIZE  65536
#define HEADER_SIZE 128 /* enough of a record to parse its timestamp, stream and tag */

struct back {
	int fd;
	off_t off; /* the buffer holds [off, off + len) of the file */
	size_t len;
	char buf[BLOCK_SIZE];
};

struct count {
	uint64_t want;      /* N */
	uint64_t counted;   /* lines whose start we need */
	uint64_t total;     /* lines reading forwards from the current position would emit */
	bool flush;         /* lines without their F are emitted at the end */
	bool seen[2];       /* a record of this stream has been seen */
	bool collecting[2]; /* a counted line of this stream still needs its first piece */
};

static int pread_full(int fd, char *buf, size_t len, off_t off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, buf + *got, len - *got, off + (off_t)*got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* The offset of the last '\n' before `before`, or -1 when there is none. Calls come with a
 * `before` that only decreases, inside or at the end of what the buffer holds. */
static int find_newline_before(struct back *b, off_t before, off_t *nl)
{
	for (;;) {
		off_t hi = before < b->off + (off_t)b->len ? before : b->off + (off_t)b->len;
		off_t top, lo;
		size_t got;
		int r;

		if (hi > b->off) {
			const char *p = memrchr(b->buf, '\n', (size_t)(hi - b->off));
			if (p) {
				*nl = b->off + (p - b->buf);
				return 0;
			}
		}
		/* [top, before) is searched: load the block before it. */
		top = before < b->off ? before : b->off;
		if (top == 0) {
			*nl = -1;
			return 0;
		}
		lo = top > BLOCK_SIZE ? top - BLOCK_SIZE : 0;
		r = pread_full(b->fd, b->buf, (size_t)(top - lo), lo, &got);
		if (r < 0)
			return r;
		/* Short only if the file shrank: the writer cut a torn record off again. */
		b->off = lo;
		b->len = got;
	}
}

/* Counts one record, read backwards. */
static void count_record(struct count *c, const struct logs_entry *e)
{
	int s = e->stream == LOGS_STDERR;
	bool first = !c->seen[s];

	c->seen[s] = true;
	if (!e->partial) {
		/* This F ends a line; the line after it on this stream (if collecting) starts
		 * right after it. */
		c->collecting[s] = false;
		c->total++;
		if (c->counted < c->want) {
			c->counted++;
			c->collecting[s] = true;
		}
	} else if (first) {
		/* P pieces with no F after them: a line its writer has not finished. It is the last
		 * line of its stream, so it is always collected; it counts when it will be emitted.
		 */
		c->collecting[s] = true;
		if (c->flush) {
			c->total++;
			c->counted++;
		}
	}
	/* Any other P is part of the line being collected, or of an older one ending after the
	 * start: emitted (and skipped) with its F. */
}

static bool may_stop(const struct count *c)
{
	return c->counted >= c->want && !c->collecting[0] && !c->collecting[1];
}

int logs_tail_find(const struct logs_file *files, size_t n, uint64_t tail, bool flush_unfinished,
                   size_t *file, off_t *off, uint64_t *skip, uint64_t *skipped)
{
	_cleanup_free_ struct back *b = malloc(sizeof(*b));
	struct count c = {.want = tail, .flush = flush_unfinished};
	char header[HEADER_SIZE];

	if (!b)
		return -ENOMEM;
	*file = 0;
	*off = 0;
	for (size_t i = n; i-- > 0;) {
		off_t cur, prev;
		int r;

		*b = (struct back){.fd = files[i].fd, .off = files[i].end, .len = 0};
		/* Bytes after the last '\n' are a torn record: not a line yet. */
		r = find_newline_before(b, files[i].end, &cur);
		if (r < 0)
			return r;
		while (cur >= 0) {
			struct logs_entry e;
			off_t start;
			size_t len, got;
			const char *rec;

			if (may_stop(&c)) {
				*file = i;
				*off = cur + 1;
				goto done;
			}
			r = find_newline_before(b, cur, &prev);
			if (r < 0)
				return r;
			start = prev + 1;
			len = (size_t)(cur - start + 1);
			if (len > LOGS_MAX_RECORD) {
				(*skipped)++;
				cur = prev;
				continue;
			}
			if (start >= b->off && cur < b->off + (off_t)b->len) {
				rec = b->buf + (start - b->off);
			} else {
				/* The record began in an earlier block than the one holding its
				 * '\n': only its header is needed. */
				if (len > HEADER_SIZE)
					len = HEADER_SIZE;
				r = pread_full(b->fd, header, len, start, &got);
				if (r < 0)
					return r;
				len = got;
				rec = header;
			}
			if (logs_parse_line(rec, len, &e) == 0)
				count_record(&c, &e);
			else
				(*skipped)++;
			cur = prev;
		}
	}
done:
	*skip = c.total > c.want ? c.total - c.want : 0;
	return 0;
}
