/* daemon/pods/pod_ops.h: the pod manager's seam to the shim — start one, send it a request,
 * follow its life — behind a small table of functions. nanoletd hands the pod manager the real
 * one (shim_client.c); a Check suite can hand it a fake. (The clock and the cgroup driver are
 * to follow behind tables of their own, issue 12.)
 *
 * Every call that takes time reports through a callback, never before it returned, and can be
 * cancelled; its callback then never runs. Nothing here knows a pod. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "util/util.h"

struct pod_shim_call;
struct pod_shim_watch;

/* r 0 and the shim's pid (the shim listens), or r < 0 and why (-ETIMEDOUT past the deadline). */
typedef void pod_shim_started_fn(void *userdata, int r, pid_t shim_pid, const struct nano_err *err);
/* r 0 and the reply (which may be the shim's own "error ..."), or r < 0 and why: -ETIMEDOUT
 * past the deadline, -EAGAIN when the shim takes no more connections (stopped, its backlog
 * full), -ECONNREFUSED/-ENOENT without a shim, -ECONNRESET when it closed. */
typedef void pod_shim_reply_fn(void *userdata, int r, const char *reply,
                               const struct nano_err *err);
typedef void pod_shim_gone_fn(void *userdata);

struct pod_shim_ops {
	/* Starts `nanolet-shim run_dir` (shim.json written): fn once it listens or failed. */
	int (*start)(void *ctx, const char *run_dir, uint64_t timeout_usec, pod_shim_started_fn *fn,
	             void *userdata, struct pod_shim_call **out);
	/* One request over run_dir/shim.sock (runtime.h has the protocol): fn with its reply. */
	int (*request)(void *ctx, const char *run_dir, const char *request, uint64_t timeout_usec,
	               pod_shim_reply_fn *fn, void *userdata, struct pod_shim_call **out);
	/* Forgets a start or request in flight: its fn never runs. Accepts NULL. */
	void (*cancel)(struct pod_shim_call *call);
	/* Follows the shim pid: fn once it has exited. *start_time is its identity
	 * (/proc/<pid>/stat field 22): 0 records it, anything else must match (-ESRCH: the pid is
	 * someone else's). */
	int (*watch)(void *ctx, pid_t pid, uint64_t *start_time, pod_shim_gone_fn *fn,
	             void *userdata, struct pod_shim_watch **out, struct nano_err *err);
	/* Accepts NULL. */
	void (*unwatch)(struct pod_shim_watch *watch);
};

/* shim_client.c: nanolet-shim processes and their sockets, each start and request an io
 * source with a timer of its own on the loop; ctx is a struct pod_shim_client. */
extern const struct pod_shim_ops pod_shim_real;
struct pod_shim_client;
int pod_shim_client_new(sd_event *event, const char *shim_path, struct pod_shim_client **out);
struct pod_shim_client *pod_shim_client_free(struct pod_shim_client *client);

/* /proc/<pid>/stat field 22 (starttime, clock ticks since boot) in *out; -ESRCH when the
 * process is gone, another -errno when it could not be read (EMFILE: that says nothing about
 * the process). */
int pod_proc_start_time(pid_t pid, uint64_t *out);
