/* The data of a standby's one message (cli/standby_proto.h), checked and cut
 * into arguments. */
#ifndef VMM_CLI_STANDBY_MSG_H
#define VMM_CLI_STANDBY_MSG_H

#include <stddef.h>

#include "util/err.h"

/* Points argv[0..*argc-1] into buf[0..len) (argv[*argc] = NULL; argv has
 * room for VMM_STANDBY_ARGS_MAX + 1): the arguments after the magic, the
 * first of them "run". -1 with e when the message is not one. */
int standby_msg_parse(char *buf, size_t len, char **argv, int *argc, struct err *e);

#endif
