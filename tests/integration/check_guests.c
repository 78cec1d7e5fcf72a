/* Every test guest through `vmm run` under real KVM: output, exit status,
 * signals, the console escape and terminal restore. */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "check_suite.h"
#include "integration/proc.h"
#include "msg_tail.h"
#include "guest/lib/xorshift.h"

#define TIMEOUT_MS 120000

START_TEST(hello_prints_and_powers_off)
{
	struct proc_result r;

	RUN("hello", NULL, &r, "--cmdline", "greeting=1 x=y");
	ck_assert_msg(r.status == 0, "status %d, stderr %s", r.status, msg_tail(r.err));
	ck_assert_ptr_nonnull(strstr(r.out, "Hello from the guest!\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "cmdline: 'greeting=1 x=y'"));
	ck_assert_str_eq(r.err, "");
	proc_result_free(&r);
}
END_TEST

/* KVM's supported CPUID is kept between runs in /run/vmm/cpuid
 * (kvm/cpuid_cache.c): written by a run, owned by us and writable by us
 * alone; a damaged file, or one others could have written, is not
 * trusted: the next run fetches the table again and replaces the file. */
START_TEST(cpuid_cache_is_ours_and_replaced_when_untrusted)
{
	const char *path = "/run/vmm/cpuid";
	struct proc_result r;
	struct stat st;
	off_t size;
	int fd;

	if (access("/run/vmm", W_OK) != 0) {
		printf("guests: cpuid cache not checked: /run/vmm is not writable here\n");
		return;
	}
	RUN("hello", NULL, &r);
	ck_assert_msg(r.status == 0, "status %d, stderr %s", r.status, msg_tail(r.err));
	proc_result_free(&r);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 0777) == 0644);
	size = st.st_size;
	ck_assert_int_gt(size, 88);
	ck_assert_int_eq((size - 88) % 40, 0); /* a header, then kvm_cpuid_entry2s */
	/* damaged */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "VMMCPUID garbage", 16), 16);
	close(fd);
	RUN("hello", NULL, &r);
	ck_assert_msg(r.status == 0, "damaged cache: status %d, stderr %s", r.status, msg_tail(r.err));
	proc_result_free(&r);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_size, size);
	/* writable by others: replaced by a file of our own */
	ck_assert_int_eq(chmod(path, 0666), 0);
	RUN("hello", NULL, &r);
	ck_assert_msg(r.status == 0, "shared cache: status %d, stderr %s", r.status, msg_tail(r.err));
	proc_result_free(&r);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(st.st_size, size);
}
END_TEST

START_TEST(exit_code_passes_through)
{
	struct proc_result r;

	RUN("exitcode", NULL, &r, "--cmdline", "code=42");
	ck_assert_int_eq(r.status, 42);
	ck_assert_ptr_nonnull(strstr(r.out, "powering off with 42"));
	proc_result_free(&r);
	RUN("exitcode", NULL, &r, "--cmdline", "code=0", "--mem", "16M");
	ck_assert_int_eq(r.status, 0);
	proc_result_free(&r);
}
END_TEST

START_TEST(triple_fault_is_a_crash_with_registers)
{
	struct proc_result r;

	RUN("fault", NULL, &r, "--name", "faulty");
	ck_assert_int_eq(r.status, 125);
	ck_assert_ptr_nonnull(strstr(r.out, "about to triple-fault"));
	ck_assert_msg(strstr(r.err, "vmm: faulty: guest crashed on vCPU 0: triple fault"), "stderr: %s", msg_tail(r.err));
	ck_assert_ptr_nonnull(strstr(r.err, "rip "));
	ck_assert_ptr_nonnull(strstr(r.err, "cr0 "));
	ck_assert_int_lt(count_of(r.err, "\n"), 25); /* one screen */
	proc_result_free(&r);
}
END_TEST

