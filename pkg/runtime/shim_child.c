/* pkg/runtime/shim_child.c: the container's child between clone and exec — the only code that
 * builds what a container sees: its mounts, its root, its credentials.
 *
 * Order, as crun's linux.c does it:
 *   1. wait until the parent has written the cgroup files, then unshare the cgroup namespace
 *      (so its root is the container's own cgroup), stdio onto the pipes
 *   2. make every mount private; clone the trees of bind sources (open_tree) while the host's
 *      paths are still reachable
 *   3. root: a directory: bind it onto itself, pivot_root, lazily detach the old root; then a
 *      tmpfs /dev with the host's device nodes, /sys, /proc. The host's root: a tmpfs holding a
 *      recursive bind of each of the host's top-level entries (and its top-level symlinks),
 *      pivoted into the same way, so that a mount point the host lacks is made in the tmpfs
 *      and never on the host
 *   4. the plan's mounts in order (move_mount puts each cloned tree in place, so a destination
 *      resolves inside the new root and a symlink there cannot reach the host's files)
 *   5. setgroups, setresgid, setresuid, no_new_privs, chdir, execvpe
 * Any failure is written to the error pipe (errno and a message) and the child exits 127.
 *
 * It runs in a fork-like clone3 child of a single-threaded process (the shim has no threads),
 * so libc and ASan are in a consistent state; it must never return into the shim's loop, and
 * never write to the host's files: a mount point missing inside one of the host's directories
 * is refused, not made.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

extern char **environ;

static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

struct child {
	const struct shim_child_args *a;
	const struct shim_container *c;
	int *trees; /* per plan mount: a cloned tree for bind mounts, else -1 */
	int device_trees[ELEMENTSOF(devices)];
	int hostname_tree, hosts_tree, sys_tree, proc_tree;
	char **host_entries; /* the host's root: the top-level names bound from the host */
};

static _Noreturn __attribute__((format(printf, 3, 4))) void die(const struct child *ch, int errnum,
                                                                const char *fmt, ...)
{
	struct shim_child_error e = {.errnum = errnum > 0 ? errnum : EIO};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	(void)!write(ch->a->error_fd, &e, sizeof(e));
	_exit(127);
}

static bool has_option(char *const *options, const char *o)
{
	return strv_contains(options, o);
}

/* Splits mount options into MS_* flags and the data string for the filesystem. */
static unsigned long mount_flags(char *const *options, char *data, size_t size)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} table[] = {
	        {"ro", MS_RDONLY},
	        {"nosuid", MS_NOSUID},
	        {"nodev", MS_NODEV},
	        {"noexec", MS_NOEXEC},
	        {"noatime", MS_NOATIME},
	        {"relatime", MS_RELATIME},
	        {"strictatime", MS_STRICTATIME},
	        {"sync", MS_SYNCHRONOUS},
	};
	static const char *const propagation[] = {"bind",     "rbind",   "private",
	                                          "rprivate", "slave",   "rslave",
	                                          "shared",   "rshared", "rw"};
	unsigned long flags = 0;

	data[0] = '\0';
	for (size_t i = 0; options && options[i]; i++) {
		bool known = false;

		for (size_t k = 0; k < ELEMENTSOF(table); k++)
			if (strcmp(options[i], table[k].name) == 0) {
				flags |= table[k].flag;
				known = true;
			}
		for (size_t k = 0; k < ELEMENTSOF(propagation); k++)
			if (strcmp(options[i], propagation[k]) == 0)
				known = true;
		if (!known) {
			size_t len = strlen(data);

			snprintf(data + len, size - len, "%s%s", len ? "," : "", options[i]);
		}
	}
	return flags;
}

/* Whether path lies in one of the host's directories bound into a host root. */
static bool on_host(const struct child *ch, const char *path)
{
	char first[NAME_MAX + 1];

	while (*path == '/')
		path++;
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(path, "/"), path);
	return ch->host_entries && strv_contains(ch->host_entries, first);
}

