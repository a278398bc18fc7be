/* tests/unit/test_seccomp_load.c: shim_seccomp_load for real. Each test forks a child that
 * sets no_new_privs (so no root is needed), loads a profile and then makes syscalls, checking
 * what the kernel answers; the child reports a failure on a pipe and always leaves with _exit,
 * so that nothing (atexit, LeakSanitizer) runs under the filter. The parent only waits.
 *
 * What is checked is the kernel's answer, through raw syscall(2) where libc might answer
 * itself (getpid caching, personality's return, clone wrappers).
 */
#include "check_main.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <seccomp.h>

#include "runtime/shim.h"
#include "security/security.h"

#define CAP(c) (UINT64_C(1) << (c))

static int fail_fd = -1;

static _Noreturn __attribute__((format(printf, 2, 3))) void child_fail(int line, const char *fmt,
                                                                       ...)
{
	char buf[512];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	(void)!write(fail_fd, buf, strlen(buf));
	_exit(1);
}

#define CHILD_CHECK(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond))                                                                       \
			child_fail(__LINE__, __VA_ARGS__);                                         \
	} while (0)

/* A syscall that must fail with errnum. */
#define CHILD_ERRNO(call, errnum)                                                                  \
	do {                                                                                       \
		errno = 0;                                                                         \
		long _r = (long)(call);                                                            \
		CHILD_CHECK(_r == -1 && errno == (errnum), "%s: %ld, errno %d (%s), want %s",      \
		            #call, _r, errno, strerror(errno), strerrorname_np(errnum));           \
	} while (0)

/* A syscall that must not fail. */
#define CHILD_OK(call)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		long _r = (long)(call);                                                            \
		CHILD_CHECK(_r >= 0, "%s: %ld, errno %d (%s)", #call, _r, errno, strerror(errno)); \
	} while (0)

/* Runs fn in a child; returns its wait status, and the failure it reported in msg. */
static int in_child(void (*fn)(void), char *msg, size_t size)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		fail_fd = fds[1];
		fn();
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], msg, size - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void run(void (*fn)(void))
{
	char msg[512];
	int status = in_child(fn, msg, sizeof(msg));

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %#x: %s",
	              status, msg);
}

static void no_new_privs(void)
{
	CHILD_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

static void load(const struct security_seccomp_profile *p, uint64_t caps)
{
	struct nano_err err = {0};
	int r = shim_seccomp_load(p, caps, &err);

	CHILD_CHECK(r == 0, "shim_seccomp_load: %d: %s", r, err.message);
	CHILD_CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "no filter after loading");
}

static void load_json(const char *json, uint64_t caps)
{
	struct security_seccomp_profile *p = NULL;
	struct nano_err err = {0};
	int r = security_seccomp_parse(json, strlen(json), &p, &err);

	CHILD_CHECK(r == 0, "parse: %s", err.message);
	load(p, caps);
	security_seccomp_free(p);
}

