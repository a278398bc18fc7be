#!/usr/bin/env bats
# tests/integration/stalled_shim.bats: a shim that answers nothing (SIGSTOP) costs only its own
# pod. The daemon never waits for a shim: each request is an io source with a deadline of its
# own (NANOLET_SHIM_TIMEOUT_MS here), so while one pod's request waits, every other request is
# answered at once; past the deadline that pod gets a Warning event and a retry, and it goes on
# once the shim continues, or is cleaned up once the shim dies.

load common
load pods_helpers

# Long enough that a loop that waited for the stopped shim would show in every request timed
# below (each must answer in well under it).
STALL_MS=8000
FAST_SECONDS=3

setup() {
	common_setup
	STOPPED=
	STALLED=
}

teardown() {
	# a stopped shim (or stalled removal) is continued first, so that the deletes of the
	# teardown can end (a FIFO opened for reading and writing never waits for a reader)
	[[ -n $STOPPED ]] && kill -CONT "$STOPPED" 2>/dev/null
	[[ -n $STALLED ]] && : 1<>"$STALLED"
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

shim_of() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/$1/isolation?pretty=false" | jq -r .live.shimPid
}

# fast CMD...: CMD succeeds within FAST_SECONDS (every request it makes has that deadline).
fast() {
	local start end
	start=$(date +%s%N)
	CURL_SECONDS=$FAST_SECONDS "$@" || {
		echo "failed: $*"
		return 1
	}
	end=$(date +%s%N)
	echo "$* took $(((end - start) / 1000000)) ms"
	((end - start < FAST_SECONDS * 1000000000))
}

other_pod_is_running() {
	phase_is "$1" Running
}

other_pod_has_log() {
	[[ $(pod_log "$1") == *hello* ]]
}

list_has() {
	nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' | jq -e --arg n "$1" '[.items[].metadata.name] | index($n) != null' >/dev/null
}

event_says() {
	events_of "$1" | jq -e --arg r "$2" --arg m "$3" '[.items[] | select(.reason == $r and (.message | contains($m)))] | length > 0' >/dev/null
}

# The pod's delete, in the background: its status code lands in $TEST_TMP/$1.code.
delete_in_background() {
	curl -sS --max-time 120 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' \
		-X DELETE "http://nanolet/api/v1/namespaces/default/pods/$1" >"$TEST_TMP/$1.code" &
	DELETER=$!
}

stuck_yaml() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 100
  containers:
  - name: c
    image: host
    command: [sh, -c, 'trap "echo bye; exit 0" TERM; echo hello; while :; do sleep 0.1; done']
EOF
}

@test "a stopped shim: other pods' creates, reads, logs and /healthz answer at once; its delete times out with an event, and ends once the shim continues" {
	NANOLET_SHIM_TIMEOUT_MS=$STALL_MS pods_setup
	create_pod "$(pod_yaml other 'echo hello; sleep 300')"
	create_pod "$(stuck_yaml stuck)"
	wait_phase stuck Running
	wait_log stuck hello
	STOPPED=$(shim_of stuck)
	[[ $STOPPED -gt 1 ]]
	kill -STOP "$STOPPED"

	# the delete asks the stopped shim to stop the container: that request waits...
	delete_in_background stuck
	sleep 0.5
	# ...and nothing else does
	fast healthy
	fast other_pod_is_running other
	fast other_pod_has_log other
	fast list_has stuck
	fast create_pod "$(pod_yaml fresh 'echo hello; sleep 300')"
	fast healthy
	wait_phase fresh Running
	wait_log fresh hello
	# the pod is terminating, its container still running: the shim did nothing yet
	[[ $(get_pod stuck | jq -r .metadata.deletionTimestamp) != null ]]
	[[ $(get_pod stuck | jq -r '.status.containerStatuses[0].state | keys[0]') == running ]]

	# past the deadline: a Warning event about the request that got no answer
	wait_for event_says stuck FailedKillPod "did not answer"
	kill -0 "$DELETER" # the delete still waits
	fast healthy

	# the shim continues: it stops the container, the delete ends
	kill -CONT "$STOPPED"
	STOPPED=
	wait "$DELETER"
	[[ $(cat "$TEST_TMP/stuck.code") == 200 ]]
	call GET /api/v1/namespaces/default/pods/stuck
	[ "$code" = 404 ]
	phase_is other Running
	phase_is fresh Running
}

