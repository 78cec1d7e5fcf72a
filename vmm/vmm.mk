# The vmm binary. Every .c under vmm/ except cli/main.c also goes into a
# library that unit tests and fuzzers link against.
VMM_SRCS     := $(filter-out vmm/cli/main.c vmm/daemon/%,$(wildcard vmm/*/*.c))
VMM_OBJS     := $(VMM_SRCS:%.c=$(BUILD)/obj/%.o)
VMM_SAN_OBJS := $(VMM_SRCS:%.c=$(BUILD)/obj-san/%.o)

# The release vmm is static, so its resident memory is only the pages it
# touches, and linked against Debian's musl (musl-dev), not glibc: one runs
# per site. Measured on a PVM host: a static glibc program's start-up costs
# ~0.45 ms more per exec (550-670 us against 150-170 us for an empty main
# spawned and reaped; glibc's start-up probes the CPU, and every CPUID
# traps on a nested host; a site's cold start, bench/site.sh interleaved:
# 4.71 ms against 5.22), and glibc's TLS, malloc and stdio state kept 5
# private pages more per vmm (104 KiB against 124 after 10,000 requests).
# The library objects (unit tests, fuzzers)
# and vmm-san stay on glibc: the sanitizers need it.
VMM_MUSL_OBJS := $(VMM_SRCS:%.c=$(BUILD)/obj-musl/%.o) $(BUILD)/obj-musl/vmm/cli/main.o

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj-san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/obj-musl/%.o: %.c | $(MUSL_INCLUDE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MUSL_CFLAGS) -c $< -o $@

# Made afresh, so an object whose source is gone does not linger in it.
$(BUILD)/libvmm.a: $(VMM_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libvmm-san.a: $(VMM_SAN_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/vmm: $(VMM_MUSL_OBJS) $(BUILD)/firmware/blob.o
	$(call musl_link,$^)

# The same VMM under AddressSanitizer/UBSan/LeakSanitizer, for the tests.
$(BUILD)/vmm-san: $(BUILD)/obj-san/vmm/cli/main.o $(BUILD)/libvmm-san.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

# vmm image create/inspect with Debian's sgdisk and fdisk, and the site
# kernel on the image's partitions (site.part=): a script, nothing to build.
KVM_CHECK_PROGRAMS += tests/integration/check_image_create.sh

# `make image`: the example site as one file, booted by `vmm run --disk
# build/site.img` (vmm's firmware). Rebuilt when vmm, the kernel or the site changes.
.PHONY: image
image: $(BUILD)/site.img
$(BUILD)/site.img: $(BUILD)/vmm $(BUILD)/guest/site.elf $(shell find examples/site 2>/dev/null)
	$(BUILD)/vmm image create examples/site -o $@ --force
