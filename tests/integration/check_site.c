/* The site image end to end: build/guest/site.elf serving examples/site from
 * a tar disk behind `vmm run --publish`, driven with libcurl and raw sockets:
 * every status code the web stack produces, conditional and range requests,
 * gzip variants, redirects, keep-alive, pipelining, 200 concurrent
 * connections, a client that never finishes its head, garbage and path
 * escapes; a 50 MB file streamed from disk; the start-up failure codes
 * (missing disk 12, corrupt archive 14, bad site.conf 15); scale to
 * zero: a listener inherited as --publish fd:3:80, --idle-stop; the data
 * disk (a second --disk: writes, flush, read-only refusal, site.blktest=1)
 * and the ring-3 stack's size and guard (site.stacktest=1). */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "integration/loopback.h"
#include "integration/proc.h"
#include "msg_tail.h"
#include "guest/lib/xorshift.h"

#define WAIT_MS 180000
#define SITE_DIR "examples/site"
#define BIG_SIZE 50000000
#define CONCURRENT 200
#define KEEPALIVE 1000
#define HEADER_TIMEOUT_MS 10000 /* examples/site/site.conf: header_timeout 10 */

struct vm {
	pid_t pid;
	char out[160], err[160];
};

static char tmp[64];
static char site_tar[128], big_tar[128], big_bin[128];
static struct vm shared_vm;
static int port, stats_port;
static int shared_failed;

/* ------------------------------------------------------------------ helpers */

static const char *site_kernel(void)
{
	const char *k = getenv("SITE_KERNEL");

	return k && *k ? k : "build/guest/site.elf";
}

/* Reads a whole file (malloc'd, NUL-terminated); *len gets its size. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	char *b;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		if (len)
			*len = 0;
		return calloc(1, 1);
	}
	b = malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	b[got] = 0;
	close(fd);
	if (len)
		*len = got;
	return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "site: '%s' failed (%d)\n", cmd, rc);
		exit(2);
	}
}

static uint64_t rng_state = XORSHIFT_SEED;

static uint64_t rng(void)
{
	return xorshift64(&rng_state);
}

static int no_sanitizer_report(const char *err)
{
	return !strstr(err, "Sanitizer") && !strstr(err, "runtime error") && !strstr(err, "LeakSanitizer");
}

/* ------------------------------------------------------------------ VMs */

static int wait_output(const struct vm *v, const char *want)
{
	for (long t0 = now_ms(); now_ms() - t0 < WAIT_MS; usleep(20000)) {
		char *o = slurp(v->out, NULL);
		int found = strstr(o, want) != NULL;

		free(o);
		if (found)
			return 0;
		if (waitpid(v->pid, NULL, WNOHANG) == v->pid)
			return -1;
	}
	return -1;
}

/* Starts `vmm run` with the site kernel, DISK (read-only) and the ports
 * published, output to files; returns once the guest listens. */
static int vm_start_cmdline(struct vm *v, const char *tag, const char *disk, int http_port, int stat_port,
			    const char *cmdline)
{
	char d[200], p1[48], p2[48];
	const char *argv[20];
	int argc = 0;

	snprintf(v->out, sizeof v->out, "%s/%s.out", tmp, tag);
	snprintf(v->err, sizeof v->err, "%s/%s.err", tmp, tag);
	snprintf(d, sizeof d, "%s,ro", disk);
	snprintf(p1, sizeof p1, "127.0.0.1:%d:80", http_port);
	snprintf(p2, sizeof p2, "127.0.0.1:%d:81", stat_port);
	argv[argc++] = vmm_bin();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = site_kernel();
	argv[argc++] = "--disk";
	argv[argc++] = d;
	argv[argc++] = "--publish";
	argv[argc++] = p1;
	if (stat_port) {
		argv[argc++] = "--publish";
		argv[argc++] = p2;
	}
	if (cmdline) {
		argv[argc++] = "--cmdline";
		argv[argc++] = cmdline;
	}
	argv[argc++] = "--console=output";
	argv[argc] = NULL;
	v->pid = proc_spawn(argv, v->out, v->err);
	if (v->pid < 0)
		return -1;
	return wait_output(v, "site: listening on vsock port 80");
}

static int vm_start(struct vm *v, const char *tag, const char *disk, int http_port, int stat_port)
{
	return vm_start_cmdline(v, tag, disk, http_port, stat_port, NULL);
}

/* SIGPWR: the guest finishes its responses and powers off with 0. Returns
 * NULL when all is well, else a description (static). */
static const char *vm_poweroff(struct vm *v)
{
	static char why[4096];
	int st = 0;
	long t0 = now_ms();
	char *err, *out;

	kill(v->pid, SIGPWR);
	while (waitpid(v->pid, &st, WNOHANG) != v->pid) {
		if (now_ms() - t0 > 120000) {
			kill(v->pid, SIGKILL);
			waitpid(v->pid, &st, 0);
			break;
		}
		usleep(20000);
	}
	err = slurp(v->err, NULL);
	out = slurp(v->out, NULL);
	why[0] = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		snprintf(why, sizeof why, "status %#x after SIGPWR, want exit 0; stderr: %.1500s", st, err);
	else if (!no_sanitizer_report(err))
		snprintf(why, sizeof why, "sanitizer report: %.3000s", err);
	else if (!strstr(out, "site: stats:"))
		snprintf(why, sizeof why, "no 'site: stats:' on the console: %.1500s", out);
	free(err);
	free(out);
	return why[0] ? why : NULL;
}

/* Runs a VM that must fail at start-up; returns its result. */
static void vm_run_to_exit(struct proc_result *r, const char *disk, int with_publish)
{
	char d[200], p1[48];
	const char *argv[16];
	int argc = 0;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 120000 };

	snprintf(d, sizeof d, "%s,ro", disk ? disk : "");
	snprintf(p1, sizeof p1, "127.0.0.1:%d:80", port + 10);
	argv[argc++] = vmm_bin();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = site_kernel();
	if (disk) {
		argv[argc++] = "--disk";
		argv[argc++] = d;
	}
	if (with_publish) {
		argv[argc++] = "--publish";
		argv[argc++] = p1;
	}
	argv[argc++] = "--console=output";
	argv[argc] = NULL;
	ck_assert_int_eq(proc_run((char **)argv, &o, r), 0);
	ck_assert_msg(!r->timed_out, "vmm timed out; console: %s\nstderr: %s", msg_tail(r->out), msg_tail(r->err));
	ck_assert_msg(no_sanitizer_report(r->err), "stderr: %s", msg_tail(r->err));
}

/* ------------------------------------------------------------------ libcurl */

struct resp {
	long code;
	char *hdr, *body;
	size_t hdr_len, body_len, hdr_cap, body_cap;
	long connects;
	CURLcode rc;
};

static void grow(char **p, size_t *len, size_t *cap, const char *d, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*p = realloc(*p, *cap);
	}
	memcpy(*p + *len, d, n);
	*len += n;
	(*p)[*len] = 0;
}

static size_t on_body(char *d, size_t sz, size_t n, void *u)
{
	struct resp *r = u;

	grow(&r->body, &r->body_len, &r->body_cap, d, sz * n);
	return sz * n;
}

static size_t on_header(char *d, size_t sz, size_t n, void *u)
{
	struct resp *r = u;

	grow(&r->hdr, &r->hdr_len, &r->hdr_cap, d, sz * n);
	return sz * n;
}

