/* tests/unit/test_logs.c: the CRI log format (timestamps, records), the shim's writer (exact
 * bytes, P/F pieces, rotation, errors) and the daemon's reader (tailLines, since, timestamps,
 * limitBytes, torn and malformed records, follow across rotations).
 *
 * Every test works in its own directory under one mkdtemp'd base in /tmp, which the unchecked
 * teardown removes in the parent process, so it goes away even when tests fail.
 */
#include "check_main.h"
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

#include "logs/logs.h"

static char base[64];

static void base_setup(void)
{
	strcpy(base, "/tmp/nanolet-test-logs-XXXXXX");
	if (!mkdtemp(base))
		abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void base_teardown(void)
{
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory for one test (forked: each test gets its own). */
static char *test_dir(void)
{
	char *dir = strdupf("%s/XXXXXX", base);
	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static struct timespec ts(time_t sec, long nsec)
{
	return (struct timespec){.tv_sec = sec, .tv_nsec = nsec};
}

static char *slurp(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *data = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&data, &len);
	char buf[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(mem);
	return data;
}

static void put_file(const char *dir, const char *name, const char *data)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	_cleanup_fclose_ FILE *f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(data, f) >= 0, 1);
}

static void append_file(const char *dir, const char *name, const char *data)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	_cleanup_fclose_ FILE *f = fopen(path, "ae");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(data, f) >= 0, 1);
}

static bool exists(const char *dir, const char *name)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Output collected from the reader's callback. */
struct sink {
	char *data;
	size_t len;
	int calls;
	int fail_with; /* non-zero: the callback returns it */
};

static int sink_out(void *userdata, const char *data, size_t len)
{
	struct sink *s = userdata;
	char *grown = realloc(s->data, s->len + len + 1);

	ck_assert_ptr_nonnull(grown);
	s->data = grown;
	memcpy(s->data + s->len, data, len);
	s->len += len;
	s->data[s->len] = '\0';
	s->calls++;
	return s->fail_with;
}

static const char *sink_text(struct sink *s)
{
	return s->data ? s->data : "";
}

static void sink_reset(struct sink *s)
{
	free(s->data);
	*s = (struct sink){0};
}

static const struct logs_read_options all = {.tail_lines = -1, .limit_bytes = -1};

/* Reads restart 0 of dir once with opts; returns the output (caller frees). */
static char *read_log(const char *dir, const struct logs_read_options *opts, int *rc)
{
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct sink s = {0};
	int q;

	ck_assert_int_eq(logs_reader_open(dir, 0, opts, &r, NULL), 0);
	q = logs_reader_read(r, sink_out, &s);
	if (rc)
		*rc = q;
	else
		ck_assert_int_eq(q, 0);
	return s.data ? s.data : strdup("");
}

static struct logs_writer *open_writer(const char *dir, uint64_t max_size, unsigned max_files)
{
	struct logs_writer_config cfg = {.max_size = max_size, .max_files = max_files};
	struct logs_writer *w = NULL;
	ck_assert_int_eq(logs_writer_open(dir, 0, &cfg, &w, NULL), 0);
	return w;
}

static void write_str(struct logs_writer *w, enum logs_stream s, const char *text, time_t sec)
{
	struct timespec now = ts(sec, 0);
	ck_assert_int_eq(logs_writer_write(w, s, text, strlen(text), &now), 0);
}

/* ---- timestamps -------------------------------------------------------------------------- */

static const struct {
	const char *name;
	struct timespec ts;
	int rc;
	const char *text;
} format_cases[] = {
        {"epoch", {0, 0}, 30, "1970-01-01T00:00:00.000000000Z"},
        {"containerd example", {1795912617, 123456789}, 30, "2026-11-29T00:36:57.123456789Z"},
        {"one nanosecond keeps 9 digits", {1795912617, 1}, 30, "2026-11-29T00:36:57.000000001Z"},
        {"last second of 9999", {253402300799, 999999999}, 30, "9999-12-31T23:59:59.999999999Z"},
        {"year 10000", {253402300800, 0}, -EINVAL, NULL},
        {"negative nanoseconds", {0, -1}, -EINVAL, NULL},
        {"a whole second of nanoseconds", {0, 1000000000}, -EINVAL, NULL},
};

START_TEST(test_format_timestamp)
{
	char buf[LOGS_TIMESTAMP_MAX];
	int rc = logs_format_timestamp(&format_cases[_i].ts, buf);

	ck_assert_msg(rc == format_cases[_i].rc, "%s: rc %d", format_cases[_i].name, rc);
	if (rc > 0)
		ck_assert_str_eq(buf, format_cases[_i].text);
}
END_TEST

static const struct {
	const char *name;
	const char *text;
	int rc;
	struct timespec ts;
} parse_ts_cases[] = {
        {"fixed 9 digits", "2026-11-29T00:36:57.123456789Z", 0, {1795912617, 123456789}},
        {"Go RFC3339Nano drops zeros", "2026-11-29T00:36:57.5Z", 0, {1795912617, 500000000}},
        {"no fraction", "2026-11-29T00:36:57Z", 0, {1795912617, 0}},
        {"positive offset", "2026-11-29T01:36:57.000000001+01:00", 0, {1795912617, 1}},
        {"negative offset", "2026-11-28T19:06:57-05:30", 0, {1795912617, 0}},
        {"leap day", "2024-02-29T12:00:00Z", 0, {1709208000, 0}},
        {"not a leap year", "2026-02-29T12:00:00Z", -EBADMSG, {0, 0}},
        {"no zone", "2026-11-29T00:36:57.123", -EBADMSG, {0, 0}},
        {"ten fractional digits", "2026-11-29T00:36:57.1234567890Z", -EBADMSG, {0, 0}},
        {"empty fraction", "2026-11-29T00:36:57.Z", -EBADMSG, {0, 0}},
        {"month 13", "2026-13-29T00:36:57Z", -EBADMSG, {0, 0}},
        {"hour 24", "2026-11-29T24:00:00Z", -EBADMSG, {0, 0}},
        {"space for T", "2026-11-29 00:36:57Z", -EBADMSG, {0, 0}},
        {"trailing bytes", "2026-11-29T00:36:57Zx", -EBADMSG, {0, 0}},
        {"empty", "", -EBADMSG, {0, 0}},
};

