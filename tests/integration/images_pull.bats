#!/usr/bin/env bats
# Pods whose images come from a registry: a Debian docker-registry on loopback, images built
# offline by helpers/oci_image.py. What the kubelet does before a container starts (the pull
# policy, Pulling/Pulled/Failed/BackOff events in its words, ErrImagePull, ImagePullBackOff,
# ErrImageNeverPull), what the container then sees of its image (layers, whiteouts, config),
# what the store keeps (a layer unpacked once, nothing written into it) and a restart's part
# (a pull cut by a kill starts again; a restarted daemon resolves from the store).

load common
load pods_helpers
load images_helpers

setup() {
	common_setup
	IMAGES=$TEST_TMP/state/images
	# short image back-off (1 s doubling to 4 s) and CrashLoopBackOff
	printf 'image_pull_backoff_initial: 1\nimage_pull_backoff_max: 4\n' >"$TEST_TMP/nanolet.yaml"
	pods_setup --config "$TEST_TMP/nanolet.yaml"
}

teardown() {
	pods_teardown
	registry_stop
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# image_pod NAME IMAGE [POLICY] [COMMAND]: one container "c" of that image; no command: the
# image's own (Entrypoint/Cmd). POLICY "": the API server's default.
image_pod() {
	local cmd=${4//\'/\'\'}
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: '$2'
EOF
	[[ -z ${3:-} ]] || echo "    imagePullPolicy: $3"
	[[ -z ${4:-} ]] || echo "    command: [sh, -c, '$cmd']"
}

# push NAME:TAG [DESC_JSON]: builds and pushes to $REGISTRY; the summary in $pushed.
push() {
	local desc='{"base": true, "config": {"Cmd": ["sh", "-c", "echo hello from the image; sleep 60"]}}'
	pushed=$(oci_image --desc-json "${2:-$desc}" push --registry "$REGISTRY" --name "$1")
}

event_messages() {
	events_of "$1" | jq -r --arg r "$2" '.items[] | select(.reason == $r) | .message'
}

container_status() {
	get_pod "$1" | jq -r ".status.containerStatuses[0]$2"
}

@test "an image pulled by tag runs its own command, with the kubelet's events and imageID" {
	registry_start
	push test/app:v1
	create_pod "$(image_pod app "$REGISTRY/test/app:v1")"
	wait_phase app Running
	wait_log app 'hello from the image'
	# the API server's default for a tag other than latest
	[[ $(get_pod app | jq -r '.spec.containers[0].imagePullPolicy') == IfNotPresent ]]
	[[ $(event_messages app Pulling) == "Pulling image \"$REGISTRY/test/app:v1\"" ]]
	event_messages app Pulled | grep -E "^Successfully pulled image \"$REGISTRY/test/app:v1\" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: $(jq -r .size <<<"$pushed") bytes\.$"
	[[ $(container_status app .image) == "$REGISTRY/test/app:v1" ]]
	[[ $(container_status app .imageID) == "$REGISTRY/test/app@$(jq -r .digest <<<"$pushed")" ]]
	# the store holds it, its layers unpacked
	[[ -f $IMAGES/images/$(jq -r .config <<<"$pushed" | cut -d: -f2).json ]]
	for d in $(jq -r '.diff_ids[]' <<<"$pushed"); do [[ -d $IMAGES/layers/sha256/${d#sha256:} ]]; done
	# a second pod with IfNotPresent finds it there: no pull
	create_pod "$(image_pod again "$REGISTRY/test/app:v1" IfNotPresent)"
	wait_phase again Running
	[[ $(event_messages again Pulled) == "Container image \"$REGISTRY/test/app:v1\" already present on machine" ]]
	! event_seen again Pulling
}

@test "an image pulled by digest; Always pulls again at each start" {
	registry_start
	push test/app:v2
	digest=$(jq -r .digest <<<"$pushed")
	create_pod "$(image_pod bydigest "$REGISTRY/test/app@$digest")"
	wait_phase bydigest Running
	[[ $(container_status bydigest .imageID) == "$REGISTRY/test/app@$digest" ]]
	# Always: a pull at the first start, and another at the restart
	create_pod "$(image_pod always "$REGISTRY/test/app:v2" Always 'echo run; sleep 1; exit 1')"
	wait_for restarts_at_least always 1
	wait_until 30 bash -c "[[ \$(curl -s --unix-socket $SOCK 'http://nanolet/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=always' | jq '[.items[] | select(.reason == \"Pulling\") | .count] | add') -ge 2 ]]"
}

@test "a later layer's whiteout and opaque directory hide what the layers below had" {
	registry_start
	push test/layers:v1 '{"base": true, "layers": [
		{"files": {"etc/motd": "old\n", "data/a": "a\n", "keep/k": "k\n"}},
		{"whiteouts": ["etc/motd"], "opaque": ["data"], "files": {"data/b": "b\n"}}]}'
	create_pod "$(image_pod layers "$REGISTRY/test/layers:v1" '' 'test -e /etc/motd && echo motd; echo data=$(ls /data | tr "\n" " "); cat /keep/k; echo done; sleep 60')"
	wait_log layers done
	log=$(pod_log layers)
	echo "$log"
	! grep -q motd <<<"$log"
	grep -qx 'data=b' <<<"$log"
	grep -qx k <<<"$log"
}

@test "two images sharing their base layer unpack it once" {
	registry_start
	push test/one:v1 '{"base": true, "layers": [{"files": {"one": "1\n"}}], "config": {"Cmd": ["sleep", "60"]}}'
	one=$pushed
	push test/two:v1 '{"base": true, "layers": [{"files": {"two": "2\n"}}], "config": {"Cmd": ["sleep", "60"]}}'
	two=$pushed
	[[ $(jq -r '.diff_ids[0]' <<<"$one") == $(jq -r '.diff_ids[0]' <<<"$two") ]]
	create_pod "$(image_pod one "$REGISTRY/test/one:v1")"
	create_pod "$(image_pod two "$REGISTRY/test/two:v1")"
	wait_phase one Running
	wait_phase two Running
	# three layers in all: the shared base, and each image's own
	[[ $(find "$IMAGES/layers/sha256" -mindepth 1 -maxdepth 1 -type d | wc -l) == 3 ]]
}

@test "a tampered blob is ErrImagePull naming its digest, and nothing of it is used" {
	registry_start
	push test/bad:v1 '{"base": true, "layers": [{"files": {"x": "original\n"}}]}'
	layer=$(jq -r '.layers[1]' <<<"$pushed")
	blob=$(registry_blob_path "$layer")
	# same size, other bytes: the registry serves them under the old digest
	head -c "$(stat -c %s "$blob")" /dev/urandom >"$blob"
	create_pod "$(image_pod bad "$REGISTRY/test/bad:v1" '' 'echo ran; sleep 60')"
	wait_for waiting_reason_is bad ErrImagePull || wait_for waiting_reason_is bad ImagePullBackOff
	event_messages bad Failed | grep -F "Failed to pull image \"$REGISTRY/test/bad:v1\": " | grep -F "$layer"
	event_messages bad Failed | grep -qx 'Error: ErrImagePull'
	[[ $(get_pod bad | jq -r .status.phase) == Pending ]]
	! log_has bad ran
	# no record, and no blob of that digest kept
	[[ -z $(ls "$IMAGES/images") ]]
	[[ ! -e $IMAGES/blobs/sha256/${layer#sha256:} ]]
}

# The times (seconds, from the epoch) at which pod "down"'s pulls failed: each failure adds one
# to the count of its "Failed to pull image" event; polled until N were seen, in $fails.
failure_times() {
	local n=$1 deadline=$((SECONDS + 60)) last=0 count
	fails=()
	while ((${#fails[@]} < n && SECONDS < deadline)); do
		count=$(events_of down | jq '[.items[] | select(.message | startswith("Failed to pull image")) | .count] | add // 0')
		while ((count > last)); do
			fails+=("$(date +%s.%N)")
			last=$((last + 1))
		done
		sleep 0.05
	done
	((${#fails[@]} >= n))
}

@test "a registry down: ErrImagePull, then ImagePullBackOff with growing delays, then Running once it is back" {
	registry_start
	push test/app:v1
	# stopped; its storage and config stay in $REGISTRY_DIR for the same port later
	kill -TERM "$REGISTRY_PID"
	wait "$REGISTRY_PID" 2>/dev/null || true
	create_pod "$(image_pod down "$REGISTRY/test/app:v1")"
	failure_times 4
	echo "failures at ${fails[*]}"
	# the back-off between failed pulls: 1 s, 2 s, 4 s (each next try at a whole second, so
	# up to one more)
	gap1=$(echo "${fails[1]} - ${fails[0]}" | bc)
	gap2=$(echo "${fails[2]} - ${fails[1]}" | bc)
	gap3=$(echo "${fails[3]} - ${fails[2]}" | bc)
	echo "gaps $gap1 $gap2 $gap3"
	(($(echo "$gap1 >= 0.9 && $gap2 >= 1.9 && $gap3 >= 3.9 && $gap3 > $gap1 + 1" | bc)))
	wait_for waiting_reason_is down ImagePullBackOff
	[[ $(container_status down .state.waiting.message) == "Back-off pulling image \"$REGISTRY/test/app:v1\": ErrImagePull: "* ]]
	event_messages down BackOff | grep -qx "Back-off pulling image \"$REGISTRY/test/app:v1\""
	event_messages down Failed | grep -qx 'Error: ImagePullBackOff'
	# back on the same port
	env -i PATH="$PATH" "$DOCKER_REGISTRY" serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_DIR/registry.log" 2>&1 &
	REGISTRY_PID=$!
	track_pid "$REGISTRY_PID"
	wait_until 30 phase_is down Running
}

@test "Never with no image on the node is ErrImageNeverPull" {
	create_pod "$(image_pod never 127.0.0.1:1/none/such:v1 Never)"
	wait_for waiting_reason_is never ErrImageNeverPull
	[[ $(container_status never .state.waiting.message) == 'Container image "127.0.0.1:1/none/such:v1" is not present with pull policy of Never' ]]
	[[ $(event_messages never ErrImageNeverPull) == 'Container image "127.0.0.1:1/none/such:v1" is not present with pull policy of Never' ]]
	event_messages never Failed | grep -qx 'Error: ErrImageNeverPull'
	! event_seen never Pulling
}

@test "an image name that does not parse is InvalidImageName" {
	create_pod "$(image_pod invalid 'Bad/Name:v1')"
	wait_for waiting_reason_is invalid InvalidImageName
	event_messages invalid InspectFailed | grep -F 'Failed to apply default image tag "Bad/Name:v1": '
}

@test "the image config's entrypoint, cmd, env, working directory and user apply" {
	registry_start
	push test/cfg:v1 '{"base": true, "layers": [{"dirs": [{"path": "work", "mode": "0777"}]}],
		"config": {"Entrypoint": ["sh", "-c"], "Cmd": ["echo uid=$(id -u) gid=$(id -g) pwd=$(pwd) from=$FROM_IMAGE over=$OVER; sleep 60"],
		"Env": ["PATH=/bin", "FROM_IMAGE=image", "OVER=image"], "WorkingDir": "/work", "User": "app"}}'
	cat >"$TEST_TMP/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: cfg
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: $REGISTRY/test/cfg:v1
    env:
    - {name: OVER, value: spec}
EOF
	create_pod "$(cat "$TEST_TMP/pod.yaml")"
	wait_log cfg 'uid='
	pod_log cfg
	pod_log cfg | grep -qx 'uid=1000 gid=1000 pwd=/work from=image over=spec'
}

@test "runAsNonRoot is checked with the image's user as the kubelet checks it; a user the image lacks is CreateContainerError" {
	registry_start
	push test/asapp:v1 '{"base": true, "config": {"Cmd": ["sh", "-c", "id -u; sleep 60"], "User": "1000"}}'
	push test/asname:v1 '{"base": true, "config": {"Cmd": ["sleep", "60"], "User": "app"}}'
	push test/asroot:v1 '{"base": true, "config": {"Cmd": ["sleep", "60"]}}'
	push test/nouser:v1 '{"base": true, "config": {"Cmd": ["sleep", "60"], "User": "ghost"}}'
	for name in asapp asname asroot; do
		cat <<EOF >"$TEST_TMP/$name.yaml"
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  terminationGracePeriodSeconds: 2
  securityContext: {runAsNonRoot: true}
  containers:
  - name: c
    image: $REGISTRY/test/$name:v1
EOF
		create_pod "$(cat "$TEST_TMP/$name.yaml")"
	done
	create_pod "$(image_pod nouser "$REGISTRY/test/nouser:v1")"
	wait_phase asapp Running
	wait_log asapp 1000
	wait_for waiting_reason_is asroot CreateContainerConfigError
	# a name: the kubelet cannot verify it (the CRI reports the image's user as written)
	wait_for waiting_reason_is asname CreateContainerConfigError
	[[ $(container_status asname .state.waiting.message) == "container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root"* ]]
	[[ $(container_status asroot .state.waiting.message) == "container has runAsNonRoot and image will run as root"* ]]
	wait_for waiting_reason_is nouser CreateContainerError
	[[ $(container_status nouser .state.waiting.message) == *"unable to find user ghost: no matching entries in passwd file"* ]]
	event_messages nouser Failed | grep -F 'Error: ' | grep -q 'unable to find user ghost'
}

@test "supplementalGroupsPolicy: Merge adds the groups the image's /etc/group lists the user in, as containerd does; Strict does not" {
	registry_start
	push test/groups:v1 '{"base": true, "layers": [{"files": {"etc/group": "root:x:0:\napp:x:1000:app\nwheel:x:10:root,app\naudio:x:63:app\napps:x:64:apprentice\nnogroup:x:65534:\n"}}], "config": {"Cmd": ["sleep", "60"], "User": "app"}}'
	show='grep ^Groups: /proc/self/status; sleep 60'
	create_pod "$(image_pod byimage "$REGISTRY/test/groups:v1" '' "$show")"
	create_pod "$(image_pod asroot "$REGISTRY/test/groups:v1" '' "$show" |
		sed 's/^spec:/spec:\n  securityContext: {runAsUser: 0}/')"
	for policy in Merge Strict; do
		create_pod "$(image_pod "${policy,,}" "$REGISTRY/test/groups:v1" '' "$show" |
			sed "s/^spec:/spec:\n  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], supplementalGroupsPolicy: $policy}/")"
	done
	for name in byimage asroot merge strict; do wait_phase "$name" Running; done
	# (the kernel lists them in order; its own gid is one of them: CVE-2023-25173)
	# the image's User app: wheel and audio, not its own group app, not apps (apprentice)
	wait_log byimage 'Groups:'
	[[ $(pod_log byimage | awk '{$1=""; print}' | xargs) == '10 63 1000' ]]
	# runAsUser 0: root, by the image's /etc/passwd
	wait_log asroot 'Groups:'
	[[ $(pod_log asroot | awk '{$1=""; print}' | xargs) == '0 10' ]]
	# runAsUser 1000 is app: its groups beside supplementalGroups; Strict: only those
	wait_log merge 'Groups:'
	[[ $(pod_log merge | awk '{$1=""; print}' | xargs) == '10 63 3000 4000' ]]
	wait_log strict 'Groups:'
	[[ $(pod_log strict | awk '{$1=""; print}' | xargs) == '3000 4000' ]]
	# the plan says so, and where each group comes from
	plan=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/merge/isolation?pretty=false")
	[[ $(jq -c '.containers[0].process.supplementalGroups' <<<"$plan") == '[3000,4000,10,63]' ]]
	# and the status, as containerd reports it (KEP-3619)
	[[ $(container_status merge .user.linux | jq -c .) == '{"uid":1000,"gid":3000,"supplementalGroups":[3000,4000,10,63]}' ]]
	jq -r '.explanation[]' <<<"$plan" |
		grep -qF "4000 (supplementalGroups), 10 (the image's /etc/group lists its user in it) and 63 (the image's /etc/group lists its user in it)"
	[[ $(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/strict/isolation?pretty=false" |
		jq -c '.containers[0].process.supplementalGroups') == '[3000,4000]' ]]
	# an unknown policy is the API server's 422
	call POST /api/v1/namespaces/default/pods --data-binary "$(image_pod loose "$REGISTRY/test/groups:v1" |
		sed 's/^spec:/spec:\n  securityContext: {supplementalGroupsPolicy: Loose}/')"
	[[ $code == 422 ]]
	[[ $(jq -r '.details.causes[0].message' <<<"$body") == 'Unsupported value: "Loose": supported values: "Merge", "Strict"' ]]
}

@test "a container's writes never reach the layer store" {
	registry_start
	push test/app:v1
	create_pod "$(image_pod writer "$REGISTRY/test/app:v1" '' 'echo mine >/etc/written; rm -f /etc/group; echo wrote; sleep 60')"
	wait_log writer wrote
	[[ -z $(find "$IMAGES" -name written) ]]
	# the lower layer still has what the container removed
	[[ -n $(find "$IMAGES/layers" -path '*/root/etc/group') ]]
}

@test "an image in a pod with hostUsers: false: root inside owns the image's files through idmapped layers, and its writes land in its upper directory" {
	registry_start
	push test/app:v1
	create_pod "$(image_pod userns "$REGISTRY/test/app:v1" '' 'id -u; cat /proc/self/uid_map; stat -c "%u:%g %a %n" /etc/passwd /root; echo mine >/root/written; stat -c "%u:%g %n" /root/written; echo wrote; sleep 60' | sed 's/^spec:/spec:\n  hostUsers: false/')"
	wait_log userns wrote
	log=$(pod_log userns)
	echo "$log"
	# root inside, in a user namespace: not the identity map
	[[ $(sed -n 1p <<<"$log") == 0 ]]
	map=$(sed -n 2p <<<"$log" | tr -s ' ' | sed 's/^ //')
	base=$(awk '{print $2}' <<<"$map")
	[[ $map == "0 $base 65536" && $base -ge 100000 ]]
	# the image's files, the node's root's in the store, are the container's root's (/root is
	# 0700: only its owner may write there)
	[[ $(sed -n 3p <<<"$log") == "0:0 644 /etc/passwd" ]]
	[[ $(sed -n 4p <<<"$log") == "0:0 700 /root" ]]
	[[ $(sed -n 5p <<<"$log") == "0:0 /root/written" ]]
	# on the node: the write is in the container's upper directory, the pod's root's; the
	# layer store has none of it and keeps its owners
	[[ -z $(find "$IMAGES" -name written) ]]
	upper=$(echo "$TEST_TMP"/state/pods/*/layers/c/upper)
	[[ $(stat -c %u:%g "$upper" "$upper/root/written" | sort -u) == "$base:$base" ]]
	passwd=$(find "$IMAGES/layers" -path '*/root/etc/passwd')
	[[ -n $passwd && $(stat -c %u:%g "$passwd") == 0:0 ]]
	# the plan says so
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/userns/isolation?pretty=false" |
		jq -r '.explanation[]' | grep -qF "each layer is mounted idmapped into the pod's user namespace"
}

@test "a daemon killed mid-pull pulls again at its restart, and a restarted daemon resolves from the store" {
	registry_start
	# an 8 MiB layer (uncompressed) through a proxy at 1 MiB/s: the pull is surely under way
	# for seconds
	"$IMAGES_PYTHON" -c 'import json, sys
json.dump({"base": True, "compression": "none", "layers": [{"files": {"big": "x" * 8388608}}],
           "config": {"Cmd": ["sleep", "60"]}}, open(sys.argv[1], "w"))' "$TEST_TMP/big.json"
	pushed=$(oci_image --desc "$TEST_TMP/big.json" push --registry "$REGISTRY" --name test/big:v1)
	"$IMAGES_PYTHON" "$BATS_TEST_DIRNAME/helpers/slow_proxy.py" "$REGISTRY" "$TEST_TMP/proxy.port" 1048576 &
	track_pid $!
	wait_for test -s "$TEST_TMP/proxy.port"
	proxy=127.0.0.1:$(cat "$TEST_TMP/proxy.port")
	create_pod "$(image_pod big "$proxy/test/big:v1")"
	# bytes are arriving in tmp/: kill it there
	wait_for bash -c "[[ -n \$(find '$IMAGES/tmp' -type f -size +100k) ]]"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	start_daemon --crashloop-backoff-initial 1 --crashloop-backoff-max 4 --config "$TEST_TMP/nanolet.yaml"
	wait_until 60 phase_is big Running
	[[ -z $(find "$IMAGES/tmp" -type f) ]]
	[[ $(container_status big .imageID) == "$proxy/test/big@$(jq -r .digest <<<"$pushed")" ]]
	# the registry gone, a stop and start of the daemon: the pod is resolved from the store,
	# and a restart of its container uses the image there
	registry_stop
	stop_daemon
	start_daemon --crashloop-backoff-initial 1 --crashloop-backoff-max 4 --config "$TEST_TMP/nanolet.yaml"
	phase_is big Running
	[[ $(container_status big .imageID) == "$proxy/test/big@$(jq -r .digest <<<"$pushed")" ]]
	pid=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/big/isolation?pretty=false" | jq -r '.live.containers[0].pid')
	kill -KILL "$pid"
	wait_for restarts_at_least big 1
	wait_until 30 phase_is big Running
	event_messages big Pulled | grep -qx "Container image \"$proxy/test/big:v1\" already present on machine"
}
