/* pkg/plan/plan_image.c: a container whose root is an image, resolved once the image is on the
 * node. The image's config joins the spec as Kubernetes has the runtime join them (containerd's
 * CRI: WithProcessArgs, WithEnv, WithUser; the kubelet's verifyRunAsNonRoot):
 *
 *   args   command (the spec's) or else Entrypoint; then args (the spec's) or else Cmd; with a
 *          command and no args, Cmd is not used
 *   env    the default PATH, then the image's Env (its PATH replaces the default), then the
 *          plan's own HOSTNAME and the spec's env, each replacing a name already there in place
 *   cwd    workingDir or else WorkingDir or else "/"
 *   user   runAsUser/runAsGroup (the container's, else the pod's) or else the image's user
 *
 * Pure, as the rest of the plan: the caller resolved a user name in the image's files.
 */
#include <string.h>

#include "plan_internal.h"

/* The index of the entry of env named as s ("NAME=..."), or -1. */
static ssize_t env_find(char *const *env, size_t n, const char *s)
{
	size_t len = strcspn(s, "=");

	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], s, len) == 0 && env[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

/* Sets s (owned) in env, replacing an entry of the same name in its place. */
static int env_set(char ***env, size_t *n, char *s)
{
	ssize_t i;

	if (!s)
		return -ENOMEM;
	i = env_find(*env, *n, s);
	if (i < 0)
		return strv_append(env, n, s);
	free((*env)[i]);
	(*env)[i] = s;
	return 0;
}

static int apply_args(struct plan_process *p, const struct spec_container *sc,
                      const struct plan_image *image)
{
	char *const *tail = strv_len(sc->args) > 0 ? sc->args : image->cmd;
	size_t n = 0;
	int r;

	if (strv_len(sc->command) > 0)
		return 0; /* plan_container_process made command + args */
	strv_free(p->args);
	p->args = calloc(1, sizeof(char *));
	if (!p->args)
		return -ENOMEM;
	for (size_t i = 0; image->entrypoint && image->entrypoint[i]; i++)
		if ((r = strv_append(&p->args, &n, strdup(image->entrypoint[i]))) < 0)
			return r;
	for (size_t i = 0; tail && tail[i]; i++)
		if ((r = strv_append(&p->args, &n, strdup(tail[i]))) < 0)
			return r;
	return 0;
}

/* p->env holds the default PATH first when the spec sets none, then HOSTNAME and the spec's. */
static int apply_env(struct plan_process *p, const struct plan_image *image)
{
	_cleanup_strv_ char **env = calloc(1, sizeof(char *));
	size_t n = 0, first = 0;
	int r;

	if (!env)
		return -ENOMEM;
	if (p->env && p->env[0] && strcmp(p->env[0], "PATH=" PLAN_DEFAULT_PATH) == 0) {
		r = strv_append(&env, &n, strdup(p->env[0]));
		if (r < 0)
			return r;
		first = 1;
	}
	for (size_t i = 0; image->env && image->env[i]; i++) {
		/* an entry without '=' sets nothing (containerd's WithEnv skips it too) */
		if (!strchr(image->env[i], '='))
			continue;
		if ((r = env_set(&env, &n, strdup(image->env[i]))) < 0)
			return r;
	}
	for (size_t i = first; p->env && p->env[i]; i++)
		if ((r = env_set(&env, &n, strdup(p->env[i]))) < 0)
			return r;
	strv_free(p->env);
	p->env = TAKE_PTR(env);
	return 0;
}

static int apply_root(struct plan_root *root, const struct plan_image *image)
{
	free(root->image);
	free(root->image_id);
	free(root->repo_digest);
	strv_free(root->lowerdirs);
	root->image = strdup(image->reference ? image->reference : root->path);
	root->image_id = image->id ? strdup(image->id) : NULL;
	root->repo_digest = image->repo_digest ? strdup(image->repo_digest) : NULL;
	root->lowerdirs = strv_copy(image->lowerdirs);
	if (!root->image || (image->id && !root->image_id) ||
	    (image->repo_digest && !root->repo_digest) || !root->lowerdirs)
		return -ENOMEM;
	return 0;
}

int plan_container_apply_image(struct plan *plan, size_t i, const struct spec_pod *pod,
                               const struct plan_image *image)
{
	const struct spec_container *sc;
	const struct spec_pod_security_context *psc = &pod->security_context;
	struct plan_container *c;
	struct plan_process p = {0};
	int r;

	if (i >= plan->n_containers || i >= pod->n_containers ||
	    plan->containers[i].root.kind != PLAN_ROOT_IMAGE)
		return -EINVAL;
	c = &plan->containers[i];
	sc = &pod->containers[i];
	/* from the spec again: a second resolution replaces the first */
	r = plan_container_process(&p, sc, pod, plan);
	if (r >= 0)
		r = apply_args(&p, sc, image);
	if (r >= 0)
		r = apply_env(&p, image);
	if (r >= 0 && !(sc->working_dir && *sc->working_dir) && image->working_dir &&
	    *image->working_dir) {
		free(p.cwd);
		p.cwd = strdup(image->working_dir);
		if (!p.cwd)
			r = -ENOMEM;
	}
	if (r < 0) {
		plan_process_done(&p);
		return r;
	}
	/* the image's user only when no runAsUser names another: its group goes with it (a
	 * runAsUser's own group would come from the image's passwd, which the plan has not) */
	if (sc->security_context.run_as_user < 0 && psc->run_as_user < 0) {
		if (image->has_uid)
			p.uid = image->uid;
		if (image->has_gid && sc->security_context.run_as_group < 0 &&
		    psc->run_as_group < 0)
			p.gid = image->gid;
	}
	r = plan_process_groups(&p, pod, image->groups, image->n_groups);
	if (r < 0) {
		plan_process_done(&p);
		return r;
	}
	plan_process_done(&c->process);
	c->process = p;

	r = apply_root(&c->root, image);
	if (r < 0)
		return r;
	/* uid 0 holds the bounding set effective and permitted, any other uid none */
	security_caps_for(c->security.capabilities.bounding, c->process.uid,
	                  &c->security.capabilities);
	return plan_container_refusal(&c->security, c, sc, pod, plan, image->user);
}
