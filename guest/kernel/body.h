/* A response body's bytes, in place, wherever they are: in the archive held
 * in memory, or on the disk through a cache of up to 32 chunks of 64 KiB
 * shared by every connection (a popular file is read once), read ahead
 * asynchronously and evicted least recently used first. nginx's buffer that
 * is either in memory or in a file is the idea. The transport (vsock.c)
 * points its packets straight at these bytes. */
#ifndef GUEST_KERNEL_BODY_H
#define GUEST_KERNEL_BODY_H

#include "kernel.h"
#include "http/site_tar.h"

struct chunk;

struct body {
	const struct site_entry *entry; /* NULL: no body from the site */
	const uint8_t *mem;             /* else an app response's bytes, or NULL: none */
	uint64_t pos, end;              /* entry data offsets still to send */
	struct chunk *ck[2];            /* from disk: the current and the prefetched chunk */
	bool waiting;                   /* needs a chunk being read, or none is free */
};

/* wake is called when chunks change (a read ends, one is freed) while some
 * body waits: the caller retries the bodies with `waiting` set. */
void body_cache_init(void (*wake)(void));
/* A new body (entry NULL: none); the old one's chunks are let go. */
void body_set(struct body *b, const struct site_entry *e, uint64_t pos, uint64_t end);
/* A body in memory (an app's response), valid until the next body_set. */
void body_set_mem(struct body *b, const void *mem, uint64_t len);
static inline bool body_left(const struct body *b) { return (b->entry || b->mem) && b->pos < b->end; }
/* The bytes at b->pos: returns how many are there (*p; *k the chunk they
 * lie in, NULL in memory), 0 when not yet (a read was started if it could
 * be: wait for wake), -1 when the disk failed. */
int64_t body_peek(struct body *b, const uint8_t **p, struct chunk **k);
/* A packet points into k until chunk_unref(k) (k may be NULL). */
void chunk_ref(struct chunk *k);
void chunk_unref(struct chunk *k);

#endif
