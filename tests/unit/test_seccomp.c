/* tests/unit/test_seccomp.c: the seccomp profile model of pkg/security — what RuntimeDefault
 * (containerd's default profile) decides for a syscall on a given machine and bounding set, and
 * the OCI/Docker JSON reader, its accepted shapes and every error it names. Pure: nothing here
 * loads a filter (test_seccomp_load.c does).
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

/* ---- the JSON reader --------------------------------------------------------------------- */

static struct security_seccomp_profile *parse_ok(const char *text)
{
	struct security_seccomp_profile *p = NULL;
	struct nano_err err = {0};

	ck_assert_msg(security_seccomp_parse(text, strlen(text), &p, &err) == 0, "%s", err.message);
	ck_assert_ptr_nonnull(p);
	nano_err_clear(&err);
	return p;
}

/* The OCI runtime spec's example (config-linux.md), and the fields it leaves at their zero. */
START_TEST(parse_oci_example)
{
	struct security_seccomp_profile *p =
	        parse_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\","
	                 " \"architectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
	                 " \"syscalls\": [{\"names\": [\"getcwd\", \"chmod\"],"
	                 "                 \"action\": \"SCMP_ACT_ERRNO\"}]}");

	ck_assert_int_eq(p->default_action, ALLOW);
	ck_assert_uint_eq(p->architectures, BIT(X86) | BIT(X32));
	ck_assert_uint_eq(p->n_arch_map, 0);
	ck_assert_uint_eq(p->n_rules, 1);
	ck_assert_str_eq(p->rules[0].names[0], "getcwd");
	ck_assert_str_eq(p->rules[0].names[1], "chmod");
	ck_assert_ptr_null(p->rules[0].names[2]);
	ck_assert_int_eq(p->rules[0].action, ERRNO);
	ck_assert_uint_eq(p->rules[0].errno_ret, EPERM); /* errnoRet left out */
	ck_assert_uint_eq(p->rules[0].n_args, 0);
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(X86_64)),
	                  BIT(X86_64) | BIT(X86) | BIT(X32));
	security_seccomp_free(p);
}
END_TEST

