#!/usr/bin/env bats
# securityContext.sysctls in real pods: the values a container reads back under /proc/sys are
# the pod's, and the node's stay what they were; the safe set is admitted, an unsafe sysctl only
# with allowed_unsafe_sysctls (else the kubelet's refusal); the API server's 422s (names,
# duplicates, hostNetwork, hostIPC); a write the kernel refuses fails the create; and the plan
# lists each sysctl with its namespace. The cgroup driver plays no part: driver_independent.

load common
load pods_helpers

setup() {
	common_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# sysctl_pod NAME COMMAND SYSCTLS [SPEC_LINES]: a pod (restartPolicy Never) of one container
# running sh -c COMMAND, with securityContext.sysctls SYSCTLS (a YAML flow list) and more lines
# of its spec.
sysctl_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  securityContext:
    sysctls: $3
${4:-}
  containers:
  - name: c
    image: host
    command: [sh, -c, '$2']
EOF
}

pod_ended() {
	[[ $(get_pod "$1" | jq -r .status.phase) == @(Succeeded|Failed) ]]
}

# run_sysctl_pod NAME YAML: creates the pod, waits for its end; its log in $log.
run_sysctl_pod() {
	create_pod "$2"
	wait_for pod_ended "$1" || {
		get_pod "$1" | jq .status
		return 1
	}
	log=$(pod_log "$1")
	echo "$log"
}

node_value() {
	tr -s '\t ' ' ' <"/proc/sys/$1"
}

READ='for f in net/ipv4/ip_local_port_range kernel/shm_rmid_forced net/ipv4/tcp_keepalive_time; do printf "%s=" $f; tr -s "[:blank:]" " " </proc/sys/$f; done'

@test "safe sysctls are the pod's: read back inside, the node's unchanged" {
	driver_independent
	pods_setup
	local ports shm keepalive
	ports=$(node_value net/ipv4/ip_local_port_range)
	shm=$(node_value kernel/shm_rmid_forced)
	keepalive=$(node_value net/ipv4/tcp_keepalive_time)
	# values the node does not have, so that reading them proves the pod's namespaces
	[[ $ports != "20000 40000" && $shm != 1 && $keepalive != 601 ]]

	run_sysctl_pod safe "$(sysctl_pod safe "$READ" '[{name: net.ipv4.ip_local_port_range, value: "20000 40000"},
      {name: kernel.shm_rmid_forced, value: "1"}, {name: net/ipv4/tcp_keepalive_time, value: "601"}]')"
	[[ $(get_pod safe | jq -r .status.phase) == Succeeded ]]
	grep -qx 'net/ipv4/ip_local_port_range=20000 40000' <<<"$log"
	grep -qx 'kernel/shm_rmid_forced=1' <<<"$log"
	grep -qx 'net/ipv4/tcp_keepalive_time=601' <<<"$log"

	[[ $(node_value net/ipv4/ip_local_port_range) == "$ports" ]]
	[[ $(node_value kernel/shm_rmid_forced) == "$shm" ]]
	[[ $(node_value net/ipv4/tcp_keepalive_time) == "$keepalive" ]]
}

@test "hostUsers: false: the safe set is written with the pod's user namespace's rights" {
	driver_independent
	pods_setup
	local ports shm
	ports=$(node_value net/ipv4/ip_local_port_range)
	shm=$(node_value kernel/shm_rmid_forced)

	run_sysctl_pod userns "$(sysctl_pod userns "$READ" '[{name: net.ipv4.ip_local_port_range, value: "20000 40000"},
      {name: kernel.shm_rmid_forced, value: "1"}]' '  hostUsers: false')"
	[[ $(get_pod userns | jq -r .status.phase) == Succeeded ]]
	grep -qx 'net/ipv4/ip_local_port_range=20000 40000' <<<"$log"
	grep -qx 'kernel/shm_rmid_forced=1' <<<"$log"
	[[ $(node_value net/ipv4/ip_local_port_range) == "$ports" ]]
	[[ $(node_value kernel/shm_rmid_forced) == "$shm" ]]
}

