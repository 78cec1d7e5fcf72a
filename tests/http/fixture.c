#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define ARENA (1u << 20)

static void sh(const char *cmd)
{
	int rc = system(cmd);
	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

void fx_dir(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/http-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
}

void fx_file(struct fixture *f, const char *rel, const void *data, size_t n)
{
	char path[512], cmd[600];
	struct timeval tv[2] = { { FX_MTIME, 0 }, { FX_MTIME, 0 } };

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	char *slash = strrchr(path, '/');
	*slash = 0;
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	sh(cmd);
	*slash = '/';
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
	fclose(fp);
	ck_assert_int_eq(utimes(path, tv), 0);
}

void fx_pack(struct fixture *f, const char *fmt, const char *extra)
{
	char cmd[512], tar[128];
	struct stat st;

	snprintf(tar, sizeof(tar), "%s.tar", f->dir);
	snprintf(cmd, sizeof(cmd), "tar -C '%s' --format=%s %s -cf '%s' .", f->dir, fmt,
		 extra ? extra : "", tar);
	sh(cmd);
	FILE *fp = fopen(tar, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fstat(fileno(fp), &st), 0);
	free(f->img);
	f->size = (size_t)st.st_size;
	f->img = malloc(f->size ? f->size : 1);
	ck_assert_uint_eq(fread(f->img, 1, f->size, fp), f->size);
	fclose(fp);
	unlink(tar);
}

static void logger(void *ctx, const char *line, size_t n)
{
	struct fixture *f = ctx;

	ck_assert_ptr_null(memchr(line, '\n', n));
	if (f->log_len + n + 1 < sizeof(f->log)) {
		memcpy(f->log + f->log_len, line, n);
		f->log_len += n;
		f->log[f->log_len++] = '\n';
		f->log[f->log_len] = 0;
	}
	f->log_lines++;
}

int fx_open(struct fixture *f)
{
	struct site_image img;

	if (!f->arena)
		f->arena = malloc(ARENA);
	site_image_mem(&img, f->img, f->size);
	site_conf_default(&f->conf);
	if (site_open(&f->site, &img, f->arena, ARENA) < 0)
		return -1;
	const struct site_entry *e = site_find(&f->site, "site.conf", 9);
	if (e) {
		free(f->conf_text);
		f->conf_text = malloc(e->size + 1);
		ck_assert_int_eq(site_read(&f->site, e, 0, f->conf_text, e->size), 0);
		if (site_conf_parse(&f->conf, f->conf_text, e->size) < 0 ||
		    site_conf_check(&f->conf, &f->site) < 0)
			return -1;
	}
	f->srv.site = &f->site;
	f->srv.conf = &f->conf;
	f->srv.server_name = "vmm-site";
	f->srv.log = logger;
	f->srv.log_ctx = f;
	return 0;
}

static const char std_conf[] =
	"# test site\n"
	"host localhost example.test *.wild.test\n"
	"redirect /old /about.html 301\n"
	"redirect /moved https://elsewhere.test/x 302\n"
	"header X-Test yes\n"
	"header Cache-Control public, max-age=60\n"
	"error 404 /404.html\n"
	"idle_timeout 5\n"
	"header_timeout 2\n";

void fx_std(struct fixture *f, const char *fmt)
{
	static char big[100000], css[2000];
	char cmd[256], longname[160];

	fx_dir(f);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	for (size_t i = 0; i < sizeof(css); i++)
		css[i] = "body{color:red}\n"[i % 16];
	fx_file(f, "index.html", "<h1>home</h1>\n", 14);
	fx_file(f, "about.html", "<h1>about</h1>\n", 15);
	fx_file(f, "docs/index.html", "<h1>docs</h1>\n", 14);
	fx_file(f, "404.html", "<h1>custom 404</h1>\n", 20);
	fx_file(f, "style.css", css, sizeof(css));
	fx_file(f, "big.bin", big, sizeof(big));
	fx_file(f, "empty.txt", "", 0);
	fx_file(f, "site.conf", std_conf, sizeof(std_conf) - 1);
	snprintf(longname, sizeof(longname), "long/%090d.txt", 0); /* > 100: prefix */
	fx_file(f, longname, "long\n", 5);
	snprintf(cmd, sizeof(cmd), "gzip -9 -n -k '%s/style.css' && touch -d @%d '%s/style.css.gz'",
		 f->dir, FX_MTIME + 5, f->dir);
	sh(cmd);
	fx_pack(f, fmt, NULL);
	ck_assert_msg(fx_open(f) == 0, "%s / %s", f->site.err, f->conf.err);
}

void fx_free(struct fixture *f)
{
	char cmd[128];

	if (f->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		sh(cmd);
	}
	free(f->img);
	free(f->arena);
	free(f->conf_text);
	f->img = NULL;
	f->arena = NULL;
	f->conf_text = NULL;
}

enum http_conn_res fx_request(struct fixture *f, const char *req, char *hdr, size_t cap,
			      struct http_out *out)
{
	static char in[16384];
	struct http_conn c;
	size_t n = strlen(req);

	http_conn_init(&c, &f->srv, in, sizeof(in), "test", (uint64_t)FX_MTIME * 1000);
	ck_assert_uint_eq(http_conn_feed(&c, req, n, (uint64_t)FX_MTIME * 1000), n);
	enum http_conn_res r = http_conn_next(&c, hdr, cap - 1, out, (uint64_t)FX_MTIME * 1000);
	if (r == HTTP_CONN_RESPONSE)
		hdr[out->hdr_len] = 0;
	return r;
}

int fx_header(const char *head, size_t hlen, const char *name, char *val, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = head, *end = head + hlen;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(eol - v);
			if (vl && v[vl - 1] == '\r')
				vl--;
			if (vl >= cap)
				vl = cap - 1;
			memcpy(val, v, vl);
			val[vl] = 0;
			return 0;
		}
		if (eol - p <= 1)
			break; /* end of head */
		p = eol + 1;
	}
	return -1;
}
