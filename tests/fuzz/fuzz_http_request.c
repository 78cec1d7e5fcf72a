/* The request parser and the connection machine against arbitrary bytes:
 * the first input byte picks how the rest is cut into received pieces (its
 * low 6 bits), so incremental framing and pipelining are exercised too, and
 * the server's optional parts (bit 6: no body_alloc; bit 7: no app handler).
 * site.conf routes /api/ to an app whose handler echoes the request body
 * and builds its response from the request's fields (X-Status: the status;
 * X-H-Name: value: a response field Name; X-Big: a body too large for the
 * head buffer), so request bodies, chunked decoding and the checks on
 * handler responses are all reachable. Every response must stay inside the
 * header buffer, every body reference inside its file, every head be CRLF
 * lines, and every allocation be freed by http_conn_release. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_app.h"
#include "http/http_conn.h"
#include "http/http_date.h"
#include "http/http_fields.h"
#include "http/http_log.h"
#include "http/http_path.h"
#include "fuzz_site.h"

/* A small ustar image built once: enough files for every code path. */
static uint8_t img[64 * 512];
static size_t img_len;

static void tar_add(const char *name, const char *data, char type)
{
	fuzz_tar_add(img, &img_len, sizeof(img), name, data, type);
}

static const char conf_text[] = "host localhost example.test *.w.test\n"
				"redirect /old /new.html 302\n"
				"header X-A b\n"
				"error 404 /404.html\n"
				"idle_timeout 5\n"
				"max_headers 20\n"
				"max_header_bytes 4096\n"
				"app /api/ api.lua\n"
				"app /api/x/ lib/x.lua\n"
				"app_body_max 6000\n";

static struct site site;
static struct site_conf conf;
static struct http_server srv;
static uint8_t arena[1 << 16];

static void sink(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	if (memchr(line, '\n', n))
		abort(); /* a request must never forge a log line */
	/* An app diagnostic: made of site.conf words and fixed phrases only. */
	if (n > 5 && memcmp(line, "app /", 5) == 0)
		return;
	/* The client field is the peer or an X-Real-IP that looks like an
	 * address: a request must never put anything else there. */
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		abort();
	struct http_slice client = { line, (size_t)(sp - line) };
	if (!(client.n == 4 && memcmp(line, "fuzz", 4) == 0) && !http_log_addr_ok(client))
		abort();
}

/* body_alloc on malloc, counted so a leak or a wrong size is caught. */
static long live;

static void *b_alloc(void *ctx, size_t n)
{
	(void)ctx;
	size_t *p = malloc(n + 16);
	if (!p)
		abort();
	*p = n;
	live++;
	return (char *)p + 16;
}

static void b_free(void *ctx, void *p, size_t n)
{
	(void)ctx;
	size_t *h = (size_t *)((char *)p - 16);
	if (*h != n)
		abort();
	live--;
	free(h);
}

#define MAX_H 24
static struct http_app_header resp_h[MAX_H];
static char echo[6000 + 1], bigbody[9000];

static bool prefixed(struct http_slice n, const char *pre, size_t pl)
{
	return n.n >= pl && hm_caseeq(n.p, pl, pre, pl);
}

static int echo_app(void *ctx, const struct http_app_request *rq, struct http_app_response *rs)
{
	struct http_slice n, v;
	size_t pos = 0;
	uint64_t cl = 0, st;
	bool has_cl = false, big = false;

	(void)ctx;
	if (rq->body_len > 6000 || (rq->body_len && !rq->body) || !rq->path.p || rq->path.p[0] != '/' ||
	    !rq->file.n || !rq->client.n)
		abort();
	rs->status = 200;
	while (http_app_field(rq, &pos, &n, &v)) {
		if (hm_caseeq_lit(n.p, n.n, "content-length") && hm_parse_u64(v.p, v.n, 1ull << 62, &cl))
			has_cl = true;
		else if (hm_caseeq_lit(n.p, n.n, "x-status") && hm_parse_u64(v.p, v.n, 100000, &st))
			rs->status = (int)st - 1000; /* lets inputs reach negative statuses */
		else if (hm_caseeq_lit(n.p, n.n, "x-big"))
			big = true;
		else if (prefixed(n, "x-h-", 4) && rs->nheaders < MAX_H)
			resp_h[rs->nheaders++] = (struct http_app_header){ { n.p + 4, n.n - 4 }, v };
	}
	/* the body is exactly what Content-Length announced */
	if (has_cl && cl != rq->body_len)
		abort();
	rs->headers = resp_h;
	if (big) {
		rs->body = bigbody;
		rs->body_len = sizeof(bigbody);
	} else if (rq->body_len) {
		for (size_t i = 0; i < rq->body_len; i++)
			echo[i] = rq->body[i];
		rs->body = echo;
		rs->body_len = rq->body_len;
	}
	return rs->status == 299 ? -1 : 0; /* 299: the handler "fails" */
}

