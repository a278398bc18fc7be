#!/usr/bin/env bats
# The real kubectl's describe, logs, exec and port-forward against a test daemon, and a second
# real client (Debian's python3-kubernetes, helpers/kube_client.py): what each sends is what the
# daemon answers as the API server and the kubelet do, asserted on the tools' own output.
# describe: its sections, and the pod's events through the fieldSelector kubectl sends, in
# order. logs: --tail, --timestamps, --since, --limit-bytes, -c, a pod of two containers without
# -c (kubectl picks the default-container annotation, else the first, with a notice), -f
# following to the container's end, --previous after a restart. exec: output, exit codes as
# kubectl words them, stdin, -c, a terminal (-it) of the caller's size, over the WebSocket
# (v5.channel.k8s.io). port-forward: nanolet serves none, and kubectl says so and exits 1 at
# once. The cgroup driver plays no part here: driver_independent.

load common
load pods_helpers
load kubectl_helpers

bats_require_minimum_version 1.5.0

# Debian's interpreter, which has python3-kubernetes (a python3 earlier on PATH may not)
PYTHON=/usr/bin/python3
HELPERS=${BATS_TEST_DIRNAME}/helpers

setup() {
	driver_independent
	common_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# kc_create NAME COMMAND [RESTART_POLICY]: pod_yaml's pod, created through kubectl (without
# client-side validation: what is tested here is not the OpenAPI document).
kc_create() {
	pod_yaml "$@" >"$TEST_TMP/$1.yaml"
	kc create --validate=false -f "$TEST_TMP/$1.yaml"
}

# two_containers NAME [DEFAULT]: a pod of two containers a and b, each printing its name (and
# with it in $WHO); DEFAULT names the default one in kubectl's annotation.
two_containers() {
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n' "$1"
		[[ -z ${2:-} ]] || printf '  annotations:\n    kubectl.kubernetes.io/default-container: %s\n' "$2"
		cat <<'EOF'
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - {name: a, image: host, env: [{name: WHO, value: a}], command: [sh, -c, 'echo from-a; exec sleep 600']}
  - {name: b, image: host, env: [{name: WHO, value: b}], command: [sh, -c, 'echo from-b; exec sleep 600']}
EOF
	} >"$TEST_TMP/$1.yaml"
	kc create --validate=false -f "$TEST_TMP/$1.yaml"
	wait_phase "$1" Running
	wait_log "$1" from-a a
	wait_log "$1" from-b b
}

@test "kubectl describe pod: Containers, Conditions and the pod's own events in order, through kubectl's fieldSelector" {
	kubectl_start_daemon
	kc_create web 'echo hello; exec sleep 600'
	kc_create other 'exec sleep 600'
	wait_phase web Running
	wait_phase other Running
	run kc describe pod web -v=8
	[[ $status == 0 ]]
	# the events list kubectl asks for names the pod by namespace, uid and name, and is answered
	uid=$(get_pod web | jq -r .metadata.uid)
	grep -F "GET $KUBE_SERVER/api/v1/namespaces/default/events?fieldSelector=" <<<"$output" |
		grep -F "involvedObject.uid%3D$uid" | grep -qF 'involvedObject.name%3Dweb'
	! grep -E 'Response Status: [45][0-9][0-9]' <<<"$output"
	run kc describe pod web
	[[ $status == 0 ]]
	grep -qx 'Name:         web' <<<"$output"
	grep -qx 'Status:       Running' <<<"$output"
	grep -qx 'Containers:' <<<"$output"
	grep -qx '  c:' <<<"$output"
	grep -qE '^    State: +Running$' <<<"$output"
	grep -qE '^    Ready: +True$' <<<"$output"
	grep -qE '^    Restart Count: +0$' <<<"$output"
	grep -qx 'Conditions:' <<<"$output"
	grep -qE '^  Ready +True *$' <<<"$output"
	grep -qE '^  ContainersReady +True *$' <<<"$output"
	grep -qE '^QoS Class: +BestEffort$' <<<"$output"
	# Events: web's only, Scheduled first, then the container's Created and Started
	sed -n '/^Events:/,$p' <<<"$output" >"$TEST_TMP/events"
	grep -qE '^  Type +Reason +Age +From +Message$' "$TEST_TMP/events"
	reasons=$(awk 'NR > 3 {print $2}' "$TEST_TMP/events" | grep -v MissingClusterDNS | paste -sd,)
	[[ $reasons == Scheduled,Created,Started ]]
	grep -qE '^  Normal +Scheduled .*Successfully assigned default/web to ' "$TEST_TMP/events"
	grep -qE '^  Normal +Started .*Started container c$' "$TEST_TMP/events"
	! grep -q other "$TEST_TMP/events"
	# a pod that does not exist, in the API server's words
	run kc describe pod nope
	[[ $status == 1 ]]
	[[ $output == 'Error from server (NotFound): pods "nope" not found' ]]
}

