#!/usr/bin/env bats
# tests/integration/images_registry.bats: pkg/image's registry client against real registries
# (Debian's docker-registry on loopback, started per test by images_helpers.bash), driven by
# helpers/image_pull.c: the puller on an sd-event loop writing into a store in the test's
# directory. No daemon, no cgroup: what is asserted is what the pull answers (the record, or the
# message ErrImagePull would show), what the store holds after, and what the registry served.

load common
load images_helpers

PULL=${NANOLET_BUILD:-build}/image_pull
PULL_SECONDS=${PULL_SECONDS:-120}

setup() {
	[[ -x $PULL ]] || {
		echo "no $PULL: build first or set NANOLET_BUILD" >&2
		return 1
	}
	common_setup
	STORE=$TEST_TMP/images
}

teardown() {
	if [[ -z ${BATS_TEST_COMPLETED:-} && -n ${REGISTRY_DIR:-} && -f $REGISTRY_DIR/registry.log ]]; then
		tail -n 30 "$REGISTRY_DIR/registry.log" | sed 's/^/# registry: /' >&3
	fi
	registry_stop
	common_teardown
}

# pull CONFIG_JSON REFERENCE...: the pulls' JSON lines in $output, one per reference.
pull() {
	run timeout "$PULL_SECONDS" "$PULL" "$STORE" "$@"
	echo "$output" >&3
}

# The line of the nth waiter's answer (0-based); the puller's log lines are stderr's.
answer() {
	echo "$output" | grep '^{"reference"' | sed -n "$(($1 + 1))p"
}

push() { # push NAME [DESC_JSON]: the summary JSON
	oci_image --desc-json "${2:-{\}}" push --registry "$REGISTRY" --name "$1"
}

blob_gets() { # blob_gets DIGEST: how many times the registry served it
	grep -c "\"GET /v2/[^ ]*/blobs/$1 " "$REGISTRY_DIR/registry.log" || true
}

@test "a pull by tag stores the image: record, verified blobs, unpacked layers" {
	registry_start
	sum=$(push t/busy:1 '{"layers": [{"files": {"etc/motd": "hello\n"}}]}')
	pull '{}' "$REGISTRY/t/busy:1"
	[ "$status" -eq 0 ]
	a=$(answer 0)
	[ "$(jq -r .id <<<"$a")" = "$(jq -r .config <<<"$sum")" ]
	[ "$(jq -r .manifest <<<"$a")" = "$(jq -r .manifest <<<"$sum")" ]
	[ "$(jq -r '.repo_tags[0]' <<<"$a")" = "$REGISTRY/t/busy:1" ]
	[ "$(jq -r '.repo_digests[0]' <<<"$a")" = "$REGISTRY/t/busy@$(jq -r .manifest <<<"$sum")" ]
	[ "$(jq -r .bytes <<<"$a")" = "$(jq -r .size <<<"$sum")" ]
	# lowerdirs, top first: the motd layer, then busybox
	top=$(jq -r '.layers[0]' <<<"$a")
	bottom=$(jq -r '.layers[1]' <<<"$a")
	[ "$(cat "$top/etc/motd")" = hello ]
	[ -x "$bottom/bin/busybox" ]
	for d in $(jq -r '.layers[]' <<<"$sum"); do
		[ -f "$STORE/blobs/sha256/${d#sha256:}" ]
	done
	[ -f "$STORE/images/$(jq -r '.config | ltrimstr("sha256:")' <<<"$sum").json" ]
	# nothing left in tmp/
	[ -z "$(ls -A "$STORE/tmp")" ]
	# the loop kept running while blobs were hashed, fsync'd and unpacked
	gap=$(echo "$output" | grep '^{"max_loop_gap_ms"' | jq -r .max_loop_gap_ms)
	[ "$gap" -lt 1000 ]
}

