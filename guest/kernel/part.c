/* site.part=KIND:FIRST:COUNT: the partitions of a single-file site image
 * (abi/site_image.h). The firmware that booted us read the image's GPT and
 * says where the content (the archive) and the data (the database) lie on
 * the first disk, in 512-byte sectors; without these entries the kernel
 * reads whole disks as in a direct boot (archive on the first, database on
 * the second). */
#include "kernel.h"

#include "blk.h"

/* A decimal number up to 2^40 (a disk's largest sector count), ending at
 * *s's ':' or at end; advances *s past it. */
static bool number(const char **s, const char *end, uint64_t *out)
{
	const char *p = *s;
	uint64_t x = 0;

	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p != ':'; p++) {
		if (*p < '0' || *p > '9' || x > (1ull << 40))
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = x;
	return true;
}

void blk_partitions(void)
{
	uint64_t first[2] = { 0, 0 }, count[2] = { 0, 0 };
	bool seen[2] = { false, false };
	size_t n;
	const char *v;

	for (unsigned i = 0; (v = cmdline_get("site.part", i, &n)); i++) {
		const char *p = v, *end = v + n;
		bool data;

		if (n > 8 && !memcmp(v, "content:", 8)) {
			data = false;
			p += 8;
		} else if (n > 5 && !memcmp(v, "data:", 5)) {
			data = true;
			p += 5;
		} else {
			panic(EXIT_CMDLINE, "site.part=%.*s: expected content:FIRST:COUNT or data:FIRST:COUNT", (int)n, v);
		}
		if (!number(&p, end, &first[data]) || p == end || *p++ != ':' || !number(&p, end, &count[data]) ||
		    p != end || count[data] == 0)
			panic(EXIT_CMDLINE, "site.part=%.*s: expected %s:FIRST:COUNT (sectors, COUNT > 0)", (int)n, v,
			      data ? "data" : "content");
		if (seen[data])
			panic(EXIT_CMDLINE, "site.part=%.*s: a second %s partition", (int)n, v, data ? "data" : "content");
		seen[data] = true;
	}
	/* Overlapping windows would let the database's writes land in the
	 * archive. */
	if (seen[0] && seen[1] && first[0] < first[1] + count[1] && first[1] < first[0] + count[0])
		panic(EXIT_PARTITION, "site.part: the content (%lu+%lu) and data (%lu+%lu) partitions overlap", first[0],
		      count[0], first[1], count[1]);
	for (unsigned d = 0; d < 2; d++) {
		if (!seen[d])
			continue;
		struct blk_dev *w = blk_window(d, first[d], count[d]);
		kprintf("site: %s: sectors %lu-%lu of the first disk (%lu KiB), %s\n", w->what, first[d],
			first[d] + count[d] - 1, count[d] / 2, w->readonly ? "read-only" : "read-write");
	}
}
