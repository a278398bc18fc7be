/* pkg/spec/yaml.c: one YAML document (or a stream of them) -> json_t, read the way the Kubernetes
 * API server reads it (sigs.k8s.io/yaml over go-yaml v2, so YAML 1.1 scalars: yes/no/on/off, 0755
 * octal, ~ null).
 *
 * libyaml's event parser feeds a small stack machine: one frame per open sequence or mapping,
 * values appended to the frame on top. Anchored values are kept and an alias shares them with
 * json_incref, never a copy, so the result may be a DAG: a consumer that edits it in place
 * must json_deep_copy first. Hostile documents are bounded before anything large exists: the
 * nesting depth, the alias events and the node count after alias expansion are all counted as
 * we go (an anchor remembers its expanded size and height; an alias adds them), so a billion
 * laughs is refused after reading a few hundred bytes.
 *
 * This file only reads: no I/O, no globals, no clock.
 */
#include "spec.h"
#include "yaml_internal.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <yaml.h>

#define TAG_PREFIX    "tag:yaml.org,2002:"
#define TAG_NULL      TAG_PREFIX "null"
#define TAG_BOOL      TAG_PREFIX "bool"
#define TAG_INT       TAG_PREFIX "int"
#define TAG_FLOAT     TAG_PREFIX "float"
#define TAG_STR       TAG_PREFIX "str"
#define TAG_TIMESTAMP TAG_PREFIX "timestamp"
#define TAG_MERGE     TAG_PREFIX "merge"
#define TAG_MAP       TAG_PREFIX "map"
#define TAG_SEQ       TAG_PREFIX "seq"
#define TAG_NONSPEC   "!" /* `! foo`: the non-specific tag, a string */

/* ---- scalars ----------------------------------------------------------------------------- */

enum scalar_kind { SCALAR_NULL, SCALAR_BOOL, SCALAR_INT, SCALAR_UINT, SCALAR_FLOAT, SCALAR_STR };

static const char *const scalar_kind_tag[] = {
        [SCALAR_NULL] = "!!null", [SCALAR_BOOL] = "!!bool",   [SCALAR_INT] = "!!int",
        [SCALAR_UINT] = "!!int",  [SCALAR_FLOAT] = "!!float", [SCALAR_STR] = "!!str",
};

struct scalar {
	enum scalar_kind kind;
	bool b;
	int64_t i;
	uint64_t u; /* SCALAR_UINT: above INT64_MAX, what go-yaml keeps as a uint64 */
	double f;
	const char *text; /* the scalar as written, for strings and messages */
	size_t len;
};

/* go-yaml v2 resolve.go's resolveMap: YAML 1.1 words, looked up only when the first byte hints
 * at one. Note what is absent: no "0o" here (that comes from Go's strconv), no base-60. */
static const struct {
	const char *text;
	enum scalar_kind kind;
	bool b;
	double f;
} resolve_words[] = {
        {"y", SCALAR_BOOL, true, 0},
        {"Y", SCALAR_BOOL, true, 0},
        {"yes", SCALAR_BOOL, true, 0},
        {"Yes", SCALAR_BOOL, true, 0},
        {"YES", SCALAR_BOOL, true, 0},
        {"true", SCALAR_BOOL, true, 0},
        {"True", SCALAR_BOOL, true, 0},
        {"TRUE", SCALAR_BOOL, true, 0},
        {"on", SCALAR_BOOL, true, 0},
        {"On", SCALAR_BOOL, true, 0},
        {"ON", SCALAR_BOOL, true, 0},
        {"n", SCALAR_BOOL, false, 0},
        {"N", SCALAR_BOOL, false, 0},
        {"no", SCALAR_BOOL, false, 0},
        {"No", SCALAR_BOOL, false, 0},
        {"NO", SCALAR_BOOL, false, 0},
        {"false", SCALAR_BOOL, false, 0},
        {"False", SCALAR_BOOL, false, 0},
        {"FALSE", SCALAR_BOOL, false, 0},
        {"off", SCALAR_BOOL, false, 0},
        {"Off", SCALAR_BOOL, false, 0},
        {"OFF", SCALAR_BOOL, false, 0},
        {"", SCALAR_NULL, false, 0},
        {"~", SCALAR_NULL, false, 0},
        {"null", SCALAR_NULL, false, 0},
        {"Null", SCALAR_NULL, false, 0},
        {"NULL", SCALAR_NULL, false, 0},
        {".nan", SCALAR_FLOAT, false, NAN},
        {".NaN", SCALAR_FLOAT, false, NAN},
        {".NAN", SCALAR_FLOAT, false, NAN},
        {".inf", SCALAR_FLOAT, false, INFINITY},
        {".Inf", SCALAR_FLOAT, false, INFINITY},
        {".INF", SCALAR_FLOAT, false, INFINITY},
        {"+.inf", SCALAR_FLOAT, false, INFINITY},
        {"+.Inf", SCALAR_FLOAT, false, INFINITY},
        {"+.INF", SCALAR_FLOAT, false, INFINITY},
        {"-.inf", SCALAR_FLOAT, false, -INFINITY},
        {"-.Inf", SCALAR_FLOAT, false, -INFINITY},
        {"-.INF", SCALAR_FLOAT, false, -INFINITY},
};

