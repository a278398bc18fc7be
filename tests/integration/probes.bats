#!/usr/bin/env bats
# Probes and lifecycle hooks in real pods (image: host): readiness flipping with a file the test
# creates in a hostPath (exec), seen in ready and the Ready condition; liveness restarting the
# container (restartCount, the Killing and Unhealthy events in the kubelet's words); a startup
# probe holding liveness back; httpGet against busybox httpd in the pod (404, then 200);
# tcpSocket on an open and a closed port; a port name the container lacks; postStart (the
# container creating until it ends; a failure kills it) and preStop (before the SIGTERM, its
# effect in the hostPath after the delete). Periods of 1 s keep the file short. The cgroup
# driver plays no part: driver_independent.

load common
load pods_helpers

setup() {
	common_setup
	FLAG=$TEST_TMP/flag
	mkdir -p "$FLAG"
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# probe_pod NAME COMMAND CONTAINER_LINES [RESTART_POLICY]: one container "c" running
# sh -c COMMAND, with CONTAINER_LINES (indented 4) after its command, and the test's flag
# directory at /flag (a hostPath).
probe_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: ${4:-Always}
  terminationGracePeriodSeconds: 2
  volumes:
  - {name: flag, hostPath: {path: $FLAG, type: Directory}}
  containers:
  - name: c
    image: host
    command: [sh, -c, '$2']
    volumeMounts: [{name: flag, mountPath: /flag}]
    ports: [{name: http, containerPort: 8080}]
$3
EOF
}

status_of() {
	get_pod "$1" | jq -r ".status.containerStatuses[0].$2"
}

is_ready() {
	[[ $(status_of "$1" ready) == true ]]
}

is_unready() {
	[[ $(status_of "$1" ready) == false ]]
}

is_started() {
	[[ $(status_of "$1" started) == true ]]
}

condition_is() {
	[[ $(get_pod "$1" | jq -r --arg t "$2" '.status.conditions[] | select(.type == $t) | .status') == "$3" ]]
}

# event_with NAME REASON MESSAGE: the pod has an event of that reason and exact message.
event_with() {
	events_of "$1" | jq -e --arg r "$2" --arg m "$3" \
		'[.items[] | select(.reason == $r and .message == $m)] | length > 0' >/dev/null
}

event_count() {
	events_of "$1" | jq --arg r "$2" --arg m "$3" \
		'[.items[] | select(.reason == $r and .message == $m) | .count] | add // 0'
}

pod_gone() {
	[[ $(nanolet_curl -o /dev/null -w '%{http_code}' "http://nanolet/api/v1/namespaces/default/pods/$1") == 404 ]]
}

event_count_at_least() {
	(($(event_count "$1" "$2" "$3") >= $4))
}

SLEEPER='trap "exit 0" TERM; while :; do sleep 0.2; done'

@test "readiness: an exec probe flips ready and the Ready condition with a file" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod ready "$SLEEPER" '    readinessProbe:
      exec: {command: [test, -f, /flag/ready]}
      periodSeconds: 1
      failureThreshold: 1')"
	wait_phase ready Running
	# running and started, but not ready before its first success
	[[ $(status_of ready started) == true ]]
	wait_for event_with ready Unhealthy "Readiness probe failed: "
	is_unready ready
	condition_is ready Ready False
	condition_is ready ContainersReady False
	touch "$FLAG/ready"
	wait_for is_ready ready
	condition_is ready Ready True
	condition_is ready ContainersReady True
	rm "$FLAG/ready"
	wait_for is_unready ready
	condition_is ready Ready False
	# every failure counted on one event, none restarts it
	wait_for event_count_at_least ready Unhealthy "Readiness probe failed: " 3
	[[ $(status_of ready restartCount) == 0 ]]
}

@test "liveness: failures past the threshold kill the container, which restarts" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod live "$SLEEPER" '    livenessProbe:
      exec: {command: [sh, -c, "echo not alive; exit 1"]}
      periodSeconds: 1
      failureThreshold: 2')"
	wait_for restarts_at_least live 1 || {
		get_pod live | jq .status
		return 1
	}
	event_with live Killing "Container c failed liveness probe, will be restarted"
	event_with live Unhealthy $'Liveness probe failed: not alive\n'
	# two failures for one kill: the failure event counted twice before it
	[[ $(event_count live Unhealthy $'Liveness probe failed: not alive\n') -ge 2 ]]
	# the run it killed ended by its SIGTERM (the trap exits 0), not by the grace's SIGKILL
	[[ $(status_of live lastState.terminated.exitCode) == 0 ]]
}

@test "an exec probe that outlives its timeout is killed and fails, in the kubelet's words" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod slow "$SLEEPER" '    readinessProbe:
      exec: {command: [sh, -c, "echo started >>/flag/slow; sleep 30"]}
      timeoutSeconds: 1
      periodSeconds: 2')"
	wait_for event_with slow Unhealthy 'Readiness probe failed: command "sh -c echo started >>/flag/slow; sleep 30" timed out'
	is_unready slow
	# each check killed at its timeout, and the next one made: counted on the one event
	wait_for event_count_at_least slow Unhealthy 'Readiness probe failed: command "sh -c echo started >>/flag/slow; sleep 30" timed out' 2
	(($(wc -l <"$FLAG/slow") >= 2))
	# the checks it cut short were killed then: their container's end later tells nobody
	call DELETE "/api/v1/namespaces/default/pods/slow?gracePeriodSeconds=0"
	wait_for pod_gone slow
	kill -0 "$DAEMON_PID"
}

