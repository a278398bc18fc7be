/* daemon/pods/lifecycle.c: a pod while it runs (lifecycle.h). Starts its shim and its containers
 * through the shim, reads the exit records the shim writes (inotify on exits/, never polling),
 * follows the shim itself through a pidfd, and lets pkg/supervise decide every restart; a restart
 * that must wait (CrashLoopBackOff) is a timer. Every change of state is written to the store at
 * once. It makes and removes nothing on the node: sandbox.c does.
 *
 * It never waits for a shim: a start and each request go through env->shim (pods/pod_ops.h),
 * an io source with a deadline of its own, and their answers come back as callbacks. A shim that
 * does not answer in time (stopped, wedged) costs its own pod a Warning event and a retry: a
 * start is then asked about (`state`) before it is tried again, since the shim may still act on
 * it; a kill is sent again while the grace lasts; a shutdown until the shim goes. */
#include <inttypes.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "pods/images.h"
#include "pods/lifecycle.h"
#include "runtime/runtime.h"

/* ---- starting ------------------------------------------------------------------------------ */

static void start_failed(struct pod *pod, size_t i, const char *id, const char *message)
{
	const char *name = pod->plan->containers[i].name;

	pod_event(pod, name, "Warning", "Failed", "Error: %s", message);
	if (sup_container_start_failed(pod->sup, i, id, message, pods_now(pod->env),
	                               &pod->env->sup) < 0)
		log_error("pod %s: container %s: out of memory", pod->spec->name, name);
}

/* The kubelet's last check before it creates a container: runAsNonRoot with a root user. The
 * plan has the message; the container stays waiting, and is tried again as the kubelet does. */
static bool config_refused(struct pod *pod, size_t i)
{
	const struct plan_container *pc = &pod->plan->containers[i];

	if (!pc->security.refusal)
		return false;
	pod_event(pod, pc->name, "Warning", "Failed", "Error: %s", pc->security.refusal);
	sup_container_not_created(pod->sup, i, "CreateContainerConfigError", pc->security.refusal,
	                          pods_now(pod->env), &pod->env->sup);
	return true;
}

/* ---- requests to the shim ------------------------------------------------------------------ */

enum pod_request_kind {
	POD_REQUEST_START,    /* start NAME RESTART */
	POD_REQUEST_STATE,    /* state, before a start the shim did not answer in time */
	POD_REQUEST_STATE_FN, /* state, for pod_shim_state's caller */
	POD_REQUEST_KILL,     /* kill NAME SIGNAL */
	POD_REQUEST_SHUTDOWN, /* shutdown */
};

/* One request to the pod's shim: in flight (call), or waiting to be sent again (retry). It
 * belongs to the pod, which cancels it when it goes. */
struct pod_request {
	struct pod *pod;
	struct pod_request *next;
	enum pod_request_kind kind;
	size_t container;
	char id[65]; /* a start's container id */
	char *text;
	struct pod_shim_call *call;
	struct pod_timer *retry;
	void (*state_fn)(struct pod *pod, const json_t *state);
};

static void on_reply(void *userdata, int r, const char *reply, const struct nano_err *err);

static void request_free(struct pod_request *q)
{
	if (!q)
		return;
	for (struct pod_request **p = &q->pod->requests; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			break;
		}
	q->pod->env->shim->cancel(q->call);
	pods_timer_cancel(q->pod->env, &q->retry);
	free(q->text);
	free(q);
}

static struct pod_request *request_find(const struct pod *pod, size_t container)
{
	for (struct pod_request *q = pod->requests; q; q = q->next)
		if (q->container == container &&
		    (q->kind == POD_REQUEST_START || q->kind == POD_REQUEST_STATE))
			return q;
	return NULL;
}

/* A start (or the state asked before one) in flight: its container is neither waiting nor
 * running yet, as far as the pod's end is concerned. */
static bool any_start_in_flight(const struct pod *pod)
{
	for (struct pod_request *q = pod->requests; q; q = q->next)
		if (q->kind == POD_REQUEST_START || q->kind == POD_REQUEST_STATE)
			return true;
	return false;
}

static int request_send(struct pod_request *q)
{
	struct pod_env *env = q->pod->env;

	return env->shim->request(env->shim_ctx, q->pod->run_dir, q->text, env->shim_timeout_usec,
	                          on_reply, q, &q->call);
}

/* Sends text (taken) to the pod's shim; its answer comes to on_reply. */
static int request_new(struct pod *pod, enum pod_request_kind kind, size_t container, char *text,
                       struct pod_request **out)
{
	struct pod_request *q;
	int r;

	if (!text)
		return -ENOMEM;
	q = calloc(1, sizeof(*q));
	if (!q)
		return free(text), -ENOMEM;
	*q = (struct pod_request){.pod = pod, .kind = kind, .container = container, .text = text};
	q->next = pod->requests;
	pod->requests = q;
	r = request_send(q);
	if (r < 0)
		return request_free(q), r;
	if (out)
		*out = q;
	return 0;
}

static void on_retry(void *userdata)
{
	struct pod_request *q = userdata;
	int r;

	r = request_send(q);
	if (r < 0) {
		log_error("pod %s: \"%s\" to its shim: %s", q->pod->spec->name, q->text,
		          strerror(-r));
		request_free(q);
	}
}

/* The same request again in a while: the shim did not answer (stopped, wedged, its backlog
 * full). Frees it when even that cannot be. */
