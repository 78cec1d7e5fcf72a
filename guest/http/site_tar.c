/* Tar layout (POSIX.1-2001 ustar/pax): 512-byte header blocks, each followed
 * by the entry's data padded to 512; the archive ends with a zero block (tar
 * writes two). Every number and name comes from the disk, so all are checked
 * before use: sizes against the image, names against escapes. */
#include "site_tar.h"
#include "http_buf.h"
#include "http_mem.h"

#define BLK 512

/* Header field offsets and widths. */
#define H_NAME 0
#define H_SIZE 124
#define H_MTIME 136
#define H_CHKSUM 148
#define H_TYPE 156
#define H_LINK 157
#define H_MAGIC 257
#define H_PREFIX 345

static int rd(const struct site_image *im, uint64_t off, void *buf, size_t len)
{
	if (off > im->size || len > im->size - off)
		return -1;
	if (im->mem) {
		hm_memcpy(buf, im->mem + off, len);
		return 0;
	}
	return im->read ? im->read(im->ctx, off, buf, len) : -1;
}

void site_image_mem(struct site_image *img, const void *p, uint64_t size)
{
	img->size = size;
	img->mem = p;
	img->read = NULL;
	img->ctx = NULL;
}

/* State of one site_open run. Scratch buffers come from the arena's tail
 * rather than the stack: the guest's ring-3 stack is small. */
struct scan {
	struct site *s;
	char *arena_lo, *arena_hi; /* entries grow up from lo, names down from hi */
	uint8_t *blk;              /* one header block */
	char *ext;                 /* pax or GNU long-name data */
	char *name;                /* pending long name, SITE_NAME_MAX + 1 */
	size_t name_len;           /* 0: none pending */
	char *link;                /* pending pax linkpath, SITE_NAME_MAX + 1 */
	size_t link_len;
	bool has_size, has_mtime;
	uint64_t size, mtime;
	uint64_t off;              /* of the header being read */
};

static int fail(struct scan *c, const char *what, const char *detail)
{
	struct hbuf b;

	hb_init(&b, c->s->err, sizeof(c->s->err));
	hb_str(&b, "site archive: offset ");
	hb_u64(&b, c->off);
	hb_str(&b, ": ");
	hb_str(&b, what);
	if (detail) {
		hb_str(&b, " '");
		/* Names from the disk are printed, but only their printable bytes. */
		for (size_t i = 0; detail[i] && i < 80; i++)
			hb_ch(&b, detail[i] >= 0x20 && detail[i] < 0x7f ? detail[i] : '?');
		hb_ch(&b, '\'');
	}
	if (!hb_cstr(&b) && b.cap >= 4)
		hm_memcpy(b.p + b.cap - 4, "...", 4);
	return -1;
}

/* Octal number field: optional leading spaces, digits, then NUL or spaces
 * to the end. Base-256 (first byte 0x80) as GNU tar writes for large sizes.
 * Negative base-256 (0xff) is refused; the caller decides what that means. */
static bool num(const uint8_t *f, size_t w, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] == 0x80) {
		for (i = 1; i < w; i++) {
			if (v >> 55)
				return false;
			v = (v << 8) | f[i];
		}
		*out = v;
		return true;
	}
	while (i < w && f[i] == ' ')
		i++;
	size_t start = i;
	for (; i < w && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return false;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	if (i == start)
		return false;
	for (; i < w; i++)
		if (f[i] != 0 && f[i] != ' ')
			return false;
	*out = v;
	return true;
}

static bool zero_block(const uint8_t *b)
{
	for (size_t i = 0; i < BLK; i++)
		if (b[i])
			return false;
	return true;
}

