/* pkg/runtime/shim_child.c: the container's child between clone and exec — the only code that
 * builds what a container sees and may do: its root, its mounts, its credentials, its
 * capabilities and its seccomp filter.
 *
 * Order, as runc and crun do it:
 *   1. wait until the parent has written the cgroup files, then unshare the cgroup namespace
 *      (so its root is the container's own cgroup), stdio onto the pipes
 *   2. make every mount private; read what must come from the node's /proc (the kernel's
 *      last capability) and clone every bind source (the run dir is the node root's alone)
 *   3. the root, mounted on <run dir>/root: the image (the node's root filesystem, or a
 *      directory) under the container's writable layer (overlayfs), or in a user namespace the
 *      image bound read-only; the host image's hidden paths masked
 *   4. every plan mount inside it, in order (the container's own /proc, /dev, /sys, ...; then
 *      its volumes), each target resolved inside the root (openat2 RESOLVE_IN_ROOT, so a
 *      symlink in the image cannot reach the node's files) and made there when missing (in
 *      the writable layer, never on the node); device nodes, /etc/hostname, hosts and
 *      resolv.conf; the run's termination message file at terminationMessagePath (a mount
 *      point made only in the container's own filesystems); masked and read-only paths
 *   5. pivot_root into it and detach the node's tree: from here the node's /proc, /sys and /dev
 *      are not in the container's mount tree. All of 3 and 4 happen before, while the node's
 *      procfs and sysfs are still in the namespace: a user namespace may mount a new proc or
 *      sysfs only then (the kernel's mount_too_revealing)
 *   6. readOnlyRootFilesystem; then shim_process_tail: the bounding set, setgroups, setresgid,
 *      setresuid (keeping the capabilities across it), the seccomp filter the shim compiled,
 *      the final capability sets, no_new_privs, exec. A process exec'd into the container
 *      (shim_exec.c) goes through the same tail: it never gets more than the container's own.
 * Any failure is written to the error pipe (errno and a message) and the child exits 127.
 *
 * It runs in a fork-like clone3 child of a single-threaded process (the shim has no threads),
 * so libc and ASan are in a consistent state; it must never return into the shim's loop, and
 * never write to the node's files: what is missing is made in the container's own layer or
 * tmpfs, or refused.
 */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "shim.h"

extern char **environ;

struct child {
	const struct shim_child_args *a;
	const struct shim_container *c;
	bool userns;
	char root[PATH_MAX]; /* <run dir>/root, where the root is mounted */
	int rootfd;          /* O_PATH of it, once mounted */
	int last_cap;        /* /proc/sys/kernel/cap_last_cap */
	uint64_t held;       /* the permitted set the child starts with: no set can exceed it */
	int *trees; /* per plan mount: the source's tree, cloned first, for a bind; else -1 */
	int name_trees[3];    /* <run dir>/hostname, hosts, resolv.conf, cloned first, or -1 */
	int termination_tree; /* the run's termination message file, cloned first, or -1 */
	int ro_later;         /* the plan mount made read-only after that file's mount point */
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
	static const char *const ignored[] = {"bind",   "rbind",  "private", "rprivate", "slave",
	                                      "rslave", "shared", "rshared", "rw"};
	unsigned long flags = 0;

	data[0] = '\0';
	for (size_t i = 0; options && options[i]; i++) {
		bool known = false;

		for (size_t k = 0; k < ELEMENTSOF(table); k++)
			if (strcmp(options[i], table[k].name) == 0) {
				flags |= table[k].flag;
				known = true;
			}
		for (size_t k = 0; k < ELEMENTSOF(ignored); k++)
			if (strcmp(options[i], ignored[k]) == 0)
				known = true;
		if (!known) {
			size_t len = strlen(data);

			snprintf(data + len, size - len, "%s%s", len ? "," : "", options[i]);
		}
	}
	return flags;
}

/* The mount attributes of a bind mount's options: ro, nosuid, nodev, noexec. */
static uint64_t bind_attributes(char *const *options)
{
	return (has_option(options, "ro") ? MOUNT_ATTR_RDONLY : 0) |
	       (has_option(options, "nosuid") ? MOUNT_ATTR_NOSUID : 0) |
	       (has_option(options, "nodev") ? MOUNT_ATTR_NODEV : 0) |
	       (has_option(options, "noexec") ? MOUNT_ATTR_NOEXEC : 0);
}

/* A detached copy of the tree at path (dirfd-relative; "" for dirfd itself), recursive or
 * not, with attributes set on all of it. -1 and errno on failure. */
static int clone_tree_at(int dirfd, const char *path, bool recursive, uint64_t attributes)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) |
	                 (*path ? 0 : AT_EMPTY_PATH);
	int fd = open_tree(dirfd, path, flags);

	if (fd >= 0 && attributes) {
		struct mount_attr attr = {.attr_set = attributes};

		if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
		                  sizeof(attr)) < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

