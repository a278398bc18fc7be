/* pkg/supervise/supervise_internal.h: what the files of pkg/supervise share and nobody else
 * sees. Not included outside pkg/supervise. */
#pragma once

#include "supervise.h"

/* *dst = strdup(src) (NULL stays NULL), freeing the old value. 0 or -ENOMEM. */
int sup_set_str(char **dst, const char *src);

void sup_terminated_clear(struct sup_terminated *t);

/* Recomputes terminal, phase and conditions after an event at now (pod.c). */
int sup_pod_update(struct sup_pod *pod, int64_t now);

/* The probes of a container from its spec (probe.c), and their reset for a new run. */
void sup_probes_init(struct sup_container *c, const struct spec_container *spec);
void sup_probes_reset(struct sup_container *c);
/* started and ready of a container from its state and probe results (probe.c). */
void sup_probes_status(struct sup_container *c);
