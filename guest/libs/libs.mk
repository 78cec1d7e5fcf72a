# guest/libs: Lua 5.4.4 and SQLite 3.40.1 for the site kernel, compiled from
# Debian's source packages against Debian's musl (musl-dev), and the libc shim
# that keeps every musl path they reach free of `syscall` (README.md there).
#
# The sources are not in git: `make deps` fetches them with apt-get source into
# deps/src/ (gitignored, outside $(BUILD) so `make clean` keeps them).
# `make guest-libs` builds:
#   $(BUILD)/guest/libs/liblua.a       Lua core, lauxlib, base, coroutine, table,
#                                      string, math, utf8 and our luaL_openlibs
#   $(BUILD)/guest/libs/sqlite3.o      the amalgamation, generated with tclsh
#   $(BUILD)/guest/libs/libc_shim.o    time/abort/stdio-lock replacements
#   $(BUILD)/guest/libs/libs_probe.elf a freestanding ELF using all of them
#                                      (no start files, musl's libc.a last)
#   $(BUILD)/guest/libs/libs_probe_host the same probe under musl on the host
# and check-libs.sh (part of `make check`) proves the probe has no `syscall`.
# `make all` does not build them: nothing links them into site.elf yet.

LIBS_SRC    := deps/src
LUA_SRC     := $(LIBS_SRC)/lua5.4-5.4.4/src
SQLITE_SRC  := $(LIBS_SRC)/sqlite3-3.40.1
MUSL_INC    := /usr/include/x86_64-linux-musl
MUSL_LIB    := /usr/lib/x86_64-linux-musl
LIBS_OUT    := $(BUILD)/guest/libs

# Ring-3 code with a libc: musl's headers only (as musl-gcc does: musl first,
# then the compiler's own for intrinsics), SSE allowed, no red zone, no stack
# protector, non-PIC, a section per function and object for --gc-sections.
GUEST_LIBS_CFLAGS := -O2 -nostdinc -isystem $(MUSL_INC) -isystem $(shell $(CC) -print-file-name=include) \
	-fno-pic -fno-pie -mno-red-zone -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -msse2 -mfpmath=sse -ffunction-sections -fdata-sections
# The final link: no start files, musl's libc.a (then libgcc) last, unreferenced
# sections dropped.
GUEST_LIBS_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=0x1000
GUEST_LIBS_LIBC := $(MUSL_LIB)/libc.a $(shell $(CC) -print-libgcc-file-name)

# --- Lua: the core, lauxlib and six libraries; not io, os, package, debug ---
LUA_CORE  := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes \
	lparser lstate lstring ltable ltm lundump lvm lzio
LUA_LIBS  := lauxlib lbaselib lcorolib lmathlib lstrlib ltablib lutf8lib
LUA_OBJS  := $(patsubst %,$(LIBS_OUT)/lua/%.o,$(LUA_CORE) $(LUA_LIBS)) $(LIBS_OUT)/lua_guest.o
# lua.h includes LUA_USER_H (lua_guest.h): print and warnings to a hook,
# loadfile/dofile without stdio. Debian's luaconf.h wants lua5.4-deb-multiarch.h
# (only for package.path, which is not built); we generate it.
LUA_CFLAGS := $(GUEST_LIBS_CFLAGS) -std=gnu99 -Wall -Wextra -DLUA_USER_H='"lua_guest.h"' \
	-Iguest/libs -I$(LIBS_OUT)/lua -I$(LUA_SRC)

$(LIBS_OUT)/lua/lua5.4-deb-multiarch.h:
	@mkdir -p $(dir $@)
	printf '#define DEB_HOST_MULTIARCH "x86_64-linux-gnu"\n' >$@

$(patsubst %,$(LIBS_OUT)/lua/%.o,$(LUA_CORE) $(LUA_LIBS)): $(LIBS_OUT)/lua/%.o: $(LUA_SRC)/%.c \
		guest/libs/lua_guest.h $(LIBS_OUT)/lua/lua5.4-deb-multiarch.h
	$(CC) $(LUA_CFLAGS) -c $< -o $@

$(LIBS_OUT)/lua_guest.o: guest/libs/lua_guest.c guest/libs/lua_guest.h guest/libs/libc_shim.h \
		$(LIBS_OUT)/lua/lua5.4-deb-multiarch.h $(LUA_SRC)/lua.h
	$(CC) $(LUA_CFLAGS) -Werror -c $< -o $@

$(LIBS_OUT)/liblua.a: $(LUA_OBJS)
	rm -f $@
	ar rcs $@ $^

# --- SQLite: the amalgamation, generated from the source tree ---
# The OMIT options also go to the generators (OPTS: lemon's grammar and the
# keyword hash), so the amalgamation's parser matches the compiled code.
SQLITE_OMIT := -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_OMIT_LOCALTIME \
	-DSQLITE_OMIT_SHARED_CACHE