/* ---- paths inside the root ------------------------------------------------------------------ */

enum make { MAKE_NOTHING, MAKE_DIR, MAKE_FILE };

/* An O_PATH fd of path resolved inside the root (RESOLVE_IN_ROOT: "..", absolute symlinks and
 * the path itself stay in the root), made first when missing and make says what: its parents
 * as directories, then itself. -1 and errno when it cannot be had. */
static int resolve(const struct child *ch, const char *path, enum make make)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char parent[PATH_MAX];
	const char *base;
	int fd, pfd, saved;

	while (*path == '/')
		path++;
	if (!*path)
		return (int)syscall(SYS_openat2, ch->rootfd, ".", &how, sizeof(how));
	fd = (int)syscall(SYS_openat2, ch->rootfd, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOENT || make == MAKE_NOTHING)
		return fd;
	base = strrchr(path, '/');
	snprintf(parent, sizeof(parent), "%.*s", base ? (int)(base - path) : 0, path);
	base = base ? base + 1 : path;
	pfd = resolve(ch, parent, MAKE_DIR);
	if (pfd < 0)
		return -1;
	if (make == MAKE_DIR) {
		if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
			goto fail;
	} else {
		int f = openat(pfd, base, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (f < 0 && errno != EEXIST)
			goto fail;
		if (f >= 0)
			close(f);
	}
	close(pfd);
	return (int)syscall(SYS_openat2, ch->rootfd, path, &how, sizeof(how));
fail:
	saved = errno;
	close(pfd);
	errno = saved;
	return -1;
}

/* The /proc/self/fd path of an fd, for mount(2)'s target: the node's procfs is still there. */
static const char *fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}

/* Puts a detached tree on path inside the root (a mount point made when missing: a
 * directory, or an empty file for a tree that is a file). Takes tree. */
static void attach(const struct child *ch, int tree, const char *path)
{
	struct stat st;
	int target;

	if (fstat(tree, &st) < 0)
		die(ch, errno, "mount %s: %m", path);
	target = resolve(ch, path, S_ISDIR(st.st_mode) ? MAKE_DIR : MAKE_FILE);
	if (target < 0)
		die(ch, errno, "mount point %s: %m", path);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(ch, errno, "mount %s: %m", path);
	close(target);
	close(tree);
}

/* A new filesystem on path inside the root (a directory, made when missing). */
static void mount_new(const struct child *ch, const char *path, const char *type,
                      const char *source, unsigned long flags, const char *data)
{
	char buf[64];
	int target = resolve(ch, path, MAKE_DIR);

	if (target < 0)
		die(ch, errno, "mount point %s: %m", path);
	if (mount(source, fd_path(target, buf, sizeof(buf)), type, flags, data) < 0)
		die(ch, errno, "mount %s (%s): %m", path, type);
	close(target);
}

/* ---- step 3: the root ---------------------------------------------------------------------- */

/* overlayfs reads its layers from one option string: these characters would split it. */
static void check_layer_path(const struct child *ch, const char *path)
{
	if (strpbrk(path, ",:\\"))
		die(ch, EINVAL, "the path %s holds ',', ':' or '\\', which overlayfs cannot take",
		    path);
}

/* The image under the container's writable layer. The shim made <layer>/upper and work
 * empty before this run; only the image's own filesystem is a layer (overlayfs does not cross
 * the mounts below it), so none of the node's other mounts is part of the root.
 *
 * Every writable layer is mounted "volatile" (Linux 5.10): overlayfs then never syncs the
 * upper directory's filesystem. Without it, the unmount at the end of every run, in the
 * container's exit before its parent hears of it, ran syncfs on the whole filesystem of the
 * state directory: milliseconds on a quiet node, tens of them while anything else writes.
 * A run's layer is never used again (fresh_layer makes a new one, and after a crash it is
 * thrown away the same way), so what a sync would keep is never read; a container's fsync
 * there is a no-op too, as a writable layer's content does not outlive its run. */
static void overlay_root(const struct child *ch)
{
	const struct plan_root *root = &ch->c->root;
	char options[3 * PATH_MAX + 64];

	check_layer_path(ch, root->path);
	check_layer_path(ch, root->layer);
	snprintf(options, sizeof(options), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work,volatile",
	         root->path, root->layer, root->layer);
	if (mount("overlay", ch->root, "overlay", MS_NOSUID | MS_NODEV, options) < 0)
		die(ch, errno, "mount the root (overlay of %s under %s): %m", root->path,
		    root->layer);
}

