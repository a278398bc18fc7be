#!/usr/bin/env bats
# tests/integration/density.bats: many pods on one node. Every pod's watches share the daemon's
# one inotify instance, so fs.inotify.max_user_instances (128 by default, shared by every
# process of the user) does not cap the node (it once stopped creates at about 127 pods), and
# the descriptors a pod holds are accounted for: a create the daemon could not give them to is
# refused whole (503), never half made.

load common
load pods_helpers

setup() {
	common_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# one_pod NAME: a pod of one sleeping container, created (the POST answers once it runs).
one_pod() {
	curl -sS --max-time "$CURL_SECONDS" --unix-socket "$SOCK" -o /dev/null -w '%{http_code}\n' \
		--data-binary @- "http://nanolet/api/v1/namespaces/default/pods" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: host, command: [sleep, '3600']}
EOF
}

delete_pod() {
	curl -sS --max-time "$CURL_SECONDS" --unix-socket "$SOCK" -o /dev/null -w '%{http_code}\n' \
		-X DELETE "http://nanolet/api/v1/namespaces/default/pods/$1?gracePeriodSeconds=0"
}
export -f one_pod delete_pod

pods_in_phase() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods?pretty=false" |
		jq --arg p "$1" '[.items[] | select(.status.phase == $p)] | length'
}

pods_listed() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods?pretty=false" | jq '.items | length'
}

# daemon_fds KIND: the daemon's descriptors (all, or those of KIND: inotify, pidfd, ...).
daemon_fds() {
	find "/proc/$DAEMON_PID/fd" -mindepth 1 -printf '%l\n' | grep -c "${1:-.}" || true
}

@test "300 pods with fs.inotify.max_user_instances as it is: all Running on one inotify instance, each pod's descriptors within what the daemon accounts for it, all gone after" {
	local n=300 before per_pod cost
	# the same watch code on both drivers; the v2 VM emulates and would take minutes
	driver_independent
	echo "fs.inotify.max_user_instances: $(cat /proc/sys/fs/inotify/max_user_instances)"
	pods_setup --max-pods $((n + 10))
	before=$(daemon_fds)
	export SOCK CURL_SECONDS
	seq 1 $n | sed 's/^/dense-/' | xargs -P 4 -I{} bash -c 'one_pod {}' >"$TEST_TMP/codes"
	sort "$TEST_TMP/codes" | uniq -c
	[[ $(grep -c '^201$' "$TEST_TMP/codes") == "$n" ]]
	[[ $(pods_in_phase Running) == "$n" ]]
	[[ $(daemon_fds inotify) == 1 ]]
	# what a running pod holds stays within its share of the budget (pods_fd_cost: 4 for
	# one container on v1, 3 on v2; a running one holds its shim's pidfd, and the OOM
	# eventfd on v1)
	per_pod=$((($(daemon_fds) - before + n - 1) / n))
	cost=4
	[[ $CGROUP_DRIVER == v2 ]] && cost=3
	echo "descriptors per running pod: $per_pod (accounted: $cost)"
	((per_pod <= cost))
	grep -q "pods' (" "$TEST_TMP/daemon.log"
	healthy
	seq 1 $n | sed 's/^/dense-/' | xargs -P 4 -I{} bash -c 'delete_pod {}' >"$TEST_TMP/codes"
	[[ $(grep -c '^200$' "$TEST_TMP/codes") == "$n" ]]
	[[ $(pods_listed) == 0 ]]
	assert_nothing_left
	# every watch went with its pod
	[[ $(nanolet_curl http://nanolet/metrics | awk '$1 == "nanolet_inotify_watches" {print $2}') == 0 ]]
}

@test "a create the daemon has no descriptors for is 503 naming RLIMIT_NOFILE, and leaves nothing; it fits once a pod is gone" {
	local limited=$TEST_TMP/nanoletd-limited i code made=0 root
	driver_independent
	# 160 descriptors: a quarter for the daemon itself, half the rest for connections, the
	# rest (60) for pods
	printf '#!/bin/sh\nexec prlimit --nofile=160:160 -- "%s" "$@"\n' "$NANOLETD" >"$limited"
	chmod +x "$limited"
	NANOLETD=$limited pods_setup --max-log-follows 4
	grep -q "file descriptors: RLIMIT_NOFILE 160: 40 the daemon's and its log follows', 60 connections', 60 pods'" "$TEST_TMP/daemon.log"
	grep -q "leaves descriptors for [0-9]* pods of one container, fewer than max_pods 110" "$TEST_TMP/daemon.log"
	for ((i = 1; i <= 40; i++)); do
		code=$(SOCK=$SOCK CURL_SECONDS=$CURL_SECONDS one_pod "fd-$i")
		[[ $code == 201 ]] || break
		made=$i
	done
	echo "made $made, then $code"
	[[ $code == 503 ]]
	((made >= 10))
	call POST /api/v1/namespaces/default/pods --data-binary "$(pod_yaml "fd-$i" 'sleep 1000')"
	[[ $code == 503 ]]
	[[ $(jq -r .reason <<<"$body") == ServiceUnavailable ]]
	jq -r .message <<<"$body" | grep -E "^pods \"fd-$i\": the daemon is out of file descriptors for pods: $made pods may hold [0-9]+ of the 60 it can give them, this one needs [34] \(RLIMIT_NOFILE: raise LimitNOFILE= of nanoletd.service, or ulimit -n\)$"
	# refused whole: not listed, no cgroup, no shim, no directory
	call GET "/api/v1/namespaces/default/pods/fd-$i"
	[[ $code == 404 ]]
	[[ $(pods_in_phase Running) == "$made" ]]
	for root in $(nanolet_cgroup_roots); do
		[[ ! -d $root ]] || [[ $(find "$root" -mindepth 1 -type d -name 'pod*' -prune | wc -l) == "$made" ]]
	done
	[[ $(find "$TEST_TMP/run/pods" -mindepth 1 -maxdepth 1 | wc -l) == "$made" ]]
	healthy
	[[ $(delete_pod fd-1) == 200 ]]
	[[ $(SOCK=$SOCK CURL_SECONDS=$CURL_SECONDS one_pod "fd-$i") == 201 ]]
	wait_phase "fd-$i" Running
}

@test "the daemon raises its own soft RLIMIT_NOFILE; its shims and containers get the one it was given" {
	local limited=$TEST_TMP/nanoletd-limited
	driver_independent
	printf '#!/bin/sh\nexec prlimit --nofile=500:5000 -- "%s" "$@"\n' "$NANOLETD" >"$limited"
	chmod +x "$limited"
	NANOLETD=$limited pods_setup
	grep -q "file descriptors: RLIMIT_NOFILE 5000:" "$TEST_TMP/daemon.log"
	[[ $(awk '/^Max open files/ {print $4, $5}' "/proc/$DAEMON_PID/limits") == "5000 5000" ]]
	create_pod "$(pod_yaml limits 'grep "^Max open files" /proc/self/limits; sleep 600')"
	wait_log limits 'Max open files'
	pod_log limits
	[[ $(pod_log limits | awk '/^Max open files/ {print $4, $5}') == "500 5000" ]]
}
