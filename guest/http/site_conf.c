#include "site_conf.h"
#include "http_buf.h"
#include "http_path.h"

void site_conf_default(struct site_conf *c)
{
	hm_memset(c, 0, sizeof(*c));
	c->index.p = "index.html";
	c->index.n = 10;
	c->idle_timeout_ms = CONF_DEFAULT_IDLE_MS;
	c->header_timeout_ms = CONF_DEFAULT_HEADER_MS;
	http_limits_default(&c->limits);
}

static int err(struct site_conf *c, unsigned line, const char *what, struct http_slice arg)
{
	struct hbuf b;

	hb_init(&b, c->err, sizeof(c->err));
	hb_str(&b, "site.conf line ");
	hb_u64(&b, line);
	hb_str(&b, ": ");
	hb_str(&b, what);
	if (arg.p) {
		hb_str(&b, " '");
		for (size_t i = 0; i < arg.n && i < 60; i++)
			hb_ch(&b, arg.p[i] >= 0x20 && arg.p[i] < 0x7f ? arg.p[i] : '?');
		hb_ch(&b, '\'');
	}
	if (!hb_cstr(&b) && b.cap >= 4)
		hm_memcpy(b.p + b.cap - 4, "...", 4);
	return -1;
}

static bool ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Next whitespace-separated word of line[*i, n). */
static struct http_slice word(const char *l, size_t n, size_t *i)
{
	struct http_slice w = { NULL, 0 };

	while (*i < n && ws(l[*i]))
		(*i)++;
	if (*i < n) {
		w.p = l + *i;
		while (*i < n && !ws(l[*i]))
			(*i)++;
		w.n = (size_t)(l + *i - w.p);
	}
	return w;
}

static bool host_name_ok(struct http_slice h)
{
	size_t i = 0;

	if (h.n >= 2 && h.p[0] == '*' && h.p[1] == '.')
		i = 2;
	if (i == h.n || h.n > 253)
		return false;
	for (; i < h.n; i++) {
		char ch = h.p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || hm_isdigit(ch) ||
		      ch == '-' || ch == '.' || ch == '_' || ch == ':' || ch == '[' || ch == ']'))
			return false;
	}
	return true;
}

/* A config path must already be in the form requests are normalised to,
 * else a rule would silently never match. */
static bool clean_path(struct http_slice p)
{
	char tmp[CONF_PATH_MAX];
	size_t n, q;

	if (!p.p || p.n >= CONF_PATH_MAX || hm_memchr(p.p, '?', p.n))
		return false;
	if (http_path_normalize(p.p, p.n, tmp, sizeof(tmp), &n, &q) != HTTP_PATH_OK)
		return false;
	return n == p.n && hm_memcmp(tmp, p.p, n) == 0;
}

static bool visible(struct http_slice v, bool spaces)
{
	for (size_t i = 0; i < v.n; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		if (ch < 0x20 || ch == 0x7f) {
			if (!(spaces && ch == '\t'))
				return false;
		} else if (ch == ' ' && !spaces) {
			return false;
		}
	}
	return true;
}

static bool number(struct http_slice w, uint64_t lo, uint64_t hi, uint64_t *v)
{
	return w.p && hm_parse_u64(w.p, w.n, hi, v) && *v >= lo;
}

static bool token(struct http_slice w)
{
	if (!w.p || w.n == 0)
		return false;
	for (size_t i = 0; i < w.n; i++) {
		char ch = w.p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || hm_isdigit(ch) ||
		      (ch && hm_memchr("!#$%&'*+-.^_`|~", ch, 15))))
			return false;
	}
	return true;
}

/* Response fields the server computes itself: a site setting them would
 * break framing or contradict the response. */
