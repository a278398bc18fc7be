/* pkg/runtime/shim_seccomp.c: turns a seccomp profile into a filter with libseccomp — a BPF
 * program (libseccomp takes tens of milliseconds for containerd's profile on three
 * architectures) — and loads it into the calling process: the container's child, just before
 * execve.
 *
 * Compiling is done in two passes over the same code: the first only writes down every call it
 * would make to libseccomp (struct build with no context), which is the key of the filter in
 * the shims' cache (shim_seccomp_cache.c); only when the cache has no program under exactly
 * that key does the second pass make the calls and export libseccomp's program, which then goes
 * into the cache. Whatever decides the filter (the profile, the capabilities, the machine, the
 * kernel, libseccomp's version and the kernel's seccomp API level) is in the key, or it could not
 * change the program.
 *
 * Which rules take part is decided here, where the container runs: its bounding set decides
 * the capability groups (as containerd decides them), the machine's architecture and kernel
 * (uname) the includes/excludes of Docker profiles; security_seccomp_rule_applies() says how.
 * Then rules are added as runc and crun add them: a rule whose action is the default's is
 * left out (libseccomp refuses it), a syscall name libseccomp does not know (a profile newer
 * than the library) is skipped, and conditions that compare one argument twice become one rule
 * each (libseccomp allows one comparison per argument in a rule). When the default refuses,
 * libseccomp's program gets runc's ENOSYS stub in front (see below). The program is loaded with
 * seccomp(2) directly, as seccomp_load would.
 *
 * It never sets no_new_privs (SCMP_FLTATR_CTL_NNP off): the caller decides it, and loading
 * needs either that or CAP_SYS_ADMIN. It only filters the calling thread (no TSYNC): the shim's
 * child is a fork-like child of a single-threaded process. Everything the process does after
 * it returns goes through the filter.
 */
#include <assert.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "security/security.h"
#include "shim.h"

/* libseccomp 2.5.4 builds one linear list of syscalls unless asked; runc asks for the binary
 * tree above this many rules (and not with none: libseccomp <= 2.5.4 fails on an empty one). */
#define BINARY_TREE_MIN_RULES 32

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* One pass of the compile: with ctx, every call goes to libseccomp and into the key; without,
 * only into the key. */
struct build {
	scmp_filter_ctx ctx;
	struct shim_seccomp_key *key;
};

enum { KEY_HEADER = 1, KEY_ATTR, KEY_ARCH, KEY_RULE };

static void key_put(struct shim_seccomp_key *k, const void *p, size_t n)
{
	if (k->failed)
		return;
	if (k->len + n > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16384;
		uint8_t *data;

		while (cap < k->len + n)
			cap *= 2;
		data = realloc(k->data, cap);
		if (!data) {
			k->failed = true;
			return;
		}
		k->data = data;
		k->cap = cap;
	}
	memcpy(k->data + k->len, p, n);
	k->len += n;
}

static void key_u64(struct shim_seccomp_key *k, uint64_t v)
{
	key_put(k, &v, sizeof(v));
}

void shim_seccomp_key_done(struct shim_seccomp_key *k)
{
	free(k->data);
	*k = (struct shim_seccomp_key){0};
}

static int build_attr(struct build *b, enum scmp_filter_attr attr, uint32_t value)
{
	key_u64(b->key, KEY_ATTR);
	key_u64(b->key, attr);
	key_u64(b->key, value);
	return b->ctx ? seccomp_attr_set(b->ctx, attr, value) : 0;
}

static int build_arch(struct build *b, uint32_t token)
{
	key_u64(b->key, KEY_ARCH);
	key_u64(b->key, token);
	return b->ctx ? seccomp_arch_add(b->ctx, token) : 0;
}

static int build_rule(struct build *b, uint32_t action, int nr, unsigned n,
                      const struct scmp_arg_cmp *cmp)
{
	key_u64(b->key, KEY_RULE);
	key_u64(b->key, action);
	key_u64(b->key, (uint64_t)(int64_t)nr);
	key_u64(b->key, n);
	for (unsigned i = 0; i < n; i++) {
		key_u64(b->key, cmp[i].arg);
		key_u64(b->key, (uint64_t)cmp[i].op);
		key_u64(b->key, cmp[i].datum_a);
		key_u64(b->key, cmp[i].datum_b);
	}
	return b->ctx ? seccomp_rule_add_array(b->ctx, action, nr, n, n ? cmp : NULL) : 0;
}