/* An image's layers under the container's writable layer: one lowerdir+ per layer, top first,
 * through the new mount API (Linux 6.8), so that no option string bounds how many layers an
 * image has. An older kernel takes them as one "lowerdir=a:b:c" option, which must fit in a
 * page with the rest: past that, a clear error rather than a root missing layers. Volatile, as
 * overlay_root says why. */
static void overlay_image_root(const struct child *ch)
{
	const struct plan_root *root = &ch->c->root;
	char options[4096], upper[PATH_MAX], work[PATH_MAX];
	size_t len;
	int fs, mnt;

	snprintf(upper, sizeof(upper), "%s/upper", root->layer);
	snprintf(work, sizeof(work), "%s/work", root->layer);
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs >= 0) {
		bool plus = true;

		for (char **l = root->lowerdirs; plus && *l; l++)
			if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", *l, 0) < 0) {
				if (errno != EINVAL || l != root->lowerdirs)
					die(ch, errno, "the root's layer %s: %m", *l);
				plus = false; /* a kernel before lowerdir+ */
			}
		if (plus) {
			if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
			    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
			    fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 ||
			    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
				die(ch, errno,
				    "mount the root (overlay of the image %s under %s): %m",
				    root->image ? root->image : root->path, root->layer);
			mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
			if (mnt < 0 ||
			    move_mount(mnt, "", AT_FDCWD, ch->root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
				die(ch, errno, "mount the root (the image %s): %m",
				    root->image ? root->image : root->path);
			close(mnt);
			close(fs);
			return;
		}
		close(fs);
	}
	/* one string: ',', ':' and '\\' in a layer's path escaped with '\\', as overlayfs
	 * unescapes them (the store names layer directories sha256:<hex>) */
	len = (size_t)snprintf(options, sizeof(options), "lowerdir=");
	for (char **l = root->lowerdirs; *l && len < sizeof(options); l++) {
		if (l != root->lowerdirs)
			options[len++] = ':';
		for (const char *c = *l; *c && len + 2 < sizeof(options); c++) {
			if (strchr(",:\\", *c))
				options[len++] = '\\';
			options[len++] = *c;
		}
		if (len + 2 >= sizeof(options))
			len = sizeof(options); /* too long: refused below */
	}
	check_layer_path(ch, root->layer);
	len += (size_t)snprintf(options + len, len < sizeof(options) ? sizeof(options) - len : 0,
	                        ",upperdir=%s,workdir=%s,volatile", upper, work);
	if (len >= sizeof(options) - 1)
		die(ch, E2BIG,
		    "the image %s has %zu layers, too many for one overlayfs option string on a "
		    "kernel without lowerdir+ (Linux 6.8)",
		    root->image ? root->image : root->path, strv_len(root->lowerdirs));
	if (mount("overlay", ch->root, "overlay", MS_NOSUID | MS_NODEV, options) < 0)
		die(ch, errno, "mount the root (overlay of the image %s under %s): %m",
		    root->image ? root->image : root->path, root->layer);
}

/* In a user namespace, the image's overlay the mounter made of its layers idmapped with the
 * pod's user namespace (shim_mounter.c): made in the node's user namespace, attached here. */
