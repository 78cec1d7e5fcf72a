/* Crash consistency: a workload of transactions runs over the crash
 * simulator (testdev.h), which "loses power" at its K-th write or flush,
 * for every K from the first to past the last, in each crash model and
 * journal mode. The disk as it was left is then written to a file and
 * booted as the kernel would (format_if_blank, register, open) through the
 * file device: the header must be valid, integrity_check "ok", and the
 * database exactly the state after some number n of transactions, where n
 * is the number of COMMITs that returned SQLITE_OK, or one more when the
 * crash came during a COMMIT. Every row is compared with a model. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suite.h"
#include "suites.h"
#include "testdev.h"

#define SEC     BLKVFS_SECTOR
/* ck_assert_msg reports every pass to the runner; this only a failure. */
#define CHECK(c, ...)                         \
	do {                                  \
		if (!(c))                     \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)
#define NSECT   2048u /* 1 MiB: 256 KiB journal, 764 KiB database */
#define NTX     10    /* transactions after the one creating the schema */

/* ---- the workload and its model ----
 * Transaction k (1..NTX) inserts cnt(k) rows (ids base(k)...), rewrites the
 * rows of transaction k-2 whose id is a multiple of 3 (ver = k, a new
 * payload), deletes the rows of transaction k-1 whose id is a multiple of
 * 5, and sets meta.n = k. Payloads run from 0 to ~3.7 KB on 1 KiB pages
 * (overflow chains), with a 10-page cache so that transactions spill to
 * the database before their commit. */
static int cnt(int k)
{
	return 5 + (k * 7) % 23;
}

static int base(int k)
{
	int b = 1;
	for (int j = 1; j < k; j++)
		b += cnt(j);
	return b;
}

static int payload(int id, int ver, uint8_t *buf)
{
	int len = (id * 131 + ver * 7) % 1200 + (id % 11 == 0 ? 2500 : 0);
	uint64_t s = (uint64_t)id * 1000003u + (uint64_t)ver;
	for (int i = 0; i < len; i++)
		buf[i] = (uint8_t)test_rand(&s);
	return len;
}

struct outcome {
	int last_ok;   /* the last transaction whose COMMIT returned OK; -1: not even the schema */
	int in_commit; /* the crash came inside a COMMIT (of last_ok + 1) */
	int failed_at; /* the step that failed first (for messages) */
};

