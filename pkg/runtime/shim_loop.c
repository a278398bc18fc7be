/* pkg/runtime/shim_loop.c: the shim proper, process P1 — one epoll loop, no threads.
 *
 * Set-up (reported to P0 over the ready pipe): subreaper unless PID 1, lo up in a pod network
 * namespace, the pod's sysctls (before any container can see the defaults), the pod's hostname in
 * its uts namespace, <run dir>/hostname, hosts and resolv.conf for the containers,
 * <run dir>/exits/, the control socket <run dir>/shim.sock. Then the loop serves:
 *   - the control socket: one request message, one reply message (runtime.h has the protocol)
 *   - a signalfd: SIGCHLD reaps every child (P1 is PID 1 or a subreaper) and records the exits
 *     of containers' main processes; SIGTERM/SIGINT stop the pod (SIGTERM to every running
 *     container, then exit as after `shutdown`)
 *   - the containers' stdout/stderr pipes, handed to the relay
 *   - an exec: a helper is forked (shim_exec.c), which takes the request's connection; the
 *     loop reaps it as any other child
 * It must not block: every fd is non-blocking except the StartError pipe of a container being
 * started, which answers as soon as the child has exec'd or failed.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "dns/dns.h"
#include "logs/logs.h"
#include "runtime.h"
#include "shim.h"

/* the longest request: an exec's argv (runtime.h) */
#define MAX_REQUEST (RUNTIME_EXEC_MAX_BYTES + 64)
#define MAX_FDS     3

struct conn {
	struct shim_source source;
	struct conn *next;
};

struct loop {
	struct shim_config *config;
	int epfd;
	struct shim_source listen, signal;
	struct shim_run *runs; /* newest first: the first run of a name is its current one */
	struct conn *conns;
	bool shutting_down;
	pid_t host_pid;
	char *sock_path;
};

/* ---- set-up ------------------------------------------------------------------------------- */

static int watch(struct loop *l, struct shim_source *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0 ? -errno : 0;
}