static void resp_free(struct resp *r)
{
	free(r->hdr);
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* One request's options. */
struct rq {
	const char *path;      /* "/x": on the site port; a full URL is taken as is */
	const char *method;    /* NULL: GET */
	const char **hdrs;     /* NULL-terminated extra header lines */
	const char *range;
	int head;              /* HEAD */
	const char *post;      /* request body (POST) */
};

static void setup_easy(CURL *c, const struct rq *q, struct resp *r, struct curl_slist **sl, char *url, size_t ulen)
{
	if (strncmp(q->path, "http", 4) == 0)
		snprintf(url, ulen, "%s", q->path);
	else
		snprintf(url, ulen, "http://127.0.0.1:%d%s", port, q->path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (q->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	if (q->range)
		curl_easy_setopt(c, CURLOPT_RANGE, q->range);
	if (q->head)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (q->post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->post);
	*sl = NULL;
	for (const char **h = q->hdrs; h && *h; h++)
		*sl = curl_slist_append(*sl, *h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *sl);
}

static void finish_easy(CURL *c, struct resp *r)
{
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
	if (!r->body)
		grow(&r->body, &r->body_len, &r->body_cap, "", 0);
	if (!r->hdr)
		grow(&r->hdr, &r->hdr_len, &r->hdr_cap, "", 0);
}

/* Performs one request on handle c (NULL: a fresh one); returns the status. */
static long fetch_on(CURL *c, const struct rq *q, struct resp *r)
{
	struct curl_slist *sl;
	char url[16384];
	int own = !c;

	memset(r, 0, sizeof *r);
	if (own)
		c = curl_easy_init();
	else
		curl_easy_reset(c);
	setup_easy(c, q, r, &sl, url, sizeof url);
	r->rc = curl_easy_perform(c);
	finish_easy(c, r);
	curl_slist_free_all(sl);
	if (own)
		curl_easy_cleanup(c);
	return r->code;
}

static long fetch(const struct rq *q, struct resp *r)
{
	return fetch_on(NULL, q, r);
}

#define GET(r, p) fetch(&(struct rq){ .path = (p) }, (r))

/* The value of the last header NAME in r (static copy), or NULL. */
static const char *header(const struct resp *r, const char *name)
{
	static char v[1024];
	size_t nl = strlen(name);
	const char *found = NULL;

	for (const char *l = r->hdr; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':')
			found = l + nl + 1;
	if (!found)
		return NULL;
	while (*found == ' ')
		found++;
	size_t n = strcspn(found, "\r\n");
	if (n >= sizeof v)
		n = sizeof v - 1;
	memcpy(v, found, n);
	v[n] = 0;
	return v;
}

static char *site_file(const char *name, size_t *len)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", SITE_DIR, name);
	return slurp(p, len);
}

#define ASSERT_STATUS(r, want, what)                                                                          \
	ck_assert_msg((r)->code == (want), "%s: status %ld (curl: %s), want %d; head:\n%s", what, (r)->code,       \
		      curl_easy_strerror((r)->rc), want, (r)->hdr)

/* The body must be the site file NAME, byte for byte. */
static void assert_body_is(const struct resp *r, const char *name)
{
	size_t len;
	char *want = site_file(name, &len);

	ck_assert_msg(r->body_len == len && memcmp(r->body, want, len) == 0, "%s: body of %zu bytes, want %zu", name,
		      r->body_len, len);
	free(want);
}

/* ------------------------------------------------------------------ raw sockets */

static void send_all(int fd, const void *d, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(fd, (const char *)d + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		ck_assert_msg(w > 0, "send: %s", strerror(errno));
		off += (size_t)w;
	}
}

/* Reads until EOF, a reset or timeout_ms; returns the bytes (malloc'd,
 * NUL-terminated), *len their count, *how 0 for EOF, errno, or ETIMEDOUT. */
static char *read_to_end(int fd, size_t *len, int timeout_ms, int *how)
{
	char *b = NULL, chunk[65536];
	size_t l = 0, cap = 0;
	long deadline = now_ms() + timeout_ms;
	ssize_t n;

	grow(&b, &l, &cap, "", 0);
	while ((n = read_by(fd, chunk, sizeof chunk, deadline)) > 0)
		grow(&b, &l, &cap, chunk, (size_t)n);
	*how = n == 0 ? 0 : errno;
	*len = l;
	return b;
}

/* Sends REQ (len bytes) on a new connection and reads the answer to EOF. */
static char *raw(const char *req, size_t len, size_t *out_len)
{
	int fd = tcp_connect(port), how;
	char *b;

	send_all(fd, req, len);
	b = read_to_end(fd, out_len, 60000, &how);
	ck_assert_msg(how == 0 || how == ECONNRESET, "connection not closed after the answer (%s); got: %.300s",
		      strerror(how), b);
	close(fd);
	return b;
}

/* The status of a raw exchange whose answer must close the connection. */
static int raw_status(const char *req)
{
	size_t n;
	char *b = raw(req, strlen(req), &n);
	int st = 0;

	if (n >= 12 && strncmp(b, "HTTP/1.1 ", 9) == 0)
		st = atoi(b + 9);
	ck_assert_msg(st, "no status line in '%.200s' for '%.100s'", b, req);
	free(b);
	return st;
}

/* ------------------------------------------------------------------ the shared VM */

static void shared_start(void)
{
	loopback_up();
	if (vm_start(&shared_vm, "shared", site_tar, port, stats_port) < 0) {
		char *o = slurp(shared_vm.out, NULL), *e = slurp(shared_vm.err, NULL);
		fprintf(stderr, "site: the shared VM did not start listening; console:\n%s\nstderr:\n%s\n", o, e);
		free(o);
		free(e);
		shared_failed = 1;
	}
}

/* Outside the forked tests: power off, check the exit, the log and stderr. */
static void shared_stop(void)
{
	const char *why = vm_poweroff(&shared_vm);
	char *out = slurp(shared_vm.out, NULL);

	if (why) {
		fprintf(stderr, "site: shared VM: %s\n", why);
		shared_failed = 1;
	}
	/* One Common Log Format line per request. */
	if (count_of(out, "\"GET /index.html HTTP/1.1\" 200 ") < KEEPALIVE) {
		fprintf(stderr, "site: shared VM: fewer than %d access-log lines for /index.html\n", KEEPALIVE);
		shared_failed = 1;
	}
	free(out);
}

START_TEST(pages_200_with_types_and_configured_headers)
{
	static const struct {
		const char *path, *file, *type;
	} pages[] = {
		{ "/", "index.html", "text/html" },
		{ "/index.html", "index.html", "text/html" },
		{ "/about.html", "about.html", "text/html" },
		{ "/docs/", "docs/index.html", "text/html" },
		{ "/./docs//index.html", "docs/index.html", "text/html" },
		{ "/style.css", "style.css", "text/css" },
		{ "/logo.png", "logo.png", "image/png" },
		{ "/index.html?x=1", "index.html", "text/html" },
	};
	struct resp r;

	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		GET(&r, pages[i].path);
		ASSERT_STATUS(&r, 200, pages[i].path);
		assert_body_is(&r, pages[i].file);
		ck_assert_ptr_nonnull(header(&r, "Content-Type"));
		ck_assert_msg(strncmp(header(&r, "Content-Type"), pages[i].type, strlen(pages[i].type)) == 0,
			      "%s: Content-Type %s", pages[i].path, header(&r, "Content-Type"));
		ck_assert_uint_eq(strtoul(header(&r, "Content-Length"), NULL, 10), r.body_len);
		ck_assert_str_eq(header(&r, "X-Content-Type-Options"), "nosniff");
		ck_assert_str_eq(header(&r, "Cache-Control"), "public, max-age=60");
		ck_assert_ptr_nonnull(header(&r, "ETag"));
		ck_assert_ptr_nonnull(header(&r, "Last-Modified"));
		ck_assert_ptr_nonnull(header(&r, "Date"));
		resp_free(&r);
	}
	/* HTTP/1.0 without Host is served, and closes. */
	size_t n;
	char *b = raw("GET /about.html HTTP/1.0\r\n\r\n", 28, &n);
	ck_assert_msg(strncmp(b, "HTTP/1.1 200 ", 13) == 0, "1.0: %.100s", b);
	free(b);
}
END_TEST

START_TEST(custom_404_page_and_hidden_site_conf)
{
	struct resp r;

	GET(&r, "/nope.html");
	ASSERT_STATUS(&r, 404, "missing page");
	assert_body_is(&r, "404.html");
	ck_assert_str_eq(header(&r, "Content-Type"), "text/html; charset=utf-8");
	resp_free(&r);
	GET(&r, "/site.conf");
	ASSERT_STATUS(&r, 404, "site.conf");
	ck_assert_ptr_null(strstr(r.body, "header_timeout"));
	resp_free(&r);
	GET(&r, "/docs/nothing/");
	ASSERT_STATUS(&r, 404, "missing directory");
	resp_free(&r);
}
END_TEST

START_TEST(redirects_301)
{
	struct resp r;

	GET(&r, "/old-about"); /* site.conf: redirect /old-about /about.html 301 */
	ASSERT_STATUS(&r, 301, "site.conf redirect");
	ck_assert_str_eq(header(&r, "Location"), "/about.html");
	resp_free(&r);
	GET(&r, "/docs?q=1"); /* a directory without its slash */
	ASSERT_STATUS(&r, 301, "directory redirect");
	ck_assert_str_eq(header(&r, "Location"), "/docs/?q=1");
	resp_free(&r);
}
END_TEST

START_TEST(head_has_the_get_head_and_no_body)
{
	struct resp r;
	size_t len, n;
	char *css = site_file("style.css", &len), *b;
	const char *two = "HEAD /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"
			  "GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

	fetch(&(struct rq){ .path = "/style.css", .head = 1 }, &r);
	ASSERT_STATUS(&r, 200, "HEAD");
	ck_assert_uint_eq(r.body_len, 0);
	ck_assert_uint_eq(strtoul(header(&r, "Content-Length"), NULL, 10), len);
	ck_assert_ptr_nonnull(header(&r, "ETag"));
	resp_free(&r);
	/* On the wire: the next response follows the HEAD's head directly. */
	b = raw(two, strlen(two), &n);
	char *end = strstr(b, "\r\n\r\n");
	ck_assert_ptr_nonnull(end);
	ck_assert_msg(strncmp(end + 4, "HTTP/1.1 404 ", 13) == 0, "after HEAD: %.60s", end + 4);
	free(b);
	free(css);
}
END_TEST

START_TEST(gzip_variant_for_clients_that_accept_it)
{
	struct resp r;

	fetch(&(struct rq){ .path = "/style.css", .hdrs = (const char *[]){ "Accept-Encoding: gzip, deflate", NULL } },
	      &r);
	ASSERT_STATUS(&r, 200, "gzip");
	assert_body_is(&r, "style.css.gz");
	ck_assert_str_eq(header(&r, "Content-Encoding"), "gzip");
	ck_assert_msg(strncmp(header(&r, "Content-Type"), "text/css", 8) == 0, "type %s", header(&r, "Content-Type"));
	ck_assert_str_eq(header(&r, "Vary"), "Accept-Encoding");
	resp_free(&r);
	fetch(&(struct rq){ .path = "/style.css", .hdrs = (const char *[]){ "Accept-Encoding: gzip;q=0", NULL } }, &r);
	ASSERT_STATUS(&r, 200, "gzip;q=0");
	assert_body_is(&r, "style.css");
	ck_assert_ptr_null(header(&r, "Content-Encoding"));
	ck_assert_str_eq(header(&r, "Vary"), "Accept-Encoding");
	resp_free(&r);
	GET(&r, "/style.css");
	assert_body_is(&r, "style.css");
	resp_free(&r);
}
END_TEST

START_TEST(ranges_206_and_416)
{
	struct resp r;
	size_t len;
	char *f = site_file("index.html", &len), want[64];

	fetch(&(struct rq){ .path = "/index.html", .range = "0-9" }, &r);
	ASSERT_STATUS(&r, 206, "range 0-9");
	ck_assert_uint_eq(r.body_len, 10);
	ck_assert(memcmp(r.body, f, 10) == 0);
	snprintf(want, sizeof want, "bytes 0-9/%zu", len);
	ck_assert_str_eq(header(&r, "Content-Range"), want);
	resp_free(&r);
	fetch(&(struct rq){ .path = "/index.html", .range = "-5" }, &r);
	ASSERT_STATUS(&r, 206, "suffix range");
	ck_assert_uint_eq(r.body_len, 5);
	ck_assert(memcmp(r.body, f + len - 5, 5) == 0);
	resp_free(&r);
	fetch(&(struct rq){ .path = "/index.html", .range = "99999-" }, &r);
	ASSERT_STATUS(&r, 416, "unsatisfiable range");
	snprintf(want, sizeof want, "bytes */%zu", len);
	ck_assert_str_eq(header(&r, "Content-Range"), want);
	resp_free(&r);
	free(f);
}
END_TEST

START_TEST(conditional_304_by_etag_and_by_date)
{
	struct resp r;
	char etag[256], lm[128], h1[300], h2[300];

	GET(&r, "/about.html");
	ASSERT_STATUS(&r, 200, "about");
	snprintf(etag, sizeof etag, "%s", header(&r, "ETag"));
	snprintf(lm, sizeof lm, "%s", header(&r, "Last-Modified"));
	resp_free(&r);
	snprintf(h1, sizeof h1, "If-None-Match: %s", etag);
	fetch(&(struct rq){ .path = "/about.html", .hdrs = (const char *[]){ h1, NULL } }, &r);
	ASSERT_STATUS(&r, 304, "If-None-Match");
	ck_assert_uint_eq(r.body_len, 0);
	ck_assert_str_eq(header(&r, "ETag"), etag);
	resp_free(&r);
	fetch(&(struct rq){ .path = "/about.html", .hdrs = (const char *[]){ "If-None-Match: \"nope\"", NULL } }, &r);
	ASSERT_STATUS(&r, 200, "other ETag");
	resp_free(&r);
	snprintf(h2, sizeof h2, "If-Modified-Since: %s", lm);
	fetch(&(struct rq){ .path = "/about.html", .hdrs = (const char *[]){ h2, NULL } }, &r);
	ASSERT_STATUS(&r, 304, "If-Modified-Since");
	ck_assert_uint_eq(r.body_len, 0);
	resp_free(&r);
	fetch(&(struct rq){ .path = "/about.html",
			    .hdrs = (const char *[]){ "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", NULL } },
	      &r);
	ASSERT_STATUS(&r, 200, "If-Modified-Since long ago");
	assert_body_is(&r, "about.html");
	resp_free(&r);
}
END_TEST

START_TEST(methods_405_and_501)
{
	struct resp r;

	fetch(&(struct rq){ .path = "/", .post = "x=1" }, &r);
	ASSERT_STATUS(&r, 405, "POST");
	ck_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
	resp_free(&r);
	fetch(&(struct rq){ .path = "/", .method = "DELETE" }, &r);
	ASSERT_STATUS(&r, 405, "DELETE");
	resp_free(&r);
	fetch(&(struct rq){ .path = "/", .method = "FOO" }, &r);
	ASSERT_STATUS(&r, 501, "FOO");
	resp_free(&r);
}
END_TEST

START_TEST(bad_requests_400_421_505)
{
	struct resp r;

	ck_assert_int_eq(raw_status("GET / HTTP/1.1\r\n\r\n"), 400); /* no Host */
	ck_assert_int_eq(raw_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	ck_assert_int_eq(raw_status("GET / HTTP/1.1\r\nHost: localhost\r\n folded\r\n\r\n"), 400);
	ck_assert_int_eq(raw_status("GET  / HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400);
	ck_assert_int_eq(raw_status("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
			 400);
	ck_assert_int_eq(raw_status("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n"), 505);
	ck_assert_int_eq(raw_status("GET / HTTP/1.2\r\nHost: localhost\r\n\r\n"), 505);
	fetch(&(struct rq){ .path = "/", .hdrs = (const char *[]){ "Host:", NULL } }, &r); /* curl drops it */
	ASSERT_STATUS(&r, 400, "no Host (curl)");
	resp_free(&r);
	fetch(&(struct rq){ .path = "/", .hdrs = (const char *[]){ "Host: evil.example", NULL } }, &r);
	ASSERT_STATUS(&r, 421, "foreign Host");
	resp_free(&r);
	fetch(&(struct rq){ .path = "/", .hdrs = (const char *[]){ "Host: www.example.test:8080", NULL } }, &r);
	ASSERT_STATUS(&r, 200, "wildcard Host");
	resp_free(&r);
}
END_TEST

START_TEST(limits_413_414_431)
{
	struct resp r;
	static char url[12000], line[20000];
	static const char *many[160];
	static char fields[160][40];

	/* Request bodies a GET may not carry. */
	ck_assert_int_eq(raw_status("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"), 413);
	ck_assert_int_eq(raw_status("GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"), 413);
	/* A request line over 8 KiB; a decoded path over 1 KiB. */
	snprintf(url, sizeof url, "/%09000d", 7);
	fetch(&(struct rq){ .path = url }, &r);
	ASSERT_STATUS(&r, 414, "9 KB target");
	resp_free(&r);
	snprintf(url, sizeof url, "/%02000d", 7);
	fetch(&(struct rq){ .path = url }, &r);
	ASSERT_STATUS(&r, 414, "2 KB path");
	resp_free(&r);
	/* More than 100 fields; a head over 16 KiB. */
	for (int i = 0; i < 150; i++) {
		snprintf(fields[i], sizeof fields[i], "X-Field-%d: %d", i, i);
		many[i] = fields[i];
	}
	many[150] = NULL;
	fetch(&(struct rq){ .path = "/", .hdrs = many }, &r);
	ASSERT_STATUS(&r, 431, "150 fields");
	resp_free(&r);
	snprintf(line, sizeof line, "X-Big: %017000d", 1);
	fetch(&(struct rq){ .path = "/", .hdrs = (const char *[]){ line, NULL } }, &r);
	ASSERT_STATUS(&r, 431, "17 KB field");
	resp_free(&r);
	/* Just under the limits is fine. */
	many[90] = NULL;
	fetch(&(struct rq){ .path = "/", .hdrs = many }, &r);
	ASSERT_STATUS(&r, 200, "90 fields");
	resp_free(&r);
}
END_TEST

START_TEST(path_escapes_refused)
{
	static const char *paths[] = {
		"/../etc/passwd",
		"/%2e%2e/etc/passwd",
		"/%2E%2E/%2e%2E/etc/passwd",
		"/docs/../../site.conf",
		"/docs/%2e%2e/%2e%2e/site.conf",
		"/.%2e/site.conf",
		"/%2e%2e%2fsite.conf",
		"/..%2f..%2fetc%2fpasswd",
		"/docs/..%5c..%5csite.conf",
		"/..\\site.conf",
		"/%00/index.html",
		"/index.html%",
		"/%zz",
		"/docs/..",
		"/docs/%2e%2e",
	};
	struct resp r;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		fetch(&(struct rq){ .path = paths[i] }, &r);
		ASSERT_STATUS(&r, 400, paths[i]);
		ck_assert_ptr_null(strstr(r.body, "root:"));
		ck_assert_ptr_null(strstr(r.body, "header_timeout"));
		resp_free(&r);
	}
	/* Absolute-form targets go through the same checks. */
	ck_assert_int_eq(raw_status("GET http://localhost/%2e%2e/site.conf HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400);
	ck_assert_int_eq(raw_status("GET ../site.conf HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400);
}
END_TEST

START_TEST(binary_garbage_is_refused_and_the_server_goes_on)
{
	char junk[2004];
	size_t n;
	char *b;
	struct resp r;

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < 2000; i++)
			junk[i] = (char)rng();
		memcpy(junk + 2000, "\r\n\r\n", 4);
		b = raw(junk, sizeof junk, &n);
		ck_assert_msg(n >= 12 && strncmp(b, "HTTP/1.1 400 ", 13) == 0, "garbage answered with '%.60s'", b);
		free(b);
	}
	/* Only NULs, no line end: refused without waiting for the time-out. */
	memset(junk, 0, sizeof junk);
	long t0 = now_ms();
	b = raw(junk, sizeof junk, &n);
	ck_assert_msg(n >= 12 && strncmp(b, "HTTP/1.1 400 ", 13) == 0, "NULs answered with '%.60s'", b);
	ck_assert_msg(now_ms() - t0 < HEADER_TIMEOUT_MS / 2, "400 only after %ld ms", now_ms() - t0);
	free(b);
	GET(&r, "/");
	ASSERT_STATUS(&r, 200, "after garbage");
	resp_free(&r);
}
END_TEST

START_TEST(pipelined_requests_answered_in_order)
{
	const char *three = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
			    "GET /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
			    "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	static const int want[] = { 200, 200, 404 };
	size_t n;
	char *b = raw(three, strlen(three), &n), *p = b;

	/* Three whole responses, in order, and nothing else. */
	for (int i = 0; i < 3; i++) {
		char *end = strstr(p, "\r\n\r\n"), *cl = strcasestr(p, "\r\nContent-Length:");

		ck_assert_msg(end && cl && cl < end && strncmp(p, "HTTP/1.1 ", 9) == 0 && atoi(p + 9) == want[i],
			      "response %d: %.200s", i, p);
		p = end + 4 + strtoul(cl + 17, NULL, 10);
		ck_assert_msg(p <= b + n, "response %d cut short", i);
	}
	ck_assert_msg(p == b + n, "%zu bytes after the third response", (size_t)(b + n - p));
	free(b);
}
END_TEST

START_TEST(keepalive_1000_requests_on_one_connection)
{
	CURL *c = curl_easy_init();
	long connects = 0;
	size_t len;
	char *want = site_file("index.html", &len);

	for (int i = 0; i < KEEPALIVE; i++) {
		struct resp r;
		struct curl_slist *sl;
		char url[128];

		memset(&r, 0, sizeof r);
		setup_easy(c, &(struct rq){ .path = "/index.html" }, &r, &sl, url, sizeof url);
		r.rc = curl_easy_perform(c);
		finish_easy(c, &r);
		curl_slist_free_all(sl);
		ck_assert_msg(r.code == 200 && r.body_len == len && memcmp(r.body, want, len) == 0,
			      "request %d: status %ld, %zu bytes (%s)", i, r.code, r.body_len, curl_easy_strerror(r.rc));
		connects += r.connects;
		resp_free(&r);
	}
	ck_assert_msg(connects == 1, "%d requests took %ld connections", KEEPALIVE, connects);
	curl_easy_cleanup(c);
	free(want);
}
END_TEST

/* 200 connections all open at once, then a request on each. */
START_TEST(concurrent_200_connections)
{
	static int fds[CONCURRENT];
	static char *got[CONCURRENT];
	static size_t got_len[CONCURRENT], got_cap[CONCURRENT];
	int done[CONCURRENT] = { 0 }, left = CONCURRENT;
	size_t len;
	char *png = site_file("logo.png", &len), chunk[65536];
	const char *req = "GET /logo.png HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	long t0;
	struct resp r;

	for (int i = 0; i < CONCURRENT; i++)
		fds[i] = tcp_connect(port);
	/* A connect returns once the host's kernel has it in vmm's backlog; wait
	 * until the guest has them all, or early answers could end before the
	 * last ones arrive (seen on a busy host). */
	for (t0 = now_ms(); now_ms() - t0 < WAIT_MS; usleep(20000)) {
		char surl[64];
		const char *o;
		int open_now;

		snprintf(surl, sizeof surl, "http://127.0.0.1:%d/", stats_port);
		fetch(&(struct rq){ .path = surl }, &r);
		o = r.body ? strstr(r.body, "\nconnections_open ") : NULL;
		open_now = o ? atoi(o + 18) : 0;
		resp_free(&r);
		if (open_now > CONCURRENT) /* the stats connection counts itself */
			break;
	}
	for (int i = 0; i < CONCURRENT; i++)
		send_all(fds[i], req, strlen(req));
	t0 = now_ms();
	while (left && now_ms() - t0 < WAIT_MS) {
		struct pollfd p[CONCURRENT];

		for (int i = 0; i < CONCURRENT; i++)
			p[i] = (struct pollfd){ done[i] ? -1 : fds[i], POLLIN, 0 };
		if (poll(p, CONCURRENT, 1000) <= 0)
			continue;
		for (int i = 0; i < CONCURRENT; i++) {
			if (done[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i], chunk, sizeof chunk);
			if (n > 0) {
				grow(&got[i], &got_len[i], &got_cap[i], chunk, (size_t)n);
			} else {
				done[i] = 1;
				left--;
			}
		}
	}
	ck_assert_msg(!left, "%d of %d connections unfinished", left, CONCURRENT);
	for (int i = 0; i < CONCURRENT; i++) {
		char *end = got[i] ? strstr(got[i], "\r\n\r\n") : NULL;

		ck_assert_msg(end && strncmp(got[i], "HTTP/1.1 200 ", 13) == 0, "connection %d: %.100s", i,
			      got[i] ? got[i] : "(nothing)");
		ck_assert_msg(got_len[i] - (size_t)(end + 4 - got[i]) == len && memcmp(end + 4, png, len) == 0,
			      "connection %d: body differs", i);
		close(fds[i]);
		free(got[i]);
	}
	free(png);
	/* The guest held them all at once. */
	fetch(&(struct rq){ .path = "/" }, &r);
	resp_free(&r);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", stats_port);
	fetch(&(struct rq){ .path = url }, &r);
	ASSERT_STATUS(&r, 200, "counters");
	const char *m = strstr(r.body, "\nconnections_max ");
	ck_assert_msg(m && atoi(m + 17) >= CONCURRENT, "counters: %s", msg_tail(r.body));
	resp_free(&r);
}
END_TEST

/* A client that never finishes its head gets 408 after header_timeout, while
 * other clients keep being served. */
START_TEST(unfinished_head_408_while_others_are_served)
{
	int slow = tcp_connect(port), how;
	long t0 = now_ms(), served_by = 0;
	const char *part = "GET / HTTP/1.1\r\nHost: localhost\r\n";
	CURL *c = curl_easy_init();
	size_t n;
	char *b;

	send_all(slow, part, strlen(part));
	for (int i = 0; i < 20; i++) {
		struct resp r;

		fetch_on(c, &(struct rq){ .path = i % 2 ? "/about.html" : "/logo.png" }, &r);
		ASSERT_STATUS(&r, 200, "while a head is pending");
		resp_free(&r);
	}
	served_by = now_ms() - t0;
	curl_easy_cleanup(c);
	/* Nothing for the slow client yet, unless the emulation made the 20
	 * requests take longer than the time-out. */
	if (served_by < HEADER_TIMEOUT_MS - 2000) {
		struct pollfd p = { slow, POLLIN, 0 };
		ck_assert_int_eq(poll(&p, 1, 0), 0);
	}
	b = read_to_end(slow, &n, 60000, &how);
	ck_assert_msg(strncmp(b, "HTTP/1.1 408 ", 13) == 0, "unfinished head answered with '%.80s' (%s)", b,
		      strerror(how));
	ck_assert_msg(how == 0 || how == ECONNRESET, "not closed after 408: %s", strerror(how));
	ck_assert_msg(now_ms() - t0 >= HEADER_TIMEOUT_MS - 500, "408 after %ld ms", now_ms() - t0);
	free(b);
	close(slow);
}
END_TEST

/* A counter from the port-81 text ("name value" lines); -1 when absent. */
static long long counter_of(const char *body, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return atoll(l + n + 1);
	return -1;
}

static void fetch_counters(int on_port, struct resp *r)
{
	char url[64];

	snprintf(url, sizeof url, "http://127.0.0.1:%d/", on_port);
	fetch(&(struct rq){ .path = url }, r);
	ASSERT_STATUS(r, 200, "counters");
}

START_TEST(counters_on_port_81)
{
	struct resp r;

	fetch_counters(stats_port, &r);
	ck_assert_int_gt(counter_of(r.body, "requests"), 0);
	ck_assert_int_ge(counter_of(r.body, "ring0_entries"), 0);
	/* vmm's devices signal edges: wake-ups cost no InterruptACK exit */
	ck_assert_msg(counter_of(r.body, "exits_interrupt_ack") == 0 && counter_of(r.body, "interrupt_acks_skipped") > 0,
		      "counters: %s", msg_tail(r.body));
	/* the access log leaves through vmm's bulk console port: an exit per
	 * flush, not per byte (COM1 would cost ~80 per request) */
	ck_assert_msg(counter_of(r.body, "exits_console") < counter_of(r.body, "requests"), "counters: %s", msg_tail(r.body));
	resp_free(&r);
}
END_TEST

/* The site kernel's ELF note tells vmm it needs no PIT: KVM's PIT thread
 * ("kvm-pit/<vmm's pid>", a kernel thread and its stack per VM) is not
 * there. check_guests.c shows it there for a kernel without the note. */
START_TEST(no_pit_thread_for_the_site_kernel)
{
	char pit[32];

	snprintf(pit, sizeof pit, "kvm-pit/%d", (int)shared_vm.pid);
	ck_assert_msg(kill(shared_vm.pid, 0) == 0, "the shared VM is gone");
	ck_assert_msg(!process_named(pit), "%s runs", pit);
}
END_TEST

/* The paths other VMMs need: InterruptACK after each wake-up, console
 * through COM1. */
START_TEST(acks_and_uart_console_when_asked)
{
	struct vm v;
	struct resp r;
	char url[64];
	const char *why;
	char *log;

	ck_assert_msg(vm_start_cmdline(&v, "irqack", site_tar, port + 4, port + 5, "site.irq_ack=1 site.console_uart=1") ==
			      0,
		      "irqack VM did not start: %s", msg_tail(slurp(v.out, NULL)));
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port + 4);
	for (int i = 0; i < 5; i++) {
		fetch(&(struct rq){ .path = url }, &r);
		ASSERT_STATUS(&r, 200, "with acks");
		resp_free(&r);
	}
	fetch_counters(port + 5, &r);
	ck_assert_msg(counter_of(r.body, "exits_interrupt_ack") > 0 && counter_of(r.body, "interrupt_acks_skipped") == 0,
		      "counters: %s", msg_tail(r.body));
	ck_assert_msg(counter_of(r.body, "exits_console") > 5 * 40, "counters: %s", msg_tail(r.body)); /* a byte each */
	resp_free(&r);
	why = vm_poweroff(&v);
	ck_assert_msg(!why, "irqack VM: %s", why);
	log = slurp(v.out, NULL);
	ck_assert_msg(count_of(log, "\"GET / HTTP/1.1\" 200 ") == 5, "access log through COM1: %s", log);
	free(log);
}
END_TEST

/* Idle polling (guest/kernel/idle_poll.c): none at all with
 * site.poll_us=0; with a window of up to a second, a keep-alive client's
 * next request is caught by polling (it comes well within a second on any
 * host, so this holds whatever the host's speed); a value that is not a
 * number stops the kernel before it listens. */
START_TEST(idle_polling_follows_site_poll_us)
{
	static const char *const cmdlines[] = { "site.poll_us=0", "site.poll_us=1000000" };

	for (unsigned k = 0; k < 2; k++) {
		struct vm v;
		struct resp r;
		char url[64];
		const char *why;
		CURL *c = curl_easy_init();

		ck_assert_msg(vm_start_cmdline(&v, k ? "poll1" : "poll0", site_tar, port + 11, port + 12, cmdlines[k]) == 0,
			      "%s: the VM did not start: %s", cmdlines[k], msg_tail(slurp(v.out, NULL)));
		snprintf(url, sizeof url, "http://127.0.0.1:%d/", port + 11);
		for (int i = 0; i < 200; i++) {
			struct curl_slist *sl;
			char u[128];

			memset(&r, 0, sizeof r);
			setup_easy(c, &(struct rq){ .path = url }, &r, &sl, u, sizeof u);
			r.rc = curl_easy_perform(c);
			finish_easy(c, &r);
			curl_slist_free_all(sl);
			ck_assert_msg(r.code == 200, "%s: request %d: status %ld (%s)", cmdlines[k], i, r.code,
				      curl_easy_strerror(r.rc));
			resp_free(&r);
		}
		curl_easy_cleanup(c);
		fetch_counters(port + 12, &r);
		if (k == 0)
			ck_assert_msg(counter_of(r.body, "idle_polls_that_found_work") == 0 &&
					      counter_of(r.body, "idle_polls_that_found_nothing") == 0 &&
					      counter_of(r.body, "idle_poll_us") == 0,
				      "%s: counters: %s", cmdlines[k], msg_tail(r.body));
		else
			ck_assert_msg(counter_of(r.body, "idle_polls_that_found_work") > 0, "%s: counters: %s",
				      cmdlines[k], msg_tail(r.body));
		resp_free(&r);
		why = vm_poweroff(&v);
		ck_assert_msg(!why, "%s: %s", cmdlines[k], why);
	}
	{
		struct vm v;
		char *out;

		ck_assert_msg(vm_start_cmdline(&v, "pollbad", site_tar, port + 11, port + 12, "site.poll_us=soon") < 0,
			      "site.poll_us=soon: the kernel listened");
		waitpid(v.pid, NULL, 0);
		out = slurp(v.out, NULL);
		ck_assert_msg(strstr(out, "site.poll_us=soon: expected microseconds"), "console: %s", msg_tail(out));
		free(out);
	}
}
END_TEST

/* ------------------------------------------------------------------ own VMs */

struct big_check {
	const unsigned char *want;
	size_t off;
	int differs;
	uint64_t fnv_got, fnv_want;
};

static size_t big_body(char *d, size_t sz, size_t n, void *u)
{
	struct big_check *b = u;
	size_t len = sz * n;

	for (size_t i = 0; i < len; i++)
		b->fnv_got = (b->fnv_got ^ (unsigned char)d[i]) * 0x100000001b3ull;
	if (b->off + len > BIG_SIZE || memcmp(d, b->want + b->off, len) != 0)
		b->differs = 1;
	b->off += len;
	return len;
}

/* A disk over site.ram_max: bodies stream from disk at request time. */
START_TEST(file_of_50_mb_streamed_from_disk)
{
	struct vm v;
	int fd = open(big_bin, O_RDONLY);
	const unsigned char *want = mmap(NULL, BIG_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	struct big_check b = { .want = want, .fnv_got = 0xcbf29ce484222325ull, .fnv_want = 0xcbf29ce484222325ull };
	CURL *c;
	char url[96];
	long code = 0, t0;
	CURLcode rc;
	struct resp r;
	const char *why;

	ck_assert_ptr_ne(want, MAP_FAILED);
	for (size_t i = 0; i < BIG_SIZE; i++)
		b.fnv_want = (b.fnv_want ^ want[i]) * 0x100000001b3ull;
	ck_assert_msg(vm_start(&v, "big", big_tar, port + 2, 0) == 0, "big VM did not start: %s",
		      msg_tail(slurp(v.out, NULL)));
	c = curl_easy_init();
	snprintf(url, sizeof url, "http://127.0.0.1:%d/big.bin", port + 2);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, big_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	t0 = now_ms();
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	fprintf(stderr, "site: 50 MB in %ld ms\n", now_ms() - t0);
	ck_assert_msg(rc == CURLE_OK && code == 200, "big.bin: %s, status %ld", curl_easy_strerror(rc), code);
	ck_assert_uint_eq(b.off, BIG_SIZE);
	ck_assert_msg(!b.differs && b.fnv_got == b.fnv_want, "big.bin differs (fnv %016llx, want %016llx)",
		      (unsigned long long)b.fnv_got, (unsigned long long)b.fnv_want);
	/* A range at the far end, and a small file from the same streamed archive. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/big.bin", port + 2);
	fetch(&(struct rq){ .path = url, .range = "49999990-" }, &r);
	ASSERT_STATUS(&r, 206, "big range");
	ck_assert_uint_eq(r.body_len, 10);
	ck_assert(memcmp(r.body, want + BIG_SIZE - 10, 10) == 0);
	resp_free(&r);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/about.html", port + 2);
	fetch(&(struct rq){ .path = url }, &r);
	ASSERT_STATUS(&r, 200, "small file from the streamed archive");
	assert_body_is(&r, "about.html");
	resp_free(&r);
	munmap((void *)want, BIG_SIZE);
	close(fd);
	why = vm_poweroff(&v);
	ck_assert_msg(!why, "big VM: %s", why);
}
END_TEST

/* Configured headers too long for the response head: every response becomes
 * a bare 500 that closes the connection, and the server goes on. */
START_TEST(head_too_big_for_its_buffer_is_500)
{
	struct vm v;
	char url[96], p[160];
	struct resp r;
	const char *why;
	char *log;

	snprintf(p, sizeof p, "%s/bighead.tar", tmp);
	ck_assert_msg(vm_start(&v, "bighead", p, port + 3, 0) == 0, "bighead VM did not start: %s",
		      msg_tail(slurp(v.out, NULL)));
	for (int i = 0; i < 2; i++) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d/", port + 3);
		fetch(&(struct rq){ .path = url }, &r);
		ASSERT_STATUS(&r, 500, "a head over 4 KiB");
		ck_assert_uint_eq(r.body_len, 0);
		ck_assert_ptr_null(strstr(r.hdr, "X-Big"));
		ck_assert_ptr_nonnull(strcasestr(r.hdr, "Connection: close"));
		resp_free(&r);
	}
	why = vm_poweroff(&v);
	ck_assert_msg(!why, "bighead VM: %s", why);
	log = slurp(v.out, NULL);
	ck_assert_msg(strstr(log, "\"GET / HTTP/1.1\" 500 "), "no access-log line for the 500: %s", log);
	free(log);
}
END_TEST

/* Boots the site kernel on disk NAME from the fixtures' directory (NULL: no
 * disk) and expects it to stop with code, saying msg. */
static void expect_exit(const char *name, int with_publish, int code, const char *msg)
{
	struct proc_result r;
	char path[160], *disk = NULL;

	if (name) {
		snprintf(path, sizeof path, "%s/%s", tmp, name);
		disk = path;
	}
	vm_run_to_exit(&r, disk, with_publish);
	ck_assert_msg(r.status == code, "disk %s: exit %d, want %d; console: %s\nstderr: %s", disk ? disk : "(none)",
		      r.status, code, msg_tail(r.out), msg_tail(r.err));
	ck_assert_msg(strstr(r.out, msg), "disk %s: console lacks '%s': %s", disk ? disk : "(none)", msg, msg_tail(r.out));
	proc_result_free(&r);
}

START_TEST(missing_disk_exits_12)
{
	expect_exit(NULL, 1, 12, "the site disk is missing");
}
END_TEST

START_TEST(corrupt_disk_exits_14)
{
	expect_exit("garbage.img", 1, 14, "the site archive is unusable");
	expect_exit("truncated.tar", 1, 14, "the site archive is unusable");
	expect_exit("badsum.tar", 1, 14, "checksum");
	expect_exit("zeros.img", 1, 14, "no files");
}
END_TEST

START_TEST(bad_site_conf_exits_15)
{
	expect_exit("badconf.tar", 1, 15, "site.conf line 2");
	expect_exit("noerrpage.tar", 1, 15, "not a file in the archive");
}
END_TEST

/* ------------------------------------------------------------------ inherited listeners, idle stop */

/* What vmmd does for scale to zero: it holds a listening socket, passes it
 * to each vmm it starts as --publish fd:3:80, and vmm --idle-stop powers the
 * guest off when nobody uses it; clients that come later wait in the
 * socket's backlog for the next vmm. */

#define IDLE_LINE "idle for 1 s with no connection: powering off"

static char idle_sock[100]; /* fits sun_path */

/* A listening unix socket at idle_sock (the test keeps it across vmms). */
static int parent_listener(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(idle_sock, sizeof idle_sock, "%s/idle-%d.sock", tmp, getpid());
	unlink(idle_sock);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", idle_sock);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	return fd;
}

static int unix_client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", idle_sock);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect %s: %s", idle_sock, strerror(errno));
	return fd;
}

/* Starts vmm with listen_fd as its fd 3, published as fd:3:80; idle_s > 0
 * adds --idle-stop. Does not wait for the guest. */
static void vm_start_fd(struct vm *v, const char *tag, int listen_fd, int idle_s)
{
	char d[200], idle[16];
	const char *argv[20];
	int argc = 0;

	snprintf(v->out, sizeof v->out, "%s/%s.out", tmp, tag);
	snprintf(v->err, sizeof v->err, "%s/%s.err", tmp, tag);
	snprintf(d, sizeof d, "%s,ro", site_tar);
	snprintf(idle, sizeof idle, "%d", idle_s);
	argv[argc++] = vmm_bin();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = site_kernel();
	argv[argc++] = "--disk";
	argv[argc++] = d;
	argv[argc++] = "--publish";
	argv[argc++] = "fd:3:80";
	if (idle_s) {
		argv[argc++] = "--idle-stop";
		argv[argc++] = idle;
	}
	argv[argc++] = "--console=output";
	argv[argc] = NULL;
	v->pid = proc_spawn_fd(argv, v->out, v->err, listen_fd, 3);
	ck_assert_int_gt(v->pid, 0);
}

/* Waits up to timeout_ms for v to exit; returns its exit status, or -1 if
 * it is still running (then it is left running). */
static int vm_wait_exit(const struct vm *v, long timeout_ms)
{
	int st;

	for (long t0 = now_ms(); now_ms() - t0 < timeout_ms; usleep(20000))
		if (waitpid(v->pid, &st, WNOHANG) == v->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return -1;
}

/* v stopped by itself, idle, powered off by the guest (not forced), cleanly. */
static void assert_idle_stop(const struct vm *v, int status)
{
	char *err = slurp(v->err, NULL), *out = slurp(v->out, NULL);

	ck_assert_msg(status == 0, "exit %d, want 0; stderr: %s\nconsole: %s", status, msg_tail(err), msg_tail(out));
	ck_assert_msg(strstr(err, IDLE_LINE), "stderr lacks '%s': %s", IDLE_LINE, msg_tail(err));
	ck_assert_msg(!strstr(err, "did not power off"), "the guest had to be stopped: %s", msg_tail(err));
	ck_assert_msg(no_sanitizer_report(err), "stderr: %s", msg_tail(err));
	ck_assert_msg(strstr(out, "site: shutdown requested by the host"), "no cooperative shutdown: %s",
		      msg_tail(out));
	free(err);
	free(out);
}

#define GET_CLOSE "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

/* The answer on fd (sent GET_CLOSE) is a 200 and the connection ends. */
static void assert_200_to_end(int fd, const char *what)
{
	size_t n;
	int how;
	char *b = read_to_end(fd, &n, WAIT_MS, &how);

	ck_assert_msg(how == 0, "%s: connection ended with %s after '%.200s'", what, strerror(how), b);
	ck_assert_msg(strncmp(b, "HTTP/1.1 200 ", 13) == 0, "%s: answer '%.200s'", what, b);
	free(b);
}

START_TEST(publish_fd_serves_an_inherited_listener)
{
	struct vm v;
	const char *why;
	int lfd = parent_listener(), c;

	vm_start_fd(&v, "fd", lfd, 0);
	ck_assert_msg(wait_output(&v, "site: listening on vsock port 80") == 0, "fd VM did not start: %s",
		      msg_tail(slurp(v.err, NULL)));
	c = unix_client();
	send_all(c, GET_CLOSE, strlen(GET_CLOSE));
	assert_200_to_end(c, "fd:3:80");
	close(c);
	why = vm_poweroff(&v);
	ck_assert_msg(!why, "fd VM: %s", why);
	/* Ours is not removed: it is the parent's socket. */
	ck_assert_int_eq(access(idle_sock, F_OK), 0);
	close(lfd);
	unlink(idle_sock);
}
END_TEST

START_TEST(publish_fd_refuses_what_is_not_listening)
{
	int unbound = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), sp[2], st;
	int bad[3] = { unbound, -1, -1 };
	struct vm v;
	char *err;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	bad[1] = sp[0];
	bad[2] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < 3; i++) {
		vm_start_fd(&v, "badfd", bad[i], 1);
		st = vm_wait_exit(&v, WAIT_MS);
		err = slurp(v.err, NULL);
		ck_assert_msg(st == 2, "fd %d: exit %d, want 2; stderr: %s", i, st, msg_tail(err));
		ck_assert_msg(strstr(err, "vmm: --publish fd:3:80: fd 3 is not a listening stream socket\n"),
			      "fd %d: stderr: %s", i, msg_tail(err));
		ck_assert_msg(no_sanitizer_report(err), "stderr: %s", msg_tail(err));
		free(err);
	}
	close(unbound);
	close(sp[0]);
	close(sp[1]);
	close(bad[2]);
}
END_TEST

/* ------------------------------------------------------------------ standby */

/* `vmm standby` started with ctl as its fd 3 (its own output in
 * TMP/TAG-standby.out and .err); does not wait for it. */
static pid_t standby_start(const char *tag, int ctl)
{
	char out[160], err[160];
	const char *argv[] = { vmm_bin(), "standby", "--mem=64M", NULL };
	pid_t pid;

	snprintf(out, sizeof out, "%s/%s-standby.out", tmp, tag);
	snprintf(err, sizeof err, "%s/%s-standby.err", tmp, tag);
	pid = proc_spawn_fd(argv, out, err, ctl, 3);
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* data (len bytes) with fds[0..n) on ctl */
static void standby_send(int ctl, const void *data, size_t len, const int *fds, int n)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} c;
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.space,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };

	memset(c.space, 0, sizeof c.space);
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(&c.h), fds, sizeof(int) * (size_t)n);
	ck_assert_int_eq(sendmsg(ctl, &m, 0), (ssize_t)len);
}