/* What containerd writes into config.json for RuntimeDefault on amd64, abridged. */
START_TEST(parse_containerd_config_json)
{
	struct security_seccomp_profile *p = parse_ok(
	        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
	        "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":[\"accept\","
	        "\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"socket\"],\"action\":"
	        "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":38,\"op\":\"SCMP_CMP_LT\"}]},"
	        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	        "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},{\"names\":"
	        "[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}");
	struct security_seccomp_env env = {.arch = ARCH(X86_64), .kernel = KV(6, 1)};
	uint64_t args[SECURITY_SECCOMP_ARGS_MAX] = {CLONE_NEWUSER};
	uint16_t errnum;

	ck_assert_int_eq(p->default_action, ERRNO);
	ck_assert_uint_eq(p->default_errno_ret, EPERM);
	ck_assert_uint_eq(p->n_rules, 4);
	ck_assert_int_eq(p->rules[2].args[0].op, SECURITY_SECCOMP_OP_MASKED_EQ);
	ck_assert_uint_eq(p->rules[2].args[0].value, 0x7E020000);
	ck_assert_uint_eq(p->rules[2].args[0].value_two, 0);
	ck_assert_int_eq(decide(p, &env, "clone", args, &errnum), ERRNO);
	ck_assert_int_eq(decide(p, &env, "clone3", args, &errnum), ERRNO);
	ck_assert_uint_eq(errnum, ENOSYS);
	ck_assert_int_eq(decide(p, &env, "read", args, &errnum), ALLOW);
	security_seccomp_free(p);
}
END_TEST

/* Docker's shape: archMap, name, includes/excludes, defaultErrnoRet, comment, flags. */
START_TEST(parse_docker_example)
{
	struct security_seccomp_profile *p = parse_ok(
	        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
	        " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\","
	        "                \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},"
	        "               {\"architecture\": \"SCMP_ARCH_RISCV64\", \"subArchitectures\": "
	        "null}],"
	        " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_TSYNC\"],"
	        " \"syscalls\": ["
	        "  {\"name\": \"read\", \"action\": \"SCMP_ACT_ALLOW\", \"args\": null,"
	        "   \"comment\": \"one name\"},"
	        "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\","
	        "   \"includes\": {\"minKernel\": \"4.8\"}},"
	        "  {\"names\": [\"modify_ldt\"], \"action\": \"SCMP_ACT_ALLOW\","
	        "   \"includes\": {\"arches\": [\"amd64\", \"x32\", \"x86\"]}},"
	        "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\","
	        "   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	        "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
	        "   \"args\": [{\"index\": 0, \"value\": 2114060288, \"op\": "
	        "\"SCMP_CMP_MASKED_EQ\"}],"
	        "   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\": [\"s390\", "
	        "\"s390x\"]}},"
	        "  {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,"
	        "   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"minKernel\": \"99.0\"}},"
	        "  {\"names\": [\"sync\"], \"action\": \"SCMP_ACT_TRACE\"},"
	        "  {\"names\": [\"syncfs\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7},"
	        "  {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL\"},"
	        "  {\"names\": [\"tkill\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
	        "  {\"names\": [\"tgkill\"], \"action\": \"SCMP_ACT_KILL_THREAD\"},"
	        "  {\"names\": [\"pause\"], \"action\": \"SCMP_ACT_TRAP\"},"
	        "  {\"names\": [\"alarm\"], \"action\": \"SCMP_ACT_LOG\"}"
	        " ]}");
	const struct security_seccomp_rule *r = p->rules;
	struct security_seccomp_env env = {.arch = ARCH(X86_64), .kernel = KV(6, 1)};

	ck_assert_uint_eq(p->default_errno_ret, 1);
	ck_assert_uint_eq(p->n_arch_map, 2);
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(X86_64)),
	                  BIT(X86_64) | BIT(X86) | BIT(X32));
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(RISCV64)), BIT(RISCV64));
	ck_assert_uint_eq(p->flags, SECURITY_SECCOMP_FLAG_LOG);
	ck_assert_uint_eq(p->n_rules, 13);
	ck_assert_str_eq(r[0].names[0], "read");
	ck_assert_ptr_null(r[0].names[1]);
	ck_assert_uint_eq(r[1].includes.min_kernel, KV(4, 8));
	ck_assert_uint_eq(r[2].includes.arches, BIT(X86_64) | BIT(X32) | BIT(X86));
	ck_assert_uint_eq(r[3].includes.caps, CAP(CAP_SYS_ADMIN));
	ck_assert_uint_eq(r[4].excludes.caps, CAP(CAP_SYS_ADMIN));
	ck_assert_uint_eq(r[4].excludes.arches, BIT(S390) | BIT(S390X));
	ck_assert_uint_eq(r[4].args[0].value_two, 0);
	ck_assert_uint_eq(r[5].errno_ret, 38);
	ck_assert_uint_eq(r[5].excludes.min_kernel, KV(99, 0));
	ck_assert_int_eq(r[6].action, SECURITY_SECCOMP_ACT_TRACE);
	ck_assert_uint_eq(r[6].errno_ret, EPERM);
	ck_assert_uint_eq(r[7].errno_ret, 7);
	ck_assert_int_eq(r[8].action, SECURITY_SECCOMP_ACT_KILL_THREAD);
	ck_assert_int_eq(r[9].action, SECURITY_SECCOMP_ACT_KILL_PROCESS);
	ck_assert_int_eq(r[10].action, SECURITY_SECCOMP_ACT_KILL_THREAD);
	ck_assert_int_eq(r[11].action, SECURITY_SECCOMP_ACT_TRAP);
	ck_assert_int_eq(r[12].action, SECURITY_SECCOMP_ACT_LOG);

	/* includes and excludes, decided */
	ck_assert(security_seccomp_rule_applies(&r[1], &env));
	env.kernel = KV(4, 4);
	ck_assert(!security_seccomp_rule_applies(&r[1], &env));
	ck_assert(security_seccomp_rule_applies(&r[2], &env));
	ck_assert(!security_seccomp_rule_applies(&r[3], &env));
	ck_assert(security_seccomp_rule_applies(&r[4], &env));
	ck_assert(security_seccomp_rule_applies(&r[5], &env));
	env.caps = CAP(CAP_SYS_ADMIN);
	ck_assert(security_seccomp_rule_applies(&r[3], &env));
	ck_assert(!security_seccomp_rule_applies(&r[4], &env));
	ck_assert(!security_seccomp_rule_applies(&r[5], &env));
	env = (struct security_seccomp_env){.arch = ARCH(S390X), .kernel = KV(99, 1)};
	ck_assert(!security_seccomp_rule_applies(&r[2], &env));
	ck_assert(!security_seccomp_rule_applies(&r[4], &env));
	ck_assert(!security_seccomp_rule_applies(&r[5], &env)); /* excludes.minKernel */
	security_seccomp_free(p);
}
END_TEST

