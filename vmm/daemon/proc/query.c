/* Lookups, listings and read-only domain queries. */
#include <stdlib.h>
#include <string.h>

#include "daemon/domain/xml.h"
#include "daemon/proc/proc.h"

#define LIST_MAX 16384 /* REMOTE_DOMAIN_LIST_MAX */

int proc_lookup_by_id(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	int32_t id = (int32_t)a->num[0];
	struct domain *d = id > 0 ? domains_by_id(&c->m->doms, id) : NULL;

	if (!d)
		return verr_set(e, VERR_NO_DOMAIN, "no domain with matching id %d", id);
	put_dom(out, d);
	return 0;
}

int proc_lookup_by_name(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = domains_by_name(&c->m->doms, a->str[0]);

	if (!d)
		return verr_set(e, VERR_NO_DOMAIN, "no domain with matching name '%.200s'", a->str[0]);
	put_dom(out, d);
	return 0;
}

int proc_lookup_by_uuid(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = domains_by_uuid(&c->m->doms, a->uuid);
	char uuid[37];

	if (!d) {
		uuid_format(a->uuid, uuid);
		return verr_set(e, VERR_NO_DOMAIN, "no domain with matching uuid '%s'", uuid);
	}
	put_dom(out, d);
	return 0;
}

enum {
	L_ACTIVE = 0x1, L_INACTIVE = 0x2, L_PERSISTENT = 0x4, L_TRANSIENT = 0x8,
	L_RUNNING = 0x10, L_PAUSED = 0x20, L_SHUTOFF = 0x40, L_OTHER = 0x80,
	L_MANAGEDSAVE = 0x100, L_NO_MANAGEDSAVE = 0x200, L_AUTOSTART = 0x400, L_NO_AUTOSTART = 0x800,
	L_HAS_SNAPSHOT = 0x1000, L_NO_SNAPSHOT = 0x2000, L_HAS_CHECKPOINT = 0x4000, L_NO_CHECKPOINT = 0x8000,
};

/* A group filters only when one of its bits is set. */
static bool group(uint32_t flags, uint32_t mask, uint32_t match)
{
	return !(flags & mask) || (flags & match);
}

static bool listed(const struct domain *d, uint32_t f)
{
	uint32_t st = d->state == DOM_RUNNING ? L_RUNNING
		      : d->state == DOM_PAUSED ? L_PAUSED
		      : d->state == DOM_SHUTOFF ? L_SHUTOFF
						 : L_OTHER;

	return group(f, L_ACTIVE | L_INACTIVE, dom_active(d) ? L_ACTIVE : L_INACTIVE) &&
	       group(f, L_PERSISTENT | L_TRANSIENT, d->def ? L_PERSISTENT : L_TRANSIENT) &&
	       group(f, L_RUNNING | L_PAUSED | L_SHUTOFF | L_OTHER, st) &&
	       group(f, L_MANAGEDSAVE | L_NO_MANAGEDSAVE, L_NO_MANAGEDSAVE) &&
	       group(f, L_AUTOSTART | L_NO_AUTOSTART, d->autostart ? L_AUTOSTART : L_NO_AUTOSTART) &&
	       group(f, L_HAS_SNAPSHOT | L_NO_SNAPSHOT, L_NO_SNAPSHOT) &&
	       group(f, L_HAS_CHECKPOINT | L_NO_CHECKPOINT, L_NO_CHECKPOINT);
}

int proc_list_all(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domains *ds = &c->m->doms;
	uint32_t flags = a->num[1], n = 0;

	if (check_flags(flags, 0xffff, "virConnectListAllDomains", e) < 0)
		return -1;
	for (size_t i = 0; i < ds->n; i++)
		n += listed(ds->v[i], flags);
	if (n > LIST_MAX)
		return verr_set(e, VERR_INTERNAL_ERROR, "too many domains (%u)", n);
	xdr_put_u32(out, a->num[0] ? n : 0);
	for (size_t i = 0; a->num[0] && i < ds->n; i++)
		if (listed(ds->v[i], flags))
			put_dom(out, ds->v[i]);
	xdr_put_u32(out, n);
	return 0;
}

static uint32_t count(struct domains *ds, bool active)
{
	uint32_t n = 0;

	for (size_t i = 0; i < ds->n; i++)
		n += dom_active(ds->v[i]) == active;
	return n;
}

