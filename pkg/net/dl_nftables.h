/* pkg/net/dl_nftables.h: libnftables, opened when the first pod joins the pod network or the
 * start's sweep looks for orphan forwards (dl.h): the functions hostport.c calls, as
 * sym_<name>. Internal to pkg/net. */
#pragma once

#include <nftables/libnftables.h>

#include "util/dl.h"

#define NFTABLES_SONAME "libnftables.so.1"

/* every function called through sym_<name>, named once: declared here, defined and loaded
 * in the .c */
#define NFTABLES_SYMBOLS(X)                                                                        \
	X(nft_ctx_buffer_error)                                                                    \
	X(nft_ctx_buffer_output)                                                                   \
	X(nft_ctx_free)                                                                            \
	X(nft_ctx_get_error_buffer)                                                                \
	X(nft_ctx_get_output_buffer)                                                               \
	X(nft_ctx_new)                                                                             \
	X(nft_ctx_output_set_flags)                                                                \
	X(nft_run_cmd_from_buffer)

NFTABLES_SYMBOLS(DL_SYMBOL_DECLARE_EACH)

/* Loads libnftables and sets every sym_nft_*; 0, or -ELIBACC and err ("libnftables.so.1
 * cannot be loaded: ..."). */
int nftables_dl_open(struct nano_err *err);
