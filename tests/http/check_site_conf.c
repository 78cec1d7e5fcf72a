/* site.conf parsing, its errors, and host matching. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "http/site_conf.h"
#include "suites.h"

static struct site_conf c;

static int conf(const char *text)
{
	site_conf_default(&c);
	return site_conf_parse(&c, text, strlen(text));
}

static int host(const char *h)
{
	return site_conf_host_ok(&c, h, strlen(h));
}

START_TEST(full_config)
{
	ck_assert_int_eq(conf("# comment\r\n\n"
			      "  host a.test  B.test\t*.w.test\n"
			      "host [::1]\n"
			      "redirect /old /new.html\n"
			      "redirect /blog/ https://blog.test/ 308\n"
			      "header X-Frame-Options  DENY  \n"
			      "header Content-Security-Policy default-src 'self'; img-src *\n"
			      "error 404 /errors/404.html\n"
			      "error 500 /500.html\n"
			      "index default.htm\n"
			      "idle_timeout 7\n"
			      "header_timeout 3\n"
			      "max_request_line 1024\n"
			      "max_header_bytes 4096\n"
			      "max_headers 20\n"),
			 0);
	ck_assert_uint_eq(c.nhost, 4);
	ck_assert_uint_eq(c.nredirect, 2);
	ck_assert_int_eq(c.redirect[0].code, 301);
	ck_assert_int_eq(c.redirect[1].code, 308);
	ck_assert_ptr_nonnull(site_conf_redirect(&c, "/old", 4));
	ck_assert_ptr_null(site_conf_redirect(&c, "/old/", 5));
	ck_assert_mem_eq(site_conf_redirect(&c, "/blog/", 6)->to.p, "https://blog.test/", 18);
	ck_assert_uint_eq(c.nheader, 2);
	ck_assert_uint_eq(c.header[0].value.n, 4);
	ck_assert_mem_eq(c.header[1].value.p, "default-src 'self'; img-src *", c.header[1].value.n);
	ck_assert_mem_eq(site_conf_error_page(&c, 404)->p, "/errors/404.html", 16);
	ck_assert_ptr_null(site_conf_error_page(&c, 403));
	ck_assert_mem_eq(c.index.p, "default.htm", 11);
	ck_assert_uint_eq(c.idle_timeout_ms, 7000);
	ck_assert_uint_eq(c.header_timeout_ms, 3000);
	ck_assert_uint_eq(c.limits.max_request_line, 1024);
	ck_assert_uint_eq(c.limits.max_header_bytes, 4096);
	ck_assert_uint_eq(c.limits.max_headers, 20);
}
END_TEST

START_TEST(hosts_match)
{
	ck_assert_int_eq(conf("host a.test *.w.test [::1] 127.0.0.1\n"), 0);
	ck_assert(host("a.test"));
	ck_assert(host("A.TEST"));
	ck_assert(host("a.test:8080"));
	ck_assert(host("a.test."));
	ck_assert(host("x.w.test"));
	ck_assert(host("y.x.w.test:1"));
	ck_assert(host("[::1]:8080"));
	ck_assert(host("127.0.0.1:8080"));
	ck_assert(!host("w.test"));
	ck_assert(!host(".w.test"));
	ck_assert(!host("b.test"));
	ck_assert(!host("a.test.evil"));
	ck_assert(!host(""));
	ck_assert_int_eq(conf(""), 0);
	ck_assert(host("anything")); /* no host lines: any host */
}
END_TEST

/* Each bad line is reported with its number and what is wrong. */
START_TEST(errors_name_the_line)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "host a\nfrobnicate 1\n", "line 2: unknown directive 'frobnicate'" },
		{ "host\n", "line 1: host needs at least one name" },
		{ "host a/b\n", "line 1: bad host name 'a/b'" },
		{ "\n\nredirect /a\n", "line 3: usage: redirect" },
		{ "redirect a /b\n", "line 1: redirect source must be a normalised /path 'a'" },
		{ "redirect /a/../b /c\n", "redirect source must be a normalised" },
		{ "redirect /a//b /c\n", "redirect source must be a normalised" },
		{ "redirect /a /b 200\n", "redirect status must be" },
		{ "redirect /a /b 305\n", "redirect status must be" },
		{ "redirect /a /b 301 x\n", "too many words" },
		{ "header X-A\n", "usage: header Name value" },
		{ "header Bad:Name v\n", "usage: header Name value" },
		{ "header Content-Length 5\n", "set by the server itself 'Content-Length'" },
		{ "header X-A a\x01" "b\n", "control characters" },
		{ "error 404\n", "error page must be" },
		{ "error 200 /x.html\n", "status code 400-599" },
		{ "error 404 /dir/\n", "error page must be" },
		{ "error 404 /../x\n", "error page must be" },
		{ "index a/b.html\n", "index needs a file name" },
		{ "index ..\n", "index needs a file name" },
		{ "idle_timeout 0\n", "value out of range" },
		{ "idle_timeout 99999999999999999999999\n", "value out of range" },
		{ "max_headers lots\n", "value out of range" },
		{ "idle_timeout 5 6\n", "unexpected extra words" },
		{ "host a\n\0host b\n", "NUL byte" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i].text);
		if (strcmp(bad[i].msg, "NUL byte") == 0)
			n = 15;
		site_conf_default(&c);
		ck_assert_msg(site_conf_parse(&c, bad[i].text, n) < 0, "accepted: %s", bad[i].text);
		ck_assert_msg(strstr(c.err, bad[i].msg) != NULL, "'%s' not in '%s'", bad[i].msg,
			      c.err);
		ck_assert_ptr_nonnull(strstr(c.err, "site.conf line "));
	}
	ck_assert_str_eq(c.err, "site.conf line 2: NUL byte in the file");
}
END_TEST

START_TEST(capacity_limits)
{
	static char text[8192];

	text[0] = 0;
	for (int i = 0; i < CONF_MAX_HEADERS + 1; i++)
		strcat(text, "header X-A b\n");
	ck_assert_int_lt(conf(text), 0);
	ck_assert_ptr_nonnull(strstr(c.err, "too many headers"));
	text[0] = 0;
	for (int i = 0; i < CONF_MAX_HOSTS + 1; i++)
		strcat(text, "host a\n");
	ck_assert_int_lt(conf(text), 0);
	ck_assert_ptr_nonnull(strstr(c.err, "too many host names"));
}
END_TEST

Suite *site_conf_suite(void)
{
	const TTest *const tests[] = {
		full_config, hosts_match, errors_name_the_line, capacity_limits, NULL,
	};

	return one_case_suite("site_conf", "core", 0, NULL, NULL, tests);
}
