#!/bin/bash
# Site density behind vmmd's front door: N on-demand sites (<vmm:site
# on-demand='yes'>, all on one read-only copy of examples/site + 1k.html,
# build/guest/site.elf, MEM_MB of guest RAM) defined in one vmmd with
# --front 127.0.0.1:PORT (Debian's nginx routing by Host); then M of them
# started at once by their first requests through the front door (C at a
# time, one curl --parallel, each request's time_total and status; every one
# must be 200). Reports, from the same run:
#  - defining N sites (one virsh connection) and nginx's reload with N sites
#    (vmmd's "written and tested in X ms"; and `virsh define` of one more site
#    to its first non-404 through the front door);
#  - sites started per second (M / wall time of the burst) and first-request
#    latency to a stopped site, p50 and p99, in the burst and sequentially
#    (SEQ more stopped sites, one request at a time: no queueing), and QSEQ
#    more each after QUIET_MS of nothing (an on-demand site's first request
#    usually comes after a quiet spell, and pays alone for kernel work that
#    back-to-back starts share: the first cgroup move after a quiet spell
#    waits for an RCU grace period);
#  - host memory per running idle site (MemAvailable before the burst minus
#    after it, IDLE_WAIT s later, over M; the processes' Pss, the kernel's
#    share by kind and its largest slab caches), threads per
#    site (vmm), host CPU while the M sites idle (/proc/stat
#    over CPU_S s; and the vmm processes' own share);
#  - requests/s for a 1 KiB file with keep-alive through the front door to one
#    running site, against nginx on the host serving the same file directly
#    (one worker each), same wrk settings; CPU of the front door's nginx and
#    the site's vmm over that run.
# Knobs: N (2000) M (1000) C (64, at most 300) SEQ (50) QSEQ (10) QUIET_MS (1000) MEM_MB (16)
# IDLE_STOP (600 s: no site may stop during the run) IDLE_WAIT (5) CPU_S (10)
# FRONT_WORKERS (1) SLAB_TOP (6: slab caches listed) WRK ("-t1 -c8 -d10s") CID_BASE ("auto": <cid auto='yes'/>,
# vmmd picks CIDs no VM on the host holds; a number: explicit CIDs
# CID_BASE+1..).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_pkg wrk
need_pkg nginx
need_pkg curl
need_pkg bc
need_pkg libvirt-clients
[ -x build/vmmd ] && [ -x build/vmm ] && [ -f build/guest/site.elf ] ||
	{ echo "density bench: build first (make all)" >&2; exit 1; }
BENCH_KNOBS="$BENCH_KNOBS M C SEQ QSEQ QUIET_MS MEM_MB IDLE_STOP IDLE_WAIT CPU_S FRONT_WORKERS CID_BASE SLAB_TOP"
need_kvm "$@"
N=${N:-2000}
M=${M:-1000}
C=${C:-64}
SEQ=${SEQ:-50}
QSEQ=${QSEQ:-10}
QUIET_MS=${QUIET_MS:-1000}
MEM_MB=${MEM_MB:-16}
IDLE_STOP=${IDLE_STOP:-600}
IDLE_WAIT=${IDLE_WAIT:-5}
CPU_S=${CPU_S:-10}
FRONT_WORKERS=${FRONT_WORKERS:-1}
WRK=${WRK:--t1 -c8 -d10s}
CID_BASE=${CID_BASE:-auto}
SLAB_TOP=${SLAB_TOP:-6}
die() { echo "density bench: $*" >&2; exit 1; }
# any other failing command: say which, never exit silently
set -E
trap 'echo "density bench: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
for v in N M C SEQ QSEQ QUIET_MS MEM_MB IDLE_STOP IDLE_WAIT CPU_S FRONT_WORKERS SLAB_TOP; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || die "$v must be a positive number (got '${!v}')"
done
[ "$N" -ge $((M + SEQ + QSEQ)) ] ||
	die "N ($N) must be at least M + SEQ + QSEQ ($((M + SEQ + QSEQ))): the sequential starts use sites the burst did not"
[ "$C" -le 300 ] || die "C is at most 300 (curl --parallel-max)"
[ "$CID_BASE" = auto ] || [[ $CID_BASE =~ ^[0-9]+$ ]] || die "CID_BASE: a number or 'auto'"

