#include "virtio/mmio.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int virtio_dev_init(struct virtio_dev *d, const struct virtio_ops *ops, void *priv, const char *name,
		    uint64_t features, struct guest_mem *mem, struct kvm_vm *kvm, uint64_t base, unsigned gsi,
		    struct err *e)
{
	memset(d, 0, sizeof *d);
	pthread_mutex_init(&d->lock, NULL);
	d->ops = ops;
	d->priv = priv;
	snprintf(d->name, sizeof d->name, "%s", name);
	d->features = features | VIRTIO_F_VERSION_1;
	d->mem = mem;
	d->kvm = kvm;
	d->base = base;
	d->gsi = gsi;
	d->irq_fd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	d->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irq_fd < 0)
		return err_errno(e, "eventfd");
	if (kvm && kvm_vm_irqfd(kvm, gsi, d->irq_fd, e) < 0)
		return -1;
	for (unsigned i = 0; i < ops->nqueues; i++) {
		d->notify_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->notify_fd[i] < 0)
			return err_errno(e, "eventfd");
		/* Where ioeventfd is missing, the register write below still kicks us. */
		if (kvm)
			kvm_vm_ioeventfd(kvm, base + VIRTIO_MMIO_QUEUE_NOTIFY, i, d->notify_fd[i], NULL);
	}
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (d->notify_fd[i] >= 0)
			close(d->notify_fd[i]);
	if (d->irq_fd >= 0)
		close(d->irq_fd);
	pthread_mutex_destroy(&d->lock);
}

bool virtio_dev_live(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) && !d->failed;
}

static void raise_irq(struct virtio_dev *d, uint32_t why)
{
	uint64_t one = 1;

	d->int_status |= why;
	d->interrupts++;
	if (write(d->irq_fd, &one, sizeof one) < 0) {
		/* the counter saturating would need 2^64 pending edges */
	}
}

void virtio_fail(struct virtio_dev *d, const char *why)
{
	if (d->failed)
		return;
	d->failed = true;
	fprintf(stderr, "vmm: %s: %s; device needs reset\n", d->name, why);
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->config_gen++;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(d, VIRTIO_INT_CONFIG);
}

void virtio_dev_interrupt(struct virtio_dev *d, unsigned q)
{
	if (virtq_wants_interrupt(&d->q[q], d->mem))
		raise_irq(d, VIRTIO_INT_USED_BUFFER);
}

int virtio_drain(struct virtio_dev *d, unsigned q, struct vq_chain *c, virtio_chain_fn fn, void *ctx)
{
	struct virtq *vq = &d->q[q];
	struct err e;
	int done = 0, r = 0;

	while (!d->failed && (r = virtq_pop(vq, d->mem, c, &e)) > 0) {
		uint32_t written = 0;

		if (fn(ctx, c, &written, &e) < 0 || virtq_push(vq, d->mem, c->head, written, &e) < 0) {
			virtio_fail(d, e.msg);
			return -1;
		}
		done++;
	}
	if (d->failed)
		return -1;
	if (r < 0) {
		virtio_fail(d, e.msg);
		return -1;
	}
	return done;
}

void virtio_dev_kick(struct virtio_dev *d, unsigned q)
{
	uint64_t v;

	if (q >= d->ops->nqueues || read(d->notify_fd[q], &v, sizeof v) < 0)
		return;
	pthread_mutex_lock(&d->lock);
	d->notifies++;
	if (virtio_dev_live(d) && d->q[q].ready)
		d->ops->queue_notify(d, q);
	pthread_mutex_unlock(&d->lock);
}

static void reset(struct virtio_dev *d)
{
	if (d->ops->reset)
		d->ops->reset(d);
	memset(d->q, 0, sizeof d->q);
	d->status = d->int_status = 0;
	d->driver_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	d->failed = false;
}

static void set_half(uint64_t *v, bool high, uint32_t x)
{
	if (high)
		*v = (*v & 0xffffffffull) | ((uint64_t)x << 32);
	else
		*v = (*v & ~0xffffffffull) | x;
}

