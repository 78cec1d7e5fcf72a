#include "daemon/core/waits.h"

#include <stdlib.h>

int waits_add(struct vmmd *m, struct conn *c, const struct rpc_header *call, const struct domain *d,
	      struct verr *e)
{
	struct reply_wait *v = realloc(m->waits, (m->nwaits + 1) * sizeof *v);

	if (!v)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	m->waits = v;
	v[m->nwaits++] = (struct reply_wait){ c, *call, d };
	return 0;
}

bool waits_pending(const struct vmmd *m, const struct domain *d)
{
	for (size_t i = 0; i < m->nwaits; i++)
		if (m->waits[i].dom == d)
			return true;
	return false;
}

void waits_done(struct vmmd *m, const struct domain *d, const struct verr *e)
{
	for (size_t i = m->nwaits; i-- > 0;) {
		struct reply_wait *w = &m->waits[i];

		if (w->dom != d)
			continue;
		if (e) {
			conn_send_error(w->conn, &w->call, e);
		} else {
			struct rpc_header rh = w->call;

			rh.type = RPC_REPLY;
			rh.status = RPC_OK;
			conn_send(w->conn, &rh, NULL);
		}
		m->waits[i] = m->waits[--m->nwaits];
	}
}

void waits_conn_gone(struct vmmd *m, const struct conn *c)
{
	for (size_t i = m->nwaits; i-- > 0;)
		if (m->waits[i].conn == c)
			m->waits[i] = m->waits[--m->nwaits];
}

void waits_free(struct vmmd *m)
{
	free(m->waits);
	m->waits = NULL;
	m->nwaits = 0;
}
