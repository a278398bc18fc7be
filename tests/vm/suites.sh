#!/usr/bin/env bash
# tests/vm/suites.sh: the integration suites that depend on cgroups (limits applied, OOMKilled,
# throttling, pids limit, kill and clean-up, the shim's cgroup placement, stats and metrics,
# re-adoption and the orphan sweep after a restart, the device rules of security.bats), against
# the plain and the ASan/UBSan builds. run-v2.sh runs it in the pure-v2 VM when given no
# command; it runs on any host as well (as root; take /tmp/nanolet-cgroup.lock on shared hosts).
#
# NANOLET_VM_BUILDS: the build directories to test (default "build"; "build build-asan" adds the
# ASan/UBSan build, which takes half again as long under TCG).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

# TCG is several times slower than the host: give every bounded wait more room, and run only
# the tests whose outcome depends on the cgroup driver (the others call driver_independent).
export NANOLET_WAIT_TENTHS=${NANOLET_WAIT_TENTHS:-400}
export NANOLET_DRIVER_TESTS_ONLY=${NANOLET_DRIVER_TESTS_ONLY:-1}
suites=(tests/integration/pods.bats tests/integration/shim.bats tests/integration/stats.bats
	tests/integration/restart.bats tests/integration/security.bats tests/integration/exec.bats)
# stats.bats checks /metrics with promtool (make integration fetches it)
export PROMTOOL=${PROMTOOL:-$PWD/build/tools/promtool}
status=0
for build in ${NANOLET_VM_BUILDS:-build}; do
	[[ -x $build/nanoletd ]] || {
		echo "suites: no $build/nanoletd: build first (make build asan)" >&2
		status=1
		continue
	}
	echo "# cgroup suites, $build, cgroup driver of this host: $(stat -f -c %T /sys/fs/cgroup)"
	start=$(date +%s)
	NANOLET_BUILD=$PWD/$build bats --print-output-on-failure "${suites[@]}" || status=1
	echo "# $build: $(($(date +%s) - start)) s"
done
exit $status
