/* pkg/logs: container logs in the CRI format, as containerd writes them and the kubelet reads
 * them. One record per physical line:
 *
 *     2026-11-29T00:36:57.123456789Z stdout F hello world
 *     <RFC3339Nano timestamp> <stdout|stderr> <tag> <content>\n
 *
 * The tag is P for a piece of a line longer than LOGS_MAX_LINE (more pieces follow, on the same
 * stream) and F for the last piece or a whole line. Files live in one directory per container:
 * <dir>/<restart>.log, rotated by size to <restart>.log.1 (newest) … <restart>.log.<max_files-1>.
 *
 * The writer is the shim's: one per container run, fed the bytes of the stdout and stderr pipes.
 * The reader is the daemon's: one per GET …/log request, read once, or again each time inotify
 * reports a change in the directory when following. Neither logs nor watches anything itself.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "util/util.h"

/* containerd's default max_container_log_line_size: longer lines are cut into P pieces. */
#define LOGS_MAX_LINE 16384

/* The kubelet's containerLogMaxSize (10Mi) and containerLogMaxFiles (5) defaults. */
#define LOGS_DEFAULT_MAX_SIZE  (10u * 1024 * 1024)
#define LOGS_DEFAULT_MAX_FILES 5

/* "2026-11-29T00:36:57.123456789Z" and its NUL. */
#define LOGS_TIMESTAMP_MAX 31

enum logs_stream {
	LOGS_STDOUT = 1,
	LOGS_STDERR = 2,
};

/* "stdout", "stderr", or NULL for anything else. */
const char *logs_stream_name(enum logs_stream stream);

/* ---- where a pod's logs go ------------------------------------------------------------------ */

/* The name of a pod's log directory under <log_dir>/pods: the kubelet's <ns>_<name>_<uid>
 * when that fits in NAME_MAX (255) bytes. A namespace (63), a name (253) and a uid (36) may
 * not: then the name is cut, and "-" and 8 hex digits of its FNV-1a hash keep it stable and
 * apart from the names it was cut from: <ns>_<start of name>-<hash>_<uid>. Pod names have no
 * '_', so the uid stays what follows the last one. -ENAMETOOLONG when even that cannot fit
 * (a namespace and uid far longer than Kubernetes allows). */
int logs_pod_dir_name(const char *namespace, const char *name, const char *uid,
                      char out[static NAME_MAX + 1]);

/* ---- the format -------------------------------------------------------------------------- */

/* Writes ts as containerd's and the kubelet's RFC3339NanoFixed in UTC, always 9 fractional
 * digits: 2026-11-29T00:36:57.000000001Z. Returns the length (30), or -EINVAL for a tv_nsec out
 * of range or a year outside 0000–9999. */
int logs_format_timestamp(const struct timespec *ts, char buf[static LOGS_TIMESTAMP_MAX]);

/* Reads an RFC3339 timestamp the way the kubelet's RFC3339NanoLenient does: 0–9 fractional
 * digits, and Z or a ±hh:mm offset. Returns 0 or -EBADMSG. */
int logs_parse_timestamp(const char *s, size_t len, struct timespec *out);

struct logs_entry {
	struct timespec time;
	enum logs_stream stream;
	bool partial;        /* tag P: the line continues in the next record of this stream */
	const char *content; /* points into the parsed line; not NUL-terminated */
	size_t content_len;
};

/* Parses one record, with or without its '\n'. Like the kubelet: the tag field may carry more
 * tags after ':' (only the first, P or anything else, counts), and the content may be empty but
 * the space before it may not be missing. Returns 0 or -EBADMSG. */
int logs_parse_line(const char *line, size_t len, struct logs_entry *out);

/* The point in time that sinceSeconds and sinceTime select, as the kubelet's NewLogOptions
 * computes it: the later of now − since_seconds (when since_seconds >= 0) and *since_time (when
 * not NULL); {0, 0} when neither is given. */
struct timespec logs_since(int64_t since_seconds, const struct timespec *since_time,
                           const struct timespec *now);

/* ---- writing (the shim) ------------------------------------------------------------------ */

struct logs_writer_config {
	uint64_t max_size;  /* container_log_max_size: rotate before the file would pass it */
	unsigned max_files; /* container_log_max_files: <restart>.log and max_files-1 rotated */
};

struct logs_writer;

/* Creates dir (0755, with its parents) if missing and opens <dir>/<restart>.log (0640) for
 * appending; an existing file is continued. cfg NULL means the defaults above. */
int logs_writer_open(const char *dir, unsigned restart, const struct logs_writer_config *cfg,
                     struct logs_writer **out, struct nano_err *err);

/* Takes a chunk read from the stream's pipe: every complete line in it, and every LOGS_MAX_LINE
 * bytes of a longer one, becomes a record stamped with *now, written with one write(2) each
 * (O_APPEND, so readers never see half a record). Bytes after the last '\n' wait for the next
 * chunk. A "\r\n" ending loses its '\r', as with containerd. Returns 0 or -errno; on an error the
 * record that failed and the rest of this chunk are not in the file (a torn record is cut off
 * again), and the next call carries on. */
