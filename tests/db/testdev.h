/* Block devices for the blkvfs tests: a file (pread/pwrite/fdatasync, as
 * vmm does for the guest), an in-memory disk that counts and can fail, and
 * a crash simulator that keeps what was flushed apart from what was not. */
#ifndef TESTS_DB_TESTDEV_H
#define TESTS_DB_TESTDEV_H

#include <stddef.h>
#include <stdint.h>

#include "db/blkvfs.h"
#include "sqlite3.h"

/* ---- a file: the "real" disk ---- */
struct filedev {
	struct blkdev_ops ops;
	int fd;
	char path[256];
	long flushes;
};
/* A new sparse file of nsectors (all zeros) in $TMPDIR or /tmp. */
void filedev_create(struct filedev *fd, uint64_t nsectors);
/* The same, holding img (nsectors * 512 bytes). */
void filedev_create_from(struct filedev *fd, const uint8_t *img, uint64_t nsectors);
void filedev_destroy(struct filedev *fd);
void filedev_read_all(struct filedev *fd, uint8_t *img);

/* ---- memory ---- */
struct memdev {
	struct blkdev_ops ops;
	uint8_t *img;
	long reads, writes, flushes;
	long fail_read_at, fail_write_at, fail_flush_at; /* fail the Nth call (1-based), 0: never */
};
void memdev_init(struct memdev *m, uint64_t nsectors); /* zeroed */
void memdev_free(struct memdev *m);

/* ---- crashes ----
 * Reads see every write. A flush makes the writes before it durable. The
 * crash_at-th write or flush (counted together, 1-based) "crashes": that
 * call and every later one fail, and the durable image gets, of the writes
 * not yet flushed (the crashing write's first tear sectors included):
 *   CRASH_LOSE:   none (power lost just after the last flush);
 *   CRASH_KEEP:   all, in order (kill -9 of vmm: what it had written is in
 *                 the host's page cache); a torn header sector is written
 *                 half new, half old;
 *   CRASH_RANDOM: each sector independently with probability 1/2 (a disk
 *                 reordering its writes). */
enum { CRASH_LOSE, CRASH_KEEP, CRASH_RANDOM, CRASH_NMODES };
struct crashdev {
	struct blkdev_ops ops;
	uint64_t nsectors;
	uint8_t *durable, *view;
	struct pend *pend;
	size_t npend, cap;
	long ops_done, crash_at;
	int mode, crashed;
	uint64_t rng;
};
void crashdev_init(struct crashdev *c, uint64_t nsectors);
/* Starts over from img (nsectors * 512; NULL: zeros). */
void crashdev_reset(struct crashdev *c, const uint8_t *img, int mode, long crash_at, uint64_t seed);
void crashdev_free(struct crashdev *c);

/* ---- SQLite ---- */
/* memsys5 over a static heap, then sqlite3_initialize; once per process. */
void test_sqlite_init(void);
/* Runs sql; returns the SQLite code. */
int exec(sqlite3 *db, const char *sql);
/* First column of the first row as an integer (-1 when none). */
long long query_int(sqlite3 *db, const char *sql);
/* First column of the first row as text into buf ("" when none). */
void query_text(sqlite3 *db, const char *sql, char *buf, size_t size);
int open_db(sqlite3 **db);
/* xorshift64* */
uint64_t test_rand(uint64_t *s);
/* hooks with a deterministic random() (seeded by test_seed) and a clock. */
extern uint64_t test_seed;
extern const struct blkvfs_hooks test_hooks;

#endif
