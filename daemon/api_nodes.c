/* daemon/api_nodes.c: this node as a core/v1 Node, as the kubelet reports it.
 *
 *   GET /api/v1/nodes          NodeList of this node
 *   GET /api/v1/nodes/{name}   this node; another name is 404 as the API server words it
 *
 * Its name is the one nanolet's events already use (the host name); its uid and
 * creationTimestamp are kept in the store's meta table from the first start on this state
 * directory (api_nodes_open). Capacity as the kubelet reads it through cAdvisor: online CPUs,
 * MemTotal, hugepages, the state directory's filesystem (ephemeral-storage), max_pods;
 * allocatable is the same less hugepages from memory (nanolet has no kube-reserved or
 * system-reserved keys). Conditions (pkg/metrics conditions.c) from the same numbers the
 * kubelet's eviction manager watches, read on each request: its heartbeat is now. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "api_nodes.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"
#include "store/store.h"

int api_nodes_open(struct nanoletd *d, struct nano_err *err)
{
	struct store *s = pods_store(d->pods);
	_cleanup_free_ char *uid = NULL, *created = NULL;
	int64_t now = util_realtime_ns();
	char buf[32];
	int r;

	d->started_ns = now;
	r = store_meta_get(s, "node_uid", &uid, err);
	if (r == -ENOENT) {
		uint8_t b[16];

		nano_err_clear(err);
		if (getentropy(b, sizeof(b)) < 0)
			return nano_err_set(err, errno, "getentropy: %s", strerror(errno));
		util_uuid_format(b, d->node_uid);
		r = store_meta_set(s, "node_uid", d->node_uid, err);
	} else if (r >= 0) {
		snprintf(d->node_uid, sizeof(d->node_uid), "%s", uid);
	}
	if (r < 0)
		return r;
	r = store_meta_get(s, "node_created_ns", &created, err);
	if (r == -ENOENT) {
		nano_err_clear(err);
		d->node_created_ns = now;
		snprintf(buf, sizeof(buf), "%" PRId64, now);
		r = store_meta_set(s, "node_created_ns", buf, err);
	} else if (r >= 0) {
		d->node_created_ns = strtoll(created, NULL, 10);
	}
	return r < 0 ? r : 0;
}

/* ---- reading the host ------------------------------------------------------------------- */

/* The file's first line, without its newline; NULL when it cannot be read. */
static char *first_line(const char *path)
{
	char *text = NULL;

	if (util_read_file_at(AT_FDCWD, path, &text) < 0)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static json_t *string_or_empty(const char *path)
{
	_cleanup_free_ char *line = first_line(path);

	return json_string(line ? line : "");
}

/* PRETTY_NAME of os-release (quotes and escapes removed), as cAdvisor's ContainerOsVersion. */
static json_t *os_image(void)
{
	_cleanup_free_ char *text = NULL;
	const char *paths[] = {"/etc/os-release", "/usr/lib/os-release"};

	for (size_t i = 0; i < ELEMENTSOF(paths) && !text; i++)
		if (util_read_file_at(AT_FDCWD, paths[i], &text) < 0)
			text = NULL;
	for (char *line = text, *next; line && *line; line = next) {
		char *v, *o;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		v = line + 12;
		for (o = line; *v; v++)
			if (*v != '"' && *v != '\'' && *v != '\\')
				*o++ = *v;
			else if (*v == '\\' && v[1])
				*o++ = *++v;
		*o = '\0';
		return json_string(line);
	}
	return json_string("Linux");
}

static void closedirp(DIR **dir)
{
	if (*dir)
		closedir(*dir);
}

/* hugepages-<size>: pages times size, for every size the kernel offers (0 when none are
 * reserved, as the kubelet lists them); their sum comes off allocatable memory. */
static uint64_t add_hugepages(json_t *capacity)
{
	_cleanup_(closedirp) DIR *dir = opendir("/sys/kernel/mm/hugepages");
	uint64_t total = 0;
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		unsigned long long kb, pages;
		_cleanup_free_ char *path = NULL, *text = NULL;
		char name[64], q[METRICS_QUANTITY_SIZE];

		if (sscanf(e->d_name, "hugepages-%llukB", &kb) != 1)
			continue;
		path = strdupf("/sys/kernel/mm/hugepages/%s/nr_hugepages", e->d_name);
		if (!path || util_read_file_at(AT_FDCWD, path, &text) < 0 ||
		    sscanf(text, "%llu", &pages) != 1)
			continue;
		snprintf(name, sizeof(name), "hugepages-%s",
		         metrics_quantity_binary(q, (int64_t)kb * 1024));
		json_object_set_new(
		        capacity, name,
		        json_string(metrics_quantity_binary(q, (int64_t)(pages * kb * 1024))));
		total += pages * kb * 1024;
	}
	return total;
}

