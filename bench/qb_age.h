/* qb_age: bench/query_bench's store indexed or sealed in place, day by day, timed. */
#ifndef SPANDEX_BENCH_QB_AGE_H
#define SPANDEX_BENCH_QB_AGE_H

#include "lib/store/store.h"

/* A monotonic clock in milliseconds. */
double qb_now_ms(void);
/* Builds the text index of every day of every workspace of the store at dir, as `spandex index`
 * does; prints the time and what it costs beside the data and the day indexes. */
void qb_index_all(struct store *st, const char *dir);
/* Seals every day of every workspace, as `spandex seal --older-than 0` does (QB_SEAL_DICT=1:
 * with a dictionary a day); prints the stream bytes, the sealed bytes, their ratio and speed. */
void qb_seal_all(struct store *st);

#endif
