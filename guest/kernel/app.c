/* Lua handlers for app routes. One Lua state for the site: the handler
 * functions are loaded once at boot, and each request calls one with a
 * fresh `req` table. A request runs under a count hook that stops it once
 * it has used site.conf's instruction budget (503) and an allocator that
 * refuses to grow the state past the memory cap (500); a Lua error gives
 * 500 and its traceback on the console. Lua errors unwind with longjmp,
 * so the state stays usable for the next request in every case. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "guest/http/http_app.h"
#include "guest/http/http_serve.h"
#include "guest/http/site_conf.h"
#include "guest/http/site_tar.h"
#include "guest/kernel/app.h"
#include "guest/kernel/db.h"
#include "guest/libs/libc_shim.h"

/* From the rest of the kernel (kernel.h is not included: it brings the
 * kernel's own libc declarations, and this file is built on musl's). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kwrite(const char *s, unsigned long n);
void *alloc_pages(unsigned long n);
void free_pages(void *p, unsigned long n);
unsigned long long unix_ms(void);

#define PAGE 4096ul
#define HOOK_EVERY 1000     /* instructions between count-hook calls */
#define SMALL_MAX 2048      /* larger blocks take whole pages */
#define NCLASSES 8          /* 16, 32, ..., 2048 */

/* ---- memory: size classes carved from pages, big blocks as pages ---- */

struct free_block {
	struct free_block *next;
};

static struct free_block *classes[NCLASSES];
static size_t lua_bytes, lua_cap;

static unsigned class_of(size_t n)
{
	unsigned c = 0;

	while ((16ul << c) < n)
		c++;
	return c;
}

static void *small_alloc(unsigned c)
{
	size_t sz = 16ul << c;

	if (!classes[c]) {
		char *page = alloc_pages(1);

		if (!page)
			return NULL;
		for (size_t off = 0; off + sz <= PAGE; off += sz) {
			struct free_block *b = (struct free_block *)(page + off);

			b->next = classes[c];
			classes[c] = b;
		}
	}
	struct free_block *b = classes[c];

	classes[c] = b->next;
	return b;
}

static void block_free(void *p, size_t n)
{
	if (n <= SMALL_MAX) {
		struct free_block *b = p;
		unsigned c = class_of(n);

		b->next = classes[c];
		classes[c] = b;
	} else {
		free_pages(p, (n + PAGE - 1) / PAGE);
	}
}

static void *block_alloc(size_t n)
{
	return n <= SMALL_MAX ? small_alloc(class_of(n)) : alloc_pages((n + PAGE - 1) / PAGE);
}

static bool same_block(size_t a, size_t b)
{
	if (a <= SMALL_MAX && b <= SMALL_MAX)
		return class_of(a) == class_of(b);
	return a > SMALL_MAX && b > SMALL_MAX && (a + PAGE - 1) / PAGE == (b + PAGE - 1) / PAGE;
}

/* Lua's allocator: osize is the block's size when ptr is set. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	void *q;

	(void)ud;
	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		if (ptr) {
			block_free(ptr, osize);
			lua_bytes -= osize;
		}
		return NULL;
	}
	if (nsize > osize && lua_bytes - osize + nsize > lua_cap)
		return NULL; /* LUA_ERRMEM: over the site's app_memory */
	if (ptr && same_block(osize, nsize)) {
		lua_bytes = lua_bytes - osize + nsize;
		return ptr;
	}
	q = block_alloc(nsize);
	if (!q)
		return NULL;
	if (ptr) {
		memcpy(q, ptr, osize < nsize ? osize : nsize);
		block_free(ptr, osize);
	}
	lua_bytes = lua_bytes - osize + nsize;
	return q;
}

/* ---- the handlers ---- */

static lua_State *L;
static const struct site_conf *conf;
static int handler_ref[CONF_MAX_APPS];
static long long budget_hooks;  /* count-hook calls left for this request */
static bool out_of_budget;

static void count_hook(lua_State *l, lua_Debug *ar)
{
	(void)ar;
	if (--budget_hooks > 0 && !out_of_budget)
		return;
	out_of_budget = true;
	/* every later instruction stops too, even inside a pcall's handler */
	lua_sethook(l, count_hook, LUA_MASKCOUNT, 1);
	luaL_error(l, "instruction budget of %llu exhausted", (unsigned long long)conf->app_instructions);
}

