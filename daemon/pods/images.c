/* daemon/pods/images.c: the kubelet's image manager (pkg/kubelet/images/image_manager.go) for a
 * pod's containers. Before each start of a container whose image is a reference, the image is
 * made present as imagePullPolicy says — used as it is, pulled (through the daemon's puller,
 * on the loop: a pull never waits here), or refused — with the kubelet's events and waiting
 * reasons, and its image back-off per image and pod; then the container is resolved with the
 * image's record: User through the image's /etc/passwd, the plan (plan_container_apply_image),
 * shim.json (pod_shim_config_rewrite), status image and imageID, the record's last use.
 *
 * It decides nothing about restarts: a refusal is recorded in the supervisor (waiting reason,
 * message, the next try's time) and the lifecycle's pod_sync arms the retry; a pull's end goes
 * up through the done callback the lifecycle handed in. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pods/images.h"

/* After a failed pull the next sync comes this soon, and finds the back-off: the waiting reason
 * turns from ErrImagePull to ImagePullBackOff as a kubelet's does within its next sync. */
#define POD_IMAGE_RESYNC_S 1

/* ---- a container's pull -------------------------------------------------------------------- */

/* What the pod keeps per container: the pull it waits for, and the record a pull just made
 * (the start that follows uses it rather than pulling again under Always). */
struct pod_image_pull {
	struct pod *pod;
	size_t container;
	struct image_pull *pull;
	uint64_t started; /* CLOCK_MONOTONIC usec: the Pulling event */
	char pulled[IMAGE_DIGEST_LEN + 1];
	void (*done)(struct pod *pod, size_t i, bool pulled);
};

static int pulls_alloc(struct pod *pod)
{
	if (pod->image_pulls)
		return 0;
	pod->image_pulls = calloc(pod->plan->n_containers, sizeof(*pod->image_pulls));
	if (!pod->image_pulls)
		return -ENOMEM;
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		pod->image_pulls[i] = (struct pod_image_pull){.pod = pod, .container = i};
	return 0;
}

static struct pod_image_backoff *backoff_entry(struct pod *pod, const char *image)
{
	struct pod_image_backoff *b;

	for (b = pod->image_backoffs; b; b = b->next)
		if (strcmp(b->image, image) == 0)
			return b;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->image = strdup(image)))
		return free(b), NULL;
	b->next = pod->image_backoffs;
	pod->image_backoffs = b;
	return b;
}

static int64_t realtime_usec(const struct pod *pod)
{
	return (int64_t)pods_clock(pod->env, CLOCK_REALTIME);
}

/* The container stays waiting with reason; its next try at not_before (unix seconds), or the
 * supervisor's own (sync_retry) when 0. */
static void not_created(struct pod *pod, size_t i, const char *reason, const char *message,
                        int64_t not_before)
{
	struct sup_container *sc = &pod->sup->containers[i];

	/* startContainer's "Error: %v" of the image manager's error: its name for the image's
	 * own (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName), the message
	 * for a container that could not be made of it */
	pod_event(pod, pod->plan->containers[i].name, "Warning", "Failed", "Error: %s",
	          strncmp(reason, "CreateContainer", 15) == 0 && message ? message : reason);
	if (sup_container_not_created(pod->sup, i, reason, message, pods_now(pod->env),
	                              &pod->env->sup) < 0) {
		log_error("pod %s: container %s: out of memory", pod->spec->name,
		          pod->plan->containers[i].name);
		return;
	}
	/* never sooner than a CrashLoopBackOff the supervisor set from the last exit */
	if (not_before > 0 && (!sc->latest_exited || sc->exited_at + sc->backoff <= not_before))
		sc->restart_at = not_before;
}

/* supplementalGroupsPolicy Merge: the groups the image's /etc/group lists container i's user
 * in. The user, as containerd's CRI names it: the runAsUser, else the image's User (its user
 * part), else root. */
