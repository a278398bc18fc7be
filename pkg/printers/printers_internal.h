/* pkg/printers/printers_internal.h: what the kinds' printers (pod.c, event.c, node.c) share
 * with the Table they fill (table.c). Private to the package. */
#pragma once

#include "printers/printers.h"

/* A zero (absent, null or unreadable) metav1.Time. */
#define PRINTERS_TIME_NONE INT64_MIN

/* A column as TableColumnDefinition has it (format and priority always sent). */
struct printers_column {
	const char *name, *type, *format, *description;
	int priority;
};

/* One kind's printer: its columns, and the cells of one object (every column's, wide ones
 * included) appended to cells; *conditions may be set to the row's conditions. 0 or
 * -ENOMEM. */
struct printers_kind {
	const char *kind, *list_kind;
	const struct printers_column *columns;
	size_t n_columns;
	int (*cells)(const json_t *obj, int64_t now_s, json_t *cells, json_t **conditions);
};

extern const struct printers_kind printers_pod, printers_event, printers_node, printers_namespace;

/* The descriptions several kinds share (metav1.ObjectMeta's SwaggerDoc). */
extern const char printers_doc_name[], printers_doc_creation_timestamp[];

/* The string at o[key], "" when absent or no string. */
const char *printers_str(const json_t *o, const char *key);
/* RFC 3339 (a metav1.Time or MicroTime) at o[key] as unix seconds (the fraction dropped),
 * PRINTERS_TIME_NONE when absent, null or unreadable. */
int64_t printers_time(const json_t *o, const char *key);
/* translateTimestampSince: "<unknown>" for a zero time, else the HumanDuration since it. */
char *printers_since(int64_t t, int64_t now_s, char *buf, size_t size);
/* json_array_append_new of a string, -ENOMEM on failure. */
int printers_append(json_t *cells, const char *s);
