/* pkg/watch/labels.c: the labelSelector of lists and watches, parsed and matched as the API
 * server does (apimachinery labels.Parse): `key`, `!key`, `key=v`, `key==v`, `key!=v`,
 * `key in (a,b)`, `key notin (a,b)`, `key>N`, `key<N`, comma-separated, whitespace between
 * tokens free. `!=` and `notin` also select objects without the label, as Kubernetes does.
 * No I/O. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

enum token_kind {
	TOK_END,
	TOK_ID,
	TOK_NOT,        /* ! */
	TOK_NOT_EQUALS, /* != */
	TOK_EQUALS,     /* = */
	TOK_DOUBLE_EQ,  /* == */
	TOK_COMMA,
	TOK_OPEN,
	TOK_CLOSE,
	TOK_IN,
	TOK_NOT_IN,
	TOK_GT,
	TOK_LT,
};

struct lexer {
	const char *text, *p;
	enum token_kind kind;
	char *id; /* TOK_ID's text (malloc'd) */
};

static bool special(char c)
{
	return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '>' || c == '<';
}

/* The next token into lx->kind (and lx->id). -ENOMEM. */
static int next(struct lexer *lx)
{
	const char *start;

	free(lx->id);
	lx->id = NULL;
	while (isspace((unsigned char)*lx->p))
		lx->p++;
	start = lx->p;
	switch (*lx->p) {
	case '\0':
		lx->kind = TOK_END;
		return 0;
	case '!':
		lx->p++;
		lx->kind = *lx->p == '=' ? (lx->p++, TOK_NOT_EQUALS) : TOK_NOT;
		return 0;
	case '=':
		lx->p++;
		lx->kind = *lx->p == '=' ? (lx->p++, TOK_DOUBLE_EQ) : TOK_EQUALS;
		return 0;
	case ',':
		lx->p++;
		lx->kind = TOK_COMMA;
		return 0;
	case '(':
		lx->p++;
		lx->kind = TOK_OPEN;
		return 0;
	case ')':
		lx->p++;
		lx->kind = TOK_CLOSE;
		return 0;
	case '>':
		lx->p++;
		lx->kind = TOK_GT;
		return 0;
	case '<':
		lx->p++;
		lx->kind = TOK_LT;
		return 0;
	}
	while (*lx->p && !isspace((unsigned char)*lx->p) && !special(*lx->p))
		lx->p++;
	lx->id = strndup(start, (size_t)(lx->p - start));
	if (!lx->id)
		return -ENOMEM;
	lx->kind = strcmp(lx->id, "in") == 0      ? TOK_IN
	           : strcmp(lx->id, "notin") == 0 ? TOK_NOT_IN
	                                          : TOK_ID;
	return 0;
}

static const char *token_text(const struct lexer *lx)
{
	static const char *const names[] = {
	        [TOK_END] = "end of string",
	        [TOK_NOT] = "!",
	        [TOK_NOT_EQUALS] = "!=",
	        [TOK_EQUALS] = "=",
	        [TOK_DOUBLE_EQ] = "==",
	        [TOK_COMMA] = ",",
	        [TOK_OPEN] = "(",
	        [TOK_CLOSE] = ")",
	        [TOK_IN] = "in",
	        [TOK_NOT_IN] = "notin",
	        [TOK_GT] = ">",
	        [TOK_LT] = "<",
	};

	return lx->kind == TOK_ID ? lx->id : names[lx->kind];
}

static int unexpected(const struct lexer *lx, const char *expected, struct nano_err *err)
{
	return nano_err_set(err, EINVAL,
	                    "unable to parse requirement: found '%.128s', expected: %s",
	                    token_text(lx), expected);
}

/* A label value: empty, or at most 63 of [-A-Za-z0-9_.] beginning and ending alphanumeric. */
static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

static int check_value(const char *value, struct nano_err *err)
{
	if (!*value || valid_name(value, strlen(value)))
		return 0;
	return nano_err_set(err, EINVAL,
	                    "values[0][%.128s]: Invalid value: \"%.128s\": a valid label must be "
	                    "an empty string or consist of alphanumeric characters, '-', '_' or "
	                    "'.', and must start and end with an alphanumeric character",
	                    value, value);
}

