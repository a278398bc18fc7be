/* pkg/runtime/shim_mounter.c: the root of an image's container in a pod with hostUsers: false.
 *
 * The image's layers are the node's files, owned by the node's ids. Through an idmapped mount
 * of each layer (mount_setattr MOUNT_ATTR_IDMAP with the pod's user namespace) a file the node's
 * uid N owns is the pod's uid N, the node's userns_base + N: the layers' root files are the
 * container's root's, and the layers are never chowned (other pods share them). The writable
 * upper and work directories are given to the pod's root, so what the container writes is its.
 *
 * Two steps need a privilege that P1 lost when P0 entered the pod's user namespace: idmapping a
 * mount needs CAP_SYS_ADMIN over the layers' filesystem (the node's user namespace), and the
 * overlay must be mounted there too, since it reads the layers' opaque directories from
 * trusted.overlay.opaque, which only the node's root may read (an overlay mounted in the pod's
 * namespace would see through them). So P0, for a pod with hostUsers: false and a container
 * whose root is an image, forks the mounter before it unshares the user namespace. The mounter
 * stays in the node's namespaces, gets the pod's user namespace from P0 once it is made and
 * mapped, and answers one peer, P1, over a socketpair: for each start of such a container it
 * makes the run's writable layer anew (<layer>/upper and work, the pod's root's), mounts each layer
 * idmapped (read-only) and the overlay of them (lowerdir+ by descriptor, Linux 6.8+), detached, and
 * sends that mount back; the container's child attaches it as its root (shim_child.c). It exits
 * when P1's end closes.
 *
 * It must do nothing else: no request but P1's, nothing run of the container's, no mount
 * attached anywhere. A filesystem that cannot be idmapped (mount_setattr: EINVAL or
 * EOPNOTSUPP) is the start's error, in words that say so.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "shim.h"

/* A request: <layer>\0<image>\0<lowerdir>\0..., top layer first. */
#define REQUEST_MAX 65536

/* One message and at most one descriptor (close-on-exec, -1 without). 0 on EOF. */
static ssize_t receive_with_fd(int sock, void *buf, size_t size, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EMSGSIZE;
	}
	return n;
}

struct mounter {
	const struct shim_config *c; /* the pod's, as P0 read it */
	int userns;                  /* the pod's user namespace */
	uid_t root_uid;              /* the node's id of the pod's root */
	gid_t root_gid;
	struct shim_child_error *e; /* the reply's error */
};

static int say(struct mounter *m, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int say(struct mounter *m, int errnum, const char *fmt, ...)
{
	va_list ap;

	m->e->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(m->e->message, sizeof(m->e->message), fmt, ap);
	va_end(ap);
	return -errnum;
}

/* One layer, idmapped with the pod's user namespace, as a lower layer of the overlay fs. *tree
 * stays open until the overlay is made: closing a detached mount's last descriptor unmounts
 * it, and overlayfs takes its layers (clone_private_mount) only at FSCONFIG_CMD_CREATE. */
static int idmapped_layer(struct mounter *m, int fs, const char *image, const char *lower,
                          int *tree)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY,
	                          .userns_fd = (uint64_t)m->userns};
	char path[64];

	*tree = (int)syscall(SYS_open_tree, AT_FDCWD, lower, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (*tree < 0)
		return say(m, errno, "layer %s of the image %s: %s", lower, image, strerror(errno));
	if (syscall(SYS_mount_setattr, *tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		int saved = errno;

		if (saved == EINVAL || saved == EOPNOTSUPP || saved == ENOSYS)
			return say(m, saved,
			           "the image %s cannot be the root of a pod with hostUsers: false "
			           "here: its layer %s is on a filesystem this kernel cannot mount "
			           "idmapped (mount_setattr MOUNT_ATTR_IDMAP: %s), and its files "
			           "belong to ids the pod's user namespace does not map",
			           image, lower, strerror(saved));
		return say(m, saved, "idmap the layer %s of the image %s: %s", lower, image,
		           strerror(saved));
	}
	/* by descriptor (Linux 6.13), else by its /proc path (a detached mount has no other) */
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, *tree) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", *tree);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", path, 0) < 0)
		return say(m, errno,
		           "the idmapped layer %s of the image %s as a lower layer (overlayfs's "
		           "lowerdir+, Linux 6.8): %s",
		           lower, image, strerror(errno));
	return 0;
}

static void close_trees(int **trees)
{
	for (int *t = *trees; t && *t != -2; t++)
		if (*t >= 0)
			close(*t);
	free(*trees);
}

