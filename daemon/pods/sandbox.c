/* daemon/pods/sandbox.c (sandbox.h): what a pod has on the node, made before its shim starts and
 * removed after it is gone: its cgroups with the plan's files, its volumes (emptyDir directories,
 * one tmpfs per Memory emptyDir, fsGroup ownership, hostPaths to create), its run and log
 * directories, shim.json, and the shim itself. It decides nothing about containers: lifecycle.c
 * does. */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "dns/dns.h"
#include "logs/logs.h"
#include "pods/sandbox.h"
#include "runtime/runtime.h"
#include "util/work.h"

/* ---- cgroups ------------------------------------------------------------------------------- */

static int setup_cgroups(struct pod *pod, struct nano_err *err)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	_cleanup_free_ char *infra = strdupf("%s/infra", pod->cgroup);
	int r;

	if (!infra)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = cgroup_driver_create(cg, pod->cgroup, CGROUP_NODE_INNER, err);
	if (r >= 0)
		r = cgroup_driver_apply(cg, &pod->plan->cgroup, err);
	/* cgroup v2: no processes in inner nodes, so the shim lives in a leaf of its own */
	if (r >= 0)
		r = cgroup_driver_create(cg, infra, CGROUP_NODE_LEAF, err);
	for (size_t i = 0; r >= 0 && i < pod->plan->n_containers; i++) {
		const struct plan_cgroup *c = &pod->plan->containers[i].cgroup;
		const char *rel = pod_container_cgroup(pod, i);

		if (!rel)
			return nano_err_set(err, EINVAL, "cgroup %s is outside nanolet's root",
			                    c->path);
		r = cgroup_driver_create(cg, rel, CGROUP_NODE_LEAF, err);
		if (r >= 0)
			r = cgroup_driver_apply(cg, c, err);
		/* only the plan's devices; a node that cannot confine them runs no pod */
		if (r >= 0)
			r = cgroup_driver_devices(cg, rel,
			                          pod->plan->containers[i].security.devices,
			                          pod->plan->containers[i].security.n_devices, err);
	}
	return r < 0 ? nano_err_wrap(err, "cgroups of pod %s", pod->spec->name) : 0;
}

/* ---- volumes ------------------------------------------------------------------------------- */

static bool is_mount_point(const char *path)
{
	_cleanup_free_ char *parent = strdupf("%s/..", path);
	struct stat st, pst;

	return parent && stat(path, &st) == 0 && stat(parent, &pst) == 0 && st.st_dev != pst.st_dev;
}

/* The kubelet's emptyDir: world-writable; with fsGroup owned by that group, setgid so that new
 * files inherit it. */
