#!/usr/bin/env bats
# The files the kubelet manages in every container, seen from inside real pods:
# /etc/resolv.conf by dnsPolicy (the node's resolv_conf is a file this test writes, never the
# node's own), the MissingClusterDNS fallback and its event, dnsConfig, /etc/hosts with
# hostAliases, a hostNetwork pod's (the node's hosts and the aliases), /etc/hostname, and the
# API server's 422s for bad DNS fields.

load common
load pods_helpers

setup() {
	common_setup
	# the node's resolver file as resolv_conf: a search with a trailing dot, two option
	NODE_RESOLV=$TEST_TMP/node-resolv.conf
	printf '# a node\nnameserver 198.18.0.53\nsearch example.test. corp.test\noptions ndots:2 timeout:1\n' >"$NODE_RESOLV"
	pods_setup --resolv-conf "$NODE_RESOLV"
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# dns_pod NAME SPEC_LINES: a pod whose one container "c" prints its three files, separated by
# "--", and exits; SPEC_LINES are more lines of its spec (two-space indented).
dns_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
$2
  containers:
  - name: c
    image: host
    command: [sh, -c, 'cat /etc/resolv.conf; echo --; cat /etc/hosts; echo --; cat /etc/hostname']
EOF
}

# run_dns_pod NAME SPEC_LINES: creates it, waits for it to finish, its log in $out.
run_dns_pod() {
	create_pod "$(dns_pod "$1" "$2")"
	wait_phase "$1" Succeeded
	out=$(pod_log "$1")
}

# The file between the Nth and N+1th "--" of $out (0: resolv.conf, 1: hosts, 2: hostname).
part() {
	awk -v n="$1" '$0 == "--" { i++; next } i == n' <<<"$out"
}

managed_header=$'# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters'
node_default=$'search example.test corp.test\nnameserver 198.18.0.53\noptions ndots:2 timeout:1'

# The pod's own hosts line, "<IP>\t<names>", when the pod network gave it an address: none
# without one, as the kubelet's file has none for an address it does not know.
own_line() {
	local ip
	ip=$(get_pod "$1" | jq -r '.status.podIP // empty')
	[[ -n $ip ]] && printf '\n%s\t%s' "$ip" "$2"
	return 0
}

@test "Default: the node's resolv_conf; the managed hosts file; the pod's hostname" {
	driver_independent
	run_dns_pod plain "  dnsPolicy: Default"
	[ "$(part 0)" = "$node_default" ]
	[ "$(part 1)" = "$managed_header$(own_line plain plain)" ]
	[ "$(part 2)" = plain ]
	# no fallback was needed: no MissingClusterDNS event
	! event_seen plain MissingClusterDNS
	# the node's own files were never written
	! grep -q 'Kubernetes-managed' /etc/hosts
}

@test "ClusterFirst without cluster_dns: Default, and the kubelet's MissingClusterDNS Warning" {
	driver_independent
	run_dns_pod fallback ""
	[ "$(part 0)" = "$node_default" ]
	uid=$(get_pod fallback | jq -r .metadata.uid)
	events_of fallback | jq -e --arg m "pod: \"fallback_default($uid)\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy." \
		'[.items[] | select(.reason == "MissingClusterDNS" and .type == "Warning" and .message == $m)] | length == 1'
	# the defaulted Pod says which policy it asked for
	[ "$(get_pod fallback | jq -r .spec.dnsPolicy)" = ClusterFirst ]
}

@test "ClusterFirst with cluster_dns: the cluster's nameservers and the <ns>.svc.<domain> searches" {
	driver_independent
	stop_daemon
	start_daemon --crashloop-backoff-initial 1 --resolv-conf "$NODE_RESOLV" \
		--cluster-dns 198.18.0.10,198.18.0.11 --cluster-domain cluster.test
	run_dns_pod cluster ""
	[ "$(part 0)" = $'search default.svc.cluster.test svc.cluster.test cluster.test example.test corp.test\nnameserver 198.18.0.10\nnameserver 198.18.0.11\noptions ndots:5' ]
	! event_seen cluster MissingClusterDNS
}

@test "None: dnsConfig alone; dnsConfig is appended to Default, its options winning" {
	driver_independent
	run_dns_pod none "  dnsPolicy: None
  dnsConfig:
    nameservers: [198.18.0.1, 'fd00::1']
    searches: [a.test]
    options: [{name: ndots, value: '3'}, {name: edns0}]"
	[ "$(part 0)" = $'search a.test\nnameserver 198.18.0.1\nnameserver fd00::1\noptions ndots:3 edns0' ]
	run_dns_pod added "  dnsPolicy: Default
  dnsConfig:
    nameservers: [198.18.0.53, 198.18.0.1]
    searches: [b.test]
    options: [{name: timeout, value: '4'}, {name: rotate}]"
	[ "$(part 0)" = $'search example.test corp.test b.test\nnameserver 198.18.0.53\nnameserver 198.18.0.1\noptions ndots:2 timeout:4 rotate' ]
}