static int check_header(struct scan *c)
{
	const uint8_t *b = c->blk;
	uint64_t stored;
	uint32_t usum = 0;
	int32_t ssum = 0;

	if (hm_memcmp(b + H_MAGIC, "ustar", 5) != 0)
		return fail(c, "not a ustar/pax tar header (bad magic)", NULL);
	if (!num(b + H_CHKSUM, 8, &stored))
		return fail(c, "malformed header checksum field", NULL);
	for (size_t i = 0; i < BLK; i++) {
		uint8_t x = (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : b[i];
		usum += x;
		ssum += (int8_t)x; /* some old tars summed signed chars */
	}
	if (stored != usum && (int64_t)stored != ssum)
		return fail(c, "header checksum mismatch", NULL);
	return 0;
}

/* Turns a raw archive name into the index form or refuses it. Leading "./"
 * and empty or "." components are dropped; the result may be empty (the
 * archive root "./"), which the caller skips. */
static int clean_name(struct scan *c, const char *raw, size_t n, char *out, size_t *outlen)
{
	size_t w = 0, i = 0;

	if (n > 0 && raw[0] == '/')
		return fail(c, "absolute name refused", raw);
	while (i < n) {
		size_t s = i;
		while (i < n && raw[i] != '/')
			i++;
		size_t sl = i - s;
		if (i < n)
			i++; /* the slash */
		if (sl == 0 || (sl == 1 && raw[s] == '.'))
			continue;
		if (sl == 2 && raw[s] == '.' && raw[s + 1] == '.')
			return fail(c, "name with a '..' component refused", raw);
		for (size_t k = s; k < s + sl; k++)
			if ((unsigned char)raw[k] < 0x20 || raw[k] == 0x7f)
				return fail(c, "name with control characters refused", NULL);
		if (w + sl + 1 > SITE_NAME_MAX)
			return fail(c, "name too long", NULL);
		if (w)
			out[w++] = '/';
		hm_memcpy(out + w, raw + s, sl);
		w += sl;
	}
	out[w] = 0;
	*outlen = w;
	return 0;
}

static int add(struct scan *c, const char *name, size_t nl, bool dir, uint64_t off, uint64_t size,
	       uint64_t mtime)
{
	struct site *s = c->s;
	size_t need = nl + 1;

	if ((size_t)(c->arena_hi - c->arena_lo) < sizeof(struct site_entry) + need)
		return fail(c, "arena too small for the index", NULL);
	c->arena_hi -= need;
	hm_memcpy(c->arena_hi, name, nl);
	c->arena_hi[nl] = 0;
	struct site_entry *e = &s->ent[s->n];
	e->name = c->arena_hi;
	e->name_len = (uint32_t)nl;
	e->seq = (uint32_t)s->n;
	e->is_dir = dir;
	e->off = off;
	e->size = size;
	e->mtime = mtime;
	s->n++;
	c->arena_lo += sizeof(struct site_entry);
	return 0;
}

static int pax(struct scan *c, size_t n, bool global)
{
	size_t i = 0;

	while (i < n) {
		/* record: "<len> <key>=<value>\n", len counting the whole record */
		size_t d = i;
		uint64_t len;
		while (d < n && hm_isdigit(c->ext[d]))
			d++;
		if (d == i || d >= n || c->ext[d] != ' ' ||
		    !hm_parse_u64(c->ext + i, d - i, n - i, &len) || len < d - i + 3 ||
		    c->ext[i + len - 1] != '\n')
			return fail(c, "malformed pax extended header record", NULL);
		const char *k = c->ext + d + 1, *end = c->ext + i + len - 1;
		const char *eq = hm_memchr(k, '=', (size_t)(end - k));
		if (!eq)
			return fail(c, "malformed pax extended header record", NULL);
		size_t kl = (size_t)(eq - k), vl = (size_t)(end - eq - 1);
		const char *v = eq + 1;
		i += len;
		if (global)
			continue; /* global defaults: none of ours matter */
		if (kl == 4 && hm_memcmp(k, "path", 4) == 0) {
			if (vl > SITE_NAME_MAX || vl == 0 || hm_memchr(v, 0, vl))
				return fail(c, "pax path empty, too long or with NUL", NULL);
			hm_memcpy(c->name, v, vl);
			c->name[vl] = 0;
			c->name_len = vl;
		} else if (kl == 8 && hm_memcmp(k, "linkpath", 8) == 0) {
			if (vl > SITE_NAME_MAX || vl == 0 || hm_memchr(v, 0, vl))
				return fail(c, "pax linkpath empty, too long or with NUL", NULL);
			hm_memcpy(c->link, v, vl);
			c->link_len = vl;
		} else if (kl == 4 && hm_memcmp(k, "size", 4) == 0) {
			if (!hm_parse_u64(v, vl, 1ull << 62, &c->size))
				return fail(c, "malformed pax size", NULL);
			c->has_size = true;
		} else if (kl == 5 && hm_memcmp(k, "mtime", 5) == 0) {
			/* decimal seconds with an optional fraction; before 1970 is 0 */
			const char *dot = hm_memchr(v, '.', vl);
			size_t il = dot ? (size_t)(dot - v) : vl;
			if (il > 0 && v[0] == '-') {
				c->mtime = 0;
			} else if (!hm_parse_u64(v, il, 1ull << 40, &c->mtime)) {
				return fail(c, "malformed pax mtime", NULL);
			}
			c->has_mtime = true;
		} else if (kl > 11 && hm_memcmp(k, "GNU.sparse.", 11) == 0) {
			return fail(c, "sparse files are not supported", NULL);
		}
	}
	return 0;
}

static void swap(struct site_entry *a, struct site_entry *b)
{
	struct site_entry t;

	hm_memcpy(&t, a, sizeof(t));
	hm_memcpy(a, b, sizeof(t));
	hm_memcpy(b, &t, sizeof(t));
}

static int cmp_name(const char *a, size_t an, const char *b, size_t bn)
{
	int r = hm_memcmp(a, b, an < bn ? an : bn);
	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

static int cmp(const struct site_entry *a, const struct site_entry *b)
{
	int r = cmp_name(a->name, a->name_len, b->name, b->name_len);
	if (r)
		return r;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Heap sort: in place, O(n log n), no recursion, no allocation. */
static void sift(struct site_entry *e, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && cmp(&e[child], &e[child + 1]) < 0)
			child++;
		if (cmp(&e[root], &e[child]) >= 0)
			return;
		swap(&e[root], &e[child]);
		root = child;
	}
}

static void sort_dedupe(struct site *s)
{
	struct site_entry *e = s->ent;
	size_t n = s->n;

	for (size_t i = n / 2; i-- > 0;)
		sift(e, i, n);
	for (size_t i = n; i-- > 1;) {
		swap(&e[0], &e[i]);
		sift(e, 0, i);
	}
	/* equal names are adjacent, ordered by archive position: keep the last */
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && cmp_name(e[i].name, e[i].name_len, e[i + 1].name,
					  e[i + 1].name_len) == 0)
			continue;
		if (w != i)
			hm_memcpy(&e[w], &e[i], sizeof(e[w]));
		w++;
	}
	s->n = w;
}

