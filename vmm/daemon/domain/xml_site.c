/* <vmm:site> in a domain's <metadata>: parsed into domain_site and written
 * back as it was given (attributes left out stay out). */
#include "daemon/domain/xml_site.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/domain/xml.h"

static int yes_no(struct px *p, const xmlNode *n, const char *name, bool *out, bool *given)
{
	char *v = xr_attr(n, name);
	int rc = 0;

	if (v) {
		*given = true;
		if (strcmp(v, "yes") == 0)
			*out = true;
		else if (strcmp(v, "no") == 0)
			*out = false;
		else
			rc = verr_set(p->e, VERR_XML_ERROR, "<vmm:site %s='%.40s'>: use 'yes' or 'no'", name, v);
	}
	xmlFree(v);
	return rc;
}

static int number(struct px *p, const xmlNode *n, const char *name, uint64_t min, uint64_t max, unsigned *out,
		  bool *given)
{
	char *v = xr_attr(n, name);
	uint64_t x = 0;
	int rc = 0;

	if (v) {
		*given = true;
		if (xr_u64(v, &x) < 0 || x < min || x > max)
			rc = verr_set(p->e, VERR_XML_ERROR, "<vmm:site %s='%.40s'>: use a number from %llu to %llu", name,
				      v, (unsigned long long)min, (unsigned long long)max);
		*out = (unsigned)x;
	}
	xmlFree(v);
	return rc;
}

static int parse_host(struct px *p, const xmlNode *n)
{
	struct domain_site *s = &p->c->site;
	const char *why;
	char *name;

	if (xr_only_attrs(p, n, "name", NULL) < 0 || xr_empty(p, n) < 0)
		return -1;
	if (s->nhosts == SITE_MAX_HOSTS)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "more than %d <vmm:host> in <vmm:site>", SITE_MAX_HOSTS);
	name = xr_attr(n, "name");
	if (!name)
		return verr_set(p->e, VERR_XML_ERROR, "<vmm:host> needs name='...'");
	s->hosts[s->nhosts++] = name;
	why = site_host_check(name);
	if (why)
		return verr_set(p->e, VERR_XML_ERROR, "<vmm:host name='%.80s'>: %s", name, why);
	for (unsigned i = 0; i + 1 < s->nhosts; i++)
		if (site_host_equal(s->hosts[i], name))
			return verr_set(p->e, VERR_XML_ERROR, "host name '%s' is listed twice", name);
	return 0;
}

static int tls_path(struct px *p, const xmlNode *n, const char *name, char **out)
{
	*out = xr_attr(n, name);
	if (!*out)
		return verr_set(p->e, VERR_XML_ERROR, "<vmm:tls> needs cert='...' and key='...'");
	/* nginx reads these paths from a configuration file: keep them plain */
	if ((*out)[0] != '/' || strlen(*out) > 1024 || strpbrk(*out, " \t\r\n;'\"{}$\\#"))
		return verr_set(p->e, VERR_XML_ERROR,
				"<vmm:tls %s='%.80s'>: use an absolute path without spaces, quotes or ;{}$\\#", name, *out);
	return 0;
}

int site_parse(struct px *p, const xmlNode *site)
{
	struct domain_site *s = &p->c->site;
	bool tls = false;

	if (s->present)
		return verr_set(p->e, VERR_XML_ERROR, "more than one <vmm:site>");
	s->present = true;
	s->guest_port = 80;
	if (xr_only_attrs(p, site, "on-demand", "idle-stop", "port", NULL) < 0 ||
	    yes_no(p, site, "on-demand", &s->on_demand, &s->has_on_demand) < 0 ||
	    number(p, site, "idle-stop", 0, SITE_IDLE_STOP_MAX, &s->idle_stop_s, &s->has_idle_stop) < 0 ||
	    number(p, site, "port", 1, 65535, &s->guest_port, &s->has_port) < 0)
		return -1;
	if (s->has_idle_stop && s->idle_stop_s && !s->on_demand)
		return verr_set(p->e, VERR_XML_ERROR,
				"<vmm:site idle-stop='%u'> needs on-demand='yes' (nothing would start it again)",
				s->idle_stop_s);
	if (!s->has_idle_stop && s->on_demand)
		s->idle_stop_s = SITE_IDLE_STOP_DEFAULT;
	for (const xmlNode *n = site->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xr_is_ours(n, "host")) {
			if (parse_host(p, n) < 0)
				return -1;
		} else if (xr_is_ours(n, "tls")) {
			if (tls)
				return verr_set(p->e, VERR_XML_ERROR, "more than one <vmm:tls> in <vmm:site>");
			tls = true;
			if (xr_only_attrs(p, n, "cert", "key", NULL) < 0 || xr_empty(p, n) < 0 ||
			    tls_path(p, n, "cert", &s->tls_cert) < 0 || tls_path(p, n, "key", &s->tls_key) < 0)
				return -1;
		} else if (xr_is_ours(n, "waf")) {
			if (s->waf)
				return verr_set(p->e, VERR_XML_ERROR, "more than one <vmm:waf> in <vmm:site>");
			if (xr_only_attrs(p, n, NULL) < 0 || xr_empty(p, n) < 0)
				return -1;
			s->waf = true;
		} else {
			return xr_unsupported(p, n, "vmm:site");
		}
	}
	if (!s->nhosts)
		return verr_set(p->e, VERR_XML_ERROR, "<vmm:site> needs at least one <vmm:host name='...'/>");
	return 0;
}

void site_format(FILE *f, const struct domain_site *s)
{
	if (!s->present)
		return;
	fputs("    <vmm:site xmlns:vmm='" VMM_XML_NS "'", f);
	if (s->has_on_demand)
		fprintf(f, " on-demand='%s'", s->on_demand ? "yes" : "no");
	if (s->has_idle_stop)
		fprintf(f, " idle-stop='%u'", s->idle_stop_s);
	if (s->has_port)
		fprintf(f, " port='%u'", s->guest_port);
	fputs(">\n", f);
	for (unsigned i = 0; i < s->nhosts; i++) {
		fputs("      <vmm:host name='", f);
		xml_escape(f, s->hosts[i]);
		fputs("'/>\n", f);
	}
	if (s->tls_cert) {
		fputs("      <vmm:tls cert='", f);
		xml_escape(f, s->tls_cert);
		fputs("' key='", f);
		xml_escape(f, s->tls_key);
		fputs("'/>\n", f);
	}
	if (s->waf)
		fputs("      <vmm:waf/>\n", f);
	fputs("    </vmm:site>\n", f);
}