START_TEST(test_parse_timestamp)
{
	struct timespec got = {-1, -1};
	const char *text = parse_ts_cases[_i].text;
	int rc = logs_parse_timestamp(text, strlen(text), &got);

	ck_assert_msg(rc == parse_ts_cases[_i].rc, "%s: rc %d", parse_ts_cases[_i].name, rc);
	if (rc == 0) {
		ck_assert_msg(got.tv_sec == parse_ts_cases[_i].ts.tv_sec &&
		                      got.tv_nsec == parse_ts_cases[_i].ts.tv_nsec,
		              "%s: got %lld.%09ld", parse_ts_cases[_i].name, (long long)got.tv_sec,
		              got.tv_nsec);
	}
}
END_TEST

START_TEST(test_since)
{
	struct timespec now = ts(1000, 500), t700 = ts(700, 0), t950 = ts(950, 1), got;

	got = logs_since(-1, NULL, &now);
	ck_assert(got.tv_sec == 0 && got.tv_nsec == 0);
	got = logs_since(100, NULL, &now);
	ck_assert(got.tv_sec == 900 && got.tv_nsec == 500);
	got = logs_since(-1, &t700, &now);
	ck_assert(got.tv_sec == 700 && got.tv_nsec == 0);
	/* Both: the later wins, as in the kubelet's NewLogOptions. */
	got = logs_since(100, &t700, &now);
	ck_assert(got.tv_sec == 900 && got.tv_nsec == 500);
	got = logs_since(100, &t950, &now);
	ck_assert(got.tv_sec == 950 && got.tv_nsec == 1);
}
END_TEST

/* ---- records ----------------------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *line;
	int rc;
	enum logs_stream stream;
	bool partial;
	const char *content;
} parse_line_cases[] = {
        {"full stdout", "2026-11-29T00:36:57.123456789Z stdout F hello world\n", 0, LOGS_STDOUT,
         false, "hello world"},
        {"partial stderr", "2026-11-29T00:36:57.123456789Z stderr P piece", 0, LOGS_STDERR, true,
         "piece"},
        {"empty line", "2026-11-29T00:36:57.123456789Z stdout F \n", 0, LOGS_STDOUT, false, ""},
        {"content keeps spaces", "2026-11-29T00:36:57Z stdout F  a  b ", 0, LOGS_STDOUT, false,
         " a  b "},
        {"more tags after P", "2026-11-29T00:36:57Z stdout P:x:y z", 0, LOGS_STDOUT, true, "z"},
        {"more tags after F", "2026-11-29T00:36:57Z stdout F:x z", 0, LOGS_STDOUT, false, "z"},
        {"unknown tag is full", "2026-11-29T00:36:57Z stdout Px z", 0, LOGS_STDOUT, false, "z"},
        {"containerd local zone", "2026-11-29T01:36:57.5+01:00 stdout F x", 0, LOGS_STDOUT, false,
         "x"},
        {"no space before content", "2026-11-29T00:36:57Z stdout F", -EBADMSG, 0, false, NULL},
        {"empty tag", "2026-11-29T00:36:57Z stdout  x", -EBADMSG, 0, false, NULL},
        {"stdin", "2026-11-29T00:36:57Z stdin F x", -EBADMSG, 0, false, NULL},
        {"bad timestamp", "yesterday stdout F x", -EBADMSG, 0, false, NULL},
        {"docker json", "{\"log\":\"x\\n\",\"stream\":\"stdout\"}", -EBADMSG, 0, false, NULL},
        {"empty", "", -EBADMSG, 0, false, NULL},
};

START_TEST(test_parse_line)
{
	struct logs_entry e = {0};
	const char *line = parse_line_cases[_i].line;
	int rc = logs_parse_line(line, strlen(line), &e);

	ck_assert_msg(rc == parse_line_cases[_i].rc, "%s: rc %d", parse_line_cases[_i].name, rc);
	if (rc == 0) {
		ck_assert_int_eq(e.stream, parse_line_cases[_i].stream);
		ck_assert_int_eq(e.partial, parse_line_cases[_i].partial);
		ck_assert_int_eq(e.content_len, strlen(parse_line_cases[_i].content));
		ck_assert(memcmp(e.content, parse_line_cases[_i].content, e.content_len) == 0);
	}
}
END_TEST

/* ---- writer ------------------------------------------------------------------------------ */

START_TEST(test_writer_exact_bytes)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *sub = strdupf("%s/pods/ns_name_uid/app", dir);
	_cleanup_free_ char *path = strdupf("%s/0.log", sub);
	_cleanup_free_ char *data = NULL;
	struct logs_writer *w = NULL;
	struct timespec now = ts(1795912617, 123456789);
	struct stat st;

	/* The directory and its parents are created. */
	ck_assert_int_eq(logs_writer_open(sub, 0, NULL, &w, NULL), 0);
	ck_assert_int_eq(logs_writer_write(w, LOGS_STDOUT, "hello\nworld\n", 12, &now), 0);
	ck_assert_int_eq(logs_writer_write(w, LOGS_STDERR, "oops\n", 5, &now), 0);
	logs_writer_free(w);

	data = slurp(path);
	ck_assert_str_eq(data, "2026-11-29T00:36:57.123456789Z stdout F hello\n"
	                       "2026-11-29T00:36:57.123456789Z stdout F world\n"
	                       "2026-11-29T00:36:57.123456789Z stderr F oops\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
}
END_TEST

