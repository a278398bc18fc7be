/* tests/unit/test_cgroup_bpf.c: the cgroup v2 device filter that cgroup_devices_program
 * compiles from a device list, run in a small BPF interpreter here.
 *
 * The interpreter knows only the instructions the generator may use (32-bit loads from the
 * context, 32-bit and/rsh/mov, jne, exit) and fails a test on anything else, as the kernel's
 * verifier would: an unknown opcode, a read of a register never written, a jump out of the
 * program, a return value other than 0 or 1, a field an instruction does not use that is not
 * 0. Each case runs one program against (type, access, major, minor) requests and says which
 * the kernel would allow. The kernel itself runs such programs in test_cgroup_devices.c (root
 * only). Pure: no syscalls.
 */
#include "check_main.h"
#include <linux/bpf.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "security/security.h"

#define ANY SECURITY_DEVICE_ANY

/* ---- the interpreter ---------------------------------------------------------------------- */

enum { CTX = 1 }; /* r1 holds the context pointer until written */

/* The fields an instruction does not use must be 0, or the verifier refuses the program
 * ("BPF_ALU uses reserved fields" and the like). */
static void assert_reserved_zero(const struct bpf_insn *in, size_t pc)
{
	bool uses_src = BPF_CLASS(in->code) == BPF_LDX || BPF_SRC(in->code) == BPF_X;
	bool uses_off = BPF_CLASS(in->code) == BPF_LDX ||
	                (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_EXIT);
	bool uses_imm = BPF_SRC(in->code) == BPF_K && BPF_CLASS(in->code) != BPF_LDX &&
	                !(BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_EXIT);
	bool uses_dst = !(BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_EXIT);

	ck_assert_msg(uses_src || in->src_reg == 0, "insn %zu: src_reg %d", pc, in->src_reg);
	ck_assert_msg(uses_off || in->off == 0, "insn %zu: off %d", pc, in->off);
	ck_assert_msg(uses_imm || in->imm == 0, "insn %zu: imm %d", pc, in->imm);
	ck_assert_msg(uses_dst || in->dst_reg == 0, "insn %zu: dst_reg %d", pc, in->dst_reg);
}

/* 1 allowed, 0 denied. */
static int run(const struct bpf_insn *p, size_t len, char type, const char *access, uint32_t major,
               uint32_t minor)
{
	uint32_t acc = 0, dev = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
	struct bpf_cgroup_dev_ctx ctx;
	uint64_t reg[11] = {0};
	bool set[11] = {false}, r1_is_ctx = true;

	for (const char *a = access; *a; a++)
		acc |= *a == 'r'   ? BPF_DEVCG_ACC_READ
		       : *a == 'w' ? BPF_DEVCG_ACC_WRITE
		                   : BPF_DEVCG_ACC_MKNOD;
	ctx = (struct bpf_cgroup_dev_ctx){
	        .access_type = (acc << 16) | dev, .major = major, .minor = minor};
	set[CTX] = true;
	ck_assert_uint_gt(len, 0);
	ck_assert_msg(p[len - 1].code == (BPF_JMP | BPF_EXIT), "the last instruction is no exit");
	for (size_t pc = 0, steps = 0;; steps++) {
		struct bpf_insn in;

		ck_assert_msg(pc < len, "pc %zu out of the program (%zu)", pc, len);
		ck_assert_msg(steps < 10 * len, "a loop");
		in = p[pc++];
		ck_assert_msg(in.dst_reg <= 10 && in.src_reg <= 10, "insn %zu: a bad register",
		              pc - 1);
		assert_reserved_zero(&in, pc - 1);
		switch (in.code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			ck_assert_msg(in.src_reg == CTX && r1_is_ctx, "insn %zu: load not from ctx",
			              pc - 1);
			ck_assert_msg(in.off == 0 || in.off == 4 || in.off == 8,
			              "insn %zu: ctx offset %d", pc - 1, in.off);
			reg[in.dst_reg] = in.off == 0   ? ctx.access_type
			                  : in.off == 4 ? ctx.major
			                                : ctx.minor;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			ck_assert_msg(set[in.dst_reg], "insn %zu: r%d read unset", pc - 1,
			              in.dst_reg);
			ck_assert_msg(in.dst_reg != CTX || !r1_is_ctx, "insn %zu: alu on ctx",
			              pc - 1);
			if (BPF_OP(in.code) == BPF_AND)
				reg[in.dst_reg] = (uint32_t)reg[in.dst_reg] & (uint32_t)in.imm;
			else
				reg[in.dst_reg] = (uint32_t)reg[in.dst_reg] >> in.imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_K:
			reg[in.dst_reg] = (uint32_t)in.imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			ck_assert_msg(set[in.src_reg] && (in.src_reg != CTX || !r1_is_ctx),
			              "insn %zu: mov from r%d", pc - 1, in.src_reg);
			reg[in.dst_reg] = (uint32_t)reg[in.src_reg];
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
		case BPF_JMP | BPF_JNE | BPF_X: {
			uint64_t b = BPF_SRC(in.code) == BPF_X ? reg[in.src_reg]
			                                       : (uint64_t)(int64_t)in.imm;

			ck_assert_msg(set[in.dst_reg] &&
			                      (BPF_SRC(in.code) == BPF_K || set[in.src_reg]),
			              "insn %zu: jne on an unset register", pc - 1);
			ck_assert_msg(in.off >= 0 && pc + (size_t)in.off < len,
			              "insn %zu: jump to %zu", pc - 1, pc + (size_t)in.off);
			if (reg[in.dst_reg] != b)
				pc += (size_t)in.off;
			continue;
		}
		case BPF_JMP | BPF_EXIT:
			ck_assert_msg(set[0], "exit with r0 unset");
			ck_assert_msg(reg[0] == 0 || reg[0] == 1, "exit with r0 %llu",
			              (unsigned long long)reg[0]);
			return (int)reg[0];
		default:
			ck_abort_msg("insn %zu: opcode 0x%02x is not one the generator uses",
			             pc - 1, in.code);
		}
		set[in.dst_reg] = true;
		if (in.dst_reg == CTX)
			r1_is_ctx = false;
	}
}

