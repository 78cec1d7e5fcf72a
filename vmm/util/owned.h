/* Whether a cache file or its directory can be trusted: it belongs to our
 * effective user and nobody else may write it. The caches vmm keeps between
 * runs (kvm/cpuid_cache.h, machine/kernel_cache.h) read nothing else. */
#ifndef VMM_UTIL_OWNED_H
#define VMM_UTIL_OWNED_H

#include <stdbool.h>
#include <sys/stat.h>

bool owned_by_us(const struct stat *st);
/* The directory path names (not its parent): a directory of ours. */
bool dir_owned_by_us(const char *path);

#endif