static int image_groups(const struct pod *pod, size_t i, const struct image_record *r,
                        uint32_t **gids, size_t *n, struct nano_err *err)
{
	int64_t run_as = pod->spec->containers[i].security_context.run_as_user;
	_cleanup_free_ char *user = NULL;

	*gids = NULL;
	*n = 0;
	if (pod->spec->security_context.supplemental_groups_strict)
		return 0;
	if (run_as < 0)
		run_as = pod->spec->security_context.run_as_user;
	if (run_as >= 0)
		user = strdupf("%" PRId64, run_as);
	else if (r->config.user && r->config.user[0])
		user = strndup(r->config.user, strcspn(r->config.user, ":"));
	else
		user = strdup("0");
	if (!user)
		return nano_err_set(err, ENOMEM, "out of memory");
	return image_store_user_groups(pod->env->opt.images, r, user, gids, n, err);
}

/* Resolves container i with record r: its User, the plan, and (rewrite) shim.json. *reason
 * says which waiting reason a failure is. */
static int resolve(struct pod *pod, size_t i, const char *reference, const struct image_record *r,
                   bool rewrite, char **repo_digest_out, const char **reason, struct nano_err *err)
{
	_cleanup_strv_ char **lowerdirs = NULL;
	_cleanup_free_ char *repo = NULL;
	_cleanup_free_ char *repo_digest = NULL;
	_cleanup_free_ uint32_t *groups = NULL;
	size_t n_groups;
	_cleanup_(nano_err_clear) struct nano_err perr = {0};
	struct image_ref ref = {0};
	struct plan_image image;
	uint32_t uid = 0, gid = 0;
	bool has_gid = false, has_uid = false;
	const char *digest;
	int rr;

	*reason = "CreateContainerError";
	if (r->config.user) {
		/* a name not in the image's passwd: runc's words, before any process is made */
		rr = image_store_user(pod->env->opt.images, r, r->config.user, &uid, &gid, &has_gid,
		                      err);
		if (rr < 0) {
			*reason = rr == -ENOENT ? "CreateContainerError"
			                        : "CreateContainerConfigError";
			return rr;
		}
		has_uid = true;
	}
	rr = image_groups(pod, i, r, &groups, &n_groups, err);
	if (rr < 0)
		return rr;
	rr = image_store_lowerdirs(pod->env->opt.images, r, &lowerdirs, err);
	if (rr < 0)
		return rr;
	/* imageID: <repo>@<the digest the reference resolved to> (its repo_digests), else the
	 * manifest's */
	if (image_ref_parse(reference, &ref, &perr) >= 0)
		repo = image_ref_repo(&ref);
	image_ref_done(&ref);
	digest = r->manifest[0] ? r->manifest : r->id;
	for (char **d = r->repo_digests; repo && d && *d; d++)
		if (strncmp(*d, repo, strlen(repo)) == 0 && (*d)[strlen(repo)] == '@') {
			digest = *d + strlen(repo) + 1;
			break;
		}
	repo_digest = repo ? strdupf("%s@%s", repo, digest) : strdup(r->id);
	if (!repo_digest)
		return nano_err_set(err, ENOMEM, "out of memory");
	image = (struct plan_image){
	        .reference = reference,
	        .id = r->id,
	        .repo_digest = repo_digest,
	        .lowerdirs = lowerdirs,
	        .entrypoint = r->config.entrypoint,
	        .cmd = r->config.cmd,
	        .env = r->config.env,
	        .working_dir = r->config.working_dir,
	        .user = r->config.user,
	        .has_uid = has_uid,
	        .has_gid = has_uid && has_gid,
	        .uid = uid,
	        .gid = gid,
	        .groups = groups,
	        .n_groups = n_groups,
	};
	rr = plan_container_apply_image(pod->plan, i, pod->spec, &image);
	if (rr < 0)
		return nano_err_set(err, -rr, "%s", strerror(-rr));
	if (rewrite) {
		rr = pod_shim_config_rewrite(pod, err);
		if (rr < 0)
			return rr;
	}
	*repo_digest_out = TAKE_PTR(repo_digest);
	return 0;
}

/* resolve, then status image and imageID and the record's last use; a failure leaves the
 * container waiting with its reason. */
static enum pod_image_step apply_record(struct pod *pod, size_t i, const char *reference,
                                        const struct image_record *r)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *repo_digest = NULL;
	const char *reason;
	int rr;

	rr = resolve(pod, i, reference, r, true, &repo_digest, &reason, &err);
	if (rr < 0) {
		not_created(pod, i, reason, err.message ? err.message : strerror(-rr), 0);
		return POD_IMAGE_REFUSED;
	}
	if (sup_container_set_image(pod->sup, i, reference, repo_digest) < 0)
		log_error("pod %s: container %s: out of memory", pod->spec->name,
		          pod->plan->containers[i].name);
	nano_err_clear(&err);
	if (image_store_touch(pod->env->opt.images, r->id, realtime_usec(pod) * 1000, &err) < 0)
		log_warn("pod %s/%s: image %s: %s", pod->spec->namespace, pod->spec->name, r->id,
		         err.message ? err.message : "not touched");
	return POD_IMAGE_READY;
}

