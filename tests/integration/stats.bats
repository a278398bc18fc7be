#!/usr/bin/env bats
# /stats/summary and /metrics over real pods, as root: the kubelet's Summary shape with
# nanolet's fields, cAdvisor's metric names with their three labels, promtool's verdict on the
# text, and the two agreeing with each other and with the cgroup files.

load common
load pods_helpers

setup() {
	common_setup
	pods_setup
}

teardown() {
	pods_teardown
	common_teardown
}

PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}

# spin_pod SECONDS: spins that long on a 100m limit, then idles: throttled while it spins,
# steady after.
spin_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: stats}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: spin
    image: host
    command: [sh, -c, 'timeout $1 sh -c "while :; do :; done"; echo idle; exec sleep 600']
    resources:
      limits: {cpu: 100m, memory: 64Mi}
EOF
}

summary() {
	nanolet_curl "http://nanolet/stats/summary?pretty=false$1"
}

# container_json FIELD: one field of the stats pod's spin container in /stats/summary.
container_json() {
	summary | jq -r --arg f "$1" '.pods[] | select(.podRef.name == "stats") | .containers[0] | getpath($f | split("."))'
}

# metric NAME: its value for the stats pod's spin container.
metric() {
	nanolet_curl http://nanolet/metrics |
		awk -v m="$1{namespace=\"default\",pod=\"stats\",container=\"spin\"}" '$1 == m {print $2}'
}

@test "/stats/summary: the kubelet's shape with nanolet's fields; throttledPeriods and the metric rise under a 100m limit" {
	# long enough to spin through the test on a slow (emulated) machine
	create_pod "$(spin_pod 60)"
	wait_phase stats Running
	# throttled at least once: soon on a quiet machine, later when its cores are busy (the
	# container's share of them is small); the deadlines below are as generous
	throttled() {
		[[ $(container_json cpu.throttledPeriods) -gt 0 ]]
	}
	wait_until 60 throttled
	s=$(summary)
	echo "$s" | jq .
	jq -e '.node.nodeName != "" and .node.startTime != null' <<<"$s"
	jq -e '.node.cpu.usageCoreNanoSeconds > 0 and .node.memory.usageBytes > 0 and .node.memory.workingSetBytes > 0' <<<"$s"
	pod=$(jq -c '.pods[] | select(.podRef.name == "stats")' <<<"$s")
	jq -e --arg uid "$(get_pod stats | jq -r .metadata.uid)" '.podRef == {name: "stats", namespace: "default", uid: $uid}' <<<"$pod"
	jq -e '.startTime != null and .cpu.usageCoreNanoSeconds > 0 and .memory.usageBytes > 0' <<<"$pod"
	c=$(jq -c '.containers[0]' <<<"$pod")
	jq -e '.name == "spin" and .startTime != null' <<<"$c"
	jq -e '.cpu | (.time != null) and .usageCoreNanoSeconds > 0 and .periods > 0 and .throttledPeriods > 0 and .throttledTimeNanoSeconds > 0' <<<"$c"
	jq -e '.memory | .usageBytes > 0 and .workingSetBytes >= 0 and .rssBytes >= 0 and .pageFaults > 0 and (.majorPageFaults >= 0)' <<<"$c"
	jq -e '.memory.limitBytes == 67108864 and .memory.oomKills == 0 and .memory.availableBytes > 0' <<<"$c"
	jq -e '.process.count >= 1 and .process.limit > 0 and .process.limitHits == 0' <<<"$c"

	# a rate needs two readings a second apart
	using_cpu() {
		[[ $(container_json cpu.usageNanoCores) -gt 0 ]]
	}
	wait_until 60 using_cpu
	# still spinning: both the summary's counter and the metric go up
	t1=$(container_json cpu.throttledPeriods)
	m1=$(metric container_cpu_cfs_throttled_periods_total)
	rise() {
		t2=$(container_json cpu.throttledPeriods)
		m2=$(metric container_cpu_cfs_throttled_periods_total)
		((t2 > t1)) && ((m2 > m1))
	}
	wait_until 60 rise
	echo "summary $t1 -> $t2, metric $m1 -> $m2"
	wait_until 60 event_seen stats CPUThrottling

	# only_cpu_and_memory: what is neither goes
	summary '&only_cpu_and_memory=true' | jq -e '[.pods[].containers[] | has("process")] | any | not'
	summary '&only_cpu_and_memory=true' | jq -e '.pods[] | select(.podRef.name == "stats") | .containers[0].cpu.usageCoreNanoSeconds > 0'
}

