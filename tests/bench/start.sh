#!/usr/bin/env bash
# tests/bench/start.sh [ROUNDS]: start latency of one short container, nanolet beside its peers,
# in ONE run with interleaved rounds (round i runs each tool once, the order rotating by i so
# that no tool always follows the same neighbour). What is timed is the request until the
# process has run and its end is seen, for /bin/true:
#   nanolet  POST a pod (image host, restartPolicy Never) on the daemon's socket, then GET it on
#            the same keep-alive connection every POLL_US µs until its phase is Succeeded
#            (podclient start); the DELETE after it is not timed
#   unshare  `unshare` with the namespaces nanolet's plan gives that pod (read from
#            POST /apis/nanolet.io/v1/isolationplans, not written down here) /bin/true
#   runc     `runc run` of a bundle (`runc spec`, the same namespaces) whose rootfs is
#            busybox-static; runc removes the container itself when it ends
#   podman   `podman kube play` of the same pod with an image built offline (FROM scratch, the
#            busybox-static binary), then `podman wait` for its container; `kube down` untimed
# Every command is timed by podclient (fork, exec, wait: its own cost is printed as the
# "fork+exec" row). One warm-up round first, not counted. A peer that is missing is installed
# from Debian (runc, podman, catatonit, busybox-static; BENCH_INSTALL=0: not); one that still
# is, or fails to set up, is skipped, and the output says so. Prints p50/p90/p99 per tool, the
# ratios nanolet/unshare and runc/nanolet, and the daemon's CPU time per start (with the delete
# after it). A benchmark, not a test: it asserts nothing.
# Run as root from the repository root: sudo tests/bench/start.sh 50
set -euo pipefail

ROUNDS=${1:-50}
POLL_US=${POLL_US:-200}
# shellcheck source=tests/bench/bench.bash
source "$(dirname "$0")/bench.bash"
CLIENT=$BUILD/podclient
PEERS=$TMP/peers
# their run-time state beside nanolet's (bench.bash: a tmpfs, as /run is on a systemd host)
RUNC_ROOT=$RUN_DIR.runc
PODMAN=(podman --root "$PEERS/podman/root" --runroot "$RUN_DIR.podman"
	--tmpdir "$PEERS/podman/tmp" --network-config-dir "$PEERS/podman/networks"
	--cgroup-manager cgroupfs --events-backend none --storage-driver overlay)
IMAGE=localhost/nanolet-bench-busybox
# podman under cgroupfs puts its pods in libpod_parent/ of each hierarchy and leaves the pod's
# own cgroup behind in some; podman (through containers/image) keeps a blob cache here.
had_libpod_parent=$([[ -d /sys/fs/cgroup/memory/libpod_parent || -d /sys/fs/cgroup/libpod_parent ]] && echo 1 || echo 0)
had_containers_cache=$([[ -e /var/lib/containers ]] && echo 1 || echo 0)
podman_pods=()

peers_cleanup() {
	if [[ -d $RUNC_ROOT ]]; then
		for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
			runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	if [[ -d $PEERS/podman ]]; then
		"${PODMAN[@]}" pod rm -a -f >/dev/null 2>&1 || true
		"${PODMAN[@]}" rm -a -f >/dev/null 2>&1 || true
		"${PODMAN[@]}" rmi -a -f >/dev/null 2>&1 || true
	fi
	# whatever the storage left mounted under our directory, deepest first (the run tmpfs is
	# bench_cleanup's, once the daemon is stopped)
	awk -v d="$TMP/" -v t="$RUN_TMPFS" 'index($5, d) == 1 && $5 != t {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" || true; done
	for id in "${podman_pods[@]}"; do
		find /sys/fs/cgroup -depth -type d -path "*/libpod_parent/$id*" -exec rmdir {} + 2>/dev/null || true
	done
	if ((!had_libpod_parent)); then
		find /sys/fs/cgroup -depth -type d -path '*/libpod_parent*' -exec rmdir {} + 2>/dev/null || true
	fi
	((had_containers_cache)) || rm -rf /var/lib/containers
}
start_cleanup() {
	peers_cleanup
	bench_cleanup
}
trap start_cleanup EXIT

