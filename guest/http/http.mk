# guest/http: the site's web stack, a freestanding C library with no libc.
# It is compiled three ways:
#   - into the host test program $(BUILD)/tests/http (check, ASan/UBSan),
#   - into libFuzzer harnesses (fuzz_http_request, fuzz_site_tar),
#   - freestanding, with the flags the guest kernel uses, by `make guest-http`,
#     which also proves the objects need no symbol from outside the library.
HTTP_SRCS       := $(wildcard guest/http/*.c)
HTTP_HDRS       := $(wildcard guest/http/*.h)
HTTP_TEST_SRCS  := $(wildcard tests/http/*.c)

# Guest code generation: no SSE/x87 state to save at ring transitions, no red
# zone (exceptions push onto the ring-3 stack's neighbour), no builtins and no
# loop-to-memcpy rewriting (there is no libc to resolve them against).
GUEST_HTTP_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -nostdlib -fno-builtin \
	-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fno-pic -fno-pie -Iguest
GUEST_HTTP_GCC_ONLY := -fno-tree-loop-distribute-patterns
GUEST_HTTP_OBJS := $(HTTP_SRCS:guest/http/%.c=$(BUILD)/guest/http/%.o)
GUEST_HTTP_CLANG_OBJS := $(HTTP_SRCS:guest/http/%.c=$(BUILD)/guest/http/clang/%.o)

$(BUILD)/guest/http/%.o: guest/http/%.c $(HTTP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_HTTP_CFLAGS) $(GUEST_HTTP_GCC_ONLY) -c -o $@ $<

$(BUILD)/guest/http/clang/%.o: guest/http/%.c $(HTTP_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(GUEST_HTTP_CFLAGS) -c -o $@ $<

# One relocatable object per compiler; any undefined symbol (memcpy, memset,
# __stack_chk_fail...) means the library leans on a libc the guest lacks.
$(BUILD)/guest/libhttp.o: $(GUEST_HTTP_OBJS)
	ld -r -o $@ $^
	@undef=$$(nm -u $@); if [ -n "$$undef" ]; then \
		echo "guest/http needs symbols it does not define:"; echo "$$undef"; rm -f $@; exit 1; fi

$(BUILD)/guest/libhttp-clang.o: $(GUEST_HTTP_CLANG_OBJS)
	ld -r -o $@ $^
	@undef=$$(nm -u $@); if [ -n "$$undef" ]; then \
		echo "guest/http (clang) needs symbols it does not define:"; echo "$$undef"; rm -f $@; exit 1; fi

.PHONY: guest-http
guest-http: $(BUILD)/guest/libhttp.o $(BUILD)/guest/libhttp-clang.o

# Host tests: the same sources under the sanitizers, with both compilers
# (clang through the fuzzers below).
$(BUILD)/tests/http: $(HTTP_TEST_SRCS) $(wildcard tests/http/*.h) $(HTTP_SRCS) $(HTTP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iguest -o $@ $(HTTP_TEST_SRCS) $(HTTP_SRCS) $(CHECK_LIBS) $(LDLIBS)

CHECK_PROGRAMS += $(BUILD)/tests/http
CHECK_DEPS     += guest-http

.PHONY: http-tests
http-tests: $(BUILD)/tests/http
	$(BUILD)/tests/http

FUZZERS += http_request site_tar
FUZZ_SRCS_http_request := $(HTTP_SRCS)
FUZZ_SRCS_site_tar     := $(HTTP_SRCS)