static void idmapped_image_root(const struct child *ch)
{
	const struct plan_root *root = &ch->c->root;

	if (ch->a->root_mount_fd < 0)
		die(ch, EPERM, "the image %s: no idmapped root from the mounter",
		    root->image ? root->image : root->path);
	if (move_mount(ch->a->root_mount_fd, "", AT_FDCWD, ch->root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die(ch, errno, "attach the root (the image %s, idmapped): %m",
		    root->image ? root->image : root->path);
}

/* In a user namespace the child keeps the node's uid 0 until it execs, which the namespace does
 * not map: what it makes in the container's own filesystems (mount points, the tmpfs root) must
 * belong to the namespace's root. Done once the node's paths it needs were walked (the run dir
 * is the node root's alone). Outside one, this changes nothing. */
static void as_namespace_root(const struct child *ch)
{
	if (ch->userns) {
		setfsuid(0);
		setfsgid(0);
	}
}

/* In a user namespace, the host image: a tmpfs holding a read-only recursive bind of each of
 * the node's top-level directories and files (and a copy of its top-level symlinks, /bin ->
 * usr/bin), but for those a plan mount covers. The tmpfs is mounted here, as the node's root;
 * populate_host_root fills it once the child acts as the namespace's root. */
static void host_root_tmpfs(const struct child *ch)
{
	if (mount("tmpfs", ch->root, "tmpfs", MS_NOSUID | MS_NODEV,
	          "mode=755,size=1m,uid=0,gid=0") < 0)
		die(ch, errno, "mount the root's tmpfs on %s: %m", ch->root);
}

/* Whether a plan mount covers the top-level name whole (the container's own /proc, /dev, /run,
 * ..., or a volume): the node's entry there need not be bound. */
static bool covered(const struct child *ch, const char *name)
{
	for (size_t i = 0; i < ch->c->n_mounts; i++) {
		const char *d = ch->c->mounts[i].destination;

		if (d[0] == '/' && strcmp(d + 1, name) == 0)
			return true;
	}
	return false;
}

static void populate_host_root(const struct child *ch)
{
	char target[PATH_MAX];
	DIR *dir = opendir("/");
	struct dirent *d;
	int tree;

	if (!dir)
		die(ch, errno, "open /: %m");
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
			if (symlinkat(target, ch->rootfd, name) < 0)
				die(ch, errno, "symlink /%s: %m", name);
			continue;
		}
		if (S_ISDIR(st.st_mode) ? mkdirat(ch->rootfd, name, 0755) < 0
		                        : mknodat(ch->rootfd, name, S_IFREG | 0644, 0) < 0)
			die(ch, errno, "mount point /%s: %m", name);
		if (covered(ch, name))
			continue;
		tree = clone_tree_at(dirfd(dir), name, true, MOUNT_ATTR_RDONLY);
		if (tree < 0 || move_mount(tree, "", ch->rootfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die(ch, errno, "bind /%s: %m", name);
		close(tree);
	}
	closedir(dir);
}

/* In a user namespace, a directory image bound read-only. */
static void path_root_read_only(const struct child *ch)
{
	int tree = clone_tree_at(AT_FDCWD, ch->c->root.path, true, MOUNT_ATTR_RDONLY);

	if (tree < 0 || move_mount(tree, "", AT_FDCWD, ch->root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die(ch, errno, "bind the root %s: %m", ch->c->root.path);
	close(tree);
}

/* Masks path inside the root, as runc masks paths: a directory gets an empty read-only tmpfs,
 * anything else the node's /dev/null. A path the root lacks needs no mask. */
static void mask(const struct child *ch, const char *path)
{
	char buf[64];
	struct stat st;
	int target = resolve(ch, path, MAKE_NOTHING);

	if (target < 0) {
		if (errno == ENOENT)
			return;
		die(ch, errno, "mask %s: %m", path);
	}
	if (fstat(target, &st) < 0)
		die(ch, errno, "mask %s: %m", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fd_path(target, buf, sizeof(buf)), "tmpfs", MS_RDONLY,
		          "size=0,mode=755") < 0)
			die(ch, errno, "mask %s: %m", path);
	} else {
		int tree = clone_tree_at(AT_FDCWD, "/dev/null", false, 0);

		if (tree < 0 || move_mount(tree, "", target, "",
		                           MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			die(ch, errno, "mask %s: %m", path);
		close(tree);
	}
	close(target);
}

/* mask(), with a '*' in the last name matched against the directory's entries in the root. */
static void mask_pattern(const struct child *ch, const char *pattern)
{
	const char *slash = strrchr(pattern, '/');
	char dir_path[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	struct dirent *d;
	DIR *dir;
	int fd;

	if (!strchr(pattern, '*') || !slash)
		return mask(ch, pattern);
	snprintf(dir_path, sizeof(dir_path), "%.*s", (int)(slash - pattern), pattern);
	fd = resolve(ch, dir_path, MAKE_NOTHING);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		die(ch, errno, "mask %s: %m", pattern);
	}
	/* an O_PATH fd cannot be read: reopen the directory through it */
	dir = fdopendir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	close(fd);
	if (!dir)
		die(ch, errno, "mask %s: %m", pattern);
	while ((d = readdir(dir)))
		if (fnmatch(slash + 1, d->d_name, FNM_PERIOD) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir_path, d->d_name);
			mask(ch, path);
		}
	closedir(dir);
}

static void mount_root(struct child *ch)
{
	const struct plan_root *root = &ch->c->root;
	struct stat st;

	snprintf(ch->root, sizeof(ch->root), "%s/root", ch->a->config->run_dir);
	if (root->kind == PLAN_ROOT_IMAGE) {
		if (!root->lowerdirs || !root->lowerdirs[0] || !root->layer)
			die(ch, ENOENT, "the image %s is not on the node yet", root->path);
		for (char **l = root->lowerdirs; *l; l++) {
			if (stat(*l, &st) < 0)
				die(ch, errno, "layer %s of the image %s: %m", *l, root->path);
			if (!S_ISDIR(st.st_mode))
				die(ch, ENOTDIR, "layer %s of the image %s: %s", *l, root->path,
				    strerror(ENOTDIR));
		}
		if (ch->userns)
			idmapped_image_root(ch);
		else
			overlay_image_root(ch);
	} else if (stat(root->path, &st) < 0) {
		die(ch, errno, "root %s: %m", root->path);
	} else if (!S_ISDIR(st.st_mode)) {
		die(ch, ENOTDIR, "root %s: %s", root->path, strerror(ENOTDIR));
	} else if (root->layer) {
		overlay_root(ch);
	} else if (root->kind == PLAN_ROOT_HOST) {
		host_root_tmpfs(ch);
	} else {
		path_root_read_only(ch);
	}
	ch->rootfd = open(ch->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ch->rootfd < 0)
		die(ch, errno, "open the root %s: %m", ch->root);
	as_namespace_root(ch);
	if (!root->layer && root->kind == PLAN_ROOT_HOST)
		populate_host_root(ch);
	for (char **h = root->hidden; h && *h; h++)
		mask_pattern(ch, *h);
}

/* ---- step 4: mounts -------------------------------------------------------------------------- */

/* A tmpfs /dev gets the node's device files the plan allows (bound: a user namespace may not
 * make device nodes) and the usual links. */
static void populate_dev(const struct child *ch)
{
	static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
	                                       {"/proc/self/fd/0", "/dev/stdin"},
	                                       {"/proc/self/fd/1", "/dev/stdout"},
	                                       {"/proc/self/fd/2", "/dev/stderr"},
	                                       {"pts/ptmx", "/dev/ptmx"}};
	int dev = resolve(ch, "/dev", MAKE_NOTHING), tree;

	if (dev < 0)
		die(ch, errno, "/dev: %m");
	for (char **node = ch->c->device_nodes; node && *node; node++) {
		tree = clone_tree_at(AT_FDCWD, *node, false, 0);
		if (tree < 0) {
			if (errno == ENOENT)
				continue; /* the node has none */
			die(ch, errno, "device %s: %m", *node);
		}
		attach(ch, tree, *node);
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1] + strlen("/dev/")) < 0)
			die(ch, errno, "symlink %s: %m", links[i][1]);
	close(dev);
}

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
		if (i == (size_t)ch->ro_later)
			flags &= ~(unsigned long)MS_RDONLY;
		mount_new(ch, m->destination, m->type, m->source, flags, data[0] ? data : NULL);
		if (strcmp(m->destination, "/dev") == 0 && strcmp(m->type, "tmpfs") == 0)
			populate_dev(ch);
	}
}

