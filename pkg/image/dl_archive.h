/* pkg/image/dl_archive.h: libarchive, opened when the first layer is unpacked or the first
 * archive loaded (dl.h): the functions unpack.c and archive.c call, as sym_<name>. unpack.c
 * runs on work.c's threads: each caller opens it first (dl_open is thread-safe). Internal to
 * pkg/image. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "util/dl.h"

#define ARCHIVE_SONAME "libarchive.so.13"

/* every function called through sym_<name>, named once: declared here, defined and loaded
 * in the .c */
#define ARCHIVE_SYMBOLS(X)                                                                         \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_gid)                                                                       \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_mtime_nsec)                                                                \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_perm)                                                                      \
	X(archive_entry_rdev)                                                                      \
	X(archive_entry_size)                                                                      \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_uid)                                                                       \
	X(archive_entry_xattr_count)                                                               \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_error_string)                                                                    \
	X(archive_read_data)                                                                       \
	X(archive_read_data_block)                                                                 \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open)                                                                       \
	X(archive_read_open_fd)                                                                    \
	X(archive_read_open_filename)                                                              \
	X(archive_read_support_filter_gzip)                                                        \
	X(archive_read_support_filter_zstd)                                                        \
	X(archive_read_support_format_raw)                                                         \
	X(archive_read_support_format_tar)

ARCHIVE_SYMBOLS(DL_SYMBOL_DECLARE_EACH)

/* Loads libarchive and sets every sym_archive_*; 0, or -ELIBACC and err ("libarchive.so.13
 * cannot be loaded: ..."). */
int archive_dl_open(struct nano_err *err);
