/* pkg/plan/plan_words.h: the words the explanation's sentences (plan_explain.c,
 * plan_explain_limits.c, plan_network.c) and the Pod fields' texts (plan_fields.c, what
 * `kubectl explain` shows after Kubernetes' description) share, so that both say the same thing
 * in the same words. Not a public header. A phrase here is used by the sentence it came from:
 * change it, and both change.
 */
#pragma once

/* ---- namespaces ---- */
#define PLAN_WORDS_HOST_PID_NS "the pod uses the node's pid namespace"
#define PLAN_WORDS_HOST_PID                                                                        \
	"its containers see every process of the node and their command lines; one running as "    \
	"root can signal any of them (CAP_KILL is in containerd's default set), one with "         \
	"CAP_SYS_PTRACE could trace them and read their memory, and one with CAP_SYS_ADMIN "       \
	"could enter their namespaces (nsenter -t 1). It is for node agents that must watch or "   \
	"debug the node's processes: monitoring agents, profilers, debuggers."
#define PLAN_WORDS_SHARED_PID_NS                                                                   \
	"the pod's containers share one pid namespace in which the shim is PID 1"
#define PLAN_WORDS_SHARED_PID                                                                      \
	"each sees the processes of the others, can signal those its uid may (root: all of "       \
	"them) and reach their files through /proc/<pid>/root. It is for sidecars that must see "  \
	"or signal the main process: a debugger, a log shipper that reloads it."
#define PLAN_WORDS_OWN_PID                                                                         \
	"each container has its own pid namespace and sees only its own processes, its first "     \
	"one as PID 1"
#define PLAN_WORDS_HOST_NET_NS "the pod uses the node's network namespace"
#define PLAN_WORDS_HOST_NET                                                                        \
	"it sees every interface of the node, shares its ports (a bind can take one a node "       \
	"service needs) and reaches the services the node offers only on 127.0.0.1 (databases, "   \
	"admin and metrics endpoints); root in it can capture the node's traffic with "            \
	"CAP_NET_RAW, which containerd's default set holds. It is for what must act on the "       \
	"node's network: CNI plugins, kube-proxy, an ingress or an agent bound to the node's "     \
	"ports."
#define PLAN_WORDS_OWN_NET     "its 127.0.0.1 and its ports are its own, not the node's"
#define PLAN_WORDS_HOST_IPC_NS "the pod uses the node's IPC namespace"
#define PLAN_WORDS_HOST_IPC                                                                        \
	"its processes can attach to the System V shared memory, semaphores and message queues "   \
	"of the node's processes as their permissions allow, and the node's /dev/shm (POSIX "      \
	"shared memory) is its /dev/shm. It is for sharing memory with a process on the node: a "  \
	"database or an X server using System V shared memory, performance tools."
#define PLAN_WORDS_OWN_IPC                                                                         \
	"the pod has its own IPC namespace, shared by its containers: System V IPC objects and "   \
	"POSIX message queues are not shared with the node"
#define PLAN_WORDS_HOST_UTS        "the pod uses the node's uts namespace and sees the node's hostname"
#define PLAN_WORDS_HOST_UTS_RENAME "a container with CAP_SYS_ADMIN could rename the node"
#define PLAN_WORDS_OWN_UTS         "the pod has its own uts namespace, shared by its containers"
#define PLAN_WORDS_USERNS_NS       "the pod has its own user namespace"
#define PLAN_WORDS_USERNS                                                                          \
	"its ids 0-65535 are 65536 unprivileged ids of the node that nanoletd picks when it "      \
	"creates the pod, a range no other pod uses (uid_map and gid_map \"0 <first> 65536\"), "   \
	"so uid 0 in a container is not root on the node, and its capabilities reach only what "   \
	"the pod's namespaces own, not the node."
#define PLAN_WORDS_HOST_USERNS_NS "the pod runs in the node's user namespace"
#define PLAN_WORDS_HOST_USERNS                                                                     \
	"uid 0 in a container is root on the node, its capabilities the node root's within its "   \
	"bounding set."

/* ---- what a container may do ---- */
#define PLAN_WORDS_PRIVILEGED                                                                      \
	"it holds every capability, no seccomp filter, the node's /dev with every device "         \
	"allowed, and a writable /sys and /proc/sys; it can load kernel modules, mount the "       \
	"node's disks and enter any namespace of the node (nsenter), so it is on the node's "      \
	"security boundary, whatever its namespaces say"
#define PLAN_WORDS_SYS_ADMIN                                                                       \
	"with CAP_SYS_ADMIN it can mount filesystems and enter or leave namespaces (setns, "       \
	"unshare)"
#define PLAN_WORDS_SYS_PTRACE "with CAP_SYS_PTRACE it can trace the processes it sees"
#define PLAN_WORDS_NET_ADMIN  "with CAP_NET_ADMIN it can reconfigure the pod's network"
#define PLAN_WORDS_SYS_MODULE                                                                      \
	"with CAP_SYS_MODULE it can load kernel modules into the node's kernel"
