/* Field values: dates, entity tags, ranges, Accept-Encoding, media types. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "http/http_buf.h"
#include "http/http_date.h"
#include "http/http_fields.h"
#include "http/http_mime.h"
#include "suites.h"

static struct http_slice sl(const char *s)
{
	struct http_slice r = { s, strlen(s) };
	return r;
}

static int date(const char *s, uint64_t *t)
{
	return http_date_parse(s, strlen(s), t);
}

START_TEST(dates_format)
{
	char buf[64];
	struct hbuf b;

	hb_init(&b, buf, sizeof(buf));
	http_date_fmt(&b, 784111777);
	ck_assert(hb_cstr(&b));
	ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	hb_init(&b, buf, sizeof(buf));
	http_date_fmt(&b, 0);
	hb_cstr(&b);
	ck_assert_str_eq(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	hb_init(&b, buf, sizeof(buf));
	http_date_fmt(&b, 951782400); /* leap day 2000 */
	hb_cstr(&b);
	ck_assert_str_eq(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
	hb_init(&b, buf, sizeof(buf));
	http_date_fmt_clf(&b, 784111777);
	hb_cstr(&b);
	ck_assert_str_eq(buf, "06/Nov/1994:08:49:37 +0000");
}
END_TEST

START_TEST(dates_parse_three_forms)
{
	uint64_t t = 0;

	ck_assert(date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
	ck_assert_uint_eq(t, 784111777);
	t = 0;
	ck_assert(date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
	ck_assert_uint_eq(t, 784111777);
	t = 0;
	ck_assert(date("Sun Nov  6 08:49:37 1994", &t));
	ck_assert_uint_eq(t, 784111777);
	ck_assert(date("Tuesday, 14-Nov-23 22:13:20 GMT", &t));
	ck_assert_uint_eq(t, 1700000000);
	ck_assert(date("Tue Nov 14 22:13:20 2023", &t));
	ck_assert_uint_eq(t, 1700000000);
}
END_TEST

START_TEST(dates_invalid)
{
	uint64_t t = 42;
	static const char *const bad[] = {
		"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nox 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1960 08:49:37 GMT",
		"Sun, 31 Feb 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMX",
		"Sun Nov  6 08:49:37 19x4", "Sun, 06 Nov 1994 08:49:37 GMT ",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!date(bad[i], &t), "%s", bad[i]);
	ck_assert_uint_eq(t, 42);
}
END_TEST

START_TEST(etags)
{
	const char *tag = "\"abc-1\"";

	ck_assert(http_inm_match(sl("\"abc-1\""), tag, 7));
	ck_assert(http_inm_match(sl("\"x\", W/\"abc-1\""), tag, 7));
	ck_assert(http_inm_match(sl("*"), tag, 7));
	ck_assert(!http_inm_match(sl("\"abc-2\""), tag, 7));
	ck_assert(!http_inm_match(sl("abc-1"), tag, 7));
	ck_assert(!http_inm_match(sl(""), tag, 7));
}
END_TEST

static int range(const char *v, uint64_t size, uint64_t *a, uint64_t *n)
{
	return http_range_parse(sl(v), size, a, n);
}

START_TEST(ranges)
{
	uint64_t a, n;

	ck_assert_int_eq(range("bytes=0-9", 100, &a, &n), HTTP_RANGE_OK);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(range("bytes=90-", 100, &a, &n), HTTP_RANGE_OK);
	ck_assert_uint_eq(a, 90);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(range("bytes=-5", 100, &a, &n), HTTP_RANGE_OK);
	ck_assert_uint_eq(a, 95);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(range("bytes=-500", 100, &a, &n), HTTP_RANGE_OK);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(range("bytes=50-5000", 100, &a, &n), HTTP_RANGE_OK);
	ck_assert_uint_eq(n, 50);
	ck_assert_int_eq(range("BYTES= 1-1 ", 100, &a, &n), HTTP_RANGE_OK);
	ck_assert_uint_eq(n, 1);

	ck_assert_int_eq(range("bytes=100-", 100, &a, &n), HTTP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("bytes=200-300", 100, &a, &n), HTTP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("bytes=-0", 100, &a, &n), HTTP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("bytes=0-", 0, &a, &n), HTTP_RANGE_UNSATISFIABLE);

	ck_assert_int_eq(range("bytes=5-1", 100, &a, &n), HTTP_RANGE_IGNORE);
	ck_assert_int_eq(range("bytes=0-1,5-6", 100, &a, &n), HTTP_RANGE_IGNORE);
	ck_assert_int_eq(range("items=0-1", 100, &a, &n), HTTP_RANGE_IGNORE);
	ck_assert_int_eq(range("bytes=-", 100, &a, &n), HTTP_RANGE_IGNORE);
	ck_assert_int_eq(range("bytes=a-b", 100, &a, &n), HTTP_RANGE_IGNORE);
	ck_assert_int_eq(range("bytes=99999999999999999999-", 100, &a, &n), HTTP_RANGE_IGNORE);
}
END_TEST

START_TEST(accept_encoding)
{
	ck_assert(http_accepts_gzip(sl("gzip")));
	ck_assert(http_accepts_gzip(sl("deflate, gzip;q=0.5, br")));
	ck_assert(http_accepts_gzip(sl("*")));
	ck_assert(http_accepts_gzip(sl("x-gzip")));
	ck_assert(http_accepts_gzip(sl("GZIP ; q=1")));
	ck_assert(!http_accepts_gzip(sl("gzip;q=0")));
	ck_assert(!http_accepts_gzip(sl("gzip;q=0.000")));
	ck_assert(!http_accepts_gzip(sl("*, gzip;q=0")));
	ck_assert(!http_accepts_gzip(sl("*;q=0")));
	ck_assert(!http_accepts_gzip(sl("br, deflate")));
	ck_assert(!http_accepts_gzip(sl("gzipx")));
	ck_assert(!http_accepts_gzip(sl("identity")));
}
END_TEST

static const char *mime(const char *p)
{
	return http_mime_type(p, strlen(p));
}

START_TEST(media_types)
{
	ck_assert_str_eq(mime("/index.html"), "text/html; charset=utf-8");
	ck_assert_str_eq(mime("/a/B.CSS"), "text/css; charset=utf-8");
	ck_assert_str_eq(mime("/app.js"), "text/javascript; charset=utf-8");
	ck_assert_str_eq(mime("/d.json"), "application/json");
	ck_assert_str_eq(mime("/i.png"), "image/png");
	ck_assert_str_eq(mime("/i.jpg"), "image/jpeg");
	ck_assert_str_eq(mime("/i.jpeg"), "image/jpeg");
	ck_assert_str_eq(mime("/i.gif"), "image/gif");
	ck_assert_str_eq(mime("/i.svg"), "image/svg+xml");
	ck_assert_str_eq(mime("/favicon.ico"), "image/x-icon");
	ck_assert_str_eq(mime("/r.txt"), "text/plain; charset=utf-8");
	ck_assert_str_eq(mime("/f.xml"), "application/xml");
	ck_assert_str_eq(mime("/f.pdf"), "application/pdf");
	ck_assert_str_eq(mime("/f.woff2"), "font/woff2");
	ck_assert_str_eq(mime("/f.wasm"), "application/wasm");
	ck_assert_str_eq(mime("/f.webp"), "image/webp");
	ck_assert_str_eq(mime("/noext"), "application/octet-stream");
	ck_assert_str_eq(mime("/dir.html/noext"), "application/octet-stream");
	ck_assert_str_eq(mime("/x."), "application/octet-stream");
}
END_TEST

START_TEST(bounded_buffer)
{
	char buf[8];
	struct hbuf b;

	hb_init(&b, buf, sizeof(buf));
	hb_str(&b, "1234567");
	ck_assert(!b.overflow);
	ck_assert(hb_cstr(&b));
	hb_str(&b, "89");
	ck_assert(b.overflow);
	ck_assert_uint_eq(b.len, 7);
	hb_ch(&b, 'x');
	ck_assert_uint_eq(b.len, 7);
	ck_assert(!hb_cstr(&b));
}
END_TEST

Suite *fields_suite(void)
{
	const TTest *const tests[] = {
		dates_format, dates_parse_three_forms, dates_invalid, etags, ranges, accept_encoding,
		media_types, bounded_buffer, NULL,
	};

	return one_case_suite("fields", "core", 0, NULL, NULL, tests);
}
