/* What lets jailed vmms share one network namespace, one IPC namespace and
 * one empty root (jail/shared_ns.c), and what keeps them apart in the
 * network one (jail/landlock_scope.c):
 *  - Landlock's scoping: two children, each scoped on its own; B cannot
 *    connect to A's abstract unix socket (EPERM) while an unscoped child
 *    can, and B still reaches an abstract socket it bound itself;
 *  - the check of what is found at the pin's path: another kind of
 *    namespace, a file, the caller's own namespace are refused, naming it;
 *  - the pin itself (root: in a private mount namespace, on a temporary
 *    path): created by the first joiner, the same namespace for the next,
 *    recreated after an unmount, a non-empty file there refused;
 *  - the shared mount namespace: its root the empty directory and no other
 *    mount in it (where the kernel has listmount), the caller back in its
 *    own namespace after making it, a directory with something in it
 *    refused.
 * Skipped, saying why, where Landlock's scoping or root is missing. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suite.h"
#include "jail/landlock_scope.h"
#include "jail/shared_ns.h"
#include "unit/suites.h"

/* An abstract address: "\0vmm-scope-PID-TAG". */
static socklen_t abstract_addr(struct sockaddr_un *a, pid_t pid, const char *tag)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "vmm-scope-%d-%s", (int)pid, tag);

	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static int listen_abstract(pid_t pid, const char *tag)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, pid, tag);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 4) < 0)
		return -1;
	return fd;
}

/* connect's result: 0 or errno. */
static int connect_abstract(pid_t pid, const char *tag)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, pid, tag);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return errno;
	rc = connect(fd, (struct sockaddr *)&a, len) < 0 ? errno : 0;
	close(fd);
	return rc;
}

/* In a child: no_new_privs and the jail's scoping (exit 90 where not). */
static void scope_self(void)
{
	struct err e = { "" };
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(90);
	fd = landlock_scope_ruleset(&e);
	if (fd < 0 || landlock_scope_restrict(fd, &e) < 0)
		_exit(90);
}

static bool scoping_available(void)
{
	struct err e = { "" };
	int fd = landlock_scope_ruleset(&e);

	if (fd < 0) {
		printf("jail_netns: Landlock scoping checks skipped: %s\n", e.msg);
		return false;
	}
	close(fd);
	return true;
}

static int wait_exit(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(scope_closes_other_domains_abstract_sockets)
{
	int ready[2], done[2];
	pid_t a, b, c;
	char x;

	if (!scoping_available())
		return;
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	a = fork();
	ck_assert_int_ge(a, 0);
	if (a == 0) {
		/* A: scoped, listens on an abstract name until told */
		scope_self();
		if (listen_abstract(getpid(), "a") < 0)
			_exit(91);
		if (write(ready[1], "r", 1) != 1 || read(done[0], &x, 1) != 1)
			_exit(92);
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &x, 1), 1);
	/* the control: without the scoping, A's socket is reachable */
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0)
		_exit(connect_abstract(a, "a") == 0 ? 0 : 93);
	b = fork();
	ck_assert_int_ge(b, 0);
	if (b == 0) {
		/* B: scoped in a domain of its own */
		scope_self();
		if (connect_abstract(a, "a") != EPERM)
			_exit(94);
		if (listen_abstract(getpid(), "b") < 0)
			_exit(95);
		_exit(connect_abstract(getpid(), "b") == 0 ? 0 : 96);
	}
	int rc_c = wait_exit(c), rc_b = wait_exit(b);

	ck_assert_int_eq(write(done[1], "d", 1), 1);
	ck_assert_int_eq(wait_exit(a), 0);
	ck_assert_msg(rc_c == 0, "an unscoped child could not reach A's socket (exit %d)", rc_c);
	ck_assert_msg(rc_b != 94, "a scoped child reached another domain's abstract socket");
	ck_assert_msg(rc_b == 0, "scoped child B: exit %d (90 scoping, 95 bind, 96 its own socket)", rc_b);
}
END_TEST

static void assert_refused(const char *path, const char *want)
{
	struct err e = { "" };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(shared_ns_check(&shared_ns_net, fd, path, &e), -1);
	ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, want), "%s: %s", path, e.msg);
	close(fd);
}

START_TEST(check_refuses_what_is_no_shared_netns)
{
	char file[] = "/tmp/vmm-netns-XXXXXX";
	int fd = mkstemp(file);

	ck_assert_int_ge(fd, 0);
	close(fd);
	assert_refused("/proc/self/ns/ipc", "namespace of another kind");
	assert_refused(file, "is not a network namespace (a regular file)");
	assert_refused("/proc/self/ns/net", "the host's own network namespace");
	unlink(file);
}
END_TEST

/* In a grandchild: joins path; writes the namespace's inode (or 0) and
 * the message. Returns shared_ns_join's result. */
