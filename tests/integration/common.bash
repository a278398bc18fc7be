# tests/integration/common.bash: helpers for the bats suites that run whole nanoletd daemons.
#
# Every test gets its own temporary directory (socket, state, run and log dirs, config files).
# Every process a test starts is recorded by pid in $TEST_TMP/pids; teardown kills those (and
# only those) and removes the directory, whether the test passed or not. Every wait is bounded.

NANOLET_BUILD=${NANOLET_BUILD:-build}
NANOLETD=${NANOLET_BUILD}/nanoletd
NOTIFY_LISTEN=${NANOLET_BUILD}/notify_listen
# How long any wait may last, in tenths of a second (ASan builds start slower).
WAIT_TENTHS=${NANOLET_WAIT_TENTHS:-150}
# How long one request may take, in seconds: a create answers once its shim has started, which
# under emulation (the v2 VM) and ASan takes seconds, so it grows with the waits.
CURL_SECONDS=$((WAIT_TENTHS / 15 > 10 ? WAIT_TENTHS / 15 : 10))

common_setup() {
	[[ -x $NANOLETD ]] || {
		echo "no nanoletd at $NANOLETD: build first or set NANOLET_BUILD" >&2
		return 1
	}
	TEST_TMP=$(mktemp -d /tmp/nanolet-bats.XXXXXX)
	SOCK=$TEST_TMP/run/nanolet.sock
	: >"$TEST_TMP/pids"
	# A test must never talk to systemd or log to a journal by accident.
	unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES INVOCATION_ID JOURNAL_STREAM
}

common_teardown() {
	local pid
	[[ -n ${TEST_TMP:-} && -d $TEST_TMP ]] || return 0
	while read -r pid; do
		[[ -n $pid ]] || continue
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
		fi
	done <"$TEST_TMP/pids"
	if [[ -n ${BATS_TEST_COMPLETED:-} ]]; then
		rm -rf "$TEST_TMP"
	else
		# Keep the daemon's log in the failure output, then clean up anyway.
		for f in "$TEST_TMP"/*.log; do
			[[ -f $f ]] && { echo "# --- $f"; sed 's/^/# /' "$f"; } >&3
		done
		rm -rf "$TEST_TMP"
	fi
}

# The pod network of a test daemon outside a namespace of the test's own: none (pods get lo).
TEST_NETWORK=(--network '{mode: none}')

# The directories flags every test daemon gets, so nothing touches /run, /var or /etc.
daemon_dir_flags() {
	echo --state-dir "$TEST_TMP/state" --run-dir "$TEST_TMP/run" --log-dir "$TEST_TMP/log"
}

track_pid() {
	echo "$1" >>"$TEST_TMP/pids"
}

# wait_gone PID: true once PID has exited, false after the bounded wait.
wait_gone() {
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# wait_for CMD...: runs CMD until it succeeds, false after the bounded wait.
wait_for() {
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# wait_until SECONDS CMD...: runs CMD until it succeeds, false once SECONDS have passed: a
# deadline on the clock, for what the machine's load decides (how soon a CPU-limited container
# gets to run), where a count of tries would end sooner the faster each try is.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# remove_cgroup_root ROOT: after a daemon with --cgroup-root ROOT stopped, its root in every
# hierarchy and the parents it made, as far as they are empty (a cgroup in use is never removed).
remove_cgroup_root() {
	local mnt path
	for mnt in /sys/fs/cgroup /sys/fs/cgroup/*; do
		path=$1
		while [[ $path != / && -d $mnt$path ]]; do
			rmdir "$mnt$path" 2>/dev/null || break
			path=$(dirname "$path")
		done
	done
	return 0
}

# driver_independent: the test's outcome does not depend on the cgroup driver. The host runs it;
# the v2 VM, which emulates and is several times slower, skips it (NANOLET_DRIVER_TESTS_ONLY).
driver_independent() {
	[[ -z ${NANOLET_DRIVER_TESTS_ONLY:-} ]] || skip "independent of the cgroup driver: the host runs it"
}

nanolet_curl() {
	curl -sS --max-time "$CURL_SECONDS" --unix-socket "$SOCK" "$@"
}

# call METHOD PATH [CURL_ARGS...]: one request; the status code in $code, the body in $body
# and $TEST_TMP/body, the headers in $TEST_TMP/headers.
call() {
	local method=$1 path=$2
	shift 2
	code=$(nanolet_curl -X "$method" -o "$TEST_TMP/body" -D "$TEST_TMP/headers" \
		-w '%{http_code}' "$@" "http://nanolet$path")
	body=$(cat "$TEST_TMP/body")
}

healthy() {
	[[ $(curl -s --max-time 2 --unix-socket "$SOCK" http://nanolet/healthz) == ok ]]
}

# start_daemon [ARGS...]: runs nanoletd on $SOCK in the background (log in
# $TEST_TMP/daemon.log, pid in $DAEMON_PID) and waits until /healthz answers. ARGS come after
# the test's own flags, so they win. The daemon must not hold bats' fd 3 or it blocks the run.
# A daemon in the machine's own network namespace has no pod network (TEST_NETWORK): it makes
# no bridge or veth on a machine others use. DAEMON_NETNS=PATH: the daemon runs in that network
# namespace (nsenter --net, which execs: the pid is the daemon's) with the pod network
# (network.bats).
start_daemon() {
	local -a netns=() network=("${TEST_NETWORK[@]}")
	[[ -z ${DAEMON_NETNS:-} ]] || { netns=(nsenter --net="$DAEMON_NETNS") network=(); }
	# shellcheck disable=SC2046
	"${netns[@]}" "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) "${network[@]}" "$@" \
		>>"$TEST_TMP/daemon.log" 2>&1 3>&- &
	DAEMON_PID=$!
	track_pid "$DAEMON_PID"
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		healthy && return 0
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "nanoletd exited before serving:" >&2
			cat "$TEST_TMP/daemon.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "nanoletd did not answer /healthz in time" >&2
	return 1
}

# stop_daemon [PID]: SIGTERM, bounded wait; sets DAEMON_STATUS to the exit status.
stop_daemon() {
	local pid=${1:-$DAEMON_PID}
	kill -TERM "$pid"
	wait_gone "$pid" || {
		echo "nanoletd $pid did not exit after SIGTERM" >&2
		return 1
	}
	DAEMON_STATUS=0
	wait "$pid" || DAEMON_STATUS=$?
}

# The cgroup layout as the daemon must report it, computed from statfs here.
expected_cgroup_mode() {
	case $(stat -f -c %T /sys/fs/cgroup) in
	cgroup2fs) echo unified ;;
	*)
		if [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
			echo hybrid
		else
			echo legacy
		fi
		;;
	esac
}

expected_cgroup_driver() {
	if [[ $(expected_cgroup_mode) == unified ]]; then echo v2; else echo v1; fi
}
