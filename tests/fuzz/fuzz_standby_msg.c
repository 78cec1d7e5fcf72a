/* A standby's message parser (vmm/cli/standby_msg.c) against arbitrary
 * bytes: it refuses or cuts them into arguments that all lie inside the
 * message, end in its NULs and start with "run". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/standby_proto.h"
#include "cli/standby_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argv[VMM_STANDBY_ARGS_MAX + 1];
	char *buf = malloc(size ? size : 1); /* exact size: ASan sees any read past it */
	struct err e;
	int argc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (standby_msg_parse(buf, size, argv, &argc, &e) == 0) {
		if (argc < 1 || argc > VMM_STANDBY_ARGS_MAX || strcmp(argv[0], "run") != 0 || argv[argc])
			abort();
		for (int i = 0; i < argc; i++)
			if (argv[i] < buf || argv[i] + strlen(argv[i]) >= buf + size)
				abort();
	}
	free(buf);
	return 0;
}
