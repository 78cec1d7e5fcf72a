#!/bin/bash
# The dynamic example site (examples/guestbook: a Lua API on SQLite on the
# data disk) served by build/guest/site.elf from a tar disk plus a data disk:
#  (a) cold start: exec of `vmm run` to the first 200 of the dynamic page
#      GET /api/entries?limit=10 (data disk already formatted, 10 rows),
#      median of N; polled with curl from bash (site_client's cold mode only
#      asks for /), so each poll's curl start-up is inside the figure;
#  (b) requests/s with wrk: list (GET /api/entries?limit=10 over 10 rows)
#      and add (POST /api/entries, a JSON body: one INSERT, synchronous=FULL);
#  (c) host memory of the idle VM after REQS requests (half list, half add):
#      VmRSS of the vmm process and Pss from smaps_rollup;
#  (d) the reference: the same API on the host in nginx + PHP-FPM + SQLite
#      (Debian's packages; one nginx worker, one PHP-FPM worker: pm=static,
#      max_children=1, as the guest has one vCPU; synchronous=FULL, default
#      rollback journal), same wrk commands; ratios ours/reference.
# A wrk rate with any non-2xx response is a failure, never a figure.
# N=cold starts (10), REQS=requests before the memory figure (10000),
# WRK="wrk options" (-t1 -c8 -d10s).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_pkg wrk
need_pkg nginx
need_pkg curl
need_pkg bc
need_pkg php-fpm
need_pkg php-sqlite3
[ -x build/vmm ] && [ -f build/guest/site.elf ] || { echo "dynamic bench: build first (make all)" >&2; exit 1; }
need_kvm "$@"
N=${N:-10}
REQS=${REQS:-10000}
MEM_MB=64
WRK=${WRK:--t1 -c8 -d10s}
die() { echo "dynamic bench: $*" >&2; exit 1; }
set -E
trap 'echo "dynamic bench: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
vm= fpm= ng=
cleanup() {
	trap - ERR
	set +e
	[ -n "$vm" ] && { kill -KILL "$vm" 2>/dev/null; wait "$vm" 2>/dev/null; }
	# TERM: nginx and php-fpm stop their workers too
	for p in $ng $fpm; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
T=$(mktemp -d /tmp/vmm-dynamic-bench.XXXXXX)
trap cleanup EXIT
trap 'echo "dynamic bench: interrupted" >&2; exit 1' INT TERM HUP
chmod 755 "$T"
ip link set lo up 2>/dev/null || true
PORT=$((30000 + $$ % 20000))
cp build/vmm build/guest/site.elf "$T/"
VMM=$T/vmm
KERNEL=$T/site.elf
mkdir -p "$T/www"
cp -r examples/guestbook/. "$T/www/"
tar --format=ustar -C "$T/www" -cf "$T/site.tar" .
truncate -s 64M "$T/data.img"
LIST=/api/entries?limit=10
BODY='{"name":"bench","message":"hello"}'
cat >"$T/add.lua" <<EOF
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
EOF

echo "dynamic site (build/guest/site.elf, examples/guestbook, ${MEM_MB} MiB guest, 64 MiB data disk; host: $(host_kind)):"

# Starts the guest on $PORT; waits until it listens.
boot() {
	"$VMM" run --kernel "$KERNEL" --mem ${MEM_MB}M --disk "$T/site.tar,ro" --disk "$T/data.img" \
		--publish "127.0.0.1:$PORT:80" --console=output >"$T/console" 2>"$T/stderr" &
	vm=$!
	for _ in $(seq 600); do grep -q 'site: listening' "$T/console" && return 0; sleep 0.1; done
	cat "$T/console" "$T/stderr" >&2
	die "the guest did not come up"
}
stop() {
	kill -PWR "$vm"
	local rc=0
	wait "$vm" || rc=$?
	vm=
	[ $rc = 0 ] || { sed 's/^/    | /' "$T/stderr"; tail -c 2000 "$T/console" | sed 's/^/    | /'; die "vmm exited with $rc after SIGPWR"; }
}
# add_rows BASEURL K: K POSTs, each must be a 201.
add_rows() {
	for _ in $(seq "$2"); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$BODY" "$1/api/entries")" = 201 ] ||
			die "POST $1/api/entries did not give 201"
	done
}
# check_list BASEURL: the list answers 200 with 10 rows.
check_list() {
	local n
	n=$(curl -sf "$1$LIST" | grep -o '"id"' | wc -l) || die "GET $1$LIST failed"
	[ "$n" = 10 ] || die "GET $1$LIST gave $n rows, want 10"
}
print_rate() {
	if rate_ok "$2" "$3"; then
		printf "    %-28s %10s req/s  (non-2xx: %s)\n" "$1" "$2" "$3"
	else
		printf "    %-28s     FAILED  (wrk measured %s requests/s, %s non-2xx; its output ends:)\n" "$1" "$2" "$3"
		tail -5 "$T/wrk" | sed 's/^/      | /'
		exit 1
	fi
}

