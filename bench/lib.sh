# Shared helpers for the benchmark scripts (sourced).

# Runs "$@" N times with stdin from /dev/null and output discarded; prints the
# median wall time in microseconds.
median_us() {
	local n=$1; shift
	for _ in $(seq "$n"); do
		local t0 t1
		t0=$(date +%s%N)
		timeout 60 "$@" </dev/null >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# Installs a Debian package for the benchmark only, if missing.
need_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null; }
}

# Runs this script again inside a KVM-capable environment when this host has
# none, with the benchmark knobs (BENCH_KNOBS: names of variables) that are set.
BENCH_KNOBS="N MB READS REQS RR SIZE_MB WRK SITE_CLIENT_DEBUG"
need_kvm() {
	if ! "$(dirname "$0")/../tests/kvm/have-kvm" 2>/dev/null; then
		local knobs=() v
		for v in $BENCH_KNOBS; do [ -n "${!v+x}" ] && knobs+=("$v=${!v}"); done
		echo "bench: no usable /dev/kvm here; rerunning inside tests/kvm/run-in-tcg.sh (figures are for that nested setup)"
		exec "$(dirname "$0")/../tests/kvm/run-in-tcg.sh" "$(cd "$(dirname "$0")/.." && pwd)" \
			env "${knobs[@]}" "$0" "$@"
	fi
}
