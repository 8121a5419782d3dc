/* narrow: narrowing by index. The records of a day a compiled filter must visit (a trace's or
 * session's key map, the text index's candidates, the roots, an index column), the checks on
 * each past the record's own fields (index columns, then the line), and the scan that calls
 * back for every match. */
#include "lib/query/narrow.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* What the day's id strings say of record ri for k, an equality on trace_id or session_id: 1 a
 * match, 0 none, -1 the line must tell. */
static int id_says(const struct linechk *k, struct scan_day *s, size_t ri)
{
	const char *v;
	size_t vn;
	if (!store_index_id(&s->ix, (enum store_key)(k->id - 1), ri, &v, &vn))
		return -1;
	if (k->empty && vn == 2)
		return 1;
	for (size_t j = 0; j < k->nlits; j++)
		if (strlen(k->lits[j]) == vn && memcmp(k->lits[j], v, vn) == 0)
			return 1;
	return 0;
}

/* What the day's index column (or id strings) says of record ri for k: 1 a match, 0 none, -1
 * the line must tell (no index, or a line the index could not read). */
static int col_says(const struct linechk *k, struct scan_day *s, size_t ri)
{
	if (k->id)
		return id_says(k, s, ri);
	uint64_t v = k->col < 0 ? DAYINDEX_UNKNOWN : store_index_col(&s->ix, k->col, ri);
	if (v == DAYINDEX_UNKNOWN)
		return -1;
	if ((k->empty || k->absent) && v == DAYINDEX_ABSENT)
		return 1;
	if (k->empty && v == store_dayindex_hash("\"\"", 2))
		return 1;
	for (size_t j = 0; j < k->nlits; j++)
		if (v == k->lit_h[j])
			return 1;
	return 0;
}

/* Confirms every equality exactly: by the day's index columns (64-bit hashes of the values
 * as stored) where they cover the record, else on the line itself (hash collisions, bloom
 * false positives). */
bool narrow_line(const struct rec_filter *c, struct scan_day *s, size_t ri)
{
	const char *p, *v;
	size_t n, vn;
	bool line = false;
	for (size_t i = 0; i < c->nchk; i++) {
		int says = col_says(&c->chk[i], s, ri);
		if (!says)
			return false;
		line |= says < 0;
	}
	if (!line)
		return true;
	if (!db_line(s, ri, &p, &n))
		return false;
	for (size_t i = 0; i < c->nchk; i++) {
		const struct linechk *k = &c->chk[i];
		if (!jline_get2(p, n, k->key, k->sub, &v, &vn)) {
			if (k->empty || k->absent)
				continue;
			return false;
		}
		if (k->empty && vn == 2 && v[0] == '"')
			continue;
		size_t j = 0;
		while (j < k->nlits &&
		       !(strlen(k->lits[j]) == vn && memcmp(k->lits[j], v, vn) == 0))
			j++;
		if (j == k->nlits)
			return false;
	}
	return true;
}

/* The values of an index column that match k, into v (room for k->nlits + 2); their number.
 * (A value the index could not read, DAYINDEX_UNKNOWN, is left for the line to tell.) */
static size_t col_values(const struct linechk *k, uint64_t *v)
{
	size_t n = 0;
	for (size_t j = 0; j < k->nlits; j++)
		v[n++] = k->lit_h[j];
	if (k->empty || k->absent)
		v[n++] = DAYINDEX_ABSENT;
	if (k->empty)
		v[n++] = store_dayindex_hash("\"\"", 2);
	return n;
}

/* What the day's counts can count of a compiled filter (store_dayindex_count), for the days its
 * started_at window holds whole: kinds, statuses, roots and at most one equality on an index
 * column. False when it has any other condition: those days are counted record by record. */
bool narrow_countable(struct arena *a, const struct query *q, const struct rec_filter *c,
		      struct store_dayindex_q *tq)
{
	if (!cf_plain(q, c) || c->nchk > 1 || (c->nchk && c->chk[0].col < 0))
		return false;
	*tq = (struct store_dayindex_q){c->kinds, c->statuses, c->roots, -1, NULL, 0};
	if (c->nchk) {
		const struct linechk *k = &c->chk[0];
		uint64_t *v = arena_alloc(a, (k->nlits + 2) * sizeof *v);
		tq->col = k->col;
		tq->vals = v;
		tq->nvals = col_values(k, v);
	}
	return true;
}

