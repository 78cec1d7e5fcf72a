#include "util/size.h"

#include <ctype.h>

static int parse_digits(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;

	if (!s || parse_digits(&s, &v) < 0)
		return -1;
	switch (toupper((unsigned char)*s)) {
	case '\0': break;
	case 'K': mult = 1ull << 10; s++; break;
	case 'M': mult = 1ull << 20; s++; break;
	case 'G': mult = 1ull << 30; s++; break;
	case 'T': mult = 1ull << 40; s++; break;
	default: return -1;
	}
	/* Accept "64MiB"/"64MB" spellings too. */
	if (mult > 1 && (*s == 'i' || *s == 'I'))
		s++;
	if (mult > 1 && (*s == 'b' || *s == 'B'))
		s++;
	if (*s != '\0')
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!s || parse_digits(&s, &v) < 0 || *s != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