/* fork-like clone(2) with flags, the child leaving at once; the parent's result. */
static long clone_flags(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

/* struct clone_args of clone3(2), as far as it is needed */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static long clone3_fork(void)
{
	struct clone3_args a = {.exit_signal = SIGCHLD};
	long pid = syscall(SYS_clone3, &a, sizeof(a));

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

/* ---- RuntimeDefault ---------------------------------------------------------------------- */

static void child_runtime_default(void)
{
	int fds[2];

	CHILD_OK(pipe(fds));
	no_new_privs();
	load(security_seccomp_runtime_default(), security_caps_runtime_default());

	/* what every program needs */
	CHILD_OK(syscall(SYS_getpid));
	CHILD_OK(write(fds[1], "x", 1));
	CHILD_ERRNO(mkdir("/", 0755), EEXIST); /* answered by the kernel */
	CHILD_OK(clone_flags(0));
	CHILD_OK(syscall(SYS_personality, 0xffffffffUL));
	CHILD_OK(syscall(SYS_personality, 0UL));
	CHILD_OK(socket(AF_UNIX, SOCK_STREAM, 0));

	/* what it refuses */
	CHILD_ERRNO(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	CHILD_ERRNO(syscall(SYS_add_key, "user", "nanolet", "x", 1, -2 /* process keyring */),
	            EPERM);
	CHILD_ERRNO(unshare(CLONE_NEWUSER), EPERM);
	CHILD_ERRNO(unshare(0), EPERM);
	CHILD_ERRNO(setns(-1, 0), EPERM);
	CHILD_ERRNO(mount("none", "/mnt", "tmpfs", 0, NULL), EPERM);
	CHILD_ERRNO(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	CHILD_ERRNO(clone_flags(CLONE_NEWUSER), EPERM);
	CHILD_ERRNO(clone_flags(CLONE_NEWNET), EPERM);
	CHILD_ERRNO(clone3_fork(), ENOSYS);
	CHILD_ERRNO(syscall(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */), EPERM);
	CHILD_ERRNO(socket(AF_ALG, SOCK_SEQPACKET, 0), EPERM);
	CHILD_ERRNO(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
	CHILD_ERRNO(syscall(SYS_io_uring_setup, 1, NULL), EPERM);

	/* past every syscall the profile names: ENOSYS, as from a kernel without it */
	CHILD_ERRNO(syscall(1000), ENOSYS);
	CHILD_ERRNO(syscall(0x3ffffffe), ENOSYS);
}

START_TEST(runtime_default_loaded)
{
	run(child_runtime_default);
}
END_TEST

/* The same calls without a filter: they are answered by the kernel, not refused. */
static void child_unconfined(void)
{
	no_new_privs();
	CHILD_OK(unshare(0));
	CHILD_ERRNO(setns(-1, 0), EBADF);
	CHILD_ERRNO(syscall(SYS_keyctl, -1, 0, 0, 0, 0), EOPNOTSUPP);
	CHILD_ERRNO(syscall(SYS_clone3, NULL, 0), EINVAL);
	CHILD_OK(syscall(SYS_personality, 0x0040000UL));
	CHILD_CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "a filter without loading one");
}

START_TEST(unconfined_compared)
{
	run(child_unconfined);
}
END_TEST

/* CAP_SYS_ADMIN in the bounding set brings containerd's admin group: the kernel answers. */
static void child_runtime_default_admin(void)
{
	no_new_privs();
	load(security_seccomp_runtime_default(),
	     security_caps_runtime_default() | CAP(CAP_SYS_ADMIN));
	CHILD_OK(unshare(0));
	CHILD_ERRNO(setns(-1, 0), EBADF);
	CHILD_ERRNO(syscall(SYS_clone3, NULL, 0), EINVAL);
	CHILD_OK(clone3_fork());
	/* what CAP_SYS_ADMIN does not bring */
	CHILD_ERRNO(syscall(SYS_keyctl, -1, 0, 0, 0, 0), EPERM);
	CHILD_ERRNO(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
}

START_TEST(runtime_default_with_sys_admin)
{
	run(child_runtime_default_admin);
}
END_TEST

/* ---- Localhost-like profiles ------------------------------------------------------------- */

static void child_deny_mkdir(void)
{
	no_new_privs();
	load_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", "
	          "\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}",
	          security_caps_runtime_default());
	CHILD_ERRNO(mkdir("/tmp/nanolet-seccomp-never", 0755), EPERM);
	CHILD_ERRNO(mkdirat(AT_FDCWD, "/tmp/nanolet-seccomp-never", 0755), EPERM);
	CHILD_OK(syscall(SYS_getpid));
	CHILD_OK(unshare(0));
}

START_TEST(localhost_denies_mkdir)
{
	run(child_deny_mkdir);
}
END_TEST

/* A name this libseccomp does not know is skipped; the rest of the rule holds. */
static void child_unknown_name(void)
{
	no_new_privs();
	load_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	          "[\"no_such_syscall_v99\", \"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", "
	          "\"errnoRet\": 38}]}",
	          0);
	CHILD_ERRNO(syscall(SYS_getppid), ENOSYS);
}

START_TEST(unknown_names_skipped)
{
	run(child_unknown_name);
}
END_TEST

/* Two conditions on one argument become two rules, as in runc and crun: an OR. */
static void child_repeated_argument(void)
{
	no_new_privs();
	load_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	          "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13, \"args\": ["
	          "{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}, "
	          "{\"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	          0);
	CHILD_ERRNO(syscall(SYS_personality, 8UL), EACCES);
	CHILD_ERRNO(syscall(SYS_personality, 131072UL), EACCES);
	CHILD_OK(syscall(SYS_personality, 0xffffffffUL));
}

START_TEST(repeated_argument_is_or)
{
	run(child_repeated_argument);
}
END_TEST

/* Conditions on different arguments are one rule: an AND. MASKED_EQ is (arg & value) ==
 * valueTwo. */
static void child_and_masked(void)
{
	no_new_privs();
	load_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	          "[\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 97, \"args\": ["
	          "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, "
	          "{\"index\": 1, \"value\": 15, \"valueTwo\": 2, \"op\": "
	          "\"SCMP_CMP_MASKED_EQ\"}]}]}",
	          0);
	CHILD_ERRNO(socket(AF_UNIX, SOCK_DGRAM, 0), EAFNOSUPPORT);
	CHILD_ERRNO(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), EAFNOSUPPORT);
	CHILD_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHILD_OK(socket(AF_INET, SOCK_DGRAM, 0));
}

START_TEST(conditions_and_masked_eq)
{
	run(child_and_masked);
}
END_TEST

/* includes/excludes decided by the bounding set handed in, not by the process's own. */
static void child_caps_decide(void)
{
	no_new_privs();
	load_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
	          "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5,"
	          " \"includes\": {\"caps\": [\"CAP_BPF\"]}},"
	          "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 6,"
	          " \"excludes\": {\"caps\": [\"CAP_KILL\"]}},"
	          "{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 7,"
	          " \"includes\": {\"minKernel\": \"3.0\", \"arches\": [\"amd64\", \"arm64\"]}},"
	          "{\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 8,"
	          " \"includes\": {\"minKernel\": \"99.0\"}}]}",
	          CAP(CAP_KILL));
	CHILD_OK(syscall(SYS_getppid));
	CHILD_ERRNO(syscall(SYS_getuid), E2BIG);
	CHILD_OK(syscall(SYS_getgid));
}