START_TEST(smp_every_cpu_reports)
{
	struct proc_result r;
	char line[64];

	RUN("smp", NULL, &r, "--cpus", "4");
	ck_assert_msg(r.status == 0, "status %d, out %s err %s", r.status, msg_tail(r.out), msg_tail(r.err));
	ck_assert_ptr_nonnull(strstr(r.out, "the MADT lists 4 cpus"));
	for (int i = 1; i < 4; i++) {
		snprintf(line, sizeof line, "cpu %d reporting\n", i);
		ck_assert_msg(strstr(r.out, line), "missing '%s' in %s", line, msg_tail(r.out));
	}
	ck_assert_ptr_nonnull(strstr(r.out, "all 4 cpus reported"));
	proc_result_free(&r);
}
END_TEST

START_TEST(echo_round_trips_input)
{
	struct proc_result r;
	const char in[] = "hello there\nexit\n";
	struct proc_opts o = { .in = in, .in_len = sizeof in - 1, .in_fd = -1, .timeout_ms = TIMEOUT_MS };

	RUN("echo", &o, &r, "--mem", "32M");
	ck_assert_msg(r.status == 0, "status %d, err %s", r.status, msg_tail(r.err));
	ck_assert_ptr_nonnull(strstr(r.out, "echo: ready\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "hello there\nexit\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "echo: bye"));
	proc_result_free(&r);
}
END_TEST

START_TEST(echo_takes_more_input_than_the_fifo)
{
	static char in[4096 + 6];
	struct proc_result r;
	struct proc_opts o = { .in = in, .in_fd = -1, .timeout_ms = TIMEOUT_MS };

	for (size_t i = 0; i < 4096; i++)
		in[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	memcpy(in + 4096, "exit\n", 5);
	o.in_len = 4096 + 5;
	RUN("echo", &o, &r);
	ck_assert_int_eq(r.status, 0);
	/* Nothing lost: every input byte comes back, in order. */
	ck_assert_ptr_nonnull(strstr(r.out, in));
	proc_result_free(&r);
}
END_TEST

START_TEST(ring3_work_and_exception_gates)
{
	struct proc_result r;
	uint64_t x = XORSHIFT_SEED;
	char want[128];

	for (int i = 0; i < 10000000; i++)
		xorshift64(&x);
	snprintf(want, sizeof want, "10000000 iterations, checksum %llx,", (unsigned long long)x);
	RUN("ring3", NULL, &r, "--cmdline", "iters=10000000 waits=20");
	ck_assert_msg(r.status == 0, "status %d, out %s err %s", r.status, msg_tail(r.out), msg_tail(r.err));
	ck_assert_ptr_nonnull(strstr(r.out, "running at cpl 3"));
	ck_assert_msg(strstr(r.out, want), "no '%s' in %s", want, msg_tail(r.out));
	ck_assert_ptr_nonnull(strstr(r.out, "ud2 call into ring 0 saw cpl 3"));
	/* COM1 worked through the TSS bitmap with IOPL 0, the path PVM hosts
	 * need, and the bitmap is what decides: a port past it faults */
	ck_assert_ptr_nonnull(strstr(r.out, "iopl 0; port 800 denied by the TSS bitmap: yes"));
	ck_assert_ptr_nonnull(strstr(r.out, "20 hlt waits woke 20 times"));
	proc_result_free(&r);
}
END_TEST

START_TEST(reset_exits_when_asked)
{
	struct proc_result r;

	RUN("reset", NULL, &r, "--on-reset=exit", "--name", "rb");
	ck_assert_int_eq(r.status, 126);
	ck_assert_int_eq(count_of(r.out, "reset: resetting"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "vmm: rb: guest reset"));
	proc_result_free(&r);
}
END_TEST

START_TEST(reset_restarts_by_default)
{
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = TIMEOUT_MS, .signo = SIGTERM,
			       .until_out = "reset: resetting", .signal_count = 3 };

	RUN("reset", &o, &r);
	ck_assert_int_eq(r.status, 128 + SIGTERM);
	ck_assert_int_ge(count_of(r.out, "reset: resetting"), 3);
	ck_assert_int_eq(count_of(r.out, "still running"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "guest reset, restarting"));
	proc_result_free(&r);
}
END_TEST

