# libFuzzer harnesses (clang). Each harness is tests/fuzz/fuzz_NAME.c and is
# linked against the sanitized sources it exercises, listed in FUZZ_SRCS_NAME
# (sources only: they are prerequisites; libraries go in a target-specific
# FUZZ_LDLIBS, since make cannot find a multiarch -lNAME and then silently
# drops the rule).
# `make fuzz FUZZ_SECONDS=N` runs each for N seconds; `make check` runs each for
# FUZZ_CHECK_SECONDS, seeded from (and saving new crashes to) tests/fuzz/corpus/NAME.
FUZZ_SECONDS       ?= 300
FUZZ_CHECK_SECONDS ?= 30
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -Ivmm -I. -Iguest \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

FUZZERS += elf_pvh
FUZZ_SRCS_elf_pvh := vmm/boot/elf_pvh.c vmm/mem/guest_mem.c vmm/util/err.c

FUZZ_BINS = $(FUZZERS:%=$(BUILD)/fuzz/%)

# A harness is rebuilt when it, the sources it links or any project header
# changes (one clang call compiles several sources, so -MMD cannot list them).
FUZZ_HDRS := $(wildcard vmm/*/*.h guest/*/*.h abi/*.h tests/fuzz/*.h)
.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LDLIBS)

.PHONY: fuzz fuzz-smoke
fuzz: $$(FUZZ_BINS)
	@for f in $(FUZZERS); do tests/fuzz/run.sh $(BUILD)/fuzz/$$f $$f $(FUZZ_SECONDS) || exit 1; done

fuzz-smoke: $$(FUZZ_BINS)
	@for f in $(FUZZERS); do tests/fuzz/run.sh $(BUILD)/fuzz/$$f $$f $(FUZZ_CHECK_SECONDS) || exit 1; done

FUZZERS += virtq
FUZZ_SRCS_virtq := vmm/virtio/virtq.c vmm/virtio/blk.c vmm/util/file_arg.c vmm/util/size.c vmm/virtio/mmio.c vmm/kvm/kvm.c vmm/mem/guest_mem.c \
	vmm/util/err.c

FUZZERS += vsock
FUZZ_SRCS_vsock := vmm/virtio/vsock.c vmm/virtio/vsock_conn.c vmm/virtio/virtq.c vmm/virtio/mmio.c vmm/kvm/kvm.c \
	vmm/mem/guest_mem.c vmm/host/event_loop.c vmm/host/vsock_connect.c vmm/util/size.c vmm/util/err.c

# vmm's batched register interface, against the same accesses one by one.
FUZZERS += mmio_batch
FUZZ_SRCS_mmio_batch := vmm/virtio/mmio.c vmm/virtio/virtq.c vmm/kvm/kvm.c vmm/mem/guest_mem.c vmm/util/err.c

FUZZERS += kvm_stats
FUZZ_SRCS_kvm_stats := vmm/kvm/kvm_stats.c vmm/util/err.c

FUZZERS += image_inspect
FUZZ_SRCS_image_inspect := vmm/image/inspect.c vmm/image/gpt.c vmm/image/crc32.c vmm/image/boot_part.c \
	vmm/boot/elf_pvh.c vmm/mem/guest_mem.c vmm/util/err.c

# The firmware's GPT, boot header and kernel ELF reading (firmware/), built for the host.
FUZZERS += firmware_image
FUZZ_SRCS_firmware_image := firmware/gpt.c firmware/elf_load.c
$(BUILD)/fuzz/firmware_image: firmware/fw_image.h

# The message a standby vmm takes its run from (cli/standby_proto.h).
FUZZERS += standby_msg
FUZZ_SRCS_standby_msg := vmm/cli/standby_msg.c vmm/util/err.c
