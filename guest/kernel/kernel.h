/* The site kernel: shared declarations. Everything but start.S and trap.c
 * runs at ring 3 (IOPL 0, interrupts off); see README.md. */
#ifndef GUEST_KERNEL_KERNEL_H
#define GUEST_KERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/platform.h"
#include "abi/pvh.h"
#include "guest/lib/cpu.h"
#include "guest/lib/string.h"

/* ---- failure codes (vmm run exits with them; README.md lists them) ---- */
enum {
	EXIT_OK = 0,
	EXIT_FAULT = 3,          /* CPU exception: diagnosis on the console */
	EXIT_BOOT = 10,          /* unusable boot information (start_info, memory map) */
	EXIT_NO_MEMORY = 11,     /* out of guest memory */
	EXIT_NO_DISK = 12,       /* no virtio-blk device: no site content */
	EXIT_DISK_IO = 13,       /* the site disk failed a read */
	EXIT_SITE_CORRUPT = 14,  /* the archive is not a valid tar (or is empty) */
	EXIT_SITE_CONF = 15,     /* site.conf is invalid */
	EXIT_NO_VSOCK = 16,      /* no virtio-vsock device */
	EXIT_DEVICE = 17,        /* a virtio device refused set-up or broke the protocol */
	EXIT_CMDLINE = 18,       /* malformed kernel command line option */
	EXIT_SELFTEST = 19,      /* SSE, x87 or the FS base failed the boot self-test */
	EXIT_DATA_DISK = 20,     /* the data disk is foreign, corrupt or too small (the database) */
	EXIT_PARTITION = 21,     /* a site.part= window lies outside the first disk, or windows overlap */
};

/* ---- CPU and I/O (guest/lib/cpu.h; legal at ring 3: the TSS I/O bitmap,
 * user-mapped MMIO) and the libc bits (guest/lib/string.h) ---- */
#define barrier() __asm__ volatile("" ::: "memory")
#define mb() __asm__ volatile("mfence" ::: "memory")
#define cpu_relax() __asm__ volatile("pause" ::: "memory")
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- console (console.c): COM1, buffered, flushed with `rep outsb` ---- */
void kputs(const char *s);
void kwrite(const char *s, size_t n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
void console_flush(void);
/* Buffered bytes and since when (now_ns); the loop flushes lazily. */
uint64_t console_pending_since(size_t *bytes);
extern bool clock_ready;
__attribute__((noreturn)) void poweroff(int code);
__attribute__((noreturn, format(printf, 2, 3))) void panic(int code, const char *fmt, ...);

/* ---- SSE and TLS (start.S enables them; README.md, "SSE and TLS") ---- */
extern char tls_block[], tls_block_end[]; /* %fs points at tls_block; *(void **)tls_block == tls_block */
extern const void *const c_locale[6];     /* musl's C locale (all NULL); tls_block's locale field points here */
/* Checks SSE, x87 and the FS base; panics with EXIT_SELFTEST if one is
 * wrong. Compiled with SSE (fpu_check.c): call at ring 3 only. */
void fpu_check(void);
extern volatile bool fpu_check_running; /* for trap_fatal's diagnosis */

/* ---- counters (README.md: "Counters") ---- */
struct stats {
	uint64_t waits;          /* ring-3 hlt -> ring 0 (#GP) */
	uint64_t notifies;       /* QueueNotify writes (ioeventfd exits) */
	uint64_t notify_skipped; /* notifies the device said it did not need */
	uint64_t mmio_acks;      /* InterruptACK writes (exits) */
	uint64_t acks_skipped;   /* wake-ups of edge-signalling (vmm) devices: no ack needed */
	uint64_t timer_arms;     /* LAPIC timer writes (exits) */
	uint64_t console_exits;  /* bulk-port writes, or bytes through COM1 (an exit each) */
	uint64_t port_reads;     /* power device reads (exits) */
	uint64_t requests;       /* HTTP responses */
	uint64_t conns;          /* vsock connections accepted */
	uint64_t conns_refused;  /* REQUESTs answered with RST */
	uint64_t conns_max;      /* most open at once */
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes;
	uint64_t blk_reads, blk_bytes, blk_writes, blk_write_bytes, blk_flushes;
	uint64_t tx_full;        /* times the tx queue had no room */
	uint64_t idle_ns;        /* time spent waiting for interrupts */
	uint64_t wake_timer, wake_device, spins, passes, pass_rx, pass_txdone; /* wake-up causes; passes that found nothing but could not sleep */
	uint64_t poll_hits, poll_misses, poll_ns; /* idle_poll.c: polls that found work, that did not, time spent */
	uint64_t boot_ns, listen_ns; /* now_ns() at kernel entry (clock ready) and when listening */
};
extern struct stats st;
extern volatile uint64_t irq_count;      /* incremented by the ring-0 interrupt stubs */
extern volatile uint32_t irq_pending;    /* bit g: IOAPIC pin g fired; bit 31: timer */
#define IRQ_TIMER_BIT (1u << 31)
/* "name value" lines of every counter (stats.c); open_conns comes from the
 * transport, which owns the connections. */
void print_stats(unsigned open_conns);
size_t format_stats(char *buf, size_t cap, unsigned open_conns);

/* ---- ring 0 (start.S): the only way in from here ---- */
void wait_for_interrupt(void); /* hlt: #GP -> sti; hlt -> back; interrupts noted in irq_pending */
uint32_t wait_irq(void);       /* wait_for_interrupt + take irq_pending (at once if bits were handed back) */

/* ---- platform (platform.c) ---- */
#define VEC_IRQ_BASE 0x40
#define VEC_TIMER    0x60
void platform_init(const struct hvm_start_info *si);
const char *cmdline(void);
/* Value of "key=..." on the command line (the n-th occurrence), or NULL;
 * *len gets its length. */
const char *cmdline_get(const char *key, unsigned nth, size_t *len);
void ioapic_route(unsigned gsi, unsigned vector);

bool shutdown_requested(void);       /* reads the power device (an exit) */

/* ---- boot self-tests on request (selftest.c) ---- */
void stack_selftest(void); /* site.stacktest=1: uses ~1 MiB of stack, then overflows it on purpose (exit 3) */
void blk_selftest(void);   /* site.blktest=1: write, flush, read back on the data disk */

/* ---- clock (clock.c): kvmclock or TSC, and the LAPIC timer ---- */
void lapic_timer_arm_ns(uint64_t ns); /* one-shot; 0 stops it */
void clock_init(void);
uint64_t now_ns(void);   /* since boot */
uint64_t unix_ms(void);  /* wall clock */

/* ---- memory (alloc.c) ---- */
void alloc_init(uintptr_t start, uintptr_t end);
void *alloc_pages(size_t n);            /* zeroed only if never used: caller inits */
void free_pages(void *p, size_t n);
void *kalloc(size_t size);              /* page-rounded, panics when out of memory */
uint64_t mem_used_bytes(void);
uint64_t mem_free_bytes(void);

#endif
