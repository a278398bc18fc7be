#!/usr/bin/env bats
# Exec into running containers through the plain form (POST .../exec without an upgrade,
# answered {stdout, stderr, exitCode}): the streams kept apart, stdin from the body, the exit
# code, runc's 127/126; the exec'd process in every namespace and cgroup of the container's own
# process, with its capabilities, NoNewPrivs, Seccomp and ids; counted by the pod's pids.max;
# killed with the container; the API server's 400s. The placement tests depend on the cgroup
# driver (the v2 VM runs them, tests/vm/suites.sh); the others call driver_independent.

load common
load pods_helpers

setup() {
	common_setup
	pods_setup
}

teardown() {
	pods_teardown
	common_teardown
}

teardown_file() {
	assert_no_test_leftovers
}

# exec_in POD QUERY [CURL_ARGS...]: POST .../pods/POD/exec?QUERY; $code and $body as call's.
exec_in() {
	local pod=$1 query=$2
	shift 2
	call POST "/api/v1/namespaces/default/pods/$pod/exec?$query" "$@"
}

# the running container's process pid on the host, from the pod's isolation endpoint
container_pid() {
	nanolet_curl "http://nanolet/api/v1/namespaces/default/pods/$1/isolation?pretty=false" |
		jq -r ".live.containers[${2:-0}].pid"
}

# sleeper NAME [SPEC_LINES] [CONTAINER_LINES]: one container c sleeping, restartPolicy Never.
sleeper() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
${2:-}
  containers:
  - name: c
    image: host
    command: [sleep, "3600"]
${3:-}
EOF
}

@test "stdout and stderr come apart, the exit code back, stdin from the body to cat" {
	driver_independent
	create_pod "$(sleeper ex)"
	wait_phase ex Running
	exec_in ex 'command=sh&command=-c&command=echo%20out%3B%20echo%20err%20%3E%262%3B%20exit%203'
	[[ $code == 200 ]] || { echo "$code $body"; false; }
	[[ $(jq -r .stdout <<<"$body") == out ]]
	[[ $(jq -r .stderr <<<"$body") == err ]]
	[[ $(jq -r .exitCode <<<"$body") == 3 ]]
	exec_in ex 'command=cat&stdin=true' --data-binary $'line one\nline two\n'
	[[ $code == 200 ]] || { echo "$code $body"; false; }
	[[ $(jq -r .stdout <<<"$body") == $'line one\nline two' ]]
	[[ $(jq -r .exitCode <<<"$body") == 0 ]]
	# without stdin=true the process reads /dev/null: cat ends at once
	exec_in ex 'command=cat' --data-binary 'ignored'
	[[ $(jq -r .stdout <<<"$body") == "" && $(jq -r .exitCode <<<"$body") == 0 ]]
	# bytes that are not UTF-8 (and a NUL) come back as U+FFFD, as Go's encoding/json writes
	# them; a command that is not UTF-8 is refused, as the CRI (protobuf strings) does
	exec_in ex 'command=printf&command=a%5C377b%5C000c'
	[[ $code == 200 ]] || { echo "$code $body"; false; }
	[[ $(jq -r .stdout <<<"$body") == "a�b�c" ]]
	exec_in ex 'command=sh&command=-c&command=echo%20%FF'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "the command must be valid UTF-8" ]] ||
		{ echo "$code $body"; false; }
}

@test "a command that cannot be run is 127 or 126 with runc's words on stderr" {
	driver_independent
	create_pod "$(sleeper nf)"
	wait_phase nf Running
	exec_in nf 'command=no-such-command-here'
	[[ $code == 200 ]] || { echo "$code $body"; false; }
	[[ $(jq -r .exitCode <<<"$body") == 127 ]]
	[[ $(jq -r .stderr <<<"$body") == 'exec: "no-such-command-here": executable file not found in $PATH' ]]
	exec_in nf 'command=/etc/hostname'
	[[ $(jq -r .exitCode <<<"$body") == 126 ]]
	[[ $(jq -r .stderr <<<"$body") == 'exec: "/etc/hostname": permission denied' ]]
}

