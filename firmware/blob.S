/* The built firmware ELF as data in vmm (vmm/machine/boot_image.c loads it
 * from memory, so booting it opens no file: the jail stays as it is). */
	.section .rodata.vmm_firmware, "a"
	.p2align 12
	.globl vmm_firmware_elf, vmm_firmware_elf_end
vmm_firmware_elf:
	.incbin FW_ELF
vmm_firmware_elf_end:

	.section .note.GNU-stack, "", @progbits