@test "a pull by digest resolves that manifest and records no tag" {
	registry_start
	sum=$(push t/busy:1)
	m=$(jq -r .manifest <<<"$sum")
	pull '{}' "$REGISTRY/t/busy@$m"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$(answer 0)")" = "$(jq -r .config <<<"$sum")" ]
	[ "$(jq -r '.repo_tags | length' <<<"$(answer 0)")" = 0 ]
	[ "$(jq -r '.repo_digests[0]' <<<"$(answer 0)")" = "$REGISTRY/t/busy@$m" ]
}

@test "an index resolves to the node's platform; repoDigests name the index" {
	registry_start
	arch=$(/usr/bin/python3 -c 'import platform; m = platform.machine(); print({"x86_64": "amd64", "aarch64": "arm64"}.get(m, m))')
	other=s390x
	[ "$arch" != s390x ] || other=amd64
	sum=$(push t/multi:2 "{\"platforms\": [\"linux/$other\", \"linux/$arch\"]}")
	pull '{}' "$REGISTRY/t/multi:2"
	[ "$status" -eq 0 ]
	a=$(answer 0)
	[ "$(jq -r .manifest <<<"$a")" = "$(jq -r ".manifests[\"linux/$arch\"]" <<<"$sum")" ]
	[ "$(jq -r .id <<<"$a")" = "$(jq -r ".configs[\"linux/$arch\"]" <<<"$sum")" ]
	[ "$(jq -r '.repo_digests[0]' <<<"$a")" = "$REGISTRY/t/multi@$(jq -r .index <<<"$sum")" ]
	# the other platform's config was never fetched
	[ "$(blob_gets "$(jq -r ".configs[\"linux/$other\"]" <<<"$sum")")" = 0 ]
}

@test "an index without the node's platform fails naming it" {
	registry_start
	push t/foreign:1 '{"platforms": ["linux/s390x", "linux/mips64le"]}'
	[ "$(uname -m)" != s390x ] || skip "the node is s390x"
	pull '{}' "$REGISTRY/t/foreign:1"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"no image for linux/"* ]]
}

@test "waiters of one reference share one transfer; a layer two images share is fetched once" {
	registry_start
	a=$(push t/a:1 '{"layers": [{"files": {"a": "a"}}]}')
	b=$(push t/b:1 '{"layers": [{"files": {"b": "b"}}]}')
	base=$(jq -r '.layers[0]' <<<"$a")
	[ "$base" = "$(jq -r '.layers[0]' <<<"$b")" ]
	pull '{}' "$REGISTRY/t/a:1" "$REGISTRY/t/a:1" "$REGISTRY/t/a:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '"r":0')" = 3 ]
	[ "$(blob_gets "$base")" = 1 ]
	[ "$(blob_gets "$(jq -r '.layers[1]' <<<"$a")")" = 1 ]
	pull '{}' "$REGISTRY/t/b:1"
	[ "$status" -eq 0 ]
	[ "$(blob_gets "$base")" = 1 ]
	[ "$(blob_gets "$(jq -r '.layers[1]' <<<"$b")")" = 1 ]
	# both images' lowest layer is the one directory
	[ "$(ls "$STORE/layers/sha256" | wc -l)" = 3 ]
}

@test "a cancelled waiter hears nothing; the others get the image" {
	registry_start
	sum=$(push t/busy:1)
	pull '{}' "cancel:$REGISTRY/t/busy:1" "$REGISTRY/t/busy:1" "cancel:$REGISTRY/t/busy:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^{"reference"')" = 1 ]
	[ "$(jq -r .id <<<"$(answer 0)")" = "$(jq -r .config <<<"$sum")" ]
	[ "$(grep -c '"GET /v2/t/busy/manifests/1 ' "$REGISTRY_DIR/registry.log")" = 1 ]
}

