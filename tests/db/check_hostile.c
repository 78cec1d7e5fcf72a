/* Hostile and broken disks: each way a header can be wrong gives its own
 * error from blkvfs_register (and nothing is attached), never a crash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suite.h"
#include "db/le_bytes.h"
#include "suites.h"
#include "testdev.h"

#define SEC   BLKVFS_SECTOR
#define NSECT 4096u


static void fix_crc(uint8_t *slot)
{
	le_put32(slot + BLKVFS_OFF_CRC, blkvfs_crc32(slot, BLKVFS_OFF_CRC));
}

static uint8_t *region_field(uint8_t *slot, int region, int field)
{
	return slot + BLKVFS_OFF_REGIONS + region * BLKVFS_REGION_SIZE + field * 8;
}

/* A formatted memory disk of NSECT sectors. */
static void formatted(struct memdev *m)
{
	memdev_init(m, NSECT);
	ck_assert_int_eq(blkvfs_format(&m->ops, &test_hooks), BLKVFS_OK);
}

/* Registers m, expecting rc; then nothing must be attached unless OK. */
static void expect(struct memdev *m, int rc)
{
	sqlite3 *db;

	ck_assert_int_eq(blkvfs_register(&m->ops, &test_hooks), rc);
	ck_assert_int_eq(blkvfs_check(&m->ops, NULL), rc);
	ck_assert_str_ne(blkvfs_strerror(rc), "unknown error");
	if (rc != BLKVFS_OK) {
		ck_assert_int_eq(open_db(&db), SQLITE_CANTOPEN);
		sqlite3_close(db);
		struct blkvfs_info info;
		ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_E_INVAL);
	}
}

/* Both slots edited the same way (the newest would otherwise win or lose
 * on its own), CRCs fixed unless told not to. */
typedef void (*edit_fn)(uint8_t *slot);
static void both(struct memdev *m, edit_fn edit, int crc)
{
	for (int s = 0; s < 2; s++) {
		edit(m->img + s * SEC);
		if (crc)
			fix_crc(m->img + s * SEC);
	}
}

static void e_magic(uint8_t *b) { b[3] = 'X'; }
static void e_byte(uint8_t *b) { b[0x40] ^= 0x80; }
static void e_version(uint8_t *b) { le_put32(b + BLKVFS_OFF_VERSION, 2); }
static void e_flags(uint8_t *b) { le_put32(b + BLKVFS_OFF_FLAGS, 1); }
static void e_nregions(uint8_t *b) { le_put32(b + BLKVFS_OFF_NREGIONS, 3); }
static void e_secsize(uint8_t *b) { le_put32(b + BLKVFS_OFF_SECSIZE, 4096); }
static void e_start_in_header(uint8_t *b) { le_put64(region_field(b, BLKVFS_REGION_JOURNAL, 0), 1); }
static void e_past_end(uint8_t *b) { le_put64(region_field(b, BLKVFS_REGION_DB, 1), NSECT); }
static void e_wrap(uint8_t *b)
{
	le_put64(region_field(b, BLKVFS_REGION_DB, 0), ~0ull - 1);
	le_put64(region_field(b, BLKVFS_REGION_DB, 1), 4);
}
static void e_empty_region(uint8_t *b) { le_put64(region_field(b, BLKVFS_REGION_JOURNAL, 1), 0); }
static void e_overlap(uint8_t *b)
{
	/* journal 8..1031 grown by one sector into the database's first */
	uint8_t *n = region_field(b, BLKVFS_REGION_JOURNAL, 1);
	le_put64(n, 1025);
}
static void e_same_region(uint8_t *b)
{
	memcpy(region_field(b, BLKVFS_REGION_JOURNAL, 0), region_field(b, BLKVFS_REGION_DB, 0), 16);
}
static void e_db_length(uint8_t *b)
{
	uint64_t n = 0;
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)region_field(b, BLKVFS_REGION_DB, 1)[i] << (8 * i);
	le_put64(region_field(b, BLKVFS_REGION_DB, 2), n * SEC + 1);
}
static void e_journal_huge(uint8_t *b) { le_put64(region_field(b, BLKVFS_REGION_JOURNAL, 2), 1ull << 63); }
static void e_disk_bigger(uint8_t *b) { le_put64(b + BLKVFS_OFF_DISK, NSECT + 1); }
static void e_disk_absurd(uint8_t *b) { le_put64(b + BLKVFS_OFF_DISK, ~0ull); }
static void e_disk_tiny(uint8_t *b) { le_put64(b + BLKVFS_OFF_DISK, BLKVFS_MIN_SECTORS - 1); }

