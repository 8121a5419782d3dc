/* filter_get: the values of the filter's columns (filter.h) of a span, an observation or a
 * trace's row, as Langfuse shows them (render.c), and of a trace's totals. */
#include "lib/api/langfuse/filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"

static void put_str(struct langfuse_val *v, const char *s)
{
	if (s) {
		v->t = LVAL_STR;
		v->s = s;
	}
}

static void put_num(struct langfuse_val *v, double n)
{
	v->t = LVAL_NUM;
	v->n = n;
}

static void put_time(struct langfuse_val *v, int64_t us)
{
	if (us != SPAN_NONE_I64) {
		v->t = LVAL_TIME;
		v->us = us;
	}
}

/* A token count or a cost as Langfuse sums them: none counts 0. */
static double count_of(int64_t n)
{
	return n == SPAN_NONE_I64 ? 0 : (double)n;
}

static double cost_of(double c)
{
	return isnan(c) ? 0 : c;
}

static void span_numbers(const struct span *s, enum langfuse_col col, struct langfuse_val *v)
{
	int64_t us;
	const char *t, *pv;
	char *end;
	switch (col) {
	case LC_LATENCY:
		if (s->ended_at != SPAN_NONE_I64)
			put_num(v, (double)(s->ended_at - s->started_at) / 1e6);
		break;
	case LC_TTFT:
		t = langfuse_raw_str(s, LF_COMPLETION_START);
		if (t && time_parse(t, false, &us))
			put_num(v, (double)(us - s->started_at) / 1e6);
		break;
	case LC_PROMPT_VERSION:
		pv = s->str[SS_PROMPT_VERSION];
		if (pv && *pv && (strtod(pv, &end), !*end))
			put_num(v, strtod(pv, NULL));
		break;
	case LC_IN_TOK:
		put_num(v, count_of(s->input_tokens));
		break;
	case LC_OUT_TOK:
		put_num(v, count_of(s->output_tokens));
		break;
	case LC_TOT_TOK: /* as usage shows it (render.c): without a total, input plus output */
		put_num(v, s->total_tokens != SPAN_NONE_I64
			       ? (double)s->total_tokens
			       : count_of(s->input_tokens) + count_of(s->output_tokens));
		break;
	case LC_IN_COST:
		put_num(v, cost_of(s->cost_input_usd));
		break;
	case LC_OUT_COST:
		put_num(v, cost_of(s->cost_output_usd));
		break;
	case LC_TOT_COST:
		put_num(v, cost_of(s->cost_total_usd));
		break;
	default:
		break;
	}
}

void langfuse_span_get(const void *span, enum langfuse_col col, struct langfuse_val *v)
{
	const struct span *s = span;
	bool trace = langfuse_is_trace_row(s);
	const char *parent = s->parent_span_id && *s->parent_span_id &&
				     !(s->trace_id && !strcmp(s->parent_span_id, s->trace_id))
				 ? s->parent_span_id
				 : NULL;
	json_t *meta;
	switch (col) {
	case LC_ID:
		put_str(v, s->span_id);
		break;
	case LC_NAME:
		put_str(v, s->name);
		break;
	case LC_TIMESTAMP:
		put_time(v, s->started_at);
		break;
	case LC_END:
		put_time(v, s->ended_at);
		break;
	case LC_USER:
		put_str(v, langfuse_user_of(s));
		break;
	case LC_SESSION:
		put_str(v, span_session_default(s) ? NULL : s->session_id);
		break;
	case LC_ENV:
		put_str(v, langfuse_env_of(s));
		break;
	case LC_VERSION:
		put_str(v, langfuse_raw_str(s, LF_VERSION));
		break;
	case LC_RELEASE:
		put_str(v, langfuse_raw_str(s, LF_RELEASE));
		break;
	case LC_TAGS:
		v->t = LVAL_LIST;
		v->j = langfuse_tags_of(s);
		break;
	case LC_BOOKMARKED:
		v->t = LVAL_BOOL;
		v->b = false;
		break;
	case LC_METADATA:
		meta = span_raw(s, trace ? LF_TRACE_META : LF_OBS_META);
		v->t = LVAL_OBJ;
		v->j = meta;
		break;
	case LC_TYPE:
		put_str(v, langfuse_obs_type(s));
		break;
	case LC_TRACE_ID: /* a span without a trace id is its own trace */
		put_str(v, s->trace_id ? s->trace_id : s->span_id);
		break;
	case LC_LEVEL:
		put_str(v, langfuse_raw_str(s, LF_LEVEL));
		if (v->t == LVAL_NONE)
			put_str(v, s->status == SPST_ERROR ? "ERROR" : "DEFAULT");
		break;
	case LC_STATUS_MSG:
		put_str(v, langfuse_raw_str(s, LF_STATUS_MSG));
		if (v->t == LVAL_NONE && s->status == SPST_ERROR)
			put_str(v, s->str[SS_ERROR_MESSAGE]);
		break;
	case LC_ROOT:
		v->t = LVAL_BOOL;
		v->b = !parent;
		break;
	case LC_MODEL:
		put_str(v, s->str[SS_MODEL]);
		break;
	case LC_PROMPT_NAME:
		put_str(v, s->str[SS_PROMPT_NAME]);
		break;
	case LC_INPUT:
		put_str(v, s->input);
		break;
	case LC_OUTPUT:
		put_str(v, s->output);
		break;
	default:
		span_numbers(s, col, v);
	}
}

void langfuse_rollup_get(const void *rollup, enum langfuse_col col, struct langfuse_val *v)
{
	const struct query_rollup *u = rollup;
	switch (col) {
	case LC_IN_TOK:
		put_num(v, (double)u->tok[QT_INPUT]);
		break;
	case LC_OUT_TOK:
		put_num(v, (double)u->tok[QT_OUTPUT]);
		break;
	case LC_TOT_TOK:
		put_num(v, (double)u->tok[QT_TOTAL]);
		break;
	case LC_IN_COST:
		put_num(v, u->cost[QC_INPUT]);
		break;
	case LC_OUT_COST:
		put_num(v, u->cost[QC_OUTPUT]);
		break;
	case LC_TOT_COST:
		put_num(v, u->cost[QC_TOTAL]);
		break;
	case LC_ERRORS:
		put_num(v, (double)u->errors);
		break;
	default:
		break;
	}
}
