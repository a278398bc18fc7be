/* pkg/runtime/shim_exec.c: a process exec'd into a running container (`kubectl exec`, exec
 * probes and hooks) — what nsenter does, with everything else the container's process has.
 *
 * The shim's loop only forks a helper and forgets the request: the helper owns the request's
 * connection from then on, so the loop never waits for an exec. The helper:
 *   1. opens, from the node's side, what it will need once inside: the node's /proc, the
 *      container's cgroups (shim_cgroup.c, as a container start joins them), /dev/null
 *   2. enters every namespace of the container's current process that differs from its own,
 *      all at once: setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | ...) — the cgroup
 *      namespace excepted, which the process enters once it sits in the container's cgroup (a
 *      process in a cgroup namespace may not move one out of its root)
 *   3. with a tty, opens the container's /dev/ptmx (its own newinstance devpts, ptmxmode 0666)
 *      and its slave (TIOCGPTPEER)
 *   4. clones the process proper, into the container's cgroup on cgroup2 (CLONE_INTO_CGROUP)
 *      and, by the setns above, into its pid namespace; the process joins the v1 hierarchies
 *      itself, enters the cgroup namespace, takes its stdio (with a tty: setsid, TIOCSCTTY)
 *      and runs shim_process_tail, the container's own credentials, capabilities, seccomp
 *      filter, environment and working directory
 *   5. answers "ok PID" (with the pty's master) once it exec'd, or the error; then waits for
 *      the process and answers "exit CODE"; the daemon closing the connection first is a
 *      SIGKILL for the process.
 * The process dies with the container: in a pid namespace of its own with its init, and
 * otherwise (hostPID, a shared pid namespace) because the shim kills what is left in the
 * container's cgroup when its main process exits (shim_cgroup_kill).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runtime.h"
#include "shim.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define JOIN_MAX 16

struct helper {
	const struct shim_config *config;
	const struct shim_container *c;
	const struct runtime_exec_request *req;
	int conn, pidfd, procfd;
	int stdio[3]; /* stdin (or /dev/null), stdout, stderr; -1 with a tty */
	int master, slave;
	int cgroup_fd;          /* cgroup2: CLONE_INTO_CGROUP */
	int join_fds[JOIN_MAX]; /* v1: the "tasks" the process writes 0 to */
	size_t n_join;
	int procs_fds[JOIN_MAX]; /* the cgroup.procs the helper writes the pid to */
	size_t n_procs;
	unsigned long ns_flags; /* the namespaces that differ from the helper's */
	bool cgroup_ns;         /* and the cgroup namespace */
	pid_t host_pid;         /* the container's process */
	int last_cap;
	const struct shim_seccomp_filter *seccomp; /* NULL: Unconfined */
};

static _Noreturn __attribute__((format(printf, 3, 4))) void fail(const struct helper *h, int errnum,
                                                                 const char *fmt, ...)
{
	char message[512], reply[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(reply, sizeof(reply), "error %d %s", errnum > 0 ? errnum : EIO, message);
	(void)shim_send_fd(h->conn, reply, strlen(reply), -1);
	_exit(1);
}

/* Everything of the shim's (its socket, epoll, other connections, the containers' pipes) is
 * closed, but for keep: a helper holding the listening socket would make a dead shim look
 * alive, and one holding a log pipe would keep a container writing into it. */
static void close_all_but(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int dfd = d ? dirfd(d) : -1;

	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		bool kept = fd < 3 || fd == dfd;

		for (size_t i = 0; i < n; i++)
			kept = kept || fd == keep[i];
		if (!kept && e->d_name[0] != '.')
			close(fd);
	}
	if (d)
		closedir(d);
}

/* The container's cgroups, opened from the node's side as a container start joins them: born
 * in the cgroup2 one, joining v1 ones by "tasks", the rest written by the helper. */
