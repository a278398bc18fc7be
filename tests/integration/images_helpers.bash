# tests/integration/images_helpers.bash: a local OCI registry for the images suites.
#
# registry_start [AUTH_YAML]: a Debian docker-registry (distribution) on 127.0.0.1:<free port>
#   with its own storage directory and config file under $REGISTRY_DIR (in $TEST_TMP when the
#   suite has one, so common_teardown removes it; else a mktemp directory registry_stop
#   removes). AUTH_YAML, when given, is the config's `auth:` section's lines, indented two
#   spaces (registry_htpasswd_auth and registry_token_auth print them). Exports REGISTRY=127.0.0.1:<port>,
#   REGISTRY_PORT, REGISTRY_DIR, REGISTRY_PID. Waits until /v2/ answers (200 or 401).
# registry_stop: stops it (by pid) and removes what it made outside $TEST_TMP. Safe to call
#   twice, and when nothing was started.
# registry_blob_path DIGEST: the file that holds a blob's bytes in the registry's storage (for
#   tamper tests: overwrite it and the registry serves the changed bytes under the old digest).
# oci_image ARGS...: tests/integration/helpers/oci_image.py with the system python.

IMAGES_PYTHON=${IMAGES_PYTHON:-/usr/bin/python3}
IMAGES_HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER_REGISTRY=${DOCKER_REGISTRY:-/usr/bin/docker-registry}
REGISTRY_WAIT_TENTHS=${NANOLET_WAIT_TENTHS:-150}

oci_image() {
	"$IMAGES_PYTHON" "$IMAGES_HELPERS_DIR/helpers/oci_image.py" "$@"
}

# A TCP port nothing listens on now (the kernel's pick; bound again at once by the registry).
registry_free_port() {
	"$IMAGES_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

registry_start() {
	local auth=${1:-} try code i
	[[ -x $DOCKER_REGISTRY ]] || {
		echo "no docker-registry at $DOCKER_REGISTRY" >&2
		return 1
	}
	if [[ -n ${TEST_TMP:-} && -d $TEST_TMP ]]; then
		REGISTRY_DIR=$(mktemp -d "$TEST_TMP/registry.XXXXXX")
		REGISTRY_OWN_DIR=
	else
		REGISTRY_DIR=$(mktemp -d /tmp/nanolet-registry.XXXXXX)
		REGISTRY_OWN_DIR=$REGISTRY_DIR
	fi
	mkdir -p "$REGISTRY_DIR/storage"
	for try in 1 2 3 4 5; do
		REGISTRY_PORT=$(registry_free_port)
		{
			echo "version: 0.1"
			echo "log:"
			echo "  level: info"
			echo "  accesslog:"
			echo "    disabled: false"
			echo "storage:"
			echo "  filesystem:"
			echo "    rootdirectory: $REGISTRY_DIR/storage"
			echo "  delete:"
			echo "    enabled: true"
			echo "  redirect:"
			echo "    disable: true"
			echo "http:"
			echo "  addr: 127.0.0.1:$REGISTRY_PORT"
			if [[ -n $auth ]]; then
				echo "auth:"
				printf "%s\n" "$auth"
			fi
		} >"$REGISTRY_DIR/config.yml"
		# distribution reads REGISTRY_* variables as config overrides (REGISTRY_AUTH_DIR would
		# be auth.dir): it gets an environment of its own
		env -i PATH="$PATH" "$DOCKER_REGISTRY" serve "$REGISTRY_DIR/config.yml" \
			>"$REGISTRY_DIR/registry.log" 2>&1 &
		REGISTRY_PID=$!
		[[ -n ${TEST_TMP:-} && -f $TEST_TMP/pids ]] && echo "$REGISTRY_PID" >>"$TEST_TMP/pids"
		for ((i = 0; i < REGISTRY_WAIT_TENTHS; i++)); do
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
				"http://127.0.0.1:$REGISTRY_PORT/v2/" 2>/dev/null) || code=000
			if [[ $code == 200 || $code == 401 ]]; then
				export REGISTRY="127.0.0.1:$REGISTRY_PORT" REGISTRY_PORT REGISTRY_DIR REGISTRY_PID
				return 0
			fi
			sleep 0.1
		done
		# Lost the port to someone else, or did not start: say why, then try another port.
		kill -TERM "$REGISTRY_PID" 2>/dev/null || true
		wait "$REGISTRY_PID" 2>/dev/null || true
		sed 's/^/# registry: /' "$REGISTRY_DIR/registry.log" >&2
	done
	echo "docker-registry did not start" >&2
	return 1
}

