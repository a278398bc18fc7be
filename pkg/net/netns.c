/* pkg/net/netns.c: making something inside another network namespace — a moment in it (setns
 * to a pidfd or a namespace's descriptor) and straight back, on the daemon's one thread, so
 * nothing else runs meanwhile. A socket (netlink, TCP, ...) belongs to the namespace it was
 * created in, and keeps it after the thread left: link.c makes the pod's netlink socket this
 * way, a probe its connection (net_pod_socket). Nothing but the making happens inside.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"

#include "net_internal.h"

int net_in_netns(int nsfd, int (*make)(void *userdata, struct nano_err *err), void *userdata,
                 struct nano_err *err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return nano_err_set(err, errno, "open the daemon's network namespace: %m");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return nano_err_set(err, errno, "enter the pod's network namespace: %m");
	r = make(userdata, err);
	/* a thread that cannot get back must not go on: every later socket and change would land
	 * in the pod */
	if (setns(self, CLONE_NEWNET) < 0) {
		log_error("could not return to the daemon's network namespace: %m");
		abort();
	}
	return r;
}

struct socket_args {
	int family, type, fd;
};

static int make_socket(void *userdata, struct nano_err *err)
{
	struct socket_args *a = userdata;

	a->fd = socket(a->family, a->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0)
		return nano_err_set(err, errno, "socket: %m");
	return 0;
}

int net_pod_socket(int pidfd, int family, int type, struct nano_err *err)
{
	struct socket_args a = {.family = family, .type = type, .fd = -1};
	int r;

	r = net_in_netns(pidfd, make_socket, &a, err);
	return r < 0 ? r : a.fd;
}
