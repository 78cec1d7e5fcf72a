#!/bin/bash
# vsock: 64-byte round trips per second and bulk MB/s between a host client
# and the vsock_echo guest (through `vmm run --publish unix:...` and a TCP
# port), each beside the same client against a host-to-host unix-socket echo
# server in the same run (the limit here). Exits per round trip come from the
# VMM's counters (VMM_STATS=1): guest notifications (each one exit, handled by
# KVM's ioeventfd) plus interrupts injected; HLT wake-ups are KVM-internal.
# RR=N round trips, MB=N MiB bulk.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_kvm "$@"
RR=${RR:-2000}
MB=${MB:-32}
T=$(mktemp -d /tmp/vmm-vsock-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
ip link set lo up 2>/dev/null || true
cc -O2 -o "$T/client" bench/vsock_client.c
PORT=$((30000 + $$ % 20000))

"$T/client" serve "$T/ref.sock" &
sleep 0.3
ref_rr=$("$T/client" rr "unix:$T/ref.sock" "$RR")
ref_bulk=$("$T/client" bulk "unix:$T/ref.sock" "$MB")

# One VM per measurement, so that its counters belong to that measurement alone.
vm() { # vm WHAT ARGS...: boots the echo guest, runs the client, prints its figure; stats to $T/stats
	VMM_STATS=1 build/vmm run --kernel build/guests/vsock_echo.elf --console=output \
		--publish "unix:$T/vm.sock:1234" --publish "$PORT:1234" >"$T/out" 2>"$T/stats" &
	local pid=$! fig
	for _ in $(seq 600); do grep -q ready "$T/out" && break; sleep 0.1; done
	fig=$("$T/client" "$@")
	kill -TERM $pid; wait $pid || true
	echo "$fig"
}
per_rt() { # counters per round trip from $T/stats
	awk -v n="$1" '/virtio-vsock: notifies/ { printf "%.2f notifications + %.2f interrupts = %.2f exits", $5 / n, $7 / n, ($5 + $7) / n }' "$T/stats"
}
vm_rr=$(vm rr "unix:$T/vm.sock" "$RR"); rr_exits=$(per_rt "$RR")
vm_tcp_rr=$(vm rr "$PORT" "$RR"); tcp_exits=$(per_rt "$RR")
vm_bulk=$(vm bulk "unix:$T/vm.sock" "$MB")
bulk_stats=$(grep 'to guest' "$T/stats" | sed 's/^vmm: stats: //')

echo "vsock echo ($RR round trips of 64 bytes, $MB MiB bulk):"
printf "  round trips/s  guest via unix socket: %8s   via TCP: %8s   host unix echo: %8s\n" "$vm_rr" "$vm_tcp_rr" "$ref_rr"
printf "  per round trip (unix): %s; (TCP): %s\n" "$rr_exits" "$tcp_exits"
printf "  bulk MB/s      guest via unix socket: %8s   host unix echo: %8s\n" "$vm_bulk" "$ref_bulk"
printf "  bulk run: %s\n" "$bulk_stats"
