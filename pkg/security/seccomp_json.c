/* pkg/security/seccomp_json.c: reads a seccomp profile written as JSON — the OCI runtime spec's
 * linux.seccomp object or a Docker profile (archMap, name, includes/excludes) — into struct
 * security_seccomp_profile. Both shapes are one grammar: a profile may mix them, except for
 * the pairs Docker refuses together (architectures and archMap, name and names).
 *
 * What it accepts is what runc and crun enforce; what they would refuse, or enforce other than
 * the profile says, is refused here with the JSON path of the value. Pure: it reads a buffer
 * and never a file (the caller found the profile under seccomp_profile_root), and knows
 * nothing of libseccomp, so a syscall name is any non-empty string here.
 */
#include <stdarg.h>
#include <string.h>

#include "security.h"

#define PATH_SIZE 128

/* The JSON path of a value, for messages: "syscalls[3].args[0].op". Cut at PATH_SIZE. */
static __attribute__((format(printf, 2, 3))) void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_SIZE, fmt, ap);
	va_end(ap);
}

static void profile_freep(struct security_seccomp_profile **p)
{
	security_seccomp_free(*p);
}

static __attribute__((format(printf, 3, 4))) int invalid(struct nano_err *err, const char *path,
                                                         const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return nano_err_set(err, EINVAL, "%s: %s", path, message);
}

/* JSON null is a missing value, as for Go's decoder into a pointer or a slice. */
static json_t *member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && !json_is_null(v) ? v : NULL;
}

static int get_string(json_t *v, const char *path, const char **out, struct nano_err *err)
{
	if (!json_is_string(v))
		return invalid(err, path, "must be a string");
	*out = json_string_value(v);
	return 0;
}

/* An unsigned integer up to max. jansson reads integers as signed 64 bits: a larger number
 * does not get here (the document fails to parse). */
