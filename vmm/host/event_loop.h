/* A small epoll loop: the VMM's I/O thread waits here for host events
 * (console input, signals, vCPU requests, device queues and sockets).
 * Sources are kept in a table indexed by fd that grows on demand, so a VM
 * can have as many sockets as the process may open. */
#ifndef VMM_HOST_EVENT_LOOP_H
#define VMM_HOST_EVENT_LOOP_H

#include <stdint.h>

#include "util/err.h"

typedef void (*event_fn)(void *opaque, uint32_t events);

struct event_source {
	event_fn fn;      /* NULL: slot free */
	void *opaque;
	uint32_t gen;     /* tells a stale event (fd closed and reused in one batch) from a live one */
};

/* Work a callback asks to run once after the rest of its batch of events:
 * what many events in one batch would each do (a device's interrupt) is
 * done once for all of them. */
struct event_deferred {
	event_fn fn;
	void *opaque;
};
#define EVENT_LOOP_DEFER_MAX 8

struct event_loop {
	int epfd;
	int quit;
	struct event_source *src; /* indexed by fd */
	int nsrc;
	uint32_t gen;
	int in_batch;
	struct event_deferred deferred[EVENT_LOOP_DEFER_MAX];
	unsigned ndeferred;
};

int event_loop_init(struct event_loop *l, struct err *e);
void event_loop_close(struct event_loop *l);
int event_loop_add(struct event_loop *l, int fd, uint32_t events, event_fn fn, void *opaque, struct err *e);
int event_loop_mod(struct event_loop *l, int fd, uint32_t events);
void event_loop_del(struct event_loop *l, int fd);
/* Runs until event_loop_quit() is called from a callback. */
int event_loop_run(struct event_loop *l, struct err *e);
/* Waits up to timeout_ms (-1: forever) and handles one batch of events;
 * returns how many there were (0: none in time, or a signal came). */
int event_loop_run_once(struct event_loop *l, int timeout_ms, struct err *e);
void event_loop_quit(struct event_loop *l);
/* Runs fn(opaque, 0) once after the current batch's callbacks (once however
 * often it is asked for in the batch); at once when called outside a batch
 * or when too much is deferred already. */
void event_loop_defer(struct event_loop *l, event_fn fn, void *opaque);
/* Forgets what was deferred for opaque (it is being freed). */
void event_loop_cancel_deferred(struct event_loop *l, void *opaque);

#endif
