/* pkg/image/dl_curl.h: libcurl (GnuTLS's build), opened when the first pull needs it (dl.h):
 * the functions registry_http.c and registry_request.c call, as sym_<name>. Internal to
 * pkg/image. */
#pragma once

#include <curl/curl.h>

#include "util/dl.h"

/* what Debian's libcurl4-gnutls-dev links as -lcurl-gnutls */
#define CURL_SONAME "libcurl-gnutls.so.4"

/* every function called through sym_<name>, named once: declared here, defined and loaded
 * in the .c */
#define CURL_SYMBOLS(X)                                                                            \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_escape)                                                                        \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_init)                                                                          \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_strerror)                                                                      \
	X(curl_global_cleanup)                                                                     \
	X(curl_global_init)                                                                        \
	X(curl_multi_add_handle)                                                                   \
	X(curl_multi_assign)                                                                       \
	X(curl_multi_cleanup)                                                                      \
	X(curl_multi_info_read)                                                                    \
	X(curl_multi_init)                                                                         \
	X(curl_multi_remove_handle)                                                                \
	X(curl_multi_setopt)                                                                       \
	X(curl_multi_socket_action)                                                                \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

CURL_SYMBOLS(DL_SYMBOL_DECLARE_EACH)

/* Loads libcurl and sets every sym_curl_*; 0, or -ELIBACC and err ("libcurl-gnutls.so.4
 * cannot be loaded: ..."). curl_global_init stays the caller's (registry_http.c). */
int curl_dl_open(struct nano_err *err);