/* Docker-format JSON of a profile, every field written. */
static json_t *cond_json(const struct security_seccomp_cond *c)
{
	json_t *o = json_object(), *caps = json_array(), *arches = json_array();

	for (int i = 0; i < SECURITY_CAP_COUNT; i++)
		if (c->caps & CAP(i))
			json_array_append_new(caps, json_string(security_cap_name(i)));
	for (int a = 0; a < SECURITY_SECCOMP_ARCH_COUNT; a++)
		if (c->arches & SECURITY_SECCOMP_ARCH_BIT(a))
			json_array_append_new(arches, json_string(security_seccomp_arch_name(a)));
	json_object_set_new(o, "caps", caps);
	json_object_set_new(o, "arches", arches);
	if (c->min_kernel)
		json_object_set_new(o, "minKernel",
		                    json_sprintf("%u.%u.%u", c->min_kernel >> 16,
		                                 (c->min_kernel >> 8) & 0xff,
		                                 c->min_kernel & 0xff));
	return o;
}

static bool takes_errno(enum security_seccomp_action a)
{
	return a == ERRNO || a == SECURITY_SECCOMP_ACT_TRACE;
}

static json_t *profile_json(const struct security_seccomp_profile *p)
{
	json_t *o = json_object(), *map = json_array(), *rules = json_array();

	json_object_set_new(o, "defaultAction",
	                    json_string(security_seccomp_action_name(p->default_action)));
	if (takes_errno(p->default_action))
		json_object_set_new(o, "defaultErrnoRet", json_integer(p->default_errno_ret));
	for (size_t i = 0; i < p->n_arch_map; i++) {
		json_t *subs = json_array();

		for (int a = 0; a < SECURITY_SECCOMP_ARCH_COUNT; a++)
			if (p->arch_map[i].sub_arches & SECURITY_SECCOMP_ARCH_BIT(a))
				json_array_append_new(subs,
				                      json_string(security_seccomp_arch_name(a)));
		json_array_append_new(map,
		                      json_pack("{s:s, s:o}", "architecture",
		                                security_seccomp_arch_name(p->arch_map[i].arch),
		                                "subArchitectures", subs));
	}
	json_object_set_new(o, "archMap", map);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct security_seccomp_rule *r = &p->rules[i];
		json_t *rule = json_object(), *n = json_array(), *args = json_array();

		for (size_t k = 0; r->names[k]; k++)
			json_array_append_new(n, json_string(r->names[k]));
		for (size_t k = 0; k < r->n_args; k++)
			json_array_append_new(args,
			                      json_pack("{s:I, s:I, s:I, s:s}", "index",
			                                (json_int_t)r->args[k].index, "value",
			                                (json_int_t)r->args[k].value, "valueTwo",
			                                (json_int_t)r->args[k].value_two, "op",
			                                security_seccomp_op_name(r->args[k].op)));
		json_object_set_new(rule, "names", n);
		json_object_set_new(rule, "action",
		                    json_string(security_seccomp_action_name(r->action)));
		if (takes_errno(r->action))
			json_object_set_new(rule, "errnoRet", json_integer(r->errno_ret));
		json_object_set_new(rule, "args", args);
		json_object_set_new(rule, "includes", cond_json(&r->includes));
		json_object_set_new(rule, "excludes", cond_json(&r->excludes));
		json_array_append_new(rules, rule);
	}
	json_object_set_new(o, "syscalls", rules);
	return o;
}