/* Chunks as they come off the pipes, and what the file holds afterwards (timestamps are the
 * chunk number in seconds). */
static const struct {
	const char *name;
	struct {
		enum logs_stream stream;
		const char *bytes; /* NULL: close the stream */
	} chunks[6];
	const char *file;
} chunk_cases[] = {
        {"line split across chunks",
         {{LOGS_STDOUT, "hel"}, {LOGS_STDOUT, "lo wor"}, {LOGS_STDOUT, "ld\n"}},
         "1970-01-01T00:00:02.000000000Z stdout F hello world\n"},
        {"streams interleaved mid-line",
         {{LOGS_STDOUT, "a1\na2"}, {LOGS_STDERR, "e1\n"}, {LOGS_STDOUT, "\n"}},
         "1970-01-01T00:00:00.000000000Z stdout F a1\n"
         "1970-01-01T00:00:01.000000000Z stderr F e1\n"
         "1970-01-01T00:00:02.000000000Z stdout F a2\n"},
        {"closing a stream flushes its line as F",
         {{LOGS_STDOUT, "no newline"}, {LOGS_STDERR, "err"}, {LOGS_STDOUT, NULL}},
         "1970-01-01T00:00:02.000000000Z stdout F no newline\n"},
        {"closing an empty stream writes nothing",
         {{LOGS_STDOUT, "x\n"}, {LOGS_STDOUT, NULL}},
         "1970-01-01T00:00:00.000000000Z stdout F x\n"},
        {"empty lines",
         {{LOGS_STDERR, "\n\n"}},
         "1970-01-01T00:00:00.000000000Z stderr F \n"
         "1970-01-01T00:00:00.000000000Z stderr F \n"},
        {"CRLF loses its CR like containerd",
         {{LOGS_STDOUT, "dos\r\n"}, {LOGS_STDOUT, "a\rb\n"}},
         "1970-01-01T00:00:00.000000000Z stdout F dos\n"
         "1970-01-01T00:00:01.000000000Z stdout F a\rb\n"},
        {"CR and LF in different chunks",
         {{LOGS_STDOUT, "dos\r"}, {LOGS_STDOUT, "\n"}},
         "1970-01-01T00:00:01.000000000Z stdout F dos\n"},
};

START_TEST(test_writer_chunks)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *path = strdupf("%s/0.log", dir);
	_cleanup_free_ char *data = NULL;
	struct logs_writer *w = open_writer(dir, LOGS_DEFAULT_MAX_SIZE, 5);

	for (size_t i = 0; i < ELEMENTSOF(chunk_cases[_i].chunks); i++) {
		struct timespec now = ts((time_t)i, 0);
		const char *bytes = chunk_cases[_i].chunks[i].bytes;
		enum logs_stream s = chunk_cases[_i].chunks[i].stream;
		if (s == 0)
			break;
		if (bytes)
			ck_assert_int_eq(logs_writer_write(w, s, bytes, strlen(bytes), &now), 0);
		else
			ck_assert_int_eq(logs_writer_close_stream(w, s, &now), 0);
	}
	logs_writer_free(w);
	data = slurp(path);
	ck_assert_msg(strcmp(data, chunk_cases[_i].file) == 0, "%s:\n%s", chunk_cases[_i].name,
	              data);
}
END_TEST

static char *pattern(size_t len)
{
	char *p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (char)('a' + (i * 7 + i / 26) % 26);
	p[len] = '\0';
	return p;
}

START_TEST(test_long_line_pieces)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *path = strdupf("%s/0.log", dir);
	_cleanup_free_ char *line = pattern(40 * 1024);
	_cleanup_free_ char *data = NULL, *out = NULL, *want = NULL;
	struct logs_writer *w = open_writer(dir, LOGS_DEFAULT_MAX_SIZE, 5);
	struct timespec now = ts(1, 0);
	const char *p;

	/* 4 KiB reads from the pipe, the newline in a chunk of its own, a short line after. */
	for (size_t off = 0; off < 40 * 1024; off += 4096)
		ck_assert_int_eq(logs_writer_write(w, LOGS_STDOUT, line + off, 4096, &now), 0);
	write_str(w, LOGS_STDOUT, "\nafter\n", 1);
	logs_writer_free(w);

	/* P 16384, P 16384, F 8192: containerd's cut. */
	data = slurp(path);
	p = data;
	for (int i = 0; i < 3; i++) {
		struct logs_entry e;
		const char *nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_int_eq(logs_parse_line(p, (size_t)(nl - p + 1), &e), 0);
		ck_assert_int_eq(e.partial, i < 2);
		ck_assert_int_eq(e.content_len, i < 2 ? 16384 : 8192);
		ck_assert(memcmp(e.content, line + i * 16384, e.content_len) == 0);
		p = nl + 1;
	}
	ck_assert_str_eq(p, "1970-01-01T00:00:01.000000000Z stdout F after\n");

	/* Read back as one line. */
	out = read_log(dir, &all, NULL);
	want = strdupf("%s\nafter\n", line);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_line_of_exactly_max_is_one_record)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *path = strdupf("%s/0.log", dir);
	_cleanup_free_ char *line = pattern(LOGS_MAX_LINE);
	_cleanup_free_ char *data = NULL, *want = NULL;
	struct logs_writer *w = open_writer(dir, LOGS_DEFAULT_MAX_SIZE, 5);

	write_str(w, LOGS_STDOUT, line, 0);
	write_str(w, LOGS_STDOUT, "\n", 0);
	logs_writer_free(w);
	data = slurp(path);
	want = strdupf("1970-01-01T00:00:00.000000000Z stdout F %s\n", line);
	ck_assert_str_eq(data, want);
}
END_TEST

/* 48-byte records: 4 fit in 200 bytes, the 5th starts a new file. */
static void write_numbered(struct logs_writer *w, int from, int to)
{
	for (int i = from; i <= to; i++) {
		_cleanup_free_ char *text = strdupf("line-%02d\n", i);
		write_str(w, LOGS_STDOUT, text, i);
	}
}

