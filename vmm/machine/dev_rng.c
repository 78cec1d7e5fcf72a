/* virtio-rng as a device type: `--rng`. */
#include <stddef.h>

#include "machine/devices.h"
#include "virtio/rng.h"

static const struct device_option options[] = {
	{ "rng", false, "      --rng              a virtio entropy device fed from getrandom()\n" },
	{ NULL, false, NULL },
};

/* The option alone asks for the device: nothing to configure or open. */
struct rng_run_config {
	int unused;
};

static int attach(void *state, unsigned i, const struct device_env *env, uint64_t base, unsigned gsi, void *host,
		  struct err *e)
{
	(void)i, (void)host;
	return virtio_rng_attach(state, env->mem, env->kvm, base, gsi, e);
}

static void close_rng(void *state)
{
	struct virtio_rng *r = state;

	if (r->dev.ops)
		virtio_dev_destroy(&r->dev);
}

_Static_assert(offsetof(struct virtio_rng, dev) == 0, "the transport finds the device at the start of its state");

const struct device_type rng_device_type = {
	.name = "virtio-rng",
	.options = options,
	.config_size = sizeof(struct rng_run_config),
	.state_size = sizeof(struct virtio_rng),
	.attach = attach,
	.close = close_rng,
};