/* resolve.go's resolveTable: the first byte decides which readings are tried at all. */
static char resolve_hint(const char *s, size_t len)
{
	if (len == 0)
		return 'N';
	if (s[0] == '+' || s[0] == '-')
		return 'S';
	if (s[0] >= '0' && s[0] <= '9')
		return 'D';
	if (s[0] == '.')
		return '.';
	if (s[0] != '\0' && strchr("yYnNtTfFoO~", s[0]))
		return 'M';
	return 0;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Go's strconv.ParseUint(s, 0, 64), which go-yaml calls: 0x hex, 0b binary, 0o and a leading 0
 * octal, else decimal. -EINVAL for a syntax error, -ERANGE past UINT64_MAX. */
static int go_parse_uint(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	if (s[0] == '0') {
		char c = len >= 3 ? (char)(s[1] | 0x20) : 0;

		base = c == 'b' ? 2 : c == 'o' ? 8 : c == 'x' ? 16 : 8;
		s += c == 'b' || c == 'o' || c == 'x' ? 2 : 1;
		len -= c == 'b' || c == 'o' || c == 'x' ? 2 : 1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)digit_value(s[i]);

		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* Go's strconv.ParseInt(s, 0, 64): an optional sign, then as above. */
static int go_parse_int(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	uint64_t u;
	int r;

	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s++;
		len--;
	}
	r = go_parse_uint(s, len, &u);
	if (r < 0)
		return r;
	if (u > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return -ERANGE;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* resolve.go's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t len)
{
	size_t i = 0, n;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		for (n = 0, i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (n == 0)
			return false;
	} else {
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (n == 0)
			return false;
		if (i < len && s[i] == '.')
			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (n == 0)
			return false;
	}
	return i == len;
}

/* strconv.ParseFloat on a string yaml_style_float accepted; like Go, overflow to infinity is a
 * failure (the scalar stays a string), underflow is not. */
static bool parse_float(const char *s, size_t len, double *out)
{
	char tmp[128];
	double f;

	if (len >= sizeof(tmp))
		return false; /* longer than any float literal a person writes: keep it a string */
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	f = strtod(tmp, NULL);
	if (isinf(f))
		return false;
	*out = f;
	return true;
}

/* go-yaml v2 resolve() for a plain scalar, or a tagged one (tag != !!str). */
static void resolve_plain(const char *s, size_t len, struct scalar *sc)
{
	char hint = resolve_hint(s, len);
	char plain[128];
	size_t n = 0;

	*sc = (struct scalar){.kind = SCALAR_STR, .text = s, .len = len};
	if (hint == 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(resolve_words); i++)
		if (strlen(resolve_words[i].text) == len &&
		    memcmp(resolve_words[i].text, s, len) == 0) {
			sc->kind = resolve_words[i].kind;
			sc->b = resolve_words[i].b;
			sc->f = resolve_words[i].f;
			return;
		}
	if (hint == '.') {
		if (yaml_style_float(s, len) && parse_float(s, len, &sc->f))
			sc->kind = SCALAR_FLOAT;
		return;
	}
	if (hint != 'D' && hint != 'S')
		return;
	/* go-yaml drops every '_' before reading a number: 1_000 is 1000. */
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_')
			continue;
		if (n == sizeof(plain))
			return; /* too long to be any number we could hold */
		plain[n++] = s[i];
	}
	if (go_parse_int(plain, n, &sc->i) == 0)
		sc->kind = SCALAR_INT;
	else if (go_parse_uint(plain, n, &sc->u) == 0)
		sc->kind = SCALAR_UINT;
	else if (yaml_style_float(plain, n) && parse_float(plain, n, &sc->f))
		sc->kind = SCALAR_FLOAT;
}

bool yaml_plain_is_string(const char *s, size_t len)
{
	struct scalar sc;

	resolve_plain(s, len, &sc);
	return sc.kind == SCALAR_STR && !(len == 2 && memcmp(s, "<<", 2) == 0);
}

/* The start of resolve.go's parseTimestamp layouts: YYYY-M-D, then nothing or a time. */
static bool looks_like_timestamp(const char *s, size_t len)
{
	size_t i = 0;

	for (int part = 0; part < 3; part++) {
		size_t start = i, want_min = part == 0 ? 4 : 1, want_max = part == 0 ? 4 : 2;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i - start < want_min || i - start > want_max)
			return false;
		if (part < 2 && (i >= len || s[i++] != '-'))
			return false;
	}
	return i == len || s[i] == 'T' || s[i] == 't' || s[i] == ' ';
}

static int vfail_at(struct nano_err *err, const yaml_mark_t *mark, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	return nano_err_set(err, EBADMSG, "yaml: line %zu, column %zu: %s", mark->line + 1,
	                    mark->column + 1, msg);
}

static int fail_at(struct nano_err *err, const yaml_mark_t *mark, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail_at(struct nano_err *err, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail_at(err, mark, fmt, ap);
	va_end(ap);
	return r;
}

static int unsupported_tag(const char *tag, const yaml_mark_t *mark, struct nano_err *err)
{
	size_t n = strlen(TAG_PREFIX);

	if (strncmp(tag, TAG_PREFIX, n) == 0)
		return fail_at(err, mark, "unsupported tag !!%.100s", tag + n);
	return fail_at(err, mark, "unsupported tag %.100s", tag);
}

/* Resolves a scalar event as go-yaml v2 does: untagged quoted and block scalars are strings,
 * untagged plain ones are resolved, a tag asks for one kind and is an error if the text is not
 * that kind (`!!int abc`). Tags go-yaml would pass through as plain strings (`!foo`, `!!binary`)
 * are refused instead: nanolet reads Pods, and a Pod has no use for them. */
static int resolve_scalar(const yaml_event_t *ev, struct scalar *sc, struct nano_err *err)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *want;

	if (memchr(s, '\0', len))
		return fail_at(err, &ev->start_mark, "NUL character in a scalar");
	if (!tag || strcmp(tag, TAG_STR) == 0 || strcmp(tag, TAG_NONSPEC) == 0) {
		if (tag || !ev->data.scalar.plain_implicit)
			*sc = (struct scalar){.kind = SCALAR_STR, .text = s, .len = len};
		else
			resolve_plain(s, len, sc);
		return 0;
	}
	if (strcmp(tag, TAG_TIMESTAMP) == 0) {
		/* go-yaml hands an untyped target the timestamp's text, not a time. */
		if (!looks_like_timestamp(s, len))
			return fail_at(err, &ev->start_mark, "cannot decode `%s` as a !!timestamp",
			               s);
		*sc = (struct scalar){.kind = SCALAR_STR, .text = s, .len = len};
		return 0;
	}
	if (strcmp(tag, TAG_MERGE) == 0 && strcmp(s, "<<") == 0) {
		*sc = (struct scalar){.kind = SCALAR_STR, .text = s, .len = len};
		return 0;
	}
	if (strcmp(tag, TAG_NULL) == 0)
		want = "!!null";
	else if (strcmp(tag, TAG_BOOL) == 0)
		want = "!!bool";
	else if (strcmp(tag, TAG_INT) == 0)
		want = "!!int";
	else if (strcmp(tag, TAG_FLOAT) == 0)
		want = "!!float";
	else
		return unsupported_tag(tag, &ev->start_mark, err);

	resolve_plain(s, len, sc);
	if (strcmp(want, "!!float") == 0 && sc->kind == SCALAR_INT) {
		/* resolve.go: an !!float may be written as an int (not as a uint64). */
		sc->kind = SCALAR_FLOAT;
		sc->f = (double)sc->i;
	}
	if (strcmp(scalar_kind_tag[sc->kind], want) != 0)
		return fail_at(err, &ev->start_mark, "cannot decode %s `%s` as a %s",
		               scalar_kind_tag[sc->kind], s, want);
	return 0;
}

/* A scalar as a JSON value: what json.Marshal of go-yaml's Go value gives. A float64 with an
 * integral value is written by Go without a fraction ("1e3" -> 1000), so it becomes an integer
 * here too; a uint64 above INT64_MAX (and any integer past that) can only be a real. */
static int scalar_to_json(const struct scalar *sc, const yaml_mark_t *mark, json_t **out,
                          struct nano_err *err)
{
	switch (sc->kind) {
	case SCALAR_NULL:
		*out = json_null();
		break;
	case SCALAR_BOOL:
		*out = json_boolean(sc->b);
		break;
	case SCALAR_INT:
		*out = json_integer(sc->i);
		break;
	case SCALAR_UINT:
		*out = json_real((double)sc->u);
		break;
	case SCALAR_FLOAT:
		if (!isfinite(sc->f))
			return fail_at(err, mark, "`%.*s` cannot be represented in JSON",
			               (int)sc->len, sc->text);
		if (sc->f == trunc(sc->f) && sc->f >= -0x1p63 && sc->f < 0x1p63)
			*out = json_integer((json_int_t)sc->f);
		else
			*out = json_real(sc->f);
		break;
	case SCALAR_STR:
		*out = json_stringn(sc->text, sc->len);
		if (!*out)
			return fail_at(err, mark, "string is not valid UTF-8");
		break;
	}
	if (!*out)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	return 0;
}

/* strconv.FormatFloat(f, 'g', -1, 32), what sigs.k8s.io/yaml names a float map key with: the
 * shortest digits that read back as the same float32, %e when the exponent is < -4 or >= 6. */
static char *format_float32_key(double d)
{
	float f = (float)d;
	char e[40];
	char digits[16];
	int p, nd = 0, exp;
	const char *c;

	if (isnan(f))
		return strdup(".nan");
	if (isinf(f))
		return strdup(f > 0 ? ".inf" : "-.inf");
	if (f == 0)
		return strdup(signbit(f) ? "-0" : "0");
	for (p = 1; p < 9; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
		if (strtof(e, NULL) == f)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
	for (c = e; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9')
			digits[nd++] = *c;
	digits[nd] = '\0';
	exp = atoi(c + 1);
	if (exp < -4 || exp >= 6)
		return strdupf("%s%c%s%s%s%c%02d", f < 0 ? "-" : "", digits[0], nd > 1 ? "." : "",
		               digits + 1, "e", exp < 0 ? '-' : '+', abs(exp));
	return strdupf("%.*f", nd - exp - 1 > 0 ? nd - exp - 1 : 0, (double)f);
}

/* A scalar as a JSON object key, as sigs.k8s.io/yaml's convertToJSONableObject names it: strings
 * as they are, ints in decimal, bools as true/false, floats as above. It refuses the rest (a null
 * key, a uint64), so do we: NULL with a message. */
static char *scalar_to_key(const struct scalar *sc, const char **why)
{
	*why = NULL;
	switch (sc->kind) {
	case SCALAR_STR:
		return strndup(sc->text, sc->len);
	case SCALAR_INT:
		return strdupf("%" PRId64, sc->i);
	case SCALAR_BOOL:
		return strdup(sc->b ? "true" : "false");
	case SCALAR_FLOAT:
		return format_float32_key(sc->f);
	case SCALAR_NULL:
		*why = "a null map key cannot be converted to JSON";
		return NULL;
	case SCALAR_UINT:
		*why = "an integer map key larger than int64 cannot be converted to JSON";
		return NULL;
	}
	return NULL;
}

/* ---- the document -------------------------------------------------------------------------- */

struct anchor {
	json_t *value;   /* NULL while the node is being built, or if JSON cannot hold it */
	char *key;       /* scalars: the node as a map key; NULL when it cannot be one */
	const char *why; /* ... and why not */
	bool complete;   /* an alias to an incomplete anchor would make a cycle */
	uint64_t nodes;  /* node count after expansion */
	unsigned height; /* levels of nesting inside, 0 for a scalar */
	char text[32];   /* scalars: the start of the text, for messages */
};

struct frame {
	json_t *value;     /* the array or object being built */
	long anchor;       /* index in reader.anchors, -1 when none */
	uint64_t nodes_at; /* reader.nodes before this node */
	unsigned height;   /* the deepest child's height */
	yaml_mark_t mark;  /* where it starts */
	/* mappings only */
	char *key;          /* the key waiting for its value, NULL when none */
	bool merge_pending; /* the key waiting is << */
	bool merged;        /* a << key was seen */
	json_t *merges;     /* objects to merge at the end, earlier ones first */
};

struct reader {
	yaml_parser_t parser;
	bool parser_ready;
	struct frame frames[SPEC_YAML_MAX_DEPTH];
	unsigned depth;
	json_t *root;
	bool have_root;
	unsigned documents;
	json_t *docs; /* spec_yaml_documents: the finished documents; NULL: one document only */
	struct anchor *anchors;
	size_t n_anchors;
	json_t *anchor_index; /* name -> index in anchors; the latest definition wins */
	uint64_t nodes;
	unsigned aliases;
};

static void frame_clear(struct frame *f)
{
	json_decref(f->value);
	json_decref(f->merges);
	free(f->key);
	*f = (struct frame){.anchor = -1};
}

/* Anchors belong to their document: the next one starts without them. */
static void anchors_clear(struct reader *r)
{
	for (size_t i = 0; i < r->n_anchors; i++) {
		json_decref(r->anchors[i].value);
		free(r->anchors[i].key);
	}
	free(r->anchors);
	r->anchors = NULL;
	r->n_anchors = 0;
	json_object_clear(r->anchor_index);
}

static void reader_done(struct reader *r)
{
	for (unsigned i = 0; i < r->depth; i++)
		frame_clear(&r->frames[i]);
	anchors_clear(r);
	json_decref(r->anchor_index);
	json_decref(r->root);
	json_decref(r->docs);
	if (r->parser_ready)
		yaml_parser_delete(&r->parser);
}

static void yaml_event_deletep(yaml_event_t *ev)
{
	yaml_event_delete(ev);
}

static int count_nodes(struct reader *r, uint64_t n, const yaml_mark_t *mark, struct nano_err *err)
{
	r->nodes += n;
	if (r->nodes > SPEC_YAML_MAX_NODES)
		return fail_at(err, mark, "document expands to more than %d nodes",
		               SPEC_YAML_MAX_NODES);
	return 0;
}

/* Registers an anchor (incomplete until its node ends) and stores its index, -1 for none. */
static int anchor_add(struct reader *r, const char *name, long *index, struct nano_err *err)
{
	struct anchor *a;

	*index = -1;
	if (!name)
		return 0;
	a = reallocarray(r->anchors, r->n_anchors + 1, sizeof(*a));
	if (!a)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	r->anchors = a;
	r->anchors[r->n_anchors] = (struct anchor){0};
	if (json_object_set_new(r->anchor_index, name, json_integer((json_int_t)r->n_anchors)) < 0)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	*index = (long)r->n_anchors++;
	return 0;
}

static struct frame *top(struct reader *r)
{
	return r->depth > 0 ? &r->frames[r->depth - 1] : NULL;
}

/* Whether the next node is a key of the mapping on top. */
static bool at_key(struct reader *r)
{
	struct frame *f = top(r);

	return f && json_is_object(f->value) && !f->key;
}

/* Takes key (owned) as the key of the mapping on top. merge: the key is <<, whose value is
 * merged in when the mapping ends. */
static int set_key(struct reader *r, char *key, bool merge, const yaml_mark_t *mark,
                   struct nano_err *err)
{
	_cleanup_free_ char *k = key;
	struct frame *f = top(r);

	if (!k)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	/* Only explicit keys are in the object yet: merged ones come in at the end. */
	if ((merge && f->merged) || (!merge && json_object_get(f->value, k)))
		return fail_at(err, mark, "duplicate key \"%.100s\"", k);
	f->merged |= merge;
	f->merge_pending = merge;
	f->key = TAKE_PTR(k);
	return 0;
}

/* The value of a << key: a mapping, an alias to one, or a sequence of those. */
static int add_merge(struct frame *f, json_t *v, bool from_alias, const yaml_mark_t *mark,
                     struct nano_err *err)
{
	size_t i;
	json_t *e;

	if (!f->merges && !(f->merges = json_array()))
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	if (json_is_array(v) && !from_alias) {
		json_array_foreach(v, i, e) if (!json_is_object(e)) break;
		if (i == json_array_size(v)) {
			json_array_foreach(v, i,
			                   e) if (json_array_append(f->merges, e) <
			                          0) return nano_err_set(err, ENOMEM,
			                                                 "yaml: out of memory");
			return 0;
		}
	} else if (json_is_object(v)) {
		if (json_array_append(f->merges, v) < 0)
			return nano_err_set(err, ENOMEM, "yaml: out of memory");
		return 0;
	}
	return fail_at(err, mark, "map merge requires map or sequence of maps as the value");
}

/* Puts a finished value (owned) where it belongs: the document, the sequence on top, or the
 * value of the pending key of the mapping on top. */
static int add_value(struct reader *r, json_t *v, bool from_alias, unsigned height,
                     const yaml_mark_t *mark, struct nano_err *err)
{
	_cleanup_json_ json_t *value = v;
	_cleanup_free_ char *key = NULL;
	struct frame *f = top(r);

	if (!f) {
		r->root = TAKE_PTR(value);
		r->have_root = true;
		return 0;
	}
	if (height > f->height)
		f->height = height;
	if (json_is_array(f->value)) {
		if (json_array_append_new(f->value, TAKE_PTR(value)) < 0)
			return nano_err_set(err, ENOMEM, "yaml: out of memory");
		return 0;
	}
	key = TAKE_PTR(f->key);
	if (f->merge_pending) {
		f->merge_pending = false;
		return add_merge(f, value, from_alias, mark, err);
	}
	if (json_object_set_new(f->value, key, TAKE_PTR(value)) < 0)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	return 0;
}

static bool is_merge_key(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;

	if (ev->data.scalar.length != 2 || memcmp(ev->data.scalar.value, "<<", 2) != 0)
		return false;
	return (!tag && ev->data.scalar.plain_implicit) || (tag && strcmp(tag, TAG_MERGE) == 0);
}

static int on_scalar(struct reader *r, const yaml_event_t *ev, struct nano_err *err)
{
	const yaml_mark_t *mark = &ev->start_mark;
	json_t *v = NULL;
	struct scalar sc;
	long index;
	int k;

	k = count_nodes(r, 1, mark, err);
	if (k < 0)
		return k;
	k = resolve_scalar(ev, &sc, err);
	if (k < 0)
		return k;
	k = anchor_add(r, (const char *)ev->data.scalar.anchor, &index, err);
	if (k < 0)
		return k;
	if (index >= 0) {
		struct anchor *a = &r->anchors[index];

		/* Kept in both forms, as an alias may use it as a value or as a key. A value JSON
		 * cannot hold (.inf) stays NULL and is refused only where an alias uses it. */
		(void)scalar_to_json(&sc, mark, &a->value, NULL);
		a->key = scalar_to_key(&sc, &a->why);
		a->complete = true;
		a->nodes = 1;
		snprintf(a->text, sizeof(a->text), "%.*s", (int)sc.len, sc.text);
	}
	if (at_key(r)) {
		const char *why;
		char *key;

		if (is_merge_key(ev))
			return set_key(r, strdup("<<"), true, mark, err);
		key = scalar_to_key(&sc, &why);
		if (!key && why)
			return fail_at(err, mark, "%s", why);
		return set_key(r, key, false, mark, err);
	}
	k = scalar_to_json(&sc, mark, &v, err);
	if (k < 0)
		return k;
	return add_value(r, v, false, 0, mark, err);
}

static int on_alias(struct reader *r, const yaml_event_t *ev, struct nano_err *err)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const yaml_mark_t *mark = &ev->start_mark;
	struct anchor *a;
	json_t *index;
	int k;

	if (++r->aliases > SPEC_YAML_MAX_ALIASES)
		return fail_at(err, mark, "document has more than %d aliases",
		               SPEC_YAML_MAX_ALIASES);
	index = json_object_get(r->anchor_index, name);
	if (!index)
		return fail_at(err, mark, "unknown anchor '%s' referenced", name);
	a = &r->anchors[json_integer_value(index)];
	if (!a->complete)
		return fail_at(err, mark, "anchor '%s' value contains itself", name);
	if (r->depth + a->height > SPEC_YAML_MAX_DEPTH)
		return fail_at(err, mark, "document nests deeper than %d levels",
		               SPEC_YAML_MAX_DEPTH);
	k = count_nodes(r, a->nodes, mark, err);
	if (k < 0)
		return k;
	if (at_key(r)) {
		if (a->height > 0)
			return fail_at(err, mark, "a mapping or sequence cannot be a map key");
		if (!a->key)
			return a->why ? fail_at(err, mark, "%s", a->why)
			              : nano_err_set(err, ENOMEM, "yaml: out of memory");
		return set_key(r, strdup(a->key), false, mark, err);
	}
	if (!a->value)
		return fail_at(err, mark, "`%s` cannot be represented in JSON", a->text);
	return add_value(r, json_incref(a->value), true, a->height, mark, err);
}

static int on_start(struct reader *r, const yaml_event_t *ev, bool mapping, struct nano_err *err)
{
	const yaml_mark_t *mark = &ev->start_mark;
	const char *tag =
	        (const char *)(mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
	const char *anchor = (const char *)(mapping ? ev->data.mapping_start.anchor
	                                            : ev->data.sequence_start.anchor);
	struct frame *f;
	int k;

	if (tag && strcmp(tag, mapping ? TAG_MAP : TAG_SEQ) != 0 && strcmp(tag, TAG_NONSPEC) != 0)
		return unsupported_tag(tag, mark, err);
	if (at_key(r))
		return fail_at(err, mark, "a mapping or sequence cannot be a map key");
	if (r->depth == SPEC_YAML_MAX_DEPTH)
		return fail_at(err, mark, "document nests deeper than %d levels",
		               SPEC_YAML_MAX_DEPTH);
	f = &r->frames[r->depth];
	*f = (struct frame){.anchor = -1, .nodes_at = r->nodes, .mark = *mark};
	k = count_nodes(r, 1, mark, err);
	if (k < 0)
		return k;
	f->value = mapping ? json_object() : json_array();
	if (!f->value)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	r->depth++;
	return anchor_add(r, anchor, &f->anchor, err);
}

static int on_end(struct reader *r, struct nano_err *err)
{
	struct frame *f = top(r);
	_cleanup_json_ json_t *v = NULL;
	yaml_mark_t mark = f->mark;
	unsigned height = f->height + 1;
	long anchor = f->anchor;
	const char *key;
	json_t *src, *value;
	size_t i;

	/* Merge keys (yaml.org/type/merge): explicit keys win, then earlier maps over later. */
	json_array_foreach(f->merges, i, src) json_object_foreach(
	        src, key, value) if (!json_object_get(f->value, key) &&
	                             json_object_set(f->value, key, value) <
	                                     0) return nano_err_set(err, ENOMEM,
	                                                            "yaml: out of memory");
	v = TAKE_PTR(f->value);
	if (anchor >= 0) {
		struct anchor *a = &r->anchors[anchor];

		a->value = json_incref(v);
		a->complete = true;
		a->nodes = r->nodes - f->nodes_at;
		a->height = height;
	}
	frame_clear(f);
	r->depth--;
	return add_value(r, TAKE_PTR(v), false, height, &mark, err);
}

static int on_event(struct reader *r, const yaml_event_t *ev, struct nano_err *err)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (r->documents++ > 0 && !r->docs)
			return fail_at(err, &ev->start_mark, "more than one YAML document");
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		if (!r->docs)
			return 0;
		if (json_array_append_new(r->docs, r->have_root ? TAKE_PTR(r->root) : json_null()) <
		    0)
			return nano_err_set(err, ENOMEM, "yaml: out of memory");
		r->have_root = false;
		anchors_clear(r);
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(r, ev, err);
	case YAML_ALIAS_EVENT:
		return on_alias(r, ev, err);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(r, ev, false, err);
	case YAML_MAPPING_START_EVENT:
		return on_start(r, ev, true, err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(r, err);
	default:
		return 0;
	}
}

/* A libyaml failure as "yaml: line L, column C: problem", 1-based like an editor counts. */
static int parser_error(const yaml_parser_t *p, const char *buf, size_t len, struct nano_err *err)
{
	const char *problem = p->problem ? p->problem : "unknown problem parsing YAML";
	yaml_mark_t mark = p->problem_mark;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	case YAML_READER_ERROR:
		/* The reader gives a byte offset only: count lines and characters up to it. */
		mark = (yaml_mark_t){0};
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
				mark.column++;
			}
		}
		return fail_at(err, &mark, "%s", problem);
	default:
		if (p->context)
			return fail_at(err, &mark, "%s (%s at line %zu, column %zu)", problem,
			               p->context, p->context_mark.line + 1,
			               p->context_mark.column + 1);
		return fail_at(err, &mark, "%s", problem);
	}
}

