/* tests/unit/test_seccomp.c: the seccomp profile model of pkg/security — what RuntimeDefault
 * (containerd's default profile) decides for a syscall on a given machine and bounding set, and
 * the model's vocabulary (architectures, kernel versions, names). Pure: nothing here loads a
 * filter (test_seccomp_load.c does) or reads JSON (test_seccomp_json.c).
 *
 * What a profile decides is modelled here as runc's filter behaves for these profiles: the
 * first rule that applies, names the syscall and whose conditions hold (conditions on one
 * argument repeated: any of them) gives the action, else the default. That is a test helper,
 * not a claim about libseccomp's order for conflicting rules, which RuntimeDefault has none of.
 */
#include "check_main.h"
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <string.h>

#include "security/security.h"

#define ARCH(a)  SECURITY_SECCOMP_ARCH_##a
#define BIT(a)   SECURITY_SECCOMP_ARCH_BIT(SECURITY_SECCOMP_ARCH_##a)
#define CAP(c)   (UINT64_C(1) << (c))
#define KV(a, b) SECURITY_KERNEL_VERSION(a, b, 0)

#define ALLOW SECURITY_SECCOMP_ACT_ALLOW
#define ERRNO SECURITY_SECCOMP_ACT_ERRNO

/* ---- a model of the filter, for the tables ----------------------------------------------- */

static bool arg_holds(const struct security_seccomp_arg *a, const uint64_t *args)
{
	uint64_t v = args[a->index];

	switch (a->op) {
	case SECURITY_SECCOMP_OP_NE:
		return v != a->value;
	case SECURITY_SECCOMP_OP_LT:
		return v < a->value;
	case SECURITY_SECCOMP_OP_LE:
		return v <= a->value;
	case SECURITY_SECCOMP_OP_EQ:
		return v == a->value;
	case SECURITY_SECCOMP_OP_GE:
		return v >= a->value;
	case SECURITY_SECCOMP_OP_GT:
		return v > a->value;
	case SECURITY_SECCOMP_OP_MASKED_EQ:
		return (v & a->value) == a->value_two;
	}
	return false;
}

static bool rule_matches(const struct security_seccomp_rule *r, const uint64_t *args)
{
	unsigned count[SECURITY_SECCOMP_ARGS_MAX] = {0};
	bool repeated = false, all = true, any = false;

	for (size_t i = 0; i < r->n_args; i++)
		if (++count[r->args[i].index] > 1)
			repeated = true;
	for (size_t i = 0; i < r->n_args; i++) {
		bool h = arg_holds(&r->args[i], args);

		all = all && h;
		any = any || h;
	}
	return r->n_args == 0 || (repeated ? any : all);
}

static bool names(const struct security_seccomp_rule *r, const char *name)
{
	for (size_t i = 0; r->names[i]; i++)
		if (strcmp(r->names[i], name) == 0)
			return true;
	return false;
}

static enum security_seccomp_action decide(const struct security_seccomp_profile *p,
                                           const struct security_seccomp_env *env, const char *name,
                                           const uint64_t *args, uint16_t *errnum)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct security_seccomp_rule *r = &p->rules[i];

		if (security_seccomp_rule_applies(r, env) && names(r, name) &&
		    rule_matches(r, args)) {
			*errnum = r->errno_ret;
			return r->action;
		}
	}
	*errnum = p->default_errno_ret;
	return p->default_action;
}

/* ---- RuntimeDefault ---------------------------------------------------------------------- */

#define AF_UNIX_  1
#define AF_INET_  2
#define AF_ALG_   38
#define AF_NFC_   39
#define AF_VSOCK_ 40
#define AF_KCM_   41

struct decide_case {
	const char *what;
	const char *name;
	uint64_t args[SECURITY_SECCOMP_ARGS_MAX];
	uint64_t add, drop;              /* to and from containerd's default capabilities */
	enum security_seccomp_arch arch; /* 0 (X86): read as X86_64 unless x86 is set */
	bool x86;
	uint32_t kernel; /* 0: 6.1 */
	enum security_seccomp_action action;
	uint16_t errnum; /* for ERRNO */
};

