/* pkg/runtime/client.c: the daemon's side of the shim (runtime.h) — write shim.json, start the
 * shim and read its start-up verdict, send a request over shim.sock and read its reply, read
 * exit files.
 *
 * The primitives never wait: runtime_shim_fork returns a pidfd the caller watches (the daemon
 * as an sd-event source with a deadline), runtime_shim_send a socket whose reply
 * runtime_shim_reply reads once it is readable. runtime_shim_spawn and runtime_shim_request
 * are the same with a bounded poll, for tools and test harnesses, never for the daemon's loop.
 * Nothing here enters a pod's namespaces. The forked child only execs (async-signal-safe calls
 * between fork and exec), since the daemon may be multi-threaded in a test harness or under
 * sanitizers.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "runtime.h"

/* ---- shim.json ---------------------------------------------------------------------------- */

static json_t *strv_json(char *const *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a && l && l[i]; i++)
		if (json_array_append_new(a, json_string(l[i])) < 0)
			a = (json_decref(a), NULL);
	return a;
}

/* What the shim writes the pod's hosts and resolv.conf from. */
static int host_files_json(json_t *o, const struct runtime_shim_config *c)
{
	json_t *aliases = c->n_host_aliases ? json_array() : NULL;
	int r = 0;

	if (c->resolv_conf)
		r |= json_object_set_new(o, "resolvConf", json_string(c->resolv_conf));
	if (c->host_domain)
		r |= json_object_set_new(o, "hostDomain", json_string(c->host_domain));
	for (size_t i = 0; aliases && i < c->n_host_aliases; i++)
		r |= json_array_append_new(
		        aliases, json_pack("{s:s, s:o}", "ip", c->host_aliases[i].ip, "hostnames",
		                           strv_json(c->host_aliases[i].hostnames)));
	if (c->n_host_aliases)
		r |= json_object_set_new(o, "hostAliases", aliases);
	return r;
}

json_t *runtime_shim_config_to_json(const struct runtime_shim_config *c)
{
	json_t *o = json_object(), *containers = json_array();
	int r = 0;

	r |= json_object_set_new(o, "uid", json_string(c->plan->uid));
	r |= json_object_set_new(o, "name", json_string(c->plan->name));
	r |= json_object_set_new(o, "namespace", json_string(c->plan->namespace));
	r |= json_object_set_new(o, "plan", plan_to_json(c->plan));
	r |= json_object_set_new(o, "infraProcs", strv_json(c->infra_procs));
	r |= json_object_set_new(
	        o, "userns",
	        c->uid_map ? json_pack("{s:s, s:s}", "uidMap", c->uid_map, "gidMap", c->gid_map)
	                   : json_null());
	for (size_t i = 0; containers && i < c->n_containers; i++) {
		const struct runtime_shim_container *sc = &c->containers[i];

		r |= json_array_append_new(
		        containers,
		        json_pack("{s:s, s:o, s:o, s:s, s:s*}", "name", sc->name, "cgroupProcs",
		                  strv_json(sc->cgroup_procs), "cgroupDir",
		                  sc->cgroup_dir ? json_string(sc->cgroup_dir) : json_null(),
		                  "logDir", sc->log_dir, "terminationMessagePath",
		                  sc->termination_message_path));
	}
	r |= json_object_set_new(o, "containers", containers);
	r |= json_object_set_new(o, "logMaxSize", json_integer(c->log_max_size));
	r |= json_object_set_new(o, "logMaxFiles", json_integer(c->log_max_files));
	if (c->seccomp_cache_dir)
		r |= json_object_set_new(o, "seccompCacheDir", json_string(c->seccomp_cache_dir));
	r |= host_files_json(o, c);
	if (r < 0)
		o = (json_decref(o), NULL);
	return o;
}

int runtime_shim_config_write(const char *run_dir, json_t *config, struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/shim.json", run_dir);
	_cleanup_free_ char *tmp = strdupf("%s/.shim.json.tmp", run_dir);
	_cleanup_free_ char *text = json_dumps(config, JSON_COMPACT);
	size_t len;
	int fd, r = 0;

	if (!path || !tmp || !text)
		return nano_err_set(err, ENOMEM, "out of memory");
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return nano_err_set(err, errno, "open %s: %m", tmp);
	if (write(fd, text, len) != (ssize_t)len)
		r = -(errno ? errno : EIO);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return nano_err_set(err, -r, "write %s: %s", path, strerror(-r));
	}
	return 0;
}

int runtime_shim_config_replace_plan(const char *run_dir, const struct plan *plan,
                                     struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/shim.json", run_dir);
	_cleanup_json_ json_t *json = NULL;
	json_error_t jerr;
	json_t *o;

	if (!path)
		return nano_err_set(err, ENOMEM, "out of memory");
	json = json_load_file(path, 0, &jerr);
	if (!json)
		return nano_err_set(err, EBADMSG, "%s: %s", path, jerr.text);
	o = plan_to_json(plan);
	if (!o || json_object_set_new(json, "plan", o) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	return runtime_shim_config_write(run_dir, json, err);
}

/* ---- spawn -------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a small file into a NUL-terminated buffer, the trailing newline cut. */
static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return 0;
}

