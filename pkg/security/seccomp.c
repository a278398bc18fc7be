/* pkg/security/seccomp.c: the seccomp profile model's vocabulary — the SCMP_* names of actions,
 * operators and architectures, kernel versions — and the decisions that depend on where a
 * profile is applied (which rules a container's capabilities, architecture and kernel bring in).
 * Pure: no syscalls and no libseccomp here; the shim's shim_seccomp.c builds and loads the
 * filter. RuntimeDefault's table is seccomp_default.c, the JSON reader seccomp_json.c. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "security.h"

const char *security_seccomp_kind_name(enum security_seccomp_kind kind)
{
	switch (kind) {
	case SECURITY_SECCOMP_UNCONFINED:
		return "Unconfined";
	case SECURITY_SECCOMP_RUNTIME_DEFAULT:
		return "RuntimeDefault";
	case SECURITY_SECCOMP_LOCALHOST:
		return "Localhost";
	}
	return "unknown";
}

const char *security_seccomp_action_name(enum security_seccomp_action action)
{
	switch (action) {
	case SECURITY_SECCOMP_ACT_KILL_PROCESS:
		return "SCMP_ACT_KILL_PROCESS";
	case SECURITY_SECCOMP_ACT_KILL_THREAD:
		return "SCMP_ACT_KILL_THREAD";
	case SECURITY_SECCOMP_ACT_TRAP:
		return "SCMP_ACT_TRAP";
	case SECURITY_SECCOMP_ACT_ERRNO:
		return "SCMP_ACT_ERRNO";
	case SECURITY_SECCOMP_ACT_TRACE:
		return "SCMP_ACT_TRACE";
	case SECURITY_SECCOMP_ACT_LOG:
		return "SCMP_ACT_LOG";
	case SECURITY_SECCOMP_ACT_ALLOW:
		return "SCMP_ACT_ALLOW";
	}
	return NULL;
}

const char *security_seccomp_op_name(enum security_seccomp_op op)
{
	switch (op) {
	case SECURITY_SECCOMP_OP_NE:
		return "SCMP_CMP_NE";
	case SECURITY_SECCOMP_OP_LT:
		return "SCMP_CMP_LT";
	case SECURITY_SECCOMP_OP_LE:
		return "SCMP_CMP_LE";
	case SECURITY_SECCOMP_OP_EQ:
		return "SCMP_CMP_EQ";
	case SECURITY_SECCOMP_OP_GE:
		return "SCMP_CMP_GE";
	case SECURITY_SECCOMP_OP_GT:
		return "SCMP_CMP_GT";
	case SECURITY_SECCOMP_OP_MASKED_EQ:
		return "SCMP_CMP_MASKED_EQ";
	}
	return NULL;
}

/* Three spellings of each architecture: the OCI one, libseccomp's token, and the names Docker's
 * includes/excludes use (Go's GOARCH, via moby's goToNative: "amd64", but "x86" for 386). */
/* Every field spelled out, {NULL} for no other name: clang's -Wmissing-field-initializers (the
 * fuzz build) refuses a shorter initializer. */