static char *numbered(int from, int to)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	for (int i = from; i <= to; i++)
		fprintf(f, "line-%02d\n", i);
	fclose(f);
	return data;
}

START_TEST(test_rotation)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *cur = strdupf("%s/0.log", dir), *one = strdupf("%s/0.log.1", dir);
	_cleanup_free_ char *out = NULL, *want = numbered(9, 20), *data = NULL;
	struct logs_writer *w;
	struct stat st;

	/* Left by a run with container_log_max_files 6: beyond the new limit, deleted. */
	put_file(dir, "0.log.3", "stale\n");
	put_file(dir, "0.log.5", "stale\n");
	w = open_writer(dir, 200, 3);
	write_numbered(w, 1, 20);
	logs_writer_free(w);

	ck_assert(exists(dir, "0.log"));
	ck_assert(exists(dir, "0.log.1"));
	ck_assert(exists(dir, "0.log.2"));
	ck_assert(!exists(dir, "0.log.3"));
	ck_assert(!exists(dir, "0.log.5"));
	ck_assert_int_eq(stat(cur, &st), 0);
	ck_assert_int_eq(st.st_size, 4 * 48);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	data = slurp(one);
	ck_assert_ptr_nonnull(strstr(data, "line-13"));
	ck_assert_ptr_nonnull(strstr(data, "line-16"));

	/* line-01 … line-08 went with the deleted files; the rest in order. */
	out = read_log(dir, &all, NULL);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_rotation_one_file)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *out = NULL, *want = numbered(9, 10);
	struct logs_writer *w = open_writer(dir, 100, 1);

	write_numbered(w, 1, 10);
	logs_writer_free(w);
	ck_assert(!exists(dir, "0.log.1"));
	out = read_log(dir, &all, NULL);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_writer_continues_existing_file)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *out = NULL, *want = numbered(1, 6);
	struct logs_writer *w = open_writer(dir, 200, 3);

	write_numbered(w, 1, 3);
	logs_writer_free(w);
	/* The shim restarted: the size is picked up again, so the 5th record rotates. */
	w = open_writer(dir, 200, 3);
	write_numbered(w, 4, 6);
	logs_writer_free(w);
	ck_assert(exists(dir, "0.log.1"));
	out = read_log(dir, &all, NULL);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_writer_errors)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *link = strdupf("%s/full/0.log", dir);
	_cleanup_free_ char *full = strdupf("%s/full", dir);
	_cleanup_free_ char *notdir = strdupf("%s/file/sub", dir);
	struct logs_writer_config zero = {.max_size = 0, .max_files = 3};
	struct logs_writer *w = NULL;
	struct nano_err err = {0};
	struct timespec now = ts(0, 0);

	ck_assert_int_eq(logs_writer_open(dir, 0, &zero, &w, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "container_log_max_size"));
	nano_err_clear(&err);

	/* A disk that is full: the error comes back, it is not swallowed. */
	ck_assert_int_eq(mkdir(full, 0755), 0);
	ck_assert_int_eq(symlink("/dev/full", link), 0);
	ck_assert_int_eq(logs_writer_open(full, 0, NULL, &w, &err), 0);
	ck_assert_int_eq(logs_writer_write(w, LOGS_STDOUT, "x\n", 2, &now), -ENOSPC);
	/* A partial line is only buffered, and its error comes on close. */
	ck_assert_int_eq(logs_writer_write(w, LOGS_STDERR, "y", 1, &now), 0);
	ck_assert_int_eq(logs_writer_close_stream(w, LOGS_STDERR, &now), -ENOSPC);
	ck_assert_int_eq(logs_writer_write(w, 3, "x\n", 2, &now), -EINVAL);
	logs_writer_free(w);

	/* A file where the directory should be. */
	put_file(dir, "file", "");
	ck_assert_int_eq(logs_writer_open(notdir, 0, NULL, &w, &err), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(err.message, notdir));
	nano_err_clear(&err);
}
END_TEST

/* ---- the pod's directory ---------------------------------------------------------------- */

#define UID "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

struct dir_name_case {
	const char *name;
	size_t ns_len, name_len; /* of 'n' and 'p' */
	size_t want_len;         /* 0: the kubelet's <ns>_<name>_<uid> */
};

static const struct dir_name_case dir_name_cases[] = {
        {"short", 7, 3, 0},
        {"the longest that fits whole", 63, 255 - 63 - 36 - 2, 0},
        {"one more is shortened", 63, 255 - 63 - 36 - 1, 255},
        /* a 216-character name was a 500: File name too long */
        {"216 characters", 7, 216, 255},
        {"the longest name and namespace", 63, 253, 255},
};

START_TEST(test_pod_dir_name)
{
	const struct dir_name_case *c = &dir_name_cases[_i];
	_cleanup_free_ char *ns = repeat('n', c->ns_len), *name = repeat('p', c->name_len);
	_cleanup_free_ char *whole = strdupf("%s_%s_%s", ns, name, UID);
	char out[NAME_MAX + 1], again[NAME_MAX + 1];

	ck_assert_int_eq(logs_pod_dir_name(ns, name, UID, out), 0);
	ck_assert_uint_le(strlen(out), NAME_MAX);
	if (!c->want_len) {
		ck_assert_str_eq(out, whole);
		return;
	}
	ck_assert_msg(strlen(out) == c->want_len, "%s: %zu", c->name, strlen(out));
	/* <ns>_<start of name>-<8 hex>_<uid>: the uid after the last '_', the start kept */
	ck_assert_str_eq(strrchr(out, '_') + 1, UID);
	ck_assert(strncmp(out, whole, c->ns_len + 1 + 100) == 0);
	ck_assert_int_eq(out[strlen(out) - strlen(UID) - 10], '-');
	/* stable */
	ck_assert_int_eq(logs_pod_dir_name(ns, name, UID, again), 0);
	ck_assert_str_eq(out, again);
}
END_TEST

