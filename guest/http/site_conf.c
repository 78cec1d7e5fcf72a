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
	c->app_body_max = CONF_DEFAULT_APP_BODY;
	c->app_instructions = CONF_DEFAULT_APP_INSNS;
	c->app_memory = CONF_DEFAULT_APP_MEMORY;
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

/* An archive member named in site.conf ("api.lua", "/lib/api.lua"): with
 * its leading '/' dropped it must be a normalised file name, since the
 * archive index holds names in that form only. */
static bool member_name(struct http_slice w, struct http_slice *out)
{
	char tmp[CONF_PATH_MAX];
	size_t skip;

	if (!w.p || w.n == 0 || w.n >= CONF_PATH_MAX - 1)
		return false;
	skip = w.p[0] == '/';
	tmp[0] = '/';
	hm_memcpy(tmp + 1, w.p + skip, w.n - skip);
	struct http_slice t = { tmp, w.n - skip + 1 };
	if (t.n < 2 || tmp[t.n - 1] == '/' || !clean_path(t))
		return false;
	out->p = w.p + skip;
	out->n = w.n - skip;
	return true;
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
		e.line = ln;
		c->error[c->nerror++] = e;
	} else if (hm_caseeq_lit(k.p, k.n, "index")) {
		w = word(l, n, &i);
		if (!w.p || hm_memchr(w.p, '/', w.n) || !visible(w, false) ||
		    (w.n <= 2 && w.p[0] == '.' && (w.n == 1 || w.p[1] == '.')))
			return err(c, ln, "index needs a file name", w);
		c->index = w;
	} else if (hm_caseeq_lit(k.p, k.n, "app")) {
		struct conf_app a;
		a.prefix = word(l, n, &i);
		w = word(l, n, &i);
		a.line = ln;
		if (!w.p)
			return err(c, ln, "usage: app /prefix file.lua", none);
		/* Matched against normalised paths: any other form never matches. */
		if (!clean_path(a.prefix))
			return err(c, ln, "app prefix must be a normalised /path", a.prefix);
		if (!member_name(w, &a.file))
			return err(c, ln, "app file must be a normalised file name in the archive", w);
		for (unsigned j = 0; j < c->napp; j++)
			if (c->app[j].prefix.n == a.prefix.n &&
			    hm_memcmp(c->app[j].prefix.p, a.prefix.p, a.prefix.n) == 0)
				return err(c, ln, "app prefix already routed", a.prefix);
		if (c->napp == CONF_MAX_APPS)
			return err(c, ln, "too many app routes", none);
		c->app[c->napp++] = a;
	} else {
		/* The app_ limits: the body bound keeps a guest's memory for one
		 * request reasonable; the Lua bounds must leave room to run at all
		 * (a Lua state with its libraries needs ~100 KiB) and stay below
		 * what makes a request last minutes or eat the guest. */
		static const struct {
			const char *key;
			uint64_t lo, hi;
		} nums[] = {
			{ "idle_timeout", 1, 3600 },       { "header_timeout", 1, 3600 },
			{ "max_request_line", 64, 65536 }, { "max_header_bytes", 256, 65536 },
			{ "max_headers", 1, 1000 },        { "app_body_max", 0, 64ull << 20 },
			{ "app_instructions", 1000, 10000000000ull },
			{ "app_memory", 256ull << 10, 1ull << 30 },
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
		case 4: c->limits.max_headers = (unsigned)v; break;
		case 5: c->app_body_max = v; break;
		case 6: c->app_instructions = v; break;
		default: c->app_memory = v; break;
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

/* The archive's file for a config name ("/404.html" or "api.lua"). */
static bool in_archive(const struct site *s, struct http_slice name)
{
	size_t skip = name.n && name.p[0] == '/';
	const struct site_entry *e = site_find(s, name.p + skip, name.n - skip);

	return e && !e->is_dir;
}

int site_conf_check(struct site_conf *c, const struct site *s)
{
	for (unsigned i = 0; i < c->nerror; i++)
		if (!in_archive(s, c->error[i].path))
			return err(c, c->error[i].line, "error page is not a file in the archive",
				   c->error[i].path);
	for (unsigned i = 0; i < c->napp; i++)
		if (!in_archive(s, c->app[i].file))
			return err(c, c->app[i].line, "app file is not a file in the archive",
				   c->app[i].file);
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

const struct conf_app *site_conf_app(const struct site_conf *c, const char *path, size_t n)
{
	const struct conf_app *best = NULL;

	for (unsigned i = 0; i < c->napp; i++) {
		const struct conf_app *a = &c->app[i];
		if (a->prefix.n <= n && hm_memcmp(a->prefix.p, path, a->prefix.n) == 0 &&
		    (!best || a->prefix.n > best->prefix.n))
			best = a;
	}
	return best;
}

bool site_conf_is_app_file(const struct site_conf *c, const char *name, size_t n)
{
	for (unsigned i = 0; i < c->napp; i++)
		if (c->app[i].file.n == n && hm_memcmp(c->app[i].file.p, name, n) == 0)
			return true;
	return false;
}

const struct http_slice *site_conf_error_page(const struct site_conf *c, int code)
{
	for (unsigned i = 0; i < c->nerror; i++)
		if (c->error[i].code == code)
			return &c->error[i].path;
	return NULL;
}
