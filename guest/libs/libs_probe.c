/* guest/libs/libs_probe.c: uses Lua and SQLite the way the site kernel will,
 * to see what of musl that drags in. Two builds (libs.mk):
 *   - libs_probe.elf: freestanding, its own _start, no start files, musl's
 *     libc.a last, --gc-sections; never run, only inspected: check-libs.sh
 *     fails on any `syscall` (or other way into Linux) in it;
 *   - libs_probe_host (-DLIBS_PROBE_HOST): the same code under musl on the
 *     host, with main() pointing %fs at a thread block laid out as
 *     libc_shim.h says the kernel's must be while the probe runs, then
 *     printing the results and comparing them with the expected ones.
 * No malloc: Lua allocates from a static buffer through its lua_Alloc,
 * SQLite from another through memsys5 (SQLITE_CONFIG_HEAP). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "sqlite3.h"
#include "libc_shim.h"

/* ---- output: the probe writes its report into out[] ---- */
static char out[4096];
static size_t out_len;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + out_len, sizeof out - out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		out_len += (size_t)n < sizeof out - out_len ? (size_t)n : sizeof out - out_len - 1;
}

/* Lua's print() lands here (libc_shim_write_hook). */
static char printed[256];
static size_t printed_len;
static void write_hook(int stream, const char *s, size_t len)
{
	(void)stream;
	while (len-- && printed_len < sizeof printed - 1)
		printed[printed_len++] = *s++;
}

/* ---- Lua: an allocator over a static buffer ----
 * A bump pointer with a size header per block; freeing or growing the last
 * block works in place, anything else leaks (enough for a probe). */
static _Alignas(16) unsigned char lua_heap[1 << 20];
static size_t lua_top, lua_peak;

static void *probe_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	(void)osize;
	size_t *hdr = ptr ? (size_t *)ptr - 2 : NULL;
	int last = hdr && (unsigned char *)ptr + ((hdr[0] + 15) & ~(size_t)15) == lua_heap + lua_top;
	if (nsize == 0) {
		if (last)
			lua_top = (size_t)((unsigned char *)hdr - lua_heap);
		return NULL;
	}
	size_t need = (nsize + 15) & ~(size_t)15;
	if (last) {
		size_t start = (size_t)((unsigned char *)ptr - lua_heap);
		if (start + need > sizeof lua_heap)
			return NULL;
		hdr[0] = nsize;
		lua_top = start + need;
	} else {
		if (lua_top + 16 + need > sizeof lua_heap)
			return NULL;
		size_t *h = (size_t *)(lua_heap + lua_top);
		h[0] = nsize;
		void *p = h + 2;
		if (ptr)
			memcpy(p, ptr, hdr[0] < nsize ? hdr[0] : nsize);
		lua_top += 16 + need;
		ptr = p;
	}
	if (lua_top > lua_peak)
		lua_peak = lua_top;
	return ptr;
}

