/* The connection machine end to end, on a real tar site: every status the
 * server sends, conditionals, ranges, gzip, keep-alive and pipelining,
 * byte-at-a-time input, timeouts and the access log. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "http/http_date.h"
#include "suites.h"

static struct fixture f;
static struct http_conn conn;
static char inbuf[16384];
static char hdr[4096];
static struct http_out out;
static const uint64_t T0 = (uint64_t)FX_MTIME * 1000 + 3600 * 1000; /* an hour later */

static void setup(void)
{
	fx_std(&f, "ustar");
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "cid:3:49152", T0);
}

static void teardown(void)
{
	fx_free(&f);
}

/* One complete request on a fresh connection; returns the status. */
static int req(const char *r)
{
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "cid:3:49152", T0);
	ck_assert_uint_eq(http_conn_feed(&conn, r, strlen(r), T0), strlen(r));
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr) - 1, &out, T0), HTTP_CONN_RESPONSE);
	hdr[out.hdr_len] = 0;
	return out.status;
}

static const char *field(const char *name)
{
	static char v[512];

	if (fx_header(hdr, out.hdr_len, name, v, sizeof(v)) < 0)
		return NULL;
	return v;
}

static const char *body_of_entry(void)
{
	ck_assert_ptr_nonnull(out.entry);
	return (const char *)site_data(&f.site, out.entry) + out.body_off;
}

/* The built-in body after the head in hdr. */
static const char *inline_body(void)
{
	const char *e = strstr(hdr, "\r\n\r\n");
	ck_assert_ptr_nonnull(e);
	return e + 4;
}

