/* pkg/image/archive.c: an image archive -> the content store. An oci-archive is an OCI image
 * layout in a tar (oci-layout, index.json, blobs/sha256/<hex>); a docker-archive is what
 * `docker save` and `podman save` write (manifest.json: [{Config, RepoTags, Layers}], the files
 * it names, and legacy <id>/ directories whose layer.tar may be a symlink to the real file).
 *
 * One pass over the tar, in whatever order its entries come (podman writes the blobs first, the
 * index last): each blob-like file streams into the store's tmp/ through a running sha256 and
 * is remembered by its name; the few small JSON files that describe the archive are kept in
 * memory (bounded). At the end the description picks the images: their blobs are committed
 * (each checked against the digest the archive names it by), their layers unpacked (the diff
 * IDs check the uncompressed content), their records put; what no image needed is removed.
 * Blocking throughout: run through util_work, never on the loop. */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dl_archive.h"

/* The description files, and the blobs read into memory (manifests, configs), are small. */
#define ARCHIVE_SMALL_MAX ((size_t)4 << 20)
/* What one archive may hold: entries (files, links), and links followed in a row. */
#define ARCHIVE_ENTRIES_MAX 100000
#define ARCHIVE_LINKS_MAX   16
#define ARCHIVE_IMAGES_MAX  1000
#define ARCHIVE_BLOCK       ((size_t)64 << 10)

struct archive_file {
	char *name; /* the path in the tar, without a leading "./" */
	char *link; /* a symlink's or hard link's target, from the tar's root */
	char *tmp;  /* the content under the store's tmp/, NULL once committed */
	char *data; /* a description file's content (NUL-terminated) */
	size_t len; /* its length */
	char digest[IMAGE_DIGEST_LEN + 1];
	int64_t size;
	unsigned char magic[4]; /* the first bytes: gzip, zstd or neither */
};

struct archive_files {
	struct archive_file *v;
	size_t n;
};

static void files_done(struct archive_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].tmp)
			unlink(f->v[i].tmp);
		free(f->v[i].name);
		free(f->v[i].link);
		free(f->v[i].tmp);
		free(f->v[i].data);
	}
	free(f->v);
	*f = (struct archive_files){0};
}

/* "./a/b" -> "a/b"; NULL for a path that leaves the archive or is empty. */
static char *clean_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	if (!*name || strstr(name, "..") == name || strstr(name, "/../"))
		return NULL;
	return strdup(name);
}

static bool is_description(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	return !strcmp(name, "index.json") || !strcmp(name, "oci-layout") ||
	       !strcmp(name, "manifest.json") || !strcmp(name, "repositories") ||
	       !strcmp(base, "VERSION") || (!strcmp(base, "json") && base != name);
}

static int read_small(struct archive *a, struct archive_file *f, struct nano_err *err)
{
	size_t cap = 4096;
	ssize_t got;

	f->data = malloc(cap);
	if (!f->data)
		return -ENOMEM;
	for (;;) {
		if (f->len + 4096 + 1 > cap) {
			char *grown;

			if (cap >= ARCHIVE_SMALL_MAX)
				return nano_err_set(err, EFBIG,
				                    "%s in the archive is larger than %zu bytes",
				                    f->name, ARCHIVE_SMALL_MAX);
			grown = realloc(f->data, cap * 2);
			if (!grown)
				return -ENOMEM;
			f->data = grown;
			cap *= 2;
		}
		got = sym_archive_read_data(a, f->data + f->len, cap - f->len - 1);
		if (got < 0)
			return nano_err_set(err, EBADMSG, "reading %s in the archive: %s", f->name,
			                    sym_archive_error_string(a));
		if (got == 0)
			break;
		f->len += (size_t)got;
	}
	f->data[f->len] = '\0';
	return 0;
}