# Limits: vmmd holds a listening socket per site; each running site is a
# vmm process (a few threads).
hard=$(ulimit -Hn)
[ "$hard" != unlimited ] || hard=$(cat /proc/sys/fs/nr_open)
ulimit -n "$hard"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((N + 1024)) ] ||
	die "vmmd needs a descriptor per site: ulimit -n is $(ulimit -n), want at least $((N + 1024))"
tasks=$(ps -eL --no-headers | wc -l)
need_tasks=$((6 * (M + SEQ + QSEQ + 1)))
[ $(($(cat /proc/sys/kernel/pid_max) - tasks)) -ge "$need_tasks" ] ||
	die "about $need_tasks more tasks needed; kernel.pid_max is $(cat /proc/sys/kernel/pid_max) with $tasks in use"
[ "$(ulimit -u)" = unlimited ] || [ "$(id -u)" = 0 ] || [ "$(ulimit -u)" -ge $((tasks + need_tasks)) ] ||
	die "ulimit -u is $(ulimit -u): about $((tasks + need_tasks)) processes needed"

# The vmm pids in run/*.state ("vmm"), one a line.
run_pids() { { cat "$T"/state/run/*.state 2>/dev/null || true; } | awk -F'[= ]' -v k="$1" '$1 == k { print $2 }'; }
# Destroys every VM this run started (they outlive vmmd), then stops vmmd
# (which stops its nginx) and the reference nginx.
cleanup() {
	local pids=() p
	trap - ERR
	set +e
	[ -n "$ng" ] && { kill -QUIT "$ng" 2>/dev/null; wait "$ng" 2>/dev/null; }
	for p in $(run_pids vmm); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = vmm ] && kill -TERM "$p" && pids+=("$p")
	done
	for _ in $(seq 100); do
		p=0
		for v in "${pids[@]}"; do [ -d /proc/"$v" ] && p=1 && break; done
		[ $p = 0 ] && break
		sleep 0.1
	done
	for v in "${pids[@]}"; do [ "$(cat /proc/"$v"/comm 2>/dev/null)" = vmm ] && kill -KILL "$v"; done
	[ -n "$vmmd_pid" ] && { kill -TERM "$vmmd_pid" 2>/dev/null; wait "$vmmd_pid" 2>/dev/null; }
	# the CID locks our VMs left (only our range: nobody else's)
	[ "$CID_BASE" = auto ] || seq -f "/run/vmm/cid-%.0f.lock" $((CID_BASE + 1)) $((CID_BASE + N + 1)) |
		xargs rm -f 2>/dev/null
	rm -rf "$T"
}
vmmd_pid= ng=
T=$(mktemp -d /tmp/vmmd-density.XXXXXX)
trap cleanup EXIT
trap 'echo "density bench: interrupted" >&2; exit 1' INT TERM HUP
chmod 711 "$T" # nginx's workers (www-data) reach the site sockets under it
uri="vmm+unix:///system?socket=$T/sock"
ip link set lo up 2>/dev/null || true
# Two free ports below the ephemeral range (a client's port there can take
# a listener's port): the front door's, and the reference nginx's above it.
port_free() { [ -z "$(ss -Hltn "sport = :$1")" ]; }
PORT=$((20000 + $$ % 6000 * 2))
for _ in $(seq 50); do port_free "$PORT" && port_free $((PORT + 1)) && break; PORT=$((PORT + 2)); done
port_free "$PORT" && port_free $((PORT + 1)) || die "no two free ports near $PORT"

# Everything a start reads is a local copy (build/ may be rebuilt meanwhile).
cp build/vmmd build/vmm build/guest/site.elf "$T/"
mkdir -p "$T/www" "$T/xml"
cp -r examples/site/. "$T/www/"
head -c 1024 /dev/zero | tr '\0' 'x' >"$T/www/1k.html"
chmod -R a+rX "$T/www"
tar --format=ustar -C "$T/www" -cf "$T/site.tar" .
# site K: sK, host sK.example.test (examples/site answers *.example.test)
for k in $(seq $((N + 1))); do
	if [ "$CID_BASE" = auto ]; then cid="<cid auto='yes'/>"; else cid="<cid auto='no' address='$((CID_BASE + k))'/>"; fi
	printf '%s\n' "<domain type='kvm'><name>s$k</name><memory unit='MiB'>$MEM_MB</memory><vcpu>1</vcpu>" \
		"<os><type>hvm</type><kernel>$T/site.elf</kernel></os>" \
		"<devices><disk type='file' device='disk'><source file='$T/site.tar'/><target dev='vda' bus='virtio'/><readonly/></disk>" \
		"<vsock model='virtio'>$cid</vsock></devices>" \
		"<metadata><vmm:site xmlns:vmm='urn:x-vmm:domain:1' on-demand='yes' idle-stop='$IDLE_STOP'>" \
		"<vmm:host name='s$k.example.test'/></vmm:site></metadata></domain>" >"$T/xml/s$k.xml"
done
seq -f "define $T/xml/s%.0f.xml" "$N" >"$T/define.cmds"

"$T/vmmd" -f --socket "$T/sock" --no-ro-socket --state-dir "$T/state" --vmm "$T/vmm" --images "$T" \
	--front "127.0.0.1:$PORT" --front-workers "$FRONT_WORKERS" 2>"$T/vmmd.log" &
vmmd_pid=$!
for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.1; done
[ -S "$T/sock" ] || { cat "$T/vmmd.log" >&2; die "vmmd did not come up"; }

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
# reload_ms SITES: "written and tested in X ms" of the last reload with SITES
# sites (waits up to 60 s for it); fails if there is none.
reload_ms() {
	local line
	for _ in $(seq 600); do
		line=$(grep "front door: reloading with $1 sites" "$T/vmmd.log" | tail -1 || true)
		[ -n "$line" ] && { sed -E 's/.*tested in ([0-9]+) ms.*/\1/' <<<"$line"; return 0; }
		sleep 0.1
	done
	echo "density bench: no front-door reload with $1 sites in vmmd's log; it ends:" >&2
	tail -20 "$T/vmmd.log" >&2
	return 1
}
vmmd_log_tail() { echo "  vmmd's log ends:" >&2; tail -20 "$T/vmmd.log" | sed 's/^/    | /' >&2; }

# Define N sites over one virsh connection.
t0=$(date +%s%N)
virsh -q -c "$uri" <"$T/define.cmds" >"$T/define.out" 2>&1 || true
define_ms=$(ms_since "$t0")
defined=$(virsh -q -c "$uri" list --all --name | grep -c . || true)
[ "$defined" = "$N" ] || {
	grep -i error "$T/define.out" | head -5 >&2
	die "$defined of $N sites defined"
}
reload_n=$(reload_ms "$N")
reloads=$(grep -c 'front door: reloading with' "$T/vmmd.log" || true)
reloads_ms=$(sed -n -E 's/.*front door: reloading with .*tested in ([0-9]+) ms.*/\1/p' "$T/vmmd.log" | awk '{ s += $1 } END { print s + 0 }')
sleep 2
front_pid=$(cat "$T/state/front/nginx.pid")
[ -n "$front_pid" ] && [ "$(ps -o ppid= -p "$front_pid" | tr -d ' ')" = "$vmmd_pid" ] ||
	{ vmmd_log_tail; die "no front-door nginx (its nginx.pid: '$front_pid')"; }

# get HOST: one request through the front door; prints "status time_total".
get() {
	curl -s -o /dev/null --noproxy '*' --max-time 60 --connect-to "::127.0.0.1:$PORT" \
		-w '%{http_code} %{time_total}\n' "http://$1:$PORT/" || true
}
# pct P FILE: the P-th percentile (nearest rank) of the numbers in FILE, in ms.
pct() { sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * NR); if (i < p / 100 * NR) i++;
	if (i < 1) i = 1; printf "%.1f", v[i] * 1000 }'; }
