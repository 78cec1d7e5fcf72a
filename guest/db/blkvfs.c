/* guest/db/blkvfs.c: the "vmm-blk" SQLite VFS over one block device
 * (blkvfs.h; the format and the crash argument are in README.md).
 *
 * State is static: one device, one thread. A file handle is a region (the
 * main database or its rollback journal) of the attached disk; lengths live
 * here (len: what SQLite sees) and in the header on the disk (plen: as last
 * persisted). Every byte offset SQLite passes is checked against its
 * region; every sector the device is asked for is checked against the
 * device. */
#include <string.h>

#include "sqlite3.h"
#include "blkvfs.h"
#include "le_bytes.h"

#define SEC BLKVFS_SECTOR

struct region {
	uint64_t start, nsectors;
	sqlite3_int64 cap;  /* nsectors * 512 */
	sqlite3_int64 len;  /* the file size SQLite sees */
	sqlite3_int64 plen; /* the length in the header on the disk */
};

struct blkvfs_file {
	sqlite3_file base;
	int role; /* BLKVFS_REGION_* */
	int lock; /* SQLITE_LOCK_* (the database file only) */
};

static struct {
	int attached;
	struct blkdev_ops dev;
	struct blkvfs_hooks hooks;
	struct blkvfs_info info; /* the header on the disk (seq, slot, lengths as persisted) */
	struct region r[BLKVFS_NREGIONS];
	int dirty; /* writes since the last successful flush */
	int nopen; /* open file handles */
	/* Locks among this process's connections (one process: nothing else). */
	int nshared;
	struct blkvfs_file *reserved; /* holds RESERVED, PENDING or EXCLUSIVE */
	struct blkvfs_file *pending;  /* holds PENDING or EXCLUSIVE */
	/* A write-through copy of one region sector, so that runs of small
	 * unaligned writes (journal records) do not re-read it. */
	int cvalid;
	uint64_t csec;
	uint8_t cbuf[SEC];
	uint64_t rng;
} S;

/* Header sectors, blank checks and format. */
static uint8_t scratch[8 * SEC];

/* ---- little helpers ---- */

uint32_t blkvfs_crc32(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static uint64_t rng_next(void)
{
	/* xorshift64* */
	if (!S.rng)
		S.rng = 0x9e3779b97f4a7c15ull;
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * 0x2545f4914f6cdd1dull;
}

static void rng_mix(uint64_t v)
{
	S.rng ^= v * 0xbf58476d1ce4e5b9ull;
	rng_next();
}

static void random_bytes(const struct blkvfs_hooks *h, void *buf, size_t n)
{
	if (h && h->random) {
		h->random(buf, n);
		return;
	}
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = rng_next();
		for (size_t j = 0; j < 8 && i + j < n; j++)
			p[i + j] = (uint8_t)(x >> (8 * j));
	}
}

static int64_t now_ms(const struct blkvfs_hooks *h)
{
	return h && h->now_ms ? h->now_ms() : 0;
}

static int ops_ok(const struct blkdev_ops *d)
{
	return d && d->read && d->write && d->flush;
}

/* n sectors from/to the device, in calls of at most BLKVFS_MAX_IO. */
static int dev_io(const struct blkdev_ops *d, int write, uint64_t sector, void *buf, uint64_t n)
{
	uint8_t *p = buf;

	if (sector > d->nsectors || n > d->nsectors - sector)
		return -1;
	while (n) {
		uint32_t k = n > BLKVFS_MAX_IO ? BLKVFS_MAX_IO : (uint32_t)n;
		int rc = write ? d->write(d->ctx, sector, p, k) : d->read(d->ctx, sector, p, k);
		if (rc)
			return -1;
		sector += k;
		p += (size_t)k * SEC;
		n -= k;
	}
	return 0;
}

