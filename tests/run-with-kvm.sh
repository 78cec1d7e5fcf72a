#!/bin/sh
# run-with-kvm.sh PROGRAM [ARGS...]: runs a test program that needs KVM.
# With a usable /dev/kvm it runs here; without one it runs inside a Linux VM
# under QEMU's software emulation, whose emulated AMD-V gives that VM a real
# /dev/kvm (tests/kvm/run-in-tcg.sh). Slow, but the guests, the VMM and KVM
# are all real. That emulation occasionally loses an interrupt wake-up or
# stalls a vCPU, which shows up as a hung or timed-out test, so a program that
# fails there is run once more; a real failure fails both times.
top=$(cd "$(dirname "$0")/.." && pwd)
if "$top/tests/kvm/have-kvm"; then
	exec "$@"
fi
echo "run-with-kvm: no usable /dev/kvm on this host; running '$*' in a KVM-capable VM under QEMU TCG" >&2
export TCGKVM_TIMEOUT="${TCGKVM_TIMEOUT:-600}"
for try in 1 2; do
	"$top/tests/kvm/run-in-tcg.sh" "$top" "$@"
	rc=$?
	[ $rc -eq 0 ] && exit 0
	echo "run-with-kvm: '$*' failed under emulation (status $rc), try $try of 2" >&2
done
exit $rc