static int setup_empty_dir(const struct pod *pod, const struct plan_volume *v, struct nano_err *err)
{
	int64_t fs_group = pod->spec->security_context.fs_group;
	mode_t mode = fs_group != SPEC_UNSET ? 02777 : 0777;
	_cleanup_free_ char *options = NULL;

	if (mkdir_p(v->path, 0755) < 0)
		return nano_err_set(err, errno, "emptyDir %s: mkdir %s: %m", v->name, v->path);
	/* a new sandbox for the same pod keeps its emptyDir, as the kubelet's does */
	if (v->memory && !is_mount_point(v->path)) {
		options = v->size_limit >= 0 ? strdupf("mode=%o,size=%" PRId64, mode, v->size_limit)
		                             : strdupf("mode=%o", mode);
		if (!options || mount("tmpfs", v->path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
			return nano_err_set(err, errno ? errno : ENOMEM,
			                    "emptyDir %s: mount tmpfs on %s: %m", v->name, v->path);
	}
	if (fs_group != SPEC_UNSET && chown(v->path, (uid_t)-1, (gid_t)fs_group) < 0)
		return nano_err_set(err, errno, "emptyDir %s: chown to fsGroup %" PRId64 ": %m",
		                    v->name, fs_group);
	if (chmod(v->path, mode) < 0)
		return nano_err_set(err, errno, "emptyDir %s: chmod: %m", v->name);
	return 0;
}

/* hostPath types that create what is missing; the ones that must exist are checked when a
 * container starts (pod_check_host_paths), where a failure is that container's StartError. */
static int setup_host_path(const struct plan_volume *v, struct nano_err *err)
{
	if (strcmp(v->host_path_type, "DirectoryOrCreate") == 0) {
		if (mkdir_p(v->path, 0755) < 0)
			return nano_err_set(err, errno, "hostPath %s: mkdir %s: %m", v->name,
			                    v->path);
	} else if (strcmp(v->host_path_type, "FileOrCreate") == 0) {
		int fd = open(v->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (fd < 0)
			return nano_err_set(err, errno, "hostPath %s: create %s: %m", v->name,
			                    v->path);
		close(fd);
	}
	return 0;
}

/* The pod's /dev/shm: one tmpfs its containers share, as they share the IPC namespace whose
 * POSIX shared memory it holds. A new sandbox for the same pod keeps it. */
static int setup_shm(const struct pod *pod, struct nano_err *err)
{
	const char *path = pod->plan->shm;
	_cleanup_free_ char *options = strdupf("mode=1777,size=%" PRId64, PLAN_SHM_SIZE);

	if (!path)
		return 0;
	if (!options)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (mkdir_p(path, 0755) < 0)
		return nano_err_set(err, errno, "/dev/shm: mkdir %s: %m", path);
	if (!is_mount_point(path) &&
	    mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) < 0)
		return nano_err_set(err, errno, "/dev/shm: mount tmpfs on %s: %m", path);
	return 0;
}

static int setup_volumes(struct pod *pod, struct nano_err *err)
{
	for (size_t i = 0; i < pod->plan->n_volumes; i++) {
		const struct plan_volume *v = &pod->plan->volumes[i];
		int r = v->type == SPEC_VOLUME_EMPTY_DIR ? setup_empty_dir(pod, v, err)
		                                         : setup_host_path(v, err);

		if (r < 0)
			return r;
	}
	return 0;
}

static bool type_matches(const char *type, mode_t mode)
{
	if (strcmp(type, "Directory") == 0 || strcmp(type, "DirectoryOrCreate") == 0)
		return S_ISDIR(mode);
	if (strcmp(type, "File") == 0 || strcmp(type, "FileOrCreate") == 0)
		return S_ISREG(mode);
	if (strcmp(type, "Socket") == 0)
		return S_ISSOCK(mode);
	if (strcmp(type, "CharDevice") == 0)
		return S_ISCHR(mode);
	if (strcmp(type, "BlockDevice") == 0)
		return S_ISBLK(mode);
	return true;
}

/* As the kubelet does: a subPath that is not in the volume yet is made, a directory, owned by
 * the fsGroup when there is one. */
static char *make_sub_paths(const struct pod *pod, size_t container)
{
	const struct spec_container *c = &pod->spec->containers[container];
	const struct plan_container *pc = &pod->plan->containers[container];
	int64_t fs_group = pod->spec->security_context.fs_group;

	for (size_t i = 0; i < c->n_volume_mounts; i++) {
		const struct spec_volume_mount *vm = &c->volume_mounts[i];

		if (!vm->sub_path || !*vm->sub_path)
			continue;
		for (size_t m = 0; m < pc->n_mounts; m++) {
			const char *source = pc->mounts[m].source;

			if (strcmp(pc->mounts[m].destination, vm->mount_path) != 0)
				continue;
			if (mkdir_p(source, 0755) < 0)
				return strdupf("subPath %s of volume %s: %s", vm->sub_path,
				               vm->name, strerror(errno));
			if (fs_group != SPEC_UNSET && chown(source, (uid_t)-1, (gid_t)fs_group) < 0)
				return strdupf("subPath %s: chown to fsGroup: %s", vm->sub_path,
				               strerror(errno));
		}
	}
	return NULL;
}

char *pod_prepare_mounts(const struct pod *pod, size_t container)
{
	const struct spec_container *c = &pod->spec->containers[container];

	for (size_t i = 0; i < c->n_volume_mounts; i++) {
		for (size_t j = 0; j < pod->plan->n_volumes; j++) {
			const struct plan_volume *v = &pod->plan->volumes[j];
			struct stat st;

			if (v->type != SPEC_VOLUME_HOST_PATH ||
			    strcmp(v->name, c->volume_mounts[i].name) != 0 || !*v->host_path_type)
				continue;
			if (stat(v->path, &st) < 0)
				return strdupf("hostPath volume %s: %s: %s", v->name, v->path,
				               strerror(errno));
			if (!type_matches(v->host_path_type, st.st_mode))
				return strdupf("hostPath volume %s: %s is not of type %s", v->name,
				               v->path, v->host_path_type);
		}
	}
	return make_sub_paths(pod, container);
}

/* ---- the shim ------------------------------------------------------------------------------ */

/* What shim.json names for each container, owned until the file is written. */
struct shim_lists {
	size_t n;
	struct runtime_shim_container *containers;
	char ***procs;
	char **dirs;
	char **logs;
};

static void shim_lists_done(struct shim_lists *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->procs)
			strv_free(l->procs[i]);
		if (l->dirs)
			free(l->dirs[i]);
		if (l->logs)
			free(l->logs[i]);
	}
	free(l->containers);
	free(l->procs);
	free(l->dirs);
	free(l->logs);
}