/* The mounter acts as the node's root on what P1 names, and P1 lives in the pod's user
 * namespace, within reach of the pod's processes: it takes only what a request of the shim's
 * own could name. The writable layer is one of the pod's image containers' (from shim.json,
 * read before the pod's namespace existed), and each lower directory is a layer of the image
 * store, <images>/layers/sha256/<64 hex>/root, with no "." or ".." on the way. */
static bool request_allowed(const struct mounter *m, const char *layer)
{
	for (size_t i = 0; i < m->c->n_containers; i++) {
		const struct plan_root *root = &m->c->containers[i].root;

		if (root->kind == PLAN_ROOT_IMAGE && root->layer && strcmp(root->layer, layer) == 0)
			return true;
	}
	return false;
}

static bool store_layer(const char *lower)
{
	static const char marker[] = "/layers/sha256/";
	const char *p = strstr(lower, marker), *hex;

	if (lower[0] != '/' || strstr(lower, "/./") || strstr(lower, "/../") || !p)
		return false;
	while (strstr(p + 1, marker))
		p = strstr(p + 1, marker);
	hex = p + sizeof(marker) - 1;
	for (size_t i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return strcmp(hex + 64, "/root") == 0;
}

/* The overlay of a request's layers under its upper directory, detached; -errno and m->e. */
static int overlay(struct mounter *m, char *req, size_t len, int *out)
{
	__attribute__((cleanup(close_trees))) int *trees = NULL;
	size_t n = 0;
	const char *end = req + len, *layer = req, *image, *lower;
	char upper[PATH_MAX], work[PATH_MAX];
	_cleanup_close_ int fs = -1;
	int r, mnt;

	if (len == 0 || req[len - 1] != '\0')
		return say(m, EINVAL, "a malformed request to the mounter");
	image = layer + strlen(layer) + 1;
	if (image >= end || image + strlen(image) + 1 >= end || layer[0] != '/' ||
	    snprintf(upper, sizeof(upper), "%.*s/upper", PATH_MAX - 8, layer) >= PATH_MAX - 1)
		return say(m, EINVAL, "a malformed request to the mounter");
	snprintf(work, sizeof(work), "%.*s/work", PATH_MAX - 8, layer);
	if (!request_allowed(m, layer))
		return say(m, EPERM, "the mounter makes no layer %s: not a container's of this pod",
		           layer);
	for (lower = image + strlen(image) + 1; lower < end; lower += strlen(lower) + 1)
		if (!store_layer(lower))
			return say(m, EPERM,
			           "the mounter mounts no %s: not a layer of the image store",
			           lower);
	/* A new, empty writable layer for this run, made here and not by P1: the last run's
	 * holds what overlayfs made as the node's root (its work directory's "work", mode 0),
	 * which P1 may not remove. The pod's root owns what the container writes. */
	r = rm_rf(layer);
	if (r < 0)
		return say(m, -r, "remove the last run's layer %s: %s", layer, strerror(-r));
	if (mkdir_p(upper, 0755) < 0 || mkdir(work, 0700) < 0)
		return say(m, errno, "make the writable layer %s: %s", layer, strerror(errno));
	if (fchownat(AT_FDCWD, upper, m->root_uid, m->root_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchownat(AT_FDCWD, work, m->root_uid, m->root_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return say(m, errno, "give the writable layer %s to the pod's root: %s", layer,
		           strerror(errno));
	fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return say(m, errno, "fsopen overlay: %s", strerror(errno));
	/* one descriptor per layer at most (each at least "/" and its NUL), then -2 */
	trees = malloc((len / 2 + 1) * sizeof(*trees));
	if (!trees)
		return say(m, ENOMEM, "out of memory");
	trees[0] = -2;
	for (lower = image + strlen(image) + 1; lower < end; lower += strlen(lower) + 1) {
		trees[n + 1] = -2;
		r = idmapped_layer(m, fs, image, lower, &trees[n]);
		n++;
		if (r < 0)
			return r;
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    /* never synced: shim_child.c's overlay_root says why */
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return say(m, errno,
		           "mount the root (overlay of the image %s, idmapped, under %s): %s",
		           image, layer, strerror(errno));
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return say(m, errno, "mount the root (the image %s): %s", image, strerror(errno));
	*out = mnt;
	return 0;
}

static _Noreturn void mounter_run(const struct shim_config *c, int sock)
{
	static char req[REQUEST_MAX];
	struct shim_child_error e;
	struct mounter m = {.c = c, .e = &e};
	unsigned base_u = 0, base_g = 0;
	ssize_t n;

	if (sscanf(c->uid_map, "0 %u", &base_u) != 1 || sscanf(c->gid_map, "0 %u", &base_g) != 1)
		_exit(1); /* P1 reads EOF: its start says the mounter is gone */
	m.root_uid = base_u, m.root_gid = base_g;
	/* P0's first message: the pod's user namespace, mapped; EOF when P0 failed before */
	n = receive_with_fd(sock, req, sizeof(req), &m.userns);
	if (n <= 0 || m.userns < 0)
		_exit(0);
	for (;;) {
		int fd = -1, mnt = -1;

		n = receive_with_fd(sock, req, sizeof(req), &fd);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			_exit(n == 0 ? 0 : 1);
		e = (struct shim_child_error){0};
		overlay(&m, req, (size_t)n, &mnt);
		if (shim_send_fd(sock, &e, sizeof(e), mnt) < 0)
			_exit(1);
		if (mnt >= 0)
			close(mnt);
	}
}

bool shim_mounter_needed(const struct shim_config *c)
{
	if (!c->uid_map)
		return false;
	for (size_t i = 0; i < c->n_containers; i++)
		if (c->containers[i].root.kind == PLAN_ROOT_IMAGE)
			return true;
	return false;
}

int shim_mounter_fork(const struct shim_config *c, int *sock, struct nano_err *err)
{
	int pair[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return nano_err_set(err, errno, "socketpair: %m");
	pid = fork();
	if (pid < 0) {
		int saved = errno;

		close(pair[0]);
		close(pair[1]);
		return nano_err_set(err, saved, "fork the mounter: %s", strerror(saved));
	}
	if (pid == 0) {
		close(pair[0]);
		mounter_run(c, pair[1]);
	}
	close(pair[1]);
	*sock = pair[0];
	return 0;
}

int shim_mounter_give_userns(int sock, struct nano_err *err)
{
	_cleanup_close_ int userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	int r;

	if (userns < 0)
		return nano_err_set(err, errno, "open /proc/self/ns/user: %m");
	r = shim_send_fd(sock, "userns", 6, userns);
	if (r < 0)
		return nano_err_set(err, -r, "send the pod's user namespace to the mounter: %s",
		                    strerror(-r));
	return 0;
}

int shim_mounter_root(int sock, const struct plan_root *root, int *mnt, struct nano_err *err)
{
	_cleanup_free_ char *req = NULL;
	struct shim_child_error e = {0};
	size_t len = 0, size = 0;
	ssize_t n;
	int r;

	*mnt = -1;
	if (sock < 0)
		return nano_err_set(err, EPERM, "no mounter for the image %s", root->path);
	if (!root->lowerdirs || !root->lowerdirs[0] || !root->layer)
		return nano_err_set(err, ENOENT, "the image %s is not on the node yet", root->path);
	size = strlen(root->layer) + strlen(root->image ? root->image : root->path) + 2;
	for (char **l = root->lowerdirs; *l; l++)
		size += strlen(*l) + 1;
	if (size > REQUEST_MAX)
		return nano_err_set(err, E2BIG, "the image %s has too many layers", root->path);
	req = malloc(size);
	if (!req)
		return nano_err_set(err, ENOMEM, "out of memory");
	len += (size_t)sprintf(req + len, "%s", root->layer) + 1;
	len += (size_t)sprintf(req + len, "%s", root->image ? root->image : root->path) + 1;
	for (char **l = root->lowerdirs; *l; l++)
		len += (size_t)sprintf(req + len, "%s", *l) + 1;
	r = shim_send_fd(sock, req, len, -1);
	if (r < 0)
		return nano_err_set(err, -r, "ask the mounter: %s", strerror(-r));
	n = receive_with_fd(sock, &e, sizeof(e), mnt);
	if (n != (ssize_t)sizeof(e)) {
		if (*mnt >= 0)
			close(*mnt);
		*mnt = -1;
		return nano_err_set(err, n < 0 ? (int)-n : EIO, "the mounter did not answer");
	}
	if (e.errnum) {
		if (*mnt >= 0)
			close(*mnt);
		*mnt = -1;
		e.message[sizeof(e.message) - 1] = '\0';
		return nano_err_set(err, e.errnum, "%s", e.message);
	}
	if (*mnt < 0)
		return nano_err_set(err, EIO, "the mounter sent no mount");
	return 0;
}
