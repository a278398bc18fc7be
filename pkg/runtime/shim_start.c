/* pkg/runtime/shim_start.c: the start of nanolet-shim, process P0 (the daemon's child).
 *
 * P0 moves itself into the pod's infra cgroups (v1 ones through "tasks"; a cgroup2 one without
 * controllers, as on a hybrid host, by having P1 born in it: shim_cgroup.c says why), starts a
 * session, prepares the RuntimeDefault seccomp filters, creates the pod's namespaces
 * (user first, its maps written by a helper that stays in the host user namespace, then net,
 * ipc, uts and, with shareProcessNamespace, pid), forks P1, the shim proper, records P1's host
 * pid in shim.pid and exits: 0 once P1 reports it is listening, 1 after writing shim.error. So
 * the daemon's child exits at once and the shim is reparented away from the daemon, and pods
 * outlive daemon restarts.
 *
 * P0 must not serve, clone containers or stay around: everything after the fork is P1's
 * (shim_loop.c). It also never changes its credentials: P1 keeps the host's root ids (kuid 0,
 * seen as the overflow id inside a user namespace), which is what lets it write the run dir and
 * the cgroup files, both owned by the host's root.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "shim.h"

/* Writes s to an existing file (a cgroup.procs, a uid_map): one write, as the kernel wants. */
static int write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		return -errno;
	return 0;
}

/* Writes <path> atomically: <dir>/.<name>.tmp, then rename, so that a reader (or inotify's
 * IN_MOVED_TO) only ever sees the whole file. */
int shim_write_atomic(const char *path, const char *s, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *tmp =
	        slash ? strdupf("%.*s/.%s.tmp", (int)(slash - path), path, slash + 1)
	              : strdupf(".%s.tmp", path);
	size_t len = strlen(s);
	int fd, r = 0;

	if (!tmp)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		r = -(errno ? errno : EIO);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int fail(const char *run_dir, const struct nano_err *err)
{
	_cleanup_free_ char *path = strdupf("%s/shim.error", run_dir);
	_cleanup_free_ char *line =
	        strdupf("%s\n", err->message ? err->message : strerror(err->errnum));

	fprintf(stderr, "nanolet-shim: %s", line ? line : "out of memory\n");
	if (path && line)
		shim_write_atomic(path, line, 0600);
	return 1;
}

/* The map writer: a child forked before unshare(CLONE_NEWUSER), so it stays in the host's user
 * namespace with CAP_SETUID/CAP_SETGID there. A writer with those capabilities in the parent
 * namespace may write any map, and leaves /proc/PID/setgroups at "allow" (only an unprivileged
 * writer must write "deny" first), which the containers' setgroups() needs. */
static _Noreturn void map_writer(const struct shim_config *c, pid_t target, int go_fd,
                                 int result_fd)
{
	struct shim_child_error e = {0};
	char path[64], byte;
	int r;

	if (read(go_fd, &byte, 1) != 1)
		_exit(1); /* P0 failed before unsharing: nothing to map */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)target);
	r = write_file(path, c->uid_map);
	if (r == 0) {
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)target);
		r = write_file(path, c->gid_map);
	}
	if (r < 0) {
		e.errnum = -r;
		snprintf(e.message, sizeof(e.message), "write %s: %s", path, strerror(-r));
		(void)!write(result_fd, &e, sizeof(e));
		_exit(1);
	}
	_exit(0);
}

static int user_namespace(const struct shim_config *c, struct nano_err *err)
{
	_cleanup_close_ int go_r = -1, go_w = -1, res_r = -1, res_w = -1;
	struct shim_child_error e = {0};
	pid_t self = getpid(), writer;
	int fds[2], status;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return nano_err_set(err, errno, "pipe: %m");
	go_r = fds[0], go_w = fds[1];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return nano_err_set(err, errno, "pipe: %m");
	res_r = fds[0], res_w = fds[1];

	writer = fork();
	if (writer < 0)
		return nano_err_set(err, errno, "fork the uid_map writer: %m");
	if (writer == 0) {
		close(go_w);
		close(res_r);
		map_writer(c, self, go_r, res_w);
	}
	close(TAKE_FD(go_r));
	close(TAKE_FD(res_w));

	if (unshare(CLONE_NEWUSER) < 0) {
		int saved = errno;

		close(TAKE_FD(go_w)); /* the writer reads EOF and exits */
		waitpid(writer, NULL, 0);
		return nano_err_set(err, saved, "unshare(CLONE_NEWUSER): %s", strerror(saved));
	}
	(void)!write(go_w, "g", 1);
	n = read(res_r, &e, sizeof(e));
	while (waitpid(writer, &status, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e))
		return nano_err_set(err, e.errnum, "%s", e.message);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return nano_err_set(err, EIO, "the uid_map writer failed");
	return 0;
}

/* P0 joins the pod's infra cgroups (shim_cgroup.c): a v1 one by writing 0 to its "tasks", a
 * cgroup2 one without controllers (a hybrid host's, which only groups) by having P1 born in
 * it (*p1_cgroup); anything else by its pid in cgroup.procs. */
static int join_infra(const struct shim_config *c, int *p1_cgroup, struct nano_err *err)
{
	bool single = shim_single_threaded();
	char pid[32];
	int r;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (size_t i = 0; c->infra_procs[i]; i++) {
		_cleanup_close_ int fd = -1;
		enum shim_cgroup_join how =
		        single ? shim_cgroup_open_join(c->infra_procs[i], *p1_cgroup < 0, true, &fd)
		               : SHIM_JOIN_PROCS;

		if (how == SHIM_JOIN_CLONE) {
			*p1_cgroup = TAKE_FD(fd);
			continue;
		}
		r = how == SHIM_JOIN_TASKS ? shim_cgroup_join_self(fd)
		                           : write_file(c->infra_procs[i], pid);
		if (r < 0)
			return nano_err_set(err, -r, "join infra cgroup %s: %s", c->infra_procs[i],
			                    strerror(-r));
	}
	return 0;
}

