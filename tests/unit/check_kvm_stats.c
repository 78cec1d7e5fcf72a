/* The KVM binary-statistics parser, on stats files built here: the layout
 * Linux writes (header, id, descriptors with names, data) and damaged ones. */
#include <check.h>
#include <linux/kvm.h>
#include <string.h>

#include "check_suite.h"
#include "kvm/kvm_stats.h"
#include "unit/suites.h"

#define NAME_SIZE 48
#define DESC_SIZE (sizeof(struct kvm_stats_desc) + NAME_SIZE)

struct image {
	uint8_t b[4096];
	size_t len;
	struct kvm_stats_header h;
};

/* An image with descriptors for names[i] -> values[i] (all cumulative u64),
 * laid out as Linux does: header, id string, descriptors, data. */
static void build(struct image *im, const char *const *names, const uint64_t *values, unsigned n)
{
	memset(im, 0, sizeof *im);
	im->h.name_size = NAME_SIZE;
	im->h.num_desc = n;
	im->h.id_offset = sizeof im->h;
	im->h.desc_offset = im->h.id_offset + NAME_SIZE;
	im->h.data_offset = im->h.desc_offset + (uint32_t)(DESC_SIZE * n);
	for (unsigned i = 0; i < n; i++) {
		struct kvm_stats_desc d = { .flags = KVM_STATS_TYPE_CUMULATIVE, .size = 1, .offset = 8 * i };
		uint8_t *p = im->b + im->h.desc_offset + DESC_SIZE * i;

		memcpy(p, &d, sizeof d);
		strcpy((char *)p + sizeof d, names[i]);
		memcpy(im->b + im->h.data_offset + 8 * i, &values[i], 8);
	}
	strcpy((char *)im->b + im->h.id_offset, "kvm-1234/vcpu-0");
	im->len = im->h.data_offset + 8u * n;
	memcpy(im->b, &im->h, sizeof im->h);
}

static void rewrite_header(struct image *im) { memcpy(im->b, &im->h, sizeof im->h); }

static const char *const names[] = { "halt_exits", "exits", "pf_fixed", "io_exits", "irq_window_exits" };
static const uint64_t values[] = { 7, 1234, 99, 0, 11 };

START_TEST(counters_read_and_formatted)
{
	struct image im;
	struct kvm_stats st;
	struct err e;
	char line[256];

	build(&im, names, values, 5);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), 0);
	ck_assert_uint_eq(st.n, 5);
	ck_assert_uint_eq(kvm_stats_get(&st, "exits"), 1234);
	ck_assert_uint_eq(kvm_stats_get(&st, "pf_fixed"), 99);
	ck_assert_uint_eq(kvm_stats_get(&st, "no_such"), 0);
	kvm_stats_format_exits(&st, line, sizeof line);
	/* exits first; then non-zero exit counters in file order; zero and
	 * unrelated ones (io_exits = 0, pf_fixed) left out */
	ck_assert_str_eq(line, "exits=1234 halt_exits=7 irq_window_exits=11");
	ck_assert_uint_eq(kvm_stats_format_exits(&st, line, 8), 7);
	ck_assert_str_eq(line, "exits=1");
}
END_TEST

START_TEST(histograms_and_gauges_skipped)
{
	struct image im;
	struct kvm_stats st;
	struct err e;
	struct kvm_stats_desc d;

	build(&im, names, values, 5);
	memcpy(&d, im.b + im.h.desc_offset, sizeof d); /* halt_exits becomes a gauge */
	d.flags = KVM_STATS_TYPE_INSTANT;
	memcpy(im.b + im.h.desc_offset, &d, sizeof d);
	memcpy(&d, im.b + im.h.desc_offset + DESC_SIZE, sizeof d); /* exits: a 0-value array */
	d.size = 0;
	memcpy(im.b + im.h.desc_offset + DESC_SIZE, &d, sizeof d);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), 0);
	ck_assert_uint_eq(st.n, 3);
	ck_assert_uint_eq(kvm_stats_get(&st, "halt_exits"), 0);
	ck_assert_uint_eq(kvm_stats_get(&st, "pf_fixed"), 99);
}
END_TEST

START_TEST(damaged_files_refused)
{
	struct image im;
	struct kvm_stats st;
	struct err e;
	struct kvm_stats_desc d;

	build(&im, names, values, 5);
	ck_assert_int_eq(kvm_stats_parse(im.b, sizeof im.h - 1, &st, &e), -1);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len - 1, &st, &e), -1); /* last value cut */
	ck_assert_ptr_nonnull(strstr(e.msg, "irq_window_exits"));

	build(&im, names, values, 5);
	im.h.num_desc = 0x10000000; /* descriptors far past the end */
	rewrite_header(&im);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), -1);

	build(&im, names, values, 5);
	im.h.name_size = 0;
	rewrite_header(&im);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), -1);

	build(&im, names, values, 5);
	im.h.data_offset = 0xffffffffu;
	rewrite_header(&im);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), -1);

	build(&im, names, values, 5);
	memcpy(&d, im.b + im.h.desc_offset, sizeof d);
	d.offset = 0xfffffff8u; /* value offset wrapping past the data block */
	memcpy(im.b + im.h.desc_offset, &d, sizeof d);
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), -1);

	build(&im, names, values, 5);
	memset(im.b + im.h.desc_offset + sizeof d, 'x', NAME_SIZE); /* no NUL in the name */
	ck_assert_int_eq(kvm_stats_parse(im.b, im.len, &st, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "unterminated"));
}
END_TEST

Suite *kvm_stats_suite(void)
{
	const TTest *const tests[] = {
		counters_read_and_formatted, histograms_and_gauges_skipped, damaged_files_refused, NULL,
	};

	return one_case_suite("kvm_stats", "parse", 0, NULL, NULL, tests);
}
