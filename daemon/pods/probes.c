/* daemon/pods/probes.c: the probes and lifecycle hooks of a pod's running containers (probes.h),
 * as the kubelet's prober workers and handler runner do them, on the pod clock: nothing here
 * waits. Each probe of a running container is a worker: a timer whose first tick comes
 * initialDelaySeconds after the run started and then every periodSeconds (a tick that finds
 * its check still running is dropped, as the kubelet's ticker drops it); each tick asks
 * pkg/supervise whether a check is wanted (startup gating, the hold after a liveness kill),
 * starts it through env->opt.checks, and feeds its result back, which decides ready, started
 * and a kill. postStart runs when a run with one starts (the run shows ContainerCreating until
 * it ends); preStop when lifecycle.c's graceful stop asks (env->pre_stop), cut short at the
 * end of the grace.
 *
 * The checks themselves (a process in the container, a connection into the pod) are behind
 * pods/pod_checks.h; a sleep handler is a timer here. It kills and signals nothing itself:
 * lifecycle.c does (pod_kill_container, pod_pre_stop_done).
 */
#include <inttypes.h>
#include <string.h>

#include "pods/probes.h"

/* One probe of one container: the run it follows, its next tick, the check in flight. */
struct probe_worker {
	struct pod *pod;
	size_t container;
	enum sup_probe_kind kind;
	int32_t run; /* the run (sup attempts - 1) it follows; -1: none */
	struct pod_timer *timer;
	struct pod_check *check;
};

/* A lifecycle hook of one container's run in flight: a check, or a sleep's timer; a preStop
 * also has its deadline's timer. */
struct pod_hook {
	struct pod *pod;
	size_t container;
	bool pre_stop;
	int32_t run;
	struct pod_check *check;
	struct pod_timer *sleep;
	struct pod_timer *deadline;
};

struct pod_probes {
	size_t n;                     /* containers */
	struct probe_worker *workers; /* n * SUP_PROBE_KINDS */
	struct pod_hook *post_start;  /* one per container */
	struct pod_hook *pre_stop;
};

static const struct spec_probe *probe_spec(const struct pod *pod, size_t i,
                                           enum sup_probe_kind kind)
{
	const struct spec_container *c = &pod->spec->containers[i];

	switch (kind) {
	case SUP_PROBE_LIVENESS:
		return c->liveness_probe;
	case SUP_PROBE_READINESS:
		return c->readiness_probe;
	case SUP_PROBE_STARTUP:
		return c->startup_probe;
	case SUP_PROBE_KINDS:
		break;
	}
	return NULL;
}

static const struct pod_check_ops *checks(const struct pod *pod)
{
	return pod->env->opt.checks;
}

static int probes_alloc(struct pod *pod)
{
	struct pod_probes *p;
	size_t n = pod->sup->n_containers;

	if (pod->probes)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = n;
	p->workers = calloc(n * SUP_PROBE_KINDS + 1, sizeof(*p->workers));
	p->post_start = calloc(n + 1, sizeof(*p->post_start));
	p->pre_stop = calloc(n + 1, sizeof(*p->pre_stop));
	if (!p->workers || !p->post_start || !p->pre_stop) {
		free(p->workers);
		free(p->post_start);
		free(p->pre_stop);
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < SUP_PROBE_KINDS; k++)
			p->workers[i * SUP_PROBE_KINDS + k] =
			        (struct probe_worker){.pod = pod,
			                              .container = i,
			                              .kind = (enum sup_probe_kind)k,
			                              .run = -1};
		p->post_start[i] = (struct pod_hook){.pod = pod, .container = i, .run = -1};
		p->pre_stop[i] =
		        (struct pod_hook){.pod = pod, .container = i, .pre_stop = true, .run = -1};
	}
	pod->probes = p;
	return 0;
}

/* ---- probes ---------------------------------------------------------------------------------- */

static void worker_stop(struct probe_worker *w)
{
	pods_timer_cancel(w->pod->env, &w->timer);
	if (w->check)
		checks(w->pod)->cancel(w->check);
	w->check = NULL;
	w->run = -1;
}

static void on_tick(void *userdata);

static void worker_arm(struct probe_worker *w, uint64_t usec)
{
	int r = pods_timer_at(w->pod->env, &w->timer, CLOCK_REALTIME, usec, on_tick, w);

	if (r < 0)
		log_error("pod %s: %s probe timer: %s", w->pod->spec->name,
		          sup_probe_kind_name(w->kind), strerror(-r));
}

