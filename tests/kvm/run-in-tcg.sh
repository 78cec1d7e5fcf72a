#!/bin/bash
# run-in-tcg.sh: run a command with a working /dev/kvm on a machine that has none,
# inside a Linux L1 guest run by QEMU in pure software emulation (TCG, -cpu max
# emulates AMD SVM + NPT, so kvm_amd loads in the guest).
#
#   run-in-tcg.sh HOSTDIR CMD [ARGS...]
#
# HOSTDIR is shared read-write with the guest (virtio-9p) at the same path.
# Modes (TCGKVM_MODE):
#   root (default) the whole host / is shared READ-ONLY as the guest's root (chroot),
#                  so dynamically linked binaries, bash, make, ... work as on the
#                  host; HOSTDIR is mounted read-write over it; /tmp, /run are a
#                  fresh guest tmpfs (unless HOSTDIR is under them).
#   min            busybox-only initramfs, HOSTDIR mounted at its path; CMD must be
#                  a static binary or busybox sh script.
# The command runs as root with cwd = $PWD if it is inside HOSTDIR, else HOSTDIR.
# Its stdout+stderr come out on this script's stdout; its exit status is ours.
# Script errors: 125 (setup failed), 124 (timeout), 126 (guest never reported).
#
# Env: TCGKVM_SMP (2) TCGKVM_MEM (2G) TCGKVM_TIMEOUT secs (1800)
#      TCGKVM_CACHE (/var/cache/tcgkvm) TCGKVM_DMESG=file (save guest dmesg there)
#      TCGKVM_LOGLEVEL (1; kernel console loglevel, 7 = everything)
#      TCGKVM_LOCKUP (softlockup_panic=1 watchdog_thresh=30: end a hung guest early)
#      TCGKVM_THREAD (multi; single runs all emulated CPUs on one host thread)
#      TCGKVM_QEMU_ARGS (extra qemu args, word-split)
#      TCGKVM_KVM_PARAMS (mmio_caching=0) TCGKVM_KVM_AMD_PARAMS (): insmod params
set -euo pipefail

die() { echo "run-in-tcg: $*" >&2; exit 125; }
[ $# -ge 2 ] || { sed -n '2,22p' "$0" >&2; exit 125; }
HOSTDIR=$(cd "$1" && pwd -P) || die "no such directory: $1"
shift
MODE=${TCGKVM_MODE:-root}
CACHE=${TCGKVM_CACHE:-/var/cache/tcgkvm}
SMP=${TCGKVM_SMP:-2}
MEM=${TCGKVM_MEM:-2G}
TIMEOUT=${TCGKVM_TIMEOUT:-1800}
LOGLEVEL=${TCGKVM_LOGLEVEL:-1}
# Under TCG the emulated KVM host sometimes hangs for good: both CPUs report
# soft lockups until the timeout. A CPU that has not scheduled for 2 x 30 s
# is that hang, so the L1 kernel panics and QEMU exits (-no-reboot) at once
# rather than after TIMEOUT; the caller sees status 126 and may retry.
LOCKUP=${TCGKVM_LOCKUP-softlockup_panic=1 watchdog_thresh=30}
# multi: one host thread per emulated CPU (fast); single: one for all, a
# fallback for the hangs above, which look like races between those threads.
THREAD=${TCGKVM_THREAD:-multi}

# ---------------------------------------------------------------- one-time setup
setup() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	# Bump the stamp when the initramfs below changes, so caches are rebuilt.
	[ -f "$CACHE/ready.v2" ] && return 0
	if ! command -v qemu-system-x86_64 >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2 ||
			{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2; } ||
			die "cannot install qemu-system-x86"
	fi
	local kpkg
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	[ -n "$kpkg" ] || { apt-get update -qq >&2; kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'); }
	[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64"
	rm -rf "$CACHE/dl" "$CACHE/x" && mkdir -p "$CACHE/dl" "$CACHE/x"
	(cd "$CACHE/dl" && apt-get download "$kpkg" busybox-static >&2) || die "apt-get download failed"
	for d in "$CACHE"/dl/*.deb; do dpkg -x "$d" "$CACHE/x"; done
	local kver kdir bb ir m
	kver=${kpkg#linux-image-}
	kdir=$CACHE/x/lib/modules/$kver/kernel
	bb=$CACHE/x/bin/busybox
	[ -x "$bb" ] && [ -d "$kdir" ] || die "unexpected package layout"
	ir=$CACHE/initrd.d
	rm -rf "$ir" && mkdir -p "$ir"/{bin,proc,sys,dev,tmp,ctl,newroot,mods}
	cp "$bb" "$ir/bin/busybox"
	for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$ir/bin/$a"; done
	# load order = dependency order
	for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
		drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio \
		fs/netfs/netfs fs/fscache/fscache fs/9p/9p virt/lib/irqbypass drivers/crypto/ccp/ccp \
		arch/x86/kvm/kvm arch/x86/kvm/kvm-amd; do
		f=$kdir/$m.ko
		[ -f "$f" ] || { [ -f "$f.xz" ] && xz -dc "$f.xz" >"$f"; } || die "missing module $m"
		cp "$f" "$ir/mods/"
		echo "${m##*/}" >>"$ir/mods/order"
	done
	cat >"$ir/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ld() { insmod /mods/$1.ko $2 || echo "tcgkvm: insmod $1 failed"; }
for m in $(cat /mods/order); do case $m in kvm*) ;; *) ld $m;; esac; done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 ctl /ctl || { echo "tcgkvm: no ctl share"; poweroff -f; }
. /ctl/env
ld kvm "$KVM_PARAMS"; ld kvm-amd "$KVM_AMD_PARAMS"
[ -c /dev/kvm ] || echo "tcgkvm: WARNING: /dev/kvm missing"
echo "$(cut -d' ' -f1 /proc/uptime)" > /ctl/kvm-ready-uptime
stty -F /dev/console -onlcr 2>/dev/null
o=trans=virtio,version=9p2000.L,msize=512000,cache=none
if [ "$MODE" = root ]; then
	R=/newroot
	mount -t 9p -o $o,ro rootfs $R || echo "tcgkvm: root mount failed"
	mount -t proc proc $R/proc; mount -t sysfs sys $R/sys; mount -t devtmpfs dev $R/dev
	mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts devpts $R/dev/pts; mount -t tmpfs shm $R/dev/shm
	ln -sf /proc/self/fd $R/dev/fd; ln -sf /proc/self/fd/0 $R/dev/stdin
	ln -sf /proc/self/fd/1 $R/dev/stdout; ln -sf /proc/self/fd/2 $R/dev/stderr
	mount -t tmpfs tmp $R/tmp; mount -t tmpfs run $R/run