@test "a tampered blob fails naming its digest, and nothing of it is kept" {
	registry_start
	sum=$(push t/busy:1 '{"layers": [{"files": {"etc/motd": "hello\n"}}]}')
	layer=$(jq -r '.layers[1]' <<<"$sum")
	path=$(registry_blob_path "$layer")
	# same length, other bytes: only the digest can tell
	/usr/bin/python3 -c 'import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(b)' "$path"
	pull '{}' "$REGISTRY/t/busy:1"
	[ "$status" -eq 1 ]
	a=$(answer 0)
	[[ $a == *"failed to pull and unpack image \\\"$REGISTRY/t/busy:1\\\""* ]]
	[[ $a == *"blob $layer failed verification"* ]]
	[ ! -e "$STORE/blobs/sha256/${layer#sha256:}" ]
	[ -z "$(ls -A "$STORE/images")" ]
	[ -z "$(ls -A "$STORE/tmp")" ]
}

@test "a tag the registry does not have: not found" {
	registry_start
	push t/busy:1
	pull '{}' "$REGISTRY/t/busy:2"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"failed to resolve reference \\\"$REGISTRY/t/busy:2\\\": $REGISTRY/t/busy:2: not found"* ]]
}

@test "a registry that is down: connection refused" {
	port=$(registry_free_port)
	pull '{}' "127.0.0.1:$port/t/busy:1"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"failed to resolve reference \\\"127.0.0.1:$port/t/busy:1\\\""* ]]
	[[ $(answer 0) == *"connection refused"* ]]
}

@test "a registry that accepts and then says nothing: the pull ends after image_pull_timeout" {
	# a listener that takes connections and never answers
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    conns.append(s.accept()[0])' "$TEST_TMP/silent.port" &
	track_pid $!
	wait_for test -s "$TEST_TMP/silent.port"
	port=$(cat "$TEST_TMP/silent.port")
	start=$SECONDS
	pull '{"timeout": 2}' "127.0.0.1:$port/t/busy:1"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"failed to resolve reference"*"127.0.0.1:$port"* ]]
	[[ $(answer 0) == *"timed out"* || $(answer 0) == *"too slow"* ]]
	# HTTPS, then plain HTTP: two requests of 2 s each, far from the default 60
	[ $((SECONDS - start)) -lt 30 ]
}

@test "a puller freed with pulls in flight stops them" {
	registry_start
	push t/busy:1 >/dev/null
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    conns.append(s.accept()[0])' "$TEST_TMP/silent.port" &
	track_pid $!
	wait_for test -s "$TEST_TMP/silent.port"
	port=$(cat "$TEST_TMP/silent.port")
	pull '{"stop_after_ms": 300}' "127.0.0.1:$port/t/busy:1" "$REGISTRY/t/busy:1"
	# 3: stopped with a waiter left (not a crash; an ASan build would fail on a leak)
	[ "$status" -eq 3 ]
	[ "$(echo "$output" | grep -c '^{"reference"')" -le 1 ]
}

@test "basic auth: the credentials of the auth file; without them, 401" {
	registry_start "$(registry_htpasswd_auth u p)"
	oci_image push --registry "$REGISTRY" --name t/busy:1 --user u:p >/dev/null
	echo "{\"auths\": {\"$REGISTRY\": {\"auth\": \"$(echo -n u:p | base64)\"}}}" >"$TEST_TMP/auth.json"
	pull "{\"auth_file\": \"$TEST_TMP/auth.json\"}" "$REGISTRY/t/busy:1"
	[ "$status" -eq 0 ]
	rm -rf "$STORE"
	pull '{}' "$REGISTRY/t/busy:1"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"401 Unauthorized"* ]]
}

