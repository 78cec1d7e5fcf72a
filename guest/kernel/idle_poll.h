/* Adaptive polling before sleeping. On a PVM host a sleep costs a ring-0
 * round trip and an interrupt (~40 us of the vCPU, and as much again of
 * latency); under load the next request is usually a few tens of
 * microseconds away, so polling the rings at ring 3 (native speed, no
 * exits) catches it for less. The window adapts as KVM's halt polling
 * does: after each sleep that followed a busy pass, it doubles when the
 * whole wait (poll and sleep) was within the maximum, so a longer poll
 * would have caught it, and halves when it was longer. A site that wakes
 * only for its timers, or for sparse requests, never polls. */
#ifndef GUEST_KERNEL_IDLE_POLL_H
#define GUEST_KERNEL_IDLE_POLL_H

#include <stdbool.h>
#include <stdint.h>

struct idle_poll {
	uint64_t max_ns; /* 0: never poll */
	uint64_t cur_ns; /* the current window, 0 to max_ns */
};

void idle_poll_init(struct idle_poll *p, uint64_t max_ns);
/* After a busy pass: polls ready() for up to the current window. Returns
 * whether it found work. */
bool idle_poll_run(struct idle_poll *p, bool (*ready)(void));
/* After a sleep that followed a busy pass and ended by a device's
 * interrupt: idle_ns is the whole wait, poll and sleep. */
void idle_poll_slept(struct idle_poll *p, uint64_t idle_ns);

#endif
