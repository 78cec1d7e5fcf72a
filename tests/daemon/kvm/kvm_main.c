/* vmmd with the real vmm, the test guests and the site image (needs KVM:
 * run it through tests/run-with-kvm.sh). Few tests, generous timeouts: under
 * nested emulation a boot takes seconds. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "integration/loopback.h"
#include "msg_tail.h"

static struct vmmd_inst v;
static char out[16384];

/* A shutdown the guest obeys must never reach the destroy fallback: give it
 * far longer than any emulated host needs. */
#define DAEMON_ARGS "--start-wait=2000 --shutdown-timeout=240"
#define SITE_MEM_KIB 65536ul /* site_xml's */
#define BOOT_MS 180000 /* start to the first HTTP 200 */

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", msg_tail(out))
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, msg_tail(out))

static void quiet(void *data, virErrorPtr err)
{
	(void)data, (void)err;
}

/* GET / on 127.0.0.1:port with a raw socket; the whole answer (up to
 * size - 1 bytes) goes to body. Returns the HTTP status, or -1 when nothing
 * came (refused, reset: the guest is not listening yet). */
static int http_get(int port, char *body, size_t size, int timeout_ms)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int64_t end = now_ms() + timeout_ms;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), code = -1;
	size_t n = 0;

	body[0] = 0;
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0 || send(s, req, sizeof req - 1, MSG_NOSIGNAL) < 0) {
		close(s);
		return -1;
	}
	while (n + 1 < size) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		int left = (int)(end - now_ms());
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		r = recv(s, body + n, size - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(s);
	body[n] = 0;
	if (sscanf(body, "HTTP/1.%*1[01] %d", &code) != 1)
		code = -1;
	return code;
}

/* Polls GET / until it answers 200 (up to ms). Returns the ms it took, or -1. */
static int wait_http_200(int port, char *body, size_t size, int ms)
{
	int64_t t0 = now_ms();

	while (now_ms() - t0 <= ms) {
		if (http_get(port, body, size, 10000) == 200)
			return (int)(now_ms() - t0);
		usleep(20000);
	}
	return -1;
}

static bool log_has(const char *what)
{
	char path[512], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "%s/vmmd.log", v.dir);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* The site domain: the site kernel with examples/site packed as its
 * read-only disk, guest port 80 published on 127.0.0.1:port. */
static void site_xml(char *xml, size_t size, const char *name, int port)
{
	char kernel[PATH_MAX], cmd[1024], tar[600];

	ck_assert_ptr_nonnull(realpath(BUILD_DIR "/guest/site.elf", kernel));
	snprintf(tar, sizeof tar, "%s/site.tar", v.dir);
	snprintf(cmd, sizeof cmd, "tar --format=ustar -C examples/site -cf '%s' .", tar);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(xml, size,
		 "<domain type='kvm'>\n  <name>%s</name>\n  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n"
		 "  <os>\n    <type>hvm</type>\n    <kernel>%s</kernel>\n  </os>\n"
		 "  <on_poweroff>destroy</on_poweroff>\n"
		 "  <devices>\n"
		 "    <disk type='file' device='disk'>\n      <source file='%s'/>\n"
		 "      <target dev='vda' bus='virtio'/>\n      <readonly/>\n    </disk>\n"
		 "    <vsock model='virtio'>\n      <cid auto='yes'/>\n    </vsock>\n"
		 "  </devices>\n"
		 "  <metadata>\n    <vmm:vsock xmlns:vmm='urn:x-vmm:domain:1'>\n"
		 "      <vmm:publish host='127.0.0.1:%d' guest='80'/>\n    </vmm:vsock>\n  </metadata>\n"
		 "</domain>\n",
		 name, kernel, tar, port);
}

static void setup(void)
{
	char vmm[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(BUILD_DIR "/vmm", vmm));
	loopback_up();
	ck_assert_int_eq(vmmd_start(&v, vmm, DAEMON_ARGS), 0);
}

static void teardown(void)
{
	vmmd_fixture_down(&v); /* a clean exit: no crash, no leak */
}

