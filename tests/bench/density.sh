#!/usr/bin/env bash
# tests/bench/density.sh [N] [CLIENTS]: nanolet with many pods (issue 13). A nanoletd of its own
# (bench.bash, max_pods N + 10), then
#   1. N pods (a `sleep` each) created by CLIENTS clients at once (podclient create; a POST
#      answers once the pod's container runs): the time until the pod list shows all N Running,
#      and pods per second;
#   2. the daemon's RSS and Pss, idle and at N pods; the shims' Pss per pod (average);
#   3. GET of a random pod, many times on one keep-alive connection (podclient get): p50/p99 at
#      N pods, beside the same client against a server of its own that answers at once (what
#      the client and the kernel cost);
#   4. /healthz on a new connection every 20 ms while 200 more pods are created and deleted
#      again by 4 clients (podclient churn; at most 4 of them live at a time), at N pods;
#   5. restart under N pods: SIGKILL the daemon, start it again, the time to /healthz
#      answering and to the list showing all N Running, and whether the shims are the ones of
#      before (re-adopted, not started again);
#   6. every pod deleted (CLIENTS clients), and what is left: pods, run directories, cgroups.
# A benchmark, not a test: it asserts nothing about speed. Run as root from the repository
# root: sudo tests/bench/density.sh 100
set -euo pipefail

N=${1:-100}
CLIENTS=${2:-4}
CHURN=200
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"
CLIENT=$BUILD/podclient
MAX_PODS=$((N + 10))

density_cleanup() {
	# a daemon killed and not started again leaves its pods' shims running: one more daemon
	# re-adopts them so that bench_cleanup can delete them
	if [[ -n $DAEMON_PID ]] && ! kill -0 "$DAEMON_PID" 2>/dev/null &&
		[[ -n $(ls -A "$RUN_DIR/pods" 2>/dev/null) ]]; then
		bench_start_daemon --max-pods "$MAX_PODS" || true
	fi
	bench_cleanup
}
trap density_cleanup EXIT

pss_kib() {
	awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"
}
rss_kib() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}
shim_pids() {
	cat "$RUN_DIR"/pods/*/shim.pid 2>/dev/null | sort
}
pod_cgroups() {
	find /sys/fs/cgroup -path '*nanolet*' -name 'pod*' -type d 2>/dev/null | wc -l
}

load_before=$(cat /proc/loadavg)
cgroups_before=$(pod_cgroups)
bench_start_daemon --max-pods "$MAX_PODS"
idle_rss=$(rss_kib "$DAEMON_PID")
idle_pss=$(pss_kib "$DAEMON_PID")

# 1. N pods
t0=$EPOCHREALTIME
create=$("$CLIENT" create "$SOCK" dens "$N" "$CLIENTS" || true)
running=$("$CLIENT" ready "$SOCK" "$t0" "$N" | grep '^running' || true)
load_full=$(cat /proc/loadavg)

# 2. memory at N pods
sleep 2 # the shims' and the daemon's pages settle (log relays, first stats)
rss=$(rss_kib "$DAEMON_PID")
pss=$(pss_kib "$DAEMON_PID")
shim_total=0
shims=0
for pid in $(shim_pids); do
	shim_total=$((shim_total + $(pss_kib "$pid")))
	shims=$((shims + 1))
done

# 3. GET pod
get=$("$CLIENT" get "$SOCK" dens "$N" 20000 || true)
body_bytes=$(api "http://n/api/v1/namespaces/default/pods/dens-1?pretty=false" | wc -c)
floor=$("$CLIENT" floor 20000 "$body_bytes" || true)

# 4. /healthz under churn
churn=$("$CLIENT" churn "$SOCK" churn "$CHURN" 4 20 || true)

# 5. restart under N pods
before=$(shim_pids)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
t0=$EPOCHREALTIME
bench_spawn_daemon --max-pods "$MAX_PODS"
restart=$("$CLIENT" ready "$SOCK" "$t0" "$N" || true)
after=$(shim_pids)
same=$(comm -12 <(echo "$before") <(echo "$after") | grep -c . || true)
restart_rss=$(rss_kib "$DAEMON_PID")

# 6. delete all
delete=$("$CLIENT" delete "$SOCK" dens "$N" "$CLIENTS" || true)
sleep 1
left_pods=$(api 'http://n/api/v1/pods?pretty=false' | jq '.items | length')
left_dirs=$(find "$RUN_DIR/pods" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
left_cgroups=$(($(pod_cgroups) - cgroups_before))
load_after=$(cat /proc/loadavg)

kib_mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
echo "machine: $(bench_machine); nanolet $(git -C "$(dirname "$0")" log -1 --format=%h 2>/dev/null || echo '?'), build $BUILD"
echo "load: before $load_before; at $N pods $load_full; after $load_after"
echo "pods: $N (a sleep each), $CLIENTS clients; max_pods $MAX_PODS"
echo "create: $create"
if [[ $running =~ ^running\ ([0-9]+)\ ([0-9.]+)\ ms ]]; then
	awk -v n="$N" -v ms="${BASH_REMATCH[2]}" 'BEGIN {
		printf "all %d Running after %.2f s: %.1f pods per second\n", n, ms / 1000, n / (ms / 1000)}'
else
	echo "not all Running: ${running:-no answer}"
fi
echo "daemon: RSS $(kib_mib "$idle_rss") idle, $(kib_mib "$rss") at $N pods (target <= 16 MB at 1000); Pss $(kib_mib "$idle_pss") idle, $(kib_mib "$pss") at $N pods ($(awk -v a="$pss" -v b="$idle_pss" -v n="$N" 'BEGIN {printf "%.1f", (a - b) / n}') KiB per pod)"
echo "shims: $shims, Pss $(awk -v s="$shim_total" -v n="$shims" 'BEGIN {printf "%.1f", n ? s / n : 0}') KiB per pod on average (target <= 200 kB)"
echo "at $N pods: $get (target p99 <= 2 ms at 1000)"
echo "client floor (a $body_bytes-byte answer from a thread of its own): $floor"
echo "churn of $CHURN pods at $N pods: ${churn//$'\n'/; }"
echo "restart under $N pods (SIGKILL, start): ${restart//$'\n'/; }; shims re-adopted (same pids): $same of $(grep -c . <<<"$before"); RSS after $(kib_mib "$restart_rss")"
echo "delete: $delete"
echo "left: $left_pods pods, $left_dirs run directories, $left_cgroups pod cgroups more than before"
