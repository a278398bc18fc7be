/* pkg/image/registry.c: the OCI distribution client (the registry's /v2/ API). Its requests
 * run on libcurl's multi interface driven by the daemon's sd-event loop (registry_http.c), so
 * that a pull never blocks the loop, and many pulls share it.
 *
 * A pull is one per reference, however many wait for it (struct image_pull is a waiter). Its
 * steps, one request at a time: GET the manifest (an index -> the node's platform's manifest,
 * GET that), GET the config blob, GET each layer blob the store does not have, streamed into a
 * tmp/ file with a running sha256. Then one job off the loop (image_work) stores the small
 * blobs, commits each layer blob (verified: a tampered blob fails naming its digest) and
 * unpacks each missing layer; back on the loop, image_store_put records the image.
 *
 * Where a request goes: the registry's mirrors in order, then the registry itself (docker.io's
 * API is registry-1.docker.io), over HTTPS; an insecure registry, or a loopback one
 * (127.0.0.0/8, ::1, localhost, as Docker allows), also over plain HTTP when HTTPS fails. A 401
 * is answered as its WWW-Authenticate asks: Bearer -> a token from the realm (with the auth
 * file's basic credentials when it has them), Basic -> those credentials; then the request
 * again, once.
 *
 * This file must not block: no file is read here but the small auth file, and fsync, rename and
 * unpack happen in the work job. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "image/image.h"
#include "image/registry_auth.h"
#include "image/registry_http.h"

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

/* What the job off the loop gets: its own copies, so that a pull freed meanwhile (puller
 * freed) leaves it whole. */
struct pull_job {
	struct pull *pull; /* read only in pull_job_done, on the loop */
	struct image_store *store;
	char *index_body, *manifest_body, *config_body;
	size_t index_len, manifest_len, config_len;
	char index_digest[IMAGE_DIGEST_LEN + 1], manifest_digest[IMAGE_DIGEST_LEN + 1];
	char config_digest[IMAGE_DIGEST_LEN + 1];
	size_t n_layers;
	char **blobs, **diff_ids, **tmp_paths, **got; /* per layer; tmp_paths[i] NULL: in store */
	char *reference;
	struct nano_err err;
};

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
	struct image_work *work;
	int64_t started;
};

static void pull_next(struct pull *p);

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- one request ------------------------------------------------------------------------- */

static void xfer_done(struct registry_xfer *x, void *userdata);
static void token_done(struct registry_xfer *x, void *userdata);

/* A request of the current step (or, token, of the token realm) to url. */
static int xfer_start(struct pull *p, bool token, const char *url)
{
	struct image_puller *pl = p->puller;
	struct registry_request req = {
	        .url = url,
	        .fd = -1,
	        .authorization = p->authorization,
	        .timeout_s = pl->timeout_s,
	        .skip_verify = !token && p->endpoints[p->endpoint].skip_verify,
	};

	registry_xfer_free(TAKE_PTR(p->xfer));
	if (!token && p->step == STEP_LAYERS) {
		_cleanup_free_ char *tmp = NULL;
		struct nano_err err = {0};
		int r;

		/* one file per layer, kept from an earlier try of it (a mirror that failed) */
		if (!p->tmp_paths[p->layer]) {
			r = image_store_tmp_file(pl->store, &req.fd, &tmp, &err);
			nano_err_clear(&err);
			if (r < 0)
				return r;
			p->tmp_paths[p->layer] = TAKE_PTR(tmp);
		} else {
			req.fd = open(p->tmp_paths[p->layer], O_RDWR | O_TRUNC | O_CLOEXEC);
			if (req.fd < 0)
				return -errno;
		}
		req.max_bytes = p->manifest.layers[p->layer].size;
	}
	if (!token && (p->step == STEP_MANIFEST || p->step == STEP_PLATFORM))
		req.accept = IMAGE_MANIFEST_ACCEPT;
	return registry_xfer_start(pl->http, &req, token ? token_done : xfer_done, p, &p->xfer);
}

/* The request for the current step at the current endpoint. */
static int request(struct pull *p)
{
	_cleanup_free_ char *url = strdupf("%s%s", p->endpoints[p->endpoint].base, p->path);

	if (!url)
		return -ENOMEM;
	return xfer_start(p, false, url);
}

