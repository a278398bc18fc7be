#!/usr/bin/env bats
# Who may ask and what may run: the Pod Security Standards enforced, warned and audited as the
# API server's PodSecurity admission does (the exact 403 and Warning words, dry runs and
# isolation plans too); peer credentials deciding who may write (root, api_write_groups), who
# may only read (api_read_groups: get, list, watch, and who they are) and who is refused; and
# the audit log, one audit.k8s.io/v1 Event a line for every change and every refusal. The
# non-root callers are nobody under setpriv, in groups this file creates and removes.

load common
load pods_helpers

READER_GROUP=nanolet-bats-read
WRITER_GROUP=nanolet-bats-write

setup_file() {
	groupadd -f "$READER_GROUP"
	groupadd -f "$WRITER_GROUP"
}

teardown_file() {
	groupdel "$READER_GROUP" 2>/dev/null || true
	groupdel "$WRITER_GROUP" 2>/dev/null || true
	assert_no_test_leftovers
}

setup() {
	driver_independent
	common_setup
	# nobody must reach the socket: the daemon's decision is what is tested, not the path's
	chmod 0755 "$TEST_TMP"
}

teardown() {
	pods_teardown
	common_teardown
}

HOSTPID_MESSAGE='violates PodSecurity "baseline:latest": host namespaces (hostPID=true)'

hostpid_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ${1:-hp}
spec:
  hostPID: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: host
    command: [sleep, "300"]
EOF
}

# The audit log's events, one JSON value a line; every line must parse.
audit_events() {
	jq -c . "$TEST_TMP/log/audit.log"
}

# as_nobody GID_LIST CMD...: CMD as nobody with exactly these supplementary groups ("" for none).
as_nobody() {
	local groups=$1
	shift
	if [[ -n $groups ]]; then
		setpriv --reuid=65534 --regid=65534 --groups="$groups" "$@"
	else
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	fi
}

gid_of() {
	getent group "$1" | cut -d: -f3
}

# nobody_call GROUPS METHOD PATH [CURL_ARGS...]: like call, as nobody.
nobody_call() {
	local groups=$1 method=$2 path=$3
	shift 3
	code=$(as_nobody "$groups" curl -sS --max-time "$CURL_SECONDS" --unix-socket "$SOCK" \
		-X "$method" -w '%{http_code}' -o - "$@" "http://nanolet$path" 2>"$TEST_TMP/curl.err" |
		tee "$TEST_TMP/nobody.out" | tail -c 3)
	body=$(head -c -3 "$TEST_TMP/nobody.out")
}

@test "enforce baseline: a hostPID pod is refused 403 with the API server's words, its dry run and isolation plan too; the audit log says so" {
	pods_setup --pod-security '{enforce: baseline}'
	call POST /api/v1/namespaces/default/pods --data-binary "$(hostpid_pod)"
	[[ $code == 403 ]]
	jq -e --arg m "pods \"hp\" is forbidden: $HOSTPID_MESSAGE" \
		'.kind == "Status" and .status == "Failure" and .reason == "Forbidden" and .code == 403 and .message == $m and .details.name == "hp" and .details.kind == "pods"' <<<"$body"
	# refused, not warned as well
	! grep -qi '^Warning:' "$TEST_TMP/headers"
	call GET /api/v1/namespaces/default/pods/hp
	[[ $code == 404 ]]

	call POST '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(hostpid_pod)"
	[[ $code == 403 ]]
	call POST /apis/nanolet.io/v1/isolationplans --data-binary "$(hostpid_pod)"
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == "pods \"hp\" is forbidden: $HOSTPID_MESSAGE" ]]

	# a pod that meets baseline is created
	create_pod "$(pod_yaml fine 'sleep 300')"

	audit_events >"$TEST_TMP/events"
	jq -e -s --arg m "would violate PodSecurity \"baseline:latest\": host namespaces (hostPID=true)" \
		'[.[] | select(.verb == "create" and .objectRef.resource == "pods" and .objectRef.name == "hp")] | length == 2 and all(.responseStatus.code == 403 and .responseStatus.reason == "Forbidden" and .annotations["pod-security.kubernetes.io/enforce-policy"] == "baseline:latest" and .annotations["pod-security.kubernetes.io/audit-violations"] == $m)' "$TEST_TMP/events"
	# the refused plan is recorded; the plans given are not (they change nothing)
	jq -e -s '[.[] | select(.objectRef.resource == "isolationplans")] | length == 1 and .[0].responseStatus.code == 403' "$TEST_TMP/events"
	jq -e -s '[.[] | select(.objectRef.name == "fine")][0] | .responseStatus.code == 201 and .user.uid == "0" and (.annotations | has("pod-security.kubernetes.io/audit-violations") | not)' "$TEST_TMP/events"
}

