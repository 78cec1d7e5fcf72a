#!/bin/bash
# The site image (build/guest/site.elf serving examples/site from a tar disk):
#  (a) cold start: exec of `vmm run` to the first 200 on the published port,
#      median of N (a C poller, bench/site_client.c: no process start-up inside);
#      and handed to a `vmm standby` (vmmd's way) against exec'd, interleaved;
#  (b) memory after 10,000 keep-alive requests: guest pages touched (Rss of the
#      guest-RAM mappings in /proc/PID/smaps; those of the VM's own, and the
#      kernel's shared ones) plus the VMM's own (the rest of Rss);
#  (c) requests/s for a 1 KiB file with keep-alive, wrk against our guest and
#      against nginx on the host serving the same file, same client settings;
#      and against the guest's web stack run as a host process
#      (bench/http_native.c), which separates its cost from the VM's; the
#      server's CPU time per request over each wrk run (vmm process, nginx's
#      worker, the native process; wrk's own CPU in none of them);
#  (d) latency: p50, p99 and mean of LAT_N (20,000) GETs of the 1 KiB file
#      after LAT_WARM (1,000), one at a time on one keep-alive connection
#      (site_client latency), against the guest, nginx and the native stack.
# Exits are counted twice: by the guest (its own MMIO/port accesses) and by
# KVM (`vmm run --exit-stats`: every exit, also the interrupt, halt and
# interrupt-window exits the kernel handles without vmm).
# N=cold starts, REQS=requests before the memory figure, WRK="wrk options",
# LAT_N/LAT_WARM=timed/warm-up requests of the latency figure.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_pkg wrk
need_pkg nginx
# The helpers are built here, before a possible rerun under emulation (where
# compiling is slow); build/ is shared with it.
[ -x build/vmm ] && [ -f build/guest/site.elf ] || { echo "site bench: build first (make all)" >&2; exit 1; }
mkdir -p build/bench
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o build/bench/site_client bench/site_client.c
cc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iguest -o build/bench/http_native bench/http_native.c \
	guest/http/*.c
need_kvm "$@"
N=${N:-20}
REQS=${REQS:-10000}
MEM_MB=64
WRK=${WRK:--t1 -c8 -d10s}
LAT_N=${LAT_N:-20000}
LAT_WARM=${LAT_WARM:-1000}
T=$(mktemp -d /tmp/vmm-site-bench.XXXXXX)
chmod 755 "$T"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
ip link set lo up 2>/dev/null || true
PORT=$((30000 + $$ % 20000))
# Everything a start reads comes from local files (under emulation the
# repository is a 9p share without a page cache, which would dominate).
cp build/vmm build/guest/site.elf build/bench/site_client build/bench/http_native "$T/"
VMM=$T/vmm
KERNEL=$T/site.elf

# The example site, plus a 1 KiB file for (c).
bench_site_tar "$T"

echo "site image (build/guest/site.elf, examples/site + 1k.html, ${MEM_MB} MiB guest; host: $(host_kind)):"

# (a) Cold start.
cold=$("$T/site_client" cold "$N" "$PORT" "$VMM" run --kernel "$KERNEL" --mem ${MEM_MB}M \
	--disk "$T/site.tar,ro" --publish "127.0.0.1:$PORT:80" --console=none)
read -r med min max fails conn <<<"$cold"
printf "  cold start (exec to first 200, median of %d): %8.2f ms (min %.2f, max %.2f; target at most 5 ms)\n" \
	$((N - fails)) "$(echo "$med / 1000" | bc -l)" "$(echo "$min / 1000" | bc -l)" "$(echo "$max / 1000" | bc -l)"
[ "$fails" = 0 ] || echo "  ($fails of $N starts gave no 200 within 60 s)"
printf "    of which exec to the VMM listening on the port: %.2f ms (median); the rest is VM set-up, guest boot, first request\n" \
	"$(echo "$conn / 1000" | bc -l)"
# cold_batch KIND: 5 cold starts of KIND (exec: ours exec'd; before: the
# BEFORE binary exec'd; standby: ours handed to a `vmm standby`, its VM,
# vCPU 0 and jail made beforehand, as vmmd keeps one ready), their times
# appended to $T/cold.KIND; stops the bench on a start with no 200.
cold_batch() {
	local mode=cold bin=$VMM mem=() out fails
	case $1 in
	before) bin=$T/vmm.before ;;
	standby) mode=standby mem=(${MEM_MB}M) ;;
	esac
	out=$(SITE_CLIENT_DEBUG=1 "$T/site_client" "$mode" 5 "$PORT" "${mem[@]}" "$bin" run --kernel "$KERNEL" \
		--mem ${MEM_MB}M --disk "$T/site.tar,ro" --publish "127.0.0.1:$PORT:80" --console=none 2>"$T/cold.err") || true
	read -r _ _ _ fails _ <<<"$out"
	if [ "${fails:-1}" != 0 ]; then
		echo "site bench: a cold start ($1, $bin) FAILED:" >&2
		tail -5 "$T/cold.err" >&2
		exit 1
	fi
	sed -n 's/^cold [0-9]*: \([0-9]*\) us.*/\1/p' "$T/cold.err" >>"$T/cold.$1"
}
# interleave A B: about N cold starts of each kind, in alternating batches
# of 5 (which goes first alternates too), so that a shared host's drift
# falls on both.
interleave() {
	: >"$T/cold.$1"
	: >"$T/cold.$2"
	for r in $(seq $(((N + 4) / 5))); do
		if [ $((r % 2)) = 0 ]; then
			cold_batch "$2"
			cold_batch "$1"
		else
			cold_batch "$1"
			cold_batch "$2"
		fi
	done
}
cold_med() { sort -n "$T/cold.$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }' |
	awk '{ printf "%.2f", $1 / 1000 }'; }
