#include "blk.h"

#define T_IN 0
#define S_OK 0
#define NSLOTS 64

struct blk_slot {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint8_t status;
	bool busy;
	blk_done_fn done;
	void *ctx;
};

uint64_t blk_bytes;
struct vdev *blk_dev;
static struct vq q;
static struct blk_slot *slots;
static unsigned inflight;

void blk_init(struct vdev *d)
{
	blk_dev = d;
	d->name = "virtio-blk";
	vdev_begin(d, 0);
	vq_init(&q, d, 0, 256);
	uint64_t sectors = vdev_config32(d, 0) | (uint64_t)vdev_config32(d, 4) << 32;
	if (sectors > (1ull << 40))
		panic(EXIT_DEVICE, "virtio-blk reports an impossible capacity (%lu sectors)", sectors);
	blk_bytes = sectors * 512;
	slots = kalloc(sizeof(struct blk_slot) * NSLOTS);
	memset(slots, 0, sizeof(struct blk_slot) * NSLOTS);
	vdev_ready(d);
}

bool blk_read_async(uint64_t off, void *buf, uint32_t len, blk_done_fn done, void *ctx)
{
	if ((off | len) & 511 || len == 0 || len > BLK_MAX_REQ || off > blk_bytes || len > blk_bytes - off)
		panic(EXIT_DISK_IO, "bad disk read %lx+%x (disk is %lu bytes)", off, len, blk_bytes);
	unsigned i;
	for (i = 0; i < NSLOTS && slots[i].busy; i++)
		;
	if (i == NSLOTS)
		return false;
	struct blk_slot *s = &slots[i];
	s->hdr.type = T_IN;
	s->hdr.reserved = 0;
	s->hdr.sector = off / 512;
	s->status = 0xff;
	s->done = done;
	s->ctx = ctx;
	struct vbuf b[3] = {
		{ &s->hdr, sizeof s->hdr, false },
		{ buf, len, true },
		{ &s->status, 1, true },
	};
	if (!vq_add(&q, b, 3, s))
		return false;
	s->busy = true;
	inflight++;
	st.blk_reads++;
	st.blk_bytes += len;
	return true;
}

void blk_kick(void)
{
	vq_kick(&q);
}

bool blk_poll(void)
{
	struct blk_slot *s;
	uint32_t len;
	bool any = false;

	while ((s = vq_get(&q, &len))) {
		bool ok = s->status == S_OK;
		s->busy = false;
		inflight--;
		any = true;
		if (s->done)
			s->done(s->ctx, ok);
	}
	return any;
}

bool blk_busy(void)
{
	return inflight != 0;
}

bool blk_irq(bool on)
{
	return vq_irq(&q, on);
}

struct sync_req {
	bool done, ok;
};

static void sync_done(void *ctx, bool ok)
{
	struct sync_req *r = ctx;
	r->done = true;
	r->ok = ok;
}

static void wait_blk(void)
{
	if (!blk_irq(true)) {
		uint32_t pend = wait_irq();
		if (pend & (1u << blk_dev->gsi))
			vdev_ack(blk_dev);
	}
	blk_irq(false);
}

bool blk_read_sync(uint64_t off, void *buf, size_t len)
{
	struct sync_req r[16];
	uint8_t *p = buf;

	/* Post up to 16 MiB at a time, notify once, then wait for all. */
	while (len) {
		unsigned n = 0;
		while (len && n < ARRAY_SIZE(r)) {
			uint32_t k = (uint32_t)MIN(len, (size_t)BLK_MAX_REQ);
			r[n] = (struct sync_req){ false, false };
			if (!blk_read_async(off, p, k, sync_done, &r[n]))
				break;
			n++;
			off += k;
			p += k;
			len -= k;
		}
		if (n == 0) { /* queue full of others' reads: let them finish */
			blk_kick();
			if (!blk_poll())
				wait_blk();
			continue;
		}
		blk_kick();
		for (;;) {
			bool all = true;
			blk_poll();
			for (unsigned i = 0; i < n; i++)
				all &= r[i].done;
			if (all)
				break;
			wait_blk();
		}
		for (unsigned i = 0; i < n; i++)
			if (!r[i].ok)
				return false;
	}
	return true;
}