int proc_num_of_domains(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)a, (void)e;
	xdr_put_i32(out, (int32_t)count(&c->m->doms, true));
	return 0;
}

int proc_num_of_defined(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)a, (void)e;
	xdr_put_i32(out, (int32_t)count(&c->m->doms, false));
	return 0;
}

static uint32_t clamp_max(uint32_t max, uint32_t n)
{
	if ((int32_t)max < 0)
		max = 0;
	if (max > LIST_MAX)
		max = LIST_MAX;
	return n < max ? n : max;
}

int proc_list_domains(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domains *ds = &c->m->doms;
	uint32_t n = clamp_max(a->num[0], count(ds, true)), k = 0;

	(void)e;
	xdr_put_u32(out, n);
	for (size_t i = 0; i < ds->n && k < n; i++)
		if (dom_active(ds->v[i]))
			xdr_put_i32(out, ds->v[i]->id), k++;
	return 0;
}

int proc_list_defined(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domains *ds = &c->m->doms;
	uint32_t n = clamp_max(a->num[0], count(ds, false)), k = 0;

	(void)e;
	xdr_put_u32(out, n);
	for (size_t i = 0; i < ds->n && k < n; i++)
		if (!dom_active(ds->v[i]))
			xdr_put_string(out, dom_name(ds->v[i])), k++;
	return 0;
}

int proc_get_info(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);
	const struct domain_config *cfg;

	if (!d)
		return -1;
	cfg = dom_config(d);
	xdr_put_i32(out, d->state);
	xdr_put_u64(out, cfg->mem_kib);
	xdr_put_u64(out, dom_active(d) ? cfg->cur_mem_kib : 0);
	xdr_put_i32(out, (int32_t)cfg->vcpus);
	xdr_put_u64(out, 0); /* cpu time: not tracked */
	return 0;
}

int proc_get_state(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d || check_flags(a->num[0], 0, "virDomainGetState", e) < 0)
		return -1;
	xdr_put_i32(out, d->state);
	xdr_put_i32(out, d->reason);
	return 0;
}

#define XML_SECURE 1u
#define XML_INACTIVE 2u
#define XML_UPDATE_CPU 4u
#define XML_MIGRATABLE 8u

int proc_get_xml_desc(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);
	uint32_t flags = a->num[0];
	char *xml;

	if (!d || check_flags(flags, XML_SECURE | XML_INACTIVE | XML_UPDATE_CPU | XML_MIGRATABLE,
			      "virDomainGetXMLDesc", e) < 0)
		return -1;
	if ((flags & (XML_INACTIVE | XML_MIGRATABLE)) && d->def)
		xml = domain_xml_format(d->def, -1);
	else
		xml = domain_xml_format(dom_config(d), dom_active(d) ? d->id : -1);
	if (!xml)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	xdr_put_string(out, xml);
	free(xml);
	return 0;
}

int proc_get_os_type(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (!find_dom(c->m, &a->dom, e))
		return -1;
	xdr_put_string(out, "hvm");
	return 0;
}

int proc_get_autostart(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d)
		return -1;
	xdr_put_i32(out, d->autostart);
	return 0;
}

int proc_is_active(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d)
		return -1;
	xdr_put_i32(out, dom_active(d));
	return 0;
}

int proc_is_persistent(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d)
		return -1;
	xdr_put_i32(out, d->def != NULL);
	return 0;
}

/* HAS_MANAGED_SAVE_IMAGE and SNAPSHOT_NUM: we have neither. */
int proc_dom_zero(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (!find_dom(c->m, &a->dom, e))
		return -1;
	xdr_put_i32(out, 0);
	return 0;
}

int proc_security_label(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (!find_dom(c->m, &a->dom, e))
		return -1;
	xdr_put_u32(out, 0); /* label: none */
	xdr_put_i32(out, 0); /* enforcing */
	return 0;
}

int proc_get_messages(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (!find_dom(c->m, &a->dom, e))
		return -1;
	xdr_put_u32(out, 0);
	return 0;
}

int proc_interface_addresses(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d)
		return -1;
	if (!dom_active(d))
		return verr_set(e, VERR_OPERATION_INVALID, "domain is not running");
	xdr_put_u32(out, 0); /* no network interfaces: guests talk over vsock */
	return 0;
}
