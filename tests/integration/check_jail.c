/* The jail of a running VM, seen from outside as an operator would check
 * it: the release vmm (build/vmm, or VMM_RELEASE_BIN: the filters tested
 * here are the ones users get; every other integration test runs vmm-san
 * jailed too, which proves the allowlists complete) serving examples/site.
 * /proc/PID shows the uid/gid it took, no capabilities, no_new_privs and a
 * seccomp filter on every thread, namespaces of its own, an empty root and
 * its limits (the file-size limit above its largest writable disk);
 * --uid/--gid are taken; two VMs share one network namespace
 * (pinned at /run/vmm/net in the host's mount namespace), not the host's,
 * where Landlock's scoping exists, and have one each where it does not;
 * --no-jail says so and confines nothing. Needs root (the jail's
 * privileged part) and KVM. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration/loopback.h"
#include "integration/proc.h"
#include "msg_tail.h"

#define WAIT_MS 120000

static char tmp[64], site_tar[128];

static const char *release_vmm(void)
{
	const char *b = getenv("VMM_RELEASE_BIN");

	return b && *b ? b : "build/vmm";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	if (!f || !buf) {
		if (f)
			fclose(f);
		return buf;
	}
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

struct vm {
	pid_t pid;
	int port;
	char out[160], err[160];
};

/* Starts the release vmm on the site with extra args; returns once it
 * answers GET / with 200 (fails the check otherwise). */
static void vm_start(struct vm *v, const char *tag, const char *const *extra)
{
	const char *argv[24];
	char pub[48], disk[160];
	int argc = 0;
	static int attempt, started;

	/* a port of the ephemeral range may be some client's at the moment:
	 * a start refused with EADDRINUSE tries the next candidate */
again:
	argc = 0;
	v->port = 20000 + (int)((getpid() + 7919 * attempt + 101 * started++) % 20000);
	snprintf(v->out, sizeof v->out, "%s/%s.out", tmp, tag);
	snprintf(v->err, sizeof v->err, "%s/%s.err", tmp, tag);
	snprintf(pub, sizeof pub, "127.0.0.1:%d:80", v->port);
	snprintf(disk, sizeof disk, "%s,ro", site_tar);
	argv[argc++] = release_vmm();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = "build/guest/site.elf";
	argv[argc++] = "--disk";
	argv[argc++] = disk;
	argv[argc++] = "--publish";
	argv[argc++] = pub;
	argv[argc++] = "--console=output";
	for (; extra && *extra; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	v->pid = proc_spawn(argv, v->out, v->err);
	ck_assert_int_gt(v->pid, 0);
	for (long end = now_ms() + WAIT_MS; now_ms() < end; usleep(20000)) {
		char *o = slurp(v->out);
		int up = strstr(o, "site: listening on vsock port 80") != NULL;

		free(o);
		if (up)
			break;
		if (waitpid(v->pid, NULL, WNOHANG) == v->pid) {
			char *e = slurp(v->err);

			if (strstr(e, "Address already in use") && attempt++ < 5) {
				free(e);
				goto again;
			}
			ck_abort_msg("vmm ended before serving: %s", msg_tail(e));
		}
	}
	/* a real request through the jailed process */
	int fd = tcp_connect(v->port);
	char buf[256];
	const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	ssize_t n;

	ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
	n = read_by(fd, buf, sizeof buf - 1, now_ms() + 10000);
	ck_assert_int_gt(n, 12);
	buf[n] = 0;
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "answer: %.60s", buf);
	close(fd);
}

/* SIGTERM stops it as always: status 128 + 15, and no report on stderr
 * beyond the stop line. */
static void vm_stop(struct vm *v)
{
	int st;
	char *e;

	kill(v->pid, SIGTERM);
	ck_assert_int_eq(waitpid(v->pid, &st, 0), v->pid);
	e = slurp(v->err);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %#x, stderr: %s", st, msg_tail(e));
	ck_assert_msg(!strstr(e, "vmm: seccomp:"), "stderr: %s", msg_tail(e));
	free(e);
}

