#include "virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO      (1ull << 5)
#define VIRTIO_BLK_F_FLUSH   (1ull << 9)

#define T_IN     0
#define T_OUT    1
#define T_FLUSH  4
#define T_GET_ID 8

#define S_OK     0
#define S_IOERR  1
#define S_UNSUPP 2

#define SECTOR 512ull

int virtio_blk_open(struct virtio_blk *b, const struct disk_config *cfg, struct err *e)
{
	struct stat st;
	const char *base;

	memset(b, 0, sizeof *b);
	b->readonly = cfg->readonly;
	b->fd = open(cfg->path, (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return err_errno(e, "cannot open disk '%s'", cfg->path);
	if (fstat(b->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(b->fd);
		b->fd = -1;
		return err_set(e, "disk '%s' is not a regular file", cfg->path);
	}
	if (flock(b->fd, (cfg->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		close(b->fd);
		b->fd = -1;
		if (errno == EWOULDBLOCK)
			return err_set(e, "disk '%s' is in use by another VM (locked)", cfg->path);
		return err_errno(e, "cannot lock disk '%s'", cfg->path);
	}
	b->sectors = (uint64_t)st.st_size / SECTOR;
	base = strrchr(cfg->path, '/');
	/* The serial a guest sees (get-id): the file name, cut to virtio's 20 bytes. */
	base = base ? base + 1 : cfg->path;
	memcpy(b->id, base, strnlen(base, sizeof b->id - 1));
	return 0;
}

void virtio_blk_close(struct virtio_blk *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static void config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t size)
{
	struct virtio_blk *b = d->priv;
	uint8_t cfg[24] = { 0 };
	uint32_t seg_max = VIRTQ_MAX_SIZE - 2;

	memcpy(cfg, &b->sectors, 8);   /* capacity */
	memcpy(cfg + 12, &seg_max, 4); /* seg_max */
	memset(data, 0, size);
	if (off < sizeof cfg)
		memcpy(data, cfg + off, size < sizeof cfg - off ? size : sizeof cfg - off);
}

/* Moves the data part of a request between the file and guest buffers.
 * The data buffers are those between the 16-byte header and the status byte. */
static uint8_t do_rw(struct virtio_blk *b, const struct vq_chain *c, uint32_t type, uint64_t sector,
		     uint32_t *written)
{
	uint64_t off = sector * SECTOR, len = 0;
	uint32_t skip = 16;

	if (sector > b->sectors)
		return S_IOERR;
	for (unsigned i = 0; i < c->n; i++) {
		const struct vq_buf *v = &c->buf[i];
		uint8_t *p = v->p;
		uint32_t n = v->len;
		ssize_t r;

		if (skip) { /* header bytes */
			uint32_t k = n < skip ? n : skip;
			p += k;
			n -= k;
			skip -= k;
		}
		if (i == c->n - 1 && n) /* the status byte */
			n--;
		if (!n)
			continue;
		if ((type == T_IN) != v->write)
			return S_IOERR;
		if (off + len + n > b->sectors * SECTOR)
			return S_IOERR;
		for (uint32_t done = 0; done < n; done += (uint32_t)r) {
			r = type == T_IN ? pread(b->fd, p + done, n - done, (off_t)(off + len + done))
					 : pwrite(b->fd, p + done, n - done, (off_t)(off + len + done));
			if (r < 0 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0) {
				if (type == T_IN && r == 0) /* beyond a short file: zeros */
					memset(p + done, 0, n - done), r = (ssize_t)(n - done);
				else
					return S_IOERR;
			}
		}
		len += n;
		if (type == T_IN)
			*written += n;
	}
	return S_OK;
}

static int handle(struct virtio_blk *b, const struct vq_chain *c, uint32_t *used, const char **bad)
{
	uint8_t hdr[16], status;
	const struct vq_buf *last = &c->buf[c->n - 1];
	uint32_t type;
	uint64_t sector;

	*used = 0;
	if (vq_chain_read(c, 0, hdr, 16) != 16) {
		*bad = "request header shorter than 16 bytes";
		return -1;
	}
	if (!last->write) {
		*bad = "request without a writable status byte";
		return -1;
	}
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case T_IN:
	case T_OUT:
		if (type == T_OUT && b->readonly)
			status = S_IOERR;
		else
			status = do_rw(b, c, type, sector, used);
		break;
	case T_FLUSH:
		status = fdatasync(b->fd) == 0 ? S_OK : S_IOERR;
		break;
	case T_GET_ID: {
		uint32_t n = c->in_len - 1 < 20 ? c->in_len - 1 : 20;
		char id[20] = { 0 };
		memcpy(id, b->id, strnlen(b->id, 20));
		*used += vq_chain_write(c, 0, id, n);
		status = S_OK;
		break;
	}
	default:
		status = S_UNSUPP;
		break;
	}
	last->p[last->len - 1] = status;
	*used += 1;
	return 0;
}

void virtio_blk_process(struct virtio_dev *d, unsigned qi)
{
	struct virtio_blk *b = d->priv;
	struct virtq *q = &d->q[qi];
	bool any = false;
	struct err e;
	int r;

	while ((r = virtq_pop(q, d->mem, &b->chain, &e)) > 0) {
		uint32_t used;
		const char *bad = NULL;

		if (handle(b, &b->chain, &used, &bad) < 0) {
			virtio_fail(d, bad);
			return;
		}
		if (virtq_push(q, d->mem, b->chain.head, used, &e) < 0) {
			virtio_fail(d, e.msg);
			return;
		}
		any = true;
	}
	if (r < 0) {
		virtio_fail(d, e.msg);
		return;
	}
	if (any)
		virtio_dev_interrupt(d, qi);
}

static const struct virtio_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.config_read = config_read,
	.queue_notify = virtio_blk_process,
	.reset = NULL,
};

int virtio_blk_attach(struct virtio_blk *b, unsigned index, struct guest_mem *mem, struct kvm_vm *kvm,
		      uint64_t base, unsigned gsi, struct err *e)
{
	char name[32];
	uint64_t f = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX | (b->readonly ? VIRTIO_BLK_F_RO : 0);

	snprintf(name, sizeof name, "virtio-blk%u", index);
	return virtio_dev_init(&b->dev, &blk_ops, b, name, f, mem, kvm, base, gsi, e);
}
