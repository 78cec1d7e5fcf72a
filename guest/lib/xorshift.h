/* xorshift64 (Marsaglia): cheap, reproducible pseudo-random numbers for the
 * test guests and the tests (the ring3 guest's workload is recomputed by its
 * host test, so both must step it the same way). Not for anything secret. */
#ifndef GUEST_LIB_XORSHIFT_H
#define GUEST_LIB_XORSHIFT_H

#include <stdint.h>

#define XORSHIFT_SEED 0x9e3779b97f4a7c15ull

static inline uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif
