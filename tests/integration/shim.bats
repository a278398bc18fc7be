#!/usr/bin/env bats
# tests/integration/shim.bats: nanolet-shim with real pods, as root, asserting what the process
# inside sees. The daemon's part (plan, cgroups, shim.json) is played by helpers/shim_harness.c.
#
# Every test has its own work dir and test cgroups (nanolet-test-<workdir name> under this
# process's cgroups). Teardown kills what is left in those cgroups (cgroup.kill: only processes
# this test started), removes them, and fails the test if a shim survived or a cgroup stayed.
# Nothing is mounted on the host: the shim's mounts live in private mount namespaces.

load common

NANOLET_BUILD=${NANOLET_BUILD:-build}
SHIM=$NANOLET_BUILD/nanolet-shim
HARNESS=$NANOLET_BUILD/shim_harness

setup() {
	[[ -x $SHIM && -x $HARNESS ]] || {
		echo "no $SHIM or $HARNESS: build first or set NANOLET_BUILD" >&2
		return 1
	}
	WORK=$(mktemp -d /tmp/nanolet-shim.XXXXXX)
	SHIM_PID=
	MSQ_ID=
}

teardown() {
	[[ -n ${MSQ_ID:-} ]] && ipcrm -q "$MSQ_ID" 2>/dev/null
	[[ -n ${WORK:-} && -d $WORK ]] || return 0
	[[ -n ${BATS_TEST_COMPLETED:-} ]] || {
		echo "# --- shim.log"
		sed 's/^/# /' "$WORK/run/shim.log" 2>/dev/null
	} >&3
	"$HARNESS" cleanup "$WORK"
	! mountpoint -q "$WORK/ramfs" || umount "$WORK/ramfs"
	local left=0
	if [[ -n $SHIM_PID ]] && alive "$SHIM_PID"; then
		kill -KILL "$SHIM_PID" 2>/dev/null
		left=1
	fi
	[[ -z $(find /sys/fs/cgroup -maxdepth 4 -name "nanolet-test-${WORK##*/}" 2>/dev/null) ]] || left=1
	rm -rf "$WORK"
	[[ $left == 0 ]] || {
		echo "a shim or a test cgroup was left behind" >&2
		return 1
	}
}

# alive PID: running and not a zombie (this sandbox's init reaps late).
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

# pod: the pod YAML on stdin; prepares and spawns its shim ($SHIM_PID).
pod() {
	cat >"$WORK/pod.yaml"
	"$HARNESS" prepare "$WORK/pod.yaml" "$WORK"
	SHIM_PID=$("$HARNESS" spawn "$SHIM" "$WORK")
	[[ $SHIM_PID -gt 0 ]]
}

req() {
	reply=$("$HARNESS" request "$WORK" "$@")
}

# start NAME: starts restart 0, the host pid in $pid.
start() {
	req start "$1" 0
	[[ $reply == ok\ * ]] || {
		echo "start $1: $reply" >&2
		return 1
	}
	pid=${reply#ok }
}

# finish NAME: waits for the exit, "exitCode=.. signal=.. pid=.." in $exit, stdout+stderr in
# $out (content only) and the raw log in $log.
finish() {
	exit=$("$HARNESS" wait-exit "$WORK" "$1" 0)
	log=$(cat "$WORK/logs/$1/0.log")
	out=$(cut -d' ' -f4- "$WORK/logs/$1/0.log")
}

# run_container NAME: start and finish.
run_container() {
	start "$1" && finish "$1"
}

@test "a container has its own pid namespace: it is PID 1 of it" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pidns}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "echo \$\$; grep NSpid /proc/self/status; exec sleep 30"]}
EOF
	start a
	# From the host, the container's process is known in two pid namespaces.
	run awk '/^NSpid/ {print NF - 1}' "/proc/$pid/status"
	[ "$output" = 2 ]
	run awk '/^NSpid/ {print $3}' "/proc/$pid/status"
	[ "$output" = 1 ]
	req kill a 9
	[ "$reply" = ok ]
	finish a
	[[ $out == $'1\nNSpid:\t'* ]]
	[ "$exit" = "exitCode=137 signal=9 pid=$pid" ]
}

@test "a new network namespace holds only lo, and lo is up" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: netns}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "ip -o link | cut -d' ' -f2-3; ip -o addr show lo | grep -c 127.0.0.1"]}
EOF
	run_container a
	[ "$out" = $'lo: <LOOPBACK,UP,LOWER_UP>\n1' ]
}