/* vmmd's scale-to-zero start through a standby: the run it is handed (its
 * arguments, stdin/stdout/stderr and the listener as fd 3) boots the site
 * on the standby's VM and serves, and ends as a `vmm run` does. */
START_TEST(standby_runs_the_vm_it_is_handed)
{
	static const char magic[] = "vmm-standby-1";
	char msg[1024], d[200], cmdline[4096], path[64];
	const char *args[] = { "run", "--kernel", site_kernel(), "--disk", d, "--publish", "fd:3:80",
			       "--console=output", "--name", "standby", NULL };
	int sv[2], lfd = parent_listener(), fds[4], c, fd;
	size_t len = sizeof magic;
	struct vm v;
	const char *why;

	snprintf(d, sizeof d, "%s,ro", site_tar);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	v.pid = standby_start("run", sv[1]);
	close(sv[1]);
	usleep(200000);
	snprintf(v.out, sizeof v.out, "%s/standby.out", tmp);
	snprintf(v.err, sizeof v.err, "%s/standby.err", tmp);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open(v.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fds[2] = open(v.err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fds[3] = lfd;
	memcpy(msg, magic, len);
	for (int i = 0; args[i]; i++) {
		memcpy(msg + len, args[i], strlen(args[i]) + 1);
		len += strlen(args[i]) + 1;
	}
	standby_send(sv[0], msg, len, fds, 4);
	close(sv[0]);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	ck_assert_msg(wait_output(&v, "site: listening on vsock port 80") == 0, "the standby's VM did not start: %s",
		      msg_tail(slurp(v.err, NULL)));
	c = unix_client();
	send_all(c, GET_CLOSE, strlen(GET_CLOSE));
	assert_200_to_end(c, "standby");
	close(c);
	/* ps shows the run, where the kernel lets a process set its arguments
	 * (PR_SET_MM_MAP: CONFIG_CHECKPOINT_RESTORE, which ns_last_pid shows) */
	if (access("/proc/sys/kernel/ns_last_pid", F_OK) == 0) {
		snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)v.pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		len = (size_t)read(fd, cmdline, sizeof cmdline - 1);
		close(fd);
		ck_assert_uint_gt(len, strlen(vmm_bin()) + 5);
		ck_assert_str_eq(cmdline, vmm_bin());
		ck_assert_str_eq(cmdline + strlen(vmm_bin()) + 1, "run");
		ck_assert_mem_eq(cmdline + len - 8, "standby", 8);
	}
	/* jailed as a `vmm run` is, with the namespaces the standby built
	 * before it knew its run: its own ids, filter, mount namespace */
	if (geteuid() == 0) {
		char status[4096], ns[2][64] = { { 0 } };
		FILE *f;

		snprintf(path, sizeof path, "/proc/%ld/status", (long)v.pid);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		len = fread(status, 1, sizeof status - 1, f);
		fclose(f);
		status[len] = 0;
		ck_assert_msg(strstr(status, "\nSeccomp:\t2\n") && !strstr(status, "\nUid:\t0\t"), "%s", status);
		snprintf(path, sizeof path, "/proc/%ld/ns/mnt", (long)v.pid);
		ck_assert_int_gt(readlink(path, ns[0], sizeof ns[0] - 1), 0);
		ck_assert_int_gt(readlink("/proc/self/ns/mnt", ns[1], sizeof ns[1] - 1), 0);
		ck_assert_msg(strcmp(ns[0], ns[1]) != 0, "the VM is in our mount namespace");
	}
	why = vm_poweroff(&v);
	ck_assert_msg(!why, "standby VM: %s", why);
	close(lfd);
	unlink(idle_sock);
}
END_TEST

/* A standby whose manager goes away ends quietly; one handed something
 * that is not a run says so and ends with 2, running nothing. */
START_TEST(standby_refuses_what_is_not_a_run)
{
	static const char bad[][40] = { "vmm-standby-1\0image\0create", "vmm-standby-0\0run", "vmm-standby-1\0run" };
	static const size_t bad_len[] = { 27, 18, 17 /* no NUL at its end */ };
	static const char *const why[] = { "the arguments are not a 'run'", "not a standby message", "does not end in a NUL" };
	char err[200], *text;
	int sv[2], null = open("/dev/null", O_RDWR | O_CLOEXEC), fds[3] = { null, null, null }, st;
	struct vm v;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	v.pid = standby_start("gone", sv[1]);
	close(sv[1]);
	close(sv[0]);
	st = vm_wait_exit(&v, WAIT_MS);
	snprintf(err, sizeof err, "%s/gone-standby.err", tmp);
	text = slurp(err, NULL);
	ck_assert_msg(st == 0, "exit %d after its socket closed, want 0; stderr: %s", st, msg_tail(text));
	ck_assert_msg(no_sanitizer_report(text), "stderr: %s", msg_tail(text));
	free(text);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		v.pid = standby_start("bad", sv[1]);
		close(sv[1]);
		standby_send(sv[0], bad[i], bad_len[i], fds, 3);
		st = vm_wait_exit(&v, WAIT_MS);
		close(sv[0]);
		snprintf(err, sizeof err, "%s/bad-standby.err", tmp);
		text = slurp(err, NULL);
		ck_assert_msg(st == 2, "message %d: exit %d, want 2; stderr: %s", i, st, msg_tail(text));
		ck_assert_msg(strstr(text, "vmm: standby: ") && strstr(text, why[i]), "message %d: stderr: %s", i,
			      msg_tail(text));
		ck_assert_msg(no_sanitizer_report(text), "stderr: %s", msg_tail(text));
		free(text);
	}
	close(null);
}
END_TEST

