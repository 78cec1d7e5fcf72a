#include "host/console.h"

#include <errno.h>
#include <unistd.h>

size_t console_escape_filter(struct console_escape *st, const uint8_t *in, size_t n, uint8_t *out, bool *quit)
{
	size_t o = 0;

	*quit = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = in[i];

		if (!st->armed) {
			if (b == CONSOLE_ESCAPE)
				st->armed = true;
			else
				out[o++] = b;
			continue;
		}
		st->armed = false;
		if (b == 'x' || b == 'X') {
			*quit = true;
			return o;
		}
		out[o++] = CONSOLE_ESCAPE;
		if (b != CONSOLE_ESCAPE)
			out[o++] = b;
	}
	return o;
}

int console_open(struct console *c, bool input, struct err *e)
{
	c->in_fd = input ? STDIN_FILENO : -1;
	c->out_fd = STDOUT_FILENO;
	c->raw = false;
	c->esc.armed = false;
	if (input && isatty(STDIN_FILENO)) {
		struct termios t;

		if (tcgetattr(STDIN_FILENO, &c->saved) < 0)
			return err_errno(e, "tcgetattr");
		t = c->saved;
		cfmakeraw(&t);
		t.c_oflag |= OPOST; /* keep "\n" -> "\r\n" for guests that send bare newlines */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
			return err_errno(e, "tcsetattr");
		c->raw = true;
	}
	return 0;
}

void console_restore(struct console *c)
{
	if (c->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
	c->raw = false;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(c->out_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}