static int step_sql(sqlite3 *db, const char *sql, int id, int ver)
{
	static uint8_t buf[4096];
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	if (ver >= 0) {
		int len = payload(id, ver, buf);
		sqlite3_bind_int(st, 1, ver);
		sqlite3_bind_blob(st, 2, buf, len, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, id);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int commit(sqlite3 *db, struct outcome *o)
{
	o->in_commit = 1;
	int rc = exec(db, "COMMIT");
	if (rc == SQLITE_OK)
		o->in_commit = 0;
	return rc;
}

/* Boots dev the way the kernel will and runs the workload until the first
 * error (the crash) or the end. */
static void workload(const struct blkdev_ops *dev, const char *jmode, const char *sync, struct outcome *o)
{
	sqlite3 *db = NULL;
	char sql[256];
	int rc;

	memset(o, 0, sizeof *o);
	o->last_ok = -1;
	if (blkvfs_format_if_blank(dev, &test_hooks) < 0 || blkvfs_register(dev, &test_hooks) != BLKVFS_OK)
		return;
	if (open_db(&db) != SQLITE_OK)
		goto out;
	snprintf(sql, sizeof sql, "PRAGMA page_size=1024; PRAGMA cache_size=10; PRAGMA journal_mode=%s; "
		 "PRAGMA synchronous=%s", jmode, sync);
	if (exec(db, sql) != SQLITE_OK)
		goto out;
	o->failed_at = 1;
	if (exec(db, "BEGIN; CREATE TABLE t(id INTEGER PRIMARY KEY, ver INT, payload BLOB);"
		     "CREATE INDEX t_ver ON t(ver); CREATE TABLE meta(n INT); INSERT INTO meta VALUES(0)") != SQLITE_OK ||
	    commit(db, o) != SQLITE_OK)
		goto out;
	o->last_ok = 0;
	for (int k = 1; k <= NTX; k++) {
		o->failed_at = 100 * k;
		rc = exec(db, "BEGIN");
		for (int id = base(k); rc == SQLITE_OK && id < base(k) + cnt(k); id++)
			rc = step_sql(db, "INSERT INTO t(ver, payload, id) VALUES(?1, ?2, ?3)", id, k);
		if (k > 2)
			for (int id = base(k - 2); rc == SQLITE_OK && id < base(k - 2) + cnt(k - 2); id++)
				if (id % 3 == 0)
					rc = step_sql(db, "UPDATE t SET ver = ?1, payload = ?2 WHERE id = ?3", id, k);
		if (k > 1 && rc == SQLITE_OK) {
			snprintf(sql, sizeof sql, "DELETE FROM t WHERE id BETWEEN %d AND %d AND id %% 5 = 0", base(k - 1),
				 base(k - 1) + cnt(k - 1) - 1);
			rc = exec(db, sql);
		}
		if (rc == SQLITE_OK) {
			snprintf(sql, sizeof sql, "UPDATE meta SET n = %d", k);
			rc = exec(db, sql);
		}
		o->failed_at++;
		if (rc != SQLITE_OK || commit(db, o) != SQLITE_OK)
			goto out;
		o->last_ok = k;
	}
	o->failed_at = 0;
out:
	if (db)
		ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
}

/* The database must be exactly the model after n transactions. */
static void check_rows(sqlite3 *db, int n, const char *ctx)
{
	static uint8_t want[4096];
	sqlite3_stmt *st;
	int k = 1, id = 1;

	CHECK(sqlite3_prepare_v2(db, "SELECT id, ver, payload FROM t ORDER BY id", -1, &st, NULL) == SQLITE_OK, "%s: prepare", ctx);
	for (;;) {
		/* the next id the model has */
		int ver = -1;
		while (k <= n) {
			if (id >= base(k) + cnt(k)) {
				k++;
				continue;
			}
			if (id % 5 == 0 && k + 1 <= n) {
				id++;
				continue;
			}
			ver = id % 3 == 0 && k + 2 <= n ? k + 2 : k;
			break;
		}
		int rc = sqlite3_step(st);
		if (ver < 0) {
			CHECK(rc == SQLITE_DONE, "%s: n=%d: extra row id %d", ctx, n,
				      rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -rc);
			break;
		}
		CHECK(rc == SQLITE_ROW, "%s: n=%d: row %d missing (%d)", ctx, n, id, rc);
		CHECK(sqlite3_column_int(st, 0) == id, "%s: n=%d: row %d where %d was expected", ctx, n,
			      sqlite3_column_int(st, 0), id);
		CHECK(sqlite3_column_int(st, 1) == ver, "%s: n=%d: row %d has ver %d, not %d", ctx, n, id,
			      sqlite3_column_int(st, 1), ver);
		int len = payload(id, ver, want);
		CHECK(sqlite3_column_bytes(st, 2) == len &&
				      (len == 0 || memcmp(sqlite3_column_blob(st, 2), want, (size_t)len) == 0),
			      "%s: n=%d: row %d has the wrong payload", ctx, n, id);
		id++;
	}
	sqlite3_finalize(st);
}

static long journals_at_boot; /* crashed disks with a journal (length > 0) */

/* Boots the crashed disk from a file, checks it, and writes to it again. */
static int verify(const uint8_t *img, const struct outcome *o, const char *ctx)
{
	struct filedev f;
	sqlite3 *db;
	char r[256];
	int n;

	filedev_create_from(&f, img, NSECT);
	int rc = blkvfs_format_if_blank(&f.ops, &test_hooks);
	CHECK(rc >= 0, "%s: format_if_blank: %s", ctx, blkvfs_strerror(rc));
	rc = blkvfs_register(&f.ops, &test_hooks);
	CHECK(rc == BLKVFS_OK, "%s: register: %s", ctx, blkvfs_strerror(rc));
	struct blkvfs_info info;
	ck_assert_int_eq(blkvfs_get_info(&info), BLKVFS_OK);
	journals_at_boot += info.region[BLKVFS_REGION_JOURNAL].length > 0;
	ck_assert_int_eq(open_db(&db), SQLITE_OK);
	query_text(db, "PRAGMA integrity_check", r, sizeof r);
	CHECK(strcmp(r, "ok") == 0, "%s: integrity_check: %s", ctx, r);
	if (query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'") == 1) {
		n = (int)query_int(db, "SELECT n FROM meta");
		CHECK(n >= 0, "%s: no meta row", ctx);
	} else {
		CHECK(query_int(db, "SELECT count(*) FROM sqlite_master") == 0, "%s: a partial schema", ctx);
		n = -1;
	}
	CHECK(n == o->last_ok || (o->in_commit && n == o->last_ok + 1),
		      "%s: %d transactions on the disk; %d had committed%s", ctx, n, o->last_ok,
		      o->in_commit ? ", one more was committing" : "");
	if (n >= 0)
		check_rows(db, n, ctx);
	/* And it takes writes again. */
	ck_assert_int_eq(exec(db, "CREATE TABLE IF NOT EXISTS z(x); INSERT INTO z VALUES(randomblob(2000))"), SQLITE_OK);
	query_text(db, "PRAGMA integrity_check", r, sizeof r);
	CHECK(strcmp(r, "ok") == 0, "%s: integrity_check after a write: %s", ctx, r);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
	filedev_destroy(&f);
	return n;
}

static const char *const model_names[] = { "lose", "keep", "random" };

/* Every crash point of the workload in journal mode jmode, in each crash
 * model, or (one_model) in one model per point, taking turns. */
static void crash_points(const char *jmode, const char *sync, int one_model)
{
	struct crashdev c;
	struct outcome o;
	long total, tried = 0;
	int hist[NTX + 3] = { 0 };

	journals_at_boot = 0;
	crashdev_init(&c, NSECT);
	crashdev_reset(&c, NULL, CRASH_KEEP, 0, 0);
	test_seed = 1;
	workload(&c.ops, jmode, sync, &o);
	ck_assert_int_eq(o.last_ok, NTX);
	ck_assert_int_eq(o.failed_at, 0);
	total = c.ops_done;
	if (getenv("BLKVFS_CRASH_ALL")) /* every model at every point everywhere */
		one_model = 0;
	for (long k = 1; k <= total + 1; k++) {
		for (int mode = 0; mode < CRASH_NMODES; mode++) {
			if (one_model && k % CRASH_NMODES != mode)
				continue;
			char ctx[128];
			snprintf(ctx, sizeof ctx, "journal_mode=%s synchronous=%s crash at op %ld/%ld (%s)", jmode, sync, k,
				 total, model_names[mode]);
			crashdev_reset(&c, NULL, mode, k, (uint64_t)k * 7 + (uint64_t)mode);
			test_seed = (uint64_t)k + 1;
			workload(&c.ops, jmode, sync, &o);
			ck_assert_msg(k > total || c.crashed, "%s: no crash", ctx);
			int n = verify(c.durable, &o, ctx);
			hist[n + 1]++;
			tried++;
		}
	}
	fprintf(stderr, "blkvfs crash: journal_mode=%s synchronous=%s: %ld writes+flushes, %ld crashes tried, "
			"%ld left a journal; transactions found after recovery:",
		jmode, sync, total, tried, journals_at_boot);
	for (int n = -1; n <= NTX; n++)
		if (hist[n + 1])
			fprintf(stderr, " %d:%d", n, hist[n + 1]);
	fprintf(stderr, "\n");
	crashdev_free(&c);
}

/* A crash while recovering from a crash: the hot journal's rollback is cut
 * short at each of its writes and flushes in turn, then the disk boots
 * again. Crash points of the workload with a hot journal, every step-th. */
static void crash_in_recovery(int step)
{
	struct crashdev c, r;
	struct outcome o;
	long total, tried = 0, hot = 0;

	crashdev_init(&c, NSECT);
	crashdev_init(&r, NSECT);
	crashdev_reset(&c, NULL, CRASH_KEEP, 0, 0);
	workload(&c.ops, "delete", "full", &o);
	total = c.ops_done;
	for (long k = 1; k <= total; k += step) {
		int mode = (int)(k % CRASH_NMODES);
		crashdev_reset(&c, NULL, mode, k, (uint64_t)k);
		test_seed = (uint64_t)k + 1;
		workload(&c.ops, "delete", "full", &o);
		/* How much writing the recovery does (none: no hot journal). */
		crashdev_reset(&r, c.durable, CRASH_KEEP, 0, 0);
		ck_assert_int_ge(blkvfs_format_if_blank(&r.ops, &test_hooks), 0);
		ck_assert_int_eq(blkvfs_register(&r.ops, &test_hooks), BLKVFS_OK);
		sqlite3 *db;
		char res[64];
		ck_assert_int_eq(open_db(&db), SQLITE_OK);
		query_text(db, "SELECT count(*) FROM sqlite_master", res, sizeof res);
		ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
		ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
		long rops = r.ops_done;
		if (rops == 0)
			continue;
		hot++;
		for (long j = 1; j <= rops; j++) {
			char ctx[128];
			int rmode = (int)((k + j) % CRASH_NMODES);
			snprintf(ctx, sizeof ctx, "crash at op %ld (%s), then at op %ld/%ld of the recovery (%s)", k,
				 model_names[mode], j, rops, model_names[rmode]);
			crashdev_reset(&r, c.durable, rmode, j, (uint64_t)(k * 1000 + j));
			if (blkvfs_format_if_blank(&r.ops, &test_hooks) >= 0 &&
			    blkvfs_register(&r.ops, &test_hooks) == BLKVFS_OK) {
				if (open_db(&db) == SQLITE_OK)
					query_text(db, "SELECT count(*) FROM sqlite_master", res, sizeof res);
				ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
				ck_assert_int_eq(blkvfs_detach(), BLKVFS_OK);
			}
			CHECK(r.crashed, "%s: no crash", ctx);
			verify(r.durable, &o, ctx);
			tried++;
		}
	}
	fprintf(stderr, "blkvfs crash: %ld crash points with a hot journal, %ld crashes during their recovery tried\n",
		hot, tried);
	ck_assert_int_gt(hot, 10);
	crashdev_free(&c);
	crashdev_free(&r);
}

START_TEST(crash_during_recovery)
{
	crash_in_recovery(getenv("BLKVFS_CRASH_ALL") ? 1 : 5);
}
END_TEST

/* The kernel's configuration (the defaults), in depth. */
START_TEST(crash_delete_full)
{
	crash_points("delete", "full", 0);
}
END_TEST

START_TEST(crash_truncate_full)
{
	crash_points("truncate", "full", 1);
}
END_TEST

START_TEST(crash_persist_full)
{
	crash_points("persist", "full", 1);
}
END_TEST

/* One flush fewer per commit: safe here too (README.md). */
START_TEST(crash_delete_normal)
{
	crash_points("delete", "normal", 1);
}
END_TEST

Suite *crash_suite(void)
{
	const TTest *const tests[] = { crash_delete_full, crash_truncate_full, crash_persist_full,
				       crash_delete_normal, crash_during_recovery, NULL };
	return one_case_suite("db_crash", "crash", 300, NULL, NULL, tests);
}