# First boot: the blank data disk is formatted and schema.sql applied; 10 rows.
t0=$(date +%s%N)
boot
printf "  first boot (blank data disk formatted, schema applied) to listening: %.1f ms (polled every 100 ms)\n" \
	"$(echo "($(date +%s%N) - $t0) / 1000000" | bc -l)"
add_rows "http://127.0.0.1:$PORT" 10
check_list "http://127.0.0.1:$PORT"
stop

# (a) Cold start to the first 200 of the dynamic page.
times=()
for i in $(seq "$N"); do
	t0=$(date +%s%N)
	"$VMM" run --kernel "$KERNEL" --mem ${MEM_MB}M --disk "$T/site.tar,ro" --disk "$T/data.img" \
		--publish "127.0.0.1:$PORT:80" --console=none </dev/null >/dev/null 2>"$T/stderr" &
	vm=$!
	ok=0
	while [ $(($(date +%s%N) - t0)) -lt 60000000000 ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$LIST")" = 200 ] && { ok=1; break; }
		kill -0 "$vm" 2>/dev/null || { cat "$T/stderr" >&2; die "cold start $i: vmm exited before answering"; }
	done
	t1=$(date +%s%N)
	[ $ok = 1 ] || die "cold start $i: no 200 within 60 s"
	times+=($(((t1 - t0) / 1000)))
	stop
done
read -r med min max <<<"$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 }
	END { print ((NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)), v[1], v[NR] }')"
printf "  cold start (exec to first 200 of GET %s, median of %d): %.2f ms (min %.2f, max %.2f; curl polls from bash)\n" \
	"$LIST" "$N" "$(echo "$med / 1000" | bc -l)" "$(echo "$min / 1000" | bc -l)" "$(echo "$max / 1000" | bc -l)"

# (b) Requests/s, list and add.
echo "  requests/s (wrk $WRK; $(nproc) CPUs here):"
boot
check_list "http://127.0.0.1:$PORT"
read -r ours_list bad <<<"$(wrk_rate "http://127.0.0.1:$PORT$LIST")"
print_rate "vmm guestbook: list" "$ours_list" "$bad"
read -r ours_add bad <<<"$(wrk_rate -s "$T/add.lua" "http://127.0.0.1:$PORT/api/entries")"
print_rate "vmm guestbook: add" "$ours_add" "$bad"
stop

# (c) Memory of the idle VM after REQS requests (half list, half add), on a
# fresh boot; every response must be a 2xx.
boot
half=$((REQS / 2))
for k in list add; do
	for _ in $(seq $half); do
		if [ $k = list ]; then echo "url = \"http://127.0.0.1:$PORT$LIST\""; else echo "url = \"http://127.0.0.1:$PORT/api/entries\""; fi
		echo 'output = "/dev/null"'
	done >"$T/curl.cfg"
	if [ $k = list ]; then
		curl -s -K "$T/curl.cfg" -w '%{http_code}\n' >"$T/codes"
	else
		curl -s -K "$T/curl.cfg" -H 'Content-Type: application/json' -d "$BODY" -w '%{http_code}\n' >"$T/codes"
	fi
	good=$(grep -c '^2' "$T/codes" || true)
	[ "$good" = $half ] || die "memory run: $good of $half $k requests gave a 2xx"
done
sleep 1
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$vm/status")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$vm/smaps_rollup")
printf "  host memory of the idle VM after %d requests (%d list, %d add): VmRSS %d KiB = %.2f MiB, Pss %d KiB = %.2f MiB\n" \
	$((2 * half)) $half $half "$rss" "$(echo "$rss / 1024" | bc -l)" "$pss" "$(echo "$pss / 1024" | bc -l)"
stop

