/* virtio-blk as a device type: `--disk FILE[,ro]`, one device per disk. The
 * files are run-long resources (host_open): opened and locked once, each
 * boot's devices borrow them. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "machine/devices.h"
#include "virtio/blk.h"

#define MAX_DISKS 8

/* n first, then the disks in order: of its 32 KiB only the pages the
 * paths given reach become resident (util/zalloc.h). */
struct blk_run_config {
	unsigned n;
	struct disk_config disks[MAX_DISKS];
};

static const struct device_option options[] = {
	{ "disk", true,
	  "      --disk FILE[,ro]   a raw disk image as virtio-blk (repeatable, up to 8); read-write\n"
	  "                         disks are locked against a second VM; FILE may be fd:N\n" },
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

/* The disks of the whole run, opened and locked before the first boot. */
struct blk_host {
	struct blk_disk disks[MAX_DISKS];
	unsigned n;
};

static void host_close(void *host)
{
	struct blk_host *h = host;

	for (unsigned i = 0; i < h->n; i++)
		blk_disk_close(&h->disks[i]);
	free(h);
}

static int host_open(void *config, void **host, struct err *e)
{
	const struct blk_run_config *c = config;
	struct blk_host *h = calloc(1, sizeof *h);

	if (!h)
		return err_set(e, "out of memory");
	for (; h->n < c->n; h->n++)
		if (blk_disk_open(&h->disks[h->n], &c->disks[h->n], e) < 0) {
			host_close(h);
			return -1;
		}
	*host = h;
	return 0;
}

static int attach(void *state, unsigned i, const struct device_env *env, uint64_t base, unsigned gsi, void *host,
		  struct err *e)
{
	struct blk_host *h = host;

	virtio_blk_init(state, &h->disks[i]);
	return virtio_blk_attach(state, i, env->mem, env->kvm, base, gsi, e);
}

static void close_disk(void *state)
{
	struct virtio_blk *b = state;

	if (b->dev.ops)
		virtio_dev_destroy(&b->dev);
}

_Static_assert(offsetof(struct virtio_blk, dev) == 0, "the transport finds the device at the start of its state");

const struct device_type blk_device_type = {
	.name = "virtio-blk",
	.options = options,
	.config_size = sizeof(struct blk_run_config),
	.parse = parse,
	.count = count,
	.host_open = host_open,
	.host_close = host_close,
	.state_size = sizeof(struct virtio_blk),
	.attach = attach,
	.close = close_disk,
};
