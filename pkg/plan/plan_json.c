/* pkg/plan/plan_json.c: the IsolationPlan object (apiVersion nanolet.io/v1), what `explain` and
 * POST /apis/nanolet.io/v1/isolationplans print. Its shape is a contract (api/openapi.yaml):
 * keys are added in the documented order, as jansson keeps insertion order.
 *
 * jansson's *_set_new/append_new take the reference even on failure and refuse a NULL value,
 * so constructors are nested directly and every failure is collected in one `r`.
 */
#include <sched.h>

#include "plan_internal.h"

static const struct {
	unsigned long flag;
	const char *name;
} clone_flag_names[] = {
        /* The kernel's bit order, lowest first. */
        {CLONE_NEWNS, "CLONE_NEWNS"},     {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
        {CLONE_NEWUTS, "CLONE_NEWUTS"},   {CLONE_NEWIPC, "CLONE_NEWIPC"},
        {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWPID, "CLONE_NEWPID"},
        {CLONE_NEWNET, "CLONE_NEWNET"},
};

static json_t *json_clone_flags(unsigned long flags)
{
	json_t *a = json_array();
	int r = 0;

	for (size_t i = 0; a && i < ELEMENTSOF(clone_flag_names); i++)
		if (flags & clone_flag_names[i].flag)
			r |= json_array_append_new(a, json_string(clone_flag_names[i].name));
	if (r < 0)
		a = (json_decref(a), NULL);
	return a;
}

static json_t *json_strv(char *const *l)
{
	json_t *a = json_array();
	int r = 0;

	for (size_t i = 0; a && l && l[i]; i++)
		r |= json_array_append_new(a, json_string(l[i]));
	if (r < 0)
		a = (json_decref(a), NULL);
	return a;
}

static json_t *json_namespaces(const struct plan_namespace *ns)
{
	json_t *o = json_object();
	int r = 0;

	for (enum plan_ns i = 0; o && i < PLAN_NS_COUNT; i++) {
		json_t *n = json_object();

		r |= json_object_set_new(n, "mode", json_string(plan_ns_mode_name(ns[i].mode)));
		r |= json_object_set_new(n, "reason", json_string(ns[i].reason));
		r |= json_object_set_new(o, plan_ns_name(i), n);
	}
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

static json_t *json_files(const struct plan_file *files, size_t n)
{
	json_t *o = json_object();
	int r = 0;

	for (size_t i = 0; o && i < n; i++)
		r |= json_object_set_new(o, files[i].name, json_string(files[i].value));
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

/* The node side of each volume: what the runtime prepares before any container mounts it. */
static json_t *json_volumes(const struct plan *plan)
{
	json_t *volumes = json_array();

	for (size_t i = 0; volumes && i < plan->n_volumes; i++) {
		const struct plan_volume *v = &plan->volumes[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", v->name, "type",
		                      v->type == SPEC_VOLUME_EMPTY_DIR ? "emptyDir" : "hostPath",
		                      "path", v->path);

		if (o && v->type == SPEC_VOLUME_EMPTY_DIR && v->memory) {
			json_object_set_new(o, "medium", json_string("Memory"));
			if (v->size_limit >= 0)
				json_object_set_new(o, "sizeLimit", json_integer(v->size_limit));
		}
		if (o && v->type == SPEC_VOLUME_HOST_PATH)
			json_object_set_new(o, "hostPathType", json_string(v->host_path_type));
		if (!o || json_array_append_new(volumes, o) < 0)
			volumes = (json_decref(volumes), NULL);
	}
	return volumes;
}

/* The pod cgroup's path in each hierarchy: where the v1 hierarchies of a hybrid host place it
 * apart (memory under the session's cgroup, cpu at the root). */
static json_t *json_places(const struct plan *plan)
{
	json_t *o = json_object();
	int r = 0;

	for (size_t i = 0; o && i < plan->n_places; i++)
		r |= json_object_set_new(o, plan->places[i].hierarchy,
		                         json_string(plan->places[i].path));
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

/* hostUsers: false: the uid and gid maps, as the OCI runtime spec's LinuxIDMapping; hostID is
 * null until the node has picked the pod's range (a pod that is not created). */
static json_t *json_user_namespace(const struct plan *plan)
{
	json_t *o;

	if (plan->namespaces[PLAN_NS_USER].mode == PLAN_NS_HOST)
		return json_null();
	o = json_object();
	for (int i = 0; o && i < 2; i++) {
		json_t *map =
		        json_pack("[{s:i, s:o, s:i}]", "containerID", 0, "hostID",
		                  plan->userns_base ? json_integer(plan->userns_base) : json_null(),
		                  "size", PLAN_USERNS_SIZE);

		if (json_object_set_new(o, i == 0 ? "uidMappings" : "gidMappings", map) < 0)
			o = (json_decref(o), NULL);
	}
	return o;
}

/* securityContext.sysctls: [{name, value, namespace}], namespace "net" or "ipc" (the pod's,
 * where the shim writes it), or "node" for one no pod is admitted with. */
static json_t *json_sysctls(const struct plan *plan)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < plan->n_sysctls; i++) {
		const struct plan_sysctl *s = &plan->sysctls[i];

		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", s->name, "value",
		                                       s->value, "namespace",
		                                       security_sysctl_ns_name(s->ns))) < 0)
			a = (json_decref(a), NULL);
	}
	return a;
}

