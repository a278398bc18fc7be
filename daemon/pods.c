/* daemon/pods.c: the registry of pods and their two ends — create (record, plan, set up, start;
 * all or nothing) and delete (graceful stop, then removal of everything the pod had) — plus the
 * JSON the API answers with and the pod's events. What happens in between is pod_run.c's. */
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
#include "pods_internal.h"

#define USERNS_FIRST_ID 100000 /* the first id of the first pod's user namespace */
#define USERNS_SIZE     65536

/* ---- events ---------------------------------------------------------------------------------- */

void pod_event(struct pod *pod, const char *container, const char *type, const char *reason,
               const char *fmt, ...)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *message = NULL, *field_path = NULL;
	struct store_event_new ev;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	if (container)
		field_path = strdupf("spec.containers{%s}", container);
	if (!message || (container && !field_path))
		return log_error("pod %s: event %s: out of memory", pod->spec->name, reason);
	ev = (struct store_event_new){
	        .namespace = pod->spec->namespace,
	        .involved = {.kind = "Pod",
	                     .name = pod->spec->name,
	                     .namespace = pod->spec->namespace,
	                     .uid = pod->uid,
	                     .field_path = field_path},
	        .reason = reason,
	        .message = message,
	        .type = type,
	        .source_component = "nanolet",
	        .source_host = pod->pods->hostname,
	};
	if (store_event_record(pod->pods->store, &ev, pods_now() * INT64_C(1000000000), NULL,
	                       &err) < 0)
		log_error("pod %s: event %s: %s", pod->spec->name, reason, err.message);
	log_info("pod %s/%s%s%s: %s: %s", pod->spec->namespace, pod->spec->name,
	         container ? " container " : "", container ? container : "", reason, message);
}

/* metav1.Time: whole seconds, UTC. */
static void rfc3339_now(char buf[UTIL_RFC3339_SIZE])
{
	struct timespec now = {.tv_sec = pods_now()};

	if (util_rfc3339(buf, UTIL_RFC3339_SIZE, &now, false) < 0)
		buf[0] = '\0';
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* A random (version 4) UUID, as the API server gives every object. */
static int uuid_v4(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	util_uuid_format(b, out);
	return 0;
}

json_t *pod_object_new(const struct spec_pod *spec, const char *uid)
{
	json_t *obj = json_deep_copy(spec->object);
	json_t *metadata = json_object_get(obj, "metadata");
	char now[UTIL_RFC3339_SIZE];

	if (!obj || !json_is_object(metadata))
		return json_decref(obj), NULL;
	rfc3339_now(now);
	json_object_set_new(obj, "apiVersion", json_string("v1"));
	json_object_set_new(obj, "kind", json_string("Pod"));
	json_object_set_new(metadata, "uid", json_string(uid));
	json_object_set_new(metadata, "creationTimestamp", json_string(now));
	return obj;
}

json_t *pod_dry_run_json(const struct spec_pod *spec)
{
	char uid[37];
	json_t *obj;

	if (uuid_v4(uid) < 0 || !(obj = pod_object_new(spec, uid)))
		return NULL;
	json_object_set_new(obj, "status",
	                    json_pack("{s:s, s:s}", "phase", "Pending", "qosClass",
	                              spec_qos_name(spec_pod_qos(spec))));
	return obj;
}

json_t *pod_to_json(const struct pod *pod)
{
	json_t *obj = json_deep_copy(pod->object);

	if (obj && pod->deleting) {
		char when[UTIL_RFC3339_SIZE];

		rfc3339_now(when);
		json_object_set_new(json_object_get(obj, "metadata"), "deletionTimestamp",
		                    json_string(when));
	}
	if (obj && json_object_set_new(obj, "status", sup_pod_status_json(pod->sup)) < 0)
		return json_decref(obj), NULL;
	return obj;
}

json_t *pods_list_json(struct pods *pods, const char *namespace)
{
	json_t *items = json_array();

	for (struct pod *p = pods->list; items && p; p = p->next)
		if (!namespace || strcmp(p->spec->namespace, namespace) == 0)
			json_array_append_new(items, pod_to_json(p));
	return json_pack("{s:s, s:s, s:{s:s}, s:o*}", "kind", "PodList", "apiVersion", "v1",
	                 "metadata", "resourceVersion", "", "items", items);
}

/* The shim's /proc/<pid>/uid_map or gid_map as OCI LinuxIDMappings: the live maps of a pod's
 * user namespace. null without a shim or a map to read. */
static json_t *live_id_map(const struct pod *pod, const char *file)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	json_t *maps;

	if (!pod->shim_watch || pod->shim_pid <= 0)
		return json_null();
	path = strdupf("/proc/%d/%s", (int)pod->shim_pid, file);
	if (!path || util_read_file_at(AT_FDCWD, path, &text) < 0)
		return json_null();
	maps = json_array();
	for (char *line = text, *next; maps && line && *line; line = next) {
		unsigned long inside, outside, count;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3)
			json_array_append_new(maps, json_pack("{s:I, s:I, s:I}", "containerID",
			                                      (json_int_t)inside, "hostID",
			                                      (json_int_t)outside, "size",
			                                      (json_int_t)count));
	}
	return maps ? maps : json_null();
}

