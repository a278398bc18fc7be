#!/usr/bin/env bats
# What a process can and cannot do from inside a real pod: its capability sets, no_new_privs and
# seccomp as /proc/self/status shows them; escape attempts that fail for a default container
# and work for a privileged one (mount, mknod, umount /proc, remounts, /proc/sys, nsenter into
# the node's namespaces, the daemon's socket); the host image it cannot write through; devices;
# seccomp profiles; runAsNonRoot; and the plan saying the same. Runs on both cgroup drivers
# (the device rules differ): on the host and in the v2 VM (tests/vm/suites.sh).

load common
load pods_helpers

setup() {
	common_setup
	pods_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# run_pod NAME: creates the pod of the YAML on stdin (restartPolicy Never) and waits until it
# ended; with one container, its log is in $log.
run_pod() {
	create_pod "$(cat)"
	wait_for pod_ended "$1" || {
		get_pod "$1" | jq .status
		return 1
	}
	if [[ $(get_pod "$1" | jq '.spec.containers | length') == 1 ]]; then
		log=$(pod_log "$1")
		echo "$log"
	fi
}

pod_ended() {
	[[ $(get_pod "$1" | jq -r .status.phase) == @(Succeeded|Failed) ]]
}

# containerd's 14 default capabilities: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
# SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
DEFAULT_CAPS=00000000a80425fb

# What each escape attempt does, one line each: "name ok" or "name failed: <the error's last
# words>". One line of sh (YAML folds the lines of a quoted scalar), without single quotes.
ESCAPES='try() { n=$1; shift; if out=$("$@" 2>&1); then echo "$n ok"; else echo "$n failed: $(printf "%s\n" "$out" | head -n1 | sed "s/.*: //")"; fi; }; '\
'try mount mount -t tmpfs none /mnt; try mknod-disk mknod /tmp/sda b 8 0; '\
'try mknod-null mknod /tmp/null c 1 3; '\
'try remount-sys mount -o remount,rw /sys; try remount-root mount -o remount,rw /; '\
'try write-proc-sys sh -c "echo x >/proc/sys/kernel/domainname"; '\
'try sysrq sh -c "echo h >/proc/sysrq-trigger"; try unshare-user unshare -U true; '\
'try kcore-has-memory test -s /proc/kcore; try kmsg test -c /dev/kmsg; '\
'try umount-proc umount /proc'

@test "a default container: containerd's capabilities, no_new_privs off, RuntimeDefault seccomp, and the plan says so" {
	driver_independent
	run_pod caps <<EOF
apiVersion: v1
kind: Pod
metadata: {name: caps}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: host, command: [sh, -c, 'grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status']}
EOF
	[[ $log == "CapInh:	0000000000000000
CapPrm:	$DEFAULT_CAPS
CapEff:	$DEFAULT_CAPS
CapBnd:	$DEFAULT_CAPS
CapAmb:	0000000000000000
NoNewPrivs:	0
Seccomp:	2" ]]
	plan=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/caps/isolation?pretty=false")
	[[ $(jq -r '.containers[0].security.capabilities.bounding | length' <<<"$plan") == 14 ]]
	[[ $(jq -r '.containers[0].security.capabilities.inheritable | length' <<<"$plan") == 0 ]]
	[[ $(jq -r '.containers[0].security.seccomp.type' <<<"$plan") == RuntimeDefault ]]
	[[ $(jq -r '.explanation[] | select(startswith("security: container c "))' <<<"$plan") == *"containerd's 14 default capabilities"* ]]
}

@test "a default container cannot mount, make a disk node, uncover the node's /proc, remount /sys or /, write /proc/sys or unshare; a privileged one can" {
	run_pod escape <<EOF
apiVersion: v1
kind: Pod
metadata: {name: escape}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: host, command: [sh, -c, '$ESCAPES']}
  - {name: p, image: host, securityContext: {privileged: true}, command: [sh, -c, '$ESCAPES']}
EOF
	c=$(pod_log escape c)
	echo "$c"
	# /proc/sysrq-trigger: read-only where the kernel has one (not every kernel does)
	grep -qxE 'sysrq failed: (Read-only file system|Directory nonexistent)' <<<"$c"
	c=$(grep -v '^sysrq ' <<<"$c")
	[[ $c == "mount failed: permission denied.
mknod-disk failed: Operation not permitted
mknod-null ok
remount-sys failed: permission denied.
remount-root failed: permission denied.
write-proc-sys failed: Read-only file system
unshare-user failed: Operation not permitted
kcore-has-memory failed: 
kmsg failed: 
umount-proc failed: must be superuser to unmount." ]]
	p=$(pod_log escape p)
	echo "$p"
	for n in mount mknod-disk mknod-null umount-proc remount-sys write-proc-sys unshare-user kmsg; do
		grep -qx "$n ok" <<<"$p"
	done
	[[ $(get_pod escape | jq -r '[.status.containerStatuses[].state.terminated.reason] | unique | .[]') == Completed ]]
}

@test "the host image: what a container writes stays in its own layer, the node's secrets and nanolet's files are not in it, /dev is minimal" {
	touch /etc/nanolet-test-absent-$$ && rm /etc/nanolet-test-absent-$$
	run_pod image <<EOF
apiVersion: v1
kind: Pod
metadata: {name: image}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: host
    command: [sh, -c, 'echo hi >/etc/nanolet-test-$$ && cat /etc/nanolet-test-$$; wc -c </etc/shadow; echo \$(ls /dev); test -e $SOCK || echo no-socket; test -e $TEST_TMP/state || echo no-state; echo \$(ls -A /run /tmp /root)']
EOF
	[[ ! -e /etc/nanolet-test-$$ ]]
	lines=()
	mapfile -t lines <<<"$log"
	[[ ${lines[0]} == hi ]]
	[[ ${lines[1]} == 0 ]]
	# the devices, and the run's termination message file (terminationMessagePath's default)
	[[ ${lines[2]} == "fd full mqueue null ptmx pts random shm stderr stdin stdout termination-log tty urandom zero" ]]
	[[ ${lines[3]} == no-socket ]]
	[[ ${lines[4]} == no-state ]]
	[[ ${lines[5]} == "/root: /run: /tmp:" ]]
}

@test "a restarted container starts from its image again: its writable layer is new" {
	driver_independent
	create_pod "$(pod_yaml again 'test -e /etc/run-before && echo found || echo fresh; echo x >/etc/run-before; exit 1' OnFailure)"
	wait_for restarts_at_least again 1
	wait_for log_has again fresh
	run_log=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/again/log?previous=true")
	[[ $run_log == fresh ]]
	! grep -q found <<<"$(pod_log again)"
}

@test "readOnlyRootFilesystem: no write, and no remount can undo it" {
	driver_independent
	run_pod ro <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ro}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: host
    securityContext: {readOnlyRootFilesystem: true}
    command: [sh, -c, 'touch /etc/x 2>&1; touch /tmp/x 2>&1; mount -o remount,rw / 2>&1; touch /etc/x 2>&1 || echo still-read-only']
EOF
	[[ $log == *"/etc/x': Read-only file system"* ]]
	[[ $log == *"/tmp/x': Read-only file system"* ]]
	[[ $log == *"permission denied"* ]]
	[[ $log == *still-read-only ]]
}

@test "capabilities: drop ALL, add one back, and a non-root user holds none" {
	driver_independent
	run_pod capset <<EOF
apiVersion: v1
kind: Pod
metadata: {name: capset}
spec:
  restartPolicy: Never
  containers:
  - {name: none, image: host, securityContext: {capabilities: {drop: [ALL]}}, command: [sh, -c, 'grep -E "^Cap(Eff|Bnd)" /proc/self/status; chown 1 /tmp 2>&1 || true']}
  - {name: net, image: host, securityContext: {capabilities: {add: [NET_ADMIN]}}, command: [sh, -c, 'ip link set lo mtu 1400 && echo mtu-set']}
  - {name: nonet, image: host, command: [sh, -c, 'ip link set lo mtu 1400 2>&1 || true']}
  - {name: back, image: host, securityContext: {capabilities: {drop: [ALL], add: [cap_chown]}}, command: [sh, -c, 'grep -E "^CapBnd" /proc/self/status']}
  - {name: user, image: host, securityContext: {runAsUser: 1000}, command: [sh, -c, 'grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status']}
EOF
	[[ $(pod_log capset none) == $'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n'*"Operation not permitted" ]]
	[[ $(pod_log capset net) == mtu-set ]]
	[[ $(pod_log capset nonet) == *"Operation not permitted" ]]
	[[ $(pod_log capset back) == $'CapBnd:\t0000000000000001' ]]
	[[ $(pod_log capset user) == $'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t'$DEFAULT_CAPS ]]
}

@test "allowPrivilegeEscalation: false sets no_new_privs: a setuid binary no longer raises a user to root" {
	driver_independent
	mkdir -p "$TEST_TMP/suid"
	cp /usr/bin/id "$TEST_TMP/suid/id"
	chmod 4755 "$TEST_TMP/suid/id"
	run_pod nnp <<EOF
apiVersion: v1
kind: Pod
metadata: {name: nnp}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000}
  volumes: [{name: s, hostPath: {path: $TEST_TMP/suid}}]
  containers:
  - {name: free, image: host, volumeMounts: [{name: s, mountPath: /suid}], command: [sh, -c, 'grep NoNewPrivs /proc/self/status; /suid/id -u']}
  - {name: nnp, image: host, securityContext: {allowPrivilegeEscalation: false}, volumeMounts: [{name: s, mountPath: /suid}], command: [sh, -c, 'grep NoNewPrivs /proc/self/status; /suid/id -u']}
EOF
	[[ $(pod_log nnp free) == $'NoNewPrivs:\t0\n0' ]]
	[[ $(pod_log nnp nnp) == $'NoNewPrivs:\t1\n1000' ]]
}

@test "seccomp: Unconfined lets unshare through, a Localhost profile denies what it names, a bad one is a StartError" {
	driver_independent
	mkdir -p "$TEST_TMP/profiles"
	cat >"$TEST_TMP/profiles/no-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
	echo '{"defaultAction": "SCMP_ACT_SOMETIMES"}' >"$TEST_TMP/profiles/bad.json"
	pods_teardown
	stop_daemon
	pods_setup --seccomp-profile-root "$TEST_TMP/profiles"
	run_pod sc <<EOF
apiVersion: v1
kind: Pod
metadata: {name: sc}
spec:
  restartPolicy: Never
  securityContext: {seccompProfile: {type: Unconfined}}
  containers:
  - {name: pod, image: host, command: [sh, -c, 'grep "^Seccomp:" /proc/self/status; unshare -U true && echo unshared']}
  - {name: own, image: host, securityContext: {seccompProfile: {type: RuntimeDefault}}, command: [sh, -c, 'unshare -U true 2>&1 || true']}
  - {name: local, image: host, securityContext: {seccompProfile: {type: Localhost, localhostProfile: no-mkdir.json}}, command: [sh, -c, 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touched']}
  - {name: bad, image: host, securityContext: {seccompProfile: {type: Localhost, localhostProfile: bad.json}}, command: ["true"]}
  - {name: gone, image: host, securityContext: {seccompProfile: {type: Localhost, localhostProfile: absent.json}}, command: ["true"]}
EOF
	[[ $(pod_log sc pod) == $'Seccomp:\t0\nunshared' ]]
	[[ $(pod_log sc own) == *"Operation not permitted" ]]
	[[ $(pod_log sc local) == *"Operation not permitted"*touched ]]
	statuses=$(get_pod sc | jq -c '.status.containerStatuses')
	bad=$(jq -r '.[] | select(.name == "bad") | .state.terminated' <<<"$statuses")
	[[ $(jq -r .reason <<<"$bad") == StartError ]]
	[[ $(jq -r .message <<<"$bad") == "seccomp profile $TEST_TMP/profiles/bad.json: defaultAction: unknown action \"SCMP_ACT_SOMETIMES\""* ]]
	gone=$(jq -r '.[] | select(.name == "gone") | .state.terminated.message' <<<"$statuses")
	[[ $gone == "seccomp profile $TEST_TMP/profiles/absent.json: No such file or directory" ]]
}

@test "runAsNonRoot with a root user: CreateContainerConfigError and a Failed event, nothing started; with runAsUser 1000 it runs" {
	driver_independent
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: root, image: host, command: [sleep, "30"]}
  - {name: user, image: host, securityContext: {runAsUser: 1000}, command: [sh, -c, 'id -u; sleep 30']}
EOF
	)"
	wait_log nonroot 1000 user
	wait_for waiting_reason_is nonroot CreateContainerConfigError
	root=$(get_pod nonroot | jq -c '.status.containerStatuses[] | select(.name == "root")')
	uid=$(get_pod nonroot | jq -r .metadata.uid)
	[[ $(jq -r .state.waiting.message <<<"$root") == "container has runAsNonRoot and image will run as root (pod: \"nonroot_default($uid)\", container: root)" ]]
	[[ $(jq -r .restartCount <<<"$root") == 0 ]]
	events_of nonroot | jq -e '.items[] | select(.reason == "Failed" and .type == "Warning" and (.message | startswith("Error: container has runAsNonRoot")))' >/dev/null
}

@test "hostPID without privileges: the node's processes are visible, but nsenter into their namespaces fails; privileged, it works" {
	driver_independent
	run_pod nsenter <<EOF
apiVersion: v1
kind: Pod
metadata: {name: nsenter}
spec:
  restartPolicy: Never
  hostPID: true
  containers:
  - {name: c, image: host, command: [sh, -c, 'test -d /proc/$DAEMON_PID && echo sees-the-daemon; nsenter -t $DAEMON_PID -m -u -n -i true 2>&1 || true']}
  - {name: p, image: host, securityContext: {privileged: true}, command: [sh, -c, 'nsenter -t $DAEMON_PID -m -u -n -i sh -c "test -S $SOCK && echo in-the-node"']}
EOF
	[[ $(pod_log nsenter c) == sees-the-daemon$'\n'*@("Permission denied"|"Operation not permitted") ]]
	[[ $(pod_log nsenter p) == in-the-node ]]
}

@test "hostUsers: false: the default capabilities inside the user namespace, the same masks, and nothing of the node's /proc" {
	run_pod userns <<EOF
apiVersion: v1
kind: Pod
metadata: {name: userns}
spec:
  restartPolicy: Never
  hostUsers: false
  containers:
  - {name: c, image: host, command: [sh, -c, 'grep -E "^(CapBnd|Seccomp:)" /proc/self/status; cat /proc/self/uid_map; umount /proc 2>&1; grep -c -E " /proc/sys proc ro,| /proc/keys " /proc/mounts; mount -t tmpfs x /mnt 2>&1']}
EOF
	lines=()
	mapfile -t lines <<<"$log"
	[[ ${lines[0]} == $'CapBnd:\t'$DEFAULT_CAPS ]]
	[[ ${lines[1]} == $'Seccomp:\t2' ]]
	[[ ${lines[2]} =~ ^\ +0\ +[0-9]+\ +65536$ ]]
	[[ ${lines[3]} == *"must be superuser to unmount"* ]]
	[[ ${lines[4]} == 2 ]]
	[[ ${lines[5]} == *"permission denied"* ]]
}

@test "refused at the door: an unknown capability, privileged in a user namespace, allowPrivilegeEscalation false with privileged; a hostPath onto the socket's directory is a warning" {
	driver_independent
	call POST /api/v1/namespaces/default/pods --data-binary "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  hostUsers: false
  containers:
  - {name: a, image: host, command: ["true"], securityContext: {capabilities: {add: [FLY]}}}
  - {name: b, image: host, command: ["true"], securityContext: {privileged: true}}
  - {name: c, image: host, command: ["true"], securityContext: {privileged: false, allowPrivilegeEscalation: false, capabilities: {add: [SYS_ADMIN]}}}
EOF
	)"
	[[ $code == 422 ]]
	[[ $(jq -r '[.details.causes[].field] | join(" ")' <<<"$body") == "spec.containers[0].securityContext.capabilities.add[0] spec.containers[1].securityContext.privileged spec.containers[2].securityContext" ]]
	call POST /api/v1/namespaces/default/pods --data-binary "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: socket}
spec:
  restartPolicy: Never
  volumes: [{name: run, hostPath: {path: $TEST_TMP/run}}]
  containers:
  - {name: a, image: host, command: ["true"], volumeMounts: [{name: run, mountPath: /n}]}
EOF
	)"
	[[ $code == 201 ]]
	grep -q "^Warning: 299 - \"spec.volumes\[0\].hostPath.path: \\\\\"$TEST_TMP/run\\\\\" reaches nanoletd's API socket" "$TEST_TMP/headers"
}