static void open_cgroups(struct helper *h)
{
	bool single = shim_single_threaded();

	if (h->c->cgroup_dir) {
		h->cgroup_fd = open(h->c->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->cgroup_fd < 0)
			fail(h, errno, "open cgroup %s: %m", h->c->cgroup_dir);
	}
	for (char **p = h->c->cgroup_procs; p && *p; p++) {
		enum shim_cgroup_join how;
		size_t len = h->c->cgroup_dir ? strlen(h->c->cgroup_dir) : 0;
		int fd = -1;

		if (len && strncmp(*p, h->c->cgroup_dir, len) == 0 &&
		    strcmp(*p + len, "/cgroup.procs") == 0)
			continue; /* CLONE_INTO_CGROUP */
		how = single && h->n_join < JOIN_MAX
		              ? shim_cgroup_open_join(*p, h->cgroup_fd < 0, false, &fd)
		              : SHIM_JOIN_PROCS;
		if (how == SHIM_JOIN_CLONE) {
			h->cgroup_fd = fd;
		} else if (how == SHIM_JOIN_TASKS) {
			h->join_fds[h->n_join++] = fd;
		} else {
			if (h->n_procs >= JOIN_MAX)
				fail(h, E2BIG, "too many cgroup hierarchies");
			fd = open(*p, O_WRONLY | O_CLOEXEC);
			if (fd < 0)
				fail(h, errno, "open %s: %m", *p);
			h->procs_fds[h->n_procs++] = fd;
		}
	}
}

/* Whether the container's process is in another namespace of this type than the helper. */
static bool differs(const struct helper *h, const char *type)
{
	char path[64];
	struct stat mine, its;

	snprintf(path, sizeof(path), "%d/ns/%s", (int)h->host_pid, type);
	if (fstatat(h->procfd, path, &its, 0) < 0)
		fail(h, errno, "the container's %s namespace: %m", type);
	snprintf(path, sizeof(path), "self/ns/%s", type);
	if (fstatat(h->procfd, path, &mine, 0) < 0)
		fail(h, errno, "the shim's %s namespace: %m", type);
	return mine.st_ino != its.st_ino || mine.st_dev != its.st_dev;
}

static void find_namespaces(struct helper *h)
{
	static const struct {
		const char *type;
		unsigned long flag;
	} types[] = {
	        {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
	        {"net", CLONE_NEWNET},   {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
	};

	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (differs(h, types[i].type))
			h->ns_flags |= types[i].flag;
	h->cgroup_ns = differs(h, "cgroup");
	/* the namespaces were read through the pid: it must still be the container's process */
	if (pidfd_send_signal(h->pidfd, 0, NULL, 0) < 0)
		fail(h, ESRCH, "container %s is not running", h->c->name);
}

static void open_pty(struct helper *h)
{
	int unlock = 0;

	/* the container's /dev/ptmx (pts/ptmx of its own devpts): the pty is the container's */
	h->master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (h->master < 0)
		fail(h, errno, "open the container's /dev/ptmx: %m");
	if (ioctl(h->master, TIOCSPTLCK, &unlock) < 0)
		fail(h, errno, "unlock the pty: %m");
	h->slave = ioctl(h->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (h->slave < 0)
		fail(h, errno, "open the pty's slave: %m");
}

/* The process proper: in the container's cgroups and namespaces, then the container's tail. */
static _Noreturn void process(const struct helper *h, int sync_fd, int error_fd)
{
	struct plan_process p = h->c->process;
	struct shim_child_error e = {0};
	sigset_t none;
	char byte;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sync_fd >= 0 && read(sync_fd, &byte, 1) != 1)
		_exit(127);
	for (size_t i = 0; i < h->n_join; i++) {
		int r = shim_cgroup_join_self(h->join_fds[i]);

		if (r < 0) {
			e.errnum = -r;
			snprintf(e.message, sizeof(e.message), "join a cgroup: %s", strerror(-r));
			(void)!write(error_fd, &e, sizeof(e));
			_exit(127);
		}
	}
	if (h->cgroup_ns && setns(h->pidfd, CLONE_NEWCGROUP) < 0) {
		e.errnum = errno;
		snprintf(e.message, sizeof(e.message), "enter the cgroup namespace: %m");
		(void)!write(error_fd, &e, sizeof(e));
		_exit(127);
	}
	if (h->req->tty) {
		if (setsid() < 0 || ioctl(h->slave, TIOCSCTTY, 0) < 0 || dup2(h->slave, 0) < 0 ||
		    dup2(h->slave, 1) < 0 || dup2(h->slave, 2) < 0)
			e.errnum = errno;
	} else if (dup2(h->stdio[0], 0) < 0 || dup2(h->stdio[1], 1) < 0 ||
	           dup2(h->stdio[2], 2) < 0) {
		e.errnum = errno;
	}
	if (e.errnum) {
		snprintf(e.message, sizeof(e.message), "stdio: %s", strerror(e.errnum));
		(void)!write(error_fd, &e, sizeof(e));
		_exit(127);
	}
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	p.args = h->req->argv;
	shim_process_tail(&(struct shim_tail){.container = h->c,
	                                      .process = &p,
	                                      .seccomp = h->seccomp,
	                                      .held = shim_held_caps(),
	                                      .last_cap = h->last_cap,
	                                      .error_fd = error_fd,
	                                      .runc_errors = true});
}

/* The host pid of a child, from the node's /proc (the helper's own is the container's now). */
static pid_t host_pid_of(const struct helper *h, int pidfd, pid_t fallback)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	int fd, pid;

	snprintf(path, sizeof(path), "self/fdinfo/%d", pidfd);
	fd = openat(h->procfd, path, O_RDONLY | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f && fd >= 0)
		close(fd);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1 && pid > 0)
			return pid;
	return fallback;
}

