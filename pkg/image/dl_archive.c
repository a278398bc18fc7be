/* pkg/image/dl_archive.c: the sym_archive_* table (dl_archive.h). */
#include "image/dl_archive.h"

ARCHIVE_SYMBOLS(DL_SYMBOL_DEFINE_EACH)

int archive_dl_open(struct nano_err *err)
{
	static struct dl_library lib = DL_LIBRARY(ARCHIVE_SONAME);

	return dl_open(&lib, err, ARCHIVE_SYMBOLS(DL_SYMBOL_EACH) NULL);
}
