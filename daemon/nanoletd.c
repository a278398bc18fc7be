/* daemon/nanoletd.c: the daemon's life cycle. Start acts on the read config in an order where
 * each step can still fail cleanly: directories and their locks, the host's cgroup layout and
 * our root in it (locked too), the event loop and its signals, the kernel log (whom the OOM
 * killer ended, read before the pods are restored), the pods, the socket, the HTTP server, and
 * only then READY=1. Run is the one sd-event loop; SIGTERM/SIGINT end it. Of cgroupfs only the
 * root's directory in the first hierarchy is made here, to be locked: the cgroup driver makes the
 * rest when the first pod needs it.
 *
 * Durability is batched: what the loop writes to the store while it handles one event is one
 * transaction, committed (one fsync) by a post source before the loop handles the next, and the
 * answers that promise it (store_after_commit) go out only then. */
#include "nanoletd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "api_nodes.h"
#include "api_openapi.h"
#include "api_stats.h"
#include "audit.h"
#include "fs_watch.h"
#include "http.h"
#include "image/image.h"
#include "image_gc.h"
#include "pods.h"
#include "routes.h"
#include "runtime/runtime.h"
#include "socket.h"
#include "store/store.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"
#define KMSG_PATH    "/dev/kmsg"

int nanoletd_resolve_cgroup(struct nanoletd *daemon, const char *proc_self_cgroup,
                            struct nano_err *err)
{
	free(daemon->cgroup_root);
	daemon->cgroup_root = NULL;
	return node_resolve_cgroup(&daemon->config, &daemon->host, proc_self_cgroup, true,
	                           &daemon->cgroup_driver, &daemon->cgroup_root, err);
}

#define SHIM_TIMEOUT_MS 10000
/* How long a stop waits for its last answers to go out (a client that does not read them
 * does not hold the stop) */
#define HTTP_DRAIN_USEC (2 * 1000000ULL)

static void plan_config_for_pods(void *userdata, const char *uid, uint32_t userns_base,
                                 struct plan_config *out);

/* The node's first non-loopback IPv4 address, as the kubelet reports hostIP; never the pod
 * network's bridge's (bridge), which is the pods' way to the node, not the node's address. */
static char *host_ip(const char *bridge)
{
	struct ifaddrs *list = NULL;
	char buf[INET_ADDRSTRLEN];
	char *ip = NULL;

	if (getifaddrs(&list) < 0)
		return NULL;
	for (struct ifaddrs *a = list; a && !ip; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
		    !(a->ifa_flags & IFF_LOOPBACK) && strcmp(a->ifa_name, bridge) != 0 &&
		    inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, buf,
		              sizeof(buf)))
			ip = strdup(buf);
	freeifaddrs(list);
	return ip;
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

/* How long the daemon waits for a shim's answer (it answers local requests at once) before the
 * request's pod gets a Warning event and tries again: 10 s, or NANOLET_SHIM_TIMEOUT_MS (a test
 * knob: how long a stopped shim is waited for). Nothing waits for it: each request is an io
 * source with a timer of its own. */
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
	return (uint64_t)SHIM_TIMEOUT_MS * 1000;
}

/* The content store under <state_dir>/images and the puller, with the config's registries, auth
 * file and timeout. Before the pods: their restore resolves their images from the store. */
static int open_images(struct nanoletd *daemon, struct nano_err *err)
{
	const struct nano_config *config = &daemon->config;
	_cleanup_free_ char *dir = strdupf("%s/images", config->state_dir);
	struct image_puller_config puller;
	int r;

	if (!dir)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (config->image_gc_low_threshold > config->image_gc_high_threshold)
		return nano_err_set(
		        err, EINVAL,
		        "image_gc_low_threshold_percent (%" PRId64
		        ") must not be above image_gc_high_threshold_percent (%" PRId64 ")",
		        config->image_gc_low_threshold, config->image_gc_high_threshold);
	r = image_store_open(dir, &daemon->images, err);
	if (r < 0)
		return r;
	daemon->puller_registries =
	        calloc(config->n_registries + 1, sizeof(*daemon->puller_registries));
	if (!daemon->puller_registries)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < config->n_registries; i++)
		daemon->puller_registries[i] = (struct image_registry_config){
		        .domain = config->registries[i].domain,
		        .mirrors = config->registries[i].mirrors,
		        .insecure = config->registries[i].insecure,
		};
	puller = (struct image_puller_config){
	        .registries = daemon->puller_registries,
	        .n_registries = config->n_registries,
	        .auth_file = config->registry_auth_file,
	        .timeout_s = config->image_pull_timeout > 0 ? config->image_pull_timeout : 60,
	};
	r = image_puller_new(daemon->event, daemon->images, &puller, &daemon->puller, err);
	if (r < 0)
		return r;
	return image_gc_new(daemon, &daemon->image_gc, err);
}

