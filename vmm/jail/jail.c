#include "jail/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail/landlock_scope.h"
#include "jail/seccomp_policy.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* The new root is mounted over this directory of the old one, in the
 * private mount namespace (the host never sees it, and it hides what the
 * host has there). */
#define ROOT_MOUNT "/tmp"

static int mkdirs_below(const char *root, const char *path, struct err *e)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof p, "%s%s", root, path) >= (int)sizeof p)
		return err_set(e, "jail: path too long: %s", path);
	for (char *s = p + strlen(root) + 1; ; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;

		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return err_errno(e, "jail: mkdir %s", p);
		if (!c)
			return 0;
		*s = c;
	}
}

/* Binds each kept socket's directory at its own path under the new root
 * (mounted at ROOT_MOUNT, which may hide the originals: they were opened
 * before as O_PATH descriptors). */
static int bind_kept(const int *fds, const struct jail_config *c, struct err *e)
{
	for (unsigned i = 0; i < c->nkeep; i++) {
		char dir[PATH_MAX], src[64], dst[PATH_MAX + sizeof ROOT_MOUNT];
		char *slash;

		snprintf(dir, sizeof dir, "%s", c->keep[i]);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			snprintf(dir, sizeof dir, "/");
		else
			*slash = 0;
		if (strcmp(dir, "/") == 0)
			return err_set(e, "jail: --vsock-connect socket '%s' must be in a directory below /", c->keep[i]);
		if (mkdirs_below(ROOT_MOUNT, dir, e) < 0)
			return -1;
		snprintf(src, sizeof src, "/proc/self/fd/%d", fds[i]);
		snprintf(dst, sizeof dst, "%s%s", ROOT_MOUNT, dir);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return err_errno(e, "jail: cannot keep %s visible", dir);
	}
	return 0;
}

/* In the order the main thread joins them (join_namespaces): the mount
 * namespace last, since joining it also moves the root. */
static const char *const ns_names[JAIL_NNS] = { "net", "ipc", "uts", "mnt" };

/* The shared namespaces first, while the thread is still in the host's
 * mount namespace (where they are pinned). The IPC one always (the filter
 * allows no IPC call), else a new one; the network one where Landlock's
 * scoping will hold (jail_enter applies it), else a new one. */
static bool join_shared(struct jail_note *n, const char *path, int *flags)
{
	int rc = shared_ns_join(n->kind, path, &n->why);

	if (rc < 0 || rc == 1)
		n->set = true;
	if (rc >= 0)
		*flags &= ~n->kind->type; /* in the shared one, or in its own already */
	return rc == 0;
}

static void shared_namespaces(struct jail_state *s, int *flags)
{
	join_shared(&s->ipc_note, JAIL_SHARED_IPC_PATH, flags);
	if (s->scope_fd >= 0) /* no scoping, no sharing: unshared with the others */
		s->net_shared = join_shared(&s->net_note, JAIL_SHARED_NET_PATH, flags);
}

/* The shared mount namespace, for a root with nothing of the VM's own in
 * it (not for kept sockets, nor the sanitizers' /proc): its descriptor in
 * s->nsfd, or -1 (a namespace of its own, with the note's reason), or -2. */
static int shared_mount_namespace(struct jail_state *s)
{
	int fd;

	if (s->cfg->nkeep || SANITIZED)
		return -1;
	fd = shared_mnt_open(JAIL_SHARED_MNT_PATH, JAIL_EMPTY_ROOT_PATH, &s->mnt_note.why);
	if (fd == -1)
		s->mnt_note.set = true;
	if (fd < 0)
		return fd;
	s->nsfd[JAIL_NS_MNT] = fd;
	s->mnt_shared = true;
	return 0;
}

/* The builder's work: the namespaces the main thread will join, in
 * s->nsfd, shared where they can be, and an empty read-only root: the
 * shared mount namespace's, or in a new one at ROOT_MOUNT (the shared
 * empty directory, or a tmpfs with the kept directories). */
