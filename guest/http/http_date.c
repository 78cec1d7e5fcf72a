#include "http_date.h"
#include "http_mem.h"

static const char wkday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const weekday[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };
static const char month[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Howard Hinnant's civil-from-days, restricted to dates after 1970, which is
 * all that unsigned unix times can express. */
static void civil(uint64_t days, uint64_t *y, unsigned *m, unsigned *d)
{
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Days from 1970-01-01; the caller guarantees y >= 1970. */
static uint64_t days_from_civil(uint64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	uint64_t era = y / 400;
	uint64_t yoe = y - era * 400;
	uint64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void split(uint64_t t, uint64_t *y, unsigned *mo, unsigned *d, unsigned *wd,
		  unsigned *h, unsigned *mi, unsigned *s)
{
	uint64_t days = t / 86400, rem = t % 86400;

	civil(days, y, mo, d);
	*wd = (unsigned)((days + 4) % 7); /* 1970-01-01 was a Thursday */
	*h = (unsigned)(rem / 3600);
	*mi = (unsigned)(rem / 60 % 60);
	*s = (unsigned)(rem % 60);
}

static void hms(struct hbuf *b, unsigned h, unsigned mi, unsigned s)
{
	hb_u64w(b, h, 2);
	hb_ch(b, ':');
	hb_u64w(b, mi, 2);
	hb_ch(b, ':');
	hb_u64w(b, s, 2);
}

void http_date_fmt(struct hbuf *b, uint64_t t)
{
	uint64_t y;
	unsigned mo, d, wd, h, mi, s;

	split(t, &y, &mo, &d, &wd, &h, &mi, &s);
	hb_put(b, wkday[wd], 3);
	hb_str(b, ", ");
	hb_u64w(b, d, 2);
	hb_ch(b, ' ');
	hb_put(b, month[mo - 1], 3);
	hb_ch(b, ' ');
	hb_u64w(b, y, 4);
	hb_ch(b, ' ');
	hms(b, h, mi, s);
	hb_str(b, " GMT");
}

void http_date_fmt_clf(struct hbuf *b, uint64_t t)
{
	uint64_t y;
	unsigned mo, d, wd, h, mi, s;

	split(t, &y, &mo, &d, &wd, &h, &mi, &s);
	hb_u64w(b, d, 2);
	hb_ch(b, '/');
	hb_put(b, month[mo - 1], 3);
	hb_ch(b, '/');
	hb_u64w(b, y, 4);
	hb_ch(b, ':');
	hms(b, h, mi, s);
	hb_str(b, " +0000");
}

/* Exactly n digits at p. */
static bool digits(const char *p, size_t n, unsigned *v)
{
	uint64_t x;

	if (!hm_parse_u64(p, n, 999999, &x))
		return false;
	*v = (unsigned)x;
	return true;
}

static bool parse_month(const char *p, unsigned *m)
{
	for (unsigned i = 0; i < 12; i++)
		if (hm_memcmp(p, month[i], 3) == 0) {
			*m = i + 1;
			return true;
		}
	return false;
}

static bool parse_time(const char *p, unsigned *h, unsigned *mi, unsigned *s)
{
	return digits(p, 2, h) && p[2] == ':' && digits(p + 3, 2, mi) && p[5] == ':' &&
	       digits(p + 6, 2, s);
}

static bool wkday_ok(const char *p)
{
	for (unsigned i = 0; i < 7; i++)
		if (hm_memcmp(p, wkday[i], 3) == 0)
			return true;
	return false;
}

static bool assemble(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
		     uint64_t *t)
{
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	/* Dates before the epoch cannot be a file's time here; treat as invalid. */
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || s > 60)
		return false;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600u + mi * 60u + s;
	return true;
}

bool http_date_parse(const char *p, size_t n, uint64_t *t)
{
	unsigned y, mo, d, h, mi, s;

	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (n == 29 && wkday_ok(p) && p[3] == ',' && p[4] == ' ' && digits(p + 5, 2, &d) &&
	    p[7] == ' ' && parse_month(p + 8, &mo) && p[11] == ' ' && digits(p + 12, 4, &y) &&
	    p[16] == ' ' && parse_time(p + 17, &h, &mi, &s) && hm_memcmp(p + 25, " GMT", 4) == 0)
		return assemble(y, mo, d, h, mi, s, t);

	/* asctime: "Sun Nov  6 08:49:37 1994" */
	if (n == 24 && wkday_ok(p) && p[3] == ' ' && parse_month(p + 4, &mo) && p[7] == ' ' &&
	    (p[8] == ' ' ? digits(p + 9, 1, &d) : digits(p + 8, 2, &d)) && p[10] == ' ' &&
	    parse_time(p + 11, &h, &mi, &s) && p[19] == ' ' && digits(p + 20, 4, &y))
		return assemble(y, mo, d, h, mi, s, t);

	/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
	for (unsigned i = 0; i < 7; i++) {
		size_t wl = hm_strlen(weekday[i]);
		if (n != wl + 24 || hm_memcmp(p, weekday[i], wl) != 0)
			continue;
		const char *q = p + wl;
		if (q[0] != ',' || q[1] != ' ' || !digits(q + 2, 2, &d) || q[4] != '-' ||
		    !parse_month(q + 5, &mo) || q[8] != '-' || !digits(q + 9, 2, &y) ||
		    q[11] != ' ' || !parse_time(q + 12, &h, &mi, &s) ||
		    hm_memcmp(q + 20, " GMT", 4) != 0)
			return false;
		/* Two-digit years: RFC 9110 says to read a year more than 50 years
		 * ahead as the past century; with no clock here, split at 70. */
		y += y < 70 ? 2000 : 1900;
		return assemble(y, mo, d, h, mi, s, t);
	}
	return false;
}