/* SQLite's progress handler: a long statement spends the same budget. */
static int sql_budget(void)
{
	if (--budget_hooks > 0 && !out_of_budget)
		return 0;
	out_of_budget = true;
	return 1; /* SQLITE_INTERRUPT: the binding raises it as a Lua error */
}

static int traceback(lua_State *l)
{
	const char *msg = lua_tostring(l, 1);

	luaL_traceback(l, l, msg ? msg : "(error object is not a string)", 1);
	return 1;
}

static void write_hook(int stream, const char *s, size_t len)
{
	(void)stream;
	kwrite(s, len);
}

static long long time_hook(void)
{
	return (long long)(unix_ms() / 1000);
}

static void abort_hook(const char *why)
{
	kprintf("app: the C library aborted: %s\n", why ? why : "?");
}

static int load_handler(struct site *site, const struct conf_app *a)
{
	const struct site_entry *e = site_find(site, a->file.p, a->file.n);
	char *text, name[CONF_PATH_MAX + 2];
	int rc;

	snprintf(name, sizeof name, "@%.*s", (int)a->file.n, a->file.p);
	if (!e || e->is_dir || e->size > (64u << 20)) {
		kprintf("app: %s: not a file in the archive (or over 64 MiB)\n", name + 1);
		return LUA_NOREF;
	}
	text = alloc_pages((e->size + PAGE - 1) / PAGE);
	if (!text || site_read(site, e, 0, text, e->size) < 0) {
		kprintf("app: %s: cannot read it\n", name + 1);
		return LUA_NOREF;
	}
	lua_pushcfunction(L, traceback);
	/* text only: precompiled chunks would bypass the parser's checks */
	rc = luaL_loadbufferx(L, text, e->size, name, "t");
	free_pages(text, (e->size + PAGE - 1) / PAGE);
	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 1, -2);
	if (rc != LUA_OK || !lua_isfunction(L, -1)) {
		kprintf("app: %s: %s\n", name + 1,
			rc != LUA_OK ? lua_tostring(L, -1) : "the file must return a function(req)");
		lua_settop(L, 0);
		return LUA_NOREF;
	}
	rc = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, 0);
	return rc;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Pushes s percent-decoded ('+' as space, as forms send it). */
static void push_decoded(lua_State *l, const char *s, size_t n)
{
	luaL_Buffer b;

	luaL_buffinit(l, &b);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			luaL_addchar(&b, ' ');
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			luaL_addchar(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			luaL_addchar(&b, s[i]);
		}
	}
	luaL_pushresult(&b);
}

/* req.query: a=1&b=two → { a = "1", b = "two" } (the last of repeats wins). */
static void push_query(lua_State *l, struct http_slice q)
{
	size_t i = 0;

	lua_newtable(l);
	while (q.p && i < q.n) {
		size_t end = i, eq;

		while (end < q.n && q.p[end] != '&')
			end++;
		for (eq = i; eq < end && q.p[eq] != '='; eq++)
			;
		if (eq > i) {
			push_decoded(l, q.p + i, eq - i);
			push_decoded(l, q.p + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0);
			lua_settable(l, -3);
		}
		i = end + 1;
	}
}

static void push_lower(lua_State *l, struct http_slice s)
{
	luaL_Buffer b;

	luaL_buffinit(l, &b);
	for (size_t i = 0; i < s.n; i++)
		luaL_addchar(&b, (char)(s.p[i] >= 'A' && s.p[i] <= 'Z' ? s.p[i] + 32 : s.p[i]));
	luaL_pushresult(&b);
}

