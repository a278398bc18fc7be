#!/usr/bin/env bash
# tests/bench/exit.sh [RUNS]: how soon the shim knows that a container ended (issue 13). Starts
# a nanoletd in a temporary directory and runs RUNS pods of one `/bin/true` one after the other
# (podclient start: POST, GET until Succeeded, DELETE) while `perf` records, on every CPU, the
# kernel's sched_process_exit and the shim's sendto, sendmsg and write. For each run: from the
# moment `true` begins its exit to the shim's first of those calls after it (the exit is the
# shim's to report once the kernel has let its parent know: what the exit does before that,
# such as tearing the container's mount namespace down, is in the interval).
#
# Needs perf (Debian's linux-perf, installed when missing; BENCH_INSTALL=0: not). NANOLET_BUILD
# picks the build, so that two can be compared in turn. A benchmark, not a test: it asserts
# nothing about speed. Run as root from the repository root: sudo tests/bench/exit.sh 30
set -euo pipefail

RUNS=${1:-30}
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"
CLIENT=$BUILD/podclient

if ! command -v perf >/dev/null && [[ ${BENCH_INSTALL:-1} == 1 ]]; then
	echo "exit.sh: installing linux-perf from Debian" >&2
	{ apt-get install -y -qq linux-perf || { apt-get update -qq &&
		apt-get install -y -qq linux-perf; }; } >"$TMP/apt.log" 2>&1 || true
fi
if ! command -v perf >/dev/null; then
	echo "exit.sh: no perf (apt-get install linux-perf)" >&2
	exit 1
fi

load_before=$(cat /proc/loadavg)
# shellcheck disable=SC2119 # no flags: the default config
bench_start_daemon
"$CLIENT" start "$SOCK" exit-warm 200 >/dev/null # the seccomp cache, the first cgroups

perf record -q -a -o "$TMP/exit.data" -e sched:sched_process_exit \
	-e syscalls:sys_enter_sendto -e syscalls:sys_enter_sendmsg -e syscalls:sys_enter_write \
	-- bash -c "for i in \$(seq $RUNS); do '$CLIENT' start '$SOCK' exit-\$i 200 >/dev/null; done"
load_after=$(cat /proc/loadavg)

# comm pid time event: `true`'s exit, then the first send or write of a nanolet-shim after it
perf script -i "$TMP/exit.data" -F comm,pid,time,event 2>/dev/null |
	awk '$1 == "true" && $4 ~ /sched_process_exit/ { t = $3 + 0; open = 1; next }
	     open && $1 == "nanolet-shim" && $4 ~ /sys_enter_(sendto|sendmsg|write)/ {
		printf "%.3f\n", ($3 - t) * 1000; open = 0 }' >"$TMP/exit.ms"

echo "machine: $(bench_machine); nanolet $(git rev-parse --short HEAD 2>/dev/null || echo '?'), build $BUILD"
echo "load: before $load_before; after $load_after"
sort -n "$TMP/exit.ms" | awk -v runs="$RUNS" '{v[NR] = $1; s += $1} END {
	if (NR == 0) { print "no run seen"; exit 1 }
	split("0.50 0.90 0.99", q, " ")
	for (i = 1; i <= 3; i++) { r = int(q[i] * NR + 0.999999); p[i] = v[r < 1 ? 1 : r] }
	printf "container exit -> the shim reports it: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms (%d of %d runs)\n",
		p[1], p[2], p[3], v[NR], s / NR, NR, runs }'
