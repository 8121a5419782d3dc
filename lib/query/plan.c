/* plan: a filter compiled for the index (struct rec_filter): the tests a record's fixed fields
 * answer, the equalities left for the line or the day's index columns, and the days that can
 * hold a match. */
#include "lib/query/engine.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/model/workspace.h"

/* Where each filter field lives in the Span line: a field of lib/model/fields.h, and for one
 * of evaluation_context a member of it (enum span_eval_key, else -1); its bloom field is
 * theirs (ids use the record's hashes). */
#define SRC_FIELD_(ID, name, TYPE, PRES, rec, sig, col, text, cond, ...)                           \
	SPAN_IF(cond)([FF_##ID] = {SF_##ID, -1}, )
#define SRC_EVAL_(ID, ...) [FF_##ID] = {SF_EVALUATION_CONTEXT, SE_##ID},
/* clang-format off */
static const struct {
	int sf, ek;
} field_src[FF__COUNT] = {
	SPAN_FIELDS(SRC_FIELD_)
	SPAN_EVAL_KEYS(SRC_EVAL_)
	[FF_SPAN_ID] = {SF_SPAN_ID, -1},
	/* Settled by plan_build: never looked for on the line. */
	[FF_WORKSPACE] = {SF_WORKSPACE, -1},
	[FF_INGESTED_AT] = {SF_INGESTED_AT, -1},
};
/* clang-format on */
#undef SRC_FIELD_
#undef SRC_EVAL_

/* The types the engine filters by (cond_lit writes their values as the line holds them):
 * strings, enums (kind and status by their sets, any other by its name), integers and numbers;
 * started_at by its bounds. An object or a time has no literal an equality could compare. */
#define FILTERABLE_(ID, name, TYPE, PRES, rec, sig, col, text, cond, ...)                          \
	_Static_assert(!(cond) || SFT_##TYPE == SFT_STR || SFT_##TYPE == SFT_SSTR ||               \
			   SFT_##TYPE == SFT_ENUM || SFT_##TYPE == SFT_INT ||                      \
			   SFT_##TYPE == SFT_NUM || SF_##ID == SF_STARTED_AT,                      \
		       #name ": a condition on a type the engine cannot filter");
SPAN_FIELDS(FILTERABLE_)
#undef FILTERABLE_

/* The bloom field of a condition's field, or -1. */
static int field_sig(enum filter_field ff)
{
	int ek = field_src[ff].ek;
	return ek >= 0 ? span_eval_keys[ek].sig : span_fields[field_src[ff].sf].sig;
}

/* Sets a hash condition; a second, different value for the same field matches nothing. */
static void need_hash(struct rec_filter *c, unsigned bit, uint64_t *slot, uint64_t h)
{
	if ((c->need & bit) && *slot != h)
		c->nothing = true;
	c->need |= bit;
	*slot = h;
}

/* A [min, max] window narrowed by a GTE or LTE bound. */
static void bound(const struct filter_cond *fc, int64_t *min, int64_t *max)
{
	if (fc->op == FOP_GTE && fc->us > *min)
		*min = fc->us;
	if (fc->op == FOP_LTE && fc->us < *max)
		*max = fc->us;
}

/* Hashes of the values of an IN condition, ascending (in_sorted). */
static uint64_t *in_hashes(struct arena *a, const struct filter_cond *fc)
{
	uint64_t *h = arena_alloc(a, fc->nvals * sizeof *h);
	for (size_t j = 0; j < fc->nvals; j++)
		h[j] = hash_bytes(fc->vals[j], strlen(fc->vals[j]));
	qsort(h, fc->nvals, sizeof *h, cmp_u64);
	return h;
}

void plan_query(const struct query *q, struct rec_filter *c)
{
	plan_build(q->a, q->f, q->ws, c);
	if (q->nkeys) {
		c->need |= NEED_KEYS;
		c->keys = q->keys;
		c->nkeys = q->nkeys;
		for (size_t k = 0; k < q->nkeys; k++)
			c->nothing |= !q->keys[k].n;
	}
}

/* f compiled for the spans of workspace ws (NULL only when f names no workspace). */
void plan_build(struct arena *a, const struct filter *f, const char *ws, struct rec_filter *c)
{
	memset(c, 0, sizeof *c);
	c->smin = c->imin = INT64_MIN;
	c->smax = c->imax = INT64_MAX;
	c->nothing = f && f->nothing;
	for (size_t i = 0; f && i < f->n; i++) {
		const struct filter_cond *fc = &f->conds[i];
		if (fc->field == FF_STARTED_AT) {
			bound(fc, &c->smin, &c->smax);
			continue;
		}
		if (fc->field == FF_INGESTED_AT) {
			bound(fc, &c->imin, &c->imax);
			continue;
		}
		/* Every span listed is of ws: the condition holds for all of them or for none. */
		if (fc->field == FF_WORKSPACE) {
			c->nothing |= strcmp(fc->vals[0], ws) != 0;
			continue;
		}
		if (fc->field == FF_KIND || fc->field == FF_STATUS) {
			/* Each condition narrows the set; an empty one matches nothing. */
			uint32_t *set = fc->field == FF_KIND ? &c->kinds : &c->statuses;
			uint32_t m = fc->op == FOP_IN ? fc->enums : 1u << fc->enumv;
			*set = *set ? *set & m : m;
			if (!*set)
				c->nothing = true;
			continue;
		}
		struct linechk *k = &c->chk[c->nchk++];
		k->key = span_fields[field_src[fc->field].sf].name;
		k->sub = field_src[fc->field].ek >= 0 ? span_eval_keys[field_src[fc->field].ek].name
						      : NULL;
		k->col = store_dayindex_col_of(k->key, k->sub);
		k->id = k->sub			     ? 0
			: fc->field == FF_TRACE_ID   ? 1 + STORE_KEY_TRACE
			: fc->field == FF_SESSION_ID ? 1 + STORE_KEY_SESSION
						     : 0;
		k->nlits = fc->nvals;
		k->lits = arena_alloc(a, fc->nvals * sizeof *k->lits);
		k->lit_h = arena_alloc(a, fc->nvals * sizeof *k->lit_h);
		for (size_t j = 0; j < fc->nvals; j++) {
			k->lits[j] = cond_lit(a, cond_field_type(fc->field), fc->vals[j]);
			k->lit_h[j] = store_dayindex_hash(k->lits[j], strlen(k->lits[j]));
		}
		if (fc->or_absent) { /* the index's bits are not set for an absent field */
			k->absent = true;
			continue;
		}
		const char *v = fc->vals[0];
		size_t vn = strlen(v);
		if (fc->op == FOP_IN && fc->field == FF_SPAN_ID) {
			c->need |= NEED_SPAN_IDS;
			c->sids = in_hashes(a, fc);
			c->nsids = fc->nvals;
			continue;
		}
		if (fc->op == FOP_IN) {
			c->need |= NEED_IDS;
			c->ids = in_hashes(a, fc);
			c->nids = fc->nvals;
			continue;
		}
		if (vn == 0) { /* "" means absent: only the line can tell */
			k->empty = true;
			continue;
		}
		uint64_t h = hash_bytes(v, vn);
		switch (fc->field) {
		case FF_TRACE_ID:
			need_hash(c, NEED_TRACE, &c->trace_h, h);
			break;
		case FF_SESSION_ID:
			need_hash(c, NEED_SESSION, &c->session_h, h);
			break;
		case FF_PARENT_SPAN_ID:
			need_hash(c, NEED_PARENT, &c->parent_h, h);
			break;
		case FF_SPAN_ID:
			need_hash(c, NEED_SPAN, &c->span_h, h);
			break;
		case FF_SOURCE:
			if ((c->need & NEED_SOURCE) && c->source_h != (uint32_t)h)
				c->nothing = true;
			c->need |= NEED_SOURCE;
			c->source_h = (uint32_t)h;
			break;
		default:
			if (field_sig(fc->field) >= 0)
				c->sig |= rec_sig_bits(field_sig(fc->field), v, vn);
			break;
		}
	}
}

/* Up to this many trace ids ($in, or a session's traces), a scan looks in the days of their
 * ranges only (a range lookup each); past it, in every day of the window. */
#define QUERY_ID_DAYS_MAX 256

/* Narrows [*lo, *hi) to the days of the traces c->ids names (the union of their ranges). */
static void ids_window(struct scan *db, struct rec_filter *c, size_t *lo, size_t *hi)
{
	size_t ulo = *hi, uhi = *lo;
	bool any = false;
	for (size_t j = 0; j < c->nids; j++) {
		size_t a = *lo, b = *hi;
		if (!db_key_window(db, STORE_KEY_TRACE, c->ids[j], &a, &b))
			continue;
		any = true;
		if (a < b && a < ulo)
			ulo = a;
		if (a < b && b > uhi)
			uhi = b;
	}
	c->nothing |= !any;
	*lo = ulo < uhi ? ulo : *lo;
	*hi = ulo < uhi ? uhi : *lo;
}

/* The days a compiled filter can match: its started_at window, narrowed by the trace and
 * session range tables when it names one trace or session, or a few trace ids. */
void plan_window(struct scan *db, struct rec_filter *c, size_t *lo, size_t *hi)
{
	db_window(db, c->smin, c->smax, lo, hi);
	if ((c->need & NEED_IDS) && c->nids <= QUERY_ID_DAYS_MAX)
		ids_window(db, c, lo, hi);
	if ((c->need & NEED_TRACE) && !db_key_window(db, STORE_KEY_TRACE, c->trace_h, lo, hi))
		c->nothing = true;
	if ((c->need & NEED_SESSION) && !db_key_window(db, STORE_KEY_SESSION, c->session_h, lo, hi))
		c->nothing = true;
}

void plan_one(struct arena *a, enum filter_field ff, const char *value, struct rec_filter *c)
{
	struct filter f = {0};
	struct filter_cond fc = {.field = ff, .op = FOP_EQ, .nvals = 1};
	fc.vals = arena_alloc(a, sizeof *fc.vals);
	fc.vals[0] = value;
	f.conds = &fc;
	f.n = 1;
	plan_build(a, &f, NULL, c);
}

/* Opens db on the days the range tables name for the trace or session "field = id", and
 * compiles that filter into c (matching nothing for an empty id). */
enum status plan_open_key(struct query *q, struct scan *db, enum filter_field ff, const char *id,
			  struct rec_filter *c)
{
	plan_one(q->a, ff, id, c);
	c->nothing |= !*id;
	return db_open(q, db, c);
}
