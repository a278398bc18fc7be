/* pkg/probe: one network check of a probe or lifecycle hook, made on the daemon's sd-event loop
 * without blocking it: tcpSocket (a connect), httpGet (HTTP/1.1 GET, or HTTPS through GnuTLS
 * without verifying the certificate, as the kubelet), grpc (the gRPC health checking protocol,
 * grpc.health.v1.Health/Check, over h2c through libnghttp2). The caller makes the socket, in the
 * network namespace the check belongs in (a pod's: net_pod_socket), so a check reaches the pod's
 * localhost and its address whether or not the pod network exists. The results and their words
 * are the kubelet's (pkg/probe/{tcp,http,grpc} of Kubernetes). Exec checks are not here: they
 * are processes in the container (daemon/pods.h pod_exec_start).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "spec/spec.h"
#include "util/util.h"

enum probe_result {
	PROBE_SUCCESS,
	PROBE_FAILURE,
	/* a success the kubelet warns about (event ProbeWarning, "<Kind> probe warning:
	 * <message>"): an httpGet that ended on a redirect it would not follow (another host) */
	PROBE_WARNING,
};

/* The end of one check, called exactly once unless it was cancelled, never before its start
 * returned. message: on a failure the kubelet's words ("HTTP probe failed with statuscode:
 * 503", "dial tcp 127.0.0.1:8080: connect: connection refused", "timeout: health rpc did not
 * complete within 1s", ...); on a success what the kubelet keeps as output (may be ""). Borrowed
 * for the call. The check is gone when fn is called (its socket closed, freed): forget it, never
 * cancel it; fn may start the next check. */
typedef void probe_done_fn(void *userdata, enum probe_result result, const char *message);

struct probe_check;

struct probe_http_request {
	/* The URL's host, without a port: httpGet.host, or the pod's IP (NULL or "": addr's
	 * address). The Host header is host:port (addr's port, IPv6 in brackets) unless an
	 * httpHeaders Host replaces it; a name is also TLS's SNI, and only redirects to the same
	 * host name are followed. */
	const char *host;
	const char *path;                       /* "/" when NULL */
	bool https;                             /* TLS, the certificate not verified */
	const struct spec_http_header *headers; /* httpGet.httpHeaders */
	size_t n_headers;
};

/* Each takes fd in every case: a non-blocking SOCK_STREAM socket, not connected, of addr's
 * family. A check that has not ended after timeout_usec fails with the kubelet's timeout
 * words. Returns 0, or -errno with err (nothing was started, fn is not called). */
int probe_tcp_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                    uint64_t timeout_usec, probe_done_fn *fn, void *userdata,
                    struct probe_check **out, struct nano_err *err);
int probe_http_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                     const struct probe_http_request *request, uint64_t timeout_usec,
                     probe_done_fn *fn, void *userdata, struct probe_check **out,
                     struct nano_err *err);
/* service: grpc.service ("" or NULL: the server's overall health) */
int probe_grpc_start(sd_event *event, int fd, const struct sockaddr *addr, socklen_t addr_len,
                     const char *service, uint64_t timeout_usec, probe_done_fn *fn, void *userdata,
                     struct probe_check **out, struct nano_err *err);
/* Ends a check that has not ended: fn is not called. NULL is nothing. */
void probe_check_cancel(struct probe_check *check);
