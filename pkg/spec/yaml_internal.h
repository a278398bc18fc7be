/* pkg/spec/yaml_internal.h: what yaml.c (reading) tells yaml_emit.c (writing). Not a public
 * header: nothing outside pkg/spec includes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether s, written as a plain (unquoted) scalar, reads back as the same string: false for
 * "yes", "1", "0x1f", "null", "~", ".inf", "<<" and the like (YAML 1.1 as go-yaml v2 reads it). */
bool yaml_plain_is_string(const char *s, size_t len);
