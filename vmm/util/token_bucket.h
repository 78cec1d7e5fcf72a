/* A token bucket: bytes per second with a burst, in whole bytes, driven by
 * a clock the caller reads (so tests can drive it). Sub-byte credit carries
 * over between calls, so a caller writing one byte at a time (the UART) gets
 * the same rate as one writing 64 KiB records. */
#ifndef VMM_UTIL_TOKEN_BUCKET_H
#define VMM_UTIL_TOKEN_BUCKET_H

#include <stdint.h>

#define NS_PER_S 1000000000ull

struct token_bucket {
	uint64_t rate;    /* bytes per second; 0: unlimited */
	uint64_t burst;   /* the most bytes saved up */
	uint64_t credit;  /* saved up, in byte-nanoseconds (bytes * NS_PER_S) */
	int64_t last_ns;  /* clock at the last refill */
};

/* Starts full. burst must be at most TOKEN_BUCKET_BURST_MAX. */
void token_bucket_init(struct token_bucket *b, uint64_t rate, uint64_t burst, int64_t now_ns);
/* Takes want bytes if the bucket holds them and returns want, else takes
 * nothing and returns 0: a record goes out whole or not at all, so what
 * passes stays readable. A want above the burst could never pass whole; it
 * gets the burst's worth (its first bytes) once the bucket is full.
 * Unlimited: always want. */
uint64_t token_bucket_take(struct token_bucket *b, uint64_t want, int64_t now_ns);

#define TOKEN_BUCKET_BURST_MAX (1ull << 30) /* credit stays below 2^64 */

#endif
