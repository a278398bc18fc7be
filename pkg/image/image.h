/* pkg/image: OCI images on the node. References as Kubernetes reads them, the content store
 * under <state_dir>/images (verified blobs, layers unpacked once, image records), the manifests
 * and configs of the OCI image spec and Docker's schema 2, archives (oci-archive and
 * docker-archive, what `podman save` and `docker save` write), a registry client on the event
 * loop (libcurl multi on sd-event), and the pick of what image garbage collection removes.
 *
 * Who owns what:
 *   ref.c       references: parse, normalize (busybox -> docker.io/library/busybox:latest),
 *               the pull policy's default
 *   digest.c    sha256 through GnuTLS: streaming, "sha256:<64 hex>" checks
 *   manifest.c  index/manifest/config JSON -> the structs below; the node's platform
 *   store.c     the content store: blobs, layers, usage, the GC pick
 *   record.c    image records: put (tags that move), find, list, touch, remove, lowerdirs
 *   user.c      the image's User resolved in its /etc/passwd and /etc/group
 *   unpack.c    a layer blob -> a directory (libarchive): whiteouts, opaque dirs, ownership
 *   archive.c   oci-archive / docker-archive tar -> blobs and image records
 *   registry.c  the OCI distribution client: pulls, their waiters and steps (resolve, fetch,
 *               verify), the puller; what its files share is registry_pull.h
 *   registry_request.c  a pull's requests: endpoints and mirrors, a 401's answer, failures
 *   registry_job.c      a pull's job off the loop: store, verify, unpack, record
 *   registry_http.c     libcurl multi on sd-event: the requests' transport
 *   registry_auth.c     the auth file's credentials, WWW-Authenticate's challenge
 *   dl_curl.c, dl_archive.c  libcurl and libarchive, opened (dlopen) when first needed
 *
 * Layout of <state_dir>/images (DESIGN.md "Files on the machine"):
 *   blobs/sha256/<hex>           verified content: indexes, manifests, configs, layer blobs
 *   layers/sha256/<diff hex>/    an unpacked layer, named by its diff ID (the digest of its
 *                                uncompressed tar), so that a layer common to two images, or
 *                                the same layer gzip'd and zstd'd, is unpacked once. Its tree
 *                                is root/ beside it; the directory appears whole (renamed from
 *                                tmp/), so a half-unpacked layer is never used
 *   images/<config hex>.json     an image record (below), written atomically
 *   tmp/                         downloads, uploads and unpacks in progress; emptied at open
 *
 * Errors are -errno with a struct nano_err message (util.h). Messages are the ones a user
 * sees in the pod's events and waiting message, so they name the reference and the digest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "util/util.h"

/* ---- references (ref.c) ------------------------------------------------------------------ */

#define IMAGE_DEFAULT_DOMAIN  "docker.io"
#define IMAGE_LEGACY_DOMAIN   "index.docker.io"
#define IMAGE_DOCKER_REGISTRY "registry-1.docker.io" /* where docker.io's API answers */
#define IMAGE_OFFICIAL_REPO   "library"
#define IMAGE_DEFAULT_TAG     "latest"

/* A reference in its normalized (docker.io/library/busybox:latest) form, each part malloc'd. */
struct image_ref {
	char *domain; /* "docker.io", "127.0.0.1:5000", "[::1]:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "1.36"; "latest" when the reference has neither tag nor digest; NULL
	               * when it has a digest only */
	char *digest; /* "sha256:<64 hex>" or NULL */
};

/* Whether spec.containers[].image names one of nanolet's own roots rather than an image: ""
 * and "host" (the node's root, read-only under a layer) and an absolute path (a directory). */
bool image_is_local_root(const char *image);

/* Parses s as the API server and the kubelet do (distribution's reference grammar,
 * ParseNormalizedNamed): a missing domain is docker.io, a docker.io name without a '/' is
 * under library/, a name with neither tag nor digest gets :latest. -EINVAL with the kubelet's
 * InvalidImageName words ("couldn't parse image name \"%s\": invalid reference format"),
 * -ENOMEM. */
