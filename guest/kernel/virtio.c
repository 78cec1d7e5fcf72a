#include "virtio.h"

uint64_t vdev_setup_exits, vdev_setup_batched;

/* Set-up register accesses, one exit each (counted). */
static uint32_t rd(struct vdev *d, unsigned r)
{
	vdev_setup_exits++;
	return mmio_r32(d->base + r);
}

static void wr(struct vdev *d, unsigned r, uint32_t v)
{
	vdev_setup_exits++;
	mmio_w32(d->base + r, v);
}

static const char *dev_name(const struct vdev *d)
{
	return d->name ? d->name : "virtio device";
}

/* ---- vmm's batch register (abi/virtio_mmio.h): a record of accesses per exit ---- */

/* Performs the pending ops in one exit; their read values stay in op[]. */
static void batch_send(struct vdev *d)
{
	struct vdev_batch *b = &d->pend;
	uintptr_t gpa = (uintptr_t)b; /* RAM is identity-mapped */

	if (gpa >> 32)
		panic(EXIT_DEVICE, "%s: batch record at %lx is above 4 GiB", dev_name(d), (uint64_t)gpa);
	b->done = 0;
	barrier(); /* the record is complete before the write that hands it over */
	mmio_w32(d->base + VIRTIO_MMIO_VMM_BATCH, (uint32_t)gpa);
	barrier(); /* and read back only after it */
	vdev_setup_exits++;
	vdev_setup_batched += b->count;
	if (b->done != b->count)
		panic(EXIT_DEVICE, "%s at %lx performed %u of %u batched register accesses", dev_name(d),
		      (uint64_t)d->base, b->done, b->count);
	b->count = 0;
}

static void batch_op(struct vdev *d, uint32_t reg, uint32_t v)
{
	if (d->pend.count == VIRTIO_MMIO_BATCH_MAX)
		batch_send(d); /* only writes are queued past a read's index (see batch_read) */
	d->pend.op[d->pend.count++] = (struct virtio_mmio_batch_op){ reg, v };
}

/* Queues a read; its value is d->pend.op[the index returned].value after
 * batch_send. The caller makes room first, so no flush moves the index. */
static unsigned batch_read(struct vdev *d, uint32_t reg)
{
	batch_op(d, reg | VIRTIO_MMIO_BATCH_READ, 0);
	return d->pend.count - 1;
}

/* A set-up register write: queued on vmm's batched devices, else an exit. */
static void set(struct vdev *d, unsigned r, uint32_t v)
{
	if (d->batch)
		batch_op(d, r, v);
	else
		wr(d, r, v);
}

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

_Static_assert(9 + 2 * VDEV_MAX_QUEUES <= VIRTIO_MMIO_BATCH_MAX, "virtio_find's batch fits one record");
_Static_assert(offsetof(struct vdev_batch, op) == offsetof(struct virtio_mmio_batch, op) &&
		       offsetof(struct vdev_batch, done) == offsetof(struct virtio_mmio_batch, done),
	       "struct vdev_batch is a virtio_mmio_batch record");

/* vmm's device in one exit (the VendorID read before it is the other): its
 * identity, reset, ACKNOWLEDGE, DRIVER, features and queue sizes. */
