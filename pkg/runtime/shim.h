/* pkg/runtime/shim.h: the nanolet-shim side of pkg/runtime, shared by its files and by
 * shim/main.c. The daemon includes runtime.h, never this.
 *
 *   shim_config.c     shim.json -> struct shim_config (the plan JSON read back)
 *   shim_start.c      P0: cgroup, session, user namespace maps, unshare, fork P1, shim.pid
 *   shim_loop.c       P1: lo, hostname, the control socket, signals, exits; one epoll loop
 *   shim_container.c  P1: clone a container into its cgroups, pipes, the StartError pipe
 *   shim_child.c      the cloned child: mounts, root, credentials, exec (the pod-touching part)
 *   shim_relay.c      container stdout/stderr -> the CRI log writer
 *   shim_net.c        bring lo up (SIOCSIFFLAGS)
 *   shim_sysctl.c     write the pod's sysctls in its own namespaces
 *   shim_cgroup.c     joining a cgroup without the kernel's global migration lock
 *   shim_seccomp.c    a seccomp profile -> a libseccomp filter, loaded before exec
 *   shim_seccomp_cache.c  compiled filters kept for the next shims; P0 prepares RuntimeDefault
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "plan/plan.h"
#include "util/util.h"

/* A seccomp filter as a BPF program, ready for seccomp(2) (shim_seccomp.c). */
struct sock_filter;
struct shim_seccomp_filter {
	struct sock_filter *prog;
	unsigned short len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
};

/* One container as shim.json describes it: the plan's process, root and mounts, plus where
 * the daemon put its cgroups and logs. */
struct shim_container {
	char *name;
	unsigned long clone_flags;
	struct plan_process process;
	struct plan_root root;
	struct plan_security security; /* devices unused: device_nodes holds what the shim needs */
	char **device_nodes;           /* the node's device files bound into its /dev */
	/* RuntimeDefault: the filter compiled at the first start, for every later one (allocated
	 * with the config, so that a start through a const container may fill it) */
	struct shim_seccomp_filter *runtime_default;
	struct plan_mount *mounts;
	size_t n_mounts;
	char **cgroup_procs; /* NULL-terminated */
	char *cgroup_dir;    /* NULL: no CLONE_INTO_CGROUP */
	char *log_dir;
	char *termination_message_path; /* NULL: no termination file (shim_container.c) */
};

struct shim_config {
	char *run_dir;
	char *uid, *name, *namespace;
	unsigned long clone_flags;   /* the pod's: what P0 unshares */
	char *hostname;              /* NULL: the host's uts namespace */
	struct plan_sysctl *sysctls; /* the plan's pod.sysctls */
	size_t n_sysctls;
	char **infra_procs;
	char *uid_map, *gid_map; /* NULL: no user namespace */
	struct shim_container *containers;
	size_t n_containers;
	int64_t log_max_size;
	int log_max_files;
	char *seccomp_cache_dir; /* NULL: every filter is compiled (shim_seccomp_cache.c) */
	/* What the pod's hosts and resolv.conf are made of (pkg/dns): its address ("podIP",
	 * NULL: none, as a hostNetwork pod's), "hostDomain" (NULL: no subdomain), the
	 * spec's hostAliases, and the resolv.conf the daemon made (NULL: none bound). */
	char *pod_ip;
	char *host_domain;
	struct spec_host_alias *host_aliases;
	size_t n_host_aliases;
	char *resolv_conf;
	/* P1's end of the mounter's socket (shim_mounter.c), or -1: none, as for a pod with
	 * hostUsers not false or without an image's container. Not in shim.json: P0 makes it. */
	int mounter_fd;
};

int shim_config_load(const char *run_dir, struct shim_config **out, struct nano_err *err);
struct shim_config *shim_config_free(struct shim_config *c);
const struct shim_container *shim_config_container(const struct shim_config *c, const char *name);
/* A container whose root is an image may be resolved after the shim started (the daemon
 * rewrites shim.json: pod_shim_config_rewrite): its process, root and capabilities are read
 * again from shim.json, the rest of the config as it was. At each start of such a container,
 * while no run of it is running. */
int shim_config_refresh(struct shim_config *c, const char *name, struct nano_err *err);

