#!/usr/bin/env bats
# The pod network, as root: each pod that is not hostNetwork gets eth0 with status.podIP, one end
# of a veth pair whose node end is on the bridge nanolet0; it answers from the node and from other
# pods; addresses are never shared, come back only once their pod is gone, survive a restart; a
# new sandbox keeps the address; nothing is left after a delete or the orphan sweep; a
# hostNetwork pod has the node's address and no veth; an exhausted range leaves a pod Pending.
# The bandwidth annotations: a tbf on the node end and one on the pod's ifb, gone with the pod
# and by the orphan sweep; a bad one refused with Kubernetes' words.
#
# Every test runs its daemon in a network namespace of its own (lo up, and a veth "uplink" with
# 198.19.0.10/24 as the node's address), so the bridge and veths are never the machine's and all
# traffic stays in it; teardown deletes the namespace whether the test passed or not. The pod
# network is the node's own and the cgroup driver plays no part: the v2 VM skips the file.
#
# Run it under the cgroup lock: a start sweeps nanolet's cgroup root of pods it has no record of.

bats_require_minimum_version 1.5.0

load common
load pods_helpers

NODE_IP=198.19.0.10

setup() {
	driver_independent
	common_setup
	NETNS=nanolet-test-$$-$BATS_TEST_NUMBER
	ip netns add "$NETNS"
	echo "$NETNS" >"$TEST_TMP/netns"
	DAEMON_NETNS=/run/netns/$NETNS
	node ip link set lo up
	node ip link add uplink type veth peer name uplink-peer
	node ip addr add "$NODE_IP/24" dev uplink
	node ip link set uplink up
	node ip link set uplink-peer up
	pods_setup
}

teardown() {
	pods_teardown
	common_teardown
	# the pods' namespaces are gone with their shims; the bridge goes with this one
	[[ -z ${NETNS:-} ]] || ip netns del "$NETNS" 2>/dev/null || true
}

teardown_file() {
	assert_no_test_leftovers
	[[ -z $(ip netns list | grep "^nanolet-test-$$-") ]]
}

# node CMD...: CMD on "the node", the test's network namespace the daemon runs in.
node() {
	nsenter --net="$DAEMON_NETNS" "$@"
}

db() {
	sqlite3 "$TEST_TMP/state/nanolet.db" "$@"
}

# web NAME: a pod serving "hello from NAME" on port 8080 (busybox httpd), which first logs its
# eth0 address as the pod sees it.
web_yaml() {
	pod_yaml "$1" "busybox ip -4 -o addr show dev eth0; mkdir -p /tmp/www && echo hello from $1 >/tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"
}

pod_ip_of() {
	get_pod "$1" | jq -r '.status.podIP // empty'
}

uid_of() {
	get_pod "$1" | jq -r .metadata.uid
}

