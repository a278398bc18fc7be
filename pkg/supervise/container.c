/* pkg/supervise/container.c: what happens to one container — started, exited, failed to start,
 * missing its root filesystem, lost with the shim — and the decisions that follow: the restart
 * policy, the CrashLoopBackOff wait and its waiting reason, restartCount and lastState.
 *
 * The back-off is the kubelet's: one flowcontrol.Backoff entry per container. The first
 * restart after an exit is immediate and creates the entry (10 s); each later exit waits the
 * entry's delay from its finishedAt, and each restart doubles it up to the max. A run longer
 * than the reset period (finishedAt - the last restart > 600 s) starts over. Pure: every time
 * comes in as a parameter.
 */
#include "supervise_internal.h"

#include <inttypes.h>
#include <string.h>

static struct sup_container *container_at(struct sup_pod *pod, size_t i)
{
	return pod && i < pod->n_containers ? &pod->containers[i] : NULL;
}

/* ---- rules ---------------------------------------------------------------------------------- */

/* ShouldContainerBeRestarted (pkg/kubelet/container/helpers.go) for an exited container. */
bool sup_restart_allowed(enum spec_restart_policy policy, int32_t exit_code)
{
	switch (policy) {
	case SPEC_RESTART_ALWAYS:
		return true;
	case SPEC_RESTART_ON_FAILURE:
		return exit_code != 0;
	case SPEC_RESTART_NEVER:
		return false;
	}
	return false;
}

int64_t sup_backoff_step(const struct sup_config *cfg, int64_t current)
{
	if (current <= 0)
		return cfg->backoff_initial;
	if (current > cfg->backoff_max / 2)
		return cfg->backoff_max;
	return current * 2;
}

/* time.Duration.String() for whole seconds. */
void sup_format_duration(int64_t seconds, char *buf, size_t size)
{
	const char *sign = "";
	uint64_t s;

	if (seconds < 0) {
		sign = "-";
		s = -(uint64_t)seconds;
	} else {
		s = (uint64_t)seconds;
	}
	if (s >= 3600)
		snprintf(buf, size, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s", sign, s / 3600,
		         s % 3600 / 60, s % 60);
	else if (s >= 60)
		snprintf(buf, size, "%s%" PRIu64 "m%" PRIu64 "s", sign, s / 60, s % 60);
	else
		snprintf(buf, size, "%s%" PRIu64 "s", sign, s);
}

/* doBackOff's error text: "back-off %s restarting failed container=%s pod=%s" with
 * format.Pod's "NAME_NAMESPACE(UID)". */
char *sup_crashloop_message(const struct sup_pod *pod, const struct sup_container *c,
                            int64_t backoff)
{
	char delay[48];

	sup_format_duration(backoff, delay, sizeof(delay));
	return strdupf("back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, c->name,
	               pod->name, pod->namespace, pod->uid);
}

/* ---- the back-off entry --------------------------------------------------------------------- */

/* The kubelet's HasExpiredFunc: eventTime.Sub(lastUpdate) > 600 s, strictly. */
static bool backoff_expired(const struct sup_config *cfg, const struct sup_container *c,
                            int64_t event_time)
{
	return c->backoff_updated != SUP_TIME_NONE &&
	       event_time - c->backoff_updated > cfg->backoff_reset;
}

/* Backoff.Next(key, finishedAt of the latest exited container), called by doBackOff whenever a
 * start is attempted while the latest container is exited and no longer backing off. */
static void backoff_next(const struct sup_config *cfg, struct sup_container *c, int64_t now)
{
	if (c->backoff <= 0 || backoff_expired(cfg, c, c->exited_at))
		c->backoff = cfg->backoff_initial;
	else
		c->backoff = sup_backoff_step(cfg, c->backoff);
	c->backoff_updated = now;
}

/* A new container is created for the next attempt. restartCount is the CRI's attempt number,
 * so every attempt after the first adds one, unless the shim's death already counted it. */
static void begin_attempt(const struct sup_config *cfg, struct sup_container *c, int64_t now)
{
	if (c->latest_exited)
		backoff_next(cfg, c, now);
	if (c->attempts > 0 && !c->restart_counted)
		c->restart_count++;
	c->restart_counted = false;
	c->attempts++;
}

static int set_waiting(struct sup_container *c, const char *reason, const char *message)
{
	c->state = SUP_WAITING;
	if (sup_set_str(&c->reason, reason) < 0 || sup_set_str(&c->message, message) < 0)
		return -ENOMEM;
	return 0;
}

/* The attempt ended at t with *t (ownership taken). The latest termination becomes lastState
 * of the next attempt; what the kubelet then shows depends on the restart decision:
 * terminated while no restart will come or the restart is immediate, waiting CrashLoopBackOff
 * (lastState the termination) while backing off — convertToAPIContainerStatuses. */