int logs_writer_write(struct logs_writer *w, enum logs_stream stream, const void *buf, size_t len,
                      const struct timespec *now);

/* The stream's pipe is at EOF: a line still waiting for its '\n' is written as an F record (so
 * that it is a line of its own for readers; containerd would tag it P). Returns 0 or -errno. */
int logs_writer_close_stream(struct logs_writer *w, enum logs_stream stream,
                             const struct timespec *now);

/* Closes the file. Waiting partial lines are dropped: call logs_writer_close_stream first.
 * Accepts NULL; returns NULL. */
struct logs_writer *logs_writer_free(struct logs_writer *w);
static inline void logs_writer_freep(struct logs_writer **w)
{
	logs_writer_free(*w);
}
#define _cleanup_logs_writer_ _cleanup_(logs_writer_freep)

/* ---- reading (the daemon) ---------------------------------------------------------------- */

struct logs_read_options {
	bool timestamps;       /* prefix each line with its RFC3339NanoFixed time and a space */
	int64_t tail_lines;    /* < 0: all; else the last N logical lines (before since applies) */
	int64_t limit_bytes;   /* < 0: no limit; else stop after this many bytes of output */
	struct timespec since; /* lines stamped before it are left out; {0, 0}: none */
	bool follow; /* keep an unfinished line for the next read instead of flushing it */
};

/* Receives the output: one logical line per call, with its prefix and '\n' (the last line may be
 * cut short by limit_bytes). Returns 0 to go on; LOGS_READ_PAUSED when it took the line but
 * wants no more for now (its client is slow: the read stops after this line, and the next
 * logs_reader_read() goes on from there); a negative value stops the read and is passed
 * back. */
typedef int (*logs_output_fn)(void *userdata, const char *data, size_t len);

struct logs_reader;

/* Opens the log of one run of a container: the caller picks restart (the current run, or the
 * one before for ?previous=true). Opens <dir>/<restart>.log and its rotated files at once, so a
 * rotation during the read loses nothing. -ENOENT when there is no log at all. */
int logs_reader_open(const char *dir, unsigned restart, const struct logs_read_options *opts,
                     struct logs_reader **out, struct nano_err *err);

/* Reads the complete lines not read yet and hands them to out. The first call reads what the
 * options select (rotated files oldest first, then the current one); later calls read what was
 * appended since, moving on to the new file when the current one has been rotated. A torn last
 * record is left for a later call. Without follow, lines left unfinished by a writer that died
 * are flushed once everything selected was read. Malformed records are skipped, as the kubelet
 * does, and counted (logs_reader_skipped).
 *
 * Returns 0 when it has caught up (without follow: when everything selected was read),
 * LOGS_READ_LIMIT once limit_bytes of output have been produced (later calls produce nothing),
 * LOGS_READ_PAUSED when out asked for a pause (call again to go on), or -errno / the
 * callback's negative value.
 *
 * Following: watch logs_reader_dir() with inotify (IN_MODIFY | IN_CREATE | IN_MOVED_TO — the
 * directory, not the file, since rotation renames the file) before the first call, and call
 * again after each event; a call with nothing new costs a stat and a read. When the container has
 * exited, call once more and then logs_reader_flush. */
#define LOGS_READ_LIMIT  1
#define LOGS_READ_PAUSED 2
int logs_reader_read(struct logs_reader *r, logs_output_fn out, void *userdata);

/* Emits the lines left unfinished (P pieces without their F), as whole lines. For following
 * readers once the writer is gone; returns like logs_reader_read, but never LOGS_READ_PAUSED:
 * there are two lines at most, and a pause asked for is the end anyway. */
int logs_reader_flush(struct logs_reader *r, logs_output_fn out, void *userdata);

/* The directory to watch for a follow. */
const char *logs_reader_dir(const struct logs_reader *r);

/* How many malformed or oversized records have been skipped so far. */
uint64_t logs_reader_skipped(const struct logs_reader *r);

/* The end of one run's log as text (tail_text.c): its last `lines` logical lines (stdout and
 * stderr as they came, without timestamps, each with its '\n'), of which only the last
 * max_bytes are kept — the kubelet's readLastStringFromContainerLogs, a tail of 80 lines into a
 * 2048-byte circular buffer, for a FallbackToLogsOnError termination message. *out is malloc'd
 * ("" for an empty log); -ENOENT when the run has no log, or -errno with err. */
int logs_tail_text(const char *dir, unsigned restart, int64_t lines, size_t max_bytes, char **out,
                   struct nano_err *err);

struct logs_reader *logs_reader_free(struct logs_reader *r);
static inline void logs_reader_freep(struct logs_reader **r)
{
	logs_reader_free(*r);
}
#define _cleanup_logs_reader_ _cleanup_(logs_reader_freep)
