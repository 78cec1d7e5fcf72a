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
make -s -C "$here/.." build/vmmd build/vmmd-monitor build/vmm build/guest/site.elf >/dev/null
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
PORT=$((30000 + $$ % 20000))
uri="vmm+unix:///system?socket=$T/sock"

# The poller: runs CMD, polls GET / on 127.0.0.1:PORT every 0.5 ms until it
# answers 200. Mode wait: then waits for CMD to exit; prints "us_to_200
# us_to_exit". Mode kill: then stops CMD (SIGTERM); prints "us_to_200 0".
cat >"$T/poll.c" <<'EOF'
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}
static int get(int port)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char buf[64] = "";
	int s = socket(AF_INET, SOCK_STREAM, 0), code = -1, n = 0;
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 && send(s, req, sizeof req - 1, MSG_NOSIGNAL) > 0) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		while (n < 12 && poll(&p, 1, 10000) == 1) {
			int r = recv(s, buf + n, sizeof buf - 1 - n, 0);
			if (r <= 0)
				break;
			n += r;
		}
		buf[n] = 0;
		if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
			code = -1;
	}
	close(s);
	return code;
}
int main(int argc, char **argv)
{
	int port, st;
	long long t0, t200 = -1, texit = 0, limit;
	pid_t pid;
	if (argc < 5)
		return 2;
	port = atoi(argv[2]);
	limit = atoll(argv[3]) * 1000;
	t0 = now_us();
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	while (now_us() - t0 < limit) {
		if (get(port) == 200) {
			t200 = now_us() - t0;
			break;
		}
		if (!texit && waitpid(pid, &st, WNOHANG) == pid) {
			texit = now_us() - t0;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				break; /* virsh start failed, or vmm ended */
		}
		usleep(500);
	}
	if (strcmp(argv[1], "kill") == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		texit = 0;
	} else if (!texit) {
		waitpid(pid, &st, 0);
		texit = now_us() - t0;
	}
	if (t200 < 0) {
		fprintf(stderr, "no HTTP 200 on port %d\n", port);
		return 1;
	}
	printf("%lld %lld\n", t200, texit);
	return 0;
}
EOF
cc -O2 -Wall -Wextra -o "$T/poll" "$T/poll.c"
cc -O2 -Wall -Wextra -o "$T/api_create" bench/api_create.c -lvirt -lpthread

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
		tail -5 "$T/vmmd.log" "$T/state/run/site.log" >&2 || true
		exit 1
	fi
	virsh -q -c "$uri" destroy site >/dev/null
	echo "  virsh start round: $(tail -1 "$T/virsh") us (to 200, to virsh exit)" >&2
done
: >"$T/api.us"
for _ in $(seq "$N"); do
	settle
	if ! "$T/api_create" "$uri" site "$PORT" >>"$T/api.us"; then
		echo "bench: the site did not answer after virDomainCreate" >&2
		tail -5 "$T/vmmd.log" "$T/state/run/site.log" >&2 || true
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
