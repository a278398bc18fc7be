#!/usr/bin/env bats
# 50 SIGKILLs of nanoletd at random moments under a steady stream of creates and deletes: after
# the last restart the pod list, the cgroup tree, the run directory and the process table agree.
# Every fourth cycle a start is killed too, within its first 100 ms (while it restores).
# Bounded: each cycle lasts well under two seconds. Run it under the cgroup lock (a start sweeps
# nanolet's cgroup root of pods it has no record of).

load common
load pods_helpers

CYCLES=${NANOLET_RESTART_CYCLES:-50}
MAX_PODS=6

setup() {
	common_setup
}

teardown() {
	pods_teardown
	common_teardown
}

# The directory of nanolet's root in the hierarchy that defines it (memory on v1).
primary_root() {
	if [[ $(expected_cgroup_driver) == v1 ]]; then
		nanolet_cgroup_roots | grep '^/sys/fs/cgroup/memory/'
	else
		nanolet_cgroup_roots | head -1
	fi
}

api_uids() {
	nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' | jq -r '.items[].metadata.uid' | sort
}

api_names() {
	nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' | jq -r '.items[].metadata.name'
}

cgroup_uids() {
	local root
	root=$(primary_root)
	find "$root" -mindepth 1 -maxdepth 2 -type d -name 'pod*' -printf '%f\n' 2>/dev/null | sed 's/^pod//' | sort
}

run_dir_uids() {
	ls "$TEST_TMP/run/pods" 2>/dev/null | sort
}

# The uid of every live nanolet-shim of this test, from its command line.
shim_uids() {
	pgrep -af "nanolet-shim $TEST_TMP/run/pods/" | sed -E "s|.*$TEST_TMP/run/pods/([^ /]*).*|\1|" | sort
}

agree() {
	local api
	api=$(api_uids)
	[[ $api == "$(cgroup_uids)" && $api == "$(run_dir_uids)" && $api == "$(shim_uids)" ]] &&
		[[ -z $(ls "$TEST_TMP/state/pods" 2>/dev/null | grep -vxF -f <(printf '%s\n' "$api")) ]]
}

settled() {
	[[ $(nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' |
		jq '[.items[] | select(.metadata.deletionTimestamp != null or .status.phase != "Running")] | length') == 0 ]]
}

@test "50 random SIGKILL/restart cycles under creates and deletes: pod list, cgroups, run dir and processes agree" {
	local cycle n=0 name op names start=$SECONDS
	start_daemon --crashloop-backoff-initial 1
	for ((cycle = 1; cycle <= CYCLES; cycle++)); do
		mapfile -t names < <(api_names)
		for op in 1 2; do
			if ((${#names[@]} < MAX_PODS && RANDOM % 3 != 0)) || ((${#names[@]} == 0)); then
				name=p$((n++))
				nanolet_curl -X POST -o /dev/null --data-binary "$(pod_yaml "$name" 'sleep 1000')" \
					http://nanolet/api/v1/namespaces/default/pods 2>/dev/null &
			else
				name=${names[RANDOM % ${#names[@]}]}
				nanolet_curl -X DELETE -o /dev/null \
					"http://nanolet/api/v1/namespaces/default/pods/$name?gracePeriodSeconds=$((RANDOM % 2))" 2>/dev/null &
			fi
		done
		# the kill lands anywhere from before the requests are read to after they are done
		sleep "0.$(printf '%03d' $((RANDOM % 300)))"
		kill -KILL "$DAEMON_PID"
		wait_gone "$DAEMON_PID"
		wait # the clients, which see the connection close
		if ((cycle % 4 == 0)); then
			# now and then a start dies too, while it restores, removes or sweeps
			# shellcheck disable=SC2046
			"$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) >>"$TEST_TMP/daemon.log" 2>&1 3>&- &
			track_pid $!
			sleep "0.0$((RANDOM % 10))"
			kill -KILL $! 2>/dev/null || true
			wait_gone $!
		fi
		start_daemon --crashloop-backoff-initial 1
	done
	echo "# $CYCLES cycles in $((SECONDS - start)) s" >&3
	wait_for settled || {
		nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' | jq -c '.items[] | [.metadata.name, .status.phase, .metadata.deletionTimestamp]'
		return 1
	}
	# the node comes to agree with the list (and nothing else of the test's is left): what the
	# last start found half made is removed once its processes are gone, on timers, while the
	# daemon serves, and is not listed meanwhile
	wait_for agree || {
		echo "pods: $(api_names | xargs)"
		echo "api: $(api_uids | xargs)"
		echo "cgroups: $(cgroup_uids | xargs)"
		echo "run dir: $(run_dir_uids | xargs)"
		echo "shims: $(shim_uids | xargs)"
		echo "state dir: $(ls "$TEST_TMP/state/pods" 2>/dev/null | xargs)"
		return 1
	}
	# no container was started twice or lost: every pod's one run goes on
	[[ $(nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' | jq '[.items[].status.containerStatuses[0].restartCount] | add // 0') == 0 ]] || {
		nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' |
			jq -c '.items[] | [.metadata.name, .metadata.uid, .status.containerStatuses[0].restartCount, .status.containerStatuses[0].lastState]'
		return 1
	}
}
