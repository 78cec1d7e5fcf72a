/* Content-Type by file name extension. */
#ifndef GUEST_HTTP_MIME_H
#define GUEST_HTTP_MIME_H

#include <stddef.h>

/* The media type for a path's extension (case-insensitive); unknown or no
 * extension gives application/octet-stream, which browsers download rather
 * than sniff into something executable. */
const char *http_mime_type(const char *path, size_t n);

#endif