@test "the hostname is the plan's, in uname and in /etc/hostname" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: named}
spec:
  hostname: vault
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "hostname; cat /etc/hostname; grep -c vault /etc/hosts"]}
EOF
	run_container a
	# without an address (no "podIP" in shim.json) the hosts file has no line of the pod's
	[ "$out" = $'vault\nvault\n0' ]
	# The host's own files were never written.
	! grep -q vault /etc/hostname
}

@test "/etc/hosts: the pod's address from shim.json's podIP, its FQDN, the aliases" {
	driver_independent
	cat >"$WORK/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: addressed}
spec:
  hostname: vault
  containers:
  - {name: a, image: host, command: ["/bin/cat", "/etc/hosts"]}
EOF
	"$HARNESS" prepare "$WORK/pod.yaml" "$WORK"
	# what the pod network (podIP) and the daemon (hostDomain, hostAliases) write
	jq '. + {podIP: "198.18.0.7", hostDomain: "sub.default.svc.cluster.local",
		hostAliases: [{ip: "198.18.0.8", hostnames: ["a.test", "b.test"]}]}' \
		"$WORK/run/shim.json" >"$WORK/shim.json"
	mv "$WORK/shim.json" "$WORK/run/shim.json"
	SHIM_PID=$("$HARNESS" spawn "$SHIM" "$WORK")
	run_container a
	[ "$out" = "# Kubernetes-managed hosts file.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
fe00::0	ip6-mcastprefix
fe00::1	ip6-allnodes
fe00::2	ip6-allrouters
198.18.0.7	vault.sub.default.svc.cluster.local	vault

# Entries added by HostAliases.
198.18.0.8	a.test	b.test" ]
}

@test "a podIP that is not a dotted quad stops the shim's start with a clear error" {
	driver_independent
	cat >"$WORK/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: badip}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/true"]}
EOF
	"$HARNESS" prepare "$WORK/pod.yaml" "$WORK"
	jq '. + {podIP: "198.18.0.300"}' "$WORK/run/shim.json" >"$WORK/shim.json"
	mv "$WORK/shim.json" "$WORK/run/shim.json"
	run "$HARNESS" spawn "$SHIM" "$WORK"
	[ "$status" -ne 0 ]
	[[ $output == *"shim.json: podIP is not a dotted quad"* ]]
}

@test "uid, gid and groups come from the plan" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: identity}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "id -u; id -g; id -G | tr ' ' '\\\\n' | sort -n | tr '\\\\n' ' '"]}
EOF
	run_container a
	[ "$out" = $'1000\n3000\n2000 3000 4000 ' ]
}

@test "two containers of a pod share net, ipc and uts, not pid; all differ from the host" {
	driver_independent
	# Both run at once: a namespace's inode number is reused once it is gone.
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "readlink /proc/self/ns/net; exec sleep 30"]}
  - {name: b, image: host, command: ["/bin/sleep", "30"]}
EOF
	start a
	pa=$pid
	start b
	pb=$pid
	for n in net ipc uts pid; do
		[ "$(readlink /proc/$pa/ns/$n)" != "$(readlink /proc/self/ns/$n)" ]
	done
	for n in net ipc uts; do
		[ "$(readlink /proc/$pa/ns/$n)" = "$(readlink /proc/$pb/ns/$n)" ]
	done
	[ "$(readlink /proc/$pa/ns/pid)" != "$(readlink /proc/$pb/ns/pid)" ]
	net=$(readlink /proc/$pa/ns/net)
	req kill a 9
	req kill b 9
	finish a
	# What the process sees of itself is what the host sees of it.
	[ "$out" = "$net" ]
}

@test "shareProcessNamespace: the shim is PID 1 and containers see each other" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  shareProcessNamespace: true
  containers:
  - {name: a, image: host, command: ["/bin/sleep", "30"]}
  - {name: b, image: host, command: ["/bin/sh", "-c", "cat /proc/1/comm; cat /proc/[0-9]*/comm | grep -c '^sleep\$'; readlink /proc/self/ns/pid; readlink /proc/1/ns/pid 2>/dev/null || echo denied"]}
