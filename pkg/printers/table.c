/* pkg/printers/table.c: the meta.k8s.io Table around a kind's rows, as the API server's
 * TableConvertor and its response transform build it: columnDefinitions (all of them: the
 * server generates wide output and kubectl drops priority > 0 unless -o wide), a row per
 * object with its cells and, per ?includeObject=, the object, its PartialObjectMetadata or
 * nothing; the list's resourceVersion and continue. Also what every printer needs: Accept
 * negotiation, RFC 3339 times and duration.HumanDuration.
 *
 * Pure: no I/O, no clock (now comes in the options).
 */
#include "printers_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

const char printers_doc_name[] =
        "Name must be unique within a namespace. Is required when creating resources, although "
        "some resources may allow a client to request the generation of an appropriate name "
        "automatically. Name is primarily intended for creation idempotence and configuration "
        "definition. Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const char printers_doc_creation_timestamp[] =
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate "
        "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
        "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/"
        "api-conventions.md#metadata";

static const struct printers_kind *const kinds[] = {&printers_pod, &printers_event, &printers_node,
                                                    &printers_namespace};

/* ---- Accept --------------------------------------------------------------------------- */

/* The value of parameter name in one media range's parameters ("as=Table;v=v1"), into out. */
static bool media_param(const char *params, size_t len, const char *name, char *out, size_t size)
{
	size_t name_len = strlen(name);

	while (len > 0) {
		size_t n = 0, i;

		while (n < len && params[n] != ';')
			n++;
		i = 0;
		while (i < n && isspace((unsigned char)params[i]))
			i++;
		if (n - i > name_len && strncasecmp(params + i, name, name_len) == 0 &&
		    params[i + name_len] == '=') {
			size_t start = i + name_len + 1, end = n;

			while (end > start && isspace((unsigned char)params[end - 1]))
				end--;
			if (end - start >= size)
				return false;
			memcpy(out, params + start, end - start);
			out[end - start] = '\0';
			return true;
		}
		params += n < len ? n + 1 : n;
		len -= n < len ? n + 1 : n;
	}
	return false;
}

const char *printers_table_version(const char *accept)
{
	const char *p = accept;

	while (p && *p) {
		size_t len = strcspn(p, ","), type_len;
		const char *range = p, *params;
		char as[16], v[16], g[32];

		p += len;
		if (*p == ',')
			p++;
		while (len > 0 && isspace((unsigned char)*range))
			range++, len--;
		type_len = strcspn(range, ";");
		if (type_len > len)
			type_len = len;
		params = range + type_len;
		while (type_len > 0 && isspace((unsigned char)range[type_len - 1]))
			type_len--;
		if (type_len == 0)
			continue;
		bool json = type_len == 16 && strncasecmp(range, "application/json", 16) == 0;
		bool any = (type_len == 3 && strncmp(range, "*/*", 3) == 0) ||
		           (type_len == 13 && strncasecmp(range, "application/*", 13) == 0);
		size_t params_len = len - (size_t)(params - range);

		if (params_len > 0) /* past the ';' */
			params++, params_len--;
		if (!json && !any)
			continue; /* protobuf, yaml, ...: nanolet answers JSON only */
		if (!media_param(params, params_len, "as", as, sizeof(as)))
			return NULL; /* plain JSON first */
		if (strcmp(as, "Table") != 0 || !json ||
		    !media_param(params, params_len, "g", g, sizeof(g)) ||
		    strcmp(g, "meta.k8s.io") != 0 ||
		    !media_param(params, params_len, "v", v, sizeof(v)))
			continue; /* another as= (PartialObjectMetadata): not ours to answer */
		if (strcmp(v, "v1") == 0)
			return "meta.k8s.io/v1";
		if (strcmp(v, "v1beta1") == 0)
			return "meta.k8s.io/v1beta1";
	}
	return NULL;
}

bool printers_table_wanted(const char *accept)
{
	return printers_table_version(accept) != NULL;
}

