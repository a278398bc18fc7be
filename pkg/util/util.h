/* pkg/util: what every package uses — cleanup attributes, errors a person reads, string
 * vectors and logging. No package logic lives here, and nothing here does I/O but log.c.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* ---- cleanup ----------------------------------------------------------------------------- */

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* Closes *fd (if open) and marks it closed. */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void strv_free(char **l);
static inline void strv_freep(char ***l)
{
	strv_free(*l);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_json_   _cleanup_(json_decrefp) /* json_decrefp: jansson >= 2.9 */
#define _cleanup_strv_   _cleanup_(strv_freep)

/* Hands a cleanup-owned pointer to someone else: the variable becomes NULL. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _taken = (p);                                                        \
		(p) = NULL;                                                                        \
		_taken;                                                                            \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _taken = (fd);                                                                 \
		(fd) = -1;                                                                         \
		_taken;                                                                            \
	})

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ------------------------------------------------------------------------------ */

/* Fallible functions return 0 (or a count) on success and -errno on failure. Where a person
 * will read the failure they also fill a struct nano_err: errno, a message and a class.
 *
 * The class, not the errno, says whose failure it is, and the API answers each class with one
 * status (daemon/routes.c): an EINVAL from a cgroup write is the node's trouble (500), an
 * EINVAL from validating a Pod the request's (422). It is set where that is known — the spec
 * decoder (its failures are the request's), the store (storage), the pod manager (conflict,
 * not found, a node limit) — and nano_err_set() leaves it at NANO_INTERNAL:
 *   NANO_BAD_REQUEST        400 BadRequest            a request that cannot be read
 *   NANO_INVALID            422 Invalid               a readable Pod that breaks rules (causes[])
 *   NANO_TOO_LARGE          413 RequestEntityTooLarge
 *   NANO_UNSUPPORTED_MEDIA  415 UnsupportedMediaType
 *   NANO_CONFLICT           409 AlreadyExists
 *   NANO_IN_USE             409 Conflict              what another pod holds (a hostPort)
 *   NANO_NOT_FOUND          404 NotFound
 *   NANO_FORBIDDEN          403 Forbidden             a node limit (max_pods) reached
 *   NANO_TOO_MANY           429 TooManyRequests       a limit that frees up (max_log_follows)
 *   NANO_STORAGE            507 InsufficientStorage   the state directory cannot take a write
 *   NANO_UNAVAILABLE        503 ServiceUnavailable    try again: a busy store, a stopping daemon
 *   NANO_NOT_IMPLEMENTED    501 NotImplemented        a feature that is not there yet
 *   NANO_INTERNAL           500 InternalError         everything else; the message is logged
 */
enum nano_class {
	NANO_INTERNAL = 0,
	NANO_BAD_REQUEST,
	NANO_INVALID,
	NANO_TOO_LARGE,
	NANO_UNSUPPORTED_MEDIA,
	NANO_CONFLICT,
	NANO_NOT_FOUND,
	NANO_FORBIDDEN,
	NANO_TOO_MANY,
	NANO_STORAGE,
	NANO_UNAVAILABLE,
	NANO_NOT_IMPLEMENTED,
	NANO_IN_USE,
};

struct nano_cause {
	char *field;   /* JSON path: spec.containers[0].resources.limits.memory */
	char *reason;  /* Kubernetes cause type: FieldValueInvalid, FieldValueRequired, ... */
	char *message; /* what is wrong with it, for a person */
};

struct nano_err {
	int errnum;    /* positive errno of the failure, 0 while none */
	char *message; /* NULL while none */
	enum nano_class class;
	struct nano_cause *causes;
	size_t n_causes;
};

/* Sets errnum and the message (replacing any earlier one and its class: NANO_INTERNAL);
 * returns -errnum so that callers can write `return nano_err_set(err, EINVAL, "...")`. err may
 * be NULL. */
int nano_err_set(struct nano_err *err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The same with a class: `return nano_err_setc(err, NANO_CONFLICT, EEXIST, "...")`. */
int nano_err_setc(struct nano_err *err, enum nano_class class, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Gives an error that is set a class; returns -errnum (-EIO when none is set). */
int nano_err_classify(struct nano_err *err, enum nano_class class);

/* Prefixes the message with context: "open config: <old message>". Returns -errnum. */
int nano_err_wrap(struct nano_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends a validation cause. Does not touch errnum or the message. */
void nano_err_cause(struct nano_err *err, const char *field, const char *reason, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

void nano_err_clear(struct nano_err *err);

/* ---- string vectors (NULL-terminated char **) -------------------------------------------- */

size_t strv_len(char *const *l);
/* Takes ownership of s (freed on failure). Returns 0 or -ENOMEM. */
int strv_push(char ***l, char *s);
int strv_pushf(char ***l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strv_push for loops that append many: *n is how many strings *l holds (kept up to date), so
 * the list is not walked, and it grows geometrically. Linear in the strings appended, where
 * strv_push is quadratic. */
int strv_append(char ***l, size_t *n, char *s);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* "a, b, c" for sep ", "; "" for an empty list; NULL on ENOMEM. */
char *strv_join(char *const *l, const char *sep);

/* Makes room in *array (a malloc'd array of elements of size bytes, or NULL) for element n,
 * growing it geometrically when full: for arrays a body decides the length of, appended one at
 * a time (realloc by one element copies the array each time under ASan, and often without).
 * 0 or -ENOMEM (the array is left as it was). */
int util_reserve(void *array, size_t n, size_t size);

/* ---- looking names up among many ------------------------------------------------------ */

/* n names (borrowed; NULL entries are skipped), sorted once with their positions, so that a
 * body of 30000 containers, volumes or env vars is checked for duplicates and looked up in
 * O(n log n), not compared pairwise. */
struct name_index {
	struct name_index_entry {
		const char *name;
		size_t pos;
	} * entries;
	size_t n;
};

int name_index_build(struct name_index *idx, const char *const *names, size_t n);
/* The lowest position of name, or -1. */
ssize_t name_index_first(const struct name_index *idx, const char *name);
void name_index_done(struct name_index *idx);

/* asprintf that returns NULL on failure. */
char *strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- time (time.c) ---------------------------------------------------------------------- */

/* Enough for "2006-01-02T15:04:05.999999999Z" and its NUL. */
#define UTIL_RFC3339_SIZE 32

/* Writes ts as RFC 3339 in UTC with a `Z`: whole seconds (metav1.Time: creationTimestamp,
 * Event timestamps) or, with nanos, Go's RFC3339Nano (fraction without trailing zeros, none
 * when zero). Returns the length, -ENOSPC when buf is too small, -EINVAL for a tv_nsec outside
 * [0, 1e9), -ERANGE outside years 0000-9999. */
int util_rfc3339(char *buf, size_t size, const struct timespec *ts, bool nanos);

/* Unix nanoseconds (as the store keeps times) to a timespec, flooring towards the past. */
static inline struct timespec util_timespec_from_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

/* Unix nanoseconds now (CLOCK_REALTIME): the API's timestamps. */
static inline int64_t util_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A metav1.Time of unix nanoseconds: an RFC 3339 string in whole seconds, null if it cannot be
 * one. */
static inline json_t *util_json_time(int64_t ns)
{
	struct timespec ts = util_timespec_from_ns(ns);
	char buf[UTIL_RFC3339_SIZE];

	if (util_rfc3339(buf, sizeof(buf), &ts, false) < 0)
		return json_null();
	return json_string(buf);
}

/* This build's architecture as Go's GOARCH names it (kubernetes.io/arch, /version's
 * platform). */
#if defined(__x86_64__)
#define UTIL_GOARCH "amd64"
#elif defined(__aarch64__)
#define UTIL_GOARCH "arm64"
#elif defined(__i386__)
#define UTIL_GOARCH "386"
#elif defined(__arm__)
#define UTIL_GOARCH "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define UTIL_GOARCH "riscv64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define UTIL_GOARCH "ppc64le"
#elif defined(__s390x__)
#define UTIL_GOARCH "s390x"
#else
#define UTIL_GOARCH "unknown"
#endif

/* ---- files ------------------------------------------------------------------------------ */

/* mkdir -p: every missing directory of path with mode (before the umask). */
int mkdir_p(const char *path, unsigned mode);
/* rm -rf that stays on path's filesystem: it never enters a mount below path (unmount it
 * first, or the directory holding it stays and -EBUSY/-ENOTEMPTY says so), so a mount left
 * behind cannot make it delete what belongs to another filesystem. ENOENT is success. */
int rm_rf(const char *path);
/* The same holding at most fds directory streams at once (more are read again from their
 * path): for a removal off the loop, whose descriptors are the daemon's. rm_rf holds 16. */
int rm_rf_fds(const char *path, int fds);
/* The whole of a file (kernel files report no size: read until EOF), NUL-terminated, into a
 * malloc'd *out. path is relative to dirfd (AT_FDCWD for the cwd). -errno. */
int util_read_file_at(int dirfd, const char *path, char **out);
/* All that fd gives until EOF, NUL-terminated, into a malloc'd *out and its length into *len
 * (if len): -EFBIG once it gives more than max bytes. -errno. */
int util_read_fd(int fd, size_t max, char **out, size_t *len);

/* ---- text ------------------------------------------------------------------------------- */

/* A NUL-terminated copy of len bytes of s that is valid UTF-8, as Go's encoding/json writes a
 * string: each byte that does not begin a valid sequence (a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF, a sequence cut short) becomes U+FFFD, and so does
 * a NUL, which a C string cannot carry. NULL on ENOMEM. (utf8.c) */
char *util_utf8_copy(const char *s, size_t len);

/* 16 random bytes as a version 4 UUID (RFC 4122: the version and variant bits set), 36
 * characters and a NUL. b is changed. */
void util_uuid_format(uint8_t b[16], char out[37]);

/* ---- logging ----------------------------------------------------------------------------- */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
/* Lines go to the journal (with priority) instead of stderr. */
void log_set_journal(bool on);
int log_level_from_string(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
