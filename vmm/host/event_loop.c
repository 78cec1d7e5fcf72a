#include "host/event_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int event_loop_init(struct event_loop *l, struct err *e)
{
	memset(l, 0, sizeof *l);
	for (int i = 0; i < EVENT_LOOP_MAX; i++)
		l->src[i].fd = -1;
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
}

int event_loop_add(struct event_loop *l, int fd, uint32_t events, event_fn fn, void *opaque, struct err *e)
{
	struct epoll_event ev = { .events = events };
	int slot = -1;

	for (int i = 0; i < EVENT_LOOP_MAX && slot < 0; i++)
		if (l->src[i].fd < 0)
			slot = i;
	if (slot < 0)
		return err_set(e, "too many event sources");
	ev.data.ptr = &l->src[slot];
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return err_errno(e, "epoll_ctl add fd %d", fd);
	l->src[slot] = (struct event_source){ fd, fn, opaque };
	return 0;
}

int event_loop_mod(struct event_loop *l, int fd, uint32_t events)
{
	for (int i = 0; i < EVENT_LOOP_MAX; i++)
		if (l->src[i].fd == fd) {
			struct epoll_event ev = { .events = events, .data.ptr = &l->src[i] };
			return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
		}
	return -1;
}

void event_loop_del(struct event_loop *l, int fd)
{
	for (int i = 0; i < EVENT_LOOP_MAX; i++)
		if (l->src[i].fd == fd) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->src[i].fd = -1;
		}
}

int event_loop_run(struct event_loop *l, struct err *e)
{
	struct epoll_event evs[16];

	while (!l->quit) {
		int n = epoll_wait(l->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(e, "epoll_wait");
		}
		for (int i = 0; i < n && !l->quit; i++) {
			struct event_source *s = evs[i].data.ptr;
			if (s->fd >= 0)
				s->fn(s->opaque, evs[i].events);
		}
	}
	return 0;
}

void event_loop_quit(struct event_loop *l)
{
	l->quit = 1;
}
