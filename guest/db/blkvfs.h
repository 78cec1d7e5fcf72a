/* guest/db/blkvfs.h: "vmm-blk", a SQLite VFS over one block device.
 *
 * The site kernel's data disk (vmm --disk data.img, the second virtio-blk
 * device) holds a small format of our own (README.md): two header slots
 * (sectors 0 and 1, written alternately, each with a sequence number and a
 * CRC32) describing two fixed regions, the rollback journal and the main
 * database, each with a stored length: the size SQLite sees. SQLite opens
 * exactly two files through it, BLKVFS_DB_NAME and BLKVFS_JOURNAL_NAME; any
 * other name gets SQLITE_CANTOPEN.
 *
 * Durability: xSync flushes the device, then, if a length changed, writes
 * the other header slot and flushes again; shrinking a file (xTruncate) and
 * deleting the journal (xDelete: length 0) do the same before returning.
 * So a header on disk never covers unflushed data, and COMMIT returns only
 * after its commit point (the journal's length 0) is on the disk.
 *
 * One device, one thread, no allocation: all state is static; SQLite
 * allocates the file handles (from its memsys5 heap). Needs from libc only
 * memcpy, memset, memcmp, strcmp, strlen. */
#ifndef GUEST_DB_BLKVFS_H
#define GUEST_DB_BLKVFS_H

#include <stddef.h>
#include <stdint.h>

#define BLKVFS_NAME         "vmm-blk"
#define BLKVFS_DB_NAME      "data.db"
#define BLKVFS_JOURNAL_NAME "data.db-journal"

#define BLKVFS_SECTOR       512u
#define BLKVFS_HDR_SECTORS  8u                   /* sectors 0..7: slot A, slot B, 6 reserved */
#define BLKVFS_MIN_SECTORS  512u                 /* 256 KiB: header, 64 KiB journal, 188 KiB database */
#define BLKVFS_MAX_SECTORS  (1ull << 40)         /* 512 TiB; a larger disk's tail is unused */
#define BLKVFS_MAX_IO       128u                 /* sectors per read/write call (64 KiB) */
#define BLKVFS_JOURNAL_MAX  (64ull << 20)        /* bytes */
#define BLKVFS_VERSION      1u

/* A header slot (one sector, little-endian; README.md). */
#define BLKVFS_MAGIC        "VMMDB1\0\0"      /* 8 bytes */
#define BLKVFS_OFF_MAGIC    0x000  /* 8 */
#define BLKVFS_OFF_VERSION  0x008  /* 4: BLKVFS_VERSION */
#define BLKVFS_OFF_FLAGS    0x00c  /* 4: 0 (no feature flags in version 1) */
#define BLKVFS_OFF_ID       0x010  /* 16: random at format */
#define BLKVFS_OFF_SEQ      0x020  /* 8: +1 on every header write */
#define BLKVFS_OFF_DISK     0x028  /* 8: sectors the disk was formatted with */
#define BLKVFS_OFF_NREGIONS 0x030  /* 4: 2 */
#define BLKVFS_OFF_SECSIZE  0x034  /* 4: 512 */
#define BLKVFS_OFF_REGIONS  0x038  /* 2 x 32: start, nsectors, length, reserved (8 each) */
#define BLKVFS_REGION_SIZE  32
#define BLKVFS_OFF_CRC      0x1fc  /* 4: CRC32 (IEEE) of bytes 0..0x1fb */

/* The block device, 512-byte sectors. Synchronous: each call returns when
 * the device has answered; 0 on success, anything else is an I/O error.
 * buf has no alignment; nsectors is 1..BLKVFS_MAX_IO and sector + nsectors
 * <= the nsectors field. flush makes every write that has returned durable
 * (virtio-blk VIRTIO_BLK_T_FLUSH; vmm turns it into fdatasync). */
struct blkdev_ops {
	int (*read)(void *ctx, uint64_t sector, void *buf, uint32_t nsectors);
	int (*write)(void *ctx, uint64_t sector, const void *buf, uint32_t nsectors);
	int (*flush)(void *ctx);
	uint64_t nsectors; /* capacity */
	void *ctx;
};

/* What the VFS takes from the kernel. Both optional. */
struct blkvfs_hooks {
	/* n random bytes (the disk id at format; SQLite's xRandomness: journal
	 * nonces). NULL: an xorshift generator seeded from the disk id, the
	 * header sequence number and the clock (differs from boot to boot once
	 * anything was written, but predictable). */
	void (*random)(void *buf, size_t n);
	/* Milliseconds since the Unix epoch (SQLite's 'now'). NULL: 0. */
	int64_t (*now_ms)(void);
};

/* Results. Errors are negative and distinct, one per way a disk can be
 * unusable, so the kernel can print blkvfs_strerror() and exit with a code
 * of its own per error. */