static const struct decide_case decide_cases[] = {
        /* the plain allow list */
        {"read is allowed", "read", .action = ALLOW},
        {"write is allowed", "write", .action = ALLOW},
        {"getpid is allowed", "getpid", .action = ALLOW},
        {"execve is allowed", "execve", .action = ALLOW},
        {"mkdir is allowed", "mkdir", .action = ALLOW},
        {"newest syscalls are listed (mseal)", "mseal", .action = ALLOW},
        {"32-bit names are listed (chown32)", "chown32", .action = ALLOW},
        {"socketcall is allowed unfiltered", "socketcall", .action = ALLOW},

        /* what nothing grants */
        {"keyctl is refused", "keyctl", .action = ERRNO, .errnum = EPERM},
        {"add_key is refused", "add_key", .action = ERRNO, .errnum = EPERM},
        {"request_key is refused", "request_key", .action = ERRNO, .errnum = EPERM},
        {"kexec_load is refused", "kexec_load", .action = ERRNO, .errnum = EPERM},
        {"kexec_load is refused with every capability", "kexec_load", .add = SECURITY_CAPS_ALL,
         .action = ERRNO, .errnum = EPERM},
        {"userfaultfd is refused", "userfaultfd", .action = ERRNO, .errnum = EPERM},
        {"io_uring_setup is refused (containerd's own test)", "io_uring_setup", .action = ERRNO,
         .errnum = EPERM},
        {"swapon is refused", "swapon", .action = ERRNO, .errnum = EPERM},
        {"unknown names get the default", "no_such_syscall", .action = ERRNO, .errnum = EPERM},

        /* CAP_SYS_ADMIN */
        {"unshare is refused", "unshare", .action = ERRNO, .errnum = EPERM},
        {"mount is refused", "mount", .action = ERRNO, .errnum = EPERM},
        {"setns is refused", "setns", .action = ERRNO, .errnum = EPERM},
        {"bpf is refused", "bpf", .action = ERRNO, .errnum = EPERM},
        {"unshare with CAP_SYS_ADMIN", "unshare", .add = CAP(CAP_SYS_ADMIN), .action = ALLOW},
        {"mount with CAP_SYS_ADMIN", "mount", .add = CAP(CAP_SYS_ADMIN), .action = ALLOW},
        {"setns with CAP_SYS_ADMIN", "setns", .add = CAP(CAP_SYS_ADMIN), .action = ALLOW},
        {"open_tree with CAP_SYS_ADMIN", "open_tree", .add = CAP(CAP_SYS_ADMIN), .action = ALLOW},
        {"sethostname with CAP_SYS_ADMIN", "sethostname", .add = CAP(CAP_SYS_ADMIN),
         .action = ALLOW},

        /* clone's namespace-flag filter, clone3's ENOSYS */
        {"clone without flags", "clone", {SIGCHLD}, .action = ALLOW},
        {"clone as fork does", "clone", {0x01200011}, .action = ALLOW},
        {"clone of a thread", "clone", {0x003d0f00}, .action = ALLOW},
        {"clone with CLONE_NEWUSER",
         "clone",
         {CLONE_NEWUSER | SIGCHLD},
         .action = ERRNO,
         .errnum = EPERM},
        {"clone with CLONE_NEWNS", "clone", {CLONE_NEWNS}, .action = ERRNO, .errnum = EPERM},
        {"clone with CLONE_NEWCGROUP",
         "clone",
         {CLONE_NEWCGROUP},
         .action = ERRNO,
         .errnum = EPERM},
        {"clone with CLONE_NEWNET", "clone", {CLONE_NEWNET}, .action = ERRNO, .errnum = EPERM},
        {"clone with CLONE_NEWPID", "clone", {CLONE_NEWPID}, .action = ERRNO, .errnum = EPERM},
        {"clone with CLONE_NEWIPC", "clone", {CLONE_NEWIPC}, .action = ERRNO, .errnum = EPERM},
        {"clone with CLONE_NEWUTS", "clone", {CLONE_NEWUTS}, .action = ERRNO, .errnum = EPERM},
        {"clone with CLONE_NEWTIME is not in the mask", "clone", {0x80}, .action = ALLOW},
        {"clone with CLONE_NEWUSER and CAP_SYS_ADMIN",
         "clone",
         {CLONE_NEWUSER},
         .add = CAP(CAP_SYS_ADMIN),
         .action = ALLOW},
        {"clone on s390x: the flags are the second argument",
         "clone",
         {0, CLONE_NEWUSER},
         .arch = ARCH(S390X),
         .action = ERRNO,
         .errnum = EPERM},
        {"clone on s390x: the first argument is the stack",
         "clone",
         {CLONE_NEWUSER, 0},
         .arch = ARCH(S390X),
         .action = ALLOW},
        {"clone3 fails with ENOSYS, for libc to fall back", "clone3", .action = ERRNO,
         .errnum = ENOSYS},
        {"clone3 with CAP_SYS_ADMIN", "clone3", .add = CAP(CAP_SYS_ADMIN), .action = ALLOW},

        /* personality */
        {"personality PER_LINUX", "personality", {0}, .action = ALLOW},
        {"personality UNAME26", "personality", {0x0008}, .action = ALLOW},
        {"personality PER_LINUX32", "personality", {0x20000}, .action = ALLOW},
        {"personality PER_LINUX32|UNAME26", "personality", {0x20008}, .action = ALLOW},
        {"personality query", "personality", {0xffffffff}, .action = ALLOW},
        {"personality ADDR_NO_RANDOMIZE",
         "personality",
         {0x0040000},
         .action = ERRNO,
         .errnum = EPERM},
        {"personality READ_IMPLIES_EXEC",
         "personality",
         {0x0400000},
         .action = ERRNO,
         .errnum = EPERM},

        /* socket */
        {"socket AF_UNIX", "socket", {AF_UNIX_}, .action = ALLOW},
        {"socket AF_INET", "socket", {AF_INET_}, .action = ALLOW},
        {"socket AF_ALG is refused", "socket", {AF_ALG_}, .action = ERRNO, .errnum = EPERM},
        {"socket AF_NFC, between the two", "socket", {AF_NFC_}, .action = ALLOW},
        {"socket AF_VSOCK is refused", "socket", {AF_VSOCK_}, .action = ERRNO, .errnum = EPERM},
        {"socket AF_KCM, past AF_VSOCK", "socket", {AF_KCM_}, .action = ALLOW},

        /* the kernel version: ptrace from 4.8, when seccomp could no longer be bypassed */
        {"ptrace on 6.1", "ptrace", .action = ALLOW},
        {"ptrace on 4.8", "ptrace", .kernel = KV(4, 8), .action = ALLOW},
        {"ptrace on 4.4", "ptrace", .kernel = KV(4, 4), .action = ERRNO, .errnum = EPERM},
        {"process_vm_readv on 4.4", "process_vm_readv", .kernel = KV(4, 4), .action = ERRNO,
         .errnum = EPERM},
        {"ptrace on 4.4 with CAP_SYS_PTRACE", "ptrace", .add = CAP(CAP_SYS_PTRACE),
         .kernel = KV(4, 4), .action = ALLOW},
        {"kcmp is refused", "kcmp", .action = ERRNO, .errnum = EPERM},
        {"kcmp with CAP_SYS_PTRACE", "kcmp", .add = CAP(CAP_SYS_PTRACE), .action = ALLOW},
        {"pidfd_getfd with CAP_SYS_PTRACE", "pidfd_getfd", .add = CAP(CAP_SYS_PTRACE),
         .action = ALLOW},

        /* the other capability groups */
        {"open_by_handle_at is refused", "open_by_handle_at", .action = ERRNO, .errnum = EPERM},
        {"open_by_handle_at with CAP_DAC_READ_SEARCH", "open_by_handle_at",
         .add = CAP(CAP_DAC_READ_SEARCH), .action = ALLOW},
        {"reboot is refused", "reboot", .action = ERRNO, .errnum = EPERM},
        {"reboot with CAP_SYS_BOOT", "reboot", .add = CAP(CAP_SYS_BOOT), .action = ALLOW},
        {"chroot with the default CAP_SYS_CHROOT", "chroot", .action = ALLOW},
        {"chroot without CAP_SYS_CHROOT", "chroot", .drop = CAP(CAP_SYS_CHROOT), .action = ERRNO,
         .errnum = EPERM},
        {"init_module is refused", "init_module", .action = ERRNO, .errnum = EPERM},
        {"finit_module with CAP_SYS_MODULE", "finit_module", .add = CAP(CAP_SYS_MODULE),
         .action = ALLOW},
        {"acct with CAP_SYS_PACCT", "acct", .add = CAP(CAP_SYS_PACCT), .action = ALLOW},
        {"acct is refused", "acct", .action = ERRNO, .errnum = EPERM},
        {"iopl with CAP_SYS_RAWIO", "iopl", .add = CAP(CAP_SYS_RAWIO), .action = ALLOW},
        {"ioperm is refused", "ioperm", .action = ERRNO, .errnum = EPERM},
        {"settimeofday is refused", "settimeofday", .action = ERRNO, .errnum = EPERM},
        {"clock_settime with CAP_SYS_TIME", "clock_settime", .add = CAP(CAP_SYS_TIME),
         .action = ALLOW},
        {"vhangup with CAP_SYS_TTY_CONFIG", "vhangup", .add = CAP(CAP_SYS_TTY_CONFIG),
         .action = ALLOW},
        {"mbind is refused", "mbind", .action = ERRNO, .errnum = EPERM},
        {"mbind with CAP_SYS_NICE", "mbind", .add = CAP(CAP_SYS_NICE), .action = ALLOW},
        {"syslog is refused", "syslog", .action = ERRNO, .errnum = EPERM},
        {"syslog with CAP_SYSLOG", "syslog", .add = CAP(CAP_SYSLOG), .action = ALLOW},
        {"bpf with CAP_BPF", "bpf", .add = CAP(CAP_BPF), .action = ALLOW},
        {"perf_event_open is refused", "perf_event_open", .action = ERRNO, .errnum = EPERM},
        {"perf_event_open with CAP_PERFMON", "perf_event_open", .add = CAP(CAP_PERFMON),
         .action = ALLOW},
        {"CAP_NET_ADMIN brings nothing", "unshare", .add = CAP(CAP_NET_ADMIN), .action = ERRNO,
         .errnum = EPERM},

        /* the architecture groups */
        {"arch_prctl on x86_64", "arch_prctl", .action = ALLOW},
        {"modify_ldt on x86_64", "modify_ldt", .action = ALLOW},
        {"arch_prctl on aarch64 is refused", "arch_prctl", .arch = ARCH(AARCH64), .action = ERRNO,
         .errnum = EPERM},
        {"modify_ldt on x86", "modify_ldt", .x86 = true, .action = ALLOW},
        {"arch_prctl on x86 is refused", "arch_prctl", .x86 = true, .action = ERRNO,
         .errnum = EPERM},
        {"set_tls on aarch64", "set_tls", .arch = ARCH(AARCH64), .action = ALLOW},
        {"set_tls on arm", "set_tls", .arch = ARCH(ARM), .action = ALLOW},
        {"set_tls on x86_64 is refused", "set_tls", .action = ERRNO, .errnum = EPERM},
        {"swapcontext on ppc64le", "swapcontext", .arch = ARCH(PPC64LE), .action = ALLOW},
        {"s390_runtime_instr on s390x", "s390_runtime_instr", .arch = ARCH(S390X), .action = ALLOW},
        {"riscv_hwprobe on riscv64", "riscv_hwprobe", .arch = ARCH(RISCV64), .action = ALLOW},
};

