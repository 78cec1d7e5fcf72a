/* Test sites: real files in a temporary directory, packed by the system's
 * tar (so the store is tested on what users will really feed it), loaded
 * into memory and opened as a server. */
#ifndef TESTS_HTTP_FIXTURE_H
#define TESTS_HTTP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_conn.h"
#include "http/site_conf.h"
#include "http/site_tar.h"

#define FX_MTIME 1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */

struct fixture {
	char dir[64];
	uint8_t *img;
	size_t size;
	void *arena;
	char *conf_text;
	struct site site;
	struct site_conf conf;
	struct http_server srv;
	char log[16384]; /* log lines, newline-separated */
	size_t log_len;
	int log_lines;
};

/* A fresh temporary directory (removed by fx_free). */
void fx_dir(struct fixture *f);
/* Writes dir/rel (creating directories), mtime FX_MTIME. */
void fx_file(struct fixture *f, const char *rel, const void *data, size_t n);
/* Packs the directory with `tar --format=fmt` (plus extra options) and
 * loads the archive into f->img. */
void fx_pack(struct fixture *f, const char *fmt, const char *extra);
/* Opens f->img as the site, parses its site.conf if any and checks it
 * against the archive (site_conf_check); the server is set up to log into
 * f->log. Returns -1 when one of those failed (messages in f->site.err /
 * f->conf.err). */
int fx_open(struct fixture *f);
/* The standard test site (see fixture.c), packed with fmt and opened. */
void fx_std(struct fixture *f, const char *fmt);
void fx_free(struct fixture *f);

/* Feeds req to a fresh connection in one piece and returns the first
 * response; hdr receives its head. */
enum http_conn_res fx_request(struct fixture *f, const char *req, char *hdr, size_t cap,
			      struct http_out *out);
/* Value of a response header field in a NUL-terminated head, into val;
 * 0 when present, -1 when absent. */
int fx_header(const char *head, size_t hlen, const char *name, char *val, size_t cap);

#endif