interleave exec standby
printf "  cold start handed to a vmm standby, to first 200, median of %d: %s ms; exec'd in the same run: %s ms\n" \
	"$(wc -l <"$T/cold.standby")" "$(cold_med standby)" "$(cold_med exec)"
# BEFORE=path of another vmm binary (an older build): its cold start and
# ours again, interleaved.
if [ -n "${BEFORE:-}" ]; then
	cp "$BEFORE" "$T/vmm.before"
	interleave exec before
	printf "  cold start interleaved with BEFORE (%s), median of %d each: %s ms, before %s ms\n" "$BEFORE" \
		"$(wc -l <"$T/cold.exec")" "$(cold_med exec)" "$(cold_med before)"
fi

# Starts the guest on $PORT (counters on $PORT+1); waits until it listens.
boot() {
	"$VMM" run --kernel "$KERNEL" --mem ${MEM_MB}M --disk "$T/site.tar,ro" --publish "127.0.0.1:$PORT:80" \
		--publish "127.0.0.1:$((PORT + 1)):81" --console=output "$@" >"$T/console" 2>"$T/stderr" &
	vm=$!
	for _ in $(seq 600); do grep -q 'site: listening' "$T/console" && return 0; sleep 0.1; done
	echo "site bench: the guest did not come up" >&2
	cat "$T/console" "$T/stderr" >&2
	return 1
}
stop() {
	kill -PWR "$vm"
	local rc=0
	wait "$vm" || rc=$?
	if [ $rc != 0 ]; then
		echo "  (vmm exited with $rc after SIGPWR; its stderr and the end of the console follow)"
		sed 's/^/    | /' "$T/stderr"
		tail -c 2000 "$T/console" | sed 's/^/    | /'
	fi
}
# kvm_exit KEY: a counter from the --exit-stats line of the last run (0 if absent).
kvm_exit() { grep -m1 'exit stats vcpu0' "$T/stderr" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'; }
kvm_exit_list() { grep -m1 'exit stats vcpu0' "$T/stderr" | sed 's/.*exit stats vcpu0 //'; }

# Exits of one boot: to listening, one request, power-off (KVM's count).
boot --exit-stats || exit 1
curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || { echo "site bench: / not served" >&2; exit 1; }
stop
boot_exits=$(kvm_exit exits)
boot_user=$(kvm_exit userspace_exits)
printf "  exits of one boot (to listening, one request, power-off), as KVM counts them: %d, of which %d reached vmm\n" \
	"$boot_exits" "$boot_user"
printf "    (%s)\n" "$(kvm_exit_list)"

# (b) Memory after REQS requests over the example pages.
boot || exit 1
rate=$("$T/site_client" load "$PORT" "$REQS")
sleep 0.5
# Rss split three ways: guest RAM (its mappings carry MADV_NOHUGEPAGE, "nh"
# in VmFlags: the anonymous RAM and the kernel's pages mapped over it from
# vmm's copy of the kernel file), of which the VM's own pages are the
# anonymous ones (RAM it touched, kernel pages it wrote) and the rest are
# shared with every VM booted from the same kernel; the VMM's private memory
# (anonymous: heap, stacks, buffers); and file pages (the binary: shared by
# every VM on the host).
read -r total guest gpriv anon <<<"$(awk '
	/^[0-9a-f]+-[0-9a-f]+ / { rss = 0; an = 0 }
	/^Rss:/ { rss = $2; total += $2 }
	/^Anonymous:/ { an = $2 }
	/^VmFlags:/ { if (/ nh/) { guest += rss; gpriv += an } else anon += an }
	END { print total, guest, gpriv, anon }' "/proc/$vm/smaps")"
stats=$(curl -s "http://127.0.0.1:$((PORT + 1))/")
alloc=$(echo "$stats" | awk '$1 == "memory_allocated_bytes" { print int($2 / 1024) }')
boot_us=$(echo "$stats" | awk '$1 == "boot_to_listen_us" { print $2 }')
vm_us=$(echo "$stats" | awk '$1 == "vm_start_to_listen_us" { print $2 }')
stop
printf "  memory after %d keep-alive requests (%s req/s on one connection):\n" "$REQS" "$rate"
printf "    guest pages touched  %6d KiB (the guest's allocator handed out %s KiB beyond its image)\n" "$guest" "${alloc:-?}"
printf "      of which its own   %6d KiB (the rest: kernel pages shared by every VM booted from that kernel)\n" "$gpriv"
printf "    VMM private memory   %6d KiB (anonymous: heap, stacks, buffers)\n" "$anon"
printf "    VMM file pages       %6d KiB (binary and libraries, shared by all VMs on a host)\n" $((total - guest - anon))
printf "    together             %6d KiB = %.2f MiB (target under 8 MiB); per extra VM %.2f MiB\n" "$total" \
	"$(echo "$total / 1024" | bc -l)" "$(echo "($gpriv + $anon) / 1024" | bc -l)"
printf "  that boot, from the guest's counters: kernel entry to listening %.1f ms, VM creation to listening %.1f ms\n" \
	"$(echo "${boot_us:-0} / 1000" | bc -l)" "$(echo "${vm_us:-0} / 1000" | bc -l)"

# (c) Requests/s, 1 KiB file, keep-alive: our guest, then nginx (one worker,
# as the guest has one vCPU), with the same wrk settings.
# print_rate LABEL RATE NON2XX [NOTE]
print_rate() {
	if rate_ok "$2" "$3"; then
		printf "    %-20s %10s  (non-2xx: %s%s)\n" "$1" "$2" "$3" "${4:+; $4}"
	else
		printf "    %-20s     FAILED  (wrk measured %s requests/s, %s non-2xx; its output ends:)\n" "$1" "$2" "$3"
		tail -5 "$T/wrk" | sed 's/^/      | /'
	fi
}
# Where the time goes: the guest's idle time (its counters) and the CPU the
# VMM process used (vCPU and I/O threads), over the wrk run.
counter() { awk -v k="$1" '$1 == k { print $2 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
vcpu_ticks() { cat /proc/"$1"/task/*/comm | paste - <(awk '{ print $14 + $15 }' /proc/"$1"/task/*/stat) |
	awk '$1 ~ /^vcpu/ { t += $2 } END { print t + 0 }'; }
pct() { echo "$1 * 100 * 1000000 / $(getconf CLK_TCK) / $2" | bc -l; }
# guest_rate LABEL [vmm options]: boots the guest, runs wrk, prints one line
# and the guest's breakdown; leaves the rate in $rate_out.
guest_rate() {
	local label=$1 idle0 idle1 cpu0 cpu1 vcpu0 vcpu1 t0 t1 ta tb bad stats wall
	shift
	boot --exit-stats "$@" || return 1
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/1k.html" || { echo "site bench: 1k.html not served" >&2; exit 1; }
	# the guest's idle time spans the two counter reads, so its window does too
	ta=$(date +%s%N)
	idle0=$(curl -s "http://127.0.0.1:$((PORT + 1))/" | counter idle_us)
	cpu0=$(cpu_ticks "$vm")
	vcpu0=$(vcpu_ticks "$vm")
	t0=$(date +%s%N)
	read -r rate_out bad <<<"$(wrk_rate "http://127.0.0.1:$PORT/1k.html")"
	t1=$(date +%s%N)
	cpu1=$(cpu_ticks "$vm")
	vcpu1=$(vcpu_ticks "$vm")
	# for the CPU per request: the vmm process's and its vCPU thread's
	# ticks over the wrk run, and the requests wrk completed in it
	cpu_out=$((cpu1 - cpu0))
	vcpu_out=$((vcpu1 - vcpu0))
	reqs_out=$(wrk_requests)
	stats=$(curl -s "http://127.0.0.1:$((PORT + 1))/")
	tb=$(date +%s%N)
	idle1=$(echo "$stats" | counter idle_us)
	stop
	wall=$(((t1 - t0) / 1000))
	print_rate "$label" "$rate_out" "$bad"
	rate_ok "$rate_out" "$bad" || return 1
	wrk_cpu_line
	printf "      guest: %.2f ring-0 entries and %.2f exits per request, idle %.0f%% of the run;\n" \
		"$(echo "$stats" | counter ring0_entries_per_request_x1000 | awk '{ print $1 / 1000 }')" \
		"$(echo "$stats" | counter exits_per_request_x1000 | awk '{ print $1 / 1000 }')" \
		"$(echo "($idle1 - $idle0) * 100000 / ($tb - $ta)" | bc -l)"
	reqs=$(echo "$stats" | counter requests)
	per_req() { echo "($(kvm_exit "$1") - ${2:-0}) / ${reqs:-1}" | bc -l; }
	printf "      KVM: %.2f exits per request (%.2f reached vmm; halt %.2f, external interrupt %.2f, io %.2f, mmio %.2f)\n" \
		"$(per_req exits "$boot_exits")" "$(per_req userspace_exits "$boot_user")" "$(per_req halt_exits)" \
		"$(per_req irq_exits)" "$(per_req io_exits)" "$(per_req mmio_exits)"
	printf "      vmm CPU %.0f%% of one core (vCPU thread incl. guest %.0f%%, the rest %.0f%%)\n" \
		"$(pct $((cpu1 - cpu0)) "$wall")" "$(pct $((vcpu1 - vcpu0)) "$wall")" \
		"$(pct $((cpu1 - cpu0 - vcpu1 + vcpu0)) "$wall")"
}
echo "  requests/s, 1 KiB file, keep-alive (wrk $WRK; $(nproc) CPUs here):"
guest_rate "vmm site guest" || exit 1
ours=$rate_out
read -r ours_cpu ours_vcpu ours_reqs <<<"$cpu_out $vcpu_out $reqs_out"
# KVM's halt polling keeps an idle vCPU's thread spinning for a while after
# each hlt; the site guest idles between requests, so compare without it.
ours_nopoll=
if guest_rate "  --halt-poll-ns 0" --halt-poll-ns 0 2>"$T/nopoll.err"; then ours_nopoll=$rate_out
	read -r nopoll_cpu nopoll_vcpu nopoll_reqs <<<"$cpu_out $vcpu_out $reqs_out"; else
	echo "    (--halt-poll-ns 0 not measured: $(grep -m1 vmm: "$T/nopoll.err"))"; fi
ref_nginx_conf "	server { listen 127.0.0.1:$((PORT + 2)); root $T/www; }"
nginx -e "$T/nginx.err" -p "$T" -c "$T/nginx.conf" &
ng=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 2))/1k.html" && break; sleep 0.1; done
# nginx's CPU is its one worker's (the master forks it and then only waits)
ngw=$(pgrep -P "$ng" | head -1) || true
[ -n "$ngw" ] || { echo "site bench: nginx's worker process not found (children of $ng)" >&2; exit 1; }
ngw0=$(cpu_ticks "$ngw")
read -r theirs theirs_bad <<<"$(wrk_rate "http://127.0.0.1:$((PORT + 2))/1k.html")"
theirs_cpu=$(($(cpu_ticks "$ngw") - ngw0))
theirs_reqs=$(wrk_requests)
print_rate "nginx on the host" "$theirs" "$theirs_bad"
wrk_cpu_line
kill -QUIT "$ng"
wait "$ng" || true
# The same web stack as a host process (bench/http_native.c): what it costs
# per request where its ring-3 code runs natively, without the VM's exits.
"$T/http_native" "$T/site.tar" $((PORT + 3)) "$T/native.log" &
hn=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 3))/1k.html" && break; sleep 0.1; done
hn0=$(cpu_ticks "$hn")
read -r native native_bad <<<"$(wrk_rate "http://127.0.0.1:$((PORT + 3))/1k.html")"
native_cpu=$(($(cpu_ticks "$hn") - hn0))
native_reqs=$(wrk_requests)
print_rate "guest/http natively" "$native" "$native_bad" "the web stack as a host process, no VM"
kill "$hn"
wait "$hn" || true
rate_ok "$theirs" "$theirs_bad" || { echo "site bench: the nginx reference failed: no ratio" >&2; exit 1; }
printf "    ratio vmm/nginx      %10.2f  (target at least 1.0)\n" "$(echo "$ours / $theirs" | bc -l)"
[ -z "$ours_nopoll" ] || printf "    ratio vmm/nginx      %10.2f  with --halt-poll-ns 0\n" "$(echo "$ours_nopoll / $theirs" | bc -l)"
rate_ok "$native" "$native_bad" || exit 1
printf "    ratio native/nginx   %10.2f\n" "$(echo "$native / $theirs" | bc -l)"
# CPU time per request: a server process's utime+stime over its wrk run
# (/proc/PID/stat, clock ticks of 1/CLK_TCK s) over the requests wrk completed.
us_per_req() { echo "$1 * 1000000 / $(getconf CLK_TCK) / $2" | bc -l; }
for v in "$ours_reqs" "$theirs_reqs" "$native_reqs"; do
	[ "$v" -gt 0 ] || { echo "site bench: no request count in a wrk output: no CPU per request" >&2; exit 1; }
