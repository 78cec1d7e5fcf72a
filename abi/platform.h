/* The machine vmm promises every guest: its guest-physical memory map, the
 * platform's I/O ports and MMIO windows, and the vmm-specific devices a guest
 * may rely on (power device, bulk console port). vmm builds the machine from
 * these numbers; the site kernel and the test guests drive it with them. */
#ifndef ABI_PLATFORM_H
#define ABI_PLATFORM_H

#include <stdint.h>

/* ---- guest-physical memory map ----
 * RAM starts at 0 and runs up to the MMIO hole; RAM beyond 3 GiB continues
 * at 4 GiB. vmm keeps its boot data in the low MiB, all of what it writes
 * for a boot (but the ACPI tables) in one page unless the command line is
 * longer than 2 KiB: each page vmm writes is a private page of every VM. */
#define GPA_START_INFO      0x6000ull   /* hvm_start_info, module list, memory map (abi/pvh.h) */
#define GPA_BOOT_GDT        0x6400ull   /* 4 descriptors, after the memory map */
#define GPA_CMDLINE         0x6800ull
#define CMDLINE_MAX         4096u       /* bytes with the NUL; Linux's x86 COMMAND_LINE_SIZE is 2048 */
#define GPA_START_INFO_END  0x8000ull   /* the end of all of the above */
#define GPA_EBDA            0x9fc00ull  /* top of conventional memory, reserved as on PCs */
#define GPA_ACPI            0xe0000ull  /* RSDP and tables; the legacy RSDP search range */
#define GPA_ACPI_END        0x100000ull
#define GPA_KERNEL_MIN      0x100000ull /* kernel segments load at or above 1 MiB */
#define MEM_MIN             (4ull << 20)

#define MMIO_HOLE_START     0xc0000000ull
#define MMIO_HOLE_END       0x100000000ull
#define GPA_KVM_IDENT_MAP   0xfeffc000ull /* KVM's private pages (Intel only) */
#define GPA_KVM_TSS         0xfeffd000ull
#define GPA_IOAPIC          0xfec00000ull
#define GPA_LAPIC           0xfee00000ull

/* ---- virtio-mmio slots (abi/virtio_mmio.h) ----
 * Slot i is a 4 KiB register window at GPA_VIRTIO_MMIO + i * VIRTIO_MMIO_SLOT_SIZE
 * raising IOAPIC pin VIRTIO_SLOT_GSIS[i]; vmm also lists the slots in use
 * on the command line as virtio_mmio.device=4K@ADDR:GSI (Linux's form). */
#define GPA_VIRTIO_MMIO       0xd0000000ull
#define VIRTIO_MMIO_SLOT_SIZE 0x1000u
#define VIRTIO_MMIO_SLOTS     8
#define VIRTIO_SLOT_GSIS      { 5, 6, 7, 10, 11, 12, 14, 15 }

/* ---- I/O ports ---- */
#define PORT_PIC1_DATA      0x21        /* 8259s: a guest masks both (0xff) before using IOAPIC lines */
#define PORT_PIC2_DATA      0xa1
#define PORT_COM1           0x3f8       /* 16550A */
#define IRQ_COM1            4
#define PORT_I8042_DATA     0x60
#define PORT_I8042_CMD      0x64        /* 0xfe written here resets the machine */
#define I8042_CMD_RESET     0xfe

/* The power device: eight ports at PORT_POWER.
 *   +0 ACPI sleep control (8-bit write): SLP_EN | SLP_TYP=5 (0x34) powers off, code 0
 *   +1 ACPI sleep status (8-bit read): always 0
 *   +2 ACPI reset register (8-bit write): POWER_RESET_VALUE resets
 *   +4 exit code (8/16/32-bit write): powers off; vmm exits with its low 8 bits
 *   +5 shutdown request (8-bit read): 1 once the host asked for a cooperative
 *      power-off; the host also raises an edge on POWER_GSI then
 * The FADT points Linux at +0 and +2; our guests use +4 and +5. */
#define PORT_POWER          0x600
#define PORT_POWER_LEN      8
#define POWER_REG_SLEEP     0
#define POWER_REG_STATUS    1
#define POWER_REG_RESET     2
#define POWER_REG_EXIT      4
#define POWER_REG_SHUTDOWN  5
#define PORT_EXIT           (PORT_POWER + POWER_REG_EXIT)
#define PORT_SHUTDOWN_REQ   (PORT_POWER + POWER_REG_SHUTDOWN)
#define POWER_RESET_VALUE   0x01
#define POWER_GSI           9

/* The bulk console port: console output a whole buffer per exit (KVM
 * emulates a `rep outsb` to the UART one byte, one exit, at a time).
 *   32-bit read  returns CONSOLE_PORT_MAGIC ("VMMC"); other VMMs read all ones
 *   32-bit write the guest-physical address, below 4 GiB, of a struct
 *                console_record: vmm writes its bytes to the console as if
 *                they came through COM1
 * A record outside RAM or with a bad length is dropped (and counted). */
#define PORT_CONSOLE_BULK     0x610
#define PORT_CONSOLE_BULK_LEN 4
#define CONSOLE_PORT_MAGIC    0x434d4d56u /* "VMMC" */
#define CONSOLE_PORT_MAX      (64u << 10) /* bytes per record */

struct console_record {
	uint32_t len;            /* 1 to CONSOLE_PORT_MAX */
	uint8_t bytes[];
};

_Static_assert(sizeof(struct console_record) == 4, "console_record: a u32 length, then the bytes");
_Static_assert(GPA_CMDLINE + CMDLINE_MAX <= GPA_START_INFO_END, "the command line ends with the boot data");
_Static_assert(GPA_BOOT_GDT + 32 <= GPA_CMDLINE, "the boot GDT lies before the command line");
_Static_assert(PORT_CONSOLE_BULK + PORT_CONSOLE_BULK_LEN <= 0x800, "guests' TSS bitmaps allow ports below 0x800");
_Static_assert(PORT_POWER + PORT_POWER_LEN <= PORT_CONSOLE_BULK, "platform ports do not overlap");
_Static_assert(GPA_VIRTIO_MMIO + VIRTIO_MMIO_SLOTS * VIRTIO_MMIO_SLOT_SIZE <= GPA_IOAPIC, "virtio slots lie below the IOAPIC");
_Static_assert(GPA_VIRTIO_MMIO >= MMIO_HOLE_START, "virtio slots lie in the MMIO hole");

#endif
