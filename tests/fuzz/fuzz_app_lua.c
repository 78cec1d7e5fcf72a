/* The site kernel's Lua glue for app routes (guest/kernel/app.c) on the
 * host, behind the real connection machine: arbitrary bytes go through
 * http_conn as in fuzz_http_request (the first byte cuts the rest into
 * received pieces), and requests under /api/ reach api.lua below through
 * app.c's run_app: push_request/push_query/push_decoded/push_lower build
 * `req`, take_response reads `status, headers, body` back, under a small
 * instruction budget and memory cap. Lua is Debian's 5.4.4 built for the
 * host with the guest's lua_guest.h/.c (fuzz rules in guest/kernel/kernel.mk).
 *
 * api.lua touches every field of req, checks what the kernel promises
 * about them (a broken promise prints "\1GLUE ...", a crash here), and
 * answers from them: status from ?status= or X-Status (any string: non-
 * integers, 99, 700, -1), response fields from X-H-* request fields and
 * h.NAME query pairs (bad names and values included), a JSON body of req's
 * parts plus the body; ?mode= (or X-Mode) loops forever (503), allocates
 * without bound (500), raises errors (500), and ?ret= (or X-Ret) returns
 * wrong types (500) or a large body.
 *
 * The C side checks every response as fuzz_http_request does, plus: the
 * handler sees each request field in its own exact-size heap copy, freed
 * when the call returns (ASan catches any read past a slice, or after the
 * call); the status http_conn gets is the handler's when that is 200-599
 * and invalid when it is not; the Lua stack is empty and the count hook off
 * between requests; the state stays under app_memory and comes back near
 * its boot size after a full collection; every page handed out is returned
 * with the count it was taken with; no body storage outlives a connection;
 * console lines are whole lines. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compiled in here rather than linked, so the harness can read app.c's
 * state (L, lua_bytes, lua_cap, out_of_budget) between requests. */
#include "kernel/app.c"

#include "http/http_conn.h"
#include "http/http_log.h"
#include "fuzz_site.h"

/* ---- what the rest of the kernel gives app.c, on the host ---- */

long long (*libc_shim_time_hook)(void);
long long (*libc_shim_clock_hook)(void);
void (*libc_shim_abort_hook)(const char *why);
void (*libc_shim_write_hook)(int stream, const char *s, size_t len);
int (*db_progress)(void);

/* No data disk: handlers get no `db` (db.c needs the block device). */
void db_open_lua(struct lua_State *l)
{
	(void)l;
}

int db_end_request(void)
{
	return 0;
}

#define NOW_MS 1700000000000ull

unsigned long long unix_ms(void)
{
	return NOW_MS;
}

static bool booting;

/* The console: every message is whole lines. Only a Lua error's text (a
 * traceback) may span lines; any other message is one line, so nothing a
 * request sends (method, path) can start a line of its own. At boot the
 * only messages are the route summary and bad.lua's refusal. */
void kprintf(const char *fmt, ...)
{
	static char msg[16384];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0)
		abort();
	size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
	if (msg[len - 1] != '\n' && (size_t)n < sizeof msg)
		abort();
	if (!strstr(fmt, "failed: %s") && memchr(msg, '\n', len - 1)) {
		fprintf(stderr, "console line split: %s", msg);
		abort();
	}
	if (booting && strncmp(msg, "site: ", 6) != 0 &&
	    strcmp(msg, "app: bad.lua: the file must return a function(req)\n") != 0) {
		fprintf(stderr, "unexpected at boot: %s", msg);
		abort();
	}
}

/* Lua's print(): api.lua reports a broken promise this way. */
void kwrite(const char *s, unsigned long n)
{
	if (memchr(s, '\1', n)) {
		fprintf(stderr, "api.lua: %.*s\n", (int)n, s);
		abort();
	}
}

/* alloc_pages/free_pages on the host: n pages after a header page that
 * records n, so a free with another count (or of something never handed
 * out: ASan) is caught, and a live count that must stay bounded. */
#define FZ_PAGE 4096ul
static long live_pages;

void *alloc_pages(unsigned long n)
{
	if (n == 0)
		n = 1; /* as the kernel's allocator does */
	if (n > (64ul << 20) / FZ_PAGE)
		return NULL;
	char *p = aligned_alloc(FZ_PAGE, (n + 1) * FZ_PAGE);
	if (!p)
		abort();
	memcpy(p, &n, sizeof n);
	live_pages += (long)n;
	return p + FZ_PAGE;
}