static void define(const char *name, const char *guest)
{
	char kernel[PATH_MAX], path[PATH_MAX + 32], xml[2048];

	snprintf(path, sizeof path, "%s/guests/%s.elf", BUILD_DIR, guest);
	ck_assert_ptr_nonnull(realpath(path, kernel));
	domain_xml(xml, sizeof xml, name, kernel);
	OK("define %s", write_xml(&v, "d.xml", xml));
}

/* vmmd opened the files below the image directories and vmm got them as
 * descriptors: its command line names no path, its fd 4 is the kernel's
 * sealed copy (core/kernel_share.c), a memfd named after it. */
static void vmm_reads_descriptors(const char *name)
{
	char path[700], cmdline[4096], link[PATH_MAX], kernel[PATH_MAX], want[PATH_MAX + 64];
	pid_t pid = vmmd_vmm_pid(&v, name);
	ssize_t n;

	ck_assert_int_gt(pid, 1);
	ck_assert_uint_gt(proc_cmdline(pid, cmdline, sizeof cmdline), 0);
	ck_assert_msg(strstr(cmdline, "--kernel=fd:4 ") && strstr(cmdline, "--disk=fd:5,ro"), "%s", cmdline);
	snprintf(path, sizeof path, "/proc/%ld/fd/4", (long)pid);
	n = readlink(path, link, sizeof link - 1);
	ck_assert_int_gt(n, 0);
	link[n] = 0;
	ck_assert_ptr_nonnull(realpath(BUILD_DIR "/guest/site.elf", kernel));
	snprintf(want, sizeof want, "/memfd:vmm-kernel:%s (deleted)", kernel);
	ck_assert_str_eq(link, want);
}

/* The inode of the kernel memfd mapped into a vmm's guest RAM (its
 * /proc/PID/maps), and how many of its mappings name it; 0 if none. */
static unsigned long kernel_map_inode(long pid, unsigned *mappings)
{
	char path[64], line[1024];
	unsigned long ino = 0;
	FILE *f;

	*mappings = 0;
	snprintf(path, sizeof path, "/proc/%ld/maps", pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		unsigned long i;

		if (!strstr(line, "/memfd:vmm-kernel:") || sscanf(line, "%*s %*s %*s %*s %lu", &i) != 1)
			continue;
		ck_assert_msg(ino == 0 || ino == i, "two kernel memfds in one vmm: %lu, %lu", ino, i);
		ino = i;
		(*mappings)++;
	}
	fclose(f);
	return ino;
}

START_TEST(lifecycle_with_real_guests)
{
	define("echo", "echo");
	OK("start echo");
	OK("domstate echo");
	HAS("running");
	OK("suspend echo");
	OK("resume echo");
	/* a daemon restart adopts the running VM */
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, DAEMON_ARGS), 0);
	OK("list");
	HAS("echo");
	HAS("running");
	OK("destroy echo");
	OK("domstate --reason echo");
	HAS("shut off (destroyed)");
	/* a guest that powers off by itself */
	define("hello", "hello");
	OK("start hello");
	ck_assert_int_eq(wait_state(&v, "hello", "shut off", 60000), 0);
	OK("domstate --reason hello");
	HAS("shut off (shutdown)");
	OK("undefine echo");
	OK("undefine hello");
}
END_TEST

/* The lifecycle on the site image, with the virsh binary: define ->
 * start -> HTTP 200 while running -> shutdown through the guest's own
 * power-off (not the destroy fallback) -> undefine. */