static int shim_lists_fill(struct pod *pod, struct shim_lists *l, struct nano_err *err)
{
	struct cgroup_driver *cg = pod->env->cgroup;

	l->containers = calloc(l->n + 1, sizeof(*l->containers));
	l->procs = calloc(l->n + 1, sizeof(char **));
	l->dirs = calloc(l->n + 1, sizeof(char *));
	l->logs = calloc(l->n + 1, sizeof(char *));
	if (!l->containers || !l->procs || !l->dirs || !l->logs)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		const struct plan_container *c = &pod->plan->containers[i];
		const char *rel = pod_container_cgroup(pod, i);
		int r = cgroup_driver_procs_files(cg, rel, &l->procs[i], err);

		if (r < 0)
			return r;
		/* v2: the shim clones straight into the cgroup (CLONE_INTO_CGROUP) */
		if (cgroup_driver_kind(cg) == PLAN_CGROUP_V2 &&
		    (r = cgroup_driver_dir(cg, NULL, rel, &l->dirs[i])) < 0)
			return nano_err_set(err, -r, "cgroup of %s: %s", c->name, strerror(-r));
		l->logs[i] = strdupf("%s/%s", pod->log_dir, c->name);
		if (!l->logs[i])
			return nano_err_set(err, ENOMEM, "out of memory");
		l->containers[i] = (struct runtime_shim_container){
		        .name = c->name,
		        .cgroup_procs = l->procs[i],
		        .cgroup_dir = l->dirs[i],
		        .log_dir = l->logs[i],
		        /* the plan's containers are the spec's, in its order */
		        .termination_message_path =
		                pod->spec->containers[i].termination_message_path,
		};
	}
	return 0;
}

static void dns_warning(void *userdata, const char *reason, const char *message)
{
	pod_event(userdata, NULL, "Warning", reason, "%s", message);
}

/* The pod's resolv.conf, made here rather than in the shim: it takes the node's DNS settings
 * and the node's resolv_conf (read at each new sandbox, as the kubelet does), and its warnings
 * are the pod's events. NULL *out: the options name no DNS (a Check suite's). */
static int pod_resolv_conf(struct pod *pod, char **out, struct nano_err *err)
{
	const struct pods_dns *opt = &pod->env->opt.dns;
	_cleanup_(dns_config_done) struct dns_config host = {0}, conf = {0};
	_cleanup_free_ char *text = NULL;
	struct dns_node node = {.cluster_dns = opt->cluster_dns,
	                        .cluster_domain = opt->cluster_domain};
	int r;

	*out = NULL;
	if (!opt->resolv_conf)
		return 0;
	/* None needs nothing of the node's: a file it cannot read does not stop such a pod */
	if (*opt->resolv_conf && pod->spec->dns_policy != SPEC_DNS_NONE) {
		r = util_read_file_at(AT_FDCWD, opt->resolv_conf, &text);
		if (r < 0)
			return nano_err_set(err, -r, "resolv_conf %s: %s", opt->resolv_conf,
			                    strerror(-r));
		r = dns_parse_resolv_conf(text, &host, err);
		if (r < 0)
			return nano_err_wrap(err, "resolv_conf %s", opt->resolv_conf);
		node.host = &host;
	}
	r = dns_pod_config(pod->spec, &node, dns_warning, pod, &conf);
	if (r < 0 || !(*out = dns_resolv_conf_text(&conf)))
		return nano_err_set(err, ENOMEM, "out of memory");
	return 0;
}

