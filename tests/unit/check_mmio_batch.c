/* vmm's batched register interface (VIRTIO_MMIO_VMM_BATCH, abi/virtio_mmio.h)
 * on a test device with two queues and a configuration space: a batch does
 * exactly what the same accesses one by one do, and a record the guest got
 * wrong fails the device without performing anything it should not. */
#include <check.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "check_suite.h"
#include "abi/virtio_mmio.h"
#include "unit/fake_driver.h"
#include "unit/suites.h"

#define RAM   (4u << 20) /* MEM_MIN */
#define REC   0x8000u   /* the batch record */
#define RINGS 0x10000u  /* queue i's rings at RINGS + i * 0x4000 */
#define BASE  0xd0000000ull

static struct guest_mem mem;
static struct virtio_dev dev[2];
static unsigned notified[2];

static void config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t size)
{
	(void)d;
	for (uint32_t i = 0; i < size; i++)
		data[i] = (uint8_t)(0xa0 + off + i);
}

static void queue_notify(struct virtio_dev *d, unsigned q)
{
	(void)q;
	notified[d == &dev[1]]++;
}

static const struct virtio_ops ops = {
	.device_id = 42,
	.nqueues = 2,
	.config_read = config_read,
	.queue_notify = queue_notify,
};

static void setup(void)
{
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, RAM, &e), 0);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(virtio_dev_init(&dev[i], &ops, NULL, i ? "batch1" : "batch0", 1ull << 3, &mem, NULL, BASE,
						 5, &e), 0);
	notified[0] = notified[1] = 0;
}

static void teardown(void)
{
	for (unsigned i = 0; i < 2; i++)
		virtio_dev_destroy(&dev[i]);
	guest_mem_free(&mem);
}

#define R(reg) ((reg) | VIRTIO_MMIO_BATCH_READ)

/* Writes n ops as a record at gpa (done preset to a marker). */
static void put(uint32_t gpa, const struct virtio_mmio_batch_op *op, uint32_t count, uint32_t n)
{
	uint8_t *p = guest_mem_ptr(&mem, gpa, 8 + (uint64_t)n * 8);

	ck_assert_ptr_nonnull(p);
	memcpy(p, &count, 4);
	memcpy(p + 4, &(uint32_t){ 0xdeadbeef }, 4);
	if (n)
		memcpy(p + 8, op, (size_t)n * 8);
}

static void send(struct virtio_dev *d, uint32_t gpa)
{
	fake_reg_write(d, VIRTIO_MMIO_VMM_BATCH, gpa);
}

static uint32_t done_at(uint32_t gpa)
{
	uint32_t v;

	memcpy(&v, (uint8_t *)guest_mem_ptr(&mem, gpa, 8) + 4, 4);
	return v;
}

static uint32_t value_at(uint32_t gpa, unsigned i)
{
	uint32_t v;

	memcpy(&v, (uint8_t *)guest_mem_ptr(&mem, gpa + 8 + i * 8, 8) + 4, 4);
	return v;
}

static bool needs_reset(struct virtio_dev *d)
{
	return d->failed && (d->status & VIRTIO_STATUS_NEEDS_RESET);
}

