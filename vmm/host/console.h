/* The host end of the serial console: stdin/stdout, raw terminal mode while
 * a guest runs (restored on every exit path), and the Ctrl-A escape. */
#ifndef VMM_HOST_CONSOLE_H
#define VMM_HOST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "util/err.h"

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */

struct console_escape {
	bool armed; /* Ctrl-A seen, waiting for the command key */
};

/* Filters input through the escape: Ctrl-A x sets *quit, Ctrl-A Ctrl-A sends
 * one Ctrl-A, Ctrl-A followed by anything else sends both. Returns the bytes
 * written to out (room for 2 * n). Stops at quit. */
size_t console_escape_filter(struct console_escape *st, const uint8_t *in, size_t n, uint8_t *out, bool *quit);

struct console {
	int in_fd;  /* -1 when the guest gets no input */
	int out_fd;
	bool raw;   /* the terminal was switched to raw mode */
	struct termios saved;
	struct console_escape esc;
};

/* Opens the console; with input, a terminal on stdin goes to raw mode. */
int console_open(struct console *c, bool input, struct err *e);
void console_restore(struct console *c);
/* Writes all of buf to the output, dropping it if the reader is gone. */
void console_write(struct console *c, const uint8_t *buf, size_t len);

#endif
