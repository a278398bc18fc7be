/* pkg/util/util.c: errors for people and NULL-terminated string vectors. */
#include "util.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

static char *vstrdupf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

char *strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vstrdupf(fmt, ap);
	va_end(ap);
	return s;
}

static int err_vset(struct nano_err *err, enum nano_class class, int errnum, const char *fmt,
                    va_list ap)
{
	if (errnum <= 0)
		errnum = EIO;
	if (!err)
		return -errnum;
	free(err->message);
	err->message = vstrdupf(fmt, ap);
	err->errnum = errnum;
	err->class = class;
	return -errnum;
}

int nano_err_set(struct nano_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(err, NANO_INTERNAL, errnum, fmt, ap);
	va_end(ap);
	return r;
}

int nano_err_setc(struct nano_err *err, enum nano_class class, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(err, class, errnum, fmt, ap);
	va_end(ap);
	return r;
}

int nano_err_classify(struct nano_err *err, enum nano_class class)
{
	if (!err)
		return -EIO;
	if (err->errnum == 0)
		err->errnum = EIO;
	err->class = class;
	return -err->errnum;
}

int nano_err_wrap(struct nano_err *err, const char *fmt, ...)
{
	_cleanup_free_ char *prefix = NULL;
	va_list ap;
	char *s;

	if (!err)
		return -EIO;
	if (err->errnum == 0)
		err->errnum = EIO;
	va_start(ap, fmt);
	prefix = vstrdupf(fmt, ap);
	va_end(ap);
	if (!prefix)
		return -err->errnum;
	s = strdupf("%s: %s", prefix, err->message ? err->message : strerror(err->errnum));
	if (s) {
		free(err->message);
		err->message = s;
	}
	return -err->errnum;
}

/* A list's room in slots, as malloc rounded it: reallocating only when it is full makes a run of
 * appends linear, where growing by one slot each time may copy the list every time. */
static bool has_room(const void *p, size_t bytes)
{
	return p && malloc_usable_size((void *)p) >= bytes;
}

void nano_err_cause(struct nano_err *err, const char *field, const char *reason, const char *fmt,
                    ...)
{
	struct nano_cause *c;
	va_list ap;

	if (!err)
		return;
	if (!has_room(err->causes, (err->n_causes + 1) * sizeof(*c))) {
		/* geometric: a body may carry a cause for each of 100000 fields */
		c = realloc(err->causes, (err->n_causes + 4) * 2 * sizeof(*c));
		if (!c)
			return;
		err->causes = c;
	}
	c = &err->causes[err->n_causes];
	c->field = strdup(field ? field : "");
	c->reason = strdup(reason ? reason : "FieldValueInvalid");
	va_start(ap, fmt);
	c->message = vstrdupf(fmt, ap);
	va_end(ap);
	if (!c->field || !c->reason || !c->message) {
		free(c->field);
		free(c->reason);
		free(c->message);
		return;
	}
	err->n_causes++;
}

void nano_err_clear(struct nano_err *err)
{
	if (!err)
		return;
	for (size_t i = 0; i < err->n_causes; i++) {
		free(err->causes[i].field);
		free(err->causes[i].reason);
		free(err->causes[i].message);
	}
	free(err->causes);
	free(err->message);
	*err = (struct nano_err){0};
}

size_t strv_len(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

void strv_free(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

int strv_push(char ***l, char *s)
{
	size_t n = strv_len(*l);
	char **grown;

	if (!s)
		return -ENOMEM;
	grown = realloc(*l, (n + 2) * sizeof(char *));
	if (!grown) {
		free(s);
		return -ENOMEM;
	}
	grown[n] = s;
	grown[n + 1] = NULL;
	*l = grown;
	return 0;
}

int util_reserve(void *array, size_t n, size_t size)
{
	void **p = array, *grown;

	if (has_room(*p, (n + 1) * size))
		return 0;
	grown = realloc(*p, (n < 4 ? 8 : (n + 1) * 2) * size);
	if (!grown)
		return -ENOMEM;
	*p = grown;
	return 0;
}

int strv_append(char ***l, size_t *n, char *s)
{
	char **grown;

	if (!s)
		return -ENOMEM;
	if (!has_room(*l, (*n + 2) * sizeof(char *))) {
		grown = realloc(*l, (*n < 4 ? 8 : (*n + 2) * 2) * sizeof(char *));
		if (!grown) {
			free(s);
			return -ENOMEM;
		}
		*l = grown;
	}
	(*l)[(*n)++] = s;
	(*l)[*n] = NULL;
	return 0;
}

int strv_pushf(char ***l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vstrdupf(fmt, ap);
	va_end(ap);
	return strv_push(l, s);
}

char **strv_copy(char *const *l)
{
	size_t n = strv_len(l);
	char **c = calloc(n + 1, sizeof(char *));

	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(l[i]);
		if (!c[i]) {
			strv_free(c);
			return NULL;
		}
	}
	return c;
}

bool strv_contains(char *const *l, const char *s)
{
	for (size_t i = 0; l && l[i]; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

char *strv_join(char *const *l, const char *sep)
{
	size_t n = 0, seplen = strlen(sep);
	char *s, *p;

	for (size_t i = 0; l && l[i]; i++)
		n += strlen(l[i]) + (i ? seplen : 0);
	s = p = malloc(n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; l && l[i]; i++)
		p = stpcpy(i ? stpcpy(p, sep) : p, l[i]);
	*p = '\0';
	return s;
}

/* ---- looking names up among many ------------------------------------------------------ */

static int by_name_then_pos(const void *a, const void *b)
{
	const struct name_index_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

int name_index_build(struct name_index *idx, const char *const *names, size_t n)
{
	*idx = (struct name_index){0};
	idx->entries = calloc(n ? n : 1, sizeof(*idx->entries));
	if (!idx->entries)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (names[i])
			idx->entries[idx->n++] = (struct name_index_entry){names[i], i};
	qsort(idx->entries, idx->n, sizeof(*idx->entries), by_name_then_pos);
	return 0;
}

ssize_t name_index_first(const struct name_index *idx, const char *name)
{
	size_t lo = 0, hi = idx->n;

	if (!name)
		return -1;
	/* the first entry not below name: with equal names, the lowest position */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(idx->entries[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < idx->n && strcmp(idx->entries[lo].name, name) == 0)
		return (ssize_t)idx->entries[lo].pos;
	return -1;
}

void name_index_done(struct name_index *idx)
{
	free(idx->entries);
	*idx = (struct name_index){0};
}

void util_uuid_format(uint8_t b[16], char out[37])
{
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}