/* ---- waiters ----------------------------------------------------------------------------- */

static void pull_free(struct pull *p)
{
	struct image_pull *w;

	if (!p)
		return;
	if (p->pprev) {
		*p->pprev = p->next;
		if (p->next)
			p->next->pprev = p->pprev;
	}
	while ((w = p->waiters)) {
		p->waiters = w->next;
		free(w);
	}
	sd_event_source_disable_unref(p->defer);
	registry_xfer_free(p->xfer);
	if (p->work)
		image_work_forget(p->work);
	for (size_t i = 0; i < p->n_endpoints; i++)
		free(p->endpoints[i].base);
	free(p->endpoints);
	/* a download cut short (the job, once started, has its own) */
	for (size_t i = 0; p->tmp_paths && i < p->manifest.n_layers; i++) {
		if (p->tmp_paths[i])
			(void)unlink(p->tmp_paths[i]);
		free(p->tmp_paths[i]);
	}
	for (size_t i = 0; p->got && i < p->manifest.n_layers; i++)
		free(p->got[i]);
	free(p->tmp_paths);
	free(p->got);
	image_manifest_done(&p->manifest);
	image_config_done(&p->config);
	image_ref_done(&p->ref);
	free(p->reference);
	free(p->authorization);
	free(p->http_error);
	free(p->tls_error);
	free(p->path);
	free(p->expected);
	free(p->scope);
	free(p->index_body);
	free(p->manifest_body);
	free(p->config_body);
	free(p);
}

/* Tells every waiter (the pull leaves the puller first: a waiter may start it again). */
static void pull_deliver(struct pull *p, int r, const struct image_pull_result *result,
                         const struct nano_err *err)
{
	struct image_pull *w;

	if (p->pprev) {
		*p->pprev = p->next;
		if (p->next)
			p->next->pprev = p->pprev;
		p->pprev = NULL;
	}
	registry_xfer_free(TAKE_PTR(p->xfer));
	for (w = p->waiters; w; w = w->next)
		if (w->fn)
			w->fn(w->userdata, r, result, err);
	pull_free(p);
}

static void pull_fail(struct pull *p, int r, struct nano_err *err)
{
	if (r >= 0)
		r = -EIO;
	if (!err->message)
		nano_err_set(err, -r, "failed to pull image \"%s\": %s", p->reference,
		             strerror(-r));
	log_info("pull of %s failed: %s", p->reference, err->message);
	pull_deliver(p, r, NULL, err);
	nano_err_clear(err);
}

