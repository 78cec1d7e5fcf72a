/* vmmd's front door with real parts: Debian's nginx, the site kernel under
 * KVM, virsh, libcurl. Three sites routed by Host and by SNI, unknown hosts,
 * on-demand start and idle stop, no request lost across many stop/start
 * cycles, a crashing site beside others, define/undefine while serving, a
 * daemon restart, the WAF, and define-time refusals. Run through
 * tests/run-with-kvm.sh. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <curl/curl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "front/http_client.h"
#include "msg_tail.h"

static struct vmmd_inst v;
static char out[16384];
static int http_port, tls_port;

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", msg_tail(out))
#define FAILS(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) != 0, "virsh succeeded: %s", msg_tail(out))
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, msg_tail(out))

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static const char *path_in(const char *name)
{
	static char p[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof p[k], "%s/%s", v.dir, name);
	return p[k];
}

enum { ON_DEMAND = 1, TLS = 2, WAF = 4 };

static bool file_has(const char *path, const char *what)
{
	char line[2048];
	bool found = false;
	FILE *f = fopen(path, "r");

	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Waits until the front door's configuration names NAME.example.test; nginx
 * takes it up a moment later (expect_site allows for that). A request
 * would start an on-demand site, so none is made here. */
static void wait_routed(const char *name)
{
	char conf[600], host[128];

	snprintf(conf, sizeof conf, "%s/front/nginx.conf", v.state);
	snprintf(host, sizeof host, " %s.example.test", name);
	for (int i = 0; i < 100; i++) {
		if (file_has(conf, host))
			return;
		sleep_ms(100);
	}
	ck_abort_msg("%s is not in %s", host, conf);
}

/* A site answering for NAME.example.test whose /who.txt says NAME. */
static void define_site(const char *name, unsigned flags, int idle_stop)
{
	char kernel[PATH_MAX], xml[8192], extra[1024] = "", attrs[128] = "";

	ck_assert_ptr_nonnull(realpath(BUILD_DIR "/guest/site.elf", kernel));
	sh("d='%s' && mkdir -p \"$d\" && printf '<h1>%s</h1>\\n' > \"$d/index.html\" && printf '%s\\n' > \"$d/who.txt\" "
	   "&& printf 'host %s.example.test\\n' > \"$d/site.conf\" && tar --format=ustar -C \"$d\" -cf '%s.tar' .",
	   path_in(name), name, name, name, path_in(name));
	if (flags & TLS) {
		sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=%s.example.test "
		   "-addext subjectAltName=DNS:%s.example.test -keyout '%s.key' -out '%s.crt' 2>/dev/null",
		   name, name, path_in(name), path_in(name));
		snprintf(extra, sizeof extra, "      <vmm:tls cert='%s.crt' key='%s.key'/>\n", path_in(name), path_in(name));
	}
	if (flags & WAF)
		strcat(extra, "      <vmm:waf/>\n");
	if (flags & ON_DEMAND)
		snprintf(attrs, sizeof attrs, " on-demand='yes' idle-stop='%d'", idle_stop);
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'>\n  <name>%s</name>\n  <memory unit='MiB'>32</memory>\n  <vcpu>1</vcpu>\n"
		 "  <os>\n    <type>hvm</type>\n    <kernel>%s</kernel>\n  </os>\n"
		 "  <devices>\n    <disk type='file' device='disk'>\n      <source file='%s.tar'/>\n"
		 "      <target dev='vda' bus='virtio'/>\n      <readonly/>\n    </disk>\n"
		 "    <vsock model='virtio'>\n      <cid auto='yes'/>\n    </vsock>\n  </devices>\n"
		 "  <metadata>\n    <vmm:site xmlns:vmm='urn:x-vmm:domain:1'%s>\n"
		 "      <vmm:host name='%s.example.test'/>\n%s    </vmm:site>\n  </metadata>\n</domain>\n",
		 name, kernel, path_in(name), attrs, name, extra);
	OK("define %s", write_xml(&v, "site.xml", xml));
	wait_routed(name);
}


static void wait_unrouted(const char *name)
{
	char host[128];
	struct reply r;

	snprintf(host, sizeof host, "%s.example.test", name);
	for (int i = 0; i < 100; i++) {
		if (http_get_host(false, host, http_port, "/who.txt", NULL, &r) == 0 && r.status == 404 &&
		    strstr(r.body, "<center>nginx</center>"))
			return;
		sleep_ms(100);
	}
	ck_abort_msg("%s is still routed by the front door", host);
}

