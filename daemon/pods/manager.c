/* daemon/pods/manager.c: the top layer of the pod manager (manager.h): the registry of pods and
 * their two ends — create (record, plan, set up, start; all or nothing) and delete (graceful
 * stop, then removal of everything the pod had). What happens in between is lifecycle.c's;
 * what a start finds, restore.c's. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "logs/logs.h"
#include "pods/exec.h"
#include "pods/manager.h"

#define USERNS_FIRST_ID 100000 /* the first id of the first pod's user namespace */
#define USERNS_SIZE     65536

static int by_namespace_and_name(const void *a, const void *b)
{
	const struct pod *x = *(const struct pod *const *)a, *y = *(const struct pod *const *)b;
	int c = strcmp(x->spec->namespace, y->spec->namespace);

	return c ? c : strcmp(x->spec->name, y->spec->name);
}

json_t *pods_list_json(struct pods *pods, const char *namespace,
                       bool (*match)(const json_t *pod, void *userdata), void *userdata)
{
	json_t *items = json_array();
	_cleanup_free_ struct pod **sorted = NULL;
	size_t n = 0;
	char rv[24];

	/* in the API server's order (its storage's keys): by namespace, then name */
	for (struct pod *p = pods->list; p; p = p->next)
		n++;
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		items = (json_decref(items), NULL);
	n = 0;
	for (struct pod *p = pods->list; sorted && p; p = p->next)
		sorted[n++] = p;
	if (sorted)
		qsort(sorted, n, sizeof(*sorted), by_namespace_and_name);
	for (size_t i = 0; items && i < n; i++) {
		struct pod *p = sorted[i];
		json_t *pod;

		if (namespace && strcmp(p->spec->namespace, namespace) != 0)
			continue;
		pod = pod_to_json(p);
		if (pod && match && !match(pod, userdata)) {
			json_decref(pod);
			continue;
		}
		if (!pod || json_array_append_new(items, pod) < 0)
			items = (json_decref(items), NULL);
	}
	snprintf(rv, sizeof(rv), "%" PRIu64, pods->env.resource_version);
	return json_pack("{s:s, s:s, s:{s:s}, s:o*}", "kind", "PodList", "apiVersion", "v1",
	                 "metadata", "resourceVersion", rv, "items", items);
}

uint64_t pods_resource_version(const struct pods *pods)
{
	return pods->env.resource_version;
}

struct watch_ring *pods_watch_ring(const struct pods *pods)
{
	return pods->env.ring;
}

struct store *pods_store(const struct pods *pods)
{
	return pods->env.store;
}

void pods_each(struct pods *pods, void (*fn)(struct pod *pod, void *userdata), void *userdata)
{
	for (struct pod *p = pods->list; p; p = p->next)
		fn(p, userdata);
}

static bool plan_uses_image(const struct plan *plan, const char *image_id)
{
	for (size_t i = 0; plan && i < plan->n_containers; i++)
		if (plan->containers[i].root.image_id &&
		    strcmp(plan->containers[i].root.image_id, image_id) == 0)
			return true;
	return false;
}

bool pods_image_in_use(const struct pods *pods, const char *image_id, char *who, size_t who_size)
{
	/* a pod being created or removed still has its containers' roots mounted */
	const struct pod *const lists[] = {pods->list, pods->creating, pods->removing};

	for (size_t l = 0; l < ELEMENTSOF(lists); l++)
		for (const struct pod *p = lists[l]; p; p = p->next)
			if (plan_uses_image(p->plan, image_id)) {
				if (who && who_size)
					snprintf(who, who_size, "%s/%s",
					         p->spec && p->spec->namespace ? p->spec->namespace
					                                       : "",
					         p->spec && p->spec->name ? p->spec->name : "");
				return true;
			}
	return false;
}

const struct prom_histogram *pods_start_durations(const struct pods *pods)
{
	return &pods->env.start_durations;
}

/* ---- lookups --------------------------------------------------------------------------------- */

static struct pod *find_in(struct pod *list, const char *namespace, const char *name);

