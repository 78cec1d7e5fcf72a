/* site.conf parsing, its errors, and host matching. */
#include <check.h>
#include <stdio.h>
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
		{ "app /api/\n", "line 1: usage: app /prefix file.lua" },
		{ "app\n", "usage: app /prefix file.lua" },
		{ "app api/ api.lua\n", "app prefix must be a normalised /path 'api/'" },
		{ "app /a//b/ api.lua\n", "app prefix must be a normalised" },
		{ "app /a/../b api.lua\n", "app prefix must be a normalised" },
		{ "app /a?x api.lua\n", "app prefix must be a normalised" },
		{ "app /api/ lua/\n", "app file must be a normalised file name in the archive 'lua/'" },
		{ "app /api/ ../api.lua\n", "app file must be a normalised" },
		{ "app /api/ ./api.lua\n", "app file must be a normalised" },
		{ "app /api/ /\n", "app file must be a normalised" },
		{ "app /api/ a//b.lua\n", "app file must be a normalised" },
		{ "app /api/ a.lua b\n", "unexpected extra words" },
		{ "app /api/ a.lua\napp /api/ b.lua\n", "line 2: app prefix already routed '/api/'" },
		{ "app_body_max 67108865\n", "value out of range or not a number '67108865'" },
		{ "app_body_max -1\n", "value out of range" },
		{ "app_body_max\n", "value out of range" },
		{ "app_instructions 999\n", "value out of range" },
		{ "app_instructions 10000000001\n", "value out of range" },
		{ "app_memory 262143\n", "value out of range" },
		{ "app_memory 1073741825\n", "value out of range" },
		{ "app_memory 8M\n", "value out of range" },
		{ "app_memory 8388608 9\n", "unexpected extra words" },
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

START_TEST(app_defaults)
{
	ck_assert_int_eq(conf(""), 0);
	ck_assert_uint_eq(c.napp, 0);
	ck_assert_uint_eq(c.app_body_max, 1048576);
	ck_assert_uint_eq(c.app_instructions, 10000000);
	ck_assert_uint_eq(c.app_memory, 8388608);
	ck_assert_ptr_null(site_conf_app(&c, "/api/x", 6));
}
END_TEST

START_TEST(app_keys)
{
	ck_assert_int_eq(conf("app /api/ api.lua\n"
			      "APP /api/admin/ /lua/admin.lua\n"
			      "app / root.lua\n"
			      "app /form form.lua\r\n"
			      "app_body_max 0\n"
			      "app_instructions 1000\n"
			      "app_memory 262144\n"),
			 0);
	ck_assert_uint_eq(c.napp, 4);
	ck_assert_mem_eq(c.app[0].prefix.p, "/api/", c.app[0].prefix.n);
	ck_assert_uint_eq(c.app[0].file.n, 7);
	ck_assert_mem_eq(c.app[0].file.p, "api.lua", 7);
	/* a leading '/' is dropped: archive names have none */
	ck_assert_uint_eq(c.app[1].file.n, 13);
	ck_assert_mem_eq(c.app[1].file.p, "lua/admin.lua", 13);
	ck_assert_uint_eq(c.app[1].line, 2);
	ck_assert_uint_eq(c.app_body_max, 0);
	ck_assert_uint_eq(c.app_instructions, 1000);
	ck_assert_uint_eq(c.app_memory, 262144);
	ck_assert(site_conf_is_app_file(&c, "lua/admin.lua", 13));
	ck_assert(!site_conf_is_app_file(&c, "/lua/admin.lua", 14));
	ck_assert(!site_conf_is_app_file(&c, "api.lu", 6));

	ck_assert_int_eq(conf("app_body_max 67108864\napp_instructions 10000000000\n"
			      "app_memory 1073741824\n"),
			 0);
	ck_assert_uint_eq(c.app_body_max, 64u << 20);
	ck_assert_uint_eq(c.app_instructions, 10000000000ull);
	ck_assert_uint_eq(c.app_memory, 1u << 30);
}
END_TEST

/* The longest prefix wins, whatever the order of the lines; prefixes are
 * plain byte prefixes of the normalised path. */
START_TEST(app_longest_prefix)
{
	ck_assert_int_eq(conf("app / root.lua\n"
			      "app /api/admin/ admin.lua\n"
			      "app /api/ api.lua\n"
			      "app /form form.lua\n"),
			 0);
	static const struct {
		const char *path, *file;
	} want[] = {
		{ "/api/x", "api.lua" },         { "/api/", "api.lua" },
		{ "/api/admin/", "admin.lua" },  { "/api/admin/users", "admin.lua" },
		{ "/api/admin", "api.lua" },     { "/api", "root.lua" },
		{ "/form", "form.lua" },         { "/formx", "form.lua" },
		{ "/form/a", "form.lua" },       { "/", "root.lua" },
		{ "/index.html", "root.lua" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct conf_app *a = site_conf_app(&c, want[i].path, strlen(want[i].path));
		ck_assert_ptr_nonnull(a);
		ck_assert_msg(a->file.n == strlen(want[i].file) &&
				      memcmp(a->file.p, want[i].file, a->file.n) == 0,
			      "%s -> %.*s", want[i].path, (int)a->file.n, a->file.p);
	}
	ck_assert_int_eq(conf("app /api/ api.lua\n"), 0);
	ck_assert_ptr_null(site_conf_app(&c, "/api", 4));
	ck_assert_ptr_null(site_conf_app(&c, "/", 1));
	ck_assert_ptr_null(site_conf_app(&c, "/API/x", 6)); /* paths are case-sensitive */
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
	text[0] = 0;
	for (int i = 0; i < CONF_MAX_APPS + 1; i++)
		sprintf(text + strlen(text), "app /p%d/ a.lua\n", i);
	ck_assert_int_lt(conf(text), 0);
	ck_assert_ptr_nonnull(strstr(c.err, "line 17: too many app routes"));
}
END_TEST

Suite *site_conf_suite(void)
{
	const TTest *const tests[] = {
		full_config,	 hosts_match, errors_name_the_line, app_defaults,
		app_keys,	 app_longest_prefix, capacity_limits, NULL,
	};

	return one_case_suite("site_conf", "core", 0, NULL, NULL, tests);
}