EOF
	start a
	a_pid=$pid
	run_container b
	lines=($out)
	[ "${lines[0]}" = nanolet-shim ]
	[ "${lines[1]}" = 1 ]
	# the shim holds capabilities the container does not: it may not look into it
	[ "${lines[3]}" = denied ]
	[ "${lines[2]}" = "$(readlink /proc/$a_pid/ns/pid)" ]
	[ "${lines[2]}" != "$(readlink /proc/self/ns/pid)" ]
	req kill a 15
	exit=$("$HARNESS" wait-exit "$WORK" a 0)
	[ "$exit" = "exitCode=143 signal=15 pid=$a_pid" ]
}

@test "hostPID, hostNetwork and hostIPC pods see the host's namespaces" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hostns}
spec:
  hostPID: true
  hostNetwork: true
  hostIPC: true
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "for n in net ipc uts pid; do readlink /proc/self/ns/\$n; done"]}
EOF
	run_container a
	a=($out)
	n=(net ipc uts pid)
	for i in 0 1 2 3; do
		[ "${a[i]}" = "$(readlink /proc/self/ns/${n[i]})" ]
	done
}

@test "hostUsers: false maps 65536 ids in a user namespace" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: userns}
spec:
  hostUsers: false
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; echo \$\$"]}
EOF
	run_container a
	[ "$(echo "$out" | tr -s ' ' | sed 's/^ //')" = $'0 100000 65536\n0 100000 65536\n0\n1' ]
	[ "$(readlink /proc/$SHIM_PID/ns/user)" != "$(readlink /proc/self/ns/user)" ]
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
}

@test "a SysV message queue of the host is invisible without hostIPC, visible with it" {
	driver_independent
	MSQ_ID=$(ipcmk -Q | grep -o '[0-9]*$')
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ipc}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "ipcs -q | awk '\$2 == $MSQ_ID' | wc -l"]}
EOF
	run_container a
	[ "$out" = 0 ]
	"$HARNESS" cleanup "$WORK"
	rm -rf "${WORK:?}"/*
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ipc}
spec:
  hostIPC: true
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "ipcs -q | awk '\$2 == $MSQ_ID' | wc -l"]}
EOF
	run_container a
	[ "$out" = 1 ]
}

@test "the container is in its cgroups, and its cgroup namespace shows /" {
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: cg}
spec:
  containers:
  - {name: app, image: host, command: ["/bin/sh", "-c", "cut -d: -f3 /proc/self/cgroup | sort -u; exec sleep 30"]}
EOF
	start app
	for h in memory pids cpu unified; do
		[ -d /sys/fs/cgroup/$h ] || continue
		grep -q "nanolet-test-${WORK##*/}/app\$" <(grep -E ":($h|)?:" "/proc/$pid/cgroup")
	done
	grep -q "nanolet-test-${WORK##*/}/app\$" "/proc/$pid/cgroup"
	# In every hierarchy (the one of v2, each controller's and the unified mirror on v1) the
	# container is in its leaf, the shim in infra/, and the pod's cgroup holds no process: on
	# v2 the container got there by clone3(CLONE_INTO_CGROUP), never through the pod's.
	n=0
	for d in $(find /sys/fs/cgroup -maxdepth 5 -type d -name "nanolet-test-${WORK##*/}"); do
		grep -qx "$pid" "$d/app/cgroup.procs"
		grep -qx "$SHIM_PID" "$d/infra/cgroup.procs"
		[ -z "$(cat "$d/cgroup.procs")" ]
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
	[ "$(readlink /proc/$pid/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)" ]
	req kill app 9
	finish app
	[ "$out" = / ]
}

@test "stdout and stderr land in the CRI log with their stream tags" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: logs}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/sh", "-c", "echo to-out; echo to-err >&2; printf partial"]}
EOF
	run_container a
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F to-out$' <<<"$log"
	grep -Eq '^[^ ]+ stderr F to-err$' <<<"$log"
	grep -Eq '^[^ ]+ stdout F partial$' <<<"$log"
}

@test "exit codes and signals are recorded" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: exits}
spec:
  # A pid namespace's init ignores signals it has no handler for, SIGKILL aside: sleep must
  # not be PID 1 for SIGTERM to end it (as in any container runtime without an init).
  shareProcessNamespace: true
  containers:
  - {name: three, image: host, command: ["/bin/sh", "-c", "exit 3"]}
  - {name: term, image: host, command: ["/bin/sleep", "30"]}