static int read_stream(struct reader *r, const char *buf, size_t len, struct nano_err *err)
{
	r->anchor_index = json_object();
	if (!r->anchor_index || !yaml_parser_initialize(&r->parser))
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	r->parser_ready = true;
	yaml_parser_set_input_string(&r->parser, (const unsigned char *)buf, len);

	for (;;) {
		_cleanup_(yaml_event_deletep) yaml_event_t ev = {0};
		int k;

		if (!yaml_parser_parse(&r->parser, &ev))
			return parser_error(&r->parser, buf, len, err);
		if (ev.type == YAML_STREAM_END_EVENT)
			return 0;
		k = on_event(r, &ev, err);
		if (k < 0)
			return k;
	}
}

int spec_yaml_to_json(const char *buf, size_t len, json_t **out, struct nano_err *err)
{
	_cleanup_(reader_done) struct reader r = {0};
	int k;

	if (!out)
		return nano_err_set(err, EINVAL, "yaml: no output");
	*out = NULL;
	k = read_stream(&r, buf ? buf : "", buf ? len : 0, err);
	if (k < 0)
		return k;
	/* An empty stream, or one of only comments, is a null document. */
	*out = r.have_root ? TAKE_PTR(r.root) : json_null();
	return 0;
}

int spec_yaml_documents(const char *buf, size_t len, json_t **out, struct nano_err *err)
{
	_cleanup_(reader_done) struct reader r = {0};
	int k;

	if (!out)
		return nano_err_set(err, EINVAL, "yaml: no output");
	*out = NULL;
	r.docs = json_array();
	if (!r.docs)
		return nano_err_set(err, ENOMEM, "yaml: out of memory");
	k = read_stream(&r, buf ? buf : "", buf ? len : 0, err);
	if (k < 0)
		return k;
	*out = TAKE_PTR(r.docs);
	return 0;
}
