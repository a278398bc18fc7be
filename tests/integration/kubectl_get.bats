#!/usr/bin/env bats
# kubectl get against nanolet: the API server's Tables (pkg/printers), asserted on what the real
# kubectl prints. A pod through its life (ContainerCreating, Running, Completed, Error,
# CrashLoopBackOff with RESTARTS counting, OOMKilled, Terminating), -o wide's columns,
# events' columns, -A's NAMESPACE column.

load common
load pods_helpers
load kubectl_helpers

setup() {
	common_setup
	kubectl_start_daemon
}

teardown() {
	pods_teardown
	common_teardown
}

# column NAME FIELD: field FIELD (awk's, 1-based) of pod NAME's row as kubectl prints it.
column() {
	kc get pod "$1" --no-headers | awk -v f="$2" '{print $f}'
}

status_is() {
	[[ $(column "$1" 3) == "$2" ]]
}

# wait_status NAME STATUS: until kubectl's STATUS column for the pod reads STATUS.
wait_status() {
	wait_for status_is "$1" "$2" || {
		echo "pod $1's STATUS is not $2:"
		kc get pod "$1" -o wide || true
		get_pod "$1" | jq .status
		return 1
	}
}

@test "kubectl get pods: NAME READY STATUS RESTARTS AGE, a running pod 1/1 Running" {
	create_pod "$(pod_yaml web 'sleep 300')"
	wait_status web Running
	run kc get pods
	[[ $status == 0 ]]
	echo "$output"
	[[ ${lines[0]} =~ ^NAME\ +READY\ +STATUS\ +RESTARTS\ +AGE$ ]]
	[[ ${lines[1]} =~ ^web\ +1/1\ +Running\ +0\ +[0-9]+s$ ]]
	# one object too (GET .../pods/web), the same row
	run kc get pod web --no-headers
	[[ $output =~ ^web\ +1/1\ +Running\ +0\ +[0-9]+s$ ]]
}

@test "a pod that exits 0 under restartPolicy Never is Completed, 0/1" {
	create_pod "$(pod_yaml done 'exit 0' Never)"
	wait_status done Completed
	[[ $(column done 2) == 0/1 ]]
	[[ $(column done 4) == 0 ]]
}

@test "a pod that exits 1 under restartPolicy Never is Error" {
	create_pod "$(pod_yaml failed 'exit 1' Never)"
	wait_status failed Error
	[[ $(column failed 2) == 0/1 ]]
}

@test "a container that keeps failing: CrashLoopBackOff, RESTARTS counting with the last exit's age" {
	create_pod "$(pod_yaml crash 'exit 1')"
	wait_status crash CrashLoopBackOff
	wait_for restarts_at_least crash 2
	run kc get pod crash --no-headers
	echo "$output"
	# RESTARTS is "N (Xs ago)": the count, and when the container last ended
	[[ $output =~ ^crash\ +0/1\ +[A-Za-z]+\ +([0-9]+)\ \(([0-9]+)s\ ago\)\ +[0-9]+s$ ]]
	restarts=${BASH_REMATCH[1]}
	[[ $restarts -ge 2 ]]
	[[ ${BASH_REMATCH[2]} -lt 60 ]]
	# the API's own count, as kubectl printed it
	[[ $restarts -le $(get_pod crash | jq .status.containerStatuses[0].restartCount) ]]
}

@test "a container past its memory limit: OOMKilled" {
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: hog
    image: host
    command: [sh, -c, 'exec dd if=/dev/zero of=/dev/null bs=256M count=1']
    resources:
      limits: {memory: 64Mi}
EOF
	)"
	wait_status oom OOMKilled
	[[ $(column oom 2) == 0/1 ]]
}

@test "a postStart hook still running: ContainerCreating, then Running" {
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hooked}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: host
    command: [sleep, '300']
    lifecycle:
      postStart:
        exec: {command: [sh, -c, 'sleep 4']}
EOF
	)"
	# the kubelet reports the container waiting (ContainerCreating) until its postStart ends
	wait_status hooked ContainerCreating
	[[ $(column hooked 2) == 0/1 ]]
	wait_status hooked Running
}

@test "an init container: Init:0/1" {
	skip "nanolet does not run initContainers (the spec refuses them as not implemented); printPod's Init:N/M, Init:<reason>, Init:ExitCode:N are covered by test_printers"
}

@test "a pod being deleted: Terminating" {
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  terminationGracePeriodSeconds: 8
  containers:
  - name: c
    image: host
    command: [sh, -c, 'trap "" TERM; sleep 300 & wait; sleep 300']
EOF
	)"
	wait_status slow Running
	# the DELETE answers once the pod is gone; meanwhile the pod is terminating
	nanolet_curl -X DELETE "http://nanolet/api/v1/namespaces/default/pods/slow" \
		>/dev/null 2>&1 3>&- &
	track_pid $!
	wait_status slow Terminating
}

