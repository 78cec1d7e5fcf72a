# The vmm binary. Every .c under vmm/ except cli/main.c also goes into a
# library that unit tests and fuzzers link against.
VMM_SRCS     := $(filter-out vmm/cli/main.c vmm/daemon/%,$(wildcard vmm/*/*.c))
VMM_OBJS     := $(VMM_SRCS:%.c=$(BUILD)/obj/%.o)
VMM_SAN_OBJS := $(VMM_SRCS:%.c=$(BUILD)/obj-san/%.o)

# Static: the VMM's resident memory is then only the pages it touches.
VMM_LDFLAGS  := -static

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj-san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@

# Made afresh, so an object whose source is gone does not linger in it.
$(BUILD)/libvmm.a: $(VMM_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libvmm-san.a: $(VMM_SAN_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/vmm: $(BUILD)/obj/vmm/cli/main.o $(BUILD)/libvmm.a
	$(CC) $(VMM_LDFLAGS) -o $@ $^ $(LDLIBS)

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