json_t *pod_isolation_json(const struct pod *pod)
{
	json_t *plan = plan_to_json(pod->plan);
	json_t *live = json_object(), *containers = json_array();

	for (size_t i = 0; live && containers && i < pod->sup->n_containers; i++) {
		const struct sup_container *c = &pod->sup->containers[i];
		const char *rel = pod_container_cgroup(pod, i);
		_cleanup_strv_ char **procs = NULL;
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		json_t *dirs = json_array();

		/* the directories each hierarchy holds the container's cgroup in */
		cgroup_driver_procs_files(pod->pods->cgroup, rel, &procs, &err);
		for (char **p = procs; dirs && p && *p; p++)
			json_array_append_new(
			        dirs, json_stringn(*p, strlen(*p) - strlen("/cgroup.procs")));
		json_array_append_new(containers,
		                      json_pack("{s:s, s:i, s:b, s:o}", "name", c->name, "pid",
		                                (int)c->pid, "running", c->state == SUP_RUNNING,
		                                "cgroupDirs", dirs));
	}
	if (!plan || !live || !containers) {
		json_decref(plan);
		json_decref(live);
		json_decref(containers);
		return NULL;
	}
	json_object_set_new(live, "shimPid", json_integer(pod->shim_watch ? pod->shim_pid : 0));
	/* the user namespace as the kernel holds it, beside the plan's pod.userNamespace */
	if (pod->plan->namespaces[PLAN_NS_USER].mode != PLAN_NS_HOST) {
		json_object_set_new(live, "uidMappings", live_id_map(pod, "uid_map"));
		json_object_set_new(live, "gidMappings", live_id_map(pod, "gid_map"));
	}
	json_object_set_new(live, "containers", containers);
	json_object_set_new(plan, "live", live);
	return plan;
}

struct store *pods_store(const struct pods *pods)
{
	return pods->store;
}

void pods_each(struct pods *pods, void (*fn)(struct pod *pod, void *userdata), void *userdata)
{
	for (struct pod *p = pods->list; p; p = p->next)
		fn(p, userdata);
}

const struct prom_histogram *pods_start_durations(const struct pods *pods)
{
	return &pods->start_durations;
}

/* ---- lookups --------------------------------------------------------------------------------- */

static struct pod *find_in(struct pod *list, const char *namespace, const char *name);

struct pod *pods_find(struct pods *pods, const char *namespace, const char *name)
{
	return find_in(pods->list, namespace, name);
}

static int container_index(const struct pod *pod, const char *container)
{
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		if (strcmp(pod->plan->containers[i].name, container) == 0)
			return (int)i;
	return -ENOENT;
}

const char *pod_container_cgroup(const struct pod *pod, size_t container)
{
	return cgroup_driver_relative(pod->pods->cgroup,
	                              pod->plan->containers[container].cgroup.path);
}

int pod_container_logs(const struct pod *pod, const char *container, char **dir, int *restart)
{
	int i = container_index(pod, container);

	if (i < 0)
		return i;
	*dir = strdupf("%s/%s", pod->log_dir, container);
	*restart = pod->sup->containers[i].attempts - 1;
	return *dir ? 0 : -ENOMEM;
}

bool pod_container_running(const struct pod *pod, const char *container)
{
	int i = container_index(pod, container);

	return i >= 0 && pod->sup->containers[i].state == SUP_RUNNING;
}

size_t pod_containers(const struct pod *pod, const char **names, size_t max)
{
	size_t n = 0;

	for (; n < pod->plan->n_containers && n + 1 < max; n++)
		names[n] = pod->plan->containers[n].name;
	names[n] = NULL;
	return n;
}

