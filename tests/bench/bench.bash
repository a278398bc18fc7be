# tests/bench/bench.bash: what every benchmark does around its measuring — a nanoletd of its own
# in a temporary directory and a network namespace of its own (its pod network's bridge, veths
# and nftables table are made there, never on the machine's), and on exit (passed or not)
# every pod deleted, the daemon stopped, the namespace and the directory removed. Source it,
# then call bench_start_daemon [FLAGS...].
#
# Run-time state lives on a tmpfs of its own ($RUN_TMPFS: the daemon's run directory
# $RUN_DIR, and the peers' in start.sh), as /run is a tmpfs on every systemd host; this
# development machine has no systemd and its /run is its root disk. The state, log and image
# directories stay on $TMP's disk. BENCH_RUN_TMPFS=0 keeps everything on the disk.

BUILD=${NANOLET_BUILD:-build}
TMP=$(mktemp -d /tmp/nanolet-bench.XXXXXX)
SOCK=$TMP/nanolet.sock
RUN_TMPFS=$TMP/tmpfs
RUN_DIR=$TMP/run
if [[ ${BENCH_RUN_TMPFS:-1} == 1 ]]; then
	mkdir "$RUN_TMPFS"
	mount -t tmpfs -o mode=0755 nanolet-bench "$RUN_TMPFS"
	RUN_DIR=$RUN_TMPFS/nanolet
fi
DAEMON_PID=
NETNS=nanolet-bench-$$
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up

bench_cleanup() {
	if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		for name in $(curl -s --unix-socket "$SOCK" 'http://n/api/v1/pods?pretty=false' | jq -r '.items[].metadata.name'); do
			curl -s --max-time 30 --unix-socket "$SOCK" -X DELETE \
				"http://n/api/v1/namespaces/default/pods/$name?gracePeriodSeconds=0" >/dev/null
		done
		kill "$DAEMON_PID"
		wait "$DAEMON_PID" || true
	fi
	ip netns del "$NETNS" 2>/dev/null || true
	if mountpoint -q "$RUN_TMPFS"; then
		umount -l "$RUN_TMPFS"
	fi
	rm -rf "$TMP"
}
trap bench_cleanup EXIT

api() {
	curl -s --max-time 10 --unix-socket "$SOCK" "$@"
}

# A nanoletd on $TMP in $NETNS, not waited for (its log appended to $TMP/daemon.log; nsenter
# execs it, so $DAEMON_PID is the daemon's).
bench_spawn_daemon() {
	nsenter --net="/run/netns/$NETNS" "$BUILD/nanoletd" --socket "$SOCK" --state-dir "$TMP/state" --run-dir "$RUN_DIR" \
		--log-dir "$TMP/log" --log-level warning "$@" 2>>"$TMP/daemon.log" &
	DAEMON_PID=$!
}

bench_start_daemon() {
	bench_spawn_daemon "$@"
	for _ in $(seq 100); do
		[[ $(api http://n/healthz 2>/dev/null) == ok ]] && return 0
		sleep 0.1
	done
	echo "nanoletd did not start:" >&2
	cat "$TMP/daemon.log" >&2
	return 1
}

# The machine, for every report: cores, memory, kernel, the cgroup layout.
bench_machine() {
	local layout="cgroup v1"

	if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
		layout="cgroup v2"
	elif [[ -d /sys/fs/cgroup/unified ]]; then
		layout="hybrid cgroups (v1 + unified)"
	fi
	echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), $layout"
}
