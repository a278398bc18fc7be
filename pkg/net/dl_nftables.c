/* pkg/net/dl_nftables.c: the sym_nft_* table (dl_nftables.h). */
#include "dl_nftables.h"

NFTABLES_SYMBOLS(DL_SYMBOL_DEFINE_EACH)

int nftables_dl_open(struct nano_err *err)
{
	static struct dl_library lib = DL_LIBRARY(NFTABLES_SONAME);

	return dl_open(&lib, err, NFTABLES_SYMBOLS(DL_SYMBOL_EACH) NULL);
}
