#include "http_serve.h"
#include "http_buf.h"
#include "http_date.h"
#include "http_fields.h"
#include "http_mem.h"
#include "http_mime.h"
#include "http_path.h"

#define NAME_MAX_ (SITE_NAME_MAX + 16)

size_t http_etag(const struct site_entry *e, bool gzip, char *out)
{
	struct hbuf b;

	hb_init(&b, out, HTTP_ETAG_MAX);
	hb_ch(&b, '"');
	hb_hex(&b, e->size);
	hb_ch(&b, '-');
	hb_hex(&b, e->mtime);
	if (gzip)
		hb_str(&b, "-gz");
	hb_ch(&b, '"');
	return b.len; /* at most 1 + 16 + 1 + 16 + 3 + 1 bytes: always fits */
}

static void reset(struct http_resp *r, int status, bool head)
{
	r->status = status;
	r->head = head;
	r->close = false;
	r->entry = NULL;
	r->first = r->len = r->total = 0;
	r->ctype = NULL;
	r->validators = r->ranges = r->partial = r->unsatisfiable = false;
	r->gzip = r->vary = r->allow = false;
	r->location.p = NULL;
	r->location.n = 0;
	r->etag_len = 0;
}

/* A site file by its normalised path ("/a/b"), files only. */
static const struct site_entry *file(const struct site *s, const char *path, size_t n)
{
	const struct site_entry *e;

	if (n < 2 || path[0] != '/')
		return NULL;
	e = site_find(s, path + 1, n - 1);
	return e && !e->is_dir ? e : NULL;
}

/* A site file a request may fetch: not an app's script, which may hold
 * secrets and is run, never shown. */
static const struct site_entry *content(const struct http_server *srv, const char *path, size_t n)
{
	const struct site_entry *e = file(srv->site, path, n);

	return e && !site_conf_is_app_file(srv->conf, e->name, e->name_len) ? e : NULL;
}

void http_serve_error(const struct http_server *srv, int status, bool head, struct http_resp *r)
{
	const struct http_slice *page = site_conf_error_page(srv->conf, status);
	const struct site_entry *e = page ? file(srv->site, page->p, page->n) : NULL;

	reset(r, status, head);
	r->close = status == 400 || status == 408 || status == 413 || status == 414 ||
		   status == 431 || status == 500 || status == 505;
	if (e) {
		r->entry = e;
		r->len = r->total = e->size;
		r->ctype = http_mime_type(page->p, page->n);
	} else {
		r->ctype = "text/html; charset=utf-8";
	}
	if (status == 405)
		r->allow = true;
}

static void redirect(struct http_resp *r, int code, struct http_slice to, bool head)
{
	reset(r, code, head);
	r->location = to;
	r->ctype = "text/html; charset=utf-8";
}

/* If-Range: the range applies only while the client's copy is current. A
 * weak tag never matches (strong comparison); a date must equal mtime. */
static bool if_range_ok(const struct http_request *q, const struct http_resp *r,
			const struct site_entry *e)
{
	uint64_t t;

	if (!q->if_range.p)
		return true;
	if (q->if_range.n && q->if_range.p[0] == '"')
		return q->if_range.n == r->etag_len &&
		       hm_memcmp(q->if_range.p, r->etag, r->etag_len) == 0;
	return http_date_parse(q->if_range.p, q->if_range.n, &t) && t == e->mtime;
}

static void serve_file(const struct http_server *srv, const struct http_request *q,
		       const char *path, size_t pn, const struct site_entry *e, struct http_resp *r)
{
	char gzname[NAME_MAX_];
	const struct site_entry *gz = NULL;
	bool head = q->m == HTTP_M_HEAD;

	reset(r, 200, head);
	r->ctype = http_mime_type(path, pn);
	if (pn + 3 < sizeof(gzname)) {
		hm_memcpy(gzname, path, pn);
		hm_memcpy(gzname + pn, ".gz", 3);
		gz = file(srv->site, gzname, pn + 3);
	}
	if (gz) {
		r->vary = true;
		if (http_accepts_gzip(q->accept_encoding)) {
			e = gz;
			r->gzip = true;
		}
	}
	r->entry = e;
	r->validators = true;
	r->ranges = true;
	r->etag_len = http_etag(e, r->gzip, r->etag);
	r->first = 0;
	r->len = r->total = e->size;

	/* RFC 9110 section 13.2.2: If-None-Match first; If-Modified-Since only
	 * when there is none. */
	uint64_t ims;
	if (q->if_none_match.p) {
		if (http_inm_match(q->if_none_match, r->etag, r->etag_len))
			r->status = 304;
	} else if (q->if_modified_since.p &&
		   http_date_parse(q->if_modified_since.p, q->if_modified_since.n, &ims) &&
		   e->mtime <= ims) {
		r->status = 304;
	}
	if (r->status == 304) {
		r->len = 0;
		r->ranges = false;
		return;
	}

	if (q->range.p && q->m == HTTP_M_GET && if_range_ok(q, r, e)) {
		uint64_t first, len;
		switch (http_range_parse(q->range, e->size, &first, &len)) {
		case HTTP_RANGE_OK:
			r->status = 206;
			r->partial = true;
			r->first = first;
			r->len = len;
			break;
		case HTTP_RANGE_UNSATISFIABLE:
			r->status = 416;
			r->unsatisfiable = true;
			r->entry = NULL;
			r->first = r->len = 0;
			r->validators = false;
			r->ctype = "text/html; charset=utf-8";
			break;
		case HTTP_RANGE_IGNORE:
			break;
		}
	}
}

