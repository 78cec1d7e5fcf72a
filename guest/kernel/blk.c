#include "blk.h"

#define VIRTIO_BLK_F_RO    (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)

#define T_IN    0
#define T_OUT   1
#define T_FLUSH 4
#define S_OK     0
#define S_IOERR  1
#define S_UNSUPP 2

#define NSLOTS  64
#define NSYNC   16      /* requests a synchronous call posts at once (16 MiB) */
#define SPIN_NS 50000   /* a synchronous call polls this long before it sleeps */

struct sync_req {
	bool done;
	int err;
};

struct blk_slot {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint8_t status;      /* device-written */
	bool busy;
	uint32_t wlen;       /* device-writable bytes offered: a read's data + the status byte */
	blk_done_fn done;    /* asynchronous: called on completion */
	void *ctx;
	struct sync_req *sync; /* synchronous: filled in on completion */
};

uint64_t blk_bytes;
static struct blk_dev disks[2];
static unsigned ndisks;
/* What blk_site_disk() and blk_data_disk() hand out: a whole device, or a
 * window of the first one (site.part=, part.c). */
static struct blk_dev *site_dev, *data_dev;
static struct blk_dev windows[2];

struct blk_dev *blk_init(struct vdev *d)
{
	if (ndisks == ARRAY_SIZE(disks))
		return NULL;
	struct blk_dev *b = &disks[ndisks];
	bool data = ndisks == 1;

	b->vdev = d;
	b->hw = b;
	b->first = 0;
	b->what = data ? "data disk" : "site disk";
	d->name = data ? "virtio-blk (data disk)" : "virtio-blk (site disk)";
	uint64_t f = vdev_begin(d, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH);
	b->readonly = f & VIRTIO_BLK_F_RO;
	b->can_flush = f & VIRTIO_BLK_F_FLUSH;
	if (data && !b->readonly && !b->can_flush)
		panic(EXIT_DEVICE, "the data disk is writable but offers no VIRTIO_BLK_F_FLUSH: its writes could not be made durable");
	vq_init(&b->q, d, 0, 256);
	b->slots = kalloc(sizeof(struct blk_slot) * NSLOTS);
	memset(b->slots, 0, sizeof(struct blk_slot) * NSLOTS);
	vdev_ready(d);
	/* After vdev_ready: on vmm its set-up batch has read the capacity. */
	uint64_t sectors = vdev_config32(d, 0) | (uint64_t)vdev_config32(d, 4) << 32;
	if (sectors > (1ull << 40))
		panic(EXIT_DEVICE, "%s reports an impossible capacity (%lu sectors)", d->name, sectors);
	b->sectors = sectors;
	if (data) {
		data_dev = b;
	} else {
		site_dev = b;
		blk_bytes = sectors * BLK_SECTOR;
	}
	ndisks++;
	return b;
}

struct blk_dev *blk_window(bool data, uint64_t first, uint64_t count)
{
	struct blk_dev *hw = &disks[0], *w = &windows[data];

	if (!ndisks)
		panic(EXIT_NO_DISK, "site.part= names a window of the first disk, and there is none");
	if (count == 0 || first > hw->sectors || count > hw->sectors - first)
		panic(EXIT_PARTITION, "site.part=%s:%lu:%lu lies outside the first disk (%lu sectors)",
		      data ? "data" : "content", first, count, hw->sectors);
	*w = *hw;
	w->hw = hw;
	w->first = first;
	w->sectors = count;
	w->what = data ? "data partition" : "content partition";
	/* The same rule as for a data disk: writes that cannot be flushed
	 * would be lost on a crash without anyone knowing. */
	if (data && !w->readonly && !w->can_flush)
		panic(EXIT_DEVICE, "the disk with the data partition is writable but offers no VIRTIO_BLK_F_FLUSH: its writes could not be made durable");
	if (data) {
		data_dev = w;
	} else {
		site_dev = w;
		blk_bytes = count * BLK_SECTOR;
	}
	return w;
}

struct blk_dev *blk_site_disk(void)
{
	return site_dev;
}

struct blk_dev *blk_data_disk(void)
{
	return data_dev;
}

