#!/usr/bin/env bash
# tests/vm/run-v2.sh [--] [COMMAND [ARGS...]]: runs COMMAND as root in the repository root,
# inside a qemu VM whose only cgroup hierarchy is cgroup2 (pure v2, as on production hosts),
# streams its output and exits with its exit status. Without a command: tests/vm/suites.sh,
# the integration suites that touch cgroups.
#
# The VM: Debian's own kernel (the linux-image-* package linux-image-amd64 depends on, fetched
# with apt-get download and unpacked, never installed), a busybox initramfs (tests/vm/init)
# that mounts the host's root read-only over 9p and switches to it, then tests/vm/guest.sh,
# which mounts tmpfs where tests write and cgroup2 on /sys/fs/cgroup. The repository is at the
# same path in the guest, so the guest runs the host's builds (build/, build-asan/) and bats.
# Kernel, modules and initramfs are cached under $NANOLET_VM_DIR (default build-vm/, ignored
# by git), per kernel package; the initramfs also per content of tests/vm/init.
#
# Environment:
#   NANOLET_VM_DIR        cache and run directories (default <repo>/build-vm)
#   NANOLET_VM_KERNEL     kernel package (default: what linux-image-amd64 depends on)
#   NANOLET_VM_TIMEOUT    seconds before a hung guest is killed and the run fails (2400)
#   NANOLET_VM_MEMORY     guest memory in MiB (2048); NANOLET_VM_CPUS guest CPUs (2)
#   NANOLET_VM_CPU        qemu -cpu model (max)
#   NANOLET_VM_ACCEL      qemu -accel (tcg,thread=multi; kvm where /dev/kvm really works)
#   NANOLET_VM_APPEND     more kernel arguments (default mitigations=off: a throw-away guest,
#                         and every syscall costs less under emulation)
#   NANOLET_*, BATS_*     passed into the guest's environment
# Exit status: COMMAND's; 125 when the guest could not run it; 124 on timeout; 126 when the
# guest ended without reporting (a panic).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_DIR=${NANOLET_VM_DIR:-$REPO/build-vm}
TIMEOUT=${NANOLET_VM_TIMEOUT:-2400}
MEMORY=${NANOLET_VM_MEMORY:-2048}
CPUS=${NANOLET_VM_CPUS:-2}
# Loaded by stage 1, in this order: what mounting the host's root over virtio 9p needs.
BOOT_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p)
# Loaded by stage 2 when present, dependencies first: for suites that need them.
EXTRA_MODULES=(llc stp bridge veth overlay)