/* Whether container i's status (started, ready) or a condition changed since before. */
static bool status_changed(const struct sup_pod *sup, size_t i, bool started, bool ready,
                           bool pod_ready)
{
	return sup->containers[i].started != started || sup->containers[i].ready != ready ||
	       sup->conditions[SUP_COND_READY].status != pod_ready;
}

/* A liveness or startup probe failed past its threshold: the kubelet's computePodActions kills
 * the container, with the probe's own terminationGracePeriodSeconds when it has one. */
static void probe_kill(struct pod *pod, size_t i, enum sup_probe_kind kind)
{
	const struct spec_probe *spec = probe_spec(pod, i, kind);
	const char *name = pod->sup->containers[i].name;
	int64_t grace = pod->spec->termination_grace_period_seconds;

	if (spec && spec->termination_grace_period_seconds != SPEC_UNSET)
		grace = spec->termination_grace_period_seconds;
	pod_event(pod, name, "Normal", "Killing", "Container %s failed %s probe%s", name,
	          kind == SUP_PROBE_LIVENESS ? "liveness" : "startup",
	          pod->spec->restart_policy != SPEC_RESTART_NEVER ? ", will be restarted" : "");
	pod_kill_container(pod, i, grace);
}

static void on_probe_done(void *userdata, const struct pod_check_end *end)
{
	struct probe_worker *w = userdata;
	struct pod *pod = w->pod;
	size_t i = w->container;
	const struct sup_container *sc = &pod->sup->containers[i];
	const char *kind = sup_probe_kind_name(w->kind);
	bool started = sc->started, ready = sc->ready;
	bool pod_ready = pod->sup->conditions[SUP_COND_READY].status;
	int r;

	w->check = NULL;
	switch (end->status) {
	case POD_CHECK_ERROR:
		/* prober.go: an error is reported, and the worker throws the result away */
		pod_event(pod, sc->name, "Warning", "Unhealthy",
		          "%s probe errored and resulted in unknown state: %s", kind, end->output);
		return;
	case POD_CHECK_FAILURE:
		pod_event(pod, sc->name, "Warning", "Unhealthy", "%s probe failed: %s", kind,
		          end->output);
		break;
	case POD_CHECK_WARNING:
		pod_event(pod, sc->name, "Warning", "ProbeWarning", "%s probe warning: %s", kind,
		          end->output);
		break;
	case POD_CHECK_SUCCESS:
		break;
	}
	r = sup_probe_result(pod->sup, i, w->kind, end->status != POD_CHECK_FAILURE,
	                     pods_now(pod->env));
	if (r < 0) {
		if (r == -ENOMEM)
			log_error("pod %s: out of memory", pod->spec->name);
		return;
	}
	if (status_changed(pod->sup, i, started, ready, pod_ready))
		pod_persist(pod);
	if (r == SUP_PROBE_RESTART)
		probe_kill(pod, i, w->kind);
}

static void on_tick(void *userdata)
{
	struct probe_worker *w = userdata;
	struct pod *pod = w->pod;
	const struct spec_probe *spec = probe_spec(pod, w->container, w->kind);
	uint64_t now = pods_clock(pod->env, CLOCK_REALTIME);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r;

	/* the next tick first: a period from this one, whatever the check takes */
	worker_arm(w, now + (uint64_t)pod->sup->containers[w->container].probes[w->kind].period *
	                              1000000);
	if (w->check || !checks(pod) ||
	    !sup_probe_wanted(pod->sup, w->container, w->kind, pods_now(pod->env)))
		return;
	r = checks(pod)->start(
	        pod->env->opt.checks_ctx, pod, w->container, &spec->handler,
	        (uint64_t)pod->sup->containers[w->container].probes[w->kind].timeout * 1000000,
	        on_probe_done, w, &w->check, &err);
	if (r < 0) {
		/* prober.go: reported, and the result thrown away */
		w->check = NULL;
		pod_event(pod, pod->sup->containers[w->container].name, "Warning", "Unhealthy",
		          "%s probe errored and resulted in unknown state: %s",
		          sup_probe_kind_name(w->kind), err.message ? err.message : strerror(-r));
	}
}

/* ---- hooks ------------------------------------------------------------------------------------
 */

