/* daemon/pods/record.c: the pod record, the bottom layer of the pod manager (record.h): a pod's
 * spec, plan and supervisor state as objects, its events, its JSON, its row in the store, and
 * the environment's clock. It calls nothing of the layers above. */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "events/events.h"
#include "logs/logs.h"
#include "pods/record.h"

/* ---- the clock ------------------------------------------------------------------------------- */

uint64_t pods_clock(const struct pod_env *env, clockid_t clock)
{
	return env->opt.clock->now(env->opt.clock_ctx, clock);
}

int64_t pods_now(const struct pod_env *env)
{
	return (int64_t)(pods_clock(env, CLOCK_REALTIME) / 1000000);
}

int pods_timer_at(struct pod_env *env, struct pod_timer **slot, clockid_t clock, uint64_t usec,
                  pod_timer_fn *fn, void *userdata)
{
	pods_timer_cancel(env, slot);
	return env->opt.clock->add(env->opt.clock_ctx, clock, usec, fn, userdata, slot);
}

int pods_timer_in(struct pod_env *env, struct pod_timer **slot, uint64_t usec, pod_timer_fn *fn,
                  void *userdata)
{
	return pods_timer_at(env, slot, CLOCK_MONOTONIC, pods_clock(env, CLOCK_MONOTONIC) + usec,
	                     fn, userdata);
}

int pods_timer_in_within(struct pod_env *env, struct pod_timer **slot, uint64_t usec,
                         uint64_t accuracy, pod_timer_fn *fn, void *userdata)
{
	int r = pods_timer_in(env, slot, usec, fn, userdata);

	if (r < 0 || !env->opt.clock->set_accuracy)
		return r;
	r = env->opt.clock->set_accuracy(*slot, accuracy);
	if (r < 0)
		pods_timer_cancel(env, slot);
	return r;
}

void pods_timer_cancel(struct pod_env *env, struct pod_timer **slot)
{
	env->opt.clock->cancel(*slot);
	*slot = NULL;
}

/* ---- events ---------------------------------------------------------------------------------- */

uint64_t pods_next_resource_version(struct pod_env *env)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	char text[24];

	/* in the store's batch with the change it numbers: on disk together, so that a restart
	 * goes on above every resourceVersion a client saw */
	snprintf(text, sizeof(text), "%" PRIu64, ++env->resource_version);
	if (store_meta_set(env->store, "resourceVersion", text, &err) < 0)
		log_error("resourceVersion %s: %s", text, err.message);
	return env->resource_version;
}

int pods_record_event(struct pod_env *env, struct store_event_new *ev, struct nano_err *err)
{
	_cleanup_(store_event_done) struct store_event row = {0};
	_cleanup_json_ json_t *json = NULL;
	int r;

	ev->resource_version = (int64_t)pods_next_resource_version(env);
	r = store_event_record(env->store, ev, pods_now(env) * INT64_C(1000000000), &row, err);
	if (r < 0)
		return r;
	json = events_to_json(&row);
	if (json && env->ring)
		watch_ring_push(env->ring, (uint64_t)row.resource_version, WATCH_EVENTS,
		                row.count > 1 ? WATCH_MODIFIED : WATCH_ADDED, json);
	return 0;
}

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
	        .source_host = pod->env->hostname,
	};
	if (pods_record_event(pod->env, &ev, &err) < 0)
		log_error("pod %s: event %s: %s", pod->spec->name, reason, err.message);
	log_info("pod %s/%s%s%s: %s: %s", pod->spec->namespace, pod->spec->name,
	         container ? " container " : "", container ? container : "", reason, message);
}

