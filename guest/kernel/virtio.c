#include "virtio.h"

static uint32_t rd(struct vdev *d, unsigned r) { return mmio_r32(d->base + r); }
static void wr(struct vdev *d, unsigned r, uint32_t v) { mmio_w32(d->base + r, v); }

static bool parse_hex(const char *p, size_t n, uint64_t *v)
{
	*v = 0;
	if (n < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || n > 18)
		return false;
	for (size_t i = 2; i < n; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d > 15)
			return false;
		*v = *v << 4 | d;
	}
	return true;
}

static bool parse_dec(const char *p, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return true;
}

/* "4K@0xd0000000:5" (Linux also allows ":IRQ:ID"; the ID is ignored). */
static bool parse_device(const char *p, size_t n, uint64_t *addr, unsigned *irq)
{
	size_t at = 0, colon;
	uint64_t size, v;

	while (at < n && p[at] != '@')
		at++;
	if (at == n || at == 0)
		return false;
	size_t sl = at;
	uint64_t mul = 1;
	if (p[sl - 1] == 'K' || p[sl - 1] == 'k')
		mul = 1024, sl--;
	else if (p[sl - 1] == 'M' || p[sl - 1] == 'm')
		mul = 1024 * 1024, sl--;
	if (!parse_dec(p, sl, &size) || size * mul < 0x100)
		return false;
	colon = at + 1;
	while (colon < n && p[colon] != ':')
		colon++;
	if (colon == n || !parse_hex(p + at + 1, colon - at - 1, addr))
		return false;
	size_t e = colon + 1;
	while (e < n && p[e] != ':')
		e++;
	if (!parse_dec(p + colon + 1, e - colon - 1, &v) || v >= 24)
		return false;
	*irq = (unsigned)v;
	/* Only the MMIO hole is mapped (3-4 GiB), below the IOAPIC. */
	return *addr >= MMIO_HOLE_START && *addr + VIRTIO_MMIO_SLOT_SIZE <= GPA_IOAPIC && !(*addr & 0xff);
}

unsigned virtio_find(struct vdev *out, unsigned max)
{
	static const unsigned gsis[VIRTIO_MMIO_SLOTS] = VIRTIO_SLOT_GSIS;
	unsigned n = 0;
	const char *v;
	size_t len;

	for (unsigned i = 0; n < max && (v = cmdline_get("virtio_mmio.device", i, &len)); i++) {
		struct vdev d = { 0 };
		uint64_t addr;
		if (!parse_device(v, len, &addr, &d.gsi))
			panic(EXIT_CMDLINE, "cannot use virtio_mmio.device=%.*s", (int)len, v);
		d.base = (uintptr_t)addr;
		if (rd(&d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || rd(&d, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_2 || !(d.id = rd(&d, VIRTIO_MMIO_DEVICE_ID)))
			continue; /* legacy (version 1) or empty slot */
		out[n++] = d;
	}
	if (n == 0 && !cmdline_get("virtio_mmio.device", 0, &len)) {
		for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS && n < max; i++) {
			struct vdev d = { .base = GPA_VIRTIO_MMIO + i * VIRTIO_MMIO_SLOT_SIZE, .gsi = gsis[i] };
			if (rd(&d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || rd(&d, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_2 || !(d.id = rd(&d, VIRTIO_MMIO_DEVICE_ID)))
				continue;
			out[n++] = d;
		}
	}
	return n;
}

uint64_t vdev_begin(struct vdev *d, uint64_t want)
{
	uint64_t have;

	wr(d, VIRTIO_MMIO_STATUS, 0);
	/* Every register access here is an exit (16-34 us from ring 3 on a PVM
	 * host). vmm's devices zero the queue registers and both feature
	 * selectors on reset (vmm/virtio/mmio.c, reset()), so for them the
	 * writes of zeros are left out: a selector is used at 0 first, and a
	 * queue address's high half (RAM is below 4 GiB) is not written. */
	d->zero_reset = rd(d, VIRTIO_MMIO_VENDOR_ID) == VIRTIO_VENDOR_VMM;
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	if (!d->zero_reset)
		wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	have = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	have |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if (!(have & VIRTIO_F_VERSION_1))
		panic(EXIT_DEVICE, "%s at %lx does not offer VIRTIO_F_VERSION_1", d->name, (uint64_t)d->base);
	want = (want & have) | VIRTIO_F_VERSION_1;
	if (!d->zero_reset)
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		panic(EXIT_DEVICE, "%s refused features %lx", d->name, want);
	/* vmm signals every interrupt as an edge (an irqfd write per event,
	 * whatever InterruptStatus holds), so its devices need no InterruptACK:
	 * one exit less per wake-up. Elsewhere (QEMU's microvm: level-triggered
	 * lines) the line stays up until acknowledged, so we acknowledge. */
	d->edge_irq = d->zero_reset && !cmdline_get("site.irq_ack", 0, &(size_t){ 0 });
	return want;
}

void vq_init(struct vq *q, struct vdev *d, unsigned index, unsigned max_num)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
	unsigned num = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (num == 0)
		panic(EXIT_DEVICE, "%s has no queue %u", d->name, index);
	if (num > max_num)
		num = max_num;
	while (num & (num - 1)) /* split rings need no power of 2 in 1.x, but keep masks simple */
		num &= num - 1;
	size_t dsz = 16ul * num, asz = 6 + 2ul * num, usz = 6 + 8ul * num;
	size_t bytes = dsz + ((asz + 3) & ~3ul) + usz;
	uint8_t *mem = kalloc(bytes + num * (sizeof(void *) + sizeof(uint32_t)));
	memset(mem, 0, bytes + num * (sizeof(void *) + sizeof(uint32_t)));
	memset(q, 0, sizeof *q);
	q->dev = d;
	q->index = index;
	q->num = (uint16_t)num;
	q->desc = (struct vring_desc *)mem;
	q->avail = (struct vring_avail *)(mem + dsz);
	q->used = (volatile struct vring_used *)(mem + dsz + ((asz + 3) & ~3ul));
	q->cookie = (void **)(mem + bytes);
	q->wlen = (uint32_t *)(mem + bytes + num * sizeof(void *));
	for (unsigned i = 0; i < num; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->num_free = (uint16_t)num;
	q->free_head = 0;
	q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT; /* we poll while busy */

	wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	uint64_t a = (uint64_t)q->desc, b = (uint64_t)q->avail, c = (uint64_t)q->used;
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)a);
	if (a >> 32 || !d->zero_reset) /* see vdev_begin */
		wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)b);
	if (b >> 32 || !d->zero_reset)
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(b >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)c);
	if (c >> 32 || !d->zero_reset)
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(c >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void vdev_ready(struct vdev *d)
{
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	ioapic_route(d->gsi, VEC_IRQ_BASE + d->gsi);
}

uint32_t vdev_config32(struct vdev *d, unsigned off)
{
	return rd(d, VIRTIO_MMIO_CONFIG + off);
}

void vdev_ack(struct vdev *d)
{
	/* Acknowledge both causes without reading InterruptStatus (one exit,
	 * not two): rings are polled anyway. A device that needs a reset is
	 * noticed when its queues stop moving... and reported here cheaply
	 * enough to check only on a configuration interrupt. */
	if (d->edge_irq) {
		st.acks_skipped++;
		return;
	}
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, 3);
	st.mmio_acks++;
}