static int write_shim_config(struct pod *pod, struct nano_err *err)
{
	const struct pods_options *opt = &pod->env->opt;
	_cleanup_(shim_lists_done) struct shim_lists lists = {.n = pod->plan->n_containers};
	_cleanup_free_ char *infra = strdupf("%s/infra", pod->cgroup);
	_cleanup_free_ char *seccomp_cache = strdupf("%s/seccomp", opt->run_dir);
	_cleanup_free_ char *id_map = NULL, *resolv_conf = NULL, *host_domain = NULL;
	_cleanup_strv_ char **infra_procs = NULL;
	_cleanup_json_ json_t *json = NULL;
	struct runtime_shim_config shim;
	char ip[NET_IP_STRLEN];
	int r;

	if (!infra || !seccomp_cache)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = cgroup_driver_procs_files(pod->env->cgroup, infra, &infra_procs, err);
	if (r >= 0)
		r = shim_lists_fill(pod, &lists, err);
	if (r < 0)
		return r;
	/* hostUsers: false: 65536 ids of the node's, the same range for uids and gids */
	if (pod->userns_base && !(id_map = strdupf("0 %" PRIu32 " 65536", pod->userns_base)))
		return nano_err_set(err, ENOMEM, "out of memory");
	r = pod_resolv_conf(pod, &resolv_conf, err);
	if (r < 0)
		return r;
	host_domain = dns_host_domain(pod->spec, opt->dns.cluster_domain);
	if (pod->spec->subdomain && !host_domain)
		return nano_err_set(err, ENOMEM, "out of memory");
	shim = (struct runtime_shim_config){
	        .plan = pod->plan,
	        .infra_procs = infra_procs,
	        .uid_map = id_map,
	        .gid_map = id_map,
	        .containers = lists.containers,
	        .n_containers = lists.n,
	        .log_max_size = opt->container_log_max_size,
	        .log_max_files = (int)opt->container_log_max_files,
	        /* the shims' compiled seccomp filters, shared by every pod (outside pods/: the
	         * orphan sweep leaves it alone) */
	        .seccomp_cache_dir = seccomp_cache,
	        .resolv_conf = resolv_conf,
	        .host_domain = host_domain,
	        .host_aliases = pod->spec->host_aliases,
	        .n_host_aliases = pod->spec->n_host_aliases,
	};
	json = runtime_shim_config_to_json(&shim);
	if (!json)
		return nano_err_set(err, ENOMEM, "out of memory");
	/* the pod's address, for the files that name it (/etc/hosts) */
	if (pod->pod_ip &&
	    json_object_set_new(json, "podIP", json_string(net_ip_str(pod->pod_ip, ip))) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	return runtime_shim_config_write(pod->run_dir, json, err);
}

int pod_shim_config_rewrite(struct pod *pod, struct nano_err *err)
{
	/* the rest of the file (cgroups, resolv.conf, ...) is the sandbox's, made once */
	return runtime_shim_config_replace_plan(pod->run_dir, pod->plan, err);
}

int pod_setup(struct pod *pod, struct nano_err *err)
{
	int r;

	if (mkdir_p(pod->run_dir, 0700) < 0 || mkdir_p(pod->log_dir, 0755) < 0)
		return nano_err_set(err, errno, "pod directories: %m");
	r = setup_cgroups(pod, err);
	if (r >= 0)
		r = setup_shm(pod, err);
	if (r >= 0)
		r = setup_volumes(pod, err);
	if (r >= 0)
		r = write_shim_config(pod, err);
	return r < 0 ? r : 0;
}

/* ---- the pod network ----------------------------------------------------------------------- */

/* The node's nftables table, made with the first pod of this run on the network; then the
 * pod's hostPorts, forwarded to ip (again, for a new sandbox: the same elements are no
 * change; another pod's are refused, File exists). */
static int forward_host_ports(struct pod *pod, const char *ip, struct nano_err *err)
{
	struct pod_env *env = pod->env;
	const struct plan_network *n = &pod->plan->network;
	_cleanup_free_ struct hostport *ports = NULL;
	char cidr[NET_CIDR_STRLEN];

	if (!env->hostports_made) {
		const char *masquerade = env->opt.network->masquerade
		                                 ? net_cidr_str(&env->opt.network->cidr, cidr)
		                                 : NULL;

		if (hostports_ready(env->hostports, masquerade, err) < 0)
			return nano_err_wrap(err, "nftables table ip nanolet");
		env->hostports_made = true;
	}
	if (n->n_host_ports == 0)
		return 0;
	ports = calloc(n->n_host_ports, sizeof(*ports));
	if (!ports)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n->n_host_ports; i++)
		ports[i] = (struct hostport){.protocol = n->host_ports[i].protocol,
		                             .host_ip = n->host_ports[i].host_ip,
		                             .host_port = (uint16_t)n->host_ports[i].host_port,
		                             .container_port =
		                                     (uint16_t)n->host_ports[i].container_port};
	if (hostports_add(env->hostports, pod->uid, ip, ports, n->n_host_ports, err) < 0)
		return nano_err_wrap(err, "hostPort");
	return 0;
}