int image_ref_parse(const char *s, struct image_ref *out, struct nano_err *err);
void image_ref_done(struct image_ref *r);

/* "docker.io/library/busybox:1.36", "...@sha256:...", "...:1.36@sha256:..." (malloc'd; NULL on
 * ENOMEM). image_ref_repo: "docker.io/library/busybox" (for imageID: <repo>@<digest>). */
char *image_ref_string(const struct image_ref *r);
char *image_ref_repo(const struct image_ref *r);

enum image_pull_policy {
	IMAGE_PULL_ALWAYS,
	IMAGE_PULL_IF_NOT_PRESENT,
	IMAGE_PULL_NEVER,
};

/* The API server's default for an absent imagePullPolicy: Always for :latest or no tag (and no
 * digest), IfNotPresent otherwise. */
enum image_pull_policy image_pull_policy_default(const struct image_ref *r);

/* ---- digests (digest.c) ------------------------------------------------------------------ */

#define IMAGE_DIGEST_LEN 71 /* "sha256:" + 64 hex */

/* Whether s is "sha256:" and 64 lowercase hex digits (the only algorithm nanolet accepts; a
 * sha512 digest is refused with a message that says so where it is met). */
bool image_digest_valid(const char *s);

/* A running sha256. */
struct image_hash;
int image_hash_new(struct image_hash **out);
void image_hash_update(struct image_hash *h, const void *data, size_t len);
/* Writes "sha256:<hex>" and a NUL into out and frees h. */
void image_hash_finish(struct image_hash *h, char out[IMAGE_DIGEST_LEN + 1]);
void image_hash_free(struct image_hash *h);

/* ---- manifests and configs (manifest.c) -------------------------------------------------- */

#define IMAGE_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_OCI_LAYER       "application/vnd.oci.image.layer.v1.tar"
#define IMAGE_MT_OCI_LAYER_GZ    "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_MT_OCI_LAYER_ZST   "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMAGE_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define IMAGE_MT_DOCKER_LAYER    "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* The Accept header of a manifest request: every manifest and index type above. */
#define IMAGE_MANIFEST_ACCEPT                                                                      \
	IMAGE_MT_OCI_INDEX ", " IMAGE_MT_OCI_MANIFEST ", " IMAGE_MT_DOCKER_LIST                    \
	                   ", " IMAGE_MT_DOCKER_MANIFEST

struct image_descriptor {
	char *media_type;
	char digest[IMAGE_DIGEST_LEN + 1];
	int64_t size;
};

/* A manifest: its config and its layers, bottom first. */
struct image_manifest {
	struct image_descriptor config;
	struct image_descriptor *layers;
	size_t n_layers;
};

/* The node's platform as an index names it: "linux", UTIL_GOARCH ("amd64", "arm64"...), and
 * the variant for arm ("v8" for arm64, matched also when absent). */
struct image_platform {
	const char *os, *architecture, *variant;
};
void image_platform_node(struct image_platform *out);

/* Whether a manifest body of this media type is an index (OCI index, Docker manifest list).
 * A body served without a media type is told by its own "mediaType" and "manifests" keys. */
bool image_is_index(const char *media_type, const char *body, size_t len);

/* From an index body: the descriptor of the manifest for platform p. -ENOENT with "no image
 * for linux/amd64 in <what>" when none matches, -EBADMSG for a body that is not an index. */
int image_index_pick(const char *body, size_t len, const struct image_platform *p, const char *what,
                     struct image_descriptor *out, struct nano_err *err);

/* A manifest body (OCI or Docker schema 2; schema 1 is refused by name) -> *out. Layer media
 * types nanolet cannot unpack (foreign layers are taken as gzip when they have a digest)
 * -> -ENOTSUP naming the type. */
int image_manifest_parse(const char *body, size_t len, struct image_manifest *out,
                         struct nano_err *err);
void image_manifest_done(struct image_manifest *m);

