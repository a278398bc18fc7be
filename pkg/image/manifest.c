/* pkg/image/manifest.c: the JSON of the OCI image spec and Docker's image manifest schema 2
 * (indexes and manifest lists, manifests, image configs) into image.h's structs, and the
 * pick of the node's platform in an index. Pure: bytes in, structs out; every field a
 * registry or an archive sends is checked before it is used (digests are sha256 and
 * well-formed, sizes are not negative), since it comes from outside the node. */
#include "image.h"

#include <string.h>

static const char *const layer_types[] = {
        IMAGE_MT_OCI_LAYER,
        IMAGE_MT_OCI_LAYER_GZ,
        IMAGE_MT_OCI_LAYER_ZST,
        IMAGE_MT_DOCKER_LAYER,
        /* foreign and non-distributable layers: gzip'd tars a registry serves when it has
         * their digest (Windows bases, mostly) */
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
};

void image_platform_node(struct image_platform *out)
{
	*out = (struct image_platform){.os = "linux", .architecture = UTIL_GOARCH};
	/* containerd's platforms.Normalize: arm64 is v8 and arm v7 unless said otherwise */
	if (strcmp(UTIL_GOARCH, "arm64") == 0)
		out->variant = "v8";
	else if (strcmp(UTIL_GOARCH, "arm") == 0)
		out->variant = "v7";
}

static const char *json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool is_index_type(const char *t)
{
	return t && (strcmp(t, IMAGE_MT_OCI_INDEX) == 0 || strcmp(t, IMAGE_MT_DOCKER_LIST) == 0);
}

static bool is_manifest_type(const char *t)
{
	return t &&
	       (strcmp(t, IMAGE_MT_OCI_MANIFEST) == 0 || strcmp(t, IMAGE_MT_DOCKER_MANIFEST) == 0);
}

bool image_is_index(const char *media_type, const char *body, size_t len)
{
	_cleanup_json_ json_t *root = NULL;
	const char *t;

	if (is_index_type(media_type))
		return true;
	if (is_manifest_type(media_type))
		return false;
	/* served as application/json or with no type: the body says */
	root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root))
		return false;
	t = json_str(root, "mediaType");
	if (t)
		return is_index_type(t);
	return json_is_array(json_object_get(root, "manifests")) &&
	       !json_object_get(root, "layers");
}

/* A descriptor object -> *out (media_type malloc'd). what names it in messages. */
static int descriptor_parse(json_t *o, const char *what, struct image_descriptor *out,
                            struct nano_err *err)
{
	const char *mt, *digest;
	json_t *size;

	*out = (struct image_descriptor){0};
	if (!json_is_object(o))
		return nano_err_set(err, EBADMSG, "%s is not a descriptor object", what);
	mt = json_str(o, "mediaType");
	digest = json_str(o, "digest");
	size = json_object_get(o, "size");
	if (!digest)
		return nano_err_set(err, EBADMSG, "%s has no digest", what);
	if (!image_digest_valid(digest)) {
		if (strncmp(digest, "sha256:", 7) != 0 && strchr(digest, ':'))
			return nano_err_set(err, ENOTSUP,
			                    "%s: digest %.80s: only sha256 digests are supported",
			                    what, digest);
		return nano_err_set(err, EBADMSG, "%s: invalid digest \"%.80s\"", what, digest);
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return nano_err_set(err, EBADMSG, "%s (%s) has no valid size", what, digest);
	if (mt) {
		out->media_type = strdup(mt);
		if (!out->media_type)
			return -ENOMEM;
	}
	memcpy(out->digest, digest, IMAGE_DIGEST_LEN + 1);
	out->size = json_integer_value(size);
	return 0;
}

static void descriptor_done(struct image_descriptor *d)
{
	free(d->media_type);
	d->media_type = NULL;
}

int image_index_pick(const char *body, size_t len, const struct image_platform *p, const char *what,
                     struct image_descriptor *out, struct nano_err *err)
{
	_cleanup_json_ json_t *root = json_loadb(body, len, 0, NULL);
	json_t *manifests, *m;
	ssize_t exact = -1, loose = -1;
	size_t i;

	*out = (struct image_descriptor){0};
	manifests = json_object_get(root, "manifests");
	if (!json_is_object(root) || !json_is_array(manifests))
		return nano_err_set(err, EBADMSG, "%s is not an image index", what);
	json_array_foreach(manifests, i, m)
	{
		json_t *platform = json_object_get(m, "platform");
		const char *os = json_str(platform, "os"),
		           *arch = json_str(platform, "architecture");
		const char *variant = json_str(platform, "variant");

		if (!os || !arch || strcmp(os, p->os) != 0 || strcmp(arch, p->architecture) != 0)
			continue;
		if (!variant || (p->variant && strcmp(variant, p->variant) == 0)) {
			if (exact < 0)
				exact = (ssize_t)i;
		} else if (loose < 0 && !p->variant) {
			/* the node names no variant: any will do, after one without */
			loose = (ssize_t)i;
		}
	}
	if (exact < 0)
		exact = loose;
	if (exact < 0)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "no image for %s/%s%s%s in %s",
		                     p->os, p->architecture, p->variant ? "/" : "",
		                     p->variant ? p->variant : "", what);
	return descriptor_parse(json_array_get(manifests, (size_t)exact), what, out, err);
}

