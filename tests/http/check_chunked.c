/* The chunked body decoder on its own: whole bodies, every split of them,
 * and every way the framing can be wrong. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "http/http_chunked.h"
#include "suites.h"

/* Decodes in[0, n) fed in pieces of `piece` bytes into out. Returns the
 * last result; *used is how much of in the decoder took, *status its
 * error status. */
static enum http_chunked_res decode(const char *in, size_t n, size_t piece, uint64_t max,
				    char *out, size_t *outlen, size_t *used, int *status)
{
	struct http_chunked d;
	enum http_chunked_res r = HTTP_CHUNKED_MORE;
	size_t pos = 0;

	http_chunked_init(&d, max, 64);
	*outlen = 0;
	*status = 0;
	while (pos < n && r == HTTP_CHUNKED_MORE) {
		size_t end = pos + piece < n ? pos + piece : n;
		while (pos < end && r == HTTP_CHUNKED_MORE) {
			size_t k, off, dn;
			r = http_chunked_step(&d, in + pos, end - pos, &k, &off, &dn, status);
			ck_assert_uint_le(k, end - pos);
			ck_assert_uint_le(off + dn, k);
			memcpy(out + *outlen, in + pos + off, dn);
			*outlen += dn;
			pos += k;
			if (r == HTTP_CHUNKED_MORE && k == 0)
				ck_abort_msg("no progress");
		}
	}
	*used = pos;
	ck_assert_uint_eq(d.total, *outlen);
	return r;
}

static const char body[] = "5\r\nhello\r\n"
			   "1;name=value;q=\"a b\"\r\n,\r\n"
			   "06 ; ext\r\n world\r\n"
			   "A\r\n0123456789\r\n"
			   "0\r\n"
			   "Trailer-One: x\r\n"
			   "X-Checksum: \tabc \r\n"
			   "\r\n"
			   "GET / HTTP/1.1\r\n";

START_TEST(whole_and_every_piece_size)
{
	char out[128];
	size_t olen, used;
	int st;
	size_t blen = strlen(body) - strlen("GET / HTTP/1.1\r\n");

	for (size_t piece = 1; piece <= sizeof(body); piece++) {
		ck_assert_int_eq(decode(body, strlen(body), piece, 1000, out, &olen, &used, &st),
				 HTTP_CHUNKED_DONE);
		ck_assert_uint_eq(olen, 22);
		ck_assert_mem_eq(out, "hello, world0123456789", 22);
		ck_assert_uint_eq(used, blen); /* stops right before the next request */
	}
}
END_TEST

START_TEST(empty_body)
{
	char out[8];
	size_t olen, used;
	int st;

	ck_assert_int_eq(decode("0\r\n\r\n", 5, 5, 10, out, &olen, &used, &st), HTTP_CHUNKED_DONE);
	ck_assert_uint_eq(olen, 0);
	ck_assert_int_eq(decode("000;x\r\n\r\n", 9, 1, 0, out, &olen, &used, &st),
			 HTTP_CHUNKED_DONE);
	ck_assert_int_eq(decode("0\r\n", 3, 3, 10, out, &olen, &used, &st), HTTP_CHUNKED_MORE);
}
END_TEST