EOF
	run_container three
	[ "$exit" = "exitCode=3 signal=0 pid=$pid" ]
	jq -e '.name == "three" and .restart == 0 and (.startedAt | test("Z$")) and (.finishedAt | test("Z$"))' \
		"$WORK/run/exits/three.0.json"
	start term
	req kill term 15
	[ "$reply" = ok ]
	exit=$("$HARNESS" wait-exit "$WORK" term 0)
	[ "$exit" = "exitCode=143 signal=15 pid=$pid" ]
	req state
	jq -e '.containers | map(select(.running)) | length == 0' <<<"$reply"
	req kill term 15
	[[ $reply == "error 3 "* ]]
}

@test "a run is made once: a start of a run number already made is refused (EBUSY), also once it ended" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  containers:
  - {name: quick, image: host, command: ["/bin/sh", "-c", "echo ran; exit 3"]}
EOF
	run_container quick
	[ "$exit" = "exitCode=3 signal=0 pid=$pid" ]
	# a start that came late (its daemon stopped waiting for the answer, or was restarted and
	# asked again): the run it names ended, and is not made a second time
	req start quick 0
	[[ $reply == "error 16 "* ]]
	[[ $(grep -c ran "$WORK/logs/quick/0.log") == 1 ]]
	jq -e '.restart == 0 and .exitCode == 3' "$WORK/run/exits/quick.0.json"
	req state
	jq -e --argjson pid "$pid" '.containers == [{name: "quick", pid: $pid, restart: 0, running: false}]' <<<"$reply"
	# the next run is made as ever
	req start quick 1
	[[ $reply == ok\ * ]]
	exit=$("$HARNESS" wait-exit "$WORK" quick 1)
	[[ $exit == "exitCode=3 signal=0 "* ]]
	[[ $(grep -c ran "$WORK/logs/quick/1.log") == 1 ]]
}

@test "a writable layer is mounted volatile: its exit syncs nothing, and the next run gets a fresh one" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: volatile}
spec:
  containers:
  - {name: w, image: host, command: ["/bin/sh", "-c", "grep ' / / ' /proc/self/mountinfo; test -e /written && echo stale; echo data >/written"]}
EOF
	run_container w
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
	# the root's overlay: "volatile" (Linux 5.10 to 6.6 print it so; later kernels
	# "fsync=volatile"), so that its unmount at the exit runs no syncfs of the state directory
	grep -Eq ' overlay overlay .*,(volatile|fsync=volatile)(,|$)' "$WORK/logs/w/0.log"
	layer=$(echo "$WORK"/state/pods/*/layers/w)
	[ "$(cat "$layer/upper/written")" = data ]
	# overlayfs marks a volatile work directory, and would refuse to mount it again: the next
	# run's layer is a new one, without the last run's file
	[ -d "$layer/work/work/incompat/volatile" ]
	req start w 1
	[[ $reply == ok\ * ]]
	exit=$("$HARNESS" wait-exit "$WORK" w 1)
	[[ $exit == "exitCode=0 signal=0 "* ]]
	! grep -q stale "$WORK/logs/w/1.log"
}

@test "exec of a missing binary is a StartError: error 2 No such file or directory" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: missing}
spec:
  containers:
  - {name: a, image: host, command: ["/no/such/binary"]}
EOF
	req start a 0
	[ "$reply" = "error 2 No such file or directory" ]
	[ ! -e "$WORK/run/exits/a.0.json" ]
	# The shim still serves, and the container can be tried again.
	req state
	jq -e '.containers == []' <<<"$reply"
}

@test "an emptyDir is writable, a readOnly mount refuses writes" {
	driver_independent
	mkdir -p "$WORK/host-data"
	echo hello >"$WORK/host-data/greeting"
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: volumes}
spec:
  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: data, hostPath: {path: $WORK/host-data}}
  containers:
  - name: a
    image: host
    command: ["/bin/sh", "-c", "touch /mnt/new && echo wrote; cat /opt/greeting; touch /opt/x || echo refused"]
    volumeMounts:
    - {name: scratch, mountPath: /mnt}
    - {name: data, mountPath: /opt, readOnly: true}
EOF
	run_container a
	[[ $out == *wrote* ]]
	[[ $out == *hello* ]]
	[[ $out == *"Read-only file system"* ]]
	[[ $out == *refused* ]]
	[ -e "$WORK"/state/pods/*/volumes/kubernetes.io~empty-dir/scratch/new ]
	[ ! -e "$WORK/host-data/x" ]
}

