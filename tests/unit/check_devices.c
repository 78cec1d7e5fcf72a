/* The power device, the i8042 reset line, the I/O bus and the console escape. */
#include <check.h>
#include <string.h>

#include "devices/i8042.h"
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

static uint32_t string_items;
static void count_string(void *o, uint64_t off, const uint8_t *data, uint32_t size, uint32_t count)
{
	(void)o;
	(void)off;
	(void)data;
	(void)size;
	string_items += count;
}

START_TEST(io_bus_string_accesses)
{
	struct io_bus b;
	struct err e;
	uint8_t d[8] = { 0 };

	memset(&b, 0, sizeof b);
	hits = 0;
	ck_assert_int_eq(io_bus_add(&b, 0x100, 8, count, NULL, &e), 0);
	ck_assert_int_lt(io_bus_set_string_out(&b, 0x200, count_string, &e), 0);
	/* without a string handler: item by item */
	ck_assert(io_bus_access_string(&b, 0x101, d, 1, 5, true));
	ck_assert_int_eq(hits, 5);
	ck_assert_int_eq(io_bus_set_string_out(&b, 0x100, count_string, &e), 0);
	ck_assert(io_bus_access_string(&b, 0x101, d, 1, 5, true));
	ck_assert_int_eq(hits, 5);
	ck_assert_uint_eq(string_items, 5);
	/* string reads still go item by item */
	ck_assert(io_bus_access_string(&b, 0x102, d, 2, 3, false));
	ck_assert_int_eq(hits, 8);
	ck_assert(!io_bus_access_string(&b, 0x300, d, 1, 8, false));
	ck_assert_uint_eq(d[7], 0xff);
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
	Suite *s = suite_create("devices");
	TCase *tc = tcase_create("platform");

	tcase_add_test(tc, power_device_requests);
	tcase_add_test(tc, i8042_reset_line);
	tcase_add_test(tc, io_bus_dispatch_and_open_bus);
	tcase_add_test(tc, io_bus_string_accesses);
	tcase_add_test(tc, console_escape);
	suite_add_tcase(s, tc);
	return s;
}