static int empty_root(struct jail_state *s, struct err *e)
{
	const struct jail_config *c = s->cfg;
	int *nsfd = s->nsfd;
	int fds[JAIL_MAX_KEEP], rc = -1, flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
	struct err ignored;
	unsigned opened = 0;

	shared_namespaces(s, &flags);
	switch (shared_mount_namespace(s)) {
	case 0:
		flags &= ~CLONE_NEWNS;
		break;
	case -2:
		*e = s->mnt_note.why;
		return -1;
	}
	if (unshare(flags) < 0) {
		err_errno(e, "jail: unshare (%sIPC, UTS%s namespaces)", flags & CLONE_NEWNS ? "mount, " : "",
			  flags & CLONE_NEWNET ? ", network" : "");
		goto out;
	}
	/* the main thread joins them later (setns): held open from here, while
	 * /proc is still in reach */
	for (unsigned i = 0; i < JAIL_NNS; i++) {
		char path[64];

		if (nsfd[i] >= 0)
			continue; /* the shared mount namespace */
		snprintf(path, sizeof path, "/proc/thread-self/ns/%s", ns_names[i]);
		nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0) {
			err_errno(e, "jail: cannot open %s", path);
			goto out;
		}
	}
	if (s->mnt_shared)
		return 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		err_errno(e, "jail: making the mounts private");
		goto out;
	}
	/* opened in the new namespace (a bind source must be in it), before
	 * the tmpfs hides anything */
	for (; opened < c->nkeep; opened++) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof dir, "%s", c->keep[opened]);
		slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = 0;
		fds[opened] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fds[opened] < 0) {
			err_errno(e, "jail: cannot open %s", dir);
			goto out;
		}
	}
	/* a tmpfs of its own only where something goes in it */
	if ((c->nkeep || SANITIZED || shared_empty_root(JAIL_EMPTY_ROOT_PATH, ROOT_MOUNT, &ignored) < 0) &&
	    mount("vmm-jail", ROOT_MOUNT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755") < 0) {
		err_errno(e, "jail: tmpfs on %s", ROOT_MOUNT);
		goto out;
	}
	if (bind_kept(fds, c, e) < 0)
		goto out;
	/* LeakSanitizer reads /proc/self at exit (sanitizer builds only) */
	if (SANITIZED && (mkdirs_below(ROOT_MOUNT, "/proc", e) < 0 ||
			  mount("proc", ROOT_MOUNT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)) {
		err_errno(e, "jail: proc for the sanitizers");
		goto out;
	}
	if (mount(NULL, ROOT_MOUNT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
	    0) {
		err_errno(e, "jail: read-only root");
		goto out;
	}
	rc = 0;
out:
	while (opened)
		close(fds[--opened]);
	return rc;
}

/* Building the namespaces costs about a millisecond (a network namespace;
 * detaching the old root waits for RCU): a thread of its own does it while
 * the main thread sets up the VM, and only joining them is left for
 * jail_enter. unshare and pivot_root there move that thread alone. */
static void *build_namespaces(void *arg)
{
	struct jail_state *s = arg;

	s->prep_rc = empty_root(s, &s->prep_err);
	return NULL;
}

/* The builder's stack is ours, with a guard page below, and unmapped once
 * it is joined: glibc keeps the stack of an ended thread cached, its top
 * pages (20 KiB here) resident for the whole run. Its frames need a few
 * dozen KiB; untouched pages cost nothing. */
#define BUILDER_STACK (1u << 20)
#define BUILDER_GUARD 4096u

static void *builder_stack_map(void)
{
	char *p = mmap(NULL, BUILDER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, BUILDER_GUARD, PROT_NONE) < 0) {
		munmap(p, BUILDER_STACK);
		return NULL;
	}
	return p;
}

static void builder_stack_unmap(struct jail_state *s)
{
	if (s->builder_stack)
		munmap(s->builder_stack, BUILDER_STACK);
	s->builder_stack = NULL;
}

void jail_state_init(struct jail_state *s)
{
	memset(s, 0, sizeof *s);
	for (unsigned i = 0; i < JAIL_NNS; i++)
		s->nsfd[i] = -1;
	s->scope_fd = -1;
	s->net_note.kind = &shared_ns_net;
	s->ipc_note.kind = &shared_ns_ipc;
	s->mnt_note.kind = &shared_ns_mnt;
}

int jail_prepare(const struct jail_config *c, struct jail_state *s, struct err *e)
{
	struct err unavailable;
	int rc;

	jail_state_init(s);
	if (geteuid() != 0)
		return 0; /* no namespaces to build: no_new_privs, limits, scoping and filters only */
	s->cfg = c;
	/* made now, so the builder shares the network namespace only where
	 * the scoping exists (ABI 6); without it, silently one of its own */
	s->scope_fd = landlock_scope_ruleset(&unavailable);
	/* signals are the main thread's: the builder takes none of them */
	sigset_t all, old;
	pthread_attr_t a;

	s->builder_stack = builder_stack_map();
	if (!s->builder_stack)
		return err_errno(e, "jail: no stack for the namespace builder");
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, (char *)s->builder_stack + BUILDER_GUARD, BUILDER_STACK - BUILDER_GUARD);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->builder, &a, build_namespaces, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		builder_stack_unmap(s);
		errno = rc;
		return err_errno(e, "jail: cannot start the namespace builder");
	}
	s->building = true;
	return 0;
}