static struct rlimit shim_nofile;
static bool shim_nofile_set;

void runtime_shim_nofile(const struct rlimit *limit)
{
	shim_nofile = *limit;
	shim_nofile_set = true;
}

/* The shim is started by posix_spawn, which clones the daemon's address space instead of
 * copying it (CLONE_VM | CLONE_VFORK): a fork copied the page tables of a daemon of tens of MiB
 * (0.4 ms idle, 1 ms at 300 pods) and left its pages to copy on its next writes. Its stdin is
 * /dev/null, its output shim.log, nothing else of the daemon's stays open, its signals are at
 * their defaults and unblocked; it sets the RLIMIT_NOFILE it is given itself, first thing. */
int runtime_shim_fork(const char *shim_path, const char *run_dir, pid_t *child, int *pidfd,
                      struct nano_err *err)
{
	_cleanup_free_ char *log_path = strdupf("%s/shim.log", run_dir);
	_cleanup_close_ int devnull = -1, log_fd = -1;
	char nofile[64];
	char *const argv[] = {(char *)"nanolet-shim", (char *)run_dir,
	                      shim_nofile_set ? nofile : NULL, NULL};
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid;
	int fd, r;

	if (!log_path)
		return nano_err_set(err, ENOMEM, "out of memory");
	snprintf(nofile, sizeof(nofile), "%llu:%llu", (unsigned long long)shim_nofile.rlim_cur,
	         (unsigned long long)shim_nofile.rlim_max);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (devnull < 0 || log_fd < 0)
		return nano_err_set(err, errno, "open %s: %m",
		                    devnull < 0 ? "/dev/null" : log_path);

	sigemptyset(&none);
	sigfillset(&all);
	r = posix_spawn_file_actions_init(&actions);
	if (r != 0)
		return nano_err_set(err, r, "posix_spawn: %s", strerror(r));
	r = posix_spawnattr_init(&attr);
	if (r != 0) {
		posix_spawn_file_actions_destroy(&actions);
		return nano_err_set(err, r, "posix_spawn: %s", strerror(r));
	}
	r = posix_spawn_file_actions_adddup2(&actions, devnull, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	/* the daemon ignores SIGPIPE: the shim starts with every signal at its default */
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	if (r == 0)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawn(&pid, shim_path, &actions, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return nano_err_set(err, r, "could not run %s: %s", shim_path, strerror(r));
	fd = pidfd_open(pid, 0);
	if (fd < 0) {
		int saved = errno;

		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return nano_err_set(err, saved, "pidfd of nanolet-shim %d: %s", (int)pid,
		                    strerror(saved));
	}
	*child = pid;
	*pidfd = fd;
	return 0;
}

int runtime_shim_forked(const char *shim_path, const char *run_dir, int pidfd, pid_t *shim_pid,
                        struct nano_err *err)
{
	_cleanup_free_ char *pid_path = strdupf("%s/shim.pid", run_dir);
	_cleanup_free_ char *error_path = strdupf("%s/shim.error", run_dir);
	siginfo_t si = {0};
	char buf[1024];
	int r;

	if (!pid_path || !error_path)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0)
		return nano_err_set(err, errno, "wait for nanolet-shim: %m");
	if (si.si_pid == 0)
		return -EAGAIN; /* not yet: no message, the caller waits on */
	if (si.si_code == CLD_EXITED && si.si_status == 0) {
		r = read_small(pid_path, buf, sizeof(buf));
		if (r < 0)
			return nano_err_set(err, -r, "read %s: %s", pid_path, strerror(-r));
		*shim_pid = (pid_t)atoi(buf);
		return *shim_pid > 0 ? 0 : nano_err_set(err, EBADMSG, "%s: no pid", pid_path);
	}
	if (read_small(error_path, buf, sizeof(buf)) == 0 && buf[0])
		return nano_err_set(err, EIO, "nanolet-shim: %s", buf);
	if (si.si_code == CLD_EXITED && si.si_status == 127)
		return nano_err_set(err, ENOEXEC, "could not run %s", shim_path);
	return nano_err_set(err, EIO, "nanolet-shim %s %d",
	                    si.si_code == CLD_EXITED ? "exited" : "was killed by signal",
	                    si.si_status);
}

void runtime_shim_fork_abandon(int pidfd)
{
	siginfo_t si = {0};

	if (pidfd < 0)
		return;
	/* SIGKILL, then reap at once: a killed process exits without running anything more */
	(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	close(pidfd);
}

int runtime_shim_spawn(const char *shim_path, const char *run_dir, int timeout_ms, pid_t *shim_pid,
                       struct nano_err *err)
{
	struct pollfd p = {.events = POLLIN};
	int64_t deadline = now_ms() + timeout_ms;
	pid_t child;
	int pidfd, r;

	r = runtime_shim_fork(shim_path, run_dir, &child, &pidfd, err);
	if (r < 0)
		return r;
	p.fd = pidfd;
	do
		r = poll(&p, 1, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0));
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		runtime_shim_fork_abandon(pidfd);
		return nano_err_set(err, ETIMEDOUT, "nanolet-shim did not start within %d ms",
		                    timeout_ms);
	}
	r = runtime_shim_forked(shim_path, run_dir, pidfd, shim_pid, err);
	close(pidfd);
	return r == -EAGAIN ? nano_err_set(err, EIO, "nanolet-shim %d: no exit seen", (int)child)
	                    : r;
}

