/* The request parser and the connection machine against arbitrary bytes:
 * the first input byte picks how the rest is cut into received pieces, so
 * incremental framing and pipelining are exercised too. Every response must
 * stay inside the header buffer and every body reference inside its file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_conn.h"
#include "http/http_date.h"
#include "http/http_fields.h"
#include "http/http_log.h"
#include "http/http_path.h"

/* A small ustar image built once: enough files for every code path. */
static uint8_t img[64 * 512];
static size_t img_len;

static void tar_add(const char *name, const char *data, char type)
{
	uint8_t *h = img + img_len;
	size_t n = strlen(data);
	unsigned sum = 0;

	memset(h, 0, 512);
	strcpy((char *)h, name);
	memcpy(h + 100, "0000644", 7);
	snprintf((char *)h + 124, 12, "%011zo", n);
	snprintf((char *)h + 136, 12, "%011o", 1700000000u);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	memcpy(h + 512, data, n);
	img_len += 512 + (n + 511) / 512 * 512;
}

static const char conf_text[] = "host localhost example.test *.w.test\n"
				"redirect /old /new.html 302\n"
				"header X-A b\n"
				"error 404 /404.html\n"
				"idle_timeout 5\n"
				"max_headers 20\n"
				"max_header_bytes 4096\n";

static struct site site;
static struct site_conf conf;
static struct http_server srv;
static uint8_t arena[1 << 16];

static void sink(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	if (memchr(line, '\n', n))
		abort(); /* a request must never forge a log line */
	/* The client field is the peer or an X-Real-IP that looks like an
	 * address: a request must never put anything else there. */
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		abort();
	struct http_slice client = { line, (size_t)(sp - line) };
	if (!(client.n == 4 && memcmp(line, "fuzz", 4) == 0) && !http_log_addr_ok(client))
		abort();
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
	img_len += 1024;
	site_image_mem(&im, img, img_len);
	site_conf_default(&conf);
	if (site_open(&site, &im, arena, sizeof(arena)) < 0 ||
	    site_conf_parse(&conf, conf_text, sizeof(conf_text) - 1) < 0)
		abort();
	srv.site = &site;
	srv.conf = &conf;
	srv.server_name = "fuzz";
	srv.log = sink;
}

static void check(const struct http_out *o, size_t cap)
{
	if (o->hdr_len > cap)
		abort();
	if (o->entry && (o->body_off > o->entry->size || o->body_len > o->entry->size - o->body_off))
		abort();
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
			check(&o, sizeof(hdr));
		if (r == HTTP_CONN_CLOSE)
			return 0;
		now += 100;
	}
	http_conn_eof(&c);
	while (http_conn_next(&c, hdr, sizeof(hdr), &o, now) == HTTP_CONN_RESPONSE)
		check(&o, sizeof(hdr));
	if (http_conn_timeout(&c, hdr, sizeof(hdr), &o, http_conn_deadline(&c)) == HTTP_CONN_RESPONSE)
		check(&o, sizeof(hdr));
	return 0;
}