/* metav1.Time: whole seconds, UTC. */
static void rfc3339_at(char buf[UTIL_RFC3339_SIZE], int64_t unix_seconds)
{
	struct timespec at = {.tv_sec = unix_seconds};

	if (util_rfc3339(buf, UTIL_RFC3339_SIZE, &at, false) < 0)
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

/* The Pod as created at unix_seconds: generation 1, and on node_name (the scheduler's
 * spec.nodeName; NULL for a dry run, which no scheduler saw). */
static json_t *pod_object_at(const struct spec_pod *spec, const char *uid, int64_t unix_seconds,
                             const char *node_name)
{
	json_t *obj = json_deep_copy(spec->object);
	json_t *metadata = json_object_get(obj, "metadata");
	char now[UTIL_RFC3339_SIZE];

	if (!obj || !json_is_object(metadata))
		return json_decref(obj), NULL;
	rfc3339_at(now, unix_seconds);
	json_object_set_new(obj, "apiVersion", json_string("v1"));
	json_object_set_new(obj, "kind", json_string("Pod"));
	json_object_set_new(metadata, "uid", json_string(uid));
	json_object_set_new(metadata, "creationTimestamp", json_string(now));
	json_object_set_new(metadata, "generation", json_integer(1));
	if (node_name && json_is_object(json_object_get(obj, "spec")))
		json_object_set_new(json_object_get(obj, "spec"), "nodeName",
		                    json_string(node_name));
	return obj;
}

json_t *pod_dry_run_json(const struct spec_pod *spec)
{
	char uid[37];
	json_t *obj;

	if (uuid_v4(uid) < 0 || !(obj = pod_object_at(spec, uid, (int64_t)time(NULL), NULL)))
		return NULL;
	json_object_set_new(obj, "status",
	                    json_pack("{s:s, s:s}", "phase", "Pending", "qosClass",
	                              spec_qos_name(spec_pod_qos(spec))));
	return obj;
}

/* ContainerUser: the identity a container's processes start with, as the plan gives it
 * (KEP-3619: what containerd and CRI-O report), on each status of a container made once. */
static void container_users(const struct pod *pod, json_t *status)
{
	static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};

	for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
		json_t *statuses = json_object_get(status, lists[l]), *cs;
		size_t k;

		json_array_foreach(statuses, k, cs)
		{
			const char *name = json_string_value(json_object_get(cs, "name"));
			const struct plan_process *p = NULL;
			json_t *groups;

			if (!name || !json_object_get(cs, "containerID"))
				continue;
			for (size_t i = 0; i < pod->plan->n_containers && !p; i++)
				if (strcmp(pod->plan->containers[i].name, name) == 0)
					p = &pod->plan->containers[i].process;
			if (!p || !(groups = json_array()))
				continue;
			for (size_t i = 0; i < p->n_supplemental_groups; i++)
				json_array_append_new(groups,
				                      json_integer(p->supplemental_groups[i]));
			json_object_set_new(cs, "user",
			                    json_pack("{s:{s:I, s:I, s:o}}", "linux", "uid",
			                              (json_int_t)p->uid, "gid", (json_int_t)p->gid,
			                              "supplementalGroups", groups));
		}
	}
}

/* The Pod as served, without metadata.resourceVersion. */
static json_t *pod_json(const struct pod *pod)
{
	json_t *obj = pod_object(pod);
	json_t *metadata = json_object_get(obj, "metadata"), *spec = json_object_get(obj, "spec");
	json_t *status;

	if (!obj || !json_is_object(metadata))
		return json_decref(obj), NULL;
	/* a pod stored before nanolet set them */
	if (!json_object_get(metadata, "generation"))
		json_object_set_new(metadata, "generation", json_integer(1));
	if (json_is_object(spec) && !json_object_get(spec, "nodeName") && pod->env->hostname)
		json_object_set_new(spec, "nodeName", json_string(pod->env->hostname));
	if (pod->deletion_at > 0) {
		char when[UTIL_RFC3339_SIZE];

		rfc3339_at(when, pod->deletion_at);
		json_object_set_new(metadata, "deletionTimestamp", json_string(when));
		json_object_set_new(metadata, "deletionGracePeriodSeconds",
		                    json_integer(pod->deletion_grace));
	}
	status = sup_pod_status_json(pod->sup);
	if (status && pod->plan)
		container_users(pod, status);
	if (json_object_set_new(obj, "status", status) < 0)
		return json_decref(obj), NULL;
	return obj;
}

