/* virtio-vsock packets as the device reads and writes them: the header and
 * its values are the guest interface's (abi/vsock.h). Guest memory is only
 * ever copied, never cast, so a header is decoded into a local copy. */
#ifndef VMM_VIRTIO_VSOCK_PKT_H
#define VMM_VIRTIO_VSOCK_PKT_H

#include <stdint.h>
#include <string.h>

#include "abi/vsock.h"

static inline void vsock_hdr_decode(const uint8_t *b, struct vsock_hdr *h)
{
	memcpy(h, b, VSOCK_HDR_SIZE);
}

static inline void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t *b)
{
	memcpy(b, h, VSOCK_HDR_SIZE);
}

#endif