/* What the image config says a container runs (config.Entrypoint, Cmd, Env, WorkingDir, User)
 * and its rootfs.diff_ids, bottom first (one per manifest layer). */
struct image_config {
	char **entrypoint; /* NULL-terminated, NULL when absent */
	char **cmd;        /* NULL-terminated, NULL when absent */
	char **env;        /* NULL-terminated "K=V", NULL when absent */
	char *working_dir; /* NULL when absent or "" */
	char *user;        /* NULL when absent or "": "1000", "1000:1000", "nginx", "nginx:web" */
	char **diff_ids;   /* NULL-terminated "sha256:..." */
	char *os, *architecture;
};
int image_config_parse(const char *body, size_t len, struct image_config *out,
                       struct nano_err *err);
void image_config_done(struct image_config *c);

/* ---- the content store (store.c) --------------------------------------------------------- */

/* What the node keeps of one image, images/<config hex>.json. An image is its config digest
 * (Docker's and containerd's image ID); the references that name it and the digests it was
 * pulled by are lists, as `crictl images` shows them. */
struct image_record {
	char id[IMAGE_DIGEST_LEN + 1];       /* the config's digest */
	char manifest[IMAGE_DIGEST_LEN + 1]; /* the platform manifest's digest */
	char **repo_tags;                    /* NULL-terminated: "docker.io/library/busybox:1.36" */
	char **repo_digests; /* NULL-terminated: "docker.io/library/busybox@sha256:<index or
	                      * manifest digest, what the reference resolved to>" */
	struct image_manifest layers; /* the manifest: config and layer blobs, bottom first */
	struct image_config config;   /* parsed config (diff_ids bottom first) */
	int64_t size;      /* bytes: the sum of the manifest's blobs' sizes (what the kubelet
	                    * reports: compressed) */
	int64_t created;   /* unix ns: when the node first had it */
	int64_t last_used; /* unix ns: the last container start with it (GC's order) */
};
void image_record_done(struct image_record *r);

struct image_store;

/* Opens (making it, 0700) <images_dir>: blobs/, layers/, images/, tmp/ (emptied). */
int image_store_open(const char *images_dir, struct image_store **out, struct nano_err *err);
struct image_store *image_store_close(struct image_store *s);
const char *image_store_dir(const struct image_store *s);

/* A new file under tmp/ for content on its way in (O_RDWR|O_CLOEXEC, 0600); *path malloc'd. */
int image_store_tmp_file(struct image_store *s, int *fd, char **path, struct nano_err *err);

/* Moves tmp_path (a file under tmp/ whose sha256 the caller computed as it wrote it: digest) to
 * blobs/ as expected, after an fsync. digest != expected -> -EBADMSG, "blob <expected> failed
 * verification: its content is <digest>", and tmp_path is removed. */
int image_store_blob_commit(struct image_store *s, const char *tmp_path, const char *digest,
                            const char *expected, struct nano_err *err);
/* Writes a small blob (manifest, config, index) from memory, verified the same way; expected
 * NULL: its own digest, written into out_digest if not NULL. */
int image_store_blob_put(struct image_store *s, const void *data, size_t len, const char *expected,
                         char out_digest[IMAGE_DIGEST_LEN + 1], struct nano_err *err);
bool image_store_blob_has(const struct image_store *s, const char *digest);
/* The blob's content, read whole (small blobs: manifests, configs), NUL-terminated. */
int image_store_blob_read(const struct image_store *s, const char *digest, char **data, size_t *len,
                          struct nano_err *err);
char *image_store_blob_path(const struct image_store *s, const char *digest);

/* The unpacked tree of a layer (layers/sha256/<hex>/root), malloc'd; and whether it is there. */
char *image_store_layer_path(const struct image_store *s, const char *diff_id);
bool image_store_layer_has(const struct image_store *s, const char *diff_id);