START_TEST(malformed_is_400)
{
	static const char *const bad[] = {
		"\r\n",              /* no size */
		"x\r\n",             /* not hex */
		"-1\r\n",
		"+5\r\n",
		" 5\r\n",            /* whitespace before the size */
		"5 \r\nhello\r\n",   /* whitespace not followed by ';' */
		"5\nhello\r\n",      /* bare LF */
		"5\r\rhello\r\n",
		"5\r\nhelloX\r\n",   /* data longer than the size */
		"5\r\nhello\n0\r\n\r\n",
		"5\r\nhello\r\r",
		"5;a\x01" "b\r\n",   /* control byte in an extension */
		"5;a\nb\r\n",
		"0x5\r\n",
		"0\r\nbad trailer\r\n\r\n",   /* no colon */
		"0\r\n: v\r\n\r\n",           /* empty name */
		"0\r\n x: v\r\n\r\n",         /* folded */
		"0\r\nX: a\x7f\r\n\r\n",
		"0\r\nX: v\n\r\n",
		"0\r\n\n",
		"0\r\n\rX",
	};
	char out[64];
	size_t olen, used;
	int st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t piece = 1; piece <= 3; piece += 2) {
			enum http_chunked_res r =
				decode(bad[i], strlen(bad[i]), piece, 1000, out, &olen, &used, &st);
			ck_assert_msg(r == HTTP_CHUNKED_ERROR && st == 400, "%zu: r %d st %d", i, r,
				      st);
		}
	}
	/* a size line or trailer section longer than meta_max (64 here) */
	char longline[200];
	memset(longline, '0', 100);
	strcpy(longline + 100, "5\r\nhello\r\n0\r\n\r\n");
	ck_assert_int_eq(decode(longline, strlen(longline), 7, 1000, out, &olen, &used, &st),
			 HTTP_CHUNKED_ERROR);
	ck_assert_int_eq(st, 400);
	strcpy(longline, "1;");
	memset(longline + 2, 'e', 100);
	strcpy(longline + 102, "\r\nx\r\n0\r\n\r\n");
	ck_assert_int_eq(decode(longline, strlen(longline), 7, 1000, out, &olen, &used, &st),
			 HTTP_CHUNKED_ERROR);
	strcpy(longline, "0\r\nA: ");
	memset(longline + 6, 'v', 100);
	strcpy(longline + 106, "\r\n\r\n");
	ck_assert_int_eq(decode(longline, strlen(longline), 7, 1000, out, &olen, &used, &st),
			 HTTP_CHUNKED_ERROR);
	/* after an error the decoder stays failed */
	struct http_chunked d;
	size_t k, off, dn;
	http_chunked_init(&d, 10, 64);
	ck_assert_int_eq(http_chunked_step(&d, "z", 1, &k, &off, &dn, &st), HTTP_CHUNKED_ERROR);
	ck_assert_int_eq(http_chunked_step(&d, "0\r\n\r\n", 5, &k, &off, &dn, &st),
			 HTTP_CHUNKED_ERROR);
	ck_assert_int_eq(st, 400);
	ck_assert_uint_eq(k, 0);
}
END_TEST

START_TEST(over_max_is_413)
{
	char out[64];
	size_t olen, used;
	int st;

	/* exactly the limit is fine */
	const char *ok = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
	ck_assert_int_eq(decode(ok, strlen(ok), 4, 10, out, &olen, &used, &st), HTTP_CHUNKED_DONE);
	ck_assert_uint_eq(olen, 10);
	/* one more byte, in a later chunk: refused when its size is read */
	const char *over = "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n";
	ck_assert_int_eq(decode(over, strlen(over), 1, 10, out, &olen, &used, &st),
			 HTTP_CHUNKED_ERROR);
	ck_assert_int_eq(st, 413);
	ck_assert_uint_eq(used, 11); /* the '6' itself, before any of that chunk's data */
	/* sizes that would overflow 64 bits */
	ck_assert_int_eq(decode("ffffffffffffffffffff\r\n", 22, 3, 1ull << 62, out, &olen, &used,
				&st),
			 HTTP_CHUNKED_ERROR);
	ck_assert_int_eq(st, 413);
	ck_assert_int_eq(decode("10000000000000001\r\n", 19, 1, ~0ull, out, &olen, &used, &st),
			 HTTP_CHUNKED_ERROR);
	ck_assert_int_eq(st, 413);
	/* leading zeros are not a size */
	const char *zeros = "000000000000000000000000000001\r\nx\r\n0\r\n\r\n";
	ck_assert_int_eq(decode(zeros, strlen(zeros), 5, 1, out, &olen, &used, &st),
			 HTTP_CHUNKED_DONE);
}
END_TEST

Suite *chunked_suite(void)
{
	const TTest *const tests[] = {
		whole_and_every_piece_size, empty_body, malformed_is_400, over_max_is_413, NULL,
	};

	return one_case_suite("chunked", "core", 0, NULL, NULL, tests);
}
