/* pkg/image/dl_curl.c: the sym_curl_* table (dl_curl.h). */
#include "image/dl_curl.h"

CURL_SYMBOLS(DL_SYMBOL_DEFINE_EACH)

int curl_dl_open(struct nano_err *err)
{
	static struct dl_library lib = DL_LIBRARY(CURL_SONAME);

	return dl_open(&lib, err, CURL_SYMBOLS(DL_SYMBOL_EACH) NULL);
}
