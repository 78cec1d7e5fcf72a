/* Prints a greeting and its command line, then powers off with 0; with
 * idle=1 it halts instead, so the host can look at an idle VM. */
#include "lib/guest.h"

int guest_main(struct hvm_start_info *si)
{
	puts_serial("Hello from the guest!\n");
	printf_serial("cmdline: '%s'\n", cmdline(si));
	if (cmdline_uint(si, "idle", 0)) {
		puts_serial("hello: idling\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	return 0;
}
