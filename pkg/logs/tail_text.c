/* pkg/logs/tail_text.c: the last lines of a container run's log as one string, the end kept
 * within a byte budget, as the kubelet's circbuf keeps it. The reader (reader.c) finds and
 * reads the lines; this only keeps the last max_bytes of what it hands over. Reads, never
 * writes.
 */
#include <string.h>

#include "logs.h"

struct ring {
	char *buf; /* the last `len` bytes written, in order */
	size_t len, max;
};

/* Keeps the last max bytes of everything appended (max 0: nothing). */
static int ring_append(void *userdata, const char *data, size_t len)
{
	struct ring *r = userdata;

	if (len >= r->max) {
		memcpy(r->buf, data + (len - r->max), r->max);
		r->len = r->max;
		return 0;
	}
	if (r->len + len > r->max) {
		size_t drop = r->len + len - r->max;

		memmove(r->buf, r->buf + drop, r->len - drop);
		r->len -= drop;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

int logs_tail_text(const char *dir, unsigned restart, int64_t lines, size_t max_bytes, char **out,
                   struct nano_err *err)
{
	struct logs_read_options opts = {.tail_lines = lines, .limit_bytes = -1};
	_cleanup_logs_reader_ struct logs_reader *reader = NULL;
	struct ring ring = {.buf = malloc(max_bytes + 1), .max = max_bytes};
	int r;

	*out = NULL;
	if (!ring.buf)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = logs_reader_open(dir, restart, &opts, &reader, err);
	/* without follow, one read is the whole selection, unfinished lines flushed */
	if (r >= 0)
		r = logs_reader_read(reader, ring_append, &ring);
	if (r < 0) {
		free(ring.buf);
		return r;
	}
	ring.buf[ring.len] = '\0';
	*out = ring.buf;
	return 0;
}
