/* A kernel given as a plain file, kept between runs as a copy vmm never
 * writes again, so that it can be mapped into guest RAM like vmmd's sealed
 * memfds (boot_image.c) instead of read into every VM. Reading it cost each
 * `vmm run` of the site kernel ~1 ms (1.1 MB copied into fresh guest pages,
 * measured on a PVM host) and each VM 1.1 MB of private memory; mapped, its
 * pages are the cache file's, shared by every VM booted from it, until a
 * guest writes one.
 *
 * The copy is DIR/kernel-DEV-INO-SIZE-MTIME-CTIME (the source file's
 * identity, so an edited or rebuilt kernel gets a copy of its own): read
 * only, trusted only when it and DIR belong to us and nobody else may write
 * them, made under a temporary name and renamed into place once whole and
 * once the source is seen unchanged over the copy. Renaming and unlinking
 * never touch a mapped file's pages, so DIR keeps the KERNEL_CACHE_MAX
 * newest copies and drops the rest; a kernel over KERNEL_CACHE_FILE_MAX (a
 * vmlinux with its symbols: 51 MB here) is not copied, so the cache holds
 * at most 128 MiB, on what is usually a tmpfs. Anything that fails only
 * means this run reads the kernel, as before. */
#ifndef VMM_MACHINE_KERNEL_CACHE_H
#define VMM_MACHINE_KERNEL_CACHE_H

#include <sys/stat.h>

#define KERNEL_CACHE_MAX 8
#define KERNEL_CACHE_FILE_MAX (16ull << 20)

/* A read-only descriptor of the cached copy of the regular file kernel_fd,
 * whose fstat is src (made now if missing), or -1: use kernel_fd itself. */
int kernel_cache_open(int kernel_fd, const struct stat *src, const char *dir);

#endif
