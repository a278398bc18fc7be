#!/usr/bin/env bats
# tests/integration/systemd.bats: the shipped units pass `systemd-analyze verify` with no
# warning at all. verify needs no running systemd, but it requires ExecStart's binary to exist,
# so the units are copied to a temporary directory with ExecStart pointing at the built
# nanoletd; that line is the only change. It also opens each Documentation= man page: the built
# pages are laid out as man(1) finds them and MANPATH points there.

load common

setup() {
	common_setup
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	UNITS=$BATS_TEST_DIRNAME/../../systemd
	cp "$UNITS/nanoletd.service" "$UNITS/nanoletd.socket" "$TEST_TMP/"
	sed -i "s|^ExecStart=/usr/local/bin/nanoletd\$|ExecStart=$(realpath "$NANOLETD")|" \
		"$TEST_TMP/nanoletd.service"
	mkdir -p "$TEST_TMP/man/man8" "$TEST_TMP/man/man5"
	cp "$NANOLET_BUILD/man/nanoletd.8" "$TEST_TMP/man/man8/"
	cp "$NANOLET_BUILD/man/nanolet.yaml.5" "$TEST_TMP/man/man5/"
	export MANPATH=$TEST_TMP/man
}

teardown() {
	common_teardown
}

@test "the shipped service runs /usr/local/bin/nanoletd as a delegated notify service" {
	grep -qx 'ExecStart=/usr/local/bin/nanoletd' "$UNITS/nanoletd.service"
	grep -qx 'Type=notify' "$UNITS/nanoletd.service"
	grep -qx 'Delegate=yes' "$UNITS/nanoletd.service"
	grep -qx 'KillMode=process' "$UNITS/nanoletd.service"
	grep -qx 'Restart=on-failure' "$UNITS/nanoletd.service"
	grep -qx 'ListenStream=/run/nanolet/nanolet.sock' "$UNITS/nanoletd.socket"
	grep -qx 'SocketMode=0660' "$UNITS/nanoletd.socket"
	# Only ExecStart differs in the copy that is verified.
	run diff "$UNITS/nanoletd.service" "$TEST_TMP/nanoletd.service"
	[ "$(grep -c '^[<>]' <<<"$output")" -eq 2 ]
	cmp "$UNITS/nanoletd.socket" "$TEST_TMP/nanoletd.socket"
}

@test "systemd-analyze verify passes with no warnings" {
	run systemd-analyze verify "$TEST_TMP/nanoletd.socket" "$TEST_TMP/nanoletd.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "systemd-analyze verify would catch a broken unit (the check can fail)" {
	echo 'NoSuchDirective=1' >>"$TEST_TMP/nanoletd.service"
	run systemd-analyze verify "$TEST_TMP/nanoletd.socket" "$TEST_TMP/nanoletd.service"
	echo "$output"
	[[ $output == *"Unknown key"* ]]
}