const char *blk_strerror(int err)
{
	switch (err) {
	case BLK_OK: return "ok";
	case BLK_EIO: return "I/O error reported by the device";
	case BLK_EUNSUPP: return "request not supported by the device";
	case BLK_EREADONLY: return "the disk is read-only";
	case BLK_ERANGE: return "sectors outside the disk";
	default: return "unknown error";
	}
}

/* Posts one request (len 0: no data part, for a flush); false when out of
 * slots or descriptors. Exactly one of done and sync is used. */
static bool post(struct blk_dev *b, uint32_t type, uint64_t sector, const void *buf, uint32_t len, blk_done_fn done,
		 void *ctx, struct sync_req *sync)
{
	unsigned i;
	for (i = 0; i < NSLOTS && b->slots[i].busy; i++)
		;
	if (i == NSLOTS)
		return false;
	struct blk_slot *s = &b->slots[i];
	s->hdr.type = type;
	s->hdr.reserved = 0;
	s->hdr.sector = sector;
	s->status = 0xff;
	s->wlen = (type == T_IN ? len : 0) + 1;
	s->done = done;
	s->ctx = ctx;
	s->sync = sync;
	struct vbuf v[3];
	unsigned n = 0;
	v[n++] = (struct vbuf){ &s->hdr, sizeof s->hdr, false };
	if (len)
		v[n++] = (struct vbuf){ buf, len, type == T_IN };
	v[n++] = (struct vbuf){ &s->status, 1, true };
	if (!vq_add(&b->q, v, n, s))
		return false;
	s->busy = true;
	b->inflight++;
	if (type == T_IN) {
		st.blk_reads++;
		st.blk_bytes += len;
	} else if (type == T_OUT) {
		st.blk_writes++;
		st.blk_write_bytes += len;
	} else {
		st.blk_flushes++;
	}
	return true;
}

/* The device's answer, checked: a status byte it wrote (the used length
 * covers it) with a defined value, and all of a read's data when it says
 * OK. Anything else breaks the protocol (EXIT_DEVICE, as in virtio.c). */
static int completion(const struct blk_dev *b, const struct blk_slot *s, uint32_t len)
{
	uint8_t status = *(const volatile uint8_t *)&s->status;

	if (len == 0 || (status != S_OK && status != S_IOERR && status != S_UNSUPP))
		panic(EXIT_DEVICE, "%s: request type %u at sector %lu came back with status %u and %u bytes written",
		      b->vdev->name, s->hdr.type, s->hdr.sector, status, len);
	if (status == S_OK && len != s->wlen)
		panic(EXIT_DEVICE, "%s: request type %u at sector %lu came back OK with %u bytes written, not %u",
		      b->vdev->name, s->hdr.type, s->hdr.sector, len, s->wlen);
	return status == S_OK ? BLK_OK : status == S_IOERR ? BLK_EIO : BLK_EUNSUPP;
}

static bool poll_dev(struct blk_dev *b)
{
	struct blk_slot *s;
	uint32_t len;
	bool any = false;

	while ((s = vq_get(&b->q, &len))) {
		int err = completion(b, s, len);
		s->busy = false;
		b->inflight--;
		any = true;
		if (s->sync) {
			s->sync->err = err;
			s->sync->done = true;
		} else if (s->done) {
			s->done(s->ctx, err == BLK_OK);
		}
	}
	return any;
}

void blk_after_wake(uint32_t pend)
{
	for (unsigned i = 0; i < ndisks; i++)
		if (pend & (1u << disks[i].vdev->gsi))
			vdev_ack(disks[i].vdev);
}

/* Waits until the n requests r are done (n = 0: until any request of b
 * completes). Polls for SPIN_NS first: a request the host serves from its
 * page cache is back within microseconds, while sleeping costs a ring-0
 * round trip (hlt -> #GP -> interrupt, ~40 us on PVM). Interrupts of other
 * devices that wake us are gathered in *others for the event loop. */
static void wait_for(struct blk_dev *b, const struct sync_req *r, unsigned n, uint32_t *others)
{
	uint64_t t0 = 0;

	for (;;) {
		bool any = poll_dev(b);
		bool all = true;
		for (unsigned i = 0; i < n; i++)
			all &= r[i].done;
		if (n ? all : any)
			return;
		if (!t0)
			t0 = now_ns();
		if (now_ns() - t0 < SPIN_NS) {
			cpu_relax();
			continue;
		}
		if (!vq_irq(&b->q, true)) { /* nothing came back meanwhile: sleep */
			uint32_t pend = wait_irq(), mine = 1u << b->vdev->gsi;
			if (pend & mine)
				vdev_ack(b->vdev);
			*others |= pend & ~mine;
		}
		vq_irq(&b->q, false);
	}
}

