/* daemon/pods/probes.h: the pod manager's probes layer (probes.c): the liveness, readiness and
 * startup probes of running containers and their postStart and preStop hooks, on the pod clock.
 * It calls lifecycle.h and the layers below, and is reached from below only through
 * env->changed and env->pre_stop, which the manager points at pod_probes_sync and
 * pod_probes_pre_stop. */
#pragma once

#include "pods/lifecycle.h"

/* The probes and hooks follow the pod's containers: a worker per probe of each running
 * container (its first check initialDelaySeconds after the run started, then every
 * periodSeconds), the postStart hook of a run that has one pending; whatever belongs to a run
 * that ended goes. Idempotent. */
void pod_probes_sync(struct pod *pod);
/* env->pre_stop: runs container i's preStop hook, cut short at deadline (CLOCK_MONOTONIC);
 * true when one started, and its end calls pod_pre_stop_done. */
bool pod_probes_pre_stop(struct pod *pod, size_t container, uint64_t deadline);
/* Drops every worker, check and hook of the pod. */
void pod_probes_done(struct pod *pod);
