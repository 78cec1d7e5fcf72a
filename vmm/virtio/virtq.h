/* Split virtqueues (virtio 1.x), device side. Every guest address goes
 * through guest_mem_ptr; chains are capped at the queue size (which also
 * catches loops), readable descriptors must precede writable ones, and any
 * violation is an error the transport turns into NEEDS_RESET. */
#ifndef VMM_VIRTIO_VIRTQ_H
#define VMM_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi/virtio_ring.h"
#include "mem/guest_mem.h"
#include "util/err.h"

#define VIRTQ_MAX_SIZE   256
#define VIRTQ_MAX_BYTES  (64u << 20) /* per chain: bounds what one request can make us do */

struct virtq {
	uint16_t num;       /* queue size the driver chose */
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail; /* next available entry we will consume */
	uint16_t used_idx;   /* our copy of used->idx */
};

struct vq_buf {
	uint8_t *p;   /* host pointer, valid for len bytes */
	uint32_t len;
	bool write;   /* device-writable */
};

struct vq_chain {
	uint16_t head;
	unsigned n;
	uint32_t out_len; /* device-readable bytes */
	uint32_t in_len;  /* device-writable bytes */
	struct vq_buf buf[VIRTQ_MAX_SIZE];
};

/* Checks size and ring addresses before the driver may use the queue. */
int virtq_validate(const struct virtq *q, const struct guest_mem *m, struct err *e);
/* 1: *c holds the next chain; 0: nothing available; -1: the guest broke the rules. */
int virtq_pop(struct virtq *q, const struct guest_mem *m, struct vq_chain *c, struct err *e);
/* Returns a chain to the guest with len bytes written into it. */
int virtq_push(struct virtq *q, const struct guest_mem *m, uint16_t head, uint32_t len, struct err *e);
/* Whether the driver wants an interrupt for used buffers now. */
bool virtq_wants_interrupt(const struct virtq *q, const struct guest_mem *m);
/* Tells the driver whether we want notifications (suppressed while we poll). */
void virtq_set_notify(struct virtq *q, const struct guest_mem *m, bool on);
/* Whether the avail ring has entries we have not consumed. */
bool virtq_has_avail(const struct virtq *q, const struct guest_mem *m);

/* The one walk over a chain: fills iov (at most max entries) with the
 * chain's device-writable (write) or device-readable (!write) bytes from
 * offset off on, at most len of them. Returns how many entries it filled;
 * *bytes (if not NULL) gets how many bytes they cover, less than len when
 * the chain or max ran out. */
unsigned vq_chain_iov(const struct vq_chain *c, bool write, uint64_t off, uint64_t len, struct iovec *iov,
		      unsigned max, uint64_t *bytes);
/* Copies up to len device-readable bytes from the chain, starting at off. */
uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len);
/* Copies up to len bytes into the chain's device-writable part, starting at off. */
uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len);

#endif
