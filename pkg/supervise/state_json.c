/* pkg/supervise/state_json.c: the supervisor's whole memory of a pod as JSON, and back, so that
 * a restarted daemon goes on where the old one stopped: restart counts, the CrashLoopBackOff
 * entry and its deadline, which attempt ran last (it names the exit record still to read), and
 * each condition's lastTransitionTime. PodStatus alone cannot carry that (it has no attempt
 * numbers and no back-off).
 *
 * Pure: JSON in, struct sup_pod out. Condition reasons and messages are not stored: they follow
 * from the rest and are recomputed on restore.
 */
#include "supervise_internal.h"

#include <string.h>

static json_t *terminated_state(const struct sup_terminated *t)
{
	if (!t->valid)
		return json_null();
	return json_pack("{s:i, s:i, s:s?, s:s?, s:I, s:I, s:s?}", "exitCode", (int)t->exit_code,
	                 "signal", (int)t->signal, "reason", t->reason, "message", t->message,
	                 "startedAt", (json_int_t)t->started_at, "finishedAt",
	                 (json_int_t)t->finished_at, "containerID", t->container_id);
}

static json_t *container_state(const struct sup_container *c)
{
	return json_pack("{s:s, s:i, s:s?, s:s?, s:I, s:i, s:o, s:o, s:i, s:s?, s:i, s:b, s:b, "
	                 "s:I, s:I, s:I, s:I, s:s?, s:s?}",
	                 "name", c->name, "state", (int)c->state, "reason", c->reason, "message",
	                 c->message, "startedAt", (json_int_t)c->started_at, "pid", (int)c->pid,
	                 "terminated", terminated_state(&c->terminated), "previous",
	                 terminated_state(&c->previous), "restartCount", (int)c->restart_count,
	                 "containerID", c->container_id, "attempts", (int)c->attempts,
	                 "restartCounted", c->restart_counted, "latestExited", c->latest_exited,
	                 "exitedAt", (json_int_t)c->exited_at, "backoff", (json_int_t)c->backoff,
	                 "backoffUpdated", (json_int_t)c->backoff_updated, "restartAt",
	                 (json_int_t)c->restart_at, "image", c->image, "imageID", c->image_id);
}

json_t *sup_pod_state_json(const struct sup_pod *pod)
{
	json_t *containers = json_array(), *conditions = json_array();

	for (size_t i = 0; containers && i < pod->n_containers; i++)
		if (json_array_append_new(containers, container_state(&pod->containers[i])) < 0)
			containers = (json_decref(containers), NULL);
	for (size_t i = 0; conditions && i < SUP_COND_COUNT; i++)
		if (json_array_append_new(
		            conditions,
		            json_pack("{s:b, s:I}", "status", pod->conditions[i].status, "since",
		                      (json_int_t)pod->conditions[i].last_transition_time)) < 0)
			conditions = (json_decref(conditions), NULL);
	if (!containers || !conditions) {
		json_decref(containers);
		json_decref(conditions);
		return NULL;
	}
	return json_pack("{s:I, s:b, s:b, s:b, s:i, s:o, s:o, s:s*}", "startTime",
	                 (json_int_t)pod->start_time, "sandboxReady", pod->sandbox_ready,
	                 "deleting", pod->deleting, "terminal", pod->terminal, "phase",
	                 (int)pod->phase, "conditions", conditions, "containers", containers,
	                 "podIP", pod->pod_ip);
}

static int64_t int_of(const json_t *o, const char *key, int64_t absent)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : absent;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int restore_terminated(struct sup_terminated *t, const json_t *o)
{
	sup_terminated_clear(t);
	if (!json_is_object(o))
		return 0;
	*t = (struct sup_terminated){
	        .valid = true,
	        .exit_code = (int32_t)int_of(o, "exitCode", 0),
	        .signal = (int32_t)int_of(o, "signal", 0),
	        .started_at = int_of(o, "startedAt", SUP_TIME_NONE),
	        .finished_at = int_of(o, "finishedAt", SUP_TIME_NONE),
	};
	if (sup_set_str(&t->reason, str_of(o, "reason")) < 0 ||
	    sup_set_str(&t->message, str_of(o, "message")) < 0 ||
	    sup_set_str(&t->container_id, str_of(o, "containerID")) < 0)
		return -ENOMEM;
	return 0;
}