@test "startup: liveness waits until the startup probe succeeded" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod startup "$SLEEPER" '    startupProbe:
      exec: {command: [test, -f, /flag/started]}
      periodSeconds: 1
      failureThreshold: 60
    livenessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 1')"
	wait_phase startup Running
	wait_for event_with startup Unhealthy "Startup probe failed: "
	# several startup periods: the failing liveness probe has not run
	sleep 3
	[[ $(status_of startup started) == false ]]
	[[ $(status_of startup ready) == false ]]
	[[ $(status_of startup restartCount) == 0 ]]
	! event_with startup Unhealthy "Liveness probe failed: "
	touch "$FLAG/started"
	wait_for event_with startup Killing "Container c failed liveness probe, will be restarted"
	wait_for restarts_at_least startup 1
}

@test "httpGet: a missing page is a 404 failure; the page makes it ready" {
	driver_independent
	pods_setup
	# the server in the pod serves the test's directory: the test writes its page
	create_pod "$(probe_pod web 'exec busybox httpd -f -p 8080 -h /flag' '    readinessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 1
      failureThreshold: 1')"
	wait_phase web Running
	wait_for event_with web Unhealthy "Readiness probe failed: HTTP probe failed with statuscode: 404"
	is_unready web
	echo ok >"$FLAG/healthz"
	wait_for is_ready web
	condition_is web Ready True
}

@test "tcpSocket: an open port is ready, a closed one fails liveness with the kubelet's words" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod tcp 'mkdir -p /tmp/www; exec busybox httpd -f -p 8080 -h /tmp/www' '    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1')"
	create_pod "$(probe_pod closed "$SLEEPER" '    livenessProbe:
      tcpSocket: {port: 8081}
      periodSeconds: 1
      failureThreshold: 1')"
	wait_for is_ready tcp
	condition_is tcp Ready True
	wait_for event_with closed Unhealthy "Liveness probe failed: dial tcp 127.0.0.1:8081: connect: connection refused"
	wait_for event_with closed Killing "Container c failed liveness probe, will be restarted"
	wait_for restarts_at_least closed 1
}

@test "a port name the container does not have: the probe errors, in the kubelet's words" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod noport "$SLEEPER" '    readinessProbe:
      tcpSocket: {port: metrics}
      periodSeconds: 1')"
	wait_for event_with noport Unhealthy \
		'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "metrics": invalid syntax'
	is_unready noport
}

@test "postStart: the container is creating until its hook ended; a failed hook kills it" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod post "$SLEEPER" '    lifecycle:
      postStart:
        exec: {command: [sh, -c, "echo hooked >/flag/post; while [ ! -f /flag/go ]; do sleep 0.1; done"]}')"
	wait_for test -f "$FLAG/post"
	[[ $(status_of post state.waiting.reason) == ContainerCreating ]]
	[[ $(get_pod post | jq -r .status.phase) == Pending ]]
	touch "$FLAG/go"
	wait_phase post Running
	is_ready post

	create_pod "$(probe_pod badpost "$SLEEPER" '    lifecycle:
      postStart:
        exec: {command: [sh, -c, "echo oops; exit 3"]}')"
	local uid
	wait_for event_seen badpost FailedPostStartHook
	uid=$(get_pod badpost | jq -r .metadata.uid)
	event_with badpost FailedPostStartHook \
		"Exec lifecycle hook ([sh -c echo oops; exit 3]) for Container \"c\" in Pod \"badpost_default($uid)\" failed - error: command 'sh -c echo oops; exit 3' exited with 3: , message: \"oops\\n\""
	wait_for restarts_at_least badpost 1
}

@test "preStop: runs before the SIGTERM of a delete" {
	driver_independent
	pods_setup
	create_pod "$(probe_pod pre 'trap "echo term >>/flag/log; exit 0" TERM; while :; do sleep 0.1; done' '    lifecycle:
      preStop:
        exec: {command: [sh, -c, "sleep 0.5; echo prestop >>/flag/log"]}')"
	wait_phase pre Running
	call DELETE /api/v1/namespaces/default/pods/pre
	[[ $code == 200 ]]
	wait_for pod_gone pre
	[[ $(cat "$FLAG/log") == $'prestop\nterm' ]]
}

@test "grpc: the health service's SERVING makes it ready, NOT_SERVING fails liveness" {
	driver_independent
	pods_setup
	# the build's helper serves in the pod, from the hostPath the pod mounts (a host pod sees
	# the node's /usr, where its libraries are, but not the node's /tmp, where a clone may be)
	cp "$NANOLET_BUILD/grpc_health_server" "$FLAG/"
	create_pod "$(probe_pod grpc "exec /flag/grpc_health_server 9090 web=SERVING db=NOT_SERVING" '    readinessProbe:
      grpc: {port: 9090, service: web}
      periodSeconds: 1
    livenessProbe:
      grpc: {port: 9090, service: db}
      initialDelaySeconds: 5
      periodSeconds: 1
      failureThreshold: 2')"
	# ready well before liveness begins (a kill would end the run, and its readiness with it)
	wait_for is_ready grpc
	wait_for event_with grpc Unhealthy 'Liveness probe failed: service unhealthy (responded with "NOT_SERVING")'
	wait_for event_with grpc Killing "Container c failed liveness probe, will be restarted"
}
