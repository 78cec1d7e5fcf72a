#include "host/console_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MOVE_CHUNK   (64u << 10)
#define CUT_LINE_MAX 160 /* the longest cut line: a 64-character name, two 20-digit numbers */

int64_t console_log_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NS_PER_S + ts.tv_nsec;
}

/* The same file to read and write at offsets: fd itself when it allows
 * that, else a new descriptor through /proc (which works as long as the
 * file is open, even renamed or unlinked); -1 if neither, and cuts then
 * keep nothing old. */
static int open_read_write(int fd, int fl)
{
	char path[64];

	if ((fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND))
		return fd;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
}

int console_log_init(struct console_log *l, int fd, const char *name, const struct console_limits *lim,
		     int64_t now_ns, struct err *e)
{
	int fl = fcntl(fd, F_GETFL);

	memset(l, 0, sizeof *l);
	if (fl < 0)
		return err_errno(e, "console output");
	l->fd = fd;
	l->rw_fd = -1;
	l->append = fl & O_APPEND;
	snprintf(l->name, sizeof l->name, "%s", name);
	l->lim = *lim;
	if (l->lim.max && l->lim.max < CONSOLE_LOG_MAX_MIN)
		l->lim.max = CONSOLE_LOG_MAX_MIN;
	token_bucket_init(&l->bucket, lim->rate, lim->burst, now_ns);
	if (l->lim.max && !(l->move = malloc(MOVE_CHUNK)))
		return err_set(e, "console output: out of memory");
	if (l->lim.max)
		l->rw_fd = open_read_write(fd, fl);
	pthread_mutex_init(&l->lock, NULL);
	return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, off_t at)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		at += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Where the next write lands: the shared offset, or the end with O_APPEND. */
static int64_t write_position(const struct console_log *l)
{
	struct stat st;

	if (!l->append)
		return lseek(l->fd, 0, SEEK_CUR);
	return fstat(l->fd, &st) < 0 ? -1 : st.st_size;
}

/* Copies len bytes from src down to dst (< src) in chunks, first chunk
 * already read into l->move (first bytes); front to back is safe because
 * every chunk is read before anything at or above it is written. */
static int move_down(struct console_log *l, off_t src, off_t dst, uint64_t len, size_t first)
{
	uint64_t done = 0;

	while (done < len) {
		size_t n = first;

		if (!n) {
			ssize_t r = pread(l->rw_fd, l->move, len - done < MOVE_CHUNK ? len - done : MOVE_CHUNK,
					  src + (off_t)done);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			n = (size_t)r;
		}
		first = 0;
		if (pwrite_all(l->rw_fd, l->move, n, dst + (off_t)done) < 0)
			return -1;
		done += n;
	}
	return 0;
}

/* The file holds pos bytes and *len more would pass the cap: make it a cut
 * line, the newest part of what it holds from a line start on (at most half
 * the cap, so a cut happens once per half a cap of output, not per write),
 * and room for the write; a write larger than that keeps only its end. */
