/* daemon/api_images.c: the node's images, /apis/nanolet.io/v1/images.
 *
 *   GET    .../images         ImageList: every image the store holds, whether a pod uses it
 *   GET    .../images/{name}  one image by id ("sha256:<hex>"), its hex, or 12+ hex digits
 *   DELETE .../images/{name}  removes it: 409 while a pod's container has it as its root
 *   POST   .../images         application/x-tar: an oci-archive or docker-archive (what
 *                             `podman save` writes), loaded; application/json
 *                             {"image": "<reference>"}: pulled through the daemon's puller
 *
 * An archive never sits in memory: the HTTP server writes the body to a file under the store's
 * tmp/ as it arrives (http_body_file, bounded by max_image_archive_bytes), and the import, which
 * reads, verifies and unpacks it, runs off the loop (util_work); the answer is deferred until
 * it ends. A removal (an rm -rf of layers) runs off the loop too. Every load and pull is
 * followed by an image GC pass (image_gc.c). */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http.h"
#include "image/image.h"
#include "util/work.h"
#include "image_gc.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

#define IMAGES_PATH "/apis/nanolet.io/v1/images"

/* ---- objects -------------------------------------------------------------------------- */

static json_t *strv_json(char *const *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a && l && l[i]; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

static json_t *image_json(struct nanoletd *d, const struct image_record *r)
{
	const char *hex = r->id + strlen("sha256:");

	return json_pack("{s:s, s:s, s:{s:s, s:o}, s:s, s:o, s:o, s:I, s:o, s:o, s:b}", "kind",
	                 "Image", "apiVersion", "nanolet.io/v1", "metadata", "name", hex,
	                 "creationTimestamp", util_json_time(r->created), "id", r->id, "repoTags",
	                 strv_json(r->repo_tags), "repoDigests", strv_json(r->repo_digests), "size",
	                 (json_int_t)r->size, "created", util_json_time(r->created), "lastUsed",
	                 r->last_used ? util_json_time(r->last_used) : json_null(), "inUse",
	                 d->pods && pods_image_in_use(d->pods, r->id, NULL, 0));
}

static json_t *image_list_json(struct nanoletd *d, const struct image_record *v, size_t n)
{
	json_t *items = json_array();

	for (size_t i = 0; items && i < n; i++)
		if (json_array_append_new(items, image_json(d, &v[i])) < 0)
			items = (json_decref(items), NULL);
	return items ? json_pack("{s:s, s:s, s:{}, s:o}", "kind", "ImageList", "apiVersion",
	                         "nanolet.io/v1", "metadata", "items", items)
	             : NULL;
}

static void records_free(struct image_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_record_done(&v[i]);
	free(v);
}

/* Tagged images first, by their first tag; then by id. */
static int record_cmp(const void *a, const void *b)
{
	const struct image_record *x = a, *y = b;
	const char *tx = x->repo_tags && x->repo_tags[0] ? x->repo_tags[0] : NULL;
	const char *ty = y->repo_tags && y->repo_tags[0] ? y->repo_tags[0] : NULL;

	if (tx && ty && strcmp(tx, ty))
		return strcmp(tx, ty);
	if (!tx != !ty)
		return tx ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void not_found(struct http_response *resp, const char *name)
{
	_cleanup_free_ char *message = strdupf("images.nanolet.io \"%s\" not found", name);

	routes_status(resp, 404, "NotFound", message ? message : "image not found");
}

/* The image the path names, or -errno with resp the answer. */
static int find(struct nanoletd *d, const char *name, struct image_record *out,
                struct http_response *resp)
{
	struct nano_err err = {0};
	_cleanup_free_ char *id = NULL;
	int r;

	/* metadata.name is the id's hex: take it as the id it is */
	if (strspn(name, "0123456789abcdef") == strlen(name) && strlen(name) == 64)
		id = strdupf("sha256:%s", name);
	if (strncmp(name, "sha256:", 7) != 0 && strspn(name, "0123456789abcdef") != strlen(name)) {
		not_found(resp, name);
		return -ENOENT;
	}
	r = image_store_find(d->images, id ? id : name, out, &err);
	if (r == -ENOENT)
		not_found(resp, name);
	else if (r < 0)
		routes_error(resp, &err);
	nano_err_clear(&err);
	return r;
}

/* ---- GET ------------------------------------------------------------------------------ */

void api_images_list(struct nanoletd *d, const struct http_request *req,
                     const struct route_args *args, struct http_response *resp)
{
	struct image_record *v = NULL;
	struct nano_err err = {0};
	size_t n = 0;
	int r;

	(void)req;
	(void)args;
	r = image_store_list(d->images, &v, &n, &err);
	if (r < 0) {
		routes_error(resp, &err);
		nano_err_clear(&err);
		return;
	}
	if (n > 1) /* qsort must not be given NULL, even for none */
		qsort(v, n, sizeof(*v), record_cmp);
	routes_json(resp, 200, image_list_json(d, v, n));
	records_free(v, n);
}

void api_image_get(struct nanoletd *d, const struct http_request *req,
                   const struct route_args *args, struct http_response *resp)
{
	struct image_record r = {0};

	(void)req;
	if (find(d, args->name, &r, resp) < 0)
		return;
	routes_json(resp, 200, image_json(d, &r));
	image_record_done(&r);
}

/* ---- answers still to come ------------------------------------------------------------ */

/* A removal, an import or a pull whose answer is deferred: the daemon's list of them, so that
 * a stopping daemon answers each (503) before HTTP goes, and lets go of its job. */
struct image_answer {
	struct image_answer *next, **pprev;
	struct http_deferred *deferred;
	struct util_work *work;  /* a removal or an import running on its thread */
	struct image_pull *pull; /* a pull */
};

static void answer_link(struct nanoletd *d, struct image_answer *a)
{
	a->next = d->image_answers;
	if (a->next)
		a->next->pprev = &a->next;
	a->pprev = &d->image_answers;
	d->image_answers = a;
}

static void answer_unlink(struct image_answer *a)
{
	if (!a->pprev)
		return;
	*a->pprev = a->next;
	if (a->next)
		a->next->pprev = a->pprev;
	a->next = NULL;
	a->pprev = NULL;
}

void api_images_close_all(struct nanoletd *d)
{
	while (d->image_answers) {
		struct image_answer *a = d->image_answers;
		struct http_deferred *deferred = a->deferred;
		struct http_response resp;

		answer_unlink(a);
		if (a->work) /* the job goes on, its own to free (forget_fn) */
			util_work_forget(a->work);
		else if (a->pull) {
			image_pull_cancel(a->pull);
			free(a);
		}
		http_deferred_response(deferred, &resp);
		routes_status(&resp, 503, "ServiceUnavailable",
		              "nanoletd is stopping: the image operation did not finish");
		http_deferred_complete(deferred, &resp);
	}
}

/* ---- DELETE --------------------------------------------------------------------------- */

struct remove_job {
	struct image_answer answer; /* first: the list's */
	struct nanoletd *d;
	struct http_deferred *deferred;
	struct image_store *store;
	struct image_record record;
	struct nano_err err;
};

static void remove_job_free(void *userdata)
{
	struct remove_job *job = userdata;

	image_record_done(&job->record);
	nano_err_clear(&job->err);
	free(job);
}

static int remove_run(void *userdata)
{
	struct remove_job *job = userdata;

	return image_store_remove(job->store, job->record.id, NULL, &job->err);
}

static void remove_done(void *userdata, int r)
{
	struct remove_job *job = userdata;
	struct http_response resp;

	answer_unlink(&job->answer);
	job->d->image_jobs--;
	http_deferred_response(job->deferred, &resp);
	if (r == -ENOENT) {
		not_found(&resp, job->record.id + strlen("sha256:"));
	} else if (r < 0) {
		routes_error(&resp, &job->err);
	} else {
		log_info("image %s removed", job->record.id);
		routes_json(&resp, 200, image_json(job->d, &job->record));
	}
	http_deferred_complete(job->deferred, &resp);
	remove_job_free(job);
}

void api_image_delete(struct nanoletd *d, const struct http_request *req,
                      const struct route_args *args, struct http_response *resp)
{
	struct remove_job *job;
	char who[384];
	int r;

	job = calloc(1, sizeof(*job));
	if (!job)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (find(d, args->name, &job->record, resp) < 0)
		return remove_job_free(job);
	if (d->pods && pods_image_in_use(d->pods, job->record.id, who, sizeof(who))) {
		_cleanup_free_ char *message =
		        strdupf("image %s is in use by a container of pod %s: delete the pod first",
		                job->record.id, who);

		routes_status(resp, 409, "Conflict", message ? message : "image in use");
		return remove_job_free(job);
	}
	job->d = d;
	job->store = d->images;
	job->deferred = http_defer(req, resp);
	if (!job->deferred) {
		routes_status(resp, 500, "InternalError", "out of memory");
		return remove_job_free(job);
	}
	r = util_work_run(d->event, remove_run, remove_done, remove_job_free, job,
	                  &job->answer.work);
	if (r < 0) {
		struct http_response later;

		http_deferred_response(job->deferred, &later);
		routes_status(&later, 500, "InternalError", "could not start the removal");
		http_deferred_complete(job->deferred, &later);
		return remove_job_free(job);
	}
	d->image_jobs++;
	job->answer.deferred = job->deferred;
	answer_link(d, &job->answer);
}

/* ---- POST: an archive ----------------------------------------------------------------- */

/* The body file of an upload: the tmp/ file the HTTP server writes to. */
struct upload {
	char *path; /* NULL once the import took it */
};

static void upload_free(void *data)
{
	struct upload *u = data;

	if (u->path)
		(void)unlink(u->path);
	free(u->path);
	free(u);
}

static bool media_is(const char *content_type, const char *type)
{
	size_t n = strlen(type);

	/* parameters (; charset=...) and case do not matter */
	return content_type && strncasecmp(content_type, type, n) == 0 &&
	       (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

bool api_images_upload(const struct http_request *req)
{
	return strcmp(req->method, "POST") == 0 && strcmp(req->path, IMAGES_PATH) == 0 &&
	       media_is(req->content_type, "application/x-tar");
}

int api_images_body_file(struct nanoletd *d, const struct http_request *req,
                         struct http_body_file *out)
{
	struct upload *u = calloc(1, sizeof(*u));
	struct nano_err err = {0};
	int fd, r;

	(void)req;
	if (!u)
		return -ENOMEM;
	r = image_store_tmp_file(d->images, &fd, &u->path, &err);
	if (r < 0) {
		log_error("images: a file for an upload: %s", err.message ? err.message : "");
		nano_err_clear(&err);
		free(u);
		return r;
	}
	*out = (struct http_body_file){.fd = fd,
	                               .limit = (size_t)d->config.max_image_archive_bytes,
	                               .limit_key = "max_image_archive_bytes",
	                               .data = u,
	                               .free = upload_free};
	return 1;
}

struct import_job {
	struct image_answer answer; /* first: the list's */
	struct nanoletd *d;
	struct http_deferred *deferred;
	struct image_store *store;
	char *path;
	int64_t now;
	struct image_record *records;
	size_t n;
	struct nano_err err;
};

static void import_job_free(void *userdata)
{
	struct import_job *job = userdata;

	if (job->path)
		(void)unlink(job->path);
	free(job->path);
	records_free(job->records, job->n);
	nano_err_clear(&job->err);
	free(job);
}

static int import_run(void *userdata)
{
	struct import_job *job = userdata;
	int r = image_archive_import(job->store, job->path, job->now, &job->records, &job->n,
	                             &job->err);

	(void)unlink(job->path); /* what it held is in the store now, or refused */
	return r;
}

static void import_done(void *userdata, int r)
{
	struct import_job *job = userdata;
	struct http_response resp;

	answer_unlink(&job->answer);
	job->d->image_jobs--;
	http_deferred_response(job->deferred, &resp);
	if (r < 0) {
		log_info("images: an archive refused: %s",
		         job->err.message ? job->err.message : "");
		routes_error(&resp, &job->err);
	} else {
		for (size_t i = 0; i < job->n; i++)
			log_info("image %s loaded from an archive", job->records[i].id);
		routes_json(&resp, 201, image_list_json(job->d, job->records, job->n));
	}
	http_deferred_complete(job->deferred, &resp);
	if (r >= 0)
		image_gc_soon(job->d->image_gc);
	import_job_free(job);
}

static void load(struct nanoletd *d, const struct http_request *req, struct http_response *resp)
{
	struct upload *u = req->body_file;
	struct import_job *job;
	int r;

	if (!u || !u->path) /* the body did not reach a file (http_body_file failed) */
		return routes_status(resp, 500, "InternalError", "the archive could not be stored");
	if (req->body_len == 0)
		return api_bad_request(resp, "the request body is empty: it must be an oci-archive "
		                             "or docker-archive tar (podman save, docker save)");
	job = calloc(1, sizeof(*job));
	if (!job)
		return routes_status(resp, 500, "InternalError", "out of memory");
	*job = (struct import_job){
	        .d = d, .store = d->images, .path = TAKE_PTR(u->path), .now = util_realtime_ns()};
	job->deferred = http_defer(req, resp);
	if (!job->deferred) {
		routes_status(resp, 500, "InternalError", "out of memory");
		return import_job_free(job);
	}
	r = util_work_run(d->event, import_run, import_done, import_job_free, job,
	                  &job->answer.work);
	if (r < 0) {
		struct http_response later;

		http_deferred_response(job->deferred, &later);
		routes_status(&later, 500, "InternalError", "could not start the import");
		http_deferred_complete(job->deferred, &later);
		return import_job_free(job);
	}
	d->image_jobs++;
	job->answer.deferred = job->deferred;
	answer_link(d, &job->answer);
}

/* ---- POST: a pull --------------------------------------------------------------------- */

struct pull_answer {
	struct image_answer answer; /* first: the list's */
	struct nanoletd *d;
	struct http_deferred *deferred;
};

static void pulled(void *userdata, int r, const struct image_pull_result *result,
                   const struct nano_err *err)
{
	struct pull_answer *a = userdata;
	struct http_response resp;
	const char *message = err && err->message ? err->message : "the pull failed";

	answer_unlink(&a->answer);
	http_deferred_response(a->deferred, &resp);
	if (r < 0) /* the registry said there is no such image, or failed */
		routes_status(&resp, r == -ENOENT ? 404 : 502,
		              r == -ENOENT ? "NotFound" : "BadGateway", message);
	else
		routes_json(&resp, 200, image_json(a->d, &result->record));
	http_deferred_complete(a->deferred, &resp);
	if (r >= 0)
		image_gc_soon(a->d->image_gc);
	free(a);
}

static void pull(struct nanoletd *d, const struct http_request *req, struct http_response *resp)
{
	_cleanup_json_ json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
	const char *image = json_string_value(json_object_get(body, "image"));
	struct image_ref ref = {0};
	struct nano_err err = {0};
	_cleanup_free_ char *normalized = NULL;
	struct pull_answer *a;

	if (!image || !*image)
		return api_bad_request(resp, "the body must be {\"image\": \"<reference>\"}");
	if (image_is_local_root(image))
		return api_bad_request(
		        resp, "\"%s\" names one of the node's own roots, not an image", image);
	if (image_ref_parse(image, &ref, &err) < 0) {
		api_bad_request(resp, "%s", err.message ? err.message : "invalid reference format");
		nano_err_clear(&err);
		return;
	}
	normalized = image_ref_string(&ref);
	image_ref_done(&ref);
	a = normalized ? calloc(1, sizeof(*a)) : NULL;
	if (!a)
		return routes_status(resp, 500, "InternalError", "out of memory");
	a->d = d;
	a->deferred = http_defer(req, resp);
	if (!a->deferred) {
		free(a);
		return routes_status(resp, 500, "InternalError", "out of memory");
	}
	log_info("images: pulling %s", normalized);
	a->answer.pull = image_pull_start(d->puller, normalized, pulled, a);
	if (!a->answer.pull) {
		struct http_response later;

		http_deferred_response(a->deferred, &later);
		routes_status(&later, 500, "InternalError", "out of memory");
		http_deferred_complete(a->deferred, &later);
		free(a);
		return;
	}
	a->answer.deferred = a->deferred;
	answer_link(d, &a->answer);
}

void api_images_create(struct nanoletd *d, const struct http_request *req,
                       const struct route_args *args, struct http_response *resp)
{
	(void)args;
	if (media_is(req->content_type, "application/x-tar"))
		return load(d, req, resp);
	if (media_is(req->content_type, "application/json"))
		return pull(d, req, resp);
	routes_status(resp, 415, "UnsupportedMediaType",
	              "the body must be application/x-tar (an oci-archive or docker-archive) or "
	              "application/json ({\"image\": \"<reference>\"}: a pull)");
}
