/* guest/libs/libc_shim.c: the few C library functions the site kernel's Lua
 * and SQLite reach whose musl implementations issue `syscall` (broken at
 * ring 3 on PVM hosts, and pointless in a guest with no Linux under it).
 * Linked before musl's libc.a, so the archive members that hold musl's own
 * versions are never pulled in. README.md has the table of what is replaced
 * and why; check-libs.sh proves the linked result has no `syscall`. */
#include <stdlib.h>
#include <time.h>
#include "libc_shim.h"

long long (*libc_shim_time_hook)(void);
long long (*libc_shim_clock_hook)(void);
void (*libc_shim_abort_hook)(const char *why);
void (*libc_shim_write_hook)(int stream, const char *s, size_t len);

const void *const libc_shim_c_locale[6];

/* musl: clock_gettime(CLOCK_REALTIME) through the vDSO, else the syscall. */
time_t time(time_t *t)
{
	time_t now = libc_shim_time_hook ? (time_t)libc_shim_time_hook() : 0;
	if (t)
		*t = now;
	return now;
}

/* musl: clock_gettime(CLOCK_PROCESS_CPUTIME_ID), the syscall. Lua's
 * table.sort mixes it with time() into its pivot choice for big arrays. */
clock_t clock(void)
{
	return libc_shim_clock_hook ? (clock_t)libc_shim_clock_hook() : (clock_t)-1;
}

/* musl: raise(SIGABRT) (rt_sigprocmask, gettid, tkill), then SIGKILL. */
_Noreturn void abort(void)
{
	if (libc_shim_abort_hook)
		libc_shim_abort_hook("abort()");
	__builtin_trap();
}

/* musl: stdio's per-FILE lock for threads; contention waits with the futex
 * syscall. One thread here: vsnprintf's FILE has lock = -1 and never
 * calls it, any other FILE needs no lock. 0 = "no unlock needed". */
int __lockfile(void *f);
void __unlockfile(void *f);

int __lockfile(void *f)
{
	(void)f;
	return 0;
}

void __unlockfile(void *f)
{
	(void)f;
}
