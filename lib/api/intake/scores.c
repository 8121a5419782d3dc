/* scores: evaluator_scores, the per-name means of the NUMERIC and BOOLEAN evaluator results of a
 * trace's or a session's spans, and of a trace's own scores (Opik's trace feedback scores, a
 * Langfuse or MCP score of the trace: what a Langfuse or Opik user judges) (NeMo's
 * EvaluationSessionResponse.evaluator_scores, dict[str, float]: "Includes NUMERIC and BOOLEAN
 * evaluator results only"), beside the Trace and Session rollups. One pass over the judgements of a
 * page's targets (query_judgements_of). */
#include "lib/api/intake/judgements.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json/jsonw.h"

/* Scores of one target, growing by name (a target has a handful of names). */
struct acc {
	struct arena *a;
	struct intake_scores *out;
	size_t *cap;
};

static void add(void *ctx, size_t which, const struct judgement *j)
{
	struct acc *c = ctx;
	struct intake_scores *s = &c->out[which];
	if (isnan(j->value) || !j->name)
		return;
	size_t i;
	for (i = 0; i < s->n && strcmp(s->s[i].name, j->name); i++)
		;
	if (i == s->n) {
		if (s->n == c->cap[which]) {
			size_t cap = c->cap[which] ? 2 * c->cap[which] : 4;
			struct intake_score *p = arena_alloc(c->a, cap * sizeof *p);
			if (s->n)
				memcpy(p, s->s, s->n * sizeof *p);
			s->s = p;
			c->cap[which] = cap;
		}
		s->s[s->n++] = (struct intake_score){.name = j->name};
	}
	judgement_mean_add(&s->s[i].mean, j->value);
}

const struct jfilter intake_scored = {.targets = 1u << JT_SPAN,
				      .kinds = 1u << JK_NUMBER | 1u << JK_BOOLEAN,
				      .scored = true,

				      .view = &intake_view_evaluator};

const struct jfilter intake_trace_scored = {.targets = 1u << JT_SPAN | 1u << JT_TRACE,
					    .kinds = 1u << JK_NUMBER | 1u << JK_BOOLEAN,
					    .scored = true,

					    .view = &intake_view_evaluator,
					    .trace_too = true};

const struct jfilter *intake_scored_by(enum judgement_target by)
{
	return by == JT_TRACE ? &intake_trace_scored : &intake_scored;
}

enum status intake_scores_of(struct jquery *q, enum judgement_target by, const char *const *ids,
			     size_t n, struct intake_scores *out)
{
	struct acc c = {q->a, out, arena_alloc(q->a, (n ? n : 1) * sizeof(size_t))};
	memset(out, 0, n * sizeof *out);
	memset(c.cap, 0, (n ? n : 1) * sizeof(size_t));
	const struct jfilter *keep = q->f;
	q->f = intake_scored_by(by);
	enum status st = query_judgements_of(q, by, ids, n, add, &c);
	q->f = keep;
	return st;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct intake_score *)a)->name,
		      ((const struct intake_score *)b)->name);
}

void intake_scores_render(const struct intake_scores *s, struct buf *out)
{
	buf_adds(out, ",\"evaluator_scores\":{");
	if (s->n)
		qsort(s->s, s->n, sizeof *s->s, cmp_name);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_addc(out, ',');
		jsonw_string(out, s->s[i].name, strlen(s->s[i].name));
		buf_addc(out, ':');
		jsonw_real(out, judgement_mean_of(&s->s[i].mean));
	}
	buf_addc(out, '}');
}