static int action_value(enum security_seccomp_action action, uint16_t errno_ret, uint32_t *out)
{
	switch (action) {
	case SECURITY_SECCOMP_ACT_KILL_PROCESS:
		*out = SCMP_ACT_KILL_PROCESS;
		return 0;
	case SECURITY_SECCOMP_ACT_KILL_THREAD:
		*out = SCMP_ACT_KILL_THREAD;
		return 0;
	case SECURITY_SECCOMP_ACT_TRAP:
		*out = SCMP_ACT_TRAP;
		return 0;
	case SECURITY_SECCOMP_ACT_ERRNO:
		*out = SCMP_ACT_ERRNO(errno_ret);
		return 0;
	case SECURITY_SECCOMP_ACT_TRACE:
		*out = SCMP_ACT_TRACE(errno_ret);
		return 0;
	case SECURITY_SECCOMP_ACT_LOG:
		*out = SCMP_ACT_LOG;
		return 0;
	case SECURITY_SECCOMP_ACT_ALLOW:
		*out = SCMP_ACT_ALLOW;
		return 0;
	}
	return -EINVAL;
}

static enum scmp_compare op_value(enum security_seccomp_op op)
{
	switch (op) {
	case SECURITY_SECCOMP_OP_NE:
		return SCMP_CMP_NE;
	case SECURITY_SECCOMP_OP_LT:
		return SCMP_CMP_LT;
	case SECURITY_SECCOMP_OP_LE:
		return SCMP_CMP_LE;
	case SECURITY_SECCOMP_OP_EQ:
		return SCMP_CMP_EQ;
	case SECURITY_SECCOMP_OP_GE:
		return SCMP_CMP_GE;
	case SECURITY_SECCOMP_OP_GT:
		return SCMP_CMP_GT;
	case SECURITY_SECCOMP_OP_MASKED_EQ:
		return SCMP_CMP_MASKED_EQ;
	}
	return _SCMP_CMP_MIN; /* invalid: libseccomp refuses it */
}

/* The machine's architecture as the model names it (what libseccomp compiled for). */
static int native_arch(enum security_seccomp_arch *out)
{
	uint32_t native = seccomp_arch_native();

	for (int a = 0; a < SECURITY_SECCOMP_ARCH_COUNT; a++)
		if (seccomp_arch_resolve_name(security_seccomp_arch_token(a)) == native) {
			*out = (enum security_seccomp_arch)a;
			return 0;
		}
	return -EAFNOSUPPORT;
}

static int add_rule(struct build *b, const struct security_seccomp_rule *rule, const char *name,
                    int nr, uint32_t action, struct nano_err *err)
{
	struct scmp_arg_cmp cmp[SECURITY_SECCOMP_ARGS_MAX];
	unsigned count[SECURITY_SECCOMP_ARGS_MAX] = {0};
	bool repeated = false;
	int r = 0;

	if (rule->n_args > SECURITY_SECCOMP_ARGS_MAX)
		repeated = true; /* more conditions than arguments: some argument repeats */
	for (size_t i = 0; i < rule->n_args; i++) {
		if (rule->args[i].index >= SECURITY_SECCOMP_ARGS_MAX)
			return nano_err_set(err, EINVAL, "seccomp: %s: argument index %u is past 5",
			                    name, rule->args[i].index);
		if (++count[rule->args[i].index] > 1)
			repeated = true;
	}
	if (rule->n_args == 0) {
		r = build_rule(b, action, nr, 0, NULL);
	} else if (!repeated) {
		for (size_t i = 0; i < rule->n_args; i++)
			cmp[i] = (struct scmp_arg_cmp){.arg = rule->args[i].index,
			                               .op = op_value(rule->args[i].op),
			                               .datum_a = rule->args[i].value,
			                               .datum_b = rule->args[i].value_two};
		r = build_rule(b, action, nr, (unsigned)rule->n_args, cmp);
	} else {
		/* runc and crun: one rule per condition, so they OR (which is why containerd's
		 * default never compares one argument twice) */
		for (size_t i = 0; i < rule->n_args && r >= 0; i++) {
			cmp[0] = (struct scmp_arg_cmp){.arg = rule->args[i].index,
			                               .op = op_value(rule->args[i].op),
			                               .datum_a = rule->args[i].value,
			                               .datum_b = rule->args[i].value_two};
			r = build_rule(b, action, nr, 1, cmp);
		}
	}
	if (r < 0)
		return nano_err_set(err, -r, "seccomp: adding the rule for %s: %s", name,
		                    strerror(-r));
	return 0;
}