/* The req table handed to the handler (docs: guest/README.md, "App routes"). */
static int push_request(lua_State *l)
{
	const struct http_app_request *r = lua_touserdata(l, 1);
	struct http_slice name, value;
	size_t pos = 0;

	lua_createtable(l, 0, 8);
	lua_pushlstring(l, r->method.p, r->method.n);
	lua_setfield(l, -2, "method");
	lua_pushlstring(l, r->path.p, r->path.n);
	lua_setfield(l, -2, "path");
	push_query(l, r->query);
	lua_setfield(l, -2, "query");
	lua_newtable(l);
	/* a repeated field's values are joined with ", " (RFC 9110 5.3) */
	while (http_app_field(r, &pos, &name, &value)) {
		push_lower(l, name);
		lua_pushvalue(l, -1);
		if (lua_rawget(l, -3) == LUA_TSTRING) {
			lua_pushliteral(l, ", ");
			lua_pushlstring(l, value.p, value.n);
			lua_concat(l, 3);
		} else {
			lua_pop(l, 1);
			lua_pushlstring(l, value.p, value.n);
		}
		lua_rawset(l, -3);
	}
	lua_setfield(l, -2, "headers");
	lua_pushlstring(l, r->body ? r->body : "", r->body_len);
	lua_setfield(l, -2, "body");
	lua_pushlstring(l, r->client.p, r->client.n);
	lua_setfield(l, -2, "client");
	return 1;
}

/* What app_end frees: the header array of the last response. */
struct app_out {
	struct http_app_header h[HTTP_APP_MAX_HEADERS];
};
static struct app_out out_headers;

static const char budget_body[] = "the request used up its instruction budget\n";

/* Stack after the call: traceback, status, headers, body (kept until
 * app_end: resp points into those strings). */
static int take_response(lua_State *l, const struct conf_app *a, struct http_app_response *resp)
{
	int base = 1;
	unsigned n = 0;

	if (!lua_isinteger(l, base + 1)) {
		kprintf("app %.*s: the handler must return status, headers, body (status is a %s)\n", (int)a->file.n,
			a->file.p, luaL_typename(l, base + 1));
		return -1;
	}
	/* Clamped, not cast: a cast would wrap 2^32 + 200 into a valid 200,
	 * where the contract says any status outside 200-599 is a 500. */
	lua_Integer st = lua_tointeger(l, base + 1);
	resp->status = st < INT_MIN ? INT_MIN : st > INT_MAX ? INT_MAX : (int)st;
	if (lua_istable(l, base + 2)) {
		lua_pushnil(l);
		while (lua_next(l, base + 2)) {
			if (lua_type(l, -2) != LUA_TSTRING || lua_type(l, -1) != LUA_TSTRING ||
			    n == HTTP_APP_MAX_HEADERS) {
				kprintf("app %.*s: headers must map strings to strings (at most %d)\n", (int)a->file.n,
					a->file.p, HTTP_APP_MAX_HEADERS);
				return -1;
			}
			/* the strings stay alive: they are keys and values of a table
			 * on the stack until app_end */
			out_headers.h[n].name.p = lua_tolstring(l, -2, &out_headers.h[n].name.n);
			out_headers.h[n].value.p = lua_tolstring(l, -1, &out_headers.h[n].value.n);
			n++;
			lua_pop(l, 1);
		}
	} else if (!lua_isnil(l, base + 2)) {
		kprintf("app %.*s: headers must be a table\n", (int)a->file.n, a->file.p);
		return -1;
	}
	resp->headers = out_headers.h;
	resp->nheaders = n;
	if (lua_type(l, base + 3) == LUA_TSTRING) {
		resp->body = lua_tolstring(l, base + 3, &resp->body_len);
	} else if (!lua_isnil(l, base + 3)) {
		kprintf("app %.*s: the body must be a string\n", (int)a->file.n, a->file.p);
		return -1;
	}
	return 0;
}

