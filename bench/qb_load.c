/* qb_load: the store and SQLite filled with the same spans (qb_load.h). */
#include "bench/qb_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/gen.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/query/query.h"

static const char *const schema =
    "CREATE TABLE spans(id INTEGER PRIMARY KEY, ws TEXT NOT NULL, span_id TEXT NOT NULL,"
    " trace_id TEXT, session_id TEXT NOT NULL, parent_span_id TEXT, kind TEXT, status TEXT,"
    " model TEXT, started_at INTEGER, ended_at INTEGER, in_tok INTEGER, out_tok INTEGER,"
    " cached_tok INTEGER, total_tok INTEGER, cost REAL, cost_in REAL, cost_out REAL, body TEXT);"
    /* one index per access path of the query set, each led by the workspace */
    "CREATE UNIQUE INDEX spans_id ON spans(ws, span_id);"
    "CREATE INDEX spans_started ON spans(ws, started_at);"
    "CREATE INDEX spans_trace ON spans(ws, trace_id);"
    "CREATE INDEX spans_session ON spans(ws, session_id);"
    "CREATE INDEX spans_model_status ON spans(ws, model, status, started_at);"
    "CREATE INDEX spans_kind_trace ON spans(ws, kind, trace_id);"
    "CREATE INDEX spans_roots ON spans(ws, started_at, trace_id) WHERE parent_span_id IS NULL;";

void qb_die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

/* Days the store spans (QB_DAYS, default 30; issue 35's fresh-data set: 7). */
int qb_days(void)
{
	const char *d = getenv("QB_DAYS");
	int n = d ? atoi(d) : 30;
	return n >= 1 && n <= 3650 ? n : 30;
}

/* Spans a batch of the load holds (QB_BATCH, default 1: each trace its own batch, as a client
 * that sends a trace at a time; bench/ingest.mjs sends 1000). */
static size_t qb_batch(void)
{
	const char *d = getenv("QB_BATCH");
	long n = d ? atol(d) : 1;
	return n >= 1 && n <= 100000 ? (size_t)n : 1;
}

/* The spans of one workspace waiting for their batch. */
struct pending {
	struct span *s;
	size_t n, cap;
};