/* The pod manager on this daemon's loop, directories and settings, with the real shim and
 * clock. */
static int open_pods(struct nanoletd *daemon, struct nano_err *err)
{
	const struct nano_config *config = &daemon->config;
	struct pods_options options;

	daemon->shim_path = shim_path(config);
	daemon->host_ip = host_ip(config->network.bridge);
	daemon->network = (struct net_config){.bridge = config->network.bridge,
	                                      .cidr = config->network.cidr,
	                                      .mtu = (unsigned)config->network.mtu,
	                                      .masquerade = config->network.masquerade};
	daemon->cgroup_root_dir = nanoletd_cgroup_root_dir(daemon);
	if (gethostname(daemon->hostname, sizeof(daemon->hostname) - 1) < 0)
		strcpy(daemon->hostname, "localhost");
	if (!daemon->shim_path || !daemon->cgroup_root_dir ||
	    pod_shim_client_new(daemon->event, daemon->shim_path, &daemon->shim_client) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	options = (struct pods_options){
	        .event = daemon->event,
	        .state_dir = config->state_dir,
	        .run_dir = config->run_dir,
	        .log_dir = config->log_dir,
	        .sup = {config->crashloop_backoff_initial, config->crashloop_backoff_max,
	                config->crashloop_backoff_reset, 10},
	        .max_pods = config->max_pods,
	        .event_ttl = config->event_ttl,
	        .cpu_throttling_interval = config->cpu_throttling_interval,
	        .cpu_throttling_threshold = config->cpu_throttling_threshold,
	        .container_log_max_size = config->container_log_max_size,
	        .container_log_max_files = config->container_log_max_files,
	        .cgroup = {.mount = CGROUP_MOUNT,
	                   .host = daemon->host,
	                   .driver = daemon->cgroup_driver == CONFIG_CGROUP_V2 ? PLAN_CGROUP_V2
	                                                                       : PLAN_CGROUP_V1,
	                   .roots = daemon->hierarchies.v,
	                   .n_roots = daemon->hierarchies.n,
	                   .proc_self_cgroup = daemon->proc_self_cgroup,
	                   .self_leaf = "daemon"},
	        .cgroup_root_dir = daemon->cgroup_root_dir,
	        .plan_config = plan_config_for_pods,
	        .plan_userdata = daemon,
	        .hostname = daemon->hostname,
	        .host_ip = daemon->host_ip,
	        .boot_id_path = "/proc/sys/kernel/random/boot_id",
	        .shim = &pod_shim_real,
	        .shim_ctx = daemon->shim_client,
	        .shim_timeout_usec = shim_timeout_usec(),
	        .clock = &pod_clock_event,
	        .clock_ctx = daemon->event,
	        .checks = &pod_checks_real,
	        .watches = daemon->fs_watches,
	        .fd_budget = daemon->pods_fd_budget,
	        .watch_history = (size_t)config->watch_history,
	        .oom_log = daemon->oom_log,
	        .network = config->network.none ? NULL : &daemon->network,
	        .images = daemon->images,
	        .puller = daemon->puller,
	        .image_pull_backoff = {config->image_pull_backoff_initial,
	                               config->image_pull_backoff_max},
	        .dns = {.resolv_conf = config->resolv_conf,
	                .cluster_dns = config->cluster_dns,
	                .cluster_domain = config->cluster_domain},
	};
	return pods_open(&options, &daemon->pods, err);
}

static int on_kernel_log(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct nanoletd *daemon = userdata;
	int r = cgroup_oom_log_read(daemon->oom_log);

	(void)fd;
	(void)revents;
	if (r < 0 && r != -ENOMEM) {
		/* not to be woken for it again and again: the pods still read it when they judge */
		log_warn("%s: %s: no longer read as it is written", KMSG_PATH, strerror(-r));
		sd_event_source_set_enabled(source, SD_EVENT_OFF);
	}
	return 0;
}

/* The OOM killer's victims for the pods (pods_options.oom_log): the kernel log, from the
 * oldest record its ring buffer still holds (a kill while no daemon ran can still be named),
 * then on the loop as the kernel writes, so that the ring buffer turning over between kills
 * loses none. Before the pods: their restore reads the exits of runs ended meanwhile. Not
 * readable (not root, a container without CAP_SYSLOG): OOM messages name the limit alone.
 * NANOLET_KMSG (a test knob) reads another path: one that is not a kernel log stands for a
 * host where it cannot be read. */
static void open_kernel_log(struct nanoletd *daemon)
{
	const char *path = getenv("NANOLET_KMSG");
	int fd, r;

	if (!path || !*path)
		path = KMSG_PATH;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_info("%s: %s: an OOM kill will name the limit, not the process it ended", path,
		         strerror(errno));
		return;
	}
	r = cgroup_oom_log_new(fd, &daemon->oom_log);
	if (r < 0) {
		log_info("%s: %s: an OOM kill will name the limit, not the process it ended", path,
		         strerror(-r));
		return;
	}
	r = sd_event_add_io(daemon->event, &daemon->oom_log_source,
	                    cgroup_oom_log_fd(daemon->oom_log), EPOLLIN, on_kernel_log, daemon);
	if (r < 0)
		log_warn("%s: watch: %s: read only when an OOM kill is judged", path, strerror(-r));
}

