/* pkg/runtime/shim_cgroup.c: how a shim process gets into a cgroup the daemon made, without the
 * kernel's global migration lock where the kernel allows it.
 *
 * Writing a pid to cgroup.procs takes cgroup_threadgroup_rwsem for writing, and each first
 * writer after a quiet moment waits for an RCU grace period (10-20 ms on an idle machine,
 * over 100 ms under load), unless the hierarchy was mounted with favordynmods. Two ways in skip
 * it, and land the process in the same cgroup:
 *   - cgroup v1: the process writes "0" to the cgroup's "tasks" file: that moves its calling
 *     thread only, for which the kernel takes no global lock (cgroup_procs_write_start); for a
 *     single-threaded process (every shim process is) that is the whole process;
 *   - cgroup2: a new process is born in the cgroup (clone3 with CLONE_INTO_CGROUP), which only
 *     reads the lock.
 * Anything else (a path that does not end in /cgroup.procs, a filesystem that is neither, a
 * process with threads) is written to cgroup.procs as before. This file only opens; the
 * writing and cloning are the callers'.
 */
#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

#include "shim.h"

#define PROCS "/cgroup.procs"

bool shim_single_threaded(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	return n == 1;
}

/* Whether the cgroup2 directory dir enables no controller: nothing is limited or accounted in
 * it, it only groups processes. */
static bool no_controllers(int dir)
{
	_cleanup_close_ int fd = openat(dir, "cgroup.controllers", O_RDONLY | O_CLOEXEC);
	char buf[8];
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	return n == 0 || (n == 1 && buf[0] == '\n');
}

enum shim_cgroup_join shim_cgroup_open_join(const char *procs, bool clone_v2, bool bare_v2_only,
                                            int *out)
{
	size_t len = strlen(procs), suffix = strlen(PROCS);
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	struct statfs sfs;

	*out = -1;
	if (len <= suffix || strcmp(procs + len - suffix, PROCS) != 0 ||
	    !(dir = strndup(procs, len - suffix)))
		return SHIM_JOIN_PROCS;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &sfs) < 0)
		return SHIM_JOIN_PROCS;
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		if (!clone_v2 || (bare_v2_only && !no_controllers(fd)))
			return SHIM_JOIN_PROCS;
		*out = TAKE_FD(fd);
		return SHIM_JOIN_CLONE;
	}
	if (sfs.f_type != CGROUP_SUPER_MAGIC)
		return SHIM_JOIN_PROCS;
	*out = openat(fd, "tasks", O_WRONLY | O_CLOEXEC);
	return *out >= 0 ? SHIM_JOIN_TASKS : SHIM_JOIN_PROCS;
}

int shim_cgroup_join_self(int tasks_fd)
{
	return write(tasks_fd, "0", 1) == 1 ? 0 : -errno;
}

/* SIGKILL to every pid listed in procs, as the shim's pid namespace numbers them (0: one
 * outside it, which this shim never made). How many were listed, or -errno. */
static int kill_listed(const char *procs)
{
	_cleanup_fclose_ FILE *f = fopen(procs, "re");
	char line[32];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int pid = atoi(line);

		if (pid > 0 && pid != getpid()) {
			kill(pid, SIGKILL);
			n++;
		}
	}
	return n;
}

void shim_cgroup_kill(const struct shim_container *c)
{
	_cleanup_free_ char *procs = NULL;
	const char *path = c->cgroup_procs ? c->cgroup_procs[0] : NULL;

	/* Not cgroup.kill: on the kernels that count kills in a sequence (6.x), a child cloned
	 * later INTO the killed cgroup (CLONE_INTO_CGROUP: the container's next run, an exec) is
	 * compared with its parent's count and killed at birth. Each listed pid, then again for
	 * what forked meanwhile, a few rounds at most. */
	if (c->cgroup_dir)
		path = procs = strdupf("%s/cgroup.procs", c->cgroup_dir);
	for (int round = 0; path && round < 4 && kill_listed(path) > 0; round++)
		;
}