/* A hard link ('1') names an earlier entry whose data it shares; tar stores
 * the second and later names of a multiply-linked file this way, so without
 * this such files would vanish from the site. */
static int hard_link(struct scan *c, const char *name, size_t nl, uint64_t mtime)
{
	const uint8_t *b = c->blk;
	char *target = c->ext + 2 * (SITE_NAME_MAX + 2);
	size_t rl = 0, tl = 0;

	if (c->link_len) {
		hm_memcpy(target, c->link, c->link_len);
		rl = c->link_len;
	} else {
		for (size_t i = 0; i < 100 && b[H_LINK + i]; i++)
			target[rl++] = (char)b[H_LINK + i];
	}
	target[rl] = 0;
	char *clean = target + SITE_NAME_MAX + 2;
	if (clean_name(c, target, rl, clean, &tl) < 0)
		return -1;
	for (size_t i = c->s->n; i-- > 0;) {
		const struct site_entry *e = &c->s->ent[i];
		if (!e->is_dir && e->name_len == tl && hm_memcmp(e->name, clean, tl) == 0)
			return add(c, name, nl, false, e->off, e->size, mtime);
	}
	return fail(c, "hard link to an entry not in the archive before it", clean);
}

static int entry(struct scan *c, uint8_t type, uint64_t data_off, uint64_t size, uint64_t mtime)
{
	const uint8_t *b = c->blk;
	char *raw = c->ext; /* free between extended headers */
	size_t rl = 0;

	if (c->name_len) {
		hm_memcpy(raw, c->name, c->name_len);
		rl = c->name_len;
	} else {
		/* ustar splits long names into prefix "/" name; GNU's old format
		 * uses the prefix area for other things, so only POSIX magic. */
		bool posix = hm_memcmp(b + H_MAGIC, "ustar\0", 6) == 0;
		if (posix && b[H_PREFIX]) {
			for (size_t i = 0; i < 155 && b[H_PREFIX + i]; i++)
				raw[rl++] = (char)b[H_PREFIX + i];
			raw[rl++] = '/';
		}
		for (size_t i = 0; i < 100 && b[H_NAME + i]; i++)
			raw[rl++] = (char)b[H_NAME + i];
	}
	raw[rl] = 0;

	char *clean = c->ext + SITE_NAME_MAX + 2;
	size_t cl = 0;
	if (clean_name(c, raw, rl, clean, &cl) < 0)
		return -1;
	if (cl == 0)
		return 0; /* the archive root itself */
	if (type == '1')
		return hard_link(c, clean, cl, mtime);
	return add(c, clean, cl, type == '5', data_off, type == '5' ? 0 : size, mtime);
}