/* The records of s that may have one of the trace or session hashes hs[0..nh) (distinct),
 * ascending, then every record past what the indexes answer for; every record when none
 * answers (true then, false when an index answered). */
bool narrow_keys(struct scan_day *s, enum store_key which, const uint64_t *hs, size_t nh,
		 struct visit *v)
{
	memset(v, 0, sizeof *v);
	v->from = store_index_keyed(&s->ix, which, hs, nh, &v->own, &v->n);
	v->list = v->own;
	return !v->from;
}

/* Up to this many values of one condition (an equality's literals, the kinds, the statuses) are
 * looked up in a day's value lists; a condition with more reads its column (a filter of that many
 * models is rare, and a list of each would cost that many binary searches a day). At least 32:
 * every kind and every status. */
#define LIST_MAX_VALUES 32

/* A condition of a compiled filter that a day's value lists answer (the .tix's, version 8, and
 * the tail's past it): list key k (a column, STORE_LIST_KIND, STORE_LIST_STATUS) and its values
 * v[0..nv), whose lists name m records (the loose ones of the tail among them), for the records
 * [0, covered). */
struct listq {
	int k;
	uint64_t v[LIST_MAX_VALUES];
	size_t nv, m, covered;
	struct store_list one; /* with one value, its lists */
};

