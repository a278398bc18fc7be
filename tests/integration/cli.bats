#!/usr/bin/env bats
# `nanolet explain`: the plan of a Pod from the command line, with no daemon and no root. Its
# JSON equals what nanoletd answers for the same spec and node config; it reads files,
# directories, stdin, multi-document YAML and kind List; its --fail-on exit codes are what a CI
# pipeline checks. One daemon (for the comparison) per test that needs it; nothing else runs.

load common

PODS=${BATS_TEST_DIRNAME}/../../configs/pods
NANOLET=${NANOLET_BUILD}/nanolet

setup() {
	common_setup
}

teardown() {
	common_teardown
	remove_cgroup_root /elsewhere/nanolet # the other config's root, once its daemon stopped
}

explain() {
	"$NANOLET" explain "$@"
}

# The plan nanoletd answers for a pod file.
daemon_plan() {
	nanolet_curl -X POST --data-binary "@$1" "http://nanolet/apis/nanolet.io/v1/isolationplans?pretty=false"
}

@test "every example pod: the CLI's JSON equals the daemon's, for the default config and another" {
	cat >"$TEST_TMP/node.yaml" <<EOF
pod_pids_limit: 100
memory_qos: true
memory_throttling_factor: 0.8
seccomp_default: Unconfined
cgroup_root: /elsewhere/nanolet
EOF
	for config in "" "$TEST_TMP/node.yaml"; do
		start_daemon ${config:+--config "$config"}
		for pod in "$PODS"/*.yaml; do
			daemon_plan "$pod" | jq -S . >"$TEST_TMP/daemon.json"
			explain -f "$pod" -o json --state-dir "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
				--log-dir "$TEST_TMP/log" --socket "$SOCK" "${TEST_NETWORK[@]}" ${config:+--config "$config"} |
				jq -S . >"$TEST_TMP/cli.json"
			diff -u "$TEST_TMP/daemon.json" "$TEST_TMP/cli.json" || {
				echo "differs: $pod ${config:+with $config}"
				return 1
			}
			[[ $(jq '.explanation | length' "$TEST_TMP/cli.json") -gt 15 ]]
		done
		stop_daemon
	done
	# the config reached the plan: the pids limit, MemoryQoS, the root
	grep -q 'pids.max 100' "$TEST_TMP/cli.json"
	grep -q 'memory_qos is on' "$TEST_TMP/cli.json"
	grep -q '"/elsewhere/nanolet/' "$TEST_TMP/cli.json"
}

@test "as nobody, with no daemon: text, json and yaml of one pod" {
	cp "$PODS/identity.yaml" "$TEST_TMP/identity.yaml"
	chmod 755 "$TEST_TMP"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$NANOLET" explain -f "$TEST_TMP/identity.yaml"
	echo "$output"
	[[ $status == 0 ]]
	[[ ${lines[0]} == "pod default/identity ($TEST_TMP/identity.yaml): BestEffort, cgroup v"[12] ]]
	grep -q '^- identity: container writer runs as uid 1000 (the pod.s runAsUser) and gid 3000' <<<"$output"
	grep -q '^pod security: baseline (latest); restricted: violates PodSecurity "restricted:latest": ' <<<"$output"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$NANOLET" explain -f "$TEST_TMP/identity.yaml" -o json
	[[ $status == 0 ]]
	[[ $(jq -r .kind <<<"$output") == IsolationPlan ]]
	run explain -f "$TEST_TMP/identity.yaml" -o yaml
	[[ $status == 0 ]]
	[[ ${lines[0]} == "apiVersion: nanolet.io/v1" && ${lines[1]} == "kind: IsolationPlan" ]]
	grep -q "^- 'identity: container writer runs as uid 1000" <<<"$output"
}

@test "stdin, a multi-document file, a kind List and a directory" {
	{
		cat "$PODS/identity.yaml"
		echo ---
		echo ---
		cat "$PODS/limits.yaml"
	} >"$TEST_TMP/two.yaml"
	run explain -f - -o json <"$TEST_TMP/two.yaml"
	[[ $status == 0 ]]
	[[ $(jq -r '.kind, (.items | length), .items[0].metadata.name, .items[1].metadata.name' <<<"$output" | tr '\n' ' ') == "List 2 identity limits " ]]
	run explain -f "$TEST_TMP/two.yaml"
	grep -q "^pod default/limits ($TEST_TMP/two.yaml: document 3): Burstable" <<<"$output"
	printf '{"apiVersion": "v1", "kind": "List", "items": [%s, %s]}' \
		"$(explain_pod_json "$PODS/oom.yaml")" "$(explain_pod_json "$PODS/crashloop.yaml")" >"$TEST_TMP/list.json"
	run explain -f "$TEST_TMP/list.json" -o json
	[[ $status == 0 ]]
	[[ $(jq -r '[.items[].metadata.name] | join(" ")' <<<"$output") == "oom crashloop" ]]
	run explain -f "$PODS" -o json
	[[ $status == 0 ]]
	[[ $(jq '.items | length' <<<"$output") == $(ls "$PODS"/*.yaml | wc -l) ]]
}

# A pod file's document as JSON (jq reads no YAML: the plan's name and the pod are enough here).
explain_pod_json() {
	local name
	name=$(awk '/^  name:/ {print $2; exit}' "$1")
	printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s"}, "spec": {"containers": [{"name": "c", "image": "host", "command": ["true"]}]}}' "$name"
}

@test "--fail-on: exit 1 and each failure on stderr; 0 when every pod passes" {
	restricted="$TEST_TMP/restricted.yaml"
	cat >"$restricted" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hardened}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: host
    command: ["true"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
	run explain -f "$restricted" --fail-on privileged,host-namespaces,baseline,restricted
	[[ $status == 0 ]]
	run explain -f "$PODS/identity.yaml" --fail-on baseline --fail-on privileged
	[[ $status == 0 ]]
	run explain -f "$PODS/identity.yaml" --fail-on restricted -o json
	echo "$output"
	[[ $status == 1 ]]
	grep -q 'fails --fail-on restricted: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' <<<"$output"
	run explain -f "$PODS/host-namespaces.yaml" --fail-on host-namespaces
	[[ $status == 1 ]]
	grep -q 'fails --fail-on host-namespaces: hostNetwork=true, hostPID=true, hostIPC=true$' <<<"$output"
	run explain -f "$PODS/escape.yaml" --fail-on privileged
	[[ $status == 1 ]]
	grep -q 'fails --fail-on privileged: container privileged is privileged$' <<<"$output"
	# a version: hostProbesAndHostLifecycle is checked from 1.34 on
	printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: probe}' 'spec:' \
		'  containers: [{name: c, image: host, command: ["true"], livenessProbe: {httpGet: {host: 1.2.3.4, port: 80}}}]' >"$TEST_TMP/probe.yaml"
	run explain -f "$TEST_TMP/probe.yaml" --fail-on baseline:v1.33
	[[ $status == 0 ]]
	run explain -f "$TEST_TMP/probe.yaml" --fail-on baseline:v1.34
	[[ $status == 1 ]]
	grep -q 'probe or lifecycle host (container "c" uses probe or lifecycle host "1.2.3.4")' <<<"$output"
}

@test "exit 2: a bad flag, a missing file, a document that is not a valid Pod" {
	run explain -f "$PODS/identity.yaml" --fail-on everything
	[[ $status == 2 ]]
	grep -q -- '--fail-on everything: must be' <<<"$output"
	run explain -f "$PODS/identity.yaml" --no-such-key 1
	[[ $status == 2 ]]
	grep -q 'no-such-key: unknown flag' <<<"$output"
	run explain -f "$TEST_TMP/absent.yaml"
	[[ $status == 2 ]]
	grep -q "absent.yaml: No such file or directory" <<<"$output"
	run explain -o json -f - <<<'{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}'
	[[ $status == 2 ]]
	grep -q 'stdin: .*kind: Unsupported value: "Deployment"' <<<"$output"
	run explain
	[[ $status == 2 ]]
	run explain -f - <<<'a: [b'
	[[ $status == 2 ]]
	grep -q '^nanolet explain: stdin: yaml: line' <<<"$output"
}
