#!/usr/bin/env bats
# kubectl's exec: .../pods/{name}/exec upgraded to a WebSocket of v5.channel.k8s.io (or v4), driven
# by a real client (Debian's python3-websocket, helpers/exec_ws.py) over the daemon's socket: the
# process's stdout and stderr on their channels, stdin to it and its end (v5's close), the exit
# code in the final Status as the API server words it, a terminal with its size, output far
# larger than any buffer arriving whole, many sessions at once, a client that hangs up ending
# its process, a stopped daemon ending its sessions, and the refusals an upgrade gets. Where the
# process runs (the container's namespaces and cgroups) is exec.bats'. The cgroup driver plays
# no part here: driver_independent.

load common
load pods_helpers

EXEC_WS=${BATS_TEST_DIRNAME}/helpers/exec_ws.py
# Debian's interpreter, which has python3-websocket (a python3 earlier on PATH may not)
PYTHON=/usr/bin/python3

setup() {
	driver_independent
	common_setup
	[[ -x $PYTHON ]] && $PYTHON -c 'import websocket' || skip "no python3-websocket: make test installs it"
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# exec_ws [OPTIONS] -- COMMAND...: an exec in pod p through the WebSocket client; its stdout in
# $TEST_TMP/out, stderr in $TEST_TMP/err, the Status in $TEST_TMP/status, exit code in $rc.
exec_ws() {
	rc=0
	$PYTHON "$EXEC_WS" "$SOCK" default p --status "$TEST_TMP/status" --timeout "$CURL_SECONDS" \
		"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null || rc=$?
}

running_pod() {
	pods_setup "$@"
	create_pod "$(pod_yaml p 'sleep 600')"
	wait_phase p Running
}

# upgrade PATH_AND_QUERY [CURL_ARGS...]: an upgrade request as a WebSocket client sends it;
# whatever the daemon answers instead of 101 is in $code and $body.
upgrade() {
	local path=$1
	shift
	call GET "$path" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$@"
}

@test "exec over a WebSocket: stdout and stderr on their channels, the exit code in the API server's Status" {
	running_pod
	exec_ws -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
	[[ $rc == 3 ]]
	[[ $(cat "$TEST_TMP/out") == to-stdout ]]
	[[ $(cat "$TEST_TMP/err") == to-stderr ]]
	jq -e '.status == "Failure" and .reason == "NonZeroExitCode" and .details.causes == [{"reason": "ExitCode", "message": "3"}] and .message == "command terminated with non-zero exit code: error executing command [sh -c echo to-stdout; echo to-stderr >&2; exit 3], exit code 3"' "$TEST_TMP/status"

	exec_ws -- true
	[[ $rc == 0 ]]
	jq -e '. == {"metadata": {}, "status": "Success"}' "$TEST_TMP/status"
	# v4.channel.k8s.io, which kubectl before 1.30 and many clients speak, the same
	exec_ws --protocol v4.channel.k8s.io -- sh -c 'echo v4; exit 2'
	[[ $rc == 2 && $(cat "$TEST_TMP/out") == v4 ]]
}

@test "exec over a WebSocket: stdin reaches the process, and v5's close of channel 0 ends it" {
	running_pod
	rc=0
	printf 'line one\nline two\n' | $PYTHON "$EXEC_WS" "$SOCK" default p --stdin \
		--timeout "$CURL_SECONDS" -- sh -c 'cat; echo done' >"$TEST_TMP/out" || rc=$?
	[[ $rc == 0 ]]
	[[ $(cat "$TEST_TMP/out") == $'line one\nline two\ndone' ]]
	# the process's stdin is /dev/null when the client sends none
	exec_ws -- sh -c 'cat; echo eof'
	[[ $rc == 0 && $(cat "$TEST_TMP/out") == eof ]]
}

@test "exec over a WebSocket with a tty: the process has a terminal, and a resize reaches it" {
	running_pod
	# the size comes as the process starts (kubectl's race too): it shows within a few seconds
	exec_ws --tty --resize 132x43 -- sh -c 'tty -s && echo has-a-tty
		for i in $(seq 100); do [ "$(stty size)" != "0 0" ] && break; sleep 0.1; done; stty size'
	[[ $rc == 0 ]]
	# a terminal ends lines with CR LF
	[[ $(tr -d '\r' <"$TEST_TMP/out") == $'has-a-tty\n43 132' ]] || {
		cat -A "$TEST_TMP/out" "$TEST_TMP/err"
		false
	}
	# without one, no terminal
	exec_ws -- sh -c 'tty -s || echo no-tty'
	[[ $(cat "$TEST_TMP/out") == no-tty ]]
}

@test "exec over a WebSocket: 32 MiB of output arrive whole, through buffers far smaller" {
	running_pod
	exec_ws -- sh -c 'head -c 33554432 /dev/zero | tr "\0" x; echo; echo end >&2'
	[[ $rc == 0 ]]
	[[ $(wc -c <"$TEST_TMP/out") == 33554433 ]]
	[[ $(tr -d x <"$TEST_TMP/out") == "" ]]
	[[ $(cat "$TEST_TMP/err") == end ]]
}

@test "exec over a WebSocket: twenty sessions at once, each with its own output" {
	local i pid
	local -a clients=()
	running_pod
	for i in $(seq 1 20); do
		$PYTHON "$EXEC_WS" "$SOCK" default p --timeout "$CURL_SECONDS" -- \
			sh -c "sleep 1; echo session-$i" >"$TEST_TMP/out.$i" 2>&1 &
		clients+=($!)
		track_pid $!
	done
	for pid in "${clients[@]}"; do
		wait "$pid"
	done
	for i in $(seq 1 20); do
		[[ $(cat "$TEST_TMP/out.$i") == "session-$i" ]]
	done
}

# sleeping SECONDS: whether a `sleep SECONDS` runs (a unique length marks a test's own).
sleeping() {
	local p
	for p in /proc/[0-9]*; do
		[[ $(cat "$p/comm" 2>/dev/null) == sleep ]] &&
			[[ $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) == "sleep $1 " ]] && return 0
	done
	return 1
}