START_TEST(site_lifecycle)
{
	char xml[4096], body[8192];
	int port = free_port(), ms;
	int64_t t0;

	ck_assert_int_gt(port, 0);
	site_xml(xml, sizeof xml, "site", port);
	OK("define %s", write_xml(&v, "site.xml", xml));
	OK("dumpxml site");
	HAS("<source file=");
	HAS("guest='80'");
	t0 = now_ms();
	OK("start site");
	ms = wait_http_200(port, body, sizeof body, BOOT_MS);
	ck_assert_msg(ms >= 0, "no HTTP 200 from the site on port %d: %s", port, msg_tail(body));
	fprintf(stderr, "site: virsh start to first HTTP 200: %d ms\n", (int)(now_ms() - t0));
	ck_assert_msg(strstr(body, "\r\n\r\n") && strstr(body, "<"), "no page in: %s", msg_tail(body));
	OK("domstate site");
	HAS("running");
	ck_assert_int_eq(http_get(port, body, sizeof body, 30000), 200); /* and again */
	vmm_reads_descriptors("site");

	t0 = now_ms();
	OK("shutdown site");
	ck_assert_int_eq(wait_state(&v, "site", "shut off", 200000), 0);
	fprintf(stderr, "site: virsh shutdown to shut off: %d ms\n", (int)(now_ms() - t0));
	OK("domstate --reason site");
	HAS("shut off (shutdown)"); /* the destroy fallback would say (destroyed) */
	ck_assert_msg(!log_has("did not shut down in time"), "vmmd fell back to destroy");
	ck_assert_int_eq(http_get(port, body, sizeof body, 5000), -1); /* the port is gone */
	OK("undefine site");
	OK("list --all --name");
	ck_assert_msg(strstr(out, "site") == NULL, "still listed: %s", msg_tail(out));
}
END_TEST

/* A domain with no <kernel>: its disk is examples/site's single-file image
 * (vmm image create), which vmm boots through its firmware (firmware/);
 * vmmd passes vmm no --kernel, the image is fd 4. */
START_TEST(site_image_domain_boots_through_firmware)
{
	char xml[4096], body[8192], img[600], cmd[1024], cmdline[4096];
	int port = free_port(), ms;
	pid_t pid;

	ck_assert_int_gt(port, 0);
	snprintf(img, sizeof img, "%s/site.img", v.dir);
	snprintf(cmd, sizeof cmd, BUILD_DIR "/vmm image create examples/site -o '%s' -f >/dev/null", img);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'>\n  <name>img</name>\n  <memory unit='MiB'>64</memory>\n"
		 "  <os>\n    <type>hvm</type>\n  </os>\n"
		 "  <devices>\n"
		 "    <disk type='file' device='disk'>\n      <source file='%s'/>\n"
		 "      <target dev='vda' bus='virtio'/>\n      <readonly/>\n    </disk>\n"
		 "    <vsock model='virtio'>\n      <cid auto='yes'/>\n    </vsock>\n"
		 "  </devices>\n"
		 "  <metadata>\n    <vmm:vsock xmlns:vmm='urn:x-vmm:domain:1'>\n"
		 "      <vmm:publish host='127.0.0.1:%d' guest='80'/>\n    </vmm:vsock>\n  </metadata>\n"
		 "</domain>\n",
		 img, port);
	OK("define %s", write_xml(&v, "img.xml", xml));
	OK("dumpxml img");
	ck_assert_msg(!strstr(out, "<kernel>"), "%s", msg_tail(out));
	OK("start img");
	ms = wait_http_200(port, body, sizeof body, BOOT_MS);
	ck_assert_msg(ms >= 0, "no HTTP 200 from the image on port %d: %s", port, msg_tail(body));
	pid = vmmd_vmm_pid(&v, "img");
	ck_assert_int_gt(pid, 1);
	ck_assert_uint_gt(proc_cmdline(pid, cmdline, sizeof cmdline), 0);
	ck_assert_msg(!strstr(cmdline, "--kernel") && strstr(cmdline, "--disk=fd:4,ro"), "%s", cmdline);
	OK("destroy img");
	OK("undefine img");
}
END_TEST

/* A daemon restart adopts the running site VM (libvirt's C API this time):
 * it keeps answering, and the new daemon can destroy it. */
