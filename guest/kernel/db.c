/* SQLite for the site: the data disk through the "vmm-blk" VFS, a heap of
 * its own (memsys5 over kernel pages, so SQLite never reaches musl's
 * malloc), and the Lua binding:
 *   db.exec(sql, ...)   -> changes, last_insert_rowid
 *   db.query(sql, ...)  -> { {col = value, ...}, ... }
 * One statement per call; the ...s are bound to its ?s (nil, boolean,
 * integer, number, string), never spliced into the text. */
#include <stdio.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "sqlite3.h"

#include "guest/db/blkvfs.h"
#include "guest/http/site_tar.h"
#include "guest/kernel/db.h"

/* From the rest of the kernel (kernel.h is not included: this file is
 * built on musl's headers). */
struct blk_dev;
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *alloc_pages(unsigned long n);
void free_pages(void *p, unsigned long n);
unsigned long long unix_ms(void);
__attribute__((noreturn, format(printf, 2, 3))) void panic(int code, const char *fmt, ...);
struct blk_dev *blk_data_disk(void);
uint64_t blk_capacity(const struct blk_dev *d);
_Bool blk_is_readonly(const struct blk_dev *d);
int blk_read_sync(struct blk_dev *d, uint64_t sector, void *buf, uint64_t n);
int blk_write_sync(struct blk_dev *d, uint64_t sector, const void *buf, uint64_t n);
int blk_flush_sync(struct blk_dev *d);

#define EXIT_DATA_DISK 20   /* kernel.h: the data disk is unusable */
#define HEAP_PAGES 2048     /* 8 MiB for SQLite; pages cost the host only once touched */
#define SCHEMA_MAX (1u << 20)

static sqlite3 *db;
int (*db_progress)(void);

static int dev_read(void *ctx, uint64_t sector, void *buf, uint32_t n)
{
	return blk_read_sync(ctx, sector, buf, n);
}

static int dev_write(void *ctx, uint64_t sector, const void *buf, uint32_t n)
{
	return blk_write_sync(ctx, sector, buf, n);
}

static int dev_flush(void *ctx)
{
	return blk_flush_sync(ctx);
}

static int64_t now_ms(void)
{
	return (int64_t)unix_ms();
}

/* Journal nonces and the disk id: the TSC and the clock through xorshift
 * (RDRAND is not promised by every host's CPUID). */
