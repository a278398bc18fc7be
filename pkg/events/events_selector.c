/* pkg/events/events_selector.c: the fieldSelector of event and pod lists (and watches), parsed
 * and matched as the API server does it.
 *
 * Syntax is apimachinery's fields.ParseSelector: terms split at unescaped commas, each term split
 * at its first operator (`!=`, `==` or `=`, tried in that order at each position), values
 * unescaped with `\\`, `\,`, `\=` only (a bare `,` or `=` in a value is an error). Fields are the
 * event registry's selectable fields (pkg/registry/core/event ToSelectableFields), or the pod's
 * (the field label conversion of pkg/apis/core/v1 conversion.go), read from the object's JSON; an
 * absent one is "", a boolean "true" or "false". No I/O.
 */
#include "events.h"

#include <string.h>

/* Each selectable field and where it sits in the Event JSON. The first names are the ones a
 * person most likely meant: they lead the "only ..." list of the error message. */
static const struct field {
	const char *name;
	const char *path[2]; /* object key, then member (or NULL) */
} event_fields[] = {
        {"involvedObject.name", {"involvedObject", "name"}},
        {"involvedObject.kind", {"involvedObject", "kind"}},
        {"involvedObject.uid", {"involvedObject", "uid"}},
        {"involvedObject.fieldPath", {"involvedObject", "fieldPath"}},
        {"involvedObject.namespace", {"involvedObject", "namespace"}},
        {"involvedObject.apiVersion", {"involvedObject", "apiVersion"}},
        {"involvedObject.resourceVersion", {"involvedObject", "resourceVersion"}},
        {"reason", {"reason", NULL}},
        {"type", {"type", NULL}},
        {"source", {"source", "component"}},
        {"reportingComponent", {"reportingComponent", NULL}},
        {"metadata.name", {"metadata", "name"}},
        {"metadata.namespace", {"metadata", "namespace"}},
        {NULL, {NULL, NULL}},
};

/* A Pod's, as the API server's conversion accepts them (spec.host is the old name of
 * spec.nodeName; status.podIPs is left out: it selects on the first address only). */
static const struct field pod_fields[] = {
        {"metadata.name", {"metadata", "name"}},
        {"metadata.namespace", {"metadata", "namespace"}},
        {"spec.nodeName", {"spec", "nodeName"}},
        {"spec.restartPolicy", {"spec", "restartPolicy"}},
        {"spec.schedulerName", {"spec", "schedulerName"}},
        {"spec.serviceAccountName", {"spec", "serviceAccountName"}},
        {"spec.hostNetwork", {"spec", "hostNetwork"}},
        {"status.phase", {"status", "phase"}},
        {"status.podIP", {"status", "podIP"}},
        {"status.nominatedNodeName", {"status", "nominatedNodeName"}},
        {"spec.host", {"spec", "nodeName"}},
        {NULL, {NULL, NULL}},
};

static const struct field *fields_of(enum events_selector_kind kind)
{
	return kind == EVENTS_SELECT_PODS ? pod_fields : event_fields;
}

static const struct field *field_find(const struct field *fields, const char *name, size_t len)
{
	for (const struct field *f = fields; f->name; f++)
		if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
			return f;
	return NULL;
}

static int unknown_field(enum events_selector_kind kind, const char *name, size_t len,
                         struct nano_err *err)
{
	_cleanup_strv_ char **quoted = NULL;
	_cleanup_free_ char *only = NULL;

	/* Bounded: the name comes from a query string. */
	if (kind == EVENTS_SELECT_PODS)
		return nano_err_set(err, EINVAL, "field label not supported: %.*s",
		                    (int)(len > 128 ? 128 : len), name);
	for (const struct field *f = event_fields; f->name; f++)
		if (strv_pushf(&quoted, "\"%s\"", f->name) < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
	only = strv_join(quoted, ", ");
	if (!only)
		return nano_err_set(err, ENOMEM, "out of memory");
	return nano_err_set(err, EINVAL, "\"%.*s\" is not a known field selector: only %s",
	                    (int)(len > 128 ? 128 : len), name, only);
}

void events_selector_done(struct events_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		free(sel->terms[i].value);
	free(sel->terms);
	*sel = (struct events_selector){0};
}

/* fields.UnescapeValue. */
static int unescape(const char *s, size_t len, char **out, struct nano_err *err)
{
	_cleanup_free_ char *v = malloc(len + 1);
	size_t n = 0;
	bool in_slash = false;

	if (!v)
		return nano_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_slash) {
			if (c != '\\' && c != ',' && c != '=')
				return nano_err_set(
				        err, EINVAL,
				        "invalid field selector: invalid escape sequence: "
				        "\\%c",
				        c);
			v[n++] = c;
			in_slash = false;
		} else if (c == '\\') {
			in_slash = true;
		} else if (c == ',' || c == '=') {
			return nano_err_set(
			        err, EINVAL,
			        "invalid field selector: unescaped character in value: %c", c);
		} else {
			v[n++] = c;
		}
	}
	if (in_slash)
		return nano_err_set(err, EINVAL,
		                    "invalid field selector: invalid escape sequence: \\");
	v[n] = '\0';
	*out = TAKE_PTR(v);
	return 0;
}