static void request_retry(struct pod_request *q)
{
	int r = pods_timer_in(q->pod->env, &q->retry, POD_SHIM_RETRY_USEC, on_retry, q);

	if (r < 0) {
		log_error("pod %s: retry timer: %s", q->pod->spec->name, strerror(-r));
		request_free(q);
	}
}

/* The shim did not answer in time, or took no connection: it is there but not serving. */
static bool shim_unresponsive(int r)
{
	return r == -ETIMEDOUT || r == -EAGAIN;
}

/* ---- starting ------------------------------------------------------------------------------ */

static void arm_restart_timer(struct pod *pod, size_t i, int64_t not_before_usec);
static void start_container(struct pod *pod, size_t i);
static void on_image_pulled(struct pod *pod, size_t i, bool pulled);
static void scan_exits(struct pod *pod);
static bool any_running(const struct pod *pod);

/* Once a container's start has its answer: the pod's next step, and the end of a create's
 * first round. May free the pod: call it last. */
static void start_answered(struct pod *pod)
{
	void (*settled)(struct pod *, int, const struct nano_err *) = pod->settled;

	scan_exits(pod); /* a container that ended before its start was recorded */
	pod_sync(pod);   /* with settled, a create: not deleted, so the pod stays */
	if (settled && !any_start_in_flight(pod)) {
		pod->settled = NULL;
		settled(pod, 0, NULL);
	}
}

static void container_started(struct pod *pod, size_t i, const char *id, pid_t pid)
{
	const struct plan_container *pc = &pod->plan->containers[i];

	pod_crash_point("start-before-record");
	pod_watch_start(pod, i);
	pod_event(pod, pc->name, "Normal", "Created", "Created container %s", pc->name);
	pod_event(pod, pc->name, "Normal", "Started", "Started container %s", pc->name);
	if (sup_container_started(pod->sup, i, id, pid, pods_now(pod->env), &pod->env->sup) < 0)
		log_error("pod %s: container %s: out of memory", pod->spec->name, pc->name);
	/* a delete that came while the start was on its way: this one stops too */
	if (pod->deleting) {
		pod_event(pod, pc->name, "Normal", "Killing", "Stopping container %s", pc->name);
		pod_stop_containers(pod, pod->grace_timer ? SIGTERM : SIGKILL);
	}
}

/* The shim did not answer a start in time: it may still act on it once it runs again, so the
 * next try asks for its state first (pod_reconcile adopts the run if it came). The container
 * stays waiting; no attempt is counted. */
static void start_unanswered(struct pod *pod, size_t i, int r, const struct nano_err *err)
{
	const char *name = pod->plan->containers[i].name;

	pod_event(pod, name, "Warning", "Failed", "Error: %s",
	          err && err->message ? err->message : strerror(-r));
	if (r == -ETIMEDOUT)
		pod->start_unsure[i] = true;
	if (!pod->deleting)
		arm_restart_timer(
		        pod, i,
		        (int64_t)(pods_clock(pod->env, CLOCK_REALTIME) + POD_SHIM_RETRY_USEC));
}

/* The shim runs the container already: a start of ours it got after we had stopped waiting for
 * its answer. Its state names the run, which is then adopted (on_state_reply); no attempt is
 * counted. */
static void start_busy(struct pod *pod, size_t i, const char *message)
{
	log_info("pod %s/%s: container %s: %s: asking the shim for its state", pod->spec->namespace,
	         pod->spec->name, pod->plan->containers[i].name, message);
	pod->start_unsure[i] = true;
	if (pod->deleting)
		return;
	arm_restart_timer(pod, i,
	                  (int64_t)(pods_clock(pod->env, CLOCK_REALTIME) + POD_SHIM_RETRY_USEC));
}

static void on_start_reply(struct pod *pod, size_t i, const char *id, int r, const char *reply,
                           const struct nano_err *err)
{
	const char *message;
	int errnum;
	long pid;

	if (shim_unresponsive(r))
		start_unanswered(pod, i, r, err);
	else if (r < 0)
		start_failed(pod, i, id, err && err->message ? err->message : strerror(-r));
	else if (runtime_reply_error(reply, &errnum, &message) && errnum == EBUSY)
		start_busy(pod, i, message);
	else if (runtime_reply_error(reply, &errnum, &message))
		start_failed(pod, i, id, message);
	else if (sscanf(reply, "ok %ld", &pid) != 1)
		start_failed(pod, i, id, "the shim's answer made no sense");
	else
		container_started(pod, i, id, (pid_t)pid);
	start_answered(pod);
}

static void on_state_reply(struct pod *pod, size_t i, int r, const char *reply,
                           const struct nano_err *err)
{
	_cleanup_json_ json_t *state = NULL;

	if (r >= 0 && !(state = json_loads(reply, 0, NULL))) {
		r = -EBADMSG;
		log_warn("pod %s: the shim's state is not JSON", pod->spec->name);
	}
	if (shim_unresponsive(r)) {
		start_unanswered(pod, i, r, err);
		return start_answered(pod);
	}
	if (r < 0) {
		/* no shim to ask: its end (the pidfd) brings a new sandbox */
		log_warn("pod %s: the shim's state: %s", pod->spec->name,
		         err && err->message ? err->message : strerror(-r));
		return start_answered(pod);
	}
	pod->start_unsure[i] = false;
	pod_reconcile(pod, state);
	if (pod->sup->containers[i].state == SUP_RUNNING)
		return start_answered(pod);
	start_container(pod, i); /* the start never reached it: now */
	if (!request_find(pod, i))
		start_answered(pod);
}