/* Waits for the builder; the namespaces' descriptors stay in s. */
static int wait_builder(struct jail_state *s, struct err *e)
{
	if (!s->building)
		return 0;
	pthread_join(s->builder, NULL);
	s->building = false;
	builder_stack_unmap(s);
	if (s->prep_rc < 0) {
		*e = s->prep_err;
		return -1;
	}
	return 0;
}

int jail_prepare_wait(struct jail_state *s, struct err *e)
{
	return wait_builder(s, e);
}

static void close_ns(struct jail_state *s)
{
	for (unsigned i = 0; i < JAIL_NNS; i++)
		if (s->nsfd[i] >= 0) {
			close(s->nsfd[i]);
			s->nsfd[i] = -1;
		}
}

/* Moves the calling thread into the builder's namespaces (the mount
 * namespace last: it also resets the root) and its root to the empty
 * tmpfs. chroot rather than pivot_root and detaching the old root: the
 * detach waits for an RCU grace period (0.5-3 ms measured here), and the
 * host's mounts, left below in this private namespace, are out of reach
 * for a process with no directory descriptor outside, no capabilities,
 * and a filter without open, chroot or mount. */
static int join_namespaces(struct jail_state *s, bool own_net, struct err *e)
{
	for (unsigned i = 0; i < JAIL_NNS; i++) {
		if (i == 0 && own_net) {
			/* the shared one without the scoping: a new one instead */
			if (unshare(CLONE_NEWNET) < 0)
				return err_errno(e, "jail: unshare (network namespace)");
			continue;
		}
		if (setns(s->nsfd[i], 0) < 0)
			return err_errno(e, "jail: setns (%s namespace)", ns_names[i]);
	}
	close_ns(s);
	/* the shared namespace's root is the empty one already (setns put the
	 * thread there) */
	if ((!s->mnt_shared && chroot(ROOT_MOUNT) < 0) || chdir("/") < 0)
		return err_errno(e, "jail: chroot into the empty root");
	return 0;
}

static int drop_ids(uid_t uid, gid_t gid, struct err *e)
{
	/* the bounding set needs CAP_SETPCAP to shrink: before the uid goes */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap) < 0)
			return err_errno(e, "jail: dropping capability %d", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_errno(e, "jail: clearing ambient capabilities");
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0)
		return err_errno(e, "jail: gid %u", (unsigned)gid);
	/* leaving uid 0 clears the permitted and effective sets */
	if (setresuid(uid, uid, uid) < 0)
		return err_errno(e, "jail: uid %u", (unsigned)uid);
	/* LeakSanitizer's tracer attaches to the process (sanitizer builds) */
	if (SANITIZED && prctl(PR_SET_DUMPABLE, 1) < 0)
		return err_errno(e, "jail: PR_SET_DUMPABLE");
	return 0;
}

