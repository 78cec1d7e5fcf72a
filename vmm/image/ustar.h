/* Packs a site directory into a POSIX ustar archive in memory, the form
 * the site kernel reads (guest/http/site_tar.c): regular files and
 * directories only, in byte order of their names at every level, with one
 * given mtime, owner 0 and modes 0644/0755, so the same tree always gives
 * the same bytes whatever the checkout's timestamps and owners. */
#ifndef VMM_IMAGE_USTAR_H
#define VMM_IMAGE_USTAR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define USTAR_BLOCK 512u

struct ustar {
	uint8_t *data;
	size_t len, cap;
	uint64_t files, dirs;
};

/* Archives the contents of dir (not dir itself: names are relative to it).
 * Refuses symbolic links, devices, FIFOs and sockets, names that ustar
 * cannot hold (over 100 bytes with no '/' that splits them into a prefix of
 * at most 155 and a name of at most 100), files over 8 GiB - 1, and a tree
 * with no regular file. */
int ustar_pack_dir(const char *dir, uint64_t mtime, struct ustar *out, struct err *e);
void ustar_free(struct ustar *t);

#endif