/* The value after "Key:" in /proc/PID[/task/TID]/status. */
static void status_field(const char *dir, const char *key, char *out, size_t cap)
{
	char path[128], *text, *p;

	snprintf(path, sizeof path, "%s/status", dir);
	text = slurp(path);
	out[0] = 0;
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, strlen(key)) == 0 && p[strlen(key)] == ':') {
			p += strlen(key) + 1;
			p += strspn(p, " \t");
			snprintf(out, cap, "%.*s", (int)strcspn(p, "\n"), p);
			break;
		}
	free(text);
}

/* "net:[INODE]" of process pid (0: this one). */
static void ns_of(pid_t pid, const char *ns, char *out, size_t cap)
{
	char path[64];
	ssize_t n;

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns);
	else
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
	n = readlink(path, out, cap - 1);
	ck_assert_int_gt(n, 0);
	out[n] = 0;
}

static void assert_ns_own(pid_t pid, const char *ns)
{
	char mine[64], theirs[64];

	ns_of(0, ns, mine, sizeof mine);
	ns_of(pid, ns, theirs, sizeof theirs);
	ck_assert_msg(strcmp(mine, theirs) != 0, "%s namespace shared with the host: %s", ns, mine);
}

/* The namespace ns_id ("net:[I]") is pinned at path in the host's mount
 * namespace: "... 0:N net:[I] /run/vmm/net ... - nsfs". */
static void assert_pinned(const char *ns_id, const char *path)
{
	char want[160], *mounts = slurp("/proc/self/mountinfo");

	snprintf(want, sizeof want, " %s %s ", ns_id, path);
	ck_assert_msg(strstr(mounts, want), "no %s in the host's mounts", want);
	free(mounts);
}

/* Every thread: the ids, no capabilities, no_new_privs, filter mode 2. */
static void assert_confined(pid_t pid, unsigned uid, unsigned gid)
{
	char dir[64], want[64], v[128];
	unsigned threads = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char t[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(t, sizeof t, "/proc/%d/task/%s", (int)pid, de->d_name);
		status_field(t, "Name", v, sizeof v);
		if (strncmp(v, "kvm-", 4) == 0)
			continue; /* KVM's kernel worker threads, not vmm's */
		threads++;
		snprintf(want, sizeof want, "%u\t%u\t%u\t%u", uid, uid, uid, uid);
		status_field(t, "Uid", v, sizeof v);
		ck_assert_msg(strcmp(v, want) == 0, "thread %s: Uid %s, wanted %s", de->d_name, v, want);
		snprintf(want, sizeof want, "%u\t%u\t%u\t%u", gid, gid, gid, gid);
		status_field(t, "Gid", v, sizeof v);
		ck_assert_msg(strcmp(v, want) == 0, "thread %s: Gid %s, wanted %s", de->d_name, v, want);
		status_field(t, "Groups", v, sizeof v);
		ck_assert_str_eq(v, "");
		for (const char *const *cap = (const char *const[]){ "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL };
		     *cap; cap++) {
			status_field(t, *cap, v, sizeof v);
			ck_assert_msg(strcmp(v, "0000000000000000") == 0, "thread %s: %s %s", de->d_name, *cap, v);
		}
		status_field(t, "NoNewPrivs", v, sizeof v);
		ck_assert_str_eq(v, "1");
		status_field(t, "Seccomp", v, sizeof v);
		ck_assert_msg(strcmp(v, "2") == 0, "thread %s: Seccomp %s", de->d_name, v);
	}
	closedir(d);
	ck_assert_uint_ge(threads, 2); /* the main thread and a vCPU */
}

START_TEST(jailed_by_default)
{
	struct vm v;
	char root[64], limits[64], *text;
	struct dirent *de;
	unsigned entries = 0;
	DIR *d;

	vm_start(&v, "default", NULL);
	assert_confined(v.pid, 2000000000u + (unsigned)v.pid, 2000000000u + (unsigned)v.pid);
	for (const char *const *ns = (const char *const[]){ "mnt", "net", "ipc", "uts", NULL }; *ns; ns++)
		assert_ns_own(v.pid, *ns);
	/* its root: empty (the host's files are gone, not hidden): the shared
	 * /run/vmm/empty bound read-only, or a tmpfs of its own */
	snprintf(root, sizeof root, "/proc/%d/root/", (int)v.pid);
	d = opendir(root);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			entries++;
	closedir(d);
	ck_assert_uint_eq(entries, 0);
	snprintf(limits, sizeof limits, "/proc/%d/limits", (int)v.pid);
	text = slurp(limits);
	ck_assert_msg(strstr(text, "Max open files            4096                 4096"), "%s", text);
	ck_assert_msg(strstr(text, "Max processes             3                    3"), "%s", text);
	free(text);
	vm_stop(&v);
}
END_TEST

/* RLIMIT_FSIZE leaves the largest file vmm has open for writing alone: a
 * read-write disk of 300 MiB (sparse), above the 256 MiB floor, found
 * among vmm's open descriptors before the jail. */
START_TEST(file_limit_fits_the_largest_writable_disk)
{
	struct vm v;
	char disk[200], limits[64], *text;
	int fd;

	snprintf(disk, sizeof disk, "%s/big.img", tmp);
	fd = open(disk, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 300 << 20), 0);
	close(fd);
	vm_start(&v, "bigdisk", (const char *const[]){ "--disk", disk, NULL });
	snprintf(limits, sizeof limits, "/proc/%d/limits", (int)v.pid);
	text = slurp(limits);
	ck_assert_msg(strstr(text, "Max file size             314572800            314572800"), "%s", text);
	free(text);
	vm_stop(&v);
	unlink(disk);
}
END_TEST