static void assert_cond_eq(const struct security_seccomp_cond *a,
                           const struct security_seccomp_cond *b, size_t i)
{
	ck_assert_msg(a->caps == b->caps && a->arches == b->arches &&
	                      a->min_kernel == b->min_kernel,
	              "rule %zu: includes/excludes differ", i);
}

/* RuntimeDefault written as Docker JSON and read back is RuntimeDefault: the reader knows
 * every field the table uses. */
START_TEST(parse_runtime_default_round_trip)
{
	const struct security_seccomp_profile *want = security_seccomp_runtime_default();
	struct security_seccomp_profile *got;
	json_t *o = profile_json(want);
	char *text = json_dumps(o, JSON_INDENT(1));

	got = parse_ok(text);
	ck_assert_int_eq(got->default_action, want->default_action);
	ck_assert_uint_eq(got->default_errno_ret, want->default_errno_ret);
	ck_assert_uint_eq(got->n_arch_map, want->n_arch_map);
	for (size_t i = 0; i < want->n_arch_map; i++) {
		ck_assert_int_eq(got->arch_map[i].arch, want->arch_map[i].arch);
		ck_assert_uint_eq(got->arch_map[i].sub_arches, want->arch_map[i].sub_arches);
	}
	ck_assert_uint_eq(got->n_rules, want->n_rules);
	for (size_t i = 0; i < want->n_rules; i++) {
		const struct security_seccomp_rule *g = &got->rules[i], *w = &want->rules[i];
		size_t k;

		for (k = 0; w->names[k]; k++)
			ck_assert_str_eq(g->names[k], w->names[k]);
		ck_assert_ptr_null(g->names[k]);
		ck_assert_int_eq(g->action, w->action);
		ck_assert_uint_eq(g->errno_ret, w->errno_ret);
		ck_assert_uint_eq(g->n_args, w->n_args);
		for (k = 0; k < w->n_args; k++)
			ck_assert_msg(g->args[k].index == w->args[k].index &&
			                      g->args[k].value == w->args[k].value &&
			                      g->args[k].value_two == w->args[k].value_two &&
			                      g->args[k].op == w->args[k].op,
			              "rule %zu arg %zu differs", i, k);
		assert_cond_eq(&g->includes, &w->includes, i);
		assert_cond_eq(&g->excludes, &w->excludes, i);
	}
	security_seccomp_free(got);
	free(text);
	json_decref(o);
}
END_TEST

struct parse_error_case {
	const char *what;
	const char *json;
	int errnum;
	const char *message;
};

#define RULE(s) "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" s "]}"
#define OK_RULE "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}, "

