/* Guest-physical layout of every VM: where the VMM puts boot data, where RAM
 * is and where the device hole lies. One place, shared by direct boot and
 * (later) the firmware path. */
#ifndef VMM_BOOT_LAYOUT_H
#define VMM_BOOT_LAYOUT_H

#define GPA_BOOT_GDT        0x500ull
#define GPA_START_INFO      0x6000ull   /* hvm_start_info, module list, memory map */
#define GPA_START_INFO_END  0x8000ull
#define GPA_CMDLINE         0x20000ull
#define CMDLINE_MAX         4096u       /* Linux's x86 COMMAND_LINE_SIZE is 2048; room to spare */
#define GPA_EBDA            0x9fc00ull  /* top of conventional memory, reserved as on PCs */
#define GPA_ACPI            0xe0000ull  /* RSDP and tables; the legacy RSDP search range */
#define GPA_ACPI_END        0x100000ull
#define GPA_KERNEL_MIN      0x100000ull /* kernel segments load at or above 1 MiB */

#define MMIO_HOLE_START     0xc0000000ull
#define MMIO_HOLE_END       0x100000000ull
#define GPA_VIRTIO_MMIO     0xd0000000ull
#define GPA_KVM_IDENT_MAP   0xfeffc000ull /* KVM's private pages (Intel only) */
#define GPA_KVM_TSS         0xfeffd000ull
#define GPA_IOAPIC          0xfec00000ull
#define GPA_LAPIC           0xfee00000ull

#define MEM_MIN             (4ull << 20)

/* I/O ports of the platform devices. */
#define PORT_COM1           0x3f8
#define IRQ_COM1            4
#define PORT_I8042_DATA     0x60
#define PORT_I8042_CMD      0x64
#define PORT_POWER          0x600       /* see devices/power.h */
#define PORT_POWER_LEN      8
#define PORT_CONSOLE_BULK   0x610       /* see devices/console_port.h */
#define PORT_CONSOLE_BULK_LEN 4

#endif