void http_serve(const struct http_server *srv, const struct http_request *q, int parse_status,
		struct http_resp *r)
{
	char path[CONF_PATH_MAX], name[NAME_MAX_];
	size_t pn, query;
	bool head = q->m == HTTP_M_HEAD;

	if (parse_status) {
		http_serve_error(srv, parse_status, head, r);
		r->close = true;
		return;
	}
	/* A body on a static GET/HEAD is only read to be dropped: one too
	 * large to wait for, or chunked, is refused (app routes take bodies:
	 * http_conn decides those before coming here). */
	if ((q->m == HTTP_M_GET || q->m == HTTP_M_HEAD) && q->has_body &&
	    (q->chunked || q->content_length > srv->conf->limits.max_body_discard)) {
		http_serve_error(srv, 413, head, r);
		r->close = true;
		return;
	}
	if (q->m == HTTP_M_UNKNOWN)
		return http_serve_error(srv, 501, false, r);
	if (q->m == HTTP_M_OTHER)
		return http_serve_error(srv, 405, false, r);
	/* A Host this site does not answer for: 421 Misdirected Request (RFC
	 * 9110 section 15.5.20) tells a client or front door the request
	 * reached the wrong server, which a 404 would hide. */
	if (q->has_host && !site_conf_host_ok(srv->conf, q->host.p, q->host.n))
		return http_serve_error(srv, 421, head, r);
	if (!q->path.p)
		return http_serve_error(srv, 400, head, r);
	switch (http_path_normalize(q->path.p, q->path.n, path, sizeof(path), &pn, &query)) {
	case HTTP_PATH_OK:
		break;
	case HTTP_PATH_TOO_LONG:
		return http_serve_error(srv, 414, head, r);
	default:
		return http_serve_error(srv, 400, head, r);
	}

	const struct conf_redirect *rd = site_conf_redirect(srv->conf, path, pn);
	if (rd)
		return redirect(r, rd->code, rd->to, head);

	/* site.conf configures the server; it is not content. */
	if (pn == 10 && hm_memcmp(path, "/site.conf", 10) == 0)
		return http_serve_error(srv, 404, head, r);

	const struct site_entry *e = NULL;
	struct http_slice idx = srv->conf->index;
	bool dir = path[pn - 1] == '/';
	if (!dir)
		e = content(srv, path, pn);
	if (!e && pn + 1 + idx.n < sizeof(name)) {
		/* "/docs/" serves /docs/index.html; "/docs" with such an index
		 * is redirected to "/docs/" so relative links resolve. */
		size_t nn = pn;
		hm_memcpy(name, path, pn);
		if (!dir)
			name[nn++] = '/';
		hm_memcpy(name + nn, idx.p, idx.n);
		nn += idx.n;
		const struct site_entry *ie = content(srv, name, nn);
		if (ie && dir)
			return serve_file(srv, q, name, nn, ie, r);
		if (ie) {
			struct hbuf b;
			struct http_slice loc;
			hb_init(&b, r->loc_buf, sizeof(r->loc_buf));
			hb_put(&b, path, pn);
			hb_ch(&b, '/');
			if (query < q->path.n) {
				hb_ch(&b, '?');
				hb_put(&b, q->path.p + query, q->path.n - query);
			}
			if (b.overflow) /* the query does not fit: drop it */
				b.len = pn + 1;
			loc.p = r->loc_buf;
			loc.n = b.len;
			return redirect(r, 301, loc, head);
		}
	}
	if (!e)
		return http_serve_error(srv, 404, head, r);
	serve_file(srv, q, path, pn, e, r);
}
