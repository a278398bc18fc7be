#!/usr/bin/env bats
# tests/integration/readme_examples.bats: the README's examples are run, and print what the
# README shows, so that the README cannot drift from what nanolet answers (issue 19).
#
# A README block after "<!-- example: NAME -->" holds "$ command" lines (a line ending in "\"
# goes on on the next), each followed by the output the README shows for it. The examples run in
# README order against one daemon of this test's own (its own socket, state, run and log
# directories), in a directory where configs/ is the repository's; /run/nanolet, /var/lib/nanolet
# and /var/log/nanolet in a command are that daemon's directories (its socket in the first),
# `curl` is `curl -sS` with a time limit, `nanolet` the build's; "$ nanoletd FLAGS &" restarts
# the test's daemon with FLAGS. Each command's stdout and stderr must match the lines shown:
#   - a line "…" alone stands for any number of lines (none too), "…" in a line for any text;
#   - what changes from run to run is replaced by a name in both the shown and the real output
#     before they are compared (see volatile below): uids, timestamps, container ids, the HTTP
#     Date, the git commit, the memory hierarchy's session cgroup (/process_api/<id> on the
#     README's machine), the node's name (vm in the README), an event's number, an object's
#     resourceVersion (the node's counter: how many changes came before), and the pid of the
#     caller a Scheduled event or an audit line names;
#   - the test daemon's directories and socket in the real output are the default ones;
#   - every other character must be as shown;
#   - a command that changes nothing is run again, for a few seconds, while its output differs.
# A README block after "<!-- file: PATH -->" must be PATH's content, and a pod the README sends
# with --data-binary @FILE must be a file of the repository.
#
# The shown outputs are those of a hybrid host (cgroup driver v1) and a daemon placing pods as a
# default one does (no cgroup_root: nanolet under the daemon's own cgroup), so the test skips on
# another cgroup layout, and it holds nanolet's default cgroup root while it runs (the
# integration lock keeps other daemons off it); it removes the cgroups its daemon made. The
# read-group example needs a group named viewers: the test makes it when there is none, and then
# removes it.

load common

REPO=${BATS_TEST_DIRNAME}/../..
README=$REPO/README.md

# nanolet's cgroups, with what is under them (QoS classes, pods), parents first.
nanolet_cgroups() {
	find /sys/fs/cgroup -type d \( -name nanolet -o -path '*/nanolet/*' \) 2>/dev/null | sort
}

# The daemon runs with the pod network, as a default one does, in a network namespace of the
# test's own (lo, and an uplink with the machine's first address: the node's address the README
# shows), so that its bridge and veths are not the machine's.
setup() {
	common_setup
	NETNS=nanolet-readme-$$-$BATS_TEST_NUMBER
	ip netns add "$NETNS"
	DAEMON_NETNS=/run/netns/$NETNS
	ip -n "$NETNS" link set lo up
	ip -n "$NETNS" link add uplink type veth peer name uplink-peer
	ip -n "$NETNS" addr add "$(ip -4 -o addr show scope global | awk 'NR == 1 { print $4 }')" dev uplink
	ip -n "$NETNS" link set uplink up
	ip -n "$NETNS" link set uplink-peer up
}

