/* A kind of virtio device, as `vmm run` knows it: the command-line options
 * it owns, the configuration they build, the host resources it keeps for the
 * whole run (across guest resets), and how each boot opens, attaches and
 * closes its instances. A new device is a file defining one device_type and
 * one line in machine/devices.c; the transport hands out its register window
 * and interrupt (machine/virtio_slots.c). */
#ifndef VMM_MACHINE_DEVICE_TYPE_H
#define VMM_MACHINE_DEVICE_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/event_loop.h"
#include "kvm/kvm.h"
#include "mem/guest_mem.h"
#include "util/err.h"
#include "virtio/mmio.h"

struct device_option {
	const char *name;  /* the long option, without "--"; NULL ends the list */
	bool has_arg;
	const char *help;  /* its lines of `vmm run --help`, each ending in \n */
};

/* What a boot gives its devices. */
struct device_env {
	struct guest_mem *mem;
	struct kvm_vm *kvm;       /* NULL in unit tests */
	struct event_loop *loop;  /* the boot's I/O loop */
};

struct device_type {
	const char *name;
	const struct device_option *options;
	size_t config_size;   /* allocated zeroed when the first of its options is seen */
	/* One of its options: options[opt], with its argument (NULL if none).
	 * NULL: the option only asks for the device. */
	int (*parse)(void *config, unsigned opt, const char *arg, struct err *e);
	/* How many devices (virtio slots) the configuration asks for; NULL: one. */
	unsigned (*count)(const void *config);

	/* Optional: resources that live as long as `vmm run` (claimed before the
	 * first boot, kept across resets); *host is handed to attach. */
	int (*host_open)(void *config, void **host, struct err *e);
	void (*host_close)(void *host);

	/* One instance, allocated zeroed per boot. It begins with its struct
	 * virtio_dev, where the transport finds it (each type asserts that). */
	size_t state_size;
	/* Opens what instance i needs from the host (files, sockets): errors
	 * here are the user's to fix. On failure it leaves nothing open.
	 * NULL: nothing to open. */
	int (*open)(void *state, const void *config, unsigned i, struct err *e);
	/* Binds the transport at base/gsi and joins the boot's loop. */
	int (*attach)(void *state, unsigned i, const struct device_env *env, uint64_t base, unsigned gsi,
		      void *host, struct err *e);
	/* Optional, for --idle-stop (I/O thread): whether the instance is in
	 * use now (an open connection, a client waiting to be taken); adds to
	 * *activity a count that grows with each use, so that use which came
	 * and went between two looks is seen too. A type without it is never
	 * in use. */
	bool (*in_use)(void *state, void *host, uint64_t *activity);
	/* Optional, for --idle-stop (I/O thread): the guest is about to be
	 * stopped; take no new work (clients wait where they are). */
	void (*quiesce)(void *state, void *host);
	/* Optional: paths it opens while the guest runs (unix sockets to
	 * connect to): the jail keeps their directories. Fills at most max,
	 * returns how many it has. */
	unsigned (*run_paths)(const void *config, const char **out, unsigned max);
	/* Optional: device-specific counters on stderr (VMM_STATS=1). */
	void (*print_stats)(const void *state);
	/* Closes an opened instance, attached or not. */
	void (*close)(void *state);
};

#endif
