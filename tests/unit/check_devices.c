/* The power device, the i8042 reset line, the I/O bus and the console escape. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "devices/i8042.h"
#include "devices/console_port.h"
#include "devices/io_bus.h"
#include "devices/power.h"
#include "host/console.h"
#include "unit/suites.h"

struct reqs {
	int n;
	enum vm_request last;
	int code;
};

static void record(void *o, enum vm_request r, int code)
{
	struct reqs *q = o;
	q->n++;
	q->last = r;
	q->code = code;
}

START_TEST(power_device_requests)
{
	struct reqs q = { 0 };
	struct vm_requester req = { record, &q };
	struct power_dev r = { &req, 0 };
	uint8_t b;
	uint32_t code = 0x1234;

	b = 0x14; /* SLP_TYP 5 without SLP_EN: nothing */
	power_io(&r, 0, &b, 1, true);
	ck_assert_int_eq(q.n, 0);
	b = 0x34;
	power_io(&r, 0, &b, 1, true);
	ck_assert_int_eq(q.n, 1);
	ck_assert_int_eq(q.last, VM_REQ_POWEROFF);
	ck_assert_int_eq(q.code, 0);
	b = 0x01;
	power_io(&r, 2, &b, 1, true);
	ck_assert_int_eq(q.last, VM_REQ_RESET);
	power_io(&r, 4, (uint8_t *)&code, 4, true);
	ck_assert_int_eq(q.last, VM_REQ_POWEROFF);
	ck_assert_int_eq(q.code, 0x34);
	b = 0xff;
	power_io(&r, 1, &b, 1, false);
	ck_assert_uint_eq(b, 0);
	power_io(&r, 5, &b, 1, false);
	ck_assert_uint_eq(b, 0);
	power_request_shutdown(&r);
	power_io(&r, 5, &b, 1, false);
	ck_assert_uint_eq(b, 1);
}
END_TEST

START_TEST(i8042_reset_line)
{
	struct reqs q = { 0 };
	struct vm_requester r = { record, &q };
	uint8_t b = 0xff;

	i8042_io(&r, 4, &b, 1, false);
	ck_assert_uint_eq(b, 0);
	b = 0xd1;
	i8042_io(&r, 4, &b, 1, true);
	ck_assert_int_eq(q.n, 0);
	b = 0xfe;
	i8042_io(&r, 0, &b, 1, true); /* data port: not a command */
	ck_assert_int_eq(q.n, 0);
	i8042_io(&r, 4, &b, 1, true);
	ck_assert_int_eq(q.n, 1);
	ck_assert_int_eq(q.last, VM_REQ_RESET);
}
END_TEST

static int hits;
static void count(void *o, uint64_t off, uint8_t *d, uint32_t size, bool w)
{
	(void)o;
	(void)w;
	(void)size;
	d[0] = (uint8_t)off;
	hits++;
}

START_TEST(io_bus_dispatch_and_open_bus)
{
	struct io_bus b;
	struct err e;
	uint8_t d[4];

	memset(&b, 0, sizeof b);
	ck_assert_int_eq(io_bus_add(&b, 0x100, 8, count, NULL, &e), 0);
	ck_assert_int_lt(io_bus_add(&b, 0x104, 8, count, NULL, &e), 0);
	ck_assert_int_lt(io_bus_add(&b, 0xfc, 8, count, NULL, &e), 0);
	ck_assert_int_eq(io_bus_add(&b, 0x108, 8, count, NULL, &e), 0);
	ck_assert(io_bus_access(&b, 0x103, d, 1, false));
	ck_assert_uint_eq(d[0], 3);
	ck_assert(!io_bus_access(&b, 0x110, d, 4, false));
	ck_assert_uint_eq(d[0], 0xff);
	ck_assert_uint_eq(d[3], 0xff);
	ck_assert_uint_eq(b.unclaimed, 1);
	ck_assert_int_eq(hits, 1);
}
END_TEST