# (d) The reference: nginx + PHP-FPM + SQLite on the host.
FPM=$(ls /usr/sbin/php-fpm* 2>/dev/null | sort -V | tail -1)
[ -n "$FPM" ] || die "no php-fpm binary in /usr/sbin"
mkdir -p "$T/php"
cp examples/guestbook/schema.sql "$T/php/"
cat >"$T/php/api.php" <<'EOF'
<?php
// The guestbook API of examples/guestbook/api.lua: GET lists, POST adds.
$db = new SQLite3(__DIR__ . '/guestbook.db');
$db->exec('PRAGMA synchronous=FULL');
$db->busyTimeout(5000);
header('Content-Type: application/json');
if ($_SERVER['REQUEST_METHOD'] === 'GET') {
	$limit = max(1, min(100, intval($_GET['limit'] ?? 10)));
	$st = $db->prepare('SELECT id, name, message, created FROM entries ORDER BY id DESC LIMIT ?');
	$st->bindValue(1, $limit, SQLITE3_INTEGER);
	$r = $st->execute();
	$rows = [];
	while ($row = $r->fetchArray(SQLITE3_ASSOC)) $rows[] = $row;
	echo json_encode($rows), "\n";
} elseif ($_SERVER['REQUEST_METHOD'] === 'POST') {
	$e = json_decode(file_get_contents('php://input'), true);
	if (!is_array($e) || !is_string($e['name'] ?? null) || !is_string($e['message'] ?? null)
	    || strlen($e['name']) == 0 || strlen($e['name']) > 100 || strlen($e['message']) == 0 || strlen($e['message']) > 2000) {
		http_response_code(400);
		echo json_encode(['error' => 'send {"name": 1-100 bytes, "message": 1-2000 bytes}']), "\n";
		exit;
	}
	$st = $db->prepare('INSERT INTO entries (name, message, created) VALUES (?, ?, ?)');
	$st->bindValue(1, $e['name'], SQLITE3_TEXT);
	$st->bindValue(2, $e['message'], SQLITE3_TEXT);
	$st->bindValue(3, time(), SQLITE3_INTEGER);
	if (!$st->execute()) { http_response_code(500); exit; }
	http_response_code(201);
	echo json_encode(['id' => $db->lastInsertRowID()]), "\n";
} else {
	http_response_code(404);
	echo json_encode(['error' => 'no such API']), "\n";
}
EOF
php -r '$db = new SQLite3($argv[1]); $db->exec(file_get_contents($argv[2])) or exit(1);' \
	"$T/php/guestbook.db" "$T/php/schema.sql" || die "creating the reference database failed"
chmod -R a+rwX "$T/php"
cat >"$T/php-fpm.conf" <<EOF
[global]
pid = $T/php-fpm.pid
error_log = $T/php-fpm.err
daemonize = no
[www]
user = nobody
group = nogroup
listen = $T/php-fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 1
pm.max_requests = 0
EOF
"$FPM" -F -R -y "$T/php-fpm.conf" -p "$T" 2>>"$T/php-fpm.err" &
fpm=$!
ref_nginx_conf "	server {
		listen 127.0.0.1:$((PORT + 2));
		location = /api/entries {
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $T/php/api.php;
			fastcgi_pass unix:$T/php-fpm.sock;
		}
	}"
nginx -e "$T/nginx.err" -p "$T" -c "$T/nginx.conf" &
ng=$!
REF=http://127.0.0.1:$((PORT + 2))
for _ in $(seq 100); do curl -sf -o /dev/null "$REF$LIST" && break; sleep 0.1; done
curl -sf -o /dev/null "$REF$LIST" || { cat "$T/php-fpm.err" "$T/nginx.err" >&2; die "the nginx + PHP-FPM reference did not answer"; }
add_rows "$REF" 10
check_list "$REF"
read -r ref_list bad <<<"$(wrk_rate "$REF$LIST")"
print_rate "nginx+PHP-FPM+SQLite: list" "$ref_list" "$bad"
read -r ref_add bad <<<"$(wrk_rate -s "$T/add.lua" "$REF/api/entries")"
print_rate "nginx+PHP-FPM+SQLite: add" "$ref_add" "$bad"
printf "    ratio ours/reference: list %.2f (target at least 0.5), add %.2f\n" \
	"$(echo "$ours_list / $ref_list" | bc -l)" "$(echo "$ours_add / $ref_add" | bc -l)"
printf "    (reference: %s, one worker each; SQLite synchronous=FULL, rollback journal, on %s)\n" \
	"$(basename "$FPM")" "$(df --output=fstype "$T" | tail -1)"