static char *read_text(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;
	FILE *mem;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	mem = open_memstream(&text, &size);
	if (!mem)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(mem);
	return text;
}

static int on_signal(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
	struct nanoletd *daemon = userdata;

	log_info("received %s, stopping", strsignal((int)si->ssi_signo));
	(void)sd_notify(0, "STOPPING=1");
	return sd_event_exit(daemon->event ? daemon->event : sd_event_source_get_event(source), 0);
}

/* A post source runs after every other source the loop dispatched; at the highest priority it
 * runs right after it, so a batch holds one event's writes and its answers wait no longer. */
static int on_store_flush(sd_event_source *source, void *userdata)
{
	struct nanoletd *daemon = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	(void)source;
	if (store_flush(pods_store(daemon->pods), &err) < 0)
		log_error("store: %s", err.message);
	return 0;
}

static int batch_store(struct nanoletd *daemon, struct nano_err *err)
{
	int r;

	r = sd_event_add_post(daemon->event, &daemon->store_flush, on_store_flush, daemon);
	if (r >= 0)
		r = sd_event_source_set_priority(daemon->store_flush, SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0)
		return nano_err_set(err, -r, "event loop: %s", strerror(-r));
	/* pods_open's restore wrote outside the loop, each write committed on its own */
	return store_batch(pods_store(daemon->pods), true, err);
}

static int make_dirs(const struct nano_config *config, struct nano_err *err)
{
	const char *const dirs[] = {config->state_dir, config->run_dir, config->log_dir};

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		int r = mkdir_p(dirs[i], 0755);

		if (r < 0)
			return nano_err_set(err, -r, "create %s: %s", dirs[i], strerror(-r));
	}
	return 0;
}

/* How long a lock whose holder is not a live daemon is tried again: the child of a daemon
 * killed a moment ago holds it until it runs its first lines (close_range, or exec). */
#define LOCK_RETRY_MSEC      3000
#define LOCK_RETRY_STEP_MSEC 20

/* Whether the lock file names a process that lives: then that daemon holds the lock. */
static bool lock_holder_lives(const char *pid)
{
	int n = atoi(pid);

	return n > 0 && (kill(n, 0) == 0 || errno == EPERM);
}

/* One nanoletd per state, run and log directory and per cgroup root: a second one would take
 * the first one's pods for orphans (no record of them in its database) and remove them. Each
 * lock is an flock held until the daemon exits, however it exits; O_CLOEXEC keeps it out of the
 * shims, which outlive the daemon. A directory's lock is its nanoletd.lock, which holds the pid;
 * the cgroup root's is the directory itself, in the first hierarchy (unified, or memory).
 * An flock is shared with the children a fork makes, and a daemon killed between forking one
 * (a shim's start) and its close_range or exec leaves it held for that moment, by a process
 * that is not the daemon: a lock held while the pid it names is gone (or with no pid: the
 * cgroup root's) is tried again for LOCK_RETRY_MSEC before it is called taken. A live holder
 * is answered at once. */
