/* The 16550 register model: output, interrupts, the receive FIFO, divisor
 * latch and loopback, as Linux's 8250 driver and our guests use them. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "devices/uart.h"
#include "unit/suites.h"

struct probe {
	uint8_t out[64];
	int nout;
	int level;
	int irq_changes;
	int room_calls;
};

static void tx(void *o, const uint8_t *b, size_t len)
{
	struct probe *p = o;

	ck_assert_uint_le(p->nout + len, sizeof p->out);
	memcpy(p->out + p->nout, b, len);
	p->nout += (int)len;
}

static void irq(void *o, int level)
{
	struct probe *p = o;
	p->level = level;
	p->irq_changes++;
}

static void room(void *o)
{
	((struct probe *)o)->room_calls++;
}

static const struct uart_ops ops = { tx, irq, room };
static struct uart u;
static struct probe pr;

static void setup(void)
{
	memset(&pr, 0, sizeof pr);
	uart_init(&u, &ops, &pr);
}

static void teardown(void)
{
	uart_destroy(&u);
}

static void wr(unsigned reg, uint8_t v)
{
	uart_io(&u, reg, &v, 1, true);
}

static uint8_t rd(unsigned reg)
{
	uint8_t v = 0;

	uart_io(&u, reg, &v, 1, false);
	return v;
}

START_TEST(transmits_bytes)
{
	ck_assert_uint_eq(rd(5) & 0x60, 0x60); /* THRE and TEMT */
	wr(0, 'h');
	wr(0, 'i');
	ck_assert_int_eq(pr.nout, 2);
	ck_assert_int_eq(memcmp(pr.out, "hi", 2), 0);
	ck_assert_int_eq(pr.level, 0); /* no interrupts enabled */
}
END_TEST

START_TEST(thre_interrupt)
{
	wr(1, 0x02); /* enabling THRI with an empty THR interrupts at once */
	ck_assert_int_eq(pr.level, 1);
	ck_assert_uint_eq(rd(2) & 0x0f, 0x02);
	ck_assert_int_eq(pr.level, 0); /* reading IIR acknowledged it */
	ck_assert_uint_eq(rd(2) & 0x0f, 0x01);
	wr(0, 'x');
	ck_assert_int_eq(pr.level, 1);
	wr(1, 0);
	ck_assert_int_eq(pr.level, 0);
}
END_TEST

START_TEST(receive_fifo_and_interrupt)
{
	uint8_t in[20];

	for (int i = 0; i < 20; i++)
		in[i] = (uint8_t)('a' + i);
	wr(1, 0x01);
	ck_assert_uint_eq(uart_receive(&u, in, 20), UART_FIFO);
	ck_assert_int_eq(pr.level, 1);
	ck_assert_uint_eq(rd(2) & 0x0f, 0x04);
	ck_assert_uint_eq(rd(5) & 1, 1);
	ck_assert_uint_eq(rd(0), 'a');
	ck_assert_int_eq(pr.room_calls, 1); /* it was full; now there is room */
	for (int i = 1; i < UART_FIFO; i++)
		ck_assert_uint_eq(rd(0), 'a' + i);
	ck_assert_uint_eq(rd(5) & 1, 0);
	ck_assert_int_eq(pr.level, 0);
	ck_assert_int_eq(pr.room_calls, 1);
}
END_TEST

START_TEST(divisor_latch_and_scratch)
{
	wr(3, 0x80);
	wr(0, 0x01);
	wr(1, 0x02);
	ck_assert_uint_eq(rd(0), 0x01);
	ck_assert_uint_eq(rd(1), 0x02);
	wr(3, 0x03);
	ck_assert_uint_eq(rd(3), 0x03);
	ck_assert_uint_eq(rd(1), 0x00); /* IER, not DLM */
	ck_assert_int_eq(pr.nout, 0);   /* divisor writes are not output */
	wr(7, 0x5a);
	ck_assert_uint_eq(rd(7), 0x5a);
}
END_TEST

START_TEST(loopback_as_linux_probes_it)
{
	wr(4, 0x10 | 0x0a); /* loop, RTS, OUT2 */
	ck_assert_uint_eq(rd(6) & 0xf0, 0x90); /* CTS, DCD */
	wr(0, 'L');
	ck_assert_int_eq(pr.nout, 0);
	ck_assert_uint_eq(rd(0), 'L');
	wr(4, 0x08);
	ck_assert_uint_eq(rd(6), 0xb0);
}
END_TEST

START_TEST(fifo_control_clears_receiver)
{
	uint8_t in[3] = { 1, 2, 3 };

	uart_receive(&u, in, 3);
	wr(2, 0x07);
	ck_assert_uint_eq(rd(5) & 1, 0);
	ck_assert_uint_eq(rd(2) & 0xc0, 0xc0); /* FIFOs enabled */
}
END_TEST

START_TEST(ignores_out_of_range_offsets)
{
	uint8_t v = 0x55;

	uart_io(&u, 8, &v, 1, true);
	uart_io(&u, 1000, &v, 1, false);
	ck_assert_uint_eq(v, 0x55);
}
END_TEST

Suite *uart_suite(void)
{
	const TTest *const tests[] = {
		transmits_bytes, thre_interrupt, receive_fifo_and_interrupt, divisor_latch_and_scratch,
		loopback_as_linux_probes_it, fifo_control_clears_receiver, ignores_out_of_range_offsets, NULL,
	};

	return one_case_suite("uart", "16550", 0, setup, teardown, tests);
}
