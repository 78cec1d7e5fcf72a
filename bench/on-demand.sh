#!/bin/bash
# An on-demand site's first request through vmmd's front door: vmmd (build/)
# with --front 127.0.0.1:PORT and K*ROUNDS on-demand sites (16 MiB guests of
# build/guest/site.elf on one read-only tar of examples/site), each stopped
# site's first request (curl time_total, must be 200) after QUIET_MS of
# nothing. Reference, in the same run: a bare `vmm run` of the same guest,
# exec to first 200 (site_client cold), the floor vmmd's path adds to.
# BEFORE=DIR (a build directory of an older tree with vmmd and vmm, and
# vmmd-monitor where that tree had one): a second vmmd from DIR with its own
# sites and port, the rounds alternating between the two (K requests each
# per round), so a shared host's drift falls on both.
# Knobs: K (10) ROUNDS (3) QUIET_MS (500) MEM_MB (16) BEFORE.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_pkg nginx
need_pkg curl
need_pkg bc
need_pkg libvirt-clients
[ -x build/vmmd ] && [ -x build/vmm ] && [ -f build/guest/site.elf ] ||
	{ echo "on-demand bench: build first (make all)" >&2; exit 1; }
BENCH_KNOBS="$BENCH_KNOBS K ROUNDS QUIET_MS MEM_MB BEFORE"
need_kvm "$@"
K=${K:-10}
ROUNDS=${ROUNDS:-3}
QUIET_MS=${QUIET_MS:-500}
MEM_MB=${MEM_MB:-16}
die() { echo "on-demand bench: $*" >&2; exit 1; }
for v in K ROUNDS QUIET_MS MEM_MB; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || die "$v must be a positive number (got '${!v}')"
done
builds=(build)
if [ -n "${BEFORE:-}" ]; then
	for f in vmmd vmm; do [ -x "$BEFORE/$f" ] || die "BEFORE: no $BEFORE/$f"; done
	builds+=("$BEFORE")
fi
T=$(mktemp -d /tmp/on-demand-bench.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	# the VMs first, while their vmmd runs: it removes each one's cgroups
	# as it ends (killed after vmmd, they would stay behind on the host)
	pkill -KILL -f "$T/b[0-9]/vmm (run|standby)" 2>/dev/null || true
	for _ in $(seq 50); do pgrep -f "$T/b[0-9]/vmm (run|standby)" >/dev/null || break; sleep 0.1; done
	sleep 0.2
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pkill -KILL -f "$T/b[0-9]/vmm (run|standby)" 2>/dev/null || true
	# (an older tree's monitors write a status as they go): gone first, then the files
	for _ in $(seq 50); do pgrep -f "$T/b[0-9]/" >/dev/null || break; sleep 0.1; done
	rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up 2>/dev/null || true
bench_site_tar "$T"
cc -O2 -o "$T/site_client" bench/site_client.c
BASE=$((30000 + $$ % 20000))

# One vmmd per build, each in $T/bI with copies of its programs (an older
# vmmd finds vmmd-monitor beside itself) and K*ROUNDS sites sI.example.test.
for i in "${!builds[@]}"; do
	d=$T/b$i
	mkdir -p "$d/state"
	cp "${builds[$i]}"/{vmmd,vmm} "$d/"
	[ ! -x "${builds[$i]}/vmmd-monitor" ] || cp "${builds[$i]}/vmmd-monitor" "$d/"
	cp build/guest/site.elf "$T/site.tar" "$d/"
	"$d/vmmd" -f --socket "$d/sock" --no-ro-socket --state-dir "$d/state" --vmm "$d/vmm" --images "$d" \
		--front "127.0.0.1:$((BASE + i))" --front-workers 1 2>"$d/vmmd.log" &
	pids+=($!)
	for _ in $(seq 200); do [ -S "$d/sock" ] && break; sleep 0.05; done
	[ -S "$d/sock" ] || { tail -5 "$d/vmmd.log" >&2; die "vmmd of ${builds[$i]} did not start"; }
	for k in $(seq $((K * ROUNDS))); do
		printf '%s' "<domain type='kvm'><name>s$k</name><memory unit='MiB'>$MEM_MB</memory><vcpu>1</vcpu>" \
			"<os><type>hvm</type><kernel>$d/site.elf</kernel></os><devices>" \
			"<disk type='file' device='disk'><source file='$d/site.tar'/><target dev='vda' bus='virtio'/><readonly/></disk>" \
			"<vsock model='virtio'><cid auto='yes'/></vsock></devices><metadata>" \
			"<vmm:site xmlns:vmm='urn:x-vmm:domain:1' on-demand='yes' idle-stop='600'>" \
			"<vmm:host name='s$k.example.test'/></vmm:site></metadata></domain>" >"$d/s$k.xml"
		echo "define $d/s$k.xml"
	done | virsh -q -c "vmm+unix:///system?socket=$d/sock" >/dev/null
	: >"$d/times"
done
# the front doors' nginx reloads settle
for i in "${!builds[@]}"; do
	for _ in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: none.example.test' "http://127.0.0.1:$((BASE + i))/")" != 000 ] && break
		sleep 0.05
	done
done
sleep 1
for r in $(seq "$ROUNDS"); do
	for i in "${!builds[@]}"; do
		for k in $(seq $(((r - 1) * K + 1)) $((r * K))); do
			sleep "$(echo "$QUIET_MS / 1000" | bc -l)"
			curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Host: s$k.example.test" \
				"http://127.0.0.1:$((BASE + i))/" >>"$T/b$i/times" || true
		done
	done
done
ref=$("$T/site_client" cold "$((K * ROUNDS))" "$((BASE + 10))" "$PWD/build/vmm" run --kernel build/guest/site.elf \
	--mem "${MEM_MB}M" --disk "$T/site.tar,ro" --publish "127.0.0.1:$((BASE + 10)):80" --console=none)
read -r rmed _ _ rfails _ <<<"$ref"
[ "$rfails" = 0 ] || die "$rfails bare vmm run starts gave no 200"

med() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "On-demand site's first request through vmmd's front door ($MEM_MB MiB guests, each after $QUIET_MS ms of nothing;" \
	"host: $(host_kind), $(nproc) CPUs):"
for i in "${!builds[@]}"; do
	d=$T/b$i
	ok=$(grep -c '^200 ' "$d/times" || true)
	[ "$ok" = $((K * ROUNDS)) ] || { tail -5 "$d/vmmd.log" >&2; die "${builds[$i]}: $ok of $((K * ROUNDS)) first requests got 200"; }
	ms=$(awk '{ print $2 * 1000 }' "$d/times")
	printf "  %-34s median %.2f ms, p90 %.2f ms (%d requests; target at most 5 ms)\n" \
		"$([ "$i" = 0 ] && echo "this build" || echo "BEFORE (${builds[$i]})")" "$(med <<<"$ms")" \
		"$(sort -n <<<"$ms" | awk '{ v[NR] = $1 } END { print v[int(NR * 0.9 + 0.5)] }')" "$ok"
done
printf "  %-34s median %.2f ms (%d starts: exec to first 200)\n" "reference: bare vmm run" \
	"$(echo "$rmed / 1000" | bc -l)" $((K * ROUNDS))