static void on_kill_reply(struct pod_request *q, int r, const char *reply,
                          const struct nano_err *err)
{
	struct pod *pod = q->pod;
	const char *name = pod->plan->containers[q->container].name;
	const char *message;
	int errnum;

	if (shim_unresponsive(r)) {
		pod_event(pod, name, "Warning", "FailedKillPod", "error killing container %s: %s",
		          name, err && err->message ? err->message : strerror(-r));
		/* again, while the grace lasts (after it the cgroup is killed, shim or not) */
		if (pod->deleting && pod->grace_timer &&
		    pod->sup->containers[q->container].state == SUP_RUNNING)
			return request_retry(q);
	} else if (r < 0) {
		log_warn("pod %s: signal %s: %s", pod->spec->name, name,
		         err && err->message ? err->message : strerror(-r));
	} else if (runtime_reply_error(reply, &errnum, &message)) {
		log_warn("pod %s: signal %s: %s", pod->spec->name, name, message);
	}
	request_free(q);
}

static void on_shutdown_reply(struct pod_request *q, int r, const struct nano_err *err)
{
	struct pod *pod = q->pod;

	if (shim_unresponsive(r)) {
		pod_event(pod, NULL, "Warning", "FailedKillPod",
		          "error stopping the pod's shim: %s",
		          err && err->message ? err->message : strerror(-r));
		return request_retry(q);
	}
	request_free(q);
	if (r < 0)
		pod->env->stopped(pod); /* no shim listens: nothing to wait for */
	                                /* else its exit (the pidfd) ends the delete */
}

static void on_reply(void *userdata, int r, const char *reply, const struct nano_err *err)
{
	struct pod_request *q = userdata;
	struct pod *pod = q->pod;
	size_t i = q->container;
	void (*state_fn)(struct pod *, const json_t *) = q->state_fn;
	_cleanup_json_ json_t *state = NULL;
	char id[65];

	q->call = NULL; /* done: the client frees it */
	switch (q->kind) {
	case POD_REQUEST_START:
		memcpy(id, q->id, sizeof(id));
		request_free(q);
		return on_start_reply(pod, i, id, r, reply, err);
	case POD_REQUEST_STATE:
		request_free(q);
		return on_state_reply(pod, i, r, reply, err);
	case POD_REQUEST_STATE_FN:
		request_free(q);
		if (r < 0 || !(state = json_loads(reply, 0, NULL)))
			log_warn("pod %s/%s: the shim's state: %s", pod->spec->namespace,
			         pod->spec->name,
			         r < 0 && err && err->message ? err->message : "not JSON");
		return state_fn(pod, state);
	case POD_REQUEST_KILL:
		return on_kill_reply(q, r, reply, err);
	case POD_REQUEST_SHUTDOWN:
		return on_shutdown_reply(q, r, err);
	}
}

int pod_shim_state(struct pod *pod, void (*fn)(struct pod *pod, const json_t *state))
{
	struct pod_request *q;
	int r = request_new(pod, POD_REQUEST_STATE_FN, SIZE_MAX, strdup("state"), &q);

	if (r >= 0)
		q->state_fn = fn;
	return r;
}

