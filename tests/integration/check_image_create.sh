#!/bin/sh
# check_image_create.sh: single-file site images (vmm image create/inspect) and the
# site kernel's site.part= windows, booted directly (no firmware):
#  - create is reproducible; Debian's sgdisk -v finds no problems, fdisk -l
#    lists the partitions, sgdisk -i shows our type GUIDs (abi/site_image.h);
#  - inspect passes a fresh image and fails, with the right line, on copies
#    with one byte flipped in the primary header, the entry array, the boot
#    header, the kernel; create refuses symlinks and an existing output;
#  - site.elf with site.part=content:FIRST:COUNT serves examples/site from
#    the image; the guestbook keeps a posted entry in its data partition
#    across a reboot; a window past the disk's end exits 21.
# Needs KVM (run through tests/run-with-kvm.sh). VMM_BIN overrides the vmm.
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
VMM=${VMM_BIN:-$BUILD/vmm-san}
KERNEL=$BUILD/guest/site.elf
for t in sgdisk fdisk curl; do
	command -v $t >/dev/null || { echo "check_image_create: $t is missing (make deps)"; exit 1; }
done
tmp=$(mktemp -d /tmp/check-image-create.XXXXXX) || exit 1
vm_pid=
cleanup() {
	[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# -- create, reproducibly, and what Debian's tools say of it
"$VMM" image create "$top/examples/site" -o "$tmp/a.img" --kernel "$KERNEL" >"$tmp/out" 2>&1 || { cat "$tmp/out"; bad "create"; exit 1; }
cat "$tmp/out"
"$VMM" image create "$top/examples/site" -o "$tmp/b.img" --kernel "$KERNEL" >/dev/null 2>&1 || bad "second create"
cmp -s "$tmp/a.img" "$tmp/b.img" && ok "two creates give the same bytes" || bad "two creates differ"
sgdisk -v "$tmp/a.img" >"$tmp/out" 2>&1
grep -q "No problems found" "$tmp/out" && ok "sgdisk -v: no problems" || { cat "$tmp/out"; bad "sgdisk -v"; }
"$VMM" image create "$top/examples/site" -o "$tmp/d.img" --kernel "$KERNEL" --data-size 3M --cmdline "site.ram_max=1" >/dev/null 2>&1 || bad "create with --data-size"
sgdisk -v "$tmp/d.img" 2>&1 | grep -q "No problems found" && ok "sgdisk -v with a data partition" || bad "sgdisk -v with a data partition"
fdisk -l "$tmp/d.img" >"$tmp/out" 2>&1
grep -q "Disklabel type: gpt" "$tmp/out" && grep -q "d.img1 *2048" "$tmp/out" && grep -q "d.img2 " "$tmp/out" &&
	grep -q "d.img3 " "$tmp/out" && ok "fdisk -l lists three partitions" || { cat "$tmp/out"; bad "fdisk -l"; }
i=1
for g in 8E0E714D-5269-45E2-BA42-76FF1A470344 F95C6476-5001-4884-8D12-954237882126 FAF4E7CF-05BD-4801-900F-09CE98D0E12A; do
	sgdisk -i $i "$tmp/d.img" | grep -q "Partition GUID code: $g" && ok "sgdisk -i $i: type $g" || bad "sgdisk -i $i: not type $g"
	i=$((i + 1))
done

# -- inspect: a sound image, then one flipped byte at a time
"$VMM" image inspect "$tmp/d.img" >"$tmp/out" 2>&1 && grep -q "checks: .* 0 failed" "$tmp/out" &&
	grep -q '^command line: "site.ram_max=1"' "$tmp/out" && grep -q "^kernel: .* PVH entry 0x" "$tmp/out" &&
	ok "inspect passes" || { cat "$tmp/out"; bad "inspect of a fresh image"; }
lba() { # image type -> first LBA of the partition of that type
	"$VMM" image inspect "$1" | awk -v t="$2" '$2 == t { split($5, r, "-"); print r[1]; exit }'
}
boot=$(lba "$tmp/a.img" boot) content=$(lba "$tmp/a.img" content)
[ -n "$boot" ] && [ -n "$content" ] || { bad "no boot or content partition in inspect's listing"; exit 1; }
flip() { # offset expected-line what
	cp "$tmp/a.img" "$tmp/c.img"
	b=$(od -An -tu1 -j "$1" -N1 "$tmp/a.img" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 0xff)))" | dd of="$tmp/c.img" bs=1 seek="$1" conv=notrunc status=none
	"$VMM" image inspect "$tmp/c.img" >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "^FAIL: $2" "$tmp/out" && ok "inspect: $3 flipped: exit 1, '$(grep -m1 "^FAIL: $2" "$tmp/out")'" ||
		{ cat "$tmp/out"; bad "inspect: $3 flipped: exit $rc, no 'FAIL: $2' line"; }
}
flip $((512 + 40)) "primary GPT header (LBA 1): header CRC32" "a byte of the primary header"
flip $((1024 + 10)) "primary GPT entry array (LBA 2): CRC32" "a byte of the entry array"
flip $((boot * 512 + 20)) "boot header: header CRC32" "a byte of the boot header"
flip $((boot * 512 + 4096 + 5000)) "kernel: CRC32" "a byte of the kernel"
size=$(stat -c %s "$tmp/a.img")
flip $((size - 512 + 40)) "backup GPT header" "a byte of the backup header"