/* Adds the rules of p that apply in env to b, one per syscall name; with b NULL, only counts
 * them in *n. */
static int add_rules(struct build *b, const struct security_seccomp_profile *p,
                     const struct security_seccomp_env *env, uint32_t default_action, size_t *n,
                     struct nano_err *err)
{
	uint32_t action;
	int r;

	*n = 0;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct security_seccomp_rule *rule = &p->rules[i];

		if (!security_seccomp_rule_applies(rule, env))
			continue;
		r = action_value(rule->action, rule->errno_ret, &action);
		if (r < 0)
			return nano_err_set(err, EINVAL, "seccomp: invalid action %d in rule %zu",
			                    (int)rule->action, i);
		/* libseccomp refuses a rule that repeats the default */
		if (action == default_action)
			continue;
		for (size_t k = 0; rule->names && rule->names[k]; k++) {
			int nr = seccomp_syscall_resolve_name(rule->names[k]);

			/* newer than this libseccomp: runc and crun skip it too */
			if (nr == __NR_SCMP_ERROR)
				continue;
			if (b && (r = add_rule(b, rule, rule->names[k], nr, action, err)) < 0)
				return r;
			(*n)++;
		}
	}
	return 0;
}

static int load_failed(struct nano_err *err, int r)
{
	return nano_err_set(err, -r, "seccomp: loading the filter: %s%s", strerror(-r),
	                    r == -EACCES ? " (the process holds neither CAP_SYS_ADMIN nor "
	                                   "no_new_privs)"
	                                 : "");
}

/* ---- ENOSYS for syscalls newer than the profile ----------------------------------------------
 *
 * A syscall the profile does not name gets the default action, EPERM for RuntimeDefault. For a
 * syscall newer than everything the profile (and this libseccomp) knows, that is wrong: libc
 * tries a new syscall first (clone3, fchmodat2, ...) and falls back only on ENOSYS, so EPERM
 * breaks programs newer than the profile. runc (libcontainer/seccomp/patchbpf) therefore puts a
 * stub before libseccomp's program: per architecture, a syscall number above the largest one the
 * profile names gets ENOSYS. We do the same, when the default action refuses. */

#define X32_SYSCALL_BIT 0x40000000u
#define STUB_ARCHES     SECURITY_SECCOMP_ARCH_COUNT

struct stub_arch {
	uint32_t audit;        /* AUDIT_ARCH_*: what seccomp_data.arch holds */
	uint32_t max, max_x32; /* the largest number the profile names (x32: with its bit) */
};

/* The largest number, on the architecture token, of a syscall any applying rule names. */
static uint32_t largest_syscall(const struct security_seccomp_profile *p,
                                const struct security_seccomp_env *env, uint32_t token)
{
	uint32_t max = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		if (!security_seccomp_rule_applies(&p->rules[i], env))
			continue;
		for (size_t k = 0; p->rules[i].names[k]; k++) {
			int nr = seccomp_syscall_resolve_name_arch(token, p->rules[i].names[k]);

			/* negative: not on this architecture (or unknown to libseccomp) */
			if (nr >= 0 && (uint32_t)nr > max)
				max = (uint32_t)nr;
		}
	}
	return max;
}

/* A jump's offset from the instruction at pc to target. */
static uint32_t jump(size_t pc, size_t target)
{
	return (uint32_t)(target - pc - 1);
}