@test "hostAliases and a subdomain: the aliases' block in the managed hosts file" {
	driver_independent
	run_dns_pod aliased "  hostname: web
  subdomain: team
  hostAliases:
  - {ip: 198.18.0.20, hostnames: [db.test, cache.test]}
  - {ip: 'fd00::20', hostnames: [v6.test]}"
	[ "$(part 1)" = "$managed_header$(own_line aliased $'web.team.default.svc.cluster.local\tweb')"$'\n\n# Entries added by HostAliases.\n198.18.0.20\tdb.test\tcache.test\nfd00::20\tv6.test' ]
	[ "$(part 2)" = web ]
}

@test "hostNetwork: the node's hosts and the aliases, the node's hostname, ClusterFirst as Default" {
	driver_independent
	run_dns_pod hostnet "  hostNetwork: true
  hostAliases:
  - {ip: 198.18.0.21, hostnames: [extra.test]}"
	[ "$(part 0)" = "$node_default" ]
	expected="# Kubernetes-managed hosts file (host network).
$(cat /etc/hosts)"$'\n\n# Entries added by HostAliases.\n198.18.0.21\textra.test'
	[ "$(part 1)" = "$expected" ]
	[ "$(part 2)" = "$(hostname)" ]
	# ClusterFirst on the host network is Default by the kubelet's rule, not a fallback
	! event_seen hostnet MissingClusterDNS
}

@test "the files are bound read-only: a container cannot change them" {
	driver_independent
	create_pod "$(pod_yaml ro 'for f in resolv.conf hosts hostname; do (echo x >>/etc/$f) 2>/dev/null && echo "$f written"; done; echo done' Never)"
	wait_phase ro Succeeded
	[ "$(pod_log ro)" = done ]
}

@test "bad DNS fields are 422 Invalid with their field paths, every cause at once" {
	driver_independent
	call POST '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(dns_pod bad "  dnsPolicy: None
  subdomain: Team
  dnsConfig:
    nameservers: [198.18.0.1, 198.18.0.2, 198.18.0.3, dns.test]
    searches: [ok.test, Bad_Search]
    options: [{value: '1'}]
  hostAliases:
  - {ip: 198.18.0.300, hostnames: [fine.test, Not_Fine]}")"
	[ "$code" = 422 ]
	[ "$(jq -r .reason <<<"$body")" = Invalid ]
	fields=$(jq -r '[.details.causes[].field] | join(" ")' <<<"$body")
	[ "$fields" = "spec.dnsConfig.nameservers spec.dnsConfig.nameservers[3] spec.dnsConfig.searches[1] spec.dnsConfig.options[0] spec.hostAliases[0].ip spec.hostAliases[0].hostnames[1] spec.subdomain" ]
	[[ $(jq -r .message <<<"$body") == *'spec.dnsConfig.nameservers[3]: Invalid value: "dns.test": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'* ]]
	call POST '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(dns_pod nocfg '  dnsPolicy: None')"
	[ "$code" = 422 ]
	[ "$(jq -r '.details.causes[0].field + ": " + .details.causes[0].message' <<<"$body")" = 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None' ]
	call POST '/api/v1/namespaces/default/pods?dryRun=All' --data-binary "$(dns_pod unknown '  dnsPolicy: Cluster')"
	[ "$code" = 422 ]
	[ "$(jq -r '.details.causes[0].field' <<<"$body")" = spec.dnsPolicy ]
}

@test "a resolv_conf the daemon cannot read fails the create, naming it; None needs none of it" {
	driver_independent
	stop_daemon
	start_daemon --crashloop-backoff-initial 1 --resolv-conf "$TEST_TMP/absent.conf"
	call POST /api/v1/namespaces/default/pods --data-binary "$(dns_pod unread '  dnsPolicy: Default')"
	[ "$code" = 500 ]
	[[ $(jq -r .message <<<"$body") == *"resolv_conf $TEST_TMP/absent.conf: No such file or directory"* ]]
	# nothing of it is left: the name is free again
	call GET /api/v1/namespaces/default/pods/unread
	[ "$code" = 404 ]
	run_dns_pod own "  dnsPolicy: None
  dnsConfig: {nameservers: [198.18.0.1]}"
	[ "$(part 0)" = 'nameserver 198.18.0.1' ]
}
