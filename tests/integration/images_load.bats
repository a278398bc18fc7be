#!/usr/bin/env bats
# POST /apis/nanolet.io/v1/images with `podman save` archives (oci-archive and docker-archive)
# of busybox-static images made with `podman import` (podman's storage in the file's temporary
# directory, never the machine's), then the images API: list, get, delete (404, 409 while a pod
# uses the image), bad archives (400 naming what is wrong, nothing kept), the size limit (413),
# and image GC removing only unused images; and a pull through the same POST with a JSON body,
# from a registry on loopback (images_helpers.bash).

load common
load pods_helpers
load images_helpers

# podman with its storage in the file's temporary directory.
podman_t() {
	podman --root "$IMAGES_TMP/storage" --runroot "$IMAGES_TMP/run" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none "$@"
}

# make_image TAG MARKER: a busybox-static root with /marker holding MARKER, imported.
make_image() {
	local root=$IMAGES_TMP/root-$2
	mkdir -p "$root/bin" "$root/etc" "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	ln -sf busybox "$root/bin/sh"
	echo "$2" >"$root/marker"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	tar -C "$root" -cf "$IMAGES_TMP/$2.rootfs.tar" .
	podman_t import --change 'CMD ["/bin/sh"]' "$IMAGES_TMP/$2.rootfs.tar" "$1" >/dev/null
}

setup_file() {
	command -v podman >/dev/null || skip "no podman"
	[[ -x /bin/busybox ]] || skip "no busybox-static"
	IMAGES_TMP=$(mktemp -d /tmp/nanolet-images-load.XXXXXX)
	export IMAGES_TMP
	make_image localhost/bb:1 one
	make_image localhost/bb:2 two
	podman_t save --format oci-archive -o "$IMAGES_TMP/one.oci.tar" localhost/bb:1
	podman_t save --format docker-archive -o "$IMAGES_TMP/one.docker.tar" localhost/bb:1
	podman_t save --format oci-archive -o "$IMAGES_TMP/two.oci.tar" localhost/bb:2
	ONE_ID=sha256:$(podman_t image inspect --format '{{.Id}}' localhost/bb:1)
	TWO_ID=sha256:$(podman_t image inspect --format '{{.Id}}' localhost/bb:2)
	export ONE_ID TWO_ID
}

teardown_file() {
	[[ -n ${IMAGES_TMP:-} && -d $IMAGES_TMP ]] || return 0
	podman_t rmi -a -f >/dev/null 2>&1 || true
	rm -rf "$IMAGES_TMP"
}

setup() {
	common_setup
}

teardown() {
	pods_teardown
	registry_stop
	common_teardown
}

# load_archive FILE: POST it; $code and $body as call sets them.
load_archive() {
	call POST /apis/nanolet.io/v1/images -H 'Content-Type: application/x-tar' -T "$1"
}

images() {
	nanolet_curl 'http://nanolet/apis/nanolet.io/v1/images?pretty=false'
}

# The store's directories that must be empty after a refusal.
store_dir() {
	echo "$TEST_TMP/state/images/$1"
}

@test "an oci-archive from podman save loads: 201 with its image, tag, digest and size; listed; got by id, hex and prefix" {
	start_daemon
	load_archive "$IMAGES_TMP/one.oci.tar"
	echo "$code $body"
	[[ $code == 201 ]]
	manifest=$(tar -xOf "$IMAGES_TMP/one.oci.tar" index.json | jq -r '.manifests[0].digest')
	jq -e --arg id "$ONE_ID" --arg m "$manifest" '.kind == "ImageList" and (.items | length) == 1 and
		.items[0].id == $id and .items[0].metadata.name == ($id | ltrimstr("sha256:")) and
		.items[0].repoTags == ["localhost/bb:1"] and .items[0].repoDigests == ["localhost/bb@" + $m] and
		.items[0].size > 1000000 and .items[0].inUse == false' <<<"$body"
	images | jq -e --arg id "$ONE_ID" '.items | length == 1 and .[0].id == $id'
	hex=${ONE_ID#sha256:}
	for name in "$ONE_ID" "$hex" "${hex:0:12}"; do
		call GET "/apis/nanolet.io/v1/images/$name"
		[[ $code == 200 ]]
		jq -e --arg id "$ONE_ID" '.kind == "Image" and .id == $id' <<<"$body"
	done
	call GET /apis/nanolet.io/v1/images/0123456789ab
	[[ $code == 404 ]]
	jq -e '.reason == "NotFound" and .message == "images.nanolet.io \"0123456789ab\" not found"' <<<"$body"
	# the layer is unpacked once, whole, under its diff ID
	[[ $(ls "$(store_dir layers/sha256)" | wc -l) == 1 ]]
	cmp /bin/busybox "$(store_dir layers/sha256)"/*/root/bin/busybox
	[[ $(cat "$(store_dir layers/sha256)"/*/root/marker) == one ]]
	# the upload left nothing in tmp/
	[[ -z $(ls -A "$(store_dir tmp)") ]]
}

