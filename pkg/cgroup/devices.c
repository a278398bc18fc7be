/* pkg/cgroup/devices.c: which devices the processes of a cgroup may open and make, through the
 * devices controller. After cgroup_driver_devices a container's leaf allows exactly its list:
 *
 *  - v1 (Documentation/admin-guide/cgroup-v1/devices.rst): "a" into devices.deny empties the
 *    cgroup's exceptions and denies by default, then each rule ("c 1:3 rwm") into
 *    devices.allow, one rule a write(2) as the kernel parses them. The kernel refuses "a" in a
 *    cgroup with children and any rule its parent does not allow (EPERM). An 'a' rule is
 *    "a *:* rwm" into devices.allow: allow by default, nothing denied.
 *  - v2 has no devices files: a BPF_PROG_TYPE_CGROUP_DEVICE program (devices_bpf.c builds it)
 *    is loaded with the raw bpf(2) syscall and attached to the cgroup's directory with
 *    BPF_F_ALLOW_MULTI, as runc and crun do. The kernel runs every program attached to the
 *    cgroup and its ancestors and allows only what all of them allow, so a program attached
 *    before is detached once the new one is in: rules are replaced, never widened or
 *    narrowed by a leftover. An attached program lives as long as the cgroup; its fd is
 *    closed here. An 'a' rule attaches nothing.
 *
 * A driver that cannot confine devices says so (EOPNOTSUPP) instead of succeeding: the daemon
 * then refuses the pod rather than run it with the node's devices.
 *
 * This file must not write anything but devices.deny and devices.allow (v1), nor attach or
 * detach programs anywhere but on the cgroup it was given (v2).
 */
#include "cgroup_internal.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "security/security.h"

/* BPF_CGROUP_MAX_PROGS: at most 64 programs of one attach type on a cgroup. */
#define MAX_ATTACHED 64
#define LOG_SIZE     (64 * 1024)
#define LOG_SHOWN    2048 /* the end of the verifier's log, where it says why */

static int sys_bpf(enum bpf_cmd cmd, union bpf_attr *attr)
{
	long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return r < 0 ? -errno : (int)r;
}

static uint64_t ptr_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* ---- v1 ----------------------------------------------------------------------------------- */

/* Writes each line into dir/file, one write(2) each, through one open file. */
static int v1_write_lines(int dirfd, const char *dir, const char *file, char *const *lines,
                          struct nano_err *err)
{
	_cleanup_close_ int fd = cgroupfs_open_append_at(dirfd, file);

	if (fd < 0)
		return nano_err_set(err, -fd, "open %s/%s: %s", dir, file, strerror(-fd));
	for (size_t i = 0; lines[i]; i++) {
		int r = cgroupfs_write_fd(fd, lines[i]);

		if (r < 0)
			return nano_err_set(err, -r, "write '%.*s' to %s/%s: %s",
			                    (int)strcspn(lines[i], "\n"), lines[i], dir, file,
			                    strerror(-r));
	}
	return 0;
}

static int v1_devices(const char *dir, const struct security_device *allow, size_t n,
                      struct nano_err *err)
{
	static char *const deny_all[] = {"a\n", NULL};
	static char *const allow_all[] = {"a *:* rwm\n", NULL};
	_cleanup_strv_ char **rules = NULL;
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dirfd < 0)
		return nano_err_set(err, errno, "cgroup %s: %s", dir, strerror(errno));
	/* every device: the other rules add nothing, and nothing is denied */
	if (cgroup_devices_allow_all(allow, n)) {
		r = v1_write_lines(dirfd, dir, "devices.allow", allow_all, err);
		if (r >= 0)
			log_debug("%s: every device allowed", dir);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		char rule[64];

		security_device_rule(&allow[i], rule, sizeof(rule));
		if (strv_pushf(&rules, "%s\n", rule) < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
	}
	r = v1_write_lines(dirfd, dir, "devices.deny", deny_all, err);
	if (r >= 0 && rules)
		r = v1_write_lines(dirfd, dir, "devices.allow", rules, err);
	if (r >= 0)
		log_debug("%s: every device denied, then %zu allowed", dir, n);
	return r;
}