@test "kubectl logs: --tail, --timestamps, --since, --limit-bytes, and --previous refused before a restart" {
	kubectl_start_daemon
	kc_create counter 'for i in 1 2 3 4 5; do echo line-$i; done; exec sleep 600'
	wait_phase counter Running
	wait_log counter line-5
	run kc logs counter
	[[ $status == 0 && $output == $'line-1\nline-2\nline-3\nline-4\nline-5' ]]
	run kc logs counter --tail 2
	[[ $status == 0 && $output == $'line-4\nline-5' ]]
	run kc logs counter --tail 1 --timestamps
	[[ $status == 0 ]]
	[[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z\ line-5$ ]]
	run kc logs counter --since 1h
	[[ $status == 0 && $(wc -l <<<"$output") == 5 ]]
	run kc logs counter --since-time "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
	[[ $status == 0 && -z $output ]]
	run kc logs counter --limit-bytes 9
	[[ $status == 0 && $output == $'line-1\nli' ]]
	run kc logs counter -p
	[[ $status == 1 ]]
	[[ $output == 'Error from server (BadRequest): previous terminated container "c" in pod "counter" not found' ]]
	run kc logs counter -c nope
	[[ $status == 1 && $output == 'error: container nope is not valid for pod counter' ]]
}

@test "kubectl logs of a container that never started: the kubelet's words, with its waiting reason" {
	kubectl_start_daemon
	cat >"$TEST_TMP/never.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  containers:
  - {name: c, image: registry.example/nope:1, imagePullPolicy: Never, command: [sh]}
EOF
	kc create --validate=false -f "$TEST_TMP/never.yaml"
	wait_for waiting_reason_is never ErrImageNeverPull
	run kc logs never
	[[ $status == 1 ]]
	[[ $output == 'Error from server (BadRequest): container "c" in pod "never" is waiting to start: ErrImageNeverPull' ]]
	run kc logs never -p
	[[ $status == 1 ]]
	[[ $output == 'Error from server (BadRequest): previous terminated container "c" in pod "never" not found' ]]
}

@test "kubectl logs -f: sees lines as they come and ends when the container's run ends" {
	kubectl_start_daemon
	kc_create follow 'echo first; sleep 2; echo second; sleep 1; echo last' Never
	wait_log follow first
	start=$SECONDS
	run kc logs -f follow
	[[ $status == 0 ]]
	[[ $output == $'first\nsecond\nlast' ]]
	# it waited for the container (about 3 s), and ended with it, well within the request timeout
	((SECONDS - start >= 1 && SECONDS - start < CURL_SECONDS))
}

@test "kubectl logs --previous: the run before the restart" {
	kubectl_start_daemon
	kc_create crash 'echo "run $(cat /proc/sys/kernel/random/uuid)"; sleep 1; exit 1'
	wait_for restarts_at_least crash 2
	run kc logs crash -p
	[[ $status == 0 ]]
	[[ $output =~ ^run\ [0-9a-f-]{36}$ ]]
	previous=$output
	run kc logs crash
	[[ $status == 0 && $output =~ ^run\ [0-9a-f-]{36}$ ]]
	# each run writes its own uuid: the previous run is another run than the latest
	[[ $output != "$previous" ]]
	run kc describe pod crash
	grep -qE '^      Reason: +Error$' <<<"$output"
	grep -qE '^      Exit Code: +1$' <<<"$output"
}

@test "kubectl logs of two containers: -c picks one; without it the default-container annotation, else the first with kubectl's notice" {
	kubectl_start_daemon
	two_containers two
	run kc logs two -c b
	[[ $status == 0 && $output == from-b ]]
	run kc logs two
	[[ $status == 0 ]]
	[[ $output == $'Defaulted container "a" out of: a, b\nfrom-a' ]]
	# asked without a container, the server answers as the API server does
	call GET '/api/v1/namespaces/default/pods/two/log'
	[[ $code == 400 ]]
	[[ $(jq -r .message <<<"$body") == 'a container name must be specified for pod two, choose one of: [a b]' ]]
	two_containers twob b
	run kc logs twob
	[[ $status == 0 && $output == from-b ]]
	run kc exec twob -- sh -c 'echo $WHO'
	[[ $status == 0 && $output == b ]]
}

