#include "machine/virtio_slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "util/zalloc.h"

/* ISA-range lines, edge-triggered by default in guests; 4 is COM1, 9 the power SCI. */
const unsigned virtio_slot_gsi[VIRTIO_SLOTS_MAX] = VIRTIO_SLOT_GSIS;

int virtio_hosts_open(struct virtio_hosts *h, struct vm_config *cfg, struct err *e)
{
	memset(h, 0, sizeof *h);
	for (unsigned t = 0; device_types[t]; t++) {
		const struct device_type *type = device_types[t];

		if (!cfg->dev_config[t] || !type->host_open)
			continue;
		if (type->host_open(cfg->dev_config[t], &h->host[t], e) < 0) {
			virtio_hosts_close(h);
			return -1;
		}
	}
	return 0;
}

void virtio_hosts_close(struct virtio_hosts *h)
{
	for (unsigned t = 0; device_types[t]; t++)
		if (h->host[t])
			device_types[t]->host_close(h->host[t]);
	memset(h, 0, sizeof *h);
}

/* How many devices of type the configuration asks for (none without one). */
static unsigned instances(const struct device_type *type, const void *config)
{
	if (!config)
		return 0;
	return type->count ? type->count(config) : 1;
}

int virtio_slots_open(struct virtio_slots *s, const struct vm_config *cfg, const struct virtio_hosts *hosts,
		      struct err *e)
{
	unsigned want = 0;

	memset(s, 0, sizeof *s);
	for (unsigned t = 0; device_types[t]; t++)
		want += instances(device_types[t], cfg->dev_config[t]);
	if (want > VIRTIO_SLOTS_MAX)
		return err_set(e, "too many virtio devices: at most %u", VIRTIO_SLOTS_MAX);
	for (unsigned t = 0; device_types[t]; t++) {
		const struct device_type *type = device_types[t];
		unsigned n = instances(type, cfg->dev_config[t]);

		for (unsigned i = 0; i < n; i++) {
			struct virtio_slot *slot = &s->slot[s->n];

			slot->state = zalloc(type->state_size);
			if (!slot->state)
				return err_set(e, "out of memory");
			if (type->open && type->open(slot->state, cfg->dev_config[t], i, e) < 0) {
				zfree(slot->state, type->state_size);
				slot->state = NULL;
				return -1;
			}
			slot->type = type;
			slot->index = i;
			slot->host = hosts ? hosts->host[t] : NULL;
			s->n++;
		}
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

int virtio_slots_attach(struct virtio_slots *s, const struct device_env *env, struct io_bus *mmio, struct err *e)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct virtio_slot *slot = &s->slot[i];
		uint64_t base = GPA_VIRTIO_MMIO + i * VIRTIO_MMIO_SIZE;
		struct virtio_dev *d;

		if (slot->type->attach(slot->state, slot->index, env, base, virtio_slot_gsi[i], slot->host, e) < 0)
			return -1;
		d = slot->state; /* a device type's state begins with its transport */
		if (io_bus_add(mmio, d->base, VIRTIO_MMIO_SIZE, virtio_mmio_io, d, e) < 0)
			return -1;
		for (unsigned q = 0; q < d->ops->nqueues; q++) {
			struct virtio_kick *k = &s->kicks[s->nkicks++];
			*k = (struct virtio_kick){ d, q };
			if (event_loop_add(env->loop, d->notify_fd[q], EPOLLIN, on_kick, k, e) < 0)
				return -1;
		}
	}
	return 0;
}

bool virtio_slots_in_use(const struct virtio_slots *s, uint64_t *activity)
{
	bool used = false;

	*activity = 0;
	for (unsigned i = 0; i < s->n; i++) {
		const struct virtio_slot *slot = &s->slot[i];

		if (slot->type->in_use && slot->type->in_use(slot->state, slot->host, activity))
			used = true;
	}
	return used;
}

void virtio_slots_quiesce(const struct virtio_slots *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->slot[i].type->quiesce)
			s->slot[i].type->quiesce(s->slot[i].state, s->slot[i].host);
}

/* VMM_STATS=1: notification and interrupt counts per device on stderr, for
 * the benchmarks (each notification is a guest exit). */
static void print_stats(const struct virtio_slots *s)
{
	const char *on = getenv("VMM_STATS");

	if (!on || strcmp(on, "1") != 0)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		const struct virtio_slot *slot = &s->slot[i];
		const struct virtio_dev *d = slot->state;

		if (!d->ops)
			continue; /* never attached */
		fprintf(stderr, "vmm: stats: %s: notifies %llu interrupts %llu\n", d->name,
			(unsigned long long)d->notifies, (unsigned long long)d->interrupts);
		if (slot->type->print_stats)
			slot->type->print_stats(slot->state);
	}
}

void virtio_slots_close(struct virtio_slots *s)
{
	print_stats(s);
	for (unsigned i = 0; i < s->n; i++) {
		s->slot[i].type->close(s->slot[i].state);
		zfree(s->slot[i].state, s->slot[i].type->state_size);
	}
	s->n = 0;
}
