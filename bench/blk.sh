#!/bin/bash
# virtio-blk: 4 KiB random-read IOPS (32 in flight) and sequential MB/s
# (128 KiB reads) from a guest, against the same reads done by a host
# process on the same (page-cached) file, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_kvm "$@"
READS=${READS:-20000}
SIZE_MB=${SIZE_MB:-64}
disk=$(mktemp /tmp/vmm-bench-disk.XXXXXX)
trap 'rm -f "$disk"' EXIT
head -c $((SIZE_MB << 20)) /dev/urandom >"$disk"

# Timestamps each marker line of the guest's output as it arrives.
marks=$(mktemp)
trap 'rm -f "$disk" "$marks"' EXIT
build/vmm run --kernel build/guests/blk_bench.elf --disk "$disk,ro" --cmdline "reads=$READS" --console=output |
	while IFS= read -r line; do
		case "$line" in
		"bench: "*) echo "$(date +%s%N) ${line#bench: }" >>"$marks" ;;
		esac
	done
at() { awk -v m="$1" '{ t = $1; $1 = ""; if (substr($0, 2) ~ "^" m) { print t; exit } }' "$marks"; }
t_rand=$(( $(at "random done") - $(at "random start") ))
seq_bytes=$(( (SIZE_MB << 20) / (128 << 10) * (128 << 10) ))
t_seq=$(( $(at "sequential done") - $(at "sequential start") ))

host=$(python3 - "$disk" "$READS" <<'PY'
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY); n = int(sys.argv[2]); size = os.fstat(fd).st_size
blocks = size // 4096; rnd = random.Random(1)
t = time.perf_counter()
for _ in range(n): os.pread(fd, 4096, rnd.randrange(blocks) * 4096)
t_rand = time.perf_counter() - t
t = time.perf_counter(); off = 0
while off + 131072 <= size: os.pread(fd, 131072, off); off += 131072
print(n / t_rand, off / (time.perf_counter() - t) / 1e6)
PY
)
read -r host_iops host_mbs <<<"$host"
echo "virtio-blk ($SIZE_MB MiB page-cached file, $READS random reads):"
printf "  guest 4 KiB random reads: %10.0f IOPS   host process: %10.0f IOPS\n" \
	"$(echo "$READS / ($t_rand / 1000000000)" | bc -l)" "$host_iops"
printf "  guest sequential 128 KiB: %10.1f MB/s   host process: %10.1f MB/s\n" \
	"$(echo "$seq_bytes / ($t_seq / 1000)" | bc -l)" "$host_mbs"
