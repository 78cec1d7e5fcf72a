#include "guest.h"

#include <stdarg.h>

#include "guest/lib/fmt.h"

#define COM1 PORT_COM1

void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

int getc_serial(void)
{
	while (!(inb(COM1 + 5) & 0x01))
		__asm__ volatile("pause");
	return inb(COM1);
}

static void serial_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	while (n--)
		putc_serial(*s++);
}

void printf_serial(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(serial_sink, NULL, fmt, ap);
	va_end(ap);
}

void poweroff(int code)
{
	outl(PORT_EXIT, (uint32_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void reset(void)
{
	outb(PORT_I8042_CMD, I8042_CMD_RESET);
}

const char *cmdline(const struct hvm_start_info *si)
{
	return si->cmdline_paddr ? (const char *)si->cmdline_paddr : "";
}

uint64_t cmdline_uint(const struct hvm_start_info *si, const char *key, uint64_t def)
{
	const char *s = cmdline(si);
	size_t klen = strlen(key);

	for (; *s; s++) {
		size_t i = 0;

		if (s != cmdline(si) && s[-1] != ' ')
			continue;
		while (i < klen && s[i] == key[i])
			i++;
		if (i == klen && s[i] == '=') {
			uint64_t v = 0;
			for (s += i + 1; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (uint64_t)(*s - '0');
			return v;
		}
	}
	return def;
}

static int sig_is(const uint8_t *t, const char *sig)
{
	return t[0] == sig[0] && t[1] == sig[1] && t[2] == sig[2] && t[3] == sig[3];
}

int madt_cpus(const struct hvm_start_info *si, uint8_t *ids, int max)
{
	const uint8_t *rsdp = (const uint8_t *)si->rsdp_paddr, *root, *madt = 0;
	uint32_t len, width = 8;
	uint64_t root_addr = 0;
	int n = 0;

	if (!rsdp)
		return 0;
	if (rsdp[15] >= 2) {
		memcpy(&root_addr, rsdp + 24, 8); /* XSDT: 64-bit entries */
	} else {
		memcpy(&root_addr, rsdp + 16, 4); /* RSDT: 32-bit entries */
		width = 4;
	}
	root = (const uint8_t *)root_addr;
	memcpy(&len, root + 4, 4);
	for (uint32_t off = 36; off + width <= len; off += width) {
		uint64_t t = 0;
		memcpy(&t, root + off, width);
		if (sig_is((const uint8_t *)t, "APIC"))
			madt = (const uint8_t *)t;
	}
	if (!madt)
		return 0;
	memcpy(&len, madt + 4, 4);
	for (uint32_t off = 44; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1]) {
		if (madt[off] == 0 && (madt[off + 4] & 1)) {
			if (n < max)
				ids[n] = madt[off + 3];
			n++;
		}
	}
	return n;
}
