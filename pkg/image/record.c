/* pkg/image/record.c: image records (images/<config hex>.json) and what is read through them:
 * finding an image by reference or id, tags moving between images, removal of what no other
 * image needs, overlayfs's lowerdirs, the user a container runs as (the image's
 * /etc/passwd), and the kubelet's garbage collection pick (pure).
 *
 * A record keeps the manifest's descriptors and the image's names and times; the config is
 * read again from its blob when a record is loaded, so a record never disagrees with it.
 * A record is read, changed and written again under the store's records_lock: an archive
 * import puts its records from a thread of its own while the loop touches others. */
#include "store_private.h"

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define RECORD_MAX (4 * 1024 * 1024)

void image_record_done(struct image_record *r)
{
	if (!r)
		return;
	strv_free(r->repo_tags);
	strv_free(r->repo_digests);
	image_manifest_done(&r->layers);
	image_config_done(&r->config);
	*r = (struct image_record){0};
}

static json_t *descriptor_json(const struct image_descriptor *d)
{
	return json_pack("{s:s?,s:s,s:I}", "mediaType", d->media_type, "digest", d->digest, "size",
	                 (json_int_t)d->size);
}

static json_t *strv_json(char *const *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a && l && l[i]; i++)
		if (json_array_append_new(a, json_string(l[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int record_write(struct image_store *s, const struct image_record *r, struct nano_err *err)
{
	_cleanup_json_ json_t *o = NULL, *layers = json_array();
	_cleanup_free_ char *path = store_digest_path(s, "images", r->id, ".json");
	_cleanup_free_ char *text = NULL;

	if (!layers || !path)
		return -ENOMEM;
	for (size_t i = 0; i < r->layers.n_layers; i++)
		if (json_array_append_new(layers, descriptor_json(&r->layers.layers[i])) < 0)
			return -ENOMEM;
	o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:O,s:I,s:I,s:I}", "id", r->id, "manifest", r->manifest,
	              "repoTags", strv_json(r->repo_tags), "repoDigests",
	              strv_json(r->repo_digests), "config", descriptor_json(&r->layers.config),
	              "layers", layers, "size", (json_int_t)r->size, "created",
	              (json_int_t)r->created, "lastUsed", (json_int_t)r->last_used);
	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	return store_write_atomic(s, path, text, strlen(text), err);
}

static int strv_from(json_t *a, char ***out)
{
	size_t i, n = 0;
	json_t *v;

	*out = calloc(1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(a, i, v)
	{
		char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

		if (json_is_string(v) && (!s || strv_append(out, &n, s) < 0))
			return -ENOMEM;
	}
	return 0;
}

static int descriptor_from(json_t *o, struct image_descriptor *d)
{
	const char *mt = json_string_value(json_object_get(o, "mediaType"));
	const char *digest = json_string_value(json_object_get(o, "digest"));

	if (!image_digest_valid(digest))
		return -EBADMSG;
	memcpy(d->digest, digest, IMAGE_DIGEST_LEN + 1);
	d->size = json_integer_value(json_object_get(o, "size"));
	if (mt && !(d->media_type = strdup(mt)))
		return -ENOMEM;
	return 0;
}

/* Loads images/<hex>.json and its config blob. */
static int record_load(const struct image_store *s, const char *file, struct image_record *out,
                       struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/images/%s", s->dir, file), *config = NULL;
	_cleanup_json_ json_t *o = NULL;
	struct image_record r = {0};
	const char *id, *manifest;
	json_t *layers, *l;
	size_t i, len;
	int q;

	*out = (struct image_record){0};
	if (!path)
		return -ENOMEM;
	o = json_load_file(path, 0, NULL);
	id = json_string_value(json_object_get(o, "id"));
	manifest = json_string_value(json_object_get(o, "manifest"));
	layers = json_object_get(o, "layers");
	if (!image_digest_valid(id) || !image_digest_valid(manifest) || !json_is_array(layers))
		return nano_err_set(err, EBADMSG, "image record %s is damaged", path);
	memcpy(r.id, id, sizeof(r.id));
	memcpy(r.manifest, manifest, sizeof(r.manifest));
	r.size = json_integer_value(json_object_get(o, "size"));
	r.created = json_integer_value(json_object_get(o, "created"));
	r.last_used = json_integer_value(json_object_get(o, "lastUsed"));
	r.layers.layers = calloc(json_array_size(layers) + 1, sizeof(*r.layers.layers));
	q = r.layers.layers ? 0 : -ENOMEM;
	if (q == 0)
		q = strv_from(json_object_get(o, "repoTags"), &r.repo_tags);
	if (q == 0)
		q = strv_from(json_object_get(o, "repoDigests"), &r.repo_digests);
	if (q == 0)
		q = descriptor_from(json_object_get(o, "config"), &r.layers.config);
	json_array_foreach(layers, i, l)
	{
		if (q == 0)
			q = descriptor_from(l, &r.layers.layers[i]);
		r.layers.n_layers = i + 1;
	}
	if (q == 0)
		q = image_store_blob_read(s, r.id, &config, &len, err);
	if (q == 0)
		q = image_config_parse(config, len, &r.config, err);
	if (q == 0 && strv_len(r.config.diff_ids) != r.layers.n_layers)
		q = nano_err_set(err, EBADMSG, "image %s: %zu layers but %zu diff IDs", r.id,
		                 r.layers.n_layers, strv_len(r.config.diff_ids));
	if (q < 0) {
		image_record_done(&r);
		if (q == -EBADMSG && !err)
			return q;
		return q == -ENOMEM ? q : nano_err_wrap(err, "image record %s", file);
	}
	*out = r;
	return 0;
}

static bool is_record_file(const char *name)
{
	size_t len = strlen(name);

	return len == 64 + 5 && strcmp(name + 64, ".json") == 0 &&
	       strspn(name, "0123456789abcdef") == 64;
}

int image_store_list(struct image_store *s, struct image_record **out, size_t *n,
                     struct nano_err *err)
{
	_cleanup_free_ char *dir = strdupf("%s/images", s->dir);
	struct image_record *list = NULL;
	size_t count = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return nano_err_setc(err, NANO_STORAGE, errno, "image store: %s: %m", dir);
	while ((de = readdir(d))) {
		struct nano_err e = {0};

		if (!is_record_file(de->d_name))
			continue;
		r = util_reserve(&list, count, sizeof(*list));
		if (r < 0)
			break;
		r = record_load(s, de->d_name, &list[count], &e);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			/* one damaged record does not hide the others */
			log_warn("%s", e.message ? e.message : "image record unreadable");
			nano_err_clear(&e);
			r = 0;
			continue;
		}
		count++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			image_record_done(&list[i]);
		free(list);
		return r;
	}
	*out = list;
	*n = count;
	return 0;
}

static void records_free(struct image_record *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_record_done(&list[i]);
	free(list);
}

static int record_by_id(struct image_store *s, const char *id, struct image_record *out,
                        struct nano_err *err)
{
	_cleanup_free_ char *file = NULL;
	_cleanup_free_ char *path = store_digest_path(s, "images", id, ".json");

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "image %s not found", id);
	file = strdupf("%s.json", id + 7);
	if (!file)
		return -ENOMEM;
	return record_load(s, file, out, err);
}

/* A reference's repo@digest and normalized tag (either NULL), or an id's hex prefix. */
int image_store_find(struct image_store *s, const char *reference, struct image_record *out,
                     struct nano_err *err)
{
	struct image_record *list = NULL;
	_cleanup_free_ char *by_digest = NULL, *by_tag = NULL;
	const char *prefix = NULL;
	size_t n, len = strlen(reference), found = SIZE_MAX;
	struct image_ref ref;
	int r;

	*out = (struct image_record){0};
	if (image_digest_valid(reference))
		return record_by_id(s, reference, out, err);
	if (len >= 12 && len <= 64 && strspn(reference, "0123456789abcdef") == len) {
		prefix = reference;
	} else {
		r = image_ref_parse(reference, &ref, err);
		if (r < 0)
			return r;
		if (ref.digest) {
			by_digest = strdupf("%s/%s@%s", ref.domain, ref.path, ref.digest);
		} else {
			by_tag = image_ref_string(&ref);
		}
		image_ref_done(&ref);
		if (!by_digest && !by_tag)
			return -ENOMEM;
	}
	r = image_store_list(s, &list, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		bool match =
		        prefix ? strncmp(list[i].id + 7, prefix, len) == 0
		               : strv_contains(list[i].repo_digests, by_digest ? by_digest : "") ||
		                         strv_contains(list[i].repo_tags, by_tag ? by_tag : "");

		if (!match)
			continue;
		if (found != SIZE_MAX && prefix) {
			records_free(list, n);
			return nano_err_setc(err, NANO_INVALID, EINVAL,
			                     "image id prefix %s names more than one image",
			                     prefix);
		}
		found = i;
	}
	if (found == SIZE_MAX) {
		records_free(list, n);
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "image \"%s\" not found",
		                     reference);
	}
	*out = list[found];
	list[found] = (struct image_record){0};
	records_free(list, n);
	return 0;
}

