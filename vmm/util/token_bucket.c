#include "util/token_bucket.h"

void token_bucket_init(struct token_bucket *b, uint64_t rate, uint64_t burst, int64_t now_ns)
{
	b->rate = rate;
	b->burst = burst;
	b->credit = burst * NS_PER_S;
	b->last_ns = now_ns;
}

uint64_t token_bucket_take(struct token_bucket *b, uint64_t want, int64_t now_ns)
{
	uint64_t cap = b->burst * NS_PER_S, have;

	if (!b->rate)
		return want;
	/* A clock that went back (it should not: callers use CLOCK_MONOTONIC)
	 * gives nothing rather than a huge refill. */
	if (now_ns > b->last_ns) {
		unsigned __int128 add = (unsigned __int128)(uint64_t)(now_ns - b->last_ns) * b->rate;

		b->credit = add >= cap - b->credit ? cap : b->credit + (uint64_t)add;
	}
	b->last_ns = now_ns;
	have = b->credit / NS_PER_S;
	if (want > b->burst && have == b->burst)
		want = b->burst;
	else if (want > have)
		return 0;
	b->credit -= want * NS_PER_S;
	return want;
}
