# Test guests: freestanding PVH ELF images, one per .c file here.
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-builtin -mno-red-zone -mgeneral-regs-only -fcf-protection=none \
	-Itests/guests -I.
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-T,tests/guests/lib/guest.ld -Wl,--no-warn-rwx-segments
GUEST_NAMES := hello smp fault echo exitcode ring3 reset virtio_blk virtio_rng virtio_hostile blk_bench vsock_echo flood memhog
# guest/lib (CPU access, libc bits, formatting) is the site kernel's, built with our flags.
GUEST_LIB_OBJS := $(BUILD)/guests/lib/start.o $(BUILD)/guests/lib/guest.o $(BUILD)/guests/lib/virtio.o \
	$(patsubst guest/lib/%.c,$(BUILD)/guests/glib/%.o,$(wildcard guest/lib/*.c))
GUESTS := $(GUEST_NAMES:%=$(BUILD)/guests/%.elf)

.PHONY: guests
guests: $(GUESTS)

$(BUILD)/guests/%.o: tests/guests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guests/glib/%.o: guest/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guests/%.o: tests/guests/%.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guests/smp.elf: $(BUILD)/guests/smp_trampoline.o
$(BUILD)/guests/ring3.elf: $(BUILD)/guests/ring3_traps.o

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_LIB_OBJS) tests/guests/lib/guest.ld
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