static int get_uint(json_t *v, const char *path, uint64_t max, uint64_t *out, struct nano_err *err)
{
	json_int_t i;

	if (!json_is_integer(v))
		return invalid(err, path, "must be an integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return invalid(err, path, "%lld is out of range: from 0 to %llu", (long long)i,
		               (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int get_array(json_t *v, const char *path, struct nano_err *err)
{
	return json_is_array(v) ? 0 : invalid(err, path, "must be an array");
}

static int get_object(json_t *v, const char *path, struct nano_err *err)
{
	return json_is_object(v) ? 0 : invalid(err, path, "must be an object");
}

static const struct {
	const char *name;
	enum security_seccomp_action action;
} actions[] = {
        {"SCMP_ACT_KILL", SECURITY_SECCOMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", SECURITY_SECCOMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SECURITY_SECCOMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SECURITY_SECCOMP_ACT_TRAP},
        {"SCMP_ACT_ERRNO", SECURITY_SECCOMP_ACT_ERRNO},
        {"SCMP_ACT_TRACE", SECURITY_SECCOMP_ACT_TRACE},
        {"SCMP_ACT_LOG", SECURITY_SECCOMP_ACT_LOG},
        {"SCMP_ACT_ALLOW", SECURITY_SECCOMP_ACT_ALLOW},
};

static int get_action(json_t *v, const char *path, enum security_seccomp_action *out,
                      struct nano_err *err)
{
	const char *s = NULL;
	int r;

	if (!v)
		return invalid(err, path, "required");
	r = get_string(v, path, &s, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(actions); i++)
		if (strcmp(s, actions[i].name) == 0) {
			*out = actions[i].action;
			return 0;
		}
	if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
		return invalid(err, path,
		               "SCMP_ACT_NOTIFY hands syscalls to a seccomp agent, and nanolet has "
		               "none");
	return invalid(err, path, "unknown action \"%s\"", s);
}

/* errnoRet, defaultErrnoRet: only actions that return a value take one (crun refuses it
 * elsewhere); the kernel caps an errno at MAX_ERRNO, 4095. */
static int get_errno(json_t *o, const char *key, const char *path,
                     enum security_seccomp_action action, uint16_t *out, struct nano_err *err)
{
	json_t *v = member(o, key);
	char p[PATH_SIZE];
	uint64_t u;
	int r;

	*out = action == SECURITY_SECCOMP_ACT_ERRNO || action == SECURITY_SECCOMP_ACT_TRACE ? EPERM
	                                                                                    : 0;
	if (!v)
		return 0;
	pathf(p, "%s%s%s", path, *path ? "." : "", key);
	if (action != SECURITY_SECCOMP_ACT_ERRNO && action != SECURITY_SECCOMP_ACT_TRACE)
		return invalid(err, p,
		               "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
		               security_seccomp_action_name(action));
	r = get_uint(v, p, 4095, &u, err);
	if (r < 0)
		return r;
	*out = (uint16_t)u;
	return 0;
}

static int get_arch(json_t *v, const char *path, enum security_seccomp_arch *out,
                    struct nano_err *err)
{
	const char *s = NULL;
	int r, a;

	r = get_string(v, path, &s, err);
	if (r < 0)
		return r;
	a = security_seccomp_arch_from_name(s);
	if (a < 0)
		return invalid(err, path, "unknown architecture \"%s\"", s);
	*out = (enum security_seccomp_arch)a;
	return 0;
}

/* An array of architectures as a set. */
static int get_arches(json_t *v, const char *path, uint32_t *out, struct nano_err *err)
{
	enum security_seccomp_arch a;
	char p[PATH_SIZE];
	size_t i;
	json_t *e;
	int r;

	*out = 0;
	if (!v)
		return 0;
	r = get_array(v, path, err);
	if (r < 0)
		return r;
	json_array_foreach(v, i, e)
	{
		pathf(p, "%s[%zu]", path, i);
		r = get_arch(e, p, &a, err);
		if (r < 0)
			return r;
		*out |= SECURITY_SECCOMP_ARCH_BIT(a);
	}
	return 0;
}

static int read_arch_map(json_t *v, struct security_seccomp_profile *p, struct nano_err *err)
{
	struct security_seccomp_arch_map *map;
	char path[PATH_SIZE];
	size_t i;
	json_t *e;
	int r;

	r = get_array(v, "archMap", err);
	if (r < 0)
		return r;
	map = calloc(json_array_size(v) + 1, sizeof(*map));
	if (!map)
		return nano_err_set(err, ENOMEM, "out of memory");
	p->arch_map = map;
	json_array_foreach(v, i, e)
	{
		pathf(path, "archMap[%zu]", i);
		r = get_object(e, path, err);
		if (r < 0)
			return r;
		pathf(path, "archMap[%zu].architecture", i);
		if (!member(e, "architecture"))
			return invalid(err, path, "required");
		r = get_arch(member(e, "architecture"), path, &map[i].arch, err);
		if (r < 0)
			return r;
		pathf(path, "archMap[%zu].subArchitectures", i);
		r = get_arches(member(e, "subArchitectures"), path, &map[i].sub_arches, err);
		if (r < 0)
			return r;
		p->n_arch_map++;
	}
	return 0;
}

static int read_flags(json_t *v, uint32_t *out, struct nano_err *err)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} flags[] = {
	        {"SECCOMP_FILTER_FLAG_LOG", SECURITY_SECCOMP_FLAG_LOG},
	        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECURITY_SECCOMP_FLAG_SPEC_ALLOW},
	        /* one thread in the shim's child; no notify agent to wait for */
	        {"SECCOMP_FILTER_FLAG_TSYNC", 0},
	        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0},
	};
	char path[PATH_SIZE];
	const char *s = NULL;
	size_t i, k;
	json_t *e;
	int r;

	r = get_array(v, "flags", err);
	if (r < 0)
		return r;
	json_array_foreach(v, i, e)
	{
		pathf(path, "flags[%zu]", i);
		r = get_string(e, path, &s, err);
		if (r < 0)
			return r;
		for (k = 0; k < ELEMENTSOF(flags) && strcmp(s, flags[k].name) != 0; k++)
			;
		if (k == ELEMENTSOF(flags))
			return invalid(err, path, "unknown flag \"%s\"", s);
		*out |= flags[k].flag;
	}
	return 0;
}

static int read_names(json_t *o, const char *path, struct security_seccomp_rule *rule,
                      struct nano_err *err)
{
	json_t *name = member(o, "name"), *names = member(o, "names"), *e;
	char p[PATH_SIZE];
	const char *s = NULL;
	char **l;
	size_t i;
	int r;

