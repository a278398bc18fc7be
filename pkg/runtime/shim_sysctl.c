/* pkg/runtime/shim_sysctl.c: writes the pod's sysctls (securityContext.sysctls) under
 * /proc/sys, once, in P1 after unshare and before any container starts.
 *
 * The kernel resolves a file of /proc/sys/net against the writer's network namespace, and the
 * IPC ones (kernel.shm*, kernel.msg*, kernel.sem, fs/mqueue) against its IPC namespace,
 * whichever /proc it opens: so P1, which holds the pod's namespaces, changes the pod's and
 * never the node's. That is only true of a namespace the pod owns: a sysctl whose namespace the
 * pod shares with the node (hostNetwork, hostIPC), or that lives in none (the node's), is
 * refused here too, whatever shim.json says.
 *
 * In a user namespace (hostUsers: false) P1 keeps the node's uid 0, which that namespace does
 * not map. The kernel lets root of the namespace's owner write a net sysctl by capability
 * (net_ctl_permissions: CAP_NET_ADMIN over the network namespace, which P1 has) but an IPC one
 * only by euid (ipc_permissions: the owner's uid 0): so a child becomes root of the user
 * namespace, as runc's init does (setresuid(0, 0, 0)), and writes them all. P1 itself cannot:
 * as that uid it could no longer reach the run directory the node's root owns.
 *
 * The messages are runc's (internal/sys/sysctl_linux.go), which the kubelet reports for a
 * sandbox that could not be made.
 */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

static int write_one(const struct plan_sysctl *s, unsigned long clone_flags, struct nano_err *err)
{
	_cleanup_free_ char *rel = security_sysctl_path(s->name);
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	unsigned long own = s->ns == SECURITY_SYSCTL_NS_NET   ? CLONE_NEWNET
	                    : s->ns == SECURITY_SYSCTL_NS_IPC ? CLONE_NEWIPC
	                                                      : 0;
	size_t len = strlen(s->value);
	ssize_t n;

	if (!own || !(clone_flags & own))
		return nano_err_set(err, EPERM,
		                    "sysctl %s: not in a namespace of the pod's own: nanolet never "
		                    "writes the node's",
		                    s->name);
	if (!rel || !security_sysctl_name_valid(s->name) || !(path = strdupf("/proc/sys/%s", rel)))
		return nano_err_set(err, rel ? EINVAL : ENOMEM, "sysctl %s: not a sysctl name",
		                    s->name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nano_err_set(err, errno, "open sysctl %s file: open %s: %m", s->name, path);
	n = write(fd, s->value, len);
	if (n != (ssize_t)len) {
		int e = n < 0 ? errno : EIO;

		return nano_err_set(err, e, "failed to write sysctl %s = \"%s\": write %s: %s",
		                    s->name, s->value, path, strerror(e));
	}
	return 0;
}

static int write_all(const struct shim_config *c, struct nano_err *err)
{
	for (size_t i = 0; i < c->n_sysctls; i++) {
		int r = write_one(&c->sysctls[i], c->clone_flags, err);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The child that writes as root of the pod's user namespace; reports a failure on fd. */
static _Noreturn void writer(const struct shim_config *c, int fd)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct shim_child_error e = {0};

	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		nano_err_set(&err, errno, "become root in the pod's user namespace: %m");
	else if (write_all(c, &err) >= 0)
		_exit(0);
	e.errnum = err.errnum;
	snprintf(e.message, sizeof(e.message), "%s", err.message ?: "out of memory");
	(void)!write(fd, &e, sizeof(e));
	_exit(1);
}

int shim_sysctls_write(const struct shim_config *c, struct nano_err *err)
{
	struct shim_child_error e = {0};
	_cleanup_close_ int res_r = -1;
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (c->n_sysctls == 0)
		return 0;
	if (!(c->clone_flags & CLONE_NEWUSER))
		return write_all(c, err);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return nano_err_set(err, errno, "pipe: %m");
	res_r = fds[0];
	pid = fork();
	if (pid < 0) {
		close(fds[1]);
		return nano_err_set(err, errno, "fork the sysctl writer: %m");
	}
	if (pid == 0) {
		close(TAKE_FD(res_r));
		writer(c, fds[1]);
	}
	close(fds[1]);
	n = read(res_r, &e, sizeof(e));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e))
		return nano_err_set(err, e.errnum ?: EIO, "%s", e.message);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return nano_err_set(err, EIO, "the sysctl writer failed");
	return 0;
}
