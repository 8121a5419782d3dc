/* time: microseconds since the Unix epoch, UTC, and the UTC days the store shards by.
 * Nothing here allocates. */
#ifndef SPANDEX_BASE_TIME_H
#define SPANDEX_BASE_TIME_H

#include <stdbool.h>
#include <stdint.h>

int64_t time_now(void);
/* Parses an RFC 3339 / ISO 8601 datetime. need_offset: refuse a value without Z or +hh:mm.
 * A value without an offset is taken as UTC. Returns false on any syntax or range error. */
bool time_parse(const char *s, bool need_offset, int64_t *us);
/* A Unix time as pydantic takes one for a datetime (FastAPI's APIs, in lax mode): seconds, or
 * milliseconds when beyond +-2e10; false outside years 1-9999. The text of one too (digits,
 * an optional sign and fraction): time_parse_unix. Either is a time in UTC. */
bool time_from_unix(double v, int64_t *us);
bool time_parse_unix(const char *s, int64_t *us);
/* Formats as 2024-01-15T09:30:00Z, or ...:00.123456Z when there are microseconds. out >= 32. */
void time_format(int64_t us, char *out);
/* Days since the epoch of the UTC day holding us (floor division). */
int32_t time_day(int64_t us);
/* "YYYY-MM-DD" for a day number; out >= 11. */
void time_day_format(int32_t day, char *out);
bool time_day_parse(const char *s, int32_t *day);

#endif