@test "a docker-archive of the same image loads as the same image (its config digest), its layer unpacked once" {
	start_daemon
	load_archive "$IMAGES_TMP/one.docker.tar"
	echo "$code $body"
	[[ $code == 201 ]]
	jq -e --arg id "$ONE_ID" '.items | length == 1 and .[0].id == $id and .[0].repoTags == ["localhost/bb:1"] and
		(.[0].repoDigests[0] | startswith("localhost/bb@sha256:"))' <<<"$body"
	# the manifest made for it is in the store, and names the config and the layer
	manifest=$(jq -r '.items[0].repoDigests[0] | sub("^[^@]*@sha256:"; "")' <<<"$body")
	jq -e --arg id "$ONE_ID" '.schemaVersion == 2 and .mediaType == "application/vnd.oci.image.manifest.v1+json" and
		.config.digest == $id and (.layers | length) == 1' "$(store_dir blobs/sha256)/$manifest"
	load_archive "$IMAGES_TMP/one.oci.tar"
	[[ $code == 201 ]]
	images | jq -e '.items | length == 1'
	[[ $(ls "$(store_dir layers/sha256)" | wc -l) == 1 ]]
	[[ -z $(ls -A "$(store_dir tmp)") ]]
}

@test "a bad archive is refused 400 naming what is wrong, and nothing of it is kept" {
	start_daemon
	echo 'not a tar at all' >"$TEST_TMP/junk"
	load_archive "$TEST_TMP/junk"
	echo "$code $body"
	[[ $code == 400 ]]
	jq -e '.reason == "BadRequest" and (.message | length > 0)' <<<"$body"

	mkdir -p "$TEST_TMP/empty" && echo hi >"$TEST_TMP/empty/hello"
	tar -C "$TEST_TMP/empty" -cf "$TEST_TMP/empty.tar" .
	load_archive "$TEST_TMP/empty.tar"
	echo "$code $body"
	[[ $code == 400 ]]
	jq -e '.message | contains("neither index.json") and contains("manifest.json")' <<<"$body"

	# an oci-archive whose layer blob was changed: the digest it is named by is in the message
	mkdir -p "$TEST_TMP/tampered"
	tar -C "$TEST_TMP/tampered" -xf "$IMAGES_TMP/one.oci.tar"
	layer=$(ls -S "$TEST_TMP/tampered/blobs/sha256" | head -1)
	chmod u+w "$TEST_TMP/tampered/blobs/sha256/$layer"
	printf 'X' | dd of="$TEST_TMP/tampered/blobs/sha256/$layer" bs=1 seek=4096 conv=notrunc status=none
	tar -C "$TEST_TMP/tampered" -cf "$TEST_TMP/tampered.tar" .
	load_archive "$TEST_TMP/tampered.tar"
	echo "$code $body"
	[[ $code == 400 ]]
	jq -e --arg d "sha256:$layer" '.message | contains($d) and contains("failed verification")' <<<"$body"

	images | jq -e '.items == []'
	[[ -z $(ls -A "$(store_dir tmp)") ]]
	[[ -z $(ls -A "$(store_dir images)") ]]
	[[ -z $(ls -A "$(store_dir layers/sha256)" 2>/dev/null) ]]
}

