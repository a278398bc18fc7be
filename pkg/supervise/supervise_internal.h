/* pkg/supervise/supervise_internal.h: what the files of pkg/supervise share and nobody else
 * sees. Not included outside pkg/supervise, except by test_supervise_json.c for the RFC 3339
 * table.
 */
#pragma once

#include "supervise.h"

/* *dst = strdup(src) (NULL stays NULL), freeing the old value. 0 or -ENOMEM. */
int sup_set_str(char **dst, const char *src);

void sup_terminated_clear(struct sup_terminated *t);

/* Recomputes terminal, phase and conditions after an event at now (pod.c). */
int sup_pod_update(struct sup_pod *pod, int64_t now);

/* "2024-05-01T12:00:00Z" for Unix seconds t; buf holds at least 32 bytes. Private, small, so
 * that a util_rfc3339 can replace it (status_json.c is its only user). */
void sup_rfc3339(int64_t t, char *buf, size_t size);
