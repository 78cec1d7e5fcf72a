#include "http_mem.h"
#include "http_path.h"

enum http_path_err http_path_normalize(const char *p, size_t n, char *out, size_t cap,
				       size_t *outlen, size_t *query)
{
	size_t end = n, len = 0;

	if (n == 0 || p[0] != '/' || cap < 2)
		return HTTP_PATH_BAD;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '?') {
			end = i;
			break;
		}
	*query = end < n ? end + 1 : n;

	/* Pass 1: decode into out. A decoded '/' would be a separator the
	 * segment check below could not see, so it is refused here. */
	for (size_t i = 0; i < end; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '%') {
			int hi, lo;
			if (end - i < 3 || (hi = hm_hexval(p[i + 1])) < 0 || (lo = hm_hexval(p[i + 2])) < 0)
				return HTTP_PATH_BAD;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c == '/')
				return HTTP_PATH_BAD;
		}
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '#')
			return HTTP_PATH_BAD;
		if (len + 2 >= cap) /* room for a trailing '/' and the NUL */
			return HTTP_PATH_TOO_LONG;
		out[len++] = (char)c;
	}

	/* Pass 2, in place: drop empty and "." segments, refuse "..". */
	size_t r = 0, w = 0;
	int trailing = 0;
	while (r < len) {
		while (r < len && out[r] == '/')
			r++;
		size_t s = r;
		while (r < len && out[r] != '/')
			r++;
		size_t sl = r - s;
		trailing = r == len ? (sl == 0 || (sl == 1 && out[s] == '.')) : 0;
		if (sl == 0 || (sl == 1 && out[s] == '.'))
			continue;
		if (sl == 2 && out[s] == '.' && out[s + 1] == '.')
			return HTTP_PATH_BAD;
		out[w++] = '/';
		for (size_t k = 0; k < sl; k++)
			out[w++] = out[s + k];
	}
	/* w <= len <= cap - 2 here, so the extra slash and the NUL fit. */
	if (w == 0 || trailing)
		out[w++] = '/';
	out[w] = 0;
	*outlen = w;
	return HTTP_PATH_OK;
}