/* Parses one non-empty term (fields.splitTerm) onto sel. */
static int parse_term(enum events_selector_kind kind, const char *text, const char *term,
                      size_t len, struct events_selector *sel, struct nano_err *err)
{
	static const char *const ops[] = {"!=", "==", "="};
	struct events_selector_term *grown;
	const struct field *field;
	size_t op_at = len, op_len = 0;
	char *value = NULL;
	int r;

	for (size_t i = 0; i < len && !op_len; i++)
		for (size_t o = 0; o < ELEMENTSOF(ops) && !op_len; o++)
			if (strncmp(term + i, ops[o], strlen(ops[o])) == 0 &&
			    i + strlen(ops[o]) <= len) {
				op_at = i;
				op_len = strlen(ops[o]);
			}
	if (!op_len)
		return nano_err_set(err, EINVAL, "invalid selector: '%s'; can't understand '%.*s'",
		                    text, (int)len, term);
	field = field_find(fields_of(kind), term, op_at);
	if (!field)
		return unknown_field(kind, term, op_at, err);
	r = unescape(term + op_at + op_len, len - op_at - op_len, &value, err);
	if (r < 0)
		return r;
	grown = reallocarray(sel->terms, sel->n + 1, sizeof(*grown));
	if (!grown) {
		free(value);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	sel->terms = grown;
	sel->terms[sel->n++] = (struct events_selector_term){
	        .field = strcmp(field->name, "spec.host") == 0 ? "spec.nodeName" : field->name,
	        .value = value,
	        .not_equal = term[op_at] == '!',
	};
	return 0;
}

int events_selector_parse(const char *text, struct events_selector *out, struct nano_err *err)
{
	return events_selector_parse_for(EVENTS_SELECT_EVENTS, text, out, err);
}

int events_selector_parse_for(enum events_selector_kind kind, const char *text,
                              struct events_selector *out, struct nano_err *err)
{
	struct events_selector sel = {.kind = kind};
	const char *start;
	int r;

	if (!out)
		return nano_err_set(err, EINVAL, "fieldSelector: nowhere to put it");
	*out = sel;
	if (!text)
		return 0;
	/* fields.splitTerms: a backslash protects the next character, commas split. */
	start = text;
	for (const char *p = text;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != ',' && *p != '\0')
			continue;
		if (p > start) {
			r = parse_term(kind, text, start, (size_t)(p - start), &sel, err);
			if (r < 0) {
				events_selector_done(&sel);
				return r;
			}
		}
		if (*p == '\0')
			break;
		start = p + 1;
	}
	*out = sel;
	return 0;
}

static const char *field_value(enum events_selector_kind kind, const json_t *object,
                               const char *name)
{
	const struct field *f = field_find(fields_of(kind), name, strlen(name));
	const json_t *v;

	if (!f)
		return "";
	v = json_object_get(object, f->path[0]);
	if (f->path[1])
		v = json_object_get(v, f->path[1]);
	/* a bool field (spec.hostNetwork) is selected as strconv.FormatBool writes it */
	if (json_is_boolean(v) || (!v && strcmp(name, "spec.hostNetwork") == 0))
		return json_is_true(v) ? "true" : "false";
	return json_is_string(v) ? json_string_value(v) : "";
}

bool events_selector_match(const struct events_selector *sel, const json_t *object)
{
	for (size_t i = 0; sel && i < sel->n; i++) {
		const struct events_selector_term *t = &sel->terms[i];
		bool equal = strcmp(field_value(sel->kind, object, t->field), t->value) == 0;

		if (equal == t->not_equal)
			return false;
	}
	return true;
}

const char *events_selector_equal_value(const struct events_selector *sel, const char *field)
{
	for (size_t i = 0; sel && field && i < sel->n; i++)
		if (!sel->terms[i].not_equal && strcmp(sel->terms[i].field, field) == 0)
			return sel->terms[i].value;
	return NULL;
}
