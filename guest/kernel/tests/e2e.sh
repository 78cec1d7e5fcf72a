#!/bin/bash
# e2e.sh: boots the site kernel under vmm with the example site (and a
# copy with a 50 MB file, which makes it stream from disk) published on TCP,
# drives it with curl and raw sockets, and checks a corrupt disk's exit code.
# Needs KVM and the vsock device: run it as
#   tests/run-with-kvm.sh guest/kernel/tests/e2e.sh     (or directly with /dev/kvm)
# Prints PASS/FAIL per check, the counters, and exits non-zero on failure.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
vmm=$top/build/vmm
elf=$top/build/guest/site.elf
tmp=$(mktemp -d)
port=${E2E_PORT:-18080}
fail=0
ip link set lo up 2>/dev/null || true # a fresh network namespace (the TCG VM) has lo down
pass() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

boot() { # tarball: starts vmm, waits for the first 200
	t0=$(date +%s%N)
	"$vmm" run --kernel "$elf" --disk "$1,ro" --publish "127.0.0.1:$port:80" \
		--publish "127.0.0.1:$((port + 1)):81" --console=output >"$tmp/console" 2>&1 &
	pid=$!
	for i in $(seq 1 1000); do
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.02
	done
	echo "exec to first 200: $(( ($(date +%s%N) - t0) / 1000000 )) ms (includes curl start-ups)"
}
stop() { # expected exit status
	kill -PWR $pid
	( sleep 60; kill $pid 2>/dev/null ) & w=$!
	wait $pid
	rc=$?
	kill $w 2>/dev/null
	[ $rc = "$1" ] && pass "power-off on SIGPWR (exit $rc)" || bad "vmm exit status $rc, want $1"
}
check() { # name expected-status curl-args...
	local name=$1 want=$2 got
	shift 2
	got=$(curl -s -o "$tmp/body" -w '%{http_code}' --max-time 30 "$@")
	[ "$got" = "$want" ] && pass "$name ($got)" || bad "$name: got $got, want $want"
}
raw() { # bytes-on-stdin -> first line of the answer
	( exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3; timeout "${1:-10}" head -1 <&3 | tr -d '\r' )
}

mkdir -p "$tmp/site" "$tmp/big"
cp -r "$top/examples/site/." "$tmp/site/"
tar -C "$tmp/site" -cf "$tmp/site.tar" .
cp -r "$top/examples/site/." "$tmp/big/"
head -c 50000000 /dev/urandom >"$tmp/big/big.bin"
tar -C "$tmp/big" -cf "$tmp/big.tar" .

boot "$tmp/site.tar"
u=http://127.0.0.1:$port
check index 200 "$u/"
check about 200 "$u/about.html"
check missing-404 404 "$u/nope.html"
grep -qi "not found" "$tmp/body" && pass "custom 404 page" || bad "custom 404 page"
check redirect 301 "$u/old-about"
check head 200 -I "$u/style.css"
check gzip 200 -H 'Accept-Encoding: gzip' "$u/style.css"
check range 206 -r 0-9 "$u/index.html"
check range-416 416 -r 99999- "$u/index.html"
check post-405 405 -X POST -d x "$u/"
check method-501 501 -X FOO "$u/"
check dotdot 400 --path-as-is "$u/../etc/passwd"
check pct-dotdot 400 --path-as-is "$u/%2e%2e/etc/passwd"
etag=$(curl -s -D - -o /dev/null "$u/index.html" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
check etag-304 304 -H "If-None-Match: $etag" "$u/index.html"
r=$(printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /about.html HTTP/1.1\r\nHost: localhost\r\n\r\nGET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
	( exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3; timeout 10 cat <&3 ) | grep -ac '^HTTP/1.1')
[ "$r" = 3 ] && pass "pipelining (3 responses)" || bad "pipelining: $r responses"
r=$(head -c 2000 /dev/urandom | raw 20)
case "$r" in "HTTP/1.1 4"*) pass "binary garbage ($r)";; *) bad "binary garbage: '$r'";; esac
s=$(date +%s)
( printf 'GET / HTTP/1.1\r\nHost: localhost\r\n' | raw 30 >"$tmp/slow" ) &
slow=$!
sleep 1
check during-slow-client 200 "$u/about.html"
wait $slow
r=$(cat "$tmp/slow")
[ "${r#HTTP/1.1 408}" != "$r" ] && pass "unfinished head: 408 after $(( $(date +%s) - s )) s" || bad "unfinished head: '$r'"
n=$(curl -s -w '%{num_connects} %{http_code}\n' $(for i in $(seq 1 ${E2E_KEEPALIVE:-1000}); do echo "-o /dev/null $u/index.html"; done) |
	awk '$2 == 200 {ok++; c += $1} END {print ok + 0, c + 0}')
[ "$n" = "${E2E_KEEPALIVE:-1000} 1" ] && pass "keep-alive: ${E2E_KEEPALIVE:-1000} requests on 1 connection" || bad "keep-alive: (ok, connects) = $n"
cpids=""
for i in $(seq 1 ${E2E_CONC:-200}); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 "$u/logo.png" >>"$tmp/conc" &
	cpids="$cpids $!"
done
wait $cpids
ok=$(grep -c '^200$' "$tmp/conc")
[ "$ok" = "${E2E_CONC:-200}" ] && pass "concurrent: $ok connections" || bad "concurrent: $ok of ${E2E_CONC:-200}"
curl -s "http://127.0.0.1:$((port + 1))/" >"$tmp/stats" && grep -q '^requests ' "$tmp/stats" &&
	pass "counters on vsock port 81" || bad "counters on port 81"
stop 0
cat "$tmp/stats"
grep -v '"GET ' "$tmp/console"

boot "$tmp/big.tar"
want=$(sha256sum <"$tmp/big/big.bin")
s=$(date +%s%N)
got=$(curl -s --max-time 300 "$u/big.bin" | sha256sum)
[ "$got" = "$want" ] && pass "50 MB file streamed from disk in $(( ($(date +%s%N) - s) / 1000000 )) ms" || bad "50 MB file differs"
check big-range 206 -r 49999990- "$u/big.bin"
stop 0
grep -v '"GET ' "$tmp/console" | head -8

head -c 30000 /dev/urandom >"$tmp/garbage.img"
"$vmm" run --kernel "$elf" --disk "$tmp/garbage.img,ro" --publish "127.0.0.1:$port:80" --console=output >"$tmp/console" 2>&1
rc=$?
[ $rc = 14 ] && pass "corrupt disk: exit 14" || bad "corrupt disk: exit $rc, want 14"
tail -1 "$tmp/console"

rm -rf "$tmp"
[ $fail = 0 ] && echo "e2e: all passed" || echo "e2e: FAILURES"
exit $fail
