#include "http_log.h"
#include "http_date.h"

void http_log_line(struct hbuf *b, const char *peer, uint64_t now_s, struct http_slice request,
		   int status, uint64_t bytes)
{
	static const char hex[] = "0123456789abcdef";

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