[[ ${1:-} == -- ]] && shift
if (($# == 0)); then
	set -- tests/vm/suites.sh
fi

say() { echo "run-v2: $*" >&2; }
die() {
	say "$*"
	exit 125
}

for tool in qemu-system-x86_64 busybox cpio apt-get dpkg; do
	command -v "$tool" >/dev/null || die "$tool is missing (make deps installs it)"
done
[[ -x /usr/bin/busybox ]] || die "busybox-static is missing (make deps installs it)"

kernel_package() {
	if [[ -n ${NANOLET_VM_KERNEL:-} ]]; then
		echo "$NANOLET_VM_KERNEL"
		return
	fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}'
}

# fetch_kernel DIR: vmlinuz and the modules we use, from the .deb, into DIR.
fetch_kernel() {
	local dir=$1 pkg=$2 tmp m ko
	tmp=$(mktemp -d "$VM_DIR/fetch.XXXXXX")
	say "fetching $pkg (apt-get download)"
	# _apt cannot write into a directory of root's: let it, as apt-get download prefers.
	chmod 0777 "$tmp"
	(cd "$tmp" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
		true
	ls "$tmp"/*.deb >/dev/null 2>&1 || {
		rm -rf "$tmp"
		die "apt-get download $pkg failed (apt-get update first?)"
	}
	dpkg -x "$tmp"/*.deb "$tmp/x"
	mkdir -p "$dir.new/modules"
	cp "$tmp"/x/boot/vmlinuz-* "$dir.new/vmlinuz"
	for m in "${BOOT_MODULES[@]}" "${EXTRA_MODULES[@]}"; do
		ko=$(find "$tmp/x/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
		[[ -n $ko ]] || continue # built in, or not in this kernel
		case $ko in
		*.xz) xz -dc "$ko" >"$dir.new/modules/$m.ko" ;; # busybox insmod wants them plain
		*) cp "$ko" "$dir.new/modules/$m.ko" ;;
		esac
	done
	ls "$tmp"/x/lib/modules >"$dir.new/release"
	rm -rf "$tmp" "$dir"
	mv "$dir.new" "$dir"
}

# make_initramfs KDIR OUT: busybox, tests/vm/init and the boot modules.
make_initramfs() {
	local kdir=$1 out=$2 tmp m
	tmp=$(mktemp -d "$VM_DIR/initramfs.XXXXXX")
	mkdir -p "$tmp/bin" "$tmp/modules"
	cp /usr/bin/busybox "$tmp/bin/busybox"
	cp "$REPO/tests/vm/init" "$tmp/init"
	: >"$tmp/modules.order"
	for m in "${BOOT_MODULES[@]}"; do
		[[ -f $kdir/modules/$m.ko ]] || continue
		cp "$kdir/modules/$m.ko" "$tmp/modules/"
		echo "$m" >>"$tmp/modules.order"
	done
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.new"
	mv "$out.new" "$out"
	rm -rf "$tmp"
}

mkdir -p "$VM_DIR"
# One run at a time fills the cache; runs themselves may overlap.
exec 9>"$VM_DIR/.lock"
flock 9
pkg=$(kernel_package)
if [[ -z $pkg ]]; then
	# No package lists yet: the newest kernel already cached, else read the lists first.
	pkg=$(find "$VM_DIR" -maxdepth 1 -name 'linux-image-*' -printf '%f\n' | sort -V | tail -1)
	if [[ -z $pkg ]]; then
		say "apt-cache knows no linux-image-amd64: apt-get update"
		apt-get update -q >&2 || true
		pkg=$(kernel_package)
	fi
	[[ -n $pkg ]] || die "no kernel: apt-cache knows no linux-image-amd64 and none is cached"
fi
kdir=$VM_DIR/$pkg
# Unpacked again when the lists of modules change.
if [[ ! -f $kdir/vmlinuz || $(cat "$kdir/modules.list" 2>/dev/null) != "${BOOT_MODULES[*]} ${EXTRA_MODULES[*]}" ]]; then
	fetch_kernel "$kdir" "$pkg"
	echo "${BOOT_MODULES[*]} ${EXTRA_MODULES[*]}" >"$kdir/modules.list"
fi
initrd=$kdir/initramfs-$(cat "$REPO/tests/vm/init" /usr/bin/busybox "$kdir/modules.list" | sha256sum | cut -c1-12).cpio.gz
[[ -f $initrd ]] || make_initramfs "$kdir" "$initrd"
exec 9>&-

# The run directory: what the guest reads (command, cwd, environment, modules to load).
mkdir -p "$VM_DIR/runs"
run=$(mktemp -d "$VM_DIR/runs/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
printf '%q ' "$@" >"$run/cmd"
echo "$REPO" >"$run/cwd"
# BATS_* only if set by the caller: bats' own are set inside the guest's bats.
export -p | grep -E '^declare -x (NANOLET_[A-Z0-9_]*|BATS_[A-Z0-9_]*)=' >"$run/env" || true
for m in "${EXTRA_MODULES[@]}"; do
	[[ -f $kdir/modules/$m.ko ]] && echo "$kdir/modules/$m.ko"
done >"$run/modules"
: >"$run/status"

say "booting $pkg ($(cat "$kdir/release")), ${CPUS} CPUs, ${MEMORY} MiB, timeout ${TIMEOUT} s: $*"
start=$(date +%s)
set +e
# TCG unless told otherwise: slower, but the same kernel and cgroup code. /dev/kvm is not
# enough to go by: on some of these machines it exists and KVM refuses the guest's CPU model
# (an MSR assertion in qemu) or the guest hangs at boot.
accel=${NANOLET_VM_ACCEL:-tcg,thread=multi}
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	-accel "$accel" -cpu "${NANOLET_VM_CPU:-max}" -smp "$CPUS" -m "$MEMORY" \
	-display none -monitor none -no-reboot \
	-serial stdio -serial "file:$run/status" \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 ${NANOLET_VM_APPEND-mitigations=off} rdinit=/init nanolet.stage2=$REPO/tests/vm/guest.sh nanolet.run=$run" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-nic none </dev/null
qemu=$?
set -e
elapsed=$(($(date +%s) - start))
status=$(tr -d "\r" <"$run/status" | awk '$1 == "nanolet-vm-exit" {print $2}' | tail -1)
if ((qemu == 124 || qemu == 137)); then
	say "the guest did not finish within ${TIMEOUT} s: killed"
	exit 124
fi
if [[ -z $status ]]; then
	say "the guest ended without an exit status (qemu $qemu, after ${elapsed} s): a panic or a failed boot"
	exit 126
fi
say "exit status $status after ${elapsed} s"
exit "$status"
