#include "virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/file_arg.h"

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

#define SECTOR  512ull
#define BLK_HDR 16u /* type, reserved, sector */

int disk_config_parse(const char *arg, struct disk_config *out, struct err *e)
{
	size_t n = strlen(arg);

	out->readonly = false;
	if (n >= 3 && (strcmp(arg + n - 3, ",ro") == 0 || strcmp(arg + n - 3, ",rw") == 0)) {
		out->readonly = arg[n - 1] == 'o';
		n -= 3;
	}
	if (n == 0)
		return err_set(e, "--disk '%s': no file name", arg);
	if (n >= sizeof out->path)
		return err_set(e, "--disk: path too long");
	memcpy(out->path, arg, n);
	out->path[n] = 0;
	return 0;
}

int blk_disk_open(struct blk_disk *d, const struct disk_config *cfg, struct err *e)
{
	struct stat st;
	char link[64], target[4096];
	const char *base;
	ssize_t n;

	memset(d, 0, sizeof *d);
	d->readonly = cfg->readonly;
	d->fd = file_arg_open("disk", cfg->path, cfg->readonly ? O_RDONLY : O_RDWR, d->label, e);
	if (d->fd < 0)
		return -1;
	if (fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "disk %s is not a regular file", d->label);
		goto fail;
	}
	/* The lock belongs to the open file (for fd:N the parent's open, which
	 * the parent may already hold): it lasts as long as vmm keeps the
	 * descriptor, across reboots. */
	if (flock(d->fd, (cfg->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			err_set(e, "disk %s is in use by another VM (locked)", d->label);
		else
			err_errno(e, "cannot lock disk %s", d->label);
		goto fail;
	}
	d->sectors = (uint64_t)st.st_size / SECTOR;
	/* The serial a guest sees (get-id): the file name, cut to virtio's 20
	 * bytes; for fd:N the name the parent opened, as the kernel knows it. */
	base = cfg->path;
	if (strncmp(base, "fd:", 3) == 0) {
		snprintf(link, sizeof link, "/proc/self/fd/%d", d->fd);
		n = readlink(link, target, sizeof target - 1);
		target[n > 0 ? n : 0] = 0;
		if (n > 0)
			base = target;
	}
	if (strrchr(base, '/'))
		base = strrchr(base, '/') + 1;
	memcpy(d->id, base, strnlen(base, sizeof d->id - 1));
	return 0;
fail:
	close(d->fd);
	d->fd = -1;
	return -1;
}

void blk_disk_close(struct blk_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

void virtio_blk_init(struct virtio_blk *b, const struct blk_disk *d)
{
	/* Not the chain's buffers (4 KiB): each is written before it is read,
	 * and untouched they stay out of memory. */
	memset(b, 0, offsetof(struct virtio_blk, chain.buf));
	b->fd = d->fd;
	b->readonly = d->readonly;
	b->sectors = d->sectors;
	memcpy(b->id, d->id, sizeof b->id);
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

/* Drops k bytes from the front of an iovec array (after a short transfer). */
static void iov_advance(struct iovec **iov, unsigned *n, size_t k)
{
	while (*n && k >= (*iov)->iov_len) {
		k -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n && k) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + k;
		(*iov)->iov_len -= k;
	}
}

/* Moves the data part of a request, the bytes between the 16-byte header
 * and the status byte, between the file and guest buffers with one
 * preadv/pwritev where it can. A read's data must all be device-writable
 * and a write's device-readable, or the request fails with S_IOERR. */
static uint8_t do_rw(struct virtio_blk *b, const struct vq_chain *c, uint32_t type, uint64_t sector,
		     uint32_t *written)
{
	struct iovec iov_buf[VIRTQ_MAX_SIZE], *iov = iov_buf;
	bool in = type == T_IN;
	uint64_t off = sector * SECTOR, len = in ? c->in_len - 1 : c->out_len - BLK_HDR, got;
	unsigned n;

	if ((in ? c->out_len != BLK_HDR : c->in_len != 1) || sector > b->sectors || len > (b->sectors - sector) * SECTOR)
		return S_IOERR;
	n = vq_chain_iov(c, in, in ? 0 : BLK_HDR, len, iov, VIRTQ_MAX_SIZE, &got);
	for (uint64_t done = 0; done < len;) {
		ssize_t r = in ? preadv(b->fd, iov, (int)n, (off_t)(off + done))
			       : pwritev(b->fd, iov, (int)n, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && !in))
			return S_IOERR;
		if (r == 0) { /* the file shrank under us: the rest reads as zeros */
			for (unsigned i = 0; i < n; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			r = (ssize_t)(len - done);
		}
		done += (uint64_t)r;
		iov_advance(&iov, &n, (size_t)r);
	}
	if (in)
		*written += (uint32_t)len;
	return S_OK;
}

/* One request: header, data, status byte (virtio 1.x, 5.2.6). */
static int blk_request(void *ctx, const struct vq_chain *c, uint32_t *used, struct err *e)
{
	struct virtio_blk *b = ctx;
	uint8_t hdr[BLK_HDR], status;
	const struct vq_buf *last = &c->buf[c->n - 1];
	uint32_t type;
	uint64_t sector;

	*used = 0;
	if (vq_chain_read(c, 0, hdr, BLK_HDR) != BLK_HDR)
		return err_set(e, "request header shorter than %u bytes", BLK_HDR);
	if (!last->write)
		return err_set(e, "request without a writable status byte");
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

	if (virtio_drain(d, qi, &b->chain, blk_request, b) > 0)
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
