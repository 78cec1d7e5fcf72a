# Tests, all written with check (libcheck). Each test program is a check
# runner; `make check` runs every program listed in CHECK_PROGRAMS.
# A subsystem adds its own program by appending to CHECK_PROGRAMS in its .mk.
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
TEST_CFLAGS  := $(filter-out -O2,$(CFLAGS)) -O1 $(SAN) $(CHECK_CFLAGS) -Itests

UNIT_SRCS        := $(wildcard tests/unit/*.c)
PROC_SRCS        := tests/integration/proc.c tests/integration/loopback.c

$(BUILD)/tests/unit: $(UNIT_SRCS) $(BUILD)/libvmm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(UNIT_SRCS) $(BUILD)/libvmm-san.a $(CHECK_LIBS) $(LDLIBS)

# Bad command lines and files: needs no KVM.
$(BUILD)/tests/cli: tests/integration/check_cli_errors.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

# Real guests under KVM.
$(BUILD)/tests/integration: tests/integration/check_guests.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS) -lutil

# virtio devices through real guests, hostile ones included.
$(BUILD)/tests/virtio: tests/integration/check_virtio.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

# Debian's cloud kernel reaching its banner.
$(BUILD)/tests/linux: tests/integration/check_linux.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/linux/vmlinux:
	tests/linux/get-vmlinux.sh $@

# virtio-vsock through the vsock_echo guest, real TCP and unix clients.
$(BUILD)/tests/vsock: tests/integration/check_vsock.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

# The site kernel serving examples/site, driven with libcurl and raw sockets.
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
$(BUILD)/tests/site: tests/integration/check_site.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(CURL_LIBS) $(LDLIBS)

# Lua app routes in the site kernel (site.conf `app`), driven with libcurl.
$(BUILD)/tests/app: tests/integration/check_app.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(CURL_LIBS) $(LDLIBS)

# Console output into files stays bounded against the flood guest.
$(BUILD)/tests/console_log: tests/integration/check_console_log.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

# The jail of a running VM, from /proc (the release vmm's filters).
$(BUILD)/tests/jail: tests/integration/check_jail.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

# Site images through vmm's built-in firmware (firmware/): boot, serve, reset, bad images.
$(BUILD)/tests/image: tests/integration/check_image.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)
KVM_CHECK_PROGRAMS += $(BUILD)/tests/image

# A kernel given as a sealed memfd is mapped into guest RAM, others are read.
$(BUILD)/tests/kernel_share: tests/integration/check_kernel_share.c $(PROC_SRCS) tests/integration/proc.h tests/integration/loopback.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)
KVM_CHECK_PROGRAMS += $(BUILD)/tests/kernel_share

# The include layering ARCHITECTURE.md states (a script: nothing to build).
CHECK_PROGRAMS     += tests/layering.sh
CHECK_PROGRAMS     += $(BUILD)/tests/unit $(BUILD)/tests/cli
KVM_CHECK_PROGRAMS += $(BUILD)/tests/integration $(BUILD)/tests/virtio $(BUILD)/tests/linux $(BUILD)/tests/vsock \
	$(BUILD)/tests/site $(BUILD)/tests/app $(BUILD)/tests/console_log $(BUILD)/tests/jail

# What the integration tests run: the VMM under the sanitizers, and the guests.
CHECK_DEPS += $(BUILD)/vmm $(BUILD)/vmm-san guests $(BUILD)/linux/vmlinux $(BUILD)/guest/site.elf

.PHONY: unit integration site-check
# The site tests alone (they are also part of `make check`).
site-check: $(BUILD)/tests/site $(CHECK_DEPS)
	tests/run-with-kvm.sh $(BUILD)/tests/site
unit: $(BUILD)/tests/unit
	$(BUILD)/tests/unit
integration: $(BUILD)/tests/integration $(CHECK_DEPS)
	tests/run-with-kvm.sh $(BUILD)/tests/integration