START_TEST(get_200)
{
	ck_assert_int_eq(req("GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"), 200);
	ck_assert(strncmp(hdr, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ck_assert_str_eq(field("Content-Type"), "text/html; charset=utf-8");
	ck_assert_str_eq(field("Content-Length"), "14");
	ck_assert_str_eq(field("Server"), "vmm-site");
	ck_assert_str_eq(field("Date"), "Tue, 14 Nov 2023 23:13:20 GMT");
	ck_assert_str_eq(field("Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
	ck_assert_str_eq(field("ETag"), "\"e-6553f100\"");
	ck_assert_str_eq(field("Accept-Ranges"), "bytes");
	ck_assert_str_eq(field("X-Test"), "yes");
	ck_assert_str_eq(field("Cache-Control"), "public, max-age=60");
	ck_assert_ptr_null(field("Connection"));
	ck_assert_ptr_null(field("Vary"));
	ck_assert_uint_eq(out.body_len, 14);
	ck_assert_mem_eq(body_of_entry(), "<h1>home</h1>\n", 14);
	ck_assert(!out.close);
	ck_assert_int_eq(strcmp(inline_body(), ""), 0);
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: example.test\r\n\r\n"), 200);
	ck_assert_mem_eq(body_of_entry(), "<h1>about</h1>\n", 15);
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: example.test\r\n\r\n"), 200);
	ck_assert_str_eq(field("Content-Type"), "application/octet-stream");
	ck_assert_uint_eq(out.body_len, 100000);
	ck_assert_int_eq(req("GET /empty.txt HTTP/1.1\r\nHost: a.wild.test\r\n\r\n"), 200);
	ck_assert_str_eq(field("Content-Length"), "0");
	ck_assert_ptr_null(out.entry);
	ck_assert_int_eq(req("GET http://localhost/about.html HTTP/1.1\r\nHost: nope\r\n\r\n"), 200);
}
END_TEST

START_TEST(head)
{
	ck_assert_int_eq(req("HEAD /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_str_eq(field("Content-Length"), "15");
	ck_assert_ptr_null(out.entry);
	ck_assert_uint_eq(out.body_len, 0);
	ck_assert_int_eq(req("HEAD /nope HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_ptr_null(out.entry);
	ck_assert_str_eq(field("Content-Length"), "20"); /* the custom page's size */
	f.conf.nerror = 0;
	ck_assert_int_eq(req("HEAD /nope HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_str_eq(inline_body(), "");
	ck_assert_str_ne(field("Content-Length"), "0");
}
END_TEST

START_TEST(not_found)
{
	ck_assert_int_eq(req("GET /missing.html HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_mem_eq(body_of_entry(), "<h1>custom 404</h1>\n", 20);
	ck_assert_str_eq(field("Content-Type"), "text/html; charset=utf-8");
	ck_assert_ptr_null(field("ETag"));
	ck_assert(!out.close);
	f.conf.nerror = 0; /* no error page: the built-in one */
	ck_assert_int_eq(req("GET /missing.html HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_ptr_null(out.entry);
	ck_assert_ptr_nonnull(strstr(inline_body(), "<h1>404 Not Found</h1>"));
	char len[24];
	snprintf(len, sizeof(len), "%zu", strlen(inline_body()));
	ck_assert_str_eq(field("Content-Length"), len);
	/* the configuration is not content */
	ck_assert_int_eq(req("GET /site.conf HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	/* a directory entry is not a file */
	ck_assert_int_eq(req("GET /long HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
}
END_TEST

START_TEST(bad_requests_close)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n",
		"GET /../etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"\x16\x03\x01\x02\xff\x01\xfc\x03\x03 garbage\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(req(bad[i]), 400);
		ck_assert_ptr_nonnull(strstr(inline_body(), "400 Bad Request"));
	}
	/* A framing error closes; the path refusal could keep the connection,
	 * but framing ones must close: check one of each. */
	req("GET / HTTP/1.1\r\n\r\n");
	ck_assert(out.close);
	ck_assert_str_eq(field("Connection"), "close");
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
}
END_TEST

START_TEST(path_escapes_refused)
{
	static const char *const bad[] = {
		"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/docs/%2E%2E/../x", "/a%2f..%2fb",
		"/..%5c..%5cwindows", "/a\\b", "/index.html%00.png", "/%", "/docs/..",
	};
	char r[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(r, sizeof(r), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", bad[i]);
		ck_assert_msg(req(r) == 400, "%s: %d", bad[i], out.status);
	}
}
END_TEST

START_TEST(method_405_501)
{
	ck_assert_int_eq(req("POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"), 405);
	ck_assert_str_eq(field("Allow"), "GET, HEAD");
	ck_assert(!out.close);
	ck_assert_int_eq(req("DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n"), 405);
	ck_assert_int_eq(req("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n"), 405);
	ck_assert_int_eq(req("CONNECT a:443 HTTP/1.1\r\nHost: localhost\r\n\r\n"), 405);
	ck_assert_int_eq(req("BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n"), 501);
	ck_assert_ptr_null(field("Allow"));
	/* a POST body too large to skip: answered, then closed */
	ck_assert_int_eq(req("POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9999999\r\n\r\n"),
			 405);
	ck_assert(out.close);
	ck_assert_int_eq(req("POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 405);
	ck_assert(out.close);
}
END_TEST

START_TEST(body_skipped_then_pipelined)
{
	const char *r = "POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello=world"
			"GET /about.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
			"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

	ck_assert_uint_eq(http_conn_feed(&conn, r, strlen(r), T0), strlen(r));
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(out.status, 405);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(out.status, 200);
	ck_assert_uint_eq(out.body_len, 15);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_uint_eq(out.body_len, 14);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_NEED_MORE);

	/* a body that arrives later, in pieces, is skipped as it comes */
	r = "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nab";
	http_conn_feed(&conn, r, strlen(r), T0);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_NEED_MORE);
	r = "cdGET /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n";
	ck_assert_uint_eq(http_conn_feed(&conn, r, strlen(r), T0), strlen(r));
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(out.status, 200);
	ck_assert_uint_eq(out.body_len, 15);
}
END_TEST

START_TEST(status_413_414_431_505)
{
	static char big[20000];

	ck_assert_int_eq(req("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"),
			 413);
	ck_assert(out.close);
	ck_assert_int_eq(req("GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 413);
	ck_assert_int_eq(req("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n"), 505);
	ck_assert(out.close);

	strcpy(big, "GET /");
	memset(big + 5, 'a', 9000);
	strcpy(big + 9005, " HTTP/1.1\r\nHost: localhost\r\n\r\n");
	ck_assert_int_eq(req(big), 414);
	ck_assert(out.close);
	/* too long after decoding for the path buffer, though the line fits */
	memset(big, 0, sizeof(big));
	strcpy(big, "GET /");
	memset(big + 5, 'a', 2000);
	strcat(big, " HTTP/1.1\r\nHost: localhost\r\n\r\n");
	ck_assert_int_eq(req(big), 414);

	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\nHost: localhost\r\n");
	for (int i = 0; i < 101; i++)
		strcat(big, "X-A: b\r\n");
	strcat(big, "\r\n");
	ck_assert_int_eq(req(big), 431);
	ck_assert(out.close);
	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: ");
	memset(big + strlen(big), 'c', 17000);
	/* never finished, still refused once over the limit */
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "x", T0);
	size_t n = strlen(big), used = 0;
	while (used < n) {
		size_t k = http_conn_feed(&conn, big + used, n - used, T0);
		used += k;
		enum http_conn_res r = http_conn_next(&conn, hdr, sizeof(hdr), &out, T0);
		if (r == HTTP_CONN_RESPONSE)
			break;
		ck_assert_int_eq(r, HTTP_CONN_NEED_MORE);
		ck_assert_uint_gt(k, 0);
	}
	ck_assert_int_eq(out.status, 431);
	/* after the close decision, input is swallowed and nothing else comes */
	ck_assert_uint_eq(http_conn_feed(&conn, "GET / HTTP/1.1\r\n", 16, T0), 16);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
}
END_TEST

START_TEST(misdirected_421)
{
	ck_assert_int_eq(req("GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n"), 421);
	ck_assert(!out.close);
	ck_assert_int_eq(req("GET http://evil.test/ HTTP/1.1\r\nHost: localhost\r\n\r\n"), 421);
	/* HTTP/1.0 without Host: the site answers */
	ck_assert_int_eq(req("GET / HTTP/1.0\r\n\r\n"), 200);
}
END_TEST

START_TEST(server_error_500)
{
	char small[64];

	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "x", T0);
	const char *r = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	http_conn_feed(&conn, r, strlen(r), T0);
	/* the head cannot fit, nor can the 500 that replaces it */
	ck_assert_int_eq(http_conn_next(&conn, small, sizeof(small), &out, T0), HTTP_CONN_CLOSE);
	ck_assert_uint_eq(out.hdr_len, 0);
	/* room for a 500 but not for the real head with all its fields */
	f.conf.nheader = 0;
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "x", T0);
	http_conn_feed(&conn, r, strlen(r), T0);
	ck_assert_int_eq(http_conn_next(&conn, hdr, 190, &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(out.status, 500);
	ck_assert(out.close);
	ck_assert_ptr_null(out.entry);
	ck_assert(strncmp(hdr, "HTTP/1.1 500 Internal Server Error\r\n", 36) == 0);
	ck_assert_ptr_nonnull(strstr(f.log, "\" 500 "));
}
END_TEST

START_TEST(not_modified_304)
{
	char r[512], etag[64];

	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	strcpy(etag, field("ETag"));

	snprintf(r, sizeof(r), "GET /about.html HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: %s\r\n\r\n",
		 etag);
	ck_assert_int_eq(req(r), 304);
	ck_assert_str_eq(field("ETag"), etag);
	ck_assert_ptr_null(field("Content-Length"));
	ck_assert_ptr_null(out.entry);
	ck_assert_str_eq(inline_body(), "");
	snprintf(r, sizeof(r), "GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
		 "If-None-Match: \"other\", W/%s\r\n\r\n", etag);
	ck_assert_int_eq(req(r), 304);
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-None-Match: \"other\"\r\n\r\n"), 200);
	ck_assert_uint_eq(out.body_len, 15);

	/* If-Modified-Since, in each date format */
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n"), 304);
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-Modified-Since: Tuesday, 14-Nov-23 22:13:21 GMT\r\n\r\n"), 304);
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-Modified-Since: Tue Nov 14 23:00:00 2023\r\n\r\n"), 304);
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n\r\n"), 200);
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-Modified-Since: garbage\r\n\r\n"), 200);
	/* If-None-Match wins over If-Modified-Since */
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"x\"\r\n"
			     "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n"), 200);
	ck_assert_int_eq(req("HEAD /about.html HTTP/1.1\r\nHost: localhost\r\n"
			     "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n"), 304);
}
END_TEST

START_TEST(ranges_206_416)
{
	char etag[64], r[512];

	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=10-19\r\n\r\n"),
			 206);
	ck_assert_str_eq(field("Content-Range"), "bytes 10-19/100000");
	ck_assert_str_eq(field("Content-Length"), "10");
	ck_assert_uint_eq(out.body_off, 10);
	ck_assert_uint_eq(out.body_len, 10);
	ck_assert_uint_eq((uint8_t)body_of_entry()[0], (uint8_t)70);
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=99990-\r\n\r\n"),
			 206);
	ck_assert_str_eq(field("Content-Range"), "bytes 99990-99999/100000");
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=-100\r\n\r\n"),
			 206);
	ck_assert_uint_eq(out.body_off, 99900);
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=100000-\r\n\r\n"),
			 416);
	ck_assert_str_eq(field("Content-Range"), "bytes */100000");
	ck_assert_ptr_null(out.entry);
	ck_assert(!out.close);
	ck_assert_int_eq(req("GET /empty.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-\r\n\r\n"),
			 416);
	/* multiple ranges and junk are answered with the whole file */
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-1,4-5\r\n\r\n"),
			 200);
	ck_assert_uint_eq(out.body_len, 100000);
	/* HEAD ignores Range */
	ck_assert_int_eq(req("HEAD /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-1\r\n\r\n"),
			 200);
	/* If-Range: the range only while the copy is current */
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	strcpy(etag, field("ETag"));
	snprintf(r, sizeof(r), "GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\n"
		 "If-Range: %s\r\n\r\n", etag);
	ck_assert_int_eq(req(r), 206);
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\n"
			     "If-Range: \"stale\"\r\n\r\n"), 200);
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\n"
			     "If-Range: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n"), 206);
	ck_assert_int_eq(req("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\n"
			     "If-Range: Tue, 14 Nov 2023 22:13:21 GMT\r\n\r\n"), 200);
}
END_TEST

START_TEST(gzip_variant)
{
	const struct site_entry *gz = site_find(&f.site, "style.css.gz", 12);
	char plain_etag[64];

	ck_assert_int_eq(req("GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_ptr_null(field("Content-Encoding"));
	ck_assert_str_eq(field("Vary"), "Accept-Encoding");
	ck_assert_uint_eq(out.body_len, 2000);
	strcpy(plain_etag, field("ETag"));

	ck_assert_int_eq(req("GET /style.css HTTP/1.1\r\nHost: localhost\r\n"
			     "Accept-Encoding: gzip, deflate, br\r\n\r\n"), 200);
	ck_assert_str_eq(field("Content-Encoding"), "gzip");
	ck_assert_str_eq(field("Vary"), "Accept-Encoding");
	ck_assert_str_eq(field("Content-Type"), "text/css; charset=utf-8");
	ck_assert_ptr_eq(out.entry, gz);
	ck_assert_uint_eq(out.body_len, gz->size);
	ck_assert_mem_eq(body_of_entry(), "\x1f\x8b", 2);
	ck_assert_str_ne(field("ETag"), plain_etag);

	ck_assert_int_eq(req("GET /style.css HTTP/1.1\r\nHost: localhost\r\n"
			     "Accept-Encoding: gzip;q=0\r\n\r\n"), 200);
	ck_assert_ptr_null(field("Content-Encoding"));
	/* the .gz file itself is still served as what it is */
	ck_assert_int_eq(req("GET /style.css.gz HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_str_eq(field("Content-Type"), "application/gzip");
	ck_assert_ptr_null(field("Content-Encoding"));
	/* no variant: no Vary */
	ck_assert_int_eq(req("GET /about.html HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n"),
			 200);
	ck_assert_ptr_null(field("Vary"));
}
END_TEST

START_TEST(redirects_and_index)
{
	ck_assert_int_eq(req("GET /old HTTP/1.1\r\nHost: localhost\r\n\r\n"), 301);
	ck_assert_str_eq(field("Location"), "/about.html");
	ck_assert_ptr_nonnull(strstr(inline_body(), "301 Moved Permanently"));
	ck_assert_int_eq(req("GET /moved HTTP/1.1\r\nHost: localhost\r\n\r\n"), 302);
	ck_assert_str_eq(field("Location"), "https://elsewhere.test/x");
	ck_assert_int_eq(req("GET //old/. HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
	ck_assert_int_eq(req("GET /docs HTTP/1.1\r\nHost: localhost\r\n\r\n"), 301);
	ck_assert_str_eq(field("Location"), "/docs/");
	ck_assert_int_eq(req("GET /docs?a=b HTTP/1.1\r\nHost: localhost\r\n\r\n"), 301);
	ck_assert_str_eq(field("Location"), "/docs/?a=b");
	ck_assert_int_eq(req("GET /docs/ HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_mem_eq(body_of_entry(), "<h1>docs</h1>\n", 14);
	ck_assert_int_eq(req("GET /docs/index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_int_eq(req("GET /%64ocs/ HTTP/1.1\r\nHost: localhost\r\n\r\n"), 200);
	ck_assert_int_eq(req("GET /about.html/ HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404);
}
END_TEST

START_TEST(pipelining)
{
	const char *r = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
			"HEAD /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
			"GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n"
			"GET /about.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			"GET /never HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int want[] = { 200, 200, 404, 200 };

	ck_assert_uint_eq(http_conn_feed(&conn, r, strlen(r), T0), strlen(r));
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
		ck_assert_int_eq(out.status, want[i]);
		ck_assert(out.close == (i == 3));
	}
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
	ck_assert_int_eq(f.log_lines, 4);
}
END_TEST

START_TEST(byte_by_byte)
{
	const char *r = "GET /about.html HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n"
			"GET /style.css HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n";
	size_t n = strlen(r), first = strstr(r, "\r\n\r\n") + 4 - r;
	int got = 0;

	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(http_conn_feed(&conn, r + i, 1, T0 + i), 1);
		enum http_conn_res res = http_conn_next(&conn, hdr, sizeof(hdr), &out, T0 + i);
		if (res == HTTP_CONN_RESPONSE) {
			got++;
			ck_assert_int_eq(out.status, 200);
			ck_assert(got == 1 ? i == first - 1 : i == n - 1);
			ck_assert_uint_eq(out.body_len, got == 1 ? 15 : site_find(&f.site, "style.css.gz", 12)->size);
		} else {
			ck_assert_int_eq(res, HTTP_CONN_NEED_MORE);
		}
	}
	ck_assert_int_eq(got, 2);
}
END_TEST

START_TEST(http10)
{
	ck_assert_int_eq(req("GET / HTTP/1.0\r\n\r\n"), 200);
	ck_assert(out.close);
	ck_assert_str_eq(field("Connection"), "close");
	ck_assert_int_eq(req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 200);
	ck_assert(!out.close);
	ck_assert_str_eq(field("Connection"), "keep-alive");
	ck_assert(strncmp(hdr, "HTTP/1.1 200 OK", 15) == 0);
}
END_TEST

START_TEST(timeouts)
{
	char v[8];

	/* idle keep-alive connection: closed silently after idle_timeout (5 s) */
	ck_assert_uint_eq(http_conn_deadline(&conn), T0 + 5000);
	ck_assert_int_eq(http_conn_timeout(&conn, hdr, sizeof(hdr), &out, T0 + 4999), HTTP_CONN_NEED_MORE);
	ck_assert_int_eq(http_conn_timeout(&conn, hdr, sizeof(hdr), &out, T0 + 5000), HTTP_CONN_CLOSE);
	ck_assert_int_eq(f.log_lines, 0);

	/* a client that never finishes its head: 408 after header_timeout (2 s),
	 * however slowly it keeps sending */
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "slow", T0);
	const char *r = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
	for (int i = 0; r[i]; i++) {
		http_conn_feed(&conn, r + i, 1, T0 + (uint64_t)i * 40);
		ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_NEED_MORE);
	}
	ck_assert_uint_eq(http_conn_deadline(&conn), T0 + 2000);
	ck_assert_int_eq(http_conn_timeout(&conn, hdr, sizeof(hdr), &out, T0 + 2000), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(out.status, 408);
	ck_assert(out.close);
	ck_assert_int_eq(fx_header(hdr, out.hdr_len, "Connection", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "close");
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
	ck_assert_ptr_nonnull(strstr(f.log, "slow - - [14/Nov/2023:23:13:22 +0000] \"GET / HTTP/1.1\" 408 "));

	/* after a response the idle clock restarts */
	http_conn_init(&conn, &f.srv, inbuf, sizeof(inbuf), "x", T0);
	r = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	http_conn_feed(&conn, r, strlen(r), T0 + 1000);
	http_conn_next(&conn, hdr, sizeof(hdr), &out, T0 + 1000);
	ck_assert_uint_eq(http_conn_deadline(&conn), T0 + 6000);
	http_conn_touch(&conn, T0 + 3000); /* still sending a long body */
	ck_assert_uint_eq(http_conn_deadline(&conn), T0 + 8000);
}
END_TEST

START_TEST(eof_handling)
{
	const char *r = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /about";

	http_conn_feed(&conn, r, strlen(r), T0);
	http_conn_eof(&conn);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_RESPONSE);
	ck_assert_int_eq(http_conn_next(&conn, hdr, sizeof(hdr), &out, T0), HTTP_CONN_CLOSE);
}
END_TEST

START_TEST(backpressure)
{
	static char small[256];
	char r[64];
	size_t fed = 0, total;

	http_conn_init(&conn, &f.srv, small, sizeof(small), "x", T0);
	char all[2048] = "";
	for (int i = 0; i < 20; i++) {
		snprintf(r, sizeof(r), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
		strcat(all, r);
	}
	total = strlen(all);
	int responses = 0;
	while (fed < total) {
		size_t k = http_conn_feed(&conn, all + fed, total - fed, T0);
		fed += k;
		while (http_conn_next(&conn, hdr, sizeof(hdr), &out, T0) == HTTP_CONN_RESPONSE) {
			ck_assert_int_eq(out.status, 200);
			responses++;
		}
	}
	ck_assert_int_eq(responses, 20);
}
END_TEST

START_TEST(access_log)
{
	req("GET /about.html?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
	req("HEAD /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
	req("GET /a\"b\\c HTTP/1.1\r\nHost: localhost\r\n\r\n");
	req("\x01\x02 garbage\r\n\r\n");
	ck_assert_int_eq(f.log_lines, 4);
	ck_assert(strncmp(f.log,
			  "cid:3:49152 - - [14/Nov/2023:23:13:20 +0000] \"GET /about.html?q=1 HTTP/1.1\" 200 15\n"
			  "cid:3:49152 - - [14/Nov/2023:23:13:20 +0000] \"HEAD /about.html HTTP/1.1\" 200 -\n"
			  "cid:3:49152 - - [14/Nov/2023:23:13:20 +0000] \"GET /a\\x22b\\x5cc HTTP/1.1\" 400 ", 224) == 0);
	ck_assert_ptr_nonnull(strstr(f.log, "] \"\\x01\\x02 garbage\" 400 "));
}
END_TEST

/* The log line of one request on a fresh connection whose peer is
 * "cid:3:49152", the host behind which the front door sits. */
static const char *logged(const char *r)
{
	f.log_len = 0;
	f.log_lines = 0;
	f.log[0] = 0;
	req(r);
	ck_assert_int_eq(f.log_lines, 1);
	return f.log;
}

/* The first word of the log line must be want, followed by the rest of the
 * CLF fields. */
static void client_is(const char *r, const char *want)
{
	const char *l = logged(r);
	size_t n = strlen(want);

	ck_assert_msg(strncmp(l, want, n) == 0 && strncmp(l + n, " - - [", 6) == 0,
		      "request %s: logged '%s', want client '%s'", r, l, want);
}

#define RIP(v) "GET / HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: " v "\r\n\r\n"

START_TEST(access_log_real_ip)
{
	client_is("GET /about.html HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 203.0.113.7\r\n"
		  "X-Forwarded-For: 203.0.113.7\r\n\r\n",
		  "203.0.113.7");
	ck_assert_ptr_nonnull(strstr(f.log, "] \"GET /about.html HTTP/1.1\" 200 15\n"));
	client_is(RIP("2001:DB8::1"), "2001:DB8::1");
	client_is("GET / HTTP/1.1\r\nHost: localhost\r\nx-real-ip:\t::1 \r\n\r\n", "::1");
	/* 45 bytes, the longest address text */
	client_is(RIP("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"),
		  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	/* a repeated field is ignored: the first is nginx's */
	client_is("GET / HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 198.51.100.1\r\n"
		  "X-Real-IP: 192.0.2.99\r\n\r\n",
		  "198.51.100.1");
	/* also on a refused request, once the head parsed that far */
	client_is("GET /../x HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.1\r\n\r\n",
		  "192.0.2.1");
	ck_assert_ptr_nonnull(strstr(f.log, "\" 400 "));
}
END_TEST

START_TEST(access_log_real_ip_malformed)
{
	static const char *const bad[] = {
		RIP("203.0.113.7 evil"),                    /* a space */
		RIP("\"203.0.113.7\""),                     /* quotes */
		RIP("1.2.3.4\" 200 1 \\x0a"),               /* a forged tail */
		RIP("111111111111111111111111111111111111111111111111111111111111"), /* 60 */
		RIP("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2550"), /* 46 */
		RIP(""),                                     /* empty */
		RIP("unix:"),                                /* nginx, a unix socket client */
		RIP("1.2.3.4, 5.6.7.8"),                     /* a list */
		RIP("[::1]"),                                /* brackets */
		RIP("fe80::1%eth0"),                         /* a zone */
		RIP("example.com"),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		client_is(bad[i], "cid:3:49152");
	ck_assert_int_eq(req(RIP("1.2.3.4\x01")), 400); /* a control byte: never parsed */
}
END_TEST

START_TEST(access_log_no_real_ip)
{
	client_is("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "cid:3:49152");
	client_is("GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n",
		  "cid:3:49152");
	client_is("GET / HTTP/1.1\r\nHost: localhost\r\nX-Real-IPv6: ::1\r\n\r\n", "cid:3:49152");
}
END_TEST

/* examples/site, packed the way `make run` will pack it, must open and
 * serve (run from the repository root, as make check does). */
START_TEST(example_site)
{
	struct fixture ex;
	char cmd[256];

	fx_dir(&ex);
	snprintf(cmd, sizeof(cmd), "cp -a examples/site/. '%s'", ex.dir);
	ck_assert_int_eq(system(cmd), 0);
	fx_pack(&ex, "ustar", NULL);
	ck_assert_msg(fx_open(&ex) == 0, "%s / %s", ex.site.err, ex.conf.err);
	static const struct {
		const char *req;
		int status;
	} want[] = {
		{ "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", 200 },
		{ "GET /about.html HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", 200 },
		{ "GET /logo.png HTTP/1.1\r\nHost: localhost\r\n\r\n", 200 },
		{ "GET /style.css HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n", 200 },
		{ "GET /docs HTTP/1.1\r\nHost: localhost\r\n\r\n", 301 },
		{ "GET /docs/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 200 },
		{ "GET /old-about HTTP/1.1\r\nHost: localhost\r\n\r\n", 301 },
		{ "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n", 404 },
		{ "GET / HTTP/1.1\r\nHost: other.test\r\n\r\n", 421 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(fx_request(&ex, want[i].req, hdr, sizeof(hdr), &out),
				 HTTP_CONN_RESPONSE);
		ck_assert_msg(out.status == want[i].status, "%s: %d", want[i].req, out.status);
	}
	ck_assert_ptr_null(out.entry); /* the 421 has a built-in body */
	fx_request(&ex, "GET /logo.png HTTP/1.1\r\nHost: localhost\r\n\r\n", hdr, sizeof(hdr), &out);
	ck_assert_mem_eq(site_data(&ex.site, out.entry), "\x89PNG", 4);
	fx_free(&ex);
}
END_TEST

Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *t = tcase_create("core");
	TCase *ex = tcase_create("example");

	tcase_add_test(ex, example_site);
	suite_add_tcase(s, ex);

	tcase_set_timeout(t, 30);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, get_200);
	tcase_add_test(t, head);
	tcase_add_test(t, not_found);
	tcase_add_test(t, bad_requests_close);
	tcase_add_test(t, path_escapes_refused);
	tcase_add_test(t, method_405_501);
	tcase_add_test(t, body_skipped_then_pipelined);
	tcase_add_test(t, status_413_414_431_505);
	tcase_add_test(t, misdirected_421);
	tcase_add_test(t, server_error_500);
	tcase_add_test(t, not_modified_304);
	tcase_add_test(t, ranges_206_416);
	tcase_add_test(t, gzip_variant);
	tcase_add_test(t, redirects_and_index);
	tcase_add_test(t, pipelining);
	tcase_add_test(t, byte_by_byte);
	tcase_add_test(t, http10);
	tcase_add_test(t, timeouts);
	tcase_add_test(t, eof_handling);
	tcase_add_test(t, backpressure);
	tcase_add_test(t, access_log);
	tcase_add_test(t, access_log_real_ip);
	tcase_add_test(t, access_log_real_ip_malformed);
	tcase_add_test(t, access_log_no_real_ip);
	suite_add_tcase(s, t);
	return s;
}
