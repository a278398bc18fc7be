#!/usr/bin/env bash
# tests/bench/oom.sh [RUNS]: how soon an OOM kill shows in a pod's status. Starts a nanoletd in a
# temporary directory; for each run creates a pod whose one container allocates 256 MiB under a
# 64Mi limit, watches the container cgroup's oom_kill counter (v1 memory.oom_control, v2
# memory.events) until the kernel's kill moves it, then polls the pod until its status says
# OOMKilled. Reports p50 and p99 of that interval: the kubelet would show it after its next
# relist (every 1 s), nanolet as soon as the shim's exit record arrives.
#
# The watching and polling is tests/bench/oom_latency.c (a shell's curl costs tens of ms here),
# looking every 100 us. A benchmark, not a test: it asserts nothing about speed. Run as root
# from the repository root: sudo tests/bench/oom.sh 20
set -euo pipefail

RUNS=${1:-20}
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"
# shellcheck disable=SC2119 # no flags: the default config
bench_start_daemon

# the counter file of the pod's container, from its live cgroup directories
counter_file() {
	local iso dir
	iso=$(api "http://n/api/v1/namespaces/default/pods/$1/isolation?pretty=false")
	dir=$(jq -r '[.live.containers[0].cgroupDirs[] | select(test("/memory/"))][0] // empty' <<<"$iso")
	if [[ -n $dir ]]; then
		echo "$dir/memory.oom_control"
	else
		echo "$(jq -r '.live.containers[0].cgroupDirs[0]' <<<"$iso")/memory.events"
	fi
}

: >"$TMP/latencies"
for i in $(seq 1 "$RUNS"); do
	api --data-binary @- "http://n/api/v1/namespaces/default/pods?pretty=false" >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: oom-$i}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: hog
    image: host
    command: [sh, -c, 'sleep 1; exec dd if=/dev/zero of=/dev/null bs=256M count=1']
    resources:
      limits: {memory: 64Mi}
EOF
	"$BUILD/oom_latency" "$SOCK" "oom-$i" "$(counter_file "oom-$i")" >>"$TMP/latencies"
	api -X DELETE "http://n/api/v1/namespaces/default/pods/oom-$i?gracePeriodSeconds=0" >/dev/null
done

sort -n "$TMP/latencies" >"$TMP/sorted"
p50=$(awk -v n="$RUNS" 'NR == int((n + 1) * 0.50) {print $1 * 1000}' "$TMP/sorted")
p99=$(awk -v n="$RUNS" 'NR == (int(n * 0.99) > 0 ? int(n * 0.99) : 1) {print $1 * 1000}' "$TMP/sorted")
max=$(tail -n 1 "$TMP/sorted" | awk '{print $1 * 1000}')

echo "machine: $(nproc) cores, $(uname -r), $(stat -f -c %T /sys/fs/cgroup) at /sys/fs/cgroup"
echo "runs: $RUNS (64Mi limit, 256 MiB allocation, restartPolicy Never)"
printf 'oom_kill counter -> status OOMKilled: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n' "$p50" "$p99" "$max"
echo "the kubelet: its next relist, up to 1000 ms"