static const struct parse_error_case parse_errors[] = {
        {"bad JSON", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [}", EBADMSG,
         "json: line 2, column 15: unexpected token near '}'"},
        {"empty document", "", EBADMSG,
         "json: line 1, column 0: '[' or '{' expected near end of file"},
        {"a number past int64",
         RULE("{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\", "
              "\"args\": [{\"index\": 0, \"value\": "
              "18446744073709551615, \"op\": \"SCMP_CMP_EQ\"}]}"),
         EBADMSG, "json: line 1, column 145: too big integer near '18446744073709551615'"},
        {"not an object", "[]", EINVAL, "a seccomp profile is a JSON object"},
        {"no defaultAction", "{}", EINVAL, "defaultAction: required"},
        {"defaultAction not a string", "{\"defaultAction\": 1}", EINVAL,
         "defaultAction: must be a string"},
        {"unknown defaultAction", "{\"defaultAction\": \"SCMP_ACT_DENY\"}", EINVAL,
         "defaultAction: unknown action \"SCMP_ACT_DENY\""},
        {"actions are upper case", "{\"defaultAction\": \"scmp_act_allow\"}", EINVAL,
         "defaultAction: unknown action \"scmp_act_allow\""},
        {"NOTIFY default", "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", EINVAL,
         "defaultAction: SCMP_ACT_NOTIFY hands syscalls to a seccomp agent, and nanolet has "
         "none"},
        {"defaultErrnoRet with ALLOW",
         "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}", EINVAL,
         "defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
         "SCMP_ACT_ALLOW"},
        {"defaultErrnoRet past MAX_ERRNO",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 4096}", EINVAL,
         "defaultErrnoRet: 4096 is out of range: from 0 to 4095"},
        {"negative defaultErrnoRet",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}", EINVAL,
         "defaultErrnoRet: -1 is out of range: from 0 to 4095"},
        {"defaultErrnoRet a string",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": \"1\"}", EINVAL,
         "defaultErrnoRet: must be an integer"},
        {"defaultErrnoRet a fraction",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1.5}", EINVAL,
         "defaultErrnoRet: must be an integer"},
        {"architectures not an array",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": \"SCMP_ARCH_X86\"}", EINVAL,
         "architectures: must be an array"},
        {"unknown architecture",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\", "
         "\"SCMP_ARCH_VAX\"]}",
         EINVAL, "architectures[1]: unknown architecture \"SCMP_ARCH_VAX\""},
        {"architecture not a string",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [7]}", EINVAL,
         "architectures[0]: must be a string"},
        {"architectures and archMap",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\"], "
         "\"archMap\": []}",
         EINVAL, "archMap: both architectures and archMap are given: use one of them"},
        {"archMap entry not an object", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [1]}",
         EINVAL, "archMap[0]: must be an object"},
        {"archMap without architecture",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"subArchitectures\": []}]}",
         EINVAL, "archMap[0].architecture: required"},
        {"archMap unknown sub-architecture",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
         "\"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_Z80\"]}]}",
         EINVAL, "archMap[0].subArchitectures[1]: unknown architecture \"SCMP_ARCH_Z80\""},
        {"unknown flag",
         "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", "
         "\"SECCOMP_FILTER_FLAG_FAST\"]}",
         EINVAL, "flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\""},
        {"syscalls not an array", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
         EINVAL, "syscalls: must be an array"},
        {"rule not an object", RULE(OK_RULE "\"read\""), EINVAL, "syscalls[1]: must be an object"},
        {"rule without names", RULE(OK_RULE "{\"action\": \"SCMP_ACT_ALLOW\"}"), EINVAL,
         "syscalls[1].names: required"},
        {"rule with name and names",
         RULE("{\"name\": \"read\", \"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
         EINVAL, "syscalls[0]: both name and names are given: use one of them"},
        {"empty names", RULE("{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}"), EINVAL,
         "syscalls[0].names: must name at least one syscall"},
        {"names not an array", RULE("{\"names\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}"),
         EINVAL, "syscalls[0].names: must be an array"},
        {"a name not a string", RULE("{\"names\": [\"read\", 3], \"action\": \"SCMP_ACT_ALLOW\"}"),
         EINVAL, "syscalls[0].names[1]: must be a string"},
        {"an empty name", RULE("{\"names\": [\"read\", \"\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
         EINVAL, "syscalls[0].names[1]: must not be empty"},
        {"Docker name not a string", RULE("{\"name\": 1, \"action\": \"SCMP_ACT_ALLOW\"}"), EINVAL,
         "syscalls[0].name: must be a string"},
        {"rule without action", RULE("{\"names\": [\"read\"]}"), EINVAL,
         "syscalls[0].action: required"},
        {"unknown action",
         RULE(OK_RULE OK_RULE OK_RULE "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_FOO\"}"),
         EINVAL, "syscalls[3].action: unknown action \"SCMP_ACT_FOO\""},
        {"NOTIFY action", RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}"), EINVAL,
         "syscalls[0].action: SCMP_ACT_NOTIFY hands syscalls to a seccomp agent, and nanolet "
         "has none"},
        {"errnoRet with ALLOW",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}"), EINVAL,
         "syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
         "SCMP_ACT_ALLOW"},
        {"errnoRet too large",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 65536}"),
         EINVAL, "syscalls[0].errnoRet: 65536 is out of range: from 0 to 4095"},
        {"args not an array",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": {}}"), EINVAL,
         "syscalls[0].args: must be an array"},
        {"arg not an object",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [0]}"), EINVAL,
         "syscalls[0].args[0]: must be an object"},
        {"arg without index",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"value\": 1, "
              "\"op\": \"SCMP_CMP_EQ\"}]}"),
         EINVAL, "syscalls[0].args[0].index: required"},
        {"arg index past 5",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, "
              "\"op\": \"SCMP_CMP_EQ\"}]}"),
         EINVAL, "syscalls[0].args[0].index: 6 is out of range: from 0 to 5"},
        {"negative value",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
              "\"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}"),
         EINVAL, "syscalls[0].args[0].value: -1 is out of range: from 0 to 18446744073709551615"},
        {"valueTwo a string",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
              "\"valueTwo\": \"0\", \"op\": \"SCMP_CMP_MASKED_EQ\"}]}"),
         EINVAL, "syscalls[0].args[0].valueTwo: must be an integer"},
        {"arg without op",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
              "\"value\": 1}, {\"index\": 1}]}"),
         EINVAL, "syscalls[0].args[0].op: required"},
        {"unknown op",
         RULE(OK_RULE
              "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": "
              "0, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 1, \"op\": \"SCMP_CMP_MASKED_NE\"}]}"),
         EINVAL, "syscalls[1].args[1].op: unknown operator \"SCMP_CMP_MASKED_NE\""},
        {"includes not an object",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": []}"), EINVAL,
         "syscalls[0].includes: must be an object"},
        {"unknown capability",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": "
              "[\"CAP_SYS_ADMIN\", \"CAP_SYS_GOD\"]}}"),
         EINVAL, "syscalls[0].includes.caps[1]: unknown capability \"CAP_SYS_GOD\""},
        {"caps not an array",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": "
              "\"CAP_SYS_ADMIN\"}}"),
         EINVAL, "syscalls[0].excludes.caps: must be an array"},
        {"unknown arch in excludes",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"arches\": "
              "[\"pdp11\"]}}"),
         EINVAL, "syscalls[0].excludes.arches[0]: unknown architecture \"pdp11\""},
        {"bad minKernel",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
              "{\"minKernel\": \"four\"}}"),
         EINVAL, "syscalls[0].includes.minKernel: not a kernel version: \"four\""},
        {"minKernel a number",
         RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
              "{\"minKernel\": 4.8}}"),
         EINVAL, "syscalls[0].includes.minKernel: must be a string"},
};

