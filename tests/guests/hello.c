/* Prints a greeting and its command line, then powers off with 0. */
#include "lib/guest.h"

int guest_main(struct start_info *si)
{
	puts_serial("Hello from the guest!\n");
	printf_serial("cmdline: '%s'\n", cmdline(si));
	return 0;
}
