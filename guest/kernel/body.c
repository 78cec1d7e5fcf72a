#include "body.h"

#include "blk.h"
#include "site.h"

#define CHUNK (64u << 10)
#define MAX_CHUNKS 32

struct chunk {
	struct chunk *next; /* the cache */
	uint8_t *buf;
	uint64_t off;       /* disk offset of buf[0] */
	uint32_t len;
	int refs;           /* packets still pointing into it */
	int users;          /* bodies holding it */
	uint64_t last_use;
	bool ready, failed, reading;
};

static struct chunk *chunks;
static unsigned nchunks, waiters;
static uint64_t chunk_clock;
static void (*wake_fn)(void);

void body_cache_init(void (*wake)(void))
{
	wake_fn = wake;
}

static void wake_waiters(void)
{
	if (!waiters)
		return;
	waiters = 0;
	if (wake_fn)
		wake_fn();
}

static void idle_check(struct chunk *k)
{
	if (k->refs == 0 && k->users == 0) {
		k->last_use = ++chunk_clock;
		wake_waiters();
	}
}

void chunk_ref(struct chunk *k)
{
	if (k)
		k->refs++;
}

void chunk_unref(struct chunk *k)
{
	if (k) {
		k->refs--;
		idle_check(k);
	}
}

static void release(struct chunk *k) /* a body is done with it */
{
	if (k) {
		k->users--;
		idle_check(k);
	}
}

static void read_done(void *ctx, bool ok)
{
	struct chunk *k = ctx;

	k->reading = false;
	k->ready = ok;
	k->failed = !ok;
	wake_waiters();
}

/* The chunk holding disk offset at (for an entry whose data ends at end),
 * from the cache or by starting a read. NULL when none can be had now. */
static struct chunk *chunk_get(uint64_t at, uint64_t end)
{
	struct chunk *k, *victim = NULL;

	for (k = chunks; k; k = k->next) {
		if (!k->failed && at >= k->off && at < k->off + k->len) {
			k->users++;
			return k;
		}
		if (!k->refs && !k->users && !k->reading && (!victim || k->last_use < victim->last_use))
			victim = k;
	}
	if (nchunks < MAX_CHUNKS) {
		k = alloc_pages(1);
		uint8_t *buf = alloc_pages(CHUNK / 4096);
		if (!k || !buf) {
			free_pages(k, 1);
			free_pages(buf, CHUNK / 4096);
			return NULL;
		}
		memset(k, 0, sizeof *k);
		k->buf = buf;
		k->next = chunks;
		chunks = k;
		nchunks++;
	} else if (victim) {
		k = victim;
	} else {
		return NULL;
	}
	uint64_t start = at & ~511ull;
	end = (end + 511) & ~511ull;
	if (end > blk_bytes)
		end = blk_bytes;
	if (end - start > CHUNK)
		end = start + CHUNK;
	k->off = start;
	k->len = (uint32_t)(end - start);
	k->ready = k->failed = false;
	k->refs = 0;
	k->users = 1;
	if (!blk_read_async(start, k->buf, k->len, read_done, k)) {
		k->users = 0;
		k->failed = true; /* unusable until reused */
		return NULL;
	}
	k->reading = true;
	return k;
}

void body_set(struct body *b, const struct site_entry *e, uint64_t pos, uint64_t end)
{
	release(b->ck[0]);
	release(b->ck[1]);
	b->ck[0] = b->ck[1] = NULL;
	b->waiting = false;
	b->entry = e;
	b->mem = NULL;
	b->pos = pos;
	b->end = e ? end : pos;
}

void body_set_mem(struct body *b, const void *mem, uint64_t len)
{
	body_set(b, NULL, 0, 0);
	b->mem = mem;
	b->end = mem ? len : 0;
}

int64_t body_peek(struct body *b, const uint8_t **p, struct chunk **k)
{
	uint64_t left = b->end - b->pos;

	*k = NULL;
	if (b->mem) {
		*p = b->mem + b->pos;
		return (int64_t)left;
	}
	if (site_in_ram) {
		*p = (const uint8_t *)site_data(&site, b->entry) + b->pos;
		return (int64_t)left;
	}
	uint64_t at = b->entry->off + b->pos, end = b->entry->off + b->end;
	for (;;) {
		struct chunk *ck = b->ck[0];
		if (!ck) {
			if (!(b->ck[0] = chunk_get(at, end)))
				goto wait;
			continue;
		}
		if (at < ck->off || at >= ck->off + ck->len) {
			release(ck); /* done with it: move on */
			b->ck[0] = b->ck[1];
			b->ck[1] = NULL;
			continue;
		}
		if (ck->failed)
			return -1;
		if (!ck->ready)
			goto wait;
		/* Prefetch the next chunk while this one goes out. */
		uint64_t next = ck->off + ck->len;
		if (!b->ck[1] && next < end)
			b->ck[1] = chunk_get(next, end);
		*p = ck->buf + (at - ck->off);
		*k = ck;
		return (int64_t)MIN(left, ck->off + ck->len - at);
	}
wait:
	if (!b->waiting) {
		b->waiting = true;
		waiters++;
	}
	return 0;
}