int site_open(struct site *s, const struct site_image *img, void *arena, size_t arena_len)
{
	struct scan c;
	uintptr_t a = ((uintptr_t)arena + 7) & ~(uintptr_t)7;
	size_t scratch = BLK + SITE_PAX_MAX + 1 + 2 * (SITE_NAME_MAX + 1);

	hm_memset(&c, 0, sizeof(c));
	hm_memset(s, 0, sizeof(*s));
	hm_memcpy(&s->img, img, sizeof(*img));
	c.s = s;
	if (!arena || a - (uintptr_t)arena + scratch + 64 > arena_len)
		return fail(&c, "arena too small for the index", NULL);
	c.arena_lo = (char *)a;
	c.arena_hi = (char *)arena + arena_len - scratch;
	c.blk = (uint8_t *)c.arena_hi;
	c.ext = (char *)c.blk + BLK;
	c.name = c.ext + SITE_PAX_MAX + 1;
	c.link = c.name + SITE_NAME_MAX + 1;
	s->ent = (struct site_entry *)c.arena_lo;
	/* entry() and hard_link() use ext for up to four names: raw and
	 * cleaned entry name, raw and cleaned link target. */
	_Static_assert(SITE_PAX_MAX >= 4 * (SITE_NAME_MAX + 2), "scratch layout");

	for (;;) {
		if (c.off > img->size || BLK > img->size - c.off)
			return fail(&c, "truncated archive: no end-of-archive block", NULL);
		if (rd(img, c.off, c.blk, BLK) < 0)
			return fail(&c, "read error", NULL);
		if (zero_block(c.blk)) {
			if (c.name_len || c.link_len || c.has_size || c.has_mtime)
				return fail(&c, "extended header without a following entry", NULL);
			break;
		}
		if (check_header(&c) < 0)
			return -1;

		uint8_t type = c.blk[H_TYPE];
		uint64_t size, mtime;
		if (!num(c.blk + H_SIZE, 12, &size) || size > (1ull << 62))
			return fail(&c, "malformed size field", NULL);
		if (!num(c.blk + H_MTIME, 12, &mtime))
			mtime = 0; /* negative or odd mtime: unknown, not fatal */
		bool has_data = !(type == '1' || type == '2' || type == '3' || type == '4' ||
				  type == '5' || type == '6');
		if (!has_data)
			size = 0; /* these carry no data whatever the field says */
		else if (c.has_size && type != 'x' && type != 'g')
			size = c.size;
		if (c.has_mtime && type != 'x' && type != 'g')
			mtime = c.mtime;

		uint64_t data = c.off + BLK;
		if (size > img->size - data)
			return fail(&c, "entry data runs past the end of the image", NULL);
		uint64_t next = data + ((size + BLK - 1) & ~(uint64_t)(BLK - 1));

		if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
			if (size > SITE_PAX_MAX)
				return fail(&c, "extended header too large", NULL);
			if (rd(img, data, c.ext, (size_t)size) < 0)
				return fail(&c, "read error", NULL);
			if (type == 'L' || type == 'K') {
				/* GNU long name or link target: the data, NUL-terminated */
				size_t nl = 0;
				while (nl < size && c.ext[nl])
					nl++;
				if (nl == 0 || nl > SITE_NAME_MAX)
					return fail(&c, "GNU long name empty or too long", NULL);
				hm_memcpy(type == 'L' ? c.name : c.link, c.ext, nl);
				if (type == 'L')
					c.name_len = nl;
				else
					c.link_len = nl;
			} else if (pax(&c, (size_t)size, type == 'g') < 0) {
				return -1;
			}
		} else {
			if (type == 'S')
				return fail(&c, "sparse files are not supported", NULL);
			if (type == '0' || type == '\0' || type == '7' || type == '5' || type == '1') {
				if (entry(&c, type, data, size, mtime) < 0)
					return -1;
			}
			/* symlinks, devices, fifos, anything else: skipped */
			c.name_len = 0;
			c.link_len = 0;
			c.has_size = c.has_mtime = false;
		}
		c.off = next;
	}
	sort_dedupe(s);
	return 0;
}

const struct site_entry *site_find(const struct site *s, const char *name, size_t n)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct site_entry *e = &s->ent[mid];
		int r = cmp_name(e->name, e->name_len, name, n);
		if (r == 0)
			return e;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int site_read(const struct site *s, const struct site_entry *e, uint64_t off, void *buf,
	      size_t len)
{
	if (off > e->size || len > e->size - off)
		return -1;
	return rd(&s->img, e->off + off, buf, len);
}

const void *site_data(const struct site *s, const struct site_entry *e)
{
	return s->img.mem ? s->img.mem + e->off : NULL;
}
