/* pkg/plan/plan_internal.h: what the plan's files share among themselves. Not a public header:
 * nothing outside pkg/plan includes it.
 *
 *   plan.c          plan_build/plan_free, namespaces, hostname, process, root, mounts
 *   plan_cgroup.c   resource arithmetic, cgroup paths and the files written to them
 *   plan_security.c capabilities, seccomp, masks, devices, the root's layer, the system mounts
 *   plan_explain.c  the plain sentences of plan->explanation: namespaces, security, identity
 *   plan_explain_limits.c  its sentences of what a pod may use: memory, cpu, io, pids, qos
 *   plan_network.c  the pod network's part: interfaces, addresses, routes
 *   plan_json.c     plan_to_json
 *   plan_image.c    plan_container_apply_image: an image's config in a container's plan
 */
#pragma once

#include "plan.h"

/* A container's PATH when its spec (and its image) set none, containerd's. */
#define PLAN_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Kubernetes counts a resource quantity only when it is not zero (a 0 limit is no limit, as
 * the kubelet writes none), and SPEC_UNSET is -1: both are "absent" here. */
static inline bool plan_quantity_set(int64_t v)
{
	return v > 0;
}

/* nanolet's places on the node, from the config or their defaults. */
static inline const char *plan_run_dir(const struct plan_config *config)
{
	return config->run_dir && *config->run_dir ? config->run_dir : "/run/nanolet";
}

static inline const char *plan_log_dir(const struct plan_config *config)
{
	return config->log_dir && *config->log_dir ? config->log_dir : "/var/log/nanolet";
}

static inline const char *plan_socket(const struct plan_config *config)
{
	return config->socket && *config->socket ? config->socket : "/run/nanolet/nanolet.sock";
}

/* plan_network.c: the pod's interfaces (plan->network) from the node's pod network, their
 * JSON, and the sentence of how the pod is reached and what it reaches. */
int plan_network_build(struct plan *plan, const struct spec_pod *pod,
                       const struct plan_config *config);
void plan_network_done(struct plan *plan);
json_t *plan_network_json(const struct plan *plan);
char *plan_sentence_network(const struct plan *plan);

/* The CFS period nanolet always uses, in microseconds (the kubelet's default 100ms). */
#define PLAN_CPU_PERIOD_US 100000

/* Where the pod's pids.max comes from. */
enum plan_pids_source {
	PLAN_PIDS_UNLIMITED,         /* node podPidsLimit <= 0 and no annotation */
	PLAN_PIDS_CONFIG,            /* node podPidsLimit */
	PLAN_PIDS_ANNOTATION,        /* nanolet.io/pids-limit, lower than the node's */
	PLAN_PIDS_CONFIG_NOT_RAISED, /* the annotation asked for more than the node allows */
};

/* The pod's pids limit (-1: none) and where it comes from. */
int64_t plan_pod_pids_limit(const struct spec_pod *pod, const struct plan_config *config,
                            enum plan_pids_source *source);

/* Sets plan->cgroup and every container's cgroup, and appends the pids warning. plan->qos,
 * plan->uid and plan->containers[].name must be set. 0 or -ENOMEM. */
int plan_cgroups_build(struct plan *plan, const struct spec_pod *pod,
                       const struct plan_config *config);

/* Fills plan->explanation; everything else in the plan must already be built. 0 or -ENOMEM. */
int plan_explain(struct plan *plan, const struct spec_pod *pod, const struct plan_config *config);

/* plan_explain_limits.c: one sentence each (NULL on ENOMEM). */
char *plan_sentence_memory(const struct plan *plan, const struct plan_container *c,
                           const struct spec_container *sc, const struct plan_config *config);
char *plan_sentence_cpu_limit(const struct plan *plan, const struct plan_container *c,
                              const struct spec_container *sc);
char *plan_sentence_cpu_weight(const struct plan *plan, const struct plan_container *c,
                               const struct spec_container *sc);
char *plan_sentence_io(const struct plan *plan, const struct plan_container *c);
char *plan_sentence_pids(const struct plan *plan, const struct spec_pod *pod,
                         const struct plan_config *config);
char *plan_sentence_qos(const struct plan *plan);

/* The value written to a file of a cgroup, NULL when the plan writes no such file. */
const char *plan_cgroup_v2_value(const struct plan_cgroup *cg, const char *name);
const char *plan_cgroup_v1_value(const struct plan_cgroup *cg, const char *name);

/* Appends a mount to c; takes ownership of source and options whatever happens (a NULL one
 * means ENOMEM). 0 or -ENOMEM. */
int plan_mount_add(struct plan_container *c, const char *destination, const char *type,
                   char *source, char **options);

/* plan.c: a container's process from its spec alone (command + args, env, workingDir, the
 * securityContext's ids): what plan_container_apply_image starts from. 0 or -ENOMEM. */
/* p's supplementary groups, made again: its own gid first (as containerd, CRI-O, Docker and
 * podman add it since CVE-2023-25173, CVE-2022-2995, CVE-2022-36109 and CVE-2022-2989: a setgid
 * program must not shed a group that a file's mode denies), then the pod's supplementalGroups,
 * its fsGroup, and extra (the image's /etc/group), each once. 0 or -ENOMEM. */
int plan_process_groups(struct plan_process *p, const struct spec_pod *pod, const uint32_t *extra,
                        size_t n_extra);
int plan_container_process(struct plan_process *p, const struct spec_container *sc,
                           const struct spec_pod *pod, const struct plan *plan);

/* plan_security.c. c->process and c->root.kind must be set. 0 or -ENOMEM. */
int plan_container_security(struct plan_container *c, const struct spec_container *sc,
                            const struct spec_pod *pod, const struct plan *plan, size_t index,
                            const struct plan_config *config, const char *state_dir);
/* Sets s->refusal (replacing one) when c, as its process and root stand, may not be created:
 * an image's root in a user namespace; the kubelet's verifyRunAsNonRoot. image_user: the image's
 * User as written, NULL when there is none or the image is not resolved (unresolved: only an
 * explicit runAsUser 0 is refused). */
int plan_container_refusal(struct plan_security *s, const struct plan_container *c,
                           const struct spec_container *sc, const struct spec_pod *pod,
                           const struct plan *plan, const char *image_user);
/* The writable layer and the hidden paths of c's root. */
int plan_root_layer(struct plan_root *root, const struct spec_pod *pod, const struct plan *plan,
                    const char *name, const struct plan_config *config, const char *state_dir);
/* The container's own /proc, /dev, /sys, ... (plan.h, plan_container.mounts). c->security and
 * c->root must be set, and plan->shm. */
int plan_system_mounts(struct plan_container *c, const struct spec_container *sc,
                       const struct plan *plan);
/* A warning per hostPath volume that reaches nanolet's own directories or its socket. */
int plan_host_path_warnings(struct plan *plan, const struct spec_pod *pod,
                            const struct plan_config *config, const char *state_dir);
