#include "http_resp.h"
#include "http_date.h"
#include "http_mem.h"

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
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

	hb_str(b, "HTTP/1.1 ");
	hb_u64(b, (uint64_t)r->status);
	hb_ch(b, ' ');
	hb_str(b, http_reason(r->status));
	hb_str(b, "\r\n");
	if (srv->server_name)
		field(b, "Server", srv->server_name);
	hb_str(b, "Date: ");
	http_date_fmt(b, now_s);
	hb_str(b, "\r\n");
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
	for (unsigned i = 0; i < srv->conf->nheader; i++) {
		const struct conf_header *h = &srv->conf->header[i];
		hb_put(b, h->name.p, h->name.n);
		hb_str(b, ": ");
		hb_put(b, h->value.p, h->value.n);
		hb_str(b, "\r\n");
	}
	if (r->close)
		field(b, "Connection", "close");
	else if (version == 10)
		field(b, "Connection", "keep-alive");
	hb_str(b, "\r\n");
	if (has_builtin && !r->head) {
		hb_put(b, body, bb.len);
		return bb.len;
	}
	return 0;
}
