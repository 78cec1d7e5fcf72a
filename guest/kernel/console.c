/* Console output. Every port access is an exit (~16 us from ring 3 on
 * nested hosts), and KVM emulates string I/O one element at a time, so a
 * `rep outsb` to COM1 costs an exit per byte (an access-log line ~80). On
 * vmm the whole buffer goes out with one write to its bulk console port
 * (abi/platform.h, PORT_CONSOLE_BULK; probed once, one exit); elsewhere through
 * COM1. Output is buffered; the event loop flushes it lazily, panic() and
 * power-off flush first. */
#include "kernel.h"

#include "guest/lib/fmt.h"

#define CON_BUF 8192

/* The record vmm's port reads (struct console_record: length, then the
 * bytes). In the kernel image, so below 4 GiB and identity mapped. */
static struct {
	struct console_record rec;
	char buf[CON_BUF];
} con __attribute__((aligned(8)));
_Static_assert(__builtin_offsetof(__typeof__(con), buf) == sizeof(struct console_record), "bytes follow the length");
_Static_assert(CON_BUF <= CONSOLE_PORT_MAX, "one flush is one record");
static size_t con_len;
static uint64_t con_since; /* now_ns() when the buffer last became non-empty */
static int con_bulk = -1;  /* vmm's bulk port: -1 not probed yet */

uint64_t console_pending_since(size_t *bytes)
{
	*bytes = con_len;
	return con_since;
}

void console_flush(void)
{
	const char *p = con.buf;
	size_t n = con_len;

	if (!n)
		return;
	if (con_bulk < 0)
		con_bulk = inl(PORT_CONSOLE_BULK) == CONSOLE_PORT_MAGIC && !cmdline_get("site.console_uart", 0, &(size_t){ 0 });
	if (con_bulk) {
		con.rec.len = (uint32_t)n;
		barrier();
		outl(PORT_CONSOLE_BULK, (uint32_t)(uintptr_t)&con);
		st.console_exits++;
	} else {
		st.console_exits += n;
		__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"((uint16_t)PORT_COM1) : "memory");
	}
	con_len = 0;
}

void kwrite(const char *s, size_t n)
{
	if (!con_len && n && clock_ready)
		con_since = now_ns();
	while (n) {
		size_t k = MIN(n, CON_BUF - con_len);
		memcpy(con.buf + con_len, s, k);
		con_len += k;
		s += k;
		n -= k;
		if (con_len == CON_BUF)
			console_flush();
	}
}

void kputs(const char *s)
{
	kwrite(s, strlen(s));
}

static void kwrite_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	kwrite(s, n);
}

void kvprintf(const char *fmt, va_list ap)
{
	fmt_vprint(kwrite_sink, NULL, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void poweroff(int code)
{
	console_flush();
	outl(PORT_EXIT, (uint32_t)code);
	for (;;)
		wait_for_interrupt(); /* not reached under vmm */
}

void panic(int code, const char *fmt, ...)
{
	va_list ap;

	kputs("site: fatal: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf(" (exit code %d)\n", code);
	poweroff(code);
}