/* Two long names that differ only past the cut get different directories. */
START_TEST(test_pod_dir_name_cut_apart)
{
	_cleanup_free_ char *a = repeat('p', 253), *b = repeat('p', 253);
	char da[NAME_MAX + 1], db[NAME_MAX + 1];

	b[252] = 'q';
	ck_assert_int_eq(logs_pod_dir_name("default", a, UID, da), 0);
	ck_assert_int_eq(logs_pod_dir_name("default", b, UID, db), 0);
	ck_assert_str_ne(da, db);
}
END_TEST

/* ---- reader ------------------------------------------------------------------------------ */

#define T(sec) "1970-01-01T00:00:0" #sec ".000000000Z "

/* Records written by hand: stdout's line "ab" is cut in two with stderr's "x" between. */
static const char interleaved[] =
        T(1) "stdout P a\n" T(2) "stderr F x\n" T(3) "stdout F b\n" T(4) "stderr F y\n";

static const struct {
	const char *name;
	const char *file;
	struct logs_read_options opts;
	const char *out;
	int rc;
} read_cases[] = {
        {"everything", interleaved, {.tail_lines = -1, .limit_bytes = -1}, "x\nab\ny\n", 0},
        {"timestamps: the line's first piece",
         interleaved,
         {.timestamps = true, .tail_lines = -1, .limit_bytes = -1},
         T(2) "x\n" T(1) "ab\n" T(4) "y\n",
         0},
        {"tail 1", interleaved, {.tail_lines = 1, .limit_bytes = -1}, "y\n", 0},
        {"tail 2 reaches back for the first piece",
         interleaved,
         {.tail_lines = 2, .limit_bytes = -1},
         "ab\ny\n",
         0},
        {"tail 3", interleaved, {.tail_lines = 3, .limit_bytes = -1}, "x\nab\ny\n", 0},
        {"tail more than there is",
         interleaved,
         {.tail_lines = 50, .limit_bytes = -1},
         "x\nab\ny\n",
         0},
        {"tail 0", interleaved, {.tail_lines = 0, .limit_bytes = -1}, "", 0},
        {"since: lines stamped at or after",
         interleaved,
         {.tail_lines = -1, .limit_bytes = -1, .since = {2, 0}},
         "x\ny\n",
         0},
        {"since after everything",
         interleaved,
         {.tail_lines = -1, .limit_bytes = -1, .since = {5, 0}},
         "",
         0},
        {"tail, then since",
         interleaved,
         {.tail_lines = 2, .limit_bytes = -1, .since = {2, 0}},
         "y\n",
         0},
        {"limitBytes cuts the last line",
         interleaved,
         {.tail_lines = -1, .limit_bytes = 4},
         "x\nab",
         LOGS_READ_LIMIT},
        {"limitBytes on a line end",
         interleaved,
         {.tail_lines = -1, .limit_bytes = 5},
         "x\nab\n",
         LOGS_READ_LIMIT},
        {"limitBytes more than there is",
         interleaved,
         {.tail_lines = -1, .limit_bytes = 100},
         "x\nab\ny\n",
         0},
        {"limitBytes 0", interleaved, {.tail_lines = -1, .limit_bytes = 0}, "", LOGS_READ_LIMIT},
        {"limitBytes counts the timestamp",
         interleaved,
         {.timestamps = true, .tail_lines = -1, .limit_bytes = 10},
         "1970-01-01",
         LOGS_READ_LIMIT},
        {"torn last record left out",
         T(1) "stdout F one\n" T(2) "stdout F tw",
         {.tail_lines = -1, .limit_bytes = -1},
         "one\n",
         0},
        {"torn last record and tail",
         T(1) "stdout F one\n" T(2) "stdout F tw",
         {.tail_lines = 1, .limit_bytes = -1},
         "one\n",
         0},
        {"malformed record skipped",
         T(1) "stdout F one\ngarbage\n" T(2) "stdout F two\n",
         {.tail_lines = -1, .limit_bytes = -1},
         "one\ntwo\n",
         0},
        {"malformed record not counted by tail",
         T(1) "stdout F one\ngarbage\n" T(2) "stdout F two\n",
         {.tail_lines = 2, .limit_bytes = -1},
         "one\ntwo\n",
         0},
        {"unfinished line flushed at the end",
         T(1) "stdout F one\n" T(2) "stderr P hal\n" T(3) "stderr P f\n",
         {.tail_lines = -1, .limit_bytes = -1},
         "one\nhalf\n",
         0},
        {"writer died mid-line: flushed",
         T(1) "stderr P hal\n" T(2) "stdout F one\n" T(3) "stderr P f\n",
         {.tail_lines = -1, .limit_bytes = -1},
         "one\nhalf\n",
         0},
        {"writer died mid-line: tail counts it",
         T(1) "stderr P hal\n" T(2) "stdout F one\n" T(3) "stderr P f\n",
         {.tail_lines = 1, .limit_bytes = -1},
         "half\n",
         0},
        {"empty file", "", {.tail_lines = 5, .limit_bytes = -1}, "", 0},
};

START_TEST(test_read)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *out = NULL;
	int rc;

	put_file(dir, "0.log", read_cases[_i].file);
	out = read_log(dir, &read_cases[_i].opts, &rc);
	ck_assert_msg(strcmp(out, read_cases[_i].out) == 0, "%s: got \"%s\"", read_cases[_i].name,
	              out);
	ck_assert_msg(rc == read_cases[_i].rc, "%s: rc %d", read_cases[_i].name, rc);
}
END_TEST

/* A reader that is told to pause after every line (a follower whose client is slow) and read
 * again until it is done gives the same output and the same end, one line per call. */
static int pausing_out(void *userdata, const char *data, size_t len)
{
	sink_out(userdata, data, len);
	return LOGS_READ_PAUSED;
}

