#include "http_log.h"
#include "http_date.h"

bool http_log_addr_ok(struct http_slice a)
{
	if (!a.p || a.n == 0 || a.n > HTTP_LOG_ADDR_MAX)
		return false;
	for (size_t i = 0; i < a.n; i++) {
		char c = a.p[i];
		if (!hm_isdigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') &&
		    c != '.' && c != ':')
			return false;
	}
	return true;
}

void http_log_line(struct hbuf *b, const char *peer, struct http_slice real_ip, uint64_t now_s,
		   struct http_slice request, int status, uint64_t bytes)
{
	static const char hex[] = "0123456789abcdef";

	/* Anything else in X-Real-IP (nginx's "unix:" for a unix socket client,
	 * or whatever a client sent without a front door) falls back to the
	 * peer rather than being escaped: the field must stay one word. */
	if (http_log_addr_ok(real_ip))
		hb_put(b, real_ip.p, real_ip.n);
	else
		hb_str(b, peer && *peer ? peer : "-");
	hb_str(b, " - - [");
	http_date_fmt_clf(b, now_s);
	hb_str(b, "] ");
	if (!request.p) {
		hb_str(b, "\"-\"");
	} else {
		hb_ch(b, '"');
		for (size_t i = 0; i < request.n && i < HTTP_LOG_REQ_MAX; i++) {
			unsigned char c = (unsigned char)request.p[i];
			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
				char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
				hb_put(b, esc, 4);
			} else {
				hb_ch(b, (char)c);
			}
		}
		if (request.n > HTTP_LOG_REQ_MAX)
			hb_str(b, "...");
		hb_ch(b, '"');
	}
	hb_ch(b, ' ');
	hb_u64(b, (uint64_t)status);
	hb_ch(b, ' ');
	if (bytes)
		hb_u64(b, bytes);
	else
		hb_ch(b, '-');
}
