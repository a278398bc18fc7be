#!/usr/bin/env bats
# Real pods, as root: what the process inside a container sees (namespaces, credentials,
# cgroup files, hostname, interfaces), what nanolet reports (phases, exit codes, restarts,
# events, logs), and that a deleted pod leaves nothing behind.

load common
load pods_helpers

setup() {
	common_setup
	pods_setup
}

teardown() {
	pods_teardown
	common_teardown
	remove_unit_cgroup
	# a test's own cgroups, once its daemon is gone: where it moved the daemon, its own root
	if [[ -n ${MOVED_CGROUP:-} ]]; then
		find "$MOVED_CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		kill_pod_processes # nanolet's root, now empty
	fi
	if [[ -n ${EXPLICIT_ROOT:-} ]]; then
		for dir in /sys/fs/cgroup{,/*}"$EXPLICIT_ROOT"; do
			[[ -d $dir ]] || continue
			find "$dir" -mindepth 1 -depth -type d -path '*/pod*' -exec rmdir {} \; 2>/dev/null || true
			rmdir "$dir/besteffort" 2>/dev/null || true
		done
		remove_cgroup_root "$EXPLICIT_ROOT"
	fi
}

# After the whole file: no pod cgroup, shim or mount of any test is left on the node.
teardown_file() {
	assert_no_test_leftovers
}

@test "a pod runs in its own pid, net, ipc and uts namespaces, with only lo, up" {
	driver_independent
	create_pod "$(pod_yaml look 'echo pid=$$; echo pids=$(ls /proc | grep -c "^[0-9]"); hostname; ls /sys/class/net; cat /sys/class/net/lo/flags; for n in pid net ipc uts mnt cgroup; do echo $n=$(readlink /proc/self/ns/$n); done; sleep 30')"
	wait_phase look Running
	wait_log look 'cgroup='
	log=$(pod_log look)
	echo "$log"
	grep -qx 'pid=1' <<<"$log"
	# its own processes only: sh, and what it runs
	[[ $(grep "^pids=" <<<"$log" | cut -d= -f2) -le 5 ]]
	grep -qx 'look' <<<"$log"
	[[ $(grep -c -v -E '^(pid=|look$|0x|[a-z]+=|NSpid)' <<<"$log") == 1 ]] # one interface
	grep -qx 'lo' <<<"$log"
	(( $(grep -x '0x[0-9a-f]*' <<<"$log") & 1 )) # IFF_UP
	for n in pid net ipc uts mnt cgroup; do
		[[ $(grep "^$n=" <<<"$log" | cut -d= -f2) != "$(readlink /proc/self/ns/$n)" ]]
	done
	# from the node: the container's process has two pids, the node's and 1 in its namespace
	pid=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/look/isolation?pretty=false" | jq -r '.live.containers[0].pid')
	[[ $(awk '/^NSpid/ {print NF, $3}' "/proc/$pid/status") == "3 1" ]]
	[[ $(get_pod look | jq -r .status.phase) == Running ]]
	[[ $(get_pod look | jq -r '.status.containerStatuses[0].state.running.startedAt') =~ Z$ ]]
	[[ $(get_pod look | jq -r '.status.containerStatuses[0].containerID') =~ ^nanolet://[0-9a-f]{64}$ ]]
	[[ $(get_pod look | jq -r '.status.conditions[] | select(.type == "Ready") | .status') == True ]]
}

@test "two containers of one pod share net, ipc and uts; with shareProcessNamespace one pid namespace too" {
	driver_independent
	create_pod "$(cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: host, command: [sh, -c, 'for n in pid net ipc uts; do echo \$n=\$(readlink /proc/self/ns/\$n); done; sleep 30']}
  - {name: b, image: host, command: [sh, -c, 'for n in pid net ipc uts; do echo \$n=\$(readlink /proc/self/ns/\$n); done; sleep 1; ps -eo args; sleep 30']}
EOF
)"
	wait_phase shared Running
	wait_log shared 'sleep 30' b
	for n in pid net ipc uts; do
		[[ $(pod_log shared a | grep "^$n=") == "$(pod_log shared b | grep "^$n=")" ]]
	done
	# b sees a's sleep: one pid namespace
	[[ $(pod_log shared b | grep -c '^sleep 30') -ge 1 ]]
	[[ $(pod_log shared b | grep -c 'for n in pid') -ge 1 ]]
}

@test "hostPID, hostNetwork and hostIPC pods see the node's namespaces; a node message queue shows only with hostIPC" {
	driver_independent
	local q
	q=$(ipcmk -Q | awk '{print $NF}')
	echo "$q" >"$TEST_TMP/msgq"
	create_pod "$(cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: host}
spec:
  hostPID: true
  hostNetwork: true
  hostIPC: true
  restartPolicy: Never
  containers:
  - {name: c, image: host, command: [sh, -c, 'for n in pid net ipc uts; do echo \$n=\$(readlink /proc/self/ns/\$n); done; echo pids=\$(ls /proc | grep -c "^[0-9]"); ipcs -q']}
EOF
)"
	create_pod "$(pod_yaml isolated 'ipcs -q' Never)"
	wait_phase host Succeeded
	wait_phase isolated Succeeded
	for n in pid net ipc uts; do
		[[ $(pod_log host | grep "^$n=" | cut -d= -f2) == "$(readlink /proc/self/ns/$n)" ]]
	done
	pod_log host | grep -q "$q"
	# the node's processes, all of them
	[[ $(pod_log host | grep '^pids=' | cut -d= -f2) -gt 10 ]]
	! pod_log isolated | grep -q "$q"
}

@test "credentials: runAsUser, runAsGroup, fsGroup; a file written to the emptyDir belongs to the fsGroup" {
	driver_independent
	create_pod "$(sed 's/restartPolicy: Never/restartPolicy: Never\n  terminationGracePeriodSeconds: 1/' "$PODS/identity.yaml")"
	wait_phase identity Succeeded
	log=$(pod_log identity writer)
	echo "$log"
	grep -Eq '^uid=1000(\([^)]*\))? gid=3000 groups=.*2000' <<<"$log"
	grep -qx vault <<<"$log"
	# ls -ln: mode, links, uid, gid
	[[ $(grep ' f$' <<<"$log" | awk '{print $3, $4}') == "1000 2000" ]]
	[[ $(get_pod identity | jq -r '.status.containerStatuses[0].state.terminated.reason') == Completed ]]
}

@test "hostUsers: false maps 65536 ids: uid 0 inside is an unprivileged id outside; the plan and /isolation name the node's ids" {
	create_pod "$(pod_yaml userns 'cat /proc/self/uid_map /proc/self/gid_map; id -u; sleep 30' Never | sed 's/^spec:/spec:\n  hostUsers: false/')"
	wait_log userns '^0$'
	log=$(pod_log userns)
	echo "$log"
	[[ $(head -1 <<<"$log" | awk '{print $1, $3}') == "0 65536" ]]
	base=$(head -1 <<<"$log" | awk '{print $2}')
	[[ $base -ge 100000 ]]
	[[ $(sed -n 3p <<<"$log") == 0 ]]
	# the plan knows the range the node picked, and the live maps are the kernel's
	iso=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/userns/isolation?pretty=false")
	[[ $(jq -r '.pod.userNamespace.uidMappings[0].hostID' <<<"$iso") == "$base" ]]
	[[ $(jq -c '.live.uidMappings' <<<"$iso") == "[{\"containerID\":0,\"hostID\":$base,\"size\":65536}]" ]]
	[[ $(jq -c '.live.gidMappings' <<<"$iso") == "[{\"containerID\":0,\"hostID\":$base,\"size\":65536}]" ]]
	jq -r '.explanation[]' <<<"$iso" | grep -qF "uid 0 in a container is uid $base on the node"
}

@test "the container's cgroups hold the plan's values, and the process is in them" {
	create_pod "$(sed 's/sleep 3600/sleep 30/' "$PODS/limits.yaml")"
	wait_phase limits Running
	mem=$(container_cgroup_dir limits memory)
	cpu=$(container_cgroup_dir limits cpu)
	pids=$(dirname "$(container_cgroup_dir limits pids)")
	# limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 250m}
	cgroup_expect "$mem" memory.max=134217728 memory.limit_in_bytes=134217728
	cgroup_expect "$cpu" 'cpu.max=50000 100000' cpu.cfs_quota_us=50000
	cgroup_expect "$cpu" - cpu.cfs_period_us=100000
	cgroup_expect "$cpu" cpu.weight=35 cpu.shares=256
	# v2: the OOM killer ends the whole container, not one of its processes
	cgroup_expect "$mem" memory.oom.group=1 -
	cgroup_expect "$pids" pids.max=4096 pids.max=4096
	pid=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/limits/isolation?pretty=false" | jq -r '.live.containers[0].pid')
	grep -qx "$pid" "$mem/cgroup.procs"
	# processes live in leaves only: the container's leaf, the shim's infra/; nanolet's root,
	# the QoS cgroup and the pod cgroup hold none (cgroup v2's no-internal-processes rule,
	# kept on v1 too)
	shim=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/limits/isolation?pretty=false" | jq -r .live.shimPid)
	grep -qx "$shim" "$pids/infra/cgroup.procs"
	for inner in "$pids" "$(dirname "$pids")" "$(dirname "$(dirname "$pids")")"; do
		[[ -z $(cat "$inner/cgroup.procs") ]] || {
			echo "$inner holds processes: $(cat "$inner/cgroup.procs")"
			return 1
		}
	done
	# v2: each inner node enables the controllers for its children, a leaf for none
	cgroup_expect "$pids" 'cgroup.subtree_control=cpu memory pids' -
	cgroup_expect "$mem" cgroup.subtree_control= -
	# in its cgroup namespace the container's own cgroup is the root
	wait_log limits '::\|memory'
	pod_log limits | grep -q "$(cgroup_ns_root_line memory)"
}

@test "v2, started in a delegated cgroup as under systemd: the daemon moves into its daemon/ leaf, pods go under nanolet/" {
	[[ $CGROUP_DRIVER == v2 ]] || skip "cgroup v1 has no no-internal-processes rule: the daemon stays where it is started"
	stop_daemon
	start_daemon_in_unit_cgroup
	grep -q "cgroup driver v2 (host unified), root ${UNIT_CGROUP#/sys/fs/cgroup}/nanolet" "$TEST_TMP/daemon.log"
	# the driver opens with the first pod: then the daemon leaves the unit's cgroup to its leaf
	create_pod "$(sed 's/sleep 3600/sleep 30/' "$PODS/limits.yaml")"
	wait_phase limits Running
	[[ $(cat "$UNIT_CGROUP/daemon/cgroup.procs") == "$DAEMON_PID" ]]
	[[ -z $(cat "$UNIT_CGROUP/cgroup.procs") ]]
	cgroup_expect "$UNIT_CGROUP" 'cgroup.subtree_control=cpu memory pids' -
	mem=$(container_cgroup_dir limits memory)
	[[ $mem == "$UNIT_CGROUP"/nanolet/burstable/pod*/app ]]
	cgroup_expect "$mem" memory.max=134217728 -
	pid=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/limits/isolation?pretty=false" | jq -r '.live.containers[0].pid')
	grep -qx "$pid" "$mem/cgroup.procs"
	call DELETE '/api/v1/namespaces/default/pods/limits?gracePeriodSeconds=0'
	[ "$code" = 200 ]
	[[ -z $(find "$UNIT_CGROUP/nanolet" -mindepth 1 -type d -path '*/pod*') ]]
}

# plan_cgroups NAME [UID]: the cgroup paths of an isolation plan on stdin (the pod's, in each
# hierarchy, and each container's), with the pod's uid written as a dry run writes it.
plan_cgroups() {
	jq -S --arg uid "${1:-<uid>}" '{pod: .pod.cgroup | {path, infraPath, hierarchies},
		containers: [.containers[] | {name, path: .cgroup.path}]}
		| walk(if type == "string" then gsub("pod" + $uid; "pod<uid>") else . end)'
}