static char *read_log_paused(const char *dir, const struct logs_read_options *opts, int *rc)
{
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct sink s = {0};
	int q, calls = 0;

	ck_assert_int_eq(logs_reader_open(dir, 0, opts, &r, NULL), 0);
	do {
		int before = s.calls;

		q = logs_reader_read(r, pausing_out, &s);
		/* one line per call while paused: the pause is obeyed */
		ck_assert_int_le(s.calls - before, q == LOGS_READ_PAUSED ? 1 : 2);
		ck_assert_int_lt(++calls, 100000);
	} while (q == LOGS_READ_PAUSED);
	*rc = q;
	return s.data ? s.data : strdup("");
}

START_TEST(test_read_paused)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *out = NULL;
	int rc;

	put_file(dir, "0.log", read_cases[_i].file);
	out = read_log_paused(dir, &read_cases[_i].opts, &rc);
	ck_assert_msg(strcmp(out, read_cases[_i].out) == 0, "%s: got \"%s\"", read_cases[_i].name,
	              out);
	ck_assert_msg(rc == read_cases[_i].rc, "%s: rc %d", read_cases[_i].name, rc);
}
END_TEST

START_TEST(test_read_skipped_count_and_limit_sticks)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct logs_read_options opts = {.tail_lines = -1, .limit_bytes = 3};
	struct sink s = {0};

	put_file(dir, "0.log", T(1) "stdout F one\nbad\n" T(2) "stdout F two\n");
	ck_assert_int_eq(logs_reader_open(dir, 0, &opts, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), LOGS_READ_LIMIT);
	ck_assert_str_eq(sink_text(&s), "one");
	append_file(dir, "0.log", T(3) "stdout F three\n");
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), LOGS_READ_LIMIT);
	ck_assert_str_eq(sink_text(&s), "one");
	sink_reset(&s);
	logs_reader_free(TAKE_PTR(r));

	opts.limit_bytes = -1;
	ck_assert_int_eq(logs_reader_open(dir, 0, &opts, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\ntwo\nthree\n");
	ck_assert_int_eq(logs_reader_skipped(r), 1);
	ck_assert_str_eq(logs_reader_dir(r), dir);
	sink_reset(&s);

	/* The callback's error stops the read and comes back. */
	logs_reader_free(TAKE_PTR(r));
	ck_assert_int_eq(logs_reader_open(dir, 0, &opts, &r, NULL), 0);
	s.fail_with = -EPIPE;
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), -EPIPE);
	ck_assert_int_eq(s.calls, 1);
	sink_reset(&s);
}
END_TEST

START_TEST(test_read_missing)
{
	_cleanup_free_ char *dir = test_dir();
	struct logs_reader *r = NULL;
	struct nano_err err = {0};

	ck_assert_int_eq(logs_reader_open(dir, 0, &all, &r, &err), -ENOENT);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err.message, "0.log"));
	nano_err_clear(&err);
}
END_TEST

START_TEST(test_read_previous_restart)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct sink s = {0};

	put_file(dir, "0.log", T(1) "stdout F first run\n");
	put_file(dir, "1.log", T(2) "stdout F second run\n");
	ck_assert_int_eq(logs_reader_open(dir, 0, &all, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "first run\n");
	sink_reset(&s);
}
END_TEST

static const struct {
	int tail;
	int from; /* of line-01 … line-20, kept: 09 … 20 */
} rotated_tail_cases[] = {
        {1, 20}, {4, 17}, {5, 16}, {6, 15}, {12, 9}, {13, 9}, {100, 9},
};

START_TEST(test_tail_over_rotated_files)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *out = NULL, *want = numbered(rotated_tail_cases[_i].from, 20);
	struct logs_read_options opts = {.tail_lines = rotated_tail_cases[_i].tail,
	                                 .limit_bytes = -1};
	struct logs_writer *w = open_writer(dir, 200, 3);
	int rc;

	write_numbered(w, 1, 20);
	logs_writer_free(w);
	out = read_log(dir, &opts, NULL);
	ck_assert_msg(strcmp(out, want) == 0, "tail %d: got\n%s", rotated_tail_cases[_i].tail, out);
	free(out);
	/* paused after every line, the read goes on across the rotated files */
	out = read_log_paused(dir, &opts, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strcmp(out, want) == 0, "tail %d paused: got\n%s",
	              rotated_tail_cases[_i].tail, out);
}
END_TEST

/* Big enough that the backward scan loads many blocks, and a long line whose pieces straddle
 * block boundaries. */
START_TEST(test_tail_large_log)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *line = pattern(100 * 1024);
	_cleanup_free_ char *out = NULL, *want = NULL;
	struct logs_read_options opts = {.tail_lines = 3, .limit_bytes = -1};
	struct logs_writer *w = open_writer(dir, LOGS_DEFAULT_MAX_SIZE, 5);

	write_numbered(w, 1, 99);
	for (int i = 0; i < 3000; i++)
		write_str(w, LOGS_STDERR, "filler filler filler filler\n", 100);
	write_str(w, LOGS_STDOUT, line, 101);
	write_str(w, LOGS_STDERR, "between the pieces\n", 101);
	write_str(w, LOGS_STDOUT, "\nlast\n", 102);
	logs_writer_free(w);

	want = strdupf("between the pieces\n%s\nlast\n", line);
	out = read_log(dir, &opts, NULL);
	ck_assert(strcmp(out, want) == 0);
	free(out);

	opts.tail_lines = 1;
	out = read_log(dir, &opts, NULL);
	ck_assert_str_eq(out, "last\n");
	free(out);

	opts.tail_lines = 3004;
	out = read_log(dir, &opts, NULL);
	ck_assert(strncmp(out, "line-99\nfiller", 14) == 0);
}
END_TEST