/* ---- what each list allows ---------------------------------------------------------------- */

struct request {
	char type;
	const char *access;
	uint32_t major, minor;
	int allowed;
};

static const struct security_device read_random[] = {{'c', 1, 8, "r", NULL, 0}};
static const struct security_device mknod_blocks[] = {{'b', ANY, 1, "m", NULL, 0}};
static const struct security_device tty_major[] = {{'c', 4, ANY, "rw", NULL, 0}};
static const struct security_device largest[] = {{'c', INT32_MAX, INT32_MAX, "mrw", NULL, 0}};
static const struct security_device with_all[] = {
        {'c', 1, 3, "rwm", NULL, 0}, {'a', ANY, ANY, "rwm", NULL, 0}, {'b', 8, 0, "r", NULL, 0}};

struct list_case {
	const char *name;
	const struct security_device *list; /* NULL with n 0: the default list */
	size_t n;
	bool is_default, is_all;
	size_t insns; /* expected length, 0: no program */
	struct request requests[16];
};

/* Lengths: 6 to load the context, 2 for the default; a rule: 1 type, 3 access unless rwm,
 * 1 major unless *, 1 minor unless *, 2 to allow. */
static const struct list_case cases[] = {
        {"the default list",
         NULL,
         0,
         true,
         false,
         6 + 7 * 5 + 4 + 2,
         {
                 {'c', "rw", 1, 3, 1},  /* /dev/null */
                 {'c', "r", 1, 3, 1},   /* read alone */
                 {'c', "m", 1, 3, 1},   /* mknod /dev/null */
                 {'c', "rwm", 1, 9, 1}, /* urandom */
                 {'c', "rw", 5, 0, 1},  /* tty */
                 {'c', "rw", 5, 2, 1},  /* ptmx */
                 {'c', "rw", 136, 5, 1},
                 {'c', "rw", 136, 0, 1},
                 {'b', "r", 8, 0, 0},  /* sda */
                 {'b', "m", 8, 0, 0},  /* mknod of a disk */
                 {'b', "r", 1, 3, 0},  /* 1:3, but a block device */
                 {'c', "r", 4, 1, 0},  /* tty1 */
                 {'c', "r", 1, 11, 0}, /* kmsg */
                 {'c', "rw", 5, 1, 0}, /* console */
                 {'c', "rw", 10, 200, 0},
                 {'c', "r", 1, 1, 0}, /* mem */
         }},
        {"read-only random",
         read_random,
         ELEMENTSOF(read_random),
         false,
         false,
         6 + 8 + 2,
         {
                 {'c', "r", 1, 8, 1},
                 {'c', "w", 1, 8, 0},
                 {'c', "rw", 1, 8, 0},
                 {'c', "m", 1, 8, 0},
                 {'c', "r", 1, 9, 0},
                 {'b', "r", 1, 8, 0},
         }},
        {"mknod of minor 1 of any block major",
         mknod_blocks,
         ELEMENTSOF(mknod_blocks),
         false,
         false,
         6 + 7 + 2,
         {
                 {'b', "m", 8, 1, 1},
                 {'b', "m", 259, 1, 1},
                 {'b', "m", 8, 0, 0},
                 {'b', "r", 8, 1, 0},
                 {'b', "rm", 8, 1, 0},
                 {'c', "m", 8, 1, 0},
         }},
        {"any minor of a major",
         tty_major,
         ELEMENTSOF(tty_major),
         false,
         false,
         6 + 7 + 2,
         {
                 {'c', "rw", 4, 0, 1},
                 {'c', "w", 4, 63, 1},
                 {'c', "rwm", 4, 1, 0},
                 {'c', "r", 5, 1, 0},
         }},
        {"the largest numbers",
         largest,
         ELEMENTSOF(largest),
         false,
         false,
         6 + 5 + 2,
         {
                 {'c', "rw", INT32_MAX, INT32_MAX, 1},
                 {'c', "rw", INT32_MAX, 0, 0},
                 {'c', "rw", UINT32_MAX, UINT32_MAX, 0},
         }},
        {"the empty list denies everything",
         NULL,
         0,
         false,
         false,
         6 + 2,
         {
                 {'c', "r", 1, 3, 0},
                 {'c', "m", 1, 3, 0},
                 {'b', "rwm", 0, 0, 0},
         }},
        {"privileged: no program", NULL, 0, false, true, 0, {{0}}},
        {"an 'a' among others: no program", with_all, ELEMENTSOF(with_all), false, false, 0, {{0}}},
};

