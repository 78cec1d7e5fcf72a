#include "host/console_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int console_socket_open(struct console_socket *s, const char *path, struct err *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t old;

	s->listen_fd = s->client_fd = -1;
	if (strlen(path) >= sizeof a.sun_path)
		return err_set(e, "--console-socket path is longer than %zu bytes", sizeof a.sun_path - 1);
	strcpy(a.sun_path, path);
	strcpy(s->path, path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0)
		return err_errno(e, "console socket");
	unlink(path); /* a stale socket from an earlier run */
	old = umask(0177);
	if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) < 0) {
		umask(old);
		err_errno(e, "cannot bind console socket '%s'", path);
		close(s->listen_fd);
		s->listen_fd = -1;
		return -1;
	}
	umask(old);
	if (listen(s->listen_fd, 4) < 0) {
		err_errno(e, "listen on console socket '%s'", path);
		close(s->listen_fd);
		s->listen_fd = -1;
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	return 0;
}

void console_socket_close(struct console_socket *s)
{
	if (s->listen_fd < 0)
		return;
	close(s->listen_fd);
	unlink(s->path);
	if (s->client_fd >= 0)
		close(s->client_fd);
	s->listen_fd = s->client_fd = -1;
	pthread_mutex_destroy(&s->lock);
}

int console_socket_accept(struct console_socket *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), old;

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	old = s->client_fd;
	s->client_fd = fd;
	pthread_mutex_unlock(&s->lock);
	if (old >= 0)
		close(old);
	return fd;
}

void console_socket_drop(struct console_socket *s, int fd)
{
	pthread_mutex_lock(&s->lock);
	if (s->client_fd == fd)
		s->client_fd = -1;
	pthread_mutex_unlock(&s->lock);
	close(fd);
}

void console_socket_write(struct console_socket *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	if (s->client_fd >= 0)
		while (len) {
			ssize_t n = send(s->client_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			buf += n;
			len -= (size_t)n;
		}
	pthread_mutex_unlock(&s->lock);
}
