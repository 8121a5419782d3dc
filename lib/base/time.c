/* time: RFC 3339 parsing and formatting, UTC days. */
#include "lib/base/time.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Days from civil (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The one range check of every parser: the instant in UTC, after the offset, since an offset
 * moves a time in year 1 or 9999 across the years a day file's name can hold. */
static bool in_range(int64_t v, int64_t *us)
{
	if (v < TIME_MIN_US || v > TIME_MAX_US)
		return false;
	*us = v;
	return true;
}

bool time_from_unix(double v, int64_t *us)
{
	if (!isfinite(v))
		return false;
	if (fabs(v) > 2e10)
		v /= 1000;
	/* Well outside the range in_range checks, and inside int64_t microseconds. */
	if (fabs(v) > 1e12)
		return false;
	return in_range((int64_t)llround(v * 1e6), us);
}

bool time_parse_unix(const char *s, int64_t *us)
{
	size_t i = s[0] == '-' || s[0] == '+', d = strspn(s + i, "0123456789");
	if (!d)
		return false;
	i += d;
	if (s[i] == '.' && !(d = strspn(s + i + 1, "0123456789")))
		return false;
	if (s[i] == '.')
		i += 1 + d;
	return !s[i] && time_from_unix(strtod(s, NULL), us);
}

bool time_parse(const char *s, bool need_offset, int64_t *us)
{
	/* RFC 3339 section 5.6: date-time = full-date "T" partial-time time-offset; we also take
	 * a space for "T" and, unless need_offset, no offset (UTC), as pydantic does. */
	int Y, M, D, h = 0, mi = 0, sec = 0;
	if (!s || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D))
		return false;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (Y < 1 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap(Y)))
		return false;
	const char *p = s + 10;
	int64_t frac = 0;
	int64_t off = 0;
	bool have_off = false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi))
			return false;
		p += 5;
		if (*p == ':') {
			if (!digits(p + 1, 2, &sec))
				return false;
			p += 3;
			if (*p == '.' || *p == ',') {
				p++;
				int nd = 0;
				while (*p >= '0' && *p <= '9') {
					if (nd < 6)
						frac = frac * 10 + (*p - '0');
					nd++;
					p++;
				}
				if (nd == 0)
					return false;
				for (int k = nd; k < 6; k++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return false;
		if (*p == 'Z' || *p == 'z') {
			have_off = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			if (!digits(p + 1, 2, &oh) || !digits(p + (p[3] == ':' ? 4 : 3), 2, &om) ||
			    oh > 23 || om > 59)
				return false;
			off = (int64_t)(oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
			p += p[3] == ':' ? 6 : 5;
			have_off = true;
		}
	} else if (need_offset) {
		return false;
	}
	if (*p || (need_offset && !have_off))
		return false;
	int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
	return in_range(secs * 1000000 + frac, us);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* "00".."99": time_format writes two digits a division. */
static const char pairs[201] = "0001020304050607080910111213141516171819"
			       "2021222324252627282930313233343536373839"
			       "4041424344454647484950515253545556575859"
			       "6061626364656667686970717273747576777879"
			       "8081828384858687888990919293949596979899";

/* v < 100 as two digits at p. */
static char *pair_out(char *p, unsigned v)
{
	memcpy(p, pairs + 2 * v, 2);
	return p + 2;
}

size_t time_format(int64_t us, char *out)
{
	/* By hand rather than snprintf: three of these go into every stored line. */
	int64_t secs = floordiv(us, 1000000);
	int64_t frac = us - secs * 1000000;
	int64_t days = floordiv(secs, 86400);
	int64_t rem = secs - days * 86400;
	int y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		int n = snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
				 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
		return n < 0 ? 0 : n > 31 ? 31 : (size_t)n;
	}
	unsigned r = (unsigned)rem;
	char *p = pair_out(out, (unsigned)y / 100);
	p = pair_out(p, (unsigned)y % 100);
	*p++ = '-';
	p = pair_out(p, m);
	*p++ = '-';
	p = pair_out(p, d);
	*p++ = 'T';
	p = pair_out(p, r / 3600);
	*p++ = ':';
	p = pair_out(p, r / 60 % 60);
	*p++ = ':';
	p = pair_out(p, r % 60);
	if (frac) {
		unsigned f = (unsigned)frac;
		*p++ = '.';
		p = pair_out(p, f / 10000);
		p = pair_out(p, f / 100 % 100);
		p = pair_out(p, f % 100);
	}
	*p++ = 'Z';
	*p = 0;
	return (size_t)(p - out);
}

int32_t time_day(int64_t us)
{
	return (int32_t)floordiv(us, 86400000000ll);
}

bool time_day_valid(int32_t day)
{
	return day >= TIME_DAY_MIN && day <= TIME_DAY_MAX;
}

void time_day_format(int32_t day, char *out)
{
	if (!time_day_valid(day)) {
		/* A caller's bug (the parsers and the store refuse such times): a name cut to
		 * fit, as this wrote before, named a file no listing found. */
		fprintf(stderr, "spandex: day %" PRId32 " is outside years 1-9999\n", day);
		abort();
	}
	int y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	/* By hand, not by printf: a query formats the day of every shard path it builds. */
	const unsigned v[] = {(unsigned)y / 100, (unsigned)y % 100, m, d}, at[] = {0, 2, 5, 8};
	for (int i = 0; i < 4; i++) {
		out[at[i]] = (char)('0' + v[i] / 10);
		out[at[i] + 1] = (char)('0' + v[i] % 10);
	}
	out[4] = out[7] = '-';
	out[10] = 0;
}

bool time_day_parse(const char *s, int32_t *day)
{
	int64_t us;
	if (strlen(s) != 10 || !time_parse(s, false, &us))
		return false;
	*day = time_day(us);
	return true;
}