void free_pages(void *p, unsigned long n)
{
	unsigned long had;

	if (!p)
		return;
	if (n == 0)
		n = 1;
	memcpy(&had, (char *)p - FZ_PAGE, sizeof had);
	if (had != n) {
		fprintf(stderr, "free_pages: %lu pages freed, %lu allocated\n", n, had);
		abort();
	}
	live_pages -= (long)n;
	free((char *)p - FZ_PAGE);
}

/* ---- the site ---- */

static const char site_conf_text[] = "host localhost example.test\n"
				     "header X-Site fuzz\n"
				     "app /api/ api.lua\n"
				     "app /bad/ bad.lua\n"
				     "app_instructions 200000\n"
				     "app_memory 4194304\n"
				     "app_body_max 20000\n";

static const char api_lua[] =
	"-- The fuzz handler (tests/fuzz/fuzz_app_lua.c says what it does).\n"
	"local function glue(ok, what)\n"
	"  if not ok then print('\\1GLUE ' .. what) end\n"
	"end\n"
	"local function tok(s) return s:find(\"^[%w!#$%%&'*+.^_`|~-]+$\") ~= nil end\n"
	"local function big() local t, s = {}, 'x'; while true do s = s .. s; t[#t + 1] = s end end\n"
	"return function(req)\n"
	"  local q, h, body = req.query, req.headers, req.body\n"
	"  glue(type(req.method) == 'string' and tok(req.method), 'method')\n"
	"  glue(type(req.path) == 'string' and req.path:sub(1, 5) == '/api/', 'path')\n"
	"  glue(type(q) == 'table' and type(h) == 'table', 'query and headers are tables')\n"
	"  glue(type(body) == 'string', 'body')\n"
	"  glue(type(req.client) == 'string' and #req.client > 0, 'client')\n"
	"  for k, v in pairs(q) do\n"
	"    glue(type(k) == 'string' and #k > 0 and type(v) == 'string', 'query pair')\n"
	"  end\n"
	"  for k, v in pairs(h) do\n"
	"    glue(type(k) == 'string' and tok(k) and k == k:lower() and type(v) == 'string', 'header')\n"
	"  end\n"
	"  local cl = h['content-length']\n"
	"  if cl and cl:find('^%d+$') then glue(#body == tonumber(cl), 'body length') end\n"
	"  local mode = q.mode or h['x-mode']\n"
	"  if mode == 'loop' then\n"
	"    while true do end\n"
	"  elseif mode == 'pcallloop' then\n"
	"    pcall(function() while true do end end)\n"
	"    glue(false, 'a pcall let the handler go on past its budget')\n"
	"  elseif mode == 'alloc' then\n"
	"    big()\n"
	"  elseif mode == 'pcallalloc' then\n"
	"    glue(not pcall(big), 'unbounded allocation succeeded')\n"
	"  elseif mode == 'error' then\n"
	"    error(q.msg or h['x-msg'] or 'boom')\n"
	"  elseif mode == 'errobj' then\n"
	"    error({})\n"
	"  elseif mode == 'print' then\n"
	"    print(json.encode(body))\n"
	"  elseif mode == 'json' then\n"
	"    body = json.encode((json.decode(body)))\n"
	"  elseif mode == 'time' then\n"
	"    glue(os.time() == 1700000000, 'os.time')\n"
	"  end\n"
	"  local ret = q.ret or h['x-ret']\n"
	"  if ret == 'str' then return '200', {}, 'x'\n"
	"  elseif ret == 'float' then return 200.5, {}, 'x'\n"
	"  elseif ret == 'none' then return\n"
	"  elseif ret == 'hstr' then return 200, 'x', 'x'\n"
	"  elseif ret == 'hnum' then return 200, { 'x' }, 'x'\n"
	"  elseif ret == 'hval' then return 200, { a = 1 }, 'x'\n"
	"  elseif ret == 'body' then return 200, {}, {}\n"
	"  elseif ret == 'nbody' then return 200, {}, 42\n"
	"  elseif ret == 'many' then\n"
	"    local t = {}\n"
	"    for i = 1, tonumber(q.n) or 65 do t['x-' .. i] = 'v' end\n"
	"    return 200, t, 'x'\n"
	"  elseif ret == 'big' then\n"
	"    return 200, {}, string.rep('b', math.tointeger(tonumber(q.n)) or 100000)\n"
	"  end\n"
	"  local status = q.status or h['x-status']\n"
	"  if status then status = math.tointeger(tonumber(status)) or tonumber(status) or status end\n"
	"  local out = {}\n"
	"  for k, v in pairs(h) do\n"
	"    if k:sub(1, 4) == 'x-h-' then out[k:sub(5)] = v end\n"
	"  end\n"
	"  for k, v in pairs(q) do\n"
	"    if k:sub(1, 2) == 'h.' then out[k:sub(3)] = v end\n"
	"  end\n"
	"  return status or 200, out, json.encode({ method = req.method, path = req.path, query = q,\n"
	"    headers = h, client = req.client, n = #body }) .. body\n"
	"end\n";