static int ended(struct sup_pod *pod, struct sup_container *c, struct sup_terminated *t, int64_t at,
                 const struct sup_config *cfg)
{
	_cleanup_free_ char *message = NULL;

	sup_terminated_clear(&c->previous);
	c->previous = c->terminated;
	c->terminated = *t;
	*t = (struct sup_terminated){0};

	c->state = SUP_TERMINATED;
	c->started_at = SUP_TIME_NONE;
	c->pid = 0;
	c->post_start_pending = false;
	free(TAKE_PTR(c->reason));
	free(TAKE_PTR(c->message));
	c->latest_exited = true;
	c->exited_at = at;
	c->restart_at = SUP_TIME_NONE;

	if (pod->deleting || !sup_restart_allowed(pod->restart_policy, c->terminated.exit_code))
		return 0;
	/* IsInBackOffSince(key, finishedAt): an entry that has not expired. */
	if (c->backoff <= 0 || backoff_expired(cfg, c, at)) {
		c->restart_at = at;
		return 0;
	}
	c->restart_at = at + c->backoff;
	message = sup_crashloop_message(pod, c, c->backoff);
	if (!message)
		return -ENOMEM;
	return set_waiting(c, "CrashLoopBackOff", message);
}

static int terminated_init(struct sup_terminated *t, int32_t exit_code, int32_t signal,
                           const char *reason, const char *message, int64_t started_at,
                           int64_t finished_at, const char *container_id)
{
	*t = (struct sup_terminated){
	        .valid = true,
	        .exit_code = exit_code,
	        .signal = signal,
	        .started_at = started_at,
	        .finished_at = finished_at,
	};
	if (sup_set_str(&t->reason, reason) < 0 || sup_set_str(&t->message, message) < 0 ||
	    sup_set_str(&t->container_id, container_id) < 0) {
		sup_terminated_clear(t);
		return -ENOMEM;
	}
	return 0;
}

/* ---- events --------------------------------------------------------------------------------- */

int sup_pod_sandbox_ready(struct sup_pod *pod, int64_t now)
{
	pod->sandbox_ready = true;
	return sup_pod_update(pod, now);
}

int sup_pod_set_pod_ip(struct sup_pod *pod, const char *ip)
{
	return sup_set_str(&pod->pod_ip, ip);
}

int sup_container_started(struct sup_pod *pod, size_t i, const char *id, pid_t pid, int64_t now,
                          const struct sup_config *cfg)
{
	struct sup_container *c = container_at(pod, i);
	_cleanup_free_ char *cid = NULL;

	if (!c || !id || c->state == SUP_RUNNING)
		return -EINVAL;
	cid = strdupf("nanolet://%s", id);
	if (!cid)
		return -ENOMEM;

	begin_attempt(cfg, c, now);
	free(c->container_id);
	c->container_id = TAKE_PTR(cid);
	c->state = SUP_RUNNING;
	c->started_at = now;
	c->pid = pid;
	free(TAKE_PTR(c->reason));
	free(TAKE_PTR(c->message));
	c->latest_exited = false;
	c->restart_at = SUP_TIME_NONE;
	/* a new run: its probes start over from their initial results (worker.go: a new
	 * container ID), and the kubelet has not finished starting it while postStart runs */
	sup_probes_reset(c);
	c->post_start_pending = c->has_post_start;
	return sup_pod_update(pod, now);
}

int sup_container_post_start_done(struct sup_pod *pod, size_t i, int64_t now)
{
	struct sup_container *c = container_at(pod, i);

	if (!c || c->state != SUP_RUNNING || !c->post_start_pending)
		return -EINVAL;
	c->post_start_pending = false;
	return sup_pod_update(pod, now);
}

int sup_container_exited(struct sup_pod *pod, size_t i, const struct sup_exit *exit,
                         const struct sup_config *cfg)
{
	struct sup_container *c = container_at(pod, i);
	struct sup_terminated t;
	const char *reason;
	int r;

	if (!c || !exit || c->state != SUP_RUNNING)
		return -EINVAL;
	/* containerd's CRI: a reason it knows (OOMKilled) wins, else Completed for 0, Error. */
	reason = exit->reason ? exit->reason : exit->exit_code == 0 ? "Completed" : "Error";
	r = terminated_init(&t, exit->exit_code, exit->signal, reason, exit->message, c->started_at,
	                    exit->finished_at, c->container_id);
	if (r < 0)
		return r;
	r = ended(pod, c, &t, exit->finished_at, cfg);
	if (r < 0)
		return r;
	return sup_pod_update(pod, exit->finished_at);
}