@test "a root directory: pivot_root, minimal /dev, hostname files bound from the run dir" {
	driver_independent
	root=$WORK/rootfs
	mkdir -p "$root"/{usr,etc,tmp}
	for l in bin sbin lib lib64; do ln -s "usr/$l" "$root/$l"; done
	: >"$root/etc/hostname"
	: >"$root/etc/hosts"
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: rooted}
spec:
  hostname: boxed
  volumes:
  - {name: usr, hostPath: {path: /usr}}
  containers:
  - name: a
    image: $root
    command: ["/bin/sh", "-c", "ls /; ls /dev | tr '\\\\n' ' '; echo; cat /etc/hostname; echo \$\$; touch /usr/x || echo usr-ro"]
    volumeMounts:
    - {name: usr, mountPath: /usr, readOnly: true}
EOF
	run_container a
	[[ $out == *$'\n'"boxed"$'\n1\n'* ]]
	[[ $out == *"fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "$'\n'* ]]
	[[ $out == *usr-ro* ]]
	! grep -q . "$root/etc/hostname"
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
}

@test "a root directory that does not exist is an error reply" {
	driver_independent
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: noroot}
spec:
  containers:
  - {name: a, image: /nonexistent/nanolet/root, command: ["/bin/true"]}
EOF
	req start a 0
	[ "$reply" = "error 2 root /nonexistent/nanolet/root: No such file or directory" ]
}

@test "shutdown: ok, then the shim exits once no container runs" {
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: down}
spec:
  containers:
  - {name: a, image: host, command: ["/bin/sleep", "30"]}
EOF
	start a
	req shutdown
	[ "$reply" = ok ]
	alive "$SHIM_PID"
	req kill a 9
	for i in $(seq 50); do alive "$SHIM_PID" || break; sleep 0.1; done
	! alive "$SHIM_PID"
	[ -e "$WORK/run/exits/a.0.json" ]
	[ ! -e "$WORK/run/shim.sock" ]
}

# ---- images: an overlay of hand-made layer directories ------------------------------------------

# layers: two layer directories as pkg/image unpacks them, $WORK/layers/sha256/<diff hex>/root
# (the shim's mounter takes no other shape): the bottom one holds a static busybox and some files; the top one adds
# a file, deletes data/gone with a whiteout (a 0/0 character device) and empties old/ (an opaque
# directory, trusted.overlay.opaque "y").
layers() {
	L1=$WORK/layers/sha256/$(printf '1%.0s' {1..64})/root
	L2=$WORK/layers/sha256/$(printf '2%.0s' {1..64})/root
	mkdir -p "$L1/bin" "$L1/data" "$L1/old" "$L1/etc" "$L1/work" "$L2/data" "$L2/old"
	cp /bin/busybox "$L1/bin/busybox"
	for c in sh cat ls echo id pwd test tr rm; do ln -s busybox "$L1/bin/$c"; done
	echo keep >"$L1/data/keep"
	echo gone >"$L1/data/gone"
	echo a >"$L1/old/a"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$L1/etc/passwd"
	echo new >"$L2/data/new"
	mknod "$L2/data/gone" c 0 0
	echo b >"$L2/old/b"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$L2/old"
}

