/* pkg/security/pss_read.c: what the Pod Security Standards checks share — reading a Pod's JSON
 * the way Go reads its typed fields (absent and null are both nil), and lists of names worded as
 * pod-security-admission words them (joinQuote, pluralize, Go's %q, sorted sets). A check reads
 * the Pod as JSON, not struct spec_pod: the standards cover fields nanolet does not run
 * (initContainers, ports, sysctls, probes, SELinux, AppArmor), and a pod is judged on all of them.
 */
#include <string.h>

#include "pss_internal.h"

/* ---- reading the Pod ---------------------------------------------------------------------- */

/* A field the way Go sees a pointer: absent and null are both nil. */
const json_t *pss_get(const json_t *o, const char *key)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

const char *pss_str(const json_t *o, const char *key)
{
	return json_string_value(pss_get(o, key));
}

const char *pss_name_of(const json_t *container)
{
	const char *name = pss_str(container, "name");

	return name ? name : "";
}

bool pss_is_true(const json_t *o, const char *key)
{
	return json_is_true(pss_get(o, key));
}

/* podSpec.OS.Name == "windows": the 1.25 versions of some restricted checks skip such pods. */
bool pss_windows_pod(const json_t *spec)
{
	const char *os = pss_str(pss_get(spec, "os"), "name");

	return os && strcmp(os, "windows") == 0;
}

/* relaxPolicyForUserNamespacePod: hostUsers is false. */
bool pss_user_namespace_pod(const json_t *spec)
{
	return json_is_false(pss_get(spec, "hostUsers"));
}

/* ---- lists of names ----------------------------------------------------------------------- */

void pss_names_done(struct pss_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct pss_names){0};
}

int pss_names_add_owned(struct pss_names *l, char *s)
{
	char **grown;

	if (!s)
		return -ENOMEM;
	grown = reallocarray(l->v, l->n + 1, sizeof(*grown));
	if (!grown)
		return free(s), -ENOMEM;
	l->v = grown;
	l->v[l->n++] = s;
	return 0;
}

int pss_names_add(struct pss_names *l, const char *s)
{
	return pss_names_add_owned(l, strdup(s));
}

bool pss_names_has(const struct pss_names *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* Insert into a set. */
int pss_set_add(struct pss_names *l, const char *s)
{
	return pss_names_has(l, s) ? 0 : pss_names_add(l, s);
}

static int pss_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A set's List(): sorted, as Go sorts strings (bytes). */
const struct pss_names *pss_sorted(struct pss_names *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), pss_cmp_str);
	return l;
}

/* strings.Join, and joinQuote: `"a", "b"`. */
char *pss_join(const struct pss_names *l, const char *sep, bool quote)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, quote ? "%s\"%s\"" : "%s%s", i ? sep : "", l->v[i]);
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

char *pss_join_quote(const struct pss_names *l)
{
	return pss_join(l, ", ", true);
}

const char *pss_pluralize(const char *singular, const char *plural, size_t n)
{
	return n == 1 ? singular : plural;
}

/* Go's %q for a string: double quotes, \" \\ and the usual escapes, \x for other controls. */
char *pss_go_quote(const char *s)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
	if (fclose(f) != 0)
		return free(out), NULL;
	return out;
}

/* "container \"a\"", "containers \"a\", \"b\"". */
char *pss_containers_phrase(const struct pss_names *l)
{
	_cleanup_free_ char *names = pss_join_quote(l);

	return names ? strdupf("%s %s", pss_pluralize("container", "containers", l->n), names)
	             : NULL;
}

int pss_forbid(struct pss_outcome *o, const char *reason, char *detail)
{
	if (!detail)
		return -ENOMEM;
	o->reason = reason;
	o->detail = detail;
	return 1;
}