START_TEST(site_adopted_after_daemon_restart)
{
	char xml[4096], body[8192];
	int port = free_port(), state = -1, reason = -1;
	virConnectPtr c;
	virDomainPtr d;

	virSetErrorFunc(NULL, quiet);
	ck_assert_int_gt(port, 0);
	site_xml(xml, sizeof xml, "site2", port);
	c = virConnectOpen(v.uri);
	ck_assert_ptr_nonnull(c);
	d = virDomainDefineXML(c, xml);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(virDomainCreate(d), 0);
	ck_assert_msg(wait_http_200(port, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200: %s", msg_tail(body));
	virDomainFree(d);
	virConnectClose(c);

	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(http_get(port, body, sizeof body, 30000), 200); /* no daemon: still served */
	ck_assert_int_eq(vmmd_restart(&v, DAEMON_ARGS), 0);
	c = virConnectOpen(v.uri);
	ck_assert_ptr_nonnull(c);
	d = virDomainLookupByName(c, "site2");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(virDomainGetState(d, &state, &reason, 0), 0);
	ck_assert_int_eq(state, VIR_DOMAIN_RUNNING);
	ck_assert_int_gt(virDomainGetID(d), 0);
	ck_assert_int_eq(http_get(port, body, sizeof body, 30000), 200);

	ck_assert_int_eq(virDomainDestroy(d), 0);
	ck_assert_int_eq(virDomainGetState(d, &state, &reason, 0), 0);
	ck_assert_int_eq(state, VIR_DOMAIN_SHUTOFF);
	ck_assert_int_eq(reason, VIR_DOMAIN_SHUTOFF_DESTROYED);
	ck_assert_int_eq(http_get(port, body, sizeof body, 5000), -1);
	ck_assert_int_eq(virDomainUndefine(d), 0);
	virDomainFree(d);
	virConnectClose(c);
}
END_TEST

/* A guest flooding its console (tests/guests/flood.c) cannot grow its log
 * past vmmd's --console-log-max: vmm bounds the file vmmd gives it as stdout
 * and stderr, and counts what the rate limit drops in it. */
START_TEST(flooding_domain_log_stays_under_the_cap)
{
	char path[400];
	long size = 0, most = 0;
	bool cut = false, dropped = false;
	FILE *f;

	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, DAEMON_ARGS " --console-log-max=256K --console-rate=128K"), 0);
	define("flood", "flood");
	OK("start flood");
	snprintf(path, sizeof path, "%s/run/flood.log", v.state);
	/* until both limits have acted, and a second on */
	for (int64_t t0 = now_ms(), done = 0; now_ms() - t0 < 120000 && (!done || now_ms() < done);) {
		char line[256];

		usleep(50000);
		f = fopen(path, "r");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		most = size > most ? size : most;
		rewind(f);
		while (fgets(line, sizeof line, f)) {
			cut |= strstr(line, "vmm: flood: console: log over its cap of 262144 bytes") != NULL;
			dropped |= strstr(line, " bytes dropped (rate limit)") != NULL;
		}
		fclose(f);
		if (cut && dropped && !done)
			done = now_ms() + 1000;
	}
	OK("destroy flood");
	ck_assert_msg(cut && dropped, "cut %d, dropped %d, log %ld bytes", cut, dropped, size);
	ck_assert_int_le(most, 256 << 10);
	OK("undefine flood");
}
END_TEST

/* The first number in a file (a cgroup's), or in its line starting with key;
 * -1 when it cannot be read: the group is gone. */
static long long read_num(const char *path, const char *key)
{
	char line[256];
	long long n = -1;
	FILE *f = fopen(path, "r");

	while (f && n < 0 && fgets(line, sizeof line, f))
		if (!key || strncmp(line, key, strlen(key)) == 0)
			n = strtoll(line + (key ? strlen(key) : 0), NULL, 10);
	if (f)
		fclose(f);
	return n;
}

/* GET / on the serving VM, one request after another until stop. */
struct load {
	int port;
	atomic_bool stop;
	atomic_long ok, errors;
	atomic_int last_error; /* the status of the last failure (-1: no answer) */
};

static void *load_run(void *arg)
{
	struct load *l = arg;
	char body[8192];

	while (!atomic_load(&l->stop)) {
		int code = http_get(l->port, body, sizeof body, 10000);

		if (code == 200) {
			atomic_fetch_add(&l->ok, 1);
		} else {
			atomic_fetch_add(&l->errors, 1);
			atomic_store(&l->last_error, code);
		}
		usleep(5000); /* two shared CPUs: leave the VMs some */
	}
	return NULL;
}

#define HOG_LIMIT (96ll << 20)
#define HOG_MS    4000 /* how long the test watches after the hog is let go */