/* ---- v2: the BPF device filter ------------------------------------------------------------ */

static int prog_load(const struct bpf_insn *insns, size_t len, char *log, size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = ptr_u64(insns);
	attr.insn_cnt = (uint32_t)len;
	attr.license = ptr_u64("GPL");
	if (log) {
		attr.log_buf = ptr_u64(log);
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
	}
	/* bpftool prog shows whose it is */
	memcpy(attr.prog_name, "nanolet_devices", sizeof("nanolet_devices"));
	return sys_bpf(BPF_PROG_LOAD, &attr);
}

/* Kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK and refuse a load over it with
 * EPERM (runc and libbpf raise it too). true when raised. */
static bool raise_memlock(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return false;
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return false;
	log_debug("RLIMIT_MEMLOCK raised to unlimited for the BPF device filter");
	return true;
}

static int unsupported(int r, struct nano_err *err)
{
	return nano_err_set(err, EOPNOTSUPP,
	                    "the kernel will not load a BPF_PROG_TYPE_CGROUP_DEVICE program "
	                    "(bpf(BPF_PROG_LOAD): %s), and without one cgroup v2 cannot confine "
	                    "a container's devices",
	                    strerror(-r));
}

/* The program's fd; -EOPNOTSUPP when the kernel has no BPF device filter for us, -EINVAL (or
 * -EACCES) with the verifier's log when it refuses this program. */
static int load(const struct bpf_insn *insns, size_t len, struct nano_err *err)
{
	_cleanup_free_ char *log = NULL;
	size_t log_len;
	int fd = prog_load(insns, len, NULL, 0);

	if (fd == -EPERM && raise_memlock())
		fd = prog_load(insns, len, NULL, 0);
	if (fd >= 0)
		return fd;
	if (fd == -EPERM || fd == -ENOSYS)
		return unsupported(fd, err);
	if (fd != -EINVAL && fd != -EACCES)
		return nano_err_set(err, -fd, "bpf(BPF_PROG_LOAD) of the device filter: %s",
		                    strerror(-fd));
	/* Again with a log, for the verifier's word on it. */
	log = calloc(1, LOG_SIZE);
	if (!log)
		return nano_err_set(err, ENOMEM, "out of memory");
	fd = prog_load(insns, len, log, LOG_SIZE);
	if (fd >= 0)
		return fd; /* a transient refusal */
	log_len = strnlen(log, LOG_SIZE);
	while (log_len > 0 && (log[log_len - 1] == '\n' || log[log_len - 1] == ' '))
		log[--log_len] = '\0';
	/* An unknown program type fails before the verifier runs: an empty log (a kernel
	 * without CONFIG_CGROUP_BPF). */
	if (log_len == 0 && fd == -EINVAL)
		return unsupported(fd, err);
	return nano_err_set(err, -fd,
	                    "the kernel's verifier refused the device filter (%zu instructions): "
	                    "%s: %s%s",
	                    len, strerror(-fd), log_len > LOG_SHOWN ? "..." : "",
	                    log + (log_len > LOG_SHOWN ? log_len - LOG_SHOWN : 0));
}

/* The ids of the device programs attached to the cgroup itself (not its ancestors). */
static int query(int cgroup_fd, uint32_t *ids, uint32_t *n, struct nano_err *err)
{
	union bpf_attr attr;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = ptr_u64(ids);
	attr.query.prog_cnt = MAX_ATTACHED;
	r = sys_bpf(BPF_PROG_QUERY, &attr);
	if (r < 0)
		return nano_err_set(err, -r, "bpf(BPF_PROG_QUERY) of the device programs: %s",
		                    strerror(-r));
	*n = attr.query.prog_cnt;
	return 0;
}

