/* virtio-blk. The first device is the site disk (the archive; read only,
 * asynchronously with callbacks while serving, synchronously at boot), the
 * second, if any, the data disk (SQLite's, to come: synchronous reads,
 * writes and flushes). The synchronous calls block the event loop until the
 * device answers (one thread; acceptable for now); interrupts of other
 * devices that arrive meanwhile are kept for the loop (irq_pending). */
#ifndef GUEST_KERNEL_BLK_H
#define GUEST_KERNEL_BLK_H

#include "virtio.h"

#define BLK_SECTOR  512u
#define BLK_MAX_REQ (1u << 20) /* bytes per request */
typedef void (*blk_done_fn)(void *ctx, bool ok);

/* Results of the synchronous calls. */
enum {
	BLK_OK = 0,
	BLK_EIO = -1,       /* the device answered VIRTIO_BLK_S_IOERR */
	BLK_EUNSUPP = -2,   /* the device answered VIRTIO_BLK_S_UNSUPP, or cannot flush */
	BLK_EREADONLY = -3, /* a write to a read-only disk (VIRTIO_BLK_F_RO): refused here, never sent */
	BLK_ERANGE = -4,    /* sectors outside the disk, or no sectors */
};

struct blk_slot;
struct blk_dev {
	/* read-only for users */
	struct vdev *vdev;
	const char *what;    /* "site disk", "data disk", "content partition", "data partition" */
	uint64_t sectors;    /* capacity, 512-byte sectors (a window's: its own) */
	uint64_t first;      /* a window's first sector on hw; 0 for a whole disk */
	struct blk_dev *hw;  /* the device whose queue carries the requests: itself, or the first disk for a window */
	bool readonly;       /* VIRTIO_BLK_F_RO: writes are refused */
	bool can_flush;      /* VIRTIO_BLK_F_FLUSH negotiated */
	/* the driver's */
	struct vq q;
	struct blk_slot *slots;
	unsigned inflight;
};

/* Sets up a virtio-blk device as the site disk (the first call) or the data
 * disk (the second); later ones are ignored (NULL). A read-write data disk
 * that does not offer VIRTIO_BLK_F_FLUSH is refused: panic(EXIT_DEVICE),
 * since nothing written to it could be made durable. */
struct blk_dev *blk_init(struct vdev *d);
/* Makes [first, first + count) of the first disk the site disk (data false)
 * or the data disk (data true), for a single-file image whose firmware says
 * where its partitions lie (site.part=, part.c); a second disk is then no
 * longer the data disk. A window outside the disk: panic(EXIT_PARTITION). */
struct blk_dev *blk_window(bool data, uint64_t first, uint64_t count);
/* Applies the command line's site.part= entries (part.c). */
void blk_partitions(void);
struct blk_dev *blk_site_disk(void); /* NULL before blk_init */
struct blk_dev *blk_data_disk(void);
/* Its capacity in 512-byte sectors (for code that cannot see the struct). */
uint64_t blk_capacity(const struct blk_dev *d);
/* Whether the device refuses writes (VIRTIO_BLK_F_RO). */
bool blk_is_readonly(const struct blk_dev *d); /* NULL when there is no second disk */
/* After a wake-up: acknowledges the disks whose line fired (pend: wait_irq's bits). */
void blk_after_wake(uint32_t pend);
const char *blk_strerror(int err);

/* Synchronous: n sectors from sector, waiting for the device; BLK_OK or a
 * BLK_E* code. Any n (split into requests of at most BLK_MAX_REQ, posted
 * together with one notify); buf needs no alignment. */
int blk_read_sync(struct blk_dev *d, uint64_t sector, void *buf, uint64_t n);
int blk_write_sync(struct blk_dev *d, uint64_t sector, const void *buf, uint64_t n);
/* Makes every completed write durable (VIRTIO_BLK_T_FLUSH; vmm: fdatasync).
 * BLK_OK at once on a read-only disk. */
int blk_flush_sync(struct blk_dev *d);

/* Asynchronous reads of the site disk while serving. off and len are
 * multiples of 512, len <= BLK_MAX_REQ, inside the disk. False when the
 * queue is full (retry after blk_poll). done gets ok = false on an I/O
 * error reported by the device. */
extern uint64_t blk_bytes; /* the site disk's size */
bool blk_read_async(uint64_t off, void *buf, uint32_t len, blk_done_fn done, void *ctx);
void blk_kick(void);
/* Completes finished requests; true when any did. */
bool blk_poll(void);
bool blk_busy(void);
/* Turns the site disk's completion interrupt on or off (see vq_irq). */
bool blk_irq(bool on);

#endif
