/* The tar index against arbitrary images: it must refuse them or index
 * them with every entry inside the image, names clean and sorted; a
 * site.conf found in them goes through the config parser too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/site_conf.h"
#include "http/site_tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t arena[1 << 18];
	static struct site_conf conf;
	struct site_image img;
	struct site s;

	site_image_mem(&img, data, size);
	if (site_open(&s, &img, arena, sizeof(arena)) < 0) {
		if (!memchr(s.err, 0, sizeof(s.err)) || strncmp(s.err, "site archive: ", 14) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct site_entry *e = &s.ent[i];
		if (e->off > size || e->size > size - e->off)
			abort();
		if (e->name_len == 0 || e->name[0] == '/' || e->name[e->name_len] != 0 ||
		    strstr(e->name, "//") || e->name[e->name_len - 1] == '/')
			abort();
		if (!strcmp(e->name, "..") || !strncmp(e->name, "../", 3) || strstr(e->name, "/../") ||
		    (e->name_len >= 3 && !strcmp(e->name + e->name_len - 3, "/..")))
			abort();
		if (i && strcmp(s.ent[i - 1].name, e->name) >= 0)
			abort();
		if (site_find(&s, e->name, e->name_len) != e)
			abort();
	}
	const struct site_entry *c = site_find(&s, "site.conf", 9);
	if (c) {
		site_conf_default(&conf);
		if (site_conf_parse(&conf, site_data(&s, c), c->size) == 0)
			site_conf_check(&conf, &s); /* its error pages and app files */
	}
	return 0;
}
