/* pkg/spec/schema.h: private to pkg/spec. The Pod's shape as a table (schema.c). */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "util/util.h"

#define SCHEMA_PATH_MAX 512

struct schema_report {
	char **unknown; /* `unknown field "spec.foo"`: pruned from the document */
	char **ignored; /* `spec.tolerations: not implemented by nanolet; ignored`: kept */
};

/* Prunes unknown fields from doc (an object), lists them and the ignored ones in *report, and
 * adds a FieldValueTypeInvalid cause to err for every value of the wrong JSON type. */
void schema_check_pod(json_t *doc, struct schema_report *report, struct nano_err *err);
void schema_report_done(struct schema_report *report);

/* An integer, or a real with an integral value (YAML's 1e3). */
bool schema_json_is_int(const json_t *v);