@test "a stopped shim that dies: its pod's delete ends and nothing of it is left" {
	NANOLET_SHIM_TIMEOUT_MS=2000 pods_setup
	create_pod "$(stuck_yaml doomed)"
	wait_phase doomed Running
	STOPPED=$(shim_of doomed)
	kill -STOP "$STOPPED"
	delete_in_background doomed
	wait_for event_says doomed FailedKillPod "did not answer"
	fast healthy
	kill -KILL "$STOPPED"
	STOPPED=
	wait "$DELETER"
	[[ $(cat "$TEST_TMP/doomed.code") == 200 ]]
	call GET /api/v1/namespaces/default/pods/doomed
	[ "$code" = 404 ]
	assert_nothing_left
}

@test "a restart the stopped shim did not answer: a Failed event, and once it continues the run it made is adopted, not started twice" {
	# runs 0 and 1 fail back to back, then a back-off long enough to stop the shim in; run 2
	# stays
	NANOLET_SHIM_TIMEOUT_MS=1500 pods_setup --crashloop-backoff-initial 3
	create_pod "$(cat <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: host
    command: [sh, -c, 'n=$(cat /d/n 2>/dev/null || echo 0); echo $((n + 1)) >/d/n; echo run $n; [ $n -ge 2 ] || exit 1; sleep 300']
    volumeMounts: [{name: d, mountPath: /d}]
EOF
)"
	wait_for waiting_reason_is again CrashLoopBackOff
	STOPPED=$(shim_of again)
	kill -STOP "$STOPPED"
	# the restart comes while the shim is stopped: its start gets no answer
	wait_for event_says again Failed "did not answer"
	fast healthy
	[[ $(get_pod again | jq -r '.status.containerStatuses[0].state | keys[0]') == waiting ]]
	kill -CONT "$STOPPED"
	STOPPED=
	wait_log again 'run 2'
	running_again() {
		[[ $(get_pod again | jq -r '.status.containerStatuses[0].state | keys[0]') == running ]]
	}
	wait_for running_again
	sleep 2 # a second start, if one came, would have shown by now
	s=$(get_pod again | jq -c '.status.containerStatuses[0]')
	echo "$s"
	[[ $(jq -r .restartCount <<<"$s") == 2 ]]
	[[ $(jq -r '.state | keys[0]' <<<"$s") == running ]]
	# one log file per run: 0.log, 1.log and 2.log, no run started twice
	ls "$TEST_TMP"/log/pods/default_again_*/c/
	[[ $(ls "$TEST_TMP"/log/pods/default_again_*/c/ | wc -l) == 3 ]]
	[[ $(pod_log again | grep -c '^run') == 1 ]]
	grep -E 'adopting|did not answer' "$TEST_TMP/daemon.log" | sed 's/^/# /' >&3
}

# The removal of a deleted pod's files has begun, and waits at its start (NANOLET_STALL_AT,
# a test hook) until the test opens the FIFO.
removal_stalled() {
	grep -q 'NANOLET_STALL_AT=removal: waiting' "$TEST_TMP/daemon.log"
}

full_yaml() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: full}
spec:
  terminationGracePeriodSeconds: 0
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: host
    volumeMounts: [{name: d, mountPath: /data}]
    command: [sh, -c, 'cd /data && seq 50000 | xargs touch && echo filled && sleep 300']
EOF
}

@test "a delete whose pod's files take long to remove (50000 of them): they go off the loop, and a stalled removal holds up only that delete" {
	driver_independent
	mkfifo "$TEST_TMP/removal.fifo"
	NANOLET_STALL_AT=removal NANOLET_STALL_FIFO=$TEST_TMP/removal.fifo pods_setup
	STALLED=$TEST_TMP/removal.fifo
	create_pod "$(full_yaml)"
	# making the files takes seconds, many more on a busy disk
	WAIT_TENTHS=$((WAIT_TENTHS * 4)) wait_log full filled
	volume_dir=$(ls -d "$TEST_TMP"/state/pods/*/)
	[[ $(find "$volume_dir" -type f | wc -l) -ge 50000 ]]
	delete_in_background full
	# the removal is a job off the loop; stalled, it holds its delete...
	wait_for removal_stalled
	# ...and nothing else
	fast healthy
	fast list_has full
	fast create_pod "$(pod_yaml other 'echo hello; sleep 300')"
	wait_log other hello
	kill -0 "$DELETER"
	# the daemon dies meanwhile, and its removal with it: the next one starts and removes
	# the files
	kill -KILL "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	STALLED=
	wait "$DELETER" || true
	[[ $(find "$volume_dir" -type f | wc -l) -ge 50000 ]]
	pods_setup
	wait_for pod_gone full
	[[ ! -e $volume_dir ]]
	phase_is other Running
}

pod_gone() {
	call GET /api/v1/namespaces/default/pods/$1
	[[ $code == 404 ]]
}
