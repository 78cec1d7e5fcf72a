# vmm: a minimal KVM hypervisor for hosting web sites.
# `make` builds, `make run` serves the example site, `make check` runs every test.
# Each subsystem contributes a fragment (*.mk) so this file stays a table of contents.

CC       ?= gcc
CLANG    ?= clang
BUILD    ?= build
VERSION  := 0.1.0

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -DVMM_VERSION='"$(VERSION)"' -Ivmm -I. -MMD -MP
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS   += -lpthread

# Debian's musl (musl-dev) for the program that runs once per site: vmm
# (vmm/vmm.mk says why). Its headers lack the kernel's
# (linux-libc-dev's, under glibc's tree): $(MUSL_INCLUDE) links those in.
MUSL_LIB     := /usr/lib/x86_64-linux-musl
MUSL_INCLUDE := $(BUILD)/musl-include
MUSL_CFLAGS  := -nostdinc -isystem /usr/include/x86_64-linux-musl -isystem $(MUSL_INCLUDE) \
		-isystem $(shell $(CC) -print-file-name=include) -fno-pie
musl_link     = $(CC) -nostdlib -static -no-pie -Wl,--gc-sections -o $@ $(MUSL_LIB)/crt1.o $(MUSL_LIB)/crti.o \
		$(1) $(MUSL_LIB)/libc.a $(shell $(CC) -print-libgcc-file-name) $(MUSL_LIB)/crtn.o
$(MUSL_INCLUDE):
	@mkdir -p $@
	ln -sfn /usr/include/linux $@/linux
	ln -sfn /usr/include/$(shell $(CC) -print-multiarch)/asm $@/asm
	ln -sfn /usr/include/asm-generic $@/asm-generic

.PHONY: all deps run check unit integration fuzz bench clean help install
all: $(BUILD)/vmm guests

help:
	@echo "make            build vmm and the test guests"
	@echo "make deps       install missing Debian packages (apt-get), fetch Lua's and SQLite's Debian sources"
	@echo "make guest-libs build Lua, SQLite and the probe for the site kernel (guest/libs; not part of make all)"
	@echo "make run        build and serve the example site on http://127.0.0.1:8080/"
	@echo "make check      run every test (unit, integration, fuzz smoke)"
	@echo "make fuzz FUZZ_SECONDS=N   run each fuzzer for N seconds"
	@echo "make bench      run the benchmarks under bench/"
	@echo "make install    install vmm, vmmd and vmmd.service under PREFIX (/usr/local)"

# Missing Debian packages (as root), and the Debian source packages guest/libs
# is built from (apt-get source lua5.4 sqlite3, through a deb-src entry it adds
# as /etc/apt/sources.list.d/vmm-deb-src.list) into deps/src/: gitignored, and
# outside $(BUILD) so that `make clean` keeps them. Silent when all is there.
deps:
	@scripts/deps.sh

include vmm/vmm.mk
include firmware/firmware.mk
include tests/guests/guests.mk
include tests/tests.mk
include tests/fuzz/fuzz.mk
-include vmm/daemon/daemon.mk
-include guest/guest.mk

# The example site, packed as the site disk (a POSIX tar: guest/README.md).
SITE_FILES := $(shell find examples/site 2>/dev/null)
$(BUILD)/site.tar: $(SITE_FILES)
	@mkdir -p $(dir $@)
	tar --format=ustar -C examples/site -cf $@ .

# `make run SITE=DIR` serves another site directory; one with a schema.sql
# (a database: examples/guestbook) also gets a data disk,
# $(BUILD)/data-NAME.img, made once and kept across runs.
SITE ?= examples/site
SITE_NAME := $(notdir $(abspath $(SITE)))
RUN_TAR := $(if $(filter examples/site,$(SITE)),$(BUILD)/site.tar,$(BUILD)/site-$(SITE_NAME).tar)
RUN_DATA := $(if $(wildcard $(SITE)/schema.sql),$(BUILD)/data-$(SITE_NAME).img)
$(BUILD)/site-$(SITE_NAME).tar: $(shell find $(SITE) 2>/dev/null)
	@mkdir -p $(dir $@)
	tar --format=ustar -C $(SITE) -cf $@ .

# Boots the site on http://127.0.0.1:8080/; Ctrl-C stops it.
run: deps all $(RUN_TAR)
	@if ! tests/kvm/have-kvm; then \
		echo "make run: the site guest needs KVM, and this host has no usable /dev/kvm." >&2; \
		echo "  Everything is built ($(BUILD)/vmm, $(BUILD)/guest/site.elf, $(RUN_TAR))." >&2; \
		echo "  To watch it serve inside a KVM-capable VM under QEMU's software emulation (slow;" >&2; \
		echo "  its ports are not reachable from this host), try:" >&2; \
		echo "    tests/run-with-kvm.sh guest/kernel/tests/e2e.sh" >&2; \
		exit 1; \
	fi
	@[ -z "$(RUN_DATA)" ] || [ -f "$(RUN_DATA)" ] || truncate -s 64M "$(RUN_DATA)"
	@echo "serving $(SITE) on http://127.0.0.1:8080/ (Ctrl-C stops it)$(if $(RUN_DATA), with its database on $(RUN_DATA))"
	@exec $(BUILD)/vmm run --kernel $(BUILD)/guest/site.elf --disk $(RUN_TAR),ro $(if $(RUN_DATA),--disk $(RUN_DATA)) \
		--publish 8080:80 --console=output

# Unit tests and fuzz smoke runs need no KVM; programs in KVM_CHECK_PROGRAMS
# boot guests and run through tests/run-with-kvm.sh: directly on /dev/kvm
# whenever it opens, else inside the TCG fallback (see tests/README.md).
# The first line says which host kind this is (tests/kvm/host-kind).
check:
	@tests/kvm/host-kind --line
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all $(filter-out %.sh,$(CHECK_PROGRAMS)) $(KVM_CHECK_PROGRAMS) $(CHECK_DEPS) $(FUZZ_BINS)
	@failed=""; kind=$$(tests/kvm/host-kind); \
	for t in $(CHECK_PROGRAMS); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	for t in $(KVM_CHECK_PROGRAMS); do echo "== $$t (KVM, host: $$kind)"; tests/run-with-kvm.sh $$t || failed="$$failed $$t"; done; \
	$(MAKE) --no-print-directory fuzz-smoke || failed="$$failed fuzz"; \
	if [ -n "$$failed" ]; then echo "check: FAILED:$$failed"; exit 1; fi; echo "check: all passed"

bench: all
	bench/boot.sh
	bench/memory.sh
	bench/blk.sh
	bench/vsock.sh
	bench/site.sh
	bench/jail.sh
	bench/virsh-list.sh
	bench/virsh-start.sh
	bench/on-demand.sh

PREFIX ?= /usr/local
install: all
	install -D -m 755 $(BUILD)/vmm $(DESTDIR)$(PREFIX)/bin/vmm
	install -D -m 755 $(BUILD)/vmmd $(DESTDIR)$(PREFIX)/bin/vmmd
	install -D -m 644 vmm/daemon/vmmd.service $(DESTDIR)/etc/systemd/system/vmmd.service

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