int pod_network_attach(struct pod *pod, struct nano_err *err)
{
	_cleanup_close_ int pidfd = -1;
	struct net_attachment attachment;
	char ip[NET_IP_STRLEN];
	uint64_t start_time = 0;
	int r;

	/* a hostNetwork pod's address is the node's, as the kubelet reports it */
	if (pod->spec->host_network)
		return sup_pod_set_pod_ip(pod->sup, pod->env->host_ip) < 0
		               ? nano_err_set(err, ENOMEM, "out of memory")
		               : 0;
	if (!pod_on_network(pod))
		return 0;
	if (!pod->pod_ip)
		return nano_err_set(err, EADDRNOTAVAIL, "the pod has no address");
	/* the shim's namespace, through a pidfd taken while the pid is still the shim's (its
	 * start time says so): a pid reused meanwhile would name someone else's namespace */
	pidfd = pidfd_open(pod->shim_pid, 0);
	if (pidfd < 0)
		return nano_err_set(err, errno, "the shim (pid %d): %m", (int)pod->shim_pid);
	r = pod_proc_start_time(pod->shim_pid, &start_time);
	if (r < 0 || start_time != pod->shim_start_time)
		return nano_err_set(err, ESRCH, "the shim (pid %d) is gone", (int)pod->shim_pid);
	r = net_pod_attach(pod->env->net, pod->uid, pidfd, pod->pod_ip, &attachment, err);
	if (r < 0)
		return nano_err_wrap(err, "pod network");
	r = forward_host_ports(pod, net_ip_str(attachment.ip, ip), err);
	if (r >= 0 && (pod->spec->ingress_bandwidth || pod->spec->egress_bandwidth) &&
	    net_pod_bandwidth(pod->env->net, pod->uid, (uint64_t)pod->spec->ingress_bandwidth,
	                      (uint64_t)pod->spec->egress_bandwidth, err) < 0)
		r = nano_err_wrap(err, "bandwidth annotations");
	if (r < 0) {
		(void)net_pod_detach(pod->env->net, pod->uid, &(struct nano_err){0});
		(void)hostports_remove(pod->env->hostports, pod->uid, &(struct nano_err){0});
		return r;
	}
	log_info("pod %s/%s: eth0 %s, node end %s on %s", pod->spec->namespace, pod->spec->name,
	         net_ip_str(attachment.ip, ip), attachment.node_ifname,
	         pod->env->opt.network->bridge);
	if (sup_pod_set_pod_ip(pod->sup, ip) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	return 0;
}

int pod_network_check(struct pod *pod, struct nano_err *err)
{
	int r;

	if (!pod_on_network(pod) || !pod->pod_ip)
		return 0;
	r = net_pod_attached(pod->env->net, pod->uid, err);
	if (r != 0)
		return r < 0 ? r : 0;
	log_warn("pod %s/%s: its node end is gone: attaching it again", pod->spec->namespace,
	         pod->spec->name);
	return pod_network_attach(pod, err);
}

/* The deletion of a pod's node end, on a thread of its own: the kernel deletes a link inside
 * the request and waits for RCU grace periods there (2 to 37 ms measured), which the loop
 * should not. While the pod's namespace still lives: a namespace that dies with the pair in
 * it has the kernel delete it on its own, later, in the way of the next pod's veth. */
struct detach {
	struct pod *pod; /* the loop's, for on_detach_done */
	char *name, *bridge, *uid;
};

static void detach_free(void *userdata)
{
	struct detach *job = userdata;

	free(job->name);
	free(job->bridge);
	free(job->uid);
	free(job);
}

static int detach_run(void *userdata)
{
	struct detach *job = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (net_pod_detach_alone(job->bridge, job->uid, &err) < 0)
		log_warn("pod %s: %s", job->name, err.message);
	return 0;
}

static void teardown_finish(struct pod *pod);

static void on_detach_done(void *userdata, int r)
{
	struct detach *job = userdata;
	struct pod *pod = job->pod;

	(void)r;
	pod->detach = NULL; /* util_work frees itself after this */
	detach_free(job);
	/* the rest of the teardown was done first: it waited for this */
	if (pod->teardown_detach_wait)
		teardown_finish(pod);
}

static void node_end_detach(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct detach *job = calloc(1, sizeof(*job));

	if (job) {
		*job = (struct detach){.pod = pod,
		                       .name = strdup(pod->spec->name),
		                       .bridge = strdup(pod->env->opt.network->bridge),
		                       .uid = strdup(pod->uid)};
		if (job->name && job->bridge && job->uid &&
		    util_work_run(pod->env->event, detach_run, on_detach_done, detach_free, job,
		                  &pod->detach) >= 0)
			return;
		detach_free(job);
	}
	/* no job: on the loop */
	if (net_pod_detach(pod->env->net, pod->uid, &err) < 0)
		log_warn("pod %s/%s: %s", pod->spec->namespace, pod->spec->name, err.message);
}

/* Its node end (the peer goes with it), its forwards and its ifb. Its address stays its own
 * until its row goes (the store gives it back then). */
static void network_detach(struct pod *pod)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (!pod_on_network(pod))
		return;
	node_end_detach(pod);
	/* its forwards, when its containers have hostPorts (only those are ever added; orphans of
	 * a crash are the start's sweep's): listing nanolet's maps is an nft command a delete of
	 * any other pod need not run */
	if ((!pod->plan || pod->plan->network.n_host_ports > 0) &&
	    hostports_remove(pod->env->hostports, pod->uid, &err) < 0)
		log_warn("pod %s/%s: its hostPorts: %s", pod->spec->namespace, pod->spec->name,
		         err.message);
	nano_err_clear(&err);
	/* its ifb, when it had an egress-bandwidth (the node end's qdiscs went with the veth) */
	if (pod->spec->egress_bandwidth &&
	    net_pod_bandwidth_remove(pod->env->net, pod->uid, &err) < 0)
		log_warn("pod %s/%s: its ifb: %s", pod->spec->namespace, pod->spec->name,
		         err.message);
}

/* ---- removal ------------------------------------------------------------------------------- */