static int run_app(void *ctx, const struct http_app_request *req, struct http_app_response *resp)
{
	const struct conf_app *a = NULL;
	int ref = LUA_NOREF, rc;

	(void)ctx;
	for (unsigned i = 0; i < conf->napp; i++)
		if (conf->app[i].prefix.n == req->prefix.n && !memcmp(conf->app[i].prefix.p, req->prefix.p, req->prefix.n))
			a = &conf->app[i], ref = handler_ref[i];
	if (!a || ref == LUA_NOREF)
		return -1; /* reported when it failed to load */
	lua_settop(L, 0);
	lua_pushcfunction(L, traceback);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_pushcfunction(L, push_request);
	lua_pushlightuserdata(L, (void *)req);
	out_of_budget = false;
	budget_hooks = (long long)(conf->app_instructions / HOOK_EVERY) + 1;
	lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
	rc = lua_pcall(L, 1, 1, 1); /* the req table, built under the same limits */
	if (rc == LUA_OK)
		rc = lua_pcall(L, 1, 3, 1);
	lua_sethook(L, NULL, 0, 0);
	if (db_end_request())
		kprintf("app %.*s: %.*s %.*s left a transaction open: rolled back\n", (int)a->file.n, a->file.p,
			(int)req->method.n, req->method.p, (int)req->path.n, req->path.p);
	if (out_of_budget) {
		kprintf("app %.*s: %.*s %.*s stopped: instruction budget of %llu exhausted\n", (int)a->file.n, a->file.p,
			(int)req->method.n, req->method.p, (int)req->path.n, req->path.p,
			(unsigned long long)conf->app_instructions);
		lua_settop(L, 0);
		resp->status = 503;
		resp->body = budget_body;
		resp->body_len = sizeof budget_body - 1;
		return 0;
	}
	if (rc != LUA_OK) {
		kprintf("app %.*s: %.*s %.*s failed: %s\n", (int)a->file.n, a->file.p, (int)req->method.n, req->method.p,
			(int)req->path.n, req->path.p,
			rc == LUA_ERRMEM ? "out of memory (app_memory in site.conf)" : lua_tostring(L, -1));
		lua_settop(L, 0);
		return -1;
	}
	if (take_response(L, a, resp) < 0) {
		lua_settop(L, 0);
		return -1;
	}
	return 0;
}

static void end_app(void *ctx, struct http_app_response *resp)
{
	(void)ctx;
	(void)resp;
	lua_settop(L, 0);
	lua_gc(L, LUA_GCSTEP, 0);
}

static void *body_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return alloc_pages((n + PAGE - 1) / PAGE);
}

static void body_free(void *ctx, void *p, size_t n)
{
	(void)ctx;
	free_pages(p, (n + PAGE - 1) / PAGE);
}

extern const char dkjson_lua[], dkjson_lua_end[];

/* os.time(): the only part of Lua's os library a handler gets. */
static int os_time(lua_State *l)
{
	lua_pushinteger(l, (lua_Integer)(unix_ms() / 1000));
	return 1;
}

/* The handlers' global environment: Lua's safe libraries, print to the
 * console, no way to load files, and `json` (Debian's dkjson). */
static void open_env(void)
{
	luaL_openlibs(L);
	lua_pushnil(L);
	lua_setglobal(L, "dofile");
	lua_pushnil(L);
	lua_setglobal(L, "loadfile");
	lua_newtable(L);
	lua_pushcfunction(L, os_time);
	lua_setfield(L, -2, "time");
	lua_setglobal(L, "os");
	if (luaL_loadbufferx(L, dkjson_lua, (size_t)(dkjson_lua_end - dkjson_lua), "=dkjson", "t") != LUA_OK ||
	    lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_istable(L, -1))
		kprintf("app: the json module did not load: %s\n", lua_tostring(L, -1));
	else
		lua_setglobal(L, "json");
	lua_settop(L, 0);
}

void app_init(struct site *site, const struct site_conf *c, struct http_server *srv)
{
	if (!c->napp)
		return;
	conf = c;
	lua_cap = c->app_memory;
	libc_shim_write_hook = write_hook;
	libc_shim_time_hook = time_hook;
	libc_shim_abort_hook = abort_hook;
	L = lua_newstate(l_alloc, NULL);
	if (!L) {
		kprintf("app: no memory for the Lua state: every app route answers 500\n");
		return;
	}
	open_env();
	db_open_lua(L);
	db_progress = sql_budget;
	for (unsigned i = 0; i < c->napp; i++)
		handler_ref[i] = load_handler(site, &c->app[i]);
	srv->app = run_app;
	srv->app_end = end_app;
	srv->app_ctx = NULL;
	srv->body_alloc = body_alloc;
	srv->body_free = body_free;
	srv->alloc_ctx = NULL;
	kprintf("site: %u app route%s, %s, %zu KiB for the Lua state (cap %llu KiB)\n", c->napp,
		c->napp == 1 ? "" : "s", LUA_RELEASE, lua_bytes >> 10, (unsigned long long)(lua_cap >> 10));
}