int printers_include_parse(const char *value, struct printers_options *options)
{
	if (!value || !value[0] || strcmp(value, "Metadata") == 0) {
		options->include_object = options->no_object = false;
		return 0;
	}
	if (strcmp(value, "None") == 0) {
		options->include_object = false;
		options->no_object = true;
		return 0;
	}
	if (strcmp(value, "Object") == 0) {
		options->include_object = true;
		options->no_object = false;
		return 0;
	}
	return -EINVAL;
}

/* ---- times -------------------------------------------------------------------------------- */

char *printers_duration(int64_t seconds, char *buf, size_t size)
{
	int64_t minutes = seconds / 60, hours = seconds / 3600;

	/* two seconds of clock skew read as now, as duration.HumanDuration allows */
	if (seconds < -1)
		snprintf(buf, size, "<invalid>");
	else if (seconds < 0)
		snprintf(buf, size, "0s");
	else if (seconds < 60 * 2)
		snprintf(buf, size, "%" PRId64 "s", seconds);
	else if (minutes < 10 && seconds % 60 != 0)
		snprintf(buf, size, "%" PRId64 "m%" PRId64 "s", minutes, seconds % 60);
	else if (minutes < 60 * 3)
		snprintf(buf, size, "%" PRId64 "m", minutes);
	else if (hours < 8 && minutes % 60 != 0)
		snprintf(buf, size, "%" PRId64 "h%" PRId64 "m", hours, minutes % 60);
	else if (hours < 48)
		snprintf(buf, size, "%" PRId64 "h", hours);
	else if (hours < 24 * 8 && hours % 24 != 0)
		snprintf(buf, size, "%" PRId64 "d%" PRId64 "h", hours / 24, hours % 24);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, size, "%" PRId64 "d", hours / 24);
	else if (hours < 24 * 365 * 8 && (hours / 24) % 365 != 0)
		snprintf(buf, size, "%" PRId64 "y%" PRId64 "d", hours / 24 / 365,
		         (hours / 24) % 365);
	else
		snprintf(buf, size, "%" PRId64 "y", hours / 24 / 365);
	return buf;
}

char *printers_since(int64_t t, int64_t now_s, char *buf, size_t size)
{
	if (t == PRINTERS_TIME_NONE) {
		snprintf(buf, size, "<unknown>");
		return buf;
	}
	return printers_duration(now_s - t, buf, size);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at s as a number, -1 when they are not all digits. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2006-01-02T15:04:05Z", with an optional fraction and a Z or ±hh:mm offset. */
static int64_t parse_rfc3339(const char *s)
{
	int year, month, day, hour, min, sec, oh = 0, om = 0;
	const char *p = s + 19;
	int64_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return PRINTERS_TIME_NONE;
	year = digits(s, 4), month = digits(s + 5, 2), day = digits(s + 8, 2);
	hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
	    min < 0 || min > 59 || sec < 0 || sec > 60)
		return PRINTERS_TIME_NONE;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return PRINTERS_TIME_NONE;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || om < 0)
			return PRINTERS_TIME_NONE;
		if (*p == '-')
			oh = -oh, om = -om;
		p += 6;
	} else {
		return PRINTERS_TIME_NONE;
	}
	if (*p)
		return PRINTERS_TIME_NONE;
	t = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 + min * 60 +
	    sec;
	return t - (oh * 3600 + om * 60);
}

int64_t printers_time(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? parse_rfc3339(s) : PRINTERS_TIME_NONE;
}

const char *printers_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int printers_append(json_t *cells, const char *s)
{
	return json_array_append_new(cells, json_string(s ? s : "")) < 0 ? -ENOMEM : 0;
}

/* ---- the Table ---------------------------------------------------------------------------- */

static json_t *column_definitions(const struct printers_kind *k)
{
	json_t *columns = json_array();

	for (size_t i = 0; columns && i < k->n_columns; i++) {
		const struct printers_column *c = &k->columns[i];

		if (json_array_append_new(columns,
		                          json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
		                                    "type", c->type, "format",
		                                    c->format ? c->format : "", "description",
		                                    c->description, "priority", c->priority)) < 0) {
			json_decref(columns);
			return NULL;
		}
	}
	return columns;
}

