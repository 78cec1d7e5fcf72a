/* Parsing of sizes and counts given on the command line. */
#ifndef VMM_UTIL_SIZE_H
#define VMM_UTIL_SIZE_H

#include <stdint.h>

/* "64M", "512K", "1G", "4096" (bytes) -> bytes. Returns -1 on a malformed or
 * overflowing value. Suffixes are binary (K = 1024) and case-insensitive. */
int parse_size(const char *s, uint64_t *out);

/* A decimal unsigned integer in [min, max]. Returns -1 otherwise. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