static int cut(struct console_log *l, uint64_t pos, const uint8_t **buf, size_t *len)
{
	uint64_t max = l->lim.max, room = max - CUT_LINE_MAX, keep, src, skip = 0, cut_of_buf = 0;
	char line[CUT_LINE_MAX + 1];
	size_t first = 0;
	int n;

	if (*len > room) {
		cut_of_buf = *len - room;
		*buf += cut_of_buf;
		*len = room;
	}
	keep = l->rw_fd >= 0 ? pos : 0;
	if (keep > max / 2)
		keep = max / 2;
	if (keep > room - *len)
		keep = room - *len;
	src = pos - keep; /* > CUT_LINE_MAX: the line at 0 overwrites nothing still to move */
	if (keep) {
		ssize_t r = pread(l->rw_fd, l->move, keep < MOVE_CHUNK ? keep : MOVE_CHUNK, (off_t)src);
		const uint8_t *nl;

		if (r <= 0)
			return -1;
		first = (size_t)r;
		nl = memchr(l->move, '\n', first);
		if (nl && src > 0) { /* from the first whole line on */
			skip = (uint64_t)(nl - l->move) + 1;
			first -= skip;
			memmove(l->move, l->move + skip, first);
			src += skip;
			keep -= skip;
		}
	}
	l->discarded += src + cut_of_buf;
	n = snprintf(line, sizeof line, "vmm: %s: console: log over its cap of %" PRIu64 " bytes, cut: %" PRIu64
		     " older bytes discarded so far\n", l->name, max, l->discarded);
	if (n < 0 || n > CUT_LINE_MAX)
		n = 0;
	if (l->rw_fd < 0) /* plain writes: they work under O_APPEND too */
		return ftruncate(l->fd, 0) < 0 || lseek(l->fd, 0, SEEK_SET) < 0 ||
		       write_all(l->fd, (const uint8_t *)line, (size_t)n) < 0 ? -1 : 0;
	/* the shared offset goes to the new end: the next write, ours or
	 * another writer's, lands right after what was kept */
	if (pwrite_all(l->rw_fd, (const uint8_t *)line, (size_t)n, 0) < 0 ||
	    move_down(l, (off_t)src, n, keep, first) < 0 || ftruncate(l->rw_fd, (off_t)(n + keep)) < 0 ||
	    lseek(l->fd, (off_t)(n + keep), SEEK_SET) < 0)
		return -1;
	return 0;
}

/* Writes within the cap. If the file cannot be cut (an I/O error), it is
 * emptied; if not even that works, the output is dropped: bounded first. */
static void capped_write(struct console_log *l, const uint8_t *buf, size_t len)
{
	int64_t pos;

	if (!len)
		return;
	if (l->lim.max) {
		pos = write_position(l);
		if (pos < 0)
			return;
		if ((uint64_t)pos + len > l->lim.max && cut(l, (uint64_t)pos, &buf, &len) < 0) {
			if (ftruncate(l->fd, 0) < 0 || lseek(l->fd, 0, SEEK_SET) < 0)
				return;
			l->discarded += (uint64_t)pos;
		}
	}
	if (write_all(l->fd, buf, len) == 0)
		l->midline = buf[len - 1] != '\n';
}

static void report_dropped(struct console_log *l, int64_t now_ns)
{
	char line[160];
	int n = snprintf(line, sizeof line, "%svmm: %s: console: %" PRIu64 " bytes dropped (rate limit)\n",
			 l->midline ? "\n" : "", l->name, l->dropped);

	if (n > 0 && n < (int)sizeof line)
		capped_write(l, (const uint8_t *)line, (size_t)n);
	l->dropped_total += l->dropped;
	l->dropped = 0;
	l->reported_ns = now_ns;
	l->reported = true;
}

void console_log_write(struct console_log *l, const uint8_t *buf, size_t len, int64_t now_ns)
{
	size_t pass;
	bool due;

	pthread_mutex_lock(&l->lock);
	pass = token_bucket_take(&l->bucket, len, now_ns);
	/* At most one line a second: the first drop at once, then the count
	 * since, with the first write a second on, passed or dropped (so the
	 * end of a flood is reported with the output after it, or at exit). */
	due = !l->reported || now_ns - l->reported_ns >= (int64_t)NS_PER_S;
	if (pass == len && l->dropped && due) /* the count goes before the output that followed it */
		report_dropped(l, now_ns);
	capped_write(l, buf, pass);
	if (pass < len) {
		l->dropped += len - pass;
		if (due)
			report_dropped(l, now_ns);
	}
	pthread_mutex_unlock(&l->lock);
}

void console_log_close(struct console_log *l, int64_t now_ns)
{
	if (l->dropped)
		report_dropped(l, now_ns);
	free(l->move);
	l->move = NULL;
	if (l->rw_fd >= 0 && l->rw_fd != l->fd)
		close(l->rw_fd);
	l->rw_fd = -1;
	pthread_mutex_destroy(&l->lock);
}