int sup_container_start_failed(struct sup_pod *pod, size_t i, const char *id, const char *message,
                               int64_t now, const struct sup_config *cfg)
{
	struct sup_container *c = container_at(pod, i);
	_cleanup_free_ char *cid = NULL;
	struct sup_terminated t;
	int r;

	if (!c || !id || c->state == SUP_RUNNING)
		return -EINVAL;
	cid = strdupf("nanolet://%s", id);
	if (!cid)
		return -ENOMEM;
	/* containerd: exit code 128 like Docker, reason StartError, the error as message, the
	 * task never started so startedAt is the CRI's 0 (1970-01-01T00:00:00Z). */
	r = terminated_init(&t, 128, 0, "StartError", message, 0, now, cid);
	if (r < 0)
		return r;

	begin_attempt(cfg, c, now);
	free(c->container_id);
	c->container_id = TAKE_PTR(cid);
	r = ended(pod, c, &t, now, cfg);
	if (r < 0)
		return r;
	return sup_pod_update(pod, now);
}

int sup_container_not_created(struct sup_pod *pod, size_t i, const char *reason,
                              const char *message, int64_t now, const struct sup_config *cfg)
{
	struct sup_container *c = container_at(pod, i);
	int r;

	if (!c || c->state == SUP_RUNNING)
		return -EINVAL;
	/* doBackOff ran before the image and config checks, so a restart attempt still
	 * advanced the back-off; no container was created, so restartCount stays. */
	if (c->latest_exited)
		backoff_next(cfg, c, now);
	r = set_waiting(c, reason, message);
	if (r < 0)
		return r;
	/* The failed sync is retried after backOffPeriod; after an exit the back-off window
	 * (from the exit) must also have passed. */
	c->restart_at = now + cfg->sync_retry;
	if (c->latest_exited && c->exited_at + c->backoff > c->restart_at)
		c->restart_at = c->exited_at + c->backoff;
	return sup_pod_update(pod, now);
}

int sup_container_set_image(struct sup_pod *pod, size_t i, const char *image, const char *image_id)
{
	struct sup_container *c = container_at(pod, i);

	if (!c)
		return -EINVAL;
	if (sup_set_str(&c->image, image) < 0 || sup_set_str(&c->image_id, image_id) < 0)
		return -ENOMEM;
	return 0;
}

int sup_pod_shim_died(struct sup_pod *pod, int64_t now, const struct sup_config *cfg)
{
	return sup_pod_sandbox_lost(
	        pod, "The container could not be located when the pod was terminated", now, cfg);
}

int sup_pod_sandbox_lost(struct sup_pod *pod, const char *message, int64_t now,
                         const struct sup_config *cfg)
{
	for (size_t i = 0; i < pod->n_containers; i++) {
		struct sup_container *c = &pod->containers[i];
		struct sup_terminated t;
		int r;

		if (c->state != SUP_RUNNING)
			continue;
		/* convertToAPIContainerStatuses: a container that was running and can no longer
		 * be found. No times, no container ID, and the restart counted right away. */
		r = terminated_init(&t, 137, 0, "ContainerStatusUnknown", message, SUP_TIME_NONE,
		                    SUP_TIME_NONE, NULL);
		if (r < 0)
			return r;
		c->restart_count++;
		c->restart_counted = true;
		r = ended(pod, c, &t, now, cfg);
		if (r < 0)
			return r;
	}
	pod->sandbox_ready = false;
	return sup_pod_update(pod, now);
}

int sup_pod_delete(struct sup_pod *pod, int64_t now)
{
	pod->deleting = true;
	for (size_t i = 0; i < pod->n_containers; i++) {
		struct sup_container *c = &pod->containers[i];

		c->restart_at = SUP_TIME_NONE;
		/* The waiting reason of a container that ran is shown only while a restart will
		 * come (ShouldContainerBeRestarted is false once deleted): the latest termination
		 * is its state again. */
		if (c->state == SUP_WAITING && c->terminated.valid) {
			c->state = SUP_TERMINATED;
			free(TAKE_PTR(c->reason));
			free(TAKE_PTR(c->message));
		}
	}
	return sup_pod_update(pod, now);
}

/* ---- decisions ------------------------------------------------------------------------------ */

enum sup_action sup_container_next_action(const struct sup_pod *pod, size_t i, int64_t *not_before)
{
	const struct sup_container *c;

	if (!pod || i >= pod->n_containers || pod->deleting || pod->terminal)
		return SUP_ACTION_NONE;
	c = &pod->containers[i];
	if (c->state == SUP_RUNNING)
		return SUP_ACTION_NONE;
	/* Never created (or never got past its root filesystem): start it, whatever the policy. */
	if (c->terminated.valid &&
	    !sup_restart_allowed(pod->restart_policy, c->terminated.exit_code))
		return SUP_ACTION_NONE;
	if (not_before)
		*not_before = c->restart_at;
	return SUP_ACTION_START;
}