/* A mount point for a tree: a directory, or an empty file when the source is a file. */
static void mount_point(const struct child *ch, const char *path, bool file)
{
	struct stat st;
	char parent[PATH_MAX];
	int r, fd;

	if (stat(path, &st) == 0)
		return;
	if (on_host(ch, path))
		die(ch, ENOENT,
		    "mount point %s does not exist on the node, and nanolet makes nothing in the "
		    "node's directories: mount at a path the node has, or at a new top-level path",
		    path);
	if (!file) {
		r = mkdir_p(path, 0755);
		if (r < 0)
			die(ch, -r, "mount point %s: %s", path, strerror(-r));
		return;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	r = parent[0] ? mkdir_p(parent, 0755) : 0;
	fd = r < 0 ? -1 : open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die(ch, r < 0 ? -r : errno, "mount point %s: %s", path,
		    strerror(r < 0 ? -r : errno));
	close(fd);
}

/* A detached copy of the tree at path (recursive unless single), read-only if asked. */
static int clone_tree(const char *path, bool single, bool read_only)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (single ? 0 : AT_RECURSIVE);
	int fd = open_tree(AT_FDCWD, path, flags);

	if (fd >= 0 && read_only) {
		struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

		if (mount_setattr(fd, "", AT_EMPTY_PATH | (single ? 0 : AT_RECURSIVE), &attr,
		                  sizeof(attr)) < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

static void attach(const struct child *ch, int tree, const char *dest)
{
	struct stat st;

	if (fstat(tree, &st) < 0)
		die(ch, errno, "mount %s: %m", dest);
	mount_point(ch, dest, !S_ISDIR(st.st_mode));
	if (move_mount(tree, "", AT_FDCWD, dest, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die(ch, errno, "mount %s: %m", dest);
}

/* Step 2: what must be taken from the host before the root changes. */
static void clone_sources(struct child *ch)
{
	const struct shim_container *c = ch->c;
	bool own_root = c->root.kind != PLAN_ROOT_HOST;
	bool plan_proc = false;
	char path[PATH_MAX];

	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];

		ch->trees[i] = -1;
		if (strcmp(m->type, "proc") == 0 && strcmp(m->destination, "/proc") == 0)
			plan_proc = true;
		if (strcmp(m->type, "bind") != 0)
			continue;
		ch->trees[i] = clone_tree(m->source, false, has_option(m->options, "ro"));
		if (ch->trees[i] < 0)
			die(ch, errno, "mount %s: source %s: %m", m->destination, m->source);
	}
	ch->hostname_tree = ch->hosts_tree = ch->sys_tree = ch->proc_tree = -1;
	if (ch->a->config->hostname) {
		snprintf(path, sizeof(path), "%s/hostname", ch->a->config->run_dir);
		ch->hostname_tree = clone_tree(path, true, true);
		snprintf(path, sizeof(path), "%s/hosts", ch->a->config->run_dir);
		ch->hosts_tree = clone_tree(path, true, true);
	}
	for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
		snprintf(path, sizeof(path), "/dev/%s", devices[i]);
		ch->device_trees[i] = own_root ? clone_tree(path, true, false) : -1;
	}
	if (!own_root)
		return;
	/* sysfs shows the net namespace of whoever mounts it: a fresh one for a pod of its own
	 * network, the host's (read-only) otherwise. */
	if (!(ch->a->config->clone_flags & CLONE_NEWNET)) {
		ch->sys_tree = clone_tree("/sys", false, true);
		if (ch->sys_tree < 0)
			die(ch, errno, "clone /sys: %m");
	}
	/* hostPID: the plan has no /proc mount, the host's /proc is the right one. */
	if (!plan_proc) {
		ch->proc_tree = clone_tree("/proc", false, false);
		if (ch->proc_tree < 0)
			die(ch, errno, "clone /proc: %m");
	}
}

/* Step 3 for a directory root. */
static void pivot_root_to(const struct child *ch, const char *root)
{
	struct stat st;

	if (stat(root, &st) < 0)
		die(ch, errno, "root %s: %m", root);
	if (!S_ISDIR(st.st_mode))
		die(ch, ENOTDIR, "root %s: %s", root, strerror(ENOTDIR));
	/* pivot_root wants the new root to be a mount point. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		die(ch, errno, "bind root %s: %m", root);
	if (chdir(root) < 0)
		die(ch, errno, "chdir %s: %m", root);
	/* pivot_root(".", "."): the old root ends up on top of the new one, and detaching it
	 * leaves the new root alone, without a directory to put the old root in. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die(ch, errno, "pivot_root %s: %m", root);
	if (umount2(".", MNT_DETACH) < 0)
		die(ch, errno, "detach the old root: %m");
	if (chdir("/") < 0)
		die(ch, errno, "chdir /: %m");
}

static void minimal_dev(const struct child *ch)
{
	static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
	                                       {"/proc/self/fd/0", "/dev/stdin"},
	                                       {"/proc/self/fd/1", "/dev/stdout"},
	                                       {"/proc/self/fd/2", "/dev/stderr"}};
	char path[64];

	mount_point(ch, "/dev", false);
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
	          "mode=755,size=65536k") < 0)
		die(ch, errno, "mount /dev: %m");
	for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
		if (ch->device_trees[i] < 0)
			continue; /* the host has none */
		snprintf(path, sizeof(path), "/dev/%s", devices[i]);
		attach(ch, ch->device_trees[i], path);
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			die(ch, errno, "symlink %s: %m", links[i][1]);
	mount_point(ch, "/dev/shm", false);
	if (mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "mode=1777,size=65536k") < 0)
		die(ch, errno, "mount /dev/shm: %m");
}

static void special_mounts(const struct child *ch)
{
	minimal_dev(ch);
	if (ch->sys_tree >= 0) {
		attach(ch, ch->sys_tree, "/sys");
	} else {
		mount_point(ch, "/sys", false);
		if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          NULL) < 0)
			die(ch, errno, "mount /sys: %m");
	}
	if (ch->proc_tree >= 0)
		attach(ch, ch->proc_tree, "/proc");
}

