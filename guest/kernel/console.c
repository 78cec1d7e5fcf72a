/* Console output. Every port access is an exit (~16 us from ring 3 on
 * nested hosts), and KVM emulates string I/O one element at a time, so a
 * `rep outsb` to COM1 costs an exit per byte (an access-log line ~80). On
 * vmm the whole buffer goes out with one write to its bulk console port
 * (abi/platform.h, PORT_CONSOLE_BULK; probed once, one exit); elsewhere through
 * COM1. Output is buffered; the event loop flushes it lazily, panic() and
 * power-off flush first. */
#include "kernel.h"

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

static void put_uint(uint64_t v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < width && n < (int)sizeof buf)
		buf[n++] = pad;
	while (n) {
		char c = buf[--n];
		kwrite(&c, 1);
	}
}

void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int lng = 0, width = 0, prec = -1;
		char pad = ' ';

		if (*fmt != '%') {
			const char *s = fmt;
			while (fmt[1] && fmt[1] != '%')
				fmt++;
			kwrite(s, (size_t)(fmt - s + 1));
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.' && fmt[1] == '*') {
			prec = va_arg(ap, int);
			fmt += 2;
		}
		while (*fmt == 'l' || *fmt == 'z') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (prec >= 0)
				kwrite(s, (size_t)prec);
			else
				kputs(s ? s : "(null)");
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			kwrite(&c, 1);
			break;
		}
		case 'u': put_uint(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad); break;
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				kwrite("-", 1);
				v = -v;
			}
			put_uint((uint64_t)v, 10, width, pad);
			break;
		}
		case 'x': put_uint(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad); break;
		case '%': kwrite("%", 1); break;
		case 0: return;
		default: kwrite("?", 1); break;
		}
	}
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