struct pod *pods_find(struct pods *pods, const char *namespace, const char *name)
{
	return find_in(pods->list, namespace, name);
}

/* ---- create ---------------------------------------------------------------------------------- */

struct pod *pod_free(struct pod *pod)
{
	if (!pod)
		return NULL;
	pod_probes_done(pod);
	pod_run_done(pod);
	store_after_commit_cancel(pod->env->store, NULL, pod);
	free(pod->waiters);
	pod_record_free(pod);
	return NULL;
}

/* hostUsers: false: a range of 65536 node ids no other pod of this node uses. */
static uint32_t pick_userns_base(const struct pods *pods)
{
	for (uint32_t base = USERNS_FIRST_ID;; base += USERNS_SIZE) {
		bool taken = false;

		for (const struct pod *p = pods->list; p && !taken; p = p->next)
			taken = p->userns_base == base;
		for (const struct pod *p = pods->creating; p && !taken; p = p->next)
			taken = p->userns_base == base;
		if (!taken)
			return base;
	}
}

static size_t pods_count(const struct pods *pods)
{
	size_t n = 0;

	for (const struct pod *p = pods->list; p; p = p->next)
		n++;
	for (const struct pod *p = pods->creating; p; p = p->next)
		n++;
	return n;
}

size_t pods_fd_cost(size_t n_containers, enum plan_cgroup_driver driver)
{
	return 2 + n_containers * (driver == PLAN_CGROUP_V2 ? 1 : 2);
}

/* What every pod the daemon holds (listed, being created, being removed) may hold at once. */
static size_t pods_fds(const struct pods *pods, enum plan_cgroup_driver driver)
{
	const struct pod *lists[] = {pods->list, pods->creating, pods->removing};
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		for (const struct pod *p = lists[i]; p; p = p->next)
			n += pods_fd_cost(p->plan->n_containers, driver);
	return n + pods->env.exec_fds;
}

/* The same for exec.c, which knows only the environment (the manager's struct pods begins
 * with it). */
static size_t env_fds_held(struct pod_env *env)
{
	struct pods *pods = pods_of(env);

	return pods_fds(pods, cgroup_driver_kind(pods->env.cgroup));
}

/* Whether two hostPorts of a node are the same one: a protocol and port, on the same hostIP
 * or where either is every address (none given, or 0.0.0.0), as the scheduler counts them. */
static bool host_ports_clash(const struct spec_port *a, const struct spec_port *b)
{
	const char *ia = a->host_ip && *a->host_ip ? a->host_ip : "0.0.0.0";
	const char *ib = b->host_ip && *b->host_ip ? b->host_ip : "0.0.0.0";

	return a->host_port && a->host_port == b->host_port && !strcmp(a->protocol, b->protocol) &&
	       (!strcmp(ia, "0.0.0.0") || !strcmp(ib, "0.0.0.0") || !strcmp(ia, ib));
}

/* The pod of this node (listed or being created) that holds the hostPort, or NULL. */
static const struct pod *host_port_holder(const struct pods *pods, const struct spec_port *want)
{
	const struct pod *lists[] = {pods->list, pods->creating};

	for (size_t l = 0; l < ELEMENTSOF(lists); l++)
		for (const struct pod *p = lists[l]; p; p = p->next)
			for (size_t i = 0; i < p->spec->n_containers; i++)
				for (size_t j = 0; j < p->spec->containers[i].n_ports; j++)
					if (host_ports_clash(want,
					                     &p->spec->containers[i].ports[j]))
						return p;
	return NULL;
}

/* A hostPort another pod holds: Kubernetes' scheduler would never have placed the pod on this
 * node, so it is refused (409 Conflict), naming the port and the other pod. */
static int check_host_ports(const struct pods *pods, const struct spec_pod *spec,
                            struct nano_err *err)
{
	for (size_t i = 0; i < spec->n_containers; i++)
		for (size_t j = 0; j < spec->containers[i].n_ports; j++) {
			const struct spec_port *want = &spec->containers[i].ports[j];
			const struct pod *holder = host_port_holder(pods, want);

			if (holder)
				return nano_err_setc(err, NANO_IN_USE, EADDRINUSE,
				                     "pods \"%s\": hostPort %" PRId64
				                     "/%s is in use on this node by pod %s/%s",
				                     spec->name, want->host_port, want->protocol,
				                     holder->spec->namespace, holder->spec->name);
		}
	return 0;
}

