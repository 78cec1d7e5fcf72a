#!/bin/sh
# get-vmlinux.sh OUT: fetches Debian's cloud kernel with apt-get download and
# writes its uncompressed vmlinux (an ELF with the PVH note) to OUT.
# Debian ships only the compressed bzImage (LZ4 payload on amd64), so the
# payload is found by its magic and decompressed, as the kernel's own
# scripts/extract-vmlinux does.
set -e
out=$1
[ -n "$out" ] || { echo "usage: $0 OUT" >&2; exit 2; }
[ -s "$out" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
	apt-get update -qq
	pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$pkg" ] || { echo "get-vmlinux: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
(cd "$work" && apt-get download -qq "$pkg" 2>/dev/null) || { echo "get-vmlinux: apt-get download $pkg failed" >&2; exit 1; }
dpkg -x "$work"/*.deb "$work/x"
bz=$(ls "$work"/x/boot/vmlinuz-* | head -1)
off=$(grep -obUaP '\x02\x21\x4c\x18' "$bz" | head -1 | cut -d: -f1)
[ -n "$off" ] || { echo "get-vmlinux: no LZ4 payload in $bz" >&2; exit 1; }
tail -c +$((off + 1)) "$bz" | lz4 -dc > "$work/vmlinux" 2>/dev/null || true
head -c 4 "$work/vmlinux" | grep -q 'ELF' || { echo "get-vmlinux: payload is not an ELF" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
mv "$work/vmlinux" "$out"
echo "get-vmlinux: $pkg -> $out"
