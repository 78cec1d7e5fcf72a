/* virtio-blk: the site disk, read-only use. Reads are asynchronous (a
 * callback when the used ring returns them); blk_read_sync() waits. */
#ifndef GUEST_KERNEL_BLK_H
#define GUEST_KERNEL_BLK_H

#include "virtio.h"

#define BLK_MAX_REQ (1u << 20) /* bytes per request */
typedef void (*blk_done_fn)(void *ctx, bool ok);

extern uint64_t blk_bytes; /* disk size */
extern struct vdev *blk_dev;
void blk_init(struct vdev *d);
/* off and len multiples of 512, len <= BLK_MAX_REQ, inside the disk.
 * False when the queue is full (retry after blk_poll). */
bool blk_read_async(uint64_t off, void *buf, uint32_t len, blk_done_fn done, void *ctx);
void blk_kick(void);
/* Completes finished requests; true when any did. */
bool blk_poll(void);
bool blk_busy(void);
/* Reads [off, off+len) (512-aligned) and waits; false on an I/O error. */
bool blk_read_sync(uint64_t off, void *buf, size_t len);
/* Turns the completion interrupt on or off (see vq_irq). */
bool blk_irq(bool on);

#endif