/* The most tasks the kernel allows (min of pid_max and threads-max) and how many there are
 * (/proc/loadavg's "running/total"), as the kubelet's pid.available signal reads them. */
static void read_pids(uint64_t *max, uint64_t *now)
{
	_cleanup_free_ char *pid_max = first_line("/proc/sys/kernel/pid_max");
	_cleanup_free_ char *threads = first_line("/proc/sys/kernel/threads-max");
	_cleanup_free_ char *loadavg = first_line("/proc/loadavg");
	unsigned long long a = 0, b = 0, running, total = 0;
	double l1, l5, l15;

	*max = *now = 0;
	if (pid_max)
		a = strtoull(pid_max, NULL, 10);
	if (threads)
		b = strtoull(threads, NULL, 10);
	*max = a && b ? (a < b ? a : b) : a ? a : b;
	if (loadavg &&
	    sscanf(loadavg, "%lf %lf %lf %llu/%llu", &l1, &l5, &l15, &running, &total) == 5)
		*now = total;
}

static json_t *labels_json(const char *name)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "beta.kubernetes.io/arch", UTIL_GOARCH,
	                 "beta.kubernetes.io/os", "linux", "kubernetes.io/arch", UTIL_GOARCH,
	                 "kubernetes.io/hostname", name, "kubernetes.io/os", "linux");
}

json_t *api_node_labels(const struct nanoletd *d)
{
	return labels_json(d->hostname);
}

static json_t *conditions_json(struct nanoletd *d, const struct metrics_node_pressure *p,
                               const char *missing, int64_t now)
{
	struct metrics_node_condition c[METRICS_CONDITION__MAX];
	_cleanup_free_ char *message = NULL;
	json_t *list = json_array();

	metrics_node_conditions(p, missing, c, &message);
	metrics_conditions_track(&d->node_transitions, c, d->started_ns, now);
	for (size_t i = 0; list && i < METRICS_CONDITION__MAX; i++)
		json_array_append_new(list,
		                      json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "type", c[i].type,
		                                "status", c[i].status ? "True" : "False",
		                                "lastHeartbeatTime", util_json_time(now),
		                                "lastTransitionTime",
		                                util_json_time(d->node_transitions.at_ns[i]),
		                                "reason", c[i].reason, "message", c[i].message));
	return list;
}