# resolve NAME [JSON_FIELDS]: container NAME's image is on the node (layers L2 over L1, and the
# config's fields given, a JSON object's inside), as the daemon resolves it after the shim started;
# the containers resolved before stay so (the daemon keeps its plan; the harness builds it again).
resolve() {
	local extra=${2:+, $2} f args=()
	printf '{"reference": "registry.test/layered:1", "id": "sha256:0123", "layers": ["%s", "%s"]%s}\n' \
		"$L2" "$L1" "$extra" >"$WORK/image-$1.json"
	for f in "$WORK"/image-*.json; do
		f=${f##*/image-}
		args+=("${f%.json}" "$WORK/image-$f")
	done
	"$HARNESS" resolve "$WORK" "${args[@]}"
}

@test "an image: its layers through overlayfs, whiteouts and opaque dirs hide lower files, writes stay in the upper dir" {
	driver_independent
	layers
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: layered}
spec:
  containers:
  - name: a
    image: registry.test/layered:1
    command: ["/bin/sh", "-c", "cat /data/keep /data/new; ls /data | tr '\\\\n' ' '; echo; ls /old; echo changed >/data/keep; echo fresh >/fresh; rm /data/new; cat /data/keep; test -e /data/new || echo new-removed"]
EOF
	# the shim started before the image was on the node: the container is not started then
	req start a 0
	[ "$reply" = "error 2 the image registry.test/layered:1 of container a is not on the node yet" ]
	# resolved after the shim started: shim.json rewritten, read again at the start
	resolve a
	run_container a
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
	[ "$out" = $'keep\nnew\nkeep new \nb\nchanged\nnew-removed' ]
	# the layers are as they were: every write went to the container's own upper directory
	[ "$(cat "$L1/data/keep")" = keep ]
	[ "$(cat "$L2/data/new")" = new ]
	[ ! -e "$L1/fresh" ] && [ ! -e "$L2/fresh" ]
	upper=$(echo "$WORK"/state/pods/*/layers/a/upper)
	[ "$(cat "$upper/data/keep")" = changed ]
	[ "$(cat "$upper/fresh")" = fresh ]
	# removing a lower file is a whiteout in the upper directory
	[ -c "$upper/data/new" ]
}

@test "an image's config: Entrypoint and Cmd, Env under the spec's env, WorkingDir and User" {
	driver_independent
	layers
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: config}
spec:
  containers:
  - name: a
    image: registry.test/layered:1
    env: [{name: MODE, value: spec}]
  - name: b
    image: registry.test/layered:1
    args: ["echo from-args; pwd; id -u"]
    workingDir: /data
    securityContext: {runAsUser: 2000}
EOF
	cfg='"entrypoint": ["/bin/sh", "-c"], "cmd": ["echo $GREETING $MODE; pwd; id -u; id -g"], "env": ["PATH=/bin", "GREETING=hello", "MODE=image"], "workingDir": "/work", "user": "1000:1001", "uid": 1000, "gid": 1001'
	resolve a "$cfg"
	resolve b "$cfg"
	run_container a
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
	[ "$out" = $'hello spec\n/work\n1000\n1001' ]
	run_container b
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
	[ "$out" = $'from-args\n/data\n2000' ]
}

@test "an image resolved again (a new pull): the next run starts from the new one" {
	driver_independent
	layers
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  containers:
  - {name: a, image: registry.test/layered:1, command: ["/bin/sh", "-c", "ls /data | tr '\\\\n' ' '"]}
EOF
	resolve a
	run_container a
	[ "$out" = "keep new " ]
	# a second image: the bottom layer alone
	printf '{"reference": "registry.test/layered:2", "id": "sha256:4567", "layers": ["%s"]}\n' \
		"$L1" >"$WORK/image-a.json"
	"$HARNESS" resolve "$WORK" a "$WORK/image-a.json"
	req start a 1
	[[ $reply == ok\ * ]]
	exit=$("$HARNESS" wait-exit "$WORK" a 1)
	[[ $exit == exitCode=0\ * ]]
	[ "$(cut -d' ' -f4- "$WORK/logs/a/1.log")" = "gone keep " ]
}

@test "an image in a pod with hostUsers: false: its layers idmapped into the pod's user namespace, writes in the upper dir as the pod's root" {
	driver_independent
	layers
	# a file of the node's uid 1000: the pod's uid 1000 (the node's 101000) owns it
	echo mine >"$L1/data/mine"
	chown 1000:1001 "$L1/data/mine"
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: userns}
spec:
  hostUsers: false
  containers:
  - name: a
    image: registry.test/layered:1
    command: ["/bin/sh", "-c", "id -u; cat /proc/self/uid_map; busybox stat -c '%u:%g %n' / /bin/busybox /data/keep /data/mine; ls /data | tr '\\\\n' ' '; echo; ls /old; echo changed >/data/keep; echo fresh >/fresh; mkdir /made; cat /data/keep; busybox stat -c '%u:%g %n' /fresh /made /data/keep"]
EOF
	resolve a
	run_container a
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
	[ "$(echo "$out" | tr -s ' ' | sed 's/^ //')" = $'0\n0 100000 65536\n0:0 /\n0:0 /bin/busybox\n0:0 /data/keep\n1000:1001 /data/mine\nkeep mine new \nb\nchanged\n0:0 /fresh\n0:0 /made\n0:0 /data/keep' ]
	# on the node: the upper directory and what the container wrote are the pod's root's
	upper=$(echo "$WORK"/state/pods/*/layers/a/upper)
	[ "$(stat -c %u:%g "$upper" "$upper/fresh" "$upper/made" "$upper/data/keep" | sort -u)" = 100000:100000 ]
	[ "$(cat "$upper/data/keep")" = changed ]
	# the layers are untouched: their contents and their owners
	[ "$(cat "$L1/data/keep")" = keep ]
	[ "$(stat -c %u:%g "$L1/data/keep" "$L1/bin/busybox" "$L1" | sort -u)" = 0:0 ]
	[ "$(stat -c %u:%g "$L1/data/mine")" = 1000:1001 ]
	[ ! -e "$L1/fresh" ] && [ ! -e "$L2/fresh" ] && [ ! -e "$L1/made" ]
	# no mount of the layers is left on the node: the mounter's were detached
	! grep -q "$WORK/layers" /proc/self/mountinfo
	# a restart: the last run's layer (overlayfs's work directory included) goes, a new one
	# comes, the image as it was
	req start a 1
	[[ $reply == ok\ * ]]
	exit=$("$HARNESS" wait-exit "$WORK" a 1)
	[[ $exit == exitCode=0\ * ]]
	# the same output, stderr's included: /made and /fresh were not there again
	[ "$(cut -d' ' -f3- "$WORK/logs/a/1.log")" = "$(cut -d' ' -f3- "$WORK/logs/a/0.log")" ]
	[ "$(grep -c . "$WORK/logs/a/1.log")" = 12 ]
}

