/* --publish: parsing of its three forms (unix: with mode= and group=), and
 * the listeners they open: an inherited fd:N is checked (open, a listening
 * stream socket), made non-blocking and close-on-exec, never unlinked;
 * pending clients and detaching from the loop, as --idle-stop uses them. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_suite.h"
#include "host/event_loop.h"
#include "host/vsock_publish.h"
#include "unit/suites.h"

START_TEST(parses_tcp_unix_and_fd)
{
	struct publish_config p;
	struct err e = { "" };

	ck_assert_int_eq(publish_parse("8080:80", &p, &e), 0);
	ck_assert(!p.is_unix && !p.is_fd);
	ck_assert_str_eq(p.addr, "127.0.0.1");
	ck_assert_uint_eq(p.host_port, 8080);
	ck_assert_uint_eq(p.guest_port, 80);
	ck_assert_int_eq(publish_parse("[::1]:8080:81", &p, &e), 0);
	ck_assert_str_eq(p.addr, "::1");
	ck_assert_uint_eq(p.guest_port, 81);
	ck_assert_int_eq(publish_parse("unix:/run/a:b.sock:80", &p, &e), 0);
	ck_assert(p.is_unix && !p.is_fd);
	ck_assert_str_eq(p.path, "/run/a:b.sock");
	ck_assert_int_eq(publish_parse("fd:3:80", &p, &e), 0);
	ck_assert(p.is_fd && !p.is_unix);
	ck_assert_int_eq(p.fd, 3);
	ck_assert_uint_eq(p.guest_port, 80);
	ck_assert_int_eq(publish_parse("fd:2147483647:4294967294", &p, &e), 0);
	ck_assert_int_eq(p.fd, 2147483647);
	ck_assert_uint_eq(p.guest_port, 4294967294u);
}
END_TEST

static void expect(const char *arg, const char *needle)
{
	struct publish_config p;
	struct err e = { "" };

	ck_assert_int_eq(publish_parse(arg, &p, &e), -1);
	ck_assert_msg(strstr(e.msg, needle), "'%s': '%s' lacks '%s'", arg, e.msg, needle);
}

START_TEST(bad_fd_forms_are_refused)
{
	expect("fd:2:80", "fd '2' is not a number of at least 3");
	expect("fd:0:80", "at least 3");
	expect("fd::80", "fd '' is not a number");
	expect("fd:x:80", "fd 'x'");
	expect("fd:2147483648:80", "at least 3");
	expect("fd:3:", "guest port ''");
	expect("fd:3", "use [ADDR:]HOSTPORT:GUESTPORT, unix:PATH:GUESTPORT or fd:N:GUESTPORT");
	expect("unix:80", "use [ADDR:]HOSTPORT");
	expect("fd:3:4294967295", "guest port");
}
END_TEST

START_TEST(unix_mode_and_group)
{
	struct publish_config p;
	struct err e = { "" };

	ck_assert_int_eq(publish_parse("unix:/run/a,b.sock:80,mode=0660,group=123", &p, &e), 0);
	ck_assert_str_eq(p.path, "/run/a,b.sock");
	ck_assert_uint_eq(p.guest_port, 80);
	ck_assert(p.has_mode && p.mode == 0660 && p.has_gid && p.gid == 123);
	ck_assert_int_eq(publish_parse("unix:/s:80,group=root", &p, &e), 0);
	ck_assert(!p.has_mode && p.has_gid && p.gid == 0);
	ck_assert_int_eq(publish_parse("unix:/s:80", &p, &e), 0);
	ck_assert(!p.has_mode && !p.has_gid);
	expect("unix:/s:80,mode=888", "mode '888' is not an octal mode");
	expect("unix:/s:80,mode=01777", "at most 0777");
	expect("unix:/s:80,mode=", "mode ''");
	expect("unix:/s:80,group=", "no group after group=");
	expect("unix:/s:80,owner=1", "unknown option 'owner=1'");
	expect("8080:80,mode=0600", "for unix:PATH sockets only");
	expect("fd:3:80,group=1", "for unix:PATH sockets only");
}
END_TEST

static char sock_path[108];

/* A listening unix socket at sock_path, close-on-exec like any fd a parent
 * keeps; blocking, as a parent's may be. */
