/* pkg/security/paths.c: what a container must not see or change in its /proc and /sys. The
 * lists are containerd's defaults (pkg/oci populateDefaultUnixSpec), which are also the
 * kubelet's for procMount: Default. Pure tables. */
#include "security.h"

const char *const security_masked_paths[] = {
        "/proc/acpi",          "/proc/asound",
        "/proc/kcore",         "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats",   "/proc/sched_debug",
        "/sys/firmware",       "/sys/devices/virtual/powercap",
        "/proc/scsi",          NULL,
};

const char *const security_read_only_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};