# -- create's refusals
"$VMM" image create "$top/examples/site" -o "$tmp/a.img" --kernel "$KERNEL" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "exists (--force replaces it)" "$tmp/out" && ok "an existing output is refused" || bad "overwrote without --force"
"$VMM" image create "$top/examples/site" -o "$tmp/a.img" --kernel "$KERNEL" --force >/dev/null 2>&1 && cmp -s "$tmp/a.img" "$tmp/b.img" &&
	ok "--force replaces it" || bad "--force"
mkdir "$tmp/site" && echo hi >"$tmp/site/index.html" && ln -s /etc/passwd "$tmp/site/passwd"
"$VMM" image create "$tmp/site" -o "$tmp/s.img" --kernel "$KERNEL" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "passwd: a symbolic link" "$tmp/out" && [ ! -e "$tmp/s.img" ] && ok "a symlink is refused" || { cat "$tmp/out"; bad "symlink"; }

# -- the site kernel on windows of the image (what the firmware will pass)
sectors() { "$VMM" image inspect "$1" | awk -v t="$2" '$2 == t { split($5, r, "-"); print r[1] ":" r[2] - r[1] + 1; exit }'; }
boot_vm() { # image,opts cmdline
	rm -f "$tmp/http.sock"
	"$VMM" run --kernel "$KERNEL" --disk "$1" --cmdline "$2" --publish "unix:$tmp/http.sock:80" >"$tmp/console" 2>&1 &
	vm_pid=$!
	for _ in $(seq 100); do
		grep -q "site: listening" "$tmp/console" && return 0
		kill -0 $vm_pid 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/console"
	return 1
}
stop_vm() {
	kill -PWR $vm_pid && wait $vm_pid # a power-off request: the guest finishes and exits 0
	rc=$?
	vm_pid=
	[ $rc = 0 ] || { cat "$tmp/console"; bad "vmm exited $rc"; }
}
part=$(sectors "$tmp/a.img" content)
if boot_vm "$tmp/a.img,ro" "site.part=content:$part"; then
	curl -s -m 10 --unix-socket "$tmp/http.sock" http://localhost/index.html >"$tmp/page"
	cmp -s "$tmp/page" "$top/examples/site/index.html" && grep -q "site: content partition: sectors ${part%%:*}-" "$tmp/console" &&
		ok "site.part=content:$part serves examples/site's index.html" || { cat "$tmp/console"; bad "page through site.part=content"; }
	stop_vm
else
	bad "no boot with site.part=content:$part"
fi

"$VMM" image create "$top/examples/guestbook" -o "$tmp/g.img" --kernel "$KERNEL" --data-size 16M >/dev/null 2>&1 || bad "create guestbook"
cl="site.part=content:$(sectors "$tmp/g.img" content) site.part=data:$(sectors "$tmp/g.img" data)"
if boot_vm "$tmp/g.img" "$cl"; then
	curl -s -m 10 --unix-socket "$tmp/http.sock" -X POST -d '{"name":"ann","message":"kept in a partition"}' http://localhost/api/entries >"$tmp/page"
	grep -q '"id":1' "$tmp/page" || { cat "$tmp/page" "$tmp/console"; bad "guestbook POST"; }
	stop_vm
	if boot_vm "$tmp/g.img" "$cl"; then
		curl -s -m 10 --unix-socket "$tmp/http.sock" http://localhost/api/entries >"$tmp/page"
		grep -q "kept in a partition" "$tmp/page" && ok "the guestbook's entry survives a reboot in the data partition" ||
			{ cat "$tmp/page" "$tmp/console"; bad "entry lost"; }
		stop_vm
	else
		bad "no second boot of the guestbook"
	fi
else
	bad "no boot of the guestbook with $cl"
fi
sgdisk -v "$tmp/g.img" 2>&1 | grep -q "No problems found" && "$VMM" image inspect "$tmp/g.img" >/dev/null &&
	ok "the GPT is intact after the database's writes" || bad "the database's writes damaged the GPT"

sectors_total=$(($(stat -c %s "$tmp/a.img") / 512))
"$VMM" run --kernel "$KERNEL" --disk "$tmp/a.img,ro" --cmdline "site.check=1 site.part=content:$((sectors_total - 10)):11" >"$tmp/console" 2>&1
rc=$?
[ $rc = 21 ] && grep -q "lies outside the first disk" "$tmp/console" && ok "a window past the end: exit 21" || { cat "$tmp/console"; bad "window past the end: exit $rc"; }

[ $fails = 0 ] && echo "check_image_create: all passed" || echo "check_image_create: $fails failed"
[ $fails = 0 ]