static void unwatch(struct loop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int write_run_file(const struct loop *l, const char *name, const char *content)
{
	_cleanup_free_ char *path = strdupf("%s/%s", l->config->run_dir, name);

	return path ? shim_write_atomic(path, content, 0644) : -ENOMEM;
}

/* The kubelet's files for every container: hostname, hosts (pkg/dns: the managed one with the
 * pod's address, or a hostNetwork pod's the node's /etc/hosts with the aliases) and the
 * resolv.conf the daemon made. A hostNetwork pod is in the node's uts namespace: its hostname
 * is the node's, as containerd writes it for a sandbox without one. */
static int setup_names(struct loop *l, struct nano_err *err)
{
	const struct shim_config *c = l->config;
	_cleanup_free_ char *hostname = NULL, *hosts = NULL, *node_hosts = NULL, *resolv = NULL;
	char node_name[HOST_NAME_MAX + 1] = "";
	int r;

	if (c->hostname) {
		if ((c->clone_flags & CLONE_NEWUTS) &&
		    sethostname(c->hostname, strlen(c->hostname)) < 0)
			return nano_err_set(err, errno, "sethostname %s: %m", c->hostname);
		hostname = strdupf("%s\n", c->hostname);
		hosts = dns_hosts_managed(c->pod_ip, c->hostname, c->host_domain, c->host_aliases,
		                          c->n_host_aliases);
	} else {
		if (gethostname(node_name, sizeof(node_name) - 1) < 0)
			return nano_err_set(err, errno, "gethostname: %m");
		r = util_read_file_at(AT_FDCWD, "/etc/hosts", &node_hosts);
		if (r < 0)
			return nano_err_set(err, -r, "read the node's /etc/hosts: %s",
			                    strerror(-r));
		hostname = strdupf("%s\n", node_name);
		hosts = dns_hosts_host_network(node_hosts, c->host_aliases, c->n_host_aliases);
	}
	resolv = strdupf("%s/resolv.conf", c->run_dir);
	if (!hostname || !hosts || !resolv)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = write_run_file(l, "hostname", hostname);
	if (r >= 0)
		r = write_run_file(l, "hosts", hosts);
	if (r >= 0 && c->resolv_conf)
		r = write_run_file(l, "resolv.conf", c->resolv_conf);
	else if (r >= 0 && unlink(resolv) < 0 && errno != ENOENT)
		r = -errno; /* an older sandbox's must not be bound */
	return r < 0 ? nano_err_set(err, -r, "write hostname, hosts or resolv.conf: %s",
	                            strerror(-r))
	             : 0;
}

static int setup_socket(struct loop *l, struct nano_err *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, r;

	l->sock_path = strdupf("%s/shim.sock", l->config->run_dir);
	if (!l->sock_path)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (strlen(l->sock_path) >= sizeof(addr.sun_path))
		return nano_err_set(err, ENAMETOOLONG, "%s: path too long for a socket",
		                    l->sock_path);
	strcpy(addr.sun_path, l->sock_path);
	unlink(l->sock_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nano_err_set(err, errno, "socket: %m");
	l->listen = (struct shim_source){.kind = SHIM_SOURCE_LISTEN, .fd = fd};
	old = umask(0177); /* the socket is 0600: only root talks to the shim */
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0)
		return nano_err_set(err, errno, "listen on %s: %m", l->sock_path);
	r = watch(l, &l->listen);
	return r < 0 ? nano_err_set(err, -r, "epoll: %s", strerror(-r)) : 0;
}

static int setup(struct loop *l, struct nano_err *err)
{
	_cleanup_free_ char *exits = strdupf("%s/exits", l->config->run_dir);
	_cleanup_free_ char *root = strdupf("%s/root", l->config->run_dir);
	char self[32] = "";
	sigset_t mask;
	int r;

	umask(022);
	/* PID 1 of the pod's pid namespace inherits orphans anyway; otherwise the containers'
	 * orphans (hostPID pods) come to the shim rather than to the host's init. */
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return nano_err_set(err, errno, "PR_SET_CHILD_SUBREAPER: %m");
	/* getpid() is the pod namespace's pid; /proc/self resolves in the host's /proc. */
	if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
		return nano_err_set(err, errno, "readlink /proc/self: %m");
	l->host_pid = atoi(self);
	if (l->config->clone_flags & CLONE_NEWNET) {
		r = shim_net_loopback_up(err);
		if (r < 0)
			return r;
	}
	r = shim_sysctls_write(l->config, err);
	if (r < 0)
		return r;
	r = setup_names(l, err);
	if (r < 0)
		return r;
	if (!exits || !root)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (mkdir(exits, 0700) < 0 && errno != EEXIST)
		return nano_err_set(err, errno, "mkdir %s: %m", exits);
	/* where a container on the host's root mounts its own root tmpfs (shim_child.c) */
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return nano_err_set(err, errno, "mkdir %s: %m", root);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return nano_err_set(err, errno, "sigprocmask: %m");
	l->signal = (struct shim_source){.kind = SHIM_SOURCE_SIGNAL,
	                                 .fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)};
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->signal.fd < 0 || l->epfd < 0)
		return nano_err_set(err, errno, "signalfd/epoll: %m");
	r = watch(l, &l->signal);
	if (r < 0)
		return nano_err_set(err, -r, "epoll: %s", strerror(-r));
	return setup_socket(l, err);
}

/* ---- runs and exits ----------------------------------------------------------------------- */

static struct shim_run *current_run(const struct loop *l, const char *name)
{
	for (struct shim_run *run = l->runs; run; run = run->next)
		if (strcmp(run->container->name, name) == 0)
			return run;
	return NULL;
}

static bool any_running(const struct loop *l)
{
	for (struct shim_run *run = l->runs; run; run = run->next)
		if (run->running)
			return true;
	return false;
}

static void close_log(struct loop *l, struct shim_run *run, enum shim_stream s)
{
	int fd = shim_relay_fd(run->relay, s);

	if (fd >= 0) {
		unwatch(l, fd);
		shim_relay_close_stream(run->relay, s);
	}
}

/* Frees runs that are over (exited, both pipes closed) and are not their name's current run,
 * so the state stays one entry per container. Called between batches of events only. */