struct pod_watch *pod_watch_container(struct pod *pod, const char *container, void (*fn)(void *),
                                      void *userdata)
{
	int i = container_index(pod, container);
	struct pod_watch *w;

	if (i < 0 || !(w = calloc(1, sizeof(*w))))
		return NULL;
	*w = (struct pod_watch){pod, (size_t)i, fn, userdata, pod->watches};
	pod->watches = w;
	return w;
}

void pod_watch_cancel(struct pod_watch *watch)
{
	for (struct pod_watch **w = &watch->pod->watches; *w; w = &(*w)->next)
		if (*w == watch) {
			*w = watch->next;
			free(watch);
			return;
		}
}

/* ---- create ---------------------------------------------------------------------------------- */

void pod_crash_point(const char *name)
{
	const char *at = getenv("NANOLET_CRASH_AT");

	if (at && strcmp(at, name) == 0) {
		log_warn("NANOLET_CRASH_AT=%s: killing nanoletd here (a test hook)", name);
		raise(SIGKILL);
	}
}

struct pod *pod_free(struct pod *pod)
{
	if (!pod)
		return NULL;
	pod_run_done(pod);
	if (pod->pods)
		store_after_commit_cancel(pod->pods->store, NULL, pod);
	free(pod->waiters);
	nano_err_clear(&pod->failure);
	free(pod->uid);
	spec_pod_free(pod->spec);
	plan_free(pod->plan);
	sup_pod_free(pod->sup);
	json_decref(pod->object);
	free(pod->run_dir);
	free(pod->volume_dir);
	free(pod->log_dir);
	free(pod->cgroup);
	free(pod);
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

int pod_new(struct pods *pods, struct spec_pod *spec, const char *stored_uid, json_t *object,
            uint32_t stored_userns_base, struct pod **out, struct nano_err *err)
{
	const struct nano_config *config = &pods->daemon->config;
	struct pod *pod = calloc(1, sizeof(*pod));
	struct plan_config plan_config;
	char uid[37], log_name[NAME_MAX + 1];

	if (!pod ||
	    (stored_uid ? snprintf(uid, sizeof(uid), "%s", stored_uid) < 0 : uuid_v4(uid) < 0))
		return free(pod), nano_err_set(err, ENOMEM, "out of memory");
	pod->pods = pods;
	pod->spec = spec;
	pod->exits_fd = pod->notify_fd = -1;
	pod->uid = strdup(uid);
	spec->uid = strdup(uid);
	/* the user namespace's range first: the plan says which node ids the pod's are */
	if (spec->host_users == SPEC_BOOL_FALSE)
		pod->userns_base = stored_uid ? stored_userns_base : pick_userns_base(pods);
	nanoletd_plan_config(pods->daemon, cgroup_driver_root(pods->cgroup), uid, pod->userns_base,
	                     &plan_config);
	if (plan_build(spec, &plan_config, NULL, &pod->plan) < 0 ||
	    sup_pod_new(spec, pods->host_ip, pods_now(), &pod->sup) < 0) {
		*out = pod;
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	pod->cgroup = strdup(cgroup_driver_relative(pods->cgroup, pod->plan->cgroup.path) ?: "");
	pod->run_dir = strdupf("%s/pods/%s", config->run_dir, uid);
	pod->volume_dir = strdupf("%s/pods/%s", config->state_dir, uid);
	/* <ns>_<name>_<uid>, or its shortened form where that passes NAME_MAX */
	if (logs_pod_dir_name(spec->namespace, spec->name, uid, log_name) == 0)
		pod->log_dir = strdupf("%s/pods/%s", config->log_dir, log_name);
	pod->object = object ? json_incref(object) : pod_object_new(spec, uid);
	*out = pod;
	if (!pod->uid || !spec->uid || !pod->cgroup || !pod->run_dir || !pod->volume_dir ||
	    !pod->log_dir || !pod->object)
		return nano_err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* The cgroup driver, opened when the first pod needs it: until then nanoletd makes nothing in
 * cgroupfs (the driver creates nanolet's root when it opens). */
int pods_cgroup_ready(struct pods *pods, struct nano_err *err)
{
	struct nanoletd *daemon = pods->daemon;
	struct cgroup_driver_options options = {
	        .mount = "/sys/fs/cgroup",
	        .host = daemon->host,
	        .driver =
	                daemon->cgroup_driver == CONFIG_CGROUP_V2 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
	        .root = daemon->config.cgroup_root,
	        .self_leaf = "daemon",
	};

	if (pods->cgroup)
		return 0;
	if (cgroup_driver_open(&options, &pods->cgroup, err) < 0)
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
	struct pods *pods = pod->pods;

	unlink_pod(&pods->removing, pod);
	store_pod_delete(pods->store, pod->uid, NULL);
	pod->created_fn(pod->created_userdata, pod->failure.errnum ? -pod->failure.errnum : -EIO,
	                NULL, &pod->failure);
	pod_free(pod);
}

/* All or nothing: a pod that cannot start on the node is not kept. */
static void create_failed(struct pod *pod, int r, const struct nano_err *err)
{
	struct pods *pods = pod->pods;
	const char *message = err && err->message ? err->message : strerror(-r);

	log_error("pod %s/%s: %s", pod->spec->namespace, pod->spec->name, message);
	nano_err_setc(&pod->failure, err ? err->class : NANO_INTERNAL, -r, "%s", message);
	pod_run_done(pod);
	pod->next = pods->removing;
	pods->removing = pod;
	if (pod_teardown(pod, create_removed) < 0)
		create_removed(pod);
}

/* The 201 promises the pod survives a crash: it goes once the mark is off on disk. A commit
 * that failed leaves the pod marked creating, if at all: it is not kept. */
static void create_committed(void *userdata, int r, const struct nano_err *err)
{
	struct pod *pod = userdata;

	if (r < 0) {
		unlink_pod(&pod->pods->list, pod);
		pod->creating = true;
		return create_failed(pod, r, err);
	}
	pod_crash_point("before-201");
	pod->created_fn(pod->created_userdata, 0, pod, NULL);
}

/* A create ends: every container's first start has its answer, or the sandbox failed. */
static void create_settled(struct pod *pod, int r, const struct nano_err *err)
{
	struct pods *pods = pod->pods;
	_cleanup_(nano_err_clear) struct nano_err save_err = {0};

	unlink_pod(&pods->creating, pod);
	if (r >= 0) {
		pod->creating = false;
		r = pod_save(pod, &save_err);
		if (r >= 0)
			r = store_after_commit(pods->store, create_committed, pod);
		err = &save_err;
	}
	if (r < 0)
		return create_failed(pod, r, err);
	pod->next = pods->list;
	pods->list = pod;
}

int pods_create(struct pods *pods, struct spec_pod **specp, pods_created_fn *fn, void *userdata,
                struct nano_err *err)
{
	struct spec_pod *spec = *specp;
	_cleanup_json_ json_t *status = NULL, *runtime = NULL;
	struct pod *pod = NULL;
	struct timespec seen;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &seen);

	if (pods_find(pods, spec->namespace, spec->name) ||
	    find_in(pods->creating, spec->namespace, spec->name))
		return nano_err_setc(err, NANO_CONFLICT, EEXIST, "pods \"%s\" already exists",
		                     spec->name);
	if ((int64_t)pods_count(pods) >= pods->daemon->config.max_pods)
		return nano_err_setc(err, NANO_FORBIDDEN, EDQUOT,
		                     "pods \"%s\" is forbidden: this node runs at most %" PRId64
		                     " pods (max_pods)",
		                     spec->name, pods->daemon->config.max_pods);
	r = pods_cgroup_ready(pods, err);
	if (r < 0)
		return r;
	*specp = NULL;
	r = pod_new(pods, spec, NULL, NULL, 0, &pod, err);
	if (r < 0)
		return pod_free(pod), r;
	pod->seen_ns = (int64_t)seen.tv_sec * 1000000000 + seen.tv_nsec;
	/* The row first, marked creating, in one transaction: a crash from here until the mark
	 * is cleared leaves a row that the next start recognises and removes with everything
	 * made for it, so a POST that got no answer leaves the pod whole or not at all. */
	pod->creating = true;
	status = sup_pod_status_json(pod->sup);
	runtime = pod_runtime_json(pod);
	if (!status || !runtime)
		return pod_free(pod), nano_err_set(err, ENOMEM, "out of memory");
	r = store_begin(pods->store, err);
	if (r >= 0)
		r = store_pod_insert(pods->store, pod->uid, spec->namespace, spec->name,
		                     pod->object, status, pods_now() * INT64_C(1000000000), err);
	if (r >= 0)
		r = store_pod_save(pods->store, pod->uid, status, runtime, err);
	if (r >= 0)
		r = store_commit(pods->store, err);
	/* on disk before anything is made for it (the batch's commit, come early) */
	if (r >= 0)
		r = store_sync(pods->store, err);
	if (r < 0) {
		store_rollback(pods->store);
		return pod_free(pod), r;
	}
	pod_crash_point("after-insert");
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

static int on_grace_over(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct pod *pod = userdata;

	(void)source;
	(void)usec;
	pod->grace_timer = sd_event_source_disable_unref(pod->grace_timer);
	pod_stop_containers(pod, SIGKILL);
	pod_stop_shim_if_done(pod);
	return 0;
}

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
	r = store_pod_mark_deleting(pod->pods->store, pod->uid, pods_now() * INT64_C(1000000000),
	                            grace, err);
	/* on disk before the pod is stopped */
	return r < 0 ? r : store_sync(pod->pods->store, err);
}

void pod_delete(struct pod *pod, int64_t grace, pods_deleted_fn *fn, void *userdata)
{
	struct pod_waiter *w;
	uint64_t deadline;
	int r;

	grace = effective_grace(pod, grace);
	if (fn && (w = realloc(pod->waiters, (pod->n_waiters + 1) * sizeof(*w)))) {
		pod->waiters = w;
		pod->waiters[pod->n_waiters++] = (struct pod_waiter){fn, userdata};
	}
	sd_event_now(pod->pods->daemon->event, CLOCK_MONOTONIC, &deadline);
	deadline += (uint64_t)grace * 1000000;
	if (pod->deleting) {
		/* a second delete may shorten the grace, never lengthen it */
		uint64_t current;

		if (pod->grace_timer && sd_event_source_get_time(pod->grace_timer, &current) >= 0 &&
		    deadline < current)
			sd_event_source_set_time(pod->grace_timer, deadline);
		return;
	}
	pod->deleting = true;
	sup_pod_delete(pod->sup, pods_now());
	for (size_t i = 0; i < pod->sup->n_containers; i++) {
		pod->restart_timers[i] = sd_event_source_disable_unref(pod->restart_timers[i]);
		if (pod->sup->containers[i].state == SUP_RUNNING)
			pod_event(pod, pod->sup->containers[i].name, "Normal", "Killing",
			          "Stopping container %s", pod->sup->containers[i].name);
	}
	pod_persist(pod);
	pod_crash_point("delete-requested");
	if (grace == 0) {
		pod_stop_containers(pod, SIGKILL);
	} else {
		pod_stop_containers(pod, SIGTERM);
		r = sd_event_add_time(pod->pods->daemon->event, &pod->grace_timer, CLOCK_MONOTONIC,
		                      deadline, 0, on_grace_over, pod);
		if (r < 0) {
			log_error("pod %s: grace timer: %s", pod->spec->name, strerror(-r));
			pod_stop_containers(pod, SIGKILL);
		}
	}
	pod_stop_shim_if_done(pod);
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
	struct pods *pods = pod->pods;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct delete_answer *answer = calloc(1, sizeof(*answer));

	pod_crash_point("delete-before-row");
	if (store_pod_delete(pods->store, pod->uid, &err) < 0)
		log_error("pod %s: %s", pod->spec->name, err.message);
	unlink_pod(&pods->list, pod);
	if (answer) {
		answer->last = pod_to_json(pod);
		answer->waiters = TAKE_PTR(pod->waiters);
		answer->n_waiters = pod->n_waiters;
		pod->n_waiters = 0;
	}
	if (!answer || !answer->last ||
	    store_after_commit(pods->store, delete_committed, answer) < 0) {
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
	pod_run_done(pod);
	/* listed, terminating, until its processes, cgroups and files are gone */
	if (pod_teardown(pod, delete_removed) < 0)
		delete_removed(pod);
}

/* ---- the registry ---------------------------------------------------------------------------- */

/* The node's first non-loopback IPv4 address, as the kubelet reports hostIP. */
static char *host_ip(void)
{
	struct ifaddrs *list = NULL;
	char buf[INET_ADDRSTRLEN];
	char *ip = NULL;

	if (getifaddrs(&list) < 0)
		return NULL;
	for (struct ifaddrs *a = list; a && !ip; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
		    !(a->ifa_flags & IFF_LOOPBACK) &&
		    inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, buf,
		              sizeof(buf)))
			ip = strdup(buf);
	freeifaddrs(list);
	return ip;
}

static int on_expire(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct pods *pods = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int64_t cutoff = (pods_now() - pods->daemon->config.event_ttl) * INT64_C(1000000000);

	if (store_events_expire(pods->store, cutoff, &err) < 0)
		log_warn("expiring events: %s", err.message);
	sd_event_source_set_time(source, usec + 60 * 1000000ULL);
	return 0;
}

/* nanolet-shim beside the nanoletd binary, unless the config names one. */
static char *shim_path(const struct nano_config *config)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (config->shim_path)
		return strdup(config->shim_path);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return strdup("/usr/local/bin/nanolet-shim");
	self[n] = '\0';
	slash = strrchr(self, '/');
	return strdupf("%.*s/nanolet-shim", (int)(slash - self), self);
}

/* nanolet_pod_start_duration_seconds: nanolet starts a pod in about 0.1 s, the kubelet's
 * buckets begin at 0.5 s. */
static const double start_buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

/* POD_SHIM_TIMEOUT_MS, or NANOLET_SHIM_TIMEOUT_MS (a test knob: how long a stopped shim is
 * waited for). */
static uint64_t shim_timeout_usec(void)
{
	const char *v = getenv("NANOLET_SHIM_TIMEOUT_MS");
	char *end;
	unsigned long ms;

	if (v && *v) {
		errno = 0;
		ms = strtoul(v, &end, 10);
		if (!*end && !errno && ms > 0 && ms <= 3600000)
			return (uint64_t)ms * 1000;
		log_warn("NANOLET_SHIM_TIMEOUT_MS=%s: not a number of milliseconds (1 to 3600000): "
		         "ignored",
		         v);
	}
	return (uint64_t)POD_SHIM_TIMEOUT_MS * 1000;
}

int pods_open(struct nanoletd *daemon, struct pods **out, struct nano_err *err)
{
	const struct nano_config *config = &daemon->config;
	struct pods *pods = calloc(1, sizeof(*pods));
	int r;

	if (!pods)
		return nano_err_set(err, ENOMEM, "out of memory");
	*out = pods;
	pods->daemon = daemon;
	pods->sup = (struct sup_config){config->crashloop_backoff_initial,
	                                config->crashloop_backoff_max,
	                                config->crashloop_backoff_reset, 10};
	pods->shim_path = shim_path(config);
	pods->host_ip = host_ip();
	pods->shim_timeout_usec = shim_timeout_usec();
	if (!pods->shim_path || pod_shim_client_new(daemon->event, pods->shim_path,
	                                            (struct pod_shim_client **)&pods->shim_ctx) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	pods->shim = &pod_shim_real;
	if (prom_histogram_init(&pods->start_durations, start_buckets,
	                        sizeof(start_buckets) / sizeof(start_buckets[0])) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (gethostname(pods->hostname, sizeof(pods->hostname) - 1) < 0)
		strcpy(pods->hostname, "localhost");
	r = store_open(config->state_dir, &pods->store, err);
	if (r < 0)
		return r;
	r = sd_event_add_time_relative(daemon->event, &pods->expire_timer, CLOCK_MONOTONIC,
	                               60 * 1000000ULL, 0, on_expire, pods);
	if (r >= 0)
		r = sd_event_source_set_enabled(pods->expire_timer, SD_EVENT_ON);
	if (r >= 0)
		r = sd_event_add_time_relative(daemon->event, &pods->sample_timer, CLOCK_MONOTONIC,
		                               (uint64_t)config->cpu_throttling_interval * 1000000,
		                               0, pods_on_sample, pods);
	if (r >= 0)
		r = sd_event_source_set_enabled(pods->sample_timer, SD_EVENT_ON);
	if (r < 0)
		return nano_err_set(err, -r, "timers: %s", strerror(-r));
	return pods_restore(pods, err);
}

struct pods *pods_free(struct pods *pods)
{
	if (!pods)
		return NULL;
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
	pods->sweep_timer = sd_event_source_disable_unref(pods->sweep_timer);
	pods->expire_timer = sd_event_source_disable_unref(pods->expire_timer);
	pods->sample_timer = sd_event_source_disable_unref(pods->sample_timer);
	store_close(pods->store);
	cgroup_driver_free(pods->cgroup);
	prom_histogram_done(&pods->start_durations);
	pod_shim_client_free(pods->shim_ctx);
	free(pods->shim_path);
	free(pods->host_ip);
	free(pods);
	return NULL;
}