/* Go's %q of s, as the kubelet's hook messages quote the command's output. */
static char *go_quote(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 4 + 3), *p = out;

	if (!out)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c == '\n') {
			p = stpcpy(p, "\\n");
		} else if (c == '\t') {
			p = stpcpy(p, "\\t");
		} else if (c == '\r') {
			p = stpcpy(p, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			p += sprintf(p, "\\x%02x", c);
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* handlers.go's words for a hook that failed. */
static char *hook_message(const struct pod *pod, size_t i, const struct spec_handler *h,
                          const struct pod_check_end *end)
{
	_cleanup_free_ char *command = NULL, *quoted = NULL;
	const char *name = pod->sup->containers[i].name;

	if (h->type == SPEC_HANDLER_HTTP_GET)
		return strdupf("HTTP lifecycle hook (%s) for Container \"%s\" in Pod \"%s_%s(%s)\" "
		               "failed - error: %s",
		               h->path ? h->path : "", name, pod->spec->name, pod->spec->namespace,
		               pod->uid, end->error ? end->error : end->output);
	/* Go prints a []string with %v as [a b c] */
	command = h->command ? strv_join(h->command, " ") : strdup("");
	quoted = go_quote(end->output ? end->output : "");
	if (!command || !quoted)
		return NULL;
	return strdupf("Exec lifecycle hook ([%s]) for Container \"%s\" in Pod \"%s_%s(%s)\" "
	               "failed - error: %s, message: %s",
	               command, name, pod->spec->name, pod->spec->namespace, pod->uid,
	               end->error ? end->error : end->output, quoted);
}

static void hook_stop(struct pod_hook *hook)
{
	struct pod_env *env = hook->pod->env;

	if (hook->check)
		checks(hook->pod)->cancel(hook->check);
	hook->check = NULL;
	pods_timer_cancel(env, &hook->sleep);
	pods_timer_cancel(env, &hook->deadline);
}

static const struct spec_handler *hook_handler(const struct pod_hook *hook)
{
	const struct spec_container *c = &hook->pod->spec->containers[hook->container];

	return hook->pre_stop ? c->pre_stop : c->post_start;
}

/* The hook ended (end NULL: cut short at its deadline). */
static void hook_ended(struct pod_hook *hook, const struct pod_check_end *end)
{
	struct pod *pod = hook->pod;
	size_t i = hook->container;
	const char *name = pod->sup->containers[i].name;
	_cleanup_free_ char *message = NULL;
	bool failed = end && (end->status == POD_CHECK_FAILURE || end->status == POD_CHECK_ERROR);

	hook_stop(hook); /* a check cut short at the deadline is cancelled */
	if (failed) {
		message = hook_message(pod, i, hook_handler(hook), end);
		pod_event(pod, name, "Warning",
		          hook->pre_stop ? "FailedPreStopHook" : "FailedPostStartHook", "%s",
		          message ? message : "lifecycle hook failed");
	}
	if (hook->pre_stop) {
		if (!end)
			log_info("pod %s/%s: container %s: preStop hook not completed in grace "
			         "period",
			         pod->spec->namespace, pod->spec->name, name);
		return pod_pre_stop_done(pod, i);
	}
	/* postStart: the kubelet's start of the container is over either way; a failure kills
	 * it (killContainer with the pod's grace, its preStop included) */
	if (sup_container_post_start_done(pod->sup, i, pods_now(pod->env)) >= 0)
		pod_persist(pod);
	if (failed)
		pod_kill_container(pod, i, pod->spec->termination_grace_period_seconds);
	/* the probes begin now, their initial delay counted from the run's start */
	pod_probes_sync(pod);
}

static void on_hook_done(void *userdata, const struct pod_check_end *end)
{
	struct pod_hook *hook = userdata;

	hook->check = NULL; /* it ended: the seam has let it go */
	hook_ended(hook, end);
}

static void on_hook_sleep(void *userdata)
{
	hook_ended(userdata, &(struct pod_check_end){.status = POD_CHECK_SUCCESS, .output = ""});
}

static void on_hook_deadline(void *userdata)
{
	hook_ended(userdata, NULL);
}

/* Starts a hook of the container's current run, ended by deadline (CLOCK_MONOTONIC, 0: none).
 * -errno and err when it could not start. */
static int hook_start(struct pod_hook *hook, uint64_t deadline, struct nano_err *err)
{
	struct pod *pod = hook->pod;
	struct pod_env *env = pod->env;
	const struct spec_handler *h = hook_handler(hook);
	uint64_t now = pods_clock(env, CLOCK_MONOTONIC), timeout = 0;
	int r;

	hook->run = pod->sup->containers[hook->container].attempts - 1;
	if (deadline) {
		timeout = deadline > now ? deadline - now : 1;
		r = pods_timer_at(env, &hook->deadline, CLOCK_MONOTONIC, deadline, on_hook_deadline,
		                  hook);
		if (r < 0)
			return nano_err_set(err, -r, "timer: %s", strerror(-r));
	}
	if (h->type == SPEC_HANDLER_SLEEP)
		r = pods_timer_in(env, &hook->sleep,
		                  (uint64_t)(h->sleep_seconds > 0 ? h->sleep_seconds : 0) * 1000000,
		                  on_hook_sleep, hook);
	else if (!checks(pod))
		r = -EOPNOTSUPP;
	else
		r = checks(pod)->start(env->opt.checks_ctx, pod, hook->container, h, timeout,
		                       on_hook_done, hook, &hook->check, err);
	if (r < 0) {
		hook->check = NULL;
		hook_stop(hook);
		if (!err->message)
			nano_err_set(err, -r, "%s", strerror(-r));
	}
	return r;
}

bool pod_probes_pre_stop(struct pod *pod, size_t i, uint64_t deadline)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct pod_hook *hook;
	int r;

	if (!pod->spec->containers[i].pre_stop || pod->sup->containers[i].state != SUP_RUNNING ||
	    probes_alloc(pod) < 0)
		return false;
	hook = &pod->probes->pre_stop[i];
	hook_stop(hook);
	r = hook_start(hook, deadline, &err);
	if (r < 0) {
		const struct pod_check_end end = {.status = POD_CHECK_ERROR, .output = err.message};
		_cleanup_free_ char *message = hook_message(pod, i, hook_handler(hook), &end);

		pod_event(pod, pod->sup->containers[i].name, "Warning", "FailedPreStopHook", "%s",
		          message ? message : err.message);
		return false;
	}
	return true;
}

/* ---- following the containers ------------------------------------------------------------------
 */

/* Whether a container of the pod has a probe or a postStart hook (preStop's is made when a
 * stop asks, pod_pre_stop). Neither changes in a pod's life: an update may not touch them. */
static bool probes_wanted(const struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		if (pod->spec->containers[i].post_start)
			return true;
		for (size_t k = 0; k < SUP_PROBE_KINDS; k++)
			if (pod->sup->containers[i].probes[k].defined)
				return true;
	}
	return false;
}

