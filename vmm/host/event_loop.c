#include "host/event_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int event_loop_init(struct event_loop *l, struct err *e)
{
	memset(l, 0, sizeof *l);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return err_errno(e, "epoll_create1");
	return 0;
}

void event_loop_close(struct event_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free(l->src);
	l->src = NULL;
	l->nsrc = 0;
	l->ndeferred = 0;
}

static uint64_t tag(int fd, uint32_t gen)
{
	return (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
}

int event_loop_add(struct event_loop *l, int fd, uint32_t events, event_fn fn, void *opaque, struct err *e)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0)
		return err_set(e, "bad fd %d", fd);
	if (fd >= l->nsrc) {
		int n = fd + 1 > 2 * l->nsrc ? fd + 1 : 2 * l->nsrc;
		struct event_source *s = realloc(l->src, (size_t)n * sizeof *s);

		if (!s)
			return err_set(e, "out of memory");
		memset(s + l->nsrc, 0, (size_t)(n - l->nsrc) * sizeof *s);
		l->src = s;
		l->nsrc = n;
	}
	if (l->src[fd].fn)
		return err_set(e, "fd %d is already watched", fd);
	l->gen++;
	ev.data.u64 = tag(fd, l->gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return err_errno(e, "epoll_ctl add fd %d", fd);
	l->src[fd] = (struct event_source){ fn, opaque, l->gen };
	return 0;
}

int event_loop_mod(struct event_loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || fd >= l->nsrc || !l->src[fd].fn)
		return -1;
	ev.data.u64 = tag(fd, l->src[fd].gen);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void event_loop_del(struct event_loop *l, int fd)
{
	if (fd < 0 || fd >= l->nsrc || !l->src[fd].fn)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->src[fd].fn = NULL;
}

int event_loop_run_once(struct event_loop *l, int timeout_ms, struct err *e)
{
	struct epoll_event evs[64];
	int n = epoll_wait(l->epfd, evs, 64, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : err_errno(e, "epoll_wait");
	l->in_batch = 1;
	for (int i = 0; i < n && !l->quit; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);

		/* An earlier callback of this batch may have removed (or replaced) it. */
		if (fd < l->nsrc && l->src[fd].fn && l->src[fd].gen == gen)
			l->src[fd].fn(l->src[fd].opaque, evs[i].events);
	}
	l->in_batch = 0;
	/* A deferred callback may defer again: it then runs at once. */
	while (l->ndeferred) {
		struct event_deferred d = l->deferred[--l->ndeferred];
		d.fn(d.opaque, 0);
	}
	return n;
}

void event_loop_defer(struct event_loop *l, event_fn fn, void *opaque)
{
	if (!l->in_batch || l->ndeferred == EVENT_LOOP_DEFER_MAX) {
		fn(opaque, 0);
		return;
	}
	for (unsigned i = 0; i < l->ndeferred; i++)
		if (l->deferred[i].fn == fn && l->deferred[i].opaque == opaque)
			return;
	l->deferred[l->ndeferred++] = (struct event_deferred){ fn, opaque };
}

void event_loop_cancel_deferred(struct event_loop *l, void *opaque)
{
	for (unsigned i = 0; i < l->ndeferred;)
		if (l->deferred[i].opaque == opaque)
			l->deferred[i] = l->deferred[--l->ndeferred];
		else
			i++;
}

int event_loop_run(struct event_loop *l, struct err *e)
{
	while (!l->quit)
		if (event_loop_run_once(l, -1, e) < 0)
			return -1;
	return 0;
}

void event_loop_quit(struct event_loop *l)
{
	l->quit = 1;
}