static int lock_path(const char *path, bool dir, const char *what, const char *where,
                     struct nano_err *err)
{
	_cleanup_close_ int fd = -1;
	char pid[32] = "";

	if (dir)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return nano_err_set(err, errno, "open %s: %m", path);
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += LOCK_RETRY_STEP_MSEC) {
		int e = errno;
		ssize_t n = dir ? 0 : pread(fd, pid, sizeof(pid) - 1, 0);

		if (e != EWOULDBLOCK)
			return nano_err_set(err, e, "lock %s: %s", path, strerror(e));
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (waited < LOCK_RETRY_MSEC && !lock_holder_lives(pid)) {
			if (waited == 0)
				log_info("%s is held, by no live nanoletd: waiting for it", path);
			(void)nanosleep(&(struct timespec){0, LOCK_RETRY_STEP_MSEC * 1000000L},
			                NULL);
			continue;
		}
		return nano_err_set(
		        err, EBUSY,
		        "another nanoletd%s%s%s uses %s %s: stop it, or give this one its "
		        "own",
		        *pid ? " (pid " : "", pid, *pid ? ")" : "", what, where);
	}
	if (!dir) {
		int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

		if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
			return nano_err_set(err, errno ? errno : EIO, "write %s: %m", path);
	}
	return TAKE_FD(fd);
}

static int take_locks(struct nanoletd *daemon, struct nano_err *err)
{
	const struct nano_config *c = &daemon->config;
	const char *const dirs[] = {c->state_dir, c->run_dir, c->log_dir};
	const char *const whats[] = {"the state directory", "the run directory",
	                             "the log directory"};
	_cleanup_free_ char *root = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *path = strdupf("%s/nanoletd.lock", dirs[i]);

		if (!path)
			return nano_err_set(err, ENOMEM, "out of memory");
		r = lock_path(path, false, whats[i], dirs[i], err);
		if (r < 0)
			return r;
		daemon->lock_fds[i] = r;
	}
	root = nanoletd_cgroup_root_dir(daemon);
	if (!root)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = mkdir_p(root, 0755);
	if (r < 0)
		return nano_err_set(err, -r, "create %s: %s", root, strerror(-r));
	r = lock_path(root, true, "the cgroup root (--cgroup-root)", root, err);
	if (r < 0)
		return r;
	daemon->lock_fds[ELEMENTSOF(dirs)] = r;
	return 0;
}

static int setup_signals(struct nanoletd *daemon, struct nano_err *err)
{
	sigset_t mask;
	int r;

	/* sd-event (252) reads signals from a signalfd: they must be blocked first. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return nano_err_set(err, errno, "sigprocmask: %s", strerror(errno));
	/* A client that hangs up mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_add_signal(daemon->event, NULL, SIGTERM, on_signal, daemon);
	if (r >= 0)
		r = sd_event_add_signal(daemon->event, NULL, SIGINT, on_signal, daemon);
	if (r < 0)
		return nano_err_set(err, -r, "signal sources: %s", strerror(-r));
	return 0;
}

static void http_options_of(const struct nano_config *c, struct http_options *o)
{
	*o = (struct http_options){
	        .max_request_bytes = (size_t)c->max_request_bytes,
	        .max_connections = (size_t)c->max_connections,
	        .idle_timeout = (unsigned)c->http_idle_timeout,
	        .header_timeout = (unsigned)c->http_header_timeout,
	        .max_url_bytes = (size_t)c->max_url_bytes,
	        .max_header_bytes = (size_t)c->max_header_bytes,
	        .max_header_count = (size_t)c->max_header_count,
	        .max_warning_bytes = (size_t)c->max_warning_bytes,
	        .stream_buffer_bytes = (size_t)c->stream_buffer_bytes,
	};
}

/* api_write_groups and api_read_groups to gids; a group that does not exist is skipped (the
 * default "nanolet" need not). */
static int resolve_groups(struct nanoletd *daemon, struct nano_err *err)
{
	char **lists[] = {daemon->config.api_write_groups, daemon->config.api_read_groups};
	size_t counts[2] = {0, 0}, total = strv_len(lists[0]) + strv_len(lists[1]), n = 0;

	daemon->access = (struct access_policy){.daemon_uid = geteuid()};
	daemon->access_gids = calloc(total + 1, sizeof(gid_t));
	if (!daemon->access_gids)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t l = 0; l < ELEMENTSOF(lists); l++)
		for (char **g = lists[l]; g && *g; g++) {
			struct group *gr = getgrnam(*g);

			if (!gr) {
				log_info("api_%s_groups: no group %s", l == 0 ? "write" : "read",
				         *g);
				continue;
			}
			daemon->access_gids[n++] = gr->gr_gid;
			counts[l]++;
		}
	daemon->access.write_gids = daemon->access_gids;
	daemon->access.n_write_gids = counts[0];
	daemon->access.read_gids = daemon->access_gids + counts[0];
	daemon->access.n_read_gids = counts[1];
	return 0;
}

