#!/usr/bin/env bats
# tests/integration/docs.bats: the man pages render without a warning and name every config key,
# every nanoletd flag and every nanolet explain option; make install puts binaries, units, the
# example config and the man pages where the units and man(1) look, and make uninstall takes
# them away again.

load common

MAN_DIR=${NANOLET_BUILD}/man

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# The keys of daemon/config.c's table: what nanoletd accepts in its file and as flags.
config_keys() {
	sed -nE 's/^\s+\{"([a-z_]+)", KEY_.*/\1/p' daemon/config.c
}

@test "the man pages render without a warning" {
	for page in nanoletd.8 nanolet.1 nanolet.yaml.5; do
		[[ -s $MAN_DIR/$page ]]
		warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$MAN_DIR/$page" 2>&1 >/dev/null)
		[[ -z $warnings ]] || {
			echo "$page: $warnings"
			return 1
		}
		MANWIDTH=80 man -E UTF-8 -l "$MAN_DIR/$page" | grep -q '^NAME'
	done
}

@test "nanolet.yaml(5) and nanoletd(8) name every config key and flag, nanoletd --help too" {
	keys=$(config_keys)
	[[ $(wc -l <<<"$keys") -ge 30 ]]
	help=$("$NANOLETD" --help)
	for key in $keys; do
		flag=--${key//_/-}
		grep -qF "\\fB$key\\fR:" "$MAN_DIR/nanolet.yaml.5" || {
			echo "nanolet.yaml(5) lacks $key"
			return 1
		}
		grep -qF -- "${flag//-/\\-}" "$MAN_DIR/nanoletd.8" || {
			echo "nanoletd(8) lacks $flag"
			return 1
		}
		grep -qF -- "$flag " <<<"$help" || {
			echo "nanoletd --help lacks $flag"
			return 1
		}
	done
	# and nothing the daemon does not have
	for flag in $(grep -oE '^\.BI? \\-\\-[a-z\\-]+' "$MAN_DIR/nanoletd.8" | sed 's/^\.BI\? //; s/\\//g'); do
		grep -qF -- "$flag" <<<"$help" || {
			echo "nanoletd(8) names $flag, which nanoletd does not have"
			return 1
		}
	done
}

@test "nanolet(1) names every option of nanolet explain" {
	help=$("$NANOLET_BUILD/nanolet" explain --help)
	# the options each line of the help begins with (--KEY stands for nanoletd's flags)
	flags=$(sed -nE 's/^ {2,8}(-[a-z], )?(--[a-z][a-z-]+).*/\2/p' <<<"$help")
	[[ $(wc -l <<<"$flags") -ge 5 ]]
	for flag in $flags; do
		grep -qF -- "${flag//-/\\-}" "$MAN_DIR/nanolet.1" || {
			echo "nanolet(1) lacks $flag"
			return 1
		}
	done
}

@test "make install puts every file where the units and man look; make uninstall removes them" {
	dest=$TEST_TMP/root
	make -s install BUILD="$NANOLET_BUILD" DESTDIR="$dest" >"$TEST_TMP/install.log" 2>&1 || {
		cat "$TEST_TMP/install.log"
		return 1
	}
	for f in usr/local/bin/nanoletd usr/local/bin/nanolet-shim usr/local/bin/nanolet \
		usr/local/share/man/man8/nanoletd.8 usr/local/share/man/man1/nanolet.1 \
		usr/local/share/man/man5/nanolet.yaml.5 etc/nanolet/nanolet.yaml.example \
		etc/systemd/system/nanoletd.service etc/systemd/system/nanoletd.socket; do
		[[ -e $dest/$f ]] || {
			echo "not installed: /$f"
			return 1
		}
	done
	# the unit runs the installed daemon, which finds its shim beside it
	exec_start=$(sed -n 's/^ExecStart=//p' "$dest/etc/systemd/system/nanoletd.service")
	[[ -x $dest$exec_start ]]
	[[ -x $(dirname "$dest$exec_start")/nanolet-shim ]]
	# the unit's documentation is the installed man pages
	grep -qx 'Documentation=man:nanoletd(8) man:nanolet.yaml(5)' "$dest/etc/systemd/system/nanoletd.service"
	MANPATH=$dest/usr/local/share/man man -w nanoletd nanolet.yaml nanolet >/dev/null
	make -s uninstall BUILD="$NANOLET_BUILD" DESTDIR="$dest" >>"$TEST_TMP/install.log" 2>&1 || {
		cat "$TEST_TMP/install.log"
		return 1
	}
	left=$(find "$dest" -type f)
	[[ -z $left ]] || {
		echo "left after uninstall: $left"
		return 1
	}
}