/* The cgroup driver, opened when the first pod needs it: until then nanoletd makes nothing in
 * cgroupfs (the driver creates nanolet's root when it opens). */
int pods_cgroup_ready(struct pods *pods, struct nano_err *err)
{
	if (pods->env.cgroup)
		return 0;
	if (cgroup_driver_open(&pods->env.opt.cgroup, &pods->env.cgroup, err) < 0)
		return nano_err_wrap(err, "cgroup driver");
	return 0;
}

static struct pod *find_in(struct pod *list, const char *namespace, const char *name)
{
	for (struct pod *p = list; p; p = p->next)
		if (strcmp(p->spec->namespace, namespace) == 0 && strcmp(p->spec->name, name) == 0)
			return p;
	return NULL;
}

static void unlink_pod(struct pod **list, struct pod *pod)
{
	for (struct pod **p = list; *p; p = &(*p)->next)
		if (*p == pod) {
			*p = pod->next;
			break;
		}
	pod->next = NULL;
}

/* A create that failed, once nothing of it is left on the node: its row goes, then the answer.
 * (A crash before the row went leaves it marked creating: the next start removes it.) */
static void create_removed(struct pod *pod)
{
	struct pods *pods = pods_of(pod->env);

	unlink_pod(&pods->removing, pod);
	store_pod_delete(pods->env.store, pod->uid, NULL);
	pod->created_fn(pod->created_userdata, pod->failure.errnum ? -pod->failure.errnum : -EIO,
	                NULL, &pod->failure);
	pod_free(pod);
}

/* All or nothing: a pod that cannot start on the node is not kept. */
static void create_failed(struct pod *pod, int r, const struct nano_err *err)
{
	struct pods *pods = pods_of(pod->env);
	const char *message = err && err->message ? err->message : strerror(-r);

	log_error("pod %s/%s: %s", pod->spec->namespace, pod->spec->name, message);
	nano_err_setc(&pod->failure, err ? err->class : NANO_INTERNAL, -r, "%s", message);
	pod_probes_done(pod);
	pod_run_done(pod);
	pod->next = pods->removing;
	pods->removing = pod;
	if (pod_teardown(pod, create_removed) < 0)
		create_removed(pod);
}

/* A create ends: every container's first start has its answer, or the sandbox failed. */
/* The 201 promises the pod survives a crash: it goes once the mark is off on disk. A commit
 * that failed leaves the pod marked creating, if at all: it is not kept. */
static void create_committed(void *userdata, int r, const struct nano_err *err)
{
	struct pod *pod = userdata;

	if (r < 0) {
		unlink_pod(&pods_of(pod->env)->list, pod);
		pod_announce_deleted(pod);
		pod->creating = true;
		return create_failed(pod, r, err);
	}
	pod_crash_point("before-201");
	pod->created_fn(pod->created_userdata, 0, pod, NULL);
}

static void create_settled(struct pod *pod, int r, const struct nano_err *err)
{
	struct pods *pods = pods_of(pod->env);
	_cleanup_(nano_err_clear) struct nano_err save_err = {0};

	unlink_pod(&pods->creating, pod);
	if (r >= 0) {
		pod->creating = false;
		r = pod_save(pod, &save_err);
		if (r >= 0)
			r = store_after_commit(pods->env.store, create_committed, pod);
		err = &save_err;
	}
	if (r < 0)
		return create_failed(pod, r, err);
	pod->next = pods->list;
	pods->list = pod;
}

