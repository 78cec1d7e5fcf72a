/* Request framing, head parsing and path normalisation. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_suite.h"
#include "http/http_parse.h"
#include "http/http_path.h"
#include "suites.h"

static struct http_limits lim;

static void setup(void)
{
	http_limits_default(&lim);
}

/* Frames and parses s; returns the parse status, or the framing error, or
 * -1 when the head is incomplete. */
static int parse(const char *s, struct http_request *r)
{
	struct http_framer f;
	size_t end;
	int st;

	http_framer_reset(&f);
	switch (http_frame(&f, s, strlen(s), &lim, &end, &st)) {
	case HTTP_FRAME_MORE:
		return -1;
	case HTTP_FRAME_ERROR:
		return st;
	case HTTP_FRAME_DONE:
		break;
	}
	return http_parse_head(s, f.head_start, end, &lim, r);
}

START_TEST(simple_get)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET /a/b?x=1 HTTP/1.1\r\nHost: example.test\r\n"
			       "If-None-Match: \"x\"\r\nRange: bytes=0-1\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.m, HTTP_M_GET);
	ck_assert_uint_eq(r.version, 11);
	ck_assert_mem_eq(r.path.p, "/a/b?x=1", r.path.n);
	ck_assert_mem_eq(r.host.p, "example.test", r.host.n);
	ck_assert_mem_eq(r.if_none_match.p, "\"x\"", 3);
	ck_assert_mem_eq(r.range.p, "bytes=0-1", 9);
	ck_assert(r.keep_alive);
	ck_assert(!r.has_body);
}
END_TEST

START_TEST(x_real_ip)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_ptr_null(r.real_ip.p);
	/* the first wins; the value is kept as received (the log checks it) */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nx-real-ip:  not an address \r\n"
			       "X-Real-IP: 192.0.2.1\r\n\r\n", &r), 0);
	ck_assert_uint_eq(r.real_ip.n, 14);
	ck_assert_mem_eq(r.real_ip.p, "not an address", 14);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Real-IP:\r\n\r\n", &r), 0);
	ck_assert_ptr_nonnull(r.real_ip.p);
	ck_assert_uint_eq(r.real_ip.n, 0);
}
END_TEST

START_TEST(keep_alive_rules)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET / HTTP/1.0\r\n\r\n", &r), 0);
	ck_assert(!r.keep_alive);
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 0);
	ck_assert(r.keep_alive);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &r), 0);
	ck_assert(!r.keep_alive);
}
END_TEST

START_TEST(incremental_framing)
{
	const char *s = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next";
	size_t n = strlen(s), end = 0;
	struct http_framer f;
	int st = 0;
	size_t i;

	http_framer_reset(&f);
	for (i = 1; i <= n; i++) {
		enum http_frame_res r = http_frame(&f, s, i, &lim, &end, &st);
		if (r == HTTP_FRAME_DONE)
			break;
		ck_assert_int_eq(r, HTTP_FRAME_MORE);
	}
	ck_assert_uint_eq(end, strlen("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	ck_assert_uint_eq(i, end);
	ck_assert_uint_eq(f.head_start, 2); /* the leading blank line is skipped */
}
END_TEST

/* What can never become a request line is refused before its line ends. */
START_TEST(garbage_refused_before_the_line_ends)
{
	static const struct { const char *s; size_t n; } early[] = {
		{ "G\x01", 2 }, { "\x80\x81\x82", 3 }, { "GET\0", 4 }, { "(", 1 }, { "GET /a\0b", 8 }, { "GET /\x7f", 6 },
	};
	static const char *const fine[] = { "\r\nGE", "GET /caf\xc3\xa9 HT", "GET / HTTP/1.1\r", "OPTIONS" };
	struct http_framer f;
	size_t end;
	int st;

	for (size_t i = 0; i < sizeof early / sizeof *early; i++) {
		http_framer_reset(&f);
		st = 0;
		ck_assert_msg(http_frame(&f, early[i].s, early[i].n, &lim, &end, &st) == HTTP_FRAME_ERROR && st == 400,
			      "case %zu not refused early", i);
	}
	for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
		http_framer_reset(&f);
		ck_assert_msg(http_frame(&f, fine[i], strlen(fine[i]), &lim, &end, &st) == HTTP_FRAME_MORE,
			      "case %zu refused", i);
	}
}
END_TEST

START_TEST(bare_lf_accepted)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET / HTTP/1.1\nHost: a\n\n", &r), 0);
}
END_TEST