static int64_t int_of(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

void pod_reconcile(struct pod *pod, const json_t *state)
{
	const json_t *c;
	size_t k;

	json_array_foreach(json_object_get(state, "containers"), k, c)
	{
		const char *name = json_string_value(json_object_get(c, "name"));
		int i = name ? sup_pod_find(pod->sup, name) : -ENOENT;
		struct sup_container *sc;
		int64_t restart = int_of(c, "restart");
		pid_t pid = (pid_t)int_of(c, "pid");
		char id[65];

		if (i < 0)
			continue;
		sc = &pod->sup->containers[i];
		if (sc->state == SUP_RUNNING && restart == sc->attempts - 1) {
			sc->pid = pid;
		} else if (sc->state != SUP_RUNNING && restart == sc->attempts) {
			log_info("pod %s/%s: adopting run %" PRId64 " of container %s, started but "
			         "not recorded",
			         pod->spec->namespace, pod->spec->name, restart, name);
			pod_container_id(id);
			pod_watch_start(pod, (size_t)i);
			sup_container_started(pod->sup, (size_t)i, id, pid, pods_now(pod->env),
			                      &pod->env->sup);
		}
	}
}

/* Asks the shim to start container i (or, after a start it did not answer, for its state
 * first); the answer comes to on_start_reply. What is decided without the shim (no image, a
 * refused config, a mount that cannot be) is recorded here. */
static void start_container(struct pod *pod, size_t i)
{
	const struct plan_container *pc = &pod->plan->containers[i];
	const struct sup_container *sc = &pod->sup->containers[i];
	_cleanup_free_ char *problem = NULL;
	struct pod_request *q;
	char id[65];
	int r;

	if (request_find(pod, i))
		return; /* one start at a time */
	if (pod->start_unsure[i]) {
		r = request_new(pod, POD_REQUEST_STATE, i, strdup("state"), NULL);
		if (r < 0)
			log_error("pod %s: state request: %s", pod->spec->name, strerror(-r));
		return;
	}
	/* the image before the config: runAsNonRoot is checked with the image's user */
	if (pod_image_ensure(pod, i, on_image_pulled) != POD_IMAGE_READY || config_refused(pod, i))
		return;
	pod_container_id(id);
	problem = pod_prepare_mounts(pod, i);
	if (problem)
		return start_failed(pod, i, id, problem);
	/* the run's number names its log file, <log dir>/<name>/<restart>.log */
	r = request_new(pod, POD_REQUEST_START, i,
	                strdupf("start %s %" PRId32, pc->name, sc->attempts), &q);
	if (r < 0)
		return start_failed(pod, i, id, strerror(-r));
	memcpy(q->id, id, sizeof(id));
}

/* A pull a container's start waited for ended: the start goes on with the image, or the
 * failure (recorded) waits for its retry. */
static void on_image_pulled(struct pod *pod, size_t i, bool pulled)
{
	if (!pulled || pod->deleting)
		return pod_sync(pod);
	start_container(pod, i);
	if (!request_find(pod, i))
		start_answered(pod);
}

static void start_all(struct pod *pod)
{
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		start_container(pod, i);
	scan_exits(pod); /* a container that ended before the watch saw it */
	pod_sync(pod);
}

static void network_wait(struct pod *pod, const struct nano_err *err);

/* A sandbox that could not be made: a create fails (all or nothing); a restart's container
 * fails its start (StartError), and the back-off retries it; the first sandbox of a pod whose
 * create was answered while it waited for an address is tried again later. */
static void sandbox_failed(struct pod *pod, size_t i, int r, const struct nano_err *err)
{
	void (*settled)(struct pod *, int, const struct nano_err *) = pod->settled;
	_cleanup_free_ char *message = NULL;
	char id[65];

	if (i == SIZE_MAX && settled) {
		pod->settled = NULL;
		return settled(pod, r, err);
	}
	if (i == SIZE_MAX) {
		log_error("pod %s/%s: %s", pod->spec->namespace, pod->spec->name,
		          err && err->message ? err->message : strerror(-r));
		return network_wait(pod, err);
	}
	pod_container_id(id);
	message = strdupf("could not make a new sandbox: %s",
	                  err && err->message ? err->message : strerror(-r));
	start_failed(pod, i, id, message ? message : "could not make a new sandbox");
	pod_sync(pod);
}

static void on_shim_started(void *userdata, int r, pid_t pid, const struct nano_err *err)
{
	struct pod *pod = userdata;
	size_t i = pod->shim_starting_for;
	void (*settled)(struct pod *, int, const struct nano_err *) = pod->settled;
	_cleanup_(nano_err_clear) struct nano_err werr = {0};

	pod->shim_starting = NULL; /* done: the client frees it */
	if (r >= 0) {
		pod->shim_pid = pid;
		pod->shim_start_time = 0; /* a new shim: pod_watch_shim records its start time */
		pod_crash_point("after-shim-start");
		r = pod_watch_shim(pod, &werr);
		/* before any container starts: they find eth0 up with its address */
		if (r >= 0 && (r = pod_network_attach(pod, &werr)) < 0) {
			/* a sandbox without its network is none: the shim goes (a restart then
			 * makes a new one) */
			pod_event(pod, NULL, "Warning", "FailedCreatePodSandBox",
			          "Failed to create pod sandbox: %s", werr.message);
			pod_kill_leftovers(pod);
		}
		err = &werr;
	}
	if (r < 0)
		return sandbox_failed(pod, i, r, err);
	log_info("pod %s/%s: shim started, pid %d", pod->spec->namespace, pod->spec->name,
	         (int)pod->shim_pid);
	sup_pod_sandbox_ready(pod->sup, pods_now(pod->env));
	if (i != SIZE_MAX) {
		start_container(pod, i);
		if (!request_find(pod, i))
			start_answered(pod);
		return;
	}
	start_all(pod);
	if (settled && !any_start_in_flight(pod)) {
		pod->settled = NULL;
		settled(pod, 0, NULL);
	}
}

static int sandbox_begin(struct pod *pod, size_t container, struct nano_err *err);

/* How often a sandbox waiting for a pod address looks for one again. */
#define POD_NETWORK_RETRY_USEC (5 * UINT64_C(1000000))

static void on_network_timer(void *userdata)
{
	struct pod *pod = userdata;
	void (*settled)(struct pod *, int, const struct nano_err *) = pod->settled;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	size_t i = pod->shim_starting_for;
	int r;

	if (pod->deleting)
		return;
	if (settled && i == SIZE_MAX) {
		/* the create is answered: the pod is there, Pending, and waits */
		pod->settled = NULL;
		network_wait(pod, NULL);
		return settled(pod, 0, NULL);
	}
	r = sandbox_begin(pod, i, &err);
	if (r < 0)
		sandbox_failed(pod, i, r, &err);
}

/* The sandbox waits (no pod address is free, or its first try failed after its create was
 * answered): a Warning event, as the kubelet records a sandbox its network plugin could not
 * make, and another try in a while. A create's answer comes from the timer, never from
 * inside pods_create. */
static void network_wait(struct pod *pod, const struct nano_err *err)
{
	uint64_t usec = pod->settled ? 0 : POD_NETWORK_RETRY_USEC;
	int r;

	if (err)
		pod_event(pod, NULL, "Warning", "FailedCreatePodSandBox",
		          "Failed to create pod sandbox: %s",
		          err->message ? err->message : strerror(err->errnum));
	r = pods_timer_in(pod->env, &pod->network_timer, usec, on_network_timer, pod);
	if (r < 0)
		log_error("pod %s/%s: no timer to make its sandbox again: %s", pod->spec->namespace,
		          pod->spec->name, strerror(-r));
	pod_persist(pod);
}

static void on_sandbox_timer(void *userdata)
{
	struct pod *pod = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	size_t i = pod->shim_starting_for;
	int r;

	r = sandbox_begin(pod, i, &err);
	if (r < 0)
		sandbox_failed(pod, i, r, &err);
}

/* A new sandbox after one that died: nothing of the old one may run beside it. What is left is
 * killed, and looked at again on a timer until it is gone (POD_EMPTY_TICKS at most, then the
 * sandbox is made anyway); then the old cgroups are removed, the pod is set up in new ones and
 * its shim started. New cgroups, because a cgroup once killed through cgroup.kill kills every
 * process later born into it with CLONE_INTO_CGROUP on some kernels (6.18: the cgroup's kill
 * count is compared with the forking process's cgroup's), which is how the shim and the
 * containers are born in theirs; and the old counters are the old sandbox's. */
static int sandbox_begin(struct pod *pod, size_t container, struct nano_err *err)
{
	struct pod_env *env = pod->env;
	bool killing = pod_kill_leftovers(pod) > 0;
	int r;

	pod->shim_starting_for = container;
	if (killing || pod_remove_cgroups(pod) == -EBUSY) {
		if (pod->sandbox_ticks++ == 0 && killing)
			log_warn("pod %s/%s: processes left in its cgroup: killing them",
			         pod->spec->namespace, pod->spec->name);
		if (pod->sandbox_ticks < POD_EMPTY_TICKS) {
			r = pods_timer_in(env, &pod->sandbox_timer, POD_EMPTY_TICK_USEC,
			                  on_sandbox_timer, pod);
			if (r < 0)
				return nano_err_set(err, -r, "timer: %s", strerror(-r));
			return 0;
		}
		log_warn("pod %s/%s: %s after %d ms: a new sandbox anyway", pod->spec->namespace,
		         pod->spec->name,
		         killing ? "processes still in its cgroup"
		                 : "its old cgroups not freed by the kernel yet",
		         POD_EMPTY_TICKS * POD_EMPTY_TICK_USEC / 1000);
	}
	pod->sandbox_ticks = 0;
	if (pod_on_network(pod) && !pod->pod_ip) {
		r = pod_assign_ip(pod, err);
		if (r == -EADDRNOTAVAIL) {
			network_wait(pod, err);
			nano_err_clear(err);
			return 0;
		}
		if (r < 0)
			return r;
	}
	pod_monitor_reset(pod);
	r = pod_setup(pod, err);
	if (r < 0)
		return r;
	r = env->shim->start(env->shim_ctx, pod->run_dir, env->shim_timeout_usec, on_shim_started,
	                     pod, &pod->shim_starting);
	if (r < 0)
		return nano_err_set(err, -r, "start nanolet-shim: %s", strerror(-r));
	return 0;
}

int pod_sandbox_start(struct pod *pod, size_t container, struct nano_err *err)
{
	int r = pod_run_alloc(pod, err);

	if (r < 0)
		return r;
	pod->sandbox_ticks = 0;
	return sandbox_begin(pod, container, err);
}

static void on_restart_timer(void *userdata)
{
	struct pod_restart *restart = userdata;
	struct pod *pod = restart->pod;
	size_t i = restart->container;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *message = NULL;
	char id[65];

	if (pod->deleting)
		return;
	if (pod->shim_starting || pod->sandbox_timer || pod->adopt_timer || pod->network_timer) {
		/* another container's restart is making the sandbox, or the live one is not
		 * watched yet (restore.c): this one comes after */
		arm_restart_timer(
		        pod, i,
		        (int64_t)(pods_clock(pod->env, CLOCK_REALTIME) + POD_SHIM_RETRY_USEC));
		return;
	}
	if (!pod->shim_watch) {
		/* the kubelet's answer to a sandbox that died: a new one, then the containers the
		 * restart policy brings back */
		if (pod_sandbox_start(pod, i, &err) >= 0)
			return;
		pod_container_id(id);
		message = strdupf("could not make a new sandbox: %s",
		                  err.message ? err.message : "out of memory");
		start_failed(pod, i, id, message ? message : "could not make a new sandbox");
	} else {
		start_container(pod, i);
		if (request_find(pod, i))
			return; /* its answer goes on */
	}
	pod_sync(pod);
}

/* The restart timer of container i at not_before (CLOCK_REALTIME, microseconds). */
static void arm_restart_timer(struct pod *pod, size_t i, int64_t not_before_usec)
{
	struct pod_restart *restart = &pod->restarts[i];
	int r;

	if (restart->timer)
		return;
	/* never started inline: a container that fails at once must not recurse */
	r = pods_timer_at(pod->env, &restart->timer, CLOCK_REALTIME,
	                  (uint64_t)(not_before_usec > 0 ? not_before_usec : 0), on_restart_timer,
	                  restart);
	if (r < 0)
		log_error("pod %s: restart timer: %s", pod->spec->name, strerror(-r));
}

void pod_schedule(struct pod *pod, size_t i)
{
	const struct sup_container *sc = &pod->sup->containers[i];
	int64_t not_before = 0;

	if (pod->deleting || pod->restarts[i].timer || request_find(pod, i) ||
	    pod_image_pulling(pod, i) ||
	    sup_container_next_action(pod->sup, i, &not_before) != SUP_ACTION_START)
		return;
	if (sc->state == SUP_WAITING && sc->reason && strcmp(sc->reason, "CrashLoopBackOff") == 0)
		pod_event(pod, sc->name, "Warning", "BackOff",
		          "Back-off restarting failed container %s in pod %s_%s(%s)", sc->name,
		          pod->spec->name, pod->spec->namespace, pod->uid);
	arm_restart_timer(pod, i, (not_before > 0 ? not_before : 0) * 1000000);
}

/* ---- exits ----------------------------------------------------------------------------------- */

static int64_t parse_time(const struct pod_env *env, const char *rfc3339)
{
	struct tm tm = {0};

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
		return pods_now(env);
	return (int64_t)timegm(&tm);
}

static bool any_running(const struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++)
		if (pod->sup->containers[i].state == SUP_RUNNING)
			return true;
	return false;
}