done
printf "    CPU per request: vmm %.1f us (vCPU thread %.1f us, rest %.1f us), nginx %.1f us; ratio vmm/nginx %.2f\n" \
	"$(us_per_req "$ours_cpu" "$ours_reqs")" "$(us_per_req "$ours_vcpu" "$ours_reqs")" \
	"$(us_per_req $((ours_cpu - ours_vcpu)) "$ours_reqs")" "$(us_per_req "$theirs_cpu" "$theirs_reqs")" \
	"$(echo "($ours_cpu / $ours_reqs) / ($theirs_cpu / $theirs_reqs)" | bc -l)"
[ -z "$ours_nopoll" ] || [ "${nopoll_reqs:-0}" -le 0 ] ||
	printf "      with --halt-poll-ns 0: vmm %.1f us (vCPU thread %.1f us, rest %.1f us); ratio vmm/nginx %.2f\n" \
		"$(us_per_req "$nopoll_cpu" "$nopoll_reqs")" "$(us_per_req "$nopoll_vcpu" "$nopoll_reqs")" \
		"$(us_per_req $((nopoll_cpu - nopoll_vcpu)) "$nopoll_reqs")" \
		"$(echo "($nopoll_cpu / $nopoll_reqs) / ($theirs_cpu / $theirs_reqs)" | bc -l)"
