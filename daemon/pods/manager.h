/* daemon/pods/manager.h: the pod manager's top layer (manager.c, restore.c): the registry of
 * pods, their create and delete, and what a start does with the store. It calls every layer
 * below (lifecycle.h draws them) and is the only one pods.h's callers reach. */
#pragma once

#include "pods/lifecycle.h"
#include "pods/monitor.h"
#include "pods/probes.h"
#include "pods/record.h"
#include "pods/sandbox.h"

struct pod_waiter {
	pods_deleted_fn *fn;
	void *userdata;
};

struct orphan_sweep;

struct pods {
	struct pod_env env; /* first: what the layers below share (pods_of gets back) */
	struct pod *list;
	struct pod *creating; /* created but not answered yet: not listed, but their names taken */
	struct pod *removing; /* creates that failed (or half made at start), being removed */
	struct orphan_sweep *sweep; /* restore.c: orphan cgroups waiting to be removed */
	struct pod_timer *expire_timer;
	struct pod_timer *sample_timer;
};

static inline struct pods *pods_of(struct pod_env *env)
{
	return (struct pods *)env;
}

/* manager.c: frees a pod of every layer (lifecycle first, then the record). */
struct pod *pod_free(struct pod *pod);
/* The cgroup driver, opened when the first pod needs it. */
int pods_cgroup_ready(struct pods *pods, struct nano_err *err);
/* The last step of a delete, once the shim is gone (env.stopped): removes what the pod has on
 * the node (pod_teardown), then its row, and answers the deletes that wait. */
void pod_finish_delete(struct pod *pod);

/* restore.c: at start (pods_open), loads every stored pod, removes the ones still marked
 * creating, re-adopts the others' shims or, where a shim is gone (or the node rebooted), ends
 * their containers and lets the restart policy decide; resumes deletes; cleans up cgroups,
 * shims, mounts and directories that belong to no pod; records the node's Starting event. */
int pods_restore(struct pods *pods, struct nano_err *err);
/* Drops the orphan sweep under way, if any (its cgroups are the next start's). */
void pods_sweep_done(struct pods *pods);
