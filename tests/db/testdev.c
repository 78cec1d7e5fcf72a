/* Test block devices and SQLite helpers (testdev.h). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdev.h"

#define SEC BLKVFS_SECTOR

/* ck_assert reports every pass to the runner (a write to a pipe): too dear
 * for every I/O of the crash runs. This one only speaks on failure. */
#define DEV_ASSERT(c)                                                            \
	do {                                                                     \
		if (!(c))                                                        \
			ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c); \
	} while (0)

/* ---- file ---- */

static int file_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	struct filedev *f = ctx;
	ssize_t r = pread(f->fd, buf, (size_t)n * SEC, (off_t)(sector * SEC));
	return r == (ssize_t)((size_t)n * SEC) ? 0 : -1;
}

static int file_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	struct filedev *f = ctx;
	ssize_t r = pwrite(f->fd, buf, (size_t)n * SEC, (off_t)(sector * SEC));
	return r == (ssize_t)((size_t)n * SEC) ? 0 : -1;
}

static int file_flush(void *ctx)
{
	struct filedev *f = ctx;
	f->flushes++;
	return fdatasync(f->fd);
}

void filedev_create(struct filedev *f, uint64_t nsectors)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	memset(f, 0, sizeof *f);
	snprintf(f->path, sizeof f->path, "%s/blkvfs-test-XXXXXX", dir);
	f->fd = mkstemp(f->path);
	ck_assert_msg(f->fd >= 0, "mkstemp %s: %s", f->path, strerror(errno));
	ck_assert_int_eq(ftruncate(f->fd, (off_t)(nsectors * SEC)), 0);
	f->ops = (struct blkdev_ops){ .read = file_read, .write = file_write, .flush = file_flush,
				      .nsectors = nsectors, .ctx = f };
}

void filedev_create_from(struct filedev *f, const uint8_t *img, uint64_t nsectors)
{
	filedev_create(f, nsectors);
	size_t len = (size_t)(nsectors * SEC);
	size_t done = 0;
	while (done < len) {
		ssize_t r = pwrite(f->fd, img + done, len - done, (off_t)done);
		ck_assert(r > 0);
		done += (size_t)r;
	}
}

void filedev_read_all(struct filedev *f, uint8_t *img)
{
	size_t len = (size_t)(f->ops.nsectors * SEC);
	ck_assert(pread(f->fd, img, len, 0) == (ssize_t)len);
}

void filedev_destroy(struct filedev *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->path);
	}
	f->fd = -1;
}

/* ---- memory ---- */

static int mem_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	struct memdev *m = ctx;
	DEV_ASSERT(n >= 1 && n <= BLKVFS_MAX_IO && sector + n <= m->ops.nsectors);
	if (++m->reads == m->fail_read_at)
		return -1;
	memcpy(buf, m->img + sector * SEC, (size_t)n * SEC);
	return 0;
}

static int mem_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	struct memdev *m = ctx;
	DEV_ASSERT(n >= 1 && n <= BLKVFS_MAX_IO && sector + n <= m->ops.nsectors);
	if (++m->writes == m->fail_write_at)
		return -1;
	memcpy(m->img + sector * SEC, buf, (size_t)n * SEC);
	return 0;
}

static int mem_flush(void *ctx)
{
	struct memdev *m = ctx;
	return ++m->flushes == m->fail_flush_at ? -1 : 0;
}

void memdev_init(struct memdev *m, uint64_t nsectors)
{
	memset(m, 0, sizeof *m);
	m->img = calloc(nsectors ? nsectors : 1, SEC);
	ck_assert_ptr_nonnull(m->img);
	m->ops = (struct blkdev_ops){ .read = mem_read, .write = mem_write, .flush = mem_flush,
				      .nsectors = nsectors, .ctx = m };
}

void memdev_free(struct memdev *m)
{
	free(m->img);
	m->img = NULL;
}

/* ---- crashes ---- */

struct pend {
	uint64_t sector;
	uint8_t data[SEC];
};

uint64_t test_rand(uint64_t *s)
{
	if (!*s)
		*s = 0x853c49e6748fea9bull;
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void pend_add(struct crashdev *c, uint64_t sector, const uint8_t *data)
{
	if (c->npend == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->pend = realloc(c->pend, c->cap * sizeof *c->pend);
		DEV_ASSERT(c->pend);
	}
	c->pend[c->npend].sector = sector;
	memcpy(c->pend[c->npend].data, data, SEC);
	c->npend++;
}

/* The power goes: what of the unflushed writes reaches the disk. */
static void crash(struct crashdev *c)
{
	for (size_t i = 0; i < c->npend; i++) {
		int keep = c->mode == CRASH_KEEP || (c->mode == CRASH_RANDOM && (test_rand(&c->rng) & 1));
		if (keep)
			memcpy(c->durable + c->pend[i].sector * SEC, c->pend[i].data, SEC);
	}
	c->npend = 0;
	c->crashed = 1;
}

static int crash_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	struct crashdev *c = ctx;
	DEV_ASSERT(n >= 1 && n <= BLKVFS_MAX_IO && sector + n <= c->nsectors);
	if (c->crashed)
		return -1;
	memcpy(buf, c->view + sector * SEC, (size_t)n * SEC);
	return 0;
}

