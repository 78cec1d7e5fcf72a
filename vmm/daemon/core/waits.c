#include "daemon/core/waits.h"

#include <stdlib.h>
#include <string.h>

int waits_add(struct vmmd *m, struct conn *c, const struct rpc_header *call, const struct domain *d,
	      enum wait_kind kind, const struct xdr_out *body, struct verr *e)
{
	struct reply_wait *v = realloc(m->waits, (m->nwaits + 1) * sizeof *v), *w;

	if (!v)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	m->waits = v;
	w = &v[m->nwaits];
	*w = (struct reply_wait){ .conn = c, .call = *call, .kind = kind };
	memcpy(w->uuid, dom_uuid(d), 16);
	xdr_out_init(&w->body);
	if (body && body->len)
		xdr_put_raw(&w->body, body->buf, body->len);
	if (w->body.bad) {
		xdr_out_free(&w->body);
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	}
	m->nwaits++;
	return 0;
}

bool waits_pending(const struct vmmd *m, const struct domain *d)
{
	for (size_t i = 0; i < m->nwaits; i++)
		if (memcmp(m->waits[i].uuid, dom_uuid(d), 16) == 0)
			return true;
	return false;
}

static void drop(struct vmmd *m, size_t i)
{
	xdr_out_free(&m->waits[i].body);
	m->waits[i] = m->waits[--m->nwaits];
}

void waits_done(struct vmmd *m, const uint8_t uuid[16], enum wait_kind kind, const struct verr *e)
{
	for (size_t i = m->nwaits; i-- > 0;) {
		struct reply_wait *w = &m->waits[i];

		if (w->kind != kind || memcmp(w->uuid, uuid, 16) != 0)
			continue;
		if (e) {
			conn_send_error(w->conn, &w->call, e);
		} else {
			struct rpc_header rh = w->call;

			rh.type = RPC_REPLY;
			rh.status = RPC_OK;
			conn_send(w->conn, &rh, w->body.len ? &w->body : NULL);
		}
		drop(m, i);
	}
}

void waits_conn_gone(struct vmmd *m, const struct conn *c)
{
	for (size_t i = m->nwaits; i-- > 0;)
		if (m->waits[i].conn == c)
			drop(m, i);
}

void waits_free(struct vmmd *m)
{
	while (m->nwaits)
		drop(m, m->nwaits - 1);
	free(m->waits);
	m->waits = NULL;
}