static void prune(struct loop *l)
{
	for (struct shim_run **p = &l->runs; *p;) {
		struct shim_run *run = *p;

		if (!run->running && current_run(l, run->container->name) != run &&
		    shim_relay_fd(run->relay, SHIM_STDOUT) < 0 &&
		    shim_relay_fd(run->relay, SHIM_STDERR) < 0) {
			*p = run->next;
			shim_run_free(run);
		} else {
			p = &run->next;
		}
	}
}

static void record_exit(struct loop *l, struct shim_run *run, const siginfo_t *si)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_json_ json_t *o = NULL;
	char started[LOGS_TIMESTAMP_MAX], finished[LOGS_TIMESTAMP_MAX];
	bool signaled = si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED;
	struct timespec now;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	/* Whatever the process wrote before it died belongs in the log before its exit is
	 * told: the daemon may read the log as soon as it sees the exit. */
	shim_relay_drain(run->relay);
	run->running = false;
	run->pidfd = (close(run->pidfd), -1);
	/* What the container leaves behind dies with it, as an exec'd process must: without a
	 * pid namespace of its own (hostPID, a shared one) nothing else would end it. */
	shim_cgroup_kill(run->container);

	logs_format_timestamp(&run->started_at, started);
	logs_format_timestamp(&now, finished);
	o = json_pack("{s:s, s:I, s:i, s:i, s:i, s:s, s:s}", "name", run->container->name,
	              "restart", (json_int_t)run->restart, "pid", (int)run->host_pid, "exitCode",
	              signaled ? 128 + si->si_status : si->si_status, "signal",
	              signaled ? si->si_status : 0, "startedAt", started, "finishedAt", finished);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	path = strdupf("%s/exits/%s.%" PRId64 ".json", l->config->run_dir, run->container->name,
	               run->restart);
	r = text && path ? shim_write_atomic(path, text, 0600) : -ENOMEM;
	if (r < 0)
		fprintf(stderr, "nanolet-shim: record the exit of %s: %s\n", run->container->name,
		        strerror(-r));
}

static void reap_children(struct loop *l)
{
	for (;;) {
		siginfo_t si = {0};

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
			return;
		for (struct shim_run *run = l->runs; run; run = run->next)
			if (run->running && run->pid == si.si_pid) {
				record_exit(l, run, &si);
				break;
			}
		/* Anything else was an orphan of a container: reaped, nothing to tell. */
	}
}

static void stop_all(struct loop *l, int sig)
{
	for (struct shim_run *run = l->runs; run; run = run->next)
		if (run->running)
			pidfd_send_signal(run->pidfd, sig, NULL, 0);
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->signal.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap_children(l);
		} else {
			stop_all(l, SIGTERM);
			l->shutting_down = true;
		}
	}
}

/* ---- requests ----------------------------------------------------------------------------- */

static char *reply_error(int errnum, const char *message)
{
	return strdupf("error %d %s", errnum, message);
}

static char *do_start(struct loop *l, const char *name, long long restart)
{
	const struct shim_container *c = shim_config_container(l->config, name);
	struct shim_run *run = current_run(l, name), *started = NULL;
	struct nano_err err = {0};
	char *reply;

	if (!c)
		return strdupf("error %d no container %s in this pod", ENOENT, name);
	if (run && run->running)
		return strdupf("error %d container %s is running", EBUSY, name);
	/* A start that came late (its daemon stopped waiting, or restarted, and asked again):
	 * a run is made once, ended or not. Its daemon asks for the state, which names it. */
	if (run && run->restart >= restart)
		return strdupf("error %d run %lld of container %s was started already", EBUSY,
		               restart, name);
	if (l->shutting_down)
		return reply_error(ESHUTDOWN, "the shim is shutting down");
	if (c->root.kind == PLAN_ROOT_IMAGE && shim_config_refresh(l->config, name, &err) < 0) {
		reply = reply_error(err.errnum, err.message ? err.message : strerror(err.errnum));
		nano_err_clear(&err);
		return reply;
	}
	if (c->root.kind == PLAN_ROOT_IMAGE && !c->root.lowerdirs)
		return strdupf("error %d the image %s of container %s is not on the node yet",
		               ENOENT, c->root.path, name);
	if (!c->process.args[0])
		return strdupf("error %d no command specified: container %s has no command, "
		               "and its image no Entrypoint or Cmd",
		               EINVAL, name);
	if (shim_container_start(l->config, c, restart, &started, &err) < 0) {
		reply = reply_error(err.errnum, err.message ? err.message : strerror(err.errnum));
		nano_err_clear(&err);
		return reply;
	}
	started->next = l->runs;
	l->runs = started;
	for (int s = SHIM_STDOUT; s <= SHIM_STDERR; s++) {
		started->log_sources[s] = (struct shim_source){
		        .kind = SHIM_SOURCE_LOG,
		        .fd = shim_relay_fd(started->relay, s),
		        .run = started,
		        .stream = s,
		};
		if (watch(l, &started->log_sources[s]) < 0)
			fprintf(stderr, "nanolet-shim: epoll: %m\n");
	}
	return strdupf("ok %d", (int)started->host_pid);
}

