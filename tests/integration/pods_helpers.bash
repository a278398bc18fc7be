# tests/integration/pods_helpers.bash: running real pods from bats. Each test gets a daemon with
# short CrashLoopBackOff delays; teardown deletes every pod through the API, then removes by hand
# whatever a failed test left (only in nanolet's own cgroup root and this test's directories),
# so that the next test starts clean even after a failure.

PODS=${BATS_TEST_DIRNAME}/../../configs/pods

pods_setup() {
	start_daemon --crashloop-backoff-initial 1 --crashloop-backoff-max 4 \
		--cpu-throttling-interval 1 "$@"
}

# pod_yaml NAME COMMAND [RESTART_POLICY]: one container "c" running sh -c COMMAND.
pod_yaml() {
	local cmd=${2//\'/\'\'}
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: ${3:-Always}
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: host
    command: [sh, -c, '$cmd']
EOF
}

create_pod() {
	call POST /api/v1/namespaces/default/pods --data-binary "$1"
	[[ $code == 201 ]] || {
		echo "create: $code $body"
		return 1
	}
}

get_pod() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/$1?pretty=false"
}

phase_is() {
	[[ $(get_pod "$1" | jq -r .status.phase) == "$2" ]]
}

wait_phase() {
	wait_for phase_is "$1" "$2" || {
		echo "pod $1 is not $2:"
		get_pod "$1" | jq .status
		return 1
	}
}

pod_log() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/$1/log${2:+?container=$2}"
}

log_has() {
	pod_log "$1" "${3:-}" | grep -q -- "$2"
}

wait_log() {
	wait_for log_has "$1" "$2" "${3:-}" || {
		echo "no '$2' in the log of $1:"
		pod_log "$1" "${3:-}"
		return 1
	}
}

restarts_at_least() {
	[[ $(get_pod "$1" | jq -r '.status.containerStatuses[0].restartCount') -ge $2 ]]
}

waiting_reason_is() {
	[[ $(get_pod "$1" | jq -r '.status.containerStatuses[0].state.waiting.reason') == "$2" ]]
}

events_of() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=$1&pretty=false"
}

event_seen() {
	events_of "$1" | jq -e --arg r "$2" '[.items[] | select(.reason == $r)] | length > 0' >/dev/null
}

waiting_or_terminated_unknown() {
	[[ $(get_pod "$1" | jq -r '.status.containerStatuses[0].state.terminated.reason') == ContainerStatusUnknown ]]
}

# The directories of nanolet's cgroup root, one per hierarchy: nanolet/ under the cgroup this
# shell is in (the daemon's default root).
nanolet_cgroup_roots() {
	local id ctrls path
	while IFS=: read -r id ctrls path; do
		if [[ -z $ctrls ]]; then
			[[ -d /sys/fs/cgroup/unified ]] && echo "/sys/fs/cgroup/unified${path%/}/nanolet"
			[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] && echo "/sys/fs/cgroup${path%/}/nanolet"
		elif [[ $ctrls != name=* && -d /sys/fs/cgroup/$ctrls ]]; then
			echo "/sys/fs/cgroup/$ctrls${path%/}/nanolet"
		fi
	done </proc/self/cgroup
}

# Every process in a pod cgroup under nanolet's root, and every shim of this test.
kill_pod_processes() {
	local root pid f left
	for f in "$TEST_TMP"/run/pods/*/shim.pid; do
		[[ -f $f ]] && { kill -KILL "$(cat "$f")" 2>/dev/null || true; }
	done
	for root in $(nanolet_cgroup_roots); do
		[[ -d $root ]] || continue
		while read -r f; do
			while read -r pid; do
				kill -KILL "$pid" 2>/dev/null || true # it may be gone already
			done <"$f"
		done < <(find "$root" -mindepth 2 -name cgroup.procs -path '*/pod*')
	done
	# the kernel frees a cgroup of exited tasks a moment later: retry, bounded
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		left=0
		for root in $(nanolet_cgroup_roots); do
			[[ -d $root ]] || continue
			find "$root" -mindepth 1 -depth -type d -path '*/pod*' -exec rmdir {} \; 2>/dev/null || left=1
		done
		((left)) || break
		sleep 0.2
	done
	grep -o " $TEST_TMP/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
	# nanolet's root and QoS cgroups, once empty: a test leaves the node as it found it
	for root in $(nanolet_cgroup_roots); do
		rmdir "$root/burstable" "$root/besteffort" "$root" 2>/dev/null || true
	done
	return 0
}

pods_teardown() {
	local name ns
	if [[ -n ${DAEMON_PID:-} ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		while read -r ns name; do
			[[ -n $name ]] && curl -s --max-time 20 --unix-socket "$SOCK" -X DELETE \
				"http://nanolet/api/v1/namespaces/$ns/pods/$name?gracePeriodSeconds=0" >/dev/null
		done < <(curl -s --max-time 5 --unix-socket "$SOCK" 'http://nanolet/api/v1/pods?pretty=false' |
			jq -r '.items[]? | "\(.metadata.namespace) \(.metadata.name)"')
	fi
	kill_pod_processes
}

# After every pod is deleted: no pod cgroup, shim, container process, mount or run-dir entry.
assert_nothing_left() {
	local root left
	for root in $(nanolet_cgroup_roots); do
		[[ -d $root ]] || continue
		left=$(find "$root" -mindepth 1 -type d -path '*/pod*')
		[[ -z $left ]] || {
			echo "cgroups left: $left"
			return 1
		}
	done
	[[ -z $(ls -A "$TEST_TMP/run/pods" 2>/dev/null) ]] || {
		echo "run dir left: $(ls "$TEST_TMP/run/pods")"
		return 1
	}
	! grep -q " $TEST_TMP/" /proc/self/mountinfo
	! pgrep -f "nanolet-shim $TEST_TMP" >/dev/null
}