@test "the defaults warn: a hostPID pod is created, with a Warning header in Kubernetes' words and the audit annotation" {
	pods_setup
	call POST /api/v1/namespaces/default/pods --data-binary "$(hostpid_pod)"
	[[ $code == 201 ]]
	grep -F "Warning: 299 - \"would violate PodSecurity \\\"baseline:latest\\\": host namespaces (hostPID=true)\"" "$TEST_TMP/headers"
	call POST /apis/nanolet.io/v1/isolationplans --data-binary "$(hostpid_pod hp2)"
	[[ $code == 200 ]]
	grep -qF 'would violate PodSecurity' "$TEST_TMP/headers"
	# the plan says which level the pod meets, and what baseline refuses
	jq -e '.podSecurity.level == "privileged" and .podSecurity.next.level == "baseline" and .podSecurity.next.violations[0].check == "hostNamespaces" and .podSecurity.next.violations[0].detail == "hostPID=true"' <<<"$body"
	# ... and its warnings are the plan's own, not admission's (explain's equal the daemon's)
	jq -e '[.warnings[] | select(startswith("would violate"))] | length == 0' <<<"$body"
	jq -e -s '[.[] | select(.verb == "create" and .objectRef.name == "hp")][0] | .responseStatus.code == 201 and .annotations["pod-security.kubernetes.io/enforce-policy"] == "privileged:latest" and (.annotations["pod-security.kubernetes.io/audit-violations"] | startswith("would violate PodSecurity \"baseline:latest\": host namespaces"))' <(audit_events)
}

@test "audit only: no warning, the annotation; and a namespace's override enforces where the default does not" {
	pods_setup --pod-security '{warn: privileged, audit: baseline, namespaces: {locked: {enforce: baseline}}}'
	call POST /api/v1/namespaces/default/pods --data-binary "$(hostpid_pod)"
	[[ $code == 201 ]]
	! grep -qi '^Warning:.*PodSecurity' "$TEST_TMP/headers"
	jq -e -s '[.[] | select(.objectRef.name == "hp")][0].annotations["pod-security.kubernetes.io/audit-violations"] | startswith("would violate PodSecurity \"baseline:latest\"")' <(audit_events)

	call POST /api/v1/namespaces/locked/pods --data-binary "$(hostpid_pod)"
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == "pods \"hp\" is forbidden: $HOSTPID_MESSAGE" ]]
}

@test "peer credentials: the read group may get, list and ask who it is, and is refused 403 a create; the write group may create; nobody else may ask anything" {
	local reader writer
	reader=$(gid_of "$READER_GROUP")
	writer=$(gid_of "$WRITER_GROUP")
	pods_setup --api-read-groups "$READER_GROUP" --api-write-groups "$WRITER_GROUP"
	# a read group must connect: the socket is open, the credentials decide
	[[ $(stat -c %a "$SOCK") == 666 ]]
	create_pod "$(pod_yaml web 'sleep 300')"

	nobody_call "$reader" GET /api/v1/namespaces/default/pods
	[[ $code == 200 ]]
	jq -e '.items[0].metadata.name == "web"' <<<"$body"
	nobody_call "$reader" GET /api/v1/namespaces/default/pods/web
	[[ $code == 200 ]]
	nobody_call "$reader" POST /api/v1/namespaces/default/pods --data-binary "$(pod_yaml other 'sleep 1')"
	[[ $code == 403 ]]
	jq -e '.kind == "Status" and .reason == "Forbidden" and .code == 403 and .details.kind == "pods" and .message == "pods is forbidden: User \"nobody\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""' <<<"$body"
	nobody_call "$reader" DELETE /api/v1/namespaces/default/pods/web
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == 'pods "web" is forbidden: User "nobody" cannot delete resource "pods" in API group "" in the namespace "default"' ]]
	# nor change it: a PATCH is the verb patch, a PUT update
	nobody_call "$reader" PATCH /api/v1/namespaces/default/pods/web \
		-H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"labels":{"by":"reader"}}}'
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == 'pods "web" is forbidden: User "nobody" cannot patch resource "pods" in API group "" in the namespace "default"' ]]
	nobody_call "$reader" PUT /api/v1/namespaces/default/pods/web --data-binary '{}'
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == 'pods "web" is forbidden: User "nobody" cannot update resource "pods" in API group "" in the namespace "default"' ]]
	call GET /api/v1/namespaces/default/pods/web
	[[ $code == 200 ]]
	jq -e '.metadata.labels.by == null' <<<"$body"
	# an exec's WebSocket is a GET, but it runs a process in the pod: a create, as a POST
	nobody_call "$reader" GET '/api/v1/namespaces/default/pods/web/exec?command=id&stdout=true' \
		-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Protocol: v5.channel.k8s.io'
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == 'pods "web" is forbidden: User "nobody" cannot create resource "pods/exec" in API group "" in the namespace "default"' ]]

	# kubectl auth whoami's SelfSubjectReview
	nobody_call "$reader" POST /apis/authentication.k8s.io/v1/selfsubjectreviews
	[[ $code == 201 ]]
	jq -e --arg g "$READER_GROUP" '.kind == "SelfSubjectReview" and .apiVersion == "authentication.k8s.io/v1" and .status.userInfo.username == "nobody" and .status.userInfo.uid == "65534" and (.status.userInfo.groups | index($g)) and (.status.userInfo.groups | index("system:authenticated")) and .status.userInfo.extra["nanolet.io/process"] == ["curl"]' <<<"$body"

	# the write group, as a supplementary group
	nobody_call "$writer" POST '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(pod_yaml other 'sleep 1')"
	[[ $code == 201 ]]
	nobody_call "$writer" PATCH /api/v1/namespaces/default/pods/web \
		-H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"labels":{"by":"writer"}}}'
	[[ $code == 200 ]]
	jq -e '.metadata.labels.by == "writer"' <<<"$body"
	# the audit log has both patches: the refused one and the one that changed the pod
	audit_events >"$TEST_TMP/events"
	jq -e -s '[.[] | select(.verb == "patch" and .objectRef.name == "web") | .responseStatus.code] == [403, 200]' "$TEST_TMP/events"

	# in neither group: refused, even a read
	nobody_call "" GET /api/v1/namespaces/default/pods
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == 'pods is forbidden: User "nobody" cannot list resource "pods" in API group "" in the namespace "default"' ]]
	nobody_call "" GET /healthz
	[[ $code == 403 ]]
	[[ $(jq -r .message <<<"$body") == 'forbidden: User "nobody" cannot get path "/healthz"' ]]

	# every refusal is in the audit log with the peer's uid; the reads that were let in are not
	audit_events >"$TEST_TMP/events"
	jq -e -s '[.[] | select(.user.uid == "65534" and .responseStatus.code == 403)] | length == 7' "$TEST_TMP/events"
	jq -e -s '[.[] | select(.user.uid == "65534" and .responseStatus.code == 200 and .verb != "patch")] | length == 0' "$TEST_TMP/events"
	jq -e -s '[.[] | select(.user.uid == "65534" and .verb == "create" and .responseStatus.code == 201)] | length == 1' "$TEST_TMP/events"
}