@test "an unsafe sysctl is refused as the kubelet refuses it, and admitted by allowed_unsafe_sysctls" {
	driver_independent
	local somaxconn
	somaxconn=$(node_value net/core/somaxconn)
	[[ $somaxconn != 1234 ]]

	pods_setup
	call POST /api/v1/namespaces/default/pods --data-binary \
		"$(sysctl_pod unsafe 'cat /proc/sys/net/core/somaxconn' '[{name: net.core.somaxconn, value: "1234"}]')"
	echo "$code $body"
	[[ $code == 403 ]]
	[[ $(jq -r .reason <<<"$body") == Forbidden ]]
	[[ $(jq -r .message <<<"$body") == 'pods "unsafe" is forbidden: forbidden sysctl: "net.core.somaxconn" not allowlisted' ]]
	[[ $(jq -c '.details.causes' <<<"$body") == '[{"reason":"SysctlForbidden","message":"forbidden sysctl: \"net.core.somaxconn\" not allowlisted","field":"spec.securityContext.sysctls[0].name"}]' ]]
	# nothing was made: no pod to list
	[[ $(nanolet_curl http://nanolet/api/v1/namespaces/default/pods | jq '.items | length') == 0 ]]
	stop_daemon

	pods_setup --allowed-unsafe-sysctls 'kernel.msg*,net.core.*'
	run_sysctl_pod unsafe "$(sysctl_pod unsafe 'cat /proc/sys/net/core/somaxconn' \
		'[{name: net.core.somaxconn, value: "1234"}]')"
	[[ $log == 1234 ]]
	[[ $(node_value net/core/somaxconn) == "$somaxconn" ]]
}

@test "allowed_unsafe_sysctls takes only namespaced sysctls, in the kubelet's words" {
	driver_independent
	run "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) --allowed-unsafe-sysctls 'net.core.*,kernel.hostname'
	echo "$output"
	[[ $status != 0 ]]
	[[ $output == *'--allowed-unsafe-sysctls: the sysctls "kernel.hostname" are not known to be namespaced'* ]]
	run "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) --allowed-unsafe-sysctls 'net.*.x'
	echo "$output"
	[[ $status != 0 ]]
	[[ $output == *'sysctl "net.*.x" must have at most 253 characters and match regex'* ]]
}

@test "hostNetwork with a net sysctl, hostIPC with an IPC one, and bad names are 422 with the field" {
	driver_independent
	pods_setup
	call POST /api/v1/namespaces/default/pods --data-binary \
		"$(sysctl_pod hostnet true '[{name: net.ipv4.tcp_syncookies, value: "1"}]' '  hostNetwork: true')"
	echo "$code $body"
	[[ $code == 422 ]]
	[[ $(jq -r .message <<<"$body") == "Pod \"hostnet\" is invalid: spec.securityContext.sysctls[0].name: Invalid value: \"net.ipv4.tcp_syncookies\": may not be specified when 'hostNetwork' is true" ]]
	[[ $(jq -r '.details.causes[0].field' <<<"$body") == 'spec.securityContext.sysctls[0].name' ]]

	call POST /api/v1/namespaces/default/pods --data-binary \
		"$(sysctl_pod hostipc true '[{name: kernel.shm_rmid_forced, value: "1"}]' '  hostIPC: true')"
	echo "$code $body"
	[[ $code == 422 ]]
	[[ $(jq -r .message <<<"$body") == "Pod \"hostipc\" is invalid: spec.securityContext.sysctls[0].name: Invalid value: \"kernel.shm_rmid_forced\": may not be specified when 'hostIPC' is true" ]]

	call POST /api/v1/namespaces/default/pods --data-binary \
		"$(sysctl_pod bad true '[{name: Net.IPv4.x, value: "1"}, {name: net.ipv4.tcp_syncookies, value: "1"},
      {name: net/ipv4/tcp_syncookies, value: "0"}, {name: kernel.shm_rmid_forced}]')"
	echo "$code $body"
	[[ $code == 422 ]]
	jq -r '.details.causes[] | "\(.field): \(.message)"' <<<"$body" >"$TEST_TMP/causes"
	cat "$TEST_TMP/causes"
	grep -qxF 'spec.securityContext.sysctls[0].name: Invalid value: "Net.IPv4.x": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$' "$TEST_TMP/causes"
	grep -qxF 'spec.securityContext.sysctls[2].name: Duplicate value: "net/ipv4/tcp_syncookies"' "$TEST_TMP/causes"
	grep -qxF 'spec.securityContext.sysctls[3].value: Required value' "$TEST_TMP/causes"
	[[ $(wc -l <"$TEST_TMP/causes") == 3 ]]
	[[ $(nanolet_curl http://nanolet/api/v1/namespaces/default/pods | jq '.items | length') == 0 ]]
}

@test "a write the kernel refuses fails the create, naming the sysctl and the value" {
	driver_independent
	pods_setup
	local ports
	ports=$(node_value net/ipv4/ip_local_port_range)
	call POST /api/v1/namespaces/default/pods --data-binary \
		"$(sysctl_pod refused true '[{name: net.ipv4.ip_local_port_range, value: "40000 20000"}]')"
	echo "$code $body"
	[[ $code == 500 ]]
	[[ $(jq -r .message <<<"$body") == *'failed to write sysctl net.ipv4.ip_local_port_range = "40000 20000": write /proc/sys/net/ipv4/ip_local_port_range: Invalid argument'* ]]
	[[ $(node_value net/ipv4/ip_local_port_range) == "$ports" ]]
	[[ $(nanolet_curl http://nanolet/api/v1/namespaces/default/pods | jq '.items | length') == 0 ]]
}

@test "the plan lists each sysctl with its namespace and says the node's are never changed" {
	driver_independent
	pods_setup
	call POST /apis/nanolet.io/v1/isolationplans --data-binary \
		"$(sysctl_pod plan true '[{name: net/ipv4/ping_group_range, value: "0 0"}, {name: kernel.shm_rmid_forced, value: "1"}]')"
	echo "$code $body"
	[[ $code == 200 ]]
	[[ $(jq -c .pod.sysctls <<<"$body") == '[{"name":"net.ipv4.ping_group_range","value":"0 0","namespace":"net"},{"name":"kernel.shm_rmid_forced","value":"1","namespace":"ipc"}]' ]]
	jq -r '.explanation[]' <<<"$body" | grep -qxF 'sysctls: net.ipv4.ping_group_range="0 0" (the pod'"'"'s network namespace), kernel.shm_rmid_forced="1" (the pod'"'"'s IPC namespace). A sysctl is per namespace: the shim writes these under /proc/sys in the pod'"'"'s own namespaces before any container starts, so they change only the pod'"'"'s namespaces, never the node.'
}
