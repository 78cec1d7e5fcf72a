#include "machine/config.h"

#include <stdio.h>
#include <string.h>

int disk_config_parse(const char *arg, struct disk_config *out, struct err *e)
{
	size_t n = strlen(arg);

	out->readonly = false;
	if (n >= 3 && (strcmp(arg + n - 3, ",ro") == 0 || strcmp(arg + n - 3, ",rw") == 0)) {
		out->readonly = arg[n - 1] == 'o';
		n -= 3;
	}
	if (n == 0)
		return err_set(e, "--disk '%s': no file name", arg);
	if (n >= sizeof out->path)
		return err_set(e, "--disk: path too long");
	memcpy(out->path, arg, n);
	out->path[n] = 0;
	return 0;
}
