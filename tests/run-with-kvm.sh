#!/bin/sh
# run-with-kvm.sh PROGRAM [ARGS...]: runs a test program that needs KVM.
# With a usable /dev/kvm it runs here; without one it runs inside a Linux VM
# under QEMU's software emulation, whose emulated AMD-V gives that VM a real
# /dev/kvm (tests/kvm/run-in-tcg.sh). Slow, but the guests, the VMM and KVM
# are all real. That emulation occasionally loses an interrupt wake-up or
# stalls a vCPU, which shows up as a hung or timed-out test, so a program that
# fails there is run once more; a real failure fails both times. Our KVM
# programs take under 3 minutes there, so the first try gets 450 s; the
# second runs the emulated CPUs on one host thread (slower, but the hangs
# look like races between TCG's threads) and gets 600 s.
top=$(cd "$(dirname "$0")/.." && pwd)
if "$top/tests/kvm/have-kvm"; then
	exec "$@"
fi
echo "run-with-kvm: no usable /dev/kvm on this host; running '$*' in a KVM-capable VM under QEMU TCG" >&2
for try in 1 2; do
	if [ $try = 1 ]; then
		TCGKVM_TIMEOUT=${TCGKVM_TIMEOUT:-450} "$top/tests/kvm/run-in-tcg.sh" "$top" "$@"
	else
		TCGKVM_TIMEOUT=${TCGKVM_TIMEOUT:-600} TCGKVM_THREAD=${TCGKVM_THREAD:-single} \
			"$top/tests/kvm/run-in-tcg.sh" "$top" "$@"
	fi
	rc=$?
	[ $rc -eq 0 ] && exit 0
	echo "run-with-kvm: '$*' failed under emulation (status $rc), try $try of 2" >&2
done
exit $rc
