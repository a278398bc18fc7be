#!/usr/bin/env bats
# tests/integration/kubectl_watch.bats: resourceVersions and watches as kubectl (and
# python3-kubernetes) use them: `get -w` following a pod's life, `wait` and `delete` returning
# when the watch says so, label and field selectors on lists, the 410 of a watch from a
# resourceVersion the daemon no longer holds, timeoutSeconds, and a counter that goes on across
# restarts. Assertions are on kubectl's own output.

load common
load pods_helpers
load kubectl_helpers

PYTHON=/usr/bin/python3
WATCH_POD=${BATS_TEST_DIRNAME}/helpers/watch_pod.py

setup() {
	common_setup
}

teardown() {
	pods_teardown
	common_teardown
}

# labelled_pod NAME APP COMMAND [RESTART_POLICY]: pod_yaml's pod with the label app=APP.
labelled_pod() {
	pod_yaml "$1" "$3" "${4:-Always}" | sed "s/^  name: $1\$/  name: $1\n  labels: {app: $2}/"
}

# watch_lines FILE PATTERN: the lines of FILE matching the extended regex PATTERN.
has_line() {
	grep -Eq -- "$2" "$1"
}

# deleted_seen N FILE: FILE (a watch's output) has N DELETED events.
deleted_seen() {
	[[ $(grep -c '"type":"DELETED"' "$2") == "$1" ]]
}

rv_of() {
	get_pod "$1" | jq -r .metadata.resourceVersion
}