/* The daemon's own descriptors: the store, the sockets, the loop's, the journal, the inotify
 * instance, the signals, the locks. */
#define DAEMON_FDS 64

/* Every connection, pod and log reader holds descriptors: the soft limit (often 1024) goes up
 * to the hard one, which is what it is for; then it is split once. The daemon keeps its own
 * and one per log follow (the file; its connection is a connection), at most a quarter;
 * connections get what max_connections wants, at most half of the rest; pods get what is
 * left. A short limit shrinks every share, none to nothing. The shims, and so the containers,
 * get the limit the daemon was given, not the raised one. */
static void split_nofile(struct nanoletd *daemon)
{
	struct rlimit nofile;
	size_t limit, own, rest, http;
	enum plan_cgroup_driver driver =
	        daemon->cgroup_driver == CONFIG_CGROUP_V2 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1;

	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return;
	runtime_shim_nofile(&nofile); /* the containers get the limit we were given */
	if (nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
			log_warn("raise RLIMIT_NOFILE to %llu: %s",
			         (unsigned long long)nofile.rlim_max, strerror(errno));
		(void)getrlimit(RLIMIT_NOFILE, &nofile);
	}
	limit = nofile.rlim_cur == RLIM_INFINITY || nofile.rlim_cur > SIZE_MAX / 2
	                ? SIZE_MAX / 2
	                : (size_t)nofile.rlim_cur;
	own = DAEMON_FDS + (size_t)daemon->config.max_log_follows;
	if (own > limit / 4)
		own = limit / 4;
	rest = limit - own;
	http = http_fds_wanted((size_t)daemon->config.max_connections);
	if (http > rest / 2)
		http = rest / 2;
	daemon->http_fd_budget = http > 0 ? http : 1;
	daemon->pods_fd_budget = rest > http ? rest - http : 1;
	log_info("file descriptors: RLIMIT_NOFILE %zu: %zu the daemon's and its log follows', %zu "
	         "connections', %zu pods' (%zu pods of one container)",
	         limit, own, http, daemon->pods_fd_budget,
	         daemon->pods_fd_budget / pods_fd_cost(1, driver));
	if ((int64_t)(daemon->pods_fd_budget / pods_fd_cost(1, driver)) < daemon->config.max_pods)
		log_warn(
		        "RLIMIT_NOFILE %zu leaves descriptors for %zu pods of one container, fewer "
		        "than max_pods %" PRId64 ": raise LimitNOFILE= (or ulimit -n)",
		        limit, daemon->pods_fd_budget / pods_fd_cost(1, driver),
		        daemon->config.max_pods);
}

/* The TLS listener, when listen is set: its certificates and tokens (made at the first start),
 * its socket, and a second HTTP server with the same options and TLS, whose handler
 * authenticates by bearer token. The connection budget is the unix socket's, shared. */
static int start_tls(struct nanoletd *daemon, const struct http_options *plain,
                     struct nano_err *err)
{
	struct http_options options = *plain;
	struct config_listen listen;
	struct http_handler handler;
	struct pki_pair serving = {0};
	int fd, r;