running() { ls "$T"/state/run/ | grep -c '\.state$' || true; }
# /proc/meminfo and each slab cache's bytes, for the breakdown of the rest
mem_snap() { { awk '{ print $1, $2 }' /proc/meminfo
	awk 'NR > 2 { print "slab:" $1, int($3 * $4 / 1024) }' /proc/slabinfo 2>/dev/null || true; } >"$1"; }
# mem_delta KEY...: KiB by which each KEY grew from $T/mem0 to $T/mem1 ($T/mem.delta, "KEY KiB"
# lines written once by mem_deltas), one line each in order
mem_deltas() { join <(sort "$T/mem0") <(sort "$T/mem1") | awk '{ print $1, $3 - $2 }' >"$T/mem.delta"; }
mem_delta() { awk -v keys="$*" '{ d[$1] = $2 } END { n = split(keys, k, " "); for (i = 1; i <= n; i++) print d[k[i]] + 0 }' \
	"$T/mem.delta"; }

# CPU: /proc/stat's first line (busy and all ticks), and the CPU time of given
# processes in ns: their threads' schedstat (ticks would round each short-lived
# start down to nothing).
stat_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# (a process may be gone: an old nginx worker after a reload)
cpu_ns() {
	local p files=()
	for p in "$@"; do files+=(/proc/"$p"/task/*/schedstat); done
	{ [ ${#files[@]} = 0 ] || cat "${files[@]}" 2>/dev/null || true; } | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
front_pids() { echo "$front_pid" $(pgrep -P "$front_pid" || true); }
# every process's ticks ("pid comm ticks"), to name who else used the CPU
all_ticks() { { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '{ c = $0; sub(/^[^(]*\(/, "", c); sub(/\)[^)]*$/, "", c);
	gsub(/ /, "_", c); r = $0; sub(/^.*\) /, "", r); split(r, f, " "); print $1, c, f[12] + f[13] }'; }
hz=$(getconf CLK_TCK)

# The burst: M stopped sites, first requests C at a time.
[ "$(running)" = 0 ] || die "$(running) sites run before the burst"
mem_snap "$T/mem0"
seq -f "url = \"http://s%.0f.example.test:$PORT/\"" "$M" | sed 'p;s/.*/output = "\/dev\/null"/' >"$T/burst.cfg"
read -r bb0 ba0 <<<"$(stat_busy)"
bd0=$(cpu_ns "$vmmd_pid")
bf0=$(cpu_ns $(front_pids))
t0=$(date +%s%N)
curl -s --no-progress-meter --noproxy '*' --max-time 60 --parallel --parallel-immediate --parallel-max "$C" \
	--connect-to "::127.0.0.1:$PORT" -w '%{http_code} %{time_total} %{url_effective}\n' -K "$T/burst.cfg" \
	>"$T/burst" 2>"$T/burst.err" || true
burst_ms=$(ms_since "$t0")
read -r bb1 ba1 <<<"$(stat_busy)"
bd1=$(cpu_ns "$vmmd_pid")
bf1=$(cpu_ns $(front_pids))
bv=$(cpu_ns $(run_pids vmm))
answered=$(wc -l <"$T/burst")
awk '$1 != 200' "$T/burst" >"$T/burst.bad"
if [ "$answered" != "$M" ] || [ -s "$T/burst.bad" ]; then
	echo "density bench: burst of $M first requests: $answered answered, $(wc -l <"$T/burst.bad") not 200:" >&2
	head -20 "$T/burst.bad" | sed 's/^/    /' >&2
	vmmd_log_tail
	exit 1
fi
awk '{ print $2 }' "$T/burst" >"$T/burst.t"

# The M sites idle.
sleep "$IDLE_WAIT"
[ "$(running)" = "$M" ] || { vmmd_log_tail; die "$(running) sites run after the burst, want $M"; }
mem_snap "$T/mem1"
mem_deltas
# MemAvailable's fall, and the kernel memory the sites may cost (KiB): page
# tables, kernel stacks, unreclaimable slab
read -r d_avail d_pt d_ks d_sl <<<"$(mem_delta MemAvailable: PageTables: KernelStack: SUnreclaim: | tr '\n' ' ')"
vmms=$(run_pids vmm)
[ "$(wc -w <<<"$vmms")" = "$M" ] || die "run/*.state does not list $M vmm pids"
# sum_status FIELD PIDS...: the sum of a /proc/PID/status (or smaps_rollup) field.
sum_field() { local f=$1 file=$2; shift 2; printf "/proc/%s/$file\n" "$@" | xargs cat |
	awk -v f="$f:" '$1 == f { s += $2 } END { print s + 0 }'; }
threads_vmm=$(sum_field Threads status $vmms)
pss_vmm=$(sum_field Pss smaps_rollup $vmms)
all_ticks >"$T/ticks0"
read -r busy0 all0 <<<"$(stat_busy)"
v0=$(cpu_ns $vmms)
d0=$(cpu_ns "$vmmd_pid" $(front_pids))
t0=$(date +%s%N)
sleep "$CPU_S"
read -r busy1 all1 <<<"$(stat_busy)"
v1=$(cpu_ns $vmms)
d1=$(cpu_ns "$vmmd_pid" $(front_pids))
cpu_wall=$(($(date +%s%N) - t0))
all_ticks >"$T/ticks1"
cores=$(nproc)
# pct_core NS: % of one core over the CPU window
pct_core() { echo "$1 * 100 / $cpu_wall" | bc -l; }
host_core=$(echo "($busy1 - $busy0) * 100 * $cores / ($all1 - $all0)" | bc -l)
# the three busiest processes that are not this run's (by name)
others=$(awk -v ours=" $vmms $vmmd_pid $(front_pids) " 'NR == FNR { t[$1] = $3; next }
	($1 in t) && index(ours, " " $1 " ") == 0 { u[$2] += $3 - t[$1] } END { for (c in u) if (u[c] > 0) print u[c], c }' \
	"$T/ticks0" "$T/ticks1" | sort -rn | head -3 | while read -r t c; do printf "%s %.1f%%, " "$c" "$(pct_core $((t * 1000000000 / hz)))"; done)
[ "$(running)" = "$M" ] || { vmmd_log_tail; die "$(running) sites run after the idle window, want $M"; }

# Sequential first requests: SEQ more stopped sites, one at a time.
: >"$T/seq"
for k in $(seq $((M + 1)) $((M + SEQ))); do
	read -r code t <<<"$(get "s$k.example.test")"
	[ "$code" = 200 ] || { vmmd_log_tail; die "sequential first request to s$k: status $code, not 200"; }
	echo "$t" >>"$T/seq"
done
: >"$T/qseq"
for k in $(seq $((M + SEQ + 1)) $((M + SEQ + QSEQ))); do
	sleep "$(echo "$QUIET_MS / 1000" | bc -l)"
	read -r code t <<<"$(get "s$k.example.test")"
	[ "$code" = 200 ] || { vmmd_log_tail; die "first request after a quiet spell to s$k: status $code, not 200"; }
	echo "$t" >>"$T/qseq"
done

# One more site: virsh define to its first answer through the front door.
k=$((N + 1))
t0=$(date +%s%N)
virsh -q -c "$uri" define "$T/xml/s$k.xml" >/dev/null
while :; do
	read -r code _ <<<"$(get "s$k.example.test")"
	[ "$code" = 404 ] || break
	[ "$(ms_since "$t0")" -lt 30000 ] || { vmmd_log_tail; die "s$k still 404 after 30 s"; }
done
e2e_ms=$(ms_since "$t0")
[ "$code" = 200 ] || { vmmd_log_tail; die "s$k answered $code after its define, not 200"; }
reload_n1=$(reload_ms $((N + 1)))

# Requests/s: the front door to s1 (running), and nginx on the host.
rate_failed() {
	echo "density bench: wrk against $1: $2 requests/s, $3 non-2xx; its output ends:" >&2
	tail -5 "$T/wrk" | sed 's/^/    | /' >&2
	exit 1
}
read -r code _ <<<"$(curl -s -o /dev/null -w '%{http_code}\n' -H 'Host: s1.example.test' "http://127.0.0.1:$PORT/1k.html")"
[ "$code" = 200 ] || die "s1's 1k.html through the front door: status $code"
s1_vmm=$(awk -F'[= ]' '$1 == "vmm" { print $2 }' "$T/state/run/s1.state")
f0=$(cpu_ns $(front_pids))
sv0=$(cpu_ns "$s1_vmm")
t0=$(date +%s%N)
read -r ours ours_bad <<<"$(wrk_rate -H 'Host: s1.example.test' "http://127.0.0.1:$PORT/1k.html")"
wrk_wall=$(($(date +%s%N) - t0))
f1=$(cpu_ns $(front_pids))
sv1=$(cpu_ns "$s1_vmm")
rate_ok "$ours" "$ours_bad" || rate_failed "the front door" "$ours" "$ours_bad"
ref_nginx_conf "	server { listen 127.0.0.1:$((PORT + 1)); root $T/www; }"
nginx -e "$T/nginx.err" -p "$T" -c "$T/nginx.conf" &
ng=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 1))/1k.html" && break; sleep 0.1; done
kill -0 "$ng" 2>/dev/null && grep -q 'GET /1k.html' "$T/nginx.access" 2>/dev/null ||
	{ cat "$T/nginx.err" >&2 2>/dev/null; die "the reference nginx did not come up on 127.0.0.1:$((PORT + 1))"; }
n0=$(cpu_ns "$ng" $(pgrep -P "$ng" || true))
t0=$(date +%s%N)
read -r theirs theirs_bad <<<"$(wrk_rate -H 'Host: s1.example.test' "http://127.0.0.1:$((PORT + 1))/1k.html")"
ref_wall=$(($(date +%s%N) - t0))
n1=$(cpu_ns "$ng" $(pgrep -P "$ng" || true))
rate_ok "$theirs" "$theirs_bad" || rate_failed "nginx on the host" "$theirs" "$theirs_bad"
# nothing may have stopped or restarted meanwhile
[ "$(running)" = $((M + SEQ + QSEQ + 1)) ] || { vmmd_log_tail; die "$(running) sites run at the end, want $((M + SEQ + QSEQ + 1))"; }
[ "$(cat "$T/state/front/nginx.pid")" = "$front_pid" ] || { vmmd_log_tail; die "the front door's nginx restarted"; }
# worth a look, not a failure: what vmmd and the front door's nginx complained of
notes() {
	if grep -v -E 'listening on|front door: reloading with' "$T/vmmd.log" >"$T/vmmd.other"; then
		echo "  (vmmd logged more than its reloads, $(wc -l <"$T/vmmd.other") lines; the first:)"
		head -5 "$T/vmmd.other" | sed 's/^/    | /'
	fi
	if grep -E '\[(error|crit|alert|emerg)\]' "$T/state/front/error.log" >"$T/nginx.other" 2>/dev/null; then
		echo "  (the front door's nginx logged $(wc -l <"$T/nginx.other") errors; the first:)"
		head -5 "$T/nginx.other" | cut -c1-300 | sed 's/^/    | /'
	fi
}

# target VALUE OP LIMIT: "met" or "NOT met"
target() { if [ "$(echo "$1 $2 $3" | bc -l)" = 1 ]; then echo met; else echo "NOT met"; fi; }
kib_per_site() { echo "$1 / $M / 1024" | bc -l; }
wpct() { echo "$1 * 100 / $2" | bc -l; }
echo "site density behind vmmd's front door (examples/site + 1k.html, ${MEM_MB} MiB guests, vmmd --front-workers $FRONT_WORKERS;" \
	"host: $(host_kind), $cores CPUs, $(awk '$1 == "MemTotal:" { printf "%.0f", $2 / 1048576 }' /proc/meminfo) GiB):"
printf "  defined %d on-demand sites over one virsh connection in %.1f s (%.0f/s); meanwhile %d front-door reloads,\n" \
	"$N" "$(echo "$define_ms / 1000" | bc -l)" "$(echo "$N * 1000 / $define_ms" | bc -l)" "$reloads"
printf "    %.1f s of nginx -t over them (a child of vmmd; vmmd serves meanwhile)\n" "$(echo "$reloads_ms / 1000" | bc -l)"
printf "  nginx reload with %d sites: nginx -t took %d ms (with %d: %d ms)\n" "$N" "$reload_n" $((N + 1)) "$reload_n1"
printf "    virsh define of one more site to its first answer through the front door: %d ms (200; includes its on-demand start)\n" \
	"$e2e_ms"
rate=$(echo "$M * 1000 / $burst_ms" | bc -l)
printf "  started %d stopped sites by first requests, %d at a time: all 200, in %.2f s = %.0f sites/s (target at least 100/s: %s)\n" \
	"$M" "$C" "$(echo "$burst_ms / 1000" | bc -l)" "$rate" "$(target "$rate" '>=' 100)"
per_start() { echo "$1 / 1000000 / $M" | bc -l; }
bb=$(((bb1 - bb0) * 1000000000 / hz))
printf "    CPU per start %.1f ms (host busy time over the burst / M): vmm %.1f, vmmd %.1f,\n" \
	"$(per_start "$bb")" "$(per_start "$bv")" "$(per_start $((bd1 - bd0)))"
printf "      front door's nginx %.1f, the rest (curl, kernel threads, other work on the host) %.1f\n" \
	"$(per_start $((bf1 - bf0)))" "$(per_start $((bb - bv - bd1 + bd0 - bf1 + bf0)))"
printf "  first request to a stopped site (curl time_total):\n"
lat() { # LABEL FILE NOTE
	local p50 p99
	p50=$(pct 50 "$2")
	p99=$(pct 99 "$2")
	printf "    %-17s p50 %7s ms  p99 %7s ms  max %7s ms  (targets p50 < 25 ms: %s, p99 < 100 ms: %s)\n" \
		"$1" "$p50" "$p99" "$(pct 100 "$2")" "$(target "$p50" '<' 25)" "$(target "$p99" '<' 100)"
}
lat "in that burst" "$T/burst.t"
printf "                      (mostly queueing: %d in flight at %.0f starts/s wait about %.0f ms each)\n" \
	$((C < M ? C : M)) "$(echo "$M * 1000 / $burst_ms" | bc -l)" "$(echo "$((C < M ? C : M)) * $burst_ms / $M" | bc -l)"
lat "one at a time" "$T/seq"
printf "                      (%d more stopped sites, one request at a time, with the %d started above running)\n" "$SEQ" "$M"
lat "after quiet spells" "$T/qseq"
printf "                      (%d more, each after %d ms of nothing: an on-demand site's usual case)\n" "$QSEQ" "$QUIET_MS"
printf "  with %d sites running idle (%d s after the burst):\n" "$M" "$IDLE_WAIT"
per_site=$(kib_per_site $((-d_avail)))
printf "    host memory per site   %6.2f MiB (MemAvailable fell by %d MiB; target at most 1 MiB: %s)\n" \
	"$per_site" $((-d_avail / 1024)) "$(target "$per_site" '<=' 1)"
printf "      processes (Pss)      %6.2f MiB vmm\n" "$(kib_per_site "$pss_vmm")"
printf "      kernel per site      %6.2f MiB page tables, %.2f MiB kernel stacks, %.2f MiB unreclaimable slab\n" \
	"$(kib_per_site "$d_pt")" "$(kib_per_site "$d_ks")" "$(kib_per_site "$d_sl")"
read -r d_sec d_pcpu d_vmalloc d_reclaim <<<"$(mem_delta SecPageTables: Percpu: VmallocUsed: SReclaimable: | tr '\n' ' ')"
printf "      and                  %6.2f MiB KVM's page tables, %.2f MiB per-CPU, %.2f MiB vmalloc (with the stacks),\n" \
	"$(kib_per_site "${d_sec:-0}")" "$(kib_per_site "${d_pcpu:-0}")" "$(kib_per_site "${d_vmalloc:-0}")"
printf "                           %6.2f MiB reclaimable slab (MemAvailable counts most of it as available)\n" \
	"$(kib_per_site "${d_reclaim:-0}")"
printf "      largest slab caches  %s\n" "$(grep '^slab:' "$T/mem.delta" |
	awk -v m="$M" '{ d = $2 / m; if (d > 0) printf "%s %.1f\n", substr($1, 6), d }' | sort -k2 -gr | head -"$SLAB_TOP" |
	awk '{ printf "%s%s %s KiB", (NR > 1 ? ", " : ""), $1, $2 }')"
