/* daemon/nanoletd.c: the daemon's life cycle. Start acts on the read config in an order where
 * each step can still fail cleanly: directories, the host's cgroup layout and our root in it,
 * the event loop and its signals, the socket, the HTTP server, and only then READY=1. Run is
 * the one sd-event loop; SIGTERM/SIGINT end it. Nothing is created in cgroupfs here: the cgroup
 * driver does that when the first pod needs it. */
#include "nanoletd.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <systemd/sd-daemon.h>

#include "dir_watch.h"
#include "http.h"
#include "pods.h"
#include "routes.h"
#include "socket.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"

int nanoletd_resolve_cgroup(struct nanoletd *daemon, const char *proc_self_cgroup,
                            struct nano_err *err)
{
	enum config_cgroup_driver driver = daemon->config.cgroup_driver;
	bool unified = daemon->host.mode == CGROUP_MODE_UNIFIED;
	const char *mode = cgroup_mode_name(daemon->host.mode);
	_cleanup_free_ char *own = NULL;
	int r = 0;

	if (driver == CONFIG_CGROUP_AUTO)
		driver = unified ? CONFIG_CGROUP_V2 : CONFIG_CGROUP_V1;
	if (driver == CONFIG_CGROUP_V2 && !unified)
		return nano_err_set(
		        err, EINVAL,
		        "cgroup_driver v2 needs the unified hierarchy (cgroup2 mounted at "
		        "%s), but this host is %s: use cgroup_driver v1 or auto",
		        CGROUP_MOUNT, mode);
	if (driver == CONFIG_CGROUP_V1 && unified)
		return nano_err_set(
		        err, EINVAL,
		        "cgroup_driver v1 needs v1 controller hierarchies, but this host "
		        "is unified (cgroup2 only): use cgroup_driver v2 or auto");
	daemon->cgroup_driver = driver;

	free(daemon->cgroup_root);
	daemon->cgroup_root = NULL;
	if (daemon->config.cgroup_root) {
		daemon->cgroup_root = strdup(daemon->config.cgroup_root);
		return daemon->cgroup_root ? 0 : nano_err_set(err, ENOMEM, "out of memory");
	}
	/* v1: the memory hierarchy is the one whose accounting must keep seeing the pods (on the
	 * development machines it places each session under /process_api/<id>). */
	own = cgroup_path_from_proc(proc_self_cgroup ? proc_self_cgroup : "",
	                            driver == CONFIG_CGROUP_V2 ? NULL : "memory", &r);
	if (!own)
		return nano_err_set(err, r == -ENOMEM ? ENOMEM : ENOENT,
		                    "/proc/self/cgroup has no %s entry: set cgroup_root",
		                    driver == CONFIG_CGROUP_V2 ? "unified (0::)"
		                                               : "memory controller");
	daemon->cgroup_root =
	        strdupf("%s%snanolet", own, own[0] && own[strlen(own) - 1] == '/' ? "" : "/");
	return daemon->cgroup_root ? 0 : nano_err_set(err, ENOMEM, "out of memory");
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

/* Every connection, pod and log reader holds descriptors: the soft limit (often 1024) goes up
 * to the hard one, which is what it is for. */
static void raise_nofile(void)
{
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0 || nofile.rlim_cur >= nofile.rlim_max)
		return;
	nofile.rlim_cur = nofile.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		log_warn("raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)nofile.rlim_max,
		         strerror(errno));
}

int nanoletd_start(struct nanoletd *daemon, struct nano_err *err)
{
	_cleanup_free_ char *proc_cgroup = NULL;
	struct http_options http_options;
	struct http_handler handler;
	int fd, r;

	raise_nofile();

	r = make_dirs(&daemon->config, err);
	if (r < 0)
		return r;

	r = cgroup_detect(CGROUP_MOUNT, &daemon->host, err);
	if (r < 0)
		return nano_err_wrap(err, "detect cgroup layout");
	proc_cgroup = read_text("/proc/self/cgroup");
	if (!proc_cgroup)
		return nano_err_set(err, errno ? errno : EIO, "read /proc/self/cgroup: %s",
		                    strerror(errno ? errno : EIO));
	r = nanoletd_resolve_cgroup(daemon, proc_cgroup, err);
	if (r < 0)
		return r;

	r = sd_event_new(&daemon->event);
	if (r < 0)
		return nano_err_set(err, -r, "event loop: %s", strerror(-r));
	r = setup_signals(daemon, err);
	if (r < 0)
		return r;

	r = dir_watches_new(daemon->event, &daemon->log_watches, err);
	if (r < 0)
		return r;
	r = pods_open(daemon, &daemon->pods, err);
	if (r < 0)
		return r;

	fd = socket_listen_unix(daemon->config.socket, &daemon->socket_activated,
	                        &daemon->socket_created, err);
	if (fd < 0)
		return fd;
	http_options_of(&daemon->config, &http_options);
	handler = routes_handler(daemon);
	r = http_server_new(daemon->event, fd, &http_options, &handler, &daemon->http, err);
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
	/* pods first: a delete still waiting for its answer is answered before HTTP goes */
	daemon->pods = pods_free(daemon->pods);
	daemon->http = http_server_free(daemon->http);
	/* after HTTP: closing the follows' connections removed their watches */
	daemon->log_watches = dir_watches_free(daemon->log_watches);
	/* Only a socket we bound: a socket-activated one belongs to systemd's .socket unit. */
	if (daemon->socket_created && daemon->config.socket)
		(void)unlink(daemon->config.socket);
	daemon->socket_created = false;
	daemon->event = sd_event_unref(daemon->event);
	free(daemon->cgroup_root);
	daemon->cgroup_root = NULL;
	config_done(&daemon->config);
}

void nanoletd_plan_config(const struct nanoletd *d, const char *cgroup_root, const char *uid,
                          struct plan_config *out)
{
	*out = (struct plan_config){
	        .cgroup_root = cgroup_root,
	        .driver = d->cgroup_driver == CONFIG_CGROUP_V2 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
	        .pod_pids_limit = d->config.pod_pids_limit,
	        .state_dir = d->config.state_dir,
	        .pod_uid = uid,
	        .run_dir = d->config.run_dir,
	        .log_dir = d->config.log_dir,
	        .socket = d->config.socket,
	        .seccomp_default_unconfined = d->config.seccomp_default_unconfined,
	        .seccomp_profile_root = d->config.seccomp_profile_root,
	};
}
