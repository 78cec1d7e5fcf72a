/* HTTP dates (RFC 9110 section 5.6.7) and the access-log date. Times are unix
 * seconds; the guest supplies its clock, this code never reads one. */
#ifndef GUEST_HTTP_DATE_H
#define GUEST_HTTP_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_buf.h"

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* IMF-fixdate, the only format a sender may generate. */
void http_date_fmt(struct hbuf *b, uint64_t t);
/* Common Log Format: "06/Nov/1994:08:49:37 +0000". */
void http_date_fmt_clf(struct hbuf *b, uint64_t t);
/* Accepts IMF-fixdate, RFC 850 and asctime forms, as recipients must.
 * False (and *t untouched) for anything else, so the caller ignores the
 * field as RFC 9110 requires for invalid dates. */
bool http_date_parse(const char *p, size_t n, uint64_t *t);

#endif