else
	R=
	mount -t tmpfs tmp /tmp
fi
if [ "$HOSTDIR" != / ]; then
	mkdir -p "$R$HOSTDIR" 2>/dev/null
	mount -t 9p -o $o host "$R$HOSTDIR" || echo "tcgkvm: host dir mount failed"
fi
cp /ctl/cmd.sh /cmd.sh
[ -n "$R" ] && cp /ctl/cmd.sh $R/run/tcgkvm-cmd.sh
if [ -n "$R" ]; then chroot $R /bin/sh /run/tcgkvm-cmd.sh; else sh /cmd.sh; fi </dev/null
echo $? > /ctl/rc
dmesg > /ctl/dmesg
sync
echo 0 > /proc/sys/kernel/printk
poweroff -f
EOF
	chmod +x "$ir/init"
	(cd "$ir" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) >"$CACHE/initrd.gz"
	cp "$CACHE/x/boot/vmlinuz-$kver" "$CACHE/vmlinuz"
	echo "$kpkg" >"$CACHE/ready.v2"
}
setup
exec 9>&-

# ---------------------------------------------------------------- one run
CTL=$(mktemp -d /tmp/tcgkvm-ctl.XXXXXX)
trap 'rm -rf "$CTL"' EXIT
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "MODE=$(q "$MODE")"
	echo "HOSTDIR=$(q "$HOSTDIR")"
	echo "KVM_PARAMS=$(q "${TCGKVM_KVM_PARAMS-mmio_caching=0}")"
	echo "KVM_AMD_PARAMS=$(q "${TCGKVM_KVM_AMD_PARAMS-}")"
} >"$CTL/env"
{
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb"
	case "$PWD/" in "${HOSTDIR%/}"/*) echo "cd $(q "$PWD")";; *) echo "cd $(q "$HOSTDIR")";; esac
	printf 'exec'; for a in "$@"; do printf ' %s' "$(q "$a")"; done; echo ' 2>&1'
} >"$CTL/cmd.sh"

args=(-accel "tcg,thread=$THREAD" -cpu max -smp "$SMP" -m "$MEM" -nodefaults -display none -no-reboot
	-serial stdio -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.gz"
	-append "console=ttyS0 quiet loglevel=$LOGLEVEL panic=-1 $LOCKUP rdinit=/init"
	-virtfs "local,path=$CTL,mount_tag=ctl,security_model=none,id=ctl")
[ "$HOSTDIR" = / ] && [ "$MODE" = root ] && ro= || ro=,readonly=on
[ "$MODE" = root ] && args+=(-virtfs "local,path=/,mount_tag=rootfs,security_model=none,id=rootfs,multidevs=remap$ro")
[ -n "${TCGKVM_QEMU_ARGS:-}" ] && args+=($TCGKVM_QEMU_ARGS)
[ "$HOSTDIR" != / ] && args+=(-virtfs "local,path=$HOSTDIR,mount_tag=host,security_model=none,id=host,multidevs=remap")

set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${args[@]}" </dev/null &
QPID=$!
trap 'kill $QPID 2>/dev/null; wait $QPID; rm -rf "$CTL"; exit 130' INT TERM HUP
wait $QPID
qrc=$?
trap - INT TERM HUP
set -e
[ -n "${TCGKVM_DMESG:-}" ] && [ -f "$CTL/dmesg" ] && cp "$CTL/dmesg" "$TCGKVM_DMESG"
[ $qrc -eq 124 ] && { echo "run-in-tcg: timed out after ${TIMEOUT}s" >&2; exit 124; }
[ -s "$CTL/rc" ] || { echo "run-in-tcg: guest did not report an exit status (qemu rc=$qrc)" >&2; exit 126; }
exit "$(cat "$CTL/rc")"