/* Entry point of nanolet-shim: runs P0, which exits, and P1, which serves. nofile (NULL: keep
 * the one inherited) is the RLIMIT_NOFILE the shim and its containers get. Returns the
 * process exit status. */
int shim_main(const char *run_dir, const struct rlimit *nofile);

/* shim_mounter.c: the idmapped root of an image's container in a pod with hostUsers: false.
 * Whether the pod needs the mounter; P0 forks it before unsharing the user namespace (*sock:
 * the end P1 keeps) and, once the namespace is mapped, sends it there; P1 asks it for a
 * container's root at each start: 0 and *mnt, a detached overlay of the layers idmapped with
 * the pod's user namespace over <layer>/upper (given to the pod's root), or -errno and err. */
bool shim_mounter_needed(const struct shim_config *c);
int shim_mounter_fork(const struct shim_config *c, int *sock, struct nano_err *err);
int shim_mounter_give_userns(int sock, struct nano_err *err);
int shim_mounter_root(int sock, const struct plan_root *root, int *mnt, struct nano_err *err);

/* P1: serves until shutdown. ready_fd gets "ok" or a one-line error once set up, then is
 * closed. Returns the exit status. */
int shim_serve(struct shim_config *config, int ready_fd);
/* Sends buf as one message on sock, with fd (SCM_RIGHTS) when fd >= 0: the shim's replies that
 * pass a descriptor (an exec's tty master, the mounter's root). -errno. */
int shim_send_fd(int sock, const void *buf, size_t len, int fd);

/* How a process joins the cgroup of <dir>/cgroup.procs (shim_cgroup.c). */
enum shim_cgroup_join {
	SHIM_JOIN_PROCS, /* its pid written to cgroup.procs, by anyone */
	SHIM_JOIN_TASKS, /* cgroup v1: it writes "0" to the fd, the dir's "tasks" */
	SHIM_JOIN_CLONE, /* cgroup2: born in the fd, the dir (clone3 CLONE_INTO_CGROUP) */
};
/* Opens what joining the cgroup of procs takes (*fd, -1 for SHIM_JOIN_PROCS). A cgroup2
 * directory only when clone_v2, and with bare_v2_only only one without controllers. */
enum shim_cgroup_join shim_cgroup_open_join(const char *procs, bool clone_v2, bool bare_v2_only,
                                            int *fd);
/* The calling (single-threaded) process joins the v1 cgroup whose "tasks" is open in fd. */
int shim_cgroup_join_self(int tasks_fd);
bool shim_single_threaded(void);

/* Brings lo up in the current network namespace. */
int shim_net_loopback_up(struct nano_err *err);

/* Writes the pod's sysctls under /proc/sys, resolved in the calling process's namespaces: P1's,
 * after unshare. One that would land in a namespace the pod shares with the node is refused,
 * as is a failed write, naming the sysctl and its value. */
int shim_sysctls_write(const struct shim_config *c, struct nano_err *err);

/* ---- one started container --------------------------------------------------------------- */

struct shim_relay; /* shim_relay.c */
struct shim_run;

/* What an epoll event is about (shim_loop.c): its data.ptr points at one of these. */
enum shim_source_kind { SHIM_SOURCE_LISTEN, SHIM_SOURCE_SIGNAL, SHIM_SOURCE_CONN, SHIM_SOURCE_LOG };

struct shim_source {
	enum shim_source_kind kind;
	int fd;
	struct shim_run *run; /* SHIM_SOURCE_LOG */
	int stream;           /* SHIM_SOURCE_LOG: enum shim_stream */
};

struct shim_run {
	const struct shim_container *container;
	int64_t restart;
	pid_t pid;      /* in the shim's pid namespace: what waitid() reports */
	pid_t host_pid; /* in the host's: what the daemon sees */
	int pidfd;
	bool running;
	struct timespec started_at;
	struct shim_relay *relay;
	struct shim_source log_sources[2]; /* stdout, stderr */
	struct shim_run *next;
};

/* Clones the container (shim_container.c). On success *out is a running run whose stdout and
 * stderr pipes are in relay; on a StartError err holds errno and the message. */