@test "refusals: no command, unknown container, no container named, not running, tty, GET" {
	driver_independent
	create_pod "$(sleeper two "" "  - name: d
    image: host
    command: [sh, -c, 'exit 0']")"
	wait_phase two Running
	exec_in two 'container=c'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "you must specify at least one command for the container" ]]
	exec_in two 'container=zz&command=true'
	[[ $code == 400 ]]
	[[ $(jq -r .message <<<"$body") == "container zz is not valid for pod two, choose one of: [c d]" ]]
	exec_in two 'command=true'
	[[ $code == 400 ]]
	[[ $(jq -r .message <<<"$body") == "a container name must be specified for pod two, choose one of: [c d]" ]]
	wait_for eval '[[ $(get_pod two | jq -r ".status.containerStatuses[1].state.terminated.reason") == Completed ]]'
	exec_in two 'container=d&command=true'
	[[ $code == 400 && $(jq -r .message <<<"$body") == "container d is not running" ]]
	exec_in two 'container=c&command=true&tty=true'
	[[ $code == 400 ]]
	call GET "/api/v1/namespaces/default/pods/two/exec?container=c&command=true"
	[[ $code == 400 && $(jq -r .message <<<"$body") == "Upgrade request required" ]]
	exec_in nopod 'command=true'
	[[ $code == 404 ]]
}

# the lines of /proc/self/status an exec'd process must share with the container's own (SigIgn:
# nothing of the shim's helper is left ignored)
status_lines='^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters|SigIgn):'

compare_with_container() {
	local pod=$1 pid
	pid=$(container_pid "$pod")
	[[ $pid =~ ^[0-9]+$ && $pid != 0 ]]
	exec_in "$pod" 'command=sh&command=-c&command=for%20n%20in%20cgroup%20ipc%20mnt%20net%20pid%20user%20uts%3B%20do%20echo%20%24n%20%24(readlink%20%2Fproc%2Fself%2Fns%2F%24n)%3B%20done%3B%20echo%20---%3B%20cat%20%2Fproc%2Fself%2Fcgroup%3B%20echo%20---%3B%20cat%20%2Fproc%2Fself%2Fstatus'
	[[ $code == 200 && $(jq -r .exitCode <<<"$body") == 0 ]] || { echo "$code $body"; false; }
	local out ns cgroup status
	out=$(jq -r .stdout <<<"$body")
	ns=$(awk '/^---$/ { f++; next } f == 0' <<<"$out")
	cgroup=$(awk '/^---$/ { f++; next } f == 1' <<<"$out")
	status=$(awk '/^---$/ { f++; next } f == 2' <<<"$out" | grep -E "$status_lines")
	local n want
	for n in cgroup ipc mnt net pid user uts; do
		want="$n $(readlink "/proc/$pid/ns/$n")"
		grep -qxF "$want" <<<"$ns" || {
			echo "namespace $n: exec has $(grep "^$n " <<<"$ns"), the container $want"
			false
		}
	done
	# /proc/<pid>/cgroup read from the host shows the container's cgroup paths from the
	# host's root; the exec's shows them from its cgroup namespace: compare what the
	# container's own process sees of itself, through the same namespace
	local its
	its=$(nsenter --target "$pid" --cgroup cat "/proc/$pid/cgroup")
	[[ $cgroup == "$its" ]] || {
		echo "cgroup: exec $cgroup"
		echo "container: $its"
		false
	}
	# ids as the container's user namespace sees them (the node's /proc shows node ids)
	local -a view=()
	[[ $(readlink "/proc/$pid/ns/user") == "$(readlink /proc/self/ns/user)" ]] ||
		view=(nsenter --target "$pid" --user)
	its=$("${view[@]}" grep -E "$status_lines" "/proc/$pid/status")
	[[ $status == "$its" ]] || {
		echo "exec: $status"
		echo "container: $its"
		false
	}
	# and neither ignores a signal: nothing the daemon was started with (its SIGPIPE, a
	# shell's SIGINT and SIGQUIT, make's 32 and 33) reaches a container
	grep -qx $'SigIgn:\t0000000000000000' <<<"$its" || {
		echo "container: $(grep SigIgn <<<"$its")"
		false
	}
}