START_TEST(runtime_default_decides)
{
	const struct decide_case *c = &decide_cases[_i];
	struct security_seccomp_env env = {
	        .arch = c->x86    ? ARCH(X86)
	                : c->arch ? c->arch
	                          : ARCH(X86_64),
	        .kernel = c->kernel ? c->kernel : KV(6, 1),
	        .caps = (security_caps_runtime_default() | c->add) & ~c->drop,
	};
	uint16_t errnum = 0;
	enum security_seccomp_action a =
	        decide(security_seccomp_runtime_default(), &env, c->name, c->args, &errnum);

	ck_assert_msg(a == c->action, "%s: %s, want %s", c->what, security_seccomp_action_name(a),
	              security_seccomp_action_name(c->action));
	if (a == ERRNO)
		ck_assert_msg(errnum == c->errnum, "%s: errno %u, want %u", c->what, errnum,
		              c->errnum);
}
END_TEST

START_TEST(runtime_default_shape)
{
	const struct security_seccomp_profile *p = security_seccomp_runtime_default();

	ck_assert_int_eq(p->default_action, ERRNO);
	ck_assert_int_eq(p->default_errno_ret, EPERM);
	ck_assert_uint_eq(p->architectures, 0);
	ck_assert_uint_eq(p->flags, 0);
	/* containerd's arches() */
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(X86_64)),
	                  BIT(X86_64) | BIT(X86) | BIT(X32));
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(AARCH64)), BIT(AARCH64) | BIT(ARM));
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(S390X)), BIT(S390X) | BIT(S390));
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(MIPS64N32)),
	                  BIT(MIPS64N32) | BIT(MIPS) | BIT(MIPS64));
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(X86)), BIT(X86));
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(PPC64LE)), BIT(PPC64LE));
	/* the static profile is never freed */
	ck_assert_ptr_null(security_seccomp_free((struct security_seccomp_profile *)p));
	ck_assert_ptr_eq(security_seccomp_runtime_default(), p);
}
END_TEST