int shim_container_start(const struct shim_config *config, const struct shim_container *c,
                         int64_t restart, struct shim_run **out, struct nano_err *err);
void shim_run_free(struct shim_run *run);

/* The container's seccomp filter (shim_container.c): RuntimeDefault compiled once for the
 * pod's life, a Localhost profile read and compiled into localhost at every call (as at every
 * start), NULL for Unconfined. */
int shim_container_seccomp(const struct shim_container *c, struct shim_seccomp_filter *localhost,
                           const struct shim_seccomp_filter **out, struct nano_err *err);

/* Forks the helper of an exec into run, the container's current run (shim_exec.c), which owns
 * the connection conn from then on: it answers "ok PID" or an error, then "exit CODE". fds are
 * the process's stdio (runtime.h); the caller closes its copies of conn and fds either way. An
 * error is what the loop answers itself (the helper was not made). */
struct runtime_exec_request;
int shim_exec_start(const struct shim_config *config, const struct shim_run *run,
                    const struct runtime_exec_request *req, int conn, const int *fds, size_t n_fds,
                    struct nano_err *err);

/* The container's main process ended: what is left in its cgroup (processes exec'd into a
 * container without a pid namespace of its own, their children) is killed, SIGKILL to every
 * pid of its cgroup.procs, as containerd does without cgroup.kill (shim_cgroup.c says why not
 * cgroup.kill). Best effort. */
void shim_cgroup_kill(const struct shim_container *c);

/* The child's side (shim_child.c): never returns. Reports a failure on error_fd as
 * struct shim_child_error, then _exit(127). */
struct shim_child_error {
	int errnum;
	char message[512];
};

struct shim_child_args {
	const struct shim_config *config;
	const struct shim_container *container;
	int stdin_fd, stdout_fd, stderr_fd;
	int sync_fd; /* >= 0: first wait for one byte (the cgroups the parent writes are written) */
	/* then the v1 cgroups the child joins itself (their "tasks", open); with joins or
	 * sync_fd, it then unshares the cgroup ns */
	const int *join_fds;
	const char *const *join_paths; /* their cgroup.procs, for errors */
	size_t n_join;
	int error_fd; /* CLOEXEC: EOF in the parent means exec succeeded */
	const struct shim_seccomp_filter *seccomp; /* NULL: Unconfined */
	/* this run's termination message file, bound at the container's
	 * termination_message_path; NULL: none */
	const char *termination_file;
	/* an image's root in a user namespace: the mounter's detached overlay (shim_mounter.c),
	 * attached as the root; else -1 */
	int root_mount_fd;
};

_Noreturn void shim_child_run(const struct shim_child_args *a);

/* The end every process of a container goes through before its program, the container's own
 * and each exec'd one alike (shim_child.c): the bounding set, setgroups, setresgid, setresuid,
 * the working directory, the seccomp filter, the final capability sets, no_new_privs, exec.
 * Runs in the container's namespaces and cgroups, stdio in place. A failure is written to
 * error_fd as struct shim_child_error, then _exit(127). */
struct shim_tail {
	const struct shim_container *container;    /* its capabilities and seccomp kind */
	const struct plan_process *process;        /* the container's, or an exec's (its argv) */
	const struct shim_seccomp_filter *seccomp; /* NULL: Unconfined */
	uint64_t held; /* the permitted set the process starts with: no set can exceed it */
	int last_cap;  /* the kernel's last capability */
	int error_fd;
	/* an exec: a program that cannot be run is no failure of the tail but the process's exit
	 * status, 127 (not found) or 126 (not executable), runc's words on its stderr */
	bool runc_errors;
};
_Noreturn void shim_process_tail(const struct shim_tail *t);
/* The calling process's permitted set (0 if capget fails), and the kernel's last capability
 * (from the node's /proc: read before leaving it). */
uint64_t shim_held_caps(void);
int shim_last_cap(void);
/* PATH lookup as runc does it, in env's PATH: 0 and the file in out, or -ENOENT (not found)
 * or -EACCES (not executable) with runc's message in why. */
int shim_look_path(const char *file, char *const *env, char *out, size_t size, char *why,
                   size_t why_size);

