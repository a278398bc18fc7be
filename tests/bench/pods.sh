#!/usr/bin/env bash
# tests/bench/pods.sh [N]: starts a nanoletd in a temporary directory, creates N pods (one
# `sleep` container each), and reports
#   - POST -> Running latency, p50 and p99 (the POST answers once the containers run; a GET
#     confirms the phase),
#   - pods created per second,
#   - resident memory (Pss from /proc/PID/smaps_rollup) of the daemon and of the shims, per pod,
# then deletes every pod and checks that nothing is left. A benchmark, not a test: it asserts
# nothing about speed. Run as root from the repository root: sudo tests/bench/pods.sh 100
set -euo pipefail

N=${1:-50}
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"

pss_kib() {
	awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"
}

bench_start_daemon --max-pods "$((N + 10))"
idle_pss=$(pss_kib "$DAEMON_PID")

: >"$TMP/latencies"
start=$(date +%s.%N)
for i in $(seq 1 "$N"); do
	t0=$(date +%s.%N)
	curl -s --unix-socket "$SOCK" --data-binary @- \
		"http://n/api/v1/namespaces/default/pods?pretty=false" >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: bench-$i}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: host, command: [sleep, "3600"]}
EOF
	until [[ $(curl -s --unix-socket "$SOCK" "http://n/api/v1/namespaces/default/pods/bench-$i?pretty=false" | jq -r .status.phase) == Running ]]; do
		sleep 0.01
	done
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.6f\n", $2 - $1}' >>"$TMP/latencies"
done
end=$(date +%s.%N)

daemon_pss=$(pss_kib "$DAEMON_PID")
shim_pss=0
for f in "$RUN_DIR"/pods/*/shim.pid; do
	shim_pss=$((shim_pss + $(pss_kib "$(cat "$f")")))
done

sort -n "$TMP/latencies" >"$TMP/sorted"
p50=$(awk -v n="$N" 'NR == int((n + 1) * 0.50) {print $1 * 1000}' "$TMP/sorted")
p99=$(awk -v n="$N" 'NR == (int(n * 0.99) > 0 ? int(n * 0.99) : 1) {print $1 * 1000}' "$TMP/sorted")
rate=$(awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN {printf "%.1f", n / (e - s)}')

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -r), $(stat -f -c %T /sys/fs/cgroup) at /sys/fs/cgroup"
echo "pods: $N (one sleep container each)"
printf 'POST -> Running: p50 %.1f ms, p99 %.1f ms\n' "$p50" "$p99"
echo "pods per second: $rate (one client, one pod at a time)"
printf 'daemon Pss: %d KiB idle, %d KiB with %d pods (%.1f KiB per pod)\n' "$idle_pss" \
	"$daemon_pss" "$N" "$(awk -v a="$daemon_pss" -v b="$idle_pss" -v n="$N" 'BEGIN {print (a - b) / n}')"
printf 'shim Pss: %.1f KiB per pod\n' "$(awk -v s="$shim_pss" -v n="$N" 'BEGIN {print s / n}')"

t0=$(date +%s.%N)
for i in $(seq 1 "$N"); do
	curl -s --unix-socket "$SOCK" -X DELETE \
		"http://n/api/v1/namespaces/default/pods/bench-$i?gracePeriodSeconds=0" >/dev/null
done
t1=$(date +%s.%N)
printf 'delete (grace 0): %.1f ms per pod\n' "$(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN {print (b - a) * 1000 / n}')"
left=$(find "$RUN_DIR/pods" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
echo "left after delete: $left run dirs"
