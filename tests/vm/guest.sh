#!/bin/bash
# tests/vm/guest.sh: stage 2 of the test VM, PID 1 on the host's root (9p, read-only) after
# tests/vm/init switched to it. Makes the writable and kernel file systems a test run needs,
# mounts cgroup2 alone at /sys/fs/cgroup (pure v2, as on production hosts), runs the command
# that run-v2.sh wrote into its run directory, reports its exit status on the second serial
# port and powers off. The host side is tests/vm/run-v2.sh.
#
# The command runs in the root cgroup, as on a plain host where nanoletd is started by hand:
# the root is exempt from the no-internal-processes rule, so the daemons the suites start
# (in the same cgroup as bats) can enable controllers there and keep pods under /nanolet.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

run=
for arg in $(</proc/cmdline); do
	case $arg in nanolet.run=*) run=${arg#nanolet.run=} ;; esac
done

# The status line run-v2.sh waits for, then an immediate power-off (nothing to sync: every
# writable file system is a tmpfs).
finish() {
	echo "nanolet-vm-exit $1" >/dev/ttyS1
	busybox poweroff -f
	sleep 60
}

fail() {
	echo "nanolet-vm: $*" >&2
	finish 125
}

stty -F /dev/console -onlcr 2>/dev/null # no \r in the streamed output
[[ -n $run && -r $run/cwd ]] || fail "no nanolet.run= or no $run/cwd"
cwd=$(<"$run/cwd")
# The repository and the run directory stay visible at their paths even where a tmpfs below
# covers them (a clone under /tmp): bound aside on /dev first, moved back on top after.
tmpfs_dirs=(/tmp /var/tmp /run /var/lib /var/log /root)
keep=()
for p in "$cwd" "$run"; do
	for d in "${tmpfs_dirs[@]}"; do
		[[ $p == "$d"/* ]] || continue
		[[ ${#keep[@]} -gt 0 && $p == "${keep[0]}"/* ]] && continue
		mkdir -p "/dev/.keep${#keep[@]}"
		mount --bind "$p" "/dev/.keep${#keep[@]}" || fail "bind $p aside"
		keep+=("$p")
	done
done
for d in "${tmpfs_dirs[@]}"; do
	mount -t tmpfs -o mode=0755 tmpfs "$d" || fail "tmpfs on $d"
done
for i in "${!keep[@]}"; do
	mkdir -p "${keep[i]}"
	mount --move "/dev/.keep$i" "${keep[i]}" || fail "put ${keep[i]} back"
	rmdir "/dev/.keep$i"
done
chmod 1777 /tmp /var/tmp
mkdir -p /dev/pts /dev/shm /dev/mqueue /run/lock
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts || fail "devpts"
mount -t tmpfs -o mode=1777 shm /dev/shm || fail "/dev/shm"
mount -t mqueue mqueue /dev/mqueue || fail "mqueue"
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# nsdelegate as systemd mounts it: a cgroup namespace is a delegation boundary.
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail "cgroup2 on /sys/fs/cgroup"
# The guest kernel's modules that suites may need (network plumbing, overlay roots): insmod
# from the flat directory run-v2.sh unpacked, in dependency order; a missing one is skipped.
if [[ -n $run && -r $run/modules ]]; then
	while read -r ko; do
		[[ -f $ko ]] && { busybox insmod "$ko" 2>/dev/null || echo "nanolet-vm: insmod $ko failed" >&2; }
	done <"$run/modules"
fi
hostname nanolet-vm
ip link set lo up

[[ -r $run/cmd ]] || fail "no $run/cmd"
# shellcheck disable=SC1091
source "$run/env"
args=()
eval "args=($(<"$run/cmd"))"
cd "$cwd" || fail "cd $cwd"
echo "nanolet-vm: kernel $(uname -r), cgroup2 controllers: $(</sys/fs/cgroup/cgroup.controllers)" >&2
"${args[@]}" </dev/null
finish $?
