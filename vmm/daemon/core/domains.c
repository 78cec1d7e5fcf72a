#include "daemon/core/domains.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct domain_config *dom_config(const struct domain *d)
{
	return d->live ? d->live : d->def;
}

const char *dom_name(const struct domain *d)
{
	return dom_config(d)->name;
}

const uint8_t *dom_uuid(const struct domain *d)
{
	return dom_config(d)->uuid;
}

bool dom_active(const struct domain *d)
{
	return d->live != NULL;
}

struct domain *domains_by_name(struct domains *ds, const char *name)
{
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(dom_name(ds->v[i]), name) == 0)
			return ds->v[i];
	return NULL;
}

struct domain *domains_by_uuid(struct domains *ds, const uint8_t uuid[16])
{
	for (size_t i = 0; i < ds->n; i++)
		if (memcmp(dom_uuid(ds->v[i]), uuid, 16) == 0)
			return ds->v[i];
	return NULL;
}

struct domain *domains_by_id(struct domains *ds, int id)
{
	for (size_t i = 0; i < ds->n; i++)
		if (dom_active(ds->v[i]) && ds->v[i]->id == id)
			return ds->v[i];
	return NULL;
}

struct domain *domains_add(struct domains *ds, struct domain_config *def)
{
	struct domain *d;

	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 16;
		struct domain **v = realloc(ds->v, cap * sizeof *v);

		if (!v)
			return NULL;
		ds->v = v;
		ds->cap = cap;
	}
	d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->def = def;
	d->id = -1;
	d->state = DOM_SHUTOFF;
	d->reason = REASON_UNKNOWN;
	d->proc.pidfd = -1;
	d->site_fd = -1;
	d->start_fd = -1;
	d->polled_fd = -1;
	ds->v[ds->n++] = d;
	return d;
}

void domains_remove(struct domains *ds, struct domain *d)
{
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->v[i] != d)
			continue;
		memmove(&ds->v[i], &ds->v[i + 1], (ds->n - i - 1) * sizeof ds->v[0]);
		ds->n--;
		break;
	}
	if (d->proc.pidfd >= 0)
		close(d->proc.pidfd);
	if (d->start_fd >= 0)
		close(d->start_fd);
	if (d->site_fd >= 0)
		close(d->site_fd);
	domain_config_free(d->def);
	domain_config_free(d->live);
	free(d);
}

void domains_free(struct domains *ds)
{
	while (ds->n)
		domains_remove(ds, ds->v[ds->n - 1]);
	free(ds->v);
	memset(ds, 0, sizeof *ds);
}

int domains_new_id(struct domains *ds)
{
	if (ds->next_id < 1)
		ds->next_id = 1;
	while (domains_by_id(ds, ds->next_id))
		ds->next_id++;
	return ds->next_id++;
}