/* A synchronous transfer (T_IN, T_OUT: n sectors) or flush (n ignored):
 * up to NSYNC requests of at most BLK_MAX_REQ posted with one notify, then
 * waited for, until done or one fails. */
static int sync_io(struct blk_dev *b, uint32_t type, uint64_t sector, const uint8_t *p, uint64_t n)
{
	struct sync_req r[NSYNC];
	uint32_t others = 0;
	int err = BLK_OK;
	bool flush_sent = false;

	if (type != T_FLUSH && (n == 0 || sector > b->sectors || n > b->sectors - sector))
		return BLK_ERANGE;
	/* A window's requests go to its device's queue, shifted to its start. */
	sector += b->first;
	b = b->hw;
	while (!err && (type == T_FLUSH ? !flush_sent : n > 0)) {
		unsigned k = 0;
		while (k < NSYNC && (type == T_FLUSH ? !flush_sent : n > 0)) {
			uint32_t len = type == T_FLUSH ? 0 : (uint32_t)MIN(n * BLK_SECTOR, (uint64_t)BLK_MAX_REQ);
			r[k] = (struct sync_req){ false, BLK_OK };
			if (!post(b, type, type == T_FLUSH ? 0 : sector, p, len, NULL, NULL, &r[k]))
				break;
			k++;
			if (type == T_FLUSH) {
				flush_sent = true;
			} else {
				sector += len / BLK_SECTOR;
				p += len;
				n -= len / BLK_SECTOR;
			}
		}
		vq_kick(&b->q);
		if (k == 0) { /* the queue is full of the loop's reads: let some finish */
			if (!b->inflight)
				panic(EXIT_DEVICE, "%s: cannot post a request on an idle queue", b->vdev->name);
			wait_for(b, NULL, 0, &others);
			continue;
		}
		wait_for(b, r, k, &others);
		for (unsigned i = 0; i < k && !err; i++)
			err = r[i].err;
	}
	if (others) /* the event loop's, not ours: wait_irq hands them over next */
		__atomic_or_fetch(&irq_pending, others, __ATOMIC_SEQ_CST);
	return err;
}

int blk_read_sync(struct blk_dev *b, uint64_t sector, void *buf, uint64_t n)
{
	return sync_io(b, T_IN, sector, buf, n);
}

int blk_write_sync(struct blk_dev *b, uint64_t sector, const void *buf, uint64_t n)
{
	if (b->readonly)
		return BLK_EREADONLY;
	return sync_io(b, T_OUT, sector, buf, n);
}

int blk_flush_sync(struct blk_dev *b)
{
	if (b->readonly)
		return BLK_OK; /* nothing can have been written */
	if (!b->can_flush)
		return BLK_EUNSUPP;
	return sync_io(b, T_FLUSH, 0, NULL, 0); /* flushes the whole device a window lies on */
}

bool blk_read_async(uint64_t off, void *buf, uint32_t len, blk_done_fn done, void *ctx)
{
	if ((off | len) & (BLK_SECTOR - 1) || len == 0 || len > BLK_MAX_REQ || off > blk_bytes || len > blk_bytes - off)
		panic(EXIT_DISK_IO, "bad disk read %lx+%x (disk is %lu bytes)", off, len, blk_bytes);
	return post(&disks[0], T_IN, site_dev->first + off / BLK_SECTOR, buf, len, done, ctx, NULL);
}

void blk_kick(void)
{
	vq_kick(&disks[0].q);
}

bool blk_poll(void)
{
	return poll_dev(&disks[0]);
}

bool blk_busy(void)
{
	return disks[0].inflight != 0;
}

bool blk_irq(bool on)
{
	return vq_irq(&disks[0].q, on);
}

uint64_t blk_capacity(const struct blk_dev *d)
{
	return d->sectors;
}

bool blk_is_readonly(const struct blk_dev *d)
{
	return d->readonly;
}