void image_manifest_done(struct image_manifest *m)
{
	if (!m)
		return;
	descriptor_done(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_done(&m->layers[i]);
	free(m->layers);
	*m = (struct image_manifest){0};
}

static bool layer_type_known(const char *t)
{
	for (size_t i = 0; i < ELEMENTSOF(layer_types); i++)
		if (strcmp(t, layer_types[i]) == 0)
			return true;
	return false;
}

int image_manifest_parse(const char *body, size_t len, struct image_manifest *out,
                         struct nano_err *err)
{
	_cleanup_json_ json_t *root = json_loadb(body, len, 0, NULL);
	struct image_manifest m = {0};
	json_t *layers, *l, *version;
	const char *mt;
	size_t i;
	int r;

	*out = (struct image_manifest){0};
	if (!json_is_object(root))
		return nano_err_set(err, EBADMSG, "image manifest is not a JSON object");
	version = json_object_get(root, "schemaVersion");
	if (json_is_integer(version) && json_integer_value(version) == 1)
		return nano_err_set(
		        err, ENOTSUP,
		        "image manifest schema 1 is not supported (Docker deprecated it; "
		        "push the image again with a current client)");
	if (!json_is_integer(version) || json_integer_value(version) != 2)
		return nano_err_set(err, EBADMSG, "image manifest has no schemaVersion 2");
	mt = json_str(root, "mediaType");
	if (mt && is_index_type(mt))
		return nano_err_set(err, EBADMSG, "image manifest is an index (%s)", mt);
	r = descriptor_parse(json_object_get(root, "config"), "image manifest's config", &m.config,
	                     err);
	if (r < 0)
		return r;
	layers = json_object_get(root, "layers");
	if (!json_is_array(layers)) {
		image_manifest_done(&m);
		return nano_err_set(err, EBADMSG, "image manifest has no layers");
	}
	m.layers = calloc(json_array_size(layers) + 1, sizeof(*m.layers));
	if (!m.layers) {
		image_manifest_done(&m);
		return -ENOMEM;
	}
	json_array_foreach(layers, i, l)
	{
		char what[64];

		snprintf(what, sizeof(what), "image manifest's layer %zu", i);
		r = descriptor_parse(l, what, &m.layers[i], err);
		m.n_layers = i + 1;
		if (r == 0 && !m.layers[i].media_type)
			r = nano_err_set(err, EBADMSG, "%s has no mediaType", what);
		if (r == 0 && !layer_type_known(m.layers[i].media_type))
			r = nano_err_set(err, ENOTSUP, "%s: media type %.100s is not supported",
			                 what, m.layers[i].media_type);
		if (r < 0) {
			image_manifest_done(&m);
			return r;
		}
	}
	*out = m;
	return 0;
}

void image_config_done(struct image_config *c)
{
	if (!c)
		return;
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->working_dir);
	free(c->user);
	strv_free(c->diff_ids);
	free(c->os);
	free(c->architecture);
	*c = (struct image_config){0};
}

/* A JSON array of strings (or null/absent: *out NULL) -> a NULL-terminated list. */
static int strv_from_json(json_t *a, const char *what, char ***out, struct nano_err *err)
{
	_cleanup_strv_ char **l = NULL;
	size_t i, n = 0;
	json_t *v;

	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return nano_err_set(err, EBADMSG, "image config's %s is not a list", what);
	l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	json_array_foreach(a, i, v)
	{
		char *s;

		if (!json_is_string(v))
			return nano_err_set(err, EBADMSG, "image config's %s[%zu] is not a string",
			                    what, i);
		s = util_utf8_copy(json_string_value(v), json_string_length(v));
		if (!s || strv_append(&l, &n, s) < 0)
			return -ENOMEM;
	}
	*out = TAKE_PTR(l);
	return 0;
}

static int optional_string(json_t *o, const char *key, char **out)
{
	const char *s = json_str(o, key);

	*out = NULL;
	if (!s || s[0] == '\0')
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int image_config_parse(const char *body, size_t len, struct image_config *out, struct nano_err *err)
{
	_cleanup_json_ json_t *root = json_loadb(body, len, 0, NULL);
	struct image_config c = {0};
	json_t *config, *rootfs, *diff_ids;
	size_t i;
	int r;

	*out = (struct image_config){0};
	if (!json_is_object(root))
		return nano_err_set(err, EBADMSG, "image config is not a JSON object");
	config = json_object_get(root, "config");
	if (config && !json_is_null(config) && !json_is_object(config))
		return nano_err_set(err, EBADMSG, "image config's config is not an object");
	rootfs = json_object_get(root, "rootfs");
	diff_ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(diff_ids))
		return nano_err_set(err, EBADMSG, "image config has no rootfs.diff_ids");
	r = strv_from_json(diff_ids, "rootfs.diff_ids", &c.diff_ids, err);
	for (i = 0; r == 0 && c.diff_ids[i]; i++)
		if (!image_digest_valid(c.diff_ids[i]))
			r = nano_err_set(err, EBADMSG,
			                 "image config's rootfs.diff_ids[%zu] is not a "
			                 "sha256 digest",
			                 i);
	if (r == 0)
		r = strv_from_json(json_object_get(config, "Entrypoint"), "Entrypoint",
		                   &c.entrypoint, err);
	if (r == 0)
		r = strv_from_json(json_object_get(config, "Cmd"), "Cmd", &c.cmd, err);
	if (r == 0)
		r = strv_from_json(json_object_get(config, "Env"), "Env", &c.env, err);
	if (r == 0)
		r = optional_string(config, "WorkingDir", &c.working_dir);
	if (r == 0)
		r = optional_string(config, "User", &c.user);
	if (r == 0)
		r = optional_string(root, "os", &c.os);
	if (r == 0)
		r = optional_string(root, "architecture", &c.architecture);
	if (r < 0) {
		image_config_done(&c);
		return r;
	}
	*out = c;
	return 0;
}
