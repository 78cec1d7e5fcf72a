/* Request-target path: percent-decoding and normalisation into a path that
 * can only name something inside the site. */
#ifndef GUEST_HTTP_PATH_H
#define GUEST_HTTP_PATH_H

#include <stddef.h>

enum http_path_err {
	HTTP_PATH_OK = 0,
	HTTP_PATH_BAD = -1,     /* refuse with 400 */
	HTTP_PATH_TOO_LONG = -2 /* refuse with 414 */
};

/* Decodes the origin-form target p/n (which must start with '/') up to its
 * '?' into out as "/seg/seg[/]": empty and "." segments dropped, a trailing
 * slash kept (it asks for a directory). Refused, because they could step
 * outside the site root or hide a separator from the check: any ".."
 * segment (also spelled %2e%2e), an encoded '/' (%2f), a backslash raw or
 * encoded, NUL and other control bytes, malformed %-escapes, '#'.
 * *query gets the offset in p of the byte after '?', or n when none. out is
 * NUL terminated; *outlen excludes the NUL. */
enum http_path_err http_path_normalize(const char *p, size_t n, char *out, size_t cap,
				       size_t *outlen, size_t *query);

#endif
