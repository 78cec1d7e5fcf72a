/* virtio-vsock driver and the HTTP connections on top of it. */
#ifndef GUEST_KERNEL_VSOCK_H
#define GUEST_KERNEL_VSOCK_H

#include "virtio.h"

#include "abi/vsock.h"

#define HTTP_PORT 80

extern struct vdev *vsock_dev;
extern uint64_t guest_cid;

void vsock_init(struct vdev *d);
/* One pass of work: received packets, completions, responses. True when
 * anything happened (then run another pass before sleeping). */
bool vsock_poll(void);
/* Before sleeping: turns on the interrupts worth waking for; false when
 * something is already waiting (do not sleep). Returns the next deadline
 * (unix ms, 0 for none) through *deadline. */
bool vsock_prepare_sleep(uint64_t *deadline);
/* Whether any of the device's queues has used entries to collect. */
bool vsock_has_used(void);
void vsock_after_sleep(void);
/* Cooperative shutdown: refuse new connections, finish current responses. */
void vsock_begin_shutdown(void);
bool vsock_drained(void);
unsigned vsock_open_conns(void);

#endif