static const struct {
	const char *what;
	edit_fn edit;
	int crc, rc;
} cases[] = {
	{ "wrong magic, CRC right", e_magic, 1, BLKVFS_E_FOREIGN },
	{ "a flipped bit, CRC stale", e_byte, 0, BLKVFS_E_CRC },
	{ "version 2", e_version, 1, BLKVFS_E_VERSION },
	{ "unknown flags", e_flags, 1, BLKVFS_E_VERSION },
	{ "three regions", e_nregions, 1, BLKVFS_E_LAYOUT },
	{ "4 KiB sectors", e_secsize, 1, BLKVFS_E_LAYOUT },
	{ "region inside the header", e_start_in_header, 1, BLKVFS_E_LAYOUT },
	{ "region past the end", e_past_end, 1, BLKVFS_E_LAYOUT },
	{ "region wrapping around 2^64", e_wrap, 1, BLKVFS_E_LAYOUT },
	{ "empty region", e_empty_region, 1, BLKVFS_E_LAYOUT },
	{ "overlapping regions", e_overlap, 1, BLKVFS_E_LAYOUT },
	{ "both regions the same", e_same_region, 1, BLKVFS_E_LAYOUT },
	{ "database length past its region", e_db_length, 1, BLKVFS_E_LENGTH },
	{ "journal length 2^63", e_journal_huge, 1, BLKVFS_E_LENGTH },
	{ "disk larger than the device", e_disk_bigger, 1, BLKVFS_E_SHRUNK },
	{ "disk of 2^64 sectors", e_disk_absurd, 1, BLKVFS_E_LAYOUT },
	{ "disk under the minimum", e_disk_tiny, 1, BLKVFS_E_LAYOUT },
};

START_TEST(bad_headers)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct memdev m;
		formatted(&m);
		both(&m, cases[i].edit, cases[i].crc);
		int rc = blkvfs_register(&m.ops, &test_hooks);
		ck_assert_msg(rc == cases[i].rc, "%s: %d (%s), expected %d", cases[i].what, rc, blkvfs_strerror(rc),
			      cases[i].rc);
		expect(&m, cases[i].rc);
		/* format_if_blank leaves every one of them alone. */
		long w = m.writes;
		ck_assert_int_eq(blkvfs_format_if_blank(&m.ops, &test_hooks), BLKVFS_OK);
		ck_assert_int_eq(m.writes, w);
		memdev_free(&m);
	}
}
END_TEST

/* Only the newest slot broken: a torn header write. The other serves. But
 * a newest slot that passes its CRC yet says nonsense is an error, not a
 * reason to fall back. */
START_TEST(one_slot)
{
	struct memdev m;

	formatted(&m); /* slot 0: seq 1, slot 1: seq 0 */
	e_byte(m.img);
	expect(&m, BLKVFS_OK);
	struct blkvfs_info info;
	ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
	ck_assert_int_eq(info.slot, 1);
	memdev_free(&m);

	formatted(&m);
	e_db_length(m.img);
	fix_crc(m.img);
	expect(&m, BLKVFS_E_LENGTH);
	memdev_free(&m);

	/* Slots of two different disks. */
	formatted(&m);
	m.img[SEC + BLKVFS_OFF_ID] ^= 1;
	fix_crc(m.img + SEC);
	expect(&m, BLKVFS_E_LAYOUT);
	memdev_free(&m);

	/* Our magic in one slot only, CRC broken; the other slot foreign. */
	formatted(&m);
	e_byte(m.img);
	memset(m.img + SEC, 0x41, SEC);
	expect(&m, BLKVFS_E_CRC);
	memdev_free(&m);
}
END_TEST

START_TEST(sizes_and_devices)
{
	struct memdev m;

	/* No sectors, a few, one short of the minimum. */
	static const uint64_t small[] = { 0, 1, 2, BLKVFS_MIN_SECTORS - 1 };
	for (size_t i = 0; i < 4; i++) {
		memdev_init(&m, small[i]);
		ck_assert_int_eq(blkvfs_format_if_blank(&m.ops, &test_hooks), BLKVFS_E_SMALL);
		ck_assert_int_eq(blkvfs_format(&m.ops, &test_hooks), BLKVFS_E_SMALL);
		expect(&m, BLKVFS_E_SMALL);
		ck_assert_int_eq(m.reads + m.writes + m.flushes, 0);
		memdev_free(&m);
	}
	/* The minimum works, if only for a small database. */
	memdev_init(&m, BLKVFS_MIN_SECTORS);
	ck_assert_int_eq(blkvfs_format_if_blank(&m.ops, &test_hooks), BLKVFS_FORMATTED);
	expect(&m, BLKVFS_OK);
	sqlite3 *db;
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES('tiny')"), SQLITE_OK);
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(zeroblob(300000))"), SQLITE_FULL);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM t"), 1);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	memdev_free(&m);

	/* Blank, and foreign. */
	memdev_init(&m, NSECT);
	expect(&m, BLKVFS_E_BLANK);
	for (size_t i = 0; i < NSECT * SEC; i++)
		m.img[i] = (uint8_t)(i * 2654435761u >> 13);
	expect(&m, BLKVFS_E_FOREIGN);
	memdev_free(&m);

	/* A disk grown after formatting is fine (the tail is unused). */
	formatted(&m);
	uint8_t *img = m.img;
	struct memdev big;
	memdev_init(&big, 2 * NSECT);
	memcpy(big.img, img, NSECT * SEC);
	expect(&big, BLKVFS_OK);
	memdev_free(&big);
	memdev_free(&m);

	/* Bad devices, and a failing one. */
	struct blkdev_ops ops = { 0 };
	ck_assert_int_eq(blkvfs_register(NULL, NULL), BLKVFS_E_INVAL);
	ck_assert_int_eq(blkvfs_register(&ops, NULL), BLKVFS_E_INVAL);
	ck_assert_int_eq(blkvfs_format(&ops, NULL), BLKVFS_E_INVAL);
	ck_assert_int_eq(blkvfs_format_if_blank(NULL, NULL), BLKVFS_E_INVAL);
	formatted(&m);
	m.fail_read_at = m.reads + 1;
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_E_IO);
	sqlite3 *db2;
	ck_assert_int_eq(open_db(&db2), SQLITE_CANTOPEN);
	sqlite3_close(db2);
	memdev_free(&m);
	memdev_init(&m, NSECT);
	m.fail_read_at = 3; /* in the blank check */
	ck_assert_int_eq(blkvfs_format_if_blank(&m.ops, &test_hooks), BLKVFS_E_IO);
	memdev_free(&m);
}
END_TEST

