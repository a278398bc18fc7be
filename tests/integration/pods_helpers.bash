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

# After a whole file (teardown_file): no pod cgroup, shim or mount of any test is left on the
# node.
assert_no_test_leftovers() {
	local root
	for root in $(nanolet_cgroup_roots); do
		[[ -d $root ]] || continue
		[[ -z $(find "$root" -mindepth 1 -type d -path '*/pod*') ]]
	done
	! pgrep -f 'nanolet-shim /tmp/nanolet-bats' >/dev/null
	! grep -q ' /tmp/nanolet-bats' /proc/self/mountinfo
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

# ---- one test for both hierarchies --------------------------------------------------------
# The suites run under the v1/hybrid driver on the development hosts and under v2 in the VM
# (tests/vm/run-v2.sh). A test names what it checks once, with the file and value of each
# driver; these helpers pick the one of the hierarchy the daemon is on.

CGROUP_DRIVER=$(expected_cgroup_driver)

# cgroup_dir_for CONTROLLER: of the directories on stdin (a cgroupDirs list of the isolation
# endpoint), the one that holds CONTROLLER's files: the only one on v2, the controller's
# hierarchy on v1.
cgroup_dir_for() {
	if [[ $CGROUP_DRIVER == v2 ]]; then
		grep -m1 -v '^/sys/fs/cgroup/unified/'
	else
		grep -m1 -E "^/sys/fs/cgroup/([a-z_]+,)*$1(,[a-z_]+)*/"
	fi
}

# container_cgroup_dir POD CONTROLLER [INDEX]: the container's cgroup directory for CONTROLLER.
container_cgroup_dir() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/$1/isolation?pretty=false" |
		jq -r ".live.containers[${3:-0}].cgroupDirs[]" | cgroup_dir_for "$2"
}

# cgroup_expect DIR V2FILE=VALUE V1FILE=VALUE: the file of this host's driver holds VALUE
# (its first line); "-" for a driver that has no such file. Says which file differs.
cgroup_expect() {
	local dir=$1 want
	if [[ $CGROUP_DRIVER == v2 ]]; then want=$2; else want=$3; fi
	[[ $want == - ]] && return 0
	local file=${want%%=*} value=${want#*=} got
	got=$(head -1 "$dir/$file") || return 1
	[[ $got == "$value" ]] || {
		echo "$dir/$file: '$got', expected '$value'"
		return 1
	}
}

# The line of /proc/self/cgroup, seen from inside a container, that shows its own cgroup as
# the root of its cgroup namespace (a regex).
cgroup_ns_root_line() {
	if [[ $CGROUP_DRIVER == v2 ]]; then echo '^0::/$'; else echo ":$1:/\$"; fi
}

# start_daemon_in_unit_cgroup [ARGS...]: what systemd does for nanoletd.service with
# Delegate=yes, on cgroup v2: a cgroup of its own for the daemon ($UNIT_CGROUP, beside this
# shell's), with cpu, memory and pids enabled for it by its parent; the daemon starts in it.
# Skips the test where this shell's cgroup cannot enable controllers (it holds processes and
# is not the root: only the root may, under no-internal-processes).
start_daemon_in_unit_cgroup() {
	local parent
	parent=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
	parent=${parent%/}
	echo "+cpu +memory +pids" >"$parent/cgroup.subtree_control" 2>/dev/null ||
		skip "cannot enable controllers in $parent for a delegated cgroup (not the root)"
	UNIT_CGROUP=$parent/nanolet-bats-unit-${TEST_TMP##*.}
	mkdir "$UNIT_CGROUP"
	cat >"$TEST_TMP/nanoletd-in-unit" <<EOS
#!/bin/sh
echo \$\$ >"$UNIT_CGROUP/cgroup.procs" && exec "$(realpath "$NANOLETD")" "\$@"
EOS
	chmod +x "$TEST_TMP/nanoletd-in-unit"
	NANOLETD=$TEST_TMP/nanoletd-in-unit pods_setup "$@"
}

# Removes $UNIT_CGROUP, if a test made one: kills what is left in it (cgroup.kill: only this
# test's daemon and pods are there), then removes it, deepest first. Bounded.
remove_unit_cgroup() {
	[[ -n ${UNIT_CGROUP:-} && -d $UNIT_CGROUP ]] || return 0
	echo 1 >"$UNIT_CGROUP/cgroup.kill" 2>/dev/null || true
	for _ in $(seq 50); do
		find "$UNIT_CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null
		[[ -d $UNIT_CGROUP ]] || return 0
		sleep 0.1
	done
	echo "cgroup $UNIT_CGROUP is left" >&2
	return 1
}