static bool probe_batch(struct vdev *d)
{
	struct vdev_batch *b = &d->pend;
	unsigned qmax[VDEV_MAX_QUEUES];

	b->count = 0;
	unsigned magic = batch_read(d, VIRTIO_MMIO_MAGIC_VALUE);
	unsigned version = batch_read(d, VIRTIO_MMIO_VERSION);
	unsigned id = batch_read(d, VIRTIO_MMIO_DEVICE_ID);
	batch_op(d, VIRTIO_MMIO_STATUS, 0);
	batch_op(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	batch_op(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	unsigned f0 = batch_read(d, VIRTIO_MMIO_DEVICE_FEATURES); /* the reset zeroed the selector */
	batch_op(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	unsigned f1 = batch_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++) {
		batch_op(d, VIRTIO_MMIO_QUEUE_SEL, q);
		qmax[q] = batch_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	}
	batch_send(d);
	if (b->op[magic].value != VIRTIO_MMIO_MAGIC || b->op[version].value != VIRTIO_MMIO_VERSION_2 ||
	    !(d->id = b->op[id].value))
		return false;
	d->dev_features = b->op[f0].value | (uint64_t)b->op[f1].value << 32;
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++)
		d->qmax[q] = b->op[qmax[q]].value;
	return true;
}

/* Identifies the device at d->base: false for an empty slot or a legacy
 * (version 1) device. VendorID first: vmm's devices are set up in batches. */
static bool probe(struct vdev *d, bool batch)
{
	d->vendor = rd(d, VIRTIO_MMIO_VENDOR_ID);
	/* vmm's devices zero the queue registers and both feature selectors on
	 * reset (vmm/virtio/mmio.c, reset()), so writes of those zeros are
	 * left out for them (see vdev_begin). */
	d->zero_reset = d->vendor == VIRTIO_VENDOR_VMM;
	d->batch = d->zero_reset && batch;
	if (d->batch)
		return probe_batch(d);
	return rd(d, VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC && rd(d, VIRTIO_MMIO_VERSION) == VIRTIO_MMIO_VERSION_2 &&
	       (d->id = rd(d, VIRTIO_MMIO_DEVICE_ID));
}

unsigned virtio_find(struct vdev *out, unsigned max)
{
	static const unsigned gsis[VIRTIO_MMIO_SLOTS] = VIRTIO_SLOT_GSIS;
	unsigned n = 0;
	const char *v;
	size_t len;
	bool batch = true;

	if ((v = cmdline_get("site.mmio_batch", 0, &len))) {
		if (len != 1 || (v[0] != '0' && v[0] != '1'))
			panic(EXIT_CMDLINE, "site.mmio_batch=%.*s: expected 0 or 1", (int)len, v);
		batch = v[0] == '1';
	}

	for (unsigned i = 0; n < max && (v = cmdline_get("virtio_mmio.device", i, &len)); i++) {
		struct vdev d = { 0 };
		uint64_t addr;
		if (!parse_device(v, len, &addr, &d.gsi))
			panic(EXIT_CMDLINE, "cannot use virtio_mmio.device=%.*s", (int)len, v);
		d.base = (uintptr_t)addr;
		if (!probe(&d, batch))
			continue; /* legacy (version 1) or empty slot */
		out[n++] = d;
	}
	if (n == 0 && !cmdline_get("virtio_mmio.device", 0, &len)) {
		for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS && n < max; i++) {
			struct vdev d = { .base = GPA_VIRTIO_MMIO + i * VIRTIO_MMIO_SLOT_SIZE, .gsi = gsis[i] };
			if (!probe(&d, batch))
				continue;
			out[n++] = d;
		}
	}
	return n;
}

uint64_t vdev_begin(struct vdev *d, uint64_t want)
{
	uint64_t have;

	/* vmm's irq promise: see the end. */
	d->edge_irq = d->zero_reset && !cmdline_get("site.irq_ack", 0, &(size_t){ 0 });
	if (d->batch) {
		/* Reset, ACKNOWLEDGE, DRIVER and the features were virtio_find's
		 * batch; the rest goes with vdev_ready's. */
		have = d->dev_features;
		if (!(have & VIRTIO_F_VERSION_1))
			panic(EXIT_DEVICE, "%s at %lx does not offer VIRTIO_F_VERSION_1", d->name, (uint64_t)d->base);
		want = (want & have) | VIRTIO_F_VERSION_1;
		batch_op(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want); /* selector 0 since the reset */
		batch_op(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		batch_op(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
		batch_op(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		return want;
	}
	wr(d, VIRTIO_MMIO_STATUS, 0);
	/* Every register access here is an exit (16-34 us from ring 3 on a PVM
	 * host). For vmm's devices (zero_reset, found by virtio_find) the
	 * writes of zeros are left out: a selector is used at 0 first, and a
	 * queue address's high half (RAM is below 4 GiB) is not written. */
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
	 * one exit less per wake-up (edge_irq, set above). Elsewhere (QEMU's
	 * microvm: level-triggered lines) the line stays up until acknowledged,
	 * so we acknowledge. */
	return want;
}

/* Ring memory, set-up time only (queues are never freed). Only touched
 * pages cost the host anything, so what matters is how many pages each
 * queue's hot part spans. Small queues (vsock's events, a 64-entry rx ring:
 * hot throughout) are packed together instead of taking a page each. A big
 * one is placed so that its hot part, [top descriptors][avail][used][first
 * metadata] (see vq_init), starts VQ_HOT bytes into a page and fits in it:
 * 64 descriptors below the rings and ~30 chains of metadata after a
 * 256-entry queue's rings, while the cold rest of its table and
 * metadata spill into neighbouring pages that stay untouched. */
#define VQ_HOT 1024u

static uintptr_t pack_cur, pack_end;

static void *ring_alloc(size_t bytes, size_t align)
{
	pack_cur = (pack_cur + align - 1) & ~(uintptr_t)(align - 1);
	if (!pack_cur || bytes > pack_end - pack_cur) {
		size_t pages = (bytes + 4095) / 4096;
		pack_cur = (uintptr_t)kalloc(pages * 4096);
		pack_end = pack_cur + pages * 4096;
	}
	void *p = (void *)pack_cur;
	pack_cur += bytes;
	return p;
}

static void *ring_alloc_hot(size_t dsz, size_t bytes)
{
	size_t off = (VQ_HOT - dsz) & 4095;
	size_t pages = (off + bytes + 4095) / 4096;
	uint8_t *p = kalloc(pages * 4096);

	pack_cur = (uintptr_t)p + off + bytes; /* small queues may use the cold tail */
	pack_end = (uintptr_t)p + pages * 4096;
	return p + off;
}

void vq_init(struct vq *q, struct vdev *d, unsigned index, unsigned max_num)
{
	unsigned num;

	if (d->batch) {
		if (index >= VDEV_MAX_QUEUES)
			panic(EXIT_DEVICE, "%s: queue %u: only queues below %u are set up in batches", d->name, index,
			      VDEV_MAX_QUEUES);
		num = d->qmax[index]; /* read by virtio_find's batch */
		batch_op(d, VIRTIO_MMIO_QUEUE_SEL, index);
	} else {
		wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
		num = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	}
	if (num == 0)
		panic(EXIT_DEVICE, "%s has no queue %u", d->name, index);
	if (num > max_num)
		num = max_num;
	while (num & (num - 1)) /* split rings need no power of 2 in 1.x, but keep masks simple */
		num &= num - 1;
	*q = (struct vq){ 0 };
	q->dev = d;
	q->index = index;
	q->num = (uint16_t)num;
	/* Only what is read before it is written gets a value now: ring
	 * headers. Descriptors and their metadata are set up when first taken
	 * (vq_add), descriptors from the top of the table down and metadata
	 * stored in reverse, so what a queue uses lies together around its
	 * rings: [descriptors ... in use][avail][used][in use ... metadata]. */
	size_t dsz = 16ul * num, asz = (6 + 2ul * num + 7) & ~7ul, usz = (6 + 8ul * num + 7) & ~7ul;
	size_t bytes = dsz + asz + usz + num * sizeof *q->meta;
	uint8_t *mem = dsz > VQ_HOT ? ring_alloc_hot(dsz, bytes) : ring_alloc(bytes, 16);
	q->desc = (struct vring_desc *)mem;
	q->avail = (struct vring_avail *)(mem + dsz);
	q->used = (volatile struct vring_used *)(mem + dsz + asz);
	q->meta = (struct vq_meta *)(mem + dsz + asz + usz);
	q->num_free = (uint16_t)num;
	q->free_head = VQ_NONE;
	q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT; /* we poll while busy */
	q->avail->idx = 0;
	q->used->flags = 0;
	q->used->idx = 0;

	set(d, VIRTIO_MMIO_QUEUE_NUM, num);
	uint64_t a = (uint64_t)q->desc, b = (uint64_t)q->avail, c = (uint64_t)q->used;
	set(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)a);
	if (a >> 32 || !d->zero_reset) /* see vdev_begin */
		set(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
	set(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)b);
	if (b >> 32 || !d->zero_reset)
		set(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(b >> 32));
	set(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)c);
	if (c >> 32 || !d->zero_reset)
		set(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(c >> 32));
	set(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void vdev_ready(struct vdev *d)
{
	const uint32_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;

	if (d->batch) {
		unsigned cfg[VDEV_CONFIG_WORDS];

		if (d->pend.count + 2 + VDEV_CONFIG_WORDS > VIRTIO_MMIO_BATCH_MAX)
			batch_send(d); /* the writes so far; the reads below then keep their indices */
		batch_op(d, VIRTIO_MMIO_STATUS, ok);
		/* One status read covers the FEATURES_OK check (vmm clears the bit
		 * again on DRIVER_OK's write if it refused) and the queues (a queue
		 * it could not use sets DEVICE_NEEDS_RESET). */
		unsigned status = batch_read(d, VIRTIO_MMIO_STATUS);
		for (unsigned i = 0; i < VDEV_CONFIG_WORDS; i++)
			cfg[i] = batch_read(d, VIRTIO_MMIO_CONFIG + 4 * i);
		batch_send(d);
		uint32_t st_now = d->pend.op[status].value;
		if (!(st_now & VIRTIO_STATUS_FEATURES_OK))
			panic(EXIT_DEVICE, "%s refused features (status %x)", d->name, st_now);
		if (st_now != ok)
			panic(EXIT_DEVICE, "%s refused its set-up (status %x)", d->name, st_now);
		for (unsigned i = 0; i < VDEV_CONFIG_WORDS; i++)
			d->config[i] = d->pend.op[cfg[i]].value;
		d->config_fresh = (1u << VDEV_CONFIG_WORDS) - 1;
	} else {
		wr(d, VIRTIO_MMIO_STATUS, ok);
	}
	ioapic_route(d->gsi, VEC_IRQ_BASE + d->gsi);
}

uint32_t vdev_config32(struct vdev *d, unsigned off)
{
	unsigned w = off / 4;

	/* The first read of a word vdev_ready's batch fetched costs no exit;
	 * later ones (a changed configuration: vsock's CID after a transport
	 * reset) read the register. */
	if (!(off & 3) && w < VDEV_CONFIG_WORDS && (d->config_fresh & 1u << w)) {
		d->config_fresh &= ~(1u << w);
		return d->config[w];
	}
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
	mmio_w32(d->base + VIRTIO_MMIO_INTERRUPT_ACK, 3);
	st.mmio_acks++;
}

static struct vq_meta *vq_meta(struct vq *q, unsigned id)
{
	return &q->meta[q->num - 1 - id];
}

static uint16_t desc_take(struct vq *q)
{
	uint16_t i = q->free_head;

	if (i != VQ_NONE) {
		q->free_head = q->desc[i].next;
		return i;
	}
	i = (uint16_t)(q->num - 1 - q->fresh++);
	vq_meta(q, i)->cookie = NULL;
	return i;
}

bool vq_add(struct vq *q, const struct vbuf *b, unsigned n, void *cookie)
{
	if (n == 0 || n > q->num_free)
		return false;
	uint16_t head = desc_take(q), i = head;
	uint32_t wlen = 0;
	for (unsigned k = 0; k < n; k++) {
		struct vring_desc *d = &q->desc[i];
		d->addr = (uint64_t)b[k].addr;
		d->len = b[k].len;
		d->flags = (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		if (b[k].write)
			wlen += b[k].len;
		if (k + 1 < n)
			i = d->next = desc_take(q);
	}
	q->num_free = (uint16_t)(q->num_free - n);
	vq_meta(q, head)->cookie = cookie;
	vq_meta(q, head)->wlen = wlen;
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
	mmio_w32(q->dev->base + VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
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
	/* Metadata is set up only for descriptors taken (num - fresh and up). */
	if (e.id >= q->num || e.id < (uint32_t)(q->num - q->fresh) || !vq_meta(q, e.id)->cookie)
		panic(EXIT_DEVICE, "%s queue %u: used id %u is not a chain we posted", q->dev->name, q->index,
		      e.id);
	struct vq_meta *m = vq_meta(q, e.id);
	if (m->wlen == 0)
		e.len = 0; /* nothing writable: some devices report the bytes they read */
	if (e.len > m->wlen)
		panic(EXIT_DEVICE, "%s queue %u: device wrote %u bytes into %u", q->dev->name, q->index, e.len,
		      m->wlen);
	void *c = m->cookie;
	m->cookie = NULL;
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