static void get(const char *name, bool tls, const char *path, const char *ca, struct reply *r)
{
	char host[128];

	snprintf(host, sizeof host, "%s.example.test", name);
	http_get_host(tls, host, tls ? tls_port : http_port, path, ca, r);
}

/* The comm and parent of pid from /proc/PID/stat; false when it is gone. */
static bool proc_comm_ppid(long pid, char *comm, size_t size, long *ppid)
{
	char path[64], buf[512], *open_p, *close_p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p || sscanf(close_p + 2, "%*c %ld", ppid) != 1)
		return false;
	snprintf(comm, size, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	return true;
}

/* Whether the front door's nginx (vmmd's child) runs one worker, of the
 * newest configuration: after a reload the old one can still take a
 * connection for a moment, and answers from the old configuration (its
 * own 404 for a site defined since), until it has closed its listeners
 * and ends. */
static bool front_settled(void)
{
	long master = 0, workers = 0, ppid;
	bool old_worker = false;
	char comm[64], cmd[256];
	struct dirent *de;
	DIR *d;

	for (int pass = 0; pass < 2; pass++) {
		if (!(d = opendir("/proc")))
			return false;
		while ((de = readdir(d))) {
			long pid = strtol(de->d_name, NULL, 10);

			if (pid <= 1 || !proc_comm_ppid(pid, comm, sizeof comm, &ppid))
				continue;
			if (pass == 0 && ppid == (long)v.pid && strcmp(comm, "nginx") == 0)
				master = pid;
			else if (pass == 1 && master && ppid == master) {
				workers++;
				old_worker |= proc_cmdline((pid_t)pid, cmd, sizeof cmd) && strstr(cmd, "shutting down");
			}
		}
		closedir(d);
	}
	return master && workers == 1 && !old_worker;
}

/* GET /who.txt of a site; asserts the site itself answered. */
static void expect_site(const char *name, bool tls)
{
	char want[80], ca[600];
	struct reply r;

	snprintf(ca, sizeof ca, "%s.crt", path_in(name));
	for (int i = 0; i < 100; i++) { /* nginx's own 404: the reload is still on its way */
		get(name, tls, "/who.txt", tls ? ca : NULL, &r);
		if (r.status != 404 || !strstr(r.body, "<center>nginx</center>"))
			break;
		sleep_ms(100);
	}
	snprintf(want, sizeof want, "%s\n", name);
	ck_assert_msg(r.status == 200 && strcmp(r.body, want) == 0, "%s%s: status %ld (%s), body '%s'",
		      tls ? "https " : "", name, r.status, r.err, msg_tail(r.body));
	/* routed for every later request too: no worker of an older
	 * configuration left to take one */
	for (int i = 0; i < 250 && !front_settled(); i++)
		sleep_ms(20);
	ck_assert_msg(front_settled(), "the front door's nginx still runs a worker of an older configuration");
}

static void expect_status(const char *name, bool tls, const char *path, long status)
{
	struct reply r;

	/* nginx's own 404 while a reload is still reaching every worker (an old
	 * worker may take a connection in the moment the new ones start) */
	for (int i = 0; i < 100; i++) {
		get(name, tls, path, NULL, &r);
		if (status == 404 || r.status != 404 || !strstr(r.body, "<center>nginx</center>"))
			break;
		sleep_ms(100);
	}
	ck_assert_msg(r.status == status, "%s%s%s: status %ld (want %ld; %s) body '%s'", tls ? "https " : "", name,
		      path, r.status, status, r.err, msg_tail(r.body));
}

static int count_in_file(const char *path, const char *what)
{
	char line[2048];
	int n = 0;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof line, f))
		n += strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void daemon_up(void)
{
	char args[512], vmm[PATH_MAX];

	snprintf(args, sizeof args,
		 "--start-wait=2000 --shutdown-timeout=60 --front=127.0.0.1:%d --front-tls=127.0.0.1:%d", http_port,
		 tls_port);
	ck_assert_int_eq(vmmd_restart(&v, args), 0);
	(void)vmm;
	/* vmmd listens before its nginx does */
	for (int i = 0; i < 100; i++) {
		struct reply r;

		if (http_get_host(false, "nobody.example.test", http_port, "/", NULL, &r) == 0 && r.status == 404)
			return;
		sleep_ms(100);
	}
	ck_abort_msg("the front door does not answer on port %d", http_port);
}

