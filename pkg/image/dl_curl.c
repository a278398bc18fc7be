/* pkg/image/dl_curl.c: the sym_curl_* table (dl_curl.h). */
#include "image/dl_curl.h"

DL_SYMBOL_DEFINE(curl_easy_cleanup);
DL_SYMBOL_DEFINE(curl_easy_escape);
DL_SYMBOL_DEFINE(curl_easy_getinfo);
DL_SYMBOL_DEFINE(curl_easy_init);
DL_SYMBOL_DEFINE(curl_easy_setopt);
DL_SYMBOL_DEFINE(curl_easy_strerror);
DL_SYMBOL_DEFINE(curl_global_cleanup);
DL_SYMBOL_DEFINE(curl_global_init);
DL_SYMBOL_DEFINE(curl_multi_add_handle);
DL_SYMBOL_DEFINE(curl_multi_assign);
DL_SYMBOL_DEFINE(curl_multi_cleanup);
DL_SYMBOL_DEFINE(curl_multi_info_read);
DL_SYMBOL_DEFINE(curl_multi_init);
DL_SYMBOL_DEFINE(curl_multi_remove_handle);
DL_SYMBOL_DEFINE(curl_multi_setopt);
DL_SYMBOL_DEFINE(curl_multi_socket_action);
DL_SYMBOL_DEFINE(curl_slist_append);
DL_SYMBOL_DEFINE(curl_slist_free_all);

int curl_dl_open(struct nano_err *err)
{
	static struct dl_library lib = DL_LIBRARY(CURL_SONAME);

	return dl_open(&lib, err, DL_SYMBOL(curl_easy_cleanup), DL_SYMBOL(curl_easy_escape),
	               DL_SYMBOL(curl_easy_getinfo), DL_SYMBOL(curl_easy_init),
	               DL_SYMBOL(curl_easy_setopt), DL_SYMBOL(curl_easy_strerror),
	               DL_SYMBOL(curl_global_cleanup), DL_SYMBOL(curl_global_init),
	               DL_SYMBOL(curl_multi_add_handle), DL_SYMBOL(curl_multi_assign),
	               DL_SYMBOL(curl_multi_cleanup), DL_SYMBOL(curl_multi_info_read),
	               DL_SYMBOL(curl_multi_init), DL_SYMBOL(curl_multi_remove_handle),
	               DL_SYMBOL(curl_multi_setopt), DL_SYMBOL(curl_multi_socket_action),
	               DL_SYMBOL(curl_slist_append), DL_SYMBOL(curl_slist_free_all), NULL);
}
