/* daemon/pods/pod_checks.h: the pod manager's seam to the checks of probes and lifecycle hooks —
 * a command in a container (exec), a connection or a request to the pod (tcpSocket, httpGet,
 * grpc) — behind a small table of functions. nanoletd hands the pod manager the real one
 * (checks.c: pod_exec_start and pkg/probe, in the pod's network namespace); a Check suite hands
 * it a fake it answers by hand, so that the probe scheduler is tested without a container.
 *
 * A check reports through its callback once, never before start returned and never after
 * cancel. Sleep handlers are no check: the scheduler's own timer. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/util.h"

struct pod;
struct pod_check;

enum pod_check_status {
	POD_CHECK_SUCCESS,
	POD_CHECK_FAILURE,
	/* a success the kubelet warns about (an httpGet's redirect to another host it did not
	 * follow): event ProbeWarning "<Kind> probe warning: <output>" */
	POD_CHECK_WARNING,
	/* the check could not be made (a port name the container does not have, no socket):
	 * the kubelet's prober error, whose result its worker throws away */
	POD_CHECK_ERROR,
};

/* How a check ended; strings borrowed for the call. */
struct pod_check_end {
	enum pod_check_status status;
	/* what the kubelet's Unhealthy event shows after "<Kind> probe failed: " (a failure) or
	 * "... errored and resulted in unknown state: " (an error): the command's output (both
	 * streams, at most 10 KiB), "HTTP probe failed with statuscode: 503", "command \"...\"
	 * timed out"; "" when none */
	const char *output;
	/* exec: what the kubelet's runtime said of a command that failed ("command 'a b' exited
	 * with 1: <stderr>"), which a lifecycle hook's event names; NULL otherwise */
	const char *error;
};

typedef void pod_check_done_fn(void *userdata, const struct pod_check_end *end);

struct pod_check_ops {
	/* One check of handler for container i of pod, ended by timeout_usec (0: no deadline,
	 * as the kubelet's hooks have none). -errno and err when it could not be made (fn is not
	 * called): the kubelet's prober error, in its words where it has them (a port name the
	 * container lacks: "strconv.Atoi: parsing \"http\": invalid syntax"). */
	int (*start)(void *ctx, struct pod *pod, size_t container,
	             const struct spec_handler *handler, uint64_t timeout_usec,
	             pod_check_done_fn *fn, void *userdata, struct pod_check **out,
	             struct nano_err *err);
	/* Ends a check that has not reported (an exec's process is killed). Accepts NULL. */
	void (*cancel)(struct pod_check *check);
};

/* checks.c: pod_exec_start for exec, pkg/probe on a socket in the pod's network namespace for
 * the others; ctx unused (NULL). */
extern const struct pod_check_ops pod_checks_real;
