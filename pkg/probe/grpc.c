/* pkg/probe/grpc.c: grpc — not yet. */
#include <errno.h>
#include <unistd.h>

#include "probe_internal.h"

int probe_grpc_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                     const char *service, uint64_t timeout_usec, probe_done_fn *fn, void *userdata,
                     struct probe_check **out, struct nano_err *err)
{
	(void)event, (void)addr, (void)addr_len, (void)service, (void)timeout_usec, (void)fn,
	        (void)userdata, (void)out;
	if (fd >= 0)
		close(fd);
	return nano_err_set(err, EOPNOTSUPP, "probe: grpc is not implemented yet");
}