static int join_in_child(const struct shared_ns_kind *k, const char *path, ino_t *ino, char *msg, size_t cap)
{
	int p[2];
	pid_t pid;
	struct {
		int rc;
		ino_t ino;
		char msg[512];
	} r;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		_exit(80);
	if (pid == 0) {
		struct err e = { "" };
		struct stat st;

		memset(&r, 0, sizeof r);
		char own[64];

		snprintf(own, sizeof own, "/proc/thread-self/ns/%s", k->proc_name);
		r.rc = shared_ns_join(k, path, &e);
		r.ino = stat(own, &st) == 0 ? st.st_ino : 0;
		snprintf(r.msg, sizeof r.msg, "%s", e.msg);
		_exit(write(p[1], &r, sizeof r) == sizeof r ? 0 : 81);
	}
	close(p[1]);
	if (read(p[0], &r, sizeof r) != sizeof r || wait_exit(pid) != 0)
		_exit(82);
	close(p[0]);
	*ino = r.ino;
	snprintf(msg, cap, "%s", r.msg);
	return r.rc;
}

/* The whole pin's life, for a network and an IPC namespace, in a child
 * with a private mount namespace; exit codes name the step that went
 * wrong (60s: network, 70s: IPC). */
static void pin_lifecycle_of(const struct shared_ns_kind *k, const char *dir, int step)
{
	char path[128], msg[512], own_path[64], want[64];
	struct stat own, st;
	ino_t first, second, third;
	int fd;

	snprintf(own_path, sizeof own_path, "/proc/self/ns/%s", k->proc_name);
	if (stat(own_path, &own) < 0)
		_exit(step + 1);
	snprintf(path, sizeof path, "%s/run/%s", dir, k->proc_name); /* run/ may not exist yet */
	if (join_in_child(k, path, &first, msg, sizeof msg) != 0 || first == own.st_ino)
		_exit(step + 2);
	if (stat(path, &st) < 0 || st.st_ino != first)
		_exit(step + 3); /* pinned there */
	if (join_in_child(k, path, &second, msg, sizeof msg) != 0 || second != first)
		_exit(step + 4); /* the next joiner: the same one */
	if (umount(path) < 0)
		_exit(step + 5);
	if (join_in_child(k, path, &third, msg, sizeof msg) != 0 || third == own.st_ino)
		_exit(step + 6); /* an unmounted pin: made again */
	if (stat(path, &st) < 0 || st.st_ino != third)
		_exit(step + 7);
	/* a file with something in it is nobody's pin: refused, not mounted over */
	if (umount(path) < 0 || (fd = open(path, O_WRONLY | O_TRUNC)) < 0 || write(fd, "x", 1) != 1)
		_exit(step + 8);
	close(fd);
	snprintf(want, sizeof want, "not %s namespace", k->a_what);
	if (join_in_child(k, path, &third, msg, sizeof msg) != -1 || third != own.st_ino || !strstr(msg, path) ||
	    !strstr(msg, want))
		_exit(step + 9);
}

static void pin_lifecycle(const char *dir)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(60);
	pin_lifecycle_of(&shared_ns_net, dir, 60);
	pin_lifecycle_of(&shared_ns_ipc, dir, 70);
	_exit(0);
}

/* Runs child(dir) in a child process, on a fresh directory under /tmp
 * (removed after), as root only (it mounts and unshares): what names the
 * checks in messages; the child's exit code names the failed step. */
