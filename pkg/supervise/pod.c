/* pkg/supervise/pod.c: the pod as a whole — creating and freeing the model, the kubelet's
 * getPhase, terminal phases that never change, and the kubelet-owned conditions with their
 * lastTransitionTime.
 *
 * Pure: times come in as parameters. Container events live in container.c, JSON in
 * status_json.c.
 */
#include "supervise_internal.h"

#include <string.h>

int sup_set_str(char **dst, const char *src)
{
	char *s = NULL;

	if (src) {
		s = strdup(src);
		if (!s)
			return -ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

void sup_terminated_clear(struct sup_terminated *t)
{
	free(t->reason);
	free(t->message);
	free(t->container_id);
	*t = (struct sup_terminated){.started_at = SUP_TIME_NONE, .finished_at = SUP_TIME_NONE};
}

/* ---- names ---------------------------------------------------------------------------------- */

const char *sup_phase_name(enum sup_phase phase)
{
	switch (phase) {
	case SUP_PHASE_PENDING:
		return "Pending";
	case SUP_PHASE_RUNNING:
		return "Running";
	case SUP_PHASE_SUCCEEDED:
		return "Succeeded";
	case SUP_PHASE_FAILED:
		return "Failed";
	}
	return "Unknown";
}

const char *sup_condition_type_name(enum sup_condition_type type)
{
	static const char *const names[SUP_COND_COUNT] = {
	        [SUP_COND_POD_READY_TO_START_CONTAINERS] = "PodReadyToStartContainers",
	        [SUP_COND_INITIALIZED] = "Initialized",
	        [SUP_COND_READY] = "Ready",
	        [SUP_COND_CONTAINERS_READY] = "ContainersReady",
	        [SUP_COND_POD_SCHEDULED] = "PodScheduled",
	};

	return (unsigned)type < SUP_COND_COUNT ? names[type] : "Unknown";
}

const char *sup_state_name(enum sup_state state)
{
	switch (state) {
	case SUP_WAITING:
		return "waiting";
	case SUP_RUNNING:
		return "running";
	case SUP_TERMINATED:
		return "terminated";
	}
	return "unknown";
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static void container_clear(struct sup_container *c)
{
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->reason);
	free(c->message);
	free(c->container_id);
	sup_terminated_clear(&c->terminated);
	sup_terminated_clear(&c->previous);
}

struct sup_pod *sup_pod_free(struct sup_pod *pod)
{
	if (!pod)
		return NULL;
	for (size_t i = 0; i < pod->n_containers; i++)
		container_clear(&pod->containers[i]);
	free(pod->containers);
	for (size_t i = 0; i < SUP_COND_COUNT; i++)
		free(pod->conditions[i].message);
	free(pod->name);
	free(pod->namespace);
	free(pod->uid);
	free(pod->host_ip);
	free(pod->pod_ip);
	free(pod);
	return NULL;
}

int sup_pod_new(const struct spec_pod *spec, const char *host_ip, int64_t now, struct sup_pod **out)
{
	_cleanup_sup_pod_ struct sup_pod *pod = NULL;
	int r;

	pod = calloc(1, sizeof(*pod));
	if (!pod)
		return -ENOMEM;
	pod->containers =
	        calloc(spec->n_containers ? spec->n_containers : 1, sizeof(*pod->containers));
	if (!pod->containers)
		return -ENOMEM;
	if (sup_set_str(&pod->name, spec->name) < 0 ||
	    sup_set_str(&pod->namespace, spec->namespace) < 0 ||
	    sup_set_str(&pod->uid, spec->uid ? spec->uid : "") < 0 ||
	    sup_set_str(&pod->host_ip, host_ip) < 0)
		return -ENOMEM;
	pod->restart_policy = spec->restart_policy;
	pod->qos = spec_pod_qos(spec);
	/* The status manager sets startTime the first time it sees the pod. */
	pod->start_time = now;
	pod->phase = SUP_PHASE_PENDING;
	for (size_t i = 0; i < SUP_COND_COUNT; i++)
		pod->conditions[i].last_transition_time = SUP_TIME_NONE;

	for (size_t i = 0; i < spec->n_containers; i++) {
		struct sup_container *c = &pod->containers[i];

		pod->n_containers++;
		sup_terminated_clear(&c->terminated);
		sup_terminated_clear(&c->previous);
		c->state = SUP_WAITING;
		c->started_at = SUP_TIME_NONE;
		c->exited_at = SUP_TIME_NONE;
		c->backoff_updated = SUP_TIME_NONE;
		c->restart_at = now;
		sup_probes_init(c, &spec->containers[i]);
		/* convertToAPIContainerStatuses' default waiting state (no init containers). */
		if (sup_set_str(&c->name, spec->containers[i].name) < 0 ||
		    sup_set_str(&c->image, spec->containers[i].image) < 0 ||
		    sup_set_str(&c->reason, "ContainerCreating") < 0)
			return -ENOMEM;
	}

	r = sup_pod_update(pod, now);
	if (r < 0)
		return r;
	*out = TAKE_PTR(pod);
	return 0;
}

int sup_pod_find(const struct sup_pod *pod, const char *name)
{
	for (size_t i = 0; i < pod->n_containers; i++)
		if (strcmp(pod->containers[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

/* ---- phase ---------------------------------------------------------------------------------- */

static bool phase_terminal(enum sup_phase phase)
{
	return phase == SUP_PHASE_SUCCEEDED || phase == SUP_PHASE_FAILED;
}

/* getPhase (kubelet_pods.go) without init containers and with the ContainerRestartRules gate
 * off, its default. Every container has a status here, so the kubelet's "unknown" is 0. */
enum sup_phase sup_phase_compute(enum spec_restart_policy policy, const struct sup_container *cs,
                                 size_t n, bool pod_is_terminal)
{
	size_t running = 0, waiting = 0, stopped = 0, succeeded = 0;

	for (size_t i = 0; i < n; i++) {
		switch (cs[i].state) {
		case SUP_RUNNING:
			/* its postStart hook still runs: the kubelet's status is still the one from
			 * before the start (below, as waiting) */
			if (!cs[i].post_start_pending) {
				running++;
				break;
			}
			/* fall through */
		case SUP_WAITING:
			/* Waiting with a lastState (backing off, or retrying after an exit) counts
			 * as stopped, and not as succeeded whatever its exit code: a container
			 * that never ran is what keeps a pod Pending. */
			if (cs[i].terminated.valid)
				stopped++;
			else
				waiting++;
			break;
		case SUP_TERMINATED:
			stopped++;
			if (cs[i].terminated.exit_code == 0)
				succeeded++;
			break;
		}
	}

	if (waiting > 0)
		return SUP_PHASE_PENDING;
	if (running > 0)
		return SUP_PHASE_RUNNING;
	if (stopped == 0)
		return SUP_PHASE_PENDING;
	/* The pod is terminal, so its containers won't be restarted whatever the policy. */
	if (pod_is_terminal)
		return stopped == succeeded ? SUP_PHASE_SUCCEEDED : SUP_PHASE_FAILED;
	if (policy == SPEC_RESTART_ALWAYS)
		return SUP_PHASE_RUNNING; /* all of them are in the process of restarting */
	if (stopped == succeeded)
		return SUP_PHASE_SUCCEEDED;
	if (policy == SPEC_RESTART_NEVER)
		return SUP_PHASE_FAILED;
	return SUP_PHASE_RUNNING; /* OnFailure: at least one failed and is restarting */
}

/* ---- conditions ----------------------------------------------------------------------------- */

/* updateLastTransitionTime (status_manager.go): the time moves only when the status flips;
 * a new reason or message alone keeps it. */
static int set_condition(struct sup_pod *pod, enum sup_condition_type type, bool status,
                         const char *reason, const char *message, int64_t now)
{
	struct sup_condition *c = &pod->conditions[type];

	if (c->last_transition_time == SUP_TIME_NONE || c->status != status)
		c->last_transition_time = now;
	c->status = status;
	c->reason = reason;
	return sup_set_str(&c->message, message);
}

/* "containers with unready status: [a b]", as Go prints a []string with %s. */
static char *unready_message(const struct sup_pod *pod)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_free_ char *joined = NULL;

	for (size_t i = 0; i < pod->n_containers; i++)
		if (!pod->containers[i].ready &&
		    strv_pushf(&names, "%s", pod->containers[i].name) < 0)
			return NULL;
	if (!names)
		return strdup("");
	joined = strv_join(names, " ");
	if (!joined)
		return NULL;
	return strdupf("containers with unready status: [%s]", joined);
}

/* generate.go: GenerateContainersReadyCondition and GeneratePodReadyCondition (no readiness
 * gates, so Ready repeats ContainersReady), GeneratePodInitializedCondition (no init
 * containers), GeneratePodReadyToStartContainersCondition (a ready sandbox), and PodScheduled,
 * which the kubelet always sets True. */
static int update_conditions(struct sup_pod *pod, int64_t now)
{
	_cleanup_free_ char *message = NULL;
	const char *reason = NULL;
	bool ready = false;
	int r;

	if (pod->phase == SUP_PHASE_SUCCEEDED) {
		reason = "PodCompleted";
	} else if (pod->phase == SUP_PHASE_FAILED) {
		reason = "PodFailed";
	} else {
		message = unready_message(pod);
		if (!message)
			return -ENOMEM;
		if (message[0] == '\0') {
			ready = true;
			free(TAKE_PTR(message));
		} else {
			reason = "ContainersNotReady";
		}
	}

	r = set_condition(pod, SUP_COND_POD_READY_TO_START_CONTAINERS, pod->sandbox_ready, NULL,
	                  NULL, now);
	if (r >= 0)
		r = set_condition(pod, SUP_COND_INITIALIZED, true,
		                  pod->phase == SUP_PHASE_SUCCEEDED ? "PodCompleted" : NULL, NULL,
		                  now);
	if (r >= 0)
		r = set_condition(pod, SUP_COND_READY, ready, reason, message, now);
	if (r >= 0)
		r = set_condition(pod, SUP_COND_CONTAINERS_READY, ready, reason, message, now);
	if (r >= 0)
		r = set_condition(pod, SUP_COND_POD_SCHEDULED, true, NULL, NULL, now);
	return r;
}

int sup_pod_update(struct sup_pod *pod, int64_t now)
{
	enum sup_phase phase;
	size_t running = 0;
	bool terminal;

	for (size_t i = 0; i < pod->n_containers; i++) {
		struct sup_container *c = &pod->containers[i];

		sup_probes_status(c);
		if (c->state == SUP_RUNNING)
			running++;
	}

	/* The pod worker calls a pod terminal once deletion was requested and nothing runs. */
	terminal = pod->terminal || (pod->deleting && running == 0);
	phase = sup_phase_compute(pod->restart_policy, pod->containers, pod->n_containers,
	                          terminal);
	/* generateAPIPodStatus: pods are not allowed to transition out of terminal phases. */
	if (phase_terminal(pod->phase))
		phase = pod->phase;
	pod->phase = phase;
	pod->terminal = terminal || phase_terminal(phase);
	return update_conditions(pod, now);
}
