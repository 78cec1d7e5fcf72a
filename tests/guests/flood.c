/* Floods the console as fast as it can, forever: 64 KiB records through the
 * bulk console port, each of 1,024 64-byte lines, the first numbered
 * ("flood 0000000042 ...\n", counting records from 0) and the rest dots; or
 * the same bytes one at a time through COM1 with uart=1. The host's console
 * log limits (size cap, rate limit) are tested against it; the numbers let a
 * test tell that what the log kept is the newest output, in order.
 *
 * Only the number changes between records: on PVM hosts every ring-0
 * instruction is emulated (~2.5 us), so the guest writes the fixed text once
 * and ten digits per record, which floods at hundreds of MB/s. */
#include "lib/guest.h"

#define LINE_LEN 64
#define REC_LINES (CONSOLE_PORT_MAX / LINE_LEN)

static struct {
	uint32_t len;
	char bytes[REC_LINES * LINE_LEN];
} rec;

static void fill_record(void)
{
	const char *head = "flood ";

	for (size_t i = 0; i < sizeof rec.bytes; i++)
		rec.bytes[i] = i % LINE_LEN == LINE_LEN - 1 ? '\n' : '.';
	for (int i = 0; i < 6; i++)
		rec.bytes[i] = head[i];
	rec.bytes[16] = ' ';
}

/* The first line's ten digits. */
static void number_record(uint64_t seq)
{
	for (int i = 15; i >= 6; i--, seq /= 10)
		rec.bytes[i] = (char)('0' + seq % 10);
}

int guest_main(struct hvm_start_info *si)
{
	int uart = (int)cmdline_uint(si, "uart", 0);

	if (!uart && inl(PORT_CONSOLE_BULK) != CONSOLE_PORT_MAGIC) {
		puts_serial("flood: no bulk console port\n");
		return 1;
	}
	puts_serial("flood: starting\n");
	fill_record();
	rec.len = sizeof rec.bytes;
	for (uint64_t seq = 0;; seq++) {
		number_record(seq);
		if (uart) {
			for (size_t i = 0; i < sizeof rec.bytes; i++)
				putc_serial(rec.bytes[i]);
			continue;
		}
		__asm__ volatile("" ::: "memory"); /* the record is complete before vmm reads it */
		outl(PORT_CONSOLE_BULK, (uint32_t)(uintptr_t)&rec);
	}
}
