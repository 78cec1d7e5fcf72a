#include "machine/virtio_slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "abi/platform.h"

/* ISA-range lines, edge-triggered by default in guests; 4 is COM1, 9 the power SCI. */
const unsigned virtio_slot_gsi[VIRTIO_SLOTS_MAX] = VIRTIO_SLOT_GSIS;

int virtio_slots_open(struct virtio_slots *s, const struct vm_config *cfg, struct err *e)
{
	memset(s, 0, sizeof *s);
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		s->blk[i].fd = -1;
	s->vsock.reset_efd = -1;
	if (cfg->ndisks + (cfg->rng ? 1 : 0) + (cfg->vsock ? 1 : 0) > VIRTIO_SLOTS_MAX)
		return err_set(e, "too many virtio devices: at most %u", VIRTIO_SLOTS_MAX);
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		if (virtio_blk_open(&s->blk[i], &cfg->disks[i], e) < 0)
			return -1;
		s->nblk++;
		s->dev[s->n++] = &s->blk[i].dev;
	}
	if (cfg->rng) {
		s->has_rng = true;
		s->dev[s->n++] = &s->rng.dev;
	}
	if (cfg->vsock) {
		if (vsock_dev_init(&s->vsock, cfg->cid, cfg->vconnect, cfg->nvconnect, e) < 0)
			return -1;
		s->has_vsock = true;
		s->dev[s->n++] = &s->vsock.dev;
	}
	return 0;
}

int virtio_slots_cmdline(const struct virtio_slots *s, const char *cmdline, char *out, size_t len, struct err *e)
{
	size_t used = (size_t)snprintf(out, len, "%s", cmdline ? cmdline : "");

	for (unsigned i = 0; i < s->n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%svirtio_mmio.device=4K@0x%llx:%u",
					 used ? " " : "", GPA_VIRTIO_MMIO + i * (unsigned long long)VIRTIO_MMIO_SIZE,
					 virtio_slot_gsi[i]);
	if (used >= len)
		return err_set(e, "--cmdline plus the device list exceeds %zu bytes", len - 1);
	return 0;
}

static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_kick *k = opaque;

	(void)events;
	virtio_dev_kick(k->dev, k->queue);
}

int virtio_slots_attach(struct virtio_slots *s, struct guest_mem *mem, struct kvm_vm *kvm, struct io_bus *mmio,
			struct event_loop *loop, struct err *e)
{
	unsigned slot = 0;

	for (unsigned i = 0; i < s->nblk; i++, slot++)
		if (virtio_blk_attach(&s->blk[i], i, mem, kvm, GPA_VIRTIO_MMIO + slot * VIRTIO_MMIO_SIZE,
				      virtio_slot_gsi[slot], e) < 0)
			return -1;
	if (s->has_rng) {
		if (virtio_rng_attach(&s->rng, mem, kvm, GPA_VIRTIO_MMIO + slot * VIRTIO_MMIO_SIZE,
				      virtio_slot_gsi[slot], e) < 0)
			return -1;
		slot++;
	}
	if (s->has_vsock) {
		if (vsock_dev_attach(&s->vsock, mem, kvm, GPA_VIRTIO_MMIO + slot * VIRTIO_MMIO_SIZE,
				     virtio_slot_gsi[slot], loop, e) < 0)
			return -1;
		slot++;
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct virtio_dev *d = s->dev[i];

		if (io_bus_add(mmio, d->base, VIRTIO_MMIO_SIZE, virtio_mmio_io, d, e) < 0)
			return -1;
		for (unsigned q = 0; q < d->ops->nqueues; q++) {
			struct virtio_kick *k = &s->kicks[s->nkicks++];
			*k = (struct virtio_kick){ d, q };
			if (event_loop_add(loop, d->notify_fd[q], EPOLLIN, on_kick, k, e) < 0)
				return -1;
		}
	}
	return 0;
}

/* VMM_STATS=1: notification and interrupt counts per device on stderr, for
 * the benchmarks (each notification is a guest exit). */
static void print_stats(const struct virtio_slots *s)
{
	const char *on = getenv("VMM_STATS");

	if (!on || strcmp(on, "1") != 0)
		return;
	for (unsigned i = 0; i < s->n; i++)
		fprintf(stderr, "vmm: stats: %s: notifies %llu interrupts %llu\n", s->dev[i]->name,
			(unsigned long long)s->dev[i]->notifies, (unsigned long long)s->dev[i]->interrupts);
	if (s->has_vsock) {
		const struct vsock_stats *v = &s->vsock.stats;
		fprintf(stderr,
			"vmm: stats: virtio-vsock: to guest %llu packets %llu bytes, from guest %llu packets %llu bytes, "
			"connections %llu, resets sent %llu, bad packets %llu\n",
			(unsigned long long)v->rx_pkts, (unsigned long long)v->rx_bytes, (unsigned long long)v->tx_pkts,
			(unsigned long long)v->tx_bytes, (unsigned long long)v->conns, (unsigned long long)v->rsts_sent,
			(unsigned long long)v->bad_pkts);
	}
}

void virtio_slots_close(struct virtio_slots *s)
{
	print_stats(s);
	if (s->has_vsock) /* its connections first; it destroys its own transport */
		vsock_dev_destroy(&s->vsock);
	for (unsigned i = 0; i < s->n; i++)
		if (s->dev[i]->ops && s->dev[i] != &s->vsock.dev)
			virtio_dev_destroy(s->dev[i]);
	for (unsigned i = 0; i < s->nblk; i++)
		virtio_blk_close(&s->blk[i]);
}