static int strv_merge(char ***into, char *const *from)
{
	for (size_t i = 0; from && from[i]; i++) {
		if (strv_contains(*into, from[i]))
			continue;
		if (strv_pushf(into, "%s", from[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void strv_remove(char **l, const char *s)
{
	size_t j = 0;

	for (size_t i = 0; l && l[i]; i++) {
		if (strcmp(l[i], s) == 0)
			free(l[i]);
		else
			l[j++] = l[i];
	}
	if (l)
		l[j] = NULL;
}

/* The first blob or layer r names that the store lacks, as a message. */
static int check_present(struct image_store *s, const struct image_record *r, struct nano_err *err)
{
	const char *missing = NULL, *what = NULL;

	if (!image_store_blob_has(s, r->manifest))
		missing = r->manifest, what = "manifest";
	else if (!image_store_blob_has(s, r->id))
		missing = r->id, what = "config";
	for (size_t i = 0; !missing && i < r->layers.n_layers; i++) {
		if (!image_store_blob_has(s, r->layers.layers[i].digest))
			missing = r->layers.layers[i].digest, what = "layer blob";
		else if (!image_store_layer_has(s, r->config.diff_ids[i]))
			missing = r->config.diff_ids[i], what = "unpacked layer";
	}
	if (missing)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT,
		                     "image %s: %s %s is not in the store", r->id, what, missing);
	return 0;
}

static int record_put(struct image_store *s, const struct image_record *r, int64_t now,
                      struct nano_err *err)
{
	struct image_record *list = NULL, rec = {0};
	size_t n, same = SIZE_MAX;
	int q;

	if (!image_digest_valid(r->id) || !image_digest_valid(r->manifest))
		return nano_err_set(err, EINVAL,
		                    "image record without valid id and manifest digests");
	if (strcmp(r->layers.config.digest, r->id) != 0 ||
	    strv_len(r->config.diff_ids) != r->layers.n_layers)
		return nano_err_set(
		        err, EINVAL,
		        "image %s: its manifest and config do not agree (config %s, %zu "
		        "layers, %zu diff IDs)",
		        r->id, r->layers.config.digest, r->layers.n_layers,
		        strv_len(r->config.diff_ids));
	q = check_present(s, r, err);
	if (q < 0)
		return q;
	q = image_store_list(s, &list, &n, err);
	if (q < 0)
		return q;
	/* a tag names one image: it moves here from any other */
	for (size_t i = 0; q == 0 && i < n; i++) {
		bool changed = false;

		if (strcmp(list[i].id, r->id) == 0) {
			same = i;
			continue;
		}
		for (size_t t = 0; r->repo_tags && r->repo_tags[t]; t++)
			if (strv_contains(list[i].repo_tags, r->repo_tags[t])) {
				strv_remove(list[i].repo_tags, r->repo_tags[t]);
				changed = true;
			}
		if (changed)
			q = record_write(s, &list[i], err);
	}
	if (q == 0 && same != SIZE_MAX) {
		rec = list[same];
		list[same] = (struct image_record){0};
		q = strv_merge(&rec.repo_tags, r->repo_tags);
		if (q == 0)
			q = strv_merge(&rec.repo_digests, r->repo_digests);
		if (q == 0)
			q = record_write(s, &rec, err);
		image_record_done(&rec);
	} else if (q == 0) {
		/* a copy whose lists are ours, written as given, with the store's times */
		rec = *r;
		rec.repo_tags = strv_copy(r->repo_tags ? r->repo_tags : (char *[]){NULL});
		rec.repo_digests = strv_copy(r->repo_digests ? r->repo_digests : (char *[]){NULL});
		rec.created = now;
		rec.last_used = r->last_used > 0 ? r->last_used : now;
		if (rec.size <= 0) {
			rec.size = r->layers.config.size;
			for (size_t i = 0; i < r->layers.n_layers; i++)
				rec.size += r->layers.layers[i].size;
		}
		q = rec.repo_tags && rec.repo_digests ? record_write(s, &rec, err) : -ENOMEM;
		strv_free(rec.repo_tags);
		strv_free(rec.repo_digests);
	}
	records_free(list, n);
	return q;
}

int image_store_put(struct image_store *s, const struct image_record *r, int64_t now,
                    struct nano_err *err)
{
	int q;

	pthread_mutex_lock(&s->records_lock);
	q = record_put(s, r, now, err);
	pthread_mutex_unlock(&s->records_lock);
	return q;
}

static int record_touch(struct image_store *s, const char *id, int64_t now, struct nano_err *err)
{
	struct image_record r;
	int q = record_by_id(s, id, &r, err);

	if (q < 0)
		return q;
	r.last_used = now;
	q = record_write(s, &r, err);
	image_record_done(&r);
	return q;
}

int image_store_touch(struct image_store *s, const char *id, int64_t now, struct nano_err *err)
{
	int q;

	pthread_mutex_lock(&s->records_lock);
	q = record_touch(s, id, now, err);
	pthread_mutex_unlock(&s->records_lock);
	return q;
}

static bool needed_by_others(const struct image_record *list, size_t n, const char *id,
                             const char *digest, bool layer)
{
	for (size_t i = 0; i < n; i++) {
		const struct image_record *o = &list[i];

		if (strcmp(o->id, id) == 0)
			continue;
		if (layer) {
			if (strv_contains(o->config.diff_ids, digest))
				return true;
			continue;
		}
		if (strcmp(o->id, digest) == 0 || strcmp(o->manifest, digest) == 0)
			return true;
		for (size_t l = 0; l < o->layers.n_layers; l++)
			if (strcmp(o->layers.layers[l].digest, digest) == 0)
				return true;
	}
	return false;
}

static int64_t remove_path(const char *path, bool tree)
{
	int64_t bytes = store_path_bytes(path);

	if (tree ? rm_rf(path) < 0 : (unlink(path) < 0 && errno != ENOENT))
		return 0;
	return bytes;
}

static int record_remove(struct image_store *s, const char *id, int64_t *freed,
                         struct nano_err *err)
{
	_cleanup_free_ char *record_path = store_digest_path(s, "images", id, ".json");
	struct image_record *list = NULL, r;
	int64_t bytes = 0;
	size_t n;
	int q;

	if (freed)
		*freed = 0;
	q = record_by_id(s, id, &r, err);
	if (q < 0)
		return q;
	q = image_store_list(s, &list, &n, err);
	if (q < 0) {
		image_record_done(&r);
		return q;
	}
	/* the record first: a crash after it leaves unnamed blobs, never a record missing them */
	if (unlink(record_path) < 0)
		q = nano_err_setc(err, NANO_STORAGE, errno, "image store: remove %s: %m",
		                  record_path);
	for (size_t i = 0; q == 0 && i < 2; i++) {
		const char *blob = i == 0 ? r.manifest : r.id;

		if (!needed_by_others(list, n, r.id, blob, false)) {
			_cleanup_free_ char *p = image_store_blob_path(s, blob);
			bytes += p ? remove_path(p, false) : 0;
		}
	}
	for (size_t i = 0; q == 0 && i < r.layers.n_layers; i++) {
		const char *blob = r.layers.layers[i].digest, *diff = r.config.diff_ids[i];

		if (!needed_by_others(list, n, r.id, blob, false)) {
			_cleanup_free_ char *p = image_store_blob_path(s, blob);
			bytes += p ? remove_path(p, false) : 0;
		}
		if (!needed_by_others(list, n, r.id, diff, true)) {
			_cleanup_free_ char *p = store_digest_path(s, "layers/sha256", diff, "");
			bytes += p ? remove_path(p, true) : 0;
		}
	}
	if (freed)
		*freed = bytes;
	records_free(list, n);
	image_record_done(&r);
	return q;
}

int image_store_remove(struct image_store *s, const char *id, int64_t *freed, struct nano_err *err)
{
	int q;

	pthread_mutex_lock(&s->records_lock);
	q = record_remove(s, id, freed, err);
	pthread_mutex_unlock(&s->records_lock);
	return q;
}

int image_store_lowerdirs(const struct image_store *s, const struct image_record *r, char ***out,
                          struct nano_err *err)
{
	size_t n = strv_len(r->config.diff_ids);
	_cleanup_strv_ char **l = calloc(n + 1, sizeof(char *));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *diff = r->config.diff_ids[n - 1 - i];

		if (!image_store_layer_has(s, diff))
			return nano_err_setc(err, NANO_NOT_FOUND, ENOENT,
			                     "image %s: layer %s is not unpacked", r->id, diff);
		l[i] = image_store_layer_path(s, diff);
		if (!l[i])
			return -ENOMEM;
	}
	*out = TAKE_PTR(l);
	return 0;
}