/* A qualified name: [prefix/]name, the prefix a DNS subdomain of at most 253. */
static int check_key(const char *key, struct nano_err *err)
{
	const char *slash = strchr(key, '/');
	const char *name = slash ? slash + 1 : key;
	bool ok = valid_name(name, strlen(name));

	if (slash) {
		size_t len = (size_t)(slash - key);

		ok = ok && len > 0 && len <= 253;
		for (size_t i = 0; ok && i < len; i++)
			ok = islower((unsigned char)key[i]) || isdigit((unsigned char)key[i]) ||
			     key[i] == '-' || key[i] == '.';
	}
	if (ok)
		return 0;
	return nano_err_set(err, EINVAL,
	                    "key: Invalid value: \"%.128s\": name part must consist of "
	                    "alphanumeric characters, '-', '_' or '.', and must start and end "
	                    "with an alphanumeric character",
	                    key);
}

void watch_labels_done(struct watch_labels *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->terms[i].key);
		strv_free(sel->terms[i].values);
	}
	free(sel->terms);
	*sel = (struct watch_labels){0};
}

/* (a, b, ...) after in/notin: lx at the '('. */
static int parse_set(struct lexer *lx, char ***values, struct nano_err *err)
{
	int r;

	if (lx->kind != TOK_OPEN)
		return unexpected(lx, "(", err);
	for (;;) {
		r = next(lx);
		if (r < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
		if (lx->kind == TOK_CLOSE && !*values)
			break; /* () is an empty set */
		if (lx->kind == TOK_ID) {
			r = check_value(lx->id, err);
			if (r < 0)
				return r;
			if (strv_push(values, TAKE_PTR(lx->id)) < 0)
				return nano_err_set(err, ENOMEM, "out of memory");
			r = next(lx);
			if (r < 0)
				return nano_err_set(err, ENOMEM, "out of memory");
		} else if (lx->kind == TOK_COMMA || lx->kind == TOK_CLOSE) {
			/* an empty value: "a in (,b)" */
			if (strv_push(values, strdup("")) < 0)
				return nano_err_set(err, ENOMEM, "out of memory");
		} else {
			return unexpected(lx, "',', ')' or identifier", err);
		}
		if (lx->kind == TOK_CLOSE)
			break;
		if (lx->kind != TOK_COMMA)
			return unexpected(lx, "',' or ')'", err);
	}
	return next(lx) < 0 ? nano_err_set(err, ENOMEM, "out of memory") : 0;
}

/* One requirement; lx at its first token. */
static int parse_requirement(struct lexer *lx, struct watch_label_term *t, struct nano_err *err)
{
	bool negated = lx->kind == TOK_NOT;
	int r;

	if (negated && next(lx) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (lx->kind != TOK_ID)
		return unexpected(lx, "identifier", err);
	r = check_key(lx->id, err);
	if (r < 0)
		return r;
	t->key = TAKE_PTR(lx->id);
	if (!(t->values = calloc(1, sizeof(char *))) || next(lx) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (negated || lx->kind == TOK_COMMA || lx->kind == TOK_END) {
		t->op = negated ? WATCH_LABEL_NOT_EXISTS : WATCH_LABEL_EXISTS;
		return 0;
	}
	switch (lx->kind) {
	case TOK_EQUALS:
	case TOK_DOUBLE_EQ:
		t->op = WATCH_LABEL_EQUALS;
		break;
	case TOK_NOT_EQUALS:
		t->op = WATCH_LABEL_NOT_EQUALS;
		break;
	case TOK_IN:
		t->op = WATCH_LABEL_IN;
		break;
	case TOK_NOT_IN:
		t->op = WATCH_LABEL_NOT_IN;
		break;
	case TOK_GT:
		t->op = WATCH_LABEL_GT;
		break;
	case TOK_LT:
		t->op = WATCH_LABEL_LT;
		break;
	default:
		return unexpected(lx, "in, notin, =, ==, !=, gt, lt", err);
	}
	if (next(lx) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (t->op == WATCH_LABEL_IN || t->op == WATCH_LABEL_NOT_IN)
		return parse_set(lx, &t->values, err);
	/* a single value; "a=" selects an empty value */
	if (lx->kind == TOK_COMMA || lx->kind == TOK_END) {
		if (t->op == WATCH_LABEL_GT || t->op == WATCH_LABEL_LT)
			return unexpected(lx, "identifier", err);
		return strv_push(&t->values, strdup("")) < 0
		               ? nano_err_set(err, ENOMEM, "out of memory")
		               : 0;
	}
	if (lx->kind != TOK_ID)
		return unexpected(lx, "identifier", err);
	if (t->op == WATCH_LABEL_GT || t->op == WATCH_LABEL_LT) {
		char *end;

		errno = 0;
		(void)strtoll(lx->id, &end, 10);
		if (!*lx->id || *end || errno)
			return nano_err_set(
			        err, EINVAL,
			        "for 'Gt', 'Lt' operators, the value must be an integer");
	} else {
		r = check_value(lx->id, err);
		if (r < 0)
			return r;
	}
	if (strv_push(&t->values, TAKE_PTR(lx->id)) < 0 || next(lx) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	return 0;
}

int watch_labels_parse(const char *text, struct watch_labels *out, struct nano_err *err)
{
	struct lexer lx = {.text = text ? text : "", .p = text ? text : ""};
	struct watch_labels sel = {0};
	int r = 0;

	*out = sel;
	if (next(&lx) < 0)
		return nano_err_set(err, ENOMEM, "out of memory");
	while (lx.kind != TOK_END) {
		struct watch_label_term *grown = reallocarray(sel.terms, sel.n + 1, sizeof(*grown));

		if (!grown) {
			r = nano_err_set(err, ENOMEM, "out of memory");
			break;
		}
		sel.terms = grown;
		sel.terms[sel.n] = (struct watch_label_term){0};
		r = parse_requirement(&lx, &sel.terms[sel.n], err);
		sel.n++;
		if (r < 0)
			break;
		if (lx.kind == TOK_COMMA) {
			if (next(&lx) < 0) {
				r = nano_err_set(err, ENOMEM, "out of memory");
				break;
			}
			if (lx.kind == TOK_END) {
				r = unexpected(&lx, "identifier", err);
				break;
			}
		} else if (lx.kind != TOK_END) {
			r = unexpected(&lx, "',' or 'end of string'", err);
			break;
		}
	}
	free(lx.id);
	if (r < 0) {
		watch_labels_done(&sel);
		return r;
	}
	*out = sel;
	return 0;
}

static bool in_values(char *const *values, const char *v)
{
	for (; values && *values; values++)
		if (strcmp(*values, v) == 0)
			return true;
	return false;
}

static bool compare(const char *have, const char *want, enum watch_label_op op)
{
	char *end;
	long long h, w;

	errno = 0;
	h = strtoll(have, &end, 10);
	if (!*have || *end || errno)
		return false;
	w = strtoll(want, NULL, 10);
	return op == WATCH_LABEL_GT ? h > w : h < w;
}

bool watch_labels_match(const struct watch_labels *sel, const json_t *object)
{
	const json_t *labels = json_object_get(json_object_get(object, "metadata"), "labels");

	for (size_t i = 0; sel && i < sel->n; i++) {
		const struct watch_label_term *t = &sel->terms[i];
		const json_t *v = json_object_get(labels, t->key);
		const char *have = json_is_string(v) ? json_string_value(v) : NULL;
		bool ok = false;

		switch (t->op) {
		case WATCH_LABEL_EQUALS:
		case WATCH_LABEL_IN:
			ok = have && in_values(t->values, have);
			break;
		case WATCH_LABEL_NOT_EQUALS:
		case WATCH_LABEL_NOT_IN:
			ok = !have || !in_values(t->values, have);
			break;
		case WATCH_LABEL_EXISTS:
			ok = have != NULL;
			break;
		case WATCH_LABEL_NOT_EXISTS:
			ok = have == NULL;
			break;
		case WATCH_LABEL_GT:
		case WATCH_LABEL_LT:
			ok = have && t->values[0] && compare(have, t->values[0], t->op);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}
