/* Boot self-tests that the integration tests ask for on the command line
 * (README.md, "Command line"): site.stacktest=1 proves the ring-3 stack's
 * size and guard, site.blktest=1 the data disk's writes, flushes and reads. */
#include "kernel.h"

#include "blk.h"
#include "layout.h"

/* Each level holds 1 KiB of stack and recurses while its frame lies above
 * floor (0: without end); returns the lowest address reached. */
static __attribute__((noinline)) uintptr_t dig(uintptr_t floor)
{
	volatile uint8_t pad[1024];

	pad[0] = 1;
	pad[sizeof pad - 1] = 2;
	uintptr_t here = (uintptr_t)&pad[0];
	uintptr_t low = here > floor + 2 * sizeof pad ? dig(floor) : here;
	return low + pad[0] + pad[sizeof pad - 1] - 3; /* used after the call: no tail call */
}

void stack_selftest(void)
{
	uintptr_t low = dig(USTACK_BOTTOM + 4096);

	kprintf("site: stack test: %lu KiB of the %u KiB ring-3 stack used, now overflowing it on purpose\n",
		(uint64_t)(USTACK_TOP - low) >> 10, USTACK_SIZE >> 10);
	console_flush();
	dig(0); /* faults in the guard: trap_fatal says "stack overflow", exit 3 */
	panic(EXIT_SELFTEST, "stack test: the ring-3 stack overflowed without a fault");
}

#define TEST_SECTORS 8

/* What sector s holds after the test: bytes the host test recomputes. */
static void pattern(uint8_t *p, uint64_t s, unsigned n)
{
	for (unsigned k = 0; k < n; k++, s++)
		for (unsigned i = 0; i < BLK_SECTOR; i++)
			p[k * BLK_SECTOR + i] = (uint8_t)(s * 31 + i * 7 + 1);
}

static void must(int err, const char *what, uint64_t sector)
{
	if (err != BLK_OK)
		panic(EXIT_SELFTEST, "site.blktest: %s at sector %lu failed: %s", what, sector, blk_strerror(err));
}

void blk_selftest(void)
{
	struct blk_dev *d = blk_data_disk();

	if (!d) {
		kputs("site: site.blktest: no data disk (a second virtio-blk device)\n");
		return;
	}
	uint64_t n = d->sectors;
	if (n < 2 * TEST_SECTORS)
		panic(EXIT_SELFTEST, "site.blktest: the data disk has %lu sectors, fewer than %u", n, 2 * TEST_SECTORS);
	uint8_t *w = kalloc(TEST_SECTORS * BLK_SECTOR), *r = kalloc(TEST_SECTORS * BLK_SECTOR);
	const uint64_t at[2] = { 0, n - TEST_SECTORS };

	if (d->readonly) {
		uint64_t writes = st.blk_writes;
		pattern(w, 0, TEST_SECTORS);
		int err = blk_write_sync(d, 0, w, TEST_SECTORS);
		if (err != BLK_EREADONLY || st.blk_writes != writes)
			panic(EXIT_SELFTEST, "site.blktest: a write to the read-only data disk gave \"%s\"%s", blk_strerror(err),
			      st.blk_writes != writes ? " and reached the device" : "");
		must(blk_read_sync(d, 0, r, TEST_SECTORS), "read", 0);
		kprintf("site: data disk: %lu sectors, read-only: write refused by the driver (not sent), read ok\n", n);
		return;
	}

	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < 2; i++) {
		pattern(w, at[i], TEST_SECTORS);
		must(blk_write_sync(d, at[i], w, TEST_SECTORS), "write", at[i]);
	}
	uint64_t t1 = now_ns();
	must(blk_flush_sync(d), "flush", 0);
	uint64_t t2 = now_ns();
	for (unsigned i = 0; i < 2; i++) {
		memset(r, 0, TEST_SECTORS * BLK_SECTOR);
		must(blk_read_sync(d, at[i], r, TEST_SECTORS), "read", at[i]);
		pattern(w, at[i], TEST_SECTORS);
		if (memcmp(r, w, TEST_SECTORS * BLK_SECTOR))
			panic(EXIT_SELFTEST, "site.blktest: sectors %lu-%lu read back differ from what was written", at[i],
			      at[i] + TEST_SECTORS - 1);
	}
	uint64_t t3 = now_ns();
	/* Into a stack buffer at an odd address: descriptors need no alignment. */
	uint8_t sb[BLK_SECTOR + 1];
	must(blk_read_sync(d, n - 1, sb + 1, 1), "read", n - 1);
	pattern(w, n - 1, 1);
	if (memcmp(sb + 1, w, BLK_SECTOR))
		panic(EXIT_SELFTEST, "site.blktest: the last sector read into the stack differs");
	/* Outside the disk: refused without a request. */
	uint64_t reqs = st.blk_reads + st.blk_writes;
	if (blk_write_sync(d, n, w, 1) != BLK_ERANGE || blk_read_sync(d, n - 1, r, 2) != BLK_ERANGE ||
	    blk_read_sync(d, 0, r, 0) != BLK_ERANGE || st.blk_reads + st.blk_writes != reqs)
		panic(EXIT_SELFTEST, "site.blktest: requests outside the data disk were not refused");
	kprintf("site: data disk: %lu sectors, write/flush/read ok\n", n);
	kprintf("site: site.blktest: 2 writes of %u sectors %lu us, flush %lu us, 2 reads %lu us\n", TEST_SECTORS,
		(t1 - t0) / 1000, (t2 - t1) / 1000, (t3 - t2) / 1000);
}