POD_JSON='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"start"},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"host","command":["/bin/true"]}]}}'

bench_start_daemon --max-pods 20
load_before=$(cat /proc/loadavg)

# unshare's options from the namespaces nanolet's plan gives this pod and its container
flags=$(api --data-binary "$POD_JSON" 'http://n/apis/nanolet.io/v1/isolationplans?pretty=false' |
	jq -r '[.pod.cloneFlags[], .containers[0].cloneFlags[]] | unique | .[]')
unshare_cmd=(unshare)
runc_ns=()
for f in $flags; do
	case $f in
	CLONE_NEWPID) unshare_cmd+=(--fork --pid --mount-proc) runc_ns+=(pid) ;;
	CLONE_NEWNS) unshare_cmd+=(--mount) runc_ns+=(mount) ;;
	CLONE_NEWUTS) unshare_cmd+=(--uts) runc_ns+=(uts) ;;
	CLONE_NEWIPC) unshare_cmd+=(--ipc) runc_ns+=(ipc) ;;
	CLONE_NEWNET) unshare_cmd+=(--net) runc_ns+=(network) ;;
	CLONE_NEWCGROUP) unshare_cmd+=(--cgroup) runc_ns+=(cgroup) ;;
	CLONE_NEWUSER) unshare_cmd+=(--user --map-root-user) runc_ns+=(user) ;;
	*) echo "start.sh: no unshare option for $f" >&2 ;;
	esac
done
unshare_cmd+=(/bin/true)

tools=(nanolet unshare)
skipped=()
mkdir -p "$PEERS"

# The peers come from Debian: installed here when missing (BENCH_INSTALL=0 does not), else
# skipped below with the reason.
missing=()
command -v runc >/dev/null || missing+=(runc)
command -v podman >/dev/null || missing+=(podman)
command -v catatonit >/dev/null || missing+=(catatonit) # the pause of kube play's infra
command -v busybox >/dev/null && file -L "$(command -v busybox)" | grep -q 'statically linked' ||
	missing+=(busybox-static)
