# tests/integration/kubectl_helpers.bash: the real kubectl against a test daemon.
#
# kubectl_start_daemon starts a test daemon and kubectl_setup gives the test a kubeconfig in
# $TEST_TMP/kubeconfig and
# `kc ARGS...`, which runs kubectl with it and a discovery cache of the test's own (never
# ~/.kube). kubectl speaks HTTPS to the daemon's TLS listener on a free loopback port, with the
# CA verified and the admin bearer token, as a user's `nanoletd kubeconfig` gives them.
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

# kubectl_setup: the kubeconfig of the test daemon's TLS listener (kubectl_start_daemon gives it
# --listen 127.0.0.1:$KUBE_PORT), from `nanoletd kubeconfig` with the daemon's own flags: server
# https://127.0.0.1:$KUBE_PORT, the daemon's CA, the admin token. $KUBE_SERVER is the server.
kubectl_setup() {
	kubectl_require
	[[ -n ${KUBE_PORT:-} ]] || {
		echo "kubectl_setup: no KUBE_PORT: start the daemon with kubectl_start_daemon" >&2
		return 1
	}
	# shellcheck disable=SC2046
	"$NANOLETD" kubeconfig --socket "$SOCK" $(daemon_dir_flags) --listen "127.0.0.1:$KUBE_PORT" \
		>"$TEST_TMP/kubeconfig" || return 1
	KUBE_SERVER=https://127.0.0.1:$KUBE_PORT
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
	KUBE_PORT=$(free_port)
	pods_setup --listen "127.0.0.1:$KUBE_PORT" "$@"
	kubectl_setup
}

# kubectl_restart_daemon [ARGS...]: stops the test daemon and starts it again as
# kubectl_start_daemon did, on the same port (the kubeconfig stays good).
kubectl_restart_daemon() {
	stop_daemon
	pods_setup --listen "127.0.0.1:$KUBE_PORT" "$@"
}
