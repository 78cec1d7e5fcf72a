#include "http_resp.h"
#include "http_date.h"
#include "http_mem.h"

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
	}
}

static void field(struct hbuf *b, const char *name, const char *value)
{
	hb_str(b, name);
	hb_str(b, ": ");
	hb_str(b, value);
	hb_str(b, "\r\n");
}

static void slice_field(struct hbuf *b, struct http_slice name, struct http_slice value)
{
	hb_put(b, name.p, name.n);
	hb_str(b, ": ");
	hb_put(b, value.p, value.n);
	hb_str(b, "\r\n");
}

static void status_line(struct hbuf *b, const struct http_server *srv, int status, uint64_t now_s)
{
	hb_str(b, "HTTP/1.1 ");
	hb_u64(b, (uint64_t)status);
	hb_ch(b, ' ');
	hb_str(b, http_reason(status));
	hb_str(b, "\r\n");
	if (srv->server_name)
		field(b, "Server", srv->server_name);
	hb_str(b, "Date: ");
	http_date_fmt(b, now_s);
	hb_str(b, "\r\n");
}

static void connection(struct hbuf *b, bool close, unsigned version)
{
	if (close)
		field(b, "Connection", "close");
	else if (version == 10)
		field(b, "Connection", "keep-alive");
}

static void builtin(struct hbuf *b, int status)
{
	const char *reason = http_reason(status);

	hb_str(b, "<!DOCTYPE html>\n<html><head><title>");
	hb_u64(b, (uint64_t)status);
	hb_ch(b, ' ');
	hb_str(b, reason);
	hb_str(b, "</title></head><body><h1>");
	hb_u64(b, (uint64_t)status);
	hb_ch(b, ' ');
	hb_str(b, reason);
	hb_str(b, "</h1></body></html>\n");
}

size_t http_resp_write(struct hbuf *b, const struct http_server *srv, const struct http_resp *r,
		       unsigned version, uint64_t now_s)
{
	char body[192];
	struct hbuf bb;
	bool has_builtin = !r->entry && r->status != 304 && r->status >= 300;

	hb_init(&bb, body, sizeof(body));
	if (has_builtin)
		builtin(&bb, r->status);

	status_line(b, srv, r->status, now_s);
	if (r->location.p) {
		hb_str(b, "Location: ");
		hb_put(b, r->location.p, r->location.n);
		hb_str(b, "\r\n");
	}
	if (r->allow)
		field(b, "Allow", "GET, HEAD");
	if (r->status != 304) {
		if (r->ctype)
			field(b, "Content-Type", r->ctype);
		hb_str(b, "Content-Length: ");
		hb_u64(b, has_builtin ? bb.len : r->len);
		hb_str(b, "\r\n");
	}
	if (r->partial) {
		hb_str(b, "Content-Range: bytes ");
		hb_u64(b, r->first);
		hb_ch(b, '-');
		hb_u64(b, r->first + r->len - 1);
		hb_ch(b, '/');
		hb_u64(b, r->total);
		hb_str(b, "\r\n");
	} else if (r->unsatisfiable) {
		hb_str(b, "Content-Range: bytes */");
		hb_u64(b, r->total);
		hb_str(b, "\r\n");
	}
	if (r->gzip)
		field(b, "Content-Encoding", "gzip");
	if (r->vary)
		field(b, "Vary", "Accept-Encoding");
	if (r->validators && r->entry) {
		hb_str(b, "Last-Modified: ");
		http_date_fmt(b, r->entry->mtime);
		hb_str(b, "\r\nETag: ");
		hb_put(b, r->etag, r->etag_len);
		hb_str(b, "\r\n");
	}
	if (r->ranges)
		field(b, "Accept-Ranges", "bytes");
	for (unsigned i = 0; i < srv->conf->nheader; i++)
		slice_field(b, srv->conf->header[i].name, srv->conf->header[i].value);
	connection(b, r->close, version);
	hb_str(b, "\r\n");
	if (has_builtin && !r->head) {
		hb_put(b, body, bb.len);
		return bb.len;
	}
	return 0;
}

static bool app_sets(const struct http_app_response *a, struct http_slice name)
{
	for (unsigned i = 0; i < a->nheaders; i++)
		if (hm_caseeq(a->headers[i].name.p, a->headers[i].name.n, name.p, name.n))
			return true;
	return false;
}

void http_resp_write_app(struct hbuf *b, const struct http_server *srv,
			 const struct http_app_response *a, bool close, unsigned version,
			 uint64_t now_s)
{
	status_line(b, srv, a->status, now_s);
	for (unsigned i = 0; i < a->nheaders; i++)
		slice_field(b, a->headers[i].name, a->headers[i].value);
	/* The site's own fields, unless the handler chose that one itself
	 * (two Cache-Control fields would contradict each other). */
	for (unsigned i = 0; i < srv->conf->nheader; i++)
		if (!app_sets(a, srv->conf->header[i].name))
			slice_field(b, srv->conf->header[i].name, srv->conf->header[i].value);
	/* RFC 9110 section 8.6: no Content-Length on a 204; a 304's would
	 * describe the cached representation, which the app did not give. */
	if (a->status != 204 && a->status != 304) {
		hb_str(b, "Content-Length: ");
		hb_u64(b, a->body_len);
		hb_str(b, "\r\n");
	}
	connection(b, close, version);
	hb_str(b, "\r\n");
}