if ((${#missing[@]})) && [[ ${BENCH_INSTALL:-1} == 1 ]] && command -v apt-get >/dev/null; then
	echo "start.sh: installing ${missing[*]} from Debian" >&2
	{ apt-get install -y -qq "${missing[@]}" || { apt-get update -qq &&
		apt-get install -y -qq "${missing[@]}"; }; } >"$PEERS/apt.log" 2>&1 ||
		echo "start.sh: could not install ${missing[*]}: $(tail -n 3 "$PEERS/apt.log")" >&2
fi

# runc: a busybox-static rootfs, the spec runc writes with /bin/true and the plan's namespaces
if ! command -v runc >/dev/null; then
	skipped+=("runc: not installed (apt-get install runc)")
elif ! command -v busybox >/dev/null || ! file -L "$(command -v busybox)" | grep -q 'statically linked'; then
	skipped+=("runc: no static busybox for its rootfs (apt-get install busybox-static)")
else
	mkdir -p "$PEERS/bundle/rootfs/bin"
	cp "$(command -v busybox)" "$PEERS/bundle/rootfs/bin/busybox"
	ln -s busybox "$PEERS/bundle/rootfs/bin/true"
	(cd "$PEERS/bundle" && runc spec)
	jq --argjson ns "$(printf '%s\n' "${runc_ns[@]}" | jq -R . | jq -s 'map({type: .})')" \
		'.process.args = ["/bin/true"] | .process.terminal = false | .linux.namespaces = $ns' \
		"$PEERS/bundle/config.json" >"$PEERS/config.json"
	mv "$PEERS/config.json" "$PEERS/bundle/config.json"
	if runc --root "$RUNC_ROOT" run --bundle "$PEERS/bundle" start-check >"$PEERS/runc.out" 2>&1; then
		tools+=(runc)
	else
		skipped+=("runc: the check run failed: $(head -c 300 "$PEERS/runc.out")")
	fi
fi

# podman: an image built offline from busybox-static, in storage of our own under $TMP
if ! command -v podman >/dev/null; then
	skipped+=("podman: not installed (apt-get install podman)")
elif [[ ! -x $PEERS/bundle/rootfs/bin/busybox ]]; then
	skipped+=("podman: no static busybox for its image")
else
	mkdir -p "$PEERS/podman/ctx" "$PEERS/podman/tmp" "$PEERS/podman/networks"
	cp "$PEERS/bundle/rootfs/bin/busybox" "$PEERS/podman/ctx/busybox"
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' \
		>"$PEERS/podman/ctx/Containerfile"
	# rootful podman raises RLIMIT_NOFILE and RLIMIT_NPROC to 1048576 and 4194304 by default,
	# which this host does not allow (no CAP_SYS_RESOURCE here): the container's init fails with
	# EPERM. A container's usual limits instead.
	printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' \
		>"$PEERS/podman/containers.conf"
	# crun, podman's first choice, refuses a hybrid host's cgroups ("cgroups in hybrid mode
	# not supported"); runc takes them
	if [[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]] && command -v runc >/dev/null; then
		printf '[engine]\nruntime = "runc"\n' >>"$PEERS/podman/containers.conf"
	fi
	export CONTAINERS_CONF=$PEERS/podman/containers.conf
	sed "s|image: host|image: $IMAGE|" >"$PEERS/podman/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: start-podman}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: host, command: [/bin/true]}
EOF
	if "${PODMAN[@]}" build -q --network none -t "$IMAGE" "$PEERS/podman/ctx" >"$PEERS/podman.out" 2>&1; then
		tools+=(podman)
	else
		skipped+=("podman: the image build failed: $(head -c 300 "$PEERS/podman.out")")
	fi
fi

# The daemon's CPU time so far (utime + stime, in clock ticks): its work (every thread's) for a
# start and the delete after it, beside the time the start takes
daemon_ticks() {
	awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"
}

# One run of TOOL for round ROUND: appends its milliseconds to $TMP/TOOL.ms, or counts a failure.
run_one() {
	local tool=$1 round=$2 out ms gets post
	case $tool in
	nanolet)
		local ticks
		ticks=$(daemon_ticks)
		if out=$("$CLIENT" start "$SOCK" "start-$round" "$POLL_US"); then
			read -r ms gets post <<<"$out"
			echo "$ms" >>"$TMP/nanolet.ms"
			echo "$gets" >>"$TMP/nanolet.gets"
			echo "$post" >>"$TMP/nanolet-post.ms"
			echo $(($(daemon_ticks) - ticks)) >>"$TMP/nanolet.ticks"
			return 0
		fi
		;;
	unshare)
		out=$("$CLIENT" exec "${unshare_cmd[@]}") && echo "$out" >>"$TMP/unshare.ms" && return 0
		;;
	runc)
		out=$("$CLIENT" exec runc --root "$RUNC_ROOT" run --bundle "$PEERS/bundle" "start-$round") &&
			echo "$out" >>"$TMP/runc.ms" && return 0
		;;
	podman)
		local ok=0 id
		# shellcheck disable=SC2016 # expanded by that sh: $0 the YAML, $@ the podman command
		out=$("$CLIENT" exec sh -c '"$@" kube play --network none "$0" >/dev/null && "$@" wait start-podman-c >/dev/null' \
			"$PEERS/podman/pod.yaml" "${PODMAN[@]}") && ok=1
		id=$("${PODMAN[@]}" pod ps -q --no-trunc --filter name=start-podman 2>/dev/null || true)
		[[ -n $id ]] && podman_pods+=("$id")
		"${PODMAN[@]}" kube down "$PEERS/podman/pod.yaml" >/dev/null 2>&1 || true
		((ok)) && echo "$out" >>"$TMP/podman.ms" && return 0
		;;
	fork+exec)
		out=$("$CLIENT" exec /bin/true) && echo "$out" >>"$TMP/fork+exec.ms" && return 0
		;;
	esac
	echo "$tool" >>"$TMP/failures"
	return 0
}

