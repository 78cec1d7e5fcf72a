/* A kernel passed as a sealed memfd is mapped, not read (vmm/machine/
 * boot_image.c): the site kernel from a memfd sealed against shrinking and
 * writing serves GET / and /proc/PID/maps shows the memfd's pages inside
 * guest RAM, copy-on-write and never executable, every whole page of each
 * loadable segment; after a reset (SIGUSR2: a new VM and new RAM, built
 * under the jail's filter) again. An unsealed memfd takes the read path:
 * nothing of it is mapped, and the guest serves as well; a plain file is
 * mapped from vmm's copy of it in /run/vmm (never itself).
 * The reset guest rebooting in a loop from a sealed memfd proves a reboot
 * maps it again each time. */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suite.h"
#include "integration/loopback.h"
#include "integration/proc.h"
#include "msg_tail.h"

#define WAIT_MS 120000
#define KERNEL_FD 50 /* above any the test holds */
#define KERNEL_CACHE_DIR "/run/vmm" /* vmm run's (VSOCK_CID_DIR) */
#define MAX_SEGS 8

static char tmp[64], site_tar[128];

static const char *site_kernel(void)
{
	const char *k = getenv("SITE_KERNEL");

	return k && *k ? k : "build/guest/site.elf";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;

	if (!f || getdelim(&text, &cap, 0, f) < 0) {
		free(text);
		text = strdup("");
	}
	if (f)
		fclose(f);
	return text;
}

/* A copy of path in a memfd named like vmmd's, at KERNEL_FD (inherited by
 * vmm), sealed as vmmd seals it or not at all. */
static void kernel_memfd(const char *path, bool sealed)
{
	int in = open(path, O_RDONLY), fd = memfd_create("vmm-kernel", MFD_ALLOW_SEALING);
	struct stat st;

	ck_assert_msg(in >= 0 && fd >= 0 && fstat(in, &st) == 0, "%s: %s", path, strerror(errno));
	for (off_t off = 0; off < st.st_size;)
		ck_assert_int_gt(sendfile(fd, in, &off, (size_t)(st.st_size - off)), 0);
	if (sealed)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL), 0);
	ck_assert_int_eq(dup2(fd, KERNEL_FD), KERNEL_FD);
	close(fd);
	close(in);
}

/* The pages vmm should map: of each PT_LOAD segment whose offset and address
 * agree within a page, the whole pages inside its file range. */
struct seg {
	uint64_t off, gpa, len;
};

static unsigned expected_segments(const char *path, struct seg *s)
{
	int fd = open(path, O_RDONLY);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned n = 0;

	ck_assert_int_eq(pread(fd, &eh, sizeof eh, 0), sizeof eh);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		uint64_t first, end;

		ck_assert_int_eq(pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)), sizeof ph);
		first = (ph.p_offset + 0xfff) & ~0xfffull;
		end = (ph.p_offset + ph.p_filesz) & ~0xfffull;
		if (ph.p_type != PT_LOAD || ((ph.p_offset ^ ph.p_paddr) & 0xfff) || end <= first || n == MAX_SEGS)
			continue;
		s[n++] = (struct seg){ first, ph.p_paddr + (first - ph.p_offset), end - first };
	}
	close(fd);
	return n;
}

static char *maps_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
	return slurp(path);
}

/* NULL when every expected segment of kernel is mapped, in vmm's maps,
 * from the file whose maps line holds from (the memfd's name, or vmm's
 * kernel cache), at one guest RAM base, without 'x'; else why (static). */
static const char *mapped_from(pid_t pid, const char *kernel, const char *from)
{
	static char why[512];
	struct seg s[MAX_SEGS];
	unsigned n = expected_segments(kernel, s);
	char *maps = maps_of(pid), *line, *save = NULL;
	uint64_t base = 0;
	unsigned found = 0;
	bool base_anon = false;

	why[0] = 0;
	if (n == 0)
		snprintf(why, sizeof why, "%s has no segment with whole pages to map", kernel);
	for (line = strtok_r(maps, "\n", &save); line && !why[0]; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, end, off;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &off) != 4 || !strstr(line, from))
			continue;
		if (strchr(perms, 'x') || strcmp(perms, "rw-p") != 0)
			snprintf(why, sizeof why, "%s mapped '%s', want rw-p: %s", from, perms, line);
		for (unsigned i = 0; i < n && !why[0]; i++) {
			if (s[i].off != off)
				continue;
			if (end - start != s[i].len)
				snprintf(why, sizeof why, "segment at offset %#llx: %llu bytes mapped, want %" PRIu64 ": %s",
					 off, end - start, s[i].len, line);
			else if (found && base != start - s[i].gpa)
				snprintf(why, sizeof why, "segments mapped at two guest RAM bases: %s", line);
			base = start - s[i].gpa;
			found++;
		}
	}
	free(maps);
	if (!why[0] && found != n)
		snprintf(why, sizeof why, "%u of %u segments mapped from %s", found, n, from);
	if (why[0])
		return why;
	/* guest physical 0 is the start of guest RAM: an anonymous mapping */
	maps = maps_of(pid);
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start;
		char path[256] = "";

		if (sscanf(line, "%llx-%*x %*s %*x %*s %*u %255s", &start, path) >= 1 && start == base && !path[0])
			base_anon = true;
	}
	free(maps);
	if (!base_anon)
		snprintf(why, sizeof why, "no anonymous guest RAM mapping at %#llx (guest physical 0)",
			 (unsigned long long)base);
	return why[0] ? why : NULL;
}