static int set_limit(int res, const char *name, rlim_t v, struct err *e)
{
	struct rlimit r = { v, v };

	if (setrlimit(res, &r) < 0)
		return err_errno(e, "jail: %s %llu", name, (unsigned long long)v);
	return 0;
}

static int limits(const struct jail_config *c, bool own_id, struct err *e)
{
	/* a write past the file limit fails with EFBIG rather than killing */
	signal(SIGXFSZ, SIG_IGN);
	if (set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", c->nofile, e) < 0 ||
	    set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", c->file_max, e) < 0)
		return -1;
	/* per uid: only meaningful (and safe) for an id of this VM's own */
	if (own_id && set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", c->threads, e) < 0)
		return -1;
	return 0;
}

/* Landlock's scoping on the calling thread, the only one (the builder has
 * ended, the vCPU threads start later and inherit it): needed before the
 * shared network namespace is joined. Where it fails anyway, the main
 * thread takes a new network namespace instead (returns true). */
static bool scope(struct jail_state *s)
{
	int fd = s->scope_fd;
	bool own_net = false;

	if (fd < 0)
		return false;
	s->scope_fd = -1;
	if (landlock_scope_restrict(fd, &s->net_note.why) < 0) {
		s->net_note.set = true;
		own_net = s->net_shared;
		s->net_shared = false;
	}
	return own_net;
}

/* Without root (the host's network namespace, no namespaces of its own):
 * the scoping still keeps it from other processes' abstract sockets and
 * from signalling them, where the kernel has it. After no_new_privs,
 * which it needs without CAP_SYS_ADMIN. */
static void scope_unprivileged(void)
{
	struct err ignored;
	int fd = landlock_scope_ruleset(&ignored);

	if (fd >= 0)
		landlock_scope_restrict(fd, &ignored);
}

int jail_enter(const struct jail_config *c, struct jail_state *s, struct err *e)
{
	/* One compile buffer for both: the vCPU threads' program, which the run
	 * keeps, is copied out at its own size. */
	struct seccomp_prog *prog = malloc(sizeof *prog);
	int rc = -1;

	if (!prog) {
		err_set(e, "out of memory");
		goto out;
	}
	if (seccomp_compile(&seccomp_vcpu_policy, prog, e) < 0 ||
	    seccomp_prog_copy(prog, &s->vcpu_prog, e) < 0 ||
	    seccomp_compile(&seccomp_main_policy, prog, e) < 0)
		goto out;
	s->uid = getuid();
	s->gid = getgid();
	if (geteuid() == 0) {
		s->uid = c->ids_given ? c->uid : JAIL_ID_BASE + (uid_t)getpid();
		s->gid = c->ids_given ? c->gid : JAIL_ID_BASE + (gid_t)getpid();
		if (s->uid == 0 || s->gid == 0) {
			err_set(e, "jail: uid and gid must not be 0 (--uid, --gid)");
			goto out;
		}
		if (wait_builder(s, e) < 0)
			goto out;
		if (join_namespaces(s, scope(s), e) < 0 || drop_ids(s->uid, s->gid, e) < 0)
			goto out;
		s->privileged = true;
	}
	if (limits(c, s->privileged, e) < 0)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err_errno(e, "jail: no_new_privs");
		goto out;
	}
	if (!s->privileged)
		scope_unprivileged();
	if (seccomp_report_install(e) < 0 || seccomp_install(prog, "main", e) < 0)
		goto out;
	rc = 0;
out:
	free(prog);
	return rc;
}

int jail_vcpu_thread(const struct jail_state *s, struct err *e)
{
	return seccomp_install_fprog(&s->vcpu_prog, "vcpu", e);
}

void jail_state_free(struct jail_state *s)
{
	struct err ignored;

	wait_builder(s, &ignored); /* set-up failed before the jail: its namespaces go unused */
	close_ns(s);
	if (s->scope_fd >= 0)
		close(s->scope_fd);
	s->scope_fd = -1;
	free(s->vcpu_prog.filter);
	s->vcpu_prog.filter = NULL;
}
