/* Helpers shared by the domain XML parsers (xml_parse.c, xml_site.c): each
 * check reports the first problem into the parse's verr and returns -1. */
#ifndef VMM_DAEMON_DOMAIN_XML_READ_H
#define VMM_DAEMON_DOMAIN_XML_READ_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "daemon/domain/config.h"
#include "daemon/rpc/verr.h"

/* Parsing state: the config being filled and where the first error went. */
struct px {
	struct domain_config *c;
	struct verr *e;
};

const char *xr_name(const xmlNode *n);
/* An element named name, in no namespace or any (callers check ns). */
bool xr_is(const xmlNode *n, const char *name);
/* Whether n is an element of ours: urn:x-vmm:domain:1. */
bool xr_is_ours(const xmlNode *n, const char *name);
int xr_unsupported(struct px *p, const xmlNode *n, const char *where);
/* Every attribute of n must be one of the NULL-terminated names. */
int xr_only_attrs(struct px *p, const xmlNode *n, ...);
/* The attribute's value (xmlFree it), NULL if absent. */
char *xr_attr(const xmlNode *n, const char *name);
/* The text of an element that holds no elements, at most max bytes
 * (DOMAIN_VALUE_MAX unless the field allows more); malloc'd into *out. */
int xr_text(struct px *p, const xmlNode *n, size_t max, char **out);
/* An element without child elements. */
int xr_empty(struct px *p, const xmlNode *n);
void xr_trim(char *s);
int xr_u64(const char *s, uint64_t *v);
int xr_attr_equals(struct px *p, const xmlNode *n, const char *name, const char *want, bool required);
/* A TCP port, 1..65535. */
int xr_port(const char *s, unsigned *port);

#endif