/* The records whose bits are set in bits[0..words), ascending, into a new array of *n. */
static uint32_t *bits_records(const uint64_t *bits, size_t words, size_t *n)
{
	size_t m = bits_count(bits, words * sizeof *bits);
	uint32_t *r = xmalloc((m ? m : 1) * sizeof *r);
	*n = 0;
	for (size_t w = 0; w < words; w++)
		for (uint64_t b = bits[w]; b; b &= b - 1)
			r[(*n)++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
	return r;
}

/* Fills q's lists' size and coverage from the day's indexes: false when one of its values has no
 * list to trust (then no list answers for q). */
static bool list_size(struct scan_day *s, struct listq *q)
{
	q->m = q->covered = 0;
	for (size_t j = 0; j < q->nv; j++) {
		if (!(q->covered = store_index_lists(&s->ix, q->k, q->v[j], &q->one)))
			return false;
		q->m += q->one.n[0] + q->one.n[1] + (j ? 0 : q->one.nloose);
	}
	return q->nv > 0;
}

/* The values of bit set bits (kinds or statuses) into q for list key k. */
static void list_bits(struct listq *q, int k, uint32_t bits)
{
	q->k = k;
	q->nv = 0;
	for (uint32_t b = bits; b; b &= b - 1)
		q->v[q->nv++] = (uint64_t)__builtin_ctz(b);
}

/* The condition of c whose lists leave the fewest records of s to visit (those they name, and
 * those past what they answer for) into *best: an equality on a column (not one an absent field
 * matches: that value has no list), the kinds, the statuses. False when the day's lists answer
 * for none of them. */
static bool list_pick(struct scan_day *s, const struct rec_filter *c, struct listq *best)
{
	struct listq q;
	size_t n = s->sh.nrecs;
	best->covered = 0;
	for (size_t i = 0; i <= c->nchk + 1; i++) {
		if (i < c->nchk) {
			const struct linechk *k = &c->chk[i];
			if (k->col < 0 || k->empty || k->absent || k->nlits > LIST_MAX_VALUES)
				continue;
			q.k = k->col;
			q.nv = col_values(k, q.v);
		} else if (i == c->nchk) {
			list_bits(&q, STORE_LIST_KIND, c->kinds);
		} else {
			list_bits(&q, STORE_LIST_STATUS, c->statuses);
		}
		if (list_size(s, &q) &&
		    (!best->covered || q.m + (n - q.covered) < best->m + (n - best->covered)))
			*best = q;
	}
	return best->covered > 0;
}

/* The records of s past what q's lists answer for that may match, into v (every one of them
 * when no index narrows them: the tail's columns, for an equality on a column the tail's lists
 * do not answer for), after own[0..n) (of room for n more: grown here), which v then owns. */
static void list_rest(struct scan_day *s, const struct listq *q, uint32_t *own, size_t n,
		      struct visit *v)
{
	uint32_t *tail = NULL;
	size_t m = 0, to = 0;
	if (q->k < DAYINDEX_NCOLS && q->covered < s->sh.nrecs && !q->one.tail)
		to = store_index_pick(&s->ix, q->k, q->v, q->nv, q->covered, &tail, &m);
	if (m) {
		own = xrealloc(own, (n + m) * sizeof *own);
		memcpy(own + n, tail, m * sizeof *tail);
	}
	free(tail);
	*v = (struct visit){own, own, n + m, to ? to : q->covered};
}

/* With a condition the day's value lists answer, the records they name, ascending, then those
 * past them that may match (list_rest); else, with an equality on an index column, the records
 * whose value there may match (or the index could not read), then any record past what the
 * indexes answer for (store_index_pick). False, v untouched, when the filter has neither, the
 * day has no list or column to trust, or more than half the records may match (a list would
 * save little). */
static bool qsh_visit_col(struct scan_day *s, const struct rec_filter *c, struct visit *v)
{
	struct listq q;
	if (list_pick(s, c, &q)) {
		if (q.m > q.covered / 2)
			return false;
		/* The lists are by start: a bit per record puts them in storage order. */
		size_t words = (q.covered + 63) / 64, n = 0;
		uint64_t *bits = xcalloc(words ? words : 1, sizeof *bits);
		for (size_t j = 0; j < q.nv; j++) {
			struct store_list l;
			store_index_lists(&s->ix, q.k, q.v[j], &l);
			for (int h = 0; h < 2; h++)
				for (size_t i = 0; i < l.n[h]; i++)
					if (l.r[h][i] < q.covered) /* checked, not trusted */
						bits_set(bits, l.r[h][i]);
		}
		for (size_t i = 0; i < q.one.nloose; i++)
			bits_set(bits, q.one.loose[i]);
		uint32_t *own = bits_records(bits, words, &n);
		free(bits);
		list_rest(s, &q, own, n, v);
		return true;
	}
	const struct linechk *k = NULL;
	for (size_t i = 0; i < c->nchk && !k; i++)
		if (c->chk[i].col >= 0)
			k = &c->chk[i];
	if (!k)
		return false;
	uint64_t *want = xmalloc((k->nlits + 2) * sizeof *want);
	size_t nw = col_values(k, want);
	if (!nw) /* no value can match: only what the index could not read */
		want[nw++] = DAYINDEX_UNKNOWN;
	uint32_t *own;
	size_t m, n = store_index_pick(&s->ix, k->col, want, nw, 0, &own, &m);
	free(want);
	if (!n || m > n / 2) {
		free(own);
		return false;
	}
	*v = (struct visit){own, own, m, n};
	return true;
}

/* The entries of list r[0..n) (by start) that start within [lo, hi]: *a and *b. */
static void list_window(const struct idx_rec *recs, const uint32_t *r, size_t n, int64_t lo,
			int64_t hi, size_t *a, size_t *b)
{
	*a = 0;
	*b = n;
	for (size_t z = n; *a < z;) {
		size_t mid = *a + (z - *a) / 2;
		if (recs[r[mid]].started_us < lo)
			*a = mid + 1;
		else
			z = mid;
	}
	for (size_t x = *a; x < *b;) {
		size_t mid = x + (*b - x) / 2;
		if (recs[r[mid]].started_us <= hi)
			x = mid + 1;
		else
			*b = mid;
	}
}

bool narrow_ordered(struct scan_day *s, const struct rec_filter *c, bool all, struct ordered *o)
{
	struct listq q;
	memset(o, 0, sizeof *o);
	if ((c->need & (NEED_TRACE | NEED_SESSION | NEED_KEYS)) || s->tbits || c->roots ||
	    !list_pick(s, c, &q) || q.nv != 1 || (all && q.m > q.covered / 2))
		return false;
	/* Only the entries that start within the window: a binary search on each end. */
	for (int h = 0; h < 2; h++) {
		size_t a, b;
		list_window(s->sh.recs, q.one.r[h], q.one.n[h], c->smin, c->smax, &a, &b);
		o->list[h] = q.one.r[h] + a;
		o->n[h] = b - a;
	}
	uint32_t *loose = NULL;
	if (q.one.nloose) {
		loose = xmalloc(q.one.nloose * sizeof *loose);
		memcpy(loose, q.one.loose, q.one.nloose * sizeof *loose);
	}
	list_rest(s, &q, loose, q.one.nloose, &o->rest);
	return true;
}

/* Up to this many span ids in a set a query must match (query.keys), the id table finds their
 * records, a probe each, instead of a read of every record of every day: 100,000 probes cost
 * about what reading a million records does. */
#define QUERY_LOCATE_MAX 100000

/* The records of s that the id table names for the query's set of span ids, into v (and none
 * past them: the id table names every newest version). False, v untouched, when the filter has
 * no such set small enough, or the table cannot answer. */
static bool narrow_located(struct scan_day *s, const struct rec_filter *c, struct visit *v)
{
	const struct query_keys *k = NULL;
	for (size_t i = 0; (c->need & NEED_KEYS) && i < c->nkeys && !k; i++)
		if (c->keys[i].by == QK_SPAN && c->keys[i].n <= QUERY_LOCATE_MAX)
			k = &c->keys[i];
	struct scan *db = s->db;
	if (!k)
		return false;
	if (db->kloc.of != k) {
		free(db->kloc.loc);
		db->kloc.of = k;
		db->kloc.ok = store_locate(db->q->st, db->q->ws, db->look, k->h, k->n,
					   &db->kloc.loc, &db->kloc.n) == ST_OK;
		/* The table names the newest versions now: those of the run's snapshot only
		 * while no batch began since it (else the days are read). */
		if (db->snap && store_snap_moved(db->snap))
			db->kloc.ok = false;
		if (db->kloc.ok && db->kloc.n)
			qsort(db->kloc.loc, db->kloc.n, sizeof *db->kloc.loc, cmp_u64);
	}
	if (!db->kloc.ok)
		return false;
	uint64_t lo = STORE_LOC(s->sh.day, 0);
	size_t a = 0, b = db->kloc.n;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (db->kloc.loc[m] < lo)
			a = m + 1;
		else
			b = m;
	}
	uint32_t *own = NULL;
	size_t n = 0;
	for (size_t i = a; i < db->kloc.n && (int32_t)(db->kloc.loc[i] >> 32) == s->sh.day; i++) {
		uint32_t rec = (uint32_t)db->kloc.loc[i];
		if (rec >= s->sh.nrecs || (n && own[n - 1] == rec))
			continue;
		if (!(n & (n - 1)))
			own = xrealloc(own, (n ? 2 * n : 1) * sizeof *own);
		own[n++] = rec;
	}
	*v = (struct visit){own, own, n, s->sh.nrecs};
	return true;
}