START_TEST(parse_refuses)
{
	const struct parse_error_case *c = &parse_errors[_i];
	struct security_seccomp_profile *p = (void *)1;
	struct nano_err err = {0};
	int r = security_seccomp_parse(c->json, strlen(c->json), &p, &err);

	ck_assert_msg(r == -c->errnum, "%s: %d (%s), want %d", c->what, r, err.message, -c->errnum);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err.errnum, c->errnum);
	ck_assert_msg(err.message && strcmp(err.message, c->message) == 0,
	              "%s:\n got  %s\n want %s", c->what, err.message, c->message);
	nano_err_clear(&err);
}
END_TEST

/* null is a missing value, as in Go; unknown keys are ignored, as in Go. */
START_TEST(parse_nulls_and_unknown_keys)
{
	struct security_seccomp_profile *p = parse_ok(
	        "{\"defaultAction\": \"SCMP_ACT_LOG\", \"defaultErrnoRet\": null,"
	        " \"architectures\": null, \"archMap\": null, \"flags\": null, \"syscalls\": null,"
	        " \"listenerPath\": \"\", \"listenerMetadata\": \"x\", \"future\": {}}");

	ck_assert_int_eq(p->default_action, SECURITY_SECCOMP_ACT_LOG);
	ck_assert_uint_eq(p->n_rules, 0);
	ck_assert_uint_eq(p->architectures, 0);
	security_seccomp_free(p);
	ck_assert_ptr_null(security_seccomp_free(NULL));
}
END_TEST

static void seccomp_json_tests(TCase *tc)
{
	tcase_add_test(tc, parse_oci_example);
	tcase_add_test(tc, parse_containerd_config_json);
	tcase_add_test(tc, parse_docker_example);
	tcase_add_test(tc, parse_runtime_default_round_trip);
	tcase_add_loop_test(tc, parse_refuses, 0, (int)ELEMENTSOF(parse_errors));
	tcase_add_test(tc, parse_nulls_and_unknown_keys);
}

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

	tc = tcase_create("json");
	seccomp_json_tests(tc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(seccomp_suite());
}
