#!/bin/bash
# Resident memory of the VMM beyond guest RAM while the hello guest idles:
# every mapping's Rss from /proc/PID/smaps except the guest-RAM mapping.
# QEMU's microvm with the same guest is measured the same way for reference.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_kvm "$@"
GUEST=build/guests/hello.elf
MEM_MB=64

# Prints "total_kib guest_kib" for PID: the guest-RAM mapping is the
# anonymous one exactly MEM_MB long.
rss_split() {
	awk -v ram=$((MEM_MB * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF == 5); guest = 0 }
		/^Size:/ { guest = (anon && $2 == ram) }
		/^Rss:/ { total += $2; if (guest) g += $2 }
		END { print total, g }' "/proc/$1/smaps"
}

# measure LABEL READY CMD...: measured only once the guest printed READY and
# while it still runs; otherwise the line says FAILED and why.
measure() {
	local label=$1 ready=$2 out pid total= guest=
	shift 2
	out=$(mktemp)
	"$@" </dev/null >"$out" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		grep -q "$ready" "$out" || ! kill -0 "$pid" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.5
	if grep -q "$ready" "$out" && kill -0 "$pid" 2>/dev/null; then
		read -r total guest <<EOF2
$(rss_split "$pid")
EOF2
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -z "$total" ]; then
		printf "  %-18s FAILED: '%s' never appeared, or it exited; its output ends:\n" "$label" "$ready"
		tail -c 1500 "$out" | sed 's/^/    /'
		rm -f "$out"
		failed=1
		return 0
	fi
	rm -f "$out"
	printf "  %-18s total %7d KiB, guest RAM %6d KiB, VMM beyond guest RAM %6d KiB\n" "$label" "$total" "$guest" $((total - guest))
}

need_pkg qemu-system-x86
failed=0
echo "resident memory while the hello guest idles (${MEM_MB} MiB guest; host: $(host_kind)):"
measure "vmm run:" "hello: idling" build/vmm run --kernel "$GUEST" --mem ${MEM_MB}M --cmdline idle=1 --console=output
measure "qemu -M microvm:" "hello: idling" qemu-system-x86_64 -M microvm -enable-kvm -cpu "$QEMU_CPU" -m ${MEM_MB}M \
	-nodefaults -no-user-config -display none -serial stdio -append idle=1 -kernel "$GUEST"
echo "  (target for vmm: under 1024 KiB beyond guest RAM)"
exit $failed