/* ---- requests ----------------------------------------------------------------------------- */

/* One message with up to 3 descriptors (an exec's stdio) as SCM_RIGHTS. */
#define SEND_FDS_MAX 3

int runtime_shim_send_fds(const char *run_dir, const char *request, const int *fds, size_t n_fds,
                          struct nano_err *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int dirfd = -1, fd = -1;
	union {
		char buf[CMSG_SPACE(sizeof(int) * SEND_FDS_MAX)];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov = {.iov_base = (void *)request, .iov_len = strlen(request)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int n;

	if (n_fds > SEND_FDS_MAX)
		return nano_err_set(err, EINVAL, "at most %d descriptors go with a request",
		                    SEND_FDS_MAX);
	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/shim.sock", run_dir);
	if (n >= (int)sizeof(addr.sun_path)) {
		/* A deep run dir: reach the socket through a directory fd instead. */
		dirfd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return nano_err_set(err, errno, "open %s: %m", run_dir);
		snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/shim.sock", dirfd);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nano_err_set(err, errno, "socket: %m");
	/* A unix socket connects at once, accepted or not; only a full backlog (a shim that has
	 * stopped accepting) says EAGAIN. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return nano_err_set(err, errno, "connect %s/shim.sock: %s", run_dir,
		                    errno == EAGAIN ? "the shim accepts no more connections"
		                                    : strerror(errno));
	if (n_fds) {
		struct cmsghdr *c;

		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return nano_err_set(err, errno, "send to the shim: %m");
	return TAKE_FD(fd);
}

int runtime_shim_send(const char *run_dir, const char *request, struct nano_err *err)
{
	return runtime_shim_send_fds(run_dir, request, NULL, 0, err);
}

int runtime_shim_reply_fd(int fd, char **reply, int *passed_fd, struct nano_err *err)
{
	_cleanup_free_ char *buf = NULL;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (passed_fd)
		*passed_fd = -1;
	/* A SEQPACKET message comes whole: peek its size, then read it at once. */
	n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -EAGAIN;
	if (n < 0)
		return nano_err_set(err, errno, "receive from the shim: %m");
	if (n == 0)
		return nano_err_set(err, ECONNRESET, "the shim closed the connection");
	buf = malloc((size_t)n + 1);
	if (!buf)
		return nano_err_set(err, ENOMEM, "out of memory");
	iov = (struct iovec){.iov_base = buf, .iov_len = (size_t)n};
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return nano_err_set(err, errno, "receive from the shim: %m");
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
		                   ? (c->cmsg_len - CMSG_LEN(0)) / sizeof(int)
		                   : 0;

		for (size_t i = 0; i < k; i++) {
			int passed;

			memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (passed_fd && *passed_fd < 0) {
				fcntl(passed, F_SETFL, fcntl(passed, F_GETFL) | O_NONBLOCK);
				*passed_fd = passed;
			} else {
				close(passed); /* nothing asked for it */
			}
		}
	}
	*reply = TAKE_PTR(buf);
	return 0;
}

int runtime_shim_reply(int fd, char **reply, struct nano_err *err)
{
	return runtime_shim_reply_fd(fd, reply, NULL, err);
}

int runtime_shim_request(const char *run_dir, const char *request, char **reply, int timeout_ms,
                         struct nano_err *err)
{
	_cleanup_close_ int fd = runtime_shim_send(run_dir, request, err);
	struct pollfd p = {.events = POLLIN};
	int r;

	if (fd < 0)
		return fd;
	p.fd = fd;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return nano_err_set(err, ETIMEDOUT, "the shim did not answer \"%s\" within %d ms",
		                    request, timeout_ms);
	r = runtime_shim_reply(fd, reply, err);
	return r == -EAGAIN ? nano_err_set(err, EIO, "the shim's answer was not there") : r;
}

/* ---- exits -------------------------------------------------------------------------------- */

int runtime_exit_read(const char *path, struct runtime_exit *out, struct nano_err *err)
{
	_cleanup_json_ json_t *o = NULL;
	json_error_t jerr;

	o = json_load_file(path, 0, &jerr);
	if (!o)
		return nano_err_set(err, EBADMSG, "%s: %s", path, jerr.text);
	if (runtime_exit_from_json(o, out, err) < 0)
		return nano_err_wrap(err, "%s", path);
	return 0;
}

void runtime_exit_done(struct runtime_exit *e)
{
	free(e->name);
	free(e->started_at);
	free(e->finished_at);
	*e = (struct runtime_exit){0};
}