/* Loads profile into the calling process as a seccomp filter (shim_seccomp.c), for a container
 * whose bounding set is caps (it decides containerd's capability groups), on this machine's
 * architecture and kernel. Loading needs CAP_SYS_ADMIN or no_new_privs, and this never sets
 * no_new_privs. Everything after it is filtered, so, as runc orders it: with no_new_privs, call
 * it last before execve; without, while the process still holds CAP_SYS_ADMIN (before the
 * capabilities are dropped), and what follows it (setgroups, setres[ug]id, capset, prctl,
 * chdir, execve) must be allowed by the profile, as RuntimeDefault allows them. */
struct security_seccomp_profile;
int shim_seccomp_load(const struct security_seccomp_profile *profile, uint64_t caps,
                      struct nano_err *err);
/* The same in two steps: the filter as a BPF program (compiled once, in the shim), and loading
 * it (in the container's child: cheap). */

int shim_seccomp_compile(const struct security_seccomp_profile *profile, uint64_t caps,
                         struct shim_seccomp_filter *out, struct nano_err *err);
/* The same through the cache in the directory cache_fd (-1: none): libseccomp's program is
 * taken from there when one was made by exactly the calls this compile would make, else made
 * and put there (shim_seccomp_cache.c). The filter is the same either way. */
int shim_seccomp_compile_cached(int cache_fd, const struct security_seccomp_profile *profile,
                                uint64_t caps, struct shim_seccomp_filter *out,
                                struct nano_err *err);
int shim_seccomp_install(const struct shim_seccomp_filter *filter, struct nano_err *err);
void shim_seccomp_filter_done(struct shim_seccomp_filter *filter);

/* ---- the compiled filters' cache (shim_seccomp_cache.c) ----------------------------------- */

/* Every call a compile makes to libseccomp, written down: the key of its program. */
struct shim_seccomp_key {
	uint8_t *data;
	size_t len, cap;
	bool failed; /* out of memory: no key */
};
void shim_seccomp_key_done(struct shim_seccomp_key *key);

/* Opens the cache directory, made 0700 when missing; refused (-EPERM) unless it is a directory
 * of the calling user's that nobody else may write. Returns the fd or -errno. */
int shim_seccomp_cache_open(const char *dir);
/* The program stored under exactly key, malloc'd in *prog: 0, or -errno (-ENOENT: none). */
int shim_seccomp_cache_get(int dir_fd, const void *key, size_t key_len, struct sock_filter **prog,
                           size_t *n);
/* Stores prog under key (a temporary file, then rename). */
int shim_seccomp_cache_put(int dir_fd, const void *key, size_t key_len,
                           const struct sock_filter *prog, size_t n);
/* P0, before any namespace: the RuntimeDefault filter of every container that has one, from
 * the cache or compiled into it. Best effort: a container left without one is compiled at its
 * start by P1, whose error is that start's. */
void shim_seccomp_prepare(struct shim_config *config);

/* ---- log relay (shim_relay.c) -------------------------------------------------------------- */

enum shim_stream { SHIM_STDOUT, SHIM_STDERR };

/* Owns both read fds (made non-blocking). NULL with -errno in *r. */
struct shim_relay *shim_relay_new(const struct shim_config *config, const struct shim_run *run,
                                  int stdout_fd, int stderr_fd, int *r);
/* The fd of a stream, -1 once it reached EOF. */
int shim_relay_fd(const struct shim_relay *relay, enum shim_stream stream);
/* Reads what is there (non-blocking) into the log; returns 0 at EOF, 1 when more may come. */
int shim_relay_pump(struct shim_relay *relay, enum shim_stream stream);
/* Closes a stream's fd (after the loop took it out of epoll). */
void shim_relay_close_stream(struct shim_relay *relay, enum shim_stream stream);
/* Reads both streams until nothing is left right now, then flushes partial lines. */
void shim_relay_drain(struct shim_relay *relay);
void shim_relay_free(struct shim_relay *relay);

/* Writes path atomically (<dir>/.<name>.tmp, then rename), so that a reader or inotify's
 * IN_MOVED_TO only ever sees the whole file. */
int shim_write_atomic(const char *path, const char *s, mode_t mode);
