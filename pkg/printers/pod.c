/* pkg/printers/pod.c: a Pod's row as the API server's printPod writes it (Kubernetes 1.32,
 * pkg/printers/internalversion/printers.go): NAME, READY "n/m" (sidecars, restartable init
 * containers, count once started), STATUS (the phase, or status.reason, overridden by the init
 * containers' Init:N/M, Init:<reason>, Init:Signal:N, Init:ExitCode:N while initializing, then
 * by the containers' waiting or terminated reason, Signal:N, ExitCode:N, walked from the last
 * to the first so the first container wins; Completed beside a running container is Running
 * when the pod is Ready, else NotReady; Terminating once deletionTimestamp is set and the pod
 * has not finished; Unknown for a NodeLost pod being deleted), RESTARTS "N (Xm ago)" with the
 * newest lastState.terminated.finishedAt, AGE; wide: IP, NODE, NOMINATED NODE, READINESS GATES.
 * Succeeded and Failed rows carry the Completed row condition.
 *
 * Pure: reads the Pod JSON, nothing else.
 */
#include "printers_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct printers_column pod_columns[] = {
        {"Name", "string", "name", printers_doc_name, 0},
        {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.",
         0},
        {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
        {"Restarts", "string", "",
         "The number of times the containers in this pod have been restarted and when the last "
         "container in this pod has restarted.",
         0},
        {"Age", "string", "", printers_doc_creation_timestamp, 0},
        {"IP", "string", "",
         "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
         "yet allocated.",
         1},
        {"Node", "string", "",
         "NodeName is a request to schedule this pod onto a specific node. If it is non-empty, "
         "the scheduler simply schedules this pod onto that node, assuming that it fits "
         "resource requirements.",
         1},
        {"Nominated Node", "string", "",
         "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
         "cannot be scheduled right away as preemption victims receive their graceful "
         "termination periods. This field does not guarantee that the pod will be scheduled on "
         "this node. Scheduler may decide to place the pod elsewhere if other nodes become "
         "available sooner. Scheduler may also decide to give the resources on this node to a "
         "higher priority pod that is created after preemption. As a result, this field may be "
         "different than PodSpec.nodeName when the pod is scheduled.",
         1},
        {"Readiness Gates", "string", "",
         "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready "
         "when all its containers are ready AND all conditions specified in the readiness gates "
         "have status equal to \"True\" More info: "
         "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
         1},
};

/* The condition of type in conditions, NULL when none. */
static const json_t *condition(const json_t *conditions, const char *type)
{
	for (size_t i = 0; i < json_array_size(conditions); i++) {
		const json_t *c = json_array_get(conditions, i);

		if (strcmp(printers_str(c, "type"), type) == 0)
			return c;
	}
	return NULL;
}

/* The first condition of type is True (isPodInitializedConditionTrue). */
static bool condition_true(const json_t *conditions, const char *type)
{
	return strcmp(printers_str(condition(conditions, type), "status"), "True") == 0;
}

/* Any Ready condition is True (hasPodReadyCondition). */
static bool ready_condition(const json_t *conditions)
{
	for (size_t i = 0; i < json_array_size(conditions); i++) {
		const json_t *c = json_array_get(conditions, i);

		if (strcmp(printers_str(c, "type"), "Ready") == 0 &&
		    strcmp(printers_str(c, "status"), "True") == 0)
			return true;
	}
	return false;
}

/* A sidecar: an init container with restartPolicy Always. */
static bool restartable(const json_t *container)
{
	return strcmp(printers_str(container, "restartPolicy"), "Always") == 0;
}

/* The spec.initContainers entry named name (the last, as printPod's map keeps it; names are
 * unique in a valid pod), NULL when none. */
static const json_t *init_container(const json_t *init_containers, const char *name)
{
	const json_t *found = NULL;

	for (size_t i = 0; i < json_array_size(init_containers); i++) {
		const json_t *c = json_array_get(init_containers, i);

		if (strcmp(printers_str(c, "name"), name) == 0)
			found = c;
	}
	return found;
}

