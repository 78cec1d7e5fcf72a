/* What a virtio-blk disk is made of, as `--disk` gives it (and vmmd writes
 * it): a raw file, read-write or read-only. */
#ifndef VMM_VIRTIO_BLK_CONFIG_H
#define VMM_VIRTIO_BLK_CONFIG_H

#include <stdbool.h>

#include "util/err.h"

struct disk_config {
	bool readonly; /* first: a short path then leaves the rest of the page untouched */
	char path[4096];
};

/* "FILE", "FILE,ro" or "FILE,rw". */
int disk_config_parse(const char *arg, struct disk_config *out, struct err *e);

#endif