#define PLAN_WORDS_UNCONFINED "every syscall reaches the kernel"
#define PLAN_WORDS_RUNTIME_DEFAULT                                                                 \
	"containerd's profile: unshare, setns, mount, keyctl, bpf, ptrace, kexec_load and the "    \
	"other syscalls it does not allow fail with EPERM"
#define PLAN_WORDS_NO_NEW_PRIVS                                                                    \
	"no_new_privs keeps setuid binaries and file capabilities from raising its privileges"
#define PLAN_WORDS_NEW_PRIVS                                                                       \
	"a setuid binary in its root (su, mount) can raise a process of another uid to root "      \
	"within these limits"
#define PLAN_WORDS_MASKED                                                                          \
	"in /proc and /sys what tells about the node (kcore, keys, timer_list, sched_debug, "      \
	"firmware, ...) is masked and /proc/sys, /proc/sysrq-trigger are read-only"

/* ---- who it is ---- */
#define PLAN_WORDS_NODE_ROOT                                                                       \
	"These are the node's own ids: uid 0 is the node's root, and with CAP_DAC_OVERRIDE no "    \
	"file mode stops it"
#define PLAN_WORDS_NODE_IDS(uid)                                                                   \
	"These are the node's own ids: a node file whose owner, group or mode lets uid " uid       \
	" or one of its groups in is open to it, so runAsUser " uid " keeps it out only of what "  \
	"that uid could not open on the node itself"
#define PLAN_WORDS_USERNS_IDS                                                                      \
	"In the pod's user namespace id N is node id <first>+N, <first> being the start of the "   \
	"65536 ids nanoletd picks when it creates the pod: a node file owned by an id outside "    \
	"that range shows as nobody's (65534), so it gets only what the file's mode grants to "    \
	"others"
#define PLAN_WORDS_ROOT_GROUP "root's group, which owns many of the node's files"
#define PLAN_WORDS_FS_GROUP   "fsGroup, which also owns its volumes"

/* ---- what a container may use ---- */
#define PLAN_WORDS_NO_MEMORY_LIMIT                                                                 \
	"it may use all free memory of the node, bounded only by limits above nanolet's cgroup "   \
	"root, and when the node runs out the kernel's OOM killer chooses among all of the "       \
	"node's processes."
#define PLAN_WORDS_MEMORY_RECLAIM                                                                  \
	"Near the limit the kernel first reclaims its page cache; what cannot be reclaimed stays"
#define PLAN_WORDS_MEMORY_NOT_THROTTLED                                                            \
	"Memory is not throttled as CPU is: CPU time can wait for the next period, but a page in " \
	"use cannot be taken back without swap, so at the limit the only way out is a kill."
#define PLAN_WORDS_MEMORY_MIN   "keeps that much of its memory from being reclaimed for others"
#define PLAN_WORDS_NO_CPU_LIMIT "it may use every idle CPU of the node."
#define PLAN_WORDS_CPU_THROTTLED                                                                   \
	"past that it is throttled until the next period: it runs slower, and nothing is killed."
#define PLAN_WORDS_CPU_SHARE         "gets CPU time in proportion to its"
#define PLAN_WORDS_CPU_SHARE_AGAINST "against the pod's other containers"
#define PLAN_WORDS_QOS_GUARANTEED    "every container has CPU and memory limits equal to its requests"
#define PLAN_WORDS_QOS_BURSTABLE                                                                   \
	"a container has a CPU or memory request or limit, but not every container has CPU and "   \
	"memory limits equal to its requests"
#define PLAN_WORDS_QOS_BESTEFFORT "no container has a CPU or memory request or limit"

/* ---- images ---- */
#define PLAN_WORDS_NOT_PULLED                                                                      \
	"not pulled yet: its digest, its layers and its user are known once it is on the node "    \
	"(imagePullPolicy), and its Entrypoint, Cmd, Env and WorkingDir then join the spec's as "  \
	"the kubelet has them join: command or else Entrypoint, args or else Cmd, the spec's env " \
	"over the image's"
#define PLAN_WORDS_IMAGE_LAYERS                                                                    \
	"read-only and shared with every container of an image that has them"
#define PLAN_WORDS_IMAGE_UPPER "its writes never reach the layers"
#define PLAN_WORDS_READ_ONLY_ROOT                                                                  \
	"the whole root is read-only, its upper directory included, and no remount undoes it "     \
	"without CAP_SYS_ADMIN"
#define PLAN_WORDS_IMAGE_USERNS                                                                    \
	"hostUsers is false: each layer is mounted idmapped into the pod's user namespace "        \
	"(mount_setattr MOUNT_ATTR_IDMAP, by the shim's mounter, outside it), so that a file the " \
	"node's uid N owns is the container's uid N and the layers' root files are its root's, "   \
	"the layers themselves unchanged; the upper directory belongs to the pod's root. A "       \
	"filesystem or kernel that cannot idmap the layers refuses the start, saying so"
#define PLAN_WORDS_IMAGE_USER "the image's user (its config's User), or root when it names none"
#define PLAN_WORDS_IMAGE_USER_UNKNOWN                                                              \
	"the image's user, known once the image is on the node (root until then)"