static char port_out[64];
static size_t port_out_len;
static void capture(void *o, const uint8_t *b, size_t n)
{
	(void)o;
	ck_assert_uint_le(port_out_len + n, sizeof port_out);
	memcpy(port_out + port_out_len, b, n);
	port_out_len += n;
}

static void port_write(struct console_port *p, uint32_t gpa)
{
	console_port_io(p, 0, (uint8_t *)&gpa, 4, true);
}

START_TEST(console_port_records)
{
	struct guest_mem mem;
	struct err e;
	struct console_port p;
	uint8_t *ram;
	uint32_t v = 0, len;

	ck_assert_int_eq(guest_mem_alloc(&mem, 4u << 20, &e), 0);
	ram = guest_mem_ptr(&mem, 0, 4u << 20);
	p = (struct console_port){ .mem = &mem, .out = capture, .opaque = NULL };
	port_out_len = 0;
	console_port_io(&p, 0, (uint8_t *)&v, 4, false);
	ck_assert_uint_eq(v, CONSOLE_PORT_MAGIC);
	console_port_io(&p, 2, (uint8_t *)&v, 2, false);
	ck_assert_uint_eq(v & 0xffff, 0xffff);

	len = 6;
	memcpy(ram + 0x1000, &len, 4);
	memcpy(ram + 0x1004, "hello\n", 6);
	port_write(&p, 0x1000);
	ck_assert_uint_eq(port_out_len, 6);
	ck_assert_int_eq(memcmp(port_out, "hello\n", 6), 0);
	ck_assert_uint_eq(p.records, 1);

	len = 0; /* empty */
	memcpy(ram + 0x2000, &len, 4);
	port_write(&p, 0x2000);
	len = CONSOLE_PORT_MAX + 1; /* too long */
	memcpy(ram + 0x2000, &len, 4);
	port_write(&p, 0x2000);
	len = 16; /* bytes run past the end of RAM */
	memcpy(ram + (4u << 20) - 8, &len, 4);
	port_write(&p, (4u << 20) - 8);
	port_write(&p, 4u << 20);      /* record outside RAM */
	port_write(&p, 0xfffffffeu);   /* in the MMIO hole */
	v = 0x1000;
	console_port_io(&p, 0, (uint8_t *)&v, 2, true); /* not a 32-bit write */
	console_port_io(&p, 1, (uint8_t *)&v, 4, true); /* not at +0 */
	ck_assert_uint_eq(p.rejected, 7);
	ck_assert_uint_eq(p.records, 1);
	ck_assert_uint_eq(port_out_len, 6);
	guest_mem_free(&mem);
}
END_TEST

START_TEST(console_escape)
{
	struct console_escape st = { false };
	uint8_t out[32];
	bool quit;
	size_t n;

	n = console_escape_filter(&st, (const uint8_t *)"ab", 2, out, &quit);
	ck_assert_uint_eq(n, 2);
	ck_assert(!quit);
	n = console_escape_filter(&st, (const uint8_t *)"\x01\x01z", 3, out, &quit);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(out, "\x01z", 2), 0);
	n = console_escape_filter(&st, (const uint8_t *)"\x01", 1, out, &quit);
	ck_assert_uint_eq(n, 0);
	ck_assert(st.armed); /* the escape spans reads */
	n = console_escape_filter(&st, (const uint8_t *)"c", 1, out, &quit);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(out, "\x01" "c", 2), 0);
	n = console_escape_filter(&st, (const uint8_t *)"hi\x01xmore", 8, out, &quit);
	ck_assert(quit);
	ck_assert_uint_eq(n, 2);
}
END_TEST

Suite *devices_suite(void)
{
	const TTest *const tests[] = {
		power_device_requests, i8042_reset_line, io_bus_dispatch_and_open_bus, console_port_records,
		console_escape, NULL,
	};

	return one_case_suite("devices", "platform", 0, NULL, NULL, tests);
}
