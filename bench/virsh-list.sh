#!/bin/sh
# virsh list --all with 100 defined domains: vmmd against libvirt's own test
# driver (test:///default, in-process), measured in the same run.
# Usage: bench/virsh-list.sh [ROUNDS]   (builds build/vmmd first)
set -e
rounds=${1:-20}
make -s build/vmmd build/vmm >/dev/null
dir=$(mktemp -d /tmp/vmmd-bench-XXXXXX)
build/vmmd -f --socket "$dir/sock" --state-dir "$dir/state" --vmm build/vmm 2>"$dir/vmmd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
uri="vmm+unix:///system?socket=$dir/sock"
for _ in $(seq 50); do [ -S "$dir/sock" ] && break; sleep 0.1; done
for i in $(seq 100); do
	cat >"$dir/d.xml" <<XML
<domain type='kvm'><name>site$i</name><memory unit='MiB'>64</memory>
<os><type>hvm</type><kernel>/boot/site.elf</kernel></os></domain>
XML
	virsh -q -c "$uri" define "$dir/d.xml" >/dev/null
done
[ "$(virsh -q -c "$uri" list --all --name | grep -c site)" = 100 ] || { echo "bench: setup failed" >&2; exit 1; }

# average wall time of ROUNDS runs of a command, in ms
avg_ms() {
	start=$(date +%s%N)
	for _ in $(seq "$rounds"); do "$@" >/dev/null; done
	end=$(date +%s%N)
	echo $(( (end - start) / rounds / 1000000 ))
}
ours=$(avg_ms virsh -c "$uri" list --all)
test_drv=$(avg_ms virsh -c test:///default list --all)
echo "virsh list --all, 100 defined domains, mean of $rounds runs:"
echo "  vmmd (vmm+unix socket):        ${ours} ms"
echo "  test:///default (1 domain, in-process driver): ${test_drv} ms"
