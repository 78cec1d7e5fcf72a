/* Split virtqueue checks that need no guest: ring placement and the
 * available-index rules a hostile driver could bend. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_suite.h"
#include "unit/suites.h"
#include "virtio/virtq.h"

#define RAM (4u << 20) /* MEM_MIN */

static struct guest_mem mem;

static void setup(void)
{
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, RAM, &e), 0);
}

static void teardown(void) { guest_mem_free(&mem); }

static struct virtq queue(uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq q = { .num = 16, .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };

	return q;
}

START_TEST(separate_rings_accepted)
{
	struct virtq q = queue(0x1000, 0x2000, 0x3000);

	ck_assert_int_eq(virtq_validate(&q, &mem, NULL), 0);
	q = queue(0x1000, 0x1100, 0x1200); /* packed back to back, as Linux lays them out */
	ck_assert_int_eq(virtq_validate(&q, &mem, NULL), 0);
}
END_TEST

START_TEST(overlapping_rings_refused)
{
	struct err e;
	/* used over avail: each completion would bump the available index */
	struct virtq q = queue(0x1000, 0x2000, 0x2000 - 8);

	ck_assert_int_lt(virtq_validate(&q, &mem, &e), 0);
	ck_assert_str_eq(e.msg, "queue rings overlap");
	q = queue(0x1000, 0x2000, 0x1000 + 16 * 15); /* used over the last descriptor */
	ck_assert_int_lt(virtq_validate(&q, &mem, NULL), 0);
	q = queue(0x1000, 0x1000 + 16 * 16 - 2, 0x3000); /* avail over the last descriptor */
	ck_assert_int_lt(virtq_validate(&q, &mem, NULL), 0);
}
END_TEST

START_TEST(bad_sizes_and_addresses_refused)
{
	struct virtq q = queue(0x1000, 0x2000, 0x3000);

	q.num = 12;
	ck_assert_int_lt(virtq_validate(&q, &mem, NULL), 0);
	q = queue(0x1008, 0x2000, 0x3000);
	ck_assert_int_lt(virtq_validate(&q, &mem, NULL), 0);
	q = queue(0x1000, 0x2000, RAM - 8);
	ck_assert_int_lt(virtq_validate(&q, &mem, NULL), 0);
}
END_TEST

START_TEST(index_jump_refused)
{
	struct vq_chain *c = calloc(1, sizeof *c);
	struct virtq q = queue(0x1000, 0x2000, 0x3000);
	uint16_t idx = 17; /* 17 new entries on a queue of 16 */
	struct err e;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(virtq_validate(&q, &mem, NULL), 0);
	q.ready = true;
	memcpy(mem.host + 0x2002, &idx, 2);
	ck_assert_int_lt(virtq_pop(&q, &mem, c, &e), 0);
	free(c);
}
END_TEST

Suite *virtq_suite(void)
{
	const TTest *const tests[] = {
		separate_rings_accepted, overlapping_rings_refused, bad_sizes_and_addresses_refused,
		index_jump_refused, NULL,
	};

	return one_case_suite("virtq", "rings", 0, setup, teardown, tests);
}