static const char *const name_files_names[] = {"hostname", "hosts", "resolv.conf"};

/* The pod's hostname, hosts and resolv.conf, bound from the run dir over files the root already
 * has: the node's own files (or the image's) are never written. */
static void name_files(const struct child *ch)
{
	char path[32];
	struct stat st;

	for (size_t i = 0; i < ELEMENTSOF(name_files_names); i++) {
		int target;

		if (ch->name_trees[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/etc/%s", name_files_names[i]);
		target = resolve(ch, path, MAKE_NOTHING);
		if (target < 0 || fstat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (target >= 0)
				close(target);
			continue;
		}
		close(target);
		attach(ch, ch->name_trees[i], path);
	}
}

/* A read-only tmpfs of the plan's (/run and /tmp of a readOnlyRootFilesystem container) that
 * holds the terminationMessagePath: mounted writable, so that the file's mount point can be made
 * in it, then made read-only (read_only_later). -1: none. */
static int ro_later_mount(const struct child *ch)
{
	const char *path = ch->c->termination_message_path;
	char data[1024];
	int found = -1;

	if (!ch->a->termination_file || !path)
		return -1;
	for (size_t i = 0; i < ch->c->n_mounts; i++) {
		const struct plan_mount *m = &ch->c->mounts[i];
		size_t n = strlen(m->destination);

		/* the last mount on a directory holding the path is the one it lands in */
		if (strcmp(m->type, "bind") == 0 || strncmp(path, m->destination, n) != 0 ||
		    (path[n] != '/' && strcmp(m->destination, "/") != 0))
			continue;
		found = strcmp(m->type, "tmpfs") == 0 &&
		                        (mount_flags(m->options, data, sizeof(data)) & MS_RDONLY)
		                ? (int)i
		                : -1;
	}
	return found;
}

static void read_only_later(const struct child *ch)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	const char *path;
	int fd;

	if (ch->ro_later < 0)
		return;
	path = ch->c->mounts[ch->ro_later].destination;
	fd = resolve(ch, path, MAKE_NOTHING);
	if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die(ch, errno, "read-only %s: %m", path);
	close(fd);
}

/* Every bind source, and the name files, taken from the node before anything else: some lie in
 * directories only the node's root may walk (the run dir), and a user namespace's root may not
 * once the child acts as it. */
static void clone_sources(struct child *ch)
{
	const struct shim_container *c = ch->c;
	char source[PATH_MAX];

	ch->trees = calloc(c->n_mounts + 1, sizeof(int));
	if (!ch->trees)
		die(ch, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];

		ch->trees[i] = -1;
		if (strcmp(m->type, "bind") != 0)
			continue;
		ch->trees[i] = clone_tree_at(AT_FDCWD, m->source, has_option(m->options, "rbind"),
		                             bind_attributes(m->options));
		if (ch->trees[i] < 0)
			die(ch, errno, "mount %s: source %s: %m", m->destination, m->source);
	}
	for (size_t i = 0; i < ELEMENTSOF(name_files_names); i++) {
		snprintf(source, sizeof(source), "%s/%s", ch->a->config->run_dir,
		         name_files_names[i]);
		ch->name_trees[i] = clone_tree_at(AT_FDCWD, source, false, MOUNT_ATTR_RDONLY);
		/* no resolv.conf: the daemon made none (a shim.json of an older one) */
		if (ch->name_trees[i] < 0 && errno != ENOENT)
			die(ch, errno, "%s: %m", source);
	}
	ch->termination_tree = -1;
	ch->ro_later = ro_later_mount(ch);
	if (ch->a->termination_file) {
		ch->termination_tree =
		        clone_tree_at(AT_FDCWD, ch->a->termination_file, false,
		                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		if (ch->termination_tree < 0)
			die(ch, errno, "%s: %m", ch->a->termination_file);
	}
}

/* Whether the filesystem dev is one the container owns: its root (the writable layer, or a
 * user namespace's tmpfs), or one a plan mount made new for it (/dev's tmpfs, ...), never a
 * tree bound from the node (a privileged container's /dev, a hostPath), where a mount point
 * made would be a file left on the node. */
static bool owned_filesystem(const struct child *ch, dev_t dev)
{
	struct stat st;

	if (fstat(ch->rootfd, &st) == 0 && st.st_dev == dev)
		return true;
	for (size_t i = 0; i < ch->c->n_mounts; i++) {
		const struct plan_mount *m = &ch->c->mounts[i];
		int fd;
		bool same;

		if (strcmp(m->type, "bind") == 0)
			continue;
		fd = resolve(ch, m->destination, MAKE_NOTHING);
		if (fd < 0)
			continue;
		same = fstat(fd, &st) == 0 && st.st_dev == dev;
		close(fd);
		if (same)
			return true;
	}
	return false;
}

/* The run's termination message file over terminationMessagePath, as the kubelet binds it
 * there. A missing mount point is made (and its directories), as runc makes one, but only in
 * a writable filesystem the container owns: elsewhere the file is left out and the run has no
 * message.
 * Done before the root is made read-only, so readOnlyRootFilesystem keeps its message. */
static void termination_message(const struct child *ch)
{
	const char *path = ch->c->termination_message_path;
	char ancestor[PATH_MAX];
	struct statfs fs;
	struct stat st;
	int fd;

	if (ch->termination_tree < 0)
		return;
	fd = resolve(ch, path, MAKE_NOTHING);
	if (fd < 0 && errno != ENOENT)
		die(ch, errno, "terminationMessagePath %s: %m", path);
	if (fd < 0) {
		/* the nearest directory that exists decides where the mount point would go */
		snprintf(ancestor, sizeof(ancestor), "%s", path);
		do {
			char *slash = strrchr(ancestor, '/');

			*(slash && slash != ancestor ? slash : ancestor + 1) = '\0';
			fd = resolve(ch, ancestor, MAKE_NOTHING);
		} while (fd < 0 && errno == ENOENT && strcmp(ancestor, "/") != 0);
		if (fd < 0)
			die(ch, errno, "terminationMessagePath %s: %m", path);
		if (fstat(fd, &st) < 0 || fstatfs(fd, &fs) < 0)
			die(ch, errno, "terminationMessagePath %s: %m", path);
		close(fd);
		/* a read-only one (a user namespace's image bound read-only) cannot take one */
		if (!owned_filesystem(ch, st.st_dev) || (fs.f_flags & ST_RDONLY)) {
			close(ch->termination_tree);
			return;
		}
	} else {
		close(fd);
	}
	attach(ch, ch->termination_tree, path);
}

/* A path bound read-only onto itself (the plan's readOnlyPaths: /proc/sys, ...). */
static void read_only(const struct child *ch, const char *path)
{
	int target = resolve(ch, path, MAKE_NOTHING), tree;

	if (target < 0) {
		if (errno == ENOENT)
			return;
		die(ch, errno, "read-only %s: %m", path);
	}
	tree = clone_tree_at(target, "", true,
	                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	                             MOUNT_ATTR_NOEXEC);
	if (tree < 0 ||
	    move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(ch, errno, "read-only %s: %m", path);
	close(tree);
	close(target);
}

/* ---- step 5: into the root ------------------------------------------------------------------- */

static void pivot(const struct child *ch)
{
	/* pivot_root(".", "."): the old root ends up on top of the new one, and detaching it
	 * leaves the new root alone, without a directory to put the old root in. */
	if (fchdir(ch->rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		die(ch, errno, "pivot_root %s: %m", ch->root);
	if (umount2(".", MNT_DETACH) < 0)
		die(ch, errno, "detach the node's tree: %m");
	if (chdir("/") < 0)
		die(ch, errno, "chdir /: %m");
	if (ch->c->root.read_only) {
		struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

		if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) < 0)
			die(ch, errno, "read-only root: %m");
	}
}

/* ---- step 6: credentials, capabilities, seccomp ------------------------------------------------
 *
 * shim_process_tail: the same for the container's process and for every process exec'd into it
 * (shim_exec.c), so that an exec never gets more than the container has. */

static _Noreturn __attribute__((format(printf, 3, 4))) void
tail_die(const struct shim_tail *t, int errnum, const char *fmt, ...)
{
	struct shim_child_error e = {.errnum = errnum > 0 ? errnum : EIO};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	(void)!write(t->error_fd, &e, sizeof(e));
	_exit(127);
}

/* What of set this process can hold: a node may run nanolet with a smaller bounding set than
 * the kernel knows (a container host's own sandbox), and no container gets more. */
static uint64_t known_caps(const struct shim_tail *t, uint64_t set)
{
	return set & t->held;
}

uint64_t shim_held_caps(void)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};

	if (syscall(SYS_capget, &header, data) < 0)
		return 0;
	return (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
}

int shim_last_cap(void)
{
	_cleanup_free_ char *text = NULL;
	int r = util_read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &text), last;

	last = r < 0 ? CAP_LAST_CAP : atoi(text);
	return last <= 0 || last >= SECURITY_CAP_COUNT ? SECURITY_CAP_COUNT - 1 : last;
}

