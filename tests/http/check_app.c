/* App routes end to end through the connection machine, with a test
 * handler that records what it was given and echoes the body: routing,
 * request bodies (Content-Length and chunked, whole, split and pipelined),
 * 100 Continue, the handler's view of the request, response framing and
 * the checks on what a handler returns. Static routes must not change. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suite.h"
#include "fixture.h"
#include "suites.h"

#define BODY_MAX 100000

static struct fixture f;
static struct http_conn conn;
static char inbuf[4096];
static char hdr[4096];
static struct http_out out;
static const uint64_t T0 = (uint64_t)FX_MTIME * 1000 + 3600 * 1000;

/* body_alloc on malloc, with a size header so a free with the wrong size
 * and anything left over are caught. */
static int allocs, alloc_calls;
static bool alloc_fail;

static void *t_alloc(void *ctx, size_t n)
{
	(void)ctx;
	alloc_calls++;
	if (alloc_fail)
		return NULL;
	size_t *p = malloc(n + 16);
	ck_assert_ptr_nonnull(p);
	*p = n;
	allocs++;
	return (char *)p + 16;
}

static void t_free(void *ctx, void *p, size_t n)
{
	(void)ctx;
	size_t *h = (size_t *)((char *)p - 16);
	ck_assert_uint_eq(*h, n);
	allocs--;
	free(h);
}

/* The test handler: what it saw, and what it is told to answer. */
static struct {
	int calls, ends;
	/* to answer */
	int rc, status;
	struct http_app_header hdrs[80];
	unsigned nh;
	const char *body; /* NULL: echo the request body */
	size_t body_len;
	/* seen */
	char method[32], path[1100], query[256], file[64], prefix[64], client[64], host[64];
	bool has_query, has_host;
	char fields[4096];
	size_t nfields;
	char seen_body[BODY_MAX + 1];
	size_t seen_len;
	bool body_null;
} app;

static char echo[BODY_MAX + 1];

static void cp(char *dst, size_t cap, struct http_slice s)
{
	ck_assert_uint_lt(s.n, cap);
	memcpy(dst, s.p ? s.p : "", s.n);
	dst[s.n] = 0;
}

static int handler(void *ctx, const struct http_app_request *rq, struct http_app_response *rs)
{
	struct http_slice n, v;
	size_t pos = 0;

	ck_assert_ptr_eq(ctx, &app);
	app.calls++;
	cp(app.method, sizeof(app.method), rq->method);
	cp(app.path, sizeof(app.path), rq->path);
	cp(app.query, sizeof(app.query), rq->query);
	cp(app.file, sizeof(app.file), rq->file);
	cp(app.prefix, sizeof(app.prefix), rq->prefix);
	cp(app.client, sizeof(app.client), rq->client);
	cp(app.host, sizeof(app.host), rq->host);
	app.has_query = rq->query.p != NULL;
	app.has_host = rq->host.p != NULL;
	app.fields[0] = 0;
	app.nfields = 0;
	while (http_app_field(rq, &pos, &n, &v)) {
		size_t l = strlen(app.fields);
		snprintf(app.fields + l, sizeof(app.fields) - l, "%.*s=%.*s|", (int)n.n, n.p, (int)v.n,
			 v.p);
		app.nfields++;
	}
	ck_assert_uint_le(rq->body_len, BODY_MAX);
	app.body_null = rq->body == NULL;
	memcpy(app.seen_body, rq->body ? rq->body : "", rq->body_len);
	app.seen_len = rq->body_len;

	rs->status = app.status ? app.status : 200;
	rs->headers = app.hdrs;
	rs->nheaders = app.nh;
	if (app.body) {
		rs->body = app.body;
		rs->body_len = app.body_len;
	} else {
		memcpy(echo, rq->body ? rq->body : "", rq->body_len);
		rs->body = rq->body_len ? echo : NULL;
		rs->body_len = rq->body_len;
	}
	rs->user = &app.ends;
	return app.rc;
}

/* The library is done with the response: spoil it, so a body the library
 * did not copy would show. */
static void handler_end(void *ctx, struct http_app_response *rs)
{
	ck_assert_ptr_eq(ctx, &app);
	ck_assert_ptr_eq(rs->user, &app.ends);
	app.ends++;
	memset(echo, 'X', sizeof(echo));
}

static const char conf_text[] = "host localhost\n"
				"app /api/ api.lua\n"
				"app /api/admin/ admin.lua\n"
				"app /form /lua/form.lua\n"
				"redirect /api/old /index.html\n"
				"header X-Site yes\n"
				"header Cache-Control public\n"
				"error 404 /404.html\n"
				"app_body_max 100000\n"
				"idle_timeout 5\n";

static void open_conn(void)
{
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "cid:3:49152", T0);
}