bool vq_add(struct vq *q, const struct vbuf *b, unsigned n, void *cookie)
{
	if (n == 0 || n > q->num_free)
		return false;
	uint16_t head = q->free_head, i = head, last = head;
	uint32_t wlen = 0;
	for (unsigned k = 0; k < n; k++) {
		struct vring_desc *d = &q->desc[i];
		d->addr = (uint64_t)b[k].addr;
		d->len = b[k].len;
		d->flags = (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		if (b[k].write)
			wlen += b[k].len;
		last = i;
		i = d->next;
	}
	q->free_head = q->desc[last].next;
	q->num_free = (uint16_t)(q->num_free - n);
	q->cookie[head] = cookie;
	q->wlen[head] = wlen;
	q->avail->ring[q->avail_idx & (q->num - 1)] = head;
	barrier(); /* x86: stores are not reordered with stores */
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	return true;
}

void vq_kick(struct vq *q)
{
	if (q->kicked_idx == q->avail_idx)
		return;
	q->kicked_idx = q->avail_idx;
	mb(); /* publish avail->idx before reading the device's flags */
	if (q->used->flags & VRING_USED_F_NO_NOTIFY) {
		st.notify_skipped++;
		return;
	}
	wr(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
	st.notifies++;
}

bool vq_has_used(const struct vq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

void *vq_get(struct vq *q, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

	if (idx == q->last_used)
		return NULL;
	if ((uint16_t)(idx - q->last_used) > q->num)
		panic(EXIT_DEVICE, "%s queue %u: used index jumped from %u to %u", q->dev->name, q->index,
		      q->last_used, idx);
	struct vring_used_elem e = q->used->ring[q->last_used & (q->num - 1)];
	q->last_used++;
	if (e.id >= q->num || !q->cookie[e.id])
		panic(EXIT_DEVICE, "%s queue %u: used id %u is not a chain we posted", q->dev->name, q->index,
		      e.id);
	if (q->wlen[e.id] == 0)
		e.len = 0; /* nothing writable: some devices report the bytes they read */
	if (e.len > q->wlen[e.id])
		panic(EXIT_DEVICE, "%s queue %u: device wrote %u bytes into %u", q->dev->name, q->index, e.len,
		      q->wlen[e.id]);
	void *c = q->cookie[e.id];
	q->cookie[e.id] = NULL;
	/* Return the chain to the free list: walk our own copy of it. */
	uint16_t i = (uint16_t)e.id, n = 1;
	while ((q->desc[i].flags & VRING_DESC_F_NEXT) && n < q->num) {
		i = q->desc[i].next;
		n++;
	}
	q->desc[i].next = q->free_head;
	q->free_head = (uint16_t)e.id;
	q->num_free = (uint16_t)(q->num_free + n);
	*len = e.len;
	return c;
}

bool vq_irq(struct vq *q, bool on)
{
	q->avail->flags = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
	if (!on)
		return false;
	mb();
	return vq_has_used(q);
}