	if (!daemon->config.listen)
		return 0;
	if (config_listen_parse(daemon->config.listen, &listen) < 0)
		return nano_err_set(err, EINVAL, "listen %s: not an address and port",
		                    daemon->config.listen);
	r = tls_files_load(daemon->config.state_dir, daemon->hostname, &listen, &serving,
	                   &daemon->tokens, err);
	if (r < 0)
		return r;
	fd = socket_listen_tcp(&listen, err);
	if (fd < 0) {
		pki_pair_done(&serving);
		return fd;
	}
	options.tls_cert_pem = serving.cert;
	options.tls_key_pem = serving.key;
	handler = routes_handler_tls(daemon);
	r = http_server_new(daemon->event, fd, &options, &handler, &daemon->https, err);
	explicit_bzero(serving.key, strlen(serving.key));
	pki_pair_done(&serving);
	if (r < 0)
		return nano_err_wrap(err, "listen %s", daemon->config.listen);
	log_info("serving HTTPS on %s (certificates in %s/pki, tokens in %s/tokens)",
	         daemon->config.listen, daemon->config.state_dir, daemon->config.state_dir);
	return 0;
}

int nanoletd_start(struct nanoletd *daemon, struct nano_err *err)
{
	struct http_options http_options;
	struct http_handler handler;
	int fd, r;

	r = make_dirs(&daemon->config, err);
	if (r < 0)
		return r;

	r = cgroup_detect(CGROUP_MOUNT, &daemon->host, err);
	if (r < 0)
		return nano_err_wrap(err, "detect cgroup layout");
	/* The one reading of where we are, and the one resolution of the roots from it: the
	 * daemon may be moved later (v2: into daemon/ by the driver), its pods stay put. */
	daemon->proc_self_cgroup = read_text("/proc/self/cgroup");
	if (!daemon->proc_self_cgroup)
		return nano_err_set(err, errno ? errno : EIO, "read /proc/self/cgroup: %s",
		                    strerror(errno ? errno : EIO));
	r = nanoletd_resolve_cgroup(daemon, daemon->proc_self_cgroup, err);
	if (r < 0)
		return r;
	r = node_hierarchies(&daemon->config, &daemon->host, daemon->cgroup_driver,
	                     daemon->proc_self_cgroup, &daemon->hierarchies);
	if (r < 0)
		return nano_err_set(err, -r, "out of memory");
	r = take_locks(daemon, err);
	if (r < 0)
		return r;

	r = sd_event_new(&daemon->event);
	if (r < 0)
		return nano_err_set(err, -r, "event loop: %s", strerror(-r));
	r = setup_signals(daemon, err);
	if (r < 0)
		return r;

	r = resolve_groups(daemon, err);
	if (r < 0)
		return r;
	r = audit_log_open(daemon->config.log_dir, daemon->config.audit_log_max_size,
	                   daemon->config.audit_log_max_files, &daemon->audit, err);
	if (r < 0)
		return r;

	split_nofile(daemon); /* once the driver is known: a pod's cost depends on it */
	r = fs_watches_new(daemon->event, &daemon->fs_watches, err);
	if (r < 0)
		return r;
	open_kernel_log(daemon);
	r = open_images(daemon, err);
	if (r < 0)
		return r;
	r = open_pods(daemon, err);
	if (r < 0)
		return r;
	r = api_nodes_open(daemon, err);
	if (r >= 0)
		r = api_namespaces_open(daemon, err);
	if (r < 0)
		return r;
	{
		/* a first reading of the node's CPU, so that a rate is there from a second on */
		struct api_stats_node first;

		(void)api_stats_node_read(daemon, &first, NULL);
	}
	r = batch_store(daemon, err);
	if (r < 0)
		return r;

	/* a read group must be able to connect: peer credentials decide from there */
	fd = socket_listen_unix(daemon->config.socket, daemon->access.n_read_gids > 0,
	                        &daemon->socket_activated, &daemon->socket_created, err);
	if (fd < 0)
		return fd;
	http_options_of(&daemon->config, &http_options);
	http_options.fd_budget = daemon->http_fd_budget;
	handler = routes_handler(daemon);
	r = http_server_new(daemon->event, fd, &http_options, &handler, &daemon->http, err);
	if (r < 0)
		return r;

	r = start_tls(daemon, &http_options, err);
	if (r < 0)
		return r;

	log_info("serving on %s%s; cgroup driver %s (host %s), root %s", daemon->config.socket,
	         daemon->socket_activated ? " (socket activation)" : "",
	         config_cgroup_driver_name(daemon->cgroup_driver),
	         cgroup_mode_name(daemon->host.mode), daemon->cgroup_root);
	(void)sd_notifyf(0, "READY=1\nSTATUS=Serving on %s", daemon->config.socket);
	return 0;
}