/* With nobody connecting, vmm stops by itself; a client that comes after
 * waits in the backlog of the parent's socket and the next vmm answers it. */
START_TEST(idle_stop_leaves_later_clients_to_the_next_vmm)
{
	struct vm v1, v2;
	struct pollfd p;
	long t0 = now_ms();
	int lfd = parent_listener(), c, st;

	vm_start_fd(&v1, "idle1", lfd, 1);
	st = vm_wait_exit(&v1, WAIT_MS);
	ck_assert_msg(now_ms() - t0 >= 1000, "stopped after %ld ms, before its 1 s of idleness", now_ms() - t0);
	assert_idle_stop(&v1, st);

	/* Nobody accepts it now; it must neither be refused nor reset. */
	c = unix_client();
	send_all(c, GET_CLOSE, strlen(GET_CLOSE));
	p = (struct pollfd){ c, POLLIN, 0 };
	ck_assert_int_eq(poll(&p, 1, 300), 0);

	vm_start_fd(&v2, "idle2", lfd, 1);
	assert_200_to_end(c, "a client from the backlog");
	close(c);
	st = vm_wait_exit(&v2, WAIT_MS);
	assert_idle_stop(&v2, st);
	close(lfd);
	unlink(idle_sock);
}
END_TEST

/* An open keep-alive connection is use, however quiet: vmm keeps running
 * for three times its idle time, then stops once the client has gone. */