static char *do_kill(struct loop *l, const char *name, int sig)
{
	struct shim_run *run = current_run(l, name);

	if (!run || !run->running)
		return strdupf("error %d container %s is not running", ESRCH, name);
	if (pidfd_send_signal(run->pidfd, (int)sig, NULL, 0) < 0)
		return strdupf("error %d kill %s: %s", errno, name, strerror(errno));
	return strdup("ok");
}

static char *do_state(struct loop *l)
{
	_cleanup_json_ json_t *o = json_pack("{s:i, s:[]}", "pid", (int)l->host_pid, "containers");
	json_t *a = json_object_get(o, "containers");

	for (size_t i = 0; a && i < l->config->n_containers; i++) {
		const char *name = l->config->containers[i].name;
		struct shim_run *run = current_run(l, name);

		if (run)
			json_array_append_new(a, json_pack("{s:s, s:i, s:I, s:b}", "name", name,
			                                   "pid", (int)run->host_pid, "restart",
			                                   (json_int_t)run->restart, "running",
			                                   run->running));
	}
	return o ? json_dumps(o, JSON_COMPACT) : NULL;
}

/* An exec: the helper takes the connection (NULL, nothing to send), or the reply. */
static char *do_exec(struct loop *l, struct conn *conn, const char *payload, const int *fds,
                     size_t n_fds, bool *handed_off)
{
	_cleanup_(runtime_exec_request_done) struct runtime_exec_request req = {0};
	struct nano_err err = {0};
	struct shim_run *run;
	const char *why;
	char *reply;
	int r;

	r = runtime_exec_request_parse(payload, &req, &why);
	if (r < 0)
		return reply_error(-r, why);
	if (!shim_config_container(l->config, req.container))
		return strdupf("error %d no container %s in this pod", ENOENT, req.container);
	run = current_run(l, req.container);
	if (!run || !run->running)
		return strdupf("error %d container %s is not running", ESRCH, req.container);
	if (shim_exec_start(l->config, run, &req, conn->source.fd, fds, n_fds, &err) < 0) {
		reply = reply_error(err.errnum, err.message ? err.message : strerror(err.errnum));
		nano_err_clear(&err);
		return reply;
	}
	*handed_off = true;
	return NULL;
}

static char *handle(struct loop *l, char *request)
{
	struct runtime_request q;
	const char *why;

	if (runtime_request_parse(request, &q, &why) < 0)
		return reply_error(EINVAL, why);
	switch (q.kind) {
	case RUNTIME_REQUEST_START:
		return do_start(l, q.name, (long long)q.number);
	case RUNTIME_REQUEST_KILL:
		return do_kill(l, q.name, (int)q.number);
	case RUNTIME_REQUEST_STATE:
		return do_state(l);
	case RUNTIME_REQUEST_SHUTDOWN:
		l->shutting_down = true;
		return strdup("ok");
	case RUNTIME_REQUEST_EXEC:
		break; /* on_conn's: it comes with descriptors and keeps the connection */
	}
	return reply_error(EINVAL, "unknown request");
}

