/* pkg/supervise/probe.c: liveness, readiness and startup probes as the kubelet's prober workers
 * decide them (pkg/kubelet/prober/worker.go doProbe, prober_manager.go UpdatePodStatus), as pure
 * state: when a check is to be made, what a check's result does to the result the kubelet keeps
 * (thresholds), and what follows for the container's started and ready.
 *
 * It runs no check and keeps no time: the daemon makes the checks (daemon/pods/probes.c), on
 * its clock, and feeds each result in with the time it ended.
 *
 * Left out: the kubelet's random delay before a worker's first check (up to periodSeconds, when
 * the kubelet itself has just started) and the manual readiness run it triggers when a status
 * is asked for while the first check is still to come.
 */
#include "supervise_internal.h"

static void probe_init(struct sup_probe *p, const struct spec_probe *spec)
{
	*p = (struct sup_probe){0};
	if (!spec)
		return;
	p->defined = true;
	p->initial_delay = spec->initial_delay_seconds > 0 ? spec->initial_delay_seconds : 0;
	/* the API server's defaults, for a spec built without them */
	p->period = spec->period_seconds > 0 ? spec->period_seconds : 10;
	p->timeout = spec->timeout_seconds > 0 ? spec->timeout_seconds : 1;
	p->success_threshold = spec->success_threshold > 0 ? (int32_t)spec->success_threshold : 1;
	p->failure_threshold = spec->failure_threshold > 0 ? (int32_t)spec->failure_threshold : 3;
}

void sup_probes_init(struct sup_container *c, const struct spec_container *spec)
{
	probe_init(&c->probes[SUP_PROBE_LIVENESS], spec->liveness_probe);
	probe_init(&c->probes[SUP_PROBE_READINESS], spec->readiness_probe);
	probe_init(&c->probes[SUP_PROBE_STARTUP], spec->startup_probe);
	c->has_post_start = spec->post_start != NULL;
	sup_probes_reset(c);
}

/* A new run (a new container ID for the kubelet's worker): the results manager gets the
 * worker's initial value again and the hold ends. The run of equal results starts over too:
 * the kubelet's worker keeps it across containers, which lets a readiness run of the old
 * container count for the new one; here every run is judged on its own checks. */
void sup_probes_reset(struct sup_container *c)
{
	static const enum sup_probe_result initial[SUP_PROBE_KINDS] = {
	        [SUP_PROBE_LIVENESS] = SUP_PROBE_SUCCESS,
	        [SUP_PROBE_READINESS] = SUP_PROBE_FAILURE,
	        [SUP_PROBE_STARTUP] = SUP_PROBE_UNKNOWN,
	};

	for (size_t k = 0; k < SUP_PROBE_KINDS; k++) {
		struct sup_probe *p = &c->probes[k];

		p->result = initial[k];
		p->last = SUP_PROBE_UNKNOWN;
		p->run = 0;
		p->on_hold = false;
	}
}

/* UpdatePodStatus: started once running with no startup probe or one that succeeded; ready
 * only when started, and then with no readiness probe or one that succeeded. A container whose
 * postStart hook still runs has not been started by the kubelet yet. */
void sup_probes_status(struct sup_container *c)
{
	const struct sup_probe *startup = &c->probes[SUP_PROBE_STARTUP];
	const struct sup_probe *readiness = &c->probes[SUP_PROBE_READINESS];
	bool running = c->state == SUP_RUNNING && !c->post_start_pending;

	c->started = running && (!startup->defined || startup->result == SUP_PROBE_SUCCESS);
	c->ready = c->started && (!readiness->defined || readiness->result == SUP_PROBE_SUCCESS);
}

const char *sup_probe_kind_name(enum sup_probe_kind kind)
{
	switch (kind) {
	case SUP_PROBE_LIVENESS:
		return "Liveness";
	case SUP_PROBE_READINESS:
		return "Readiness";
	case SUP_PROBE_STARTUP:
		return "Startup";
	case SUP_PROBE_KINDS:
		break;
	}
	return "Unknown";
}

bool sup_probe_wanted(const struct sup_pod *pod, size_t i, enum sup_probe_kind kind, int64_t now)
{
	const struct sup_container *c;
	const struct sup_probe *p;

	if (!pod || i >= pod->n_containers || (unsigned)kind >= SUP_PROBE_KINDS)
		return false;
	c = &pod->containers[i];
	p = &c->probes[kind];
	if (!p->defined || c->state != SUP_RUNNING || c->post_start_pending || p->on_hold)
		return false;
	/* graceful shutdown: liveness and startup stop, readiness goes on */
	if (pod->deleting && kind != SUP_PROBE_READINESS)
		return false;
	if (now - c->started_at < p->initial_delay)
		return false;
	/* startup runs until the container started; the others only after */
	return c->started ? kind != SUP_PROBE_STARTUP : kind == SUP_PROBE_STARTUP;
}

int sup_probe_result(struct sup_pod *pod, size_t i, enum sup_probe_kind kind, bool success,
                     int64_t now)
{
	enum sup_probe_result result = success ? SUP_PROBE_SUCCESS : SUP_PROBE_FAILURE;
	enum sup_probe_outcome outcome = SUP_PROBE_SET;
	struct sup_container *c;
	struct sup_probe *p;
	int r;

	if (!pod || i >= pod->n_containers || (unsigned)kind >= SUP_PROBE_KINDS)
		return -EINVAL;
	c = &pod->containers[i];
	p = &c->probes[kind];
	/* a check on hold was not to be made (sup_probe_wanted): it counts for nothing */
	if (!p->defined || c->state != SUP_RUNNING || p->on_hold)
		return -EINVAL;

	if (p->last == result) {
		p->run++;
	} else {
		p->last = result;
		p->run = 1;
	}
	/* below the threshold the kept result stays what it was */
	if ((result == SUP_PROBE_FAILURE && p->run < p->failure_threshold) ||
	    (result == SUP_PROBE_SUCCESS && p->run < p->success_threshold))
		return SUP_PROBE_KEPT;
	p->result = result;
	if (kind != SUP_PROBE_READINESS && result == SUP_PROBE_FAILURE) {
		/* the container is to be restarted: no check until a new run */
		p->on_hold = true;
		p->run = 0;
		outcome = SUP_PROBE_RESTART;
	}
	r = sup_pod_update(pod, now);
	if (r < 0)
		return r;
	return outcome;
}
