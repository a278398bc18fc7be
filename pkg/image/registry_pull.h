/* pkg/image/registry_pull.h: what the registry client's files share, private to pkg/image: the
 * puller, a pull (one per reference) and its waiters, and the calls between its files.
 *   registry.c          pulls and their waiters, the steps (manifest, index, config, layers),
 *                       the puller
 *   registry_request.c  a step's request: where it goes (mirrors, the registry, plain HTTP),
 *                       a layer's tmp/ file, a 401's answer, a failure's words, the next endpoint
 *   registry_job.c      the job off the loop (store, verify, unpack) and the image's record */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "image/image.h"
#include "image/registry_http.h"
#include "util/work.h"

struct image_puller {
	sd_event *event;
	struct image_store *store;
	struct registry_http *http;
	struct image_registry_config *registries;
	size_t n_registries;
	char *auth_file;
	int64_t timeout_s;
	struct pull *pulls;
};

/* A waiter. */
struct image_pull {
	struct pull *pull;
	image_pull_done_fn *fn; /* NULL once cancelled while its pull delivers */
	void *userdata;
	struct image_pull *next;
};

struct endpoint {
	char *base; /* "https://host[:port][/path]" */
	bool skip_verify;
	bool mirror;
};

enum pull_step { STEP_MANIFEST, STEP_PLATFORM, STEP_CONFIG, STEP_LAYERS, STEP_UNPACK };

struct pull {
	struct image_puller *puller;
	struct pull *next, **pprev;
	char *reference;
	struct image_ref ref;
	struct image_pull *waiters;
	sd_event_source *defer;
	struct endpoint *endpoints;
	size_t n_endpoints, endpoint;
	char *authorization; /* for endpoints[endpoint]'s host */
	int auth_tries;
	char *http_error; /* the first HTTP answer that failed, said when every endpoint failed */
	char *tls_error;  /* the registry's HTTPS failure, said when its plain HTTP answers 400 */
	enum pull_step step;
	struct registry_xfer *xfer;
	char *path;                          /* what xfer asks for, below the endpoint's base */
	char *expected;                      /* the digest its answer must have, NULL when by tag */
	char *scope;                         /* repository:<path>:pull */
	char resolved[IMAGE_DIGEST_LEN + 1]; /* what the reference resolved to */
	char manifest_digest[IMAGE_DIGEST_LEN + 1];
	char *index_body, *manifest_body, *config_body;
	size_t index_len, manifest_len, config_len;
	struct image_manifest manifest;
	struct image_config config;
	size_t layer;
	char **tmp_paths, **got;
	struct util_work *work;
	int64_t started;
};

/* A pull's clock (its duration), CLOCK_MONOTONIC. */
static inline int64_t pull_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- registry.c ---------------------------------------------------------------------------- */

/* Tells every waiter, and frees the pull. */
void pull_deliver(struct pull *p, int r, const struct image_pull_result *result,
                  const struct nano_err *err);
/* Fails the pull with err's message (a generic one when it has none), and frees it. */
void pull_fail(struct pull *p, int r, struct nano_err *err);
void pull_failf(struct pull *p, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A 2xx answer to the current step's request: the step's next move. */
void pull_answered(struct pull *p, struct registry_xfer *x);

/* ---- registry_request.c -------------------------------------------------------------------- */

/* The request for the current step (p->path) at the current endpoint. */
int pull_request(struct pull *p);
/* The endpoints of p->ref's registry: its mirrors, the registry itself, its plain HTTP. */
int pull_endpoints(struct pull *p);

/* ---- registry_job.c ------------------------------------------------------------------------ */

/* The job off the loop for a pull whose blobs are all here or in tmp/; its end records the
 * image and delivers the pull. */
int pull_unpack(struct pull *p);
