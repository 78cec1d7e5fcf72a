/* virtio-blk as a device type: `--disk FILE[,ro]`, one device per disk. */
#include <stddef.h>
#include <stdio.h>

#include "machine/devices.h"
#include "virtio/blk.h"

#define MAX_DISKS 8

struct blk_run_config {
	struct disk_config disks[MAX_DISKS];
	unsigned n;
};

static const struct device_option options[] = {
	{ "disk", true,
	  "      --disk FILE[,ro]   a raw disk image as virtio-blk (repeatable, up to 8); read-write\n"
	  "                         disks are locked against a second VM\n" },
	{ NULL, false, NULL },
};

static int parse(void *config, unsigned opt, const char *arg, struct err *e)
{
	struct blk_run_config *c = config;

	(void)opt;
	if (c->n == MAX_DISKS)
		return err_set(e, "--disk: at most %u disks", MAX_DISKS);
	if (disk_config_parse(arg, &c->disks[c->n], e) < 0)
		return -1;
	c->n++;
	return 0;
}

static unsigned count(const void *config)
{
	return ((const struct blk_run_config *)config)->n;
}

static int open_disk(void *state, const void *config, unsigned i, struct err *e)
{
	const struct blk_run_config *c = config;

	return virtio_blk_open(state, &c->disks[i], e);
}

static int attach(void *state, unsigned i, const struct device_env *env, uint64_t base, unsigned gsi, void *host,
		  struct err *e)
{
	(void)host;
	return virtio_blk_attach(state, i, env->mem, env->kvm, base, gsi, e);
}

static void close_disk(void *state)
{
	struct virtio_blk *b = state;

	if (b->dev.ops)
		virtio_dev_destroy(&b->dev);
	virtio_blk_close(b);
}

_Static_assert(offsetof(struct virtio_blk, dev) == 0, "the transport finds the device at the start of its state");

const struct device_type blk_device_type = {
	.name = "virtio-blk",
	.options = options,
	.config_size = sizeof(struct blk_run_config),
	.parse = parse,
	.count = count,
	.state_size = sizeof(struct virtio_blk),
	.open = open_disk,
	.attach = attach,
	.close = close_disk,
};
