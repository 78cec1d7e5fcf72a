#include "machine/idle_stop.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000ull

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * NS + (uint64_t)t.tv_nsec;
}

static uint64_t tick_ns(unsigned seconds)
{
	uint64_t q = seconds * NS / 4;

	/* Often enough to stop close to the time asked, rarely enough that an
	 * idle guest costs its host nothing. */
	if (q < NS / 10)
		return NS / 10;
	return q > NS ? NS : q;
}

static void on_tick(void *opaque, uint32_t events)
{
	struct idle_stop *s = opaque;
	uint64_t ticks, activity, t;
	bool used;

	(void)events;
	if (read(s->timer_fd, &ticks, sizeof ticks) != sizeof ticks)
		return;
	t = now_ns();
	if (s->asked_at) {
		if (!s->forced && t - s->asked_at >= IDLE_STOP_GRACE_S * NS) {
			fprintf(stderr, "vmm: %s: the guest did not power off within %u s: stopping it\n", s->name,
				IDLE_STOP_GRACE_S);
			s->forced = true;
			s->ops->force_poweroff(s->ctx);
		}
		return;
	}
	used = virtio_slots_in_use(s->slots, &activity);
	/* A connection that came and went since the last look is use too. */
	if (used || activity != s->activity) {
		s->activity = activity;
		s->idle_since = t;
		return;
	}
	if (t - s->idle_since < s->seconds * NS)
		return;
	/* Nothing was accepted since the look above (this thread accepts):
	 * from here on clients wait in the backlogs, none is taken and dropped. */
	virtio_slots_quiesce(s->slots);
	s->asked_at = t;
	fprintf(stderr, "vmm: %s: idle for %u s with no connection: powering off\n", s->name, s->seconds);
	s->ops->ask_poweroff(s->ctx);
}

int idle_stop_start(struct idle_stop *s, const char *name, unsigned seconds, const struct virtio_slots *slots,
		    struct event_loop *loop, const struct idle_stop_ops *ops, void *ctx, struct err *e)
{
	uint64_t tick = tick_ns(seconds);
	struct itimerspec its = {
		.it_interval = { (time_t)(tick / NS), (long)(tick % NS) },
		.it_value = { (time_t)(tick / NS), (long)(tick % NS) },
	};

	memset(s, 0, sizeof *s);
	s->name = name;
	s->seconds = seconds;
	s->slots = slots;
	s->ops = ops;
	s->ctx = ctx;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0)
		return err_errno(e, "--idle-stop: timerfd_create");
	virtio_slots_in_use(slots, &s->activity);
	s->idle_since = now_ns();
	if (timerfd_settime(s->timer_fd, 0, &its, NULL) < 0)
		return err_errno(e, "--idle-stop: timerfd_settime");
	return event_loop_add(loop, s->timer_fd, EPOLLIN, on_tick, s, e);
}

void idle_stop_close(struct idle_stop *s)
{
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	s->timer_fd = -1;
}