@test "kubectl get pods -o wide: IP, NODE, NOMINATED NODE, READINESS GATES" {
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: wide}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: host
    command: [sleep, '300']
EOF
	)"
	wait_status wide Running
	# a hostNetwork pod's IP is the node's, as the kubelet reports it
	ip=$(get_pod wide | jq -r .status.podIP)
	[[ $ip =~ ^[0-9a-f.:]+$ ]]
	run kc get pods -o wide
	echo "$output"
	[[ ${lines[0]} =~ ^NAME\ +READY\ +STATUS\ +RESTARTS\ +AGE\ +IP\ +NODE\ +NOMINATED\ NODE\ +READINESS\ GATES$ ]]
	read -r -a cells <<<"${lines[1]}"
	[[ ${cells[0]} == wide && ${cells[2]} == Running ]]
	[[ ${cells[5]} == "$ip" ]]
	[[ ${cells[7]} == "<none>" && ${cells[8]} == "<none>" ]]
	# without -o wide kubectl hides them
	run kc get pods
	[[ ! ${lines[0]} =~ IP ]]
}

@test "kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE, with the pod's own events" {
	create_pod "$(pod_yaml web 'sleep 300')"
	wait_status web Running
	wait_for event_seen web Started
	run kc get events
	echo "$output"
	[[ $status == 0 ]]
	[[ ${lines[0]} =~ ^LAST\ SEEN\ +TYPE\ +REASON\ +OBJECT\ +MESSAGE$ ]]
	grep -Eq '^[0-9]+s +Normal +Started +pod/web +Started container c' <<<"$output"
	# -o wide: SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME
	run kc get events -o wide
	echo "$output"
	[[ ${lines[0]} =~ ^LAST\ SEEN\ +TYPE\ +REASON\ +OBJECT\ +SUBOBJECT\ +SOURCE\ +MESSAGE\ +FIRST\ SEEN\ +COUNT\ +NAME$ ]]
	grep -Eq ' Started +pod/web +spec.containers\{c\} +nanolet' <<<"$output"
}

@test "kubectl get pods -A: the NAMESPACE column" {
	create_pod "$(pod_yaml web 'sleep 300')"
	wait_status web Running
	run kc get pods -A
	echo "$output"
	[[ ${lines[0]} =~ ^NAMESPACE\ +NAME\ +READY\ +STATUS\ +RESTARTS\ +AGE$ ]]
	[[ ${lines[1]} =~ ^default\ +web\ +1/1\ +Running\ +0\ + ]]
}

@test "the Table as the API server answers it: ?includeObject=, a plain Accept, a bad value" {
	create_pod "$(pod_yaml web 'sleep 300')"
	table='Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
	call GET /api/v1/namespaces/default/pods -H "$table"
	[[ $code == 200 ]]
	jq -e '.kind == "Table" and .apiVersion == "meta.k8s.io/v1"
		and ([.columnDefinitions[].name] == ["Name","Ready","Status","Restarts","Age","IP","Node","Nominated Node","Readiness Gates"])
		and .rows[0].cells[0] == "web"
		and .rows[0].object.kind == "PartialObjectMetadata"
		and .rows[0].object.metadata.namespace == "default"' <<<"$body"
	call GET '/api/v1/namespaces/default/pods?includeObject=Object' -H "$table"
	jq -e '.rows[0].object.kind == "Pod" and .rows[0].object.spec.containers[0].name == "c"' <<<"$body"
	call GET '/api/v1/namespaces/default/pods/web?includeObject=None' -H "$table"
	jq -e '.rows | length == 1 and .[0].object == null' <<<"$body"
	call GET '/api/v1/namespaces/default/pods?includeObject=Everything' -H "$table"
	[[ $code == 400 ]]
	jq -e '.reason == "BadRequest" and .message == "unrecognized includeObject value: \"Everything\""' <<<"$body"
	# plain JSON first, or no Accept: the PodList as before
	call GET /api/v1/namespaces/default/pods -H 'Accept: application/json, application/json;as=Table;v=v1;g=meta.k8s.io'
	jq -e '.kind == "PodList"' <<<"$body"
	call GET /api/v1/namespaces/default/pods
	jq -e '.kind == "PodList"' <<<"$body"
	# a watch's answer is never one Table: its events carry theirs
	call GET '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1' -H "$table"
	[[ -z $(jq -c 'select(.kind == "Table")' "$TEST_TMP/body") ]]
	# errors stay Status objects
	call GET /api/v1/namespaces/default/pods/nope -H "$table"
	[[ $code == 404 ]]
	jq -e '.kind == "Status"' <<<"$body"
}