/* Appends p's spans to the store as one batch and inserts them into SQLite. */
static void load_flush(struct store *st, int ws, struct pending *p, sqlite3 *db, sqlite3_stmt *ins,
		       struct buf *body)
{
	struct err e = {ST_OK, ""};
	if (p->n && store_append(st, gen_ws(ws), p->s, p->n, &e) != ST_OK) {
		fprintf(stderr, "store_append: %s\n", err_text(&e));
		exit(1);
	}
	for (size_t i = 0; ins && i < p->n; i++) {
		struct span *s = &p->s[i];
		body->len = 0;
		span_render(s, body);
		int c = 1;
		sqlite3_bind_text(ins, c++, s->workspace, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, c++, s->span_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, c++, s->trace_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, c++, s->session_id, -1, SQLITE_STATIC);
		if (s->parent_span_id)
			sqlite3_bind_text(ins, c++, s->parent_span_id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, c++);
		sqlite3_bind_text(ins, c++, span_kind_names[s->kind], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, c++, span_status_names[s->status], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, c++, s->str[SS_MODEL], -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, c++, s->started_at);
		sqlite3_bind_int64(ins, c++, s->ended_at);
		const int64_t tok[4] = {s->input_tokens, s->output_tokens, s->cached_tokens,
					s->total_tokens};
		for (int k = 0; k < 4; k++)
			if (tok[k] == SPAN_NONE_I64)
				sqlite3_bind_null(ins, c++);
			else
				sqlite3_bind_int64(ins, c++, tok[k]);
		const double cost[3] = {s->cost_total_usd, s->cost_input_usd, s->cost_output_usd};
		for (int k = 0; k < 3; k++)
			if (cost[k] != cost[k])
				sqlite3_bind_null(ins, c++);
			else
				sqlite3_bind_double(ins, c++, cost[k]);
		sqlite3_bind_text(ins, c++, body->p, body->len, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			qb_die_sql(db, "insert");
		sqlite3_reset(ins);
	}
	p->n = 0;
}

/* QB_TEXT: a file (over 4 KiB) the input and output are cut from (gen_pool), into pool; as
 * bench/gen's TEXT, so that phrases of real prose are measured. */
static void qb_text(struct gen *g, struct buf *pool)
{
	const char *path = getenv("QB_TEXT");
	if (!path)
		return;
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t got;
	while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(pool, chunk, got);
	if (!f || ferror(f) || pool->len <= 4096) {
		fprintf(stderr, "query_bench: QB_TEXT %s: cannot read, or not over 4 KiB\n", path);
		exit(2);
	}
	fclose(f);
	gen_pool(g, pool->p, pool->len);
}

/* Spans a transaction of the SQLite load holds (its WAL about 2.8 KB a span). */
#define QB_COMMIT_SPANS 200000

void qb_load(const char *dir, long long want, sqlite3 *db)
{
	struct gen g;
	struct store st;
	struct arena *a = arena_new();
	struct buf body, pool;
	sqlite3_stmt *ins;
	struct pending p[3] = {{0}};
	size_t batch = qb_batch(), waiting = 0;
	long long committed = 0;
	buf_init(&body);
	buf_init(&pool);
	gen_init(&g, 1, qb_days(), 3, 1717200000000000LL);
	qb_text(&g, &pool);
	store_init(&st, dir, false);
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		qb_die_sql(db, "schema");
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	/* QB_NOSQL=1: spandex's store alone, no row in SQLite (a store for the HTTP benches,
	 * bench/phrase_first.mjs: at 5M SQLite's inserts were most of the load's time and half
	 * its disk) */
	const char *nosql = getenv("QB_NOSQL");
	if (nosql && !strcmp(nosql, "1"))
		ins = NULL;
	else if (
	    sqlite3_prepare_v2(
		db,
		"INSERT INTO spans(ws,span_id,trace_id,session_id,parent_span_id,kind,status,model,"
		"started_at,ended_at,in_tok,out_tok,cached_tok,total_tok,cost,cost_in,cost_out,"
		"body)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		-1, &ins, NULL) != SQLITE_OK)
		qb_die_sql(db, "prepare insert");
	for (long long made = 0; made < want;) {
		struct span tr[50];
		int ws;
		size_t n = gen_trace(&g, a, tr, &ws);
		struct pending *q = &p[ws];
		if (q->n + n > q->cap) {
			q->cap = 2 * (q->n + n);
			q->s = realloc(q->s, q->cap * sizeof *q->s);
		}
		memcpy(q->s + q->n, tr, n * sizeof *tr);
		q->n += n;
		made += n;
		/* Every workspace's batch at once, so one arena holds what they point into. */
		if ((waiting += n) >= 3 * batch || made >= want || batch == 1) {
			for (int w = 0; w < 3; w++)
				load_flush(&st, w, &p[w], db, ins, &body);
			waiting = 0;
			arena_reset(a);
		}
		/* A transaction of QB_COMMIT_SPANS at a time: the WAL is written back into the
		 * database after each, not all at the end (at 5M spans it held 14 GB, copied into
		 * a second 14 GB at the commit). */
		if (made - committed >= QB_COMMIT_SPANS) {
			sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL);
			committed = made;
		}
	}
	for (int w = 0; w < 3; w++)
		free(p[w].s);
	sqlite3_finalize(ins);
	sqlite3_exec(db, "COMMIT; ANALYZE;", NULL, NULL, NULL);
	buf_free(&body);
	buf_free(&pool);
	arena_free(a);
}

/* One value in COPY's text format: \N for NULL; a backslash, tab, newline and carriage return
 * escaped, every other byte as it is. */
static void copy_value(sqlite3_stmt *q, int c, FILE *out)
{
	const unsigned char *t = sqlite3_column_text(q, c);
	if (!t) {
		fputs("\\N", out);
		return;
	}
	for (; *t; t++) {
		const char *esc = *t == '\\'   ? "\\\\"
				  : *t == '\t' ? "\\t"
				  : *t == '\n' ? "\\n"
				  : *t == '\r' ? "\\r"
					       : NULL;
		if (esc)
			fputs(esc, out);
		else
			putc(*t, out);
	}
}

void qb_copy(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT * FROM spans ORDER BY id", -1, &q, NULL) != SQLITE_OK)
		qb_die_sql(db, "copy");
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(q); c++) {
			if (c)
				putc('\t', out);
			copy_value(q, c, out);
		}
		putc('\n', out);
	}
	sqlite3_finalize(q);
	if (fflush(out) != 0 || ferror(out)) {
		perror("qb_copy");
		exit(1);
	}
}
