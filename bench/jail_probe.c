/* jail_probe: bench/jail.sh's look inside the jail, linked with the same
 * libvmm.a as the vmm it times (so it reads the compiled tables, not the
 * source).
 *
 *   jail_probe policy     per thread kind (main, vcpu): the system calls its
 *                         seccomp table lets run, those it answers with an
 *                         errno instead, the KVM/terminal ioctl numbers it
 *                         allows and the BPF program's length; for the vCPU
 *                         thread also what it can run in effect (its filter
 *                         is stacked on the main thread's: both must allow)
 *   jail_probe enter N [OVERLAP_US]  N times: fork a child that times
 *                         jail_prepare + jail_enter, or with OVERLAP_US
 *                         only jail_enter after that much "set-up" (vmm run
 *                         builds the namespaces while it sets up the VM) (the
 *                         limits run_jail.c gives a 1-vCPU VM, no kept
 *                         sockets) and then one vCPU thread's filter
 *                         (jail_vcpu_thread); prints the median, min and max
 *                         of each in microseconds, the same of one getpid(2)
 *                         in ns before the jail, under the main thread's
 *                         filter and under both (a vCPU thread's: getpid is
 *                         the last rule of each table), and whether the children
 *                         were jailed with namespaces and ids (root) or only
 *                         with limits and filters
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jail/jail.h"
#include "jail/seccomp_bpf.h"
#include "jail/seccomp_policy.h"

#include <asm/unistd.h>

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The rule for call nr in p that lets it run (not an errno answer), or NULL. */
static const struct seccomp_rule *runs(const struct seccomp_policy *p, int nr)
{
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i].nr == nr && !p->rules[i].errno_ret)
			return &p->rules[i];
	return NULL;
}

static unsigned ioctls(const struct seccomp_policy *p)
{
	const struct seccomp_rule *r = runs(p, __NR_ioctl);

	return r ? (r->check == ARG_ANY ? 0 : r->nvalues) : 0;
}

/* One line: "KIND RUNS ERRNO IOCTLS INSNS name name ..." (names of the
 * calls that run; errno answers follow as name=ERRNO). A call named twice
 * counts once. */
static int print_policy(const struct seccomp_policy *p, const struct seccomp_policy *under)
{
	struct seccomp_prog *prog = malloc(sizeof *prog);
	struct err e;
	unsigned nrun = 0, nerr = 0;
	char names[8192] = "";
	size_t len = 0;

	if (!prog || seccomp_compile(p, prog, &e) < 0) {
		fprintf(stderr, "jail_probe: %s: %s\n", p->kind, prog ? e.msg : "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		int dup = 0;

		for (unsigned j = 0; j < i; j++)
			dup |= p->rules[j].nr == r->nr;
		if (dup)
			continue;
		if (r->errno_ret) {
			nerr++;
			len += (size_t)snprintf(names + len, sizeof names - len, " %s=%s", r->name, strerrorname_np(r->errno_ret));
		} else if (!under || runs(under, r->nr)) {
			nrun++;
			len += (size_t)snprintf(names + len, sizeof names - len, " %s", r->name);
		}
		if (len >= sizeof names)
			return -1;
	}
	printf("%s%s %u %u %u %u%s\n", p->kind, under ? "-effective" : "", nrun, nerr, ioctls(p), prog->len, names);
	free(prog);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void stats(const char *what, long long *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_ll);
	printf("%s %lld %lld %lld\n", what, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]);
}

/* ns per getpid(2) (a raw call: glibc may cache it), over 20,000 calls:
 * getpid is the last rule of both tables, so the filters' longest path */
static long long call_ns(void)
{
	long long t0 = now_ns();

	for (int i = 0; i < 20000; i++)
		syscall(__NR_getpid);
	return (now_ns() - t0) / 20000;
}

static int enter(int n, long overlap_us)
{
	long long *tj = calloc((size_t)n, sizeof *tj), *tv = calloc((size_t)n, sizeof *tv);
	long long *c0 = calloc((size_t)n, sizeof *c0), *c1 = calloc((size_t)n, sizeof *c1),
		  *c2 = calloc((size_t)n, sizeof *c2);
	int privileged = -1;

	for (int i = 0; i < n; i++) {
		int pfd[2];
		long long r[6];
		pid_t pid;
		int st;

		if (pipe(pfd) < 0 || (pid = fork()) < 0)
			return perror("jail_probe"), -1;
		if (pid == 0) {
			/* what run_jail.c gives a 1-vCPU VM without --vsock-connect */
			struct jail_config c = { .threads = 3, .file_max = 256ull << 20, .nofile = 4096 };
			struct jail_state s;
			struct err e;
			long long t0, t1, t2;

			close(pfd[0]);
			r[3] = call_ns();
			t0 = now_ns();
			/* as vmm run: the namespaces are built while the VM is set
			 * up (OVERLAP_US of it here: 0 gives the serial cost) */
			if (jail_prepare(&c, &s, &e) < 0) {
				fprintf(stderr, "jail_probe: %s\n", e.msg);
				_exit(1);
			}
			if (overlap_us) {
				usleep((useconds_t)overlap_us);
				t0 = now_ns();
			}
			if (jail_enter(&c, &s, &e) < 0) {
				fprintf(stderr, "jail_probe: %s\n", e.msg);
				_exit(1);
			}
			t1 = now_ns();
			r[0] = t1 - t0;
			r[4] = call_ns(); /* 20,000 calls: outside both timings */
			t1 = now_ns();
			if (jail_vcpu_thread(&s, &e) < 0) {
				fprintf(stderr, "jail_probe: %s\n", e.msg);
				_exit(1);
			}
			t2 = now_ns();
			r[5] = call_ns();
			r[1] = t2 - t1;
			r[2] = s.privileged;
			_exit(write(pfd[1], r, sizeof r) == sizeof r ? 0 : 1);
		}
		close(pfd[1]);
		ssize_t got = read(pfd[0], r, sizeof r);

		close(pfd[0]);
		if (waitpid(pid, &st, 0) != pid || st != 0 || got != sizeof r) {
			fprintf(stderr, "jail_probe: child %d failed (status %#x)\n", i, st);
			return -1;
		}
		tj[i] = r[0] / 1000;
		tv[i] = r[1] / 1000;
		privileged = (int)r[2];
		c0[i] = r[3];
		c1[i] = r[4];
		c2[i] = r[5];
	}
	stats("jail_enter_us", tj, n);
	stats("vcpu_filter_us", tv, n);
	stats("getpid_ns_unfiltered", c0, n);
	stats("getpid_ns_main_filter", c1, n);
	stats("getpid_ns_vcpu_filters", c2, n);
	printf("privileged %d\n", privileged);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "policy") == 0)
		return print_policy(&seccomp_main_policy, NULL) < 0 || print_policy(&seccomp_vcpu_policy, NULL) < 0 ||
		       print_policy(&seccomp_vcpu_policy, &seccomp_main_policy) < 0;
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "enter") == 0 && atoi(argv[2]) > 0)
		return enter(atoi(argv[2]), argc == 4 ? atol(argv[3]) : 0) < 0;
	fprintf(stderr, "usage: jail_probe policy | jail_probe enter N [OVERLAP_US]\n");
	return 2;
}