static bool reserved(struct http_slice n)
{
	static const char *const names[] = { "content-length", "transfer-encoding", "connection",
					     "keep-alive", "content-range", "content-encoding",
					     "date", "upgrade", "trailer" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (hm_caseeq_lit(n.p, n.n, names[i]))
			return true;
	return false;
}

static int line(struct site_conf *c, unsigned ln, const char *l, size_t n)
{
	size_t i = 0;
	struct http_slice k = word(l, n, &i), w, none = { NULL, 0 };
	uint64_t v;

	if (!k.p || k.p[0] == '#')
		return 0;
	if (hm_caseeq_lit(k.p, k.n, "host")) {
		unsigned got = 0;
		while ((w = word(l, n, &i)).p) {
			if (!host_name_ok(w))
				return err(c, ln, "bad host name", w);
			if (c->nhost == CONF_MAX_HOSTS)
				return err(c, ln, "too many host names", none);
			c->host[c->nhost++] = w;
			got++;
		}
		if (!got)
			return err(c, ln, "host needs at least one name", none);
	} else if (hm_caseeq_lit(k.p, k.n, "redirect")) {
		struct conf_redirect r;
		r.from = word(l, n, &i);
		r.to = word(l, n, &i);
		w = word(l, n, &i);
		r.code = 301;
		if (!r.to.p)
			return err(c, ln, "usage: redirect /from target [301|302|303|307|308]", none);
		if (!clean_path(r.from))
			return err(c, ln, "redirect source must be a normalised /path", r.from);
		if (!visible(r.to, false))
			return err(c, ln, "bad redirect target", r.to);
		if (w.p) {
			if (!number(w, 301, 308, &v) || v == 304 || v == 305 || v == 306)
				return err(c, ln, "redirect status must be 301, 302, 303, 307 or 308", w);
			r.code = (int)v;
		}
		if (word(l, n, &i).p)
			return err(c, ln, "too many words for redirect", none);
		if (c->nredirect == CONF_MAX_REDIRECTS)
			return err(c, ln, "too many redirects", none);
		c->redirect[c->nredirect++] = r;
	} else if (hm_caseeq_lit(k.p, k.n, "header")) {
		struct conf_header h;
		h.name = word(l, n, &i);
		while (i < n && ws(l[i]))
			i++;
		h.value.p = l + i;
		h.value.n = n - i;
		i = n; /* the value is the rest of the line */
		while (h.value.n && ws(h.value.p[h.value.n - 1]))
			h.value.n--;
		if (!token(h.name) || h.value.n == 0)
			return err(c, ln, "usage: header Name value", none);
		if (reserved(h.name))
			return err(c, ln, "header is set by the server itself", h.name);
		if (!visible(h.value, true))
			return err(c, ln, "header value has control characters", none);
		if (c->nheader == CONF_MAX_HEADERS)
			return err(c, ln, "too many headers", none);
		c->header[c->nheader++] = h;
	} else if (hm_caseeq_lit(k.p, k.n, "error")) {
		struct conf_error e;
		w = word(l, n, &i);
		e.path = word(l, n, &i);
		if (!number(w, 400, 599, &v))
			return err(c, ln, "error needs a status code 400-599", w);
		if (!clean_path(e.path) || e.path.p[e.path.n - 1] == '/')
			return err(c, ln, "error page must be a normalised /path to a file", e.path);
		if (word(l, n, &i).p)
			return err(c, ln, "too many words for error", none);
		if (c->nerror == CONF_MAX_ERRORS)
			return err(c, ln, "too many error pages", none);
		e.code = (int)v;
		c->error[c->nerror++] = e;
	} else if (hm_caseeq_lit(k.p, k.n, "index")) {
		w = word(l, n, &i);
		if (!w.p || hm_memchr(w.p, '/', w.n) || !visible(w, false) ||
		    (w.n <= 2 && w.p[0] == '.' && (w.n == 1 || w.p[1] == '.')))
			return err(c, ln, "index needs a file name", w);
		c->index = w;
	} else {
		static const struct {
			const char *key;
			uint64_t lo, hi;
		} nums[] = {
			{ "idle_timeout", 1, 3600 },       { "header_timeout", 1, 3600 },
			{ "max_request_line", 64, 65536 }, { "max_header_bytes", 256, 65536 },
			{ "max_headers", 1, 1000 },
		};
		size_t j;
		for (j = 0; j < sizeof(nums) / sizeof(nums[0]); j++)
			if (hm_caseeq_lit(k.p, k.n, nums[j].key))
				break;
		if (j == sizeof(nums) / sizeof(nums[0]))
			return err(c, ln, "unknown directive", k);
		w = word(l, n, &i);
		if (!number(w, nums[j].lo, nums[j].hi, &v))
			return err(c, ln, "value out of range or not a number", w);
		switch (j) {
		case 0: c->idle_timeout_ms = (uint32_t)(v * 1000); break;
		case 1: c->header_timeout_ms = (uint32_t)(v * 1000); break;
		case 2: c->limits.max_request_line = (size_t)v; break;
		case 3: c->limits.max_header_bytes = (size_t)v; break;
		default: c->limits.max_headers = (unsigned)v; break;
		}
	}
	/* host and header take the whole line; the others are checked here */
	if (word(l, n, &i).p)
		return err(c, ln, "unexpected extra words", none);
	return 0;
}

int site_conf_parse(struct site_conf *c, const char *text, size_t n)
{
	size_t pos = 0;
	unsigned ln = 0;

	while (pos < n) {
		const char *nl = hm_memchr(text + pos, '\n', n - pos);
		size_t e = nl ? (size_t)(nl - text) : n, le = e;
		ln++;
		if (le > pos && text[le - 1] == '\r')
			le--;
		for (size_t i = pos; i < le; i++)
			if (text[i] == 0)
				return err(c, ln, "NUL byte in the file", (struct http_slice){ NULL, 0 });
		if (line(c, ln, text + pos, le - pos) < 0)
			return -1;
		pos = e + 1;
	}
	return 0;
}

static struct http_slice bare_host(const char *h, size_t n)
{
	struct http_slice s = { h, n };

	if (n && h[0] == '[') {
		const char *rb = hm_memchr(h, ']', n);
		if (rb)
			s.n = (size_t)(rb - h) + 1;
		return s;
	}
	for (size_t i = n; i > 0; i--)
		if (h[i - 1] == ':') {
			s.n = i - 1;
			break;
		}
	if (s.n && h[s.n - 1] == '.')
		s.n--;
	return s;
}

bool site_conf_host_ok(const struct site_conf *c, const char *host, size_t n)
{
	struct http_slice h = bare_host(host, n);

	if (c->nhost == 0)
		return true;
	for (unsigned i = 0; i < c->nhost; i++) {
		struct http_slice w = c->host[i];
		if (w.n >= 2 && w.p[0] == '*' && w.p[1] == '.') {
			/* "*.example.org": a non-empty label, then ".example.org" */
			size_t sl = w.n - 1;
			if (h.n > sl && hm_caseeq(h.p + h.n - sl, sl, w.p + 1, sl))
				return true;
		} else if (hm_caseeq(h.p, h.n, w.p, w.n)) {
			return true;
		}
	}
	return false;
}

const struct conf_redirect *site_conf_redirect(const struct site_conf *c, const char *path,
					      size_t n)
{
	for (unsigned i = 0; i < c->nredirect; i++)
		if (c->redirect[i].from.n == n && hm_memcmp(c->redirect[i].from.p, path, n) == 0)
			return &c->redirect[i];
	return NULL;
}

const struct http_slice *site_conf_error_page(const struct site_conf *c, int code)
{
	for (unsigned i = 0; i < c->nerror; i++)
		if (c->error[i].code == code)
			return &c->error[i].path;
	return NULL;
}