/* Writes the stub into out (room for STUB_MAX(n) instructions), to be followed by libseccomp's
 * program; returns its length. The layout: load the arch; a jeq per architecture to its
 * section; ja to the filter; the sections (load the nr; [jset the x32 bit;] jgt the largest:
 * to ENOSYS, else to the filter); ret ENOSYS; then the filter. Every jeq/jgt offset stays
 * under 256: at most 5 instructions a section. */
#define STUB_MAX(n) (1 + 5 * (n) + 2)

static size_t build_stub(const struct stub_arch *arches, size_t n, struct sock_filter *out)
{
	size_t len = 0, section[STUB_ARCHES], enosys, filter;

	enosys = 1 + n + 1;
	for (size_t i = 0; i < n; i++) {
		section[i] = enosys;
		enosys += 1 + (arches[i].max && arches[i].max_x32 ? 3 : 1);
	}
	filter = enosys + 1;

	out[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                          offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < n; i++, len++)
		out[len] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[i].audit,
		                                        jump(len, section[i]), 0);
	out[len] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, jump(len, filter));
	len++;
	for (size_t i = 0; i < n; i++) {
		uint32_t max[2] = {arches[i].max, arches[i].max_x32};

		out[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		                                          offsetof(struct seccomp_data, nr));
		if (max[0] && max[1]) {
			/* x32's numbers have the bit set: jump over x86_64's compare */
			out[len] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
			                                        X32_SYSCALL_BIT, 1, 0);
			len++;
		}
		for (size_t k = 0; k < 2; k++) {
			if (!max[k])
				continue;
			out[len] =
			        (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max[k],
			                                     jump(len, enosys), jump(len, filter));
			len++;
		}
	}
	out[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	return len;
}

/* The architectures of the filter, as the stub tells them apart. */
static size_t stub_arches(const struct security_seccomp_profile *p,
                          const struct security_seccomp_env *env, uint32_t set,
                          struct stub_arch *out)
{
	size_t n = 0;

	for (int a = 0; a < SECURITY_SECCOMP_ARCH_COUNT; a++) {
		uint32_t token, audit, max;
		size_t i;

		if (!(set & SECURITY_SECCOMP_ARCH_BIT(a)))
			continue;
		token = seccomp_arch_resolve_name(security_seccomp_arch_token(a));
		max = token ? largest_syscall(p, env, token) : 0;
		if (!max)
			continue;
		/* x32 shares x86_64's AUDIT_ARCH and sets a bit in the syscall number instead;
		 * SCMP_ARCH_X32 is libseccomp's own token */
		audit = token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token;
		for (i = 0; i < n && out[i].audit != audit; i++)
			;
		if (i == n)
			out[n++] = (struct stub_arch){.audit = audit};
		if (token == SCMP_ARCH_X32)
			out[i].max_x32 = max;
		else
			out[i].max = max;
	}
	return n;
}

/* libseccomp's program for ctx, in *prog (malloc'd) and *n. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *n,
                      struct nano_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t got;
	int r;

	fd = memfd_create("nanolet-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return nano_err_set(err, errno, "seccomp: memfd_create: %s", strerror(errno));
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return nano_err_set(err, -r, "seccomp: exporting the filter: %s", strerror(-r));
	if (fstat(fd, &st) < 0)
		return nano_err_set(err, errno, "seccomp: fstat: %s", strerror(errno));
	*n = (size_t)st.st_size / sizeof(struct sock_filter);
	if (*n > BPF_MAXINSNS)
		return nano_err_set(err, E2BIG,
		                    "seccomp: the filter has %zu instructions, the kernel takes %d",
		                    *n, BPF_MAXINSNS);
	*prog = calloc(*n ? *n : 1, sizeof(**prog));
	if (!*prog)
		return nano_err_set(err, ENOMEM, "seccomp: out of memory");
	got = pread(fd, *prog, *n * sizeof(**prog), 0);
	if (got != (ssize_t)(*n * sizeof(**prog))) {
		free(*prog);
		*prog = NULL;
		return nano_err_set(err, got < 0 ? errno : EIO, "seccomp: reading the filter back");
	}
	return 0;
}

/* The program to load: the stub when with_stub, then libseccomp's filter (n_filter
 * instructions); and the profile's flags. */
