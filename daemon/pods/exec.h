/* daemon/pods/exec.h: what the manager needs of exec.c beyond pods.h's pod_exec_start. */
#pragma once

#include "pods/record.h"

/* The daemon stops: every exec under way ends, its on_exit called with -ESHUTDOWN
 * (NANO_UNAVAILABLE), and its process killed by the shim once the connection is gone. */
void pod_execs_stop(struct pod_env *env);