@test "token auth: the Bearer realm's token, asked with the auth file's credentials" {
	registry_token_start u:p
	registry_start "$(registry_token_auth)"
	sum=$(oci_image push --registry "$REGISTRY" --name t/busy:1 --user u:p)
	: >"$REGISTRY_AUTH_DIR/token.log"
	echo "{\"auths\": {\"http://$REGISTRY\": {\"username\": \"u\", \"password\": \"p\"}}}" >"$TEST_TMP/auth.json"
	pull "{\"auth_file\": \"$TEST_TMP/auth.json\"}" "$REGISTRY/t/busy:1"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$(answer 0)")" = "$(jq -r .config <<<"$sum")" ]
	grep -q "^Basic $(echo -n u:p | base64) repository:t/busy:pull$" "$REGISTRY_AUTH_DIR/token.log"
	# without credentials the token server refuses, and the pull says so
	rm -rf "$STORE"
	pull '{}' "$REGISTRY/t/busy:1"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"failed to fetch oauth token"*"401"* ]]
	registry_token_stop
}

@test "mirrors are tried first, in order; a mirror that fails falls through to the next" {
	registry_start
	sum=$(push t/busy:1)
	MIRROR=$REGISTRY
	MIRROR_DIR=$REGISTRY_DIR
	MIRROR_PID=$REGISTRY_PID
	down=$(registry_free_port)
	# the registry the reference names is down: only the mirror has it
	ref="127.0.0.1:$(registry_free_port)/t/busy:1"
	cfg="{\"registries\": {\"${ref%%/*}\": {\"mirrors\": [\"http://127.0.0.1:$down\", \"http://$MIRROR\"]}}}"
	pull "$cfg" "$ref"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$(answer 0)")" = "$(jq -r .config <<<"$sum")" ]
	[ "$(jq -r '.repo_tags[0]' <<<"$(answer 0)")" = "$ref" ]
	grep -q "GET /v2/t/busy/manifests/1" "$MIRROR_DIR/registry.log"
	# a mirror without the image: the registry itself answers
	REGISTRY_OWN_DIR=
	registry_start
	sum2=$(push t/other:1 '{"layers": [{"files": {"x": "y"}}]}')
	rm -rf "$STORE"
	cfg="{\"registries\": {\"$REGISTRY\": {\"mirrors\": [\"http://$MIRROR\"]}}}"
	pull "$cfg" "$REGISTRY/t/other:1"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$(answer 0)")" = "$(jq -r .config <<<"$sum2")" ]
	grep -q "GET /v2/t/other/manifests/1" "$MIRROR_DIR/registry.log"
	kill -TERM "$MIRROR_PID"
}

@test "insecure: HTTPS without verification for a registry with a self-signed certificate" {
	mkdir -p "$TEST_TMP/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TEST_TMP/tls/key.pem" \
		-out "$TEST_TMP/tls/cert.pem" -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null
	registry_start
	sum=$(push t/busy:1)
	storage=$REGISTRY_DIR/storage
	registry_stop
	# the same storage served over TLS
	REGISTRY_OWN_DIR=
	port=$(registry_free_port)
	cat >"$TEST_TMP/tls/config.yml" <<-EOF
		version: 0.1
		storage:
		  filesystem:
		    rootdirectory: $storage
		http:
		  addr: 127.0.0.1:$port
		  tls:
		    certificate: $TEST_TMP/tls/cert.pem
		    key: $TEST_TMP/tls/key.pem
	EOF
	env -i PATH="$PATH" "$DOCKER_REGISTRY" serve "$TEST_TMP/tls/config.yml" >"$TEST_TMP/tls/registry.log" 2>&1 &
	track_pid $!
	wait_for curl -sk -o /dev/null "https://127.0.0.1:$port/v2/"
	# not insecure: the certificate is refused (and plain HTTP finds a TLS server)
	pull '{}' "127.0.0.1:$port/t/busy:1"
	[ "$status" -eq 1 ]
	[[ $(answer 0) == *"GET https://127.0.0.1:$port/v2/t/busy/manifests/1: "*certificate* ]]
	pull "{\"registries\": {\"127.0.0.1:$port\": {\"insecure\": true}}}" "127.0.0.1:$port/t/busy:1"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$(answer 0)")" = "$(jq -r .config <<<"$sum")" ]
}