static void random_bytes(void *buf, size_t n)
{
	static uint64_t x;
	uint32_t lo, hi;
	unsigned char *p = buf;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	x ^= ((uint64_t)hi << 32 | lo) ^ (uint64_t)unix_ms() * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

static int progress(void *arg)
{
	(void)arg;
	return db_progress ? db_progress() : 0;
}

static void run_schema(struct site *site)
{
	const struct site_entry *e = site_find(site, "schema.sql", 10);
	char *text, *err = NULL;
	sqlite3_stmt *st;
	int tables = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		tables = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (tables || !e || e->is_dir)
		return;
	if (e->size >= SCHEMA_MAX)
		panic(EXIT_DATA_DISK, "schema.sql is larger than %u bytes", SCHEMA_MAX);
	text = alloc_pages((e->size + 1 + 4095) / 4096);
	if (!text || site_read(site, e, 0, text, e->size) < 0)
		panic(EXIT_DATA_DISK, "cannot read schema.sql");
	text[e->size] = 0;
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
		panic(EXIT_DATA_DISK, "schema.sql: %s", err ? err : sqlite3_errmsg(db));
	free_pages(text, (e->size + 1 + 4095) / 4096);
	kprintf("site: database initialised from schema.sql\n");
}

void db_init(struct site *site)
{
	struct blk_dev *d = blk_data_disk();
	struct blkdev_ops ops;
	struct blkvfs_hooks hooks = { .random = random_bytes, .now_ms = now_ms };
	struct blkvfs_info info;
	void *heap;
	int rc;

	if (!d)
		return;
	if (blk_is_readonly(d))
		panic(EXIT_DATA_DISK, "the data disk is read-only: the database needs to write (drop ',ro')");
	ops = (struct blkdev_ops){ dev_read, dev_write, dev_flush, blk_capacity(d), d };
	heap = alloc_pages(HEAP_PAGES);
	if (!heap || sqlite3_config(SQLITE_CONFIG_HEAP, heap, HEAP_PAGES * 4096, 64) != SQLITE_OK)
		panic(EXIT_DATA_DISK, "no memory for SQLite's heap");
	rc = blkvfs_format_if_blank(&ops, &hooks);
	if (rc < 0 || (rc = blkvfs_register(&ops, &hooks)) < 0)
		panic(EXIT_DATA_DISK, "the data disk is unusable: %s", blkvfs_strerror(rc));
	if (sqlite3_open_v2(BLKVFS_DB_NAME, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		panic(EXIT_DATA_DISK, "cannot open the database: %s", db ? sqlite3_errmsg(db) : "no memory");
	/* every COMMIT reaches the disk before it returns */
	if (sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
		panic(EXIT_DATA_DISK, "the database: %s", sqlite3_errmsg(db));
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
			panic(EXIT_DATA_DISK, "the database on the data disk is corrupt: %s",
			      sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	run_schema(site);
	sqlite3_progress_handler(db, 1000, progress, NULL);
	blkvfs_get_info(&info);
	kprintf("site: database on the data disk (%llu KiB, %llu KiB used), SQLite %s\n",
		(unsigned long long)(info.disk_sectors / 2),
		(unsigned long long)(info.region[BLKVFS_REGION_DB].length >> 10), sqlite3_libversion());
}

/* ---- the Lua binding ---- */

/* A statement lives in a userdata, so a Lua error anywhere (a bad
 * argument, out of memory) still finalizes it when the userdata is
 * collected or closed. */
static sqlite3_stmt **new_stmt(lua_State *L)
{
	sqlite3_stmt **p = lua_newuserdatauv(L, sizeof *p, 0);

	*p = NULL;
	luaL_setmetatable(L, "vmm.stmt");
	return p;
}

static int stmt_gc(lua_State *L)
{
	sqlite3_stmt **p = luaL_checkudata(L, 1, "vmm.stmt");

	sqlite3_finalize(*p);
	*p = NULL;
	return 0;
}

static int fail(lua_State *L, sqlite3_stmt **p)
{
	const char *msg = lua_pushfstring(L, "db: %s", sqlite3_errmsg(db));

	sqlite3_finalize(*p);
	*p = NULL;
	return luaL_error(L, "%s", msg);
}

static sqlite3_stmt **prepare(lua_State *L)
{
	size_t len;
	const char *sql = luaL_checklstring(L, 1, &len), *tail;
	int n = lua_gettop(L);
	sqlite3_stmt **p = new_stmt(L);

	if (sqlite3_prepare_v2(db, sql, (int)len, p, &tail) != SQLITE_OK)
		fail(L, p);
	if (!*p)
		luaL_error(L, "db: no statement in the text");
	while (tail < sql + len && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
		tail++;
	if (tail != sql + len) {
		sqlite3_finalize(*p);
		*p = NULL;
		luaL_error(L, "db: one statement per call");
	}
	if (n - 1 != sqlite3_bind_parameter_count(*p)) {
		int want = sqlite3_bind_parameter_count(*p);

		sqlite3_finalize(*p);
		*p = NULL;
		luaL_error(L, "db: the statement has %d parameters, %d values given", want, n - 1);
	}
	for (int i = 2; i <= n; i++) {
		int rc;

		switch (lua_type(L, i)) {
		case LUA_TNIL: rc = sqlite3_bind_null(*p, i - 1); break;
		case LUA_TBOOLEAN: rc = sqlite3_bind_int(*p, i - 1, lua_toboolean(L, i)); break;
		case LUA_TNUMBER:
			rc = lua_isinteger(L, i) ? sqlite3_bind_int64(*p, i - 1, lua_tointeger(L, i))
						 : sqlite3_bind_double(*p, i - 1, lua_tonumber(L, i));
			break;
		case LUA_TSTRING: {
			size_t sl;
			const char *s = lua_tolstring(L, i, &sl);

			rc = sqlite3_bind_text64(*p, i - 1, s, sl, SQLITE_TRANSIENT, SQLITE_UTF8);
			break;
		}
		default:
			sqlite3_finalize(*p);
			*p = NULL;
			return luaL_error(L, "db: value %d is a %s (use nil, boolean, number or string)", i - 1,
					  luaL_typename(L, i)),
			       NULL;
		}
		if (rc != SQLITE_OK)
			fail(L, p);
	}
	return p;
}

static int l_exec(lua_State *L)
{
	sqlite3_stmt **p = prepare(L);
	int rc;

	while ((rc = sqlite3_step(*p)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return fail(L, p);
	sqlite3_finalize(*p);
	*p = NULL;
	lua_pushinteger(L, sqlite3_changes(db));
	lua_pushinteger(L, sqlite3_last_insert_rowid(db));
	return 2;
}

static int l_query(lua_State *L)
{
	sqlite3_stmt **p = prepare(L);
	lua_Integer row = 0;
	int rc;

	lua_newtable(L);
	while ((rc = sqlite3_step(*p)) == SQLITE_ROW) {
		int cols = sqlite3_column_count(*p);

		lua_createtable(L, 0, cols);
		for (int c = 0; c < cols; c++) {
			switch (sqlite3_column_type(*p, c)) {
			case SQLITE_INTEGER: lua_pushinteger(L, sqlite3_column_int64(*p, c)); break;
			case SQLITE_FLOAT: lua_pushnumber(L, sqlite3_column_double(*p, c)); break;
			case SQLITE_NULL: continue; /* absent: nil */
			default:
				lua_pushlstring(L, (const char *)sqlite3_column_blob(*p, c),
						(size_t)sqlite3_column_bytes(*p, c));
			}
			lua_setfield(L, -2, sqlite3_column_name(*p, c));
		}
		lua_rawseti(L, -2, ++row);
	}
	if (rc != SQLITE_DONE)
		return fail(L, p);
	sqlite3_finalize(*p);
	*p = NULL;
	return 1;
}

void db_open_lua(lua_State *L)
{
	static const luaL_Reg fns[] = { { "exec", l_exec }, { "query", l_query }, { NULL, NULL } };

	if (!db)
		return;
	if (luaL_newmetatable(L, "vmm.stmt")) {
		lua_pushcfunction(L, stmt_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, stmt_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	luaL_newlib(L, fns);
	lua_setglobal(L, "db");
}

int db_end_request(void)
{
	if (!db || sqlite3_get_autocommit(db))
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return 1;
}
