#!/bin/sh
# check-image.sh: the site kernel image, with Lua, SQLite and musl's libc.a
# linked in, holds no `syscall`, `sysenter` or `int $N` and reads %fs only
# where its thread block promises (guest/libs/check-libs.sh on site.elf and
# its link map). Part of `make check`.
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
exec guest/libs/check-libs.sh "$BUILD/guest/site.elf" "$BUILD/guest/site.elf.map"