/* After the clone: the cgroups the helper writes, the release, the process's word. */
static void started(struct helper *h, pid_t pid, int child_pidfd, int sync_w, int error_r)
{
	struct shim_child_error e = {0};
	char reply[64];
	ssize_t n;

	for (size_t i = 0; i < h->n_procs; i++) {
		int len = snprintf(reply, sizeof(reply), "%d", (int)pid);

		if (write(h->procs_fds[i], reply, (size_t)len) != len) {
			int saved = errno;

			pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
			fail(h, saved, "join a cgroup: %s", strerror(saved));
		}
	}
	if (sync_w >= 0 && write(sync_w, "g", 1) != 1) {
		pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
		fail(h, errno, "release the process: %m");
	}
	do
		n = read(error_r, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		e.message[sizeof(e.message) - 1] = '\0';
		if (n != (ssize_t)sizeof(e))
			fail(h, EIO, "the exec's process died before exec");
		fail(h, e.errnum, "%s", e.message);
	}
	/* EOF: exec'd (the pipe is close-on-exec), or the process ended on its own (a command
	 * that cannot run: its exit status says so) */
	snprintf(reply, sizeof(reply), "ok %d", (int)host_pid_of(h, child_pidfd, pid));
	(void)shim_send_fd(h->conn, reply, strlen(reply), h->master);
}