static int traceback(lua_State *L)
{
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

/* Runs chunk, leaves its first result (as a string) in buf. */
static int lua_run(lua_State *L, const char *chunk, char *buf, size_t size)
{
	lua_pushcfunction(L, traceback);
	int st = luaL_loadstring(L, chunk);
	if (st == LUA_OK)
		st = lua_pcall(L, 0, 1, -2);
	const char *s = luaL_tolstring(L, -1, NULL);
	snprintf(buf, size, "%s", s ? s : "?");
	lua_pop(L, 3);
	return st;
}

static int probe_lua(void)
{
	char r[512];
	int bad = 0;
	lua_State *L = lua_newstate(probe_alloc, NULL);
	if (!L) {
		say("lua: lua_newstate failed\n");
		return 1;
	}
	luaL_openlibs(L);
	bad |= lua_run(L, "return string.format('%d %.3f', 6*7, math.pi)", r, sizeof r);
	say("lua format: %s\n", r);
	bad |= lua_run(L, "local t = {} for i = 1, 5 do t[#t+1] = i * i end "
	                  "return table.concat(t, ',') .. ' ' .. utf8.char(72, 228, 8364) .. ' ' .. "
	                  "math.tointeger(2^53) .. ' ' .. tostring(1e300 * 1e10) .. ' ' .. "
	                  "string.rep('ab', 3, '-') .. ' ' .. ('%5.2f|%x|%q'):format(1/3, 255, 'a\\n')", r, sizeof r);
	say("lua libs: %s\n", r);
	bad |= lua_run(L, "local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) "
	                  "return co(1) + co(20)", r, sizeof r);
	say("lua coroutine: %s\n", r);
	bad |= lua_run(L, "print('hi', 1, nil) return 'ok'", r, sizeof r);
	say("lua print: %s (%.*s)\n", r, (int)(printed_len && printed[printed_len - 1] == '\n' ? printed_len - 1 : printed_len), printed);
	bad |= lua_run(L, "return select(2, loadfile('x.lua'))", r, sizeof r);
	say("lua loadfile: %s\n", r);
	bad |= lua_run(L, "math.randomseed(7) local a = math.random(1, 1000) math.randomseed(7) "
	                  "return a == math.random(1, 1000) and tonumber('0x1p4') + tonumber(' 2.5e1 ')", r, sizeof r);
	say("lua numbers: %s\n", r);
	/* An error through the message handler: lauxlib's traceback. */
	int st = lua_run(L, "local function inner() error('boom') end inner()", r, sizeof r);
	int tb = st == LUA_ERRRUN && strstr(r, "boom") && strstr(r, "stack traceback:") && strstr(r, "inner");
	say("lua traceback: %s\n", tb ? "ok" : r);
	bad |= !tb;
	say("lua heap: %zu bytes at the peak\n", lua_peak);
	lua_close(L);
	return bad;
}

/* ---- SQLite: memsys5 over a static buffer, a stub VFS ----
 * SQLITE_OS_OTHER leaves sqlite3_os_init/end to us. The stub opens no file
 * (":memory:" and temp storage need none: SQLITE_TEMP_STORE=3); it supplies
 * randomness and the time, which is all an in-memory database asks of it.
 * The kernel's VFS over virtio-blk comes later. */
static _Alignas(16) unsigned char sqlite_heap[2 << 20];

static int vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	(void)v, (void)name, (void)f, (void)flags, (void)out_flags;
	return SQLITE_CANTOPEN;
}
static int vfs_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v, (void)name, (void)sync;
	return SQLITE_IOERR_DELETE;
}
static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *res)
{
	(void)v, (void)name, (void)flags;
	*res = 0;
	return SQLITE_OK;
}
static int vfs_fullpathname(sqlite3_vfs *v, const char *name, int n, char *outp)
{
	(void)v;
	sqlite3_snprintf(n, outp, "%s", name);
	return SQLITE_OK;
}
static int vfs_randomness(sqlite3_vfs *v, int n, char *outp)
{
	(void)v;
	static uint64_t x = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		outp[i] = (char)x;
	}
	return n;
}
static int vfs_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return us;
}
static int vfs_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	(void)v;
	*t = 210866760000000LL + (sqlite3_int64)time(NULL) * 1000; /* Julian day in ms */
	return SQLITE_OK;
}
static int vfs_time(sqlite3_vfs *v, double *t)
{
	sqlite3_int64 ms;
	vfs_time64(v, &ms);
	*t = ms / 86400000.0;
	return SQLITE_OK;
}
static int vfs_last_error(sqlite3_vfs *v, int n, char *s)
{
	(void)v, (void)n, (void)s;
	return 0;
}

static sqlite3_vfs stub_vfs = {
	.iVersion = 2,
	.szOsFile = sizeof(sqlite3_file),
	.mxPathname = 512,
	.zName = "guest-stub",
	.xOpen = vfs_open,
	.xDelete = vfs_delete,
	.xAccess = vfs_access,
	.xFullPathname = vfs_fullpathname,
	.xRandomness = vfs_randomness,
	.xSleep = vfs_sleep,
	.xCurrentTime = vfs_time,
	.xGetLastError = vfs_last_error,
	.xCurrentTimeInt64 = vfs_time64,
};

int sqlite3_os_init(void)
{
	return sqlite3_vfs_register(&stub_vfs, 1);
}

int sqlite3_os_end(void)
{
	return SQLITE_OK;
}

static int row(void *ctx, int n, char **vals, char **names)
{
	(void)ctx, (void)names;
	say("sqlite:");
	for (int i = 0; i < n; i++)
		say(" %s", vals[i] ? vals[i] : "NULL");
	say("\n");
	return 0;
}