@test "an archive over max_image_archive_bytes is refused 413 naming the key; other bodies keep max_request_bytes" {
	start_daemon --max-image-archive-bytes 1Mi
	load_archive "$IMAGES_TMP/one.oci.tar"
	echo "$code $body"
	[[ $code == 413 ]]
	jq -e '.reason == "RequestEntityTooLarge" and (.message | contains("max_image_archive_bytes"))' <<<"$body"
	# sent chunked, without a length: counted as it comes
	call POST /apis/nanolet.io/v1/images -H 'Content-Type: application/x-tar' \
		-H 'Transfer-Encoding: chunked' --data-binary @"$IMAGES_TMP/one.oci.tar"
	echo "$code $body"
	[[ $code == 413 ]]
	images | jq -e '.items == []'
	[[ -z $(ls -A "$(store_dir tmp)") ]]
	# a pull's JSON body is an ordinary request body
	call POST /apis/nanolet.io/v1/images -H 'Content-Type: application/json' -d '{"image": "Not A Reference"}'
	echo "$code $body"
	[[ $code == 400 ]]
	jq -e '.message | contains("invalid reference format")' <<<"$body"
	call POST /apis/nanolet.io/v1/images -H 'Content-Type: text/plain' -d 'x'
	[[ $code == 415 ]]
}

