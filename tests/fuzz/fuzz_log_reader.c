/* tests/fuzz/fuzz_log_reader.c: what a container prints, through the shim's writer into CRI
 * files and back through the daemon's reader, as GET …/log reads it: with tailLines,
 * limitBytes, timestamps, follow and a client so slow that the reader pauses after every few
 * lines. Without options the lines come back as printed (a "\r\n" ending loses its '\r', a last
 * line without '\n' gets one). The files live in a tmpfs directory of this process. */
#include "fuzz.h"

#include <ftw.h>
#include <sys/stat.h>

#include "logs/logs.h"

static char dir[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (dir[0])
		nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

struct sink {
	char *data;
	size_t len;
	unsigned lines, pause_every;
};

static int collect(void *userdata, const char *data, size_t len)
{
	struct sink *s = userdata;
	char *grown = realloc(s->data, s->len + len + 1);

	if (!grown)
		abort();
	memcpy(grown + s->len, data, len);
	s->data = grown;
	s->len += len;
	s->data[s->len] = '\0';
	return ++s->lines % s->pause_every == 0 ? LOGS_READ_PAUSED : 0;
}

/* Reads restart 0 until done; the output in s. */
static int read_all(const struct logs_read_options *opts, struct sink *s)
{
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	int q, rounds = 0;

	if (logs_reader_open(dir, 0, opts, &r, NULL) < 0)
		return -1;
	do {
		q = logs_reader_read(r, collect, s);
		FUZZ_ASSERT(++rounds < 1000000);
	} while (q == LOGS_READ_PAUSED);
	if (q == 0 && opts->follow)
		(void)logs_reader_flush(r, collect, s);
	return q;
}

/* What the reader must give back for bytes printed to one stream. */
static char *expected(const uint8_t *data, size_t size)
{
	char *out = malloc(size + 2), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			continue;
		*o++ = (char)data[i];
	}
	/* a trailing "\r" with nothing after it is the last line's own byte */
	if (o > out && o[-1] != '\n')
		*o++ = '\n';
	*o = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct logs_writer_config cfg = {.max_size = 4096, .max_files = 3};
	uint32_t h = fuzz_hash(data, size);
	struct timespec now = {.tv_sec = 1700000000 + (h & 0xff), .tv_nsec = h & 0xfffff};
	struct logs_writer *w = NULL;
	struct logs_read_options opts = {.tail_lines = -1, .limit_bytes = -1};
	struct sink s = {.pause_every = 1 + (h >> 8) % 4};
	_cleanup_free_ char *path = NULL;
	size_t cut = size ? (h >> 12) % size : 0;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/nanolet-fuzz-XXXXXX",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	cleanup();
	if (mkdir(dir, 0700) < 0)
		abort();
	if (logs_writer_open(dir, 0, &cfg, &w, NULL) < 0)
		abort();
	/* printed in two chunks, the line that straddles them joined again */
	(void)logs_writer_write(w, LOGS_STDOUT, data, cut, &now);
	(void)logs_writer_write(w, LOGS_STDOUT, data + cut, size - cut, &now);
	(void)logs_writer_close_stream(w, LOGS_STDOUT, &now);
	logs_writer_free(w);

	/* the whole log back, in order, when rotation kept all of it */
	path = strdupf("%s/0.log.2", dir);
	if (size < 1024 && access(path, F_OK) != 0 && memchr(data, '\0', size) == NULL) {
		_cleanup_free_ char *want = expected(data, size);
		struct sink all = {.pause_every = s.pause_every};

		FUZZ_ASSERT(read_all(&opts, &all) == 0 || size == 0);
		FUZZ_ASSERT(size == 0 || (all.data && strcmp(all.data, want) == 0));
		free(all.data);
	}
	/* and with options, whatever they give, bounded */
	opts.tail_lines = (int64_t)(h % 7) - 1;
	opts.limit_bytes = h & 0x10000 ? (int64_t)(h % 97) : -1;
	opts.timestamps = h & 0x20000;
	opts.follow = h & 0x40000;
	if (h & 0x80000)
		opts.since = (struct timespec){.tv_sec = now.tv_sec, .tv_nsec = now.tv_nsec};
	(void)read_all(&opts, &s);
	if (opts.limit_bytes >= 0)
		FUZZ_ASSERT(s.len <= (size_t)opts.limit_bytes);
	free(s.data);
	return 0;
}