static void setup(void)
{
	fx_dir(&f);
	fx_file(&f, "index.html", "<h1>home</h1>\n", 14);
	fx_file(&f, "404.html", "<h1>custom 404</h1>\n", 20);
	fx_file(&f, "api.lua", "-- api\n", 7);
	fx_file(&f, "admin.lua", "-- admin\n", 9);
	fx_file(&f, "lua/form.lua", "-- form\n", 8);
	fx_file(&f, "site.conf", conf_text, sizeof(conf_text) - 1);
	fx_pack(&f, "ustar", NULL);
	ck_assert_msg(fx_open(&f) == 0, "%s / %s", f.site.err, f.conf.err);
	f.srv.app = handler;
	f.srv.app_end = handler_end;
	f.srv.app_ctx = &app;
	f.srv.body_alloc = t_alloc;
	f.srv.body_free = t_free;
	memset(&app, 0, sizeof(app));
	allocs = alloc_calls = 0;
	alloc_fail = false;
	open_conn();
}

static void teardown(void)
{
	http_conn_release(&conn);
	ck_assert_int_eq(allocs, 0);
	fx_free(&f);
}

/* The responses of one run, as a client would have received them. */
struct got {
	int status;
	bool close, interim;
	bool mem; /* the body came in out.mem (body_alloc storage) */
	char head[4096];
	size_t head_len;
	char body[BODY_MAX + 1];
	size_t body_len;
};
static struct got got[8];
static int ngot;

static void record(void)
{
	struct got *g = &got[ngot++];
	const char *e;

	ck_assert_int_le(ngot, 8);
	ck_assert_uint_le(out.hdr_len, sizeof(hdr));
	hdr[out.hdr_len] = 0;
	e = memmem(hdr, out.hdr_len, "\r\n\r\n", 4);
	ck_assert_ptr_nonnull(e);
	g->status = out.status;
	g->close = out.close;
	g->interim = out.interim;
	g->head_len = (size_t)(e + 4 - hdr);
	memcpy(g->head, hdr, g->head_len);
	g->head[g->head_len] = 0;
	g->body_len = out.hdr_len - g->head_len;
	memcpy(g->body, e + 4, g->body_len);
	g->mem = out.mem != NULL;
	if (out.mem) {
		ck_assert_ptr_null(out.entry);
		memcpy(g->body + g->body_len, out.mem, out.body_len);
		g->body_len += out.body_len;
	} else if (out.entry) {
		memcpy(g->body + g->body_len, (const char *)site_data(&f.site, out.entry) + out.body_off,
		       out.body_len);
		g->body_len += out.body_len;
	}
	g->body[g->body_len] = 0;
}

static enum http_conn_res drain(void)
{
	enum http_conn_res r;

	while ((r = http_conn_next(&conn, hdr, sizeof(hdr) - 1, &out, T0)) == HTTP_CONN_RESPONSE)
		record();
	return r;
}

/* Feeds req[0, n) in pieces of `piece` bytes (the last may be shorter),
 * answering after each as a server loop would; returns the last result. */
static enum http_conn_res run_n(const char *req, size_t n, size_t piece)
{
	enum http_conn_res r = HTTP_CONN_NEED_MORE;
	size_t pos = 0;

	ngot = 0;
	while (pos < n && r != HTTP_CONN_CLOSE) {
		size_t k = n - pos < piece ? n - pos : piece;
		size_t used = http_conn_feed(&conn, req + pos, k, T0);
		pos += used;
		r = drain();
		if (!used && r == HTTP_CONN_NEED_MORE)
			ck_abort_msg("stalled at %zu of %zu", pos, n);
	}
	return r;
}

static enum http_conn_res run(const char *req, size_t piece)
{
	return run_n(req, strlen(req), piece);
}

/* One request on a fresh connection; returns its (first) status. */
static int req1(const char *r)
{
	http_conn_release(&conn);
	open_conn();
	run(r, strlen(r));
	ck_assert_int_ge(ngot, 1);
	return got[0].status;
}

static const char *field(const struct got *g, const char *name)
{
	static char v[1024];

	if (fx_header(g->head, g->head_len, name, v, sizeof(v)) < 0)
		return NULL;
	return v;
}

static int count_fields(const struct got *g, const char *name)
{
	int n = 0;
	size_t nl = strlen(name);

	for (const char *p = g->head; (p = strstr(p, "\r\n")) != NULL; p += 2)
		if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':')
			n++;
	return n;
}

