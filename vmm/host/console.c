#include "host/console.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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

/* A regular file grows with all the guest writes unless bounded; a terminal
 * or pipe does not grow, and its reader sets the pace. */
static int open_output(struct console *c, const struct console_output *out, struct err *e)
{
	struct stat st;

	if (out->path) {
		/* read too: a cut reads the newest part back (host/console_log.h) */
		c->own_fd = open(out->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
		if (c->own_fd < 0)
			return err_errno(e, "--console-log %s", out->path);
		c->out_fd = c->own_fd;
	}
	if (fstat(c->out_fd, &st) < 0 || !S_ISREG(st.st_mode) || (!out->lim.max && !out->lim.rate))
		return 0;
	if (console_log_init(&c->log, c->out_fd, out->name, &out->lim, console_log_now(), e) < 0)
		return -1;
	c->limited = true;
	return 0;
}

int console_open(struct console *c, bool input, const struct console_output *out, struct err *e)
{
	c->in_fd = input ? STDIN_FILENO : -1;
	c->out_fd = STDOUT_FILENO;
	c->own_fd = -1;
	c->raw = false;
	c->limited = false;
	c->esc.armed = false;
	if (open_output(c, out, e) < 0) {
		console_close(c);
		return -1;
	}
	if (input && isatty(STDIN_FILENO)) {
		struct termios t;

		if (tcgetattr(STDIN_FILENO, &c->saved) < 0) {
			console_close(c);
			return err_errno(e, "tcgetattr");
		}
		t = c->saved;
		cfmakeraw(&t);
		t.c_oflag |= OPOST; /* keep "\n" -> "\r\n" for guests that send bare newlines */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0) {
			console_close(c);
			return err_errno(e, "tcsetattr");
		}
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

void console_close(struct console *c)
{
	if (c->limited)
		console_log_close(&c->log, console_log_now());
	c->limited = false;
	if (c->own_fd >= 0)
		close(c->own_fd);
	c->own_fd = -1;
	c->out_fd = STDOUT_FILENO;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	if (c->limited) {
		console_log_write(&c->log, buf, len, console_log_now());
		return;
	}
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
