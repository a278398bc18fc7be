/* pkg/supervise/status_json.c: the pod's status as the core/v1 PodStatus object the API
 * server would return, fields in the order of the Go structs (jansson keeps insertion order),
 * times in RFC 3339 at whole seconds.
 *
 * Pure: reads struct sup_pod, allocates JSON, nothing else. The RFC 3339 formatter is private
 * to this package and small, so that a util_rfc3339 can replace it.
 */
#include "supervise_internal.h"

#include <time.h>

/* A metav1.Time: its zero value prints as null. */
static json_t *time_json(int64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)t};
	char buf[UTIL_RFC3339_SIZE];

	if (t == SUP_TIME_NONE)
		return json_null();
	if (util_rfc3339(buf, sizeof(buf), &ts, false) < 0)
		return json_string("1970-01-01T00:00:00Z"); /* outside years 0000-9999 */
	return json_string(buf);
}

/* json_object_set_new that keeps going after a failure; the caller checks *ok once. */
static void set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		*ok = false;
}

/* An omitempty string. */
static void set_str(json_t *o, const char *key, const char *s, bool *ok)
{
	if (s && s[0])
		set(o, key, json_string(s), ok);
}

/* ContainerStateTerminated: exitCode, signal, reason, message, startedAt, finishedAt,
 * containerID. */
static json_t *terminated_json(const struct sup_terminated *t)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!o)
		return NULL;
	set(o, "exitCode", json_integer(t->exit_code), &ok);
	if (t->signal != 0)
		set(o, "signal", json_integer(t->signal), &ok);
	set_str(o, "reason", t->reason, &ok);
	set_str(o, "message", t->message, &ok);
	set(o, "startedAt", time_json(t->started_at), &ok);
	set(o, "finishedAt", time_json(t->finished_at), &ok);
	set_str(o, "containerID", t->container_id, &ok);
	if (!ok)
		return json_decref(o), NULL;
	return o;
}

static json_t *state_json(const struct sup_container *c)
{
	json_t *o = json_object(), *inner = NULL;
	bool ok = o != NULL;

	if (!o)
		return NULL;
	switch (c->state) {
	case SUP_RUNNING:
		if (c->post_start_pending) {
			/* the kubelet has not finished starting it: its postStart hook runs */
			inner = json_pack("{s:s}", "reason", "ContainerCreating");
			set(o, "waiting", inner, &ok);
			break;
		}
		inner = json_object();
		if (inner)
			set(inner, "startedAt", time_json(c->started_at), &ok);
		set(o, "running", inner, &ok);
		break;
	case SUP_WAITING:
		inner = json_object();
		ok = inner != NULL;
		if (inner) {
			set_str(inner, "reason", c->reason, &ok);
			set_str(inner, "message", c->message, &ok);
		}
		set(o, "waiting", inner, &ok);
		break;
	case SUP_TERMINATED:
		set(o, "terminated", terminated_json(&c->terminated), &ok);
		break;
	}
	if (!ok)
		return json_decref(o), NULL;
	return o;
}

/* lastState: the termination before the current state, {} when none. */
static json_t *last_state_json(const struct sup_container *c)
{
	const struct sup_terminated *t = c->state == SUP_TERMINATED ? &c->previous : &c->terminated;
	json_t *o = json_object();
	bool ok = o != NULL;

	if (o && t->valid)
		set(o, "terminated", terminated_json(t), &ok);
	if (!ok)
		return json_decref(o), NULL;
	return o;
}

/* ContainerStatus: name, state, lastState, ready, restartCount, image, imageID, containerID,
 * started. */
static json_t *container_json(const struct sup_container *c)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!o)
		return NULL;
	set(o, "name", json_string(c->name), &ok);
	set(o, "state", state_json(c), &ok);
	set(o, "lastState", last_state_json(c), &ok);
	set(o, "ready", json_boolean(c->ready), &ok);
	set(o, "restartCount", json_integer(c->restart_count), &ok);
	set(o, "image", json_string(c->image ? c->image : ""), &ok);
	set(o, "imageID", json_string(c->image_id ? c->image_id : ""), &ok);
	set_str(o, "containerID", c->container_id, &ok);
	set(o, "started", json_boolean(c->started), &ok);
	if (!ok)
		return json_decref(o), NULL;
	return o;
}

/* PodCondition: type, status, lastProbeTime (null: the kubelet never sets it), lastTransitionTime,
 * reason, message. */
static json_t *condition_json(const struct sup_pod *pod, enum sup_condition_type type)
{
	const struct sup_condition *c = &pod->conditions[type];
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!o)
		return NULL;
	set(o, "type", json_string(sup_condition_type_name(type)), &ok);
	set(o, "status", json_string(c->status ? "True" : "False"), &ok);
	set(o, "lastProbeTime", json_null(), &ok);
	set(o, "lastTransitionTime", time_json(c->last_transition_time), &ok);
	set_str(o, "reason", c->reason, &ok);
	set_str(o, "message", c->message, &ok);
	if (!ok)
		return json_decref(o), NULL;
	return o;
}

/* PodStatus: phase, conditions, hostIP, hostIPs, podIP, podIPs, startTime, containerStatuses,
 * qosClass. */
json_t *sup_pod_status_json(const struct sup_pod *pod)
{
	json_t *o = json_object(), *conditions = json_array(), *statuses = json_array();
	bool ok = o && conditions && statuses;

	if (!ok) {
		json_decref(o);
		json_decref(conditions);
		json_decref(statuses);
		return NULL;
	}
	for (size_t i = 0; i < SUP_COND_COUNT; i++) {
		json_t *c = condition_json(pod, i);

		if (!c || json_array_append_new(conditions, c) < 0)
			ok = false;
	}
	for (size_t i = 0; i < pod->n_containers; i++) {
		json_t *c = container_json(&pod->containers[i]);

		if (!c || json_array_append_new(statuses, c) < 0)
			ok = false;
	}

	set(o, "phase", json_string(sup_phase_name(pod->phase)), &ok);
	set(o, "conditions", conditions, &ok);
	if (pod->host_ip && pod->host_ip[0]) {
		set(o, "hostIP", json_string(pod->host_ip), &ok);
		set(o, "hostIPs", json_pack("[{s:s}]", "ip", pod->host_ip), &ok);
	}
	if (pod->pod_ip && pod->pod_ip[0]) {
		set(o, "podIP", json_string(pod->pod_ip), &ok);
		set(o, "podIPs", json_pack("[{s:s}]", "ip", pod->pod_ip), &ok);
	}
	set(o, "startTime", time_json(pod->start_time), &ok);
	set(o, "containerStatuses", statuses, &ok);
	set(o, "qosClass", json_string(spec_qos_name(pod->qos)), &ok);
	if (!ok)
		return json_decref(o), NULL;
	return o;
}