void pod_sync(struct pod *pod)
{
	for (size_t i = 0; pod->restarts && i < pod->sup->n_containers; i++) {
		struct pod_restart *rs = &pod->restarts[i];
		const struct sup_container *sc = &pod->sup->containers[i];

		/* a stop of one run ends with it: the next run is not the one to kill */
		if (sc->state != SUP_RUNNING || rs->kill_run != sc->attempts - 1)
			pods_timer_cancel(pod->env, &rs->kill_timer);
		if (sc->state != SUP_RUNNING)
			rs->pre_stopping = false;
	}
	if (pod->env->changed)
		pod->env->changed(pod);
	pod_persist(pod);
	for (size_t i = 0; i < pod->sup->n_containers; i++)
		pod_schedule(pod, i);
	pod_stop_shim_if_done(pod);
}

void pod_stop_shim_if_done(struct pod *pod)
{
	if (!pod->deleting || pod->shim_stopping || any_running(pod) || any_start_in_flight(pod))
		return;
	pod->shim_stopping = true;
	/* the answer comes to on_shutdown_reply, the shim's exit to on_shim_gone */
	if (!pod->shim_watch ||
	    request_new(pod, POD_REQUEST_SHUTDOWN, SIZE_MAX, strdup("shutdown"), NULL) < 0)
		pod->env->stopped(pod); /* no shim to wait for */
}