/* Everything P0 does before the fork of P1. */
static int prepare(struct shim_config *c, int *p1_cgroup, struct nano_err *err)
{
	int r;

	r = join_infra(c, p1_cgroup, err);
	if (r < 0)
		return r;
	/* A session of its own: no terminal signals from the daemon's session reach the pod. */
	if (setsid() < 0 && errno != EPERM)
		return nano_err_set(err, errno, "setsid: %m");
	/* in the pod's cgroups (what it uses is the pod's), still in the host's user namespace
	 * (the cache's files are checked as the host's root's) */
	shim_seccomp_prepare(c);

	if (c->clone_flags & CLONE_NEWUSER) {
		/* forked while P0 is still in the node's user namespace (shim_mounter.c) */
		if (shim_mounter_needed(c)) {
			r = shim_mounter_fork(c, &c->mounter_fd, err);
			if (r < 0)
				return r;
		}
		r = user_namespace(c, err);
		if (r == 0 && c->mounter_fd >= 0)
			r = shim_mounter_give_userns(c->mounter_fd, err);
		if (r < 0)
			return r;
	}
	/* Owned by the new user namespace when there is one, since it exists by now. */
	if (unshare((int)(c->clone_flags & ~(unsigned long)CLONE_NEWUSER)) < 0)
		return nano_err_set(err, errno, "unshare(pod namespaces): %m");
	return 0;
}

/* fork(), or, with a cgroup2 directory, the same born in it: clone3 with CLONE_INTO_CGROUP and
 * fork's semantics (no new stack). P1 goes on running the shim after it: that is sound because
 * the shim has no threads and no pthread mutexes, and glibc's raise and getpid ask the kernel
 * (only fork() would also reset glibc's cached tid, which nothing of the shim's reads). */
static pid_t fork_p1(int cgroup_fd)
{
	struct clone_args args = {
	        .flags = CLONE_INTO_CGROUP,
	        .exit_signal = SIGCHLD,
	        .cgroup = (uint64_t)cgroup_fd,
	};

	if (cgroup_fd < 0)
		return fork();
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* P0 after the fork: records P1 and waits for its word. */
static int wait_ready(pid_t p1, int ready_r, const char *pid_path, struct nano_err *err)
{
	char buf[sizeof(((struct shim_child_error *)0)->message)] = "";
	char pid_line[32];
	ssize_t n;
	int r;

	snprintf(pid_line, sizeof(pid_line), "%d\n", (int)p1);
	r = shim_write_atomic(pid_path, pid_line, 0600);
	if (r < 0) {
		kill(p1, SIGKILL);
		return nano_err_set(err, -r, "write %s: %s", pid_path, strerror(-r));
	}
	do
		n = read(ready_r, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n == 2 && memcmp(buf, "ok", 2) == 0)
		return 0;
	unlink(pid_path);
	if (n <= 0)
		return nano_err_set(err, EIO, "the shim exited while starting");
	buf[n] = '\0';
	return nano_err_set(err, EIO, "%s", buf);
}

int shim_main(const char *run_dir, const struct rlimit *nofile)
{
	struct nano_err err = {0};
	struct shim_config *config = NULL;
	_cleanup_free_ char *error_path = strdupf("%s/shim.error", run_dir);
	_cleanup_free_ char *pid_path = strdupf("%s/shim.pid", run_dir);
	_cleanup_close_ int ready_r = -1, p1_cgroup = -1;
	int fds[2], r;
	pid_t p1 = -1;

	if (!error_path || !pid_path)
		return 1;
	/* A write to a peer that went away (the daemon, a pipe's reader) is an error to handle,
	 * never the shim's death; the containers get the default back (shim_process_tail). */
	signal(SIGPIPE, SIG_IGN);
	unlink(error_path);
	unlink(pid_path);

	r = nofile && setrlimit(RLIMIT_NOFILE, nofile) < 0
	            ? nano_err_set(&err, errno, "setrlimit RLIMIT_NOFILE: %m")
	            : 0;
	if (r >= 0)
		r = shim_config_load(run_dir, &config, &err);
	if (r >= 0)
		r = prepare(config, &p1_cgroup, &err);
	if (r >= 0 && pipe2(fds, O_CLOEXEC) < 0)
		r = nano_err_set(&err, errno, "pipe: %m");
	if (r >= 0) {
		p1 = fork_p1(p1_cgroup);
		if (p1 < 0) {
			r = nano_err_set(&err, errno, "fork the shim: %m");
			close(fds[0]);
			close(fds[1]);
		}
	}
	if (p1 == 0) {
		close(fds[0]);
		closep(&p1_cgroup);
		r = shim_serve(config, fds[1]);
		shim_config_free(config);
		return r;
	}
	config = shim_config_free(config);
	if (r >= 0) {
		close(fds[1]);
		ready_r = fds[0];
		r = wait_ready(p1, ready_r, pid_path, &err);
	}
	r = r < 0 ? fail(run_dir, &err) : 0;
	nano_err_clear(&err);
	/* _exit, not return: after unshare(CLONE_NEWPID), a process that P0 creates at exit
	 * (LeakSanitizer's tracer, in ASan builds) would land in the pod's pid namespace, where
	 * it cannot see P0, and P0 would hang. Nothing is left to flush: stderr is unbuffered. */
	_exit(r);
}
