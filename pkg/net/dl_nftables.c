/* pkg/net/dl_nftables.c: the sym_nft_* table (dl_nftables.h). */
#include "dl_nftables.h"

DL_SYMBOL_DEFINE(nft_ctx_buffer_error);
DL_SYMBOL_DEFINE(nft_ctx_buffer_output);
DL_SYMBOL_DEFINE(nft_ctx_free);
DL_SYMBOL_DEFINE(nft_ctx_get_error_buffer);
DL_SYMBOL_DEFINE(nft_ctx_get_output_buffer);
DL_SYMBOL_DEFINE(nft_ctx_new);
DL_SYMBOL_DEFINE(nft_ctx_output_set_flags);
DL_SYMBOL_DEFINE(nft_run_cmd_from_buffer);

int nftables_dl_open(struct nano_err *err)
{
	static struct dl_library lib = DL_LIBRARY(NFTABLES_SONAME);

	return dl_open(&lib, err, DL_SYMBOL(nft_ctx_buffer_error), DL_SYMBOL(nft_ctx_buffer_output),
	               DL_SYMBOL(nft_ctx_free), DL_SYMBOL(nft_ctx_get_error_buffer),
	               DL_SYMBOL(nft_ctx_get_output_buffer), DL_SYMBOL(nft_ctx_new),
	               DL_SYMBOL(nft_ctx_output_set_flags), DL_SYMBOL(nft_run_cmd_from_buffer),
	               NULL);
}