static void init(void)
{
	struct site_image im;

	tar_add("./", "", '5');
	tar_add("./index.html", "<h1>home</h1>", '0');
	tar_add("./404.html", "<h1>404</h1>", '0');
	tar_add("./docs/index.html", "docs", '0');
	tar_add("./big.txt", "0123456789abcdefghijklmnopqrstuvwxyz", '0');
	tar_add("./a.css", "body{}", '0');
	tar_add("./a.css.gz", "\x1f\x8b gz", '0');
	tar_add("./site.conf", conf_text, '0');
	tar_add("./api.lua", "-- api", '0');
	tar_add("./lib/x.lua", "-- x", '0');
	fuzz_tar_end(img, &img_len, sizeof(img));
	site_image_mem(&im, img, img_len);
	site_conf_default(&conf);
	if (site_open(&site, &im, arena, sizeof(arena)) < 0 ||
	    site_conf_parse(&conf, conf_text, sizeof(conf_text) - 1) < 0 ||
	    site_conf_check(&conf, &site) < 0)
		abort();
	memset(bigbody, 'B', sizeof(bigbody));
	srv.site = &site;
	srv.conf = &conf;
	srv.server_name = "fuzz";
	srv.log = sink;
}

static void check(const struct http_out *o, const char *hdr, size_t cap)
{
	fuzz_check_response(o, hdr, cap, sizeof(bigbody));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[4096], hdr[2048];
	struct http_conn c;
	struct http_out o;
	uint64_t now = 1700000000000ull;

	if (!srv.site)
		init();
	if (size == 0)
		return 0;
	size_t piece = (data[0] & 63) + 1;
	srv.body_alloc = data[0] & 64 ? NULL : b_alloc;
	srv.body_free = data[0] & 64 ? NULL : b_free;
	srv.app = data[0] & 128 ? NULL : echo_app;
	data++;
	size--;

	/* the field parsers on their own, on the same bytes */
	char path[256];
	size_t pl, q;
	uint64_t t, a, n;
	http_path_normalize((const char *)data, size, path, sizeof(path), &pl, &q);
	http_date_parse((const char *)data, size, &t);
	struct http_slice s = { (const char *)data, size };
	http_range_parse(s, 1000, &a, &n);
	http_accepts_gzip(s);
	http_inm_match(s, "\"x\"", 3);

	http_conn_init(&c, &srv, in, sizeof(in), "fuzz", now);
	size_t off = 0;
	int rounds = 0;
	while (off < size && rounds++ < 10000) {
		size_t k = size - off < piece ? size - off : piece;
		off += http_conn_feed(&c, data + off, k, now);
		enum http_conn_res r;
		while ((r = http_conn_next(&c, hdr, sizeof(hdr), &o, now)) == HTTP_CONN_RESPONSE)
			check(&o, hdr, sizeof(hdr));
		if (r == HTTP_CONN_CLOSE)
			break;
		now += 100;
	}
	http_conn_eof(&c);
	while (http_conn_next(&c, hdr, sizeof(hdr), &o, now) == HTTP_CONN_RESPONSE)
		check(&o, hdr, sizeof(hdr));
	if (http_conn_timeout(&c, hdr, sizeof(hdr), &o, http_conn_deadline(&c)) == HTTP_CONN_RESPONSE)
		check(&o, hdr, sizeof(hdr));
	http_conn_release(&c);
	if (live)
		abort(); /* body storage leaked */
	return 0;
}