/* Until the process ends ("exit CODE") or the daemon hangs up (SIGKILL). */
static _Noreturn void wait_for(const struct helper *h, int child_pidfd)
{
	struct pollfd p[2] = {{.fd = h->conn, .events = POLLIN | POLLRDHUP},
	                      {.fd = child_pidfd, .events = POLLIN}};
	siginfo_t si = {0};
	char buf[64];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents) {
			ssize_t n = recv(h->conn, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				pidfd_send_signal(child_pidfd, SIGKILL, NULL, 0);
				break;
			}
		}
	}
	while (waitid(P_PIDFD, (id_t)child_pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	snprintf(buf, sizeof(buf), "exit %d",
	         si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status);
	(void)shim_send_fd(h->conn, buf, strlen(buf), -1);
	_exit(0);
}

static _Noreturn void helper_run(struct helper *h)
{
	_cleanup_(shim_seccomp_filter_done) struct shim_seccomp_filter localhost = {0};
	struct clone_args args = {.exit_signal = SIGCHLD};
	int keep[6] = {h->conn, h->pidfd, h->stdio[0], h->stdio[1], h->stdio[2], -1};
	int error_pipe[2], sync_pipe[2] = {-1, -1}, child_pidfd = -1;
	struct nano_err err = {0};
	sigset_t none;
	pid_t pid;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* the helper's writes to a daemon that went away must not kill it (it kills the process
	 * then); the process gets every disposition back to the default (shim_process_tail) */
	signal(SIGPIPE, SIG_IGN);
	close_all_but(keep, ELEMENTSOF(keep));
	h->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->procfd < 0)
		fail(h, errno, "open /proc: %m");
	h->last_cap = shim_last_cap();
	if (shim_container_seccomp(h->c, &localhost, &h->seccomp, &err) < 0)
		fail(h, err.errnum, "%s", err.message ? err.message : strerror(err.errnum));
	open_cgroups(h);
	if (!h->req->tty && !h->req->stdin) {
		h->stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (h->stdio[0] < 0)
			fail(h, errno, "open /dev/null: %m");
	}
	find_namespaces(h);
	/* all at once, as the kernel allows with a pidfd: the user namespace first, so that the
	 * others are entered with its capabilities */
	if (h->ns_flags && setns(h->pidfd, (int)h->ns_flags) < 0)
		fail(h, errno, "setns into the container's namespaces: %m");
	if (h->req->tty)
		open_pty(h);
	if (pipe2(error_pipe, O_CLOEXEC) < 0 || (h->n_procs && pipe2(sync_pipe, O_CLOEXEC) < 0))
		fail(h, errno, "pipe: %m");
	args.flags = CLONE_PIDFD | (h->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
	args.pidfd = (uint64_t)(uintptr_t)&child_pidfd;
	args.cgroup = (uint64_t)(h->cgroup_fd >= 0 ? h->cgroup_fd : 0);
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(error_pipe[0]);
		if (sync_pipe[1] >= 0)
			close(sync_pipe[1]);
		process(h, sync_pipe[0], error_pipe[1]);
	}
	if (pid < 0)
		fail(h, errno, "clone3: %m");
	close(error_pipe[1]);
	if (sync_pipe[0] >= 0)
		close(sync_pipe[0]);
	/* the process has them: the daemon's ends see EOF once it is done */
	for (int i = 0; i < 3; i++)
		if (h->stdio[i] >= 0)
			h->stdio[i] = (close(h->stdio[i]), -1);
	if (h->slave >= 0)
		h->slave = (close(h->slave), -1);
	started(h, pid, child_pidfd, sync_pipe[1], error_pipe[0]);
	if (h->master >= 0)
		h->master = (close(h->master), -1);
	wait_for(h, child_pidfd);
}

int shim_exec_start(const struct shim_config *config, const struct shim_run *run,
                    const struct runtime_exec_request *req, int conn, const int *fds, size_t n_fds,
                    struct nano_err *err)
{
	struct helper h = {.config = config,
	                   .c = run->container,
	                   .req = req,
	                   .conn = conn,
	                   .pidfd = run->pidfd,
	                   .procfd = -1,
	                   .stdio = {-1, -1, -1},
	                   .master = -1,
	                   .slave = -1,
	                   .cgroup_fd = -1,
	                   .host_pid = run->host_pid};
	size_t want = req->tty ? 0 : req->stdin ? 3 : 2;
	pid_t pid;

	if (n_fds != want)
		return nano_err_set(err, EINVAL, "exec takes %zu descriptors (stdio), %zu came",
		                    want, n_fds);
	for (size_t i = 0; i < n_fds; i++)
		h.stdio[req->stdin ? i : i + 1] = fds[i];
	pid = fork();
	if (pid < 0)
		return nano_err_set(err, errno, "fork: %m");
	if (pid == 0)
		helper_run(&h);
	return 0;
}