/* Step 3 for the host's root: a tmpfs root on <run dir>/root (the shim's; each container mounts
 * its own tmpfs there in its own mount namespace) with every top-level
 * entry of the host's root bound in recursively, symlinks (/bin -> usr/bin) copied. */
static void host_root(struct child *ch)
{
	char root[PATH_MAX], target[PATH_MAX];
	int rootfd, tree;
	DIR *dir;
	struct dirent *d;

	snprintf(root, sizeof(root), "%s/root", ch->a->config->run_dir);
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m,uid=0,gid=0") < 0)
		die(ch, errno, "mount the root's tmpfs on %s: %m", root);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = opendir("/");
	if (rootfd < 0 || !dir)
		die(ch, errno, "open %s: %m", rootfd < 0 ? root : "/");
	/* In a user namespace the child keeps the host's uid 0 until it execs, which the tmpfs
	 * (the namespace's) cannot record: from here files are made as the namespace's 0, and
	 * everything goes through the tmpfs's fd (that uid may not search the run dir's parents).
	 * Outside one, this changes nothing. */
	setfsuid(0);
	setfsgid(0);
	while ((d = readdir(dir))) {
		const char *name = d->d_name;
		struct stat st;
		ssize_t n;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlinkat(dirfd(dir), name, target, sizeof(target) - 1);
			if (n < 0)
				die(ch, errno, "readlink /%s: %m", name);
			target[n] = '\0';
			if (symlinkat(target, rootfd, name) < 0)
				die(ch, errno, "symlink /%s: %m", name);
			continue;
		}
		if (S_ISDIR(st.st_mode) ? mkdirat(rootfd, name, 0755) < 0
		                        : mknodat(rootfd, name, S_IFREG | 0644, 0) < 0)
			die(ch, errno, "mount point /%s: %m", name);
		snprintf(target, sizeof(target), "/%s", name);
		tree = clone_tree(target, false, false);
		if (tree < 0 || move_mount(tree, "", rootfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die(ch, errno, "bind %s: %m", target);
		close(tree);
		if (strv_pushf(&ch->host_entries, "%s", name) < 0)
			die(ch, ENOMEM, "out of memory");
	}
	closedir(dir);
	/* the tmpfs is a mount point already, as pivot_root wants */
	if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		die(ch, errno, "pivot_root %s: %m", root);
	if (umount2(".", MNT_DETACH) < 0)
		die(ch, errno, "detach the old root: %m");
	if (chdir("/") < 0)
		die(ch, errno, "chdir /: %m");
	close(rootfd);
}

/* readOnlyRootFilesystem on the host's root: every bound host directory, whole. */
static void host_root_read_only(const struct child *ch)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	char path[PATH_MAX];

	for (char **e = ch->host_entries; e && *e; e++) {
		snprintf(path, sizeof(path), "/%s", *e);
		if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			die(ch, errno, "read-only %s: %m", path);
	}
}