static int assemble(const struct sock_filter *filter, size_t n_filter,
                    const struct security_seccomp_profile *p,
                    const struct security_seccomp_env *env, uint32_t set, bool with_stub,
                    struct shim_seccomp_filter *out, struct nano_err *err)
{
	_cleanup_free_ struct sock_filter *prog = NULL;
	struct stub_arch arches[STUB_ARCHES];
	size_t n_arches, n_stub = 0;

	prog = calloc(STUB_MAX(STUB_ARCHES) + n_filter, sizeof(*prog));
	if (!prog)
		return nano_err_set(err, ENOMEM, "seccomp: out of memory");
	if (with_stub) {
		n_arches = stub_arches(p, env, set, arches);
		n_stub = build_stub(arches, n_arches, prog);
	}
	if (n_stub + n_filter > BPF_MAXINSNS)
		return nano_err_set(err, E2BIG,
		                    "seccomp: the filter has %zu instructions, the kernel takes %d",
		                    n_stub + n_filter, BPF_MAXINSNS);
	memcpy(prog + n_stub, filter, n_filter * sizeof(*prog));

	*out = (struct shim_seccomp_filter){.prog = TAKE_PTR(prog),
	                                    .len = (unsigned short)(n_stub + n_filter)};
	if (p->flags & SECURITY_SECCOMP_FLAG_LOG)
		out->flags |= SECCOMP_FILTER_FLAG_LOG;
	if (p->flags & SECURITY_SECCOMP_FLAG_SPEC_ALLOW)
		out->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	return 0;
}

int shim_seccomp_install(const struct shim_seccomp_filter *f, struct nano_err *err)
{
	/* as seccomp_load would: SECCOMP_SET_MODE_FILTER, no TSYNC, no no_new_privs */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags,
	            &(struct sock_fprog){.len = f->len, .filter = f->prog}) < 0)
		return load_failed(err, -errno);
	return 0;
}

void shim_seccomp_filter_done(struct shim_seccomp_filter *f)
{
	free(f->prog);
	*f = (struct shim_seccomp_filter){0};
}

int shim_seccomp_load(const struct security_seccomp_profile *p, uint64_t caps, struct nano_err *err)
{
	struct shim_seccomp_filter f = {0};
	int r = shim_seccomp_compile(p, caps, &f, err);

	if (r >= 0)
		r = shim_seccomp_install(&f, err);
	shim_seccomp_filter_done(&f);
	return r;
}

/* Every call the compile makes to libseccomp after seccomp_init, into b. */
static int build(struct build *b, const struct security_seccomp_profile *p,
                 const struct security_seccomp_env *env, uint32_t default_action, uint32_t arches,
                 struct nano_err *err)
{
	size_t n = 0;
	int r;

