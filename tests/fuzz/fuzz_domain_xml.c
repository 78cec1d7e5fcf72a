/* The domain XML parser against arbitrary documents: whatever it accepts
 * must format and parse again to the same document. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "daemon/domain/xml.h"

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain_config *c, *c2;
	char *xml, *xml2;
	struct verr e;

	xmlSetGenericErrorFunc(NULL, quiet);
	c = domain_xml_parse((const char *)data, size, &e);
	if (!c)
		return 0;
	xml = domain_xml_format(c, 1);
	if (!xml)
		abort();
	c2 = domain_xml_parse(xml, strlen(xml), &e);
	if (!c2)
		abort(); /* our own output must be accepted */
	xml2 = domain_xml_format(c2, 1);
	if (!xml2 || strcmp(xml, xml2) != 0)
		abort();
	free(xml);
	free(xml2);
	domain_config_free(c);
	domain_config_free(c2);
	return 0;
}
