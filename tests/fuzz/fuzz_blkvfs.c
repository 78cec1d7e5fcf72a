/* The "vmm-blk" SQLite VFS (guest/db) against arbitrary data disks: the
 * input is a disk image; the harness boots it as the kernel will
 * (format_if_blank, register) and, when the header is accepted, opens the
 * database and runs a few statements. Must never crash or hang, and:
 *   - every device access lies inside the device, every write in a header
 *     slot or inside a region of the accepted header (the block mapping);
 *   - a refused disk is never written (after format_if_blank);
 *   - after the statements, the disk is still accepted.
 *
 * Input: byte 0 controls, the rest is the image from sector 0 (at most
 * 64 KiB; the rest of the disk reads as zeros):
 *   bit 0, 1: recompute the CRC of header slot 0, 1 (a fuzzer cannot);
 *   bits 2-3: capacity: 512 sectors (the minimum), 1024, 600, or the
 *             input's own length (often too small);
 *   bit 4:    journal_mode=PERSIST instead of DELETE;
 *   bit 5:    the device fails its Nth write or flush, N = byte 1.
 * The seeds in tests/fuzz/corpus/blkvfs come from BLKVFS_WRITE_SEEDS=DIR
 * (see write_seeds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/blkvfs.h"
#include "db/le_bytes.h"
#include "sqlite3.h"

#define SEC      BLKVFS_SECTOR
#define MAX_IMG  (64u << 10)
#define MAX_DISK 1024u

static uint8_t disk[MAX_DISK * SEC];
static struct {
	uint64_t nsectors;
	long ops, fail_at, writes;
	int have_regions;
	struct blkvfs_info info;
} D;

static void check_range(uint64_t sector, uint32_t n)
{
	if (n < 1 || n > BLKVFS_MAX_IO || sector > D.nsectors || n > D.nsectors - sector)
		abort();
}

static int dev_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	(void)ctx;
	check_range(sector, n);
	memcpy(buf, disk + sector * SEC, (size_t)n * SEC);
	return 0;
}

static int dev_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	(void)ctx;
	check_range(sector, n);
	if (D.have_regions) {
		int ok = sector + n <= 2; /* the header slots */
		for (int i = 0; i < BLKVFS_NREGIONS && !ok; i++) {
			const struct blkvfs_region_info *r = &D.info.region[i];
			ok = sector >= r->start && sector + n <= r->start + r->nsectors;
		}
		if (!ok)
			abort();
	}
	if (++D.ops == D.fail_at)
		return -1;
	D.writes++;
	memcpy(disk + sector * SEC, buf, (size_t)n * SEC);
	return 0;
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	return ++D.ops == D.fail_at ? -1 : 0;
}

static uint64_t rng;
static void hook_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(rng >> 56);
	}
}

static int64_t hook_now(void)
{
	return 1700000000000ll;
}

static const struct blkvfs_hooks hooks = { hook_random, hook_now };

static int progress(void *ctx)
{
	return ++*(long *)ctx > 2000; /* x 1000 VM instructions */
}

static void fix_crc(uint8_t *slot)
{
	le_put32(slot + BLKVFS_OFF_CRC, blkvfs_crc32(slot, BLKVFS_OFF_CRC));
}

static void init(void)
{
	static _Alignas(16) unsigned char heap[16 << 20];
	static int done;
	if (done)
		return;
	if (sqlite3_config(SQLITE_CONFIG_HEAP, heap, (int)sizeof heap, 64) != SQLITE_OK ||
	    sqlite3_initialize() != SQLITE_OK)
		abort();
	done = 1;
}