# dry_run_plans_what_the_pod_gets ROOT: a dry run's plan and the created pod's name the same
# cgroups, under ROOT (the root the daemon reports), and the pod's container is in them.
dry_run_plans_what_the_pod_gets() {
	local root=$1 yaml uid dry real
	yaml=$(pod_yaml same 'sleep 30')
	call POST '/apis/nanolet.io/v1/isolationplans?pretty=false' --data-binary "$yaml"
	[ "$code" = 200 ]
	dry=$(plan_cgroups <<<"$body")
	create_pod "$yaml"
	uid=$(get_pod same | jq -r .metadata.uid)
	call GET /api/v1/namespaces/default/pods/same/isolation?pretty=false
	real=$(plan_cgroups "$uid" <<<"$body")
	diff <(echo "$dry") <(echo "$real")
	[[ $(jq -r .pod.path <<<"$real") == "$root"/besteffort/pod'<uid>' ]]
	# and the driver made them there: the container's directory in each hierarchy the plan names
	jq -r --arg v2 "$([[ $CGROUP_DRIVER == v2 ]] && echo 1)" \
		'.pod.cgroup.hierarchies | to_entries[] | "/sys/fs/cgroup" +
		(if $v2 == "1" then "" else "/" + .key end) + .value + "/c"' <<<"$body" |
		while read -r dir; do
			jq -e --arg d "$dir" '.live.containers[0].cgroupDirs | index($d) != null' <<<"$body" >/dev/null || {
				echo "$dir: not among the pod's cgroups: $(jq -c .live.containers[0].cgroupDirs <<<"$body")"
				return 1
			}
		done
	call DELETE '/api/v1/namespaces/default/pods/same?gracePeriodSeconds=0'
	[ "$code" = 200 ]
}

