#!/usr/bin/env bats
# tests/integration/daemon.bats: whole nanoletd daemons on temporary sockets and directories —
# the command line, the config file, the socket's life cycle, systemd's protocols (socket
# activation, sd_notify) and the HTTP answers that do not need a pod.

load common

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# The running daemon's cgroup root, and the directory of a root that nanoletd locks (the first
# hierarchy's: unified with v2, memory with v1).
daemon_cgroup_root() {
	nanolet_curl http://nanolet/version | jq -r .nanolet.cgroupRoot
}

cgroup_root_dir() {
	if [[ $(nanolet_curl http://nanolet/version | jq -r .nanolet.cgroupDriver) == v2 ]]; then
		echo "/sys/fs/cgroup$1"
	else
		echo "/sys/fs/cgroup/memory$1"
	fi
}

@test "GET /healthz and /readyz answer ok" {
	start_daemon
	run nanolet_curl http://nanolet/healthz
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run nanolet_curl http://nanolet/readyz
	[ "$output" = ok ]
}

@test "GET /version reports the build and the cgroup layout statfs shows" {
	start_daemon
	run nanolet_curl http://nanolet/version
	[ "$status" -eq 0 ]
	echo "$output"
	local driver mode
	driver=$(expected_cgroup_driver)
	mode=$(expected_cgroup_mode)
	[ "$(jq -r .cgroupDriver <<<"$output")" = "$driver" ]
	[ "$(jq -r .nanolet.cgroupDriver <<<"$output")" = "$driver" ]
	[ "$(jq -r .nanolet.cgroupMode <<<"$output")" = "$mode" ]
	# the Kubernetes level nanolet follows, its own version as semver build metadata
	[ "$(jq -r .major <<<"$output")" = 1 ]
	[ "$(jq -r .minor <<<"$output")" = 32 ]
	[ "$(jq -r .gitVersion <<<"$output")" = "v1.32.0+nanolet.$(jq -r .nanolet.version <<<"$output")" ]
	[[ $(jq -r .gitCommit <<<"$output") =~ ^([0-9a-f]{12}|unknown)$ ]]
	[[ $(jq -r .platform <<<"$output") == linux/* ]]
	# The root is <own cgroup>/nanolet: the memory controller's entry on v1, 0:: on v2.
	local own
	if [ "$driver" = v1 ]; then
		own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	else
		own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	fi
	[ "$(jq -r .nanolet.cgroupRoot <<<"$output")" = "${own%/}/nanolet" ]
}

@test "--cgroup-root is reported as the root" {
	start_daemon --cgroup-root /nanolet-test/pods
	run nanolet_curl http://nanolet/version
	[ "$(jq -r .nanolet.cgroupRoot <<<"$output")" = /nanolet-test/pods ]
	stop_daemon
	remove_cgroup_root /nanolet-test/pods
	[[ ! -e /sys/fs/cgroup/memory/nanolet-test && ! -e /sys/fs/cgroup/nanolet-test ]]
}

@test "forcing the driver the host does not have is refused with a clear message" {
	local other
	if [ "$(expected_cgroup_driver)" = v1 ]; then other=v2; else other=v1; fi
	run timeout 10 "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) --cgroup-driver "$other"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cgroup_driver $other needs"* ]]
	[ ! -e "$SOCK" ]
}

@test "an unknown path is a 404 NotFound Status" {
	start_daemon
	call GET /nope
	[ "$code" = 404 ]
	[ "$(jq -r .kind <<<"$body")" = Status ]
	[ "$(jq -r .apiVersion <<<"$body")" = v1 ]
	[ "$(jq -r .status <<<"$body")" = Failure ]
	[ "$(jq -r .reason <<<"$body")" = NotFound ]
	[ "$(jq -r .code <<<"$body")" = 404 ]
}

@test "a known path with another method is a 405 MethodNotAllowed Status with Allow" {
	start_daemon
	call DELETE /healthz
	[ "$code" = 405 ]
	grep -q $'^Allow: GET, HEAD\r$' "$TEST_TMP/headers"
	[ "$(jq -r .reason <<<"$body")" = MethodNotAllowed ]
	[ "$(jq -r .code <<<"$body")" = 405 ]
	call PUT /apis/nanolet.io/v1/isolationplans
	[ "$code" = 405 ]
	grep -q $'^Allow: POST\r$' "$TEST_TMP/headers"
}

@test "a namespace that is not a DNS-1123 label is a 400" {
	start_daemon
	call POST /api/v1/namespaces/Not_A_Label/pods --data-binary '{}'
	[ "$code" = 400 ]
	[ "$(jq -r .reason <<<"$body")" = BadRequest ]
}

@test "JSON is indented for curl and ?pretty=true, compact for programs and ?pretty=false" {
	start_daemon
	call GET /version
	[[ $body == $'{\n  "major": "1",'* ]]
	[[ $(tail -c 1 "$TEST_TMP/body" | od -An -c | tr -d ' ') == '\n' ]]
	call GET '/version?pretty=false'
	[[ $body == '{"major":"1",'* ]]
	call GET /version -A nanolet-client/1.0
	[[ $body == '{"major":"1",'* ]]
	call GET '/version?pretty=true' -A nanolet-client/1.0
	[[ $body == $'{\n  "major": "1",'* ]]
}

@test "--help and --version" {
	run "$NANOLETD" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--config FILE"* ]]
	[[ $output == *"--cgroup-driver"* ]]
	run "$NANOLETD" --version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output =~ ^nanoletd\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ commit\ ([0-9a-f]{12}|unknown)\)$ ]]
}

@test "a bad flag or flag value exits 2 with a message" {
	run timeout 10 "$NANOLETD" --no-such-flag
	[ "$status" -eq 2 ]
	[[ $output == *"unknown option --no-such-flag"* ]]
	run timeout 10 "$NANOLETD" --cgroup-driver v9
	[ "$status" -eq 2 ]
	[[ $output == *'--cgroup-driver: must be one of auto, v2, v1, got "v9"'* ]]
	run timeout 10 "$NANOLETD" --socket
	[ "$status" -eq 2 ]
	run timeout 10 "$NANOLETD" stray-argument
	[ "$status" -eq 2 ]
	run timeout 10 "$NANOLETD" --max-request-bytes -5
	[ "$status" -eq 2 ]
	[[ $output == *"--max-request-bytes: must be a byte count"* ]]
}

@test "an explicit --config that does not exist is an error" {
	run timeout 10 "$NANOLETD" --config "$TEST_TMP/absent.yaml" --socket "$SOCK" \
		$(daemon_dir_flags)
	[ "$status" -eq 1 ]
	[[ $output == *"$TEST_TMP/absent.yaml"* ]]
}

@test "an unknown config key refuses to start and names the key" {
	printf 'socket: %s\nsokcet: /tmp/x.sock\n' "$SOCK" >"$TEST_TMP/bad.yaml"
	run timeout 10 "$NANOLETD" --config "$TEST_TMP/bad.yaml" $(daemon_dir_flags)
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"config $TEST_TMP/bad.yaml: unknown key \"sokcet\""* ]]
	[ ! -e "$SOCK" ]
}

@test "a bad config value names the key and what is allowed" {
	printf 'log_level: loud\n' >"$TEST_TMP/bad.yaml"
	run timeout 10 "$NANOLETD" --config "$TEST_TMP/bad.yaml" --socket "$SOCK" $(daemon_dir_flags)
	[ "$status" -eq 1 ]
	[[ $output == *'log_level: must be one of error, warning, info, debug, got "loud"'* ]]
}

@test "flags override the config file" {
	local file_sock=$TEST_TMP/file/nanolet.sock
	printf 'socket: %s\nmax_request_bytes: 10\n' "$file_sock" >"$TEST_TMP/nanolet.yaml"
	start_daemon --config "$TEST_TMP/nanolet.yaml" --max-request-bytes 2Ki
	[ -S "$SOCK" ]
	[ ! -e "$file_sock" ]
	# The file's limit (10) would refuse this body, the flag's (2Ki) takes it.
	run nanolet_curl -o /dev/null -w '%{http_code}' -X POST --data-binary "$(head -c 500 /dev/zero | tr '\0' x)" \
		http://nanolet/apis/nanolet.io/v1/isolationplans
	[ "$output" != 413 ]
}

@test "the config file applies where no flag is given" {
	printf 'socket: %s\nmax_request_bytes: 10\n' "$SOCK" >"$TEST_TMP/nanolet.yaml"
	"$NANOLETD" --config "$TEST_TMP/nanolet.yaml" $(daemon_dir_flags) \
		>>"$TEST_TMP/daemon.log" 2>&1 3>&- &
	DAEMON_PID=$!
	track_pid "$DAEMON_PID"
	wait_for healthy
	run nanolet_curl -o /dev/null -w '%{http_code}' -X POST --data-binary 0123456789ab \
		http://nanolet/apis/nanolet.io/v1/isolationplans
	[ "$output" = 413 ]
}

@test "SIGTERM exits 0 and removes the socket; dirs were created 0755" {
	start_daemon
	[ "$(stat -c %a "$TEST_TMP/state")" = 755 ]
	[ "$(stat -c %a "$TEST_TMP/run")" = 755 ]
	[ "$(stat -c %a "$TEST_TMP/log")" = 755 ]
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	[ ! -e "$SOCK" ]
	grep -q 'stopping' "$TEST_TMP/daemon.log"
}

@test "SIGINT is a clean stop too" {
	start_daemon
	kill -INT "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -e "$SOCK" ]
}

@test "the socket file is mode 0660" {
	start_daemon
	[ -S "$SOCK" ]
	[ "$(stat -c %a "$SOCK")" = 660 ]
	if getent group nanolet >/dev/null; then
		[ "$(stat -c %G "$SOCK")" = nanolet ]
	fi
}

@test "a second daemon on a live socket refuses, and the first keeps serving" {
	start_daemon
	run timeout 10 "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags)
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"another nanoletd (pid $DAEMON_PID) uses the state directory $TEST_TMP/state: stop it, or give this one its own"* ]]
	# its own directories and cgroup root, the same socket
	run timeout 10 "$NANOLETD" --socket "$SOCK" --state-dir "$TEST_TMP/s2" --run-dir "$TEST_TMP/r2" \
		--log-dir "$TEST_TMP/l2" --cgroup-root "$(daemon_cgroup_root)-2"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"another nanoletd is serving on $SOCK"* ]]
	remove_cgroup_root "$(daemon_cgroup_root)-2"
	[ -S "$SOCK" ]
	run nanolet_curl http://nanolet/healthz
	[ "$output" = ok ]
	kill -0 "$DAEMON_PID"
}

@test "a second daemon with its own directories but the same cgroup root refuses before it looks for orphans: the first one's pod runs on" {
	start_daemon
	call POST /api/v1/namespaces/default/pods --data-binary '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"keep"},"spec":{"terminationGracePeriodSeconds":0,"containers":[{"name":"c","image":"host","command":["sleep","600"]}]}}'
	[[ $code == 201 ]]
	run timeout 10 "$NANOLETD" --socket "$TEST_TMP/other.sock" --state-dir "$TEST_TMP/s2" \
		--run-dir "$TEST_TMP/r2" --log-dir "$TEST_TMP/l2"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"another nanoletd uses the cgroup root (--cgroup-root) $(cgroup_root_dir "$(daemon_cgroup_root)"): stop it, or give this one its own"* ]]
	[[ $output != *orphan* ]]
	call GET /api/v1/namespaces/default/pods/keep
	[[ $(jq -r .status.phase <<<"$body") == Running ]]
	call DELETE /api/v1/namespaces/default/pods/keep
	[[ $code == 200 ]]
}

@test "a lock held a moment after its daemon died (by a child it forked) is waited for, not refused" {
	local dead holder
	mkdir -p "$TEST_TMP/state"
	# the lock file names a daemon that is gone; a process of its own still holds the flock
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	echo "$dead" >"$TEST_TMP/state/nanoletd.lock"
	flock "$TEST_TMP/state/nanoletd.lock" sh -c "touch '$TEST_TMP/held'; sleep 1" 3>&- &
	holder=$!
	track_pid "$holder"
	wait_for test -e "$TEST_TMP/held"
	start_daemon
	grep -q "$TEST_TMP/state/nanoletd.lock is held, by no live nanoletd: waiting for it" "$TEST_TMP/daemon.log"
	[[ $(cat "$TEST_TMP/state/nanoletd.lock") == "$DAEMON_PID" ]]
}

@test "a stale socket file is replaced" {
	start_daemon
	kill -KILL "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	[ -S "$SOCK" ] # left behind by the killed daemon, nobody listening
	start_daemon
	run nanolet_curl http://nanolet/healthz
	[ "$output" = ok ]
	grep -q "removing stale socket $SOCK" "$TEST_TMP/daemon.log"
}

@test "a path that is not a socket is not replaced" {
	mkdir -p "$(dirname "$SOCK")"
	echo precious >"$SOCK"
	run timeout 10 "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags)
	[ "$status" -eq 1 ]
	[[ $output == *"exists and is not a socket"* ]]
	[ "$(cat "$SOCK")" = precious ]
}

@test "socket activation: the daemon serves on the socket systemd-socket-activate passes" {
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	mkdir -p "$(dirname "$SOCK")"
	systemd-socket-activate -l "$SOCK" "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) \
		>>"$TEST_TMP/daemon.log" 2>&1 3>&- &
	DAEMON_PID=$!
	track_pid "$DAEMON_PID"
	wait_for test -S "$SOCK"
	# systemd-socket-activate execs nanoletd (same pid) at the first connection.
	run nanolet_curl http://nanolet/healthz
	[ "$output" = ok ]
	grep -q "socket activation" "$TEST_TMP/daemon.log"
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	# The socket belongs to whoever passed it: nanoletd must not unlink it.
	[ -S "$SOCK" ]
}

@test "READY=1 reaches NOTIFY_SOCKET once serving, STOPPING=1 after SIGTERM" {
	local notify=$TEST_TMP/notify.sock out=$TEST_TMP/notify.out
	"$NOTIFY_LISTEN" "$notify" "$out" 3>&- &
	local listener=$!
	track_pid "$listener"
	wait_for test -S "$notify"
	NOTIFY_SOCKET=$notify start_daemon
	wait_for grep -qx 'READY=1' "$out"
	grep -q '^STATUS=Serving on' "$out"
	run grep -qx 'STOPPING=1' "$out"
	[ "$status" -ne 0 ]
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	wait_for grep -qx 'STOPPING=1' "$out"
	kill -TERM "$listener"
	wait_gone "$listener"
}

@test "a Content-Length over max_request_bytes is a 413 without reading the body" {
	start_daemon --max-request-bytes 100
	head -c 1000 /dev/zero | tr '\0' x >"$TEST_TMP/big"
	run nanolet_curl -i -X POST --data-binary @"$TEST_TMP/big" \
		http://nanolet/apis/nanolet.io/v1/isolationplans
	echo "$output"
	[[ ${lines[0]} == "HTTP/1.1 413"* ]]
	[[ $output == *$'Connection: close\r'* ]]
	[ "$(jq -r .reason <<<"${lines[-1]}")" = RequestEntityTooLarge ]
	[ "$(jq -r .code <<<"${lines[-1]}")" = 413 ]
	# With Expect: 100-continue the client is told 413 instead of 100: the body is never sent.
	run nanolet_curl -i -X POST -H 'Expect: 100-continue' --data-binary @"$TEST_TMP/big" \
		http://nanolet/apis/nanolet.io/v1/isolationplans
	[[ ${lines[0]} == "HTTP/1.1 413"* ]]
	# The daemon is fine afterwards.
	run nanolet_curl http://nanolet/healthz
	[ "$output" = ok ]
}

@test "a chunked body that crosses max_request_bytes is a 413" {
	start_daemon --max-request-bytes 100
	head -c 5000 /dev/zero | tr '\0' x >"$TEST_TMP/big"
	run nanolet_curl -i -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$TEST_TMP/big" \
		http://nanolet/apis/nanolet.io/v1/isolationplans
	echo "$output"
	[[ ${lines[0]} == "HTTP/1.1 413"* ]]
	[ "$(jq -r .reason <<<"${lines[-1]}")" = RequestEntityTooLarge ]
	# Under the limit, chunked goes through to the handler (whatever it answers, not 413).
	run nanolet_curl -o /dev/null -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' \
		--data-binary 'small' http://nanolet/apis/nanolet.io/v1/isolationplans
	[ "$output" != 413 ]
	run nanolet_curl http://nanolet/healthz
	[ "$output" = ok ]
}
