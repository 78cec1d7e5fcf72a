#!/bin/bash
# virsh start to the first HTTP 200 of the example site: vmmd (build/vmmd) on a
# temporary socket and state directory, the site domain (build/guest/site.elf,
# examples/site as a read-only tar disk, guest port 80 published on loopback),
# then N times: exec of `virsh start` -> first 200 on the published port (a C
# poller, no process start-up inside the measurement), `virsh destroy`.
# For comparison, the same poller on a bare `vmm run` of the same guest.
# Usage: bench/virsh-start.sh [N]   (default 10; or N=... in the environment)
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
BENCH_KNOBS="$BENCH_KNOBS SETTLE_MS"
make -s -C "$here/.." build/vmmd build/vmm build/guest/site.elf >/dev/null
need_kvm "$@"
cd "$here/.."
N=${1:-${N:-10}}
# SETTLE_MS: a pause before each start (default 0: back to back), so that
# the previous VM's teardown in the kernel is not inside the next start
SETTLE_MS=${SETTLE_MS:-0}
settle() { [ "$SETTLE_MS" = 0 ] || sleep "$(awk -v ms="$SETTLE_MS" 'BEGIN { print ms / 1000 }')"; }
T=$(mktemp -d /tmp/vmmd-start-bench.XXXXXX)
chmod 755 "$T"
vmmd_pid=
cleanup() {
	[ -n "$vmmd_pid" ] && virsh -q -c "$uri" destroy site >/dev/null 2>&1 || true
	[ -n "$vmmd_pid" ] && { kill "$vmmd_pid" 2>/dev/null; wait "$vmmd_pid" 2>/dev/null || true; }
	rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up 2>/dev/null || true # a fresh VM (the TCG fallback) has lo down
# A free port below the ephemeral range (32768 up): a port there may be the
# local end of one of the poller's own connections, and the VM's listener
# then fails with "Address already in use".
port_free() { [ -z "$(ss -Hltn "sport = :$1")" ]; }
PORT=$((20000 + $$ % 12000))
for _ in $(seq 50); do port_free "$PORT" && break; PORT=$((PORT + 1)); done
uri="vmm+unix:///system?socket=$T/sock"

# The poller (bench/start_poll.c): after `virsh start`, a bare `vmm run`, or
# virDomainCreate on an open connection, the time to the site's first 200.
cc -O2 -Wall -Wextra -o "$T/poll" bench/start_poll.c -lvirt -lpthread

tar --format=ustar -C examples/site -cf "$T/site.tar" .
cp build/guest/site.elf "$T/site.elf" # vmmd opens images only below its --images directory
cat >"$T/site.xml" <<XML
<domain type='kvm'>
  <name>site</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type><kernel>$T/site.elf</kernel></os>
  <devices>
    <disk type='file' device='disk'><source file='$T/site.tar'/><target dev='vda' bus='virtio'/><readonly/></disk>
    <vsock model='virtio'><cid auto='yes'/></vsock>
  </devices>
  <metadata>
    <vmm:vsock xmlns:vmm='urn:x-vmm:domain:1'><vmm:publish host='127.0.0.1:$PORT' guest='80'/></vmm:vsock>
  </metadata>
</domain>
XML
build/vmmd -f --socket "$T/sock" --no-ro-socket --state-dir "$T/state" --vmm "$PWD/build/vmm" --images "$T" 2>"$T/vmmd.log" &
vmmd_pid=$!
for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.1; done
virsh -q -c "$uri" define "$T/site.xml" >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

: >"$T/virsh" >"$T/bare"
for _ in $(seq "$N"); do
	settle
	if ! "$T/poll" wait "$PORT" 120000 virsh -q -c "$uri" start site >>"$T/virsh"; then
		echo "bench: the site did not answer after virsh start" >&2
		tail -n 5 "$T/vmmd.log" "$T/state/run/site.log" >&2 || true
		exit 1
	fi
	virsh -q -c "$uri" destroy site >/dev/null
	echo "  virsh start round: $(tail -1 "$T/virsh") us (to 200, to virsh exit)" >&2
done
: >"$T/api.us"
for _ in $(seq "$N"); do
	settle
	if ! "$T/poll" create "$uri" site "$PORT" >>"$T/api.us"; then
		echo "bench: the site did not answer after virDomainCreate" >&2
		tail -n 5 "$T/vmmd.log" "$T/state/run/site.log" >&2 || true
		exit 1
	fi
	virsh -q -c "$uri" destroy site >/dev/null
	echo "  API create round: $(tail -1 "$T/api.us") us" >&2
done
virsh -q -c "$uri" undefine site >/dev/null
for _ in $(seq "$N"); do
	settle
	"$T/poll" kill "$PORT" 120000 build/vmm run --kernel build/guest/site.elf --mem 64M \
		--disk "$T/site.tar,ro" --publish "127.0.0.1:$PORT:80" --console=none >>"$T/bare" 2>/dev/null
	echo "  bare vmm run round: $(tail -1 "$T/bare" | cut -d' ' -f1) us" >&2
done
virsh_alone=$(median_us "$N" 0 running virsh -q -c test:///default domstate test)
virsh_200=$(cut -d' ' -f1 "$T/virsh" | median)
virsh_ret=$(cut -d' ' -f2 "$T/virsh" | median)
bare_200=$(cut -d' ' -f1 "$T/bare" | median)
echo "virsh start to the first HTTP 200 of examples/site (site.elf, 64 MiB), median of $N (each after $SETTLE_MS ms of nothing):"
echo "  virsh start -> first 200:        $(ms "$virsh_200") ms"
echo "  (virsh start itself returned:     $(ms "$virsh_ret") ms; vmmd waits --start-wait, default 300 ms, for a failing vmm)"
echo "  virDomainCreate -> first 200:   $(ms "$(median <"$T/api.us")") ms (libvirt C API on an open connection: vmmd's own path; target at most 5 ms)"
echo "  bare vmm run -> first 200:       $(ms "$bare_200") ms (same guest and poller, no daemon)"
echo "  daemon + virsh overhead:         $(ms $((virsh_200 - bare_200))) ms"
echo "  of which virsh's own run time:   $(ms "$virsh_alone") ms (virsh -c test:///default domstate, no daemon)"