static int unix_listener(int backlog)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sock_path, sizeof sock_path, "/tmp/vmm-unit-publish-%d.sock", getpid());
	unlink(sock_path);
	strcpy(a.sun_path, sock_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	if (backlog >= 0)
		ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

static int open_fd(int fd, struct vsock_listeners *ls, struct err *e)
{
	struct publish_config p;
	char arg[32];

	snprintf(arg, sizeof arg, "fd:%d:80", fd);
	ck_assert_int_eq(publish_parse(arg, &p, e), 0);
	return vsock_listeners_open(ls, &p, 1, e);
}

START_TEST(inherited_listener_is_adopted_and_never_unlinked)
{
	struct vsock_listeners ls;
	struct err e = { "" };
	struct stat st;
	int fd = unix_listener(8), dup_fd = dup(fd);

	/* The parent's copy (fd) stays; vmm's is dup_fd, as after exec. */
	ck_assert_int_eq(open_fd(dup_fd, &ls, &e), 0);
	ck_assert_uint_eq(ls.n, 1);
	ck_assert_int_eq(ls.l[0].fd, dup_fd);
	ck_assert(ls.l[0].is_unix && ls.l[0].inherited);
	ck_assert_uint_eq(ls.l[0].guest_port, 80);
	ck_assert(fcntl(dup_fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(dup_fd, F_GETFD) & FD_CLOEXEC);
	ck_assert(!vsock_listeners_pending(&ls));
	vsock_listeners_close(&ls);
	ck_assert_int_eq(fcntl(dup_fd, F_GETFD), -1); /* ours is closed */
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC); /* the parent's is not */
	ck_assert_int_eq(stat(sock_path, &st), 0);
	close(fd);
	unlink(sock_path);
}
END_TEST

START_TEST(fds_that_are_not_listening_stream_sockets_are_refused)
{
	struct vsock_listeners ls;
	struct err e = { "" };
	int sp[2], unbound = unix_listener(-1), file = open("/dev/null", O_RDONLY);
	int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
	char want[96];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	int bad[] = { sp[0], unbound, file, dgram };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(open_fd(bad[i], &ls, &e), -1);
		snprintf(want, sizeof want, "--publish fd:%d:80: fd %d is not a listening stream socket", bad[i],
			 bad[i]);
		ck_assert_msg(strcmp(e.msg, want) == 0, "'%s', want '%s'", e.msg, want);
		ck_assert(!(fcntl(bad[i], F_GETFL) & O_NONBLOCK));
	}
	close(file);
	ck_assert_int_eq(open_fd(file, &ls, &e), -1);
	ck_assert_msg(strstr(e.msg, "is not open"), "%s", e.msg);
	close(sp[0]);
	close(sp[1]);
	close(unbound);
	close(dgram);
	unlink(sock_path);
}
END_TEST

START_TEST(one_fd_published_twice_is_refused)
{
	struct publish_config p[2];
	struct vsock_listeners ls;
	struct err e = { "" };
	int fd = unix_listener(8);
	char arg[32];

	snprintf(arg, sizeof arg, "fd:%d:80", fd);
	ck_assert_int_eq(publish_parse(arg, &p[0], &e), 0);
	snprintf(arg, sizeof arg, "fd:%d:81", fd);
	ck_assert_int_eq(publish_parse(arg, &p[1], &e), 0);
	ck_assert_int_eq(vsock_listeners_open(&ls, p, 2, &e), -1);
	ck_assert_msg(strstr(e.msg, "already published"), "%s", e.msg);
	close(fd);
	unlink(sock_path);
}
END_TEST

static int accepted;

static void take(void *ctx, int fd, bool is_tcp, uint32_t guest_port)
{
	(void)ctx;
	(void)is_tcp;
	(void)guest_port;
	accepted++;
	close(fd);
}

