/* <vmm:site> (see domain/config.h, struct domain_site), for xml_parse.c
 * and xml_format.c. */
#ifndef VMM_DAEMON_DOMAIN_XML_SITE_H
#define VMM_DAEMON_DOMAIN_XML_SITE_H

#include <stdio.h>

#include "daemon/domain/xml_read.h"

/* The <vmm:site> element n of <metadata>. */
int site_parse(struct px *p, const xmlNode *n);
/* Writes it (indented for <metadata>) when the config has one. */
void site_format(FILE *f, const struct domain_site *s);

#endif