START_TEST(idle_stop_waits_for_an_open_keepalive_connection)
{
	static const char head[] = "HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct vm v;
	char b[4096];
	size_t got = 0;
	long deadline;
	int lfd = parent_listener(), c, st;

	/* Connected before vmm starts, so that no boot, however slow, is idle. */
	c = unix_client();
	vm_start_fd(&v, "keepalive", lfd, 1);
	send_all(c, head, strlen(head));
	deadline = now_ms() + WAIT_MS;
	while (!memmem(b, got, "\r\n\r\n", 4)) {
		ssize_t n = read_by(c, b + got, sizeof b - got, deadline);

		ck_assert_msg(n > 0, "HEAD answer: %s after '%.*s'", n ? strerror(errno) : "EOF", (int)got, b);
		got += (size_t)n;
	}
	ck_assert_msg(strncmp(b, "HTTP/1.1 200 ", 13) == 0, "HEAD: '%.*s'", (int)got, b);
	st = vm_wait_exit(&v, 3000);
	ck_assert_msg(st == -1, "vmm stopped (status %d) with a connection open; stderr: %s", st,
		      msg_tail(slurp(v.err, NULL)));
	send_all(c, GET_CLOSE, strlen(GET_CLOSE));
	assert_200_to_end(c, "the kept-alive connection");
	close(c);
	st = vm_wait_exit(&v, WAIT_MS);
	assert_idle_stop(&v, st);
	close(lfd);
	unlink(idle_sock);
}
END_TEST