enum {
	BLKVFS_OK = 0,
	BLKVFS_FORMATTED = 1,  /* blkvfs_format_if_blank: it was blank and is now formatted */
	BLKVFS_E_IO = -1,      /* the device failed a read, write or flush */
	BLKVFS_E_SMALL = -2,   /* fewer than BLKVFS_MIN_SECTORS sectors (or none) */
	BLKVFS_E_BLANK = -3,   /* all zeros: not formatted (blkvfs_format_if_blank formats it) */
	BLKVFS_E_FOREIGN = -4, /* neither header slot has our magic, and the disk is not blank */
	BLKVFS_E_CRC = -5,     /* our magic, but no header slot passes its CRC32 */
	BLKVFS_E_VERSION = -6, /* a format version (or feature flags) this code does not know */
	BLKVFS_E_LAYOUT = -7,  /* regions out of the disk, overlapping the header or each other,
	                          a bad region count or sector size, or the two slots of different disks */
	BLKVFS_E_LENGTH = -8,  /* a file length larger than its region */
	BLKVFS_E_SHRUNK = -9,  /* the header describes a larger disk than the device has */
	BLKVFS_E_BUSY = -10,   /* blkvfs_register while SQLite has files of the attached disk open */
	BLKVFS_E_INVAL = -11,  /* a NULL device or missing read/write/flush */
	BLKVFS_E_SQLITE = -12, /* sqlite3_vfs_register failed (SQLite could not initialize:
	                          no SQLITE_CONFIG_HEAP before it?) */
};

/* Regions, by role. On the disk the journal comes first, the database last
 * (so that a later version can grow it into added capacity). */
enum { BLKVFS_REGION_DB = 0, BLKVFS_REGION_JOURNAL = 1, BLKVFS_NREGIONS = 2 };

struct blkvfs_region_info {
	uint64_t start;    /* first sector */
	uint64_t nsectors; /* size of the region */
	uint64_t length;   /* bytes: the file size SQLite sees (as on the disk) */
};

struct blkvfs_info {
	uint8_t id[16];          /* random at format */
	uint32_t version;
	uint64_t seq;            /* sequence number of the current header slot */
	int slot;                /* 0 (sector 0) or 1 (sector 1) */
	uint64_t disk_sectors;   /* the size the disk was formatted with */
	struct blkvfs_region_info region[BLKVFS_NREGIONS];
};

/* Formats dev if it is blank: the first MiB and the last 64 KiB all zero
 * (so a partition table, file system, LVM, LUKS, ZFS or ISO image is never
 * taken for blank). BLKVFS_FORMATTED when it formatted, BLKVFS_OK when the
 * disk is not blank (left untouched: blkvfs_register judges it), else
 * BLKVFS_E_SMALL, BLKVFS_E_IO or BLKVFS_E_INVAL. */
int blkvfs_format_if_blank(const struct blkdev_ops *dev, const struct blkvfs_hooks *hooks);
/* Formats unconditionally (writes both header slots and flushes). */
int blkvfs_format(const struct blkdev_ops *dev, const struct blkvfs_hooks *hooks);
/* Reads and validates dev's header without attaching it; info may be NULL. */
int blkvfs_check(const struct blkdev_ops *dev, struct blkvfs_info *info);

/* Validates dev's header and attaches it to the "vmm-blk" VFS, which it
 * registers as SQLite's default (sqlite3_vfs_register: SQLite initializes
 * itself there, so SQLITE_CONFIG_HEAP must come first). Replaces an attached
 * device when no file of it is open (else BLKVFS_E_BUSY). On an error
 * nothing is attached and no SQLite file can be opened (":memory:" still
 * works). The ops and hooks are copied. */
int blkvfs_register(const struct blkdev_ops *dev, const struct blkvfs_hooks *hooks);
/* Detaches the device (BLKVFS_E_BUSY while files are open). */
int blkvfs_detach(void);
/* The attached disk's header as last written (lengths as persisted). */
int blkvfs_get_info(struct blkvfs_info *info);
const char *blkvfs_strerror(int code);

/* Registers the VFS (with no device: every open fails) as SQLite's default.
 * sqlite3_os_init() (blkvfs_os.c) calls it; with SQLITE_OS_OTHER SQLite
 * calls that from sqlite3_initialize(). */
int blkvfs_vfs_init(void);

/* The header as a pure function, for tests and the fuzzer: picks and
 * validates a slot of the two header sectors (hdr: 2 * 512 bytes) against a
 * device of capacity sectors. BLKVFS_E_FOREIGN here also stands for blank
 * (the caller tells them apart by reading the disk). */
int blkvfs_parse_header(const uint8_t *hdr, uint64_t capacity, struct blkvfs_info *info);
uint32_t blkvfs_crc32(const void *buf, size_t n);

#endif
