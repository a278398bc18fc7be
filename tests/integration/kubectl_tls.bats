#!/usr/bin/env bats
# tests/integration/kubectl_tls.bats: the TLS listener. kubectl over HTTPS with the daemon's CA
# verified and the admin token of `nanoletd kubeconfig`; a wrong token and no token answered 401
# as the API server words it; plain HTTP to the TLS port refused without harm; the unix socket
# as before; the certificates kept across a restart; the files' modes; the audit log naming the
# token's user (never the token); kubectl exec's WebSocket through TLS.

load common
load pods_helpers
load kubectl_helpers

setup() {
	common_setup
	kubectl_start_daemon
	TOKEN=$(cut -d, -f1 "$TEST_TMP/state/tokens")
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

UNAUTHORIZED='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'

# tls_curl ARGS...: curl to the TLS listener, the CA verified; prints the body (JSON compacted)
# and then the status code, each on a line.
tls_curl() {
	local code
	code=$(curl -sS --max-time "$CURL_SECONDS" --cacert "$TEST_TMP/state/pki/ca.crt" \
		-o "$TEST_TMP/tls_body" -w '%{http_code}' "$@") || return 1
	jq -c . "$TEST_TMP/tls_body" 2>/dev/null || cat "$TEST_TMP/tls_body"
	echo
	echo "$code"
}

@test "kubectl version, get --raw /healthz and auth whoami over TLS, the CA verified" {
	# the kubeconfig carries the CA: nothing is skipped
	! grep -q insecure-skip-tls-verify "$TEST_TMP/kubeconfig"
	grep -q "server: https://127.0.0.1:$KUBE_PORT" "$TEST_TMP/kubeconfig"
	run kc version
	[[ $status == 0 ]] || { echo "$output"; return 1; }
	[[ $output == *"Server Version: v"* ]]
	run kc get --raw /healthz
	[[ $status == 0 && $output == ok ]] || { echo "$output"; return 1; }
	run kc auth whoami
	[[ $status == 0 ]] || { echo "$output"; return 1; }
	[[ $output =~ Username\ +admin ]] || { echo "$output"; return 1; }
	[[ $output == *"system:masters"* ]]
	[[ $output == *"system:authenticated"* ]]
	# and the admin writes: the audit log names the token's user, not the peer
	pod_yaml tls-one 'sleep 60' >"$TEST_TMP/pod.yaml"
	run kc create --validate=false -f "$TEST_TMP/pod.yaml"
	[[ $status == 0 ]] || { echo "$output"; return 1; }
	line=$(grep '"verb":"create"' "$TEST_TMP/log/audit.log" | grep '"resource":"pods"' | tail -1)
	[[ $(jq -r .user.username <<<"$line") == admin ]]
	[[ $(jq -r '.user.groups | join(",")' <<<"$line") == system:masters,system:authenticated ]]
	! grep -qF "$TOKEN" "$TEST_TMP/log/audit.log"
	! grep -qF "$TOKEN" "$TEST_TMP/daemon.log"
	# a WebSocket through the TLS listener: kubectl exec, its output and exit code
	wait_phase tls-one Running
	run kc exec tls-one -- sh -c 'echo through-tls; exit 3'
	[[ $status == 3 ]] || { echo "$status $output"; return 1; }
	[[ $output == *through-tls* ]]
	# both listeners' answers in one set of samples: whoami and the create over TLS, a review
	# on the unix socket
	call POST /apis/authentication.k8s.io/v1/selfsubjectreviews -H 'Content-Type: application/json' -d '{}'
	[[ $code == 201 ]]
	run kc get --raw /metrics
	[[ $status == 0 ]]
	[[ $(grep '^nanolet_api_requests_total{code="201",method="POST"}' <<<"$output") == \
		'nanolet_api_requests_total{code="201",method="POST"} 3' ]] || {
		grep nanolet_api_requests_total <<<"$output"
		return 1
	}
}

@test "a wrong token and no token are 401 Unauthorized, as the API server says it" {
	run tls_curl -H "Authorization: Bearer wrong$TOKEN" "https://127.0.0.1:$KUBE_PORT/api/v1/pods"
	[[ $status == 0 ]] || { echo "$output"; return 1; }
	[[ ${lines[1]} == 401 ]]
	[[ ${lines[0]} == "$UNAUTHORIZED" ]] || { echo "${lines[0]}"; return 1; }
	run tls_curl "https://127.0.0.1:$KUBE_PORT/healthz"
	[[ ${lines[1]} == 401 && ${lines[0]} == "$UNAUTHORIZED" ]] || { echo "$output"; return 1; }
	run tls_curl -H "Authorization: Basic YWRtaW46YWRtaW4=" "https://127.0.0.1:$KUBE_PORT/version"
	[[ ${lines[1]} == 401 ]]
	# kubectl's own words for it: 1.32's discovery client words the 401 itself ("the server has
	# asked for the client to provide credentials") whatever Status comes, as against a cluster
	sed -i "s/token: .*/token: not-$TOKEN/" "$TEST_TMP/kubeconfig"
	run kc get pods
	[[ $status != 0 ]]
	[[ $output == *"error: You must be logged in to the server ("* ]] || {
		echo "$output"
		return 1
	}
	# refusals are audited, as anonymous
	grep -q '"code":401' "$TEST_TMP/log/audit.log"
	[[ $(grep '"code":401' "$TEST_TMP/log/audit.log" | head -1 | jq -r .user.username) == system:anonymous ]]
	# the right one answers
	run tls_curl -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$KUBE_PORT/healthz"
	[[ ${lines[-1]} == 200 && ${lines[0]} == ok ]]
}

@test "a token user's groups give its role: nanolet:readers reads, nobody's group nothing" {
	stop_daemon
	echo "reader-token-0123,reader,1001,\"nanolet:readers,dev\"" >>"$TEST_TMP/state/tokens"
	echo "nobody-token-0123,nobody,1002" >>"$TEST_TMP/state/tokens"
	pods_setup --listen "127.0.0.1:$KUBE_PORT"
	run tls_curl -H "Authorization: Bearer reader-token-0123" "https://127.0.0.1:$KUBE_PORT/api/v1/pods"
	[[ ${lines[-1]} == 200 ]] || { echo "$output"; return 1; }
	run tls_curl -H "Authorization: Bearer reader-token-0123" -X DELETE \
		"https://127.0.0.1:$KUBE_PORT/api/v1/namespaces/default/pods/x"
	[[ ${lines[-1]} == 403 ]]
	[[ $output == *'User \"reader\" cannot delete resource \"pods\"'* ]] || { echo "$output"; return 1; }
	run tls_curl -H "Authorization: Bearer nobody-token-0123" "https://127.0.0.1:$KUBE_PORT/api/v1/pods"
	[[ ${lines[-1]} == 403 ]]
}

@test "plain HTTP to the TLS port fails cleanly and the daemon keeps serving" {
	run curl -sS --max-time 5 -w '%{http_code}' "http://127.0.0.1:$KUBE_PORT/healthz"
	[[ $output != *200* ]]
	# a TLS client that gives up mid-handshake, and a stranger's bytes
	printf 'GET / HTTP/1.1\r\n\r\n' | timeout 5 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.settimeout(4)
try:
    s.recv(100)
except Exception:
    pass' "$KUBE_PORT" || true
	kill -0 "$DAEMON_PID"
	run kc get --raw /healthz
	[[ $status == 0 && $output == ok ]]
}

@test "the unix socket still answers as before, by peer credentials" {
	call GET /healthz
	[[ $code == 200 && $body == ok ]]
	call POST /apis/authentication.k8s.io/v1/selfsubjectreviews -H 'Content-Type: application/json' -d '{}'
	[[ $code == 201 ]]
	[[ $(jq -r .status.userInfo.username <<<"$body") == root ]]
}

@test "a restart keeps the CA and the serving certificate; keys and tokens are 0600" {
	[[ $(stat -c %a "$TEST_TMP/state/pki/ca.key") == 600 ]]
	[[ $(stat -c %a "$TEST_TMP/state/pki/serving.key") == 600 ]]
	[[ $(stat -c %a "$TEST_TMP/state/tokens") == 600 ]]
	[[ $(stat -c %a "$TEST_TMP/state/pki") == 700 ]]
	ca=$(sha256sum <"$TEST_TMP/state/pki/ca.crt")
	serving=$(sha256sum <"$TEST_TMP/state/pki/serving.crt")
	tokens=$(sha256sum <"$TEST_TMP/state/tokens")
	# the SANs as asked: hostname, localhost, loopback, the listen address
	sans=$(openssl x509 -noout -ext subjectAltName -in "$TEST_TMP/state/pki/serving.crt")
	[[ $sans == *"DNS:$(hostname)"* && $sans == *DNS:localhost* ]]
	[[ $sans == *"IP Address:127.0.0.1"* && $sans == *"IP Address:0:0:0:0:0:0:0:1"* ]]
	stop_daemon
	pods_setup --listen "127.0.0.1:$KUBE_PORT"
	[[ $(sha256sum <"$TEST_TMP/state/pki/ca.crt") == "$ca" ]]
	[[ $(sha256sum <"$TEST_TMP/state/pki/serving.crt") == "$serving" ]]
	[[ $(sha256sum <"$TEST_TMP/state/tokens") == "$tokens" ]]
	run kc get --raw /healthz
	[[ $status == 0 && $output == ok ]]
	# a listen address the serving certificate does not cover: a new one, same CA
	stop_daemon
	pods_setup --listen "127.0.0.2:$KUBE_PORT"
	[[ $(sha256sum <"$TEST_TMP/state/pki/ca.crt") == "$ca" ]]
	[[ $(sha256sum <"$TEST_TMP/state/pki/serving.crt") != "$serving" ]]
	grep -q "making a new serving certificate" "$TEST_TMP/daemon.log"
	openssl x509 -noout -ext subjectAltName -in "$TEST_TMP/state/pki/serving.crt" | grep -q "IP Address:127.0.0.2"
	openssl verify -CAfile "$TEST_TMP/state/pki/ca.crt" "$TEST_TMP/state/pki/serving.crt"
}

@test "nanoletd kubeconfig without listen, or before the first start, says what is missing" {
	# shellcheck disable=SC2046
	run "$NANOLETD" kubeconfig --socket "$SOCK" $(daemon_dir_flags)
	[[ $status == 1 ]]
	[[ $output == *"listen is not set"* ]] || { echo "$output"; return 1; }
	run "$NANOLETD" kubeconfig --state-dir "$TEST_TMP/fresh" --listen 127.0.0.1:6443
	[[ $status == 1 ]]
	[[ $output == *"does not exist yet"* ]] || { echo "$output"; return 1; }
	[[ $output != *"$TOKEN"* ]]
}

@test "an IPv6 listen address: [::1]:PORT in the kubeconfig, kubectl through it" {
	stop_daemon
	pods_setup --listen "[::1]:$KUBE_PORT"
	# shellcheck disable=SC2046
	"$NANOLETD" kubeconfig $(daemon_dir_flags) --listen "[::1]:$KUBE_PORT" >"$TEST_TMP/kubeconfig6"
	grep -qF "server: https://[::1]:$KUBE_PORT" "$TEST_TMP/kubeconfig6"
	run "$KUBECTL" --kubeconfig "$TEST_TMP/kubeconfig6" --cache-dir "$TEST_TMP/kube-cache" \
		--request-timeout "${CURL_SECONDS}s" get --raw /healthz
	[[ $status == 0 && $output == ok ]] || { echo "$output"; return 1; }
	# the IPv4 listener is gone with the flag
	! curl -s --max-time 2 -k "https://127.0.0.1:$KUBE_PORT/healthz"
}