/* Streams the entry's content into a tmp/ file, hashing it. */
static int read_blob(struct image_store *s, struct archive *a, struct archive_file *f,
                     struct nano_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct image_hash *h = NULL;
	ssize_t got;
	int r;

	r = image_store_tmp_file(s, &fd, &f->tmp, err);
	if (r < 0)
		return r;
	buf = malloc(ARCHIVE_BLOCK);
	r = buf ? image_hash_new(&h) : -ENOMEM;
	if (r < 0)
		return r;
	while ((got = sym_archive_read_data(a, buf, ARCHIVE_BLOCK)) > 0) {
		if (f->size < 4)
			memcpy(f->magic + f->size, buf,
			       (size_t)got < 4 - (size_t)f->size ? (size_t)got
			                                         : 4 - (size_t)f->size);
		image_hash_update(h, buf, (size_t)got);
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(fd, buf + off, (size_t)(got - off));

			if (w < 0) {
				r = -errno;
				image_hash_free(h);
				return nano_err_setc(err, NANO_STORAGE, -r, "writing %s: %s",
				                     f->tmp, strerror(-r));
			}
			off += w;
		}
		f->size += got;
	}
	if (got < 0) {
		image_hash_free(h);
		return nano_err_set(err, EBADMSG, "reading %s in the archive: %s", f->name,
		                    sym_archive_error_string(a));
	}
	image_hash_finish(h, f->digest);
	return 0;
}

/* The tar's one pass. */
static int read_archive(struct image_store *s, const char *path, struct archive_files *files,
                        struct nano_err *err)
{
	struct archive *a;
	struct archive_entry *entry;
	int r = archive_dl_open(err), ar;