static uint8_t img[32 * 512];
static size_t img_len;
static struct site site;
static struct site_conf site_cf;
static struct http_server srv;
static uint8_t arena[1 << 16];

static void sink(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	if (memchr(line, '\n', n))
		abort(); /* a request must never forge a log line */
	if (n > 5 && memcmp(line, "app /", 5) == 0)
		return; /* an app diagnostic: site.conf words and fixed phrases */
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		abort();
	struct http_slice client = { line, (size_t)(sp - line) };
	if (!(client.n == 4 && memcmp(line, "fuzz", 4) == 0) && !http_log_addr_ok(client))
		abort();
}

/* ---- app.c's hooks, wrapped to check them ---- */

static int (*real_app)(void *ctx, const struct http_app_request *req, struct http_app_response *resp);
static void (*real_end)(void *ctx, struct http_app_response *resp);
static void *(*real_body_alloc)(void *ctx, size_t n);
static void (*real_body_free)(void *ctx, void *p, size_t n);
static long live_bodies;
static size_t lua_baseline;

static void *fz_body_alloc(void *ctx, size_t n)
{
	void *p = real_body_alloc(ctx, n);

	live_bodies += p != NULL;
	return p;
}

static void fz_body_free(void *ctx, void *p, size_t n)
{
	live_bodies--;
	real_body_free(ctx, p, n);
}

/* An exact-size heap copy of a slice (NULL stays NULL: "no query"). */
static struct http_slice dup_slice(struct http_slice s)
{
	if (!s.p)
		return s;
	char *c = malloc(s.n);
	if (!c)
		abort();
	memcpy(c, s.p, s.n);
	return (struct http_slice){ c, s.n };
}

static bool valid_status(long long s)
{
	return s >= 200 && s <= 599;
}

static int fz_app(void *ctx, const struct http_app_request *rq, struct http_app_response *rs)
{
	struct http_app_request c = *rq;

	if (!rq->body != !rq->body_len || lua_gettop(L) != 0)
		abort();
	c.method = dup_slice(rq->method);
	c.path = dup_slice(rq->path);
	c.query = dup_slice(rq->query);
	c.prefix = dup_slice(rq->prefix);
	c.file = dup_slice(rq->file);
	c.host = dup_slice(rq->host);
	c.client = dup_slice(rq->client);
	char *head = malloc(rq->head_end);
	if (!head)
		abort();
	memcpy(head, rq->head, rq->head_end);
	c.head = head;
	if (rq->body_len) {
		struct http_slice b = dup_slice((struct http_slice){ rq->body, rq->body_len });
		c.body = b.p;
	}

	/* app.c sets it only for a call that runs (not for a route whose
	 * script did not load): cleared here so the checks below read this
	 * call's */
	out_of_budget = false;
	int rc = real_app(ctx, &c, rs);

	/* the request was valid during the call only */
	free((void *)c.method.p);
	free((void *)c.path.p);
	free((void *)c.query.p);
	free((void *)c.prefix.p);
	free((void *)c.file.p);
	free((void *)c.host.p);
	free((void *)c.client.p);
	free(head);
	free((void *)c.body);

	if (lua_gethook(L) || lua_bytes > lua_cap)
		abort();
	if (out_of_budget) {
		if (rc != 0 || rs->status != 503 || lua_gettop(L) != 0)
			abort();
	} else if (rc != 0) {
		if (lua_gettop(L) != 0)
			abort();
	} else {
		/* traceback, status, headers, body: kept until app_end */
		if (lua_gettop(L) != 4 || !lua_isinteger(L, 2) || rs->nheaders > HTTP_APP_MAX_HEADERS)
			abort();
		long long st = lua_tointeger(L, 2);
		if (valid_status(st) != valid_status(rs->status) || (valid_status(st) && st != rs->status)) {
			fprintf(stderr, "handler status %lld became %d\n", st, rs->status);
			abort();
		}
		size_t bl = lua_type(L, 4) == LUA_TSTRING ? lua_rawlen(L, 4) : 0;
		if (rs->body_len != bl || (bl && rs->body != lua_tostring(L, 4)))
			abort();
	}
	return rc;
}