registry_stop() {
	local i
	if [[ -n ${REGISTRY_PID:-} ]] && kill -0 "$REGISTRY_PID" 2>/dev/null; then
		kill -TERM "$REGISTRY_PID" 2>/dev/null || true
		for ((i = 0; i < REGISTRY_WAIT_TENTHS; i++)); do
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$REGISTRY_PID" 2>/dev/null || true
		wait "$REGISTRY_PID" 2>/dev/null || true
	fi
	REGISTRY_PID=
	if [[ -n ${REGISTRY_OWN_DIR:-} && -d $REGISTRY_OWN_DIR ]]; then
		rm -rf "$REGISTRY_OWN_DIR"
	fi
	REGISTRY_OWN_DIR=
}

registry_blob_path() {
	local hex=${1#sha256:}
	echo "$REGISTRY_DIR/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# registry_htpasswd_auth USER PASS: an htpasswd file (bcrypt, as distribution wants) in
# $REGISTRY_AUTH_DIR and, on stdout, the `auth:` lines for registry_start: the registry then
# answers 401 with WWW-Authenticate: Basic.
registry_htpasswd_auth() {
	REGISTRY_AUTH_DIR=${REGISTRY_AUTH_DIR:-$(mktemp -d "${TEST_TMP:-/tmp}/registry-auth.XXXXXX")}
	"$IMAGES_PYTHON" -c 'import crypt, sys
print("%s:%s" % (sys.argv[1], crypt.crypt(sys.argv[2], crypt.METHOD_BLOWFISH)))' "$1" "$2" \
		2>/dev/null >"$REGISTRY_AUTH_DIR/htpasswd"
	printf '  htpasswd:\n    realm: nanolet-test\n    path: %s\n' "$REGISTRY_AUTH_DIR/htpasswd"
}

# registry_token_start [USER:PASS]: helpers/registry_token.py on 127.0.0.1:<free port> (its pid
# in $TEST_TMP/pids when there is one; registry_token_stop otherwise); exports
# REGISTRY_TOKEN_PORT, REGISTRY_TOKEN_PID and REGISTRY_AUTH_DIR (its key, cert and token.log).
# registry_token_auth: the `auth:` lines for registry_start that send clients to it.
registry_token_start() {
	local i
	REGISTRY_AUTH_DIR=${REGISTRY_AUTH_DIR:-$(mktemp -d "${TEST_TMP:-/tmp}/registry-auth.XXXXXX")}
	rm -f "$REGISTRY_AUTH_DIR/port"
	"$IMAGES_PYTHON" "$IMAGES_HELPERS_DIR/helpers/registry_token.py" "$REGISTRY_AUTH_DIR" \
		"$REGISTRY_AUTH_DIR/port" "$@" 2>"$REGISTRY_AUTH_DIR/token.err" &
	REGISTRY_TOKEN_PID=$!
	[[ -n ${TEST_TMP:-} && -f $TEST_TMP/pids ]] && echo "$REGISTRY_TOKEN_PID" >>"$TEST_TMP/pids"
	for ((i = 0; i < REGISTRY_WAIT_TENTHS; i++)); do
		if [[ -s $REGISTRY_AUTH_DIR/port ]]; then
			REGISTRY_TOKEN_PORT=$(cat "$REGISTRY_AUTH_DIR/port")
			export REGISTRY_TOKEN_PORT REGISTRY_TOKEN_PID REGISTRY_AUTH_DIR
			return 0
		fi
		kill -0 "$REGISTRY_TOKEN_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$REGISTRY_AUTH_DIR/token.err" >&2
	return 1
}

registry_token_auth() {
	printf '  token:\n    realm: http://127.0.0.1:%s/token\n    service: nanolet-test\n' \
		"$REGISTRY_TOKEN_PORT"
	printf '    issuer: nanolet-test-issuer\n    rootcertbundle: %s\n' "$REGISTRY_AUTH_DIR/cert.pem"
}

registry_token_stop() {
	if [[ -n ${REGISTRY_TOKEN_PID:-} ]]; then
		kill -TERM "$REGISTRY_TOKEN_PID" 2>/dev/null || true
		wait "$REGISTRY_TOKEN_PID" 2>/dev/null || true
	fi
	REGISTRY_TOKEN_PID=
	if [[ -n ${REGISTRY_AUTH_DIR:-} && $REGISTRY_AUTH_DIR == /tmp/registry-auth.* ]]; then
		rm -rf "$REGISTRY_AUTH_DIR"
	fi
	REGISTRY_AUTH_DIR=
}