static json_t *json_pod(const struct plan *plan)
{
	json_t *pod = json_object(), *cg = json_object();
	int r = 0;

	r |= json_object_set_new(pod, "hostname",
	                         plan->hostname ? json_string(plan->hostname) : json_null());
	r |= json_object_set_new(pod, "namespaces", json_namespaces(plan->namespaces));
	r |= json_object_set_new(pod, "cloneFlags", json_clone_flags(plan->clone_flags));

	r |= json_object_set_new(cg, "path", json_string(plan->cgroup.path));
	/* cgroup v2 allows no processes in inner nodes: the shim lives in a leaf of its own. */
	r |= json_object_set_new(cg, "infraPath",
	                         plan->cgroup.path ? json_sprintf("%s/infra", plan->cgroup.path)
	                                           : NULL);
	r |= json_object_set_new(cg, "driver", json_string(plan_cgroup_driver_name(plan->driver)));
	r |= json_object_set_new(cg, "v2", json_files(plan->cgroup.v2, plan->cgroup.n_v2));
	r |= json_object_set_new(cg, "v1", json_files(plan->cgroup.v1, plan->cgroup.n_v1));
	r |= json_object_set_new(cg, "hierarchies", json_places(plan));
	r |= json_object_set_new(pod, "cgroup", cg);
	r |= json_object_set_new(pod, "volumes", json_volumes(plan));
	r |= json_object_set_new(pod, "shm",
	                         plan->shm ? json_pack("{s:s, s:I}", "path", plan->shm, "sizeBytes",
	                                               (json_int_t)PLAN_SHM_SIZE)
	                                   : json_null());
	r |= json_object_set_new(pod, "userNamespace", json_user_namespace(plan));
	r |= json_object_set_new(pod, "sysctls", json_sysctls(plan));
	r |= json_object_set_new(pod, "network", plan_network_json(plan));
	if (r < 0)
		pod = (json_decref(pod), NULL);
	return pod;
}