	if (r < 0)
		return r;
	a = sym_archive_read_new();
	if (!a)
		return -ENOMEM;
	/* a tar as `podman save` writes it, or compressed as people pass `docker save | gzip` */
	sym_archive_read_support_format_tar(a);
	sym_archive_read_support_filter_gzip(a);
	sym_archive_read_support_filter_zstd(a);
	if (sym_archive_read_open_filename(a, path, ARCHIVE_BLOCK) != ARCHIVE_OK) {
		r = nano_err_set(err, EBADMSG, "not a tar archive: %s",
		                 sym_archive_error_string(a));
		sym_archive_read_free(a);
		return r;
	}
	while ((ar = sym_archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		struct archive_file *f;
		mode_t type = sym_archive_entry_filetype(entry);
		_cleanup_free_ char *name = NULL;

		if (type == AE_IFDIR)
			continue;
		name = clean_name(
		        sym_archive_entry_pathname(entry) ? sym_archive_entry_pathname(entry) : "");
		if (!name) {
			r = nano_err_set(err, EBADMSG, "the archive has an entry named \"%s\"",
			                 sym_archive_entry_pathname(entry)
			                         ? sym_archive_entry_pathname(entry)
			                         : "");
			break;
		}
		if (files->n >= ARCHIVE_ENTRIES_MAX) {
			r = nano_err_set(err, EFBIG, "the archive has more than %d entries",
			                 ARCHIVE_ENTRIES_MAX);
			break;
		}
		if (util_reserve(&files->v, files->n, sizeof(*files->v)) < 0) {
			r = -ENOMEM;
			break;
		}
		f = &files->v[files->n++];
		*f = (struct archive_file){.name = TAKE_PTR(name)};
		if (sym_archive_entry_hardlink(entry)) {
			f->link = clean_name(sym_archive_entry_hardlink(entry));
		} else if (type == AE_IFLNK) {
			/* relative to the link's directory, as docker-archive's layer.tar links are
			 */
			const char *target = sym_archive_entry_symlink(entry)
			                             ? sym_archive_entry_symlink(entry)
			                             : "";
			const char *slash = strrchr(f->name, '/');
			_cleanup_free_ char *joined = NULL;
			char *p;

			joined = target[0] == '/' || !slash
			                 ? strdup(target)
			                 : strdupf("%.*s/%s", (int)(slash - f->name), f->name,
			                           target);
			if (!joined) {
				r = -ENOMEM;
				break;
			}
			/* fold "dir/../x" once: that is the shape legacy directories use */
			while ((p = strstr(joined, "/../"))) {
				char *start = p;

				while (start > joined && start[-1] != '/')
					start--;
				memmove(start, p + 4, strlen(p + 4) + 1);
			}
			f->link = clean_name(joined);
		} else if (type != AE_IFREG) {
			continue; /* nothing an image archive names */
		}
		if (f->link || (sym_archive_entry_hardlink(entry) || type == AE_IFLNK)) {
			if (!f->link) {
				r = nano_err_set(err, EBADMSG, "%s in the archive links outside it",
				                 f->name);
				break;
			}
			continue;
		}
		r = is_description(f->name) ? read_small(a, f, err) : read_blob(s, a, f, err);
		if (r < 0)
			break;
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = nano_err_set(err, EBADMSG, "reading the archive: %s",
		                 sym_archive_error_string(a));
	sym_archive_read_free(a);
	return r;
}

/* The file a name means, links followed; NULL when there is none. */
static struct archive_file *file_find(struct archive_files *files, const char *name)
{
	for (int hops = 0; hops < ARCHIVE_LINKS_MAX; hops++) {
		struct archive_file *found = NULL;

		for (size_t i = files->n; i-- > 0;) /* the last of a name wins, as tar extracts */
			if (!strcmp(files->v[i].name, name)) {
				found = &files->v[i];
				break;
			}
		if (!found || !found->link)
			return found;
		name = found->link;
	}
	return NULL;
}

/* The file named by path, committed as a blob (once): expected when the archive names it by
 * its digest, else what it hashed to. */
static int file_commit(struct image_store *s, struct archive_file *f, const char *expected,
                       struct nano_err *err)
{
	int r;

	if (!expected)
		expected = f->digest;
	if (!f->tmp) { /* committed already, for another image */
		if (strcmp(f->digest, expected))
			return nano_err_set(err, EBADMSG,
			                    "blob %s failed verification: its content is %s",
			                    expected, f->digest);
		return 0;
	}
	r = image_store_blob_commit(s, f->tmp, f->digest, expected, err);
	free(f->tmp);
	f->tmp = NULL;
	return r;
}

static struct archive_file *blob_find(struct archive_files *files, const char *digest,
                                      const char *what, struct nano_err *err)
{
	_cleanup_free_ char *name = strdupf("blobs/sha256/%s", digest + strlen("sha256:"));
	struct archive_file *f = name ? file_find(files, name) : NULL;

	if (!f || f->data)
		nano_err_set(err, EBADMSG, "the archive has no blob %s (%s)", digest, what);
	return f && !f->data ? f : NULL;
}

/* A blob read whole (a manifest, a config), checked against the digest it is named by, and
 * not committed yet: an image is committed only once all it names is verified. */
static int blob_load(struct image_store *s, struct archive_file *f, const char *expected,
                     char **data, size_t *len, struct nano_err *err)
{
	_cleanup_close_ int fd = -1;

	if (f->size > (int64_t)ARCHIVE_SMALL_MAX)
		return nano_err_set(err, EFBIG, "%s in the archive is larger than %zu bytes",
		                    f->name, ARCHIVE_SMALL_MAX);
	if (expected && strcmp(f->digest, expected))
		return nano_err_set(err, EBADMSG, "blob %s failed verification: its content is %s",
		                    expected, f->digest);
	if (!f->tmp) /* committed already, for another image of the archive */
		return image_store_blob_read(s, f->digest, data, len, err);
	fd = open(f->tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || util_read_fd(fd, ARCHIVE_SMALL_MAX, data, len) < 0)
		return nano_err_set(err, errno ? errno : EIO, "reading %s: %s", f->tmp,
		                    strerror(errno ? errno : EIO));
	return 0;
}

/* Whether f is what expected names. */
static int blob_check(const struct archive_file *f, const char *expected, struct nano_err *err)
{
	if (strcmp(f->digest, expected))
		return nano_err_set(err, EBADMSG, "blob %s failed verification: its content is %s",
		                    expected, f->digest);
	return 0;
}

/* Tags as the store keeps them: normalized; a name that is no reference is left out. */
static int add_tag(struct image_record *rec, const char *tag)
{
	struct image_ref ref = {0};
	char *full, *repo;
	int r;

	if (image_ref_parse(tag, &ref, NULL) < 0)
		return 0;
	full = image_ref_string(&ref);
	repo = image_ref_repo(&ref);
	r = full && repo ? 0 : -ENOMEM;
	if (r == 0 && ref.tag && !strv_contains(rec->repo_tags, full))
		r = strv_push(&rec->repo_tags, TAKE_PTR(full));
	if (r == 0)
		r = strv_pushf(&rec->repo_digests, "%s@%s", repo, rec->manifest);
	free(full);
	free(repo);
	image_ref_done(&ref);
	return r;
}

/* Commits the layers and unpacks them, puts the record; rec's manifest and config are set. */
static int image_finish(struct image_store *s, struct image_record *rec, int64_t now,
                        struct image_record *stored, struct nano_err *err)
{
	size_t n_diff = strv_len(rec->config.diff_ids);
	int r;

	if (n_diff != rec->layers.n_layers)
		return nano_err_set(
		        err, EBADMSG,
		        "image %s: its manifest has %zu layers and its config %zu diff IDs",
		        rec->id, rec->layers.n_layers, n_diff);
	rec->size = rec->layers.config.size;
	for (size_t i = 0; i < rec->layers.n_layers; i++) {
		rec->size += rec->layers.layers[i].size;
		r = image_store_unpack(s, rec->layers.layers[i].digest, rec->config.diff_ids[i],
		                       err);
		if (r < 0)
			return r;
	}
	rec->created = rec->last_used = now;
	r = image_store_put(s, rec, now, err);
	if (r < 0)
		return r;
	return image_store_find(s, rec->id, stored, err);
}

static int records_push(struct image_record **out, size_t *n, struct image_record *rec)
{
	if (util_reserve(out, *n, sizeof(**out)) < 0)
		return -ENOMEM;
	(*out)[(*n)++] = *rec;
	*rec = (struct image_record){0};
	return 0;
}

/* The manifest desc of an OCI layout (an index there: the node's platform's), its blobs. */
static int oci_image(struct image_store *s, struct archive_files *files, const json_t *desc,
                     int64_t now, struct image_record *stored, struct nano_err *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *type = json_string_value(json_object_get(desc, "mediaType"));
	const json_t *ann = json_object_get(desc, "annotations");
	const char *tag = json_string_value(json_object_get(ann, "io.containerd.image.name"));
	_cleanup_free_ char *body = NULL, *config = NULL;
	struct image_record rec = {0};
	struct image_descriptor picked = {0};
	struct archive_file *f, *index_file = NULL, *manifest_file, *config_file;
	struct archive_file **layer_files = NULL;
	size_t len, config_len;
	int r;

	if (!tag)
		tag = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
	if (!digest || !image_digest_valid(digest))
		return nano_err_set(err, EBADMSG,
		                    "index.json names a manifest without a valid digest");
	f = blob_find(files, digest, "a manifest named by index.json", err);
	if (!f)
		return -EBADMSG;
	r = blob_load(s, f, digest, &body, &len, err);
	if (r < 0)
		return r;
	if (image_is_index(type, body, len)) {
		struct image_platform p;

		image_platform_node(&p);
		r = image_index_pick(body, len, &p, digest, &picked, err);
		if (r < 0)
			return r;
		free(picked.media_type);
		index_file = f;
		f = blob_find(files, picked.digest, "the platform's manifest", err);
		if (!f)
			return -EBADMSG;
		free(body);
		body = NULL;
		r = blob_load(s, f, picked.digest, &body, &len, err);
		if (r < 0)
			return r;
		digest = picked.digest;
	}
	manifest_file = f;
	snprintf(rec.manifest, sizeof(rec.manifest), "%s", digest);
	r = image_manifest_parse(body, len, &rec.layers, err);
	if (r < 0)
		goto done;
	snprintf(rec.id, sizeof(rec.id), "%s", rec.layers.config.digest);
	config_file = blob_find(files, rec.id, "the image's config", err);
	r = config_file ? blob_load(s, config_file, rec.id, &config, &config_len, err) : -EBADMSG;
	if (r == 0)
		r = image_config_parse(config, config_len, &rec.config, err);
	if (r == 0 && !(layer_files = calloc(rec.layers.n_layers + 1, sizeof(*layer_files))))
		r = -ENOMEM;
	/* every layer verified before anything of the image is committed */
	for (size_t i = 0; r == 0 && i < rec.layers.n_layers; i++) {
		layer_files[i] = blob_find(files, rec.layers.layers[i].digest, "a layer", err);
		r = layer_files[i] ? blob_check(layer_files[i], rec.layers.layers[i].digest, err)
		                   : -EBADMSG;
	}
	if (r == 0 && index_file)
		r = file_commit(s, index_file, NULL, err);
	if (r == 0)
		r = file_commit(s, manifest_file, rec.manifest, err);
	if (r == 0)
		r = file_commit(s, config_file, rec.id, err);
	for (size_t i = 0; r == 0 && i < rec.layers.n_layers; i++)
		r = file_commit(s, layer_files[i], rec.layers.layers[i].digest, err);
	if (r == 0 && tag)
		r = add_tag(&rec, tag);
	if (r == 0)
		r = image_finish(s, &rec, now, stored, err);
done:
	free(layer_files);
	image_record_done(&rec);
	return r;
}

static int oci_archive(struct image_store *s, struct archive_files *files,
                       const struct archive_file *index, int64_t now, struct image_record **out,
                       size_t *n, struct nano_err *err)
{
	_cleanup_json_ json_t *root = json_loadb(index->data, index->len, 0, NULL);
	json_t *manifests = json_object_get(root, "manifests");
	size_t i;
	json_t *desc;

	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return nano_err_set(err, EBADMSG, "index.json in the archive names no manifest");
	if (json_array_size(manifests) > ARCHIVE_IMAGES_MAX)
		return nano_err_set(err, EFBIG, "index.json names more than %d images",
		                    ARCHIVE_IMAGES_MAX);
	json_array_foreach(manifests, i, desc)
	{
		struct image_record stored = {0};
		int r = oci_image(s, files, desc, now, &stored, err);

		if (r == 0)
			r = records_push(out, n, &stored);
		image_record_done(&stored);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A layer file's media type, from its first bytes. */
static const char *layer_type(const struct archive_file *f)
{
	static const unsigned char gzip[] = {0x1f, 0x8b}, zstd[] = {0x28, 0xb5, 0x2f, 0xfd};

	if (f->size >= 2 && !memcmp(f->magic, gzip, sizeof(gzip)))
		return IMAGE_MT_OCI_LAYER_GZ;
	if (f->size >= 4 && !memcmp(f->magic, zstd, sizeof(zstd)))
		return IMAGE_MT_OCI_LAYER_ZST;
	return IMAGE_MT_OCI_LAYER;
}

/* One manifest.json item: its config and layers committed, an OCI manifest made for it. */
static int docker_image(struct image_store *s, struct archive_files *files, const json_t *item,
                        int64_t now, struct image_record *stored, struct nano_err *err)
{
	const char *config_name = json_string_value(json_object_get(item, "Config"));
	const json_t *layers = json_object_get(item, "Layers"), *tags, *v;
	_cleanup_json_ json_t *manifest = NULL, *descs = json_array();
	_cleanup_free_ char *config = NULL, *body = NULL, *expected = NULL;
	struct image_record rec = {0};
	struct archive_file *f, *config_file;
	size_t config_len, i;
	const char *base;
	int r;

	if (!config_name || !json_is_array(layers))
		return nano_err_set(
		        err, EBADMSG,
		        "manifest.json in the archive: an image without Config or Layers");
	f = file_find(files, config_name);
	if (!f || f->data)
		return nano_err_set(err, EBADMSG, "the archive has no %s (an image's Config)",
		                    config_name);
	/* "<hex>.json" (and blobs/sha256/<hex>) name the config by its digest: hold it to it */
	base = strrchr(config_name, '/') ? strrchr(config_name, '/') + 1 : config_name;
	if (strspn(base, "0123456789abcdef") == 64 && (!base[64] || !strcmp(base + 64, ".json")))
		expected = strdupf("sha256:%.64s", base);
	config_file = f;
	r = blob_load(s, f, expected, &config, &config_len, err);
	if (r < 0)
		return r;
	snprintf(rec.id, sizeof(rec.id), "%s", expected ? expected : f->digest);
	if (!descs)
		return -ENOMEM;
	json_array_foreach(layers, i, v)
	{
		const char *name = json_string_value(v);

		f = name ? file_find(files, name) : NULL;
		if (!f || f->data)
			return nano_err_set(err, EBADMSG, "the archive has no %s (a layer)",
			                    name ? name : "layer");
		r = json_array_append_new(descs, json_pack("{s:s, s:s, s:I}", "mediaType",
		                                           layer_type(f), "digest", f->digest,
		                                           "size", (json_int_t)f->size));
		if (r < 0)
			return -ENOMEM;
	}
	/* a layer's content is checked by its diff ID as it is unpacked */
	r = file_commit(s, config_file, rec.id, err);
	for (i = 0; r == 0 && i < json_array_size(layers); i++)
		r = file_commit(s, file_find(files, json_string_value(json_array_get(layers, i))),
		                NULL, err);
	if (r < 0)
		return r;
	/* docker-archive has no manifest: make the OCI one a registry would serve */
	manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
	                     IMAGE_MT_OCI_MANIFEST, "config", "mediaType", IMAGE_MT_OCI_CONFIG,
	                     "digest", rec.id, "size", (json_int_t)config_len, "layers", descs);
	body = manifest ? json_dumps(manifest, JSON_COMPACT) : NULL;
	if (!body)
		return -ENOMEM;
	r = image_store_blob_put(s, body, strlen(body), NULL, rec.manifest, err);
	if (r == 0)
		r = image_manifest_parse(body, strlen(body), &rec.layers, err);
	if (r == 0)
		r = image_config_parse(config, config_len, &rec.config, err);
	tags = json_object_get(item, "RepoTags");
	json_array_foreach(tags, i, v) if (r == 0 && json_is_string(v)) r =
	        add_tag(&rec, json_string_value(v));
	if (r == 0)
		r = image_finish(s, &rec, now, stored, err);
	image_record_done(&rec);
	return r;
}

static int docker_archive(struct image_store *s, struct archive_files *files,
                          const struct archive_file *manifest, int64_t now,
                          struct image_record **out, size_t *n, struct nano_err *err)
{
	_cleanup_json_ json_t *root = json_loadb(manifest->data, manifest->len, 0, NULL);
	size_t i;
	json_t *item;

	if (!json_is_array(root) || json_array_size(root) == 0)
		return nano_err_set(err, EBADMSG,
		                    "manifest.json in the archive is not a list of images");
	if (json_array_size(root) > ARCHIVE_IMAGES_MAX)
		return nano_err_set(err, EFBIG, "manifest.json names more than %d images",
		                    ARCHIVE_IMAGES_MAX);
	json_array_foreach(root, i, item)
	{
		struct image_record stored = {0};
		int r = docker_image(s, files, item, now, &stored, err);

		if (r == 0)
			r = records_push(out, n, &stored);
		image_record_done(&stored);
		if (r < 0)
			return r;
	}
	return 0;
}

int image_archive_import(struct image_store *s, const char *path, int64_t now,
                         struct image_record **out, size_t *n, struct nano_err *err)
{
	struct archive_files files = {0};
	struct image_record *records = NULL;
	struct archive_file *index, *manifest;
	size_t n_records = 0;
	int r;

	r = read_archive(s, path, &files, err);
	if (r < 0)
		goto done;
	/* docker >= 25 writes both: manifest.json carries the tags, so it is read first */
	manifest = file_find(&files, "manifest.json");
	index = file_find(&files, "index.json");
	if (manifest && manifest->data)
		r = docker_archive(s, &files, manifest, now, &records, &n_records, err);
	else if (index && index->data)
		r = oci_archive(s, &files, index, now, &records, &n_records, err);
	else
		r = nano_err_set(
		        err, EBADMSG,
		        "not an image archive: it has neither index.json (oci-archive) nor "
		        "manifest.json (docker-archive)");
done:
	files_done(&files);
	if (r < 0 || !out) {
		for (size_t i = 0; i < n_records; i++)
			image_record_done(&records[i]);
		free(records);
		if (r < 0 && err && err->class == NANO_INTERNAL &&
		    (r == -EBADMSG || r == -EFBIG || r == -ENOTSUP || r == -EINVAL))
			err->class = NANO_BAD_REQUEST;
		return r;
	}
	*out = records;
	*n = n_records;
	return 0;
}