START_TEST(malformed_is_400)
{
	struct http_request r;
	static const char *const bad[] = {
		"GET\r\n\r\n",
		"GET /\r\n\r\n",                              /* HTTP/0.9 */
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",         /* double space */
		"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
		"GET / http/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.x\r\nHost: a\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",                     /* no Host in 1.1 */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
		("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n"),
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
		"GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET relative HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &r) == 400, "case %zu: %d", i, parse(bad[i], &r));
}
END_TEST

START_TEST(versions)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r), 505);
	ck_assert_int_eq(parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n", &r), 505);
	ck_assert_int_eq(parse("GET / HTTP/0.9\r\n\r\n", &r), 505);
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\n\r\n", &r), 0);
}
END_TEST

START_TEST(methods)
{
	struct http_request r;

	ck_assert_int_eq(parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.m, HTTP_M_HEAD);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.m, HTTP_M_OTHER);
	ck_assert_int_eq(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.m, HTTP_M_OTHER);
	ck_assert_int_eq(parse("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.m, HTTP_M_UNKNOWN);
	ck_assert_int_eq(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.m, HTTP_M_UNKNOWN); /* methods are case-sensitive */
}
END_TEST

START_TEST(bodies_on_get)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", &r), 0);
	ck_assert(r.has_body);
	ck_assert_uint_eq(r.content_length, 10);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
			       "Content-Length: 10\r\n\r\n", &r), 0);
	/* Whether a body is too large depends on the route: the parser only
	 * describes it (http_serve refuses it on static routes). */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n", &r),
			 0);
	ck_assert_uint_eq(r.content_length, 70000);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
			       &r), 0);
	ck_assert(r.chunked && r.te_chunked && r.has_body);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
			       &r), 0);
	ck_assert(r.te_chunked);
	/* only a lone "chunked" is decodable */
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
			       &r), 0);
	ck_assert(r.chunked && !r.te_chunked);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n", &r), 0);
	ck_assert(r.chunked && !r.te_chunked);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", &r), 0);
	ck_assert_mem_eq(r.expect.p, "100-continue", 12);
}
END_TEST