static void set_caps(const struct shim_tail *t, uint64_t effective, uint64_t permitted,
                     uint64_t inheritable)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {
	        {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
	        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32),
	         (uint32_t)(inheritable >> 32)},
	};

	if (syscall(SYS_capset, &header, data) < 0)
		tail_die(t, errno, "capset: %m");
}

/* The filter the shim compiled for this container, if any. */
static void load_seccomp(const struct shim_tail *t)
{
	struct nano_err err = {0};

	if (t->seccomp && shim_seccomp_install(t->seccomp, &err) < 0)
		tail_die(t, err.errnum, "seccomp (%s): %s",
		         security_seccomp_kind_name(t->container->security.seccomp.kind),
		         err.message ? err.message : strerror(err.errnum));
}

/* PATH lookup in the process's own environment, as runc does it (Go's exec.LookPath): a name
 * with a slash is taken as it is, any other is searched in $PATH (an empty entry is the
 * working directory), and only a regular file with an execute bit is a candidate. 0 and the
 * path in out, or -errno with runc's words for it in why. */
int shim_look_path(const char *file, char *const *env, char *out, size_t size, char *why,
                   size_t why_size)
{
	const char *path = NULL;
	struct stat st;

	if (strchr(file, '/')) {
		if (stat(file, &st) < 0) {
			int saved = errno;

			snprintf(why, why_size, "exec: \"%s\": stat %s: %s", file, file,
			         strerror(saved));
			return -saved;
		}
		if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
			snprintf(why, why_size, "exec: \"%s\": permission denied", file);
			return -EACCES;
		}
		snprintf(out, size, "%s", file);
		return 0;
	}
	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	while (path && *file) {
		size_t len = strcspn(path, ":");

		snprintf(out, size, "%.*s%s%s", (int)len, len ? path : ".", "/", file);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return 0;
		if (!path[len])
			break;
		path += len + 1;
	}
	snprintf(why, why_size, "exec: \"%s\": executable file not found in $PATH", file);
	return -ENOENT;
}