@test "DELETE removes an image, its blobs and its layers; again is 404" {
	start_daemon
	load_archive "$IMAGES_TMP/one.oci.tar"
	[[ $code == 201 ]]
	load_archive "$IMAGES_TMP/two.oci.tar"
	[[ $code == 201 ]]
	images | jq -e '.items | length == 2 and .[0].repoTags == ["localhost/bb:1"] and .[1].repoTags == ["localhost/bb:2"]'
	call DELETE "/apis/nanolet.io/v1/images/${ONE_ID#sha256:}"
	echo "$code $body"
	[[ $code == 200 ]]
	jq -e --arg id "$ONE_ID" '.id == $id' <<<"$body"
	images | jq -e --arg id "$TWO_ID" '.items | length == 1 and .[0].id == $id'
	[[ ! -e $(store_dir blobs/sha256)/${ONE_ID#sha256:} ]]
	[[ $(ls "$(store_dir layers/sha256)" | wc -l) == 1 ]]
	[[ $(cat "$(store_dir layers/sha256)"/*/root/marker) == two ]]
	call DELETE "/apis/nanolet.io/v1/images/${ONE_ID#sha256:}"
	[[ $code == 404 ]]
}

# image_pod NAME IMAGE: a pod that runs the loaded image, never pulling.
image_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: $2
    imagePullPolicy: Never
    command: [sh, -c, 'cat /marker; exec sleep 600']
EOF
}

@test "a loaded image runs in a pod; while it does, DELETE is 409 naming the pod and image GC keeps it" {
	# GC as soon as anything is on the disk, of images a second old
	start_daemon --image-gc-high-threshold-percent 1 --image-gc-low-threshold-percent 1 \
		--image-minimum-gc-age 1
	load_archive "$IMAGES_TMP/one.docker.tar"
	[[ $code == 201 ]]
	create_pod "$(image_pod one localhost/bb:1)"
	wait_phase one Running
	wait_log one one
	images | jq -e --arg id "$ONE_ID" '.items[] | select(.id == $id) | .inUse == true'
	call DELETE "/apis/nanolet.io/v1/images/$ONE_ID"
	echo "$code $body"
	[[ $code == 409 ]]
	jq -e '.reason == "Conflict" and (.message | contains("default/one"))' <<<"$body"
	# a load runs a GC pass: image one is old enough but in use
	sleep 2
	load_archive "$IMAGES_TMP/two.oci.tar"
	[[ $code == 201 ]]
	images | jq -e --arg id "$ONE_ID" '[.items[].id] | index($id) != null'
	grep -q 'image GC: usage' "$TEST_TMP/daemon.log"
	call DELETE /api/v1/namespaces/default/pods/one?gracePeriodSeconds=0
	gone() { [[ $(nanolet_curl -o /dev/null -w '%{http_code}' http://nanolet/api/v1/namespaces/default/pods/one) == 404 ]]; }
	wait_until 30 gone
	call DELETE "/apis/nanolet.io/v1/images/$ONE_ID"
	[[ $code == 200 ]]
}

@test "image GC above the high threshold removes unused images older than the minimum age, least recently used first, and only those" {
	start_daemon --image-gc-high-threshold-percent 1 --image-gc-low-threshold-percent 1 \
		--image-minimum-gc-age 1
	load_archive "$IMAGES_TMP/one.oci.tar"
	[[ $code == 201 ]]
	images | jq -e --arg id "$ONE_ID" '.items | length == 1 and .[0].id == $id'
	sleep 2
	# the pass after this load finds image one unused and 2 s old, image two too young
	load_archive "$IMAGES_TMP/two.oci.tar"
	[[ $code == 201 ]]
	gc_done() { images | jq -e --arg id "$TWO_ID" '.items | length == 1 and .[0].id == $id' >/dev/null; }
	wait_until 30 gc_done
	grep -q "image GC: removed image $ONE_ID" "$TEST_TMP/daemon.log"
	! grep -q "image GC: removed image $TWO_ID" "$TEST_TMP/daemon.log"
	[[ $(ls "$(store_dir layers/sha256)" | wc -l) == 1 ]]
	[[ $(cat "$(store_dir layers/sha256)"/*/root/marker) == two ]]
}

# pull_image REFERENCE: POST it as a pull; $code and $body as call sets them.
pull_image() {
	call POST /apis/nanolet.io/v1/images -H 'Content-Type: application/json' \
		-d "{\"image\": \"$1\"}"
}

@test "POST of {\"image\": reference} pulls it: 200 with the image; a tag the registry lacks is 404, a registry down 502, with the pull's words" {
	registry_start
	sum=$(oci_image --desc-json '{"base": true, "layers": [{"files": {"etc/motd": "pulled\n"}}]}' \
		push --registry "$REGISTRY" --name t/pulled:1)
	start_daemon
	pull_image "$REGISTRY/t/pulled:1"
	echo "$code $body"
	[[ $code == 200 ]]
	jq -e --arg id "$(jq -r .config <<<"$sum")" --arg r "$REGISTRY" --arg m "$(jq -r .manifest <<<"$sum")" \
		'.kind == "Image" and .id == $id and .repoTags == [$r + "/t/pulled:1"] and
		.repoDigests == [$r + "/t/pulled@" + $m] and .inUse == false' <<<"$body"
	images | jq -e --arg id "$(jq -r .config <<<"$sum")" '[.items[].id] == [$id]'

	pull_image "$REGISTRY/t/pulled:nope"
	echo "$code $body"
	[[ $code == 404 ]]
	jq -e '.reason == "NotFound" and (.message | contains("t/pulled:nope"))' <<<"$body"

	registry_stop
	pull_image "$REGISTRY/t/pulled:2"
	echo "$code $body"
	[[ $code == 502 ]]
	jq -e '.reason == "BadGateway" and (.message | length > 0)' <<<"$body"
	images | jq -e '.items | length == 1'
}

@test "a daemon stopped during a pull exits cleanly: the pull cancelled, its request ended, nothing leaked" {
	# a "registry" that takes the connection and never answers
	port=$(registry_free_port)
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$port" 3>&- &
	track_pid $!
	start_daemon
	nanolet_curl -o "$TEST_TMP/answer" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d "{\"image\": \"127.0.0.1:$port/t/hangs:1\"}" http://nanolet/apis/nanolet.io/v1/images \
		>"$TEST_TMP/code" 3>&- &
	curl_pid=$!
	pulling() { grep -q "images: pulling 127.0.0.1:$port/t/hangs:1" "$TEST_TMP/daemon.log"; }
	wait_until 30 pulling
	stop_daemon
	[[ $DAEMON_STATUS == 0 ]]
	# the request is completed (503) before HTTP stops, which closes its connection: the
	# client is not left waiting
	ended() { ! kill -0 "$curl_pid" 2>/dev/null; }
	wait_until 10 ended
	! grep -q 'LeakSanitizer\|runtime error' "$TEST_TMP/daemon.log"
}