START_TEST(test_since_and_timestamps_over_writer)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *out = NULL;
	struct logs_read_options opts = {.timestamps = true, .tail_lines = -1, .limit_bytes = -1};
	struct logs_writer *w = open_writer(dir, 200, 3);
	struct timespec now = ts(250, 0);

	write_numbered(w, 1, 6); /* line-N stamped N seconds */
	logs_writer_free(w);
	opts.since = logs_since(-1, &(struct timespec){5, 0}, &now);
	out = read_log(dir, &opts, NULL);
	ck_assert_str_eq(out, "1970-01-01T00:00:05.000000000Z line-05\n"
	                      "1970-01-01T00:00:06.000000000Z line-06\n");
}
END_TEST

/* ---- follow ------------------------------------------------------------------------------ */

static const struct logs_read_options following = {
        .tail_lines = -1, .limit_bytes = -1, .follow = true};

START_TEST(test_follow_torn_record_completed)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct sink s = {0};

	put_file(dir, "0.log", T(1) "stdout F one\n" T(2) "stdout F tw");
	ck_assert_int_eq(logs_reader_open(dir, 0, &following, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\n");

	/* Nothing new: nothing out. */
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\n");

	append_file(dir, "0.log", "o\n" T(3) "stdout F three\n");
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\ntwo\nthree\n");
	ck_assert_int_eq(logs_reader_skipped(r), 0);
	sink_reset(&s);
}
END_TEST

START_TEST(test_follow_long_line_across_reads)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_free_ char *line = pattern(40 * 1024), *want = NULL;
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct logs_writer *w = open_writer(dir, LOGS_DEFAULT_MAX_SIZE, 5);
	struct timespec now = ts(7, 0);
	struct sink s = {0};

	ck_assert_int_eq(logs_writer_write(w, LOGS_STDOUT, line, 20000, &now), 0);
	ck_assert_int_eq(logs_reader_open(dir, 0, &following, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_int_eq(s.calls, 0); /* one P piece is not a line yet */

	ck_assert_int_eq(logs_writer_write(w, LOGS_STDOUT, line + 20000, 40 * 1024 - 20000, &now),
	                 0);
	ck_assert_int_eq(logs_writer_write(w, LOGS_STDOUT, "\n", 1, &now), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	want = strdupf("%s\n", line);
	ck_assert_int_eq(s.calls, 1);
	ck_assert(strcmp(sink_text(&s), want) == 0);
	logs_writer_free(w);
	sink_reset(&s);
}
END_TEST

START_TEST(test_follow_across_rotation)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	_cleanup_free_ char *want = NULL;
	struct logs_writer *w = open_writer(dir, 200, 5);
	struct sink s = {0};

	write_numbered(w, 1, 3);
	ck_assert_int_eq(logs_reader_open(dir, 0, &following, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);

	/* line-04 ends the first file, line-05 … line-08 start a new one. */
	write_numbered(w, 4, 8);
	ck_assert(exists(dir, "0.log.1"));
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	want = numbered(1, 8);
	ck_assert_str_eq(sink_text(&s), want);
	free(want);

	/* Two rotations between reads: the file in between is not skipped. */
	write_numbered(w, 9, 17);
	ck_assert(exists(dir, "0.log.2"));
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	want = numbered(1, 17);
	ck_assert_str_eq(sink_text(&s), want);
	free(want);

	/* A piece of a long line in the old file, its end in the new one. */
	{
		_cleanup_free_ char *line = pattern(17000);
		write_str(w, LOGS_STDOUT, line, 18);
		write_str(w, LOGS_STDOUT, "\n", 18);
		ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
		_cleanup_free_ char *before = numbered(1, 17);
		want = strdupf("%s%s\n", before, line);
		ck_assert_str_eq(sink_text(&s), want);
	}
	logs_writer_free(w);
	sink_reset(&s);
}
END_TEST

START_TEST(test_follow_reader_fell_behind)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	_cleanup_free_ char *want = NULL, *kept = NULL;
	struct logs_writer *w = open_writer(dir, 200, 3);
	struct sink s = {0};

	write_numbered(w, 1, 2);
	ck_assert_int_eq(logs_reader_open(dir, 0, &following, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	/* Five files' worth: the one the reader holds is deleted by rotation, and so is the one
	 * after it. The reader finishes its own, then goes on with the oldest kept. */
	write_numbered(w, 3, 20);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	kept = numbered(9, 20);
	want = strdupf("line-01\nline-02\nline-03\nline-04\n%s", kept);
	ck_assert_str_eq(sink_text(&s), want);
	logs_writer_free(w);
	sink_reset(&s);
}
END_TEST

START_TEST(test_follow_file_not_there_yet_and_flush)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct sink s = {0};

	/* Mid-rotation: .1 exists, the new current file not yet. */
	put_file(dir, "0.log.1", T(1) "stdout F one\n");
	ck_assert_int_eq(logs_reader_open(dir, 0, &following, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\n");
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);

	put_file(dir, "0.log", T(2) "stderr P unfin\n");
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\n");
	/* The container is gone: the daemon flushes what will never be finished. */
	ck_assert_int_eq(logs_reader_flush(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "one\nunfin\n");
	sink_reset(&s);
}
END_TEST

START_TEST(test_follow_tail)
{
	_cleanup_free_ char *dir = test_dir();
	_cleanup_logs_reader_ struct logs_reader *r = NULL;
	struct logs_read_options opts = following;
	struct logs_writer *w = open_writer(dir, 200, 3);
	struct sink s = {0};

	write_numbered(w, 1, 6);
	opts.tail_lines = 2;
	ck_assert_int_eq(logs_reader_open(dir, 0, &opts, &r, NULL), 0);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "line-05\nline-06\n");
	write_numbered(w, 7, 7);
	ck_assert_int_eq(logs_reader_read(r, sink_out, &s), 0);
	ck_assert_str_eq(sink_text(&s), "line-05\nline-06\nline-07\n");
	logs_writer_free(w);
	sink_reset(&s);
}
END_TEST

/* ---- the end of a run's log as text (a FallbackToLogsOnError termination message) -------- */

static const struct {
	const char *name;
	int from, to;     /* line-NN records written, stdout */
	int64_t lines;    /* tail */
	size_t max_bytes; /* kept from the end */
	int want_from, want_to;
	size_t cut; /* bytes cut off the front of the selected lines */
} tail_text_cases[] = {
        {"fewer lines than asked", 1, 5, 80, 2048, 1, 5, 0},
        {"the last 80 of 100", 1, 99, 80, 2048, 20, 99, 0},
        {"the byte budget keeps the end", 1, 99, 80, 40, 95, 99, 0},
        {"the budget cuts a line in two", 1, 99, 80, 42, 94, 99, 6},
        {"a budget larger than one chunk, smaller than the lines", 1, 99, 10, 17, 97, 99, 7},
};

START_TEST(test_tail_text)
{
	_cleanup_free_ char *dir = test_dir(), *got = NULL, *all = NULL;
	struct logs_writer *w = open_writer(dir, 1 << 20, 2);
	const char *want;

	write_numbered(w, tail_text_cases[_i].from, tail_text_cases[_i].to);
	logs_writer_free(w);
	ck_assert_int_eq(logs_tail_text(dir, 0, tail_text_cases[_i].lines,
	                                tail_text_cases[_i].max_bytes, &got, NULL),
	                 0);
	all = numbered(tail_text_cases[_i].want_from, tail_text_cases[_i].want_to);
	want = all + tail_text_cases[_i].cut;
	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", tail_text_cases[_i].name,
	              got, want);
	ck_assert_uint_le(strlen(got), tail_text_cases[_i].max_bytes);
}
END_TEST

START_TEST(test_tail_text_streams_and_missing)
{
	_cleanup_free_ char *dir = test_dir(), *got = NULL, *empty = NULL;
	struct logs_writer *w = open_writer(dir, 1 << 20, 2);

	write_str(w, LOGS_STDOUT, "out one\n", 1);
	write_str(w, LOGS_STDERR, "err two\n", 2);
	write_str(w, LOGS_STDOUT, "no newline", 3);
	logs_writer_close_stream(w, LOGS_STDOUT, &(struct timespec){3, 0});
	logs_writer_free(w);
	/* both streams as they came, no timestamps, the unfinished line whole */
	ck_assert_int_eq(logs_tail_text(dir, 0, 80, 2048, &got, NULL), 0);
	ck_assert_str_eq(got, "out one\nerr two\nno newline\n");
	/* another run has no log */
	ck_assert_int_eq(logs_tail_text(dir, 1, 80, 2048, &empty, NULL), -ENOENT);
	ck_assert_ptr_null(empty);
}
END_TEST

static Suite *logs_suite(void)
{
	Suite *s = suite_create("logs");
	TCase *format = tcase_create("format");
	TCase *writer = tcase_create("writer");
	TCase *reader = tcase_create("reader");
	TCase *follow = tcase_create("follow");

	tcase_add_loop_test(format, test_format_timestamp, 0, (int)ELEMENTSOF(format_cases));
	tcase_add_loop_test(format, test_parse_timestamp, 0, (int)ELEMENTSOF(parse_ts_cases));
	tcase_add_loop_test(format, test_parse_line, 0, (int)ELEMENTSOF(parse_line_cases));
	tcase_add_test(format, test_since);
	suite_add_tcase(s, format);

	tcase_add_unchecked_fixture(writer, base_setup, base_teardown);
	tcase_add_test(writer, test_writer_exact_bytes);
	tcase_add_loop_test(writer, test_writer_chunks, 0, (int)ELEMENTSOF(chunk_cases));
	tcase_add_test(writer, test_long_line_pieces);
	tcase_add_test(writer, test_line_of_exactly_max_is_one_record);
	tcase_add_test(writer, test_rotation);
	tcase_add_test(writer, test_rotation_one_file);
	tcase_add_test(writer, test_writer_continues_existing_file);
	tcase_add_test(writer, test_writer_errors);
	suite_add_tcase(s, writer);

	tcase_add_unchecked_fixture(reader, base_setup, base_teardown);
	tcase_add_loop_test(reader, test_pod_dir_name, 0, (int)ELEMENTSOF(dir_name_cases));
	tcase_add_test(reader, test_pod_dir_name_cut_apart);
	tcase_add_loop_test(reader, test_read, 0, (int)ELEMENTSOF(read_cases));
	tcase_add_loop_test(reader, test_read_paused, 0, (int)ELEMENTSOF(read_cases));
	tcase_add_test(reader, test_read_skipped_count_and_limit_sticks);
	tcase_add_test(reader, test_read_missing);
	tcase_add_test(reader, test_read_previous_restart);
	tcase_add_loop_test(reader, test_tail_over_rotated_files, 0,
	                    (int)ELEMENTSOF(rotated_tail_cases));
	tcase_add_test(reader, test_tail_large_log);
	tcase_add_test(reader, test_since_and_timestamps_over_writer);
	tcase_add_loop_test(reader, test_tail_text, 0, (int)ELEMENTSOF(tail_text_cases));
	tcase_add_test(reader, test_tail_text_streams_and_missing);
	suite_add_tcase(s, reader);

	tcase_add_unchecked_fixture(follow, base_setup, base_teardown);
	tcase_add_test(follow, test_follow_torn_record_completed);
	tcase_add_test(follow, test_follow_long_line_across_reads);
	tcase_add_test(follow, test_follow_across_rotation);
	tcase_add_test(follow, test_follow_reader_fell_behind);
	tcase_add_test(follow, test_follow_file_not_there_yet_and_flush);
	tcase_add_test(follow, test_follow_tail);
	suite_add_tcase(s, follow);
	return s;
}

int main(void)
{
	return check_run(logs_suite());
}