/* A guest touching all its 256 MiB (tests/guests/memhog.c) under a 96 MiB
 * <memtune><hard_limit>: its group's peak never passes the limit, and either
 * the kernel's OOM killer ends it (crashed, with vmmd's OOM line) or it keeps
 * running within the limit; a site VM on the default limit meanwhile answers
 * every request. The hog starts paused and is resumed once the group is
 * being watched: vmmd's start waits (--start-wait) to report a vmm that dies
 * at once, and a hog killed in that window would be a failed start with its
 * group already gone. */
START_TEST(memory_hog_stays_within_its_limit)
{
	char xml[PATH_MAX + 1024], kernel[PATH_MAX], dir[PATH_MAX], grp[PATH_MAX + 48], path[2 * PATH_MAX], uuid[40];
	char line[256], last[256] = "";
	const char *peak_file, *oom_file, *limit_file;
	struct load l = { .port = free_port() };
	long long peak = -1, oom = 0, n;
	long served_while_hog = -1;
	int64_t t0, gone = -1;
	pthread_t th;
	int v2;
	FILE *f;

	if (log_has("vmmd: warning: VMs run without ")) {
		fprintf(stderr, "memory_hog_stays_within_its_limit: skipped, vmmd has no cgroups here (see its log)\n");
		return;
	}
	v2 = vmmd_cgroup_dir(&v, "memory", dir, sizeof dir);
	ck_assert_msg(v2 >= 0, "no memory hierarchy for vmmd %d", (int)v.pid);
	limit_file = v2 ? "memory.max" : "memory.limit_in_bytes";
	peak_file = v2 ? "memory.peak" : "memory.max_usage_in_bytes";
	oom_file = v2 ? "memory.events" : "memory.oom_control";

	/* the serving VM, on the default limit: its 64 MiB + 64 MiB */
	ck_assert_int_gt(l.port, 0);
	site_xml(xml, sizeof xml, "web", l.port);
	OK("define %s", write_xml(&v, "web.xml", xml));
	OK("start web");
	ck_assert_msg(wait_http_200(l.port, line, sizeof line, BOOT_MS) >= 0, "no HTTP 200 from web: %s", msg_tail(line));
	OK("domuuid web");
	snprintf(uuid, sizeof uuid, "%.36s", out);
	snprintf(path, sizeof path, "%s/vmm/%s/%s", dir, uuid, limit_file);
	ck_assert_int_eq(read_num(path, NULL), 128ll << 20);

	snprintf(path, sizeof path, "%s/guests/memhog.elf", BUILD_DIR);
	ck_assert_ptr_nonnull(realpath(path, kernel));
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'>\n  <name>hog</name>\n  <memory unit='MiB'>256</memory>\n"
		 "  <memtune>\n    <hard_limit unit='MiB'>96</hard_limit>\n  </memtune>\n  <vcpu>1</vcpu>\n"
		 "  <os>\n    <type>hvm</type>\n    <kernel>%s</kernel>\n  </os>\n</domain>\n",
		 kernel);
	OK("define %s", write_xml(&v, "hog.xml", xml));
	OK("start --paused hog");
	OK("domuuid hog");
	snprintf(uuid, sizeof uuid, "%.36s", out);
	snprintf(grp, sizeof grp, "%s/vmm/%s", dir, uuid);
	snprintf(path, sizeof path, "%s/%s", grp, limit_file);
	ck_assert_int_eq(read_num(path, NULL), HOG_LIMIT);

	ck_assert_int_eq(pthread_create(&th, NULL, load_run, &l), 0);
	OK("resume hog");
	/* the group's high-water mark, read until vmmd removes the group (the
	 * hog's processes are gone) or for HOG_MS of hogging */
	for (t0 = now_ms(); now_ms() - t0 < HOG_MS; usleep(5000)) {
		snprintf(path, sizeof path, "%s/%s", grp, peak_file);
		n = read_num(path, NULL);
		if (n < 0) {
			if (gone < 0) {
				gone = now_ms();
				served_while_hog = atomic_load(&l.ok);
			}
			continue;
		}
		peak = n > peak ? n : peak;
		snprintf(path, sizeof path, "%s/%s", grp, oom_file);
		n = read_num(path, "oom_kill ");
		oom = n > oom ? n : oom;
	}
	atomic_store(&l.stop, true);
	pthread_join(th, NULL);

	/* how far the guest got: its last line */
	snprintf(path, sizeof path, "%s/run/hog.log", v.state);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "memhog: ", 8) == 0 || strncmp(line, "vmm: ", 5) == 0)
			snprintf(last, sizeof last, "%s", line);
	if (f)
		fclose(f);
	OK("domstate --reason hog");
	fprintf(stderr,
		"memory hog: peak %lld KiB of its %lld KiB limit, oom_kill %lld, %s after %lld ms, last line: %s"
		"web: %ld requests answered 200 (%ld while the hog ran), %ld errors (last %d)\n",
		peak >> 10, HOG_LIMIT >> 10, oom, gone < 0 ? "still running" : "gone", (long long)((gone < 0 ? now_ms() : gone) - t0),
		last[0] ? last : "(none)\n", (long)atomic_load(&l.ok), gone < 0 ? (long)atomic_load(&l.ok) : served_while_hog,
		(long)atomic_load(&l.errors), atomic_load(&l.last_error));

	ck_assert_msg(peak > HOG_LIMIT / 2, "the hog's group peaked at %lld bytes: did it hog?", peak);
	ck_assert_int_le(peak, HOG_LIMIT);
	if (gone < 0) {
		HAS("running"); /* kept within the limit (reclaimed, swapped) */
		OK("destroy hog");
	} else {
		HAS("shut off (crashed)");
		ck_assert_msg(log_has("vmmd: domain 'hog': vmm was killed by the kernel's OOM killer at its memory limit (98304 KiB)"),
			      "no OOM line in vmmd's log; the hog's last line: %s", last);
	}
	ck_assert_int_eq(atomic_load(&l.errors), 0);
	ck_assert_int_gt(atomic_load(&l.ok), 0);
	ck_assert_int_eq(http_get(l.port, line, sizeof line, 10000), 200);
	OK("destroy web");
	OK("undefine hog");
	OK("undefine web");
}
END_TEST

