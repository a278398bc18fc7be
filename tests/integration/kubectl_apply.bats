#!/usr/bin/env bats
# Writes as kubectl sends them, as root: apply (create with the last-applied annotation, then
# the strategic merge patch of a second apply), label, annotate, patch in its three types, an
# immutable change refused in the API server's words, server-side apply's clean answer, delete
# with a grace period and with DeleteOptions preconditions; the changed labels survive a
# restart. Assertions are on kubectl's own output; kubectl validates each file against
# nanolet's /openapi/v3 first, as against a cluster.

load common
load pods_helpers
load kubectl_helpers

setup() {
	common_setup
	kubectl_start_daemon
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# web_yaml LABEL COMMAND: the pod "web" as a user keeps it in a file.
web_yaml() {
	cat >"$TEST_TMP/web.yaml" <<EOY
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: $1
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: host
    command: [sleep, '$2']
EOY
}

label_of() {
	kc get pod web -o "jsonpath={.metadata.labels.$1}"
}

@test "apply twice: created, then configured with the new label shown" {
	web_yaml v1 1000
	run kc apply -f "$TEST_TMP/web.yaml"
	[[ $status == 0 && $output == "pod/web created" ]] || { echo "$output"; false; }
	# the first apply keeps what was applied, for the next one's three-way patch
	get_pod web | jq -e '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | fromjson | .metadata.labels.app == "v1"'

	web_yaml v2 1000
	run kc apply -f "$TEST_TMP/web.yaml"
	[[ $status == 0 && $output == "pod/web configured" ]] || { echo "$output"; false; }
	[[ $(label_of app) == v2 ]]
	run kc get pod web --show-labels --no-headers
	[[ $status == 0 && $output == web*app=v2 ]] || { echo "$output"; false; }
	get_pod web | jq -e '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | fromjson | .metadata.labels.app == "v2"'
	# the same file again changes nothing
	run kc apply -f "$TEST_TMP/web.yaml"
	[[ $status == 0 && $output == "pod/web unchanged" ]] || { echo "$output"; false; }
	# the container kept running: nothing about it changed
	[[ $(get_pod web | jq -r '.status.containerStatuses[0].restartCount') == 0 ]]
}

@test "apply with a changed command is refused as the API server refuses it" {
	web_yaml v1 1000
	kc apply -f "$TEST_TMP/web.yaml"
	web_yaml v1 2000
	run kc apply -f "$TEST_TMP/web.yaml"
	echo "$output"
	[[ $status != 0 ]]
	[[ $output == *'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'* ]]
	# the diff names the change
	[[ $output == *$'\n-    "1000"\n+    "2000"\n'* ]]
	# nothing changed
	[[ $(get_pod web | jq -r '.spec.containers[0].command[1]') == 1000 ]]
}

@test "label, annotate and patch (merge, json, strategic) show in get" {
	create_pod "$(pod_yaml web 'sleep 1000')"
	run kc label pod web tier=front
	[[ $status == 0 && $output == "pod/web labeled" ]] || { echo "$output"; false; }
	run kc annotate pod web note=hello
	[[ $status == 0 && $output == "pod/web annotated" ]] || { echo "$output"; false; }
	run kc patch pod web --type merge -p '{"metadata":{"labels":{"merged":"yes"}}}'
	[[ $status == 0 && $output == "pod/web patched" ]] || { echo "$output"; false; }
	run kc patch pod web --type json -p '[{"op":"add","path":"/metadata/labels/json","value":"yes"},{"op":"remove","path":"/metadata/labels/merged"}]'
	[[ $status == 0 && $output == "pod/web patched" ]] || { echo "$output"; false; }
	run kc patch pod web --type strategic -p '{"metadata":{"labels":{"strategic":"yes"}}}'
	[[ $status == 0 && $output == "pod/web patched" ]] || { echo "$output"; false; }
	run kc label pod web tier-
	[[ $status == 0 && $output == "pod/web unlabeled" ]] || { echo "$output"; false; }
	run kc get pod web -o jsonpath='{.metadata.labels}{"\n"}{.metadata.annotations.note}'
	echo "$output"
	[[ ${lines[0]} == '{"json":"yes","strategic":"yes"}' && ${lines[1]} == hello ]]
	# a label with the same value again is refused by kubectl, as against a cluster
	run kc label pod web json=no
	[[ $status != 0 && $output == *"'json' already has a value (yes), and --overwrite is false"* ]]
	# a label value the API server refuses, in its words
	run kc patch pod web --type merge -p '{"metadata":{"labels":{"bad":"x/y"}}}'
	[[ $status != 0 && $output == *'The Pod "web" is invalid: metadata.labels: Invalid value: "x/y": a valid label must be an empty string or consist of alphanumeric characters'* ]] || { echo "$output"; false; }
	# a JSON patch whose test fails changes nothing: 422
	call PATCH /api/v1/namespaces/default/pods/web -H 'Content-Type: application/json-patch+json' \
		--data-binary '[{"op":"test","path":"/metadata/labels/json","value":"no"},{"op":"add","path":"/metadata/labels/x","value":"1"}]'
	[[ $code == 422 ]] && jq -e '.reason == "Invalid"' <<<"$body"
	[[ $(label_of x) == "" ]]
}

@test "a new image is refused with nanolet's reason; a toleration may be added, not removed" {
	create_pod "$(pod_yaml web 'sleep 1000')"
	run kc patch pod web -p '{"spec":{"containers":[{"name":"c","image":"/srv/other"}]}}'
	echo "$output"
	[[ $status != 0 ]]
	[[ $output == *'The Pod "web" is invalid: spec.containers[0].image: Forbidden: nanolet does not restart a container with a new image'* ]]
	run kc patch pod web --type json -p '[{"op":"add","path":"/spec/tolerations","value":[{"key":"k","operator":"Exists","effect":"NoSchedule"}]}]'
	# kept, with the create's warning: a node without taints has nothing to tolerate
	[[ $status == 0 && $output == *"Warning: spec.tolerations: not implemented by nanolet; ignored"* && $output == *"pod/web patched" ]] || { echo "$output"; false; }
	[[ $(kc get pod web -o 'jsonpath={.spec.tolerations[*].key}') == k ]]
	run kc patch pod web --type merge -p '{"spec":{"tolerations":[]}}'
	[[ $status != 0 && $output == *'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds'* ]] || { echo "$output"; false; }
}

@test "server-side apply gets the API server's clean 415, whether the pod exists or not" {
	web_yaml v1 1000
	run kc apply --server-side -f "$TEST_TMP/web.yaml"
	echo "$output"
	[[ $status != 0 ]]
	[[ $output == *'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json'* ]]
	kc apply -f "$TEST_TMP/web.yaml"
	web_yaml v2 1000
	run kc apply --server-side -f "$TEST_TMP/web.yaml"
	echo "$output"
	[[ $status != 0 ]]
	[[ $output == *'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json'* ]]
}

@test "PUT replaces labels; a stale uid or resourceVersion is a 409" {
	create_pod "$(pod_yaml web 'sleep 1000')"
	get_pod web | jq '.metadata.labels = {"put": "yes"}' >"$TEST_TMP/put.json"
	call PUT /api/v1/namespaces/default/pods/web -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/put.json"
	[[ $code == 200 ]] || { echo "$body"; false; }
	[[ $(label_of put) == yes ]]
	# kubectl replace: the Pod as get shows it, changed, PUT back
	kc get pod web -o json | jq '.metadata.labels.replaced = "yes"' >"$TEST_TMP/replace.json"
	run kc replace -f "$TEST_TMP/replace.json"
	[[ $status == 0 && $output == "pod/web replaced" ]] || { echo "$output"; false; }
	[[ $(label_of replaced) == yes && $(label_of put) == yes ]]
	jq '.metadata.uid = "not-the-uid"' "$TEST_TMP/put.json" >"$TEST_TMP/put2.json"
	call PUT /api/v1/namespaces/default/pods/web -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/put2.json"
	[[ $code == 409 ]] && jq -e '.reason == "Conflict"' <<<"$body"
	jq '.metadata.resourceVersion = "12345"' "$TEST_TMP/put.json" >"$TEST_TMP/put3.json"
	call PUT /api/v1/namespaces/default/pods/web -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/put3.json"
	[[ $code == 409 ]] || { echo "$code $body"; false; }
	# dryRun answers without keeping it
	call PATCH '/api/v1/namespaces/default/pods/web?dryRun=All' -H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"labels":{"dry":"run"}}}'
	[[ $code == 200 ]] && jq -e '.metadata.labels.dry == "run"' <<<"$body"
	[[ $(label_of dry) == "" ]]
}

