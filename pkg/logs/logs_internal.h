/* pkg/logs/logs_internal.h: what reader.c and tail.c share. Not for other packages. */
#pragma once

#include <sys/types.h>

#include "logs.h"

/* A record longer than this (only a foreign writer makes one: ours stop at LOGS_MAX_LINE plus
 * about 40 bytes of prefix) is skipped as malformed rather than buffered. */
#define LOGS_MAX_RECORD (1024 * 1024)

/* A line joined from P pieces is emitted early, as a line of its own, once it reaches this: the
 * reader must not hold an endless line in memory. */
#define LOGS_MAX_JOINED (8 * 1024 * 1024)

/* One log file as the reader opened it. */
struct logs_file {
	int fd;
	dev_t dev;
	ino_t ino;
	off_t end; /* its size when opened: the first read stops there */
};

/* Where reading must start to produce the last `tail` logical lines of files[0..n-1] (oldest
 * first, each up to its end): *file and *off, and how many lines reading from there emits before
 * those (*skip). flush_unfinished says whether the read will emit lines left without their F at
 * the end, as a read that does not follow does. Reads the files backwards in blocks: the cost is
 * the size of the tail, not of the log. Returns 0 or -errno. */
int logs_tail_find(const struct logs_file *files, size_t n, uint64_t tail, bool flush_unfinished,
                   size_t *file, off_t *off, uint64_t *skip, uint64_t *skipped);
