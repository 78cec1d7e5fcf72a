/* Command-line options of `vmm run`. */
#ifndef VMM_CLI_RUN_OPTIONS_H
#define VMM_CLI_RUN_OPTIONS_H

#include <stdio.h>

#include "machine/config.h"
#include "util/err.h"

enum parse_result {
	PARSE_ERROR = -1,
	PARSE_OK = 0,
	PARSE_HELP = 1,
};

/* argv[0] is "run". Fills cfg with defaults, then with the options. */
enum parse_result run_options_parse(int argc, char **argv, struct vm_config *cfg, struct err *e);
void run_options_usage(FILE *out);

#endif
