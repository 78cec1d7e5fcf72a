/* guest/libs/lua_guest.h: Lua's configuration for the site kernel, included
 * by lua.h itself (LUA_USER_H, set on the command line by libs.mk) in every
 * Lua file we compile and in everything that includes lua.h.
 *
 * No stdio: lauxlib.h's defaults write print() to stdout with fwrite/fflush
 * and warnings to stderr with fprintf, and loadfile/dofile open files with
 * fopen; musl's stdout/stderr/stdin reach `write`/`read` syscalls. Here they
 * go to a hook the kernel sets (libc_shim.h) and loadfile/dofile say there
 * are no files. No libc header is included: lua.h's own order decides the
 * feature macros. */
#ifndef GUEST_LIBS_LUA_GUEST_H
#define GUEST_LIBS_LUA_GUEST_H

/* print() (stream 1) and warn()/lua_writestringerror (stream 2). */
void lua_guest_write(int stream, const char *s, __SIZE_TYPE__ len);
/* lauxlib's lua_writestringerror(fmt, arg): fmt has one %s. */
void lua_guest_write_error(const char *fmt, const char *arg);

#define lua_writestring(s, l)      lua_guest_write(1, (s), (l))
#define lua_writeline()            lua_guest_write(1, "\n", 1)
#define lua_writestringerror(s, p) lua_guest_write_error((s), (p))

struct lua_State;
int lua_guest_loadfilex(struct lua_State *L, const char *filename, const char *mode);

/* lbaselib.c's loadfile and dofile call this instead of lauxlib's
 * luaL_loadfilex (fopen, getc, freopen, stdin): a file error, always. */
#if defined(lbaselib_c)
#define luaL_loadfilex lua_guest_loadfilex
#endif

#endif