int pod_kill_leftovers(struct pod *pod)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	if (!cg || !pod->cgroup || cgroup_driver_populated(cg, pod->cgroup, &err) <= 0)
		return 0;
	if (cgroup_driver_kill(cg, pod->cgroup, &err) < 0)
		log_warn("pod %s: %s", pod->spec->name, err.message);
	return 1;
}

int pod_remove_cgroups(struct pod *pod)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r;

	if (!cg || !pod->cgroup)
		return 0;
	r = cgroup_driver_remove(cg, pod->cgroup, &err);
	if (r == -EBUSY)
		return r;
	if (r < 0)
		log_warn("pod %s: %s: a new sandbox in the old cgroups", pod->spec->name,
		         err.message);
	return 0;
}

/* A tmpfs of the pod's (a Memory emptyDir, its /dev/shm), lazily: a process may still hold it. */
static void unmount(const char *name, const char *path)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn("pod %s: unmount %s: %m", name, path);
}

/* Two directory streams at most: with the job's eventfd, within the descriptors the pod is
 * counted for (pods_fd_cost) until its removal ends, however many removals run at once. */
#define REMOVAL_DIR_FDS 2

static void remove_dir(const char *name, const char *path)
{
	int r = rm_rf_fds(path, REMOVAL_DIR_FDS);

	if (r < 0)
		log_warn("pod %s: remove %s: %s", name, path, strerror(-r));
}

/* What a removal of the pod's files does, its paths copied (the job's thread never touches the
 * pod): its tmpfs mounts unmounted, then its directories removed. */
struct removal {
	struct pod *pod; /* the loop's, for on_removal_done: never the thread's */
	char *name;
	char **mounts, **dirs;
};

static void removal_free(void *userdata)
{
	struct removal *job = userdata;

	free(job->name);
	strv_free(job->mounts);
	strv_free(job->dirs);
	free(job);
}

static struct removal *removal_new(struct pod *pod)
{
	_cleanup_free_ struct removal *job = calloc(1, sizeof(*job));
	const char *dirs[] = {pod->volume_dir, pod->run_dir, pod->log_dir};
	int r = 0;

	if (!job || !(job->name = strdup(pod->spec->name)))
		return NULL;
	job->pod = pod;
	for (size_t i = 0; r >= 0 && pod->plan && i < pod->plan->n_volumes; i++)
		if (pod->plan->volumes[i].memory)
			r = strv_pushf(&job->mounts, "%s", pod->plan->volumes[i].path);
	if (r >= 0 && pod->plan && pod->plan->shm)
		r = strv_pushf(&job->mounts, "%s", pod->plan->shm);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(dirs); i++)
		if (dirs[i])
			r = strv_pushf(&job->dirs, "%s", dirs[i]);
	if (r < 0) {
		removal_free(TAKE_PTR(job));
		return NULL;
	}
	return TAKE_PTR(job);
}

static int removal_run(void *userdata)
{
	struct removal *job = userdata;

	pod_stall_point("removal"); /* a test's: a removal that takes long */
	for (char **m = job->mounts; m && *m; m++)
		unmount(job->name, *m);
	for (char **d = job->dirs; d && *d; d++) {
		remove_dir(job->name, *d);
		/* a test's: the daemon killed with a removal half done */
		if (d == job->dirs)
			pod_crash_point("removal-under-way");
	}
	return 0;
}

/* The removal without a job (no memory for its copies, no thread): on the loop, the pod's own
 * paths. */
static void remove_files(struct pod *pod)
{
	const char *dirs[] = {pod->volume_dir, pod->run_dir, pod->log_dir};

	for (size_t i = 0; pod->plan && i < pod->plan->n_volumes; i++)
		if (pod->plan->volumes[i].memory)
			unmount(pod->spec->name, pod->plan->volumes[i].path);
	if (pod->plan && pod->plan->shm)
		unmount(pod->spec->name, pod->plan->shm);
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (dirs[i])
			remove_dir(pod->spec->name, dirs[i]);
}

/* The teardown's end: the files are gone (or could not all be), the pod is told. */
static void teardown_finish(struct pod *pod)
{
	void (*done)(struct pod *) = pod->teardown_done;

	pod->teardown_detach_wait = pod->detach != NULL;
	if (pod->teardown_detach_wait)
		return; /* on_detach_done ends it */
	pod->teardown_done = NULL;
	done(pod);
}

static void on_removal_done(void *userdata, int r)
{
	struct removal *job = userdata;
	struct pod *pod = job->pod;

	(void)r;
	pod->removal = NULL; /* util_work frees itself after this */
	removal_free(job);
	teardown_finish(pod);
}

/* Removes the pod's files in a job on a thread of its own, which may take long (an emptyDir
 * of many files), while the loop goes on: its end comes back on the loop. Not a child process:
 * a fork copies the daemon's page tables, and every page either side writes afterwards. A
 * daemon that stops meanwhile ends the job with it; the pod's row, still there (deleting, or
 * creating), has the next daemon tear it down again and finish the removal. -errno when no
 * job could be had (the caller then removes the files itself). */
