/* qb_rows: bench/query_bench's timed rows, the query set of issues 3, 35 and 57: what each row
 * asks of spandex (lib/query, in-process) and of the same data in SQLite, and what a row changes
 * in the store before each timed run. The ids a row asks for are picked from the SQLite twin
 * (qb_pick) before any row runs. */
#ifndef SPANDEX_BENCH_QB_ROWS_H
#define SPANDEX_BENCH_QB_ROWS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/store/store.h"

enum qkind { Q_SPANS, Q_GROUPS, Q_TRACES, Q_TRACE, Q_SESSION, Q_GET };
/* What a row changes before each timed run (issue 57: groups by trace after each). */
enum qb_event { QE_NONE, QE_DROP, QE_CHANGE, QE_PASS, QE_SEAL };

struct bq {
	const char *name;
	enum qkind kind;
	const char *filter; /* spandex filter JSON; %s takes the trace id or a window bound */
	long long page;
	bool summary;
	const char *sql[3]; /* page query, count query, per-row rollup (traces detailed) */
	const char *
	    search; /* a free-text term or phrase (GET spans search=); ripgrep is timed on it too */
	bool replace; /* before each run (untimed), the span of "get span" sent again with another
			 name: a page after one span replaced (qb_replace_one) */
	enum qb_event ev; /* before each of the first QB_DROPS runs (untimed), bench-0 changed
			     (qb_change); only timed when QB_ONLY names its word */
};

/* The number of rows (a row added to qb_rows.c's table adds one here: a static assertion
 * there checks it). */
#define QB_NQ 26
/* The query set, in the order every table prints it. */
extern struct bq qb_queries[QB_NQ];

/* The runs of a row with an event that change the store first (the rest time pages with
 * nothing changed). */
#define QB_DROPS 2

/* Picks the rows' ids from db (the store's SQLite twin): a trace, its root span and its
 * session from the middle of bench-0, and a one-day window. Exits when bench-0 has no root. */
void qb_pick(sqlite3 *db);
/* Writes the ids qb_pick chose: "TRACE SESSION SPAN LO_US HI_US". */
void qb_ids_print(FILE *out);
/* Whether row qi is timed: QB_ONLY is not set, or one of its comma-separated parts is part of
 * the row's name; a row with an event only when QB_ONLY holds its word ("dropped", "changed",
 * "pass", "sealed"). */
bool qb_chosen(size_t qi);
/* Runs row b against the store through the Intake pages as a server would, its page into out
 * (reset first); returns out's length. A status other than ST_OK is printed to stderr. */
size_t qb_run_spandex(struct store *st, struct arena *a, const struct bq *b, struct buf *out);
/* Runs the SQL of row b on the prepared statements st (page, count, rollup; NULL: none),
 * copying every returned body into out (reset first) as a server would; returns out's length. */
size_t qb_run_sqlite(sqlite3_stmt **st, const struct bq *b, struct buf *out);
/* The span of "get span" sent again with another name (its n-th): a version superseded in
 * place. Exits when it cannot. */
void qb_replace_one(struct store *st, int n);
/* bench-0 changed before run i of a row of event ev (QE_NONE: not): its oldest day dropped,
 * one span sent again (then the erasure pass), or its next open day sealed. Exits on failure. */
void qb_change(struct store *st, enum qb_event ev, int i);

#endif