/* Unpacks the layer blob `blob` (in blobs/, gzip, zstd or plain tar) as layer diff_id, unless
 * that layer is already there. The uncompressed stream's sha256 must be diff_id (-EBADMSG
 * naming both otherwise, and nothing is kept). Blocking: run it through util_work. Two calls
 * for the same diff_id at once are safe (the second finds it, or its rename loses harmlessly).
 * Unpacking applies (unpack.c): whiteouts (.wh.<name> -> an overlayfs whiteout, a 0/0
 * character device; .wh..wh..opq -> trusted.overlay.opaque "y"), hard links within the layer,
 * symlinks, device nodes, owners, modes with setuid/setgid and xattrs as the layer says when
 * the process is root (otherwise owners are the caller's and devices are skipped, said in a
 * warning); an entry whose path leaves the layer (.., absolute, through a symlink) is refused
 * (-EBADMSG). */
int image_store_unpack(struct image_store *s, const char *blob, const char *diff_id,
                       struct nano_err *err);

/* Records an image (a new record, or new repo_tags/repo_digests merged into the record with
 * that id; a tag moves from any other record that had it, as `docker tag` does). The blobs and
 * layers it names must be in the store (-ENOENT naming the first missing). */
int image_store_put(struct image_store *s, const struct image_record *r, int64_t now,
                    struct nano_err *err);

/* The record an image reference (normalized, image_ref_string) names: by digest when the
 * reference has one (repo_digests), else by tag (repo_tags). -ENOENT when none. An id
 * ("sha256:<hex>" alone, or its first 12+ hex digits) also finds its record. */
int image_store_find(struct image_store *s, const char *reference, struct image_record *out,
                     struct nano_err *err);

/* Every record, in no promised order; *out is an array of *n records (free each, then it). */
int image_store_list(struct image_store *s, struct image_record **out, size_t *n,
                     struct nano_err *err);

/* Sets last_used. */
int image_store_touch(struct image_store *s, const char *id, int64_t now, struct nano_err *err);

/* Removes the record with id and every blob and layer no other record needs. The caller
 * checked that no container uses it. -ENOENT. *freed (if not NULL): bytes given back. */
int image_store_remove(struct image_store *s, const char *id, int64_t *freed, struct nano_err *err);

/* The layers of a record as overlayfs lowerdirs want them: top first, NULL-terminated,
 * malloc'd paths. -ENOENT when a layer is not unpacked. */
int image_store_lowerdirs(const struct image_store *s, const struct image_record *r, char ***out,
                          struct nano_err *err);

/* The uid and gid a container of image r runs as, for user (the pod's or the image config's
 * User): "uid[:gid]" numeric as is; a name is looked up in the image's /etc/passwd (and a
 * group name in /etc/group) in the topmost layer that has the file (a whiteout hides it
 * below). *has_gid: whether a gid was named or came from passwd. A name not found -> -ENOENT
 * "unable to find user <name>: no matching entries in passwd file" (runc's words; "unable to
 * find group <name>: no matching entries in group file" for a group). */
int image_store_user(const struct image_store *s, const struct image_record *r, const char *user,
                     uint32_t *uid, uint32_t *gid, bool *has_gid, struct nano_err *err);

/* The groups the image's /etc/group lists a user in (supplementalGroupsPolicy Merge), as
 * containerd's WithAdditionalGIDs reads them: user is the container's ("1000", or a name
 * from the image's User); a number is named by the image's /etc/passwd, and one it does not
 * list is in no group. A group of the user's own name is not counted (it is a primary group).
 * *gids malloc'd (NULL when none), in the file's order, each once. */
int image_store_user_groups(const struct image_store *s, const struct image_record *r,
                            const char *user, uint32_t **gids, size_t *n, struct nano_err *err);

/* Bytes the store holds (blobs and layers, each counted once). */
int image_store_usage(struct image_store *s, int64_t *bytes, struct nano_err *err);

/* The kubelet's image GC pick (pure): with the images' filesystem at used/capacity bytes and
 * used above high_percent, the ids of unused records (in_use[i] false) older than min_age_ns
 * (created and last_used both before now - min_age), least recently used first, until what
 * they free (records[i].size) brings usage to low_percent. NULL-terminated, malloc'd; empty
 * when usage is at or below high. */
