#include "cli/standby_msg.h"

#include <string.h>

#include "cli/standby_proto.h"

int standby_msg_parse(char *buf, size_t len, char **argv, int *argc, struct err *e)
{
	size_t magic = sizeof VMM_STANDBY_MAGIC; /* with its NUL */
	size_t off;
	int n = 0;

	*argc = 0;
	argv[0] = NULL;
	if (len > VMM_STANDBY_MSG_MAX)
		return err_set(e, "standby message of %zu bytes: at most %d", len, VMM_STANDBY_MSG_MAX);
	if (len < magic || memcmp(buf, VMM_STANDBY_MAGIC, magic) != 0)
		return err_set(e, "not a standby message (no '%s')", VMM_STANDBY_MAGIC);
	if (buf[len - 1] != 0)
		return err_set(e, "standby message: its last argument does not end in a NUL");
	for (off = magic; off < len; off += strlen(buf + off) + 1) {
		if (n == VMM_STANDBY_ARGS_MAX)
			return err_set(e, "standby message: more than %d arguments", VMM_STANDBY_ARGS_MAX);
		argv[n++] = buf + off;
	}
	if (n == 0 || strcmp(argv[0], "run") != 0)
		return err_set(e, "standby message: the arguments are not a 'run'");
	argv[n] = NULL;
	*argc = n;
	return 0;
}