static int removal_start(struct pod *pod)
{
	struct removal *job = removal_new(pod);
	int r;

	if (!job)
		return -ENOMEM;
	r = util_work_run(pod->env->event, removal_run, on_removal_done, removal_free, job,
	                  &pod->removal);
	if (r < 0) {
		log_debug("pod %s: the removal of its files: no thread (%s): on the loop",
		          pod->spec->name, strerror(-r));
		removal_free(job);
	}
	return r;
}

static void teardown_unwatch(struct pod *pod)
{
	fs_watch_remove(pod->teardown_watch);
	pod->teardown_watch = NULL;
}

void pod_teardown_cancel(struct pod *pod)
{
	pods_timer_cancel(pod->env, &pod->teardown_timer);
	teardown_unwatch(pod);
	/* a removal under way goes on without us (the daemon stops), until the process ends */
	util_work_forget(pod->removal);
	pod->removal = NULL;
	util_work_forget(pod->detach);
	pod->detach = NULL;
	pod->teardown_detach_wait = false;
	pod->teardown_done = NULL;
}

static void on_teardown_tick(void *userdata);

/* A DELETE waits for the teardown: its steps come when asked, not up to the loop's default 250
 * ms later (sd-event's accuracy, which lets timers share a wake-up) */
#define TEARDOWN_ACCURACY_USEC 1000

/* The next look in ticks * POD_EMPTY_TICK_USEC, instead of any look planned; if no timer can be
 * had, at once (the loop then spins until the cgroups are empty, rather than forgetting the
 * pod). */
static void teardown_tick_later(struct pod *pod, unsigned ticks)
{
	int r;

	pod->teardown_step = ticks;
	r = pods_timer_in_within(pod->env, &pod->teardown_timer, ticks * POD_EMPTY_TICK_USEC,
	                         TEARDOWN_ACCURACY_USEC, on_teardown_tick, pod);
	if (r < 0) {
		log_warn("pod %s: teardown timer: %s", pod->spec->name, strerror(-r));
		on_teardown_tick(pod);
	}
}

/* One step of a teardown (tick: the timer's, else the kernel's notice of a change): while
 * processes are left, kill them (again now and then: without cgroup.kill one forked while the
 * kill went round survives it) and look again when cgroup.events changes or, without it, in a
 * moment; then remove the cgroups (the kernel frees the cgroup of exited tasks asynchronously:
 * rmdir is EBUSY for a moment, which no notice announces), the mounts and the directories.
 * Bounded: past POD_EMPTY_TICKS of the timer it goes on with what it can. */
static void teardown_step(struct pod *pod, bool tick)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	bool more = pod->teardown_ticks < POD_EMPTY_TICKS;
	int r;

	if (cg && pod->cgroup) {
		r = cgroup_driver_populated(cg, pod->cgroup, &err);
		if (r > 0 && more) {
			if (tick && pod->teardown_ticks > 0 &&
			    pod->teardown_ticks % POD_KILL_TICKS == 0)
				pod_kill_leftovers(pod);
			/* a notice with the timer set: the timer stays as it was */
			if (tick || !pod->teardown_timer)
				teardown_tick_later(pod, pod->teardown_watch
				                                 ? POD_KILL_TICKS -
				                                           pod->teardown_ticks %
				                                                   POD_KILL_TICKS
				                                 : 1);
			return;
		}
		if (r > 0)
			log_warn("pod %s/%s: processes still in its cgroup after %d ms",
			         pod->spec->namespace, pod->spec->name,
			         POD_EMPTY_TICKS * POD_EMPTY_TICK_USEC / 1000);
		nano_err_clear(&err);
		r = cgroup_driver_remove(cg, pod->cgroup, &err);
		if (r == -EBUSY && more) {
			/* no notice comes for this: the timer looks again soon */
			if (tick || pod->teardown_step != 1) {
				pods_timer_cancel(pod->env, &pod->teardown_timer);
				teardown_tick_later(pod, 1);
			}
			return;
		}
		if (r < 0)
			log_warn("pod %s: remove cgroups: %s", pod->spec->name, err.message);
	}
	pods_timer_cancel(pod->env, &pod->teardown_timer);
	teardown_unwatch(pod);
	if (removal_start(pod) >= 0)
		return; /* on_removal_done ends it */
	remove_files(pod);
	teardown_finish(pod);
}

static void on_teardown_tick(void *userdata)
{
	struct pod *pod = userdata;

	pod->teardown_ticks += pod->teardown_step;
	pod->teardown_step = 0;
	teardown_step(pod, true);
}

/* cgroup.events changed: "populated 0" may have come */
static void on_teardown_notice(void *userdata)
{
	teardown_step(userdata, false);
}