@test "delete: a uid precondition that does not match is a 409; --grace-period deletes" {
	# a container that ignores SIGTERM, with 30 s of grace of its own
	create_pod "$(pod_yaml web 'trap "" TERM; sleep 1000 & wait; sleep 1000' | sed 's/terminationGracePeriodSeconds: 2/terminationGracePeriodSeconds: 30/')"
	uid=$(get_pod web | jq -r .metadata.uid)
	call DELETE /api/v1/namespaces/default/pods/web -H 'Content-Type: application/json' \
		--data-binary '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"0000"}}'
	echo "$body"
	[[ $code == 409 ]]
	jq -e --arg uid "$uid" '.reason == "Conflict" and .details.name == "web" and .details.kind == "pods" and (.message | endswith("Precondition failed: UID in precondition: 0000, UID in object meta: " + $uid))' <<<"$body"
	# a resourceVersion precondition: an old one fails with the API server's words
	rv=$(get_pod web | jq -r .metadata.resourceVersion)
	call DELETE /api/v1/namespaces/default/pods/web -H 'Content-Type: application/json' \
		--data-binary '{"apiVersion":"meta.k8s.io/v1","kind":"DeleteOptions","preconditions":{"resourceVersion":"1"}}'
	[[ $code == 409 ]]
	jq -e --arg rv "$rv" '.message | endswith("Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: " + $rv)' <<<"$body"
	# an unknown propagationPolicy is 422, a dry run deletes nothing
	call DELETE /api/v1/namespaces/default/pods/web --data-binary '{"propagationPolicy":"Sideways"}'
	[[ $code == 422 ]]
	call DELETE /api/v1/namespaces/default/pods/web --data-binary '{"dryRun":["All"],"propagationPolicy":"Foreground"}'
	[[ $code == 200 ]] && jq -e '.metadata.deletionTimestamp' <<<"$body"
	phase_is web Running
	# kubectl sends a body, {"gracePeriodSeconds":1,"propagationPolicy":"Background"}: the
	# container is killed after the body's 1 s, not the pod's 30
	SECONDS=0
	run kc delete pod web --grace-period=1 --wait=false
	[[ $status == 0 && $output == 'pod "web" deleted' ]] || { echo "$output"; false; }
	((SECONDS < 10)) || { echo "the delete took ${SECONDS}s"; false; }
	call GET /api/v1/namespaces/default/pods/web
	[[ $code == 404 ]]
}

@test "changed labels and annotations survive a daemon restart" {
	web_yaml v1 1000
	kc apply -f "$TEST_TMP/web.yaml"
	kc label pod web restart=kept
	kc annotate pod web note=kept
	kubectl_restart_daemon
	[[ $(label_of restart) == kept ]]
	[[ $(kc get pod web -o 'jsonpath={.metadata.annotations.note}') == kept ]]
	[[ $(label_of app) == v1 ]]
	# and apply goes on from the kept annotation
	web_yaml v3 1000
	run kc apply -f "$TEST_TMP/web.yaml"
	[[ $status == 0 && $output == "pod/web configured" ]] || { echo "$output"; false; }
	[[ $(label_of app) == v3 && $(label_of restart) == kept ]]
}