json_t *api_node_json(struct nanoletd *d, struct nano_err *err)
{
	struct metrics_node mem;
	struct metrics_node_pressure p = {0};
	struct statvfs fs;
	struct utsname un;
	struct config_listen listen = {0};
	char q[METRICS_QUANTITY_SIZE], missing[64] = "";
	_cleanup_free_ char *runtime = strdupf("nanolet://%s", NANOLET_VERSION);
	/* /version's gitVersion: the Kubernetes level nanolet follows, its own in the metadata */
	_cleanup_free_ char *kubelet =
	        strdupf("v%d.%d.0+nanolet.%s", API_KUBE_MAJOR, API_KUBE_MINOR, NANOLET_VERSION);
	_cleanup_json_ json_t *capacity = json_object(), *allocatable = NULL;
	json_t *node, *status, *addresses, *spec;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t now = util_realtime_ns();
	uint64_t hugepages;

	if (metrics_node_read("/proc", sysconf(_SC_CLK_TCK), &mem, err) < 0)
		return NULL;
	if (!capacity || !runtime || !kubelet)
		return nano_err_set(err, ENOMEM, "out of memory"), NULL;
	if (cpus > 0)
		json_object_set_new(capacity, "cpu",
		                    json_string(metrics_quantity_decimal(q, cpus, 0)));
	else
		snprintf(missing, sizeof(missing), "cpu");
	json_object_set_new(capacity, "memory",
	                    json_string(metrics_quantity_binary(q, (int64_t)mem.memory_total)));
	json_object_set_new(capacity, "pods",
	                    json_string(metrics_quantity_decimal(q, d->config.max_pods, 0)));
	if (statvfs(d->config.state_dir, &fs) == 0) {
		p.nodefs_capacity = (uint64_t)fs.f_blocks * fs.f_frsize;
		p.nodefs_available = (uint64_t)fs.f_bavail * fs.f_frsize;
		p.nodefs_inodes = fs.f_files;
		p.nodefs_inodes_free = fs.f_ffree;
		json_object_set_new(
		        capacity, "ephemeral-storage",
		        json_string(metrics_quantity_binary(q, (int64_t)p.nodefs_capacity)));
	} else {
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
		         missing[0] ? ", " : "", "ephemeral-storage");
	}
	hugepages = add_hugepages(capacity);
	allocatable = json_deep_copy(capacity);
	if (!allocatable)
		return nano_err_set(err, ENOMEM, "out of memory"), NULL;
	json_object_set_new(
	        allocatable, "memory",
	        json_string(metrics_quantity_binary(
	                q, (int64_t)(mem.memory_total > hugepages ? mem.memory_total - hugepages
	                                                          : 0))));
	p.memory_capacity = mem.memory_total;
	p.memory_working_set = mem.memory_working_set;
	read_pids(&p.pid_max, &p.pids);

	addresses = json_array();
	if (d->host_ip)
		json_array_append_new(addresses, json_pack("{s:s, s:s}", "type", "InternalIP",
		                                           "address", d->host_ip));
	json_array_append_new(addresses,
	                      json_pack("{s:s, s:s}", "type", "Hostname", "address", d->hostname));
	if (uname(&un) < 0)
		un.release[0] = '\0';
	/* the kubelet's port is where its API is served: the TLS listener's, 0 without one */
	if (!d->config.listen || config_listen_parse(d->config.listen, &listen) < 0)
		listen.port = 0;
	status = json_pack(
	        "{s:O, s:O, s:o, s:o, s:{s:{s:i}}, s:{s:o, s:o, s:o, s:s, s:o, s:s, s:s, s:s, s:s, "
	        "s:s}, s:{s:b}}",
	        "capacity", capacity, "allocatable", allocatable, "conditions",
	        conditions_json(d, &p, missing, now), "addresses", addresses, "daemonEndpoints",
	        "kubeletEndpoint", "Port", (int)listen.port, "nodeInfo", "machineID",
	        string_or_empty("/etc/machine-id"), "systemUUID",
	        string_or_empty("/sys/class/dmi/id/product_uuid"), "bootID",
	        string_or_empty("/proc/sys/kernel/random/boot_id"), "kernelVersion", un.release,
	        "osImage", os_image(), "containerRuntimeVersion", runtime, "kubeletVersion",
	        kubelet, "kubeProxyVersion", "", "operatingSystem", "linux", "architecture",
	        UTIL_GOARCH,
	        /* NodeFeatures: a pod may ask for supplementalGroupsPolicy Strict here */
	        "features", "supplementalGroupsPolicy", 1);
	spec = json_object();
	if (spec && !d->config.network.none) {
		char cidr[NET_CIDR_STRLEN];

		net_cidr_str(&d->config.network.cidr, cidr);
		json_object_set_new(spec, "podCIDR", json_string(cidr));
		json_object_set_new(spec, "podCIDRs", json_pack("[s]", cidr));
	}
	node = json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:o*, s:o*}", "kind", "Node",
	                 "apiVersion", "v1", "metadata", "name", d->hostname, "uid", d->node_uid,
	                 "creationTimestamp", util_json_time(d->node_created_ns), "labels",
	                 labels_json(d->hostname), "spec", spec, "status", status);
	if (!node)
		return nano_err_set(err, ENOMEM, "out of memory"), NULL;
	return node;
}

/* ---- routes ----------------------------------------------------------------------------- */

static void answer_node(struct nanoletd *d, struct http_response *resp, bool list)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	json_t *node = api_node_json(d, &err);

	if (!node)
		return routes_error(resp, &err);
	if (!list)
		return routes_json(resp, 200, node);
	routes_json(resp, 200,
	            json_pack("{s:s, s:s, s:{s:s}, s:[o]}", "kind", "NodeList", "apiVersion", "v1",
	                      "metadata", "resourceVersion", "", "items", node));
}

void api_nodes_list(struct nanoletd *d, const struct http_request *req,
                    const struct route_args *args, struct http_response *resp)
{
	(void)req;
	(void)args;
	answer_node(d, resp, true);
}

void api_node_get(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                  struct http_response *resp)
{
	_cleanup_free_ char *message = NULL;

	(void)req;
	if (strcmp(args->name, d->hostname) == 0)
		return answer_node(d, resp, false);
	message = strdupf("nodes \"%s\" not found", args->name);
	routes_status(resp, 404, "NotFound", message ? message : "not found");
}