static int crash_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	struct crashdev *c = ctx;
	const uint8_t *p = buf;

	DEV_ASSERT(n >= 1 && n <= BLKVFS_MAX_IO && sector + n <= c->nsectors);
	if (c->crashed)
		return -1;
	if (++c->ops_done == c->crash_at) {
		/* Torn: the first `tear` sectors made it; in KEEP mode a header
		 * sector being written when the power went is half new. */
		uint32_t tear = (uint32_t)(test_rand(&c->rng) % (n + 1));
		for (uint32_t i = 0; i < tear; i++)
			pend_add(c, sector + i, p + (size_t)i * SEC);
		if (tear < n && sector + tear < 2 && c->mode == CRASH_KEEP) {
			uint8_t half[SEC];
			memcpy(half, c->view + (sector + tear) * SEC, SEC);
			memcpy(half, p + (size_t)tear * SEC, SEC / 2);
			pend_add(c, sector + tear, half);
		}
		crash(c);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		pend_add(c, sector + i, p + (size_t)i * SEC);
	memcpy(c->view + sector * SEC, buf, (size_t)n * SEC);
	return 0;
}

static int crash_flush(void *ctx)
{
	struct crashdev *c = ctx;

	if (c->crashed)
		return -1;
	if (++c->ops_done == c->crash_at) {
		crash(c);
		return -1;
	}
	for (size_t i = 0; i < c->npend; i++)
		memcpy(c->durable + c->pend[i].sector * SEC, c->pend[i].data, SEC);
	c->npend = 0;
	return 0;
}

void crashdev_init(struct crashdev *c, uint64_t nsectors)
{
	memset(c, 0, sizeof *c);
	c->nsectors = nsectors;
	c->durable = malloc(nsectors * SEC);
	c->view = malloc(nsectors * SEC);
	ck_assert(c->durable && c->view);
	c->ops = (struct blkdev_ops){ .read = crash_read, .write = crash_write, .flush = crash_flush,
				      .nsectors = nsectors, .ctx = c };
}

void crashdev_reset(struct crashdev *c, const uint8_t *img, int mode, long crash_at, uint64_t seed)
{
	if (img)
		memcpy(c->durable, img, c->nsectors * SEC);
	else
		memset(c->durable, 0, c->nsectors * SEC);
	memcpy(c->view, c->durable, c->nsectors * SEC);
	c->npend = 0;
	c->ops_done = 0;
	c->crash_at = crash_at;
	c->mode = mode;
	c->crashed = 0;
	c->rng = seed * 0x9e3779b97f4a7c15ull + 1;
}

void crashdev_free(struct crashdev *c)
{
	free(c->durable);
	free(c->view);
	free(c->pend);
	memset(c, 0, sizeof *c);
}

/* ---- SQLite ---- */

static _Alignas(16) unsigned char heap[32 << 20];

void test_sqlite_init(void)
{
	static int done;
	if (done)
		return;
	/* Called from main(), outside any test: no ck_assert here. */
	if (sqlite3_config(SQLITE_CONFIG_HEAP, heap, (int)sizeof heap, 64) != SQLITE_OK ||
	    sqlite3_initialize() != SQLITE_OK) {
		fprintf(stderr, "blkvfs tests: SQLite set-up failed\n");
		exit(2);
	}
	done = 1;
}

int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void query_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;

	buf[0] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(buf, size, "prepare: %s", sqlite3_errmsg(db));
		return;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (sqlite3_errcode(db) != SQLITE_OK && sqlite3_errcode(db) != SQLITE_DONE &&
		 sqlite3_errcode(db) != SQLITE_ROW)
		snprintf(buf, size, "step: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

int open_db(sqlite3 **db)
{
	return sqlite3_open_v2(BLKVFS_DB_NAME, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, BLKVFS_NAME);
}

uint64_t test_seed = 1;

static void hook_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)test_rand(&test_seed);
}

static int64_t hook_now(void)
{
	return 1700000000000ll;
}

const struct blkvfs_hooks test_hooks = { .random = hook_random, .now_ms = hook_now };
