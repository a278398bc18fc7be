#!/bin/sh
# tests/under-load.sh [RUNS [COMMAND...]]: runs COMMAND (default: make test) RUNS times in a row
# (default 3) while two CPU hogs (`while :; do :; done`) keep both cores of the development
# machine busy, as CI's shared machines may be. Stops at the first failure; prints each run's
# time. The hogs are this script's children, killed by pid when it ends, however it ends.
set -u
runs=${1:-3}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- make test
hogs=""
stop_hogs() {
	# shellcheck disable=SC2086
	[ -n "$hogs" ] && kill $hogs 2>/dev/null
	hogs=""
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM
for _ in 1 2; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
done
echo "under-load: CPU hogs$hogs; $runs run(s) of: $*"
i=1
while [ "$i" -le "$runs" ]; do
	start=$(date +%s)
	"$@"
	rc=$?
	echo "under-load: run $i: exit $rc after $(($(date +%s) - start)) s"
	[ "$rc" = 0 ] || exit "$rc"
	i=$((i + 1))
done