/* The --cid=N a running vmm was given; 0 if none. */
static unsigned vmm_cid(pid_t vmm)
{
	char cmd[8192];
	const char *p;
	unsigned cid = 0;

	proc_cmdline(vmm, cmd, sizeof cmd);
	p = strstr(cmd, " --cid=");
	if (p)
		sscanf(p + 1, "--cid=%u", &cid);
	return cid;
}

/* Whether some process holds the lock of CID cid (a running vmm does). */
static bool cid_held(unsigned cid)
{
	char path[64];
	bool held = false;
	int fd;

	snprintf(path, sizeof path, "/run/vmm/cid-%u.lock", cid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static bool wait_log_line(const char *what, int ms)
{
	for (int64_t t0 = now_ms(); now_ms() - t0 <= ms; usleep(25000))
		if (log_has(what))
			return true;
	return false;
}

/* Two domains booted from the same kernel file share its pages: both
 * vmm map one memfd (the same inode) into guest RAM, copy-on-write. */
START_TEST(domains_share_the_kernel_pages)
{
	char xml[4096], body[8192];
	int port_a = free_port(), port_b;
	unsigned long ino_a, ino_b;
	unsigned maps_a, maps_b;
	pid_t vmm_a, vmm_b;

	ck_assert_int_gt(port_a, 0);
	site_xml(xml, sizeof xml, "sa", port_a);
	OK("define %s", write_xml(&v, "sa.xml", xml));
	OK("start sa");
	ck_assert_msg(wait_http_200(port_a, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from sa: %s", msg_tail(body));
	port_b = free_port(); /* sa's port is taken now: another one */
	ck_assert_int_gt(port_b, 0);
	ck_assert_int_ne(port_a, port_b);
	site_xml(xml, sizeof xml, "sb", port_b);
	OK("define %s", write_xml(&v, "sb.xml", xml));
	OK("start sb");
	ck_assert_msg(wait_http_200(port_b, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from sb: %s", msg_tail(body));
	vmm_a = vmmd_vmm_pid(&v, "sa");
	vmm_b = vmmd_vmm_pid(&v, "sb");
	ck_assert_int_gt(vmm_a, 1);
	ck_assert_int_gt(vmm_b, 1);
	ino_a = kernel_map_inode(vmm_a, &maps_a);
	ino_b = kernel_map_inode(vmm_b, &maps_b);
	ck_assert_msg(ino_a != 0 && maps_a > 0, "sa's vmm maps no kernel memfd");
	ck_assert_msg(ino_b != 0 && maps_b > 0, "sb's vmm maps no kernel memfd");
	ck_assert_msg(ino_a == ino_b, "sa maps memfd inode %lu, sb inode %lu: not shared", ino_a, ino_b);
	ck_assert_uint_eq(maps_a, maps_b);
	OK("destroy sa");
	OK("destroy sb");
	OK("undefine sa");
	OK("undefine sb");
}
END_TEST

/* kill -9 of one VM's vmm while a client keeps hitting another: the other
 * answers every request, the killed one ends as crashed with vmmd's line. */
START_TEST(vm_killed_under_load)
{
	char xml[4096], body[8192];
	struct load l = { .port = free_port() };
	int port_a = free_port();
	pid_t vmm;
	pthread_t th;

	ck_assert_int_gt(l.port, 0);
	ck_assert_int_gt(port_a, 0);
	ck_assert_int_ne(port_a, l.port);
	site_xml(xml, sizeof xml, "ka", port_a);
	OK("define %s", write_xml(&v, "ka.xml", xml));
	site_xml(xml, sizeof xml, "kb", l.port);
	OK("define %s", write_xml(&v, "kb.xml", xml));
	OK("start ka");
	OK("start kb");
	ck_assert_msg(wait_http_200(port_a, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from ka: %s", msg_tail(body));
	ck_assert_msg(wait_http_200(l.port, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from kb: %s", msg_tail(body));
	vmm = vmmd_vmm_pid(&v, "ka");
	ck_assert_int_gt(vmm, 1);

	ck_assert_int_eq(pthread_create(&th, NULL, load_run, &l), 0);
	usleep(500000);
	ck_assert_int_eq(kill(vmm, SIGKILL), 0);
	ck_assert_int_eq(wait_state(&v, "ka", "shut off", 30000), 0);
	usleep(1000000); /* and on a while after */
	atomic_store(&l.stop, true);
	pthread_join(th, NULL);
	fprintf(stderr, "kill -9 under load: kb answered %ld requests 200, %ld errors (last %d)\n",
		(long)atomic_load(&l.ok), (long)atomic_load(&l.errors), atomic_load(&l.last_error));
	OK("domstate --reason ka");
	HAS("shut off (crashed)");
	ck_assert_msg(log_has("vmmd: domain 'ka': crashed: vmm was killed by signal 9 (SIGKILL)"),
		      "no crash line in vmmd's log");
	ck_assert_int_eq(atomic_load(&l.errors), 0);
	ck_assert_int_gt(atomic_load(&l.ok), 0);
	ck_assert_int_eq(http_get(port_a, body, sizeof body, 5000), -1); /* its port went with it */
	ck_assert_int_eq(http_get(l.port, body, sizeof body, 10000), 200);
	OK("domstate kb");
	HAS("running");
	OK("destroy kb");
	OK("undefine ka");
	OK("undefine kb");
}
END_TEST

/* A real VM that powers off while vmmd is down (killed): vmm, init's child
 * by then, records its exit status itself (--exit-status), so the daemon
 * started again finds it powered off, not crashed; its CID is free and the
 * domain starts again. */
START_TEST(real_vm_powers_off_while_daemon_is_down)
{
	char xml[4096], body[8192];
	int port = free_port();
	unsigned cid;
	pid_t vmm;

	ck_assert_int_gt(port, 0);
	site_xml(xml, sizeof xml, "km", port);
	OK("define %s", write_xml(&v, "km.xml", xml));
	OK("start km");
	ck_assert_msg(wait_http_200(port, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from km: %s", msg_tail(body));
	vmm = vmmd_vmm_pid(&v, "km");
	cid = vmm_cid(vmm);
	ck_assert_uint_ge(cid, 3);
	ck_assert(cid_held(cid));

	ck_assert_int_eq(kill(v.pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(v.pid, NULL, 0), v.pid);
	v.pid = 0;
	ck_assert_int_eq(http_get(port, body, sizeof body, 10000), 200);
	ck_assert_int_eq(kill(vmm, SIGPWR), 0); /* the guest powers off */
	for (int i = 0; i < 500 && proc_running(vmm); i++)
		usleep(20000);
	ck_assert_msg(!proc_running(vmm), "vmm %ld did not stop", (long)vmm);
	ck_assert_int_eq(vmmd_restart(&v, DAEMON_ARGS), 0);
	ck_assert_msg(wait_log_line("domain 'km': stopped: the guest powered off", 10000),
		      "no line of the power-off");
	OK("domstate --reason km");
	HAS("shut off (shutdown)");
	ck_assert_msg(!cid_held(cid), "CID %u still held after the power-off", cid);

	OK("start km");
	ck_assert_msg(wait_http_200(port, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 after the restart: %s",
		      msg_tail(body));
	OK("destroy km");
	OK("undefine km");
}
END_TEST

/* After a start, vmmd makes a standby for the next start of that RAM
 * size; the next start becomes that process (no exec): it serves, its
 * command line is its run's, and it reads its files as descriptors as any
 * vmm. Another standby follows; the daemon's stop ends it. */
START_TEST(next_start_comes_from_the_standby)
{
	char xml[4096], body[8192], cmd[4096];
	int pa = free_port(), pb = free_port();
	pid_t sb, vmm, next;

	ck_assert_int_gt(pa, 0);
	ck_assert_int_gt(pb, 0);
	site_xml(xml, sizeof xml, "sa", pa);
	OK("define %s", write_xml(&v, "sa.xml", xml));
	site_xml(xml, sizeof xml, "sb", pb);
	OK("define %s", write_xml(&v, "sb.xml", xml));
	OK("start sa");
	ck_assert_msg(wait_http_200(pa, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from sa: %s", msg_tail(body));
	sb = vmmd_standby_pid(&v, SITE_MEM_KIB, 20000);
	ck_assert_msg(sb > 0, "no standby vmm after a start");
	OK("start sb");
	ck_assert_msg(wait_http_200(pb, body, sizeof body, BOOT_MS) >= 0, "no HTTP 200 from sb: %s", msg_tail(body));
	vmm = vmmd_vmm_pid(&v, "sb");
	ck_assert_int_eq(vmm, sb);
	ck_assert_uint_gt(proc_cmdline(vmm, cmd, sizeof cmd), 0);
	ck_assert_msg(strstr(cmd, " run ") && strstr(cmd, "--name=sb"), "%s", cmd);
	vmm_reads_descriptors("sb");
	next = vmmd_standby_pid(&v, SITE_MEM_KIB, 20000);
	ck_assert_msg(next > 0 && next != sb, "no standby after the second start");
	OK("destroy sb");
	OK("destroy sa");
	OK("undefine sa");
	OK("undefine sb");
	ck_assert_int_eq(vmmd_stop(&v), 0);
	for (int i = 0; i < 250 && proc_running(next); i++)
		usleep(20000);
	ck_assert_msg(!proc_running(next), "the standby outlived its daemon");
	ck_assert_int_eq(vmmd_restart(&v, DAEMON_ARGS), 0);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		lifecycle_with_real_guests, site_lifecycle, site_adopted_after_daemon_restart,
		flooding_domain_log_stays_under_the_cap, memory_hog_stays_within_its_limit, vm_killed_under_load,
		real_vm_powers_off_while_daemon_is_down, site_image_domain_boots_through_firmware, domains_share_the_kernel_pages,
		next_start_comes_from_the_standby, NULL,
	};

	return suite_run(one_case_suite("vmmd-kvm", "kvm", 600, setup, teardown, tests)) ? EXIT_FAILURE : EXIT_SUCCESS;
}