all=("${tools[@]}" fork+exec)
for tool in "${all[@]}"; do # warm-up (podman builds its pause image on the first play)
	run_one "$tool" warmup
	rm -f "$TMP/$tool.ms" "$TMP/$tool.gets" "$TMP/$tool-post.ms" "$TMP/$tool.ticks" "$TMP/failures"
done
for round in $(seq 1 "$ROUNDS"); do
	n=${#all[@]}
	for k in $(seq 0 $((n - 1))); do
		run_one "${all[$(((round + k) % n))]}" "$round"
	done
done
load_after=$(cat /proc/loadavg)

# p50 p90 p99 (nearest rank) of a file of numbers
percentiles() {
	sort -n "$1" | awk '{v[NR] = $1} END {
		n = split("0.50 0.90 0.99", q, " ")
		for (i = 1; i <= n; i++) { r = int(q[i] * NR + 0.999999); if (r < 1) r = 1; printf "%.1f ", v[r] }
		printf "%d\n", NR }'
}
p50() { percentiles "$1" | awk '{print $1}'; }

driver=$(api --data-binary "$POD_JSON" 'http://n/apis/nanolet.io/v1/isolationplans?pretty=false' | jq -r .pod.cgroup.driver)
echo "machine: $(bench_machine), nanolet's $driver driver"
echo "load: before $load_before; after $load_after"
echo "rounds: $ROUNDS (+1 warm-up), each tool once a round in rotating order; /bin/true"
echo "unshare: ${unshare_cmd[*]}"
[[ " ${tools[*]} " == *" runc "* ]] && echo "runc: $(runc --version | head -1), namespaces ${runc_ns[*]}, rootfs busybox-static"
[[ " ${tools[*]} " == *" podman "* ]] && echo "podman: $(podman --version | awk '{print $3}'), kube play --network none + wait, cgroupfs, overlay, image FROM scratch + busybox-static"
for s in "${skipped[@]}"; do echo "skipped $s"; done
printf '%-10s %9s %9s %9s %5s\n' tool "p50 ms" "p90 ms" "p99 ms" runs
for tool in "${all[@]}"; do
	[[ -s $TMP/$tool.ms ]] || continue
	read -r a b c n < <(percentiles "$TMP/$tool.ms")
	printf '%-10s %9s %9s %9s %5s\n' "$tool" "$a" "$b" "$c" "$n"
done
if [[ -s $TMP/failures ]]; then
	echo "failed runs (not counted): $(sort "$TMP/failures" | uniq -c | awk '{printf "%s %s; ", $2, $1}')"
fi
echo "nanolet POST answered (container started): p50 $(p50 "$TMP/nanolet-post.ms") ms; the rest is the exit seen and recorded"
echo "nanolet daemon CPU (utime+stime): $(awk -v hz="$(getconf CLK_TCK)" '{s += $1} END {printf "%.1f", s * 1000 / hz / NR}' "$TMP/nanolet.ticks") ms per start and the delete after it"
echo "nanolet client: $(awk '{s += $1} END {printf "%.2f", s / NR}' "$TMP/nanolet.gets") GETs per start on average (poll every $POLL_US us); one GET's client+kernel floor: $("$CLIENT" floor 2000 3000 | sed 's/.*p50 \([0-9.]*\) ms.*/\1 ms/')"
nanolet=$(p50 "$TMP/nanolet.ms")
unshare=$(p50 "$TMP/unshare.ms")
awk -v n="$nanolet" -v u="$unshare" 'BEGIN {r = n / u; printf "p50 nanolet/unshare: %.2f (issue 13 target <= 1.5: %s)\n", r, (r <= 1.5 ? "met" : "not met")}'
if [[ -s $TMP/runc.ms ]]; then
	awk -v n="$nanolet" -v c="$(p50 "$TMP/runc.ms")" 'BEGIN {r = c / n; printf "p50 runc/nanolet: %.2f (issue 13 target >= 5: %s)\n", r, (r >= 5 ? "met" : "not met")}'
fi
if [[ -s $TMP/podman.ms ]]; then
	awk -v n="$nanolet" -v c="$(p50 "$TMP/podman.ms")" 'BEGIN {printf "p50 podman/nanolet: %.2f\n", c / n}'
fi