const char *blkvfs_strerror(int code)
{
	switch (code) {
	case BLKVFS_OK: return "ok";
	case BLKVFS_FORMATTED: return "formatted a blank disk";
	case BLKVFS_E_IO: return "I/O error on the disk";
	case BLKVFS_E_SMALL: return "disk too small (at least 256 KiB)";
	case BLKVFS_E_BLANK: return "blank disk (not formatted)";
	case BLKVFS_E_FOREIGN: return "not a vmm data disk (no VMMDB1 header, and not blank)";
	case BLKVFS_E_CRC: return "corrupt header (CRC mismatch in both header slots)";
	case BLKVFS_E_VERSION: return "unsupported data disk format version";
	case BLKVFS_E_LAYOUT: return "corrupt header (bad region layout)";
	case BLKVFS_E_LENGTH: return "corrupt header (file length beyond its region)";
	case BLKVFS_E_SHRUNK: return "disk smaller than the size it was formatted with";
	case BLKVFS_E_BUSY: return "database files still open";
	case BLKVFS_E_INVAL: return "bad block device";
	case BLKVFS_E_SQLITE: return "SQLite failed to initialize";
	}
	return "unknown error";
}

/* ---- the header ---- */

static void hdr_encode(uint8_t *b, const struct blkvfs_info *in)
{
	memset(b, 0, SEC);
	memcpy(b + BLKVFS_OFF_MAGIC, BLKVFS_MAGIC, 8);
	le_put32(b + BLKVFS_OFF_VERSION, in->version);
	le_put32(b + BLKVFS_OFF_FLAGS, 0);
	memcpy(b + BLKVFS_OFF_ID, in->id, 16);
	le_put64(b + BLKVFS_OFF_SEQ, in->seq);
	le_put64(b + BLKVFS_OFF_DISK, in->disk_sectors);
	le_put32(b + BLKVFS_OFF_NREGIONS, BLKVFS_NREGIONS);
	le_put32(b + BLKVFS_OFF_SECSIZE, SEC);
	for (int i = 0; i < BLKVFS_NREGIONS; i++) {
		uint8_t *r = b + BLKVFS_OFF_REGIONS + i * BLKVFS_REGION_SIZE;
		le_put64(r, in->region[i].start);
		le_put64(r + 8, in->region[i].nsectors);
		le_put64(r + 16, in->region[i].length);
	}
	le_put32(b + BLKVFS_OFF_CRC, blkvfs_crc32(b, BLKVFS_OFF_CRC));
}

static int slot_magic(const uint8_t *b)
{
	return memcmp(b + BLKVFS_OFF_MAGIC, BLKVFS_MAGIC, 8) == 0;
}

static int slot_valid(const uint8_t *b)
{
	return slot_magic(b) && blkvfs_crc32(b, BLKVFS_OFF_CRC) == le_get32(b + BLKVFS_OFF_CRC);
}

int blkvfs_parse_header(const uint8_t *hdr, uint64_t capacity, struct blkvfs_info *info)
{
	const uint8_t *b0 = hdr, *b1 = hdr + SEC, *b;
	int v0 = slot_valid(b0), v1 = slot_valid(b1), slot;
	struct blkvfs_info in;

	if (!v0 && !v1)
		return slot_magic(b0) || slot_magic(b1) ? BLKVFS_E_CRC : BLKVFS_E_FOREIGN;
	if (v0 && v1 && memcmp(b0 + BLKVFS_OFF_ID, b1 + BLKVFS_OFF_ID, 16) != 0)
		return BLKVFS_E_LAYOUT; /* the slots of two different disks */
	slot = v0 && v1 ? (le_get64(b1 + BLKVFS_OFF_SEQ) > le_get64(b0 + BLKVFS_OFF_SEQ)) : v1;
	b = slot ? b1 : b0;

	memset(&in, 0, sizeof in);
	in.version = le_get32(b + BLKVFS_OFF_VERSION);
	memcpy(in.id, b + BLKVFS_OFF_ID, 16);
	in.seq = le_get64(b + BLKVFS_OFF_SEQ);
	in.slot = slot;
	in.disk_sectors = le_get64(b + BLKVFS_OFF_DISK);
	if (in.version != BLKVFS_VERSION || le_get32(b + BLKVFS_OFF_FLAGS) != 0)
		return BLKVFS_E_VERSION;
	if (le_get32(b + BLKVFS_OFF_NREGIONS) != BLKVFS_NREGIONS || le_get32(b + BLKVFS_OFF_SECSIZE) != SEC ||
	    in.disk_sectors < BLKVFS_MIN_SECTORS || in.disk_sectors > BLKVFS_MAX_SECTORS)
		return BLKVFS_E_LAYOUT;
	if (in.disk_sectors > capacity)
		return BLKVFS_E_SHRUNK;
	for (int i = 0; i < BLKVFS_NREGIONS; i++) {
		const uint8_t *r = b + BLKVFS_OFF_REGIONS + i * BLKVFS_REGION_SIZE;
		struct blkvfs_region_info *ri = &in.region[i];
		ri->start = le_get64(r);
		ri->nsectors = le_get64(r + 8);
		ri->length = le_get64(r + 16);
		if (ri->nsectors == 0 || ri->start < BLKVFS_HDR_SECTORS || ri->start > in.disk_sectors ||
		    ri->nsectors > in.disk_sectors - ri->start)
			return BLKVFS_E_LAYOUT;
	}
	for (int i = 0; i < BLKVFS_NREGIONS; i++)
		for (int j = i + 1; j < BLKVFS_NREGIONS; j++)
			if (in.region[i].start < in.region[j].start + in.region[j].nsectors &&
			    in.region[j].start < in.region[i].start + in.region[i].nsectors)
				return BLKVFS_E_LAYOUT;
	for (int i = 0; i < BLKVFS_NREGIONS; i++)
		if (in.region[i].length > in.region[i].nsectors * SEC)
			return BLKVFS_E_LENGTH;
	if (info)
		*info = in;
	return BLKVFS_OK;
}

