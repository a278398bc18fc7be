/* pkg/image/dl_archive.h: libarchive, opened when the first layer is unpacked or the first
 * archive loaded (dl.h): the functions unpack.c and archive.c call, as sym_<name>. unpack.c
 * runs on work.c's threads: each caller opens it first (dl_open is thread-safe). Internal to
 * pkg/image. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "util/dl.h"

#define ARCHIVE_SONAME "libarchive.so.13"

DL_SYMBOL_DECLARE(archive_entry_filetype);
DL_SYMBOL_DECLARE(archive_entry_gid);
DL_SYMBOL_DECLARE(archive_entry_hardlink);
DL_SYMBOL_DECLARE(archive_entry_mtime);
DL_SYMBOL_DECLARE(archive_entry_mtime_nsec);
DL_SYMBOL_DECLARE(archive_entry_pathname);
DL_SYMBOL_DECLARE(archive_entry_perm);
DL_SYMBOL_DECLARE(archive_entry_rdev);
DL_SYMBOL_DECLARE(archive_entry_size);
DL_SYMBOL_DECLARE(archive_entry_symlink);
DL_SYMBOL_DECLARE(archive_entry_uid);
DL_SYMBOL_DECLARE(archive_entry_xattr_count);
DL_SYMBOL_DECLARE(archive_entry_xattr_next);
DL_SYMBOL_DECLARE(archive_entry_xattr_reset);
DL_SYMBOL_DECLARE(archive_error_string);
DL_SYMBOL_DECLARE(archive_read_data);
DL_SYMBOL_DECLARE(archive_read_data_block);
DL_SYMBOL_DECLARE(archive_read_free);
DL_SYMBOL_DECLARE(archive_read_new);
DL_SYMBOL_DECLARE(archive_read_next_header);
DL_SYMBOL_DECLARE(archive_read_open);
DL_SYMBOL_DECLARE(archive_read_open_fd);
DL_SYMBOL_DECLARE(archive_read_open_filename);
DL_SYMBOL_DECLARE(archive_read_support_filter_gzip);
DL_SYMBOL_DECLARE(archive_read_support_filter_zstd);
DL_SYMBOL_DECLARE(archive_read_support_format_raw);
DL_SYMBOL_DECLARE(archive_read_support_format_tar);

/* Loads libarchive and sets every sym_archive_*; 0, or -ELIBACC and err ("libarchive.so.13
 * cannot be loaded: ..."). */
int archive_dl_open(struct nano_err *err);
