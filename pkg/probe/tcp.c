/* pkg/probe/tcp.c: tcpSocket — success when the connection opens (then closed at once, as the
 * kubelet's net.DialTimeout and Close), failure in Go's dial words otherwise:
 * "dial tcp 127.0.0.1:8080: connect: connection refused", "dial tcp 198.18.0.1:80: i/o
 * timeout".
 */
#include "probe_internal.h"

static void tcp_connected(struct probe_check *c, int error)
{
	if (error)
		probe_check_end(c, PROBE_FAILURE, "dial tcp %s: connect: %s", c->addr_text,
		                probe_errno_text(error));
	else
		probe_check_end(c, PROBE_SUCCESS, "%s", "");
}

static void tcp_io(struct probe_check *c, uint32_t revents)
{
	(void)c;
	(void)revents;
}

static void tcp_timeout(struct probe_check *c)
{
	probe_check_end(c, PROBE_FAILURE, "dial tcp %s: i/o timeout", c->addr_text);
}

static const struct probe_ops tcp_ops = {
        .connected = tcp_connected,
        .io = tcp_io,
        .timeout = tcp_timeout,
};

int probe_tcp_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                    uint64_t timeout_usec, probe_done_fn *fn, void *userdata,
                    struct probe_check **out, struct nano_err *err)
{
	return probe_check_start(event, fd, addr, addr_len, timeout_usec, &tcp_ops, NULL, fn,
	                         userdata, out, err);
}