int nanoletd_run(struct nanoletd *daemon)
{
	return sd_event_loop(daemon->event);
}

void nanoletd_done(struct nanoletd *daemon)
{
	if (!daemon)
		return;
	/* what the last iteration wrote is committed, and answered, while its pods exist */
	if (daemon->pods)
		(void)store_flush(pods_store(daemon->pods), NULL);
	daemon->store_flush = sd_event_source_disable_unref(daemon->store_flush);
	/* execs first (their processes killed, their connections closed: MHD must not stop
	 * with an upgraded connection open), then pods: a delete still waiting for its answer
	 * is answered before HTTP goes */
	api_exec_ws_close_all(daemon);
	api_watch_close_all(daemon);  /* they follow the pods' ring of changes */
	api_images_close_all(daemon); /* their pulls and jobs: before the puller and HTTP */
	daemon->pods = pods_free(daemon->pods);
	/* after the pods (their pulls are cancelled with them), before the loop */
	daemon->image_gc = image_gc_free(daemon->image_gc);
	daemon->puller = image_puller_free(daemon->puller);
	if (daemon->image_jobs) /* a job on a thread still holds the store */
		log_warn("images: %zu jobs still running at exit: the store is left open",
		         daemon->image_jobs);
	else
		daemon->images = image_store_close(daemon->images);
	free(daemon->puller_registries);
	daemon->puller_registries = NULL;
	daemon->oom_log_source = sd_event_source_disable_unref(daemon->oom_log_source);
	daemon->oom_log = cgroup_oom_log_free(daemon->oom_log);
	daemon->shim_client = pod_shim_client_free(daemon->shim_client);
	free(daemon->shim_path);
	free(daemon->host_ip);
	free(daemon->cgroup_root_dir);
	daemon->shim_path = daemon->host_ip = daemon->cgroup_root_dir = NULL;
	/* the answers the stop made (above: 503 to a create or delete still waiting) go out */
	http_server_drain(daemon->http, HTTP_DRAIN_USEC);
	http_server_drain(daemon->https, HTTP_DRAIN_USEC);
	daemon->http = http_server_free(daemon->http);
	daemon->openapi = api_openapi_free(daemon->openapi);
	daemon->https = http_server_free(daemon->https);
	tokens_done(&daemon->tokens);
	/* after the pods and HTTP: freeing them, and closing the follows' connections, removed
	 * their watches */
	daemon->fs_watches = fs_watches_free(daemon->fs_watches);
	/* Only a socket we bound: a socket-activated one belongs to systemd's .socket unit. */
	if (daemon->socket_created && daemon->config.socket)
		(void)unlink(daemon->config.socket);
	daemon->socket_created = false;
	daemon->event = sd_event_unref(daemon->event);
	daemon->audit = audit_log_free(daemon->audit);
	free(daemon->access_gids);
	daemon->access_gids = NULL;
	free(daemon->cgroup_root);
	daemon->cgroup_root = NULL;
	node_hierarchies_done(&daemon->hierarchies);
	free(daemon->proc_self_cgroup);
	daemon->proc_self_cgroup = NULL;
	for (size_t i = 0; i < ELEMENTSOF(daemon->lock_fds); i++)
		if (daemon->lock_fds[i] > 0)
			daemon->lock_fds[i] = (close(daemon->lock_fds[i]), 0);
	config_done(&daemon->config);
}

void nanoletd_plan_config(const struct nanoletd *d, const char *uid, uint32_t userns_base,
                          struct plan_config *out)
{
	node_plan_config(&d->config, d->cgroup_driver, d->cgroup_root, &d->hierarchies, uid,
	                 userns_base, out);
}

char *nanoletd_cgroup_root_dir(const struct nanoletd *d)
{
	return strdupf("%s%s%s", CGROUP_MOUNT,
	               d->cgroup_driver == CONFIG_CGROUP_V2 ? "" : "/memory",
	               strcmp(d->cgroup_root, "/") == 0 ? "" : d->cgroup_root);
}

static void plan_config_for_pods(void *userdata, const char *uid, uint32_t userns_base,
                                 struct plan_config *out)
{
	nanoletd_plan_config(userdata, uid, userns_base, out);
}