static void in_child_on_tmpdir(void (*child)(const char *dir), const char *what)
{
	char dir[] = "/tmp/vmm-jail-XXXXXX", cmd[64];
	pid_t pid;
	int rc;

	if (geteuid() != 0) {
		printf("jail_netns: %s skipped: they need root (mount, unshare)\n", what);
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child(dir);
	rc = wait_exit(pid);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(rc == 0, "%s failed at step %d (the child's exit codes)", what, rc);
}

START_TEST(pin_created_shared_and_recreated)
{
	in_child_on_tmpdir(pin_lifecycle, "the pins' checks");
}
END_TEST

/* In a child with a private mount namespace: the empty root bound where
 * it is an empty directory of root's alone, refused otherwise (exit codes
 * name the step). */
static void empty_root_checks(const char *dir)
{
	char empty[128], target[128], file[160];
	struct err e = { "" };
	struct stat a, b;
	int fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(40);
	snprintf(empty, sizeof empty, "%s/empty", dir); /* made by the call */
	snprintf(target, sizeof target, "%s/root", dir);
	if (mkdir(target, 0700) < 0)
		_exit(41);
	if (shared_empty_root(empty, target, &e) != 0 || stat(empty, &a) < 0 || stat(target, &b) < 0 ||
	    a.st_ino != b.st_ino || (a.st_mode & 07777) != 0555)
		_exit(42);
	if (umount(target) < 0)
		_exit(43);
	snprintf(file, sizeof file, "%s/x", empty);
	if (chmod(empty, 0755) < 0 || (fd = open(file, O_CREAT | O_WRONLY, 0600)) < 0)
		_exit(44);
	close(fd);
	if (shared_empty_root(empty, target, &e) != -1 || !strstr(e.msg, "is not empty"))
		_exit(45);
	if (unlink(file) < 0 || chmod(empty, 0777) < 0)
		_exit(46);
	if (shared_empty_root(empty, target, &e) != -1 || !strstr(e.msg, "is not root's alone"))
		_exit(47);
	_exit(0);
}

START_TEST(empty_root_bound_only_when_empty_and_roots)
{
	in_child_on_tmpdir(empty_root_checks, "the empty root's checks");
}
END_TEST

/* How many mounts the calling thread's mount namespace holds below its
 * root (listmount, Linux 6.8), or -1 where the kernel cannot say. */
static long mounts_below_root(void)
{
	struct {
		uint32_t size, spare;
		uint64_t mnt_id, param;
	} req = { 24, 0, ~0ull /* LSMT_ROOT */, 0 };
	uint64_t ids[64];

	return syscall(458 /* SYS_listmount */, &req, ids, 64ul, 0ul);
}

/* In a child with a private mount namespace (the "host"): the shared
 * mount namespace made and pinned by the first call, the same for the
 * next, its root the empty directory with no other mount, made again
 * after an unmount, refused where the directory is not empty (exit codes
 * name the step). */
static void mnt_pin_checks(const char *dir)
{
	char path[128], empty[128], file[160];
	struct err e = { "" };
	struct stat host, a, b, pin;
	int fd, fd2;
	pid_t pid;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    stat("/proc/self/ns/mnt", &host) < 0)
		_exit(90);
	snprintf(path, sizeof path, "%s/run/mnt", dir); /* run/ made by the call */
	snprintf(empty, sizeof empty, "%s/empty", dir);
	if ((fd = shared_mnt_open(path, empty, &e)) < 0 || fstat(fd, &a) < 0 || a.st_ino == host.st_ino)
		_exit(91);
	if (stat(path, &pin) < 0 || pin.st_ino != a.st_ino)
		_exit(92); /* pinned there */
	if ((fd2 = shared_mnt_open(path, empty, &e)) < 0 || fstat(fd2, &b) < 0 || b.st_ino != a.st_ino)
		_exit(93); /* the next one: the same */
	close(fd2);
	pid = fork();
	if (pid == 0) {
		struct stat root, want;
		long n;

		if (setns(fd, CLONE_NEWNS) < 0 || stat("/", &root) < 0 || stat(empty, &want) == 0)
			_exit(1); /* nothing of the host's file system by its path */
		n = mounts_below_root();
		if (n < 0)
			printf("jail_netns: no listmount here (%s): the shared mount namespace's mounts not counted\n",
			       strerror(errno));
		_exit(n > 1 ? 2 : 0);
	}
	if (pid < 0 || wait_exit(pid) != 0)
		_exit(94);
	/* an unmounted pin: made again (a new one: the old one, still open
	 * here, keeps its number; and its mount busy, so detached) */
	if (umount2(path, MNT_DETACH) < 0 || (fd2 = shared_mnt_open(path, empty, &e)) < 0 || fstat(fd2, &b) < 0 ||
	    b.st_ino == host.st_ino || b.st_ino == a.st_ino)
		_exit(95);
	close(fd2);
	close(fd);
	snprintf(file, sizeof file, "%s/x", empty);
	if (umount(path) < 0 || chmod(empty, 0755) < 0 || (fd = open(file, O_CREAT | O_WRONLY, 0600)) < 0)
		_exit(96);
	close(fd);
	if (shared_mnt_open(path, empty, &e) != -1 || !strstr(e.msg, "is not empty") ||
	    stat("/proc/self/ns/mnt", &b) < 0 || b.st_ino != host.st_ino)
		_exit(97); /* refused, and back in the "host's" namespace */
	_exit(0);
}

START_TEST(mount_namespace_pinned_with_only_the_empty_root)
{
	in_child_on_tmpdir(mnt_pin_checks, "the shared mount namespace's checks");
}
END_TEST

Suite *jail_netns_suite(void)
{
	return one_case_suite("jail_netns", "shared", 30, NULL, NULL,
			      (const TTest *const[]){ scope_closes_other_domains_abstract_sockets,
						      check_refuses_what_is_no_shared_netns,
						      pin_created_shared_and_recreated,
						      empty_root_bound_only_when_empty_and_roots,
						      mount_namespace_pinned_with_only_the_empty_root, NULL });
}