static void pull_failf(struct pull *p, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void pull_failf(struct pull *p, int r, const char *fmt, ...)
{
	struct nano_err err = {0};
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	nano_err_set(&err, r < 0 ? -r : EIO, "%s", msg ? msg : "out of memory");
	pull_fail(p, r, &err);
}

/* ---- the job off the loop: store, verify, unpack ----------------------------------------- */

static void pull_job_free(void *userdata)
{
	struct pull_job *j = userdata;

	free(j->index_body);
	free(j->manifest_body);
	free(j->config_body);
	/* tmp_paths and got have holes (a layer the store had): not strv's */
	for (size_t i = 0; j->tmp_paths && i < j->n_layers; i++) {
		if (j->tmp_paths[i])
			(void)unlink(j->tmp_paths[i]); /* left only when the job failed first */
		free(j->tmp_paths[i]);
	}
	for (size_t i = 0; j->got && i < j->n_layers; i++)
		free(j->got[i]);
	strv_free(j->blobs);
	strv_free(j->diff_ids);
	free(j->tmp_paths);
	free(j->got);
	free(j->reference);
	nano_err_clear(&j->err);
	free(j);
}

static int pull_job_run(void *userdata)
{
	struct pull_job *j = userdata;
	int r;

	if (j->index_body) {
		r = image_store_blob_put(j->store, j->index_body, j->index_len, j->index_digest,
		                         NULL, &j->err);
		if (r < 0)
			return r;
	}
	r = image_store_blob_put(j->store, j->manifest_body, j->manifest_len, j->manifest_digest,
	                         NULL, &j->err);
	if (r < 0)
		return r;
	r = image_store_blob_put(j->store, j->config_body, j->config_len, j->config_digest, NULL,
	                         &j->err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < j->n_layers; i++) {
		if (j->tmp_paths[i]) {
			r = image_store_blob_commit(j->store, j->tmp_paths[i], j->got[i],
			                            j->blobs[i], &j->err);
			free(j->tmp_paths[i]); /* moved, or removed by the commit */
			j->tmp_paths[i] = NULL;
			if (r < 0)
				return r;
		}
		if (!image_store_layer_has(j->store, j->diff_ids[i])) {
			r = image_store_unpack(j->store, j->blobs[i], j->diff_ids[i], &j->err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void pull_job_done(void *userdata, int r)
{
	struct pull_job *j = userdata;
	struct pull *p = j->pull;
	struct image_pull_result result = {0};
	struct image_record *rec = &result.record;
	struct nano_err err = {0};
	_cleanup_free_ char *repo = NULL;
	int64_t now = util_realtime_ns();

	p->work = NULL;
	if (r < 0) {
		nano_err_set(&err, -r, "failed to pull and unpack image \"%s\": %s", p->reference,
		             j->err.message ? j->err.message : strerror(-r));
		pull_job_free(j);
		pull_fail(p, r, &err);
		return;
	}
	pull_job_free(j);

	memcpy(rec->id, p->manifest.config.digest, sizeof(rec->id));
	memcpy(rec->manifest, p->manifest_digest, sizeof(rec->manifest));
	repo = image_ref_repo(&p->ref);
	if (!repo || (p->ref.tag && strv_push(&rec->repo_tags, image_ref_string(&p->ref)) < 0) ||
	    strv_pushf(&rec->repo_digests, "%s@%s", repo, p->resolved) < 0) {
		image_record_done(rec);
		return pull_failf(p, -ENOMEM, "failed to pull image \"%s\": out of memory",
		                  p->reference);
	}
	/* a tag-and-digest reference is recorded by its digest: the tag was not what resolved */
	if (p->ref.tag && p->ref.digest) {
		strv_free(rec->repo_tags);
		rec->repo_tags = NULL;
	}
	rec->layers = p->manifest;
	rec->config = p->config;
	rec->size = p->manifest.config.size;
	for (size_t i = 0; i < p->manifest.n_layers; i++)
		rec->size += p->manifest.layers[i].size;
	rec->created = now;
	r = image_store_put(p->puller->store, rec, now, &err);
	/* the manifest and config stay the pull's (freed with it) */
	rec->layers = (struct image_manifest){0};
	rec->config = (struct image_config){0};
	int64_t size = rec->size;
	image_record_done(rec);
	if (r < 0) {
		nano_err_wrap(&err, "failed to pull image \"%s\"", p->reference);
		return pull_fail(p, r, &err);
	}
	r = image_store_find(p->puller->store, p->reference, rec, &err);
	if (r < 0) {
		nano_err_wrap(&err, "failed to pull image \"%s\"", p->reference);
		return pull_fail(p, r, &err);
	}
	result.bytes = size;
	result.duration_ns = now_ns() - p->started;
	log_info("pulled %s (%s, %lld bytes)", p->reference, rec->id, (long long)size);
	pull_deliver(p, 0, &result, NULL);
	image_record_done(rec);
}

static int pull_unpack(struct pull *p)
{
	struct pull_job *j = calloc(1, sizeof(*j));
	size_t n = p->manifest.n_layers;

	if (!j)
		return -ENOMEM;
	j->pull = p;
	j->store = p->puller->store;
	j->n_layers = n;
	j->reference = strdup(p->reference);
	j->blobs = calloc(n + 1, sizeof(char *));
	j->diff_ids = calloc(n + 1, sizeof(char *));
	j->tmp_paths = calloc(n + 1, sizeof(char *));
	j->got = calloc(n + 1, sizeof(char *));
	if (!j->reference || !j->blobs || !j->diff_ids || !j->tmp_paths || !j->got) {
		pull_job_free(j);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		j->blobs[i] = strdup(p->manifest.layers[i].digest);
		j->diff_ids[i] = strdup(p->config.diff_ids[i]);
		j->tmp_paths[i] = TAKE_PTR(p->tmp_paths[i]);
		j->got[i] = TAKE_PTR(p->got[i]);
		if (!j->blobs[i] || !j->diff_ids[i]) {
			pull_job_free(j);
			return -ENOMEM;
		}
	}
	j->index_body = TAKE_PTR(p->index_body);
	j->index_len = p->index_len;
	j->manifest_body = strndup(p->manifest_body, p->manifest_len);
	j->manifest_len = p->manifest_len;
	j->config_body = strndup(p->config_body, p->config_len);
	j->config_len = p->config_len;
	memcpy(j->index_digest, p->resolved, sizeof(j->index_digest));
	memcpy(j->manifest_digest, p->manifest_digest, sizeof(j->manifest_digest));
	memcpy(j->config_digest, p->manifest.config.digest, sizeof(j->config_digest));
	if (!j->manifest_body || !j->config_body) {
		pull_job_free(j);
		return -ENOMEM;
	}
	p->step = STEP_UNPACK;
	return image_work_run(p->puller->event, pull_job_run, pull_job_done, pull_job_free, j,
	                      &p->work);
}

/* ---- the steps ---------------------------------------------------------------------------- */

static int set_path(struct pull *p, const char *kind, const char *what, const char *expected)
{
	free(p->path);
	free(p->expected);
	p->expected = NULL;
	p->path = strdupf("/v2/%s/%s/%s", p->ref.path, kind, what);
	if (!p->path)
		return -ENOMEM;
	if (expected && !(p->expected = strdup(expected)))
		return -ENOMEM;
	p->auth_tries = 0;
	return 0;
}

/* The next layer to fetch, or the job when none is left. */
static void pull_next(struct pull *p)
{
	struct image_store *s = p->puller->store;
	int r;

	for (; p->layer < p->manifest.n_layers; p->layer++) {
		const char *blob = p->manifest.layers[p->layer].digest;
		/* a blob two images share is fetched once, and its layer unpacked once; a layer
		 * unpacked from another blob (the same tar compressed otherwise) still wants this
		 * one, as the record names it */
		if (image_store_blob_has(s, blob))
			continue;
		r = set_path(p, "blobs", blob, blob);
		if (r >= 0)
			r = request(p);
		if (r < 0)
			pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference,
			           strerror(-r));
		return;
	}
	r = pull_unpack(p);
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
}

/* A body (manifest, index, config) arrived whole: its digest, checked when one is expected. */
static bool body_verified(struct pull *p, const char *body, size_t len,
                          char digest[IMAGE_DIGEST_LEN + 1])
{
	struct image_hash *h;

	if (image_hash_new(&h) < 0) {
		pull_failf(p, -ENOMEM, "failed to pull image \"%s\": out of memory", p->reference);
		return false;
	}
	image_hash_update(h, body, len);
	image_hash_finish(h, digest);
	if (p->expected && strcmp(digest, p->expected) != 0) {
		pull_failf(
		        p, -EBADMSG,
		        "failed to pull image \"%s\": %s %s failed verification: its content is %s",
		        p->reference, p->step == STEP_CONFIG ? "blob" : "manifest", p->expected,
		        digest);
		return false;
	}
	return true;
}

static void on_manifest(struct pull *p, struct registry_xfer *x)
{
	struct nano_err err = {0};
	char digest[IMAGE_DIGEST_LEN + 1];
	int r;

	if (!body_verified(p, x->body ? x->body : "", x->len, digest))
		return;
	if (p->step == STEP_MANIFEST) {
		memcpy(p->resolved, digest, sizeof(digest));
		if (image_is_index(x->content_type, x->body ? x->body : "", x->len)) {
			struct image_platform node;
			struct image_descriptor d = {0};

			image_platform_node(&node);
			r = image_index_pick(x->body, x->len, &node, p->reference, &d, &err);
			if (r < 0) {
				nano_err_wrap(&err, "failed to pull image \"%s\"", p->reference);
				free(d.media_type);
				return pull_fail(p, r, &err);
			}
			free(d.media_type);
			p->index_body = TAKE_PTR(x->body);
			p->index_len = x->len;
			p->step = STEP_PLATFORM;
			r = set_path(p, "manifests", d.digest, d.digest);
			if (r >= 0)
				r = request(p);
			if (r < 0)
				pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference,
				           strerror(-r));
			return;
		}
	}
	memcpy(p->manifest_digest, digest, sizeof(digest));
	r = image_manifest_parse(x->body ? x->body : "", x->len, &p->manifest, &err);
	if (r < 0) {
		nano_err_wrap(&err, "failed to pull image \"%s\": manifest %s", p->reference,
		              digest);
		return pull_fail(p, r, &err);
	}
	p->manifest_body = TAKE_PTR(x->body);
	p->manifest_len = x->len;
	p->tmp_paths = calloc(p->manifest.n_layers + 1, sizeof(char *));
	p->got = calloc(p->manifest.n_layers + 1, sizeof(char *));
	if (!p->tmp_paths || !p->got)
		return pull_failf(p, -ENOMEM, "failed to pull image \"%s\": out of memory",
		                  p->reference);
	p->step = STEP_CONFIG;
	r = set_path(p, "blobs", p->manifest.config.digest, p->manifest.config.digest);
	if (r >= 0)
		r = request(p);
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
}

static void on_config(struct pull *p, struct registry_xfer *x)
{
	struct nano_err err = {0};
	char digest[IMAGE_DIGEST_LEN + 1];
	int r;

	if (!body_verified(p, x->body ? x->body : "", x->len, digest))
		return;
	r = image_config_parse(x->body ? x->body : "", x->len, &p->config, &err);
	if (r < 0) {
		nano_err_wrap(&err, "failed to pull image \"%s\": config %s", p->reference, digest);
		return pull_fail(p, r, &err);
	}
	if (strv_len(p->config.diff_ids) != p->manifest.n_layers)
		return pull_failf(p, -EBADMSG,
		                  "failed to pull image \"%s\": config %s has %zu diff_ids for %zu "
		                  "layers",
		                  p->reference, digest, strv_len(p->config.diff_ids),
		                  p->manifest.n_layers);
	p->config_body = TAKE_PTR(x->body);
	p->config_len = x->len;
	p->step = STEP_LAYERS;
	p->layer = 0;
	pull_next(p);
}

static void on_layer(struct pull *p, struct registry_xfer *x)
{
	char digest[IMAGE_DIGEST_LEN + 1];

	image_hash_finish(TAKE_PTR(x->hash), digest);
	/* verified by image_store_blob_commit in the job: a mismatch names both digests there */
	p->got[p->layer] = strdup(digest);
	if (!p->got[p->layer])
		return pull_failf(p, -ENOMEM, "failed to pull image \"%s\": out of memory",
		                  p->reference);
	p->layer++;
	pull_next(p);
}

/* ---- answers: auth, errors, the next endpoint --------------------------------------------- */

static int endpoint_host(const struct endpoint *ep, char **out)
{
	const char *h = strstr(ep->base, "://");

	h = h ? h + 3 : ep->base;
	*out = strndup(h, strcspn(h, "/"));
	return *out ? 0 : -ENOMEM;
}

/* A 401: ask for a token, or use basic credentials. true: handled (a request started, or the
 * pull failed and is gone); false when there is no way on. */
static bool pull_auth(struct pull *p, struct registry_xfer *x, struct nano_err *err)
{
	struct registry_challenge c = {0};
	_cleanup_free_ char *host = NULL, *basic = NULL;
	int r;

	if (p->auth_tries++ >= 2 || !x->www_authenticate ||
	    registry_challenge_parse(x->www_authenticate, &c) < 0)
		goto no;
	if (endpoint_host(&p->endpoints[p->endpoint], &host) < 0)
		goto no;
	r = registry_auth_basic(p->puller->auth_file, host, &basic, err);
	if (r < 0) {
		registry_challenge_done(&c);
		return false;
	}
	free(p->authorization);
	p->authorization = NULL;
	if (strcmp(c.scheme, "bearer") == 0 && c.realm) {
		_cleanup_free_ char *service = NULL, *scope = NULL, *url = NULL;
		CURL *esc = curl_easy_init();

		if (!esc)
			goto no;
		service = c.service ? curl_easy_escape(esc, c.service, 0) : NULL;
		scope = curl_easy_escape(esc, c.scope ? c.scope : p->scope, 0);
		curl_easy_cleanup(esc);
		url = strdupf("%s%sscope=%s%s%s", c.realm, strchr(c.realm, '?') ? "&" : "?",
		              scope ? scope : "", service ? "&service=" : "",
		              service ? service : "");
		if (!url)
			goto no;
		/* the token request carries the basic credentials; the answer replaces them */
		if (basic)
			p->authorization = strdupf("%s", basic);
		registry_challenge_done(&c);
		r = xfer_start(p, true, url);
		goto started;
	}
	if (strcmp(c.scheme, "basic") == 0 && basic) {
		p->authorization = strdupf("%s", basic);
		registry_challenge_done(&c);
		r = p->authorization ? request(p) : -ENOMEM;
		goto started;
	}
no:
	registry_challenge_done(&c);
	return false;
started:
	/* x is gone (the next request replaced it): a failure to start ends the pull here */
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
	return true;
}

static void on_token(struct pull *p, struct registry_xfer *x)
{
	_cleanup_json_ json_t *j = NULL;
	const char *token;
	long code = x->status;
	int r;

	free(p->authorization);
	p->authorization = NULL;
	if (code != 200)
		return pull_failf(p, -EACCES,
		                  "failed to resolve reference \"%s\": failed to fetch %s token: "
		                  "unexpected status from GET request to %s: %ld",
		                  p->reference, code == 401 ? "oauth" : "anonymous", x->url, code);
	j = json_loadb(x->body ? x->body : "", x->len, 0, NULL);
	token = json_string_value(json_object_get(j, "token"));
	if (!token)
		token = json_string_value(json_object_get(j, "access_token"));
	if (!token)
		return pull_failf(
		        p, -EACCES,
		        "failed to resolve reference \"%s\": the token server %s answered no "
		        "token",
		        p->reference, x->url);
	p->authorization = strdupf("Bearer %s", token);
	r = p->authorization ? request(p) : -ENOMEM;
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
}

static const char *status_text(long code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

/* What failed, in the words of containerd's messages the kubelet shows. */
static char *failure_message(struct pull *p, struct registry_xfer *x, CURLcode res, long code)
{
	bool resolving = p->step == STEP_MANIFEST;
	_cleanup_free_ char *what = NULL;

	if (resolving)
		what = strdupf("failed to resolve reference \"%s\"", p->reference);
	else
		what = strdupf("failed to pull and unpack image \"%s\": failed to copy %s",
		               p->reference, p->expected ? p->expected : "");
	if (!what)
		return NULL;
	if (res != CURLE_OK) {
		long oserr = x->os_errno;
		char reason[256];

		if (x->too_big)
			return strdupf("%s: GET %s: more bytes than the %lld its descriptor says",
			               what, x->url, (long long)p->manifest.layers[p->layer].size);
		if (oserr > 0 && (res == CURLE_COULDNT_CONNECT || res == CURLE_RECV_ERROR ||
		                  res == CURLE_SEND_ERROR)) {
			snprintf(reason, sizeof(reason), "%s", strerror((int)oserr));
			reason[0] = (char)tolower((unsigned char)reason[0]);
		} else
			snprintf(reason, sizeof(reason), "%s",
			         x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
		return strdupf("%s: failed to do request: GET %s: %s", what, x->url, reason);
	}
	if (code == 404 && resolving)
		return strdupf("%s: %s: not found", what, p->reference);
	return strdupf("%s: unexpected status from GET request to %s: %ld %s", what, x->url, code,
	               status_text(code));
}

static void token_done(struct registry_xfer *x, void *userdata)
{
	struct pull *p = userdata;

	if (x->result != CURLE_OK) {
		pull_failf(p, -EIO,
		           "failed to resolve reference \"%s\": failed to fetch token: GET %s: %s",
		           p->reference, x->url,
		           x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result));
		return;
	}
	on_token(p, x);
}

static int status_errno(CURLcode res, long code)
{
	if (res != CURLE_OK)
		return -EIO;
	if (code == 404)
		return -ENOENT;
	if (code == 401 || code == 403)
		return -EACCES;
	return -EIO;
}

static void xfer_done(struct registry_xfer *x, void *userdata)
{
	struct pull *p = userdata;
	CURLcode res = x->result;
	long code = x->status;
	struct nano_err err = {0};

	if (res == CURLE_OK && code == 401) {
		if (pull_auth(p, x, &err))
			return;
		if (err.message) {
			nano_err_wrap(&err, "failed to resolve reference \"%s\"", p->reference);
			return pull_fail(p, -EACCES, &err);
		}
	}
	if (res == CURLE_OK && code >= 200 && code < 300) {
		switch (p->step) {
		case STEP_MANIFEST:
		case STEP_PLATFORM:
			return on_manifest(p, x);
		case STEP_CONFIG:
			return on_config(p, x);
		case STEP_LAYERS:
			return on_layer(p, x);
		case STEP_UNPACK:
			break;
		}
		return;
	}
	/* a failure: the next endpoint (the next mirror, the registry, its plain HTTP), else
	 * the first HTTP answer's words, else this one's */
	_cleanup_free_ char *msg = failure_message(p, x, res, code);
	if (res == CURLE_OK && !p->http_error && msg && !p->endpoints[p->endpoint].mirror &&
	    !(code == 400 && p->tls_error))
		p->http_error = strdup(msg);
	/* a TLS registry asked in plain HTTP answers 400: its certificate's failure says more */
	if (res != CURLE_OK && !p->tls_error && msg && !p->endpoints[p->endpoint].mirror &&
	    strncmp(p->endpoints[p->endpoint].base, "https:", 6) == 0)
		p->tls_error = strdup(msg);
	if (p->endpoint + 1 < p->n_endpoints && !x->too_big) {
		log_debug("pull of %s: %s; trying %s", p->reference, msg ? msg : "?",
		          p->endpoints[p->endpoint + 1].base);
		p->endpoint++;
		p->auth_tries = 0;
		free(p->authorization);
		p->authorization = NULL;
		int r = request(p);
		if (r < 0)
			pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference,
			           strerror(-r));
		return;
	}
	if (!p->http_error && res == CURLE_OK && code == 400 && p->tls_error)
		pull_failf(p, -EIO, "%s", p->tls_error);
	else
		pull_failf(p, status_errno(res, code), "%s",
		           p->http_error ? p->http_error
		           : msg         ? msg
		                         : "out of memory");
}

/* ---- where a registry is reached ----------------------------------------------------------- */

static bool loopback_host(const char *domain)
{
	_cleanup_free_ char *host = NULL;

	if (domain[0] == '[') {
		host = strndup(domain + 1, strcspn(domain + 1, "]"));
		return host && strcmp(host, "::1") == 0;
	}
	host = strndup(domain, strcspn(domain, ":"));
	return host && (strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0);
}

static int endpoint_add(struct pull *p, char *base, bool skip_verify, bool mirror)
{
	struct endpoint *e;

	if (!base)
		return -ENOMEM;
	e = realloc(p->endpoints, (p->n_endpoints + 1) * sizeof(*e));
	if (!e) {
		free(base);
		return -ENOMEM;
	}
	p->endpoints = e;
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	e[p->n_endpoints++] =
	        (struct endpoint){.base = base, .skip_verify = skip_verify, .mirror = mirror};
	return 0;
}

static int pull_endpoints(struct pull *p)
{
	const struct image_puller *pl = p->puller;
	const struct image_registry_config *rc = NULL;
	const char *host = p->ref.domain;
	bool insecure;
	int r;

	for (size_t i = 0; i < pl->n_registries; i++)
		if (strcmp(pl->registries[i].domain, p->ref.domain) == 0)
			rc = &pl->registries[i];
	for (char **m = rc ? rc->mirrors : NULL; m && *m; m++) {
		r = endpoint_add(p, strstr(*m, "://") ? strdup(*m) : strdupf("https://%s", *m),
		                 false, true);
		if (r < 0)
			return r;
	}
	if (strcmp(host, IMAGE_DEFAULT_DOMAIN) == 0 || strcmp(host, IMAGE_LEGACY_DOMAIN) == 0)
		host = IMAGE_DOCKER_REGISTRY;
	insecure = rc && rc->insecure;
	r = endpoint_add(p, strdupf("https://%s", host), insecure, false);
	if (r >= 0 && (insecure || loopback_host(host)))
		r = endpoint_add(p, strdupf("http://%s", host), false, false);
	return r;
}

/* ---- pulls --------------------------------------------------------------------------------- */

static int pull_begin(sd_event_source *s, void *userdata)
{
	struct pull *p = userdata;
	struct nano_err err = {0};
	int r;

	(void)s;
	p->defer = sd_event_source_disable_unref(p->defer);
	p->started = now_ns();
	r = image_ref_parse(p->reference, &p->ref, &err);
	if (r < 0) {
		pull_fail(p, r, &err);
		return 0;
	}
	p->scope = strdupf("repository:%s:pull", p->ref.path);
	r = p->scope ? pull_endpoints(p) : -ENOMEM;
	if (r >= 0)
		r = set_path(p, "manifests", p->ref.digest ? p->ref.digest : p->ref.tag,
		             p->ref.digest);
	if (r >= 0)
		r = request(p);
	if (r < 0)
		pull_failf(p, r, "failed to pull image \"%s\": %s", p->reference, strerror(-r));
	return 0;
}

struct image_pull *image_pull_start(struct image_puller *pl, const char *reference,
                                    image_pull_done_fn *fn, void *userdata)
{
	struct pull *p;
	struct image_pull *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fn = fn;
	w->userdata = userdata;
	for (p = pl->pulls; p; p = p->next)
		if (strcmp(p->reference, reference) == 0)
			break;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || !(p->reference = strdup(reference)) ||
		    sd_event_add_defer(pl->event, &p->defer, pull_begin, p) < 0) {
			if (p)
				free(p->reference);
			free(p);
			free(w);
			return NULL;
		}
		(void)sd_event_source_set_description(p->defer, "image-pull-start");
		p->puller = pl;
		p->next = pl->pulls;
		if (p->next)
			p->next->pprev = &p->next;
		p->pprev = &pl->pulls;
		pl->pulls = p;
	}
	w->pull = p;
	w->next = p->waiters;
	p->waiters = w;
	return w;
}

void image_pull_cancel(struct image_pull *w)
{
	struct pull *p;

	if (!w)
		return;
	p = w->pull;
	if (!p->pprev) {
		w->fn = NULL; /* its pull is delivering: it frees the waiter */
		return;
	}
	for (struct image_pull **pp = &p->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	free(w);
}

/* ---- the puller ----------------------------------------------------------------------------- */

int image_puller_new(sd_event *e, struct image_store *store,
                     const struct image_puller_config *config, struct image_puller **out,
                     struct nano_err *err)
{
	struct image_puller *pl;
	int r;

	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->event = sd_event_ref(e);
	pl->store = store;
	pl->timeout_s = config && config->timeout_s > 0 ? config->timeout_s : 60;
	if (config && config->auth_file && !(pl->auth_file = strdup(config->auth_file)))
		goto nomem;
	if (config && config->n_registries) {
		pl->registries = calloc(config->n_registries, sizeof(*pl->registries));
		if (!pl->registries)
			goto nomem;
		pl->n_registries = config->n_registries;
		for (size_t i = 0; i < config->n_registries; i++) {
			const struct image_registry_config *c = &config->registries[i];
			pl->registries[i].domain = strdup(c->domain);
			pl->registries[i].insecure = c->insecure;
			if (!pl->registries[i].domain)
				goto nomem;
			if (c->mirrors && !(pl->registries[i].mirrors = strv_copy(c->mirrors)))
				goto nomem;
		}
	}
	r = registry_http_new(e, &pl->http);
	if (r < 0) {
		image_puller_free(pl);
		return nano_err_set(err, -r, "image puller: %s", strerror(-r));
	}
	*out = pl;
	return 0;
nomem:
	image_puller_free(pl);
	return -ENOMEM;
}

struct image_puller *image_puller_free(struct image_puller *pl)
{
	if (!pl)
		return NULL;
	while (pl->pulls)
		pull_free(pl->pulls);
	registry_http_free(pl->http);
	for (size_t i = 0; i < pl->n_registries; i++) {
		free(pl->registries[i].domain);
		strv_free(pl->registries[i].mirrors);
	}
	free(pl->registries);
	free(pl->auth_file);
	sd_event_unref(pl->event);
	free(pl);
	return NULL;
}
