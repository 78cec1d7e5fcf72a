/* guest/libs/lua_guest.c: the site kernel's Lua glue, in liblua.a in place
 * of linit.c: luaL_openlibs() with the six libraries we build, and the
 * print/warning/loadfile replacements lua_guest.h routes to. */
#include <stdio.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "libc_shim.h"

static const luaL_Reg guest_libs[] = {
	{LUA_GNAME, luaopen_base},
	{LUA_COLIBNAME, luaopen_coroutine},
	{LUA_TABLIBNAME, luaopen_table},
	{LUA_STRLIBNAME, luaopen_string},
	{LUA_MATHLIBNAME, luaopen_math},
	{LUA_UTF8LIBNAME, luaopen_utf8},
	{NULL, NULL},
};

/* Not io, os, package (require, C modules) or debug. */
LUALIB_API void luaL_openlibs(lua_State *L)
{
	for (const luaL_Reg *lib = guest_libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
}

void lua_guest_write(int stream, const char *s, size_t len)
{
	if (libc_shim_write_hook)
		libc_shim_write_hook(stream, s, len);
}

void lua_guest_write_error(const char *fmt, const char *arg)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, fmt, arg);
	if (n < 0)
		return;
	lua_guest_write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* loadfile(name)/dofile(name): there are no files in the guest. */
int lua_guest_loadfilex(lua_State *L, const char *filename, const char *mode)
{
	(void)mode;
	lua_pushfstring(L, "cannot open %s (no files in the site kernel)", filename ? filename : "stdin");
	return LUA_ERRFILE;
}