/* The root spans of s, into v: those the indexes name, then every record past what they answer
 * for. False, v untouched, when no index answers. */
static bool narrow_roots(struct scan_day *s, struct visit *v)
{
	const struct store_index_roots *r;
	size_t covered = store_index_roots(&s->ix, &r);
	if (!covered)
		return false;
	*v = (struct visit){r->r, NULL, r->nr, covered};
	if (!r->ne)
		return true; /* the list is the index's */
	v->own = xmalloc((r->ne + r->nr) * sizeof *v->own);
	for (size_t i = 0; i < r->ne; i++)
		v->own[i] = r->e[i].rec;
	if (r->nr)
		memcpy(v->own + r->ne, r->r, r->nr * sizeof *r->r);
	v->list = v->own;
	v->n = r->ne + r->nr;
	return true;
}

/* The records of s a compiled filter must visit: with one trace or session, those of the key
 * maps (narrow_keys); with free-text terms the indexes answered, their candidates; for root
 * spans only, the indexes' roots; with an equality on an index column, the records it may match
 * (qsh_visit_col); then the records past what the indexes answer for. Else every record. */
void narrow_visit(struct scan_day *s, const struct rec_filter *c, struct visit *v)
{
	if (narrow_located(s, c, v))
		return;
	if ((c->need & NEED_TRACE) && !narrow_keys(s, STORE_KEY_TRACE, &c->trace_h, 1, v))
		return;
	if ((c->need & NEED_SESSION) && !narrow_keys(s, STORE_KEY_SESSION, &c->session_h, 1, v))
		return;
	memset(v, 0, sizeof *v);
	if (c->roots && narrow_roots(s, v))
		return;
	if (!s->tbits) {
		qsh_visit_col(s, c, v);
		return;
	}
	v->own = bits_records(s->tbits, (s->xcovered + 63) / 64, &v->n);
	v->list = v->own;
	v->from = s->xcovered;
}

