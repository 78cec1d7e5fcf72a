#!/bin/sh
# run-with-kvm.sh PROGRAM [ARGS...]: runs a test program that needs KVM.
# With a usable /dev/kvm it runs here; without one it runs inside a Linux VM
# under QEMU's software emulation, whose emulated AMD-V gives that VM a real
# /dev/kvm (tests/kvm/run-in-tcg.sh). Slow, but the guests, the VMM and KVM
# are all real.
top=$(cd "$(dirname "$0")/.." && pwd)
if "$top/tests/kvm/have-kvm"; then
	exec "$@"
fi
echo "run-with-kvm: no usable /dev/kvm on this host; running '$*' in a KVM-capable VM under QEMU TCG" >&2
exec "$top/tests/kvm/run-in-tcg.sh" "$top" "$@"
