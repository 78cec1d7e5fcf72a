#include "http_fields.h"

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Next comma-separated element of v from *i, trimmed; false at the end. */
static bool next_elem(struct http_slice v, size_t *i, struct http_slice *e)
{
	while (*i < v.n && (ows(v.p[*i]) || v.p[*i] == ','))
		(*i)++;
	if (*i >= v.n)
		return false;
	size_t s = *i;
	while (*i < v.n && v.p[*i] != ',')
		(*i)++;
	size_t end = *i;
	while (end > s && ows(v.p[end - 1]))
		end--;
	e->p = v.p + s;
	e->n = end - s;
	return true;
}

static struct http_slice opaque(struct http_slice t)
{
	if (t.n >= 2 && t.p[0] == 'W' && t.p[1] == '/') {
		t.p += 2;
		t.n -= 2;
	}
	return t;
}

bool http_inm_match(struct http_slice inm, const char *etag, size_t n)
{
	struct http_slice e, mine = opaque((struct http_slice){ etag, n });
	size_t i = 0;

	while (next_elem(inm, &i, &e)) {
		if (e.n == 1 && e.p[0] == '*')
			return true;
		e = opaque(e);
		if (e.n == mine.n && hm_memcmp(e.p, mine.p, e.n) == 0)
			return true;
	}
	return false;
}

enum http_range_res http_range_parse(struct http_slice v, uint64_t size, uint64_t *first,
				     uint64_t *len)
{
	size_t i = 0;
	uint64_t a, b;

	if (!v.p || v.n < 7 || !hm_caseeq(v.p, 6, "bytes=", 6))
		return HTTP_RANGE_IGNORE;
	v.p += 6;
	v.n -= 6;
	while (i < v.n && ows(v.p[i]))
		i++;
	size_t s = i, e = v.n;
	while (e > s && ows(v.p[e - 1]))
		e--;
	if (hm_memchr(v.p + s, ',', e - s))
		return HTTP_RANGE_IGNORE;
	const char *dash = hm_memchr(v.p + s, '-', e - s);
	if (!dash)
		return HTTP_RANGE_IGNORE;
	size_t d = (size_t)(dash - v.p);
	bool has_a = d > s, has_b = e > d + 1;
	if (has_a && !hm_parse_u64(v.p + s, d - s, UINT64_MAX, &a))
		return HTTP_RANGE_IGNORE;
	if (has_b && !hm_parse_u64(v.p + d + 1, e - d - 1, UINT64_MAX, &b))
		return HTTP_RANGE_IGNORE;
	if (!has_a) {
		if (!has_b)
			return HTTP_RANGE_IGNORE;
		/* suffix: the last b bytes */
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		if (b > size)
			b = size;
		*first = size - b;
		*len = b;
		return HTTP_RANGE_OK;
	}
	if (has_b && b < a)
		return HTTP_RANGE_IGNORE; /* invalid, so ignored (RFC 9110 14.1.1) */
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	if (!has_b || b >= size)
		b = size - 1;
	*first = a;
	*len = b - a + 1;
	return HTTP_RANGE_OK;
}

/* q=0, q=0.0, q=0.000: refused; anything else counts as wanted. */
static bool q_zero(struct http_slice params)
{
	size_t i = 0;

	while (i < params.n) {
		while (i < params.n && (ows(params.p[i]) || params.p[i] == ';'))
			i++;
		if (i + 1 < params.n && (params.p[i] == 'q' || params.p[i] == 'Q') &&
		    params.p[i + 1] == '=') {
			size_t k = i + 2;
			bool zero = k < params.n;
			for (; k < params.n && !ows(params.p[k]) && params.p[k] != ';'; k++)
				if (params.p[k] != '0' && params.p[k] != '.')
					zero = false;
			return zero;
		}
		while (i < params.n && params.p[i] != ';')
			i++;
	}
	return false;
}

bool http_accepts_gzip(struct http_slice ae)
{
	struct http_slice e;
	size_t i = 0;
	int gzip = -1, star = -1;

	if (!ae.p)
		return false;
	while (next_elem(ae, &i, &e)) {
		size_t c = 0;
		while (c < e.n && e.p[c] != ';' && !ows(e.p[c]))
			c++;
		struct http_slice params = { e.p + c, e.n - c };
		bool ok = !q_zero(params);
		if (hm_caseeq_lit(e.p, c, "gzip") || hm_caseeq_lit(e.p, c, "x-gzip"))
			gzip = ok;
		else if (c == 1 && e.p[0] == '*')
			star = ok;
	}
	return gzip >= 0 ? gzip : star > 0;
}
