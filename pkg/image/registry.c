/* pkg/image/registry.c: the OCI distribution client (the registry's /v2/ API): pulls, their
 * waiters and their steps, and the puller. Its requests run on libcurl's multi interface driven
 * by the daemon's sd-event loop (registry_http.c), so that a pull never blocks the loop, and
 * many pulls share it.
 *
 * A pull is one per reference, however many wait for it (struct image_pull is a waiter). Its
 * steps, one request at a time: GET the manifest (an index -> the node's platform's manifest,
 * GET that), GET the config blob, GET each layer blob the store does not have, streamed into a
 * tmp/ file with a running sha256. Then one job off the loop (registry_job.c) stores the small
 * blobs, commits each layer blob (verified: a tampered blob fails naming its digest) and
 * unpacks each missing layer; back on the loop, image_store_put records the image.
 *
 * Where a request goes, how a 401 is answered and what a failure says are
 * registry_request.c's; this file sees only a request's 2xx answer (pull_answered).
 *
 * This file must not block: no file is read here, and fsync, rename and unpack happen in the
 * work job. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry_pull.h"

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
		util_work_forget(p->work);
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
void pull_deliver(struct pull *p, int r, const struct image_pull_result *result,
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

void pull_fail(struct pull *p, int r, struct nano_err *err)
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

void pull_failf(struct pull *p, int r, const char *fmt, ...)
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
			r = pull_request(p);
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
				r = pull_request(p);
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
		r = pull_request(p);
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

void pull_answered(struct pull *p, struct registry_xfer *x)
{
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
}

/* ---- pulls --------------------------------------------------------------------------------- */

static int pull_begin(sd_event_source *s, void *userdata)
{
	struct pull *p = userdata;
	struct nano_err err = {0};
	int r;

	(void)s;
	p->defer = sd_event_source_disable_unref(p->defer);
	p->started = pull_now_ns();
	r = image_ref_parse(p->reference, &p->ref, &err);
	if (r < 0) {
		pull_fail(p, r, &err);
		return 0;
	}
	r = registry_http_ready(p->puller->http, &err);
	if (r < 0) {
		nano_err_wrap(&err, "failed to pull image \"%s\"", p->reference);
		pull_fail(p, r, &err);
		return 0;
	}
	p->scope = strdupf("repository:%s:pull", p->ref.path);
	r = p->scope ? pull_endpoints(p) : -ENOMEM;
	if (r >= 0)
		r = set_path(p, "manifests", p->ref.digest ? p->ref.digest : p->ref.tag,
		             p->ref.digest);
	if (r >= 0)
		r = pull_request(p);
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
