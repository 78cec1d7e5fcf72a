/* --idle-stop: the clock that powers off a guest nobody uses (scale to
 * zero). Each boot runs one in its I/O loop: a timerfd tick asks the devices
 * whether the guest is in use (open vsock connections, clients waiting on a
 * --publish listener); after the configured time unused it quiesces them
 * first, so that clients from then on wait in the listeners' backlogs, then
 * asks the guest to power off, and stops it after IDLE_STOP_GRACE_S if it
 * has not. Look, decision and quiescing all run on the I/O thread, the one
 * that accepts clients, so no client is accepted in between. */
#ifndef VMM_MACHINE_IDLE_STOP_H
#define VMM_MACHINE_IDLE_STOP_H

#include <stdbool.h>
#include <stdint.h>

#include "host/event_loop.h"
#include "machine/virtio_slots.h"
#include "util/err.h"

#define IDLE_STOP_GRACE_S 10

/* What the machine does for the clock (called on the I/O thread). */
struct idle_stop_ops {
	void (*ask_poweroff)(void *ctx);   /* cooperative, as SIGPWR */
	void (*force_poweroff)(void *ctx); /* the guest let the grace time pass */
};

struct idle_stop {
	const char *name;     /* the VM's, for the stderr line */
	unsigned seconds;
	int timer_fd;         /* -1: not running */
	const struct virtio_slots *slots;
	const struct idle_stop_ops *ops;
	void *ctx;
	uint64_t activity;    /* the devices' use count at the last look */
	uint64_t idle_since;  /* CLOCK_MONOTONIC ns */
	uint64_t asked_at;    /* when the guest was asked to power off; 0: not yet */
	bool forced;
};

/* Starts the clock (idle from now) in loop, ticking every quarter of
 * seconds (> 0), between 100 ms and 1 s. */
int idle_stop_start(struct idle_stop *s, const char *name, unsigned seconds, const struct virtio_slots *slots,
		    struct event_loop *loop, const struct idle_stop_ops *ops, void *ctx, struct err *e);
/* Closes the timer (the loop is closed or about to be). */
void idle_stop_close(struct idle_stop *s);

#endif