/* ------------------------------------------------------------------ data disk, stack */

#define DATA_SECTORS 2048 /* a 1 MiB data disk */
#define TEST_SECTORS 8    /* guest/kernel/selftest.c: 8 sectors at each end */

/* A fresh sparse 1 MiB data disk in the fixtures' directory. */
static void make_data_disk(char *path, size_t len, const char *name)
{
	int fd;

	snprintf(path, len, "%s/%s", tmp, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0 && ftruncate(fd, DATA_SECTORS * 512) == 0, "%s: %s", path, strerror(errno));
	close(fd);
}

/* Boots the site kernel with the example site and the data disk DATA
 * (",ro" appended when ro) and site.check=1 plus cmdline (no vsock: it
 * validates the site and powers off). */
static void run_with_data_disk(struct proc_result *r, const char *data, int ro, const char *cmdline)
{
	char d1[200], d2[200], cl[200];
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 120000 };
	const char *argv[16];
	int argc = 0;

	snprintf(d1, sizeof d1, "%s,ro", site_tar);
	snprintf(d2, sizeof d2, "%s%s", data, ro ? ",ro" : "");
	snprintf(cl, sizeof cl, "site.check=1 %s", cmdline);
	argv[argc++] = vmm_bin();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = site_kernel();
	argv[argc++] = "--disk";
	argv[argc++] = d1;
	if (data) {
		argv[argc++] = "--disk";
		argv[argc++] = d2;
	}
	argv[argc++] = "--cmdline";
	argv[argc++] = cl;
	argv[argc++] = "--console=output";
	argv[argc] = NULL;
	ck_assert_int_eq(proc_run((char **)argv, &o, r), 0);
	ck_assert_msg(!r->timed_out, "vmm timed out; console: %s\nstderr: %s", msg_tail(r->out), msg_tail(r->err));
	ck_assert_msg(no_sanitizer_report(r->err), "stderr: %s", msg_tail(r->err));
}