@test "objects carry resourceVersion, generation, nodeName; a list the counter now" {
	kubectl_start_daemon
	create_pod "$(pod_yaml web 'sleep 300')"
	get_pod web >"$TEST_TMP/pod.json"
	local rv list_rv
	rv=$(jq -r .metadata.resourceVersion "$TEST_TMP/pod.json")
	[[ $rv =~ ^[0-9]+$ && $rv -gt 0 ]]
	[[ $(jq -r .metadata.generation "$TEST_TMP/pod.json") == 1 ]]
	[[ $(jq -r .spec.nodeName "$TEST_TMP/pod.json") == "$(hostname)" ]]
	list_rv=$(nanolet_curl http://nanolet/api/v1/pods | jq -r .metadata.resourceVersion)
	((list_rv >= rv))
	# events too; and the list's is the counter, at least every item's
	nanolet_curl 'http://nanolet/api/v1/namespaces/default/events' >"$TEST_TMP/events.json"
	jq -e '[.items[].metadata.resourceVersion | tonumber] | length > 0' "$TEST_TMP/events.json"
	jq -e '(.metadata.resourceVersion | tonumber) >= ([.items[].metadata.resourceVersion | tonumber] | max)' \
		"$TEST_TMP/events.json"
	# kubectl describe shows the node the pod is on
	run kc describe pod web
	[[ $output == *"Node:"*"$(hostname)"* ]]
}

@test "kubectl get pods -w shows a pod created, changing and deleted" {
	kubectl_start_daemon
	create_pod "$(pod_yaml first 'sleep 300')"
	kc get pods -w --output-watch-events >"$TEST_TMP/events.out" 2>&1 &
	track_pid $!
	kc get pods -w >"$TEST_TMP/plain.out" 2>&1 &
	track_pid $!
	# both watches are open (their first list answered) before the pod comes
	wait_for has_line "$TEST_TMP/events.out" '^ADDED +first '
	wait_for has_line "$TEST_TMP/plain.out" '^first '
	! has_line "$TEST_TMP/events.out" ' web ' 
	create_pod "$(pod_yaml web 'sleep 300')"
	wait_phase web Running
	run kc delete pod web
	[[ $status == 0 && $output == 'pod "web" deleted' ]]
	wait_for has_line "$TEST_TMP/events.out" '^DELETED +web '
	cat "$TEST_TMP/events.out"
	has_line "$TEST_TMP/events.out" '^ADDED +web '
	# the delete's deletionTimestamp, and the end of its container, before the DELETED
	has_line "$TEST_TMP/events.out" '^MODIFIED +web '
	[[ $(grep -Eo '^(ADDED|MODIFIED|DELETED) +web' "$TEST_TMP/events.out" | awk '{print $1}' | uniq | tr '\n' ' ') == 'ADDED MODIFIED DELETED ' ]]
	# each event's object a Table row (pkg/printers): the columns once, then the pod's life
	[[ $(grep -c '^EVENT  *NAME  *READY  *STATUS  *RESTARTS  *AGE' "$TEST_TMP/events.out") == 1 ]]
	has_line "$TEST_TMP/events.out" '^ADDED +web +1/1 +Running +0 '
	has_line "$TEST_TMP/events.out" '^MODIFIED +web +[01]/1 +Terminating '
	# without --output-watch-events: a line per change, the pod's name first
	[[ $(grep -c '^web ' "$TEST_TMP/plain.out") -ge 3 ]]
	has_line "$TEST_TMP/plain.out" '^web +[01]/1 +Terminating ' 
}

@test "the WatchEvents: ADDED first, then MODIFIED and DELETED with increasing resourceVersions" {
	kubectl_start_daemon
	create_pod "$(pod_yaml web 'sleep 300')"
	nanolet_curl -N 'http://nanolet/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=8' \
		>"$TEST_TMP/watch.json" &
	track_pid $!
	wait_for grep -q ADDED "$TEST_TMP/watch.json"
	call DELETE /api/v1/namespaces/default/pods/web
	[[ $code == 200 ]]
	wait_for grep -q DELETED "$TEST_TMP/watch.json"
	jq -r '[.type, .object.metadata.name, .object.metadata.resourceVersion,
	        (.object.metadata.deletionTimestamp // "-")] | join(" ")' "$TEST_TMP/watch.json" |
		tee "$TEST_TMP/summary"
	[[ $(head -1 "$TEST_TMP/summary") == "ADDED web "*" -" ]]
	[[ $(tail -1 "$TEST_TMP/summary") == "DELETED web "* ]]
	# a terminating pod carries deletionTimestamp and deletionGracePeriodSeconds (2: its own)
	jq -e 'select(.type == "MODIFIED") | .object.metadata.deletionGracePeriodSeconds == 2' \
		"$TEST_TMP/watch.json" | grep -q true
	# strictly increasing
	awk '{print $3}' "$TEST_TMP/summary" | sort -n -c -u
	# the events of that pod are watched too: ADDED Scheduled, Started, Killing ...
	nanolet_curl -N 'http://nanolet/api/v1/namespaces/default/events?watch=true&timeoutSeconds=1&fieldSelector=involvedObject.name%3Dweb' \
		>"$TEST_TMP/events.json"
	jq -r '.type + " " + .object.reason' "$TEST_TMP/events.json" | grep -qx 'ADDED Killing'
}

@test "kubectl wait --for=condition=Ready returns once the pod is ready" {
	kubectl_start_daemon
	mkdir "$TEST_TMP/flag"
	create_pod "$(pod_yaml slow 'sleep 300' | sed '/^  containers:/i\  volumes:\n  - {name: flag, hostPath: {path: '"$TEST_TMP"'/flag, type: Directory}}' |
		sed '$a\    volumeMounts: [{name: flag, mountPath: /flag}]\n    readinessProbe:\n      exec: {command: [test, -f, /flag/ready]}\n      periodSeconds: 1')"
	[[ $(get_pod slow | jq -r '.status.conditions[] | select(.type == "Ready") | .status') == False ]]
	kc wait --for=condition=Ready pod/slow --timeout=60s >"$TEST_TMP/wait.out" 2>&1 &
	local wait_pid=$!
	track_pid $wait_pid
	sleep 2
	# still waiting: the pod is not ready
	kill -0 $wait_pid
	touch "$TEST_TMP/flag/ready"
	wait_gone $wait_pid
	wait $wait_pid
	[[ $(cat "$TEST_TMP/wait.out") == "pod/slow condition met" ]]
}

@test "kubectl delete returns once the pod is gone" {
	kubectl_start_daemon
	create_pod "$(pod_yaml web 'trap "sleep 1; exit 0" TERM; sleep 300 & wait')"
	run kc delete pod web --wait=true
	[[ $status == 0 && $output == 'pod "web" deleted' ]]
	call GET /api/v1/namespaces/default/pods/web
	[[ $code == 404 ]]
	run kc get pods
	[[ $output == "No resources found in default namespace." ]]
}

@test "kubectl get pods -l and --field-selector filter as the API server does" {
	kubectl_start_daemon
	create_pod "$(labelled_pod web web 'sleep 300')"
	create_pod "$(labelled_pod db db 'sleep 300')"
	create_pod "$(labelled_pod job batch 'true' Never)"
	wait_phase job Succeeded
	run kc get pods -l app=web -o name
	[[ $output == "pod/web" ]]
	run kc get pods -l 'app in (web,db)' -o name
	[[ $output == $'pod/db\npod/web' ]]
	run kc get pods -l 'app!=web' -o name
	[[ $output == $'pod/db\npod/job' ]]
	run kc get pods -l '!app'
	[[ $output == "No resources found in default namespace." ]]
	run kc get pods --field-selector status.phase=Running -o name
	[[ $output == $'pod/db\npod/web' ]]
	run kc get pods --field-selector 'status.phase!=Running,metadata.name!=x' -o name
	[[ $output == "pod/job" ]]
	run kc get pods --field-selector "spec.nodeName=$(hostname)" -l app=db -o name
	[[ $output == "pod/db" ]]
	run kc get pods --field-selector spec.containers=x
	[[ $status != 0 && $output == *"field label not supported: spec.containers"* ]]
	call GET '/api/v1/pods?labelSelector=app%20in%20web'
	[[ $code == 400 && $(jq -r .reason <<<"$body") == BadRequest ]]
	# a watch filters the same way
	nanolet_curl -N 'http://nanolet/api/v1/pods?watch=true&timeoutSeconds=1&labelSelector=app%3Ddb' |
		jq -r '.type + " " + .object.metadata.name' >"$TEST_TMP/watch.out"
	[[ $(cat "$TEST_TMP/watch.out") == "ADDED db" ]]
	# a pod that leaves the selection is DELETED for the watch, as the API server's
	create_pod "$(labelled_pod brief web 'sleep 2' Never)"
	nanolet_curl -N 'http://nanolet/api/v1/pods?watch=true&timeoutSeconds=20&fieldSelector=status.phase%3DRunning' \
		>"$TEST_TMP/running.json" &
	track_pid $!
	wait_phase brief Succeeded
	wait_for grep -q '"DELETED".*"brief"' "$TEST_TMP/running.json"
	[[ $(jq -r 'select(.object.metadata.name == "brief") | .type + " " + .object.status.phase' "$TEST_TMP/running.json" | tr '\n' ,) == "ADDED Running,DELETED Succeeded," ]]
	# the pod is still there
	run kc get pods brief -o name
	[[ $output == pod/brief ]]
}

@test "a watch from a resourceVersion older than the history is a 410 in an ERROR event" {
	printf 'watch_history: 16\n' >"$TEST_TMP/nanolet.yaml"
	kubectl_start_daemon --config "$TEST_TMP/nanolet.yaml"
	create_pod "$(pod_yaml web 'sleep 300')"
	local first
	first=$(rv_of web)
	# the events of the pod to come, as they are recorded and repeated
	nanolet_curl -N 'http://nanolet/api/v1/namespaces/default/events?watch=true&fieldSelector=involvedObject.name%3Dcrash' \
		>"$TEST_TMP/events.json" &
	track_pid $!
	# many changes: each crash of the restarting pod is several (its status, events)
	create_pod "$(pod_yaml crash 'exit 1')"
	wait_for restarts_at_least crash 3
	# an event seen again is MODIFIED: its count, lastTimestamp and resourceVersion go up
	wait_for grep -q '"type":"MODIFIED".*"reason":"Started"' "$TEST_TMP/events.json"
	jq -e 'select(.type == "MODIFIED" and .object.reason == "Started") | .object.count >= 2' \
		"$TEST_TMP/events.json" | grep -q true
	jq -r 'select(.object.reason == "Started") | .object.metadata.resourceVersion' "$TEST_TMP/events.json" |
		sort -n -c -u
	local now
	now=$(nanolet_curl http://nanolet/api/v1/pods | jq -r .metadata.resourceVersion)
	((now - first > 16))
	nanolet_curl -N "http://nanolet/api/v1/pods?watch=true&resourceVersion=$first" >"$TEST_TMP/gone.json"
	jq -c . "$TEST_TMP/gone.json"
	[[ $(wc -l <"$TEST_TMP/gone.json") == 1 ]]
	jq -e '.type == "ERROR" and .object.kind == "Status" and .object.code == 410 and
	       .object.reason == "Expired"' "$TEST_TMP/gone.json"
	[[ $(jq -r .object.message "$TEST_TMP/gone.json") =~ ^"too old resource version: $first ("[0-9]+")"$ ]]
	# from a recent one: the changes after it, no ERROR
	nanolet_curl -N "http://nanolet/api/v1/pods?watch=true&resourceVersion=$((now - 2))&timeoutSeconds=1" >"$TEST_TMP/recent.json"
	! grep -q ERROR "$TEST_TMP/recent.json"
}

@test "timeoutSeconds ends the stream; bookmarks when asked" {
	kubectl_start_daemon
	create_pod "$(pod_yaml web 'sleep 300')"
	local start end
	start=$(date +%s)
	nanolet_curl -N -D "$TEST_TMP/headers" \
		'http://nanolet/api/v1/pods?watch=true&timeoutSeconds=3&allowWatchBookmarks=true' >"$TEST_TMP/watch.json"
	end=$(date +%s)
	((end - start >= 2 && end - start <= 5))
	grep -qi '^transfer-encoding: chunked' "$TEST_TMP/headers"
	jq -r .type "$TEST_TMP/watch.json" | tr '\n' ' ' | grep -qx 'ADDED BOOKMARK '
	jq -e 'select(.type == "BOOKMARK") | .object.kind == "Pod" and (.object.metadata.resourceVersion | tonumber) > 0' \
		"$TEST_TMP/watch.json"
	call GET '/api/v1/pods?watch=true&timeoutSeconds=x'
	[[ $code == 400 ]]
	call GET '/api/v1/pods?watch=true&resourceVersion=abc'
	[[ $code == 400 ]]
}

@test "resourceVersions go on increasing across a daemon restart" {
	kubectl_start_daemon
	create_pod "$(pod_yaml web 'sleep 300')"
	local before after
	before=$(nanolet_curl http://nanolet/api/v1/pods | jq -r .metadata.resourceVersion)
	kubectl_restart_daemon
	# the restored pod keeps a resourceVersion from before, the counter goes on from it
	(($(rv_of web) <= before))
	call DELETE /api/v1/namespaces/default/pods/web
	[[ $code == 200 ]]
	after=$(jq -r .metadata.resourceVersion <<<"$body")
	((after > before))
	# a watch from before the restart is too old: the history starts empty at the counter
	nanolet_curl -N "http://nanolet/api/v1/pods?watch=true&resourceVersion=$((before - 1))" |
		jq -e '.object.code == 410'
}

@test "python3-kubernetes watches a pod to Running" {
	[[ -x $PYTHON ]] && $PYTHON -c 'import kubernetes' || skip "no python3-kubernetes: make test installs it"
	kubectl_start_daemon
	$PYTHON "$WATCH_POD" "$TEST_TMP/kubeconfig" default web Running 30 >"$TEST_TMP/py.out" 2>&1 &
	local py=$!
	track_pid $py
	sleep 1
	create_pod "$(pod_yaml web 'sleep 300')"
	wait_gone $py
	wait $py
	cat "$TEST_TMP/py.out"
	grep -Eq '^ADDED web Running [0-9]+$' "$TEST_TMP/py.out"
}

@test "a watch client that stops reading is dropped once too far behind, the daemon unharmed" {
	printf 'stream_buffer_bytes: 4Ki\n' >"$TEST_TMP/nanolet.yaml"
	pods_setup --config "$TEST_TMP/nanolet.yaml"
	$PYTHON "${BATS_TEST_DIRNAME}/helpers/watch_stalled.py" "$SOCK" '/api/v1/pods?watch=true' \
		"$TEST_TMP/go" >"$TEST_TMP/stalled.out" 2>&1 &
	local client=$! i
	track_pid $client
	# a reading watch beside it sees everything
	nanolet_curl -N --max-time 120 'http://nanolet/api/v1/pods?watch=true' >"$TEST_TMP/reader.json" &
	track_pid $!
	# hundreds of changes, one pod at a time (a burst of changes in one turn of the loop
	# could pass a reader's bound too, and it would watch again)
	for ((i = 0; i < 60; i++)); do
		create_pod "$(pod_yaml "p$i" 'sleep 300' Never)"
		call DELETE "/api/v1/namespaces/default/pods/p$i?gracePeriodSeconds=0"
	done
	wait_for grep -q 'watch of pods: the client is too far behind: ending it' "$TEST_TMP/daemon.log"
	healthy
	touch "$TEST_TMP/go"
	wait_gone $client
	[[ $(cat "$TEST_TMP/stalled.out") == closed ]]
	# only that one: the reader saw every pod come and go
	grep 'too far behind' "$TEST_TMP/daemon.log"
	[[ $(grep -c 'too far behind' "$TEST_TMP/daemon.log") == 1 ]]
	wait_for deleted_seen 60 "$TEST_TMP/reader.json"
}