static json_t *json_process(const struct plan_process *p)
{
	json_t *o = json_object(), *groups = json_array();
	int r = 0;

	r |= json_object_set_new(o, "args", json_strv(p->args));
	r |= json_object_set_new(o, "env", json_strv(p->env));
	r |= json_object_set_new(o, "cwd", json_string(p->cwd));
	r |= json_object_set_new(o, "uid", json_integer(p->uid));
	r |= json_object_set_new(o, "gid", json_integer(p->gid));
	for (size_t i = 0; groups && i < p->n_supplemental_groups; i++)
		r |= json_array_append_new(groups, json_integer(p->supplemental_groups[i]));
	r |= json_object_set_new(o, "supplementalGroups", groups);
	r |= json_object_set_new(o, "noNewPrivileges", json_boolean(p->no_new_privileges));
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

static const char *root_kind_name(enum plan_root_kind kind)
{
	switch (kind) {
	case PLAN_ROOT_HOST:
		return "host";
	case PLAN_ROOT_PATH:
		return "path";
	case PLAN_ROOT_IMAGE:
		return "image";
	}
	return "unknown";
}

static json_t *json_caps(uint64_t set)
{
	_cleanup_strv_ char **names = security_caps_names(set);

	return names ? json_strv(names) : NULL;
}

static json_t *json_devices(const struct security_device *devices, size_t n)
{
	json_t *a = json_array();
	int r = 0;

	for (size_t i = 0; a && i < n; i++) {
		const struct security_device *d = &devices[i];
		char rule[48];

		security_device_rule(d, rule, sizeof(rule));
		r |= json_array_append_new(a, json_pack("{s:s, s:s?, s:i}", "rule", rule, "path",
		                                        d->path, "fileMode", (int)d->mode));
	}
	if (r < 0)
		a = (json_decref(a), NULL);
	return a;
}

static json_t *json_security(const struct plan_security *s)
{
	json_t *o = json_object(), *caps = json_object(), *seccomp = json_object();
	int r = 0;

	r |= json_object_set_new(o, "privileged", json_boolean(s->privileged));
	r |= json_object_set_new(caps, "bounding", json_caps(s->capabilities.bounding));
	r |= json_object_set_new(caps, "effective", json_caps(s->capabilities.effective));
	r |= json_object_set_new(caps, "permitted", json_caps(s->capabilities.permitted));
	r |= json_object_set_new(caps, "inheritable", json_caps(s->capabilities.inheritable));
	r |= json_object_set_new(caps, "ambient", json_caps(s->capabilities.ambient));
	r |= json_object_set_new(o, "capabilities", caps);
	r |= json_object_set_new(seccomp, "type",
	                         json_string(security_seccomp_kind_name(s->seccomp.kind)));
	r |= json_object_set_new(seccomp, "source", json_string(s->seccomp.source));
	if (s->seccomp.localhost_path)
		r |= json_object_set_new(seccomp, "localhostProfile",
		                         json_string(s->seccomp.localhost_path));
	r |= json_object_set_new(o, "seccomp", seccomp);
	r |= json_object_set_new(o, "maskedPaths", json_strv(s->masked_paths));
	r |= json_object_set_new(o, "readOnlyPaths", json_strv(s->read_only_paths));
	r |= json_object_set_new(o, "devices", json_devices(s->devices, s->n_devices));
	r |= json_object_set_new(o, "refusal", s->refusal ? json_string(s->refusal) : json_null());
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* An image's root: null until the image is on the node and the container resolved. */
static int json_root_image(json_t *root, const struct plan_root *r)
{
	_cleanup_free_ char *upper = r->layer ? strdupf("%s/upper", r->layer) : NULL;
	int e = 0;

	if (r->layer && !upper)
		return -1;
	e |= json_object_set_new(root, "image", json_string_or_null(r->image));
	e |= json_object_set_new(root, "imageID", json_string_or_null(r->image_id));
	e |= json_object_set_new(root, "repoDigest", json_string_or_null(r->repo_digest));
	e |= json_object_set_new(root, "layers",
	                         r->lowerdirs ? json_strv(r->lowerdirs) : json_null());
	e |= json_object_set_new(root, "upperDir", json_string_or_null(upper));
	return e;
}

static json_t *json_container(const struct plan_container *c)
{
	json_t *o = json_object(), *cg = json_object(), *root = json_object();
	json_t *mounts = json_array();
	int r = 0;

	r |= json_object_set_new(o, "name", json_string(c->name));
	r |= json_object_set_new(o, "cloneFlags", json_clone_flags(c->clone_flags));
	r |= json_object_set_new(o, "namespaces", json_namespaces(c->namespaces));

	r |= json_object_set_new(cg, "path", json_string(c->cgroup.path));
	r |= json_object_set_new(cg, "v2", json_files(c->cgroup.v2, c->cgroup.n_v2));
	r |= json_object_set_new(cg, "v1", json_files(c->cgroup.v1, c->cgroup.n_v1));
	r |= json_object_set_new(o, "cgroup", cg);

	r |= json_object_set_new(root, "kind", json_string(root_kind_name(c->root.kind)));
	r |= json_object_set_new(root, "path", json_string(c->root.path));
	r |= json_object_set_new(root, "readOnly", json_boolean(c->root.read_only));
	r |= json_object_set_new(root, "layer",
	                         c->root.layer ? json_string(c->root.layer) : json_null());
	if (c->root.hidden)
		r |= json_object_set_new(root, "hidden", json_strv(c->root.hidden));
	if (c->root.kind == PLAN_ROOT_IMAGE)
		r |= json_root_image(root, &c->root);
	r |= json_object_set_new(o, "root", root);

	r |= json_object_set_new(o, "process", json_process(&c->process));
	r |= json_object_set_new(o, "security", json_security(&c->security));

	for (size_t i = 0; mounts && i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];
		json_t *mo = json_object();

		r |= json_object_set_new(mo, "destination", json_string(m->destination));
		r |= json_object_set_new(mo, "type", json_string(m->type));
		r |= json_object_set_new(mo, "source", json_string(m->source));
		r |= json_object_set_new(mo, "options", json_strv(m->options));
		r |= json_array_append_new(mounts, mo);
	}
	r |= json_object_set_new(o, "mounts", mounts);
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

/* podSecurity: {level, version, next: {level, message, violations: [{check, reason,
 * detail}]}} (no next at restricted). */
static json_t *json_pod_security(const struct plan_pod_security *ps)
{
	json_t *o = json_pack("{s:s, s:s}", "level", security_pss_level_name(ps->level), "version",
	                      "latest");
	_cleanup_free_ char *made = NULL;
	const char *message = ps->next_message;
	json_t *violations;

	if (!o || ps->level == SECURITY_PSS_RESTRICTED)
		return o;
	/* a plan kept for a pod's life leaves the message out: made again from next, as
	 * plan_pod_security made it */
	if (!message &&
	    !(message = made = security_pss_message(&ps->next, ps->level + 1, SECURITY_PSS_LATEST)))
		return json_decref(o), NULL;
	violations = json_array();
	for (size_t i = 0; violations && i < ps->next.n; i++) {
		const struct security_pss_violation *v = &ps->next.violations[i];

		json_array_append_new(violations,
		                      json_pack("{s:s, s:s, s:s}", "check", v->check, "reason",
		                                v->reason, "detail", v->detail ? v->detail : ""));
	}
	json_object_set_new(o, "next",
	                    json_pack("{s:s, s:s?, s:o*}", "level",
	                              security_pss_level_name(ps->level + 1), "message", message,
	                              "violations", violations));
	return o;
}

json_t *plan_to_json(const struct plan *plan)
{
	json_t *o = json_object(), *meta = json_object(), *containers = json_array();
	int r = 0;

	r |= json_object_set_new(o, "apiVersion", json_string("nanolet.io/v1"));
	r |= json_object_set_new(o, "kind", json_string("IsolationPlan"));
	r |= json_object_set_new(meta, "name", json_string(plan->name));
	r |= json_object_set_new(meta, "namespace", json_string(plan->namespace));
	r |= json_object_set_new(meta, "uid", json_string(plan->uid));
	r |= json_object_set_new(o, "metadata", meta);
	r |= json_object_set_new(o, "qosClass", json_string(spec_qos_name(plan->qos)));
	r |= json_object_set_new(o, "pod", json_pod(plan));
	for (size_t i = 0; containers && i < plan->n_containers; i++)
		r |= json_array_append_new(containers, json_container(&plan->containers[i]));
	r |= json_object_set_new(o, "containers", containers);
	r |= json_object_set_new(o, "warnings", json_strv(plan->warnings));
	r |= json_object_set_new(o, "explanation", json_strv(plan->explanation));
	r |= json_object_set_new(o, "podSecurity", json_pod_security(&plan->pod_security));
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}
