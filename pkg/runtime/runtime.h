/* pkg/runtime: the daemon's side of nanolet-shim, one shim per pod.
 *
 * The daemon writes <run dir>/shim.json (runtime_shim_config_write), starts the shim
 * (runtime_shim_fork), talks to it over <run dir>/shim.sock (runtime_shim_send) and reads
 * the exits it records in <run dir>/exits/ (runtime_exit_read). Nothing here enters a
 * namespace or touches a pod's processes; that is the shim's job (shim.h, shim_*.c). The
 * daemon's calls never wait: a start and a request each hand back a descriptor the caller
 * watches with a deadline of its own (a stopped shim answers nothing).
 *
 * Files in a pod's run dir:
 *   shim.json    written by the daemon (0600): what the shim runs, below
 *   shim.pid     written by the shim: the host pid of the shim proper (P1), then "\n"
 *   shim.error   written by the shim when it could not start: one line, no newline needed
 *   shim.log     the shim's own stderr (runtime_shim_fork opens it, O_APPEND)
 *   shim.sock    the control socket (AF_UNIX SOCK_SEQPACKET, 0600)
 *   exits/<container>.<restart>.json   one per exit, renamed into place when complete
 *   hostname, hosts, resolv.conf   what containers see at /etc/hostname, /etc/hosts and
 *                the /etc/resolv.conf (bind-mounted read-only), written by the shim
 *
 * The control protocol on shim.sock, one request message -> one reply message, the reply sent
 * once the action is done:
 *   start NAME RESTART   -> "ok PID" (host pid) | "error ERRNO MESSAGE"
 *   kill NAME SIGNAL     -> "ok" | "error ERRNO MESSAGE"
 *   state                -> {"pid":P1,"containers":[{"name","pid","restart","running"}]}
 *   shutdown             -> "ok", then the shim exits once no container runs
 *   exec JSON            -> "ok PID" | "error ERRNO MESSAGE", then "exit CODE" when it ended
 *       JSON {"container","tty","stdin","argv":[...]} (runtime_exec_request_format), with the
 *       process's stdio as SCM_RIGHTS: stdin's read end (when "stdin"), stdout's and stderr's
 *       write ends; with "tty" none, and the "ok" carries the pty's master instead. The
 *       connection stays the exec's: "exit CODE" (128 + signal when killed) comes on it, and
 *       the daemon closing it first kills the process (SIGKILL).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <jansson.h>

#include "plan/plan.h"
#include "util/util.h"

/* ---- shim.json ---------------------------------------------------------------------------- */

struct runtime_shim_container {
	const char *name;          /* as in the plan */
	char *const *cgroup_procs; /* cgroup.procs paths, one per hierarchy, NULL-terminated */
	const char *cgroup_dir;    /* v2 cgroup dir for CLONE_INTO_CGROUP, or NULL */
	const char *log_dir;       /* <log dir>/<restart>.log are this container's CRI logs */
	/* spec terminationMessagePath: where each run gets its own empty file of the node's,
	 * <run dir>/termination/<name>.<restart> (RUNTIME_TERMINATION_DIR), bound; NULL: none */
	const char *termination_message_path;
};

/* Under the pod's run dir: <name>.<restart>, one file per container run, that the container
 * sees at its terminationMessagePath and the daemon reads when the run ends. */
#define RUNTIME_TERMINATION_DIR "termination"

struct runtime_shim_config {
	const struct plan *plan;
	char *const *infra_procs; /* cgroup.procs of the pod's infra cgroup, one per hierarchy */
	const char *uid_map;      /* "0 100000 65536" with a user namespace, else NULL */
	const char *gid_map;
	const struct runtime_shim_container *containers; /* one per plan container, same order */
	size_t n_containers;
	int64_t log_max_size; /* bytes before a CRI log rotates */
	int log_max_files;
	/* where shims keep compiled seccomp filters (root's, 0700; NULL: none): a directory no
	 * container ever sees, as the run directory */
	const char *seccomp_cache_dir;
	/* The pod's /etc/resolv.conf as the daemon made it (pkg/dns: it takes the node's DNS
	 * settings and emits the pod's events); NULL: the containers keep their root's. */
	const char *resolv_conf;
	/* For the pod's /etc/hosts, which the shim writes (it learns the pod's address):
	 * "<subdomain>.<namespace>.svc.<cluster domain>" or NULL, and spec.hostAliases. */
	const char *host_domain;
	const struct spec_host_alias *host_aliases;
	size_t n_host_aliases;
};

