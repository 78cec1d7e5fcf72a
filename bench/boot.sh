#!/bin/bash
# Boot time: exec of `vmm run --kernel hello` to its exit, median of N runs,
# against QEMU's microvm machine booting the same guest, in the same run.
# Each run must exit as expected and the guest must have printed its line;
# a run that does not is reported as a failure, not timed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_kvm "$@"
N=${N:-20}
GUEST=build/guests/hello.elf
GREETING="Hello from the guest!"
need_pkg qemu-system-x86

echo "boot (exec to exit, hello guest, median of $N; host: $(host_kind)):"
failed=0
if vmm_us=$(median_us "$N" 0 "$GREETING" build/vmm run --kernel "$GUEST"); then
	printf "  vmm run:            %8.2f ms\n" "$(echo "$vmm_us / 1000" | bc -l)"
else
	echo "  vmm run:            FAILED (above)"
	failed=1
fi
# microvm has no power device at our port, so the guest's power-off write
# goes to isa-debug-exit there (QEMU then exits with status 1 for code 0).
if qemu_us=$(median_us "$N" 1 "$GREETING" qemu-system-x86_64 -M microvm -enable-kvm -cpu "$QEMU_CPU" -m 64M \
	-nodefaults -no-user-config -display none -serial stdio -device isa-debug-exit,iobase=0x604,iosize=4 \
	-kernel "$GUEST"); then
	printf "  qemu -M microvm:    %8.2f ms\n" "$(echo "$qemu_us / 1000" | bc -l)"
else
	echo "  qemu -M microvm:    FAILED (above)"
	failed=1
fi
[ $failed = 0 ] || exit 1
printf "  ratio vmm/qemu:     %8.2f  (target: at most 0.5)\n" "$(echo "$vmm_us / $qemu_us" | bc -l)"