/* A whole set-up as the site kernel sends it, plus the odd registers. */
static const struct virtio_mmio_batch_op setup_ops[] = {
	{ R(VIRTIO_MMIO_MAGIC_VALUE), 0 },
	{ R(VIRTIO_MMIO_VERSION), 0 },
	{ R(VIRTIO_MMIO_DEVICE_ID), 0 },
	{ R(VIRTIO_MMIO_VENDOR_ID), 0 },
	{ VIRTIO_MMIO_STATUS, 0 },
	{ VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE },
	{ VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER },
	{ R(VIRTIO_MMIO_DEVICE_FEATURES), 0 },
	{ VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1 },
	{ R(VIRTIO_MMIO_DEVICE_FEATURES), 0 },
	{ VIRTIO_MMIO_QUEUE_SEL, 1 },
	{ R(VIRTIO_MMIO_QUEUE_NUM_MAX), 0 },
	{ VIRTIO_MMIO_QUEUE_SEL, 2 }, /* no such queue */
	{ R(VIRTIO_MMIO_QUEUE_NUM_MAX), 0 },
	{ VIRTIO_MMIO_DRIVER_FEATURES, 1u << 3 },
	{ VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1 },
	{ VIRTIO_MMIO_DRIVER_FEATURES, 1 }, /* VERSION_1 */
	{ VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK },
	{ R(VIRTIO_MMIO_STATUS), 0 },
	{ VIRTIO_MMIO_QUEUE_SEL, 1 },
	{ VIRTIO_MMIO_QUEUE_NUM, 16 },
	{ VIRTIO_MMIO_QUEUE_DESC_LOW, RINGS + 0x4000 },
	{ VIRTIO_MMIO_QUEUE_DRIVER_LOW, RINGS + 0x5000 },
	{ VIRTIO_MMIO_QUEUE_DEVICE_LOW, RINGS + 0x6000 },
	{ VIRTIO_MMIO_QUEUE_READY, 1 },
	{ R(VIRTIO_MMIO_QUEUE_READY), 0 },
	{ VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				      VIRTIO_STATUS_DRIVER_OK },
	{ R(VIRTIO_MMIO_CONFIG), 0 },
	{ R(VIRTIO_MMIO_CONFIG + 0x24), 0 },
	{ R(VIRTIO_MMIO_VMM_BATCH + 4), 0 }, /* a hole in the layout: 0 */
	{ VIRTIO_MMIO_QUEUE_NOTIFY, 1 },
	{ R(VIRTIO_MMIO_STATUS), 0 },
};
_Static_assert(sizeof setup_ops / sizeof setup_ops[0] == VIRTIO_MMIO_BATCH_MAX, "a full record");

static void same_state(const struct virtio_dev *a, const struct virtio_dev *b)
{
	ck_assert_uint_eq(a->status, b->status);
	ck_assert_uint_eq(a->driver_features, b->driver_features);
	ck_assert_uint_eq(a->dev_feat_sel, b->dev_feat_sel);
	ck_assert_uint_eq(a->drv_feat_sel, b->drv_feat_sel);
	ck_assert_uint_eq(a->queue_sel, b->queue_sel);
	ck_assert_uint_eq(a->int_status, b->int_status);
	ck_assert_uint_eq(a->config_gen, b->config_gen);
	ck_assert_int_eq(a->failed, b->failed);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		ck_assert_uint_eq(a->q[i].num, b->q[i].num);
		ck_assert_int_eq(a->q[i].ready, b->q[i].ready);
		ck_assert_uint_eq(a->q[i].desc_gpa, b->q[i].desc_gpa);
		ck_assert_uint_eq(a->q[i].avail_gpa, b->q[i].avail_gpa);
		ck_assert_uint_eq(a->q[i].used_gpa, b->q[i].used_gpa);
	}
}

START_TEST(batch_equals_the_accesses_one_by_one)
{
	const unsigned n = VIRTIO_MMIO_BATCH_MAX;

	put(REC, setup_ops, n, n);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), n);
	ck_assert_uint_eq(dev[0].batches, 1);
	for (unsigned i = 0; i < n; i++) {
		uint32_t reg = setup_ops[i].reg & ~VIRTIO_MMIO_BATCH_READ;

		if (setup_ops[i].reg & VIRTIO_MMIO_BATCH_READ)
			ck_assert_msg(value_at(REC, i) == fake_reg_read(&dev[1], reg), "op %u: read of %#x", i, reg);
		else
			fake_reg_write(&dev[1], reg, setup_ops[i].value);
		/* writes' values are left as the guest wrote them */
		if (!(setup_ops[i].reg & VIRTIO_MMIO_BATCH_READ))
			ck_assert_uint_eq(value_at(REC, i), setup_ops[i].value);
	}
	same_state(&dev[0], &dev[1]);
	ck_assert(!dev[0].failed);
	ck_assert_uint_eq(value_at(REC, 0), VIRTIO_MMIO_MAGIC);
	ck_assert_uint_eq(value_at(REC, 2), 42);
	ck_assert_uint_eq(value_at(REC, 3), VIRTIO_VENDOR_VMM);
	ck_assert_uint_eq(value_at(REC, 9), 1); /* VERSION_1, high half */
	ck_assert_uint_eq(value_at(REC, 13), 0);
	ck_assert_uint_eq(value_at(REC, 25), 1);
	ck_assert_uint_eq(value_at(REC, 27), 0xa3a2a1a0);
	ck_assert_uint_eq(value_at(REC, n - 1), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
							  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	ck_assert(virtio_dev_live(&dev[0]) && dev[0].q[1].ready && dev[0].q[1].num == 16);
	/* QueueNotify in a batch kicks like the trapped write does */
	virtio_dev_kick(&dev[0], 1);
	virtio_dev_kick(&dev[1], 1);
	ck_assert_uint_eq(notified[0], 1);
	ck_assert_uint_eq(notified[1], 1);
	/* a trapped read of the batch register: 0; a narrow write: no batch */
	ck_assert_uint_eq(fake_reg_read(&dev[0], VIRTIO_MMIO_VMM_BATCH), 0);
	uint16_t half = REC;
	virtio_mmio_io(&dev[0], VIRTIO_MMIO_VMM_BATCH, (uint8_t *)&half, 2, true);
	ck_assert_uint_eq(dev[0].batches, 1);
}
END_TEST