/* All zeros in the first MiB and the last 64 KiB. 1: blank, 0: not, <0: I/O. */
static int is_blank(const struct blkdev_ops *d)
{
	const uint64_t chunk = sizeof scratch / SEC;
	uint64_t head = d->nsectors < 2048 ? d->nsectors : 2048;
	uint64_t tail = d->nsectors < 128 ? d->nsectors : 128;
	uint64_t ranges[2][2] = { { 0, head }, { d->nsectors - tail, d->nsectors } };

	for (int r = 0; r < 2; r++)
		for (uint64_t s = ranges[r][0]; s < ranges[r][1]; s += chunk) {
			uint64_t n = ranges[r][1] - s < chunk ? ranges[r][1] - s : chunk;
			if (dev_io(d, 0, s, scratch, n))
				return BLKVFS_E_IO;
			for (size_t i = 0; i < n * SEC; i++)
				if (scratch[i])
					return 0;
		}
	return 1;
}

int blkvfs_check(const struct blkdev_ops *dev, struct blkvfs_info *info)
{
	int rc;

	if (!ops_ok(dev))
		return BLKVFS_E_INVAL;
	if (dev->nsectors < BLKVFS_MIN_SECTORS)
		return BLKVFS_E_SMALL;
	if (dev_io(dev, 0, 0, scratch, 2))
		return BLKVFS_E_IO;
	rc = blkvfs_parse_header(scratch, dev->nsectors, info);
	if (rc == BLKVFS_E_FOREIGN) {
		int blank = is_blank(dev);
		if (blank < 0)
			return blank;
		if (blank)
			return BLKVFS_E_BLANK;
	}
	return rc;
}

int blkvfs_format(const struct blkdev_ops *dev, const struct blkvfs_hooks *hooks)
{
	struct blkvfs_info in;
	uint64_t cap, jn;

	if (!ops_ok(dev))
		return BLKVFS_E_INVAL;
	if (dev->nsectors < BLKVFS_MIN_SECTORS)
		return BLKVFS_E_SMALL;
	cap = dev->nsectors < BLKVFS_MAX_SECTORS ? dev->nsectors : BLKVFS_MAX_SECTORS;
	/* The journal: a quarter of the disk, at most 64 MiB, in 4 KiB steps;
	 * the database: the rest. */
	jn = cap / 4 < BLKVFS_JOURNAL_MAX / SEC ? cap / 4 : BLKVFS_JOURNAL_MAX / SEC;
	jn &= ~(uint64_t)7;
	memset(&in, 0, sizeof in);
	in.version = BLKVFS_VERSION;
	rng_mix((uint64_t)now_ms(hooks));
	rng_mix((uint64_t)(uintptr_t)dev->ctx);
	random_bytes(hooks, in.id, sizeof in.id);
	in.disk_sectors = cap;
	in.region[BLKVFS_REGION_JOURNAL].start = BLKVFS_HDR_SECTORS;
	in.region[BLKVFS_REGION_JOURNAL].nsectors = jn;
	in.region[BLKVFS_REGION_DB].start = BLKVFS_HDR_SECTORS + jn;
	in.region[BLKVFS_REGION_DB].nsectors = cap - BLKVFS_HDR_SECTORS - jn;
	/* Slot A with sequence 1, slot B with 0: both valid, A current. */
	in.seq = 1;
	hdr_encode(scratch, &in);
	in.seq = 0;
	hdr_encode(scratch + SEC, &in);
	if (dev_io(dev, 1, 0, scratch, 2) || dev->flush(dev->ctx))
		return BLKVFS_E_IO;
	return BLKVFS_OK;
}