# The node end of a pod: nl and the first 12 hex digits of its uid.
node_end_of() {
	local uid=${1//-/}
	echo "nl${uid:0:12}"
}

node_ends() {
	node ip -o link show | grep -oE ' nl[0-9a-f]{12}@' | tr -d ' @' || true
}

answers() { # answers IP NAME: the pod at IP answers from the node with its page
	[[ $(node curl -sS --max-time 2 "http://$1:8080/" 2>/dev/null) == "hello from $2" ]]
}

running_web() {
	create_pod "$(web_yaml "$1")"
	wait_phase "$1" Running
	wait_for log_has "$1" "inet "
}

delete_pod() {
	call DELETE "/api/v1/namespaces/default/pods/$1?gracePeriodSeconds=0"
	[[ $code == 200 ]] || {
		echo "delete $1: $code $body"
		return 1
	}
	wait_for bash -c "! curl -s --unix-socket '$SOCK' -o /dev/null -w '%{http_code}' \
		http://nanolet/api/v1/namespaces/default/pods/$1 | grep -q 200"
}

@test "a pod's eth0 holds status.podIP, and it answers at podIP:8080 from the node and from another pod" {
	running_web web
	ip=$(pod_ip_of web)
	[[ $ip == 198.18.0.2 ]]
	get_pod web | jq -e --arg ip "$ip" '.status.podIPs == [{"ip": $ip}]'
	get_pod web | jq -e --arg ip "$NODE_IP" '.status.hostIP == $ip'
	# what the pod itself sees
	log_has web "eth0 *inet $ip/16 "
	# from the node, through the bridge
	wait_for answers "$ip" web
	# the node end on the bridge, the bridge with the CIDR's first address
	end=$(node_end_of "$(uid_of web)")
	node ip -o link show "$end" | grep -q "master nanolet0 .*state UP"
	node ip -o -4 addr show dev nanolet0 | grep -q "inet 198.18.0.1/16 "
	# from another pod, through the bridge
	create_pod "$(pod_yaml client "busybox wget -q -O- http://$ip:8080/ && sleep 3600")"
	wait_phase client Running
	wait_for log_has client "hello from web"
	[[ $(pod_ip_of client) == 198.18.0.3 ]]
	# the plan says the same
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/web/isolation?pretty=false" >"$TEST_TMP/plan"
	jq -e --arg a "$ip/16" '.pod.network.interfaces[] | select(.name == "eth0") | .address == $a' "$TEST_TMP/plan"
	jq -e --arg n "$end" '.pod.network.interfaces[] | select(.name == $n) | .master == "nanolet0"' "$TEST_TMP/plan"
	jq -e --arg ip "$ip" '.explanation[] | select(startswith("net: ")) | contains("reached at " + $ip)' "$TEST_TMP/plan"
	# shim.json names the address for the files that carry it (/etc/hosts)
	jq -e --arg ip "$ip" '.podIP == $ip' "$TEST_TMP/run/pods/$(uid_of web)/shim.json"
}

@test "two pods never share an address, one comes back only once its pod is gone, and a delete leaves no veth" {
	running_web a
	running_web b
	ip_a=$(pod_ip_of a) ip_b=$(pod_ip_of b)
	[[ $ip_a == 198.18.0.2 && $ip_b == 198.18.0.3 ]]
	end_a=$(node_end_of "$(uid_of a)")
	uid_a=$(uid_of a)
	[[ $(db "SELECT count(*) FROM pod_ips") == 2 ]]
	delete_pod a
	# its veth went with it, and its address is free
	run ! node ip link show "$end_a"
	[[ $(db "SELECT count(*) FROM pod_ips WHERE uid = '$uid_a'") == 0 ]]
	wait_for answers "$ip_b" b
	# the freed address is the lowest free one again
	running_web c
	[[ $(pod_ip_of c) == "$ip_a" ]]
	wait_for answers "$ip_a" c
	delete_pod b
	delete_pod c
	[[ -z $(node_ends) ]]
	[[ $(db "SELECT count(*) FROM pod_ips") == 0 ]]
	assert_nothing_left
	# the bridge stays for the next pod
	node ip link show nanolet0 >/dev/null
}

@test "a daemon restart keeps the bridge, the veths and the addresses, and a re-adopted pod still answers" {
	running_web web
	ip=$(pod_ip_of web)
	end=$(node_end_of "$(uid_of web)")
	stop_daemon
	node ip link show nanolet0 >/dev/null
	node ip link show "$end" >/dev/null
	answers "$ip" web
	pods_setup
	grep -q "re-adopted its shim" "$TEST_TMP/daemon.log"
	[[ $(pod_ip_of web) == "$ip" ]]
	wait_for answers "$ip" web
	running_web second
	[[ $(pod_ip_of second) != "$ip" ]]
	# a veth removed while the daemon was down is made again for the re-adopted pod
	stop_daemon
	node ip link del "$end"
	run ! answers "$ip" web
	pods_setup
	wait_for answers "$ip" web
	grep -q "its node end is gone: attaching it again" "$TEST_TMP/daemon.log"
}

@test "a new sandbox after its shim died gets the same address, on a new veth" {
	running_web web
	ip=$(pod_ip_of web)
	shim=$(nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/web/isolation?pretty=false" | jq -r .live.shimPid)
	[[ $shim -gt 0 ]]
	kill -KILL "$shim"
	wait_for restarts_at_least web 1
	wait_phase web Running
	wait_for answers "$ip" web
	[[ $(pod_ip_of web) == "$ip" ]]
	[[ $(node_ends) == "$(node_end_of "$(uid_of web)")" ]]
}

@test "orphan sweep: the veth of a pod without a record is removed at start, and its address given back" {
	running_web web
	uid=$(uid_of web)
	end=$(node_end_of "$uid")
	kill -KILL "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	db "DELETE FROM pods WHERE uid = '$uid'"
	pods_setup
	grep -q "orphan veth $end (no pod record): removed" "$TEST_TMP/daemon.log"
	run ! node ip link show "$end"
	[[ $(db "SELECT count(*) FROM pod_ips") == 0 ]]
	running_web next
	[[ $(pod_ip_of next) == 198.18.0.2 ]]
}

@test "a hostNetwork pod reports the node's address, has no veth and leaves the bridge alone" {
	create_pod "$(
		cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: host
spec:
  hostNetwork: true
  containers:
  - name: c
    image: host
    command: [sh, -c, 'busybox ip -4 -o addr show dev uplink; sleep 3600']
EOF
	)"
	wait_phase host Running
	wait_for log_has host "inet $NODE_IP/24"
	get_pod host | jq -e --arg ip "$NODE_IP" '.status.podIP == $ip and .status.podIPs == [{"ip": $ip}]'
	[[ -z $(node_ends) ]]
	run ! node ip link show nanolet0
	[[ $(db "SELECT count(*) FROM pod_ips") == 0 ]]
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/host/isolation?pretty=false" |
		jq -e '.pod.network.mode == "host"'
}

@test "an exhausted pod_cidr leaves a pod Pending with FailedCreatePodSandBox naming the CIDR, until an address is free" {
	stop_daemon
	pods_setup --network '{pod_cidr: 198.18.0.0/30}'
	running_web first
	[[ $(pod_ip_of first) == 198.18.0.2 ]]
	create_pod "$(web_yaml second)"
	get_pod second | jq -e '.status.phase == "Pending" and .status.podIP == null'
	wait_for event_seen second FailedCreatePodSandBox
	events_of second | jq -e '.items[] | select(.reason == "FailedCreatePodSandBox") |
		.type == "Warning" and (.message | contains("198.18.0.0/30"))'
	waiting_reason_is second ContainerCreating
	[[ $(node_ends) == "$(node_end_of "$(uid_of first)")" ]]
	delete_pod first
	# the freed address goes to the waiting pod on its next try
	wait_until 30 phase_is second Running
	[[ $(pod_ip_of second) == 198.18.0.2 ]]
	wait_for answers 198.18.0.2 second
}

@test "an existing bridge is reused, its address mended; a link of that name that is no bridge is an error naming it" {
	stop_daemon
	node ip link add nanolet0 type bridge
	node ip addr add 198.18.99.1/24 dev nanolet0
	pods_setup
	running_web web
	node ip -o -4 addr show dev nanolet0 >"$TEST_TMP/addrs"
	[[ $(wc -l <"$TEST_TMP/addrs") == 1 ]]
	grep -q "inet 198.18.0.1/16 " "$TEST_TMP/addrs"
	grep -q "bridge nanolet0: removing 198.18.99.1/24" "$TEST_TMP/daemon.log"
	wait_for answers "$(pod_ip_of web)" web
	delete_pod web
	# a veth called like the bridge: the pod cannot be made, and the answer says why
	node ip link del nanolet0
	node ip link add nanolet0 type veth peer name not-a-bridge
	call POST /api/v1/namespaces/default/pods --data-binary "$(web_yaml other)"
	[[ $code == 500 ]]
	jq -e '.message | contains("network.bridge nanolet0: a link of that name exists and is not a bridge (veth)")' <<<"$body"
	[[ -z $(node_ends) ]]
}

@test "a bad network config is refused at start, naming the key" {
	stop_daemon
	run "$NANOLETD" --socket "$SOCK" $(daemon_dir_flags) --network '{pod_cidr: 198.18.0.1/16}'
	[[ $status -ne 0 ]]
	[[ $output == *'pod_cidr: "198.18.0.1/16" has host bits set: the network is 198.18.0.0/16'* ]]
}

# hostweb NAME HOST_PORT: the web pod, its port 8080 forwarded from the node's HOST_PORT.
hostweb_yaml() {
	web_yaml "$1" | sed "s/^    command:/    ports: [{containerPort: 8080, hostPort: $2}]\n    command:/"
}

# The forwards in nanolet's table, as nft lists its two maps.
forwards() {
	node nft list map ip nanolet hostports
	node nft list map ip nanolet hostports_addr
}

@test "hostPort: the node's address and port reach the pod through nanolet's nftables table, which masquerades the pod network; both go with the pod" {
	create_pod "$(hostweb_yaml web 18080)"
	wait_phase web Running
	wait_for log_has web "inet "
	ip=$(pod_ip_of web)
	uid=$(uid_of web)
	# before it reached the pod at its own address; now the node's own address forwards
	wait_for bash -c "[[ \$(nsenter --net='$DAEMON_NETNS' curl -sS --max-time 2 http://$NODE_IP:18080/) == 'hello from web' ]]"
	forwards | grep -q "tcp . 18080 comment \"$uid\" : $ip . 8080"
	node nft list chain ip nanolet postrouting | grep -q "ip saddr 198.18.0.0/16 ip daddr != 198.18.0.0/16 masquerade"
	# the plan says so
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/web/isolation?pretty=false" >"$TEST_TMP/plan"
	jq -e '.pod.network.hostPorts == [{"container": "c", "protocol": "TCP", "hostIP": "", "hostPort": 18080, "containerPort": 8080}]' "$TEST_TMP/plan"
	jq -e --arg ip "$ip" '.explanation[] | select(startswith("net: ")) | contains("The node forwards hostPort 18080/TCP (on every address of the node) to port 8080 of container c at " + $ip)' "$TEST_TMP/plan"
	# a second pod cannot take the port
	call POST /api/v1/namespaces/default/pods --data-binary "$(hostweb_yaml web2 18080)"
	[[ $code == 409 ]]
	delete_pod web
	run ! bash -c "forwards | grep -q '$uid'"
	run ! node curl -sS --max-time 2 "http://$NODE_IP:18080/"
	# the port is free again
	create_pod "$(hostweb_yaml web2 18080)"
	wait_phase web2 Running
	wait_for bash -c "[[ \$(nsenter --net='$DAEMON_NETNS' curl -sS --max-time 2 http://$NODE_IP:18080/) == 'hello from web2' ]]"
}

@test "hostPort: the orphan sweep removes the forwards of a pod without a record" {
	create_pod "$(hostweb_yaml web 18080)"
	wait_phase web Running
	uid=$(uid_of web)
	forwards | grep -q "comment \"$uid\""
	kill -KILL "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	db "DELETE FROM pods WHERE uid = '$uid'"
	pods_setup
	grep -q "orphan hostPort forwards of pod $uid (no pod record): removed" "$TEST_TMP/daemon.log"
	run ! bash -c "forwards | grep -q '$uid'"
}

@test "network.masquerade false: no masquerade rule" {
	stop_daemon
	pods_setup --network '{masquerade: false}'
	running_web web
	node nft list table ip nanolet >"$TEST_TMP/table"
	grep -q "dnat ip to meta l4proto . th dport map @hostports" "$TEST_TMP/table"
	run ! grep -q masquerade "$TEST_TMP/table"
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/web/isolation?pretty=false" |
		jq -e '.explanation[] | select(startswith("net: ")) | contains("nanolet forwards nothing off the node")'
}

# shaped_web NAME INGRESS EGRESS: web with the bandwidth annotations, serving also "big", 1250000
# bytes.
shaped_web_yaml() {
	cat <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: $1
  annotations:
    kubernetes.io/ingress-bandwidth: "$2"
    kubernetes.io/egress-bandwidth: "$3"
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: host
    command: [sh, -c, 'busybox ip -4 -o addr show dev eth0; mkdir -p /tmp/www && echo hello from $1 >/tmp/www/index.html && busybox dd if=/dev/zero of=/tmp/www/big bs=1000 count=1250 2>/dev/null && exec busybox httpd -f -p 8080 -h /tmp/www']
EOF2
}

ifb_of() {
	local uid=${1//-/}
	echo "nb${uid:0:12}"
}

ifbs() {
	node ip -o link show type ifb | grep -oE ' nb[0-9a-f]{12}:' | tr -d ' :' || true
}

# tbf_rate DEV: the rate, in bytes per second, of DEV's root tbf qdisc ("" when it has none)
tbf_rate() {
	node tc -j qdisc show dev "$1" | jq -r '.[] | select(.kind == "tbf" and .root) | .options.rate'
}

@test "bandwidth: ingress is a tbf on the node end, egress a tbf on the pod's ifb fed from the node end; what the pod sends is held to its rate; the ifb goes with the pod" {
	create_pod "$(shaped_web_yaml web 10M 5M)"
	wait_phase web Running
	wait_for log_has web "inet "
	ip=$(pod_ip_of web)
	uid=$(uid_of web)
	end=$(node_end_of "$uid")
	ifb=$(ifb_of "$uid")
	[[ $(tbf_rate "$end") == 1250000 ]]
	[[ $(tbf_rate "$ifb") == 625000 ]]
	node tc -j qdisc show dev "$end" | jq -e 'any(.[]; .kind == "ingress")'
	node tc -j filter show dev "$end" ingress |
		jq -e --arg ifb "$ifb" 'any(.[]; .options.actions[]? | .kind == "mirred" and .mirred_action == "redirect" and .to_dev == $ifb)'
	[[ $(ifbs) == "$ifb" ]]
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/web/isolation?pretty=false" |
		jq -e --arg node "$end" --arg ifb "$ifb" '.pod.network.bandwidth == {
			"ingress": {"bitsPerSecond": 10000000, "qdisc": "tbf (root)", "on": $node, "latency": "25ms"},
			"egress": {"bitsPerSecond": 5000000, "qdisc": "tbf (root)", "on": $ifb, "redirectedFrom": $node, "latency": "25ms"}}'
	# 1250000 bytes from the pod at 5 Mbit/s take 2 s (the bucket holds 25 ms of it); unshaped,
	# a veth moves them in milliseconds. Only the lower bound: a slow machine is slower still.
	wait_for answers "$ip" web
	t=$(node curl -sS -o /dev/null -w '%{time_total}' --max-time 60 "http://$ip:8080/big")
	awk -v t="$t" 'BEGIN { exit !(t >= 1.5) }'
	delete_pod web
	[[ -z $(ifbs) ]]
	[[ -z $(node_ends) ]]
}

@test "bandwidth: the orphan sweep removes the ifb of a pod without a record" {
	create_pod "$(shaped_web_yaml web 1M 1M)"
	wait_phase web Running
	uid=$(uid_of web)
	ifb=$(ifb_of "$uid")
	[[ $(ifbs) == "$ifb" ]]
	kill -KILL "$DAEMON_PID"
	wait_gone "$DAEMON_PID"
	db "DELETE FROM pods WHERE uid = '$uid'"
	pods_setup
	grep -q "orphan ifb $ifb (no pod record): removed" "$TEST_TMP/daemon.log"
	run ! node ip link show "$ifb"
}

@test "bandwidth: a bad annotation is refused with Kubernetes' words; a pod without annotations has no tbf and no ifb" {
	call POST /api/v1/namespaces/default/pods --data-binary "$(shaped_web_yaml web 999 10M)"
	[[ $code == 422 ]]
	jq -e '.details.causes == [{"reason": "FieldValueInvalid", "message": "Invalid value: \"999\": resource is unreasonably small (< 1kbit)", "field": "metadata.annotations[kubernetes.io/ingress-bandwidth]"}]' <<<"$body"
	call POST /api/v1/namespaces/default/pods --data-binary "$(shaped_web_yaml web 10M 2P)"
	[[ $code == 422 ]]
	jq -e '.message | contains("metadata.annotations[kubernetes.io/egress-bandwidth]: Invalid value: \"2P\": resource is unreasonably large (> 1Pbit)")' <<<"$body"
	running_web plain
	end=$(node_end_of "$(uid_of plain)")
	[[ -z $(tbf_rate "$end") ]]
	run ! bash -c "nsenter --net='$DAEMON_NETNS' tc -j qdisc show dev '$end' | jq -e 'any(.[]; .kind == \"ingress\")'"
	[[ -z $(ifbs) ]]
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/plain/isolation?pretty=false" |
		jq -e '(.pod.network | has("bandwidth") | not) and (.explanation[] | select(startswith("net: ")) | contains("shaped") | not)'
	# hostNetwork: no veth to shape, as the kubelet runs no CNI for it; the create says so
	call POST /api/v1/namespaces/default/pods --data-binary "$(shaped_web_yaml host 10M 5M | sed 's/^spec:/spec:\n  hostNetwork: true/')"
	[[ $code == 201 ]]
	grep -q 'Warning: 299 - "metadata.annotations\[kubernetes.io/egress-bandwidth\] is not applied: hostNetwork is true' "$TEST_TMP/headers"
	wait_phase host Running
	[[ -z $(ifbs) ]]
}