START_TEST(batch_done_counts_and_empty_records)
{
	const struct virtio_mmio_batch_op op[] = { { VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE } };

	put(REC, op, 0, 1);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), 0);
	ck_assert_uint_eq(dev[0].status, 0); /* the op past count is not performed */
	ck_assert(!dev[0].failed);
	/* an empty record may end exactly at the end of RAM */
	put(RAM - 8, op, 0, 0);
	send(&dev[0], RAM - 8);
	ck_assert_uint_eq(done_at(RAM - 8), 0);
	ck_assert(!dev[0].failed);
	put(REC, op, 1, 1);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), 1);
	ck_assert_uint_eq(dev[0].status, VIRTIO_STATUS_ACKNOWLEDGE);
}
END_TEST

START_TEST(batch_refuses_too_many_ops)
{
	struct virtio_mmio_batch_op op[VIRTIO_MMIO_BATCH_MAX + 1];

	for (unsigned i = 0; i <= VIRTIO_MMIO_BATCH_MAX; i++)
		op[i] = (struct virtio_mmio_batch_op){ VIRTIO_MMIO_QUEUE_SEL, i + 1 };
	put(REC, op, VIRTIO_MMIO_BATCH_MAX + 1, VIRTIO_MMIO_BATCH_MAX + 1);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), 0);
	ck_assert_uint_eq(dev[0].queue_sel, 0); /* nothing performed */
	ck_assert(needs_reset(&dev[0]));
	/* a huge count: the same, no read past the record */
	fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
	put(REC, op, 0xffffffffu, 1);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), 0);
	ck_assert(needs_reset(&dev[0]));
	/* exactly the most is fine */
	fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
	put(REC, op, VIRTIO_MMIO_BATCH_MAX, VIRTIO_MMIO_BATCH_MAX);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), VIRTIO_MMIO_BATCH_MAX);
	ck_assert_uint_eq(dev[0].queue_sel, VIRTIO_MMIO_BATCH_MAX);
	ck_assert(!dev[0].failed);
}
END_TEST

START_TEST(batch_refuses_records_outside_ram)
{
	const struct virtio_mmio_batch_op op[2] = { { VIRTIO_MMIO_QUEUE_SEL, 1 }, { VIRTIO_MMIO_QUEUE_SEL, 2 } };

	/* the header in RAM, the second op past its end: nothing performed */
	put(RAM - 16, op, 2, 1);
	send(&dev[0], RAM - 16);
	ck_assert_uint_eq(done_at(RAM - 16), 0);
	ck_assert_uint_eq(dev[0].queue_sel, 0);
	ck_assert(needs_reset(&dev[0]));
	/* the header itself not in RAM, unaligned, in the hole: refused */
	const uint32_t bad[] = { RAM - 4, RAM, 0xfffffff8u, REC + 4, REC + 1, 0xd0000000u };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
		put(REC, op, 1, 1);
		send(&dev[0], bad[i]);
		ck_assert_msg(needs_reset(&dev[0]), "record at %#x", bad[i]);
		ck_assert_uint_eq(dev[0].queue_sel, 0);
		ck_assert_uint_eq(done_at(REC), 0xdeadbeef);
	}
	/* the same record wholly in RAM works */
	fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
	put(RAM - 24, op, 2, 2);
	send(&dev[0], RAM - 24);
	ck_assert_uint_eq(done_at(RAM - 24), 2);
	ck_assert_uint_eq(dev[0].queue_sel, 2);
	ck_assert(!dev[0].failed);
}
END_TEST

