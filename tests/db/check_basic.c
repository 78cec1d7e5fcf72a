/* blkvfs doing its job: a database on a file-backed disk across reopenings,
 * the file names it accepts, unaligned I/O, lengths on the disk, journal
 * modes, a full disk, locks between connections, flush counts, and what
 * format_if_blank takes for blank. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suite.h"
#include "suites.h"
#include "testdev.h"

#define SEC BLKVFS_SECTOR

/* A fresh formatted file disk of nsectors, attached. */
static void fresh_disk(struct filedev *f, uint64_t nsectors)
{
	filedev_create(f, nsectors);
	ck_assert_int_eq(blkvfs_format_if_blank(&f->ops, &test_hooks), BLKVFS_FORMATTED);
	ck_assert_int_eq(blkvfs_register(&f->ops, &test_hooks), BLKVFS_OK);
}

static void assert_integrity(sqlite3 *db)
{
	char r[256];
	query_text(db, "PRAGMA integrity_check", r, sizeof r);
	ck_assert_str_eq(r, "ok");
}

START_TEST(thousand_rows_survive_reopen)
{
	struct filedev f;
	struct blkvfs_info info;
	sqlite3 *db;
	sqlite3_stmt *st;

	fresh_disk(&f, 16384); /* 8 MiB: 2 MiB journal, 6 MiB database */
	ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
	ck_assert_uint_eq(info.disk_sectors, 16384);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].start, BLKVFS_HDR_SECTORS);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].nsectors, 4096);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_DB].start, BLKVFS_HDR_SECTORS + 4096);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_DB].nsectors, 16384 - 8 - 4096);

	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL)"), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO t(name, v) VALUES(?, ?)", -1, &st, NULL), SQLITE_OK);
	for (int txn = 0; txn < 100; txn++) {
		ck_assert_int_eq(exec(db, "BEGIN"), SQLITE_OK);
		for (int i = 0; i < 10; i++) {
			char name[64];
			int n = txn * 10 + i;
			snprintf(name, sizeof name, "row %d %.*s", n, n % 40, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
			sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_double(st, 2, n * 0.5);
			ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
			sqlite3_reset(st);
		}
		ck_assert_int_eq(exec(db, "COMMIT"), SQLITE_OK);
	}
	sqlite3_finalize(st);
	long long pages = query_int(db, "PRAGMA page_count"), psize = query_int(db, "PRAGMA page_size");
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

	/* What the header says: the database's length, no journal. */
	ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_DB].length, (uint64_t)(pages * psize));
	ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].length, 0);

	/* Boot again: not blank any more, attach, everything there. */
	ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
	ck_assert_int_eq(blkvfs_format_if_blank(&f.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(blkvfs_register(&f.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM t"), 1000);
	ck_assert_int_eq(query_int(db, "SELECT sum(v * 2) FROM t"), 999 * 1000 / 2);
	ck_assert_int_eq(query_int(db, "SELECT length(name) FROM t WHERE id = 40"), 7 + 39);
	assert_integrity(db);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	filedev_destroy(&f);
}
END_TEST

START_TEST(only_two_names_open)
{
	struct filedev f;
	sqlite3 *db;
	sqlite3_vfs *vfs = sqlite3_vfs_find(BLKVFS_NAME);
	int of;

	ck_assert_ptr_nonnull(vfs);
	ck_assert_ptr_eq(sqlite3_vfs_find(NULL), vfs); /* the default */
	/* No disk yet: nothing opens, ":memory:" works. */
	ck_assert_int_eq(open_db(&db), SQLITE_CANTOPEN);
	sqlite3_close(db);
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT 6 * 7"), 42);
	ck_assert_int_eq(query_int(db, "SELECT length(randomblob(10))"), 10);
	sqlite3_close(db);

	fresh_disk(&f, 1024);
	ck_assert_int_eq(sqlite3_open_v2("other.db", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_CANTOPEN);
	sqlite3_close(db);
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TABLE t(x)"), SQLITE_OK);
	/* ATTACH of a file fails; of ":memory:" works; temp tables live in memory. */
	ck_assert_int_ne(exec(db, "ATTACH 'x.db' AS x"), SQLITE_OK);
	ck_assert_int_eq(exec(db, "ATTACH ':memory:' AS m; CREATE TABLE m.u(y); INSERT INTO m.u VALUES(1)"),
			 SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TEMP TABLE tt(z); INSERT INTO tt SELECT * FROM m.u"), SQLITE_OK);
	ck_assert_int_eq(exec(db, "BEGIN; INSERT INTO t VALUES(1); INSERT INTO m.u VALUES(2); COMMIT"), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM t"), 1);
	/* VACUUM goes through a temporary database: in memory (TEMP_STORE=3). */
	ck_assert_int_eq(exec(db, "VACUUM"), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

	/* The VFS directly: the file types must match the names. */
	sqlite3_file *fh = calloc(1, (size_t)vfs->szOsFile);
	ck_assert_int_eq(vfs->xOpen(vfs, BLKVFS_DB_NAME, fh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MAIN_JOURNAL, &of),
			 SQLITE_CANTOPEN);
	ck_assert_ptr_null(fh->pMethods);
	ck_assert_int_eq(vfs->xOpen(vfs, NULL, fh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_TEMP_DB |
					     SQLITE_OPEN_DELETEONCLOSE, &of), SQLITE_CANTOPEN);
	ck_assert_int_eq(vfs->xOpen(vfs, BLKVFS_JOURNAL_NAME, fh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MAIN_JOURNAL |
					     SQLITE_OPEN_DELETEONCLOSE, &of), SQLITE_CANTOPEN);
	ck_assert_int_eq(vfs->xOpen(vfs, "data.db-wal", fh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_WAL, &of),
			 SQLITE_CANTOPEN);
	ck_assert_int_eq(vfs->xDelete(vfs, BLKVFS_DB_NAME, 0), SQLITE_IOERR_DELETE);
	ck_assert_int_eq(vfs->xDelete(vfs, "nothing", 0), SQLITE_IOERR_DELETE_NOENT);
	int res = -1;
	ck_assert_int_eq(vfs->xAccess(vfs, "nothing", SQLITE_ACCESS_EXISTS, &res), SQLITE_OK);
	ck_assert_int_eq(res, 0);
	ck_assert_int_eq(vfs->xAccess(vfs, BLKVFS_JOURNAL_NAME, SQLITE_ACCESS_EXISTS, &res), SQLITE_OK);
	ck_assert_int_eq(res, 0);
	char longname[200];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	char out[65];
	ck_assert_int_eq(vfs->xFullPathname(vfs, longname, (int)sizeof out, out), SQLITE_CANTOPEN);
	free(fh);
	filedev_destroy(&f);
}
END_TEST

/* Random reads and writes at any offset and length on the journal file,
 * against a shadow copy; lengths persist only through xSync/xTruncate. */
START_TEST(unaligned_io_matches_shadow)
{
	struct filedev f;
	sqlite3_vfs *vfs = sqlite3_vfs_find(BLKVFS_NAME);
	struct blkvfs_info info;
	int of;

	fresh_disk(&f, 1024); /* journal: 256 sectors, 128 KiB */
	ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
	const sqlite3_int64 cap = (sqlite3_int64)info.region[BLKVFS_REGION_JOURNAL].nsectors * SEC;
	uint8_t *shadow = calloc(1, (size_t)cap), *buf = malloc((size_t)cap + 1000);
	sqlite3_int64 len = 0;
	uint64_t rng = 7;
	sqlite3_file *fh = calloc(1, (size_t)vfs->szOsFile);

	ck_assert_int_eq(vfs->xOpen(vfs, BLKVFS_JOURNAL_NAME, fh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					     SQLITE_OPEN_MAIN_JOURNAL, &of), SQLITE_OK);
	const sqlite3_io_methods *m = fh->pMethods;
	ck_assert_int_eq(m->xSectorSize(fh), 512);
	ck_assert_int_eq(m->xDeviceCharacteristics(fh), 0);
	for (int i = 0; i < 3000; i++) {
		int op = (int)(test_rand(&rng) % 10);
		sqlite3_int64 off = (sqlite3_int64)(test_rand(&rng) % (uint64_t)(len + 2000));
		int amt = (int)(test_rand(&rng) % (i % 7 == 0 ? 9000 : 600));
		if (op < 5) {
			for (int k = 0; k < amt; k++)
				buf[k] = (uint8_t)test_rand(&rng);
			if (off + amt > cap) {
				ck_assert_int_eq(m->xWrite(fh, buf, amt, off), SQLITE_FULL);
				continue;
			}
			ck_assert_int_eq(m->xWrite(fh, buf, amt, off), SQLITE_OK);
			memcpy(shadow + off, buf, (size_t)amt);
			if (off + amt > len)
				len = off + amt;
		} else if (op < 9) {
			memset(buf, 0xee, (size_t)amt);
			int rc = m->xRead(fh, buf, amt, off);
			sqlite3_int64 have = off >= len ? 0 : (len - off < amt ? len - off : amt);
			ck_assert_int_eq(rc, have < amt ? SQLITE_IOERR_SHORT_READ : SQLITE_OK);
			ck_assert(memcmp(buf, shadow + off, (size_t)have) == 0);
			for (int k = (int)have; k < amt; k++)
				ck_assert_int_eq(buf[k], 0);
		} else if (i % 3 == 0) {
			sqlite3_int64 to = len ? (sqlite3_int64)(test_rand(&rng) % (uint64_t)len) : 0;
			ck_assert_int_eq(m->xTruncate(fh, to), SQLITE_OK);
			len = to;
		} else {
			ck_assert_int_eq(m->xSync(fh, SQLITE_SYNC_NORMAL), SQLITE_OK);
			ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
			ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].length, (uint64_t)len);
		}
		sqlite3_int64 sz;
		ck_assert_int_eq(m->xFileSize(fh, &sz), SQLITE_OK);
		ck_assert_int_eq(sz, len);
	}
	ck_assert_int_eq(m->xWrite(fh, buf, 1, cap), SQLITE_FULL);
	ck_assert_int_eq(m->xWrite(fh, buf, 1, -1), SQLITE_IOERR_WRITE);
	ck_assert_int_eq(m->xRead(fh, buf, 1, -1), SQLITE_IOERR_READ);
	ck_assert_int_eq(m->xTruncate(fh, cap + 1), SQLITE_FULL);
	if (len < 1000) {
		memset(buf, 0x5a, 1000);
		ck_assert_int_eq(m->xWrite(fh, buf, 1000, 0), SQLITE_OK);
		memcpy(shadow, buf, 1000);
		len = 1000;
	}
	ck_assert_int_eq(m->xSync(fh, SQLITE_SYNC_FULL), SQLITE_OK);
	/* Shrinking is durable at once. */
	ck_assert_int_eq(m->xTruncate(fh, len - 1), SQLITE_OK);
	len--;
	ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].length, (uint64_t)len);
	/* Busy while open. */
	ck_assert_int_eq(blkvfs_register(&f.ops, &test_hooks), BLKVFS_E_BUSY);
	ck_assert_int_eq(blkvfs_detach(), BLKVFS_E_BUSY);
	ck_assert_int_eq(m->xClose(fh), SQLITE_OK);

	/* Reattach: the persisted length and the bytes. */
	ck_assert_int_eq(blkvfs_register(&f.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(vfs->xOpen(vfs, BLKVFS_JOURNAL_NAME, fh, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_JOURNAL, &of),
			 SQLITE_OK);
	sqlite3_int64 sz;
	ck_assert_int_eq(fh->pMethods->xFileSize(fh, &sz), SQLITE_OK);
	ck_assert_int_eq(sz, len);
	ck_assert_int_eq(fh->pMethods->xRead(fh, buf, (int)len, 0), SQLITE_OK);
	ck_assert(memcmp(buf, shadow, (size_t)len) == 0);
	/* xDelete: length 0, durably; xAccess follows. */
	int res;
	ck_assert_int_eq(vfs->xAccess(vfs, BLKVFS_JOURNAL_NAME, SQLITE_ACCESS_EXISTS, &res), SQLITE_OK);
	ck_assert_int_eq(res, len > 0);
	ck_assert_int_eq(fh->pMethods->xClose(fh), SQLITE_OK);
	ck_assert_int_eq(vfs->xDelete(vfs, BLKVFS_JOURNAL_NAME, 0), SQLITE_OK);
	ck_assert_int_eq(vfs->xAccess(vfs, BLKVFS_JOURNAL_NAME, SQLITE_ACCESS_EXISTS, &res), SQLITE_OK);
	ck_assert_int_eq(res, 0);
	ck_assert_int_eq(blkvfs_check(&f.ops, &info), BLKVFS_OK);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].length, 0);
	free(fh);
	free(shadow);
	free(buf);
	filedev_destroy(&f);
}
END_TEST

/* Reads and writes larger than one device call (BLKVFS_MAX_IO sectors),
 * unaligned at both ends, on the database file. */
START_TEST(large_io)
{
	struct memdev m;
	sqlite3_vfs *vfs = sqlite3_vfs_find(BLKVFS_NAME);
	const int len = 300000;
	uint8_t *buf = malloc((size_t)len), *back = malloc((size_t)len);
	uint64_t rng = 3;
	int of;

	memdev_init(&m, 2048);
	ck_assert_int_eq(blkvfs_format(&m.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_OK);
	sqlite3_file *fh = calloc(1, (size_t)vfs->szOsFile);
	ck_assert_int_eq(vfs->xOpen(vfs, BLKVFS_DB_NAME, fh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MAIN_DB, &of), SQLITE_OK);
	for (int i = 0; i < len; i++)
		buf[i] = (uint8_t)test_rand(&rng);
	long w = m.writes;
	ck_assert_int_eq(fh->pMethods->xWrite(fh, buf, len, 1000), SQLITE_OK);
	ck_assert_int_ge(m.writes - w, 1 + (len / SEC) / BLKVFS_MAX_IO + 1);
	ck_assert_int_eq(fh->pMethods->xRead(fh, back, len, 1000), SQLITE_OK);
	ck_assert(memcmp(buf, back, (size_t)len) == 0);
	ck_assert_int_eq(fh->pMethods->xRead(fh, back, 1000, 0), SQLITE_OK); /* the hole before: stale, here zeros */
	ck_assert_int_eq(fh->pMethods->xSync(fh, 0), SQLITE_OK);
	ck_assert_int_eq(fh->pMethods->xClose(fh), SQLITE_OK);
	struct blkvfs_info info;
	ck_assert_int_eq(blkvfs_check(&m.ops, &info), BLKVFS_OK);
	ck_assert_uint_eq(info.region[BLKVFS_REGION_DB].length, (uint64_t)len + 1000);
	/* where it landed: the database region, byte for byte */
	ck_assert(memcmp(m.img + info.region[BLKVFS_REGION_DB].start * SEC + 1000, buf, (size_t)len) == 0);
	free(fh);
	free(buf);
	free(back);
	memdev_free(&m);
}
END_TEST

/* Each header write goes to the other slot with the next sequence number;
 * a damaged newest slot leaves the previous one in charge. */
START_TEST(header_slots_alternate)
{
	struct filedev f;
	struct blkvfs_info a, b;
	sqlite3 *db;
	uint8_t hdr[2 * SEC];

	fresh_disk(&f, 2048);
	ck_assert_int_eq(blkvfs_get_info(&a), BLKVFS_OK);
	ck_assert_int_eq(a.slot, 0);
	ck_assert_uint_eq(a.seq, 1);
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"), SQLITE_OK);
	ck_assert_int_eq(blkvfs_get_info(&b), BLKVFS_OK);
	ck_assert_uint_gt(b.seq, a.seq);
	ck_assert_int_eq(b.slot, (int)(b.seq % 2 == 0));
	ck_assert(memcmp(a.id, b.id, 16) == 0);
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(2)"), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(blkvfs_get_info(&b), BLKVFS_OK);
	ck_assert_uint_eq(b.region[BLKVFS_REGION_JOURNAL].length, 0);

	/* Damage the current slot: the other one (the header before the last
	 * write: the second transaction's journal still "hot") takes over, and
	 * SQLite rolls that transaction back. */
	ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
	ck_assert(pread(f.fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr);
	hdr[b.slot * SEC + 100] ^= 1;
	ck_assert(pwrite(f.fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr);
	ck_assert_int_eq(blkvfs_register(&f.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(blkvfs_get_info(&a), BLKVFS_OK);
	ck_assert_int_eq(a.slot, !b.slot);
	ck_assert_uint_eq(a.seq, b.seq - 1);
	ck_assert_uint_gt(a.region[BLKVFS_REGION_JOURNAL].length, 0);
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT sum(x) FROM t"), 1);
	assert_integrity(db);
	/* The rollback was written through the healthy slot; later writes
	 * repair the damaged one. */
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(5)"), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
	ck_assert(pread(f.fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr);
	ck_assert_int_eq(blkvfs_parse_header(hdr, f.ops.nsectors, &a), BLKVFS_OK);
	for (int s = 0; s < 2; s++) /* both slots valid again */
		ck_assert_uint_eq(blkvfs_crc32(hdr + s * SEC, BLKVFS_OFF_CRC),
				  (uint32_t)hdr[s * SEC + BLKVFS_OFF_CRC] | (uint32_t)hdr[s * SEC + BLKVFS_OFF_CRC + 1] << 8 |
					  (uint32_t)hdr[s * SEC + BLKVFS_OFF_CRC + 2] << 16 |
					  (uint32_t)hdr[s * SEC + BLKVFS_OFF_CRC + 3] << 24);
	filedev_destroy(&f);
}
END_TEST

/* DELETE (the default), TRUNCATE and PERSIST all work; the length on the
 * disk says whether a journal exists. */
START_TEST(journal_modes)
{
	static const char *const modes[] = { "delete", "truncate", "persist" };
	for (int i = 0; i < 3; i++) {
		struct filedev f;
		struct blkvfs_info info;
		sqlite3 *db;
		char sql[64], r[32];

		fresh_disk(&f, 2048);
		ck_assert_int_eq(open_db(&db), SQLITE_OK);
		snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", modes[i]);
		query_text(db, sql, r, sizeof r);
		ck_assert_str_eq(r, modes[i]);
		ck_assert_int_eq(exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(randomblob(3000))"), SQLITE_OK);
		ck_assert_int_eq(exec(db, "BEGIN; UPDATE t SET x = randomblob(3000); COMMIT"), SQLITE_OK);
		ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
		if (i < 2)
			ck_assert_uint_eq(info.region[BLKVFS_REGION_JOURNAL].length, 0);
		else
			ck_assert_uint_gt(info.region[BLKVFS_REGION_JOURNAL].length, 0);
		/* A rollback leaves nothing behind either. */
		ck_assert_int_eq(exec(db, "BEGIN; DELETE FROM t; ROLLBACK"), SQLITE_OK);
		ck_assert_int_eq(query_int(db, "SELECT count(*) FROM t"), 1);
		ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
		ck_assert_int_eq(blkvfs_register(&f.ops, &test_hooks), BLKVFS_OK);
		ck_assert_int_eq(open_db(&db), SQLITE_OK);
		ck_assert_int_eq(query_int(db, "SELECT length(x) FROM t"), 3000);
		assert_integrity(db);
		ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
		filedev_destroy(&f);
	}
}
END_TEST

/* A transaction larger than the database region or the journal region
 * fails with SQLITE_FULL; what was committed before stays. */
START_TEST(full_disk)
{
	struct filedev f;
	sqlite3 *db;
	int rc = SQLITE_OK, n = 0;

	fresh_disk(&f, 512); /* 256 KiB: 64 KiB journal, 188 KiB database */
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TABLE t(x)"), SQLITE_OK);
	while (rc == SQLITE_OK && n < 1000) {
		rc = exec(db, "INSERT INTO t VALUES(randomblob(1000))");
		n += rc == SQLITE_OK;
	}
	ck_assert_int_eq(rc, SQLITE_FULL);
	ck_assert_int_gt(n, 100);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM t"), n);
	/* A transaction whose journal outgrows the journal region. */
	rc = exec(db, "UPDATE t SET x = randomblob(1000)");
	ck_assert_int_eq(rc, SQLITE_FULL);
	ck_assert_int_eq(exec(db, "DELETE FROM t WHERE rowid = 1"), SQLITE_OK);
	n--;
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(blkvfs_register(&f.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM t"), n);
	assert_integrity(db);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	filedev_destroy(&f);
}
END_TEST

/* Two connections of this process: SQLite's locking through ours. */
START_TEST(two_connections_lock)
{
	struct filedev f;
	sqlite3 *a, *b;

	fresh_disk(&f, 2048);
	ck_assert_int_eq(open_db(&a), SQLITE_OK);
	ck_assert_int_eq(open_db(&b), SQLITE_OK);
	ck_assert_int_eq(exec(a, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"), SQLITE_OK);
	ck_assert_int_eq(query_int(b, "SELECT count(*) FROM t"), 1);
	ck_assert_int_eq(exec(a, "BEGIN IMMEDIATE; INSERT INTO t VALUES(2)"), SQLITE_OK);
	ck_assert_int_eq(exec(b, "INSERT INTO t VALUES(3)"), SQLITE_BUSY);
	ck_assert_int_eq(query_int(b, "SELECT count(*) FROM t"), 1); /* a reader meanwhile */
	ck_assert_int_eq(exec(a, "COMMIT"), SQLITE_OK);
	ck_assert_int_eq(exec(b, "INSERT INTO t VALUES(3)"), SQLITE_OK);
	/* A reader holding SHARED keeps the writer from committing. */
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(b, "SELECT x FROM t", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(exec(a, "INSERT INTO t VALUES(4)"), SQLITE_BUSY);
	sqlite3_finalize(st);
	ck_assert_int_eq(exec(a, "INSERT INTO t VALUES(4)"), SQLITE_OK);
	ck_assert_int_eq(query_int(b, "SELECT sum(x) FROM t"), 10);
	ck_assert_int_eq(sqlite3_close(a), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(b), SQLITE_OK);
	filedev_destroy(&f);
}
END_TEST

/* What durability costs: flushes per committed transaction. */
START_TEST(flushes_per_commit)
{
	static const struct {
		const char *jmode, *sync;
		long same, grow;
	} cfg[] = {
		/* journal sync (flush, header, flush), its record count and a
		 * flush, database sync (flush), commit point (header, flush): 5;
		 * +1 when the database grew (its new length: header, flush) */
		{ "delete", "full", 5, 6 },
		{ "truncate", "full", 5, 6 },
		/* the journal keeps its length: no header at its first sync, and
		 * the commit point is a write (zeros) and a flush */
		{ "persist", "full", 4, 5 },
		/* no flush before the record count */
		{ "delete", "normal", 4, 5 },
	};
	for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
		struct filedev f;
		sqlite3 *db;
		char sql[96];

		fresh_disk(&f, 4096);
		ck_assert_int_eq(open_db(&db), SQLITE_OK);
		snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s; PRAGMA synchronous=%s", cfg[i].jmode, cfg[i].sync);
		ck_assert_int_eq(exec(db, sql), SQLITE_OK);
		ck_assert_int_eq(exec(db, "CREATE TABLE t(x); CREATE TABLE s(y); INSERT INTO s VALUES(0)"), SQLITE_OK);
		ck_assert_int_eq(exec(db, "UPDATE s SET y = y + 1"), SQLITE_OK); /* the journal at its size */
		long before = f.flushes;
		ck_assert_int_eq(exec(db, "UPDATE s SET y = y + 1"), SQLITE_OK); /* the database keeps its size */
		long same = f.flushes - before;
		before = f.flushes;
		ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(zeroblob(10000))"), SQLITE_OK); /* grows */
		long grow = f.flushes - before;
		fprintf(stderr, "blkvfs: journal_mode=%s synchronous=%s: %ld flushes per commit, %ld when the database grows\n",
			cfg[i].jmode, cfg[i].sync, same, grow);
		ck_assert_int_eq(same, cfg[i].same);
		ck_assert_int_eq(grow, cfg[i].grow);
		ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
		filedev_destroy(&f);
	}
}
END_TEST

/* format_if_blank formats zeros only: anything in the first MiB or the
 * last 64 KiB makes the disk "not blank", left alone, and foreign. */
START_TEST(blank_means_blank)
{
	static const uint64_t marks[] = { 2,          /* ext2/3/4 superblock at 1 KiB */
					  128,        /* btrfs at 64 KiB */
					  64,         /* ISO 9660 at 32 KiB */
					  2047,       /* last sector of the first MiB */
					  8192 - 1,   /* GPT's backup header: the last sector */
					  8192 - 128 }; /* ZFS labels: the end */
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		struct memdev m;
		memdev_init(&m, 8192);
		m.img[marks[i] * SEC + 56] = 0x53;
		ck_assert_int_eq(blkvfs_format_if_blank(&m.ops, &test_hooks), BLKVFS_OK);
		ck_assert_int_eq(m.writes, 0);
		ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_E_FOREIGN);
		memdev_free(&m);
	}
	/* Data only between the first MiB and the last 64 KiB: taken for blank. */
	struct memdev m;
	memdev_init(&m, 8192);
	m.img[4096 * SEC] = 1;
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_E_BLANK);
	ck_assert_int_eq(blkvfs_format_if_blank(&m.ops, &test_hooks), BLKVFS_FORMATTED);
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_OK);
	memdev_free(&m);
}
END_TEST

/* Device errors come back as SQLite I/O errors, and leave the disk as it
 * was or as it would be after the call. */
START_TEST(device_errors)
{
	struct memdev m;
	sqlite3 *db;

	memdev_init(&m, 2048);
	m.fail_flush_at = 1;
	ck_assert_int_eq(blkvfs_format(&m.ops, &test_hooks), BLKVFS_E_IO);
	m.fail_read_at = m.reads + 1;
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_E_IO);
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_OK); /* the format's write was there */
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"), SQLITE_OK);
	m.fail_flush_at = m.flushes + 1;
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(2)") & 0xff, SQLITE_IOERR);
	m.fail_write_at = m.writes + 2;
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(3)") & 0xff, SQLITE_IOERR);
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES(4)"), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT sum(x) FROM t"), 5);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(blkvfs_register(&m.ops, &test_hooks), BLKVFS_OK);
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT sum(x) FROM t"), 5);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	memdev_free(&m);
}
END_TEST

Suite *basic_suite(void)
{
	const TTest *const tests[] = { thousand_rows_survive_reopen, only_two_names_open,
					      unaligned_io_matches_shadow, large_io, header_slots_alternate,
					      journal_modes, full_disk, two_connections_lock,
					      flushes_per_commit, blank_means_blank, device_errors, NULL };
	return one_case_suite("db_basic", "basic", 60, NULL, NULL, tests);
}