START_TEST(signals_stop_the_guest_cleanly)
{
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = TIMEOUT_MS, .signo = SIGTERM, .until_out = "echo: ready" };

	/* echo with stdin open but silent: it waits for input until the signal. */
	o.in = "";
	o.in_len = 0;
	RUN("echo", &o, &r);
	ck_assert_int_eq(r.status, 128 + SIGTERM);
	ck_assert_ptr_nonnull(strstr(r.err, "stopped by Terminated"));
	proc_result_free(&r);
	o.signo = SIGINT;
	RUN("echo", &o, &r);
	ck_assert_int_eq(r.status, 128 + SIGINT);
	proc_result_free(&r);
}
END_TEST

START_TEST(ctrl_a_x_quits)
{
	struct proc_result r;
	const char in[] = "abc\n\x01x";
	struct proc_opts o = { .in = in, .in_len = sizeof in - 1, .in_fd = -1, .timeout_ms = TIMEOUT_MS };

	RUN("echo", &o, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "quit from the console"));
	proc_result_free(&r);
}
END_TEST

/* On a terminal the console goes raw; every way out restores it. */
static void check_tty_restored(const char *guest, const char *input, int want_status, const char **args)
{
	int master, slave;
	struct termios before, after;
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = TIMEOUT_MS };

	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	ck_assert(before.c_lflag & ICANON);
	if (input)
		ck_assert_int_eq(write(master, input, strlen(input)), (ssize_t)strlen(input));
	o.in_fd = slave;
	run_guest(guest, &o, &r, args);
	ck_assert_msg(r.status == want_status, "%s: status %d, err %s", guest, r.status, msg_tail(r.err));
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert_int_eq(after.c_lflag, before.c_lflag);
	ck_assert_int_eq(after.c_iflag, before.c_iflag);
	ck_assert_int_eq(after.c_oflag, before.c_oflag);
	proc_result_free(&r);
	close(master);
	close(slave);
}

START_TEST(terminal_restored_on_every_exit)
{
	const char *none[] = { NULL };

	check_tty_restored("hello", NULL, 0, none);
	check_tty_restored("fault", NULL, 125, none);
	check_tty_restored("echo", "\x01x", 0, none);
	check_tty_restored("echo", "exit\r", 0, none);
}
END_TEST

/* Reads from fd until the accumulated text contains want (or ~60 s pass). */
static int read_until(int fd, char *buf, size_t cap, size_t *len, const char *want)
{
	for (int i = 0; i < 1200 && !strstr(buf, want); i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n <= 0)
			return -1;
		*len += (size_t)n;
		buf[*len] = 0;
	}
	return strstr(buf, want) ? 0 : -1;
}

START_TEST(console_socket_serves_one_client_at_a_time)
{
	char path[] = "/tmp/vmm-console-XXXXXX", sock[128], kernel[512], buf[4096] = "";
	size_t len = 0;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = -1, fd2, st;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(sock, sizeof sock, "%s/console", path);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execl(vmm_bin(), vmm_bin(), "run", "--kernel", guest_path("echo", kernel, sizeof kernel),
		      "--console-socket", sock, (char *)NULL);
		_exit(127);
	}
	strcpy(a.sun_path, sock);
	for (int i = 0; i < 600; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "one\n", 4), 4);
	ck_assert_msg(read_until(fd, buf, sizeof buf, &len, "one\n") == 0, "got '%s'", msg_tail(buf));
	/* A second client takes over; the first one is hung up on. */
	fd2 = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd2, (struct sockaddr *)&a, sizeof a), 0);
	len = 0;
	buf[0] = 0;
	ck_assert_int_eq(write(fd2, "two\nexit\n", 9), 9);
	ck_assert_msg(read_until(fd2, buf, sizeof buf, &len, "echo: bye") == 0, "got '%s'", msg_tail(buf));
	ck_assert_ptr_nonnull(strstr(buf, "two\n"));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	/* Unjailed, vmm removes its socket on exit; jailed (root), its root is
	 * empty and the socket stays, and the next vmm replaces it. */
	if (geteuid() != 0) {
		ck_assert_int_eq(access(sock, F_OK), -1);
	} else {
		struct proc_result r;
		char reuse[160];

		ck_assert_int_eq(access(sock, F_OK), 0);
		snprintf(reuse, sizeof reuse, "%s", sock);
		RUN("hello", NULL, &r, "--console-socket", reuse);
		ck_assert_msg(r.status == 0, "a vmm on the stale socket's path: %d: %s", r.status, msg_tail(r.err));
		proc_result_free(&r);
		unlink(sock);
	}
	close(fd);
	close(fd2);
	rmdir(path);
}
END_TEST