static void on_pulled(void *userdata, int r, const struct image_pull_result *result,
                      const struct nano_err *err)
{
	struct pod_image_pull *p = userdata;
	struct pod *pod = p->pod;
	size_t i = p->container;
	const char *image = pod->spec->containers[i].image;
	const char *name = pod->plan->containers[i].name;
	const char *message = err && err->message ? err->message : strerror(-r);
	char took[32], waited[32];
	struct pod_image_backoff *b;
	int64_t now = realtime_usec(pod);

	p->pull = NULL; /* done: the puller frees it */
	if (pod->deleting)
		return p->done(pod, i, false); /* nothing starts any more: the delete goes on */
	if (r < 0) {
		pod_event(pod, name, "Warning", "Failed", "Failed to pull image \"%s\": %s", image,
		          message);
		b = backoff_entry(pod, image);
		if (b) {
			pod_image_backoff_next(b, now, &pod->env->opt.image_pull_backoff);
			free(b->last_error);
			b->last_error = strdupf("ErrImagePull: %s", message);
		}
		not_created(pod, i, "ErrImagePull", message,
		            pods_now(pod->env) + POD_IMAGE_RESYNC_S);
	} else {
		pod_image_duration(result->duration_ns, took, sizeof(took));
		pod_image_duration((int64_t)(pods_clock(pod->env, CLOCK_MONOTONIC) - p->started) *
		                           1000,
		                   waited, sizeof(waited));
		pod_event(pod, name, "Normal", "Pulled",
		          "Successfully pulled image \"%s\" in %s (%s including waiting). "
		          "Image size: %" PRId64 " bytes.",
		          image, took, waited, result->bytes);
		memcpy(p->pulled, result->record.id, sizeof(p->pulled));
	}
	p->done(pod, i, r >= 0);
}

bool pod_image_pulling(const struct pod *pod, size_t i)
{
	return pod->image_pulls && pod->image_pulls[i].pull;
}

