/* The little runtime test guests share: port I/O, serial output, power-off,
 * the PVH start_info and the ACPI MADT. */
#ifndef GUEST_H
#define GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "abi/platform.h"
#include "abi/pvh.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)addr; }

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

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
size_t strlen(const char *s);

#endif
