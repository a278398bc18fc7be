/* pkg/image/registry_http.h: HTTP requests on the loop for the registry client
 * (registry_request.c): libcurl's multi interface driven by sd-event, and one request's answer
 * gathered as it comes (a small body in memory, or a blob streamed into a file with a running
 * sha256). Knows nothing of registries, auth or pulls. Internal to pkg/image. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/dl_curl.h"
#include <systemd/sd-event.h>

#include "image/image.h"

struct registry_http;

/* What a request's end tells its owner (read in done; freed by registry_xfer_free). */
struct registry_xfer {
	char *url;
	CURLcode result; /* CURLE_OK: an answer came, status says which */
	long status;     /* the HTTP status of the last answer (after redirects) */
	char errbuf[CURL_ERROR_SIZE];
	long os_errno; /* the connect/recv errno, when there was one */
	char *body;    /* the answer's body (with a file: only an error answer's), NUL-ended */
	size_t len;
	int64_t written; /* with a file: the bytes written to it */
	bool too_big;    /* the body passed max_bytes: result is a write error */
	char *content_type, *www_authenticate; /* the last answer's headers, NULL when absent */
	struct image_hash *hash; /* with a file: the sha256 of what was written (the owner's to
	                          * finish, or registry_xfer_free frees it) */
	/* the rest is registry_http.c's */
	struct registry_http *http;
	CURL *easy;
	struct curl_slist *headers;
	int fd;
	int64_t max_bytes;
	void (*done)(struct registry_xfer *x, void *userdata);
	void *userdata;
};

struct registry_request {
	const char *url;
	int fd;             /* >= 0: a 2xx answer's body goes here (the xfer takes the fd),
	                     * hashed; -1: into memory */
	int64_t max_bytes;  /* a body past it fails (0: no limit for a file, 8 MiB in memory) */
	const char *accept; /* an Accept header's value, or NULL */
	const char *authorization; /* an Authorization header's value, or NULL */
	bool skip_verify;          /* HTTPS without verifying the peer (an insecure registry) */
	int64_t timeout_s;         /* no byte for this long (and no connection): fails */
};

/* Loads nothing yet: libcurl is opened (and curl_global_init called) by registry_http_ready. */
int registry_http_new(sd_event *e, struct registry_http **out);
/* Opens libcurl (dl_curl.h) and makes the multi handle, the first time; a pull calls it before
 * its first request. 0, or -ELIBACC ("libcurl-gnutls.so.4 cannot be loaded: ...") with err. */
int registry_http_ready(struct registry_http *h, struct nano_err *err);
/* Every request must have been freed first. */
struct registry_http *registry_http_free(struct registry_http *h);

/* Starts req; done(x, userdata) is called from the loop when it ends (never from this call).
 * The owner frees x with registry_xfer_free (in done or before: then done is not called). */
int registry_xfer_start(struct registry_http *h, const struct registry_request *req,
                        void (*done)(struct registry_xfer *x, void *userdata), void *userdata,
                        struct registry_xfer **out);
void registry_xfer_free(struct registry_xfer *x);