/* GET / through the published unix socket: the status, -1 if no answer. */
static int http_get(const char *sock)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[256];
	long deadline = now_ms() + 10000;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), code = -1;
	ssize_t n;
	size_t got = 0;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0 || send(s, req, sizeof req - 1, MSG_NOSIGNAL) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	while (got < 12 && (n = read_by(s, buf + got, sizeof buf - 1 - got, deadline)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	close(s);
	if (sscanf(buf, "HTTP/1.%*1[01] %d", &code) != 1)
		return -1;
	return code;
}

static int wait_200(const char *sock, pid_t pid)
{
	for (long t0 = now_ms(); now_ms() - t0 < WAIT_MS; usleep(20000)) {
		if (http_get(sock) == 200)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
	}
	return -1;
}

struct vm {
	pid_t pid;
	char out[160], err[160], sock[160];
};

/* The site kernel serving examples/site behind a unix socket, its kernel
 * given as kernel_arg; returns once GET / answers 200. */
static void site_start(struct vm *v, const char *tag, const char *kernel_arg)
{
	char disk[200], publish[200];
	const char *argv[] = { vmm_bin(), "run", "--kernel", kernel_arg, "--mem", "16M", "--disk", disk,
			       "--publish", publish, "--name", tag, "--console=output", NULL };

	snprintf(v->out, sizeof v->out, "%s/%s.out", tmp, tag);
	snprintf(v->err, sizeof v->err, "%s/%s.err", tmp, tag);
	snprintf(v->sock, sizeof v->sock, "%s/%s.sock", tmp, tag);
	snprintf(disk, sizeof disk, "%s,ro", site_tar);
	snprintf(publish, sizeof publish, "unix:%s:80", v->sock);
	v->pid = proc_spawn(argv, v->out, v->err);
	ck_assert_int_gt(v->pid, 0);
	if (wait_200(v->sock, v->pid) < 0) {
		char *err = slurp(v->err);
		kill(v->pid, SIGKILL);
		ck_abort_msg("%s: no 200 from the site; stderr: %s", tag, msg_tail(err));
	}
}

/* SIGPWR: the site powers off with 0, no sanitizer report. */
static void site_stop(struct vm *v)
{
	char *err;
	int st = 0;

	kill(v->pid, SIGPWR);
	ck_assert_int_eq(waitpid(v->pid, &st, 0), v->pid);
	err = slurp(v->err);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x; stderr: %s", st, msg_tail(err));
	ck_assert_msg(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"), "stderr: %s", msg_tail(err));
	free(err);
}

static int count_in(const char *path, const char *needle)
{
	char *t = slurp(path);
	int n = count_of(t, needle);

	free(t);
	return n;
}

START_TEST(sealed_memfd_is_mapped_and_survives_a_reset)
{
	struct vm v;
	const char *why;
	char arg[16];

	kernel_memfd(site_kernel(), true);
	snprintf(arg, sizeof arg, "fd:%d", KERNEL_FD);
	site_start(&v, "sealed", arg);
	why = mapped_from(v.pid, site_kernel(), "vmm-kernel");
	ck_assert_msg(!why, "first boot: %s", why);
	/* a reset: vmm builds a new VM and new RAM, jailed by now */
	kill(v.pid, SIGUSR2);
	for (long t0 = now_ms(); count_in(v.err, "guest reset, restarting") < 1 && now_ms() - t0 < WAIT_MS;)
		usleep(20000);
	if (count_in(v.err, "guest reset, restarting") != 1) {
		char *err = slurp(v.err);
		kill(v.pid, SIGKILL);
		ck_abort_msg("no reset; stderr: %s", msg_tail(err));
	}
	ck_assert_msg(wait_200(v.sock, v.pid) == 0, "no 200 after the reset");
	why = mapped_from(v.pid, site_kernel(), "vmm-kernel");
	ck_assert_msg(!why, "after the reset: %s", why);
	site_stop(&v);
	close(KERNEL_FD);
}
END_TEST

/* An unsealed memfd could shrink under a mapping: read, never mapped. */
START_TEST(unsealed_memfd_is_read)
{
	struct vm v;
	char arg[16], *maps;

	kernel_memfd(site_kernel(), false);
	snprintf(arg, sizeof arg, "fd:%d", KERNEL_FD);
	site_start(&v, "unsealed", arg);
	maps = maps_of(v.pid);
	ck_assert_msg(maps[0] && !strstr(maps, "vmm-kernel") && !strstr(maps, KERNEL_CACHE_DIR "/kernel-"),
		      "the unsealed memfd or a copy of it is mapped: %s", msg_tail(maps));
	free(maps);
	site_stop(&v);
	close(KERNEL_FD);
}
END_TEST

/* A plain file could change under a mapping: vmm maps its copy in its
 * kernel cache (vmm/machine/kernel_cache.h) where that directory is ours
 * alone, as /run/vmm is when vmm runs as root, and reads the file where it
 * is not; the file itself is never mapped. */
START_TEST(plain_file_is_mapped_from_vmms_copy)
{
	struct vm v;
	struct stat st;
	char *maps, kernel[256], cmd[600];
	const char *name, *why;
	bool cache = stat(KERNEL_CACHE_DIR, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
		     !(st.st_mode & (S_IWGRP | S_IWOTH)) && access(KERNEL_CACHE_DIR, W_OK) == 0;

	snprintf(kernel, sizeof kernel, "%s/kernel.elf", tmp);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", site_kernel(), kernel);
	ck_assert_int_eq(system(cmd), 0);
	site_start(&v, "file", kernel);
	name = strrchr(kernel, '/') + 1;
	maps = maps_of(v.pid);
	ck_assert_msg(maps[0] && !strstr(maps, name), "the kernel file is mapped: %s", msg_tail(maps));
	free(maps);
	if (cache) {
		why = mapped_from(v.pid, kernel, KERNEL_CACHE_DIR "/kernel-");
		ck_assert_msg(!why, "%s", why);
	} else {
		maps = maps_of(v.pid);
		ck_assert_msg(!strstr(maps, KERNEL_CACHE_DIR "/kernel-"), "a copy is mapped: %s", msg_tail(maps));
		free(maps);
	}
	site_stop(&v);
}
END_TEST

/* The reset guest reboots in a loop: each boot maps the sealed memfd again
 * (under the jail's filter from the second on) and runs. */
START_TEST(reboots_map_the_sealed_memfd_again)
{
	char kernel[256], arg[16];
	char *argv[] = { (char *)vmm_bin(), "run", "--kernel", arg, "--name", "rb", NULL };
	struct proc_opts o = { .in_fd = -1, .timeout_ms = WAIT_MS, .signo = SIGTERM,
			       .until_out = "reset: resetting", .signal_count = 4 };
	struct proc_result r;
	struct seg s[MAX_SEGS];

	guest_path("reset", kernel, sizeof kernel);
	ck_assert_msg(expected_segments(kernel, s) > 0, "the reset guest has no whole page to map");
	kernel_memfd(kernel, true);
	snprintf(arg, sizeof arg, "fd:%d", KERNEL_FD);
	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_msg(r.status == 128 + SIGTERM, "status %d, stderr %s", r.status, msg_tail(r.err));
	ck_assert_int_ge(count_of(r.out, "reset: resetting"), 4);
	ck_assert_msg(!strstr(r.err, "cannot") && !strstr(r.err, "seccomp"), "stderr: %s", msg_tail(r.err));
	proc_result_free(&r);
	close(KERNEL_FD);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		sealed_memfd_is_mapped_and_survives_a_reset,
		unsealed_memfd_is_read,
		plain_file_is_mapped_from_vmms_copy,
		reboots_map_the_sealed_memfd_again,
		NULL,
	};
	char cmd[256];
	int rc;

	loopback_up();
	snprintf(tmp, sizeof tmp, "/tmp/vmm-kshare-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(site_tar, sizeof site_tar, "%s/site.tar", tmp);
	snprintf(cmd, sizeof cmd, "tar --format=ustar -C examples/site -cf %s .", site_tar);
	if (system(cmd) != 0) {
		fprintf(stderr, "kernel_share: '%s' failed\n", cmd);
		return 2;
	}
	rc = run_suite(one_case_suite("kernel_share", "kernel from a memfd", 300, NULL, NULL, tests));
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