START_TEST(absolute_form)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET http://Example.test:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
			       &r), 0);
	ck_assert_mem_eq(r.host.p, "Example.test:8080", r.host.n);
	ck_assert_mem_eq(r.path.p, "/p?q", r.path.n);
	ck_assert_int_eq(parse("GET http://h HTTP/1.1\r\n\r\n", &r), 0);
	ck_assert_mem_eq(r.path.p, "/", 1);
	/* any method may be in absolute-form (an app route takes it) */
	ck_assert_int_eq(parse("POST http://h/api/x?q HTTP/1.1\r\nHost: other\r\n\r\n", &r), 0);
	ck_assert_mem_eq(r.path.p, "/api/x?q", r.path.n);
	ck_assert_mem_eq(r.host.p, "h", r.host.n);
	/* other forms have no path; they were and are 405/501 */
	ck_assert_int_eq(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_ptr_null(r.path.p);
	ck_assert_int_eq(parse("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_ptr_null(r.path.p);
	ck_assert_mem_eq(r.host.p, "a", r.host.n);
	ck_assert_int_eq(parse("POST http:/x HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_ptr_null(r.path.p);
	ck_assert_mem_eq(r.host.p, "a", r.host.n);
}
END_TEST

/* The field iterator an app handler gets. */
START_TEST(head_fields)
{
	const char *h = "\r\nPOST /a:b HTTP/1.1\r\nHost: x\r\nX-E:\r\nx-a:  1 2\t\r\nX-A: 3\n\r\n";
	struct http_request r;
	struct http_framer f;
	struct http_slice n, v;
	size_t end, pos = 0;
	int st;
	char all[256] = "";

	http_framer_reset(&f);
	ck_assert_int_eq(http_frame(&f, h, strlen(h), &lim, &end, &st), HTTP_FRAME_DONE);
	ck_assert_int_eq(http_parse_head(h, f.head_start, end, &lim, &r), 0);
	while (http_head_field(h, f.head_start, end, &pos, &n, &v))
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "[%.*s=%.*s]", (int)n.n, n.p,
			 (int)v.n, v.p);
	ck_assert_str_eq(all, "[Host=x][X-E=][x-a=1 2][X-A=3]");
	ck_assert(!http_head_field(h, f.head_start, end, &pos, &n, &v));
}
END_TEST

START_TEST(limits)
{
	struct http_request r;
	static char buf[40000];

	lim.max_request_line = 100;
	lim.max_header_bytes = 1000;
	lim.max_headers = 3;
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "GET /");
	memset(buf + 5, 'a', 200);
	/* incomplete but already too long: refused without waiting */
	ck_assert_int_eq(parse(buf, &r), 414);
	strcat(buf, " HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_int_eq(parse(buf, &r), 414);

	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", &r), 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &r),
			 431);
	strcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(buf + strlen(buf), 'x', 1200);
	ck_assert_int_eq(parse(buf, &r), 431);
	/* endless blank lines end up as 431 too, not an endless wait */
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 600; i++)
		strcat(buf, "\r\n");
	ck_assert_int_eq(parse(buf, &r), 431);
}
END_TEST

static int norm(const char *in, char *out)
{
	size_t n, q;

	return http_path_normalize(in, strlen(in), out, 64, &n, &q);
}

START_TEST(paths_normalised)
{
	char out[64];
	size_t n, q;

	ck_assert_int_eq(norm("/", out), 0);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(norm("//a///b/./c/", out), 0);
	ck_assert_str_eq(out, "/a/b/c/");
	ck_assert_int_eq(norm("/a/.", out), 0);
	ck_assert_str_eq(out, "/a/");
	ck_assert_int_eq(norm("/%41%62c%20d", out), 0);
	ck_assert_str_eq(out, "/Abc d");
	ck_assert_int_eq(norm("/%2e/x", out), 0);
	ck_assert_str_eq(out, "/x");
	ck_assert_int_eq(norm("/...", out), 0); /* a name, not a step up */
	ck_assert_str_eq(out, "/...");
	ck_assert_int_eq(http_path_normalize("/a?b=../c", 9, out, 64, &n, &q), 0);
	ck_assert_str_eq(out, "/a");
	ck_assert_uint_eq(q, 3);
}
END_TEST

START_TEST(path_escapes_refused)
{
	char out[64];
	static const char *const bad[] = {
		"/..", "/../etc/passwd", "/a/../../b", "/a/..", "/%2e%2e/x", "/%2E%2e",
		"/.%2e/x", "/a%2f..%2fb", "/a%2Fb", "/..\\x", "/a\\b", "/a%5cb", "/a%00b",
		"/a%0ab", "/a%7f", "/%", "/%4", "/%zz", "/a#b", "a", "",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(norm(bad[i], out) == HTTP_PATH_BAD, "%s", bad[i]);
}
END_TEST

START_TEST(path_too_long)
{
	char out[8], big[100];
	size_t n, q;

	memset(big, 'a', sizeof(big));
	big[0] = '/';
	ck_assert_int_eq(http_path_normalize(big, sizeof(big), out, sizeof(out), &n, &q),
			 HTTP_PATH_TOO_LONG);
	ck_assert_int_eq(http_path_normalize("/abcd/", 6, out, sizeof(out), &n, &q), 0);
	ck_assert_str_eq(out, "/abcd/");
}
END_TEST

Suite *parse_suite(void)
{
	const TTest *const tests[] = {
		simple_get, x_real_ip, keep_alive_rules, incremental_framing, bare_lf_accepted,
		garbage_refused_before_the_line_ends, malformed_is_400, versions, methods, bodies_on_get,
		absolute_form, head_fields, limits, paths_normalised, path_escapes_refused, path_too_long, NULL,
	};

	return one_case_suite("parse", "core", 0, setup, NULL, tests);
}