/* The shim.json object: {"uid","name","namespace","plan","infraProcs","userns",
 * "containers","logMaxSize","logMaxFiles"[,"seccompCacheDir"][,"resolvConf"][,"hostDomain"]
 * [,"hostAliases":[{"ip","hostnames"}]]}. NULL on ENOMEM. */
json_t *runtime_shim_config_to_json(const struct runtime_shim_config *config);

/* Writes <run_dir>/shim.json, mode 0600, atomically (tmp + rename). */
int runtime_shim_config_write(const char *run_dir, json_t *config, struct nano_err *err);

/* <run_dir>/shim.json again with plan in place of the one it holds, the rest as it was written
 * (a container's image resolved after the shim started: the shim reads that container's entry
 * again when it starts it). Atomically, as runtime_shim_config_write. */
int runtime_shim_config_replace_plan(const char *run_dir, const struct plan *plan,
                                     struct nano_err *err);

/* ---- the shim process --------------------------------------------------------------------- */

/* The RLIMIT_NOFILE every shim, and so every container, starts with from now on: the one the
 * daemon was started with, before it raised its own soft limit for its own descriptors (what
 * systemd asks of a program that raises it: its children get the old soft limit back, since
 * select() and many programs assume 1024). Until it is called, the daemon's own. */
void runtime_shim_nofile(const struct rlimit *limit);

/* Every signal's disposition back to the default (signals.c): what a container's process does
 * before it execs. */
void runtime_signals_default(void);

/* Starts `shim_path run_dir SOFT:HARD` (stdin /dev/null, stdout/stderr appended to
 * <run_dir>/shim.log, no other fds) and returns at once with *child the shim's first process
 * (P0) and *pidfd a pidfd of it, which turns readable when P0 exits: P0 exits 0 once the shim
 * proper is listening, else after writing <run_dir>/shim.error. Wait for that (an event source
 * with a deadline), then runtime_shim_forked; or give up with runtime_shim_fork_abandon. */
int runtime_shim_fork(const char *shim_path, const char *run_dir, pid_t *child, int *pidfd,
                      struct nano_err *err);
/* P0's verdict: reaps it (without waiting: -EAGAIN, no message, while it runs) and reads
 * <run_dir>/shim.pid into *shim_pid, or the message of shim.error into err. Does not close the
 * pidfd. */
int runtime_shim_forked(const char *shim_path, const char *run_dir, int pidfd, pid_t *shim_pid,
                        struct nano_err *err);
/* A start that took too long: SIGKILLs P0, reaps it and closes the pidfd. */
void runtime_shim_fork_abandon(int pidfd);

/* runtime_shim_fork and a bounded wait for the verdict (poll): for tools and test harnesses,
 * not for an event loop. -ETIMEDOUT (P0 killed and reaped) when the shim did not answer in
 * time. */
int runtime_shim_spawn(const char *shim_path, const char *run_dir, int timeout_ms, pid_t *shim_pid,
                       struct nano_err *err);

/* Connects to <run_dir>/shim.sock and sends one request, without waiting: returns the socket
 * (non-blocking, close-on-exec), which turns readable when the reply is there. -ECONNREFUSED
 * or -ENOENT when no shim listens, -EAGAIN when it accepts no more connections (stopped). */
int runtime_shim_send(const char *run_dir, const char *request, struct nano_err *err);
/* Reads the reply (malloc'd, NUL-terminated) from a runtime_shim_send socket: -EAGAIN (no
 * message) while it has not come, -ECONNRESET when the shim closed without one. The reply may
 * itself be "error ...": that is the shim's answer, not a failure. */
int runtime_shim_reply(int fd, char **reply, struct nano_err *err);