static const struct security_device *list_of(const struct list_case *c, size_t *n)
{
	if (c->is_default)
		return security_devices_default(n);
	if (c->is_all)
		return security_devices_all(n);
	*n = c->n;
	return c->list;
}

START_TEST(test_program_allows)
{
	const struct list_case *c = &cases[_i];
	_cleanup_free_ struct bpf_insn *p = NULL;
	struct nano_err err = {0};
	size_t n, len = 99;
	const struct security_device *list = list_of(c, &n);
	int r = cgroup_devices_program(list, n, &p, &len, &err);

	ck_assert_msg(r == 0, "%s: %d %s", c->name, r, err.message);
	ck_assert_msg(len == c->insns, "%s: %zu instructions, expected %zu", c->name, len,
	              c->insns);
	if (!c->insns) {
		ck_assert_ptr_null(p);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(c->requests) && c->requests[i].type; i++) {
		const struct request *q = &c->requests[i];
		int got = run(p, len, q->type, q->access, q->major, q->minor);

		ck_assert_msg(got == q->allowed, "%s: %c %u:%u %s %s, expected %s", c->name,
		              q->type, q->major, q->minor, q->access, got ? "allowed" : "denied",
		              q->allowed ? "allowed" : "denied");
	}
}
END_TEST

/* The shape, instruction by instruction, for one rule with every test. */
START_TEST(test_program_shape)
{
	static const struct security_device one[] = {{'b', 8, 16, "rw", NULL, 0}};
	static const struct bpf_insn want[] = {
	        {BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0},
	        {BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff},
	        {BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0},
	        {BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16},
	        {BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0},
	        {BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0},
	        {BPF_JMP | BPF_JNE | BPF_K, 2, 0, 7, BPF_DEVCG_DEV_BLOCK},
	        {BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0},
	        {BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE},
	        {BPF_JMP | BPF_JNE | BPF_X, 1, 3, 4, 0},
	        {BPF_JMP | BPF_JNE | BPF_K, 4, 0, 3, 8},
	        {BPF_JMP | BPF_JNE | BPF_K, 5, 0, 2, 16},
	        {BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 1},
	        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	        {BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0},
	        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	_cleanup_free_ struct bpf_insn *p = NULL;
	struct nano_err err = {0};
	size_t len = 0;

	ck_assert_int_eq(cgroup_devices_program(one, 1, &p, &len, &err), 0);
	ck_assert_uint_eq(len, ELEMENTSOF(want));
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(memcmp(&p[i], &want[i], sizeof(want[i])) == 0,
		              "insn %zu: code 0x%02x dst %d src %d off %d imm %d", i, p[i].code,
		              p[i].dst_reg, p[i].src_reg, p[i].off, p[i].imm);
}
END_TEST

/* ---- lists that cannot be enforced as written --------------------------------------------- */

struct bad_case {
	const char *name;
	struct security_device rule;
	int rc;
	const char *message; /* a part of it */
};

static const struct bad_case bad_cases[] = {
        {"unknown type", {'x', 1, 3, "rwm", NULL, 0}, -EINVAL, "type 'x'"},
        {"no type", {0, 1, 3, "rwm", NULL, 0}, -EINVAL, "type '?'"},
        {"empty access", {'c', 1, 3, "", NULL, 0}, -EINVAL, "access ''"},
        {"no access", {'c', 1, 3, NULL, NULL, 0}, -EINVAL, "access '(null)'"},
        {"unknown access", {'c', 1, 3, "rx", NULL, 0}, -EINVAL, "access 'rx'"},
        {"access twice", {'c', 1, 3, "rr", NULL, 0}, -EINVAL, "access 'rr'"},
        {"negative major", {'c', -2, 3, "rwm", NULL, 0}, -EINVAL, "'c -2:3 rwm'"},
        {"minor over 32 bits",
         {'c', 1, INT64_C(1) << 31, "rwm", NULL, 0},
         -EINVAL,
         "'c 1:2147483648 rwm'"},
        {"'a' with less access", {'a', ANY, ANY, "r", NULL, 0}, -EINVAL, "'a *:* r'"},
        {"'a' with a device", {'a', 1, 3, "rwm", NULL, 0}, -EINVAL, "'a 1:3 rwm'"},
};

START_TEST(test_program_refuses)
{
	const struct bad_case *c = &bad_cases[_i];
	/* after a good rule: the whole list is refused, not the bad rule skipped */
	struct security_device list[2] = {{'c', 1, 3, "rwm", NULL, 0}, c->rule};
	struct bpf_insn stale, *p = &stale;
	struct nano_err err = {0};
	size_t len = 99;
	int r;

	r = cgroup_devices_program(list, 2, &p, &len, &err);
	ck_assert_msg(r == c->rc, "%s: %d, expected %d", c->name, r, c->rc);
	ck_assert_int_eq(err.errnum, -c->rc);
	ck_assert_msg(err.message && strstr(err.message, c->message),
	              "%s: message \"%s\" without \"%s\"", c->name, err.message, c->message);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(len, 0);
	nano_err_clear(&err);
	ck_assert_int_eq(cgroup_devices_check(list, 2, NULL), c->rc);
}
END_TEST

START_TEST(test_program_too_many_rules)
{
	static struct security_device many[257];
	_cleanup_free_ struct bpf_insn *p = NULL;
	struct nano_err err = {0};
	size_t len;

	for (size_t i = 0; i < ELEMENTSOF(many); i++)
		many[i] = (struct security_device){'c', 1, (int64_t)i, "rw", NULL, 0};
	ck_assert_int_eq(cgroup_devices_program(many, 257, &p, &len, &err), -E2BIG);
	nano_err_clear(&err);
	/* 256 is fine: 6 + 256 * 8 + 2 instructions, half of BPF_MAXINSNS */
	ck_assert_int_eq(cgroup_devices_program(many, 256, &p, &len, &err), 0);
	ck_assert_uint_eq(len, 6 + 256 * 8 + 2);
	ck_assert_int_eq(run(p, len, 'c', "w", 1, 255), 1);
	ck_assert_int_eq(run(p, len, 'c', "w", 1, 256), 0);
}
END_TEST

static Suite *cgroup_bpf_suite(void)
{
	Suite *s = suite_create("cgroup_bpf");
	TCase *tc = tcase_create("program");

	tcase_add_loop_test(tc, test_program_allows, 0, (int)ELEMENTSOF(cases));
	tcase_add_test(tc, test_program_shape);
	tcase_add_loop_test(tc, test_program_refuses, 0, (int)ELEMENTSOF(bad_cases));
	tcase_add_test(tc, test_program_too_many_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(cgroup_bpf_suite());
}