printf "    threads per site       %6.2f in vmm, the site's only process (%d in all)\n" \
	"$(echo "$threads_vmm / $M" | bc -l)" "$threads_vmm"
printf "    host CPU over %d s     %6.1f%% of one core = %.1f%% of the machine (everything on the host)\n" \
	"$CPU_S" "$host_core" "$(echo "$host_core / $cores" | bc -l)"
printf "      of which the vmms    %6.1f%% of one core; vmmd and its nginx %.1f%%\n" \
	"$(pct_core $((v1 - v0)))" "$(pct_core $((d1 - d0)))"
printf "      busiest others       %s\n" "${others%, }"
printf "  requests/s, 1 KiB file, keep-alive (wrk %s, Host: s1.example.test):\n" "$WRK"
printf "    front door -> site   %10s  (non-2xx: %s; CPU: front door's nginx %.0f%%, the site's vmm %.0f%% of one core)\n" \
	"$ours" "$ours_bad" "$(wpct $((f1 - f0)) "$wrk_wall")" "$(wpct $((sv1 - sv0)) "$wrk_wall")"
printf "    nginx on the host    %10s  (non-2xx: %s; CPU: nginx %.0f%% of one core; serving the file directly)\n" \
	"$theirs" "$theirs_bad" "$(wpct $((n1 - n0)) "$ref_wall")"
printf "    ratio                %10.2f\n" "$(echo "$ours / $theirs" | bc -l)"
notes