static const struct {
	const char *oci, *token, *other[2];
} arches[SECURITY_SECCOMP_ARCH_COUNT] = {
        [SECURITY_SECCOMP_ARCH_X86] = {"SCMP_ARCH_X86", "x86", {"386", "i386"}},
        [SECURITY_SECCOMP_ARCH_X86_64] = {"SCMP_ARCH_X86_64", "x86_64", {"amd64"}},
        [SECURITY_SECCOMP_ARCH_X32] = {"SCMP_ARCH_X32", "x32", {NULL}},
        [SECURITY_SECCOMP_ARCH_ARM] = {"SCMP_ARCH_ARM", "arm", {NULL}},
        [SECURITY_SECCOMP_ARCH_AARCH64] = {"SCMP_ARCH_AARCH64", "aarch64", {"arm64"}},
        [SECURITY_SECCOMP_ARCH_MIPS] = {"SCMP_ARCH_MIPS", "mips", {NULL}},
        [SECURITY_SECCOMP_ARCH_MIPS64] = {"SCMP_ARCH_MIPS64", "mips64", {NULL}},
        [SECURITY_SECCOMP_ARCH_MIPS64N32] = {"SCMP_ARCH_MIPS64N32", "mips64n32", {NULL}},
        [SECURITY_SECCOMP_ARCH_MIPSEL] = {"SCMP_ARCH_MIPSEL", "mipsel", {"mipsle"}},
        [SECURITY_SECCOMP_ARCH_MIPSEL64] = {"SCMP_ARCH_MIPSEL64", "mipsel64", {"mips64le"}},
        [SECURITY_SECCOMP_ARCH_MIPSEL64N32] = {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", {NULL}},
        [SECURITY_SECCOMP_ARCH_PPC] = {"SCMP_ARCH_PPC", "ppc", {NULL}},
        [SECURITY_SECCOMP_ARCH_PPC64] = {"SCMP_ARCH_PPC64", "ppc64", {NULL}},
        [SECURITY_SECCOMP_ARCH_PPC64LE] = {"SCMP_ARCH_PPC64LE", "ppc64le", {NULL}},
        [SECURITY_SECCOMP_ARCH_S390] = {"SCMP_ARCH_S390", "s390", {NULL}},
        [SECURITY_SECCOMP_ARCH_S390X] = {"SCMP_ARCH_S390X", "s390x", {NULL}},
        [SECURITY_SECCOMP_ARCH_PARISC] = {"SCMP_ARCH_PARISC", "parisc", {NULL}},
        [SECURITY_SECCOMP_ARCH_PARISC64] = {"SCMP_ARCH_PARISC64", "parisc64", {NULL}},
        [SECURITY_SECCOMP_ARCH_RISCV64] = {"SCMP_ARCH_RISCV64", "riscv64", {NULL}},
        [SECURITY_SECCOMP_ARCH_LOONGARCH64] = {"SCMP_ARCH_LOONGARCH64", "loongarch64", {"loong64"}},
};

const char *security_seccomp_arch_name(enum security_seccomp_arch arch)
{
	return (unsigned)arch < SECURITY_SECCOMP_ARCH_COUNT ? arches[arch].oci : NULL;
}

const char *security_seccomp_arch_token(enum security_seccomp_arch arch)
{
	return (unsigned)arch < SECURITY_SECCOMP_ARCH_COUNT ? arches[arch].token : NULL;
}

int security_seccomp_arch_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < SECURITY_SECCOMP_ARCH_COUNT; i++) {
		if (strcasecmp(name, arches[i].oci) == 0 || strcasecmp(name, arches[i].token) == 0)
			return i;
		for (size_t k = 0; k < ELEMENTSOF(arches[i].other); k++)
			if (arches[i].other[k] && strcasecmp(name, arches[i].other[k]) == 0)
				return i;
	}
	return -1;
}

int security_kernel_version_parse(const char *release, uint32_t *out)
{
	unsigned long part[3] = {0};
	const char *p = release;
	char *end;

	if (!p || !isdigit((unsigned char)*p))
		return -EINVAL;
	/* Docker's kernel.ParseRelease: major.minor[.patch] then anything ("-rc1", "-amd64") */
	for (int i = 0; i < 3; i++) {
		part[i] = strtoul(p, &end, 10);
		if (part[i] > 255 && i < 2)
			return -EINVAL;
		p = end;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	*out = SECURITY_KERNEL_VERSION((uint32_t)part[0], (uint32_t)part[1],
	                               (uint32_t)(part[2] > 255 ? 255 : part[2]));
	return 0;
}

bool security_seccomp_rule_applies(const struct security_seccomp_rule *rule,
                                   const struct security_seccomp_env *env)
{
	uint32_t arch = SECURITY_SECCOMP_ARCH_BIT(env->arch);
	const struct security_seccomp_cond *in = &rule->includes, *ex = &rule->excludes;

	/* moby profiles/seccomp setupSeccomp, in its order: excludes, then includes */
	if ((ex->arches & arch) || (ex->caps & env->caps) ||
	    (ex->min_kernel && env->kernel >= ex->min_kernel))
		return false;
	if ((in->arches && !(in->arches & arch)) || (in->caps & env->caps) != in->caps ||
	    (in->min_kernel && env->kernel < in->min_kernel))
		return false;
	return true;
}

uint32_t security_seccomp_arches(const struct security_seccomp_profile *p,
                                 enum security_seccomp_arch native)
{
	uint32_t set = SECURITY_SECCOMP_ARCH_BIT(native) | p->architectures;

	for (size_t i = 0; i < p->n_arch_map; i++)
		if (p->arch_map[i].arch == native)
			set |= p->arch_map[i].sub_arches;
	return set;
}
