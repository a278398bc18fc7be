/* pkg/util/dl.h: a shared library the daemon may never need, opened with dlopen the first time
 * it is (systemd's dlopen_many_sym_or_warn, made thread-safe). libcurl, libarchive and
 * libnftables bring some forty libraries with them (libxml2, ICU, krb5, libssh2, ...): mapped
 * at start they are most of an idle daemon's resident memory, and a node that never pulls an
 * image or forwards a hostPort never calls them.
 *
 * A user lists the functions it calls once, as an X-macro, and gets one pointer for each,
 * typed from the library's own header, and an open function that fills them:
 *
 *   #define CURL_SYMBOLS(X) X(curl_easy_init) X(curl_easy_cleanup) ...   (its header)
 *   CURL_SYMBOLS(DL_SYMBOL_DECLARE_EACH)              (extern pointers, typeof'd)
 *
 *   CURL_SYMBOLS(DL_SYMBOL_DEFINE_EACH)                                (its .c)
 *   int curl_dl_open(struct nano_err *err)
 *   {
 *           static struct dl_library lib = DL_LIBRARY("libcurl-gnutls.so.4");
 *           return dl_open(&lib, err, CURL_SYMBOLS(DL_SYMBOL_EACH) NULL);
 *   }
 *
 * and calls sym_curl_easy_init(...) after its open function returned 0, on any thread: a call
 * that needs the library calls the open function first (the first one loads, under a mutex;
 * the rest only take it). A failure ("libcurl-gnutls.so.4 cannot be loaded: ...", ELIBACC)
 * is not remembered: the next call tries again, so installing the library is enough. The
 * library is never closed. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "util/util.h"

struct dl_library {
	const char *soname; /* the runtime name, as the package installs it: "libarchive.so.13" */
	pthread_mutex_t lock;
	void *handle; /* set (under lock) when every symbol is */
};

#define DL_LIBRARY(name)                                                                           \
	{                                                                                          \
		.soname = (name), .lock = PTHREAD_MUTEX_INITIALIZER                                \
	}

/* The pointer to a library function, of the type its header gives it: a call through it is
 * checked against the real prototype. */
#define DL_SYMBOL_DECLARE(name) extern typeof(name) *sym_##name
#define DL_SYMBOL_DEFINE(name)  typeof(name) *sym_##name = NULL

/* One (slot, name) pair of dl_open's list; fails to compile when sym_<name> is not a pointer
 * to <name>'s type. */
#define DL_SYMBOL(name)                                                                            \
	({                                                                                         \
		_Static_assert(__builtin_types_compatible_p(typeof(sym_##name), typeof(&name)),    \
		               "sym_" #name " is not a pointer to " #name);                        \
		(void **)&sym_##name;                                                              \
	}),                                                                                        \
	        #name

/* DL_SYMBOL_DECLARE, DL_SYMBOL_DEFINE and DL_SYMBOL for each name of an X-macro list (above). */
#define DL_SYMBOL_DECLARE_EACH(name) DL_SYMBOL_DECLARE(name);
#define DL_SYMBOL_DEFINE_EACH(name)  DL_SYMBOL_DEFINE(name);
#define DL_SYMBOL_EACH(name)         DL_SYMBOL(name),

/* Opens lib once and fills every slot of the NULL-ended (void **slot, const char *name) list
 * (DL_SYMBOL); 0 when it is (or was) loaded, -ELIBACC with err set when it cannot be, or a
 * symbol is missing (then no slot is set). */
int dl_open(struct dl_library *lib, struct nano_err *err, ...);