static int restore_container(struct sup_container *c, const json_t *o)
{
	int64_t state = int_of(o, "state", SUP_WAITING);

	if (state < SUP_WAITING || state > SUP_TERMINATED)
		return -EINVAL;
	c->state = (enum sup_state)state;
	c->started_at = int_of(o, "startedAt", SUP_TIME_NONE);
	c->pid = (pid_t)int_of(o, "pid", 0);
	c->restart_count = (int32_t)int_of(o, "restartCount", 0);
	c->attempts = (int32_t)int_of(o, "attempts", 0);
	c->restart_counted = json_is_true(json_object_get(o, "restartCounted"));
	c->latest_exited = json_is_true(json_object_get(o, "latestExited"));
	c->exited_at = int_of(o, "exitedAt", SUP_TIME_NONE);
	c->backoff = int_of(o, "backoff", 0);
	c->backoff_updated = int_of(o, "backoffUpdated", SUP_TIME_NONE);
	c->restart_at = int_of(o, "restartAt", SUP_TIME_NONE);
	if (sup_set_str(&c->reason, str_of(o, "reason")) < 0 ||
	    sup_set_str(&c->message, str_of(o, "message")) < 0 ||
	    sup_set_str(&c->container_id, str_of(o, "containerID")) < 0 ||
	    (str_of(o, "image") && sup_set_str(&c->image, str_of(o, "image")) < 0) ||
	    sup_set_str(&c->image_id, str_of(o, "imageID")) < 0)
		return -ENOMEM;
	if (restore_terminated(&c->terminated, json_object_get(o, "terminated")) < 0 ||
	    restore_terminated(&c->previous, json_object_get(o, "previous")) < 0)
		return -ENOMEM;
	return 0;
}

int sup_pod_state_restore(struct sup_pod *pod, const json_t *state, int64_t now)
{
	const json_t *containers = json_object_get(state, "containers");
	const json_t *conditions = json_object_get(state, "conditions");
	int64_t phase = int_of(state, "phase", SUP_PHASE_PENDING);
	const json_t *c;
	size_t i;
	int r;

	if (!json_is_object(state) || !json_is_array(containers) || phase < SUP_PHASE_PENDING ||
	    phase > SUP_PHASE_FAILED)
		return -EINVAL;
	pod->start_time = int_of(state, "startTime", pod->start_time);
	pod->sandbox_ready = json_is_true(json_object_get(state, "sandboxReady"));
	pod->deleting = json_is_true(json_object_get(state, "deleting"));
	pod->terminal = json_is_true(json_object_get(state, "terminal"));
	pod->phase = (enum sup_phase)phase;
	if (sup_set_str(&pod->pod_ip, json_string_value(json_object_get(state, "podIP"))) < 0)
		return -ENOMEM;
	json_array_foreach(conditions, i, c)
	{
		if (i >= SUP_COND_COUNT)
			break;
		pod->conditions[i].status = json_is_true(json_object_get(c, "status"));
		pod->conditions[i].last_transition_time = int_of(c, "since", SUP_TIME_NONE);
	}
	/* by name: a container the state does not know keeps what sup_pod_new gave it */
	json_array_foreach(containers, i, c)
	{
		int k = str_of(c, "name") ? sup_pod_find(pod, str_of(c, "name")) : -ENOENT;

		if (k < 0)
			continue;
		r = restore_container(&pod->containers[k], c);
		if (r < 0)
			return r;
	}
	return sup_pod_update(pod, now);
}
