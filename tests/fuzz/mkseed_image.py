#!/usr/bin/env python3
# mkseed_image.py OUT: writes tests/fuzz/corpus/image_inspect/small_image.
# A compact site image (partitions of a few sectors, a 212-byte PVH ELF) so
# the fuzzer starts from a file that passes every check. Built with
# Python's zlib.crc32, so it also cross-checks vmm's own CRC32.
import struct, zlib, uuid, sys
S = 512
def guid(s): return uuid.UUID(s).bytes_le
BOOT, CONTENT, DATA = (guid("8e0e714d-5269-45e2-ba42-76ff1a470344"), guid("f95c6476-5001-4884-8d12-954237882126"),
                       guid("faf4e7cf-05bd-4801-900f-09ce98d0e12a"))
# ELF: header, 2 phdrs (PT_LOAD at 1 MiB, PT_NOTE), note, code
note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", 0x100000 + 0xb0 + 0x18)
ehsz, phsz = 64, 56
note_off = ehsz + 2 * phsz
code_off = note_off + len(note)
code = b"\xf4" * 16
elf_len = code_off + len(code)
eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x100000 + code_off, ehsz, 0, 0, ehsz, phsz, 2, 64, 0, 0)
ph_load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x100000, 0x100000, elf_len, elf_len, 0x1000)
ph_note = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(note), len(note), 4)
elf = eh + ph_load + ph_note + note + code
assert len(elf) == elf_len
cmd = b"console=x"
kernel_off = 4096
hdr = bytearray(b"VMMBOOT1" + struct.pack("<IIQIIQQIIQ", 1, 0, 512, len(cmd), 0, kernel_off, len(elf), zlib.crc32(elf), 0, 0))
struct.pack_into("<I", hdr, 12, zlib.crc32(bytes(hdr)))
boot = bytearray(kernel_off + len(elf))
boot[0:64] = hdr; boot[512:512 + len(cmd)] = cmd; boot[kernel_off:] = elf
boot += bytes(-len(boot) % S)
# content: a one-file ustar archive, as vmm image create packs it
import tarfile
ti = tarfile.TarInfo("index.html"); ti.size = 3; ti.mtime = 0; ti.mode = 0o644
content = ti.tobuf(format=tarfile.USTAR_FORMAT) + b"hi\n".ljust(S, b"\0") + bytes(2 * S)
parts = [(BOOT, "boot", bytes(boot)), (CONTENT, "content", content), (DATA, "data", bytes(S))]
lba, ents, body = 34, b"", b""
for i, (t, name, data) in enumerate(parts):
    n = len(data) // S
    ents += t + bytes([i + 1] * 16) + struct.pack("<QQQ", lba, lba + n - 1, 0) + name.encode("utf-16-le").ljust(72, b"\0")
    body += data; lba += n
ents = ents.ljust(128 * 128, b"\0")
total = lba + 33
def header(cur, other, elba):
    h = bytearray(b"EFI PART" + struct.pack("<IIIIQQQQ16sQIII", 0x10000, 92, 0, 0, cur, other, 34, total - 34,
                                             bytes(range(16)), elba, 128, 128, zlib.crc32(ents)))
    struct.pack_into("<I", h, 16, zlib.crc32(bytes(h)))
    return bytes(h).ljust(S, b"\0")
mbr = bytearray(S)
mbr[446:462] = bytes([0, 0, 2, 0, 0xee, 0xff, 0xff, 0xff]) + struct.pack("<II", 1, total - 1)
mbr[510:512] = b"\x55\xaa"
img = bytes(mbr) + header(1, total - 1, 2) + ents + body + ents + header(total - 1, 1, total - 33)
assert len(img) == total * S
open(sys.argv[1], "wb").write(img)
