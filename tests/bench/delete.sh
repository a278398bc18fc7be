#!/usr/bin/env bash
# tests/bench/delete.sh [PODS]: how long a DELETE ?gracePeriodSeconds=0 of a running pod takes
# to answer (nanolet answers it once nothing of the pod is left on the node: its processes, its
# cgroups, its files and its row), and what the daemon's CPU costs for it. Starts a nanoletd in
# a temporary directory and a network namespace of its own, creates PODS pods (a `sleep` each),
# waits until every one runs, then deletes them one after the other with curl, timing each;
# the daemon's CPU (/proc/PID/stat) is read before the first delete and after the last: its own
# (utime+stime, its threads' included) and its reaped children's (cutime+cstime: a child it
# forked for the work, none of a shim's, which outlive it and are not its to reap).
#
# NANOLET_BUILD picks the build, so that two can be compared in turn. A benchmark, not a test:
# it asserts nothing about speed. Run as root from the repository root: sudo tests/bench/delete.sh 50
set -euo pipefail

PODS=${1:-50}
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"

# the daemon's utime + stime and its reaped children's cutime + cstime, in clock ticks (fields
# 14 to 17; the comm has no space)
cpu_ticks() {
	awk '{ print $14 + $15, $16 + $17 }' "/proc/$DAEMON_PID/stat"
}

load_before=$(cat /proc/loadavg)
# shellcheck disable=SC2119 # no flags: the default config
bench_start_daemon
for i in $(seq "$PODS"); do
	api -o /dev/null -X POST -H 'Content-Type: application/yaml' --data-binary @- \
		http://n/api/v1/namespaces/default/pods <<EOF
apiVersion: v1
kind: Pod
metadata: {name: del-$i}
spec:
  containers: [{name: c, image: host, command: [sleep, "100000"]}]
EOF
done
for _ in $(seq 300); do
	running=$(api 'http://n/api/v1/pods?pretty=false' |
		jq '[.items[] | select(.status.phase == "Running")] | length')
	[[ $running == "$PODS" ]] && break
	sleep 0.1
done
if [[ $running != "$PODS" ]]; then
	echo "delete.sh: only $running of $PODS pods run" >&2
	exit 1
fi
sleep 1 # the starts' after-work (probes, samples) out of the way

read -r own_before children_before < <(cpu_ticks)
for i in $(seq "$PODS"); do
	api -o /dev/null -w '%{http_code} %{time_total}\n' -X DELETE \
		"http://n/api/v1/namespaces/default/pods/del-$i?gracePeriodSeconds=0"
done >"$TMP/delete.out"
read -r own_after children_after < <(cpu_ticks)
load_after=$(cat /proc/loadavg)

if awk '$1 != 200 { bad = 1 } END { exit !bad }' "$TMP/delete.out"; then
	echo "delete.sh: a DELETE did not answer 200:" >&2
	cat "$TMP/delete.out" >&2
	exit 1
fi
echo "machine: $(bench_machine); nanolet $(git rev-parse --short HEAD 2>/dev/null || echo '?'), build $BUILD"
echo "load: before $load_before; after $load_after"
awk '{ print $2 * 1000 }' "$TMP/delete.out" | sort -n |
	awk -v pods="$PODS" -v own=$((own_after - own_before)) \
		-v children=$((children_after - children_before)) -v hz="$(getconf CLK_TCK)" '
	{ v[NR] = $1; s += $1 } END {
		split("0.50 0.90 0.99", q, " ")
		for (i = 1; i <= 3; i++) { r = int(q[i] * NR + 0.999999); p[i] = v[r < 1 ? 1 : r] }
		printf "DELETE ?gracePeriodSeconds=0: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, mean %.1f ms (%d pods)\n",
			p[1], p[2], p[3], v[NR], s / NR, pods
		printf "daemon CPU over the deletes: %.0f ms, %.2f ms a delete (its own %.2f, its children %.2f)\n",
			(own + children) * 1000 / hz, (own + children) * 1000 / hz / pods,
			own * 1000 / hz / pods, children * 1000 / hz / pods }'