@test "an image in a pod with hostUsers: false whose layers cannot be idmapped is refused, saying why" {
	driver_independent
	layers
	# ramfs has no idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP: EINVAL)
	mkdir "$WORK/ramfs"
	mount -t ramfs none "$WORK/ramfs"
	mkdir -p "$WORK/ramfs/layers/sha256"
	cp -a "${L1%/root}" "$WORK/ramfs/layers/sha256/"
	L1=$WORK/ramfs/layers/sha256/${L1#"$WORK"/layers/sha256/}
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: noidmap}
spec:
  hostUsers: false
  containers:
  - {name: a, image: registry.test/layered:1, command: ["/bin/true"]}
EOF
	resolve a
	req start a 0
	umount "$WORK/ramfs"
	[ "$reply" = "error 22 the image registry.test/layered:1 cannot be the root of a pod with hostUsers: false here: its layer $L1 is on a filesystem this kernel cannot mount idmapped (mount_setattr MOUNT_ATTR_IDMAP: Invalid argument), and its files belong to ids the pod's user namespace does not map" ]
}

@test "the mounter, root on the node, mounts only the image store's layers: any other directory is refused" {
	driver_independent
	layers
	# a request naming a directory of the node as a layer (a P1 the pod took over could send
	# it): refused before anything is mounted or made
	mkdir -p "$WORK/elsewhere"
	cp -a "$L1/." "$WORK/elsewhere/"
	L1=$WORK/elsewhere
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: outside}
spec:
  hostUsers: false
  containers:
  - {name: a, image: registry.test/layered:1, command: ["/bin/true"]}
EOF
	resolve a
	req start a 0
	[ "$reply" = "error 1 the mounter mounts no $WORK/elsewhere: not a layer of the image store" ]
}

@test "an image with readOnlyRootFilesystem: its root, upper directory included, takes no write" {
	driver_independent
	layers
	pod <<EOF
apiVersion: v1
kind: Pod
metadata: {name: readonly}
spec:
  containers:
  - name: a
    image: registry.test/layered:1
    command: ["/bin/sh", "-c", "cat /data/new; echo x >/data/keep || echo refused"]
    securityContext: {readOnlyRootFilesystem: true}
EOF
	resolve a
	run_container a
	[ "$exit" = "exitCode=0 signal=0 pid=$pid" ]
	# stdout and stderr come through two pipes: their lines' order is not the program's
	[[ $out == *new* && $out == *"can't create /data/keep: Read-only file system"* && $out == *refused* ]]
	[ "$(cat "$L1/data/keep")" = keep ]
	upper=$(echo "$WORK"/state/pods/*/layers/a/upper)
	[ ! -e "$upper/data/keep" ]
}