/* Then /sys: sysfs shows the net namespace of whoever mounted it, so a pod with a network of its
 * own gets a fresh, read-only sysfs (only its lo under /sys/class/net), with the host's cgroup
 * mounts carried over read-only. */
static void host_root_sys(const struct child *ch)
{
	int cgroup_tree;

	if (!(ch->a->config->clone_flags & CLONE_NEWNET))
		return;
	cgroup_tree = clone_tree("/sys/fs/cgroup", false, true);
	if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die(ch, errno, "mount /sys: %m");
	if (cgroup_tree >= 0)
		attach(ch, cgroup_tree, "/sys/fs/cgroup");
}

/* Step 4. A fresh proc is mounted here, in the child: it shows the pid namespace of the
 * mounting process, which is the container's (or the pod's) own. */
static void plan_mounts(const struct child *ch)
{
	const struct shim_container *c = ch->c;
	char data[1024];

	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];
		unsigned long flags;

		if (ch->trees[i] >= 0) {
			attach(ch, ch->trees[i], m->destination);
			continue;
		}
		flags = mount_flags(m->options, data, sizeof(data));
		mount_point(ch, m->destination, false);
		if (mount(m->source, m->destination, m->type, flags, data[0] ? data : NULL) < 0)
			die(ch, errno, "mount %s (%s): %m", m->destination, m->type);
	}
	/* The pod's hostname and hosts, bind-mounted from the run dir over files the root
	 * already has: the host's own files (or the image's) are never written. */
	struct stat st;
	if (ch->hostname_tree >= 0 && stat("/etc/hostname", &st) == 0 && S_ISREG(st.st_mode))
		attach(ch, ch->hostname_tree, "/etc/hostname");
	if (ch->hosts_tree >= 0 && stat("/etc/hosts", &st) == 0 && S_ISREG(st.st_mode))
		attach(ch, ch->hosts_tree, "/etc/hosts");
	if (c->root.read_only) {
		struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

		if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) < 0)
			die(ch, errno, "read-only root: %m");
	}
}

/* Step 5. */
static _Noreturn void credentials_and_exec(const struct child *ch)
{
	const struct plan_process *p = &ch->c->process;

	if (setgroups(p->n_supplemental_groups, (const gid_t *)p->supplemental_groups) < 0)
		die(ch, errno, "setgroups: %m");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		die(ch, errno, "setresgid %u: %m", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		die(ch, errno, "setresuid %u: %m", p->uid);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(ch, errno, "no_new_privs: %m");
	if (chdir(p->cwd) < 0)
		die(ch, errno, "chdir %s: %m", p->cwd);
	/* execvpe() searches the PATH of environ, not of its envp: the plan's env becomes
	 * environ first. */
	environ = p->env;
	execvpe(p->args[0], p->args, p->env);
	die(ch, errno, "%s", strerror(errno));
}

_Noreturn void shim_child_run(const struct shim_child_args *a)
{
	struct child ch = {.a = a, .c = a->container};
	sigset_t none;
	char byte;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (a->sync_fd >= 0) {
		if (read(a->sync_fd, &byte, 1) != 1)
			_exit(127); /* the parent gave up: it reports why */
		if ((a->container->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
			die(&ch, errno, "unshare(CLONE_NEWCGROUP): %m");
	}
	if (dup2(a->stdin_fd, 0) < 0 || dup2(a->stdout_fd, 1) < 0 || dup2(a->stderr_fd, 2) < 0)
		die(&ch, errno, "stdio: %m");
	/* Nothing of the shim's (socket, epoll, other containers' pipes) may reach the exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	ch.trees = calloc(ch.c->n_mounts + 1, sizeof(int));
	if (!ch.trees)
		die(&ch, ENOMEM, "out of memory");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(&ch, errno, "make / rprivate: %m");
	clone_sources(&ch);
	if (ch.c->root.kind != PLAN_ROOT_HOST) {
		pivot_root_to(&ch, ch.c->root.path);
		special_mounts(&ch);
	} else {
		host_root(&ch);
		host_root_sys(&ch);
		if (ch.c->root.read_only)
			host_root_read_only(&ch);
	}
	plan_mounts(&ch);
	credentials_and_exec(&ch);
}
