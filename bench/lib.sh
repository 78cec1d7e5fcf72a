# Shared helpers for the benchmark scripts (sourced).

# median_us N STATUS PATTERN CMD...: runs CMD N times with stdin from
# /dev/null and prints the median wall time in microseconds. Every run must
# exit with STATUS and print PATTERN (grep -E; empty: anything) on stdout or
# stderr; at the first run that does not, says why on stderr, prints nothing
# and fails, so a broken command is reported and never timed.
median_us() {
	local n=$1 want=$2 pattern=$3 out times rc t0 t1
	shift 3
	out=$(mktemp)
	times=$(mktemp)
	for i in $(seq "$n"); do
		t0=$(date +%s%N)
		rc=0
		timeout 60 "$@" </dev/null >"$out" 2>&1 || rc=$?
		t1=$(date +%s%N)
		if [ "$rc" != "$want" ] || { [ -n "$pattern" ] && ! grep -q -E "$pattern" "$out"; }; then
			{
				echo "bench: run $i of '$*' FAILED: exit status $rc (want $want)${pattern:+, output must match '$pattern'}; its output ends:"
				tail -c 1500 "$out" | sed 's/^/    /'
			} >&2
			rm -f "$out" "$times"
			return 1
		fi
		echo $(((t1 - t0) / 1000)) >>"$times"
	done
	sort -n "$times" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
	rm -f "$out" "$times"
}

# QEMU's -cpu for a reference run that boots on every host kind: on PVM hosts
# plain `-cpu host` aborts ("failed to set MSR 0x10a"), and dropping
# arch-capabilities is harmless elsewhere.
QEMU_CPU=${QEMU_CPU:-host,-arch-capabilities}

# Host kind for the figures' heading: pvm, hardware, other or none.
host_kind() {
	"$(dirname "$0")/../tests/kvm/host-kind"
}

# Installs a Debian package for the benchmark only, if missing.
need_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null; }
}

# Runs this script again inside a KVM-capable environment when this host has
# none, with the benchmark knobs (BENCH_KNOBS: names of variables) that are set.
BENCH_KNOBS="N MB READS REQS RR SIZE_MB WRK SITE_CLIENT_DEBUG ROUNDS ENTER STRACE_N BEFORE"
need_kvm() {
	if ! "$(dirname "$0")/../tests/kvm/have-kvm" 2>/dev/null; then
		local knobs=() v
		for v in $BENCH_KNOBS; do [ -n "${!v+x}" ] && knobs+=("$v=${!v}"); done
		echo "bench: no usable /dev/kvm here; rerunning inside tests/kvm/run-in-tcg.sh (figures are for that nested setup)"
		exec "$(dirname "$0")/../tests/kvm/run-in-tcg.sh" "$(cd "$(dirname "$0")/.." && pwd)" \
			env "${knobs[@]}" "$0" "$@"
	fi
}

# wrk_rate [wrk options] URL: runs wrk $WRK with them (its output in
# $T/wrk) and prints "requests/s non-2xx".
wrk_rate() {
	local i0 i1 w
	i0=$(awk '/^cpu / { print $5 + $6 }' /proc/stat)
	# wrk's own CPU (the subshell's children's utime+stime once it is
	# reaped) and the host's idle time beside it, in $T/wrk.cpu as
	# "clock ticks of wrk, idle ticks of all CPUs" (wrk_cpu_line)
	w=$( (wrk $WRK "$@" >"$T/wrk" 2>&1 || true; awk '{ print $16 + $17 }' "/proc/$BASHPID/stat") )
	i1=$(awk '/^cpu / { print $5 + $6 }' /proc/stat)
	echo "$w $((i1 - i0))" >"$T/wrk.cpu"
	awk '/^Requests\/sec:/ { r = $2 } /Non-2xx/ { bad = $NF }
		END { printf "%s %s\n", r ? r : "0", bad ? bad : 0 }' "$T/wrk"
}
# wrk_cpu_line: after wrk_rate, where the machine's CPU went besides the
# server: wrk's share of one core and the host's idle share, over wrk's run.
wrk_cpu_line() {
	local w idle secs
	read -r w idle <"$T/wrk.cpu"
	secs=$(awk '/^Requests\/sec:/ { r = $2 } $2 == "requests" && $3 == "in" { n = $1; d = $4 } END { sub(/s,?$/, "", d); print d + 0 }' "$T/wrk")
	[ "$(echo "$secs > 0" | bc)" = 1 ] || return 0
	printf "      client: wrk %.0f%% of one core; host idle %.0f%% of its %d CPUs\n" \
		"$(echo "$w / $(getconf CLK_TCK) / $secs * 100" | bc -l)" \
		"$(echo "$idle / $(getconf CLK_TCK) / $secs / $(nproc) * 100" | bc -l)" "$(nproc)"
}
# rate_ok RATE NON2XX: a rate counts only if wrk measured one and every
# response was a 2xx; otherwise the server failed and is not timed.
rate_ok() { [ "$(echo "$1 > 0" | bc)" = 1 ] && [ "$2" = 0 ]; }

# ref_nginx_conf SERVER...: writes $T/nginx.conf for the reference nginx the
# benches compare against (one worker, access log on, everything under $T),
# with the given server block(s) inside http { }.
ref_nginx_conf() {
	cat >"$T/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 1024; }
http {
	access_log $T/nginx.access;
	client_body_temp_path $T/nginx-body;
	proxy_temp_path $T/nginx-proxy;
	fastcgi_temp_path $T/nginx-fastcgi;
	uwsgi_temp_path $T/nginx-uwsgi;
	scgi_temp_path $T/nginx-scgi;
	keepalive_requests 1000000;
$*
}
EOF
}

# The example site plus a 1 KiB file (1k.html) under $1/www, packed as the
# site image's archive $1/site.tar.
bench_site_tar() {
	mkdir -p "$1/www"
	cp -r examples/site/. "$1/www/"
	head -c 1024 /dev/zero | tr '\0' 'x' >"$1/www/1k.html"
	chmod -R a+rX "$1/www"
	tar --format=ustar -C "$1/www" -cf "$1/site.tar" .
}

# wrk_requests: the requests the last wrk_rate run completed (wrk's "N
# requests in Ts" line in $T/wrk); 0 if it printed none.
wrk_requests() { awk '$2 == "requests" && $3 == "in" { n = $1 } END { print n + 0 }' "$T/wrk"; }
# The latency knobs of site.sh, forwarded into a rerun under emulation too.
BENCH_KNOBS="$BENCH_KNOBS LAT_N LAT_WARM"
