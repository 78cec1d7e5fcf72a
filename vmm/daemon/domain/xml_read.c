/* Reading libxml2 trees for the domain parsers: element and attribute checks
 * that report the first problem into the parse's verr. */
#include "daemon/domain/xml_read.h"
#include "daemon/domain/xml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *xr_name(const xmlNode *n)
{
	return (const char *)n->name;
}

bool xr_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp(xr_name(n), name) == 0;
}

int xr_unsupported(struct px *p, const xmlNode *n, const char *where)
{
	return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "unsupported element <%s> in <%s>", xr_name(n), where);
}

/* The length of an attribute's value, without copying it. */
static size_t attr_len(const xmlAttr *a)
{
	size_t n = 0;

	for (const xmlNode *k = a->children; k; k = k->next)
		if (k->content)
			n += strlen((const char *)k->content);
	return n;
}

/* Every attribute of n must be listed in the NULL-terminated varargs. Every
 * element the parsers accept passes here first, so this is also where each
 * attribute's value is held to DOMAIN_VALUE_MAX. */
int xr_only_attrs(struct px *p, const xmlNode *n, ...)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *allowed;
		bool ok = false;
		va_list ap;
		size_t len;

		va_start(ap, n);
		while ((allowed = va_arg(ap, const char *)))
			if (strcmp(allowed, (const char *)a->name) == 0 && !a->ns)
				ok = true;
		va_end(ap);
		if (!ok)
			return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "unsupported attribute '%s' of <%s>",
					(const char *)a->name, xr_name(n));
		len = attr_len(a);
		if (len > DOMAIN_VALUE_MAX)
			return verr_set(p->e, VERR_CONFIG_UNSUPPORTED,
					"attribute '%s' of <%s> is %zu bytes long (at most %u)", (const char *)a->name,
					xr_name(n), len, DOMAIN_VALUE_MAX);
	}
	return 0;
}

char *xr_attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

/* An element that only holds text (no child elements), of at most max
 * bytes: measured before it is copied. */
int xr_text(struct px *p, const xmlNode *n, size_t max, char **out)
{
	size_t len = 0;
	xmlChar *t;

	for (const xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE)
			return verr_set(p->e, VERR_XML_ERROR, "unexpected element <%s> inside <%s>", xr_name(k), xr_name(n));
		/* text and CDATA; the parse admits no entities but the predefined
		 * ones (no DOCTYPE), which are already replaced */
		if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && k->content)
			len += strlen((const char *)k->content);
	}
	if (len > max)
		return verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<%s> is %zu bytes long (at most %zu)", xr_name(n), len,
				max);
	t = xmlNodeGetContent(n);
	if (!t)
		return verr_set(p->e, VERR_INTERNAL_ERROR, "out of memory");
	*out = strdup((const char *)t);
	xmlFree(t);
	if (!*out)
		return verr_set(p->e, VERR_INTERNAL_ERROR, "out of memory");
	return 0;
}

/* Element with no content at all (e.g. <readonly/>, <acpi/>). */
int xr_empty(struct px *p, const xmlNode *n)
{
	for (const xmlNode *k = n->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE)
			return xr_unsupported(p, k, xr_name(n));
	return 0;
}

void xr_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = 0;
	while (s[i] && strchr(" \t\r\n", s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

int xr_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int xr_attr_equals(struct px *p, const xmlNode *n, const char *name, const char *want, bool required)
{
	char *v = xr_attr(n, name);
	int rc = 0;

	if (!v ? required : strcmp(v, want) != 0)
		rc = verr_set(p->e, VERR_CONFIG_UNSUPPORTED, "<%s %s='%s'> is not supported (use '%s')", xr_name(n), name,
			      v ? v : "", want);
	xmlFree(v);
	return rc;
}

int xr_port(const char *s, unsigned *port)
{
	uint64_t v;

	if (xr_u64(s, &v) < 0 || v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}


bool xr_is_ours(const xmlNode *n, const char *name)
{
	return xr_is(n, name) && n->ns && n->ns->href && strcmp((const char *)n->ns->href, VMM_XML_NS) == 0;
}