@test "kubectl exec: output, the exit code in kubectl's words, stdin, -c, over the v5 WebSocket, without lingering" {
	kubectl_start_daemon
	kc_create box 'exec sleep 600'
	two_containers two
	wait_phase box Running
	run kc exec box -v=8 -- echo hello
	[[ $status == 0 ]]
	grep -qF "GET $KUBE_SERVER/api/v1/namespaces/default/pods/box/exec?command=echo&command=hello" <<<"$output"
	grep -qE 'Response Status: 101 Switching Protocols' <<<"$output"
	grep -qF 'The subprotocol is v5.channel.k8s.io' <<<"$output"
	grep -qx hello <<<"$output"
	# stdout and stderr are two streams, each written by a goroutine of kubectl's own: read
	# apart, as on one pipe their bytes may interleave
	run --separate-stderr kc exec box -- sh -c 'echo out; echo err >&2; exit 3'
	[[ $status == 3 ]]
	[[ $output == out ]] || { echo "stdout: $output"; false; }
	[[ $stderr == $'err\ncommand terminated with exit code 3' ]] || { echo "stderr: $stderr"; false; }
	run kc exec box -- sh -c 'exit 0'
	[[ $status == 0 && -z $output ]]
	run -127 kc exec box -- /no/such/program
	grep -qF 'exec: "/no/such/program": stat /no/such/program: No such file or directory' <<<"$output"
	[[ $(tail -1 <<<"$output") == 'command terminated with exit code 127' ]]
	# stdin to the process, and its end (v5 closes the stdin channel)
	output=$(printf 'one\ntwo\n' | kc exec -i box -- sh -c 'tr a-z A-Z; echo done')
	[[ $output == $'ONE\nTWO\ndone' ]]
	run kc exec two -c b -- sh -c 'echo $WHO'
	[[ $status == 0 && $output == b ]]
	run kc exec two -- sh -c 'echo $WHO'
	[[ $status == 0 && $output == $'Defaulted container "a" out of: a, b\na' ]]
	run kc exec two -c nope -- true
	[[ $status == 1 && $output == *'container nope is not valid for pod two'* ]]
	# each exec ends with its process: ten in a row take far less than the 2 s an exec
	# lingering for its output would each take
	start=$SECONDS
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[[ $(kc exec box -- echo "n$i") == "n$i" ]]
	done
	((SECONDS - start < 10))
	healthy
}

@test "kubectl exec -it: a terminal of the caller's size, the exit code through it" {
	kubectl_start_daemon
	kc_create box 'exec sleep 600'
	wait_phase box Running
	run "$PYTHON" "$HELPERS/pty_run.py" 33x101 'stty size; tty; exit 4\n' \
		"$KUBECTL" --kubeconfig "$TEST_TMP/kubeconfig" --cache-dir "$TEST_TMP/kube-cache" \
		exec -it box -- sh
	[[ $status == 4 ]]
	grep -q $'^33 101\r$' <<<"$output"
	grep -q $'^/dev/pts/[0-9]*\r$' <<<"$output"
	grep -qF 'command terminated with exit code 4' <<<"$output"
}

@test "kubectl port-forward: nanolet serves none, and kubectl says so and exits 1 at once" {
	kubectl_start_daemon
	kc_create box 'exec sleep 600'
	wait_phase box Running
	start=$SECONDS
	run timeout 20 "$KUBECTL" --kubeconfig "$TEST_TMP/kubeconfig" --cache-dir "$TEST_TMP/kube-cache" \
		port-forward pod/box "$(free_port):80"
	[[ $status == 1 ]]
	[[ $output == 'error: error upgrading connection: portforward is not supported on resources of kind "pods": '* ]]
	((SECONDS - start < 10))
	# the WebSocket tunnel kubectl tries first and the SPDY upgrade it falls back to: both 405
	for method in GET POST; do
		call "$method" /api/v1/namespaces/default/pods/box/portforward -H 'Connection: Upgrade' \
			-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
			-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
			-H 'Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io'
		[[ $code == 405 ]]
		[[ $(jq -r '.reason + " " + .details.kind' <<<"$body") == 'MethodNotAllowed pods' ]]
	done
	call POST /api/v1/namespaces/default/pods/nope/portforward
	[[ $code == 404 && $(jq -r .message <<<"$body") == 'pods "nope" not found' ]]
	# and discovery does not offer it
	run kc get --raw /api/v1
	[[ $status == 0 ]]
	[[ $(jq -r '[.resources[].name | select(startswith("pods/"))] | sort | join(",")' <<<"$output") != *portforward* ]]
	[[ $(jq -r '[.resources[].name] | index("pods/exec")' <<<"$output") != null ]]
}

@test "python3-kubernetes: create from a dict, list, read, logs (tail_lines, timestamps), exec through stream, delete" {
	kubectl_start_daemon
	"$PYTHON" -c 'import kubernetes' 2>/dev/null || {
		[[ -z ${CI:-} ]] || {
			echo "python3-kubernetes is required here (make test installs it)"
			return 1
		}
		skip "no python3-kubernetes: make test installs it"
	}
	run timeout 120 "$PYTHON" "$HELPERS/kube_client.py" "$TEST_TMP/kubeconfig" default pyclient
	echo "$output"
	[[ $status == 0 && $output == 'kube_client: ok' ]]
	# it deleted what it made
	call GET /api/v1/namespaces/default/pods/pyclient
	[[ $code == 404 ]]
}
