/* Echoes serial input back; a line "exit" powers off with 0. */
#include "lib/guest.h"

int guest_main(struct hvm_start_info *si)
{
	char line[128];
	size_t n = 0;

	(void)si;
	puts_serial("echo: ready\n");
	for (;;) {
		int c = getc_serial();

		if (c == '\r')
			c = '\n';
		putc_serial((char)c);
		if (c != '\n') {
			if (n < sizeof line - 1)
				line[n++] = (char)c;
			continue;
		}
		line[n] = 0;
		if (n == 4 && line[0] == 'e' && line[1] == 'x' && line[2] == 'i' && line[3] == 't')
			break;
		n = 0;
	}
	puts_serial("echo: bye\n");
	return 0;
}