void pod_probes_sync(struct pod *pod)
{
	struct pod_probes *p;

	/* most pods have none: no workers to hold for their life */
	if (!pod->probes && !probes_wanted(pod))
		return;
	if (probes_alloc(pod) < 0)
		return log_error("pod %s: probes: out of memory", pod->spec->name);
	p = pod->probes;
	for (size_t i = 0; i < p->n; i++) {
		const struct sup_container *sc = &pod->sup->containers[i];
		bool running = sc->state == SUP_RUNNING;
		int32_t run = sc->attempts - 1;
		struct pod_hook *post = &p->post_start[i], *pre = &p->pre_stop[i];

		/* hooks of a run that ended go with it */
		if (!running || post->run != run)
			hook_stop(post);
		if (!running || pre->run != run)
			hook_stop(pre);
		if (running && sc->post_start_pending && post->run != run) {
			_cleanup_(nano_err_clear) struct nano_err err = {0};
			int r = hook_start(post, 0, &err);

			if (r < 0) {
				const struct pod_check_end end = {.status = POD_CHECK_ERROR,
				                                  .output = err.message};

				post->run = run;
				hook_ended(post, &end);
				return; /* it synced again */
			}
		}
		for (size_t k = 0; k < SUP_PROBE_KINDS; k++) {
			struct probe_worker *w = &p->workers[i * SUP_PROBE_KINDS + k];
			const struct sup_probe *sp = &sc->probes[k];

			if (!sp->defined)
				continue;
			if (w->run != -1 && (!running || w->run != run))
				worker_stop(w);
			/* a worker begins once the run is started (its postStart done): the first
			 * tick initialDelaySeconds after the run's start */
			if (running && !sc->post_start_pending && w->run == -1) {
				w->run = run;
				worker_arm(w, (uint64_t)(sc->started_at + sp->initial_delay) *
				                      1000000);
			}
		}
	}
}

void pod_probes_done(struct pod *pod)
{
	struct pod_probes *p = pod->probes;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t k = 0; k < SUP_PROBE_KINDS; k++)
			worker_stop(&p->workers[i * SUP_PROBE_KINDS + k]);
		hook_stop(&p->post_start[i]);
		hook_stop(&p->pre_stop[i]);
	}
	free(p->workers);
	free(p->post_start);
	free(p->pre_stop);
	free(p);
	pod->probes = NULL;
}
