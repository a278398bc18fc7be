#!/usr/bin/env bats
# Termination messages in real pods, as the kubelet makes them: each container run sees a file of
# the node's of its own at terminationMessagePath (default /dev/termination-log), and what it
# wrote there is state.terminated.message when it ends (the last 4096 bytes), then
# lastState.terminated.message after a restart, also across a daemon restart; with
# FallbackToLogsOnError, a failed run that wrote nothing gets the end of its log (80 lines, 2048
# bytes). A read-only root and a non-root user still write it; a privileged container's /dev (the
# node's) gets no file made in it. The cgroup driver plays no part: driver_independent.

load common
load pods_helpers

setup() {
	common_setup
	driver_independent
	pods_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# message_pod NAME COMMAND [CONTAINER_LINES] [RESTART_POLICY]: one container "c" running
# sh -c COMMAND, with more lines of the container (indented four spaces).
message_pod() {
	local cmd=${2//\'/\'\'}
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: ${4:-Never}
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: host
    command: [sh, -c, '$cmd']
${3:-}
EOF
}

terminated() {
	[[ $(get_pod "$1" | jq -r '.status.containerStatuses[0].state.terminated.reason') == @(Completed|Error) ]]
}

# run_to_end NAME YAML: creates the pod and waits until its container ended; the terminated
# state in $state (JSON).
run_to_end() {
	create_pod "$2"
	wait_for terminated "$1" || {
		get_pod "$1" | jq .status
		return 1
	}
	state=$(get_pod "$1" | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$state"
}

message_of() {
	jq -r '.message // "(none)"' <<<"$state"
}

@test "what a container writes to /dev/termination-log is its terminated message" {
	run_to_end done "$(message_pod done 'printf "all done\nbye" >/dev/termination-log')"
	[[ $(jq -r .reason <<<"$state") == Completed ]]
	[[ $(message_of) == $'all done\nbye' ]]
	# the defaults are in the Pod, as the API server stores them
	[[ $(get_pod done | jq -r '.spec.containers[0] | "\(.terminationMessagePath) \(.terminationMessagePolicy)"') == "/dev/termination-log File" ]]

	run_to_end failed "$(message_pod failed 'echo "disk full" >/dev/termination-log; exit 3')"
	[[ $(jq -r '"\(.reason) \(.exitCode)"' <<<"$state") == "Error 3" ]]
	[[ $(message_of) == "disk full" ]]

	# nothing written: no message (File policy, even on failure)
	run_to_end quiet "$(message_pod quiet 'echo in the log; exit 1')"
	[[ $(message_of) == "(none)" ]]
}

@test "a custom terminationMessagePath, its directories made in the container's own layer" {
	run_to_end custom "$(message_pod custom 'ls -l /var/run/app/last-words | cut -c1-10 >&2; echo "custom path" >/var/run/app/last-words' \
		'    terminationMessagePath: /var/run/app/last-words')"
	[[ $(message_of) == "custom path" ]]
	# the node has no such file: it was made in the container's root
	[[ ! -e /var/run/app/last-words ]]
	# the file the container got is the node's empty 0666 one, not a file of its root
	log_has custom '^-rw-rw-rw-'
	# and the default path is not there
	run_to_end nodefault "$(message_pod nodefault 'test -e /dev/termination-log && exit 7; exit 0' \
		'    terminationMessagePath: /tmp/elsewhere')"
	[[ $(jq -r .exitCode <<<"$state") == 0 ]]
}

@test "only the last 4096 bytes of the file are kept" {
	# 5000 bytes: 1000 lines of "NNNN\n"
	run_to_end big "$(message_pod big 'seq 1000 1999 >/dev/termination-log')"
	[[ $(jq -r '.message | length' <<<"$state") == 4096 ]]
	# the end is kept: what the container wrote last
	[[ "$(message_of)" == "$(seq 1000 1999 | tail -c 4096)" ]]
}

@test "FallbackToLogsOnError: a failed run that wrote nothing gets the last 80 lines of its log" {
	local fallback='    terminationMessagePolicy: FallbackToLogsOnError'
	run_to_end logs "$(message_pod logs 'for i in $(seq 1 100); do echo "line $i"; done; echo "fatal: no config" >&2; exit 2' "$fallback")"
	[[ $(jq -r .exitCode <<<"$state") == 2 ]]
	local expected
	expected=$({
		seq 1 100 | sed 's/^/line /'
		echo "fatal: no config"
	} | tail -n 80)
	[[ "$(message_of)" == "$expected" ]]

	# 80 long lines are more than 2048 bytes: the end is kept
	run_to_end long "$(message_pod long 'for i in $(seq 100 199); do printf "%s%0100d\n" $i 0; done; exit 1' "$fallback")"
	expected=$(for i in $(seq 100 199); do printf "%s%0100d\n" "$i" 0; done | tail -n 80 | tail -c 2048)
	[[ $(jq -r '.message | length' <<<"$state") == 2048 ]]
	[[ "$(message_of)" == "$expected" ]]

	# what the file says wins over the log
	run_to_end said "$(message_pod said 'echo noise; echo "from the file" >/dev/termination-log; exit 1' "$fallback")"
	[[ $(message_of) == "from the file" ]]

	# a run that succeeded gets nothing from its log
	run_to_end fine "$(message_pod fine 'echo all good' "$fallback")"
	[[ $(jq -r .reason <<<"$state") == Completed ]]
	[[ $(message_of) == "(none)" ]]
}

@test "a read-only root filesystem and a non-root user still write the message" {
	run_to_end ro "$(message_pod ro 'touch /etc/x 2>/dev/null && exit 9; echo "read-only root" >/dev/termination-log' \
		'    securityContext: {readOnlyRootFilesystem: true}')"
	[[ $(jq -r .exitCode <<<"$state") == 0 ]]
	[[ $(message_of) == "read-only root" ]]

	run_to_end user "$(message_pod user 'id -u >/dev/termination-log' \
		'    securityContext: {runAsUser: 1000, runAsGroup: 1000}')"
	[[ $(jq -r .exitCode <<<"$state") == 0 ]]
	[[ $(message_of) == 1000 ]]

	# a path in the container's read-only /run tmpfs: the mount point is made, /run stays
	# read-only
	run_to_end both "$(message_pod both 'touch /run/other 2>/dev/null && exit 9; echo "$(id -u) at /run/msg" >/run/msg' \
		'    terminationMessagePath: /run/msg
    securityContext: {readOnlyRootFilesystem: true, runAsUser: 1000}')"
	[[ $(message_of) == "1000 at /run/msg" ]]
}

# The second run of a restarted container, up.
second_run_up() {
	local s
	s=$(get_pod "$1" | jq -c '.status.containerStatuses[0]')
	[[ $(jq -r '.restartCount' <<<"$s") -ge 1 && $(jq -r '.state | keys[0]' <<<"$s") == running ]]
}

@test "each run has its own file: the last run's message is lastState's, also after a daemon restart" {
	# the first run says why it fails; the second finds the marker and runs on, saying nothing
	create_pod "$(message_pod again 'if [ -e /data/ran ]; then cat /dev/termination-log; exec sleep 600; fi; touch /data/ran; echo "run one failed" >/dev/termination-log; exit 4' \
		'    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    emptyDir: {}' OnFailure)"
	wait_for second_run_up again || {
		get_pod again | jq .status
		return 1
	}
	local last
	last=$(get_pod again | jq -c '.status.containerStatuses[0].lastState.terminated')
	[[ $(jq -r '"\(.exitCode) \(.message)"' <<<"$last") == "4 run one failed" ]]
	# the second run's file is new and empty: it printed nothing of the first run's
	[[ -z $(pod_log again) ]]
	# one file per run in the pod's run dir
	local uid
	uid=$(get_pod again | jq -r .metadata.uid)
	[[ $(ls "$TEST_TMP/run/pods/$uid/termination") == $'c.0\nc.1' ]]

	stop_daemon
	pods_setup
	wait_for second_run_up again
	last=$(get_pod again | jq -c '.status.containerStatuses[0].lastState.terminated')
	[[ $(jq -r .message <<<"$last") == "run one failed" ]]

	# deleted, the pod's run dir and its files are gone
	call DELETE /api/v1/namespaces/default/pods/again?gracePeriodSeconds=0
	[[ $code == 200 ]]
	wait_for test ! -e "$TEST_TMP/run/pods/$uid"
}

@test "a message written while the daemon is down is read when it comes back" {
	create_pod "$(message_pod later 'sleep 3; echo "said while you were away" >/dev/termination-log; exit 1')"
	wait_phase later Running
	local uid
	uid=$(get_pod later | jq -r .metadata.uid)
	stop_daemon
	# the container ends meanwhile: its exit record and its file wait in the run dir
	wait_for test -e "$TEST_TMP/run/pods/$uid/exits/c.0.json"
	[[ -s $TEST_TMP/run/pods/$uid/termination/c.0 ]]
	pods_setup
	wait_for terminated later
	state=$(get_pod later | jq -c '.status.containerStatuses[0].state.terminated')
	[[ $(message_of) == "said while you were away" ]]
}

@test "a privileged container's /dev is the node's: no file is made there" {
	[[ ! -e /dev/termination-log ]] || skip "this node has a /dev/termination-log of its own"
	run_to_end priv "$(message_pod priv 'test -e /dev/termination-log && exit 5; echo ran' \
		'    securityContext: {privileged: true}')"
	[[ $(jq -r .exitCode <<<"$state") == 0 ]]
	[[ $(message_of) == "(none)" ]]
	[[ ! -e /dev/termination-log ]]
}
