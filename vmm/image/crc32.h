/* CRC32 as UEFI's GPT uses it (and zlib's crc32): reflected polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF. */
#ifndef VMM_IMAGE_CRC32_H
#define VMM_IMAGE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update(0, buf, len) is the CRC of buf; feeding a buffer in pieces,
 * each call given the previous result, gives the CRC of the whole. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