/* A row's object, as ?includeObject= asked: the object (kind and apiVersion set, as the
 * server's conversion to the request's version leaves them on list items too), its
 * PartialObjectMetadata, or null. */
static json_t *row_object(const json_t *obj, const struct printers_kind *k,
                          const struct printers_options *options)
{
	json_t *metadata = json_object_get(obj, "metadata");

	if (options->no_object)
		return json_null();
	if (options->include_object) {
		json_t *copy = json_deep_copy(obj);

		if (copy && !json_object_get(copy, "kind")) {
			/* kind and apiVersion first, as the API server writes them */
			json_t *typed =
			        json_pack("{s:s, s:s}", "kind", k->kind, "apiVersion", "v1");

			if (!typed || json_object_update(typed, copy) < 0) {
				json_decref(typed);
				json_decref(copy);
				return NULL;
			}
			json_decref(copy);
			copy = typed;
		}
		return copy;
	}
	return json_pack("{s:s, s:s, s:O}", "kind", "PartialObjectMetadata", "apiVersion",
	                 options->api_version ? options->api_version : "meta.k8s.io/v1", "metadata",
	                 metadata ? metadata : json_object());
}

static int add_row(json_t *rows, const json_t *obj, const struct printers_kind *k,
                   const struct printers_options *options)
{
	json_t *row = json_object(), *cells = json_array(), *conditions = NULL, *object;

	if (!row || !cells || json_object_set_new(row, "cells", cells) < 0) {
		json_decref(cells);
		json_decref(row);
		return -ENOMEM;
	}
	if (k->cells(obj, options->now_s, cells, &conditions) < 0 ||
	    (conditions && json_object_set_new(row, "conditions", conditions) < 0) ||
	    !(object = row_object(obj, k, options)) ||
	    json_object_set_new(row, "object", object) < 0 ||
	    json_array_append_new(rows, row) < 0) {
		json_decref(row);
		return -ENOMEM;
	}
	return 0;
}

/* ListMeta: resourceVersion, continue, remainingItemCount, each omitted when empty. */
static json_t *list_meta(const json_t *obj, bool list)
{
	json_t *from = json_object_get(obj, "metadata"), *meta = json_object();
	const char *rv = printers_str(from, "resourceVersion");
	json_t *remaining = json_object_get(from, "remainingItemCount");
	bool ok = meta != NULL;

	if (ok && rv[0])
		ok = json_object_set_new(meta, "resourceVersion", json_string(rv)) == 0;
	if (ok && list && printers_str(from, "continue")[0])
		ok = json_object_set_new(meta, "continue",
		                         json_string(printers_str(from, "continue"))) == 0;
	if (ok && list && json_is_integer(remaining))
		ok = json_object_set(meta, "remainingItemCount", remaining) == 0;
	if (!ok) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

json_t *printers_table(const json_t *obj, const struct printers_options *options)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const struct printers_kind *k = NULL;
	bool list = false;
	json_t *rows, *columns, *table;

	if (!json_is_object(obj)) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; kind && i < ELEMENTSOF(kinds); i++) {
		if (strcmp(kind, kinds[i]->kind) == 0 || strcmp(kind, kinds[i]->list_kind) == 0) {
			k = kinds[i];
			list = strcmp(kind, k->list_kind) == 0;
		}
	}
	if (!k) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	columns = options->no_headers ? json_null() : column_definitions(k);
	rows = json_array();
	table = json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", "Table", "apiVersion",
	                  options->api_version ? options->api_version : "meta.k8s.io/v1",
	                  "metadata", list_meta(obj, list), "columnDefinitions", columns, "rows",
	                  rows);
	if (!table) {
		errno = ENOMEM;
		return NULL;
	}
	if (list) {
		const json_t *items = json_object_get(obj, "items");

		for (size_t i = 0; i < json_array_size(items); i++) {
			if (add_row(rows, json_array_get(items, i), k, options) < 0) {
				json_decref(table);
				errno = ENOMEM;
				return NULL;
			}
		}
	} else if (add_row(rows, obj, k, options) < 0) {
		json_decref(table);
		errno = ENOMEM;
		return NULL;
	}
	return table;
}