json_t *pod_object(const struct pod *pod)
{
	/* compact text keeps the keys in their order and every value as it was (a double in a
	 * form that reads back the same; a NUL in a string, which a protobuf body's bytes can
	 * hold, as \u0000): the tree read back is the one dumped */
	return json_loads(pod->object, JSON_ALLOW_NUL, NULL);
}

const char *pod_uid(const struct pod *pod)
{
	return pod->uid;
}

void pod_resource_version(const struct pod *pod, char out[POD_RESOURCE_VERSION_SIZE])
{
	out[0] = '\0';
	if (pod->resource_version)
		snprintf(out, POD_RESOURCE_VERSION_SIZE, "%" PRIu64, pod->resource_version);
}

int pod_update_object(struct pod *pod, json_t *object, struct nano_err *err)
{
	_cleanup_json_ json_t *old = pod_object(pod);
	_cleanup_free_ char *text = NULL;
	json_t *metadata = json_object_get(object, "metadata");
	json_int_t generation;
	bool spec_changed;
	int r;

	if (!old)
		return nano_err_set(err, ENOMEM, "out of memory");
	generation =
	        json_integer_value(json_object_get(json_object_get(old, "metadata"), "generation"));
	spec_changed = !json_equal(json_object_get(old, "spec"), json_object_get(object, "spec"));
	/* metadata.generation counts the spec's changes, as the API server's does, and is kept
	 * with the object */
	if (json_is_object(metadata))
		json_object_set_new(metadata, "generation",
		                    json_integer((generation > 0 ? generation : 1) + spec_changed));
	text = json_dumps(object, JSON_COMPACT);
	if (!text)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_pod_update_object(pod->env->store, pod->uid, object, err);
	if (r >= 0)
		r = store_sync(pod->env->store, err);
	if (r < 0)
		return r;
	free(pod->object);
	pod->object = TAKE_PTR(text);
	pod_changed(pod);
	return 0;
}

static void set_resource_version(json_t *obj, uint64_t resource_version)
{
	char text[POD_RESOURCE_VERSION_SIZE];

	snprintf(text, sizeof(text), "%" PRIu64, resource_version);
	json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion", json_string(text));
}

json_t *pod_to_json(const struct pod *pod)
{
	json_t *obj = pod_json(pod);

	if (obj && pod->resource_version)
		set_resource_version(obj, pod->resource_version);
	return obj;
}

/* FNV-1a of the compact JSON: what a change of the object as served is told by. */
static uint64_t json_hash(const json_t *obj)
{
	_cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = UINT64_C(14695981039346656037);

	for (const char *p = text; p && *p; p++)
		h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
	return text ? h : 0;
}

void pod_changed(struct pod *pod)
{
	_cleanup_json_ json_t *obj = NULL;
	uint64_t hash;
	bool added;

	/* a create not answered yet is not listed: its ADDED comes when it is */
	if (pod->creating)
		return;
	obj = pod_json(pod);
	hash = obj ? json_hash(obj) : 0;
	if (!hash || (pod->announced && hash == pod->served_hash && pod->resource_version))
		return;
	added = !pod->announced;
	pod->served_hash = hash;
	pod->announced = true;
	pod->resource_version = pods_next_resource_version(pod->env);
	set_resource_version(obj, pod->resource_version);
	if (pod->env->ring)
		watch_ring_push(pod->env->ring, pod->resource_version, WATCH_PODS,
		                added ? WATCH_ADDED : WATCH_MODIFIED, obj);
}

