#!/usr/bin/env bats
# kubectl against nanolet's node, namespaces and metrics.k8s.io: `get nodes`, `describe node`,
# `create namespace`, `get ns`, `top pod`, `top node`, asserting on kubectl's own output.

load common
load pods_helpers
load kubectl_helpers

setup() {
	common_setup
	kubectl_start_daemon
}

teardown() {
	pods_teardown
	common_teardown
}

# burn_pod NAME: spins on a 200m limit, with requests that describe node adds up.
burn_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {app: burn}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: spin
    image: host
    command: [sh, -c, 'while :; do :; done']
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {cpu: 200m, memory: 64Mi}
EOF
}

# create_pod_in NS YAML: a pod in a namespace (through the API: creating pods is not what this
# suite tests).
create_pod_in() {
	call POST "/api/v1/namespaces/$1/pods" --data-binary "$2"
	[[ $code == 201 ]] || {
		echo "create in $1: $code $body"
		return 1
	}
}

@test "kubectl get nodes: this node, Ready from its real state, its capacity and system info" {
	local node json
	node=$(hostname)
	json=$(kc get nodes -o json)
	[[ $(jq -r '.items | length' <<<"$json") == 1 ]]
	[[ $(jq -r '.items[0].metadata.name' <<<"$json") == "$node" ]]
	[[ $(kc get nodes -o name) == "node/$node" ]]
	json=$(kc get node "$node" -o json)
	jq -e '.metadata.labels["kubernetes.io/hostname"] == "'"$node"'" and .metadata.labels["kubernetes.io/os"] == "linux"' <<<"$json"
	jq -e '.status.conditions | map(.type) == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]' <<<"$json"
	jq -e '.status.conditions[] | select(.type == "Ready") | .status == "True" and .reason == "KubeletReady" and .message == "kubelet is posting ready status"' <<<"$json"
	jq -e '.status.conditions[] | select(.type == "MemoryPressure") | .reason == "KubeletHasSufficientMemory"' <<<"$json"
	[[ $(jq -r .status.capacity.cpu <<<"$json") == "$(nproc)" ]]
	[[ $(jq -r .status.capacity.pods <<<"$json") == 110 ]]
	# MemTotal in Ki, as the kubelet's capacity
	[[ $(jq -r .status.capacity.memory <<<"$json") == "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)Ki" ]]
	jq -e '.status.capacity["ephemeral-storage"] | test("^[0-9]+(Ki|Mi|Gi)?$")' <<<"$json"
	jq -e '.status.allocatable.pods == "110"' <<<"$json"
	[[ $(kc get node "$node" -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}') == nanolet://* ]]
	[[ $(kc get node "$node" -o jsonpath='{.status.nodeInfo.kernelVersion}') == "$(uname -r)" ]]
	# the kubelet's version is /version's, the Kubernetes level nanolet follows
	[[ $(kc get node "$node" -o jsonpath='{.status.nodeInfo.kubeletVersion}') == "$(kc version -o json | jq -r .serverVersion.gitVersion)" ]]
	[[ $(kc get node "$node" -o jsonpath='{.status.nodeInfo.bootID}') == "$(cat /proc/sys/kernel/random/boot_id)" ]]
	[[ $(kc get node "$node" -o jsonpath='{.status.features.supplementalGroupsPolicy}') == true ]]
	# shellcheck disable=SC1091
	[[ $(kc get node "$node" -o jsonpath='{.status.nodeInfo.osImage}') == "$(. /etc/os-release && echo "$PRETTY_NAME")" ]]
	[[ $(kc get node "$node" -o jsonpath='{.status.addresses[?(@.type=="Hostname")].address}') == "$node" ]]
	# the kubelet's port: the TLS listener kubectl reaches it on
	[[ $(kc get node "$node" -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}') == "$KUBE_PORT" ]]
	# another node is not found, in the API server's words
	run kc get node not-this-one
	[[ $status != 0 ]]
	[[ $output == *'nodes "not-this-one" not found'* ]]
	# the API server's Node columns (pkg/printers)
	run kc get nodes
	[[ $status == 0 ]]
	grep -Eq '^NAME +STATUS +ROLES +AGE +VERSION$' <<<"${lines[0]}"
	grep -Eq "^$node +Ready +<none> +[0-9]+[smhd] +v" <<<"${lines[1]}"
	run kc get nodes -o wide
	grep -Eq 'INTERNAL-IP +EXTERNAL-IP +OS-IMAGE +KERNEL-VERSION +CONTAINER-RUNTIME$' <<<"${lines[0]}"
	[[ ${lines[1]} == *"$(uname -r)"*nanolet://* ]]
}

@test "kubectl get nodes: the node's uid and creation survive a restart" {
	local uid created
	uid=$(kc get node "$(hostname)" -o jsonpath='{.metadata.uid}')
	created=$(kc get node "$(hostname)" -o jsonpath='{.metadata.creationTimestamp}')
	[[ $uid =~ ^[0-9a-f-]{36}$ ]]
	kubectl_restart_daemon
	[[ $(kc get node "$(hostname)" -o jsonpath='{.metadata.uid}') == "$uid" ]]
	[[ $(kc get node "$(hostname)" -o jsonpath='{.metadata.creationTimestamp}') == "$created" ]]
}

@test "kubectl describe node: conditions, capacity, system info, and the pods' allocated resources" {
	create_pod "$(burn_pod burn)"
	wait_phase burn Running
	run kc describe node "$(hostname)"
	[[ $status == 0 ]]
	[[ $output == *"Name:               $(hostname)"* ]]
	grep -Eq '^  Ready +True .*KubeletReady +kubelet is posting ready status' <<<"$output"
	grep -Eq '^  DiskPressure +False .*KubeletHasNoDiskPressure' <<<"$output"
	grep -Eq '^Capacity:' <<<"$output"
	grep -Eq '^Allocatable:' <<<"$output"
	grep -Eq '^  pods: +110$' <<<"$output"
	grep -Eq '^System Info:' <<<"$output"
	grep -Eq '^  Container Runtime Version: +nanolet://' <<<"$output"
	grep -Eq "^  Kernel Version: +$(uname -r)$" <<<"$output"
	# the pod is listed (describe asks for spec.nodeName=<node>,status.phase!=Failed,...)
	grep -Eq '^  default +burn +100m \([0-9]+%\) +200m \([0-9]+%\) +32Mi \([0-9]+%\) +64Mi' <<<"$output"
	grep -Eq '^  cpu +100m \([0-9]+%\) +200m \([0-9]+%\)' <<<"$output"
}

# Waits for pod field selectors (branch watch): until /api/v1/pods refuses a field it cannot
# select on, it selects nothing, and describe lists every pod.
@test "kubectl describe node: only the node's non-terminated pods (spec.nodeName, status.phase)" {
	call GET '/api/v1/pods?fieldSelector=no.such.field%3D1'
	[[ $code == 400 ]] || skip "pods take no fieldSelector yet (the watch branch adds them)"
	create_pod "$(burn_pod burn)"
	create_pod "$(pod_yaml done true Never)"
	wait_phase burn Running
	wait_phase done Succeeded
	[[ $(kc get pod burn -o jsonpath='{.spec.nodeName}') == "$(hostname)" ]]
	run kc describe node "$(hostname)"
	[[ $status == 0 ]]
	grep -Eq '^Non-terminated Pods: +\(1 in total\)' <<<"$output"
	grep -Eq '^  default +burn ' <<<"$output"
	! grep -Eq '^  default +done ' <<<"$output"
}

@test "kubectl create namespace, get ns; a pod's namespace appears; both survive a restart; delete" {
	local uid
	run kc create namespace team-a
	[[ $status == 0 && $output == "namespace/team-a created" ]]
	run kc create namespace team-a
	[[ $status != 0 && $output == *'namespaces "team-a" already exists'* ]]
	run kc create namespace Team-A
	[[ $status != 0 && $output == *'a lowercase RFC 1123 label'* ]]
	[[ $(kc get ns team-a -o jsonpath='{.status.phase}') == Active ]]
	run kc get ns team-a
	[[ $status == 0 ]]
	grep -Eq '^NAME +STATUS +AGE$' <<<"${lines[0]}"
	grep -Eq '^team-a +Active +[0-9]+s$' <<<"${lines[1]}"
	[[ $(kc get ns team-a -o jsonpath='{.metadata.labels.kubernetes\.io/metadata\.name}') == team-a ]]
	run kc get ns team-b
	[[ $status != 0 && $output == *'namespaces "team-b" not found'* ]]
	create_pod_in team-b "$(burn_pod burn)"
	[[ $(kc get ns -o jsonpath='{.items[*].metadata.name}') == "default team-a team-b" ]]
	uid=$(kc get ns team-b -o jsonpath='{.metadata.uid}')
	kubectl_restart_daemon
	[[ $(kc get ns -o jsonpath='{.items[*].metadata.name}') == "default team-a team-b" ]]
	[[ $(kc get ns team-b -o jsonpath='{.metadata.uid}') == "$uid" ]]
	# a namespace with a pod in it is not deleted (nanolet does not delete the pods for it)
	run kc delete namespace team-b --wait=false
	[[ $status != 0 && $output == *'namespace "team-b" still has pods'* ]]
	run kc delete namespace default
	[[ $status != 0 && $output == *'namespaces "default" is forbidden: this namespace may not be deleted'* ]]
	run kc delete namespace team-a
	[[ $status == 0 && $output == 'namespace "team-a" deleted' ]]
	[[ $(kc get ns -o jsonpath='{.items[*].metadata.name}') == "default team-b" ]]
}

# top_cpu_millicores ARGS...: the CPU column of `kubectl top ARGS --no-headers`, in millicores.
top_cpu_millicores() {
	kc top "$@" --no-headers 2>/dev/null | awk '{print $2}' | sed -n 's/m$//p' | head -1
}

# cpu_above N ARGS...: kubectl top ARGS shows more than N millicores.
cpu_above() {
	local m
	m=$(top_cpu_millicores "${@:2}")
	[[ -n $m ]] && ((m > $1))
}

@test "kubectl top pod and top node: a pod burning CPU shows it" {
	create_pod "$(burn_pod burn)"
	wait_phase burn Running
	# a rate needs two readings a second apart (the manager samples each second here)
	wait_until 60 cpu_above 50 pod burn
	run kc top pod burn --containers --no-headers
	[[ $status == 0 ]]
	grep -Eq '^burn +spin +[0-9]+m +[0-9]+Mi' <<<"$output"
	run kc top pod
	[[ $status == 0 && $output == *"NAME"*"CPU(cores)"*"MEMORY(bytes)"* && $output == *burn* ]]
	wait_until 30 cpu_above 50 node
	run kc top node --no-headers
	[[ $status == 0 ]]
	grep -Eq "^$(hostname) +[0-9]+m +[0-9]+% +[0-9]+Mi +[0-9]+%" <<<"$output"
	# the Metrics API as metrics-server words it: nanocores, Ki
	run curl -s --unix-socket "$SOCK" "http://nanolet/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burn"
	jq -e '.kind == "PodMetrics" and (.containers[0].usage.cpu | test("^[0-9]+n$")) and (.containers[0].usage.memory | test("^[0-9]+(Ki|Mi)?$")) and (.window | test("s$"))' <<<"$output"
	run curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' "http://nanolet/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope"
	[[ $output == 404 ]]
	# a pod that does not exist, in metrics-server's words
	run kc top pod nope
	[[ $status != 0 && $output == *'podmetrics.metrics.k8s.io "nope" not found'* ]]
}