int blkvfs_format_if_blank(const struct blkdev_ops *dev, const struct blkvfs_hooks *hooks)
{
	int blank, rc;

	if (!ops_ok(dev))
		return BLKVFS_E_INVAL;
	if (dev->nsectors < BLKVFS_MIN_SECTORS)
		return BLKVFS_E_SMALL;
	blank = is_blank(dev);
	if (blank <= 0)
		return blank;
	rc = blkvfs_format(dev, hooks);
	return rc == BLKVFS_OK ? BLKVFS_FORMATTED : rc;
}

/* Writes the next header slot with the current lengths, after flushing the
 * data they may cover, and flushes it. Only then are the new lengths the
 * persisted ones, and the other slot the current one. On a failure the
 * current slot stays: a retry writes the same slot again, so the last
 * header known durable is never overwritten. */
static int persist_header(void)
{
	struct blkvfs_info in = S.info;
	uint8_t b[SEC];
	uint64_t slot = (uint64_t)(S.info.slot ^ 1);

	if (S.dirty) {
		if (S.dev.flush(S.dev.ctx))
			return SQLITE_IOERR_FSYNC;
		S.dirty = 0;
	}
	in.seq = S.info.seq + 1;
	in.slot = (int)slot;
	for (int i = 0; i < BLKVFS_NREGIONS; i++)
		in.region[i].length = (uint64_t)S.r[i].len;
	hdr_encode(b, &in);
	S.dirty = 1;
	if (dev_io(&S.dev, 1, slot, b, 1))
		return SQLITE_IOERR_WRITE;
	if (S.dev.flush(S.dev.ctx))
		return SQLITE_IOERR_FSYNC;
	S.dirty = 0;
	S.info = in;
	for (int i = 0; i < BLKVFS_NREGIONS; i++)
		S.r[i].plen = S.r[i].len;
	return SQLITE_OK;
}

/* ---- region I/O: byte ranges to sectors, partial sectors through cbuf ---- */

static int load_sector(uint64_t sec)
{
	if (S.cvalid && S.csec == sec)
		return 0;
	S.cvalid = 0;
	if (dev_io(&S.dev, 0, sec, S.cbuf, 1))
		return -1;
	S.csec = sec;
	S.cvalid = 1;
	return 0;
}

/* The caller has checked off and n against the region. */
static int region_read(const struct region *r, sqlite3_int64 off, uint8_t *buf, sqlite3_int64 n)
{
	uint64_t pos = r->start * SEC + (uint64_t)off;

	while (n > 0) {
		uint64_t sec = pos / SEC;
		uint32_t in = (uint32_t)(pos % SEC);
		uint64_t k;
		if (in || n < SEC) {
			k = SEC - in < (uint64_t)n ? SEC - in : (uint64_t)n;
			if (load_sector(sec))
				return SQLITE_IOERR_READ;
			memcpy(buf, S.cbuf + in, k);
		} else {
			uint64_t ns = (uint64_t)n / SEC;
			if (ns > BLKVFS_MAX_IO)
				ns = BLKVFS_MAX_IO;
			if (dev_io(&S.dev, 0, sec, buf, ns))
				return SQLITE_IOERR_READ;
			k = ns * SEC;
		}
		pos += k;
		buf += k;
		n -= (sqlite3_int64)k;
	}
	return SQLITE_OK;
}