static int attach(int cgroup_fd, int prog_fd, struct nano_err *err)
{
	union bpf_attr attr;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	/* MULTI: a program above (systemd's, an ancestor's) keeps its say, and ours adds ours */
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	r = sys_bpf(BPF_PROG_ATTACH, &attr);
	if (r < 0)
		return nano_err_set(err, -r,
		                    "bpf(BPF_PROG_ATTACH) of the device filter (BPF_CGROUP_DEVICE, "
		                    "BPF_F_ALLOW_MULTI): %s",
		                    strerror(-r));
	return 0;
}

/* Detaches the program of id from the cgroup; one already gone is fine. */
static int detach(int cgroup_fd, uint32_t id, struct nano_err *err)
{
	_cleanup_close_ int prog_fd = -1;
	union bpf_attr attr;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	prog_fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (prog_fd == -ENOENT)
		return 0;
	if (prog_fd < 0)
		return nano_err_set(err, -prog_fd, "bpf(BPF_PROG_GET_FD_BY_ID) of program %u: %s",
		                    id, strerror(-prog_fd));
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	r = sys_bpf(BPF_PROG_DETACH, &attr);
	if (r < 0 && r != -ENOENT)
		return nano_err_set(err, -r, "bpf(BPF_PROG_DETACH) of device program %u: %s", id,
		                    strerror(-r));
	return 0;
}

int cgroup_devices_attach(int cgroup_fd, const struct security_device *allow, size_t n,
                          struct nano_err *err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int prog_fd = -1;
	uint32_t old[MAX_ATTACHED], n_old = 0;
	size_t len;
	int r;

	r = cgroup_devices_program(allow, n, &insns, &len, err);
	if (r < 0)
		return r;
	if (insns) {
		prog_fd = load(insns, len, err);
		if (prog_fd < 0)
			return prog_fd;
	}
	r = query(cgroup_fd, old, &n_old, err);
	if (r < 0) {
		/* Every device allowed, and no BPF here to have attached a program with: done. */
		if (!insns && (r == -ENOSYS || r == -EINVAL || r == -EPERM)) {
			nano_err_clear(err);
			return 0;
		}
		return r;
	}
	/* The new program first, then the old ones out: never a moment without a filter. */
	if (insns) {
		r = attach(cgroup_fd, prog_fd, err);
		if (r < 0)
			return r;
	}
	for (uint32_t i = 0; i < n_old; i++) {
		r = detach(cgroup_fd, old[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the driver operation ----------------------------------------------------------------- */

int cgroup_driver_devices(struct cgroup_driver *d, const char *rel,
                          const struct security_device *allow, size_t n, struct nano_err *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = cgroup_devices_check(allow, n, err);
	if (r < 0)
		return r;
	r = cgroup_driver_dir(d, d->kind == PLAN_CGROUP_V1 ? "devices" : NULL, rel, &dir);
	if (r == -EINVAL)
		return nano_err_set(err, EINVAL,
		                    "cgroup '%s' is not a path relative to nanolet's root",
		                    rel ? rel : "(null)");
	/* Every device allowed is what a host without the hierarchy gives anyway. */
	if (r == -ENOENT && cgroup_devices_allow_all(allow, n))
		return 0;
	if (r == -ENOENT)
		return nano_err_set(
		        err, EOPNOTSUPP,
		        "no cgroup v1 devices hierarchy is mounted: the v1 driver cannot "
		        "confine the devices of cgroup %s",
		        rel);
	if (r < 0)
		return nano_err_set(err, -r, "cgroup %s: %s", rel, strerror(-r));
	if (d->kind == PLAN_CGROUP_V1)
		return v1_devices(dir, allow, n, err);

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nano_err_set(err, errno, "cgroup %s: %s", dir, strerror(errno));
	r = cgroup_devices_attach(fd, allow, n, err);
	if (r < 0)
		return nano_err_wrap(err, "cgroup %s", dir);
	log_debug("%s: device filter for %zu rule(s)%s", dir, n,
	          cgroup_devices_allow_all(allow, n) ? " (every device: none)" : "");
	return 0;
}