@test "/metrics: promtool accepts it, every container metric has namespace, pod and container, and it agrees with /stats/summary" {
	[[ -x $PROMTOOL ]] || {
		echo "no promtool: make test builds it (build/tools/promtool) and sets PROMTOOL" >&2
		return 1
	}
	create_pod "$(spin_pod 3)"
	# 3 s of spinning on a 100m limit, then the echo: on busy cores the container's small
	# share of them makes its end come late, so a deadline, generous
	wait_until 120 log_has stats idle || {
		echo "no 'idle' in the log of stats:"
		pod_log stats
		return 1
	}
	call GET /api/v1/namespaces/default/pods/nope
	[[ $code == 404 ]]

	m=$(nanolet_curl http://nanolet/metrics)
	echo "$m"
	"$PROMTOOL" check metrics <<<"$m"
	grep -q '^# TYPE container_cpu_usage_seconds_total counter$' <<<"$m"
	grep -q '^# TYPE nanolet_pod_start_duration_seconds histogram$' <<<"$m"
	# every container_* sample carries the three labels
	! grep '^container_' <<<"$m" | grep -v 'namespace="[^"]*",pod="[^"]*",container="[^"]*"'
	for name in container_cpu_usage_seconds_total container_cpu_cfs_periods_total \
		container_cpu_cfs_throttled_periods_total container_cpu_cfs_throttled_seconds_total \
		container_memory_usage_bytes container_memory_working_set_bytes \
		container_spec_memory_limit_bytes container_oom_events_total container_processes; do
		grep -q "^$name{namespace=\"default\",pod=\"stats\",container=\"spin\"} " <<<"$m"
	done
	grep -qx 'nanolet_pods{phase="Running"} 1' <<<"$m"
	grep -qx 'nanolet_api_requests_total{code="201",method="POST"} 1' <<<"$m"
	grep -q '^nanolet_api_requests_total{code="404",method="GET"} [1-9]' <<<"$m"
	grep -qx 'nanolet_pod_start_duration_seconds_count 1' <<<"$m"
	grep -qx 'nanolet_pod_start_duration_seconds_bucket{le="+Inf"} 1' <<<"$m"

	# the spinning is over: the two read the same cgroup files
	s=$(summary | jq -c '.pods[] | select(.podRef.name == "stats") | .containers[0]')
	m=$(nanolet_curl http://nanolet/metrics)
	value() { awk -v m="$1{namespace=\"default\",pod=\"stats\",container=\"spin\"}" '$1 == m {print $2}' <<<"$m"; }
	echo "$s"
	[[ $(value container_spec_memory_limit_bytes) == "$(jq .memory.limitBytes <<<"$s")" ]]
	[[ $(value container_oom_events_total) == "$(jq .memory.oomKills <<<"$s")" ]]
	[[ $(value container_processes) == "$(jq .process.count <<<"$s")" ]]
	awk -v a="$(value container_cpu_usage_seconds_total)" -v b="$(jq .cpu.usageCoreNanoSeconds <<<"$s")" \
		'BEGIN { d = a * 1e9 - b; exit !(d < 1e7 && d > -1e7) }'
	awk -v a="$(value container_cpu_cfs_throttled_periods_total)" -v b="$(jq .cpu.throttledPeriods <<<"$s")" \
		'BEGIN { d = a - b; exit !(d <= 2 && d >= -2 && b > 0) }'
	awk -v a="$(value container_memory_usage_bytes)" -v b="$(jq .memory.usageBytes <<<"$s")" \
		'BEGIN { d = a - b; exit !(d < 1048576 && d > -1048576) }'
	# a container that has ended keeps reporting its last values until its pod is deleted
	create_pod "$(pod_yaml ended 'timeout 1 sh -c "while :; do :; done"; exit 3' Never)"
	wait_until 60 phase_is ended Failed
	ended=$(summary | jq -c '.pods[] | select(.podRef.name == "ended") | .containers[0]')
	echo "$ended"
	jq -e '.cpu.usageCoreNanoSeconds > 100000000 and .process.count == 0' <<<"$ended"
	nanolet_curl http://nanolet/metrics |
		awk '$1 == "container_cpu_usage_seconds_total{namespace=\"default\",pod=\"ended\",container=\"c\"}" && $2 > 0.1 {found = 1} END {exit !found}'
	# and the cgroup file itself
	iso=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/stats/isolation?pretty=false")
	if [[ $(expected_cgroup_driver) == v1 ]]; then
		mem=$(jq -r '.live.containers[0].cgroupDirs[] | select(test("/memory/"))' <<<"$iso")
		[[ $(cat "$mem/memory.limit_in_bytes") == "$(value container_spec_memory_limit_bytes)" ]]
	else
		dir=$(jq -r '.live.containers[0].cgroupDirs[0]' <<<"$iso")
		[[ $(cat "$dir/memory.max") == "$(value container_spec_memory_limit_bytes)" ]]
	fi
}