int pods_create(struct pods *pods, struct spec_pod **specp, const char *scheduled,
                pods_created_fn *fn, void *userdata, struct nano_err *err)
{
	struct spec_pod *spec = *specp;
	_cleanup_json_ json_t *status = NULL, *runtime = NULL, *object = NULL;
	struct pod *pod = NULL;
	uint64_t seen = pods_clock(&pods->env, CLOCK_MONOTONIC);
	int r;

	if (pods_find(pods, spec->namespace, spec->name) ||
	    find_in(pods->creating, spec->namespace, spec->name))
		return nano_err_setc(err, NANO_CONFLICT, EEXIST, "pods \"%s\" already exists",
		                     spec->name);
	if ((int64_t)pods_count(pods) >= pods->env.opt.max_pods)
		return nano_err_setc(err, NANO_FORBIDDEN, EDQUOT,
		                     "pods \"%s\" is forbidden: this node runs at most %" PRId64
		                     " pods (max_pods)",
		                     spec->name, pods->env.opt.max_pods);
	r = check_host_ports(pods, spec, err);
	if (r < 0)
		return r;
	r = pods_cgroup_ready(pods, err);
	if (r < 0)
		return r;
	if (pods->env.opt.fd_budget) {
		enum plan_cgroup_driver driver = cgroup_driver_kind(pods->env.cgroup);
		size_t held = pods_fds(pods, driver),
		       cost = pods_fd_cost(spec->n_containers, driver);

		/* refused whole rather than made by halves: a pod short of descriptors would fail
		 * to watch its shim, or a later restart would */
		if (held + cost > pods->env.opt.fd_budget)
			return nano_err_setc(err, NANO_UNAVAILABLE, EMFILE,
			                     "pods \"%s\": the daemon is out of file descriptors "
			                     "for pods: %zu pods may hold %zu of the %zu it can "
			                     "give them, this one needs %zu (RLIMIT_NOFILE: raise "
			                     "LimitNOFILE= of nanoletd.service, or ulimit -n)",
			                     spec->name, pods_count(pods), held,
			                     pods->env.opt.fd_budget, cost);
	}
	*specp = NULL;
	r = pod_new(&pods->env, spec, NULL, NULL,
	            spec->host_users == SPEC_BOOL_FALSE ? pick_userns_base(pods) : 0, &pod, err);
	if (r < 0)
		return pod_free(pod), r;
	pod->seen_usec = seen;
	/* The row first, marked creating, in one transaction: a crash from here until the mark
	 * is cleared leaves a row that the next start recognises and removes with everything
	 * made for it, so a POST that got no answer leaves the pod whole or not at all. */
	pod->creating = true;
	status = sup_pod_status_json(pod->sup);
	runtime = pod_runtime_json(pod);
	object = pod_object(pod);
	if (!status || !runtime || !object)
		return pod_free(pod), nano_err_set(err, ENOMEM, "out of memory");
	r = store_begin(pods->env.store, err);
	if (r >= 0)
		r = store_pod_insert(pods->env.store, pod->uid, spec->namespace, spec->name, object,
		                     status, pods_now(&pods->env) * INT64_C(1000000000), err);
	if (r >= 0)
		r = store_pod_save(pods->env.store, pod->uid, status, runtime, err);
	/* its address with its row, so that shim.json can name it; none free is not a failed
	 * create: the pod waits Pending for one (lifecycle.c), as a kubelet whose CNI plugin
	 * has no address to give keeps a pod in FailedCreatePodSandBox */
	if (r >= 0 && pod_on_network(pod)) {
		r = pod_assign_ip(pod, err);
		if (r == -EADDRNOTAVAIL) {
			nano_err_clear(err);
			r = 0;
		}
	}
	if (r >= 0)
		r = store_commit(pods->env.store, err);
	/* on disk before anything is made for it (the batch's commit, come early) */
	if (r >= 0)
		r = store_sync(pods->env.store, err);
	if (r < 0) {
		store_rollback(pods->env.store);
		return pod_free(pod), r;
	}
	pod_crash_point("after-insert");
	if (scheduled)
		pod_event(pod, NULL, "Normal", "Scheduled", "%s", scheduled);
	/* the answer comes to create_settled, once the shim and the containers' starts have
	 * answered: nothing waits for them meanwhile */
	pod->settled = create_settled;
	pod->created_fn = fn;
	pod->created_userdata = userdata;
	r = pod_sandbox_start(pod, SIZE_MAX, err);
	if (r < 0) {
		/* answered once what was made is removed */
		create_failed(pod, r, err);
		nano_err_clear(err);
		return 0;
	}
	pod->next = pods->creating;
	pods->creating = pod;
	return 0;
}

