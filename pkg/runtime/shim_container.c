/* pkg/runtime/shim_container.c: P1's side of starting a container — pipes, clone3 into the
 * container's cgroups and namespaces, the StartError pipe.
 *
 * Cgroup placement happens before the child runs anything of its own:
 *   - with a v2 cgroupDir and no other hierarchy to join, clone3(CLONE_INTO_CGROUP |
 *     CLONE_NEWCGROUP): the child is born in its cgroup and the kernel roots its cgroup
 *     namespace there;
 *   - otherwise (v1 and hybrid hosts) clone3 without CLONE_NEWCGROUP. The child is born in the
 *     cgroup2 one (the cgroupDir, or the one cgroup2 path of the v1 driver's cgroupProcs);
 *     this side writes the child's pid into any cgroup.procs the child cannot join itself,
 *     then releases the child over a sync pipe; the child, before anything of its own, joins
 *     each v1 cgroup by writing 0 to the cgroup's "tasks" (no global lock: shim_cgroup.c),
 *     and unshares the cgroup namespace, now that it sits in every container cgroup.
 * clone3 is called with fork semantics (no new stack): the shim is single-threaded, so the
 * child has a consistent libc and ASan state (shim_child.c).
 *
 * It must not wait for the container beyond its exec (the loop reaps it), nor touch what the
 * container sees (that is shim_child.c).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runtime.h"
#include "shim.h"

static int pipe_cloexec(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
}

static void close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			fds[i] = (close(fds[i]), -1);
}

/* The pid as the host sees it: a pidfd's fdinfo shows the pid in the pid namespace of the
 * procfs it is read through, and the shim's /proc is the host's. */
static pid_t host_pid_of(int pidfd, pid_t fallback)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	int pid;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1 && pid > 0)
			return pid;
	return fallback;
}

static int write_pid(const char *path, pid_t pid)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (fd < 0 || write(fd, buf, (size_t)len) != len)
		return -errno;
	return 0;
}