/* containerd lists syscalls newer than libseccomp 2.5.4 (its comments say which); any other
 * name of the table that libseccomp knows on no architecture is a typo. */
START_TEST(runtime_default_names_are_syscalls)
{
	static const char *const newer[] = {
	        "cachestat",
	        "fchmodat2",
	        "futex_requeue",
	        "futex_wait",
	        "futex_wake",
	        "getxattrat",
	        "listmount",
	        "listxattrat",
	        "lsm_get_self_attr",
	        "lsm_list_modules",
	        "lsm_set_self_attr",
	        "map_shadow_stack",
	        "mseal",
	        "removexattrat",
	        "setxattrat",
	        "statmount",
	        "uretprobe",
	        "riscv_hwprobe",
	        NULL,
	};
	const struct security_seccomp_profile *p = security_seccomp_runtime_default();
	size_t n = 0;

	for (size_t i = 0; i < p->n_rules; i++)
		for (size_t k = 0; p->rules[i].names[k]; k++) {
			const char *name = p->rules[i].names[k];
			bool known = false;

			for (int a = 0; a < SECURITY_SECCOMP_ARCH_COUNT && !known; a++) {
				uint32_t token =
				        seccomp_arch_resolve_name(security_seccomp_arch_token(a));

				known = token && seccomp_syscall_resolve_name_arch(token, name) !=
				                         __NR_SCMP_ERROR;
			}
			if (!known)
				ck_assert_msg(strv_contains((char **)newer, name),
				              "%s is no syscall libseccomp knows", name);
			n++;
		}
	ck_assert_uint_gt(n, 400);
}
END_TEST