/* Sector s of the data disk after site.blktest=1: the guest's pattern
 * (guest/kernel/selftest.c) at both ends, zeros elsewhere. */
static int sector_ok(const unsigned char *p, unsigned s, int written)
{
	for (unsigned i = 0; i < 512; i++)
		if (p[i] != (written ? (unsigned char)(s * 31 + i * 7 + 1) : 0))
			return 0;
	return 1;
}

START_TEST(data_disk_write_flush_read)
{
	struct proc_result r;
	char data[160], want[96];
	unsigned char *img;
	size_t len;
	unsigned bad = DATA_SECTORS;

	make_data_disk(data, sizeof data, "data.img");
	run_with_data_disk(&r, data, 0, "site.blktest=1");
	snprintf(want, sizeof want, "site: data disk: %u sectors, write/flush/read ok", DATA_SECTORS);
	ck_assert_msg(r.status == 0 && strstr(r.out, want), "exit %d, want 0 and '%s'; console: %s\nstderr: %s", r.status,
		      want, msg_tail(r.out), msg_tail(r.err));
	proc_result_free(&r);
	/* Really written: the file on the host holds the pattern, nothing else. */
	img = (unsigned char *)slurp(data, &len);
	ck_assert_uint_eq(len, DATA_SECTORS * 512);
	for (unsigned s = 0; s < DATA_SECTORS && bad == DATA_SECTORS; s++)
		if (!sector_ok(img + s * 512, s, s < TEST_SECTORS || s >= DATA_SECTORS - TEST_SECTORS))
			bad = s;
	free(img);
	ck_assert_msg(bad == DATA_SECTORS, "data.img sector %u is not what the guest wrote", bad);
}
END_TEST

START_TEST(data_disk_read_only_refuses_writes)
{
	struct proc_result r;
	char data[160], want[120];
	unsigned char *img;
	size_t len, nonzero = 0;

	make_data_disk(data, sizeof data, "data-ro.img");
	run_with_data_disk(&r, data, 1, "site.blktest=1");
	snprintf(want, sizeof want, "site: data disk: %u sectors, read-only: write refused by the driver (not sent), read ok",
		 DATA_SECTORS);
	ck_assert_msg(r.status == 0 && strstr(r.out, want), "exit %d, want 0 and '%s'; console: %s\nstderr: %s", r.status,
		      want, msg_tail(r.out), msg_tail(r.err));
	proc_result_free(&r);
	img = (unsigned char *)slurp(data, &len);
	for (size_t i = 0; i < len; i++)
		nonzero += img[i] != 0;
	free(img);
	ck_assert_msg(len == DATA_SECTORS * 512 && nonzero == 0, "the read-only disk changed (%zu bytes, %zu non-zero)", len,
		      nonzero);
}
END_TEST

/* Without a data disk the self-test says so; the site is served as ever
 * with one (two virtio-blk devices in the event loop). */