static int probe_sqlite(void)
{
	int rc = sqlite3_config(SQLITE_CONFIG_HEAP, sqlite_heap, (int)sizeof sqlite_heap, 64);
	if (rc == SQLITE_OK)
		rc = sqlite3_initialize();
	if (rc != SQLITE_OK) {
		say("sqlite: set-up failed: %d\n", rc);
		return 1;
	}
	sqlite3 *db;
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		say("sqlite: open: %s\n", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		return 1;
	}
	char *err = NULL;
	rc = sqlite3_exec(db,
		"CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL, x REAL);"
		"CREATE INDEX t_v ON t(v);"
		"BEGIN; INSERT INTO t(v, x) VALUES ('lua', 0.5), ('sqlite', 1.25), ('musl', 2.0); COMMIT;"
		"SELECT group_concat(v, '+'), count(*), sum(k), printf('%.3f', sum(x) / 3), "
		"  (SELECT v FROM t WHERE v > 'm' ORDER BY v LIMIT 1) FROM t;"
		"SELECT json_object('n', 42, 'a', json_array(1, 2.5)), datetime(1700000000, 'unixepoch'), "
		"  datetime('now'), sqlite_version();",
		row, NULL, &err);
	if (rc != SQLITE_OK)
		say("sqlite: exec: %s\n", err ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
	if (sqlite3_close(db) != SQLITE_OK)
		rc = SQLITE_ERROR;
	return rc != SQLITE_OK;
}

/* Everything the probe does: 0 when all went as expected. */
static int probe_run(void)
{
	libc_shim_write_hook = write_hook;
	int bad = probe_lua();
	bad |= probe_sqlite();
	return bad;
}

#ifndef LIBS_PROBE_HOST
/* ---- freestanding: never run; its reachable code is what matters ---- */
int probe_status;
void probe_main(void);
void probe_main(void)
{
	probe_status = probe_run();
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call probe_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");
#else
/* ---- host: run it under a kernel-style thread block ---- */
#include <sys/syscall.h>

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

/* A raw syscall: musl's syscall() is stack-protected, so it would read its
 * canary from one %fs on entry and from the other on return. */
static long arch_prctl(long code, unsigned long addr)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_arch_prctl), "D"(code), "S"(addr)
	                 : "rcx", "r11", "memory");
	return ret;
}

/* The block as the kernel must lay it out (libc_shim.h, README.md). */
static _Alignas(64) unsigned char tls[256 + 512];
#define TP (tls + 256)

static long long fixed_time(void)
{
	return 1700000000; /* 2023-11-14 22:13:20 UTC */
}

int main(void)
{
	static const char *const expect[] = {
		"lua format: 42 3.142\n",
		"lua libs: 1,4,9,16,25 H\xc3\xa4\xe2\x82\xac 9007199254740992 inf ab-ab-ab  0.33|ff|\"a\\\n\"\n",
		"lua coroutine: 42\n",
		"lua print: ok (hi\t1\tnil)\n",
		"lua loadfile: cannot open x.lua (no files in the site kernel)\n",
		"lua numbers: 41.0\n",
		"lua traceback: ok\n",
		"sqlite: lua+sqlite+musl 3 6 1.250 musl\n",
		"sqlite: {\"n\":42,\"a\":[1,2.5]} 2023-11-14 22:13:20 2023-11-14 22:13:20 3.40.1\n",
	};
	unsigned long saved;
	if (arch_prctl(ARCH_GET_FS, (unsigned long)&saved) != 0) {
		printf("libs_probe_host: arch_prctl(ARCH_GET_FS) failed\n");
		return 1;
	}
	*(void **)(TP + MUSL_TP_SELF) = TP;
	*(uintptr_t *)(TP + MUSL_TP_CANARY) = 0x5ca1ab1e00c0ffeeu;
	*(const void **)(TP + MUSL_TP_LOCALE) = libc_shim_c_locale;
	libc_shim_time_hook = fixed_time;

	arch_prctl(ARCH_SET_FS, (unsigned long)TP);
	/* From here to the switch back, musl sees only the kernel's block. */
	int bad = probe_run();
	errno = 0;
	double huge = strtod("1e999", NULL);
	int errno_seen = errno;
	int errno_in_block = *(int *)(TP + MUSL_TP_ERRNO);
	size_t mb_cur_max = MB_CUR_MAX; /* dereferences the locale pointer */
	arch_prctl(ARCH_SET_FS, saved);

	fputs(out, stdout);
	printf("errno: strtod(\"1e999\") = %g, errno %d, at %%fs:0x%x %d (ERANGE %d); MB_CUR_MAX %zu\n",
	       huge, errno_seen, MUSL_TP_ERRNO, errno_in_block, ERANGE, mb_cur_max);
	if (errno_seen != ERANGE || errno_in_block != ERANGE || mb_cur_max != 1)
		bad = 1;
	const char *p = out;
	for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
		const char *q = strstr(p, expect[i]);
		if (!q) {
			printf("libs_probe_host: expected, in order: %s", expect[i]);
			bad = 1;
			break;
		}
		p = q + strlen(expect[i]);
	}
	printf("libs_probe_host: %s\n", bad ? "FAILED" : "ok");
	return bad;
}
#endif
