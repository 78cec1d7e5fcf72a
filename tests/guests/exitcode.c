/* Powers off with the code given as code=N on the command line. */
#include "lib/guest.h"

int guest_main(struct hvm_start_info *si)
{
	int code = (int)cmdline_uint(si, "code", 0);

	printf_serial("exitcode: powering off with %d\n", code);
	return code;
}
