/* daemon/http_check.h: what nanoletd checks of a request before any route sees it, and the
 * Warning headers of an answer. Pure functions over bytes: no libmicrohttpd, no I/O, so that
 * unit tests and the fuzzers (tests/fuzz/) reach every branch. http.c applies them. */
#pragma once

#include <stddef.h>

/* The request target as the client sent it, before percent-decoding (libmicrohttpd decodes
 * into NUL-terminated strings, so "/pods/a%00x" would reach the routes as "/pods/a").
 * 0 when it may go on; else the HTTP code to answer (414 past max_url_bytes, 400 for a control
 * byte in it, a %00 anywhere, or an escaped control byte in the path) with a message for the
 * Status in *message (malloc'd; NULL when out of memory). */
unsigned http_check_target(const char *target, size_t max_url_bytes, char **message);

/* The header fields: count of them and bytes ("Name: value\r\n" each). 0 or 431 with a
 * message as above. */
unsigned http_check_header(size_t count, size_t bytes, size_t max_count, size_t max_bytes,
                           char **message);

/* The values of the Warning headers for warnings (NULL-terminated, may be NULL), each
 * `299 - "text"` with the text a quoted-string. Bounded as the API server bounds them
 * (k8s.io/apiserver filters/warning.go): while all of them fit in max_bytes they go out whole;
 * past it every text is cut to HTTP_WARNING_ITEM_BYTES (on a UTF-8 boundary) and those that
 * still do not fit are left out; nanolet then adds one warning saying how many (the API server
 * leaves them out silently). Duplicates are sent once. *left_out (may be NULL) is how many were
 * left out. NULL-terminated; NULL when out of memory. */
#define HTTP_WARNING_ITEM_BYTES 256
char **http_warning_values(char *const *warnings, size_t max_bytes, size_t *left_out);

/* One value as it goes out: `299 - "text"`, quotes and backslashes escaped, line breaks and
 * other control bytes made spaces (they would end or corrupt the header). */
char *http_warning_value(const char *text, size_t max_text_bytes);