START_TEST(exit_stats_count_every_exit)
{
	struct proc_result r;
	unsigned long long exits = 0, user = 0;
	const char *line;

	RUN("hello", NULL, &r, "--exit-stats", "--name", "counted");
	ck_assert_msg(r.status == 0, "status %d, stderr %s", r.status, msg_tail(r.err));
	line = strstr(r.err, "vmm: counted: exit stats vcpu0 exits=");
	ck_assert_msg(line, "stderr: %s", msg_tail(r.err));
	ck_assert_int_eq(sscanf(line, "vmm: counted: exit stats vcpu0 exits=%llu", &exits), 1);
	/* Only the counters both KVM flavours report: hardware KVM has io_exits,
	 * PVM has none (it names its own, insn_emulation and more). */
	ck_assert_ptr_nonnull(strstr(line, " userspace_exits="));
	ck_assert_int_eq(sscanf(strstr(line, " userspace_exits="), " userspace_exits=%llu", &user), 1);
	/* hello prints through the UART (port I/O, handled by vmm), so both
	 * counts are non-zero and KVM's total covers the ones vmm saw */
	ck_assert_uint_gt(user, 0);
	ck_assert_uint_ge(exits, user);
	proc_result_free(&r);
}
END_TEST

START_TEST(sigusr2_resets_the_guest)
{
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = TIMEOUT_MS, .signo = SIGUSR2, .until_out = "idling" };

	RUN("hello", &o, &r, "--cmdline", "idle=1", "--on-reset=exit");
	ck_assert_int_eq(r.status, 126);
	ck_assert_int_eq(count_of(r.out, "Hello from the guest!"), 1);
	proc_result_free(&r);
}
END_TEST

/* A copy of a guest and a 64 KiB disk under a fresh directory, for tests
 * that move them away while vmm runs. */
static void files_copy(char *dir, size_t size, const char *guest, char *kernel, char *disk, size_t len)
{
	char src[512], cmd[2048];

	snprintf(dir, size, "/tmp/vmm-files-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(kernel, len, "%s/kernel.elf", dir);
	snprintf(disk, len, "%s/disk.img", dir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s' && truncate -s 64K '%s'", guest_path(guest, src, sizeof src), kernel,
		 disk);
	ck_assert_int_eq(system(cmd), 0);
}

static void files_remove(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* How many times needle is in the file at path now. */
static int file_count(const char *path, const char *needle)
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f && getdelim(&text, &cap, 0, f) > 0)
		n = count_of(text, needle);
	if (f)
		fclose(f);
	free(text);
	return n;
}

static int wait_count(const char *path, const char *needle, int want)
{
	for (int i = 0; i < TIMEOUT_MS / 20; i++) {
		if (file_count(path, needle) >= want)
			return 0;
		usleep(20000);
	}
	return -1;
}

/* vmm opens its files once: with the kernel and disk renamed away after the
 * first boot, the reboots still boot (from the descriptors it kept), and the
 * read-write disk stays locked against a second VM the whole time. */
