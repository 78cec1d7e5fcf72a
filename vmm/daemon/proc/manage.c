/* Procedures that change domains: define, create, start, stop, undefine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/front.h"
#include "daemon/core/images.h"
#include "daemon/core/lifecycle.h"
#include "daemon/core/sites.h"
#include "daemon/core/store.h"
#include "daemon/core/waits.h"
#include "daemon/domain/xml.h"
#include "daemon/proc/proc.h"

#define CREATE_PAUSED 1u
#define CREATE_VALIDATE 16u
#define DEFINE_VALIDATE 1u
#define SHUTDOWN_ACPI 1u
#define DESTROY_GRACEFUL 1u
#define DESTROY_REMOVE_LOGS 2u
#define UNDEFINE_ALL_NOOPS 0x7fu /* managed save, snapshots, nvram, checkpoints, tpm: we have none */

/* libvirt's rules for a new definition against the existing domains:
 * returns the domain with the same uuid and name, NULL for a new one, or
 * -1 (via *clash) when the uuid or the name belongs to another domain. */
static struct domain *match(struct vmmd *m, const struct domain_config *cfg, bool *clash, struct verr *e)
{
	struct domain *by_uuid = domains_by_uuid(&m->doms, cfg->uuid);
	struct domain *by_name = domains_by_name(&m->doms, cfg->name);
	char uuid[37];

	*clash = false;
	if (by_uuid && strcmp(dom_name(by_uuid), cfg->name) != 0) {
		uuid_format(cfg->uuid, uuid);
		*clash = true;
		verr_set(e, VERR_OPERATION_FAILED, "domain '%s' is already defined with uuid %s", dom_name(by_uuid),
			 uuid);
		return NULL;
	}
	if (!by_uuid && by_name) {
		uuid_format(dom_uuid(by_name), uuid);
		*clash = true;
		verr_set(e, VERR_OPERATION_FAILED, "domain '%s' already exists with uuid %s", cfg->name, uuid);
		return NULL;
	}
	return by_uuid;
}

/* An <emulator> (virt-install writes the capabilities' one) must be the
 * vmm this daemon runs: another binary would be ignored otherwise. */
static int emulator_check(const struct vmmd *m, const struct domain_config *cfg, struct verr *e)
{
	char *want, *got;
	int rc = 0;

	if (!cfg->emulator)
		return 0;
	got = realpath(cfg->emulator, NULL);
	if (!got)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "cannot use emulator '%s': %s", cfg->emulator,
				strerror(errno));
	want = realpath(m->vmm_path, NULL);
	if (!want || strcmp(want, got) != 0)
		rc = verr_set(e, VERR_CONFIG_UNSUPPORTED, "emulator '%s' is not this daemon's vmm (%s)", cfg->emulator,
			      m->vmm_path);
	free(want);
	free(got);
	return rc;
}

static int define(struct call *c, const char *xml, struct xdr_out *out, struct verr *e)
{
	struct domain_config *cfg = domain_xml_parse(xml, strlen(xml), e);
	struct domain *d;
	bool clash, was_site;

	if (!cfg)
		return -1;
	d = match(c->m, cfg, &clash, e);
	if (clash || emulator_check(c->m, cfg, e) < 0 || images_check(&c->m->images, cfg, e) < 0 ||
	    sites_check(c->m, cfg, e) < 0 ||
	    front_check_site(c->m, cfg, e) < 0 || store_save_def(c->m->state_dir, cfg, e) < 0) {
		domain_config_free(cfg);
		return -1;
	}
	if (d) {
		was_site = dom_site(d) != NULL;
		domain_config_free(d->def);
		d->def = cfg;
	} else if (!(d = domains_add(&c->m->doms, cfg))) {
		domain_config_free(cfg);
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	} else {
		was_site = false;
	}
	if (cfg->site.present && site_open(c->m, d, e) < 0)
		fprintf(stderr, "vmmd: site '%s': %s\n", dom_name(d), e->msg); /* defined; its start reports it again */
	else if (was_site && !cfg->site.present && !dom_active(d))
		site_close(c->m, d);
	front_changed(c->m);
	put_dom(out, d);
	return 0;
}

int proc_define(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	return define(c, a->str[0], out, e);
}

int proc_define_flags(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (check_flags(a->num[0], DEFINE_VALIDATE, "virDomainDefineXMLFlags", e) < 0)
		return -1;
	return define(c, a->str[0], out, e);
}

/* A start's reply (body: out) goes once the loop saw the vmm run through
 * --start-wait, or fail (core/lifecycle.h): other clients are served
 * meanwhile. */
static int deferred_start(struct call *c, const struct domain *d, const struct xdr_out *out, struct verr *e)
{
	if (waits_add(c->m, c->conn, c->h, d, WAIT_START, out, e) < 0)
		return -1;
	return PROC_DEFERRED;
}

