#!/usr/bin/env bats
# The front door with real pods (issue 11): names that pass NAME_MAX, grace periods past what a
# timer holds, many containers, and log follows that misbehave — cut short by limitBytes, too
# many at once, abandoned, or never read — each against a daemon that must go on answering.

load common
load pods_helpers

HTTP_CLIENTS=${NANOLET_BUILD}/http_clients

setup() {
	common_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	local root
	for root in $(nanolet_cgroup_roots); do
		[[ -d $root ]] || continue
		[[ -z $(find "$root" -mindepth 1 -type d -path '*/pod*') ]]
	done
	! pgrep -f 'nanolet-shim /tmp/nanolet-bats' >/dev/null
}

healthz_fast() {
	[[ $(curl -s --max-time 1 --unix-socket "$SOCK" http://nanolet/healthz) == ok ]]
}

metric() {
	nanolet_curl http://nanolet/metrics | awk -v m="$1" '$1 == m { print $2 }'
}

metric_is() {
	[[ $(metric "$1") == "$2" ]]
}

# inotify instances the daemon holds
daemon_inotify() {
	find "/proc/$DAEMON_PID/fd" -lname 'anon_inode:inotify' | wc -l
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"
}

@test "every container of a 70-container pod has its log (from index 63 on they had none)" {
	pods_setup
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: many}\nspec:\n  restartPolicy: Never\n  containers:\n'
		for i in $(seq 0 69); do printf '  - {name: c%d, image: host, command: [echo, hello-%d]}\n' "$i" "$i"; done
	} >"$TEST_TMP/many.yaml"
	call POST /api/v1/namespaces/default/pods --data-binary @"$TEST_TMP/many.yaml"
	[ "$code" = 201 ]
	wait_phase many Succeeded
	[[ $(pod_log many c0) == hello-0 ]]
	[[ $(pod_log many c63) == hello-63 ]]
	[[ $(pod_log many c69) == hello-69 ]]
	call GET '/api/v1/namespaces/default/pods/many/log?container=c70'
	[ "$code" = 400 ]
	[[ $(jq -r .message <<<"$body") == "container c70 is not valid for pod many" ]]
}

@test "a 253-character name in a 63-character namespace runs, its logs under a directory of at most 255 bytes (once a 500: File name too long)" {
	pods_setup
	ns=$(printf 'n%.0s' {1..63})
	label=$(printf 'p%.0s' {1..63})
	name="$label.$label.$label.$(printf 'p%.0s' {1..61})"
	[[ ${#name} == 253 ]]
	call POST "/api/v1/namespaces/$ns/pods" --data-binary "$(pod_yaml "$name" 'echo from-a-long-name' Never | sed "s/^metadata:/metadata:\n  namespace: $ns/")"
	[ "$code" = 201 ] || {
		echo "$body"
		return 1
	}
	wait_for eval '[[ $(nanolet_curl "http://nanolet/api/v1/namespaces/$ns/pods/$name" | jq -r .status.phase) == Succeeded ]]'
	[[ $(nanolet_curl "http://nanolet/api/v1/namespaces/$ns/pods/$name/log") == from-a-long-name ]]
	dir=$(basename "$(ls -d "$TEST_TMP"/log/pods/"$ns"_*)")
	echo "$dir (${#dir})"
	((${#dir} <= 255))
	uid=$(nanolet_curl "http://nanolet/api/v1/namespaces/$ns/pods/$name" | jq -r .metadata.uid)
	[[ $dir == "${ns}_${label}"*-????????_"$uid" ]]
	call DELETE "/api/v1/namespaces/$ns/pods/$name"
	[ "$code" = 200 ]
	[[ -z $(ls "$TEST_TMP"/log/pods/) ]]
}

@test "terminationGracePeriodSeconds 10000000000: created, and a plain DELETE stops the pod (once 422)" {
	pods_setup
	create_pod "$(pod_yaml forever "trap 'exit 0' TERM; while :; do sleep 0.1; done" | sed 's/terminationGracePeriodSeconds: 2/terminationGracePeriodSeconds: 10000000000/')"
	wait_phase forever Running
	[[ $(get_pod forever | jq -r .spec.terminationGracePeriodSeconds) == 10000000000 ]]
	call DELETE /api/v1/namespaces/default/pods/forever --max-time 20
	[ "$code" = 200 ] || {
		echo "$body"
		return 1
	}
	assert_nothing_left
	# and the same grace asked for by the DELETE
	create_pod "$(pod_yaml again "trap 'exit 0' TERM; while :; do sleep 0.1; done")"
	wait_phase again Running
	call DELETE '/api/v1/namespaces/default/pods/again?gracePeriodSeconds=10000000000' --max-time 20
	[ "$code" = 200 ]
}

@test "follow with limitBytes on a chatty container that then ends and is deleted: the daemon lives (once a use after free)" {
	pods_setup
	create_pod "$(pod_yaml chatty 'for i in $(seq 40); do echo line-$i; sleep 0.05; done' Never)"
	wait_log chatty line-2
	run timeout 10 curl -sS --no-buffer --unix-socket "$SOCK" "http://nanolet/api/v1/namespaces/default/pods/chatty/log?follow=true&limitBytes=3"
	[ "$status" -eq 0 ]
	[[ $output == lin ]]
	wait_phase chatty Succeeded
	call DELETE /api/v1/namespaces/default/pods/chatty
	[ "$code" = 200 ]
	healthz_fast
	kill -0 "$DAEMON_PID"
}

@test "max_log_follows: past it 429 with Retry-After; follows share one inotify instance; one whose client hangs up on a quiet container is closed at once" {
	pods_setup --max-log-follows 3
	create_pod "$(pod_yaml quiet 'echo hello; sleep 3600')"
	wait_log quiet hello
	before=$(daemon_inotify)
	watches=$(metric nanolet_inotify_watches)
	for i in 1 2 3; do
		curl -sS --no-buffer --unix-socket "$SOCK" "http://nanolet/api/v1/namespaces/default/pods/quiet/log?follow=true" >"$TEST_TMP/follow$i" &
		eval "follower$i=$!"
		track_pid $!
	done
	wait_for metric_is nanolet_log_follows 3
	[[ $(daemon_inotify) == "$before" ]]
	[[ $(metric nanolet_inotify_watches) == $((watches + 1)) ]]
	call GET '/api/v1/namespaces/default/pods/quiet/log?follow=true'
	[ "$code" = 429 ]
	[[ $(jq -r .reason <<<"$body") == TooManyRequests ]]
	grep -qi '^Retry-After: 1' "$TEST_TMP/headers"
	grep -q 'refused: 3 open (max_log_follows)' "$TEST_TMP/daemon.log"
	healthz_fast
	# the container says nothing more: only the hang-up can tell the daemon
	kill "$follower1"
	WAIT_TENTHS=20 wait_for metric_is nanolet_log_follows 2
	run timeout 5 curl -sS --no-buffer --unix-socket "$SOCK" "http://nanolet/api/v1/namespaces/default/pods/quiet/log?follow=true&limitBytes=6"
	[[ $output == hello ]]
	kill "$follower2" "$follower3"
	WAIT_TENTHS=20 wait_for metric_is nanolet_log_follows 0
	[[ $(metric nanolet_inotify_watches) == "$watches" ]]
}

@test "a follower that reads nothing of a chatty container: the daemon's memory stays within the bound, and http_idle_timeout closes it" {
	pods_setup --http-idle-timeout 6
	create_pod "$(pod_yaml loud 'l=$(printf "x%.0s" $(seq 200)); while :; do for i in $(seq 500); do echo "$i $l"; done; sleep 0.05; done')"
	wait_log loud ' xxxx'
	before=$(rss_kib)
	"$HTTP_CLIENTS" noread "$SOCK" /api/v1/namespaces/default/pods/loud/log?follow=true 9 >"$TEST_TMP/noread.out" &
	track_pid $!
	wait_for metric_is nanolet_log_follows 1
	sleep 4
	during=$(rss_kib)
	# before the bound the daemon buffered what the client did not read: 10 MB in 5 s
	echo "RSS before $before KiB, with a follower that does not read $during KiB"
	((during - before < 4096))
	# no progress for http_idle_timeout: closed, and its follow with it
	WAIT_TENTHS=60 wait_for metric_is nanolet_log_follows 0
	healthz_fast
}

@test "a create's and a delete's answers, which come later, are indented for curl and compact with pretty=false, as every answer" {
	pods_setup
	call POST /api/v1/namespaces/default/pods --data-binary "$(pod_yaml a 'sleep 60')"
	[ "$code" = 201 ]
	[[ $(head -n 1 "$TEST_TMP/body") == "{" ]]
	call POST '/api/v1/namespaces/default/pods?pretty=false' --data-binary "$(pod_yaml b 'sleep 60')"
	[ "$code" = 201 ]
	[[ $(head -c 1 "$TEST_TMP/body") == "{" && $(wc -l <"$TEST_TMP/body") == 0 ]]
	call DELETE '/api/v1/namespaces/default/pods/a?gracePeriodSeconds=0'
	[ "$code" = 200 ]
	[[ $(head -n 1 "$TEST_TMP/body") == "{" && $(jq -r .metadata.name "$TEST_TMP/body") == a ]]
	call DELETE '/api/v1/namespaces/default/pods/b?gracePeriodSeconds=0&pretty=false'
	[ "$code" = 200 ]
	[[ $(wc -l <"$TEST_TMP/body") == 0 && $(jq -r .metadata.name "$TEST_TMP/body") == b ]]
	assert_nothing_left
}
