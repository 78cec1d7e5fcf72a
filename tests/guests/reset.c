/* Asks for a reset through the keyboard controller, as Linux's reboot=k does. */
#include "lib/guest.h"

int guest_main(struct hvm_start_info *si)
{
	(void)si;
	puts_serial("reset: resetting\n");
	reset();
	puts_serial("reset: still running after the reset request\n");
	return 1;
}