/* Reads the exit record of each running container's current run, if the shim wrote one. */
static void scan_exits(struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		const struct sup_container *sc = &pod->sup->containers[i];
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		_cleanup_(runtime_exit_done) struct runtime_exit e = {0};
		_cleanup_free_ char *path = NULL, *oom_message = NULL, *message = NULL,
		                    *termination = NULL, *joined = NULL;
		struct sup_exit exit;

		if (sc->state != SUP_RUNNING)
			continue;
		path = strdupf("%s/exits/%s.%" PRId32 ".json", pod->run_dir, sc->name,
		               sc->attempts - 1);
		if (!path || access(path, F_OK) < 0)
			continue;
		if (runtime_exit_read(path, &e, &err) < 0) {
			log_error("pod %s: %s", pod->spec->name, err.message);
			continue;
		}
		exit = (struct sup_exit){.exit_code = e.exit_code,
		                         .signal = e.signal,
		                         .finished_at = parse_time(pod->env, e.finished_at)};
		/* an OOM kill in its cgroup during the run, of the main process or of any other
		 * (a wrapper shell's child): OOMKilled, as containerd says it, with the main
		 * process's own exit code; a SIGKILL at the end of a grace period leaves the count
		 * alone and stays Error */
		pod_crash_point("exit-before-record");
		if (pod_watch_oom_killed(pod, i, e.signal == SIGKILL ? e.pid : 0, &oom_message))
			exit.reason = "OOMKilled";
		/* and what else the kernel did to the run: refused forks, hard throttling */
		message = pod_watch_exit_message(pod, i, oom_message);
		/* and what the container said of its end, after the runtime's words as the
		 * kubelet appends it ("<message>: <termination message>") */
		termination = pod_termination_message(pod, i, sc->attempts - 1, e.exit_code);
		if (termination && message)
			joined = strdupf("%s: %s", message, termination);
		exit.message = joined ? joined : termination ? termination : message;
		if (sup_container_exited(pod->sup, i, &exit, &pod->env->sup) < 0)
			log_error("pod %s: out of memory", pod->spec->name);
		pod_notify_watches(pod, i);
	}
}

void pod_scan_exits(struct pod *pod)
{
	scan_exits(pod);
}

/* Something was written into exits/: which file does not matter, scan_exits looks for the
 * ones it expects. */
static void on_exits(void *userdata)
{
	scan_exits(userdata);
	pod_sync(userdata); /* last: it may end the delete and free the pod */
}

/* What was asked of a shim that is gone gets no answer: forgotten (a new sandbox asks again). */
static void cancel_requests(struct pod *pod)
{
	while (pod->requests)
		request_free(pod->requests);
}

static void on_shim_gone(void *userdata)
{
	struct pod *pod = userdata;
	void (*settled)(struct pod *, int, const struct nano_err *) = pod->settled;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	pod->env->shim->unwatch(pod->shim_watch);
	pod->shim_watch = NULL;
	cancel_requests(pod);
	scan_exits(pod); /* what it recorded before it went */
	if (pod->deleting)
		return pod->env->stopped(pod);
	if (settled) {
		/* a create not answered yet: it fails, all or nothing */
		pod->settled = NULL;
		nano_err_setc(&err, NANO_INTERNAL, ESRCH,
		              "the pod's shim (pid %d) died while its containers started",
		              (int)pod->shim_pid);
		return settled(pod, -ESRCH, &err);
	}
	log_warn("pod %s/%s: its shim (pid %d) is gone", pod->spec->namespace, pod->spec->name,
	         (int)pod->shim_pid);
	pod_event(pod, NULL, "Warning", "SandboxChanged",
	          "Pod sandbox changed: the shim holding the pod's namespaces died");
	pod_sandbox_lost(pod, NULL);
}