/* An exec's program, found as runc finds it: what cannot be run is its exit status (127 not
 * found, 126 not executable), runc's words on its stderr, as `kubectl exec` shows them. */
static _Noreturn void exec_as_runc(const struct plan_process *p)
{
	char path[PATH_MAX], why[PATH_MAX + 128];
	int r = shim_look_path(p->args[0], p->env, path, sizeof(path), why, sizeof(why));

	if (r == 0) {
		execve(path, p->args, p->env);
		r = -errno;
		snprintf(why, sizeof(why), "exec: \"%s\": %s", p->args[0], strerror(-r));
	}
	dprintf(2, "%s\n", why);
	_exit(r == -ENOENT ? 127 : 126);
}

_Noreturn void shim_process_tail(const struct shim_tail *t)
{
	const struct plan_process *p = t->process;
	const struct security_caps *caps = &t->container->security.capabilities;
	uint64_t all = t->held;

	/* Every signal at its default, as a process of a fresh runtime starts: an ignored one
	 * (the shim's SIGPIPE, anything the daemon was started with) would stay ignored across
	 * execve. */
	runtime_signals_default();
	/* The bounding set first, while CAP_SETPCAP is still effective. */
	for (int cap = 0; cap <= t->last_cap; cap++)
		if (!(caps->bounding & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap) < 0)
			tail_die(t, errno, "drop %s from the bounding set: %m",
			         security_cap_name(cap) ?: "a capability");
	/* Keep the permitted set across the change of uid, to finish the work below. */
	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		tail_die(t, errno, "keepcaps: %m");
	if (setgroups(p->n_supplemental_groups, (const gid_t *)p->supplemental_groups) < 0)
		tail_die(t, errno, "setgroups: %m");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		tail_die(t, errno, "setresgid %u: %m", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		tail_die(t, errno, "setresuid %u: %m", p->uid);
	/* a uid other than 0 lost the effective set: back, for chdir and seccomp */
	set_caps(t, all, all, 0);
	if (chdir(p->cwd) < 0)
		tail_die(t, errno, "chdir %s: %m", p->cwd);
	/* Without no_new_privs a filter needs CAP_SYS_ADMIN: loaded while it is held, and the
	 * filter lets the last steps through (capset, prctl, execve), as runc's order does. */
	if (!p->no_new_privileges)
		load_seccomp(t);
	set_caps(t, known_caps(t, caps->effective), known_caps(t, caps->permitted),
	         known_caps(t, caps->inheritable));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		tail_die(t, errno, "clear the ambient set: %m");
	if (prctl(PR_SET_KEEPCAPS, 0) < 0)
		tail_die(t, errno, "keepcaps: %m");
	if (p->no_new_privileges) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			tail_die(t, errno, "no_new_privs: %m");
		load_seccomp(t);
	}
	if (t->runc_errors)
		exec_as_runc(p);
	/* execvpe() searches the PATH of environ, not of its envp: the plan's env becomes
	 * environ first. */
	environ = p->env;
	execvpe(p->args[0], p->args, p->env);
	tail_die(t, errno, "%s", strerror(errno));
}