	if (name && names)
		return invalid(err, path, "both name and names are given: use one of them");
	if (!name && !names) {
		pathf(p, "%s.names", path);
		return invalid(err, p, "required");
	}
	if (names) {
		pathf(p, "%s.names", path);
		r = get_array(names, p, err);
		if (r < 0)
			return r;
		if (json_array_size(names) == 0)
			return invalid(err, p, "must name at least one syscall");
	}
	l = calloc((names ? json_array_size(names) : 1) + 1, sizeof(char *));
	if (!l)
		return nano_err_set(err, ENOMEM, "out of memory");
	rule->names = (const char *const *)l;
	for (i = 0; i < (names ? json_array_size(names) : 1); i++) {
		e = names ? json_array_get(names, i) : name;
		if (names)
			pathf(p, "%s.names[%zu]", path, i);
		else
			pathf(p, "%s.name", path);
		r = get_string(e, p, &s, err);
		if (r < 0)
			return r;
		if (!*s)
			return invalid(err, p, "must not be empty");
		l[i] = strdup(s);
		if (!l[i])
			return nano_err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int read_op(json_t *v, const char *path, enum security_seccomp_op *out, struct nano_err *err)
{
	const char *s = NULL;
	int r;

	if (!v)
		return invalid(err, path, "required");
	r = get_string(v, path, &s, err);
	if (r < 0)
		return r;
	for (int op = SECURITY_SECCOMP_OP_NE; op <= SECURITY_SECCOMP_OP_MASKED_EQ; op++)
		if (strcmp(s, security_seccomp_op_name(op)) == 0) {
			*out = op;
			return 0;
		}
	return invalid(err, path, "unknown operator \"%s\"", s);
}

static int read_args(json_t *v, const char *path, struct security_seccomp_rule *rule,
                     struct nano_err *err)
{
	struct security_seccomp_arg *args;
	char p[PATH_SIZE], q[PATH_SIZE];
	uint64_t index;
	size_t i;
	json_t *e;
	int r;

	pathf(p, "%s.args", path);
	r = get_array(v, p, err);
	if (r < 0)
		return r;
	args = calloc(json_array_size(v) + 1, sizeof(*args));
	if (!args)
		return nano_err_set(err, ENOMEM, "out of memory");
	rule->args = args;
	json_array_foreach(v, i, e)
	{
		pathf(p, "%s.args[%zu]", path, i);
		r = get_object(e, p, err);
		if (r < 0)
			return r;
		pathf(q, "%s.index", p);
		if (!member(e, "index"))
			return invalid(err, q, "required");
		r = get_uint(member(e, "index"), q, SECURITY_SECCOMP_ARGS_MAX - 1, &index, err);
		if (r < 0)
			return r;
		args[i].index = (unsigned)index;
		pathf(q, "%s.value", p);
		if (member(e, "value") &&
		    (r = get_uint(member(e, "value"), q, UINT64_MAX, &args[i].value, err)) < 0)
			return r;
		pathf(q, "%s.valueTwo", p);
		if (member(e, "valueTwo") && (r = get_uint(member(e, "valueTwo"), q, UINT64_MAX,
		                                           &args[i].value_two, err)) < 0)
			return r;
		pathf(q, "%s.op", p);
		r = read_op(member(e, "op"), q, &args[i].op, err);
		if (r < 0)
			return r;
		rule->n_args++;
	}
	return 0;
}

/* includes, excludes */
static int read_cond(json_t *v, const char *path, struct security_seccomp_cond *out,
                     struct nano_err *err)
{
	char p[PATH_SIZE];
	const char *s = NULL;
	json_t *caps, *e;
	size_t i;
	int r, cap;

	r = get_object(v, path, err);
	if (r < 0)
		return r;
	if ((caps = member(v, "caps"))) {
		pathf(p, "%s.caps", path);
		r = get_array(caps, p, err);
		if (r < 0)
			return r;
		json_array_foreach(caps, i, e)
		{
			pathf(p, "%s.caps[%zu]", path, i);
			r = get_string(e, p, &s, err);
			if (r < 0)
				return r;
			cap = security_cap_from_name(s);
			if (cap < 0)
				return invalid(err, p, "unknown capability \"%s\"", s);
			out->caps |= UINT64_C(1) << cap;
		}
	}
	pathf(p, "%s.arches", path);
	r = get_arches(member(v, "arches"), p, &out->arches, err);
	if (r < 0)
		return r;
	if ((e = member(v, "minKernel"))) {
		pathf(p, "%s.minKernel", path);
		r = get_string(e, p, &s, err);
		if (r < 0)
			return r;
		if (security_kernel_version_parse(s, &out->min_kernel) < 0)
			return invalid(err, p, "not a kernel version: \"%s\"", s);
	}
	return 0;
}

static int read_rule(json_t *o, const char *path, struct security_seccomp_rule *rule,
                     struct nano_err *err)
{
	char p[PATH_SIZE];
	json_t *v;
	int r;

	r = get_object(o, path, err);
	if (r < 0)
		return r;
	r = read_names(o, path, rule, err);
	if (r < 0)
		return r;
	pathf(p, "%s.action", path);
	r = get_action(member(o, "action"), p, &rule->action, err);
	if (r < 0)
		return r;
	r = get_errno(o, "errnoRet", path, rule->action, &rule->errno_ret, err);
	if (r < 0)
		return r;
	if ((v = member(o, "args")) && (r = read_args(v, path, rule, err)) < 0)
		return r;
	pathf(p, "%s.includes", path);
	if ((v = member(o, "includes")) && (r = read_cond(v, p, &rule->includes, err)) < 0)
		return r;
	pathf(p, "%s.excludes", path);
	if ((v = member(o, "excludes")) && (r = read_cond(v, p, &rule->excludes, err)) < 0)
		return r;
	return 0;
}

static int read_profile(json_t *root, struct security_seccomp_profile *p, struct nano_err *err)
{
	struct security_seccomp_rule *rules;
	char path[PATH_SIZE];
	json_t *v, *e;
	size_t i;
	int r;

	r = get_action(member(root, "defaultAction"), "defaultAction", &p->default_action, err);
	if (r < 0)
		return r;
	r = get_errno(root, "defaultErrnoRet", "", p->default_action, &p->default_errno_ret, err);
	if (r < 0)
		return r;
	if (member(root, "architectures") && member(root, "archMap"))
		return invalid(err, "archMap",
		               "both architectures and archMap are given: use one of them");
	r = get_arches(member(root, "architectures"), "architectures", &p->architectures, err);
	if (r < 0)
		return r;
	if ((v = member(root, "archMap")) && (r = read_arch_map(v, p, err)) < 0)
		return r;
	if ((v = member(root, "flags")) && (r = read_flags(v, &p->flags, err)) < 0)
		return r;
	if (!(v = member(root, "syscalls")))
		return 0;
	r = get_array(v, "syscalls", err);
	if (r < 0)
		return r;
	rules = calloc(json_array_size(v) + 1, sizeof(*rules));
	if (!rules)
		return nano_err_set(err, ENOMEM, "out of memory");
	p->rules = rules;
	json_array_foreach(v, i, e)
	{
		pathf(path, "syscalls[%zu]", i);
		/* counted before it is filled, so that a failure frees what it holds */
		p->n_rules++;
		r = read_rule(e, path, &rules[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int security_seccomp_parse(const char *text, size_t len, struct security_seccomp_profile **out,
                           struct nano_err *err)
{
	_cleanup_(profile_freep) struct security_seccomp_profile *p = NULL;
	_cleanup_json_ json_t *root = NULL;
	json_error_t jerr;
	int r;

	*out = NULL;
	root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return nano_err_set(err, ENOMEM, "out of memory");
		return nano_err_set(err, EBADMSG, "json: line %d, column %d: %s", jerr.line,
		                    jerr.column, jerr.text);
	}
	if (!json_is_object(root))
		return nano_err_set(err, EINVAL, "a seccomp profile is a JSON object");
	p = calloc(1, sizeof(*p));
	if (!p)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = read_profile(root, p, err);
	if (r < 0)
		return r;
	*out = TAKE_PTR(p);
	return 0;
}

struct security_seccomp_profile *security_seccomp_free(struct security_seccomp_profile *p)
{
	if (!p || p == security_seccomp_runtime_default())
		return NULL;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct security_seccomp_rule *rule = &p->rules[i];

		for (size_t k = 0; rule->names && rule->names[k]; k++)
			free((char *)rule->names[k]);
		free((void *)rule->names);
		free((void *)rule->args);
	}
	free((void *)p->rules);
	free((void *)p->arch_map);
	free(p);
	return NULL;
}
