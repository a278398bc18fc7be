/* pkg/runtime/shim_net.c: brings lo up in the pod's new network namespace. A new network
 * namespace has only lo, and down: without this, even 127.0.0.1 is unreachable inside the pod.
 *
 * SIOCGIFFLAGS/SIOCSIFFLAGS on an AF_INET datagram socket, as ifconfig does: the kernel's
 * dev_change_flags(), the same call an RTM_NEWLINK with IFF_UP ends in (ip link set lo up), and
 * the same check (CAP_NET_ADMIN over the namespace), without a netlink library in the
 * long-running shim.
 *
 * It must only ever run in the pod's namespace (P1 after unshare): in the host's it would touch
 * the node's lo. Bridges and veth pairs are a later issue (pkg/net).
 */
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "shim.h"

int shim_net_loopback_up(struct nano_err *err)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};

	if (fd < 0)
		return nano_err_set(err, errno, "set lo up: socket: %m");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return nano_err_set(err, errno, "get link lo: %m");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return nano_err_set(err, errno, "set lo up: %m");
	return 0;
}