/* The first occurrence of term in p[from..n) (an offset in p), or SIZE_MAX. */
static size_t text_pos(const char *p, size_t n, size_t from, const struct utf8_needle *term)
{
	size_t at = from <= n ? utf8_needle_pos(term, p + from, n - from) : SIZE_MAX;
	return at == SIZE_MAX ? at : from + at;
}

/* A free-text term is looked for in the name, the input and the output of the span: an
 * occurrence within one of their values as the line holds them. Most lines lack the term
 * anywhere, and one pass over the line at memory speed settles those. Otherwise the members are
 * walked up to the one that holds the first occurrence; a string value it starts in is read only
 * as far as the occurrence, not to its end (the input and output are most of a line), and an
 * occurrence outside the three sends the search on past that member. */
static bool text_match(const char *p, size_t n, const struct utf8_needle *term)
{
	const size_t m = term->m;
	size_t at = text_pos(p, n, 0, term), i = 0;
	/* The rest of the line, asked for ahead: the walk reads less of it than a scan would, and
	 * without the asking the reads of the lines after it wait on memory one by one (a term in
	 * most lines took 2.3x as long; BENCHMARKS.md). */
	for (size_t k = at; at != SIZE_MAX && k < n; k += 64)
		__builtin_prefetch(p + k);
	while (at != SIZE_MAX) {
		if (i + 1 >= n || (p[i] != '{' && p[i] != ',') || p[i + 1] != '"')
			return false;
		size_t ke = jline_skip(p, n, i + 1), kn = ke - i - 3;
		if (ke >= n || p[ke] != ':')
			return false;
		const char *k = p + i + 2;
		size_t vs = ke + 1;
		bool field = span_text_key(k, kn);
		if (field && at < vs) { /* in this member's key: the next one from its value on */
			at = text_pos(p, n, vs, term);
			continue;
		}
		/* A string value holds [at, at + m) unless it closes first: read that far. */
		size_t lim = at + m, e;
		if (field && vs < n && p[vs] == '"') {
			e = jline_skip(p, lim, vs);
			if (e == lim)
				return true;
		} else {
			e = jline_skip(p, n, vs);
			if (field && lim <= e)
				return true;
		}
		if (e > at) /* in this member, not within a value of the three: look on past it */
			at = text_pos(p, n, e, term);
		i = e;
	}
	return false;
}

/* The conditions beyond the index and the filter's equalities: free-text terms and the
 * surface's own predicates, both on the line. */
bool narrow_extra(const struct scan *db, struct scan_day *s, size_t ri)
{
	const struct query *q = db->q;
	const char *p;
	size_t n;
	if (!q->nsearch && !q->npreds)
		return true;
	/* The text index rules a record out, or (s->tsure) in; else the line decides (the
	 * terms but the hints, which a predicate decides). */
	bool text = q->nsearch > q->nsearch_hints;
	if (q->nsearch && s->tbits && ri < s->xcovered) {
		if (!bits_get(s->tbits, ri))
			return false;
		text = text && !(s->tsure && bits_get(s->tsure, ri));
	}
	const struct idx_rec *r = &s->sh.recs[ri];
	size_t i = 0;
	/* A span without raw_attributes: the predicates that can answer from its kind do. */
	while (!text && i < q->npreds && (r->flags & REC_NO_ATTRS) && q->preds[i].bare) {
		int b = q->preds[i].bare(q->preds[i].ctx, r->kind);
		if (b < 0)
			break;
		if (!b)
			return false;
		i++;
	}
	if (i == q->npreds && !text)
		return true;
	if (!db_line(s, ri, &p, &n))
		return false;
	bool ok = true;
	for (size_t k = 0; ok && text && k < q->nsearch - q->nsearch_hints; k++)
		ok = text_match(p, n, &db->text[k]);
	for (; ok && i < q->npreds; i++) {
		const struct query_pred *pr = &q->preds[i];
		if (pr->transient && q->a) {
			struct arena_mark m = arena_mark(q->a);
			ok = pr->fn(pr->ctx, p, n);
			arena_release(q->a, m);
		} else {
			ok = pr->fn(pr->ctx, p, n);
		}
	}
	/* A line's tests can cost what thousands of records do (many conditions, a long
	 * line): the clock is read after each (a query past its deadline stops at the next
	 * record). */
	budget_clock(s->b);
	return ok;
}

