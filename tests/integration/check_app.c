/* Lua app routes in the site kernel, end to end: a site whose site.conf
 * routes /api/ to api.lua, booted under `vmm run` and driven with libcurl.
 * Every status path of a handler: a normal response with the request's
 * method, path, query, headers and body (Content-Length and chunked), a body
 * over app_body_max (413), a handler that loops (503, also when it hides
 * the loop in pcall), one that exhausts app_memory (500), one that raises an
 * error (500, with its traceback on the console), a bad return (500); the
 * site keeps serving afterwards, static routes still refuse bodies and the
 * script itself is not served; json (Debian's dkjson) both ways. And the
 * database on a data disk: SQL values stay data, a request that fails in a
 * transaction is rolled back, 1,000 answered inserts survive kill -9, a
 * foreign data disk stops the boot with exit code 20. */
#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration/loopback.h"
#include "integration/proc.h"
#include "msg_tail.h"

#define WAIT_MS 180000

static char tmp[64], out_path[128], err_path[128];
static pid_t vm = -1;
static int port;

static const char site_conf[] =
	"app /api/ api.lua\n"
	"app_instructions 2000000\n"
	"app_memory 2097152\n"
	"app_body_max 65536\n";

static const char api_lua[] =
	"local count = 0\n"
	"return function(req)\n"
	"  count = count + 1\n"
	"  local p = req.path\n"
	"  if p == '/api/echo' then\n"
	"    local q = {}\n"
	"    for k, v in pairs(req.query) do q[#q + 1] = k .. '=' .. v end\n"
	"    table.sort(q)\n"
	"    return 200, { ['Content-Type'] = 'text/plain', ['X-Count'] = tostring(count) },\n"
	"      req.method .. '|' .. p .. '|' .. table.concat(q, '&') .. '|' .. (req.headers['x-test'] or '-') ..\n"
	"      '|' .. #req.body .. '|' .. req.body\n"
	"  elseif p == '/api/json' then\n"
	"    local obj = json.decode(req.body)\n"
	"    return 200, { ['Content-Type'] = 'application/json' },\n"
	"      json.encode({ got = obj.name, n = #obj.list }, { keyorder = { 'got', 'n' } })\n"
	"  elseif p == '/api/loop' then\n"
	"    while true do end\n"
	"  elseif p == '/api/hidden-loop' then\n"
	"    while true do pcall(function() while true do end end) end\n"
	"  elseif p == '/api/memory' then\n"
	"    local t = {}\n"
	"    for i = 1, 1e7 do t[i] = string.rep('x', 100) .. i end\n"
	"  elseif p == '/api/error' then\n"
	"    error('handler broke on purpose')\n"
	"  elseif p == '/api/bad' then\n"
	"    return 'not a status'\n"
	"  end\n"
	"  return 404, {}, 'no such api\\n'\n"
	"end\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b = calloc(1, 1 << 20);
	size_t n = f ? fread(b, 1, (1 << 20) - 1, f) : 0;

	b[n] = 0;
	if (f)
		fclose(f);
	return b;
}

struct reply {
	long code;
	char body[8192];
	size_t len;
};

static size_t collect(char *d, size_t sz, size_t n, void *u)
{
	struct reply *r = u;
	size_t k = sz * n, room = sizeof r->body - 1 - r->len;

	memcpy(r->body + r->len, d, k < room ? k : room);
	r->len += k < room ? k : room;
	r->body[r->len] = 0;
	return k;
}

