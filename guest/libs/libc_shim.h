/* guest/libs/libc_shim.h: what the site kernel plugs into the C library its
 * Lua and SQLite run on (musl 1.2.3, Debian's musl-dev), and the thread block
 * musl reads through %fs. README.md, "The shim" and "What the kernel
 * provides", says why each piece exists. */
#ifndef GUEST_LIBS_LIBC_SHIM_H
#define GUEST_LIBS_LIBC_SHIM_H

/* musl 1.2.3's struct pthread on x86-64, as its code reaches it: %fs:0 is the
 * block's own address (__pthread_self()), then fields relative to it. Read
 * from libc.a's disassembly; check-libs.sh re-reads them on every run. */
#define MUSL_TP_SELF   0x00 /* void *: the block itself */
#define MUSL_TP_CANARY 0x28 /* uintptr_t: -fstack-protector's guard, read as %fs:0x28 by musl's own functions */
#define MUSL_TP_ERRNO  0x34 /* int: __errno_location() returns self + 0x34 */
#define MUSL_TP_LOCALE 0xa8 /* struct __locale_struct *: CURRENT_LOCALE (strcoll passes it on unread) */
#define MUSL_TP_SIZE   200  /* sizeof(struct pthread) */

#ifndef __ASSEMBLER__
#include <stddef.h>

/* time(): seconds since the epoch. Lua seeds its string hashes and
 * math.random with it. Unset: 0. */
extern long long (*libc_shim_time_hook)(void);
/* clock(): processor time in microseconds (CLOCKS_PER_SEC is 1000000);
 * the site kernel may give its monotonic clock. Unset: -1, C's "not
 * available". Lua's table.sort mixes it into its pivot choice. */
extern long long (*libc_shim_clock_hook)(void);
/* abort() (and musl's internal callers of it): a last word, must not
 * return. Unset, or if it returns: ud2, a fatal #UD. */
extern void (*libc_shim_abort_hook)(const char *why);
/* Lua's print() (stream 1) and warnings (stream 2). Unset: discarded. */
extern void (*libc_shim_write_hook)(int stream, const char *s, size_t len);

/* A zeroed struct __locale_struct: musl's "C" locale (every category NULL).
 * The block's MUSL_TP_LOCALE field may point here. */
extern const void *const libc_shim_c_locale[6];
#endif

#endif
