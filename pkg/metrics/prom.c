/* pkg/metrics/prom.c: the Prometheus text exposition format, version 0.0.4, written into a
 * memory stream. It checks nothing about names: the callers' names are constants. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int prom_open(struct prom *p)
{
	*p = (struct prom){0};
	p->f = open_memstream(&p->buf, &p->len);
	return p->f ? 0 : -errno;
}

char *prom_finish(struct prom *p, size_t *len)
{
	bool failed = ferror(p->f);
	char *text;

	if (fclose(p->f) != 0)
		failed = true;
	p->f = NULL;
	text = p->buf;
	p->buf = NULL;
	if (failed) {
		free(text);
		return NULL;
	}
	*len = p->len;
	return text;
}

void prom_discard(struct prom *p)
{
	if (p->f)
		fclose(p->f);
	free(p->buf);
	*p = (struct prom){0};
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	fprintf(p->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values escape backslash, double quote and newline; nothing else. */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.15g", v);
}

static void put_sample(FILE *f, const char *name, const char *suffix, const char *const *labels,
                       const char *le, double value)
{
	bool first = true;

	fprintf(f, "%s%s", name, suffix);
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		fprintf(f, "%s%s=\"", first ? "{" : ",", labels[i]);
		put_label_value(f, labels[i + 1]);
		fputc('"', f);
		first = false;
	}
	if (le) {
		fprintf(f, "%sle=\"%s\"", first ? "{" : ",", le);
		first = false;
	}
	if (!first)
		fputc('}', f);
	fputc(' ', f);
	put_value(f, value);
	fputc('\n', f);
}

void prom_sample(struct prom *p, const char *name, const char *const *labels, double value)
{
	put_sample(p->f, name, "", labels, NULL, value);
}

int prom_histogram_init(struct prom_histogram *h, const double *bounds, size_t n_bounds)
{
	*h = (struct prom_histogram){.bounds = bounds, .n_bounds = n_bounds};
	h->counts = calloc(n_bounds + 1, sizeof(*h->counts));
	return h->counts ? 0 : -ENOMEM;
}

void prom_histogram_done(struct prom_histogram *h)
{
	free(h->counts);
	h->counts = NULL;
}

void prom_histogram_observe(struct prom_histogram *h, double value)
{
	size_t i = 0;

	while (i < h->n_bounds && value > h->bounds[i])
		i++;
	h->counts[i]++;
	h->sum += value;
	h->count++;
}

void prom_histogram_write(struct prom *p, const char *name, const char *const *labels,
                          const struct prom_histogram *h)
{
	uint64_t cumulative = 0;
	char le[32];

	for (size_t i = 0; i <= h->n_bounds; i++) {
		cumulative += h->counts[i];
		if (i < h->n_bounds)
			snprintf(le, sizeof(le), "%g", h->bounds[i]);
		else
			strcpy(le, "+Inf");
		put_sample(p->f, name, "_bucket", labels, le, (double)cumulative);
	}
	put_sample(p->f, name, "_sum", labels, NULL, h->sum);
	put_sample(p->f, name, "_count", labels, NULL, (double)h->count);
}
