/* The host end of the serial console: stdin/stdout (or a --console-log
 * file), raw terminal mode while a guest runs (restored on every exit path),
 * and the Ctrl-A escape. Output into a regular file is bounded
 * (host/console_log.h); a terminal or pipe has a reader that paces it. */
#ifndef VMM_HOST_CONSOLE_H
#define VMM_HOST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "host/console_log.h"
#include "util/err.h"

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */

struct console_escape {
	bool armed; /* Ctrl-A seen, waiting for the command key */
};

/* Filters input through the escape: Ctrl-A x sets *quit, Ctrl-A Ctrl-A sends
 * one Ctrl-A, Ctrl-A followed by anything else sends both. Returns the bytes
 * written to out (room for 2 * n). Stops at quit. */
size_t console_escape_filter(struct console_escape *st, const uint8_t *in, size_t n, uint8_t *out, bool *quit);

/* Where output goes and its limits when that is a regular file. */
struct console_output {
	const char *path;          /* a file created 0600 (emptied if it exists); NULL: stdout */
	const char *name;          /* the VM's, for the lines vmm writes into the file */
	struct console_limits lim;
};

struct console {
	int in_fd;  /* -1 when the guest gets no input */
	int out_fd;
	int own_fd; /* the --console-log file, or -1 */
	bool raw;   /* the terminal was switched to raw mode */
	bool limited; /* out_fd is a regular file: writes go through log */
	struct console_log log;
	struct termios saved;
	struct console_escape esc;
};

/* Opens the console; with input, a terminal on stdin goes to raw mode. */
int console_open(struct console *c, bool input, const struct console_output *out, struct err *e);
void console_restore(struct console *c);
/* Writes the last dropped-bytes count, closes the --console-log file. */
void console_close(struct console *c);
/* Writes buf to the output: all of it to a terminal or pipe (dropping it if
 * the reader is gone), within the limits to a file. */
void console_write(struct console *c, const uint8_t *buf, size_t len);

#endif