/* A waiting client shows as pending; once detached the loop accepts none. */
START_TEST(pending_clients_and_detach)
{
	struct vsock_listeners ls;
	struct event_loop loop;
	struct err e = { "" };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = unix_listener(8), c1 = socket(AF_UNIX, SOCK_STREAM, 0), c2 = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(a.sun_path, sock_path);
	ck_assert_int_eq(open_fd(dup(fd), &ls, &e), 0);
	ck_assert_int_eq(event_loop_init(&loop, &e), 0);
	ck_assert_int_eq(vsock_listeners_attach(&ls, &loop, take, NULL, &e), 0);
	ck_assert_int_eq(connect(c1, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert(vsock_listeners_pending(&ls));
	ck_assert_int_eq(event_loop_run_once(&loop, 5000, &e), 1);
	ck_assert_int_eq(accepted, 1);
	ck_assert(!vsock_listeners_pending(&ls));
	vsock_listeners_detach(&ls);
	ck_assert_int_eq(connect(c2, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(event_loop_run_once(&loop, 100, &e), 0);
	ck_assert_int_eq(accepted, 1);
	ck_assert(vsock_listeners_pending(&ls));
	vsock_listeners_close(&ls);
	event_loop_close(&loop);
	/* c2 still waits, on the parent's copy. */
	int got = accept(fd, NULL, NULL);
	ck_assert_int_ge(got, 0);
	close(got);
	close(c1);
	close(c2);
	close(fd);
	unlink(sock_path);
}
END_TEST

/* The loop the listeners run on: work deferred by callbacks of one batch
 * runs once, after all of them; a cancelled one never runs. */
struct defer_probe {
	struct event_loop *l;
	int fd;
	unsigned events, flushes, flushes_seen_by_event;
};

static void probe_flush(void *opaque, uint32_t events)
{
	struct defer_probe *p = opaque;

	ck_assert_uint_eq(events, 0);
	p->flushes++;
}

static void probe_event(void *opaque, uint32_t events)
{
	struct defer_probe *p = opaque;
	char b[8];

	(void)events;
	ck_assert_int_gt(read(p->fd, b, sizeof b), 0);
	p->events++;
	p->flushes_seen_by_event += p->flushes;
	event_loop_defer(p->l, probe_flush, p);
}

START_TEST(deferred_work_runs_once_after_its_batch)
{
	struct event_loop l;
	struct err e;
	int a[2], b[2];
	struct defer_probe p = { &l, -1, 0, 0, 0 }, q = { &l, -1, 0, 0, 0 }, other = { &l, -1, 0, 0, 0 };

	ck_assert_int_eq(event_loop_init(&l, &e), 0);
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	p.fd = a[0];
	q.fd = b[0];
	/* Both callbacks defer to one probe: p's flush, once. */
	q.l = &l;
	ck_assert_int_eq(event_loop_add(&l, a[0], EPOLLIN, probe_event, &p, &e), 0);
	ck_assert_int_eq(event_loop_add(&l, b[0], EPOLLIN, probe_event, &q, &e), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "y", 1), 1);
	ck_assert_int_eq(event_loop_run_once(&l, 1000, &e), 2);
	ck_assert_uint_eq(p.events + q.events, 2);
	ck_assert_uint_eq(p.flushes_seen_by_event + q.flushes_seen_by_event, 0);
	ck_assert_uint_eq(p.flushes, 1);
	ck_assert_uint_eq(q.flushes, 1);
	/* Outside a batch: at once. */
	event_loop_defer(&l, probe_flush, &other);
	ck_assert_uint_eq(other.flushes, 1);
	/* Asked for twice in one batch: once; cancelled: never. */
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(event_loop_run_once(&l, 1000, &e), 1);
	ck_assert_uint_eq(p.flushes, 2);
	l.in_batch = 1;
	event_loop_defer(&l, probe_flush, &other);
	event_loop_defer(&l, probe_flush, &other);
	event_loop_defer(&l, probe_flush, &q);
	event_loop_cancel_deferred(&l, &other);
	l.in_batch = 0;
	ck_assert_int_eq(event_loop_run_once(&l, 0, &e), 0);
	ck_assert_uint_eq(other.flushes, 1);
	ck_assert_uint_eq(q.flushes, 2);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	event_loop_close(&l);
}
END_TEST

Suite *publish_suite(void)
{
	const TTest *const tests[] = {
		parses_tcp_unix_and_fd, bad_fd_forms_are_refused, unix_mode_and_group,
		inherited_listener_is_adopted_and_never_unlinked,
		fds_that_are_not_listening_stream_sockets_are_refused, one_fd_published_twice_is_refused,
		pending_clients_and_detach, deferred_work_runs_once_after_its_batch, NULL,
	};

	return one_case_suite("publish", "parse and listeners", 0, NULL, NULL, tests);
}
