# guest/db: "vmm-blk", the SQLite VFS over the data disk (README.md there).
# Needs the SQLite amalgamation that guest/libs/libs.mk generates
# ($(SQLITE_BLD)/sqlite3.c, from `make deps` sources), so this file is
# included after libs.mk. Built three ways:
#   - for the guest, with guest/libs' flags (musl headers, ring 3):
#     `make guest-db` compiles $(BUILD)/guest/db/*.o and checks that they
#     need nothing but SQLite and a few string functions;
#   - the host test program $(BUILD)/tests/db (check, ASan/UBSan), linked
#     with the amalgamation compiled for the host with the guest's options;
#   - the fuzzer fuzz_blkvfs (libFuzzer), likewise.
DB_SRCS := guest/db/blkvfs.c guest/db/blkvfs_os.c
DB_HDRS := guest/db/blkvfs.h guest/db/le_bytes.h
DB_OUT  := $(BUILD)/guest/db

# --- guest objects ---
DB_GUEST_CFLAGS := $(GUEST_LIBS_CFLAGS) -std=gnu11 $(WARN) -Iguest -I$(SQLITE_BLD)
# What they may take from outside: SQLite, and libc's string functions.
DB_GUEST_UNDEF := memcmp memcpy memset strcmp strlen sqlite3_mprintf sqlite3_vfs_register

$(DB_OUT)/%.o: guest/db/%.c $(DB_HDRS) $(SQLITE_BLD)/sqlite3.h
	@mkdir -p $(dir $@)
	$(CC) $(DB_GUEST_CFLAGS) -c $< -o $@

$(DB_OUT)/libblkvfs.o: $(DB_SRCS:guest/db/%.c=$(DB_OUT)/%.o)
	ld -r -o $@ $^
	@bad=$$(nm -u $@ | awk '{print $$2}' | grep -vxF -e "$$(echo $(DB_GUEST_UNDEF) | tr ' ' '\n')"); \
	if [ -n "$$bad" ]; then echo "guest/db needs symbols it should not:"; echo "$$bad"; rm -f $@; exit 1; fi

.PHONY: guest-db
guest-db: $(DB_OUT)/libblkvfs.o

# --- host tests ---
# The amalgamation with the guest's SQLITE_OPTS (OS_OTHER, no threads,
# memsys5 only, no WAL...), under the sanitizers; its own warnings are not ours.
$(BUILD)/tests/db-sqlite3.o: $(SQLITE_BLD)/sqlite3.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(SQLITE_OPTS) -c $< -o $@

DB_TEST_SRCS := $(wildcard tests/db/*.c)
$(BUILD)/tests/db: $(DB_TEST_SRCS) $(wildcard tests/db/*.h) $(DB_SRCS) $(DB_HDRS) $(BUILD)/tests/db-sqlite3.o
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iguest -I$(SQLITE_BLD) -o $@ $(DB_TEST_SRCS) $(DB_SRCS) \
		$(BUILD)/tests/db-sqlite3.o $(CHECK_LIBS) $(LDLIBS)

CHECK_PROGRAMS += $(BUILD)/tests/db
CHECK_DEPS     += guest-db

.PHONY: db-tests
db-tests: $(BUILD)/tests/db
	$(BUILD)/tests/db

# --- fuzzer: disk images through the VFS ---
FUZZERS += blkvfs
FUZZ_SRCS_blkvfs := $(DB_SRCS)
$(BUILD)/fuzz/sqlite3-fuzz.o: $(SQLITE_BLD)/sqlite3.c
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
		$(SQLITE_OPTS) -c $< -o $@
$(BUILD)/fuzz/blkvfs: $(BUILD)/fuzz/sqlite3-fuzz.o
$(BUILD)/fuzz/blkvfs: FUZZ_CFLAGS += -I$(SQLITE_BLD)
$(BUILD)/fuzz/blkvfs: FUZZ_LDLIBS := $(BUILD)/fuzz/sqlite3-fuzz.o
