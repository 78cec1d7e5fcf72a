/* Loading the site. A disk up to site.ram_max bytes (default 4 MiB) is read
 * whole into memory with a few large reads (bodies are then sent straight
 * from it, zero-copy); a larger one is indexed through a 64 KiB read cache
 * and its bodies stream from the disk in chunks at request time, so a 50 MB
 * file costs no more memory than a small one. */
#include "site.h"

#include "app.h"
#include "db.h"

#include "blk.h"

#define CACHE_SIZE (64u << 10)
#define DEFAULT_RAM_MAX (4u << 20)
#define CONF_MAX (64u << 10)

struct site site;
struct site_conf conf;
struct http_server server;
bool site_in_ram;

static uint8_t *cache;
static uint64_t cache_off = ~0ull;

static int cached_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	uint8_t *out = buf;

	(void)ctx;
	while (len) {
		uint64_t blk = off & ~(uint64_t)(CACHE_SIZE - 1);
		if (blk != cache_off) {
			uint32_t n = (uint32_t)MIN((uint64_t)CACHE_SIZE, blk_bytes - blk);
			cache_off = ~0ull;
			if (blk_read_sync(blk_site_disk(), blk / BLK_SECTOR, cache, n / BLK_SECTOR) != BLK_OK)
				return -1;
			cache_off = blk;
		}
		size_t k = (size_t)MIN((uint64_t)len, blk + CACHE_SIZE - off);
		memcpy(out, cache + (off - blk), k);
		out += k;
		off += k;
		len -= k;
	}
	return 0;
}

static uint64_t cmdline_u64(const char *key, uint64_t def)
{
	size_t n;
	const char *v = cmdline_get(key, 0, &n);
	uint64_t x = 0;

	if (!v)
		return def;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (1ull << 50))
			panic(EXIT_CMDLINE, "%s=%.*s is not a number", key, (int)n, v);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	return x;
}

static void log_line(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	kwrite(line, n);
	kwrite("\n", 1);
}

void site_load(void)
{
	struct site_image img;
	uint64_t size = blk_bytes;
	uint64_t ram_max = cmdline_u64("site.ram_max", DEFAULT_RAM_MAX);

	if (size < 1024)
		panic(EXIT_SITE_CORRUPT, "the site disk is empty (%lu bytes): expected a tar archive", size);
	if (size <= ram_max && size <= mem_free_bytes() / 2) {
		uint8_t *mem = kalloc(size);
		if (blk_read_sync(blk_site_disk(), 0, mem, size / BLK_SECTOR) != BLK_OK)
			panic(EXIT_DISK_IO, "reading the site disk (%lu bytes) failed", size);
		site_image_mem(&img, mem, size);
		site_in_ram = true;
	} else {
		cache = kalloc(CACHE_SIZE);
		img = (struct site_image){ size, NULL, cached_read, NULL };
	}
	/* Every entry costs a 512-byte header; names are at most 512 bytes.
	 * Untouched arena pages cost nothing. */
	uint64_t arena_len = MIN(size / 512 * (sizeof(struct site_entry) + 64) + (256u << 10),
				 mem_free_bytes() / 2);
	void *arena = kalloc(arena_len);
	if (site_open(&site, &img, arena, arena_len) < 0)
		panic(EXIT_SITE_CORRUPT, "the site archive is unusable: %s", site.err);
	size_t files = 0;
	for (size_t i = 0; i < site.n; i++)
		files += !site.ent[i].is_dir;
	if (!files)
		panic(EXIT_SITE_CORRUPT, "the site archive holds no files");

	site_conf_default(&conf);
	const struct site_entry *e = site_find(&site, "site.conf", 9);
	if (e) {
		if (e->is_dir || e->size > CONF_MAX)
			panic(EXIT_SITE_CONF, "site.conf is %s", e->is_dir ? "a directory" : "larger than 64 KiB");
		/* The parsed config points into its text for good: with the
		 * archive in memory that is the archive's copy (the parser reads
		 * a length, not a terminator), not one more page per VM. */
		const char *text = site_in_ram ? site_data(&site, e) : NULL;
		if (!text) {
			char *copy = kalloc(e->size + 1);
			if (site_read(&site, e, 0, copy, e->size) < 0)
				panic(EXIT_DISK_IO, "reading site.conf failed");
			copy[e->size] = 0;
			text = copy;
		}
		if (site_conf_parse(&conf, text, e->size) < 0)
			panic(EXIT_SITE_CONF, "%s", conf.err);
		/* error pages and app scripts must be files of the archive */
		if (site_conf_check(&conf, &site) < 0)
			panic(EXIT_SITE_CONF, "%s", conf.err);
		if (conf.napp)
			db_init(&site);          /* the data disk, if any; schema.sql */
		app_init(&site, &conf, &server); /* reads the scripts: before the cache goes */
	} else {
		kputs("site: no site.conf in the archive: defaults (any host, no redirects)\n");
	}
	if (cache) {
		free_pages(cache, CACHE_SIZE / 4096);
		cache = NULL;
		cache_off = ~0ull;
	}
	server.site = &site;
	server.conf = &conf;
	server.server_name = "vmm-site";
	server.log = log_line;
	server.log_ctx = NULL;
	kprintf("site: %lu entries (%lu files) in a %lu KiB archive, %s\n", (uint64_t)site.n, (uint64_t)files,
		size >> 10, site_in_ram ? "held in memory" : "streamed from disk");
}