static int region_write(const struct region *r, sqlite3_int64 off, const uint8_t *buf, sqlite3_int64 n)
{
	uint64_t pos = r->start * SEC + (uint64_t)off;

	if (n > 0)
		S.dirty = 1;
	while (n > 0) {
		uint64_t sec = pos / SEC;
		uint32_t in = (uint32_t)(pos % SEC);
		uint64_t k;
		if (in || n < SEC) {
			/* read-modify-write of one sector */
			k = SEC - in < (uint64_t)n ? SEC - in : (uint64_t)n;
			if (load_sector(sec))
				return SQLITE_IOERR_WRITE;
			memcpy(S.cbuf + in, buf, k);
			if (dev_io(&S.dev, 1, sec, S.cbuf, 1)) {
				S.cvalid = 0;
				return SQLITE_IOERR_WRITE;
			}
		} else {
			uint64_t ns = (uint64_t)n / SEC;
			if (ns > BLKVFS_MAX_IO)
				ns = BLKVFS_MAX_IO;
			if (S.cvalid && S.csec >= sec && S.csec < sec + ns)
				S.cvalid = 0;
			if (dev_io(&S.dev, 1, sec, (void *)(uintptr_t)buf, ns))
				return SQLITE_IOERR_WRITE;
			k = ns * SEC;
		}
		pos += k;
		buf += k;
		n -= (sqlite3_int64)k;
	}
	return SQLITE_OK;
}

/* ---- sqlite3_io_methods ---- */

static struct region *file_region(sqlite3_file *f)
{
	return &S.r[((struct blkvfs_file *)f)->role];
}

static int bf_unlock(sqlite3_file *f, int level);

static int bf_close(sqlite3_file *f)
{
	struct blkvfs_file *bf = (struct blkvfs_file *)f;

	if (bf->role == BLKVFS_REGION_DB)
		bf_unlock(f, SQLITE_LOCK_NONE);
	if (S.nopen > 0)
		S.nopen--;
	f->pMethods = NULL;
	return SQLITE_OK;
}

static int bf_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	struct region *r = file_region(f);
	sqlite3_int64 n;
	int rc;

	if (amt < 0 || off < 0)
		return SQLITE_IOERR_READ;
	n = off >= r->len ? 0 : (r->len - off < amt ? r->len - off : amt);
	rc = region_read(r, off, buf, n);
	if (rc != SQLITE_OK)
		return rc;
	if (n < amt) {
		memset((uint8_t *)buf + n, 0, (size_t)(amt - n));
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int bf_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct region *r = file_region(f);
	int rc;

	if (amt < 0 || off < 0)
		return SQLITE_IOERR_WRITE;
	if (off > r->cap || amt > r->cap - off)
		return SQLITE_FULL;
	rc = region_write(r, off, buf, amt);
	if (rc == SQLITE_OK && off + amt > r->len)
		r->len = off + amt;
	return rc;
}

/* Sets a region's length; a shrink below the persisted length is made
 * durable before returning (the journal's commit point). */
static int set_length(struct region *r, sqlite3_int64 size)
{
	sqlite3_int64 old = r->len;
	int rc;

	r->len = size;
	if (size >= r->plen)
		return SQLITE_OK;
	rc = persist_header();
	if (rc != SQLITE_OK)
		r->len = old;
	return rc;
}

static int bf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct region *r = file_region(f);

	if (size < 0)
		return SQLITE_IOERR_TRUNCATE;
	if (size > r->cap)
		return SQLITE_FULL;
	return set_length(r, size) == SQLITE_OK ? SQLITE_OK : SQLITE_IOERR_TRUNCATE;
}

static int bf_sync(sqlite3_file *f, int flags)
{
	(void)f, (void)flags;
	for (int i = 0; i < BLKVFS_NREGIONS; i++)
		if (S.r[i].len != S.r[i].plen)
			return persist_header();
	if (S.dirty) {
		if (S.dev.flush(S.dev.ctx))
			return SQLITE_IOERR_FSYNC;
		S.dirty = 0;
	}
	return SQLITE_OK;
}

static int bf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	*size = file_region(f)->len;
	return SQLITE_OK;
}

/* Locks between this process's connections to the database (there is no
 * other process). SQLite asks for SHARED, RESERVED or EXCLUSIVE; PENDING is
 * the state on the way to EXCLUSIVE while readers remain. */