/* --exit-status: the jailed vmm (its root empty, its calls filtered)
 * writes how it ended to the file it opened before the jail, emptied
 * first: what vmmd reads for a VM that ended while vmmd was down. */
START_TEST(exit_status_recorded_from_inside_the_jail)
{
	struct vm v;
	char path[200], *text;
	FILE *f;

	snprintf(path, sizeof path, "%s/exit-status", tmp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("a much longer old line than the new one\n", f);
	fclose(f);
	vm_start(&v, "exitstatus", (const char *const[]){ "--exit-status", path, NULL });
	text = slurp(path);
	ck_assert_msg(!*text, "not emptied at the start: %s", text);
	free(text);
	vm_stop(&v);
	text = slurp(path);
	ck_assert_str_eq(text, "exit 143\n");
	free(text);
	unlink(path);
}
END_TEST

START_TEST(ids_from_options)
{
	struct vm v;

	vm_start(&v, "ids", (const char *const[]){ "--uid", "4242", "--gid", "4343", NULL });
	assert_confined(v.pid, 4242, 4343);
	vm_stop(&v);
}
END_TEST

/* Two jailed VMs, a and b (named TAG-a, TAG-b), and the namespace of kind
 * ns of this process, of a and of b, in ids[0..2]. */
static void start_pair(struct vm *a, struct vm *b, const char *tag, const char *ns, char ids[3][64])
{
	char name[32];

	snprintf(name, sizeof name, "%s-a", tag);
	vm_start(a, name, NULL);
	snprintf(name, sizeof name, "%s-b", tag);
	vm_start(b, name, NULL);
	ns_of(0, ns, ids[0], sizeof ids[0]);
	ns_of(a->pid, ns, ids[1], sizeof ids[1]);
	ns_of(b->pid, ns, ids[2], sizeof ids[2]);
}

static void assert_stderr_lacks(const struct vm *v, const char *what)
{
	char *e = slurp(v->err);

	ck_assert_msg(!strstr(e, what), "stderr: %s", msg_tail(e));
	free(e);
}

/* Landlock's scoping (ABI 6): what vmm shares the namespace under. */
static int landlock_abi(void)
{
	return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
}

START_TEST(vms_share_one_network_namespace)
{
	struct vm a, b;
	char ids[3][64], *host = ids[0], *na = ids[1], *nb = ids[2];
	int abi = landlock_abi();

	start_pair(&a, &b, "share", "net", ids);
	ck_assert_msg(strcmp(na, host) != 0 && strcmp(nb, host) != 0, "the host's network namespace: %s", host);
	if (abi < 6) {
		printf("jail: Landlock ABI %d has no scoping: each VM keeps a network namespace of its own\n", abi);
		ck_assert_msg(strcmp(na, nb) != 0, "shared without Landlock's scoping: %s", na);
	} else {
		ck_assert_msg(strcmp(na, nb) == 0, "two jailed VMs: %s and %s", na, nb);
		assert_pinned(na, "/run/vmm/net");
		assert_stderr_lacks(&a, "network namespace of its own");
	}
	vm_stop(&a);
	vm_stop(&b);
}
END_TEST

/* Two jailed VMs (TAG-a, TAG-b) that share one namespace of kind ns, not
 * the host's, pinned at pin. */
static void start_sharing_pair(struct vm *a, struct vm *b, const char *ns, const char *pin)
{
	char ids[3][64];

	start_pair(a, b, ns, ns, ids);
	ck_assert_msg(strcmp(ids[1], ids[0]) != 0, "the host's %s namespace: %s", ns, ids[0]);
	ck_assert_msg(strcmp(ids[1], ids[2]) == 0, "two jailed VMs: %s and %s", ids[1], ids[2]);
	assert_pinned(ids[1], pin);
}

/* The release vmm (no sanitizer /proc in it) roots itself on the shared
 * directory, read-only, and sees no other mount. */
static void assert_root_shared_and_alone(pid_t pid)
{
	char mi[64], *mounts;
	unsigned lines = 0;

	snprintf(mi, sizeof mi, "/proc/%d/mountinfo", (int)pid);
	mounts = slurp(mi);
	for (const char *p = mounts; *p; p++)
		lines += *p == '\n';
	ck_assert_msg(strstr(mounts, " /run/vmm/empty / ro,") && lines == 1, "not the empty root alone: %s",
		      msg_tail(mounts));
	free(mounts);
}

/* One IPC namespace and one empty root for all jailed VMs (no file system
 * made per VM: each cost memory in every memory cgroup's shrinker table,
 * jail/shared_ns.h), pinned and bound like the network namespace. */
START_TEST(vms_share_one_ipc_namespace_and_empty_root)
{
	struct vm a, b;

	start_sharing_pair(&a, &b, "ipc", "/run/vmm/ipc");
	assert_root_shared_and_alone(a.pid);
	assert_stderr_lacks(&a, "of its own");
	vm_stop(&a);
	vm_stop(&b);
}
END_TEST

/* One mount namespace too, pinned at /run/vmm/mnt, whose root is the
 * empty directory (one with the host's mounts copied per VM cost kernel
 * memory per mount, jail/shared_ns.h). */
START_TEST(vms_share_one_mount_namespace)
{
	struct vm a, b;

	start_sharing_pair(&a, &b, "mnt", "/run/vmm/mnt");
	assert_root_shared_and_alone(b.pid);
	assert_stderr_lacks(&b, "mount namespace of its own");
	vm_stop(&a);
	vm_stop(&b);
}
END_TEST

START_TEST(no_jail_says_so)
{
	struct vm v;
	char dir[64], s[64], *e;

	vm_start(&v, "nojail", (const char *const[]){ "--no-jail", NULL });
	snprintf(dir, sizeof dir, "/proc/%d", (int)v.pid);
	status_field(dir, "Seccomp", s, sizeof s);
	ck_assert_str_eq(s, "0");
	e = slurp(v.err);
	ck_assert_msg(strstr(e, "--no-jail: the VM runs unconfined"), "stderr: %s", msg_tail(e));
	free(e);
	vm_stop(&v);
}
END_TEST

static void setup(void)
{
	char cmd[300];

	loopback_up();
	snprintf(tmp, sizeof tmp, "/tmp/vmm-jail-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(site_tar, sizeof site_tar, "%s/site.tar", tmp);
	snprintf(cmd, sizeof cmd, "tar -C examples/site -cf %s .", site_tar);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "jail: cannot remove %s\n", tmp);
}

int main(void)
{
	Suite *s = suite_create("jail");
	TCase *t = tcase_create("jail");

	if (geteuid() != 0) {
		printf("jail: skipped: the jail's checks need root (vmm confines itself only when it is root)\n");
		return 0;
	}
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 300);
	tcase_add_test(t, jailed_by_default);
	tcase_add_test(t, file_limit_fits_the_largest_writable_disk);
	tcase_add_test(t, exit_status_recorded_from_inside_the_jail);
	tcase_add_test(t, ids_from_options);
	tcase_add_test(t, vms_share_one_network_namespace);
	tcase_add_test(t, vms_share_one_ipc_namespace_and_empty_root);
	tcase_add_test(t, vms_share_one_mount_namespace);
	tcase_add_test(t, no_jail_says_so);
	suite_add_tcase(s, t);
	return run_suite(s);
}