printf "      guest/http natively: %.1f us\n" "$(us_per_req "$native_cpu" "$native_reqs")"
printf "      (each server's process CPU, utime+stime over its wrk run / requests wrk completed; the vCPU thread's\n"
printf "      includes the guest's time and KVM's halt polling; wrk's own CPU is excluded from all of them)\n"

# (d) Latency: one request at a time on one keep-alive connection, each timed
# by the client from its write to the last byte of the body; every response
# must be a complete 200, else the server FAILED and no figure is printed.
# lat_line LABEL PORT: measures and prints one row; fails on a failed request.
lat_line() {
	local out p50 p99 mean cnt
	if ! out=$("$T/site_client" latency "$2" "$LAT_N" /1k.html "$LAT_WARM" 2>"$T/lat.err"); then
		printf "    %-20s  FAILED  (site_client latency:)\n" "$1"
		sed 's/^/      | /' "$T/lat.err"
		return 1
	fi
	read -r p50 p99 mean cnt <<<"$out"
	printf "    %-20s %9.1f %9.1f %9.1f  (%d requests)\n" "$1" "$p50" "$p99" "$mean" "$cnt"
	lat_out="$p50 $p99 $mean"
}
echo "  latency, 1 KiB file, one keep-alive connection, one request at a time ($LAT_N after $LAT_WARM warm-up):"
printf "    %-20s %9s %9s %9s\n" "" "p50 us" "p99 us" "mean us"
boot || exit 1
curl -sf -o /dev/null "http://127.0.0.1:$PORT/1k.html" || { echo "site bench: 1k.html not served" >&2; exit 1; }
lat_line "vmm site guest" "$PORT" || exit 1
read -r ours_p50 ours_p99 ours_mean <<<"$lat_out"
stop
nginx -e "$T/nginx.err" -p "$T" -c "$T/nginx.conf" &
ng=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 2))/1k.html" && break; sleep 0.1; done
lat_line "nginx on the host" $((PORT + 2)) || exit 1
read -r theirs_p50 theirs_p99 theirs_mean <<<"$lat_out"
kill -QUIT "$ng"
wait "$ng" || true
"$T/http_native" "$T/site.tar" $((PORT + 3)) "$T/native.log" &
hn=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 3))/1k.html" && break; sleep 0.1; done
lat_line "guest/http natively" $((PORT + 3)) || exit 1
kill "$hn"
wait "$hn" || true
printf "    ratio vmm/nginx      %9.2f %9.2f %9.2f\n" "$(echo "$ours_p50 / $theirs_p50" | bc -l)" \
	"$(echo "$ours_p99 / $theirs_p99" | bc -l)" "$(echo "$ours_mean / $theirs_mean" | bc -l)"
