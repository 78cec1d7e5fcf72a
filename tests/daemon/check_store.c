/* vmmd's state directory under hostile input and faults: a document that
 * would blow up, files it cannot load at start-up, a full disk, and a
 * daemon killed in the middle of a define. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "daemon/core/store.h"
#include "daemon/domain/xml.h"
#include "msg_tail.h"
#include "suites.h"

static struct vmmd_inst v;
static char out[16384];

static void setup(void)
{
	memset(&v, 0, sizeof v);
}

/* Whatever a failed test left: its daemon, the tmpfs, the directory. */
static void teardown(void)
{
	if (!v.dir[0])
		return;
	if (v.pid > 0)
		vmmd_stop(&v);
	umount2(v.state, MNT_DETACH);
	vmmd_cleanup(&v);
}

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", msg_tail(out))
#define FAILS(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) != 0, "virsh succeeded: %s", msg_tail(out))
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, msg_tail(out))

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* The whole of a file (malloc'd), NULL when absent. */
static char *slurp(const char *path)
{
	char *s = store_read_file(path, 4u << 20, NULL);

	return s;
}

static char *state_file(const char *sub, const char *name)
{
	static char path[600];

	snprintf(path, sizeof path, "%s/%s/%s", v.state, sub, name);
	return path;
}

/* How many lines of vmmd's log hold s. */
static int log_count(const char *s)
{
	char path[400], *text, *p;
	int n = 0;

	snprintf(path, sizeof path, "%s/vmmd.log", v.dir);
	text = slurp(path);
	for (p = text; p && (p = strstr(p, s)); p += strlen(s))
		n++;
	free(text);
	return n;
}

/* Names in STATE/domains that begin with prefix and hold infix. */
static int count_files(const char *prefix, const char *infix)
{
	char path[400];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/domains", v.state);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && strstr(de->d_name, infix))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* A domain whose title says which version it is and whose description is
 * big (its escapes make it 5x that on disk): a write worth catching. */
static const char *versioned_xml(const char *name, int version, size_t desc)
{
	static char *xml;
	const char *kernel = image_file(&v, "echo.elf");
	char *w;

	free(xml);
	xml = malloc(desc * 5 + 1024);
	ck_assert_ptr_nonnull(xml);
	/* the same uuid every time: a new version of the same domain */
	w = xml + sprintf(xml,
			  "<domain type='kvm'><name>%s</name><uuid>%08x-0000-4000-8000-000000000000</uuid>"
			  "<title>v%d</title><description>",
			  name, (unsigned)name[0], version);
	for (size_t i = 0; i < desc; i++)
		w = stpcpy(w, "&amp;");
	sprintf(w, "</description><memory unit='MiB'>64</memory><os><type>hvm</type><kernel>%s</kernel></os></domain>",
		kernel);
	return write_xml(&v, "big.xml", xml);
}

/* The review's document, through virsh: refused at once, nothing written,
 * the daemon no bigger. */
START_TEST(entity_document_refused_at_once)
{
	static const char head[] = "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY e \"";
	char *xml = malloc(400000 + 2000 * 3 + 4096), *w = xml, file[600];
	long before, after;
	double t0, bad_ms, base_ms;

	ck_assert_ptr_nonnull(xml);
	vmmd_fixture_up(&v);
	w = stpcpy(w, head);
	memset(w, 'A', 400000);
	w = stpcpy(w + 400000, "\">]>\n<domain type='kvm'><name>ent</name><title>");
	for (int i = 0; i < 2000; i++)
		w = stpcpy(w, "&e;");
	sprintf(w, "</title><memory unit='MiB'>64</memory><os><type>hvm</type><kernel>%s</kernel></os></domain>",
		image_file(&v, "echo.elf"));
	snprintf(file, sizeof file, "%s", write_xml(&v, "ent.xml", xml));
	before = rss_kib(v.pid);
	t0 = now_ms();
	FAILS("define %s", file);
	bad_ms = now_ms() - t0;
	HAS("XML error: (domain_definition): a DOCTYPE is not allowed in domain XML");
	after = rss_kib(v.pid);
	/* virsh's own time (start, connect, read a file, get an error) */
	t0 = now_ms();
	FAILS("define /dev/null");
	base_ms = now_ms() - t0;
	printf("store: entity document refused in %.0f ms through virsh (an empty one: %.0f ms); "
	       "vmmd-san RSS %ld -> %ld KiB\n", bad_ms, base_ms, before, after);
	ck_assert_msg(bad_ms < base_ms + 1000, "%.0f ms (an empty document: %.0f ms)", bad_ms, base_ms);
	ck_assert_msg(after - before < 16 * 1024, "RSS grew from %ld to %ld KiB", before, after);
	ck_assert_int_eq(access(state_file("domains", "ent.xml"), F_OK), -1);
	OK("list --all --name");
	ck_assert_ptr_null(strstr(out, "ent"));
	free(xml);
	vmmd_fixture_down(&v);
}
END_TEST

/* Definitions vmmd cannot load at start-up: each reported once, naming the
 * file and why, and moved aside; the good ones load; the next start is
 * quiet; the name can be defined again. */
START_TEST(bad_state_files_set_aside)
{
	char xml[2048], uuid[64], *text;
	FILE *f;
	int fd;

	vmmd_fixture_up(&v);
	{
		char def[1024];

		domain_xml(def, sizeof def, "keep", image_file(&v, "echo.elf"));
		OK("define %s", write_xml(&v, "keep.xml", def));
	}
	OK("domuuid keep");
	snprintf(uuid, sizeof uuid, "%.36s", out);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	/* not XML */
	f = fopen(state_file("domains", "garbage.xml"), "w");
	fputs("this is not <xml", f);
	fclose(f);
	/* over the cap (an old vmmd wrote such files) */
	fd = open(state_file("domains", "huge.xml"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(ftruncate(fd, DOMAIN_XML_MAX + 1), 0);
	close(fd);
	/* another name inside */
	domain_xml(xml, sizeof xml, "wrong", image_file(&v, "echo.elf"));
	f = fopen(state_file("domains", "other.xml"), "w");
	fputs(xml, f);
	fclose(f);
	/* a DOCTYPE (also something an old vmmd accepted) */
	f = fopen(state_file("domains", "ent.xml"), "w");
	fprintf(f, "<!DOCTYPE domain [<!ENTITY e 'x'>]><domain type='kvm'><name>ent</name></domain>");
	fclose(f);
	/* keep's uuid under another name: one of the two loads, whichever
	 * comes first in the directory */
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'><name>twin</name><uuid>%s</uuid><memory>65536</memory><os><type>hvm</type>"
		 "<kernel>%s</kernel></os></domain>", uuid, image_file(&v, "echo.elf"));
	f = fopen(state_file("domains", "twin.xml"), "w");
	fputs(xml, f);
	fclose(f);
	/* a write whose daemon died before the rename */
	f = fopen(state_file("domains", "keep.xml.tmp999999999"), "w");
	fputs("<domain", f);
	fclose(f);

	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert_int_eq(log_count("vmmd: cannot load "), 5);
	ck_assert_int_eq(log_count("/domains/garbage.xml: XML error: (domain_definition):1: "), 1);
	ck_assert_int_eq(log_count("/domains/huge.xml: larger than 1048576 bytes; moved to "), 1);
	ck_assert_int_eq(log_count("/domains/other.xml: it defines domain 'wrong', not 'other'; moved to "), 1);
	ck_assert_int_eq(log_count("/domains/ent.xml: XML error: (domain_definition): a DOCTYPE is not allowed"), 1);
	ck_assert_int_eq(log_count("its uuid belongs to domain '"), 1);
	ck_assert_int_eq(log_count("/domains/keep.xml.tmp999999999, a write that did not finish"), 1);
	for (const char *const *n = (const char *const[]){ "garbage", "huge", "other", "ent", NULL }; *n; n++) {
		char name[64];

		snprintf(name, sizeof name, "%s.xml", *n);
		ck_assert_msg(access(state_file("domains", name), F_OK) < 0, "%s still there", name);
		snprintf(name, sizeof name, "%s.xml.bad-", *n);
		ck_assert_msg(count_files(name, "") == 1, "%s* missing", name);
	}
	ck_assert_int_eq(count_files("keep.xml.tmp", ""), 0);
	OK("list --all --name");
	ck_assert_msg(!strstr(out, "keep") != !strstr(out, "twin"), "keep and twin: %s", msg_tail(out));
	ck_assert_int_eq(count_files("keep.xml.bad-", "") + count_files("twin.xml.bad-", ""), 1);
	/* the kept file is the one that was there */
	{
		char path[600];
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof path, "%s/domains", v.state);
		d = opendir(path);
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "garbage.xml.bad-", 16) == 0)
				break;
		ck_assert_ptr_nonnull(de);
		text = slurp(state_file("domains", de->d_name));
		closedir(d);
		ck_assert_str_eq(text, "this is not <xml");
		free(text);
	}
	/* a second start has nothing to say */
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert_int_eq(log_count("vmmd: cannot load "), 5);
	/* the name is free again */
	domain_xml(xml, sizeof xml, "garbage", image_file(&v, "echo.elf"));
	OK("define %s", write_xml(&v, "g.xml", xml));
	vmmd_fixture_down(&v);
}
END_TEST