@test "without a read group the socket stays 0660 and nobody cannot connect at all" {
	pods_setup
	[[ $(stat -c %a "$SOCK") == 660 ]]
	run as_nobody "" curl -sS --max-time 5 --unix-socket "$SOCK" http://nanolet/healthz
	[[ $status -ne 0 ]]
	[[ $output == *"Couldn't connect"* || $output == *"Permission denied"* ]]
}

@test "the audit log: a create and a delete, one parsable line each with the peer's uid, pid and process; the pod's events say who created it" {
	pods_setup
	create_pod "$(pod_yaml web 'sleep 300')"
	call DELETE '/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0'
	[[ $code == 200 ]]
	audit_events >"$TEST_TMP/events"
	jq -e -s '[.[] | select(.objectRef.name == "web")] | length == 2' "$TEST_TMP/events"
	jq -e -s '[.[] | select(.objectRef.name == "web")] | .[0].verb == "create" and .[0].responseStatus.code == 201 and .[1].verb == "delete" and .[1].responseStatus.code == 200' "$TEST_TMP/events"
	jq -e -s 'all(.[]; .kind == "Event" and .apiVersion == "audit.k8s.io/v1" and .stage == "ResponseComplete" and .level == "Metadata" and (.auditID | test("^[0-9a-f-]{36}$")) and .user.username == "root" and .user.uid == "0" and .user.extra["nanolet.io/gid"] == ["0"] and (.user.extra["nanolet.io/pid"][0] | test("^[0-9]+$")) and .user.extra["nanolet.io/process"] == ["curl"] and (.requestReceivedTimestamp | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$")) and .stageTimestamp >= .requestReceivedTimestamp)' "$TEST_TMP/events"
	# reads are not recorded
	jq -e -s '[.[] | select(.verb == "get" or .verb == "list")] | length == 0' "$TEST_TMP/events"
	events_json=$(nanolet_curl 'http://nanolet/api/v1/namespaces/default/events?pretty=false')
	jq -e '[.items[] | select(.reason == "Scheduled" and .involvedObject.name == "web" and (.message | test("created by user \"root\" \\(uid 0, gid 0, pid [0-9]+, curl\\)")))] | length == 1' <<<"$events_json"
}

@test "the audit log rotates past audit_log_max_size, keeping audit_log_max_files" {
	pods_setup --audit-log-max-size 4096 --audit-log-max-files 2
	for i in $(seq 1 12); do
		call POST '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(pod_yaml "p$i" 'sleep 1')"
		[[ $code == 201 ]]
	done
	[[ -s $TEST_TMP/log/audit.log.1 ]]
	[[ ! -e $TEST_TMP/log/audit.log.3 ]]
	for f in "$TEST_TMP"/log/audit.log*; do
		[[ $(stat -c %s "$f") -le 4096 ]]
		jq -e . "$f" >/dev/null
	done
	[[ $(stat -c %a "$TEST_TMP/log/audit.log") == 600 ]]
}