/* The pod cgroup's cgroup.events (cgroup2: the whole hierarchy on v2, its unified mirror on a
 * hybrid host, where the shim's processes are placed too), on the daemon's one inotify
 * instance: the kernel notifies a change of "populated" on it. Without one (v1 only, no
 * inotify watch to be had) the timer looks every POD_EMPTY_TICK_USEC. */
static void teardown_watch(struct pod *pod)
{
	struct cgroup_driver *cg = pod->env->cgroup;
	_cleanup_free_ char *path = NULL;
	int r;

	if (!cg || !pod->cgroup || !pod->env->opt.watches ||
	    cgroup_driver_events_path(cg, pod->cgroup, &path) < 0 || !path)
		return;
	r = fs_watch_add(pod->env->opt.watches, path, IN_MODIFY, on_teardown_notice, pod,
	                 &pod->teardown_watch);
	/* ENOENT: no cgroup (made no further, or gone): nothing to wait for */
	if (r < 0 && r != -ENOENT)
		log_debug("pod %s: watch %s: %s: looking on a timer", pod->spec->name, path,
		          strerror(-r));
}

int pod_teardown(struct pod *pod, void (*done)(struct pod *pod))
{
	int r;

	if (pod->teardown_timer)
		return -EBUSY;
	if (pod_kill_leftovers(pod) > 0)
		log_warn("pod %s/%s: processes left in its cgroup: killing them",
		         pod->spec->namespace, pod->spec->name);
	network_detach(pod);
	pod->teardown_done = done;
	pod->teardown_ticks = 0;
	pod->teardown_step = 0;
	/* before the first look: a change after it is noticed */
	teardown_watch(pod);
	r = pods_timer_in_within(pod->env, &pod->teardown_timer, 0, TEARDOWN_ACCURACY_USEC,
	                         on_teardown_tick, pod);
	if (r < 0)
		teardown_unwatch(pod);
	return r;
}

/* ---- termination messages ------------------------------------------------------------------ */

/* kubecontainer's MaxContainerTerminationMessageLength, ...LogLines and ...LogLength */
#define TERMINATION_MESSAGE_MAX 4096
#define TERMINATION_LOG_LINES   80
#define TERMINATION_LOG_BYTES   2048

/* The last TERMINATION_MESSAGE_MAX bytes of the file (tail.ReadAtMost): what the container
 * wrote last is kept. "" when there is no file (a run of an older shim); the kubelet's words
 * when it cannot be read. */
static char *termination_file_text(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char buf[TERMINATION_MESSAGE_MAX];
	struct stat st;
	ssize_t n;
	off_t from;

	if (fd < 0 && errno == ENOENT)
		return strdup("");
	if (fd < 0 || fstat(fd, &st) < 0)
		return strdupf("Error on reading termination log %s: %m", path);
	if (!S_ISREG(st.st_mode))
		return strdupf("Error on reading termination log %s: not a regular file", path);
	from = st.st_size > TERMINATION_MESSAGE_MAX ? st.st_size - TERMINATION_MESSAGE_MAX : 0;
	do
		n = pread(fd, buf, sizeof(buf), from);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return strdupf("Error on reading termination log %s: %m", path);
	return util_utf8_copy(buf, (size_t)n);
}

char *pod_termination_message(const struct pod *pod, size_t container, int64_t restart,
                              int32_t exit_code)
{
	const struct spec_container *c = &pod->spec->containers[container];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *path = NULL, *text = NULL, *dir = NULL, *logs = NULL;
	int r;

	if (!c->termination_message_path || restart < 0)
		return NULL;
	path = strdupf("%s/" RUNTIME_TERMINATION_DIR "/%s.%" PRId64, pod->run_dir, c->name,
	               restart);
	text = path ? termination_file_text(path) : NULL;
	if (!text)
		return NULL;
	/* getTerminationMessage: the logs only for a failed run that said nothing itself */
	if (*text ||
	    c->termination_message_policy != SPEC_TERMINATION_MESSAGE_FALLBACK_TO_LOGS_ON_ERROR ||
	    exit_code == 0)
		return *text ? TAKE_PTR(text) : NULL;
	dir = strdupf("%s/%s", pod->log_dir, c->name);
	if (!dir)
		return NULL;
	r = logs_tail_text(dir, (unsigned)restart, TERMINATION_LOG_LINES, TERMINATION_LOG_BYTES,
	                   &logs, &err);
	if (r == -ENOENT)
		return NULL; /* the run wrote nothing: no log was made */
	if (r < 0)
		return strdupf("Error on reading termination message from logs: %s",
		               err.message ? err.message : strerror(-r));
	free(text);
	text = util_utf8_copy(logs, strlen(logs));
	return text && *text ? TAKE_PTR(text) : NULL;
}