void narrow_scan(struct scan *db, struct rec_filter *c, match_fn fn, roots_fn rfn, void *ctx)
{
	bool bare = rfn && c->roots && cf_plain(db->q, c) && !c->sig && !c->nchk;
	size_t lo, hi;
	plan_window(db, c, &lo, &hi);
	for (size_t di = lo; di < hi && !c->nothing && !db->b.over; di++) {
		struct scan_day *sh = db_shard(db, di);
		if (!sh)
			continue;
		const struct store_index_roots *ro;
		size_t covered;
		struct visit v;
		if (bare && (covered = store_index_roots(&sh->ix, &ro)) && ro->e && ro->held) {
			rfn(ctx, db, c, di, ro->e, ro->ne);
			v = (struct visit){ro->r, NULL, ro->nr, covered};
		} else {
			narrow_visit(sh, c, &v);
		}
		for (size_t k = 0; k < visit_len(&v, sh) && db_rec(db); k++) {
			size_t i = visit_at(&v, k);
			if (i >= sh->sh.nrecs) /* a list read from a file: checked, not trusted */
				continue;
			const struct idx_rec *r = &sh->sh.recs[i];
			__builtin_prefetch(visit_ahead(&v, sh, k));
			if (shard_live(&sh->sh, i) && rec_ok(c, r) && line_ok(c, sh, i) &&
			    extra_ok(db, sh, i))
				fn(ctx, db, di, i, r);
		}
		free(v.own);
	}
}

/* Up to this many traces, a page's rollups read the records the days' key maps name for
 * them (a binary search each); past it, every record of their days, which costs about as
 * much as that many searches. */
#define QUERY_KEYED_MAX 256

/* Calls add for every live span of the traces in want (keyed by trace_h), with the trace's
 * slot; in every day when all_days (many traces: the range lookups would cost more). */
void narrow_traces(struct scan *db, struct htab *want, bool all_days, slot_fn add)
{
	/* Only the days the range tables give for the wanted traces. */
	size_t lo = all_days ? 0 : db->ndays, hi = all_days ? db->ndays : 0;
	for (size_t i = 0; i < want->n && !all_days; i++) {
		size_t a = 0, b = db->ndays;
		if (!db_key_window(db, STORE_KEY_TRACE, want->s[i].key, &a, &b))
			continue;
		if (a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	/* A page of traces: the records the days' key maps name for them. */
	uint64_t *keys = NULL;
	size_t nkeys = 0;
	if (!all_days && want->n <= QUERY_KEYED_MAX) {
		keys = xmalloc((want->n ? want->n : 1) * sizeof *keys);
		for (size_t i = 0; i < want->n; i++)
			keys[nkeys++] = want->s[i].key;
	}
	for (size_t di = lo; di < hi && !db->b.over; di++) {
		struct scan_day *sh = db_shard(db, di);
		if (!sh)
			continue;
		struct visit v = {0};
		if (keys)
			narrow_keys(sh, STORE_KEY_TRACE, keys, nkeys, &v);
		for (size_t k = 0; k < visit_len(&v, sh) && db_rec(db); k++) {
			size_t ri = visit_at(&v, k);
			if (ri >= sh->sh.nrecs) /* a list read from a file: checked, not trusted */
				continue;
			const struct idx_rec *r = &sh->sh.recs[ri];
			__builtin_prefetch(visit_ahead(&v, sh, k));
			if (!(r->flags & REC_HAS_TRACE) || !shard_live(&sh->sh, ri))
				continue;
			struct hslot *h = htab_get(want, r->trace_h, 0);
			if (h)
				add(h, r, di, ri);
		}
		free(v.own);
	}
	free(keys);
}