void pod_sandbox_lost(struct pod *pod, const char *message)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (message)
		sup_pod_sandbox_lost(pod->sup, message, pods_now(pod->env), &pod->env->sup);
	else
		sup_pod_shim_died(pod->sup, pods_now(pod->env), &pod->env->sup);
	/* its containers must not run on beside the next sandbox's (without the shim as their
	 * reaper they would otherwise go on, unseen) */
	if (pod->cgroup && cgroup_driver_kill(pod->env->cgroup, pod->cgroup, &err) < 0)
		log_warn("pod %s: %s", pod->spec->name, err.message);
	pod->shim_pid = 0;
	pod->shim_start_time = 0;
	pod_notify_watches(pod, SIZE_MAX);
	pod_sync(pod);
}

int pod_run_alloc(struct pod *pod, struct nano_err *err)
{
	if (pod->restarts)
		return 0;
	pod->restarts = calloc(pod->plan->n_containers, sizeof(*pod->restarts));
	pod->start_unsure = calloc(pod->plan->n_containers + 1, sizeof(bool));
	if (!pod->restarts || !pod->start_unsure)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		pod->restarts[i] = (struct pod_restart){.pod = pod, .container = i, .kill_run = -1};
	return pod_watch_alloc(pod, err);
}

static void unwatch_shim(struct pod *pod)
{
	pod->env->shim->unwatch(pod->shim_watch);
	pod->shim_watch = NULL;
	fs_watch_remove(pod->exits_watch);
	pod->exits_watch = NULL;
}

int pod_watch_shim(struct pod *pod, struct nano_err *err)
{
	struct pod_env *env = pod->env;
	_cleanup_free_ char *exits = strdupf("%s/exits", pod->run_dir);
	int r;

	if (!exits)
		return nano_err_set(err, ENOMEM, "out of memory");
	unwatch_shim(pod);
	/* a pidfd (the shim is not our child: it must outlive us), and with a recorded start time
	 * the proof that the pid is still the shim's */
	r = env->shim->watch(env->shim_ctx, pod->shim_pid, &pod->shim_start_time, on_shim_gone, pod,
	                     &pod->shim_watch, err);
	if (r < 0)
		return r;
	r = fs_watch_add(env->opt.watches, exits, IN_MOVED_TO | IN_CLOSE_WRITE, on_exits, pod,
	                 &pod->exits_watch);
	if (r < 0)
		r = nano_err_set(err, -r, "watch %s: %s", exits, strerror(-r));
	else /* and the cgroups its containers run in: the kernel's OOM and pids notices */
		r = pod_watch_notices(pod, err);
	if (r < 0)
		unwatch_shim(pod); /* nothing half watched: no descriptor held, and no end seen */
	return r;
}

/* ---- stopping -------------------------------------------------------------------------------- */

static void on_grace_over(void *userdata)
{
	struct pod *pod = userdata;

	pod_stop_containers(pod, SIGKILL);
	pod_stop_shim_if_done(pod);
}

/* The kubelet's minimumGracePeriodInSeconds: what a container gets after a preStop hook that
 * took (nearly) all of its grace, and after a probe's kill of a pod with no grace. */
#define POD_MIN_GRACE_USEC (2 * UINT64_C(1000000))

static void signal_container(struct pod *pod, size_t i, int signal)
{
	const struct sup_container *sc = &pod->sup->containers[i];
	int r;

	if (sc->state != SUP_RUNNING)
		return;
	/* the answer comes to on_kill_reply */
	r = request_new(pod, POD_REQUEST_KILL, i, strdupf("kill %s %d", sc->name, signal), NULL);
	if (r < 0)
		log_warn("pod %s: signal %s: %s", pod->spec->name, sc->name, strerror(-r));
}

static void term_container(struct pod *pod, size_t i)
{
	signal_container(pod, i, SIGTERM);
}

static void kill_container_cgroup(struct pod *pod, size_t i)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (pod->sup->containers[i].state != SUP_RUNNING)
		return;
	/* the grace is over: everything in the container's cgroup, at once */
	if (cgroup_driver_kill(pod->env->cgroup, pod_container_cgroup(pod, i), &err) < 0)
		log_warn("pod %s: kill %s: %s", pod->spec->name, pod->sup->containers[i].name,
		         err.message);
}

/* A graceful stop of container i begins: its preStop hook first when it has one (true: the
 * SIGTERM waits for pod_pre_stop_done). The kubelet runs it only with a grace to spend. */
static bool pre_stop(struct pod *pod, size_t i, uint64_t deadline, int64_t grace)
{
	struct pod_restart *rs = &pod->restarts[i];

	if (rs->pre_stopping)
		return true;
	if (grace > 0 && pod->env->pre_stop && pod->env->pre_stop(pod, i, deadline))
		rs->pre_stopping = true;
	return rs->pre_stopping;
}

static bool any_pre_stopping(const struct pod *pod)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++)
		if (pod->restarts[i].pre_stopping)
			return true;
	return false;
}

static void on_kill_timer(void *userdata)
{
	struct pod_restart *rs = userdata;
	struct pod *pod = rs->pod;

	/* through the shim, which kills the main process and then what is left, pid by pid: the
	 * cgroup's cgroup.kill would also kill the next run at its birth on 6.x kernels (a later
	 * CLONE_INTO_CGROUP into a killed cgroup), and this container is to run again */
	if (pod->sup->containers[rs->container].attempts - 1 == rs->kill_run)
		signal_container(pod, rs->container, SIGKILL);
}

