#include "http_parse.h"
#include "http_mem.h"

void http_limits_default(struct http_limits *l)
{
	l->max_request_line = HTTP_DEFAULT_REQUEST_LINE;
	l->max_header_bytes = HTTP_DEFAULT_HEADER_BYTES;
	l->max_headers = HTTP_DEFAULT_HEADERS;
	l->max_body_discard = HTTP_DEFAULT_BODY_DISCARD;
}

void http_framer_reset(struct http_framer *f)
{
	f->pos = 0;
	f->line_start = 0;
	f->head_start = 0;
	f->lines = 0;
}

/* Blank lines before a request line are skipped (RFC 9112 section 2.2), but
 * they count towards the head size so an endless stream of them ends in 431. */

/* Whether the request line so far, buf[from, to), could still begin a valid
 * one: a method token, then after the first space no control bytes. Lets
 * binary garbage get its 400 at once instead of a 408 at the time-out. */
static bool request_line_plausible(const char *buf, size_t start, size_t from, size_t to)
{
	const char *sp = hm_memchr(buf + start, ' ', to - start);
	size_t method_end = sp ? (size_t)(sp - buf) : to;

	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r')
			continue; /* checked by the full parse, once the line ends */
		if (c < 0x20 || c == 0x7f || (i < method_end && !http_tchar(c)))
			return false;
	}
	return true;
}

enum http_frame_res http_frame(struct http_framer *f, const char *buf, size_t len,
			       const struct http_limits *lim, size_t *head_end, int *status)
{
	while (f->pos < len) {
		const char *nl = hm_memchr(buf + f->pos, '\n', len - f->pos);
		size_t stop = nl ? (size_t)(nl - buf) : len;

		if (f->lines == 0 && !request_line_plausible(buf, f->line_start, f->pos, stop)) {
			*status = 400;
			return HTTP_FRAME_ERROR;
		}

		if (f->lines == 0 && stop - f->line_start > lim->max_request_line + 1) {
			*status = 414;
			return HTTP_FRAME_ERROR;
		}
		if (stop + (nl ? 1 : 0) > lim->max_header_bytes) {
			*status = 431;
			return HTTP_FRAME_ERROR;
		}
		if (!nl) {
			f->pos = len;
			break;
		}
		size_t e = stop;
		if (e > f->line_start && buf[e - 1] == '\r')
			e--;
		f->pos = stop + 1;
		if (e == f->line_start) {
			if (f->lines == 0) { /* leading blank line */
				f->line_start = f->head_start = f->pos;
				continue;
			}
			*head_end = f->pos;
			return HTTP_FRAME_DONE;
		}
		if (f->lines == 0 && e - f->line_start > lim->max_request_line) {
			*status = 414;
			return HTTP_FRAME_ERROR;
		}
		if (f->lines > lim->max_headers) { /* this line would be one too many */
			*status = 431;
			return HTTP_FRAME_ERROR;
		}
		f->lines++;
		f->line_start = f->pos;
	}
	return HTTP_FRAME_MORE;
}

/* token characters (RFC 9110 section 5.6.2) */
bool http_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && hm_memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
}

static bool is_token(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!http_tchar((unsigned char)p[i]))
			return false;
	return true;
}

static enum http_method classify(const char *p, size_t n)
{
	static const char *const refused[] = { "POST", "PUT", "DELETE", "CONNECT",
					       "OPTIONS", "TRACE", "PATCH" };

	/* Methods are case-sensitive. */
	if (n == 3 && hm_memcmp(p, "GET", 3) == 0)
		return HTTP_M_GET;
	if (n == 4 && hm_memcmp(p, "HEAD", 4) == 0)
		return HTTP_M_HEAD;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (n == hm_strlen(refused[i]) && hm_memcmp(p, refused[i], n) == 0)
			return HTTP_M_OTHER;
	return HTTP_M_UNKNOWN;
}

static bool host_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || hm_isdigit(c) ||
		      c == '-' || c == '.' || c == ':' || c == '[' || c == ']' || c == '_'))
			return false;
	}
	return true;
}

/* absolute-form ("http://host/path"), which servers must accept: the host
 * comes from the target and overrides the Host field. */
static int parse_absolute(struct http_request *r)
{
	const char *t = r->target.p;
	size_t n = r->target.n, skip;

	if (n >= 7 && hm_caseeq(t, 7, "http://", 7))
		skip = 7;
	else if (n >= 8 && hm_caseeq(t, 8, "https://", 8))
		skip = 8;
	else
		return 400;
	size_t a = skip;
	while (a < n && t[a] != '/' && t[a] != '?')
		a++;
	if (a == skip || !host_ok(t + skip, a - skip) || (a < n && t[a] != '/'))
		return 400;
	r->host.p = t + skip;
	r->host.n = a - skip;
	r->has_host = true;
	if (a == n) {
		r->path.p = "/";
		r->path.n = 1;
	} else {
		r->path.p = t + a;
		r->path.n = n - a;
	}
	return 0;
}

