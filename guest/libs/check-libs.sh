#!/bin/sh
# check-libs.sh [ELF [MAP]]: code linked from musl's libc.a for the site kernel
# never enters Linux. The ELF (default: $BUILD/guest/libs/libs_probe.elf,
# Lua and SQLite linked freestanding with --gc-sections, so only what is
# reachable from _start is in it) must hold no `syscall`, `sysenter` or
# `int $N` (broken at ring 3 on PVM hosts, and nothing would answer them),
# and read %fs only at the offsets the kernel's thread block provides
# (guest/libs/libc_shim.h). The MUSL_TP_* offsets there are checked against
# libc.a's own code. With no argument it also runs libs_probe_host: the same
# probe on the host under such a block, which must print the expected
# results. On failure it names the functions and the libc members involved.
# Part of `make check` (built by `make guest-libs`).
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
LIBC=/usr/lib/x86_64-linux-musl/libc.a
SHIM_H=guest/libs/libc_shim.h
out=$BUILD/guest/libs
probe=$([ $# -eq 0 ] && echo yes)
elf=${1:-$out/libs_probe.elf}
map=${2:-${elf%.elf}.map}
fail=0

for f in "$elf" "$LIBC"; do
	[ -f "$f" ] || { echo "check-libs: $f: missing (make deps guest-libs)"; exit 1; }
done

# libc members that put code or data into the ELF (from the link map).
members() {
	[ -f "$map" ] || return 0
	awk '/^Linker script and memory map/ { on = 1 }
		on && /libc\.a\(/ && $0 ~ /0x0*[1-9a-f][0-9a-f]* +0x0*[1-9a-f][0-9a-f]* / {
			m = $NF; sub(/.*libc\.a\(/, "", m); sub(/\.lo\)$/, "", m); print m }' "$map" | sort -u
}
# Why a member was pulled in: the map's "Archive member included" lines.
why() {
	[ -f "$map" ] || return 0
	awk -v m="libc.a($1.lo)" '/^Archive member included/ { on = 1; next } /^(Discarded|Memory Configuration)/ { on = 0 }
		on && index($0, m) == length($0) - length(m) + 1 { getline; $1 = $1; print "    " m " <- " $0 }' "$map"
}

dis=$(objdump -d --no-show-raw-insn "$elf") || exit 1
entries=$(echo "$dis" | awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 }
	/\t(syscall|sysenter)( |$)/ || /\tint +\$/ { sub(/^ +/, ""); print fn, $0 }')
if [ -n "$entries" ]; then
	echo "check-libs: $elf enters the kernel from ring 3 (broken on PVM, and no Linux to answer):"
	echo "$entries" | sed 's/^/  /'
	echo "  libc members they come from, and what pulled each in:"
	for fn in $(echo "$entries" | sed 's/^<\(.*\)>:.*/\1/' | sort -u); do
		mem=$(awk -v s=".text.$fn" '$1 == s { if (NF >= 4) print $NF; else { getline; print $NF } }' "$map" 2>/dev/null |
			sed -n 's/.*libc\.a(\(.*\)\.lo)$/\1/p' | head -1)
		[ -n "$mem" ] && why "$mem"
	done
	echo "  replace them in guest/libs/libc_shim.c (README.md, 'The shim') or make them unreachable"
	fail=1
fi

# %fs: only %fs:0 (musl's self pointer) and %fs:0x28 (the stack canary).
fs=$(echo "$dis" | grep -o '%fs:0x[0-9a-f]*' | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
# (The site kernel's own fpu_check() reads errno and the locale slot on
# purpose: it checks the block it set up.)
odd=$(echo "$dis" | awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 } fn != "<fpu_check>:" && /%fs:/ && !/%fs:0x0,/ && !/%fs:0x28,/ && !/,%fs:0x28$/ && !/%fs:0x28$/ { print fn, $0 }')
if [ -n "$odd" ]; then
	echo "check-libs: $elf reads %fs at offsets the kernel's block does not promise (libc_shim.h):"
	echo "$odd" | sed 's/^/  /'
	fail=1
fi
selfers=$(echo "$dis" | awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 } /%fs:0x0,/ { gsub(/[<>:]/, "", fn); printf "%s%s", sep, fn; sep = " " }')

# The MUSL_TP_* offsets against musl's own code.
shim_off() { sed -n "s/^#define $1 *\(0x[0-9a-f]*\).*/\1/p" "$SHIM_H"; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$LIBC" __errno_location.lo strcoll.lo __stack_chk_fail.lo) || exit 2
errno_off=$(objdump -d "$tmp/__errno_location.lo" | sed -n 's/.*add *\$\(0x[0-9a-f]*\),%rax.*/\1/p')
locale_off=$(objdump -d "$tmp/strcoll.lo" | sed -n 's/.*mov *\(0x[0-9a-f]*\)(%rax),%r.*/\1/p' | head -1)
canary_off=$(objdump -d "$tmp/__stack_chk_fail.lo" | sed -n 's/.*mov *%r[a-z0-9]*,\(0x[0-9a-f]*\)(%rax).*/\1/p' | head -1)
for v in "MUSL_TP_ERRNO $errno_off __errno_location" "MUSL_TP_LOCALE $locale_off strcoll" \
	"MUSL_TP_CANARY $canary_off __init_ssp"; do
	set -- $v
	if [ "$(shim_off "$1")" != "$2" ]; then
		echo "check-libs: $SHIM_H says $1 $(shim_off "$1"), musl's $3 uses ${2:-(not found)}"
		fail=1
	fi
done

list=$(members | tr '\n' ' ')
if [ -z "$entries" ]; then
	echo "check-libs: $elf: no syscall, sysenter or int \$N; %fs: $fs"
else
	echo "check-libs: $elf: %fs: $fs"
fi
echo "  self-relative (%fs:0 then +MUSL_TP_*): $selfers"
echo "  musl: errno at +$errno_off, locale at +$locale_off, canary at %fs:$canary_off (libc_shim.h agrees)"
echo "  libc members with code or data in it ($(echo "$list" | wc -w)):"
echo "$list" | fold -s -w 100 | sed 's/^/    /'
size "$elf" | sed 's/^/  /'

if [ "$probe" = yes ]; then
	host=$out/libs_probe_host
	[ -x "$host" ] || { echo "check-libs: $host: missing (make guest-libs)"; exit 1; }
	if ! "$host" >"$tmp/host.out" 2>&1; then
		echo "check-libs: $host failed:"
		fail=1
	fi
	sed 's/^/  /' "$tmp/host.out"
	for f in "$out/liblua.a" "$out/sqlite3.o"; do
		echo "  $f: $(stat -c %s "$f") bytes; $(size -t "$f" | awk 'END { print "text " $1 ", data " $2 ", bss " $3 }')"
	done
fi
[ $fail = 0 ] && echo "check-libs: ok" || echo "check-libs: FAILED"
exit $fail
