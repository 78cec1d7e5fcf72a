# firmware/: the boot firmware for site images, a freestanding PVH ELF
# ($(BUILD)/firmware/firmware.elf) embedded into vmm as data (blob.S).
FW_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-builtin -mno-red-zone -mgeneral-regs-only -fcf-protection=none \
	-fno-asynchronous-unwind-tables -I.
FW_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-T,firmware/firmware.ld -Wl,--no-warn-rwx-segments
FW_OBJS := $(addprefix $(BUILD)/firmware/,start.o main.o gpt.o elf_load.o string.o)
FW_ELF := $(BUILD)/firmware/firmware.elf

.PHONY: firmware
firmware: $(FW_ELF)
all: $(FW_ELF)

$(BUILD)/firmware/%.o: firmware/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/firmware/start.o: firmware/start.S
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@

# memcpy/memset for the copies the compiler emits itself.
$(BUILD)/firmware/string.o: guest/lib/string.c
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(FW_ELF): $(FW_OBJS) firmware/firmware.ld
	$(CC) $(FW_CFLAGS) $(FW_LDFLAGS) -o $@ $(FW_OBJS)

$(BUILD)/firmware/blob.o: firmware/blob.S $(FW_ELF)
	$(CC) -c -DFW_ELF='"$(FW_ELF)"' $< -o $@

# Linked into vmm (and the libraries tests and fuzzers use) as data.
$(BUILD)/libvmm.a $(BUILD)/libvmm-san.a: $(BUILD)/firmware/blob.o