START_TEST(includes_excludes_at_load)
{
	run(child_caps_decide);
}
END_TEST

/* A profile written for every machine: architectures of another byte order (s390x) cannot run
 * here and are left out; the others are added. */
static void child_foreign_arches(void)
{
	no_new_privs();
	load_json(
	        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
	        "\"SCMP_ARCH_X86\", \"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_S390X\", "
	        "\"SCMP_ARCH_PPC64\", "
	        "\"SCMP_ARCH_LOONGARCH64\"], \"syscalls\": [{\"names\": [\"getppid\"], "
	        "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	        0);
	CHILD_ERRNO(syscall(SYS_getppid), EPERM);
}

START_TEST(foreign_architectures)
{
	run(child_foreign_arches);
}
END_TEST

/* A syscall numbered above every one the profile names gets ENOSYS, so that libc falls back
 * (runc's patchbpf); one below that the profile does not name gets the default. */
static void child_newer_than_profile(void)
{
	/* what the child needs to report and exit, under ASan too */
	static const char *const named[] = {
	        "write",          "exit",         "exit_group", "getppid", "prctl",
	        "mmap",           "munmap",       "brk",        "madvise", "sigaltstack",
	        "rt_sigprocmask", "rt_sigaction", NULL};
	static const struct {
		const char *name;
		long nr;
	} probes[] = {
	        {"getuid", SYS_getuid},
	        {"gettid", SYS_gettid},
	        {"getpid", SYS_getpid},
	        {"tgkill", SYS_tgkill},
	        {"openat", SYS_openat},
	        {"mkdirat", SYS_mkdirat},
	        {"io_uring_setup", SYS_io_uring_setup},
	        {"pidfd_open", SYS_pidfd_open},
	};
	int max = 0, below = 0, above = 0, n;
	char json[1024];

	for (size_t i = 0; named[i]; i++)
		if (seccomp_syscall_resolve_name(named[i]) > max)
			max = seccomp_syscall_resolve_name(named[i]);
	no_new_privs();
	n = snprintf(json, sizeof(json),
	             "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 13, "
	             "\"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\", \"names\": [");
	for (size_t i = 0; named[i]; i++)
		n += snprintf(json + n, sizeof(json) - (size_t)n, "%s\"%s\"", i ? ", " : "",
		              named[i]);
	snprintf(json + n, sizeof(json) - (size_t)n, "]}]}");
	load_json(json, 0);
	CHILD_OK(syscall(SYS_getppid));
	for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
		/* never run: refused either way */
		errno = 0;
		long r = syscall(probes[i].nr, -1L, -1L, -1L);
		int want = probes[i].nr > max ? ENOSYS : EACCES;

		CHILD_CHECK(r == -1 && errno == want,
		            "%s (%ld, largest named %d): %ld, %s, want %s", probes[i].name,
		            probes[i].nr, max, r, strerrorname_np(errno), strerrorname_np(want));
		if (want == ENOSYS)
			above++;
		else
			below++;
	}
	CHILD_CHECK(above && below, "probes only on one side of %d", max);
}

START_TEST(enosys_past_the_profile)
{
	run(child_newer_than_profile);
}
END_TEST

#if defined(__x86_64__)
/* The i386 ABI through int 0x80: containerd's amd64 filter covers x86 and x32 too. */
static long int80(long nr, long a)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a) : "memory");
	return r;
}

static void child_int80_works(void)
{
	CHILD_CHECK(int80(20 /* getpid */, 0) == getpid(), "int 0x80 getpid");
}

static void child_i386(void)
{
	no_new_privs();
	load(security_seccomp_runtime_default(), security_caps_runtime_default());
	CHILD_CHECK(int80(20 /* getpid */, 0) == getpid(), "i386 getpid refused");
	CHILD_CHECK(int80(288 /* keyctl */, 0) == -EPERM, "i386 keyctl: %ld", int80(288, 0));
	CHILD_CHECK(int80(310 /* unshare */, 0) == -EPERM, "i386 unshare: %ld", int80(310, 0));
	CHILD_CHECK(int80(999, 0) == -ENOSYS, "i386 999: %ld", int80(999, 0));
}

