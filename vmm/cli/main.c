/* vmm: a minimal KVM hypervisor for hosting web sites. */
#include <stdio.h>
#include <string.h>

#include "cli/image_cmd.h"
#include "cli/run_cmd.h"
#include "cli/standby_cmd.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vmm COMMAND [OPTIONS]\n"
		"A minimal KVM hypervisor: each web site runs in its own lightweight VM.\n"
		"\n"
		"Commands:\n"
		"  run        boot a guest kernel (see 'vmm run --help')\n"
		"  image      create or inspect a single-file site image (see 'vmm image --help')\n"
		"  standby    make a VM ahead and wait for the run a manager hands over (vmmd;\n"
		"             see 'vmm standby --help')\n"
		"\n"
		"Options:\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("vmm %s\n", VMM_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return run_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "standby") == 0)
		return standby_cmd(argv[0], argc - 1, argv + 1);
	if (strcmp(argv[1], "image") == 0)
		return image_cmd(argc - 1, argv + 1);
	fprintf(stderr, "vmm: unknown command '%s' (see 'vmm --help')\n", argv[1]);
	return 2;
}