static void fz_end(void *ctx, struct http_app_response *rs)
{
	real_end(ctx, rs);
	if (lua_gettop(L) != 0 || lua_gethook(L))
		abort();
}

static void init(void)
{
	struct site_image im;

	fuzz_tar_add(img, &img_len, sizeof img, "./", "", '5');
	fuzz_tar_add(img, &img_len, sizeof img, "./index.html", "<h1>home</h1>", '0');
	fuzz_tar_add(img, &img_len, sizeof img, "./site.conf", site_conf_text, '0');
	fuzz_tar_add(img, &img_len, sizeof img, "./api.lua", api_lua, '0');
	fuzz_tar_add(img, &img_len, sizeof img, "./bad.lua", "return 42\n", '0');
	fuzz_tar_end(img, &img_len, sizeof img);
	site_image_mem(&im, img, img_len);
	site_conf_default(&site_cf);
	if (site_open(&site, &im, arena, sizeof arena) < 0 ||
	    site_conf_parse(&site_cf, site_conf_text, sizeof site_conf_text - 1) < 0 ||
	    site_conf_check(&site_cf, &site) < 0)
		abort();
	srv.site = &site;
	srv.conf = &site_cf;
	srv.server_name = "fuzz";
	srv.log = sink;
	booting = true;
	app_init(&site, &site_cf, &srv);
	booting = false;
	if (!L || !srv.app || !srv.app_end || !srv.body_alloc || !srv.body_free)
		abort();
	real_app = srv.app;
	real_end = srv.app_end;
	real_body_alloc = srv.body_alloc;
	real_body_free = srv.body_free;
	srv.app = fz_app;
	srv.app_end = fz_end;
	srv.body_alloc = fz_body_alloc;
	srv.body_free = fz_body_free;
	lua_gc(L, LUA_GCCOLLECT);
	lua_baseline = lua_bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[4096], hdr[4096];
	struct http_conn c;
	struct http_out o;
	uint64_t now = NOW_MS;

	if (!L)
		init();
	if (size == 0)
		return 0;
	size_t piece = (data[0] & 63) + 1;
	data++;
	size--;

	http_conn_init(&c, &srv, in, sizeof in, "fuzz", now);
	size_t off = 0;
	int rounds = 0;
	while (off < size && rounds++ < 10000) {
		size_t k = size - off < piece ? size - off : piece;
		off += http_conn_feed(&c, data + off, k, now);
		enum http_conn_res r;
		while ((r = http_conn_next(&c, hdr, sizeof hdr, &o, now)) == HTTP_CONN_RESPONSE)
			fuzz_check_response(&o, hdr, sizeof hdr, lua_cap);
		if (r == HTTP_CONN_CLOSE)
			break;
		now += 100;
	}
	http_conn_eof(&c);
	while (http_conn_next(&c, hdr, sizeof hdr, &o, now) == HTTP_CONN_RESPONSE)
		fuzz_check_response(&o, hdr, sizeof hdr, lua_cap);
	if (http_conn_timeout(&c, hdr, sizeof hdr, &o, http_conn_deadline(&c)) == HTTP_CONN_RESPONSE)
		fuzz_check_response(&o, hdr, sizeof hdr, lua_cap);
	http_conn_release(&c);
	if (live_bodies)
		abort(); /* body storage leaked */

	/* Nothing a request did stays in the state: after a full collection
	 * it is back near its boot size (slack: the string table may keep a
	 * larger size). Pages: Lua's small-block classes keep theirs, at most
	 * about what app_memory allows per class. */
	lua_gc(L, LUA_GCCOLLECT);
	if (lua_gettop(L) != 0 || lua_bytes > lua_baseline + (64 << 10)) {
		fprintf(stderr, "Lua state: %zu bytes after a full collection, %zu at boot\n", lua_bytes,
			lua_baseline);
		abort();
	}
	if (live_pages < 0 || (unsigned long)live_pages > (NCLASSES + 2) * (lua_cap / FZ_PAGE + 1))
		abort();
	return 0;
}
