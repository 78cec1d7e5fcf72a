#!/bin/bash
# Boot time: exec of `vmm run --kernel hello` to its exit, median of N runs,
# against QEMU's microvm machine booting the same guest, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_kvm "$@"
N=${N:-20}
GUEST=build/guests/hello.elf
need_pkg qemu-system-x86

vmm_us=$(median_us "$N" build/vmm run --kernel "$GUEST")
# microvm has no power device at our port, so the guest's power-off write
# goes to isa-debug-exit there (QEMU then exits with status 1).
qemu_us=$(median_us "$N" qemu-system-x86_64 -M microvm -enable-kvm -cpu host -m 64M -nodefaults -no-user-config \
	-display none -serial stdio -device isa-debug-exit,iobase=0x604,iosize=4 -kernel "$GUEST")
echo "boot (exec to exit, hello guest, median of $N):"
printf "  vmm run:            %8.2f ms\n" "$(echo "$vmm_us / 1000" | bc -l)"
printf "  qemu -M microvm:    %8.2f ms\n" "$(echo "$qemu_us / 1000" | bc -l)"
printf "  ratio vmm/qemu:     %8.2f  (target: at most 0.5)\n" "$(echo "$vmm_us / $qemu_us" | bc -l)"
