/* qb_load: bench/query_bench's store and its SQLite twin, filled with the same spans of
 * bench/gen (the load); the SQLite schema has one index per access path of the query set. */
#ifndef SPANDEX_BENCH_QB_LOAD_H
#define SPANDEX_BENCH_QB_LOAD_H

#include <sqlite3.h>
#include <stdio.h>

/* Days the store spans (QB_DAYS, default 30; issue 35's fresh-data set: 7). */
int qb_days(void);
/* Fills the store at dir with want spans and db (open, empty) with the same, schema first.
 * Each trace is a batch of its own, or QB_BATCH spans of a workspace at a time. */
void qb_load(const char *dir, long long want, sqlite3 *db);
/* Writes every span of db (a store's SQLite twin) to out in PostgreSQL's COPY text format, the
 * columns of the SQLite table in order (bench/pg_bench.mjs loads them with COPY FROM STDIN). */
void qb_copy(sqlite3 *db, FILE *out);
/* Prints what failed and SQLite's message, and exits 1. */
void qb_die_sql(sqlite3 *db, const char *what);

#endif
