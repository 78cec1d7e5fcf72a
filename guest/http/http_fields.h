/* Values of the request fields that shape a response: If-None-Match, Range,
 * Accept-Encoding. Each parser treats malformed input the way RFC 9110 says
 * a recipient should (mostly: ignore the field). */
#ifndef GUEST_HTTP_FIELDS_H
#define GUEST_HTTP_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "http_mem.h"

/* Does the If-None-Match list match the entity tag etag (with its quotes)?
 * Weak comparison, as RFC 9110 section 13.1.2 requires; "*" matches. */
bool http_inm_match(struct http_slice inm, const char *etag, size_t n);

enum http_range_res {
	HTTP_RANGE_IGNORE,       /* no usable single range: send the whole 200 */
	HTTP_RANGE_OK,           /* *first, *len within size: 206 */
	HTTP_RANGE_UNSATISFIABLE /* 416 */
};

/* One byte range: "bytes=a-b", "bytes=a-", "bytes=-n". Several ranges are
 * answered with the whole representation, which RFC 9110 allows. */
enum http_range_res http_range_parse(struct http_slice v, uint64_t size, uint64_t *first,
				     uint64_t *len);

/* Accept-Encoding lists gzip (or x-gzip, or *) with a non-zero q-value. */
bool http_accepts_gzip(struct http_slice ae);

#endif