/* runtime_shim_send and a bounded wait for the reply (poll): for tools and test harnesses.
 * -ETIMEDOUT when no reply came in timeout_ms. */
int runtime_shim_request(const char *run_dir, const char *request, char **reply, int timeout_ms,
                         struct nano_err *err);

/* Splits a reply "error ERRNO MESSAGE" into errno and message (pointing into reply). Returns
 * true for an error reply. */
bool runtime_reply_error(const char *reply, int *errnum, const char **message);

/* A request as the shim reads it (protocol.c). */
enum runtime_request_kind {
	RUNTIME_REQUEST_START,
	RUNTIME_REQUEST_KILL,
	RUNTIME_REQUEST_STATE,
	RUNTIME_REQUEST_SHUTDOWN,
	RUNTIME_REQUEST_EXEC,
};

struct runtime_request {
	enum runtime_request_kind kind;
	const char *name;    /* start, kill: the container, pointing into the text */
	int64_t number;      /* start: the restart count (>= 0); kill: the signal (1 .. NSIG-1) */
	const char *payload; /* exec: the JSON, pointing into the text */
};

/* Splits one request message, NUL-terminating its words in text. 0, or -EINVAL with *why the
 * reply's message ("unknown request", "RESTART must be a count", ...). */
int runtime_request_parse(char *text, struct runtime_request *out, const char **why);

/* ---- exec ------------------------------------------------------------------------------- */

/* The most an exec request may hold (its argv, in JSON), and argv's count. */
#define RUNTIME_EXEC_MAX_BYTES 65536
#define RUNTIME_EXEC_MAX_ARGS  4096

struct runtime_exec_request {
	char *container;
	bool tty;
	bool stdin;  /* a stdin pipe comes with it; else the process gets /dev/null */
	char **argv; /* NULL-terminated, at least one word, none empty at [0] */
};

/* The request's text, "exec {...}"; NULL on ENOMEM, or when it would pass
 * RUNTIME_EXEC_MAX_BYTES (-E2BIG in *r), argv is empty (-EINVAL) or a word is not UTF-8
 * (-EILSEQ: the protocol is JSON, as the CRI's is protobuf, whose strings are UTF-8). */
char *runtime_exec_request_format(const char *container, bool tty, bool stdin, char *const *argv,
                                  int *r);
/* Parses the JSON of an exec request (untrusted). 0, or -EINVAL with *why. */
int runtime_exec_request_parse(const char *json, struct runtime_exec_request *out,
                               const char **why);
void runtime_exec_request_done(struct runtime_exec_request *req);
/* "exit CODE" -> true and *code (0..255). */
bool runtime_exec_exit_parse(const char *reply, int *code);

/* runtime_shim_send with descriptors passed along (SCM_RIGHTS; the caller keeps its copies). */
int runtime_shim_send_fds(const char *run_dir, const char *request, const int *fds, size_t n_fds,
                          struct nano_err *err);
/* runtime_shim_reply that also takes a descriptor passed with the reply (non-blocking,
 * close-on-exec) into *passed_fd, -1 when none came. */
int runtime_shim_reply_fd(int fd, char **reply, int *passed_fd, struct nano_err *err);

/* ---- exits -------------------------------------------------------------------------------- */

/* exits/<name>.<restart>.json: {"name","restart","pid","exitCode","signal","startedAt",
 * "finishedAt"}; times RFC3339Nano UTC. A process killed by a signal has signal set and
 * exitCode 128 + signal, as container runtimes report it. */
struct runtime_exit {
	char *name;
	int64_t restart;
	pid_t pid; /* host pid */
	int exit_code;
	int signal; /* 0 when the process exited */
	char *started_at;
	char *finished_at;
};

int runtime_exit_read(const char *path, struct runtime_exit *out, struct nano_err *err);
/* The same from the record's JSON (which the shim wrote, but a record is a file in the pod's
 * run directory: nothing in it is trusted). */
int runtime_exit_from_json(const json_t *record, struct runtime_exit *out, struct nano_err *err);
void runtime_exit_done(struct runtime_exit *e);
