/* pkg/runtime/shim_net.c: brings lo up in the pod's new network namespace, through
 * libnl-route (RTM_GETLINK for lo, then RTM_NEWLINK with IFF_UP set). A new network namespace
 * has only lo, and down: without this, even 127.0.0.1 is unreachable inside the pod.
 *
 * It must only ever run in the pod's namespace (P1 after unshare): in the host's it would touch
 * the node's lo. Bridges and veth pairs are a later issue (pkg/net).
 */
#include <net/if.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "shim.h"

int shim_net_loopback_up(struct nano_err *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *change = NULL;
	const char *step = "nl_socket_alloc";
	int r = -NLE_NOMEM;

	if (sk) {
		step = "connect NETLINK_ROUTE";
		r = nl_connect(sk, NETLINK_ROUTE);
	}
	if (r >= 0) {
		step = "get link lo";
		r = rtnl_link_get_kernel(sk, 0, "lo", &link);
	}
	if (r >= 0) {
		step = "set lo up";
		change = rtnl_link_alloc();
		r = change ? 0 : -NLE_NOMEM;
	}
	if (r >= 0) {
		rtnl_link_set_flags(change, IFF_UP);
		r = rtnl_link_change(sk, link, change, 0);
	}
	if (r < 0)
		nano_err_set(err, EIO, "%s: %s", step, nl_geterror(r));
	rtnl_link_put(change);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return r < 0 ? -EIO : 0;
}