/* method GET/POST; body NULL: none; chunked: send it with Transfer-Encoding. */
static void request(const char *method, const char *path, const char *body, size_t body_len, bool chunked,
		    struct reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "X-Test: hello");
	char url[256];

	memset(r, 0, sizeof *r);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	if (chunked)
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	ck_assert_msg(curl_easy_perform(c) == CURLE_OK, "%s %s: no answer", method, path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void expect(const char *method, const char *path, long code)
{
	struct reply r;

	request(method, path, NULL, 0, false, &r);
	ck_assert_msg(r.code == code, "%s %s: %ld, want %ld: %s", method, path, r.code, code, msg_tail(r.body));
}

/* Packs a site of these files (name, text pairs, NULL-terminated). */
static void make_site(const char *const files[])
{
	char d[400], dir[128];

	loopback_up();
	snprintf(tmp, sizeof tmp, "/tmp/vmm-app-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(dir, sizeof dir, "%s/site", tmp);
	mkdir(dir, 0755);
	for (int i = 0; files[i]; i += 2) {
		snprintf(d, sizeof d, "%s/%s", dir, files[i]);
		write_file(d, files[i + 1]);
	}
	snprintf(d, sizeof d, "tar --format=ustar -C '%s' -cf '%s/site.tar' .", dir, tmp);
	ck_assert_int_eq(system(d), 0);
	port = test_port_base();
	snprintf(out_path, sizeof out_path, "%s/out", tmp);
	snprintf(err_path, sizeof err_path, "%s/err", tmp);
}

/* Starts the site (and its data disk, when data is set); 0 once it
 * listens, else the vmm's exit status (it stopped). */
static int boot(const char *data)
{
	char p[48], d[200], dd[200];
	const char *argv[20];
	int n = 0, st;

	snprintf(p, sizeof p, "127.0.0.1:%d:80", port);
	snprintf(d, sizeof d, "%s/site.tar,ro", tmp);
	unlink(out_path); /* a restart must not find the last boot's lines */
	argv[n++] = vmm_bin();
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = getenv("SITE_KERNEL") ? getenv("SITE_KERNEL") : "build/guest/site.elf";
	argv[n++] = "--mem";
	argv[n++] = "64M";
	argv[n++] = "--disk";
	argv[n++] = d;
	if (data) {
		snprintf(dd, sizeof dd, "%s", data);
		argv[n++] = "--disk";
		argv[n++] = dd;
	}
	argv[n++] = "--publish";
	argv[n++] = p;
	argv[n++] = "--console=output";
	argv[n] = NULL;
	vm = proc_spawn(argv, out_path, err_path);
	ck_assert_int_gt(vm, 0);
	for (long t0 = now_ms(); now_ms() - t0 < WAIT_MS; usleep(20000)) {
		char *o = slurp(out_path);
		int up = strstr(o, "site: listening on vsock port 80") != NULL;

		free(o);
		if (up)
			return 0;
		if (waitpid(vm, &st, WNOHANG) == vm) {
			vm = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
	ck_abort_msg("the site did not come up: %s", msg_tail(slurp(out_path)));
	return -1;
}

static void setup(void)
{
	static const char *const files[] = { "site.conf", site_conf, "api.lua", api_lua, "index.html",
					      "<h1>static</h1>\n", NULL };

	make_site(files);
	ck_assert_msg(boot(NULL) == 0, "the site stopped: %s; stderr: %s", msg_tail(slurp(out_path)),
		      msg_tail(slurp(err_path)));
}

static void teardown(void)
{
	char cmd[128];

	if (vm > 0) {
		kill(vm, SIGKILL);
		waitpid(vm, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		return;
}

START_TEST(handlers_every_status_path)
{
	static char big[70000];
	struct reply r;
	char *console;

	request("GET", "/api/echo?b=two%20words&a=1", NULL, 0, false, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "GET|/api/echo|a=1&b=two words|hello|0|");
	request("POST", "/api/echo", "name=ann&note=hi", 16, false, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "POST|/api/echo||hello|16|name=ann&note=hi");
	request("PUT", "/api/echo", "chunked body", 12, true, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "PUT|/api/echo||hello|12|chunked body");
	request("POST", "/api/json", "{\"name\":\"ann\",\"list\":[1,2,3]}", 29, false, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"got\":\"ann\",\"n\":3}");
	memset(big, 'b', sizeof big);
	request("POST", "/api/echo", big, sizeof big, false, &r);
	ck_assert_int_eq(r.code, 413);
	expect("GET", "/api/loop", 503);
	expect("GET", "/api/hidden-loop", 503);
	expect("GET", "/api/memory", 500);
	expect("GET", "/api/error", 500);
	expect("GET", "/api/bad", 500);
	expect("GET", "/api/none", 404);
	/* and the site still serves */
	request("GET", "/api/echo?x=1", NULL, 0, false, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "GET|/api/echo|x=1|hello|0|");
	expect("GET", "/", 200);
	expect("GET", "/api.lua", 404); /* the script is not a static file */
	request("POST", "/", "x", 1, false, &r);
	ck_assert_msg(r.code == 405 || r.code == 413, "a body to a static route: %ld", r.code);
	usleep(300 * 1000); /* the console is written in batches */
	console = slurp(out_path);
	ck_assert_msg(strstr(console, "handler broke on purpose") && strstr(console, "stack traceback"),
		      "no error with traceback on the console: %s", msg_tail(console));
	ck_assert_msg(strstr(console, "instruction budget"), "no budget line: %s", msg_tail(console));
	free(console);
}
END_TEST

static const char db_conf[] = "app /api/ api.lua\n";
static const char db_schema[] = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);\n";
static const char db_api[] =
	"return function(req)\n"
	"  if req.path == '/api/add' then\n"
	"    local _, id = db.exec('INSERT INTO notes (text) VALUES (?)', req.body)\n"
	"    return 201, {}, tostring(id)\n"
	"  elseif req.path == '/api/get' then\n"
	"    local rows = db.query('SELECT text FROM notes WHERE id = ?', tonumber(req.query.id))\n"
	"    return rows[1] and 200 or 404, {}, rows[1] and rows[1].text or ''\n"
	"  elseif req.path == '/api/ids' then\n"
	"    local out = {}\n"
	"    for _, r in ipairs(db.query('SELECT id FROM notes ORDER BY id')) do out[#out + 1] = r.id end\n"
	"    return 200, {}, table.concat(out, ',')\n"
	"  elseif req.path == '/api/count' then\n"
	"    return 200, {}, tostring(db.query('SELECT count(*) AS n FROM notes')[1].n)\n"
	"  elseif req.path == '/api/check' then\n"
	"    return 200, {}, db.query('PRAGMA integrity_check')[1].integrity_check\n"
	"  elseif req.path == '/api/len' then\n"
	"    return 200, {}, tostring(#req.body)\n"
	"  elseif req.path == '/api/half' then\n"
	"    db.exec('BEGIN')\n"
	"    db.exec('INSERT INTO notes (text) VALUES (?)', 'never committed')\n"
	"    error('failing inside a transaction')\n"
	"  end\n"
	"  return 404, {}, ''\n"
	"end\n";

static char data_img[160];

static void setup_db(void)
{
	static const char *const files[] = { "site.conf", db_conf, "schema.sql", db_schema, "api.lua", db_api,
					      NULL };
	char cmd[300];

	make_site(files);
	snprintf(data_img, sizeof data_img, "%s/data.img", tmp);
	snprintf(cmd, sizeof cmd, "truncate -s 16M '%s'", data_img);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(boot(data_img) == 0, "the site stopped: %s; stderr: %s", msg_tail(slurp(out_path)),
		      msg_tail(slurp(err_path)));
}

static void post(const char *path, const char *body, struct reply *r)
{
	request("POST", path, body, strlen(body), false, r);
}

START_TEST(sql_values_stay_data_and_failed_requests_roll_back)
{
	static const char *const hostile[] = { "x'); DROP TABLE notes; --", "' OR '1'='1", "\"; DELETE FROM notes",
					       "Robert'); --", NULL };
	struct reply r;
	char path[64], *console;

	for (int i = 0; hostile[i]; i++) {
		post("/api/add", hostile[i], &r);
		ck_assert_int_eq(r.code, 201);
		snprintf(path, sizeof path, "/api/get?id=%.20s", r.body);
		request("GET", path, NULL, 0, false, &r);
		ck_assert_int_eq(r.code, 200);
		ck_assert_str_eq(r.body, hostile[i]);
	}
	expect("GET", "/api/half", 500);
	request("GET", "/api/count", NULL, 0, false, &r);
	ck_assert_str_eq(r.body, "4"); /* the half-done insert was rolled back */
	usleep(300 * 1000);
	console = slurp(out_path);
	ck_assert_msg(strstr(console, "rolled back"), "no rollback line: %s", msg_tail(console));
	free(console);
	request("GET", "/api/check", NULL, 0, false, &r);
	ck_assert_str_eq(r.body, "ok");
}
END_TEST

/* Bodies over 256 KiB (the kernel's body buffer and the Lua string, each
 * freed as one big block) again and again in a 64 MiB guest: the pages
 * come back (they leaked before, and the 40th request or so failed). */
START_TEST(big_bodies_reuse_their_memory)
{
	static char body[700 << 10];
	struct reply r;
	char want[32];

	memset(body, 'z', sizeof body);
	snprintf(want, sizeof want, "%zu", sizeof body);
	for (int i = 0; i < 100; i++) {
		request("POST", "/api/len", body, sizeof body, i % 2, &r);
		ck_assert_msg(r.code == 200, "request %d: %ld: %s", i, r.code, msg_tail(slurp(out_path)));
		ck_assert_str_eq(r.body, want);
	}
}
END_TEST

/* 1,000 inserts, then kill -9 of vmm: every insert that was answered 201 is
 * there after a restart, and the database passes integrity_check. */
START_TEST(answered_inserts_survive_kill_9)
{
	static char ids[16384], want[16384];
	struct reply r;
	size_t wl = 0;

	for (int i = 0; i < 1000; i++) {
		char text[32];

		snprintf(text, sizeof text, "note %d", i);
		post("/api/add", text, &r);
		ck_assert_msg(r.code == 201, "insert %d: %ld", i, r.code);
		wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%s", wl ? "," : "", r.body);
	}
	kill(vm, SIGKILL);
	waitpid(vm, NULL, 0);
	vm = -1;
	ck_assert_msg(boot(data_img) == 0, "no restart: %s", msg_tail(slurp(out_path)));
	request("GET", "/api/ids", NULL, 0, false, &r);
	ck_assert_int_eq(r.code, 200);
	snprintf(ids, sizeof ids, "%s", r.body);
	ck_assert_msg(strcmp(ids, want) == 0, "ids after the restart differ: got %.200s... want %.200s...", ids, want);
	request("GET", "/api/check", NULL, 0, false, &r);
	ck_assert_str_eq(r.body, "ok");
}
END_TEST

START_TEST(a_foreign_data_disk_stops_the_boot_with_20)
{
	char cmd[300];
	char *console;
	int st;

	kill(vm, SIGKILL);
	waitpid(vm, NULL, 0);
	vm = -1;
	/* not ours, not blank: a file system's worth of bytes at the start */
	snprintf(cmd, sizeof cmd, "head -c 65536 /dev/urandom | dd of='%s' conv=notrunc status=none", data_img);
	ck_assert_int_eq(system(cmd), 0);
	st = boot(data_img);
	console = slurp(out_path);
	ck_assert_msg(st == 20, "status %d: %s", st, msg_tail(console));
	ck_assert_msg(strstr(console, "the data disk is unusable"), "%s", msg_tail(console));
	free(console);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("app");
	TCase *tc = tcase_create("lua");
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, handlers_every_status_path);
	suite_add_tcase(s, tc);
	tc = tcase_create("db");
	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup_db, teardown);
	tcase_add_test(tc, sql_values_stay_data_and_failed_requests_roll_back);
	tcase_add_test(tc, answered_inserts_survive_kill_9);
	tcase_add_test(tc, a_foreign_data_disk_stops_the_boot_with_20);
	tcase_add_test(tc, big_bodies_reuse_their_memory);
	suite_add_tcase(s, tc);
	rc = run_suite(s);
	curl_global_cleanup();
	return rc;
}