void pod_kill_container(struct pod *pod, size_t i, int64_t grace)
{
	struct pod_restart *rs = &pod->restarts[i];
	const struct sup_container *sc = &pod->sup->containers[i];
	uint64_t now = pods_clock(pod->env, CLOCK_MONOTONIC), at;
	int r;

	if (sc->state != SUP_RUNNING || pod->deleting ||
	    (rs->kill_timer && rs->kill_run == sc->attempts - 1))
		return;
	pods_timer_cancel(pod->env, &rs->kill_timer);
	rs->kill_run = sc->attempts - 1;
	rs->kill_deadline = now + (uint64_t)(grace > 0 ? grace : 0) * 1000000;
	if (pre_stop(pod, i, rs->kill_deadline, grace)) {
		/* the hook may use the whole grace; the SIGTERM then still gets its minimum */
		at = rs->kill_deadline + POD_MIN_GRACE_USEC;
	} else {
		term_container(pod, i);
		at = rs->kill_deadline > now + POD_MIN_GRACE_USEC ? rs->kill_deadline
		                                                  : now + POD_MIN_GRACE_USEC;
	}
	r = pods_timer_at(pod->env, &rs->kill_timer, CLOCK_MONOTONIC, at, on_kill_timer, rs);
	if (r < 0) {
		log_error("pod %s: kill timer: %s", pod->spec->name, strerror(-r));
		signal_container(pod, i, SIGKILL);
	}
}

void pod_pre_stop_done(struct pod *pod, size_t i)
{
	const struct pod_clock_ops *clock = pod->env->opt.clock;
	struct pod_restart *rs = &pod->restarts[i];
	uint64_t least = pods_clock(pod->env, CLOCK_MONOTONIC) + POD_MIN_GRACE_USEC;

	if (!rs->pre_stopping)
		return;
	rs->pre_stopping = false;
	term_container(pod, i);
	/* the kill comes at the end of the grace, and at least the minimum after the SIGTERM */
	if (rs->kill_timer)
		clock->move(rs->kill_timer, rs->kill_deadline > least ? rs->kill_deadline : least);
	if (pod->deleting && pod->grace_timer && !any_pre_stopping(pod))
		clock->move(pod->grace_timer,
		            pod->stop_deadline > least ? pod->stop_deadline : least);
}

void pod_stop(struct pod *pod, int64_t grace)
{
	uint64_t deadline = pods_clock(pod->env, CLOCK_MONOTONIC) + (uint64_t)grace * 1000000;
	bool hooks = false;
	int r;

	if (pod->deleting) {
		/* a second delete may shorten the grace, never lengthen it */
		const struct pod_clock_ops *clock = pod->env->opt.clock;

		if (pod->grace_timer && deadline < clock->when(pod->grace_timer))
			clock->move(pod->grace_timer, deadline);
		return;
	}
	pod->deleting = true;
	pod->stop_deadline = deadline;
	sup_pod_delete(pod->sup, pods_now(pod->env));
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		pods_timer_cancel(pod->env, &pod->restarts[i].timer);
		if (pod->sup->containers[i].state == SUP_RUNNING)
			pod_event(pod, pod->sup->containers[i].name, "Normal", "Killing",
			          "Stopping container %s", pod->sup->containers[i].name);
	}
	pod_persist(pod);
	pod_crash_point("delete-requested");
	for (size_t i = 0; grace > 0 && i < pod->sup->n_containers; i++)
		if (pod->sup->containers[i].state == SUP_RUNNING &&
		    pre_stop(pod, i, deadline, grace))
			hooks = true;
	if (grace == 0) {
		pod_stop_containers(pod, SIGKILL);
	} else {
		/* the containers whose preStop hook runs get their SIGTERM when it ends */
		pod_stop_containers(pod, SIGTERM);
		r = pods_timer_at(pod->env, &pod->grace_timer, CLOCK_MONOTONIC,
		                  deadline + (hooks ? POD_MIN_GRACE_USEC : 0), on_grace_over, pod);
		if (r < 0) {
			log_error("pod %s: grace timer: %s", pod->spec->name, strerror(-r));
			pod_stop_containers(pod, SIGKILL);
		}
	}
	pod_stop_shim_if_done(pod);
}

void pod_stop_containers(struct pod *pod, int signal)
{
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		if (signal == SIGKILL)
			kill_container_cgroup(pod, i);
		else if (!pod->restarts || !pod->restarts[i].pre_stopping)
			term_container(pod, i);
	}
}

void pod_run_done(struct pod *pod)
{
	for (size_t i = 0; pod->restarts && i < pod->plan->n_containers; i++) {
		pods_timer_cancel(pod->env, &pod->restarts[i].timer);
		pods_timer_cancel(pod->env, &pod->restarts[i].kill_timer);
	}
	free(pod->restarts);
	pod->restarts = NULL;
	free(pod->start_unsure);
	pod->start_unsure = NULL;
	cancel_requests(pod);
	pod->env->shim->cancel(pod->shim_starting);
	pod->shim_starting = NULL;
	pods_timer_cancel(pod->env, &pod->sandbox_timer);
	pods_timer_cancel(pod->env, &pod->network_timer);
	pods_timer_cancel(pod->env, &pod->adopt_timer);
	pod_teardown_cancel(pod);
	pod_watch_close(pod);
	pods_timer_cancel(pod->env, &pod->grace_timer);
	unwatch_shim(pod);
	pod_images_done(pod);
}