/* Random damage to a valid header, with and without a fixed CRC: always
 * one of the documented results; when OK, the regions are sane. */
START_TEST(random_header_damage)
{
	struct memdev m;
	uint64_t rng = 99;
	int seen[16] = { 0 };

	formatted(&m);
	uint8_t good[2 * SEC];
	memcpy(good, m.img, sizeof good);
	for (int i = 0; i < 20000; i++) {
		uint8_t hdr[2 * SEC];
		memcpy(hdr, good, sizeof hdr);
		int flips = 1 + (int)(test_rand(&rng) % 4);
		for (int k = 0; k < flips; k++) {
			size_t at = test_rand(&rng) % (i % 2 ? 0x80 : sizeof hdr);
			hdr[at + (i % 2 ? (test_rand(&rng) & 1) * SEC : 0)] = (uint8_t)test_rand(&rng);
		}
		if (i % 3)
			fix_crc(hdr);
		if (i % 5 == 0)
			fix_crc(hdr + SEC);
		struct blkvfs_info info;
		int rc = blkvfs_parse_header(hdr, NSECT, &info);
		ck_assert(rc <= 0 && rc >= BLKVFS_E_SHRUNK);
		seen[-rc]++;
		if (rc == BLKVFS_OK) {
			for (int r = 0; r < BLKVFS_NREGIONS; r++) {
				ck_assert_uint_ge(info.region[r].start, BLKVFS_HDR_SECTORS);
				ck_assert_uint_le(info.region[r].start + info.region[r].nsectors, NSECT);
				ck_assert_uint_le(info.region[r].length, info.region[r].nsectors * SEC);
			}
		}
	}
	static const int want[] = { BLKVFS_OK, BLKVFS_E_CRC, BLKVFS_E_VERSION, BLKVFS_E_LAYOUT, BLKVFS_E_LENGTH,
				    BLKVFS_E_SHRUNK };
	for (size_t c = 0; c < sizeof want / sizeof want[0]; c++)
		ck_assert_msg(seen[-want[c]] > 0, "result %d never seen", want[c]);
	memdev_free(&m);
}
END_TEST

/* A valid header over hostile contents: SQLite reports corruption, the
 * VFS keeps every access inside the regions (memdev asserts it). */
START_TEST(garbage_database)
{
	struct memdev m;
	sqlite3 *db;
	struct blkvfs_info info;
	char r[256];

	for (int variant = 0; variant < 3; variant++) {
		formatted(&m);
		ck_assert_int_eq(blkvfs_check(&m.ops, &info), BLKVFS_OK);
		for (int s = 0; s < 2; s++) {
			uint8_t *b = m.img + s * SEC;
			le_put64(region_field(b, BLKVFS_REGION_DB, 2), info.region[BLKVFS_REGION_DB].nsectors * SEC - variant);
			if (variant == 2)
				le_put64(region_field(b, BLKVFS_REGION_JOURNAL, 2), 4096);
			fix_crc(b);
		}
		uint64_t rng = (uint64_t)variant + 5;
		for (uint64_t i = BLKVFS_HDR_SECTORS * SEC; i < (uint64_t)NSECT * SEC; i++)
			m.img[i] = (uint8_t)test_rand(&rng);
		if (variant == 2) /* something like a journal header */
			memcpy(m.img + info.region[BLKVFS_REGION_JOURNAL].start * SEC,
			       "\xd9\xd5\x05\xf9\x20\xa1\x63\xd7\xff\xff\xff\xff", 12);
		expect(&m, BLKVFS_OK);
		ck_assert_int_eq(open_db(&db), SQLITE_OK);
		int rc = exec(db, "SELECT count(*) FROM sqlite_master");
		ck_assert_msg(rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT, "rc %d", rc);
		query_text(db, "PRAGMA integrity_check", r, sizeof r);
		ck_assert_str_ne(r, "ok");
		ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
		memdev_free(&m);
	}
}
END_TEST

Suite *hostile_suite(void)
{
	const TTest *const tests[] = { bad_headers, one_slot, sizes_and_devices, random_header_damage,
					      garbage_database, NULL };
	return one_case_suite("db_hostile", "hostile", 60, NULL, NULL, tests);
}
