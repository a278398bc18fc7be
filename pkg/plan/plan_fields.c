/* pkg/plan/plan_fields.c: what nanolet does on this node with a Pod field, whatever the pod, for
 * the field's documentation: nanoletd appends it to Kubernetes' description in the OpenAPI
 * document it serves, so `kubectl explain pod.spec.hostPID` says what the field does to this
 * node's namespaces and cgroups.
 *
 * In the explanation's own words (plan_words.h), never a second copy of them: the explanation
 * says what one pod gets, these say what each value of the field gives. A field the explanation
 * does not speak of has no text here.
 */
#include <string.h>

#include "plan_internal.h"
#include "plan_words.h"

const struct plan_field plan_fields[] = {
        {"spec.hostPID", "true: " PLAN_WORDS_HOST_PID_NS ": " PLAN_WORDS_HOST_PID
                         " false (the default): " PLAN_WORDS_OWN_PID "."},
        {"spec.shareProcessNamespace", "true: " PLAN_WORDS_SHARED_PID_NS ": " PLAN_WORDS_SHARED_PID
                                       " false (the default): " PLAN_WORDS_OWN_PID "."},
        {"spec.hostNetwork",
         "true: " PLAN_WORDS_HOST_NET_NS ": " PLAN_WORDS_HOST_NET " And " PLAN_WORDS_HOST_UTS
         "; " PLAN_WORDS_HOST_UTS_RENAME ". false (the default): the pod has its own network "
         "namespace, shared by its containers: " PLAN_WORDS_OWN_NET "."},
        {"spec.hostIPC", "true: " PLAN_WORDS_HOST_IPC_NS ": " PLAN_WORDS_HOST_IPC
                         " false (the default): " PLAN_WORDS_OWN_IPC "."},
        {"spec.hostUsers",
         "false: " PLAN_WORDS_USERNS_NS ": " PLAN_WORDS_USERNS
         " true or unset: " PLAN_WORDS_HOST_USERNS_NS ": " PLAN_WORDS_HOST_USERNS},
        {"spec.hostname",
         PLAN_WORDS_OWN_UTS ", with this hostname (unset: the pod's name, cut to 63 "
                            "characters); with hostNetwork " PLAN_WORDS_HOST_UTS "."},
        {"spec.securityContext.runAsUser",
         "the uid of each container that sets none (unset: the image's user, or root for "
         "the node's root filesystem and a directory). With hostUsers true or "
         "unset, " PLAN_WORDS_NODE_IDS("N") "; for uid 0, " PLAN_WORDS_NODE_ROOT
                                            ". With hostUsers false: " PLAN_WORDS_USERNS_IDS "."},
        {"spec.containers[].image",
         "empty or \"host\": the node's root filesystem used as an image; an absolute path: "
         "that directory; any other name: an image reference, whose "
         "layers, " PLAN_WORDS_IMAGE_LAYERS ", are the container's root under a writable upper "
         "directory of its own: " PLAN_WORDS_IMAGE_UPPER ". With " PLAN_WORDS_IMAGE_USERNS "."},
        {"spec.securityContext.runAsGroup",
         "the gid of each container that sets none; unset: " PLAN_WORDS_ROOT_GROUP "."},
        {"spec.securityContext.fsGroup",
         "a supplementary group of every container's processes (" PLAN_WORDS_FS_GROUP ")."},
        {"spec.securityContext.supplementalGroups",
         "supplementary groups of every container's processes. With hostUsers "
         "false: " PLAN_WORDS_USERNS_IDS "."},
        {"spec.securityContext.supplementalGroupsPolicy",
         "Merge (the default): the processes of a container of an image also get the groups "
         "the image's /etc/group lists its user in (the runAsUser, named by the image's "
         "/etc/passwd, else the image's User, else root), as containerd adds them. Strict: "
         "only supplementalGroups and fsGroup."},
        {"spec.containers[].resources",
         "They make the pod's QoS class and so its cgroup: Guaranteed "
         "when " PLAN_WORDS_QOS_GUARANTEED ", Burstable when " PLAN_WORDS_QOS_BURSTABLE
         ", BestEffort when " PLAN_WORDS_QOS_BESTEFFORT "."},
        {"spec.containers[].resources.limits",
         "memory → memory.max (v1 memory.limit_in_bytes): " PLAN_WORDS_MEMORY_RECLAIM
         ", and when reclaim cannot bring it under the limit the OOM killer ends "
         "it. " PLAN_WORDS_MEMORY_NOT_THROTTLED
         " cpu → cpu.max (v1 cpu.cfs_quota_us per cpu.cfs_period_us "
         "100000): " PLAN_WORDS_CPU_THROTTLED " Without a memory limit " PLAN_WORDS_NO_MEMORY_LIMIT
         " Without a CPU limit " PLAN_WORDS_NO_CPU_LIMIT},
        {"spec.containers[].resources.requests",
         "cpu → cpu.weight (v1 cpu.shares): when CPUs are busy, the container " PLAN_WORDS_CPU_SHARE
         " cpu.weight " PLAN_WORDS_CPU_SHARE_AGAINST ". memory → memory.min when the node's "
         "memory_qos is on (cgroup v2), which " PLAN_WORDS_MEMORY_MIN "."},
        {"spec.containers[].securityContext.runAsUser",
         "the uid of the container's processes, over the pod's. With hostUsers true or "
         "unset, " PLAN_WORDS_NODE_IDS("N") "; for uid 0, " PLAN_WORDS_NODE_ROOT
                                            ". With hostUsers false: " PLAN_WORDS_USERNS_IDS "."},
        {"spec.containers[].securityContext.runAsGroup",
         "the gid of the container's processes, over the pod's; unset: " PLAN_WORDS_ROOT_GROUP "."},
        {"spec.containers[].securityContext.privileged", "true: " PLAN_WORDS_PRIVILEGED "."},
        {"spec.containers[].securityContext.capabilities",
         "added to and dropped from containerd's 14 default capabilities, the container's "
         "bounding set: " PLAN_WORDS_SYS_ADMIN "; " PLAN_WORDS_SYS_PTRACE "; " PLAN_WORDS_NET_ADMIN
         "; " PLAN_WORDS_SYS_MODULE " (without a user namespace)."},
        {"spec.containers[].securityContext.allowPrivilegeEscalation",
         "false: " PLAN_WORDS_NO_NEW_PRIVS ". true or unset: " PLAN_WORDS_NEW_PRIVS "."},
        {"spec.containers[].securityContext.seccompProfile",
         "RuntimeDefault (unset, unless the node's config says "
         "Unconfined): " PLAN_WORDS_RUNTIME_DEFAULT
         ". Unconfined: no seccomp filter: " PLAN_WORDS_UNCONFINED "."},
        {"spec.containers[].securityContext.procMount",
         "Default: " PLAN_WORDS_MASKED ". Unmasked: /proc is not masked."},
        {"spec.securityContext.seccompProfile",
         "each container's that sets none. RuntimeDefault: " PLAN_WORDS_RUNTIME_DEFAULT
         ". Unconfined: no seccomp filter: " PLAN_WORDS_UNCONFINED "."},
};

const size_t plan_n_fields = ELEMENTSOF(plan_fields);

const char *plan_field_explanation(const char *path)
{
	for (size_t i = 0; path && i < plan_n_fields; i++)
		if (strcmp(plan_fields[i].path, path) == 0)
			return plan_fields[i].text;
	return NULL;
}
