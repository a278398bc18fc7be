/* pkg/image/registry_job.c: a pull's last step, off the loop (util_work): store the index,
 * manifest and config blobs, commit each downloaded layer blob (verified: a tampered blob fails
 * naming its digest) and unpack each missing layer; then, back on the loop, record the image
 * (image_store_put) and deliver the pull.
 *
 * Nothing here blocks the loop: the fsyncs, renames and unpacks run in the job's thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/registry_pull.h"

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
	result.duration_ns = pull_now_ns() - p->started;
	log_info("pulled %s (%s, %lld bytes)", p->reference, rec->id, (long long)size);
	pull_deliver(p, 0, &result, NULL);
	image_record_done(rec);
}

int pull_unpack(struct pull *p)
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
	return util_work_run(p->puller->event, pull_job_run, pull_job_done, pull_job_free, j,
	                     &p->work);
}
