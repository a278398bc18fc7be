/* pkg/image/dl_archive.c: the sym_archive_* table (dl_archive.h). */
#include "image/dl_archive.h"

DL_SYMBOL_DEFINE(archive_entry_filetype);
DL_SYMBOL_DEFINE(archive_entry_gid);
DL_SYMBOL_DEFINE(archive_entry_hardlink);
DL_SYMBOL_DEFINE(archive_entry_mtime);
DL_SYMBOL_DEFINE(archive_entry_mtime_nsec);
DL_SYMBOL_DEFINE(archive_entry_pathname);
DL_SYMBOL_DEFINE(archive_entry_perm);
DL_SYMBOL_DEFINE(archive_entry_rdev);
DL_SYMBOL_DEFINE(archive_entry_size);
DL_SYMBOL_DEFINE(archive_entry_symlink);
DL_SYMBOL_DEFINE(archive_entry_uid);
DL_SYMBOL_DEFINE(archive_entry_xattr_count);
DL_SYMBOL_DEFINE(archive_entry_xattr_next);
DL_SYMBOL_DEFINE(archive_entry_xattr_reset);
DL_SYMBOL_DEFINE(archive_error_string);
DL_SYMBOL_DEFINE(archive_read_data);
DL_SYMBOL_DEFINE(archive_read_data_block);
DL_SYMBOL_DEFINE(archive_read_free);
DL_SYMBOL_DEFINE(archive_read_new);
DL_SYMBOL_DEFINE(archive_read_next_header);
DL_SYMBOL_DEFINE(archive_read_open);
DL_SYMBOL_DEFINE(archive_read_open_fd);
DL_SYMBOL_DEFINE(archive_read_open_filename);
DL_SYMBOL_DEFINE(archive_read_support_filter_gzip);
DL_SYMBOL_DEFINE(archive_read_support_filter_zstd);
DL_SYMBOL_DEFINE(archive_read_support_format_raw);
DL_SYMBOL_DEFINE(archive_read_support_format_tar);

int archive_dl_open(struct nano_err *err)
{
	static struct dl_library lib = DL_LIBRARY(ARCHIVE_SONAME);

	return dl_open(&lib, err, DL_SYMBOL(archive_entry_filetype), DL_SYMBOL(archive_entry_gid),
	               DL_SYMBOL(archive_entry_hardlink), DL_SYMBOL(archive_entry_mtime),
	               DL_SYMBOL(archive_entry_mtime_nsec), DL_SYMBOL(archive_entry_pathname),
	               DL_SYMBOL(archive_entry_perm), DL_SYMBOL(archive_entry_rdev),
	               DL_SYMBOL(archive_entry_size), DL_SYMBOL(archive_entry_symlink),
	               DL_SYMBOL(archive_entry_uid), DL_SYMBOL(archive_entry_xattr_count),
	               DL_SYMBOL(archive_entry_xattr_next), DL_SYMBOL(archive_entry_xattr_reset),
	               DL_SYMBOL(archive_error_string), DL_SYMBOL(archive_read_data),
	               DL_SYMBOL(archive_read_data_block), DL_SYMBOL(archive_read_free),
	               DL_SYMBOL(archive_read_new), DL_SYMBOL(archive_read_next_header),
	               DL_SYMBOL(archive_read_open), DL_SYMBOL(archive_read_open_fd),
	               DL_SYMBOL(archive_read_open_filename),
	               DL_SYMBOL(archive_read_support_filter_gzip),
	               DL_SYMBOL(archive_read_support_filter_zstd),
	               DL_SYMBOL(archive_read_support_format_raw),
	               DL_SYMBOL(archive_read_support_format_tar), NULL);
}
