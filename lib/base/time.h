/* time: microseconds since the Unix epoch, UTC, and the UTC days the store shards by.
 * Nothing here allocates. */
#ifndef SPANDEX_BASE_TIME_H
#define SPANDEX_BASE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The instants a time may be: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, pydantic's
 * datetime range and the years a day file's four-digit name holds (docs/FORMAT.md). Every
 * parser below refuses an instant outside it, after applying the value's offset, so that
 * 0001-01-01T00:00:00+14:00 is refused as 0000-12-31T10:00:00Z is. */
#define TIME_MIN_US (-62135596800000000LL)
#define TIME_MAX_US (253402300799999999LL)
/* The UTC days of those instants (0001-01-01 and 9999-12-31), the days a store may hold. */
#define TIME_DAY_MIN (-719162)
#define TIME_DAY_MAX 2932896

int64_t time_now(void);
/* Parses an RFC 3339 / ISO 8601 datetime. need_offset: refuse a value without Z or +hh:mm.
 * A value without an offset is taken as UTC. Returns false on any syntax error or an instant
 * outside TIME_MIN_US..TIME_MAX_US. */
bool time_parse(const char *s, bool need_offset, int64_t *us);
/* A Unix time as pydantic takes one for a datetime (FastAPI's APIs, in lax mode): seconds, or
 * milliseconds when beyond +-2e10; false outside years 1-9999. The text of one too (digits,
 * an optional sign and fraction): time_parse_unix. Either is a time in UTC. */
bool time_from_unix(double v, int64_t *us);
bool time_parse_unix(const char *s, int64_t *us);
/* Formats as 2024-01-15T09:30:00Z, or ...:00.123456Z when there are microseconds. out >= 32.
 * Returns the length written (without the NUL). */
size_t time_format(int64_t us, char *out);
/* Days since the epoch of the UTC day holding us (floor division). */
int32_t time_day(int64_t us);
/* Whether day is one of TIME_DAY_MIN..TIME_DAY_MAX. */
bool time_day_valid(int32_t day);
/* "YYYY-MM-DD" for a day number of TIME_DAY_MIN..TIME_DAY_MAX; out >= 11. Any other day
 * aborts the process: its name would not fit, and a truncated one would be another file's. */
void time_day_format(int32_t day, char *out);
bool time_day_parse(const char *s, int32_t *day);

#endif
