#include "virtio/virtq.h"

#include <string.h>

static uint16_t load16(const void *p)
{
	uint16_t v;

	__atomic_load((const uint16_t *)p, &v, __ATOMIC_ACQUIRE);
	return v;
}

static uint64_t avail_bytes(uint16_t num) { return VRING_AVAIL_BYTES(num); }
static uint64_t used_bytes(uint16_t num) { return VRING_USED_BYTES(num); }

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) { return a < b + blen && b < a + alen; }

int virtq_validate(const struct virtq *q, const struct guest_mem *m, struct err *e)
{
	if (q->num == 0 || q->num > VIRTQ_MAX_SIZE || (q->num & (q->num - 1)))
		return err_set(e, "queue size %u is not a power of 2 in 1..%u", q->num, VIRTQ_MAX_SIZE);
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return err_set(e, "misaligned ring addresses");
	if (!guest_mem_ptr(m, q->desc_gpa, VRING_DESC_BYTES(q->num)))
		return err_set(e, "descriptor table 0x%llx outside guest RAM", (unsigned long long)q->desc_gpa);
	if (!guest_mem_ptr(m, q->avail_gpa, avail_bytes(q->num)))
		return err_set(e, "available ring 0x%llx outside guest RAM", (unsigned long long)q->avail_gpa);
	if (!guest_mem_ptr(m, q->used_gpa, used_bytes(q->num)))
		return err_set(e, "used ring 0x%llx outside guest RAM", (unsigned long long)q->used_gpa);
	/* Our writes to the used ring must not rewrite the available index or
	 * the descriptors: a used ring laid over the available one would make
	 * every completion announce a new buffer, and the device loop forever. */
	if (overlap(q->used_gpa, used_bytes(q->num), q->avail_gpa, avail_bytes(q->num)) ||
	    overlap(q->used_gpa, used_bytes(q->num), q->desc_gpa, VRING_DESC_BYTES(q->num)) ||
	    overlap(q->avail_gpa, avail_bytes(q->num), q->desc_gpa, VRING_DESC_BYTES(q->num)))
		return err_set(e, "queue rings overlap");
	return 0;
}

bool virtq_has_avail(const struct virtq *q, const struct guest_mem *m)
{
	const uint8_t *avail = guest_mem_ptr(m, q->avail_gpa, avail_bytes(q->num));

	return q->ready && avail && load16(avail + 2) != q->last_avail;
}

int virtq_pop(struct virtq *q, const struct guest_mem *m, struct vq_chain *c, struct err *e)
{
	const uint8_t *avail = guest_mem_ptr(m, q->avail_gpa, avail_bytes(q->num));
	const struct vring_desc *table = guest_mem_ptr(m, q->desc_gpa, VRING_DESC_BYTES(q->num));
	uint16_t idx, i;
	uint64_t total = 0;
	bool seen_write = false;

	if (!q->ready || !avail || !table)
		return err_set(e, "queue used before it was set up");
	idx = load16(avail + 2);
	if (idx == q->last_avail)
		return 0;
	if ((uint16_t)(idx - q->last_avail) > q->num)
		return err_set(e, "available index jumped by %u on a queue of %u", (uint16_t)(idx - q->last_avail),
			       q->num);
	memcpy(&i, avail + 4 + 2 * (q->last_avail % q->num), 2);
	if (i >= q->num)
		return err_set(e, "available ring names descriptor %u of %u", i, q->num);
	c->head = i;
	c->n = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct vring_desc d;
		uint8_t *p;

		if (c->n == q->num)
			return err_set(e, "descriptor chain longer than the queue (a loop?)");
		memcpy(&d, &table[i], sizeof d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return err_set(e, "indirect descriptor, a feature not offered");
		if (d.len == 0)
			return err_set(e, "zero-length descriptor %u", i);
		p = guest_mem_ptr(m, d.addr, d.len);
		if (!p)
			return err_set(e, "descriptor %u (0x%llx, %u bytes) outside guest RAM", i,
				       (unsigned long long)d.addr, d.len);
		total += d.len;
		if (total > VIRTQ_MAX_BYTES)
			return err_set(e, "descriptor chain longer than %u bytes", VIRTQ_MAX_BYTES);
		if (d.flags & VRING_DESC_F_WRITE) {
			seen_write = true;
			c->in_len += d.len;
		} else {
			if (seen_write)
				return err_set(e, "device-readable descriptor after a device-writable one");
			c->out_len += d.len;
		}
		c->buf[c->n++] = (struct vq_buf){ p, d.len, (d.flags & VRING_DESC_F_WRITE) != 0 };
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= q->num)
			return err_set(e, "descriptor %u chains to %u of %u", i, d.next, q->num);
		i = d.next;
	}
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, const struct guest_mem *m, uint16_t head, uint32_t len, struct err *e)
{
	uint8_t *used = guest_mem_ptr(m, q->used_gpa, used_bytes(q->num));
	uint32_t elem[2] = { head, len };

	if (!used)
		return err_set(e, "used ring outside guest RAM");
	memcpy(used + 4 + 8 * (q->used_idx % q->num), elem, sizeof elem);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(used + 2), q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_wants_interrupt(const struct virtq *q, const struct guest_mem *m)
{
	const uint8_t *avail = guest_mem_ptr(m, q->avail_gpa, avail_bytes(q->num));

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !avail || !(load16(avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

void virtq_set_notify(struct virtq *q, const struct guest_mem *m, bool on)
{
	uint8_t *used = guest_mem_ptr(m, q->used_gpa, used_bytes(q->num));

	if (used)
		__atomic_store_n((uint16_t *)used, on ? 0 : VRING_USED_F_NO_NOTIFY, __ATOMIC_SEQ_CST);
}

unsigned vq_chain_iov(const struct vq_chain *c, bool write, uint64_t off, uint64_t len, struct iovec *iov,
		      unsigned max, uint64_t *bytes)
{
	unsigned n = 0;
	uint64_t done = 0;

	for (unsigned i = 0; i < c->n && done < len && n < max; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint64_t k;

		if (b->write != write)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		k = b->len - off < len - done ? b->len - off : len - done;
		iov[n++] = (struct iovec){ b->p + off, (size_t)k };
		done += k;
		off = 0;
	}
	if (bytes)
		*bytes = done;
	return n;
}

/* Copies len bytes at off between the chain's readable part and to (a read),
 * or from into its writable part (a write), through vq_chain_iov. */
static uint32_t chain_copy(const struct vq_chain *c, uint32_t off, uint8_t *to, const uint8_t *from, uint32_t len)
{
	struct iovec iov[16];
	uint32_t done = 0;

	while (done < len) {
		unsigned n = vq_chain_iov(c, from != NULL, (uint64_t)off + done, len - done, iov, 16, NULL);

		if (!n)
			break;
		for (unsigned i = 0; i < n; i++) {
			if (from)
				memcpy(iov[i].iov_base, from + done, iov[i].iov_len);
			else
				memcpy(to + done, iov[i].iov_base, iov[i].iov_len);
			done += (uint32_t)iov[i].iov_len;
		}
	}
	return done;
}

uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return chain_copy(c, off, dst, NULL, len);
}

uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len)
{
	return chain_copy(c, off, NULL, src, len);
}
