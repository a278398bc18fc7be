#!/usr/bin/env bats
# The Pod-reading API over a real daemon: isolation plans, dry-run creates, and every class of
# error a body can earn (400, 413 in daemon.bats, 415, 422, 501), with warnings for what nanolet
# ignores. Each test asserts what a curl user sees: status code, headers, JSON body.

load common

PODS=${BATS_TEST_DIRNAME}/../../configs/pods

setup() {
	common_setup
	start_daemon
}

teardown() {
	common_teardown
}

# post URL_PATH [CURL_ARGS...]: a POST through call (common.bash).
post() {
	local path=$1
	shift
	call POST "$path" "$@"
}

plan_of() {
	post /apis/nanolet.io/v1/isolationplans "$@"
}

# A Status body with the code and reason given.
assert_status() {
	[[ $code == "$1" ]] || {
		echo "code $code, want $1: $body"
		return 1
	}
	[[ $(jq -r .kind <<<"$body") == Status ]]
	[[ $(jq -r .apiVersion <<<"$body") == v1 ]]
	[[ $(jq -r .status <<<"$body") == Failure ]]
	[[ $(jq -r .code <<<"$body") == "$1" ]]
	[[ $(jq -r .reason <<<"$body") == "$2" ]] || {
		echo "reason $(jq -r .reason <<<"$body"), want $2"
		return 1
	}
}

causes() {
	jq -r '[.details.causes[].field] | join(" ")' <<<"$body"
}

pod_yaml() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ${1:-p}
spec:
  containers:
  - name: app
    image: host
    command: ["/bin/true"]
EOF
}

@test "a plain curl --data-binary of pod YAML gets its isolation plan" {
	plan_of --data-binary "@$PODS/limits.yaml"
	[[ $code == 200 ]]
	[[ $(jq -r .kind <<<"$body") == IsolationPlan ]]
	[[ $(jq -r .apiVersion <<<"$body") == nanolet.io/v1 ]]
	[[ $(jq -r .qosClass <<<"$body") == Burstable ]]
	[[ $(jq -r .pod.namespaces.net.mode <<<"$body") == pod ]]
	[[ $(jq -r .containers[0].namespaces.pid.mode <<<"$body") == container ]]
	[[ $(jq -r '.pod.cloneFlags | join(",")' <<<"$body") == CLONE_NEWUTS,CLONE_NEWIPC,CLONE_NEWNET ]]
	[[ $(jq -r '.containers[0].cgroup.v2["memory.max"]' <<<"$body") == 134217728 ]]
	[[ $(jq -r '.containers[0].cgroup.v2["cpu.max"]' <<<"$body") == "50000 100000" ]]
	[[ $(jq -r '.containers[0].cgroup.v2["cpu.weight"]' <<<"$body") == 35 ]]
	[[ $(jq -r '.containers[0].cgroup.v1["cpu.shares"]' <<<"$body") == 256 ]]
	[[ $(jq -r '.containers[0].cgroup.v1["cpu.cfs_quota_us"]' <<<"$body") == 50000 ]]
	[[ $(jq -r '.pod.cgroup.v1["pids.max"]' <<<"$body") == 4096 ]]
	[[ $(jq -r .pod.cgroup.path <<<"$body") == */nanolet/burstable/pod\<uid\> ]]
	[[ $(jq -r '.explanation | length' <<<"$body") -ge 11 ]]
	grep -qi '^content-type: application/json' "$TEST_TMP/headers"
}

@test "the same pod as JSON, YAML or x-yaml gives the same plan" {
	plan_of --data-binary "@$PODS/limits.yaml"
	local from_yaml=$body
	# The pod in JSON, written by hand from limits.yaml.
	plan_of -H 'Content-Type: application/json' --data-binary '{"apiVersion":"v1","kind":"Pod",
	  "metadata":{"name":"limits"},"spec":{"restartPolicy":"Never","containers":[{"name":"app",
	  "image":"host","command":["/bin/sh","-c","cat /proc/self/cgroup; sleep 3600"],
	  "resources":{"requests":{"cpu":"250m"},"limits":{"cpu":"500m","memory":"128Mi"}}}]}}'
	[[ $code == 200 ]]
	[[ $(jq -S . <<<"$body") == "$(jq -S . <<<"$from_yaml")" ]]
	for type in application/yaml application/x-yaml text/yaml 'application/yaml; charset=utf-8'; do
		plan_of -H "Content-Type: $type" --data-binary "@$PODS/limits.yaml"
		[[ $code == 200 ]]
		[[ $(jq -S . <<<"$body") == "$(jq -S . <<<"$from_yaml")" ]]
	done
}

