/* The little runtime test guests share: serial output, power-off, the PVH
 * start_info and the ACPI MADT; CPU access, libc bits and printf-style
 * formatting come from the site kernel's guest/lib. */
#ifndef GUEST_H
#define GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "abi/platform.h"
#include "abi/pvh.h"
#include "guest/lib/cpu.h"    /* outb, inb, rdtsc, mmio_r32, mmio_w32 */
#include "guest/lib/string.h" /* memcpy, memset, strlen, ... */

void putc_serial(char c);
void puts_serial(const char *s);
int getc_serial(void); /* blocks (polling) */
void printf_serial(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void poweroff(int code);
void reset(void);

const char *cmdline(const struct hvm_start_info *si);
/* Value of "key=N" on the command line, or def. */
uint64_t cmdline_uint(const struct hvm_start_info *si, const char *key, uint64_t def);
/* Counts enabled CPUs in the MADT; fills ids (up to max) with their APIC IDs. */
int madt_cpus(const struct hvm_start_info *si, uint8_t *ids, int max);

#endif