/* ---- delete ---------------------------------------------------------------------------------- */

/* The longest grace nanolet waits. Kubernetes takes any int64, but the store keeps grace * 1e9
 * in 64 bits and the timer counts microseconds: a longer one is this, 68 years. (A pod created
 * with terminationGracePeriodSeconds 1e10 once could not be deleted: 422.) */
#define POD_MAX_GRACE_SECONDS INT64_C(2147483647)

static int64_t effective_grace(const struct pod *pod, int64_t grace)
{
	if (grace < 0)
		grace = pod->spec->termination_grace_period_seconds;
	return grace > POD_MAX_GRACE_SECONDS ? POD_MAX_GRACE_SECONDS : grace;
}

int pod_delete_record(struct pod *pod, int64_t grace, struct nano_err *err)
{
	int r;

	grace = effective_grace(pod, grace);
	r = store_pod_mark_deleting(pod->env->store, pod->uid,
	                            pods_now(pod->env) * INT64_C(1000000000), grace, err);
	if (r < 0)
		return r;
	/* deletionTimestamp, a MODIFIED for the watches (kubectl delete waits on them) */
	pod_set_deletion(pod, pods_now(pod->env), grace);
	pod_changed(pod);
	/* on disk before the pod is stopped */
	return store_sync(pod->env->store, err);
}

void pod_delete(struct pod *pod, int64_t grace, pods_deleted_fn *fn, void *userdata)
{
	struct pod_waiter *w;

	grace = effective_grace(pod, grace);
	if (fn && (w = realloc(pod->waiters, (pod->n_waiters + 1) * sizeof(*w)))) {
		pod->waiters = w;
		pod->waiters[pod->n_waiters++] = (struct pod_waiter){fn, userdata};
	}
	pod_stop(pod, grace); /* its end comes to pod_finish_delete (env.stopped) */
}

/* The deletes a removal answers, once the row's removal is on disk (the pod is gone by then). */
struct delete_answer {
	json_t *last; /* the Pod as it last was */
	struct pod_waiter *waiters;
	size_t n_waiters;
};

static void delete_committed(void *userdata, int r, const struct nano_err *err)
{
	struct delete_answer *answer = userdata;

	for (size_t i = 0; i < answer->n_waiters; i++)
		answer->waiters[i].fn(answer->waiters[i].userdata, r, r < 0 ? NULL : answer->last,
		                      err);
	json_decref(answer->last);
	free(answer->waiters);
	free(answer);
}

/* The last step of a delete, once nothing of the pod is left on the node. */
static void delete_removed(struct pod *pod)
{
	struct pods *pods = pods_of(pod->env);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct delete_answer *answer = calloc(1, sizeof(*answer));

	pod_crash_point("delete-before-row");
	if (store_pod_delete(pods->env.store, pod->uid, &err) < 0)
		log_error("pod %s: %s", pod->spec->name, err.message);
	unlink_pod(&pods->list, pod);
	pod_announce_deleted(pod); /* the watches' DELETED, with the last object */
	if (answer) {
		answer->last = pod_to_json(pod);
		answer->waiters = TAKE_PTR(pod->waiters);
		answer->n_waiters = pod->n_waiters;
		pod->n_waiters = 0;
	}
	if (!answer || !answer->last ||
	    store_after_commit(pods->env.store, delete_committed, answer) < 0) {
		nano_err_set(&err, ENOMEM, "out of memory");
		if (answer)
			delete_committed(answer, -ENOMEM, &err);
		for (size_t i = 0; i < pod->n_waiters; i++)
			pod->waiters[i].fn(pod->waiters[i].userdata, -ENOMEM, NULL, &err);
	}
	pod_notify_watches(pod, SIZE_MAX);
	log_info("pod %s/%s (%s) deleted", pod->spec->namespace, pod->spec->name, pod->uid);
	pod_free(pod);
}

