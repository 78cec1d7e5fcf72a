# guest/kernel: the site kernel, a freestanding PVH ELF ($(BUILD)/guest/site.elf)
# linking the web stack (guest/http). Include after guest/http/http.mk (or
# anywhere: it names the http objects itself and reuses http.mk's rules).
KERNEL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -nostdlib -fno-builtin \
	-fno-tree-loop-distribute-patterns -mgeneral-regs-only -mno-red-zone -fno-stack-protector \
	-fno-pic -fno-pie -fcf-protection=none -fno-asynchronous-unwind-tables -Iguest -I. -MMD -MP
# Ring-3 code that uses floating point (fpu_check.c; next musl, Lua, SQLite):
# SSE allowed. Only ring 3 may run it: ring-0 code (start.S's stubs, trap.c
# and what it calls) keeps -mgeneral-regs-only, so the XMM and x87 state of
# ring 3 needs no saving on a trap.
KERNEL_SSE_CFLAGS := $(filter-out -mgeneral-regs-only,$(KERNEL_CFLAGS)) -msse2 -mfpmath=sse
KERNEL_SSE_SRCS := guest/kernel/fpu_check.c
KERNEL_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-T,guest/kernel/kernel.ld -Wl,--no-warn-rwx-segments
KERNEL_OBJS := $(BUILD)/guest/kernel/start.o \
	$(patsubst guest/kernel/%.c,$(BUILD)/guest/kernel/%.o,$(wildcard guest/kernel/*.c))
KERNEL_HTTP_OBJS := $(patsubst guest/http/%.c,$(BUILD)/guest/http/%.o,$(wildcard guest/http/*.c))
KERNEL_LIB_OBJS := $(patsubst guest/lib/%.c,$(BUILD)/guest/lib/%.o,$(wildcard guest/lib/*.c))

.PHONY: site-kernel
site-kernel: $(BUILD)/guest/site.elf
all: $(BUILD)/guest/site.elf

$(BUILD)/guest/kernel/%.o: guest/kernel/%.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(patsubst guest/kernel/%.c,$(BUILD)/guest/kernel/%.o,$(KERNEL_SSE_SRCS)): $(BUILD)/guest/kernel/%.o: guest/kernel/%.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_SSE_CFLAGS) -c $< -o $@

$(BUILD)/guest/lib/%.o: guest/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/guest/kernel/%.o: guest/kernel/%.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

# app.c runs Lua (guest/libs): Lua's C API on musl's headers, SSE allowed.
KERNEL_APP_CFLAGS := $(LIBS_OWN_CFLAGS) -I. -MMD -MP
$(BUILD)/guest/kernel/app.o $(BUILD)/guest/kernel/db.o: $(BUILD)/guest/kernel/%.o: guest/kernel/%.c \
		$(LIBS_OUT)/liblua.a $(SQLITE_BLD)/sqlite3.h
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_APP_CFLAGS) -c $< -o $@

# json for the handlers: Debian's lua-dkjson (pure Lua, installed by make
# deps), embedded in the image as text and loaded at boot (app.c).
DKJSON := /usr/share/lua/5.4/dkjson.lua
$(BUILD)/guest/kernel/dkjson.o: $(DKJSON)
	@mkdir -p $(dir $@)
	printf '\t.section .rodata\n\t.global dkjson_lua, dkjson_lua_end\ndkjson_lua:\n\t.incbin "%s"\ndkjson_lua_end:\n\t.section .note.GNU-stack,"",@progbits\n' \
		$(realpath $(DKJSON)) | $(CC) -c -x assembler - -o $@
KERNEL_OBJS += $(BUILD)/guest/kernel/dkjson.o

# Lua, the libc shim and musl's libc.a come last; --gc-sections keeps what
# is reachable from the entry (and what kernel.ld KEEPs), so no musl code
# that could reach a `syscall` stays in (check-libs.sh checks the image).
KERNEL_GUEST_LIBS := $(BUILD)/guest/db/libblkvfs.o $(LIBS_OUT)/sqlite3.o $(LIBS_OUT)/liblua.a $(LIBS_OUT)/libc_shim.o
$(BUILD)/guest/site.elf: $(KERNEL_OBJS) $(KERNEL_LIB_OBJS) $(KERNEL_HTTP_OBJS) $(KERNEL_GUEST_LIBS) guest/kernel/kernel.ld
	$(CC) $(KERNEL_CFLAGS) $(KERNEL_LDFLAGS) -Wl,--gc-sections -Wl,-Map,$@.map -o $@ \
		$(filter %.o,$(KERNEL_OBJS) $(KERNEL_LIB_OBJS) $(KERNEL_HTTP_OBJS)) $(KERNEL_GUEST_LIBS) $(GUEST_LIBS_LIBC)

# The image's ring-3 libc code never enters Linux (check-libs.sh on site.elf).
CHECK_PROGRAMS += guest/kernel/check-image.sh

# --- fuzzer: app.c's request/response glue on the host (fuzz_app_lua) ---
# Lua from the same Debian sources, files and LUA_USER_H (lua_guest.h/.c) as
# the guest's liblua.a, but compiled by clang for the host (glibc headers,
# not musl's) under the fuzzer's coverage and ASan/UBSan, so the harness
# runs the guest's Lua environment with app.c's real glue. Lua's own
# warnings are not ours (-w); lua_guest.c is, so it keeps -Werror.
FUZZ_LUA_OUT    := $(BUILD)/fuzz/lua
FUZZ_LUA_OBJS   := $(patsubst %,$(FUZZ_LUA_OUT)/%.o,$(LUA_CORE) $(LUA_LIBS)) $(FUZZ_LUA_OUT)/lua_guest.o
FUZZ_LUA_CFLAGS := -std=gnu99 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-DLUA_USER_H='"lua_guest.h"' -Iguest/libs -I$(LIBS_OUT)/lua -I$(LUA_SRC)

$(patsubst %,$(FUZZ_LUA_OUT)/%.o,$(LUA_CORE) $(LUA_LIBS)): $(FUZZ_LUA_OUT)/%.o: $(LUA_SRC)/%.c \
		guest/libs/lua_guest.h $(LIBS_OUT)/lua/lua5.4-deb-multiarch.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_LUA_CFLAGS) -w -c $< -o $@

$(FUZZ_LUA_OUT)/lua_guest.o: guest/libs/lua_guest.c guest/libs/lua_guest.h guest/libs/libc_shim.h \
		$(LIBS_OUT)/lua/lua5.4-deb-multiarch.h $(LUA_SRC)/lua.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_LUA_CFLAGS) $(WARN) -c $< -o $@

# The harness compiles app.c in (it reads app.c's state between requests)
# and defines the kernel pieces app.c calls; dkjson.o is the guest's own
# (data only: the embedded text). -lm: Lua's math library.
FUZZERS += app_lua
FUZZ_SRCS_app_lua := $(HTTP_SRCS)
$(BUILD)/fuzz/app_lua: guest/kernel/app.c $(FUZZ_LUA_OBJS) $(BUILD)/guest/kernel/dkjson.o
$(BUILD)/fuzz/app_lua: FUZZ_CFLAGS += -DLUA_USER_H='"lua_guest.h"' -Iguest/libs -I$(LIBS_OUT)/lua -I$(LUA_SRC)
$(BUILD)/fuzz/app_lua: FUZZ_LDLIBS := $(FUZZ_LUA_OBJS) $(BUILD)/guest/kernel/dkjson.o -lm