SQLITE_OPTS := -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_ENABLE_MEMSYS5 -DSQLITE_ZERO_MALLOC \
	-DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_TEMP_STORE=3 -DSQLITE_MAX_MMAP_SIZE=0 \
	-DSQLITE_BYTEORDER=1234 $(SQLITE_OMIT)
SQLITE_BLD  := $(LIBS_OUT)/sqlite-build

# ./configure && make sqlite3.c in a build folder (the source tree stays
# untouched); the build's own tools (lemon, mkkeywordhash) use the host's
# compiler, tclsh stitches the amalgamation (tool/mksqlite3c.tcl).
$(SQLITE_BLD)/sqlite3.c: $(LIBS_SRC)/.fetched-sqlite3-3.40.1 guest/libs/libs.mk
	rm -rf $(SQLITE_BLD)
	mkdir -p $(SQLITE_BLD)
	cd $(SQLITE_BLD) && CC=$(CC) $(abspath $(SQLITE_SRC))/configure --disable-tcl --disable-readline \
		--disable-threadsafe --disable-load-extension --disable-shared >configure.log 2>&1 \
		|| { cat configure.log; exit 1; }
	cd $(SQLITE_BLD) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make sqlite3.c OPTS="$(SQLITE_OMIT)" \
		>make.log 2>&1 || { cat make.log; exit 1; }
	grep -q '^#define SQLITE_VERSION  *"3.40.1"' $(SQLITE_BLD)/sqlite3.h

$(SQLITE_BLD)/sqlite3.h: $(SQLITE_BLD)/sqlite3.c

$(LIBS_OUT)/sqlite3.o: $(SQLITE_BLD)/sqlite3.c
	$(CC) $(GUEST_LIBS_CFLAGS) $(SQLITE_OPTS) -c $< -o $@

# --- the libc shim and the probe ---
LIBS_OWN_CFLAGS := $(GUEST_LIBS_CFLAGS) -std=gnu11 $(WARN) -Iguest/libs -I$(LIBS_OUT)/lua -I$(LUA_SRC) -I$(SQLITE_BLD) \
	-DLUA_USER_H='"lua_guest.h"'

$(LIBS_OUT)/libc_shim.o: guest/libs/libc_shim.c guest/libs/libc_shim.h
	@mkdir -p $(dir $@)
	$(CC) $(LIBS_OWN_CFLAGS) -c $< -o $@

$(LIBS_OUT)/libs_probe.o: guest/libs/libs_probe.c guest/libs/libc_shim.h guest/libs/lua_guest.h \
		$(SQLITE_BLD)/sqlite3.h $(LIBS_OUT)/lua/lua5.4-deb-multiarch.h
	$(CC) $(LIBS_OWN_CFLAGS) -c $< -o $@

$(LIBS_OUT)/libs_probe_host.o: guest/libs/libs_probe.c guest/libs/libc_shim.h guest/libs/lua_guest.h \
		$(SQLITE_BLD)/sqlite3.h $(LIBS_OUT)/lua/lua5.4-deb-multiarch.h
	$(CC) $(LIBS_OWN_CFLAGS) -DLIBS_PROBE_HOST -c $< -o $@

LIBS_PROBE_OBJS := $(LIBS_OUT)/libc_shim.o $(LIBS_OUT)/liblua.a $(LIBS_OUT)/sqlite3.o

# The freestanding probe: the map file names every libc member pulled in.
$(LIBS_OUT)/libs_probe.elf: $(LIBS_OUT)/libs_probe.o $(LIBS_PROBE_OBJS)
	$(CC) $(GUEST_LIBS_LDFLAGS) -Wl,-Map=$(LIBS_OUT)/libs_probe.map -o $@ \
		$(LIBS_OUT)/libs_probe.o $(LIBS_PROBE_OBJS) $(GUEST_LIBS_LIBC)

# The same probe as a host program: musl's start files, then main() points
# %fs at a block laid out as the kernel must (libc_shim.h) while it runs.
$(LIBS_OUT)/libs_probe_host: $(LIBS_OUT)/libs_probe_host.o $(LIBS_PROBE_OBJS)
	$(CC) -nostdlib -static -no-pie -Wl,--gc-sections -o $@ $(MUSL_LIB)/crt1.o $(MUSL_LIB)/crti.o \
		$(LIBS_OUT)/libs_probe_host.o $(LIBS_PROBE_OBJS) $(GUEST_LIBS_LIBC) $(MUSL_LIB)/crtn.o

# Anything under deps/src that is missing was not fetched.
$(LIBS_SRC)/%:
	@echo "guest/libs: $@ is missing: run 'make deps' (it fetches Debian's lua5.4 and sqlite3 sources)" >&2
	@exit 1

.PHONY: guest-libs
guest-libs: $(LIBS_OUT)/liblua.a $(LIBS_OUT)/sqlite3.o $(LIBS_OUT)/libc_shim.o \
	$(LIBS_OUT)/libs_probe.elf $(LIBS_OUT)/libs_probe_host

CHECK_PROGRAMS += guest/libs/check-libs.sh
CHECK_DEPS     += guest-libs