void pod_finish_delete(struct pod *pod)
{
	pod_probes_done(pod);
	pod_run_done(pod);
	/* listed, terminating, until its processes, cgroups and files are gone */
	if (pod_teardown(pod, delete_removed) < 0)
		delete_removed(pod);
}

/* ---- the registry ---------------------------------------------------------------------------- */

#define EXPIRE_USEC (60 * UINT64_C(1000000))

static void on_expire(void *userdata)
{
	struct pods *pods = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int64_t cutoff = (pods_now(&pods->env) - pods->env.opt.event_ttl) * INT64_C(1000000000);
	int r;

	if (store_events_expire(pods->env.store, cutoff, &err) < 0)
		log_warn("expiring events: %s", err.message);
	r = pods_timer_in(&pods->env, &pods->expire_timer, EXPIRE_USEC, on_expire, pods);
	if (r < 0)
		log_error("the events' expiry timer: %s", strerror(-r));
}

/* Each pod's cgroup counters are sampled once every cpu_throttling_interval, a few pods at a
 * time: a tick samples the pods whose turn has come, at most its share of them, so that a
 * thousand pods' reads (0.4 to 0.7 s in one go) never hold the loop for more than a tick's
 * share (a hundredth of them at the default 10 s). */
#define SAMPLE_TICK_USEC (100 * UINT64_C(1000))

static void on_sample(void *userdata)
{
	struct pods *pods = userdata;
	int64_t interval = pods->env.opt.cpu_throttling_interval;
	uint64_t interval_usec = (uint64_t)interval * 1000000;
	uint64_t now = pods_clock(&pods->env, CLOCK_MONOTONIC);
	size_t n = pods_count(pods), share = n * SAMPLE_TICK_USEC / interval_usec + 1, done = 0;
	int r;

	for (struct pod *p = pods->list; p && done < share; p = p->next) {
		if (now - p->sampled_usec < interval_usec)
			continue;
		pod_monitor_sample(p, interval);
		p->sampled_usec = now;
		done++;
	}
	r = pods_timer_in(&pods->env, &pods->sample_timer,
	                  n > 0 && SAMPLE_TICK_USEC < interval_usec ? SAMPLE_TICK_USEC
	                                                            : interval_usec,
	                  on_sample, pods);
	if (r < 0)
		log_error("the sample timer: %s", strerror(-r));
}

/* nanolet_pod_start_duration_seconds: nanolet starts a pod in about 0.1 s, the kubelet's
 * buckets begin at 0.5 s. */
static const double start_buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

/* The ring holds watch_history changes of pods and events: a watch from a resourceVersion
 * older than they reach is told 410 Gone and lists again, as with an API server's watch cache. */
#define WATCH_HISTORY_DEFAULT 1024

/* The counter goes on from the stored one; the ring starts empty there (what changed before
 * the restart is not known any more: a watch from before it is too old). */
static int resource_version_open(struct pods *pods, struct nano_err *err)
{
	_cleanup_free_ char *text = NULL;
	int r = store_meta_get(pods->env.store, "resourceVersion", &text, err);

	if (r == -ENOENT) {
		nano_err_clear(err);
	} else if (r < 0) {
		return r;
	} else if (watch_parse_resource_version(text, &pods->env.resource_version) < 0) {
		return nano_err_setc(err, NANO_INTERNAL, EUCLEAN,
		                     "the store's resourceVersion \"%s\" is not a number", text);
	}
	r = watch_ring_new(pods->env.opt.watch_history ? pods->env.opt.watch_history
	                                               : WATCH_HISTORY_DEFAULT,
	                   pods->env.resource_version, &pods->env.ring);
	return r < 0 ? nano_err_set(err, -r, "out of memory") : 0;
}