/* ---- vocabulary --------------------------------------------------------------------------- */

struct arch_case {
	const char *name;
	int arch;
};

static const struct arch_case arch_cases[] = {
        {"SCMP_ARCH_X86_64", ARCH(X86_64)},
        {"x86_64", ARCH(X86_64)},
        {"amd64", ARCH(X86_64)},
        {"scmp_arch_x86_64", ARCH(X86_64)},
        {"SCMP_ARCH_X86", ARCH(X86)},
        {"x86", ARCH(X86)},
        {"386", ARCH(X86)},
        {"SCMP_ARCH_X32", ARCH(X32)},
        {"arm64", ARCH(AARCH64)},
        {"SCMP_ARCH_AARCH64", ARCH(AARCH64)},
        {"arm", ARCH(ARM)},
        {"s390x", ARCH(S390X)},
        {"ppc64le", ARCH(PPC64LE)},
        {"SCMP_ARCH_MIPSEL64N32", ARCH(MIPSEL64N32)},
        {"riscv64", ARCH(RISCV64)},
        {"loong64", ARCH(LOONGARCH64)},
        {"SCMP_ARCH_LOONGARCH64", ARCH(LOONGARCH64)},
        {"SCMP_ARCH_FOO", -1},
        {"", -1},
        {"x86_6", -1},
};

