#include "idle_poll.h"

#include "kernel.h"

#define IDLE_POLL_START_NS 20000ull /* the first window: about one request's round trip through vmm */

void idle_poll_init(struct idle_poll *p, uint64_t max_ns)
{
	p->max_ns = max_ns;
	p->cur_ns = 0;
}

bool idle_poll_run(struct idle_poll *p, bool (*ready)(void))
{
	if (!p->cur_ns)
		return false;
	uint64_t t0 = now_ns(), t = t0, until = t0 + p->cur_ns;
	bool hit = false;

	while (!(hit = ready()) && (t = now_ns()) < until)
		__builtin_ia32_pause();
	if (hit)
		st.poll_hits++;
	else
		st.poll_misses++;
	st.poll_ns += (hit ? now_ns() : t) - t0;
	return hit;
}

void idle_poll_slept(struct idle_poll *p, uint64_t idle_ns)
{
	if (idle_ns <= p->max_ns) {
		p->cur_ns = p->cur_ns ? p->cur_ns * 2 : IDLE_POLL_START_NS;
		if (p->cur_ns > p->max_ns)
			p->cur_ns = p->max_ns;
	} else {
		p->cur_ns /= 2;
		if (p->cur_ns < IDLE_POLL_START_NS)
			p->cur_ns = 0;
	}
}
