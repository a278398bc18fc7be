/* daemon/nanoletd.h: the daemon's one context, handed to the routes, and its life cycle:
 * nanoletd_start() acts on a read config (directories, cgroup layout, socket, HTTP server, signal
 * sources), nanoletd_run() serves until SIGTERM/SIGINT, nanoletd_done() releases everything. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "access.h"
#include "cgroup/cgroup.h"
#include "config.h"
#include "metrics/metrics.h"
#include "node.h"
#include "tls.h"

struct api_openapi;
struct audit_log;
struct exec_ws;
struct fs_watches;
struct http_server;
struct image_answer;
struct image_gc;
struct image_puller;
struct image_registry_config;
struct image_store;
struct pods;

struct nanoletd {
	struct nano_config config;
	sd_event *event;
	struct http_server *http;
	struct api_openapi *openapi; /* the OpenAPI v3 documents; NULL until asked for */
	struct http_server *https;   /* the TLS listener (config listen), NULL when off */
	struct tokens tokens;        /* its bearer tokens (<state_dir>/tokens) */
	struct pods *pods;
	struct cgroup_host host; /* what statfs found at start */
	/* nanolet's root, resolved once at start (node.c) and never again: the first hierarchy's
	 * (cgroup path), never NULL once started; the root in every hierarchy, which the locks, the
	 * cgroup driver and every plan (dry runs and pods alike) take; and the /proc/self/cgroup
	 * they were resolved from, which the driver reads for its delegation */
	char *cgroup_root;
	enum config_cgroup_driver cgroup_driver; /* resolved: CONFIG_CGROUP_V2 or _V1, never AUTO */
	struct node_hierarchies hierarchies;
	char *proc_self_cgroup;
	bool socket_activated;             /* the socket came from systemd (LISTEN_FDS) */
	bool socket_created;               /* we bound config.socket: unlink it on exit */
	struct metrics_rate node_cpu_rate; /* /stats/summary's node usageNanoCores */
	struct fs_watches *fs_watches;     /* the one inotify instance: log follows and pods */
	size_t log_follows;                /* log follows open (max_log_follows) */
	struct access_policy access;       /* who may write and read (gids resolved) */
	gid_t *access_gids;                /* what access's gid lists point into */
	struct audit_log *audit;           /* <log_dir>/audit.log */
	int lock_fds[4]; /* flocks: state, run and log dirs, the cgroup root (0: not taken) */
	/* what the pod manager is given (open_pods) */
	struct pod_shim_client *shim_client;
	size_t http_fd_budget, pods_fd_budget; /* RLIMIT_NOFILE's split (nanoletd.c) */
	char *shim_path;
	char *host_ip;
	struct net_config network; /* the pod network, from config.network */
	char *cgroup_root_dir;     /* the root's directory in the hierarchy that defines it */
	char hostname[256];
	sd_event_source *store_flush; /* commits the store's batch once per loop iteration */
	/* the OOM killer's victims, read from /dev/kmsg as the kernel writes (NULL: unreadable) */
	struct cgroup_oom_log *oom_log;
	sd_event_source *oom_log_source;
	struct exec_ws *exec_sessions; /* execs over a WebSocket (api_exec_ws.c) */
	/* the Node object (api_nodes.c): its uid and creation, kept in the store from the first
	 * start on this state directory; when this daemon started; its conditions' transitions */
	char node_uid[37];
	int64_t node_created_ns, started_ns;
	struct metrics_condition_transitions node_transitions;
	struct api_watch *watches; /* watch streams open (api_watch.c) */
	/* The node's images (pkg/image): the content store under <state_dir>/images and the
	 * puller on the loop, with the registries of the config (open_images). The pods pull and
	 * resolve through them, the images API lists, loads and removes through them. */
	struct image_store *images;
	struct image_puller *puller;
	struct image_registry_config *puller_registries; /* borrow config.registries' strings */
	/* image garbage collection (image_gc.c), and the blocking jobs on the store still running
	 * on a thread of their own (imports, removals: util_work): while there are any, the
	 * store is not closed at exit (the jobs hold it; the process ends anyway) */
	struct image_gc *image_gc;
	size_t image_jobs;
	struct image_answer *image_answers; /* the images API's answers to come (api_images.c) */
};

#define NANOLET_VERSION_STRING NANOLET_VERSION

/* Picks the cgroup driver and root from the host layout, the config and the text of
 * /proc/self/cgroup: driver auto -> v2 on a unified host, v1 otherwise; a forced driver the host
 * cannot serve -> -EINVAL. Root: config.cgroup_root when set, else "<own cgroup>/nanolet", the
 * own cgroup being the 0:: entry for v2 and the memory controller's for v1. Pure: no I/O. */
int nanoletd_resolve_cgroup(struct nanoletd *daemon, const char *proc_self_cgroup,
                            struct nano_err *err);

/* The node's settings a plan is built with (plan_build, through node_plan_config as `nanolet
 * explain` builds it), with the roots resolved at start: uid NULL for a pod that is not created
 * (a dry run), userns_base the first node id of its user namespace (0: none). */
void nanoletd_plan_config(const struct nanoletd *daemon, const char *uid, uint32_t userns_base,
                          struct plan_config *out);

/* The directory of nanolet's root in the first hierarchy (memory with v1, unified with v2), the
 * one locked while the daemon runs: "/sys/fs/cgroup[/memory]<root>". malloc'd, NULL: ENOMEM. */
char *nanoletd_cgroup_root_dir(const struct nanoletd *daemon);

/* Takes ownership of daemon->config (already read). */
int nanoletd_start(struct nanoletd *daemon, struct nano_err *err);
/* Serves until a SIGTERM or SIGINT; returns 0 on a clean stop. */
int nanoletd_run(struct nanoletd *daemon);
void nanoletd_done(struct nanoletd *daemon);
