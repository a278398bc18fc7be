#!/usr/bin/env bats
# kubectl's view of what nanolet follows: `kubectl version` (the Kubernetes level, no skew
# warning), `kubectl explain` over the OpenAPI v3 documents (Kubernetes' description, then
# nanolet's words for the fields the isolation plan explains), and `kubectl create` validating
# fields on the server (--validate=strict sends fieldValidation=Strict). Assertions are on
# kubectl's own output; the documents themselves through curl.

load common
load pods_helpers
load kubectl_helpers

NANOLET=${NANOLET_BUILD:-build}/nanolet

setup() {
	common_setup
	kubectl_start_daemon
}

teardown() {
	pods_teardown
	common_teardown
}

# squash: stdin with every run of whitespace one space (kubectl wraps at 80 columns).
squash() {
	tr -s ' \t\n' '   '
}

# plan_sentence PREFIX POD_YAML: the sentence of `nanolet explain` that holds PREFIX, from
# after PREFIX on.
plan_sentence() {
	"$NANOLET" explain -f <(echo "$2") | grep -F -- "$1" | head -1 | awk -v p="$1" '{ print substr($0, index($0, p) + length(p)) }'
}

@test "kubectl version shows the Kubernetes level nanolet follows, without a skew warning" {
	run kc version
	echo "$output"
	[ "$status" -eq 0 ]
	local own
	own=$(nanolet_curl http://nanolet/version | jq -r .nanolet.version)
	[[ $output == *"Server Version: v1.32.0+nanolet.$own"* ]]
	[[ $output != *WARNING* ]]
	[[ $output != *skew* ]]
}

@test "kubectl explain pod.spec.hostPID: Kubernetes' description, then the plan's words" {
	run kc explain pod.spec.hostPID
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"FIELD: hostPID <boolean>"* ]]
	local text words
	text=$(squash <<<"$output")
	[[ $text == *"Use the host's pid namespace. Optional: Default to false. nanolet: true: the pod uses the node's pid namespace: "* ]]
	# the very words `nanolet explain` says of a hostPID pod, and of one without
	words=$(plan_sentence "(hostPID is true): " "$(pod_yaml hp 'sleep 1' | sed 's/^spec:/spec:\n  hostPID: true/')")
	echo "plan: $words"
	[[ $words == *"every process of the node"* ]]
	[[ $text == *"$(squash <<<"$words")"* ]]
	words=$(plan_sentence "pid: " "$(pod_yaml own 'sleep 1')")
	echo "plan: $words"
	[[ $words == "each container has its own pid namespace"* ]]
	words=$(sed 's/ (hostPID is false)\././' <<<"$words")
	[[ $text == *"false (the default): $(squash <<<"$words")"* ]]
}

@test "kubectl explain pod.spec.containers.resources.limits: the cgroup files and the plan's words" {
	run kc explain pod.spec.containers.resources.limits
	echo "$output"
	[ "$status" -eq 0 ]
	local text
	text=$(squash <<<"$output")
	[[ $text == *"Limits describes the maximum amount of compute resources allowed."* ]]
	[[ $text == *"nanolet: memory → memory.max (v1 memory.limit_in_bytes): "* ]]
	[[ $text == *"cpu → cpu.max (v1 cpu.cfs_quota_us per cpu.cfs_period_us 100000): past that it is throttled until the next period"* ]]
	# the memory sentence of a pod with a limit says the same of its container
	"$NANOLET" explain -f <(pod_yaml lim 'sleep 1' | sed 's/^    image: host/    image: host\n    resources: {limits: {memory: 64Mi}}/') |
		grep -F "Memory is not throttled as CPU is: CPU time can wait for the next period"
	[[ $text == *"Memory is not throttled as CPU is: CPU time can wait for the next period"* ]]
}

