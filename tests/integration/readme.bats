#!/usr/bin/env bats
# tests/integration/readme.bats: the README's quickstart, run as it is written (the sh block after
# "<!-- quickstart"), prints what the README shows after it ("<!-- quickstart output -->"). It
# uses nanoletd's default paths, so it runs only where no nanolet uses them; it removes what
# the quickstart made (directories, the nanolet cgroups it created) whether it passed or not.

load common

DEFAULT_DIRS=(/run/nanolet /var/lib/nanolet /var/log/nanolet)

# README block after the line matching $1: the lines between the next ``` fence and its end.
readme_block() {
	awk -v mark="$1" '
		index($0, mark) == 1 { found = 1; next }
		found && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }
	' README.md
}

# kubectl's AGE column (5s, 2m3s) as one word: it differs from run to run.
age_free() {
	sed -E 's/ [0-9]+[smhd]([0-9]+[smh])?$/ AGE/'
}

# nanolet's cgroups, with what is under them (QoS classes, pods), parents first.
nanolet_cgroups() {
	find /sys/fs/cgroup -type d \( -name nanolet -o -path '*/nanolet/*' \) 2>/dev/null | sort
}

setup() {
	common_setup
	for d in "${DEFAULT_DIRS[@]}"; do
		[[ ! -e $d ]] || skip "$d exists: a nanolet uses the default paths on this machine"
	done
	nanolet_cgroups >"$TEST_TMP/cgroups.before"
}

teardown() {
	[[ -z ${NETNS:-} ]] || ip netns del "$NETNS" 2>/dev/null || true
	[[ -f $TEST_TMP/cgroups.before ]] || return 0
	rm -rf "${DEFAULT_DIRS[@]}" nanoletd.log kubeconfig
	# children first: the pod's QoS class (besteffort) kept its root from going
	nanolet_cgroups | comm -13 "$TEST_TMP/cgroups.before" - | sort -r | xargs -r rmdir 2>/dev/null || true
	common_teardown
}

@test "the README's quickstart works as written and prints what the README shows" {
	readme_block '<!-- quickstart:' >"$TEST_TMP/quickstart.sh"
	readme_block '<!-- quickstart output -->' >"$TEST_TMP/expected"
	[[ $(wc -l <"$TEST_TMP/quickstart.sh") -ge 5 && -s $TEST_TMP/expected ]]
	# a daemon the quickstart leaves behind on failure is stopped: its job, by pid
	{
		echo "trap 'kill %1 2>/dev/null' EXIT"
		cat "$TEST_TMP/quickstart.sh"
	} >"$TEST_TMP/run.sh"
	# in a network namespace of its own: the pod network's bridge is not the machine's
	NETNS=nanolet-readme-$$
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	nsenter --net="/run/netns/$NETNS" timeout 300 bash -O expand_aliases "$TEST_TMP/run.sh" \
		>"$TEST_TMP/output" 2>&1 || {
		cat "$TEST_TMP/output" nanoletd.log
		return 1
	}
	diff -u "$TEST_TMP/expected" "$TEST_TMP/output" || {
		cat nanoletd.log
		return 1
	}
}

@test "the README's kubectl quickstart works as written and prints what the README shows" {
	load kubectl_helpers
	kubectl_require
	readme_block '<!-- quickstart-kubectl:' >"$TEST_TMP/quickstart.sh"
	readme_block '<!-- quickstart-kubectl output -->' | age_free >"$TEST_TMP/expected"
	[[ $(wc -l <"$TEST_TMP/quickstart.sh") -ge 5 && -s $TEST_TMP/expected ]]
	{
		echo "trap 'kill %1 2>/dev/null' EXIT"
		cat "$TEST_TMP/quickstart.sh"
	} >"$TEST_TMP/run.sh"
	# its own network namespace (the bridge, and port 6443 free), its own HOME (kubectl's
	# cache), in a directory of its own (the kubeconfig it writes)
	NETNS=nanolet-readme-$$
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	HOME=$TEST_TMP nsenter --net="/run/netns/$NETNS" timeout 300 bash "$TEST_TMP/run.sh" \
		>"$TEST_TMP/output" 2>&1 || {
		cat "$TEST_TMP/output" nanoletd.log
		return 1
	}
	rm -f kubeconfig
	diff -u "$TEST_TMP/expected" <(age_free <"$TEST_TMP/output") || {
		cat nanoletd.log
		return 1
	}
}