START_TEST(reboots_open_no_path)
{
	char dir[64], kernel[128], disk[128], moved[160], out[160], err[160];
	const char *argv[] = { vmm_bin(), "run", "--kernel", kernel, "--disk", disk, "--name", "files", NULL };
	struct proc_result r;
	int st, n;
	pid_t pid;

	files_copy(dir, sizeof dir, "reset", kernel, disk, sizeof kernel);
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	pid = proc_spawn(argv, out, err);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(wait_count(out, "reset: resetting", 1) == 0, "no boot: %s", msg_tail(out));
	RUN("hello", NULL, &r, "--disk", disk);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "is in use by another VM (locked)"), "stderr: %s", msg_tail(r.err));
	proc_result_free(&r);
	snprintf(moved, sizeof moved, "%s.moved", kernel);
	ck_assert_int_eq(rename(kernel, moved), 0);
	ck_assert_int_eq(unlink(disk), 0);
	n = file_count(out, "reset: resetting");
	ck_assert_msg(wait_count(out, "reset: resetting", n + 3) == 0, "no reboot after the rename: %s",
		      msg_tail(err));
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %d", st);
	ck_assert_int_eq(file_count(err, "cannot"), 0);
	files_remove(dir);
}
END_TEST

/* A kernel without vmm's NO_PIT note gets an in-kernel PIT, as on a PC: KVM
 * runs it as the kernel thread "kvm-pit/<vmm's pid>" (the site kernel, with
 * the note, has none: check_site.c). */
START_TEST(a_kernel_without_the_no_pit_note_gets_a_pit)
{
	char dir[] = "/tmp/vmm-pit-XXXXXX", out[64], err[64], guest[256], pit[32];
	const char *argv[] = { vmm_bin(), "run", "--kernel", guest_path("echo", guest, sizeof guest), NULL };
	int st;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	pid = proc_spawn(argv, out, err); /* stdin /dev/null: echo waits for input until killed */
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(wait_count(out, "echo: ready", 1) == 0, "no boot: %s", msg_tail(err));
	snprintf(pit, sizeof pit, "kvm-pit/%d", (int)pid);
	ck_assert_msg(process_named(pit), "no %s thread", pit);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	files_remove(dir);
}
END_TEST

/* fd:N: files the parent opened and passed, whose names are gone before vmm
 * starts: every boot reads the descriptors, the initrd too. */
START_TEST(files_by_descriptor)
{
	char dir[64], kernel[128], disk[128];
	char *argv[] = { (char *)vmm_bin(), "run", "--kernel", "fd:50", "--initrd", "fd:52", "--disk", "fd:51",
			 "--name", "byfd", NULL };
	struct proc_opts o = { .in_fd = -1, .timeout_ms = TIMEOUT_MS, .signo = SIGTERM,
			       .until_out = "reset: resetting", .signal_count = 3 };
	struct proc_result r;
	int k, d;

	files_copy(dir, sizeof dir, "reset", kernel, disk, sizeof kernel);
	k = open(kernel, O_RDONLY);
	d = open(disk, O_RDWR);
	ck_assert(k >= 0 && d >= 0);
	files_remove(dir);
	ck_assert_int_eq(dup2(k, 50), 50); /* above any the test holds */
	ck_assert_int_eq(dup2(d, 51), 51);
	ck_assert_int_eq(dup2(k, 52), 52); /* any non-empty file serves as an initrd */
	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_msg(r.status == 128 + SIGTERM, "status %d, stderr %s", r.status, msg_tail(r.err));
	ck_assert_int_ge(count_of(r.out, "reset: resetting"), 3);
	ck_assert_msg(!strstr(r.err, "cannot"), "stderr: %s", msg_tail(r.err));
	proc_result_free(&r);
	close(50);
	close(51);
	close(52);
	close(k);
	close(d);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		hello_prints_and_powers_off, exit_code_passes_through, triple_fault_is_a_crash_with_registers,
		smp_every_cpu_reports, echo_round_trips_input, echo_takes_more_input_than_the_fifo,
		ring3_work_and_exception_gates, reset_exits_when_asked, reset_restarts_by_default,
		signals_stop_the_guest_cleanly, ctrl_a_x_quits,
		terminal_restored_on_every_exit, console_socket_serves_one_client_at_a_time,
		sigusr2_resets_the_guest, exit_stats_count_every_exit, reboots_open_no_path, files_by_descriptor,
		cpuid_cache_is_ours_and_replaced_when_untrusted, a_kernel_without_the_no_pit_note_gets_a_pit, NULL,
	};

	return run_suite(one_case_suite("guests", "vmm run", 300, NULL, NULL, tests));
}