teardown() {
	local name before="" sweep=0
	if [[ -n ${DAEMON_PID:-} ]] && healthy; then
		# pods an example left behind (a failed one), so that their cgroups can go
		for name in $(nanolet_curl http://nanolet/api/v1/pods | jq -r '.items[].metadata | "\(.namespace)/\(.name)"'); do
			nanolet_curl -X DELETE "http://nanolet/api/v1/namespaces/${name%/*}/pods/${name#*/}?gracePeriodSeconds=0" >/dev/null || true
		done
	fi
	if [[ -f ${TEST_TMP:-}/cgroups.before ]]; then
		before=$(cat "$TEST_TMP/cgroups.before") sweep=1
	fi
	if [[ -f ${TEST_TMP:-}/viewers.created ]]; then
		groupdel viewers || true
	fi
	common_teardown
	[[ -z ${NETNS:-} ]] || ip netns del "$NETNS" 2>/dev/null || true
	if ((sweep)); then
		# the ones this test's daemon made, children first
		nanolet_cgroups | comm -13 <([[ -z $before ]] || printf '%s\n' "$before") - | sort -r | xargs -r rmdir 2>/dev/null || true
	fi
}

# README lines after the line "<!-- KIND: NAME -->" up to the end of the block that follows;
# each block on its own, NUL-separated, as "NAME\nLINES".
readme_blocks() {
	awk -v kind="$1" '
		index($0, "<!-- " kind ": ") == 1 {
			name = substr($0, length(kind) + 8); sub(/ -->.*$/, "", name); found = 1; next
		}
		found && /^```/ { if (inside) { printf "%c", 0; found = inside = 0; next } inside = 1; print name; next }
		inside { print }
	' "$README"
}

# What changes from run to run, replaced in the shown output and the real one alike.
volatile() {
	sed -E \
		-e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/<time>/g' \
		-e 's#nanolet://[0-9a-f]{64}#nanolet://<container>#g' \
		-e 's#^Date: .*#Date: <date>#' \
		-e 's#"gitCommit": "[^"]*"#"gitCommit": "<commit>"#' \
		-e 's#/process_api/[0-9a-f]{32}#/process_api/<id>#g' \
		-e "s#(\"(host|nodeName|reportingInstance)\": \"|assigned [^ ]* to )($(hostname)|vm)\>#\\1<node>#g" \
		-e 's#"name": "([^"]*)\.[0-9a-f]{16}"#"name": "\1.<n>"#' \
		-e 's#"resourceVersion": ?"[0-9]+"#"resourceVersion": "<rv>"#g' \
		-e 's/(gid [0-9]+, pid )[0-9]+/\1<pid>/g' \
		-e 's#"nanolet.io/pid":\["[0-9]+"\]#"nanolet.io/pid":["<pid>"]#' \
		-e 's/\r$//'
}

# The test daemon's directories and socket, in its real output, as a default daemon's.
defaults() {
	sed -e "s#$TEST_TMP/run/nanolet.sock#/run/nanolet/nanolet.sock#g" -e "s#$TEST_TMP/state#/var/lib/nanolet#g" \
		-e "s#$TEST_TMP/run#/run/nanolet#g" -e "s#$TEST_TMP/log#/var/log/nanolet#g"
}

# glob LINE: a bash pattern matching LINE literally, "…" matching any text.
glob() {
	local p=$1 c
	for c in "\\" '*' '?' '[' ']' '(' ')' '@' '!' '+' '|'; do
		p=${p//"$c"/\\$c}
	done
	printf '%s' "${p//…/*}"
}

# matches SHOWN REAL: the real output's lines match the shown ones (see the top of the file).
matches() {
	local -a shown real
	local i=0 j=0 any=0 pattern
	mapfile -t shown < <(volatile <"$1")
	mapfile -t real < <(defaults <"$2" | volatile)
	while ((i < ${#shown[@]})); do
		if [[ ${shown[i]} == … ]]; then
			any=1 i=$((i + 1))
			continue
		fi
		pattern=$(glob "${shown[i]}")
		# shellcheck disable=SC2053
		while ((j < ${#real[@]})) && [[ ${real[j]} != $pattern ]]; do
			((any)) || return 1
			j=$((j + 1))
		done
		((j < ${#real[@]})) || return 1
		any=0 i=$((i + 1)) j=$((j + 1))
	done
	((any || j == ${#real[@]}))
}

# run_example NAME: runs the block's commands in order; false (with the difference) when one's
# output is not what the README shows.
run_example() {
	local name=$1 line cmd n=0 more=0 failed=0 tries
	local dir=$TEST_TMP/examples/$name
	mkdir -p "$dir"
	while IFS= read -r line; do
		if ((more)); then
			printf '%s\n' "$line" >>"$dir/$n.cmd"
			[[ $line == *\\ ]] || more=0
		elif [[ $line == '$ '* ]]; then
			n=$((n + 1)) cmd=${line#'$ '}
			printf '%s\n' "$cmd" >"$dir/$n.cmd"
			: >"$dir/$n.shown"
			[[ $cmd != *\\ ]] || more=1
		elif ((n > 0)); then
			printf '%s\n' "$line" >>"$dir/$n.shown"
		fi
	done
	((n > 0)) || {
		echo "example $name: no \"\$ command\" line"
		return 1
	}
	local k
	for ((k = 1; k <= n; k++)); do
		if [[ $(cat "$dir/$k.cmd") =~ ^nanoletd\ (.*)\ \&$ ]]; then
			# the README starts nanoletd with other flags: this test's daemon is restarted with them
			if ! { stop_daemon && eval "start_daemon ${BASH_REMATCH[1]}"; } >"$dir/$k.real" 2>&1; then
				echo "--- example $name: \$ $(cat "$dir/$k.cmd") did not start"
				cat "$dir/$k.real"
				failed=1
			fi
			[[ ! -s $dir/$k.shown ]] || {
				echo "--- example $name: \$ $(cat "$dir/$k.cmd") is shown with output"
				failed=1
			}
			continue
		fi
		sed -e "s#/run/nanolet#$TEST_TMP/run#g" -e "s#/var/lib/nanolet#$TEST_TMP/state#g" \
			-e "s#/var/log/nanolet#$TEST_TMP/log#g" "$dir/$k.cmd" >"$dir/$k.sh"
		# A command that changes nothing (no body, no -X, no sleep) is run again, a second apart,
		# while its output differs: a reader types slower than this test (a log line written
		# just after the create's answer), and an output that drifted still differs at the end.
		tries=1
		[[ $(cat "$dir/$k.sh") == *@(--data-binary|-X|sleep)* ]] || tries=$((WAIT_TENTHS / 30 + 1))
		while :; do
			(cd "$TEST_TMP/work" && PATH=$(realpath "$NANOLET_BUILD"):$PATH bash "$dir/$k.sh") \
				>"$dir/$k.real" 2>&1 </dev/null
			matches "$dir/$k.shown" "$dir/$k.real" && break
			((--tries > 0)) || break
			sleep 1
		done
		if ! matches "$dir/$k.shown" "$dir/$k.real"; then
			echo "--- example $name: \$ $(cat "$dir/$k.cmd")"
			echo "--- shown, then real (after the volatile substitutions):"
			diff -u <(volatile <"$dir/$k.shown") <(defaults <"$dir/$k.real" | volatile) || true
			failed=1
		fi
	done
	return $failed
}

@test "every README example marked for it prints what the README shows" {
	local block name differ=() count=0
	[[ $(expected_cgroup_mode) == hybrid ]] ||
		skip "the README's outputs are a hybrid host's; this one is $(expected_cgroup_mode)"
	nanolet_cgroups >"$TEST_TMP/cgroups.before"
	# "Who may do what": a read group, and nobody in it, who must reach the socket
	if ! getent group viewers >/dev/null; then
		groupadd viewers
		touch "$TEST_TMP/viewers.created"
	fi
	chmod 0755 "$TEST_TMP"
	start_daemon
	mkdir -p "$TEST_TMP/work"
	ln -s "$(realpath "$REPO/configs")" "$TEST_TMP/work/configs"
	# `curl` in an example: silent but for errors, bounded
	printf '%s\n' "curl() { command curl -sS --max-time $CURL_SECONDS \"\$@\"; }" >"$TEST_TMP/curl.sh"
	export BASH_ENV=$TEST_TMP/curl.sh
	while IFS= read -r -d '' block; do
		name=${block%%$'\n'*}
		count=$((count + 1))
		block=${block#*$'\n'}
		run_example "$name" <<<"${block%$'\n'}" || differ+=("$name")
	done < <(readme_blocks example)
	unset BASH_ENV
	echo "${#differ[@]} of $count examples differ from the README: ${differ[*]}"
	((count >= 10 && ${#differ[@]} == 0))
}

@test "every README block marked as a file's content is that file, as it is" {
	local block path count=0 failed=0
	while IFS= read -r -d '' block; do
		path=${block%%$'\n'*}
		count=$((count + 1))
		diff -u "$REPO/$path" <(printf '%s' "${block#*$'\n'}") || failed=1
	done < <(readme_blocks file)
	((count >= 2 && failed == 0))
}

@test "every pod the README sends is a file of the repository" {
	local file count=0
	while read -r file; do
		count=$((count + 1))
		[[ -f $REPO/$file ]] || {
			echo "README sends @$file, which is not a file of the repository"
			return 1
		}
	done < <(grep -o -- '--data-binary @[^ ]*' "$README" | sed 's/^--data-binary @//' | sort -u)
	((count >= 5))
}
