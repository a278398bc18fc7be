#!/usr/bin/env bash
# tests/bench/load.sh [SECONDS]: the front door under everything at once (issue 11). A nanoletd
# of its own (bench.bash) with a few running pods, then for SECONDS:
#   - 50 well-behaved clients on keep-alive connections, back to back: pod list, a pod, events,
#     /metrics, /stats/summary, isolation plans, dry-run creates, a DELETE of no pod (load.c mix)
#   - real writes: a pod created and deleted over and over
#   - 500 connections held open and idle (opened again when the daemon drops them)
#   - 100 slow clients trickling a header byte a second
#   - 20 follows of a chatty container, and one follower that reads nothing
# and meanwhile a /healthz every 50 ms on a new connection (load.c probe). Reports /healthz
# p50/p99/max and the daemon's RSS before, during (the peak) and after. A benchmark, not a
# test: it asserts nothing. Run as root from the repository root: sudo tests/bench/load.sh 30
set -euo pipefail

SECS=${1:-30}
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"
LOAD=$BUILD/load
CLIENTS=$BUILD/http_clients

rss_kib() {
	awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status"
}

pod() { # pod NAME COMMAND
	api --data-binary @- "http://n/api/v1/namespaces/default/pods?pretty=false" >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: host, command: [sh, -c, '$2']}
EOF
}

bench_start_daemon --max-pods 50
for i in 0 1 2 3 4; do pod "load-$i" 'sleep 3600'; done
pod loud 'while :; do date; seq 1 50; sleep 0.02; done'
sleep 1

before_probe=$("$LOAD" probe "$SOCK" 5 50)
before_rss=$(rss_kib)

end=$((SECONDS + SECS))
pids=()
"$LOAD" mix "$SOCK" 50 "$SECS" >"$TMP/mix.out" &
pids+=($!)
(
	i=0
	while ((SECONDS < end)); do
		pod "churn-$i" 'sleep 3600'
		api -X DELETE "http://n/api/v1/namespaces/default/pods/churn-$i?gracePeriodSeconds=0" >/dev/null
		i=$((i + 1))
	done
	echo "$i pods created and deleted" >"$TMP/churn.out"
) &
pids+=($!)
(while ((SECONDS < end)); do "$CLIENTS" hold "$SOCK" 500 $((end - SECONDS > 11 ? 11 : end - SECONDS)) >/dev/null; done) &
pids+=($!)
"$CLIENTS" trickle "$SOCK" 100 1000 "$SECS" >"$TMP/trickle.out" &
pids+=($!)
for _ in $(seq 20); do
	curl -s --max-time "$SECS" --unix-socket "$SOCK" "http://n/api/v1/namespaces/default/pods/loud/log?follow=true" >/dev/null &
	pids+=($!)
done
"$CLIENTS" noread "$SOCK" /api/v1/namespaces/default/pods/loud/log?follow=true "$SECS" >/dev/null &
pids+=($!)
"$LOAD" probe "$SOCK" "$SECS" 50 >"$TMP/probe.out" &
probe=$!
peak=0
while kill -0 "$probe" 2>/dev/null; do
	r=$(rss_kib)
	((r > peak)) && peak=$r
	sleep 1
done
wait "$probe"
during_probe=$(cat "$TMP/probe.out")
wait "${pids[@]}" 2>/dev/null || true

sleep 2
after_probe=$("$LOAD" probe "$SOCK" 5 50)
after_rss=$(rss_kib)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -r); build $BUILD; $SECS s of load"
echo "load: $(cat "$TMP/mix.out"); $(cat "$TMP/churn.out" 2>/dev/null || echo "churn: ?")"
echo "      500 held idle connections, 100 trickling clients ($(cat "$TMP/trickle.out")), 20 follows + 1 that does not read"
echo "before: $before_probe; RSS $before_rss KiB"
echo "during: $during_probe; RSS peak $peak KiB"
echo "after:  $after_probe; RSS $after_rss KiB"