static int64_t max_time(int64_t a, int64_t b)
{
	if (a == PRINTERS_TIME_NONE)
		return b;
	if (b == PRINTERS_TIME_NONE)
		return a;
	return a > b ? a : b;
}

static int64_t last_finished(const json_t *status)
{
	return printers_time(json_object_get(json_object_get(status, "lastState"), "terminated"),
	                     "finishedAt");
}

static int64_t integer(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static int pod_cells(const json_t *pod, int64_t now_s, json_t *cells, json_t **row_conditions)
{
	const json_t *meta = json_object_get(pod, "metadata"), *spec = json_object_get(pod, "spec"),
	             *status = json_object_get(pod, "status");
	const json_t *conditions = json_object_get(status, "conditions");
	const json_t *init_specs = json_object_get(spec, "initContainers");
	const json_t *init_statuses = json_object_get(status, "initContainerStatuses");
	const json_t *statuses = json_object_get(status, "containerStatuses");
	const char *phase = printers_str(status, "phase");
	int64_t restarts = 0, init_restarts = 0;
	int64_t last_restart = PRINTERS_TIME_NONE, last_init_restart = PRINTERS_TIME_NONE;
	size_t total = json_array_size(json_object_get(spec, "containers")), ready = 0;
	char reason[320], buf[64], age[PRINTERS_DURATION_SIZE];
	bool initializing = false;
	int r = 0;

	snprintf(reason, sizeof(reason), "%s",
	         printers_str(status, "reason")[0] ? printers_str(status, "reason") : phase);
	/* a pod held by scheduling gates says so */
	for (size_t i = 0; i < json_array_size(conditions); i++) {
		const json_t *c = json_array_get(conditions, i);

		if (strcmp(printers_str(c, "type"), "PodScheduled") == 0 &&
		    strcmp(printers_str(c, "reason"), "SchedulingGated") == 0)
			snprintf(reason, sizeof(reason), "SchedulingGated");
	}
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
		bool ok = strcmp(phase, "Succeeded") == 0;

		*row_conditions =
		        json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed", "status", "True",
		                  "reason", phase, "message",
		                  ok ? "The pod has completed successfully." : "The pod failed.");
		if (!*row_conditions)
			return -ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(init_specs); i++)
		if (restartable(json_array_get(init_specs, i)))
			total++;

	for (size_t i = 0; i < json_array_size(init_statuses); i++) {
		const json_t *c = json_array_get(init_statuses, i),
		             *state = json_object_get(c, "state");
		const json_t *terminated = json_object_get(state, "terminated");
		const json_t *waiting = json_object_get(state, "waiting");
		bool sidecar = restartable(init_container(init_specs, printers_str(c, "name")));

		restarts += integer(c, "restartCount");
		last_restart = max_time(last_restart, last_finished(c));
		if (sidecar) {
			init_restarts += integer(c, "restartCount");
			last_init_restart = max_time(last_init_restart, last_finished(c));
		}
		if (json_is_object(terminated) && integer(terminated, "exitCode") == 0)
			continue;
		if (sidecar && json_is_true(json_object_get(c, "started"))) {
			if (json_is_true(json_object_get(c, "ready")))
				ready++;
			continue;
		}
		if (json_is_object(terminated)) {
			/* initialization failed */
			if (printers_str(terminated, "reason")[0])
				snprintf(reason, sizeof(reason), "Init:%s",
				         printers_str(terminated, "reason"));
			else if (integer(terminated, "signal") != 0)
				snprintf(reason, sizeof(reason), "Init:Signal:%lld",
				         (long long)integer(terminated, "signal"));
			else
				snprintf(reason, sizeof(reason), "Init:ExitCode:%lld",
				         (long long)integer(terminated, "exitCode"));
		} else if (json_is_object(waiting) && printers_str(waiting, "reason")[0] &&
		           strcmp(printers_str(waiting, "reason"), "PodInitializing") != 0) {
			snprintf(reason, sizeof(reason), "Init:%s",
			         printers_str(waiting, "reason"));
		} else {
			snprintf(reason, sizeof(reason), "Init:%zu/%zu", i,
			         json_array_size(init_specs));
		}
		initializing = true;
		break;
	}

	if (!initializing || condition_true(conditions, "Initialized")) {
		bool has_running = false;

		restarts = init_restarts;
		last_restart = last_init_restart;
		for (size_t i = json_array_size(statuses); i-- > 0;) {
			const json_t *c = json_array_get(statuses, i),
			             *state = json_object_get(c, "state");
			const json_t *terminated = json_object_get(state, "terminated");
			const json_t *waiting = json_object_get(state, "waiting");

			restarts += integer(c, "restartCount");
			last_restart = max_time(last_restart, last_finished(c));
			if (json_is_object(waiting) && printers_str(waiting, "reason")[0]) {
				snprintf(reason, sizeof(reason), "%s",
				         printers_str(waiting, "reason"));
			} else if (json_is_object(terminated)) {
				if (printers_str(terminated, "reason")[0])
					snprintf(reason, sizeof(reason), "%s",
					         printers_str(terminated, "reason"));
				else if (integer(terminated, "signal") != 0)
					snprintf(reason, sizeof(reason), "Signal:%lld",
					         (long long)integer(terminated, "signal"));
				else
					snprintf(reason, sizeof(reason), "ExitCode:%lld",
					         (long long)integer(terminated, "exitCode"));
			} else if (json_is_true(json_object_get(c, "ready")) &&
			           json_is_object(json_object_get(state, "running"))) {
				has_running = true;
				ready++;
			}
		}
		/* a finished container beside a running one: the pod still runs */
		if (strcmp(reason, "Completed") == 0 && has_running)
			snprintf(reason, sizeof(reason), "%s",
			         ready_condition(conditions) ? "Running" : "NotReady");
	}

	if (json_is_string(json_object_get(meta, "deletionTimestamp"))) {
		if (strcmp(printers_str(status, "reason"), "NodeLost") == 0)
			snprintf(reason, sizeof(reason), "Unknown");
		else if (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0)
			snprintf(reason, sizeof(reason), "Terminating");
	}

	r |= printers_append(cells, printers_str(meta, "name"));
	snprintf(buf, sizeof(buf), "%zu/%zu", ready, total);
	r |= printers_append(cells, buf);
	r |= printers_append(cells, reason);
	if (restarts != 0 && last_restart != PRINTERS_TIME_NONE)
		snprintf(buf, sizeof(buf), "%lld (%s ago)", (long long)restarts,
		         printers_since(last_restart, now_s, age, sizeof(age)));
	else
		snprintf(buf, sizeof(buf), "%lld", (long long)restarts);
	r |= printers_append(cells, buf);
	r |= printers_append(cells, printers_since(printers_time(meta, "creationTimestamp"), now_s,
	                                           age, sizeof(age)));

	/* wide: the API server always prints them, kubectl shows them for -o wide */
	const json_t *ips = json_object_get(status, "podIPs");
	const char *ip = printers_str(json_array_get(ips, 0), "ip");
	const char *node = printers_str(spec, "nodeName");
	const char *nominated = printers_str(status, "nominatedNodeName");
	const json_t *gates = json_object_get(spec, "readinessGates");

	r |= printers_append(cells, ip[0] ? ip : "<none>");
	r |= printers_append(cells, node[0] ? node : "<none>");
	r |= printers_append(cells, nominated[0] ? nominated : "<none>");
	if (json_array_size(gates) > 0) {
		size_t met = 0;

		for (size_t i = 0; i < json_array_size(gates); i++) {
			const json_t *c =
			        condition(conditions,
			                  printers_str(json_array_get(gates, i), "conditionType"));

			if (c && strcmp(printers_str(c, "status"), "True") == 0)
				met++;
		}
		snprintf(buf, sizeof(buf), "%zu/%zu", met, json_array_size(gates));
		r |= printers_append(cells, buf);
	} else {
		r |= printers_append(cells, "<none>");
	}
	return r < 0 ? -ENOMEM : 0;
}

const struct printers_kind printers_pod = {
        .kind = "Pod",
        .list_kind = "PodList",
        .columns = pod_columns,
        .n_columns = sizeof(pod_columns) / sizeof(pod_columns[0]),
        .cells = pod_cells,
};
