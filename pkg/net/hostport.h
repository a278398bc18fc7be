/* pkg/net/hostport.h: a container port's hostPort, forwarded from the node to the pod's address,
 * through libnftables (the library behind nft) in a table nanolet owns: `ip nanolet`.
 *
 * The rules are fixed; pods only add and remove elements of two maps, one keyed by protocol and
 * port (every address of the node), one by the node's address, protocol and port (a hostIP):
 *
 *   table ip nanolet {
 *     map hostports      { type inet_proto . inet_service : ipv4_addr . inet_service }
 *     map hostports_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }
 *     chain prerouting   { nat, dstnat: to a local address, hostports_addr, then hostports }
 *     chain output       { the same for connections the node itself opens }
 *     chain postrouting  { srcnat: masquerade of pod traffic leaving the pod network }
 *   }
 *
 * Each element's comment is its pod's uid: a pod's forwards are removed by it, and the orphan
 * sweep removes those of pods that are gone. The table lives in the network namespace the
 * context was opened in (the daemon's: the node's); it stays when the daemon stops, as the
 * forwards of the pods that go on running must.
 *
 * Not forwarded: 127.0.0.1 (a DNAT from a loopback source to another host needs
 * route_localnet, which would open every loopback service of the node to its network).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

struct hostports;

struct hostport {
	const char *protocol;    /* "TCP", "UDP" or "SCTP", as the spec says */
	const char *host_ip;     /* NULL or "" or "0.0.0.0": every address of the node */
	uint16_t host_port;      /* 1..65535 */
	uint16_t container_port; /* 1..65535 */
};

/* A libnftables context in the caller's network namespace; it makes nothing yet, and loads
 * libnftables only with its first command (every call below may fail with ELIBACC:
 * "libnftables.so.1 cannot be loaded: ..."). The context is made then, in the namespace the
 * caller is in then: the daemon's own (its moments in a pod's, netns.c, never make one). */
int hostports_new(struct hostports **out, struct nano_err *err);
/* Makes the table, its maps and chains (again, when they are there: the rules are replaced,
 * the maps' elements kept). masquerade_cidr: pod traffic from this network to any other is
 * masqueraded on its way out of the node; NULL for none. */
int hostports_ready(struct hostports *h, const char *masquerade_cidr, struct nano_err *err);
/* hostports_new and hostports_ready. */
int hostports_open(const char *masquerade_cidr, struct hostports **out, struct nano_err *err);
void hostports_free(struct hostports *h);

/* Forwards each hostPort of the pod (uid) to pod_ip, in one transaction: all or none. */
int hostports_add(struct hostports *h, const char *uid, const char *pod_ip,
                  const struct hostport *ports, size_t n, struct nano_err *err);
/* Removes every forward of the pod; none is fine, and so is no table. */
int hostports_remove(struct hostports *h, const char *uid, struct nano_err *err);
/* Removes the forwards of every pod keep() says no to (the orphan sweep); no table is fine. */
int hostports_sweep(struct hostports *h, bool (*keep)(const char *uid, void *userdata),
                    void *userdata, struct nano_err *err);
/* The uid of every pod with a forward, each once (for tests and the sweep); NULL-terminated. */
int hostports_pods(struct hostports *h, char ***uids, struct nano_err *err);