void pod_mark_served(struct pod *pod)
{
	_cleanup_json_ json_t *obj = pod_json(pod);

	pod->served_hash = obj ? json_hash(obj) : 0;
}

void pod_announce_deleted(struct pod *pod)
{
	_cleanup_json_ json_t *obj = NULL;

	if (!pod->announced)
		return;
	pod->resource_version = pods_next_resource_version(pod->env);
	obj = pod_to_json(pod);
	if (obj && pod->env->ring)
		watch_ring_push(pod->env->ring, pod->resource_version, WATCH_PODS, WATCH_DELETED,
		                obj);
	pod->announced = false;
}

void pod_set_deletion(struct pod *pod, int64_t now_s, int64_t grace_s)
{
	/* a second delete may bring the deadline forward, never push it back */
	if (pod->deletion_at > 0 && now_s + grace_s >= pod->deletion_at)
		return;
	pod->deletion_at = now_s + grace_s;
	pod->deletion_grace = grace_s;
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
	const struct pods_options *opt = &pod->env->opt;
	json_t *plan = plan_to_json(pod->plan);
	json_t *live = json_object(), *containers = json_array();
	json_t *sentences = json_array();
	struct plan_config config;
	_cleanup_strv_ char **explanation = NULL;

	/* the sentences the pod's plan leaves out (pod_new), made as plan_build makes them */
	opt->plan_config(opt->plan_userdata, pod->uid, pod->userns_base, &config);
	explanation = plan_explanation(pod->plan, pod->spec, &config);
	for (char **s = explanation; sentences && s && *s; s++)
		if (json_array_append_new(sentences, json_string(*s)) < 0)
			sentences = (json_decref(sentences), NULL);
	if (!explanation || !sentences || json_object_set_new(plan, "explanation", sentences) < 0)
		plan = (json_decref(plan), NULL);

	for (size_t i = 0; live && containers && i < pod->sup->n_containers; i++) {
		const struct sup_container *c = &pod->sup->containers[i];
		const char *rel = pod_container_cgroup(pod, i);
		_cleanup_strv_ char **procs = NULL;
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		json_t *dirs = json_array();

		/* the directories each hierarchy holds the container's cgroup in */
		cgroup_driver_procs_files(pod->env->cgroup, rel, &procs, &err);
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

/* ---- containers ------------------------------------------------------------------------------ */

static int container_index(const struct pod *pod, const char *container)
{
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		if (strcmp(pod->plan->containers[i].name, container) == 0)
			return (int)i;
	return -ENOENT;
}

const char *pod_container_cgroup(const struct pod *pod, size_t container)
{
	return cgroup_driver_relative(pod->env->cgroup,
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

void pod_crash_point(const char *name)
{
	const char *at = getenv("NANOLET_CRASH_AT");

	if (at && strcmp(at, name) == 0) {
		log_warn("NANOLET_CRASH_AT=%s: killing nanoletd here (a test hook)", name);
		raise(SIGKILL);
	}
}

void pod_stall_point(const char *name)
{
	const char *at = getenv("NANOLET_STALL_AT"), *fifo = getenv("NANOLET_STALL_FIFO");
	int fd;

	if (!at || !fifo || strcmp(at, name) != 0)
		return;
	log_warn("NANOLET_STALL_AT=%s: waiting for a writer of %s (a test hook)", name, fifo);
	/* the open of a FIFO for reading returns once a writer opens it */
	do
		fd = open(fifo, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd >= 0)
		close(fd);
}

int pod_new(struct pod_env *env, struct spec_pod *spec, const char *stored_uid, json_t *object,
            uint32_t userns_base, struct pod **out, struct nano_err *err)
{
	const struct pods_options *opt = &env->opt;
	struct pod *pod = calloc(1, sizeof(*pod));
	_cleanup_json_ json_t *made = NULL;
	struct plan_config plan_config;
	char uid[37], log_name[NAME_MAX + 1];

	if (!pod ||
	    (stored_uid ? snprintf(uid, sizeof(uid), "%s", stored_uid) < 0 : uuid_v4(uid) < 0))
		return free(pod), nano_err_set(err, ENOMEM, "out of memory");
	pod->env = env;
	pod->spec = spec;
	pod->sampled_usec =
	        pods_clock(env, CLOCK_MONOTONIC); /* its first sample a whole window on */
	pod->uid = strdup(uid);
	spec->uid = strdup(uid);
	/* the user namespace's range first: the plan says which node ids the pod's are */
	pod->userns_base = userns_base;
	opt->plan_config(opt->plan_userdata, uid, pod->userns_base, &plan_config);
	if (plan_build(spec, &plan_config, NULL, &pod->plan) < 0 ||
	    sup_pod_new(spec, env->host_ip, pods_now(env), &pod->sup) < 0) {
		*out = pod;
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	pod->cgroup = strdup(cgroup_driver_relative(env->cgroup, pod->plan->cgroup.path) ?: "");
	pod->run_dir = strdupf("%s/pods/%s", opt->run_dir, uid);
	pod->volume_dir = strdupf("%s/pods/%s", opt->state_dir, uid);
	/* <ns>_<name>_<uid>, or its shortened form where that passes NAME_MAX */
	if (logs_pod_dir_name(spec->namespace, spec->name, uid, log_name) == 0)
		pod->log_dir = strdupf("%s/pods/%s", opt->log_dir, log_name);
	made = object ? NULL : pod_object_at(spec, uid, pods_now(env), env->hostname);
	if (object || made)
		pod->object = json_dumps(object ? object : made, JSON_COMPACT);
	/* What a pod keeps for its life is what it needs (issue 13: a thousand pods in 16 MB):
	 * the explanation's sentences are made again when asked (pod_isolation_json), and so is
	 * the Pod Security message (plan_to_json, from the checks the pod fails); the Pod is
	 * kept once, as text (pod_object), and the spec, decoded, keeps no tree of it (the plan
	 * was built from it: nothing reads it again). */
	strv_free(pod->plan->explanation);
	pod->plan->explanation = NULL;
	free(pod->plan->pod_security.next_message);
	pod->plan->pod_security.next_message = NULL;
	if (pod->object) {
		json_decref(spec->object);
		spec->object = NULL;
	}
	*out = pod;
	if (!pod->uid || !spec->uid || !pod->cgroup || !pod->run_dir || !pod->volume_dir ||
	    !pod->log_dir || !pod->object)
		return nano_err_set(err, ENOMEM, "out of memory");
	/* a stored pod's address is the store's (a new one gets it at create) */
	if (stored_uid && pod_on_network(pod)) {
		uint32_t ip = 0;
		int r = store_pod_ip_get(env->store, uid, &ip, err);

		if (r < 0 && r != -ENOENT)
			return r;
		nano_err_clear(err);
		pod_set_ip(pod, ip);
	}
	return 0;
}

bool pod_on_network(const struct pod *pod)
{
	return pod->env->net && !pod->spec->host_network;
}

int pod_assign_ip(struct pod *pod, struct nano_err *err)
{
	const struct net_cidr *cidr = &pod->env->opt.network->cidr;
	char text[NET_CIDR_STRLEN];
	uint32_t first, last, ip;
	int r;

	net_cidr_pod_range(cidr, &first, &last);
	r = store_pod_ip_assign(pod->env->store, pod->uid, first, last, &ip, err);
	if (r == -EADDRNOTAVAIL) {
		nano_err_clear(err);
		return nano_err_setc(err, NANO_UNAVAILABLE, EADDRNOTAVAIL,
		                     "no free address in the pod network %s (network.pod_cidr): "
		                     "its %" PRIu32 " pod addresses are taken",
		                     net_cidr_str(cidr, text), last - first + 1);
	}
	if (r < 0)
		return r;
	pod_set_ip(pod, ip);
	return 0;
}

void pod_set_ip(struct pod *pod, uint32_t ip)
{
	pod->pod_ip = ip;
	pod->plan->network.pod_ip = ip; /* what its IsolationPlan shows */
}

void pod_record_free(struct pod *pod)
{
	nano_err_clear(&pod->failure);
	free(pod->uid);
	spec_pod_free(pod->spec);
	plan_free(pod->plan);
	sup_pod_free(pod->sup);
	free(pod->object);
	free(pod->run_dir);
	free(pod->volume_dir);
	free(pod->log_dir);
	free(pod->cgroup);
	free(pod);
}

/* ---- the store ------------------------------------------------------------------------------- */

void pod_persist(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (!pod->start_observed && pod->sup->phase == SUP_PHASE_RUNNING) {
		uint64_t now = pods_clock(pod->env, CLOCK_MONOTONIC);

		prom_histogram_observe(&pod->env->start_durations,
		                       (double)(now - pod->seen_usec) / 1e6);
		pod->start_observed = true;
	}

	if (pod_save(pod, &err) < 0)
		log_error("pod %s/%s: saving its status: %s", pod->spec->namespace, pod->spec->name,
		          err.message);
}

void pod_notify_watches(struct pod *pod, size_t container)
{
	struct pod_watch **w = &pod->watches;

	while (*w) {
		struct pod_watch *hit = *w;

		if (container != SIZE_MAX && hit->container != container) {
			w = &hit->next;
			continue;
		}
		*w = hit->next;
		hit->fn(hit->userdata);
		free(hit);
	}
}

/* A container id as the CRI shows them: 64 hex digits. */
void pod_container_id(char out[65])
{
	uint8_t b[32] = {0};

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		log_warn("getrandom: %m");
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* ---- the runtime record ---------------------------------------------------------------------- */

json_t *pod_runtime_json(const struct pod *pod)
{
	json_t *oom = json_array(), *reported = json_array(), *seq = json_array();

	/* per container: oom_kill when its run started (OOMKilled is a rise from it), when an
	 * OOMKilling event was last recorded (no event twice, none lost while we were down) and
	 * the kernel log's position when the run started (whose victims name its OOM kill) */
	for (size_t i = 0; oom && reported && seq && pod->counters && i < pod->plan->n_containers;
	     i++)
		if (json_array_append_new(
		            oom, json_integer((json_int_t)pod->counters[i].oom_base)) < 0 ||
		    json_array_append_new(reported,
		                          json_integer((json_int_t)pod->counters[i].oom_reported)) <
		            0 ||
		    json_array_append_new(seq, json_integer((json_int_t)pod->counters[i].oom_seq)) <
		            0)
			oom = (json_decref(oom), NULL);
	if (!oom || !reported || !seq)
		return json_decref(oom), json_decref(reported), json_decref(seq), NULL;
	return json_pack("{s:b, s:{s:i, s:I}, s:I, s:o, s:o, s:o, s:I, s:o*}", "creating",
	                 pod->creating, "shim", "pid", (int)pod->shim_pid, "startTime",
	                 (json_int_t)pod->shim_start_time, "usernsBase",
	                 (json_int_t)pod->userns_base, "oomKills", oom, "oomReported", reported,
	                 "oomLogSeq", seq, "resourceVersion", (json_int_t)pod->resource_version,
	                 "supervise", sup_pod_state_json(pod->sup));
}

int pod_save(struct pod *pod, struct nano_err *err)
{
	_cleanup_json_ json_t *status = NULL, *runtime = NULL;

	/* first: the runtime record keeps the resourceVersion the change got */
	pod_changed(pod);
	status = sup_pod_status_json(pod->sup);
	runtime = pod_runtime_json(pod);

	if (!status || !runtime)
		return nano_err_set(err, ENOMEM, "out of memory");
	return store_pod_save(pod->env->store, pod->uid, status, runtime, err);
}