START_TEST(i386_abi)
{
	char msg[512];
	int status = in_child(child_int80_works, msg, sizeof(msg));

	/* a kernel without IA32 emulation kills int 0x80 with SIGSEGV: nothing to filter */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return;
	run(child_i386);
}
END_TEST
#endif

/* ---- actions ------------------------------------------------------------------------------ */

struct action_case {
	const char *what;
	const char *action;
	int signal; /* the child dies of it; 0: it exits */
};

static const struct action_case action_cases[] = {
        {"KILL_PROCESS kills with SIGSYS", "SCMP_ACT_KILL_PROCESS", SIGSYS},
        {"KILL kills with SIGSYS", "SCMP_ACT_KILL", SIGSYS},
        {"KILL_THREAD kills with SIGSYS", "SCMP_ACT_KILL_THREAD", SIGSYS},
        {"TRAP raises SIGSYS", "SCMP_ACT_TRAP", SIGSYS},
        {"LOG lets it run", "SCMP_ACT_LOG", 0},
        {"TRACE without a tracer is ENOSYS", "SCMP_ACT_TRACE", 0},
};

static int action_index;

static void child_action(void)
{
	char json[256];

	snprintf(json, sizeof(json),
	         "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	         "[\"getppid\"], \"action\": \"%s\"}]}",
	         action_cases[action_index].action);
	/* no core file from the SIGSYS */
	CHILD_OK(setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}));
	no_new_privs();
	load_json(json, 0);
	if (strcmp(action_cases[action_index].action, "SCMP_ACT_TRACE") == 0)
		CHILD_ERRNO(syscall(SYS_getppid), ENOSYS);
	else
		CHILD_OK(syscall(SYS_getppid));
}

START_TEST(actions)
{
	const struct action_case *c = &action_cases[_i];
	char msg[512];
	int status;

	action_index = _i;
	status = in_child(child_action, msg, sizeof(msg));
	if (c->signal)
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == c->signal,
		              "%s: status %#x: %s", c->what, status, msg);
	else
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %#x: %s",
		              c->what, status, msg);
}
END_TEST

/* ---- no_new_privs is the caller's ------------------------------------------------------- */

static bool has_sys_admin(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};

	return syscall(SYS_capget, &h, d) == 0 && (d[0].effective & CAP(CAP_SYS_ADMIN));
}

/* With CAP_SYS_ADMIN the filter loads without no_new_privs, and it stays unset. */
static void child_without_nnp(void)
{
	load(security_seccomp_runtime_default(), security_caps_runtime_default());
	CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "no_new_privs was set");
	CHILD_ERRNO(unshare(0), EPERM);
}

/* Without either, the kernel refuses, and the message says why. */
static void child_neither(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};
	struct nano_err err = {0};
	int r;

	CHILD_OK(syscall(SYS_capget, &h, d));
	d[0].effective &= ~(uint32_t)CAP(CAP_SYS_ADMIN);
	CHILD_OK(syscall(SYS_capset, &h, d));
	r = shim_seccomp_load(security_seccomp_runtime_default(), 0, &err);
	CHILD_CHECK(r == -EACCES, "shim_seccomp_load: %d: %s", r, err.message);
	CHILD_CHECK(err.message && strstr(err.message, "neither CAP_SYS_ADMIN nor no_new_privs"),
	            "message: %s", err.message);
	CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "no_new_privs was set");
	CHILD_CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "a filter was loaded");
}

START_TEST(no_new_privs_is_the_callers)
{
	if (!has_sys_admin()) {
		/* without CAP_SYS_ADMIN only the refusal can be shown */
		run(child_neither);
		return;
	}
	run(child_without_nnp);
	run(child_neither);
}
END_TEST

static Suite *seccomp_load_suite(void)
{
	Suite *s = suite_create("seccomp_load");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, runtime_default_loaded);
	tcase_add_test(tc, unconfined_compared);
	tcase_add_test(tc, runtime_default_with_sys_admin);
	tcase_add_test(tc, localhost_denies_mkdir);
	tcase_add_test(tc, unknown_names_skipped);
	tcase_add_test(tc, repeated_argument_is_or);
	tcase_add_test(tc, conditions_and_masked_eq);
	tcase_add_test(tc, includes_excludes_at_load);
	tcase_add_test(tc, foreign_architectures);
	tcase_add_test(tc, enosys_past_the_profile);
#if defined(__x86_64__)
	tcase_add_test(tc, i386_abi);
#endif
	tcase_add_loop_test(tc, actions, 0, (int)ELEMENTSOF(action_cases));
	tcase_add_test(tc, no_new_privs_is_the_callers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(seccomp_load_suite());
}