static void run_sql(sqlite3 *db, const char *sql)
{
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void write_seeds(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	init();
	const char *seeds = getenv("BLKVFS_WRITE_SEEDS");
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t caps[4] = { BLKVFS_MIN_SECTORS, 1024, 600, 0 };
	struct blkdev_ops ops = { dev_read, dev_write, dev_flush, 0, NULL };
	uint8_t ctl;
	sqlite3 *db = NULL;
	long steps = 0;
	int rc;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++, size--;
	memset(&D, 0, sizeof D);
	if (ctl & 0x20 && size) {
		D.fail_at = data[0] + 1;
		data++, size--;
	}
	if (size > MAX_IMG)
		size = MAX_IMG;
	D.nsectors = caps[(ctl >> 2) & 3];
	if (!D.nsectors)
		D.nsectors = (size + SEC - 1) / SEC;
	memset(disk, 0, sizeof disk);
	memcpy(disk, data, size);
	for (int s = 0; s < 2; s++)
		if (ctl & (1 << s))
			fix_crc(disk + s * SEC);
	ops.nsectors = D.nsectors;
	rng = size;

	init();
	rc = blkvfs_format_if_blank(&ops, &hooks);
	if (rc < 0 && rc != BLKVFS_E_IO && rc != BLKVFS_E_SMALL)
		abort();
	long writes = D.writes;
	rc = blkvfs_register(&ops, &hooks);
	if (D.writes != writes)
		abort(); /* register only reads */
	if (rc != BLKVFS_OK) {
		if (rc > 0 || rc < BLKVFS_E_SHRUNK)
			abort();
		if (sqlite3_open_v2(BLKVFS_DB_NAME, &db, SQLITE_OPEN_READWRITE, BLKVFS_NAME) != SQLITE_CANTOPEN)
			abort();
		sqlite3_close(db);
		return 0;
	}
	if (blkvfs_get_info(&D.info) != BLKVFS_OK)
		abort();
	D.have_regions = 1;

	if (sqlite3_open_v2(BLKVFS_DB_NAME, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, BLKVFS_NAME) == SQLITE_OK) {
		sqlite3_progress_handler(db, 1000, progress, &steps);
		sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
		sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
		run_sql(db, ctl & 0x10 ? "PRAGMA journal_mode=persist" : "PRAGMA journal_mode=delete");
		run_sql(db, "SELECT count(*) FROM sqlite_master");
		run_sql(db, "PRAGMA integrity_check(20)");
		run_sql(db, "CREATE TABLE IF NOT EXISTS f(x); INSERT INTO f VALUES(randomblob(700))");
		run_sql(db, "BEGIN; UPDATE f SET x = randomblob(900) WHERE rowid % 2 = 1; INSERT INTO f SELECT x FROM f "
			    "LIMIT 3; COMMIT");
		run_sql(db, "SELECT count(*), sum(length(x)) FROM f");
	}
	if (sqlite3_close(db) != SQLITE_OK)
		abort();
	if (blkvfs_detach() != BLKVFS_OK)
		abort();
	D.have_regions = 0;

	/* Whatever happened, the disk is still ours. */
	D.fail_at = 0;
	if (blkvfs_check(&ops, NULL) != BLKVFS_OK)
		abort();
	return 0;
}

/* ---- seeds ----
 * blank.bin: an empty disk (the harness formats it).
 * small-db.bin: a formatted minimum disk whose header puts the journal at
 *   sectors 8..39 and the database from 40 on, so that the first 64 KiB
 *   (the input) hold a real database: one table, an index, a few rows.
 * hot-journal.bin: the same, cut off in the middle of a commit (the
 *   database partly written, the journal hot).
 * foreign.bin: a blank disk but for an ext4-like superblock. */
static void save(const char *dir, const char *name, uint8_t ctl, uint64_t nsectors)
{
	char path[512];
	size_t len = (size_t)nsectors * SEC;
	if (len > MAX_IMG)
		len = MAX_IMG;
	while (len && !disk[len - 1])
		len--;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&ctl, 1, 1, f) != 1 || fwrite(disk, 1, len, f) != len || fclose(f))
		abort();
	fprintf(stderr, "wrote %s (%zu bytes)\n", path, len + 1);
}

static long flushes, snap_at; /* copy the disk at this flush */
static uint8_t snap[BLKVFS_MIN_SECTORS * SEC];
static int seed_flush(void *ctx)
{
	(void)ctx;
	if (++flushes == snap_at)
		memcpy(snap, disk, sizeof snap);
	return 0;
}

static void write_seeds(const char *dir)
{
	struct blkdev_ops ops = { dev_read, dev_write, seed_flush, BLKVFS_MIN_SECTORS, NULL };
	sqlite3 *db;

	memset(&D, 0, sizeof D);
	D.nsectors = BLKVFS_MIN_SECTORS;
	memset(disk, 0, sizeof disk);
	save(dir, "blank.bin", 0, 0);

	disk[2 * SEC + 0x38] = 0x53, disk[2 * SEC + 0x39] = 0xef; /* ext4's magic */
	save(dir, "foreign.bin", 0, 3);
	memset(disk, 0, sizeof disk);

	if (blkvfs_format(&ops, &hooks) != BLKVFS_OK)
		abort();
	for (int s = 0; s < 2; s++) {
		uint8_t *b = disk + s * SEC;
		uint8_t *j = b + BLKVFS_OFF_REGIONS + BLKVFS_REGION_JOURNAL * BLKVFS_REGION_SIZE;
		uint8_t *d = b + BLKVFS_OFF_REGIONS + BLKVFS_REGION_DB * BLKVFS_REGION_SIZE;
		le_put64(j, 8), le_put64(j + 8, 32);
		le_put64(d, 40), le_put64(d + 8, BLKVFS_MIN_SECTORS - 40);
		fix_crc(b);
	}
	if (blkvfs_register(&ops, &hooks) != BLKVFS_OK ||
	    sqlite3_open_v2(BLKVFS_DB_NAME, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, BLKVFS_NAME) != SQLITE_OK)
		abort();
	run_sql(db, "PRAGMA page_size=1024; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v BLOB);"
		    "CREATE INDEX t_name ON t(name);"
		    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40) "
		    "INSERT INTO t SELECT i, 'name ' || i, randomblob(i * 20) FROM c");
	save(dir, "small-db.bin", 0, BLKVFS_MIN_SECTORS);
	/* The commit's flushes: journal (2), its record count (1), database
	 * (1): the copy at the database's flush has a hot journal. */
	flushes = 0;
	snap_at = 4;
	run_sql(db, "UPDATE t SET v = randomblob(30), name = 'x' || name WHERE id % 3 = 0");
	sqlite3_close(db);
	blkvfs_detach();
	memcpy(disk, snap, sizeof snap);
	struct blkvfs_info info;
	if (blkvfs_parse_header(disk, BLKVFS_MIN_SECTORS, &info) != BLKVFS_OK ||
	    info.region[BLKVFS_REGION_JOURNAL].length == 0)
		abort(); /* no hot journal in the copy */
	save(dir, "hot-journal.bin", 0, BLKVFS_MIN_SECTORS);
}