START_TEST(routes_longest_prefix)
{
	static const struct {
		const char *target, *file, *path;
	} want[] = {
		{ "/api/users", "api.lua", "/api/users" },
		{ "/api/", "api.lua", "/api/" },
		{ "/api/admin/x", "admin.lua", "/api/admin/x" },
		{ "/api/admin", "api.lua", "/api/admin" },
		{ "/api//admin/./x", "admin.lua", "/api/admin/x" },
		{ "/api/%61dmin/x?y=%20", "admin.lua", "/api/admin/x" },
		{ "/form", "lua/form.lua", "/form" },
		{ "/formx/y", "lua/form.lua", "/formx/y" },
		{ "http://localhost/api/abs", "api.lua", "/api/abs" },
	};
	char r[512];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		app.calls = 0;
		snprintf(r, sizeof(r), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", want[i].target);
		ck_assert_msg(req1(r) == 200, "%s: %d", want[i].target, got[0].status);
		ck_assert_int_eq(app.calls, 1);
		ck_assert_str_eq(app.file, want[i].file);
		ck_assert_str_eq(app.path, want[i].path);
	}
	/* not routed: static answers */
	app.calls = 0;
	ck_assert_int_eq(req1("GET /api HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_int_eq(req1("GET /API/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_int_eq(req1("GET /api/old HTTP/1.1\r\nHost: localhost\r\n\r\n"), 301);
	ck_assert_int_eq(req1("GET /api/../index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400);
	ck_assert_int_eq(req1("GET /api/%2f HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400);
	ck_assert_int_eq(req1("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_str_eq(got[0].body, "<h1>home</h1>\n");
	/* an app route for a host the site does not serve */
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: evil.test\r\nContent-Length: 2\r\n\r\nab"),
			 421);
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

/* A script is run, never served. */
START_TEST(app_files_not_served)
{
	ck_assert_int_eq(req1("GET /api.lua HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_str_eq(got[0].body, "<h1>custom 404</h1>\n");
	ck_assert_int_eq(req1("GET /lua/form.lua HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_int_eq(req1("HEAD /admin.lua HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

START_TEST(request_view)
{
	ck_assert_int_eq(req1("PATCH /api/items/7?sort=a%20b&x HTTP/1.1\r\n"
			      "Host: localhost:8080\r\n"
			      "X-Real-IP: 203.0.113.9\r\n"
			      "Content-Type:  application/json \r\n"
			      "X-Twice: 1\r\n"
			      "x-twice: 2\r\n"
			      "Content-Length: 7\r\n"
			      "\r\n"
			      "{\"a\":1}"),
			 200);
	ck_assert_str_eq(app.method, "PATCH");
	ck_assert_str_eq(app.path, "/api/items/7");
	ck_assert(app.has_query);
	ck_assert_str_eq(app.query, "sort=a%20b&x"); /* raw, not decoded */
	ck_assert_str_eq(app.prefix, "/api/");
	ck_assert_str_eq(app.file, "api.lua");
	ck_assert_str_eq(app.client, "203.0.113.9");
	ck_assert_str_eq(app.host, "localhost:8080");
	/* every field, in order, names as sent, values trimmed */
	ck_assert_str_eq(app.fields, "Host=localhost:8080|X-Real-IP=203.0.113.9|"
				     "Content-Type=application/json|X-Twice=1|x-twice=2|"
				     "Content-Length=7|");
	ck_assert_uint_eq(app.seen_len, 7);
	ck_assert_mem_eq(app.seen_body, "{\"a\":1}", 7);
	ck_assert_str_eq(got[0].body, "{\"a\":1}");

	/* no query, no body, a malformed X-Real-IP: the peer is the client */
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 1.2.3.4 evil\r\n\r\n"),
			 200);
	ck_assert(!app.has_query);
	ck_assert_str_eq(app.client, "cid:3:49152");
	ck_assert(app.body_null);
	ck_assert_uint_eq(app.seen_len, 0);
	/* an empty query is still a query; HTTP/1.0 without Host */
	ck_assert_int_eq(req1("GET /api/x? HTTP/1.0\r\n\r\n"), 200);
	ck_assert(app.has_query);
	ck_assert_str_eq(app.query, "");
	ck_assert(!app.has_host);
	ck_assert(got[0].close);
}
END_TEST

/* Any method may reach an app; static routes still refuse them. */
START_TEST(methods)
{
	static const char *const m[] = { "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW", "HEAD" };
	char r[256];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(r, sizeof(r), "%s /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n", m[i]);
		ck_assert_msg(req1(r) == 200, "%s: %d", m[i], got[0].status);
		ck_assert_str_eq(app.method, m[i]);
	}
	app.calls = 0;
	ck_assert_int_eq(req1("POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"),
			 405);
	ck_assert_int_eq(req1("BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n"), 501);
	ck_assert_int_eq(req1("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n"), 405);
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

START_TEST(content_length_exact_and_pipelined)
{
	const char *r = "POST /api/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello world"
			"POST /api/b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nxyz"
			"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

	ck_assert_int_eq(run(r, strlen(r)), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(ngot, 3);
	ck_assert_int_eq(got[0].status, 200);
	ck_assert_str_eq(got[0].body, "hello world");
	ck_assert_str_eq(field(&got[0], "Content-Length"), "11");
	ck_assert_str_eq(got[1].body, "xyz");
	ck_assert_str_eq(app.path, "/api/b");
	ck_assert_str_eq(got[2].body, "<h1>home</h1>\n");
	ck_assert_int_eq(app.calls, 2);
	ck_assert_int_eq(app.ends, 2);
	ck_assert_int_eq(alloc_calls, 0); /* small: in the connection's buffer */
	ck_assert_uint_eq(conn.len, 0);
	/* the same, a byte at a time */
	ck_assert_int_eq(run(r, 1), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(ngot, 3);
	ck_assert_str_eq(got[0].body, "hello world");
	ck_assert_str_eq(got[1].body, "xyz");
	ck_assert_str_eq(got[2].body, "<h1>home</h1>\n");
	/* a zero Content-Length is no body */
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"), 200);
	ck_assert(app.body_null);
}
END_TEST

START_TEST(content_length_too_large_not_read)
{
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100001\r\n\r\n"
			      "some of it"),
			 413);
	ck_assert(got[0].close);
	ck_assert_int_eq(app.calls, 0);
	ck_assert_int_eq(alloc_calls, 0);
	/* the rest is dropped, nothing more is answered */
	ck_assert_uint_eq(http_conn_feed(&conn, "GET / HTTP/1.1\r\n\r\n", 18, T0), 18);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
	/* exactly the limit is fine */
	static char big[BODY_MAX + 200];
	int n = snprintf(big, sizeof(big), "PUT /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n",
			 BODY_MAX);
	memset(big + n, 'b', BODY_MAX);
	http_conn_release(&conn);
	open_conn();
	run_n(big, (size_t)n + BODY_MAX, 1000);
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(got[0].status, 200);
	ck_assert_uint_eq(app.seen_len, BODY_MAX);
	ck_assert_uint_eq(got[0].body_len, BODY_MAX);
	ck_assert(got[0].mem); /* too big for the head buffer: copied */
	ck_assert_int_eq(alloc_calls, 2); /* the request's body, the response's */
	ck_assert_int_eq(allocs, 0); /* freed once the next response was asked for */
}
END_TEST

/* A body larger than the connection's buffer, in awkward pieces, goes to
 * body_alloc storage; the request behind it still parses. */
START_TEST(content_length_split_large)
{
	static char r[60000];
	int n = snprintf(r, sizeof(r), "POST /api/up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000\r\n\r\n");
	for (int i = 0; i < 50000; i++)
		r[n + i] = (char)('a' + i % 26);
	strcpy(r + n + 50000, "GET /api/next?q HTTP/1.1\r\nHost: localhost\r\n\r\n");
	size_t len = strlen(r);

	static const size_t pieces[] = { 1, 7, 4095, 4096, 4097, 60000 };
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		app.calls = 0;
		http_conn_release(&conn);
		open_conn();
		ck_assert_int_eq(run_n(r, len, pieces[i]), HTTP_CONN_NEED_MORE);
		ck_assert_int_eq(ngot, 2);
		ck_assert_int_eq(got[0].status, 200);
		ck_assert_uint_eq(got[0].body_len, 50000);
		ck_assert_mem_eq(got[0].body, r + n, 50000);
		ck_assert_int_eq(got[1].status, 200);
		ck_assert_str_eq(app.path, "/api/next");
		ck_assert_str_eq(app.query, "q");
		ck_assert_int_eq(app.calls, 2);
		/* storage is held only while needed */
		ck_assert_int_eq(allocs, 0);
	}
}
END_TEST

static const char chunked_req[] = "POST /api/c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "5\r\nhello\r\n"
				  "1;ext=1;q=\"x y\"\r\n,\r\n"
				  "6 ;e\r\n world\r\n"
				  "0\r\n"
				  "X-Trailer: t\r\n"
				  "Other: o\r\n"
				  "\r\n"
				  "GET /api/after HTTP/1.1\r\nHost: localhost\r\n\r\n";

START_TEST(chunked_whole)
{
	ck_assert_int_eq(run(chunked_req, sizeof(chunked_req)), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(ngot, 2);
	ck_assert_int_eq(got[0].status, 200);
	ck_assert_str_eq(got[0].body, "hello, world");
	ck_assert_str_eq(field(&got[0], "Content-Length"), "12");
	ck_assert_ptr_null(field(&got[0], "Transfer-Encoding"));
	ck_assert_int_eq(got[1].status, 200);
	ck_assert_str_eq(app.path, "/api/after");
	ck_assert_int_eq(alloc_calls, 0);
	ck_assert_uint_eq(conn.len, 0);
}
END_TEST

/* Every split of the request into two reads, and every split of it into
 * reads of every size, give the same two answers. */
START_TEST(chunked_every_split)
{
	size_t n = strlen(chunked_req);

	for (size_t cut = 1; cut < n; cut++) {
		http_conn_release(&conn);
		open_conn();
		ngot = 0;
		ck_assert_uint_eq(http_conn_feed(&conn, chunked_req, cut, T0), cut);
		drain();
		ck_assert_uint_eq(http_conn_feed(&conn, chunked_req + cut, n - cut, T0), n - cut);
		ck_assert_int_eq(drain(), HTTP_CONN_NEED_MORE);
		ck_assert_msg(ngot == 2, "cut %zu: %d responses", cut, ngot);
		ck_assert_str_eq(got[0].body, "hello, world");
		ck_assert_int_eq(got[1].status, 200);
		ck_assert_str_eq(app.path, "/api/after");
	}
	for (size_t piece = 1; piece < n; piece++) {
		http_conn_release(&conn);
		open_conn();
		ck_assert_int_eq(run(chunked_req, piece), HTTP_CONN_NEED_MORE);
		ck_assert_msg(ngot == 2, "piece %zu: %d responses", piece, ngot);
		ck_assert_str_eq(got[0].body, "hello, world");
		ck_assert_str_eq(app.path, "/api/after");
	}
}
END_TEST

/* Larger than the connection buffer: it moves out to body_alloc storage
 * and grows there. */
START_TEST(chunked_large)
{
	static char r[120000], want[90000];
	size_t n = (size_t)sprintf(r, "POST /api/c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
	size_t wl = 0;

	for (int i = 0; wl < 85000; i++) {
		size_t k = (size_t)(i * 37 % 3000) + 1;
		n += (size_t)sprintf(r + n, "%zx\r\n", k);
		for (size_t j = 0; j < k; j++)
			r[n + j] = want[wl + j] = (char)('A' + (wl + j) % 50);
		n += k;
		wl += k;
		n += (size_t)sprintf(r + n, "\r\n");
	}
	n += (size_t)sprintf(r + n, "0\r\n\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
	ck_assert_uint_le(wl, BODY_MAX);

	static const size_t pieces[] = { 3, 1000, 4096, sizeof(r) };
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		http_conn_release(&conn);
		open_conn();
		alloc_calls = 0;
		ck_assert_int_eq(run_n(r, n, pieces[i]), HTTP_CONN_NEED_MORE);
		ck_assert_int_eq(ngot, 2);
		ck_assert_int_eq(got[0].status, 200);
		ck_assert_uint_eq(app.seen_len, wl);
		ck_assert_mem_eq(app.seen_body, want, wl);
		ck_assert_uint_eq(got[0].body_len, wl);
		ck_assert_int_eq(got[1].status, 200);
		ck_assert_int_gt(alloc_calls, 1); /* moved out, then grown */
		ck_assert_int_eq(allocs, 0);
	}
}
END_TEST

START_TEST(chunked_malformed_400)
{
	static const char *const bad[] = {
		"zz\r\nhello\r\n0\r\n\r\n",
		"5\nhello\r\n0\r\n\r\n",
		"5\r\nhelloX\r\n0\r\n\r\n",
		"5 \r\nhello\r\n0\r\n\r\n",
		"-5\r\nhello\r\n0\r\n\r\n",
		"\r\n",
		"5;a\x01\r\nhello\r\n0\r\n\r\n",
		"0\r\nno colon\r\n\r\n",
		"0\r\n folded: x\r\n\r\n",
	};
	char r[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(r, sizeof(r), "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n%s",
			 bad[i]);
		app.calls = 0;
		ck_assert_msg(req1(r) == 400, "%zu: %d", i, got[0].status);
		ck_assert(got[0].close);
		ck_assert_int_eq(app.calls, 0);
		ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
	}
	/* the log names the request that was refused */
	ck_assert_ptr_nonnull(strstr(f.log, "\"POST /api/x HTTP/1.1\" 400 "));
}
END_TEST

START_TEST(chunked_over_limit_413)
{
	/* one chunk announced too large: refused before its data comes */
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "186a1\r\n"),
			 413);
	ck_assert(got[0].close);
	ck_assert_int_eq(alloc_calls, 0);
	/* many chunks adding up past the limit */
	static char r[BODY_MAX + 20000];
	size_t n = (size_t)sprintf(r, "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 11; i++) {
		n += (size_t)sprintf(r + n, "2710\r\n"); /* 10000 */
		memset(r + n, 'z', 10000);
		n += 10000;
		n += (size_t)sprintf(r + n, "\r\n");
	}
	http_conn_release(&conn);
	open_conn();
	ck_assert_int_eq(run_n(r, n, 1500), HTTP_CONN_CLOSE);
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(got[0].status, 413);
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

/* Codings we do not decode, and framings we refuse. */
START_TEST(transfer_codings)
{
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
			 501);
	ck_assert(got[0].close);
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n"),
			 501);
	ck_assert_int_eq(req1("POST /api/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
			      "Content-Length: 5\r\n\r\n"),
			 400);
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

START_TEST(expect_100_continue)
{
	const char *h = "POST /api/x HTTP/1.1\r\nHost: localhost\r\nExpect: 100-Continue\r\n"
			"Content-Length: 5\r\n\r\n";

	ck_assert_int_eq(run(h, strlen(h)), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(ngot, 1);
	ck_assert(got[0].interim);
	ck_assert_int_eq(got[0].status, 100);
	ck_assert_str_eq(got[0].head, "HTTP/1.1 100 Continue\r\n\r\n");
	ck_assert_int_eq(f.log_lines, 0); /* not a response of its own in the log */
	ck_assert_int_eq(run("hello", 5), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(ngot, 1);
	ck_assert(!got[0].interim);
	ck_assert_int_eq(got[0].status, 200);
	ck_assert_str_eq(got[0].body, "hello");
	ck_assert_int_eq(f.log_lines, 1);

	/* the body came with the head: no 100 */
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
			      "Content-Length: 5\r\n\r\nhello"),
			 200);
	ck_assert_int_eq(ngot, 1);
	/* chunked too */
	http_conn_release(&conn);
	open_conn();
	h = "PUT /api/x HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n";
	run(h, strlen(h));
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(got[0].status, 100);
	run("3\r\nabc\r\n0\r\n\r\n", 4);
	ck_assert_int_eq(ngot, 1);
	ck_assert_str_eq(got[0].body, "abc");
	/* too large: 413 at once, not 100 */
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
			      "Content-Length: 100001\r\n\r\n"),
			 413);
	/* HTTP/1.0 clients never get a 100 */
	http_conn_release(&conn);
	open_conn();
	h = "POST /api/x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
	run(h, strlen(h));
	ck_assert_int_eq(ngot, 0);
	run("ok", 2);
	ck_assert_int_eq(got[0].status, 200);
	/* an expectation we cannot meet */
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nExpect: 200-ok\r\n"
			      "Content-Length: 2\r\n\r\nok"),
			 417);
	ck_assert(!got[0].close); /* the small body was dropped */
	ck_assert_int_eq(app.calls, 4);
}
END_TEST

START_TEST(response_framing)
{
	static char big[20000];

	app.hdrs[0] = (struct http_app_header){ { "Content-Type", 12 }, { "application/json", 16 } };
	app.hdrs[1] = (struct http_app_header){ { "Set-Cookie", 10 }, { "a=1", 3 } };
	app.hdrs[2] = (struct http_app_header){ { "Set-Cookie", 10 }, { "b=2", 3 } };
	app.hdrs[3] = (struct http_app_header){ { "cache-control", 13 }, { "no-store", 8 } };
	app.nh = 4;
	app.status = 201;
	app.body = "{\"ok\":true}";
	app.body_len = 11;
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 201);
	ck_assert(strncmp(got[0].head, "HTTP/1.1 201 Created\r\n", 22) == 0);
	ck_assert_str_eq(field(&got[0], "Content-Type"), "application/json");
	ck_assert_int_eq(count_fields(&got[0], "Set-Cookie"), 2);
	ck_assert_str_eq(field(&got[0], "Content-Length"), "11");
	ck_assert_str_eq(field(&got[0], "Server"), "vmm-site");
	ck_assert_str_eq(field(&got[0], "Date"), "Tue, 14 Nov 2023 23:13:20 GMT");
	ck_assert_str_eq(field(&got[0], "X-Site"), "yes");
	/* the handler's Cache-Control replaces the site's */
	ck_assert_int_eq(count_fields(&got[0], "Cache-Control"), 1);
	ck_assert_str_eq(field(&got[0], "Cache-Control"), "no-store");
	ck_assert_ptr_null(field(&got[0], "Connection"));
	ck_assert(!got[0].close);
	ck_assert_str_eq(got[0].body, "{\"ok\":true}");
	ck_assert(!got[0].mem); /* small: after the head */
	ck_assert_int_eq(app.ends, 1);
	ck_assert_ptr_nonnull(strstr(f.log, "\"POST /api/x HTTP/1.1\" 201 11"));

	/* HEAD: the length, no body */
	ck_assert_int_eq(req1("HEAD /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 201);
	ck_assert_str_eq(field(&got[0], "Content-Length"), "11");
	ck_assert_uint_eq(got[0].body_len, 0);
	ck_assert_ptr_nonnull(strstr(f.log, "\"HEAD /api/x HTTP/1.1\" 201 -"));
	/* the client's close; HTTP/1.0 keep-alive */
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 201);
	ck_assert_str_eq(field(&got[0], "Connection"), "close");
	ck_assert(got[0].close);
	ck_assert_int_eq(req1("GET /api/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 201);
	ck_assert_str_eq(field(&got[0], "Connection"), "keep-alive");
	ck_assert(!got[0].close);
	/* 204 and 304 carry no Content-Length */
	app.body = NULL;
	app.status = 204;
	ck_assert_int_eq(req1("DELETE /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 204);
	ck_assert(strncmp(got[0].head, "HTTP/1.1 204 No Content\r\n", 25) == 0);
	ck_assert_ptr_null(field(&got[0], "Content-Length"));
	app.status = 304;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 304);
	ck_assert_ptr_null(field(&got[0], "Content-Length"));
	/* a body too big for the head buffer: copied to body_alloc storage,
	 * valid after app_end spoiled the handler's copy */
	app.status = 599;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	app.body = big;
	app.body_len = sizeof(big);
	alloc_calls = 0;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 599);
	ck_assert(got[0].mem);
	ck_assert_uint_eq(got[0].body_len, sizeof(big));
	ck_assert_mem_eq(got[0].body, big, sizeof(big));
	ck_assert_str_eq(field(&got[0], "Content-Length"), "20000");
	ck_assert_int_eq(alloc_calls, 1);
	ck_assert_int_eq(allocs, 0);
	/* no memory for it: 500 */
	alloc_fail = true;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 500);
	ck_assert_ptr_nonnull(strstr(f.log, "app /api/ (api.lua): no memory for the response body"));
	ck_assert_int_eq(app.ends, app.calls); /* app_end after every call */
}
END_TEST

START_TEST(handler_headers_refused_500)
{
	static const struct http_app_header bad[] = {
		{ { "X-A", 3 }, { "a\r\nInjected: 1", 15 } },
		{ { "X-A", 3 }, { "a\nb", 3 } },
		{ { "X-A", 3 }, { "a\0b", 3 } },
		{ { "X-A", 3 }, { "a\rb", 3 } },
		{ { "X-A\r\nB", 6 }, { "v", 1 } },
		{ { "X A", 3 }, { "v", 1 } },
		{ { "X:A", 3 }, { "v", 1 } },
		{ { "", 0 }, { "v", 1 } },
		{ { "Content-Length", 14 }, { "5", 1 } },
		{ { "transfer-encoding", 17 }, { "chunked", 7 } },
		{ { "Connection", 10 }, { "keep-alive", 10 } },
		{ { "Date", 4 }, { "x", 1 } },
		{ { "Server", 6 }, { "x", 1 } },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		app.hdrs[0] = (struct http_app_header){ { "X-Ok", 4 }, { "fine\tvalue", 10 } };
		app.hdrs[1] = bad[i];
		app.nh = 2;
		ck_assert_msg(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n") == 500, "%zu", i);
		ck_assert_ptr_null(strstr(got[0].head, "Injected"));
		ck_assert_ptr_null(field(&got[0], "X-Ok"));
		ck_assert(got[0].close);
	}
	ck_assert_ptr_nonnull(strstr(f.log, "app /api/ (api.lua): control byte in a response header value"));
	ck_assert_ptr_nonnull(strstr(f.log, "response header is set by the server itself"));
	/* too many */
	for (unsigned i = 0; i < HTTP_APP_MAX_HEADERS + 1; i++)
		app.hdrs[i] = (struct http_app_header){ { "X-Many", 6 }, { "1", 1 } };
	app.nh = HTTP_APP_MAX_HEADERS;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_int_eq(count_fields(&got[0], "X-Many"), HTTP_APP_MAX_HEADERS);
	app.nh = HTTP_APP_MAX_HEADERS + 1;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 500);
	/* a head too large for the caller's buffer: the minimal 500 */
	static char longv[5000];
	memset(longv, 'v', sizeof(longv));
	app.hdrs[0] = (struct http_app_header){ { "X-Long", 6 }, { longv, sizeof(longv) } };
	app.nh = 1;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 500);
	ck_assert(got[0].close);
	ck_assert_int_eq(app.ends, app.calls);
}
END_TEST

START_TEST(handler_status_and_failure_500)
{
	static const int bad[] = { -1, 0, 1, 99, 100, 101, 199, 600, 1000 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		app.status = bad[i];
		ck_assert_msg(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n") == 500 ||
				      bad[i] == 0,
			      "%d", bad[i]);
	}
	ck_assert_ptr_nonnull(strstr(f.log, "app /api/ (api.lua): handler status outside 200-599: 600"));
	ck_assert_ptr_nonnull(strstr(f.log, "handler status outside 200-599: -1"));
	app.status = 200;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	app.status = 599;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 599);
	/* the handler itself failed (a Lua error, a budget exceeded) */
	app.rc = -3;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 500);
	ck_assert_ptr_nonnull(strstr(f.log, "app /api/ (api.lua): the handler failed: -3"));
	/* a body with a 204 is a handler bug, not something to send */
	app.rc = 0;
	app.status = 204;
	app.body = "x";
	app.body_len = 1;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 500);
	ck_assert_int_eq(app.ends, app.calls);
}
END_TEST

/* No handler (the kernel runs no apps): 501, a log line, and the request
 * is otherwise treated like a refused static one. */
START_TEST(no_handler_501)
{
	f.srv.app = NULL;
	const char *r = "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
			"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	ck_assert_int_eq(run(r, strlen(r)), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(ngot, 2);
	ck_assert_int_eq(got[0].status, 501);
	ck_assert(!got[0].close);
	ck_assert_int_eq(got[1].status, 200);
	ck_assert_ptr_nonnull(strstr(f.log, "app /api/ (api.lua): this server runs no app handler\n"));
	ck_assert_ptr_nonnull(strstr(f.log, "\"POST /api/x HTTP/1.1\" 501 "));
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 501);
	ck_assert(got[0].close);
	ck_assert_int_eq(app.calls, 0);
	ck_assert_int_eq(alloc_calls, 0);
}
END_TEST

/* Without body_alloc, bodies are limited to the connection buffer. */
START_TEST(no_body_alloc)
{
	static char r[8000];

	f.srv.body_alloc = NULL;
	f.srv.body_free = NULL;
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"), 200);
	ck_assert_str_eq(app.seen_body, "abc");
	ck_assert_int_eq(req1("POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "3\r\nabc\r\n0\r\n\r\n"),
			 200);
	int n = sprintf(r, "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n");
	memset(r + n, 'q', 5000);
	http_conn_release(&conn);
	open_conn();
	run_n(r, (size_t)n + 5000, 100);
	ck_assert_int_eq(got[0].status, 413);
	ck_assert(got[0].close);
	n = sprintf(r, "POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n");
	memset(r + n, 'q', 5000);
	http_conn_release(&conn);
	open_conn();
	run_n(r, (size_t)n + 5000, 100);
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(got[0].status, 413);
	/* a response body too large for the head buffer */
	app.body = r;
	app.body_len = 5000;
	ck_assert_int_eq(req1("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"), 500);
	ck_assert_int_eq(app.calls, 3);
}
END_TEST

START_TEST(body_alloc_fails_503)
{
	static char r[8000];

	alloc_fail = true;
	int n = sprintf(r, "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n");
	memset(r + n, 'q', 5000);
	run_n(r, (size_t)n + 5000, 100);
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(got[0].status, 503);
	ck_assert(strncmp(got[0].head, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
	ck_assert(got[0].close);
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

/* A stalled body: 408 after idle_timeout of silence, its storage freed;
 * a body cut by EOF: closed. */
START_TEST(body_timeout_and_eof)
{
	static char r[8000];
	int n = sprintf(r, "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6000\r\n\r\n");
	memset(r + n, 'q', 3000);

	run_n(r, (size_t)n + 3000, 1000);
	ck_assert_int_eq(ngot, 0);
	ck_assert_int_eq(allocs, 1);
	/* the header timeout (10 s) does not apply to a body that keeps coming */
	ck_assert_uint_eq(http_conn_deadline(&conn), T0 + 5000);
	http_conn_touch(&conn, T0 + 4000);
	ck_assert_uint_eq(http_conn_deadline(&conn), T0 + 9000);
	ck_assert_int_eq(http_conn_timeout(&conn, hdr, sizeof(hdr), &out, T0 + 8999), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(http_conn_timeout(&conn, hdr, sizeof(hdr), &out, T0 + 9000), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(out.status, 408);
	ck_assert(out.close);
	ck_assert_int_eq(allocs, 0);
	ck_assert_int_eq(app.calls, 0);

	http_conn_release(&conn);
	open_conn();
	run_n(r, (size_t)n + 3000, 1000);
	http_conn_eof(&conn);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
	ck_assert_int_eq(allocs, 1); /* until the connection is released (teardown) */
	ck_assert_int_eq(app.calls, 0);
}
END_TEST

/* Static routes refuse bodies exactly as before apps existed. */
START_TEST(static_bodies_unchanged)
{
	ck_assert_int_eq(req1("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"), 413);
	ck_assert(got[0].close);
	ck_assert_int_eq(req1("GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"), 413);
	ck_assert(got[0].close);
	ck_assert_int_eq(req1("HEAD /index.html HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 413);
	ck_assert_int_eq(req1("POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9999999\r\n\r\n"),
			 405);
	ck_assert(got[0].close);
	ck_assert_int_eq(req1("POST /index.html HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 405);
	ck_assert(got[0].close);
	const char *r = "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
			"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	http_conn_release(&conn);
	open_conn();
	run(r, 5);
	ck_assert_int_eq(ngot, 2);
	ck_assert_int_eq(got[0].status, 200);
	ck_assert_int_eq(got[1].status, 200);
	ck_assert_int_eq(app.calls, 0);
	ck_assert_int_eq(alloc_calls, 0);
}
END_TEST

/* site.conf naming an app file the archive lacks is a load error. */
START_TEST(missing_app_file_refused)
{
	static const char bad[] = "host localhost\napp /api/ api.lua\napp /x/ nothere.lua\n";
	struct fixture g;

	fx_dir(&g);
	fx_file(&g, "api.lua", "--\n", 3);
	fx_file(&g, "site.conf", bad, sizeof(bad) - 1);
	fx_pack(&g, "ustar", NULL);
	ck_assert_int_eq(fx_open(&g), -1);
	ck_assert_str_eq(g.conf.err, "site.conf line 3: app file is not a file in the archive 'nothere.lua'");
	fx_free(&g);

	/* a directory is not a file either; error pages are checked too */
	static const char bad2[] = "app /api/ lua\n";
	fx_dir(&g);
	fx_file(&g, "lua/a.lua", "--\n", 3);
	fx_file(&g, "site.conf", bad2, sizeof(bad2) - 1);
	fx_pack(&g, "ustar", NULL);
	ck_assert_int_eq(fx_open(&g), -1);
	ck_assert_ptr_nonnull(strstr(g.conf.err, "line 1: app file is not a file in the archive 'lua'"));
	fx_free(&g);

	static const char bad3[] = "\nerror 404 /404.html\n";
	fx_dir(&g);
	fx_file(&g, "index.html", "x", 1);
	fx_file(&g, "site.conf", bad3, sizeof(bad3) - 1);
	fx_pack(&g, "ustar", NULL);
	ck_assert_int_eq(fx_open(&g), -1);
	ck_assert_str_eq(g.conf.err, "site.conf line 2: error page is not a file in the archive '/404.html'");
	fx_free(&g);
}
END_TEST

Suite *app_suite(void)
{
	const TTest *const tests[] = {
		routes_longest_prefix,
		app_files_not_served,
		request_view,
		methods,
		content_length_exact_and_pipelined,
		content_length_too_large_not_read,
		content_length_split_large,
		chunked_whole,
		chunked_every_split,
		chunked_large,
		chunked_malformed_400,
		chunked_over_limit_413,
		transfer_codings,
		expect_100_continue,
		response_framing,
		handler_headers_refused_500,
		handler_status_and_failure_500,
		no_handler_501,
		no_body_alloc,
		body_alloc_fails_503,
		body_timeout_and_eof,
		static_bodies_unchanged,
		missing_app_file_refused,
		NULL,
	};

	return one_case_suite("app", "core", 60, setup, teardown, tests);
}