START_TEST(arch_names)
{
	const struct arch_case *c = &arch_cases[_i];

	ck_assert_msg(security_seccomp_arch_from_name(c->name) == c->arch, "%s: %d, want %d",
	              c->name, security_seccomp_arch_from_name(c->name), c->arch);
	if (c->arch >= 0)
		ck_assert_int_eq(
		        security_seccomp_arch_from_name(security_seccomp_arch_name(c->arch)),
		        c->arch);
}
END_TEST

struct kernel_case {
	const char *release;
	int rc;
	uint32_t version;
};

static const struct kernel_case kernel_cases[] = {
        {"4.8", 0, SECURITY_KERNEL_VERSION(4, 8, 0)},
        {"4", 0, SECURITY_KERNEL_VERSION(4, 0, 0)},
        {"5.10.0-21-amd64", 0, SECURITY_KERNEL_VERSION(5, 10, 0)},
        {"6.18.44-fc-v595", 0, SECURITY_KERNEL_VERSION(6, 18, 44)},
        {"3.10.0-1160.el7.x86_64", 0, SECURITY_KERNEL_VERSION(3, 10, 0)},
        {"4.19.300", 0, SECURITY_KERNEL_VERSION(4, 19, 255)},
        {"5.4-rc1", 0, SECURITY_KERNEL_VERSION(5, 4, 0)},
        {"v5.4", -EINVAL, 0},
        {"", -EINVAL, 0},
        {"abc", -EINVAL, 0},
        {"300.1", -EINVAL, 0},
};

START_TEST(kernel_versions)
{
	const struct kernel_case *c = &kernel_cases[_i];
	uint32_t v = 0;

	ck_assert_msg(security_kernel_version_parse(c->release, &v) == c->rc, "%s", c->release);
	if (c->rc == 0)
		ck_assert_msg(v == c->version, "%s: %#x, want %#x", c->release, v, c->version);
}
END_TEST

START_TEST(names_of_actions_and_operators)
{
	ck_assert_str_eq(security_seccomp_action_name(ALLOW), "SCMP_ACT_ALLOW");
	ck_assert_str_eq(security_seccomp_action_name(SECURITY_SECCOMP_ACT_KILL_PROCESS),
	                 "SCMP_ACT_KILL_PROCESS");
	ck_assert_ptr_null(security_seccomp_action_name((enum security_seccomp_action)99));
	ck_assert_str_eq(security_seccomp_op_name(SECURITY_SECCOMP_OP_MASKED_EQ),
	                 "SCMP_CMP_MASKED_EQ");
	ck_assert_ptr_null(security_seccomp_op_name((enum security_seccomp_op)99));
	ck_assert_str_eq(security_seccomp_kind_name(SECURITY_SECCOMP_RUNTIME_DEFAULT),
	                 "RuntimeDefault");
	ck_assert_str_eq(security_seccomp_arch_token(ARCH(AARCH64)), "aarch64");
	ck_assert_ptr_null(security_seccomp_arch_name(SECURITY_SECCOMP_ARCH_COUNT));
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("runtime_default");

	tcase_add_loop_test(tc, runtime_default_decides, 0, (int)ELEMENTSOF(decide_cases));
	tcase_add_test(tc, runtime_default_shape);
	tcase_add_test(tc, runtime_default_names_are_syscalls);
	suite_add_tcase(s, tc);

	tc = tcase_create("vocabulary");
	tcase_add_loop_test(tc, arch_names, 0, (int)ELEMENTSOF(arch_cases));
	tcase_add_loop_test(tc, kernel_versions, 0, (int)ELEMENTSOF(kernel_cases));
	tcase_add_test(tc, names_of_actions_and_operators);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return check_run(seccomp_suite());
}
