# tests/integration/kubectl_helpers.bash: the real kubectl against a test daemon.
#
# kubectl_setup (after start_daemon) gives the test a kubeconfig in $TEST_TMP/kubeconfig and
# `kc ARGS...`, which runs kubectl with it and a discovery cache of the test's own (never
# ~/.kube). For now the daemon's unix socket is bridged to a loopback port with socat.
# Under CI (CI or NANOLET_REQUIRE_KUBECTL set) kubectl is required; elsewhere a suite without
# it is skipped with a message.

KUBECTL=${KUBECTL:-/usr/bin/kubectl}

kubectl_require() {
	if [[ ! -x $KUBECTL ]]; then
		[[ -z ${CI:-}${NANOLET_REQUIRE_KUBECTL:-} ]] || {
			echo "kubectl is required here and $KUBECTL is missing" >&2
			return 1
		}
		skip "no kubectl at $KUBECTL"
	fi
}

# A free loopback TCP port.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

kubectl_setup() {
	kubectl_require
	local port i
	port=$(free_port)
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$SOCK" \
		>>"$TEST_TMP/socat.log" 2>&1 3>&- &
	track_pid $!
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		[[ $(curl -s --max-time 2 "http://127.0.0.1:$port/healthz") == ok ]] && break
		sleep 0.1
	done
	KUBE_SERVER=http://127.0.0.1:$port
	cat >"$TEST_TMP/kubeconfig" <<EOC
apiVersion: v1
kind: Config
clusters:
- name: nanolet
  cluster:
    server: $KUBE_SERVER
contexts:
- name: nanolet
  context:
    cluster: nanolet
    user: nanolet
    namespace: default
current-context: nanolet
users:
- name: nanolet
  user: {}
EOC
}

# kc ARGS...: kubectl against the test daemon.
kc() {
	"$KUBECTL" --kubeconfig "$TEST_TMP/kubeconfig" --cache-dir "$TEST_TMP/kube-cache" \
		--request-timeout "${CURL_SECONDS}s" "$@"
}

# kubectl_start_daemon [ARGS...]: a test daemon for kubectl (pods_setup's, ARGS after its
# own), and kubectl_setup.
kubectl_start_daemon() {
	kubectl_require
	pods_setup "$@"
	kubectl_setup
}
