/* byscore: spandex's extension of GET traces and GET spans (docs/api-intake.md, "spandex's
 * extensions"): the filter field evaluator_scores.<name> ($gte, $lte, $gt, $lt, $eq) and the sorts
 * [-]evaluator_scores.<name>, over the number evaluator_scores shows (scores.c: the mean of
 * the scored NUMERIC and BOOLEAN evaluator results of a trace's spans and its own scores, or
 * of a span's own), answered from the judgements' index records (query_judged) as the
 * listing's keys; and GET traces' error_count ($gte 1: "has errors"), over the rollup. */
#include "lib/api/intake/judgements.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/intake/filter.h"

static const char *score_name(const char *field)
{
	size_t n = strlen(INTAKE_SCORE_PREFIX);
	return !strncmp(field, INTAKE_SCORE_PREFIX, n) && field[n] ? field + n : NULL;
}

struct split {
	struct arena *a;
	const char *what; /* "trace" or "span", as the filter's own messages say */
	bool traces;	  /* GET traces: error_count is a field too */
	struct intake_score_conds *out;
};

static enum status any_field(void *ctx, const char *name, struct err *err)
{
	(void)ctx, (void)name, (void)err; /* the filter's own walk judges the other fields */
	return ST_OK;
}

/* A number, or its text (the bracket and text forms of a filter carry strings). */
static bool number_of(json_t *v, double *out)
{
	if (json_is_integer(v) || json_is_real(v)) {
		*out = json_number_value(v);
		return true;
	}
	if (!json_is_string(v) || !json_string_length(v))
		return false;
	char *end;
	*out = strtod(json_string_value(v), &end);
	return !*end && isfinite(*out);
}

static enum status score_cmp(void *ctx, const char *field, const char *op, json_t *v,
			     struct err *err)
{
	static const char *const ops[] = {"$eq", "$gte", "$lte", "$gt", "$lt"};
	struct split *c = ctx;
	const char *name = score_name(field);
	bool errors = c->traces && !strcmp(field, INTAKE_ERROR_COUNT);
	if (!name && !errors)
		return ST_OK;
	size_t k = 0;
	while (k < sizeof ops / sizeof *ops && strcmp(ops[k], op))
		k++;
	if (k == sizeof ops / sizeof *ops)
		return err_set(err, ST_BAD_REQUEST, "Unsupported %s filter: %.300s %s", c->what,
			       field, op);
	struct intake_score_cond sc = {name, (enum intake_score_op)k, 0};
	if (!number_of(v, &sc.v))
		return err_set(err, ST_BAD_REQUEST, "Filter field '%.300s' must be a number.",
			       field);
	if (c->out->n + c->out->ne == INTAKE_SCORE_MAX_CONDS)
		return err_set(err, ST_BAD_REQUEST, "Too many %s conditions (at most %d).",
			       errors ? INTAKE_ERROR_COUNT : "evaluator_scores",
			       INTAKE_SCORE_MAX_CONDS);
	if (errors)
		c->out->e[c->out->ne++] = sc;
	else
		c->out->c[c->out->n++] = sc;
	return ST_OK;
}

/* Removes the score fields (and with traces error_count) from obj and from the objects of its
 * $and lists. */
static void strip(json_t *obj, bool traces)
{
	const char *k;
	json_t *v, *e;
	void *tmp;
	size_t i;
	json_object_foreach_safe(obj, tmp, k, v)
	{
		if (score_name(k) || (traces && !strcmp(k, INTAKE_ERROR_COUNT))) {
			json_object_del(obj, k);
		} else if (!strcmp(k, "$and") && json_is_array(v)) {
			json_array_foreach(v, i, e)
			{
				if (json_is_object(e))
					strip(e, traces);
			}
		}
	}
}

enum status intake_score_split(struct arena *a, bool traces, json_t *tree, json_t **rest,
			       struct intake_score_conds *out, struct err *err)
{
	struct split c = {a, traces ? "trace" : "span", traces, out};
	const struct intake_filter_walker w = {any_field, score_cmp, &c};
	out->c = arena_alloc(a, INTAKE_SCORE_MAX_CONDS * sizeof *out->c);
	out->e = arena_alloc(a, INTAKE_SCORE_MAX_CONDS * sizeof *out->e);
	out->n = out->ne = 0;
	*rest = tree;
	enum status s = intake_filter_walk(tree, &w, err);
	if (s != ST_OK || !(out->n + out->ne))
		return s;
	*rest = json_deep_copy(tree);
	arena_defer(a, (void (*)(void *))json_decref, *rest);
	strip(*rest, traces);
	return ST_OK;
}

static bool meets(const struct intake_score_cond *c, double v)
{
	switch (c->op) {
	case ISO_EQ:
		return v == c->v;
	case ISO_GTE:
		return v >= c->v;
	case ISO_LTE:
		return v <= c->v;
	case ISO_GT:
		return v > c->v;
	case ISO_LT:
		return v < c->v;
	}
	return false;
}

enum status intake_score_narrow(struct jquery *jq, enum judgement_target by,
				const struct intake_score_conds *sc, struct query *q)
{
	if (!sc->n)
		return ST_OK;
	struct query_keys *keys = arena_alloc(jq->a, sc->n * sizeof *keys);
	size_t nk = 0;
	jq->f = intake_scored_by(by); /* what evaluator_scores is the mean of */
	/* One set per name: the targets whose mean meets every condition on that name. */
	for (size_t i = 0; i < sc->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(sc->c[j].name, sc->c[i].name);
		if (seen)
			continue;
		struct query_keys all;
		enum status s = query_judged(jq, by, sc->c[i].name, false, 0, false, 0, &all);
		if (s != ST_OK)
			return s;
		uint64_t *hs = arena_alloc(jq->a, (all.n ? all.n : 1) * sizeof *hs);
		size_t nh = 0;
		for (size_t k = 0; k < all.n; k++) {
			bool ok = true;
			for (size_t j = i; j < sc->n && ok; j++)
				ok = strcmp(sc->c[j].name, sc->c[i].name) ||
				     meets(&sc->c[j], all.v[k]);
			if (ok)
				hs[nh++] = all.h[k];
		}
		keys[nk++] = (struct query_keys){all.by, hs, NULL, nh};
	}
	q->keys = keys;
	q->nkeys = nk;
	return ST_OK;
}

static bool errors_meet(void *ctx, const struct query_rollup *u)
{
	const struct intake_score_conds *sc = ctx;
	for (size_t i = 0; i < sc->ne; i++)
		if (!meets(&sc->e[i], (double)u->errors))
			return false;
	return true;
}

void intake_error_count_narrow(const struct intake_score_conds *sc, struct query *q)
{
	if (!sc->ne)
		return;
	struct intake_score_conds *kept = arena_alloc(q->a, sizeof *kept);
	*kept = *sc; /* the conditions are in the arena already */
	q->rollup_pred = errors_meet;
	q->rollup_ctx = kept;
}

enum status intake_score_order(struct jquery *jq, enum judgement_target by, const char *sort,
			       struct query *q)
{
	const char *name = sort ? score_name(sort + (*sort == '-')) : NULL;
	if (!name)
		return ST_OK;
	struct query_keys *k = arena_alloc(jq->a, sizeof *k);
	jq->f = intake_scored_by(by); /* what evaluator_scores is the mean of */
	enum status s = query_judged(jq, by, name, false, 0, false, 0, k);
	if (s == ST_OK) {
		q->order = QO_KEYS;
		q->order_keys = k;
	}
	return s;
}