static int parse_line(const char *p, size_t n, struct http_request *r)
{
	const char *sp1 = hm_memchr(p, ' ', n);

	if (!sp1)
		return 400;
	size_t ml = (size_t)(sp1 - p);
	const char *t = sp1 + 1;
	size_t rest = n - ml - 1;
	const char *sp2 = hm_memchr(t, ' ', rest);
	if (!sp2)
		return 400;
	size_t tl = (size_t)(sp2 - t);
	const char *v = sp2 + 1;
	size_t vl = rest - tl - 1;

	if (!is_token(p, ml) || tl == 0)
		return 400;
	r->method.p = p;
	r->method.n = ml;
	r->m = classify(p, ml);
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 400;
	r->target.p = t;
	r->target.n = tl;

	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. */
	if (vl != 8 || hm_memcmp(v, "HTTP/", 5) != 0 || !hm_isdigit(v[5]) || v[6] != '.' ||
	    !hm_isdigit(v[7]))
		return 400;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return 505;
	r->version = v[7] == '1' ? 11 : 10;

	if (t[0] == '/') {
		r->path = r->target;
	} else if (r->m == HTTP_M_GET || r->m == HTTP_M_HEAD) {
		int s = parse_absolute(r);
		if (s)
			return s;
	} else if (parse_absolute(r) != 0) {
		/* Other methods may reach an app in absolute-form too; any other
		 * form (authority-form for CONNECT, "*" for OPTIONS, garbage) has
		 * no path, so it is refused later with 405/501. */
		r->host.p = r->path.p = NULL;
		r->host.n = r->path.n = 0;
		r->has_host = false;
	}
	return 0;
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Walks a comma-separated list looking for a token, case-insensitively. */
static bool list_has(struct http_slice v, const char *tok)
{
	size_t i = 0;

	while (i < v.n) {
		while (i < v.n && (ows(v.p[i]) || v.p[i] == ','))
			i++;
		size_t s = i;
		while (i < v.n && v.p[i] != ',')
			i++;
		size_t e = i;
		while (e > s && ows(v.p[e - 1]))
			e--;
		if (e > s && hm_caseeq_lit(v.p + s, e - s, tok))
			return true;
	}
	return false;
}

static void keep(struct http_slice *dst, const char *p, size_t n)
{
	/* The first occurrence wins; repeated list fields are rare enough in
	 * requests for conditionals and ranges that merging buys nothing. */
	if (!dst->p) {
		dst->p = p;
		dst->n = n;
	}
}

static int field(struct http_request *r, const char *name, size_t nl, const char *val, size_t vl,
		 bool *conn_close, bool *conn_keep)
{
	struct http_slice v = { val, vl };

	if (hm_caseeq_lit(name, nl, "host")) {
		if (r->host.p && r->target.p && r->target.p[0] != '/') {
			/* absolute-form already named the host; the field is ignored */
			return 0;
		}
		if (r->has_host || !host_ok(val, vl))
			return 400; /* RFC 9112 section 3.2: more than one Host is a 400 */
		r->host = v;
		r->has_host = true;
	} else if (hm_caseeq_lit(name, nl, "content-length")) {
		uint64_t cl;
		/* 1<<62: far beyond anything, and sums with it cannot overflow */
		if (!hm_parse_u64(val, vl, 1ull << 62, &cl))
			return 400;
		r->content_length = cl; /* repeats were compared by the caller */
		if (cl)
			r->has_body = true;
	} else if (hm_caseeq_lit(name, nl, "transfer-encoding")) {
		/* Only a lone "chunked" is decoded: a second field, or any other
		 * coding, leaves te_chunked false and the body unreadable. */
		r->te_chunked = !r->chunked && hm_caseeq_lit(val, vl, "chunked");
		r->chunked = true;
		r->has_body = true;
	} else if (hm_caseeq_lit(name, nl, "connection")) {
		if (list_has(v, "close"))
			*conn_close = true;
		if (list_has(v, "keep-alive"))
			*conn_keep = true;
	} else if (hm_caseeq_lit(name, nl, "if-none-match")) {
		keep(&r->if_none_match, val, vl);
	} else if (hm_caseeq_lit(name, nl, "if-modified-since")) {
		keep(&r->if_modified_since, val, vl);
	} else if (hm_caseeq_lit(name, nl, "if-range")) {
		keep(&r->if_range, val, vl);
	} else if (hm_caseeq_lit(name, nl, "range")) {
		keep(&r->range, val, vl);
	} else if (hm_caseeq_lit(name, nl, "accept-encoding")) {
		keep(&r->accept_encoding, val, vl);
	} else if (hm_caseeq_lit(name, nl, "referer")) {
		keep(&r->referer, val, vl);
	} else if (hm_caseeq_lit(name, nl, "user-agent")) {
		keep(&r->user_agent, val, vl);
	} else if (hm_caseeq_lit(name, nl, "expect")) {
		keep(&r->expect, val, vl);
	} else if (hm_caseeq_lit(name, nl, "x-real-ip")) {
		/* The first wins, a repeat is ignored: nginx writes the fields of
		 * its proxy_set_header before the client's and drops a client's
		 * field of the same name, so behind it there is exactly one, and
		 * it comes first. Without a front door any client can send
		 * anything here; that only ever reaches the log, and only when
		 * it looks like an address (http_log_line). */
		keep(&r->real_ip, val, vl);
	}
	return 0;
}

int http_parse_head(const char *buf, size_t start, size_t end, const struct http_limits *lim,
		    struct http_request *r)
{
	bool conn_close = false, conn_keep = false, seen_cl = false;
	size_t pos = start;
	int st;

	hm_memset(r, 0, sizeof(*r));
	while (pos < end) {
		const char *nl = hm_memchr(buf + pos, '\n', end - pos);
		if (!nl)
			return 400; /* http_frame guarantees a terminator; be safe */
		size_t le = (size_t)(nl - buf), e = le;
		if (e > pos && buf[e - 1] == '\r')
			e--;
		const char *p = buf + pos;
		size_t n = e - pos;
		pos = le + 1;

		if (!r->line.p) {
			r->line.p = p;
			r->line.n = n;
			/* A CR or NUL inside the line means it was not CRLF-terminated
			 * text: refuse it rather than guess (request smuggling). */
			for (size_t i = 0; i < n; i++)
				if (p[i] == '\r' || p[i] == 0)
					return 400;
			st = parse_line(p, n, r);
			if (st)
				return st;
			continue;
		}
		if (n == 0)
			break; /* the blank line ending the head */
		if (++r->headers > lim->max_headers)
			return 431;
		if (ows(p[0]))
			return 400; /* obsolete line folding */
		const char *colon = hm_memchr(p, ':', n);
		if (!colon)
			return 400;
		size_t nl_ = (size_t)(colon - p);
		if (!is_token(p, nl_))
			return 400; /* includes whitespace before the colon */
		size_t vs = nl_ + 1, ve = n;
		while (vs < ve && ows(p[vs]))
			vs++;
		while (ve > vs && ows(p[ve - 1]))
			ve--;
		for (size_t i = vs; i < ve; i++) {
			unsigned char c = (unsigned char)p[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400;
		}
		bool is_cl = hm_caseeq_lit(p, nl_, "content-length");
		if (is_cl && seen_cl) {
			uint64_t again;
			if (!hm_parse_u64(p + vs, ve - vs, 1ull << 62, &again) ||
			    again != r->content_length)
				return 400;
			continue;
		}
		seen_cl |= is_cl;
		st = field(r, p, nl_, p + vs, ve - vs, &conn_close, &conn_keep);
		if (st)
			return st;
	}
	if (!r->line.p)
		return 400;
	/* Both framings at once is the classic smuggling vector: refuse. */
	if (r->chunked && seen_cl)
		return 400;
	if (r->version == 11 && !r->has_host)
		return 400;
	r->keep_alive = r->version == 11 ? !conn_close : (conn_keep && !conn_close);
	return 0;
}

bool http_head_field(const char *buf, size_t start, size_t end, size_t *pos,
		     struct http_slice *name, struct http_slice *value)
{
	if (*pos < start)
		*pos = start;
	while (*pos < end) {
		const char *nl = hm_memchr(buf + *pos, '\n', end - *pos);
		size_t le = nl ? (size_t)(nl - buf) : end, e = le;
		bool first = *pos == start;
		if (e > *pos && buf[e - 1] == '\r')
			e--;
		const char *p = buf + *pos;
		size_t n = e - *pos;
		*pos = le + 1;
		const char *colon = hm_memchr(p, ':', n);
		/* the request line, leading blank lines and the final blank
		 * line have no colon where a name would end */
		if (first || !colon || colon == p)
			continue;
		size_t vs = (size_t)(colon - p) + 1, ve = n;
		while (vs < ve && ows(p[vs]))
			vs++;
		while (ve > vs && ows(p[ve - 1]))
			ve--;
		name->p = p;
		name->n = (size_t)(colon - p);
		value->p = p + vs;
		value->n = ve - vs;
		return true;
	}
	return false;
}