@test "a dry run plans the cgroups the pod then gets, under the roots resolved at start though the daemon was moved since" {
	local root
	root=$(nanolet_curl http://nanolet/version | jq -r .nanolet.cgroupRoot)
	# The daemon leaves the cgroup it started in before its first pod (as on v2 it moves
	# itself into daemon/): its pods stay under the root it was started with.
	if [[ $CGROUP_DRIVER == v2 ]]; then
		MOVED_CGROUP=/sys/fs/cgroup$root/moved-daemon
	else
		MOVED_CGROUP=/sys/fs/cgroup/memory$root/moved-daemon
	fi
	mkdir "$MOVED_CGROUP"
	echo "$DAEMON_PID" >"$MOVED_CGROUP/cgroup.procs"
	grep -qx "$DAEMON_PID" "$MOVED_CGROUP/cgroup.procs"
	dry_run_plans_what_the_pod_gets "$root"
}

@test "with --cgroup-root, a dry run plans the cgroups the pod then gets, under the root the daemon reports" {
	driver_independent
	stop_daemon
	# written loosely on purpose: the root is one cgroup path wherever it is used
	EXPLICIT_ROOT=/nanolet-test/plan-root
	pods_setup --cgroup-root "/$EXPLICIT_ROOT/"
	[[ $(nanolet_curl http://nanolet/version | jq -r .nanolet.cgroupRoot) == "$EXPLICIT_ROOT" ]]
	dry_run_plans_what_the_pod_gets "$EXPLICIT_ROOT"
}

@test "exit codes and phases for each restart policy" {
	driver_independent
	create_pod "$(pod_yaml ok 'exit 0' Never)"
	create_pod "$(pod_yaml bad 'exit 3' Never)"
	create_pod "$(pod_yaml retry-ok 'exit 0' OnFailure)"
	wait_phase ok Succeeded
	wait_phase bad Failed
	wait_phase retry-ok Succeeded
	[[ $(get_pod bad | jq -r '.status.containerStatuses[0].state.terminated | "\(.exitCode) \(.reason)"') == "3 Error" ]]
	[[ $(get_pod ok | jq -r '.status.containerStatuses[0].state.terminated | "\(.exitCode) \(.reason)"') == "0 Completed" ]]
	[[ $(get_pod retry-ok | jq -r '.status.containerStatuses[0].restartCount') == 0 ]]
	# the kubelet's Ready reasons for a pod that ended
	[[ $(get_pod bad | jq -r '.status.conditions[] | select(.type == "Ready") | .reason') == PodFailed ]]
	[[ $(get_pod ok | jq -r '.status.conditions[] | select(.type == "Ready") | .reason') == PodCompleted ]]
}

@test "a failing container restarts with a growing CrashLoopBackOff" {
	driver_independent
	create_pod "$(cat "$PODS/crashloop.yaml")"
	wait_for restarts_at_least crashloop 3
	status=$(get_pod crashloop)
	echo "$status" | jq .status.containerStatuses
	[[ $(jq -r '.status.phase' <<<"$status") == Running || $(jq -r '.status.phase' <<<"$status") == Pending ]]
	[[ $(jq -r '.status.containerStatuses[0].lastState.terminated.exitCode' <<<"$status") == 1 ]]
	events=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=crashloop&pretty=false")
	[[ $(jq '[.items[] | select(.reason == "BackOff")] | length' <<<"$events") -ge 1 ]]
	# the delays grow: the gap before the third start is longer than before the second
	starts=$(jq -r '[.items[] | select(.reason == "Started")][0].count' <<<"$events")
	[[ $starts -ge 3 ]]
	wait_for waiting_reason_is crashloop CrashLoopBackOff
	# the back-off grows: each run's log starts when the run does (runs 0 and 1 back to back,
	# then 1 s, 2 s, 4 s apart with this daemon's initial 1 s and max 4 s)
	WAIT_TENTHS=200 wait_for restarts_at_least crashloop 4
	dir=$(ls -d "$TEST_TMP"/log/pods/default_crashloop_*/fail)
	first() { date -d "$(head -1 "$dir/$1.log" | cut -d' ' -f1)" +%s.%N; }
	gap23=$(awk -v a="$(first 2)" -v b="$(first 3)" 'BEGIN {print b - a}')
	gap34=$(awk -v a="$(first 3)" -v b="$(first 4)" 'BEGIN {print b - a}')
	echo "gaps: $gap23 $gap34"
	awk -v a="$gap23" -v b="$gap34" 'BEGIN { exit !(a >= 0.8 && b >= 1.5 * a) }'
}

@test "an image reference not on the node, with imagePullPolicy Never, waits ErrImageNeverPull" {
	driver_independent
	create_pod "$(pod_yaml noimage 'true' Never | sed 's/image: host/image: registry.example\/app:1.0\n    imagePullPolicy: Never/')"
	wait_for waiting_reason_is noimage ErrImageNeverPull
	[[ $(get_pod noimage | jq -r '.status.containerStatuses[0].state.waiting.message') == 'Container image "registry.example/app:1.0" is not present with pull policy of Never' ]]
	[[ $(get_pod noimage | jq -r .status.phase) == Pending ]]
}

@test "a shim killed with -9: its containers end ContainerStatusUnknown 137, the daemon goes on" {
	create_pod "$(pod_yaml orphan 'sleep 30' Never)"
	wait_phase orphan Running
	shim=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/orphan/isolation?pretty=false" | jq -r .live.shimPid)
	[[ $shim -gt 1 ]]
	kill -KILL "$shim"
	wait_for waiting_or_terminated_unknown orphan
	t=$(get_pod orphan | jq -c '.status.containerStatuses[0].state.terminated')
	[[ $(jq -r .exitCode <<<"$t") == 137 ]]
	healthy
	call DELETE '/api/v1/namespaces/default/pods/orphan?gracePeriodSeconds=0'
	[ "$code" = 200 ]
	assert_nothing_left
}

@test "an exec that fails is StartError 128 with the errno text and a Failed event" {
	driver_independent
	create_pod "$(pod_yaml nocmd '' Never | sed 's|command: \[.*\]|command: [/nonexistent/binary]|')"
	wait_phase nocmd Failed
	t=$(get_pod nocmd | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$t"
	[[ $(jq -r .reason <<<"$t") == StartError ]]
	[[ $(jq -r .exitCode <<<"$t") == 128 ]]
	[[ $(jq -r .message <<<"$t") == *"No such file or directory"* ]]
	nanolet_curl "http://nanolet/api/v1/events?fieldSelector=involvedObject.name=nocmd,reason=Failed&pretty=false" | jq -e '.items | length == 1'
}

@test "logs: tailLines, timestamps, previous, and follow until the container ends" {
	driver_independent
	create_pod "$(pod_yaml talk 'for i in 1 2 3 4; do echo line$i; echo err$i >&2; sleep 0.3; done' Never)"
	# follow from the start: every line, then the stream ends with the container
	run timeout 20 curl -sS --no-buffer --unix-socket "$SOCK" "http://nanolet/api/v1/namespaces/default/pods/talk/log?follow=true"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $(grep -c '^line' <<<"$output") == 4 && $(grep -c '^err' <<<"$output") == 4 ]]
	wait_phase talk Succeeded
	[[ $(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/talk/log?tailLines=2") == $'line4\nerr4' ]] ||
		[[ $(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/talk/log?tailLines=2") == $'err4\nline4' ]]
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/talk/log?timestamps=true" | head -1 | grep -Eq '^[0-9-]+T[0-9:.]+Z line1$|^[0-9-]+T[0-9:.]+Z err1$'
	call GET '/api/v1/namespaces/default/pods/talk/log?previous=true'
	[ "$code" = 400 ]
	# the CRI file itself
	f=$(ls "$TEST_TMP"/log/pods/default_talk_*/c/0.log)
	grep -Eq '^[0-9-]+T[0-9:.]{8,}Z stdout F line1$' "$f"
	grep -Eq '^[0-9-]+T[0-9:.]{8,}Z stderr F err1$' "$f"
}

@test "events: Created and Started, deduplicated, selectable by name" {
	driver_independent
	create_pod "$(pod_yaml ev 'sleep 30')"
	wait_phase ev Running
	ev=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=ev&pretty=false")
	echo "$ev" | jq .
	[[ $(jq -r '.kind' <<<"$ev") == EventList ]]
	# (and Scheduled, who created the pod: admission.bats; MissingClusterDNS, a ClusterFirst pod
	# on a node without cluster_dns: dns.bats)
	[[ $(jq -r '[.items[].reason | select(. != "Scheduled" and . != "MissingClusterDNS")] | join(",")' <<<"$ev") == Created,Started ]]
	[[ $(jq -r '[.items[] | select(.reason == "Created")][0].involvedObject.fieldPath' <<<"$ev") == 'spec.containers{c}' ]]
	[[ $(jq -r '[.items[] | select(.reason == "Created")][0].source.component' <<<"$ev") == nanolet ]]
	[[ $(nanolet_curl "http://nanolet/api/v1/events?fieldSelector=involvedObject.name=nobody&pretty=false" | jq '.items | length') == 0 ]]
}

@test "graceful delete: the TERM trap runs; a container that ignores TERM is killed after the grace" {
	create_pod "$(pod_yaml polite "trap 'echo bye; exit 0' TERM; while :; do sleep 0.1; done")"
	create_pod "$(pod_yaml stubborn "trap '' TERM; while :; do sleep 0.1; done")"
	wait_phase polite Running
	wait_phase stubborn Running
	call DELETE /api/v1/namespaces/default/pods/polite
	[ "$code" = 200 ]
	[[ $(jq -r '.status.containerStatuses[0].state.terminated.exitCode' <<<"$body") == 0 ]]
	start=$(date +%s.%N)
	call DELETE '/api/v1/namespaces/default/pods/stubborn?gracePeriodSeconds=2'
	end=$(date +%s.%N)
	[ "$code" = 200 ]
	[[ $(jq -r '.status.containerStatuses[0].state.terminated.exitCode' <<<"$body") == 137 ]]
	# a SIGKILL at the end of the grace is an Error, never OOMKilled
	[[ $(jq -r '.status.containerStatuses[0].state.terminated.reason' <<<"$body") == Error ]]
	awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 1.8) }'
	call GET /api/v1/namespaces/default/pods/stubborn
	[ "$code" = 404 ]
	call DELETE /api/v1/namespaces/default/pods/stubborn
	[ "$code" = 404 ]
	assert_nothing_left
}

@test "the daemon serves while a pod terminates; list, 409 on a duplicate, 403 past max_pods" {
	driver_independent
	stop_daemon
	pods_setup --max-pods 2
	create_pod "$(pod_yaml slow "trap '' TERM; while :; do sleep 0.1; done")"
	wait_phase slow Running
	nanolet_curl -X DELETE "http://nanolet/api/v1/namespaces/default/pods/slow?gracePeriodSeconds=3" >/dev/null &
	local deleter=$!
	sleep 0.5
	healthy
	[[ $(nanolet_curl http://nanolet/api/v1/pods | jq -r '.items[0].metadata.deletionTimestamp') != null ]]
	wait "$deleter"
	create_pod "$(pod_yaml one 'sleep 30')"
	call POST /api/v1/namespaces/default/pods --data-binary "$(pod_yaml one 'sleep 30')"
	[ "$code" = 409 ]
	[[ $(jq -r .reason <<<"$body") == AlreadyExists ]]
	create_pod "$(pod_yaml two 'sleep 30')"
	call POST /api/v1/namespaces/default/pods --data-binary "$(pod_yaml three 'sleep 30')"
	[ "$code" = 403 ]
	[[ $(jq -r .message <<<"$body") == *max_pods* ]]
	[[ $(nanolet_curl 'http://nanolet/api/v1/namespaces/default/pods?pretty=false' | jq '.items | length') == 2 ]]
	[[ $(nanolet_curl 'http://nanolet/api/v1/namespaces/other/pods?pretty=false' | jq '.items | length') == 0 ]]
}

# port_pod NAME HOST_PORT [HOST_IP]: a sleeping pod whose container lists port 80 with a
# hostPort.
port_pod() {
	local ip=${3:+,\"hostIP\":\"$3\"}
	echo '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"'"$1"'"},"spec":{"terminationGracePeriodSeconds":0,'
	echo '"containers":[{"name":"c","image":"host","command":["sleep","600"],'
	echo '"ports":[{"name":"http","containerPort":80,"hostPort":'"$2$ip"'}]}]}}'
}

@test "ports: defaulted and kept; a hostPort another pod holds is 409 Conflict naming it, free again once that pod is gone" {
	driver_independent
	create_pod "$(port_pod web1 18080)"
	[[ $(jq -c '.spec.containers[0].ports' <<<"$body") == '[{"name":"http","containerPort":80,"hostPort":18080,"protocol":"TCP"}]' ]]
	# the same port on one address of the node clashes with every address
	call POST /api/v1/namespaces/default/pods --data-binary "$(port_pod web2 18080 198.18.0.1)"
	[ "$code" = 409 ]
	[[ $(jq -r .reason <<<"$body") == Conflict ]]
	[[ $(jq -r .message <<<"$body") == 'pods "web2": hostPort 18080/TCP is in use on this node by pod default/web1' ]]
	# another port is free
	create_pod "$(port_pod web3 18081 198.18.0.1)"
	call DELETE /api/v1/namespaces/default/pods/web1
	[ "$code" = 200 ]
	create_pod "$(port_pod web2 18080 198.18.0.1)"
	# a bad port is the API server's 422
	call POST /api/v1/namespaces/default/pods --data-binary "$(port_pod bad 70000)"
	[ "$code" = 422 ]
	[[ $(jq -r '.details.causes[0].field' <<<"$body") == 'spec.containers[0].ports[0].hostPort' ]]
	[[ $(jq -r '.details.causes[0].message' <<<"$body") == 'Invalid value: 70000: must be between 1 and 65535, inclusive' ]]
}

@test "SIGTERM to the daemon leaves the pod running" {
	driver_independent
	create_pod "$(pod_yaml survivor 'sleep 30')"
	wait_phase survivor Running
	pid=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/survivor/isolation?pretty=false" | jq -r '.live.containers[0].pid')
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	kill -0 "$pid"
	# clean up by hand: the daemon that knew the pod is gone
	kill_pod_processes
}

@test "volumes: a Memory emptyDir is one tmpfs shared by the pod's containers, within its sizeLimit; subPath; hostPath types" {
	driver_independent
	mkdir -p "$TEST_TMP/host"
	create_pod "$(cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: vols}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: shm, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
  - {name: made, hostPath: {path: $TEST_TMP/host/made, type: DirectoryOrCreate}}
  containers:
  - name: writer
    image: host
    workingDir: /shared
    command: [sh, -c, 'pwd; mkdir -p /shared/sub; echo hi > /shared/sub/x; dd if=/dev/zero of=/shared/big bs=1k count=2048 2>/dev/null || echo full at \$(du -k /shared/big | cut -f1)k; echo done > /made/w']
    volumeMounts: [{name: shm, mountPath: /shared}, {name: made, mountPath: /made}]
  - name: reader
    image: host
    command: [sh, -c, 'sleep 1; cat /s/x; stat -f -c %T /s']
    volumeMounts: [{name: shm, mountPath: /s, subPath: sub, readOnly: true}]
EOF
)"
	wait_phase vols Succeeded
	pod_log vols writer
	pod_log vols reader
	[[ $(pod_log vols writer | head -1) == /shared ]]
	# sizeLimit 1Mi: the write of 2 MiB stops at the tmpfs' size
	pod_log vols writer | grep -Eq '^full at (10[0-2][0-9]|[0-9]{1,3})k$'
	# the reader's subPath is made when it starts if the writer has not made it yet (kubelet)
	[[ $(pod_log vols reader) == $'hi\ntmpfs' ]]
	[[ $(cat "$TEST_TMP/host/made/w") == done ]]
	# a Directory hostPath that is not there: the container's StartError, naming it
	create_pod "$(pod_yaml nodir 'true' Never | sed "s|^  containers:|  volumes: [{name: d, hostPath: {path: $TEST_TMP/host/absent, type: Directory}}]\n  containers:|; s|command: \[sh|volumeMounts: [{name: d, mountPath: /d}]\n    command: [sh|")"
	wait_phase nodir Failed
	[[ $(get_pod nodir | jq -r '.status.containerStatuses[0].state.terminated.reason') == StartError ]]
	[[ $(get_pod nodir | jq -r '.status.containerStatuses[0].state.terminated.message') == *absent* ]]
}

@test "the host image: a missing mount point is made in the container's own layer, never on the node; in a user namespace, where the image is read-only, it is refused; readOnlyRootFilesystem" {
	driver_independent
	top=/nanolet-test-$$-$RANDOM
	nested=/var/lib/nanolet-test-$$-$RANDOM
	[[ ! -e $top && ! -e $nested ]]
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hostroot}
spec:
  restartPolicy: Never
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: host
    command: [sh, -c, 'echo hi > $top/f && cat $top/f; test -d /usr/bin && echo usr; touch /var/tmp/nanolet-ro-\$\$ 2>/dev/null || echo read-only']
    volumeMounts: [{name: d, mountPath: $top}]
    securityContext: {readOnlyRootFilesystem: true}
EOF
	)"
	wait_phase hostroot Succeeded
	pod_log hostroot
	[[ $(pod_log hostroot) == $'hi\nusr\nread-only' ]]
	[[ ! -e $top ]]
	create_pod "$(pod_yaml nested "mountpoint -q $nested && echo mounted" Never | sed "s|^  containers:|  volumes: [{name: d, emptyDir: {}}]\n  containers:|; s|command: \[sh|volumeMounts: [{name: d, mountPath: $nested}]\n    command: [sh|")"
	wait_phase nested Succeeded
	[[ $(pod_log nested) == mounted ]]
	[[ ! -e $nested ]]
	create_pod "$(pod_yaml userns 'true' Never | sed "s|^  containers:|  hostUsers: false\n  volumes: [{name: d, emptyDir: {}}]\n  containers:|; s|command: \[sh|volumeMounts: [{name: d, mountPath: $nested}]\n    command: [sh|")"
	wait_phase userns Failed
	t=$(get_pod userns | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$t"
	[[ $(jq -r .reason <<<"$t") == StartError ]]
	[[ $(jq -r .message <<<"$t") == "mount point $nested: Read-only file system" ]]
	[[ ! -e $nested ]]
}

@test "the kernel's OOM killer: OOMKilled 137 with the limit in the message and an OOMKilling event; lastState after a restart" {
	oom_pod() {
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 0
  containers:
  - name: hog
    image: host
    command: [sh, -c, 'exec dd if=/dev/zero of=/dev/null bs=256M count=1']
    resources:
      limits: {memory: 64Mi}
EOF
	}
	create_pod "$(oom_pod oom Never)"
	create_pod "$(oom_pod oom-again Always)"
	wait_phase oom Failed
	t=$(get_pod oom | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$t"
	[[ $(jq -r .reason <<<"$t") == OOMKilled ]]
	[[ $(jq -r .exitCode <<<"$t") == 137 ]]
	[[ $(jq -r .message <<<"$t") == "memory limit 67108864 bytes ("*") reached; the kernel OOM killer ended pid "* ]]
	nanolet_curl "http://nanolet/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=oom,reason=OOMKilling&pretty=false" | jq -e '.items[0].type == "Warning"'
	wait_for restarts_at_least oom-again 1
	[[ $(get_pod oom-again | jq -r '.status.containerStatuses[0].lastState.terminated.reason') == OOMKilled ]]
}

@test "a child killed by the OOM killer: an OOMKilling event at once; v1 keeps the container running, v2 (memory.oom.group) ends it OOMKilled" {
	create_pod "$(
		cat <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: child-oom}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: host
    command: [sh, -c, 'dd if=/dev/zero of=/dev/null bs=256M count=1; echo survived; exec sleep 600']
    resources:
      limits: {memory: 64Mi}
EOF
	)"
	wait_for event_seen child-oom OOMKilling
	msg=$(events_of child-oom | jq -r '[.items[] | select(.reason == "OOMKilling")][0].message')
	echo "$msg"
	[[ $msg == "memory limit 67108864 bytes ("*") reached; the kernel OOM killer ended "* ]]
	if [[ $(expected_cgroup_driver) == v1 ]]; then
		# the largest process (dd) goes; the shell that started it lives on
		wait_for log_has child-oom survived
		[[ $(get_pod child-oom | jq -r .status.phase) == Running ]]
		[[ $(get_pod child-oom | jq -r '.status.containerStatuses[0].restartCount') == 0 ]]
		[[ $(events_of child-oom | jq '[.items[] | select(.reason == "OOMKilling")][0].count') == 1 ]]
	else
		wait_phase child-oom Failed
		[[ $(get_pod child-oom | jq -r '.status.containerStatuses[0].state.terminated.reason') == OOMKilled ]]
	fi
}

# wrapper_oom_pod NAME RESTART_POLICY: a wrapper shell (as `sh -c 'python3 …'`) whose child
# allocates past a 64Mi limit; the shell prints the child's pid (hostPID: the node's, as the
# kernel names it) and exits 3 if it lives on.
wrapper_oom_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 0
  hostPID: true
  containers:
  - name: app
    image: host
    command: [sh, -c, 'dd if=/dev/zero of=/dev/null bs=256M count=1 & echo "child \$!"; wait \$!; exit 3']
    resources:
      limits: {memory: 64Mi}
EOF
}

# The limit file the driver writes, as OOM messages name it.
memory_limit_file() {
	if [[ $(expected_cgroup_driver) == v1 ]]; then echo memory.limit_in_bytes; else echo memory.max; fi
}

@test "a wrapper shell whose child the OOM killer ends: OOMKilled with the wrapper's exit code, the limit and the child's pid and name in the message and the event; lastState after a restart" {
	create_pod "$(wrapper_oom_pod wrapper-oom Never)"
	wait_phase wrapper-oom Failed
	t=$(get_pod wrapper-oom | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$t"
	pod_log wrapper-oom
	child=$(pod_log wrapper-oom | sed -n 's/^child \([0-9]*\)$/\1/p')
	[[ -n $child ]]
	[[ $(jq -r .reason <<<"$t") == OOMKilled ]]
	if [[ $(expected_cgroup_driver) == v1 ]]; then
		# the kernel ends the largest process, dd; the shell lives on and exits 3
		[[ $(jq -r .exitCode <<<"$t") == 3 ]]
		[[ $(jq -r '.signal // 0' <<<"$t") == 0 ]]
	else
		# memory.oom.group: the whole container goes, the shell by SIGKILL
		[[ $(jq -r .exitCode <<<"$t") == 137 ]]
	fi
	message="memory limit 67108864 bytes ($(memory_limit_file)) reached; the kernel OOM killer ended pid $child (dd)"
	[[ $(jq -r .message <<<"$t") == "$message" ]]
	events_of wrapper-oom | jq -e --arg m "$message" '[.items[] | select(.reason == "OOMKilling")][0] | .type == "Warning" and .message == $m'
	# restartPolicy Always: the next run shows the reason in lastState
	create_pod "$(wrapper_oom_pod wrapper-oom-again Always)"
	wait_for restarts_at_least wrapper-oom-again 1
	s=$(get_pod wrapper-oom-again | jq -c '.status.containerStatuses[0]')
	echo "$s"
	[[ $(jq -r .lastState.terminated.reason <<<"$s") == OOMKilled ]]
	[[ $(jq -r .lastState.terminated.message <<<"$s") == "memory limit 67108864 bytes ($(memory_limit_file)) reached; the kernel OOM killer ended pid "* ]]
}

@test "the kernel log cannot be read: OOMKilled all the same, the message names the limit and not the process" {
	driver_independent
	stop_daemon
	NANOLET_KMSG=$TEST_TMP/no-such-kmsg pods_setup
	grep -q "no-such-kmsg: No such file or directory: an OOM kill will name the limit, not the process it ended" "$TEST_TMP/daemon.log"
	create_pod "$(wrapper_oom_pod wrapper-oom Never)"
	wait_phase wrapper-oom Failed
	t=$(get_pod wrapper-oom | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$t"
	[[ $(jq -r .reason <<<"$t") == OOMKilled ]]
	[[ $(jq -r .exitCode <<<"$t") == 3 ]]
	[[ $(jq -r .message <<<"$t") == "memory limit 67108864 bytes (memory.limit_in_bytes) reached; the kernel OOM killer ended a process of container app" ]]
}

@test "a busy loop on a 100m CPU limit: a CPUThrottling event naming the share and the limit" {
	create_pod "$(cat "$PODS/cpu-throttle.yaml")"
	wait_for event_seen cpu-throttle CPUThrottling
	msg=$(events_of cpu-throttle | jq -r '[.items[] | select(.reason == "CPUThrottling")][0].message')
	echo "$msg"
	[[ $msg == "container spin was throttled in about "*"% of its CPU periods over 1 s: its CPU limit 100m is "* ]]
	[[ $msg == *"cpu.cfs_quota_us 10000 per cpu.cfs_period_us 100000"* || $msg == *'cpu.max "10000 100000"'* ]]
	[[ $(events_of cpu-throttle | jq -r '[.items[] | select(.reason == "CPUThrottling")][0].type') == Warning ]]
	# its end points at the cause: exit 0, but throttled the whole run
	wait_phase cpu-throttle Succeeded
	msg=$(get_pod cpu-throttle | jq -r '.status.containerStatuses[0].state.terminated.message')
	echo "$msg"
	[[ $msg == "it was throttled in "*"% of its CPU periods during this run (CPUThrottling): its CPU limit is 100m, "* ]]
}

@test "a fork bomb under the pids-limit annotation: PidsLimitReached, pids.current within it, the daemon answers" {
	create_pod "$(cat "$PODS/fork-bomb.yaml")"
	pids=$(dirname "$(container_cgroup_dir fork-bomb pids)")
	[[ $(cat "$pids/pids.max") == 64 ]]
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[[ $(cat "$pids/pids.current") -le 64 ]]
		curl -sS --max-time 1 --unix-socket "$SOCK" http://nanolet/healthz | grep -qx ok
		sleep 0.2
	done
	wait_for event_seen fork-bomb PidsLimitReached
	msg=$(events_of fork-bomb | jq -r '[.items[] | select(.reason == "PidsLimitReached")][0].message')
	echo "$msg"
	[[ $msg == "a fork in the pod was refused: it reached its pids.max of 64 (from its nanolet.io/pids-limit annotation)" ]]
	# the shell that could not fork ends Error 2: its status says why
	wait_phase fork-bomb Failed
	term=$(get_pod fork-bomb | jq -c '.status.containerStatuses[0].state.terminated')
	echo "$term"
	[[ $(jq -r .reason <<<"$term") == Error ]]
	[[ $(jq -r .message <<<"$term") == "the pod's pids.max of 64 (from its nanolet.io/pids-limit annotation) refused "*" during this run (PidsLimitReached)" ]]
}

@test "memory_qos: v2 writes the container's memory.min and memory.high and the pod's memory.min; v1 has neither, and the plan says so" {
	stop_daemon
	pods_setup --memory-qos true
	create_pod "apiVersion: v1
kind: Pod
metadata: {name: qos}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: host
    command: [sleep, '30']
    resources:
      requests: {memory: 64Mi}
      limits: {memory: 128Mi}"
	wait_phase qos Running
	mem=$(container_cgroup_dir qos memory)
	iso=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/qos/isolation?pretty=false")
	if [[ $CGROUP_DRIVER == v2 ]]; then
		# 64Mi + 0.9 × 64Mi, rounded down to a page
		cgroup_expect "$mem" memory.min=67108864 -
		cgroup_expect "$mem" memory.high=127504384 -
		cgroup_expect "$(dirname "$mem")" memory.min=67108864 -
		jq -r '.explanation[]' <<<"$iso" | grep -qF 'memory.high 127504384 (its 64Mi request + 0.9 × (128Mi limit − 64Mi request)'
	else
		[[ ! -e $mem/memory.min && ! -e $mem/memory.high ]]
		jq -r '.explanation[]' <<<"$iso" | grep -qF 'memory_qos is on, but it is not available on cgroup v1'
	fi
}