@test "every example pod has a plan, and host namespaces are reported as host" {
	for f in "$PODS"/*.yaml; do
		plan_of --data-binary "@$f"
		[[ $code == 200 ]] || {
			echo "$f: $code $body"
			return 1
		}
	done
	plan_of --data-binary "@$PODS/host-namespaces.yaml"
	for ns in pid net ipc uts; do
		[[ $(jq -r ".pod.namespaces.$ns.mode" <<<"$body") == host ]]
	done
	[[ $(jq -r .pod.hostname <<<"$body") == null ]]
	[[ $(jq -r '.pod.cloneFlags | length' <<<"$body") == 0 ]]
	plan_of --data-binary "@$PODS/shared-pod.yaml"
	[[ $(jq -r .pod.namespaces.pid.mode <<<"$body") == pod ]]
	[[ $(jq -r '.pod.cloneFlags | index("CLONE_NEWPID") != null' <<<"$body") == true ]]
	plan_of --data-binary "@$PODS/identity.yaml"
	[[ $(jq -r .pod.hostname <<<"$body") == vault ]]
	[[ $(jq -c '.containers[0].process | [.uid, .gid, .supplementalGroups]' <<<"$body") == '[1000,3000,[3000,2000]]' ]]
	plan_of --data-binary "@$PODS/fork-bomb.yaml"
	[[ $(jq -r '.pod.cgroup.v2["pids.max"]' <<<"$body") == 64 ]]
}

@test "hostUsers: false gives the pod a user namespace" {
	plan_of --data-binary "$(pod_yaml; echo '  hostUsers: false')"
	[[ $code == 200 ]]
	[[ $(jq -r .pod.namespaces.user.mode <<<"$body") == pod ]]
	[[ $(jq -r '.pod.cloneFlags | index("CLONE_NEWUSER") != null' <<<"$body") == true ]]
}

@test "dryRun=All answers the defaulted, validated Pod and creates nothing" {
	post '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "@$PODS/limits.yaml"
	[[ $code == 201 ]]
	[[ $(jq -r .kind <<<"$body") == Pod ]]
	[[ $(jq -r .status.phase <<<"$body") == Pending ]]
	[[ $(jq -r .status.qosClass <<<"$body") == Burstable ]]
	[[ $(jq -r .metadata.namespace <<<"$body") == default ]]
	[[ $(jq -r .metadata.uid <<<"$body") =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[[ $(jq -r .metadata.creationTimestamp <<<"$body") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
	[[ $(jq -r .spec.terminationGracePeriodSeconds <<<"$body") == 30 ]]
	[[ $(jq -r .spec.containers[0].resources.requests.memory <<<"$body") == 128Mi ]]
	# nothing was created: no state under the state dir's pods, no cgroups
	[[ ! -e $TEST_TMP/state/pods ]]
	post '/api/v1/namespaces/team-a/pods?dryRun=All' --data-binary "$(pod_yaml)"
	[[ $(jq -r .metadata.namespace <<<"$body") == team-a ]]
}

@test "a create is validated first (422), and a bad dryRun is 400" {
	post '/api/v1/namespaces/default/pods' --data-binary "$(pod_yaml BAD)"
	assert_status 422 Invalid
	[[ $(nanolet_curl 'http://nanolet/api/v1/pods?pretty=false' | jq '.items | length') == 0 ]]
	post '/api/v1/namespaces/default/pods?dryRun=Some' --data-binary "$(pod_yaml)"
	assert_status 400 BadRequest
}

@test "malformed YAML and JSON are 400 naming line and column" {
	plan_of --data-binary $'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [p\n'
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") =~ line\ [0-9]+,\ column\ [0-9]+ ]]
	plan_of -H 'Content-Type: application/json' --data-binary $'{"kind": "Pod",\n "spec": }'
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") == *"line 2, column"* ]]
	plan_of --data-binary $'{"kind": "Pod", "kind": "Pod"}'
	assert_status 400 BadRequest
	plan_of --data-binary ''
	assert_status 400 BadRequest
	plan_of --data-binary $'- a\n- b\n'
	assert_status 400 BadRequest
}

@test "more than one YAML document, and duplicate keys, are 400" {
	plan_of --data-binary "$(pod_yaml a; echo ---; pod_yaml b)"
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") == *"more than one"* ]]
	plan_of --data-binary "$(pod_yaml; echo '  hostPID: true'; echo '  hostPID: false')"
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") == *hostPID* ]]
}

@test "anchors and aliases work; a billion-laughs document is refused fast with no memory growth" {
	plan_of --data-binary $'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - &c {name: a, command: [/bin/true], resources: {limits: {memory: 1Gi}}}\n  - <<: *c\n    name: b\n'
	[[ $code == 200 ]]
	[[ $(jq -r '.containers[1].cgroup.v2["memory.max"]' <<<"$body") == 1073741824 ]]
	[[ $(jq -r '.pod.cgroup.v2["memory.max"]' <<<"$body") == 2147483648 ]]

	local hwm_before hwm_after
	hwm_before=$(awk '/^VmHWM/ {print $2}' "/proc/$DAEMON_PID/status")
	lol='a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
	prev=a
	for l in b c d e f g h i; do
		lol+=$'\n'"$l: &$l [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"
		prev=$l
	done
	plan_of --max-time 2 --data-binary "$lol"
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") == *"expands to more than"* ]]
	hwm_after=$(awk '/^VmHWM/ {print $2}' "/proc/$DAEMON_PID/status")
	echo "VmHWM $hwm_before -> $hwm_after KiB"
	((hwm_after - hwm_before < 16384))
	healthy
}

@test "YAML 1.1 scalars: an unquoted yes is a boolean (422 for an env value), a quoted one a string" {
	plan_of --data-binary "$(pod_yaml; echo '    env: [{name: A, value: yes}]')"
	assert_status 422 Invalid
	[[ $(causes) == "spec.containers[0].env[0].value" ]]
	plan_of --data-binary "$(pod_yaml; echo '    env: [{name: A, value: "yes"}, {name: M, value: "0755"}]')"
	[[ $code == 200 ]]
	[[ $(jq -r '.containers[0].process.env | index("A=yes") != null' <<<"$body") == true ]]
	[[ $(jq -r '.containers[0].process.env | index("M=0755") != null' <<<"$body") == true ]]
	# 0755 unquoted is octal 493: a uid, read as Kubernetes reads it
	plan_of --data-binary "$(pod_yaml; echo '    securityContext: {runAsUser: 0755}')"
	[[ $(jq -r .containers[0].process.uid <<<"$body") == 493 ]]
}

@test "422 Invalid lists every cause at once, with field paths" {
	plan_of --data-binary $'apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec:\n  hostname: -x\n  restartPolicy: Sometimes\n  terminationGracePeriodSeconds: -1\n  securityContext: {runAsUser: -1, fsGroup: 2147483648}\n  containers:\n  - name: a\n    resources:\n      requests: {cpu: 600m, memory: 12Mb}\n      limits: {cpu: 500m, memory: 1K}\n  - {name: a, command: [x]}\n'
	assert_status 422 Invalid
	local fields
	fields=$(causes)
	for f in metadata.name spec.hostname spec.restartPolicy spec.terminationGracePeriodSeconds \
		spec.securityContext.runAsUser spec.securityContext.fsGroup \
		'spec.containers[0].command' 'spec.containers[1].name' \
		'spec.containers[0].resources.limits.memory' \
		'spec.containers[0].resources.requests.memory' 'spec.containers[0].resources.requests'; do
		[[ " $fields " == *" $f "* ]] || {
			echo "no cause for $f in: $fields"
			return 1
		}
	done
	[[ $(jq -r .message <<<"$body") == 'Pod "Bad_Name" is invalid: ['* ]]
	[[ $(jq -r '[.details.causes[] | select(.field == "spec.restartPolicy")][0].reason' <<<"$body") == FieldValueNotSupported ]]
}

@test "kind, apiVersion, namespaces and shapes" {
	plan_of --data-binary "$(pod_yaml | sed 's/kind: Pod/kind: Deployment/')"
	assert_status 422 Invalid
	[[ $(causes) == kind ]]
	post '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(pod_yaml | sed 's/^  name: p/  name: p\n  namespace: other/')"
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") == *"does not match the namespace"* ]]
	plan_of --data-binary "$(pod_yaml; echo '  hostUsers: false'; echo '  hostNetwork: true')"
	assert_status 422 Invalid
	[[ $(causes) == spec.hostNetwork ]]
	plan_of --data-binary "$(pod_yaml; echo '  shareProcessNamespace: true'; echo '  hostPID: true')"
	assert_status 422 Invalid
	[[ $(causes) == spec.shareProcessNamespace ]]
}

@test "unknown and ignored fields are warned, once each, in headers and in the plan; Strict refuses them" {
	plan_of --data-binary "$(pod_yaml; echo '  foo: 1'; echo '  tolerations: []')"
	[[ $code == 200 ]]
	grep -F 'Warning: 299 - "unknown field \"spec.foo\""' "$TEST_TMP/headers"
	grep -F 'Warning: 299 - "spec.tolerations: not implemented by nanolet; ignored"' "$TEST_TMP/headers"
	[[ $(grep -c '^Warning:' "$TEST_TMP/headers") == 2 ]]
	[[ $(jq -r '.warnings | join("|")' <<<"$body") == 'unknown field "spec.foo"|spec.tolerations: not implemented by nanolet; ignored' ]]
	post '/apis/nanolet.io/v1/isolationplans?fieldValidation=Strict' --data-binary "$(pod_yaml; echo '  foo: 1')"
	assert_status 400 BadRequest
	[[ $(jq -r .message <<<"$body") == 'strict decoding error: unknown field "spec.foo"' ]]
	# the error says it all: no Warning beside it, as the API server sends none
	! grep -q '^Warning:' "$TEST_TMP/headers"
}

@test "a hostname that hostNetwork overrides is a warning" {
	plan_of --data-binary "$(pod_yaml; echo '  hostNetwork: true'; echo '  hostname: web')"
	[[ $code == 200 ]]
	grep -q '^Warning: 299 - ".*hostname.*' "$TEST_TMP/headers"
	[[ $(jq -r .pod.hostname <<<"$body") == null ]]
	[[ $(jq -r .pod.namespaces.uts.mode <<<"$body") == host ]]
}

@test "an unsupported Content-Type is 415" {
	plan_of -H 'Content-Type: text/plain' --data-binary "$(pod_yaml)"
	assert_status 415 UnsupportedMediaType
	[[ $(jq -r .message <<<"$body") == *text/plain* ]]
}

@test "pod_pids_limit from the config; the annotation lowers it, never raises it" {
	stop_daemon
	printf 'pod_pids_limit: 100\n' >"$TEST_TMP/nanolet.yaml"
	start_daemon --config "$TEST_TMP/nanolet.yaml"
	plan_of --data-binary "$(pod_yaml)"
	[[ $(jq -r '.pod.cgroup.v2["pids.max"]' <<<"$body") == 100 ]]
	plan_of --data-binary "$(pod_yaml | sed 's/^  name: p/  name: p\n  annotations: {nanolet.io\/pids-limit: "50"}/')"
	[[ $(jq -r '.pod.cgroup.v1["pids.max"]' <<<"$body") == 50 ]]
	plan_of --data-binary "$(pod_yaml | sed 's/^  name: p/  name: p\n  annotations: {nanolet.io\/pids-limit: "500"}/')"
	[[ $(jq -r '.pod.cgroup.v1["pids.max"]' <<<"$body") == 100 ]]
	grep -q '^Warning: 299 - ".*pids-limit.*' "$TEST_TMP/headers"
}

@test "volumes: one directory per pod volume on the node, bound into each container that mounts it" {
	plan_of --data-binary $'apiVersion: v1\nkind: Pod\nmetadata: {name: v}\nspec:\n  volumes:\n  - {name: shm, emptyDir: {medium: Memory, sizeLimit: 64Mi}}\n  - {name: logs, hostPath: {path: /var/log, type: Directory}}\n  containers:\n  - {name: a, command: [x], volumeMounts: [{name: shm, mountPath: /dev/shm}]}\n  - {name: b, command: [x], volumeMounts: [{name: shm, mountPath: /s, readOnly: true}, {name: logs, mountPath: /l}]}\n'
	[[ $code == 200 ]]
	[[ $(jq -c '.pod.volumes[0] | [.name, .type, .medium, .sizeLimit]' <<<"$body") == '["shm","emptyDir","Memory",67108864]' ]]
	[[ $(jq -r .pod.volumes[0].path <<<"$body") == "$TEST_TMP/state/pods/<uid>/volumes/kubernetes.io~empty-dir/shm" ]]
	[[ $(jq -c '.pod.volumes[1] | [.type, .path, .hostPathType]' <<<"$body") == '["hostPath","/var/log","Directory"]' ]]
	# both containers bind the same directory: one tmpfs, shared; at /dev/shm it takes the
	# place of the pod's own shm
	[[ $(jq -r '.containers[0].mounts[] | select(.destination == "/dev/shm") | .source' <<<"$body") == "$(jq -r .pod.volumes[0].path <<<"$body")" ]]
	[[ $(jq -r '.containers[1].mounts[] | select(.destination == "/dev/shm") | .source' <<<"$body") == "$(jq -r .pod.shm.path <<<"$body")" ]]
	[[ $(jq -c '.containers[1].mounts[] | select(.destination == "/s") | [.type, .source == "'"$(jq -r .pod.volumes[0].path <<<"$body")"'", .options]' <<<"$body") == '["bind",true,["rbind","rprivate","ro"]]' ]]
}