static int bf_lock(sqlite3_file *f, int level)
{
	struct blkvfs_file *bf = (struct blkvfs_file *)f;

	if (bf->lock >= level)
		return SQLITE_OK;
	if (bf->role != BLKVFS_REGION_DB) {
		bf->lock = level;
		return SQLITE_OK;
	}
	switch (level) {
	case SQLITE_LOCK_SHARED:
		if (S.pending)
			return SQLITE_BUSY;
		S.nshared++;
		bf->lock = SQLITE_LOCK_SHARED;
		return SQLITE_OK;
	case SQLITE_LOCK_RESERVED:
		if (bf->lock != SQLITE_LOCK_SHARED || (S.reserved && S.reserved != bf))
			return SQLITE_BUSY;
		S.reserved = bf;
		bf->lock = SQLITE_LOCK_RESERVED;
		return SQLITE_OK;
	case SQLITE_LOCK_EXCLUSIVE:
		if (bf->lock < SQLITE_LOCK_SHARED || (S.reserved && S.reserved != bf))
			return SQLITE_BUSY;
		S.reserved = bf;
		S.pending = bf;
		if (S.nshared > 1) {
			bf->lock = SQLITE_LOCK_PENDING;
			return SQLITE_BUSY;
		}
		bf->lock = SQLITE_LOCK_EXCLUSIVE;
		return SQLITE_OK;
	}
	return SQLITE_IOERR_LOCK;
}

static int bf_unlock(sqlite3_file *f, int level)
{
	struct blkvfs_file *bf = (struct blkvfs_file *)f;

	if (bf->lock <= level)
		return SQLITE_OK;
	if (bf->role == BLKVFS_REGION_DB) {
		if (S.reserved == bf)
			S.reserved = NULL;
		if (S.pending == bf)
			S.pending = NULL;
		if (level == SQLITE_LOCK_NONE && S.nshared > 0)
			S.nshared--;
	}
	bf->lock = level;
	return SQLITE_OK;
}

static int bf_check_reserved(sqlite3_file *f, int *res)
{
	(void)f;
	*res = S.reserved != NULL;
	return SQLITE_OK;
}

static int bf_file_control(sqlite3_file *f, int op, void *arg)
{
	(void)f;
	if (op == SQLITE_FCNTL_VFSNAME) {
		*(char **)arg = sqlite3_mprintf("%s", BLKVFS_NAME);
		return SQLITE_OK;
	}
	return SQLITE_NOTFOUND;
}

static int bf_sector_size(sqlite3_file *f)
{
	(void)f;
	return SEC;
}

/* Nothing is claimed. Writes between flushes may reach the disk in any
 * order (not SEQUENTIAL) and a sector write is not promised atomic (not
 * ATOMIC512, not POWERSAFE_OVERWRITE). SAFE_APPEND would be true of our
 * lengths, but SQLite then trusts the journal's size instead of its record
 * count (nRec = -1), also where the journal is overwritten in place rather
 * than appended to (journal_mode=PERSIST, locking_mode=EXCLUSIVE), and the
 * crash tests found stale records with matching checksums played back
 * there; and it makes SQLite append after a sync into the sector holding
 * synced records. Without it SQLite writes the record count after a sync
 * and starts each journal segment on a sector boundary: one more flush per
 * commit, safe in every journal mode (README.md). */
static int bf_device_characteristics(sqlite3_file *f)
{
	(void)f;
	return 0;
}

static const sqlite3_io_methods io_methods = {
	.iVersion = 1,
	.xClose = bf_close,
	.xRead = bf_read,
	.xWrite = bf_write,
	.xTruncate = bf_truncate,
	.xSync = bf_sync,
	.xFileSize = bf_file_size,
	.xLock = bf_lock,
	.xUnlock = bf_unlock,
	.xCheckReservedLock = bf_check_reserved,
	.xFileControl = bf_file_control,
	.xSectorSize = bf_sector_size,
	.xDeviceCharacteristics = bf_device_characteristics,
};

/* ---- sqlite3_vfs ---- */

/* The region a name stands for, or -1. */
static int name_role(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, BLKVFS_DB_NAME) == 0)
		return BLKVFS_REGION_DB;
	if (strcmp(name, BLKVFS_JOURNAL_NAME) == 0)
		return BLKVFS_REGION_JOURNAL;
	return -1;
}

static int vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	struct blkvfs_file *bf = (struct blkvfs_file *)f;
	int role = name_role(name);

	(void)v;
	f->pMethods = NULL;
	if (!S.attached || role < 0 || (flags & SQLITE_OPEN_DELETEONCLOSE))
		return SQLITE_CANTOPEN;
	if (role == BLKVFS_REGION_DB && !(flags & SQLITE_OPEN_MAIN_DB))
		return SQLITE_CANTOPEN;
	if (role == BLKVFS_REGION_JOURNAL && !(flags & SQLITE_OPEN_MAIN_JOURNAL))
		return SQLITE_CANTOPEN;
	bf->role = role;
	bf->lock = SQLITE_LOCK_NONE;
	f->pMethods = &io_methods;
	S.nopen++;
	if (out_flags)
		*out_flags = flags;
	return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	int role = name_role(name);

	(void)v, (void)sync_dir;
	if (!S.attached || role < 0)
		return SQLITE_IOERR_DELETE_NOENT;
	if (role != BLKVFS_REGION_JOURNAL)
		return SQLITE_IOERR_DELETE;
	return set_length(&S.r[role], 0) == SQLITE_OK ? SQLITE_OK : SQLITE_IOERR_DELETE;
}