@test "the exec'd process shares every namespace, cgroup, capability set, NoNewPrivs, Seccomp and id of the container's" {
	create_pod "$(sleeper same "" "    securityContext:
      runAsUser: 1234
      runAsGroup: 4321
      allowPrivilegeEscalation: false
      capabilities:
        drop: [NET_RAW, CHOWN]")"
	wait_phase same Running
	compare_with_container same
}

@test "in a hostPID pod and in a shared pid namespace, the exec'd process is the container's too" {
	create_pod "$(sleeper hp "  hostPID: true")"
	create_pod "$(sleeper sh "  shareProcessNamespace: true")"
	wait_phase hp Running
	wait_phase sh Running
	compare_with_container hp
	compare_with_container sh
}

@test "in a user namespace (hostUsers: false) the exec'd process enters it too, with the container's ids" {
	create_pod "$(sleeper un "  hostUsers: false" "    securityContext:
      runAsUser: 1000")"
	wait_phase un Running
	compare_with_container un
	# and the ids are the namespace's: uid 1000 inside, mapped to a node uid far above
	exec_in un 'command=cat&command=/proc/self/uid_map'
	[[ $(jq -r .stdout <<<"$body" | awk 'NF {print $1, $3}') == "0 65536" ]] || { echo "$body"; false; }
}

@test "the pod's pids.max counts the exec'd processes" {
	# pods get pids.max 16 here: the container's sh and sleep, then an exec that forks
	stop_daemon
	pods_setup --pod-pids-limit 16
	create_pod "$(sleeper pl)"
	wait_phase pl Running
	# the control first: under the limit, the same kind of loop runs through
	exec_in pl 'command=sh&command=-c&command=for%20i%20in%20%24(seq%202)%3B%20do%20true%20%26%20done%3B%20wait'
	[[ $(jq -r .exitCode <<<"$body") == 0 && $(jq -r .stderr <<<"$body") == "" ]] || {
		echo "$body"
		false
	}
	# 40 background sleeps cannot all fit under the pod's 16: dash's fork fails (EAGAIN) and
	# it exits 2, "Cannot fork"
	exec_in pl 'command=sh&command=-c&command=for%20i%20in%20%24(seq%2040)%3B%20do%20sleep%2030%20%3E%2Fdev%2Fnull%202%3E%261%20%26%20done'
	[[ $code == 200 ]] || { echo "$code $body"; false; }
	[[ $(jq -r .stderr <<<"$body") == *"Cannot fork"* && $(jq -r .exitCode <<<"$body") == 2 ]] || {
		echo "$body"
		false
	}
}

# the pids of this test's `sleep 4242.17` processes on the host
exec_sleepers() {
	pgrep -f '^sleep 4242.17$' || true
}

has_exec_sleepers() {
	[[ -n $(exec_sleepers) ]]
}

no_exec_sleepers() {
	[[ -z $(exec_sleepers) ]]
}

@test "an exec'd process dies with its container, with or without a pid namespace of its own" {
	local pod
	for pod in own hpk; do
		if [[ $pod == own ]]; then
			create_pod "$(sleeper own)"
		else
			create_pod "$(sleeper hpk "  hostPID: true")"
		fi
		wait_phase "$pod" Running
		# left running after the exec's answer: a child it put in the background
		exec_in "$pod" 'command=sh&command=-c&command=sleep%204242.17%20%3E%2Fdev%2Fnull%202%3E%261%20%26'
		[[ $code == 200 ]] || { echo "$code $body"; false; }
		wait_for has_exec_sleepers
		# the container's main process ends: what it leaves behind is killed
		kill -KILL "$(container_pid "$pod")"
		wait_for no_exec_sleepers || {
			echo "$pod: still there: $(exec_sleepers)"
			false
		}
	done
}