/* The state directory on a full file system (a 256 KiB tmpfs in a mount
 * namespace of this test's own): a define fails with the system's reason,
 * the definition in force stays as it was on disk and in the daemon, no
 * temporary file is left, and once there is room again defines work. */
START_TEST(disk_full_keeps_the_old_definition)
{
	char xml[1024], *old, *now, fill[4096];
	int fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("store: disk full test skipped: no mount namespace (%s)\n", strerror(errno));
		return;
	}
	ck_assert_int_eq(vmmd_init(&v, NULL), 0);
	ck_assert_int_eq(mkdir(v.state, 0700), 0);
	ck_assert_int_eq(mount("tmpfs", v.state, "tmpfs", 0, "size=256k,mode=0700"), 0);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	OK("define %s", versioned_xml("keep", 1, 10));
	old = slurp(state_file("domains", "keep.xml"));
	ck_assert_ptr_nonnull(old);
	/* fill it */
	memset(fill, 'x', sizeof fill);
	fd = open(state_file("", "filler"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	while (write(fd, fill, sizeof fill) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	/* a new version of keep, and a new domain */
	FAILS("define %s", versioned_xml("keep", 2, 1000));
	HAS("cannot write '");
	HAS("/domains/keep.xml': No space left on device");
	now = slurp(state_file("domains", "keep.xml"));
	ck_assert_str_eq(now, old);
	free(now);
	OK("dumpxml keep");
	HAS("<title>v1</title>");
	domain_xml(xml, sizeof xml, "new", image_file(&v, "echo.elf"));
	FAILS("define %s", write_xml(&v, "new.xml", xml));
	HAS("No space left on device");
	OK("list --all --name");
	ck_assert_ptr_null(strstr(out, "new"));
	ck_assert_int_eq(count_files("", ".tmp"), 0);
	ck_assert_int_eq(access(state_file("domains", "new.xml"), F_OK), -1);
	/* room again */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	close(fd);
	OK("define %s", versioned_xml("keep", 2, 1000));
	OK("dumpxml keep");
	HAS("<title>v2</title>");
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	OK("dumpxml keep");
	HAS("<title>v2</title>");
	ck_assert_int_eq(log_count("cannot load"), 0);
	free(old);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	umount2(v.state, MNT_DETACH);
	vmmd_cleanup(&v);
}
END_TEST

/* kill -9 of the daemon at points spread over a define of a large domain
 * (about 160 KiB on disk, fsync'd): after each restart the definition is
 * the old one or the new one, whole, never torn or lost, and an unfinished
 * write is cleaned up. */
START_TEST(kill_during_define_leaves_old_or_new)
{
	enum { ROUNDS = 24 };
	int committed = 1, hit = 0, news = 0;
	char cmd[1200];
	double t0, define_ms;

	vmmd_fixture_up(&v);
	OK("define %s", versioned_xml("big", 1, 32000));
	/* how long one define takes here, through virsh */
	t0 = now_ms();
	OK("define %s", versioned_xml("big", 1, 32000));
	define_ms = now_ms() - t0;
	for (int i = 2; i < 2 + ROUNDS; i++) {
		/* from 50% to 110% of a define's time: virsh starts and
		 * connects first, the define and its write come last */
		int delay_us = (int)(define_ms * 1000 * (0.5 + 0.6 * (i - 2) / (ROUNDS - 1))), st;
		char want_old[32], want_new[32], *text;
		pid_t p;

		snprintf(cmd, sizeof cmd, "virsh -c '%s' define %s >/dev/null 2>&1", v.uri,
			 versioned_xml("big", i, 32000));
		p = fork();
		ck_assert_int_ge(p, 0);
		if (p == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		usleep((useconds_t)delay_us);
		kill(v.pid, SIGKILL);
		waitpid(v.pid, &st, 0);
		v.pid = 0;
		waitpid(p, &st, 0);
		hit += count_files("big.xml.tmp", "") > 0;
		ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
		ck_assert_int_eq(count_files("big.xml.tmp", ""), 0);
		/* loaded (a file it could not load would be set aside, logged) */
		OK("list --all --name");
		HAS("big");
		text = slurp(state_file("domains", "big.xml"));
		ck_assert_msg(text, "round %d: big.xml is gone", i);
		snprintf(want_old, sizeof want_old, "<title>v%d</title>", committed);
		snprintf(want_new, sizeof want_new, "<title>v%d</title>", i);
		ck_assert_msg(strstr(text, want_old) || strstr(text, want_new), "round %d: %.200s", i, text);
		ck_assert_msg(strlen(text) > 160000 && strcmp(text + strlen(text) - 10, "</domain>\n") == 0,
			      "round %d: torn (%zu bytes)", i, strlen(text));
		if (strstr(text, want_new))
			committed = i, news++;
		free(text);
	}
	ck_assert_int_eq(log_count("cannot load"), 0);
	printf("store: kill -9 during define: %d rounds over a %.0f ms define: %d kept the old version, %d had the "
	       "new one, %d left an unfinished write\n", ROUNDS, define_ms, ROUNDS - news, news, hit);
	vmmd_fixture_down(&v);
}
END_TEST

/* The last guard: a configuration whose XML would not fit the cap (one the
 * parser cannot produce, made by hand) is not written. */
START_TEST(oversized_definition_not_saved)
{
	struct domain_config *c = calloc(1, sizeof *c);
	char dir[] = "/tmp/vmmd-store-XXXXXX", path[600];
	struct verr e;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(store_init(dir, &e), 0);
	strcpy(c->name, "fat");
	c->mem_kib = c->cur_mem_kib = 65536;
	c->vcpus = 1;
	c->kernel = strdup("/k");
	c->description = malloc(DOMAIN_XML_MAX);
	memset(c->description, 'a', DOMAIN_XML_MAX - 1);
	c->description[DOMAIN_XML_MAX - 1] = 0;
	ck_assert_int_eq(store_save_def(dir, c, &e), -1);
	ck_assert_msg(strstr(e.msg, "domain 'fat' would take 10"), "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "bytes of XML (at most 1048576)"), "%s", e.msg);
	snprintf(path, sizeof path, "%s/domains/fat.xml", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
	domain_config_free(c);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

Suite *store_suite(void)
{
	const TTest *const tests[] = {
		entity_document_refused_at_once, bad_state_files_set_aside, disk_full_keeps_the_old_definition,
		kill_during_define_leaves_old_or_new, oversized_definition_not_saved, NULL,
	};

	return one_case_suite("store", "state", 120, setup, teardown, tests);
}