static uint32_t read_reg(struct virtio_dev *d, uint64_t off)
{
	struct virtq *q = d->queue_sel < d->ops->nqueues ? &d->q[d->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_VENDOR_VMM;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_feat_sel == 0 ? (uint32_t)d->features : d->dev_feat_sel == 1 ? (uint32_t)(d->features >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return d->int_status;
	case VIRTIO_MMIO_STATUS: return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_gen;
	default: return 0;
	}
}

static void queue_ready(struct virtio_dev *d, struct virtq *q, uint32_t v)
{
	struct err e;
	char why[600];

	if (!v) {
		q->ready = false;
		return;
	}
	if (virtq_validate(q, d->mem, &e) < 0) {
		snprintf(why, sizeof why, "queue %u: %s", d->queue_sel, e.msg);
		virtio_fail(d, why);
		return;
	}
	q->ready = true;
	q->last_avail = q->used_idx = 0;
}

static void write_reg(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *q = d->queue_sel < d->ops->nqueues ? &d->q[d->queue_sel] : NULL;
	bool qw = q && !q->ready; /* queue registers are frozen while the queue is live */
	uint64_t one = 1;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_feat_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_feat_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_feat_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&d->driver_features, d->drv_feat_sel == 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM: if (qw) q->num = (uint16_t)(v > 0xffff ? 0 : v); break;
	case VIRTIO_MMIO_QUEUE_READY: if (q) queue_ready(d, q, v); break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Normally KVM's ioeventfd takes this write; this is the fallback. */
		if (v < d->ops->nqueues && write(d->notify_fd[v], &one, sizeof one) < 0) {
			/* cannot overflow */
		}
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK: d->int_status &= ~v; break;
	case VIRTIO_MMIO_STATUS:
		if (v == 0) {
			reset(d);
			break;
		}
		if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			/* Only what we offered, and virtio 1.x: legacy drivers are refused. */
			if ((d->driver_features & ~d->features) || !(d->driver_features & VIRTIO_F_VERSION_1))
				v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
		}
		d->status = v | (d->status & VIRTIO_STATUS_NEEDS_RESET);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: if (qw) set_half(&q->desc_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: if (qw) set_half(&q->desc_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW: if (qw) set_half(&q->avail_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: if (qw) set_half(&q->avail_gpa, true, v); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW: if (qw) set_half(&q->used_gpa, false, v); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: if (qw) set_half(&q->used_gpa, true, v); break;
	default: break;
	}
}

/* One access to the register window, d->lock held: what a trapped access
 * does, and each op of a batch. */
static void reg_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t size, bool is_write)
{
	uint32_t v = 0;

	if (off >= VIRTIO_MMIO_CONFIG) {
		if (!is_write && d->ops->config_read)
			d->ops->config_read(d, (uint32_t)(off - VIRTIO_MMIO_CONFIG), data, size);
		else if (!is_write)
			memset(data, 0, size);
	} else if (size != 4 || (off & 3)) {
		/* The spec allows only aligned 32-bit access to these registers. */
		if (!is_write)
			memset(data, 0xff, size);
	} else if (is_write) {
		memcpy(&v, data, 4);
		write_reg(d, off, v);
	} else {
		v = read_reg(d, off);
		memcpy(data, &v, 4);
	}
}

/* A write of a record's address to VIRTIO_MMIO_VMM_BATCH (abi/virtio_mmio.h),
 * d->lock held. The record is copied before use (the guest may change it
 * meanwhile) and every op goes through reg_access, so a batch can do
 * nothing that the same accesses one by one could not. */
static void run_batch(struct virtio_dev *d, uint32_t gpa)
{
	struct virtio_mmio_batch_op op[VIRTIO_MMIO_BATCH_MAX];
	struct virtio_mmio_batch hdr;
	uint8_t *rec, *ops;
	uint32_t done = 0;
	char why[160];

	d->batches++;
	if ((gpa & 7) || !(rec = guest_mem_ptr(d->mem, gpa, sizeof hdr))) {
		snprintf(why, sizeof why, "register batch at %#x: not an aligned record in RAM", gpa);
		virtio_fail(d, why);
		return;
	}
	memcpy(&hdr, rec, sizeof hdr);
	if (hdr.count > VIRTIO_MMIO_BATCH_MAX) {
		snprintf(why, sizeof why, "register batch at %#x: %u ops, more than %u", gpa, hdr.count,
			 VIRTIO_MMIO_BATCH_MAX);
		goto fail;
	}
	ops = guest_mem_ptr(d->mem, (uint64_t)gpa + sizeof hdr, (uint64_t)hdr.count * sizeof op[0]);
	if (!ops) {
		if (hdr.count) {
			snprintf(why, sizeof why, "register batch at %#x: its %u ops are not all in RAM", gpa, hdr.count);
			goto fail;
		}
	} else {
		memcpy(op, ops, hdr.count * sizeof op[0]);
	}
	for (; done < hdr.count; done++) {
		uint32_t reg = op[done].reg & ~VIRTIO_MMIO_BATCH_READ;
		bool rd = op[done].reg & VIRTIO_MMIO_BATCH_READ;

		if ((reg & 3) || reg >= VIRTIO_MMIO_SIZE || reg == VIRTIO_MMIO_VMM_BATCH) {
			snprintf(why, sizeof why, "register batch at %#x: op %u: %s of %#x is not allowed in a batch", gpa,
				 done, rd ? "a read" : "a write", reg);
			goto fail;
		}
		reg_access(d, reg, (uint8_t *)&op[done].value, 4, !rd);
		if (rd) /* only the value: the guest's other bytes are left alone */
			memcpy(ops + done * sizeof op[0] + offsetof(struct virtio_mmio_batch_op, value), &op[done].value,
			       sizeof op[0].value);
	}
	memcpy(rec + offsetof(struct virtio_mmio_batch, done), &done, sizeof done);
	return;
fail:
	memcpy(rec + offsetof(struct virtio_mmio_batch, done), &done, sizeof done);
	virtio_fail(d, why);
}

void virtio_mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t size, bool is_write)
{
	struct virtio_dev *d = opaque;

	pthread_mutex_lock(&d->lock);
	if (is_write && off == VIRTIO_MMIO_VMM_BATCH && size == 4) {
		uint32_t gpa;

		memcpy(&gpa, data, 4);
		run_batch(d, gpa);
	} else {
		reg_access(d, off, data, size, is_write);
	}
	pthread_mutex_unlock(&d->lock);
}
