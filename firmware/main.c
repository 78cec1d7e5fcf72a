/* The firmware's ring-3 body: finds the site image on the first virtio-blk
 * disk, loads its kernel through gpt.c and elf_load.c, writes the kernel's
 * start_info and command line, and hands over with `ud2` (start.S). Every
 * error prints one "firmware: ..." line and powers off with its code
 * (abi/site_image.h). */
#include <stddef.h>
#include <stdint.h>

#include "abi/platform.h"
#include "abi/pvh.h"
#include "abi/virtio_mmio.h"
#include "abi/virtio_ring.h"
#include "firmware/fw_image.h"
#include "firmware/layout.h"
#include "guest/lib/cpu.h"

#define QSIZE 4
#define BOUNCE (128u << 10) /* per read: a 1 MiB kernel is 8 requests */
#define MEMMAP_MAX FW_RAM_MAX

extern char fw_image_start[], fw_image_end[];

struct blk_req {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct {
	struct vring_desc desc[QSIZE];
	uint16_t avail[2 + QSIZE];
} __attribute__((aligned(4096))) vq_drv;
static struct {
	uint16_t flags, idx;
	struct vring_used_elem ring[QSIZE];
} __attribute__((aligned(4096))) vq_used;
static struct blk_req req;
static volatile uint8_t req_status;
static uint64_t blk_base;
static uint16_t used_seen, avail_idx;

static struct fw_scratch scratch;
static uint8_t bounce[BOUNCE] __attribute__((aligned(4096)));
static struct fw_boot boot;
static char base_cmdline[CMDLINE_MAX];
static char kernel_cmdline[CMDLINE_MAX];
static struct hvm_memmap_entry memmap[MEMMAP_MAX];
static uint32_t memmap_n;
static uint64_t rsdp;
static struct {
	uint32_t len;
	char bytes[160];
} con;

static uint32_t vr(uint32_t off) { return mmio_r32(blk_base + off); }
static void vw(uint32_t off, uint32_t v) { mmio_w32(blk_base + off, v); }

static void append(const char *s)
{
	while (*s && con.len < sizeof con.bytes)
		con.bytes[con.len++] = *s++;
}

static void append_u64(uint64_t v)
{
	char buf[21], *q = buf + sizeof buf - 1;

	*q = 0;
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	append(q);
}

static void con_flush(void)
{
	if (inl(PORT_CONSOLE_BULK) == CONSOLE_PORT_MAGIC)
		outl(PORT_CONSOLE_BULK, (uint32_t)(uintptr_t)&con);
	else
		for (uint32_t i = 0; i < con.len; i++)
			outb(PORT_COM1, (uint8_t)con.bytes[i]);
	con.len = 0;
}

/* "firmware.debug" as a word of vmm's command line. */
static int debug_wanted(void)
{
	static const char key[] = "firmware.debug";

	for (const char *p = base_cmdline; *p; p++) {
		size_t i = 0;

		if (p != base_cmdline && p[-1] != ' ')
			continue;
		while (key[i] && p[i] == key[i])
			i++;
		if (!key[i] && (p[i] == ' ' || !p[i]))
			return 1;
	}
	return 0;
}

/* One line through vmm's bulk console port (one exit), or COM1 byte by byte. */
__attribute__((noreturn)) static void die(int code, const char *msg)
{
	con.len = 0;
	append("firmware: ");
	append(msg);
	append("\n");
	con_flush();
	for (;;)
		outl(PORT_EXIT, (uint32_t)code);
}

static int blk_find(void)
{
	for (int i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		blk_base = GPA_VIRTIO_MMIO + (uint64_t)i * VIRTIO_MMIO_SLOT_SIZE;
		if (vr(VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC && vr(VIRTIO_MMIO_VERSION) == 2 &&
		    vr(VIRTIO_MMIO_DEVICE_ID) == 2)
			return 1;
	}
	return 0;
}

/* Polling, no interrupts: one request of header, data, status at a time.
 * Each register access from ring 3 is an exit (~30 us on PVM), so only
 * what the reset does not already set is written: a reset clears the
 * driver features, the queue selector and the queue addresses (virtio
 * 1.x, as vmm/virtio/mmio.c does), and our rings lie below 4 GiB. */
static int blk_init(void)
{
	vw(VIRTIO_MMIO_STATUS, 0);
	vw(VIRTIO_MMIO_STATUS, 1 | 2);
	vw(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vw(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1; nothing else */
	vw(VIRTIO_MMIO_STATUS, 1 | 2 | 8);
	if (!(vr(VIRTIO_MMIO_STATUS) & 8))
		return -1;
	vw(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	vw(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)vq_drv.desc);
	vw(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)vq_drv.avail);
	vw(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)&vq_used);
	vw(VIRTIO_MMIO_QUEUE_READY, 1);
	vw(VIRTIO_MMIO_STATUS, 1 | 2 | 8 | 4);
	return 0;
}

static int blk_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	uint64_t t0;

	(void)ctx;
	req = (struct blk_req){ 0, 0, lba };
	req_status = 0xff;
	vq_drv.desc[0] = (struct vring_desc){ (uint64_t)(uintptr_t)&req, sizeof req, VRING_DESC_F_NEXT, 1 };
	vq_drv.desc[1] = (struct vring_desc){ (uint64_t)(uintptr_t)buf, count * SITE_IMAGE_SECTOR,
					      VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	vq_drv.desc[2] = (struct vring_desc){ (uint64_t)(uintptr_t)&req_status, 1, VRING_DESC_F_WRITE, 0 };
	vq_drv.avail[2 + avail_idx % QSIZE] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq_drv.avail[1] = ++avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vw(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	t0 = rdtsc();
	while (*(volatile uint16_t *)&vq_used.idx == used_seen) {
		if (rdtsc() - t0 > 60ull * 3000000000ull) /* a minute at 3 GHz: the device is gone */
			return -1;
		__asm__ volatile("pause");
	}
	used_seen++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return req_status == 0 ? 0 : -1;
}

static void *phys(void *ctx, uint64_t paddr, uint64_t len)
{
	(void)ctx;
	(void)len;
	return (void *)(uintptr_t)paddr; /* identity-mapped, checked by elf_load.c */
}

/* Copies what vmm gave us out of the areas the kernel's start_info and
 * command line will take. */
static void read_start_info(const struct hvm_start_info *si)
{
	const char *cl;
	uint32_t n = 0;

	if ((uintptr_t)si != GPA_START_INFO || si->magic != HVM_START_MAGIC)
		die(SITE_FW_EXIT_BAD_BOOT, "no PVH start_info from the VMM");
	cl = si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : "";
	if (si->cmdline_paddr >= GPA_KERNEL_MIN)
		die(SITE_FW_EXIT_BAD_BOOT, "the VMM's command line lies above 1 MiB");
	while (n < CMDLINE_MAX - 1 && cl[n]) {
		base_cmdline[n] = cl[n];
		n++;
	}
	base_cmdline[n] = 0;
	if (si->memmap_entries > MEMMAP_MAX || si->memmap_paddr < GPA_START_INFO ||
	    si->memmap_paddr + si->memmap_entries * sizeof(struct hvm_memmap_entry) > GPA_START_INFO_END)
		die(SITE_FW_EXIT_NO_MEMORY, "the VMM's memory map is not where it should be");
	memmap_n = si->memmap_entries;
	for (uint32_t i = 0; i < memmap_n; i++)
		memmap[i] = ((const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr)[i];
	rsdp = si->rsdp_paddr;
}

__attribute__((noreturn)) void fw_main(struct hvm_start_info *si);
__attribute__((noreturn)) void fw_main(struct hvm_start_info *si)
{
	struct fw_disk disk = { 0, blk_read, NULL };
	struct fw_mem mem = { .ptr = phys, .zero_bss = 0 };
	struct fw_parts parts;
	struct fw_kernel k;
	struct fw_error err;
	struct hvm_start_info *out = (struct hvm_start_info *)(uintptr_t)GPA_START_INFO;
	struct hvm_memmap_entry *out_map = (struct hvm_memmap_entry *)(out + 1);
	char *out_cl = (char *)(uintptr_t)GPA_CMDLINE;
	uint64_t t0 = rdtsc(), t_gpt, t_kernel;

	read_start_info(si);
	for (uint32_t i = 0; i < memmap_n && mem.n_ram < FW_RAM_MAX; i++) {
		uint64_t a = memmap[i].addr, end = memmap[i].addr + memmap[i].size;

		/* Only what the identity map covers below the MMIO hole. */
		if (memmap[i].type != E820_RAM || end <= a || a >= MMIO_HOLE_START)
			continue;
		mem.ram[mem.n_ram++] = (struct fw_range){ a, end < MMIO_HOLE_START ? end : MMIO_HOLE_START };
	}
	mem.busy[mem.n_busy++] = (struct fw_range){ GPA_START_INFO, GPA_START_INFO_END };
	mem.busy[mem.n_busy++] = (struct fw_range){ GPA_CMDLINE, GPA_CMDLINE + CMDLINE_MAX };
	mem.busy[mem.n_busy++] = (struct fw_range){ (uintptr_t)fw_image_start, (uintptr_t)fw_image_end };

	if (!blk_find())
		die(SITE_FW_EXIT_NO_DISK, "no virtio-blk disk");
	if (blk_init() < 0)
		die(SITE_FW_EXIT_DISK_ERROR, "the virtio-blk disk refused the driver");
	disk.sectors = (uint64_t)vr(VIRTIO_MMIO_CONFIG) | (uint64_t)vr(VIRTIO_MMIO_CONFIG + 4) << 32;
	scratch.bounce = bounce;
	scratch.bounce_size = sizeof bounce;
	if (fw_gpt_find(&disk, &scratch, 1, &parts, &err) || fw_boot_read(&disk, &scratch, 1, &parts, &boot, &err))
		die(err.code, err.msg);
	t_gpt = rdtsc();
	if (fw_kernel_load(&disk, &scratch, 1, &boot, &mem, &k, &err) ||
	    fw_cmdline_build(kernel_cmdline, sizeof kernel_cmdline, base_cmdline, &boot, &parts, &err))
		die(err.code, err.msg);
	t_kernel = rdtsc();
	if (debug_wanted()) {
		/* TSC cycles at ring 3 (the ~45 ring-0 instructions around them
		 * are not counted): device and GPT, then the kernel. */
		append("firmware: ring 3 took ");
		append_u64(t_kernel - t0);
		append(" TSC cycles: disk and GPT ");
		append_u64(t_gpt - t0);
		append(", kernel (");
		append_u64(boot.h.kernel_size);
		append(" bytes) ");
		append_u64(t_kernel - t_gpt);
		append("\n");
		con_flush();
	}
	/* The device goes back to reset: the kernel starts its own driver on a
	 * quiet device. */
	vw(VIRTIO_MMIO_STATUS, 0);

	for (uint32_t i = 0; i < CMDLINE_MAX; i++) {
		out_cl[i] = kernel_cmdline[i];
		if (!kernel_cmdline[i])
			break;
	}
	for (uint32_t i = 0; i < memmap_n; i++)
		out_map[i] = memmap[i];
	*out = (struct hvm_start_info){
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = GPA_CMDLINE,
		.rsdp_paddr = rsdp,
		.memmap_paddr = (uintptr_t)out_map,
		.memmap_entries = memmap_n,
	};
	/* The hand-off: start.S's #UD handler jumps to %esi with %ebx. */
	__asm__ volatile("ud2" : : "b"((uint32_t)GPA_START_INFO), "S"(k.entry) : "memory");
	for (;;)
		;
}
