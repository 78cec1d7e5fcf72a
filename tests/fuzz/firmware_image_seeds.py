#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_firmware_image (tests/fuzz/corpus/firmware_image/):
small but valid site images (abi/site_image.h) with a hand-made PVH ELF as the
kernel, so mutations start from inputs that get past every CRC. Partitions are
packed from LBA 34 (vmm image create aligns them to 1 MiB: megabytes of zeros)."""
import os, struct, sys, zlib

SECTOR = 512
T_BOOT = bytes([0x4d, 0x71, 0x0e, 0x8e, 0x69, 0x52, 0xe2, 0x45, 0xba, 0x42, 0x76, 0xff, 0x1a, 0x47, 0x03, 0x44])
T_CONTENT = bytes([0x76, 0x64, 0x5c, 0xf9, 0x01, 0x50, 0x84, 0x48, 0x8d, 0x12, 0x95, 0x42, 0x37, 0x88, 0x21, 0x26])
T_DATA = bytes([0xcf, 0xe7, 0xf4, 0xfa, 0xbd, 0x05, 0x01, 0x48, 0x90, 0x0f, 0x09, 0xce, 0x98, 0xd0, 0xe1, 0x2a])


def kernel(code_len=3000, bss=8192, note_in_load=True, seg_offset=0x1000):
    """ELF64: a PT_LOAD at 1 MiB (code_len file bytes, bss more), a PT_NOTE with Xen's PHYS32_ENTRY."""
    note = struct.pack("<III4sI", 4, 4, 18, b"Xen\0", 0x100010)
    phnum = 2
    code = bytes((i * 13) & 0xff for i in range(code_len))
    if note_in_load:
        code = code[:64] + note + code[64 + len(note):]
        note_off = seg_offset + 64
    body = bytearray(seg_offset + len(code))
    body[seg_offset:] = code
    if not note_in_load:
        note_off = len(body)
        body += note
    eh = struct.pack("<4sBBBB8sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, b"", 2, 62, 1, 0x100010, 64, 0, 0,
                     64, 56, phnum, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 7, seg_offset, 0x100000, 0x100000, len(code), len(code) + bss, 0x1000)
    pnote = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(note), len(note), 4)
    body[0:64 + 2 * 56] = eh + load + pnote
    return bytes(body)


def image(kern, cmdline=b"site.debug=1", data=True, content_sectors=8):
    kernel_offset = (512 + len(cmdline) + 4095) // 4096 * 4096
    boot_bytes = kernel_offset + len(kern)
    boot_sectors = (boot_bytes + SECTOR - 1) // SECTOR
    first = 34
    parts = [(T_BOOT, first, first + boot_sectors - 1)]
    nxt = first + boot_sectors
    parts.append((T_CONTENT, nxt, nxt + content_sectors - 1))
    nxt += content_sectors
    if data:
        parts.append((T_DATA, nxt, nxt + 3))
        nxt += 4
    total = nxt + 33  # backup array and header
    disk = bytearray(total * SECTOR)
    # protective MBR
    disk[446 + 4] = 0xee
    struct.pack_into("<II", disk, 446 + 8, 1, min(total - 1, 0xffffffff))
    disk[510:512] = b"\x55\xaa"
    # entries
    ents = bytearray(128 * 128)
    for i, (t, a, b) in enumerate(parts):
        struct.pack_into("<16s16sQQQ", ents, i * 128, t, bytes([i + 1] * 16), a, b, 0)
    disk[2 * SECTOR:2 * SECTOR + len(ents)] = ents
    disk[(total - 33) * SECTOR:(total - 1) * SECTOR] = ents
    def header(my, alt, ents_lba):
        h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, my, alt, 34, total - 34,
                                  bytes(range(16)), ents_lba, 128, 128, zlib.crc32(ents)))
        struct.pack_into("<I", h, 16, zlib.crc32(h))
        return h
    disk[SECTOR:SECTOR + 92] = header(1, total - 1, 2)
    disk[(total - 1) * SECTOR:(total - 1) * SECTOR + 92] = header(total - 1, 1, total - 33)
    # boot header, command line, kernel
    b = first * SECTOR
    hdr = bytearray(struct.pack("<8sIIQIIQQIIQ", b"VMMBOOT1", 1, 0, 512, len(cmdline), 0, kernel_offset, len(kern),
                                zlib.crc32(kern), 0, 0))
    struct.pack_into("<I", hdr, 12, zlib.crc32(hdr))
    disk[b:b + 64] = hdr
    disk[b + 512:b + 512 + len(cmdline)] = cmdline
    disk[b + kernel_offset:b + kernel_offset + len(kern)] = kern
    return bytes(disk)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/firmware_image"
    os.makedirs(out, exist_ok=True)
    seeds = {
        "seed-valid": image(kernel()),
        "seed-no-data": image(kernel(), data=False, cmdline=b""),
        "seed-note-after-load": image(kernel(note_in_load=False, code_len=5000)),
        "seed-unaligned-segment": image(kernel(seg_offset=0x1234, code_len=20000, bss=0)),
        "seed-long-cmdline": image(kernel(), cmdline=b"a=b " * 1000),
    }
    seeds["seed-valid-nocrc"] = seeds["seed-valid"] + b"\x01"
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


main()
