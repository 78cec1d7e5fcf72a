/* Domain XML (libvirt's format, type='kvm') to domain_config and back.
 *
 * Published vsock ports live in <metadata>, in our namespace, so that the
 * output still validates against libvirt's schema:
 *
 *   <devices><vsock model='virtio'><cid auto='no' address='3'/></vsock></devices>
 *   <metadata>
 *     <vmm:vsock xmlns:vmm='urn:x-vmm:domain:1'>
 *       <vmm:publish host='127.0.0.1:8080' guest='80'/>
 *       <vmm:publish unix='/run/site.sock' guest='80'/>
 *     </vmm:vsock>
 *   </metadata>
 */
#ifndef VMM_DAEMON_DOMAIN_XML_H
#define VMM_DAEMON_DOMAIN_XML_H

#include <stddef.h>
#include <stdio.h>

#include "daemon/domain/config.h"
#include "daemon/rpc/verr.h"

#define VMM_XML_NS "urn:x-vmm:domain:1"
#define DOMAIN_XML_MAX (1u << 20) /* documents larger than 1 MiB are refused */

/* Parses and validates; generates a UUID when absent. NULL + e on failure. */
struct domain_config *domain_xml_parse(const char *xml, size_t len, struct verr *e);
/* Renders the config; id > 0 adds id='N' to <domain>. malloc'd, NULL on OOM. */
char *domain_xml_format(const struct domain_config *c, int id);

/* Writes s with XML's five special characters escaped. */
void xml_escape(FILE *f, const char *s);

#endif