	/* The caller decides no_new_privs; and we want the kernel's errno when loading fails,
	 * not libseccomp's ECANCELED. */
	r = build_attr(b, SCMP_FLTATR_CTL_NNP, 0);
	if (r >= 0)
		r = build_attr(b, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (r >= 0 && (p->flags & SECURITY_SECCOMP_FLAG_LOG))
		r = build_attr(b, SCMP_FLTATR_CTL_LOG, 1);
	if (r >= 0 && (p->flags & SECURITY_SECCOMP_FLAG_SPEC_ALLOW))
		r = build_attr(b, SCMP_FLTATR_CTL_SSB, 1);
	if (r < 0)
		return nano_err_set(err, -r, "seccomp: setting the filter's attributes: %s",
		                    strerror(-r));

	for (int a = 0; a < SECURITY_SECCOMP_ARCH_COUNT; a++) {
		uint32_t token;

		if (a == (int)env->arch || !(arches & SECURITY_SECCOMP_ARCH_BIT(a)))
			continue;
		/* an architecture this libseccomp does not know cannot be this machine's, nor
		 * can one of the other byte order (libseccomp refuses it with EDOM; runc fails
		 * the container there) */
		token = seccomp_arch_resolve_name(security_seccomp_arch_token(a));
		if (!token)
			continue;
		r = build_arch(b, token);
		if (r < 0 && r != -EEXIST && r != -EDOM)
			return nano_err_set(err, -r, "seccomp: adding architecture %s: %s",
			                    security_seccomp_arch_name(a), strerror(-r));
	}

	/* the optimization is chosen before the first rule, as runc does */
	r = add_rules(NULL, p, env, default_action, &n, err);
	if (r >= 0 && n > BINARY_TREE_MIN_RULES)
		(void)build_attr(b, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r >= 0)
		r = add_rules(b, p, env, default_action, &n, err);
	return r;
}

/* What the key starts with: what libseccomp decides by itself (its version, the kernel's
 * seccomp API level it found, the native architecture) and the default action. */
static void key_header(struct shim_seccomp_key *k, uint32_t default_action)
{
	const struct scmp_version *v = seccomp_version();

	key_put(k, "nanolet-seccomp-1", 17);
	key_u64(k, KEY_HEADER);
	key_u64(k, v ? v->major : 0);
	key_u64(k, v ? v->minor : 0);
	key_u64(k, v ? v->micro : 0);
	key_u64(k, seccomp_api_get());
	key_u64(k, seccomp_arch_native());
	key_u64(k, default_action);
}

int shim_seccomp_compile_cached(int cache_fd, const struct security_seccomp_profile *p,
                                uint64_t caps, struct shim_seccomp_filter *out,
                                struct nano_err *err)
{
	_cleanup_(ctx_releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_(shim_seccomp_key_done) struct shim_seccomp_key key = {0}, made = {0};
	_cleanup_free_ struct sock_filter *filter = NULL;
	struct security_seccomp_env env = {.caps = caps};
	uint32_t default_action, arches;
	struct utsname u;
	size_t n_filter = 0;
	int r;

	assert(p);
	r = native_arch(&env.arch);
	if (r < 0)
		return nano_err_set(err, -r,
		                    "seccomp: libseccomp's native architecture %#x is not "
		                    "one nanolet knows",
		                    seccomp_arch_native());
	if (uname(&u) < 0)
		return nano_err_set(err, errno, "seccomp: uname: %s", strerror(errno));
	if (security_kernel_version_parse(u.release, &env.kernel) < 0)
		return nano_err_set(err, EINVAL,
		                    "seccomp: cannot read the kernel version in \"%s\"", u.release);
	r = action_value(p->default_action, p->default_errno_ret, &default_action);
	if (r < 0)
		return nano_err_set(err, EINVAL, "seccomp: invalid default action %d",
		                    (int)p->default_action);
	arches = security_seccomp_arches(p, env.arch);

	if (cache_fd >= 0) {
		key_header(&key, default_action);
		r = build(&(struct build){.key = &key}, p, &env, default_action, arches, err);
		if (r < 0)
			return r;
		if (!key.failed &&
		    shim_seccomp_cache_get(cache_fd, key.data, key.len, &filter, &n_filter) < 0) {
			free(filter);
			filter = NULL;
		}
	}
	if (!filter) {
		ctx = seccomp_init(default_action);
		if (!ctx)
			return nano_err_set(err, ENOMEM, "seccomp: seccomp_init failed");
		key_header(&made, default_action);
		r = build(&(struct build){.ctx = ctx, .key = &made}, p, &env, default_action,
		          arches, err);
		if (r >= 0)
			r = export_bpf(ctx, &filter, &n_filter, err);
		if (r < 0)
			return r;
		/* the calls made are the calls written down: the program is the key's */
		if (cache_fd >= 0 && !key.failed && !made.failed && key.len == made.len &&
		    memcmp(key.data, made.data, key.len) == 0)
			(void)shim_seccomp_cache_put(cache_fd, key.data, key.len, filter, n_filter);
	}

	/* a default that lets syscalls run needs no ENOSYS (runc: isAllowAction) */
	return assemble(filter, n_filter, p, &env, arches,
	                !(p->default_action == SECURITY_SECCOMP_ACT_ALLOW ||
	                  p->default_action == SECURITY_SECCOMP_ACT_LOG ||
	                  p->default_action == SECURITY_SECCOMP_ACT_TRACE),
	                out, err);
}

int shim_seccomp_compile(const struct security_seccomp_profile *p, uint64_t caps,
                         struct shim_seccomp_filter *out, struct nano_err *err)
{
	return shim_seccomp_compile_cached(-1, p, caps, out, err);
}