int pods_open(const struct pods_options *options, struct pods **out, struct nano_err *err)
{
	struct pods *pods = calloc(1, sizeof(*pods));
	int r;

	if (!pods)
		return nano_err_set(err, ENOMEM, "out of memory");
	*out = pods;
	pods->env.opt = *options;
	pods->env.event = options->event;
	pods->env.sup = options->sup;
	pods->env.host_ip = options->host_ip;
	pods->env.hostname = options->hostname;
	pods->env.shim = options->shim;
	pods->env.shim_ctx = options->shim_ctx;
	pods->env.shim_timeout_usec = options->shim_timeout_usec;
	pods->env.stopped = pod_finish_delete;
	pods->env.changed = pod_probes_sync;
	pods->env.pre_stop = pod_probes_pre_stop;
	pods->env.fds_held = env_fds_held;
	if (options->network && (net_new(options->network, &pods->env.net, err) < 0 ||
	                         hostports_new(&pods->env.hostports, err) < 0))
		return nano_err_wrap(err, "pod network");
	if (prom_histogram_init(&pods->env.start_durations, start_buckets,
	                        sizeof(start_buckets) / sizeof(start_buckets[0])) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_open(options->state_dir, &pods->env.store, err);
	if (r < 0)
		return r;
	r = resource_version_open(pods, err);
	if (r < 0)
		return r;
	r = pods_timer_in(&pods->env, &pods->expire_timer, EXPIRE_USEC, on_expire, pods);
	if (r >= 0)
		r = pods_timer_in(&pods->env, &pods->sample_timer,
		                  (uint64_t)options->cpu_throttling_interval * 1000000, on_sample,
		                  pods);
	if (r < 0)
		return nano_err_set(err, -r, "timers: %s", strerror(-r));
	return pods_restore(pods, err);
}

struct pods *pods_free(struct pods *pods)
{
	if (!pods)
		return NULL;
	/* An exec ends with the daemon: its connection to the shim goes, and with it the process
	 * (the shim's helper kills it); its caller hears -ESHUTDOWN. */
	pod_execs_stop(&pods->env);
	/* A create not answered yet is not kept: its row is still marked creating, and the next
	 * start removes what was made for it (also of one whose removal was under way). */
	while (pods->removing) {
		struct pod *pod = pods->removing;
		struct nano_err err = {0};

		pods->removing = pod->next;
		nano_err_setc(&err, NANO_UNAVAILABLE, ESHUTDOWN,
		              "nanoletd is stopping: the pod was not created");
		if (pod->created_fn)
			pod->created_fn(pod->created_userdata, -ESHUTDOWN, NULL, &err);
		nano_err_clear(&err);
		pod_free(pod);
	}
	while (pods->creating) {
		struct pod *pod = pods->creating;
		struct nano_err err = {0};

		pods->creating = pod->next;
		nano_err_setc(&err, NANO_UNAVAILABLE, ESHUTDOWN,
		              "nanoletd is stopping: the pod was not created");
		pod->created_fn(pod->created_userdata, -ESHUTDOWN, NULL, &err);
		nano_err_clear(&err);
		pod_free(pod);
	}
	/* The pods go on without us: their shims hold them (the daemon may restart). */
	while (pods->list) {
		struct pod *next = pods->list->next;

		for (size_t i = 0; i < pods->list->n_waiters; i++) {
			struct pod_waiter *w = &pods->list->waiters[i];
			struct nano_err err = {0};

			nano_err_setc(&err, NANO_UNAVAILABLE, ESHUTDOWN,
			              "nanoletd is stopping: the delete goes on when it is back");
			w->fn(w->userdata, -ESHUTDOWN, NULL, &err);
			nano_err_clear(&err);
		}
		pod_notify_watches(pods->list, SIZE_MAX);
		pod_free(pods->list);
		pods->list = next;
	}
	pods_sweep_done(pods);
	pods_timer_cancel(&pods->env, &pods->expire_timer);
	pods_timer_cancel(&pods->env, &pods->sample_timer);
	store_close(pods->env.store);
	watch_ring_free(pods->env.ring);
	cgroup_driver_free(pods->env.cgroup);
	net_free(pods->env.net);
	hostports_free(pods->env.hostports);
	prom_histogram_done(&pods->env.start_durations);
	free(pods);
	return NULL;
}
