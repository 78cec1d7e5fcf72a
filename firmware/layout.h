/* The firmware's fixed addresses (below 1 MiB, where kernels never load:
 * abi/platform.h). The TSS and the trap stubs sit at constant addresses so
 * the GDT's TSS descriptor and the IDT's gates are static data the
 * assembler computes: building them at run time would cost ring-0
 * instructions, ~2.4 us each on PVM hosts. */
#ifndef FIRMWARE_LAYOUT_H
#define FIRMWARE_LAYOUT_H

#define FW_BASE      0x30000   /* the TSS page, then the image */
#define FW_TSS       0x30000
#define FW_TSS_IOMAP 104       /* the I/O bitmap follows the 104-byte TSS */
#define FW_IOMAP_PORTS 0x800   /* ports below: COM1, the power device, the bulk console */
#define FW_TSS_LIMIT (FW_TSS_IOMAP + FW_IOMAP_PORTS / 8) /* +1 byte of 0xff: the CPU reads two */
#define FW_TEXT      0x31000   /* trap stubs first, at fixed offsets */
#define FW_TRAP_UD   (FW_TEXT + 0x00)
#define FW_TRAP_FAIL (FW_TEXT + 0x40)
#define FW_END_MAX   0x9f000   /* below the EBDA */

#endif