static void setup(void)
{
	char vmm[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(BUILD_DIR "/vmm", vmm));
	ck_assert_int_eq(vmmd_init(&v, vmm), 0);
	/* nginx's workers (www-data) must reach the sockets under it */
	ck_assert_int_eq(chmod(v.dir, 0711), 0);
	http_port = free_port();
	tls_port = free_port();
	daemon_up();
}

static void teardown(void)
{
	vmmd_fixture_down(&v); /* a clean exit: no crash, no leak */
}

START_TEST(routes_by_host_and_sni)
{
	char log[600];

	define_site("a", ON_DEMAND | TLS, 300);
	define_site("b", ON_DEMAND | TLS, 300);
	define_site("c", ON_DEMAND, 300);
	OK("list --all");
	HAS("shut off");
	expect_site("a", false);
	expect_site("b", false);
	expect_site("c", false);
	expect_site("a", true);   /* the certificate checked is a's own: SNI chose it */
	expect_site("b", true);
	expect_status("nobody", false, "/", 404); /* the front door's own answer */
	expect_status("c", true, "/", 421);       /* c has no TLS: nobody to answer */
	expect_status("nobody", true, "/", 421);
	/* the site's access log names the client, not the host's vsock end */
	snprintf(log, sizeof log, "%s/run/a.log", v.state);
	for (int i = 0; i < 100 && !file_has(log, "127.0.0.1 - - ["); i++)
		sleep_ms(100); /* the guest writes its log in batches */
	ck_assert_msg(file_has(log, "127.0.0.1 - - ["), "no client address in a's access log");
	OK("dumpxml a");
	HAS("<vmm:host name='a.example.test'/>");
	HAS("on-demand='yes'");
	{
		const char *f = write_xml(&v, "dump.xml", out);
		char cmd[700];

		snprintf(cmd, sizeof cmd, "virt-xml-validate '%s' domain >/dev/null 2>&1", f);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(on_demand_start_and_idle_stop)
{
	define_site("a", ON_DEMAND, 1);
	OK("domstate --reason a");
	HAS("shut off");
	expect_site("a", false);
	/* the site can answer before vmmd has the report of the vmm's cgroup
	 * move (it waits for an RCU grace period, core/cgroup_move.h):
	 * "paused" (starting up) until then, for some milliseconds */
	ck_assert_int_eq(wait_state(&v, "a", "running", 5000), 0);
	ck_assert_int_eq(wait_state(&v, "a", "shut off", 30000), 0);
	OK("domstate --reason a");
	HAS("shut off (shutdown)");
	OK("dominfo a");
	HAS("shut off");
	expect_site("a", false); /* started again by the request */
	/* virsh still drives on-demand sites */
	define_site("b", ON_DEMAND, 300);
	OK("start b");
	OK("domstate b");
	HAS("running");
	OK("shutdown b");
	ck_assert_int_eq(wait_state(&v, "b", "shut off", 30000), 0);
	OK("domstate --reason b");
	HAS("shut off (shutdown)");
	expect_site("b", false);
}
END_TEST

/* The loop: requests with pauses around the idle time, so the site
 * stops and starts again many times, some requests landing while it stops. */
START_TEST(no_request_lost_across_stop_and_start)
{
	struct client *c = client_new();
	int failures = 0, requests = 0, starts;
	unsigned seed = (unsigned)ms_now();

	define_site("a", ON_DEMAND, 1);
	expect_site("a", false); /* routed: from here on every answer must be a's */
	for (int64_t end = ms_now() + 40000; ms_now() < end;) {
		struct reply r;

		client_get(c, false, "a.example.test", http_port, "/who.txt", NULL, 60000, &r);
		requests++;
		if (r.status != 200 || strcmp(r.body, "a\n") != 0) {
			failures++;
			fprintf(stderr, "request %d: status %ld (%s)\n", requests, r.status, r.err);
		}
		sleep_ms(1200 + (int)(rand_r(&seed) % 1400)); /* around keep-alive 0.5 s + idle 1 s */
	}
	client_free(c);
	expect_site("a", false);
	OK("domid a"); /* each start takes the next id: how many starts there were */
	starts = atoi(out);
	fprintf(stderr, "front: %d requests across %d starts of an idle-stopping site, %d failed\n", requests,
		starts, failures);
	ck_assert_int_eq(failures, 0);
	ck_assert_int_gt(requests, 10);
	ck_assert_int_ge(starts, 5);
}
END_TEST

/* The vmm of a running site: once vmmd has recorded its pid (the site may
 * answer before that: the record waits for the vmm's move into the VM's
 * cgroups). */
static pid_t vmm_pid_of(const char *name)
{
	char path[600], line[128];
	long pid = -1;
	FILE *f;

	ck_assert_int_eq(wait_state(&v, name, "running", 10000), 0);
	snprintf(path, sizeof path, "%s/run/%s.state", v.state, name);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "vmm=%ld", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return (pid_t)pid;
}

START_TEST(crash_of_one_site_spares_the_others)
{
	struct client *c = client_new();
	int failures = 0;
	pid_t pid;

	define_site("a", ON_DEMAND, 300);
	define_site("b", ON_DEMAND, 300);
	expect_site("a", false);
	expect_site("b", false);
	pid = vmm_pid_of("a");
	ck_assert_int_gt(pid, 1);
	for (int i = 0; i < 200; i++) {
		struct reply r;

		if (i == 50)
			kill(pid, SIGKILL);
		client_get(c, false, "b.example.test", http_port, "/who.txt", NULL, 30000, &r);
		failures += r.status != 200;
	}
	client_free(c);
	ck_assert_int_eq(failures, 0);
	ck_assert_int_eq(wait_state(&v, "a", "shut off", 10000), 0);
	OK("domstate --reason a");
	HAS("crashed");
	sleep_ms(2500); /* past the hold after a crash */
	expect_site("a", false);
}
END_TEST

START_TEST(define_and_undefine_while_serving)
{
	struct client *c = client_new();
	int failures = 0;

	define_site("a", ON_DEMAND, 300);
	expect_site("a", false);
	for (int round = 0; round < 5; round++) {
		struct reply r;

		define_site("d", ON_DEMAND, 300);
		for (int i = 0; i < 20; i++) {
			client_get(c, false, "a.example.test", http_port, "/who.txt", NULL, 30000, &r);
			failures += r.status != 200;
		}
		expect_site("d", false);
		OK("destroy d");
		OK("undefine d");
		for (int i = 0; i < 20; i++) {
			client_get(c, false, "a.example.test", http_port, "/who.txt", NULL, 30000, &r);
			failures += r.status != 200;
		}
		wait_unrouted("d");
	}
	client_free(c);
	ck_assert_int_eq(failures, 0);
}
END_TEST

START_TEST(daemon_restart_and_nginx_death)
{
	char pidfile[600], *end;
	FILE *f;
	long npid = 0;

	pid_t standby;

	define_site("a", ON_DEMAND, 300); /* running across the restart */
	define_site("b", ON_DEMAND, 300); /* stopped across it */
	expect_site("a", false);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	daemon_up();
	OK("domstate a");
	HAS("running");
	OK("domstate b");
	HAS("shut off");
	/* with a stopped on-demand site, the restarted daemon makes a standby
	 * vmm of its size at once, and b's first request is handed to it */
	standby = vmmd_standby_pid(&v, 32768, 10000);
	ck_assert_msg(standby > 0, "no standby vmm after the restart");
	for (int i = 0; i < 50 && !npid; i++) { /* the front door starts with the daemon */
		struct reply r;

		get("a", false, "/who.txt", NULL, &r);
		if (r.status == 200)
			break;
		sleep_ms(100);
	}
	expect_site("a", false);
	expect_site("b", false);
	ck_assert_int_eq(wait_state(&v, "b", "running", 5000), 0); /* its pid recorded */
	ck_assert_int_eq(vmmd_vmm_pid(&v, "b"), standby);
	/* nginx killed: vmmd starts it again */
	snprintf(pidfile, sizeof pidfile, "%s/front/nginx.pid", v.state);
	f = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld", &npid), 1);
	fclose(f);
	ck_assert_int_eq(kill((pid_t)npid, SIGKILL), 0);
	end = NULL;
	for (int i = 0; i < 100; i++) {
		struct reply r;

		get("a", false, "/who.txt", NULL, &r);
		if (r.status == 200) {
			end = "up";
			break;
		}
		sleep_ms(100);
	}
	ck_assert_msg(end != NULL, "the front door did not come back after nginx was killed");
}
END_TEST

START_TEST(waf_blocks_attacks_on_its_site_only)
{
	static const char sqli[] = "/who.txt?id=1%27%20OR%20%271%27=%271";

	define_site("a", ON_DEMAND | WAF, 300);
	define_site("b", ON_DEMAND, 300);
	expect_site("a", false);
	expect_site("b", false);
	expect_status("a", false, sqli, 403);
	expect_status("b", false, sqli, 200);
}
END_TEST

START_TEST(bad_sites_are_refused_at_define)
{
	static const char *const bad[] = { "a b.example", "*.example.test", "ex\xc3\xa4mple.test", "-a.example",
					   "a..example", "a.example." };
	char xml[2048], name[300];

	define_site("a", ON_DEMAND, 300);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0] + 2; i++) {
		const char *h = i < sizeof bad / sizeof bad[0] ? bad[i] : name;

		if (i == sizeof bad / sizeof bad[0]) {
			memset(name, 'a', 254); /* 254 bytes in labels of 63 */
			for (int k = 63; k < 254; k += 64)
				name[k] = '.';
			name[254] = 0;
		} else if (i > sizeof bad / sizeof bad[0]) {
			snprintf(name, sizeof name, "a.example.test"); /* a's */
		}
		snprintf(xml, sizeof xml,
			 "<domain type='kvm'><name>x</name><memory>16384</memory><os><type>hvm</type>"
			 "<kernel>%s/nonexistent</kernel></os><devices><vsock model='virtio'><cid auto='yes'/></vsock>"
			 "</devices><metadata><vmm:site xmlns:vmm='urn:x-vmm:domain:1'><vmm:host name='%s'/>"
			 "</vmm:site></metadata></domain>",
			 v.dir, h);
		FAILS("define %s", write_xml(&v, "bad.xml", xml));
		if (i > sizeof bad / sizeof bad[0])
			HAS("already belongs to domain 'a'");
	}
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'><name>x</name><memory>16384</memory><os><type>hvm</type>"
		 "<kernel>%s/nonexistent</kernel></os><devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>"
		 "<metadata><vmm:site xmlns:vmm='urn:x-vmm:domain:1'><vmm:host name='x.example.test'/>"
		 "<vmm:tls cert='%s/missing.crt' key='%s/missing.key'/></vmm:site></metadata></domain>",
		 v.dir, v.dir, v.dir);
	FAILS("define %s", write_xml(&v, "bad.xml", xml));
	HAS("missing.crt");
	/* a certificate nginx refuses (not PEM) */
	sh("echo junk > '%s' && echo junk > '%s'", path_in("junk.crt"), path_in("junk.key"));
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'><name>x</name><memory>16384</memory><os><type>hvm</type>"
		 "<kernel>%s/nonexistent</kernel></os><devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>"
		 "<metadata><vmm:site xmlns:vmm='urn:x-vmm:domain:1'><vmm:host name='x.example.test'/>"
		 "<vmm:tls cert='%s' key='%s'/></vmm:site></metadata></domain>",
		 v.dir, path_in("junk.crt"), path_in("junk.key"));
	FAILS("define %s", write_xml(&v, "bad.xml", xml));
	HAS("nginx refuses");
	OK("list --all --name");
	ck_assert_msg(strstr(out, "x\n") == NULL, "a refused domain is listed: %s", msg_tail(out));
	expect_site("a", false); /* the old configuration keeps serving */
}
END_TEST

START_TEST(front_address_in_use_exits_2)
{
	char cmd[2048], log[600];
	int st;

	snprintf(log, sizeof log, "%s/second.log", v.dir);
	snprintf(cmd, sizeof cmd,
		 "%s/vmmd -f --socket '%s/sock2' --state-dir '%s/state2' --front 127.0.0.1:%d >'%s' 2>&1",
		 BUILD_DIR, v.dir, v.dir, http_port, log);
	st = system(cmd);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
	ck_assert_msg(file_has(log, "Address already in use"), "no clear error in %s", log);
	ck_assert_int_eq(count_in_file(log, ""), 1); /* one line */
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		routes_by_host_and_sni, on_demand_start_and_idle_stop, no_request_lost_across_stop_and_start,
		crash_of_one_site_spares_the_others, define_and_undefine_while_serving, daemon_restart_and_nginx_death,
		waf_blocks_attacks_on_its_site_only, bad_sites_are_refused_at_define, front_address_in_use_exits_2,
		NULL,
	};
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed = suite_run(one_case_suite("front", "front", 600, setup, teardown, tests));
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