enum pod_image_step pod_image_ensure(struct pod *pod, size_t i,
                                     void (*done)(struct pod *pod, size_t i, bool pulled))
{
	const struct plan_root *root = &pod->plan->containers[i].root;
	const char *name = pod->plan->containers[i].name;
	const char *image = pod->spec->containers[i].image;
	const struct pods_image_backoff *config = &pod->env->opt.image_pull_backoff;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(image_record_done) struct image_record record = {0};
	_cleanup_free_ char *reference = NULL;
	_cleanup_free_ char *message = NULL;
	struct pod_image_backoff *b;
	struct pod_image_pull *p;
	struct image_ref ref = {0};
	bool present;
	int r;

	if (root->kind != PLAN_ROOT_IMAGE)
		return POD_IMAGE_READY;
	if (pulls_alloc(pod) < 0) {
		not_created(pod, i, "CreateContainerError", "out of memory", 0);
		return POD_IMAGE_REFUSED;
	}
	p = &pod->image_pulls[i];
	if (p->pull)
		return POD_IMAGE_WAIT;
	/* applyDefaultImageTag */
	r = image_ref_parse(image, &ref, &err);
	if (r >= 0)
		reference = image_ref_string(&ref);
	image_ref_done(&ref);
	if (r < 0) {
		message = strdupf("Failed to apply default image tag \"%s\": %s", image,
		                  err.message ? err.message : strerror(-r));
		pod_event(pod, name, "Warning", "InspectFailed", "%s", message ?: "invalid image");
		not_created(pod, i, "InvalidImageName", message, 0);
		return POD_IMAGE_REFUSED;
	}
	if (!reference) {
		not_created(pod, i, "CreateContainerError", "out of memory", 0);
		return POD_IMAGE_REFUSED;
	}
	/* the record a pull for this start just made */
	if (p->pulled[0]) {
		r = image_store_find(pod->env->opt.images, p->pulled, &record, &err);
		p->pulled[0] = '\0';
		if (r >= 0)
			return apply_record(pod, i, reference, &record);
		nano_err_clear(&err);
	}
	present = pod->env->opt.images &&
	          image_store_find(pod->env->opt.images, reference, &record, &err) >= 0;
	nano_err_clear(&err);
	switch (pod_image_decide(pod->spec->containers[i].image_pull_policy, present)) {
	case POD_IMAGE_USE:
		pod_event(pod, name, "Normal", "Pulled",
		          "Container image \"%s\" already present on machine", image);
		return apply_record(pod, i, reference, &record);
	case POD_IMAGE_NEVER_PULL:
		message = strdupf("Container image \"%s\" is not present with pull policy of Never",
		                  image);
		pod_event(pod, name, "Warning", "ErrImageNeverPull", "%s",
		          message ?: "not present");
		not_created(pod, i, "ErrImageNeverPull", message, 0);
		return POD_IMAGE_REFUSED;
	case POD_IMAGE_PULL:
		break;
	}
	b = backoff_entry(pod, image);
	if (b && pod_image_backoff_active(b, realtime_usec(pod), config)) {
		message = strdupf("Back-off pulling image \"%s\"", image);
		pod_event(pod, name, "Normal", "BackOff", "%s",
		          message ?: "Back-off pulling image");
		if (message && b->last_error) {
			free(message);
			message =
			        strdupf("Back-off pulling image \"%s\": %s", image, b->last_error);
		}
		/* the next try when the delay has passed (seconds, rounded up) */
		not_created(pod, i, "ImagePullBackOff", message,
		            (b->last_update + b->backoff + 999999) / 1000000);
		return POD_IMAGE_REFUSED;
	}
	if (!pod->env->opt.puller) {
		not_created(pod, i, "ErrImagePull", "this node pulls no images", 0);
		return POD_IMAGE_REFUSED;
	}
	pod_event(pod, name, "Normal", "Pulling", "Pulling image \"%s\"", image);
	p->done = done;
	p->started = pods_clock(pod->env, CLOCK_MONOTONIC);
	p->pull = image_pull_start(pod->env->opt.puller, reference, on_pulled, p);
	if (!p->pull) {
		not_created(pod, i, "ErrImagePull", "out of memory", 0);
		return POD_IMAGE_REFUSED;
	}
	return POD_IMAGE_WAIT;
}

void pod_images_restore(struct pod *pod)
{
	for (size_t i = 0; pod->env->opt.images && i < pod->plan->n_containers; i++) {
		const struct sup_container *sc = &pod->sup->containers[i];
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		_cleanup_(image_record_done) struct image_record record = {0};
		_cleanup_free_ char *repo_digest = NULL;
		const char *at, *reason;

		if (pod->plan->containers[i].root.kind != PLAN_ROOT_IMAGE || !sc->image_id)
			continue;
		/* imageID is <repo>@<digest>: the store finds a record by that reference */
		at = strchr(sc->image_id, '@');
		if (!at ||
		    image_store_find(pod->env->opt.images, sc->image_id, &record, &err) < 0) {
			log_info("pod %s/%s: container %s: image %s is no longer on the node; "
			         "resolved again at its next start",
			         pod->spec->namespace, pod->spec->name, sc->name, sc->image_id);
			continue;
		}
		nano_err_clear(&err);
		/* the running shim has its shim.json; a new sandbox writes it from the plan */
		if (resolve(pod, i, sc->image ? sc->image : record.id, &record, false, &repo_digest,
		            &reason, &err) < 0)
			log_warn("pod %s/%s: container %s: image %s: not resolved again: %s",
			         pod->spec->namespace, pod->spec->name, sc->name, sc->image_id,
			         err.message ? err.message : "out of memory");
	}
}

void pod_images_done(struct pod *pod)
{
	for (size_t i = 0; pod->image_pulls && i < pod->plan->n_containers; i++)
		if (pod->image_pulls[i].pull)
			image_pull_cancel(pod->image_pulls[i].pull);
	free(pod->image_pulls);
	pod->image_pulls = NULL;
	while (pod->image_backoffs) {
		struct pod_image_backoff *b = pod->image_backoffs;

		pod->image_backoffs = b->next;
		free(b->image);
		free(b->last_error);
		free(b);
	}
}
