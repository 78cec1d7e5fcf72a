#include "machine/config.h"

#include "util/zalloc.h"

int vm_config_device_option(struct vm_config *cfg, unsigned type, unsigned opt, const char *arg, struct err *e)
{
	const struct device_type *t = device_types[type];

	if (!cfg->dev_config[type] && !(cfg->dev_config[type] = zalloc(t->config_size)))
		return err_set(e, "out of memory");
	return t->parse ? t->parse(cfg->dev_config[type], opt, arg, e) : 0;
}

bool vm_config_has_idle_source(const struct vm_config *cfg)
{
	for (unsigned t = 0; device_types[t]; t++)
		if (cfg->dev_config[t] && device_types[t]->in_use)
			return true;
	return false;
}

unsigned vm_config_run_paths(const struct vm_config *cfg, const char **out, unsigned max)
{
	unsigned n = 0;

	for (unsigned t = 0; device_types[t]; t++)
		if (cfg->dev_config[t] && device_types[t]->run_paths)
			n += device_types[t]->run_paths(cfg->dev_config[t], out + (n < max ? n : max), n < max ? max - n : 0);
	return n;
}

void vm_config_free(struct vm_config *cfg)
{
	for (unsigned t = 0; device_types[t]; t++) {
		zfree(cfg->dev_config[t], device_types[t]->config_size);
		cfg->dev_config[t] = NULL;
	}
}
