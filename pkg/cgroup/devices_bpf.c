/* pkg/cgroup/devices_bpf.c: a device allow list checked, and turned into the cgroup v2 device
 * filter — a BPF_PROG_TYPE_CGROUP_DEVICE program, as runc (libcontainer's devicefilter.go, now
 * opencontainers/cgroups) and crun (ebpf.c) generate it. Pure: a function from the list to an
 * instruction array; devices.c loads and attaches it.
 *
 * The kernel runs the program at every open and mknod of a device node by a process of the
 * cgroup (and below) with a struct bpf_cgroup_dev_ctx in r1: access_type (the device type,
 * BPF_DEVCG_DEV_BLOCK or _CHAR, in the low 16 bits; the access, BPF_DEVCG_ACC_MKNOD, _READ,
 * _WRITE, in the high 16), major and minor, each a u32. Returning 1 allows, 0 denies (EPERM).
 * The program:
 *
 *	r2 = *(u32 *)(r1 + 0); w2 &= 0xffff       the type
 *	r3 = *(u32 *)(r1 + 0); w3 >>= 16          the access asked for
 *	r4 = *(u32 *)(r1 + 4)                     major
 *	r5 = *(u32 *)(r1 + 8)                     minor
 *   one block per rule, each falling through to the next when the rule does not match:
 *	if r2 != TYPE goto next
 *	w1 = w3; w1 &= ACCESS; if r1 != r3 goto next     (not for rwm: every access matches)
 *	if r4 != MAJOR goto next                         (not for a * major)
 *	if r5 != MINOR goto next                         (not for a * minor)
 *	w0 = 1; exit
 *   after the last block, the default:
 *	w0 = 0; exit
 *
 * The access test asks that every access bit requested is in the rule, so "r" does not let a
 * process open a node for reading and writing. An 'a' rule (every device, every access) makes
 * no program at all. Majors and minors are compared as 32-bit immediates, which BPF_JMP
 * sign-extends: cgroup_devices_check keeps them to [0, INT32_MAX] (the kernel's dev_t has 12
 * bits of major and 20 of minor).
 *
 * This file must not make a syscall, allocate anything but the returned array, or know about
 * cgroups: it is tested by running its programs in a small interpreter.
 */
#include "cgroup_internal.h"

#include <linux/bpf.h>
#include <string.h>

#include "security/security.h"

/* A program stays far below BPF_MAXINSNS (4096): at most 8 instructions a rule. */
#define DEVICES_MAX_RULES 256

/* Registers, as the kernel's BPF_REG_* (linux/filter.h is not a uapi header). */
enum { R0, R1, R2, R3, R4, R5 };

static int access_bits(const char *access)
{
	int bits = 0;

	for (const char *p = access; *p; p++) {
		int bit = *p == 'r'   ? BPF_DEVCG_ACC_READ
		          : *p == 'w' ? BPF_DEVCG_ACC_WRITE
		          : *p == 'm' ? BPF_DEVCG_ACC_MKNOD
		                      : 0;

		if (!bit || (bits & bit))
			return -1; /* not r, w or m, or one twice */
		bits |= bit;
	}
	return bits;
}

#define ACCESS_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

static bool number_valid(int64_t v)
{
	return v == SECURITY_DEVICE_ANY || (v >= 0 && v <= INT32_MAX);
}

int cgroup_devices_check(const struct security_device *allow, size_t n, struct nano_err *err)
{
	if (n > DEVICES_MAX_RULES)
		return nano_err_set(err, E2BIG, "%zu device rules: at most %d", n,
		                    DEVICES_MAX_RULES);
	if (n && !allow)
		return nano_err_set(err, EINVAL, "%zu device rules but no list", n);
	for (size_t i = 0; i < n; i++) {
		const struct security_device *d = &allow[i];
		int bits = d->access ? access_bits(d->access) : -1;
		char rule[64];

		if (d->type != 'a' && d->type != 'b' && d->type != 'c')
			return nano_err_set(err, EINVAL,
			                    "device rule %zu: type '%c' is none of c, b and a", i,
			                    d->type ? d->type : '?');
		if (bits <= 0)
			return nano_err_set(
			        err, EINVAL,
			        "device rule %zu: access '%s' is not a non-empty subset of "
			        "rwm",
			        i, d->access ? d->access : "(null)");
		security_device_rule(d, rule, sizeof(rule));
		if (!number_valid(d->major) || !number_valid(d->minor))
			return nano_err_set(err, EINVAL,
			                    "device rule '%s': a major or minor is * or 0 to %d",
			                    rule, INT32_MAX);
		/* 'a' allows every device and access whatever else it says (so the kernel's v1
		 * parser): a narrower 'a' would grant more than it reads. */
		if (d->type == 'a' && (d->major != SECURITY_DEVICE_ANY ||
		                       d->minor != SECURITY_DEVICE_ANY || bits != ACCESS_ALL))
			return nano_err_set(err, EINVAL,
			                    "device rule '%s': an 'a' rule allows every device and "
			                    "every access, so it is 'a *:* rwm'",
			                    rule);
	}
	return 0;
}

bool cgroup_devices_allow_all(const struct security_device *allow, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (allow[i].type == 'a')
			return true;
	return false;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
	        .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* One rule's block: tests that jump past its end when they fail, then "allow". */
static size_t emit_rule(struct bpf_insn *p, const struct security_device *d)
{
	struct bpf_insn tests[6];
	size_t n = 0, len;
	int bits = access_bits(d->access);

	tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0,
	                  d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (bits != ACCESS_ALL) {
		tests[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
		tests[n++] = insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, bits);
		tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_X, R1, R3, 0, 0);
	}
	if (d->major != SECURITY_DEVICE_ANY)
		tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t)d->major);
	if (d->minor != SECURITY_DEVICE_ANY)
		tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t)d->minor);
	len = n + 2;
	/* A jump's offset counts from the instruction after it; the next block starts at len. */
	for (size_t i = 0; i < n; i++) {
		if (BPF_CLASS(tests[i].code) == BPF_JMP)
			tests[i].off = (int16_t)(len - (i + 1));
		p[i] = tests[i];
	}
	p[n] = insn(BPF_ALU | BPF_MOV | BPF_K, R0, 0, 0, 1);
	p[n + 1] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return len;
}

int cgroup_devices_program(const struct security_device *allow, size_t n, struct bpf_insn **out,
                           size_t *len, struct nano_err *err)
{
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t i = 0;
	int r;

	*out = NULL;
	*len = 0;
	r = cgroup_devices_check(allow, n, err);
	if (r < 0)
		return r;
	if (cgroup_devices_allow_all(allow, n))
		return 0;
	p = calloc(6 + 8 * n + 2, sizeof(*p));
	if (!p)
		return nano_err_set(err, ENOMEM, "out of memory");
	p[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0);
	p[i++] = insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
	p[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R3, R1, 0, 0);
	p[i++] = insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
	p[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0);
	p[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0);
	for (size_t k = 0; k < n; k++)
		i += emit_rule(p + i, &allow[k]);
	p[i++] = insn(BPF_ALU | BPF_MOV | BPF_K, R0, 0, 0, 0);
	p[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	*out = TAKE_PTR(p);
	*len = i;
	return 0;
}