int proc_create_xml(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain_config *cfg;
	struct domain *d;
	bool clash;

	if (check_flags(a->num[0], CREATE_PAUSED | CREATE_VALIDATE, "virDomainCreateXML", e) < 0)
		return -1;
	cfg = domain_xml_parse(a->str[0], strlen(a->str[0]), e);
	if (!cfg)
		return -1;
	d = match(c->m, cfg, &clash, e);
	if (!clash && !d &&
	    (emulator_check(c->m, cfg, e) < 0 || images_check(&c->m->images, cfg, e) < 0 ||
	     sites_check(c->m, cfg, e) < 0 || front_check_site(c->m, cfg, e) < 0)) {
		domain_config_free(cfg);
		return -1;
	}
	if (clash || d) {
		if (d && dom_active(d))
			verr_set(e, VERR_OPERATION_INVALID, "domain '%s' is already active", cfg->name);
		else if (d)
			verr_set(e, VERR_OPERATION_INVALID, "domain '%s' is already defined; start it instead",
				 cfg->name);
		domain_config_free(cfg);
		return -1;
	}
	d = lc_create(c->m, cfg, a->num[0] & CREATE_PAUSED, e);
	front_changed(c->m);
	if (!d)
		return -1;
	put_dom(out, d);
	return deferred_start(c, d, out, e);
}

int proc_create(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d || lc_start(c->m, d, false, e) < 0)
		return -1;
	return deferred_start(c, d, out, e);
}

int proc_create_with_flags(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	if (!d || check_flags(a->num[0], CREATE_PAUSED, "virDomainCreateWithFlags", e) < 0)
		return -1;
	if (lc_start(c->m, d, a->num[0] & CREATE_PAUSED, e) < 0)
		return -1;
	put_dom(out, d);
	return deferred_start(c, d, out, e);
}

static int undefine(struct call *c, const struct rpc_dom *dom, struct verr *e)
{
	struct domain *d = find_dom(c->m, dom, e);

	if (!d)
		return -1;
	if (!d->def)
		return verr_set(e, VERR_OPERATION_INVALID, "cannot undefine transient domain");
	if (store_remove_def(c->m->state_dir, dom_name(d), e) < 0)
		return -1;
	d->autostart = false;
	if (dom_active(d)) {
		domain_config_free(d->def); /* it keeps running, as a transient domain */
		d->def = NULL;
	} else {
		site_close(c->m, d);
		domains_remove(&c->m->doms, d);
	}
	front_changed(c->m);
	return 0;
}

int proc_undefine(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)out;
	return undefine(c, &a->dom, e);
}

int proc_undefine_flags(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	(void)out;
	if (check_flags(a->num[0], UNDEFINE_ALL_NOOPS, "virDomainUndefineFlags", e) < 0)
		return -1;
	return undefine(c, &a->dom, e);
}

int proc_shutdown(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	(void)out;
	return d ? lc_shutdown(c->m, d, e) : -1;
}

int proc_shutdown_flags(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (check_flags(a->num[0], SHUTDOWN_ACPI, "virDomainShutdownFlags", e) < 0)
		return -1;
	return proc_shutdown(c, a, out, e);
}

int proc_reboot(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	(void)out;
	if (!d || check_flags(a->num[0], SHUTDOWN_ACPI, "virDomainReboot", e) < 0)
		return -1;
	return lc_reboot(c->m, d, e);
}

/* Replies once the VM's processes are gone (or its deadline passed): the
 * loop serves other clients meanwhile. */
int proc_destroy(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	(void)out;
	if (!d || lc_destroy(c->m, d, e) < 0 || waits_add(c->m, c->conn, c->h, d, WAIT_DESTROY, NULL, e) < 0)
		return -1;
	return PROC_DEFERRED;
}

int proc_destroy_flags(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	if (check_flags(a->num[0], DESTROY_GRACEFUL | DESTROY_REMOVE_LOGS, "virDomainDestroyFlags", e) < 0)
		return -1;
	return proc_destroy(c, a, out, e);
}

int proc_suspend(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	(void)out;
	return d ? lc_suspend(c->m, d, e) : -1;
}

int proc_resume(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);

	(void)out;
	return d ? lc_resume(c->m, d, e) : -1;
}

int proc_set_autostart(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);
	bool on = a->num[0] != 0;

	(void)out;
	if (!d)
		return -1;
	if (!d->def)
		return verr_set(e, VERR_OPERATION_INVALID, "cannot set autostart for transient domain");
	if (d->autostart != on && store_set_autostart(c->m->state_dir, dom_name(d), on, e) < 0)
		return -1;
	d->autostart = on;
	return 0;
}
