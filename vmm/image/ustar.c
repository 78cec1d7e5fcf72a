#include "image/ustar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_USTAR   100u
#define PREFIX_MAX_USTAR 155u
#define PATH_MAX_USTAR   (PREFIX_MAX_USTAR + 1 + NAME_MAX_USTAR)
#define SIZE_MAX_USTAR   077777777777ull /* 11 octal digits */

/* Room for n more bytes, zeroed (so padding and unused header fields need
 * no writing). */
static uint8_t *grow(struct ustar *t, size_t n, struct err *e)
{
	if (t->cap - t->len < n) {
		size_t cap = t->cap ? t->cap : 1u << 16;
		while (cap - t->len < n) {
			if (cap > SIZE_MAX / 2) {
				err_set(e, "the archive does not fit in memory");
				return NULL;
			}
			cap *= 2;
		}
		uint8_t *p = realloc(t->data, cap);
		if (!p) {
			err_set(e, "out of memory for a %zu-byte archive", cap);
			return NULL;
		}
		t->data = p;
		t->cap = cap;
	}
	uint8_t *p = t->data + t->len;
	memset(p, 0, n);
	t->len += n;
	return p;
}

/* Splits path into ustar's prefix and name fields; -1 if it cannot. */
static int split_name(const char *path, size_t len, uint8_t *h)
{
	if (len <= NAME_MAX_USTAR) {
		memcpy(h, path, len);
		return 0;
	}
	/* The first '/' that leaves a name of at most 100 bytes; not the last
	 * byte (a directory's own slash), so the name part is never empty. */
	for (size_t i = len - NAME_MAX_USTAR - 1; i < len - 1 && i <= PREFIX_MAX_USTAR; i++) {
		if (path[i] == '/') {
			memcpy(h + 345, path, i);
			memcpy(h, path + i + 1, len - i - 1);
			return 0;
		}
	}
	return -1;
}

static int header(struct ustar *t, const char *path, char type, uint64_t size, uint64_t mtime, const char *shown,
		  struct err *e)
{
	size_t len = strlen(path);
	uint8_t *h;
	unsigned sum = 0;

	if (len > PATH_MAX_USTAR)
		return err_set(e, "%s: the name is %zu bytes, over ustar's %u", shown, len, PATH_MAX_USTAR);
	if (size > SIZE_MAX_USTAR)
		return err_set(e, "%s: %llu bytes, over ustar's 8 GiB - 1", shown, (unsigned long long)size);
	if (!(h = grow(t, USTAR_BLOCK, e)))
		return -1;
	if (split_name(path, len, h) < 0) {
		t->len -= USTAR_BLOCK;
		return err_set(e, "%s: the name (%zu bytes) has no '/' that splits it into ustar's 155-byte prefix and 100-byte name",
			       shown, len);
	}
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755u : 0644u);
	snprintf((char *)h + 108, 8, "%07o", 0u);
	snprintf((char *)h + 116, 8, "%07o", 0u);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)(mtime & SIZE_MAX_USTAR));
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6); /* with its NUL */
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8); /* the checksum counts its own field as spaces */
	for (unsigned i = 0; i < USTAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, and the space kept */
	h[155] = ' ';
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular file name (in dfd) of size bytes, into the archive. */
static int add_file(struct ustar *t, int dfd, const char *name, uint64_t size, const char *shown, struct err *e)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	uint8_t *p;
	uint64_t got = 0;

	if (fd < 0)
		return err_errno(e, "%s", shown);
	if (!(p = grow(t, (size + USTAR_BLOCK - 1) / USTAR_BLOCK * USTAR_BLOCK, e))) {
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t n = read(fd, p + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			if (n < 0)
				return err_errno(e, "%s", shown);
			return err_set(e, "%s: shrank while it was read (%llu of %llu bytes)", shown,
				       (unsigned long long)got, (unsigned long long)size);
		}
		got += (uint64_t)n;
	}
	close(fd);
	return 0;
}

/* Everything in the directory dfd, whose archive path is rel ("" at the
 * top; else ending in '/'). Takes dfd. */
static int pack(struct ustar *t, int dfd, const char *top, const char *rel, uint64_t mtime, struct err *e)
{
	DIR *d = fdopendir(dfd);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return err_errno(e, "%s/%s", top, rel);
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
			if (!nn) {
				rc = err_set(e, "out of memory listing %s/%s", top, rel);
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = err_set(e, "out of memory listing %s/%s", top, rel);
			goto out;
		}
		n++;
	}
	if (errno) {
		rc = err_errno(e, "reading the directory %s/%s", top, rel);
		goto out;
	}
	if (n) /* qsort's array may not be NULL, even empty */
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX_USTAR + 2], shown[4096 + 64];
		struct stat sb;
		size_t len = strlen(rel) + strlen(names[i]);

		snprintf(shown, sizeof shown, "%s/%s%s", top, rel, names[i]);
		if (len > PATH_MAX_USTAR) {
			rc = err_set(e, "%s: the name is %zu bytes, over ustar's %u", shown, len, PATH_MAX_USTAR);
			break;
		}
		snprintf(path, sizeof path, "%s%s", rel, names[i]);
		if (fstatat(dfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_errno(e, "%s", shown);
		} else if (S_ISREG(sb.st_mode)) {
			rc = header(t, path, '0', (uint64_t)sb.st_size, mtime, shown, e);
			if (rc == 0)
				rc = add_file(t, dfd, names[i], (uint64_t)sb.st_size, shown, e);
			t->files += rc == 0;
		} else if (S_ISDIR(sb.st_mode)) {
			int sub = openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			strcat(path, "/");
			if (sub < 0) {
				rc = err_errno(e, "%s", shown);
			} else if ((rc = header(t, path, '5', 0, mtime, shown, e)) < 0) {
				close(sub);
			} else {
				t->dirs++;
				rc = pack(t, sub, top, path, mtime, e);
			}
		} else {
			rc = err_set(e, "%s: a %s; a site image holds regular files and directories only", shown,
				     S_ISLNK(sb.st_mode)                        ? "symbolic link"
				     : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "device"
				     : S_ISFIFO(sb.st_mode)                     ? "FIFO"
				     : S_ISSOCK(sb.st_mode)                     ? "socket"
										: "special file");
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int ustar_pack_dir(const char *dir, uint64_t mtime, struct ustar *t, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(t, 0, sizeof *t);
	if (fd < 0)
		return err_errno(e, "%s", dir);
	if (pack(t, fd, dir, "", mtime, e) < 0 || !grow(t, 2 * USTAR_BLOCK, e)) { /* two zero blocks end it */
		ustar_free(t);
		return -1;
	}
	if (t->files == 0) {
		ustar_free(t);
		return err_set(e, "%s holds no regular file: nothing to serve", dir);
	}
	return 0;
}

void ustar_free(struct ustar *t)
{
	free(t->data);
	memset(t, 0, sizeof *t);
}