@test "exec over a WebSocket: a client that hangs up ends its process; an idle session outlives the idle timeout" {
	local client
	running_pod --http-idle-timeout 1
	$PYTHON "$EXEC_WS" "$SOCK" default p --timeout 60 -- sleep 4242.25 >/dev/null 2>&1 &
	client=$!
	track_pid "$client"
	wait_for sleeping 4242.25
	kill -KILL "$client"
	wait_for eval "! sleeping 4242.25"

	# quiet for longer than http_idle_timeout: still served
	rc=0
	echo late | $PYTHON "$EXEC_WS" "$SOCK" default p --stdin --hold 3 --timeout "$CURL_SECONDS" \
		-- cat >"$TEST_TMP/out" || rc=$?
	[[ $rc == 0 && $(cat "$TEST_TMP/out") == late ]]
}

@test "exec over a WebSocket: a daemon that stops ends its sessions and their processes" {
	local client
	running_pod
	$PYTHON "$EXEC_WS" "$SOCK" default p --timeout 60 -- sleep 4243.25 >/dev/null 2>&1 &
	client=$!
	track_pid "$client"
	wait_for sleeping 4243.25
	kill -TERM "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	# the client was told (a close frame, then the end): no Status, so 124
	wait_gone "$client"
	rc=0
	wait "$client" || rc=$?
	[[ $rc == 124 ]]
	wait_for eval "! sleeping 4243.25"
	! grep -q 'ERROR\|upgraded.*not closed' "$TEST_TMP/daemon.log"
}

@test "exec upgrades refused as the API server refuses them" {
	running_pod
	# not an upgrade
	call GET '/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "Upgrade request required" ]]
	# no subprotocol we speak
	upgrade '/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true' \
		-H 'Sec-WebSocket-Protocol: v3.channel.k8s.io, base64.channel.k8s.io'
	[[ $code == 400 ]]
	jq -e '.message | startswith("requested protocol(s) are not supported")' <<<"$body"
	# a key that is not 16 bytes
	call GET '/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true' \
		-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: c2hvcnQ=' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 400 ]]
	# the API server's checks of the options
	upgrade '/api/v1/namespaces/default/pods/p/exec?stdout=true' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "you must specify at least one command for the container" ]]
	upgrade '/api/v1/namespaces/default/pods/p/exec?command=true' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "you must specify at least 1 of stdin, stdout, stderr" ]]
	upgrade '/api/v1/namespaces/default/pods/p/exec?command=true&tty=true&stderr=true' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "you must specify at least 1 of stdin, stdout, stderr" ]]
	upgrade '/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true&container=nope' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "container nope is not valid for pod p, choose one of: [c]" ]]
	upgrade '/api/v1/namespaces/default/pods/gone/exec?command=true&stdout=true' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 404 && $(jq -r .message <<<"$body") == 'pods "gone" not found' ]]
	# and the client's own view of a refusal
	exec_ws --container nope -- true
	[[ $rc == 126 ]]
	grep -q 400 "$TEST_TMP/err"
	# the daemon serves on
	exec_ws -- echo still
	[[ $rc == 0 && $(cat "$TEST_TMP/out") == still ]]
}
