/* How the virtio fuzzers turn input words into a queue's state: size, ring
 * addresses inside the fuzzer's RAM, and both indices. The queue is live
 * only if the transport would have accepted it (virtq_validate). */
#ifndef TESTS_FUZZ_FUZZ_QUEUE_H
#define TESTS_FUZZ_FUZZ_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "virtio/virtq.h"

/* Splits a fuzz input into nw control words and guest RAM from address 0
 * (the first 64 KiB cleared first). False when the input is too short. */
static inline bool fuzz_load(const uint8_t *data, size_t size, uint32_t *w, size_t nw, const struct guest_mem *m)
{
	size_t n, head = nw * sizeof *w;

	if (size < head)
		return false;
	memcpy(w, data, head);
	n = size - head < m->size ? size - head : m->size;
	memset(m->host, 0, 64 << 10);
	memcpy(m->host, data + head, n);
	return true;
}

/* w[0..5]: num, desc, avail, used, last_avail, used_idx; ram_size a power of two. */
static inline void fuzz_set_queue(struct virtq *q, const struct guest_mem *m, uint64_t ram_size, const uint32_t *w)
{
	memset(q, 0, sizeof *q);
	q->num = (uint16_t)w[0];
	q->desc_gpa = w[1] & (ram_size - 1);
	q->avail_gpa = w[2] & (ram_size - 1);
	q->used_gpa = w[3] & (ram_size - 1);
	q->last_avail = (uint16_t)w[4];
	q->used_idx = (uint16_t)w[5];
	q->ready = virtq_validate(q, m, NULL) == 0;
}

#endif
