#include "kvm/cpuid_cache.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/owned.h"

#define CACHE_MAGIC "VMMCPUID"
#define CACHE_VERSION 1u

/* What the table depends on: this boot of the host and this /dev/kvm. */
struct cache_key {
	char boot_id[40];
	uint64_t dev, ino, ctime_sec, ctime_nsec;
};

struct cache_head {
	char magic[8];
	uint32_t version, nent;
	struct cache_key key;
};

static int key_of(int kvm_fd, struct cache_key *k)
{
	struct stat st;
	ssize_t n;
	int fd;

	memset(k, 0, sizeof *k);
	if (fstat(kvm_fd, &st) < 0)
		return -1;
	k->dev = st.st_rdev;
	k->ino = st.st_ino;
	k->ctime_sec = (uint64_t)st.st_ctim.tv_sec;
	k->ctime_nsec = (uint64_t)st.st_ctim.tv_nsec;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, k->boot_id, sizeof k->boot_id - 1);
	close(fd);
	return n >= 32 ? 0 : -1;
}

/* The file's directory is ours alone. */
static bool dir_is_ours(const char *path)
{
	char copy[PATH_MAX];

	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
		return false;
	return dir_owned_by_us(dirname(copy));
}

static bool read_table(const char *path, const struct cache_key *k, struct cpuid_table *t)
{
	struct cache_head h;
	struct stat st;
	bool ok = false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && owned_by_us(&st) && read(fd, &h, sizeof h) == (ssize_t)sizeof h &&
	    !memcmp(h.magic, CACHE_MAGIC, sizeof h.magic) && h.version == CACHE_VERSION &&
	    !memcmp(&h.key, k, sizeof *k) && h.nent > 0 && h.nent <= CPUID_MAX_ENTRIES &&
	    st.st_size == (off_t)(sizeof h + h.nent * sizeof t->e[0])) {
		size_t len = h.nent * sizeof t->e[0];

		/* entries past nent are never read: left alone, their pages of
		 * the caller's table stay untouched */
		memset(&t->h, 0, sizeof t->h);
		t->h.nent = h.nent;
		ok = read(fd, t->e, len) == (ssize_t)len;
	}
	close(fd);
	return ok;
}

/* Written beside it and renamed over it: a reader sees the old file or the
 * new one, never half of one. Failures only cost the next start a fetch. */
static void write_table(const char *path, const struct cache_key *k, const struct cpuid_table *t)
{
	struct cache_head h;
	char tmp[PATH_MAX];
	size_t len = t->h.nent * sizeof t->e[0];
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid()) >= (int)sizeof tmp)
		return;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, CACHE_MAGIC, sizeof h.magic);
	h.version = CACHE_VERSION;
	h.nent = t->h.nent;
	h.key = *k;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	bool ok = write(fd, &h, sizeof h) == (ssize_t)sizeof h && write(fd, t->e, len) == (ssize_t)len;

	if (close(fd) < 0 || !ok || rename(tmp, path) < 0)
		unlink(tmp);
}

int cpuid_supported_cached(int kvm_fd, const char *path, struct cpuid_table *t, struct err *e)
{
	struct cache_key k;
	bool usable = path && dir_is_ours(path) && key_of(kvm_fd, &k) == 0;

	if (usable && read_table(path, &k, t))
		return 0;
	if (cpuid_supported(kvm_fd, t, e) < 0)
		return -1;
	if (usable && t->h.nent > 0 && t->h.nent <= CPUID_MAX_ENTRIES)
		write_table(path, &k, t);
	return 0;
}