/* Whether path is <dir>/cgroup.procs, which CLONE_INTO_CGROUP already took care of. */
static bool is_procs_of(const char *path, const char *dir)
{
	size_t len = dir ? strlen(dir) : 0;

	return dir && strncmp(path, dir, len) == 0 && strcmp(path + len, "/cgroup.procs") == 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

#define JOIN_MAX 16 /* cgroup hierarchies the child joins itself; any more, this side */

struct start {
	int out[2], err[2], errpipe[2], sync[2];
	int devnull, cgroup_fd, pidfd;
	/* per cgroup.procs: how the child gets there (shim_cgroup.c) */
	enum shim_cgroup_join *how;
	int join_fds[JOIN_MAX];
	const char *join_paths[JOIN_MAX];
	size_t n_join;
};

/* How the child joins each of its cgroups: born in the cgroupDir (or, without one, in the
 * first cgroup2 path), joining v1 ones itself, and this side writing the rest. */
static int plan_joins(struct start *s, const struct shim_container *c, struct nano_err *err)
{
	bool single = shim_single_threaded();
	size_t n = strv_len(c->cgroup_procs);

	s->how = calloc(n + 1, sizeof(*s->how));
	if (!s->how)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (c->cgroup_dir) {
		s->cgroup_fd = open(c->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->cgroup_fd < 0)
			return nano_err_set(err, errno, "open cgroup %s: %m", c->cgroup_dir);
	}
	for (size_t i = 0; i < n; i++) {
		int fd = -1;

		if (is_procs_of(c->cgroup_procs[i], c->cgroup_dir)) {
			s->how[i] = SHIM_JOIN_CLONE;
			continue;
		}
		s->how[i] = single && s->n_join < JOIN_MAX
		                    ? shim_cgroup_open_join(c->cgroup_procs[i], s->cgroup_fd < 0,
		                                            false, &fd)
		                    : SHIM_JOIN_PROCS;
		if (s->how[i] == SHIM_JOIN_CLONE) {
			s->cgroup_fd = fd;
		} else if (s->how[i] == SHIM_JOIN_TASKS) {
			s->join_fds[s->n_join] = fd;
			s->join_paths[s->n_join++] = c->cgroup_procs[i];
		}
	}
	return 0;
}

static bool must_write_procs(const struct start *s, const struct shim_container *c)
{
	for (size_t i = 0; c->cgroup_procs[i]; i++)
		if (s->how[i] == SHIM_JOIN_PROCS)
			return true;
	return false;
}

static void start_done(struct start *s)
{
	close_pair(s->out);
	close_pair(s->err);
	close_pair(s->errpipe);
	close_pair(s->sync);
	closep(&s->devnull);
	closep(&s->cgroup_fd);
	closep(&s->pidfd);
	for (size_t i = 0; i < s->n_join; i++)
		closep(&s->join_fds[i]);
	s->n_join = 0;
	free(s->how);
	s->how = NULL;
}

/* After clone: the cgroups, then the child's word. Returns 0 once it exec'd. */
static int parent_side(struct start *s, const struct shim_container *c, pid_t pid,
                       struct nano_err *err)
{
	struct shim_child_error e = {0};
	ssize_t n;

	if (s->sync[1] >= 0) {
		for (size_t i = 0; c->cgroup_procs[i]; i++) {
			int r;

			if (s->how[i] != SHIM_JOIN_PROCS)
				continue;
			r = write_pid(c->cgroup_procs[i], pid);
			if (r < 0) {
				kill(pid, SIGKILL);
				reap(pid);
				return nano_err_set(err, -r, "join cgroup %s: %s",
				                    c->cgroup_procs[i], strerror(-r));
			}
		}
		if (write(s->sync[1], "g", 1) != 1) {
			int saved = errno;

			kill(pid, SIGKILL);
			reap(pid);
			return nano_err_set(err, saved, "release the child: %s", strerror(saved));
		}
		close_pair(s->sync);
	}
	do
		n = read(s->errpipe[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0; /* EOF: the CLOEXEC pipe closed in execve */
	reap(pid);
	if (n != (ssize_t)sizeof(e))
		return nano_err_set(err, EIO, "the container's child died before exec");
	e.message[sizeof(e.message) - 1] = '\0';
	return nano_err_set(err, e.errnum, "%s", e.message);
}

/* A new, empty writable layer for this run: what the container wrote before is gone, as a
 * restarted container starts from its image again. */
static int fresh_layer(const char *layer, struct nano_err *err)
{
	_cleanup_free_ char *upper = strdupf("%s/upper", layer);
	_cleanup_free_ char *work = strdupf("%s/work", layer);
	int r;

	if (!upper || !work)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = rm_rf(layer);
	if (r < 0)
		return nano_err_set(err, -r, "remove the last run's layer %s: %s", layer,
		                    strerror(-r));
	if (mkdir_p(upper, 0755) < 0 || mkdir(work, 0700) < 0)
		return nano_err_set(err, errno, "make the writable layer %s: %m", layer);
	return 0;
}

/* This run's termination message file, <run dir>/termination/<name>.<restart>: new and empty
 * (a run never sees its predecessor's message), and 0666 whatever the umask, as the kubelet
 * makes it, so that any user of the container may write it. It stays after the run for the
 * daemon to read, and goes with the run dir. *path is malloc'd. */
static int termination_file(const struct shim_config *config, const struct shim_container *c,
                            int64_t restart, char **path, struct nano_err *err)
{
	_cleanup_free_ char *dir = strdupf("%s/" RUNTIME_TERMINATION_DIR, config->run_dir);
	_cleanup_close_ int fd = -1;

	*path = NULL;
	if (!c->termination_message_path)
		return 0;
	if (!dir || !(*path = strdupf("%s/%s.%" PRId64, dir, c->name, restart)))
		return nano_err_set(err, ENOMEM, "out of memory");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nano_err_set(err, errno, "mkdir %s: %m", dir);
	fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 || fchmod(fd, 0666) < 0)
		return nano_err_set(err, errno, "termination message file %s: %m", *path);
	return 0;
}

/* The container's seccomp filter: RuntimeDefault made once, by P0 (shim_seccomp_prepare) or,
 * failing that, at its first start; a Localhost profile read from the node and compiled at
 * every start, as the kubelet reads it for every container it creates (a bad or missing file is
 * this start's StartError). NULL for Unconfined. */
int shim_container_seccomp(const struct shim_container *c, struct shim_seccomp_filter *localhost,
                           const struct shim_seccomp_filter **out, struct nano_err *err)
{
	const struct plan_seccomp *s = &c->security.seccomp;
	_cleanup_free_ char *text = NULL;
	struct security_seccomp_profile *profile = NULL;
	uint64_t caps = c->security.capabilities.bounding;
	int r;

	*out = NULL;
	switch (s->kind) {
	case SECURITY_SECCOMP_UNCONFINED:
		return 0;
	case SECURITY_SECCOMP_RUNTIME_DEFAULT:
		if (!c->runtime_default->prog) {
			r = shim_seccomp_compile(security_seccomp_runtime_default(), caps,
			                         c->runtime_default, err);
			/* libseccomp's database of the profile is freed, but a shim lives for
			 * the pod's life: give the heap back */
			malloc_trim(0);
			if (r < 0)
				return r;
		}
		*out = c->runtime_default;
		return 0;
	case SECURITY_SECCOMP_LOCALHOST:
		r = util_read_file_at(AT_FDCWD, s->localhost_path, &text);
		if (r < 0)
			return nano_err_set(err, -r, "seccomp profile %s: %s", s->localhost_path,
			                    strerror(-r));
		r = security_seccomp_parse(text, strlen(text), &profile, err);
		if (r >= 0)
			r = shim_seccomp_compile(profile, caps, localhost, err);
		security_seccomp_free(profile);
		malloc_trim(0);
		if (r < 0)
			return nano_err_wrap(err, "seccomp profile %s", s->localhost_path);
		*out = localhost;
		return 0;
	}
	return nano_err_set(err, EINVAL, "seccomp: unknown profile kind");
}

int shim_container_start(const struct shim_config *config, const struct shim_container *c,
                         int64_t restart, struct shim_run **out, struct nano_err *err)
{
	_cleanup_(shim_seccomp_filter_done) struct shim_seccomp_filter localhost = {0};
	_cleanup_free_ char *termination = NULL;
	const struct shim_seccomp_filter *seccomp = NULL;
	struct start s = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, -1, -1, -1, NULL, {0}, {0}, 0};
	struct clone_args args = {.exit_signal = SIGCHLD};
	unsigned long flags = c->clone_flags;
	_cleanup_close_ int root_mount = -1;
	struct shim_run *run;
	int r = 0;
	pid_t pid;

	r = shim_container_seccomp(c, &localhost, &seccomp, err);
	/* hostUsers: false: the layers idmapped and the writable layer made by the mounter (P1
	 * may not idmap a mount, nor remove what overlayfs made as the node's root) */
	if (r == 0 && config->uid_map && c->root.kind == PLAN_ROOT_IMAGE)
		r = shim_mounter_root(config->mounter_fd, &c->root, &root_mount, err);
	else if (r == 0 && c->root.layer)
		r = fresh_layer(c->root.layer, err);
	if (r == 0)
		r = termination_file(config, c, restart, &termination, err);
	if (r == 0 &&
	    (pipe_cloexec(s.out) < 0 || pipe_cloexec(s.err) < 0 || pipe_cloexec(s.errpipe) < 0))
		r = nano_err_set(err, errno, "pipe: %m");
	if (r == 0)
		r = plan_joins(&s, c, err);
	if (r == 0 && must_write_procs(&s, c) && pipe_cloexec(s.sync) < 0)
		r = nano_err_set(err, errno, "pipe: %m");
	if (r == 0 && (s.sync[0] >= 0 || s.n_join > 0))
		flags &= ~(unsigned long)CLONE_NEWCGROUP; /* the child unshares it once placed */
	if (r == 0) {
		s.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (s.devnull < 0)
			r = nano_err_set(err, errno, "open /dev/null: %m");
	}
	if (r < 0) {
		start_done(&s);
		return r;
	}

	args.flags = flags | CLONE_PIDFD | (s.cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
	args.pidfd = (uint64_t)(uintptr_t)&s.pidfd;
	args.cgroup = (uint64_t)(s.cgroup_fd >= 0 ? s.cgroup_fd : 0);
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		struct shim_child_args a = {
		        .config = config,
		        .container = c,
		        .stdin_fd = s.devnull,
		        .stdout_fd = s.out[1],
		        .stderr_fd = s.err[1],
		        .sync_fd = s.sync[0],
		        .join_fds = s.join_fds,
		        .join_paths = s.join_paths,
		        .n_join = s.n_join,
		        .error_fd = s.errpipe[1],
		        .seccomp = seccomp,
		        .termination_file = termination,
		        .root_mount_fd = root_mount,
		};
		shim_child_run(&a);
	}
	if (pid < 0) {
		r = nano_err_set(err, errno, "clone3: %m");
		start_done(&s);
		return r;
	}
	closep(&s.out[1]), s.out[1] = -1;
	closep(&s.err[1]), s.err[1] = -1;
	closep(&s.errpipe[1]), s.errpipe[1] = -1;
	closep(&s.sync[0]), s.sync[0] = -1;

	r = parent_side(&s, c, pid, err);
	if (r < 0) {
		start_done(&s);
		return r;
	}

	run = calloc(1, sizeof(*run));
	if (!run) {
		pidfd_send_signal(s.pidfd, SIGKILL, NULL, 0);
		start_done(&s);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	*run = (struct shim_run){.container = c, .restart = restart, .pid = pid, .running = true};
	clock_gettime(CLOCK_REALTIME, &run->started_at);
	run->host_pid = host_pid_of(s.pidfd, pid);
	run->pidfd = TAKE_FD(s.pidfd);
	run->relay = shim_relay_new(config, run, s.out[0], s.err[0], &r);
	s.out[0] = s.err[0] = -1; /* the relay owns them, whatever happened */
	start_done(&s);
	if (!run->relay) {
		/* The container runs but nothing could take its output: it never started. */
		pidfd_send_signal(run->pidfd, SIGKILL, NULL, 0);
		reap(pid);
		shim_run_free(run);
		return nano_err_set(err, -r, "open the log of %s: %s", c->name, strerror(-r));
	}
	*out = run;
	return 0;
}

void shim_run_free(struct shim_run *run)
{
	if (!run)
		return;
	shim_relay_free(run->relay);
	if (run->pidfd >= 0)
		close(run->pidfd);
	free(run);
}
