/* tests/unit/test_seccomp_json.c: security_seccomp_parse — the OCI (linux.seccomp) and Docker
 * (archMap, name, includes/excludes) shapes it reads, that RuntimeDefault written as Docker JSON
 * reads back as itself, and every error it names, with its message. Pure: no filter is loaded
 * here (test_seccomp_load.c loads parsed profiles).
 */
#include "check_main.h"
#include <linux/capability.h>
#include <string.h>

#include "security/security.h"

#define ARCH(a)  SECURITY_SECCOMP_ARCH_##a
#define BIT(a)   SECURITY_SECCOMP_ARCH_BIT(SECURITY_SECCOMP_ARCH_##a)
#define CAP(c)   (UINT64_C(1) << (c))
#define KV(a, b) SECURITY_KERNEL_VERSION(a, b, 0)

#define ALLOW SECURITY_SECCOMP_ACT_ALLOW
#define ERRNO SECURITY_SECCOMP_ACT_ERRNO

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
	ck_assert_int_eq(p->default_action, ERRNO);
	ck_assert_uint_eq(p->default_errno_ret, EPERM);
	ck_assert_uint_eq(p->n_rules, 4);
	ck_assert_int_eq(p->rules[2].args[0].op, SECURITY_SECCOMP_OP_MASKED_EQ);
	ck_assert_uint_eq(p->rules[2].args[0].value, 0x7E020000);
	ck_assert_uint_eq(p->rules[2].args[0].value_two, 0);
	ck_assert_str_eq(p->rules[3].names[0], "clone3");
	ck_assert_int_eq(p->rules[3].action, ERRNO);
	ck_assert_uint_eq(p->rules[3].errno_ret, ENOSYS);
	ck_assert_uint_eq(security_seccomp_arches(p, ARCH(X86_64)),
	                  BIT(X86_64) | BIT(X86) | BIT(X32));
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

static Suite *seccomp_json_suite(void)
{
	Suite *s = suite_create("seccomp_json");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, parse_oci_example);
	tcase_add_test(tc, parse_containerd_config_json);
	tcase_add_test(tc, parse_docker_example);
	tcase_add_test(tc, parse_runtime_default_round_trip);
	tcase_add_loop_test(tc, parse_refuses, 0, (int)ELEMENTSOF(parse_errors));
	tcase_add_test(tc, parse_nulls_and_unknown_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(seccomp_json_suite());
}