/* op 1 is bad: op 0 is performed, op 2 not, done is 1 and the device fails. */
static void stops_at(uint32_t bad_reg)
{
	const struct virtio_mmio_batch_op op[3] = {
		{ VIRTIO_MMIO_QUEUE_SEL, 1 }, { bad_reg, 7 }, { VIRTIO_MMIO_QUEUE_SEL, 2 }
	};

	fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
	put(REC, op, 3, 3);
	send(&dev[0], REC);
	ck_assert_msg(done_at(REC) == 1, "reg %#x: done %u", bad_reg, done_at(REC));
	ck_assert_uint_eq(dev[0].queue_sel, 1);
	ck_assert_msg(needs_reset(&dev[0]), "reg %#x", bad_reg);
	ck_assert_uint_eq(value_at(REC, 1), 7); /* not read */
}

START_TEST(batch_stops_at_an_op_not_allowed)
{
	const uint32_t bad[] = {
		VIRTIO_MMIO_STATUS + 1, R(VIRTIO_MMIO_STATUS + 2), VIRTIO_MMIO_CONFIG + 3, /* unaligned */
		0x1000, R(0x1000), 0x40000070, R(0x7ffffffc),                              /* outside the window */
		VIRTIO_MMIO_VMM_BATCH, R(VIRTIO_MMIO_VMM_BATCH),                           /* no nesting */
	};

	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		stops_at(bad[i]);
	/* the batch register inside a batch, pointing at the record itself */
	const struct virtio_mmio_batch_op op[2] = { { VIRTIO_MMIO_QUEUE_SEL, 1 }, { VIRTIO_MMIO_VMM_BATCH, REC } };
	fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
	put(REC, op, 2, 2);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), 1);
	ck_assert_uint_eq(dev[0].batches, sizeof bad / sizeof bad[0] + 1);
	/* the last word of the window is allowed (configuration, zero here) */
	const struct virtio_mmio_batch_op last[1] = { { R(0xffc), 5 } };
	fake_reg_write(&dev[0], VIRTIO_MMIO_STATUS, 0);
	put(REC, last, 1, 1);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), 1);
	ck_assert_uint_eq(value_at(REC, 0), fake_reg_read(&dev[1], 0xffc));
	ck_assert(!dev[0].failed);
}
END_TEST

START_TEST(batch_of_a_failed_queue_sets_needs_reset)
{
	/* the rings overlap: QueueReady fails the device as one by one */
	const struct virtio_mmio_batch_op op[] = {
		{ VIRTIO_MMIO_QUEUE_SEL, 0 },        { VIRTIO_MMIO_QUEUE_NUM, 16 },
		{ VIRTIO_MMIO_QUEUE_DESC_LOW, RINGS }, { VIRTIO_MMIO_QUEUE_DRIVER_LOW, RINGS + 64 },
		{ VIRTIO_MMIO_QUEUE_DEVICE_LOW, RINGS + 0x1000 }, { VIRTIO_MMIO_QUEUE_READY, 1 },
		{ R(VIRTIO_MMIO_STATUS), 0 },
	};
	const unsigned n = sizeof op / sizeof op[0];

	put(REC, op, n, n);
	send(&dev[0], REC);
	ck_assert_uint_eq(done_at(REC), n);
	ck_assert(value_at(REC, n - 1) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert(!dev[0].q[0].ready);
}
END_TEST

Suite *mmio_batch_suite(void)
{
	const TTest *const tests[] = {
		batch_equals_the_accesses_one_by_one, batch_done_counts_and_empty_records, batch_refuses_too_many_ops,
		batch_refuses_records_outside_ram, batch_stops_at_an_op_not_allowed,
		batch_of_a_failed_queue_sets_needs_reset, NULL,
	};

	return one_case_suite("mmio batch", "batch register", 0, setup, teardown, tests);
}