@test "kubectl explain pods, a pod securityContext field, a container one, and one nanolet says nothing of" {
	run kc explain pods
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"KIND:       Pod"* && $output == *"VERSION:    v1"* ]]
	[[ $(squash <<<"$output") == *"Pod is a collection of containers that can run on a host."* ]]
	[[ $output == *"spec	<PodSpec>"* ]]
	run kc explain pod.spec.securityContext.runAsUser
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $(squash <<<"$output") == *"The UID to run the entrypoint of the container process."*"nanolet: the uid of each container that sets none"* ]]
	run kc explain pod.spec.containers.securityContext.privileged
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $(squash <<<"$output") == *"Run container in privileged mode."*"nanolet: true: it holds every capability, no seccomp filter, the node's /dev with every device allowed"* ]]
	# a field nanolet has nothing to add to is Kubernetes' text alone
	run kc explain pod.spec.dnsPolicy
	[ "$status" -eq 0 ]
	[[ $output != *nanolet:* ]]
}

@test "kubectl create validates on the server: an unknown field under --validate=strict is refused" {
	cat >"$TEST_TMP/bad.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: strict}
spec:
  bogusField: 1
  containers:
  - name: c
    image: host
    command: [sleep, '1']
EOF
	run kc create -f "$TEST_TMP/bad.yaml" --validate=strict -v=6
	echo "$output"
	[ "$status" -ne 0 ]
	# kubectl asks the server to validate rather than downloading a v2 document
	[[ $output == *"/api/v1/namespaces/default/pods?"*"fieldValidation=Strict"* ]]
	[[ $output != *"failed to download openapi"* ]]
	[[ $output == *'Error from server (BadRequest): error when creating "'"$TEST_TMP/bad.yaml"'": strict decoding error: unknown field "spec.bogusField"'* ]]
	[[ $output != *'Warning: unknown field'* ]]
	run nanolet_curl -s -o /dev/null -w '%{http_code}' http://nanolet/api/v1/namespaces/default/pods/strict
	[ "$output" = 404 ]

	pod_yaml web 'sleep 30' >"$TEST_TMP/good.yaml"
	run kc create -f "$TEST_TMP/good.yaml" --validate=strict
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "pod/web created" ]
}

@test "GET /openapi/v3: the index, the documents at their hash URLs, no v2" {
	call GET /openapi/v3
	[ "$code" = 200 ]
	local url
	url=$(jq -r '.paths["api/v1"].serverRelativeURL' <<<"$body")
	[[ $url =~ ^/openapi/v3/api/v1\?hash=[0-9A-F]{16}$ ]]
	[[ $(jq -r '.paths["apis/nanolet.io/v1"].serverRelativeURL' <<<"$body") =~ ^/openapi/v3/apis/nanolet.io/v1\?hash=[0-9A-F]{16}$ ]]
	call GET "$url"
	[ "$code" = 200 ]
	grep -i '^content-type: application/json' "$TEST_TMP/headers"
	[ "$(jq -r '.components.schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"][0].kind' <<<"$body")" = Pod ]
	[ "$(jq -r '.paths["/api/v1/namespaces/{namespace}/pods/{name}"].patch.parameters[] | select(.name == "fieldValidation") | .in' <<<"$body")" = query ]
	[[ $(jq -r '.components.schemas["io.k8s.api.core.v1.PodSpec"].properties.hostIPC.description' <<<"$body") == *"nanolet: true: the pod uses the node's IPC namespace"* ]]
	# nothing nanolet does not serve
	[ "$(jq '.paths | has("/api/v1/namespaces/{namespace}/services")' <<<"$body")" = false ]
	call GET "$(jq -r '.paths["apis/nanolet.io/v1"].serverRelativeURL' <<<"$(nanolet_curl http://nanolet/openapi/v3)")"
	[ "$code" = 200 ]
	[ "$(jq -r '.components.schemas["io.nanolet.v1.IsolationPlan"]["x-kubernetes-group-version-kind"][0].group' <<<"$body")" = nanolet.io ]
	call GET /openapi/v2
	[ "$code" = 404 ]
	[ "$(jq -r .reason <<<"$body")" = NotFound ]
	call GET /openapi/v3/apis/apps/v1
	[ "$code" = 404 ]
}