/* ---- the child ---------------------------------------------------------------------------------
 */

/* What must be read from the node's /proc before its tree goes. */
static void read_from_node(struct child *ch)
{
	ch->last_cap = shim_last_cap();
	ch->held = shim_held_caps();
}

_Noreturn void shim_child_run(const struct shim_child_args *a)
{
	struct child ch = {
	        .a = a, .c = a->container, .rootfd = -1, .termination_tree = -1, .ro_later = -1};
	sigset_t none;
	char byte;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* the parent's writes first: it must not write the sync pipe of a child that died */
	if (a->sync_fd >= 0 && read(a->sync_fd, &byte, 1) != 1)
		_exit(127); /* the parent gave up: it reports why */
	for (size_t i = 0; i < a->n_join; i++) {
		int r = shim_cgroup_join_self(a->join_fds[i]);

		if (r < 0)
			die(&ch, -r, "join cgroup %s: %s", a->join_paths[i], strerror(-r));
	}
	if ((a->sync_fd >= 0 || a->n_join > 0) && (a->container->clone_flags & CLONE_NEWCGROUP) &&
	    unshare(CLONE_NEWCGROUP) < 0)
		die(&ch, errno, "unshare(CLONE_NEWCGROUP): %m");
	if (dup2(a->stdin_fd, 0) < 0 || dup2(a->stdout_fd, 1) < 0 || dup2(a->stderr_fd, 2) < 0)
		die(&ch, errno, "stdio: %m");
	/* Nothing of the shim's (socket, epoll, other containers' pipes) may reach the exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	ch.userns = a->config->uid_map != NULL;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(&ch, errno, "make / rprivate: %m");
	read_from_node(&ch);
	clone_sources(&ch);
	mount_root(&ch);
	plan_mounts(&ch);
	name_files(&ch);
	termination_message(&ch);
	read_only_later(&ch);
	for (char **m = ch.c->security.masked_paths; m && *m; m++)
		mask(&ch, *m);
	for (char **m = ch.c->security.read_only_paths; m && *m; m++)
		read_only(&ch, *m);
	pivot(&ch);
	shim_process_tail(&(struct shim_tail){.container = ch.c,
	                                      .process = &ch.c->process,
	                                      .seccomp = a->seccomp,
	                                      .held = ch.held,
	                                      .last_cap = ch.last_cap,
	                                      .error_fd = a->error_fd});
}