static void close_conn(struct loop *l, struct conn *conn)
{
	for (struct conn **p = &l->conns; *p; p = &(*p)->next)
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	unwatch(l, conn->source.fd);
	close(conn->source.fd);
	free(conn);
}

int shim_send_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Receives one request and the descriptors that came with it (close-on-exec). */
static ssize_t receive(int fd, char *buf, size_t size, int *fds, size_t *n_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*n_fds = 0;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int passed;

			memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n_fds < MAX_FDS)
				fds[(*n_fds)++] = passed;
			else
				close(passed);
		}
	}
	/* a message cut short (too long, or its descriptors) is no request */
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EMSGSIZE;
		return -2;
	}
	return n;
}

static void on_conn(struct loop *l, struct conn *conn)
{
	static char buf[MAX_REQUEST + 1];
	_cleanup_free_ char *reply = NULL;
	int fds[MAX_FDS];
	size_t n_fds = 0;
	bool handed_off = false;
	ssize_t n = receive(conn->source.fd, buf, MAX_REQUEST, fds, &n_fds);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -2) {
		reply = reply_error(EMSGSIZE, "request too long");
	} else if (n <= 0) {
		close_conn(l, conn);
		return;
	} else {
		buf[n] = '\0';
		if (strncmp(buf, "exec ", 5) == 0)
			reply = do_exec(l, conn, buf + 5, fds, n_fds, &handed_off);
		else
			reply = handle(l, buf);
	}
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]); /* the helper has its copies */
	if (handed_off) {
		close_conn(l, conn);
		return;
	}
	if (!reply || send(conn->source.fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
		close_conn(l, conn);
}

static void on_listen(struct loop *l)
{
	int fd = accept4(l->listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *conn;

	if (fd < 0)
		return;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		close(fd);
		return;
	}
	conn->source = (struct shim_source){.kind = SHIM_SOURCE_CONN, .fd = fd};
	conn->next = l->conns;
	l->conns = conn;
	if (watch(l, &conn->source) < 0)
		close_conn(l, conn);
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void dispatch(struct loop *l, struct shim_source *s)
{
	switch (s->kind) {
	case SHIM_SOURCE_LISTEN:
		on_listen(l);
		break;
	case SHIM_SOURCE_SIGNAL:
		on_signal(l);
		break;
	case SHIM_SOURCE_CONN:
		on_conn(l, (struct conn *)s); /* source is the first member */
		break;
	case SHIM_SOURCE_LOG:
		if (shim_relay_pump(s->run->relay, s->stream) == 0)
			close_log(l, s->run, s->stream);
		break;
	}
}

static void teardown(struct loop *l)
{
	while (l->conns)
		close_conn(l, l->conns);
	while (l->runs) {
		struct shim_run *run = l->runs;

		l->runs = run->next;
		shim_relay_drain(run->relay);
		close_log(l, run, SHIM_STDOUT);
		close_log(l, run, SHIM_STDERR);
		shim_run_free(run);
	}
	if (l->sock_path)
		unlink(l->sock_path);
	free(l->sock_path);
	closep(&l->listen.fd);
	closep(&l->signal.fd);
	closep(&l->epfd);
}

int shim_serve(struct shim_config *config, int ready_fd)
{
	struct loop l = {.config = config, .epfd = -1, .listen.fd = -1, .signal.fd = -1};
	struct nano_err err = {0};
	struct epoll_event events[32];

	if (setup(&l, &err) < 0) {
		const char *msg = err.message ? err.message : strerror(err.errnum);

		(void)!write(ready_fd, msg, strlen(msg));
		close(ready_fd);
		nano_err_clear(&err);
		teardown(&l);
		return 1;
	}
	(void)!write(ready_fd, "ok", 2);
	close(ready_fd);
	/* shim.json's document and what P0 did are freed: the pages go back before the pod's
	 * long life */
	malloc_trim(0);

	while (!(l.shutting_down && !any_running(&l))) {
		int n = epoll_wait(l.epfd, events, (int)ELEMENTSOF(events), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "nanolet-shim: epoll_wait: %m\n");
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(&l, events[i].data.ptr);
		prune(&l);
	}
	teardown(&l);
	return 0;
}
