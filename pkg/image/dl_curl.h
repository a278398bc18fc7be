/* pkg/image/dl_curl.h: libcurl (GnuTLS's build), opened when the first pull needs it (dl.h):
 * the functions registry_http.c and registry_request.c call, as sym_<name>. Internal to
 * pkg/image. */
#pragma once

#include <curl/curl.h>

#include "util/dl.h"

/* what Debian's libcurl4-gnutls-dev links as -lcurl-gnutls */
#define CURL_SONAME "libcurl-gnutls.so.4"

DL_SYMBOL_DECLARE(curl_easy_cleanup);
DL_SYMBOL_DECLARE(curl_easy_escape);
DL_SYMBOL_DECLARE(curl_easy_getinfo);
DL_SYMBOL_DECLARE(curl_easy_init);
DL_SYMBOL_DECLARE(curl_easy_setopt);
DL_SYMBOL_DECLARE(curl_easy_strerror);
DL_SYMBOL_DECLARE(curl_global_cleanup);
DL_SYMBOL_DECLARE(curl_global_init);
DL_SYMBOL_DECLARE(curl_multi_add_handle);
DL_SYMBOL_DECLARE(curl_multi_assign);
DL_SYMBOL_DECLARE(curl_multi_cleanup);
DL_SYMBOL_DECLARE(curl_multi_info_read);
DL_SYMBOL_DECLARE(curl_multi_init);
DL_SYMBOL_DECLARE(curl_multi_remove_handle);
DL_SYMBOL_DECLARE(curl_multi_setopt);
DL_SYMBOL_DECLARE(curl_multi_socket_action);
DL_SYMBOL_DECLARE(curl_slist_append);
DL_SYMBOL_DECLARE(curl_slist_free_all);

/* Loads libcurl and sets every sym_curl_*; 0, or -ELIBACC and err ("libcurl-gnutls.so.4
 * cannot be loaded: ..."). curl_global_init stays the caller's (registry_http.c). */
int curl_dl_open(struct nano_err *err);