char **image_gc_pick(const struct image_record *records, const bool *in_use, size_t n, int64_t used,
                     int64_t capacity, int high_percent, int low_percent, int64_t min_age_ns,
                     int64_t now);

/* ---- archives (archive.c) ---------------------------------------------------------------- */

/* Imports the tar at path, an oci-archive (oci-layout, index.json, blobs/) or a
 * docker-archive (manifest.json with Config/RepoTags/Layers, as `docker save` and `podman
 * save` write), into the store: every blob verified and committed, every layer unpacked, a
 * record per image (tags: RepoTags, or the OCI index's org.opencontainers.image.ref.name
 * annotation, normalized; a docker-archive image gets an OCI manifest made for it, whose
 * digest is its manifest). Read in one pass from the file, never whole in memory. Blocking:
 * run it through util_work. *out and *n (if out): the records made. */
int image_archive_import(struct image_store *s, const char *path, int64_t now,
                         struct image_record **out, size_t *n, struct nano_err *err);

/* ---- the registry client (registry*.c) --------------------------------------------------- */

/* One registry's settings (the config's registries map, keyed by domain, "docker.io" too). */
struct image_registry_config {
	char *domain;
	char **mirrors; /* NULL-terminated "https://host[:port][/path]", tried in order before
	                 * the registry itself, as containerd's hosts.toml mirrors */
	bool insecure;  /* plain HTTP (and HTTPS without verification) */
};

struct image_puller_config {
	struct image_registry_config *registries;
	size_t n_registries;
	char *auth_file;   /* a docker config.json ("auths": {"host": {"auth": base64(user:pass)}
	                    * or username/password}); NULL or missing: anonymous */
	int64_t timeout_s; /* a request that moves no byte for this long fails: 60 */
};

/* What a finished pull tells the kubelet's Pulled event. */
struct image_pull_result {
	struct image_record record; /* the stored record (the puller's: freed once every waiter's
	                             * fn returned; copy what you keep) */
	int64_t bytes;              /* the image's size */
	int64_t duration_ns;        /* from the first request to the record */
};

struct image_puller;

/* A puller on e, writing into store. It pulls as many references at once as it is asked for,
 * one transfer per reference however many wait for it. A loopback registry (127.0.0.0/8,
 * ::1, localhost) speaks plain HTTP when HTTPS fails, as Docker allows. */
int image_puller_new(sd_event *e, struct image_store *store,
                     const struct image_puller_config *config, struct image_puller **out,
                     struct nano_err *err);
/* Stops every pull (their waiters are not called) and frees. */
struct image_puller *image_puller_free(struct image_puller *p);

/* r 0: result is the image (the callee's until the call returns; copy what you keep). r < 0:
 * err says why in the words ErrImagePull's message shows ("failed to resolve reference
 * \"...\": ... not found", "blob sha256:... failed verification ...", "connection refused"). */
typedef void image_pull_done_fn(void *userdata, int r, const struct image_pull_result *result,
                                const struct nano_err *err);

/* Pulls reference (normalized) into the store: resolve the manifest (HEAD/GET with
 * IMAGE_MANIFEST_ACCEPT; an index -> the node's platform), token or basic auth as the
 * registry's WWW-Authenticate asks, fetch the config and each missing layer blob (verified as
 * it streams into tmp/), unpack each layer through util_work, then image_store_put. Returns
 * a handle for image_pull_cancel; NULL on ENOMEM. fn is never called from this call. */
struct image_pull *image_pull_start(struct image_puller *p, const char *reference,
                                    image_pull_done_fn *fn, void *userdata);
/* This waiter no longer wants the answer. The transfer goes on while others wait for it (and
 * to its end when none does: the image is then in the store). Not after fn was called: the
 * handle is gone with it. */
void image_pull_cancel(struct image_pull *w);