START_TEST(data_disk_absent_or_beside_the_site)
{
	struct proc_result r;
	struct vm v;
	char data[160], d1[200], p1[48];
	const char *why, *argv[16];
	char *log;
	int argc = 0, ok;
	struct resp q;

	run_with_data_disk(&r, NULL, 0, "site.blktest=1");
	ck_assert_msg(r.status == 0 && strstr(r.out, "site: site.blktest: no data disk"), "exit %d; console: %s", r.status,
		      msg_tail(r.out));
	proc_result_free(&r);

	make_data_disk(data, sizeof data, "data-serve.img");
	snprintf(v.out, sizeof v.out, "%s/data-serve.out", tmp);
	snprintf(v.err, sizeof v.err, "%s/data-serve.err", tmp);
	snprintf(d1, sizeof d1, "%s,ro", site_tar);
	snprintf(p1, sizeof p1, "127.0.0.1:%d:80", port + 6);
	argv[argc++] = vmm_bin();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = site_kernel();
	argv[argc++] = "--disk";
	argv[argc++] = d1;
	argv[argc++] = "--disk";
	argv[argc++] = data;
	argv[argc++] = "--publish";
	argv[argc++] = p1;
	argv[argc++] = "--cmdline";
	argv[argc++] = "site.blktest=1";
	argv[argc++] = "--console=output";
	argv[argc] = NULL;
	v.pid = proc_spawn(argv, v.out, v.err);
	ck_assert_msg(v.pid > 0 && wait_output(&v, "site: listening on vsock port 80") == 0, "VM did not start: %s",
		      msg_tail(slurp(v.out, NULL)));
	snprintf(d1, sizeof d1, "http://127.0.0.1:%d/about.html", port + 6);
	fetch(&(struct rq){ .path = d1 }, &q);
	ASSERT_STATUS(&q, 200, "about.html with a data disk");
	assert_body_is(&q, "about.html");
	resp_free(&q);
	why = vm_poweroff(&v);
	ck_assert_msg(!why, "VM with a data disk: %s", why);
	log = slurp(v.out, NULL);
	ok = strstr(log, "write/flush/read ok") != NULL;
	if (!ok)
		fprintf(stderr, "console: %s\n", msg_tail(log));
	free(log);
	ck_assert_msg(ok, "no self-test line on the console");
}
END_TEST

/* The ring-3 stack holds ~1 MiB, and running off its end faults in the
 * guard with a clear diagnosis (exit 3) instead of corrupting memory. */
START_TEST(stack_of_1_mib_and_its_guard)
{
	struct proc_result r;
	const char *p;
	unsigned kib = 0;

	run_with_data_disk(&r, NULL, 0, "site.stacktest=1");
	p = strstr(r.out, "site: stack test: ");
	if (p)
		sscanf(p, "site: stack test: %u KiB", &kib);
	ck_assert_msg(r.status == 3 && kib >= 1000 && strstr(r.out, "stack overflow: the ring-3 stack (1024 KiB"),
		      "exit %d (want 3), %u KiB used (want >= 1000); console: %s", r.status, kib, msg_tail(r.out));
	proc_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ fixtures */

/* Site archives: the example site, the same with a 50 MB file, and broken ones. */
static void make_disks(void)
{
	static unsigned char buf[1 << 16];
	char p[200];
	size_t len;
	char *t;
	FILE *f;

	snprintf(tmp, sizeof tmp, "/tmp/vmm-site-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(site_tar, sizeof site_tar, "%s/site.tar", tmp);
	snprintf(big_tar, sizeof big_tar, "%s/big.tar", tmp);
	snprintf(big_bin, sizeof big_bin, "%s/big/big.bin", tmp);
	sh("tar --format=ustar -C %s -cf %s .", SITE_DIR, site_tar);

	snprintf(p, sizeof p, "%s/big", tmp);
	mkdir(p, 0700);
	f = fopen(big_bin, "wb");
	for (size_t done = 0; f && done < BIG_SIZE; done += sizeof buf) {
		size_t n = BIG_SIZE - done < sizeof buf ? BIG_SIZE - done : sizeof buf;
		for (size_t i = 0; i < n; i += 8) {
			uint64_t x = rng();
			memcpy(buf + i, &x, 8);
		}
		fwrite(buf, 1, n, f);
	}
	if (!f || fclose(f) != 0) {
		perror(big_bin);
		exit(2);
	}
	sh("tar --format=ustar -C %s -cf %s . -C %s/big big.bin", SITE_DIR, big_tar, tmp);

	/* Random bytes; the example archive cut short; one header byte changed; zeros. */
	for (size_t i = 0; i < 30000 && i < sizeof buf; i++)
		buf[i] = (unsigned char)rng();
	snprintf(p, sizeof p, "%s/garbage.img", tmp);
	write_file(p, buf, 30000);
	t = slurp(site_tar, &len);
	snprintf(p, sizeof p, "%s/truncated.tar", tmp);
	write_file(p, t, 3000 < len ? 3000 : len);
	t[512 + 100] ^= 1; /* the second member's mode field: its checksum no longer matches */
	snprintf(p, sizeof p, "%s/badsum.tar", tmp);
	write_file(p, t, len);
	free(t);
	memset(buf, 0, sizeof buf);
	snprintf(p, sizeof p, "%s/zeros.img", tmp);
	write_file(p, buf, 10240);

	/* The example site with a broken site.conf, and with a missing error page. */
	sh("mkdir -p %s/badconf %s/noerrpage && cp -r %s/. %s/badconf/ && cp -r %s/. %s/noerrpage/", tmp, tmp, SITE_DIR,
	   tmp, SITE_DIR, tmp);
	snprintf(p, sizeof p, "%s/badconf/site.conf", tmp);
	write_file(p, "host localhost\nbogus_directive 1\n", 34);
	snprintf(p, sizeof p, "%s/noerrpage/site.conf", tmp);
	write_file(p, "error 404 /missing.html\n", 24);
	sh("tar --format=ustar -C %s/badconf -cf %s/badconf.tar . && tar --format=ustar -C %s/noerrpage -cf %s/noerrpage.tar .",
	   tmp, tmp, tmp, tmp);

	/* The example site with 3 configured headers of 1500 bytes each. */
	sh("mkdir -p %s/bighead && cp -r %s/. %s/bighead/", tmp, SITE_DIR, tmp);
	snprintf(p, sizeof p, "%s/bighead/site.conf", tmp);
	{
		FILE *c = fopen(p, "a");
		for (int h = 0; c && h < 3; h++) {
			fprintf(c, "header X-Big-%d ", h);
			for (int i = 0; i < 1500; i++)
				fputc('a' + i % 26, c);
			fputc('\n', c);
		}
		if (!c || fclose(c) != 0) {
			perror(p);
			exit(2);
		}
	}
	sh("tar --format=ustar -C %s/bighead -cf %s/bighead.tar .", tmp, tmp);
}

int main(void)
{
	Suite *s = suite_create("site");
	TCase *shared = tcase_create("example site"), *own = tcase_create("own VMs");
	TCase *idle = tcase_create("inherited listener, idle stop");
	TCase *disk = tcase_create("data disk, stack");
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (access(site_kernel(), R_OK) != 0) {
		fprintf(stderr, "site: %s missing (make all)\n", site_kernel());
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	loopback_up();
	make_disks();
	port = test_port_base();
	stats_port = port + 1;
	tcase_set_timeout(shared, 600);
	tcase_set_timeout(own, 900);
	tcase_set_timeout(idle, 900);
	tcase_set_timeout(disk, 600);
	tcase_add_unchecked_fixture(shared, shared_start, shared_stop);
	tcase_add_test(shared, pages_200_with_types_and_configured_headers);
	tcase_add_test(shared, custom_404_page_and_hidden_site_conf);
	tcase_add_test(shared, redirects_301);
	tcase_add_test(shared, head_has_the_get_head_and_no_body);
	tcase_add_test(shared, gzip_variant_for_clients_that_accept_it);
	tcase_add_test(shared, ranges_206_and_416);
	tcase_add_test(shared, conditional_304_by_etag_and_by_date);
	tcase_add_test(shared, methods_405_and_501);
	tcase_add_test(shared, bad_requests_400_421_505);
	tcase_add_test(shared, limits_413_414_431);
	tcase_add_test(shared, path_escapes_refused);
	tcase_add_test(shared, binary_garbage_is_refused_and_the_server_goes_on);
	tcase_add_test(shared, pipelined_requests_answered_in_order);
	tcase_add_test(shared, unfinished_head_408_while_others_are_served);
	tcase_add_test(shared, keepalive_1000_requests_on_one_connection);
	tcase_add_test(shared, concurrent_200_connections);
	tcase_add_test(shared, counters_on_port_81);
	tcase_add_test(shared, no_pit_thread_for_the_site_kernel);
	tcase_add_test(own, file_of_50_mb_streamed_from_disk);
	tcase_add_test(own, missing_disk_exits_12);
	tcase_add_test(own, corrupt_disk_exits_14);
	tcase_add_test(own, bad_site_conf_exits_15);
	tcase_add_test(own, head_too_big_for_its_buffer_is_500);
	tcase_add_test(own, acks_and_uart_console_when_asked);
	tcase_add_test(own, idle_polling_follows_site_poll_us);
	tcase_add_test(idle, publish_fd_serves_an_inherited_listener);
	tcase_add_test(idle, publish_fd_refuses_what_is_not_listening);
	tcase_add_test(idle, standby_runs_the_vm_it_is_handed);
	tcase_add_test(idle, standby_refuses_what_is_not_a_run);
	tcase_add_test(idle, idle_stop_leaves_later_clients_to_the_next_vmm);
	tcase_add_test(idle, idle_stop_waits_for_an_open_keepalive_connection);
	suite_add_tcase(s, shared);
	suite_add_tcase(s, own);
	tcase_add_test(disk, data_disk_write_flush_read);
	tcase_add_test(disk, data_disk_read_only_refuses_writes);
	tcase_add_test(disk, data_disk_absent_or_beside_the_site);
	tcase_add_test(disk, stack_of_1_mib_and_its_guard);
	suite_add_tcase(s, idle);
	suite_add_tcase(s, disk);
	failed = run_suite(s);
	sh("rm -rf %s", tmp);
	curl_global_cleanup();
	return failed || shared_failed ? 1 : 0;
}