static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *res)
{
	int role = name_role(name);

	(void)v, (void)flags;
	*res = S.attached && role >= 0 && (role == BLKVFS_REGION_DB || S.r[role].len > 0);
	return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	size_t len = strlen(name);

	(void)v;
	if (n <= 0 || len >= (size_t)n)
		return SQLITE_CANTOPEN;
	memcpy(out, name, len + 1);
	return SQLITE_OK;
}

static int vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	if (n > 0)
		random_bytes(&S.hooks, out, (size_t)n);
	return n;
}

/* One thread: nothing to wait for. */
static int vfs_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return us;
}

static int vfs_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	(void)v;
	*t = 210866760000000ll + now_ms(&S.hooks); /* Julian day number in ms */
	return SQLITE_OK;
}

static int vfs_time(sqlite3_vfs *v, double *t)
{
	sqlite3_int64 ms;

	vfs_time64(v, &ms);
	*t = (double)ms / 86400000.0;
	return SQLITE_OK;
}

static int vfs_last_error(sqlite3_vfs *v, int n, char *s)
{
	(void)v, (void)n, (void)s;
	return 0;
}

static sqlite3_vfs vfs = {
	.iVersion = 2,
	.szOsFile = sizeof(struct blkvfs_file),
	.mxPathname = 64,
	.zName = BLKVFS_NAME,
	.xOpen = vfs_open,
	.xDelete = vfs_delete,
	.xAccess = vfs_access,
	.xFullPathname = vfs_full_pathname,
	.xRandomness = vfs_randomness,
	.xSleep = vfs_sleep,
	.xCurrentTime = vfs_time,
	.xGetLastError = vfs_last_error,
	.xCurrentTimeInt64 = vfs_time64,
};

int blkvfs_vfs_init(void)
{
	return sqlite3_vfs_register(&vfs, 1);
}

int blkvfs_detach(void)
{
	if (S.nopen)
		return BLKVFS_E_BUSY;
	S.attached = 0;
	S.cvalid = 0;
	S.dirty = 0;
	S.nshared = 0;
	S.reserved = S.pending = NULL;
	return BLKVFS_OK;
}

int blkvfs_register(const struct blkdev_ops *dev, const struct blkvfs_hooks *hooks)
{
	struct blkvfs_info in;
	int rc;

	if (S.nopen)
		return BLKVFS_E_BUSY;
	blkvfs_detach();
	if (hooks)
		S.hooks = *hooks;
	else
		memset(&S.hooks, 0, sizeof S.hooks);
	rc = blkvfs_check(dev, &in);
	if (rc != BLKVFS_OK)
		return rc;
	S.dev = *dev;
	S.info = in;
	for (int i = 0; i < BLKVFS_NREGIONS; i++) {
		S.r[i].start = in.region[i].start;
		S.r[i].nsectors = in.region[i].nsectors;
		S.r[i].cap = (sqlite3_int64)(in.region[i].nsectors * SEC);
		S.r[i].len = S.r[i].plen = (sqlite3_int64)in.region[i].length;
	}
	/* The fallback generator differs from boot to boot once anything was
	 * ever written (the sequence number grows). */
	for (int i = 0; i < 16; i += 8)
		rng_mix(le_get64(in.id + i));
	rng_mix(in.seq);
	rng_mix((uint64_t)now_ms(&S.hooks));
	S.attached = 1;
	rc = blkvfs_vfs_init();
	if (rc != SQLITE_OK) {
		S.attached = 0;
		return BLKVFS_E_SQLITE;
	}
	return BLKVFS_OK;
}

int blkvfs_get_info(struct blkvfs_info *info)
{
	if (!S.attached)
		return BLKVFS_E_INVAL;
	*info = S.info;
	return BLKVFS_OK;
}
