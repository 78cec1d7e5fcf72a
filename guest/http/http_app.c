#include "http_app.h"
#include "http_path.h"

const struct conf_app *http_app_route(const struct site_conf *conf, const struct http_request *q,
				      char *path, size_t cap, size_t *pn, struct http_slice *query)
{
	size_t qoff;

	query->p = NULL;
	query->n = 0;
	if (!conf->napp || !q->path.p)
		return NULL;
	if (http_path_normalize(q->path.p, q->path.n, path, cap, pn, &qoff) != HTTP_PATH_OK)
		return NULL;
	if (site_conf_redirect(conf, path, *pn))
		return NULL;
	if (qoff <= q->path.n && qoff > 0 && q->path.p[qoff - 1] == '?') {
		query->p = q->path.p + qoff;
		query->n = q->path.n - qoff;
	}
	return site_conf_app(conf, path, *pn);
}

bool http_app_field(const struct http_app_request *req, size_t *pos, struct http_slice *name,
		    struct http_slice *value)
{
	return http_head_field(req->head, req->head_start, req->head_end, pos, name, value);
}

/* Fields whose values only the library can know: framing, the connection,
 * the date and the server's name. Two of them in one head would be a
 * contradiction, and framing ones a smuggling tool. */
static bool reserved(struct http_slice n)
{
	static const char *const names[] = { "content-length", "transfer-encoding", "connection",
					     "keep-alive", "upgrade", "trailer", "date", "server" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (hm_caseeq_lit(n.p, n.n, names[i]))
			return true;
	return false;
}

const char *http_app_check(const struct http_app_response *r)
{
	if (r->status < 200 || r->status > 599)
		return "handler status outside 200-599";
	if (r->nheaders > HTTP_APP_MAX_HEADERS)
		return "too many response headers";
	if (r->nheaders && !r->headers)
		return "response headers missing";
	for (unsigned i = 0; i < r->nheaders; i++) {
		struct http_slice n = r->headers[i].name, v = r->headers[i].value;
		if (!n.p || n.n == 0 || (v.n && !v.p))
			return "empty response header";
		for (size_t j = 0; j < n.n; j++)
			if (!http_tchar((unsigned char)n.p[j]))
				return "response header name is not a token";
		for (size_t j = 0; j < v.n; j++) {
			unsigned char c = (unsigned char)v.p[j];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return "control byte in a response header value";
		}
		if (reserved(n))
			return "response header is set by the server itself";
	}
	if (r->body_len && !r->body)
		return "response body missing";
	if (r->body_len && (r->status == 204 || r->status == 304))
		return "response body on a 204 or 304";
	return NULL;
}
